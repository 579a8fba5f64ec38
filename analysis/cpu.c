/* CPU analysis: folds a profile's samples into per-stack counts first (one
 * pass, no hashing), then walks each distinct stack once for the functions,
 * lines and the top-down tree, and each stack of a hot function once more
 * for the bottom-up trees. Functions, frames and both trees are the stack
 * model's (analysis/stacktrie.h, keyed by function): the top-down tree under
 * its root 0, the inverted trees of the hottest functions under a second
 * root; frame -> line is cached per (location, line). */
#include "cpu.h"
#include "filter.h"

#include <errno.h>
#include <regex.h>
#include <stdlib.h>
#include <string.h>

#include "../lib/die.h"
#include "../lib/hashmap.h"
#include "../lib/strbuf.h"
#include "../lib/vec.h"
#include "heap.h"
#include "stacktrie.h"

#define NONE CPU_NONE

/* Per stack id: the selected samples folded together. */
struct stack_acc {
	struct cpu_count all, off;
};

/* Per (thread, stack) pair, for each thread's hottest function. */
struct pair_acc {
	uint32_t thread, stack;
	struct cpu_count c;
};

struct an {
	const struct sc_profile *p;
	struct cpu_result *r;
	struct stacktrie *st;       /* r->st */
	VEC(struct cpu_func) funcs; /* per function of st, as many as it has */
	VEC(struct cpu_line) lines;
	/* interning of lines: open addressing of index + 1 (0 = empty) */
	uint32_t *ltab;
	uint64_t *lhash;
	size_t lcap;
	uint32_t *fr_line;          /* per (location, line) slot of st: line id, NONE until seen */
	/* filter */
	struct stack_filter flt;
	/* "counted once per stack" stamps, per function */
	uint32_t *fseen;
	uint32_t gen;
	/* frames of the current stack and their lines, innermost first */
	VEC(uint32_t) fr;
	VEC(uint32_t) frl;
	uint32_t nostack;           /* the "[no stack]" function */
};

static bool line_known(const struct sc_line *ln)
{
	return ln && ln->func && ln->func[0] && strcmp(ln->func, "??") != 0;
}

static void add_count(struct cpu_count *c, const struct cpu_count *x)
{
	c->samples += x->samples;
	c->ns += x->ns;
}

/* ---- lines ---- */

static void tab_grow(uint32_t **tab, uint64_t **hs, size_t *cap)
{
	size_t ncap = *cap ? *cap * 2 : 1024;
	uint32_t *nt = xcalloc(ncap, sizeof(*nt));
	uint64_t *nh = xcalloc(ncap, sizeof(*nh));
	for (size_t i = 0; i < *cap; i++) {
		if (!(*tab)[i])
			continue;
		size_t j = (*hs)[i] & (ncap - 1);
		while (nt[j])
			j = (j + 1) & (ncap - 1);
		nt[j] = (*tab)[i];
		nh[j] = (*hs)[i];
	}
	free(*tab);
	free(*hs);
	*tab = nt;
	*hs = nh;
	*cap = ncap;
}

static uint32_t intern_line(struct an *a, uint32_t func, const char *file, uint32_t line)
{
	if ((a->lines.len + 1) * 2 > a->lcap)
		tab_grow(&a->ltab, &a->lhash, &a->lcap);
	uint64_t h = hash_u64(hash_bytes(file, strlen(file), func) ^ ((uint64_t)line << 32 | func));
	size_t i = h & (a->lcap - 1);
	while (a->ltab[i]) {
		const struct cpu_line *l = &a->lines.data[a->ltab[i] - 1];
		if (a->lhash[i] == h && l->func == func && l->line == line && !strcmp(l->file, file))
			return a->ltab[i] - 1;
		i = (i + 1) & (a->lcap - 1);
	}
	struct cpu_line l;
	memset(&l, 0, sizeof(l));
	l.func = func;
	l.file = file;
	l.line = line;
	VEC_PUSH(&a->lines, l);
	a->ltab[i] = (uint32_t)a->lines.len;
	a->lhash[i] = h;
	return (uint32_t)a->lines.len - 1;
}

