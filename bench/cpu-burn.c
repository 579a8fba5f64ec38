/* cpu-burn: a single-threaded CPU-bound benchmark for the sampling profilers
 * (bench/cpu-overhead.sh): rounds of integer hashing, a small matrix multiply
 * and pointer chasing through a 16 MiB ring, about a third each, in named
 * noipa functions 6-7 frames deep (a frame-pointer unwinder sees one less: gcc
 * gives the leaves no frame), about 3.6 s of CPU on the CI machine kind
 * (argv[1] = rounds, default 32).
 *
 * Prints "cpu-burn: checksum=0x... rounds=N" (the same on every run) and
 * "cpu-burn: cpu_s=S", its own process CPU time, which the script divides
 * sample counts by to get each profiler's delivered rate, then
 * "cpu-burn: user_s=U sys_s=S" (getrusage: where that time went) and
 * "cpu-burn: main_s=W", the wall time from main's start to its end: what a
 * profiler's command takes beyond it is its cost outside the program (its
 * launcher, the program's start under it, its post-processing).
 */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <time.h>

/* noipa: no inlining, cloning or interprocedural shortcuts at -O2, so the
 * symbols a profiler reports are exactly these names. */
#define NAMED __attribute__((noipa))

#define HASH_WORDS  4096          /* 32 KiB buffer: stays in L1/L2 */
#define HASH_PASSES 4000
#define MAT_N       96
#define MAT_REPS    120
#define RING_NODES  (1u << 20)    /* 16 B each: 16 MiB, misses every cache */
#define CHASE_STEPS 300000

struct node {
	uint32_t next;
	uint32_t weight;
	uint64_t pad;
};

static uint64_t hash_buf[HASH_WORDS];
static double mat_a[MAT_N][MAT_N], mat_b[MAT_N][MAT_N], mat_c[MAT_N][MAT_N];
static struct node *ring;

static uint64_t rng_state = 0x9e3779b97f4a7c15ULL;

