# Programs nobody here wrote, as a user runs them: a compiler driver and its
# passes, shells, a stripped library. Each check is a defect seen on them:
# the child processes' exit status, the names a process goes by, frames of
# code without symbols grouped per function, and wall time of a process that
# only waits.
. "$ROOT/tests/e2e/lib.sh"

# ---- exit status of processes the launcher does not wait for ----
# gcc's passes return from main: libc's exit, not the interposed one. Each
# child's summary line must carry the status its parent saw.
if command -v gcc >/dev/null 2>&1; then
	printf 'int f(int x) { return x * 3; }\nint main(void) { return f(2); }\n' >x.c
	"$SCORCH" record -- gcc -O2 -c x.c >gcc.out 2>gcc.err
	check "gcc: exit" "$?" 0
	check "gcc: x.o built" "$(test -s x.o && echo yes)" yes
	grep -E '^scorch: .*\(pid [0-9]+\)' gcc.err | grep -v '^scorch: most of the run' >gcc.procs
	nproc_lines=$(wc -l <gcc.procs)
	check_ge "gcc: processes summarized" "$nproc_lines" 3
	check "gcc: every process has an exit status" \
		"$(grep -Evc 'exit status [0-9]+$|replaced by exec$' gcc.procs)" 0
	check_match "gcc: cc1's status" "$(cat gcc.err)" 'cc1 \(pid [0-9]+\), exit status 0'
	# one name per process everywhere: the basename of its argv[0] (gcc,
	# as), never the file its exe link resolves to (x86_64-linux-gnu-gcc-12)
	check "gcc: the driver's file" "$(ls gcc.*.scorch 2>/dev/null | wc -l)" 1
	check "gcc: the assembler's file" "$(ls as.*.scorch 2>/dev/null | wc -l)" 1
	check "gcc: no file by the resolved name" "$(ls | grep -c 'x86_64-linux-gnu')" 0
	check_match "gcc: the run's summary names them so" "$(grep '^scorch: most of the run' gcc.err)" \
		'most of the run is in cc1\.[0-9]+\.scorch: cc1 \(pid [0-9]+\).*; 2 others: (gcc, as|as, gcc)$'
	"$SCORCH" report --merge gcc.*.scorch >gcc.merge 2>&1
	check "gcc: merged report" "$?" 0
	check "gcc: merged: the driver's top frame" "$(grep -Ec '^ +[0-9.]+% +[0-9.]+% +gcc \(pid [0-9]+\)$' gcc.merge)" 1
	check "gcc: merged: no top frame by the resolved name" "$(grep -Ec '[─ ]x86_64-linux-gnu-[a-z0-9-]+ \(pid' gcc.merge)" 0
fi
# a child that returns 300 from main (the parent sees 44) and one that ends
# in errx(3) (exit called inside libc)
cat >ex.c <<'EOS'
#include <err.h>
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>
int main(int argc, char **argv)
{
	if (argc > 1) {
		if (argv[1][0] == 'e')
			errx(3, "from libc");
		return 300;
	}
	for (int i = 0; i < 2; i++) {
		pid_t p = fork();
		if (p == 0) {
			execl("/proc/self/exe", "exkid", i ? "e" : "r", (char *)NULL);
			_exit(126);
		}
		int st;
		waitpid(p, &st, 0);
		printf("child %d: %d\n", i, WEXITSTATUS(st));
	}
	return 0;
}
EOS
cc -o ex ex.c
"$SCORCH" record -- ./ex >ex.out 2>ex.err
check "exit kids: exit" "$?" 0
check "exit kids: output" "$(tr '\n' ' ' <ex.out)" "child 0: 44 child 1: 3 "
check_match "exit kids: return from main" "$(cat ex.err)" 'exkid \(pid [0-9]+\), exit status 44'
check_match "exit kids: errx" "$(cat ex.err)" 'exkid \(pid [0-9]+\), exit status 3'

