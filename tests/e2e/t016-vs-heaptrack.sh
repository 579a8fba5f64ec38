# A real program (sqlite3 running a fixed script) makes as many allocations
# under scorch as heaptrack counts for it. heaptrack's own preloaded library
# allocates too (libstdc++'s emergency pool); that baseline is measured on a
# program that makes no heap call and taken off.
. "$ROOT/tests/e2e/lib.sh"
command -v heaptrack >/dev/null || { echo "SKIP: heaptrack not installed"; exit 77; }
htcount() { heaptrack_print "$1" 2>/dev/null | sed -n 's/^calls to allocation functions: \([0-9]*\).*/\1/p'; }
heaptrack -o base "$PROGS/noalloc" >/dev/null 2>&1
base=$(htcount base.zst)
sqlite3 :memory: <"$ROOT/tests/progs/sqlite.sql" >plain.out 2>&1
heaptrack -o sq sqlite3 :memory: <"$ROOT/tests/progs/sqlite.sql" >/dev/null 2>&1
ht=$(htcount sq.zst)
"$SCORCH" heap -o sq.scorch -- sqlite3 :memory: <"$ROOT/tests/progs/sqlite.sql" >sc.out 2>sc.err
check "same sqlite output" "$(cmp -s plain.out sc.out && echo same)" same
json sq.scorch
ours=$(q sq.scorch.json '.profiles[0].totals.allocations + .profiles[0].totals.failed')
echo "heaptrack: $ht calls ($base of them its own); scorch: $ours"
check_ge "sqlite made allocations" "$ours" 1000
check "allocation calls equal heaptrack's" "$ours" "$((ht - base))"
# our baseline is zero: the runtime allocates nothing through the program's heap
heap n "$PROGS/noalloc"
json n.scorch
check "scorch baseline" "$(q n.scorch.json '.profiles[0].totals.calls')" 0
finish
