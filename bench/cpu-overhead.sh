#!/usr/bin/env bash
# cpu-overhead.sh: runs bench/cpu-burn (single-threaded, ~3.5 s of CPU) plain
# (best of 3), under `perf record -F 999` without call graphs (perf's
# cheapest sampling: no stacks), under
# `perf record -F 999 -g` (its `perf report` included, as in DESIGN.md's
# figure), under gperftools' CPU profiler at 1000 Hz, with the floor of an
# in-process sampler preloaded (scorch's counter and an empty signal
# handler, bench/preload/sample-floor.c) and under `scorch record -F 999`,
# and prints wall and CPU time, slowdowns vs plain, samples and delivered
# sample rate for each, and scorch/perf ratios; then paired rounds of plain,
# floor and scorch.
#
# Usage: bench/cpu-overhead.sh      (from anywhere; temp files go to
# bench/out/cpu-overhead/). Environment: SCORCH (default build/scorch),
# CPU_BURN (the benchmark binary, default build/bench/cpu-burn), BURN_ARGS
# (its arguments, default none: 32 rounds), PAIRS (paired rounds after the
# table, default 10; 0: none), PAIR_TOOLS (the rows run with plain in each
# round, default "floor scorch"), PLAIN_RUNS (default 3), TOOL_RUNS
# (best of N for each profiler, default 3: the 3% target is inside one run's
# noise here), HZ (default 999; gperftools gets 1000, the nearest it takes),
# LIBPROFILER (path of gperftools' libprofiler.so.0), SCORCH_RECORD_ARGS
# (extra options before `--`), SCORCH_SAMPLES_JQ (jq filter giving the sample
# count from `scorch report --json`).
set -u

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${BUILD:-$ROOT/build}
BIN=${CPU_BURN:-$BUILD/bench/cpu-burn}
SCORCH=${SCORCH:-$BUILD/scorch}
PLAIN_RUNS=${PLAIN_RUNS:-3}
TOOL_RUNS=${TOOL_RUNS:-3}
HZ=${HZ:-999}
GPERF_HZ=$(( (HZ + 5) / 10 * 10 ))
read -r -a BURN_ARGV <<<"${BURN_ARGS:-}"
OUT=$ROOT/bench/out/cpu-overhead
mkdir -p "$OUT"

