# Sampled heap profiling (scorch heap --sample): the same deterministic
# program (tests/progs/heap-sample.c: 5 sites of known sizes and counts)
# recorded exactly and at one sample per 4 KiB on average, where every site
# expects at least 7,000 samples. The estimates must come within 5% of the
# exact figures per site (sampling theory: 1.2% standard error at 7,000
# samples), frees of sampled blocks must be matched (no leak where every
# block was freed, the leak site's leak estimated), and every output must
# say that its figures are estimated and at what rate.
. "$ROOT/tests/e2e/lib.sh"
RATE=4096

# pct A B: |A - B| / B in percent, 2 decimals
pct() { awk -v a="$1" -v b="$2" 'BEGIN { d = a - b; if (d < 0) d = -d; printf "%.2f", b ? 100 * d / b : 100 }'; }
# under5 DESC A B: A within 5% of B
under5() {
	local p
	p=$(pct "$2" "$3")
	if awk -v p="$p" 'BEGIN { exit !(p <= 5) }'; then echo "ok: $1 = $2, exact $3 ($p% off)"
	else fail "$1: $2 is $p% off the exact $3 (at most 5%)"; fi
}

heap exact "$PROGS/heap-sample"
check "exact: exit status" "$rc" 0
json exact.scorch
E=exact.scorch.json
check "exact: site_small allocations" "$(site $E site_small allocations)" 2000000
check "exact: site_big bytes" "$(site $E site_big bytes)" 786432000
check "exact: leaked bytes" "$(q $E '.profiles[0].totals.leaked_bytes')" 30720000
check "exact: not estimated" "$(q $E '.profiles[0].program.heap_estimated')" false
check "exact: format version" "$(q $E '.profiles[0].program.format_version')" 2

set +e
"$SCORCH" heap --sample=4K -o "$WORK/s.scorch" -- "$PROGS/heap-sample" >s.out 2>s.err
rc=$?
set -e 2>/dev/null; set +e
echo "--- scorch heap --sample=4K (exit $rc)"; sed 's/^/    /' s.err
check "sampled: exit status" "$rc" 0
check_match "sampled: summary says so" "$(cat s.err)" 'sampled: one allocation per 4.00 KiB on average; the figures below are estimated'
json s.scorch
S=s.scorch.json
check "sampled: estimated" "$(q $S '.profiles[0].program.heap_estimated')" true
check "sampled: rate" "$(q $S '.profiles[0].program.heap_sample_bytes')" $RATE
check "sampled: format version" "$(q $S '.profiles[0].program.format_version')" 3
check "sampled: header version" "$(od -An -tu4 -j8 -N4 s.scorch | tr -d ' ')" 3

# each checked site, with its size: expected samples n (1 - e^(-size/rate))
for fs in site_small:16 site_medium:1000 site_page:4096 site_big:65536 site_leak:512; do
	f=${fs%%:*} size=${fs##*:}
	n=$(site $E "$f" allocations)
	exp=$(awk -v n="$n" -v s="$size" -v r=$RATE 'BEGIN { printf "%d", n * (1 - exp(-s / r)) }')
	check_ge "$f: expected samples" "$exp" 2000
	under5 "$f: estimated bytes" "$(site $S "$f" bytes)" "$(site $E "$f" bytes)"
	under5 "$f: estimated allocations" "$(site $S "$f" allocations)" "$n"
done
# the weights matter: the samples are a small part of the events, so
# unweighted counts would be more than 10x too low (and a weight of
# rate/size instead of 1/(1-e^(-size/rate)) would put site_big's bytes 16x
# and site_page's 37% too low, which the 5% checks above refuse)
events=$(q $S '.profiles[0].program.heap_sampled_events')
exact_events=$(q $E '.profiles[0].totals.calls')
check_ge "sampled events recorded" "$events" 1000
if [ "$events" -gt 0 ] && [ $((exact_events / events)) -ge 10 ]; then
	echo "ok: $events sampled events stand for $exact_events calls"
else
	fail "sampled events: $events of $exact_events calls; expected at most a tenth"
fi
# frees of sampled blocks are matched: what was freed is not leaked
for f in site_small site_medium site_page site_big; do
	check "$f: leaked (every block freed)" "$(site $S "$f" leaked_bytes)" 0
done
under5 "leaked bytes (in use at exit)" "$(q $S '.profiles[0].totals.leaked_bytes')" 30720000
under5 "leaked blocks" "$(q $S '.profiles[0].totals.leaked_blocks')" 60000
under5 "peak bytes" "$(q $S '.profiles[0].totals.peak_bytes')" "$(q $E '.profiles[0].totals.peak_bytes')"
under5 "allocations" "$(q $S '.profiles[0].totals.allocations')" "$(q $E '.profiles[0].totals.allocations')"

# every view says the figures are estimated, and the rate
EST='estimated from sampled allocations, one per 4.00 KiB allocated on average'
"$SCORCH" report s.scorch >s.txt 2>&1 || fail "report exited $?"
check_match "report: header" "$(cat s.txt)" "sampled +$EST"
check_match "report: summary" "$(cat s.txt)" 'Summary \(estimated\)'
"$SCORCH" flame -o s.svg s.scorch >/dev/null 2>&1 || fail "flame exited $?"
check_match "flame: subtitle" "$(cat s.svg)" "$EST"
"$SCORCH" html -o s.html s.scorch >/dev/null 2>&1 || fail "html exited $?"
check_match "html: meta" "$(cat s.html)" "\"heapEstimated\":\"$EST\""
"$SCORCH" export --format=dhat -o s.dhat.json s.scorch || fail "export dhat exited $?"
check_match "dhat: cmd" "$(q s.dhat.json .cmd)" "\\[scorch: $EST; every figure is estimated\\]"
"$SCORCH" export --format=massif -o s.massif s.scorch || fail "export massif exited $?"
check_match "massif: desc" "$(head -n 1 s.massif)" "^desc: .*$EST"
"$SCORCH" export --format=pprof -o s.pb.gz s.scorch || fail "export pprof exited $?"
check_match "pprof: comment" "$(zcat s.pb.gz | tr -c '[:print:]' '\n')" "$EST: every heap value is estimated"
"$SCORCH" export --format=folded -o s.folded s.scorch 2>s.folded.err || fail "export folded exited $?"
check_match "folded: note" "$(cat s.folded.err)" "the weights are $EST"

# --sample alone is 512 KiB; bad values are refused
"$SCORCH" heap --sample -o "$WORK/d.scorch" -- "$PROGS/alloc-counts" >/dev/null 2>&1
check "--sample: exit status" "$?" 0
json d.scorch
check "--sample: 512 KiB" "$(q d.scorch.json '.profiles[0].program.heap_sample_bytes')" 524288
"$SCORCH" heap --sample=1M -o "$WORK/m.scorch" -- "$PROGS/alloc-counts" >/dev/null 2>&1
json m.scorch
check "--sample=1M" "$(q m.scorch.json '.profiles[0].program.heap_sample_bytes')" 1048576
for bad in 0 abc 4X -5 2T; do
	"$SCORCH" heap --sample="$bad" -- "$PROGS/alloc-counts" >bad.out 2>bad.err
	st=$?
	if [ "$st" -ne 0 ] && grep -q -- "--sample takes a number of bytes" bad.err; then
		echo "ok: --sample=$bad refused (exit $st)"
	else
		fail "--sample=$bad: exit $st, stderr '$(cat bad.err)'"
	fi
done
finish
