# Traced calls left by siglongjmp out of a traced SIGSEGV handler
# (tests/progs/calls-siglongjmp: 100 rounds of poke -> SIGSEGV -> segv ->
# spin, siglongjmp back to main, then work), with the handler on the
# program's stack, on an alternate signal stack below it (malloc'd) and on
# one in main's frame (above the interrupted poke's frame, so that the
# handler's frame addresses say nothing of its nesting): exact counts (poke,
# segv, spin, work 100, main 1; poke and segv all unwound, nothing
# unfinished), main's total covers the loop the program timed itself (at
# least 90% of it: each SIGSEGV makes scorch flush, and before the fix every
# zone chunk after the second flush was stamped with a time from the first,
# so main's total was about 60-90 us of a millisecond-long loop), every
# function's self time within its total, and the nesting exact: each span's
# parent in the Chrome trace is where it ran (segv inside poke, spin inside
# segv, work inside main, not inside the poke it followed), and each self
# time is the total less the totals of the spans directly inside. A
# longjmp back into a recursion (recjmp) unwinds only the calls it left. Then 4
# threads tracing calls, one of which ends the process by exit(): every
# thread in the zones threads table with its spans.
. "$ROOT/tests/e2e/lib.sh"
opt_builds   # the -O2 build, then the -O0 one
P=$PROGS/calls-siglongjmp
zf() { jq -r --arg n "$2" "[.profiles[0].zones.zones[] | select(.name == \$n) | .$3] | add // 0" "$1"; }
zt() { jq -r ".profiles[0].zones.totals.$2" "$1"; }

for mode in same alt altmain; do
	arg=; [ "$mode" = same ] || arg=$mode
	alone=$("$P" $arg); r=$?
	check "$mode alone: exit" "$r" 0
	check_match "$mode alone: output" "$alone" '^rounds 100 loop_ns [0-9]+$'
	"$SCORCH" record --calls -o "$mode.scorch" -- "$P" $arg >"$mode.out" 2>"$mode.err"
	r=$?
	echo "--- scorch record --calls $P $arg (exit $r)"; sed 's/^/    /' "$mode.err"
	check "$mode: exit" "$r" 0
	check_match "$mode: output" "$(cat "$mode.out")" '^rounds 100 loop_ns [0-9]+$'
	loop=$(sed -n 's/^rounds 100 loop_ns \([0-9]*\)$/\1/p' "$mode.out")
	"$SCORCH" report --zones --json --limit=0 "$mode.scorch" >"$mode.json" || fail "$mode: report --zones --json"
	for z in main:1:0 poke:100:100 segv:100:100 spin:100:0 work:100:0 now_ns:2:0; do
		IFS=: read -r n c u <<<"$z"
		check "$mode: $n calls, unwound" "$(zf "$mode.json" "$n" calls),$(zf "$mode.json" "$n" unwound)" "$c,$u"
	done
	check "$mode: nothing unfinished" "$(zt "$mode.json" unfinished)" 0
	check "$mode: every span a call" "$(zt "$mode.json" spans)" 403
	tot() { zf "$mode.json" "$1" total_ns; }
	check_ge "$mode: main's total covers 90% of the loop's $loop ns" "$(tot main)" $(( loop * 9 / 10 ))
	check_ge "$mode: main's total within the run's" "$(( loop + 200000000 ))" "$(tot main)"
	for n in main poke segv spin work now_ns; do
		check_ge "$mode: $n's self within its total" "$(tot "$n")" "$(zf "$mode.json" "$n" self_ns)"
	done
	# self = total less the spans directly inside: where each one ran
	check "$mode: main's self = total - poke, work, now_ns" "$(zf "$mode.json" main self_ns)" \
		"$(( $(tot main) - $(tot poke) - $(tot work) - $(tot now_ns) ))"
	check "$mode: poke's self = total - segv" "$(zf "$mode.json" poke self_ns)" "$(( $(tot poke) - $(tot segv) ))"
	check "$mode: segv's self = total - spin" "$(zf "$mode.json" segv self_ns)" "$(( $(tot segv) - $(tot spin) ))"
	"$SCORCH" export --format chrome -o "$mode.trace.json" "$mode.scorch" || fail "$mode: export chrome"
	# each call's parent on the calls' track, B and E replayed in order
	# (tracks by tid: overlapping spans would go to a track of their own)
	got=$(jq -r '[.traceEvents[] | select(.cat == "scorch.call")] | group_by(.tid)[] |
		reduce .[] as $e ({s: [], l: []};
			if $e.ph == "B" then .l += [$e.name + "<" + (.s[-1] // "-")] | .s += [$e.name]
			elif .s[-1] == $e.name then .s |= .[:-1] else .l += ["unbalanced"] end) | .l[]' \
		"$mode.trace.json" | sort | uniq -c | awk '{ print $2 ":" $1 }' | paste -sd' ')
	check "$mode: chrome trace: each call's parent" "$got" \
		"main<-:1 now_ns<main:2 poke<main:100 segv<poke:100 spin<segv:100 work<main:100"
done

# a plain longjmp back into a recursion: the frame it lands in calls from
# the call instruction its parent was called from (no live call is taken
# for one the jump left)
out=$("$SCORCH" record --calls -o rj.scorch -- "$P" recjmp 2>rj.err); r=$?
echo "--- scorch record --calls $P recjmp (exit $r)"; sed 's/^/    /' rj.err
check "recjmp: exit, output" "$r,$out" "0,rec done"
"$SCORCH" report --zones --json --limit=0 rj.scorch >rj.json || fail "recjmp: report --zones --json"
for z in main:1:0 rec:9:3 leaf:2:1; do
	IFS=: read -r n c u <<<"$z"
	check "recjmp: $n calls, unwound" "$(zf rj.json "$n" calls),$(zf rj.json "$n" unwound)" "$c,$u"
done
check "recjmp: nothing unfinished" "$(zt rj.json unfinished)" 0

# 4 threads tracing calls; one ends the process by exit() while main waits
out=$("$SCORCH" record --calls -o th.scorch -- "$P" threads 2>th.err); r=$?
echo "--- scorch record --calls $P threads (exit $r)"; sed 's/^/    /' th.err
check "threads: exit" "$r" 0
check "threads: output" "$out" "rounds 200"
"$SCORCH" report --zones --json --limit=0 th.scorch >th.json || fail "threads: report --zones --json"
check "threads: work calls" "$(zf th.json work calls)" 200
check "threads: worker calls" "$(zf th.json worker calls)" 4
check "threads: the zones threads table, spans each" \
	"$(jq -r '[.profiles[0].zones.threads[].spans] | sort | join(",")' th.json)" "2,51,51,51,51"
check_match "threads: the text report's table" "$("$SCORCH" report --zones th.scorch | sed -n '/^Threads/,$p' | grep -c ' 51 ')" '^4$'
finish
