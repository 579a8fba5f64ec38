#!/usr/bin/env bash
# zone-cost.sh: call tracing and zones, scorch against uftrace, side by side
# in one run.
#
# bench/zone-calls makes 3 calls per loop iteration (ITERS iterations: 9
# million calls by default), built four ways: plain; -pg for uftrace;
# -finstrument-functions, traced by `scorch record --calls` and by uftrace
# (which takes those hooks too); and with an explicit SCORCH_ZONE in each of
# the three functions under `scorch record`. For each way, median of REPS
# interleaved runs:
#   - in program: ns per traced call, from the CPU time the loops took (the
#     program measures it, each thread's own clock, summed) less the plain
#     build's, over the calls: on a shared machine the loops' wall time
#     counts other processes' turns too (it is printed as well, "wall
#     ns/call"); with THREADS threads the same CPU figure is a cost per call
#     on one thread, to compare with the 1-thread one;
#   - record: wall time of the whole command (start, the program, all work
#     after it exits), and its CPU time (user + system, every process);
#   - report: wall and CPU time of the per-function table (`uftrace
#     report`, `scorch report --zones`);
#   - on disk: bytes of the trace (uftrace's data directory, the .scorch
#     file) and bytes per call;
# and the ratios of scorch's figures to uftrace's (-pg build). Then the
# same with THREADS (default 4) threads calling at once, in program only.
#
# A real program: the scorch tool itself, built with -finstrument-functions
# (and -pg for uftrace), running `scorch report` on a heap profile of
# sqlite3 inserting REAL_ROWS rows (default 20000); recorded both ways, same
# figures.
#
# Usage: bench/zone-cost.sh     Environment: SCORCH, ITERS (default
# 3000000), REPS (default 3), THREADS (default 4), REAL=0 to skip the real
# program, HELD=0 to skip scorch-held (scorch-calls with the launcher stopped
# while the program runs: what reading beside it costs the program).
set -u

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${BUILD:-$ROOT/build}
SCORCH=${SCORCH:-$BUILD/scorch}
ITERS=${ITERS:-3000000}
REPS=${REPS:-3}
THREADS=${THREADS:-4}
REAL=${REAL:-1}
REAL_ROWS=${REAL_ROWS:-20000}
OUT=${OUT:-$ROOT/bench/out/zone-cost}
CORES=$(nproc)
rm -rf "$OUT"
mkdir -p "$OUT"
cd "$OUT" || exit 1

say() { printf '%s\n' "$*" >&2; }
[ -x "$SCORCH" ] && [ -f "$BUILD/libscorch.so" ] || { say "zone-cost.sh: build scorch first (make)"; exit 1; }
[ -x /usr/bin/time ] || { say "zone-cost.sh: /usr/bin/time missing (apt-get install time)"; exit 1; }
command -v uftrace >/dev/null 2>&1 || { say "zone-cost.sh: uftrace missing (scripts/install-deps.sh installs it)"; exit 1; }

SRC=$ROOT/bench/zone-calls.c
CFL=(-std=gnu11 -O2 -g -fno-omit-frame-pointer -pthread)
RT=(-L"$BUILD" -lscorch -Wl,-rpath,"$BUILD")
cc "${CFL[@]}" -o plain "$SRC" &&
	cc "${CFL[@]}" -pg -o pg "$SRC" &&
	cc "${CFL[@]}" -finstrument-functions -o fi "$SRC" "${RT[@]}" &&
	cc "${CFL[@]}" -DZONES -I"$ROOT/include" -o zones "$SRC" "${RT[@]}" ||
	{ say "zone-cost.sh: cannot build bench/zone-calls"; exit 1; }

now() { date +%s%N; }
median() { sort -n | awk '{ a[NR] = $1 } END { if (NR) print a[int((NR + 1) / 2)]; else print 0 }'; }
loop_ns() { sed -n 's/^zone-calls: [0-9]* calls in \([0-9]*\) ns.*/\1/p' "$1" | tail -1; }
loop_cpu() { sed -n 's/^zone-calls: [0-9]* calls in [0-9]* ns (\([0-9]*\) ns cpu)$/\1/p' "$1" | tail -1; }
# cpu_ms FILE: user + system ms that /usr/bin/time wrote to FILE
cpu_ms() { awk '{ printf "%d", ($1 + $2) * 1000 }' "$1" 2>/dev/null; }
TIME=(/usr/bin/time -f '%U %S')
size_of() { du -sb "$1" 2>/dev/null | cut -f1; }

