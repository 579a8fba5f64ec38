# scorch record -p: attaching to processes that already run, from outside.
# A known split (cpu-split 50/30/20, in 10 ms slices of its CPU time) within
# 3 points and within 2 of perf record -p --call-graph dwarf run over the
# same window; the achieved rate against the CPU time the process used
# while attached (the launcher's /proc/PID/stat readings, checked against
# the test's own before and after); threads made after attaching (cpu-attach:
# all its work) sampled at the full rate; a static binary; kernel frames
# where the kernel allows them; the process untouched (it runs on, its output
# as without scorch); ^C, exit of the process, -a (every process), and the
# errors.
. "$ROOT/tests/e2e/lib.sh"
command -v jq >/dev/null || { echo "skip: jq is needed"; exit 77; }
[ -r /proc/self/stat ] || { echo "skip: no /proc"; exit 77; }

HZ=999
TCK=$(getconf CLK_TCK)
# CPU time (ms, to the clock tick) of every thread process $1 has had
cpu_ms() { sed 's/.*) //' "/proc/$1/stat" | awk -v t="$TCK" '{ printf "%d\n", ($12 + $13) * 1000 / t }'; }
# total share of a function (samples with it on the stack), in tenths of a
# percent of all samples
total_pm() { jq -r --arg f "$2" '.profiles[0].cpu as $c | ([$c.functions[] | select(.function == $f) | .total] | add // 0) * 1000 / $c.totals.samples | floor' "$1"; }
# perf's total share of a symbol (perf report --children), in tenths of a
# percent. Totals, not self: a sample in the kernel on top of work_a (the
# task scheduled back in, on a busy machine) is work_a's in both, where the
# self shares differ by such samples' chance, a few of a few hundred.
perf_pm() { awk -v f="$2" '$3 == "[.]" && $4 == f { sub("%", "", $1); printf "%d\n", $1 * 10 + 0.5; found = 1 } END { if (!found) print 0 }' "$1"; }
kernel_ok=0
if [ "$(id -u)" -eq 0 ] || [ "$(cat /proc/sys/kernel/perf_event_paranoid)" -le 1 ]; then kernel_ok=1; fi
have_perf=0
if command -v perf >/dev/null && perf record -q -o "$WORK/probe.data" -- true >/dev/null 2>&1; then have_perf=1; fi

# attach NAME PID ARGS...: scorch record -p PID -o NAME.scorch ARGS; sets
# rc, err, cpu0 and cpu1 (the process's CPU ms before and after)
attach() {
	local name=$1 pid=$2
	shift 2
	cpu0=$(cpu_ms "$pid")
	"$SCORCH" record -p "$pid" -o "$WORK/$name.scorch" "$@" >"$WORK/$name.out" 2>"$WORK/$name.err"
	rc=$?
	cpu1=$(cpu_ms "$pid" 2>/dev/null || echo 0)
	err=$(cat "$WORK/$name.err")
	echo "--- scorch record -p $pid $* (exit $rc)"; sed 's/^/    /' "$WORK/$name.err"
	"$SCORCH" report --json --limit=0 "$WORK/$name.scorch" >"$WORK/$name.json" 2>/dev/null
}

