/* Unit tests of the zone analysis with exact inputs: self time of nested,
 * recursive and overlapping spans, spans on two threads, dropped calls,
 * allocations, nearest-rank percentiles, marks, counters, errors, sorting
 * and filtering; and an exact round trip of the zone sections of a .scorch
 * file, plus a profile without them. The figures finalize folds as it
 * reads (zone-fin.c) must be those of the spans, kept or not. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../analysis/profile-io.h"
#include "../../analysis/zone-fin.h"
#include "../../analysis/zones.h"
#include "../../format/raw.h"
#include "../../format/rawrec.h"
#include "../../lib/die.h"

/* A profile with names A, B, C, D, R, F (indexes 0..5) and two threads. */
static struct sc_profile *make(void)
{
	struct sc_profile *p = profile_new();
	struct arena *A = &p->arena;
	static const char *const names[] = { "A", "B", "C", "D", "R", "F" };
	p->nzone_names = 6;
	p->zone_names = arena_alloc(A, 6 * sizeof(*p->zone_names));
	for (int i = 0; i < 6; i++)
		p->zone_names[i] = (struct sc_zone_name){ names[i], i == 5 ? "f.c" : "", i == 5 ? 7u : 0u,
							  i == 5 ? ZONE_KIND_FUNC : ZONE_KIND_ZONE };
	p->nthreads = 2;
	p->threads = arena_alloc(A, 2 * sizeof(*p->threads));
	p->threads[0] = (struct sc_thread){ 100, "main", 0, 1000 };
	p->threads[1] = (struct sc_thread){ 101, "worker", 0, 1000 };
	p->exe = "/bin/z";
	p->cmdline = "z";
	p->host = "h";
	p->scorch_version = "t";
	p->nstacks = 1;
	p->stacks = arena_alloc(A, sizeof(*p->stacks));
	return p;
}

static void set_zones(struct sc_profile *p, const struct sc_zone *z, size_t n)
{
	p->zones = arena_alloc(&p->arena, n * sizeof(*z));
	memcpy(p->zones, z, n * sizeof(*z));
	p->nzones = n;
}

static const struct zone_stat *row(const struct zone_result *r, const char *name)
{
	for (size_t i = 0; i < r->nzones; i++)
		if (!strcmp(r->p->zone_names[r->zones[i].name].name, name))
			return &r->zones[i];
	return NULL;
}

#define Z(s, e, nm, th, d) { .start = s, .end = e, .name = nm, .thread = th, .depth = d }

static void test_self_nested(void **state)
{
	(void)state;
	struct sc_profile *p = make();
	/* A[0,100] holds B[10,40] and C[50,70]; C holds D[55,60] */
	const struct sc_zone z[] = { Z(0, 100, 0, 0, 0), Z(10, 40, 1, 0, 1), Z(50, 70, 2, 0, 1), Z(55, 60, 3, 0, 2) };
	set_zones(p, z, 4);
	struct zone_result *r;
	assert_int_equal(zone_analyze(p, NULL, &r), 0);
	assert_int_equal(r->nzones, 4);
	assert_int_equal(row(r, "A")->self_ns, 50);
	assert_int_equal(row(r, "A")->total_ns, 100);
	assert_int_equal(row(r, "B")->self_ns, 30);
	assert_int_equal(row(r, "C")->self_ns, 15);
	assert_int_equal(row(r, "C")->total_ns, 20);
	assert_int_equal(row(r, "D")->self_ns, 5);
	/* sorted by total: A, B, C, D */
	assert_string_equal(p->zone_names[r->zones[0].name].name, "A");
	assert_string_equal(p->zone_names[r->zones[3].name].name, "D");
	zone_result_free(r);
	profile_free(p);
}

static void test_recursion(void **state)
{
	(void)state;
	struct sc_profile *p = make();
	const struct sc_zone z[] = { Z(0, 100, 4, 0, 0), Z(10, 90, 4, 0, 1), Z(20, 80, 4, 0, 2) };
	set_zones(p, z, 3);
	struct zone_result *r;
	assert_int_equal(zone_analyze(p, NULL, &r), 0);
	const struct zone_stat *s = row(r, "R");
	assert_non_null(s);
	assert_int_equal(s->calls, 3);
	assert_int_equal(s->total_ns, 100);     /* the recursion once */
	assert_int_equal(s->self_ns, 100);      /* 20 + 20 + 60 */
	assert_int_equal(s->sum_ns, 240);
	assert_int_equal(s->min_ns, 60);
	assert_int_equal(s->max_ns, 100);
	assert_int_equal(s->p50_ns, 80);
	zone_result_free(r);
	profile_free(p);
}

