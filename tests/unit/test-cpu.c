/* Unit tests of the CPU model (analysis/cpu.c), the CPU report
 * (output/report-cpu.c) and the folded CPU export (output/folded.c) on
 * synthetic profiles whose truth is worked out by hand: a 50/30/20 split,
 * recursion, inline frames, the call tree, bottom-up callers, threads and
 * achieved rates, filter and thread selection, off-CPU samples, empty and
 * unsymbolized stacks, text, JSON and folded output.
 * SCORCH_TEST_DUMP=1 prints the fixture's text and JSON reports;
 * SCORCH_TEST_SCALE=1 times the analysis of 1M samples over 100k stacks. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <cmocka.h>

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "../../analysis/annotate.h"
#include "../../analysis/code.h"
#include "../../analysis/cpu.h"
#include "../../analysis/flame.h"
#include "../../analysis/profile-io.h"
#include "../../analysis/profile.h"
#include "../../lib/die.h"
#include "../../output/annotate.h"
#include "../../output/folded.h"
#include "../../output/report-cpu.h"
#include "../../output/report-heap.h"

#define CAP 64
#define MS 1000000ull   /* one sample's weight at 1000 Hz */

/* ---- building profiles ---- */

static struct sc_profile *prof_new(size_t cap)
{
	struct sc_profile *p = profile_new();
	p->modules = arena_alloc(&p->arena, 8 * sizeof(*p->modules));
	p->locations = arena_alloc(&p->arena, cap * sizeof(*p->locations));
	p->stacks = arena_alloc(&p->arena, cap * sizeof(*p->stacks));
	p->threads = arena_alloc(&p->arena, 8 * sizeof(*p->threads));
	p->nstacks = 1;   /* stacks[0]: the empty stack */
	p->flags = PROF_CPU;
	p->version = 1;
	p->sample_source = "perf cpu-clock";
	p->sample_hz = 1000;
	return p;
}

static int32_t add_module(struct sc_profile *p, const char *name, bool is_main, uint64_t bias)
{
	struct sc_module *m = &p->modules[p->nmodules];
	m->name = arena_strdup(&p->arena, name);
	m->path = m->name;
	m->bias = bias;
	m->is_main = is_main;
	return (int32_t)p->nmodules++;
}

static uint16_t add_thread(struct sc_profile *p, uint32_t tid, const char *name, uint64_t start,
			   uint64_t end)
{
	struct sc_thread *t = &p->threads[p->nthreads];
	t->tid = tid;
	t->name = arena_strdup(&p->arena, name);
	t->start = start;
	t->end = end;
	return (uint16_t)p->nthreads++;
}

/* A location of n frames, innermost first, given as "func", "file", line
 * triples; every frame but the last is inlined. n 0 = unsymbolized. */
static uint32_t add_loc(struct sc_profile *p, uint64_t addr, int32_t module, uint32_t n, ...)
{
	struct sc_location *l = &p->locations[p->nlocations];
	l->addr = addr;
	l->module = module;
	l->nlines = n;
	l->lines = n ? arena_alloc(&p->arena, n * sizeof(*l->lines)) : NULL;
	va_list ap;
	va_start(ap, n);
	for (uint32_t i = 0; i < n; i++) {
		l->lines[i].func = arena_strdup(&p->arena, va_arg(ap, const char *));
		l->lines[i].file = arena_strdup(&p->arena, va_arg(ap, const char *));
		l->lines[i].line = va_arg(ap, unsigned);
		l->lines[i].inlined = i + 1 < n;
	}
	va_end(ap);
	return (uint32_t)p->nlocations++;
}

/* A stack of n locations, innermost first. */
static uint32_t add_stack(struct sc_profile *p, uint32_t n, ...)
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

static size_t samples_cap;

/* n samples of stack on thread, 1 ms apart from t0, each weighing w ns. */
static uint64_t add_samples(struct sc_profile *p, size_t n, uint32_t stack, uint16_t thread,
			    uint64_t t0, uint32_t w, bool offcpu)
{
	if (p->nsamples + n > samples_cap || !p->samples) {
		samples_cap = (p->nsamples + n) * 2 + 1024;
		p->samples = xrealloc(p->samples, samples_cap * sizeof(*p->samples));
	}
	for (size_t i = 0; i < n; i++) {
		struct sc_sample *s = &p->samples[p->nsamples++];
		memset(s, 0, sizeof(*s));
		s->time = t0 + i * MS;
		s->stack = stack;
		s->weight = w;
		s->thread = thread;
		s->offcpu = offcpu;
	}
	return t0 + n * MS;
}

/* The standard fixture. Thread "prog" (tid 100, alive 0-1 s) takes 1000
 * samples, 1 ms each: 500 in leaf_a (400 at a.c:12, 100 at a.c:13), 300 in
 * leaf_b, 200 in inl_c inlined into leaf_c, all under main under _start.
 * With workers: two threads named "worker" (tid 101 alive 0.5-0.8 s,
 * tid 102 from 0.9 s, end unknown = 1 s) under clone3 (libc) and
 * worker_main: tid 101 takes 300 samples in rec <- rec <- rec (recursion),
 * tid 102 takes 100 samples in leaf_a <- rec. */
struct ids {
	uint32_t s_a, s_a2, s_b, s_c, s_r, s_ra;
	int32_t m_prog, m_libc;
};

static struct sc_profile *fx_standard(bool workers, struct ids *id)
{
	struct sc_profile *p = prof_new(CAP);
	p->pid = 4242;
	p->ppid = 1;
	p->exe = "/usr/local/bin/prog";
	static const char *argv[] = { "prog", "--fast", "input.txt" };
	p->argv = argv;
	p->argc = 3;
	p->cmdline = "prog --fast input.txt";
	p->host = "testhost";
	p->scorch_version = "0.1.0";
	p->start_wall = 1700000000ull * 1000000000ull;
	p->duration = 1000000000ull;
	p->cpu_time_ns = workers ? 1400000000ull : 1000000000ull;
	p->exit_kind = EXIT_NORMAL;
	p->depth = 64;
	uint16_t t0 = add_thread(p, 100, "prog", 0, 1000000000ull);
	id->m_prog = add_module(p, "prog", true, 0x400000);
	id->m_libc = add_module(p, "libc.so.6", false, 0x7f0000000000);

	uint32_t l_start = add_loc(p, 0x401000, id->m_prog, 1, "_start", "start.S", 1);
	uint32_t l_ma = add_loc(p, 0x401100, id->m_prog, 1, "main", "main.c", 50);
	uint32_t l_mb = add_loc(p, 0x401110, id->m_prog, 1, "main", "main.c", 51);
	uint32_t l_mc = add_loc(p, 0x401120, id->m_prog, 1, "main", "main.c", 52);
	uint32_t l_a = add_loc(p, 0x401200, id->m_prog, 1, "leaf_a", "a.c", 12);
	uint32_t l_a2 = add_loc(p, 0x401208, id->m_prog, 1, "leaf_a", "a.c", 13);
	uint32_t l_b = add_loc(p, 0x401300, id->m_prog, 1, "leaf_b", "b.c", 20);
	uint32_t l_c = add_loc(p, 0x401400, id->m_prog, 2, "inl_c", "c.h", 30, "leaf_c", "c.c", 40);
	id->s_a = add_stack(p, 3, l_a, l_ma, l_start);
	id->s_a2 = add_stack(p, 3, l_a2, l_ma, l_start);
	id->s_b = add_stack(p, 3, l_b, l_mb, l_start);
	id->s_c = add_stack(p, 3, l_c, l_mc, l_start);

	/* interleaved like real sampling: a, b, c, a2 rounds */
	uint64_t t = 0;
	for (int round = 0; round < 100; round++) {
		t = add_samples(p, 4, id->s_a, t0, t, MS, false);
		t = add_samples(p, 3, id->s_b, t0, t, MS, false);
		t = add_samples(p, 2, id->s_c, t0, t, MS, false);
		t = add_samples(p, 1, id->s_a2, t0, t, MS, false);
	}
	if (!workers)
		return p;

	uint16_t t1 = add_thread(p, 101, "worker", 500000000ull, 800000000ull);
	uint16_t t2 = add_thread(p, 102, "worker", 900000000ull, 0);
	uint32_t l_clone = add_loc(p, 0x7f0000001000, id->m_libc, 1, "clone3", "clone3.S", 80);
	uint32_t l_w = add_loc(p, 0x401500, id->m_prog, 1, "worker_main", "w.c", 10);
	uint32_t l_r = add_loc(p, 0x401600, id->m_prog, 1, "rec", "r.c", 5);
	uint32_t l_r2 = add_loc(p, 0x401610, id->m_prog, 1, "rec", "r.c", 7);
	id->s_r = add_stack(p, 5, l_r, l_r2, l_r2, l_w, l_clone);
	id->s_ra = add_stack(p, 4, l_a, l_r2, l_w, l_clone);
	add_samples(p, 300, id->s_r, t1, 500000000ull, MS, false);
	add_samples(p, 100, id->s_ra, t2, 900000000ull, MS, false);
	return p;
}

/* ---- lookups ---- */

static const struct cpu_func *func_or_null(const struct cpu_result *r, const char *name)
{
	for (size_t i = 0; i < r->nfuncs; i++)
		if (!strcmp(r->funcs[i].name, name))
			return &r->funcs[i];
	return NULL;
}

static const struct cpu_func *func(const struct cpu_result *r, const char *name)
{
	const struct cpu_func *f = func_or_null(r, name);
	if (!f)
		fail_msg("no function %s", name);
	return f;
}

static uint32_t func_id(const struct cpu_result *r, const char *name)
{
	return (uint32_t)(func(r, name) - r->funcs);
}

/* The child of node nd named name in nodes, or CPU_NONE. */
static uint32_t child(const struct cpu_result *r, const struct cpu_node *nodes, uint32_t nd,
		      const char *name)
{
	for (uint32_t c = nodes[nd].first_child; c != CPU_NONE; c = nodes[c].next_sibling)
		if (!strcmp(r->funcs[nodes[c].func].name, name))
			return c;
	return CPU_NONE;
}

static size_t nchildren(const struct cpu_node *nodes, uint32_t nd)
{
	size_t n = 0;
	for (uint32_t c = nodes[nd].first_child; c != CPU_NONE; c = nodes[c].next_sibling)
		n++;
	return n;
}

/* Follows a path of names from node nd; fails when one is missing. */
static uint32_t path(const struct cpu_result *r, const struct cpu_node *nodes, uint32_t nd, ...)
{
	va_list ap;
	va_start(ap, nd);
	const char *name;
	while ((name = va_arg(ap, const char *))) {
		uint32_t c = child(r, nodes, nd, name);
		if (c == CPU_NONE)
			fail_msg("node %u has no child %s", nd, name);
		nd = c;
	}
	va_end(ap);
	return nd;
}

