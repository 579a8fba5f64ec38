# Zones in flame charts (scorch flame --chart): per thread a lane of zones,
# traced calls, marks and counters, beside the lane of samples. For
# zones-basic every zone span is one frame with its exact ends (the report's
# calls, min, max and totals per name, to the ns), the allocations and the
# source line in its tooltip; for calls-fib (fib called 21,891 times) the
# default pruning keeps the SVG small and frames drawn plus the spans the
# lane headers list as left out still make the report's calls, per name.
# --chart=zones|samples|all and its errors; names with markup stay text.
# Then in headless Chromium (tests/browser/flame-zones.mjs): counts,
# widths, nesting, self times, zoom, search, marks, counters.
. "$ROOT/tests/e2e/lib.sh"
opt_builds   # the zone and call programs as built at -O2, then at -O0

wellformed() { if xmllint --noout "$1" 2>"$1.xmllint"; then echo "ok: $1 is well-formed XML"; else fail "$1 is not well-formed: $(head -3 "$1.xmllint")"; fi; }
zf() { jq -r --arg n "$2" "[.profiles[0].zones.zones[] | select(.name == \$n) | .$3] | add // 0" "$1"; }
# zone frames named $2 in SVG $1 (not merged ones)
nframes() { grep -c -F -x -e "<g class=\"f z\"><title>$2" -e "<g class=\"f z u\"><title>$2" "$1"; }
# durations in ns of the zone frames named $2, one a line, from "from A s to B s"
durs() {
	grep -A1 -F -x -e "<g class=\"f z\"><title>$2" -e "<g class=\"f z u\"><title>$2" "$1" |
		sed -n 's/.* from \([0-9]*\)\.\([0-9]\{9\}\) s to \([0-9]*\)\.\([0-9]\{9\}\) s$/\1 \2 \3 \4/p' |
		awk '{ printf "%d\n", ($3 * 1e9 + $4) - ($1 * 1e9 + $2) }'
}
sum() { awk '{ s += $1 } END { printf "%d\n", s }'; }
minmax() { sort -n | sed -n '1p;$p' | paste -sd' '; }
# per name (all names when it is ""), the spans the headers of zone lanes
# ($3 = samples: of sample lanes) list as left out or merged
pruned() { # svg name [kind]
	awk -v n="$2" -v kind="${3:-zones}" '
		/^<g class="lh"><title>/ { inlh = 1; lane = 0 }
		inlh && /^spans left out or merged as shorter than / { inlist = 1; next }
		inlh && inlist && match($0, /^[0-9,]+ /) {
			c = substr($0, 1, RLENGTH - 1); nm = substr($0, RLENGTH + 1); sub(/<\/title>.*/, "", nm)
			gsub(/,/, "", c); if (n == "" || nm == n) lane += c
		}
		/<\/title>/ { inlh = 0; inlist = 0 }
		/^<g class="lane" data-kind=/ { if (index($0, "data-kind=\"" kind "\"")) s += lane; lane = 0 }
		END { print s + 0 }' "$1"
}
browser() { # mode svg [json]: tests/browser/flame-zones.mjs, screenshots in WORK/shots
	# the browser checks of the viewer run once, on the -O0 builds (time)
	if [ -n "$OPT" ]; then echo "--- browser $1: on the -O0 builds only"; return 0; fi
	mkdir -p "$WORK/shots"
	(cd "$ROOT/tests/browser" && timeout 300 node flame-zones.mjs "$@" "$WORK/shots") || fail "browser: $1 $2"
}

# ---- zones-basic ----
"$SCORCH" record -o zb.scorch -- "$PROGS/zones-basic" >zb.out 2>zb.err || fail "record zones-basic exited $?"
"$SCORCH" report --zones --json --limit=0 zb.scorch >zb.json || fail "report --zones --json"
spans=$(jq -r '.profiles[0].zones.totals.spans' zb.json)
check "zones-basic: spans in the report" "$spans" 31

"$SCORCH" flame --chart zb.scorch 2>chart.err
check "--chart: exit" "$?" 0
wellformed zb.chart.svg
check_match "--chart: summary" "$(cat chart.err)" '^scorch: zb.chart.svg: [0-9]+ spans drawn, [0-9]+ rows, 1 mark, 1 counter'
check "--chart: a zone lane per thread" "$(grep -c '<g class="lane" data-kind="zones"' zb.chart.svg)" 2
check_match "--chart: worker-1's lane" "$(grep -o '<text class="lanehdr"[^>]*>thread worker-1 [^<]*' zb.chart.svg)" \
	'>thread worker-1 \([0-9]+\): 3 zone spans, [0-9.]+ ms in the outermost$'
