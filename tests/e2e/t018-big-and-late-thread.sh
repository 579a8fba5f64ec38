# More than a million events: a single-threaded run's events are compressed
# while it runs and freed from the launcher's memory in batches; a second
# thread that starts allocating after that brings them all back. Either way
# every event is in the profile.
. "$ROOT/tests/e2e/lib.sh"
for mode in solo threaded; do
	[ $mode = solo ] && args=solo || args=
	heap $mode "$PROGS/late-thread" $args
	check "$mode: exit" "$rc" 0
	json $mode.scorch
	J=$mode.scorch.json
	check "$mode: main_site allocations" "$(site $J main_site allocations)" 1200000
	check "$mode: main_site bytes" "$(site $J main_site bytes)" 38400000
	check "$mode: main_site temporary" "$(site $J main_site temporary)" 1200000
	check "$mode: main_site leaked" "$(site $J main_site leaked_blocks)" 0
	check "$mode: complete" "$(q $J '.profiles[0].program.truncated')" false
	check "$mode: summary agrees" "$(grep -c "$(q $J '.profiles[0].totals.allocations' | sed ':a;s/\B[0-9]\{3\}\>/,&/;ta') allocations" $mode.err)" 1
done
check "threaded: thread_site leaked" "$(site threaded.scorch.json thread_site leaked_blocks)" 5
check "threaded: two threads" "$(q threaded.scorch.json '.profiles[0].program.threads | length')" 2
check "solo: no thread_site" "$(site solo.scorch.json thread_site allocations)" 0
finish