# beside NAME PID SECONDS: scorch record -p PID and (when it can record
# here) perf record -p PID --call-graph dwarf at scorch's fixed period (-F
# would let perf adapt it to the load), over exactly the same CPU time of
# the process: it is stopped (SIGSTOP: its counters count nothing) while
# both attach and while both are stopped, and runs SECONDS in between. On a
# busy machine a window of some hundred ms of CPU holds few of cpu-split's
# 10 ms slices, and two windows ending apart would differ by the slices cut
# at their ends. Sets what attach() sets.
beside() {
	local name=$1 pid=$2 secs=$3 pp= sp i
	kill -STOP "$pid"
	if [ "$have_perf" = 1 ]; then
		perf record -q -c $((1000000000 / HZ)) -p "$pid" --call-graph dwarf -o "$WORK/$name.data" \
			>/dev/null 2>"$WORK/$name.perf.err" &
		pp=$!
	fi
	"$SCORCH" record -p "$pid" -o "$WORK/$name.scorch" >"$WORK/$name.out" 2>"$WORK/$name.err" &
	sp=$!
	# both attached: scorch says so; perf has its counters open (one per
	# CPU), and a second more to enable them and start reading (it says
	# nothing): the process is stopped, so waiting costs only time
	for i in $(seq 400); do
		if grep -q "attached to" "$WORK/$name.err" 2>/dev/null &&
		   { [ -z "$pp" ] || [ "$(ls -l /proc/$pp/fd 2>/dev/null | grep -c perf_event)" -ge "$(nproc)" ]; }; then
			break
		fi
		sleep 0.05
	done
	[ -n "$pp" ] && sleep 1
	cpu0=$(cpu_ms "$pid")
	kill -CONT "$pid"
	sleep "$secs"
	kill -STOP "$pid"
	cpu1=$(cpu_ms "$pid")
	kill -INT "$sp" $pp
	wait "$sp"
	rc=$?
	[ -n "$pp" ] && wait "$pp"
	kill -CONT "$pid"
	err=$(cat "$WORK/$name.err")
	echo "--- scorch record -p $pid, the process running $secs s in between (exit $rc)"
	sed 's/^/    /' "$WORK/$name.err"
	"$SCORCH" report --json --limit=0 "$WORK/$name.scorch" >"$WORK/$name.json" 2>/dev/null
}

# tol NAME.json SLICE_MS: the tolerance (per mille) of a known split in a
# window holding C ms of the process's CPU time: 20, and what the window's
# two ends may cut off a slice of SLICE_MS ms (the split holds over whole
# slices only): on the busy machine a 2 s window held as little as 150 ms
tol() { local c; c=$(q "$1" '.profiles[0].cpu.sampling.cpu_time_ns / 1000000 | floor'); echo $(( 20 + $2 * 1000 / (c > 0 ? c : 1) )); }

# rate checks: samples against the CPU time the launcher saw the process
# use while attached (want: that time x the rate), and that CPU time within
# what the test saw before and after (the window is inside that).
# How many samples may be missing, $2:
# - attached (-p): a counter per thread counts the thread's own CPU time
#   and samples at every full period of it, so each thread loses at most
#   the part period it ends the window with (a thread made while attached
#   starts a full period), and 2 for the window's edges: THREADS + 2;
# - -a: a counter per CPU samples whatever runs there when its period (of
#   the CPU's time) ends, so a process's count is the sum over the slices
#   it ran of ~ slice/period, each rounded up or down at random: unbiased,
#   but at most sqrt(slices)/2 samples of deviation for a standard one, and
#   on a busy machine a CPU hog runs in 500-1,500 slices of ~0.3 ms in
#   1.5 s (/proc/PID/schedstat): 3 of those deviations and 2.
# (perf record -a counts the same way: the spread is the method's.)
rate_checks() { # name lost
	local n=$1 lost=$2 samples cpu_ns want
	samples=$(q "$n.json" '.profiles[0].cpu.totals.samples')
	cpu_ns=$(q "$n.json" '.profiles[0].cpu.sampling.cpu_time_ns')
	want=$(( cpu_ns * HZ / 1000000000 ))
	echo "    $n: $samples samples for $((cpu_ns / 1000000)) ms of CPU: $want at $HZ Hz ($(( samples * 1000 / (want > 0 ? want : 1) )) per mille), $lost may be missing"
	check_ge "$n: samples" "$samples" 100
	check_ge "$n: samples >= CPU time x $HZ Hz - $lost" "$samples" "$((want - lost))"
	check_ge "$n: the test's bracket holds the sampled CPU time (ms, +20)" "$((cpu1 - cpu0 + 20))" "$((cpu_ns / 1000000))"
	check_ge "$n: samples not over the bracket's CPU time x $HZ Hz (+2%)" \
		"$(( (cpu1 - cpu0) * HZ / 1000 * 102 / 100 + 20 ))" "$samples"
}

