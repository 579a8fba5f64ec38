/* Zone records -> the profile's zone model. Names come per thread but their
 * ids are process-wide, so they are gathered first and resolved at build
 * time (function addresses through finalize's symbolizer), then deduplicated
 * by what they say. Begins and ends pair up on a stack per thread; an end
 * may close a span below the top (a span that began in one function and
 * ended in another while calls were traced), and an end whose begin was
 * lost with a damaged chunk is dropped. */
#include "zone-fin.h"

#include <stdlib.h>
#include <string.h>

#include "../format/raw.h"
#include "../lib/die.h"
#include "../lib/hashmap.h"
#include "../lib/strbuf.h"
#include "../lib/vec.h"

struct zf_name {
	uint8_t kind;             /* enum raw_zname */
	char *name, *file;        /* ZNAME_STRING */
	uint32_t line;
	uint64_t addr, ticks;     /* ZNAME_FUNC */
};

struct zf_span {
	uint64_t start, end, allocs, bytes, kids;   /* ticks, except allocs and bytes */
	uint64_t id;
	uint16_t depth, flags;
	uint8_t closed;
};

struct zf_thread {
	VEC(struct zf_span) spans;    /* in begin order */
	VEC(uint32_t) open;           /* indexes into spans, innermost last */
	char *name;                   /* SCORCH_THREAD_NAME, or NULL */
};

struct zf_mark {
	uint64_t ticks, id;
	double value;
	uint32_t thread;
};

struct zf_drop {
	uint64_t id, v[8];            /* calls, ticks, self, min, max, outer, allocs, bytes */
};

struct zf_error {
	uint64_t ticks, expected, given;
	uint32_t thread;
	uint8_t kind;
};

struct zone_fin {
	VEC(struct zf_name) names;
	struct u64map name_index;     /* raw id -> index + 1 into names */
	VEC(struct zf_thread) threads;
	VEC(struct zf_mark) marks, counters;
	VEC(struct zf_drop) drops;
	VEC(struct zf_error) errors;
};

static struct zf_thread *zf_thread(struct zone_fin *z, uint32_t th)
{
	while (z->threads.len <= th) {
		struct zf_thread t;
		memset(&t, 0, sizeof(t));
		VEC_PUSH(&z->threads, t);
	}
	return &z->threads.data[th];
}

static char *zf_str(struct fmt_reader *r, size_t max)
{
	uint64_t n = fmt_get_u(r);
	const uint8_t *s = fmt_get_bytes(r, n);
	if (!s || n > max) {
		r->err = 1;
		return NULL;
	}
	char *c = xmalloc(n + 1);
	memcpy(c, s, n);
	c[n] = 0;
	return c;
}

static int dec_name(struct zone_fin *z, uint64_t ticks, struct fmt_reader *r)
{
	struct zf_name n;
	memset(&n, 0, sizeof(n));
	uint64_t id = fmt_get_u(r);
	const uint8_t *kind = fmt_get_bytes(r, 1);
	if (!kind)
		return -1;
	n.kind = *kind;
	n.ticks = ticks;
	if (n.kind == ZNAME_FUNC) {
		n.addr = fmt_get_u(r);
	} else if (n.kind == ZNAME_STRING) {
		n.name = zf_str(r, 4096);
		n.file = zf_str(r, 4096);
		n.line = (uint32_t)fmt_get_u(r);
	} else {
		r->err = 1;
	}
	bool isnew;
	if (r->err || !id) {
		free(n.name);
		free(n.file);
		return -1;
	}
	uint64_t *slot = u64map_put(&z->name_index, id, &isnew);
	if (!isnew) {
		/* written again after a loss or a fork: the same name */
		free(n.name);
		free(n.file);
		return 0;
	}
	VEC_PUSH(&z->names, n);
	*slot = z->names.len;
	return 0;
}

