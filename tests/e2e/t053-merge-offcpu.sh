# One run, one view: the profiles of a process tree (a posix_spawn'd child;
# an exec chain) merged with the process as the top frame, counts exactly
# the sums over the files, --by-process keeping them apart. Off-CPU time
# where it is spent: a --wall profile of cpu-sleep shows its sleep under
# sleepy_wait -> nanosleep -> [off-CPU], as long as the program itself
# measured it asleep, in every view and export.
. "$ROOT/tests/e2e/lib.sh"

# sum of the counts of folded lines (stdin), optionally only those matching $1
fsum() { awk -v re="${1:-.}" '$0 ~ re { s += $NF } END { printf "%d\n", s }'; }
jq_total() { python3 -c "import json,sys; d=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))" "$@"; }

# ---- a spawned child: CPU samples and heap events in two processes ----
"$SCORCH" record --heap -o sp.scorch -- "$PROGS/cpu-execenv" spawn >sp.out 2>sp.err
check "spawn: exit" "$?" 0
check_match "spawn: the child ran" "$(cat sp.out)" 'child ok'
child=$(ls cpu-execenv.*.scorch 2>/dev/null | head -1)
check_match "spawn: the child's profile" "$child" '^cpu-execenv\.[0-9]+\.scorch$'
check_match "hint names the merged view" "$(cat sp.err)" 'scorch report --merge sp\.scorch'
for f in sp.scorch "$child"; do "$SCORCH" report --json "$f" >"$f.json"; done
s1=$(jq_total sp.scorch.json "d['profiles'][0]['cpu']['totals']['samples']")
s2=$(jq_total "$child.json" "d['profiles'][0]['cpu']['totals']['samples']")
a1=$(jq_total sp.scorch.json "d['profiles'][0]['totals']['allocations']")
a2=$(jq_total "$child.json" "d['profiles'][0]['totals']['allocations']")
b1=$(jq_total sp.scorch.json "d['profiles'][0]['totals']['bytes']")
b2=$(jq_total "$child.json" "d['profiles'][0]['totals']['bytes']")
check_ge "spawn: parent sampled" "$s1" 50
check_ge "spawn: child sampled" "$s2" 50
# the run's first profile lists the other: --merge of it alone is the run
"$SCORCH" report --json --merge sp.scorch >m.json
check "merged samples = sum" "$(jq_total m.json "d['profiles'][0]['cpu']['totals']['samples']")" $((s1 + s2))
check "merged allocations = sum" "$(jq_total m.json "d['profiles'][0]['totals']['allocations']")" $((a1 + a2))
check "merged bytes = sum" "$(jq_total m.json "d['profiles'][0]['totals']['bytes']")" $((b1 + b2))
check "merged: one report" "$(jq_total m.json "len(d['profiles'])")" 1
# naming both files (in either order) is the same run, each counted once
"$SCORCH" report --json --merge "$child" sp.scorch >m2.json
check "merged (files named) samples" "$(jq_total m2.json "d['profiles'][0]['cpu']['totals']['samples']")" $((s1 + s2))
check "merged (files named) allocations" "$(jq_total m2.json "d['profiles'][0]['totals']['allocations']")" $((a1 + a2))
# --by-process (and the default for report): a report per file
"$SCORCH" report --json --by-process sp.scorch "$child" >bp.json
check "by-process: two reports" "$(jq_total bp.json "len(d['profiles'])")" 2
check "by-process: parent's samples" "$(jq_total bp.json "d['profiles'][0]['cpu']['totals']['samples']")" "$s1"
"$SCORCH" report --merge --by-process sp.scorch >/dev/null 2>&1
check "merge and by-process exclude each other" "$?" 2

