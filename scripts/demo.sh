#!/usr/bin/env bash
# `make demo`: profile the deliberately slow program and its fixed twin (heap
# and CPU), show the reports and the before/after comparison, draw the flame
# graphs, the diffs and the HTML reports, and say where everything is.
set -eu
BUILD=${1:-build}
cd "$(dirname "$0")/.."
OUT=demo-out
mkdir -p "$OUT"
SCORCH=$BUILD/scorch
PROG=$BUILD/examples/slowprog
bar() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

bar "1. measure: the slow program and its fixed twin, plain"
/usr/bin/env time -f "   slow:  %e s wall, %M KiB max RSS" "$PROG" >"$OUT/slow.out" 2>"$OUT/slow.times" || true
/usr/bin/env time -f "   fixed: %e s wall, %M KiB max RSS" "$PROG" --fixed >"$OUT/fixed.out" 2>"$OUT/fixed.times" || true
grep -h ' s wall' "$OUT/slow.times" "$OUT/fixed.times" 2>/dev/null || true
if cmp -s "$OUT/slow.out" "$OUT/fixed.out"; then
	echo "   same results: $(head -1 "$OUT/slow.out")"
else
	echo "   WARNING: the fixed version prints different results"
fi

bar "2. find: where does the slow version allocate? (scorch heap)"
"$SCORCH" heap -o "$OUT/slow.scorch" -- "$PROG" >/dev/null
"$SCORCH" report --limit=5 "$OUT/slow.scorch" | sed -n '1,/^Leaks at exit/p' | head -60

bar "2b. find: where does the slow version spend its CPU time? (scorch record)"
"$SCORCH" record -o "$OUT/slow-cpu.scorch" -- "$PROG" >/dev/null
"$SCORCH" report --limit=5 "$OUT/slow-cpu.scorch" | sed -n '/^Top functions by self/,/^$/p'

bar "2c. find: which lines and instructions of the hottest function? (scorch annotate)"
"$SCORCH" annotate -n 1 --source "$OUT/slow-cpu.scorch" | sed -n '5,$p'
"$SCORCH" annotate -n 3 "$OUT/slow-cpu.scorch" >"$OUT/slow-cpu.annotate.txt"
echo "   (the source and assembly of the 3 hottest functions: $OUT/slow-cpu.annotate.txt)"

bar "3. fix and compare: the fixed version (scorch heap)"
"$SCORCH" heap -o "$OUT/fixed.scorch" -- "$PROG" --fixed >/dev/null
"$SCORCH" report --limit=5 "$OUT/fixed.scorch" | sed -n '/^Summary/,/^Calls/p'

bar "3b. the fixed version's CPU time (scorch record)"
"$SCORCH" record -o "$OUT/fixed-cpu.scorch" -- "$PROG" --fixed >/dev/null
"$SCORCH" report --limit=5 "$OUT/fixed-cpu.scorch" | sed -n '/^Top functions by self/,/^$/p'

bar "before / after"
for f in slow fixed; do
	"$SCORCH" report --json "$OUT/$f.scorch" >"$OUT/$f.json"
done
if command -v jq >/dev/null; then
	printf '   %-22s %14s %14s\n' "" "slow" "fixed"
	for k in allocations bytes peak_bytes temporary; do
		printf '   %-22s %14s %14s\n' "$k" "$(jq ".profiles[0].totals.$k" "$OUT/slow.json")" "$(jq ".profiles[0].totals.$k" "$OUT/fixed.json")"
	done
	for f in slow fixed; do
		"$SCORCH" report --json "$OUT/$f-cpu.scorch" >"$OUT/$f-cpu.json"
	done
	printf '   %-22s %14s %14s\n' "cpu samples (999 Hz)" "$(jq '.profiles[0].cpu.totals.samples' "$OUT/slow-cpu.json")" "$(jq '.profiles[0].cpu.totals.samples' "$OUT/fixed-cpu.json")"
fi
"$SCORCH" export --format=folded "$OUT/slow.scorch" >"$OUT/slow.folded"

bar "before / after: what changed most (scorch diff)"
"$SCORCH" diff --limit=6 "$OUT/slow-cpu.scorch" "$OUT/fixed-cpu.scorch" -o "$OUT/diff-cpu.svg"
echo
"$SCORCH" diff --limit=6 --heap=count "$OUT/slow.scorch" "$OUT/fixed.scorch" -o "$OUT/diff-heap.svg"

bar "see it: flame graphs and the HTML report"
"$SCORCH" flame -o "$OUT/slow-cpu.svg" "$OUT/slow-cpu.scorch"
"$SCORCH" flame --heap=bytes -o "$OUT/slow-heap.svg" "$OUT/slow.scorch"
"$SCORCH" flame --chart -o "$OUT/slow-cpu.chart.svg" "$OUT/slow-cpu.scorch"
"$SCORCH" html -o "$OUT/slow.html" "$OUT/slow.scorch"
"$SCORCH" html -o "$OUT/slow-cpu.html" "$OUT/slow-cpu.scorch"

bar "where the results are"
echo "   $OUT/slow.scorch, $OUT/fixed.scorch   heap profiles: scorch report FILE [--json] [--sort=count|bytes|peak|leaked]"
echo "   $OUT/slow-cpu.scorch, $OUT/fixed-cpu.scorch   CPU profiles: scorch report FILE [--threads] [--json]"
echo "   $OUT/slow-cpu.svg, $OUT/slow-heap.svg    flame graphs (CPU samples, heap bytes): open in a browser"
echo "   $OUT/slow-cpu.chart.svg               the CPU flame chart: frames in time order"
echo "   $OUT/slow-cpu.annotate.txt            the hottest functions line by line and instruction by instruction"
echo "   $OUT/diff-cpu.svg, $OUT/diff-heap.svg  differential flame graphs, slow -> fixed (red grew, blue shrank)"
echo "   $OUT/slow.html, $OUT/slow-cpu.html    the offline HTML reports (heap, CPU)"
echo "   $OUT/slow.folded                      folded stacks by bytes, for flamegraph.pl or inferno"
echo "   $OUT/slow.json, $OUT/fixed.json       the reports as JSON (docs/json.md)"
