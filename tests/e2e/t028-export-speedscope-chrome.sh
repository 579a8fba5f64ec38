# speedscope and Chrome trace exports, read by the real clients: the
# speedscope app (npm speedscope, headless chromium) imports our speedscope
# file and our Chrome trace, and its own re-export carries the report's
# weights per thread and per function and EXPECTED.md's bytes per site; the
# Chrome trace's B/E events balance and nest per thread, cover exactly the
# CPU time of the samples per function, name every thread, and its heap
# counter peaks at the report's peak. CPU, heap, both, wall-clock, --filter.
. "$ROOT/tests/e2e/lib.sh"
bash "$ROOT/tests/browser/setup.sh" || exit 1
B="$ROOT/tests/browser"
node_check() { # what script args...
	local what=$1
	shift
	echo "--- $what"
	node "$@" | sed 's/^/    /'
	[ "${PIPESTATUS[0]}" = 0 ] && echo "ok: $what" || fail "$what: $(basename "$1") failed"
}
both() { # name: speedscope and chrome exports of name.scorch, checked; extra args go to speedscope-check
	local n=$1
	shift
	json "$n.scorch"
	"$SCORCH" export --format=speedscope -o "$n.speedscope.json" "$n.scorch" || fail "$n: export speedscope"
	"$SCORCH" export --format=chrome -o "$n.trace.json" "$n.scorch" || fail "$n: export chrome"
	mkdir -p "ss-$n" "ch-$n"
	node_check "$n: speedscope" "$B/speedscope-check.mjs" "$n.speedscope.json" "$n.scorch.json" "$WORK/ss-$n" "$@"
	node_check "$n: chrome trace" "$B/chrome-check.mjs" "$n.trace.json" "$n.scorch.json" "$WORK/ch-$n"
}

# CPU, two threads at 3:1
"$SCORCH" record -o cpu.scorch -- "$PROGS/cpu-threads" 1000 >/dev/null 2>&1 || fail "record cpu-threads"
both cpu
check "speedscope: a profile per sampled thread" "$(jq '.profiles | length' cpu.speedscope.json)" \
	"$(q cpu.scorch.json '.profiles[0].cpu.threads | length')"
check "speedscope: the busiest thread shown first" \
	"$(jq -r '.profiles[.activeProfileIndex].name' cpu.speedscope.json)" \
	"cpu: heavy (tid $(q cpu.scorch.json '.profiles[0].cpu.threads[] | select(.name == "heavy") | .tid'))"

# heap: EXPECTED.md's alloc-counts
heap a "$PROGS/alloc-counts"
both a site_thousand=16000:0 site_leak=700:700 site_calloc=100:0
check "chrome: no slices without samples" "$(jq '[.traceEvents[] | select(.ph == "B")] | length' a.trace.json)" 0

# both in one run; the heap is the stdout buffer (4096 B to a file, never freed)
"$SCORCH" record --heap -o mix.scorch -- "$PROGS/cpu-split" 500 >mix.out 2>&1 || fail "record --heap cpu-split"
both mix _IO_file_doallocate=4096:4096
check "speedscope: CPU and heap profiles" "$(jq -r '[.profiles[].name | sub(":.*"; "")] | unique | join(",")' mix.speedscope.json)" "cpu,heap"
"$SCORCH" export --format=speedscope --kind=heap -o mixh.json mix.scorch
check "--kind=heap: only heap profiles" "$(jq -r '[.profiles[].name | sub(":.*"; "")] | unique | join(",")' mixh.json)" "heap"
"$SCORCH" export --format=chrome --kind=cpu -o mixc.json mix.scorch
check "--kind=cpu: no heap counter" "$(jq '[.traceEvents[] | select(.name == "heap")] | length' mixc.json)" 0

# wall-clock: off-CPU time is a frame of its own
"$SCORCH" record --wall -o wall.scorch -- "$PROGS/cpu-sleep" 600 >/dev/null 2>&1 || fail "record --wall"
both wall
off=$(jq '[.traceEvents[] | select(.ph == "B" and .name == "[off-CPU]")] | length' wall.trace.json)
check_ge "chrome: off-CPU slices in a wall profile" "$off" 1

# --filter keeps the stacks the report's filter keeps
"$SCORCH" export --format=speedscope --filter=light_main -o light.json cpu.scorch
check "--filter: one thread left" "$(jq -r '[.profiles[].name] | join(",")' light.json)" \
	"cpu: light (tid $(q cpu.scorch.json '.profiles[0].cpu.threads[] | select(.name == "light") | .tid'))"
check "--filter: its weight = report's matched ns" "$(jq '[.profiles[].endValue] | add' light.json)" \
	"$("$SCORCH" report --json --filter=light_main cpu.scorch | jq '.profiles[0].cpu.totals.matched_ns')"

# bad input
"$SCORCH" export --format=chrome --kind=heap cpu.scorch >/dev/null 2>kh.err; r=$?
check "--kind=heap on a CPU profile: exit 1" "$r" 1
check_match "--kind=heap: says why" "$(cat kh.err)" 'no heap events'
printf 'SCORCH\0garbage' >bad.scorch
"$SCORCH" export --format=speedscope -o bad.json bad.scorch 2>bad.err; r=$?
check "corrupt profile: exit 1" "$r" 1
check "corrupt profile: one line" "$(wc -l <bad.err)" 1
check "corrupt profile: no output" "$(ls bad.json 2>/dev/null | wc -l)" 0
finish
