/* Flame trees and flame charts (flame.h): building them from profiles and
 * folded text, laying trees out with pruning, diffing two trees, and
 * turning CPU samples into time-ordered spans. Lookups are open-addressing
 * tables of node and name indexes, so a folded file of 200,000 stacks builds
 * in a fraction of a second. */
#include "flame.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../lib/die.h"
#include "../lib/hashmap.h"
#include "../lib/strbuf.h"
#include "cpu.h"
#include "folded-in.h"
#include "heap.h"
#include "stacktrie.h"

/* ---- weights ---- */

static const char *const weight_names[] = {
	"samples", "cpu-ns", "bytes", "count", "peak", "leaked", "folded",
};

const char *flame_weight_name(enum flame_weight w)
{
	return (unsigned)w < sizeof(weight_names) / sizeof(*weight_names) ? weight_names[w] : "?";
}

int flame_heap_weight_parse(const char *s)
{
	for (int w = FLAME_BYTES; w <= FLAME_LEAKED; w++)
		if (!strcmp(s, weight_names[w]))
			return w;
	return -1;
}

int flame_cpu_weight_parse(const char *s)
{
	for (int w = FLAME_SAMPLES; w <= FLAME_CPU_NS; w++)
		if (!strcmp(s, weight_names[w]))
			return w;
	return -1;
}

const char *flame_weight_unit(enum flame_weight w)
{
	switch (w) {
	case FLAME_CPU_NS: return "ns";
	case FLAME_BYTES: case FLAME_PEAK: case FLAME_LEAKED: return "bytes";
	case FLAME_COUNT: return "allocations";
	case FLAME_SAMPLES: case FLAME_FOLDED: default: return "samples";
	}
}

bool flame_weight_is_heap(enum flame_weight w)
{
	return w >= FLAME_BYTES && w <= FLAME_LEAKED;
}

bool flame_weight_is_cpu(enum flame_weight w)
{
	return w == FLAME_SAMPLES || w == FLAME_CPU_NS;
}

bool flame_weights_vary(const struct sc_profile *p)
{
	for (size_t i = 1; i < p->nsamples; i++)
		if (p->samples[i].weight != p->samples[0].weight)
			return true;
	return false;
}

enum flame_weight flame_default_weight(const struct sc_profile *p)
{
	if (p->nsamples)
		return flame_weights_vary(p) ? FLAME_CPU_NS : FLAME_SAMPLES;
	return p->flags & PROF_HEAP ? FLAME_BYTES : FLAME_SAMPLES;
}

/* ---- the tree ---- */

struct flame_tree *flame_tree_new(enum flame_weight w)
{
	struct flame_tree *t = xcalloc(1, sizeof(*t));
	t->weight = w;
	flame_module(t, "", false);
	struct flame_node root = {
		.name = flame_name(t, "all", 3),
		.parent = FLAME_NONE,
		.first_child = FLAME_NONE,
		.next_sibling = FLAME_NONE,
	};
	VEC_PUSH(&t->nodes, root);
	return t;
}

void flame_tree_free(struct flame_tree *t)
{
	if (!t)
		return;
	VEC_FREE(&t->names);
	VEC_FREE(&t->modules);
	VEC_FREE(&t->nodes);
	free(t->ntab);
	free(t->ctab);
	free(t->before);
	arena_release(&t->arena);
	free(t);
}

/* A word-at-a-time hash of a name: interning hashes every frame of every
 * stack, millions of names for a large folded file. */
static uint64_t name_hash(const char *s, size_t len)
{
	uint64_t h = 0x5eed ^ (len * 0x9e3779b97f4a7c15ull), w;
	size_t i = 0;
	for (; i + 8 <= len; i += 8) {
		memcpy(&w, s + i, 8);
		h = (h ^ w) * 0xff51afd7ed558ccdull;
		h ^= h >> 32;
	}
	if (i < len) {
		w = 0;
		memcpy(&w, s + i, len - i);
		h = (h ^ w) * 0xc4ceb9fe1a85ec53ull;
	}
	return hash_u64(h);
}

/* What the arena holds in front of each interned name. */
struct name_head {
	uint32_t id, len;
};

static const struct name_head *head_of(const char *str)
{
	return (const struct name_head *)(const void *)(str - sizeof(struct name_head));
}

static void names_grow(struct flame_tree *t)
{
	size_t cap = t->ncap ? t->ncap * 2 : 1024;
	struct flame_name_slot *tab = xcalloc(cap, sizeof(*tab));
	for (size_t i = 0; i < t->ncap; i++) {
		if (!t->ntab[i].str)
			continue;
		size_t j = t->ntab[i].hash & (cap - 1);
		while (tab[j].str)
			j = (j + 1) & (cap - 1);
		tab[j] = t->ntab[i];
	}
	free(t->ntab);
	t->ntab = tab;
	t->ncap = cap;
}

/* The slot of name s (hash h), or the free slot where it would go. A probe
 * reads the slot and then the name itself, length in front of it. */
static struct flame_name_slot *name_slot(const struct flame_tree *t, const char *s, size_t len,
					 uint64_t h)
{
	size_t j = h & (t->ncap - 1);
	for (;; j = (j + 1) & (t->ncap - 1)) {
		struct flame_name_slot *sl = &t->ntab[j];
		if (!sl->str || (sl->hash == h && head_of(sl->str)->len == len &&
				 !memcmp(sl->str, s, len)))
			return sl;
	}
}

/* The name's index, or FLAME_NONE when it was never interned. */
static uint32_t find_name(const struct flame_tree *t, const char *s, size_t len)
{
	if (!t->ncap)
		return FLAME_NONE;
	const struct flame_name_slot *sl = name_slot(t, s, len, name_hash(s, len));
	return sl->str ? head_of(sl->str)->id : FLAME_NONE;
}

static bool has_control(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return true;
	return false;
}

uint32_t flame_name(struct flame_tree *t, const char *s, size_t len)
{
	if ((t->names.len + 1) * 2 > t->ncap)
		names_grow(t);
	uint64_t h = name_hash(s, len);
	struct flame_name_slot *sl = name_slot(t, s, len, h);
	if (sl->str)
		return head_of(sl->str)->id;
	if (has_control(s, len)) {
		/* names reach SVG text and one-line tables: no newlines or tabs;
		 * the table holds only clean names, so this is looked up again */
		char *clean = xmalloc(len + 1);
		for (size_t i = 0; i < len; i++)
			clean[i] = (unsigned char)s[i] < 0x20 || s[i] == 0x7f ? ' ' : s[i];
		uint32_t id = flame_name(t, clean, len);
		free(clean);
		return id;
	}
	struct name_head *hd = arena_alloc(&t->arena, sizeof(*hd) + len + 1);
	hd->id = (uint32_t)t->names.len;
	hd->len = (uint32_t)len;
	char *str = (char *)(hd + 1);
	memcpy(str, s, len);
	str[len] = 0;
	VEC_PUSH(&t->names, str);
	*sl = (struct flame_name_slot){ h, str };
	return hd->id;
}

static uint32_t find_module(const struct flame_tree *t, const char *name, bool is_main)
{
	for (size_t i = 0; i < t->modules.len; i++)
		if (t->modules.data[i].is_main == is_main && !strcmp(t->modules.data[i].name, name))
			return (uint32_t)i;
	return FLAME_NONE;
}

