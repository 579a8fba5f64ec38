# Automatic tracing: a program built with -finstrument-functions and linked
# with -lscorch runs normally alone and, under `scorch record --calls`, shows
# every call with its exact count (fib(20): 21891 calls); the filters
# (--calls-filter, --calls-exclude, --calls-depth, --calls-min) keep counts
# exact; longjmp, C++ exceptions, threads and signal handlers (on the same
# and on an alternate stack) leave no call open. At -O2 and -O3 too: a
# static inline helper inlined into its caller (its hooks run in the
# caller's frame) nests inside it, with exact counts and times, and nothing
# is taken for unwound (the programs run as built at -O2, then at -O0).
. "$ROOT/tests/e2e/lib.sh"
opt_builds
crec() { # name prog [scorch options...] : scorch record OPTS -o name.scorch -- prog
	local name=$1 prog=$2
	shift 2
	"$SCORCH" record "$@" -o "$WORK/$name.scorch" -- "$prog" >"$WORK/$name.out" 2>"$WORK/$name.err"
	rc=$?
	echo "--- scorch record $* $prog (exit $rc)"; sed 's/^/    /' "$WORK/$name.err"
	"$SCORCH" report --zones --json --limit=0 "$WORK/$name.scorch" >"$WORK/$name.json" 2>/dev/null ||
		fail "report --zones --json $name exited $?"
}
zf() { jq -r --arg n "$2" "[.profiles[0].zones.zones[] | select(.name == \$n) | .$3] | add // 0" "$1"; }
zt() { jq -r ".profiles[0].zones.totals.$2" "$1"; }
names() { jq -r '[.profiles[0].zones.zones[].name] | sort | join(",")' "$1"; }

F=$PROGS/calls-fib
alone=$("$F"); r=$?
check "alone: exit" "$r" 0
check "alone: output" "$alone" "fib(20)=6765 tfib=55,55"

crec all "$F" --calls
check "exit" "$rc" 0
check "same output" "$(cat all.out)" "$alone"
for z in main:1 fib:21891 thread_main:2 tfib:354 slow:2 make_blocks:1; do
	check "calls of ${z%%:*}" "$(zf all.json "${z%%:*}" calls)" "${z#*:}"
done
check "every span is a call" "$(zt all.json spans)" 22251
check "kind" "$(zf all.json fib kind)" function
check "make_blocks: allocations" "$(zf all.json make_blocks allocs)" 10
check "make_blocks: bytes" "$(zf all.json make_blocks bytes)" 1000
check_ge "slow: min (ns, sleeps 20 ms)" "$(zf all.json slow min_ns)" 20000000
check "fib: recursion counted once in total" "$(zf all.json fib total_ns)" "$(zf all.json fib max_ns)"
check "thread fib-a" "$(jq -r '.profiles[0].zones.threads[] | select(.name == "fib-a") | .spans' all.json)" 178
check "thread fib-b" "$(jq -r '.profiles[0].zones.threads[] | select(.name == "fib-b") | .spans' all.json)" 178
check "nothing unwound" "$(zt all.json unwound)" 0
check "nothing unfinished" "$(zt all.json unfinished)" 0
check_match "summary" "$(cat all.err)" '22,251 zone spans \(22,251 traced calls\)'

# built without libscorch: glibc's empty hooks alone, libscorch's under scorch
cc -std=gnu11 ${OPT:--O0} -pthread -finstrument-functions -I"$ROOT/include" -o unlinked "$ROOT/tests/progs/calls-fib.c" ||
	fail "build without libscorch"
check "unlinked: no libscorch" "$(ldd ./unlinked | grep -c scorch)" 0
check "unlinked alone" "$(./unlinked)" "$alone"
crec unl ./unlinked --calls
check "unlinked under scorch: fib" "$(zf unl.json fib calls)" 21891

crec off "$F"
check "without --calls: no call recorded" "$(zt off.json spans)" 0

crec filt "$F" --calls-filter='^fib$'
check "--calls-filter=^fib$: names" "$(names filt.json)" fib
check "--calls-filter=^fib$: fib" "$(zf filt.json fib calls)" 21891
crec filt2 "$F" --calls-filter=thread_main
check "--calls-filter=thread_main: and what it calls" "$(names filt2.json)" "tfib,thread_main"
check "--calls-filter=thread_main: tfib" "$(zf filt2.json tfib calls)" 354
crec excl "$F" --calls-exclude='^fib$'
check "--calls-exclude=^fib$: names" "$(names excl.json)" "main,make_blocks,slow,tfib,thread_main"
check "--calls-exclude=^fib$: tfib" "$(zf excl.json tfib calls)" 354
crec depth "$F" --calls-depth=3
for z in main:1 fib:3 thread_main:2 tfib:6 slow:2 make_blocks:1; do
	check "--calls-depth=3: ${z%%:*}" "$(zf depth.json "${z%%:*}" calls)" "${z#*:}"
