/* heap-storm: an allocation-heavy benchmark for heap profilers. Exactly
 * 10,000,000 malloc-family calls (malloc, calloc, realloc, free) on one
 * thread, sizes from a fixed-seed PRNG, a live set bounded by 2048 slots
 * (about 1100 blocks live), from five call sites at stack depths 5 to 9.
 * Prints the call counts and a checksum that is the same on every run; an
 * interposing profiler sees exactly those calls and no others from libc.
 */
#define _GNU_SOURCE
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Keep every layer a real frame with its own name: no inlining, cloning or
 * identical-code folding (the leaves would otherwise be merged). */
#if defined(__clang__)
#define LAYER __attribute__((noinline))
#else
#define LAYER __attribute__((noipa))
#endif
/* An empty asm after each call stops the caller's frame from becoming a
 * tail call that would vanish from the stack. */
#define KEEP_FRAME() __asm__ volatile("" ::: "memory")

#define TOTAL_CALLS 10000000ull
#define SLOTS 2048

struct block {
	unsigned char *p;
	size_t size;
};

static struct block slots[SLOTS];
static uint64_t calls[4]; /* malloc, calloc, realloc, free */
static uint64_t checksum = 0xCBF29CE484222325ull;
static uint64_t rng_state = 0x4EA95707ull;

enum { C_MALLOC, C_CALLOC, C_REALLOC, C_FREE };

/* splitmix64 */
static uint64_t rng_next(void)
{
	uint64_t z = (rng_state += 0x9E3779B97F4A7C15ull);
	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
	return z ^ (z >> 31);
}

/* 60% 16-128 B, 30% 129-1024 B, 9% 1-8 KiB, 1% 8-64 KiB. */
static size_t pick_size(uint64_t r)
{
	unsigned band = (unsigned)(r % 100);
	r /= 100;
	if (band < 60)
		return 16 + r % 113;
	if (band < 90)
		return 129 + r % 896;
	if (band < 99)
		return 1025 + r % 7168;
	return 8193 + r % 57344;
}

static void mix(uint64_t v)
{
	checksum = (checksum ^ v) * 0x100000001B3ull;
}

static void die_oom(size_t n)
{
	fprintf(stderr, "heap-storm: out of memory (%zu bytes)\n", n);
	exit(1);
}

/* Marks the first and last byte so the checksum sees the block's contents. */
static void stamp(struct block *b, unsigned char v)
{
	b->p[0] = v;
	b->p[b->size - 1] = (unsigned char)(v ^ 0x5A);
}

/* --- site A: malloc at depth 6 (main run_storm handle_request
 *     parse_request tokenize new_token) --- */
LAYER static unsigned char *new_token(size_t n)
{
	unsigned char *p = malloc(n);
	calls[C_MALLOC]++;
	if (!p)
		die_oom(n);
	return p;
}

LAYER static unsigned char *tokenize(size_t n)
{
	unsigned char *p = new_token(n);
	KEEP_FRAME();
	return p;
}

LAYER static unsigned char *parse_request(size_t n)
{
	unsigned char *p = tokenize(n);
	KEEP_FRAME();
	return p;
}

/* --- site B: malloc at depth 9 (... render_response render_body
 *     render_block render_cell format_cell new_cell_buffer) --- */
LAYER static unsigned char *new_cell_buffer(size_t n)
{
	unsigned char *p = malloc(n);
	calls[C_MALLOC]++;
	if (!p)
		die_oom(n);
	p[0] = 0;
	return p;
}

LAYER static unsigned char *format_cell(size_t n)
{
	unsigned char *p = new_cell_buffer(n);
	KEEP_FRAME();
	return p;
}

LAYER static unsigned char *render_cell(size_t n)
{
	unsigned char *p = format_cell(n);
	KEEP_FRAME();
	return p;
}

LAYER static unsigned char *render_block(size_t n)
{
	unsigned char *p = render_cell(n);
	KEEP_FRAME();
	return p;
}

LAYER static unsigned char *render_body(size_t n)
{
	unsigned char *p = render_block(n);
	KEEP_FRAME();
	return p;
}

LAYER static unsigned char *render_response(size_t n)
{
	unsigned char *p = render_body(n);
	KEEP_FRAME();
	return p;
}

/* --- site C: calloc at depth 6 (... build_index index_add
 *     new_bucket_table) --- */
