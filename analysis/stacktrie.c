/* The stack model: a frame table and a stack trie built lazily from a
 * profile's stacks, and the per-(thread, node) weights of its CPU samples
 * and heap figures. See stacktrie.h. */
#include "stacktrie.h"

#include <stdlib.h>
#include <string.h>

#include "../lib/die.h"
#include "flame.h"

#define NONE STACKTRIE_NONE

uint32_t stacktrie_str(struct stacktrie *b, const char *s)
{
	bool isnew;
	uint32_t id = strmap_intern(&b->smap, s, (uint32_t)b->strs.len, &isnew);
	if (isnew)
		VEC_PUSH(&b->strs, arena_strdup(&b->arena, s));
	return id;
}

static uint32_t func_id(struct stacktrie *b, uint32_t name, int32_t module, uint32_t file)
{
	bool isnew;
	uint64_t *v = u64map_put(&b->fmap, name | (uint64_t)(uint32_t)(module + 1) << 32, &isnew);
	if (isnew) {
		*v = b->funcs.len;
		struct stacktrie_func f = { name, file, module, false };
		VEC_PUSH(&b->funcs, f);
	}
	return (uint32_t)*v;
}

static uint32_t frame_id(struct stacktrie *b, uint32_t func, bool inl)
{
	if (inl)
		b->funcs.data[func].inlined = true;
	if (b->by_func)
		inl = false;
	bool isnew;
	uint64_t *v = u64map_put(&b->frmap, func | (uint64_t)inl << 32, &isnew);
	if (isnew) {
		*v = b->frames.len;
		struct stacktrie_frame f = { func, inl };
		VEC_PUSH(&b->frames, f);
	}
	return (uint32_t)*v;
}

/* The frame of line j of location loc (the unsymbolized name when it has
 * no lines), seen for the first time. */
uint32_t stacktrie_loc_frame_new(struct stacktrie *b, uint32_t loc, uint32_t j)
{
	uint32_t *slot = &b->locframe[b->loc_base[loc] + j];
	const struct sc_location *L = &b->p->locations[loc];
	const struct sc_line *ln = L->nlines ? &L->lines[j] : NULL;
	sb_reset(&b->tmp);
	heap_frame_name(b->p, L, ln, &b->tmp);
	const char *name = sb_str(&b->tmp);
	uint32_t nid = stacktrie_str(b, *name ? name : "??");
	uint32_t fid = stacktrie_str(b, ln && ln->file ? ln->file : "");
	int32_t mod = L->module >= 0 && (size_t)L->module < b->p->nmodules ? L->module : -1;
	uint32_t fn = func_id(b, nid, mod, fid);
	*slot = frame_id(b, fn, ln && ln->inlined);
	return *slot;
}

static uint32_t child_of(struct stacktrie *b, uint32_t parent, uint32_t frame)
{
	bool isnew;
	uint64_t *v = u64map_put(&b->tmap, (uint64_t)parent << 32 | frame, &isnew);
	if (!isnew)
		return (uint32_t)*v;
	uint32_t id = (uint32_t)b->nodes.len;
	*v = id;
	struct stacktrie_node n = { parent, frame, NONE, b->nodes.data[parent].child };
	VEC_PUSH(&b->nodes, n);
	b->nodes.data[parent].child = id;
	return id;
}

uint32_t stacktrie_noframe(struct stacktrie *b)
{
	if (b->noframe == NONE)
		b->noframe = frame_id(b, func_id(b, stacktrie_str(b, "[no stack]"), -1,
						 stacktrie_str(b, "")), false);
	return b->noframe;
}

uint32_t stacktrie_root(struct stacktrie *b)
{
	struct stacktrie_node root = { NONE, NONE, NONE, NONE };
	VEC_PUSH(&b->nodes, root);
	return (uint32_t)b->nodes.len - 1;
}

void stacktrie_path_release(struct stacktrie_path *c)
{
	VEC_FREE(&c->frames);
	VEC_FREE(&c->nodes);
}

