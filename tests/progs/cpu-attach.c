/* cpu-attach [MS]: a target for attaching to a running process (scorch
 * record -p, t048) whose work is all done by threads made after any attach
 * began. The main thread starts worker threads one after another (joining
 * each before the next), named "late-N"; each burns exactly 12 ms of its own
 * CPU time in late_work_a and then 8 ms in late_work_b, and exits. This goes
 * on until the workers have burned MS ms of CPU time in all (default 6000).
 *
 * Expected: a sampler attached for any window of 100 ms or more sees
 * late_work_a 60% and late_work_b 40% of the samples (less thread start and
 * exit, well under 1%), at its full rate: one that counted only the threads
 * that existed when it attached would see nearly nothing. Prints
 * "cpu-attach: N threads, 60.0/40.0" (its own measurement), exits 0.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#define CHUNK 20000   /* iterations between clock reads, ~20 us at -O0 */

static volatile uint64_t sink;

static int64_t thread_cpu_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

#define SPIN_UNTIL(until, seed)                                                          \
	do {                                                                             \
		uint64_t x = sink ^ (seed);                                              \
		while (thread_cpu_ns() < (until)) {                                      \
			for (int i = 0; i < CHUNK; i++)                                  \
				x = x * 6364136223846793005ULL + 1442695040888963407ULL; \
			sink = x;                                                        \
		}                                                                        \
	} while (0)

__attribute__((noinline)) static void late_work_a(int64_t until) { SPIN_UNTIL(until, 0xa); }
__attribute__((noinline)) static void late_work_b(int64_t until) { SPIN_UNTIL(until, 0xb); }

static int64_t used[2];   /* CPU ns in each, over all workers (joined one by one) */

static void *worker(void *arg)
{
	(void)arg;
	int64_t t0 = thread_cpu_ns();
	late_work_a(t0 + 12000000);
	int64_t t1 = thread_cpu_ns();
	late_work_b(t1 + 8000000);
	used[0] += t1 - t0;
	used[1] += thread_cpu_ns() - t1;
	return NULL;
}

int main(int argc, char **argv)
{
	long ms = argc > 1 ? strtol(argv[1], NULL, 10) : 6000;
	if (ms <= 0)
		ms = 6000;
	long n = 0;
	while ((used[0] + used[1]) / 1000000 < ms) {
		pthread_t th;
		char name[16];
		if (pthread_create(&th, NULL, worker, NULL) != 0) {
			fprintf(stderr, "cpu-attach: cannot start a thread\n");
			return 1;
		}
		snprintf(name, sizeof(name), "late-%ld", n % 1000);
		pthread_setname_np(th, name);
		pthread_join(th, NULL);
		n++;
	}
	int64_t t = used[0] + used[1];
	printf("cpu-attach: %ld threads, %.1f/%.1f\n", n, 100.0 * used[0] / t, 100.0 * used[1] / t);
	return 0;
}
