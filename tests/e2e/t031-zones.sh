# Zones (include/scorch.h): exact counts, durations within 1 ms of the known
# sleeps, self time of nested and recursive zones, the allocations made in a
# zone, marks, counters, thread names, mismatched ends reported, longjmp and
# C++ exceptions leaving no zone open, and the program unchanged outside
# scorch (also when built without libscorch).
. "$ROOT/tests/e2e/lib.sh"
opt_builds   # the zone and call programs as built at -O2, then at -O0
zrec() { # name cmd prog args...: scorch CMD -o name.scorch; name.json = report --zones --json
	local name=$1 cmd=$2
	shift 2
	"$SCORCH" "$cmd" -o "$WORK/$name.scorch" -- "$@" >"$WORK/$name.out" 2>"$WORK/$name.err"
	rc=$?
	echo "--- scorch $cmd $* (exit $rc)"; sed 's/^/    /' "$WORK/$name.err"
	"$SCORCH" report --zones --json --limit=0 "$WORK/$name.scorch" >"$WORK/$name.json" 2>"$WORK/$name.rerr" ||
		fail "report --zones --json $name exited $?"
}
# zf FILE.json NAME FIELD: a field of the zone named NAME (0 if absent)
zf() { jq -r --arg n "$2" "[.profiles[0].zones.zones[] | select(.name == \$n) | .$3] | add // 0" "$1"; }
zt() { jq -r ".profiles[0].zones.totals.$2" "$1"; }
# near DESC VALUE_NS TRUTH_NS: within 1 ms
near() {
	local d=$(( $2 > $3 ? $2 - $3 : $3 - $2 ))
	if [ "$d" -lt 1000000 ] 2>/dev/null; then echo "ok: $1 = $2 ns, the program timed $3 ns"
	else fail "$1: $2 ns, but the program timed $3 ns"; fi
}
# at_least DESC VALUE_NS MS: the sleep is a floor
at_least() { check_ge "$1 (ns, sleeps $3 ms)" "$2" "$(( $3 * 1000000 ))"; }
# own NAME FIELD: the program's own timing (ZONES_TIMES): calls sum min max
own() { awk -v n="$1" -v f="$2" '$1 == n { print $(f == "calls" ? 2 : f == "sum" ? 3 : f == "min" ? 4 : 5) }' times.txt; }

alone=$("$PROGS/zones-basic"); r=$?
check "alone: exit" "$r" 0
check "alone: output" "$alone" "zones done"

ZONES_TIMES=$WORK/times.txt zrec b record "$PROGS/zones-basic"
check "recorded: exit" "$rc" 0
check "recorded: same output" "$(cat b.out)" "$alone"
for z in outer:5 leaf:10 rec:6 alloc_hundred:1 phase:4 a:1 b:1 work:3; do
	check "calls of ${z%%:*}" "$(zf b.json "${z%%:*}" calls)" "${z#*:}"
done
check "zone names" "$(zt b.json names)" 11
# Durations: a sleep lasts at least what was asked and, on a busy machine,
# sometimes much longer, so scorch is held against the program's own clock
# read inside each zone (times.txt), within 1 ms, and the sleeps as floors.
for z in leaf outer phase work; do
	near "$z: total" "$(zf b.json $z total_ns)" "$(own $z sum)"
	near "$z: min" "$(zf b.json $z min_ns)" "$(own $z min)"
	near "$z: max" "$(zf b.json $z max_ns)" "$(own $z max)"
done
at_least "leaf: min" "$(zf b.json leaf min_ns)" 2
at_least "leaf: p50" "$(zf b.json leaf p50_ns)" 2
at_least "outer: min (5 ms and 2 leaves)" "$(zf b.json outer min_ns)" 9
at_least "phase: min" "$(zf b.json phase min_ns)" 3
at_least "work: min" "$(zf b.json work min_ns)" 4
check "leaf: self = total (nothing inside)" "$(zf b.json leaf self_ns)" "$(zf b.json leaf total_ns)"
near "outer: self (less its leaves)" "$(zf b.json outer self_ns)" "$(own outer-self sum)"
at_least "outer: self" "$(zf b.json outer self_ns)" 25
check "outer: self = total - leaf total" "$(zf b.json outer self_ns)" "$(( $(zf b.json outer total_ns) - $(zf b.json leaf total_ns) ))"
# rec(6): six nested spans, each sleeping 1 ms itself
near "rec: total counts the recursion once" "$(zf b.json rec total_ns)" "$(own rec sum)"
near "rec: self of all six" "$(zf b.json rec self_ns)" "$(own rec sum)"
near "rec: max (the outermost)" "$(zf b.json rec max_ns)" "$(own rec sum)"
at_least "rec: total" "$(zf b.json rec total_ns)" 6
at_least "rec: min (the innermost)" "$(zf b.json rec min_ns)" 1
check "alloc_hundred: allocations" "$(zf b.json alloc_hundred allocs)" 100
check "alloc_hundred: bytes" "$(zf b.json alloc_hundred bytes)" 6400
check "alloc_hundred: self allocations" "$(zf b.json alloc_hundred self_allocs)" 100
check "alloc_hundred: kind" "$(zf b.json alloc_hundred kind)" zone
check "leaf: no allocations" "$(zf b.json leaf allocs)" 0
leaf_line=$(grep -n 'SCORCH_ZONE("leaf")' "$ROOT/tests/progs/zones-basic.c" | cut -d: -f1)
check "leaf: where" "$(zf b.json leaf file):$(zf b.json leaf line)" "tests/progs/zones-basic.c:$leaf_line"
check "marks: tick" "$(jq -r '.profiles[0].zones.marks[] | select(.name == "tick") | .count' b.json)" 7
check "counter queue: values,min,max,mean,last" \
	"$(jq -r '.profiles[0].zones.counters[] | select(.name == "queue") | "\(.values),\(.min),\(.max),\(.mean),\(.last)"' b.json)" "10,0,9,4.5,9"