static void test_threads_overlap_dropped(void **state)
{
	(void)state;
	struct sc_profile *p = make();
	/* thread 0: A[0,50] with B[40,80] begun inside and ended after it (an
	 * unscoped span), and C[60,100] after A; thread 1: C[0,300] with
	 * dropped calls inside worth 100 */
	struct sc_zone z[] = { Z(0, 50, 0, 0, 0), Z(40, 80, 1, 0, 1), Z(60, 100, 2, 0, 0), Z(0, 300, 2, 1, 0) };
	z[3].dropped_ns = 100;
	set_zones(p, z, 4);
	struct zone_result *r;
	assert_int_equal(zone_analyze(p, NULL, &r), 0);
	assert_int_equal(row(r, "A")->self_ns, 40);   /* only the overlap counts */
	assert_int_equal(row(r, "B")->self_ns, 40);
	assert_int_equal(row(r, "C")->calls, 2);
	assert_int_equal(row(r, "C")->total_ns, 340);
	assert_int_equal(row(r, "C")->self_ns, 240);  /* 40 + 300 - 100 */
	assert_int_equal(r->nthreads, 2);
	assert_int_equal(r->threads[0].spans, 3);
	assert_int_equal(r->threads[1].spans, 1);
	zone_result_free(r);
	profile_free(p);
}

static void test_allocs_and_drops(void **state)
{
	(void)state;
	struct sc_profile *p = make();
	struct sc_zone z[] = { Z(0, 100, 0, 0, 0), Z(10, 20, 5, 0, 1), Z(30, 90, 0, 0, 1) };
	z[0].allocs = 150;
	z[0].bytes = 9000;
	z[1].allocs = 100;
	z[1].bytes = 6400;
	z[2].allocs = 20;    /* A inside A: not counted again in A's allocs */
	z[2].bytes = 200;
	set_zones(p, z, 3);
	p->nzone_drops = 1;
	p->zone_drops = arena_alloc(&p->arena, sizeof(*p->zone_drops));
	p->zone_drops[0] = (struct sc_zone_drop){ .name = 5, .calls = 10, .total_ns = 50, .self_ns = 40,
						  .min_ns = 2, .max_ns = 9, .outer_ns = 30, .allocs = 3, .bytes = 30 };
	struct zone_result *r;
	assert_int_equal(zone_analyze(p, NULL, &r), 0);
	const struct zone_stat *a = row(r, "A"), *f = row(r, "F");
	assert_int_equal(a->allocs, 150);
	assert_int_equal(a->bytes, 9000);
	assert_int_equal(a->self_allocs, 30 + 20);   /* 150 - 100 - 20, and the inner A's 20 */
	assert_int_equal(f->calls, 11);
	assert_int_equal(f->dropped, 10);
	assert_int_equal(f->total_ns, 10 + 30);
	assert_int_equal(f->self_ns, 10 + 40);
	assert_int_equal(f->sum_ns, 10 + 50);
	assert_int_equal(f->min_ns, 2);
	assert_int_equal(f->max_ns, 10);
	assert_int_equal(f->allocs, 103);
	assert_int_equal(f->bytes, 6430);
	assert_int_equal(f->p50_ns, 10);   /* over the span kept */
	assert_int_equal(r->dropped, 10);
	zone_result_free(r);
	profile_free(p);
}

static void test_percentiles(void **state)
{
	(void)state;
	uint64_t v[100];
	for (int i = 0; i < 100; i++)
		v[i] = (uint64_t)i + 1;
	assert_int_equal(zone_percentile(v, 100, 50), 50);
	assert_int_equal(zone_percentile(v, 100, 95), 95);
	assert_int_equal(zone_percentile(v, 100, 99), 99);
	assert_int_equal(zone_percentile(v, 100, 100), 100);
	const uint64_t three[] = { 10, 20, 30 };
	assert_int_equal(zone_percentile(three, 3, 50), 20);   /* rank ceil(1.5) = 2 */
	assert_int_equal(zone_percentile(three, 3, 99), 30);
	assert_int_equal(zone_percentile(three, 3, 1), 10);
	assert_int_equal(zone_percentile(three, 1, 99), 10);
	assert_int_equal(zone_percentile(NULL, 0, 50), 0);
	/* through the analysis: 200 spans of 1..200 ns on one thread */
	struct sc_profile *p = make();
	struct sc_zone z[200];
	uint64_t t = 0;
	for (int i = 0; i < 200; i++) {
		uint64_t d = (uint64_t)((i * 7) % 200) + 1;   /* every duration once, shuffled */
		z[i] = (struct sc_zone)Z(t, t + d, 1, 0, 0);
		t += d;
	}
	set_zones(p, z, 200);
	struct zone_result *r;
	assert_int_equal(zone_analyze(p, NULL, &r), 0);
	const struct zone_stat *b = row(r, "B");
	assert_int_equal(b->p50_ns, 100);
	assert_int_equal(b->p95_ns, 190);
	assert_int_equal(b->p99_ns, 198);
	assert_int_equal(b->min_ns, 1);
	assert_int_equal(b->max_ns, 200);
	assert_int_equal(b->sum_ns, 20100);
	zone_result_free(r);
	profile_free(p);
}

