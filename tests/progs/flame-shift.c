/* flame-shift: the before/after pair of the diff tests (tests/e2e/t023-diff.sh).
 * One thread burns OLD_MS ms of thread CPU time in work_old and NEW_MS ms in
 * work_new, interleaved in 20 ms rounds with carry-over (as cpu-split does),
 * then site_old makes OLD_N malloc(32) and site_new NEW_N malloc(64), all
 * freed before exit.
 *
 *   flame-shift 300 100 3000 1000    "before": work_old 75% of the workers' CPU
 *   flame-shift 100 300 1000 3000    "after":  work_new 75%
 *
 * Expected: CPU self shares among the workers OLD_MS : NEW_MS (a few tenths
 * of a point go to clock reads); exactly OLD_N allocations of 32 B at
 * site_old and NEW_N of 64 B at site_new. Prints "flame-shift: done", exits 0.
 * usage: flame-shift [OLD_MS NEW_MS OLD_N NEW_N]   (default 300 100 3000 1000)
 */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#define SLICE_NS 20000000LL   /* 20 ms: 75/25 splits are whole ms, so 1 kHz sampling does not alias */
#define CHUNK 100000

static volatile uint64_t sink;

static int64_t thread_cpu_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

#define SPIN_UNTIL(until, seed)                                          \
	do {                                                             \
		uint64_t x = sink ^ (seed);                              \
		while (thread_cpu_ns() < (until)) {                      \
			for (int i = 0; i < CHUNK; i++)                  \
				x = x * 6364136223846793005ULL + 1442695040888963407ULL; \
			sink = x;                                        \
		}                                                        \
	} while (0)

__attribute__((noinline)) static void work_old(int64_t until) { SPIN_UNTIL(until, 0x0); }
__attribute__((noinline)) static void work_new(int64_t until) { SPIN_UNTIL(until, 0x1); }

__attribute__((noinline)) static void site_old(void **p, long n)
{
	for (long i = 0; i < n; i++)
		if (!(p[i] = malloc(32)))
			abort();
}

__attribute__((noinline)) static void site_new(void **p, long n)
{
	for (long i = 0; i < n; i++)
		if (!(p[i] = malloc(64)))
			abort();
}

static long arg(int argc, char **argv, int i, long dflt)
{
	long v = argc > i ? strtol(argv[i], NULL, 10) : dflt;
	return v >= 0 && v <= 100000000 ? v : dflt;
}

int main(int argc, char **argv)
{
	long ms[2] = { arg(argc, argv, 1, 300), arg(argc, argv, 2, 100) };
	long n[2] = { arg(argc, argv, 3, 3000), arg(argc, argv, 4, 1000) };
	int64_t total = (ms[0] + ms[1]) * 1000000LL, used[2] = { 0, 0 };

	/* each worker runs until its cumulative use reaches its share so far */
	for (int64_t s = 1; total && s * SLICE_NS <= total + SLICE_NS - 1; s++) {
		for (int w = 0; w < 2; w++) {
			int64_t upto = s * SLICE_NS < total ? s * SLICE_NS : total;
			int64_t want = upto * ms[w] / (ms[0] + ms[1]) - used[w];
			if (want <= 0)
				continue;
			int64_t t = thread_cpu_ns();
			if (w == 0)
				work_old(t + want);
			else
				work_new(t + want);
			used[w] += thread_cpu_ns() - t;
		}
	}
	void **p[2] = { malloc((size_t)(n[0] + 1) * sizeof(void *)), malloc((size_t)(n[1] + 1) * sizeof(void *)) };
	if (!p[0] || !p[1])
		abort();
	site_old(p[0], n[0]);
	site_new(p[1], n[1]);
	for (int k = 0; k < 2; k++) {
		for (long i = 0; i < n[k]; i++)
			free(p[k][i]);
		free(p[k]);
	}
	printf("flame-shift: done\n");
	return 0;
}
