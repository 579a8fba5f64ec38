/* zone-calls: a call-heavy program for bench/zone-cost.sh. Each loop
 * iteration makes 3 real calls (outer -> mid -> leaf: noinline, so they stay
 * calls at -O2), ITERS iterations (argv[1], default 3,000,000: 9 million
 * calls) on each of THREADS threads (argv[2], default 1) at once.
 *
 * Built four ways by the bench: plain, -pg (uftrace), -finstrument-functions
 * (scorch record --calls, and uftrace too), and -DZONES (an explicit
 * SCORCH_ZONE in each of the three functions, linked with -lscorch).
 *
 * Prints on stderr what it measured itself: "zone-calls: N calls in T ns
 * (C ns cpu)": T the wall time of the loops, from the first thread's start
 * to the last's end, C the CPU time the loops took, summed over the threads
 * (each thread's CLOCK_THREAD_CPUTIME_ID around its loop), so the bench can
 * take the in-program cost per call apart from the tool's start and its
 * work after exit, and on a busy machine from the time other processes
 * took the cores. Stdout: the checksum only.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#ifdef ZONES
#include "scorch.h"
#define ZONE(n) SCORCH_ZONE(n)
#else
#define ZONE(n) do { } while (0)
#endif

static long iters = 3000000;
static _Atomic long long cpu_total;   /* ns of CPU the loops took, all threads */

static long long thread_cpu_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

__attribute__((noinline)) static uint64_t leaf(uint64_t x)
{
	ZONE("leaf");
	x ^= x >> 13;
	x *= 0x9e3779b97f4a7c15ULL;
	__asm__ volatile("" : "+r"(x));
	return x;
}

__attribute__((noinline)) static uint64_t mid(uint64_t x)
{
	ZONE("mid");
	uint64_t y = leaf(x + 1);
	__asm__ volatile("" : "+r"(y));
	return y ^ x;
}

__attribute__((noinline)) static uint64_t outer(uint64_t x)
{
	ZONE("outer");
	uint64_t y = mid(x);
	__asm__ volatile("" : "+r"(y));
	return y + 7;
}

static void *worker(void *arg)
{
	uint64_t x = (uintptr_t)arg, s = 0;
	long long c0 = thread_cpu_ns();
	for (long i = 0; i < iters; i++) {
		x = outer(x);
		s += x;
	}
	cpu_total += thread_cpu_ns() - c0;
	return (void *)(uintptr_t)s;
}

static int64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

int main(int argc, char **argv)
{
	int threads = 1;
	if (argc > 1)
		iters = atol(argv[1]);
	if (argc > 2)
		threads = atoi(argv[2]);
	if (iters <= 0 || threads <= 0 || threads > 64) {
		fprintf(stderr, "usage: zone-calls [ITERS [THREADS]]\n");
		return 2;
	}
	pthread_t t[64];
	uint64_t sum = 0;
	int64_t t0 = now_ns();
	if (threads == 1) {
		sum = (uintptr_t)worker((void *)1);
	} else {
		for (int i = 0; i < threads; i++)
			pthread_create(&t[i], NULL, worker, (void *)(uintptr_t)(i + 1));
		for (int i = 0; i < threads; i++) {
			void *r;
			pthread_join(t[i], &r);
			sum += (uintptr_t)r;
		}
	}
	int64_t t1 = now_ns();
	printf("zone-calls: checksum %016llx\n", (unsigned long long)sum);
	fprintf(stderr, "zone-calls: %ld calls in %lld ns (%lld ns cpu)\n", 3 * iters * threads, (long long)(t1 - t0),
		(long long)cpu_total);
	return 0;
}
