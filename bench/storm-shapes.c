/* storm-shapes: an allocation storm in every program shape, for
 * bench/heap-scale.sh and bench/read-scale.sh.
 *
 *   storm-shapes [--shape=main|worker|threads4] [--sizes=random|periodic]
 *                [--iterations=N] [--allocs=N] [--seed=N]
 *
 * Shapes: main (every allocation on the main thread), worker (one thread
 * makes them all while main waits in pthread_join), threads4 (4 threads at
 * once, each a quarter of the iterations and allocations).
 *
 * Each iteration first frees the blocks whose lifetime ends there, then
 * makes its share of the allocations (allocs / iterations, the remainder
 * spread evenly) through one of 6 call sites at stack depths 3 to 8 (from
 * main or from the thread's start routine). A block lives 0 iterations (a
 * temporary: freed right after it is stamped) up to 63; blocks wait in a
 * ring of 64 lists, linked through their own first 8 bytes, so the storm
 * itself allocates nothing else. At the end the ring is emptied: every block
 * is freed, nothing leaks.
 *
 *   random:   site, size and lifetime from a seeded PRNG (splitmix64) per
 *             thread: sizes 60% 8-128 B, 30% 129-1024 B, 9% 1-8 KiB,
 *             1% 8-64 KiB; lifetimes 20% temporary, else 1-63 iterations.
 *   periodic: a fixed pattern of 16 (site, size, lifetime) triples, repeated.
 *
 * Defaults: --shape=main --sizes=random --iterations=2000000
 * --allocs=10000000 (issue 12's worker-thread storm is --shape=worker).
 * Prints one line with the counts and a checksum (of sizes and of bytes
 * read back from the blocks) that is the same on every run of the same
 * options; the exit status is 0 only if every allocation was freed.
 * Exactly --allocs malloc calls and as many frees come from the storm; the
 * rest of the process (the C library, pthread_create) adds only a few.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#if defined(__clang__)
#define LAYER __attribute__((noinline))
#else
#define LAYER __attribute__((noipa))
#endif
#define KEEP_FRAME() __asm__ volatile("" ::: "memory")

#define RING 64 /* lifetimes 0..RING-1 iterations */
#define MAX_THREADS 4
#define FLAG_STAMPED 1u /* in the link word: the block has a byte at p[8] */

struct storm {
	uint64_t rng;
	uint64_t iterations, allocs; /* this thread's share */
	uint64_t done_allocs, frees, bytes, checksum;
	uintptr_t ring[RING]; /* list heads: block address | flags */
	int periodic;
};

static void mix(struct storm *s, uint64_t v)
{
	s->checksum = (s->checksum ^ v) * 0x100000001B3ull;
}

static uint64_t rng_next(struct storm *s)
{
	uint64_t z = (s->rng += 0x9E3779B97F4A7C15ull);
	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
	return z ^ (z >> 31);
}

static void die_oom(size_t n)
{
	fprintf(stderr, "storm-shapes: out of memory (%zu bytes)\n", n);
	exit(1);
}

/* --- the call sites: each ends in its own malloc call --- */
LAYER static void *site0_leaf(size_t n)
{
	void *p = malloc(n);
	if (!p)
		die_oom(n);
	return p;
}

LAYER static void *site1_leaf(size_t n)
{
	void *p = malloc(n);
	if (!p)
		die_oom(n);
	return p;
}
LAYER static void *site1_mid(size_t n)
{
	void *p = site1_leaf(n);
	KEEP_FRAME();
	return p;
}

LAYER static void *site2_leaf(size_t n)
{
	void *p = malloc(n);
	if (!p)
		die_oom(n);
	return p;
}
LAYER static void *site2_b(size_t n)
{
	void *p = site2_leaf(n);
	KEEP_FRAME();
	return p;
}
LAYER static void *site2_a(size_t n)
{
	void *p = site2_b(n);
	KEEP_FRAME();
	return p;
}

LAYER static void *site3_leaf(size_t n)
{
	void *p = malloc(n);
	if (!p)
		die_oom(n);
	return p;
}
LAYER static void *site3_c(size_t n)
{
	void *p = site3_leaf(n);
	KEEP_FRAME();
	return p;
}
LAYER static void *site3_b(size_t n)
{
	void *p = site3_c(n);
	KEEP_FRAME();
	return p;
}
LAYER static void *site3_a(size_t n)
{
	void *p = site3_b(n);
	KEEP_FRAME();
	return p;
}

