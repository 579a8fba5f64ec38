/* realloc-chain: exercises every realloc corner. A block grown from
 * realloc(NULL, 8) by eight doublings to 2048 B; realloc(p, 0); reallocarray
 * grow; and failing calls (realloc to a huge size, reallocarray whose
 * nmemb*size overflows) that must return NULL and leave the block intact.
 *
 * Expected heap behaviour (glibc 2.36 semantics):
 *   realloc_grow:  realloc 9 calls: (NULL,8) acts as malloc(8), then
 *                  16,32,64,128,256,512,1024,2048; free 1 (the 2048 B block)
 *   realloc_zero:  malloc 1 (32 B); realloc(p,0) 1 call: glibc frees p and
 *                  returns NULL (no new block)
 *   realloc_array: reallocarray 2 calls: (NULL,10,12)=120 B new block, then
 *                  (p,20,12)=240 B; free 1
 *   realloc_fail:  malloc 1 (64 B); realloc(p, SIZE_MAX-4095) fails -> NULL,
 *                  ENOMEM; reallocarray(p, SIZE_MAX/2, 4) fails -> NULL,
 *                  ENOMEM; p unchanged and freed: free 1
 *   totals: successful allocations 13 (blocks created or moved-to), failed 2,
 *   explicit free 3 + 1 free-by-realloc(p,0); leaks 0; peak live 2048 B.
 * Prints nothing on success; exits 0 (1 with a message on stderr if libc
 * misbehaves).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void fail(const char *what)
{
	fprintf(stderr, "realloc-chain: %s\n", what);
	exit(1);
}

__attribute__((noinline)) static void realloc_grow(void)
{
	size_t size = 8;
	/* Through a volatile: gcc folds a literal realloc(NULL, n) into
	 * malloc(n), even at -O0, and the point here is the realloc call. */
	void *volatile none = NULL;
	char *p = realloc(none, size);

	if (!p)
		fail("realloc(NULL, 8) failed");
	memset(p, 'a', size);
	for (int step = 0; step < 8; step++) {
		size *= 2;
		p = realloc(p, size);
		if (!p)
			fail("realloc grow failed");
		/* The old contents must have moved with the block. */
		if (p[0] != 'a')
			fail("realloc lost contents");
		memset(p, 'a', size);
	}
	free(p);
}

__attribute__((noinline)) static void realloc_zero(void)
{
	void *p = malloc(32);

	if (!p)
		fail("malloc(32) failed");
	/* glibc: realloc(p, 0) with p != NULL frees p and returns NULL. */
	void *q = realloc(p, 0);
	if (q != NULL)
		fail("realloc(p, 0) returned a block (not glibc semantics)");
}

__attribute__((noinline)) static void realloc_array(void)
{
	char *p = reallocarray(NULL, 10, 12);

	if (!p)
		fail("reallocarray(NULL, 10, 12) failed");
	memset(p, 'b', 120);
	p = reallocarray(p, 20, 12);
	if (!p || p[119] != 'b')
		fail("reallocarray grow failed");
	free(p);
}

__attribute__((noinline)) static void realloc_fail(void)
{
	char *p = malloc(64);

	if (!p)
		fail("malloc(64) failed");
	memset(p, 'c', 64);
	/* The failing calls leave p valid, which gcc's -Wuse-after-free cannot
	 * know; handing them the pointer through a volatile keeps it quiet. The
	 * volatile sizes keep it from warning about, or folding, the impossible
	 * sizes. */
	char *volatile arg = p;
	volatile size_t huge = SIZE_MAX - 4095, half = SIZE_MAX / 2;
	errno = 0;
	void *q = realloc(arg, huge);
	if (q != NULL || errno != ENOMEM)
		fail("huge realloc did not fail with ENOMEM");
	errno = 0;
	q = reallocarray(arg, half, 4);
	if (q != NULL || errno != ENOMEM)
		fail("overflowing reallocarray did not fail with ENOMEM");
	for (int i = 0; i < 64; i++)
		if (p[i] != 'c')
			fail("failed realloc damaged the block");
	free(p);
}

int main(void)
{
	realloc_grow();
	realloc_zero();
	realloc_array();
	realloc_fail();
	return 0;
}