static void test_marks_counters_errors(void **state)
{
	(void)state;
	struct sc_profile *p = make();
	struct arena *A = &p->arena;
	p->nmarks = 3;
	p->marks = arena_alloc(A, 3 * sizeof(*p->marks));
	p->marks[0] = (struct sc_mark){ 5, 0, 0 };
	p->marks[1] = (struct sc_mark){ 7, 1, 1 };
	p->marks[2] = (struct sc_mark){ 9, 0, 0 };
	p->ncounters = 4;
	p->counters = arena_alloc(A, 4 * sizeof(*p->counters));
	const double vals[] = { 3, -1.5, 10, 4.5 };
	for (int i = 0; i < 4; i++)
		p->counters[i] = (struct sc_counter){ (uint64_t)i * 10, vals[i], 2, 0 };
	p->nzone_errors = 3;
	p->zone_errors = arena_alloc(A, 3 * sizeof(*p->zone_errors));
	p->zone_errors[0] = (struct sc_zone_error){ 11, 1, 0, 0, ZONE_ERR_END_MISMATCH };
	p->zone_errors[1] = (struct sc_zone_error){ 12, UINT32_MAX, 3, 0, ZONE_ERR_END_UNOPENED };
	p->zone_errors[2] = (struct sc_zone_error){ 13, 1, 0, 1, ZONE_ERR_END_MISMATCH };
	struct zone_result *r;
	assert_int_equal(zone_analyze(p, NULL, &r), 0);
	assert_int_equal(r->nzones, 0);
	assert_int_equal(r->nmarks, 2);
	assert_int_equal(r->marks[0].name, 0);
	assert_int_equal(r->marks[0].count, 2);
	assert_int_equal(r->marks[0].first_ns, 5);
	assert_int_equal(r->marks[0].last_ns, 9);
	assert_int_equal(r->ncounters, 1);
	assert_true(r->counters[0].min == -1.5);
	assert_true(r->counters[0].max == 10);
	assert_true(r->counters[0].mean == 4);
	assert_true(r->counters[0].last == 4.5);
	assert_int_equal(r->counters[0].samples, 4);
	assert_int_equal(r->nerrors, 2);
	assert_int_equal(r->errors[0].count, 2);
	assert_int_equal(r->errors[0].first_ns, 11);
	assert_int_equal(r->errors[1].given, 3);
	assert_int_equal(r->nerror_calls, 3);
	assert_int_equal(r->threads[0].marks, 2);
	assert_int_equal(r->threads[0].counters, 4);
	zone_result_free(r);
	profile_free(p);
}

static void test_sort_filter(void **state)
{
	(void)state;
	struct sc_profile *p = make();
	/* A: 1 call of 100; B: 3 calls of 10; C: 2 calls of 40 */
	const struct sc_zone z[] = { Z(0, 100, 0, 0, 0), Z(100, 110, 1, 0, 0), Z(110, 120, 1, 0, 0),
				     Z(120, 130, 1, 0, 0), Z(130, 170, 2, 0, 0), Z(170, 210, 2, 0, 0) };
	set_zones(p, z, 6);
	struct zone_result *r;
	assert_int_equal(zone_analyze(p, NULL, &r), 0);
	zone_result_sort(r, ZONE_SORT_CALLS);
	assert_string_equal(p->zone_names[r->zones[0].name].name, "B");
	zone_result_sort(r, ZONE_SORT_MEAN);
	assert_string_equal(p->zone_names[r->zones[0].name].name, "A");
	assert_string_equal(p->zone_names[r->zones[1].name].name, "C");
	zone_result_sort(r, ZONE_SORT_NAME);
	assert_string_equal(p->zone_names[r->zones[2].name].name, "C");
	zone_result_free(r);
	struct zone_options o = { "^[BC]$" };
	assert_int_equal(zone_analyze(p, &o, &r), 0);
	assert_int_equal(r->nzones, 2);
	assert_string_equal(p->zone_names[r->zones[0].name].name, "C");
	zone_result_free(r);
	struct zone_options bad = { "(" };
	assert_int_equal(zone_analyze(p, &bad, &r), -22);
	assert_int_equal(zone_sort_parse("p99"), ZONE_SORT_P99);
	assert_int_equal(zone_sort_parse("nope"), -1);
	profile_free(p);
}

