# Folded export: flamegraph.pl's input format, with exact weights.
. "$ROOT/tests/e2e/lib.sh"
heap a "$PROGS/alloc-counts"
"$SCORCH" export --format=folded a.scorch >bytes.folded || fail "export failed"
"$SCORCH" export --format=folded --weight=count -o count.folded a.scorch || fail "export -o failed"
"$SCORCH" export --format=folded --weight=leaked a.scorch >leaked.folded
check_match "a line per stack, root first" "$(grep 'site_thousand' bytes.folded)" '^_start;.*;main;site_thousand 16000$'
check "count weight" "$(grep 'site_thousand' count.folded | awk '{print $NF}')" 1000
check "leaked weight" "$(grep 'site_leak' leaked.folded | awk '{print $NF}')" 700
check "only leaks in leaked" "$(grep -c 'site_thousand' leaked.folded)" 0
check "every line is 'frames weight'" "$(grep -Evc '^[^ ].* [0-9]+$' bytes.folded)" 0
check "total bytes" "$(awk '{s += $NF} END {print s}' bytes.folded)" "$(jq '.profiles[0].totals.bytes' <("$SCORCH" report --json a.scorch))"
finish
