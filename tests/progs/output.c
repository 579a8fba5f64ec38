/* output: a profiler must not change what the target prints or how it exits.
 * Writes a fixed text to stdout (through stdio, buffered) and to stderr
 * (unbuffered), and exits 42.
 *
 * stdout, exactly:            stderr, exactly:
 *   output: line 1              output: error line 1
 *   output: tab\there           output: error line 2
 *   output: 12345 0x2a 3.25
 *   output: last line
 * Expected heap behaviour: no own allocations; stdio allocates stdout's
 * buffer (one malloc of st_blksize, measured in EXPECTED.md), never freed.
 */
#define _GNU_SOURCE
#include <stdio.h>

int main(void)
{
	printf("output: line 1\n");
	printf("output: tab\there\n");
	fprintf(stderr, "output: error line 1\n");
	printf("output: %d 0x%x %.2f\n", 12345, 42, 3.25);
	fputs("output: last line\n", stdout);
	fputs("output: error line 2\n", stderr);
	return 42;
}