uint32_t flame_module(struct flame_tree *t, const char *name, bool is_main)
{
	uint32_t m = find_module(t, name, is_main);
	if (m != FLAME_NONE)
		return m;
	struct flame_module mod = { arena_strdup(&t->arena, name), is_main };
	VEC_PUSH(&t->modules, mod);
	return (uint32_t)t->modules.len - 1;
}

static size_t child_hash(uint32_t parent, uint32_t name, uint32_t module)
{
	uint64_t k = ((uint64_t)parent << 32 | name) ^ ((uint64_t)module << 48);
	k *= 0x9e3779b97f4a7c15ull;
	return (size_t)(k ^ (k >> 29));
}

/* (Re)builds the child index from the nodes, big enough for `want` nodes. */
static void children_index(struct flame_tree *t, size_t want)
{
	size_t cap = t->ccap ? t->ccap : 4096;
	while (want * 2 > cap)
		cap *= 2;
	struct flame_child_slot *tab = xcalloc(cap, sizeof(*tab));
	for (size_t i = 1; i < t->nodes.len; i++) {
		const struct flame_node *n = &t->nodes.data[i];
		size_t j = child_hash(n->parent, n->name, n->module) & (cap - 1);
		while (tab[j].id)
			j = (j + 1) & (cap - 1);
		tab[j] = (struct flame_child_slot){ n->parent, n->name, n->module, (uint32_t)i + 1 };
	}
	free(t->ctab);
	t->ctab = tab;
	t->ccap = cap;
	t->cindexed = t->nodes.len;
}

/* The slot of the child, or the free slot where it would go. */
static struct flame_child_slot *child_slot(const struct flame_tree *t, uint32_t parent,
					   uint32_t name, uint32_t module)
{
	size_t j = child_hash(parent, name, module) & (t->ccap - 1);
	for (;; j = (j + 1) & (t->ccap - 1)) {
		struct flame_child_slot *sl = &t->ctab[j];
		if (!sl->id || (sl->parent == parent && sl->name == name && sl->module == module))
			return sl;
	}
}

uint32_t flame_find_child(struct flame_tree *t, uint32_t parent, uint32_t name,
			  uint32_t module)
{
	if (t->cindexed != t->nodes.len)
		children_index(t, t->nodes.len + 1);
	const struct flame_child_slot *sl = child_slot(t, parent, name, module);
	return sl->id ? sl->id - 1 : FLAME_NONE;
}

/* Appends a child to parent without looking it up (it is new). */
static uint32_t new_child(struct flame_tree *t, uint32_t parent, uint32_t name, uint32_t module)
{
	uint32_t id = (uint32_t)t->nodes.len;
	struct flame_node *par = &t->nodes.data[parent];
	struct flame_node n = {
		.name = name,
		.module = module,
		.parent = parent,
		.first_child = FLAME_NONE,
		.next_sibling = par->first_child,
		.depth = par->depth + 1,
	};
	par->first_child = id;
	VEC_PUSH(&t->nodes, n);
	return id;
}

uint32_t flame_child(struct flame_tree *t, uint32_t parent, uint32_t name, uint32_t module)
{
	if (t->cindexed != t->nodes.len || (t->nodes.len + 1) * 2 > t->ccap)
		children_index(t, t->nodes.len + 1);
	struct flame_child_slot *sl = child_slot(t, parent, name, module);
	if (sl->id)
		return sl->id - 1;
	uint32_t id = new_child(t, parent, name, module);
	*sl = (struct flame_child_slot){ parent, name, module, id + 1 };
	t->cindexed = t->nodes.len;
	return id;
}

void flame_add_self(struct flame_tree *t, uint32_t node, uint64_t w)
{
	t->nodes.data[node].self += w;
}

void flame_tree_finish(struct flame_tree *t)
{
	struct flame_node *n = t->nodes.data;
	for (size_t i = 0; i < t->nodes.len; i++)
		n[i].total = n[i].self;
	/* children always come after their parent */
	for (size_t i = t->nodes.len; i-- > 1;)
		n[n[i].parent].total += n[i].total;
}

/* ---- from a profile ---- */

/* Which threads are selected: sel[i] for p->threads[i], sel[nthreads] for
 * records of a thread index outside the table. */
static int select_threads(const struct sc_profile *p, const char *thread, bool *sel,
			  char *err, size_t errlen)
{
	size_t n = 0;
	for (size_t i = 0; i < p->nthreads; i++)
		n += sel[i] = cpu_thread_matches(p, (uint32_t)i, thread);
	sel[p->nthreads] = !thread;
	if (!thread || n)
		return 0;
	struct strbuf sb = STRBUF_INIT;
	for (size_t i = 0; i < p->nthreads && i < 12; i++)
		sb_addf(&sb, "%s%u %s", i ? ", " : "", p->threads[i].tid,
			p->threads[i].name && *p->threads[i].name ? p->threads[i].name : "?");
	if (p->nthreads > 12)
		sb_addf(&sb, ", and %zu more", p->nthreads - 12);
	snprintf(err, errlen, "no thread matches '%s' (a thread id or name; the profile has %s)",
		 thread, p->nthreads ? sb_str(&sb) : "no threads");
	sb_release(&sb);
	return -ENOENT;
}

/* Heap weights per stack, each allocation counted for the thread that made
 * it, from the heap model's figures per (stack, thread): what was allocated,
 * and what was live at the global peak (t-gmax) or at the end. */
static int heap_weights(const struct sc_profile *p, enum flame_weight w, const bool *sel,
			uint64_t *out, char *err, size_t errlen)
{
	struct heap_options ho = { .by_thread = true, .totals_only = w != FLAME_PEAK,
				   .err = err, .errlen = errlen };
	struct heap_result *r;
	int rc = heap_analyze(p, &ho, &r);
	if (rc)
		return rc;
	for (size_t i = 0; i < r->nby_thread; i++) {
		const struct heap_stack_thread *x = &r->by_thread[i];
		if (!sel[x->thread < p->nthreads ? x->thread : p->nthreads])
			continue;
		out[x->stack] += w == FLAME_BYTES ? x->bytes : w == FLAME_COUNT ? x->allocations
			: w == FLAME_PEAK ? x->peak_bytes : x->leaked_bytes;
	}
	heap_result_free(r);
	return 0;
}

int flame_stack_weights(const struct sc_profile *p, enum flame_weight w, const char *thread,
			uint64_t *out, char *err, size_t errlen)
{
	size_t nstacks = p->nstacks ? p->nstacks : 1;
	memset(out, 0, nstacks * sizeof(*out));
	if (flame_weight_is_cpu(w) && !p->nsamples) {
		snprintf(err, errlen, "the profile has no CPU samples (record them with `scorch "
			 "record`, or draw heap weights with --heap=bytes|count|peak|leaked)");
		return -EINVAL;
	}
	if (flame_weight_is_heap(w) && !(p->flags & PROF_HEAP)) {
		snprintf(err, errlen, "the profile has no heap events, so --heap=%s has nothing to "
			 "draw (record them with `scorch heap` or `scorch record --heap`)",
			 flame_weight_name(w));
		return -EINVAL;
	}
	if (!flame_weight_is_cpu(w) && !flame_weight_is_heap(w)) {
		snprintf(err, errlen, "weight '%s' does not come from a profile", flame_weight_name(w));
		return -EINVAL;
	}
	bool *sel = xcalloc(p->nthreads + 1, sizeof(*sel));
	int rc = select_threads(p, thread, sel, err, errlen);
	if (!rc && flame_weight_is_cpu(w)) {
		for (size_t i = 0; i < p->nsamples; i++) {
			const struct sc_sample *s = &p->samples[i];
			if (sel[s->thread < p->nthreads ? s->thread : p->nthreads])
				out[s->stack < nstacks ? s->stack : 0] +=
					w == FLAME_SAMPLES ? 1 : s->weight;
		}
	} else if (!rc) {
		rc = heap_weights(p, w, sel, out, err, errlen);
	}
	free(sel);
	return rc;
}

