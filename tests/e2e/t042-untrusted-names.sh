# Names from the profiled program or an imported file can hold anything:
# an imported folded file with ESC[31m, other control characters, U+009B
# and bytes that are not UTF-8 in its names and a 300-frame stack, and a
# program (zones-names) whose zones, marks, counters and thread name hold
# the same. Every text output (report, report --zones, --threads, annotate,
# diff, the import and record summaries) has no raw control byte (the names
# show escaped, \x1b[31m), no C1 control and no invalid UTF-8; every JSON
# document (report --json, report --zones --json, annotate --json, diff
# --json, the speedscope, Chrome trace and DHAT exports, the HTML page's
# data) is well-formed UTF-8 (invalid bytes as U+FFFD), parses with
# Debian's jq 1.6 and nests at most 32 levels ([paths|length]|max); the
# zones report's counter columns stay apart at 1.99999e+10; no Chrome trace
# E event has args. Then every jq recipe of docs/*.md runs with jq 1.6 on
# real profiles, with the results its text promises.
. "$ROOT/tests/e2e/lib.sh"

JQ=/usr/bin/jq   # Debian's: 1.6, which refuses documents nested past 256 levels
"$JQ" --version | grep -q '^jq-1\.' || { echo "FAIL: $JQ is not jq 1.x"; exit 1; }
ctl=$'[\x01-\x08\x0b-\x1f\x7f]'   # C0 controls but tab and newline, and DEL

# rawctl FILE: the lines of FILE with a raw control byte, a C1 control
# (U+0080-U+009F) or bytes that are not UTF-8; none is the answer
rawctl() {
	python3 - "$1" <<'EOF'
import re, sys
data = open(sys.argv[1], 'rb').read()
bad = 0
for n, line in enumerate(data.split(b'\n'), 1):
    try:
        text = line.decode('utf-8')
    except UnicodeDecodeError:
        bad += 1
        print('%d: not UTF-8: %r' % (n, line[:120]), file=sys.stderr)
        continue
    if re.search('[\x00-\x08\x0b-\x1f\x7f\x80-\x9f]', text):
        bad += 1
        print('%d: control character: %r' % (n, line[:120]), file=sys.stderr)
print(bad)
EOF
}
text_ok() { # what FILE
	check "$1: lines with raw control characters or invalid UTF-8" "$(rawctl "$2")" 0
	grep -q "$ctl" "$2" && fail "$1: grep finds a raw control byte"
}
# json_ok what FILE: strict UTF-8, parses with python and jq 1.6, nesting <= 32
json_ok() {
	check "$1: strict UTF-8 JSON (python)" \
		"$(python3 -c 'import json,sys; json.loads(open(sys.argv[1],"rb").read().decode("utf-8")); print("ok")' "$2" 2>&1 | tail -1)" ok
	check "$1: iconv -f UTF-8" "$(iconv -f UTF-8 -t UTF-8 "$2" >/dev/null 2>&1 && echo ok)" ok
	local depth
	depth=$("$JQ" '[paths | length] | max' "$2" 2>&1)
	check_ge "$1: parses with jq 1.6 (nesting $depth)" "$( [[ $depth =~ ^[0-9]+$ ]] && echo 1 || echo 0)" 1
	[[ $depth =~ ^[0-9]+$ ]] && [ "$depth" -le 32 ] && echo "ok: $1: nesting $depth <= 32" ||
		fail "$1: nesting '$depth', wanted at most 32"
}

