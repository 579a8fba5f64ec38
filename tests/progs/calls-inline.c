/* calls-inline: traced calls of functions the compiler inlines
 * (-finstrument-functions, -lscorch; the Makefile also builds it at -O2 as
 * calls-inline-O2, where mix is inlined into work and its hooks run in
 * work's frame). Under `scorch record --calls`:
 *   main 1; work 3 (from main), each calling the static inline mix 1000
 *   times: mix 3000, all inside work; walk 11 (walk(10), recursive, from
 *   main); cmp as many times as the program prints (qsort's callback: inside
 *   main, qsort's own frames are not traced); step 10 (from main), each
 *   calling twist twice and wrap once, inlined at -O2, and many (8
 *   arguments, 2 on the stack) once, wrap calling many and twist: twist 30,
 *   wrap 10, many 20 (at -O2 GCC pops the stack arguments of many late, so
 *   step's hooks run at more than one stack pointer). No call is unwound,
 *   and self times add up: work's self is its total less mix's, main's its
 *   total less those of work, walk (the outermost call), cmp and step.
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

static volatile unsigned sink;

__attribute__((noinline)) unsigned many(unsigned a, unsigned b, unsigned c, unsigned d, unsigned e,
					unsigned f, unsigned g, unsigned h)
{
	return a + b * 3 + c * 5 + d * 7 + e * 11 + f * 13 + g * 17 + h * 19;
}

static inline unsigned twist(unsigned x)
{
	sink += x;
	return x * 2654435761u;
}

static inline unsigned wrap(unsigned x, unsigned r)
{
	sink += x;
	return many(r, x, 9, 8, 7, 6, r + 5, x + 4) + twist(r);
}

__attribute__((noinline)) unsigned step(unsigned x)
{
	unsigned r = twist(x);
	r += many(x, r, 1, 2, 3, 4, x + 5, r + 6);
	r += wrap(r, x);
	return twist(r);
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
	for (unsigned i = 0; i < 10; i++)
		sum += step(i);
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