int flame_from_profile(const struct sc_profile *p, enum flame_weight w, const char *thread,
		       struct flame_tree **out, char *err, size_t errlen)
{
	*out = NULL;
	size_t nstacks = p->nstacks ? p->nstacks : 1;
	uint64_t *sw = xmalloc(nstacks * sizeof(*sw));
	int rc = flame_stack_weights(p, w, thread, sw, err, errlen);
	if (rc) {
		free(sw);
		return rc;
	}
	/* the tree is the stack trie keyed as flame graphs merge frames: its
	 * nodes are the tree's, made in stack id order */
	struct flame_tree *t = flame_tree_new(w);
	struct stacktrie st;
	stacktrie_init_flame(&st, p, t);
	for (size_t s = 0; s < nstacks; s++)
		if (sw[s])
			flame_add_self(t, stacktrie_flame_leaf(&st, (uint32_t)s), sw[s]);
	stacktrie_release(&st);
	free(sw);
	flame_tree_finish(t);
	*out = t;
	return 0;
}

/* ---- from folded text ----
 * Folded files are often unsorted and share little; looking every frame up
 * in a (parent, name) table then costs a cache miss per frame. Instead the
 * lines become sequences of name ids, are sorted, and the tree grows along
 * one path at a time: a new line shares its prefix with the one before. */

struct folded_line_rec {
	uint64_t key;               /* the first two name ids + 1, for sorting without
	                             * reading seq (0 where the line is shorter) */
	size_t off;                 /* into seq */
	uint32_t n;                 /* frames */
	uint64_t weight;
};

struct folded_build {
	struct flame_tree *t;
	VEC(uint32_t) seq;          /* name ids, lines back to back */
	VEC(uint8_t) inl;           /* per frame in seq: inlined */
	VEC(struct folded_line_rec) lines;
	VEC(struct folded_frame) prev;  /* the line before: a frame equal to the
	                                 * one at its depth there needs no lookup */
	uint64_t sum;
	bool any_inlined;
};

static int folded_line(void *arg, const struct folded_frame *fr, size_t n, uint64_t w,
		       size_t lineno)
{
	struct folded_build *b = arg;
	struct folded_line_rec l = { 0, b->seq.len, (uint32_t)n, w };
	VEC_RESERVE(&b->seq, n);
	VEC_RESERVE(&b->inl, n);
	const uint32_t *pid = b->lines.len ? b->seq.data + b->lines.data[b->lines.len - 1].off : NULL;
	for (size_t k = 0; k < n; k++) {
		const struct folded_frame *p = k < b->prev.len ? &b->prev.data[k] : NULL;
		bool same = p && p->len == fr[k].len && !memcmp(p->name, fr[k].name, fr[k].len);
		b->seq.data[b->seq.len++] = same ? pid[k] : flame_name(b->t, fr[k].name, fr[k].len);
		b->inl.data[b->inl.len++] = fr[k].inlined;
		b->any_inlined |= fr[k].inlined;
	}
	const uint32_t *ids = b->seq.data + l.off;
	l.key = (uint64_t)(ids[0] + 1) << 32 | (n > 1 ? ids[1] + 1 : 0);
	b->prev.len = 0;
	VEC_RESERVE(&b->prev, n);
	memcpy(b->prev.data, fr, n * sizeof(*fr));
	b->prev.len = n;
	VEC_PUSH(&b->lines, l);
	if (b->sum > UINT64_MAX - w)
		return -ERANGE;
	b->sum += w;
	(void)lineno;
	return 0;
}

static int cmp_seqs(const void *a, const void *b, void *arg)
{
	const uint32_t *seq = arg;
	const struct folded_line_rec *x = a, *y = b;
	if (x->key != y->key)
		return x->key < y->key ? -1 : 1;
	uint32_t n = x->n < y->n ? x->n : y->n;
	const uint32_t *p = seq + x->off, *q = seq + y->off;
	for (uint32_t i = 0; i < n; i++)
		if (p[i] != q[i])
			return p[i] < q[i] ? -1 : 1;
	return x->n < y->n ? -1 : x->n > y->n;
}

static void folded_grow(struct folded_build *b)
{
	struct flame_tree *t = b->t;
	qsort_r(b->lines.data, b->lines.len, sizeof(*b->lines.data), cmp_seqs, b->seq.data);
	VEC(uint32_t) path = { 0 };   /* nodes of the previous line */
	const uint32_t *prev = NULL;
	/* at most a node per frame: reserved (not touched) at once, no copies */
	VEC_RESERVE(&t->nodes, b->seq.len + 1);
	uint32_t nprev = 0;
	for (size_t i = 0; i < b->lines.len; i++) {
		const struct folded_line_rec *l = &b->lines.data[i];
		const uint32_t *cur = b->seq.data + l->off;
		uint32_t k = 0;
		while (k < l->n && k < nprev && cur[k] == prev[k])
			k++;
		path.len = k;
		uint32_t node = k ? path.data[k - 1] : 0;
		for (; k < l->n; k++) {
			node = new_child(t, node, cur[k], 0);
			VEC_PUSH(&path, node);
		}
		for (uint32_t j = 0; b->any_inlined && j < l->n; j++)
			if (b->inl.data[l->off + j])
				t->nodes.data[path.data[j]].flags |= FLAME_INLINED;
		flame_add_self(t, node, l->weight);
		prev = cur;
		nprev = l->n;
	}
	VEC_FREE(&path);
}

int flame_from_folded(const char *buf, size_t len, struct flame_tree **out,
		      char *err, size_t errlen)
{
	struct folded_build b = { .t = flame_tree_new(FLAME_FOLDED) };
	int rc = folded_parse(buf, len, folded_line, &b, err, errlen);
	if (rc == -ERANGE)
		snprintf(err, errlen, "the counts add up to more than 64 bits hold");
	else if (!rc && !b.lines.len) {
		snprintf(err, errlen, "no stacks (expected lines of 'frame;frame;... COUNT')");
		rc = -EINVAL;
	}
	if (!rc)
		folded_grow(&b);
	VEC_FREE(&b.seq);
	VEC_FREE(&b.inl);
	VEC_FREE(&b.lines);
	VEC_FREE(&b.prev);
	if (rc) {
		flame_tree_free(b.t);
		*out = NULL;
		return rc;
	}
	flame_tree_finish(b.t);
	*out = b.t;
	return 0;
}

/* ---- layout ---- */

struct rank_ctx {
	const struct flame_tree *t;
	const uint32_t *rank;       /* per name: its place in name order */
};

/* Children in name order, then module: the order of flamegraph.pl. */
static int cmp_children(const void *a, const void *b, void *arg)
{
	const struct rank_ctx *rc = arg;
	const struct flame_node *x = &rc->t->nodes.data[*(const uint32_t *)a];
	const struct flame_node *y = &rc->t->nodes.data[*(const uint32_t *)b];
	if (x->name != y->name)
		return rc->rank[x->name] < rc->rank[y->name] ? -1 : 1;
	return x->module < y->module ? -1 : x->module > y->module;
}

