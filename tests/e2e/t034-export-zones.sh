# Zones in the Chrome trace and speedscope exports, against the test
# programs' exact counts and `scorch report --zones --json`: per zone name
# as many B/E pairs (args on the B only) and speedscope O/C events as calls, the time they
# cover equal to the report's total to the nanosecond, allocations in the
# args, marks as thread instants, SCORCH_COUNTER values as C events,
# mismatched ends as error instants, every zone track balanced and nested;
# fib traced by -finstrument-functions: exactly 21891 pairs. The real
# speedscope app (headless chromium) loads both files: its per-frame totals
# of the evented profiles equal the report's, and its Trace Event importer
# reads the zone tracks of the Chrome trace. longjmp, C++ exceptions,
# `scorch heap`, --calls-min, --filter and a profile without zones too.
. "$ROOT/tests/e2e/lib.sh"
opt_builds   # the zone and call programs as built at -O2, then at -O0
bash "$ROOT/tests/browser/setup.sh" || exit 1
B="$ROOT/tests/browser"
node_check() { # what script args...
	local what=$1
	shift
	# in the browser once, on the -O0 builds (time); zones-check.mjs's own
	# checks of the exports on both
	if [ -n "$OPT" ]; then
		case $1 in
		*/zones-check.mjs) set -- "$@" --no-browser ;;
		*) echo "--- $what: on the -O0 builds only"; return 0 ;;
		esac
	fi
	echo "--- $what"
	node "$@" | sed 's/^/    /'
	[ "${PIPESTATUS[0]}" = 0 ] && echo "ok: $what" || fail "$what: $(basename "$1") failed"
}
rec() { # name scorch-command prog [options...]: NAME.scorch
	local name=$1 cmd=$2 prog=$3
	shift 3
	"$SCORCH" "$cmd" "$@" -o "$WORK/$name.scorch" -- "$prog" >"$WORK/$name.out" 2>"$WORK/$name.err" ||
		fail "scorch $cmd $* $prog exited $?"
}
zexport() { # name [export options...]: both exports of NAME.scorch, checked against its zone report
	local n=$1
	shift
	"$SCORCH" report --zones --json --limit=0 "$n.scorch" >"$n.zones.json" || fail "$n: report --zones --json"
	"$SCORCH" export --format=chrome "$@" -o "$n.trace.json" "$n.scorch" || fail "$n: export chrome"
	"$SCORCH" export --format=speedscope "$@" -o "$n.speedscope.json" "$n.scorch" || fail "$n: export speedscope"
	mkdir -p "z-$n"
	node_check "$n: zones in both exports" "$B/zones-check.mjs" "$n.trace.json" "$n.speedscope.json" \
		"$n.zones.json" "$WORK/z-$n"
}
# pairs FILE NAME: "B E E-with-args" zone events named NAME in a Chrome
# trace (the args are the B's: catapult warns for each arg an E repeats)
pairs() {
	jq -r --arg n "$2" '[.traceEvents[] | select(.name == $n and (.cat == "scorch.zone" or .cat == "scorch.call"))] |
		"\(map(select(.ph == "B")) | length) \(map(select(.ph == "E")) | length) \(map(select(.ph == "E" and has("args"))) | length)"' "$1"
}
# opens FILE NAME: O events of frame NAME in the zone profiles of a speedscope file
opens() {
	jq -r --arg n "$2" '.shared.frames as $f | [.profiles[] | select(.name | startswith("zones: ")) | .events[] |
		select(.type == "O" and $f[.frame].name == $n)] | length' "$1"
}
zcount() { jq -r --arg n "$2" "[.profiles[0].zones.zones[] | select(.name == \$n) | .$3] | add // 0" "$1"; }

