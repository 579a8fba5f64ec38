/* Heap analysis: replays a profile's alloc/free events against a live set to
 * find calls, totals, peak, leaks, temporaries, lifetimes, allocation sites,
 * per-stack aggregates, the size histogram, modules and memory over time,
 * and calls the visitors of views that need more (DHAT, massif). Built for
 * 10^8 events: no allocation per event, one open-addressing table holding
 * the live blocks only; the events stream through events.h's iterator. */
#include "events.h"
#include "filter.h"
#include "heap.h"

#include <errno.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../lib/die.h"
#include "../lib/hashmap.h"
#include "../lib/vec.h"

#define NONE UINT32_MAX

/* ---- live set: addr -> block, linear probing with backward-shift delete ---- */

struct live {
	uint64_t addr;              /* 0 = empty slot (malloc never returns 0 for a block) */
	uint64_t size;
	uint64_t time;
	uint64_t serial;            /* event ordinal + 1 of the allocation */
	uint32_t stack;             /* clamped to the profile's stacks */
	uint16_t thread;
	uint8_t func;
	uint8_t pad;
};

struct livetab {
	struct live *e;
	size_t cap, len;
	unsigned shift;
};

static inline size_t live_slot(const struct livetab *t, uint64_t addr)
{
	return (size_t)((addr * 0x9E3779B97F4A7C15ull) >> t->shift);
}

static void live_init(struct livetab *t, size_t cap)
{
	unsigned bits = 4;
	while (((size_t)1 << bits) < cap)
		bits++;
	t->cap = (size_t)1 << bits;
	t->shift = 64 - bits;
	t->len = 0;
	t->e = xcalloc(t->cap, sizeof(*t->e));
}

static void live_grow(struct livetab *t)
{
	struct livetab n;
	live_init(&n, t->cap * 2);
	for (size_t i = 0; i < t->cap; i++) {
		if (!t->e[i].addr)
			continue;
		size_t j = live_slot(&n, t->e[i].addr);
		while (n.e[j].addr)
			j = (j + 1) & (n.cap - 1);
		n.e[j] = t->e[i];
	}
	n.len = t->len;
	free(t->e);
	*t = n;
}

/* Returns the slot for addr; *found tells whether it was already live. */
static inline struct live *live_put(struct livetab *t, uint64_t addr, bool *found)
{
	if ((t->len + 1) * 2 > t->cap)
		live_grow(t);
	size_t mask = t->cap - 1, i = live_slot(t, addr);
	while (t->e[i].addr) {
		if (t->e[i].addr == addr) {
			*found = true;
			return &t->e[i];
		}
		i = (i + 1) & mask;
	}
	*found = false;
	t->e[i].addr = addr;
	t->len++;
	return &t->e[i];
}

static inline struct live *live_get(const struct livetab *t, uint64_t addr)
{
	size_t mask = t->cap - 1, i = live_slot(t, addr);
	while (t->e[i].addr) {
		if (t->e[i].addr == addr)
			return &t->e[i];
		i = (i + 1) & mask;
	}
	return NULL;
}

/* Removes the entry e points to, shifting later members of its run back so
 * lookups never need tombstones. */
static inline void live_del(struct livetab *t, struct live *e)
{
	size_t mask = t->cap - 1, i = (size_t)(e - t->e), j = i;
	for (;;) {
		j = (j + 1) & mask;
		if (!t->e[j].addr)
			break;
		size_t home = live_slot(t, t->e[j].addr);
		/* move j into the hole at i unless its home lies cyclically in (i, j] */
		bool stays = i <= j ? (home > i && home <= j) : (home > i || home <= j);
		if (stays)
			continue;
		t->e[i] = t->e[j];
		i = j;
	}
	t->e[i].addr = 0;
	t->len--;
}

/* ---- allocator wrappers ---- */

static const char *const wrap_exact[] = {
	"malloc", "calloc", "realloc", "reallocarray", "posix_memalign",
	"aligned_alloc", "memalign", "valloc", "pvalloc",
	"__libc_malloc", "__libc_calloc", "__libc_realloc", "__libc_memalign",
	"__libc_valloc", "__libc_pvalloc", "__posix_memalign",
	"strdup", "strndup", "__strdup", "__strndup",
	"g_malloc", "g_malloc0", "g_realloc", "g_try_malloc", "g_try_malloc0",
	"g_try_realloc", "g_malloc_n", "g_malloc0_n", "g_realloc_n",
	"g_try_malloc_n", "g_try_malloc0_n", "g_try_realloc_n",
	"g_memdup", "g_memdup2", "g_strdup", "g_strndup", "g_slice_alloc", "g_slice_alloc0",
};

static const char *const wrap_prefix[] = {
	"operator new",             /* new, new[], nothrow, align_val_t variants */
	"__rust_alloc",             /* also __rust_alloc_zeroed */
	"__rust_realloc",
	"__rdl_", "__rg_",
	/* Rust's alloc crate (Box, Vec, String, RawVec, format!, the Global
	 * allocator), demangled as paths or as <impl> paths */
	"alloc::", "<alloc::",
	"<std::alloc::System as core::alloc::global::GlobalAlloc>::",
	"std::sys::alloc::", "std::sys::pal::unix::alloc::", "std::sys::unix::alloc::",
};

/* C++ allocator classes whose allocate() member is a wrapper. */
static const char *const wrap_alloc_class[] = {
	"std::allocator<", "std::allocator_traits<", "std::__new_allocator<",
	"__gnu_cxx::new_allocator<", "__gnu_cxx::__alloc_traits<",
};

static bool has_prefix(const char *s, const char *pre)
{
	return strncmp(s, pre, strlen(pre)) == 0;
}

/* The function part of s ends with "::allocate" (then '(' args or the end). */
static bool is_allocate_member(const char *s)
{
	const char *m = s;
	while ((m = strstr(m, "::allocate"))) {
		char c = m[10];
		if (c == '\0' || c == '(')
			return true;
		m += 10;
	}
	return false;
}

