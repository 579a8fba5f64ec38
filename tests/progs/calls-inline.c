/* calls-inline: traced calls of functions the compiler inlines
 * (-finstrument-functions, -lscorch; the Makefile also builds it at -O2 as
 * calls-inline-O2, where mix is inlined into work and its hooks run in
 * work's frame). Under `scorch record --calls`:
 *   main 1; work 3 (from main), each calling the static inline mix 1000
 *   times: mix 3000, all inside work; walk 11 (walk(10), recursive, from
 *   main); cmp as many times as the program prints (qsort's callback: inside
 *   main, qsort's own frames are not traced). No call is unwound, and
 *   self times add up: work's self is its total less mix's, main's its
 *   total less those of work, walk (the outermost call) and cmp.
 * Prints "sum=S cmp=N". When CALLS_TIMES names a file, the program writes
 * there its own clock of the work calls, in ns: "work-in SUM" (read inside
 * work) and "work-out SUM" (read around each call in main); a work span
 * lasts at least the first and at most the second. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static unsigned ncmp;

/* the program's own clock, not traced */
__attribute__((no_instrument_function)) static uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* a few hundred ns of arithmetic the compiler cannot fold away */
static inline unsigned mix(unsigned x)
{
	for (int i = 0; i < 64; i++)
		x = x * 2654435761u + (x >> 13) + (unsigned)i;
	return x;
}

uint64_t work_in;

unsigned work(unsigned seed)
{
	uint64_t t0 = now_ns();
	unsigned x = seed;
	for (int i = 0; i < 1000; i++)
		x ^= mix(x + (unsigned)i);
	work_in += now_ns() - t0;
	return x;
}

static unsigned walk(int n)
{
	return n > 0 ? walk(n - 1) * 31u + (unsigned)n : 7u;
}

static int cmp(const void *a, const void *b)
{
	ncmp++;
	unsigned x = *(const unsigned *)a, y = *(const unsigned *)b;
	return x < y ? -1 : x > y;
}

int main(void)
{
	unsigned sum = 0, v[64];
	uint64_t out = 0;
	for (unsigned r = 0; r < 3; r++) {
		uint64_t t0 = now_ns();
		sum += work(r);
		out += now_ns() - t0;
	}
	sum += walk(10);
	for (unsigned i = 0; i < 64; i++)
		v[i] = (i * 2654435761u) >> 7;
	qsort(v, 64, sizeof(*v), cmp);
	sum += v[0];
	printf("sum=%u cmp=%u\n", sum, ncmp);
	const char *times = getenv("CALLS_TIMES");
	FILE *f = times ? fopen(times, "w") : NULL;
	if (f) {
		fprintf(f, "work-in %llu\nwork-out %llu\n", (unsigned long long)work_in,
			(unsigned long long)out);
		fclose(f);
	}
	return 0;
}
