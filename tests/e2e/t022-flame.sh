# scorch flame: flame graphs of known CPU splits and heap counts with exact
# weights, icicle, flame chart, --thread, folded input (and its errors),
# pruning, bad options; then the SVG in headless Chromium: no console
# errors, a click zooms a frame to the full width, a search highlights
# exactly the expected frames (tests/browser/flame.mjs).
. "$ROOT/tests/e2e/lib.sh"

# weight (the number in "N unit, P%") of the frame named $2 in SVG $1; 0 if absent
frame_w() {
	local v
	v=$(grep -A1 -F -x -- "<g class=\"f\"><title>$2" "$1" | sed -n '2s/^\([0-9,]*\) .*/\1/p' | tr -d , | head -1)
	echo "${v:-0}"
}
frame_pct() { grep -A1 -F -x -- "<g class=\"f\"><title>$2" "$1" | sed -n '2s/.*, \([0-9.]*\)%$/\1/p' | head -1; }
# per mille, from "49.88" -> 498
pm() { awk -v x="$1" 'BEGIN { printf "%d", x * 10 }'; }
wellformed() { if xmllint --noout "$1" 2>"$1.xmllint"; then echo "ok: $1 is well-formed XML"; else fail "$1 is not well-formed: $(head -3 "$1.xmllint")"; fi; }

# ---- CPU: cpu-split's 50/30/20 ----
"$SCORCH" record -o split.scorch -- "$PROGS/cpu-split" 1500 >/dev/null 2>rec.err || fail "record exited $?"
"$SCORCH" report --json --limit=0 split.scorch >split.json
"$SCORCH" flame split.scorch 2>flame.err
check "flame: exit" "$?" 0
check "flame: default output beside the profile" "$(test -s split.svg && echo yes)" yes
check_match "flame: summary on stderr" "$(cat flame.err)" '^scorch: split.svg: [0-9]+ frames drawn, [0-9]+ rows'
wellformed split.svg
total=$(q split.json '.profiles[0].cpu.totals.samples')
check "root weighs every sample" "$(frame_w split.svg all)" "$total"
for f in work_a work_b work_c; do
	check "$f weighs its total samples" "$(frame_w split.svg $f)" "$(q split.json "[.profiles[0].cpu.functions[] | select(.function == \"$f\") | .total] | add")"
done
within "work_a share (per mille)" "$(pm "$(frame_pct split.svg work_a)")" 500 20
within "work_b share (per mille)" "$(pm "$(frame_pct split.svg work_b)")" 300 20
within "work_c share (per mille)" "$(pm "$(frame_pct split.svg work_c)")" 200 20
check "one script, no markup from names" "$(grep -c '<script' split.svg)" 1
check "subtitle says what is drawn" "$(grep -c '<text id="subtitle"[^>]*>CPU samples of .*cpu-split 1500: [0-9,]* samples</text>' split.svg)" 1

# --weight=cpu-ns: the time the samples stand for
"$SCORCH" flame --weight=cpu-ns -o ns.svg split.scorch 2>/dev/null
check_match "cpu-ns: root in time units" "$(grep -A1 -x '<g class="f"><title>all' ns.svg | tail -1)" '^[0-9.]+ (ms|s) of CPU, 100.00%</title>'

# --icicle: root on top
"$SCORCH" flame --icicle --colors=module --title='Split <icicle>' -o icicle.svg split.scorch 2>/dev/null
wellformed icicle.svg
# y of the first frame named $2: its rect follows the title, whose lines
# vary (a "self:" line when it has self samples, a "module:" line)
y_of() {
	awk -v t="<g class=\"f\"><title>$2" '$0 == t { on = 1 } on && match($0, /<rect x="[^"]*" y="[0-9.]+"/) {
		s = substr($0, RSTART, RLENGTH); sub(/.*y="/, "", s); sub(/"$/, "", s); print s; exit }' "$1"
}
check "icicle: root above main" "$(awk -v a="$(y_of icicle.svg all)" -v b="$(y_of icicle.svg main)" 'BEGIN { print (a < b) ? "yes" : "no" }')" yes
check "flame: root below main" "$(awk -v a="$(y_of split.svg all)" -v b="$(y_of split.svg main)" 'BEGIN { print (a > b) ? "yes" : "no" }')" yes
check "title escaped" "$(grep -c '<text id="title"[^>]*>Split &lt;icicle&gt;</text>' icicle.svg)" 1

