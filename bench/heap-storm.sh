#!/usr/bin/env bash
# heap-storm.sh: runs bench/heap-storm (10M malloc-family calls) plain (best
# of 3), under heaptrack and under `scorch heap`, and prints wall and CPU
# time, peak RSS, profile size, slowdowns vs plain and scorch/heaptrack ratios.
#
# Usage: bench/heap-storm.sh      (from anywhere; temp files go to bench/out/)
# Environment: SCORCH (default build/scorch), HEAP_STORM (the benchmark
# binary, default build/bench/heap-storm), PLAIN_RUNS (default 3), TOOL_RUNS
# (best of N for each profiler, default 1), SCORCH_HEAP_ARGS (extra options
# put before `--`), HEAPTRACK_PRINT=0 skips reading heaptrack's own figures.
set -u

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${BUILD:-$ROOT/build}
case $BUILD in /*) ;; *) BUILD=$ROOT/$BUILD ;; esac
BIN=${HEAP_STORM:-$BUILD/bench/heap-storm}
SCORCH=${SCORCH:-$BUILD/scorch}
PLAIN_RUNS=${PLAIN_RUNS:-3}
TOOL_RUNS=${TOOL_RUNS:-1}
OUT=$ROOT/bench/out/heap-storm
mkdir -p "$OUT"

. "$ROOT/bench/lib.sh"

bench_ensure_built "$BIN" || exit 1
bench_timer_setup "$OUT"

# Results per row: WALL CPU RSS_MB SIZE_MB STATUS
declare -A WALL CPU RSS SIZE STATUS PROFILE
ROWS=()

# best_of N LABEL PROFILE_GLOB RUNDIR cmd...: keeps the run with the lowest
# wall time; PROFILE_GLOB (relative to RUNDIR, "-" for none) names the file
# whose size is reported.
best_of() {
	local n=$1 label=$2 glob=$3 dir=$4 i w rc u s m best=""
	shift 4
	ROWS+=("$label")
	for ((i = 1; i <= n; i++)); do
		rm -rf "$dir" && mkdir -p "$dir"
		read -r w rc _ < <(cd "$dir" && run_measured "$OUT/$label.rusage" "$OUT/$label.stdout" "$OUT/$label.stderr" "$@")
		if [ "$rc" != 0 ]; then
			STATUS[$label]="failed (exit $rc, see bench/out/heap-storm/$label.stderr)"
			return 1
		fi
		if [ -z "$best" ] || awk -v a="$w" -v b="$best" 'BEGIN { exit !(a < b) }'; then
			best=$w
			read -r u s m <"$OUT/$label.rusage"
			WALL[$label]=$w
			if [ "$u" = - ]; then
				CPU[$label]=-
				RSS[$label]=-
			else
				CPU[$label]=$(awk -v u="$u" -v s="$s" 'BEGIN { printf "%.2f", u + s }')
				RSS[$label]=$(awk -v m="$m" 'BEGIN { printf "%.1f", m / 1024 }')
			fi
			SIZE[$label]=-
			if [ "$glob" != - ]; then
				local f
				# shellcheck disable=SC2012,SC2086 # glob on purpose; our own names
				f=$(cd "$dir" && ls -t $glob 2>/dev/null | head -n 1)
				if [ -n "$f" ]; then
					SIZE[$label]=$(stat -c %s "$dir/$f" | awk '{ printf "%.1f", $1 / 1e6 }')
					PROFILE[$label]=$dir/$f
				fi
			fi
		fi
	done
	# The tools print their own chatter too (heaptrack on stdout): compare
	# only the benchmark's result line.
	if [ -n "${EXPECT:-}" ] && [ "$(result_line "$OUT/$label.stdout")" != "$(cat "$OUT/expected.stdout")" ]; then
		STATUS[$label]="result line differs from plain run (see bench/out/heap-storm/$label.stdout)"
	else
		STATUS[$label]=ok
	fi
}

result_line() { grep -m 1 '^heap-storm: calls=' "$1"; }

say "heap-storm.sh: plain, best of $PLAIN_RUNS"
EXPECT=
best_of "$PLAIN_RUNS" plain - "$OUT/plain.d" "$BIN" || { say "heap-storm.sh: plain run failed: ${STATUS[plain]}"; exit 1; }
result_line "$OUT/plain.stdout" >"$OUT/expected.stdout"
EXPECT=1

if command -v heaptrack >/dev/null 2>&1; then
	say "heap-storm.sh: heaptrack, best of $TOOL_RUNS"
	best_of "$TOOL_RUNS" heaptrack 'heaptrack.heap-storm.*' "$OUT/heaptrack.d" \
		heaptrack -o "$OUT/heaptrack.d/heaptrack.heap-storm" "$BIN"
else
	ROWS+=(heaptrack)
	STATUS[heaptrack]="not installed"
fi

if [ -x "$SCORCH" ]; then
	say "heap-storm.sh: scorch heap, best of $TOOL_RUNS"
	# shellcheck disable=SC2086 # SCORCH_HEAP_ARGS is a word list on purpose
	best_of "$TOOL_RUNS" scorch '*.scorch' "$OUT/scorch.d" \
		"$SCORCH" heap ${SCORCH_HEAP_ARGS:-} -- "$BIN"
	if [ "${STATUS[scorch]}" = ok ] && [ -z "${PROFILE[scorch]:-}" ]; then
		STATUS[scorch]="ran, but left no *.scorch file in bench/out/heap-storm/scorch.d"
	fi
else
	ROWS+=(scorch)
	STATUS[scorch]="not built"
fi

# --- report ---------------------------------------------------------------

printf '\n%s\n' "$(cat "$OUT/expected.stdout")"
printf 'binary: %s   cpus: %s   timer: %s\n\n' "$BIN" "$(nproc)" "$TIMER"
printf '%-10s %8s %8s %8s %8s %11s %11s  %s\n' run 'wall s' 'x plain' 'cpu s' 'x plain' 'peak RSS MB' 'profile MB' status
for r in "${ROWS[@]}"; do
	if [ -z "${WALL[$r]:-}" ]; then
		printf '%-10s %s\n' "$r" "$r: ${STATUS[$r]}"
		continue
	fi
	printf '%-10s %8s %8s %8s %8s %11s %11s  %s\n' "$r" "${WALL[$r]}" \
		"$(ratio "${WALL[$r]}" "${WALL[plain]}")" "${CPU[$r]}" \
		"$(ratio "${CPU[$r]}" "${CPU[plain]}")" "${RSS[$r]}" "${SIZE[$r]}" "${STATUS[$r]}"
done

if [ -n "${WALL[scorch]:-}" ] && [ -n "${WALL[heaptrack]:-}" ]; then
	printf '\nscorch / heaptrack:  wall %s   cpu %s   peak RSS %s   profile size %s   (below 1 = scorch better)\n' \
		"$(ratio "${WALL[scorch]}" "${WALL[heaptrack]}")" "$(ratio "${CPU[scorch]}" "${CPU[heaptrack]}")" \
		"$(ratio "${RSS[scorch]}" "${RSS[heaptrack]}")" "$(ratio "${SIZE[scorch]}" "${SIZE[heaptrack]}")"
else
	printf '\nscorch / heaptrack:  - (needs both rows)\n'
fi

printf '\nnotes: wall includes each tool'"'"'s own finalization; peak RSS is the largest single\n'
printf 'process among the run and everything it waited for (wait4 rusage), so for heaptrack it\n'
printf 'is usually heaptrack_interpret, not the target.\n'
if [ -n "${PROFILE[heaptrack]:-}" ] && [ "${HEAPTRACK_PRINT:-1}" != 0 ] && command -v heaptrack_print >/dev/null 2>&1; then
	heaptrack_print -a 0 -p 0 -T 0 -l 0 "${PROFILE[heaptrack]}" 2>/dev/null |
		awk '/^calls to allocation functions|^peak RSS/ { print "heaptrack_print: " $0 }'
fi
