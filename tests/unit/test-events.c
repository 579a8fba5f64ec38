/* The event iterator (analysis/events.h) and the heap replay's visitors and
 * per-(stack, thread) figures (analysis/heap.h) against a naive replay
 * written here (a list of live blocks searched one by one), on random
 * profiles full of corner cases: threads, stacks, realloc moves, free(NULL),
 * failed calls, unmatched frees and allocations at a still-live address;
 * and the same figures and exports whatever the size of the batches. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../analysis/events.h"
#include "../../analysis/heap.h"
#include "../../lib/die.h"
#include "../../output/export-dhat.h"
#include "../../output/export-massif.h"

#include "rand-profile.h"

#define NSTACKS 5
#define NTHREADS 3

static struct sc_profile *random_profile(unsigned seed, size_t n)
{
	static const struct rand_shape shape = { 64, NTHREADS, NSTACKS, 19, 255, 1 };
	return rand_profile(&shape, seed, n);
}

/* ---- the naive replay ---- */

struct nblock {
	uint64_t addr, size, time;
	uint32_t stack, thread;
};

struct naive {
	struct nblock live[256];
	size_t nlive;
	uint64_t bytes, peak;               /* live bytes, their first maximum */
	size_t peak_ord;
	uint64_t alloc_bytes[NSTACKS][NTHREADS], allocs[NSTACKS][NTHREADS];
	uint64_t peak_bytes[NSTACKS][NTHREADS], peak_blocks[NSTACKS][NTHREADS];
	uint64_t end_bytes[NSTACKS][NTHREADS], end_blocks[NSTACKS][NTHREADS];
	uint64_t lifetime;                  /* of blocks retired, and of live ones until t-end */
};

static struct nblock *nfind(struct naive *N, uint64_t addr)
{
	for (size_t i = 0; i < N->nlive; i++)
		if (N->live[i].addr == addr)
			return &N->live[i];
	return NULL;
}

static void nretire(struct naive *N, struct nblock *b, uint64_t now)
{
	N->bytes -= b->size;
	N->lifetime += now - b->time;
	*b = N->live[--N->nlive];
}

/* Replays p up to ordinal `upto` (the whole profile for SIZE_MAX). */
static void naive_replay(const struct sc_profile *p, struct naive *N, size_t upto)
{
	memset(N, 0, sizeof(*N));
	N->peak_ord = HEAP_NO_EVENT;
	for (size_t i = 0; i < p->nevents && i <= upto; i++) {
		const struct sc_event *e = &p->events[i];
		if (!e->addr)
			continue;
		struct nblock *b = nfind(N, e->addr);
		if (b)
			nretire(N, b, e->time);
		if (e->kind != EV_ALLOC)
			continue;
		assert_true(N->nlive < 256);
		N->live[N->nlive++] = (struct nblock){ e->addr, e->size, e->time, e->stack, e->thread };
		N->bytes += e->size;
		N->allocs[e->stack][e->thread]++;
		N->alloc_bytes[e->stack][e->thread] += e->size;
		if (N->bytes > N->peak) {
			N->peak = N->bytes;
			N->peak_ord = i;
		}
	}
}

static void naive_holders(const struct naive *N, uint64_t bytes[NSTACKS][NTHREADS],
			  uint64_t blocks[NSTACKS][NTHREADS])
{
	for (size_t i = 0; i < N->nlive; i++) {
		bytes[N->live[i].stack][N->live[i].thread] += N->live[i].size;
		blocks[N->live[i].stack][N->live[i].thread]++;
	}
}

/* ---- what a visitor sees ---- */

struct seen {
	uint64_t allocs, alloc_bytes, retired_bytes, lifetime, steps, last_ord;
	uint64_t live_bytes;                 /* allocated less retired */
	uint64_t at_peak;                    /* live_bytes after the peak's event */
	size_t peak_ord;
	uint64_t end_bytes, peak_bytes;
};

static void v_alloc(void *ctx, const struct heap_block *b)
{
	struct seen *s = ctx;
	s->allocs++;
	s->alloc_bytes += b->size;
	s->live_bytes += b->size;
}

static void v_retire(void *ctx, const struct heap_block *b, uint64_t now)
{
	struct seen *s = ctx;
	assert_true(now >= b->time);
	s->retired_bytes += b->size;
	s->live_bytes -= b->size;
	s->lifetime += now - b->time;
}

static void v_step(void *ctx, uint64_t ord, uint64_t time)
{
	struct seen *s = ctx;
	assert_int_equal(ord, s->steps);
	s->steps++;
	s->last_ord = ord;
	if (ord == s->peak_ord)
		s->at_peak = s->live_bytes;
}

static void v_peak(void *ctx, const struct heap_block *b)
{
	((struct seen *)ctx)->peak_bytes += b->size;
}

static void v_end(void *ctx, const struct heap_block *b, uint64_t end)
{
	struct seen *s = ctx;
	s->end_bytes += b->size;
	s->lifetime += end - b->time;
}

