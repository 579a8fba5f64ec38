/* Zone records -> the profile's zone model. Names come per thread but their
 * ids are process-wide, so they are gathered first and resolved at build
 * time (function addresses through finalize's symbolizer), then deduplicated
 * by what they say. Begins and ends pair up on a stack per thread; an end
 * may close a span below the top (a span that began in one function and
 * ended in another while calls were traced), and an end whose begin was
 * lost with a damaged chunk is dropped.
 *
 * A span is folded into its thread's figures for its name the moment its
 * end is read (while the program still runs): duration, self time (what its
 * open stack entry gathered from the spans that ended directly inside it),
 * recursion, allocations, a histogram of durations. Memory grows with
 * threads, names and nesting depth, not with calls; only the spans kept one
 * by one (the longest, at most keep_max) are held until the end. */
#include "zone-fin.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "../format/raw.h"
#include "../format/rawrec.h"
#include "../lib/die.h"
#include "../lib/hashmap.h"
#include "../lib/strbuf.h"
#include "../lib/vec.h"
#include "zones.h"

struct zf_name {
	uint8_t kind;             /* enum raw_zname */
	char *name, *file;        /* ZNAME_STRING */
	uint32_t line;
	uint64_t addr, ticks;     /* ZNAME_FUNC */
};

/* An open span or call on a thread's stack. */
struct zf_open {
	uint64_t start;               /* ns since profile start */
	uint64_t kids_ns, kids_allocs, kids_bytes;   /* of the spans directly inside, so far */
	uint64_t id;                  /* raw name id */
	uint64_t seq;                 /* begins before it in the stream */
	uint32_t stat;                /* index into its thread's stats */
	uint16_t depth;
	uint8_t outer;                /* no span of its name was open on the thread at its begin */
	uint8_t orphan;               /* the span it began in ended first (an end below the top) */
};

/* A thread's figures of one raw name id, with its durations counted by
 * value in an open-addressed table (keys are value + 1, 0 free). */
struct zf_stat {
	struct sc_zone_stat s;        /* name = the raw id until built */
	uint64_t *hk, *hc;
	uint32_t hcap, hlen;
	uint64_t *hs;                 /* counts of durations below ZF_SMALL, once hot */
	uint32_t nsmall;              /* values in hs (not in hk) */
	uint32_t open;                /* spans of it open on the thread */
};

/* A span kept for the views that draw spans one by one. */
struct zf_kept {
	uint64_t start, end, allocs, bytes;   /* ns, except allocs and bytes */
	uint64_t dropped_ns;          /* calls directly inside that --calls-min dropped */
	uint64_t kids_ns;             /* every span directly inside it, kept or not */
	uint64_t id;                  /* raw name id */
	uint64_t seq;                 /* begin order */
	uint16_t thread, depth, flags;
};

struct zf_thread {
	VEC(struct zf_open) open;     /* innermost last */
	VEC(struct zf_stat) stats;
	uint32_t *slot;               /* raw id -> index + 1 into stats, ids below nslot */
	size_t nslot;
	struct u64map far;            /* ... and ids past ZF_DIRECT */
	char *name;                   /* SCORCH_THREAD_NAME, or NULL */
};

#define ZF_DIRECT (1u << 22)

/* A name's durations below ZF_SMALL (their own buckets, coarse or not) are
 * counted in a plain array once it has ended ZF_HOT times, for at most
 * ZF_HOT_MAX names and threads (4 KiB each): no hashing for short calls. */
#define ZF_SMALL (2 * ZONE_HIST_SUB)
#define ZF_HOT 256
#define ZF_HOT_MAX 1024

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
	struct zone_fin_env env;
	VEC(struct zf_name) names;
	struct u64map name_index;     /* raw id -> index + 1 into names */
	struct u64map drop_index;     /* raw id -> index into drops */
	VEC(struct zf_thread) threads;
	VEC(struct zf_mark) marks, counters;
	VEC(struct zf_drop) drops;
	VEC(struct zf_error) errors;
	/* The spans kept: every one of at least keep_ns. When more than
	 * keep_max are kept, keep_ns rises to keep about half of them. */
	VEC(struct zf_kept) kept;
	uint64_t keep_ns;
	size_t keep_max;              /* 0: keep every span */
	uint64_t spans;               /* ended so far */
	uint64_t begins;              /* begun so far */
	uint64_t *scratch;            /* keep_max durations, for zf_thin */
	uint64_t *kdur;               /* kept[i]'s duration, when keep_max: zf_thin
	                               * reads 8 dense bytes a span, not 72 strided */
	uint32_t nhot;                /* stats given a small-value array */
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

/* Ticks to ns as env->rel does, inlined when the env gives the map (the
 * same integer map, so the ns are the same to the last one). */
static inline uint64_t zf_rel(const struct zone_fin *z, uint64_t ticks)
{
	if (!z->env.tick.q && !z->env.tick.frac)
		return z->env.rel(z->env.ctx, ticks);
	return ticks <= z->env.tick0 ? 0 : tick_ns(&z->env.tick, ticks - z->env.tick0);
}

/* A record's string (pointer and length into the chunk), NUL terminated */
static char *zf_str(const char *s, uint32_t n)
{
	char *c = xmalloc((size_t)n + 1);
	if (n)
		memcpy(c, s, n);
	c[n] = 0;
	return c;
}