done
crec min "$F" --calls-min=1ms
check "--calls-min=1ms: fib calls still exact" "$(zf min.json fib calls)" 21891
check "--calls-min=1ms: tfib calls still exact" "$(zf min.json tfib calls)" 354
check "--calls-min=1ms: slow kept" "$(zf min.json slow calls),$(zf min.json slow dropped_calls)" "2,0"
check_ge "--calls-min=1ms: fib calls dropped" "$(zf min.json fib dropped_calls)" 21000
check "--calls-min=1ms: every call counted" \
	"$(( $(zt min.json spans) + $(zt min.json dropped_calls) ))" 22251
check_ge "--calls-min=1ms: fib total covers fib(20)" "$(zf min.json fib total_ns)" "$(zf min.json fib max_ns)"

"$SCORCH" record --calls-filter='(' -- "$F" >/dev/null 2>bad.err; r=$?
check "bad regex: exit" "$r" 2
check_match "bad regex: says so" "$(cat bad.err)" "bad --calls-filter '\\('"
"$SCORCH" record --calls-min=fast -- "$F" >/dev/null 2>bad.err; r=$?
check "bad --calls-min: exit" "$r" 2
check_match "bad --calls-min: says so" "$(cat bad.err)" 'calls-min takes a positive duration'
"$SCORCH" record --calls-depth=0 -- "$F" >/dev/null 2>bad.err; r=$?
check "bad --calls-depth: exit" "$r" 2

# a program not built for it
crec plain "$PROGS/noalloc" --calls
check_match "--calls on a plain program: says how" "$(cat plain.err)" 'build the program with -finstrument-functions'

# longjmp out of traced calls
check "jmp alone" "$("$PROGS/calls-jmp")" "rounds 3"
crec jmp "$PROGS/calls-jmp" --calls
check "jmp: output" "$(cat jmp.out)" "rounds 3"
check "jmp: deep calls" "$(zf jmp.json deep calls)" 18
check "jmp: deep unwound" "$(zf jmp.json deep unwound)" 18
check "jmp: after" "$(zf jmp.json after calls),$(zf jmp.json after unwound)" "3,0"
check "jmp: main" "$(zf jmp.json main calls),$(zf jmp.json main unwound)" "1,0"
check "jmp: nothing unfinished" "$(zt jmp.json unfinished)" 0

# C++ exceptions through traced calls
check "exc alone" "$("$PROGS/calls-exc")" "caught 10"
crec exc "$PROGS/calls-exc" --calls
for f in 'level1(int)' 'level2(int)' 'level3(int)'; do
	check "exc: $f" "$(zf exc.json "$f" calls)" 10
done
check "exc: nothing unwound" "$(zt exc.json unwound)" 0
check "exc: nothing unfinished" "$(zt exc.json unfinished)" 0
crec excf "$PROGS/calls-exc" --calls-filter='^level2$'
check "exc: filter on the C++ name" "$(names excf.json)" "level2(int),level3(int)"

# signal handlers interrupting traced code
crec sig "$PROGS/calls-signal" --calls
check "signals: output" "$(head -1 sig.out)" "fib=46368,6765"
check "signals: fib" "$(zf sig.json fib calls)" 150049
check "signals: fib2 (alternate stack handler)" "$(zf sig.json fib2 calls)" 21891
ticks=$(sed -n 's/^ticks=\([0-9]*\) .*/\1/p' sig.out)
alts=$(sed -n 's/.* alt=\([0-9]*\)$/\1/p' sig.out)
check "signals: tick as often as on_tick" "$(zf sig.json tick calls)" "$(zf sig.json on_tick calls)"
check_ge "signals: the program's ticks cover scorch's" "$ticks" "$(zf sig.json on_tick calls)"
check_ge "signals: the program's alternate-stack runs cover scorch's" "$alts" "$(zf sig.json on_alt calls)"
check "signals: nothing unwound" "$(zt sig.json unwound)" 0
check "signals: nothing unfinished" "$(zt sig.json unfinished)" 0