static struct cpu_result *analyze(const struct sc_profile *p, const char *filter,
				  const char *thread, uint32_t limit)
{
	struct cpu_options o = { .filter = filter, .thread = thread, .limit = limit };
	struct cpu_result *r;
	assert_int_equal(cpu_analyze(p, &o, &r), 0);
	return r;
}

/* ---- the model ---- */

static void test_split(void **state)
{
	(void)state;
	struct ids id;
	struct sc_profile *p = fx_standard(false, &id);
	struct cpu_result *r = analyze(p, NULL, NULL, 0);
	const struct cpu_totals *t = &r->t;
	assert_int_equal(t->all_samples, 1000);
	assert_int_equal(t->total.samples, 1000);
	assert_int_equal(t->total.ns, 1000 * MS);
	assert_int_equal(t->matched.samples, 1000);
	assert_int_equal(t->offcpu.samples, 0);
	assert_int_equal(t->no_stack, 0);
	assert_int_equal(func(r, "leaf_a")->self.samples, 500);
	assert_int_equal(func(r, "leaf_b")->self.samples, 300);
	assert_int_equal(func(r, "inl_c")->self.samples, 200);
	assert_int_equal(func(r, "leaf_a")->self.ns, 500 * MS);
	assert_int_equal(func(r, "leaf_a")->total.samples, 500);
	assert_int_equal(func(r, "main")->self.samples, 0);
	assert_int_equal(func(r, "main")->total.samples, 1000);
	assert_int_equal(func(r, "main")->total.ns, 1000 * MS);
	assert_int_equal(func(r, "_start")->total.samples, 1000);

	/* order by self, then by total */
	uint32_t idx[64];
	assert_true(r->nfuncs <= 64);
	size_t n = cpu_funcs_sorted(r, CPU_SORT_SELF, idx);
	assert_int_equal(n, 3);
	assert_string_equal(r->funcs[idx[0]].name, "leaf_a");
	assert_string_equal(r->funcs[idx[1]].name, "leaf_b");
	assert_string_equal(r->funcs[idx[2]].name, "inl_c");
	n = cpu_funcs_sorted(r, CPU_SORT_TOTAL, idx);
	assert_int_equal(n, 6);
	/* main and _start tie at 1000 total, 0 self: by name, '_' < 'm' */
	assert_string_equal(r->funcs[idx[0]].name, "_start");
	assert_string_equal(r->funcs[idx[1]].name, "main");
	assert_string_equal(r->funcs[idx[2]].name, "leaf_a");
	assert_string_equal(r->funcs[idx[5]].name, "leaf_c");   /* 200 total, 0 self */
	assert_string_equal(r->funcs[idx[4]].name, "inl_c");    /* 200 total, 200 self */

	/* the representative positions */
	assert_string_equal(func(r, "leaf_a")->file, "a.c");
	assert_int_equal(func(r, "leaf_a")->line, 12);
	assert_string_equal(func(r, "main")->file, "main.c");
	assert_int_equal(func(r, "main")->line, 50);   /* most total below it */
	assert_int_equal(func(r, "_start")->line, 1);

	/* per-stack counts (the folded export's) */
	assert_int_equal(r->stacks[id.s_a].samples, 400);
	assert_int_equal(r->stacks[id.s_a2].samples, 100);
	assert_int_equal(r->stacks[0].samples, 0);
	cpu_result_free(r);
	profile_free(p);
}

static void test_recursion(void **state)
{
	(void)state;
	struct ids id;
	struct sc_profile *p = fx_standard(true, &id);
	struct cpu_result *r = analyze(p, NULL, NULL, 0);
	assert_int_equal(r->t.total.samples, 1400);
	/* rec appears three times in each of 300 stacks and once in 100 */
	assert_int_equal(func(r, "rec")->total.samples, 400);
	assert_int_equal(func(r, "rec")->total.ns, 400 * MS);
	assert_int_equal(func(r, "rec")->self.samples, 300);
	assert_int_equal(func(r, "worker_main")->total.samples, 400);
	assert_int_equal(func(r, "clone3")->total.samples, 400);
	assert_int_equal(func(r, "leaf_a")->self.samples, 600);
	assert_int_equal(func(r, "leaf_a")->total.samples, 600);
	/* rec's lines: self at r.c:5; total counted at its innermost occurrence */
	const struct cpu_func *f = func(r, "rec");
	assert_int_equal(f->nlines, 2);
	const struct cpu_line *l = &r->lines[f->first_line];
	assert_int_equal(l[0].line, 5);
	assert_int_equal(l[0].self.samples, 300);
	assert_int_equal(l[0].total.samples, 300);
	assert_int_equal(l[1].line, 7);
	assert_int_equal(l[1].self.samples, 0);
	assert_int_equal(l[1].total.samples, 100);
	/* no function ever exceeds the samples it could be in */
	for (size_t i = 0; i < r->nfuncs; i++) {
		assert_true(r->funcs[i].total.samples <= r->t.matched.samples);
		assert_true(r->funcs[i].self.samples <= r->funcs[i].total.samples);
	}
	cpu_result_free(r);
	profile_free(p);
}

static void test_inline(void **state)
{
	(void)state;
	struct ids id;
	struct sc_profile *p = fx_standard(false, &id);
	struct cpu_result *r = analyze(p, NULL, NULL, 0);
	const struct cpu_func *in = func(r, "inl_c"), *out = func(r, "leaf_c");
	assert_true(in->inlined);
	assert_false(out->inlined);
	assert_int_equal(in->self.samples, 200);
	assert_int_equal(in->total.samples, 200);
	assert_int_equal(out->self.samples, 0);
	assert_int_equal(out->total.samples, 200);
	assert_string_equal(in->file, "c.h");
	assert_int_equal(in->line, 30);
	assert_string_equal(out->file, "c.c");
	assert_int_equal(out->line, 40);
	assert_int_equal(in->module, id.m_prog);
	/* in the tree the inlined function is a node below its container */
	uint32_t nd = path(r, r->tree, 0, "_start", "main", "leaf_c", "inl_c", NULL);
	assert_int_equal(r->tree[nd].self.samples, 200);
	assert_int_equal(r->tree[r->tree[nd].parent].self.samples, 0);
	cpu_result_free(r);
	profile_free(p);
}

static void test_tree(void **state)
{
	(void)state;
	struct ids id;
	struct sc_profile *p = fx_standard(true, &id);
	struct cpu_result *r = analyze(p, NULL, NULL, 0);
	const struct cpu_node *T = r->tree;
	assert_int_equal(T[0].total.samples, 1400);
	assert_int_equal(T[0].func, CPU_NONE);
	assert_int_equal(nchildren(T, 0), 2);
	/* roots by total: _start 1000, clone3 400 */
	assert_string_equal(r->funcs[T[T[0].first_child].func].name, "_start");
	uint32_t start = path(r, T, 0, "_start", NULL);
	assert_int_equal(T[start].total.samples, 1000);
	assert_int_equal(T[start].self.samples, 0);
	uint32_t m = path(r, T, start, "main", NULL);
	assert_int_equal(T[m].total.samples, 1000);
	assert_int_equal(nchildren(T, m), 3);
	/* children by total, descending */
	uint32_t c = T[m].first_child;
	assert_string_equal(r->funcs[T[c].func].name, "leaf_a");
	assert_int_equal(T[c].total.samples, 500);
	assert_int_equal(T[c].self.samples, 500);
	assert_int_equal(T[c].total.ns, 500 * MS);
	c = T[c].next_sibling;
	assert_string_equal(r->funcs[T[c].func].name, "leaf_b");
	assert_int_equal(T[c].total.samples, 300);
	c = T[c].next_sibling;
	assert_string_equal(r->funcs[T[c].func].name, "leaf_c");
	assert_int_equal(T[c].total.samples, 200);
	assert_int_equal(T[c].next_sibling, CPU_NONE);
	/* the recursion is a chain of nodes, each counted where it is */
	uint32_t r1 = path(r, T, 0, "clone3", "worker_main", "rec", NULL);
	assert_int_equal(T[r1].total.samples, 400);
	assert_int_equal(T[r1].self.samples, 0);
	assert_int_equal(nchildren(T, r1), 2);
	uint32_t r2 = path(r, T, r1, "rec", NULL);
	assert_int_equal(T[r2].total.samples, 300);
	uint32_t r3 = path(r, T, r2, "rec", NULL);
	assert_int_equal(T[r3].total.samples, 300);
	assert_int_equal(T[r3].self.samples, 300);
	assert_int_equal(T[r3].first_child, CPU_NONE);
	uint32_t a = path(r, T, r1, "leaf_a", NULL);
	assert_int_equal(T[a].self.samples, 100);
	/* every node: total = self + children's totals */
	for (size_t i = 0; i < r->ntree; i++) {
		uint64_t sum = T[i].self.samples;
		for (uint32_t k = T[i].first_child; k != CPU_NONE; k = T[k].next_sibling)
			sum += T[k].total.samples;
		assert_int_equal(sum, T[i].total.samples);
	}
	/* root; _start, main, 3 leaves, inl_c; clone3, worker_main, rec, rec
	 * and leaf_a, rec */
	assert_int_equal(r->ntree, 1 + 6 + 6);
	cpu_result_free(r);
	profile_free(p);
}

static void test_bottom_up(void **state)
{
	(void)state;
	struct ids id;
	struct sc_profile *p = fx_standard(true, &id);
	struct cpu_result *r = analyze(p, NULL, NULL, 0);
	const struct cpu_node *B = r->bu;
	/* hot functions in self order: leaf_a 600, rec 300, leaf_b 300, inl_c 200;
	 * rec and leaf_b tie on self: rec has more total */
	assert_int_equal(nchildren(B, 0), 4);
	uint32_t c = B[0].first_child;
	assert_string_equal(r->funcs[B[c].func].name, "leaf_a");
	c = B[c].next_sibling;
	assert_string_equal(r->funcs[B[c].func].name, "rec");
	c = B[c].next_sibling;
	assert_string_equal(r->funcs[B[c].func].name, "leaf_b");
	assert_int_equal(B[0].total.samples, 1400);

	uint32_t a = func(r, "leaf_a")->bottom_up;
	assert_int_equal(a, path(r, B, 0, "leaf_a", NULL));
	assert_int_equal(B[a].total.samples, 600);
	assert_int_equal(nchildren(B, a), 2);
	uint32_t m = B[a].first_child;
	assert_string_equal(r->funcs[B[m].func].name, "main");
	assert_int_equal(B[m].total.samples, 500);
	uint32_t s = path(r, B, m, "_start", NULL);
	assert_int_equal(B[s].total.samples, 500);
	assert_int_equal(B[s].self.samples, 500);   /* the outermost frame */
	uint32_t rc = path(r, B, a, "rec", "worker_main", "clone3", NULL);
	assert_int_equal(B[rc].total.samples, 100);
	/* rec's own callers: itself twice, then worker_main */
	uint32_t rr = path(r, B, func(r, "rec")->bottom_up, "rec", "rec", "worker_main", "clone3", NULL);
	assert_int_equal(B[rr].total.samples, 300);
	/* an inlined function's first caller is the function it was inlined into */
	uint32_t ic = path(r, B, func(r, "inl_c")->bottom_up, "leaf_c", "main", NULL);
	assert_int_equal(B[ic].total.samples, 200);
	cpu_result_free(r);

	/* limit: only the two hottest get trees */
	r = analyze(p, NULL, NULL, 2);
	assert_int_equal(nchildren(r->bu, 0), 2);
	assert_int_equal(func(r, "leaf_b")->bottom_up, CPU_NONE);
	assert_int_equal(func(r, "inl_c")->bottom_up, CPU_NONE);
	assert_true(func(r, "rec")->bottom_up != CPU_NONE);
	cpu_result_free(r);
	profile_free(p);
}