static int dec_name(struct zone_fin *z, uint64_t ticks, struct fmt_reader *r)
{
	struct raw_zname_rec rz;
	if (raw_get_zname(r, &rz))
		return -1;
	bool isnew;
	uint64_t *slot = u64map_put(&z->name_index, rz.id, &isnew);
	if (!isnew)
		return 0;   /* written again after a loss or a fork: the same name */
	struct zf_name n;
	memset(&n, 0, sizeof(n));
	n.kind = rz.kind;
	n.ticks = ticks;
	if (n.kind == ZNAME_FUNC) {
		n.addr = rz.addr;
	} else {
		n.name = zf_str(rz.name, rz.name_len);
		n.file = zf_str(rz.file, rz.file_len);
		n.line = (uint32_t)rz.line;
	}
	VEC_PUSH(&z->names, n);
	*slot = z->names.len;
	return 0;
}

/* The stats of raw id `id` on thread t, added when new. */
static uint32_t zf_stat_of(struct zf_thread *t, uint64_t id)
{
	uint32_t *slot;
	uint64_t *far = NULL;
	if (id < ZF_DIRECT) {
		if (id >= t->nslot) {
			size_t n = t->nslot ? t->nslot : 64;
			while (n <= id)
				n *= 2;
			t->slot = xrealloc(t->slot, n * sizeof(uint32_t));
			memset(t->slot + t->nslot, 0, (n - t->nslot) * sizeof(uint32_t));
			t->nslot = n;
		}
		slot = &t->slot[id];
		if (*slot)
			return *slot - 1;
	} else {
		if (!t->far.slots)
			u64map_init(&t->far, 16);
		bool isnew;
		far = u64map_put(&t->far, id, &isnew);
		if (!isnew)
			return (uint32_t)(*far - 1);
		slot = NULL;
	}
	struct zf_stat st;
	memset(&st, 0, sizeof(st));
	st.s.name = (uint32_t)id;   /* only to tell rows apart until built */
	VEC_PUSH(&t->stats, st);
	if (slot)
		*slot = (uint32_t)t->stats.len;
	else
		*far = t->stats.len;
	return (uint32_t)(t->stats.len - 1);
}

static inline uint32_t hist_hash(uint64_t key, uint32_t cap)
{
	return (uint32_t)((key * 0x9e3779b97f4a7c15ull) >> 32) & (cap - 1);
}

static void hist_put(struct zf_stat *s, uint64_t v, uint64_t n);

/* Grows the table to cap, or (coarse) rebuilds it by buckets. */
static void hist_rehash(struct zf_stat *s, uint32_t cap, int coarsen)
{
	uint64_t *k = s->hk, *c = s->hc;
	uint32_t old = s->hcap;
	s->hk = xcalloc(cap, sizeof(uint64_t));
	s->hc = xmalloc(cap * sizeof(uint64_t));
	s->hcap = cap;
	s->hlen = 0;
	if (coarsen)
		s->s.coarse = 1;
	for (uint32_t i = 0; i < old; i++)
		if (k[i])
			hist_put(s, k[i] - 1, c[i]);
	free(k);
	free(c);
}

/* Counts n more durations of v. The distinct values are those in the
 * table and in hs; more than ZONE_HIST_EXACT makes it coarse. */
static void hist_put(struct zf_stat *s, uint64_t v, uint64_t n)
{
	if (s->s.coarse)
		v = zone_hist_bucket(v);
	if (v < ZF_SMALL && s->hs) {
		if (s->hs[v]) {
			s->hs[v] += n;
			return;
		}
		s->hs[v] = n;
		if (++s->nsmall + s->hlen > ZONE_HIST_EXACT && !s->s.coarse)
			hist_rehash(s, s->hcap, 1);
		return;
	}
	if (v == UINT64_MAX)
		v--;
	if (!s->hcap)
		hist_rehash(s, 16, 0);
	uint64_t key = v + 1;
	uint32_t m = s->hcap - 1;
	for (uint32_t i = hist_hash(key, s->hcap);; i = (i + 1) & m) {
		if (s->hk[i] == key) {
			s->hc[i] += n;
			return;
		}
		if (!s->hk[i]) {
			s->hk[i] = key;
			s->hc[i] = n;
			break;
		}
	}
	++s->hlen;
	if (s->hlen + s->nsmall > ZONE_HIST_EXACT && !s->s.coarse)
		hist_rehash(s, s->hcap, 1);
	else if (s->hlen * 2 > s->hcap)
		hist_rehash(s, s->hcap * 2, 0);
}

/* Gives a hot name its small-value array and moves its small values there. */
static void hist_hot(struct zone_fin *z, struct zf_stat *s)
{
	if (z->nhot >= ZF_HOT_MAX || !s->hcap)
		return;
	z->nhot++;
	s->hs = xcalloc(ZF_SMALL, sizeof(uint64_t));
	hist_rehash(s, s->hcap, 0);
}

/* Puts the k-th smallest of d[0..n) at d[k], smaller ones before it and
 * larger ones after (quickselect, median of three). */
