/* peak: a target with one exactly known heap peak. hold_big holds ten 1 MiB
 * blocks live together and then frees them; small_churn afterwards allocates
 * and frees 1000 x 64 B one at a time, never exceeding 64 B live.
 *
 * Expected heap behaviour:
 *   malloc 1010 (10 x 1048576 B in hold_big, 1000 x 64 B in small_churn),
 *   free 1010, bytes allocated 10549760, leaks 0,
 *   peak live exactly 10485760 B (10 MiB), reached when hold_big's 10th
 *   block is allocated; nothing else is live at that moment.
 * Prints nothing, exits 0.
 */
#define _GNU_SOURCE
#include <stdlib.h>
#include <string.h>

#define BIG_COUNT 10
#define BIG_SIZE (1024 * 1024)
#define CHURN 1000

__attribute__((noinline)) static void hold_big(void)
{
	void *big[BIG_COUNT];

	for (int i = 0; i < BIG_COUNT; i++) {
		big[i] = malloc(BIG_SIZE);
		if (!big[i])
			abort();
		/* Touch it so the peak is also visible in RSS. */
		memset(big[i], i, BIG_SIZE);
	}
	for (int i = 0; i < BIG_COUNT; i++)
		free(big[i]);
}

__attribute__((noinline)) static void small_churn(void)
{
	for (int i = 0; i < CHURN; i++) {
		volatile char *p = malloc(64);
		if (!p)
			abort();
		p[0] = (char)i;
		free((void *)p);
	}
}

int main(void)
{
	hold_big();
	small_churn();
	return 0;
}
