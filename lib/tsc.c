/* TSC calibration for the launcher (see tsc.h). */
#include "tsc.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

static uint64_t mono_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

#if defined(__x86_64__) || defined(__i386__)
/* A (ns, ticks) pair read as close together as we can: the tightest of a
 * few tries, with ns taken as the middle of two clock reads. */
static void pair(uint64_t *ns, uint64_t *ticks)
{
	uint64_t best = UINT64_MAX;
	for (int i = 0; i < 16; i++) {
		unsigned aux;
		uint64_t a = mono_ns();
		uint64_t t = __builtin_ia32_rdtscp(&aux);
		uint64_t b = mono_ns();
		if (b - a < best) {
			best = b - a;
			*ns = a + (b - a) / 2;
			*ticks = t;
		}
	}
}
#endif

uint64_t tsc_calibrate(unsigned ms)
{
#if defined(__x86_64__) || defined(__i386__)
	char cs[32] = "";
	FILE *f = fopen("/sys/devices/system/clocksource/clocksource0/current_clocksource", "r");
	if (!f)
		return 0;
	if (!fgets(cs, sizeof(cs), f))
		cs[0] = 0;
	fclose(f);
	if (strcmp(cs, "tsc\n") != 0)
		return 0;
	uint64_t n0, t0, n1, t1;
	pair(&n0, &t0);
	struct timespec d = { 0, (long)ms * 1000000L };
	nanosleep(&d, NULL);
	pair(&n1, &t1);
	if (t1 <= t0 || n1 <= n0)
		return 0;
	return (uint64_t)((double)(n1 - n0) * 1e6 / (double)(t1 - t0) + 0.5);
#else
	(void)ms;
	return 0;
#endif
}
