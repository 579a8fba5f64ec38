# Programs the runtime cannot be preloaded into, sampled from outside by
# `scorch record -- PROG` (cli/extsample.c, extsample_launch): a static C
# program (cpu-static-split: a known 50/30/20 split), a pure Go binary
# (static, built with go build; skipped only without go), a static program
# that forks and execs (cpu-static-fork: three images, each its own profile)
# under record and under record -p, and a set-uid copy of cpu-split (as
# root). Each: the program's output and exit status as without scorch; the
# achieved rate >= 97% of the asked one over the CPU time the process used
# (and not over 103%); the top functions and their total shares within 2
# points of perf record --call-graph dwarf + perf report on the same program.
# `scorch heap` (and --wall) of a static program: a clear message, exit 127.
# Before this change `scorch record -- STATIC` refused with exit 127.
. "$ROOT/tests/e2e/lib.sh"
command -v jq >/dev/null || { echo "skip: jq is needed"; exit 77; }

HZ=999
have_perf=0
if command -v perf >/dev/null && perf record -q -o "$WORK/probe.data" -- true >/dev/null 2>&1; then have_perf=1; fi
# total share of function $2 (samples with it on the stack), per mille of all
total_pm() { jq -r --arg f "$2" '.profiles[0].cpu as $c | ([$c.functions[] | select(.function == $f) | .total] | add // 0) * 1000 / ($c.totals.samples + 0.0001) | floor' "$1"; }
fsamples() { jq -r --arg f "$2" '[.profiles[0].cpu.functions[] | select(.function == $f) | .total] | add // 0' "$1"; }
# perf's total share of a symbol (perf report --children), per mille: the
# sum of its rows (perf splits a symbol by the mapping it ran from: an
# exec'd image of the same file has rows of its own)
perf_pm() { awk -v f="$2" '$3 == "[.]" && $4 == f { sub("%", "", $1); s += $1 } END { printf "%d\n", s * 10 + 0.5 }' "$1"; }
# perf record of the same program at scorch's fixed period (-F would let it
# adapt), DWARF call graphs, following children as scorch does
perf_run() { # name prog args...
	local n=$1
	shift
	perf record -q -c $((1000000000 / HZ)) --call-graph dwarf -o "$WORK/$n.data" -- "$@" >/dev/null 2>"$WORK/$n.perf.err"
	perf report -i "$WORK/$n.data" --children --sort sym -g none --stdio -q >"$WORK/$n.perf" 2>/dev/null
}
# rate_checks NAME.json: samples over the profile's CPU time, per mille of HZ
rate_checks() {
	local j=$1 samples cpu_ns pm
	samples=$(q "$j" '.profiles[0].cpu.totals.samples')
	cpu_ns=$(q "$j" '.profiles[0].cpu.sampling.cpu_time_ns // 0')
	pm=$(( samples * 1000000000000 / (cpu_ns > 0 ? cpu_ns : 1) / HZ ))
	check_ge "$j: achieved rate (per mille of $HZ Hz over $((cpu_ns / 1000000)) ms of CPU)" "$pm" 970
	# the CPU time is read to the clock tick (10 ms): within 103% plus a tick
	check_ge "$j: not over the rate (+3% and a tick)" "$(( 1030 + 10000000 * 1000 / (cpu_ns > 0 ? cpu_ns : 1) ))" "$pm"
}
# vs_perf NAME FUNC...: scorch's total shares within 20 per mille of perf's
vs_perf() {
	local n=$1 f s p
	shift
	[ "$have_perf" = 1 ] || { echo "    (perf cannot record here: no side-by-side run)"; return 0; }
	for f in "$@"; do
		s=$(total_pm "$n.json" "$f")
		p=$(perf_pm "$n.perf" "$f")
		echo "    $f: scorch $s / perf $p per mille"
		within "$n: $f vs perf (per mille)" "$s" "$p" 20
	done
}
# topn NAME.json N: the N user-space functions with the most self samples,
# sorted by name; perf_topn NAME.data N: perf's (perf report --no-children)
topn() { jq -r --argjson n "$2" '[.profiles[0].cpu.functions[] | select(.module != "[kernel.kallsyms]")] | sort_by(-.self) | .[0:$n] | map(.function) | sort | join(" ")' "$1"; }
perf_topn() { perf report -i "$1" --no-children --sort sym -g none --stdio -q 2>/dev/null |
	awk '$2 == "[.]" { print $3 }' | head -"$2" | sort | tr '\n' ' ' | sed 's/ $//'; }