# Inlined calls: work calls the static inline mix 1000 times, 3 times over
# (at -O2 mix's hooks run in work's frame, and work's exit hook is a tail
# call after its epilogue); walk recurses, qsort calls back cmp; step's
# inlined wrap is entered while arguments pushed for a call are not popped
# yet and ends after they are (its hooks at two stack pointers).
ztot() { zf "$1.json" "$2" total_ns; }
inline_checks() { # name prog
	local n=$1 p=$2
	local alone; alone=$("$p")
	check "$n alone: output" "$(cut -d' ' -f1 <<<"$alone")" "sum=625573417"
	CALLS_TIMES=$WORK/$n.times crec "$n" "$p" --calls
	check "$n: same output" "$(cat "$n.out")" "$alone"
	local ncmp; ncmp=$(sed -n 's/.* cmp=\([0-9]*\)$/\1/p' "$n.out")
	check_ge "$n: qsort called cmp" "$ncmp" 64
	for z in main:1 work:3 mix:3000 walk:11 "cmp:$ncmp" step:10 wrap:10 many:20 twist:30; do
		check "$n: calls of ${z%%:*}" "$(zf "$n.json" "${z%%:*}" calls)" "${z#*:}"
	done
	check "$n: every span is one of them" "$(zt "$n.json" spans)" $(( 3085 + ncmp ))
	check "$n: nothing unwound" "$(zt "$n.json" unwound)" 0
	check "$n: nothing unfinished" "$(zt "$n.json" unfinished)" 0
	# self is total less the spans directly inside: exact nesting
	check "$n: mix inside work (work's self = its total - mix's)" \
		"$(zf "$n.json" work self_ns)" "$(( $(ztot "$n" work) - $(ztot "$n" mix) ))"
	check "$n: work, walk, cmp and step alone directly inside main" \
		"$(zf "$n.json" main self_ns)" \
		"$(( $(ztot "$n" main) - $(ztot "$n" work) - $(ztot "$n" walk) - $(ztot "$n" cmp) - $(ztot "$n" step) ))"
	check "$n: walk's recursion inside walk (self = total)" "$(zf "$n.json" walk self_ns)" "$(ztot "$n" walk)"
	# the program's clock inside work and around its calls bound work's spans
	local win wout
	win=$(awk '$1 == "work-in" { print $2 }' "$n.times")
	wout=$(awk '$1 == "work-out" { print $2 }' "$n.times")
	check_ge "$n: work's total (ns) covers the program's clock inside it (99%)" "$(ztot "$n" work)" "$(( win * 99 / 100 ))"
	check_ge "$n: the program's clock around work (101%) covers work's total" "$(( wout * 101 / 100 + 1000 ))" "$(ztot "$n" work)"
}
inline_checks inl "$PROGS/calls-inline"
if [ -n "$OPT" ]; then
	# the build inlines what the test says it does
	dis=$(objdump -d --no-show-raw-insn "$PROGS/calls-inline" | awk '/<work>:/,/^$/')
	check "-O2: mix is inlined into work (no call of it)" "$(grep -c 'call.*<mix' <<<"$dis")" 0
	check_ge "-O2: work calls the enter hook for itself and mix" "$(grep -c 'call.*<__cyg_profile_func_enter' <<<"$dis")" 2
	check_ge "-O2: an exit hook is a tail call" "$(grep -c 'jmp.*<__cyg_profile_func_exit' <<<"$(objdump -d "$PROGS/calls-inline")")" 1
	# -O3 (recursion inlined into itself too), built here, libscorch preloaded
	cc -std=gnu11 -g -O3 -finstrument-functions -o inline-O3 "$ROOT/tests/progs/calls-inline.c" || fail "build at -O3"
	inline_checks inl3 ./inline-O3
	cc -std=gnu11 -g -O3 -finstrument-functions -o jmp-O3 "$ROOT/tests/progs/calls-jmp.c" || fail "build calls-jmp at -O3"
	crec jmp3 ./jmp-O3 --calls
	check "jmp -O3: deep" "$(zf jmp3.json deep calls),$(zf jmp3.json deep unwound)" "18,18"
	check "jmp -O3: after" "$(zf jmp3.json after calls),$(zf jmp3.json after unwound)" "3,0"
	check "jmp -O3: main" "$(zf jmp3.json main calls),$(zf jmp3.json main unwound)" "1,0"
fi
finish
