# scorch diff: before/after profiles of flame-shift, whose CPU moves from
# work_old to work_new (75/25 -> 25/75) and whose allocations move from
# site_old to site_new (exactly 3000/1000 -> 1000/3000): the table and JSON
# show it by function and by site with exact counts; folded files with
# exact shares; mixed kinds refused; the differential flame graph renders
# in headless Chromium with growth red and shrinkage blue.
. "$ROOT/tests/e2e/lib.sh"

# row FILE.json FUNCTION FIELD: a field of the row of FUNCTION
row() { jq -r --arg f "$2" "[.rows[] | select(.function == \$f) | .$3][0] // \"none\"" "$1"; }
# a percentage field in tenths of a point, rounded
tenths() { jq -r --arg f "$2" "[.rows[] | select(.function == \$f) | .$3 * 10 | round][0] // \"none\"" "$1"; }

"$SCORCH" record --heap -o before.scorch -- "$PROGS/flame-shift" 300 100 3000 1000 >/dev/null 2>rec1.err || fail "record before: $?"
"$SCORCH" record --heap -o after.scorch -- "$PROGS/flame-shift" 100 300 1000 3000 >/dev/null 2>rec2.err || fail "record after: $?"

# ---- CPU, by function (the default: both profiles have samples) ----
"$SCORCH" diff before.scorch after.scorch >cpu.txt 2>cpu.err
check "diff: exit" "$?" 0
sed 's/^/    /' cpu.txt | head -12
check_match "text: what is compared" "$(head -2 cpu.txt)" "^BEFORE  CPU samples of .*flame-shift 300 100 3000 1000: [0-9,]+ samples"
check_match "text: the two biggest changes are the workers" "$(sed -n '7,8p' cpu.txt | awk '{ print $NF " " $(NF-1) }' | sort | tr '\n' ' ')" "^\[flame-shift\] work_new \[flame-shift\] work_old $"
"$SCORCH" diff --json --limit=0 before.scorch after.scorch >cpu.json
check "json: kind" "$(jq -r '.before.kind + " " + .after.kind + " " + .unit + " " + .group' cpu.json)" "cpu cpu samples function"
check "json: totals" "$(jq -r '.before.total' cpu.json) $(jq -r '.after.total' cpu.json)" \
	"$("$SCORCH" report --json before.scorch | jq '.profiles[0].cpu.totals.samples') $("$SCORCH" report --json after.scorch | jq '.profiles[0].cpu.totals.samples')"
within "work_old before (tenths of a point)" "$(tenths cpu.json work_old before_pct)" 750 40
within "work_old after" "$(tenths cpu.json work_old after_pct)" 250 40
within "work_new before" "$(tenths cpu.json work_new before_pct)" 250 40
within "work_new after" "$(tenths cpu.json work_new after_pct)" 750 40
within "work_old delta" "$(tenths cpu.json work_old delta_pct)" -500 60
check "rows sorted by |after - before|" "$(jq -r '[.rows[] | (.delta | fabs)] | . == (sort | reverse)' cpu.json)" true
check "delta = after - before" "$(jq -r '[.rows[] | .delta == .after - .before] | all' cpu.json)" true
check "work_old self = its samples in the report" "$(row cpu.json work_old before)" \
	"$("$SCORCH" report --json --limit=0 before.scorch | jq '[.profiles[0].cpu.functions[] | select(.function == "work_old") | .self] | add')"
check "main matched as the main module" "$(row cpu.json work_old main)" true
"$SCORCH" diff --json --limit=1 before.scorch after.scorch >one.json
check "--limit=1" "$(jq '.rows | length' one.json) $(jq .rows_total one.json)" "1 $(jq .rows_total cpu.json)"

# ---- heap, by allocation site: exact counts ----
"$SCORCH" diff --heap=count --json before.scorch after.scorch >count.json
check "heap json: kind" "$(jq -r '.before.kind + " " + .unit + " " + .group' count.json)" "heap allocations site"
check "site_old count" "$(row count.json site_old before) $(row count.json site_old after) $(row count.json site_old delta)" "3000 1000 -2000"
check "site_new count" "$(row count.json site_new before) $(row count.json site_new after) $(row count.json site_new delta)" "1000 3000 2000"
check "the two sites lead" "$(jq -r '[.rows[0:2][] | .function] | sort | join(" ")' count.json)" "site_new site_old"
"$SCORCH" diff --heap before.scorch after.scorch >bytes.txt
check "heap text: site_new in bytes" "$(awk '$7 == "site_new" { print $4, $5, $6, $8 }' bytes.txt)" "64,000 192,000 +128,000 [flame-shift]"
check "heap text: site_old in bytes" "$(awk '$7 == "site_old" { print $4, $5, $6, $8 }' bytes.txt)" "96,000 32,000 -64,000 [flame-shift]"
check_match "heap text: header" "$(sed -n 4p bytes.txt)" "^Allocation sites that changed most"
"$SCORCH" diff --heap --sort=share before.scorch after.scorch >share.txt
check_match "heap text, --sort=share: header" "$(sed -n 4p share.txt)" "^Allocation sites whose share changed most"

