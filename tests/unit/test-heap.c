/* Unit tests of the heap model (analysis/heap.c) and the heap report
 * (output/report-heap.c) on synthetic profiles whose truth is worked out by
 * hand: totals, calls, sites, peak holders, leaks, temporaries, lifetimes,
 * histogram, modules, timeline, filter, wrapper skipping, text and JSON.
 * SCORCH_TEST_DUMP=1 prints the fixture's text and JSON reports. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <cmocka.h>

#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../analysis/profile.h"
#include "../../lib/die.h"

#define FX_MAX 64

static struct sc_profile *fx_new(void)
{
	struct sc_profile *p = profile_new();
	p->modules = arena_alloc(&p->arena, FX_MAX * sizeof(*p->modules));
	p->locations = arena_alloc(&p->arena, FX_MAX * sizeof(*p->locations));
	p->stacks = arena_alloc(&p->arena, FX_MAX * sizeof(*p->stacks));
	p->threads = arena_alloc(&p->arena, FX_MAX * sizeof(*p->threads));
	p->nstacks = 1;   /* stacks[0] = empty */
	p->flags = PROF_HEAP;
	p->version = 1;
	return p;
}

static int32_t fx_module(struct sc_profile *p, const char *name, bool is_main, uint64_t bias)
{
	struct sc_module *m = &p->modules[p->nmodules];
	m->name = arena_strdup(&p->arena, name);
	m->path = arena_strdup(&p->arena, name);
	m->bias = bias;
	m->lo = bias;
	m->hi = bias + 0x100000;
	m->is_main = is_main;
	return (int32_t)p->nmodules++;
}

static uint32_t fx_thread(struct sc_profile *p, uint32_t tid, const char *name)
{
	p->threads[p->nthreads].tid = tid;
	p->threads[p->nthreads].name = arena_strdup(&p->arena, name);
	return (uint32_t)p->nthreads++;
}

/* A location with nlines (func, file, line) triples, innermost first; every
 * line but the last is marked inlined. nlines 0 = unsymbolized. */
static uint32_t fx_loc(struct sc_profile *p, uint64_t addr, int32_t module, uint32_t nlines, ...)
{
	struct sc_location *l = &p->locations[p->nlocations];
	l->addr = addr;
	l->module = module;
	l->nlines = nlines;
	l->lines = nlines ? arena_alloc(&p->arena, nlines * sizeof(*l->lines)) : NULL;
	va_list ap;
	va_start(ap, nlines);
	for (uint32_t i = 0; i < nlines; i++) {
		l->lines[i].func = arena_strdup(&p->arena, va_arg(ap, const char *));
		l->lines[i].file = arena_strdup(&p->arena, va_arg(ap, const char *));
		l->lines[i].line = va_arg(ap, unsigned);
		l->lines[i].inlined = i + 1 < nlines;
	}
	va_end(ap);
	return (uint32_t)p->nlocations++;
}

/* A stack of n location indexes, innermost first. */
static uint32_t fx_stack(struct sc_profile *p, uint32_t n, ...)
{
	struct sc_stack *s = &p->stacks[p->nstacks];
	s->nlocs = n;
	s->locs = arena_alloc(&p->arena, (n ? n : 1) * sizeof(*s->locs));
	va_list ap;
	va_start(ap, n);
	for (uint32_t i = 0; i < n; i++)
		s->locs[i] = va_arg(ap, unsigned);
	va_end(ap);
	return (uint32_t)p->nstacks++;
}

static size_t fx_events_cap;

static void fx_ev(struct sc_profile *p, uint64_t time, int kind, int func, uint64_t addr,
		  uint64_t size, uint32_t stack, uint16_t thread)
{
	if (p->nevents == fx_events_cap || !p->events) {
		fx_events_cap = p->nevents ? p->nevents * 2 : 4096;
		p->events = xrealloc(p->events, fx_events_cap * sizeof(*p->events));
	}
	struct sc_event *e = &p->events[p->nevents++];
	memset(e, 0, sizeof(*e));
	e->time = time;
	e->kind = (uint8_t)kind;
	e->func = (uint8_t)func;
	e->addr = addr;
	e->size = size;
	e->stack = stack;
	e->thread = thread;
}

#define FX_ALLOC(p, t, fn, addr, size, st, th) fx_ev(p, t, EV_ALLOC, fn, addr, size, st, th)
#define FX_FREE(p, t, fn, addr, th) fx_ev(p, t, EV_FREE, fn, addr, 0, 0, th)

/* Stack ids of the standard fixture. */
struct fx_ids {
	uint32_t s_a, s_b, s_c, s_c2, s_d, s_w, s_u;
	int32_t m_prog, m_foo, m_cxx;
};

/* The standard fixture. The truth, worked out by hand:
 *  phase 1  1000 x malloc(16) at make_small (a.c:12), each freed 100 ns later
 *  phase 2  3 x malloc(100) at make_leak (b.c:20, libfoo.so), never freed
 *  phase 3  operator new: 2 x 1000 via S_C and 1 x 500 via S_C2 at make_obj
 *           (c.cc:7): peak 2800 B in 6 blocks at t=400020; freed 2 ms later
 *  phase 4  realloc chain at grow (d.c:3): malloc 10, realloc -> 20 (moved),
 *           realloc -> 40 (in place), free: 3 blocks, 3 temporaries
 *  phase 5  two threads at work_item (w.c:9): 5 x 32 B, 3 temporaries
 *  phase 6  free(NULL), failed calloc, failed realloc, free of an unknown block
 *  phase 7  malloc(8) at an unsymbolized libfoo.so frame; malloc(0) at make_small */
static struct sc_profile *fx_standard(struct fx_ids *id)
{
	struct sc_profile *p = fx_new();
	p->pid = 4242;
	p->ppid = 1;
	p->exe = "/usr/local/bin/prog";
	p->cmdline = "prog --fast input.txt";
	p->host = "testhost";
	p->scorch_version = "0.1.0";
	p->start_wall = 1700000000ull * 1000000000ull;
	p->duration = 7000000;
	p->exit_kind = EXIT_NORMAL;
	p->exit_value = 0;
	p->depth = 64;
	fx_thread(p, 100, "prog");
	fx_thread(p, 101, "worker-1");
	fx_thread(p, 102, "worker-2");