bool heap_is_wrapper(const char *func)
{
	if (!func || !*func)
		return false;
	for (size_t i = 0; i < sizeof(wrap_exact) / sizeof(*wrap_exact); i++)
		if (!strcmp(func, wrap_exact[i]))
			return true;
	for (size_t i = 0; i < sizeof(wrap_prefix) / sizeof(*wrap_prefix); i++)
		if (has_prefix(func, wrap_prefix[i]))
			return true;
	for (size_t i = 0; i < sizeof(wrap_alloc_class) / sizeof(*wrap_alloc_class); i++)
		if (has_prefix(func, wrap_alloc_class[i]))
			return is_allocate_member(func);
	return false;
}

/* ---- names ---- */

static bool line_known(const struct sc_line *ln)
{
	return ln && ln->func && ln->func[0] && strcmp(ln->func, "??") != 0;
}

void heap_frame_name(const struct sc_profile *p, const struct sc_location *loc,
		     const struct sc_line *ln, struct strbuf *out)
{
	if (line_known(ln)) {
		sb_adds(out, ln->func);
		return;
	}
	if (loc && loc->module >= 0 && (size_t)loc->module < p->nmodules) {
		const struct sc_module *m = &p->modules[loc->module];
		sb_addf(out, "[%s+0x%llx]", m->name ? m->name : "?",
			(unsigned long long)(loc->addr - m->bias));
	} else {
		sb_addf(out, "[0x%llx]", (unsigned long long)(loc ? loc->addr : 0));
	}
}

int heap_filter_check(const char *re, char *err, size_t errlen)
{
	regex_t rx;
	int rc = regcomp(&rx, re, REG_EXTENDED | REG_NOSUB);
	if (rc) {
		if (err && errlen)
			regerror(rc, &rx, err, errlen);
		regfree(&rx);
		return -EINVAL;
	}
	regfree(&rx);
	return 0;
}

/* ---- sort keys ---- */

static const char *const sort_names[] = {
	"bytes", "count", "peak", "leaked", "temporary", "short-lived",
};

int heap_sort_parse(const char *s)
{
	for (size_t i = 0; i < sizeof(sort_names) / sizeof(*sort_names); i++)
		if (!strcmp(s, sort_names[i]))
			return (int)i;
	return -1;
}

const char *heap_sort_name(enum heap_sort k)
{
	return (unsigned)k < sizeof(sort_names) / sizeof(*sort_names) ? sort_names[k] : "?";
}

static uint64_t site_key(const struct heap_site *s, enum heap_sort k)
{
	switch (k) {
	case HEAP_SORT_COUNT: return s->allocations;
	case HEAP_SORT_PEAK: return s->peak_bytes;
	case HEAP_SORT_LEAKED: return s->leaked_bytes;
	case HEAP_SORT_TEMPORARY: return s->temporary;
	case HEAP_SORT_SHORT_LIVED: return s->short_lived;
	case HEAP_SORT_BYTES: default: return s->bytes;
	}
}

struct sort_ctx {
	const struct heap_site *sites;
	enum heap_sort key;
};

static int cmp_u64_desc(uint64_t a, uint64_t b)
{
	return a < b ? 1 : a > b ? -1 : 0;
}

static int cmp_sites(const void *a, const void *b, void *arg)
{
	const struct sort_ctx *c = arg;
	const struct heap_site *x = &c->sites[*(const uint32_t *)a];
	const struct heap_site *y = &c->sites[*(const uint32_t *)b];
	int r = cmp_u64_desc(site_key(x, c->key), site_key(y, c->key));
	if (!r)
		r = cmp_u64_desc(x->bytes, y->bytes);
	if (!r)
		r = cmp_u64_desc(x->allocations, y->allocations);
	if (!r)
		r = strcmp(x->func, y->func);
	if (!r)
		r = strcmp(x->file, y->file);
	if (!r)
		r = x->line < y->line ? -1 : x->line > y->line;
	if (!r)
		r = *(const uint32_t *)a < *(const uint32_t *)b ? -1 : 1;
	return r;
}

size_t heap_sites_sorted(const struct heap_result *r, enum heap_sort key, uint32_t *idx)
{
	size_t n = 0;
	for (size_t i = 0; i < r->nsites; i++) {
		const struct heap_site *s = &r->sites[i];
		if (!s->allocations)
			continue;
		if (key != HEAP_SORT_BYTES && key != HEAP_SORT_COUNT && !site_key(s, key))
			continue;
		idx[n++] = (uint32_t)i;
	}
	struct sort_ctx c = { r->sites, key };
	qsort_r(idx, n, sizeof(*idx), cmp_sites, &c);
	return n;
}

/* ---- sites: which frame of a stack, interned by (func, file, line, module) ---- */

struct analyzer {
	const struct sc_profile *p;
	struct heap_result *r;
	VEC(struct heap_site) sites;
	/* site intern table: open addressing of site index + 1 (0 = empty) */
	uint32_t *stab;
	uint64_t *shash;
	size_t scap;
	int32_t *loc_first;         /* first non-wrapper line of a location, -1 none, -2 not yet known */
	uint32_t *loc_site;         /* site of that line, NONE not yet known */
	struct stack_filter flt;
	struct strbuf tmp;
};

static uint64_t site_hash(const char *func, const char *file, uint32_t line, int32_t module)
{
	uint64_t h = hash_bytes(func, strlen(func), 0);
	h = hash_bytes(file, strlen(file), h);
	return hash_u64(h ^ ((uint64_t)line << 32) ^ (uint32_t)module);
}

static void stab_grow(struct analyzer *a)
{
	size_t cap = a->scap ? a->scap * 2 : 1024;
	uint32_t *tab = xcalloc(cap, sizeof(*tab));
	uint64_t *hs = xcalloc(cap, sizeof(*hs));
	for (size_t i = 0; i < a->scap; i++) {
		if (!a->stab[i])
			continue;
		size_t j = a->shash[i] & (cap - 1);
		while (tab[j])
			j = (j + 1) & (cap - 1);
		tab[j] = a->stab[i];
		hs[j] = a->shash[i];
	}
	free(a->stab);
	free(a->shash);
	a->stab = tab;
	a->shash = hs;
	a->scap = cap;
}