uint32_t stacktrie_insert(struct stacktrie *b, struct stacktrie_path *c, uint32_t root,
			  const uint32_t *frames, size_t n)
{
	/* c->nodes[i] is the node of frame i of the path inserted last, whose
	 * frames c->frames holds: equal frames up to the first difference are
	 * the same nodes */
	size_t same = 0;
	if (c->root == root && c->nodes.len == c->frames.len)
		while (same < n && same < c->frames.len && c->frames.data[same] == frames[same])
			same++;
	uint32_t node = same ? c->nodes.data[same - 1] : root;
	c->root = root;
	c->frames.len = c->nodes.len = same;
	VEC_RESERVE(&c->frames, n - same);
	VEC_RESERVE(&c->nodes, n - same);
	for (size_t i = same; i < n; i++) {
		node = child_of(b, node, frames[i]);
		c->frames.data[c->frames.len++] = frames[i];
		c->nodes.data[c->nodes.len++] = node;
	}
	return node;
}

const uint32_t *stacktrie_frames(struct stacktrie *b, uint32_t sid, bool inner_first, size_t *n)
{
	const struct sc_stack *st = sid < b->p->nstacks ? &b->p->stacks[sid] : NULL;
	b->pframes.len = 0;
	if (!st || !st->nlocs)
		VEC_PUSH(&b->pframes, stacktrie_noframe(b));
	uint32_t nlocs = st ? st->nlocs : 0;
	for (uint32_t i = 0; i < nlocs; i++) {
		uint32_t loc = st->locs[inner_first ? i : nlocs - 1 - i];
		if (loc >= b->p->nlocations)
			continue;
		uint32_t nl = b->p->locations[loc].nlines;
		nl = nl ? nl : 1;
		VEC_RESERVE(&b->pframes, nl);
		for (uint32_t j = 0; j < nl; j++)
			b->pframes.data[b->pframes.len++] =
				stacktrie_loc_frame(b, loc, inner_first ? j : nl - 1 - j);
	}
	*n = b->pframes.len;
	return b->pframes.data;
}

/* The trie node where stack sid ends, created with its path on first use.
 * The part it shares with the previous stack walked costs no lookup. */
uint32_t stacktrie_leaf(struct stacktrie *b, uint32_t sid)
{
	if (sid > b->p->nstacks)
		sid = (uint32_t)b->p->nstacks;   /* the empty stack's slot */
	if (b->stack_node[sid] != NONE)
		return b->stack_node[sid];
	size_t n;
	const uint32_t *fr = stacktrie_frames(b, sid, false, &n);
	uint32_t node = stacktrie_insert(b, &b->last, 0, fr, n);
	b->stack_node[sid] = node;
	return node;
}

void stacktrie_init(struct stacktrie *b, const struct sc_profile *p)
{
	memset(b, 0, sizeof(*b));
	b->p = p;
	strmap_init(&b->smap);
	u64map_init(&b->fmap, 1024);
	u64map_init(&b->frmap, 1024);
	u64map_init(&b->tmap, 4096);
	b->loc_base = xmalloc((p->nlocations + 1) * sizeof(*b->loc_base));
	size_t slots = 0;
	for (size_t i = 0; i < p->nlocations; i++) {
		b->loc_base[i] = slots;
		slots += p->locations[i].nlines ? p->locations[i].nlines : 1;
	}
	b->loc_base[p->nlocations] = slots;
	b->locframe = xmalloc((slots + 1) * sizeof(*b->locframe));
	memset(b->locframe, 0xff, (slots + 1) * sizeof(*b->locframe));
	b->stack_node = xmalloc((p->nstacks + 1) * sizeof(*b->stack_node));
	memset(b->stack_node, 0xff, (p->nstacks + 1) * sizeof(*b->stack_node));
	struct stacktrie_node root = { NONE, NONE, NONE, NONE };
	VEC_PUSH(&b->nodes, root);
	b->nothread = (uint32_t)p->nthreads;
	b->noframe = NONE;
	stacktrie_str(b, "");
}

void stacktrie_init_keys(struct stacktrie *b)
{
	memset(b, 0, sizeof(*b));
	u64map_init(&b->tmap, 4096);
	struct stacktrie_node root = { NONE, NONE, NONE, NONE };
	VEC_PUSH(&b->nodes, root);
	b->noframe = NONE;
}

void stacktrie_init_funcs(struct stacktrie *b, const struct sc_profile *p)
{
	stacktrie_init(b, p);
	b->by_func = true;
}

void stacktrie_trim(struct stacktrie *b)
{
	strmap_release(&b->smap);
	u64map_release(&b->fmap);
	u64map_release(&b->frmap);
	u64map_release(&b->tmap);
	free(b->loc_base);
	free(b->locframe);
	free(b->stack_node);
	b->loc_base = NULL;
	b->locframe = b->stack_node = NULL;
	VEC_FREE(&b->pframes);
	VEC_FREE(&b->pnodes);
	stacktrie_path_release(&b->last);
}

