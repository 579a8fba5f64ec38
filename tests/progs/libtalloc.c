/* libtalloc: a shared library for dlopen.c. lib_alloc_n(n) allocates n
 * blocks of 48 B from inside the library and leaks them, so a profiler must
 * symbolize frames in a module that is unloaded before the program exits.
 *
 * Expected heap behaviour: n x malloc(48), never freed; returns n.
 */
#define _GNU_SOURCE
#include <stdlib.h>

/* Static storage: the blocks stay reachable until dlclose unmaps it. */
static void *blocks[64];

__attribute__((noinline)) static void *lib_site(void)
{
	return malloc(48);
}

__attribute__((noinline)) int lib_alloc_n(int n)
{
	int done = 0;

	for (int i = 0; i < n && i < 64; i++) {
		if (!(blocks[i] = lib_site()))
			abort();
		done++;
	}
	return done;
}
