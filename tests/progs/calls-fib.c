/* calls-fib: built with -finstrument-functions and linked with -lscorch
 * (Makefile). Under `scorch record --calls` every call is a zone:
 *   main 1, fib 21891 (fib(20)), thread_main 2 (threads named "fib-a" and
 *   "fib-b"), tfib 354 (fib(10) = 177 calls on each thread), slow 2 (20 ms
 *   each), make_blocks 1 (10 mallocs of 100 bytes, freed by main).
 * Depths: main 1, fib(20) 2, fib(19) and fib(18) 3; thread_main 1 and
 * tfib(10) 2 on their threads; slow and make_blocks 2.
 * Prints "fib(20)=6765 tfib=55,55" either way. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "scorch.h"

static int fib(int n)
{
	return n < 2 ? n : fib(n - 1) + fib(n - 2);
}

static int tfib(int n)
{
	return n < 2 ? n : tfib(n - 1) + tfib(n - 2);
}

static void *thread_main(void *arg)
{
	int *out = arg;
	SCORCH_THREAD_NAME(*out ? "fib-b" : "fib-a");
	*out = tfib(10);
	return NULL;
}

static void slow(void)
{
	struct timespec ts = { 0, 20 * 1000000L };
	while (nanosleep(&ts, &ts) != 0)
		;
}

static void make_blocks(void **p)
{
	for (int i = 0; i < 10; i++)
		p[i] = malloc(100);
}

int main(void)
{
	int r = fib(20);
	pthread_t th[2];
	int out[2] = { 0, 1 };
	for (int i = 0; i < 2; i++) {
		pthread_create(&th[i], NULL, thread_main, &out[i]);
		pthread_join(th[i], NULL);
	}
	slow();
	slow();
	void *p[10];
	make_blocks(p);
	for (int i = 0; i < 10; i++)
		free(p[i]);
	printf("fib(20)=%d tfib=%d,%d\n", r, out[0], out[1]);
	return 0;
}