void stacktrie_release(struct stacktrie *b)
{
	stacktrie_trim(b);
	arena_release(&b->arena);
	VEC_FREE(&b->strs);
	VEC_FREE(&b->funcs);
	VEC_FREE(&b->frames);
	VEC_FREE(&b->nodes);
	sb_release(&b->tmp);
	free(b->flframe);
	free(b->fmodmap);
	free(b->fskip);
	VEC_FREE(&b->fbuf[0]);
	VEC_FREE(&b->fbuf[1]);
}

/* ---- flame keys ---- */

void stacktrie_init_flame(struct stacktrie *b, const struct sc_profile *p, struct flame_tree *ft)
{
	stacktrie_init(b, p);
	b->ft = ft;
	size_t slots = b->loc_base[p->nlocations];
	b->flframe = xmalloc((slots + 1) * sizeof(*b->flframe));
	memset(b->flframe, 0xff, (slots + 1) * sizeof(*b->flframe));
	b->fmodmap = xmalloc((p->nmodules + 1) * sizeof(*b->fmodmap));
	b->fskip = xcalloc(p->nmodules + 1, sizeof(*b->fskip));
	for (size_t m = 0; m < p->nmodules; m++) {
		b->fmodmap[m] = NONE;
		const char *nm = p->modules[m].name;
		b->fskip[m] = nm && !strncmp(nm, "libscorch", 9);
	}
	b->fnostack = UINT64_MAX;
}

static uint32_t flame_mod(struct stacktrie *b, int32_t m)
{
	if (m < 0 || (size_t)m >= b->p->nmodules)
		return 0;
	if (b->fmodmap[m] == NONE) {
		const struct sc_module *mod = &b->p->modules[m];
		b->fmodmap[m] = flame_module(b->ft, mod->name ? mod->name : "", mod->is_main);
	}
	return b->fmodmap[m];
}

/* The flame frame of line j of location loc. All lines of a location are
 * interned on its first use, innermost first, so names get their ids in
 * that order whatever line is asked for. */
static uint64_t flame_frame(struct stacktrie *b, uint32_t loc, uint32_t j)
{
	uint64_t *slot = &b->flframe[b->loc_base[loc]];
	if (slot[j] != UINT64_MAX)
		return slot[j];
	const struct sc_location *L = &b->p->locations[loc];
	uint64_t mod = (uint64_t)flame_mod(b, L->module) << 32;
	uint32_t n = L->nlines ? L->nlines : 1;
	for (uint32_t i = 0; i < n; i++) {
		const struct sc_line *ln = L->nlines ? &L->lines[i] : NULL;
		sb_reset(&b->tmp);
		heap_frame_name(b->p, L, ln, &b->tmp);
		const char *s = b->tmp.len ? b->tmp.buf : "??";
		slot[i] = flame_name(b->ft, s, strlen(s)) | mod | (uint64_t)(ln && ln->inlined) << 63;
	}
	return slot[j];
}

const uint64_t *stacktrie_flame_frames(struct stacktrie *b, uint32_t sid, size_t *n)
{
	const struct sc_profile *p = b->p;
	const struct sc_stack *st = sid < p->nstacks ? &p->stacks[sid] : NULL;
	b->fcur ^= 1;
	stacktrie_u64vec *cur = &b->fbuf[b->fcur];
	cur->len = 0;
	for (uint32_t k = st ? st->nlocs : 0; k-- > 0;) {
		uint32_t l = st->locs[k];
		if (l >= p->nlocations)
			continue;
		const struct sc_location *loc = &p->locations[l];
		if (loc->module >= 0 && (size_t)loc->module < p->nmodules && b->fskip[loc->module])
			continue;
		uint32_t nl = loc->nlines ? loc->nlines : 1;
		for (uint32_t j = nl; j-- > 0;) {
			uint64_t f = flame_frame(b, l, j);
			VEC_PUSH(cur, f);
		}
	}
	if (!cur->len) {
		if (b->fnostack == UINT64_MAX)
			b->fnostack = flame_name(b->ft, "[no stack]", 10);
		VEC_PUSH(cur, b->fnostack);
	}
	*n = cur->len;
	return cur->data;
}

