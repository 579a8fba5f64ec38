/* many-threads: 200 threads alive at once (held by a barrier), each doing
 * exactly one malloc(24) in thread_site and one free in thread_free; tests
 * per-thread state setup and teardown at scale.
 *
 * Expected heap behaviour (own calls): malloc 200 x 24 B, free 200, leaks 0.
 * Threads use 128 KiB stacks so glibc's 40 MiB stack cache keeps every stack:
 * pthread_create then adds exactly one DTV calloc per thread (200), none of
 * them freed (see EXPECTED.md). Prints nothing, exits 0.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdlib.h>

#define NTHREADS 200

static pthread_barrier_t all_alive;

__attribute__((noinline)) static void *thread_site(void)
{
	return malloc(24);
}

__attribute__((noinline)) static void thread_free(void *p)
{
	free(p);
}

static void *worker(void *arg)
{
	volatile char *p = thread_site();

	if (!p)
		abort();
	p[0] = 1;
	/* Every thread holds its block until all 200 exist. */
	pthread_barrier_wait(&all_alive);
	thread_free((void *)p);
	return NULL;
}

int main(void)
{
	pthread_t tids[NTHREADS];
	pthread_attr_t attr;

	pthread_barrier_init(&all_alive, NULL, NTHREADS);
	pthread_attr_init(&attr);
	pthread_attr_setstacksize(&attr, 128 * 1024);
	for (int i = 0; i < NTHREADS; i++)
		if (pthread_create(&tids[i], &attr, worker, NULL) != 0)
			abort();
	for (int i = 0; i < NTHREADS; i++)
		pthread_join(tids[i], NULL);
	pthread_attr_destroy(&attr);
	pthread_barrier_destroy(&all_alive);
	return 0;
}
