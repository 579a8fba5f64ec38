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
};

/* Decodes the fields of one zone record of `type` (after its dt) stamped
 * with `ticks`, written by the thread at index `thread` of finalize's table.
 * A span is folded into its name's figures as its end is read. *zp is
 * created on first use, with a copy of env (whose rel and dur must work
 * from then on). Returns 0, or -1 when the record is malformed (r->err is
 * set or a field is out of range). */
int zone_fin_decode(struct zone_fin **zp, const struct zone_fin_env *env, uint32_t thread, int type,
		    uint64_t ticks, struct fmt_reader *r);

/* Fills p's zone members (p->threads and p->duration must be set: spans
 * still open end with their thread): the names, per thread and name the
 * figures of every span (zone_stats), the spans kept, marks, counters,
 * dropped calls, errors. NULL z: no zones. */
void zone_fin_build(struct zone_fin *z, struct sc_profile *p, const struct zone_fin_env *env);

void zone_fin_free(struct zone_fin *z);

#endif
