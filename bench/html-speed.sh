#!/usr/bin/env bash
# html-speed.sh: how `scorch html` copes with a profile of a million distinct
# stacks. bench/gen-bigprof writes the profile (mean depth ~45, 1.33M CPU
# samples on 8 threads; with HEAP=1 also 1.5M heap events); the script times
# `scorch html` on it, then opens the page in headless Chromium
# (tests/browser/html.mjs speed) and prints how long the page takes to load
# and draw, how fast a zoom click, a search and a thread switch redraw.
#
# Usage: bench/html-speed.sh        (from anywhere; files go to bench/out/html-speed/)
# Environment: BUILD (default build), SCORCH (default $BUILD/scorch), STACKS
# (default 1000000), HEAP=1 adds heap events, RUNS (page loads, best of N,
# default 3).
set -u

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${BUILD:-$ROOT/build}
case $BUILD in /*) ;; *) BUILD=$ROOT/$BUILD ;; esac
SCORCH=${SCORCH:-$BUILD/scorch}
GEN=$BUILD/bench/gen-bigprof
STACKS=${STACKS:-1000000}
RUNS=${RUNS:-3}
OUT=$ROOT/bench/out/html-speed
mkdir -p "$OUT"

say() { printf '%s\n' "$*" >&2; }

make -s -C "$ROOT" --no-print-directory BUILD="$BUILD" "$SCORCH" "$GEN" >&2 || {
	say "html-speed.sh: cannot build $SCORCH and $GEN; run 'make $GEN' and see why"
	exit 1
}
bash "$ROOT/tests/browser/setup.sh" || { say "html-speed.sh: the browser is not available"; exit 1; }

prof=$OUT/big.scorch
page=$OUT/big.html
"$GEN" "$prof" "$STACKS" ${HEAP:+--heap} || exit 1

# wall seconds of a command, its stderr kept in $OUT/last.err
secs() {
	local t0 t1
	t0=$(date +%s.%N)
	"$@" 2>"$OUT/last.err" || { cat "$OUT/last.err" >&2; return 1; }
	t1=$(date +%s.%N)
	awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", b - a }'
}
t_html=$(secs "$SCORCH" html -o "$page" "$prof") || exit 1
rss=$( { /usr/bin/time -f '%M' "$SCORCH" html -o "$OUT/again.html" "$prof" 2>&1 >/dev/null | tail -1; } 2>/dev/null)
echo "profile: $(du -h "$prof" | cut -f1) .scorch, $STACKS distinct stacks${HEAP:+, with heap events}"
echo "scorch html: ${t_html} s to write a $(du -h "$page" | cut -f1) page${rss:+, peak RSS $((rss / 1024)) MiB}"

best=
for r in $(seq 1 "$RUNS"); do
	node "$ROOT/tests/browser/html.mjs" speed "$OUT" "$page" >"$OUT/run$r.log" 2>&1 || {
		say "html-speed.sh: the browser run failed:"
		cat "$OUT/run$r.log" >&2
		exit 1
	}
	ms=$(sed -n 's/^load+draw *\([0-9]*\) ms.*/\1/p' "$OUT/run$r.log")
	if [ -z "$best" ] || [ "$ms" -lt "$best" ]; then best=$ms; cp "$OUT/run$r.log" "$OUT/best.log"; fi
done
echo "in headless Chromium (best of $RUNS page loads):"
grep -Ev '^(ok|FAIL|all checks|     screenshot)' "$OUT/best.log" | sed 's/^/  /'
grep -E '^FAIL' "$OUT/best.log" && exit 1
exit 0