	id->m_prog = fx_module(p, "prog", true, 0x400000);
	id->m_foo = fx_module(p, "libfoo.so", false, 0x7f0000000000);
	id->m_cxx = fx_module(p, "libstdc++.so.6", false, 0x7f1000000000);

	uint32_t l_main = fx_loc(p, 0x401000, id->m_prog, 1, "main", "main.c", 50);
	uint32_t l_a = fx_loc(p, 0x401100, id->m_prog, 1, "make_small", "a.c", 12);
	uint32_t l_b = fx_loc(p, 0x7f0000000100, id->m_foo, 1, "make_leak", "b.c", 20);
	uint32_t l_inl = fx_loc(p, 0x7f0000000200, id->m_foo, 2,
				"helper", "b.c", 30, "caller_b", "b.c", 40);
	uint32_t l_new = fx_loc(p, 0x7f1000000100, id->m_cxx, 1,
				"operator new(unsigned long)", "", 0);
	uint32_t l_c = fx_loc(p, 0x401200, id->m_prog, 1, "make_obj", "c.cc", 7);
	uint32_t l_d = fx_loc(p, 0x401300, id->m_prog, 1, "grow", "d.c", 3);
	uint32_t l_work = fx_loc(p, 0x401400, id->m_prog, 1, "work_item", "w.c", 9);
	uint32_t l_worker = fx_loc(p, 0x401500, id->m_prog, 1, "worker", "w.c", 20);
	uint32_t l_unk = fx_loc(p, 0x7f0000001234, id->m_foo, 1, "??", "", 0);   /* unsymbolized */

	id->s_a = fx_stack(p, 2, l_a, l_main);
	id->s_b = fx_stack(p, 3, l_b, l_inl, l_main);
	id->s_c = fx_stack(p, 3, l_new, l_c, l_main);
	id->s_c2 = fx_stack(p, 4, l_new, l_c, l_inl, l_main);
	id->s_d = fx_stack(p, 2, l_d, l_main);
	id->s_w = fx_stack(p, 2, l_work, l_worker);
	id->s_u = fx_stack(p, 2, l_unk, l_main);

	/* phase 1 */
	for (uint64_t i = 0; i < 1000; i++) {
		FX_ALLOC(p, 1000 + i * 200, FN_MALLOC, 0x10000, 16, id->s_a, 0);
		FX_FREE(p, 1000 + i * 200 + 100, FN_FREE, 0x10000, 0);
	}
	/* phase 2 */
	FX_ALLOC(p, 300000, FN_MALLOC, 0x20000, 100, id->s_b, 0);
	FX_ALLOC(p, 300001, FN_MALLOC, 0x20100, 100, id->s_b, 0);
	FX_ALLOC(p, 300002, FN_MALLOC, 0x20200, 100, id->s_b, 0);
	/* phase 3 */
	FX_ALLOC(p, 400000, FN_MALLOC, 0x30000, 1000, id->s_c, 0);
	FX_ALLOC(p, 400010, FN_MALLOC, 0x31000, 1000, id->s_c, 0);
	FX_ALLOC(p, 400020, FN_MALLOC, 0x32000, 500, id->s_c2, 0);
	FX_FREE(p, 2400000, FN_FREE, 0x30000, 0);
	FX_FREE(p, 2400010, FN_FREE, 0x31000, 0);
	FX_FREE(p, 2400020, FN_FREE, 0x32000, 0);
	/* phase 4 */
	FX_ALLOC(p, 3000000, FN_MALLOC, 0x40000, 10, id->s_d, 0);
	FX_FREE(p, 3000100, FN_REALLOC_MOVE, 0x40000, 0);
	FX_ALLOC(p, 3000100, FN_REALLOC, 0x41000, 20, id->s_d, 0);
	FX_FREE(p, 3000200, FN_REALLOC_MOVE, 0x41000, 0);
	FX_ALLOC(p, 3000200, FN_REALLOC, 0x41000, 40, id->s_d, 0);
	FX_FREE(p, 3000300, FN_FREE, 0x41000, 0);
	/* phase 5 */
	FX_ALLOC(p, 4000000, FN_MALLOC, 0x50000, 32, id->s_w, 1);
	FX_ALLOC(p, 4000010, FN_MALLOC, 0x51000, 32, id->s_w, 2);
	FX_FREE(p, 4000020, FN_FREE, 0x50000, 1);       /* temporary on thread 1 */
	FX_FREE(p, 4000030, FN_FREE, 0x51000, 2);       /* temporary on thread 2 */
	FX_ALLOC(p, 4000040, FN_MALLOC, 0x52000, 32, id->s_w, 1);   /* P */
	FX_ALLOC(p, 4000050, FN_MALLOC, 0x53000, 32, id->s_w, 1);   /* Q */
	FX_FREE(p, 4000060, FN_FREE, 0x52000, 1);       /* P: not temporary */
	FX_FREE(p, 4000070, FN_FREE, 0x53000, 1);       /* Q: temporary */
	FX_ALLOC(p, 4000080, FN_MALLOC, 0x54000, 32, id->s_w, 1);   /* Z */
	FX_FREE(p, 4000090, FN_FREE, 0x54000, 2);       /* other thread: not temporary */
	/* phase 6 */
	FX_FREE(p, 5000000, FN_FREE, 0, 0);
	FX_ALLOC(p, 5000010, FN_CALLOC, 0, 1ull << 40, id->s_a, 0);
	FX_ALLOC(p, 5000020, FN_REALLOC, 0, 1ull << 50, id->s_d, 0);
	FX_FREE(p, 5000030, FN_FREE, 0xdead0, 0);
	/* phase 7 */
	FX_ALLOC(p, 6000000, FN_MALLOC, 0x60000, 8, id->s_u, 0);
	FX_FREE(p, 6000050, FN_FREE, 0x60000, 0);
	FX_ALLOC(p, 6100000, FN_MALLOC, 0x61000, 0, id->s_a, 0);
	FX_FREE(p, 6100010, FN_FREE, 0x61000, 0);
	return p;
}