# ---- zones-basic: every kind of zone data ----
rec b record "$PROGS/zones-basic"
zexport b
for z in outer:5 leaf:10 rec:6 alloc_hundred:1 phase:4 a:1 b:1 work:3; do
	n=${z%%:*} c=${z#*:}
	check "chrome: $n B/E pairs" "$(pairs b.trace.json "$n")" "$c $c 0"
	check "speedscope: $n opens" "$(opens b.speedscope.json "$n")" "$c"
done
check "chrome: alloc_hundred args" \
	"$(jq -c '[.traceEvents[] | select(.name == "alloc_hundred" and .cat == "scorch.zone" and .ph == "B") | .args] | unique' b.trace.json)" \
	'[{"allocs":100,"bytes":6400}]'
check "chrome: 7 tick marks, thread-scoped" \
	"$(jq '[.traceEvents[] | select(.ph == "i" and .name == "tick" and .s == "t" and .cat == "scorch.mark")] | length' b.trace.json)" 7
check "chrome: counter queue = 0..9" \
	"$(jq -c '[.traceEvents[] | select(.ph == "C" and .name == "queue") | .args.value]' b.trace.json)" '[0,1,2,3,4,5,6,7,8,9]'
check "chrome: mismatched ends" \
	"$(jq -r '[.traceEvents[] | select(.cat == "scorch.error") | "\(.args.kind):\(.args.given):\(.args.innermost)"] | sort | join(",")' b.trace.json)" \
	"end_without_begin:never:null,mismatched_end:a:b"
main_tid=$(jq -r '.profiles[0].zones.threads[] | select(.name != "worker-1") | .tid' b.zones.json)
worker_tid=$(jq -r '.profiles[0].zones.threads[] | select(.name == "worker-1") | .tid' b.zones.json)
check "chrome: worker-1's zone track" \
	"$(jq -r --argjson t $((worker_tid + 4194304)) '.traceEvents[] | select(.ph == "M" and .name == "thread_name" and .tid == $t) | .args.name' b.trace.json)" \
	"worker-1 zones"
check "chrome: work on worker-1's zone track" \
	"$(jq -r '[.traceEvents[] | select(.ph == "B" and .name == "work") | .tid] | unique | join(",")' b.trace.json)" \
	"$((worker_tid + 4194304))"
# "b" outlives "a" (ended while "b" was innermost): a track of its own, exact times
check "chrome: b on the overlap track" \
	"$(jq -r '[.traceEvents[] | select(.ph == "B" and .name == "b") | .tid] | join(",")' b.trace.json)" \
	"$((main_tid + 2 * 4194304))"
check "speedscope: b in the overlap profile" \
	"$(jq -r '.shared.frames as $f | [.profiles[] | select(.events) | select(any(.events[]; $f[.frame].name == "b")) | .name] | join(",")' b.speedscope.json)" \
	"zones: zones-basic (tid $main_tid) overlap 1"
# with wall-clock samples (zones-basic mostly sleeps): zones and the
# sampled timelines side by side, each checked
rec w record "$PROGS/zones-basic" --wall
zexport w
json w.scorch
mkdir -p ss-w ch-w
node_check "w: speedscope with zones" "$B/speedscope-check.mjs" w.speedscope.json w.scorch.json "$WORK/ss-w"
node_check "w: chrome trace with zones" "$B/chrome-check.mjs" w.trace.json w.scorch.json "$WORK/ch-w"

# ---- -finstrument-functions: fib(20) is 21891 calls ----
rec f record "$PROGS/calls-fib" --calls
zexport f
for z in fib:21891 tfib:354 main:1 thread_main:2 slow:2 make_blocks:1; do
	n=${z%%:*} c=${z#*:}
	check "calls: $n B/E pairs" "$(pairs f.trace.json "$n")" "$c $c 0"
	check "calls: $n speedscope opens" "$(opens f.speedscope.json "$n")" "$c"
done
check "calls: fib is a traced call (scorch.call)" \
	"$(jq '[.traceEvents[] | select(.name == "fib" and .ph == "B" and .cat == "scorch.call")] | length' f.trace.json)" 21891
check "calls: make_blocks args" \
	"$(jq -c '[.traceEvents[] | select(.name == "make_blocks" and .cat == "scorch.call" and .ph == "B") | .args] | unique' f.trace.json)" \
	'[{"allocs":10,"bytes":1000}]'

# ---- longjmp and C++ exceptions ----
rec j record "$PROGS/zones-jmp"
zexport j
check "jmp: unwound spans flagged in the args" \
	"$(jq '[.traceEvents[] | select(.ph == "B" and .args.unwound == true)] | length' j.trace.json)" 23
check "jmp: dive pairs" "$(pairs j.trace.json dive)" "20 20 0"
rec x record "$PROGS/zones-cxx"
zexport x
check "cxx: risky pairs" "$(pairs x.trace.json risky)" "30 30 0"

# ---- scorch heap records zones too: with the heap counter ----
rec h heap "$PROGS/zones-basic"
zexport h
check "heap: outer pairs" "$(pairs h.trace.json outer)" "5 5 0"
check_ge "heap: live heap counter" "$(jq '[.traceEvents[] | select(.ph == "C" and .name == "heap")] | length' h.trace.json)" 2

# ---- --calls-min: dropped calls are counted in otherData, not drawn ----
rec m record "$PROGS/calls-fib" --calls --calls-min=1ms
zexport m
kept=$(( $(zcount m.zones.json fib calls) - $(zcount m.zones.json fib dropped_calls) ))
check "--calls-min: fib pairs = calls kept" "$(pairs m.trace.json fib)" "$kept $kept 0"
check "--calls-min: dropped calls" "$(jq '.otherData.zone_dropped_calls' m.trace.json)" \
	"$(jq '.profiles[0].zones.totals.dropped_calls' m.zones.json)"
check_ge "--calls-min: fib calls dropped" "$(zcount m.zones.json fib dropped_calls)" 21000

# ---- --filter: zones whose name, or an enclosing zone's, matches ----
"$SCORCH" export --format=chrome --filter='^outer$' -o bf.trace.json b.scorch || fail "export --filter"
check "--filter: zone names" \
	"$(jq -r '[.traceEvents[] | select(.cat == "scorch.zone") | .name] | unique | join(",")' bf.trace.json)" "leaf,outer"
check "--filter: outer, leaf pairs" "$(pairs bf.trace.json outer),$(pairs bf.trace.json leaf)" "5 5 0,10 10 0"
check "--filter: no other mark or counter" \
	"$(jq '[.traceEvents[] | select(.cat == "scorch.mark" or .cat == "scorch.counter")] | length' bf.trace.json)" 0
"$SCORCH" export --format=speedscope --filter='^outer$' -o bf.speedscope.json b.scorch || fail "export --filter speedscope"
check "--filter: speedscope opens" "$(opens bf.speedscope.json outer),$(opens bf.speedscope.json leaf),$(opens bf.speedscope.json work)" "5,10,0"

# ---- a profile without zones has no zone track ----
rec n heap "$PROGS/alloc-counts"
"$SCORCH" export --format=chrome -o n.trace.json n.scorch || fail "export chrome without zones"
"$SCORCH" export --format=speedscope -o n.speedscope.json n.scorch || fail "export speedscope without zones"
check "no zones: no zone event" \
	"$(jq '[.traceEvents[] | select((.cat // "") | startswith("scorch."))] | length' n.trace.json)" 0
check "no zones: no zone_tid_stride" "$(jq '.otherData.zone_tid_stride // "none"' n.trace.json)" '"none"'
check "no zones: no evented profile" "$(jq '[.profiles[] | select(.type == "evented")] | length' n.speedscope.json)" 0
finish
