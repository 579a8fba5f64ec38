# `scorch export --format=dhat|massif`, proven by valgrind's own clients:
# dh_view.html (in headless Chromium) shows the known totals of the test
# programs, ms_print renders the massif file with the known peak and its
# holder; and both files agree with valgrind's DHAT and massif run on the
# same programs. Truth: tests/progs/EXPECTED.md.
. "$ROOT/tests/e2e/lib.sh"
command -v valgrind >/dev/null || { echo "SKIP: valgrind not installed"; exit 77; }
command -v ms_print >/dev/null || { echo "SKIP: ms_print not installed"; exit 77; }
VIEWER=/usr/libexec/valgrind/dh_view.html
[ -f "$VIEWER" ] || { echo "SKIP: $VIEWER missing"; exit 77; }
bash "$ROOT/tests/browser/setup.sh" || exit 1

# sums of a DHAT file's program points: tb tbk gb gbk eb ebk
dhat_sums() {
	jq -r '[([.pps[].tb]|add), ([.pps[].tbk]|add), ([.pps[].gb]|add), ([.pps[].gbk]|add),
	        ([.pps[].eb]|add), ([.pps[].ebk]|add)] | map(. // 0) | join(" ")' "$1"
}
# blocks of the program points whose frames name function $2 (as "FUNC (")
dhat_site() {
	jq -r --arg f ": $2 (" '. as $d | [.pps[] | select(any(.fs[]; $d.ftbl[.] | contains($f))) | .'"${3:-tbk}"'] | add // 0' "$1"
}
# the peak snapshot's mem_heap_B in a massif file
massif_peak() { awk -F= '/^mem_heap_B=/ { b = $2 } /^heap_tree=peak/ { print b }' "$1"; }