static void test_threads(void **state)
{
	(void)state;
	struct ids id;
	struct sc_profile *p = fx_standard(true, &id);
	struct cpu_result *r = analyze(p, NULL, NULL, 0);
	assert_int_equal(r->nthreads, 3);
	assert_int_equal(r->t.threads_selected, 3);
	assert_int_equal(r->t.threads_sampled, 3);
	const struct cpu_thread *t = r->threads;
	assert_int_equal(p->threads[t[0].thread].tid, 100);
	assert_string_equal(p->threads[t[0].thread].name, "prog");
	assert_int_equal(t[0].total.samples, 1000);
	assert_int_equal(t[0].total.ns, 1000 * MS);
	assert_int_equal(t[0].lifetime, 1000000000ull);
	assert_int_equal(t[0].first, 0);
	assert_int_equal(t[0].last, 999 * MS);
	/* 1000 samples 1 ms apart: 999 intervals in 999 ms */
	assert_true(t[0].achieved_hz > 999.999 && t[0].achieved_hz < 1000.001);
	assert_int_equal(t[0].top_func, func_id(r, "leaf_a"));
	assert_int_equal(t[0].top_self.samples, 500);
	assert_int_equal(p->threads[t[1].thread].tid, 101);
	assert_string_equal(p->threads[t[1].thread].name, "worker");
	assert_int_equal(t[1].total.samples, 300);
	assert_int_equal(t[1].lifetime, 300000000ull);
	assert_true(t[1].achieved_hz > 999.999 && t[1].achieved_hz < 1000.001);
	assert_int_equal(t[1].top_func, func_id(r, "rec"));
	assert_int_equal(p->threads[t[2].thread].tid, 102);
	assert_int_equal(t[2].total.samples, 100);
	assert_int_equal(t[2].lifetime, 100000000ull);   /* end unknown: end of the profile */
	assert_int_equal(t[2].top_func, func_id(r, "leaf_a"));
	assert_int_equal(t[2].top_self.samples, 100);
	assert_true(t[2].achieved_hz > 999.999 && t[2].achieved_hz < 1000.001);
	/* the achieved rate: on-CPU samples per second of process CPU time */
	assert_int_equal(r->t.busiest, 0);
	assert_true(r->t.achieved_from_cpu_time);
	assert_int_equal(r->t.oncpu_all, 1400);
	assert_true(r->t.achieved_hz > 999.999 && r->t.achieved_hz < 1000.001);
	cpu_result_free(r);

	/* twice the CPU time for the same samples: half the rate */
	p->cpu_time_ns *= 2;
	r = analyze(p, NULL, NULL, 0);
	assert_true(r->t.achieved_hz > 499.999 && r->t.achieved_hz < 500.001);
	cpu_result_free(r);

	/* CPU time unknown: the busiest thread's rate; sampled at half the rate */
	p->cpu_time_ns = 0;
	for (size_t i = 0; i < p->nsamples; i++)
		if (p->samples[i].thread == 0)
			p->samples[i].time *= 2;
	r = analyze(p, NULL, NULL, 0);
	assert_false(r->t.achieved_from_cpu_time);
	assert_true(r->t.achieved_hz > 499.999 && r->t.achieved_hz < 500.001);
	assert_true(r->threads[1].achieved_hz > 999.999 && r->threads[1].achieved_hz < 1000.001);
	cpu_result_free(r);
	profile_free(p);
}

static void test_thread_selection(void **state)
{
	(void)state;
	struct ids id;
	struct sc_profile *p = fx_standard(true, &id);

	/* by name: the 50/30/20 split of "prog" alone */
	struct cpu_result *r = analyze(p, NULL, "prog", 0);
	assert_true(r->thread_selected);
	assert_int_equal(r->t.all_samples, 1400);
	assert_int_equal(r->t.total.samples, 1000);
	assert_int_equal(r->t.threads_selected, 1);
	assert_int_equal(func(r, "leaf_a")->self.samples, 500);
	assert_int_equal(func(r, "main")->total.samples, 1000);
	assert_int_equal(r->nthreads, 1);
	assert_int_equal(r->tree[0].total.samples, 1000);
	assert_int_equal(nchildren(r->tree, 0), 1);
	cpu_result_free(r);

	/* a name shared by two threads selects both */
	r = analyze(p, NULL, "worker", 0);
	assert_int_equal(r->t.total.samples, 400);
	assert_int_equal(r->t.threads_selected, 2);
	assert_int_equal(r->nthreads, 2);
	assert_int_equal(func(r, "leaf_a")->self.samples, 100);
	assert_int_equal(func(r, "rec")->total.samples, 400);
	assert_null(func_or_null(r, "main"));   /* never on a selected stack */
	cpu_result_free(r);

	/* by tid */
	r = analyze(p, NULL, "101", 0);
	assert_int_equal(r->t.total.samples, 300);
	assert_int_equal(r->t.threads_selected, 1);
	assert_int_equal(func(r, "rec")->self.samples, 300);
	assert_int_equal(r->stacks[id.s_ra].samples, 0);
	cpu_result_free(r);

	/* nothing matches: an empty result, not an error */
	r = analyze(p, NULL, "nope", 0);
	assert_int_equal(r->t.total.samples, 0);
	assert_int_equal(r->t.threads_selected, 0);
	assert_int_equal(r->nthreads, 0);
	assert_int_equal(r->t.busiest, CPU_NONE);
	cpu_result_free(r);
	r = analyze(p, NULL, "1", 0);
	assert_int_equal(r->t.threads_selected, 0);
	cpu_result_free(r);

	assert_true(cpu_thread_matches(p, 0, NULL));
	assert_true(cpu_thread_matches(p, 0, "100"));
	assert_true(cpu_thread_matches(p, 0, "prog"));
	assert_false(cpu_thread_matches(p, 0, "10"));
	assert_false(cpu_thread_matches(p, 0, "100x"));
	assert_false(cpu_thread_matches(p, 9, "prog"));
	profile_free(p);
}

static void test_filter(void **state)
{
	(void)state;
	struct ids id;
	struct sc_profile *p = fx_standard(true, &id);
	struct cpu_result *r = analyze(p, "^leaf_b$", NULL, 0);
	assert_true(r->filtered);
	/* the base of percentages stays all samples; the views see 300 */
	assert_int_equal(r->t.total.samples, 1400);
	assert_int_equal(r->t.matched.samples, 300);
	assert_int_equal(r->tree[0].total.samples, 300);
	assert_int_equal(func(r, "leaf_b")->self.samples, 300);
	assert_int_equal(func(r, "main")->total.samples, 300);
	assert_int_equal(func(r, "_start")->total.samples, 300);
	uint32_t idx[64];
	assert_int_equal(cpu_funcs_sorted(r, CPU_SORT_SELF, idx), 1);
	assert_int_equal(cpu_funcs_sorted(r, CPU_SORT_TOTAL, idx), 3);
	assert_int_equal(r->stacks[id.s_a].samples, 0);
	assert_int_equal(r->stacks[id.s_b].samples, 300);
	/* the thread table is not filtered */
	assert_int_equal(r->threads[0].total.samples, 1000);
	cpu_result_free(r);

	/* a module name matches every frame in it: clone3's stacks */
	r = analyze(p, "libc", NULL, 0);
	assert_int_equal(r->t.matched.samples, 400);
	assert_int_equal(func(r, "rec")->total.samples, 400);
	cpu_result_free(r);

	/* an inlined function's name matches too */
	r = analyze(p, "inl_", NULL, 0);
	assert_int_equal(r->t.matched.samples, 200);
	cpu_result_free(r);

	/* filter and thread together */
	r = analyze(p, "leaf_a", "worker", 0);
	assert_int_equal(r->t.total.samples, 400);
	assert_int_equal(r->t.matched.samples, 100);
	cpu_result_free(r);

	struct cpu_options o = { .filter = "(" };
	assert_int_equal(cpu_analyze(p, &o, &r), -EINVAL);
	assert_null(r);
	profile_free(p);
}

/* Wall-clock sampling: "prog" sleeps 400 of 1000 samples. */
static struct sc_profile *fx_wall(void)
{
	struct sc_profile *p = prof_new(CAP);
	p->flags = PROF_CPU | PROF_WALL;
	p->sample_source = "perf cpu-clock";
	p->exe = "sleeper";
	p->duration = 1000000000ull;
	uint16_t t0 = add_thread(p, 7, "sleeper", 0, 1000000000ull);
	int32_t m = add_module(p, "sleeper", true, 0x400000);
	int32_t libc = add_module(p, "libc.so.6", false, 0x7f0000000000);
	uint32_t l_main = add_loc(p, 0x401000, m, 1, "main", "s.c", 9);
	uint32_t l_main2 = add_loc(p, 0x401010, m, 1, "main", "s.c", 10);
	uint32_t l_spin = add_loc(p, 0x401100, m, 1, "spin", "s.c", 3);
	uint32_t l_sleep = add_loc(p, 0x401200, m, 1, "do_sleep", "s.c", 6);
	uint32_t l_ns = add_loc(p, 0x7f0000000100, libc, 1, "clock_nanosleep", "", 0);
	uint32_t s_spin = add_stack(p, 2, l_spin, l_main);
	uint32_t s_sleep = add_stack(p, 3, l_ns, l_sleep, l_main2);
	uint32_t s_spin_off = add_stack(p, 2, l_spin, l_main2);
	uint64_t t = add_samples(p, 590, s_spin, t0, 0, MS, false);
	t = add_samples(p, 400, s_sleep, t0, t, MS, true);
	add_samples(p, 10, s_spin_off, t0, t, MS, true);   /* preempted in spin */
	return p;
}

