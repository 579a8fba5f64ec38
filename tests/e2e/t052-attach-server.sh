# scorch record -p and -a on a running multi-threaded C++ server
# (tests/progs/cpu-server: a pool of 4 std::thread workers accept()ing on a
# loopback TCP port, each request 3 ms of CPU in parse_request then 2 ms in
# render_response), built -O2 without frame pointers like the libstdc++ and
# libc under it, so its stacks unwind only with DWARF CFI from the copied
# user stack; a client (cpu-server client) keeps all 4 workers busy for the
# whole test and checks every answer. Beside perf record -p --call-graph
# dwarf over exactly the same CPU time of the server: the top functions'
# shares within 2 points of perf's; the known split; the achieved rate >= 97%
# of the asked one over the server's CPU time, and on every worker thread
# over its own; stacks unwound through libstdc++ to start_thread. Then
# --duration=3 on the server running freely; the server untouched (the
# client sees no error, its output as without scorch) and nothing left in it
# after detaching (fds, maps, threads); -a finds it with its workers.
. "$ROOT/tests/e2e/lib.sh"
command -v jq >/dev/null || { echo "skip: jq is needed"; exit 77; }
[ -r /proc/self/stat ] || { echo "skip: no /proc"; exit 77; }
[ -x "$PROGS/cpu-server" ] || { fail "no $PROGS/cpu-server (make progs builds it)"; finish; }

HZ=999
# CPU time (ns, from the scheduler's own account: /proc/PID/task/TID/schedstat)
# of thread $2 of process $1, or of all its threads without $2
cpu_ns() {
	if [ $# -eq 2 ]; then awk '{ print $1 }' "/proc/$1/task/$2/schedstat"
	else cat /proc/"$1"/task/*/schedstat 2>/dev/null | awk '{ s += $1 } END { printf "%.0f\n", s }'; fi
}
# total share of a function (samples with it on the stack), per mille of
# all; C++ names without their parameters and ABI tag
# ("render_response[abi:cxx11](long)" is render_response)
total_pm() { jq -r --arg f "$2" '.profiles[0].cpu as $c | ([$c.functions[] | select(.function | sub("\\[abi:[^]]*\\]"; "") | sub("\\(.*"; "") == $f) | .total] | add // 0) * 1000 / $c.totals.samples | floor' "$1"; }
# the largest total of a function of module $2 (prefix), per mille of all
module_pm() { jq -r --arg m "$2" '.profiles[0].cpu as $c | ([$c.functions[] | select((.module // "") | startswith($m)) | .total] | max // 0) * 1000 / $c.totals.samples | floor' "$1"; }
# perf's total share of a symbol (perf report --children --no-inline), per mille
perf_pm() { awk -v f="$2" '{ n = $4; sub(/\[abi:[^]]*\]$/, "", n) } $3 == "[.]" && n == f && !found { sub("%", "", $1); printf "%d\n", $1 * 10 + 0.5; found = 1 } END { if (!found) print 0 }' "$1"; }
have_perf=0
if command -v perf >/dev/null && perf record -q -o "$WORK/probe.data" -- true >/dev/null 2>&1; then have_perf=1; fi
# what must be as it was after detaching: open fds (with what they point
# to), mapped files, threads (tid and name)
state() {
	{
		for f in /proc/"$1"/fd/*; do echo "fd ${f##*/} $(readlink "$f")"; done
		awk 'NF >= 6 { print "map", $6 }' "/proc/$1/maps" | sort -u
		for t in /proc/"$1"/task/*; do echo "thread ${t##*/} $(cat "$t/comm")"; done
	} 2>/dev/null
}

"$PROGS/cpu-server" "$WORK/port" >server.stdout 2>server.stderr &
srv=$!
for i in $(seq 100); do [ -s "$WORK/port" ] && break; sleep 0.05; done
port=$(cat "$WORK/port" 2>/dev/null)
check_match "server: listening (port file)" "$port" '^[0-9]+$'
"$PROGS/cpu-server" client "$port" 4 "$WORK/stop" >client.stdout 2>client.stderr &
cli=$!
sleep 0.5
workers=$(for t in /proc/$srv/task/*; do [ "$(cat "$t/comm")" != cpu-server ] && echo "${t##*/}"; done)
check "server: its 4 workers" "$(echo $workers | wc -w)" 4
state "$srv" >state.before