static int cmp_names(const void *a, const void *b, void *arg)
{
	const struct flame_tree *t = arg;
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	int r = strcmp(t->names.data[x], t->names.data[y]);
	return r ? r : (x < y ? -1 : x > y);
}

void flame_layout(const struct flame_tree *t, double min_frac, struct flame_layout *out)
{
	memset(out, 0, sizeof(*out));
	size_t nn = t->nodes.len;
	const struct flame_node *n = t->nodes.data;
	double all = (double)n[0].total;
	VEC(struct flame_rect) rects = { 0 };
	struct flame_rect root = { 0, 1, 0, 0, FLAME_NONE, 0, n[0].total };
	VEC_PUSH(&rects, root);

	/* names in sort order, and subtree sizes for the pruned count */
	uint32_t *order = xmalloc((t->names.len + 1) * sizeof(*order));
	uint32_t *rank = xmalloc((t->names.len + 1) * sizeof(*rank));
	for (size_t i = 0; i < t->names.len; i++)
		order[i] = (uint32_t)i;
	qsort_r(order, t->names.len, sizeof(*order), cmp_names, (void *)t);
	for (size_t i = 0; i < t->names.len; i++)
		rank[order[i]] = (uint32_t)i;
	uint32_t *size = xmalloc((nn + 1) * sizeof(*size));
	for (size_t i = 0; i < nn; i++)
		size[i] = n[i].total ? 1 : 0;
	for (size_t i = nn; i-- > 1;)
		size[n[i].parent] += size[i];

	VEC(uint32_t) pending = { 0 };   /* rect indexes whose children are to be placed */
	VEC(uint32_t) kids = { 0 };
	if (all > 0)
		VEC_PUSH(&pending, 0);
	while (pending.len) {
		uint32_t ri = pending.data[--pending.len];
		struct flame_rect pr = rects.data[ri];
		kids.len = 0;
		uint64_t thin = 0;
		uint32_t nthin = 0;
		for (uint32_t c = n[pr.node].first_child; c != FLAME_NONE; c = n[c].next_sibling) {
			if (!n[c].total)
				continue;
			if ((double)n[c].total < min_frac * all) {
				thin += n[c].total;
				nthin++;
				out->pruned += size[c];
			} else {
				VEC_PUSH(&kids, c);
			}
		}
		struct rank_ctx rc = { t, rank };
		qsort_r(kids.data, kids.len, sizeof(*kids.data), cmp_children, &rc);
		double x = pr.x;
		size_t first = rects.len;
		for (size_t k = 0; k < kids.len; k++) {
			const struct flame_node *c = &n[kids.data[k]];
			struct flame_rect r = { x, (double)c->total / all, pr.depth + 1, kids.data[k],
						ri, 0, c->total };
			x += r.w;
			VEC_PUSH(&rects, r);
		}
		if (nthin && (double)thin >= min_frac * all) {
			struct flame_rect r = { x, (double)thin / all, pr.depth + 1, FLAME_NONE, ri,
						nthin, thin };
			VEC_PUSH(&rects, r);
			out->pruned -= nthin;   /* the merged rect stands for them */
		}
		if (rects.len > first && pr.depth + 1 > out->max_depth)
			out->max_depth = pr.depth + 1;
		/* depth first, leftmost child first, so parents precede children */
		for (size_t k = rects.len; k-- > first;)
			if (rects.data[k].node != FLAME_NONE)
				VEC_PUSH(&pending, (uint32_t)k);
	}
	VEC_FREE(&pending);
	VEC_FREE(&kids);
	free(order);
	free(rank);
	free(size);
	out->rects = rects.data;
	out->n = rects.len;
}

void flame_layout_release(struct flame_layout *l)
{
	free(l->rects);
	memset(l, 0, sizeof(*l));
}

uint64_t flame_kth_largest(uint64_t *v, size_t n, size_t k)
{
	if (!k || k > n)
		return 0;
	/* quickselect, three-way partitions (many totals are equal) */
	size_t lo = 0, hi = n, want = k - 1;
	while (hi - lo > 1) {
		uint64_t pivot = v[lo + (hi - lo) / 2], x;
		size_t lt = lo, i = lo, gt = hi;
		while (i < gt) {
			if (v[i] > pivot) {
				x = v[lt], v[lt++] = v[i], v[i++] = x;
			} else if (v[i] < pivot) {
				x = v[--gt], v[gt] = v[i], v[i] = x;
			} else {
				i++;
			}
		}
		/* [lo, lt) above the pivot, [lt, gt) equal, [gt, hi) below */
		if (want < lt)
			hi = lt;
		else if (want < gt)
			return pivot;
		else
			lo = gt;
	}
	return v[lo];
}

double flame_min_frac_for(const struct flame_tree *t, double floor, size_t max_nodes)
{
	double all = (double)t->nodes.data[0].total;
	if (!max_nodes || all <= 0)
		return floor;
	uint64_t *v = xmalloc(t->nodes.len * sizeof(*v));
	size_t n = 0;
	for (size_t i = 1; i < t->nodes.len; i++)
		if (t->nodes.data[i].total && (double)t->nodes.data[i].total >= floor * all)
			v[n++] = t->nodes.data[i].total;
	double frac = floor;
	if (n > max_nodes) {
		/* a node is drawn when its total is at least frac x all, and then
		 * so are its ancestors: at most max_nodes totals clear the bar */
		uint64_t next = flame_kth_largest(v, n, max_nodes + 1);
		double f = (double)(next + 1) / all;
		if (f > frac)
			frac = f;
	}
	free(v);
	return frac;
}

/* ---- diff ---- */

/* Modules match by name, the main executable by being the main executable. */
static uint32_t map_module(const struct flame_tree *to, const struct flame_module *m)
{
	if (m->is_main) {
		for (size_t i = 0; i < to->modules.len; i++)
			if (to->modules.data[i].is_main)
				return (uint32_t)i;
		return FLAME_NONE;
	}
	return find_module(to, m->name, false);
}

void flame_diff(struct flame_tree *after, const struct flame_tree *before)
{
	size_t nb = before->nodes.len;
	uint32_t *name = xmalloc((before->names.len + 1) * sizeof(*name));
	uint32_t *mod = xmalloc((before->modules.len + 1) * sizeof(*mod));
	uint32_t *match = xmalloc((nb + 1) * sizeof(*match));
	for (size_t i = 0; i < before->names.len; i++) {
		const char *s = before->names.data[i];
		name[i] = find_name(after, s, strlen(s));
	}
	for (size_t i = 0; i < before->modules.len; i++)
		mod[i] = map_module(after, &before->modules.data[i]);
	free(after->before);
	after->before = xcalloc(after->nodes.len + 1, sizeof(*after->before));
	match[0] = 0;
	for (size_t i = 1; i < nb; i++) {
		const struct flame_node *b = &before->nodes.data[i];
		uint32_t pm = match[b->parent];
		match[i] = pm == FLAME_NONE || name[b->name] == FLAME_NONE || mod[b->module] == FLAME_NONE
			   ? FLAME_NONE : flame_find_child(after, pm, name[b->name], mod[b->module]);
	}
	for (size_t i = 0; i < nb; i++) {
		if (match[i] == FLAME_NONE)
			continue;
		after->before[match[i]].total += before->nodes.data[i].total;
		after->before[match[i]].self += before->nodes.data[i].self;
	}
	after->before_all = before->nodes.data[0].total;
	after->diffed = true;
	free(name);
	free(mod);
	free(match);
}

