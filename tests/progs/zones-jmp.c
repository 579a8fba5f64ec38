/* zones-jmp: zones left by longjmp (linked with -lscorch). Each of 5 rounds
 * opens "round" around a setjmp and calls dive(3), which opens "dive" 4
 * times, recursively, and longjmps out of the innermost: "round" 5 calls,
 * none unwound; "dive" 20 calls, all unwound (ended when "round" ends). Then
 * dive2(2) opens "dive2" 3 times and longjmps out with no zone around the
 * setjmp: the zone "after", opened next in main's own frame, ends them (3
 * unwound). All of main is in "main". No span is left open. Prints
 * "jumped 6 times". */
#include <setjmp.h>
#include <stdio.h>

#include "scorch.h"

static jmp_buf jb;
static volatile int armed = 1;
static volatile int jumps;

static void dive(int n)
{
	SCORCH_ZONE("dive");
	if (n > 0)
		dive(n - 1);
	else if (armed)
		longjmp(jb, 1);
}

static void dive2(int n)
{
	SCORCH_ZONE("dive2");
	if (n > 0)
		dive2(n - 1);
	else if (armed)
		longjmp(jb, 1);
}

int main(void)
{
	SCORCH_ZONE("main");
	for (int i = 0; i < 5; i++) {
		SCORCH_ZONE("round");
		if (!setjmp(jb))
			dive(3);
		else
			jumps++;
	}
	if (!setjmp(jb))
		dive2(2);
	else
		jumps++;
	{
		SCORCH_ZONE("after");
		printf("jumped %d times\n", jumps);
	}
	return 0;
}
