# scorch import: perf script text and folded stacks become profiles that
# report and export read, with perf's own figures: a `perf record -g` run of
# cpu-split imported gives perf report's top functions in the same order,
# each self share within 0.5 point, and exactly perf's sample count. Also a
# perf script sample captured once (no perf needed), --call-graph dwarf,
# threads, stdin, the folded round trip and every kind of bad input.
. "$ROOT/tests/e2e/lib.sh"
DATA=$ROOT/tests/data/import

# imp NAME ARGS...: scorch import ARGS; sets $rc and $err (stderr)
imp() {
	local name=$1
	shift
	"$SCORCH" import "$@" 2>"$name.err"
	rc=$?
	err=$(cat "$name.err")
}

# fn_self FILE.json FUNCTION: self samples of FUNCTION (all modules), 0 if absent
fn_self() { jq -r --arg f "$2" '[.profiles[0].cpu.functions[] | select(.function == $f) | .self] | add // 0' "$1"; }

# --- the captured sample: 200 ms of cpu-split, perf 6.1, frame pointers ---
cp "$DATA/cpu-split.perf" .
imp cap cpu-split.perf
check "captured: import exits 0" "$rc" 0
check_match "captured: says where it wrote" "$err" 'wrote cpu-split\.scorch$'
check_match "captured: says what it took" "$err" 'imported 200 samples of cpu-clock \(1 thread'
json cpu-split.scorch
J=cpu-split.scorch.json
# what perf report --no-children --sort sym -n says of that data
check "captured: samples" "$(q $J '.profiles[0].cpu.totals.all_samples')" 200
check "captured: work_a" "$(fn_self $J work_a)" 99
check "captured: work_b" "$(fn_self $J work_b)" 60
check "captured: work_c" "$(fn_self $J work_c)" 38
check "captured: kernel frames kept" "$(fn_self $J finish_task_switch.isra.0)" 1
check "captured: the ranking" "$(q $J '[.profiles[0].cpu.functions[:3][] | .function] | join(",")')" "work_a,work_b,work_c"
check "captured: module of work_a" "$(q $J '.profiles[0].cpu.functions[0].module')" cpu-split
check "captured: thread" "$(q $J '.profiles[0].cpu.threads[0] | "\(.tid) \(.name) \(.samples)"')" "9114 cpu-split 200"
check "captured: source" "$(q $J '.profiles[0].cpu.sampling.source')" "perf script (cpu-clock)"
check "captured: rate from the period" "$(q $J '.profiles[0].cpu.sampling.requested_hz')" 999
check "captured: CPU time = periods" "$(q $J '.profiles[0].cpu.sampling.cpu_time_ns')" $((200 * 1001001))
check "captured: exe" "$(q $J '.profiles[0].program.exe')" /work/main/build/tests/progs/cpu-split
"$SCORCH" report cpu-split.scorch >cap.txt 2>&1
check "captured: text report exits 0" "$?" 0
# (with the same binary at the captured path, work_a gets its file:line)
check_match "captured: text report" "$(cat cap.txt)" '49\.5%.* 99  work_a (at [^ ]*cpu-split\.c:[0-9]+ )?\(cpu-split\)'
check "captured: folded export" "$("$SCORCH" export --format=folded cpu-split.scorch | grep -c '^__libc_start_call_main;main;work_a [0-9]*$')" 1

# --- stdin ---
imp stdin - <cpu-split.perf
check "stdin: exits 0" "$rc" 0
check_match "stdin: default name" "$err" 'wrote perf\.scorch$'
json perf.scorch
check "stdin: same samples" "$(q perf.scorch.json '.profiles[0].cpu.totals.all_samples')" 200