check_match "--chart: main's lane" "$(grep -o '<text class="lanehdr"[^>]*>thread zones-basic [^<]*' zb.chart.svg)" \
	'>thread zones-basic \([0-9]+\): 28 zone spans.*; 7 marks.*; 1 counter$'
check_match "--chart: subtitle" "$(grep -o '<text id="subtitle"[^>]*>[^<]*' zb.chart.svg)" \
	'>zones (and CPU samples )?of .*zones-basic: 31 zone spans, 7 marks, 10 counter values'
# default pruning (0.1 px): what is not drawn is listed, so every call is accounted for
for z in outer leaf rec alloc_hundred phase a b work; do
	check "default: $z drawn + left out = calls" "$(( $(nframes zb.chart.svg $z) + $(pruned zb.chart.svg $z) ))" "$(zf zb.json $z calls)"
done
check "default: the 7 ticks, grouped" "$(grep -o '<g class="mk" [^>]*data-count="[0-9]*"' zb.chart.svg | sed 's/.*data-count="//; s/"//' | sum)" 7

# --chart=zones --minwidth=0: every span, exact
"$SCORCH" flame --chart=zones --minwidth=0 -o zall.svg zb.scorch 2>zall.err
check "--chart=zones --minwidth=0: exit" "$?" 0
wellformed zall.svg
check "--chart=zones: no sample lane" "$(grep -c 'data-kind="samples"' zall.svg)" 0
check "--minwidth=0: every span drawn" "$(grep -c '^<g class="f z' zall.svg)" "$spans"
for z in outer leaf rec alloc_hundred phase a b work; do
	check "$z: frames = calls" "$(nframes zall.svg $z)" "$(zf zb.json $z calls)"
	check "$z: shortest and longest (ns)" "$(durs zall.svg $z | minmax)" "$(zf zb.json $z min_ns) $(zf zb.json $z max_ns)"
done
# the durations are the spans' own: their sum is the report's total where
# nothing recurses, and rec's outermost is rec's total
for z in outer leaf phase work alloc_hundred; do
	check "$z: durations sum to the total (ns)" "$(durs zall.svg $z | sum)" "$(zf zb.json $z total_ns)"
done
check "rec: the outermost is the total (ns)" "$(durs zall.svg rec | sort -n | tail -1)" "$(zf zb.json rec total_ns)"
check "rec: depths 0..5" "$(grep -A6 -F -x '<g class="f z"><title>rec' zall.svg | sed -n 's/^thread: .*, depth \([0-9]*\).*/\1/p' | sort -n | paste -sd,)" "0,1,2,3,4,5"
check "leaf: all self" "$(grep -A2 -F -x '<g class="f z"><title>leaf' zall.svg | grep -c '^self: .* (100.00%)$')" 10
check "alloc_hundred: allocations" "$(grep -A3 -F -x '<g class="f z"><title>alloc_hundred' zall.svg | grep -c '^allocations: 100, 6,400 bytes (6.25 KiB)$')" 1
leaf_line=$(grep -n 'SCORCH_ZONE("leaf")' "$ROOT/tests/progs/zones-basic.c" | cut -d: -f1)
check "leaf: where" "$(grep -A4 -F -x '<g class="f z"><title>leaf' zall.svg | grep -c "^zone at tests/progs/zones-basic.c:$leaf_line\$")" 10
check "marks: 7 ticks at --minwidth=0" "$(grep -c '<g class="mk" [^>]*data-count="1"' zall.svg)" 7
first=$(jq -r '.profiles[0].zones.marks[0].first_ns' zb.json)
check "marks: the first one's time" "$(grep -A1 '<g class="mk"' zall.svg | grep -c "^mark at $(( first / 1000000000 )).$(printf %09d $(( first % 1000000000 ))) s\$")" 1
check "counter: queue" "$(grep -A2 '<g class="ctr"' zall.svg | grep -c '^min 0, max 9, last 9$')" 1

# one thread
"$SCORCH" flame --chart --thread=worker-1 -o w1.svg zb.scorch 2>/dev/null
check "--thread=worker-1: one lane" "$(grep -c 'class="lanehdr"' w1.svg)" 1
check "--thread=worker-1: its 3 work zones" "$(nframes w1.svg work)" 3