LAYER static unsigned char *new_bucket_table(size_t n)
{
	unsigned char *p = calloc(1, n);
	calls[C_CALLOC]++;
	if (!p)
		die_oom(n);
	/* Zeroed memory: the checksum proves it. */
	mix(p[0] + p[n / 2] + p[n - 1]);
	return p;
}

LAYER static unsigned char *index_add(size_t n)
{
	unsigned char *p = new_bucket_table(n);
	KEEP_FRAME();
	return p;
}

LAYER static unsigned char *build_index(size_t n)
{
	unsigned char *p = index_add(n);
	KEEP_FRAME();
	return p;
}

/* --- site D: realloc at depth 7 (... append_output grow_output
 *     resize_buffer) --- */
LAYER static void resize_buffer(struct block *b, size_t n)
{
	unsigned char first = b->p[0];
	unsigned char *p = realloc(b->p, n);
	calls[C_REALLOC]++;
	if (!p)
		die_oom(n);
	/* The contents must move with the block. */
	mix(first == p[0]);
	b->p = p;
	b->size = n;
}

LAYER static void grow_output(struct block *b, size_t n)
{
	resize_buffer(b, n);
	KEEP_FRAME();
}

LAYER static void append_output(struct block *b, size_t n)
{
	grow_output(b, n);
	KEEP_FRAME();
}

/* --- site E: free at depth 5 (... release_object drop_ref) --- */
LAYER static void drop_ref(struct block *b)
{
	mix(b->p[0] + ((uint64_t)b->p[b->size - 1] << 8) + b->size);
	free(b->p);
	calls[C_FREE]++;
	b->p = NULL;
	b->size = 0;
}

LAYER static void release_object(struct block *b)
{
	drop_ref(b);
	KEEP_FRAME();
}

/* One step of the storm on a random slot: an empty slot gets a new block
 * from site A (70%), B (15%) or C (15%); an occupied one is freed (80%) or
 * resized (20%). Returns how many malloc-family calls it made (always 1).
 * With alloc_allowed == 0 an empty slot is left alone (returns 0). */
LAYER static int handle_request(int alloc_allowed)
{
	uint64_t r = rng_next();
	struct block *b = &slots[r % SLOTS];
	unsigned op = (unsigned)((r >> 11) % 100);
	size_t size = pick_size(r >> 18);

	if (!b->p) {
		if (!alloc_allowed)
			return 0;
		if (op < 70)
			b->p = parse_request(size);
		else if (op < 85)
			b->p = render_response(size);
		else
			b->p = build_index(size);
		b->size = size;
		stamp(b, (unsigned char)r);
	} else if (op < 80) {
		release_object(b);
	} else {
		append_output(b, size);
		stamp(b, (unsigned char)(r >> 8));
	}
	KEEP_FRAME();
	return 1;
}

LAYER static void run_storm(void)
{
	uint64_t done = 0, live = 0;

	/* Every allocation needs one more call later to free it, so stop
	 * allocating once done + live reaches the budget; then free the rest. */
	while (done + live < TOTAL_CALLS) {
		int alloc_allowed = done + live + 2 <= TOTAL_CALLS;
		uint64_t before = calls[C_MALLOC] + calls[C_CALLOC];
		uint64_t frees = calls[C_FREE];
		done += (uint64_t)handle_request(alloc_allowed);
		live += calls[C_MALLOC] + calls[C_CALLOC] - before;
		live -= calls[C_FREE] - frees;
	}
	for (int i = 0; i < SLOTS; i++)
		if (slots[i].p)
			release_object(&slots[i]);
	KEEP_FRAME();
}

int main(void)
{
	run_storm();
	uint64_t total = calls[C_MALLOC] + calls[C_CALLOC] + calls[C_REALLOC] + calls[C_FREE];
	char line[256];
	/* snprintf + write rather than printf: stdio would malloc a stdout
	 * buffer, and the profilers should see exactly TOTAL_CALLS calls. */
	int len = snprintf(line, sizeof(line), "heap-storm: calls=%" PRIu64 " malloc=%" PRIu64
			   " calloc=%" PRIu64 " realloc=%" PRIu64 " free=%" PRIu64
			   " checksum=%016" PRIx64 "\n",
			   total, calls[C_MALLOC], calls[C_CALLOC], calls[C_REALLOC], calls[C_FREE], checksum);
	if (write(1, line, (size_t)len) != len)
		return 1;
	return total == TOTAL_CALLS ? 0 : 1;
}
