/* aligned: one call to each aligned-allocation entry point, each in its own
 * site function, all freed; plus a calloc whose nmemb*size overflows and must
 * return NULL without allocating.
 *
 * Expected heap behaviour (glibc 2.36, 4096 B pages):
 *   site_posix_memalign  posix_memalign(&p, 64, 100)   100 B, 64-aligned
 *   site_aligned_alloc   aligned_alloc(256, 512)       512 B, 256-aligned
 *   site_memalign        memalign(128, 200)            200 B, 128-aligned
 *   site_valloc          valloc(300)                   300 B, page-aligned
 *   site_pvalloc         pvalloc(5000)                 5000 B requested;
 *                        glibc rounds the block up to 8192 B (2 pages)
 *   site_calloc_overflow calloc(SIZE_MAX/2, 4)         NULL, ENOMEM, no block
 *   free 5; leaks 0; requested bytes 6112 (6112 - 5000 + 8192 = 9304 if the
 *   pvalloc rounding is counted); blocks live together at peak: all 5.
 * Prints nothing on success; exits 0 (1 with a message on stderr otherwise).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <malloc.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

static void fail(const char *what)
{
	fprintf(stderr, "aligned: %s\n", what);
	exit(1);
}

static void check(void *p, uintptr_t align, const char *what)
{
	if (!p || ((uintptr_t)p & (align - 1)) != 0)
		fail(what);
}

__attribute__((noinline)) static void *site_posix_memalign(void)
{
	void *p = NULL;

	if (posix_memalign(&p, 64, 100) != 0)
		fail("posix_memalign failed");
	return p;
}

__attribute__((noinline)) static void *site_aligned_alloc(void)
{
	return aligned_alloc(256, 512);
}

__attribute__((noinline)) static void *site_memalign(void)
{
	return memalign(128, 200);
}

__attribute__((noinline)) static void *site_valloc(void)
{
	return valloc(300);
}

__attribute__((noinline)) static void *site_pvalloc(void)
{
	return pvalloc(5000);
}

__attribute__((noinline)) static void site_calloc_overflow(void)
{
	/* volatile so the compiler neither warns about nor folds the size. */
	volatile size_t nmemb = SIZE_MAX / 2;

	errno = 0;
	void *p = calloc(nmemb, 4);
	if (p != NULL || errno != ENOMEM)
		fail("overflowing calloc did not fail with ENOMEM");
}

__attribute__((noinline)) static void free_all(void **blocks, int n)
{
	for (int i = 0; i < n; i++)
		free(blocks[i]);
}

int main(void)
{
	void *b[5];

	b[0] = site_posix_memalign();
	check(b[0], 64, "posix_memalign alignment");
	b[1] = site_aligned_alloc();
	check(b[1], 256, "aligned_alloc failed or misaligned");
	b[2] = site_memalign();
	check(b[2], 128, "memalign failed or misaligned");
	b[3] = site_valloc();
	check(b[3], 4096, "valloc failed or misaligned");
	b[4] = site_pvalloc();
	check(b[4], 4096, "pvalloc failed or misaligned");
	site_calloc_overflow();
	free_all(b, 5);
	return 0;
}
