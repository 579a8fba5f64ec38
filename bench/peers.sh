#!/usr/bin/env bash
# peers.sh: scorch beside the peers users compare it with that live in the
# language registries (bench/install-peers.sh installs them; make check never
# does): (1) CPU sampling: bench/cpu-burn plain (best of PLAIN_RUNS), under
# `samply record -r HZ --save-only` and under `scorch record -F HZ`, each
# best of TOOL_RUNS by wall time: wall and CPU time (the tool's too: both
# tools' work after the program counts), slowdown vs plain, samples and the
# rate delivered over the program's own CPU time (cpu-burn prints it), and
# the output's size. (2) Heap tracking of a Python workload's native
# allocations (json.dumps of a nested dict, PY_LOOPS times: CPython's
# allocator calls malloc for what pymalloc does not take): plain, under
# `memray run --native` (its native stacks; memray sees PYMALLOC's and the
# C allocator's calls) and under `scorch heap`, the same columns with the
# peak RSS of the run and the number of allocations each counted.
# The flame graph peer (inferno-flamegraph) is in bench/flame-speed.sh.
#
# Usage: bench/peers.sh [sampling] [heap]   (default both; from anywhere)
# Environment: BUILD (default build), SCORCH, CPU_BURN, HZ (default 999),
# BURN_ARGS (cpu-burn's arguments, default none), PY_LOOPS (default 20000),
# PLAIN_RUNS (default 3), TOOL_RUNS (default 1), PYTHON (default python3).
# Files go to bench/out/peers/.
set -u
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${BUILD:-$ROOT/build}
case $BUILD in /*) ;; *) BUILD=$ROOT/$BUILD ;; esac
SCORCH=${SCORCH:-$BUILD/scorch}
CPU_BURN=${CPU_BURN:-$BUILD/bench/cpu-burn}
HZ=${HZ:-999}
BURN_ARGS=${BURN_ARGS:-}
PY_LOOPS=${PY_LOOPS:-20000}
PLAIN_RUNS=${PLAIN_RUNS:-3}
TOOL_RUNS=${TOOL_RUNS:-1}
PYTHON=${PYTHON:-python3}
# the interpreter itself, not a wrapper script (pyenv's shims are bash
# scripts: scorch would profile every process of the chain)
PYTHON=$("$PYTHON" -c 'import sys; print(sys.executable)' 2>/dev/null || echo "$PYTHON")
OUT=$ROOT/bench/out/peers
mkdir -p "$OUT"
export PATH=$HOME/.cargo/bin:$PATH
. "$ROOT/bench/lib.sh"
bench_timer_setup "$OUT"
want=${*:-sampling heap}

for t in "$SCORCH" "$CPU_BURN"; do bench_ensure_built "$t" || exit 1; done

# timed OUTPREFIX cmd...: wall, user+sys (of cmd and what it waited for) and
# max RSS into the globals wall, cpu, rss_mb; cmd's stdout in OUTPREFIX.out
timed() {
	local o=$1 tf
	shift
	tf=$o.time
	local t0 t1 rc
	t0=$(now_ns)
	if [ "$TIMER" = gnu ]; then
		/usr/bin/time -f '%U %S %M' -o "$tf" "$@" >"$o.out" 2>"$o.err"
	else
		"$RUSAGE_RUN" "$tf" "$@" >"$o.out" 2>"$o.err"
	fi
	rc=$?
	t1=$(now_ns)
	local u s m
	# (GNU time puts "Command exited with non-zero status N" first)
	read -r u s m < <(tail -n 1 "$tf" 2>/dev/null) || { u=0 s=0 m=0; }
	case $m in '' | *[!0-9]*) m=0 ;; esac
	wall=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", (b - a) / 1e9 }')
	cpu=$(awk -v u="$u" -v s="$s" 'BEGIN { printf "%.2f", u + s }')
	rss_mb=$(( ${m:-0} / 1024 ))
	return $rc
}
# best OUTPREFIX RUNS cmd...: the run with the least wall time of RUNS (its
# files kept as OUTPREFIX.*)
best() {
	local o=$1 n=$2 i bw= bc= br=
	shift 2
	for i in $(seq 1 "$n"); do
		rm -f "$o".*.scorch "$o".scorch 2>/dev/null
		timed "$o.$i" "$@" || { say "peers.sh: $* failed: $(tail -3 "$o.$i.err")"; return 1; }
		if [ -z "$bw" ] || awk -v a="$wall" -v b="$bw" 'BEGIN { exit !(a < b) }'; then
			bw=$wall bc=$cpu br=$rss_mb
			for f in out err time; do cp "$o.$i.$f" "$o.$f"; done
		fi
	done
	wall=$bw cpu=$bc rss_mb=$br
}
ratio2() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "-" }'; }
fsize() { awk -v b="$(stat -c %s "$1" 2>/dev/null || echo 0)" 'BEGIN { printf "%.2f MB", b / 1e6 }'; }

if [[ " $want " == *" sampling "* ]]; then
	command -v samply >/dev/null || "$ROOT/bench/install-peers.sh" samply
	# samply refuses to record while kernel.perf_event_paranoid is above 1,
	# even for root (scorch needs 2 or less). SAMPLY_LOWER_PARANOID=1 lowers
	# it to 1 for samply's runs (as root) and puts it back; it is the
	# whole machine's setting, so it is not done unasked.
	paranoid=$(cat /proc/sys/kernel/perf_event_paranoid 2>/dev/null || echo 2)
	lowered=
	if command -v samply >/dev/null && [ "$paranoid" -gt 1 ]; then
		if [ "${SAMPLY_LOWER_PARANOID:-0}" = 1 ] && [ "$(id -u)" = 0 ]; then
			lowered=$paranoid
		else
			echo "samply: refuses to record at kernel.perf_event_paranoid $paranoid (it needs 1 or less);" \
				"SAMPLY_LOWER_PARANOID=1 (as root) lowers it for its runs"
			SAMPLY_SKIP=1
		fi
	fi
	echo "== CPU sampling at $HZ Hz: $CPU_BURN $BURN_ARGS"
	best "$OUT/plain" "$PLAIN_RUNS" "$CPU_BURN" $BURN_ARGS || exit 1
	pw=$wall pc=$cpu
	printf '%-8s %7s s wall %7s s CPU\n' plain "$pw" "$pc"
	if command -v samply >/dev/null && [ -z "${SAMPLY_SKIP:-}" ]; then
		[ -n "$lowered" ] && echo 1 >/proc/sys/kernel/perf_event_paranoid
		best "$OUT/samply" "$TOOL_RUNS" samply record -r "$HZ" --save-only -o "$OUT/samply.json.gz" -- "$CPU_BURN" $BURN_ARGS
		samply_rc=$?
		[ -n "$lowered" ] && echo "$lowered" >/proc/sys/kernel/perf_event_paranoid
		if [ "$samply_rc" = 0 ]; then
			n=$("$PYTHON" - "$OUT/samply.json.gz" <<'EOF_PY'
import gzip, json, sys
p = json.load(gzip.open(sys.argv[1]))
print(sum(t.get("samples", {}).get("length", len(t.get("samples", {}).get("stack", []))) for t in p.get("threads", [])))
EOF_PY
)
			printf '%-8s %7s s wall %7s s CPU  %sx wall %sx CPU  %s samples, %s\n' samply "$wall" "$cpu" \
				"$(ratio2 "$wall" "$pw")" "$(ratio2 "$cpu" "$pc")" "$n" "$(fsize "$OUT/samply.json.gz")"
			sw=$wall sc=$cpu
		fi
	elif [ -z "${SAMPLY_SKIP:-}" ]; then
		echo "samply: not installed (bench/install-peers.sh samply failed)"
	fi
	if best "$OUT/scorch" "$TOOL_RUNS" "$SCORCH" record -F "$HZ" -o "$OUT/scorch.scorch" -- "$CPU_BURN" $BURN_ARGS; then
		n=$("$SCORCH" report --json "$OUT/scorch.scorch" | jq -r '.profiles[0].cpu.totals.samples')
		cpu_ns=$("$SCORCH" report --json "$OUT/scorch.scorch" | jq -r '.profiles[0].cpu.sampling.cpu_time_ns')
		printf '%-8s %7s s wall %7s s CPU  %sx wall %sx CPU  %s samples (%s Hz over the program CPU), %s\n' scorch "$wall" "$cpu" \
			"$(ratio2 "$wall" "$pw")" "$(ratio2 "$cpu" "$pc")" "$n" \
			"$(awk -v n="$n" -v c="$cpu_ns" 'BEGIN { printf "%.0f", n * 1e9 / c }')" "$(fsize "$OUT/scorch.scorch")"
		[ -n "${sw:-}" ] && printf 'scorch / samply: %sx wall, %sx CPU\n' "$(ratio2 "$wall" "$sw")" "$(ratio2 "$cpu" "$sc")"
	fi
fi

if [[ " $want " == *" heap "* ]]; then
	"$PYTHON" -c 'import memray' 2>/dev/null || "$ROOT/bench/install-peers.sh" memray
	PY_CODE="import json
d = {'k%d' % i: [i, str(i) * 3, {'x': i / 3}] for i in range(200)}
n = 0
for _ in range($PY_LOOPS):
    n += len(json.dumps(d))
print(n)"
	echo "== heap tracking: $PYTHON, json.dumps x $PY_LOOPS (native allocations)"
	best "$OUT/pyplain" "$PLAIN_RUNS" "$PYTHON" -c "$PY_CODE" || exit 1
	pw=$wall pc=$cpu
	printf '%-8s %7s s wall %7s s CPU %6s MB peak RSS\n' plain "$pw" "$pc" "$rss_mb"
	if "$PYTHON" -c 'import memray' 2>/dev/null; then
		rm -f "$OUT/memray.bin"
		if best "$OUT/memray" "$TOOL_RUNS" "$PYTHON" -m memray run --native -f -q -o "$OUT/memray.bin" -c "$PY_CODE"; then
			mw=$wall mc=$cpu
			n=$("$PYTHON" -m memray stats "$OUT/memray.bin" 2>/dev/null | awk '/Total allocations/ { getline; gsub(/[^0-9]/, ""); print; exit }')
			printf '%-8s %7s s wall %7s s CPU %6s MB peak RSS  %sx wall %sx CPU  %s allocations, %s\n' memray "$wall" "$cpu" \
				"$rss_mb" "$(ratio2 "$wall" "$pw")" "$(ratio2 "$cpu" "$pc")" "${n:-?}" "$(fsize "$OUT/memray.bin")"
		fi
	else
		echo "memray: not installed (bench/install-peers.sh memray failed)"
	fi
	if best "$OUT/scheap" "$TOOL_RUNS" "$SCORCH" heap -o "$OUT/py.scorch" -- "$PYTHON" -c "$PY_CODE"; then
		n=$("$SCORCH" report --json "$OUT/py.scorch" | jq -r '.profiles[0].totals.allocations // "?"')
		printf '%-8s %7s s wall %7s s CPU %6s MB peak RSS  %sx wall %sx CPU  %s allocations, %s\n' scorch "$wall" "$cpu" \
			"$rss_mb" "$(ratio2 "$wall" "$pw")" "$(ratio2 "$cpu" "$pc")" "$n" "$(fsize "$OUT/py.scorch")"
		[ -n "${mw:-}" ] && printf 'scorch / memray: %sx wall, %sx CPU\n' "$(ratio2 "$wall" "$mw")" "$(ratio2 "$cpu" "$mc")"
	fi
fi
