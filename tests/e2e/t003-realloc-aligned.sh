# Every realloc corner and every aligned entry point, counted exactly.
. "$ROOT/tests/e2e/lib.sh"
heap r "$PROGS/realloc-chain"
check "realloc-chain exit" "$rc" 0
json r.scorch
J=r.scorch.json
check "realloc calls" "$(calls $J realloc)" 11          # 9 grow + realloc(p,0) + 1 failed
check "reallocarray calls" "$(calls $J reallocarray)" 3  # 2 + 1 failed
check "failed" "$(q $J '.profiles[0].totals.failed')" 2
check "realloc_grow blocks" "$(site $J realloc_grow allocations)" 9
check "realloc_grow bytes" "$(site $J realloc_grow bytes)" $((8+16+32+64+128+256+512+1024+2048))
check "realloc_array blocks" "$(site $J realloc_array allocations)" 2
check "leaks" "$(q $J '.profiles[0].totals.leaked_blocks')" 0
check "peak" "$(q $J '.profiles[0].totals.peak_bytes')" 2048
check "frees (blocks)" "$(q $J '.profiles[0].totals.frees')" 13

heap al "$PROGS/aligned"
check "aligned exit" "$rc" 0
json al.scorch
J=al.scorch.json
for f in posix_memalign aligned_alloc memalign valloc pvalloc; do
	check "$f calls" "$(calls $J $f)" 1
done
check "site_posix_memalign bytes" "$(site $J site_posix_memalign bytes)" 100
check "site_aligned_alloc bytes" "$(site $J site_aligned_alloc bytes)" 512
check "site_memalign bytes" "$(site $J site_memalign bytes)" 200
check "site_valloc bytes" "$(site $J site_valloc bytes)" 300
check "site_pvalloc bytes" "$(site $J site_pvalloc bytes)" 5000
check "calloc overflow failed" "$(q $J '.profiles[0].calls[] | select(.function=="calloc") | .failed')" 1
check "leaks" "$(q $J '.profiles[0].totals.leaked_blocks')" 0
check "peak (all five live)" "$(q $J '.profiles[0].totals.peak_bytes')" 6112
finish
