# Programs that handle their own SIGSEGVs (write barriers, guard pages, a
# JIT's traps) run under scorch as they run alone: the same output and exit
# status, about the same speed (the runtime used to write a whole set of
# end-of-process records and flush every buffer at each handled fault,
# 20-60 us each, and a SA_NODEFER handler that jumps out died of its second
# fault), and the handler runs with the flags it asked for (its own stack,
# its own SA_RESTART). When the handler ends the process (_exit, abort, a
# re-raise or a repeated fault with the default action) or there is no
# handler, nothing recorded is lost: the exact allocations before the end
# and the CPU samples of the 0.3 s burn are in the profile.
# N (default 50000) sets the number of faults of the loops.
. "$ROOT/tests/e2e/lib.sh"
P=$PROGS/fault-loop
N=${N:-50000}
LIMIT=${LIMIT:-300}   # seconds per run before it counts as hung

now_ms() { echo $(( $(date +%s%N) / 1000000 )); }
# timed NAME CMD...: runs CMD under timeout; sets rc, out, ms (wall time)
timed() {
	local name=$1 t0
	shift
	t0=$(now_ms)
	timeout "$LIMIT" "$@" >"$name.out" 2>"$name.err"
	rc=$?
	ms=$(( $(now_ms) - t0 ))
	out=$(cat "$name.out")
}
samples_in() { jq -r --arg f "$2" '[.profiles[0].cpu.functions[]? | select(.function == $f) | .total] | add // 0' "$1"; }

# --- the loops: speed, exact counts, one end
for mode in loop jump; do
	timed "alone-$mode" "$P" "$mode" "$N"
	arc=$rc aout=$out ams=$ms
	check "$mode alone: status" "$arc" 0
	case $mode in
	loop) check "$mode alone: output" "$aout" "fault-loop: $N faults, $N allocations, last store done" ;;
	jump) check "$mode alone: output" "$aout" "fault-loop: $N jumps" ;;
	esac
	for cmd in record heap; do
		# what scorch costs a program without faults (start, finalize)
		timed "base-$cmd-$mode" "$SCORCH" "$cmd" -o "base-$cmd-$mode.scorch" -- "$P" calm 0
		base=$ms
		timed "$cmd-$mode" "$SCORCH" "$cmd" -o "$cmd-$mode.scorch" -- "$P" "$mode" "$N"
		srun=$ms
		check "$mode under $cmd: status" "$rc" "$arc"
		check "$mode under $cmd: output" "$out" "$aout"
		# alone again: the slower of the two runs alone beside it is the
		# machine's load at the time
		timed "alone2-$cmd-$mode" "$P" "$mode" "$N"
		a=$(( ams > ms ? ams : ms ))
		ams=$ms
		limit=$(( 3 * a + base ))
		if [ "$srun" -le "$limit" ]; then
			echo "ok: $mode under $cmd: $srun ms <= 3 x $a ms alone + $base ms (scorch $cmd of no faults)"
		else
			fail "$mode under $cmd: $srun ms, more than 3 x $a ms alone + $base ms (scorch $cmd of no faults)"
		fi
		json "$cmd-$mode.scorch"
		j=$cmd-$mode.scorch.json
		check "$mode under $cmd: exit" "$(q "$j" '.profiles[0].program.exit | "\(.kind) \(.value)"')" "normal 0"
		check "$mode under $cmd: complete" "$(q "$j" '.profiles[0].program.incomplete')" false
		check "$mode under $cmd: one process" "$(q "$j" '.profiles | length')" 1
		if [ "$cmd" = heap ] && [ "$mode" = loop ]; then
			check "loop under heap: loop_alloc allocations" "$(site "$j" loop_alloc allocations)" "$N"
			check "loop under heap: loop_alloc freed" "$(site "$j" loop_alloc freed)" "$N"
			check "loop under heap: lost events" "$(q "$j" '.profiles[0].program.lost_events')" 0
			# The same allocations without the faults: the profile grows
			# by what the allocations' less regular times cost (19.5 KB
			# against 3.5 KB at 50,000, about 3 bits an event), not by a
			# set of end records per fault (120 KB before: 2 B a fault).
			# Allowed: 4 bits an event and 16 KB.
			timed calm "$SCORCH" heap -o calm.scorch -- "$P" calm "$N"
			fs=$(stat -c %s heap-loop.scorch) cs=$(stat -c %s calm.scorch)
			if [ "$fs" -le $(( cs + N / 2 + 16384 )) ]; then
				echo "ok: loop under heap: profile $fs B, without the faults $cs B"
			else
				fail "loop under heap: profile $fs B, more than $cs B without the faults + $N/2 + 16 KB"
			fi
		fi
	done
done
# --- the ways a handled fault (or no handler) ends the process
for mode in exit abort abort-ret reraise refault crash; do
	timed "alone-$mode" "$P" "$mode"
	arc=$rc aout=$out
	case $mode in
	exit) want_rc=3 want_exit="normal 3" ;;
	abort|abort-ret) want_rc=134 want_exit="signal 6" ;;
	*) want_rc=139 want_exit="signal 11" ;;
	esac
	check "$mode alone: status" "$arc" "$want_rc"
	timed "rec-$mode" "$SCORCH" record --heap -F 999 -o "rec-$mode.scorch" -- "$P" "$mode"
	check "$mode under record --heap: status" "$rc" "$arc"
	check "$mode under record --heap: output" "$out" "$aout"
	json "rec-$mode.scorch"
	j=rec-$mode.scorch.json
	check "$mode: exit" "$(q "$j" '.profiles[0].program.exit | "\(.kind) \(.value)"')" "$want_exit"
	check "$mode: complete (a final flush)" "$(q "$j" '.profiles[0].program.incomplete')" false
	check "$mode: before_fault allocations" "$(site "$j" before_fault allocations)" 7
	check "$mode: before_fault live at the end" "$(site "$j" before_fault leaked_blocks)" 7
	# burn runs 0.3 s of its own CPU time: at 999 Hz about 300 samples
	# (the runtime's flush at the end keeps them; 80% allows for a slow
	# start of the counter)
	cpu_ms=$(sed -n 's/^cpu_ms //p' "rec-$mode.err")
	check_ge "$mode: samples in burn (process CPU ${cpu_ms:-?} ms)" "$(samples_in "$j" burn)" 240
	check "$mode: lost events" "$(q "$j" '.profiles[0].program.lost_events')" 0
done

# --- the handler's own flags: its stack (not the alternate one unless it
# asks for SA_ONSTACK) and no restarting of the read without SA_RESTART
for args in "altstack" "altstack onstack" "eintr"; do
	case $args in
	altstack) want="altstack: asked 0, ran on it 0" ;;
	"altstack onstack") want="altstack: asked 1, ran on it 1" ;;
	eintr) want="eintr: read -1 EINTR, handled 1" ;;
	esac
	timed alone-flags "$P" $args
	check "$args alone" "$rc $out" "0 $want"
	for cmd in record heap; do
		timed "flags-$cmd" "$SCORCH" "$cmd" -o flags.scorch -- "$P" $args
		check "$args under $cmd" "$rc $out" "0 $want"
	done
done
finish
