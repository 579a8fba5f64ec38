/* cpu-attach [MS]: a target for attaching to a running process (scorch
 * record -p, t048) whose work is all done by threads made after any attach
 * began. The main thread starts worker threads one after another (joining
 * each before the next), named "late-N"; each burns exactly 12 ms of its own
 * CPU time in late_work_a and then 8 ms in late_work_b, and exits. This goes
 * on until the workers have burned MS ms of CPU time in all (default 6000).
 *
 * Expected: a sampler attached for any window of 100 ms or more sees
 * late_work_a 60% and late_work_b 40% of the samples (less thread start and
 * exit, well under 1%), at its full rate: one that counted only the threads
 * that existed when it attached would see nearly nothing. Prints
 * "cpu-attach: N threads, 60.0/40.0" (its own measurement), exits 0.
 *
 * `cpu-attach dlopen FILE [MS]`: sleeps until FILE exists, then loads
 * libz.so.1 (which it does not link) and checksums a 64 KiB block with its
 * crc32 for MS ms of CPU time (default 1000): a sampler attached before
 * FILE appeared finds nearly all its samples in a library that was not
 * mapped when it attached. Prints "cpu-attach: dlopen ok", exits 0.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <pthread.h>
#include <string.h>
#include <unistd.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#define CHUNK 20000   /* iterations between clock reads, ~20 us at -O0 */

static volatile uint64_t sink;

static int64_t thread_cpu_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

#define SPIN_UNTIL(until, seed)                                                          \
	do {                                                                             \
		uint64_t x = sink ^ (seed);                                              \
		while (thread_cpu_ns() < (until)) {                                      \
			for (int i = 0; i < CHUNK; i++)                                  \
				x = x * 6364136223846793005ULL + 1442695040888963407ULL; \
			sink = x;                                                        \
		}                                                                        \
	} while (0)

__attribute__((noinline)) static void late_work_a(int64_t until) { SPIN_UNTIL(until, 0xa); }
__attribute__((noinline)) static void late_work_b(int64_t until) { SPIN_UNTIL(until, 0xb); }

static int64_t used[2];   /* CPU ns in each, over all workers (joined one by one) */

static void *worker(void *arg)
{
	(void)arg;
	int64_t t0 = thread_cpu_ns();
	late_work_a(t0 + 12000000);
	int64_t t1 = thread_cpu_ns();
	late_work_b(t1 + 8000000);
	used[0] += t1 - t0;
	used[1] += thread_cpu_ns() - t1;
	return NULL;
}

static int late_dlopen(const char *file, long ms)
{
	while (access(file, F_OK) != 0)
		usleep(10000);
	void *z = dlopen("libz.so.1", RTLD_NOW);
	unsigned long (*crc)(unsigned long, const unsigned char *, unsigned) =
		z ? (unsigned long (*)(unsigned long, const unsigned char *, unsigned))dlsym(z, "crc32") : NULL;
	if (!crc) {
		fprintf(stderr, "cpu-attach: cannot load libz.so.1's crc32\n");
		return 1;
	}
	static unsigned char block[65536];
	memset(block, 7, sizeof(block));
	unsigned long c = 0;
	int64_t end = thread_cpu_ns() + ms * 1000000LL;
	while (thread_cpu_ns() < end)
		c = crc(c, block, sizeof(block));
	sink = c;
	printf("cpu-attach: dlopen ok\n");
	return 0;
}

int main(int argc, char **argv)
{
	if (argc > 2 && !strcmp(argv[1], "dlopen"))
		return late_dlopen(argv[2], argc > 3 ? strtol(argv[3], NULL, 10) : 1000);
	long ms = argc > 1 ? strtol(argv[1], NULL, 10) : 6000;
	if (ms <= 0)
		ms = 6000;
	long n = 0;
	while ((used[0] + used[1]) / 1000000 < ms) {
		pthread_t th;
		char name[16];
		if (pthread_create(&th, NULL, worker, NULL) != 0) {
			fprintf(stderr, "cpu-attach: cannot start a thread\n");
			return 1;
		}
		snprintf(name, sizeof(name), "late-%ld", n % 1000);
		pthread_setname_np(th, name);
		pthread_join(th, NULL);
		n++;
	}
	int64_t t = used[0] + used[1];
	printf("cpu-attach: %ld threads, %.1f/%.1f\n", n, 100.0 * used[0] / t, 100.0 * used[1] / t);
	return 0;
}
