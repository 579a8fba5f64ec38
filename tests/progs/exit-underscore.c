/* exit-underscore: leaving without atexit handlers or stdio flushing. Leaks
 * 6 x 16 B from before_exit, writes "exit-underscore\n" to stdout with
 * write(2), then calls _exit(4).
 *
 * Expected heap behaviour: malloc 6 x 16 B, all leaked (96 B). Exit status 4.
 */
#define _GNU_SOURCE
#include <stdlib.h>
#include <unistd.h>

static void *blocks[6];

__attribute__((noinline)) static void before_exit(void)
{
	for (int i = 0; i < 6; i++)
		if (!(blocks[i] = malloc(16)))
			abort();
}

int main(void)
{
	static const char msg[] = "exit-underscore\n";

	before_exit();
	write(1, msg, sizeof(msg) - 1);
	_exit(4);
}
