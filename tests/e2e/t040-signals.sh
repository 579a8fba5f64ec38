# Signal handlers inside the profiled program (issue 11): a handler that
# siglongjmps out of allocator calls (sig-longjmp) and handlers that allocate
# inside allocator calls (sig-alloc, on one thread and on two). Each runs many
# times under scorch heap, scorch record and scorch record --heap, each run
# under timeout: never a hang, the same output and exit status as alone,
# allocation counts exact to the call (every handler allocation, every failed
# call of the spin loop), lost_events 0 when nothing can be lost and said
# when something was. RUNS (default 20) sets the number of runs per case.
. "$ROOT/tests/e2e/lib.sh"
RUNS=${RUNS:-20}
LIMIT=${LIMIT:-120}   # seconds per run; alone each takes well under one

lj_out="sig-longjmp: 200 jumps, 20000 allocations in the handler, 1000 in main"
sa_out="sig-alloc: 200 handler runs, 20000 allocations in handlers"
sat_out="sig-alloc: 2 threads, 400 handler runs, 40000 allocations in handlers"
check "sig-longjmp alone" "$(timeout $LIMIT "$PROGS/sig-longjmp"; echo "exit $?")" "$lj_out
exit 3"
check "sig-alloc alone" "$(timeout $LIMIT "$PROGS/sig-alloc" 2>/dev/null; echo "exit $?")" "$sa_out
exit 0"
check "sig-alloc threads alone" "$(timeout $LIMIT "$PROGS/sig-alloc" threads 2>/dev/null; echo "exit $?")" "$sat_out
exit 0"

# one run: NAME MODE(heap|record|recordheap) PROG ARGS...; sets rc, j (the JSON)
run() {
	local name=$1 mode=$2
	shift 2
	local cmd=(heap)
	[ "$mode" = record ] && cmd=(record -F 999)
	[ "$mode" = recordheap ] && cmd=(record --heap -F 999)
	rm -f "$name.scorch" "$name.json"
	timeout $LIMIT "$SCORCH" "${cmd[@]}" -o "$name.scorch" -- "$@" >"$name.out" 2>"$name.err"
	rc=$?
	j=$name.json
	"$SCORCH" report --json --limit=0 "$name.scorch" >"$j" 2>/dev/null || echo '{}' >"$j"
}

# per case, each run's differences from the truth; no output when all agree
bad=()
note() { bad+=("$*"); }
site_n() { jq -r --arg f "$2" "[.profiles[0].sites[] | select(.function == \$f) | .$3] | add // 0" "$1"; }
failed_n() { jq -r --arg f "$2" '.profiles[0].calls[] | select(.function == $f) | .failed' "$1"; }
lost_n() { jq -r '.profiles[0].program.lost_events // "missing"' "$1"; }

# the checks every run gets: no hang, the program's own output and status
same_as_alone() { # label expected-stdout expected-rc
	[ "$rc" = 124 ] && { note "$1: hung (killed by timeout after ${LIMIT}s)"; return 1; }
	[ "$rc" = "$3" ] || note "$1: exit $rc, alone $3"
	[ "$(cat "$name.out")" = "$2" ] || note "$1: stdout '$(head -c 200 "$name.out")'"
	return 0
}

# sig-alloc: every allocation in the handlers and in main_allocs, and every
# failed call of the spin loop (its round count is on stderr)
check_alloc() { # label handler-allocs main-allocs
	local rounds
	rounds=$(sed -n 's/^spin rounds //p' "$name.err")
	[ "$(site_n "$j" handler_allocs allocations)" = "$2" ] ||
		note "$1: handler_allocs $(site_n "$j" handler_allocs allocations), not $2"
	[ "$(site_n "$j" handler_allocs freed)" = "$2" ] ||
		note "$1: handler_allocs freed $(site_n "$j" handler_allocs freed), not $2"
	[ "$(site_n "$j" main_allocs allocations)" = "$3" ] ||
		note "$1: main_allocs $(site_n "$j" main_allocs allocations), not $3"
	# malloc(huge) and realloc(NULL, huge) count as failed mallocs
	[ "$(failed_n "$j" malloc)" = $((2 * rounds)) ] ||
		note "$1: $(failed_n "$j" malloc) failed mallocs for $rounds rounds (want $((2 * rounds)))"
	[ "$(failed_n "$j" calloc)" = "$rounds" ] ||
		note "$1: $(failed_n "$j" calloc) failed callocs for $rounds rounds"
	[ "$(failed_n "$j" posix_memalign)" = "$rounds" ] ||
		note "$1: $(failed_n "$j" posix_memalign) failed posix_memaligns for $rounds rounds"
	[ "$(lost_n "$j")" = 0 ] || note "$1: lost_events $(lost_n "$j") (nothing can be lost here)"
}