# The total samples over every profile of the run: .cpu.totals.all_samples
# (samples before any report filter) of each profile in `scorch report --json`.
SCORCH_SAMPLES_JQ=${SCORCH_SAMPLES_JQ:-'[.profiles[]?.cpu | select(. != null)
	| (.totals.all_samples // .totals.samples // empty)] | add // empty'}

say() { printf '%s\n' "$*" >&2; }

if [ ! -x "$BIN" ]; then
	say "cpu-overhead.sh: $BIN missing; building it"
	make -C "$ROOT" --no-print-directory BUILD="$BUILD" "$BIN" >&2 || {
		say "cpu-overhead.sh: cannot build $BIN; run 'make $BIN' and see why"
		exit 1
	}
fi

# apt_install PKG...: installs Debian packages when we are root (or have
# password-less sudo); refreshes the package lists once if the first try fails.
apt_install() {
	local sudo=()
	if [ "$(id -u)" != 0 ]; then
		command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null || return 1
		sudo=(sudo -n)
	fi
	say "cpu-overhead.sh: installing $*"
	"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null 2>&1 && return 0
	"${sudo[@]}" apt-get update -qq >/dev/null 2>&1
	"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null 2>&1
}

find_libprofiler() {
	local p
	for p in "${LIBPROFILER:-}" /usr/lib/x86_64-linux-gnu/libprofiler.so.0 \
		"$(ldconfig -p 2>/dev/null | awk '/libprofiler\.so\.0 / { print $NF; exit }')"; do
		if [ -n "$p" ] && [ -f "$p" ]; then
			printf '%s\n' "$p"
			return 0
		fi
	done
	return 1
}

LIBPROFILER=$(find_libprofiler)
if [ -z "$LIBPROFILER" ] || ! command -v google-pprof >/dev/null 2>&1; then
	apt_install libgoogle-perftools4 google-perftools
	LIBPROFILER=$(find_libprofiler)
fi

# run_measured TIMES STDOUT STDERR cmd...: runs cmd; writes "wall_s user_s
# sys_s" to TIMES (bash's time keyword: user and system time of cmd and every
# descendant it waited for); returns cmd's exit status.
run_measured() {
	local tf=$1 so=$2 se=$3
	shift 3
	# shellcheck disable=SC2034 # read by the time keyword
	local TIMEFORMAT='%3R %3U %3S'
	{ time "$@" >"$so" 2>"$se"; } 2>"$tf"
}

declare -A WALL CPU TCPU SAMPLES STATUS
ROWS=()

result_line() { grep -m 1 '^cpu-burn: checksum=' "$1"; }
# The benchmark's own process CPU time: the denominator of the delivered rate.
target_cpu() { sed -n 's/^cpu-burn: cpu_s=//p' "$1" | head -n 1; }
main_wall() { sed -n 's/^cpu-burn: main_s=//p' "$1" | head -n 1; }

# One function per row, run inside that row's scratch directory.
cmd_plain() { "$BIN" "${BURN_ARGV[@]}"; }
# perf: record, then the report a user would read, timed together.
cmd_perf() {
	perf record -e cpu-clock -F "$HZ" -g -o perf.data -- "$BIN" "${BURN_ARGV[@]}" &&
		perf report -i perf.data --stdio --no-children --sort sym >report.txt
}
# timer: perf's cheapest sampling, an overflow interrupt and a small record
# in its ring buffer at each sample (perf record without call graphs, no
# report): what sampling costs before any stack is taken, perf's way.
cmd_timer() {
	perf record -q -e cpu-clock -F "$HZ" -o perf.data -- "$BIN" "${BURN_ARGV[@]}"
}
# gperftools: setitimer(ITIMER_PROF) + SIGPROF inside the process; it writes
# raw addresses at exit and leaves symbolization to pprof (not timed here).
cmd_gperftools() {
	env LD_PRELOAD="$LIBPROFILER" CPUPROFILE=gperf.prof CPUPROFILE_FREQUENCY="$GPERF_HZ" \
		"$BIN" "${BURN_ARGV[@]}"
}
# floor: a preloaded library that opens scorch's counter on the program's
# thread with an empty SIGTRAP handler (bench/preload/sample-floor.c): the
# timer interrupt and the signal, what any in-process sampler pays here.
FLOOR_LIB=${FLOOR_LIB:-$BUILD/bench/libsample-floor.so}
cmd_floor() {
	env LD_PRELOAD="$FLOOR_LIB" SAMPLE_FLOOR_HZ="$HZ" "$BIN" "${BURN_ARGV[@]}"
}
# scorch: the launcher finalizes the profile before it exits, so its wall time
# includes that.
cmd_scorch() {
	# shellcheck disable=SC2086 # SCORCH_RECORD_ARGS is a word list on purpose
	"$SCORCH" record -F "$HZ" ${SCORCH_RECORD_ARGS:-} -- "$BIN" "${BURN_ARGV[@]}"
}

# run_once LABEL: one run of cmd_LABEL in a fresh OUT/LABEL.d.try; keeps its
# figures and directory (as OUT/LABEL.d) when its wall time is the best yet.
run_once() {
	local label=$1 dir=$OUT/$1.d w u s
	rm -rf "$dir.try" && mkdir -p "$dir.try"
	if ! (cd "$dir.try" && run_measured "$OUT/$label.times" stdout stderr "cmd_$label"); then
		rm -rf "$dir" && mv "$dir.try" "$dir"
		STATUS[$label]="failed (see bench/out/cpu-overhead/$label.d/stderr)"
		return 1
	fi
	# Profilers print their own chatter too: compare the result line only.
	if [ -s "$OUT/expected.stdout" ] && [ "$(result_line "$dir.try/stdout")" != "$(cat "$OUT/expected.stdout")" ]; then
		rm -rf "$dir" && mv "$dir.try" "$dir"
		STATUS[$label]="result line differs from plain run (see bench/out/cpu-overhead/$label.d/stdout)"
		return 1
	fi
	read -r w u s <"$OUT/$label.times"
	if [ -z "${WALL[$label]:-}" ] || awk -v a="$w" -v b="${WALL[$label]}" 'BEGIN { exit !(a < b) }'; then
		rm -rf "$dir" && mv "$dir.try" "$dir"
		WALL[$label]=$w
		CPU[$label]=$(awk -v u="$u" -v s="$s" 'BEGIN { printf "%.2f", u + s }')
		TCPU[$label]=$(target_cpu "$dir/stdout")
	fi
	rm -rf "$dir.try"
	STATUS[$label]=ok
}

ROWS=(plain timer floor perf gperftools scorch)
if [ ! -f "$FLOOR_LIB" ]; then
	make -C "$ROOT" --no-print-directory BUILD="$BUILD" "$FLOOR_LIB" >&2 ||
		STATUS[floor]="cannot build $FLOOR_LIB"
fi
command -v perf >/dev/null 2>&1 || STATUS[perf]="not installed"
command -v perf >/dev/null 2>&1 || STATUS[timer]="perf not installed"
[ -n "$LIBPROFILER" ] || STATUS[gperftools]="not installed (Debian package libgoogle-perftools4)"
if [ ! -x "$SCORCH" ] || ! "$SCORCH" record --help >/dev/null 2>&1; then
	STATUS[scorch]="scorch record: not available"
fi

# Rounds interleave the rows, so a slow spell of a shared machine hits them
# all rather than one; each row keeps its best run.
rm -f "$OUT/expected.stdout"
rounds=$(( PLAIN_RUNS > TOOL_RUNS ? PLAIN_RUNS : TOOL_RUNS ))
for ((round = 1; round <= rounds; round++)); do
	for r in "${ROWS[@]}"; do
		[ -z "${STATUS[$r]:-}" ] || [ "${STATUS[$r]}" = ok ] || continue
		if [ "$r" = plain ]; then
			((round <= PLAIN_RUNS)) || continue
		else
			((round <= TOOL_RUNS)) || continue
		fi
		say "cpu-overhead.sh: round $round/$rounds: $r"
		run_once "$r"
		if [ "$r" = plain ] && [ ! -s "$OUT/expected.stdout" ]; then
			[ "${STATUS[plain]}" = ok ] || { say "cpu-overhead.sh: plain run failed: ${STATUS[plain]}"; exit 1; }
			result_line "$OUT/plain.d/stdout" >"$OUT/expected.stdout"
		fi
	done
done

# Sample counts, from the best run of each profiler.
for r in perf timer; do
	[ "${STATUS[$r]:-}" = ok ] || continue
	# One line per sample when no callchain fields are asked for.
	SAMPLES[$r]=$(perf script -i "$OUT/$r.d/perf.data" -F tid 2>/dev/null | wc -l)
done
if [ "${STATUS[floor]:-}" = ok ]; then
	SAMPLES[floor]=$(sed -n 's/^sample-floor: \([0-9]*\) signals$/\1/p' "$OUT/floor.d/stderr" | head -n 1)
fi
if [ "${STATUS[gperftools]:-}" = ok ]; then
	if command -v google-pprof >/dev/null 2>&1; then
		SAMPLES[gperftools]=$(google-pprof --text "$BIN" "$OUT/gperftools.d/gperf.prof" 2>/dev/null |
			awk '/^Total: [0-9]+ samples/ { print $2; exit }')
	fi
	# Without pprof: its exit line "PROFILE: interrupts/evictions/bytes = N/..."
	if [ -z "${SAMPLES[gperftools]:-}" ]; then
		SAMPLES[gperftools]=$(sed -n 's|^PROFILE: interrupts/evictions/bytes = \([0-9]*\)/.*|\1|p' \
			"$OUT/gperftools.d/stderr" | head -n 1)
	fi
fi
if [ "${STATUS[scorch]:-}" = ok ]; then
	prof=$(find "$OUT/scorch.d" -maxdepth 1 -name '*.scorch' | head -n 1)
	if [ -z "$prof" ]; then
		STATUS[scorch]="ran, but left no *.scorch file in bench/out/cpu-overhead/scorch.d"
	elif command -v jq >/dev/null 2>&1; then
		SAMPLES[scorch]=$("$SCORCH" report --json "$prof" 2>"$OUT/scorch.d/report.stderr" |
			jq -r "$SCORCH_SAMPLES_JQ" 2>/dev/null | head -n 1)
		[ -n "${SAMPLES[scorch]}" ] || say "cpu-overhead.sh: no sample count in 'scorch report --json $prof' (see SCORCH_SAMPLES_JQ)"
	else
		say "cpu-overhead.sh: jq not installed: no scorch sample count"
	fi
fi

# --- report ---------------------------------------------------------------
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a == "-" || b == "-" || a == "" || b == "" || b + 0 == 0) print "-"; else printf "%.3f", a / b }'; }
rate() { awk -v n="$1" -v t="$2" 'BEGIN { if (n == "" || t == "" || t + 0 == 0) print "-"; else printf "%.0f", n / t }'; }
pct() { awk -v a="$1" -v b="$2" 'BEGIN { if (a == "-" || a == "") print "-"; else printf "%.1f%%", 100 * a / b }'; }