uint32_t stacktrie_flame_leaf(struct stacktrie *b, uint32_t sid)
{
	const uint64_t *prev = b->fbuf[b->fcur].data;
	size_t nprev = b->fbuf[b->fcur].len, n;
	const uint64_t *cur = stacktrie_flame_frames(b, sid, &n);
	/* equal frames up to here: the same nodes, their inlined flag already set */
	size_t same = 0;
	while (same < n && same < nprev && prev[same] == cur[same])
		same++;
	uint32_t node = same ? b->pnodes.data[same - 1] : 0;
	b->pnodes.len = same;
	VEC_RESERVE(&b->pnodes, n - same);
	for (size_t i = same; i < n; i++) {
		uint64_t f = cur[i];
		node = flame_child(b->ft, node, STACKTRIE_FLAME_NAME(f), STACKTRIE_FLAME_MODULE(f));
		if (STACKTRIE_FLAME_INLINED(f))
			b->ft->nodes.data[node].flags |= FLAME_INLINED;
		b->pnodes.data[b->pnodes.len++] = node;
	}
	return node;
}


uint32_t stacktrie_thread(struct stacktrie *b, uint32_t t)
{
	if (t < b->p->nthreads)
		return t;
	b->nothread_used = true;
	return b->nothread;
}

uint32_t stacktrie_weights_add(struct stacktrie_weights *w, uint32_t thread, uint32_t node)
{
	bool isnew;
	uint64_t *v = u64map_put(&w->map, (uint64_t)thread << 32 | node, &isnew);
	if (isnew) {
		*v = w->e.len;
		struct stacktrie_wentry e = { thread, node, { 0, 0, 0, 0 } };
		VEC_PUSH(&w->e, e);
	}
	return (uint32_t)*v;
}

void stacktrie_weights_init(struct stacktrie_weights *w)
{
	memset(w, 0, sizeof(*w));
	u64map_init(&w->map, 1024);
}

void stacktrie_weights_release(struct stacktrie_weights *w)
{
	u64map_release(&w->map);
	VEC_FREE(&w->e);
}


/* ---- preorder numbering ---- */

struct order_ctx {
	const struct stacktrie *b;
	const uint32_t *rank;       /* per frame: its place in name order */
};

static int cmp_frames(const void *x, const void *y, void *arg)
{
	const struct stacktrie *b = arg;
	const struct stacktrie_frame *a = &b->frames.data[*(const uint32_t *)x];
	const struct stacktrie_frame *c = &b->frames.data[*(const uint32_t *)y];
	const struct stacktrie_func *fa = &b->funcs.data[a->func], *fc = &b->funcs.data[c->func];
	int r = strcmp(b->strs.data[fa->name], b->strs.data[fc->name]);
	if (r)
		return r;
	if (fa->module != fc->module)
		return fa->module < fc->module ? -1 : 1;
	return (int)a->inl - (int)c->inl;
}

/* Children in descending name order: pushed on the walk's stack in this
 * order, they come off it in ascending order. */
static int cmp_kids_desc(const void *x, const void *y, void *arg)
{
	const struct order_ctx *c = arg;
	uint32_t a = c->rank[c->b->nodes.data[*(const uint32_t *)x].frame];
	uint32_t d = c->rank[c->b->nodes.data[*(const uint32_t *)y].frame];
	return a < d ? 1 : a > d ? -1 : 0;
}

/* Numbers the trie in preorder with siblings by name: fills order (new id ->
 * old) and newid (old -> new), depth per new id. Returns the maximum depth. */
uint32_t stacktrie_number(const struct stacktrie *b, uint32_t *order, uint32_t *newid,
			  uint32_t *depth)
{
	size_t nf = b->frames.len;
	uint32_t *byname = xmalloc((nf + 1) * sizeof(*byname));
	uint32_t *rank = xmalloc((nf + 1) * sizeof(*rank));
	for (size_t i = 0; i < nf; i++)
		byname[i] = (uint32_t)i;
	qsort_r(byname, nf, sizeof(*byname), cmp_frames, (void *)b);
	for (size_t i = 0; i < nf; i++)
		rank[byname[i]] = (uint32_t)i;
	struct order_ctx ctx = { b, rank };

	VEC(uint32_t) st = { 0 };
	VEC(uint32_t) kids = { 0 };
	uint32_t *odepth = xmalloc(b->nodes.len * sizeof(*odepth));
	uint32_t k = 0, maxd = 0;
	odepth[0] = 0;
	VEC_PUSH(&st, 0u);
	while (st.len) {
		uint32_t v = st.data[--st.len];
		newid[v] = k;
		order[k] = v;
		depth[k] = odepth[v];
		if (odepth[v] > maxd)
			maxd = odepth[v];
		k++;
		kids.len = 0;
		for (uint32_t c = b->nodes.data[v].child; c != NONE; c = b->nodes.data[c].next) {
			odepth[c] = odepth[v] + 1;
			VEC_PUSH(&kids, c);
		}
		if (kids.len > 1)
			qsort_r(kids.data, kids.len, sizeof(*kids.data), cmp_kids_desc, &ctx);
		VEC_RESERVE(&st, kids.len);
		for (size_t i = 0; i < kids.len; i++)
			st.data[st.len++] = kids.data[i];
	}
	VEC_FREE(&st);
	VEC_FREE(&kids);
	free(odepth);
	free(byname);
	free(rank);
	return maxd;
}