static void test_offcpu(void **state)
{
	(void)state;
	struct sc_profile *p = fx_wall();
	struct cpu_result *r = analyze(p, NULL, NULL, 0);
	assert_true(r->wall);
	assert_int_equal(r->t.total.samples, 1000);
	assert_int_equal(r->t.offcpu.samples, 410);
	assert_int_equal(r->t.offcpu.ns, 410 * MS);
	assert_int_equal(r->t.matched_offcpu.samples, 410);
	assert_int_equal(func(r, "clock_nanosleep")->self.samples, 400);
	assert_int_equal(func(r, "clock_nanosleep")->self_off.samples, 400);
	assert_int_equal(func(r, "do_sleep")->total_off.samples, 400);
	assert_int_equal(func(r, "do_sleep")->self_off.samples, 0);
	assert_int_equal(func(r, "spin")->self.samples, 600);
	assert_int_equal(func(r, "spin")->self_off.samples, 10);
	assert_int_equal(func(r, "main")->total_off.samples, 410);
	assert_int_equal(r->threads[0].offcpu.samples, 410);
	uint32_t idx[64];
	assert_int_equal(cpu_funcs_sorted(r, CPU_SORT_OFFCPU, idx), 2);
	assert_string_equal(r->funcs[idx[0]].name, "clock_nanosleep");
	assert_string_equal(r->funcs[idx[1]].name, "spin");
	/* main's representative line: s.c:10 has 410 below it, s.c:9 590 */
	assert_int_equal(func(r, "main")->line, 9);

	struct strbuf sb = STRBUF_INIT;
	struct cpu_report_options o = { .limit = 10, .threads = true };
	report_cpu_text(&sb, r, &o);
	const char *s = sb_str(&sb);
	if (getenv("SCORCH_TEST_DUMP"))
		fputs(s, stdout);
	static const char *const want[] = {
		"  sampling  perf cpu-clock, wall clock (on- and off-CPU), 1,000 Hz requested, 1,000.0 Hz achieved (busiest thread sleeper (7): 1,000 samples in 999 ms)\n",
		"  samples   1,000 (1.00 s of wall time): 590 on-CPU (59.0%), 410 off-CPU (41.0%)\n",
		"Off-CPU: 410 of 1,000 samples (41.0%), 410 ms waiting\n",
		"    40.0%        400     400 ms  clock_nanosleep (libc.so.6)\n",
		"     1.0%         10    10.0 ms  spin at s.c:3 (sleeper)\n",
		"     1,000  100.0%     1.00 s  1,000.0 Hz    41.0%  sleeper (7)",
	};
	for (size_t i = 0; i < sizeof(want) / sizeof(*want); i++)
		if (!strstr(s, want[i]))
			fail_msg("missing from the report: [%s]\n%s", want[i], s);
	sb_release(&sb);
	cpu_result_free(r);
	profile_free(p);
}

/* Edge cases: empty stacks, unsymbolized frames, a sample of a thread
 * index the profile does not know, a stack id out of range. */
static void test_edges(void **state)
{
	(void)state;
	struct sc_profile *p = prof_new(CAP);
	p->duration = 100 * MS;
	uint16_t t0 = add_thread(p, 5, "t", 0, 0);
	int32_t libc = add_module(p, "libc.so.6", false, 0x7f0000000000);
	uint32_t l_unk = add_loc(p, 0x7f0000001234, libc, 0);
	uint32_t l_unk2 = add_loc(p, 0x7f0000005678, libc, 1, "??", "", 0);
	uint32_t l_out = add_loc(p, 0x1234, -1, 0);
	uint32_t s1 = add_stack(p, 2, l_unk, l_out);
	uint32_t s2 = add_stack(p, 2, l_unk2, l_out);
	uint64_t t = add_samples(p, 5, 0, t0, 0, MS, false);
	t = add_samples(p, 3, s1, t0, t, MS, false);
	t = add_samples(p, 2, s2, t0, t, MS, false);
	t = add_samples(p, 1, s1, 9, t, MS, false);       /* unknown thread */
	add_samples(p, 1, 999, t0, t, MS, false);         /* stack out of range: empty */
	struct cpu_result *r = analyze(p, NULL, NULL, 0);
	assert_int_equal(r->t.total.samples, 12);
	assert_int_equal(r->t.no_stack, 6);
	assert_int_equal(func(r, "[no stack]")->self.samples, 6);
	assert_int_equal(func(r, "[libc.so.6+0x1234]")->self.samples, 4);
	assert_int_equal(func(r, "[libc.so.6+0x5678]")->self.samples, 2);
	assert_int_equal(func(r, "[0x1234]")->total.samples, 6);
	assert_int_equal(func(r, "[0x1234]")->module, -1);
	assert_int_equal(r->nthreads, 2);
	assert_int_equal(r->threads[0].total.samples, 11);
	assert_int_equal(r->threads[0].lifetime, 100 * MS);
	assert_int_equal(r->threads[1].thread, CPU_NONE);
	assert_int_equal(r->threads[1].total.samples, 1);
	assert_int_equal(r->threads[1].lifetime, 0);
	assert_true(r->threads[1].achieved_hz == 0);   /* one sample: no interval, no rate */

	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	assert_int_equal(folded_write_cpu(f, p, r, FOLDED_SAMPLES), 0);
	fclose(f);
	assert_string_equal(buf,
		"[0x1234];[libc.so.6+0x1234] 4\n"
		"[0x1234];[libc.so.6+0x5678] 2\n"
		"[no stack] 6\n");
	free(buf);

	/* reports on it do not trip over the odd bits */
	struct strbuf sb = STRBUF_INIT;
	struct cpu_report_options o = { .limit = 0, .threads = true, .ascii = true };
	report_cpu_text(&sb, r, &o);
	assert_non_null(strstr(sb.buf, "[unknown thread] (0)"));
	assert_non_null(strstr(sb.buf, "[no stack]"));
	sb_reset(&sb);
	report_cpu_json(&sb, r, &o, 0);
	assert_non_null(strstr(sb.buf, "{\"tid\": null, \"name\": null, \"samples\": 1,"));
	sb_release(&sb);
	cpu_result_free(r);

	/* a filter never matches an empty stack */
	r = analyze(p, "libc", NULL, 0);
	assert_int_equal(r->t.matched.samples, 6);
	assert_int_equal(r->t.no_stack, 0);
	cpu_result_free(r);

	/* no samples at all */
	free(p->samples);
	p->samples = NULL;
	p->nsamples = 0;
	r = analyze(p, NULL, NULL, 0);
	assert_int_equal(r->t.total.samples, 0);
	assert_int_equal(r->nthreads, 0);
	assert_int_equal(r->ntree, 1);
	sb_reset(&sb);
	report_cpu_text(&sb, r, &o);
	assert_non_null(strstr(sb.buf, "no CPU samples recorded\n"));
	sb_reset(&sb);
	report_cpu_json(&sb, r, &o, 0);
	assert_non_null(strstr(sb.buf, "\"tree\": []"));
	sb_release(&sb);
	cpu_result_free(r);
	profile_free(p);
}

/* ---- outputs ---- */

static char *folded_text(const struct sc_profile *p, const char *filter, enum folded_weight w)
{
	struct cpu_result *r = analyze(p, filter, NULL, 1);
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	assert_non_null(f);
	assert_int_equal(folded_write_cpu(f, p, r, w), 0);
	fclose(f);
	cpu_result_free(r);
	return buf;
}

static void expect_folded(const struct sc_profile *p, const char *filter, enum folded_weight w,
			  const char *want)
{
	char *got = folded_text(p, filter, w);
	if (strcmp(got, want))
		fail_msg("folded output differs\n--- want\n%s--- got\n%s", want, got);
	free(got);
}

static void test_folded(void **state)
{
	(void)state;
	struct ids id;
	struct sc_profile *p = fx_standard(true, &id);
	/* leaf_a at a.c:12 and a.c:13 have the same frame names: one line */
	expect_folded(p, NULL, FOLDED_SAMPLES,
		      "_start;main;leaf_a 500\n"
		      "_start;main;leaf_b 300\n"
		      "_start;main;leaf_c;inl_c_[i] 200\n"
		      "clone3;worker_main;rec;leaf_a 100\n"
		      "clone3;worker_main;rec;rec;rec 300\n");
	expect_folded(p, NULL, FOLDED_CPU_NS,
		      "_start;main;leaf_a 500000000\n"
		      "_start;main;leaf_b 300000000\n"
		      "_start;main;leaf_c;inl_c_[i] 200000000\n"
		      "clone3;worker_main;rec;leaf_a 100000000\n"
		      "clone3;worker_main;rec;rec;rec 300000000\n");
	expect_folded(p, "rec", FOLDED_SAMPLES,
		      "clone3;worker_main;rec;leaf_a 100\n"
		      "clone3;worker_main;rec;rec;rec 300\n");
	/* a heap weight on the CPU model: nothing */
	expect_folded(p, NULL, FOLDED_BYTES, "");
	assert_int_equal(folded_weight_parse("samples"), FOLDED_SAMPLES);
	assert_int_equal(folded_weight_parse("cpu-ns"), FOLDED_CPU_NS);
	assert_int_equal(folded_weight_parse("cpu"), -1);
	assert_true(folded_weight_is_cpu(FOLDED_SAMPLES));
	assert_false(folded_weight_is_cpu(FOLDED_LEAKED));
	profile_free(p);
}

/* Samples that weigh differently (CPU-time timers at the tick: 4 ms each
 * on-CPU; a wall profile's off-CPU samples: 1 ms each): every share,
 * ranking and threshold is of time, not of the number of samples. */
static void test_weights(void **state)
{
	(void)state;
	struct sc_profile *p = prof_new(CAP);
	p->sample_source = "timer_create";
	p->perf_errno = 13;   /* EACCES */
	int32_t m = add_module(p, "prog", true, 0);
	uint16_t th = add_thread(p, 100, "prog", 0, 1000 * MS);
	uint32_t l_main = add_loc(p, 0x1000, m, 1, "main", "m.c", 5);
	uint32_t l_busy = add_loc(p, 0x2000, m, 1, "busy", "b.c", 7);
	uint32_t l_wait = add_loc(p, 0x3000, m, 1, "wait", "w.c", 9);
	uint32_t s_busy = add_stack(p, 2, l_busy, l_main);
	uint32_t s_wait = add_stack(p, 2, l_wait, l_main);
	/* busy: 50 samples of 4 ms = 200 ms; wait: 400 samples of 1 ms */
	uint64_t t = add_samples(p, 50, s_busy, th, 0, 4 * MS, false);
	add_samples(p, 400, s_wait, th, t, MS, true);
	p->flags |= PROF_WALL;
	assert_true(flame_weights_vary(p));
	assert_int_equal(flame_default_weight(p), FLAME_CPU_NS);

	struct cpu_result *r = analyze(p, NULL, NULL, 10);
	assert_int_equal(func(r, "busy")->self.samples, 50);
	assert_int_equal(func(r, "busy")->self.ns, 200 * MS);
	uint32_t idx[16];
	assert_int_equal(cpu_funcs_sorted(r, CPU_SORT_SELF, idx), 2);
	assert_string_equal(r->funcs[idx[0]].name, "wait");   /* 400 ms against 200 */
	struct strbuf sb = STRBUF_INIT;
	struct cpu_report_options o = { .limit = 10, .file = "t.scorch" };
	report_cpu_text(&sb, r, &o);
	const char *s = sb_str(&sb);
	if (getenv("SCORCH_TEST_DUMP"))
		fputs(s, stdout);
	/* 200 of 600 ms: 33.3%, not 50 of 450 samples (11.1%) */
	assert_non_null(strstr(s, "33.3%   33.3%         50  busy at b.c:7 (prog)\n"));
	assert_non_null(strstr(s, "66.7%   66.7%        400  wait at w.c:9 (prog)\n"));
	assert_non_null(strstr(s, "450 (600 ms of wall time): 50 on-CPU (33.3%), 400 off-CPU (66.7%)"));
	assert_non_null(strstr(s, "  note      perf_event_open: Permission denied (kernel.perf_event_paranoid"));
	sb_release(&sb);
	cpu_result_free(r);

	/* equal weights: not varying, samples stay the default */
	for (size_t i = 0; i < p->nsamples; i++)
		p->samples[i].weight = MS;
	assert_false(flame_weights_vary(p));
	assert_int_equal(flame_default_weight(p), FLAME_SAMPLES);
	profile_free(p);
}