# --chart: time order per thread
"$SCORCH" flame --chart split.scorch 2>chart.err
check "chart: exit" "$?" 0
wellformed split.chart.svg
check "chart: one lane" "$(grep -c 'class="lanehdr"' split.chart.svg)" 1
hdr=$(grep -o 'class="lanehdr"[^>]*>[^<]*' split.chart.svg)
check_match "chart: lane header" "$hdr" ">thread cpu-split \([0-9]+\): .* sampled, [0-9,]+ samples$"
check "chart: lane weighs every sample" "$(sed 's/.*, \([0-9,]*\) samples$/\1/' <<<"$hdr" | tr -d ,)" "$total"
check_ge "chart: work_b runs many times" "$(grep -c -x '<g class="f"><title>work_b' split.chart.svg)" 20

# ---- heap: alloc-counts' exact counts ----
heap ac "$PROGS/alloc-counts"
"$SCORCH" flame -o ac.svg ac.scorch 2>/dev/null
check "heap flame (default bytes)" "$(frame_w ac.svg site_thousand)" 16000
"$SCORCH" flame --heap=count -o count.svg ac.scorch 2>/dev/null
check "--heap=count" "$(frame_w count.svg site_thousand)" 1000
check "--heap=count: site_leak" "$(frame_w count.svg site_leak)" 7
"$SCORCH" flame --heap=leaked -o leaked.svg ac.scorch 2>/dev/null
check "--heap=leaked" "$(frame_w leaked.svg site_leak)" 700
check "--heap=leaked: nothing from site_thousand" "$(frame_w leaked.svg site_thousand)" 0
"$SCORCH" flame --heap=peak -o peak.svg ac.scorch 2>/dev/null
check "--heap=peak" "$(frame_w peak.svg site_thousand)" 16000
check "--heap=peak: the unit" "$(grep -A1 -x '<g class="f"><title>site_thousand' peak.svg | tail -1)" "16,000 bytes (15.6 KiB), $(frame_pct peak.svg site_thousand)%"

# heap weights of one thread: the thread that made the allocation
heap hthr "$PROGS/threads"
"$SCORCH" flame --heap=count --thread=worker-2 -o w2.svg hthr.scorch 2>/dev/null
check "--heap --thread=worker-2: its 250 allocations" "$(frame_w w2.svg ring_alloc)" 250
check "--heap --thread=worker-2: nothing freed counts" "$(frame_w w2.svg ring_free)" 0
"$SCORCH" flame --heap=count -o wall.svg hthr.scorch 2>/dev/null
check "--heap, all threads: 1000" "$(frame_w wall.svg ring_alloc)" 1000

# ---- --thread ----
"$SCORCH" record -o thr.scorch -- "$PROGS/cpu-threads" 1000 >/dev/null 2>&1
"$SCORCH" flame --thread=heavy -o heavy.svg thr.scorch 2>/dev/null
check "--thread=heavy: heavy_work drawn" "$(test "$(frame_w heavy.svg heavy_work)" -gt 0 && echo yes)" yes
check "--thread=heavy: no light_work" "$(frame_w heavy.svg light_work)" 0
tid=$("$SCORCH" report --json thr.scorch | jq -r '.profiles[0].cpu.threads[] | select(.name == "light") | .tid')
"$SCORCH" flame --thread="$tid" -o light.svg thr.scorch 2>/dev/null
check "--thread=TID: light_work only" "$(frame_w light.svg heavy_work) $(test "$(frame_w light.svg light_work)" -gt 0 && echo yes)" "0 yes"
"$SCORCH" flame --chart --thread=heavy -o heavy.chart.svg thr.scorch 2>/dev/null
check "chart --thread: one lane" "$(grep -c 'class="lanehdr"' heavy.chart.svg)" 1
"$SCORCH" flame --thread=nosuch thr.scorch -o none.svg 2>nosuch.err
check "--thread=nosuch: exit" "$?" 1
check_match "--thread=nosuch: message" "$(cat nosuch.err)" "^scorch: thr.scorch: no thread matches 'nosuch' \(a thread id or name; the profile has .*heavy"
check "--thread=nosuch: no file left" "$(ls none.svg* 2>/dev/null | wc -l)" 0

# ---- folded input ----
"$SCORCH" export split.scorch >split.folded
"$SCORCH" flame -o folded.svg split.folded 2>/dev/null
for f in all main work_a work_b work_c; do
	w=$(frame_w split.svg $f)
	check_ge "profile: $f has weight" "$w" 1
	check "folded: same $f as the profile" "$(frame_w folded.svg $f)" "$w"