static void select_kth(uint64_t *d, size_t n, size_t k)
{
	ptrdiff_t lo = 0, hi = (ptrdiff_t)n - 1, kk = (ptrdiff_t)k;
	while (hi > lo) {
		ptrdiff_t mid = lo + (hi - lo) / 2;
		uint64_t a = d[lo], b = d[mid], c = d[hi];
		uint64_t pv = a < b ? (b < c ? b : a < c ? c : a) : (a < c ? a : b < c ? c : b);
		ptrdiff_t i = lo, j = hi;
		/* the pivot is in the range: both scans stop inside it */
		while (i <= j) {
			while (d[i] < pv)
				i++;
			while (d[j] > pv)
				j--;
			if (i <= j) {
				uint64_t t = d[i];
				d[i++] = d[j];
				d[j--] = t;
			}
		}
		if (kk <= j)
			hi = j;
		else if (kk >= i)
			lo = i;
		else
			return;
	}
}

/* Raises keep_ns until at most half of keep_max spans are kept (fewer when
 * many spans have the same duration), and drops the others. */
static void zf_thin(struct zone_fin *z)
{
	size_t n = z->kept.len, want = z->keep_max > 1 ? z->keep_max / 2 : 1;
	/* one buffer for every thinning: fresh pages each time were a tenth
	 * of the launcher's time in page faults */
	if (!z->scratch)
		z->scratch = xmalloc((z->keep_max + 2) * sizeof(uint64_t));
	uint64_t *d = z->scratch;
	memcpy(d, z->kdur, n * sizeof(*d));
	/* the least duration that keeps at most `want`: d[n - want], unless
	 * spans before it have the same duration */
	select_kth(d, n, n - want);
	uint64_t t = d[n - want];
	for (size_t i = 0; i < n - want; i++)
		if (d[i] == t) {
			t++;
			break;
		}
	if (t <= z->keep_ns)
		t = z->keep_ns + 1;
	z->keep_ns = t;
	/* the spans kept fill the holes at the front from the back: a span
	 * moves only when it sits past where the kept ones end (about a
	 * quarter of them, not half), and the order does not matter
	 * (build_spans sorts them by thread, start and begin order, which
	 * tells every two apart) */
	uint64_t *kd = z->kdur;
	struct zf_kept *k = z->kept.data;
	size_t i = 0, j = n;
	for (;;) {
		while (i < j && kd[i] >= t)
			i++;
		while (i < j && kd[j - 1] < t)
			j--;
		if (i >= j)
			break;
		kd[i] = kd[j - 1];
		k[i++] = k[--j];
	}
	z->kept.len = i;
}

/* One more span of duration d in s, d - away of it its own. */
static inline __attribute__((always_inline)) void stat_span(struct sc_zone_stat *s, uint64_t d, uint64_t away)
{
	if (!s->calls || d < s->min_ns)
		s->min_ns = d;
	if (d > s->max_ns)
		s->max_ns = d;
	s->calls++;
	s->sum_ns += d;
	s->self_ns += d > away ? d - away : 0;
}

/* Ends the open span at k on thread th (t) at `end` ns: folds it into its
 * stats and its parent's figures, and keeps it when it is long enough. */
static inline __attribute__((always_inline)) void zf_close_at(struct zone_fin *z, struct zf_thread *t, uint32_t th,
							   size_t k, uint64_t end, uint64_t allocs, uint64_t bytes,
							   uint64_t dropped_ns, uint16_t flags)
{
	struct zf_open *o = &t->open.data[k];
	if (end < o->start)
		end = o->start;
	uint64_t d = end - o->start;
	if (k + 1 < t->open.len && !t->open.data[k + 1].orphan) {
		/* ended below the top: the span directly inside it is still
		 * open, and overlaps it up to here */
		struct zf_open *c = &t->open.data[k + 1];
		o->kids_ns += end > c->start ? end - c->start : 0;
		c->orphan = 1;
	}
	struct zf_stat *st = &t->stats.data[o->stat];
	struct sc_zone_stat *s = &st->s;
	uint64_t away = o->kids_ns + dropped_ns;
	stat_span(s, d, away);
	s->self_allocs += allocs > o->kids_allocs ? allocs - o->kids_allocs : 0;
	s->self_bytes += bytes > o->kids_bytes ? bytes - o->kids_bytes : 0;
	if (o->outer) {
		s->total_ns += d;
		s->allocs += allocs;
		s->bytes += bytes;
	}
	s->unwound += (flags & ZONE_F_UNWOUND) != 0;
	s->thread_exit += (flags & ZONE_F_THREAD_EXIT) != 0;
	s->unfinished += (flags & ZONE_F_UNFINISHED) != 0;
	if (d < ZF_SMALL && st->hs && st->hs[d])
		st->hs[d]++;   /* hist_put's common case, inline */
	else
		hist_put(st, d, 1);
	if (s->calls == ZF_HOT && !st->hs)
		hist_hot(z, st);
	st->open--;
	if (k && !o->orphan) {
		struct zf_open *par = &t->open.data[k - 1];
		par->kids_ns += d;
		par->kids_allocs += allocs;
		par->kids_bytes += bytes;
	}
	z->spans++;
	if (d >= z->keep_ns) {
		VEC_RESERVE(&z->kept, 1);
		struct zf_kept *kp = &z->kept.data[z->kept.len++];
		kp->start = o->start;
		kp->end = end;
		kp->allocs = allocs;
		kp->bytes = bytes;
		kp->dropped_ns = dropped_ns;
		kp->kids_ns = o->kids_ns;
		kp->id = o->id;
		kp->seq = o->seq;
		kp->thread = (uint16_t)th;
		kp->depth = o->depth;
		kp->flags = flags;
		if (z->kdur)
			z->kdur[z->kept.len - 1] = d;
		if (z->keep_max && z->kept.len > z->keep_max)
			zf_thin(z);
	}
	if (k + 1 < t->open.len)
		memmove(t->open.data + k, t->open.data + k + 1, (t->open.len - k - 1) * sizeof(*o));
	t->open.len--;
}