#include <errno.h>

#include "../../analysis/heap.h"
#include "../../output/report-heap.h"

struct ctx {
	struct fx_ids id;
	struct sc_profile *p;
	struct heap_result *r;
};

static int setup(void **state)
{
	struct ctx *c = xcalloc(1, sizeof(*c));
	c->p = fx_standard(&c->id);
	if (heap_analyze(c->p, NULL, &c->r))
		return -1;
	*state = c;
	return 0;
}

static int teardown(void **state)
{
	struct ctx *c = *state;
	heap_result_free(c->r);
	profile_free(c->p);
	free(c);
	return 0;
}

/* The site whose function is func, or NULL. */
static const struct heap_site *site_named(const struct heap_result *r, const char *func)
{
	for (size_t i = 0; i < r->nsites; i++)
		if (!strcmp(r->sites[i].func, func))
			return &r->sites[i];
	return NULL;
}

static void test_totals(void **state)
{
	struct ctx *c = *state;
	const struct heap_totals *t = &c->r->t;
	assert_int_equal(t->allocations, 1016);
	assert_int_equal(t->failed, 2);
	assert_int_equal(t->calls, 2031);
	assert_int_equal(t->frees, 1013);
	assert_int_equal(t->free_null, 1);
	assert_int_equal(t->unmatched_frees, 1);
	assert_int_equal(t->bytes, 19038);
	assert_int_equal(t->peak_bytes, 2800);
	assert_int_equal(t->peak_blocks, 6);
	assert_int_equal(t->peak_time, 400020);
	assert_int_equal(c->p->events[t->peak_event].time, 400020);
	assert_int_equal(t->leaked_bytes, 300);
	assert_int_equal(t->leaked_blocks, 3);
	assert_int_equal(t->temporary, 1009);
	assert_int_equal(t->short_lived, 1010);
	assert_int_equal(t->freed_lifetime_sum, 6100450);
	assert_int_equal(t->mean_lifetime, 6100450 / 1013);
	assert_int_equal(t->end_time, 7000000);
	assert_int_equal(c->r->short_lived_ns, HEAP_SHORT_LIVED_DEFAULT);
	assert_false(c->r->filtered);
	assert_int_equal(c->r->filtered_allocations, 1016);
	assert_int_equal(c->r->filtered_bytes, 19038);
}

static void test_calls(void **state)
{
	struct ctx *c = *state;
	const struct heap_result *r = c->r;
	assert_int_equal(r->calls[FN_MALLOC], 1014);
	assert_int_equal(r->calls[FN_CALLOC], 1);
	assert_int_equal(r->failed[FN_CALLOC], 1);
	assert_int_equal(r->calls[FN_REALLOC], 3);
	assert_int_equal(r->failed[FN_REALLOC], 1);
	assert_int_equal(r->calls[FN_FREE], 1013);
	assert_int_equal(r->calls[FN_REALLOC_MOVE], 0);
	assert_int_equal(r->failed[FN_MALLOC], 0);
	uint64_t sum = 0;
	for (int f = 0; f < FN__COUNT; f++)
		sum += r->calls[f];
	assert_int_equal(sum, r->t.calls);
}

static void test_sites(void **state)
{
	struct ctx *c = *state;
	const struct heap_result *r = c->r;
	const struct heap_site *a = site_named(r, "make_small");
	assert_non_null(a);
	assert_string_equal(a->file, "a.c");
	assert_int_equal(a->line, 12);
	assert_int_equal(a->module, c->id.m_prog);
	assert_int_equal(a->allocations, 1001);
	assert_int_equal(a->bytes, 16000);
	assert_int_equal(a->temporary, 1001);
	assert_int_equal(a->short_lived, 1001);
	assert_int_equal(a->freed, 1001);
	assert_int_equal(a->lifetime_sum, 100010);
	assert_int_equal(a->mean_lifetime, 99);
	assert_int_equal(a->max_live, 16);
	assert_int_equal(a->peak_bytes, 0);
	assert_int_equal(a->leaked_bytes, 0);
	assert_int_equal(a->stack, c->id.s_a);

	const struct heap_site *b = site_named(r, "make_leak");
	assert_non_null(b);
	assert_int_equal(b->module, c->id.m_foo);
	assert_int_equal(b->allocations, 3);
	assert_int_equal(b->bytes, 300);
	assert_int_equal(b->leaked_bytes, 300);
	assert_int_equal(b->leaked_blocks, 3);
	assert_int_equal(b->peak_bytes, 300);
	assert_int_equal(b->peak_blocks, 3);
	assert_int_equal(b->max_live, 300);
	assert_int_equal(b->freed, 0);
	assert_int_equal(b->temporary, 0);

	/* operator new is skipped: the site is its caller */
	assert_null(site_named(r, "operator new(unsigned long)"));
	const struct heap_site *o = site_named(r, "make_obj");
	assert_non_null(o);
	assert_string_equal(o->file, "c.cc");
	assert_int_equal(o->line, 7);
	assert_int_equal(o->allocations, 3);
	assert_int_equal(o->bytes, 2500);
	assert_int_equal(o->peak_bytes, 2500);
	assert_int_equal(o->peak_blocks, 3);
	assert_int_equal(o->max_live, 2500);
	assert_int_equal(o->temporary, 1);
	assert_int_equal(o->short_lived, 0);
	assert_int_equal(o->mean_lifetime, 2000000);
	assert_int_equal(o->stack, c->id.s_c);   /* 2000 B beats S_C2's 500 B */

	const struct heap_site *d = site_named(r, "grow");
	assert_non_null(d);
	assert_int_equal(d->allocations, 3);
	assert_int_equal(d->bytes, 70);
	assert_int_equal(d->temporary, 3);
	assert_int_equal(d->short_lived, 3);
	assert_int_equal(d->freed, 3);
	assert_int_equal(d->max_live, 40);
	assert_int_equal(d->leaked_blocks, 0);

	const struct heap_site *w = site_named(r, "work_item");
	assert_non_null(w);
	assert_int_equal(w->allocations, 5);
	assert_int_equal(w->bytes, 160);
	assert_int_equal(w->temporary, 3);
	assert_int_equal(w->short_lived, 5);
	assert_int_equal(w->lifetime_sum, 90);
	assert_int_equal(w->max_live, 64);

	const struct heap_site *u = site_named(r, "[libfoo.so+0x1234]");
	assert_non_null(u);
	assert_int_equal(u->module, c->id.m_foo);
	assert_string_equal(u->file, "");
	assert_int_equal(u->allocations, 1);
	assert_int_equal(u->bytes, 8);
	assert_int_equal(u->temporary, 1);

	/* every site with allocations is one of these six */
	uint32_t idx[64];
	assert_int_equal(heap_sites_sorted(r, HEAP_SORT_BYTES, idx), 6);
}

