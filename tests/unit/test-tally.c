/* The incremental heap tally (what the launcher's summary shows) must agree
 * field for field with heap_analyze's totals, on random profiles full of
 * corner cases: threads, realloc moves, free(NULL), failed calls, unmatched
 * frees and allocations at a still-live address. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "../../analysis/heap.h"
#include "../../lib/die.h"
#include "rand-profile.h"

static struct sc_profile *random_profile(unsigned seed, size_t n)
{
	static const struct rand_shape shape = { 128, 3, 1, 23, 4095, 0 };
	struct sc_profile *p = rand_profile(&shape, seed, n);
	uint64_t t = p->duration - 5;
	p->nrss = 2;
	p->rss = xcalloc(2, sizeof(*p->rss));
	p->rss[0] = (struct sc_rss){ 10, 5000 };
	p->rss[1] = (struct sc_rss){ t + 100, 7000 };
	return p;
}

static void test_tally_matches_analyze(void **state)
{
	(void)state;
	for (unsigned seed = 1; seed <= 20; seed++) {
		struct sc_profile *p = random_profile(seed, 20000 + seed * 97);
		struct heap_result *r;
		assert_int_equal(heap_analyze(p, NULL, &r), 0);
		struct heap_tally *h = heap_tally_new(0);
		/* in uneven pieces, as the launcher would hand them over */
		for (size_t i = 0; i < p->nevents;) {
			size_t k = 1 + (i * 7919 + seed) % 3000;
			if (k > p->nevents - i)
				k = p->nevents - i;
			heap_tally_add(h, p->events + i, k);
			i += k;
		}
		struct heap_totals t;
		heap_tally_totals(h, p, &t);
		assert_int_equal(heap_tally_count(h), p->nevents);
		const struct heap_totals *a = &r->t;
		assert_int_equal(t.calls, a->calls);
		assert_int_equal(t.allocations, a->allocations);
		assert_int_equal(t.failed, a->failed);
		assert_int_equal(t.frees, a->frees);
		assert_int_equal(t.free_null, a->free_null);
		assert_int_equal(t.unmatched_frees, a->unmatched_frees);
		assert_int_equal(t.bytes, a->bytes);
		assert_int_equal(t.peak_bytes, a->peak_bytes);
		assert_int_equal(t.peak_blocks, a->peak_blocks);
		assert_int_equal(t.peak_time, a->peak_time);
		assert_int_equal(t.peak_event, a->peak_event);
		assert_int_equal(t.leaked_bytes, a->leaked_bytes);
		assert_int_equal(t.leaked_blocks, a->leaked_blocks);
		assert_int_equal(t.temporary, a->temporary);
		assert_int_equal(t.short_lived, a->short_lived);
		assert_int_equal(t.mean_lifetime, a->mean_lifetime);
		assert_int_equal(t.end_time, a->end_time);
		assert_int_equal(t.peak_rss, a->peak_rss);
		assert_true(t.temporary > 0 && t.unmatched_frees > 0 && t.failed > 0);
		heap_tally_free(h);
		heap_result_free(r);
		profile_free(p);
	}
}

#define A(t, th, addr) { t, addr, 32, 1, th, EV_ALLOC, FN_MALLOC }
#define F(t, th, addr) { t, addr, 0, 0, th, EV_FREE, FN_FREE }

/* A block handed to another thread and freed there, its free stamped 400 ns
 * before its allocation (two CPUs' clocks, tests/progs/threads): the free
 * goes after the allocation, at its time, and nothing is unknown or leaked.
 * Not moved: a free on the allocating thread itself, an allocation further
 * than HEAP_REORDER_NS, and a free of a live block (a reuse). */
static void test_tally_free_before_alloc(void **state)
{
	(void)state;
	struct sc_event ev[] = {
		A(1000, 0, 0x100),             /* live block at 0x100 */
		F(5000, 1, 0x200),             /* 0x200's free, 400 ns early */
		A(5100, 2, 0x300),
		A(5400, 0, 0x200),
		F(5500, 1, 0x100),             /* a live block: stays */
		A(5600, 2, 0x100),             /* reuse of 0x100 */
		F(9000, 1, 0x400),             /* same thread: stays unknown */
		A(9100, 1, 0x400),
		F(20000, 1, 0x500),            /* too far: stays unknown */
		A(20000 + HEAP_REORDER_NS + 1, 0, 0x500),
	};
	size_t n = sizeof(ev) / sizeof(*ev);
	struct heap_tally *h = heap_tally_new(0);
	heap_tally_add(h, ev, n);
	assert_int_equal(heap_tally_count(h), n);
	struct sc_profile p = { 0 };
	p.duration = 40000;
	struct heap_totals t;
	heap_tally_totals(h, &p, &t);
	assert_int_equal(t.unmatched_frees, 2);
	assert_int_equal(t.frees, 2);
	assert_int_equal(t.calls, n);
	assert_int_equal(t.leaked_blocks, 4);   /* 0x300, 0x100 again, 0x400, 0x500 */
	/* the order now: the free right after its allocation, at its time */
	assert_int_equal(ev[1].addr, 0x300);
	assert_int_equal(ev[2].addr, 0x200);
	assert_int_equal(ev[2].kind, EV_ALLOC);
	assert_int_equal(ev[3].addr, 0x200);
	assert_int_equal(ev[3].kind, EV_FREE);
	assert_int_equal(ev[3].time, 5400);
	assert_int_equal(ev[3].thread, 1);
	for (size_t i = 4; i < n; i++)
		assert_true(ev[i].time >= ev[i - 1].time);
	assert_int_equal(ev[6].kind, EV_FREE);
	assert_int_equal(ev[6].addr, 0x400);
	assert_int_equal(ev[8].kind, EV_FREE);
	assert_int_equal(ev[8].addr, 0x500);
	heap_tally_free(h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tally_matches_analyze),
		cmocka_unit_test(test_tally_free_before_alloc),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