# ---- beside perf, over exactly the same CPU time: the server is stopped
# (SIGSTOP: no counter counts) while both attach and while both stop, and
# runs 3 s in between. The client only waits meanwhile.
kill -STOP "$srv"
pp=
if [ "$have_perf" = 1 ]; then
	# perf at scorch's fixed period: -F would let perf adapt it to the load
	perf record -q -c $((1000000000 / HZ)) -p "$srv" --call-graph dwarf -o "$WORK/srv.data" \
		>/dev/null 2>"$WORK/srv.perf.err" &
	pp=$!
fi
"$SCORCH" record -p "$srv" -o "$WORK/srv.scorch" >"$WORK/srv.out" 2>"$WORK/srv.err" &
sp=$!
for i in $(seq 400); do
	if grep -q "attached to" "$WORK/srv.err" 2>/dev/null &&
	   { [ -z "$pp" ] || [ "$(ls -l /proc/$pp/fd 2>/dev/null | grep -c perf_event)" -ge "$(nproc)" ]; }; then
		break
	fi
	sleep 0.05
done
[ -n "$pp" ] && sleep 1
cpu0=$(cpu_ns "$srv")
for t in $workers; do eval "w0_$t=$(cpu_ns "$srv" "$t")"; done
kill -CONT "$srv"
sleep 3
kill -STOP "$srv"
cpu1=$(cpu_ns "$srv")
for t in $workers; do eval "w1_$t=$(cpu_ns "$srv" "$t")"; done
kill -INT "$sp" $pp
wait "$sp"
rc=$?
[ -n "$pp" ] && wait "$pp"
kill -CONT "$srv"
echo "--- scorch record -p $srv, the server running 3 s in between (exit $rc)"
sed 's/^/    /' srv.err
"$SCORCH" report --json --limit=0 srv.scorch >srv.json 2>/dev/null
check "beside perf: exit" "$rc" 0
check_match "beside perf: summary" "$(cat srv.err)" 'attached for [0-9.]+ s; it runs on, untouched'
samples=$(q srv.json '.profiles[0].cpu.totals.samples')
win=$(( (cpu1 - cpu0) / 1000000 ))
echo "    the server's CPU time in the window: $win ms (its 4 workers on 2 shared cores)"
check_ge "beside perf: samples" "$samples" 300
# the rate: over the CPU time the scheduler counted in the window
check_ge "beside perf: achieved rate (per mille of $HZ Hz over $win ms of CPU)" \
	"$(( samples * 1000000000000 / ((cpu1 - cpu0) > 0 ? cpu1 - cpu0 : 1) / HZ ))" 970
check_ge "beside perf: samples not over the window's CPU time x $HZ Hz (+1%)" \
	"$(( (cpu1 - cpu0) / 1000000 * HZ / 1000 * 101 / 100 + 4 ))" "$samples"
for t in $workers; do
	eval "d=\$(( w1_$t - w0_$t ))"
	n=$(q srv.json "[.profiles[0].cpu.threads[] | select(.tid == $t) | .samples] | add // 0")
	name=$(cat "/proc/$srv/task/$t/comm")
	# a thread's last period is cut at the window's end: one sample less
	check_ge "beside perf: $name sampled at >= 97% of $HZ Hz over its $((d / 1000000)) ms of CPU (per mille)" \
		"$(( (n + 1) * 1000000000000 / (d > 0 ? d : 1) / HZ ))" 970