static __attribute__((noinline)) void zf_close(struct zone_fin *z, struct zf_thread *t, uint32_t th, size_t k,
					       uint64_t end, uint64_t allocs, uint64_t bytes, uint64_t dropped_ns,
					       uint16_t flags)
{
	zf_close_at(z, t, th, k, end, allocs, bytes, dropped_ns, flags);
}

/* zf_close of the innermost open span (the top of t's stack) with no
 * allocations, bytes, dropped calls or flags, as a ZEND0 ends it: the same
 * figures without the cases that cannot arise there. 0 (nothing done) when
 * the span is to be kept: zf_close does that. */
static inline int zf_close_top(struct zone_fin *z, struct zf_thread *t, uint64_t end)
{
	size_t k = t->open.len - 1;
	struct zf_open *o = &t->open.data[k];
	if (end < o->start)
		end = o->start;
	uint64_t d = end - o->start;
	if (d >= z->keep_ns)
		return 0;
	struct zf_stat *st = &t->stats.data[o->stat];
	struct sc_zone_stat *s = &st->s;
	uint64_t away = o->kids_ns;
	stat_span(s, d, away);
	if (o->outer)
		s->total_ns += d;
	if (d < ZF_SMALL && st->hs && st->hs[d])
		st->hs[d]++;   /* hist_put's common case, inline */
	else
		hist_put(st, d, 1);
	if (s->calls == ZF_HOT && !st->hs)
		hist_hot(z, st);
	st->open--;
	if (k && !o->orphan)
		o[-1].kids_ns += d;
	z->spans++;
	t->open.len = k;
	return 1;
}

/* Pairs an end (ZEND, or ZEND0 when zero) with the innermost open span of
 * its id. */
static int dec_end(struct zone_fin *z, struct zf_thread *t, uint32_t th, uint64_t ticks, struct fmt_reader *r,
		   int zero)
{
	struct raw_zend e;
	if (zero) {
		struct raw_zid z0;
		if (raw_get_zend0(r, &z0))
			return -1;
		e = (struct raw_zend){ .id = z0.id };
	} else if (raw_get_zend(r, &e)) {
		return -1;
	}
	uint64_t id = e.id, allocs = e.allocs, bytes = e.bytes, flags = e.flags, kids = e.kids;
	for (size_t k = t->open.len; k-- > 0;) {
		if (t->open.data[k].id != id)
			continue;
		uint16_t fl = (uint16_t)(((flags & RAW_ZF_UNWOUND) ? ZONE_F_UNWOUND : 0) |
					 ((flags & RAW_ZF_THREAD_EXIT) ? ZONE_F_THREAD_EXIT : 0));
		zf_close(z, t, th, k, zf_rel(z, ticks), allocs, bytes,
			 kids ? z->env.dur(z->env.ctx, kids) : 0, fl);
		return 0;
	}
	return 0;   /* its begin was lost with a damaged chunk */
}

static struct zone_fin *zf_get(struct zone_fin **zp, const struct zone_fin_env *env)
{
	struct zone_fin *z = *zp;
	if (!z) {
		z = *zp = xcalloc(1, sizeof(*z));
		z->env = *env;
		z->keep_max = env->keep_max;
		/* room for them all at once (pages are touched only as used):
		 * growing by doubling copied and faulted them in again */
		if (z->keep_max) {
			VEC_RESERVE(&z->kept, z->keep_max + 1);
			z->kdur = xmalloc((z->keep_max + 1) * sizeof(uint64_t));
		}
		u64map_init(&z->name_index, 256);
	}
	return z;
}

/* A begin of raw id `id` at `ns` on thread t. */
static inline void zf_begin(struct zone_fin *z, struct zf_thread *t, uint64_t id, uint64_t ns)
{
	/* filled in place: a struct built aside and copied in stalls
	 * on store forwarding, a third of the decoding time */
	uint32_t stat = id < t->nslot && t->slot[id] ? t->slot[id] - 1 : zf_stat_of(t, id);
	VEC_RESERVE(&t->open, 1);
	struct zf_open *o = &t->open.data[t->open.len];
	o->start = ns;
	o->kids_ns = o->kids_allocs = o->kids_bytes = 0;
	o->id = id;
	o->seq = z->begins++;
	o->stat = stat;
	o->depth = 0;
	if (t->open.len) {
		uint16_t d = o[-1].depth;
		o->depth = d < UINT16_MAX ? d + 1 : d;
	}
	struct zf_stat *st = &t->stats.data[stat];
	o->outer = st->open == 0;
	o->orphan = 0;
	st->open++;
	t->open.len++;
}