/* ---- weights ---- */

static int cmp_wentry(const void *x, const void *y)
{
	const struct stacktrie_wentry *a = x, *c = y;
	if (a->thread != c->thread)
		return a->thread < c->thread ? -1 : 1;
	return a->node < c->node ? -1 : a->node > c->node;
}

void stacktrie_weights_sort(struct stacktrie_weights *w, const uint32_t *newid)
{
	if (newid)
		for (size_t i = 0; i < w->e.len; i++)
			w->e.data[i].node = newid[w->e.data[i].node];
	if (w->e.len > 1)   /* data is NULL when empty (a CPU profile without samples) */
		qsort(w->e.data, w->e.len, sizeof(*w->e.data), cmp_wentry);
}


uint8_t *stacktrie_matching(const struct sc_profile *p, struct stack_filter *f)
{
	uint8_t *m = xmalloc(p->nstacks + 1);
	for (size_t s = 0; s < p->nstacks; s++)
		m[s] = stack_filter_stack(f, &p->stacks[s]);
	return m;
}

struct sort_item {
	const uint32_t *locs;
	uint32_t nlocs, id;
};

static int cmp_outer(const void *x, const void *y)
{
	const struct sort_item *a = x, *d = y;
	uint32_t n = a->nlocs < d->nlocs ? a->nlocs : d->nlocs;
	const uint32_t *la = a->locs + a->nlocs, *ld = d->locs + d->nlocs;
	for (uint32_t k = 1; k <= n; k++)
		if (la[-(ptrdiff_t)k] != ld[-(ptrdiff_t)k])
			return la[-(ptrdiff_t)k] < ld[-(ptrdiff_t)k] ? -1 : 1;
	if (a->nlocs != d->nlocs)
		return a->nlocs < d->nlocs ? -1 : 1;
	return a->id < d->id ? -1 : a->id > d->id;
}

static int cmp_inner(const void *x, const void *y)
{
	const struct sort_item *a = x, *d = y;
	uint32_t n = a->nlocs < d->nlocs ? a->nlocs : d->nlocs;
	for (uint32_t k = 0; k < n; k++)
		if (a->locs[k] != d->locs[k])
			return a->locs[k] < d->locs[k] ? -1 : 1;
	if (a->nlocs != d->nlocs)
		return a->nlocs < d->nlocs ? -1 : 1;
	return a->id < d->id ? -1 : a->id > d->id;
}

void stacktrie_sort_stacks(const struct stacktrie *b, uint32_t *ids, size_t n, bool inner_first)
{
	if (n < 2)
		return;
	struct sort_item *v = xmalloc(n * sizeof(*v));
	for (size_t i = 0; i < n; i++) {
		const struct sc_stack *st = &b->p->stacks[ids[i]];
		v[i] = (struct sort_item){ st->locs, st->nlocs, ids[i] };
	}
	qsort(v, n, sizeof(*v), inner_first ? cmp_inner : cmp_outer);
	for (size_t i = 0; i < n; i++)
		ids[i] = v[i].id;
	free(v);
}

void stacktrie_walk(struct stacktrie *b, const uint8_t *need)
{
	for (size_t s = 0; s < b->p->nstacks; s++)
		if (need[s])
			stacktrie_leaf(b, (uint32_t)s);
}

/* CPU samples per (thread, leaf node): samples, ns, and in wall mode the
 * on-CPU and off-CPU samples. Only samples whose stack matches count. */
