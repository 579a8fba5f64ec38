/* alloc-counts: the basic counting target. Exactly 1000 malloc(16) in
 * site_thousand (all freed by free_thousand), 7 malloc(100) in site_leak that
 * are never freed, and 1 calloc(10, 10) in site_calloc freed by free_calloc.
 *
 * Expected heap behaviour (the program's own calls; libc adds nothing here):
 *   malloc 1007 (1000 x 16 B + 7 x 100 B), calloc 1 (100 B), free 1001
 *   bytes allocated 16800, peak live 16000 B (the 1000 blocks held together),
 *   leaked at exit: 7 blocks, 700 B, all from site_leak.
 * Prints nothing, exits 0.
 */
#define _GNU_SOURCE
#include <stdlib.h>

#define THOUSAND 1000
#define LEAKS 7

/* Static storage so the pointer tables are not heap allocations themselves;
 * the leaked pointers stay reachable, as "still reachable" leaks. */
static void *thousand[THOUSAND];
static void *leaked[LEAKS];

__attribute__((noinline)) static void site_thousand(void)
{
	for (int i = 0; i < THOUSAND; i++) {
		thousand[i] = malloc(16);
		if (!thousand[i])
			abort();
	}
}

__attribute__((noinline)) static void free_thousand(void)
{
	for (int i = 0; i < THOUSAND; i++)
		free(thousand[i]);
}

__attribute__((noinline)) static void site_leak(void)
{
	for (int i = 0; i < LEAKS; i++) {
		leaked[i] = malloc(100);
		if (!leaked[i])
			abort();
	}
}

__attribute__((noinline)) static void *site_calloc(void)
{
	return calloc(10, 10);
}

__attribute__((noinline)) static void free_calloc(void *p)
{
	free(p);
}

int main(void)
{
	site_thousand();
	free_thousand();
	site_leak();
	unsigned char *c = site_calloc();
	if (!c)
		abort();
	for (int i = 0; i < 100; i++)
		if (c[i] != 0)
			abort();
	free_calloc(c);
	return 0;
}