/* One cpu_func (and "seen" stamp) per function of the stack model. */
static void funcs_sync(struct an *a)
{
	size_t n = a->st->funcs.len, old = a->funcs.len;
	if (n <= old)
		return;
	VEC_RESERVE(&a->funcs, n - old);
	memset(a->funcs.data + old, 0, (n - old) * sizeof(*a->funcs.data));
	for (size_t i = old; i < n; i++) {
		a->funcs.data[i].file = "";
		a->funcs.data[i].bottom_up = NONE;
	}
	a->funcs.len = n;
	a->fseen = xrealloc(a->fseen, n * sizeof(*a->fseen));
	memset(a->fseen + old, 0, (n - old) * sizeof(*a->fseen));
}

/* Fills a->fr and a->frl with the frames of stack s and their lines,
 * innermost first. */
static void stack_frames(struct an *a, uint32_t s)
{
	const struct sc_profile *p = a->p;
	struct stacktrie *st = a->st;
	const struct sc_stack *sk = &p->stacks[s];
	a->fr.len = a->frl.len = 0;
	for (uint32_t k = 0; k < sk->nlocs; k++) {
		uint32_t loc = sk->locs[k];
		if (loc >= p->nlocations)
			continue;
		const struct sc_location *l = &p->locations[loc];
		uint32_t n = l->nlines ? l->nlines : 1;
		VEC_RESERVE(&a->fr, n);
		VEC_RESERVE(&a->frl, n);
		for (uint32_t j = 0; j < n; j++) {
			uint32_t fr = stacktrie_loc_frame(st, loc, j);
			uint32_t *ls = &a->fr_line[st->loc_base[loc] + j];
			if (*ls == NONE) {
				const struct sc_line *ln = l->nlines ? &l->lines[j] : NULL;
				bool known = line_known(ln);
				funcs_sync(a);
				*ls = intern_line(a, st->frames.data[fr].func,
						  known && ln->file ? ln->file : "", known ? ln->line : 0);
			}
			a->fr.data[a->fr.len++] = fr;
			a->frl.data[a->frl.len++] = *ls;
		}
	}
	funcs_sync(a);
}

/* ---- filter ---- */

static bool stack_matches(struct an *a, uint32_t s)
{
	return stack_filter_stack(&a->flt, &a->p->stacks[s]);
}

/* ---- threads ---- */

bool cpu_thread_matches(const struct sc_profile *p, uint32_t thread, const char *sel)
{
	if (!sel)
		return true;
	if (thread >= p->nthreads)
		return false;
	const struct sc_thread *t = &p->threads[thread];
	if (t->name && !strcmp(t->name, sel))
		return true;
	if (!*sel || strspn(sel, "0123456789") != strlen(sel) || strlen(sel) > 10)
		return false;
	return strtoull(sel, NULL, 10) == t->tid;
}

/* ---- trees ----
 * Both trees are the stack model's trie: here its nodes become cpu_nodes
 * with their counts, children in display order. */

static int cmp_u64_desc(uint64_t a, uint64_t b)
{
	return a < b ? 1 : a > b ? -1 : 0;
}

/* More CPU time first, then more samples: samples may weigh differently
 * (CPU-time timers at the tick, an import of perf's frequency mode, on- and
 * off-CPU samples of a wall profile), and time is what a share is of. */
static int cmp_count_desc(const struct cpu_count *a, const struct cpu_count *b)
{
	int r = cmp_u64_desc(a->ns, b->ns);
	return r ? r : cmp_u64_desc(a->samples, b->samples);
}

static int cmp_funcs_by_name(const struct cpu_func *x, const struct cpu_func *y)
{
	int r = strcmp(x->name, y->name);
	if (!r)
		r = x->module < y->module ? -1 : x->module > y->module;
	return r;
}

/* The nodes [first, end) of the trie (one tree: its root first, parents
 * before children) as cpu_nodes, each with the counts of the stacks that
 * end at it (leaf[s], NONE for none) as self and of those that pass
 * through it as total. */
static struct cpu_node *tree_nodes(const struct stacktrie *st, uint32_t first, uint32_t end,
				   const uint32_t *leaf, const struct cpu_count *counts, size_t nstacks)
{
	size_t n = end - first;
	struct cpu_node *v = xcalloc(n ? n : 1, sizeof(*v));
	for (size_t i = 0; i < n; i++) {
		const struct stacktrie_node *t = &st->nodes.data[first + i];
		struct cpu_node *x = &v[i];
		x->func = t->frame == STACKTRIE_NONE ? NONE : st->frames.data[t->frame].func;
		x->parent = i ? t->parent - first : NONE;
		x->first_child = t->child == STACKTRIE_NONE ? NONE : t->child - first;
		x->next_sibling = !i || t->next == STACKTRIE_NONE ? NONE : t->next - first;
	}
	for (size_t s = 0; s < nstacks; s++)
		if (leaf[s] != NONE)
			add_count(&v[leaf[s] - first].self, &counts[s]);
	for (size_t i = 0; i < n; i++)
		v[i].total = v[i].self;
	for (size_t i = n; i-- > 1;)
		add_count(&v[v[i].parent].total, &v[i].total);
	return v;
}

