# The files scorch writes, in a directory someone else can write to: a
# symbolic link planted at a temporary's name or at the final name never
# makes scorch write to the file it points to; a FIFO at the profile's name
# never hangs the launcher; an existing profile is kept as NAME.old;
# profiles are 0600; every command's -o refuses a planted link but
# -o /dev/stdout works; a second SIGTERM or SIGINT ends the launcher with
# the raw recording kept; the program sees only the environment the guide
# lists.
. "$ROOT/tests/e2e/lib.sh"
umask 022
PROG="$PROGS/alloc-counts"
victim_text="the victim's own text"
new_victim() { printf '%s\n' "$victim_text" >victim; }
victim_intact() { check "$1: the victim is unchanged" "$(cat victim)" "$victim_text"; }
is_profile() { "$SCORCH" report --json "$1" >/dev/null 2>&1 && echo profile || echo "not a profile"; }

# ---- a link planted at the temporary's name (once PROFILE.tmp.<launcher pid>) ----
new_victim
sh -c 'ln -s victim "t.scorch.tmp.$$"; exec "$0" heap -o t.scorch -- "$1"' "$SCORCH" "$PROG" >/dev/null 2>t.err
check "temp-name link: exit" "$?" 0
victim_intact "temp-name link"
check "temp-name link: the profile is a file of its own" "$(stat -c %F t.scorch)" "regular file"
check "temp-name link: and a profile" "$(is_profile t.scorch)" profile
rm -f t.scorch.tmp.*

# ---- a link planted at the final name given with -o: refused, before the run ----
new_victim
ln -s victim f.scorch
"$SCORCH" heap -o f.scorch -- "$PROGS/output" >f.out 2>f.err; r=$?
check "-o link: refused" "$r" 2
check_match "-o link: says why" "$(cat f.err)" 'cannot write the profile to f\.scorch: it is a symbolic link'
check "-o link: the program did not run" "$(wc -c <f.out)" 0
check "-o link: the link is left alone" "$(readlink f.scorch)" victim
victim_intact "-o link"

# ---- an existing profile is kept as .old; profiles are 0600 ----
"$SCORCH" heap -o keep.scorch -- "$PROG" 2>/dev/null
check "first profile: mode" "$(stat -c %a keep.scorch)" 600
cp keep.scorch first.copy
"$SCORCH" heap -o keep.scorch -- "$PROG" 2>keep.err
check_match "second run: says so" "$(cat keep.err)" '^scorch: keep\.scorch existed: renamed it to keep\.scorch\.old$'
check "second run: the old profile is keep.scorch.old" "$(cmp -s first.copy keep.scorch.old && echo same)" same
check "second run: the new one is a profile" "$(is_profile keep.scorch)" profile
check "second run: mode" "$(stat -c %a keep.scorch)" 600
"$SCORCH" export --format=folded keep.scorch >keep.folded
"$SCORCH" import -o imp.scorch keep.folded 2>/dev/null
check "import -o: mode" "$(stat -c %a imp.scorch)" 600
cp imp.scorch imp.copy
"$SCORCH" import -o imp.scorch keep.folded 2>imp.err
check_match "import -o again: says so" "$(cat imp.err)" '^scorch: imp\.scorch existed: renamed it to imp\.scorch\.old$'
check "import -o again: the old one kept" "$(cmp -s imp.copy imp.scorch.old && echo same)" same

# ---- the default name PROG.PID.scorch, in a pid namespace (the same pid each run) ----
if [ "$(id -u)" = 0 ] && unshare -pf --mount-proc true 2>/dev/null; then
	ns_run() { # DIR: scorch heap PROG there, as the namespace's only processes
		(cd "$1" && timeout -k 5 60 unshare -pf --mount-proc "$SCORCH" heap -- "$PROG" >/dev/null 2>ns.err)
	}
	mkdir ns1
	ns_run ns1
	name=$(cd ns1 && ls alloc-counts.*.scorch)
	echo "    the program's profile in a fresh pid namespace: $name"
	check_match "default name" "$name" '^alloc-counts\.[0-9]+\.scorch$'
	check "default name: mode" "$(stat -c %a "ns1/$name")" 600
	cp "ns1/$name" ns1.copy
	ns_run ns1
	check_match "default name again: says so" "$(cat ns1/ns.err)" "^scorch: $name existed: renamed it to $name\.old$"
	check "default name again: the old one kept" "$(cmp -s ns1.copy "ns1/$name.old" && echo same)" same
	# a link to the victim at that name: moved aside, never written through
	mkdir ns2
	new_victim
	ln -s ../victim "ns2/$name"
	ns_run ns2
	check "default-name link: moved to .old" "$(readlink "ns2/$name.old")" ../victim
	check "default-name link: the profile is a file" "$(stat -c %F "ns2/$name")" "regular file"
	victim_intact "default-name link"
	# a link to a FIFO at that name: no hang (once: blocked in open() for good)
	mkdir ns3
	mkfifo ns3/fifo
	ln -s fifo "ns3/$name"
	start=$(date +%s%N)
	ns_run ns3; r=$?
	ms=$(( ($(date +%s%N) - start) / 1000000 ))
	echo "    with a link to a FIFO at its name: exit $r after $ms ms"
	check "default-name FIFO link: the launcher finished" "$r" 0
	check "default-name FIFO link: the link moved to .old" "$(readlink "ns3/$name.old")" fifo
	check "default-name FIFO link: the profile is a file" "$(stat -c %F "ns3/$name")" "regular file"