static void test_stacks(void **state)
{
	struct ctx *c = *state;
	const struct heap_stack_stat *s = c->r->stacks;
	assert_int_equal(s[c->id.s_c].peak_bytes, 2000);
	assert_int_equal(s[c->id.s_c2].peak_bytes, 500);
	assert_int_equal(s[c->id.s_b].peak_bytes, 300);
	assert_int_equal(s[c->id.s_a].peak_bytes, 0);
	assert_int_equal(s[c->id.s_b].leaked_bytes, 300);
	assert_int_equal(s[c->id.s_b].leaked_blocks, 3);
	assert_int_equal(s[c->id.s_a].allocations, 1001);
	assert_int_equal(s[c->id.s_a].bytes, 16000);
	assert_int_equal(s[c->id.s_c].allocations, 2);
	assert_int_equal(s[c->id.s_c2].allocations, 1);
	assert_int_equal(s[c->id.s_w].temporary, 3);
	assert_int_equal(s[0].allocations, 0);
	assert_int_equal(c->r->stacks[c->id.s_c].site, c->r->stacks[c->id.s_c2].site);
}

static void test_leaks(void **state)
{
	struct ctx *c = *state;
	const struct heap_result *r = c->r;
	assert_int_equal(r->nleaks, 1);
	assert_int_equal(r->leaks[0].stack, c->id.s_b);
	assert_int_equal(r->leaks[0].bytes, 300);
	assert_int_equal(r->leaks[0].blocks, 3);
	assert_string_equal(r->sites[r->leaks[0].site].func, "make_leak");
}

static void test_histogram(void **state)
{
	struct ctx *c = *state;
	const struct heap_bucket *h = c->r->hist;
	static const struct { int k; uint64_t lo, hi, count, bytes; } want[] = {
		{ 0, 0, 0, 1, 0 }, { 4, 8, 15, 2, 18 }, { 5, 16, 31, 1001, 16020 },
		{ 6, 32, 63, 6, 200 }, { 7, 64, 127, 3, 300 }, { 9, 256, 511, 1, 500 },
		{ 10, 512, 1023, 2, 2000 },
	};
	uint64_t n = 0;
	for (size_t i = 0; i < sizeof(want) / sizeof(*want); i++) {
		const struct heap_bucket *b = &h[want[i].k];
		assert_int_equal(b->lo, want[i].lo);
		assert_int_equal(b->hi, want[i].hi);
		assert_int_equal(b->count, want[i].count);
		assert_int_equal(b->bytes, want[i].bytes);
	}
	for (int k = 0; k < HEAP_NBUCKETS; k++)
		n += h[k].count;
	assert_int_equal(n, 1016);
	assert_int_equal(h[1].lo, 1);
	assert_int_equal(h[1].hi, 1);
	assert_int_equal(h[2].lo, 2);
	assert_int_equal(h[2].hi, 3);
	assert_int_equal(h[64].hi, UINT64_MAX);
}

static void test_modules(void **state)
{
	struct ctx *c = *state;
	const struct heap_result *r = c->r;
	assert_int_equal(r->nmodules, 2);
	assert_string_equal(r->modules[0].name, "prog");
	assert_true(r->modules[0].is_main);
	assert_int_equal(r->modules[0].allocations, 1012);
	assert_int_equal(r->modules[0].bytes, 18730);
	assert_int_equal(r->modules[0].leaked_bytes, 0);
	assert_string_equal(r->modules[1].name, "libfoo.so");
	assert_int_equal(r->modules[1].allocations, 4);
	assert_int_equal(r->modules[1].bytes, 308);
	assert_int_equal(r->modules[1].leaked_bytes, 300);
	assert_int_equal(r->modules[1].leaked_blocks, 3);
}

static void test_timeline(void **state)
{
	struct ctx *c = *state;
	const struct heap_result *r = c->r;
	assert_true(r->ntimeline >= 3);
	assert_true(r->ntimeline <= 2 * HEAP_TIMELINE_DEFAULT + 4);
	assert_int_equal(r->timeline[0].time, 0);
	assert_int_equal(r->timeline[0].bytes, 0);
	bool peak = false;
	uint64_t max = 0;
	for (size_t i = 0; i < r->ntimeline; i++) {
		if (i)
			assert_true(r->timeline[i].time >= r->timeline[i - 1].time);
		if (r->timeline[i].bytes > max)
			max = r->timeline[i].bytes;
		peak |= r->timeline[i].time == 400020 && r->timeline[i].bytes == 2800;
	}
	assert_true(peak);
	assert_int_equal(max, 2800);
	assert_int_equal(r->timeline[r->ntimeline - 1].time, 7000000);
	assert_int_equal(r->timeline[r->ntimeline - 1].bytes, 300);

	/* 4 buckets of 1,750,001 ns: each keeps its max and its last value */
	struct heap_result *r4;
	struct heap_options o = { .timeline_points = 4 };
	assert_int_equal(heap_analyze(c->p, &o, &r4), 0);
	static const struct heap_point want[] = {
		{ 0, 0 },
		{ 400020, 2800 },                       /* bucket 0: max = last */
		{ 2400000, 1800 }, { 3000300, 300 },    /* bucket 1: phase 3 frees, phase 4 */
		{ 4000010, 364 }, { 4000090, 300 },     /* bucket 2: threads */
		{ 6000000, 308 }, { 6100010, 300 },     /* bucket 3 */
		{ 7000000, 300 },                       /* the end */
	};
	assert_int_equal(r4->ntimeline, sizeof(want) / sizeof(*want));
	for (size_t i = 0; i < r4->ntimeline; i++) {
		assert_int_equal(r4->timeline[i].time, want[i].time);
		assert_int_equal(r4->timeline[i].bytes, want[i].bytes);
	}
	heap_result_free(r4);
}

