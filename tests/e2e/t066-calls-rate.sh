# CPU samples under `record --calls` of a call-heavy program: the runtime
# writes its call trace in 64 KiB chunks with every signal blocked (about
# 1,100 writes for 9M calls); a sample that fired during a write was
# dropped at the unblock, and the launcher took the thread for one that
# blocks signals and sampled it from outside: 859-921 Hz achieved of 999.
# Now the sample is taken at the unblock (where the time went) and the
# runtime's own blocks are told from the program's: the rate holds and no
# thread is sampled from outside. Rates are per the run's own CPU time.
. "$ROOT/tests/e2e/lib.sh"

cc -O2 -g -finstrument-functions -pthread -o fi "$ROOT/bench/zone-calls.c" || fail "cannot build zone-calls"
HZ=999
"$SCORCH" record --calls -F $HZ -o calls.scorch -- ./fi 3000000 1 >calls.out 2>calls.err
check "exit" "$?" 0
check_match "the program's count" "$(cat calls.err)" "zone-calls: 9000000 calls in"
check "no thread sampled from outside" "$(grep -c 'from outside' calls.err)" 0
json calls.scorch
check_ge "achieved rate (per mille of $HZ Hz)" \
	"$(( $(q calls.scorch.json '.profiles[0].cpu.totals.samples') * 1000 / ($(q calls.scorch.json '.profiles[0].cpu.sampling.cpu_time_ns') * HZ / 1000000000) ))" 970
check_match "9M traced calls" "$(cat calls.err)" '9,000,006 zone spans \(9,000,006 traced calls\)'
finish
