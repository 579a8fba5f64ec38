# Report options: --sort, --limit, --filter, colour rules, --depth.
. "$ROOT/tests/e2e/lib.sh"
heap a "$PROGS/alloc-counts"
"$SCORCH" report --json --sort=leaked a.scorch >leaked.json
check "sort=leaked: first site" "$(q leaked.json '.profiles[0].sites[0].function')" site_leak
"$SCORCH" report --json --sort=count --limit=1 a.scorch >count.json
check "sort=count limit=1: one site" "$(q count.json '.profiles[0].sites | length')" 1
check "sort=count: site_thousand" "$(q count.json '.profiles[0].sites[0].function')" site_thousand
"$SCORCH" report --json --limit=0 --filter='site_(leak|calloc)' a.scorch >filt.json
check "filter: sites" "$(q filt.json '[.profiles[0].sites[].function] | sort | join(",")')" "site_calloc,site_leak"
check "filter: totals unfiltered" "$(q filt.json '.profiles[0].totals.allocations')" 1008
check "filter: filtered allocations" "$(q filt.json '.profiles[0].totals.filtered_allocations')" 8
"$SCORCH" report --filter='(' a.scorch >/dev/null 2>bad.err; r=$?
check "bad regex: exit 2" "$r" 2
check_match "bad regex: message" "$(cat bad.err)" 'filter'
check "no colour in a pipe" "$("$SCORCH" report a.scorch | grep -c $'\e\[')" 0
check_ge "colour when asked" "$("$SCORCH" report --color=always a.scorch | grep -c $'\e\[')" 1
check "NO_COLOR wins over auto" "$(NO_COLOR=1 script -qc "$SCORCH report $WORK/a.scorch" /dev/null 2>/dev/null | grep -c $'\e\[')" 0
check_ge "a terminal gets colour" "$(script -qc "$SCORCH report $WORK/a.scorch" /dev/null 2>/dev/null | grep -c $'\e\[')" 1
# --depth caps every stack
"$SCORCH" heap --depth 2 -o d.scorch -- "$PROGS/alloc-counts" 2>/dev/null
json d.scorch
check "depth 2: longest stack" "$(q d.scorch.json '[.profiles[0].sites[].stack | map(select(.inlined | not)) | length] | max')" 2
check "depth 2: counts unchanged" "$(site d.scorch.json site_thousand allocations)" 1000
check "depth recorded" "$(q d.scorch.json '.profiles[0].program.depth')" 2
finish
