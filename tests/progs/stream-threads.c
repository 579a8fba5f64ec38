/* stream-threads: heap events on several threads at once, for t047 (the
 * launcher encodes them into the profile while the program runs, merged
 * across threads up to the runtime's watermark).
 *
 * main makes 100 malloc(48) in main_site and frees them, then starts four
 * threads (worker-0..worker-3). Each makes 50 rounds of 200 malloc(64) in
 * worker_site, one realloc of the first block to 128 bytes in grow_site,
 * frees them all and sleeps 2 ms; then it ends. main joins them, allocating
 * nothing more, and sleeps 1 s before it returns: the launcher streams
 * events that are about 50 ms old, so by then it has them all.
 *
 * Expected heap behaviour (own calls): main_site 100 x 48 B; worker_site
 * 40,000 x 64 B; grow_site 200 reallocs to 128 B; every block freed, no
 * unmatched free. pthread_create adds one calloc per thread inside glibc
 * (its DTV, see EXPECTED.md). Prints nothing, exits 0.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#define WORKERS 4
#define ROUNDS 50
#define PER_ROUND 200

__attribute__((noinline)) static void *main_site(void)
{
	return malloc(48);
}

__attribute__((noinline)) static void *worker_site(void)
{
	return malloc(64);
}

__attribute__((noinline)) static void *grow_site(void *p)
{
	return realloc(p, 128);
}

static void pause_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
	while (nanosleep(&ts, &ts) != 0)
		;
}

static void *worker(void *arg)
{
	char name[16];
	snprintf(name, sizeof(name), "worker-%d", (int)(long)arg);
	pthread_setname_np(pthread_self(), name);
	void *b[PER_ROUND];
	for (int r = 0; r < ROUNDS; r++) {
		for (int i = 0; i < PER_ROUND; i++)
			if (!(b[i] = worker_site()))
				abort();
		void *g = grow_site(b[0]);
		if (!g)
			abort();
		b[0] = g;
		for (int i = 0; i < PER_ROUND; i++)
			free(b[i]);
		pause_ms(2);
	}
	return NULL;
}

int main(void)
{
	void *m[100];
	for (int i = 0; i < 100; i++)
		if (!(m[i] = main_site()))
			abort();
	for (int i = 0; i < 100; i++)
		free(m[i]);
	pthread_t t[WORKERS];
	for (long i = 0; i < WORKERS; i++)
		if (pthread_create(&t[i], NULL, worker, (void *)i) != 0)
			abort();
	for (int i = 0; i < WORKERS; i++)
		pthread_join(t[i], NULL);
	pause_ms(1000);
	return 0;
}
