/* The columnar event codec (evcodec.h; layout in docs/format.md, EVENT_BLOCK).
 * Each column is stored against the predictor that makes it smallest (none,
 * the value before, the value P before for the period P it repeats with)
 * and bit-packed at the width that costs least, values that do not fit
 * listed apart (patched frame of reference). A periodic program's columns
 * become constants, a random one's cost about their entropy in bits; the
 * zstd frame around the body takes what is left. */
#include "evcodec.h"

#include <endian.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../format/varint.h"
#include "../lib/die.h"
#include "../lib/hashmap.h"

#define PERIOD_MAX 64               /* periods looked for, in values */
#define PERIOD_SAMPLE 512           /* values they are looked for in */
#define PICK_SAMPLE 4096            /* values the predictor is chosen on */

/* form byte of a column: packing in the low nibble, predictor in the high */
enum { PACK_CONST = 0, PACK_BITS = 1, PACK_SPARSE = 2 };
enum { PRED_NONE = 0, PRED_BACK = 1 };

/* the ref of a free */
enum { REF_NULL = 0, REF_UNMATCHED = 1 };   /* >= 2: 1 + allocations since its own */

static unsigned bitlen(uint64_t v) { return v ? 64u - (unsigned)__builtin_clzll(v) : 0; }
static unsigned uvlen(uint64_t v) { return v ? (bitlen(v) + 6) / 7 : 1; }

/* ---- columns ---- */

/* Cost in bits of packing u[0..m) at the best width, and that width and base. */
static uint64_t pack_cost(const uint64_t *u, size_t m, unsigned *wp, uint64_t *basep, int *constp)
{
	uint64_t lo = u[0], hi = u[0];
	for (size_t i = 1; i < m; i++) {
		lo = u[i] < lo ? u[i] : lo;
		hi = u[i] > hi ? u[i] : hi;
	}
	*basep = lo;
	if (lo == hi) {
		*constp = 1;
		*wp = 0;
		return 8u * uvlen(lo);
	}
	*constp = 0;
	uint64_t cnt[65] = { 0 };
	for (size_t i = 0; i < m; i++)
		cnt[bitlen(u[i] - lo)]++;
	/* an exception costs its index delta (about 1.5 bytes) and its high bits */
	uint64_t best = UINT64_MAX;
	unsigned bw = 64;
	unsigned top = bitlen(hi - lo);
	for (unsigned w = 0; w <= top; w++) {
		uint64_t c = (uint64_t)m * w;
		for (unsigned b = w + 1; b <= top; b++)
			c += cnt[b] * (12u + 8u * ((b - w + 6) / 7));
		if (c < best)
			best = c, bw = w;
	}
	*wp = bw;
	return best + 8u * uvlen(lo) + 16;
}

static void put_u(struct strbuf *sb, uint64_t v)
{
	sb_grow(sb, VARINT_MAX);
	uint8_t *e = fmt_put_u((uint8_t *)sb->buf + sb->len, v);
	sb->len = (size_t)(e - (uint8_t *)sb->buf);
}

static void put_bits(struct strbuf *sb, const uint64_t *u, size_t m, unsigned w, uint64_t base)
{
	size_t nbytes = ((uint64_t)m * w + 7) / 8;
	sb_grow(sb, nbytes + 8);
	uint8_t *q = (uint8_t *)sb->buf + sb->len;
	uint64_t mask = w == 64 ? ~0ull : (1ull << w) - 1;
	uint64_t acc = 0;
	unsigned fill = 0;
	for (size_t i = 0; i < m; i++) {
		uint64_t x = (u[i] - base) & mask;
		acc |= x << fill;
		if (fill + w >= 64) {
			uint64_t le = htole64(acc);
			memcpy(q, &le, 8);
			q += 8;
			unsigned used = 64 - fill;
			acc = used < 64 ? x >> used : 0;
			fill = fill + w - 64;
		} else {
			fill += w;
		}
	}
	while (fill > 0) {
		*q++ = (uint8_t)acc;
		acc >>= 8;
		fill = fill > 8 ? fill - 8 : 0;
	}
	sb->len += nbytes;
	/* the values wider than w, by index */
	size_t last = 0;
	uint64_t nexc = 0;
	for (size_t i = 0; i < m; i++)
		nexc += w < 64 && ((u[i] - base) >> w) != 0;
	put_u(sb, nexc);
	for (size_t i = 0; i < m && nexc; i++)
		if (w < 64 && ((u[i] - base) >> w) != 0) {
			put_u(sb, i - last);
			put_u(sb, (u[i] - base) >> w);
			last = i;
		}
}

