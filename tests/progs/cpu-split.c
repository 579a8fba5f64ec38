/* cpu-split: a single thread whose CPU time is split exactly 50/30/20 between
 * three leaf functions work_a, work_b and work_c, called from main in
 * interleaved 10 ms slices of thread CPU time (5 + 3 + 2 ms), for argv[1] ms
 * of CPU time in all (default 6000: >= 5000 samples at 999 Hz).
 *
 * Expected: a CPU profiler shows self time work_a 50%, work_b 30%, work_c 20%
 * (perf measured 49.6/29.9/19.9 of all samples, EXPECTED-CPU.md; the rest is
 * clock reads, ~0.5%). Shares are CPU time, not iterations, and each function
 * runs until its cumulative share of the slices so far is used, so they hold
 * on a loaded machine and in any window of 10 ms or more. Prints
 * "cpu-split: 50.0/30.0/20.0 of N ms" (its own measurement), exits 0.
 */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#define SLICE_NS 10000000LL   /* one round of work_a + work_b + work_c */
#define CHUNK    100000       /* iterations between clock reads, ~100 us at -O0 */

/* Sink for the arithmetic, so no compiler drops it. */
static volatile uint64_t sink;

static int64_t thread_cpu_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* The loop is spelled out in each worker (not a shared helper) so that the
 * samples land in work_a/b/c themselves: they are leaf functions except for
 * the clock read. Each returns the CPU ns it used, spinning until it reaches
 * `until`, a point on the thread CPU clock. */
#define SPIN_UNTIL(until, seed)                                          \
	do {                                                             \
		uint64_t x = sink ^ (seed);                              \
		while (thread_cpu_ns() < (until)) {                      \
			for (int i = 0; i < CHUNK; i++)                  \
				x = x * 6364136223846793005ULL + 1442695040888963407ULL; \
			sink = x;                                        \
		}                                                        \
	} while (0)

__attribute__((noinline)) static void work_a(int64_t until) { SPIN_UNTIL(until, 0xa); }
__attribute__((noinline)) static void work_b(int64_t until) { SPIN_UNTIL(until, 0xb); }
__attribute__((noinline)) static void work_c(int64_t until) { SPIN_UNTIL(until, 0xc); }

int main(int argc, char **argv)
{
	long ms = argc > 1 ? strtol(argv[1], NULL, 10) : 6000;
	int64_t used[3] = { 0, 0, 0 };   /* CPU ns spent in each worker so far */
	static const int share[3] = { 50, 30, 20 };
	int64_t total, t, t0;

	if (ms <= 0)
		ms = 6000;
	total = ms * 1000000LL;
	t0 = thread_cpu_ns();
	/* Each worker runs until its cumulative use reaches its share of the
	 * slices so far, so an overshoot in one slice is taken back in the next
	 * and the totals match the shares to within one chunk. */
	for (int64_t s = 1; s * SLICE_NS <= total; s++) {
		for (int w = 0; w < 3; w++) {
			int64_t want = s * SLICE_NS * share[w] / 100 - used[w];

			if (want <= 0)
				continue;
			t = thread_cpu_ns();
			if (w == 0)
				work_a(t + want);
			else if (w == 1)
				work_b(t + want);
			else
				work_c(t + want);
			used[w] += thread_cpu_ns() - t;
		}
	}
	t = used[0] + used[1] + used[2];
	printf("cpu-split: %.1f/%.1f/%.1f of %ld ms\n", 100.0 * used[0] / t,
	       100.0 * used[1] / t, 100.0 * used[2] / t, ms);
	fprintf(stderr, "cpu-split: %.0f ms of thread CPU time\n",
		(thread_cpu_ns() - t0) / 1e6);
	return 0;
}
