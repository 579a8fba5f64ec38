#!/usr/bin/env bash
# heap-scale.sh: heap profiling cost by program shape (issue 12). Runs
# bench/storm-shapes on the main thread, on one worker thread and on 4
# threads at once, each with random and with periodic sizes and lifetimes,
# and two real programs (a Python one-liner and a sqlite3 script), each
# plain (best of PLAIN_RUNS), under heaptrack and under `scorch heap`; prints
# per row wall and CPU time, the time until the program ended and the time
# after (the profiler's own work once the program is gone), the peak RSS of
# the run and of the program, the profile's bytes, and scorch/plain and
# scorch/heaptrack ratios.
#
# "after exit": bench/preload/endstamp.c, preloaded into every run, writes
# the wall-clock time at which the program's exit began (a destructor) and
# its own peak RSS; the script subtracts that from the time the profiler's
# command returned. "peak RSS run" is wait4's maxrss: the largest single
# process of the run (the program, scorch's launcher, heaptrack's
# interpreter or compressor), so the tool's own figure whenever it is above
# the program's (column "prog RSS").
#
# Usage: bench/heap-scale.sh         (from anywhere)
# Environment:
#   BUILD             build dir (default build); SCORCH, STORM (the
#                     storm-shapes binary), ENDSTAMP_LIB default from it
#   SCALE_ALLOCS      allocations per storm (default 10000000)
#   SCALE_ITERATIONS  iterations per storm (default 2000000)
#   SCALE_SHAPES      default "main worker threads4"
#   SCALE_SIZES       default "random periodic"
#   SCALE_REAL        real programs: "python sqlite" (default), "" for none
#   SCALE_PY_LOOPS    json.dumps calls of the Python row (default 20000)
#   SCALE_SQL_ROWS    rows of the sqlite3 row's table (default 100000)
#   PLAIN_RUNS        best of N for plain (default 3); TOOL_RUNS the same
#                     for each profiler (default 1; above 1 the RSS of
#                     every run is listed after the table)
#   SCALE_TOOLS       default "heaptrack scorch"
#   BENCH_OUT         where runs and profiles go (default bench/out/heap-scale)
# A quick run (< 2 min on 2 cores): SCALE_ALLOCS=1000000 SCALE_ITERATIONS=200000
# SCALE_PY_LOOPS=5000 SCALE_SQL_ROWS=20000 PLAIN_RUNS=1 bench/heap-scale.sh
set -u

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${BUILD:-$ROOT/build}
case $BUILD in /*) ;; *) BUILD=$ROOT/$BUILD ;; esac
SCORCH=${SCORCH:-$BUILD/scorch}
STORM=${STORM:-$BUILD/bench/storm-shapes}
ENDSTAMP_LIB=${ENDSTAMP_LIB:-$BUILD/bench/libendstamp.so}
SCALE_ALLOCS=${SCALE_ALLOCS:-10000000}
SCALE_ITERATIONS=${SCALE_ITERATIONS:-2000000}
SCALE_SHAPES=${SCALE_SHAPES-main worker threads4}
SCALE_SIZES=${SCALE_SIZES-random periodic}
SCALE_REAL=${SCALE_REAL-python sqlite}
SCALE_PY_LOOPS=${SCALE_PY_LOOPS:-20000}
SCALE_SQL_ROWS=${SCALE_SQL_ROWS:-100000}
PLAIN_RUNS=${PLAIN_RUNS:-3}
TOOL_RUNS=${TOOL_RUNS:-1}
SCALE_TOOLS=${SCALE_TOOLS-heaptrack scorch}
OUT=${BENCH_OUT:-$ROOT/bench/out/heap-scale}
mkdir -p "$OUT" || exit 1
OUT=$(cd "$OUT" && pwd)

. "$ROOT/bench/lib.sh"

bench_ensure_built "$STORM" || exit 1
bench_ensure_built "$ENDSTAMP_LIB" || exit 1
bench_timer_setup "$OUT"
STORM=$(readlink -f "$STORM")
[ -x "$SCORCH" ] || { say "heap-scale.sh: $SCORCH not built (make BUILD=$BUILD all)"; exit 1; }

# heaptrack and sqlite3 are Debian packages (scripts/install-deps.sh has
# both); install the missing one when we may.
install_pkg() {
	local pkg=$1
	command -v "$pkg" >/dev/null 2>&1 && return 0
	if [ "$(id -u)" = 0 ]; then
		say "heap-scale.sh: installing package '$pkg'"
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$pkg" >/dev/null 2>&1
	elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
		say "heap-scale.sh: installing package '$pkg'"
		sudo -n env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$pkg" >/dev/null 2>&1
	fi
	command -v "$pkg" >/dev/null 2>&1
}
case " $SCALE_TOOLS " in *" heaptrack "*) install_pkg heaptrack || say "heap-scale.sh: heaptrack not installed: its rows are skipped" ;; esac

# --- one workload: plain, heaptrack, scorch ------------------------------
# Per workload and run (plain, heaptrack, scorch): the best run's figures.
declare -A WALL CPU RUNT AFTER RSS PRSS SIZE STATUS RSSALL
WORKLOADS=()

# measure_one LABEL RUN EXE STDIN RESULT_RE cmd...: one run into
# $OUT/LABEL/RUN.*; sets the globals M_WALL M_CPU M_RUNT M_AFTER M_RSS
# M_PRSS M_SIZE M_RC.
measure_one() {
	local label=$1 run=$2 exe=$3 stdin=$4
	shift 5
	local dir=$OUT/$label/$run.d base=$OUT/$label/$run w rc t0 t1 u s m end hwm f
	rm -rf "$dir" && mkdir -p "$dir"
	rm -f "$base.end"
	read -r w rc t0 t1 < <(cd "$dir" && export BENCH_ENDSTAMP="$base.end" BENCH_ENDSTAMP_EXE="$exe" \
		LD_PRELOAD="$ENDSTAMP_LIB${LD_PRELOAD:+:$LD_PRELOAD}" &&
		run_measured "$base.rusage" "$base.stdout" "$base.stderr" "$@" <"$stdin")
	M_WALL=$w M_RC=$rc M_CPU=- M_RSS=- M_RUNT=- M_AFTER=- M_PRSS=- M_SIZE=-
	read -r u s m <"$base.rusage"
	if [ "$u" != - ]; then
		M_CPU=$(awk -v u="$u" -v s="$s" 'BEGIN { printf "%.2f", u + s }')
		M_RSS=$(awk -v m="$m" 'BEGIN { printf "%.1f", m / 1024 }')
	fi
	# the last process of the program to end (one here: no forks)
	if [ -s "$base.end" ]; then
		read -r _ _ end hwm < <(tail -n 1 "$base.end")
		M_RUNT=$(awk -v a="$t0" -v e="$end" 'BEGIN { printf "%.3f", (e - a) / 1e9 }')
		M_AFTER=$(awk -v b="$t1" -v e="$end" 'BEGIN { printf "%.3f", (b - e) / 1e9 }')
		M_PRSS=$(awk -v m="$hwm" 'BEGIN { printf "%.1f", m / 1024 }')
	fi
	# shellcheck disable=SC2012 # our own file names
	f=$(ls "$dir"/profile* 2>/dev/null | head -n 1)
	[ -n "$f" ] && M_SIZE=$(stat -c %s "$f")
	return 0
}

result_of() { # FILE RE: the program's result lines (the tools add chatter)
	if [ -n "$2" ]; then grep -E "$2" "$1"; else echo "(no result line)"; fi
}

# workload LABEL EXE STDIN RESULT_RE cmd...: EXE is the real path of the
# program's binary (the one endstamp reports for), STDIN its input.
workload() {
	local label=$1 exe=$2 stdin=$3 re=$4 run n i best
	shift 4
	WORKLOADS+=("$label")
	mkdir -p "$OUT/$label"
	printf '%s\n' "$*" >"$OUT/$label/command"
	for run in plain $SCALE_TOOLS; do
		local cmd=("$@")
		case $run in
		plain) n=$PLAIN_RUNS ;;
		heaptrack)
			n=$TOOL_RUNS
			command -v heaptrack >/dev/null 2>&1 || { STATUS[$label/$run]="not installed"; continue; }
			cmd=(heaptrack -o profile "$@")
			;;
		scorch)
			n=$TOOL_RUNS
			cmd=("$SCORCH" heap -o profile.scorch -- "$@")
			;;
		*) say "heap-scale.sh: unknown tool '$run' in SCALE_TOOLS"; exit 2 ;;
		esac
		say "heap-scale.sh: $label: $run (best of $n)"
		best=
		for ((i = 1; i <= n; i++)); do
			measure_one "$label" "$run" "$exe" "$stdin" "$re" "${cmd[@]}"
			RSSALL[$label/$run]="${RSSALL[$label/$run]:-}${RSSALL[$label/$run]:+ }$M_RSS"
			if [ "$M_RC" != 0 ]; then
				STATUS[$label/$run]="failed (exit $M_RC, see $OUT/$label/$run.stderr)"
				WALL[$label/$run]=
				break
			fi
			if [ -z "$best" ] || awk -v a="$M_WALL" -v b="$best" 'BEGIN { exit !(a < b) }'; then
				best=$M_WALL
				WALL[$label/$run]=$M_WALL CPU[$label/$run]=$M_CPU RUNT[$label/$run]=$M_RUNT
				AFTER[$label/$run]=$M_AFTER RSS[$label/$run]=$M_RSS PRSS[$label/$run]=$M_PRSS
				SIZE[$label/$run]=$M_SIZE
				result_of "$OUT/$label/$run.stdout" "$re" >"$OUT/$label/$run.result"
			fi
		done
		[ -z "${WALL[$label/$run]:-}" ] && continue
		if [ "$run" = plain ]; then
			STATUS[$label/$run]=ok
		elif cmp -s "$OUT/$label/$run.result" "$OUT/$label/plain.result"; then
			STATUS[$label/$run]=ok
		else
			STATUS[$label/$run]="result differs from plain (see $OUT/$label/$run.stdout)"
		fi
		if [ "$run" != plain ] && [ "${SIZE[$label/$run]}" = - ]; then
			STATUS[$label/$run]="ran, but left no profile in $OUT/$label/$run.d"
		fi
	done
}

# --- the workloads -------------------------------------------------------
for shape in $SCALE_SHAPES; do
	for sizes in $SCALE_SIZES; do
		workload "$shape/$sizes" "$STORM" /dev/null '^storm-shapes:' "$STORM" --shape="$shape" \
			--sizes="$sizes" --iterations="$SCALE_ITERATIONS" --allocs="$SCALE_ALLOCS"
	done
done

for real in $SCALE_REAL; do
	case $real in
	python)
		# the interpreter itself, not a wrapper script (pyenv's shims are)
		PY=$(python3 -c 'import sys; print(sys.executable)' 2>/dev/null)
		if [ -z "$PY" ]; then
			say "heap-scale.sh: no python3: row skipped"
			continue
		fi
		PY=$(readlink -f "$PY")
		workload python "$PY" /dev/null '' "$PY" -c \
			"import json; [json.dumps({\"a\": list(range(500))}) for _ in range($SCALE_PY_LOOPS)]"
		;;
	sqlite)
		if ! install_pkg sqlite3; then
			say "heap-scale.sh: sqlite3 not installed and not installable: row skipped"
			continue
		fi
		# a table of SCALE_SQL_ROWS rows with text keys, an index, a
		# grouping and a join; every result line starts with "r|"
		cat >"$OUT/workload.sql" <<EOF_SQL
CREATE TABLE t(id INTEGER PRIMARY KEY, name TEXT, grp INTEGER, v REAL);
WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < $SCALE_SQL_ROWS)
INSERT INTO t SELECT x, printf('name-%08x-%d', (x * 2654435761) % 4294967296, x), x % 97, x * 0.5 FROM c;
CREATE INDEX t_name ON t(name);
CREATE TABLE g AS SELECT grp, count(*) AS n, sum(v) AS s, group_concat(substr(name, 6, 4), ',') AS keys FROM t GROUP BY grp;
SELECT 'r', count(*), sum(length(name)) FROM t WHERE name > 'name-8';
SELECT 'r', g.grp, g.n, length(g.keys), count(t.id) FROM g JOIN t ON t.grp = g.grp WHERE g.grp < 5 GROUP BY g.grp ORDER BY g.grp;
SELECT 'r', name FROM t ORDER BY name DESC LIMIT 3;
EOF_SQL
		SQ=$(readlink -f "$(command -v sqlite3)")
		workload sqlite "$SQ" "$OUT/workload.sql" '^r\|' "$SQ" :memory:
		;;
	*) say "heap-scale.sh: unknown real program '$real' in SCALE_REAL (python, sqlite)" ;;
	esac
done

# --- report ----------------------------------------------------------------
printf '\nheap-scale: storms of %s allocations in %s iterations; python %s loops; sqlite %s rows\n' \
	"$SCALE_ALLOCS" "$SCALE_ITERATIONS" "$SCALE_PY_LOOPS" "$SCALE_SQL_ROWS"
printf 'build: %s   cpus: %s   timer: %s   plain best of %s, tools best of %s\n\n' \
	"$BUILD" "$(nproc)" "$TIMER" "$PLAIN_RUNS" "$TOOL_RUNS"
fmt='%-17s %-10s %8s %7s %7s %8s %7s %8s %8s %12s  %s\n'
# shellcheck disable=SC2059 # the format is ours
printf "$fmt" workload run 'wall s' 'x plain' 'cpu s' 'in-run s' 'after s' 'RSS MB' 'prog MB' 'profile B' status
for wl in "${WORKLOADS[@]}"; do
	first=$wl
	for run in plain $SCALE_TOOLS; do
		k=$wl/$run
		if [ -z "${WALL[$k]:-}" ]; then
			printf '%-17s %-10s %s\n' "$first" "$run" "${STATUS[$k]:-not run}"
			first=
			continue
		fi
		# shellcheck disable=SC2059
		printf "$fmt" "$first" "$run" "${WALL[$k]}" "$(ratio "${WALL[$k]}" "${WALL[$wl/plain]:--}")" \
			"${CPU[$k]}" "${RUNT[$k]}" "${AFTER[$k]}" "${RSS[$k]}" "${PRSS[$k]}" "${SIZE[$k]}" "${STATUS[$k]}"
		first=
	done
	if [ -n "${WALL[$wl/scorch]:-}" ] && [ -n "${WALL[$wl/heaptrack]:-}" ]; then
		printf '%-17s scorch/heaptrack: wall %s  in-run %s  after %s  RSS %s  profile %s\n' '' \
			"$(ratio "${WALL[$wl/scorch]}" "${WALL[$wl/heaptrack]}")" \
			"$(ratio "${RUNT[$wl/scorch]}" "${RUNT[$wl/heaptrack]}")" \
			"$(ratio "${AFTER[$wl/scorch]}" "${AFTER[$wl/heaptrack]}")" \
			"$(ratio "${RSS[$wl/scorch]}" "${RSS[$wl/heaptrack]}")" \
			"$(ratio "${SIZE[$wl/scorch]}" "${SIZE[$wl/heaptrack]}")"
	fi
done
if [ "$TOOL_RUNS" -gt 1 ]; then
	# the launcher's RSS moves 1-3 MB from run to run on a shared machine
	printf '\nRSS MB of every run (the table shows the fastest one):\n'
	for wl in "${WORKLOADS[@]}"; do
		for run in $SCALE_TOOLS; do
			[ -n "${RSSALL[$wl/$run]:-}" ] && printf '%-17s %-10s %s\n' "$wl" "$run" "${RSSALL[$wl/$run]}"
		done
	done
fi
cat <<'EOF_NOTES'

in-run s: from the start of the command to the program's exit (its
destructors ran); after s: from then until the profiler's command returned
(scorch: the launcher's finalize and profile write; heaptrack: its
interpreter's backlog and the compressor). RSS MB: the largest single process
of the run (wait4's maxrss); prog MB: the program's own peak (VmHWM), so RSS
MB above prog MB is the profiler's process. Ratios below 1: scorch better.
EOF_NOTES
fail=0
for wl in "${WORKLOADS[@]}"; do
	for run in plain $SCALE_TOOLS; do
		case ${STATUS[$wl/$run]:-} in ok | "not installed") ;; *) fail=1 ;; esac
	done
done
exit $fail