else
	echo "SKIP (part): the default-name checks need root and unshare for a pid namespace"
fi

# ---- -o naming a link to a FIFO nobody reads: fails clearly within a bound ----
mkfifo fifo
ln -s fifo ff.scorch
start=$(date +%s%N)
timeout -k 5 30 "$SCORCH" heap -o ff.scorch -- "$PROG" >/dev/null 2>ff.err; r=$?
ms=$(( ($(date +%s%N) - start) / 1000000 ))
echo "    -o a FIFO without a reader: exit $r after $ms ms"
check "-o FIFO without reader: fails (not killed by timeout)" "$r" 1
check_match "-o FIFO without reader: says why" "$(cat ff.err)" \
	'^scorch: cannot write the profile ff\.scorch: no process opened the FIFO for reading within 5 s$'
kept=$(sed -n 's/^scorch: warning: the raw recording is kept in //p' ff.err)
check_match "-o FIFO without reader: the raw recording is kept" "$(ls "$kept" 2>/dev/null)" '^raw\.[0-9]+\.0$'
rm -rf "$kept"
# ... and with a reader, the profile goes through it
cat fifo >viafifo.scorch &
cat_pid=$!
timeout -k 5 30 "$SCORCH" heap -o ff.scorch -- "$PROG" >/dev/null 2>/dev/null
check "-o FIFO with a reader: exit" "$?" 0
wait "$cat_pid"
check "-o FIFO with a reader: a profile came through" "$(is_profile viafifo.scorch)" profile

# ---- every command's -o: a planted link is refused, /dev/stdout works ----
"$SCORCH" record -o cpu.scorch -- "$PROGS/cpu-annotate" 300 >/dev/null 2>&1
check "cpu profile for the views" "$(is_profile cpu.scorch)" profile
# refused WHAT CMD ARGS...: scorch CMD -o out.link ARGS (a link to the victim)
refused() {
	local what=$1 cmd=$2
	shift 2
	new_victim
	rm -f out.link
	ln -s victim out.link
	"$SCORCH" "$cmd" -o out.link "$@" >ref.out 2>ref.err; local r=$?
	check "$what -o link: fails" "$([ "$r" -ne 0 ] && echo yes || echo "no (exit $r)")" yes
	check_match "$what -o link: says why" "$(cat ref.err)" 'symbolic link'
	check "$what -o link: left alone" "$(readlink out.link)" victim
	victim_intact "$what -o link"
}
refused "heap" heap -- "$PROG"
refused "record" record -- "$PROG"
refused "import" import keep.folded
refused "flame" flame cpu.scorch
refused "html" html cpu.scorch
refused "diff" diff cpu.scorch cpu.scorch
refused "export" export --format=folded cpu.scorch
refused "annotate" annotate cpu.scorch
# stdout through /dev/stdout (a pipe here): the same bytes as without -o
# where there is a plain stdout to compare with
"$SCORCH" export --format=folded cpu.scorch >exp.plain
"$SCORCH" export --format=folded -o /dev/stdout cpu.scorch | cat >exp.dev
check "export -o /dev/stdout: same output" "$(cmp -s exp.plain exp.dev && echo same)" same
"$SCORCH" annotate cpu.scorch >ann.plain 2>/dev/null
"$SCORCH" annotate -o /dev/stdout cpu.scorch 2>/dev/null | cat >ann.dev
check "annotate -o /dev/stdout: same output" "$(cmp -s ann.plain ann.dev && echo same)" same
"$SCORCH" flame -o /dev/stdout cpu.scorch 2>/dev/null | cat >fl.dev
check_match "flame -o /dev/stdout: an SVG" "$(head -c 300 fl.dev)" '<svg'
"$SCORCH" html -o /dev/stdout cpu.scorch 2>/dev/null | cat >ht.dev
check_match "html -o /dev/stdout: a page" "$(head -c 300 ht.dev)" '<!DOCTYPE html>'
"$SCORCH" diff -o /dev/stdout cpu.scorch cpu.scorch 2>/dev/null | cat >df.dev
check_match "diff -o /dev/stdout: the table, then an SVG" "$(cat df.dev)" '<svg'
"$SCORCH" import -o /dev/stdout keep.folded 2>/dev/null | cat >im.dev
check "import -o /dev/stdout: a profile" "$(is_profile im.dev)" profile
"$SCORCH" heap -o /dev/stdout -- "$PROG" 2>/dev/null | cat >hp.dev
check "heap -o /dev/stdout: a profile" "$(is_profile hp.dev)" profile
"$SCORCH" heap -o /dev/null -- "$PROG" 2>/dev/null
check "heap -o /dev/null: exit" "$?" 0
check "/dev/stdout and /dev/null are still what they were" "$(stat -L -c %F /dev/null)" "character special file"
check "no session directory left behind" "$(ls -d .scorch-* 2>/dev/null | wc -l)" 0

