# A known peak (ten 1 MiB blocks live together) with a known holder.
. "$ROOT/tests/e2e/lib.sh"
heap p "$PROGS/peak"
check "exit status" "$rc" 0
json p.scorch
J=p.scorch.json
check "peak bytes" "$(q $J '.profiles[0].totals.peak_bytes')" 10485760
check "peak blocks" "$(q $J '.profiles[0].totals.peak_blocks')" 10
check "peak holder" "$(q $J '.profiles[0].peak.sites[0].function')" hold_big
check "peak holder bytes" "$(q $J '.profiles[0].peak.sites[0].bytes')" 10485760
check "peak holders" "$(q $J '.profiles[0].peak.sites_total')" 1
check "hold_big peak_bytes" "$(site $J hold_big peak_bytes)" 10485760
check "small_churn allocations" "$(site $J small_churn allocations)" 1000
check "small_churn temporary" "$(site $J small_churn temporary)" 1000
check "small_churn peak" "$(site $J small_churn peak_bytes)" 0
check "leaks" "$(q $J '.profiles[0].totals.leaked_blocks')" 0
check "allocations" "$(q $J '.profiles[0].totals.allocations')" 1010
# memory over time ends at 0 and reaches the peak
check "timeline max" "$(q $J '[.profiles[0].timeline.heap[][1]] | max')" 10485760
check_ge "rss samples" "$(q $J '.profiles[0].timeline.rss | length')" 1
# the end-of-run summary and the report agree (the summary is tallied while
# the program runs, the report computed from the file)
sum_rss=$(sed -n 's/.*peak RSS \(.*\)$/\1/p' p.err)
rep_rss=$("$SCORCH" report p.scorch | sed -n 's/^  peak RSS *//p')
check "summary peak RSS = report's" "$sum_rss" "$rep_rss"
check_match "summary peak" "$err" 'peak heap 10.0 MiB in 10 blocks'
finish
