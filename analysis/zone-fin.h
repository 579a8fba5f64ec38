/* Finalize's side of zones: decodes the zone records of a raw stream
 * (ZNAME, ZBEGIN, ZEND, ZMARK, ZCOUNTER, ZTHREAD, ZERROR, ZDROP), pairs
 * begins with ends per thread, folds each span into per-thread, per-name
 * figures as it ends, and builds the zone part of the profile model (names,
 * figures, the spans kept, marks, counters, dropped calls, errors). */
#ifndef SCORCH_ANALYSIS_ZONE_FIN_H
#define SCORCH_ANALYSIS_ZONE_FIN_H

#include <stdint.h>

#include "../format/varint.h"
#include "profile.h"

struct zone_fin;

/* Spans kept one by one unless the launcher is told otherwise. */
#define ZONE_KEEP_DEFAULT 250000

/* What decoding and building need from finalize. */
struct zone_fin_env {
	void *ctx;
	uint64_t (*rel)(void *ctx, uint64_t ticks);    /* a time stamp -> ns since profile start */
	uint64_t (*dur)(void *ctx, uint64_t ticks);    /* a number of ticks -> ns */
	/* The function at address `addr` (loaded when `ticks` passed):
	 * its name, file and first line, strings living as long as the profile. */
	void (*func)(void *ctx, uint64_t addr, uint64_t ticks, const char **name,
		     const char **file, uint32_t *line);
	/* Spans kept one by one at most (0: all): past it only the longest
	 * are kept; every span counts in the per-name figures all the same. */
	size_t keep_max;
	/* rel as a map, inlined by the decoder: rel = tick_ns(ticks - tick0),
	 * 0 below tick0 (rel must do the same then). tick.q 0: call rel. */
	uint64_t tick0;
	struct tick_map { uint64_t q, frac; } tick;
};

/* A tick map for `fs` femtoseconds a tick (0: ticks are ns): ticks * fs /
 * 10^6 ns, truncated, as a multiply and a shift (frac: the fraction of a ns
 * a tick adds past q, in 2^-64, rounded up: exact below 2^64 / 10^6 ticks,
 * 2 hours at 2.5 GHz, at most 1 ns short past that; the double multiply it
 * replaces was a tenth of the launcher's fold of calls). */
__extension__ typedef unsigned __int128 tick_u128;

static inline struct tick_map tick_map_of(uint64_t fs)
{
	struct tick_map m = { 1, 0 };
	if (fs) {
		m.q = fs / 1000000;
		uint64_t rem = fs % 1000000;
		if (rem)
			m.frac = (uint64_t)((((tick_u128)rem << 64) + 999999) / 1000000);
	}
	return m;
}

static inline uint64_t tick_ns(const struct tick_map *m, uint64_t ticks)
{
	return ticks * m->q + (uint64_t)(((tick_u128)ticks * m->frac) >> 64);
}

/* Decodes the fields of one zone record of `type` (after its dt) stamped
 * with `ticks`, written by the thread at index `thread` of finalize's table.
 * A span is folded into its name's figures as its end is read. *zp is
 * created on first use, with a copy of env (whose rel and dur must work
 * from then on). Returns 0, or -1 when the record is malformed (r->err is
 * set or a field is out of range). */
int zone_fin_decode(struct zone_fin **zp, const struct zone_fin_env *env, uint32_t thread, int type,
		    uint64_t ticks, struct fmt_reader *r);

/* The fast path of calls: decodes the ZBEGIN or ZEND0 record of `type`
 * whose head was just read (r at its fields, *ticks its time stamp) and
 * every ZBEGIN or ZEND0 record right after it, in one loop; returns with r
 * at the head of the next other record (or the end), *ticks the last
 * record's time stamp and *last raised to the largest one seen. The same
 * result as zone_fin_decode() on each record. Returns 0, or -1 when a record
 * is malformed (r->err set). */
int zone_fin_calls(struct zone_fin **zp, const struct zone_fin_env *env, uint32_t thread, int type,
		   uint64_t *ticks, uint64_t *last, struct fmt_reader *r);

/* Fills p's zone members (p->threads and p->duration must be set: spans
 * still open end with their thread): the names, per thread and name the
 * figures of every span (zone_stats), the spans kept, marks, counters,
 * dropped calls, errors. NULL z: no zones. */
void zone_fin_build(struct zone_fin *z, struct sc_profile *p, const struct zone_fin_env *env);

void zone_fin_free(struct zone_fin *z);

#endif
