# A full disk while recording: the program runs on unharmed, and what can be
# written is kept and marked truncated (or the failure is named).
. "$ROOT/tests/e2e/lib.sh"
mkdir -p tiny
if ! mount -t tmpfs -o size=100k tmpfs tiny 2>/dev/null; then
	echo "SKIP: mounting a small tmpfs needs root"
	exit 77
fi
trap 'umount "$WORK/tiny" 2>/dev/null' EXIT
# sqlite's run makes far more events than the disk holds
sqlite3 :memory: <"$ROOT/tests/progs/sqlite.sql" >plain.out 2>&1
"$SCORCH" heap -o tiny/p.scorch -- sqlite3 :memory: <"$ROOT/tests/progs/sqlite.sql" >out 2>err; r=$?
check "program status unchanged" "$r" 0
check "program output unchanged" "$(cmp -s plain.out out && echo same)" same
check_match "summary says truncated" "$(cat err)" 'truncated'
"$SCORCH" report --json tiny/p.scorch >p.json 2>/dev/null
check "marked truncated" "$(jq '.profiles[0].program.truncated' p.json)" true
check_ge "what fit is kept" "$(jq '.profiles[0].totals.allocations' p.json)" 1
# fill the disk completely, then record: nothing crashes, status survives
dd if=/dev/zero of=tiny/fill bs=4k 2>/dev/null
"$SCORCH" heap -o tiny/q.scorch -- "$PROGS/output" >o.out 2>o.err; r=$?
check "full disk: program's status" "$r" 42
check "full disk: program's stdout" "$(head -1 o.out)" "output: line 1"
finish
