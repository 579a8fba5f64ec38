# Four threads allocating and freeing each other's blocks; 200 short threads.
. "$ROOT/tests/e2e/lib.sh"
heap t "$PROGS/threads"
check "exit" "$rc" 0
json t.scorch
J=t.scorch.json
check "ring_alloc allocations" "$(site $J ring_alloc allocations)" 1000
check "ring_alloc bytes" "$(site $J ring_alloc bytes)" 32000
check "ring_alloc leaked" "$(site $J ring_alloc leaked_blocks)" 0
check "ring_alloc freed" "$(site $J ring_alloc freed)" 1000
check "unmatched frees" "$(q $J '.profiles[0].totals.unmatched_frees')" 0
check "worker threads named" "$(q $J '[.profiles[0].program.threads[].name | select(startswith("worker-"))] | sort | join(",")')" "worker-0,worker-1,worker-2,worker-3"
check "threads" "$(q $J '.profiles[0].program.threads | length')" 5
heap m "$PROGS/many-threads"
check "many exit" "$rc" 0
json m.scorch
J=m.scorch.json
check "thread_site allocations" "$(site $J thread_site allocations)" 200
check "thread_site freed" "$(site $J thread_site freed)" 200
check "threads" "$(q $J '.profiles[0].program.threads | length')" 201
check "unmatched frees" "$(q $J '.profiles[0].totals.unmatched_frees')" 0
# blocks handed over through a lock-free slot and freed at once on the other
# thread: every free after its allocation, nothing unknown, nothing leaked
heap h "$PROGS/handoff" 20000
check "handoff exit" "$rc" 0
json h.scorch
J=h.scorch.json
check "send_alloc allocations" "$(site $J send_alloc allocations)" 20000
check "send_alloc freed" "$(site $J send_alloc freed)" 20000
check "send_alloc leaked" "$(site $J send_alloc leaked_blocks)" 0
check "handoff unmatched frees" "$(q $J '.profiles[0].totals.unmatched_frees')" 0
finish