# --- folded: round trip, inlined frames, --hz ---
cp "$DATA/small.folded" .
imp fold small.folded
check "folded: exits 0" "$rc" 0
check_match "folded: says counts are not timed" "$err" 'carry no time'
"$SCORCH" export --format=folded small.scorch | sort >small.out
check "folded: export of the import is the input" "$(sort small.folded | diff - small.out && echo same)" same
json small.scorch
check "folded: samples = sum of counts" "$(q small.scorch.json '.profiles[0].cpu.totals.all_samples')" 100
check "folded: inlined frame" "$(q small.scorch.json '.profiles[0].cpu.functions[] | select(.function == "kernel_inner") | "\(.self) \(.inlined)"')" "73 true"
check "folded: no modules" "$(q small.scorch.json '.profiles[0].cpu.functions[0].module')" null
check "folded: no time" "$(q small.scorch.json '.profiles[0].cpu.totals.ns')" 0
# untimed counts: the report's shares are of the counts (73 of 100 in the
# inlined kernel_inner), its tree keeps its nodes
rep=$("$SCORCH" report small.scorch)
check_match "folded: shares of untimed counts" "$rep" ' 73\.0% +73\.0% +73  kernel_inner'
check_match "folded: the tree of untimed counts" "$rep" '67\.0% +0\.0% +_start'
imp hz --hz=250 small.folded -o hz.scorch
json hz.scorch
check "folded --hz: 4 ms per count" "$(q hz.scorch.json '.profiles[0].cpu.totals.ns')" 400000000
imp fstdin --format=folded - -o fstdin.scorch <small.folded
check "folded from stdin: exits 0" "$rc" 0
"$SCORCH" export --format=folded fstdin.scorch | sort >fstdin.out
check "folded from stdin: 6 lines" "$(wc -l <fstdin.out)" 6
check "folded from stdin" "$(diff small.out fstdin.out && echo same)" same
# a perf import exported to folded and imported again: the same folded text
"$SCORCH" export --format=folded cpu-split.scorch | sort >cap.folded
check "perf -> folded: 200 samples" "$(awk '{ s += $NF } END { print s }' cap.folded)" 200
imp refold cap.folded
check "folded import of an export: exits 0" "$rc" 0
"$SCORCH" export --format=folded cap.scorch | sort >cap2.folded
check "perf -> folded -> import -> folded" "$(diff cap.folded cap2.folded && echo same)" same

# --- bad input: a clear message with file:line, exit 1, no profile ---
bad() { # description file expected-message-regex [args...]
	local what=$1 file=$2 re=$3
	shift 3
	cp "$DATA/$file" .
	imp bad "$@" "$file" -o bad.scorch
	check "$what: exit 1" "$rc" 1
	check_match "$what: message" "$err" "$re"
	check "$what: no profile" "$(test -e bad.scorch && echo written || echo none)" none
}
bad "bad header" bad-header.perf '^scorch: bad-header\.perf:9: not a perf script sample header'
bad "bad frame" bad-frame.perf '^scorch: bad-frame\.perf:7: bad frame line'
bad "orphan frame" orphan-frame.perf '^scorch: orphan-frame\.perf:2: frame line outside a sample'
bad "empty" empty.perf '^scorch: empty\.perf: empty input'
bad "blank" blank.perf '^scorch: blank\.perf: empty input'
bad "folded count" bad-count.folded '^scorch: bad-count\.folded:3: the count at the end is not a whole number'
bad "folded no count" no-count.folded '^scorch: no-count\.folded:4: not a folded stack'
bad "unknown format" unknown.txt '^scorch: unknown\.txt:1: cannot tell the format'
bad "forced perf on folded" small.folded '^scorch: small\.folded:1: not a perf script sample header' --format=perf
bad "missing event" cpu-split.perf "no samples of event 'cycles' \(the input has: cpu-clock\)" --event=cycles
imp empty-stdin - </dev/null
check "empty stdin: exit 1" "$rc" 1
check_match "empty stdin: message" "$err" '^scorch: <stdin>: empty input'
imp nofile does-not-exist.perf
check "missing file: exit 1" "$rc" 1
check_match "missing file: message" "$err" 'cannot read does-not-exist\.perf: No such file'
imp usage --format=pprof x
check "unknown format option: exit 2" "$rc" 2
imp scorchfile cpu-split.scorch -o again.scorch
check_match "a profile is not input" "$err" 'is a scorch profile already'

# --- perf itself: record cpu-split and compare with perf report ---
perf_ok=0
if command -v perf >/dev/null 2>&1 &&
	perf record -e cpu-clock -F 999 -g -o probe.data -- true >/dev/null 2>&1; then
	perf_ok=1