# ---- a known split, beside perf
"$PROGS/cpu-split" 9000 >split.stdout 2>/dev/null &
pid=$!
sleep 0.3
beside split "$pid" 2
check "split: exit" "$rc" 0
check "split: still running after scorch detached" "$(kill -0 "$pid" 2>/dev/null && echo yes)" yes
check "split: source" "$(q split.json '.profiles[0].cpu.sampling.source')" \
	"perf cpu-clock from outside (attached to the running process)"
check "split: pid" "$(q split.json '.profiles[0].program.pid')" "$pid"
check_match "split: summary" "$err" 'attached for [0-9.]+ s; it runs on, untouched'
a=$(total_pm split.json work_a) b=$(total_pm split.json work_b) c=$(total_pm split.json work_c)
t=$(tol split.json 10)
within "split: work_a (per mille)" "$a" 500 "$t"
within "split: work_b (per mille)" "$b" 300 "$t"
within "split: work_c (per mille)" "$c" 200 "$t"
check "split: main is on every work_a stack" "$(total_pm split.json main)" 1000
rate_checks split 3
# one thread: the issue's 97% of the asked rate
check_ge "split: achieved rate (per mille of $HZ Hz)" "$(( $(q split.json '.profiles[0].cpu.totals.samples') * 1000 / ($(q split.json '.profiles[0].cpu.sampling.cpu_time_ns') * HZ / 1000000000) ))" 970
if [ "$kernel_ok" = 1 ]; then
	check_ge "split: kernel frames, in [kernel.kallsyms] and named" \
		"$(q split.json '[.profiles[0].cpu.functions[] | select(.module == "[kernel.kallsyms]" and (.function | test("^[a-z_]")))] | length')" 1
else
	check_match "split: why no kernel frames" "$err" 'no kernel frames: the kernel refused them'
fi
if [ "$have_perf" = 1 ]; then
	perf report -i split.data --children --sort sym -g none --stdio -q >split.perf 2>/dev/null
	pa=$(perf_pm split.perf work_a) pb=$(perf_pm split.perf work_b) pc=$(perf_pm split.perf work_c)
	echo "    total shares (per mille) scorch / perf: work_a $a / $pa, work_b $b / $pb, work_c $c / $pc;" \
		"samples $(q split.json '.profiles[0].cpu.totals.samples') / $(perf script -i split.data -F tid 2>/dev/null | wc -l)"
	# one line a sample (perf report's "# Samples: 1K" is rounded)
	ps=$(perf script -i split.data -F tid 2>/dev/null | wc -l)
	ss=$(q split.json '.profiles[0].cpu.totals.samples')
	# the same period over the same CPU time: the same count, but for a
	# sample or two at the edges
	within "split: samples vs perf's (per mille of perf's)" "$(( ss * 1000 / (ps > 0 ? ps : 1) ))" 1000 30
	within "split: work_a vs perf" "$a" "$pa" 20
	within "split: work_b vs perf" "$b" "$pb" 20
	within "split: work_c vs perf" "$c" "$pc" 20
else
	echo "    (perf cannot record here: no side-by-side run)"
fi
wait "$pid"
check "split: its exit status" "$?" 0
check "split: its output, as without scorch" "$(cat split.stdout)" "cpu-split: 50.0/30.0/20.0 of 9000 ms"

# ---- all the work in threads made after attaching
"$PROGS/cpu-attach" 6000 >late.stdout 2>/dev/null &
pid=$!
sleep 0.3
beside late "$pid" 2
check "late threads: exit" "$rc" 0
ta=$(total_pm late.json late_work_a) tb=$(total_pm late.json late_work_b)
check_ge "late threads: late_work_a + late_work_b (per mille of all)" "$((ta + tb))" 900
within "late threads: late_work_a of the two (per mille)" "$((ta * 1000 / (ta + tb > 0 ? ta + tb : 1)))" 600 "$(tol late.json 24)"
check_ge "late threads: threads seen" "$(q late.json '.profiles[0].program.threads | length')" 5
check_match "late threads: named" "$(q late.json '[.profiles[0].program.threads[].name] | join(" ")')" 'late-[0-9]+'
# every thread the process had while attached may end with a part period:
# its workers run one at a time, 20 ms of CPU each, so the window held at
# most CPU/20 ms of them, one cut at each end and main
rate_checks late "$(( $(q late.json '.profiles[0].cpu.sampling.cpu_time_ns') / 20000000 + 3 + 2 ))"
if [ "$have_perf" = 1 ]; then
	perf report -i late.data --children --sort sym -g none --stdio -q >late.perf 2>/dev/null
	sa=$ta sb=$tb
	pa=$(perf_pm late.perf late_work_a) pb=$(perf_pm late.perf late_work_b)
	echo "    total shares (per mille) scorch / perf: late_work_a $sa / $pa, late_work_b $sb / $pb"
	within "late threads: late_work_a vs perf" "$sa" "$pa" 20
	within "late threads: late_work_b vs perf" "$sb" "$pb" 20