# a heap profile has zones and no samples: the chart draws the zones
"$SCORCH" heap -o zh.scorch -- "$PROGS/zones-basic" >/dev/null 2>&1
"$SCORCH" flame --chart -o zh.svg zh.scorch 2>zh.err
check "heap profile --chart: exit" "$?" 0
check "heap profile --chart: zone lanes" "$(grep -c 'data-kind="zones"' zh.svg) $(grep -c 'data-kind="samples"' zh.svg)" "2 0"
"$SCORCH" flame --chart=samples -o x.svg zh.scorch 2>e1
check "--chart=samples without samples: exit" "$?" 1
check_match "--chart=samples without samples: message" "$(cat e1)" "zh.scorch: a flame chart of samples is drawn from CPU samples, and the profile has none"

# ---- errors ----
"$SCORCH" record -o split.scorch -- "$PROGS/cpu-split" 300 >/dev/null 2>&1
"$SCORCH" flame --chart=zones -o x.svg split.scorch 2>e2
check "--chart=zones without zones: exit" "$?" 1
check_match "--chart=zones without zones: message" "$(cat e2)" "split.scorch: the profile has no zones, marks or counters to chart"
"$SCORCH" flame --chart -o split.svg split.scorch 2>/dev/null
check "--chart on samples alone: one sample lane" "$(grep -c 'data-kind="samples"' split.svg) $(grep -c 'data-kind="zones"' split.svg)" "1 0"
"$SCORCH" flame --chart=bogus zb.scorch 2>e3
check "--chart=bogus: exit" "$?" 2
check_match "--chart=bogus: message" "$(head -1 e3)" "unknown --chart 'bogus' \(supported: zones, samples, all\)"
"$SCORCH" flame --chart --heap zb.scorch 2>e4
check "--chart --heap: exit" "$?" 2
check_match "--chart --heap: message" "$(head -1 e4)" "heap weights .* have no time order"
"$SCORCH" flame --chart=zones --weight=cpu-ns zb.scorch 2>e5
check "--chart=zones --weight: exit" "$?" 2
"$SCORCH" flame --chart --thread=nosuch zb.scorch 2>e6
check "--chart --thread=nosuch: exit" "$?" 1
check_match "--chart --thread=nosuch: message" "$(cat e6)" "no thread matches 'nosuch'.*worker-1"
check "no file left behind" "$(ls x.svg* 2>/dev/null | wc -l)" 0

# ---- calls-fib: 21,891 calls of fib ----
"$SCORCH" record --calls -o fib.scorch -- "$PROGS/calls-fib" >/dev/null 2>fib.err || fail "record --calls exited $?"
"$SCORCH" report --zones --json --limit=0 fib.scorch >fib.json
check "calls-fib: fib calls" "$(zf fib.json fib calls)" 21891
"$SCORCH" flame --chart fib.scorch 2>fchart.err
check "fib --chart: exit" "$?" 0
wellformed fib.chart.svg
size=$(stat -c %s fib.chart.svg)
frames=$(grep -c '^<g class="f' fib.chart.svg)
echo "fib.chart.svg: $size bytes, $frames frames; $(cat fchart.err)"
check "fib --chart: a small file (under 2 MB)" "$(test "$size" -lt 2000000 && echo yes)" yes
check "fib --chart: within the frame cap" "$(test "$frames" -le 20001 && echo yes)" yes
for z in main fib thread_main tfib slow make_blocks; do
	check "fib --chart: $z drawn + left out = calls" "$(( $(nframes fib.chart.svg $z) + $(pruned fib.chart.svg $z) ))" "$(zf fib.json $z calls)"
done
check_ge "fib --chart: most fib calls left out or merged" "$(pruned fib.chart.svg fib)" 20000
# every span taken out is either merged away (the summary's count) or stands as a merged frame
left=$(sed -n 's/.*; \([0-9]*\) narrower than .*/\1/p' fchart.err)
check "fib --chart: spans listed = spans taken out + merged frames" \
	"$(( $(pruned fib.chart.svg '') + $(pruned fib.chart.svg '' samples) ))" \
	"$(( left + $(grep -c '^<g class="f [z ]*m">' fib.chart.svg) ))"
