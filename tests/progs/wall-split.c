/* wall-split: off-CPU time in known places. A thread naps 100 times in
 * usleep(2000) from nap(); meanwhile main burns argv[1] ms of its own CPU
 * time (default 20) in spin(), then waits for the thread in pthread_join.
 * It measures on CLOCK_MONOTONIC the time spent inside usleep and inside
 * pthread_join and prints, on stderr,
 *   "wall-split: U us in usleep, J us in pthread_join"
 * so that a check holds on a busy machine. Exits 0.
 *
 * Expected in a --wall profile: nap -> usleep -> [off-CPU] about U us,
 * main -> pthread_join -> [off-CPU] about J us, spin on-CPU.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

static volatile uint64_t sink;
static int64_t napped_ns;

static int64_t clock_ns(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

__attribute__((noinline)) static void nap(void)
{
	int64_t t = clock_ns(CLOCK_MONOTONIC);

	usleep(2000);
	napped_ns += clock_ns(CLOCK_MONOTONIC) - t;
}

static void *napper(void *arg)
{
	(void)arg;
	for (int i = 0; i < 100; i++)
		nap();
	return NULL;
}

/* Burns ms of this thread's CPU time. */
__attribute__((noinline)) static void spin(long ms)
{
	int64_t until = clock_ns(CLOCK_THREAD_CPUTIME_ID) + ms * 1000000LL;
	uint64_t x = sink;

	while (clock_ns(CLOCK_THREAD_CPUTIME_ID) < until)
		for (int i = 0; i < 10000; i++)
			x = x * 6364136223846793005ULL + 1442695040888963407ULL;
	sink = x;
}

int main(int argc, char **argv)
{
	long ms = argc > 1 ? strtol(argv[1], NULL, 10) : 20;
	pthread_t th;

	if (pthread_create(&th, NULL, napper, NULL) != 0)
		return 1;
	spin(ms);
	int64_t t = clock_ns(CLOCK_MONOTONIC);
	pthread_join(th, NULL);
	int64_t joined = clock_ns(CLOCK_MONOTONIC) - t;
	fprintf(stderr, "wall-split: %lld us in usleep, %lld us in pthread_join\n",
		(long long)(napped_ns / 1000), (long long)(joined / 1000));
	return 0;
}