static void test_report_text(void **state)
{
	(void)state;
	struct ids id;
	struct sc_profile *p = fx_standard(false, &id);
	struct cpu_result *r = analyze(p, NULL, NULL, 10);
	struct strbuf sb = STRBUF_INIT;
	struct cpu_report_options o = { .limit = 10, .file = "prog.4242.scorch" };
	report_cpu_text(&sb, r, &o);
	const char *s = sb_str(&sb);
	if (getenv("SCORCH_TEST_DUMP"))
		fputs(s, stdout);
	assert_null(strchr(s, '\033'));
	static const char *const want[] = {
		"scorch cpu report: /usr/local/bin/prog (pid 4242)\n",
		"  file      prog.4242.scorch\n",
		"  command   prog --fast input.txt\n",
		"  recorded  2023-11-14 22:13:20 UTC on testhost, scorch 0.1.0\n",
		"  duration  1.00 s, exited with status 0\n",
		"  sampling  perf cpu-clock, 1,000 Hz requested, 1,000.0 Hz achieved (1,000 samples in 1.00 s of process CPU time)\n",
		"  samples   1,000 (1.00 s of CPU time)\n",
		"  threads   1 sampled of 1: prog (100) 100.0%\n",
		"Top functions by self  (samples where the function itself was running)\n",
		"     self   total    samples  function\n",
		"    50.0%   50.0%        500  leaf_a at a.c:12 (prog)\n"
		"    30.0%   30.0%        300  leaf_b at b.c:20 (prog)\n"
		"    20.0%   20.0%        200  inl_c at c.h:30 (prog) [inlined]\n",
		"Top functions by total  (samples with the function anywhere on the stack)\n",
		"     0.0%  100.0%      1,000  _start at start.S:1 (prog)\n"
		"     0.0%  100.0%      1,000  main at main.c:50 (prog)\n"
		"    50.0%   50.0%        500  leaf_a at a.c:12 (prog)\n"
		"    30.0%   30.0%        300  leaf_b at b.c:20 (prog)\n"
		"    20.0%   20.0%        200  inl_c at c.h:30 (prog) [inlined]\n"
		"     0.0%   20.0%        200  leaf_c at c.c:40 (prog)\n",
		"Call tree  (top-down from the outermost frame; nodes >= 1%, at most 10 children each)\n",
		"    total    self  function\n"
		"   100.0%    0.0%  _start (prog)\n"
		"   100.0%    0.0%  └─ main (prog)\n"
		"    50.0%   50.0%     ├─ leaf_a (prog)\n"
		"    30.0%   30.0%     ├─ leaf_b (prog)\n"
		"    20.0%    0.0%     └─ leaf_c (prog)\n"
		"    20.0%   20.0%        └─ inl_c (prog) [inlined]\n",
		"Callers of the hottest functions  (bottom-up: functions with >= 1% self and the stacks that called them; callers >= 1%)\n",
		"  leaf_a at a.c:12 (prog): self 50.0% (500 samples)\n"
		"    50.0%  └─ main (prog)\n"
		"    50.0%     └─ _start (prog)\n",
		"  inl_c at c.h:30 (prog) [inlined]: self 20.0% (200 samples)\n"
		"    20.0%  └─ leaf_c (prog)\n"
		"    20.0%     └─ main (prog)\n"
		"    20.0%        └─ _start (prog)\n",
		"Hottest lines  (self samples by source line of the functions with >= 1% self)\n",
		"  leaf_a (prog)\n"
		"    40.0%        400  a.c:12\n"
		"    10.0%        100  a.c:13\n",
	};
	for (size_t i = 0; i < sizeof(want) / sizeof(*want); i++)
		if (!strstr(s, want[i]))
			fail_msg("missing from the report: [%s]\n%s", want[i], s);
	assert_null(strstr(s, "warning:"));
	assert_null(strstr(s, "filter"));
	assert_null(strstr(s, "Threads"));
	assert_null(strstr(s, "Off-CPU"));
	cpu_result_free(r);

	/* limit 1 with ascii glyphs: hidden children are summed up */
	sb_reset(&sb);
	o.limit = 1;
	o.ascii = true;
	r = analyze(p, NULL, NULL, 1);
	report_cpu_text(&sb, r, &o);
	s = sb_str(&sb);
	if (getenv("SCORCH_TEST_DUMP"))
		fputs(s, stdout);
	static const char *const want1[] = {
		"Top functions by self (top 1 of 3)  (samples",
		"   100.0%    0.0%  `- main (prog)\n"
		"    50.0%   50.0%     |- leaf_a (prog)\n"
		"                      `- ... 2 more (50.0%)\n",
		"Callers of the hottest functions  (bottom-up",
		"with >= 1% self)\n  leaf_a (prog)\n    40.0%        400  a.c:12\n                      ... 1 more lines\n",
	};
	for (size_t i = 0; i < sizeof(want1) / sizeof(*want1); i++)
		if (!strstr(s, want1[i]))
			fail_msg("missing from the report: [%s]\n%s", want1[i], s);
	assert_null(strstr(s, "─"));
	cpu_result_free(r);

	/* a callee below 1% is left out without a "... more" line: 5 of 1005
	 * samples in leaf_b called straight from _start */
	uint32_t s_tiny = add_stack(p, 2, p->stacks[id.s_b].locs[0], p->stacks[id.s_b].locs[2]);
	add_samples(p, 5, s_tiny, 0, 2000 * MS, MS, false);
	sb_reset(&sb);
	o.limit = 10;
	r = analyze(p, NULL, NULL, 10);
	report_cpu_text(&sb, r, &o);
	s = sb_str(&sb);
	assert_non_null(strstr(s, "   100.0%    0.0%  _start (prog)\n    99.5%    0.0%  `- main (prog)\n"));
	assert_null(strstr(s, "more ("));
	cpu_result_free(r);

	/* workers, --threads, a thread selection, a filter, heap and warnings, colors */
	profile_free(p);
	p = fx_standard(true, &id);
	p->flags |= PROF_HEAP | PROF_INCOMPLETE;
	sb_reset(&sb);
	o = (struct cpu_report_options){ .limit = 10, .threads = true, .color = true,
					 .filter = "leaf", .thread = "worker" };
	r = analyze(p, "leaf", "worker", 10);
	report_cpu_text(&sb, r, &o);
	s = sb_str(&sb);
	if (getenv("SCORCH_TEST_DUMP"))
		fputs(s, stdout);
	assert_non_null(strchr(s, '\033'));
	static const char *const want2[] = {
		"warning: heap tracking was on:",
		"warning: INCOMPLETE profile:",
		"'worker'\033[0m: only the samples of 2 threads\n",
		"'leaf'\033[0m: the views count only samples whose stack matches (100 = 25.0%); percentages are of all 400 samples\n",
		", of 1,400 in the process\n",
		"Threads\033[0m\033[2m  (rate: ",
		"worker (101)",
		"worker (102)",
		"\033[36mrec\033[0m \033[2m(prog)\033[0m \033[2m(100.0% of the thread)",
	};
	for (size_t i = 0; i < sizeof(want2) / sizeof(*want2); i++)
		if (!strstr(s, want2[i]))
			fail_msg("missing from the report: [%s]\n%s", want2[i], s);
	cpu_result_free(r);

	/* no thread of that name */
	sb_reset(&sb);
	o = (struct cpu_report_options){ .limit = 10, .thread = "nope" };
	r = analyze(p, NULL, "nope", 10);
	report_cpu_text(&sb, r, &o);
	assert_non_null(strstr(sb.buf, "no thread matches 'nope'; threads: prog (100), worker (101), worker (102)\n"));
	cpu_result_free(r);
	sb_release(&sb);
	profile_free(p);
}

/* Brackets and braces balance outside strings. */
static void assert_balanced(const char *s)
{
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
	assert_false(str);
}