# ---- a static C program: the known split
plain=$("$PROGS/cpu-static-split" 2500 2>/dev/null)
rec split -- "$PROGS/cpu-static-split" 2500
check "static: exit" "$rc" 0
check "static: output as without scorch" "$out" "$plain"
check_match "static: says how it is sampled" "$err" 'is statically linked \(LD_PRELOAD cannot reach it\): its CPU time is sampled from outside'
check "static: source" "$(q split.json '.profiles[0].cpu.sampling.source')" \
	"perf cpu-clock from outside (the program cannot be preloaded)"
within "static: work_a (per mille)" "$(total_pm split.json work_a)" 500 20
within "static: work_b (per mille)" "$(total_pm split.json work_b)" 300 20
within "static: work_c (per mille)" "$(total_pm split.json work_c)" 200 20
# (perf's DWARF unwinding gets no further than the leaf in a static binary:
# its main has 0.04%; scorch's reaches main for all but a sample or two)
check_ge "static: main on the stacks (per mille, unwound through the static libc)" "$(total_pm split.json main)" 995
rate_checks split.json
if [ "$have_perf" = 1 ]; then
	perf_run split "$PROGS/cpu-static-split" 2500
	check "static: top 3 functions as perf's" "$(topn split.json 3)" "$(perf_topn split.data 3)"
fi
vs_perf split work_a work_b work_c

# ---- exit status untouched
"$SCORCH" record -o ex.scorch -- "$PROGS/cpu-static-fork" exit 3 >/dev/null 2>ex.err
check "static: the program's exit status" "$?" 3

# ---- heap tracking, --wall: the preload is needed, said so
"$SCORCH" heap -o h.scorch -- "$PROGS/cpu-static-split" 100 >h.out 2>h.err
check "heap of a static program: exit" "$?" 127
check_match "heap of a static program: message" "$(cat h.err)" \
	'statically linked: heap tracking needs scorch.s library preloaded through the dynamic linker \(LD_PRELOAD\).*dynamically linked'
check "heap of a static program: it did not run" "$(cat h.out)" ""
"$SCORCH" record --wall -o w.scorch -- "$PROGS/cpu-static-split" 100 >/dev/null 2>w.err
check "record --wall of a static program: exit" "$?" 127
check_match "record --wall of a static program: message" "$(cat w.err)" 'statically linked: --wall needs'
check "no profile, no session directory left" "$(ls -A | grep -c '^\.scorch-\|^h\.scorch\|^w\.scorch')" 0