/* Returns the site index for this frame, creating it on first sight. */
static uint32_t intern_site(struct analyzer *a, uint32_t loc, uint32_t li)
{
	const struct sc_profile *p = a->p;
	const char *func, *file = "";
	uint32_t line = 0;
	int32_t module = -1;
	const struct sc_location *l = loc == NONE ? NULL : &p->locations[loc];
	const struct sc_line *ln = l && l->nlines ? &l->lines[li] : NULL;
	if (l)
		module = l->module;
	if (!l) {
		func = "[no stack]";
	} else if (line_known(ln)) {
		func = ln->func;
		file = ln->file ? ln->file : "";
		line = ln->line;
	} else {
		sb_reset(&a->tmp);
		heap_frame_name(p, l, ln, &a->tmp);
		func = a->tmp.buf;
	}
	if ((a->sites.len + 1) * 2 > a->scap)
		stab_grow(a);
	uint64_t h = site_hash(func, file, line, module);
	size_t i = h & (a->scap - 1);
	while (a->stab[i]) {
		const struct heap_site *s = &a->sites.data[a->stab[i] - 1];
		if (a->shash[i] == h && s->line == line && s->module == module &&
		    !strcmp(s->func, func) && !strcmp(s->file, file))
			return a->stab[i] - 1;
		i = (i + 1) & (a->scap - 1);
	}
	struct heap_site s;
	memset(&s, 0, sizeof(s));
	s.func = func == a->tmp.buf ? arena_strdup(&a->r->arena, func) : func;
	s.file = file;
	s.line = line;
	s.module = module;
	s.loc = loc;
	s.loc_line = li;
	s.stack = NONE;
	VEC_PUSH(&a->sites, s);
	a->stab[i] = (uint32_t)a->sites.len;
	a->shash[i] = h;
	return (uint32_t)a->sites.len - 1;
}

static bool module_is_runtime(const struct sc_profile *p, int32_t m)
{
	return m >= 0 && (size_t)m < p->nmodules && p->modules[m].name &&
	       has_prefix(p->modules[m].name, "libscorch");
}

static int32_t loc_first_nonwrapper(struct analyzer *a, uint32_t loc)
{
	if (a->loc_first[loc] != -2)
		return a->loc_first[loc];
	const struct sc_location *l = &a->p->locations[loc];
	int32_t first = -1;
	if (!module_is_runtime(a->p, l->module)) {
		if (!l->nlines) {
			first = 0;
		} else {
			/* lines run innermost first, each inlined into the next: code
			 * inlined into a wrapper (Option::map_or_else inside format!)
			 * is the wrapper's, so the site is the first line after the
			 * outermost wrapper line */
			int32_t last_wrap = -1;
			for (uint32_t i = 0; i < l->nlines; i++)
				if (line_known(&l->lines[i]) && heap_is_wrapper(l->lines[i].func))
					last_wrap = (int32_t)i;
			first = last_wrap + 1 < (int32_t)l->nlines ? last_wrap + 1 : -1;
		}
	}
	a->loc_first[loc] = first;
	return first;
}

static uint32_t stack_site(struct analyzer *a, const struct sc_stack *st)
{
	for (uint32_t k = 0; k < st->nlocs; k++) {
		uint32_t loc = st->locs[k];
		int32_t li = loc_first_nonwrapper(a, loc);
		if (li < 0)
			continue;
		if (a->loc_site[loc] == NONE)
			a->loc_site[loc] = intern_site(a, loc, (uint32_t)li);
		return a->loc_site[loc];
	}
	if (!st->nlocs)
		return intern_site(a, NONE, 0);
	/* every frame is a wrapper: the outermost one is the best we have */
	uint32_t loc = st->locs[st->nlocs - 1];
	uint32_t nl = a->p->locations[loc].nlines;
	return intern_site(a, loc, nl ? nl - 1 : 0);
}

static bool stack_matches(struct analyzer *a, const struct sc_stack *st)
{
	return stack_filter_stack(&a->flt, st);
}

/* ---- timeline: per time bucket, the max and the last value ---- */

struct series {
	struct heap_point *pts;
	size_t n, cap;
	uint64_t width, bucket_end;
	bool open;
	struct heap_point max, last;
};

static void series_init(struct series *s, uint64_t end, uint32_t buckets)
{
	memset(s, 0, sizeof(*s));
	s->width = end / buckets + 1;
	s->cap = 2 * (size_t)buckets + 4;
	s->pts = xmalloc(s->cap * sizeof(*s->pts));
}

static void series_push(struct series *s, uint64_t t, uint64_t v)
{
	if (s->n < s->cap)
		s->pts[s->n++] = (struct heap_point){ t, v };
}

static void series_flush(struct series *s)
{
	if (!s->open)
		return;
	series_push(s, s->max.time, s->max.bytes);
	if (s->last.time != s->max.time || s->last.bytes != s->max.bytes)
		series_push(s, s->last.time, s->last.bytes);
	s->open = false;
}

static inline void series_add(struct series *s, uint64_t t, uint64_t v)
{
	if (!s->open || t >= s->bucket_end) {
		series_flush(s);
		s->bucket_end = (t / s->width + 1) * s->width;
		s->open = true;
		s->max = s->last = (struct heap_point){ t, v };
		return;
	}
	if (v > s->max.bytes)
		s->max = (struct heap_point){ t, v };
	s->last = (struct heap_point){ t, v };
}

/* ---- the analysis ---- */

static int cmp_leaks(const void *a, const void *b)
{
	const struct heap_leak *x = a, *y = b;
	int r = cmp_u64_desc(x->bytes, y->bytes);
	if (!r)
		r = cmp_u64_desc(x->blocks, y->blocks);
	if (!r)
		r = x->stack < y->stack ? -1 : x->stack > y->stack;
	return r;
}

static int cmp_modules(const void *a, const void *b)
{
	const struct heap_module_stat *x = a, *y = b;
	if (x->is_main != y->is_main)
		return x->is_main ? -1 : 1;
	int r = cmp_u64_desc(x->bytes, y->bytes);
	if (!r)
		r = cmp_u64_desc(x->allocations, y->allocations);
	if (!r)
		r = strcmp(x->name, y->name);
	return r;
}