/* The period (2..PERIOD_MAX) a column repeats with most often in its first
 * values, or 0 when none holds for most of them. */
static size_t find_period(const uint64_t *v, size_t m)
{
	size_t s = m < PERIOD_SAMPLE ? m : PERIOD_SAMPLE, best = 0, bestn = 0;
	for (size_t p = 2; p <= PERIOD_MAX && p < s; p++) {
		size_t n = 0;
		for (size_t i = p; i < s; i++)
			n += v[i] == v[i - p];
		if (n > bestn)
			best = p, bestn = n;
	}
	return best && bestn * 2 > s - best ? best : 0;
}

static void predict(const uint64_t *v, size_t m, size_t p, uint64_t *u)
{
	for (size_t i = 0; i < m; i++)
		u[i] = fmt_zigzag((int64_t)(v[i] - (i >= p ? v[i - p] : 0)));
}

/* Appends the column v[0..m) (m >= 1); tmp has room for 4 m values. The
 * predictor is chosen on the first PICK_SAMPLE values (the encoder runs
 * beside the program), the width on all of them. A column mostly 0 after
 * its predictor (times of events closer than a tick) may go as the
 * positions and values of the others (sparse_ok: not inside another). */
static void put_column_x(struct strbuf *sb, const uint64_t *v, size_t m, uint64_t *tmp, int sparse_ok)
{
	unsigned w, bw;
	uint64_t base, bbase;
	int cst, bcst;
	size_t ms = m < PICK_SAMPLE ? m : PICK_SAMPLE;
	uint64_t best = pack_cost(v, ms, &bw, &bbase, &bcst);
	size_t bp = 0;
	const uint64_t *bu = v;
	size_t cand[2] = { 1, find_period(v, m) };
	for (int k = 0; k < 2; k++) {
		if (!cand[k] || cand[k] >= m)
			continue;
		predict(v, ms, cand[k], tmp);
		uint64_t c = pack_cost(tmp, ms, &w, &base, &cst) + 8;
		if (c < best)
			best = c, bp = cand[k];
	}
	if (bp) {
		predict(v, m, bp, tmp);
		bu = tmp;
	}
	uint64_t cost = pack_cost(bu, m, &bw, &bbase, &bcst);
	if (sparse_ok && !bcst) {
		uint64_t *gaps = tmp + m, *vals = tmp + 2 * m;
		size_t k = 0, pos = 0;
		for (size_t i = 0; i < m; i++)
			if (bu[i]) {
				gaps[k] = i + 1 - pos;
				vals[k++] = bu[i];
				pos = i + 1;
			}
		if (k && k * 2 < m) {
			unsigned w2;
			uint64_t b2;
			int c2;
			uint64_t cs = 16 + pack_cost(gaps, k, &w2, &b2, &c2) + pack_cost(vals, k, &w2, &b2, &c2);
			if (cs < cost) {
				sb_addc(sb, (char)((bp ? PRED_BACK << 4 : 0) | PACK_SPARSE));
				if (bp)
					put_u(sb, bp);
				put_u(sb, k);
				put_column_x(sb, gaps, k, tmp + 3 * m, 0);
				put_column_x(sb, vals, k, tmp + 3 * m, 0);
				return;
			}
		}
	}
	uint8_t form = (uint8_t)((bp ? PRED_BACK << 4 : 0) | (bcst ? PACK_CONST : PACK_BITS));
	sb_addc(sb, (char)form);
	if (bp)
		put_u(sb, bp);
	put_u(sb, bbase);
	if (!bcst) {
		sb_addc(sb, (char)bw);
		put_bits(sb, bu, m, bw, bbase);
	}
}

