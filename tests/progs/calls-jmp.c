/* calls-jmp: calls left by longjmp (-finstrument-functions, -lscorch). Each
 * of 3 rounds calls deep(5), which recurses 6 calls deep and longjmps from
 * the innermost: none of the 18 calls of deep returns (all unwound), then
 * main calls after(). main 1 call, after 3. No span is left open. Prints
 * "rounds 3". */
#include <setjmp.h>
#include <stdio.h>

static jmp_buf jb;
static volatile int armed = 1;
static volatile int rounds;

static void deep(int n)
{
	if (n > 0)
		deep(n - 1);
	else if (armed)
		longjmp(jb, 1);
}

static void after(void)
{
	rounds++;
}

int main(void)
{
	for (int i = 0; i < 3; i++) {
		if (!setjmp(jb))
			deep(5);
		after();
	}
	printf("rounds %d\n", rounds);
	return 0;
}