static void test_report_json(void **state)
{
	(void)state;
	struct ids id;
	struct sc_profile *p = fx_standard(true, &id);
	struct cpu_result *r = analyze(p, NULL, NULL, 3);
	struct cpu_report_options o = { .limit = 3, .file = "prog.4242.scorch" };

	/* inside the document, after the heap part of the same profile */
	struct heap_result *h;
	assert_int_equal(heap_analyze(p, NULL, &h), 0);
	struct report_json_doc d;
	struct report_options ho = { .sort = HEAP_SORT_BYTES, .limit = 3, .file = "prog.4242.scorch" };
	struct strbuf sb = STRBUF_INIT;
	report_json_init(&d, NULL, &sb);
	report_json_add(&d, h, &ho, r, &o);
	report_json_add(&d, h, &ho, NULL, NULL);   /* a second profile without CPU */
	assert_int_equal(report_json_finish(&d), 0);
	heap_result_free(h);
	const char *s = sb_str(&sb);
	if (getenv("SCORCH_TEST_DUMP"))
		fputs(s, stdout);
	assert_balanced(s);
	static const char *const want[] = {
		"\"timeline\": {",
		"\n      },\n      \"cpu\": {\n        \"options\": {\"limit\": 3, \"filter\": null, \"thread\": null},\n",
		"\"sampling\": {\"source\": \"perf cpu-clock\", \"wall\": false, \"requested_hz\": 1000, \"achieved_hz\": 1000, \"achieved_from\": \"cpu_time\", \"cpu_time_ns\": 1400000000, \"perf_refused\": null, \"oncpu_samples\": 1400, \"busiest_tid\": 100}",
		"\"all_samples\": 1400,\n",
		"\"samples\": 1400,\n          \"ns\": 1400000000,\n",
		"\"matched_samples\": 1400,",
		"\"threads_selected\": 3,\n",
		"\"functions_total\": 9,\n",
		"{\"function\": \"leaf_a\", \"function_short\": \"leaf_a\", \"module\": \"prog\", \"file\": \"a.c\", \"line\": 12, \"inlined\": false, \"self\": 600, \"self_ns\": 600000000, \"total\": 600, \"total_ns\": 600000000, \"self_offcpu\": 0, \"self_offcpu_ns\": 0, \"total_offcpu\": 0, \"total_offcpu_ns\": 0}",
		"{\"function\": \"_start\", \"function_short\": \"_start\", \"module\": \"prog\", \"file\": \"start.S\", \"line\": 1, \"inlined\": false, \"self\": 0, \"self_ns\": 0, \"total\": 1000,",
		"{\"function\": \"leaf_a\", \"function_short\": \"leaf_a\", \"module\": \"prog\", \"lines\": [\n"
		"            {\"file\": \"a.c\", \"line\": 12, \"self\": 500, \"self_ns\": 500000000},\n"
		"            {\"file\": \"a.c\", \"line\": 13, \"self\": 100, \"self_ns\": 100000000}\n"
		"          ]},\n",
		/* the trees are flat, in preorder: id, parent, depth */
		"\"tree\": [\n          {\"id\": 0, \"parent\": null, \"depth\": 0, \"function\": \"_start\", \"function_short\": \"_start\", \"module\": \"prog\", \"inlined\": false, \"self\": 0, \"self_ns\": 0, \"total\": 1000, \"total_ns\": 1000000000},\n"
		"          {\"id\": 1, \"parent\": 0, \"depth\": 1, \"function\": \"main\", \"function_short\": \"main\", \"module\": \"prog\", \"inlined\": false, \"self\": 0, \"self_ns\": 0, \"total\": 1000, \"total_ns\": 1000000000},\n",
		"          {\"id\": 4, \"parent\": 1, \"depth\": 2, \"function\": \"leaf_c\", \"function_short\": \"leaf_c\", \"module\": \"prog\", \"inlined\": false, \"self\": 0, \"self_ns\": 0, \"total\": 200, \"total_ns\": 200000000},\n"
		"          {\"id\": 5, \"parent\": 4, \"depth\": 3, \"function\": \"inl_c\", \"function_short\": \"inl_c\", \"module\": \"prog\", \"inlined\": true, \"self\": 200, \"self_ns\": 200000000, \"total\": 200, \"total_ns\": 200000000},\n"
		"          {\"id\": 6, \"parent\": null, \"depth\": 0, \"function\": \"clone3\",",
		"          {\"id\": 10, \"parent\": 9, \"depth\": 4, \"function\": \"rec\", \"function_short\": \"rec\", \"module\": \"prog\", \"inlined\": false, \"self\": 300,",
		"\"bottom_up\": [\n          {\"function\": \"leaf_a\", \"function_short\": \"leaf_a\", \"module\": \"prog\", \"file\": \"a.c\", \"line\": 12, \"inlined\": false, \"self\": 600, \"self_ns\": 600000000, \"callers\": [\n"
		"            {\"id\": 0, \"parent\": null, \"depth\": 0, \"function\": \"main\", \"function_short\": \"main\", \"module\": \"prog\", \"inlined\": false, \"samples\": 500, \"ns\": 500000000},\n"
		"            {\"id\": 1, \"parent\": 0, \"depth\": 1, \"function\": \"_start\", \"function_short\": \"_start\", \"module\": \"prog\", \"inlined\": false, \"samples\": 500, \"ns\": 500000000},\n"
		"            {\"id\": 2, \"parent\": null, \"depth\": 0, \"function\": \"rec\",",
		"{\"tid\": 100, \"name\": \"prog\", \"samples\": 1000, \"ns\": 1000000000, \"offcpu_samples\": 0, \"offcpu_ns\": 0, \"lifetime_ns\": 1000000000, \"first_sample_ns\": 0, \"last_sample_ns\": 999000000, \"achieved_hz\": 1000, \"top_function\": \"leaf_a\", \"top_function_short\": \"leaf_a\", \"top_module\": \"prog\", \"top_self\": 500, \"top_self_ns\": 500000000}",
		"{\"tid\": 101, \"name\": \"worker\", \"samples\": 300,",
		"\n    }\n  ],\n  \"errors\": []\n}\n",
	};
	for (size_t i = 0; i < sizeof(want) / sizeof(*want); i++)
		if (!strstr(s, want[i]))
			fail_msg("missing from the JSON: [%s]\n%s", want[i], s);
	/* one "cpu" member: the second profile has none */
	const char *c1 = strstr(s, "\"cpu\":");
	assert_non_null(c1);
	assert_null(strstr(c1 + 1, "\"cpu\":"));
	/* functions: top 3 by self and top 3 by total merged: leaf_a, leaf_b,
	 * rec, then _start and main by total */
	const char *fs = strstr(s, "\"functions\": [");
	const char *fe = strstr(fs, "\n        ],");
	assert_non_null(fe);
	size_t nf = 0;
	for (const char *q = fs; (q = strstr(q, "{\"function\"")) && q < fe; q++)
		nf++;
	assert_int_equal(nf, 5);
	/* bottom_up capped by the limit */
	const char *bs = strstr(s, "\"bottom_up\": [");
	assert_non_null(strstr(bs, "\n          {\"function\": \"rec\", \"function_short\": \"rec\", \"module\": \"prog\", \"file\""));
	assert_non_null(strstr(bs, "\n          {\"function\": \"leaf_b\", \"function_short\": \"leaf_b\", \"module\": \"prog\", \"file\""));
	assert_null(strstr(bs, "{\"function\": \"inl_c\", \"function_short\": \"inl_c\", \"module\": \"prog\", \"file\""));
	sb_release(&sb);

	/* standalone, with the 0.5% pruning: a 0.4% branch goes */
	struct sc_stack *sb_stack = &p->stacks[id.s_b];
	uint32_t s_tiny = add_stack(p, 2, sb_stack->locs[0], sb_stack->locs[2]);   /* leaf_b <- _start */
	add_samples(p, 6, s_tiny, 0, 0, MS, false);   /* 6 of 1406 = 0.43% */
	cpu_result_free(r);
	r = analyze(p, NULL, NULL, 3);
	sb_reset(&sb);
	report_cpu_json(&sb, r, &o, 0);
	s = sb_str(&sb);
	assert_balanced(s);
	assert_int_equal(s[0], '{');
	assert_null(strstr(s, "\"total\": 6,"));
	assert_non_null(strstr(s, "\"total\": 1006,"));   /* _start */
	sb_release(&sb);
	cpu_result_free(r);
	profile_free(p);
}

/* Through the file format and back: the views come out the same.
 * SCORCH_TEST_PROFILE_OUT=DIR also leaves the fixtures there as
 * DIR/prog.scorch and DIR/sleeper.scorch for trying the CLI on. */
static void test_roundtrip(void **state)
{
	(void)state;
	const char *dir = getenv("SCORCH_TEST_PROFILE_OUT");
	struct ids id;
	struct sc_profile *fx[2] = { fx_standard(true, &id), fx_wall() };
	const char *names[2] = { "prog.scorch", "sleeper.scorch" };
	for (int k = 0; k < 2; k++) {
		char path[4096];
		if (dir) {
			snprintf(path, sizeof(path), "%s/%s", dir, names[k]);
		} else {
			snprintf(path, sizeof(path), "/tmp/scorch-test-cpu-XXXXXX");
			int fd = mkstemp(path);
			assert_true(fd >= 0);
			close(fd);
		}
		assert_int_equal(profile_write(fx[k], path), 0);
		struct sc_profile *back;
		char err[512];
		if (profile_read(path, &back, err, sizeof(err)))
			fail_msg("%s", err);
		if (!dir)
			unlink(path);
		struct strbuf a = STRBUF_INIT, b = STRBUF_INIT;
		struct cpu_report_options o = { .limit = 10, .threads = true };
		struct cpu_result *ra = analyze(fx[k], NULL, NULL, 10), *rb = analyze(back, NULL, NULL, 10);
		report_cpu_text(&a, ra, &o);
		report_cpu_json(&a, ra, &o, 0);
		report_cpu_text(&b, rb, &o);
		report_cpu_json(&b, rb, &o, 0);
		if (strcmp(sb_str(&a), sb_str(&b)))
			fail_msg("the report changed through the file\n--- before\n%s--- after\n%s",
				 sb_str(&a), sb_str(&b));
		sb_release(&a);
		sb_release(&b);
		cpu_result_free(ra);
		cpu_result_free(rb);
		profile_free(back);
		profile_free(fx[k]);
	}
}

/* ---- scale ---- */

static void test_scale(void **state)
{
	(void)state;
	bool big = getenv("SCORCH_TEST_SCALE") != NULL;
	size_t nstacks = big ? 100000 : 2000, nsamples = big ? 1000000 : 20000;
	size_t nfuncs = 1000, depth = 24;
	/* 1000 functions, each at 4 addresses: locations 0..3999 */
	struct sc_profile *p = prof_new(nstacks + nfuncs * 4 + 1);
	int32_t m = add_module(p, "big", true, 0);
	for (int i = 0; i < 4; i++)
		add_thread(p, 1000 + (uint32_t)i, "t", 0, 0);
	char name[32];
	for (size_t i = 0; i < nfuncs * 4; i++) {
		snprintf(name, sizeof(name), "f%zu", i / 4);
		add_loc(p, 0x1000 + i, m, 1, name, "big.c", (unsigned)(i % 4));
	}
	uint64_t x = 88172645463325252ull;
	for (size_t s = 0; s < nstacks; s++) {
		struct sc_stack *st = &p->stacks[p->nstacks++];
		st->nlocs = (uint32_t)depth;
		st->locs = arena_alloc(&p->arena, depth * sizeof(*st->locs));
		for (size_t k = 0; k < depth; k++) {
			x ^= x << 13, x ^= x >> 7, x ^= x << 17;
			/* outer frames from few functions so the tree shares prefixes */
			size_t span = k + 1 >= depth - 4 ? 4 : nfuncs;
			st->locs[depth - 1 - k] = (uint32_t)((x % span) * 4 + (x >> 32) % 4);
		}
	}
	p->samples = xmalloc(nsamples * sizeof(*p->samples));
	for (size_t i = 0; i < nsamples; i++) {
		x ^= x << 13, x ^= x >> 7, x ^= x << 17;
		p->samples[i] = (struct sc_sample){ .time = i * 1000, .stack = (uint32_t)(1 + x % nstacks),
						    .weight = 1000, .thread = (uint16_t)(x >> 40) % 4 };
	}
	p->nsamples = nsamples;
	p->duration = nsamples * 1000;

	struct timespec a, b;
	clock_gettime(CLOCK_MONOTONIC, &a);
	struct cpu_result *r = analyze(p, NULL, NULL, 10);
	clock_gettime(CLOCK_MONOTONIC, &b);
	if (big)
		printf("cpu_analyze: %zu samples, %zu stacks, %zu tree nodes: %.3f s\n", nsamples,
		       nstacks, r->ntree, (double)(b.tv_sec - a.tv_sec) + (double)(b.tv_nsec - a.tv_nsec) / 1e9);
	/* invariants */
	assert_int_equal(r->t.total.samples, nsamples);
	uint64_t self = 0;
	for (size_t i = 0; i < r->nfuncs; i++) {
		self += r->funcs[i].self.samples;
		assert_true(r->funcs[i].total.samples <= nsamples);
	}
	assert_int_equal(self, nsamples);
	assert_int_equal(r->tree[0].total.samples, nsamples);
	uint64_t th = 0;
	for (size_t i = 0; i < r->nthreads; i++)
		th += r->threads[i].total.samples;
	assert_int_equal(th, nsamples);
	struct strbuf sb = STRBUF_INIT;
	struct cpu_report_options o = { .limit = 10, .threads = true };
	clock_gettime(CLOCK_MONOTONIC, &a);
	report_cpu_text(&sb, r, &o);
	report_cpu_json(&sb, r, &o, 0);
	clock_gettime(CLOCK_MONOTONIC, &b);
	if (big)
		printf("reports: %.3f s, %zu bytes\n",
		       (double)(b.tv_sec - a.tv_sec) + (double)(b.tv_nsec - a.tv_nsec) / 1e9, sb.len);
	sb_release(&sb);
	cpu_result_free(r);
	profile_free(p);
}

