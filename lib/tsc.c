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

int tsc_cal_begin(struct tsc_cal *c)
{
	memset(c, 0, sizeof(*c));
#if defined(__x86_64__) || defined(__i386__)
	char cs[32] = "";
	FILE *f = fopen("/sys/devices/system/clocksource/clocksource0/current_clocksource", "r");
	if (!f)
		return -1;
	if (!fgets(cs, sizeof(cs), f))
		cs[0] = 0;
	fclose(f);
	if (strcmp(cs, "tsc\n") != 0)
		return -1;
	pair(&c->ns0, &c->tick0);
	return 0;
#else
	return -1;
#endif
}

uint64_t tsc_cal_read(const struct tsc_cal *c)
{
#if defined(__x86_64__) || defined(__i386__)
	uint64_t n1, t1;
	pair(&n1, &t1);
	if (!c->tick0 || t1 <= c->tick0 || n1 <= c->ns0)
		return 0;
	return (uint64_t)((double)(n1 - c->ns0) * 1e6 / (double)(t1 - c->tick0) + 0.5);
#else
	(void)c;
	return 0;
#endif
}

uint64_t tsc_cal_elapsed_ns(const struct tsc_cal *c)
{
	return mono_ns() - c->ns0;
}