# ---- an imported folded file ----
python3 - <<'EOF'
deep = ';'.join('f%d' % i for i in range(300)).encode()
lines = [
    b'main;evil\x1b[31mred\x1b[0m;leaf 10',
    b'main;bad\xff\xfeutf;ctl\x01\x07\x7f\xc2\x9bc1\x1b[2J 20',
    b'main;' + deep + b' 30',
]
open('u.folded', 'wb').write(b'\n'.join(lines) + b'\n')
lines[0] = b'main;evil\x1b[31mred\x1b[0m;leaf 40'
open('v.folded', 'wb').write(b'\n'.join(lines) + b'\n')
EOF
"$SCORCH" import --format=folded --hz=1000 u.folded -o u.scorch 2>u.import.err || fail "import u.folded"
"$SCORCH" import --format=folded --hz=1000 v.folded -o v.scorch 2>v.import.err || fail "import v.folded"
text_ok "import summary" u.import.err
"$SCORCH" report --limit=0 --threads u.scorch >u.txt 2>&1 || fail "report u.scorch"
text_ok "report" u.txt
# top by total, call tree, callers: 3 times; ctl also in the top by self
check "report: the ESC shows as \\x1b" "$(grep -c 'evil\\x1b\[31mred\\x1b\[0m' u.txt)" 3
check "report: invalid bytes as \\xff\\xfe, U+009B as \\u009b" \
	"$(grep -c 'bad\\xff\\xfeutf' u.txt),$(grep -c 'ctl\\x01\\x07\\x7f\\u009bc1\\x1b\[2J' u.txt)" "3,4"
"$SCORCH" annotate u.scorch >u.annotate.txt 2>&1 || fail "annotate u.scorch"
text_ok "annotate" u.annotate.txt
check "annotate: the escaped name" "$(grep -c '^ctl\\x01' u.annotate.txt)" 1
"$SCORCH" diff u.scorch v.scorch >uv.diff.txt 2>&1 || fail "diff"
text_ok "diff" uv.diff.txt
check "diff: the escaped name" "$(grep -c 'leaf' uv.diff.txt)" 1

"$SCORCH" report --json --limit=0 u.scorch >u.json || fail "report --json u.scorch"
json_ok "report --json (folded)" u.json
# names FILE JQ: the strings JQ selects, as Python writes them (ASCII escapes)
names() { "$JQ" -c "[$2] | sort" "$1" | python3 -c 'import json,sys; print(ascii(json.loads(sys.stdin.buffer.read().decode("utf-8"))))'; }
check "report --json: invalid bytes as U+FFFD, controls kept" \
	"$(names u.json '.profiles[0].cpu.functions[].function | select(startswith("bad") or startswith("ctl") or startswith("evil"))')" \
	"['bad\\ufffd\\ufffdutf', 'ctl\\x01\\x07\\x7f\\x9bc1\\x1b[2J', 'evil\\x1b[31mred\\x1b[0m']"