# ---- a second SIGTERM / SIGINT ends the launcher, keeping the raw recording ----
# the program ignores both (inherited SIG_IGN), so only the launcher can end
second_signal() { # SIG
	local sig=$1
	"$SCORCH" record -o sig.scorch -- sh -c 'trap "" TERM INT; exec "$0" 20000' "$PROGS/cpu-sleep" \
		>sig.out 2>sig.err &
	local lpid=$!
	# the program has started (its raw stream exists), so the launcher
	# waits for it with its handlers in place
	local t=0
	while ! ls .scorch-*/raw.*.0 >/dev/null 2>&1 && [ "$t" -lt 100 ]; do sleep 0.1; t=$((t + 1)); done
	sleep 0.3
	local ppid
	ppid=$(pgrep -P "$lpid" | head -1)
	kill -"$sig" "$lpid"
	sleep 0.5
	check "$sig once: the launcher waits on for the program" "$(kill -0 "$lpid" 2>/dev/null && echo waiting)" waiting
	kill -"$sig" "$lpid"
	t=0
	while kill -0 "$lpid" 2>/dev/null && [ "$t" -lt 50 ]; do sleep 0.1; t=$((t + 1)); done
	local still=no
	if kill -0 "$lpid" 2>/dev/null; then
		still=yes
		kill -KILL "$lpid"
	fi
	wait "$lpid"
	local r=$?
	check "$sig twice: the launcher ended within 5 s" "$still" no
	local want=143
	[ "$sig" = INT ] && want=130
	check "$sig twice: it ended by the signal" "$r" "$want"
	local dir
	dir=$(sed -n 's/.*the raw recording is kept in //p' sig.err)
	check_match "$sig twice: says where the raw recording is" "$(cat sig.err)" \
		'^scorch: stopped by a second signal while sh \(pid [0-9]+\) ran'
	local raw
	raw=$(ls "$dir" 2>/dev/null | grep -E '^raw\.[0-9]+\.0$' | head -1)
	check_match "$sig twice: the raw recording is there" "$raw" '^raw\.[0-9]+\.0$'
	check "$sig twice: the recording is the program's" "$raw" "raw.$ppid.0"
	# the program runs on (it got the first signal and ignored it): end it
	[ -n "$ppid" ] && kill -KILL "$ppid" 2>/dev/null
	[ -n "$dir" ] && rm -rf "$dir"
}
second_signal TERM
second_signal INT
# one TERM from timeout: passed on, and the program's profile is written
timeout -s TERM 1 "$SCORCH" record -o to.scorch -- "$PROGS/cpu-sleep" 20000 >/dev/null 2>to.err
check "timeout's TERM: the program's status" "$?" 124
check_match "timeout's TERM: the program died of it" "$(cat to.err)" 'killed by signal 15|SIGTERM|Terminated'
check "timeout's TERM: the profile is written" "$(is_profile to.scorch)" profile
# timeout signals its child and then its whole process group (us and the
# program): the two TERMs are one request, never a "second signal", however
# the launcher is scheduled between them (it was, in 5 of 12 runs at load 6)
twice=0
for i in 1 2 3 4 5 6 7 8; do
	rm -f to2.scorch
	timeout -s TERM 0.3 "$SCORCH" record -o to2.scorch -- "$PROGS/cpu-sleep" 20000 >/dev/null 2>to2.err
	{ grep -q "second signal" to2.err || [ "$(is_profile to2.scorch)" != profile ]; } && twice=$((twice + 1))
done
check "timeout's TERM, 8 runs: each wrote its profile, none took it for a second signal" "$twice" 0
rm -rf .scorch-*

# ---- the environment the program sees ----
SCORCH_DEPTH=7 SCORCH_HZ=5 SCORCH_FOLLOW=0 SCORCH_ROOT_PID=1 SCORCH_CALLS_MIN=9 \
	"$SCORCH" heap -o env.scorch -- env >env.out 2>/dev/null
names=$(grep -o '^SCORCH_[A-Z_]*' env.out | sort | tr '\n' ' ')
check_match "the program's SCORCH_ variables" "$names" '^SCORCH_DIR SCORCH_MODE (SCORCH_TICK_FS )?$'
check_match "LD_PRELOAD: the runtime first" "$(grep '^LD_PRELOAD=' env.out)" '^LD_PRELOAD=[^:]*/libscorch\.so$'
# put back after env -i, and no more than that
"$SCORCH" heap -o envi.scorch -- sh -c 'exec env -i env' >envi.out 2>/dev/null
check "after env -i: the same names" "$(grep -o '^[A-Z_]*=' envi.out | sort | tr '\n' ' ')" \
	"$( (grep -o '^SCORCH_[A-Z_]*=' env.out; echo LD_PRELOAD=) | sort | tr '\n' ' ')"
finish
