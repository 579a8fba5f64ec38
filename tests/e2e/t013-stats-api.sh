# scorch_heap_stats(): exact counts under scorch and with -lscorch, a clear
# error code without the runtime.
. "$ROOT/tests/e2e/lib.sh"
check "without runtime" "$("$PROGS/stats")" "absent=-1"
heap s "$PROGS/stats"
check "under scorch" "$(head -1 s.out)" "none=0 three=3 frees=2 bytes=300 cur=+1 thread=3"
check "threads under scorch" "$(sed -n 2p s.out)" "threads=10,10,10,10 frees=40"
check "recording flag" "$(tail -1 s.out)" "recording=1"
check "linked, no scorch" "$("$PROGS/stats-linked" | head -1)" "none=0 three=3 frees=2 bytes=300 cur=+1 thread=3"
check "linked: threads" "$("$PROGS/stats-linked" | sed -n 2p)" "threads=10,10,10,10 frees=40"
check "linked: not recording" "$("$PROGS/stats-linked" | tail -1)" "recording=0"
# a disabled build compiles the API to constants
cc -std=gnu11 -pthread -DSCORCH_DISABLE -I"$ROOT/include" -o stats-off "$ROOT/tests/progs/stats.c" || fail "SCORCH_DISABLE build failed"
check "SCORCH_DISABLE" "$(./stats-off)" "absent=-3"
finish
