/* cpu-syscw: burns argv[1] ms of thread CPU time (default 1000) without a
 * system call of its own (the vDSO reads the clock), then prints how many
 * write system calls the process made: "cpu-syscw: N writes" (syscw in
 * /proc/self/io, read before its own printf). Plain: 0. A sampler that
 * writes its samples out in batches adds a few; one that writes each
 * sample on its own adds about one per sample. Also prints, on stderr, the
 * wall time the burn took ("cpu-syscw: W ms wall"): batches go out on a
 * wall-clock period, so a busy machine stretching the burn brings more.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static volatile uint64_t sink;

static int64_t cpu_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

__attribute__((noinline)) static void burn(long ms)
{
	int64_t until = cpu_ns() + ms * 1000000LL;
	while (cpu_ns() < until)
		for (int i = 0; i < 20000; i++)
			sink = sink * 6364136223846793005ULL + 1;
}

int main(int argc, char **argv)
{
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	burn(argc > 1 ? atol(argv[1]) : 1000);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	char buf[1024];
	int fd = open("/proc/self/io", O_RDONLY);
	ssize_t n = fd >= 0 ? read(fd, buf, sizeof(buf) - 1) : -1;
	if (fd >= 0)
		close(fd);
	if (n <= 0) {
		printf("cpu-syscw: /proc/self/io unreadable\n");
		return 1;
	}
	buf[n] = 0;
	const char *p = strstr(buf, "syscw:");
	printf("cpu-syscw: %ld writes\n", p ? atol(p + 6) : -1L);
	fprintf(stderr, "cpu-syscw: %ld ms wall\n",
		(long)((t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000));
	return 0;
}