static void test_iterator(void **state)
{
	(void)state;
	struct sc_profile *p = random_profile(7, 3000);
	for (int walk = 0; walk < 2; walk++) {
		struct sc_event_iter it;
		const struct sc_event *batch;
		size_t n, total = 0;
		sc_events_begin(&it, p);
		while ((n = sc_events_next(&it, &batch))) {
			assert_memory_equal(batch, p->events + total, n * sizeof(*batch));
			total += n;
		}
		assert_int_equal(total, p->nevents);
		assert_int_equal(sc_events_next(&it, &batch), 0);
		assert_int_equal(sc_events_end(&it), 0);
	}
	assert_int_equal(sc_events_count(p), 3000);
	uint64_t last;
	assert_true(sc_events_last_time(p, &last));
	assert_int_equal(last, p->events[2999].time);
	profile_free(p);

	p = random_profile(7, 0);
	struct sc_event_iter it;
	const struct sc_event *batch;
	sc_events_begin(&it, p);
	assert_int_equal(sc_events_next(&it, &batch), 0);
	assert_int_equal(sc_events_end(&it), 0);
	profile_free(p);
}

static void test_replay_matches_naive(void **state)
{
	(void)state;
	for (unsigned seed = 1; seed <= 30; seed++) {
		struct sc_profile *p = random_profile(seed, 200 + 97 * seed);
		struct naive N;
		naive_replay(p, &N, SIZE_MAX);

		struct seen a = { 0 };
		a.peak_ord = N.peak_ord;
		struct heap_visitor v = { &a, v_alloc, v_retire, v_step, v_peak, v_end, NULL };
		struct heap_options o = { .by_thread = true, .visitor = &v };
		struct heap_result *r;
		assert_int_equal(heap_analyze(p, &o, &r), 0);
		const struct heap_totals *t = &r->t;

		/* the peak is an ordinal: the naive replay's, with its bytes */
		assert_int_equal(t->peak_event, N.peak_ord);
		assert_int_equal(t->peak_bytes, N.peak);
		assert_int_equal(a.peak_bytes, N.peak);
		assert_int_equal(a.at_peak, N.peak);
		assert_int_equal(a.steps, p->nevents);
		assert_int_equal(a.live_bytes, N.bytes);
		assert_int_equal(a.end_bytes, N.bytes);
		assert_int_equal(t->leaked_bytes, N.bytes);
		assert_int_equal(a.alloc_bytes, t->bytes);
		assert_int_equal(a.allocs, t->allocations);

		/* per (stack, thread), and per stack, against the naive holders */
		uint64_t pb[NSTACKS][NTHREADS] = { { 0 } }, pk[NSTACKS][NTHREADS] = { { 0 } };
		struct naive P;
		naive_replay(p, &P, N.peak_ord);
		naive_holders(&P, pb, pk);
		uint64_t eb[NSTACKS][NTHREADS] = { { 0 } }, ek[NSTACKS][NTHREADS] = { { 0 } };
		naive_holders(&N, eb, ek);
		size_t pairs = 0;
		for (int s = 0; s < NSTACKS; s++)
			for (int th = 0; th < NTHREADS; th++)
				pairs += N.allocs[s][th] != 0;
		assert_int_equal(r->nby_thread, pairs);
		uint64_t stack_peak[NSTACKS] = { 0 };
		for (size_t i = 0; i < r->nby_thread; i++) {
			const struct heap_stack_thread *x = &r->by_thread[i];
			assert_true(x->stack < NSTACKS && x->thread < NTHREADS);
			assert_int_equal(x->allocations, N.allocs[x->stack][x->thread]);
			assert_int_equal(x->bytes, N.alloc_bytes[x->stack][x->thread]);
			assert_int_equal(x->peak_bytes, pb[x->stack][x->thread]);
			assert_int_equal(x->peak_blocks, pk[x->stack][x->thread]);
			assert_int_equal(x->leaked_bytes, eb[x->stack][x->thread]);
			assert_int_equal(x->leaked_blocks, ek[x->stack][x->thread]);
			stack_peak[x->stack] += x->peak_bytes;
		}
		for (int s = 0; s < NSTACKS; s++)
			assert_int_equal(r->stacks[s].peak_bytes, stack_peak[s]);

		/* heap_replay: the same live set again, lifetimes until t-end */
		struct seen b = { 0 };
		b.peak_ord = N.peak_ord;
		struct heap_visitor w = { &b, v_alloc, v_retire, v_step, NULL, v_end, NULL };
		assert_int_equal(heap_replay(r, &w, HEAP_ALL_EVENTS, NULL, 0), 0);
		assert_int_equal(b.allocs, a.allocs);
		assert_int_equal(b.at_peak, N.peak);
		assert_int_equal(b.end_bytes, N.bytes);
		uint64_t naive_life = N.lifetime;
		for (size_t i = 0; i < N.nlive; i++)
			naive_life += t->end_time - N.live[i].time;
		assert_int_equal(b.lifetime, naive_life);

		/* ... and up to an ordinal only: no end */
		size_t upto = p->nevents / 3;
		struct naive U;
		naive_replay(p, &U, upto);
		struct seen c = { 0 };
		c.peak_ord = SIZE_MAX;
		w.ctx = &c;
		assert_int_equal(heap_replay(r, &w, upto, NULL, 0), 0);
		assert_int_equal(c.steps, upto + 1);
		assert_int_equal(c.last_ord, upto);
		assert_int_equal(c.live_bytes, U.bytes);
		assert_int_equal(c.end_bytes, 0);

		heap_result_free(r);
		profile_free(p);
	}
}

