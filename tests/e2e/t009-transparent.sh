# scorch changes nothing the program prints or returns, and keeps its signal
# handlers working.
. "$ROOT/tests/e2e/lib.sh"
"$PROGS/output" >plain.out 2>plain.err
plain_rc=$?
heap o "$PROGS/output"
check "exit status" "$rc" "$plain_rc"
check "exit status is 42" "$rc" 42
check "stdout identical" "$(cmp -s plain.out o.out && echo same)" same
check "program's stderr is there, first" "$(head -2 o.err)" "$(cat plain.err)"
"$PROGS/signals" >sig-plain.out 2>&1
src=$?
heap sg "$PROGS/signals"
check "signals: status" "$rc" "$src"
check "signals: output identical" "$out" "$(cat sig-plain.out)"
# the program's stdin is still its own
echo "from stdin" | "$SCORCH" heap -o cat.scorch -- cat >cat.out 2>/dev/null
check "stdin passes through" "$(cat cat.out)" "from stdin"
# the recorded duration is the program's: a 0.4 s sleep with nothing
# allocated after its start lasts 0.4 s, not a multiple of it
"$SCORCH" heap -o sl.scorch -- sh -c 'sleep 0.4' 2>/dev/null
d=$("$SCORCH" report --json sl.scorch | jq '.profiles[0].program.duration_ns')
check "duration at least the sleep" "$([ "$d" -ge 400000000 ] && echo yes)" yes
check "duration not inflated" "$([ "$d" -lt 700000000 ] && echo yes)" yes
finish