fi
wait "$pid"
check "late threads: its exit status" "$?" 0
check_match "late threads: its output" "$(cat late.stdout)" '^cpu-attach: [0-9]+ threads, 60\.0/40\.0$'

# ---- a static binary (no loader, no preload: attaching needs neither)
"$PROGS/cpu-static-split" 6000 >static.stdout 2>/dev/null &
pid=$!
sleep 0.3
attach static "$pid" --duration=1.5
check "static: exit" "$rc" 0
check_match "static: --duration" "$err" 'attached for [0-9.]+ s; it runs on, untouched'
# --duration=1.5 is when it stops reading: at least 1.5 s, and on a busy
# machine the last read and the detach may take a few hundred ms more
att=$(printf '%s\n' "$err" | sed -n 's/.*attached for \([0-9.]*\) s.*/\1/p' | head -1)
check "static: attached 1.5 s to 2.5 s ($att s)" "$(awk -v a="${att:-0}" 'BEGIN { print (a >= 1.5 && a < 2.5) ? "yes" : "no" }')" yes
t=$(tol static.json 10)
within "static: work_a (per mille)" "$(total_pm static.json work_a)" 500 "$t"
within "static: work_b (per mille)" "$(total_pm static.json work_b)" 300 "$t"
within "static: work_c (per mille)" "$(total_pm static.json work_c)" 200 "$t"
rate_checks static 3
check_ge "static: achieved rate (per mille of $HZ Hz)" "$(( $(q static.json '.profiles[0].cpu.totals.samples') * 1000 / ($(q static.json '.profiles[0].cpu.sampling.cpu_time_ns') * HZ / 1000000000) ))" 970
wait "$pid"
check "static: its output" "$(cat static.stdout)" "cpu-split: 50.0/30.0/20.0 of 6000 ms"

# wait_exec PID NAME: until the background shell PID has exec'd NAME.
# Attached before that exec, scorch follows it and names the profile after
# the new image (NAME.PID.scorch), and the -o file looked at here holds the
# shell's few microseconds only (0 samples: a CI run of the ^C case).
wait_exec() {
	local i
	for i in $(seq 1 500); do
		case $(readlink "/proc/$1/exe" 2>/dev/null) in */"$2") return 0 ;; esac
		sleep 0.01
	done
}

# ---- a library loaded after attaching (dlopen): its module is read then
rm -f "$WORK/go"
"$PROGS/cpu-attach" dlopen "$WORK/go" 600 >dl.stdout 2>/dev/null &
pid=$!
wait_exec "$pid" cpu-attach
"$SCORCH" record -p "$pid" -o dl.scorch >/dev/null 2>dl.err &
sp=$!
for i in $(seq 200); do grep -q "attached to" dl.err && break; sleep 0.05; done
touch "$WORK/go"
wait "$sp"
check "dlopen: exit" "$?" 0
wait "$pid"
check "dlopen: its output" "$(cat dl.stdout)" "cpu-attach: dlopen ok"
"$SCORCH" report --json --limit=0 dl.scorch >dl.json 2>/dev/null
check_ge "dlopen: samples in libz's crc32, named (per mille)" \
	"$(jq -r '.profiles[0].cpu as $c | ([$c.functions[] | select((.function | startswith("crc32")) and (.module | startswith("libz"))) | .total] | add // 0) * 1000 / $c.totals.samples | floor' dl.json)" 800

