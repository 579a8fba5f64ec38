/* heap-sample: the target of sampled heap profiling's test (t049). Sites of
 * known sizes and counts, all deterministic:
 *   site_small    2,000,000 x malloc(16), each freed before the next     32,000,000 B
 *   site_medium     120,000 x malloc(1000), held 100 at a time, freed    120,000,000 B
 *   site_page        40,000 x calloc(1, 4096), freed at once              163,840,000 B
 *   site_big         12,000 x malloc(65536), freed at once                786,432,000 B
 *   site_leak        60,000 x malloc(512), never freed (leak)              30,720,000 B
 * At a mean of 4096 bytes between samples each site expects at least 7,000
 * samples (16 B: 2e6 x (1 - e^(-16/4096)) = 7,797; 512 B: 7,050; the others
 * more). Prints nothing, exits 0.
 */
#define _GNU_SOURCE
#include <stdlib.h>
#include <string.h>

#define N_SMALL 2000000
#define N_MEDIUM 120000
#define N_PAGE 40000
#define N_BIG 12000
#define N_LEAK 60000

static void *held[100];
static void *leaks[N_LEAK];
static volatile unsigned long sink;

__attribute__((noinline)) static void site_small(void)
{
	for (int i = 0; i < N_SMALL; i++) {
		char *p = malloc(16);
		if (!p)
			abort();
		p[0] = (char)i;
		sink += (unsigned char)p[0];
		free(p);
	}
}

__attribute__((noinline)) static void site_medium(void)
{
	for (int i = 0; i < N_MEDIUM; i++) {
		int k = i % 100;
		if (held[k])
			free(held[k]);
		held[k] = malloc(1000);
		if (!held[k])
			abort();
	}
	for (int k = 0; k < 100; k++)
		free(held[k]);
}

__attribute__((noinline)) static void site_page(void)
{
	for (int i = 0; i < N_PAGE; i++) {
		char *p = calloc(1, 4096);
		if (!p)
			abort();
		sink += (unsigned char)p[4095];
		free(p);
	}
}

__attribute__((noinline)) static void site_big(void)
{
	for (int i = 0; i < N_BIG; i++) {
		char *p = malloc(65536);
		if (!p)
			abort();
		p[0] = 1;
		sink += (unsigned char)p[0];
		free(p);
	}
}

__attribute__((noinline)) static void site_leak(void)
{
	for (int i = 0; i < N_LEAK; i++) {
		leaks[i] = malloc(512);
		if (!leaks[i])
			abort();
	}
}

int main(void)
{
	site_small();
	site_medium();
	site_page();
	site_big();
	site_leak();
	return 0;
}