struct flame_rgb flame_diff_color(double before, double after, double scale)
{
	struct flame_rgb c = { 255, 255, 255 };
	double d = after - before;
	if (scale <= 0 || d == 0 || !isfinite(d))
		return c;
	double i = fabs(d) / scale;
	if (i > 1)
		i = 1;
	uint8_t v = (uint8_t)lround(255 - 200 * i);
	if (d > 0)
		c.g = c.b = v;
	else
		c.r = c.g = v;
	return c;
}

/* Rows keyed by module + name; tree 0 is BEFORE, 1 is AFTER. */
struct rowset {
	struct strmap keys;
	VEC(struct flame_diff_row) rows;
	struct strbuf key;
};

static struct flame_diff_row *row_for(struct rowset *rs, const struct flame_tree *t,
				      const struct flame_node *n)
{
	const struct flame_module *m = &t->modules.data[n->module];
	const char *name = t->names.data[n->name];
	sb_reset(&rs->key);
	sb_adds(&rs->key, m->is_main ? "\x01" : m->name);
	sb_addc(&rs->key, '\x1f');
	sb_adds(&rs->key, name);
	bool isnew;
	uint32_t i = strmap_intern(&rs->keys, rs->key.buf, (uint32_t)rs->rows.len, &isnew);
	if (isnew) {
		struct flame_diff_row r = { .name = name, .module = m->name, .is_main = m->is_main };
		VEC_PUSH(&rs->rows, r);
	}
	return &rs->rows.data[i];
}

static bool is_wrapper_node(const struct flame_tree *t, const struct flame_node *n)
{
	const char *mod = t->modules.data[n->module].name;
	return heap_is_wrapper(t->names.data[n->name]) || !strncmp(mod, "libscorch", 9);
}

/* Adds one tree's weights to the rows: self or site weights, and the
 * weight through each key counted once per path (a DFS keeping how many
 * frames of each key are on the current path). */
static void add_tree_rows(struct rowset *rs, const struct flame_tree *t, enum flame_group g,
			  bool is_after)
{
	size_t nn = t->nodes.len;
	const struct flame_node *n = t->nodes.data;
	uint32_t *row = xmalloc((nn + 1) * sizeof(*row));
	uint32_t *site = xmalloc((nn + 1) * sizeof(*site));
	row[0] = FLAME_NONE;
	site[0] = FLAME_NONE;
	for (size_t i = 1; i < nn; i++) {
		if (!n[i].total) {
			row[i] = site[i] = FLAME_NONE;
			continue;
		}
		row[i] = (uint32_t)(row_for(rs, t, &n[i]) - rs->rows.data);
		/* the nearest frame towards the root that is not a wrapper */
		site[i] = is_wrapper_node(t, &n[i]) ? site[n[i].parent] : (uint32_t)i;
	}
	uint32_t *onpath = xcalloc(rs->rows.len + 1, sizeof(*onpath));
	VEC(uint32_t) st = { 0 };
	if (nn > 1)
		for (uint32_t c = n[0].first_child; c != FLAME_NONE; c = n[c].next_sibling)
			VEC_PUSH(&st, c);
	while (st.len) {
		uint32_t v = st.data[--st.len];
		if (v & 0x80000000u) {
			onpath[row[v & 0x7fffffffu]]--;
			continue;
		}
		if (row[v] == FLAME_NONE)
			continue;
		struct flame_diff_row *r = &rs->rows.data[row[v]];
		if (!onpath[row[v]]++)
			*(is_after ? &r->after_total : &r->before_total) += n[v].total;
		if (n[v].self) {
			uint32_t into = row[v];
			if (g == FLAME_BY_SITE && site[v] != FLAME_NONE)
				into = row[site[v]];
			struct flame_diff_row *s = &rs->rows.data[into];
			*(is_after ? &s->after : &s->before) += n[v].self;
		}
		VEC_PUSH(&st, v | 0x80000000u);
		for (uint32_t c = n[v].first_child; c != FLAME_NONE; c = n[c].next_sibling)
			VEC_PUSH(&st, c);
	}
	VEC_FREE(&st);
	free(onpath);
	free(row);
	free(site);
}

static int cmp_rows(const void *a, const void *b)
{
	const struct flame_diff_row *x = a, *y = b;
	double dx = fabs(x->delta), dy = fabs(y->delta);
	if (dx != dy)
		return dx > dy ? -1 : 1;
	uint64_t ax = x->after > x->before ? x->after - x->before : x->before - x->after;
	uint64_t ay = y->after > y->before ? y->after - y->before : y->before - y->after;
	if (ax != ay)
		return ax > ay ? -1 : 1;
	int r = strcmp(x->name, y->name);
	return r ? r : strcmp(x->module, y->module);
}

size_t flame_diff_rows(const struct flame_tree *before, const struct flame_tree *after,
		       enum flame_group g, struct flame_diff_row **out)
{
	struct rowset rs;
	memset(&rs, 0, sizeof(rs));
	strmap_init(&rs.keys);
	add_tree_rows(&rs, after, g, true);
	add_tree_rows(&rs, before, g, false);
	double ball = (double)before->nodes.data[0].total, aall = (double)after->nodes.data[0].total;
	size_t n = 0;
	for (size_t i = 0; i < rs.rows.len; i++) {
		struct flame_diff_row *r = &rs.rows.data[i];
		if (!r->before && !r->after)
			continue;
		r->before_share = ball > 0 ? r->before / ball : 0;
		r->after_share = aall > 0 ? r->after / aall : 0;
		r->delta = r->after_share - r->before_share;
		rs.rows.data[n++] = *r;
	}
	qsort(rs.rows.data, n, sizeof(*rs.rows.data), cmp_rows);
	strmap_release(&rs.keys);
	sb_release(&rs.key);
	*out = rs.rows.data ? rs.rows.data : xmalloc(1);
	return n;
}

/* ---- flame charts ---- */

struct flame_chart *flame_chart_new(enum flame_weight w)
{
	struct flame_chart *c = xcalloc(1, sizeof(*c));
	c->names = flame_tree_new(w);
	c->weight = w;
	return c;
}

void flame_chart_free(struct flame_chart *c)
{
	if (!c)
		return;
	flame_tree_free(c->names);
	VEC_FREE(&c->lanes);
	VEC_FREE(&c->spans);
	VEC_FREE(&c->marks);
	VEC_FREE(&c->counters);
	VEC_FREE(&c->points);
	VEC_FREE(&c->pruned);
	free(c);
}

static uint32_t add_lane(struct flame_chart *c, const char *name, uint32_t tid,
			 enum flame_lane_kind kind, uint32_t thread)
{
	struct flame_lane l = { .name = name ? name : "", .tid = tid, .kind = kind, .thread = thread };
	VEC_PUSH(&c->lanes, l);
	return (uint32_t)c->lanes.len - 1;
}

uint32_t flame_chart_lane(struct flame_chart *c, const char *name, uint32_t tid)
{
	return add_lane(c, name, tid, FLAME_LANE_SAMPLES, FLAME_NONE);
}

void flame_chart_add(struct flame_chart *c, const struct flame_span *s)
{
	VEC_PUSH(&c->spans, *s);
}