static void build_modules(const struct sc_profile *p, struct heap_result *r)
{
	size_t n = p->nmodules + 1;   /* last slot: unknown */
	struct heap_module_stat *m = xcalloc(n, sizeof(*m));
	for (size_t i = 0; i < p->nmodules; i++) {
		m[i].module = (int32_t)i;
		m[i].name = p->modules[i].name ? p->modules[i].name : "?";
		m[i].is_main = p->modules[i].is_main;
	}
	m[n - 1].module = -1;
	m[n - 1].name = "[unknown]";
	for (size_t i = 0; i < r->nsites; i++) {
		const struct heap_site *s = &r->sites[i];
		size_t k = s->module >= 0 && (size_t)s->module < p->nmodules ? (size_t)s->module : n - 1;
		m[k].allocations += s->allocations;
		m[k].bytes += s->bytes;
		m[k].leaked_bytes += s->leaked_bytes;
		m[k].leaked_blocks += s->leaked_blocks;
	}
	size_t k = 0;
	for (size_t i = 0; i < n; i++)
		if (m[i].allocations)
			m[k++] = m[i];
	qsort(m, k, sizeof(*m), cmp_modules);
	r->modules = m;
	r->nmodules = k;
}

static void build_hist_ranges(struct heap_result *r)
{
	r->hist[0].lo = r->hist[0].hi = 0;
	for (int k = 1; k < HEAP_NBUCKETS; k++) {
		r->hist[k].lo = 1ull << (k - 1);
		r->hist[k].hi = k == 64 ? UINT64_MAX : (1ull << k) - 1;
	}
}

static inline unsigned size_bucket(uint64_t size)
{
	return size ? 64u - (unsigned)__builtin_clzll(size) : 0u;
}

/* ---- the totals, event by event ----
 * One implementation of the definitions in docs/json.md (temporary,
 * short-lived, peak, leaks...), shared by heap_analyze() and the incremental
 * heap_tally that the launcher feeds while a program runs. */

struct tally {
	struct livetab lt;
	uint64_t *last_alloc;       /* per thread: serial of its latest allocation */
	uint64_t live, blocks, short_ns;
	size_t nstacks;             /* stack ids at or past this are kept as 0 */
	struct heap_totals *t;
	uint64_t *calls, *failed;   /* [FN__COUNT] */
};

enum tally_what {
	TALLY_NONE,                 /* counted; no block involved */
	TALLY_ALLOC,                /* *e: the new block's entry */
	TALLY_ALLOC_REPLACED,       /* ... which retired *old (a free never seen) */
	TALLY_FREE,                 /* *e: the freed block's entry; caller live_del()s it */
};

static void tally_init(struct tally *T, struct heap_totals *t, uint64_t *calls, uint64_t *failed,
		       uint64_t short_ns)
{
	memset(T, 0, sizeof(*T));
	live_init(&T->lt, 1024);
	T->last_alloc = xcalloc(65536, sizeof(*T->last_alloc));
	T->short_ns = short_ns;
	T->nstacks = SIZE_MAX;
	T->t = t;
	T->calls = calls;
	T->failed = failed;
}

/* Event `i` (its ordinal: allocation serials and the peak refer to it). */
static inline __attribute__((always_inline)) enum tally_what
tally_event(struct tally *T, const struct sc_event *ev, size_t i,
	    struct live **ep, struct live *old, uint64_t *lifep, bool *tempp)
{
	struct heap_totals *t = T->t;
	unsigned fn = ev->func < FN__COUNT ? ev->func : FN_MALLOC;
	if (ev->kind == EV_ALLOC) {
		T->calls[fn]++;
		t->calls++;
		if (!ev->addr) {
			T->failed[fn]++;
			t->failed++;
			return TALLY_NONE;
		}
		bool found;
		struct live *e = live_put(&T->lt, ev->addr, &found);
		enum tally_what what = TALLY_ALLOC;
		if (found) {
			/* a free we never saw (e.g. by an unhooked path): retire the
			 * old block as freed now, never as temporary */
			uint64_t life = ev->time >= e->time ? ev->time - e->time : 0;
			t->frees++;
			t->freed_lifetime_sum += life;
			t->short_lived += life < T->short_ns;
			T->live -= e->size;
			T->blocks--;
			*old = *e;
			*lifep = life;
			what = TALLY_ALLOC_REPLACED;
		}
		e->size = ev->size;
		e->time = ev->time;
		e->serial = i + 1;
		e->stack = ev->stack < T->nstacks ? ev->stack : 0;
		e->thread = ev->thread;
		e->func = ev->func;
		T->last_alloc[ev->thread] = i + 1;
		t->allocations++;
		t->bytes += ev->size;
		T->live += ev->size;
		T->blocks++;
		if (T->live > t->peak_bytes) {
			t->peak_bytes = T->live;
			t->peak_blocks = T->blocks;
			t->peak_time = ev->time;
			t->peak_event = i;
		}
		*ep = e;
		return what;
	}
	if (ev->kind != EV_FREE)
		return TALLY_NONE;
	if (fn != FN_REALLOC_MOVE) {
		T->calls[fn]++;
		t->calls++;
	}
	if (!ev->addr) {
		t->free_null++;
		return TALLY_NONE;
	}
	struct live *e = live_get(&T->lt, ev->addr);
	if (!e) {
		t->unmatched_frees++;
		return TALLY_NONE;
	}
	uint64_t life = ev->time >= e->time ? ev->time - e->time : 0;
	bool temp = T->last_alloc[ev->thread] == e->serial;
	t->frees++;
	t->freed_lifetime_sum += life;
	t->short_lived += life < T->short_ns;
	t->temporary += temp;
	T->live -= e->size;
	T->blocks--;
	*ep = e;
	*lifep = life;
	*tempp = temp;
	return TALLY_FREE;
}

struct heap_tally {
	struct tally T;
	struct heap_totals t;
	uint64_t calls[FN__COUNT], failed[FN__COUNT];
	size_t n;
	uint64_t last_time;
	uint64_t reordered;           /* frees moved after their allocation */
};

struct heap_tally *heap_tally_new(uint64_t short_lived_ns)
{
	struct heap_tally *h = xcalloc(1, sizeof(*h));
	tally_init(&h->T, &h->t, h->calls, h->failed,
		   short_lived_ns ? short_lived_ns : HEAP_SHORT_LIVED_DEFAULT);
	h->t.peak_event = HEAP_NO_EVENT;
	return h;
}

/* ev[k], a free of a block not live: when another thread allocates at its
 * address within HEAP_REORDER_NS after it, with nothing else at that address
 * in between, that allocation is the block freed. A free is stamped with a
 * time stamp counter read that the CPU may execute before the load that
 * found the block (x86's rdtsc is not ordered; tests/progs/threads' queue
 * showed it once, a spin hand-over here in 1% of its blocks, up to 0.45 us
 * early), and another CPU stamped the allocation. The free moves to just
 * after the allocation and takes its time; the events in between move up
 * one, so times stay in order. Returns 1 when it moved. */
