#!/usr/bin/env bash
# annotate.sh: `scorch annotate` against `perf annotate`, side by side, on a
# program whose time is split 75/25 between two source lines of one function
# (tests/progs/cpu-annotate: LINE_A and LINE_B, in 4 ms rounds of thread CPU
# time).
#
# Per tool, REPS runs of record + annotate, interleaved; printed:
#   - the share of the two lines LINE_A got (per mille; truth 750),
#   - the wall time of recording (the program runs PROG_MS ms of CPU),
#   - the wall time of annotating the function,
#   - the size of what must be kept to annotate later (perf.data and the
#     copies of the sampled binaries perf puts in its build-id cache,
#     ~/.debug; the .scorch profile),
#   - whether it still annotates once the binary is gone (rebuilt or
#     deleted): the program is copied, recorded from the copy, the copy
#     deleted, then annotated.
# Medians over the runs. perf annotate reads the binary and runs objdump at
# annotate time; scorch reads only its profile.
#
# Usage: bench/annotate.sh     Environment: SCORCH, PROG (cpu-annotate),
# PROG_MS (default 2000), REPS (default 5).
set -u

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${BUILD:-$ROOT/build}
SCORCH=${SCORCH:-$BUILD/scorch}
PROG=${PROG:-$BUILD/tests/progs/cpu-annotate}
PROG_MS=${PROG_MS:-2000}
REPS=${REPS:-5}
OUT=${OUT:-$ROOT/bench/out/annotate}
SRC=$ROOT/tests/progs/cpu-annotate.c
LA=$(grep -n 'LINE_A \*/' "$SRC" | cut -d: -f1)
LB=$(grep -n 'LINE_B \*/' "$SRC" | cut -d: -f1)
mkdir -p "$OUT"
[ -x "$PROG" ] || { echo "annotate.sh: $PROG missing: make progs" >&2; exit 1; }
have_perf=1
perf record -q -o "$OUT/probe.data" -- true >/dev/null 2>&1 || have_perf=0

now() { date +%s%N; }
ms() { echo $(( ($2 - $1) / 1000000 )); }
median() { sort -n | awk '{ a[NR] = $1 } END { print NR ? a[int((NR + 1) / 2)] : "-" }'; }

for r in $(seq 1 "$REPS"); do
	# scorch
	t0=$(now)
	"$SCORCH" record -o "$OUT/s.scorch" -- "$PROG" "$PROG_MS" >/dev/null 2>&1
	t1=$(now)
	"$SCORCH" annotate --json "$OUT/s.scorch" two_lines >"$OUT/s.json" 2>/dev/null
	t2=$(now)
	a=$(jq --argjson l "$LA" '[.functions[0].source[] | select(.line == $l) | .self.samples] | add // 0' "$OUT/s.json")
	b=$(jq --argjson l "$LB" '[.functions[0].source[] | select(.line == $l) | .self.samples] | add // 0' "$OUT/s.json")
	echo "scorch $(( a * 1000 / (a + b > 0 ? a + b : 1) )) $(ms "$t0" "$t1") $(ms "$t1" "$t2") $(stat -c %s "$OUT/s.scorch")" >>"$OUT/runs.txt"
	# perf
	if [ "$have_perf" = 1 ]; then
		t0=$(now)
		perf record -q -F 999 -o "$OUT/p.data" -- "$PROG" "$PROG_MS" >/dev/null 2>&1
		t1=$(now)
		perf annotate -i "$OUT/p.data" --stdio -l two_lines >"$OUT/p.txt" 2>/dev/null
		t2=$(now)
		pa=$(awk -v l="cpu-annotate.c:$LA" '$2 == l { print $1 }' "$OUT/p.txt" | head -1)
		pb=$(awk -v l="cpu-annotate.c:$LB" '$2 == l { print $1 }' "$OUT/p.txt" | head -1)
		pm=$(awk -v a="${pa:-0}" -v b="${pb:-0}" 'BEGIN { print (a + b > 0 ? int(a * 1000 / (a + b)) : 0) }')
		# perf keeps a copy of each binary with samples in its build-id
		# cache (~/.debug): kept too, so that it annotates later
		cache=0
		while read -r id _; do
			f=$HOME/.debug/.build-id/${id:0:2}/${id:2}/elf
			[ -f "$f" ] && cache=$(( cache + $(stat -L -c %s "$f") ))
		done < <(perf buildid-list -i "$OUT/p.data" 2>/dev/null)
		echo "perf $pm $(ms "$t0" "$t1") $(ms "$t1" "$t2") $(( $(stat -c %s "$OUT/p.data") + cache ))" >>"$OUT/runs.txt"
	fi
done

# the binary gone: record from a copy, delete it, annotate
cp "$PROG" "$OUT/copy"
"$SCORCH" record -o "$OUT/gone.scorch" -- "$OUT/copy" 300 >/dev/null 2>&1
[ "$have_perf" = 1 ] && perf record -q -F 999 -o "$OUT/gone.data" -- "$OUT/copy" 300 >/dev/null 2>&1
rm -f "$OUT/copy"
s_gone=$("$SCORCH" annotate --asm "$OUT/gone.scorch" two_lines 2>/dev/null | grep -c '^ .*[0-9a-f]:  ')
p_gone=0
[ "$have_perf" = 1 ] && p_gone=$(perf annotate -i "$OUT/gone.data" --stdio two_lines 2>/dev/null | grep -cE '^ +[0-9.]+ : +[0-9a-f]+:')

echo "cpu-annotate $PROG_MS ms, $REPS runs each, medians; LINE_A's share of the two lines, truth 750 per mille"
printf '%-8s %12s %12s %14s %14s %22s\n' tool "LINE_A (‰)" "record (ms)" "annotate (ms)" "kept (bytes)" "binary gone: insns"
for tool in scorch perf; do
	grep -q "^$tool " "$OUT/runs.txt" 2>/dev/null || continue
	col() { awk -v t="$tool" -v c="$1" '$1 == t { print $c }' "$OUT/runs.txt" | median; }
	gone=$([ "$tool" = scorch ] && echo "$s_gone" || echo "$p_gone")
	printf '%-8s %12s %12s %14s %14s %22s\n' "$tool" "$(col 2)" "$(col 3)" "$(col 4)" "$(col 5)" "$gone"
done
[ "$have_perf" = 1 ] || echo "(perf record refused here: only scorch measured)"
rm -f "$OUT/runs.txt" "$OUT/probe.data"