# the process is the top frame of every stack, with exact counts per process
ppid=$(jq_total sp.scorch.json "d['profiles'][0]['program']['pid']")
cpid=$(jq_total "$child.json" "d['profiles'][0]['program']['pid']")
"$SCORCH" export --merge sp.scorch >m.folded
check "folded: every stack under a process" "$(grep -cv '^cpu-execenv (pid [0-9]*);' m.folded)" 0
check "folded: two processes" "$(cut -d';' -f1 m.folded | sort -u | wc -l)" 2
check "folded: parent's samples" "$(fsum "^cpu-execenv [(]pid $ppid[)];" <m.folded)" "$s1"
check "folded: child's samples" "$(fsum "^cpu-execenv [(]pid $cpid[)];" <m.folded)" "$s2"
check "folded: parent's burn under parent_spin" \
	"$(grep -c "^cpu-execenv (pid $ppid);.*child_spin" m.folded)" 0
"$SCORCH" export --weight=count sp.scorch "$child" >mc.folded
check "folded heap count, two files merged by default" "$(fsum <mc.folded)" $((a1 + a2))
"$SCORCH" export --by-process sp.scorch >bp.folded
check "by-process export: no process frame" "$(grep -c '(pid ' bp.folded)" 0
check "by-process export: the file's samples" "$(fsum <bp.folded)" "$s1"
"$SCORCH" flame -o m.svg --merge sp.scorch 2>/dev/null
check "flame --merge" "$?" 0
check_match "flame: process frames" "$(cat m.svg)" "cpu-execenv \\(pid $cpid\\)"
check_match "flame: subtitle says the run" "$(cat m.svg)" 'and 1 more profiles of its run'
"$SCORCH" html -o m.html sp.scorch "$child" 2>/dev/null
check "html of two files" "$?" 0
check_match "html: process frames" "$(cat m.html)" "cpu-execenv \\(pid $ppid\\)"
"$SCORCH" diff --merge sp.scorch sp.scorch >d.txt 2>&1
check "diff --merge" "$?" 0
check_match "diff: both sides are the run" "$(head -1 d.txt)" "$((s1 + s2)) samples"
"$SCORCH" export --format=speedscope --merge sp.scorch >m.speedscope.json
check "speedscope --merge" "$?" 0
check_match "speedscope: process frame" "$(cat m.speedscope.json)" "cpu-execenv \\(pid $cpid\\)"

# annotate shows one process's code: FUNCTION named with the run's first
# profile, found in the child's, is annotated there (and said so)
"$SCORCH" annotate --json sp.scorch child_spin >an.json 2>an.err
check "annotate: a function of the child, through the run's first profile" "$?" 0
check_match "annotate: says which profile" "$(cat an.err)" \
	"'child_spin' has no samples in sp\.scorch \(pid $ppid\); it ran in $child \(pid $cpid\)"
check "annotate: the child's profile" "$(jq_total an.json "d['file']")" "$child"
check_match "annotate: the child's function" "$(jq_total an.json "d['functions'][0]['name']")" '^child_spin$'
check "annotate: its samples are the child's" "$(jq_total an.json "d['functions'][0]['total']['samples']")" \
	"$(jq_total "$child.json" "[f['total'] for f in d['profiles'][0]['cpu']['functions'] if f['function'] == 'child_spin'][0]")"
"$SCORCH" annotate sp.scorch no_such_function >/dev/null 2>an2.err
check "annotate: a function of no process of the run" "$?" 1

# report --zones --merge: a zones report per process of the run, each once
"$SCORCH" heap -o zr.scorch -- sh -c "'$PROGS/zones-basic' >/dev/null; '$PROGS/zones-basic' >/dev/null" 2>/dev/null
"$SCORCH" report --zones --json --merge zr.scorch zr.scorch >zr.json
check "zones --merge: the shell and both children" "$(jq_total zr.json "len(d['profiles'])")" 3
check "zones --merge: each child's 31 spans" \
	"$(jq_total zr.json "' '.join(str(p['zones']['totals']['spans']) for p in d['profiles'])")" "0 31 31"
"$SCORCH" report --zones --json zr.scorch >zr1.json
check "zones without --merge: the file alone" "$(jq_total zr1.json "len(d['profiles'])")" 1