static void put_column(struct strbuf *sb, const uint64_t *v, size_t m, uint64_t *tmp)
{
	put_column_x(sb, v, m, tmp, 1);
}

/* Reads a column of m values into v; 0 or -1. sp: room for 2 m values for
 * a sparse column, NULL inside one (where another is refused). */
static int get_column(struct fmt_reader *r, uint64_t *v, size_t m, uint64_t *sp)
{
	const uint8_t *fp = fmt_get_bytes(r, 1);
	if (!fp)
		return -1;
	unsigned form = *fp, pred = form >> 4, pack = form & 15;
	uint64_t p = 0;
	if (pred == PRED_BACK) {
		p = fmt_get_u(r);
		if (!p || p >= m)
			return -1;
	} else if (pred != PRED_NONE) {
		return -1;
	}
	if (pack == PACK_SPARSE) {
		uint64_t k = fmt_get_u(r);
		if (r->err || !sp || !k || k > m)
			return -1;
		uint64_t *gaps = sp, *vals = sp + m;
		if (get_column(r, gaps, (size_t)k, NULL) || get_column(r, vals, (size_t)k, NULL))
			return -1;
		memset(v, 0, m * sizeof(*v));
		size_t pos = 0;
		for (size_t j = 0; j < k; j++) {
			if (!gaps[j] || gaps[j] > m - pos || !vals[j])
				return -1;
			pos += (size_t)gaps[j];
			v[pos - 1] = vals[j];
		}
		goto predicted;
	}
	uint64_t base = fmt_get_u(r);
	if (r->err)
		return -1;
	if (pack == PACK_CONST) {
		for (size_t i = 0; i < m; i++)
			v[i] = base;
	} else if (pack == PACK_BITS) {
		const uint8_t *wp = fmt_get_bytes(r, 1);
		if (!wp || *wp > 64)
			return -1;
		unsigned w = *wp;
		size_t nbytes = ((uint64_t)m * w + 7) / 8;
		const uint8_t *src = fmt_get_bytes(r, nbytes);
		if (!src)
			return -1;
		uint64_t mask = w == 64 ? ~0ull : (1ull << w) - 1;
		size_t i = 0, bit = 0;
		/* the base is added as the values are unpacked, an exception's
		 * high bits after (the low w bits never carry into them) */
		if (w == 0) {
			for (; i < m; i++)
				v[i] = base;
		} else if (w <= 56 && nbytes >= 8) {
			/* whole 8-byte loads while they stay inside the bytes:
			 * value i starts at byte i * w / 8 */
			size_t safe = ((nbytes - 8) * 8) / w + 1;
			if (safe > m)
				safe = m;
			for (; i < safe; i++, bit += w) {
				uint64_t x;
				memcpy(&x, src + (bit >> 3), 8);
				v[i] = ((le64toh(x) >> (bit & 7)) & mask) + base;
			}
		}
		for (; i < m; i++, bit += w) {
			uint64_t x = 0;
			size_t b0 = bit >> 3;
			unsigned sh = bit & 7, need = (sh + w + 7) / 8;
			for (unsigned k = 0; k < need && k < 8; k++)
				x |= (uint64_t)src[b0 + k] << (8 * k);
			x >>= sh;
			if (need > 8)
				x |= (uint64_t)src[b0 + 8] << (64 - sh);
			v[i] = (x & mask) + base;
		}
		uint64_t nexc = fmt_get_u(r);
		if (r->err || nexc > m || (w == 64 && nexc))
			return -1;
		size_t at = 0;
		for (uint64_t k = 0; k < nexc; k++) {
			uint64_t d = fmt_get_u(r), hi = fmt_get_u(r);
			if (r->err || d > m - 1 - at || (k && !d) || !hi || bitlen(hi) > 64 - w)
				return -1;
			at += (size_t)d;
			v[at] += hi << w;
		}
	} else {
		return -1;
	}
predicted:
	if (p) {
		for (size_t i = 0; i < p; i++)
			v[i] = (uint64_t)fmt_unzigzag(v[i]);
		for (size_t i = p; i < m; i++)
			v[i] = v[i - p] + (uint64_t)fmt_unzigzag(v[i]);
	}
	return 0;
}