static int free_after_alloc(struct sc_event *ev, size_t k, size_t n)
{
	const struct sc_event f = ev[k];
	for (size_t j = k + 1; j < n && ev[j].time - f.time <= HEAP_REORDER_NS; j++) {
		if (ev[j].addr != f.addr)
			continue;
		if (ev[j].kind != EV_ALLOC || ev[j].thread == f.thread)
			return 0;
		memmove(&ev[k], &ev[k + 1], (j - k) * sizeof(*ev));
		ev[j] = f;
		ev[j].time = ev[j - 1].time;
		return 1;
	}
	return 0;
}

void heap_tally_add(struct heap_tally *h, struct sc_event *ev, size_t n)
{
	for (size_t k = 0; k < n;) {
		struct live *e, old;
		uint64_t life;
		bool temp;
		uint64_t unmatched = h->t.unmatched_frees;
		unsigned fn = ev[k].func < FN__COUNT ? ev[k].func : FN_MALLOC;
		enum tally_what what = tally_event(&h->T, &ev[k], h->n, &e, &old, &life, &temp);
		if (h->t.unmatched_frees != unmatched && free_after_alloc(ev, k, n)) {
			/* not a free of an unknown block after all: uncounted,
			 * and ev[k] is the next event now */
			h->t.unmatched_frees = unmatched;
			if (fn != FN_REALLOC_MOVE) {
				h->calls[fn]--;
				h->t.calls--;
			}
			h->reordered++;
			continue;
		}
		if (what == TALLY_FREE)
			live_del(&h->T.lt, e);
		if (ev[k].time > h->last_time)
			h->last_time = ev[k].time;
		k++;
		h->n++;
	}
}

size_t heap_tally_count(const struct heap_tally *h) { return h->n; }

void heap_tally_totals(const struct heap_tally *h, const struct sc_profile *p, struct heap_totals *out)
{
	*out = h->t;
	out->leaked_bytes = h->T.live;
	out->leaked_blocks = h->T.blocks;
	out->mean_lifetime = out->frees ? out->freed_lifetime_sum / out->frees : 0;
	out->end_time = p->duration > h->last_time ? p->duration : h->last_time;
	for (size_t i = 0; i < p->nrss; i++) {
		if (p->rss[i].time > out->end_time)
			out->end_time = p->rss[i].time;
		if (p->rss[i].bytes > out->peak_rss)
			out->peak_rss = p->rss[i].bytes;
	}
}

void heap_tally_free(struct heap_tally *h)
{
	if (!h)
		return;
	free(h->T.lt.e);
	free(h->T.last_alloc);
	free(h);
}

/* ---- per (stack, thread): allocations, and what is live at the peak and the end ---- */

/* Live bytes and blocks of a stack, a site or a (stack, thread) now, and
 * what they were at the latest global peak: taken just before their first
 * change after it (gen: the peak's number then), so that who held the
 * peak (t-gmax) comes out of the one walk, at a cost per event and not per
 * peak. */
struct pkv {
	uint64_t bytes, blocks;
	uint64_t pbytes, pblocks;
	uint64_t gen;
};

static inline void pk_add(struct pkv *x, uint64_t gen, uint64_t bytes, bool add)
{
	if (x->gen != gen) {
		x->pbytes = x->bytes;
		x->pblocks = x->blocks;
		x->gen = gen;
	}
	if (add) {
		x->bytes += bytes;
		x->blocks++;
	} else {
		x->bytes -= bytes;
		x->blocks--;
	}
}

static inline uint64_t pk_bytes(const struct pkv *x, uint64_t gen) { return x->gen == gen ? x->pbytes : x->bytes; }
static inline uint64_t pk_blocks(const struct pkv *x, uint64_t gen) { return x->gen == gen ? x->pblocks : x->blocks; }

struct bythread {
	struct u64map idx;          /* (stack << 16 | thread) + 1 -> index into v */
	VEC(struct heap_stack_thread) v;
	uint32_t *first;            /* per stack: index into v of its first thread's entry + 1 */
};

static void bt_init(struct bythread *bt, size_t nstacks)
{
	memset(bt, 0, sizeof(*bt));
	u64map_init(&bt->idx, 256);
	bt->first = xcalloc(nstacks, sizeof(*bt->first));
}

/* Most stacks allocate on one thread: their entry is found by stack id
 * alone, the others' through the map. */
static inline struct heap_stack_thread *bt_get(struct bythread *bt, uint32_t stack, uint16_t thread)
{
	uint32_t f = bt->first[stack];
	if (f && bt->v.data[f - 1].thread == thread)
		return &bt->v.data[f - 1];
	bool isnew;
	uint64_t *x = u64map_put(&bt->idx, (((uint64_t)stack << 16) | thread) + 1, &isnew);
	if (isnew) {
		struct heap_stack_thread e = { .stack = stack, .thread = thread };
		*x = bt->v.len;
		VEC_PUSH(&bt->v, e);
		if (!f)
			bt->first[stack] = (uint32_t)bt->v.len;
	}
	return &bt->v.data[*x];
}

/* ---- the replay: one loop over the events for every pass and visitor ---- */

/* What heap_analyze's walk keeps per stack, of every stack: one record an
 * event touches, whose sums make the stack's, its site's and the filtered
 * figures after the walk (heap_analyze). */
struct stk_run {
	struct pkv pk;              /* live bytes and blocks, and at the peak */
	uint64_t allocations, bytes;
	uint64_t lifetime_sum, short_lived, temporary;   /* of its blocks retired
	                                                  * (allocations - pk.blocks) */
	uint32_t site;              /* its site, NONE when it does not count */
	/* with (stack, thread) figures: the pair of its first allocation
	 * (index + 1 into them, 0 none yet), whose counts are the stack's
	 * less those of its other threads (others, counted per pair) */
	uint16_t bt_thread;
	uint32_t bt1;
	uint64_t other_allocs, other_bytes;
};