static void test_filter(void **state)
{
	struct ctx *c = *state;
	struct heap_result *r;
	struct heap_options o = { .filter = "work_item|worker" };
	assert_int_equal(heap_analyze(c->p, &o, &r), 0);
	assert_true(r->filtered);
	/* totals stay global */
	assert_int_equal(r->t.allocations, 1016);
	assert_int_equal(r->t.peak_bytes, 2800);
	assert_int_equal(r->t.leaked_bytes, 300);
	assert_int_equal(r->filtered_allocations, 5);
	assert_int_equal(r->filtered_bytes, 160);
	uint32_t idx[64];
	size_t n = heap_sites_sorted(r, HEAP_SORT_BYTES, idx);
	assert_int_equal(n, 1);
	assert_string_equal(r->sites[idx[0]].func, "work_item");
	assert_int_equal(r->nleaks, 0);
	assert_int_equal(r->hist[6].count, 5);
	assert_int_equal(r->hist[5].count, 0);
	assert_int_equal(r->nmodules, 1);
	assert_int_equal(r->stacks[c->id.s_a].bytes, 0);
	assert_int_equal(r->stacks[c->id.s_a].site, UINT32_MAX);
	heap_result_free(r);

	/* module names match too: libfoo.so holds make_leak, helper and the unknown frame */
	o.filter = "^libfoo";
	assert_int_equal(heap_analyze(c->p, &o, &r), 0);
	n = heap_sites_sorted(r, HEAP_SORT_BYTES, idx);
	assert_int_equal(n, 3);   /* make_obj via S_C2 (inlined helper), make_leak, [libfoo.so+0x1234] */
	assert_string_equal(r->sites[idx[0]].func, "make_obj");
	assert_int_equal(r->sites[idx[0]].bytes, 500);
	assert_int_equal(r->sites[idx[0]].peak_bytes, 500);
	assert_int_equal(r->sites[idx[0]].stack, c->id.s_c2);
	assert_string_equal(r->sites[idx[1]].func, "make_leak");
	assert_string_equal(r->sites[idx[2]].func, "[libfoo.so+0x1234]");
	assert_int_equal(r->nleaks, 1);
	heap_result_free(r);

	/* matches nothing */
	o.filter = "no_such_function";
	assert_int_equal(heap_analyze(c->p, &o, &r), 0);
	assert_int_equal(heap_sites_sorted(r, HEAP_SORT_BYTES, idx), 0);
	assert_int_equal(r->nmodules, 0);
	assert_int_equal(r->t.calls, 2031);
	heap_result_free(r);

	/* a broken regex is an error, with a message from heap_filter_check */
	o.filter = "(unclosed";
	r = (void *)1;
	assert_int_equal(heap_analyze(c->p, &o, &r), -EINVAL);
	assert_null(r);
	char err[128] = "";
	assert_int_equal(heap_filter_check("(unclosed", err, sizeof(err)), -EINVAL);
	assert_true(err[0] != 0);
	assert_int_equal(heap_filter_check("a|b", err, sizeof(err)), 0);
}

static void test_sorting(void **state)
{
	struct ctx *c = *state;
	const struct heap_result *r = c->r;
	uint32_t idx[64];
	static const char *const by_count[] = {
		"make_small", "work_item", "make_obj", "make_leak", "grow", "[libfoo.so+0x1234]" };
	size_t n = heap_sites_sorted(r, HEAP_SORT_COUNT, idx);
	assert_int_equal(n, 6);
	for (size_t i = 0; i < n; i++)
		assert_string_equal(r->sites[idx[i]].func, by_count[i]);
	static const char *const by_bytes[] = {
		"make_small", "make_obj", "make_leak", "work_item", "grow", "[libfoo.so+0x1234]" };
	n = heap_sites_sorted(r, HEAP_SORT_BYTES, idx);
	for (size_t i = 0; i < n; i++)
		assert_string_equal(r->sites[idx[i]].func, by_bytes[i]);
	n = heap_sites_sorted(r, HEAP_SORT_LEAKED, idx);
	assert_int_equal(n, 1);
	assert_string_equal(r->sites[idx[0]].func, "make_leak");
	n = heap_sites_sorted(r, HEAP_SORT_PEAK, idx);
	assert_int_equal(n, 2);
	assert_string_equal(r->sites[idx[0]].func, "make_obj");
	assert_string_equal(r->sites[idx[1]].func, "make_leak");
	static const char *const by_temp[] = {
		"make_small", "work_item", "grow", "make_obj", "[libfoo.so+0x1234]" };
	n = heap_sites_sorted(r, HEAP_SORT_TEMPORARY, idx);
	assert_int_equal(n, 5);
	for (size_t i = 0; i < n; i++)
		assert_string_equal(r->sites[idx[i]].func, by_temp[i]);
	assert_int_equal(heap_sort_parse("count"), HEAP_SORT_COUNT);
	assert_int_equal(heap_sort_parse("temporary"), HEAP_SORT_TEMPORARY);
	assert_int_equal(heap_sort_parse("bogus"), -1);
	assert_string_equal(heap_sort_name(HEAP_SORT_PEAK), "peak");
}

