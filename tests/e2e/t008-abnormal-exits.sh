# SIGSEGV, abort, _exit and exit from another thread: every event up to the
# end is in the profile, and the exit status is the program's.
. "$ROOT/tests/e2e/lib.sh"
heap s "$PROGS/crash"
check "segv: status" "$rc" 139
json s.scorch
check "segv: before_crash live" "$(site s.scorch.json before_crash leaked_blocks)" 11
check "segv: exit kind" "$(q s.scorch.json '.profiles[0].program.exit.kind')" signal
check "segv: signal" "$(q s.scorch.json '.profiles[0].program.exit.value')" 11
check "segv: complete" "$(q s.scorch.json '.profiles[0].program.incomplete')" false
check_match "segv: summary" "$err" 'killed by signal 11'

heap ab "$PROGS/crash" abort
check "abort: status" "$rc" 134
json ab.scorch
check "abort: before_crash live" "$(site ab.scorch.json before_crash leaked_blocks)" 11
check "abort: signal" "$(q ab.scorch.json '.profiles[0].program.exit.value')" 6

heap x "$PROGS/exit-underscore"
check "_exit: status" "$rc" 4
check "_exit: output" "$out" "exit-underscore"
json x.scorch
check "_exit: before_exit leaked" "$(site x.scorch.json before_exit leaked_blocks)" 6
check "_exit: complete" "$(q x.scorch.json '.profiles[0].program.incomplete')" false

heap te "$PROGS/thread-exit"
check "thread exit: status" "$rc" 5
json te.scorch
check "thread exit: main_site leaked" "$(site te.scorch.json main_site leaked_bytes)" 64
check "thread exit: thread_site leaked" "$(site te.scorch.json thread_site leaked_bytes)" 80
check "thread exit: complete" "$(q te.scorch.json '.profiles[0].program.incomplete')" false
finish
