#!/usr/bin/env bash
# cpu-cost.sh: what one CPU sample costs the profiled program, measured so
# that this machine's run-to-run noise (several percent) cannot hide it.
#
# bench/cpu-burn runs under `scorch record -F HZ`, `perf record -F HZ -g`
# and the floor of in-process sampling (bench/preload/sample-floor.c:
# scorch's counter and signal with an empty handler, preloaded)
# at several rates (default 99, 999, 4999, 9999 Hz), interleaved, REPS times
# each. The benchmark prints its own CPU time, split by getrusage into user
# and system time. Over all runs of one profiler, a least-squares line of
# that CPU time against the number of samples taken has the cost of one sample
# as its slope: what the interrupt, the signal and the handler (scorch) or the
# interrupt and the in-kernel unwind (perf) add to the program's own CPU time.
# At 9999 Hz the samples add tens of times the noise, so the slope is sharp
# where a single 999 Hz run against a plain run is not.
#
# Then the fixed cost of a run: the wall time of `scorch record -- true`
# (launch, clock calibration, the runtime's start, finalize, the profile
# written) against a plain `true`, median of FIXED_RUNS.
#
# Prints, per profiler, the cost of a sample in microseconds (user, system,
# total, with the fit's standard error), the share of CPU time that costs at
# 999 Hz, and for scorch the fixed cost; then the expected wall overhead of a
# single-threaded CPU-bound program of PROG_S seconds at 999 Hz.
#
# Usage: bench/cpu-cost.sh     Environment: SCORCH, CPU_BURN, ROUNDS
# (cpu-burn rounds per run, default 12: about 1.3 s), RATES, REPS (default 3),
# FIXED_RUNS (default 21), PROG_S (default 10), TOOLS (default
# "floor scorch perf").
set -u

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${BUILD:-$ROOT/build}
BIN=${CPU_BURN:-$BUILD/bench/cpu-burn}
SCORCH=${SCORCH:-$BUILD/scorch}
ROUNDS=${ROUNDS:-12}
RATES=${RATES:-99 999 4999 9999}
REPS=${REPS:-3}
FIXED_RUNS=${FIXED_RUNS:-21}
PROG_S=${PROG_S:-10}
TOOLS=${TOOLS:-floor scorch perf}
FLOOR_LIB=${FLOOR_LIB:-$BUILD/bench/libsample-floor.so}
OUT=$ROOT/bench/out/cpu-cost
rm -rf "$OUT"
mkdir -p "$OUT"

say() { printf '%s\n' "$*" >&2; }

if [ ! -x "$BIN" ]; then
	make -C "$ROOT" --no-print-directory BUILD="$BUILD" "$BIN" >&2 || {
		say "cpu-cost.sh: cannot build $BIN"
		exit 1
	}
fi
[ -x "$SCORCH" ] || { say "cpu-cost.sh: $SCORCH missing (run make)"; exit 1; }
if [[ " $TOOLS " == *" floor "* ]] && [ ! -f "$FLOOR_LIB" ]; then
	make -C "$ROOT" --no-print-directory BUILD="$BUILD" "$FLOOR_LIB" >&2 || TOOLS=${TOOLS//floor/}
fi
if ! command -v perf >/dev/null 2>&1; then
	say "cpu-cost.sh: perf not installed; measuring scorch only"
	TOOLS=${TOOLS//perf/}
fi

# figures FILE: "cpu user sys" from cpu-burn's output
figures() {
	awk '/^cpu-burn: cpu_s=/ { sub(/.*=/, ""); c = $0 }
	     /^cpu-burn: user_s=/ { split($2, u, "="); split($3, s, "="); us = u[2]; sy = s[2] }
	     END { if (c == "" || us == "") exit 1; print c, us, sy }' "$1"
}

# run TOOL HZ: one run in a scratch directory; appends "tool hz samples cpu
# user sys" to OUT/points
run() {
	local tool=$1 hz=$2 d=$OUT/run n f
	rm -rf "$d" && mkdir -p "$d"
	case $tool in
	plain)
		(cd "$d" && "$BIN" "$ROUNDS" >stdout 2>stderr) || return 1
		n=0 ;;
	scorch)
		(cd "$d" && "$SCORCH" record -F "$hz" -o p.scorch -- "$BIN" "$ROUNDS" >stdout 2>stderr) || return 1
		n=$("$SCORCH" report --json "$d/p.scorch" | jq '[.profiles[].cpu.totals.all_samples] | add') ;;
	perf)
		(cd "$d" && perf record -q -e cpu-clock -F "$hz" -g -o perf.data -- "$BIN" "$ROUNDS" >stdout 2>stderr) || return 1
		n=$(cd "$d" && perf script -F tid 2>/dev/null | wc -l) ;;
	floor)
		(cd "$d" && env LD_PRELOAD="$FLOOR_LIB" SAMPLE_FLOOR_HZ="$hz" "$BIN" "$ROUNDS" >stdout 2>stderr) || return 1
		n=$(sed -n 's/^sample-floor: \([0-9]*\) signals$/\1/p' "$d/stderr" | head -n 1) ;;
	esac
	f=$(figures "$d/stdout") || return 1
	echo "$tool $hz $n $f" >>"$OUT/points"
}