declare -A HZ_OF
asked_of() { if [ "$1" = gperftools ]; then echo "$GPERF_HZ"; else echo "$HZ"; fi; }

printf '\n%s\n' "$(cat "$OUT/expected.stdout")"
printf 'binary: %s   cpus: %s   load before: %s\n\n' "$BIN" "$(nproc)" "$(cut -d' ' -f1-3 /proc/loadavg)"
printf '%-11s %7s %7s %7s %7s %8s %9s %8s %7s  %s\n' run 'wall s' 'x plain' 'cpu s' 'x plain' samples 'target s' 'rate Hz' 'of ask' status
for r in "${ROWS[@]}"; do
	if [ -z "${WALL[$r]:-}" ]; then
		printf '%-11s %s\n' "$r" "${STATUS[$r]:-not run}"
		continue
	fi
	HZ_OF[$r]=$(rate "${SAMPLES[$r]:-}" "${TCPU[$r]:-}")
	of_ask=-
	[ "$r" = plain ] || of_ask=$(pct "${HZ_OF[$r]}" "$(asked_of "$r")")
	printf '%-11s %7s %7s %7s %7s %8s %9s %8s %7s  %s\n' "$r" "${WALL[$r]}" \
		"$(ratio "${WALL[$r]}" "${WALL[plain]}")" "${CPU[$r]}" \
		"$(ratio "${CPU[$r]}" "${CPU[plain]}")" "${SAMPLES[$r]:--}" "${TCPU[$r]:--}" \
		"${HZ_OF[$r]}" "$of_ask" "${STATUS[$r]:-}"