# ---- ^C ends the sampling, and the profile is written (exit 0)
"$PROGS/cpu-split" 60000 >/dev/null 2>&1 &
pid=$!
wait_exec "$pid" cpu-split
"$SCORCH" record -p "$pid" -o int.scorch >int.out 2>int.err &
sp=$!
sleep 1.5
kill -INT "$sp"
wait "$sp"
check "SIGINT: exit" "$?" 0
check_ge "SIGINT: samples" "$("$SCORCH" report --json int.scorch | jq -r '.profiles[0].cpu.totals.samples')" 50
check "SIGINT: the process runs on" "$(kill -0 "$pid" 2>/dev/null && echo yes)" yes
kill "$pid"; wait "$pid" 2>/dev/null

# ---- the process exits while attached: scorch stops and writes
"$PROGS/cpu-split" 600 >exit.stdout 2>/dev/null &
pid=$!
sleep 0.1
"$SCORCH" record -p "$pid" -o exited.scorch >/dev/null 2>exited.err
check "exited: scorch's exit" "$?" 0
check_match "exited: summary" "$(cat exited.err)" 'it exited meanwhile'
check_ge "exited: samples" "$("$SCORCH" report --json exited.scorch | jq -r '.profiles[0].cpu.totals.samples')" 50
wait "$pid"
check "exited: its output" "$(cat exit.stdout)" "cpu-split: 50.0/30.0/20.0 of 600 ms"

# ---- -a: every process, a profile for each one with samples
if [ "$(id -u)" -eq 0 ] || [ "$(cat /proc/sys/kernel/perf_event_paranoid)" -le 0 ]; then
	# long enough to outlive -a's finalizing of every process it saw (with
	# the sanitizer build beside another CI it took more than 9 s): its
	# CPU time is read after scorch ends, and it is killed below
	"$PROGS/cpu-split" 60000 >sys.stdout 2>/dev/null &
	pid=$!
	sleep 0.3
	mkdir -p "$WORK/sys"
	cpu0=$(cpu_ms "$pid")
	# the slices it is scheduled in (3rd field; 0 0 0 without schedstats)
	read -r _ _ k0 <"/proc/$pid/schedstat" 2>/dev/null || k0=0
	(cd "$WORK/sys" && exec "$SCORCH" record -a --duration=1.5 >"$WORK/sys.out" 2>"$WORK/sys.err") &
	sp=$!
	wait "$sp"
	rc=$?
	cpu1=$(cpu_ms "$pid")
	read -r _ _ k1 <"/proc/$pid/schedstat" 2>/dev/null || k1=0
	echo "--- scorch record -a --duration=1.5 (exit $rc): $(grep -c 'wrote' sys.err) profiles"
	grep -A3 "(pid $pid)" sys.err | sed 's/^/    /'
	check "-a: exit" "$rc" 0
	check "-a: cpu-split's profile" "$(ls sys | grep -c "^cpu-split\.$pid\.scorch\$")" 1
	check "-a: none of scorch itself" "$(ls sys | grep -c "\.$sp\.scorch\$")" 0
	"$SCORCH" report --json --limit=0 "sys/cpu-split.$pid.scorch" >sys.json 2>/dev/null
	t=$(tol sys.json 10)
	within "-a: work_a (per mille)" "$(total_pm sys.json work_a)" 500 "$t"
	within "-a: work_b (per mille)" "$(total_pm sys.json work_b)" 300 "$t"
	within "-a: work_c (per mille)" "$(total_pm sys.json work_c)" 200 "$t"
	if [ "$((k1 - k0))" -gt 0 ]; then
		# slices over scorch's whole run (finalizing too): more than the window's
		rate_checks sys "$(awk -v k=$((k1 - k0)) 'BEGIN { printf "%d", 3 * sqrt(k) / 2 + 2 }')"
	else
		echo "    (no /proc/$pid/schedstat: the slice count is unknown, 10% may be missing)"
		rate_checks sys "$(( $(q sys.json '.profiles[0].cpu.sampling.cpu_time_ns') * HZ / 10000000000 ))"
	fi
	kill "$pid"; wait "$pid" 2>/dev/null
