/* stats: the in-program API. Measures scorch_heap_stats() around a function
 * that allocates nothing and one that makes exactly 3 allocations (2 freed),
 * and prints what it saw: "none=0 three=3 frees=2 bytes=300 cur=+1 thread=3"
 * under scorch (or linked with -lscorch: see stats-linked.c), or
 * "absent=-1" when the runtime is not in the process. Then 4 threads make
 * 10 allocations each and free them: "threads=10,10,10,10 frees=40" (each
 * thread's own count, and the process-wide frees across creating and
 * joining them: glibc's thread setup allocates but frees nothing real). */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "scorch.h"

static volatile int sink;

__attribute__((noinline)) static int no_alloc(int n)
{
	int s = 0;
	for (int i = 0; i < n; i++)
		s += i * i;
	return s;
}

__attribute__((noinline)) static void *three_allocs(void)
{
	char *a = malloc(100), *b = malloc(100), *c = malloc(100);
	memset(a, 1, 100);
	memset(b, 2, 100);
	sink = a[5] + b[5];
	free(a);
	free(b);
	return c;
}

static void *ten_allocs(void *arg)
{
	struct scorch_heap_stats a, b;
	scorch_heap_stats_thread(&a);
	void *p[10];
	for (int i = 0; i < 10; i++)
		p[i] = malloc(64);
	for (int i = 0; i < 10; i++)
		free(p[i]);
	scorch_heap_stats_thread(&b);
	*(unsigned long long *)arg = b.allocations - a.allocations;
	return NULL;
}

int main(void)
{
	struct scorch_heap_stats s0, s1, s2, t0, t1;
	int rc = scorch_heap_stats(&s0);
	if (rc != 0) {
		printf("absent=%d\n", rc);
		return 0;
	}
	scorch_heap_stats_thread(&t0);
	sink = no_alloc(1000);
	scorch_heap_stats(&s1);
	void *keep = three_allocs();
	scorch_heap_stats(&s2);
	scorch_heap_stats_thread(&t1);
	printf("none=%llu three=%llu frees=%llu bytes=%llu cur=%s thread=%llu\n",
	       (unsigned long long)(s1.allocations - s0.allocations),
	       (unsigned long long)(s2.allocations - s1.allocations),
	       (unsigned long long)(s2.frees - s1.frees),
	       (unsigned long long)(s2.total_bytes - s1.total_bytes),
	       s2.current_bytes > s1.current_bytes ? "+1" : "0",
	       (unsigned long long)(t1.allocations - t0.allocations));
	free(keep);
	pthread_t th[4];
	unsigned long long n[4];
	struct scorch_heap_stats f0, f1;
	scorch_heap_stats(&f0);
	for (int i = 0; i < 4; i++)
		pthread_create(&th[i], NULL, ten_allocs, &n[i]);
	for (int i = 0; i < 4; i++)
		pthread_join(th[i], NULL);
	scorch_heap_stats(&f1);
	printf("threads=%llu,%llu,%llu,%llu frees=%llu\n", n[0], n[1], n[2], n[3],
	       (unsigned long long)(f1.frees - f0.frees));
	printf("recording=%d\n", s2.recording);
	return 0;
}