static int cmp_spans(const void *a, const void *b)
{
	const struct flame_span *x = a, *y = b;
	if (x->lane != y->lane)
		return x->lane < y->lane ? -1 : 1;
	if (x->depth != y->depth)
		return x->depth < y->depth ? -1 : 1;
	if (x->start != y->start)
		return x->start < y->start ? -1 : 1;
	/* spans of one depth starting at one instant (zones shorter than the
	 * clock): the longer first, whatever order qsort finds them in */
	return x->end > y->end ? -1 : x->end < y->end;
}

static int cmp_counters(const void *a, const void *b)
{
	const struct flame_counter *x = a, *y = b;
	if (x->lane != y->lane)
		return x->lane < y->lane ? -1 : 1;
	return x->first < y->first ? -1 : x->first > y->first;
}

static int cmp_marks(const void *a, const void *b)
{
	const struct flame_mark *x = a, *y = b;
	if (x->lane != y->lane)
		return x->lane < y->lane ? -1 : 1;
	return x->time < y->time ? -1 : x->time > y->time;
}

void flame_chart_finish(struct flame_chart *c)
{
	/* (an empty VEC has no data, which qsort must not be given) */
	if (c->spans.len)
		qsort(c->spans.data, c->spans.len, sizeof(*c->spans.data), cmp_spans);
	if (c->marks.len)
		qsort(c->marks.data, c->marks.len, sizeof(*c->marks.data), cmp_marks);
	if (c->counters.len)
		qsort(c->counters.data, c->counters.len, sizeof(*c->counters.data), cmp_counters);
	bool given = c->t1 > c->t0;
	uint64_t lo = UINT64_MAX, hi = 0;
	for (size_t i = 0; i < c->lanes.len; i++)
		c->lanes.data[i].depth = 0, c->lanes.data[i].busy = 0, c->lanes.data[i].weight = 0;
	for (size_t i = 0; i < c->spans.len; i++) {
		const struct flame_span *s = &c->spans.data[i];
		struct flame_lane *l = &c->lanes.data[s->lane];
		if (s->start < lo)
			lo = s->start;
		if (s->end > hi)
			hi = s->end;
		if (s->depth + 1 > l->depth)
			l->depth = s->depth + 1;
		if (!s->depth) {
			l->busy += s->end - s->start;
			l->weight += s->weight;
		}
	}
	for (size_t i = 0; i < c->marks.len; i++) {
		if (c->marks.data[i].time < lo)
			lo = c->marks.data[i].time;
		if (c->marks.data[i].last > hi)
			hi = c->marks.data[i].last;
	}
	for (size_t i = 0; i < c->points.len; i++) {
		if (c->points.data[i].time < lo)
			lo = c->points.data[i].time;
		if (c->points.data[i].time > hi)
			hi = c->points.data[i].time;
	}
	if (!given) {
		c->t0 = lo <= hi ? lo : 0;
		c->t1 = lo <= hi ? hi : 1;
		if (c->t1 <= c->t0)
			c->t1 = c->t0 + 1;
	}
}

uint64_t flame_chart_min_ns_for(const struct flame_chart *c, uint64_t min_ns, size_t max_spans)
{
	if (!max_spans || c->spans.len <= max_spans)
		return min_ns;
	uint64_t *v = xmalloc(c->spans.len * sizeof(*v));
	for (size_t i = 0; i < c->spans.len; i++)
		v[i] = c->spans.data[i].end - c->spans.data[i].start;
	uint64_t next = flame_kth_largest(v, c->spans.len, max_spans + 1);
	free(v);
	return next + 1 > min_ns ? next + 1 : min_ns;
}

/* Counts span s as taken out, under its lane and name. */
static void count_pruned(struct u64map *m, const struct flame_span *s)
{
	*u64map_put(m, (uint64_t)s->lane << 32 | s->name, NULL) +=
		s->flags & FLAME_MERGED && s->merged ? s->merged : 1;
}

static int cmp_pruned(const void *a, const void *b)
{
	const struct flame_pruned *x = a, *y = b;
	if (x->lane != y->lane)
		return x->lane < y->lane ? -1 : 1;
	if (x->spans != y->spans)
		return x->spans > y->spans ? -1 : 1;
	return x->name < y->name ? -1 : x->name > y->name;   /* first seen first */
}

/* c->pruned from the counts (and what an earlier prune left there). */
static void pruned_table(struct flame_chart *c, struct u64map *m)
{
	for (size_t i = 0; i < c->pruned.len; i++)
		*u64map_put(m, (uint64_t)c->pruned.data[i].lane << 32 | c->pruned.data[i].name, NULL) +=
			c->pruned.data[i].spans;
	c->pruned.len = 0;
	for (size_t i = 0; i < m->cap; i++)
		if (m->slots[i].key) {
			struct flame_pruned pr = { (uint32_t)(m->slots[i].key >> 32),
						   (uint32_t)m->slots[i].key, m->slots[i].val };
			VEC_PUSH(&c->pruned, pr);
		}
	if (m->has_zero) {
		struct flame_pruned pr = { 0, 0, m->zero_val };
		VEC_PUSH(&c->pruned, pr);
	}
	if (c->pruned.len)
		qsort(c->pruned.data, c->pruned.len, sizeof(*c->pruned.data), cmp_pruned);
}

/* Marks of one name on one lane less than min_ns after the first of a
 * group join it (marks sorted by lane and time). */
static void group_marks(struct flame_chart *c, uint64_t min_ns)
{
	struct flame_mark *m = c->marks.data;
	size_t w = 0;
	for (size_t i = 0; i < c->marks.len; i++) {
		struct flame_mark k = m[i];
		size_t g = w;
		/* the groups still open are the last ones, started within min_ns */
		while (g > 0 && m[g - 1].lane == k.lane && k.time - m[g - 1].time < min_ns &&
		       m[g - 1].name != k.name)
			g--;
		if (g > 0 && m[g - 1].lane == k.lane && k.time - m[g - 1].time < min_ns) {
			m[g - 1].count += k.count;
			if (k.last > m[g - 1].last)
				m[g - 1].last = k.last;
		} else {
			m[w++] = k;
		}
	}
	c->marks.len = w;
}

size_t flame_chart_prune(struct flame_chart *c, uint64_t min_ns)
{
	struct flame_span *s = c->spans.data;
	size_t n = c->spans.len, w = 0, removed = 0;
	struct u64map counts;
	u64map_init(&counts, 64);
	for (size_t i = 0; i < n;) {
		if (s[i].end - s[i].start >= min_ns) {
			s[w++] = s[i++];
			continue;
		}
		/* a run of short spans, each close behind the previous one */
		struct flame_span m = s[i];
		size_t j = i + 1;
		uint64_t weight = s[i].weight;
		uint32_t count = s[i].merged ? s[i].merged : 1;
		bool one_name = true;
		while (j < n && s[j].lane == m.lane && s[j].depth == m.depth &&
		       s[j].end - s[j].start < min_ns && s[j].start - m.end < min_ns) {
			m.end = s[j].end;
			weight += s[j].weight;
			count += s[j].merged ? s[j].merged : 1;
			one_name &= s[j].name == s[i].name && s[j].module == s[i].module;
			j++;
		}
		bool keep = j - i > 1 && m.end - m.start >= min_ns;
		for (size_t k = i; k < j; k++)
			count_pruned(&counts, &s[k]);
		if (keep) {
			m.flags = FLAME_MERGED;
			m.merged = count;
			m.weight = weight;
			if (!one_name) {
				m.name = flame_name(c->names, "[merged]", 8);
				m.module = 0;
			}
			m.zone = 0;
			m.self = 0;
			s[w++] = m;
			removed += j - i - 1;
		} else {
			removed += j - i;
		}
		i = j;
	}
	c->spans.len = w;
	pruned_table(c, &counts);
	u64map_release(&counts);
	if (min_ns)
		group_marks(c, min_ns);
	return removed;
}