# hold PID: PID is /usr/bin/time running `scorch record`; stops the launcher
# (SIGSTOP) from its program's start to its end, so that the program runs
# with no launcher reading beside it (its records wait in the file), then
# lets it go on (SIGCONT) to fold them: scorch-held, whose in-program figure
# against scorch-calls' is what the live launcher costs the program.
hold() {
	local l="" c="" i
	for i in $(seq 1 2000); do
		l=$(pgrep -P "$1" | head -1)
		[ -n "$l" ] && c=$(pgrep -x -P "$l" fi | head -1)
		[ -n "$c" ] && break
		sleep 0.001
	done
	[ -n "$c" ] || return 0
	kill -STOP "$l"
	# until it is a zombie (its parent is stopped) or gone; at most 60 s
	local st
	for i in $(seq 1 30000); do
		st=$(cut -d' ' -f3 "/proc/$c/stat" 2>/dev/null)
		case $st in Z | "") break ;; esac
		sleep 0.002
	done
	kill -CONT "$l"
}

# run WAY THREADS REP: one run of a way; appends "loop-cpu record report
# bytes loop-wall record-cpu report-cpu" to $OUT/WAY-THREADS.tsv
run() {
	local way=$1 th=$2 rep=$3 t0 t1 t2 log=$OUT/$1-$2-$3.err
	local it=$ITERS
	rm -rf "$OUT/d-$way" "$OUT/$way.scorch"
	t0=$(now)
	case $way in
	plain) "${TIME[@]}" -o "$OUT/rec.time" ./plain "$it" "$th" >/dev/null 2>"$log" ;;
	uftrace-pg) "${TIME[@]}" -o "$OUT/rec.time" uftrace record -d "$OUT/d-$way" ./pg "$it" "$th" >/dev/null 2>"$log" ;;
	uftrace-fi) "${TIME[@]}" -o "$OUT/rec.time" uftrace record -d "$OUT/d-$way" ./fi "$it" "$th" >/dev/null 2>"$log" ;;
	scorch-calls) "${TIME[@]}" -o "$OUT/rec.time" "$SCORCH" record --calls -o "$OUT/$way.scorch" -- ./fi "$it" "$th" >/dev/null 2>"$log" ;;
	scorch-zones) "${TIME[@]}" -o "$OUT/rec.time" "$SCORCH" record -o "$OUT/$way.scorch" -- ./zones "$it" "$th" >/dev/null 2>"$log" ;;
	scorch-held) "${TIME[@]}" -o "$OUT/rec.time" "$SCORCH" record --calls -o "$OUT/$way.scorch" -- ./fi "$it" "$th" \
			>/dev/null 2>"$log" &
		hold $!
		wait $! ;;
	esac
	local st=$?
	t1=$(now)
	[ $st -eq 0 ] || { say "zone-cost.sh: $way exited $st (log: $log)"; return 1; }
	local bytes=0
	echo "0 0" >"$OUT/rep.time"
	case $way in
	uftrace-*) "${TIME[@]}" -o "$OUT/rep.time" uftrace report -d "$OUT/d-$way" >"$OUT/$way.report" 2>&1
		bytes=$(size_of "$OUT/d-$way") ;;
	scorch-*) "${TIME[@]}" -o "$OUT/rep.time" "$SCORCH" report --zones "$OUT/$way.scorch" >"$OUT/$way.report" 2>&1
		bytes=$(size_of "$OUT/$way.scorch") ;;
	esac
	t2=$(now)
	[ "$way" = plain ] && t2=$t1
	printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$(loop_cpu "$log")" $(( (t1 - t0) / 1000000 )) $(( (t2 - t1) / 1000000 )) \
		"$bytes" "$(loop_ns "$log")" "$(cpu_ms "$OUT/rec.time")" "$(cpu_ms "$OUT/rep.time")" >>"$OUT/$way-$th.tsv"
}

WAYS="plain uftrace-pg uftrace-fi scorch-calls scorch-zones"
[ "${HELD:-1}" = 1 ] && WAYS="$WAYS scorch-held"
for rep in $(seq 1 "$REPS"); do
	for way in $WAYS; do run "$way" 1 "$rep"; done
done
for rep in $(seq 1 "$REPS"); do
	for way in plain uftrace-pg scorch-calls scorch-zones; do run "$way" "$THREADS" "$rep"; done
done

col() { cut -f"$2" "$OUT/$1.tsv" 2>/dev/null | median; }
calls1=$((3 * ITERS))

printf '\nzone-cost: %s calls (3 per iteration, %s iterations), median of %s runs, %s cores\n\n' \
	"$calls1" "$ITERS" "$REPS" "$CORES"
printf '%-14s %8s %8s %10s %10s %10s %10s %11s %8s\n' way "ns/call" "(wall)" "record ms" "(cpu ms)" \
	"report ms" "(cpu ms)" bytes "B/call"