static void test_short_lived_option(void **state)
{
	struct ctx *c = *state;
	struct heap_result *r;
	struct heap_options o = { .short_lived_ns = 50 };
	assert_int_equal(heap_analyze(c->p, &o, &r), 0);
	/* < 50 ns: malloc(0) (10 ns) and the five work items (10-20 ns) */
	assert_int_equal(r->t.short_lived, 6);
	assert_int_equal(r->short_lived_ns, 50);
	assert_int_equal(site_named(r, "work_item")->short_lived, 5);
	assert_int_equal(site_named(r, "make_small")->short_lived, 1);
	heap_result_free(r);
}

static void test_wrappers(void **state)
{
	(void)state;
	static const char *const yes[] = {
		"operator new(unsigned long)", "operator new[](unsigned long)",
		"operator new(unsigned long, std::nothrow_t const&)",
		"operator new(unsigned long, std::align_val_t)",
		"operator new[](unsigned long, std::align_val_t, std::nothrow_t const&)",
		"__rust_alloc", "__rust_alloc_zeroed", "__rust_realloc", "__rdl_alloc",
		"__rdl_realloc", "alloc::alloc::alloc", "alloc::alloc::exchange_malloc",
		"<alloc::alloc::Global as core::alloc::Allocator>::allocate",
		"std::allocator<int>::allocate(unsigned long)",
		"std::__new_allocator<char>::allocate(unsigned long, void const*)",
		"__gnu_cxx::new_allocator<int>::allocate",
		"std::allocator_traits<std::allocator<int> >::allocate(std::allocator<int>&, unsigned long)",
		"g_malloc", "g_malloc0", "g_try_realloc", "malloc", "calloc", "strdup",
	};
	static const char *const no[] = {
		"main", "make_obj", "operator delete(void*)", "std::vector<int>::push_back(int const&)",
		"std::allocator<int>::deallocate(int*, unsigned long)",
		"std::allocator<int>::allocate_at_least(unsigned long)", "my_malloc_pool",
		"g_main_loop_run", "??", "", NULL, "alloc_thing",
	};
	for (size_t i = 0; i < sizeof(yes) / sizeof(*yes); i++)
		if (!heap_is_wrapper(yes[i]))
			fail_msg("not a wrapper: %s", yes[i]);
	for (size_t i = 0; i < sizeof(no) / sizeof(*no); i++)
		if (heap_is_wrapper(no[i]))
			fail_msg("wrapper: %s", no[i]);
}

/* Wrapper frames inside inlined lines, stacks made only of wrappers, frames
 * of the runtime itself, and the empty stack. */
static void test_site_edge_cases(void **state)
{
	(void)state;
	struct sc_profile *p = fx_new();
	int32_t m = fx_module(p, "prog", true, 0);
	int32_t rt = fx_module(p, "libscorch.so", false, 0x7f0000000000);
	int32_t cxx = fx_module(p, "libstdc++.so.6", false, 0x7f1000000000);
	uint32_t l_main = fx_loc(p, 0x1000, m, 1, "main", "m.c", 1);
	/* std::vector growth inlined into push: the allocate frame is inline */
	uint32_t l_vec = fx_loc(p, 0x1100, m, 3,
				"std::__new_allocator<int>::allocate(unsigned long, void const*)", "new_allocator.h", 137,
				"std::allocator_traits<std::allocator<int> >::allocate(std::allocator<int>&, unsigned long)", "alloc_traits.h", 464,
				"push", "v.cc", 5);
	uint32_t l_new = fx_loc(p, 0x7f1000000100, cxx, 1, "operator new(unsigned long)", "", 0);
	uint32_t l_rt = fx_loc(p, 0x7f0000000100, rt, 1, "scorch_rt_hook", "hook.c", 9);
	uint32_t l_gnew = fx_loc(p, 0x7f1000000200, cxx, 1, "operator new[](unsigned long)", "", 0);
	uint32_t s_vec = fx_stack(p, 4, l_rt, l_new, l_vec, l_main);
	uint32_t s_allwrap = fx_stack(p, 2, l_new, l_gnew);
	FX_ALLOC(p, 10, FN_MALLOC, 0x100, 4, s_vec, 0);
	FX_ALLOC(p, 20, FN_MALLOC, 0x200, 8, s_allwrap, 0);
	FX_ALLOC(p, 30, FN_MALLOC, 0x300, 16, 0, 0);
	/* a block allocated again at a live address: the old one counts as freed */
	FX_ALLOC(p, 40, FN_MALLOC, 0x100, 32, s_vec, 0);
	p->duration = 50;

	struct heap_result *r;
	assert_int_equal(heap_analyze(p, NULL, &r), 0);
	const struct heap_site *s = site_named(r, "push");
	assert_non_null(s);
	assert_string_equal(s->file, "v.cc");
	assert_int_equal(s->line, 5);
	assert_int_equal(s->loc, l_vec);
	assert_int_equal(s->loc_line, 2);
	assert_int_equal(s->allocations, 2);
	assert_int_equal(s->bytes, 36);
	assert_int_equal(s->freed, 1);
	assert_int_equal(s->lifetime_sum, 30);
	assert_int_equal(s->leaked_bytes, 32);
	s = site_named(r, "operator new[](unsigned long)");   /* outermost of an all-wrapper stack */
	assert_non_null(s);
	assert_int_equal(s->bytes, 8);
	s = site_named(r, "[no stack]");
	assert_non_null(s);
	assert_int_equal(s->bytes, 16);
	assert_int_equal(s->loc, UINT32_MAX);
	assert_int_equal(s->module, -1);
	assert_int_equal(r->t.frees, 1);
	assert_int_equal(r->t.temporary, 0);
	assert_int_equal(r->t.leaked_bytes, 56);
	assert_int_equal(r->t.peak_bytes, 56);
	assert_int_equal(r->t.peak_time, 40);
	assert_int_equal(r->nmodules, 3);
	assert_string_equal(r->modules[0].name, "prog");
	assert_string_equal(r->modules[1].name, "[unknown]");   /* 16 B */
	assert_string_equal(r->modules[2].name, "libstdc++.so.6");   /* 8 B */

	struct strbuf sb = STRBUF_INIT;
	struct report_options ro = { .limit = 10 };
	report_heap_text(&sb, r, &ro);
	/* short names by default, the whole ones with --names=full */
	assert_non_null(strstr(sb.buf, " std::__new_allocator::allocate at new_allocator.h:137 (prog) [inlined]"));
	assert_null(strstr(sb.buf, "std::__new_allocator<int>::allocate(unsigned long"));
	assert_non_null(strstr(sb.buf, "(no stack recorded)"));
	sb_reset(&sb);
	ro.full_names = true;
	report_heap_text(&sb, r, &ro);
	assert_non_null(strstr(sb.buf, "std::__new_allocator<int>::allocate(unsigned long, void const*) at new_allocator.h:137 (prog) [inlined]"));
	sb_release(&sb);
	heap_result_free(r);
	profile_free(p);
}