struct child_ctx {
	const struct cpu_node *nodes;
	const struct cpu_func *funcs;
	const uint32_t *rank;       /* non-NULL: order by it instead */
};

static int cmp_children(const void *a, const void *b, void *arg)
{
	const struct child_ctx *c = arg;
	uint32_t i = *(const uint32_t *)a, j = *(const uint32_t *)b;
	const struct cpu_node *x = &c->nodes[i], *y = &c->nodes[j];
	if (c->rank)
		return c->rank[x->func] < c->rank[y->func] ? -1 : c->rank[x->func] > c->rank[y->func];
	int r = cmp_count_desc(&x->total, &y->total);
	if (!r)
		r = cmp_funcs_by_name(&c->funcs[x->func], &c->funcs[y->func]);
	if (!r)
		r = i < j ? -1 : i > j;
	return r;
}

/* Puts every node's children in display order: most total first, then by
 * name; node 0's children by root_rank[func] when it is given. */
static void sort_children(struct cpu_node *nodes, size_t n, const struct cpu_func *funcs,
			  const uint32_t *root_rank)
{
	VEC(uint32_t) kids = { 0 };
	for (size_t p = 0; p < n; p++) {
		uint32_t first = nodes[p].first_child;
		if (first == NONE || nodes[first].next_sibling == NONE)
			continue;
		kids.len = 0;
		for (uint32_t c = first; c != NONE; c = nodes[c].next_sibling)
			VEC_PUSH(&kids, c);
		struct child_ctx ctx = { nodes, funcs, p == 0 ? root_rank : NULL };
		qsort_r(kids.data, kids.len, sizeof(*kids.data), cmp_children, &ctx);
		for (size_t k = 0; k < kids.len; k++)
			nodes[kids.data[k]].next_sibling = k + 1 < kids.len ? kids.data[k + 1] : NONE;
		nodes[p].first_child = kids.data[0];
	}
	VEC_FREE(&kids);
}

/* ---- sorting functions ---- */

static const struct cpu_count *func_key(const struct cpu_func *f, enum cpu_sort k)
{
	switch (k) {
	case CPU_SORT_TOTAL: return &f->total;
	case CPU_SORT_OFFCPU: return &f->self_off;
	case CPU_SORT_SELF: default: return &f->self;
	}
}

struct fsort_ctx {
	const struct cpu_func *funcs;
	enum cpu_sort key;
};

static int cmp_funcs(const void *a, const void *b, void *arg)
{
	const struct fsort_ctx *c = arg;
	uint32_t i = *(const uint32_t *)a, j = *(const uint32_t *)b;
	const struct cpu_func *x = &c->funcs[i], *y = &c->funcs[j];
	int r = cmp_count_desc(func_key(x, c->key), func_key(y, c->key));
	if (!r && c->key == CPU_SORT_TOTAL)
		r = cmp_count_desc(&x->self, &y->self);
	if (!r && c->key != CPU_SORT_TOTAL)
		r = cmp_count_desc(&x->total, &y->total);
	if (!r)
		r = cmp_funcs_by_name(x, y);
	if (!r)
		r = i < j ? -1 : i > j;
	return r;
}

size_t cpu_funcs_sorted(const struct cpu_result *r, enum cpu_sort key, uint32_t *idx)
{
	size_t n = 0;
	for (size_t i = 0; i < r->nfuncs; i++)
		if (func_key(&r->funcs[i], key)->samples)
			idx[n++] = (uint32_t)i;
	struct fsort_ctx c = { r->funcs, key };
	qsort_r(idx, n, sizeof(*idx), cmp_funcs, &c);
	return n;
}

/* ---- lines ---- */

