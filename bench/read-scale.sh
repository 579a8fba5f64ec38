#!/usr/bin/env bash
# read-scale.sh: the cost of reading a heap profile against its number of
# allocation events (issue 12). For each size N it runs bench/storm-shapes
# (N allocations, each freed) under `scorch heap` and under heaptrack, then
# times every view of scorch's profile that reads the heap events (report,
# report --json, flame, html and each export format) and heaptrack_print on
# heaptrack's file of the same program and options (its report, its
# flame-graph stacks -F and its massif file -M). Prints per view the wall
# time, allocation events per second, peak RSS and RSS bytes per event, and
# at the end the peak RSS of each view against N: the curve that should
# flatten once the profile's distinct stacks (6 call sites here) are seen.
#
# An event here is one allocation with its free (the storm frees every
# block): N allocations, N frees, 2N malloc-family calls.
#
# Usage: bench/read-scale.sh         (from anywhere)
# Environment:
#   BUILD               build dir (default build); SCORCH, STORM default from it
#   READ_SCALE_SIZES    allocation counts (default "1000000 10000000 100000000";
#                       the last takes minutes and, with today's reader, GBs)
#   READ_SCALE_SHAPE    storm-shapes --shape (default main)
#   READ_SCALE_PATTERN  storm-shapes --sizes: random (default) or periodic
#   READ_SCALE_VIEWS    the scorch views (default all: report json flame html
#                       folded pprof speedscope chrome dhat massif)
#   READ_SCALE_HEAPTRACK=0 skips heaptrack (recording and heaptrack_print)
#   BENCH_OUT           where profiles and outputs go (default bench/out/read-scale;
#                       each size's profiles are deleted after its views ran
#                       unless READ_SCALE_KEEP=1)
set -u

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${BUILD:-$ROOT/build}
case $BUILD in /*) ;; *) BUILD=$ROOT/$BUILD ;; esac
SCORCH=${SCORCH:-$BUILD/scorch}
STORM=${STORM:-$BUILD/bench/storm-shapes}
SIZES=${READ_SCALE_SIZES:-1000000 10000000 100000000}
SHAPE=${READ_SCALE_SHAPE:-main}
PATTERN=${READ_SCALE_PATTERN:-random}
VIEWS=${READ_SCALE_VIEWS:-report json flame html folded pprof speedscope chrome dhat massif}
USE_HT=${READ_SCALE_HEAPTRACK:-1}
KEEP=${READ_SCALE_KEEP:-0}
OUT=${BENCH_OUT:-$ROOT/bench/out/read-scale}
mkdir -p "$OUT" || exit 1
OUT=$(cd "$OUT" && pwd)

. "$ROOT/bench/lib.sh"

bench_ensure_built "$STORM" || exit 1
[ -x "$SCORCH" ] || { say "read-scale.sh: $SCORCH not built (make BUILD=$BUILD all)"; exit 1; }
bench_timer_setup "$OUT"
[ "$TIMER" = none ] && say "read-scale.sh: no way to measure peak RSS here; RSS columns show '-'"
if [ "$USE_HT" != 0 ] && ! command -v heaptrack_print >/dev/null 2>&1; then
	say "read-scale.sh: heaptrack not installed (scripts/install-deps.sh installs it): its rows are skipped"
	USE_HT=0
fi
for n in $SIZES; do
	case $n in '' | *[!0-9]*) say "read-scale.sh: READ_SCALE_SIZES: '$n' is not a count"; exit 2 ;; esac
done

declare -A WALL CPU RSS OBYTES STATUS
ROWS=()
fail=0

# measure N LABEL OUTFILE cmd...: one timed run; OUTFILE ("-" for none) is
# the view's output, whose size is shown.
measure() {
	local n=$1 label=$2 outf=$3 w rc u s m
	shift 3
	local base=$OUT/$n/$label
	read -r w rc _ < <(cd "$OUT/$n" && run_measured "$base.rusage" "$base.stdout" "$base.stderr" "$@" </dev/null)
	WALL[$n/$label]=$w
	read -r u s m <"$base.rusage"
	RSS[$n/$label]=-
	CPU[$n/$label]=-
	[ "$u" != - ] && RSS[$n/$label]=$m && CPU[$n/$label]=$(awk -v u="$u" -v s="$s" 'BEGIN { printf "%.3f", u + s }')
	OBYTES[$n/$label]=-
	[ "$outf" != - ] && [ -f "$OUT/$n/$outf" ] && OBYTES[$n/$label]=$(stat -c %s "$OUT/$n/$outf")
	if [ "$rc" = 0 ]; then
		STATUS[$n/$label]=ok
	else
		STATUS[$n/$label]="failed (exit $rc, see $base.stderr)"
		fail=1
	fi
	case " ${ROWS[*]} " in *" $label "*) ;; *) ROWS+=("$label") ;; esac
}

for n in $SIZES; do
	rm -rf "${OUT:?}/$n" && mkdir -p "$OUT/$n"
	htf=
	iters=$(( n / 5 > 0 ? n / 5 : 1 ))
	storm=("$STORM" --shape="$SHAPE" --sizes="$PATTERN" --iterations="$iters" --allocs="$n")
	say "read-scale.sh: $n allocations: recording with scorch heap"
	measure "$n" record-scorch prof.scorch "$SCORCH" heap -o prof.scorch -- "${storm[@]}"
	if [ "${STATUS[$n/record-scorch]}" != ok ]; then
		say "read-scale.sh: recording failed: ${STATUS[$n/record-scorch]}"
		continue
	fi
	if [ "$USE_HT" != 0 ]; then
		say "read-scale.sh: $n allocations: recording with heaptrack"
		measure "$n" record-heaptrack - heaptrack -o ht "${storm[@]}"
		# shellcheck disable=SC2012 # our own names: ht.zst or ht.gz
		htf=$(cd "$OUT/$n" && ls ht.* 2>/dev/null | head -n 1)
		OBYTES[$n/record-heaptrack]=-
		[ -n "$htf" ] && OBYTES[$n/record-heaptrack]=$(stat -c %s "$OUT/$n/$htf")
	fi
	for v in $VIEWS; do
		say "read-scale.sh: $n allocations: scorch $v"
		case $v in
		report) measure "$n" report report.txt sh -c "exec \"\$0\" report prof.scorch >report.txt" "$SCORCH" ;;
		json) measure "$n" report-json report.json sh -c "exec \"\$0\" report --json prof.scorch >report.json" "$SCORCH" ;;
		flame) measure "$n" flame flame.svg "$SCORCH" flame -o flame.svg prof.scorch ;;
		html) measure "$n" html report.html "$SCORCH" html -o report.html prof.scorch ;;
		pprof | speedscope | chrome)
			measure "$n" "export-$v" "out.$v" "$SCORCH" export --format="$v" --kind=heap -o "out.$v" prof.scorch ;;
		folded | dhat | massif)
			measure "$n" "export-$v" "out.$v" "$SCORCH" export --format="$v" -o "out.$v" prof.scorch ;;
		*) say "read-scale.sh: unknown view '$v' in READ_SCALE_VIEWS"; exit 2 ;;
		esac
	done
	if [ "$USE_HT" != 0 ] && [ -n "$htf" ]; then
		say "read-scale.sh: $n allocations: heaptrack_print"
		measure "$n" heaptrack_print ht-print.txt sh -c "exec heaptrack_print \"\$0\" >ht-print.txt" "$htf"
		measure "$n" heaptrack_print-F ht.folded heaptrack_print -p 0 -a 0 -T 0 -F ht.folded "$htf"
		measure "$n" heaptrack_print-M ht.massif heaptrack_print -p 0 -a 0 -T 0 -M ht.massif "$htf"
		# the allocations heaptrack counted (the storm's plus its own)
		sed -n 's/^calls to allocation functions: \([0-9]*\).*/heaptrack_print counted \1 allocation calls/p' \
			"$OUT/$n/ht-print.txt" >"$OUT/$n/ht-count"
	fi
	if [ "$KEEP" = 0 ]; then
		rm -f "$OUT/$n/prof.scorch" "$OUT/$n"/ht.* "$OUT/$n"/out.* "$OUT/$n"/report.* "$OUT/$n"/flame.svg
	fi