LAYER static void *site4_leaf(size_t n)
{
	void *p = malloc(n);
	if (!p)
		die_oom(n);
	return p;
}
LAYER static void *site4_d(size_t n)
{
	void *p = site4_leaf(n);
	KEEP_FRAME();
	return p;
}
LAYER static void *site4_c(size_t n)
{
	void *p = site4_d(n);
	KEEP_FRAME();
	return p;
}
LAYER static void *site4_b(size_t n)
{
	void *p = site4_c(n);
	KEEP_FRAME();
	return p;
}
LAYER static void *site4_a(size_t n)
{
	void *p = site4_b(n);
	KEEP_FRAME();
	return p;
}

/* site 5 shares site 4's upper layers but allocates from another leaf */
LAYER static void *site5_leaf(size_t n)
{
	void *p = malloc(n);
	if (!p)
		die_oom(n);
	return p;
}
LAYER static void *site5_e(size_t n)
{
	void *p = site5_leaf(n);
	KEEP_FRAME();
	return p;
}
LAYER static void *site5_d(size_t n)
{
	void *p = site5_e(n);
	KEEP_FRAME();
	return p;
}

#define NSITES 6

LAYER static void *alloc_at(unsigned site, size_t n)
{
	void *p;
	switch (site) {
	case 0: p = site0_leaf(n); break;
	case 1: p = site1_mid(n); break;
	case 2: p = site2_a(n); break;
	case 3: p = site3_a(n); break;
	case 4: p = site4_a(n); break;
	default: p = site5_d(n); break;
	}
	KEEP_FRAME();
	return p;
}

LAYER static void release(struct storm *s, uintptr_t link)
{
	unsigned char *p = (unsigned char *)(link & ~(uintptr_t)15);
	if (link & FLAG_STAMPED)
		mix(s, p[8]);
	free(p);
	s->frees++;
}

/* Frees the list of ring slot i. */
LAYER static void drain(struct storm *s, unsigned i)
{
	uintptr_t link = s->ring[i];
	s->ring[i] = 0;
	while (link) {
		uintptr_t next;
		memcpy(&next, (void *)(link & ~(uintptr_t)15), sizeof(next));
		release(s, link);
		link = next;
	}
}

/* 60% 8-128 B, 30% 129-1024 B, 9% 1-8 KiB, 1% 8-64 KiB. */
static size_t pick_size(uint64_t r)
{
	unsigned band = (unsigned)(r % 100);
	r /= 100;
	if (band < 60)
		return 8 + r % 121;
	if (band < 90)
		return 129 + r % 896;
	if (band < 99)
		return 1025 + r % 7168;
	return 8193 + r % 57344;
}

/* The periodic pattern: site, size, lifetime (0 = temporary). */
static const struct {
	unsigned char site;
	unsigned size;
	unsigned char life;
} pattern[16] = {
	{0, 32, 0},   {1, 64, 1},   {2, 24, 4},  {3, 128, 0}, {4, 16, 2},    {5, 512, 8},
	{0, 48, 1},   {1, 8, 0},    {2, 4096, 3}, {3, 96, 16}, {4, 256, 0},  {5, 40, 1},
	{0, 1024, 32}, {1, 16, 2},  {2, 65536, 1}, {3, 200, 63},
};

LAYER static void one_alloc(struct storm *s, uint64_t iter)
{
	unsigned site, life;
	size_t size;
	if (s->periodic) {
		unsigned k = (unsigned)(s->done_allocs % 16);
		site = pattern[k].site;
		size = pattern[k].size;
		life = pattern[k].life;
	} else {
		uint64_t r = rng_next(s);
		site = (unsigned)(r % NSITES);
		life = (r >> 8) % 100 < 20 ? 0 : 1 + (unsigned)((r >> 16) % (RING - 1));
		size = pick_size(r >> 24);
	}
	unsigned char *p = alloc_at(site, size);
	s->done_allocs++;
	s->bytes += size;
	mix(s, size * NSITES + site);
	uintptr_t link = (uintptr_t)p;
	if ((link & 15) != 0) {
		fprintf(stderr, "storm-shapes: malloc returned %p, not 16-byte aligned\n", (void *)p);
		exit(1);
	}
	if (size > 8) {
		p[8] = (unsigned char)(s->done_allocs * 31 + size);
		link |= FLAG_STAMPED;
	}
	if (life == 0) {
		release(s, link);
		return;
	}
	unsigned slot = (unsigned)((iter + life) % RING);
	memcpy(p, &s->ring[slot], sizeof(uintptr_t));
	s->ring[slot] = link;
}

LAYER static void run_storm(struct storm *s)
{
	uint64_t done = 0;
	for (uint64_t i = 0; i < s->iterations; i++) {
		drain(s, (unsigned)(i % RING));
		/* allocations up to the end of iteration i: floor((i+1) A / N) */
		uint64_t upto = (uint64_t)(((unsigned __int128)(i + 1) * s->allocs) / s->iterations);
		for (; done < upto; done++)
			one_alloc(s, i);
	}
	for (unsigned i = 0; i < RING; i++)
		drain(s, i);
	KEEP_FRAME();
}