static int cmp_lines(const void *a, const void *b)
{
	const struct cpu_line *x = a, *y = b;
	if (x->func != y->func)
		return x->func < y->func ? -1 : 1;
	int r = cmp_count_desc(&x->self, &y->self);
	if (!r)
		r = cmp_count_desc(&x->total, &y->total);
	if (!r)
		r = strcmp(x->file, y->file);
	if (!r)
		r = x->line < y->line ? -1 : x->line > y->line;
	return r;
}

/* Sorts the lines by function, links each function to its range and picks
 * its representative position. */
static void finish_lines(struct an *a)
{
	struct cpu_line *l = a->lines.data;
	size_t n = a->lines.len;
	qsort(l, n, sizeof(*l), cmp_lines);
	for (size_t i = 0; i < n;) {
		size_t j = i;
		while (j < n && l[j].func == l[i].func)
			j++;
		struct cpu_func *f = &a->funcs.data[l[i].func];
		f->first_line = (uint32_t)i;
		f->nlines = (uint32_t)(j - i);
		size_t best = i;
		if (!l[i].self.samples)
			for (size_t k = i + 1; k < j; k++)
				if (cmp_count_desc(&l[k].total, &l[best].total) < 0)
					best = k;
		f->file = l[best].file;
		f->line = l[best].line;
		i = j;
	}
}

/* ---- the analysis ---- */

static void thread_rates(struct an *a, struct cpu_thread *t)
{
	const struct sc_profile *p = a->p;
	if (t->thread == NONE)
		return;
	const struct sc_thread *th = &p->threads[t->thread];
	uint64_t end = th->end;
	if (!end || end < th->start)
		end = p->duration;
	t->lifetime = end > th->start ? end - th->start : 0;
	/* n samples span n - 1 intervals: the rate while it was being sampled,
	 * blind to start-up before the first and exit after the last */
	if (t->total.samples >= 2 && t->last > t->first)
		t->achieved_hz = (double)(t->total.samples - 1) * 1e9 / (double)(t->last - t->first);
}

static int cmp_threads(const void *a, const void *b, void *arg)
{
	const struct sc_profile *p = arg;
	const struct cpu_thread *x = a, *y = b;
	int r = cmp_count_desc(&x->total, &y->total);
	if (!r) {
		uint64_t tx = x->thread == NONE ? UINT64_MAX : p->threads[x->thread].tid;
		uint64_t ty = y->thread == NONE ? UINT64_MAX : p->threads[y->thread].tid;
		r = tx < ty ? -1 : tx > ty;
	}
	if (!r)
		r = x->thread < y->thread ? -1 : x->thread > y->thread;
	return r;
}

/* Per selected thread: its samples and its hottest function (by self). */
static void build_threads(struct an *a, const uint8_t *sel, const struct cpu_count *per_thread,
			  const struct cpu_count *per_thread_off, const uint64_t *span,
			  const struct pair_acc *pairs, size_t npairs, const uint32_t *stack_self)
{
	const struct sc_profile *p = a->p;
	struct cpu_result *r = a->r;
	size_t nt = p->nthreads + 1;   /* the last slot: samples of an unknown thread */
	uint32_t *slot = xmalloc(nt * sizeof(*slot));
	size_t n = 0;
	for (size_t i = 0; i < nt; i++) {
		slot[i] = NONE;
		if (sel[i] && per_thread[i].samples)
			slot[i] = (uint32_t)n++;
	}
	r->threads = xcalloc(n ? n : 1, sizeof(*r->threads));
	r->nthreads = n;
	for (size_t i = 0; i < nt; i++) {
		if (slot[i] == NONE)
			continue;
		struct cpu_thread *t = &r->threads[slot[i]];
		t->thread = i < p->nthreads ? (uint32_t)i : NONE;
		t->total = per_thread[i];
		t->offcpu = per_thread_off[i];
		t->first = span[2 * i];
		t->last = span[2 * i + 1];
		t->top_func = NONE;
		thread_rates(a, t);
	}
	/* (thread, function) self counts, then the maximum per thread */
	struct u64map m;
	u64map_init(&m, npairs);
	VEC(struct pair_acc) tf = { 0 };
	for (size_t i = 0; i < npairs; i++) {
		uint32_t f = stack_self[pairs[i].stack];
		bool isnew;
		uint64_t *v = u64map_put(&m, (uint64_t)pairs[i].thread << 32 | f, &isnew);
		if (isnew) {
			struct pair_acc x = { pairs[i].thread, f, { 0, 0 } };
			VEC_PUSH(&tf, x);
			*v = tf.len - 1;
		}
		add_count(&tf.data[*v].c, &pairs[i].c);
	}
	for (size_t i = 0; i < tf.len; i++) {
		const struct pair_acc *x = &tf.data[i];
		struct cpu_thread *t = &r->threads[slot[x->thread]];
		int c = t->top_func == NONE ? -1 : cmp_count_desc(&x->c, &t->top_self);
		if (!c)
			c = cmp_funcs_by_name(&a->funcs.data[x->stack], &a->funcs.data[t->top_func]);
		if (c < 0) {
			t->top_func = x->stack;
			t->top_self = x->c;
		}
	}
	VEC_FREE(&tf);
	u64map_release(&m);
	free(slot);
	qsort_r(r->threads, r->nthreads, sizeof(*r->threads), cmp_threads, (void *)p);
}