done

# --- report ----------------------------------------------------------------
printf '\nread-scale: bench/storm-shapes --shape=%s --sizes=%s, N allocations (and N frees)\n' "$SHAPE" "$PATTERN"
printf 'build: %s   cpus: %s   timer: %s\n' "$BUILD" "$(nproc)" "$TIMER"
for n in $SIZES; do
	[ -n "${WALL[$n/record-scorch]:-}" ] || continue
	printf '\nN = %s allocation events; profiles: scorch %s B, heaptrack %s B\n' "$n" \
		"${OBYTES[$n/record-scorch]}" "${OBYTES[$n/record-heaptrack]:--}"
	[ -s "$OUT/$n/ht-count" ] && cat "$OUT/$n/ht-count"
	printf '%-20s %9s %13s %8s %13s %10s %12s %13s  %s\n' view 'wall s' 'events/s' 'cpu s' 'events/cpu-s' 'RSS MB' 'RSS B/event' 'output B' status
	for r in "${ROWS[@]}"; do
		k=$n/$r
		[ -n "${WALL[$k]:-}" ] || continue
		printf '%-20s %9s %13s %8s %13s %10s %12s %13s  %s\n' "$r" "${WALL[$k]}" \
			"$(awk -v n="$n" -v w="${WALL[$k]}" 'BEGIN { if (w > 0) printf "%.0f", n / w; else print "-" }')" \
			"${CPU[$k]}" \
			"$(awk -v n="$n" -v c="${CPU[$k]}" 'BEGIN { if (c != "-" && c > 0) printf "%.0f", n / c; else print "-" }')" \
			"$(awk -v m="${RSS[$k]}" 'BEGIN { if (m == "-") print "-"; else printf "%.1f", m / 1024 }')" \
			"$(awk -v m="${RSS[$k]}" -v n="$n" 'BEGIN { if (m == "-") print "-"; else printf "%.1f", m * 1024 / n }')" \
			"${OBYTES[$k]}" "${STATUS[$k]}"
	done
done

# the curve: peak RSS (MB) of each view against N
printf '\npeak RSS MB against allocation events (record-*: the whole recording run)\n'
printf '%-20s' view
for n in $SIZES; do printf ' %12s' "$n"; done
printf '\n'
for r in "${ROWS[@]}"; do
	printf '%-20s' "$r"
	for n in $SIZES; do
		m=${RSS[$n/$r]:--}
		[ "${STATUS[$n/$r]:-}" = ok ] || m=-
		printf ' %12s' "$(awk -v m="$m" 'BEGIN { if (m == "-") print "-"; else printf "%.1f", m / 1024 }')"
	done
	printf '\n'
done
printf '\nevents/s = N / wall; cpu s = user + sys of the view; events/cpu-s = N / cpu s\n'
printf '(the figure to compare on a shared machine); RSS B/event = peak RSS / N. record-* rows: the\n'
printf 'recording (program, profiler and its finalize); RSS there is the largest\n'
printf 'process of the run. Outputs and profiles are in %s.\n' "$OUT"
exit $fail
