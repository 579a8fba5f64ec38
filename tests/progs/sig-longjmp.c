/* sig-longjmp: a signal handler that siglongjmps out of whatever it
 * interrupted, which is nearly always an allocator call. main() spins on
 * free(NULL) and on posix_memalign with an invalid alignment (both return
 * at once in the C library without touching the heap or a lock, so leaving
 * them by longjmp is safe without a profiler); SIGALRM comes every
 * millisecond and each of its first 200 runs makes exactly 100 malloc(40) +
 * free pairs in handler_allocs() (20,000 in all) and jumps back to main's
 * sigsetjmp. Then main_allocs() makes 1000 malloc(24) + free pairs.
 *
 * Prints "sig-longjmp: 200 jumps, 20000 allocations in the handler, 1000 in
 * main" on stdout and exits 3 (a status of its own, to see it kept).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

#define RUNS 200
#define PAIRS 100
#define MAIN_PAIRS 1000

static sigjmp_buf back;
static volatile sig_atomic_t jumps;

__attribute__((noinline)) static void handler_allocs(void)
{
	for (int i = 0; i < PAIRS; i++) {
		void *volatile p = malloc(40);
		if (!p)
			abort();
		free(p);
	}
}

static void on_alarm(int sig)
{
	if (jumps >= RUNS)
		return;
	handler_allocs();
	if (++jumps == RUNS) {
		struct itimerval off;
		memset(&off, 0, sizeof(off));
		setitimer(ITIMER_REAL, &off, NULL);
	}
	siglongjmp(back, 1);
}

__attribute__((noinline)) static void spin(void)
{
	while (jumps < RUNS) {
		void *p;
		free(NULL);
		if (posix_memalign(&p, 3, 16) != EINVAL)
			abort();
	}
}

__attribute__((noinline)) static void main_allocs(void)
{
	for (int i = 0; i < MAIN_PAIRS; i++) {
		void *volatile p = malloc(24);
		if (!p)
			abort();
		free(p);
	}
}

int main(void)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_alarm;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGALRM, &sa, NULL) != 0)
		return 1;
	struct itimerval it = { { 0, 1000 }, { 0, 1000 } };
	setitimer(ITIMER_REAL, &it, NULL);
	sigsetjmp(back, 1);
	spin();
	main_allocs();
	printf("sig-longjmp: %d jumps, %d allocations in the handler, %d in main\n", (int)jumps,
	       (int)jumps * PAIRS, MAIN_PAIRS);
	return 3;
}