/* Pairs an end with the innermost open span of its id. */
static int dec_end(struct zone_fin *z, struct zf_thread *t, uint64_t ticks, struct fmt_reader *r)
{
	uint64_t id = fmt_get_u(r), allocs = fmt_get_u(r), bytes = fmt_get_u(r);
	uint64_t flags = fmt_get_u(r), kids = 0;
	if (flags & RAW_ZF_DROPPED_KIDS)
		kids = fmt_get_u(r);
	if (r->err || flags > 0xffff)
		return -1;
	for (size_t k = t->open.len; k-- > 0;) {
		struct zf_span *s = &t->spans.data[t->open.data[k]];
		if (s->id != id)
			continue;
		s->end = ticks;
		s->allocs = allocs;
		s->bytes = bytes;
		s->kids = kids;
		s->flags = (uint16_t)(((flags & RAW_ZF_UNWOUND) ? ZONE_F_UNWOUND : 0) |
				      ((flags & RAW_ZF_THREAD_EXIT) ? ZONE_F_THREAD_EXIT : 0));
		s->closed = 1;
		memmove(t->open.data + k, t->open.data + k + 1, (t->open.len - k - 1) * sizeof(uint32_t));
		t->open.len--;
		return 0;
	}
	return 0;   /* its begin was lost with a damaged chunk */
}

int zone_fin_decode(struct zone_fin **zp, uint32_t thread, int type, uint64_t ticks,
		    struct fmt_reader *r)
{
	struct zone_fin *z = *zp;
	if (!z) {
		z = *zp = xcalloc(1, sizeof(*z));
		u64map_init(&z->name_index, 256);
	}
	struct zf_thread *t = zf_thread(z, thread);
	switch (type) {
	case RAW_ZNAME:
		return dec_name(z, ticks, r);
	case RAW_ZBEGIN: {
		struct zf_span s;
		memset(&s, 0, sizeof(s));
		s.id = fmt_get_u(r);
		if (r->err || !s.id || t->spans.len >= UINT32_MAX)
			return -1;
		s.start = ticks;
		if (t->open.len) {
			uint16_t d = t->spans.data[t->open.data[t->open.len - 1]].depth;
			s.depth = d < UINT16_MAX ? d + 1 : d;
		}
		VEC_PUSH(&t->spans, s);
		VEC_PUSH(&t->open, (uint32_t)(t->spans.len - 1));
		return 0;
	}
	case RAW_ZEND:
		return dec_end(z, t, ticks, r);
	case RAW_ZMARK:
	case RAW_ZCOUNTER: {
		struct zf_mark m = { ticks, fmt_get_u(r), 0, thread };
		if (!m.id)
			r->err = 1;
		if (type == RAW_ZCOUNTER) {
			const uint8_t *b = fmt_get_bytes(r, 8);
			if (b) {
				uint64_t bits = fmt_get_u64le(b);
				memcpy(&m.value, &bits, sizeof(m.value));
			}
		}
		if (r->err)
			return -1;
		if (type == RAW_ZMARK)
			VEC_PUSH(&z->marks, m);
		else
			VEC_PUSH(&z->counters, m);
		return 0;
	}
	case RAW_ZTHREAD: {
		char *name = zf_str(r, 4096);
		if (!name)
			return -1;
		free(t->name);
		t->name = name;
		return 0;
	}
	case RAW_ZERROR: {
		struct zf_error e = { ticks, 0, 0, thread, 0 };
		e.kind = (uint8_t)fmt_get_u(r);
		e.expected = fmt_get_u(r);
		e.given = fmt_get_u(r);
		if (r->err)
			return -1;
		VEC_PUSH(&z->errors, e);
		return 0;
	}
	case RAW_ZDROP: {
		struct zf_drop d;
		d.id = fmt_get_u(r);
		for (int i = 0; i < 8; i++)
			d.v[i] = fmt_get_u(r);
		if (r->err || !d.id)
			return -1;
		VEC_PUSH(&z->drops, d);
		return 0;
	}
	default:
		return -1;
	}
}

/* ---- building ---- */

struct zb {
	struct zone_fin *z;
	struct sc_profile *p;
	const struct zone_fin_env *env;
	VEC(struct sc_zone_name) names;
	struct strmap keys;           /* "kind\1name\1file\1line" -> index into names */
	struct u64map raw2final;      /* raw id -> final index + 1 */
	struct strbuf key;
};

/* The final index of a name, added when new. */
static uint32_t zb_intern(struct zb *b, uint8_t kind, const char *name, const char *file, uint32_t line)
{
	sb_reset(&b->key);
	sb_addf(&b->key, "%u\1%s\1%s\1%u", kind, name, file, line);
	bool isnew;
	uint32_t id = strmap_intern(&b->keys, b->key.buf, (uint32_t)b->names.len, &isnew);
	if (isnew) {
		struct arena *A = &b->p->arena;
		struct sc_zone_name n = { arena_strdup(A, name), arena_strdup(A, file), line, kind };
		VEC_PUSH(&b->names, n);
	}
	return id;
}

