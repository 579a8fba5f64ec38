/* fault-loop: a program that handles its own SIGSEGVs, as garbage collectors
 * (write barriers), JITs and guard pages do, and the ways such a program can
 * end. The profiled program's behaviour and speed must not change, and
 * nothing recorded may be lost when the signal does end it.
 *
 *   fault-loop [loop] [N]   N (default 100000) rounds of: loop_alloc mallocs
 *                           32 B and frees it, the page is made read-only,
 *                           a store to it faults, the SA_SIGINFO handler
 *                           makes it writable again and returns (the store
 *                           completes). Prints "fault-loop: N faults, N
 *                           allocations, last store done", exit 0.
 *   fault-loop calm [N]     the same rounds without a fault: the page stays
 *                           writable and no handler is installed (the
 *                           profile of the same allocations). Prints
 *                           "fault-loop: 0 faults, N allocations, last
 *                           store done".
 *   fault-loop jump [N]     N reads of a page with no access, each ended by a
 *                           SA_NODEFER handler that siglongjmps (no mask
 *                           saved) back before the read, a JIT's or a
 *                           probing loop's way. Prints "fault-loop: N
 *                           jumps", exit 0.
 *   fault-loop exit         burn (0.3 s of CPU in burn), 7 x 48 B leaked
 *                           from before_fault, then a fault whose handler
 *                           calls _exit(3)
 *   fault-loop abort        the same, the handler calls abort() (SIGABRT's
 *                           default: status 134)
 *   fault-loop abort-ret    the same, the fault's handler calls abort() and
 *                           a SIGABRT handler returns (glibc sets the default
 *                           action itself and raises again: 134)
 *   fault-loop reraise      the same, the handler sets SIG_DFL and raises
 *                           SIGSEGV (139)
 *   fault-loop refault      the same, the handler sets SIG_DFL and returns:
 *                           the store faults again (139)
 *   fault-loop crash        the same with no handler at all (139)
 * In the ending modes stderr gets "cpu_ms M" (the process CPU time after the
 * burn) and stdout "fault-loop: ending by MODE" before the fault.
 *
 *   fault-loop altstack [onstack]   registers an alternate signal stack and a
 *                           SIGSEGV handler without (with) SA_ONSTACK; the
 *                           handler notes whether it ran on that stack.
 *                           Prints "altstack: asked 0, ran on it 0" (1 1).
 *   fault-loop eintr        a SIGTERM handler installed without SA_RESTART;
 *                           a timer sends SIGTERM while read() waits on an
 *                           empty pipe: read fails with EINTR. Prints
 *                           "eintr: read -1 EINTR, handled 1" (alarm(5) ends
 *                           a read that restarts instead: status 142).
 *
 * Expected heap behaviour: loop: N mallocs of 32 B in loop_alloc, all freed;
 * ending modes: 7 mallocs of 48 B in before_fault, live at the end.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

static char *page;
static long pagesz;
static volatile long faults;
static const char *mode = "loop";
static void *blocks[7];

static void die(const char *what)
{
	perror(what);
	exit(2);
}

static void on_segv(int sig, siginfo_t *si, void *uc)
{
	(void)sig;
	(void)uc;
	char *a = si->si_addr;
	if (a < page || a >= page + pagesz)
		abort();   /* not our page: a real bug */
	faults++;
	if (strcmp(mode, "loop") == 0) {
		mprotect(page, (size_t)pagesz, PROT_READ | PROT_WRITE);
	} else if (strcmp(mode, "exit") == 0) {
		_exit(3);
	} else if (strcmp(mode, "abort") == 0 || strcmp(mode, "abort-ret") == 0) {
		abort();
	} else if (strcmp(mode, "reraise") == 0) {
		signal(SIGSEGV, SIG_DFL);
		raise(SIGSEGV);
	} else if (strcmp(mode, "refault") == 0) {
		signal(SIGSEGV, SIG_DFL);
	}
}

static sigjmp_buf jump_env;

static void on_segv_jump(int sig, siginfo_t *si, void *uc)
{
	(void)sig;
	(void)uc;
	if ((char *)si->si_addr != page)
		abort();
	faults++;
	siglongjmp(jump_env, 1);
}

/* handler h for SIGSEGV with SA_SIGINFO and flags, an empty mask */
static void install_segv(void (*h)(int, siginfo_t *, void *), int flags)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = h;
	sa.sa_flags = SA_SIGINFO | flags;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGSEGV, &sa, NULL) != 0)
		die("sigaction");
}

static int jump(long n)
{
	/* SIGSEGV is not blocked in the handler: the jump out leaves the mask */
	install_segv(on_segv_jump, SA_NODEFER);
	mprotect(page, (size_t)pagesz, PROT_NONE);
	volatile long i = 0;
	sigsetjmp(jump_env, 0);
	while (i < n) {
		i++;
		(void)*(volatile char *)page;
	}
	printf("fault-loop: %ld jumps\n", (long)faults);
	return faults == n ? 0 : 1;
}

static void on_abrt(int sig)
{
	(void)sig;
	static const char msg[] = "fault-loop: SIGABRT handler returns\n";
	write(1, msg, sizeof(msg) - 1);
}

