/* cpu-threadloop [N]: starts N threads one after another (default 2000),
 * each checksumming a small block, and joins each before the next starts.
 * Under `scorch record -F 9999` samples land in thread creation and exit
 * (the C library's stack cache, clone, TLS set-up and teardown) and in the
 * runtime's own per-thread start and stop.
 *
 * Prints `cpu-threadloop: N threads, sum S` (S the same every run) and exits
 * 0; 1 with a message on stderr when a thread cannot be started.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

static void *work(void *arg)
{
	unsigned long i = (unsigned long)arg, s = 0;
	for (unsigned long k = 0; k < 20000; k++)
		s += (k * 2654435761u) ^ i;
	return (void *)(s & 0xffff);
}

int main(int argc, char **argv)
{
	int n = argc > 1 ? atoi(argv[1]) : 2000;
	unsigned long sum = 0;
	for (int i = 0; i < n; i++) {
		pthread_t t;
		void *r;
		if (pthread_create(&t, NULL, work, (void *)(unsigned long)i) != 0) {
			fprintf(stderr, "cpu-threadloop: cannot start thread %d\n", i);
			return 1;
		}
		pthread_join(t, &r);
		sum += (unsigned long)r;
	}
	printf("cpu-threadloop: %d threads, sum %lu\n", n, sum);
	return 0;
}