/* Per lane while sampling: the open span at each depth and where it ends. */
struct lane_state {
	VEC(uint32_t) open;
	uint64_t last_end;
	bool any;
};

/* The spans of the samples of threads with a lane in lane_of. */
static void add_sample_spans(struct flame_chart *c, const struct sc_profile *p, enum flame_weight w,
			     const uint32_t *lane_of)
{
	struct stacktrie fc;
	stacktrie_init_flame(&fc, p, c->names);
	struct lane_state *ls = xcalloc(c->lanes.len + 1, sizeof(*ls));
	uint64_t period = p->sample_hz ? 1000000000ull / p->sample_hz : 1000000ull;

	for (size_t i = 0; i < p->nsamples; i++) {
		const struct sc_sample *smp = &p->samples[i];
		size_t ti = smp->thread < p->nthreads ? smp->thread : p->nthreads;
		uint32_t lane = lane_of[ti];
		if (lane == FLAME_NONE)
			continue;
		struct lane_state *st = &ls[lane];
		uint64_t dur = smp->weight ? smp->weight : period;
		uint64_t start = smp->time > dur ? smp->time - dur : 0;
		/* bridge short pauses (the thread was preempted, or read a
		 * clock): only a pause of FLAME_CHART_GAP periods ends spans */
		bool cont = st->any && start <= st->last_end + FLAME_CHART_GAP * dur;
		if (cont || (st->any && start < st->last_end))
			start = st->last_end;
		uint64_t end = smp->time > start ? smp->time : start + 1;
		if (!cont)
			st->open.len = 0;
		st->any = true;
		st->last_end = end;
		size_t nfr;
		const uint64_t *fr = stacktrie_flame_frames(&fc, smp->stack, &nfr);
		uint64_t add = w == FLAME_SAMPLES ? 1 : smp->weight;
		for (size_t d = 0; d < nfr; d++) {
			uint32_t name = STACKTRIE_FLAME_NAME(fr[d]), module = STACKTRIE_FLAME_MODULE(fr[d]);
			uint32_t flags = STACKTRIE_FLAME_INLINED(fr[d]) ? FLAME_INLINED : 0u;
			if (d < st->open.len) {
				struct flame_span *o = &c->spans.data[st->open.data[d]];
				if (o->name == name && o->module == module) {
					o->end = end;
					o->weight += add;
					o->flags |= flags;
					continue;
				}
				st->open.len = d;
			}
			struct flame_span s = {
				.start = start, .end = end, .lane = lane, .depth = (uint32_t)d,
				.name = name, .module = module, .flags = flags, .weight = add,
			};
			flame_chart_add(c, &s);
			c->lanes.data[lane].spans++;
			VEC_PUSH(&st->open, (uint32_t)c->spans.len - 1);
		}
		if (st->open.len > nfr)
			st->open.len = nfr;
	}
	for (size_t i = 0; i < c->lanes.len; i++)
		VEC_FREE(&ls[i].open);
	free(ls);
	stacktrie_release(&fc);
}

/* Zone names interned in the chart on first use. */
struct zone_names {
	struct flame_chart *c;
	const struct sc_profile *p;
	uint32_t *id;               /* per profile zone name, FLAME_NONE = not yet */
};

static uint32_t zone_name(struct zone_names *zn, uint32_t name)
{
	const struct sc_profile *p = zn->p;
	if (name >= p->nzone_names)
		return flame_name(zn->c->names, "[unknown zone]", 14);
	if (zn->id[name] == FLAME_NONE) {
		const char *s = p->zone_names[name].name ? p->zone_names[name].name : "??";
		zn->id[name] = flame_name(zn->c->names, s, strlen(s));
	}
	return zn->id[name];
}

static size_t thread_slot(const struct sc_profile *p, uint16_t thread)
{
	return thread < p->nthreads ? thread : p->nthreads;
}

/* The zone spans of threads with a lane in lane_of, with their self time:
 * the duration less the overlap of the spans directly inside (found as
 * zone_analyze() finds them: the enclosing span is the last one before on
 * the thread with a smaller depth) and the calls dropped inside. */
static void add_zone_spans(struct flame_chart *c, const struct sc_profile *p,
			   const uint32_t *lane_of, struct zone_names *zn)
{
	size_t n = p->nzones, sp = 0;
	uint64_t *kids = xcalloc(n + 1, sizeof(*kids));
	uint32_t *stack = xmalloc((n + 1) * sizeof(*stack));
	for (size_t i = 0; i < n; i++) {
		const struct sc_zone *z = &p->zones[i];
		while (sp && (p->zones[stack[sp - 1]].thread != z->thread ||
			      p->zones[stack[sp - 1]].depth >= z->depth))
			sp--;
		if (sp) {
			const struct sc_zone *pz = &p->zones[stack[sp - 1]];
			uint64_t end = z->end < pz->end ? z->end : pz->end;
			if (end > z->start)
				kids[stack[sp - 1]] += end - z->start;
		}
		stack[sp++] = (uint32_t)i;
	}
	for (size_t i = 0; i < n; i++) {
		const struct sc_zone *z = &p->zones[i];
		uint32_t lane = lane_of[thread_slot(p, z->thread)];
		if (lane == FLAME_NONE)
			continue;
		uint64_t end = z->end > z->start ? z->end : z->start;
		uint64_t d = end - z->start, away = kids[i] + z->dropped_ns;
		struct flame_span s = {
			.start = z->start, .end = end, .lane = lane, .depth = z->depth,
			.name = zone_name(zn, z->name), .weight = 1, .zone = (uint32_t)i,
			.self = d > away ? d - away : 0,
			.flags = FLAME_ZONE | (z->flags & ZONE_F_UNWOUND ? FLAME_UNWOUND : 0) |
				 (z->flags & ZONE_F_UNFINISHED ? FLAME_UNFINISHED : 0) |
				 (z->flags & ZONE_F_THREAD_EXIT ? FLAME_THREAD_EXIT : 0),
		};
		flame_chart_add(c, &s);
		c->lanes.data[lane].spans++;
	}
	free(kids);
	free(stack);
}

/* The marks and counter values of threads with a lane in lane_of; a
 * counter per lane and name, its values in time order. */