static void test_empty(void **state)
{
	(void)state;
	struct sc_profile *p = fx_new();
	p->flags = 0;
	struct heap_result *r;
	assert_int_equal(heap_analyze(p, NULL, &r), 0);
	assert_int_equal(r->t.allocations, 0);
	assert_int_equal(r->t.peak_event, HEAP_NO_EVENT);
	assert_int_equal(r->nsites, 1);   /* the empty stack's "[no stack]", with nothing in it */
	assert_int_equal(r->nleaks, 0);
	assert_int_equal(r->nmodules, 0);
	struct strbuf sb = STRBUF_INIT;
	struct report_options ro = { .limit = 10 };
	report_heap_text(&sb, r, &ro);
	assert_non_null(strstr(sb.buf, "no heap events recorded (record with `scorch heap -- PROGRAM`)"));
	sb_reset(&sb);
	report_heap_json(&sb, r, &ro);
	assert_non_null(strstr(sb.buf, "\"sites\": []"));
	sb_release(&sb);
	heap_result_free(r);
	profile_free(p);
}

static void test_report_text(void **state)
{
	struct ctx *c = *state;
	struct strbuf sb = STRBUF_INIT;
	struct report_options o = { .sort = HEAP_SORT_BYTES, .limit = 10, .file = "prog.4242.scorch" };
	report_heap_text(&sb, c->r, &o);
	const char *s = sb_str(&sb);
	if (getenv("SCORCH_TEST_DUMP"))
		fputs(s, stdout);
	assert_null(strchr(s, '\033'));
	static const char *const want[] = {
		"scorch heap report: /usr/local/bin/prog (pid 4242)\n",
		"  file      prog.4242.scorch\n",
		"  command   prog --fast input.txt\n",
		"  recorded  2023-11-14 22:13:20 UTC on testhost, scorch 0.1.0\n",
		"  duration  7.00 ms, exited with status 0\n",
		"  calls         2,031 to the malloc family (2 failed)\n",
		"  allocations   1,016 blocks, 18.6 KiB in total, mean 18 B\n",
		"  frees         1,013 blocks (+1 free(NULL), 1 of unknown blocks)\n",
		"  peak heap     2.73 KiB in 6 blocks at 400 us\n",
		"  leaked        300 B in 3 blocks\n",
		"  temporary     1,009 (99.3% of allocations)",
		"  short-lived   1,010 (99.7% of frees) lived less than 1.00 ms; mean lifetime 6.02 us\n",
		"  malloc                    1,014\n",
		"  calloc                        1  (1 failed)\n",
		"  realloc                       3  (1 failed)\n",
		"Peak heap: 2.73 KiB at 400 us, held by\n",
		"    2.44 KiB        3   89.3%  make_obj at c.cc:7 (prog)\n",
		"       300 B        3   10.7%  make_leak at b.c:20 (libfoo.so)\n",
		"Top allocation sites by bytes\n",
		"    1      1,001   15.6 KiB        0 B        0 B    1,001    1,001      99 ns  make_small at a.c:12 (prog)\n",
		"        called from main\n",
		"        called from helper <- caller_b <- main\n",
		"    6          1        8 B        0 B        0 B        1        1      50 ns  [libfoo.so+0x1234]\n",
		"Leaks at exit: 300 B in 3 blocks from 1 stack\n",
		"  300 B in 3 blocks allocated at make_leak at b.c:20 (libfoo.so)\n",
		"      #0  make_leak at b.c:20 (libfoo.so)\n"
		"      #1  helper at b.c:30 (libfoo.so) [inlined]\n"
		"      #2  caller_b at b.c:40 (libfoo.so)\n"
		"      #3  main at main.c:50 (prog)\n",
		"Temporary allocations: 1,009 of 1,016 (99.3%)\n",
		"Short-lived allocations (< 1.00 ms): 1,010 of 1,013 freed (99.7%)\n",
		"  0 B                       1    0.1%        0 B  ",
		"  16-31 B               1,001   98.5%   15.6 KiB  ██████████████████████████████\n",
		"  512-1023 B                2    0.2%   1.95 KiB  ▏\n",
		"  prog (executable)         1,012   99.6%   18.3 KiB   98.4%        0 B\n",
		"  libfoo.so                     4    0.4%      308 B    1.6%      300 B\n",
		"Memory over time\n",
	};
	for (size_t i = 0; i < sizeof(want) / sizeof(*want); i++)
		if (!strstr(s, want[i]))
			fail_msg("missing from the report: [%s]\n%s", want[i], s);
	assert_null(strstr(s, "warning:"));
	assert_null(strstr(s, "filter"));

	/* limit and sort */
	sb_reset(&sb);
	o.limit = 2;
	o.sort = HEAP_SORT_COUNT;
	report_heap_text(&sb, c->r, &o);
	assert_non_null(strstr(sb.buf, "Top allocation sites by count (top 2 of 6)\n"));
	assert_non_null(strstr(sb.buf, "\n    2 "));
	assert_null(strstr(sb.buf, "\n    3 "));

	/* colors, ascii bars, warnings, filter line */
	sb_reset(&sb);
	o.color = true;
	o.ascii = true;
	o.filter = "make_.*";
	c->p->flags |= PROF_INCOMPLETE | PROF_TRUNCATED;
	c->p->lost_chunks = 3;
	c->p->lost_bytes = 3 << 20;
	struct heap_result *r;
	struct heap_options ho = { .filter = "make_.*" };
	assert_int_equal(heap_analyze(c->p, &ho, &r), 0);
	report_heap_text(&sb, r, &o);
	s = sb_str(&sb);
	if (getenv("SCORCH_TEST_DUMP"))
		fputs(s, stdout);
	assert_non_null(strchr(s, '\033'));
	assert_non_null(strstr(s, "warning: INCOMPLETE profile:"));
	assert_non_null(strstr(s, "3 chunks (3.00 MiB) of events were lost"));
	assert_non_null(strstr(s, "'make_.*'"));
	assert_non_null(strstr(s, "Live when the program died"));
	assert_non_null(strstr(s, "##############################"));
	assert_null(strstr(s, "█"));
	heap_result_free(r);
	c->p->flags &= ~(PROF_INCOMPLETE | PROF_TRUNCATED);
	c->p->lost_chunks = c->p->lost_bytes = 0;
	sb_release(&sb);
}