# bad: in functions, tree, callers; ctl also in lines (it has self samples)
check "report --json: invalid bytes written \\ufffd, C1 \\u009b" \
	"$(grep -c '"function": "bad\\ufffd\\ufffdutf"' u.json),$(grep -c '"function": "ctl\\u0001\\u0007\\u007f\\u009bc1\\u001b\[2J"' u.json)" "3,4"
check "report --json: the 300-frame path is in the flat tree (main at depth 0)" \
	"$("$JQ" '[.profiles[0].cpu.tree[] | .depth] | max' u.json)" 300
"$SCORCH" annotate --json u.scorch >u.annotate.json || fail "annotate --json"
json_ok "annotate --json" u.annotate.json
"$SCORCH" diff --json u.scorch v.scorch >uv.diff.json || fail "diff --json"
json_ok "diff --json" uv.diff.json
for f in speedscope trace; do   # a Chrome trace is named *.trace.json (docs/interop.md)
	"$SCORCH" export --format=${f/trace/chrome} -o u.$f.json u.scorch || fail "export $f"
	json_ok "export $f (folded)" u.$f.json
done
check "chrome (folded): no E event has args" \
	"$("$JQ" '[.traceEvents[] | select(.ph == "E" and has("args"))] | length' u.trace.json)" 0
"$SCORCH" html -o u.html u.scorch 2>/dev/null || fail "html u.scorch"
python3 - u.html u.html.json <<'EOF'
import re, sys
page = open(sys.argv[1], 'rb').read()
m = re.search(rb'<script type="application/json" id="scorch-data">(.*?)</script>', page, re.S)
open(sys.argv[2], 'wb').write(m.group(1) if m else b'')
EOF
json_ok "html data (folded)" u.html.json

# ---- a program's own names: zones, marks, counters, thread ----
"$SCORCH" record --heap -o zn.scorch -- "$PROGS/zones-names" >zn.out 2>zn.err || fail "record zones-names"
check "zones-names ran" "$(cat zn.out)" "names done"
text_ok "record summary" zn.err
"$SCORCH" report --threads zn.scorch >zn.txt 2>&1 || fail "report zn.scorch"
text_ok "report (heap and CPU)" zn.txt
# CPU header, threads table, heap header
check "report: the thread name escaped" "$(grep -c 'thr\\x1b\[32m\\xff' zn.txt)" 3
"$SCORCH" report --zones zn.scorch >zn.zones.txt 2>&1 || fail "report --zones"
text_ok "report --zones" zn.zones.txt
check "report --zones: names escaped" \
	"$(grep -c 'red\\x1b\[31mzone\\x1b\[0m\|bad\\xff\\xfeutf\|c1\\u009b31m\|bell\\x07\\x08\\x7f\|big\\x1b\[1m\|thr\\x1b\[32m\\xff' zn.zones.txt)" 6
# values, min, max, mean, last: five fields, apart, whatever their width
check "report --zones: counter columns apart" \
	"$(awk '/ big\\x1b\[1m$/ { print $1, $2, $3, $4, $5 } / neg$/ { print $1, $2, $3, $4, $5 }' zn.zones.txt | tr '\n' '|')" \
	"200 1.99999e+10 1.99999e+10 1.99999e+10 1.99999e+10|200 -1.99999e+10 -1.99999e+10 -1.99999e+10 -1.99999e+10|"

"$SCORCH" report --json --limit=0 zn.scorch >zn.json || fail "report --json zn.scorch"
json_ok "report --json (heap and CPU)" zn.json
check "report --json: the thread name" "$(names zn.json '.profiles[0].program.threads[0].name')" \
	"['thr\\x1b[32m\\ufffd']"
"$SCORCH" report --zones --json --limit=0 zn.scorch >zn.zones.json || fail "report --zones --json"
json_ok "report --zones --json" zn.zones.json
check "report --zones --json: names" \
	"$(names zn.zones.json '.profiles[0].zones.zones[].name, .profiles[0].zones.marks[].name, .profiles[0].zones.counters[].name')" \
	"['bad\\ufffd\\ufffdutf', 'bell\\x07\\x08\\x7f', 'big\\x1b[1m', 'c1\\x9b31m', 'neg', 'red\\x1b[31mzone\\x1b[0m']"
for f in speedscope trace dhat; do
	"$SCORCH" export --format=${f/trace/chrome} -o zn.$f.json zn.scorch || fail "export $f"
	json_ok "export $f (program)" zn.$f.json
done
check "chrome: no E event has args" \
	"$("$JQ" '[.traceEvents[] | select(.ph == "E" and has("args"))] | length' zn.trace.json)" 0
check "chrome: zone B events hold the args" \
	"$("$JQ" -c '[.traceEvents[] | select(.ph == "B" and .cat == "scorch.zone") | .args.allocs] | sort' zn.trace.json)" \
	'[0,0,0,10,10,10]'
"$SCORCH" html -o zn.html zn.scorch 2>/dev/null || fail "html zn.scorch"
python3 - zn.html zn.html.json <<'EOF'
import re, sys
page = open(sys.argv[1], 'rb').read()
m = re.search(rb'<script type="application/json" id="scorch-data">(.*?)</script>', page, re.S)
open(sys.argv[2], 'wb').write(m.group(1) if m else b'')
EOF
json_ok "html data (program)" zn.html.json

# ---- the jq recipes of docs/*.md, with jq 1.6, on real profiles ----
# r.scorch: 10% in parse, no heap; its recipes' promised results below
printf 'main;parse 10\nmain;other;leaf 90\n' >r.folded
"$SCORCH" import --format=folded --hz=1000 r.folded -o r.scorch 2>/dev/null || fail "import r.folded"
mkdir -p bin
ln -sf "$JQ" bin/jq
printf '#!/bin/sh\nexec "%s" "$@"\n' "$SCORCH" >bin/scorch
chmod +x bin/scorch
# every block of docs/*.md with a `scorch report --json ... | jq` pipeline:
# its lines that run scorch, joined where a line ends with | or \
python3 - "$ROOT"/docs/*.md >/dev/null <<'EOF'
import re, sys
n = 0
for path in sys.argv[1:]:
    text = open(path).read()
    for block in re.findall(r'^```[a-z]*\n(.*?)^```', text, re.S | re.M):
        if not re.search(r'scorch report --json.*\|', block.replace('\\\n', ' '), re.S):
            continue
        lines, cur = [], ''
        for line in block.split('\n'):
            cur += line.rstrip('\\') + ('\n' if not line.endswith('\\') else ' ')
            if not line.rstrip().endswith(('|', '\\')):
                lines.append(cur)
                cur = ''
        for cmd in lines:
            if 'scorch report --json' in cmd and 'jq' in cmd:
                n += 1
                open('recipe-%d.sh' % n, 'w').write('# %s\n%s\n' % (path.split('/')[-1], cmd))
print(n)
EOF
nrec=$(ls recipe-*.sh 2>/dev/null | wc -l)
check_ge "jq recipes found in docs/*.md" "$nrec" 5
for p in deep:u.scorch program:zn.scorch known:r.scorch; do
	name=${p%%:*} prof=${p#*:}
	mkdir -p "rec-$name"
	for alias in prog.scorch prog.1234.scorch; do ln -sf "$WORK/$prof" "rec-$name/$alias"; done
	for r in recipe-*.sh; do
		(cd "rec-$name" && PATH="$WORK/bin:$PATH" bash -e -o pipefail "../$r" >"../$name-$r.out" 2>"../$name-$r.err"
		 echo $? >"../$name-$r.rc")
		rc=$(cat "$name-$r.rc")
		# jq -e: 1 is a false answer and 4 no answer (no function "parse"
		# here), both from a working recipe; jq's errors are 2, 3 and 5
		if { [ "$rc" -le 1 ] || [ "$rc" = 4 ]; } && [ ! -s "$name-$r.err" ]; then
			echo "ok: $name: $(sed -n 1p "$r") recipe ${r%.sh} runs with jq 1.6 (exit $rc)"
		else
			fail "$name: ${r%.sh} ($(sed -n 2p "$r" | head -c 100)...): exit $rc, $(head -c 300 "$name-$r.err")"
		fi
	done
done
# what the recipes promise, on the profile with known numbers
for r in recipe-*.sh; do
	cmd=$(sed -n '2,$p' "$r")
	case "$cmd" in
	*leaked_bytes*) check "recipe: no leaks" "$(cat "known-$r.out"),$(cat "known-$r.rc")" "true,0" ;;
	*'"parse"'*) check "recipe: parse under 20%" "$(cat "known-$r.out"),$(cat "known-$r.rc")" "true,0" ;;
	*'.depth'*) check "recipe: the tree by depth" "$(tr '\n' '|' <"known-$r.out")" "main 100|  other 90|    leaf 90|  parse 10|" ;;
	*'"main"'*) check "recipe: main's callees" "$(tr '\n' '|' <"known-$r.out")" "other|parse|" ;;
	*start_wall_ns*) check "recipe: start time" "$(cat "known-$r.rc")" 0 ;;
	*) fail "recipe ${r%.sh} has no expected result here: $cmd" ;;
	esac
done
finish