/* The function sequence of stack s, outermost frame first (innermost
 * first with inner), into f; returns its length. */
static size_t func_seq(const struct cpu_result *r, uint32_t s, bool inner, uint32_t *f, size_t cap)
{
	const struct sc_profile *p = r->p;
	const struct sc_stack *st = &p->stacks[s];
	size_t n = 0;
	for (uint32_t k = 0; k < st->nlocs; k++) {
		const struct sc_location *l = &p->locations[st->locs[k]];
		for (uint32_t j = 0; j < (l->nlines ? l->nlines : 1) && n < cap; j++) {
			const char *name = l->lines[j].func;
			size_t i = 0;
			while (i < r->nfuncs && (strcmp(r->funcs[i].name, name) || r->funcs[i].module != l->module))
				i++;
			assert_true(i < r->nfuncs);
			f[n++] = (uint32_t)i;
		}
	}
	if (!inner)
		for (size_t i = 0; i < n / 2; i++) {
			uint32_t x = f[i];
			f[i] = f[n - 1 - i];
			f[n - 1 - i] = x;
		}
	return n;
}

/* Checks every node of tree v below node 0 against the stacks: its total
 * is the samples of the stacks whose sequence starts with the node's path,
 * its self those of the stacks whose sequence is the path; siblings are
 * distinct functions; every sample is in node 0's total. */
static void check_tree(const struct cpu_result *r, const struct cpu_node *v, size_t nv, bool inner,
		       const bool *in)
{
	uint32_t path[64], seq[64];
	uint64_t all = 0;
	for (uint32_t s = 0; s < r->p->nstacks; s++)
		all += in[s] ? r->stacks[s].samples : 0;
	assert_int_equal(v[0].total.samples, all);
	for (size_t i = 1; i < nv; i++) {
		size_t d = 0;
		for (uint32_t at = (uint32_t)i; at; at = v[at].parent)
			path[d++] = v[at].func;
		for (size_t k = 0; k < d / 2; k++) {
			uint32_t x = path[k];
			path[k] = path[d - 1 - k];
			path[d - 1 - k] = x;
		}
		uint64_t total = 0, self = 0;
		for (uint32_t s = 0; s < r->p->nstacks; s++) {
			if (!in[s] || !r->stacks[s].samples)
				continue;
			size_t n = func_seq(r, s, inner, seq, 64);
			if (n >= d && !memcmp(seq, path, d * sizeof(*seq))) {
				total += r->stacks[s].samples;
				self += n == d ? r->stacks[s].samples : 0;
			}
		}
		assert_int_equal(v[i].total.samples, total);
		assert_int_equal(v[i].self.samples, self);
		assert_true(total > 0);
		for (uint32_t c = v[i].first_child; c != CPU_NONE; c = v[c].next_sibling)
			for (uint32_t e = v[c].next_sibling; e != CPU_NONE; e = v[e].next_sibling)
				assert_int_not_equal(v[c].func, v[e].func);
	}
}

/* Random stacks with recursion and inlined frames, the trees against the
 * brute force of check_tree(): the top-down one over every stack, the
 * bottom-up ones over the stacks of the hot functions. */
static void test_trees_random(void **state)
{
	(void)state;
	size_t nstacks = 300, nloc = 40;
	struct sc_profile *p = prof_new(nstacks + nloc + 1);
	int32_t m = add_module(p, "prog", true, 0);
	uint16_t th = add_thread(p, 100, "prog", 0, 0);
	char a[16], b[16];
	for (size_t i = 0; i < nloc; i++) {
		/* 12 functions, some locations with an inlined frame */
		snprintf(a, sizeof(a), "f%zu", i % 12);
		snprintf(b, sizeof(b), "f%zu", (i * 7 + 3) % 12);
		if (i % 5 == 0)
			add_loc(p, 0x1000 + i, m, 2, b, "x.c", 1u, a, "x.c", (unsigned)i);
		else
			add_loc(p, 0x1000 + i, m, 1, a, "x.c", (unsigned)i);
	}
	uint64_t x = 0x2545f4914f6cdd1dull, t = 0;
	for (size_t s = 0; s < nstacks; s++) {
		x ^= x << 13, x ^= x >> 7, x ^= x << 17;
		struct sc_stack *st = &p->stacks[p->nstacks];
		st->nlocs = 1 + (uint32_t)(x % 9);
		st->locs = arena_alloc(&p->arena, st->nlocs * sizeof(*st->locs));
		for (uint32_t k = 0; k < st->nlocs; k++) {
			x ^= x << 13, x ^= x >> 7, x ^= x << 17;
			/* outer frames from few locations: shared prefixes */
			st->locs[st->nlocs - 1 - k] = (uint32_t)(x % (k < 2 ? 3 : nloc));
		}
		uint32_t sid = (uint32_t)p->nstacks++;
		t = add_samples(p, 1 + (size_t)(x >> 40) % 5, sid, th, t, MS, false);
	}
	for (uint32_t limit = 0; limit <= 3; limit += 3) {
		struct cpu_result *r = analyze(p, NULL, NULL, limit);
		bool *in = xcalloc(p->nstacks, sizeof(*in));
		for (uint32_t s = 0; s < p->nstacks; s++)
			in[s] = true;
		check_tree(r, r->tree, r->ntree, false, in);
		/* hot: the top `limit` functions by self */
		uint32_t *idx = xmalloc(r->nfuncs * sizeof(*idx));
		size_t nhot = cpu_funcs_sorted(r, CPU_SORT_SELF, idx);
		if (limit && limit < nhot)
			nhot = limit;
		uint32_t seq[64];
		for (uint32_t s = 0; s < p->nstacks; s++) {
			in[s] = false;
			if (!p->stacks[s].nlocs)
				continue;
			func_seq(r, s, true, seq, 64);
			for (size_t i = 0; i < nhot; i++)
				in[s] |= idx[i] == seq[0];
		}
		check_tree(r, r->bu, r->nbu, true, in);
		size_t nroots = 0;
		for (uint32_t c = r->bu[0].first_child; c != CPU_NONE; c = r->bu[c].next_sibling) {
			assert_int_equal(r->bu[c].func, idx[nroots]);   /* hottest first */
			assert_int_equal(r->funcs[idx[nroots]].bottom_up, c);
			nroots++;
		}
		assert_int_equal(nroots, nhot);
		free(idx);
		free(in);
		cpu_result_free(r);
	}
	profile_free(p);
}

/* ---- annotation ---- */

/* Function f at 0x1000 (11 bytes of x86-64: push %rbp; mov %rsp,%rbp;
 * call f; nop; ret) with rows a.c:10, 11, 12, called from main at 0x2000.
 * Samples: 7 at the mov under main, 3 at the nop under main, 5 at the mov
 * under f's own call (f -> f), 2 at the nop under two calls from the same
 * call site (f -> f -> f). So per instruction: self mov 12, nop 5; total
 * mov 12, call 7 (each sample once, however often the site is on its
 * stack), nop 5. */
static const uint8_t f_code[] = { 0x55, 0x48, 0x89, 0xe5, 0xe8, 0xf7, 0xff, 0xff, 0xff, 0x90, 0xc3 };

static struct sc_profile *fx_annotate(void)
{
	struct sc_profile *p = prof_new(CAP);
	int32_t m = add_module(p, "prog", true, 0);
	uint16_t th = add_thread(p, 100, "prog", 0, 1000 * MS);
	uint32_t mov = add_loc(p, 0x1001, m, 1, "f", "/src/a.c", 10);
	uint32_t nop = add_loc(p, 0x1009, m, 1, "f", "/src/a.c", 12);
	uint32_t call = add_loc(p, 0x1008, m, 1, "f", "/src/a.c", 11);
	uint32_t mn = add_loc(p, 0x2000, m, 1, "main", "/src/m.c", 5);
	uint64_t t = 0;
	t = add_samples(p, 7, add_stack(p, 2, mov, mn), th, t, MS, false);
	t = add_samples(p, 3, add_stack(p, 2, nop, mn), th, t, MS, false);
	t = add_samples(p, 5, add_stack(p, 3, mov, call, mn), th, t, MS, false);
	add_samples(p, 2, add_stack(p, 4, nop, call, call, mn), th, t, MS, false);
	p->code_machine = 62;   /* EM_X86_64 */
	p->codes = arena_alloc(&p->arena, sizeof(*p->codes));
	p->ncodes = 1;
	struct sc_code *c = &p->codes[0];
	c->module = m;
	c->start = 0x1000;
	c->len = sizeof(f_code);
	c->bytes = f_code;
	c->name = "f";
	c->nrows = 4;
	c->rows = arena_alloc(&p->arena, 4 * sizeof(*c->rows));
	c->rows[0] = (struct sc_code_row){ 0x1000, "/src/a.c", 10 };
	c->rows[1] = (struct sc_code_row){ 0x1004, "/src/a.c", 11 };
	c->rows[2] = (struct sc_code_row){ 0x1009, "/src/a.c", 12 };
	c->rows[3] = (struct sc_code_row){ 0x100b, "", 0 };
	c->ntargets = 2;
	c->targets = arena_alloc(&p->arena, 2 * sizeof(*c->targets));
	c->targets[0] = (struct sc_code_target){ 0x800, "g@plt" };
	c->targets[1] = (struct sc_code_target){ 0x2004, "main+0x4" };
	static const char *lines[] = { "int f(void) {", "\tf();", "\treturn 0; /* <&> */" };
	p->sources = arena_alloc(&p->arena, sizeof(*p->sources));
	p->nsources = 1;
	p->sources[0] = (struct sc_source){ "/src/a.c", 10, 3, lines };
	return p;
}