static void add_marks_counters(struct flame_chart *c, const struct sc_profile *p,
			       const uint32_t *lane_of, struct zone_names *zn)
{
	for (size_t i = 0; i < p->nmarks; i++) {
		const struct sc_mark *m = &p->marks[i];
		uint32_t lane = lane_of[thread_slot(p, m->thread)];
		if (lane == FLAME_NONE)
			continue;
		struct flame_mark k = { m->time, m->time, lane, zone_name(zn, m->name), 1 };
		VEC_PUSH(&c->marks, k);
		c->lanes.data[lane].nmarks++;
	}
	struct u64map idx;
	u64map_init(&idx, 16);
	uint32_t *series = xmalloc((p->ncounters + 1) * sizeof(*series));
	for (size_t i = 0; i < p->ncounters; i++) {
		const struct sc_counter *v = &p->counters[i];
		uint32_t lane = lane_of[thread_slot(p, v->thread)];
		series[i] = FLAME_NONE;
		if (lane == FLAME_NONE)
			continue;
		uint32_t name = zone_name(zn, v->name);
		bool isnew;
		uint64_t *slot = u64map_put(&idx, (uint64_t)lane << 32 | name, &isnew);
		if (isnew) {
			struct flame_counter k = { .lane = lane, .name = name, .min = v->value,
						   .max = v->value };
			*slot = c->counters.len;
			VEC_PUSH(&c->counters, k);
			c->lanes.data[lane].ncounters++;
		}
		struct flame_counter *k = &c->counters.data[*slot];
		k->n++;
		if (v->value < k->min)
			k->min = v->value;
		if (v->value > k->max)
			k->max = v->value;
		k->last = v->value;
		series[i] = (uint32_t)*slot;
	}
	size_t off = 0;
	for (size_t k = 0; k < c->counters.len; k++) {
		c->counters.data[k].first = off;
		off += c->counters.data[k].n;
		c->counters.data[k].n = 0;
	}
	VEC_RESERVE(&c->points, off);
	c->points.len = off;
	for (size_t i = 0; i < p->ncounters; i++) {
		if (series[i] == FLAME_NONE)
			continue;
		struct flame_counter *k = &c->counters.data[series[i]];
		c->points.data[k->first + k->n++] = (struct flame_point){ p->counters[i].time,
									   p->counters[i].value };
	}
	free(series);
	u64map_release(&idx);
}

/* A thread of the chart: when it first shows and what it has. */
struct chart_thread {
	uint64_t first;
	uint32_t ti;
	bool zones, samples;
};

static int cmp_chart_threads(const void *a, const void *b)
{
	const struct chart_thread *x = a, *y = b;
	bool ux = x->zones || x->samples, uy = y->zones || y->samples;
	if (ux != uy)
		return ux ? -1 : 1;
	if (x->first != y->first)
		return x->first < y->first ? -1 : 1;
	return x->ti < y->ti ? -1 : x->ti > y->ti;
}

static void saw(struct chart_thread *t, uint64_t time, bool zone)
{
	if (time < t->first)
		t->first = time;
	*(zone ? &t->zones : &t->samples) = true;
}

/* What is missing, when p has none of what is asked. */
static int nothing_to_chart(const struct sc_profile *p, unsigned what, char *err, size_t errlen)
{
	bool s = what & FLAME_CHART_SAMPLES, z = what & FLAME_CHART_ZONES;
	bool has_z = p->nzones || p->nmarks || p->ncounters;
	if ((s && p->nsamples) || (z && has_z))
		return 0;
	if (s && z)
		snprintf(err, errlen, "nothing to draw in a flame chart: the profile has no CPU samples "
			 "(record them with `scorch record`) and no zones, marks or counters "
			 "(include/scorch.h, or `scorch record --calls` for a program built with "
			 "-finstrument-functions)");
	else if (z)
		snprintf(err, errlen, "the profile has no zones, marks or counters to chart (add them "
			 "with include/scorch.h, or trace every call with `scorch record --calls` "
			 "of a program built with -finstrument-functions)");
	else
		snprintf(err, errlen, "a flame chart of samples is drawn from CPU samples, and the "
			 "profile has none (record them with `scorch record`)");
	return -EINVAL;
}

int flame_chart_build(const struct sc_profile *p, unsigned what, enum flame_weight w,
		      const char *thread, struct flame_chart **out, char *err, size_t errlen)
{
	*out = NULL;
	bool want_s = what & FLAME_CHART_SAMPLES, want_z = what & FLAME_CHART_ZONES;
	if (!want_s && !want_z) {
		snprintf(err, errlen, "a flame chart of nothing (neither samples nor zones asked for)");
		return -EINVAL;
	}
	if (want_s && !flame_weight_is_cpu(w)) {
		snprintf(err, errlen, "a flame chart draws CPU samples and zones, and heap weights "
			 "(--heap=%s) have no time order", flame_weight_name(w));
		return -EINVAL;
	}
	int rc = nothing_to_chart(p, what, err, errlen);
	if (rc)
		return rc;
	size_t nt = p->nthreads + 1;
	bool *sel = xcalloc(nt, sizeof(*sel));
	rc = select_threads(p, thread, sel, err, errlen);
	if (rc) {
		free(sel);
		return rc;
	}
	struct chart_thread *ct = xcalloc(nt, sizeof(*ct));
	for (size_t i = 0; i < nt; i++)
		ct[i] = (struct chart_thread){ .first = UINT64_MAX, .ti = (uint32_t)i };
	uint64_t period = p->sample_hz ? 1000000000ull / p->sample_hz : 1000000ull;
	for (size_t i = 0; want_s && i < p->nsamples; i++) {
		const struct sc_sample *smp = &p->samples[i];
		uint64_t dur = smp->weight ? smp->weight : period;
		saw(&ct[thread_slot(p, smp->thread)], smp->time > dur ? smp->time - dur : 0, false);
	}
	for (size_t i = 0; want_z && i < p->nzones; i++)
		saw(&ct[thread_slot(p, p->zones[i].thread)], p->zones[i].start, true);
	for (size_t i = 0; want_z && i < p->nmarks; i++)
		saw(&ct[thread_slot(p, p->marks[i].thread)], p->marks[i].time, true);
	for (size_t i = 0; want_z && i < p->ncounters; i++)
		saw(&ct[thread_slot(p, p->counters[i].thread)], p->counters[i].time, true);
	for (size_t i = 0; i < nt; i++)
		if (!sel[i])
			ct[i].zones = ct[i].samples = false;
	qsort(ct, nt, sizeof(*ct), cmp_chart_threads);

	struct flame_chart *c = flame_chart_new(w);
	c->p = p;
	uint32_t *zlane = xmalloc(nt * sizeof(*zlane)), *slane = xmalloc(nt * sizeof(*slane));
	for (size_t i = 0; i < nt; i++)
		zlane[i] = slane[i] = FLAME_NONE;
	for (size_t i = 0; i < nt; i++) {
		uint32_t ti = ct[i].ti;
		bool known = ti < p->nthreads;
		const char *name = known ? p->threads[ti].name : "[unknown thread]";
		uint32_t tid = known ? p->threads[ti].tid : 0;
		if (ct[i].zones)
			zlane[ti] = add_lane(c, name, tid, FLAME_LANE_ZONES, ti);
		if (ct[i].samples)
			slane[ti] = add_lane(c, name, tid, FLAME_LANE_SAMPLES, ti);
	}
	if (want_s)
		add_sample_spans(c, p, w, slane);
	if (want_z) {
		struct zone_names zn = { c, p, xmalloc((p->nzone_names + 1) * sizeof(uint32_t)) };
		for (size_t i = 0; i < p->nzone_names; i++)
			zn.id[i] = FLAME_NONE;
		add_zone_spans(c, p, zlane, &zn);
		add_marks_counters(c, p, zlane, &zn);
		free(zn.id);
	}
	free(zlane);
	free(slane);
	free(ct);
	free(sel);
	flame_chart_finish(c);
	*out = c;
	return 0;
}

int flame_chart_from_profile(const struct sc_profile *p, enum flame_weight w,
			     const char *thread, struct flame_chart **out,
			     char *err, size_t errlen)
{
	return flame_chart_build(p, FLAME_CHART_SAMPLES, w, thread, out, err, errlen);
}