static void test_roundtrip(void **state)
{
	(void)state;
	struct sc_profile *p = make();
	struct arena *A = &p->arena;
	/* more spans than fit one section */
	size_t n = 70000;
	struct sc_zone *z = xcalloc(n, sizeof(*z));
	for (size_t i = 0; i < n; i++) {
		uint16_t th = i < n / 2 ? 0 : 1;
		uint64_t t = (i % (n / 2)) * 10;
		z[i] = (struct sc_zone){ .start = t, .end = t + (i % 7), .allocs = i % 3, .bytes = i * 5,
					 .dropped_ns = i % 2, .name = (uint32_t)(i % 6), .thread = th,
					 .depth = (uint16_t)(i % 4), .flags = (uint16_t)(i % 5 == 0 ? ZONE_F_UNWOUND : 0) };
	}
	set_zones(p, z, n);
	free(z);
	p->nmarks = 2;
	p->marks = arena_alloc(A, 2 * sizeof(*p->marks));
	p->marks[0] = (struct sc_mark){ 3, 1, 0 };
	p->marks[1] = (struct sc_mark){ 8, 2, 1 };
	p->ncounters = 2;
	p->counters = arena_alloc(A, 2 * sizeof(*p->counters));
	p->counters[0] = (struct sc_counter){ 4, 0.1, 3, 0 };
	p->counters[1] = (struct sc_counter){ 9, -7e300, 3, 1 };
	p->nzone_drops = 1;
	p->zone_drops = arena_alloc(A, sizeof(*p->zone_drops));
	p->zone_drops[0] = (struct sc_zone_drop){ 5, 11, 12, 13, 1, 3, 10, 4, 40 };
	p->nzone_errors = 2;
	p->zone_errors = arena_alloc(A, 2 * sizeof(*p->zone_errors));
	p->zone_errors[0] = (struct sc_zone_error){ 50, 0, 1, 1, ZONE_ERR_END_MISMATCH };
	p->zone_errors[1] = (struct sc_zone_error){ 60, UINT32_MAX, 2, 0, ZONE_ERR_END_UNOPENED };
	char path[] = "/tmp/scorch-test-zones-XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(profile_write(p, path), 0);
	struct sc_profile *q;
	char err[256];
	assert_int_equal(profile_read(path, &q, err, sizeof(err)), 0);
	assert_int_equal(q->nzone_names, 6);
	for (size_t i = 0; i < 6; i++) {
		assert_string_equal(q->zone_names[i].name, p->zone_names[i].name);
		assert_string_equal(q->zone_names[i].file, p->zone_names[i].file);
		assert_int_equal(q->zone_names[i].line, p->zone_names[i].line);
		assert_int_equal(q->zone_names[i].kind, p->zone_names[i].kind);
	}
	assert_int_equal(q->nzones, n);
	for (size_t i = 0; i < n; i++) {
		const struct sc_zone *a = &p->zones[i], *b = &q->zones[i];
		assert_int_equal(a->start, b->start);
		assert_int_equal(a->end, b->end);
		assert_int_equal(a->allocs, b->allocs);
		assert_int_equal(a->bytes, b->bytes);
		assert_int_equal(a->dropped_ns, b->dropped_ns);
		assert_int_equal(a->name, b->name);
		assert_int_equal(a->thread, b->thread);
		assert_int_equal(a->depth, b->depth);
		assert_int_equal(a->flags, b->flags);
	}
	assert_int_equal(q->nmarks, 2);
	assert_int_equal(q->marks[1].time, 8);
	assert_int_equal(q->marks[1].name, 2);
	assert_int_equal(q->marks[1].thread, 1);
	assert_int_equal(q->ncounters, 2);
	assert_true(q->counters[0].value == 0.1);
	assert_true(q->counters[1].value == -7e300);
	assert_int_equal(q->counters[1].time, 9);
	assert_int_equal(q->nzone_drops, 1);
	assert_memory_equal(&q->zone_drops[0], &p->zone_drops[0], sizeof(struct sc_zone_drop));
	assert_int_equal(q->nzone_errors, 2);
	assert_int_equal(q->zone_errors[0].given, 1);
	assert_int_equal(q->zone_errors[0].thread, 1);
	assert_int_equal(q->zone_errors[1].expected, UINT32_MAX);
	assert_int_equal(q->zone_errors[1].kind, ZONE_ERR_END_UNOPENED);
	profile_free(q);

	/* spans out of order are refused as corrupt */
	struct sc_zone t = p->zones[1];
	p->zones[1] = p->zones[2];
	p->zones[2] = t;
	p->zones[1].start = 100;
	assert_int_equal(profile_write(p, path), 0);
	assert_int_equal(profile_read(path, &q, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "bad zones section"));
	unlink(path);
	profile_free(p);
}