else
	echo "    (-a needs root or perf_event_paranoid <= 0: not tested)"
fi
"$SCORCH" record -a -o x.scorch >/dev/null 2>ao.err
check_ge "-a -o: exit" "$?" 1
check_match "-a -o: message" "$(cat ao.err)" "-a writes a profile per process"

# ---- errors: clear message, non-zero exit, nothing left behind
true & gone=$!; wait "$gone"
"$SCORCH" record -p "$gone" --duration=1 -o none.scorch >/dev/null 2>none.err
rc=$?
check_ge "no such process: exit" "$rc" 1
check_match "no such process: message" "$(cat none.err)" "cannot attach to process $gone: no such process"
check "no such process: no profile, no session directory" "$(ls -A | grep -c '^\.scorch-\|^none\.scorch')" 0
"$SCORCH" record -p "$$" -- "$PROGS/cpu-split" 100 >/dev/null 2>prog.err
check_ge "-p with a program: exit" "$?" 1
check_match "-p with a program: message" "$(cat prog.err)" "give no program to run as well"
"$SCORCH" record -p 12x >/dev/null 2>bad.err
check_ge "-p 12x: exit" "$?" 1
check_match "-p 12x: message" "$(cat bad.err)" "-p takes process ids"
"$SCORCH" record -p "$$" --heap >/dev/null 2>heap.err
check_ge "-p --heap: exit" "$?" 1
check_match "-p --heap: message" "$(cat heap.err)" "needs scorch's library preloaded"
# another user's process: as root, scorch run as nobody against root's
if [ "$(id -u)" -eq 0 ] && command -v setpriv >/dev/null; then
	sleep 30 &
	sl=$!
	mkdir -p "$WORK/nobody" && chmod 777 "$WORK/nobody"
	(cd "$WORK/nobody" && setpriv --reuid=65534 --regid=65534 --clear-groups -- \
		"$SCORCH" record -p "$sl" --duration=1 >/dev/null 2>"$WORK/other.err")
	rc=$?
	kill "$sl"; wait "$sl" 2>/dev/null
	if grep -q "cannot attach" "$WORK/other.err"; then
		check_ge "another user's process: exit" "$rc" 1
		check_match "another user's process: message" "$(cat "$WORK/other.err")" \
			"cannot attach to process $sl: permission denied: it belongs to another user"
		check "another user's process: nothing left behind" "$(ls -A "$WORK/nobody" | wc -l)" 0
		# its own process, as nobody: kernel frames only where allowed
		setpriv --reuid=65534 --regid=65534 --clear-groups -- "$PROGS/cpu-split" 3000 >/dev/null 2>&1 &
		sleep 0.3
		own=$(pgrep -u 65534 -f "cpu-split 3000" | head -1)
		(cd "$WORK/nobody" && setpriv --reuid=65534 --regid=65534 --clear-groups -- \
			"$SCORCH" record -p "$own" --duration=1 -o own.scorch >/dev/null 2>"$WORK/own.err")
		check "nobody's own process: exit" "$?" 0
		if [ "$(cat /proc/sys/kernel/perf_event_paranoid)" -ge 2 ]; then
			check_match "nobody's own process: why no kernel frames" "$(cat "$WORK/own.err")" \
				'no kernel frames: the kernel refused them .*perf_event_paranoid is [0-9]+'
			check "nobody's own process: no kernel frame" "$("$SCORCH" report --json --limit=0 "$WORK/nobody/own.scorch" |
				jq '[.profiles[0].cpu.functions[] | select(.module == "[kernel.kallsyms]")] | length')" 0
		fi
		"$SCORCH" report --json --limit=0 "$WORK/nobody/own.scorch" >"$WORK/own.json"
		within "nobody's own process: work_a (per mille)" "$(total_pm "$WORK/own.json" work_a)" 500 "$(tol "$WORK/own.json" 10)"
		kill "$own" 2>/dev/null
	else
		echo "    (nobody cannot run $SCORCH here: $(head -c 200 "$WORK/other.err"); another user's process not tested)"
	fi
else
	echo "    (not root: another user's process not tested)"
fi
finish