fi
if [ $perf_ok -eq 1 ]; then
	perf record -e cpu-clock -F 999 -g -o split.data -- "$PROGS/cpu-split" 3000 >/dev/null 2>perf.err
	check "perf record exits 0" "$?" 0
	perf script -i split.data >split.perf 2>/dev/null
	perf report -i split.data --stdio --no-children --sort sym -g none --percent-limit 0 -n \
		2>/dev/null | awk '/^ +[0-9.]+%/ { pct = $1; sub(/%/, "", pct); n = $2; $1 = $2 = $3 = "";
			sub(/^ +/, ""); print pct "\t" n "\t" $0 }' >perf-top.tsv
	perf_total=$(awk -F'\t' '{ s += $2 } END { print s + 0 }' perf-top.tsv)
	check "perf script -F tid agrees with perf report" "$(perf script -i split.data -F tid 2>/dev/null | wc -l)" "$perf_total"
	imp split split.perf
	check "perf: import exits 0" "$rc" 0
	json split.scorch
	J=split.scorch.json
	total=$(q $J '.profiles[0].cpu.totals.all_samples')
	check "perf: sample count = perf's" "$total" "$perf_total"
	check_ge "perf: a real run" "$total" 2500
	# self share per function name (perf's sym sort does not split by dso)
	jq -r '.profiles[0].cpu as $c | [$c.functions[] | select(.self > 0)] | group_by(.function)
		| map({f: .[0].function, n: (map(.self) | add)}) | sort_by(-.n, .f)[]
		| "\(.n * 100 / $c.totals.samples)\t\(.n)\t\(.f)"' $J >scorch-top.tsv
	check "perf: top 3 in perf's order" "$(head -3 scorch-top.tsv | cut -f3 | paste -sd,)" \
		"$(head -3 perf-top.tsv | cut -f3 | paste -sd,)"
	check "perf: top 3 are the workers" "$(head -3 perf-top.tsv | cut -f3 | paste -sd,)" "work_a,work_b,work_c"
	# every function perf names: self share within 0.5 point of perf's
	while IFS=$'\t' read -r pct n sym; do
		case $sym in 0x*) continue ;; esac
		mine=$(awk -F'\t' -v f="$sym" '$3 == f { print $1 }' scorch-top.tsv)
		ok=$(awk -v a="$pct" -v b="${mine:-999}" 'BEGIN { d = a - b; if (d < 0) d = -d; print (d <= 0.5) ? "yes" : "no" }')
		check "perf: $sym $pct% vs scorch $(printf '%.2f' "${mine:-0}")%: within 0.5" "$ok" yes
		# and the very same sample count
		check "perf: $sym samples" "$(awk -F'\t' -v f="$sym" '$3 == f { print $2 }' scorch-top.tsv)" "$n"
	done < <(head -10 perf-top.tsv)
	"$SCORCH" report split.scorch >split.txt 2>&1
	check "perf: text report exits 0" "$?" 0

	# --call-graph dwarf: perf unwinds, prints "(inlined)" frames too
	perf record -e cpu-clock -F 999 --call-graph dwarf -o dwarf.data -- "$PROGS/cpu-split" 300 >/dev/null 2>&1
	perf script -i dwarf.data >dwarf.perf 2>/dev/null
	imp dwarf dwarf.perf
	check "dwarf: import exits 0" "$rc" 0
	json dwarf.scorch
	check "dwarf: sample count = perf's" "$(q dwarf.scorch.json '.profiles[0].cpu.totals.all_samples')" \
		"$(perf script -i dwarf.data -F tid 2>/dev/null | wc -l)"
	check "dwarf: work_a on top" "$(q dwarf.scorch.json '.profiles[0].cpu.functions[0].function')" work_a
	check "dwarf: main on the stacks" "$(q dwarf.scorch.json '[.profiles[0].cpu.functions[] | select(.function == "main") | .total] | add // 0' | awk -v t="$(q dwarf.scorch.json '.profiles[0].cpu.totals.samples')" '{ print ($1 >= t * 0.9) ? "yes" : "no" }')" yes

	# threads: a thread per tid named by its comm, perf report --sort comm's counts
	perf record -e cpu-clock -F 999 -g -o threads.data -- "$PROGS/cpu-threads" 600 >/dev/null 2>&1
	perf script -i threads.data >threads.perf 2>/dev/null
	imp threads threads.perf
	json threads.scorch
	# per tid: perf report --sort comm would split a thread's samples taken
	# before it renamed itself under its old comm, where scorch names a
	# thread by its last comm
	perf script -i threads.data -F tid 2>/dev/null | awk '{ n[$1]++ } END { for (t in n) print t, n[t] }' |
		sort >perf-threads.txt
	q threads.scorch.json '.profiles[0].cpu.threads[] | "\(.tid) \(.samples)"' | sort >scorch-threads.txt
	check "threads: per-thread samples = perf's per tid" "$(diff perf-threads.txt scorch-threads.txt && echo same)" same
	q threads.scorch.json '.profiles[0].cpu.threads[] | "\(.name) \(.samples)"' | sort >scorch-threads.txt
	# the main thread only starts and joins them: it may catch a sample or not
	check "threads: heavy and light" "$(cut -d' ' -f1 scorch-threads.txt | grep -xE 'heavy|light' | paste -sd,)" "heavy,light"
	check "threads: exe found" "$(q threads.scorch.json '.profiles[0].program.exe')" "$PROGS/cpu-threads"

	# the binaries at hand complete an import: lines and code for annotate,
	# from a copy of cpu-annotate deleted once imported
	mkdir -p ann && cp "$PROGS/cpu-annotate" ann/prog
	perf record -e cpu-clock -F 999 -g -o ann.data -- ann/prog 2000 >/dev/null 2>&1
	perf script -i ann.data >ann.perf 2>/dev/null
	imp ann ann.perf
	check_match "annotate: modules placed" "$err" '[1-9] of [0-9]+ modules read here: their frames have lines and the hottest functions'"'"' code is kept'
	rm -rf ann
	"$SCORCH" annotate --json ann.scorch two_lines >ann.json
	check "annotate: exit" "$?" 0
	src="$ROOT/tests/progs/cpu-annotate.c"
	la=$(grep -n 'LINE_A \*/' "$src" | cut -d: -f1)
	lb=$(grep -n 'LINE_B \*/' "$src" | cut -d: -f1)
	a=$(jq --argjson l "$la" '[.functions[0].source[] | select(.line == $l) | .self.samples] | add // 0' ann.json)
	b=$(jq --argjson l "$lb" '[.functions[0].source[] | select(.line == $l) | .self.samples] | add // 0' ann.json)
	within "annotate: LINE_A's share of the two lines, from perf's samples (per mille)" "$(( a * 1000 / (a + b > 0 ? a + b : 1) ))" 750 30
	check "annotate: the lines' self samples add up to the function's" \
		"$(jq '[.functions[0].source[].self.samples] | add' ann.json)" "$(jq '.functions[0].self.samples' ann.json)"
	jq -r '.functions[0].assembly.instructions[] | "\(.addr) \(.bytes)"' ann.json |
		while read -r addr bytes; do printf '%x %s\n' "$addr" "$bytes"; done >ann-ours.txt
	objdump -d -w "$PROGS/cpu-annotate" | awk '/<two_lines>:$/ { on = 1; next } on && /^$/ { exit } on' |
		awk -F'\t' '{ a = $1; gsub(/[ :]/, "", a); b = $2; gsub(/ /, "", b); print a " " b }' |
		head -n "$(wc -l <ann-ours.txt)" >ann-objdump.txt
	check_ge "annotate: instructions" "$(wc -l <ann-ours.txt)" 20
	check "annotate: the instructions are objdump's" "$(diff ann-ours.txt ann-objdump.txt >/dev/null && echo same)" same
	# the caller's frames are lookup addresses: main's call instruction
	# carries every sample through two_lines. perf's frame-pointer chains
	# skip two_lines when the leaf is a function without a frame (the
	# vDSO's clock_gettime it calls: then main's call carries a sample
	# two_lines does not, 2002 for 2001 once), so a few more, never fewer
	"$SCORCH" annotate --json ann.scorch main >ann-main.json
	carried=$(jq '[.functions[0].assembly.instructions[] | select(.target == "two_lines") | .total.samples] | add // 0' ann-main.json)
	through=$(jq '.functions[0].total.samples' ann.json)
	check_ge "annotate: main's call of two_lines carries its samples" "$carried" "${through:-1}"
	check_ge "annotate: ... and at most 0.5% more (leaves perf's chain skips through)" "$(( ${through:-0} + ${through:-0} / 200 + 1 ))" "$carried"
	# a different binary at the recorded path is not taken for the one that ran
	mkdir -p ann && cp "$PROGS/cpu-annotate" ann/prog
	perf record -e cpu-clock -F 999 -g -o ann2.data -- ann/prog 300 >/dev/null 2>&1
	perf script -i ann2.data >ann2.perf 2>/dev/null
	cp "$PROGS/cpu-split" ann/prog
	imp ann2 ann2.perf
	"$SCORCH" annotate --json ann2.scorch two_lines >ann2.json
	check "annotate: another binary at the path: not read (no line for two_lines)" "$(jq -r '.functions[0].file' ann2.json)" null
	check_match "annotate: another binary at the path: nor its code" "$(jq -r '.functions[0].assembly_missing' ann2.json)" '^the profile keeps'
	sed 's/^/    /' ann2.err
	# --no-code
	imp ann3 --no-code -o ann3.scorch ann.perf
	check "import --no-code: exit" "$rc" 0
	check_match "import --no-code: no code kept" "$("$SCORCH" annotate --asm ann3.scorch two_lines)" 'no assembly: the profile keeps no code'
fi

if [ $perf_ok -eq 0 ] && [ "$failures" -eq 0 ]; then
	echo "SKIP: perf cannot record here; the comparisons with perf did not run"
	exit 77
fi
finish
