/* Unit tests of the zone lanes of the Chrome trace and speedscope exports
 * (output/export-zones.h) with exact inputs: nested zones on one lane in
 * the exact order of their begins and ends, a zone that outlives the zone
 * it began in on a lane of its own, zero-length zones at the edges of
 * others, marks and errors placed around begins and ends at the same
 * instant, the filter keeping the zones inside a matching one; a
 * property test over random zones (every span begins and ends exactly once
 * at its own times, each lane nests and never goes back in time); and the
 * Chrome trace and speedscope text of a small profile: zone tracks, args
 * on the B only (two spans with the same name and args back to back need
 * no tie; a 0 ns span without allocations has none), counter values written
 * exactly (NaN left out), the evented profile's events. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../lib/die.h"
#include "../../output/export-chrome.h"
#include "../../output/export-speedscope.h"
#include "../../output/export-zones.h"

/* A profile with zone names A..F (0..5) and two threads. */
static struct sc_profile *make(void)
{
	struct sc_profile *p = profile_new();
	struct arena *A = &p->arena;
	static const char *const names[] = { "A", "B", "C", "D", "E", "F" };
	p->nzone_names = 6;
	p->zone_names = arena_alloc(A, 6 * sizeof(*p->zone_names));
	for (int i = 0; i < 6; i++)
		p->zone_names[i] = (struct sc_zone_name){ names[i], "", 0, ZONE_KIND_ZONE };
	p->nthreads = 2;
	p->threads = arena_alloc(A, 2 * sizeof(*p->threads));
	p->threads[0] = (struct sc_thread){ 100, "main", 0, 1000 };
	p->threads[1] = (struct sc_thread){ 101, "worker", 0, 1000 };
	return p;
}

static void set_zones(struct sc_profile *p, const struct sc_zone *z, size_t n)
{
	p->zones = arena_alloc(&p->arena, (n ? n : 1) * sizeof(*z));
	memcpy(p->zones, z, n * sizeof(*z));
	p->nzones = n;
}

#define Z(s, e, nm, th, d) { .start = s, .end = e, .name = nm, .thread = th, .depth = d }

/* The events of one walk, as text: "B0@0 E0@100 M0@5 X0@7" (kind, index, time). */
struct rec {
	char buf[4096];
	size_t len;
	uint64_t last;
	int back;
};

static void record(void *ctx, const struct zone_ev *ev)
{
	struct rec *r = ctx;
	static const char kinds[] = "BEMX";
	if (ev->time < r->last)
		r->back++;
	r->last = ev->time;
	r->len += (size_t)snprintf(r->buf + r->len, sizeof(r->buf) - r->len, "%s%c%zu@%llu", r->len ? " " : "",
				   kinds[ev->kind], ev->index, (unsigned long long)ev->time);
}

static const char *walk(const struct zone_lanes *zl, uint32_t t, uint16_t lane, struct rec *r)
{
	memset(r, 0, sizeof(*r));
	zone_lanes_walk(zl, t, lane, record, r);
	return r->buf;
}

static void test_nested_one_lane(void **state)
{
	(void)state;
	struct sc_profile *p = make();
	/* A[0,100] holds B[10,40] and C[50,70]; C holds D[55,60]; E on the other thread */
	const struct sc_zone z[] = { Z(0, 100, 0, 0, 0), Z(10, 40, 1, 0, 1), Z(50, 70, 2, 0, 1), Z(55, 60, 3, 0, 2),
				     Z(5, 9, 4, 1, 0) };
	set_zones(p, z, 5);
	struct zone_lanes zl;
	assert_int_equal(zone_lanes_init(&zl, p, NULL), 0);
	assert_int_equal(zl.nlanes[0], 1);
	assert_int_equal(zl.nlanes[1], 1);
	assert_int_equal(zone_lanes_tracks(&zl, 0), 1);
	assert_int_equal(zl.spans, 5);
	struct rec r;
	assert_string_equal(walk(&zl, 0, 0, &r), "B0@0 B1@10 E1@40 B2@50 B3@55 E3@60 E2@70 E0@100");
	assert_string_equal(walk(&zl, 1, 0, &r), "B4@5 E4@9");
	assert_string_equal(walk(&zl, 0, 1, &r), "");
	zone_lanes_release(&zl);
	profile_free(p);
}

