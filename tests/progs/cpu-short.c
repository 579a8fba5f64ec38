/* cpu-short: a program that is over almost at once: short_work burns about
 * 1 ms of CPU time and main returns. Expected: prints "short ok", exits 0;
 * a profiler at 999 Hz takes 0-2 samples and must still write a valid
 * profile and report no error.
 */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <time.h>

static volatile uint64_t sink;

static int64_t thread_cpu_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

__attribute__((noinline)) static void short_work(int64_t ns)
{
	int64_t until = thread_cpu_ns() + ns;
	uint64_t x = 5;

	while (thread_cpu_ns() < until)
		for (int i = 0; i < 1000; i++)
			x = x * 6364136223846793005ULL + 1442695040888963407ULL;
	sink = x;
}

int main(void)
{
	short_work(1000000);
	printf("short ok\n");
	return 0;
}