/* ---- the encoder ---- */


struct evc_encoder {
	uint32_t unit;
	uint64_t tick;                /* of the last event encoded */
	uint64_t nallocs, nevents;
	struct u64map live;           /* address -> 1 + ordinal of its allocation */
	uint64_t *col[6];             /* kind, thread, dt, stack, size, ref */
	uint64_t *tmp;
	uint64_t *exc;                /* alloc index in block, what */
	size_t cap;                   /* events the columns have room for */
};

struct evc_encoder *evc_encoder_new(uint32_t time_unit)
{
	struct evc_encoder *e = xcalloc(1, sizeof(*e));
	e->unit = time_unit ? time_unit : 1;
	u64map_init(&e->live, 1024);
	return e;
}

/* The columns are sized to the largest block given, not to EVC_BLOCK_MAX:
 * 12 words an event (6 columns, tmp 4, exc 2), 6 MiB for a block of
 * EVC_BLOCK_MAX, which the launcher's streaming encoder does not use. */
static void encoder_room(struct evc_encoder *e, size_t n)
{
	if (n <= e->cap)
		return;
	for (int i = 0; i < 6; i++) {
		free(e->col[i]);
		e->col[i] = xmalloc(n * sizeof(uint64_t));
	}
	free(e->tmp);
	free(e->exc);
	e->tmp = xmalloc(4 * n * sizeof(uint64_t));
	e->exc = xmalloc(2 * n * sizeof(uint64_t));
	e->cap = n;
}

void evc_encoder_free(struct evc_encoder *e)
{
	if (!e)
		return;
	u64map_release(&e->live);
	for (int i = 0; i < 6; i++)
		free(e->col[i]);
	free(e->tmp);
	free(e->exc);
	free(e);
}

uint64_t evc_encoder_events(const struct evc_encoder *e) { return e->nevents; }

void evc_encoder_live(const struct evc_encoder *e, void (*fn)(void *ctx, uint64_t addr, uint64_t ordinal),
		      void *ctx)
{
	for (size_t i = 0; i < e->live.cap; i++)
		if (e->live.slots[i].key)
			fn(ctx, e->live.slots[i].key, e->live.slots[i].val - 1);
}