# ---- a fork: parent_site 5 x 40 B, child_site 3 x 56 B, all leaked ----
"$SCORCH" heap -o fk.scorch -- "$PROGS/fork" >/dev/null 2>fk.err
check "fork: exit" "$?" 0
"$SCORCH" report --json --merge fk.scorch >fk.json
check "fork: allocations 5 + 3" "$(jq_total fk.json "d['profiles'][0]['totals']['allocations']")" 8
check "fork: leaked 200 + 168 bytes" "$(jq_total fk.json "d['profiles'][0]['totals']['leaked_bytes']")" 368
"$SCORCH" export --weight=count fk.scorch fork.*.scorch >fk.folded
check "fork: child_site only under the child" \
	"$(fsum '^fork [(]pid [0-9]+[)];.*child_site' <fk.folded)" 3
check "fork: two processes" "$(cut -d';' -f1 fk.folded | sort -u | wc -l)" 2

# ---- an exec chain: one pid, two images, heap only ----
"$SCORCH" heap -o ex.scorch -- "$PROGS/exec" >/dev/null 2>ex.err
check "exec: exit status" "$?" 3
tgt=$(ls exec-target.*.scorch 2>/dev/null | head -1)
"$SCORCH" report --json --merge ex.scorch >ex.json
check "exec chain: allocations 2 + 4" "$(jq_total ex.json "d['profiles'][0]['totals']['allocations']")" 6
check "exec chain: leaked 144 + 352 bytes" "$(jq_total ex.json "d['profiles'][0]['totals']['leaked_bytes']")" 496
"$SCORCH" export --weight=count --merge ex.scorch >ex.folded
check "exec chain: two images" "$(cut -d';' -f1 ex.folded | sort -u | sed 's/ (pid.*//' | tr '\n' ' ')" "exec exec-target "
check "exec chain: before_exec under exec" "$(fsum '^exec [(]pid [0-9]+[)];.*before_exec' <ex.folded)" 2
check "exec chain: after_exec under exec-target" "$(fsum '^exec-target [(]pid [0-9]+[)];.*after_exec' <ex.folded)" 4
check_match "exec chain: target's profile written" "$tgt" '^exec-target\.[0-9]+\.scorch$'

# ---- off-CPU time where it is spent ----
# wall-split: a thread naps 100 x 2 ms in usleep from nap(); main spins
# 20 ms of CPU, then waits in pthread_join; it measures both waits itself
"$SCORCH" record --wall -o w.scorch -- "$PROGS/wall-split" >/dev/null 2>w.err
check "wall: exit" "$?" 0
napped=$(sed -n 's/^wall-split: \([0-9]*\) us in usleep.*/\1/p' w.err)
joined=$(sed -n 's/.* \([0-9]*\) us in pthread_join$/\1/p' w.err)
check_ge "wall: the program napped (us)" "${napped:-0}" 200000
"$SCORCH" export --weight=cpu-ns w.scorch >w.folded
off=$(fsum ';nap;usleep;[[]off-CPU[]] ' <w.folded)
self=$(fsum ';nap [0-9]+$' <w.folded)
# Each nap is recorded whole (2 ms is more than the half period recording
# needs) as whole periods of 1 ms, the fractions carried over: less than a
# period short in all; the program's clock reads around each usleep add up
# to a little more. 2% + 2 ms either way.
within "wall: nap -> usleep -> [off-CPU] is the time the program napped (us)" \
	$((off / 1000)) "$napped" $((napped / 50 + 2000))
check_ge "wall: none of it in nap's self time (at most 2%)" $((napped * 20)) "$self"
jself=$(fsum ';main;pthread_join;[[]off-CPU[]] ' <w.folded)
if [ "${joined:-0}" -ge 5000 ]; then
	within "wall: main -> pthread_join -> [off-CPU] is the time it waited (us)" \
		$((jself / 1000)) "$joined" $((joined / 50 + 2000))
