/* cpu-annotate: one function, two_lines, whose CPU time is split 75/25
 * between two source lines (the lines marked LINE_A and LINE_B), in 4 ms
 * rounds of thread CPU time (3 ms on LINE_A, then 1 ms on LINE_B), for
 * argv[1] ms of CPU time in all (default 3000). main calls it from one line
 * (LINE_CALL).
 *
 * Expected: annotating two_lines gives LINE_A 75% and LINE_B 25% of the
 * samples on its two loop lines (the clock reads between are on lines of
 * their own and in thread_cpu_ns); every sample with two_lines on its stack
 * passes main's LINE_CALL. Prints "cpu-annotate: done", exits 0. */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#define CHUNK 20000   /* iterations between clock reads, ~20-50 us at -O0 */

static volatile uint64_t sink;

static int64_t thread_cpu_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

__attribute__((noinline)) static void two_lines(int64_t ms)
{
	uint64_t x = sink;
	int64_t end = thread_cpu_ns() + ms * 1000000LL, t;

	while ((t = thread_cpu_ns()) < end) {
		int64_t a = t + 3000000, b;
		do {
			for (int i = 0; i < CHUNK; i++) x = x * 6364136223846793005ULL + 1442695040888963407ULL; /* LINE_A */
		} while (thread_cpu_ns() < a);
		b = thread_cpu_ns() + 1000000;
		do {
			for (int i = 0; i < CHUNK; i++) x = x * 6364136223846793005ULL + 1442695040888963407ULL; /* LINE_B */
		} while (thread_cpu_ns() < b);
	}
	sink = x;
}

int main(int argc, char **argv)
{
	int64_t ms = argc > 1 ? atoll(argv[1]) : 3000;

	two_lines(ms); /* LINE_CALL */
	printf("cpu-annotate: done\n");
	return 0;
}
