/* crash: the profile must survive the target dying. Leaks 11 x 24 B from
 * before_crash, then dies: by default by writing through a NULL pointer in
 * crash_segv (SIGSEGV, shell status 139); with argument "abort" by calling
 * abort() in crash_abort (SIGABRT, shell status 134).
 *
 * Expected heap behaviour: malloc 11 x 24 B, all live at death (264 B).
 * Prints nothing; never exits normally.
 */
#define _GNU_SOURCE
#include <stdlib.h>
#include <string.h>

static void *blocks[11];

__attribute__((noinline)) static void before_crash(void)
{
	for (int i = 0; i < 11; i++)
		if (!(blocks[i] = malloc(24)))
			abort();
}

__attribute__((noinline)) static void crash_segv(void)
{
	volatile int *null = NULL;

	*null = 42;
}

__attribute__((noinline)) static void crash_abort(void)
{
	abort();
}

int main(int argc, char **argv)
{
	before_crash();
	if (argc > 1 && strcmp(argv[1], "abort") == 0)
		crash_abort();
	crash_segv();
	return 0;
}