VG_OPTS="--run-libc-freeres=no --run-cxx-freeres=no"   # leave exit state as it is, like scorch
# prog  bytes blocks  peak_bytes peak_blocks  leaked_bytes leaked_blocks
# fewest_snapshots  site:blocks:bytes...
while read -r prog bytes blocks pb pbk lb lbk minsnap sites; do
	heap "$prog" "$PROGS/$prog"
	check "$prog: scorch status" "$rc" 0
	json "$WORK/$prog.scorch"
	check "$prog: scorch peak (report --json)" "$(q "$WORK/$prog.scorch.json" .profiles[0].totals.peak_bytes)" "$pb"

	# --- DHAT ---
	"$SCORCH" export --format=dhat -o "$prog.dhat.json" "$prog.scorch" 2>"$prog.dhat.err"
	check "$prog: export dhat status" "$?" 0
	check "$prog: dhat file version, mode, access counts" \
		"$(jq -r '[.dhatFileVersion, .mode, .bklt, .bkacc, .tu, .Mtu, .ftbl[0]] | join(" ")' "$prog.dhat.json")" \
		"2 heap true false µs s [root]"
	check "$prog: dhat sums tb tbk gb gbk eb ebk" "$(dhat_sums "$prog.dhat.json")" "$bytes $blocks $pb $pbk $lb $lbk"
	check "$prog: dhat frame lists unique" \
		"$(jq '[.pps[].fs | tostring] | (length == (unique | length))' "$prog.dhat.json")" true
	check "$prog: dhat frame indexes in ftbl" \
		"$(jq '(.ftbl | length) as $n | all(.pps[].fs[]; . >= 1 and . < $n)' "$prog.dhat.json")" true
	check "$prog: dhat t-gmax = scorch peak time" \
		"$(jq -r '.tg * 1000 | round' "$prog.dhat.json")" "$(q "$WORK/$prog.scorch.json" .profiles[0].totals.peak_time_ns)"

	valgrind --tool=dhat $VG_OPTS --dhat-out-file="$WORK/$prog.vg-dhat.json" "$PROGS/$prog" >/dev/null 2>"$prog.vg-dhat.err"
	check "$prog: valgrind dhat status" "$?" 0
	check "$prog: same sums as valgrind's DHAT" "$(dhat_sums "$prog.dhat.json")" "$(dhat_sums "$prog.vg-dhat.json")"
	for spec in $sites; do
		IFS=: read -r s sbk sb <<<"$spec"
		check "$prog: $s blocks, bytes" "$(dhat_site "$prog.dhat.json" "$s") $(dhat_site "$prog.dhat.json" "$s" tb)" "$sbk $sb"
		check "$prog: $s blocks, bytes as valgrind's DHAT" \
			"$(dhat_site "$prog.dhat.json" "$s") $(dhat_site "$prog.dhat.json" "$s" tb)" \
			"$(dhat_site "$prog.vg-dhat.json" "$s") $(dhat_site "$prog.vg-dhat.json" "$s" tb)"
	done

	# --- massif ---
	"$SCORCH" export --format=massif -o "$prog.massif" "$prog.scorch" 2>"$prog.massif.err"
	check "$prog: export massif status" "$?" 0
	check "$prog: massif header" "$(head -3 "$prog.massif" | cut -d' ' -f1 | tr '\n' ' ')" "desc: cmd: time_unit: "
	check "$prog: massif time unit" "$(sed -n 3p "$prog.massif")" "time_unit: ms"
	n=$(grep -c '^snapshot=' "$prog.massif")
	check "$prog: $minsnap to 100 snapshots" "$((n >= minsnap && n <= 100))" 1
	check "$prog: snapshots numbered 0..n-1" "$(grep '^snapshot=' "$prog.massif" | cut -d= -f2 | tr '\n' ' ')" "$(seq -s' ' 0 $((n - 1))) "
	check "$prog: times never go back" "$(awk -F= '/^time=/ { if ($2 + 0 < t) bad = 1; t = $2 + 0 } END { print bad + 0 }' "$prog.massif")" 0
	check "$prog: one peak snapshot" "$(grep -c '^heap_tree=peak' "$prog.massif")" 1
	check "$prog: massif peak" "$(massif_peak "$prog.massif")" "$pb"
	check "$prog: massif last snapshot = leaked" "$(awk -F= '/^mem_heap_B=/ { b = $2 } END { print b }' "$prog.massif")" "$lb"

	ms_print "$prog.massif" >"$prog.ms_print" 2>"$prog.ms_print.err"
	check "$prog: ms_print status" "$?" 0
	check "$prog: ms_print stderr empty" "$(cat "$prog.ms_print.err")" ""
	peaknum=$(sed -n 's/.*[[ ]\([0-9]*\) (peak).*/\1/p' "$prog.ms_print")
	check_match "$prog: ms_print names a peak snapshot" "$peaknum" '^[0-9]+$'
	# the snapshot table row of the peak: "  N   time   total  useful  extra  stacks"
	row=$(awk -v n="$peaknum" '$1 == n && NF == 6 { print $3 " " $4; exit }' "$prog.ms_print")
	pbc=$(sed ':a; s/\B[0-9]\{3\}\>/,&/; ta' <<<"$pb")   # as ms_print writes it: 10,485,760
	check "$prog: ms_print peak row total and useful heap" "$row" "$pbc $pbc"

	valgrind --tool=massif $VG_OPTS --massif-out-file="$WORK/$prog.vg.massif" "$PROGS/$prog" >/dev/null 2>"$prog.vg-massif.err"
	check "$prog: valgrind massif status" "$?" 0
	check "$prog: peak as valgrind's massif" "$(massif_peak "$prog.massif")" "$(massif_peak "$prog.vg.massif")"
done <<'EOF'
alloc-counts 16800 1008 16000 1000 700 7 50 site_thousand:1000:16000 site_leak:7:700 site_calloc:1:100
peak 10549760 1010 10485760 10 0 0 50 hold_big:10:10485760 small_churn:1000:64000
cxx-new 81696 27 78848 3 72736 2 20 site_new_scalar():10:400 site_new_array():3:300 site_new_cookie():1:72 site_leak_new():1:32
EOF