# a process that waits in sigwait (as servers waiting for a stop signal do)
cat >sigw.c <<'EOS'
#include <signal.h>
#include <stdio.h>
#include <sys/time.h>
int main(void)
{
	sigset_t m;
	int sig = 0;
	sigemptyset(&m);
	sigaddset(&m, SIGALRM);
	sigprocmask(SIG_BLOCK, &m, NULL);
	struct itimerval it = { { 0, 0 }, { 0, 400000 } };
	setitimer(ITIMER_REAL, &it, NULL);
	sigwait(&m, &sig);
	printf("got %d\n", sig);
	return 0;
}
EOS
cc -O1 -o sigw sigw.c
"$SCORCH" record --wall -o sigw.scorch -- ./sigw >sigw.out 2>sigw.err
check "sigwait --wall: exit and output" "$?:$(cat sigw.out)" "0:got 14"
off=$(sed -n 's/.*wall clock: [0-9,]* on-CPU and \([0-9,]*\) off-CPU.*/\1/p' sigw.err | tr -d ,)
check_ge "sigwait --wall: its 400 ms blocked (off-CPU samples at 999 Hz)" "${off:-0}" 380

# ---- a stripped library's static function is one frame ----
# liblzma as Debian ships it keeps only .dynsym: xz -9's samples made one
# frame per address ([liblzma.so.5+0x1692b], +0x16904, ... 212 functions).
# Here: a static function, hot, in a library stripped the same way; every
# sample in it must be the one frame named by its start (its FDE's), which
# nm reads from the unstripped copy.
cat >t57lib.c <<'EOS'
static volatile unsigned long sink;
__attribute__((noinline)) static unsigned long hot(unsigned long n)
{
	unsigned long a = 1, b = 2;
	for (unsigned long i = 0; i < n; i++) {
		a = a * 2862933555777941757ul + 3037000493ul + b;
		b ^= a >> 7;
		if (a & 1)
			b += i;
	}
	return a ^ b;
}
unsigned long t57_entry(unsigned long n) { sink = hot(n); return sink; }
EOS
cat >t57main.c <<'EOS'
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
unsigned long t57_entry(unsigned long n);
int main(void)
{
	struct timespec t0, t;
	unsigned long x = 0;
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t0);
	do {   /* 400 ms of CPU, whatever the machine's load */
		x += t57_entry(200000);
		clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
	} while ((t.tv_sec - t0.tv_sec) * 1000000000L + t.tv_nsec - t0.tv_nsec < 400000000L);
	printf("%lu\n", x & 1);
	return 0;
}
EOS
cc -O2 -fPIC -shared -o libt57full.so t57lib.c && cp libt57full.so libt57.so && strip --strip-all libt57.so &&
	cc -O2 -o t57main t57main.c -L. -lt57 -Wl,-rpath,"$WORK"
check "stripped: the library keeps no static symbol" "$(nm libt57.so 2>&1 | grep -c ' t hot')" 0
hot_off=$(nm libt57full.so | awk '$3 ~ /^hot/ { print $1 }' | sed 's/^0*//')
check_match "stripped: hot's address" "$hot_off" '^[0-9a-f]+$'
"$SCORCH" record -o strip.scorch -- ./t57main >strip.out 2>strip.err
check "stripped: exit" "$?" 0
"$SCORCH" export --format=folded strip.scorch >strip.folded
# the innermost frame of each stack in the library
awk '{ c = $NF; sub(/ [0-9]+$/, ""); n = split($0, f, ";"); if (f[n] ~ /libt57/) s[f[n]] += c }
	END { for (k in s) print s[k], k }' strip.folded | sort >strip.leaves
cat strip.leaves
check "stripped: one frame for the static function" "$(wc -l <strip.leaves)" 1
check "stripped: named by its start" "$(awk '{ print $2 }' strip.leaves)" "[libt57.so+0x$hot_off]"
check_ge "stripped: its samples" "$(awk '{ s += $1 } END { print s + 0 }' strip.leaves)" 200
"$SCORCH" report strip.scorch >strip.report
check_match "stripped: the report's hottest" "$(grep -A2 '^Top functions by self' strip.report | tail -1)" \
	"\[libt57\.so\+0x$hot_off\]"

# ---- a process that only waits has its wall time ----
# dash waits for its commands in wait3 (glibc's wait3 calls its wait4
# inside libc): under --wall the shell had 0 off-CPU samples while its
# sleep had 500. Both wait the same time: the shell's off-CPU samples must
# be at least 90% of the sleep's.
"$SCORCH" record --wall -o dash.scorch -- dash -c 'sleep 0.5; echo done' >dash.out 2>dash.err
check "dash --wall: exit" "$?" 0
check "dash --wall: output" "$(cat dash.out)" done
offcpu() { # the off-CPU samples in the summary of the process named $1
	awk -v who="$1" '/^scorch: [^ ]/ { cur = ($2 == who) } cur && /wall clock:/ { gsub(/,/, ""); print $(NF - 2); exit }' dash.err
}
sh_off=$(offcpu dash)
sl_off=$(offcpu sleep)
check_ge "dash --wall: the sleep's off-CPU samples" "$sl_off" 450
check_ge "dash --wall: the shell's off-CPU samples" "$((sh_off * 10))" "$((sl_off * 9))"

