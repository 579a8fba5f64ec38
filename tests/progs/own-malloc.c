/* own-malloc: defines malloc, free, calloc and realloc itself, over a static
 * arena (a bump allocator; free only counts), as programs with an allocator
 * of their own do. The executable's definitions come first in symbol
 * lookup, before any preloaded library, so every allocation (its own and
 * the C library's) bypasses a preload-based profiler, which must say so
 * instead of showing 0 allocations in silence.
 *
 * Makes 100 mallocs of 24 B, 10 callocs of 8 x 4 B and 5 mallocs of 16 B
 * grown by realloc to 64 B (a realloc counts as neither an allocation nor a
 * free here), frees all 115 blocks, prints exactly
 *   own-malloc: 115 allocations, 115 frees
 * (counted by its own allocator, including none of the C library's) and
 * exits 7. */
#define _GNU_SOURCE
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

static _Alignas(16) unsigned char arena[1 << 22];
static size_t used;
static unsigned long own_allocs, own_frees, counting;

/* the size is kept in the 16 bytes before each block, for realloc */
static void *bump(size_t n)
{
	size_t need = (n + 15) / 16 * 16 + 16;
	if (n > sizeof(arena) || used + need > sizeof(arena))
		return NULL;
	unsigned char *p = arena + used + 16;
	used += need;
	memcpy(p - 16, &n, sizeof(n));
	return p;
}

void *malloc(size_t n)
{
	void *p = bump(n);
	if (p)
		own_allocs += counting;
	return p;
}

void free(void *p)
{
	if (p)
		own_frees += counting;
}

void *calloc(size_t k, size_t n)
{
	if (n && k > SIZE_MAX / n)
		return NULL;
	void *p = malloc(k * n);
	if (p)
		memset(p, 0, k * n);
	return p;
}

void *realloc(void *old, size_t n)
{
	if (!old)
		return malloc(n);
	size_t had;
	memcpy(&had, (unsigned char *)old - 16, sizeof(had));
	void *p = bump(n);
	if (p)
		memcpy(p, old, had < n ? had : n);   /* the old block is simply left */
	return p;
}

int main(void)
{
	void *b[115];
	counting = 1;
	for (int i = 0; i < 100; i++)
		b[i] = malloc(24);
	for (int i = 0; i < 10; i++)
		b[100 + i] = calloc(8, 4);
	for (int i = 0; i < 5; i++) {
		b[110 + i] = malloc(16);
		b[110 + i] = realloc(b[110 + i], 64);
	}
	for (int i = 0; i < 115; i++)
		free(b[i]);
	counting = 0;
	printf("own-malloc: %lu allocations, %lu frees\n", own_allocs, own_frees);
	return 7;
}
