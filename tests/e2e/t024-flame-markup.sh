# Markup in names never becomes markup in the SVG views: tests/progs/markup
# (C++ templates and operator< give '<', '>' and '&' in demangled names) is
# run from a directory named like an HTML tag, under a file name with
# markup and quotes, with an argument that is a script tag. Its flame
# graph, heap flame graph, flame chart and diff are well-formed XML with
# every name escaped, and in headless Chromium nothing executes: no
# dialog, no element made from a name, the names shown as literal text.
. "$ROOT/tests/e2e/lib.sh"

dir="$WORK/<img src=x onerror=alert(1)>"
prog="$dir/mk<i>&'\""
mkdir -p "$dir" && cp "$PROGS/markup" "$prog" || { fail "cannot copy the program"; finish; }
"$SCORCH" record --heap -o m.scorch -- "$prog" '<script>alert(3)</script>' 300 >m.out 2>m.err
check "record: exit" "$?" 0
check "program ran" "$(cat m.out)" "markup: done"

# --names=full: the whole demangled names, with their markup, in the labels
# (the default short names, "spin" and "operator<", are checked below)
"$SCORCH" flame --names=full -o cpu.svg m.scorch 2>/dev/null
"$SCORCH" flame --names=full --heap=count -o heap.svg m.scorch 2>/dev/null
"$SCORCH" flame --names=full --chart -o chart.svg m.scorch 2>/dev/null
"$SCORCH" flame --icicle --colors=module --title='<b>"t"</b>' -o icicle.svg m.scorch 2>/dev/null
"$SCORCH" diff --names=full -o diff.svg m.scorch m.scorch >diff.txt 2>/dev/null
"$SCORCH" flame -o short.svg m.scorch 2>/dev/null
"$SCORCH" diff m.scorch m.scorch >diff-short.txt 2>/dev/null
"$SCORCH" diff --json m.scorch m.scorch >diff.json 2>/dev/null
for f in cpu heap chart icicle diff short; do
	check "$f.svg well-formed" "$(xmllint --noout "$f.svg" 2>&1 && echo ok)" ok
	check "$f.svg: one script element" "$(grep -o '<script' "$f.svg" | wc -l)" 1
	check "$f.svg: no raw tag from a name" "$(grep -c -e '<img' -e '<i>' -e '<b>' -e '<Box' -e '<int' -e 'alert(3)</script>' "$f.svg")" 0
	check "$f.svg: no innerHTML" "$(grep -c innerHTML "$f.svg")" 0
done
spin='void spin&lt;Box&lt;int&gt;&amp;&gt;(Box&lt;int&gt;&amp;, long)'
check "cpu: escaped template name" "$(grep -c -F -x "<g class=\"f\"><title>$spin" cpu.svg)" 1
check "cpu: escaped operator<" "$(grep -c -F -x '<g class="f"><title>operator&lt;(Box&lt;int&gt; const&amp;, Box&lt;int&gt; const&amp;)' cpu.svg)" 1
check "cpu: escaped path and argv" "$(grep -c -F '&lt;img src=x onerror=alert(1)&gt;/mk&lt;i&gt;&amp;&#39;&quot; &lt;script&gt;alert(3)&lt;/script&gt; 300' cpu.svg)" 2
check_ge "cpu: escaped module name" "$(grep -c -F 'module: mk&lt;i&gt;&amp;&#39;&quot;' cpu.svg)" 3
check "heap: make<char> counts 10" "$(grep -A1 -F -x '<g class="f"><title>Box&lt;char&gt;* make&lt;char&gt;(int)' heap.svg | tail -1 | cut -d' ' -f1)" 10
check "icicle: escaped title" "$(grep -c -F '>&lt;b&gt;&quot;t&quot;&lt;/b&gt;</text>' icicle.svg)" 1
check "diff text: names as they are" "$(grep -c -F 'void spin<Box<int>&>(Box<int>&, long)' diff.txt)" 1
# by default frames show short names, and the tooltip's second line the full one
# (spin<Box<int>&> and spin<int&> are two frames named spin, as in pprof)
check "short: spin's label" "$(grep -c -F -x "<g class=\"f\"><title>spin" short.svg)" 2
check "short: its full name on hover" "$(grep -A1 -F -x "<g class=\"f\"><title>spin" short.svg | grep -c -F -x "$spin")" 1
check "short: operator<'s label" "$(grep -c -F -x '<g class="f"><title>operator&lt;' short.svg)" 1
check "diff text: short names by default" "$(grep -c -E '  spin  \[' diff-short.txt)" 2
check "diff json: valid, names as they are" "$(jq -r '[.rows[].function] | index("void spin<Box<int>&>(Box<int>&, long)") != null' diff.json)" true

bash "$ROOT/tests/browser/setup.sh" || exit 1
for f in cpu chart diff; do
	mkdir -p "$WORK/$f-shots"
	# the diff's subtitle names the two files, not the program's argv
	argv=argv
	[ "$f" = diff ] && argv=
	(cd "$ROOT/tests/browser" && timeout 240 node flame.mjs markup "$WORK/$f.svg" "$WORK/$f-shots" $argv) || fail "browser: $f.svg"
done
finish
