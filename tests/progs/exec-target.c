/* exec-target: the image exec.c execs. Leaks 4 x 88 B from after_exec, checks
 * that it received argv {*, "alpha", "beta gamma"}, writes "exec-target ok\n"
 * to stdout with write(2) (no stdio buffer) and exits 3 so exit-status
 * propagation through the profiler can be tested.
 *
 * Expected heap behaviour: malloc 4 x 88 B, leaked (352 B); nothing else.
 * Wrong argv: "exec-target: unexpected argv" on stderr, exit 2.
 */
#define _GNU_SOURCE
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void *blocks[4];

__attribute__((noinline)) static void after_exec(void)
{
	for (int i = 0; i < 4; i++)
		if (!(blocks[i] = malloc(88)))
			abort();
}

int main(int argc, char **argv)
{
	static const char ok[] = "exec-target ok\n";
	static const char bad[] = "exec-target: unexpected argv\n";

	after_exec();
	if (argc != 3 || strcmp(argv[1], "alpha") != 0 || strcmp(argv[2], "beta gamma") != 0) {
		write(2, bad, sizeof(bad) - 1);
		return 2;
	}
	write(1, ok, sizeof(ok) - 1);
	return 3;
}
