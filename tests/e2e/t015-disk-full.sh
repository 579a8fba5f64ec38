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

# The disk fills just as the run ends: fill-disk makes 500 allocations,
# execs itself (which flushes them) and that image fills the disk. Writing
# the profile then fails with ENOSPC (once turned into "Input/output error"
# while its compressed events were copied in, so no fallback ran, no summary
# was printed and the hint said "scorch report FILE"): the fallback removes
# the raw stream, which is decoded, and writes the profile in its space.
umount "$WORK/tiny"
mount -t tmpfs -o size=4m tmpfs tiny || { echo "FAIL: cannot mount the tmpfs again"; exit 1; }
"$SCORCH" heap -o tiny/f.scorch -- "$PROGS/fill-disk" 500 tiny >f.out 2>f.err; r=$?
sed 's/^/    /' f.err
check "late full disk: program's status" "$r" 0
check "late full disk: it did fill" "$(grep -c 'did not fill' f.err)" 0
check_match "late full disk: the real error, and the fallback" "$(cat f.err)" \
	'^scorch: warning: cannot write tiny/f\.scorch: No space left on device; removing the raw stream .*/raw\.[0-9]+\.0 to make room'
check "late full disk: no Input/output error" "$(grep -c 'Input/output error' f.err)" 0
check_match "late full disk: summary line" "$(cat f.err)" '^scorch:   500 allocations, 31\.2 KiB in total; 500 frees$'
check_match "late full disk: written" "$(cat f.err)" '^scorch:   wrote tiny/f\.scorch$'
check_match "late full disk: the hint names it" "$(cat f.err)" '^scorch: view with: scorch report tiny/f\.scorch$'
check "late full disk: no raw recording left" "$(ls -d tiny/.scorch-* 2>/dev/null | wc -l)" 0
"$SCORCH" report --json tiny/f.scorch >f.json 2>/dev/null
check "late full disk: every allocation kept" "$(jq '.profiles[0].totals.allocations' f.json)" 500
check "late full disk: not truncated" "$(jq '.profiles[0].program.truncated' f.json)" false
check "late full disk: malloc calls" \
	"$(jq '[.profiles[0].calls[] | select(.function == "malloc") | .calls] | add' f.json)" 500
finish
