#!/usr/bin/env bash
# heap-sample.sh: what sampled heap profiling (`scorch heap --sample`) costs,
# side by side in one run with the plain program and exact `scorch heap`, on
# the storm benchmarks: bench/heap-storm (10M malloc-family calls) and
# bench/storm-shapes in its three shapes (main, worker, threads4; 10M
# allocations and as many frees). Plain and sampled runs alternate, ROUNDS
# times each (the machine's load changes while it runs); the table gives
# each one's median wall and CPU time (user + system of everything the
# command waited for: the launcher's finalize and symbolization included)
# and the ratios to plain. The issue's target: at most 1.05 at the default
# rate (512 KiB). Row "runtime" is the program with the runtime preloaded
# and sampling, without the launcher (LD_PRELOAD and the SCORCH_* settings
# the launcher gives it): what the program itself pays; "sampled" adds the
# launcher's work (reading the raw stream while the program runs, every
# 50 ms when sampling, symbolizing, writing the profile: 15-20 ms of CPU on
# these storms, 3 ms of it start-up, about 6 ms the first sampled stacks'
# symbols). Any interposer of malloc costs these storms something (they
# call malloc or free every ~30 ns): a bare tail jump to glibc's
# __libc_malloc measured 0.97-1.05x plain here (docs/performance.md).
#
# Usage: bench/heap-sample.sh      (temp files go to bench/out/heap-sample/)
# Environment: BUILD (default build), SCORCH, ROUNDS (default 5), OUT (the
# temp files' directory),
# EXACT_ROUNDS (default 1: exact mode is the slow one), RATE (default 524288),
# WORKLOADS (default "heap-storm main worker threads4").
set -u

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${BUILD:-$ROOT/build}
case $BUILD in /*) ;; *) BUILD=$ROOT/$BUILD ;; esac
SCORCH=${SCORCH:-$BUILD/scorch}
ROUNDS=${ROUNDS:-5}
EXACT_ROUNDS=${EXACT_ROUNDS:-1}
RATE=${RATE:-524288}
WORKLOADS=${WORKLOADS:-heap-storm main worker threads4}
OUT=${OUT:-$ROOT/bench/out/heap-sample}
mkdir -p "$OUT"

. "$ROOT/bench/lib.sh"

bench_ensure_built "$BUILD/bench/heap-storm" || exit 1
bench_ensure_built "$BUILD/bench/storm-shapes" || exit 1
[ -x "$SCORCH" ] || { say "heap-sample.sh: $SCORCH missing (make BUILD=$BUILD all)"; exit 1; }
bench_timer_setup "$OUT"

cmd_of() { # workload -> the benchmark's command line
	case $1 in
	heap-storm) echo "$BUILD/bench/heap-storm" ;;
	*) echo "$BUILD/bench/storm-shapes --shape=$1" ;;
	esac
}

declare -A WALLS CPUS SIZE FAIL

# one WORKLOAD MODE: a run, its wall and CPU appended to the lists
one() {
	local w=$1 mode=$2 dir=$OUT/run-$1-$2 u s m wall rc
	local -a cmd
	read -r -a cmd <<<"$(cmd_of "$w")"
	rm -rf "$dir" && mkdir -p "$dir"
	case $mode in
	plain) ;;
	sampled) cmd=("$SCORCH" heap --sample="$RATE" -o "$dir/p.scorch" -- "${cmd[@]}") ;;
	runtime)
		# the runtime alone, with the settings the launcher gives it: what
		# the program itself pays (its raw stream is left unread)
		mkdir -p "$dir/raw"
		cmd=(env LD_PRELOAD="$(dirname "$SCORCH")/libscorch.so" SCORCH_DIR="$dir/raw" SCORCH_MODE=heap
		     SCORCH_HEAP_SAMPLE="$RATE" "${cmd[@]}") ;;
	exact) cmd=("$SCORCH" heap -o "$dir/p.scorch" -- "${cmd[@]}") ;;
	esac
	read -r wall rc _ < <(cd "$dir" && run_measured "$OUT/$w-$mode.rusage" "$OUT/$w-$mode.stdout" \
		"$OUT/$w-$mode.stderr" "${cmd[@]}")
	if [ "$rc" != 0 ]; then
		FAIL[$w-$mode]="exit $rc (see bench/out/heap-sample/$w-$mode.stderr)"
		return
	fi
	read -r u s m <"$OUT/$w-$mode.rusage"
	WALLS[$w-$mode]+="$wall "
	[ "$u" != - ] && CPUS[$w-$mode]+="$(awk -v u="$u" -v s="$s" 'BEGIN { printf "%.2f", u + s }') "
	[ -f "$dir/p.scorch" ] && SIZE[$w-$mode]=$(stat -c %s "$dir/p.scorch" | awk '{ printf "%.2f", $1 / 1e6 }')
}

median() { # numbers... -> their median ("-" for none)
	[ $# -eq 0 ] && { echo -; return; }
	printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

for ((r = 1; r <= ROUNDS; r++)); do
	for w in $WORKLOADS; do
		say "heap-sample.sh: round $r/$ROUNDS: $w plain, sampled, runtime alone"
		one "$w" plain
		one "$w" sampled
		one "$w" runtime
		if [ "$r" -le "$EXACT_ROUNDS" ]; then
			say "heap-sample.sh: round $r/$ROUNDS: $w exact"
			one "$w" exact
		fi
	done
done

printf '\nscorch heap --sample=%s (sampled) and exact scorch heap against the plain program;\n' "$RATE"
printf 'medians of %d plain, runtime-alone and sampled runs (alternating), %d exact; load at the end: %s\n\n' \
	"$ROUNDS" "$EXACT_ROUNDS" "$(cut -d' ' -f1-3 /proc/loadavg)"
printf '%-11s %-8s %8s %8s %10s %10s %9s\n' workload mode wall_s cpu_s wall/plain cpu/plain profile_MB
status=0
for w in $WORKLOADS; do
	# shellcheck disable=SC2086 # word lists on purpose
	pw=$(median ${WALLS[$w-plain]:-}) pc=$(median ${CPUS[$w-plain]:-})
	for mode in plain runtime sampled exact; do
		if [ -n "${FAIL[$w-$mode]:-}" ]; then
			printf '%-11s %-8s failed: %s\n' "$w" "$mode" "${FAIL[$w-$mode]}"
			status=1
			continue
		fi
		# shellcheck disable=SC2086
		mw=$(median ${WALLS[$w-$mode]:-}) mc=$(median ${CPUS[$w-$mode]:-})
		printf '%-11s %-8s %8s %8s %10s %10s %9s\n' "$w" "$mode" "$mw" "$mc" "$(ratio "$mw" "$pw")" \
			"$(ratio "$mc" "$pc")" "${SIZE[$w-$mode]:--}"
	done
done
printf '\nper-run figures: bench/out/heap-sample/*.rusage (the last run of each); wall times of every run:\n'
for k in $(printf '%s\n' "${!WALLS[@]}" | sort); do
	printf '  %-22s wall %s cpu %s\n' "$k" "${WALLS[$k]}" "${CPUS[$k]:-}"
done
exit $status