/* A profile without zones writes no zone section and reads back empty. */
static void test_no_zones(void **state)
{
	(void)state;
	struct sc_profile *p = make();
	p->nzone_names = 0;
	char path[] = "/tmp/scorch-test-zones-XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(profile_write(p, path), 0);
	struct sc_profile *q;
	char err[256];
	assert_int_equal(profile_read(path, &q, err, sizeof(err)), 0);
	assert_int_equal(q->nzone_names, 0);
	assert_int_equal(q->nzones, 0);
	struct zone_result *r;
	assert_int_equal(zone_analyze(q, NULL, &r), 0);
	assert_int_equal(r->nzones, 0);
	zone_result_free(r);
	profile_free(q);
	unlink(path);
	profile_free(p);
}

/* ---- folding in finalize (zone-fin.c) against the spans ---- */

static uint64_t fold_rel(void *ctx, uint64_t t) { return t - 1000; }
static uint64_t fold_dur(void *ctx, uint64_t t) { return t; }

/* One zone record: its fields after the dt. */
static void rec(struct zone_fin **z, const struct zone_fin_env *env, uint32_t th, int type, uint64_t t,
		const uint64_t *f, int n)
{
	uint8_t buf[256], *e = buf;
	for (int i = 0; i < n; i++) {
		if (type == RAW_ZNAME && i == 1)
			*e++ = (uint8_t)f[i];   /* the kind is a byte */
		else
			e = fmt_put_u(e, f[i]);
	}
	struct fmt_reader r = { buf, e, 0 };
	assert_int_equal(zone_fin_decode(z, env, th, type, t, &r), 0);
	assert_ptr_equal(r.p, e);
}

static uint64_t rnd_state = 88172645463325252ull;
static uint64_t rnd(uint64_t n)
{
	rnd_state ^= rnd_state << 13;
	rnd_state ^= rnd_state >> 7;
	rnd_state ^= rnd_state << 17;
	return rnd_state % n;
}

/* Random nested spans on two threads from one seed: names 1..6, recursion,
 * 0 ns spans, an unwound end, spans left open, dropped calls inside. */
static struct sc_profile *fold(uint64_t seed, size_t keep)
{
	rnd_state = seed;
	struct zone_fin_env env = { NULL, fold_rel, fold_dur, NULL, keep, 0, { 0, 0 } };
	struct zone_fin *z = NULL;
	static const char *const nm[] = { "", "A", "B", "C", "D", "E", "F" };
	for (uint64_t id = 1; id <= 6; id++) {
		uint8_t buf[64], *e = buf;
		e = fmt_put_u(e, id);
		*e++ = ZNAME_STRING;
		e = fmt_put_u(e, 1);
		memcpy(e, nm[id], 1);
		e++;
		e = fmt_put_u(e, 0);
		e = fmt_put_u(e, 0);
		struct fmt_reader r = { buf, e, 0 };
		assert_int_equal(zone_fin_decode(&z, &env, 0, RAW_ZNAME, 1000, &r), 0);
	}
	for (uint32_t th = 0; th < 2; th++) {
		uint64_t t = 1000, open[64];
		int depth = 0;
		for (int step = 0; step < 3000; step++) {
			t += rnd(4) ? rnd(50) : 0;
			if (depth < 60 && (depth == 0 || rnd(2))) {
				open[depth++] = 1 + rnd(6);
				rec(&z, &env, th, RAW_ZBEGIN, t, &open[depth - 1], 1);
			} else if (depth) {
				uint64_t f[5] = { open[--depth], rnd(3), rnd(100), rnd(20) ? 0 : RAW_ZF_UNWOUND, 0 };
				if (!rnd(10)) {
					f[3] |= RAW_ZF_DROPPED_KIDS;
					f[4] = rnd(5);
				}
				rec(&z, &env, th, RAW_ZEND, t, f, (f[3] & RAW_ZF_DROPPED_KIDS) ? 5 : 4);
			}
		}
	}
	struct sc_profile *p = make();
	p->threads[0].end = p->threads[1].end = 0;
	p->duration = 400000;
	zone_fin_build(z, p, &env);
	zone_fin_free(z);
	return p;
}