struct run {
	const struct sc_profile *p;
	const struct heap_stack_stat *ss;   /* which stacks count (site != NONE) */
	struct heap_result *ra;     /* the pass that fills the result's sites, stacks,
	                             * histogram; NULL for the other passes */
	struct heap_site *sites;    /* ra's sites while they are built */
	struct stk_run *hot;        /* ra's per stack figures (p->nstacks or 1) */
	struct tally T;
	struct heap_totals scratch; /* totals of passes other than the first */
	uint64_t scalls[FN__COUNT], sfailed[FN__COUNT];
	const struct heap_visitor *v;   /* alloc, retire, step */
	struct series *tl;          /* memory over time to feed, NULL none */
	struct bythread *bt;        /* allocations per (stack, thread) to count, NULL none */
	uint64_t upto;              /* the last ordinal to replay */
	uint64_t peak_at;           /* after this ordinal call at_peak(); UINT64_MAX never */
	void (*at_peak)(struct run *R);
	uint64_t gen;               /* global peaks so far */
	uint64_t last_time;         /* of the events replayed */
};

static struct heap_block block_of(const struct live *e)
{
	return (struct heap_block){ e->addr, e->size, e->time, e->serial - 1,
				    e->stack, e->thread, e->func };
}

/* Block e (live or just replaced) left the live set at `now`. */
static inline void run_retired(struct run *R, const struct live *e, uint64_t life, bool temp,
			       uint64_t now)
{
	uint32_t si;
	if (R->hot) {
		struct stk_run *h = &R->hot[e->stack];
		pk_add(&h->pk, R->gen, e->size, false);
		h->lifetime_sum += life;
		h->short_lived += life < R->T.short_ns;
		h->temporary += temp;
		si = h->site;
		if (si != NONE)
			R->sites[si].live_bytes -= e->size;
	} else {
		si = R->ss[e->stack].site;
	}
	if (si == NONE)
		return;
	if (R->v && R->v->retire) {
		struct heap_block b = block_of(e);
		R->v->retire(R->v->ctx, &b, now);
	}
}

static inline void run_allocated(struct run *R, const struct live *e, const struct sc_event *ev)
{
	if (R->tl)
		series_add(R->tl, ev->time, R->T.live);
	if (R->bt && !R->hot) {
		struct heap_stack_thread *x = bt_get(R->bt, e->stack, e->thread);
		x->allocations++;
		x->bytes += e->size;
	}
	uint32_t si;
	if (R->hot) {
		struct stk_run *h = &R->hot[e->stack];
		if (R->bt && (!h->bt1 || h->bt_thread != e->thread)) {
			struct heap_stack_thread *x = bt_get(R->bt, e->stack, e->thread);
			if (!h->bt1) {
				h->bt1 = R->bt->first[e->stack];
				h->bt_thread = e->thread;
			} else {
				x->allocations++;
				x->bytes += e->size;
				h->other_allocs++;
				h->other_bytes += e->size;
			}
		}
		pk_add(&h->pk, R->gen, e->size, true);
		h->allocations++;
		h->bytes += e->size;
		si = h->site;
		if (si != NONE) {
			struct heap_site *s = &R->sites[si];
			s->live_bytes += e->size;
			if (s->live_bytes > s->max_live)
				s->max_live = s->live_bytes;
			unsigned b = size_bucket(e->size);
			R->ra->hist[b].count++;
			R->ra->hist[b].bytes += e->size;
		}
	} else {
		si = R->ss[e->stack].site;
	}
	if (si == NONE)
		return;
	if (R->v && R->v->alloc) {
		struct heap_block b = block_of(e);
		R->v->alloc(R->v->ctx, &b);
	}
}

static void run_init(struct run *R, const struct sc_profile *p, const struct heap_stack_stat *ss,
		     uint64_t short_ns)
{
	memset(R, 0, sizeof(*R));
	R->p = p;
	R->ss = ss;
	tally_init(&R->T, &R->scratch, R->scalls, R->sfailed, short_ns);
	R->T.nstacks = p->nstacks ? p->nstacks : 1;
	R->upto = UINT64_MAX;
	R->peak_at = UINT64_MAX;
}

static void run_release(struct run *R)
{
	free(R->T.lt.e);
	free(R->T.last_alloc);
}

/* Replays the events up to R->upto. 0, or -EIO with the reason in err. */
static int run_events(struct run *R, char *err, size_t errlen)
{
	struct sc_event_iter it;
	const struct sc_event *batch;
	size_t n;
	uint64_t ord = 0;
	sc_events_begin(&it, R->p);
	while (ord <= R->upto && (n = sc_events_next(&it, &batch))) {
		if (n > R->upto - ord)
			n = (size_t)(R->upto - ord + 1);
		for (size_t k = 0; k < n; k++, ord++) {
			const struct sc_event *ev = &batch[k];
			/* the live set is larger than the caches in a big run: ask
			 * for the slot of an event a few ahead */
			if (k + 8 < n)
				__builtin_prefetch(&R->T.lt.e[live_slot(&R->T.lt, batch[k + 8].addr)]);
			struct live *e, old = { 0 };
			uint64_t life;
			bool temp;
			switch (tally_event(&R->T, ev, ord, &e, &old, &life, &temp)) {
			case TALLY_ALLOC_REPLACED:
				run_retired(R, &old, life, false, ev->time);
				/* fall through */
			case TALLY_ALLOC:
				run_allocated(R, e, ev);
				break;
			case TALLY_FREE:
				run_retired(R, e, life, temp, ev->time);
				live_del(&R->T.lt, e);
				if (R->tl)
					series_add(R->tl, ev->time, R->T.live);
				break;
			default:
				break;
			}
			if (ev->time > R->last_time)
				R->last_time = ev->time;
			if (R->v && R->v->step)
				R->v->step(R->v->ctx, ord, ev->time);
			if (ord == R->peak_at)
				R->at_peak(R);
			if (R->T.t->peak_event == ord) {
				R->gen++;
				if (R->v && R->v->peak_rise)
					R->v->peak_rise(R->v->ctx);
			}
		}
	}
	if (sc_events_end(&it)) {
		if (err && errlen)
			snprintf(err, errlen, "%s", it.err);
		return -EIO;
	}
	return 0;
}

/* The second pass of heap_analyze stops at the peak: who held it. */
struct peak_pass {
	struct run R;
	struct heap_result *r;
	struct heap_site *sites;
	struct bythread *bt;
	const struct heap_visitor *v;   /* its peak hook */
};