static void test_overlap_gets_a_lane(void **state)
{
	(void)state;
	struct sc_profile *p = make();
	/* begin A, begin B, end A (mismatch: B stays open), end B; then C after both */
	const struct sc_zone z[] = { Z(0, 50, 0, 0, 0), Z(10, 80, 1, 0, 1), Z(90, 95, 2, 0, 0) };
	set_zones(p, z, 3);
	struct zone_lanes zl;
	assert_int_equal(zone_lanes_init(&zl, p, NULL), 0);
	assert_int_equal(zl.nlanes[0], 2);
	assert_int_equal(zl.lane[0], 0);
	assert_int_equal(zl.lane[1], 1);
	assert_int_equal(zl.lane[2], 0);
	struct rec r;
	assert_string_equal(walk(&zl, 0, 0, &r), "B0@0 E0@50 B2@90 E2@95");
	assert_string_equal(walk(&zl, 0, 1, &r), "B1@10 E1@80");
	zone_lanes_release(&zl);
	profile_free(p);
}

static void test_zero_length_edges(void **state)
{
	(void)state;
	struct sc_profile *p = make();
	/* X[10,10] then its sibling Y[10,20]: X ends before Y begins. P[30,30]
	 * holds C[30,30] (deeper). Q[40,50] and a sibling R[50,50] at its end. */
	const struct sc_zone z[] = { Z(10, 10, 0, 0, 0), Z(10, 20, 1, 0, 0), Z(30, 30, 2, 0, 0), Z(30, 30, 3, 0, 1),
				     Z(40, 50, 4, 0, 0), Z(50, 50, 5, 0, 0) };
	set_zones(p, z, 6);
	struct zone_lanes zl;
	assert_int_equal(zone_lanes_init(&zl, p, NULL), 0);
	assert_int_equal(zl.nlanes[0], 1);
	struct rec r;
	assert_string_equal(walk(&zl, 0, 0, &r),
			    "B0@10 E0@10 B1@10 E1@20 B2@30 B3@30 E3@30 E2@30 B4@40 E4@50 B5@50 E5@50");
	zone_lanes_release(&zl);
	profile_free(p);
}

static void test_marks_errors_order(void **state)
{
	(void)state;
	struct sc_profile *p = make();
	const struct sc_zone z[] = { Z(10, 40, 0, 0, 0) };
	set_zones(p, z, 1);
	/* marks at a begin (after it), at an end (before it), after everything,
	 * one on the other thread; an error in between */
	static const struct sc_mark m[] = { { 10, 5, 0 }, { 40, 5, 0 }, { 45, 5, 1 }, { 60, 5, 0 } };
	p->marks = arena_alloc(&p->arena, sizeof(m));
	memcpy(p->marks, m, sizeof(m));
	p->nmarks = 4;
	p->zone_errors = arena_alloc(&p->arena, 2 * sizeof(*p->zone_errors));
	p->zone_errors[0] = (struct sc_zone_error){ 50, 0, 1, 0, ZONE_ERR_END_MISMATCH };
	p->zone_errors[1] = (struct sc_zone_error){ 20, UINT32_MAX, 2, 0, ZONE_ERR_END_UNOPENED };
	p->nzone_errors = 2;
	struct zone_lanes zl;
	assert_int_equal(zone_lanes_init(&zl, p, NULL), 0);
	struct rec r;
	assert_string_equal(walk(&zl, 0, 0, &r), "B0@10 M0@10 X1@20 M1@40 E0@40 X0@50 M3@60");
	/* thread 1: marks only: one track, no lane of spans */
	assert_int_equal(zl.nlanes[1], 0);
	assert_int_equal(zone_lanes_tracks(&zl, 1), 1);
	assert_string_equal(walk(&zl, 1, 0, &r), "M2@45");
	assert_int_equal(zl.marks, 4);
	assert_int_equal(zl.errors, 2);
	zone_lanes_release(&zl);
	profile_free(p);
}