__attribute__((noinline)) static void loop_alloc(void)
{
	void *volatile p = malloc(32);
	if (!p)
		abort();
	free(p);
}

__attribute__((noinline)) static void before_fault(void)
{
	for (int i = 0; i < 7; i++)
		if (!(blocks[i] = malloc(48)))
			abort();
}

static double cpu_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

__attribute__((noinline)) static void burn(void)
{
	volatile uint64_t x = 1;
	double t0 = cpu_s();
	while (cpu_s() - t0 < 0.3)
		for (int i = 0; i < 100000; i++)
			x = x * 6364136223846793005u + 1442695040888963407u;
}

static volatile int on_alt = -1;

static void on_segv_alt(int sig)
{
	(void)sig;
	stack_t ss;
	on_alt = sigaltstack(NULL, &ss) == 0 && (ss.ss_flags & SS_ONSTACK) ? 1 : 0;
	mprotect(page, (size_t)pagesz, PROT_READ | PROT_WRITE);
}

static int altstack(int onstack)
{
	stack_t ss;
	memset(&ss, 0, sizeof(ss));
	ss.ss_size = 1 << 16;
	ss.ss_sp = mmap(NULL, ss.ss_size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (ss.ss_sp == MAP_FAILED || sigaltstack(&ss, NULL) != 0)
		die("sigaltstack");
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_segv_alt;
	sa.sa_flags = onstack ? SA_ONSTACK : 0;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGSEGV, &sa, NULL) != 0)
		die("sigaction");
	mprotect(page, (size_t)pagesz, PROT_READ);
	((volatile char *)page)[1] = 1;
	printf("altstack: asked %d, ran on it %d\n", onstack, on_alt);
	return 0;
}

static volatile int terms;

static void on_term(int sig)
{
	(void)sig;
	terms++;
}

static int eintr(void)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_term;
	sa.sa_flags = 0;   /* no SA_RESTART: the read is to fail */
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGTERM, &sa, NULL) != 0)
		die("sigaction");
	int fds[2];
	if (pipe(fds) != 0)
		die("pipe");
	timer_t tm;
	struct sigevent ev;
	memset(&ev, 0, sizeof(ev));
	ev.sigev_notify = SIGEV_SIGNAL;
	ev.sigev_signo = SIGTERM;
	if (timer_create(CLOCK_MONOTONIC, &ev, &tm) != 0)
		die("timer_create");
	struct itimerspec it = { .it_value = { 0, 100 * 1000 * 1000 } };
	if (timer_settime(tm, 0, &it, NULL) != 0)
		die("timer_settime");
	alarm(5);
	char c;
	ssize_t r = read(fds[0], &c, 1);
	int e = errno;
	printf("eintr: read %zd %s, handled %d\n", r, r < 0 && e == EINTR ? "EINTR" : "other", terms);
	return 0;
}

int main(int argc, char **argv)
{
	long n = 100000;
	if (argc > 1)
		mode = argv[1];
	if (argc > 2 && (strcmp(mode, "loop") == 0 || strcmp(mode, "calm") == 0 || strcmp(mode, "jump") == 0))
		n = atol(argv[2]);
	pagesz = sysconf(_SC_PAGESIZE);
	page = mmap(NULL, (size_t)pagesz, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (page == MAP_FAILED)
		die("mmap");
	if (strcmp(mode, "altstack") == 0)
		return altstack(argc > 2 && strcmp(argv[2], "onstack") == 0);
	if (strcmp(mode, "eintr") == 0)
		return eintr();
	if (strcmp(mode, "jump") == 0)
		return jump(n);
	if (strcmp(mode, "loop") == 0 || strcmp(mode, "calm") == 0) {
		int calm = strcmp(mode, "calm") == 0;
		if (!calm)
			install_segv(on_segv, 0);
		for (long i = 0; i < n; i++) {
			loop_alloc();
			if (!calm)
				mprotect(page, (size_t)pagesz, PROT_READ);
			((volatile char *)page)[i % pagesz] = (char)i;
		}
		/* the last store went through once its fault was handled */
		int stored = n == 0 || page[(n - 1) % pagesz] == (char)(n - 1);
		printf("fault-loop: %ld faults, %ld allocations, last store %s\n", (long)faults, n,
		       stored ? "done" : "lost");
		return 0;
	}
	if (strcmp(mode, "exit") != 0 && strcmp(mode, "abort") != 0 && strcmp(mode, "abort-ret") != 0 &&
	    strcmp(mode, "reraise") != 0 && strcmp(mode, "refault") != 0 && strcmp(mode, "crash") != 0) {
		fprintf(stderr, "fault-loop: unknown mode %s\n", mode);
		return 2;
	}
	if (strcmp(mode, "crash") != 0)
		install_segv(on_segv, 0);
	if (strcmp(mode, "abort-ret") == 0)
		signal(SIGABRT, on_abrt);
	burn();
	before_fault();
	fprintf(stderr, "cpu_ms %ld\n", (long)(cpu_s() * 1000));
	printf("fault-loop: ending by %s\n", mode);
	fflush(stdout);
	mprotect(page, (size_t)pagesz, PROT_READ);
	((volatile char *)page)[0] = 1;
	printf("fault-loop: still here\n");
	return 1;
}
