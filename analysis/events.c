/* The event iterator (events.h): events in memory are one batch, the whole
 * array (or batches of the size a test sets); a profile read lazily
 * (profile_read_lazy(), its events left in the file) is walked through the
 * reader's decoder, an event block at a time. */
#include "events.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../lib/die.h"
#include "../lib/hashmap.h"
#include "profile-io.h"

#define WEIGH_BATCH 65536
#define WEIGH_ADDR_BASE (1ull << 62)

/* The weighing of a sampled profile's walk: the copies still to hand out
 * of the events being expanded, and the live samples' copies. */
struct sc_event_weigh {
	struct sc_event *out;           /* the batch handed out */
	const struct sc_event *in;      /* the source's batch, and how far it is read */
	size_t nin, inpos;
	uint64_t ord;                   /* source events read: the rounding's seed */
	uint64_t next_addr;             /* the next copy's address */
	struct sc_event pend[2];        /* copies to hand out: a replaced sample's frees, then */
	uint64_t pend_n[2], pend_addr[2];
	int npend, pend_at;
	struct u64map base, count;      /* live sample's address -> its copies' first address, number */
};

double sc_event_weight(uint64_t size, uint64_t rate)
{
	double x = (double)(size ? size : 1) / (double)rate;
	return 1.0 / -expm1(-x);
}

static uint64_t mix64(uint64_t x)
{
	x += 0x9E3779B97F4A7C15ull;
	x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
	x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
	return x ^ (x >> 31);
}

uint64_t sc_event_copies(uint64_t size, uint64_t rate, uint64_t ord)
{
	double w = sc_event_weight(size, rate);
	if (w >= 0x1p62)
		return 1ull << 62;
	uint64_t k = (uint64_t)w;
	double u = (double)(mix64(ord) >> 11) * 0x1p-53;
	return k + (u < w - (double)k);
}

static void weigh_queue(struct sc_event_weigh *x, const struct sc_event *ev, uint64_t n, uint64_t addr)
{
	x->pend[x->npend] = *ev;
	x->pend_n[x->npend] = n;
	x->pend_addr[x->npend] = addr;
	x->npend++;
}

/* The source's next event, expanded into x->pend. false at the end. */
static bool weigh_take(struct sc_event_iter *it, struct sc_event_weigh *x)
{
	if (x->inpos == x->nin) {
		x->inpos = 0;
		x->nin = 0;
		if (it->src) {
			x->nin = profile_events_next(it->src, &x->in);
		} else if (it->pos < it->p->nevents) {
			x->in = it->p->events + it->pos;
			x->nin = it->p->nevents - it->pos;
			it->pos += x->nin;   /* it->pos counts source events here */
		}
		if (!x->nin)
			return false;
	}
	const struct sc_event *ev = &x->in[x->inpos++];
	uint64_t ord = x->ord++;
	x->npend = x->pend_at = 0;
	uint64_t *b = ev->addr ? u64map_get(&x->base, ev->addr) : NULL;
	if (b) {
		/* a free of a sample, or an allocation where a sample still
		 * lived (its free was never seen): every copy goes */
		uint64_t first = *b, n = 0;
		u64map_del(&x->base, ev->addr, NULL);
		u64map_del(&x->count, ev->addr, &n);
		struct sc_event f = *ev;
		if (ev->kind == EV_ALLOC) {
			f.kind = EV_FREE;
			f.func = FN_REALLOC_MOVE;   /* no call of its own */
			f.size = 0;
			f.stack = 0;
		}
		weigh_queue(x, &f, n, first);
		if (ev->kind != EV_ALLOC)
			return true;
	}
	if (ev->kind == EV_ALLOC && ev->addr) {
		uint64_t n = sc_event_copies(ev->size, it->p->heap_sample, ord);
		bool isnew;
		*u64map_put(&x->base, ev->addr, &isnew) = x->next_addr;
		*u64map_put(&x->count, ev->addr, &isnew) = n;
		weigh_queue(x, ev, n, x->next_addr);
		x->next_addr += n;
		return true;
	}
	weigh_queue(x, ev, 1, ev->addr);
	x->pend_addr[x->npend - 1] = ev->addr;
	return true;
}

static size_t weigh_next(struct sc_event_iter *it, const struct sc_event **batch)
{
	struct sc_event_weigh *x = it->wx;
	size_t n = 0;
	while (n < WEIGH_BATCH) {
		if (x->pend_at == x->npend) {
			if (!weigh_take(it, x))
				break;
			continue;
		}
		int j = x->pend_at;
		/* a copy of an event without an address of its own is the event once */
		bool spread = x->pend_addr[j] >= WEIGH_ADDR_BASE && x->pend[j].addr < WEIGH_ADDR_BASE;
		while (x->pend_n[j] && n < WEIGH_BATCH) {
			x->out[n] = x->pend[j];
			if (spread)
				x->out[n].addr = x->pend_addr[j]++;
			x->pend_n[j]--;
			n++;
		}
		if (!x->pend_n[j])
			x->pend_at++;
	}
	*batch = x->out;
	return n;
}

static size_t batch_max;

void sc_events_set_batch(size_t n)
{
	batch_max = n;
}

void sc_events_begin(struct sc_event_iter *it, const struct sc_profile *p)
{
	memset(it, 0, sizeof(*it));
	it->p = p;
	if (p->lazy) {
		it->src = profile_events_open(p, it->err, sizeof(it->err));
		it->failed = !it->src;
	}
	if (p->heap_sample) {
		it->wx = xcalloc(1, sizeof(*it->wx));
		it->wx->out = xmalloc(WEIGH_BATCH * sizeof(*it->wx->out));
		it->wx->next_addr = WEIGH_ADDR_BASE;
		u64map_init(&it->wx->base, 1024);
		u64map_init(&it->wx->count, 1024);
	}
}

size_t sc_events_next(struct sc_event_iter *it, const struct sc_event **batch)
{
	const struct sc_profile *p = it->p;
	*batch = NULL;
	if (it->failed)
		return 0;
	if (it->wx)
		return weigh_next(it, batch);
	if (it->src) {
		size_t n = profile_events_next(it->src, batch);
		it->pos += n;
		return n;
	}
	if (it->pos >= p->nevents)
		return 0;
	*batch = p->events + it->pos;
	size_t n = p->nevents - it->pos;
	if (batch_max && n > batch_max)
		n = batch_max;
	it->pos += n;
	return n;
}

int sc_events_end(struct sc_event_iter *it)
{
	if (it->wx) {
		u64map_release(&it->wx->base);
		u64map_release(&it->wx->count);
		free(it->wx->out);
		free(it->wx);
		it->wx = NULL;
	}
	if (it->src) {
		/* a walk stopped early is no failure; a damaged or changed
		 * file is, at any point */
		if (profile_events_close(it->src, it->err, sizeof(it->err)))
			it->failed = true;
		it->src = NULL;
	}
	return it->failed ? -1 : 0;
}

uint64_t sc_events_count(const struct sc_profile *p)
{
	return p->nevents;
}

bool sc_events_last_time(const struct sc_profile *p, uint64_t *t)
{
	if (p->lazy && p->nevents)
		return false;
	*t = p->nevents ? p->events[p->nevents - 1].time : 0;
	return true;
}