done

if [ -n "${WALL[scorch]:-}" ] && [ -n "${WALL[perf]:-}" ]; then
	printf '\nscorch / perf:  wall %s   cpu %s   delivered rate %s   (wall, cpu: below 1 = scorch cheaper)\n' \
		"$(ratio "${WALL[scorch]}" "${WALL[perf]}")" "$(ratio "${CPU[scorch]}" "${CPU[perf]}")" \
		"$(ratio "${HZ_OF[scorch]}" "${HZ_OF[perf]}")"
	awk -v w="${WALL[scorch]}" -v p="${WALL[plain]}" -v hz="${HZ_OF[scorch]}" -v ask="$HZ" 'BEGIN {
		over = 100 * (w / p - 1); got = (hz == "-") ? -1 : 100 * hz / ask
		printf "issue 3 target, best runs: wall %+.1f%% (at most +3%%), rate %s of asked (at least 97%%): %s\n",
			over, (got < 0) ? "-" : sprintf("%.1f%%", got),
			(over <= 3 && got >= 97) ? "met" : "NOT met" }'
else
	printf '\nscorch / perf:  - (needs both rows)\n'
fi
if [ -n "${TCPU[scorch]:-}" ] && [ -n "${TCPU[timer]:-}" ] && [ -n "${TCPU[plain]:-}" ]; then
	awk -v s="${TCPU[scorch]}" -v t="${TCPU[timer]}" -v p="${TCPU[plain]}" 'BEGIN {
		printf "the program'"'"'s own CPU time (target s) against plain: perf without call graphs %+.1f%%,\n", 100 * (t / p - 1)
		printf "  scorch with full stacks %+.1f%%\n", 100 * (s / p - 1) }'
fi

# Paired runs: plain and each of PAIR_TOOLS (default: floor and scorch) back
# to back, PAIRS times, the order rotating; the median of the per-round
# ratios does not hinge on one lucky plain run the way a best-of-N does, and
# a slow spell of the machine hits every run of a round.
read -r -a PT <<<"${PAIR_TOOLS:-${PAIR_TOOL:-floor scorch}}"
PT_OK=()
for t in "${PT[@]}"; do
	[ "${STATUS[$t]:-}" = ok ] && PT_OK+=("$t")