/* The final index of raw name id (UINT32_MAX for 0: none). A name whose
 * ZNAME was lost is "?". */
static uint32_t zb_name(struct zb *b, uint64_t raw)
{
	if (!raw)
		return UINT32_MAX;
	bool isnew;
	uint64_t *slot = u64map_put(&b->raw2final, raw, &isnew);
	if (!isnew)
		return (uint32_t)(*slot - 1);
	uint64_t *ni = u64map_get(&b->z->name_index, raw);
	uint32_t id;
	if (!ni) {
		id = zb_intern(b, ZONE_KIND_ZONE, "?", "", 0);
	} else {
		const struct zf_name *n = &b->z->names.data[*ni - 1];
		if (n->kind == ZNAME_FUNC) {
			const char *fn = NULL, *file = NULL;
			uint32_t line = 0;
			b->env->func(b->env->ctx, n->addr, n->ticks, &fn, &file, &line);
			id = zb_intern(b, ZONE_KIND_FUNC, fn ? fn : "?", file ? file : "", line);
		} else {
			id = zb_intern(b, ZONE_KIND_ZONE, n->name, n->file, n->line);
		}
	}
	/* the slot may have moved while interning */
	*u64map_put(&b->raw2final, raw, &isnew) = (uint64_t)id + 1;
	return id;
}

static int mark_cmp(const void *a, const void *b)
{
	const struct sc_mark *x = a, *y = b;
	if (x->time != y->time)
		return x->time < y->time ? -1 : 1;
	return (int)x->thread - (int)y->thread;
}

static int counter_cmp(const void *a, const void *b)
{
	const struct sc_counter *x = a, *y = b;
	if (x->time != y->time)
		return x->time < y->time ? -1 : 1;
	return (int)x->thread - (int)y->thread;
}

/* Sorts one thread's spans by start, keeping begin order among equal
 * starts (an enclosing span stays ahead of what it encloses). */
static int span_cmp(const void *a, const void *b)
{
	const struct sc_zone *x = a, *y = b;
	if (x->start != y->start)
		return x->start < y->start ? -1 : 1;
	return x->depth < y->depth ? -1 : x->depth > y->depth;
}

static void build_spans(struct zb *b)
{
	struct zone_fin *z = b->z;
	struct sc_profile *p = b->p;
	const struct zone_fin_env *env = b->env;
	size_t total = 0;
	for (size_t i = 0; i < z->threads.len; i++)
		total += z->threads.data[i].spans.len;
	p->zones = arena_alloc(&p->arena, (total + 1) * sizeof(*p->zones));
	size_t n = 0;
	for (size_t i = 0; i < z->threads.len && i < p->nthreads; i++) {
		const struct zf_thread *t = &z->threads.data[i];
		uint64_t tend = p->threads[i].end ? p->threads[i].end : p->duration;
		size_t first = n;
		int ordered = 1;
		for (size_t k = 0; k < t->spans.len; k++) {
			const struct zf_span *s = &t->spans.data[k];
			struct sc_zone *o = &p->zones[n++];
			o->start = env->rel(env->ctx, s->start);
			o->name = zb_name(b, s->id);
			o->thread = (uint16_t)i;
			o->depth = s->depth;
			if (s->closed) {
				o->end = env->rel(env->ctx, s->end);
				o->allocs = s->allocs;
				o->bytes = s->bytes;
				o->dropped_ns = env->dur(env->ctx, s->kids);
				o->flags = s->flags;
			} else {
				o->end = tend;
				o->flags = ZONE_F_UNFINISHED;
			}
			if (o->end < o->start)
				o->end = o->start;
			if (n - first > 1 && span_cmp(o - 1, o) > 0)
				ordered = 0;
		}
		if (!ordered)
			qsort(p->zones + first, n - first, sizeof(*p->zones), span_cmp);
	}
	p->nzones = n;
}