int cpu_analyze(const struct sc_profile *p, const struct cpu_options *o,
		struct cpu_result **out)
{
	static const struct cpu_options defaults;
	if (!o)
		o = &defaults;
	*out = NULL;

	struct an a;
	memset(&a, 0, sizeof(a));
	a.p = p;
	if (stack_filter_init(&a.flt, p, o->filter) != 0)
		return -EINVAL;
	struct cpu_result *r = xcalloc(1, sizeof(*r));
	a.r = r;
	r->p = p;
	r->filtered = a.flt.on;
	r->thread_selected = o->thread != NULL;
	r->wall = (p->flags & PROF_WALL) != 0;
	struct cpu_totals *t = &r->t;
	t->busiest = NONE;
	t->all_samples = p->nsamples;

	/* selected threads; slot nthreads stands for an out-of-range index */
	size_t nt = p->nthreads + 1;
	uint8_t *sel = xcalloc(nt, 1);
	for (size_t i = 0; i < p->nthreads; i++)
		if ((sel[i] = cpu_thread_matches(p, (uint32_t)i, o->thread)))
			t->threads_selected++;
	sel[p->nthreads] = !o->thread;

	/* fold the samples per stack, per thread and per (thread, stack) */
	size_t nstacks = p->nstacks ? p->nstacks : 1;
	struct stack_acc *acc = xcalloc(nstacks, sizeof(*acc));
	struct cpu_count *per_thread = xcalloc(nt, sizeof(*per_thread));
	struct cpu_count *per_thread_off = xcalloc(nt, sizeof(*per_thread_off));
	uint64_t *span = xcalloc(2 * nt, sizeof(*span));   /* first, last sample time */
	VEC(struct pair_acc) pairs = { 0 };
	struct u64map pmap;
	u64map_init(&pmap, 1024);
	uint64_t last_key = UINT64_MAX, last_pair = 0;
	for (size_t i = 0; i < p->nsamples; i++) {
		const struct sc_sample *x = &p->samples[i];
		size_t th = x->thread < p->nthreads ? x->thread : p->nthreads;
		t->oncpu_all += !x->offcpu;
		if (!sel[th])
			continue;
		if (!per_thread[th].samples || x->time < span[2 * th])
			span[2 * th] = x->time;
		if (x->time > span[2 * th + 1])
			span[2 * th + 1] = x->time;
		uint32_t s = x->stack < p->nstacks ? x->stack : 0;
		struct cpu_count c = { 1, x->weight };
		add_count(&acc[s].all, &c);
		add_count(&per_thread[th], &c);
		if (x->offcpu) {
			add_count(&acc[s].off, &c);
			add_count(&per_thread_off[th], &c);
		}
		uint64_t key = (uint64_t)th << 32 | s;
		if (key != last_key) {
			bool isnew;
			uint64_t *v = u64map_put(&pmap, key, &isnew);
			if (isnew) {
				struct pair_acc pa = { (uint32_t)th, s, { 0, 0 } };
				VEC_PUSH(&pairs, pa);
				*v = pairs.len - 1;
			}
			last_key = key;
			last_pair = *v;
		}
		add_count(&pairs.data[last_pair].c, &c);
	}
	u64map_release(&pmap);

