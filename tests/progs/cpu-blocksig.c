/* cpu-blocksig: blocks every signal it can with pthread_sigmask for its
 * whole CPU-burning run (blocked_work, 500 ms of thread CPU time), checks the
 * mask is still intact, unblocks and exits. Expected: prints "blocked ok",
 * exits 0; signals a profiler sent meanwhile stay pending until the unblock,
 * and the run must neither hang nor die then. A profiler relying on signals
 * sees few or no samples inside blocked_work (perf sees all of them).
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

static volatile uint64_t sink;

static int64_t thread_cpu_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

__attribute__((noinline)) static void blocked_work(int64_t ns)
{
	int64_t until = thread_cpu_ns() + ns;
	uint64_t x = 7;

	while (thread_cpu_ns() < until)
		for (int i = 0; i < 100000; i++)
			x = x * 6364136223846793005ULL + 1442695040888963407ULL;
	sink = x;
}

int main(void)
{
	sigset_t all, during, old;

	/* glibc quietly keeps its two internal signals (cancel, setxid)
	 * unblockable; `during` is the mask as the kernel really has it. */
	sigfillset(&all);
	if (pthread_sigmask(SIG_SETMASK, &all, &old) ||
	    pthread_sigmask(SIG_SETMASK, NULL, &during)) {
		printf("pthread_sigmask failed\n");
		return 1;
	}
	blocked_work(500000000LL);

	sigset_t after;
	pthread_sigmask(SIG_SETMASK, NULL, &after);
	for (int s = 1; s < NSIG; s++)
		if (sigismember(&during, s) != sigismember(&after, s)) {
			printf("signal mask changed under us: signal %d\n", s);
			return 1;
		}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	printf("blocked ok\n");
	return 0;
}