static void build_rest(struct zb *b)
{
	struct zone_fin *z = b->z;
	struct sc_profile *p = b->p;
	const struct zone_fin_env *env = b->env;
	struct arena *A = &p->arena;

	p->marks = arena_alloc(A, (z->marks.len + 1) * sizeof(*p->marks));
	for (size_t i = 0; i < z->marks.len; i++) {
		const struct zf_mark *m = &z->marks.data[i];
		p->marks[i] = (struct sc_mark){ env->rel(env->ctx, m->ticks), zb_name(b, m->id), (uint16_t)m->thread };
	}
	p->nmarks = z->marks.len;
	qsort(p->marks, p->nmarks, sizeof(*p->marks), mark_cmp);

	p->counters = arena_alloc(A, (z->counters.len + 1) * sizeof(*p->counters));
	for (size_t i = 0; i < z->counters.len; i++) {
		const struct zf_mark *m = &z->counters.data[i];
		p->counters[i] = (struct sc_counter){ env->rel(env->ctx, m->ticks), m->value, zb_name(b, m->id),
						      (uint16_t)m->thread };
	}
	p->ncounters = z->counters.len;
	qsort(p->counters, p->ncounters, sizeof(*p->counters), counter_cmp);

	/* dropped calls, one entry per function */
	p->zone_drops = arena_alloc(A, (z->drops.len + 1) * sizeof(*p->zone_drops));
	size_t nd = 0;
	struct u64map by_name;
	u64map_init(&by_name, 64);
	for (size_t i = 0; i < z->drops.len; i++) {
		const struct zf_drop *d = &z->drops.data[i];
		uint32_t name = zb_name(b, d->id);
		bool isnew;
		uint64_t *slot = u64map_put(&by_name, name, &isnew);
		uint64_t mn = env->dur(env->ctx, d->v[3]), mx = env->dur(env->ctx, d->v[4]);
		if (isnew) {
			*slot = nd;
			p->zone_drops[nd].name = name;
			p->zone_drops[nd].min_ns = mn;
			nd++;
		}
		struct sc_zone_drop *o = &p->zone_drops[*slot];
		o->calls += d->v[0];
		o->total_ns += env->dur(env->ctx, d->v[1]);
		o->self_ns += env->dur(env->ctx, d->v[2]);
		if (mn < o->min_ns)
			o->min_ns = mn;
		if (mx > o->max_ns)
			o->max_ns = mx;
		o->outer_ns += env->dur(env->ctx, d->v[5]);
		o->allocs += d->v[6];
		o->bytes += d->v[7];
	}
	p->nzone_drops = nd;
	u64map_release(&by_name);

	p->zone_errors = arena_alloc(A, (z->errors.len + 1) * sizeof(*p->zone_errors));
	for (size_t i = 0; i < z->errors.len; i++) {
		const struct zf_error *e = &z->errors.data[i];
		p->zone_errors[i] = (struct sc_zone_error){ env->rel(env->ctx, e->ticks), zb_name(b, e->expected),
							    zb_name(b, e->given), (uint16_t)e->thread, e->kind };
	}
	p->nzone_errors = z->errors.len;

	/* SCORCH_THREAD_NAME names a thread in every report */
	for (size_t i = 0; i < z->threads.len && i < p->nthreads; i++)
		if (z->threads.data[i].name)
			p->threads[i].name = arena_strdup(A, z->threads.data[i].name);
}

void zone_fin_build(struct zone_fin *z, struct sc_profile *p, const struct zone_fin_env *env)
{
	if (!z)
		return;
	struct zb b;
	memset(&b, 0, sizeof(b));
	b.z = z;
	b.p = p;
	b.env = env;
	strmap_init(&b.keys);
	u64map_init(&b.raw2final, 256);
	b.key = (struct strbuf)STRBUF_INIT;
	build_spans(&b);
	build_rest(&b);
	p->zone_names = arena_alloc(&p->arena, (b.names.len + 1) * sizeof(*p->zone_names));
	if (b.names.len)
		memcpy(p->zone_names, b.names.data, b.names.len * sizeof(*p->zone_names));
	p->nzone_names = b.names.len;
	VEC_FREE(&b.names);
	strmap_release(&b.keys);
	u64map_release(&b.raw2final);
	sb_release(&b.key);
}

void zone_fin_free(struct zone_fin *z)
{
	if (!z)
		return;
	for (size_t i = 0; i < z->names.len; i++) {
		free(z->names.data[i].name);
		free(z->names.data[i].file);
	}
	VEC_FREE(&z->names);
	u64map_release(&z->name_index);
	for (size_t i = 0; i < z->threads.len; i++) {
		VEC_FREE(&z->threads.data[i].spans);
		VEC_FREE(&z->threads.data[i].open);
		free(z->threads.data[i].name);
	}
	VEC_FREE(&z->threads);
	VEC_FREE(&z->marks);
	VEC_FREE(&z->counters);
	VEC_FREE(&z->drops);
	VEC_FREE(&z->errors);
	free(z);
}