/* An unsigned varint at p, below end: the byte after it, or NULL. */
static inline const uint8_t *zf_uv(const uint8_t *p, const uint8_t *end, uint64_t *v)
{
	uint64_t x = 0;
	for (unsigned sh = 0; p < end && sh < 64; sh += 7) {
		uint8_t b = *p++;
		x |= (uint64_t)(b & 0x7f) << sh;
		if (!(b & 0x80)) {
			*v = x;
			return p;
		}
	}
	return NULL;
}

/* A begin of raw id `id` and its end d ns later, nothing between them,
 * not kept: zf_begin then zf_close_top without the open entry. 0 when the
 * name has no stats row yet (zf_begin adds it). */
static inline int zf_leaf(struct zone_fin *z, struct zf_thread *t, uint64_t id, uint64_t d)
{
	if (id >= t->nslot || !t->slot[id])
		return 0;
	struct zf_stat *st = &t->stats.data[t->slot[id] - 1];
	struct sc_zone_stat *s = &st->s;
	stat_span(s, d, 0);
	if (!st->open)
		s->total_ns += d;
	if (d < ZF_SMALL && st->hs && st->hs[d])
		st->hs[d]++;
	else
		hist_put(st, d, 1);
	if (s->calls == ZF_HOT && !st->hs)
		hist_hot(z, st);
	if (t->open.len)
		t->open.data[t->open.len - 1].kids_ns += d;
	z->begins++;
	z->spans++;
	return 1;
}

int zone_fin_calls(struct zone_fin **zp, const struct zone_fin_env *env, uint32_t thread, int type,
		   uint64_t *ticks, uint64_t *last, struct fmt_reader *r)
{
	struct zone_fin *z = zf_get(zp, env);
	if (thread > UINT16_MAX)
		return -1;
	struct zf_thread *t = zf_thread(z, thread);
	uint64_t tk = *ticks, mx = *last;
	const uint8_t *p = r->p, *end = r->end;
	for (;;) {
		/* the name id: one varint */
		uint64_t id = 0;
		for (unsigned sh = 0;; sh += 7) {
			if (p >= end || sh >= 64)
				goto bad;
			uint8_t b = *p++;
			id |= (uint64_t)(b & 0x7f) << sh;
			if (!(b & 0x80))
				break;
		}
		if (tk > mx)
			mx = tk;
		if (type == RAW_ZBEGIN) {
			if (!id)
				goto bad;
			uint64_t ns = zf_rel(z, tk);
			/* a leaf: its end right after it (most calls of a call
			 * tree), folded at once when not kept: no open entry */
			uint64_t u, id2;
			const uint8_t *q;
			if (p < end && *p == RAW_ZEND0 && (q = zf_uv(p + 1, end, &u)) && (q = zf_uv(q, end, &id2)) &&
			    id2 == id) {
				uint64_t tk2 = tk + (uint64_t)fmt_unzigzag(u);
				uint64_t e = zf_rel(z, tk2);
				uint64_t d = e > ns ? e - ns : 0;
				if (d < z->keep_ns && zf_leaf(z, t, id, d)) {
					p = q;
					tk = tk2;
					if (tk > mx)
						mx = tk;
					goto next;
				}
			}
			zf_begin(z, t, id, ns);
		} else if (t->open.len && t->open.data[t->open.len - 1].id == id) {
			/* the usual end: of the innermost span; kept or not */
			uint64_t e = zf_rel(z, tk);
			if (!zf_close_top(z, t, e))
				zf_close_at(z, t, thread, t->open.len - 1, e, 0, 0, 0, 0);
		} else {
			/* an end closes the innermost open span of its id; none:
			 * its begin was lost with a damaged chunk */
			size_t k = t->open.len;
			while (k > 0 && t->open.data[k - 1].id != id)
				k--;
			if (k)
				zf_close(z, t, thread, k - 1, zf_rel(z, tk), 0, 0, 0, 0);
		}
	next:
		/* the next record, when it is a begin or a plain end too */
		if (p >= end || (*p != RAW_ZBEGIN && *p != RAW_ZEND0))
			break;
		type = *p++;
		uint64_t u = 0;
		for (unsigned sh = 0;; sh += 7) {
			if (p >= end || sh >= 64)
				goto bad;
			uint8_t b = *p++;
			u |= (uint64_t)(b & 0x7f) << sh;
			if (!(b & 0x80))
				break;
		}
		tk += (uint64_t)fmt_unzigzag(u);
	}
	r->p = p;
	*ticks = tk;
	*last = mx;
	return 0;
bad:
	r->p = p;
	r->err = 1;
	*ticks = tk;
	*last = mx;
	return -1;
}