static void same_result(const struct zone_result *a, const struct zone_result *b)
{
	assert_int_equal(a->nzones, b->nzones);
	assert_int_equal(a->spans, b->spans);
	assert_int_equal(a->unwound, b->unwound);
	assert_int_equal(a->unfinished, b->unfinished);
	assert_int_equal(a->thread_exit, b->thread_exit);
	for (size_t i = 0; i < a->nzones; i++) {
		const struct zone_stat *x = &a->zones[i], *y = &b->zones[i];
		assert_string_equal(a->p->zone_names[x->name].name, b->p->zone_names[y->name].name);
		assert_int_equal(x->calls, y->calls);
		assert_int_equal(x->total_ns, y->total_ns);
		assert_int_equal(x->self_ns, y->self_ns);
		assert_int_equal(x->sum_ns, y->sum_ns);
		assert_int_equal(x->min_ns, y->min_ns);
		assert_int_equal(x->max_ns, y->max_ns);
		assert_int_equal(x->p50_ns, y->p50_ns);
		assert_int_equal(x->p95_ns, y->p95_ns);
		assert_int_equal(x->p99_ns, y->p99_ns);
		assert_int_equal(x->allocs, y->allocs);
		assert_int_equal(x->bytes, y->bytes);
		assert_int_equal(x->self_allocs, y->self_allocs);
		assert_int_equal(x->self_bytes, y->self_bytes);
		assert_int_equal(x->unwound, y->unwound);
		assert_int_equal(x->unfinished, y->unfinished);
	}
	assert_int_equal(a->nthreads, b->nthreads);
	for (size_t i = 0; i < a->nthreads; i++)
		assert_int_equal(a->threads[i].spans, b->threads[i].spans);
}

/* Self time of each span (its duration less the spans directly inside and
 * the dropped calls), as zones.c reckons it from the spans. */
static uint64_t *span_self(const struct sc_profile *p)
{
	uint64_t *self = calloc(p->nzones + 1, sizeof(uint64_t)), *kids = calloc(p->nzones + 1, sizeof(uint64_t));
	size_t *stack = calloc(p->nzones + 1, sizeof(size_t)), sp = 0;
	for (size_t i = 0; i < p->nzones; i++) {
		const struct sc_zone *z = &p->zones[i];
		while (sp && (p->zones[stack[sp - 1]].thread != z->thread || p->zones[stack[sp - 1]].depth >= z->depth))
			sp--;
		if (sp) {
			const struct sc_zone *par = &p->zones[stack[sp - 1]];
			uint64_t e = z->end < par->end ? z->end : par->end;
			kids[stack[sp - 1]] += e > z->start ? e - z->start : 0;
		}
		stack[sp++] = i;
	}
	for (size_t i = 0; i < p->nzones; i++) {
		uint64_t d = p->zones[i].end - p->zones[i].start, away = kids[i] + p->zones[i].dropped_ns;
		self[i] = d > away ? d - away : 0;
	}
	free(kids);
	free(stack);
	return self;
}

