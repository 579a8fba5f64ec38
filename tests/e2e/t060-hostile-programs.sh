# Programs that do unfriendly things to the process scorch lives in: a child
# in a new pid namespace (pid 1 there), vfork and posix_spawn, fork without
# exec from many threads, its own SIGPROF/SIGALRM timers and SIGUSR1 handler
# with every signal blocked at the end, every descriptor closed and a chdir
# to /, a dlopen/dlclose loop. Each run: the program's stdout, stderr and
# exit status byte-identical to a run without scorch, heap counts exact
# (the program's own count, or valgrind's DHAT), and cut or damaged copies
# of the profiles refused by every view with a message, never a crash.
. "$ROOT/tests/e2e/lib.sh"

# same NAME MODE PROG ARGS...: runs PROG alone and under scorch MODE -o
# NAME.scorch; the program's output (stderr less scorch's lines) and status
# must be the same
same() {
	local name=$1 mode=$2
	shift 2
	"$@" >"$name.plain.out" 2>"$name.plain.err" </dev/null
	local prc=$?
	timeout 120 "$SCORCH" $mode -o "$name.scorch" -- "$@" >"$name.out" 2>"$name.err" </dev/null
	rc=$?
	grep -v '^scorch:' "$name.err" >"$name.prog.err"
	check "$name: exit status" "$rc" "$prc"
	check "$name: stdout identical" "$(cmp -s "$name.plain.out" "$name.out" && echo same)" same
	check "$name: stderr identical" "$(cmp -s "$name.plain.err" "$name.prog.err" && echo same)" same
}

# ---- -o with a child in a new pid namespace ----
# The child is pid 1 there: its raw stream (raw.1.N) sorted before the
# root's, and -o named the root's profile only when it came first, so the
# root's went to PROG.PID.scorch and NAME.scorch did not exist.
cat >pidns.c <<'EOS'
#define _GNU_SOURCE
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>
int main(void)
{
	if (unshare(CLONE_NEWPID) != 0) {
		perror("unshare");
		return 77;
	}
	for (int i = 0; i < 100; i++)
		free(malloc(i + 1));
	pid_t p = fork();
	if (p == 0) {
		for (int i = 0; i < 50; i++)
			free(malloc(7));
		execl("/bin/true", "true", (char *)NULL);
		_exit(3);
	}
	int st;
	waitpid(p, &st, 0);
	printf("child status %d\n", WEXITSTATUS(st));
	FILE *f = fopen("pidns.kid", "w");   /* its pid out here */
	if (f) {
		fprintf(f, "%d\n", (int)p);
		fclose(f);
	}
	return 0;
}
EOS
cc -O0 -o pidns pidns.c || fail "cannot build pidns.c"
if ./pidns >/dev/null 2>&1; then
	same pidns heap ./pidns
	check "pidns: -o names the root's profile" "$(test -s pidns.scorch && echo yes)" yes
	if [ -s pidns.scorch ]; then
		json pidns.scorch
		check "pidns: the root's allocations (100, stdout's buffer, fopen's FILE and buffer)" \
			"$(q pidns.scorch.json '.profiles[0].totals.allocations')" 103
		check_match "pidns: the root's command" "$(q pidns.scorch.json '.profiles[0].program.argv[0]')" 'pidns$'
	fi
	# the child by the pid its parent (and the launcher) knows, not the
	# namespace's 1: two such children were taken for one process
	kpid=$(cat pidns.kid)
	kid=$(ls pidns.$kpid.scorch 2>/dev/null)
	check "pidns: the child's own profile, by its pid outside" "$kid" "pidns.$kpid.scorch"
	check "pidns: no profile named for pid 1" "$(ls | grep -c '\.1\.scorch$')" 0
	if [ -n "$kid" ]; then
		json "$kid"
		check "pidns: the child's allocations" "$(q "$kid.json" '.profiles[0].totals.allocations')" 50
		check "pidns: the child's pid" "$(q "$kid.json" '.profiles[0].program.pid')" "$kpid"
	fi
else
	echo "SKIP: unshare(CLONE_NEWPID) is not allowed here (needs root): pid namespace checks"
fi