done
# the known split: 60/40 over whole requests; the window's two ends cut a
# request (5 ms) on each of the 4 workers at most: 2 x 4 x 5 ms
t=$(( 20 + 40000 / (win > 0 ? win : 1) ))
pa=$(total_pm srv.json parse_request) rr=$(total_pm srv.json render_response)
within "beside perf: parse_request (per mille)" "$pa" 600 "$t"
within "beside perf: render_response (per mille)" "$rr" 400 "$t"
# unwound from the -O2 code without frame pointers, through libstdc++
# (std::thread's start routine) and libc, to the thread's first frame
wl=$(total_pm srv.json worker_loop) st=$(total_pm srv.json start_thread)
lib=$(module_pm srv.json libstdc++)
check_ge "beside perf: worker_loop on the stacks (per mille)" "$wl" 990
check_ge "beside perf: a libstdc++ frame under it (per mille)" "$lib" 990
check_ge "beside perf: start_thread (libc) under that (per mille)" "$st" 990
if [ "$have_perf" = 1 ]; then
	perf report -i srv.data --children --no-inline --sort sym -g none --stdio -q >srv.perf 2>/dev/null
	ppa=$(perf_pm srv.perf parse_request) prr=$(perf_pm srv.perf render_response)
	pwl=$(perf_pm srv.perf worker_loop) pst=$(perf_pm srv.perf start_thread)
	ps=$(perf script -i srv.data -F tid 2>/dev/null | wc -l)
	echo "    total shares (per mille) scorch / perf: parse_request $pa / $ppa, render_response $rr / $prr," \
		"worker_loop $wl / $pwl, start_thread $st / $pst; samples $samples / $ps"
	within "beside perf: samples vs perf's (per mille of perf's)" "$(( samples * 1000 / (ps > 0 ? ps : 1) ))" 1000 30
	within "beside perf: parse_request vs perf" "$pa" "$ppa" 20
	within "beside perf: render_response vs perf" "$rr" "$prr" 20
	within "beside perf: worker_loop vs perf" "$wl" "$pwl" 20
	within "beside perf: start_thread vs perf" "$st" "$pst" 20
else
	echo "    (perf cannot record here: no side-by-side run)"
fi
check "beside perf: the server runs on" "$(kill -0 "$srv" 2>/dev/null && echo yes)" yes
state "$srv" >state.after1
check "beside perf: nothing left in the server (fds, maps, threads)" "$(diff state.before state.after1 && echo same)" same
check "beside perf: no libscorch mapped" "$(grep -c libscorch "/proc/$srv/maps")" 0

# ---- --duration=3, the server running freely under load
c0=$(cpu_ns "$srv")
"$SCORCH" record -p "$srv" --duration=3 -o dur.scorch >dur.out 2>dur.err
rc=$?
c1=$(cpu_ns "$srv")
echo "--- scorch record -p $srv --duration=3 (exit $rc)"; sed 's/^/    /' dur.err
"$SCORCH" report --json --limit=0 dur.scorch >dur.json 2>/dev/null
check "duration: exit" "$rc" 0
check_match "duration: summary" "$(cat dur.err)" 'attached for 3\.[0-9]* s; it runs on, untouched'
samples=$(q dur.json '.profiles[0].cpu.totals.samples')
cns=$(q dur.json '.profiles[0].cpu.sampling.cpu_time_ns')
check_ge "duration: achieved rate (per mille of $HZ Hz over the $((cns / 1000000)) ms of CPU scorch saw)" \
	"$(( samples * 1000000000000 / (cns > 0 ? cns : 1) / HZ ))" 970
check_ge "duration: the test's bracket holds that CPU time (ms, +20)" "$(( (c1 - c0) / 1000000 + 20 ))" "$((cns / 1000000))"
check_ge "duration: samples not over the bracket's CPU time x $HZ Hz (+1%)" "$(( (c1 - c0) / 1000000 * HZ / 1000 * 101 / 100 + 4 ))" "$samples"
check "duration: the 4 workers sampled" \
	"$(q dur.json '[.profiles[0].cpu.threads[] | select(.samples > 0) | .name] | map(select(startswith("worker-"))) | sort | join(",")')" \
	"worker-0,worker-1,worker-2,worker-3"