int zone_fin_decode(struct zone_fin **zp, const struct zone_fin_env *env, uint32_t thread, int type,
		    uint64_t ticks, struct fmt_reader *r)
{
	struct zone_fin *z = zf_get(zp, env);
	struct zf_thread *t = zf_thread(z, thread);
	switch (type) {
	case RAW_ZNAME:
		return dec_name(z, ticks, r);
	case RAW_ZBEGIN: {
		struct raw_zid zb;
		if (raw_get_zbegin(r, &zb) || thread > UINT16_MAX)
			return -1;
		zf_begin(z, t, zb.id, zf_rel(z, ticks));
		return 0;
	}
	case RAW_ZEND:
	case RAW_ZEND0:
		return dec_end(z, t, thread, ticks, r, type == RAW_ZEND0);
	case RAW_ZMARK:
	case RAW_ZCOUNTER: {
		struct zf_mark m = { ticks, 0, 0, thread };
		if (type == RAW_ZMARK) {
			struct raw_zid zm;
			if (raw_get_zmark(r, &zm))
				return -1;
			m.id = zm.id;
		} else {
			struct raw_zcounter zc;
			if (raw_get_zcounter(r, &zc))
				return -1;
			m.id = zc.id;
			m.value = zc.value;
		}
		if (type == RAW_ZMARK)
			VEC_PUSH(&z->marks, m);
		else
			VEC_PUSH(&z->counters, m);
		return 0;
	}
	case RAW_ZTHREAD: {
		struct raw_zthread zt;
		if (raw_get_zthread(r, &zt))
			return -1;
		free(t->name);
		t->name = zf_str(zt.name, zt.name_len);
		return 0;
	}
	case RAW_ZERROR: {
		struct raw_zerror_rec ze;
		if (raw_get_zerror(r, &ze))
			return -1;
		struct zf_error e = { ticks, 0, 0, thread, 0 };
		e.kind = (uint8_t)ze.kind;
		e.expected = ze.expected;
		e.given = ze.given;
		VEC_PUSH(&z->errors, e);
		return 0;
	}
	case RAW_ZDROP: {
		struct raw_zdrop zd;
		if (raw_get_zdrop(r, &zd))
			return -1;
		struct zf_drop d;
		d.id = zd.id;
		for (int i = 0; i < 8; i++)
			d.v[i] = zd.v[i];
		if (!d.v[0])
			return 0;
		/* one entry per raw id, in ticks: the runtime writes one at
		 * every flush, as many as the run is long */
		bool isnew;
		if (!z->drop_index.slots)
			u64map_init(&z->drop_index, 64);
		uint64_t *slot = u64map_put(&z->drop_index, d.id, &isnew);
		if (isnew) {
			VEC_PUSH(&z->drops, d);
			*slot = z->drops.len - 1;
			return 0;
		}
		struct zf_drop *o = &z->drops.data[*slot];
		for (int i = 0; i < 8; i++)
			if (i == 3)
				o->v[i] = d.v[i] < o->v[i] ? d.v[i] : o->v[i];
			else if (i == 4)
				o->v[i] = d.v[i] > o->v[i] ? d.v[i] : o->v[i];
			else
				o->v[i] += d.v[i];
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

/* Sorts spans by thread, then start, then begin order (an enclosing span
 * stays ahead of what it encloses, siblings of one time stamp in order). */
static int kept_cmp(const void *a, const void *b)
{
	const struct zf_kept *x = a, *y = b;
	if (x->thread != y->thread)
		return x->thread < y->thread ? -1 : 1;
	if (x->start != y->start)
		return x->start < y->start ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* Spans still open end with their thread (or the profile), innermost
 * first, flagged unfinished. */
static void close_open(struct zb *b)
{
	struct zone_fin *z = b->z;
	struct sc_profile *p = b->p;
	for (size_t i = 0; i < z->threads.len && i < p->nthreads; i++) {
		struct zf_thread *t = &z->threads.data[i];
		uint64_t tend = p->threads[i].end ? p->threads[i].end : p->duration;
		while (t->open.len)
			zf_close(z, t, (uint32_t)i, t->open.len - 1, tend, 0, 0, 0, ZONE_F_UNFINISHED);
	}
}

static int row_cmp(const void *a, const void *b)
{
	const struct sc_zone_stat *x = a, *y = b;
	if (x->thread != y->thread)
		return x->thread < y->thread ? -1 : 1;
	return x->name < y->name ? -1 : x->name > y->name;
}

static int hist_cmp(const void *a, const void *b)
{
	const struct sc_zone_hist *x = a, *y = b;
	return x->value < y->value ? -1 : x->value > y->value;
}

/* Adds row y into x (same thread and name: two raw ids of one name). */
static void row_merge(struct sc_zone_stat *x, const struct sc_zone_stat *y)
{
	if (y->min_ns < x->min_ns)
		x->min_ns = y->min_ns;
	if (y->max_ns > x->max_ns)
		x->max_ns = y->max_ns;
	x->calls += y->calls;
	x->total_ns += y->total_ns;
	x->self_ns += y->self_ns;
	x->sum_ns += y->sum_ns;
	x->allocs += y->allocs;
	x->bytes += y->bytes;
	x->self_allocs += y->self_allocs;
	x->self_bytes += y->self_bytes;
	x->unwound += y->unwound;
	x->unfinished += y->unfinished;
	x->thread_exit += y->thread_exit;
}

/* The histogram of table entries hk/hc (cap of them) ascending in the arena,
 * by buckets when coarse; merged entries (equal values) summed. */
static struct sc_zone_hist *hist_out(struct arena *A, struct sc_zone_hist *h, size_t n, uint8_t *coarse,
				     uint32_t *nout)
{
	if (!*coarse && n > ZONE_HIST_EXACT)
		*coarse = 1;
	if (*coarse)
		for (size_t i = 0; i < n; i++)
			h[i].value = zone_hist_bucket(h[i].value);
	qsort(h, n, sizeof(*h), hist_cmp);
	size_t o = 0;
	for (size_t i = 0; i < n; i++) {
		if (o && h[o - 1].value == h[i].value)
			h[o - 1].count += h[i].count;
		else
			h[o++] = h[i];
	}
	struct sc_zone_hist *a = arena_alloc(A, (o ? o : 1) * sizeof(*a));
	memcpy(a, h, o * sizeof(*a));
	*nout = (uint32_t)o;
	return a;
}

/* The stats rows: per thread and final name, rows of raw ids that name the
 * same thing merged. */
static void build_stats(struct zb *b)
{
	struct zone_fin *z = b->z;
	struct sc_profile *p = b->p;
	size_t total = 0;
	for (size_t i = 0; i < z->threads.len && i < p->nthreads; i++)
		total += z->threads.data[i].stats.len;
	struct sc_zone_stat *rows = xcalloc(total + 1, sizeof(*rows));
	/* where each row's table is: thread, index into its stats */
	struct src { uint32_t th, k; } *src = xcalloc(total + 1, sizeof(*src));
	size_t n = 0;
	for (size_t i = 0; i < z->threads.len && i < p->nthreads; i++) {
		struct zf_thread *t = &z->threads.data[i];
		for (size_t k = 0; k < t->stats.len; k++) {
			if (!t->stats.data[k].s.calls)
				continue;
			rows[n] = t->stats.data[k].s;
			rows[n].thread = (uint16_t)i;
			rows[n].name = zb_name(b, t->stats.data[k].s.name);
			/* the row's place in its thread's table rides in hist until sorted */
			src[n] = (struct src){ (uint32_t)i, (uint32_t)k };
			rows[n].nhist = (uint32_t)n;
			n++;
		}
	}
	/* sort rows by (thread, name) through an index, keeping their sources */
	struct sc_zone_stat *sorted = xcalloc(n + 1, sizeof(*sorted));
	memcpy(sorted, rows, n * sizeof(*rows));
	qsort(sorted, n, sizeof(*sorted), row_cmp);
	p->zone_stats = arena_alloc(&p->arena, (n + 1) * sizeof(*p->zone_stats));
	VEC(struct sc_zone_hist) h = { 0 };
	size_t o = 0;
	for (size_t i = 0; i < n;) {
		size_t j = i;
		struct sc_zone_stat row = sorted[i];
		h.len = 0;
		for (; j < n && sorted[j].thread == row.thread && sorted[j].name == row.name; j++) {
			if (j > i)
				row_merge(&row, &sorted[j]);
			const struct src *sr = &src[sorted[j].nhist];
			const struct zf_stat *st = &z->threads.data[sr->th].stats.data[sr->k];
			row.coarse |= st->s.coarse;
			for (uint32_t e = 0; e < st->hcap; e++)
				if (st->hk[e]) {
					struct sc_zone_hist x = { st->hk[e] - 1, st->hc[e] };
					VEC_PUSH(&h, x);
				}
			if (st->hs)
				for (uint32_t v = 0; v < ZF_SMALL; v++)
					if (st->hs[v]) {
						struct sc_zone_hist x = { v, st->hs[v] };
						VEC_PUSH(&h, x);
					}
		}
		row.hist = hist_out(&p->arena, h.data, h.len, &row.coarse, &row.nhist);
		p->zone_stats[o++] = row;
		i = j;
	}
	VEC_FREE(&h);
	p->nzone_stats = o;
	p->have_zone_stats = true;
	p->zone_spans_total = z->spans;
	p->zone_keep_ns = z->keep_ns;
	free(sorted);
	free(src);
	free(rows);
}

static unsigned bits_of(uint64_t v)
{
	return v ? 64u - (unsigned)__builtin_clzll(v) : 0u;
}

/* The order of kept_cmp as indexes into k: (thread, start, seq) packed
 * into one 64-bit key, seq in the bits that z->begins needs (every seq is
 * below it), the thread in those of the highest thread number, start in
 * the rest (2^39 ns, 9 minutes, with 9M calls on a few threads), so that
 * the spans are read once; no two keys are equal (seq is unique), so the
 * order is kept_cmp's exactly. Sorted by an LSD radix sort of 11-bit
 * digits, digits that are the same throughout skipped. A span past those
 * bounds: a qsort of k itself and the identity. The 72-byte spans stay
 * where they are: qsort (glibc's merge sort of pointers, then the spans
 * moved into place, 15 MB of them for 211k kept calls) took 6-9 ms of the
 * 35-70 ms after a 9M-call program's exit. */
static uint32_t *kept_order(struct zone_fin *z, struct zf_kept *k, size_t n)
{
	enum { D = 11, NB = 1 << D, PASSES = (64 + D - 1) / D };
	uint32_t *ord = xmalloc((n + 1) * sizeof(uint32_t));
	unsigned qb = bits_of(z->begins), tb = bits_of(z->threads.len ? z->threads.len - 1 : 0);
	int fits = n <= UINT32_MAX && qb + tb < 64;
	/* the keys in the thinning's two arrays, whose pages are there
	 * already (fresh ones cost a page fault per 512 spans), when it ran */
	uint64_t *key = z->kdur, *key2 = z->scratch, *own = NULL;
	size_t *cnt = NULL;
	if (fits) {
		unsigned sb = 64 - qb - tb;
		uint64_t smax = sb >= 64 ? UINT64_MAX : (1ull << sb) - 1;
		if (!key || !key2) {
			key = own = xmalloc((n + 1) * 2 * sizeof(uint64_t));
			key2 = own + n + 1;
		}
		cnt = xcalloc((size_t)PASSES * NB, sizeof(size_t));
		for (size_t i = 0; i < n && fits; i++) {
			const struct zf_kept *ki = &k[i];
			if (ki->start > smax || ki->seq >= z->begins || ki->thread >= z->threads.len) {
				fits = 0;
				break;
			}
			uint64_t v = ki->seq | ki->start << qb;
			if (tb)
				v |= (uint64_t)ki->thread << (sb + qb);
			key[i] = v;
			ord[i] = (uint32_t)i;
			for (unsigned d = 0; d < PASSES; d++)
				cnt[d * NB + ((v >> (d * D)) & (NB - 1))]++;
		}
	}
	if (!fits) {
		free(own);
		free(cnt);
		if (n > 1)
			qsort(k, n, sizeof(*k), kept_cmp);
		for (size_t i = 0; i < n; i++)
			ord[i] = (uint32_t)i;
		return ord;
	}
	uint32_t *ord2 = xmalloc((n + 1) * sizeof(uint32_t));
	for (unsigned d = 0; d < PASSES && n; d++) {
		size_t *c = cnt + (size_t)d * NB;
		if (c[(key[0] >> (d * D)) & (NB - 1)] == n)
			continue;   /* one digit value throughout: already in order */
		size_t sum = 0;
		for (unsigned v = 0; v < NB; v++) {
			size_t x = c[v];
			c[v] = sum;
			sum += x;
		}
		for (size_t i = 0; i < n; i++) {
			size_t at = c[(key[i] >> (d * D)) & (NB - 1)]++;
			key2[at] = key[i];
			ord2[at] = ord[i];
		}
		uint64_t *tk = key;
		key = key2;
		key2 = tk;
		uint32_t *to = ord;
		ord = ord2;
		ord2 = to;
	}
	free(cnt);
	free(own);
	free(ord2);
	return ord;
}

/* The kept spans, sorted; what their kept spans directly inside do not
 * cover of kids_ns counts as dropped, so self times stay right from the
 * kept spans alone. Each span is read once, in that order (after thinning
 * they lie in no useful order: reads from anywhere in 15 MB for 211k
 * spans), into the profile's array. What a span's kids_ns has left to
 * cover rides with it on the nesting stack (as deep as the nesting, not
 * as long as the spans) and goes to its dropped_ns when it leaves:
 * clamping at 0 at each kept span inside gives what clamping the sum
 * would, as none is negative. */
static void build_spans(struct zb *b)
{
	struct zone_fin *z = b->z;
	struct sc_profile *p = b->p;
	size_t n = z->kept.len;
	struct zf_kept *k = z->kept.data;
	uint32_t *ord = kept_order(z, k, n);
	struct nest { uint32_t i; uint64_t rest; };
	VEC(struct nest) st = { 0 };
	p->zones = arena_alloc(&p->arena, (n + 1) * sizeof(*p->zones));
	for (size_t i = 0; i < n; i++) {
		const struct zf_kept *ki = &k[ord[i]];
		struct sc_zone *o = &p->zones[i];
		o->start = ki->start;
		o->end = ki->end;
		o->allocs = ki->allocs;
		o->bytes = ki->bytes;
		o->dropped_ns = ki->dropped_ns;
		o->name = zb_name(b, ki->id);
		o->thread = ki->thread;
		o->depth = ki->depth;
		o->flags = ki->flags;
		while (st.len) {
			struct nest *top = &st.data[st.len - 1];
			const struct sc_zone *par = &p->zones[top->i];
			if (par->thread == o->thread && par->depth < o->depth)
				break;
			p->zones[top->i].dropped_ns += top->rest;
			st.len--;
		}
		if (st.len) {
			struct nest *top = &st.data[st.len - 1];
			const struct sc_zone *par = &p->zones[top->i];
			uint64_t end = o->end < par->end ? o->end : par->end;
			uint64_t c = end > o->start ? end - o->start : 0;
			top->rest = top->rest > c ? top->rest - c : 0;
		}
		struct nest e = { (uint32_t)i, ki->kids_ns };
		VEC_PUSH(&st, e);
	}
	while (st.len) {
		st.len--;
		p->zones[st.data[st.len].i].dropped_ns += st.data[st.len].rest;
	}
	p->nzones = n;
	VEC_FREE(&st);
	free(ord);
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
	close_open(&b);
	build_stats(&b);
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
		struct zf_thread *t = &z->threads.data[i];
		for (size_t k = 0; k < t->stats.len; k++) {
			free(t->stats.data[k].hk);
			free(t->stats.data[k].hc);
			free(t->stats.data[k].hs);
		}
		VEC_FREE(&t->stats);
		VEC_FREE(&t->open);
		free(t->slot);
		if (t->far.slots)
			u64map_release(&t->far);
		free(t->name);
	}
	VEC_FREE(&z->kept);
	free(z->kdur);
	free(z->scratch);
	VEC_FREE(&z->threads);
	VEC_FREE(&z->marks);
	VEC_FREE(&z->counters);
	VEC_FREE(&z->drops);
	if (z->drop_index.slots)
		u64map_release(&z->drop_index);
	VEC_FREE(&z->errors);
	free(z);
}