static void collect_peak(struct run *R)
{
	struct peak_pass *P = (struct peak_pass *)R;
	struct heap_stack_stat *ss = P->r->stacks;
	const struct livetab *lt = &R->T.lt;
	for (size_t i = 0; i < lt->cap; i++) {
		const struct live *e = &lt->e[i];
		if (!e->addr)
			continue;
		if (P->bt) {
			struct heap_stack_thread *x = bt_get(P->bt, e->stack, e->thread);
			x->peak_bytes += e->size;
			x->peak_blocks++;
		}
		uint32_t si = ss[e->stack].site;
		if (si == NONE)
			continue;
		ss[e->stack].peak_bytes += e->size;
		P->sites[si].peak_bytes += e->size;
		P->sites[si].peak_blocks++;
		if (P->v && P->v->peak) {
			struct heap_block b = block_of(e);
			P->v->peak(P->v->ctx, &b);
		}
	}
}

int heap_analyze(const struct sc_profile *p, const struct heap_options *o,
		 struct heap_result **out)
{
	static const struct heap_options defaults;
	if (!o)
		o = &defaults;
	*out = NULL;

	struct analyzer a;
	memset(&a, 0, sizeof(a));
	a.p = p;
	if (stack_filter_init(&a.flt, p, o->filter) != 0)
		return -EINVAL;

	struct heap_result *r = xcalloc(1, sizeof(*r));
	a.r = r;
	r->p = p;
	r->filtered = a.flt.on;
	r->short_lived_ns = o->short_lived_ns ? o->short_lived_ns : HEAP_SHORT_LIVED_DEFAULT;
	build_hist_ranges(r);

	/* stack -> site, with the filter applied once per stack */
	size_t nstacks = p->nstacks ? p->nstacks : 1;
	r->stacks = xcalloc(nstacks, sizeof(*r->stacks));
	a.loc_first = xmalloc((p->nlocations + 1) * sizeof(*a.loc_first));
	a.loc_site = xmalloc((p->nlocations + 1) * sizeof(*a.loc_site));
	for (size_t i = 0; i < p->nlocations; i++) {
		a.loc_first[i] = -2;
		a.loc_site[i] = NONE;
	}
	static const struct sc_stack empty;
	for (size_t s = 0; s < nstacks; s++) {
		const struct sc_stack *st = s < p->nstacks ? &p->stacks[s] : &empty;
		r->stacks[s].site = stack_matches(&a, st) ? stack_site(&a, st) : NONE;
	}
	struct heap_site *sites = a.sites.data;   /* stable from here on: no more interning */
	struct heap_stack_stat *ss = r->stacks;

	/* End of the profile and the timeline's bucket width. When the last
	 * event's time is not known before the walk (events read from the
	 * file) and turns out later than the profile's duration, the timeline
	 * is drawn again in the second pass on the right buckets. */
	struct heap_totals *t = &r->t;
	uint64_t last_ev;
	bool last_known = sc_events_last_time(p, &last_ev);
	t->end_time = p->duration;
	if (last_known && last_ev > t->end_time)
		t->end_time = last_ev;
	for (size_t i = 0; i < p->nrss; i++)
		if (p->rss[i].time > t->end_time)
			t->end_time = p->rss[i].time;
	uint32_t nb = o->timeline_points ? o->timeline_points : HEAP_TIMELINE_DEFAULT;
	struct series tl;
	series_init(&tl, t->end_time, nb);
	series_push(&tl, 0, 0);

	struct bythread bt;
	memset(&bt, 0, sizeof(bt));
	if (o->by_thread)
		bt_init(&bt, nstacks);

	struct run R;
	run_init(&R, p, ss, r->short_lived_ns);
	R.T.t = t;
	R.T.calls = r->calls;
	R.T.failed = r->failed;
	R.ra = r;
	R.sites = sites;
	R.v = o->visitor;
	R.tl = &tl;
	R.bt = o->by_thread ? &bt : NULL;
	/* who holds the peak, followed along this walk; a visitor with a
	 * peak hook is shown the blocks themselves by a second walk */
	bool follow = !o->totals_only && !(o->visitor && o->visitor->peak);
	R.hot = xcalloc(nstacks, sizeof(*R.hot));
	for (size_t s = 0; s < nstacks; s++)
		R.hot[s].site = ss[s].site;
	t->peak_event = HEAP_NO_EVENT;
	int rc = run_events(&R, o->err, o->errlen);
	/* the stacks' figures, and their sums per site and in all */
	for (size_t s = 0; s < nstacks; s++) {
		const struct stk_run *h = &R.hot[s];
		if (h->bt1) {
			struct heap_stack_thread *x = &bt.v.data[h->bt1 - 1];
			x->allocations = h->allocations - h->other_allocs;
			x->bytes = h->bytes - h->other_bytes;
		}
		if (h->site == NONE)
			continue;
		struct heap_site *x = &sites[h->site];
		ss[s].allocations = h->allocations;
		ss[s].bytes = h->bytes;
		ss[s].temporary = h->temporary;
		x->allocations += h->allocations;
		x->bytes += h->bytes;
		x->live_blocks += h->pk.blocks;
		x->freed += h->allocations - h->pk.blocks;
		x->lifetime_sum += h->lifetime_sum;
		x->short_lived += h->short_lived;
		x->temporary += h->temporary;
		r->filtered_allocations += h->allocations;
		r->filtered_bytes += h->bytes;
	}
	/* per (stack, thread) the stack's figures are the pair's when each
	 * stack allocated on one thread only; when not, the second walk */
	for (size_t i = 0; follow && o->by_thread && i < bt.v.len; i++)
		if (bt.first[bt.v.data[i].stack] != i + 1)
			follow = false;
	if (follow && !rc && t->peak_event != HEAP_NO_EVENT) {
		const struct stk_run *h = R.hot;
		for (size_t i = 0; o->by_thread && i < bt.v.len; i++) {
			struct heap_stack_thread *x = &bt.v.data[i];
			x->peak_bytes = pk_bytes(&h[x->stack].pk, R.gen);
			x->peak_blocks = pk_blocks(&h[x->stack].pk, R.gen);
		}
		for (size_t s = 0; s < nstacks; s++) {
			if (ss[s].site == NONE)
				continue;
			ss[s].peak_bytes = pk_bytes(&h[s].pk, R.gen);
			sites[ss[s].site].peak_bytes += pk_bytes(&h[s].pk, R.gen);
			sites[ss[s].site].peak_blocks += pk_blocks(&h[s].pk, R.gen);
		}
	}
	free(R.hot);
	R.hot = NULL;
	bool redraw = false;
	if (!rc && R.last_time > t->end_time) {
		t->end_time = R.last_time;
		redraw = true;
	}
	struct livetab lt = R.T.lt;
	uint64_t live = R.T.live, blocks = R.T.blocks;
	series_flush(&tl);