done
printf 'main;a 3\nmain;b;c 4\nmain;b 2\n' >small.txt
"$SCORCH" flame -o small.svg small.txt 2>/dev/null
check "folded: totals" "$(frame_w small.svg all) $(frame_w small.svg b) $(frame_w small.svg c)" "9 6 4"
printf 'main;a 3\nmain;b 4\nmain;b;c\n' >bad.folded
"$SCORCH" flame bad.folded 2>bad.err
check "malformed folded: exit" "$?" 1
check "malformed folded: names the line" "$(cat bad.err)" "scorch: bad.folded: line 3: not a folded stack (expected 'frame;frame;... COUNT'): 'main;b;c'"
printf 'a;b 12x\n' >bad2.folded
"$SCORCH" flame bad2.folded 2>bad2.err
check_match "bad count" "$(cat bad2.err)" "line 1: the count at the end is not a whole number"
: >empty.folded
"$SCORCH" flame empty.folded 2>empty.err
check_match "empty folded" "$(cat empty.err)" "empty.folded: no stacks"
"$SCORCH" flame --heap small.txt 2>kind.err
check_match "folded + --heap" "$(cat kind.err)" "small.txt is folded text, not a .scorch profile"

# ---- pruning ----
cc -std=gnu11 -O2 -o gen-folded "$ROOT/bench/gen-folded.c" || fail "cannot build bench/gen-folded.c"
./gen-folded 5000 >gen.folded
"$SCORCH" flame --minwidth=0 -o all.svg gen.folded 2>all.err
"$SCORCH" flame -o pruned.svg gen.folded 2>pruned.err
n_all=$(grep -c '<g class="f' all.svg)
n_pruned=$(grep -c '<g class="f' pruned.svg)
# one frame per distinct call path, plus the root
paths=$(awk '{ $NF = ""; sub(/ +$/, ""); n = split($0, f, ";"); p = ""; for (i = 1; i <= n; i++) { p = p ";" f[i]; if (!(p in seen)) { seen[p] = 1; c++ } } } END { print c + 1 }' gen.folded)
check "minwidth 0 draws every call path" "$n_all" "$paths"
# the default: 0.1 px, raised so that 20,000 frames (plus merged stand-ins) at most
nodes_pruned=$(grep -c '<g class="f">' pruned.svg)
check "default caps the frames drawn" "$(test "$nodes_pruned" -le 20001 && test "$nodes_pruned" -ge 19000 && echo yes)" yes
check_match "the raise is reported" "$(cat pruned.err)" "narrower than 0\.[0-9]+ px left out or merged \(--minwidth, raised to stay within --max-frames\)"
check_ge "narrow siblings merged" "$(grep -c '<title>\[[0-9]* frames narrower than 0\.[0-9]* px, merged\]' pruned.svg)" 1
check "root keeps the pruned weight" "$(frame_w pruned.svg all)" "$(awk '{ s += $NF } END { print s }' gen.folded)"
"$SCORCH" flame --minwidth=0.1 -o pt1.svg gen.folded 2>pt1.err
n_pt1=$(grep -c '<g class="f' pt1.svg)
check "--minwidth=0.1 alone: no cap, more frames" "$(test "$n_pt1" -gt "$n_pruned" && test "$n_pt1" -lt "$n_all" && echo yes)" yes
check_match "--minwidth=0.1: reported as such" "$(cat pt1.err)" "narrower than 0.1 px left out or merged \(--minwidth\)$"
"$SCORCH" flame --minwidth=1% -o pct.svg gen.folded 2>/dev/null
check "--minwidth=1%: fewer still" "$(test "$(grep -c '<g class="f' pct.svg)" -lt "$n_pruned" && echo yes)" yes
"$SCORCH" flame --max-frames=500 -o m500.svg gen.folded 2>/dev/null
check "--max-frames=500" "$(test "$(grep -c '<g class="f">' m500.svg)" -le 501 && echo yes)" yes

# ---- bad usage ----
"$SCORCH" flame --heap=foo split.scorch 2>e1; check "bad --heap: exit" "$?" 2
check_match "bad --heap: message" "$(head -1 e1)" "unknown --heap 'foo'"
"$SCORCH" flame --minwidth=abc split.scorch 2>e2; check "bad --minwidth: exit" "$?" 2
"$SCORCH" flame --heap split.scorch -o x.svg 2>e3; check "heap of a CPU-only profile: exit" "$?" 1
check_match "heap of a CPU-only profile: message" "$(cat e3)" "no heap events"
"$SCORCH" flame nosuch.scorch 2>e4; check "missing file: exit" "$?" 1
check_match "missing file: message" "$(cat e4)" "cannot read nosuch.scorch"
"$SCORCH" flame 2>e5; check "no file: exit" "$?" 2

# ---- in the browser ----
bash "$ROOT/tests/browser/setup.sh" || exit 1
(cd "$ROOT/tests/browser" && timeout 240 node flame.mjs split "$WORK/split.svg" "$WORK") || fail "browser: flame graph"
(cd "$ROOT/tests/browser" && timeout 240 node flame.mjs chart "$WORK/split.chart.svg" "$WORK") || fail "browser: flame chart"
finish