static void test_filter(void **state)
{
	(void)state;
	struct sc_profile *p = make();
	/* A holds B, which holds C; D alone; E holds A (a match deeper down) */
	const struct sc_zone z[] = { Z(0, 100, 0, 0, 0), Z(10, 50, 1, 0, 1), Z(20, 30, 2, 0, 2), Z(200, 300, 3, 0, 0),
				     Z(400, 500, 4, 0, 0), Z(410, 420, 0, 0, 1) };
	set_zones(p, z, 6);
	static const struct sc_mark m[] = { { 5, 0, 0 }, { 6, 3, 0 } };
	p->marks = arena_alloc(&p->arena, sizeof(m));
	memcpy(p->marks, m, sizeof(m));
	p->nmarks = 2;
	p->counters = arena_alloc(&p->arena, 2 * sizeof(*p->counters));
	p->counters[0] = (struct sc_counter){ 7, 1.5, 3, 0 };
	p->counters[1] = (struct sc_counter){ 8, 2.5, 0, 0 };
	p->ncounters = 2;
	struct zone_lanes zl;
	assert_int_equal(zone_lanes_init(&zl, p, "^A$"), 0);
	assert_int_equal(zl.spans, 4);
	struct rec r;
	assert_string_equal(walk(&zl, 0, 0, &r), "B0@0 M0@5 B1@10 B2@20 E2@30 E1@50 E0@100 B5@410 E5@420");
	assert_int_equal(zl.marks, 1);
	assert_int_equal(zl.counters, 1);
	assert_false(zone_lanes_counter_picked(&zl, 0));
	assert_true(zone_lanes_counter_picked(&zl, 1));
	zone_lanes_release(&zl);
	profile_free(p);
}

/* xorshift: a repeatable stream of pseudo-random numbers */
static uint64_t rnd_state = 88172645463325252ull;
static uint64_t rnd(uint64_t n)
{
	rnd_state ^= rnd_state << 13;
	rnd_state ^= rnd_state >> 7;
	rnd_state ^= rnd_state << 17;
	return rnd_state % n;
}

/* Checks one lane's walk: times never go back, every end closes the span on
 * top, begins and ends at the span's own times; counts each span seen. */
struct prop {
	const struct sc_profile *p;
	uint32_t stack[4096];
	size_t n;
	uint64_t last;
	int bad;
	uint8_t *seen;
};

static void prop_event(void *ctx, const struct zone_ev *ev)
{
	struct prop *x = ctx;
	const struct sc_zone *z = &x->p->zones[ev->index];
	if (ev->time < x->last)
		x->bad++;
	x->last = ev->time;
	if (ev->kind == ZEV_BEGIN) {
		if (ev->time != z->start || x->n == 4096)
			x->bad++;
		else
			x->stack[x->n++] = (uint32_t)ev->index;
		x->seen[ev->index]++;
	} else if (ev->kind == ZEV_END) {
		if (ev->time != z->end || !x->n || x->stack[x->n - 1] != ev->index)
			x->bad++;
		else
			x->n--;
		x->seen[ev->index]++;
	}
}