# ---- a non-PIE program that takes malloc's address ----
# Debian's python3.11 is one: its malloc is undefined with the value of its
# PLT entry, which dlsym returns, and 'scorch heap' warned that python3
# "defines malloc, free" and bypasses scorch while its allocations were
# all seen.
cat >nopie.c <<'EOS'
#include <stdio.h>
#include <stdlib.h>
void *(*volatile alloc_fn)(size_t);
void (*volatile free_fn)(void *);
int main(void)
{
	static void *keep[1000];
	alloc_fn = malloc;   /* in code: a canonical PLT entry */
	free_fn = free;
	for (int i = 0; i < 1000; i++)
		keep[i] = alloc_fn(64);
	for (int i = 0; i < 1000; i++)
		free_fn(keep[i]);
	puts("nopie ok");
	return 0;
}
EOS
cc -O1 -no-pie -fno-pie -o nopie nopie.c
check "non-PIE: malloc is its PLT entry" "$(readelf --dyn-syms -W nopie | awk '$8 == "malloc@GLIBC_2.2.5" || $8 ~ /^malloc@/ { print ($2 != "0000000000000000") }' | head -1)" 1
"$SCORCH" heap -o nopie.scorch -- ./nopie >nopie.out 2>nopie.err
check "non-PIE: exit and output" "$?:$(cat nopie.out)" "0:nopie ok"
check "non-PIE: no bypass warning" "$(grep -c 'bypasses scorch' nopie.err)" 0
n_alloc=$(sed -n 's/^scorch:   \([0-9,]*\) allocations.*/\1/p' nopie.err | tr -d ,)
check_ge "non-PIE: its allocations seen" "${n_alloc:-0}" 1000
check_ge "non-PIE: and no more than its own and stdio's" 1002 "${n_alloc:-9999}"