int evc_encode(struct evc_encoder *e, const struct sc_event *ev, size_t n, struct strbuf *out)
{
	if (!n || n > EVC_BLOCK_MAX)
		return -EINVAL;
	uint64_t t = e->nevents ? e->tick * e->unit : 0;
	for (size_t i = 0; i < n; i++) {
		const struct sc_event *x = &ev[i];
		if ((x->kind != EV_ALLOC && x->kind != EV_FREE) || x->func >= FN__COUNT ||
		    x->time / e->unit * e->unit < t)
			return -EINVAL;
		t = x->time / e->unit * e->unit;
	}
	encoder_room(e, n);
	uint64_t *kind = e->col[0], *thr = e->col[1], *dt = e->col[2];
	uint64_t *stk = e->col[3], *sz = e->col[4], *ref = e->col[5];
	size_t na = 0, nf = 0, nexc = 0;
	uint64_t tick = e->tick;
	for (size_t i = 0; i < n; i++) {
		const struct sc_event *x = &ev[i];
		uint64_t tk = x->time / e->unit;
		kind[i] = (uint64_t)x->kind << 5 | x->func;
		thr[i] = x->thread;
		dt[i] = tk - tick;
		tick = tk;
		if (x->kind == EV_ALLOC) {
			uint64_t ord = e->nallocs++;
			stk[na] = x->stack;
			sz[na] = x->size;
			if (!x->addr) {
				e->exc[2 * nexc] = na;
				e->exc[2 * nexc + 1] = 0;
				nexc++;
			} else {
				bool isnew;
				uint64_t *slot = u64map_put(&e->live, x->addr, &isnew);
				if (!isnew) {
					/* a block still live at this address: its free was never
					 * seen, this allocation replaces it */
					e->exc[2 * nexc] = na;
					e->exc[2 * nexc + 1] = ord - (*slot - 1);
					nexc++;
				}
				*slot = ord + 1;
			}
			na++;
		} else {
			uint64_t o;
			if (!x->addr)
				ref[nf] = REF_NULL;
			else if (u64map_del(&e->live, x->addr, &o))
				ref[nf] = 1 + (e->nallocs - (o - 1));
			else
				ref[nf] = REF_UNMATCHED;
			nf++;
		}
	}
	e->tick = tick;
	e->nevents += n;

	put_u(out, n);
	put_u(out, na);
	put_u(out, e->unit);
	put_column(out, kind, n, e->tmp);
	put_column(out, thr, n, e->tmp);
	put_column(out, dt, n, e->tmp);
	if (na) {
		put_column(out, stk, na, e->tmp);
		put_column(out, sz, na, e->tmp);
	}
	if (nf)
		put_column(out, ref, nf, e->tmp);
	put_u(out, nexc);
	size_t last = 0;
	for (size_t k = 0; k < nexc; k++) {
		put_u(out, e->exc[2 * k] - last);
		put_u(out, e->exc[2 * k + 1]);
		last = e->exc[2 * k];
	}
	return 0;
}

/* ---- the decoder ---- */

struct evc_decoder {
	size_t nthreads, nstacks;
	uint32_t unit;
	uint64_t tick, nallocs, unmatched;
	struct u64map moved;          /* ordinal -> address, for live allocations
	                               * that replaced a block (their address is
	                               * the one they replaced, not ordinal + 1) */
	uint64_t *col[6];
	uint64_t *sp;                 /* a sparse column's positions and values */
	char why[96];
};

struct evc_decoder *evc_decoder_new(size_t nthreads, size_t nstacks)
{
	struct evc_decoder *d = xcalloc(1, sizeof(*d));
	d->nthreads = nthreads;
	d->nstacks = nstacks;
	u64map_init(&d->moved, 16);
	for (int i = 0; i < 6; i++)
		d->col[i] = xmalloc(EVC_BLOCK_MAX * sizeof(uint64_t));
	d->sp = xmalloc(2 * EVC_BLOCK_MAX * sizeof(uint64_t));
	return d;
}

void evc_decoder_free(struct evc_decoder *d)
{
	if (!d)
		return;
	u64map_release(&d->moved);
	for (int i = 0; i < 6; i++)
		free(d->col[i]);
	free(d->sp);
	free(d);
}

const char *evc_decoder_error(const struct evc_decoder *d) { return d->why; }

static long dfail(struct evc_decoder *d, const char *why)
{
	if (!d->why[0])
		snprintf(d->why, sizeof(d->why), "%s", why);
	return -1;
}

/* The address of the live allocation of ordinal o, forgotten as it is freed
 * or replaced. */
static inline uint64_t take_addr(struct evc_decoder *d, uint64_t o)
{
	uint64_t a;
	if (d->moved.len && u64map_del(&d->moved, o, &a))
		return a;
	return o + 1;
}