# ---- vfork and posix_spawn ----
cat >spawn.c <<'EOS'
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>
extern char **environ;
int main(void)
{
	for (int i = 0; i < 3; i++) {
		pid_t p = vfork();
		if (p == 0) {
			execl("/bin/sh", "sh", "-c", "echo vfork child; exit 7", (char *)NULL);
			_exit(127);
		}
		int st;
		waitpid(p, &st, 0);
		printf("vfork %d: %d\n", i, WEXITSTATUS(st));
		fflush(stdout);
		char *argv[] = { "sh", "-c", "echo spawn child >&2; exit 5", NULL };
		if (posix_spawn(&p, "/bin/sh", NULL, NULL, argv, environ) != 0)
			return 2;
		waitpid(p, &st, 0);
		printf("spawn %d: %d\n", i, WEXITSTATUS(st));
		fflush(stdout);
		free(malloc(100 + i));
	}
	return 3;
}
EOS
cc -O0 -o spawn spawn.c || fail "cannot build spawn.c"
for m in heap record; do
	same spawn-$m $m ./spawn
	check "spawn-$m: vfork children's status" "$(grep -Ec '^scorch: sh \(pid [0-9]+\), exit status 7$' spawn-$m.err)" 3
	check "spawn-$m: spawned children's status" "$(grep -Ec '^scorch: sh \(pid [0-9]+\), exit status 5$' spawn-$m.err)" 3
done
json spawn-heap.scorch
check "spawn: the parent's allocations (3 and stdout's buffer)" "$(q spawn-heap.scorch.json '.profiles[0].totals.allocations')" 4