# ---- --sort: the largest change in weight (default) or in share first ----
printf 'main;a 100\nmain;b 900\n' >w-before.folded
printf 'main;a 100\nmain;b 100\nmain;c 10\n' >w-after.folded
"$SCORCH" diff --json w-before.folded w-after.folded >w.json
check "--sort=weight (default): order" "$(jq -r '[.rows[].function] | join(" ")' w.json)" "b c a"
"$SCORCH" diff --json --sort=share w-before.folded w-after.folded >s.json
check "--sort=share: order" "$(jq -r '[.rows[].function] | join(" ")' s.json)" "b a c"
"$SCORCH" diff --sort=size w-before.folded w-after.folded 2>sort.err; r=$?
check "--sort=size: exit 2" "$r" 2
check_match "--sort=size: says the keys" "$(head -1 sort.err)" "weight or share"

# ---- folded files: exact shares ----
printf 'main;a 50\nmain;b 50\n' >before.folded
printf 'main;a 75\nmain;b 20\nmain;c 5\n' >after.folded
"$SCORCH" diff --json before.folded after.folded >f.json
check "folded: order" "$(jq -r '[.rows[].function] | join(" ")' f.json)" "b a c"
check "folded: b" "$(jq -c '.rows[0] | [.before, .after, .delta, .before_pct, .after_pct, .delta_pct]' f.json)" "[50,20,-30,50,20,-30]"
check "folded: a" "$(jq -c '.rows[1] | [.before, .after, .delta_pct]' f.json)" "[50,75,25]"
check "folded: c (new)" "$(jq -c '.rows[2] | [.before, .after, .delta_pct]' f.json)" "[0,5,5]"
"$SCORCH" diff -o f.svg before.folded after.folded >/dev/null 2>f.err
check "folded: svg" "$(xmllint --noout f.svg && echo ok)" ok
check "folded: the frame that grew is red" "$(grep -A6 -x '<g class="f"><title>a' f.svg | grep -c 'fill="rgb(255,88,88)"')" 1
check "folded: the frame that shrank most is full blue" "$(grep -A6 -x '<g class="f"><title>b' f.svg | grep -c 'fill="rgb(55,55,255)"')" 1
check_match "folded: tooltip has both" "$(grep -A3 -x '<g class="f"><title>c' f.svg | tr '\n' '|')" "after: 5.00% \(5 samples\)\|before: 0.00% \(0 samples\)\|change: \+5.00 points \(not in BEFORE\)"

# ---- refusals ----
"$SCORCH" heap -o heaponly.scorch -- "$PROGS/alloc-counts" >/dev/null 2>&1
"$SCORCH" record -o cpuonly.scorch -- "$PROGS/cpu-split" 300 >/dev/null 2>&1
"$SCORCH" diff cpuonly.scorch heaponly.scorch >/dev/null 2>mixed.err
check "mixed kinds: exit" "$?" 1
check_match "mixed kinds: message" "$(cat mixed.err)" "cpuonly.scorch is drawn from CPU samples and heaponly.scorch from heap events; compare like with like"
"$SCORCH" diff --heap cpuonly.scorch heaponly.scorch >/dev/null 2>noheap.err
check_match "--heap on a CPU-only profile" "$(cat noheap.err)" "cpuonly.scorch: the profile has no heap events"
"$SCORCH" diff before.scorch 2>one.err
check "one file: exit" "$?" 2
"$SCORCH" diff --thread=main before.folded after.folded 2>thr.err
check_match "--thread on folded" "$(cat thr.err)" "before.folded is folded text: it has no threads"
"$SCORCH" diff --limit=x before.folded after.folded 2>lim.err
check "bad --limit: exit" "$?" 2

# ---- the differential flame graph, in the browser ----
"$SCORCH" diff -o diff.svg before.scorch after.scorch >/dev/null 2>svg.err
check "svg: exit" "$?" 0
check_match "svg: summary" "$(cat svg.err)" "^scorch: diff.svg: differential flame graph, [0-9]+ frames drawn"
check "svg: well-formed" "$(xmllint --noout diff.svg && echo ok)" ok
bash "$ROOT/tests/browser/setup.sh" || exit 1
(cd "$ROOT/tests/browser" && timeout 240 node flame.mjs diff "$WORK/diff.svg" "$WORK") || fail "browser: differential flame graph"
finish
