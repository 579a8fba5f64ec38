/* Random heap profiles for the unit tests of the heap model: allocations,
 * frees, realloc moves, failed calls, free(NULL), frees of addresses never
 * allocated and allocations at an address still live, over a few threads
 * and stacks, from a seed (the same seed, the same events). */
#ifndef SCORCH_TESTS_RAND_PROFILE_H
#define SCORCH_TESTS_RAND_PROFILE_H

#include <string.h>

#include "../../analysis/profile.h"
#include "../../lib/die.h"

struct rand_shape {
	unsigned slots;        /* addresses in play: a power of two, at most 128 */
	unsigned nthreads, nstacks;
	unsigned kinds;        /* 1 in kinds events is each of the odd cases */
	unsigned tmask;        /* time steps are (random & tmask) ns */
	unsigned size_by_slot; /* an allocation over a live block is 24 + slot bytes, else 24 */
};

static inline struct sc_profile *rand_profile(const struct rand_shape *s, unsigned seed, size_t n)
{
	struct sc_profile *p = profile_new();
	p->nstacks = s->nstacks;
	p->stacks = arena_alloc(&p->arena, s->nstacks * sizeof(*p->stacks));
	memset(p->stacks, 0, s->nstacks * sizeof(*p->stacks));
	p->nthreads = s->nthreads;
	p->threads = arena_alloc(&p->arena, s->nthreads * sizeof(*p->threads));
	p->events = xcalloc(n ? n : 1, sizeof(*p->events));
	uint64_t live[128] = { 0 }, t = 0;
	unsigned x = seed, m = s->slots - 1;
	for (size_t i = 0; i < n; i++) {
		x = x * 1103515245u + 12345u;
		t += (x >> 20) & s->tmask;
		struct sc_event *e = &p->events[i];
		unsigned k = (x >> 8) & m, th = (x >> 3) % s->nthreads, st = (x >> 12) % s->nstacks;
		switch ((x >> 16) % s->kinds) {
		case 0:
			*e = (struct sc_event){ t, 0, 0, 0, (uint16_t)th, EV_FREE, FN_FREE };
			break;
		case 1:
			*e = (struct sc_event){ t, 0, 99, st, (uint16_t)th, EV_ALLOC, FN_CALLOC };
			break;
		case 2:
			*e = (struct sc_event){ t, 0xbad000 + k, 0, 0, (uint16_t)th, EV_FREE, FN_FREE };
			break;
		case 3:   /* an allocation at an address that may still be live */
			*e = (struct sc_event){ t, 0x1000 + 16 * ((k + 1) & m), 24 + (s->size_by_slot ? k : 0), st,
						(uint16_t)th, EV_ALLOC, FN_MALLOC };
			live[(k + 1) & m] = e->addr;
			break;
		default:
			if (live[k]) {
				*e = (struct sc_event){ t, live[k], 0, 0, (uint16_t)th, EV_FREE,
							(x & 1) ? FN_FREE : FN_REALLOC_MOVE };
				live[k] = 0;
			} else {
				*e = (struct sc_event){ t, 0x1000 + 16 * k, 1 + (x & 1023), st, (uint16_t)th,
							EV_ALLOC, (x & 2) ? FN_MALLOC : FN_REALLOC };
				live[k] = e->addr;
			}
		}
	}
	p->nevents = n;
	p->duration = t + 5;
	return p;
}

#endif