# ---- its own timers and signal handlers ----
# ITIMER_PROF until 50 SIGPROFs, ITIMER_REAL until 20 SIGALRMs, 100 raised
# SIGUSR1s whose handler allocates, then every signal blocked and a sigwait.
# It counts its own allocations: the profile must have exactly those.
cat >sigs.c <<'EOS'
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <unistd.h>
static volatile sig_atomic_t prof, alrm, usr1;
static void h(int s)
{
	if (s == SIGPROF)
		prof++;
	else if (s == SIGALRM)
		alrm++;
	else {
		usr1++;
		free(malloc(10));
	}
}
int main(void)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = h;
	sigaction(SIGPROF, &sa, NULL);
	sigaction(SIGALRM, &sa, NULL);
	sigaction(SIGUSR1, &sa, NULL);
	struct itimerval it = { { 0, 2000 }, { 0, 2000 } }, z = { { 0, 0 }, { 0, 0 } };
	setitimer(ITIMER_PROF, &it, NULL);
	volatile double x = 0;
	long n = 0;
	while (prof < 50) {
		for (int i = 0; i < 10000; i++)
			x += i;
		free(malloc(32));
		n++;
	}
	setitimer(ITIMER_PROF, &z, NULL);
	setitimer(ITIMER_REAL, &it, NULL);
	while (alrm < 20)
		pause();
	setitimer(ITIMER_REAL, &z, NULL);
	for (int i = 0; i < 100; i++)
		raise(SIGUSR1);
	sigset_t all, one;
	sigfillset(&all);
	sigprocmask(SIG_BLOCK, &all, NULL);
	kill(getpid(), SIGUSR1);
	sigemptyset(&one);
	sigaddset(&one, SIGUSR1);
	int s;
	sigwait(&one, &s);
	signal(SIGPROF, SIG_IGN);
	printf("prof %d alrm %d usr1 %d sig %d\n", prof >= 50, alrm >= 20, (int)usr1, s);
	fprintf(stderr, "%ld\n", n + (long)usr1 + 1);   /* + stdout's buffer */
	return 9;
}
EOS
cc -O0 -o sigs sigs.c || fail "cannot build sigs.c"
for m in heap record "record --wall"; do
	nm=sigs-${m// /}
	"$SCORCH" $m -o "$nm.scorch" -- ./sigs >"$nm.out" 2>"$nm.err" </dev/null
	check "$nm: exit status" "$?" 9
	check "$nm: output" "$(cat "$nm.out")" "prof 1 alrm 1 usr1 100 sig 10"
	check "$nm: its stderr, first" "$(head -1 "$nm.err" | grep -Ec '^[0-9]+$')" 1
	"$SCORCH" report "$nm.scorch" >/dev/null 2>&1 || fail "$nm: report exited $?"
done
json sigs-heap.scorch
check "sigs: allocations, as the program counted them" "$(q sigs-heap.scorch.json '.profiles[0].totals.allocations')" \
	"$(head -1 sigs-heap.err)"

# ---- fork without exec from 8 threads ----
cat >forkthr.c <<'EOS'
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>
static void *w(void *a)
{
	long id = (long)a, sum = 0;
	for (int i = 0; i < 5; i++) {
		void *p = malloc(64);
		pid_t c = fork();
		if (c == 0) {
			free(malloc(128));
			_exit((int)(id * 10 + i));
		}
		int st;
		waitpid(c, &st, 0);
		sum += WEXITSTATUS(st);
		free(p);
	}
	return (void *)sum;
}
int main(void)
{
	pthread_t t[8];
	for (long i = 0; i < 8; i++)
		pthread_create(&t[i], NULL, w, (void *)i);
	long tot = 0;
	for (int i = 0; i < 8; i++) {
		void *r;
		pthread_join(t[i], &r);
		tot += (long)r;
	}
	printf("total %ld\n", tot);
	return 0;
}
EOS
cc -O0 -pthread -o forkthr forkthr.c || fail "cannot build forkthr.c"
same forkthr heap ./forkthr
check "forkthr: output" "$(cat forkthr.out)" "total 1480"
check "forkthr: a profile per process" "$(ls forkthr*.scorch | wc -l)" 41
# each child's status, as its parent saw it (the root's 0 among them)
check "forkthr: every process's status" \
	"$(sed -n 's/^scorch: \.\/forkthr (pid [0-9]*), exit status \([0-9]*\)$/\1/p' forkthr.err | sort -n | tr '\n' ' ')" \
	"0 $(for t in 0 1 2 3 4 5 6 7; do for i in 0 1 2 3 4; do echo $((t * 10 + i)); done; done | sort -n | tr '\n' ' ')"
check "forkthr: each child's one allocation" \
	"$("$SCORCH" report --json forkthr.[0-9]*.scorch | jq '[.profiles[].totals.allocations] | map(select(. == 1)) | length')" 40

# ---- every descriptor closed, then chdir to / ----
cat >closefds.c <<'EOS'
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>
int main(int argc, char **argv)
{
	if (argv[1][0] == 'l')
		for (int fd = 3; fd < 65536; fd++)
			close(fd);
	else
		syscall(SYS_close_range, 3, ~0U, 0);
	for (int i = 0; i < 1000; i++) {
		char *p = malloc(100);
		memset(p, 1, 100);
		free(p);
	}
	if (chdir("/") != 0)
		return 1;
	for (int i = 0; i < 1000; i++)
		free(malloc(200));
	printf("done\n");
	return 6;
}
EOS
cc -O0 -o closefds closefds.c || fail "cannot build closefds.c"
for m in loop range; do
	same closefds-$m heap ./closefds $m
	json closefds-$m.scorch
	check "closefds-$m: allocations (2000 and stdout's buffer)" "$(q closefds-$m.scorch.json '.profiles[0].totals.allocations')" 2001
	check "closefds-$m: bytes" "$(q closefds-$m.scorch.json '.profiles[0].totals.bytes')" $((1000 * 100 + 1000 * 200 + 4096))
done

# ---- dlopen/dlclose in a loop, beside DHAT ----
cat >dlloop.c <<'EOS'
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
int main(int argc, char **argv)
{
	int n = atoi(argv[1]);
	double s = 0;
	for (int i = 0; i < n; i++) {
		void *h = dlopen(i % 2 ? "libz.so.1" : "libm.so.6", RTLD_NOW | RTLD_LOCAL);
		if (!h)
			return 1;
		if (i % 2)
			s += ((const char *(*)(void))dlsym(h, "zlibVersion"))()[0];
		else
			s += ((double (*)(double))dlsym(h, "cos"))(i);
		free(malloc(i + 1));
		dlclose(h);
	}
	printf("dl %d %.3f\n", n, s);
	return 0;
}
EOS
cc -O0 -o dlloop dlloop.c -ldl || fail "cannot build dlloop.c"
same dlloop heap ./dlloop 40
json dlloop.scorch
if command -v valgrind >/dev/null 2>&1; then
	valgrind --tool=dhat --dhat-out-file=dlloop.dhat ./dlloop 40 >/dev/null 2>dlloop.vg
	dh=$(sed -n 's/.*Total: *\([0-9,]*\) bytes in \([0-9,]*\) blocks.*/\2 \1/p' dlloop.vg | tr -d ,)
	gm=$(sed -n 's/.*At t-gmax: *\([0-9,]*\) bytes in \([0-9,]*\) blocks.*/\2 \1/p' dlloop.vg | tr -d ,)
	check "dlloop: blocks and bytes, as DHAT's" "$(q dlloop.scorch.json '.profiles[0].totals | "\(.allocations) \(.bytes)"')" "$dh"
	check "dlloop: peak, as DHAT's t-gmax" "$(q dlloop.scorch.json '.profiles[0].totals | "\(.peak_blocks) \(.peak_bytes)"')" "$gm"
else
	echo "SKIP: valgrind is not installed (scripts/install-deps.sh installs it): DHAT comparison"
fi

# ---- signals the program sends to its own process group ----
# kill(0, SIG) reaches every process of the group, the launcher too: TERM,
# HUP and INT counted as a second stop signal and ended the launcher (exit
# 129, nothing finalized, the program left running), and USR1/USR2/ALRM
# ended it at once. Each run in a session of its own (setsid), so that the
# signals reach no one else.
cat >pgkill.c <<'EOS'
#define _GNU_SOURCE
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
static volatile sig_atomic_t got[65];
static void h(int s) { got[s]++; }
int main(void)
{
	static const int sigs[] = { SIGTERM, SIGHUP, SIGINT, SIGUSR1, SIGUSR2, SIGALRM };
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = h;
	for (int i = 0; i < 6; i++)
		sigaction(sigs[i], &sa, NULL);
	for (int i = 0; i < 6; i++) {
		kill(0, sigs[i]);
		struct timespec ts = { 0, 50000000 };
		while (nanosleep(&ts, &ts) != 0)
			;
	}
	for (int i = 0; i < 1000; i++)
		free(malloc(24));
	for (int i = 0; i < 6; i++)
		printf("%d ", got[sigs[i]]);
	printf("\n");
	return 5;
}
EOS
cc -O0 -o pgkill pgkill.c || fail "cannot build pgkill.c"
for m in heap record; do
	setsid -w "$SCORCH" $m -o pgkill-$m.scorch -- ./pgkill >pgkill-$m.out 2>pgkill-$m.err </dev/null
	check "pgkill-$m: exit status" "$?" 5
	check "pgkill-$m: each signal once" "$(cat pgkill-$m.out)" "1 1 1 1 1 1 "
	check "pgkill-$m: profile written" "$(test -s pgkill-$m.scorch && echo yes)" yes
done
[ -s pgkill-heap.scorch ] && json pgkill-heap.scorch &&
	check "pgkill: allocations (1000 and stdout's buffer)" "$(q pgkill-heap.scorch.json '.profiles[0].totals.allocations')" 1001
# a shell's `kill 0` (TERM to its group) at its end, after a subshell (a
# grandchild of the launcher) sent USR1 and HUP to the group
k0='trap "" HUP USR1; (kill -USR1 0; kill -HUP 0; echo sub); echo done; kill 0'
setsid -w bash -c "$k0" >k0.plain 2>k0.plain.err </dev/null
prc=$?
setsid -w "$SCORCH" record -o k0.scorch -- bash -c "$k0" >k0.out 2>k0.err </dev/null
check "kill 0: exit status" "$?" "$prc"
check "kill 0: exit status is TERM's" "$prc" 143
check "kill 0: output" "$(cat k0.out)" "$(cat k0.plain)"
check "kill 0: profile written" "$(test -s k0.scorch && echo yes)" yes

# ---- a forked child's sampling (fork without exec) ----
# Its stream did not say how it was sampled: "0 samples from unknown at 0 Hz
# requested", and under --wall none of its off-CPU time (spread at that
# rate): its 300 ms nanosleep was missing.
cat >forkwall.c <<'EOS'
#include <stdio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
static void spin(long n)
{
	volatile double x = 0;
	for (long i = 0; i < n; i++)
		x += i;
}
int main(void)
{
	pid_t p = fork();
	if (p == 0) {
		spin(20000000);
		struct timespec ts = { 0, 300000000 };
		nanosleep(&ts, NULL);
		_exit(0);
	}
	int st;
	waitpid(p, &st, 0);
	printf("ok\n");
	return 0;
}
EOS
cc -O0 -o forkwall forkwall.c || fail "cannot build forkwall.c"
"$SCORCH" record --wall -o forkwall.scorch -- ./forkwall >forkwall.out 2>forkwall.err
check "forkwall: exit status" "$?" 0
kid=$(ls forkwall.[0-9]*.scorch 2>/dev/null)
check "forkwall: the child's profile" "$(echo "$kid" | grep -c .)" 1
if [ -n "$kid" ]; then
	"$SCORCH" report --json "$kid" >kid.json
	check_match "forkwall: the child's sampling source" "$(jq -r '.. | objects | select(has("requested_hz")) | .source' kid.json)" '^(perf cpu-clock|perf task-clock|timer_create)$'
	check "forkwall: the child's rate" "$(jq -r '.. | objects | select(has("requested_hz")) | .requested_hz' kid.json)" 999
	slept=$("$SCORCH" export -F folded "$kid" | awk '/;nanosleep;\[off-CPU\] / { s += $NF } END { print s + 0 }')
	# 300 ms at 999 Hz: 299-300 samples, more when the wake-up came late
	check_ge "forkwall: the child's nanosleep, off-CPU samples" "$slept" 290
	check_ge "forkwall: ... and no more than 1 s of them" 999 "$slept"
fi

# ---- a set-user-ID program, scorch run by another user ----
# The kernel refuses to let that user sample it once it runs: scorch exited
# 1 though the program exited 0, said the program "died at once?" and kept
# an empty raw recording. Now: the program's status, the reason, no
# leftovers (or a profile, where the kernel allows it: perf_event_paranoid).
if [ "$(id -u)" = 0 ] && command -v setpriv >/dev/null 2>&1; then
	mkdir -p suid && chmod 777 suid && cp /bin/sleep suid/sleep-suid && chmod 4755 suid/sleep-suid
	if setpriv --reuid=65534 --regid=65534 --clear-groups test -x "$WORK/suid/sleep-suid" 2>/dev/null; then
		(cd suid && setpriv --reuid=65534 --regid=65534 --clear-groups \
			"$SCORCH" record -o s.scorch -- ./sleep-suid 0.3 >../suid.out 2>../suid.err </dev/null)
		check "setuid: exit status (sleep's)" "$?" 0
		sed 's/^/    /' suid.err
		if [ -s suid/s.scorch ]; then
			echo "    (the kernel let another user sample it: perf_event_paranoid $(cat /proc/sys/kernel/perf_event_paranoid))"
		else
			check_match "setuid: why nothing was recorded" "$(cat suid.err)" 'Permission denied \(it runs set-user-ID or set-group-ID: only root or CAP_PERFMON may sample it'
		fi
		check "setuid: no died-at-once guess" "$(grep -c 'died at once' suid.err)" 0
		check "setuid: no raw recording left" "$(ls -a suid | grep -c '^\.scorch-')" 0
	else
		echo "SKIP: WORK is not reachable by another user: set-user-ID checks"
	fi
else
	echo "SKIP: needs root and setpriv: set-user-ID checks"
fi

# ---- a file size limit (ulimit -f) ----
# The runtime's writes past the program's limit sent it SIGXFSZ: with
# ulimit -f 100 (100 KiB) the program was killed (exit 153) once its raw
# stream reached that size; with ulimit -f 0 the runtime's one-line
# warning to a stderr file did the same. Writes that would pass the limit
# are now left undone and counted lost (the profile says truncated).
cat >many.c <<'EOS'
#include <stdio.h>
#include <stdlib.h>
int main(void)
{
	for (int i = 0; i < 200000; i++)
		free(malloc(16 + (i % 64)));
	printf("many done\n");
	return 0;
}
EOS
cc -O0 -o many many.c || fail "cannot build many.c"
"$SCORCH" heap -o fsz.scorch -- bash -c 'ulimit -f 100; exec ./many' 2>fsz.err | cat >fsz.out
check "ulimit -f 100: exit status" "${PIPESTATUS[0]}" 0
check "ulimit -f 100: output" "$(cat fsz.out)" "many done"
kid=$(ls many.[0-9]*.scorch 2>/dev/null)
check "ulimit -f 100: the program's profile" "$(echo "$kid" | grep -c .)" 1
[ -n "$kid" ] && json "$kid" && check "ulimit -f 100: marked truncated" "$(q "$kid.json" '.profiles[0].program.truncated')" true
for m in heap record; do
	"$SCORCH" $m -o fsz0-$m.scorch -- bash -c 'ulimit -f 0; exec ./many' 2>fsz0-$m.err | cat >fsz0-$m.out
	check "ulimit -f 0, $m: exit status" "${PIPESTATUS[0]}" 0
	check "ulimit -f 0, $m: output" "$(cat fsz0-$m.out)" "many done"
done

# ---- the program's descriptors ----
# libunwind opened its address-validation pipe at the lowest free numbers
# inside the runtime: 3 and 4 in every program (its first open got 5, and
# /proc/self/fd listed two more), 0 and 1 when it ran with stdin and stdout
# closed, so that its writes to the closed stdout went into that pipe (16 of
# 100 4 KiB writes "succeeded"). The runtime's own are at 900 and up.
cat >fds.c <<'EOS'
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
int main(void)
{
	char buf[4096];
	memset(buf, 'x', sizeof buf);
	int ok = 0;
	for (int i = 0; i < 100; i++)
		ok += write(1, buf, sizeof buf) > 0;
	for (int i = 0; i < 10000; i++)
		free(malloc(32));
	int fd = open("/dev/null", O_RDONLY);
	dprintf(2, "writes to stdout: %d; first open: %d; open below 900:", ok, fd);
	for (int d = 0; d < 900; d++)
		if (fcntl(d, F_GETFD) >= 0)
			dprintf(2, " %d", d);
	dprintf(2, "\n");
	return 0;
}
EOS
cc -O0 -o fds fds.c || fail "cannot build fds.c"
./fds >&- <&- 2>fds.plain
for m in heap record "record --wall"; do
	nm=fds-${m// /}
	"$SCORCH" $m -o "$nm.scorch" -- ./fds >&- <&- 2>"$nm.err"
	check "$nm: exit status" "$?" 0
	check "$nm: writes, open descriptors" "$(grep -v '^scorch:' "$nm.err")" "$(cat fds.plain)"
done
./fds >/dev/null 2>fds.plain2
"$SCORCH" heap -o fds-open.scorch -- ./fds >/dev/null 2>fds-open.err
check "fds, stdout open: descriptors" "$(grep -v '^scorch:' fds-open.err)" "$(cat fds.plain2)"

# ---- cut and damaged profiles: every view refuses them with a message ----
views=("report" "report --json" "flame -o /dev/null" "html -o /dev/null" "export -F folded" "export -F pprof -o /dev/null"
       "export -F speedscope" "export -F chrome" "export -F dhat" "export -F massif")
bad=0 n=0
for f in spawn-heap.scorch sigs-record.scorch sigs-record--wall.scorch; do
	sz=$(stat -c %s "$f")
	head -c $((sz / 2)) "$f" >cut.scorch
	cp "$f" flip.scorch
	printf '\377' | dd of=flip.scorch bs=1 seek=$((sz - 20)) conv=notrunc 2>/dev/null
	for c in cut.scorch flip.scorch; do
		for v in "${views[@]}"; do
			timeout 60 "$SCORCH" $v "$c" >/dev/null 2>view.err
			r=$?
			n=$((n + 1))
			if [ "$r" -eq 0 ] || [ "$r" -ge 124 ] || ! grep -q '^scorch' view.err; then
				bad=$((bad + 1))
				echo "    $f $c: scorch $v exited $r: $(head -c 200 view.err)"
			fi
		done
	done
done
check "damaged profiles: views that did not refuse with a message (of $n)" "$bad" 0

finish