# sig-longjmp: a call the handler jumped out of before it was written down is
# counted as lost (at most one per jump) and said in the summary
check_jump() { # label
	[ "$(site_n "$j" handler_allocs allocations)" = 20000 ] ||
		note "$1: handler_allocs $(site_n "$j" handler_allocs allocations), not 20000"
	[ "$(site_n "$j" handler_allocs freed)" = 20000 ] ||
		note "$1: handler_allocs freed $(site_n "$j" handler_allocs freed), not 20000"
	[ "$(site_n "$j" main_allocs allocations)" = 1000 ] ||
		note "$1: main_allocs $(site_n "$j" main_allocs allocations), not 1000"
	local lost
	lost=$(lost_n "$j")
	if ! [ "$lost" -le 200 ] 2>/dev/null; then
		note "$1: lost_events '$lost' (at most one per jump, 200)"
	elif [ "$lost" -gt 0 ] && ! grep -q "$lost events* could not be recorded" "$name.err"; then
		note "$1: $lost lost events not in the summary"
	fi
}

# CPU samples keep coming after the handler's jumps: at least half of what
# the run's own CPU time asks for at 999 Hz (a sampler left blocked by a
# jump out of its handler took none after the first jump)
check_samples() { # label
	local cpu want got
	cpu=$(jq -r '.profiles[0].cpu.sampling.cpu_time_ns // 0' "$j")
	want=$((cpu * 999 / 1000000000 / 2))
	got=$(jq -r '.profiles[0].cpu.totals.samples // 0' "$j")
	[ "$got" -ge "$want" ] || note "$1: $got samples over $((cpu / 1000000)) ms of CPU (want >= $want)"
}

for i in $(seq "$RUNS"); do
	name=ljh; run $name heap "$PROGS/sig-longjmp"
	same_as_alone "sig-longjmp heap #$i" "$lj_out" 3 && check_jump "sig-longjmp heap #$i"
	name=ljr; run $name record "$PROGS/sig-longjmp"
	same_as_alone "sig-longjmp record #$i" "$lj_out" 3 && check_samples "sig-longjmp record #$i"
	name=sah; run $name heap "$PROGS/sig-alloc"
	same_as_alone "sig-alloc heap #$i" "$sa_out" 0 && check_alloc "sig-alloc heap #$i" 20000 1000
	name=sar; run $name record "$PROGS/sig-alloc"
	same_as_alone "sig-alloc record #$i" "$sa_out" 0 && check_samples "sig-alloc record #$i"
done
for i in $(seq $(( (RUNS + 3) / 4 ))); do
	name=lrh; run $name recordheap "$PROGS/sig-longjmp"
	if same_as_alone "sig-longjmp record --heap #$i" "$lj_out" 3; then
		check_jump "sig-longjmp record --heap #$i"
		check_samples "sig-longjmp record --heap #$i"
	fi
	name=srh; run $name recordheap "$PROGS/sig-alloc"
	same_as_alone "sig-alloc record --heap #$i" "$sa_out" 0 && check_alloc "sig-alloc record --heap #$i" 20000 1000
	name=sth; run $name heap "$PROGS/sig-alloc" threads
	same_as_alone "sig-alloc threads heap #$i" "$sat_out" 0 && check_alloc "sig-alloc threads heap #$i" 40000 2000
	name=str; run $name record "$PROGS/sig-alloc" threads
	same_as_alone "sig-alloc threads record #$i" "$sat_out" 0
done
check "runs that differ from the truth" "${#bad[@]}" 0
for b in "${bad[@]}"; do echo "    $b"; done

# the summary and the report say nothing of lost events when none were
name=sah; run $name heap "$PROGS/sig-alloc"
check "no loss: summary silent" "$(grep -c 'could not be recorded' sah.err)" 0
check "no loss: report silent" "$("$SCORCH" report sah.scorch | grep -c 'could not be recorded')" 0
# and say it when there were (sig-longjmp nearly always leaves some calls)
for i in 1 2 3 4 5; do
	name=ljh; run $name heap "$PROGS/sig-longjmp"
	[ "$(lost_n ljh.json)" -gt 0 ] 2>/dev/null && break
done
if [ "$(lost_n ljh.json)" -gt 0 ] 2>/dev/null; then
	check_match "loss: report says it" "$("$SCORCH" report ljh.scorch)" "warning: [0-9,]+ events? could not be recorded"
	check_match "loss: record summary says it" "$(cat ljh.err)" "warning: [0-9,]+ events? could not be recorded"
else
	echo "skip: no sig-longjmp run left a call behind in 5 runs (nothing to report)"
fi
finish
