# Exact counts at known sites: 1000 mallocs freed, 7 leaks, 1 calloc.
. "$ROOT/tests/e2e/lib.sh"
heap a "$PROGS/alloc-counts"
check "exit status" "$rc" 0
json a.scorch
J=a.scorch.json
check "site_thousand allocations" "$(site $J site_thousand allocations)" 1000
check "site_thousand bytes" "$(site $J site_thousand bytes)" 16000
check "site_thousand leaked" "$(site $J site_thousand leaked_blocks)" 0
# frees run in allocation order: only the last block is freed with no
# allocation after its own (heaptrack's definition of temporary)
check "site_thousand temporary" "$(site $J site_thousand temporary)" 1
check "site_leak allocations" "$(site $J site_leak allocations)" 7
check "site_leak leaked bytes" "$(site $J site_leak leaked_bytes)" 700
check "site_calloc allocations" "$(site $J site_calloc allocations)" 1
check "site_calloc bytes" "$(site $J site_calloc bytes)" 100
check "malloc calls" "$(calls $J malloc)" 1007
check "calloc calls" "$(calls $J calloc)" 1
check "free calls" "$(calls $J free)" 1001
check "leaked blocks" "$(q $J '.profiles[0].totals.leaked_blocks')" 7
check "leaked bytes" "$(q $J '.profiles[0].totals.leaked_bytes')" 700
check "peak bytes" "$(q $J '.profiles[0].totals.peak_bytes')" 16000
check "site file" "$(q $J '[.profiles[0].sites[] | select(.function=="site_thousand") | .file | split("/") | last] | first')" alloc-counts.c
check "exit kind" "$(q $J '.profiles[0].program.exit.kind')" normal
check "not incomplete" "$(q $J '.profiles[0].program.incomplete')" false
# the leak's stack goes down to main
check_match "leak stack" "$(q $J '.profiles[0].leaks.stacks[] | select(.function=="site_leak") | [.stack[].function] | join(";")')" '^site_leak;main'
check_match "summary names the file" "$err" "wrote $WORK/a.scorch"
check_match "summary counts allocations" "$err" '1,008 allocations'
check_match "summary leaks" "$err" 'leaked at exit 700 B in 7 blocks'
# text report works and names the site
"$SCORCH" report a.scorch >a.txt || fail "text report failed"
check_match "text report site" "$(cat a.txt)" 'site_thousand at .*alloc-counts.c:[0-9]+'
finish
