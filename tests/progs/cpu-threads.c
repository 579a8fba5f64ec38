/* cpu-threads: two threads, "heavy" and "light", busy at the same time:
 * heavy_work burns argv[1] ms of thread CPU time (default 4000) and light_work
 * burns exactly a third of that, kept in step with heavy (light naps 3 ms
 * whenever it is ahead of heavy/3, outside light_work). Expected: CPU samples
 * 75% thread "heavy" / heavy_work, 25% thread "light" / light_work (perf: by
 * thread 75.0/25.0, by function 74.6/24.5, EXPECTED-CPU.md); main only waits.
 * Prints "cpu-threads: 3.00:1".
 *
 * `cpu-threads busy2 [MS]`: threads "busy-0" and "busy-1" each burn MS ms of
 * thread CPU time (default 4000) in busy_work, so a sampler at F Hz must take
 * 2 * MS * F / 1000 samples (50/50). Prints "cpu-threads: busy2 2 x MS ms".
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define CHUNK 100000   /* iterations between clock reads, ~100 us at -O0 */

static long duration_ms = 4000;
static _Atomic int64_t heavy_used;   /* heavy's thread CPU ns, published per chunk */
static _Atomic int heavy_done;
static int64_t light_used;           /* for main's summary, written by light only */

static int64_t thread_cpu_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* One chunk of pure arithmetic; a macro so that its samples land in the
 * worker that spells it out, not in a helper. */
#define CHUNK_OF_WORK(x)                                                          \
	do {                                                                      \
		for (int i_ = 0; i_ < CHUNK; i_++)                                \
			(x) = (x) * 6364136223846793005ULL + 1442695040888963407ULL; \
	} while (0)

/* Burns until the thread CPU clock reaches `until`, publishing progress. */
__attribute__((noinline)) static uint64_t heavy_work(int64_t start, int64_t until)
{
	uint64_t x = 1;
	int64_t now;

	while ((now = thread_cpu_ns()) < until) {
		atomic_store(&heavy_used, now - start);
		CHUNK_OF_WORK(x);
	}
	atomic_store(&heavy_used, now - start);
	return x;
}

/* Burns until the thread CPU clock reaches `until` (at most one chunk over). */
__attribute__((noinline)) static uint64_t light_work(int64_t until)
{
	uint64_t x = 2;

	while (thread_cpu_ns() < until)
		CHUNK_OF_WORK(x);
	return x;
}

__attribute__((noinline)) static uint64_t busy_work(int64_t until)
{
	uint64_t x = 3;

	while (thread_cpu_ns() < until)
		CHUNK_OF_WORK(x);
	return x;
}

static volatile uint64_t sink;

/* Each thread names itself before doing anything, so that no sample is
 * taken under the inherited name. */
static void *heavy_main(void *name)
{
	int64_t t0;

	pthread_setname_np(pthread_self(), name);
	t0 = thread_cpu_ns();
	sink = heavy_work(t0, t0 + duration_ms * 1000000LL);
	atomic_store(&heavy_done, 1);
	return NULL;
}

/* Light follows heavy's published CPU time: it works while it is behind a
 * third of it and naps otherwise, so the two are busy over the same span
 * and the 3:1 ratio holds however the scheduler shares the cores. */
static void *light_main(void *name)
{
	const struct timespec nap = { 0, 3000000 };
	int64_t t0, mine;

	pthread_setname_np(pthread_self(), name);
	t0 = thread_cpu_ns();
	for (;;) {
		int done = atomic_load(&heavy_done);
		int64_t goal = atomic_load(&heavy_used) / 3;

		mine = thread_cpu_ns() - t0;
		if (mine < goal)
			sink = light_work(t0 + goal);
		else if (done)
			break;
		else
			nanosleep(&nap, NULL);
	}
	light_used = thread_cpu_ns() - t0;
	return NULL;
}

static void *busy_main(void *name)
{
	pthread_setname_np(pthread_self(), name);
	sink = busy_work(thread_cpu_ns() + duration_ms * 1000000LL);
	return NULL;
}

static void start(pthread_t *t, const char *name, void *(*fn)(void *))
{
	int err = pthread_create(t, NULL, fn, (void *)name);

	if (err) {
		fprintf(stderr, "cpu-threads: pthread_create: %s\n", strerror(err));
		exit(1);
	}
}

int main(int argc, char **argv)
{
	pthread_t a, b;
	int busy2 = argc > 1 && strcmp(argv[1], "busy2") == 0;
	const char *ms_arg = argc > 1 + busy2 ? argv[1 + busy2] : NULL;

	if (ms_arg && strtol(ms_arg, NULL, 10) > 0)
		duration_ms = strtol(ms_arg, NULL, 10);
	if (busy2) {
		start(&a, "busy-0", busy_main);
		start(&b, "busy-1", busy_main);
	} else {
		start(&a, "heavy", heavy_main);
		start(&b, "light", light_main);
	}
	pthread_join(a, NULL);
	pthread_join(b, NULL);
	if (busy2) {
		printf("cpu-threads: busy2 2 x %ld ms\n", duration_ms);
	} else {
		int64_t h = atomic_load(&heavy_used);

		printf("cpu-threads: %.2f:1\n", (double)h / (double)light_used);
	}
	return 0;
}