	/* the stack model, keyed by function; "[no stack]" is function 0 and
	 * its line line 0 */
	struct stacktrie *st = r->st = xmalloc(sizeof(*r->st));
	stacktrie_init_funcs(st, p);
	a.st = st;
	size_t nslots = st->loc_base[p->nlocations];
	a.fr_line = xmalloc((nslots + 1) * sizeof(*a.fr_line));
	memset(a.fr_line, 0xff, (nslots + 1) * sizeof(*a.fr_line));
	uint32_t noframe = stacktrie_noframe(st);
	a.nostack = st->frames.data[noframe].func;
	funcs_sync(&a);
	intern_line(&a, a.nostack, "", 0);
	struct stacktrie_path cur = { 0 };
	uint32_t *leaf = xmalloc(nstacks * sizeof(*leaf));

	/* one walk per distinct stack: functions, lines, the top-down tree. In
	 * location order, neighbours in the trie one after the other: a trie
	 * lookup only where a path leaves the one before */
	r->stacks = xcalloc(nstacks, sizeof(*r->stacks));
	uint32_t *stack_self = xmalloc(nstacks * sizeof(*stack_self));
	uint32_t *order = xmalloc(nstacks * sizeof(*order));
	size_t norder = 0;
	for (size_t s = 0; s < nstacks; s++) {
		stack_self[s] = leaf[s] = NONE;
		if (s < p->nstacks && acc[s].all.samples)
			order[norder++] = (uint32_t)s;
	}
	stacktrie_sort_stacks(st, order, norder, false);
	if (nstacks > p->nstacks && acc[0].all.samples)
		order[norder++] = 0;   /* samples without a stack table */
	VEC(uint32_t) path = { 0 };
	for (size_t oi = 0; oi < norder; oi++) {
		uint32_t s = order[oi];
		const struct stack_acc *sa = &acc[s];
		add_count(&t->total, &sa->all);
		add_count(&t->offcpu, &sa->off);
		a.fr.len = 0;
		if (s < p->nstacks)
			stack_frames(&a, (uint32_t)s);
		bool empty = !a.fr.len;
		stack_self[s] = empty ? a.nostack : st->frames.data[a.fr.data[0]].func;
		if (empty ? a.flt.on : !stack_matches(&a, (uint32_t)s))
			continue;
		r->stacks[s] = sa->all;
		add_count(&t->matched, &sa->all);
		add_count(&t->matched_offcpu, &sa->off);
		if (empty) {
			t->no_stack += sa->all.samples;
			VEC_PUSH(&a.fr, noframe);
			VEC_PUSH(&a.frl, 0u);
		}
		const uint32_t *fr = a.fr.data, *fl = a.frl.data;
		size_t nf = a.fr.len;
		/* self: the innermost frame */
		struct cpu_func *f0 = &a.funcs.data[st->frames.data[fr[0]].func];
		add_count(&f0->self, &sa->all);
		add_count(&f0->self_off, &sa->off);
		add_count(&a.lines.data[fl[0]].self, &sa->all);
		/* total: once per function per stack, at its innermost occurrence */
		if (++a.gen == 0) {
			memset(a.fseen, 0, a.funcs.len * sizeof(*a.fseen));
			a.gen = 1;
		}
		for (size_t i = 0; i < nf; i++) {
			uint32_t fi = st->frames.data[fr[i]].func;
			if (a.fseen[fi] == a.gen)
				continue;
			a.fseen[fi] = a.gen;
			struct cpu_func *f = &a.funcs.data[fi];
			add_count(&f->total, &sa->all);
			add_count(&f->total_off, &sa->off);
			add_count(&a.lines.data[fl[i]].total, &sa->all);
		}
		/* the top-down tree: outermost frame first */
		path.len = 0;
		VEC_RESERVE(&path, nf);
		for (size_t i = nf; i-- > 0;)
			path.data[path.len++] = fr[i];
		leaf[s] = stacktrie_insert(st, &cur, 0, path.data, path.len);
	}
	VEC_FREE(&path);
	for (size_t i = 0; i < a.funcs.len; i++) {
		struct cpu_func *f = &a.funcs.data[i];
		const struct stacktrie_func *sf = &st->funcs.data[i];
		f->name = st->strs.data[sf->name];
		f->module = sf->module;
		f->inlined = sf->inlined;
	}
	r->funcs = a.funcs.data;
	r->nfuncs = a.funcs.len;

