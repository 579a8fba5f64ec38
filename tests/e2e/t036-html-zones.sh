# scorch html with zones: the page's zone table holds exactly the figures of
# `scorch report --zones --json`, and in headless Chromium
# (tests/browser/html-zones.mjs) the timeline draws every span of zones-basic
# (one by one or inside a cluster of spans narrower than a pixel, then one by
# one after zooming in) with exact begin, end and self times, the 7 marks, the
# counter's min/max/last, the thread selector, sorting, highlighting, zoom by
# click and by drag; zones-jmp's unwound spans are flagged; zone, mark,
# counter, thread and file names made of HTML markup stay text; calls-fib's
# 22,251 traced calls load and draw quickly (times printed), and with
# --calls-min the dropped calls count in the table but draw nothing. No
# console error, no network request; screenshots land in $WORK.
. "$ROOT/tests/e2e/lib.sh"
opt_builds   # the zone and call programs as built at -O2, then at -O0
bash "$ROOT/tests/browser/setup.sh" || exit 1
B=$ROOT/tests/browser/html-zones.mjs

page_json() { sed -n 's|^<script type="application/json" id="scorch-data">\(.*\)</script>$|\1|p' "$1"; }
browser() { # mode page report.json
	echo "--- browser: $*"
	node "$B" "$1" "$WORK" "${@:2}" >"browser-$1.log" 2>&1
	local st=$?
	sed 's/^/    /' "browser-$1.log"
	check "browser $1: exit" "$st" 0
}
# zrec NAME PROG [record options]: NAME.scorch, NAME.html, NAME.json (report --zones --json)
zrec() {
	local name=$1 prog=$2
	shift 2
	"$SCORCH" record "$@" -o "$name.scorch" -- "$prog" >"$name.out" 2>"$name.err"
	check "record $name: exit" $? 0
	"$SCORCH" html -o "$name.html" "$name.scorch" 2>/dev/null
	check "html $name: exit" $? 0
	"$SCORCH" report --zones --json --limit=0 "$name.scorch" >"$name.json"
	page_json "$name.html" >"$name.data.json"
}
# the page's table for all threads as the report's fields, one zone per line
page_rows() {
	jq -c '.strings as $s | .zones.names as $n | .zones.rows[] | select(.t == -1) as $r |
		range(0; $r.name | length) as $i |
		{name: $s[$n.name[$r.name[$i]]], calls: $r.calls[$i], dropped_calls: $r.dropped[$i], total_ns: $r.total[$i],
		 self_ns: $r.self[$i], mean_ns: $r.mean[$i], min_ns: $r.min[$i], max_ns: $r.max[$i], p50_ns: $r.p50[$i],
		 p95_ns: $r.p95[$i], p99_ns: $r.p99[$i], allocs: $r.allocs[$i], bytes: $r.bytes[$i],
		 self_allocs: $r.selfAllocs[$i], self_bytes: $r.selfBytes[$i], unwound: $r.unwound[$i], unfinished: $r.unfinished[$i]}' "$1"
}
report_rows() {
	jq -c '.profiles[0].zones.zones[] | {name, calls, dropped_calls, total_ns, self_ns, mean_ns, min_ns, max_ns, p50_ns,
		p95_ns, p99_ns, allocs, bytes, self_allocs, self_bytes, unwound, unfinished}' "$1"
}

# --- zones-basic
zrec zb "$PROGS/zones-basic"
check "zones-basic: same output" "$(cat zb.out)" "zones done"
check "page: the zone table = the report's, field by field" "$(page_rows zb.data.json)" "$(report_rows zb.json)"
check "page: spans in the page" "$(jq '[.zones.lanes[].dur | length] | add' zb.data.json)" "$(jq '.profiles[0].zones.totals.spans' zb.json)"
check "page: per-thread rows for worker-1" \
	"$(jq -c '.strings as $s | .zones.names as $n | .zones.rows[] | select(.t == 1) | [($s[$n.name[.name[]]]), .calls[]]' zb.data.json)" '["work",3]'
check "page: the counter's values" "$(jq -c '.zones.counters[0].value' zb.data.json)" '[0,1,2,3,4,5,6,7,8,9]'
check "page: the 7 marks" "$(jq '.zones.marks.time | length' zb.data.json)" 7
browser basic zb.html zb.json

# --filter keeps the zones it matches, like report --zones --filter
"$SCORCH" html --filter='^(leaf|outer)$' -o zf.html zb.scorch 2>/dev/null
"$SCORCH" report --zones --json --limit=0 --filter='^(leaf|outer)$' zb.scorch >zf.json
page_json zf.html >zf.data.json
check "--filter: the table = report --zones --filter" "$(page_rows zf.data.json)" "$(report_rows zf.json)"
check "--filter: only their spans" \
	"$(jq -r '.strings as $s | .zones.names as $n | [.zones.lanes[].name[] | $s[$n.name[.]]] | unique | join(",")' zf.data.json)" "leaf,outer"

