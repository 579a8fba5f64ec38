/* sig-alloc: allocations made inside signal handlers must all be recorded.
 * SIGALRM comes every millisecond (ITIMER_REAL); each of its first 200 runs
 * makes exactly 100 malloc(48) + free pairs in handler_allocs() (20,000 in
 * all), then the timer stops. Meanwhile spin() keeps calling the allocator
 * with calls that fail or do nothing and return at once in the C library,
 * without touching the heap or taking a lock (malloc(SIZE_MAX),
 * calloc(SIZE_MAX, 2), realloc(NULL, SIZE_MAX), posix_memalign with an
 * invalid alignment, free(NULL)), so that nearly every signal lands inside
 * an allocator call and the program is correct without a profiler too.
 * Before the timer starts, main_allocs() makes 1000 malloc(24) + free pairs.
 * With "threads", two threads each do all of that with their own CPU-time
 * timer (timer_create, SIGEV_THREAD_ID): 40,000 allocations in the handlers
 * and 2000 in main_allocs().
 *
 * Prints "sig-alloc: 200 handler runs, 20000 allocations in handlers" (or
 * "sig-alloc: 2 threads, 400 handler runs, 40000 allocations in handlers") on
 * stdout and "spin rounds N" on stderr (each round is the 5 calls above: N
 * failed calls of each of malloc, calloc, realloc and posix_memalign, and N
 * free(NULL)); exits 0.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#define RUNS 200
#define PAIRS 100

static __thread volatile sig_atomic_t runs;   /* this thread's handler runs */
static __thread timer_t thread_timer;
static __thread int has_timer;

__attribute__((noinline)) static void handler_allocs(void)
{
	for (int i = 0; i < PAIRS; i++) {
		void *volatile p = malloc(48);
		if (!p)
			abort();
		free(p);
	}
}

static void stop_timer(void)
{
	if (has_timer) {
		struct itimerspec off;
		memset(&off, 0, sizeof(off));
		timer_settime(thread_timer, 0, &off, NULL);
	} else {
		struct itimerval off;
		memset(&off, 0, sizeof(off));
		setitimer(ITIMER_REAL, &off, NULL);
	}
}

/* not async-signal-safe (malloc), as real programs are; what it interrupts
 * never holds the allocator's state (see spin) */
static void on_signal(int sig)
{
	if (runs >= RUNS)
		return;
	handler_allocs();
	if (++runs == RUNS)
		stop_timer();
}

__attribute__((noinline)) static long spin(void)
{
	long rounds = 0;
	volatile size_t huge = SIZE_MAX;   /* a size the compiler cannot see */
	while (runs < RUNS) {
		void *p;
		if (malloc(huge) || calloc(huge, 2) || realloc(NULL, huge) ||
		    posix_memalign(&p, 3, 16) != EINVAL)
			abort();
		free(NULL);
		rounds++;
	}
	return rounds;
}

__attribute__((noinline)) static void main_allocs(void)
{
	for (int i = 0; i < 1000; i++) {
		void *volatile p = malloc(24);
		if (!p)
			abort();
		free(p);
	}
}

static void *worker(void *arg)
{
	long *rounds = arg;
	struct sigevent sev;
	memset(&sev, 0, sizeof(sev));
	sev.sigev_notify = SIGEV_THREAD_ID;
	sev.sigev_signo = SIGALRM;
	sev._sigev_un._tid = (pid_t)syscall(SYS_gettid);
	if (timer_create(CLOCK_THREAD_CPUTIME_ID, &sev, &thread_timer) != 0) {
		perror("timer_create");
		exit(1);
	}
	has_timer = 1;
	main_allocs();
	struct itimerspec it = { { 0, 1000000 }, { 0, 1000000 } };
	timer_settime(thread_timer, 0, &it, NULL);
	*rounds = spin();
	timer_delete(thread_timer);
	return NULL;
}

int main(int argc, char **argv)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sa.sa_flags = SA_RESTART;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGALRM, &sa, NULL) != 0)
		return 1;
	if (argc > 1 && !strcmp(argv[1], "threads")) {
		pthread_t t[2];
		long rounds[2] = { 0, 0 };
		for (int i = 0; i < 2; i++)
			if (pthread_create(&t[i], NULL, worker, &rounds[i]) != 0)
				return 1;
		for (int i = 0; i < 2; i++)
			pthread_join(t[i], NULL);
		fprintf(stderr, "spin rounds %ld\n", rounds[0] + rounds[1]);
		printf("sig-alloc: 2 threads, %d handler runs, %d allocations in handlers\n", 2 * RUNS,
		       2 * RUNS * PAIRS);
		return 0;
	}
	main_allocs();
	struct itimerval it = { { 0, 1000 }, { 0, 1000 } };
	setitimer(ITIMER_REAL, &it, NULL);
	long rounds = spin();
	fprintf(stderr, "spin rounds %ld\n", rounds);
	printf("sig-alloc: %d handler runs, %d allocations in handlers\n", (int)runs, (int)runs * PAIRS);
	return 0;
}