static void test_report_json(void **state)
{
	struct ctx *c = *state;
	struct report_json_doc d;
	struct strbuf sb = STRBUF_INIT;
	report_json_init(&d, NULL, &sb);
	struct report_options o = { .sort = HEAP_SORT_BYTES, .limit = 3, .file = "prog.4242.scorch" };
	report_json_add(&d, c->r, &o, NULL, NULL);
	report_json_add_error(&d, "bad.scorch", "bad.scorch: not a scorch profile");
	assert_int_equal(report_json_finish(&d), 0);
	const char *s = sb_str(&sb);
	if (getenv("SCORCH_TEST_DUMP"))
		fputs(s, stdout);
	static const char *const want[] = {
		"{\n  \"schema_version\": 2,\n  \"generator\": \"scorch ",
		"\"profiles\": [\n    {\n      \"file\": \"prog.4242.scorch\",\n",
		"\"exit\": {\"kind\": \"normal\", \"value\": 0}",
		"\"argv\": []",
		"\"options\": {\"sort\": \"bytes\", \"limit\": 3, \"filter\": null, \"short_lived_ns\": 1000000}",
		"\"allocations\": 1016,", "\"bytes\": 19038,", "\"peak_bytes\": 2800,",
		"\"peak_time_ns\": 400020,", "\"leaked_bytes\": 300,", "\"temporary\": 1009,",
		"{\"function\": \"calloc\", \"calls\": 1, \"failed\": 1}",
		"\"sites_total\": 6,",
		"\"function\": \"make_small\", \"function_short\": \"make_small\",",
		"{\"function\": \"main\", \"function_short\": \"main\", \"file\": \"main.c\", \"line\": 50, \"module\": \"prog\", \"address\": \"0x401000\", \"inlined\": false}",
		"{\"function\": \"helper\", \"function_short\": \"helper\", \"file\": \"b.c\", \"line\": 30, \"module\": \"libfoo.so\", \"address\": \"0x7f0000000200\", \"inlined\": true}",
		"{\"function\": \"make_obj\", \"function_short\": \"make_obj\", \"file\": \"c.cc\", \"line\": 7, \"module\": \"prog\", \"bytes\": 2500, \"blocks\": 3}",
		"\"stacks_total\": 1,",
		"{\"min\": 16, \"max\": 31, \"count\": 1001, \"bytes\": 16020}",
		"{\"name\": \"libfoo.so\", \"path\": \"libfoo.so\", \"main\": false, \"allocations\": 4, \"bytes\": 308, \"leaked_bytes\": 300, \"leaked_blocks\": 3}",
		"\"heap\": [[0, 0], ",
		"[400020, 2800]",
		"\"rss\": []",
		"\"errors\": [\n    {\"file\": \"bad.scorch\", \"message\": \"bad.scorch: not a scorch profile\"}\n  ]\n}\n",
	};
	for (size_t i = 0; i < sizeof(want) / sizeof(*want); i++)
		if (!strstr(s, want[i]))
			fail_msg("missing from the JSON: [%s]\n%s", want[i], s);
	/* limit 3: ranks 1..3 only */
	assert_non_null(strstr(s, "\"rank\": 3,"));
	assert_null(strstr(s, "\"rank\": 4,"));
	/* balanced braces and brackets outside strings */
	int depth = 0;
	bool str = false;
	for (const char *q = s; *q; q++) {
		if (str) {
			if (*q == '\\')
				q++;
			else if (*q == '"')
				str = false;
			continue;
		}
		if (*q == '"')
			str = true;
		else if (*q == '{' || *q == '[')
			depth++;
		else if (*q == '}' || *q == ']')
			assert_true(--depth >= 0);
	}
	assert_int_equal(depth, 0);
	if (getenv("SCORCH_TEST_JSON_OUT")) {
		FILE *f = fopen(getenv("SCORCH_TEST_JSON_OUT"), "w");
		if (f) {
			fputs(s, f);
			fclose(f);
		}
	}
	sb_release(&sb);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_totals, setup, teardown),
		cmocka_unit_test_setup_teardown(test_calls, setup, teardown),
		cmocka_unit_test_setup_teardown(test_sites, setup, teardown),
		cmocka_unit_test_setup_teardown(test_stacks, setup, teardown),
		cmocka_unit_test_setup_teardown(test_leaks, setup, teardown),
		cmocka_unit_test_setup_teardown(test_histogram, setup, teardown),
		cmocka_unit_test_setup_teardown(test_modules, setup, teardown),
		cmocka_unit_test_setup_teardown(test_timeline, setup, teardown),
		cmocka_unit_test_setup_teardown(test_filter, setup, teardown),
		cmocka_unit_test_setup_teardown(test_sorting, setup, teardown),
		cmocka_unit_test_setup_teardown(test_short_lived_option, setup, teardown),
		cmocka_unit_test(test_wrappers),
		cmocka_unit_test(test_site_edge_cases),
		cmocka_unit_test(test_empty),
		cmocka_unit_test_setup_teardown(test_report_text, setup, teardown),
		cmocka_unit_test_setup_teardown(test_report_json, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