static uint64_t rng(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

/* --- hashing: stage_hash -> hash_buffer -> hash_block -> mix64 ---------- */

NAMED static uint64_t mix64(uint64_t h, uint64_t v)
{
	h ^= v + 0x9e3779b97f4a7c15ULL + (h << 6) + (h >> 2);
	h *= 0xff51afd7ed558ccdULL;
	return h ^ (h >> 33);
}

NAMED static uint64_t hash_block(const uint64_t *w, size_t n, uint64_t h)
{
	for (size_t i = 0; i < n; i++)
		h = mix64(h, w[i]);
	return h;
}

NAMED static uint64_t hash_buffer(uint64_t seed)
{
	uint64_t h = seed;

	for (size_t off = 0; off < HASH_WORDS; off += 256)
		h = hash_block(hash_buf + off, 256, h);
	hash_buf[h % HASH_WORDS] ^= h;   /* next pass hashes different data */
	return h;
}

NAMED static uint64_t stage_hash(uint64_t seed)
{
	for (int p = 0; p < HASH_PASSES; p++)
		seed = hash_buffer(seed);
	return seed;
}

/* --- matrix: stage_matrix -> matmul -> mat_row -> dot_col --------------- */

NAMED static double dot_col(const double *row, int col)
{
	double s = 0;

	for (int k = 0; k < MAT_N; k++)
		s += row[k] * mat_b[k][col];
	return s;
}

NAMED static void mat_row(int i)
{
	for (int j = 0; j < MAT_N; j++)
		mat_c[i][j] = dot_col(mat_a[i], j);
}

NAMED static void matmul(void)
{
	for (int i = 0; i < MAT_N; i++)
		mat_row(i);
	/* Feed the product back (scaled to stay finite) so rounds differ. */
	for (int i = 0; i < MAT_N; i++)
		for (int j = 0; j < MAT_N; j++)
			mat_a[i][j] = mat_c[i][j] / (MAT_N * 4.0) + 0.25;
}

NAMED static uint64_t stage_matrix(uint64_t seed)
{
	uint64_t h = seed;

	for (int r = 0; r < MAT_REPS; r++)
		matmul();
	for (int i = 0; i < MAT_N; i++)
		h = h * 31 + (uint64_t)(mat_c[i][(i * 7) % MAT_N] * 1e6);
	return h;
}

/* --- pointer chasing: stage_chase -> chase_walk -> chase_leg ------------ */

NAMED static uint32_t chase_leg(uint32_t at, int steps, uint64_t *acc)
{
	uint64_t a = *acc;

	for (int s = 0; s < steps; s++) {
		a += ring[at].weight;
		at = ring[at].next;
	}
	*acc = a;
	return at;
}

NAMED static uint64_t chase_walk(uint32_t start, int steps)
{
	uint64_t acc = 0;
	uint32_t at = start;

	for (int done = 0; done < steps; done += 1000)
		at = chase_leg(at, 1000, &acc);
	return acc ^ at;
}

NAMED static uint64_t stage_chase(uint64_t seed)
{
	/* Not a tail call, so stage_chase keeps its frame in the stacks. */
	uint64_t h = chase_walk((uint32_t)(seed % RING_NODES), CHASE_STEPS);

	return h + 1;
}

/* --- driver: main -> bench_run -> bench_round -> stage_* ---------------- */

NAMED static uint64_t bench_round(int r, uint64_t h)
{
	h = stage_hash(h ^ (uint64_t)r);
	h ^= stage_matrix(h);
	h = mix64(h, stage_chase(h));
	return h;
}

NAMED static uint64_t bench_run(int rounds)
{
	uint64_t h = 0x243f6a8885a308d3ULL;

	for (int r = 0; r < rounds; r++)
		h = bench_round(r, h);
	return h;
}

/* One random cycle through all nodes (Sattolo), from the fixed seed. */
static void setup(void)
{
	uint32_t *perm = malloc(sizeof(*perm) * RING_NODES);

	ring = malloc(sizeof(*ring) * RING_NODES);
	if (!perm || !ring) {
		fprintf(stderr, "cpu-burn: out of memory\n");
		exit(1);
	}
	for (uint32_t i = 0; i < RING_NODES; i++)
		perm[i] = i;
	for (uint32_t i = RING_NODES - 1; i > 0; i--) {
		uint32_t j = (uint32_t)(rng() % i), t = perm[i];

		perm[i] = perm[j];
		perm[j] = t;
	}
	for (uint32_t i = 0; i < RING_NODES; i++) {
		ring[perm[i]].next = perm[(i + 1) % RING_NODES];
		ring[perm[i]].weight = (uint32_t)rng();
		ring[perm[i]].pad = 0;
	}
	free(perm);
	for (int i = 0; i < HASH_WORDS; i++)
		hash_buf[i] = rng();
	for (int i = 0; i < MAT_N; i++)
		for (int j = 0; j < MAT_N; j++) {
			mat_a[i][j] = (double)(rng() % 1000) / 1000.0;
			mat_b[i][j] = (double)(rng() % 1000) / 1000.0;
		}
}

int main(int argc, char **argv)
{
	int rounds = argc > 1 ? atoi(argv[1]) : 32;
	struct timespec ts, w0, w1;
	uint64_t h;

	clock_gettime(CLOCK_MONOTONIC, &w0);
	if (rounds <= 0)
		rounds = 32;
	setup();
	h = bench_run(rounds);
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	printf("cpu-burn: checksum=0x%016llx rounds=%d\n", (unsigned long long)h, rounds);
	printf("cpu-burn: cpu_s=%.3f\n", ts.tv_sec + ts.tv_nsec / 1e9);
	/* the split, for telling a profiler's cost in the kernel (interrupts,
	 * signal delivery) from its cost in the process (a signal handler) */
	struct rusage ru;
	if (getrusage(RUSAGE_SELF, &ru) == 0)
		printf("cpu-burn: user_s=%.3f sys_s=%.3f\n", ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6,
		       ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6);
	free(ring);
	clock_gettime(CLOCK_MONOTONIC, &w1);
	printf("cpu-burn: main_s=%.6f\n", (double)(w1.tv_sec - w0.tv_sec) + (w1.tv_nsec - w0.tv_nsec) / 1e9);
	return 0;
}
