/* cpu-execloop: burns argv[2] us of CPU (default 300), then execs itself with
 * argv[1] - 1 (default 200) until it reaches 0, which prints
 * "cpu-execloop: done" and exits 0. Under a sampler every exec is a chance
 * for a sample signal to arrive during the exec: signals pending across exec
 * survive it, and the new image has no handler for them yet (a real-time
 * signal's default action kills the process).
 */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

static volatile uint64_t sink;

static int64_t cpu_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

int main(int argc, char **argv)
{
	long left = argc > 1 ? atol(argv[1]) : 200;
	long us = argc > 2 ? atol(argv[2]) : 300;
	int64_t until = cpu_ns() + us * 1000;
	while (cpu_ns() < until)
		for (int i = 0; i < 2000; i++)
			sink = sink * 6364136223846793005ULL + 1;
	if (left <= 0) {
		printf("cpu-execloop: done\n");
		return 0;
	}
	char n[32], u[32];
	snprintf(n, sizeof(n), "%ld", left - 1);
	snprintf(u, sizeof(u), "%ld", us);
	execl("/proc/self/exe", argv[0], n, u, (char *)NULL);
	perror("cpu-execloop: exec");
	return 1;
}
