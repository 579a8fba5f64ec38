/* Zones for the exports whose timelines must nest (Chrome trace,
 * speedscope's evented profiles): the spans of each thread laid out on
 * tracks ("lanes") where every span sits wholly inside the one open below
 * it, with exact start and end, in time order; the marks and mismatched
 * ends of the thread ride on its first lane.
 *
 * Well-formed zones nest, so a thread needs one lane. A zone that outlives
 * the zone it began in (scorch_zone_end("a") while "b" was innermost leaves
 * "b" open after "a" ended) cannot share that zone's track without cutting
 * one of them, so it goes to the next lane where it nests: durations and
 * counts stay exactly the profile's. A walk over p->zones, marks and
 * zone_errors, which it only reads. */
#ifndef SCORCH_OUTPUT_EXPORT_ZONES_H
#define SCORCH_OUTPUT_EXPORT_ZONES_H

#include <regex.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../analysis/profile.h"

#define ZONE_LANES_MAX 256          /* lanes per thread; spans beyond are not drawn */
#define ZONE_LANE_NONE UINT16_MAX   /* zone_lanes.lane of a span filtered out or not drawn */

struct zone_lanes {
	const struct sc_profile *p; /* borrowed */
	uint16_t *lane;             /* per span: its lane on its thread, or ZONE_LANE_NONE */
	size_t *first;              /* per thread t: its spans are p->zones[first[t] .. first[t + 1]) */
	uint16_t *nlanes;           /* per thread: lanes holding spans */
	size_t *mfirst, *morder;    /* per thread: morder[mfirst[t] .. mfirst[t + 1]) index p->marks */
	size_t *efirst, *eorder;    /* the same for p->zone_errors, in time order */
	uint8_t *pick;              /* per zone name: 1 when the filter keeps it (or no filter) */
	size_t spans;               /* spans laid out */
	size_t undrawn;             /* spans that fit in none of ZONE_LANES_MAX lanes */
	uint64_t dropped_calls;     /* calls --calls-min kept out of the span list (never drawn) */
	uint64_t marks, errors, counters;   /* kept by the filter */
};

/* Lays out p's zones. filter (POSIX ERE, NULL for none) keeps the spans
 * whose name or an enclosing span's name matches, and the marks, counters
 * and mismatched ends whose name (given or innermost) matches. Returns 0,
 * or -EINVAL for a regex regcomp refuses. */
int zone_lanes_init(struct zone_lanes *zl, const struct sc_profile *p, const char *filter);
void zone_lanes_release(struct zone_lanes *zl);

/* The tracks thread t needs: its lanes holding spans, at least 1 when it
 * has marks or errors (they ride on lane 0), 0 when it has nothing. */
uint16_t zone_lanes_tracks(const struct zone_lanes *zl, uint32_t t);
/* True when counter value i passes the filter. */
bool zone_lanes_counter_picked(const struct zone_lanes *zl, size_t i);

enum zone_ev_kind {
	ZEV_BEGIN,                  /* index into p->zones */
	ZEV_END,                    /* index into p->zones */
	ZEV_MARK,                   /* index into p->marks */
	ZEV_ERROR,                  /* index into p->zone_errors */
};

struct zone_ev {
	enum zone_ev_kind kind;
	uint64_t time;              /* ns since profile start */
	size_t index;
};

typedef void (*zone_ev_fn)(void *ctx, const struct zone_ev *ev);

/* Calls fn for the events of lane `lane` of thread t in time order (never
 * going back): every span's begin and end, an end always closing the
 * innermost span still open; on lane 0 also the thread's marks and errors.
 * A mark at the very time a span begins comes after the begin, one at the
 * very time a span ends before the end. */
void zone_lanes_walk(const struct zone_lanes *zl, uint32_t t, uint16_t lane, zone_ev_fn fn, void *ctx);

/* The display name of zone name index n ("?" when out of range). */
const char *zone_lanes_name(const struct sc_profile *p, uint32_t n);

#endif