void stacktrie_cpu_weights(struct stacktrie *b, const uint8_t *match,
			   struct stacktrie_weights *w, struct stacktrie_cpu_totals *t)
{
	const struct sc_profile *p = b->p;
	size_t nt = p->nthreads + 1;
	uint64_t *cnt = xcalloc(nt, sizeof(*cnt)), *first = xcalloc(nt, sizeof(*first));
	uint64_t *last = xcalloc(nt, sizeof(*last));
	uint8_t *need = xcalloc(p->nstacks + 1, 1);
	memset(t, 0, sizeof(*t));
	t->wall = p->flags & PROF_WALL;
	for (size_t i = 0; i < p->nsamples; i++) {
		const struct sc_sample *s = &p->samples[i];
		uint32_t th = stacktrie_thread(b, s->thread);
		t->all++;
		t->offcpu += s->offcpu;
		t->oncpu += !s->offcpu;
		if (!cnt[th]++)
			first[th] = s->time;
		last[th] = s->time;
		if (s->stack < p->nstacks && match[s->stack])
			need[s->stack] = 1;
	}
	stacktrie_walk(b, need);
	for (size_t i = 0; i < p->nsamples; i++) {
		const struct sc_sample *s = &p->samples[i];
		if (s->stack >= p->nstacks || !match[s->stack])
			continue;
		t->matched++;
		t->matched_ns += s->weight;
		t->no_stack += !p->stacks[s->stack].nlocs;
		uint32_t k = stacktrie_weights_add(w, stacktrie_thread(b, s->thread), b->stack_node[s->stack]);
		struct stacktrie_wentry *e = &w->e.data[k];   /* after wadd: it may move w->e */
		e->w[0]++;
		e->w[1] += s->weight;
		e->w[2] += !s->offcpu;
		e->w[3] += s->offcpu;
	}
	/* the busiest thread: most samples, then the lowest tid */
	size_t busiest = nt;
	for (size_t i = 0; i < nt; i++) {
		if (!cnt[i])
			continue;
		t->threads_sampled++;
		if (busiest == nt || cnt[i] > cnt[busiest] ||
		    (cnt[i] == cnt[busiest] && i < p->nthreads && busiest < p->nthreads &&
		     p->threads[i].tid < p->threads[busiest].tid))
			busiest = i;
	}
	if (p->cpu_time_ns) {
		t->achieved_hz = (double)t->oncpu * 1e9 / (double)p->cpu_time_ns;
		t->from_cpu_time = true;
	} else if (busiest < nt && cnt[busiest] >= 2 && last[busiest] > first[busiest]) {
		/* n samples span n - 1 intervals */
		t->achieved_hz = (double)(cnt[busiest] - 1) * 1e9 / (double)(last[busiest] - first[busiest]);
	}
	free(cnt);
	free(first);
	free(last);
	free(need);
}

/* Bytes, count, peak and leaked by (thread, node) and by (thread, site),
 * from the heap model's figures per (stack, thread) (its replay, its peak
 * event). Allocations outside hr's filter do not count. */
void stacktrie_heap_weights(struct stacktrie *b, const struct heap_result *hr,
			    struct stacktrie_weights *w, struct stacktrie_weights *sw)
{
	const struct sc_profile *p = b->p;
	uint8_t *need = xcalloc(p->nstacks + 1, 1);
	for (size_t i = 0; i < hr->nby_thread; i++) {
		const struct heap_stack_thread *x = &hr->by_thread[i];
		if (x->stack < p->nstacks && hr->stacks[x->stack].site != NONE)
			need[x->stack] = 1;
	}
	stacktrie_walk(b, need);
	free(need);
	/* in the order of each (stack, thread)'s first allocation, so entries
	 * are made in the order of their first allocation */
	for (size_t i = 0; i < hr->nby_thread; i++) {
		const struct heap_stack_thread *x = &hr->by_thread[i];
		uint32_t site = hr->stacks[x->stack].site;
		if (site == NONE || !x->allocations)
			continue;
		uint32_t th = stacktrie_thread(b, x->thread);
		uint32_t k = stacktrie_weights_add(w, th, stacktrie_leaf(b, x->stack));
		uint64_t v[4] = { x->bytes, x->allocations, x->peak_bytes, x->leaked_bytes };
		for (int m = 0; m < 4; m++)
			w->e.data[k].w[m] += v[m];
		k = stacktrie_weights_add(sw, th, site);
		for (int m = 0; m < 4; m++)
			sw->e.data[k].w[m] += v[m];
	}
}