# ---- fork and exec: an image each
# 3 profiles: the parent (parent_work), the child before its exec
# (fork_work) and after (child_work)
fork_checks() { # label dir
	local label=$1 dir=$2 f fn n
	check "$label: three profiles" "$(ls "$dir"/cpu-static-fork.*.scorch 2>/dev/null | wc -l)" 3
	for f in "$dir"/cpu-static-fork.*.scorch; do
		"$SCORCH" report --json --limit=0 "$f" >"$f.json"
		fn=$(jq -r '[.profiles[0].cpu.functions[] | select(.function | endswith("_work"))] | sort_by(-.total) | .[0].function // "none"' "$f.json")
		n=$(q "$f.json" '.profiles[0].cpu.totals.samples')
		echo "    ${f##*/}: $n samples, mostly $fn"
		check_ge "$label: ${f##*/}: $fn on >= 98% of its stacks" "$(( $(fsamples "$f.json" "$fn") * 100 ))" "$((n * 98))"
		rate_checks "$f.json"
	done
	check "$label: one image each" "$(cat "$dir"/cpu-static-fork.*.scorch.json | jq -r '[.profiles[0].cpu.functions[] | select(.function | endswith("_work"))] | sort_by(-.total) | .[0].function' | sort | tr '\n' ' ')" \
		"child_work fork_work parent_work "
}
mkdir -p fork && cd fork
"$SCORCH" record -- "$PROGS/cpu-static-fork" 1500 >../fork.out 2>../fork.err
rc=$?
cd "$WORK"
echo "--- scorch record cpu-static-fork 1500 (exit $rc)"; sed 's/^/    /' fork.err
check "fork: exit" "$rc" 0
check "fork: output" "$(sort fork.out | tr '\n' ' ')" "cpu-static-fork: child 1500 ms cpu-static-fork: parent 1500 ms, child ok "
fork_checks fork "$WORK/fork"
if [ "$have_perf" = 1 ]; then
	perf_run fork "$PROGS/cpu-static-fork" 1500
	# the shares of the whole run: each image's samples of its function
	# over all three profiles' samples
	all=$(cat fork/*.json | jq -s '[.[].profiles[0].cpu.totals.samples] | add')
	for fn in parent_work fork_work child_work; do
		s=$(cat fork/*.json | jq -s --arg f "$fn" '[.[].profiles[0].cpu.functions[] | select(.function == $f) | .total] | add // 0')
		s=$((s * 1000 / all))
		p=$(perf_pm fork.perf "$fn")
		echo "    $fn: scorch $s / perf $p per mille of the run"
		within "fork: $fn vs perf (per mille of the run)" "$s" "$p" 20
	done
fi

# ... and attached (record -p) before the fork: the same three
mkdir -p pfork && cd pfork
rm -f "$WORK/go"
"$PROGS/cpu-static-fork" wait "$WORK/go" 1000 >../pfork.out 2>/dev/null &
pid=$!
"$SCORCH" record -p "$pid" >../pfork.sout 2>../pfork.err &
sp=$!
for i in $(seq 400); do grep -q "attached to" ../pfork.err 2>/dev/null && break; sleep 0.05; done
touch "$WORK/go"
wait "$sp"
rc=$?
wait "$pid"
prc=$?
cd "$WORK"
echo "--- scorch record -p (cpu-static-fork wait, exit $rc)"; sed 's/^/    /' pfork.err
check "record -p fork: exit" "$rc" 0
check "record -p fork: the program's exit" "$prc" 0
check "record -p fork: output" "$(sort pfork.out | tr '\n' ' ')" "cpu-static-fork: child 1000 ms cpu-static-fork: parent 1000 ms, child ok "
fork_checks "record -p fork" "$WORK/pfork"

# ---- a pure Go program (static: no loader)
if command -v go >/dev/null 2>&1 || need_go "the static Go test program" >/dev/null 2>&1; then
	export HOME="$WORK"
	cp -r "$ROOT/tests/progs/gostatic" gosrc
	if (cd gosrc && GOFLAGS=-mod=mod CGO_ENABLED=0 go build -o ../gostatic .); then
		check "go: built static (no PT_INTERP)" "$(readelf -lW gostatic | grep -c INTERP)" 0
		plain=$(./gostatic 120)
		rec go -- ./gostatic 120
		check "go: exit" "$rc" 0
		check "go: output as without scorch" "$out" "$plain"
		check "go: source" "$(q go.json '.profiles[0].cpu.sampling.source')" \
			"perf cpu-clock from outside (the program cannot be preloaded)"
		a=$(total_pm go.json main.spinA) b=$(total_pm go.json main.spinB)
		check_ge "go: main.spinA + main.spinB (per mille)" "$((a + b))" 900
		check_ge "go: main.main on the stacks (per mille, unwound through Go's frames)" "$(total_pm go.json main.main)" 900
		rate_checks go.json
		if [ "$have_perf" = 1 ]; then
			perf_run go ./gostatic 120
			check "go: top 2 functions as perf's" "$(topn go.json 2)" "$(perf_topn go.data 2)"
		fi
		vs_perf go main.spinA main.spinB
		# heap of a Go program: no "rebuild it dynamically linked"
		# (Go's heap is not malloc's), Go's own profiler named
		"$SCORCH" heap -o goh.scorch -- ./gostatic 120 >goh.out 2>goh.err
		check "go: heap: exit" "$?" 127
		check_match "go: heap: message" "$(cat goh.err)" \
			'is a Go program, statically linked: heap tracking needs scorch.s library preloaded.*Go.s heap does not go through malloc: Go.s own profiler'
	else
		fail "go build of tests/progs/gostatic failed"
	fi
else
	echo "    (no go: the Go case is skipped)"
fi

# ---- a set-uid program (as root): the loader ignores LD_PRELOAD
if [ "$(id -u)" -eq 0 ] && id nobody >/dev/null 2>&1; then
	cp "$PROGS/cpu-split" suid-split && chown nobody suid-split && chmod u+s suid-split
	rec suid -- ./suid-split 1500
	check "set-uid: exit" "$rc" 0
	check "set-uid: output" "$out" "cpu-split: 50.0/30.0/20.0 of 1500 ms"
	check_match "set-uid: says how it is sampled" "$err" 'is set-user-ID or set-group-ID \(the loader ignores LD_PRELOAD\): its CPU time is sampled from outside'
	within "set-uid: work_a (per mille)" "$(total_pm suid.json work_a)" 500 20
	within "set-uid: work_b (per mille)" "$(total_pm suid.json work_b)" 300 20
	# opened after its exec: the few ms before are not sampled
	samples=$(q suid.json '.profiles[0].cpu.totals.samples')
	cpu_ns=$(q suid.json '.profiles[0].cpu.sampling.cpu_time_ns // 0')
	check_ge "set-uid: achieved rate (per mille)" "$(( samples * 1000000000000 / (cpu_ns > 0 ? cpu_ns : 1) / HZ ))" 970
else
	echo "    (not root: the set-uid case is skipped)"
fi
finish