LAYER static void *worker_main(void *arg)
{
	run_storm(arg);
	KEEP_FRAME();
	return NULL;
}

static uint64_t parse_count(const char *opt, const char *v)
{
	char *end;
	errno = 0;
	unsigned long long n = strtoull(v, &end, 10);
	if (errno || end == v || *end || v[0] == '-') {
		fprintf(stderr, "storm-shapes: %s: not a count: '%s'\n", opt, v);
		exit(2);
	}
	return n;
}

static void usage(void)
{
	fprintf(stderr, "usage: storm-shapes [--shape=main|worker|threads4] [--sizes=random|periodic]\n"
			"                    [--iterations=N] [--allocs=N] [--seed=N]\n");
	exit(2);
}

int main(int argc, char **argv)
{
	const char *shape = "main", *sizes = "random";
	uint64_t iterations = 2000000, allocs = 10000000, seed = 0x5EED5707ull;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (!strncmp(a, "--shape=", 8))
			shape = a + 8;
		else if (!strncmp(a, "--sizes=", 8))
			sizes = a + 8;
		else if (!strncmp(a, "--iterations=", 13))
			iterations = parse_count("--iterations", a + 13);
		else if (!strncmp(a, "--allocs=", 9))
			allocs = parse_count("--allocs", a + 9);
		else if (!strncmp(a, "--seed=", 7))
			seed = parse_count("--seed", a + 7);
		else
			usage();
	}
	int nthreads, on_main;
	if (!strcmp(shape, "main"))
		nthreads = 1, on_main = 1;
	else if (!strcmp(shape, "worker"))
		nthreads = 1, on_main = 0;
	else if (!strcmp(shape, "threads4"))
		nthreads = 4, on_main = 0;
	else {
		fprintf(stderr, "storm-shapes: unknown shape '%s' (main, worker or threads4)\n", shape);
		return 2;
	}
	int periodic;
	if (!strcmp(sizes, "random"))
		periodic = 0;
	else if (!strcmp(sizes, "periodic"))
		periodic = 1;
	else {
		fprintf(stderr, "storm-shapes: unknown sizes '%s' (random or periodic)\n", sizes);
		return 2;
	}
	if (iterations == 0 || iterations < (uint64_t)nthreads) {
		fprintf(stderr, "storm-shapes: --iterations must be at least %d\n", nthreads);
		return 2;
	}

	static struct storm st[MAX_THREADS];
	for (int t = 0; t < nthreads; t++) {
		struct storm *s = &st[t];
		s->rng = seed + (uint64_t)t * 0x632BE59BD9B4E019ull;
		s->checksum = 0xCBF29CE484222325ull;
		s->periodic = periodic;
		/* thread t's share: the difference of floor((t+1) X / T) */
		s->iterations = (t + 1) * iterations / nthreads - t * iterations / nthreads;
		s->allocs = (t + 1) * allocs / nthreads - t * allocs / nthreads;
	}
	if (on_main) {
		run_storm(&st[0]);
	} else {
		pthread_t tid[MAX_THREADS];
		for (int t = 0; t < nthreads; t++) {
			int err = pthread_create(&tid[t], NULL, worker_main, &st[t]);
			if (err) {
				fprintf(stderr, "storm-shapes: pthread_create: %s\n", strerror(err));
				return 1;
			}
		}
		for (int t = 0; t < nthreads; t++)
			pthread_join(tid[t], NULL);
	}

	uint64_t total_allocs = 0, frees = 0, bytes = 0, checksum = 0xCBF29CE484222325ull;
	for (int t = 0; t < nthreads; t++) {
		total_allocs += st[t].done_allocs;
		frees += st[t].frees;
		bytes += st[t].bytes;
		checksum = (checksum ^ st[t].checksum) * 0x100000001B3ull;
	}
	char line[320];
	/* snprintf + write, not printf: stdio would malloc a stdout buffer */
	int len = snprintf(line, sizeof(line),
			   "storm-shapes: shape=%s sizes=%s threads=%d iterations=%" PRIu64 " allocs=%" PRIu64
			   " frees=%" PRIu64 " bytes=%" PRIu64 " checksum=%016" PRIx64 "\n",
			   shape, sizes, nthreads, iterations, total_allocs, frees, bytes, checksum);
	if (write(1, line, (size_t)len) != len)
		return 1;
	return total_allocs == allocs && frees == allocs ? 0 : 1;
}
