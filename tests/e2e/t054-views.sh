# The views as a person opens them: a deep C++ profile (tests/progs/cxx-deep:
# 45 frames of template recursion, libstdc++ names of hundreds of characters,
# an inlined hot function) and a process tree (cxx-deep forks a child that
# execs itself) drawn as CPU and heap flame graphs, icicle, flame chart,
# differential flame graph and the HTML report. tests/browser/views.mjs
# opens each in headless Chromium at 1280x900 and checks the first screen:
# the root and the hottest frame (the largest self weight: mix, inlined into
# Hot::burn; operator new for heap bytes) inside the viewport with labels of
# at least 9 px that are the whole short name, the SVG as wide as the window,
# a time axis on the chart and the heap chart, the histogram's range, hot
# code beyond the ten hottest, no console errors. Screenshots are kept in
# $WORK/shots (tests/out/... under make check: CI artifacts).
. "$ROOT/tests/e2e/lib.sh"

prog="$PROGS/cxx-deep"
"$SCORCH" record --heap -o deep.scorch -- "$prog" 500 >deep.out 2>deep.err
check "record deep: exit" "$?" 0
check "record deep: ran" "$(cat deep.out)" "cxx-deep: done"
"$SCORCH" record -o before.scorch -- "$prog" 300 >/dev/null 2>&1
check "record before: exit" "$?" 0
"$SCORCH" record -o tree.scorch -- "$prog" 400 tree >tree.out 2>tree.err
check "record tree: exit" "$?" 0
check "record tree: three processes finished" "$(grep -c 'cxx-deep: done' tree.out)" 3

"$SCORCH" flame -o cpu.svg deep.scorch 2>/dev/null
"$SCORCH" flame --icicle -o icicle.svg deep.scorch 2>/dev/null
"$SCORCH" flame --heap -o heap.svg deep.scorch 2>/dev/null
"$SCORCH" flame --chart=samples -o chart.svg deep.scorch 2>/dev/null
"$SCORCH" flame --names=full -o full.svg deep.scorch 2>/dev/null
"$SCORCH" diff -o diff.svg before.scorch deep.scorch >diff.txt 2>/dev/null
"$SCORCH" html -o deep.html deep.scorch 2>/dev/null
# the process tree as one view when the tool merges runs, else its first profile
merge=
"$SCORCH" flame --help 2>&1 | grep -q -- '--merge' && merge=--merge
"$SCORCH" flame $merge -o tree.svg tree.scorch 2>/dev/null
"$SCORCH" html $merge -o tree.html tree.scorch 2>/dev/null
for f in cpu icicle heap chart full diff tree; do
	check "$f.svg well-formed" "$(xmllint --noout "$f.svg" 2>&1 && echo ok)" ok
done

# names: short by default, whole on hover and with --names=full
lvl='Level::descend'
check_ge "cpu: frames named $lvl" "$(grep -c -F -x "<g class=\"f\"><title>$lvl" cpu.svg)" 25
check "cpu: the full name is the tooltip's second line" \
	"$(grep -A1 -F -x "<g class=\"f\"><title>$lvl" cpu.svg | grep -c '^void Level&lt;24&gt;::descend&lt;Context&lt;std::map&lt;std::__cxx11::basic_string&lt;char')" 1
check "cpu: no label longer than 120 characters" \
	"$(grep -o '<text x="[^"]*" y="[^"]*">[^<]*</text>' cpu.svg | sed 's/<[^>]*>//g' | awk 'length > 120' | wc -l)" 0
check "full: labels have the whole names" \
	"$(grep -c -F '<g class="f"><title>void Level&lt;24&gt;::descend&lt;' full.svg)" 1
check "cpu: no dashed outlines" "$(grep -c 'stroke-dasharray:3 2' cpu.svg)" 0
check "diff table: short names" "$(grep -c -E '  mix  \[cxx-deep\]$' diff.txt)" 1
check "diff table: no template arguments" "$(grep -c 'Context<std::map' diff.txt)" 0
check_ge "html: the functions' short names" "$(grep -o 'Level::descend' deep.html | wc -l)" 1

bash "$ROOT/tests/browser/setup.sh" || exit 1
mkdir -p "$WORK/shots"
view() { # mode file name hot
	(cd "$ROOT/tests/browser" && timeout 240 node views.mjs "$1" "$WORK/$2" "$WORK/shots" "$3" "$4") >"$3.log" 2>&1
	local st=$?
	sed 's/^/    /' "$3.log"
	[ "$st" = 0 ] || fail "browser: $3 ($2)"
}
view svg cpu.svg cpu mix
view svg icicle.svg icicle mix
view svg heap.svg heap 'operator new'
view chart chart.svg chart work
view diff diff.svg diff Hot::burn
view html deep.html html mix
view svg tree.svg tree mix
view html tree.html tree-html mix
echo "screenshots: $(ls "$WORK/shots" | tr '\n' ' ')"
finish