static void test_random_zones_nest(void **state)
{
	(void)state;
	int multi = 0;
	for (int round = 0; round < 200; round++) {
		struct sc_profile *p = make();
		size_t n = 1 + rnd(300);
		struct sc_zone *z = xcalloc(n, sizeof(*z));
		/* per thread: starts ascending (with ties), random lengths (some
		 * zero), random depths: nesting, overlaps and ties of every kind */
		uint64_t t = 0;
		for (size_t i = 0; i < n; i++) {
			z[i].thread = i > n / 2;
			if (i == n / 2 + 1)
				t = 0;
			t += rnd(4) ? rnd(20) : 0;
			z[i].start = t;
			z[i].end = t + (rnd(5) ? rnd(200) : 0);
			z[i].depth = (uint16_t)rnd(6);
			z[i].name = (uint32_t)rnd(6);
		}
		set_zones(p, z, n);
		free(z);
		struct zone_lanes zl;
		assert_int_equal(zone_lanes_init(&zl, p, NULL), 0);
		uint8_t *seen = xcalloc(n, 1);
		for (uint32_t th = 0; th < 2; th++)
			for (uint16_t k = 0; k < zl.nlanes[th]; k++) {
				struct prop x = { .p = p, .seen = seen };
				zone_lanes_walk(&zl, th, k, prop_event, &x);
				assert_int_equal(x.bad, 0);
				assert_int_equal(x.n, 0);
			}
		for (size_t i = 0; i < n; i++)
			assert_int_equal(seen[i], 2);
		assert_int_equal(zl.spans, n);
		assert_int_equal(zl.undrawn, 0);
		multi += zl.nlanes[0] > 1 || zl.nlanes[1] > 1;
		free(seen);
		zone_lanes_release(&zl);
		profile_free(p);
	}
	assert_true(multi > 50);   /* overlaps were common: the lanes were exercised */
}

static void test_bad_filter(void **state)
{
	(void)state;
	struct sc_profile *p = make();
	struct zone_lanes zl;
	assert_int_equal(zone_lanes_init(&zl, p, "("), -EINVAL);
	profile_free(p);
}

/* The export of p by write() as text (the caller frees it). */
static char *export_text(const struct sc_profile *p,
			 int (*write)(FILE *, const struct sc_profile *, const struct export_options *))
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	assert_non_null(f);
	struct export_options o = { 0 };
	assert_int_equal(write(f, p, &o), 0);
	fclose(f);
	return buf;
}

static struct sc_profile *small_profile(void)
{
	struct sc_profile *p = make();
	p->pid = 100;
	/* A[0,10] then A[10,20] with the same args: the second begins where the
	 * first ends; B[12,15] inside it, with allocations; C[30,30] lasts 0 ns */
	const struct sc_zone z[] = { Z(0, 10, 0, 0, 0), Z(10, 20, 0, 0, 0), { .start = 12, .end = 15, .name = 1,
				     .depth = 1, .allocs = 3, .bytes = 96, .flags = ZONE_F_UNWOUND }, Z(30, 30, 2, 0, 0) };
	set_zones(p, z, 4);
	static const double values[] = { 0.1, 1e300, -2.5, 7 };
	p->counters = arena_alloc(&p->arena, 5 * sizeof(*p->counters));
	for (int i = 0; i < 4; i++)
		p->counters[i] = (struct sc_counter){ (uint64_t)i, values[i], 2, 0 };
	p->counters[4] = (struct sc_counter){ 5, NAN, 2, 0 };
	p->ncounters = 5;
	return p;
}