plain1=$(col plain-1 1)
plainw1=$(col plain-1 5)
declare -A NS REC REP BY RECC REPC
for way in $WAYS; do
	l=$(col "$way-1" 1)
	lw=$(col "$way-1" 5)
	NS[$way]=$(awk -v l="$l" -v p="$plain1" -v c="$calls1" 'BEGIN { printf "%.1f", (l - p) / c }')
	nsw=$(awk -v l="$lw" -v p="$plainw1" -v c="$calls1" 'BEGIN { printf "%.1f", (l - p) / c }')
	REC[$way]=$(col "$way-1" 2)
	REP[$way]=$(col "$way-1" 3)
	BY[$way]=$(col "$way-1" 4)
	RECC[$way]=$(col "$way-1" 6)
	REPC[$way]=$(col "$way-1" 7)
	if [ "$way" = plain ]; then
		NS[$way]=$(awk -v l="$l" -v c="$calls1" 'BEGIN { printf "(%.1f)", l / c }')
		nsw=$(awk -v l="$lw" -v c="$calls1" 'BEGIN { printf "(%.1f)", l / c }')
	fi
	printf '%-14s %8s %8s %10s %10s %10s %10s %11s %8s\n' "$way" "${NS[$way]}" "$nsw" "${REC[$way]}" "${RECC[$way]}" \
		"${REP[$way]}" "${REPC[$way]}" "${BY[$way]}" \
		"$(awk -v b="${BY[$way]}" -v c="$calls1" 'BEGIN { printf "%.2f", b / c }')"
done
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b + 0 > 0) printf "%.2f", a / b; else print "-" }'; }
printf '\nscorch / uftrace (-pg):   in program   record (cpu)   report (cpu)   bytes\n'
for way in scorch-calls scorch-zones; do
	printf '  %-22s %10s %8s %5s %8s %5s %7s\n' "$way" "$(ratio "${NS[$way]}" "${NS[uftrace-pg]}")" \
		"$(ratio "${REC[$way]}" "${REC[uftrace-pg]}")" "$(ratio "${RECC[$way]}" "${RECC[uftrace-pg]}")" \
		"$(ratio "${REP[$way]}" "${REP[uftrace-pg]}")" "$(ratio "${REPC[$way]}" "${REPC[uftrace-pg]}")" \
		"$(ratio "${BY[$way]}" "${BY[uftrace-pg]}")"
done
if [ -n "${NS[scorch-held]:-}" ]; then
	printf '  scorch-held: scorch-calls with the launcher stopped while the program runs (its record figures count\n'
	printf '  the wait): in the program %s ns/call against %s with the launcher reading beside it\n' \
		"${NS[scorch-held]}" "${NS[scorch-calls]}"
fi
printf '  (plain program: %s ms; the targets: scorch at most 30 ns per call in the program, record and report at most 0.33 of uftrace)\n' \
	"$(awk -v l="$plain1" 'BEGIN { printf "%.0f", l / 1e6 }')"

callsT=$((3 * ITERS * THREADS))
plainT=$(col "plain-$THREADS" 1)
printf '\n%s threads calling at once (%s calls; per-call cost on one thread = the loops'"'"' CPU time over plain / calls):\n' \
	"$THREADS" "$callsT"
for way in uftrace-pg scorch-calls scorch-zones; do
	l=$(col "$way-$THREADS" 1)
	nsT=$(awk -v l="$l" -v p="$plainT" -v c="$callsT" 'BEGIN { printf "%.1f", (l - p) / c }')
	printf '  %-14s %8s ns/call (%s x the 1-thread figure)\n' "$way" "$nsT" "$(ratio "$nsT" "${NS[$way]}")"
done

# --- a real program: scorch report, itself traced ---
if [ "$REAL" = 1 ]; then
	say "zone-cost.sh: building the scorch tool with -finstrument-functions and with -pg"
	SQL="create table t(a, b); with recursive c(x) as (select 1 union all select x + 1 from c where x < $REAL_ROWS)
		insert into t select x, hex(randomblob(20)) from c; create index ti on t(b); select count(*) from t;"
	"$SCORCH" heap -o "$OUT/storm.scorch" -- sqlite3 :memory: "$SQL" >/dev/null 2>&1 ||
		{ say "zone-cost.sh: cannot record sqlite3 (apt-get install sqlite3)"; exit 1; }
	for v in fi pg; do
		flags=$([ $v = fi ] && echo -finstrument-functions || echo -pg)
		libs="$(pkg-config --libs libdw libelf libzstd zlib capstone 2>/dev/null) -lstdc++ -lm -lpthread -ldl"
		[ $v = fi ] && libs="$libs -L$BUILD -lscorch -Wl,-rpath,$BUILD"
		make -C "$ROOT" --no-print-directory -j"$CORES" BUILD="$OUT/tool-$v" SANFLAGS="$flags" \
			TOOL_LIBS="$libs" "$OUT/tool-$v/scorch" >"$OUT/tool-$v.log" 2>&1 ||
			{ say "zone-cost.sh: building the $v tool failed ($OUT/tool-$v.log)"; REAL=0; }
	done
