/* static-hello: a statically linked target (the Makefile links names that
 * contain "static" with -static), which LD_PRELOAD cannot enter; a profiler
 * must say so clearly instead of producing an empty profile. Mallocs and
 * frees 3 x 32 B in static_site, prints "static-hello ok\n" and exits 0.
 *
 * Expected heap behaviour if it could be traced: malloc 3, free 3, plus the
 * stdout buffer stdio allocates. No preload-based tool sees any of it.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>

__attribute__((noinline)) static void static_site(void)
{
	void *b[3];

	for (int i = 0; i < 3; i++)
		if (!(b[i] = malloc(32)))
			abort();
	for (int i = 0; i < 3; i++)
		free(b[i]);
}

int main(void)
{
	static_site();
	printf("static-hello ok\n");
	return 0;
}