static void test_chrome_text(void **state)
{
	(void)state;
	struct sc_profile *p = small_profile();
	char *t = export_text(p, chrome_write);
	assert_non_null(strstr(t, "\"zone_tid_stride\":4194304"));
	assert_non_null(strstr(t, "{\"ph\":\"M\",\"name\":\"thread_name\",\"pid\":100,\"tid\":4194404,"
				  "\"args\":{\"name\":\"main zones\"}}"));
	assert_non_null(strstr(t, "{\"ph\":\"B\",\"name\":\"A\",\"pid\":100,\"tid\":4194404,\"cat\":\"scorch.zone\","
				  "\"ts\":0.000,\"args\":{\"allocs\":0,\"bytes\":0}}"));
	/* args on the B only: the E repeats its name and category, no args */
	assert_non_null(strstr(t, "{\"ph\":\"E\",\"name\":\"A\",\"pid\":100,\"tid\":4194404,\"cat\":\"scorch.zone\","
				  "\"ts\":0.010}"));
	/* the second A begins where the first ends: no tie is needed, as its B
	 * has args and the first one's E none */
	assert_non_null(strstr(t, "\"ph\":\"B\",\"name\":\"A\",\"pid\":100,\"tid\":4194404,\"cat\":\"scorch.zone\","
				  "\"ts\":0.010,\"args\":{\"allocs\":0,\"bytes\":0}}"));
	assert_non_null(strstr(t, "\"ph\":\"E\",\"name\":\"A\",\"pid\":100,\"tid\":4194404,\"cat\":\"scorch.zone\","
				  "\"ts\":0.020}"));
	assert_null(strstr(t, "tie"));
	/* 0 ns and nothing to say: no args on its B either, so that readers
	 * pairing by name and args take its B before its E at that instant */
	assert_non_null(strstr(t, "{\"ph\":\"B\",\"name\":\"C\",\"pid\":100,\"tid\":4194404,\"cat\":\"scorch.zone\","
				  "\"ts\":0.030}"));
	assert_null(strstr(t, "\"ph\":\"E\",\"name\":\"B\",\"pid\":100,\"tid\":4194404,\"cat\":\"scorch.zone\",\"ts\":0.015,\"args\""));
	assert_non_null(strstr(t, "\"name\":\"B\",\"pid\":100,\"tid\":4194404,\"cat\":\"scorch.zone\",\"ts\":0.012,"
				  "\"args\":{\"allocs\":3,\"bytes\":96,\"unwound\":true}}"));
	assert_non_null(strstr(t, "\"args\":{\"value\":0.1}"));
	assert_non_null(strstr(t, "\"args\":{\"value\":1e+300}"));
	assert_non_null(strstr(t, "\"args\":{\"value\":-2.5}"));
	assert_non_null(strstr(t, "\"args\":{\"value\":7}"));
	assert_null(strstr(t, "nan"));
	/* no zone track for the thread without zones */
	assert_null(strstr(t, "worker zones"));
	free(t);
	profile_free(p);
}

static void test_speedscope_text(void **state)
{
	(void)state;
	struct sc_profile *p = small_profile();
	p->duration = 50;
	char *t = export_text(p, speedscope_write);
	/* from the start of the run to the end of the thread (after the duration) */
	assert_non_null(strstr(t, "      \"type\":\"evented\",\n      \"name\":\"zones: main (tid 100)\",\n"
				  "      \"unit\":\"nanoseconds\",\n      \"startValue\":0,\n"
				  "      \"events\":[{\"type\":\"O\",\"frame\":0,\"at\":0},"
				  "{\"type\":\"C\",\"frame\":0,\"at\":10},{\"type\":\"O\",\"frame\":0,\"at\":10},"
				  "{\"type\":\"O\",\"frame\":1,\"at\":12},{\"type\":\"C\",\"frame\":1,\"at\":15},"
				  "{\"type\":\"C\",\"frame\":0,\"at\":20},{\"type\":\"O\",\"frame\":2,\"at\":30},"
				  "{\"type\":\"C\",\"frame\":2,\"at\":30}],\n      \"endValue\":1000\n"));
	assert_non_null(strstr(t, "\"frames\":[\n      {\"name\":\"A\"},\n      {\"name\":\"B\"},\n      {\"name\":\"C\"}\n    ]"));
	assert_null(strstr(t, "worker"));
	free(t);
	profile_free(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_nested_one_lane),
		cmocka_unit_test(test_overlap_gets_a_lane),
		cmocka_unit_test(test_zero_length_edges),
		cmocka_unit_test(test_marks_errors_order),
		cmocka_unit_test(test_filter),
		cmocka_unit_test(test_random_zones_nest),
		cmocka_unit_test(test_bad_filter),
		cmocka_unit_test(test_chrome_text),
		cmocka_unit_test(test_speedscope_text),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