# the peak snapshot's tree in ms_print: all of it held by hold_big, as in valgrind's
peaknum=$(sed -n 's/.*[[ ]\([0-9]*\) (peak).*/\1/p' peak.ms_print)
tree=$(awk -v n="$peaknum" '$1 == n && NF == 6 { p = 1 } p && /^->/ { print; exit }' peak.ms_print)
check_match "peak: ms_print peak tree holder" "$tree" '^->100\.00% \(10,485,760B\) 0x[0-9A-F]+: hold_big \(.*peak\.c:[0-9]+\)$'
vgtree=$(awk '/^heap_tree=peak/ { p = 1; next } p { print; if (++k == 2) exit }' peak.vg.massif | tail -1)
check_match "peak: valgrind's peak tree holder" "$vgtree" '^ n[0-9]+: 10485760 0x[0-9A-F]+: hold_big '
ours=$(awk '/^heap_tree=peak/ { p = 1; next } p { print; if (++k == 2) exit }' peak.massif | tail -1)
check_match "peak: our peak tree holder, massif syntax" "$ours" '^ n1: 10485760 0x[0-9A-F]+: hold_big \(.*peak\.c:[0-9]+\)$'
check "peak: our tree stops at main like massif's" \
	"$(awk '/^heap_tree=peak/ { p = 1; next } p { print; if (++k == 3) exit }' peak.massif | tail -1 | sed 's/ 0x[0-9A-F]*:/ ADDR:/; s/(.*peak\.c:/(peak.c:/')" \
	"$(awk '/^heap_tree=peak/ { p = 1; next } p { print; if (++k == 3) exit }' peak.vg.massif | tail -1 | sed 's/ 0x[0-9A-F]*:/ ADDR:/')"
# below 1%: cxx-new ends with the 72704 B libstdc++ pool and a 32 B leak
# (in each detailed snapshot taken after the leak: one or more, as the
# run's timing spaces them)
check_ge "cxx-new: the 32 B leak merged below the threshold" \
	"$(grep -c "^ n0: 32 in 1 place, below massif's threshold (1.00%)$" cxx-new.massif)" 1
check "cxx-new: never a node of its own" "$(grep -cE '^ +n[0-9]+: 32 0x' cxx-new.massif)" 0
check_match "cxx-new: ms_print shows the merged entry" "$(cat cxx-new.ms_print)" "\(32B\) in 1\+ places, all below ms_print's threshold"
# DHAT's "Max" is each point's own maximum: site_leak held its 700 B at the end
check "alloc-counts: site_leak own max" "$(dhat_site alloc-counts.dhat.json site_leak mb) $(dhat_site alloc-counts.dhat.json site_leak mbk)" "700 7"
check "alloc-counts: site_thousand t-gmax" "$(dhat_site alloc-counts.dhat.json site_thousand gb) $(dhat_site alloc-counts.dhat.json site_thousand gbk)" "16000 1000"

# --- DHAT in valgrind's viewer ---
for spec in "alloc-counts 16800 1008 16000 1000 700 7 site_thousand site_leak" \
	    "peak 10549760 1010 10485760 10 0 0 hold_big"; do
	set -- $spec
	prog=$1
	sites=()
	for s in "${@:8}"; do sites+=("site=$s"); done
	( cd "$ROOT/tests/browser" && node dhat-check.mjs "$WORK/$prog.dhat.json" "$WORK/dh_view-$prog.png" \
		bytes=$2 blocks=$3 gmax-bytes=$4 gmax-blocks=$5 end-bytes=$6 end-blocks=$7 "${sites[@]}" ) \
		>"$prog.browser.log" 2>&1
	r=$?
	sed 's/^/    /' "$prog.browser.log"
	check "$prog: dh_view.html shows the DHAT export (see $prog.browser.log)" "$r" 0
done
[ -s "$WORK/dh_view-alloc-counts.png" ] || fail "no screenshot saved"

# --- filter and bad input ---
"$SCORCH" export --format=dhat --filter=site_leak -o leak.dhat.json alloc-counts.scorch
check "filtered dhat: only site_leak" "$(dhat_sums leak.dhat.json)" "700 7 0 0 700 7"
"$SCORCH" export --format=massif --filter=site_leak -o leak.massif alloc-counts.scorch
check "filtered massif: peak is site_leak's 700 B" "$(massif_peak leak.massif)" 700
"$SCORCH" record -o cpu.scorch -- "$PROGS/cpu-short" >/dev/null 2>&1
for f in dhat massif; do
	"$SCORCH" export --format=$f -o cpu.$f cpu.scorch 2>cpu.$f.err
	r=$?
	check "$f of a CPU-only profile fails" "$r" 1
	check_match "$f of a CPU-only profile: message" "$(cat cpu.$f.err)" 'has no heap events'
	check "$f of a CPU-only profile: no file left" "$([ -e cpu.$f ] && echo yes || echo no)" no
done
finish
