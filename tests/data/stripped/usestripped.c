/* Calls libstripped.so's stripped_work for argv[1] ms of CPU (t027, t044). */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
unsigned long stripped_work(unsigned long x);
int main(int argc, char **argv)
{
	long ms = argc > 1 ? atol(argv[1]) : 300;
	struct timespec a, b;
	unsigned long x = 1;
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &a);
	do {
		for (int i = 0; i < 200; i++)
			x = stripped_work(x);
		clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &b);
	} while ((b.tv_sec - a.tv_sec) * 1000 + (b.tv_nsec - a.tv_nsec) / 1000000 < ms);
	printf("done %lu\n", x & 0);
	return 0;
}