check_ge "fib --chart: merged frames of fib" "$(grep -c '^<g class="f z m"><title>\[[0-9]* short spans of fib, merged\]$' fib.chart.svg)" 1
"$SCORCH" flame --chart=zones --max-frames=100 -o f300.svg fib.scorch 2>f300.err
check "--max-frames=100: at most 100 spans and their merged stand-ins" "$(test "$(grep -c '^<g class="f z">' f300.svg)" -le 100 && echo yes)" yes
# at -O2 fib's calls are short enough that --minwidth alone leaves few: no raise
# (at -O0, since the per-thread call buffers, about 280 spans stand wider than
# --minwidth: 100 needs the raise)
[ -n "$OPT" ] || check_match "--max-frames=100: raised" "$(cat f300.err)" "raised to stay within --max-frames"
for z in fib tfib; do
	check "--max-frames=100: $z drawn + left out = calls" "$(( $(nframes f300.svg $z) + $(pruned f300.svg $z) ))" "$(zf fib.json $z calls)"
done
"$SCORCH" flame --chart=zones --minwidth=0 -o fall.svg fib.scorch 2>/dev/null
for z in main fib thread_main tfib slow make_blocks; do
	check "fib --minwidth=0: $z frames = calls" "$(nframes fall.svg $z)" "$(zf fib.json $z calls)"
done
check "fib --minwidth=0: fib(20) lasts fib's total (ns)" "$(durs fall.svg fib | sort -n | tail -1)" "$(zf fib.json fib total_ns)"
check "fib --minwidth=0: slow (ns)" "$(durs fall.svg slow | minmax)" "$(zf fib.json slow min_ns) $(zf fib.json slow max_ns)"
check "fib --minwidth=0: make_blocks allocations" "$(grep -A3 -F -x '<g class="f z"><title>make_blocks' fall.svg | grep -c '^allocations: 10, 1,000 bytes$')" 1
check "fib --minwidth=0: tfib on each thread" "$(grep -A5 -F -x '<g class="f z"><title>tfib' fall.svg | sed -n 's/^thread: \(fib-[ab]\) .*/\1/p' | sort | uniq -c | awk '{ print $2 ":" $1 }' | paste -sd' ')" "fib-a:177 fib-b:177"

# ---- markup in zone, mark and counter names ----
cat >mk.c <<'EOF'
#include <time.h>
#include "scorch.h"
int main(void)
{
	struct timespec ts = { 0, 2000000 };
	{
		SCORCH_ZONE("<img src=x onerror=alert(1)>");
		{
			SCORCH_ZONE("a&b\"c'd</title>");
			nanosleep(&ts, NULL);
		}
		nanosleep(&ts, NULL);
	}
	SCORCH_MARK("<script>alert(2)</script>");
	SCORCH_COUNTER("</text><b>q", 1);
	SCORCH_COUNTER("</text><b>q", 2);
	return 0;
}
EOF
cc -std=gnu11 -O0 -I"$ROOT/include" -o mk mk.c || fail "cannot build mk.c"
"$SCORCH" record -o mk.scorch -- ./mk >/dev/null 2>&1 || fail "record mk exited $?"
"$SCORCH" flame --chart -o mk.svg mk.scorch 2>/dev/null
check "markup: exit" "$?" 0
wellformed mk.svg
check "markup: one script element" "$(grep -o '<script' mk.svg | wc -l)" 1
check "markup: no raw tag from a name" "$(grep -c -e '<img' -e '<b>' -e 'alert(2)</script>' mk.svg)" 0
check "markup: escaped zone name" "$(grep -c -F -x '<g class="f z"><title>&lt;img src=x onerror=alert(1)&gt;' mk.svg)" 1
check "markup: escaped zone name with quotes" "$(grep -c -F -x '<g class="f z"><title>a&amp;b&quot;c&#39;d&lt;/title&gt;' mk.svg)" 1
check "markup: escaped mark" "$(grep -c -F '<title>&lt;script&gt;alert(2)&lt;/script&gt;' mk.svg)" 1
check "markup: escaped counter" "$(grep -c -F '&lt;/text&gt;&lt;b&gt;q (1 .. 2)</text>' mk.svg)" 1

# ---- in the browser ----
bash "$ROOT/tests/browser/setup.sh" || exit 1
browser basic "$WORK/zall.svg" "$WORK/zb.json"
browser fib "$WORK/fib.chart.svg" "$WORK/fib.json"
browser fiball "$WORK/fall.svg" "$WORK/fib.json"
browser markup "$WORK/mk.svg"
finish