# ---- a program that closes every descriptor at start ----
# Daemons and closefrom(3) users close all descriptors: the sampling
# counters went with them and such a program had 0 samples over 300 ms of
# CPU. The program's close, close_range, closefrom and syscall(SYS_close_range)
# leave the runtime's open.
cat >closeall.c <<'EOS'
#define _GNU_SOURCE
#include <stdio.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>
static volatile unsigned long sink;
int main(int argc, char **argv)
{
	switch (argv[1][0]) {
	case 'l': for (int fd = 3; fd < 4096; fd++) close(fd); break;
	case 'r': close_range(3, ~0u, 0); break;
	case 'f': closefrom(3); break;
	case 's': syscall(SYS_close_range, 3u, ~0u, 0); break;
	}
	struct timespec t0, t;
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t0);
	do {   /* 300 ms of CPU */
		for (int i = 0; i < 100000; i++)
			sink += i;
		clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
	} while ((t.tv_sec - t0.tv_sec) * 1000000000L + t.tv_nsec - t0.tv_nsec < 300000000L);
	printf("closed %c\n", argv[1][0]);
	return 0;
}
EOS
cc -O1 -o closeall closeall.c
for how in loop range from syscall; do
	"$SCORCH" record -o close-$how.scorch -- ./closeall $how >close-$how.out 2>close-$how.err
	check "closed by $how: exit and output" "$?:$(cat close-$how.out)" "0:closed ${how:0:1}"
	ns=$(sed -n 's/^scorch:   \([0-9,]*\) samples* from .* over \([0-9.]*\) ms of CPU.*/\1 \2/p' close-$how.err | tr -d ,)
	# samples at 999 Hz: at least 80% of the CPU time's milliseconds
	check_ge "closed by $how: sampled after it (samples x 100 vs 80 x CPU ms)" "$(( ${ns%% *} * 100 ))" \
		"$(awk -v ms="${ns#* }" 'BEGIN { printf "%d", ms * 80 }')"
done

# ---- a program run under a low descriptor limit ----
# 'ulimit -n 4; exec cat FILE' has room for one file: the runtime's stream
# (and counter) took it, and cat failed with 'Too many open files' under
# scorch only. Under a hard limit that low the stream is opened per write
# and the CPU-time timer samples; under a low soft limit only, the runtime's
# descriptors go above it and the program still sees its own limit.
echo content >small.txt
for mode in record heap "record --wall"; do
	"$SCORCH" $mode -o lim.scorch -- sh -c 'ulimit -n 4; exec cat small.txt' >lim.out 2>lim.err
	check "ulimit -n 4, $mode: exit and output" "$?:$(cat lim.out)" "0:content"
	check "ulimit -n 4, $mode: no descriptor taken" "$(grep -c 'Too many open files' lim.err | head -1)" \
		"$(grep -c 'perf_event_open: Too many open files' lim.err | head -1)"
	check "ulimit -n 4, $mode: profiles" "$(ls lim.scorch cat.*.scorch 2>/dev/null | wc -l)" 2
	rm -f cat.*.scorch
done
"$SCORCH" record -o soft.scorch -- bash -c 'ulimit -S -n 16; exec bash -c "ulimit -S -n; cat small.txt"' >soft.out 2>soft.err
check "ulimit -S -n 16: exit, the limit the program sees, output" "$?:$(tr '\n' ' ' <soft.out)" "0:16 content "
check "ulimit -S -n 16: every image sampled by perf" \
	"$(grep -Ec 'samples? from perf cpu-clock' soft.err):$(grep -Ec 'samples? from timer' soft.err)" "3:0"

# ---- a child forked by a raw clone3 system call ----
# No atfork handler runs: the child's 200,000 allocations were written into
# the parent's stream, as the parent's (199,911 of them, under its pid).
cat >cl3.c <<'EOS'
#define _GNU_SOURCE
#include <linux/sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
int main(void)
{
	struct clone_args ca = { .exit_signal = SIGCHLD };
	long c = syscall(SYS_clone3, &ca, sizeof(ca));
	if (c == 0) {
		for (int i = 0; i < 200000; i++) {
			void *volatile p = malloc(32);
			free(p);
		}
		_exit(9);
	}
	int st;
	waitpid((pid_t)c, &st, 0);
	printf("child %d\n", WEXITSTATUS(st));
	return 0;
}
EOS
cc -O1 -o cl3 cl3.c
"$SCORCH" heap -o cl3.scorch -- ./cl3 >cl3.out 2>cl3.err
check "clone3: exit and output" "$?:$(cat cl3.out)" "0:child 9"
kid=$(ls cl3.*.scorch 2>/dev/null | head -1)
check_match "clone3: the child's own profile" "$kid" '^cl3\.[0-9]+\.scorch$'
allocs_of() { "$SCORCH" report --json "$1" 2>/dev/null | jq '.profiles[0].totals.allocations'; }
check "clone3: the child's allocations" "$(allocs_of "$kid")" 200000
check_ge "clone3: none of them in the parent's (at most stdio's)" 1 "$(allocs_of cl3.scorch)"
check_match "clone3: the child's status" "$(cat cl3.err)" 'cl3 \(pid [0-9]+\), exit status 9'

# ---- a program that ends by syscall(SYS_exit_group) ----
# Its buffered events were lost ('ended without a final flush', 0 of its
# 1000 allocations): the system call through libc's syscall() flushes as
# _exit does.
cat >eg.c <<'EOS'
#include <stdlib.h>
#include <sys/syscall.h>
#include <unistd.h>
int main(void)
{
	for (int i = 0; i < 1000; i++) {
		void *volatile p = malloc(16);
		(void)p;
	}
	syscall(SYS_exit_group, 7);
	return 0;
}
EOS
cc -O1 -o eg eg.c
"$SCORCH" heap -o eg.scorch -- ./eg >/dev/null 2>eg.err
check "exit_group: exit status" "$?" 7
check_match "exit_group: all its allocations" "$(cat eg.err)" '^scorch:   1,000 allocations, 15\.6 KiB in total; 0 frees$'
check "exit_group: no missing-flush warning" "$(grep -c 'without a final flush' eg.err)" 0

# ---- one allocation is 'allocation' ----
printf '#include <stdlib.h>\nint main(void) { void *volatile p = malloc(10); free(p); return 0; }\n' >one.c
cc -O1 -o one one.c
"$SCORCH" heap -o one.scorch -- ./one >/dev/null 2>one.err
check_match "one allocation: the summary's grammar" "$(cat one.err)" '^scorch:   1 allocation, 10 B in total; 1 free$'

finish