done
if [ "${PAIRS:-10}" -gt 0 ] && [ "${#PT_OK[@]}" -gt 0 ] && [ "${STATUS[plain]:-}" = ok ]; then
	run_rows=(plain "${PT_OK[@]}")
	n=${#run_rows[@]}
	for t in "${run_rows[@]}"; do : >"$OUT/pairs.$t"; done
	for ((i = 1; i <= ${PAIRS:-10}; i++)); do
		say "cpu-overhead.sh: paired round $i/${PAIRS:-10}"
		for ((k = 0; k < n; k++)); do
			r=${run_rows[$(( (k + i) % n ))]}
			rm -rf "$OUT/pair.d" && mkdir -p "$OUT/pair.d"
			(cd "$OUT/pair.d" && run_measured "$OUT/pair.times" stdout stderr "cmd_$r") || true
			read -r w _ <"$OUT/pair.times"
			# wall, the program's CPU time, its main's wall time
			echo "$w $(target_cpu "$OUT/pair.d/stdout") $(main_wall "$OUT/pair.d/stdout")" >>"$OUT/pairs.$r"
		done
	done
	# stats COLUMN-EXPR FILE-A FILE-B: median, quartiles and range of the
	# per-round ratio b / a of one measure
	stats() {
		paste -d' ' "$2" "$3" | awk -v c="$1" '{ n = split($0, f, " "); h = n / 2
			if (c == "wall") { a = f[1]; b = f[h + 1] } else { a = f[2]; b = f[h + 2] }
			if (a > 0 && b > 0) printf "%.6f\n", b / a }' | sort -g | awk '{ r[NR] = $1 } END {
			n = NR; if (!n) { print "-"; exit }
			med = (n % 2) ? r[(n + 1) / 2] : (r[n / 2] + r[n / 2 + 1]) / 2
			q1 = r[int((n + 3) / 4)]; q3 = r[int((3 * n + 1) / 4)]
			printf "median %.3f (%+.1f%%), quartiles %.3f-%.3f, all %.3f-%.3f\n", med, 100 * (med - 1), q1, q3, r[1], r[n] }'
	}
	# the median of the whole command's wall time minus the program's main:
	# exec and exit for plain; for a profiler also its launcher, the
	# program's start under it and its post-processing
	outside() { awk '$3 != "" { print ($1 - $3) * 1000 }' "$1" | sort -g | awk '{ r[NR] = $1 } END {
		if (!NR) print "-"; else printf "%.1f", (NR % 2) ? r[(NR + 1) / 2] : (r[NR / 2] + r[NR / 2 + 1]) / 2 }'; }
	printf '\npaired (%d rounds of %s back to back, order rotating), per-round ratios:\n' \
		"$(wc -l <"$OUT/pairs.plain")" "${run_rows[*]}"
	for t in "${PT_OK[@]}"; do
		printf '  %-6s / plain  wall time : %s\n' "$t" "$(stats wall "$OUT/pairs.plain" "$OUT/pairs.$t")"
		printf '  %-6s / plain  its CPU   : %s\n' "$t" "$(stats cpu "$OUT/pairs.plain" "$OUT/pairs.$t")"
	done
	if [ -s "$OUT/pairs.floor" ] && [ -s "$OUT/pairs.scorch" ]; then
		printf '  scorch / floor  wall time : %s\n' "$(stats wall "$OUT/pairs.floor" "$OUT/pairs.scorch")"
		printf '  scorch / floor  its CPU   : %s\n' "$(stats cpu "$OUT/pairs.floor" "$OUT/pairs.scorch")"
	fi
	printf '  outside main, ms (median):'
	for t in "${run_rows[@]}"; do printf ' %s %s' "$t" "$(outside "$OUT/pairs.$t")"; done
	printf '\n'
	if [ -s "$OUT/pairs.scorch" ]; then
		stats wall "$OUT/pairs.plain" "$OUT/pairs.scorch" | awk -v hz="${HZ_OF[scorch]:--}" -v ask="$HZ" '{
			med = $2; got = (hz == "-") ? -1 : 100 * hz / ask
			printf "issue 3 target, paired median: wall %+.1f%% (at most +3%%), rate %s of asked (at least 97%%): %s\n",
				100 * (med - 1), (got < 0) ? "-" : sprintf("%.1f%%", got),
				(med <= 1.03 && got >= 97) ? "met" : "NOT met" }'
	fi
fi

printf '\nnotes: wall and cpu are the whole command: for perf, perf record and perf report\n'
printf '(its post-processing); for scorch, the launcher and its finalize step; gperftools\n'
printf 'writes raw addresses and its pprof step is not timed. The rate is samples divided\n'
printf 'by the benchmark'"'"'s own process CPU time (target s) in that run. Asked: %s Hz,\n' "$HZ"
printf 'gperftools %s Hz. Best of %s plain and %s profiled runs, in interleaved rounds.\n' \
	"$GPERF_HZ" "$PLAIN_RUNS" "$TOOL_RUNS"