t=$(( 20 + 40000 / (cns / 1000000 > 0 ? cns / 1000000 : 1) ))
within "duration: parse_request (per mille)" "$(total_pm dur.json parse_request)" 600 "$t"
within "duration: render_response (per mille)" "$(total_pm dur.json render_response)" 400 "$t"
state "$srv" >state.after2
check "duration: nothing left in the server (fds, maps, threads)" "$(diff state.before state.after2 && echo same)" same

# ---- -a: the server among every process, with its workers' functions
mkdir -p "$WORK/sys"
c0=$(cpu_ns "$srv")
(cd "$WORK/sys" && exec "$SCORCH" record -a --duration=2 >"$WORK/sys.out" 2>"$WORK/sys.err")
rc=$?
c1=$(cpu_ns "$srv")
echo "--- scorch record -a --duration=2 (exit $rc): $(grep -c 'wrote' sys.err) profiles"
grep -A3 "(pid $srv)" sys.err | sed 's/^/    /'
check "-a: exit" "$rc" 0
check "-a: the server's profile" "$(ls sys | grep -c "^cpu-server\.$srv\.scorch\$")" 1
"$SCORCH" report --json --limit=0 "sys/cpu-server.$srv.scorch" >sys.json 2>/dev/null
cns=$(q sys.json '.profiles[0].cpu.sampling.cpu_time_ns')
samples=$(q sys.json '.profiles[0].cpu.totals.samples')
# one counter per CPU: each CPU's timer samples whatever runs on it, so a
# process's count scatters about its CPU time x HZ (seen 973-1051 per mille
# over 0.2-0.6 s of CPU) where -p's per-thread counters count its own time:
# 97%, less twice the count's Poisson deviation (1000/sqrt(ms) per mille)
lo=$(awk -v ms="$((cns / 1000000))" 'BEGIN { printf "%d\n", 970 - 2000 / sqrt(ms > 0 ? ms : 1) }')
check_ge "-a: achieved rate (per mille of $HZ Hz over the $((cns / 1000000)) ms of CPU scorch saw)" \
	"$(( samples * 1000000000000 / (cns > 0 ? cns : 1) / HZ ))" "$lo"
check_ge "-a: samples not over the bracket's CPU time x $HZ Hz (+1%)" "$(( (c1 - c0) / 1000000 * HZ / 1000 * 101 / 100 + 4 ))" "$samples"
t=$(( 20 + 40000 / (cns / 1000000 > 0 ? cns / 1000000 : 1) ))
within "-a: parse_request (per mille)" "$(total_pm sys.json parse_request)" 600 "$t"
within "-a: render_response (per mille)" "$(total_pm sys.json render_response)" 400 "$t"
check "-a: the 4 workers sampled" \
	"$(q sys.json '[.profiles[0].cpu.threads[] | select(.samples > 0) | .name] | map(select(startswith("worker-"))) | sort | join(",")')" \
	"worker-0,worker-1,worker-2,worker-3"
state "$srv" >state.after3
check "-a: nothing left in the server (fds, maps, threads)" "$(diff state.before state.after3 && echo same)" same

# ---- the server served on, untouched
touch "$WORK/stop"
wait "$cli"
check "client: exit" "$?" 0
check_match "client: no error" "$(cat client.stdout)" '^cpu-server client: [0-9]+ requests, 0 errors$'
wait "$srv"
check "server: exit" "$?" 0
n=$(sed -n 's/^cpu-server client: \([0-9]*\) requests.*/\1/p' client.stdout)
check_ge "client: requests served" "${n:-0}" 200
# its own measurement of the split: 3 ms and 2 ms of CPU a request, each
# spin overshooting by part of its last 8 us chunk
check_match "server: its output, as without scorch" "$(cat server.stdout)" \
	"^cpu-server: 4 workers, $n requests, parse/render (59\.[5-9]|60\.[0-4])/(39\.[6-9]|40\.[0-5])\$"
check "server: nothing on stderr" "$(cat server.stderr)" ""
finish