# a profile without zones has none in its page
heap ac "$PROGS/alloc-counts"
"$SCORCH" html -o ac.html ac.scorch 2>/dev/null
check "no zones: zones is null" "$(page_json ac.html | jq -c .zones)" null
check "no zones: the section stays hidden" "$(grep -c 'id="zones-section" hidden' ac.html)" 1

# --- zones-jmp: unwound spans
zrec zj "$PROGS/zones-jmp"
check "page: zones-jmp's table = the report's" "$(page_rows zj.data.json)" "$(report_rows zj.json)"
browser jmp zj.html zj.json

# --- markup in every name: built in a directory named like a tag
dir="$WORK/<img src=x onerror=alert(1)>"
mkdir -p "$dir"
cp "$ROOT/tests/progs/zones-markup.c" "$dir/"
cc -std=gnu11 -g -O0 -pthread -I"$ROOT/include" -o "$dir/zones-markup" "$dir/zones-markup.c"
check "built zones-markup in the markup directory" $? 0
zrec zm "$dir/zones-markup"
check "zones-markup: output" "$(cat zm.out)" "markup done"
check "zones-markup: two zones with markup" "$(jq -r '[.profiles[0].zones.zones[].name] | sort | join(" ; ")' zm.json)" \
	'</script><script>alert(1)</script> ; <img src=x onerror=alert(2)>'
check "zones-markup: inner calls" "$(jq -r '.profiles[0].zones.zones[] | select(.name | startswith("<img")) | .calls' zm.json)" 6
# the data, the hot code's data (a profile with samples), the script
ours=$(( 2 + $(grep -c '^<script type="application/json" id="scorch-annotate">' zm.html) ))
check "file: our <script> start tags only" "$(grep -oi '<script' zm.html | wc -l)" "$ours"
check "file: our </script> end tags only" "$(grep -oi '</script' zm.html | wc -l)" "$ours"
check "file: no <img, <b>, <i> or <u>" "$(grep -Eci '<(img|b|i|u)[ >]' zm.html)" 0
check "file: no <!--" "$(grep -c '<!--' zm.html)" 0
check "data: no raw <, > or &" "$(tr -cd '<>&' <zm.data.json | wc -c)" 0
check "data: the zone names round-trip" "$(jq -r '.strings as $s | [.zones.names.name[] | $s[.]] | sort | join(" ; ")' zm.data.json)" \
	"$(jq -r '[.profiles[0].zones.zones[].name, .profiles[0].zones.marks[].name, .profiles[0].zones.counters[].name, .profiles[0].zones.errors[].given] | sort | join(" ; ")' zm.json)"
echo "--- browser: markup"
MARKUP_DIR=$dir node "$B" markup "$WORK" zm.html zm.json >browser-markup.log 2>&1
st=$?
sed 's/^/    /' browser-markup.log
check "browser markup: exit" "$st" 0

# --- calls-fib: 22,251 traced calls
zrec fib "$PROGS/calls-fib" --calls
check "calls-fib: spans" "$(jq '.profiles[0].zones.totals.spans' fib.json)" 22251
check "page: calls-fib's table = the report's" "$(page_rows fib.data.json)" "$(report_rows fib.json)"
zbytes=$(jq -c '.zones' fib.data.json | wc -c)
echo "    the zones data of calls-fib: $zbytes bytes for 22,251 spans ($(( zbytes / 22251 )) bytes per span)"
check "page: the spans are compact (under 20 bytes each)" "$(( zbytes < 22251 * 20 ))" 1
browser fib fib.html fib.json

# --- --calls-min: dropped calls count in the table, not on the timeline
# fib(20) takes 1.7-1.9 ms here and at least 21,891 x 11 ns (240 us) on any
# machine: 100us keeps it as a span and drops its small calls (1ms dropped
# every call once on a faster machine, which the page check did not expect).
zrec min "$PROGS/calls-fib" --calls --calls-min=100us
check "calls-min: fib calls" "$(jq -r '.profiles[0].zones.zones[] | select(.name == "fib") | .calls' min.json)" 21891
check "calls-min: fib has kept and dropped calls" "$(jq -r '.profiles[0].zones.zones[] | select(.name == "fib") | (.dropped_calls > 0 and .dropped_calls < .calls)' min.json)" true
check "page: the table with dropped calls = the report's" "$(page_rows min.data.json)" "$(report_rows min.json)"
browser drops min.html min.json
finish
