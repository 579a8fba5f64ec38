/* zones-names: names that a terminal or a JSON parser would trip on, from
 * the program itself (linked with -lscorch by the Makefile). Under scorch:
 *   zone "red\033[31mzone\033[0m"  3 calls, each with 10 mallocs of 32 bytes
 *   zone "bad\xff\xfe" "utf"        2 calls (bytes that are not UTF-8)
 *   zone "c1\xc2\x9b" "31m"         1 call (U+009B, the 8-bit CSI)
 *   mark "bell\a\b\x7f"             4 marks
 *   counter "big\033[1m"            200 values of 19999900000 (1.99999e+10),
 *                                   wider than the report's 11-column cells
 *   counter "neg"                   200 values of -19999900000
 *   thread name "thr\033[32m\xff"   the main thread's, by SCORCH_THREAD_NAME
 * and burns about 30 ms of CPU so that a CPU profile has samples. Prints
 * "names done". */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "scorch.h"

static volatile unsigned long sink;

static void burn_ms(long ms)
{
	struct timespec a, b;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &a);
	do {
		for (int i = 0; i < 10000; i++)
			sink += (unsigned long)i * 7u;
		clock_gettime(CLOCK_THREAD_CPUTIME_ID, &b);
	} while ((b.tv_sec - a.tv_sec) * 1000L + (b.tv_nsec - a.tv_nsec) / 1000000L < ms);
}

static void red(void)
{
	SCORCH_ZONE("red\033[31mzone\033[0m");
	for (int i = 0; i < 10; i++) {
		void *p = malloc(32);
		sink += (unsigned long)p;
		free(p);
	}
	burn_ms(5);
}

int main(void)
{
	SCORCH_THREAD_NAME("thr\033[32m\xff");
	for (int i = 0; i < 3; i++)
		red();
	for (int i = 0; i < 2; i++) {
		SCORCH_ZONE("bad\xff\xfe" "utf");
		burn_ms(5);
	}
	{
		SCORCH_ZONE("c1\xc2\x9b" "31m");
		burn_ms(5);
	}
	for (int i = 0; i < 4; i++)
		SCORCH_MARK("bell\a\b\x7f");
	for (int i = 0; i < 200; i++) {
		SCORCH_COUNTER("big\033[1m", 19999900000.0);
		SCORCH_COUNTER("neg", -19999900000.0);
	}
	printf("names done\n");
	return 0;
}