say "cpu-cost.sh: $REPS x (plain + $(wc -w <<<"$TOOLS") profilers x rates $RATES), cpu-burn $ROUNDS rounds"
for ((r = 1; r <= REPS; r++)); do
	run plain 0 || { say "cpu-cost.sh: plain run failed"; exit 1; }
	for hz in $RATES; do
		for tool in $TOOLS; do
			run "$tool" "$hz" || say "cpu-cost.sh: $tool at $hz Hz failed (see $OUT/run)"
		done
	done
done

# fixed cost: scorch record -- true against true, median of FIXED_RUNS each
median() { sort -g | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
wall_of() { # cmd... -> seconds
	local t0 t1
	t0=$(date +%s%N)
	"$@" >/dev/null 2>&1
	t1=$(date +%s%N)
	awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.6f\n", (b - a) / 1e9 }'
}
: >"$OUT/fixed"
for ((i = 0; i < FIXED_RUNS; i++)); do
	p=$(wall_of /bin/true)
	s=$(wall_of "$SCORCH" record -o "$OUT/true.scorch" -- /bin/true)
	echo "$p $s" >>"$OUT/fixed"
done
fixed_plain=$(awk '{ print $1 }' "$OUT/fixed" | median)
fixed_scorch=$(awk '{ print $2 }' "$OUT/fixed" | median)

# least squares of y on x over one tool's points (the plain runs stay out:
# a profiler's start-up inside the process would tilt the line)
fit() { # tool column -> "slope_us stderr_us"
	awk -v t="$1" -v c="$2" '$1 == t { n++; x = $3; y = $c; sx += x; sy += y; sxx += x * x; sxy += x * y; X[n] = x; Y[n] = y }
	END {
		d = n * sxx - sx * sx
		if (n < 3 || d == 0) { print "nan nan"; exit }
		b = (n * sxy - sx * sy) / d; a = (sy - b * sx) / n
		for (i = 1; i <= n; i++) { e = Y[i] - a - b * X[i]; ss += e * e }
		se = sqrt(ss / (n - 2) / (sxx - sx * sx / n))
		printf "%.2f %.2f\n", b * 1e6, se * 1e6
	}' "$OUT/points"
}

echo "cost of one sample to the profiled program (cpu-burn, $REPS runs per rate: $RATES Hz)"
printf '%-8s %9s %9s %9s %11s %14s\n' tool "user us" "sys us" "total us" "+- (1 se)" "CPU at 999 Hz"
for tool in $TOOLS; do
	read -r u _ < <(fit "$tool" 5)
	read -r s _ < <(fit "$tool" 6)
	read -r c se < <(fit "$tool" 4)
	printf '%-8s %9s %9s %9s %11s %13.2f%%\n' "$tool" "$u" "$s" "$c" "$se" "$(awk -v c="$c" 'BEGIN { print c * 999 / 1e4 }')"
done
echo
awk -v p="$fixed_plain" -v s="$fixed_scorch" -v n="$FIXED_RUNS" 'BEGIN {
	printf "fixed cost of a scorch run: %.1f ms (record -- true %.1f ms, true %.1f ms; median of %d)\n", (s - p) * 1e3, s * 1e3, p * 1e3, n }'
if [[ " $TOOLS " == *" scorch "* ]]; then
	read -r c _ < <(fit scorch 4)
	awk -v c="$c" -v f="$fixed_scorch" -v p="$fixed_plain" -v T="$PROG_S" 'BEGIN {
		per = c * 999 / 1e6; fx = (f - p) / T
		printf "expected wall overhead at 999 Hz, single-threaded CPU-bound, %g s: %.2f%% (samples %.2f%% + fixed %.2f%%)\n", T, (per + fx) * 100, per * 100, fx * 100 }'
fi
say "cpu-cost.sh: points in $OUT/points (tool hz samples cpu_s user_s sys_s)"