static char *run_export(int (*write)(FILE *, const struct sc_profile *, const struct heap_result *),
			const struct sc_profile *p, const struct heap_result *r, size_t *len)
{
	char *buf = NULL;
	FILE *f = open_memstream(&buf, len);
	assert_non_null(f);
	assert_int_equal(write(f, p, r), 0);
	fclose(f);
	return buf;
}

/* Batches as a file's decoder hands them out give the same figures, the
 * same DHAT and massif files, as the whole array at once. */
static void test_batches(void **state)
{
	(void)state;
	static const size_t sizes[] = { 1, 2, 7, 64, 1000 };
	for (unsigned seed = 1; seed <= 6; seed++) {
		struct sc_profile *p = random_profile(seed, 500 + 331 * seed);
		sc_events_set_batch(0);
		struct heap_options o = { .by_thread = true };
		struct heap_result *a;
		assert_int_equal(heap_analyze(p, &o, &a), 0);
		size_t dlen, mlen;
		char *dhat = run_export(dhat_write, p, a, &dlen);
		char *massif = run_export(massif_write, p, a, &mlen);
		/* DHAT gathered in heap_analyze's walks: the same file */
		{
			struct dhat *d = dhat_new(p);
			struct heap_options od = { .by_thread = true, .visitor = dhat_visitor(d) };
			struct heap_result *rd;
			assert_int_equal(heap_analyze(p, &od, &rd), 0);
			char *buf = NULL;
			size_t len;
			FILE *f = open_memstream(&buf, &len);
			assert_int_equal(dhat_write_gathered(f, d, rd), 0);
			fclose(f);
			assert_int_equal(len, dlen);
			assert_memory_equal(buf, dhat, len);
			free(buf);
			heap_result_free(rd);
			dhat_free(d);
		}
		for (size_t k = 0; k < sizeof(sizes) / sizeof(*sizes); k++) {
			sc_events_set_batch(sizes[k]);
			struct heap_result *b;
			assert_int_equal(heap_analyze(p, &o, &b), 0);
			assert_memory_equal(&a->t, &b->t, sizeof(a->t));
			assert_memory_equal(a->calls, b->calls, sizeof(a->calls));
			assert_memory_equal(a->hist, b->hist, sizeof(a->hist));
			assert_memory_equal(a->stacks, b->stacks, NSTACKS * sizeof(*a->stacks));
			assert_int_equal(a->nsites, b->nsites);
			assert_memory_equal(a->sites, b->sites, a->nsites * sizeof(*a->sites));
			assert_int_equal(a->nleaks, b->nleaks);
			assert_memory_equal(a->leaks, b->leaks, a->nleaks * sizeof(*a->leaks));
			assert_int_equal(a->ntimeline, b->ntimeline);
			assert_memory_equal(a->timeline, b->timeline, a->ntimeline * sizeof(*a->timeline));
			assert_int_equal(a->nby_thread, b->nby_thread);
			assert_memory_equal(a->by_thread, b->by_thread, a->nby_thread * sizeof(*a->by_thread));
			size_t dl, ml;
			char *d = run_export(dhat_write, p, b, &dl);
			char *m = run_export(massif_write, p, b, &ml);
			assert_int_equal(dl, dlen);
			assert_memory_equal(d, dhat, dl);
			assert_int_equal(ml, mlen);
			assert_memory_equal(m, massif, ml);
			free(d);
			free(m);

			/* a replay stopped inside a batch stops there */
			struct seen c = { 0 };
			c.peak_ord = SIZE_MAX;
			struct heap_visitor w = { &c, v_alloc, v_retire, v_step, NULL, v_end, NULL };
			size_t upto = p->nevents / 2 + k;
			assert_int_equal(heap_replay(b, &w, upto, NULL, 0), 0);
			assert_int_equal(c.steps, upto + 1);
			heap_result_free(b);
		}
		sc_events_set_batch(0);
		free(dhat);
		free(massif);
		heap_result_free(a);
		profile_free(p);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_iterator),
		cmocka_unit_test(test_replay_matches_naive),
		cmocka_unit_test(test_batches),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
