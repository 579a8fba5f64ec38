/* cpu-manythreads: 2000 short-lived threads, started 50 at a time and
 * joined before the next 50 start; each burns about 50 us of its own CPU
 * time in short_thread_work and exits. Expected: prints "2000 threads",
 * exits 0; a profiler must follow every thread's start and exit without
 * leaking or losing the run (samples are few and scattered: ~0.1 s of CPU).
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#define THREADS 2000
#define BATCH   50

static volatile uint64_t sink;

static int64_t thread_cpu_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

__attribute__((noinline)) static uint64_t short_thread_work(int64_t ns)
{
	int64_t until = thread_cpu_ns() + ns;
	uint64_t x = 11;

	while (thread_cpu_ns() < until)
		for (int i = 0; i < 1000; i++)
			x = x * 6364136223846793005ULL + 1442695040888963407ULL;
	return x;
}

static void *thread_main(void *arg)
{
	(void)arg;
	sink = short_thread_work(50000);
	return NULL;
}

int main(void)
{
	pthread_t t[BATCH];
	int started = 0;

	for (int b = 0; b < THREADS / BATCH; b++) {
		for (int i = 0; i < BATCH; i++) {
			int err = pthread_create(&t[i], NULL, thread_main, NULL);

			if (err) {
				printf("pthread_create failed after %d threads: %s\n",
				       started, strerror(err));
				return 1;
			}
			started++;
		}
		for (int i = 0; i < BATCH; i++)
			pthread_join(t[i], NULL);
	}
	printf("%d threads\n", started);
	return 0;
}