long evc_decode(struct evc_decoder *d, const uint8_t *p, size_t len, struct sc_event *out)
{
	if (d->why[0])
		return -1;
	if (len > EVC_BYTES_MAX)
		return dfail(d, "block too long");
	struct fmt_reader r = { p, p + len, 0 };
	uint64_t n = fmt_get_u(&r), na = fmt_get_u(&r), unit = fmt_get_u(&r);
	if (r.err || !n || n > EVC_BLOCK_MAX || na > n)
		return dfail(d, "bad block header");
	if (!unit || unit > 1000000000u || (d->unit && unit != d->unit))
		return dfail(d, "bad time unit");
	d->unit = (uint32_t)unit;
	size_t nf = (size_t)(n - na);
	uint64_t *kind = d->col[0], *thr = d->col[1], *dt = d->col[2];
	uint64_t *stk = d->col[3], *sz = d->col[4], *ref = d->col[5];
	if (get_column(&r, kind, n, d->sp) || get_column(&r, thr, n, d->sp) || get_column(&r, dt, n, d->sp) ||
	    (na && (get_column(&r, stk, na, d->sp) || get_column(&r, sz, na, d->sp))) ||
	    (nf && get_column(&r, ref, nf, d->sp)))
		return dfail(d, "bad column");
	uint64_t nexc = fmt_get_u(&r);
	if (r.err || nexc > na)
		return dfail(d, "bad exceptions");
	/* the exceptions, in alloc order: index, what (0 failed, k: replaces the
	 * allocation k back) */
	uint64_t next_exc = nexc ? fmt_get_u(&r) : UINT64_MAX, exc_left = nexc;
	uint64_t tick = d->tick, maxtick = UINT64_MAX / unit;
	size_t ia = 0, jf = 0;
	for (size_t i = 0; i < n; i++) {
		struct sc_event *e = &out[i];
		uint64_t k = kind[i];
		unsigned kd = (unsigned)(k >> 5), fn = (unsigned)(k & 31);
		if (k > 0xff || (kd != EV_ALLOC && kd != EV_FREE) || fn >= FN__COUNT)
			return dfail(d, "bad event kind");
		if (thr[i] >= d->nthreads)
			return dfail(d, "thread out of range");
		if (dt[i] > maxtick - tick)
			return dfail(d, "time out of range");
		tick += dt[i];
		e->time = tick * unit;
		e->thread = (uint16_t)thr[i];
		e->kind = (uint8_t)kd;
		e->func = (uint8_t)fn;
		if (kd == EV_ALLOC) {
			if (ia == na)
				return dfail(d, "more allocations than the block says");
			if (stk[ia] >= d->nstacks)
				return dfail(d, "stack out of range");
			e->stack = (uint32_t)stk[ia];
			e->size = sz[ia];
			uint64_t ord = d->nallocs++;
			if (ia == next_exc) {
				uint64_t what = fmt_get_u(&r);
				if (r.err || what > ord)
					return dfail(d, "bad exception");
				if (!what) {
					e->addr = 0;
				} else {
					e->addr = take_addr(d, ord - what);
					*u64map_put(&d->moved, ord, NULL) = e->addr;
				}
				exc_left--;
				if (exc_left) {
					uint64_t delta = fmt_get_u(&r);
					if (r.err || !delta || delta > na - 1 - next_exc)
						return dfail(d, "bad exception index");
					next_exc += delta;
				} else {
					next_exc = UINT64_MAX;
				}
			} else {
				e->addr = ord + 1;
			}
			ia++;
		} else {
			if (jf == nf)
				return dfail(d, "more frees than the block says");
			e->stack = 0;
			e->size = 0;
			uint64_t rf = ref[jf++];
			if (rf == REF_NULL)
				e->addr = 0;
			else if (rf == REF_UNMATCHED)
				e->addr = EVC_UNMATCHED_BIT | d->unmatched++;
			else if (rf - 1 > d->nallocs)
				return dfail(d, "free of an allocation not yet made");
			else
				e->addr = take_addr(d, d->nallocs - (rf - 1));
		}
	}
	if (ia != na || exc_left || r.p != r.end)
		return dfail(d, "block does not add up");
	d->tick = tick;
	return (long)n;
}
