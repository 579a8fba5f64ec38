# Heap events of several threads at once are encoded into the profile while
# the program runs (merged across threads up to the runtime's watermark,
# analysis/finalize.c), not after it exits, and the counts are exact.
. "$ROOT/tests/e2e/lib.sh"
export SCORCH_STREAM_STATS=1
heap s "$PROGS/stream-threads"
check "exit" "$rc" 0
json s.scorch
J=s.scorch.json
check "main_site allocations" "$(site $J main_site allocations)" 100
check "main_site bytes" "$(site $J main_site bytes)" 4800
check "worker_site allocations" "$(site $J worker_site allocations)" 40000
check "worker_site bytes" "$(site $J worker_site bytes)" 2560000
check "grow_site reallocs" "$(site $J grow_site allocations)" 200
check "grow_site bytes" "$(site $J grow_site bytes)" 25600
check "worker_site freed" "$(site $J worker_site freed)" 40000
check "grow_site freed" "$(site $J grow_site freed)" 200
check "realloc calls" "$(q $J '[.profiles[0].calls[] | select(.function == "realloc") | .calls] | add')" 200
check "unmatched frees" "$(q $J '.profiles[0].totals.unmatched_frees')" 0
check "threads" "$(q $J '.profiles[0].program.threads | length')" 5
check "worker threads named" "$(q $J '[.profiles[0].program.threads[].name | select(startswith("worker-"))] | sort | join(",")')" \
	"worker-0,worker-1,worker-2,worker-3"
# The launcher's figure: N of M heap events encoded while the program ran.
# All but those made after main returned (the C library's exit path: a
# few) were, since the program idles 1 s before it exits; the old launcher
# encoded a program with two allocating threads only after its exit.
line=$(grep -E '^scorch: raw\.[0-9]+\.0: [0-9]+ of [0-9]+ heap events encoded while the program ran' s.err)
check_match "stream figure" "$line" 'encoded while the program ran$'
live=$(printf '%s\n' "$line" | sed -E 's/.*: ([0-9]+) of ([0-9]+) heap.*/\1/')
total=$(printf '%s\n' "$line" | sed -E 's/.*: ([0-9]+) of ([0-9]+) heap.*/\2/')
check "every event in the figure" "${total:-0}" "$(q $J '.profiles[0].totals | .allocations + .frees + .free_null')"
check_ge "encoded while running" "${live:-0}" "$(( ${total:-0} - 100 ))"
check_ge "encoded while running (most)" "${live:-0}" 80000
finish