static uint32_t func_named(const struct cpu_result *r, const char *name)
{
	for (size_t i = 0; i < r->nfuncs; i++)
		if (!strcmp(r->funcs[i].name, name))
			return (uint32_t)i;
	fail_msg("no function %s", name);
	return 0;
}

static void test_annotate_counts(void **state)
{
	(void)state;
	struct sc_profile *p = fx_annotate();
	struct cpu_result *r = analyze(p, NULL, NULL, 10);
	const struct cpu_func *f = &r->funcs[func_named(r, "f")];
	assert_ptr_equal(annot_code_of(p, f), &p->codes[0]);
	assert_null(annot_code_of(p, &r->funcs[func_named(r, "main")]));
	struct annot_counts ac;
	annot_counts_build(p, r, &p->codes[0], &ac);
	const uint64_t self[11] = { [1] = 12, [9] = 5 }, total[11] = { [1] = 12, [8] = 7, [9] = 5 };
	for (int i = 0; i < 11; i++) {
		if (ac.self[i].samples != self[i] || ac.total[i].samples != total[i])
			fail_msg("offset %d: self %llu total %llu, expected %llu %llu", i,
				 (unsigned long long)ac.self[i].samples, (unsigned long long)ac.total[i].samples,
				 (unsigned long long)self[i], (unsigned long long)total[i]);
		assert_int_equal(ac.self[i].ns, self[i] * MS);
	}
	assert_int_equal(ac.sum_self.samples, 17);
	assert_int_equal(f->self.samples, 17);
	annot_counts_release(&ac);
	/* one thread only: none of these samples are on thread 7 */
	struct cpu_result *r7 = analyze(p, NULL, "7", 10);
	annot_counts_build(p, r7, &p->codes[0], &ac);
	assert_int_equal(ac.sum_self.samples, 0);
	annot_counts_release(&ac);
	cpu_result_free(r7);
	/* lookups */
	assert_int_equal(code_find(p, 0, 0x1000), 0);
	assert_int_equal(code_find(p, 0, 0x100a), 0);
	assert_int_equal(code_find(p, 0, 0x100b), -1);
	assert_int_equal(code_find(p, 0, 0xfff), -1);
	assert_int_equal(code_find(p, 1, 0x1001), -1);
	assert_string_equal(source_line(p, "/src/a.c", 11), "\tf();");
	assert_null(source_line(p, "/src/a.c", 9));
	assert_null(source_line(p, "/src/a.c", 13));
	assert_null(source_line(p, "/src/b.c", 10));
	cpu_result_free(r);
	profile_free(p);
}

/* Annotates function fi of r with options o and fails unless the output
 * holds every string of want[0..n). */
static void expect_annotation(const struct sc_profile *p, const struct cpu_result *r, uint32_t fi,
			      const struct annotate_options *o, const char *const *want, size_t n)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *mf = open_memstream(&buf, &len);
	assert_non_null(mf);
	assert_int_equal(annotate_write(mf, p, r, &fi, 1, o), 0);
	fclose(mf);
	for (size_t i = 0; i < n; i++)
		if (!strstr(buf, want[i]))
			fail_msg("the annotation lacks '%s':\n%s", want[i], buf);
	free(buf);
}

/* The views, as JSON and text, through the file format and back. */
static void test_annotate_views(void **state)
{
	(void)state;
	struct sc_profile *fx = fx_annotate();
	char path[64];
	snprintf(path, sizeof(path), "/tmp/scorch-test-annot-XXXXXX");
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(profile_write(fx, path), 0);
	struct sc_profile *p;
	char err[512];
	if (profile_read(path, &p, err, sizeof(err)))
		fail_msg("%s", err);
	assert_int_equal(p->ncodes, 1);
	assert_int_equal(p->code_machine, 62);
	assert_memory_equal(p->codes[0].bytes, f_code, sizeof(f_code));
	assert_int_equal(p->codes[0].nrows, 4);
	assert_int_equal(p->codes[0].rows[2].addr, 0x1009);
	assert_int_equal(p->codes[0].rows[2].line, 12);
	assert_string_equal(source_line(p, "/src/a.c", 12), "\treturn 0; /* <&> */");
	assert_int_equal(p->codes[0].ntargets, 2);
	assert_int_equal(p->codes[0].targets[0].addr, 0x800);     /* before the code: a negative delta */
	assert_string_equal(p->codes[0].targets[0].name, "g@plt");
	assert_int_equal(p->codes[0].targets[1].addr, 0x2004);
	assert_string_equal(p->codes[0].targets[1].name, "main+0x4");

	struct cpu_result *r = analyze(p, NULL, NULL, 10);
	uint32_t fi = func_named(r, "f");
	struct annotate_options o = { .file = "x.scorch", .source = true, .assembly = true, .json = true };
	static const char *const want[] = {
		"\"name\":\"f\"",
		"\"self\":{\"samples\":17,\"ns\":17000000}",
		"{\"file\":\"/src/a.c\",\"line\":10,\"text\":\"int f(void) {\",\"self\":{\"samples\":12,\"ns\":12000000},"
		"\"total\":{\"samples\":12,\"ns\":12000000}}",
		"{\"addr\":4097,\"bytes\":\"4889e5\",\"asm\":\"movq %rsp, %rbp\",\"file\":\"/src/a.c\",\"line\":10,"
		"\"self\":{\"samples\":12,\"ns\":12000000},\"total\":{\"samples\":12,\"ns\":12000000}}",
		"{\"addr\":4100,\"bytes\":\"e8f7ffffff\",\"asm\":\"callq 0x1000\",\"target\":\"+0\",\"file\":\"/src/a.c\","
		"\"line\":11,\"self\":{\"samples\":0,\"ns\":0},\"total\":{\"samples\":7,\"ns\":7000000}}",
		"{\"addr\":4105,\"bytes\":\"90\",\"asm\":\"nop\",\"file\":\"/src/a.c\",\"line\":12,"
		"\"self\":{\"samples\":5,\"ns\":5000000},\"total\":{\"samples\":5,\"ns\":5000000}}",
		"\"text\":\"\\treturn 0; /* <&> */\"",
	};
	expect_annotation(p, r, fi, &o, want, sizeof(want) / sizeof(*want));

	/* text, Intel syntax, the source gone from the profile and the disk */
	p->nsources = 0;
	o.json = false;
	o.intel = true;
	static const char *const want_text[] = {
		"  self 100.0% (17 samples), total 100.0% (17 samples)\n",
		"   70.6%   70.6%     10  \n",
		"(the source is not in the profile and cannot be read here)",
		"   70.6%   70.6%      1001:  mov     rbp, rsp\n",
		"            41.2%      1004:  call    0x1000 <+0>\n",
		"   29.4%   29.4%      1009:  nop     \n",
	};
	expect_annotation(p, r, fi, &o, want_text, sizeof(want_text) / sizeof(*want_text));
	cpu_result_free(r);
	profile_free(p);

	/* a damaged code section is refused: codes overlapping */
	struct sc_code two[2] = { fx->codes[0], fx->codes[0] };
	two[1].start += 4;
	fx->codes = two;
	fx->ncodes = 2;
	assert_int_equal(profile_write(fx, path), 0);
	assert_int_equal(profile_read(path, &p, err, sizeof(err)), -1);
	if (!strstr(err, "bad code section"))
		fail_msg("%s", err);
	/* a row past the end of its code */
	fx->ncodes = 1;
	two[0].rows[3].addr = 0x100c;
	assert_int_equal(profile_write(fx, path), 0);
	assert_int_equal(profile_read(path, &p, err, sizeof(err)), -1);
	if (!strstr(err, "bad code section"))
		fail_msg("%s", err);
	two[0].rows[3].addr = 0x100b;
	/* branch targets out of order */
	struct sc_code_target t2[2] = { two[0].targets[1], two[0].targets[0] };
	two[0].targets = t2;
	assert_int_equal(profile_write(fx, path), 0);
	assert_int_equal(profile_read(path, &p, err, sizeof(err)), -1);
	if (!strstr(err, "bad code section"))
		fail_msg("%s", err);
	two[0].ntargets = 0;
	/* source excerpts out of order */
	struct sc_source srcs[2] = { fx->sources[0], fx->sources[0] };
	srcs[1].first = 11;
	fx->sources = srcs;
	fx->nsources = 2;
	assert_int_equal(profile_write(fx, path), 0);
	assert_int_equal(profile_read(path, &p, err, sizeof(err)), -1);
	if (!strstr(err, "bad sources section"))
		fail_msg("%s", err);
	unlink(path);
	profile_free(fx);
}

/* Bytes that are no instruction (0x06 is invalid in 64-bit mode) run to the
 * next address known to start one: a line row, or a sampled instruction. */
static void test_annotate_undecodable(void **state)
{
	(void)state;
	struct sc_profile *p = fx_annotate();
	static const uint8_t bad[] = { 0x55, 0x06, 0x06, 0x06, 0x90, 0x06, 0x06, 0x90, 0x06, 0x90, 0xc3 };
	p->codes[0].bytes = bad;
	/* rows at 0x1000, 0x1004 (the first nop); the sample at 0x1009 (the
	 * last nop) is the other boundary; 0x1001 (a sample too) starts the
	 * first run */
	p->codes[0].rows[1].addr = 0x1004;
	p->codes[0].rows[2].addr = 0x100a;
	struct cpu_result *r = analyze(p, NULL, NULL, 10);
	uint32_t fi = func_named(r, "f");
	struct annotate_options o = { .file = "x.scorch", .assembly = true };
	static const char *const want[] = {
		"      1001:  .byte   0x06,0x06,0x06\n",
		"      1004:  nop     \n",
		/* up to the sampled nop: the nop between cannot be told from
		 * data, and the call site's samples inside are summed */
		"            41.2%      1005:  .byte   0x06,0x06,0x90,0x06\n",
		"   29.4%   29.4%      1009:  nop     \n",
		"      100a:  retq    \n",
	};
	expect_annotation(p, r, fi, &o, want, sizeof(want) / sizeof(*want));
	cpu_result_free(r);
	profile_free(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_split),
		cmocka_unit_test(test_recursion),
		cmocka_unit_test(test_inline),
		cmocka_unit_test(test_tree),
		cmocka_unit_test(test_bottom_up),
		cmocka_unit_test(test_trees_random),
		cmocka_unit_test(test_threads),
		cmocka_unit_test(test_thread_selection),
		cmocka_unit_test(test_filter),
		cmocka_unit_test(test_offcpu),
		cmocka_unit_test(test_edges),
		cmocka_unit_test(test_folded),
		cmocka_unit_test(test_weights),
		cmocka_unit_test(test_report_text),
		cmocka_unit_test(test_report_json),
		cmocka_unit_test(test_roundtrip),
		cmocka_unit_test(test_annotate_counts),
		cmocka_unit_test(test_annotate_views),
		cmocka_unit_test(test_annotate_undecodable),
		cmocka_unit_test(test_scale),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
