#!/usr/bin/env bash
# `make demo`: profile the deliberately slow program and its fixed twin with
# scorch heap, show the reports side by side and where the profiles are.
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

bar "where the results are"
echo "   $OUT/slow.scorch, $OUT/fixed.scorch   heap profiles: scorch report FILE [--json] [--sort=count|bytes|peak|leaked]"
echo "   $OUT/slow-cpu.scorch, $OUT/fixed-cpu.scorch   CPU profiles: scorch report FILE [--threads] [--json]"
echo "   $OUT/slow.folded                      folded stacks by bytes: flamegraph.pl $OUT/slow.folded > slow.svg"
echo "   $OUT/slow.json, $OUT/fixed.json       the reports as JSON (docs/json.md)"