fi
"$SCORCH" report w.scorch >w.txt
check_match "report: off-CPU table names usleep" "$(sed -n '/^Off-CPU/,$p' w.txt)" 'usleep'
# the text report shows the blocked time as flame does: an [off-CPU] leaf
# below the function that blocked, in the tables and the call tree, and its
# title says wall time (the program spent most of its run waiting)
"$SCORCH" report --json w.scorch >w.json
woff=$(jq_total w.json "d['profiles'][0]['cpu']['totals']['offcpu_samples']")
wall=$(jq_total w.json "d['profiles'][0]['cpu']['totals']['samples']")
check_ge "wall: mostly off-CPU" "$((woff * 2))" "$((wall + 1))"
check "report: the JSON keeps the stacks as recorded" "$(grep -c 'off-CPU\]' w.json)" 0
"$SCORCH" report --ascii --color=never --limit=0 w.scorch >wa.txt
check_match "report: title says wall time" "$(head -1 wa.txt)" '^scorch wall-time report: '
# top self: the [off-CPU] row holds every off-CPU sample; usleep none
check "report: [off-CPU] self samples = off-CPU samples" \
	"$(sed -n '/^Top functions by self/,/^Top functions by total/p' wa.txt | awk '$4 == "[off-CPU]" { print $3 }')" "$woff"
# (an on-CPU sample may land in usleep's own few instructions: at most 2%
# of the off-CPU ones, where all of its sleep went before)
us=$(sed -n '/^Top functions by self/,/^Top functions by total/p' wa.txt | awk '$4 == "usleep" { print $3 }')
check_ge "report: usleep's self samples are only on-CPU ones (at most 2% of the off-CPU $woff)" \
	"$((woff / 50))" "${us:-0}"
# the call tree: usleep -> [off-CPU] and pthread_join -> [off-CPU], each
# as wide as the Off-CPU table's row of the function waited in
offpct() { sed -n '/^Off-CPU/,$p' wa.txt | awk -v f="$1" '$5 == f { print $1 }'; }   # share samples N unit name
leafpct() { sed -n '/^Call tree/,/^Callers/p' wa.txt | grep -A1 -E "[-] $1 [(]" | tail -1 |
	awk '/\[off-CPU\]$/ { print $1 }'; }
check "report tree: usleep -> [off-CPU] = usleep's off-CPU share" "$(leafpct usleep)" "$(offpct usleep)"
check "report tree: pthread_join -> [off-CPU] = its off-CPU share" "$(leafpct pthread_join)" "$(offpct pthread_join)"
check_match "report tree: usleep's share is there" "$(offpct usleep)" '^[0-9.]+%$'
"$SCORCH" record -o c.scorch -- "$PROGS/wall-split" >/dev/null 2>&1
check_match "report: a CPU profile's title" "$("$SCORCH" report --color=never c.scorch | head -1)" '^scorch cpu report: '
check "report: no [off-CPU] in a CPU profile" "$("$SCORCH" report --color=never c.scorch | grep -c 'off-CPU\]')" 0
"$SCORCH" flame -o w.svg w.scorch 2>/dev/null
check_match "flame: [off-CPU] frame" "$(cat w.svg)" '\[off-CPU\]'
check_match "flame: subtitle says wall time" "$(cat w.svg)" 'wall-time samples \(on- and off-CPU\)'
"$SCORCH" html -o w.html w.scorch 2>/dev/null
check_match "html: [off-CPU] frame" "$(cat w.html)" '\[off-CPU\]'
"$SCORCH" export --format=speedscope w.scorch >w.speedscope.json
check_match "speedscope: [off-CPU] frame" "$(cat w.speedscope.json)" '\[off-CPU\]'
"$SCORCH" export --format=chrome w.scorch >w.trace.json
check_match "chrome: [off-CPU] frame" "$(cat w.trace.json)" '\[off-CPU\]'
"$SCORCH" export --format=pprof -o w.pb.gz w.scorch
check_match "pprof: [off-CPU] frame" "$(gzip -dc w.pb.gz | tr -c '[:print:]' '\n' | grep -F '[off-CPU]' | head -1)" '\[off-CPU\]'

finish