fi
if [ "$REAL" = 1 ]; then
	ARGS=(report --limit=20 "$OUT/storm.scorch")
	for rep in $(seq 1 "$REPS"); do
		t0=$(now); "$SCORCH" "${ARGS[@]}" >/dev/null 2>&1; t1=$(now)
		echo $(( (t1 - t0) / 1000000 )) >>"$OUT/real-plain.ms"
		rm -rf "$OUT/d-real"
		t0=$(now); uftrace record -d "$OUT/d-real" "$OUT/tool-pg/scorch" "${ARGS[@]}" >/dev/null 2>&1; t1=$(now)
		uftrace report -d "$OUT/d-real" >"$OUT/real-uftrace.report" 2>&1; t2=$(now)
		printf '%s\t%s\t%s\n' $(( (t1 - t0) / 1000000 )) $(( (t2 - t1) / 1000000 )) "$(size_of "$OUT/d-real")" >>"$OUT/real-uftrace.tsv"
		# the same calls as scorch's: -pg leaves out what GCC inlined,
		# -finstrument-functions keeps a call for it
		rm -rf "$OUT/d-real"
		t0=$(now); uftrace record -d "$OUT/d-real" "$OUT/tool-fi/scorch" "${ARGS[@]}" >/dev/null 2>&1; t1=$(now)
		uftrace report -d "$OUT/d-real" >"$OUT/real-uftrace-fi.report" 2>&1; t2=$(now)
		printf '%s\t%s\t%s\n' $(( (t1 - t0) / 1000000 )) $(( (t2 - t1) / 1000000 )) "$(size_of "$OUT/d-real")" >>"$OUT/real-uftrace-fi.tsv"
		rm -f "$OUT/real.scorch"
		t0=$(now); "$SCORCH" record --calls -o "$OUT/real.scorch" -- "$OUT/tool-fi/scorch" "${ARGS[@]}" >/dev/null 2>"$OUT/real-scorch.err"; t1=$(now)
		"$SCORCH" report --zones "$OUT/real.scorch" >"$OUT/real-scorch.report" 2>&1; t2=$(now)
		printf '%s\t%s\t%s\n' $(( (t1 - t0) / 1000000 )) $(( (t2 - t1) / 1000000 )) "$(size_of "$OUT/real.scorch")" >>"$OUT/real-scorch.tsv"
	done
	rcalls=$(jq -r '.profiles[0].zones.totals.calls // empty' <("$SCORCH" report --zones --json "$OUT/real.scorch" 2>/dev/null) 2>/dev/null)
	printf '\nreal program: scorch report on a heap profile of sqlite3, %s rows (%s traced calls by scorch), median of %s:\n' \
		"$REAL_ROWS" "${rcalls:-?}" "$REPS"
	printf '  plain %s ms\n' "$(median <"$OUT/real-plain.ms")"
	printf '  %-12s record %6s ms   report %6s ms   %10s bytes\n' \
		"uftrace -pg" "$(col real-uftrace 1)" "$(col real-uftrace 2)" "$(col real-uftrace 3)" \
		"uftrace -fi" "$(col real-uftrace-fi 1)" "$(col real-uftrace-fi 2)" "$(col real-uftrace-fi 3)" \
		scorch "$(col real-scorch 1)" "$(col real-scorch 2)" "$(col real-scorch 3)"
	printf '  scorch / uftrace on the same build (-finstrument-functions): record %s, report %s, bytes %s\n' \
		"$(ratio "$(col real-scorch 1)" "$(col real-uftrace-fi 1)")" "$(ratio "$(col real-scorch 2)" "$(col real-uftrace-fi 2)")" \
		"$(ratio "$(col real-scorch 3)" "$(col real-uftrace-fi 3)")"
	printf '  (-pg traces only the calls GCC did not inline: %s of the -pg build against %s of the other)\n' \
		"$(awk '/^ *=+/ { on = 1; next } on && NF >= 6 { n += $5 } END { print n + 0 }' "$OUT/real-uftrace.report")" \
		"$(awk '/^ *=+/ { on = 1; next } on && NF >= 6 { n += $5 } END { print n + 0 }' "$OUT/real-uftrace-fi.report")"
fi
