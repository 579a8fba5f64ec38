# scorch html: a self-contained page whose data matches the JSON report, and
# in headless Chromium (tests/browser/html.mjs): no console error, no network
# request, cpu-split's 50/30/20 as frame widths, zoom fills the width, search
# highlights exactly the expected frames, icicle, sortable tables, the thread
# selector (cpu-threads 3:1, heap threads' 250 blocks per worker) and the heap
# metrics of alloc-counts (bytes, count, peak, leaked) with the peak on the
# chart. Screenshots of every state land in $WORK. Bad input: one-line errors.
. "$ROOT/tests/e2e/lib.sh"
bash "$ROOT/tests/browser/setup.sh" || exit 1
B=$ROOT/tests/browser/html.mjs

# page PAGE.html: the JSON data block of a page, on stdout
page_json() { sed -n 's|^<script type="application/json" id="scorch-data">\(.*\)</script>$|\1|p' "$1"; }
browser() { # mode page [report.json]
	echo "--- browser: $*"
	node "$B" "$1" "$WORK" "${@:2}" >"browser-$1.log" 2>&1
	local st=$?
	sed 's/^/    /' "browser-$1.log"
	check "browser $1: exit" "$st" 0
}

# --- CPU: cpu-split, 50/30/20
"$SCORCH" record -o split.scorch -- "$PROGS/cpu-split" 2000 >/dev/null 2>split.err
check "record cpu-split" $? 0
"$SCORCH" html split.scorch 2>html.err
check "html: exit" $? 0
check "html: default output next to the profile" "$(test -s split.html && echo yes)" yes
check_match "html: says what it wrote" "$(cat html.err)" '^scorch: wrote split.html \([0-9]+ KiB\)$'
"$SCORCH" report --json --limit=0 split.scorch >split.json
check "page: data is valid JSON" "$(page_json split.html | jq -r .v)" 1
check "page: samples in the page = the report's" "$(page_json split.html | jq '[.cpu.weights[].w[0][]] | add')" "$(q split.json '.profiles[0].cpu.totals.matched_samples')"
check "page: ns in the page = the report's" "$(page_json split.html | jq '[.cpu.weights[].w[1][]] | add')" "$(q split.json '.profiles[0].cpu.totals.matched_ns')"
# self-contained: nothing to fetch
check "page: no src= or href= to anything but data:" "$(grep -Eoi '(src|href)="[^"#d][^"]*"' split.html | grep -v '"data:' | wc -l)" 0
check "page: no http(s) URL" "$(grep -Eci 'https?://' split.html)" 0
check "page: a CSP allows only its own script" "$(grep -c "script-src 'sha256-" split.html)" 1
"$SCORCH" html -o again.html split.scorch 2>/dev/null
check "page: deterministic (same profile, same bytes)" "$(cmp -s split.html again.html && echo same)" same
"$SCORCH" html -o - split.scorch >stdout.html 2>/dev/null
check "-o -: the page on stdout" "$(cmp -s split.html stdout.html && echo same)" same
browser cpu split.html split.json

# --filter: only work_a's samples
"$SCORCH" html --filter='^work_a$' -o filt.html split.scorch 2>/dev/null
check "--filter: samples = work_a's" "$(page_json filt.html | jq '[.cpu.weights[].w[0][]] | add')" "$(jq -r '.profiles[0].cpu.functions[] | select(.function == "work_a") | .total' split.json)"

# --- threads: cpu-threads 3:1
"$SCORCH" record -o thr.scorch -- "$PROGS/cpu-threads" 1000 >/dev/null 2>&1
"$SCORCH" html thr.scorch 2>/dev/null
"$SCORCH" report --json --limit=0 thr.scorch >thr.json
browser threads thr.html thr.json

# --- heap: alloc-counts and threads, exact figures (EXPECTED.md)
heap ac "$PROGS/alloc-counts"
"$SCORCH" html ac.scorch 2>/dev/null
check "heap page: bytes in the page" "$(page_json ac.html | jq '[.heap.weights[].w[0][]] | add')" 16800
check "heap page: allocations in the page" "$(page_json ac.html | jq '[.heap.weights[].w[1][]] | add')" 1008
check "heap page: bytes at the peak" "$(page_json ac.html | jq '[.heap.weights[].w[2][]] | add')" 16000
check "heap page: bytes leaked" "$(page_json ac.html | jq '[.heap.weights[].w[3][]] | add')" 700
check "heap page: the timeline reaches the peak" "$(page_json ac.html | jq '[.heap.timeline as $t | range(1; $t | length; 2) | $t[.]] | max')" 16000
browser heap ac.html
heap thr-heap "$PROGS/threads"
"$SCORCH" html thr-heap.scorch 2>/dev/null
browser heapthr thr-heap.html

# --- bad input
"$SCORCH" html 2>noarg.err; r=$?
check "no profile: exit 2" "$r" 2
check_match "no profile: says so" "$(head -1 noarg.err)" 'no profile given'
"$SCORCH" html "$WORK/missing.scorch" 2>missing.err; r=$?
check "missing file: exit 1" "$r" 1
check "missing file: one line" "$(wc -l <missing.err)" 1
check_match "missing file: names it" "$(cat missing.err)" 'missing\.scorch'
head -c 5000 /dev/urandom >junk.scorch
"$SCORCH" html junk.scorch 2>junk.err; r=$?
check "junk file: exit 1" "$r" 1
check "junk file: one line" "$(wc -l <junk.err)" 1
check "junk file: no page left behind" "$(ls junk.html junk.html.tmp.* 2>/dev/null | wc -l)" 0
head -c 3000 split.scorch >cut.scorch
"$SCORCH" html cut.scorch 2>cut.err; r=$?
check "truncated file: exit 1" "$r" 1
check_match "truncated file: says why" "$(cat cut.err)" 'truncated|corrupt'
"$SCORCH" html --filter='(' split.scorch 2>filt.err; r=$?
check "bad filter: exit 2" "$r" 2
check_match "bad filter: says so" "$(cat filt.err)" "bad --filter"
"$SCORCH" html -o "$WORK/no/such/dir/x.html" split.scorch 2>dir.err; r=$?
check "unwritable output: exit 1" "$r" 1
check_match "unwritable output: says so" "$(cat dir.err)" 'cannot (create|write) .*x\.html'
"$SCORCH" html -o /dev/full split.scorch 2>full.err; r=$?
check "full disk: exit 1" "$r" 1
check_match "full disk: says so" "$(cat full.err)" 'cannot write /dev/full'
"$SCORCH" html --bogus split.scorch 2>bogus.err; r=$?
check "unknown option: exit 2" "$r" 2
finish