static void test_fold_matches_spans(void **state)
{
	(void)state;
	for (uint64_t seed = 1; seed <= 5; seed++) {
		/* every span kept: the figures are those of the spans */
		struct sc_profile *p = fold(seed, 0);
		assert_true(p->have_zone_stats);
		assert_int_equal(p->zone_keep_ns, 0);
		assert_int_equal(p->zone_spans_total, p->nzones);
		assert_true(p->nzones > 2000);
		struct zone_result *a, *b;
		assert_int_equal(zone_analyze(p, NULL, &a), 0);
		p->have_zone_stats = false;
		assert_int_equal(zone_analyze(p, NULL, &b), 0);
		p->have_zone_stats = true;
		same_result(a, b);
		assert_true(a->unwound > 0 && a->unfinished > 0);
		for (uint16_t th = 0; th < 2; th++) {
			struct zone_result *x, *y;
			assert_int_equal(zone_analyze_thread(p, NULL, th, &x), 0);
			p->have_zone_stats = false;
			assert_int_equal(zone_analyze_thread(p, NULL, th, &y), 0);
			p->have_zone_stats = true;
			same_result(x, y);
			zone_result_free(x);
			zone_result_free(y);
		}

		/* 100 kept (1 and 3 for seeds 4 and 5): the same figures; the
		 * longest spans, nesting closed, and each one's self time the
		 * same as with every span */
		size_t keep = seed == 4 ? 1 : seed == 5 ? 3 : 100;
		struct sc_profile *q = fold(seed, keep);
		assert_true(q->nzones <= keep && q->nzones >= (keep > 1 ? keep / 5 : 1));
		assert_true(q->zone_keep_ns > 0);
		assert_int_equal(q->zone_spans_total, p->nzones);
		struct zone_result *c;
		assert_int_equal(zone_analyze(q, NULL, &c), 0);
		same_result(a, c);
		uint64_t *ps = span_self(p), *qs = span_self(q);
		size_t longer = 0;
		for (size_t i = 0; i < p->nzones; i++)
			longer += p->zones[i].end - p->zones[i].start >= q->zone_keep_ns;
		assert_int_equal(longer, q->nzones);
		size_t k = 0;
		for (size_t i = 0; i < p->nzones; i++) {
			const struct sc_zone *x = &p->zones[i];
			if (x->end - x->start < q->zone_keep_ns)
				continue;
			const struct sc_zone *y = &q->zones[k];
			assert_int_equal(x->start, y->start);
			assert_int_equal(x->end, y->end);
			assert_int_equal(x->thread, y->thread);
			assert_int_equal(x->depth, y->depth);
			assert_string_equal(p->zone_names[x->name].name, q->zone_names[y->name].name);
			assert_int_equal(ps[i], qs[k]);
			/* the span it is in is kept too */
			if (y->depth) {
				size_t j = k;
				while (j-- > 0 && q->zones[j].depth >= y->depth)
					;
				assert_true(j < k && q->zones[j].thread == y->thread && q->zones[j].depth == y->depth - 1);
			}
			k++;
		}
		free(ps);
		free(qs);

		/* written and read back: the same figures, with or without the spans */
		char path[] = "/tmp/test-zones-fold-XXXXXX";
		int fd = mkstemp(path);
		assert_true(fd >= 0);
		close(fd);
		assert_int_equal(profile_write(q, path), 0);
		struct sc_profile *r1, *r2;
		char err[256];
		assert_int_equal(profile_read(path, &r1, err, sizeof(err)), 0);
		assert_int_equal(profile_read_zone_figures(path, &r2, err, sizeof(err)), 0);
		assert_int_equal(r1->nzones, q->nzones);
		assert_int_equal(r2->nzones, 0);
		assert_int_equal(r2->zone_keep_ns, q->zone_keep_ns);
		struct zone_result *d, *e;
		assert_int_equal(zone_analyze(r1, NULL, &d), 0);
		assert_int_equal(zone_analyze(r2, NULL, &e), 0);
		same_result(a, d);
		same_result(a, e);
		unlink(path);
		zone_result_free(d);
		zone_result_free(e);
		profile_free(r1);
		profile_free(r2);
		zone_result_free(a);
		zone_result_free(b);
		zone_result_free(c);
		profile_free(p);
		profile_free(q);
	}
}

/* Past ZONE_HIST_EXACT distinct durations the histogram is by buckets:
 * percentiles within 1/256 of the exact ones, counts still exact. */
static void test_fold_coarse(void **state)
{
	(void)state;
	struct zone_fin_env env = { NULL, fold_rel, fold_dur, NULL, 0, 0, { 0, 0 } };
	struct zone_fin *z = NULL;
	uint8_t buf[64], *e = buf;
	e = fmt_put_u(e, 1);
	*e++ = ZNAME_STRING;
	e = fmt_put_u(e, 1);
	*e++ = 'A';
	e = fmt_put_u(e, 0);
	e = fmt_put_u(e, 0);
	struct fmt_reader r = { buf, e, 0 };
	assert_int_equal(zone_fin_decode(&z, &env, 0, RAW_ZNAME, 1000, &r), 0);
	uint64_t t = 1000, n = 5000;
	for (uint64_t i = 0; i < n; i++) {
		uint64_t id = 1, f[4] = { 1, 0, 0, 0 };
		rec(&z, &env, 0, RAW_ZBEGIN, t, &id, 1);
		t += 1000 + (i * 7919) % n;   /* n distinct durations, 1000..5999 */
		rec(&z, &env, 0, RAW_ZEND, t, f, 4);
	}
	struct sc_profile *p = make();
	p->duration = t;
	zone_fin_build(z, p, &env);
	zone_fin_free(z);
	assert_int_equal(p->nzone_stats, 1);
	assert_true(p->zone_stats[0].coarse);
	assert_true(p->zone_stats[0].nhist <= 3 * ZONE_HIST_SUB);
	struct zone_result *a, *b;
	assert_int_equal(zone_analyze(p, NULL, &a), 0);
	p->have_zone_stats = false;
	assert_int_equal(zone_analyze(p, NULL, &b), 0);
	assert_int_equal(a->zones[0].calls, n);
	assert_int_equal(a->zones[0].sum_ns, b->zones[0].sum_ns);
	assert_int_equal(a->zones[0].min_ns, 1000);
	assert_int_equal(a->zones[0].max_ns, 5999);
	uint64_t ex[3] = { b->zones[0].p50_ns, b->zones[0].p95_ns, b->zones[0].p99_ns };
	uint64_t got[3] = { a->zones[0].p50_ns, a->zones[0].p95_ns, a->zones[0].p99_ns };
	assert_int_equal(ex[0], 3499);
	for (int k = 0; k < 3; k++)
		assert_true(got[k] <= ex[k] && ex[k] - got[k] <= ex[k] / 256);
	zone_result_free(a);
	zone_result_free(b);
	profile_free(p);
}