	/* bottom-up trees of the hottest functions: under a second root, the
	 * same frames innermost first */
	uint32_t *idx = xmalloc((r->nfuncs ? r->nfuncs : 1) * sizeof(*idx));
	size_t nhot = cpu_funcs_sorted(r, CPU_SORT_SELF, idx);
	if (o->limit && o->limit < nhot)
		nhot = o->limit;
	uint32_t *rank = xmalloc((r->nfuncs ? r->nfuncs : 1) * sizeof(*rank));
	for (size_t i = 0; i < r->nfuncs; i++)
		rank[i] = NONE;
	for (size_t i = 0; i < nhot; i++)
		rank[idx[i]] = (uint32_t)i;
	free(idx);
	uint32_t bu_root = stacktrie_root(st);
	uint32_t *bu_leaf = xmalloc(nstacks * sizeof(*bu_leaf));
	norder = 0;
	for (size_t s = 0; s < nstacks; s++) {
		bu_leaf[s] = NONE;
		if (r->stacks[s].samples && rank[stack_self[s]] != NONE)
			order[norder++] = (uint32_t)s;
	}
	if (nstacks == p->nstacks)
		stacktrie_sort_stacks(st, order, norder, true);
	for (size_t i = 0; i < norder; i++) {
		size_t n;
		const uint32_t *fr = stacktrie_frames(st, order[i], true, &n);
		bu_leaf[order[i]] = stacktrie_insert(st, &cur, bu_root, fr, n);
	}
	free(order);
	stacktrie_path_release(&cur);
	free(a.fr_line);
	a.fr_line = NULL;
	stacktrie_trim(st);

	/* the trie's nodes as the two trees: [0, bu_root) and [bu_root, end) */
	r->ntree = bu_root;
	r->tree = tree_nodes(st, 0, bu_root, leaf, r->stacks, nstacks);
	free(leaf);
	r->nbu = st->nodes.len - bu_root;
	r->bu = tree_nodes(st, bu_root, (uint32_t)st->nodes.len, bu_leaf, r->stacks, nstacks);
	free(bu_leaf);
	VEC_FREE(&st->nodes);
	for (uint32_t c = r->bu[0].first_child; c != NONE; c = r->bu[c].next_sibling)
		a.funcs.data[r->bu[c].func].bottom_up = c;

	finish_lines(&a);
	r->lines = a.lines.data;
	r->nlines = a.lines.len;
	sort_children(r->tree, r->ntree, r->funcs, NULL);
	sort_children(r->bu, r->nbu, r->funcs, rank);
	free(rank);

	build_threads(&a, sel, per_thread, per_thread_off, span, pairs.data, pairs.len, stack_self);
	t->threads_sampled = (uint32_t)r->nthreads;
	if (r->nthreads)
		t->busiest = 0;   /* sorted: most samples first */
	if (p->cpu_time_ns) {
		t->achieved_hz = (double)t->oncpu_all * 1e9 / (double)p->cpu_time_ns;
		t->achieved_from_cpu_time = true;
	} else if (r->nthreads) {
		t->achieved_hz = r->threads[0].achieved_hz;
	}

	VEC_FREE(&pairs);
	VEC_FREE(&a.fr);
	VEC_FREE(&a.frl);
	free(acc);
	free(per_thread);
	free(per_thread_off);
	free(span);
	free(stack_self);
	free(sel);
	free(a.ltab);
	free(a.lhash);
	free(a.fseen);
	stack_filter_release(&a.flt);
	*out = r;
	return 0;
}

void cpu_result_free(struct cpu_result *r)
{
	if (!r)
		return;
	free(r->funcs);
	free(r->lines);
	free(r->tree);
	free(r->bu);
	free(r->threads);
	free(r->stacks);
	if (r->st)
		stacktrie_release(r->st);
	free(r->st);
	free(r);
}

void cpu_refusal_note(struct strbuf *sb, uint32_t err)
{
	sb_addf(sb, "perf_event_open: %s", strerror((int)err));
	if (err == EACCES || err == EPERM)
		sb_adds(sb, " (kernel.perf_event_paranoid is above 2, or a seccomp profile, a "
			    "container's, blocks it)");
	else if (err == ENOSYS || err == ENOENT || err == EOPNOTSUPP)
		sb_adds(sb, " (this kernel has no perf software clock events)");
	sb_adds(sb, ". CPU-time timers took the samples instead: they fire only at the kernel's "
		    "tick, which caps the rate and can alias with periodic work.");
	if (err == EACCES || err == EPERM)
		sb_adds(sb, " For the full rate: sysctl kernel.perf_event_paranoid=2, or allow "
			    "perf_event_open in the container.");
}
