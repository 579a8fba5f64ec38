/* The weighing of sampled heap profiles (analysis/events.h): the event
 * iterator hands each sample out as sc_event_copies() copies, whose mean is
 * the weight 1 / (1 - exp(-size/rate)); every copy has an address of its
 * own, a sample's free frees every copy, the same on every walk; and the
 * heap model's totals over a sampled profile are the weighted sums. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../../analysis/events.h"
#include "../../analysis/heap.h"
#include "../../lib/die.h"
#include "../../lib/hashmap.h"

#define N 100000
#define RATE 4096

/* N allocations at addresses 1..N, the odd ones of 100 bytes freed at once,
 * the even ones of 64 KiB never freed; then a free(NULL) and a free of an
 * address never allocated. */
static struct sc_profile *sampled_profile(void)
{
	struct sc_profile *p = profile_new();
	p->events = xcalloc(2 * N + 2, sizeof(*p->events));
	size_t k = 0;
	for (size_t i = 0; i < N; i++) {
		p->events[k++] = (struct sc_event){ .time = i, .addr = i + 1, .size = i % 2 ? 100 : 65536,
						    .kind = EV_ALLOC, .func = FN_MALLOC };
		if (i % 2)
			p->events[k++] = (struct sc_event){ .time = i, .addr = i + 1, .kind = EV_FREE,
							    .func = FN_FREE };
	}
	p->events[k++] = (struct sc_event){ .time = N, .addr = 0, .kind = EV_FREE, .func = FN_FREE };
	p->events[k++] = (struct sc_event){ .time = N, .addr = (1ull << 63) + 5, .kind = EV_FREE, .func = FN_FREE };
	p->nevents = k;
	p->flags = PROF_HEAP | PROF_HEAP_SAMPLED;
	p->heap_sample = RATE;
	return p;
}

static void test_weights(void **state)
{
	(void)state;
	assert_true(fabs(sc_event_weight(100, RATE) - 1.0 / -expm1(-100.0 / RATE)) < 1e-9);
	assert_true(fabs(sc_event_weight(0, RATE) - sc_event_weight(1, RATE)) < 1e-9);
	assert_true(sc_event_weight(1ull << 30, RATE) == 1.0);
	/* the copies' mean is the weight; each is the weight rounded down or up */
	double w = sc_event_weight(100, RATE), sum = 0;
	for (uint64_t i = 0; i < 1000000; i++) {
		uint64_t c = sc_event_copies(100, RATE, i);
		assert_true(c == (uint64_t)w || c == (uint64_t)w + 1);
		sum += (double)c;
	}
	assert_true(fabs(sum / 1e6 - w) / w < 1e-3);
	assert_int_equal(sc_event_copies(100, RATE, 77), sc_event_copies(100, RATE, 77));
}

static void test_iterator_copies(void **state)
{
	(void)state;
	struct sc_profile *p = sampled_profile();
	uint64_t first_small = 0;
	for (int walk = 0; walk < 2; walk++) {
		struct u64map live;
		u64map_init(&live, 1024);
		uint64_t small = 0, big = 0, frees = 0, null_frees = 0, unmatched = 0, total = 0;
		struct sc_event_iter it;
		const struct sc_event *batch;
		size_t n;
		sc_events_begin(&it, p);
		while ((n = sc_events_next(&it, &batch))) {
			for (size_t i = 0; i < n; i++) {
				const struct sc_event *e = &batch[i];
				bool isnew;
				if (e->kind == EV_ALLOC) {
					assert_true(e->addr >= 1ull << 62 && e->addr < 1ull << 63);
					u64map_put(&live, e->addr, &isnew);
					assert_true(isnew);   /* an address of its own */
					if (e->size == 100)
						small++;
					else
						big++;
				} else if (!e->addr) {
					null_frees++;
				} else if (e->addr >= 1ull << 63) {
					unmatched++;
				} else {
					assert_true(u64map_del(&live, e->addr, NULL));   /* frees a live copy */
					frees++;
				}
			}
			total += n;
		}
		assert_int_equal(sc_events_end(&it), 0);
		assert_int_equal(total, small + big + frees + null_frees + unmatched);
		assert_int_equal(frees, small);        /* every copy of a freed sample */
		assert_int_equal(live.len, big);        /* the 64 KiB blocks stay */
		assert_int_equal(null_frees, 1);
		assert_int_equal(unmatched, 1);
		double want = N / 2 * sc_event_weight(100, RATE);
		assert_true(fabs((double)small - want) / want < 2e-3);
		assert_true(big >= N / 2 && big <= N / 2 + 2);   /* weight 1 + e^-16 */
		if (walk == 0)
			first_small = small;
		else
			assert_int_equal(small, first_small);   /* the same copies every walk */
		u64map_release(&live);
	}
	profile_free(p);
}

static void test_model_totals(void **state)
{
	(void)state;
	struct sc_profile *p = sampled_profile();
	struct heap_result *r;
	struct heap_options o = { .totals_only = true };
	assert_int_equal(heap_analyze(p, &o, &r), 0);
	double small = N / 2 * sc_event_weight(100, RATE);
	assert_true(fabs((double)r->t.frees - small) / small < 2e-3);
	assert_true(r->t.leaked_blocks >= N / 2 && r->t.leaked_blocks <= N / 2 + 2);
	assert_int_equal(r->t.leaked_bytes, r->t.leaked_blocks * 65536);
	assert_int_equal(r->t.allocations, r->t.frees + r->t.leaked_blocks);
	assert_int_equal(r->t.bytes, r->t.frees * 100 + r->t.leaked_bytes);
	assert_int_equal(r->t.free_null, 1);
	assert_int_equal(r->t.unmatched_frees, 1);
	heap_result_free(r);
	profile_free(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_weights),
		cmocka_unit_test(test_iterator_copies),
		cmocka_unit_test(test_model_totals),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