/* zone_fin_calls (one loop over a run of ZBEGIN/ZEND0 records, the tick map
 * inlined) folds what zone_fin_decode does record by record: random nested
 * calls with recursion, an end whose begin is not open, 0-tick calls. */
static struct sc_profile *fold_calls(uint64_t seed, int fast)
{
	rnd_state = seed;
	struct zone_fin_env env = { NULL, fold_rel, fold_dur, NULL, 64, 1000, { 1, 0 } };
	struct zone_fin *z = NULL;
	static uint8_t buf[1 << 16];
	uint8_t *e = buf;
	uint64_t t = 1000, open[64];
	int depth = 0;
	for (int step = 0; step < 6000; step++) {
		uint64_t dt = rnd(4) ? rnd(300) : 0, id;
		int type;
		if (depth < 60 && (depth == 0 || rnd(2))) {
			type = RAW_ZBEGIN;
			id = open[depth++] = 1 + rnd(5);
		} else {
			type = RAW_ZEND0;
			id = rnd(50) ? open[--depth] : 9;   /* 9: never begun */
		}
		*e++ = (uint8_t)type;
		e = fmt_put_s(e, (int64_t)dt);
		e = fmt_put_u(e, id);
	}
	struct fmt_reader r = { buf, e, 0 };
	while (r.p < r.end) {
		uint8_t type = 0;
		int64_t dt = 0;
		assert_int_equal(raw_get_head(&r, &type, &dt), 0);
		t += (uint64_t)dt;
		if (fast) {
			uint64_t last = 0;
			assert_int_equal(zone_fin_calls(&z, &env, 0, type, &t, &last, &r), 0);
			assert_int_equal(last, t);
		} else {
			assert_int_equal(zone_fin_decode(&z, &env, 0, type, t, &r), 0);
		}
	}
	assert_ptr_equal(r.p, e);
	struct sc_profile *p = make();
	p->threads[0].end = p->threads[1].end = 0;
	p->duration = t;
	zone_fin_build(z, p, &env);
	zone_fin_free(z);
	return p;
}

static void test_fold_calls_fast(void **state)
{
	(void)state;
	for (uint64_t seed = 1; seed <= 5; seed++) {
		struct sc_profile *a = fold_calls(seed * 7919, 0), *b = fold_calls(seed * 7919, 1);
		assert_int_equal(a->nzone_stats, b->nzone_stats);
		assert_true(a->nzone_stats > 0);
		for (size_t i = 0; i < a->nzone_stats; i++) {
			const struct sc_zone_stat *x = &a->zone_stats[i], *y = &b->zone_stats[i];
			assert_int_equal(x->calls, y->calls);
			assert_int_equal(x->total_ns, y->total_ns);
			assert_int_equal(x->self_ns, y->self_ns);
			assert_int_equal(x->sum_ns, y->sum_ns);
			assert_int_equal(x->min_ns, y->min_ns);
			assert_int_equal(x->max_ns, y->max_ns);
			assert_int_equal(x->nhist, y->nhist);
			for (uint32_t k = 0; k < x->nhist; k++) {
				assert_int_equal(x->hist[k].value, y->hist[k].value);
				assert_int_equal(x->hist[k].count, y->hist[k].count);
			}
		}
		assert_int_equal(a->nzones, b->nzones);
		assert_true(a->nzones > 0);
		for (size_t i = 0; i < a->nzones; i++) {
			assert_int_equal(a->zones[i].start, b->zones[i].start);
			assert_int_equal(a->zones[i].end, b->zones[i].end);
			assert_int_equal(a->zones[i].depth, b->zones[i].depth);
			assert_int_equal(a->zones[i].dropped_ns, b->zones[i].dropped_ns);
		}
		profile_free(a);
		profile_free(b);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_self_nested),
		cmocka_unit_test(test_recursion),
		cmocka_unit_test(test_threads_overlap_dropped),
		cmocka_unit_test(test_allocs_and_drops),
		cmocka_unit_test(test_percentiles),
		cmocka_unit_test(test_marks_counters_errors),
		cmocka_unit_test(test_sort_filter),
		cmocka_unit_test(test_roundtrip),
		cmocka_unit_test(test_no_zones),
		cmocka_unit_test(test_fold_matches_spans),
		cmocka_unit_test(test_fold_coarse),
		cmocka_unit_test(test_fold_calls_fast),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
