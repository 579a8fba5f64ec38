/* thread-exit: exit() called by a non-main thread while main is blocked in
 * pthread_join. main leaks 1 x 64 B from main_site; the thread leaks 1 x 80 B
 * from thread_site and then calls exit(5).
 *
 * Expected heap behaviour: malloc 2 (64 B + 80 B), both leaked, no frees;
 * pthread_create adds its DTV calloc (see EXPECTED.md). Exit status 5.
 * Prints nothing.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdlib.h>

static void *main_block, *thread_block;

__attribute__((noinline)) static void main_site(void)
{
	if (!(main_block = malloc(64)))
		abort();
}

__attribute__((noinline)) static void thread_site(void)
{
	if (!(thread_block = malloc(80)))
		abort();
}

static void *worker(void *arg)
{
	thread_site();
	exit(5);
}

int main(void)
{
	pthread_t tid;

	main_site();
	if (pthread_create(&tid, NULL, worker, NULL) != 0)
		return 1;
	pthread_join(tid, NULL);
	/* Not reached: the worker's exit(5) ends the process. */
	return 1;
}