check "thread worker-1: spans" "$(jq -r '.profiles[0].zones.threads[] | select(.name == "worker-1") | .spans' b.json)" 3
check "mismatched end: a while b" \
	"$(jq -r '.profiles[0].zones.errors[] | select(.kind == "mismatched_end") | "\(.given),\(.innermost),\(.count)"' b.json)" "a,b,1"
check "end without begin: never" \
	"$(jq -r '.profiles[0].zones.errors[] | select(.kind == "end_without_begin") | "\(.given),\(.count)"' b.json)" "never,1"
check_match "record summary warns of mismatched ends" "$(cat b.err)" 'warning: 2 mismatched scorch_zone_end'
check "nothing unfinished" "$(zt b.json unfinished)" 0

text=$("$SCORCH" report --zones b.scorch)
check_match "text: leaf row" "$text" "^ +10 +.* leaf tests/progs/zones-basic.c:$leaf_line\$"
check_match "text: mismatched ends" "$text" 'scorch_zone_end\("a"\) while "b" was the innermost open zone'
check_match "text: marks" "$text" '^ +7 .* tick$'
check_match "text: thread" "$text" 'worker-1$'
"$SCORCH" report --zones --json --sort=calls b.scorch >sorted.json
check "--sort=calls: first" "$(jq -r '.profiles[0].zones.zones[0].name' sorted.json)" leaf
"$SCORCH" report --zones --json --sort=name --limit=2 b.scorch >lim.json
check "--sort=name --limit=2" "$(jq -r '[.profiles[0].zones.zones[].name] | join(",")' lim.json)" "a,alloc_hundred"
"$SCORCH" report --zones --json --filter='^(leaf|outer)$' b.scorch >filt.json
check "--filter" "$(jq -r '[.profiles[0].zones.zones[].name] | sort | join(",")' filt.json)" "leaf,outer"
"$SCORCH" report --zones --sort=bogus b.scorch >/dev/null 2>bad.err; r=$?
check "--sort=bogus: exit 2" "$r" 2
check_match "--sort=bogus: says the keys" "$(cat bad.err)" 'total, self, calls'

# scorch heap records zones too
zrec h heap "$PROGS/zones-basic"
check "heap: outer" "$(zf h.json outer calls)" 5
check "heap: alloc_hundred bytes" "$(zf h.json alloc_hundred bytes)" 6400

# built without libscorch: runs alone, and under scorch its zones are found
cc -std=gnu11 ${OPT:--O0} -pthread -I"$ROOT/include" -o unlinked "$ROOT/tests/progs/zones-basic.c" || fail "build without libscorch"
check "unlinked: no libscorch" "$(ldd ./unlinked | grep -c scorch)" 0
check "unlinked alone: output" "$(./unlinked)" "zones done"
zrec u record ./unlinked
check "unlinked under scorch: leaf" "$(zf u.json leaf calls)" 10
check "unlinked under scorch: alloc_hundred bytes" "$(zf u.json alloc_hundred bytes)" 6400

# longjmp out of zones
check "jmp alone" "$("$PROGS/zones-jmp")" "jumped 6 times"
zrec j record "$PROGS/zones-jmp"
check "jmp: output" "$(cat j.out)" "jumped 6 times"
for z in main:1:0 round:5:0 dive:20:20 dive2:3:3 after:1:0; do
	IFS=: read -r n c u <<<"$z"
	check "jmp: $n calls" "$(zf j.json "$n" calls)" "$c"
	check "jmp: $n unwound" "$(zf j.json "$n" unwound)" "$u"
done
check "jmp: no zone left open" "$(zt j.json unfinished)" 0

# C++: destructors end zones, exceptions included
check "cxx alone" "$("$PROGS/zones-cxx")" "caught 10"
zrec x record "$PROGS/zones-cxx"
check "cxx: risky calls" "$(zf x.json risky calls)" 30
check "cxx: round calls" "$(zf x.json round calls)" 10
check "cxx: run (SCORCH_FUNC in a method)" "$(zf x.json run calls)" 4
check "cxx: run allocations" "$(zf x.json run allocs)" 12
check "cxx: run bytes" "$(zf x.json run bytes)" 192
check "cxx: unwound" "$(zt x.json unwound)" 0
check "cxx: unfinished" "$(zt x.json unfinished)" 0

# a profile without zones
"$SCORCH" heap -o none.scorch -- "$PROGS/alloc-counts" >/dev/null 2>&1
"$SCORCH" report --zones none.scorch >none.txt; r=$?
check "no zones: exit" "$r" 0
check_match "no zones: says so" "$(cat none.txt)" 'no zones recorded'
finish