	t->mean_lifetime = t->frees ? t->freed_lifetime_sum / t->frees : 0;

	/* leaks: whatever is still live */
	t->leaked_bytes = live;
	t->leaked_blocks = blocks;
	for (size_t i = 0; i < lt.cap; i++) {
		const struct live *e = &lt.e[i];
		if (!e->addr)
			continue;
		if (o->by_thread) {
			struct heap_stack_thread *x = bt_get(&bt, e->stack, e->thread);
			x->leaked_bytes += e->size;
			x->leaked_blocks++;
		}
		if (ss[e->stack].site == NONE)
			continue;
		ss[e->stack].leaked_bytes += e->size;
		ss[e->stack].leaked_blocks++;
		if (o->visitor && o->visitor->end) {
			struct heap_block b = block_of(e);
			o->visitor->end(o->visitor->ctx, &b, t->end_time);
		}
	}
	run_release(&R);
	size_t nleaks = 0;
	for (size_t s = 0; s < nstacks; s++)
		nleaks += ss[s].leaked_blocks != 0;
	r->leaks = xcalloc(nleaks ? nleaks : 1, sizeof(*r->leaks));
	for (size_t s = 0; s < nstacks; s++)
		if (ss[s].leaked_blocks)
			r->leaks[r->nleaks++] = (struct heap_leak){
				(uint32_t)s, ss[s].site, ss[s].leaked_bytes, ss[s].leaked_blocks };
	qsort(r->leaks, r->nleaks, sizeof(*r->leaks), cmp_leaks);

	/* per site: leaks, mean lifetime, representative stack */
	for (size_t i = 0; i < a.sites.len; i++) {
		struct heap_site *s = &sites[i];
		s->leaked_bytes = s->live_bytes;
		s->leaked_blocks = s->live_blocks;
		s->mean_lifetime = s->freed ? s->lifetime_sum / s->freed : 0;
	}
	for (size_t st = 0; st < nstacks; st++) {
		if (!ss[st].allocations)
			continue;
		struct heap_site *s = &sites[ss[st].site];
		if (s->stack == NONE || ss[st].bytes > ss[s->stack].bytes)
			s->stack = (uint32_t)st;
	}

	/* second pass: replay up to the peak to see who held it (t-gmax); to
	 * the end when the timeline must be drawn again */
	bool peak = t->peak_event != HEAP_NO_EVENT && !o->totals_only && !follow;
	if (!rc && (peak || redraw)) {
		struct peak_pass P;
		run_init(&P.R, p, ss, r->short_lived_ns);
		P.r = r;
		P.sites = sites;
		P.bt = o->by_thread ? &bt : NULL;
		P.v = o->visitor;
		if (peak) {
			P.R.peak_at = t->peak_event;
			P.R.at_peak = collect_peak;
			P.R.upto = t->peak_event;
		}
		if (redraw) {
			free(tl.pts);
			series_init(&tl, t->end_time, nb);
			series_push(&tl, 0, 0);
			P.R.tl = &tl;
			P.R.upto = UINT64_MAX;
		}
		rc = run_events(&P.R, o->err, o->errlen);
		run_release(&P.R);
		series_flush(&tl);
	}
	if (tl.n && tl.pts[tl.n - 1].time < t->end_time)
		series_push(&tl, t->end_time, live);
	r->timeline = tl.pts;
	r->ntimeline = tl.n;
	for (size_t i = 0; i < a.sites.len; i++)
		sites[i].live_bytes = sites[i].live_blocks = 0;

	r->sites = sites;
	r->nsites = a.sites.len;
	build_modules(p, r);
	if (o->by_thread) {
		r->by_thread = bt.v.data;
		r->nby_thread = bt.v.len;
		u64map_release(&bt.idx);
		free(bt.first);
	}

	/* RSS on the same buckets as the heap timeline */
	if (p->nrss) {
		struct series rs;
		series_init(&rs, t->end_time, nb);
		for (size_t i = 0; i < p->nrss; i++) {
			series_add(&rs, p->rss[i].time, p->rss[i].bytes);
			if (p->rss[i].bytes > t->peak_rss)
				t->peak_rss = p->rss[i].bytes;
		}
		series_flush(&rs);
		r->rss = rs.pts;
		r->nrss = rs.n;
	}

	free(a.stab);
	free(a.shash);
	free(a.loc_first);
	free(a.loc_site);
	sb_release(&a.tmp);
	stack_filter_release(&a.flt);
	if (rc) {
		heap_result_free(r);
		return rc;
	}
	*out = r;
	return 0;
}

int heap_replay(const struct heap_result *r, const struct heap_visitor *v, uint64_t upto,
		char *err, size_t errlen)
{
	struct run R;
	run_init(&R, r->p, r->stacks, r->short_lived_ns);
	R.v = v;
	R.upto = upto;
	int rc = run_events(&R, err, errlen);
	if (!rc && upto == HEAP_ALL_EVENTS && v->end) {
		const struct livetab *lt = &R.T.lt;
		for (size_t i = 0; i < lt->cap; i++) {
			const struct live *e = &lt->e[i];
			if (!e->addr || r->stacks[e->stack].site == NONE)
				continue;
			struct heap_block b = block_of(e);
			v->end(v->ctx, &b, r->t.end_time);
		}
	}
	run_release(&R);
	return rc;
}

void heap_result_free(struct heap_result *r)
{
	if (!r)
		return;
	free(r->sites);
	free(r->stacks);
	free(r->leaks);
	free(r->modules);
	free(r->timeline);
	free(r->rss);
	free(r->by_thread);
	arena_release(&r->arena);
	free(r);
}
