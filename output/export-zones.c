/* The zone lanes of export-zones.h. Spans come sorted by thread, then
 * start, an enclosing span before the spans inside it (profile.h; the
 * reader enforces the order of threads and starts). Each lane is a stack of
 * open spans: a span joins the first lane whose open spans, once those that
 * ended by its start are closed, leave on top one that encloses it. The
 * walk replays that per lane, closing what does not enclose the next span. */
#include "export-zones.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "../lib/die.h"

const char *zone_lanes_name(const struct sc_profile *p, uint32_t n)
{
	return n < p->nzone_names && p->zone_names[n].name ? p->zone_names[n].name : "?";
}

/* Whether span z can be drawn inside span o on one track: z lies within
 * o's time; a zero-length z at the instant o ends counts as inside only
 * when it is deeper than o (else it follows o). */
static bool encloses(const struct sc_zone *o, const struct sc_zone *z)
{
	return z->start >= o->start && z->end <= o->end && (z->start < o->end || o->depth < z->depth);
}

struct u32stack {
	uint32_t *v;
	size_t n, cap;
};

static void push(struct u32stack *s, uint32_t x)
{
	if (s->n == s->cap) {
		s->cap = s->cap ? s->cap * 2 : 64;
		s->v = xrealloc(s->v, s->cap * sizeof(*s->v));
	}
	s->v[s->n++] = x;
}

/* Marks the names the filter keeps. */
static int pick_names(struct zone_lanes *zl, const char *filter)
{
	const struct sc_profile *p = zl->p;
	zl->pick = xmalloc(p->nzone_names + 1);
	memset(zl->pick, 1, p->nzone_names + 1);
	if (!filter)
		return 0;
	regex_t rx;
	if (regcomp(&rx, filter, REG_EXTENDED | REG_NOSUB) != 0)
		return -EINVAL;
	for (size_t i = 0; i < p->nzone_names; i++)
		zl->pick[i] = regexec(&rx, zone_lanes_name(p, (uint32_t)i), 0, NULL, 0) == 0;
	regfree(&rx);
	return 0;
}

static bool picked(const struct zone_lanes *zl, uint32_t name)
{
	return name < zl->p->nzone_names && zl->pick[name];
}

/* Per span: 0 when it is kept (its name or an enclosing span's matches),
 * ZONE_LANE_NONE when not. The enclosing span is the last one before it on
 * its thread with depth one less, as in the zone analysis. */
static void pick_spans(struct zone_lanes *zl)
{
	const struct sc_profile *p = zl->p;
	struct u32stack st = { 0 };
	for (size_t i = 0; i < p->nzones; i++) {
		const struct sc_zone *z = &p->zones[i];
		while (st.n && (p->zones[st.v[st.n - 1]].thread != z->thread ||
				p->zones[st.v[st.n - 1]].depth >= z->depth))
			st.n--;
		bool keep = picked(zl, z->name) || (st.n && zl->lane[st.v[st.n - 1]] == 0);
		zl->lane[i] = keep ? 0 : ZONE_LANE_NONE;
		push(&st, (uint32_t)i);
	}
	free(st.v);
}

/* Gives each kept span of thread t its lane; returns the lanes used. */
static uint16_t layout_thread(struct zone_lanes *zl, uint32_t t, struct u32stack *lanes)
{
	const struct sc_profile *p = zl->p;
	size_t used = 0;
	for (size_t i = zl->first[t]; i < zl->first[t + 1]; i++) {
		if (zl->lane[i] == ZONE_LANE_NONE)
			continue;
		const struct sc_zone *z = &p->zones[i];
		size_t k;
		for (k = 0; k < ZONE_LANES_MAX; k++) {
			if (k == used)
				lanes[used++].n = 0;
			struct u32stack *s = &lanes[k];
			while (s->n && !encloses(&p->zones[s->v[s->n - 1]], z) &&
			       p->zones[s->v[s->n - 1]].end <= z->start)
				s->n--;
			if (!s->n || encloses(&p->zones[s->v[s->n - 1]], z)) {
				push(s, (uint32_t)i);
				break;
			}
		}
		if (k < ZONE_LANES_MAX) {
			zl->lane[i] = (uint16_t)k;
			zl->spans++;
		} else {
			zl->lane[i] = ZONE_LANE_NONE;
			zl->undrawn++;
		}
	}
	return (uint16_t)used;
}

static uint16_t mark_thread(const struct sc_profile *p, size_t i)
{
	return p->marks[i].thread;
}

static uint16_t error_thread(const struct sc_profile *p, size_t i)
{
	return p->zone_errors[i].thread;
}

/* Groups the items i < n with keep[i] by thread (thr(p, i), below
 * p->nthreads as the reader checks), keeping their order:
 * order[first[t] .. first[t + 1]). Both arrays are the caller's to free. */
static void group(const struct sc_profile *p, size_t n, uint16_t (*thr)(const struct sc_profile *, size_t),
		  const uint8_t *keep, size_t **firstp, size_t **orderp)
{
	size_t nt = p->nthreads;
	size_t *first = xcalloc(nt + 2, sizeof(*first));
	size_t *order = xmalloc((n + 1) * sizeof(*order));
	for (size_t i = 0; i < n; i++)
		if (keep[i] && thr(p, i) < nt)
			first[thr(p, i) + 1]++;
	for (size_t t = 0; t < nt; t++)
		first[t + 1] += first[t];
	size_t *fill = xmalloc((nt + 1) * sizeof(*fill));
	memcpy(fill, first, (nt + 1) * sizeof(*fill));
	for (size_t i = 0; i < n; i++)
		if (keep[i] && thr(p, i) < nt)
			order[fill[thr(p, i)]++] = i;
	free(fill);
	*firstp = first;
	*orderp = order;
}

static const struct sc_zone_error *sort_errors;

/* Errors by time, then as recorded. */
static int error_cmp(const void *a, const void *b)
{
	size_t x = *(const size_t *)a, y = *(const size_t *)b;
	uint64_t tx = sort_errors[x].time, ty = sort_errors[y].time;
	if (tx != ty)
		return tx < ty ? -1 : 1;
	return x < y ? -1 : x > y;
}

/* The marks and errors the filter keeps, grouped by thread. */
static void group_instants(struct zone_lanes *zl)
{
	const struct sc_profile *p = zl->p;
	size_t nm = p->nmarks, ne = p->nzone_errors;
	uint8_t *keep = xmalloc((nm > ne ? nm : ne) + 1);
	for (size_t i = 0; i < nm; i++) {
		keep[i] = picked(zl, p->marks[i].name);
		zl->marks += keep[i];
	}
	group(p, nm, mark_thread, keep, &zl->mfirst, &zl->morder);
	for (size_t i = 0; i < ne; i++) {
		keep[i] = picked(zl, p->zone_errors[i].given) || picked(zl, p->zone_errors[i].expected);
		zl->errors += keep[i];
	}
	group(p, ne, error_thread, keep, &zl->efirst, &zl->eorder);
	free(keep);
	sort_errors = p->zone_errors;
	for (size_t t = 0; t < p->nthreads; t++)
		qsort(zl->eorder + zl->efirst[t], zl->efirst[t + 1] - zl->efirst[t], sizeof(size_t), error_cmp);
	for (size_t i = 0; i < p->ncounters; i++)
		zl->counters += picked(zl, p->counters[i].name);
}

int zone_lanes_init(struct zone_lanes *zl, const struct sc_profile *p, const char *filter)
{
	memset(zl, 0, sizeof(*zl));
	zl->p = p;
	size_t nt = p->nthreads;
	if (pick_names(zl, filter)) {
		zone_lanes_release(zl);
		return -EINVAL;
	}
	zl->lane = xmalloc((p->nzones + 1) * sizeof(*zl->lane));
	pick_spans(zl);
	zl->first = xcalloc(nt + 2, sizeof(*zl->first));
	for (size_t i = 0; i < p->nzones; i++)
		if (p->zones[i].thread < nt)
			zl->first[p->zones[i].thread + 1]++;
	for (size_t t = 0; t < nt; t++)
		zl->first[t + 1] += zl->first[t];
	group_instants(zl);
	zl->nlanes = xcalloc(nt + 1, sizeof(*zl->nlanes));
	struct u32stack *lanes = xcalloc(ZONE_LANES_MAX, sizeof(*lanes));
	for (size_t t = 0; t < nt; t++)
		zl->nlanes[t] = layout_thread(zl, (uint32_t)t, lanes);
	for (size_t k = 0; k < ZONE_LANES_MAX; k++)
		free(lanes[k].v);
	free(lanes);
	for (size_t i = 0; i < p->nzone_drops; i++)
		if (picked(zl, p->zone_drops[i].name))
			zl->dropped_calls += p->zone_drops[i].calls;
	return 0;
}

void zone_lanes_release(struct zone_lanes *zl)
{
	free(zl->lane);
	free(zl->first);
	free(zl->nlanes);
	free(zl->mfirst);
	free(zl->morder);
	free(zl->efirst);
	free(zl->eorder);
	free(zl->pick);
	memset(zl, 0, sizeof(*zl));
}

uint16_t zone_lanes_tracks(const struct zone_lanes *zl, uint32_t t)
{
	if (t >= zl->p->nthreads)
		return 0;
	if (zl->nlanes[t])
		return zl->nlanes[t];
	return zl->mfirst[t + 1] > zl->mfirst[t] || zl->efirst[t + 1] > zl->efirst[t];
}

bool zone_lanes_counter_picked(const struct zone_lanes *zl, size_t i)
{
	return i < zl->p->ncounters && picked(zl, zl->p->counters[i].name);
}

/* The marks and errors of one thread, merged in time order. */
struct instants {
	const struct zone_lanes *zl;
	size_t m, mend, e, eend;
	zone_ev_fn fn;
	void *ctx;
};

/* Sends the instants before `t` (or at it too, when `at` is set). */
static void instants_until(struct instants *in, uint64_t t, bool at, bool all)
{
	const struct sc_profile *p = in->zl->p;
	for (;;) {
		uint64_t tm = in->m < in->mend ? p->marks[in->zl->morder[in->m]].time : UINT64_MAX;
		uint64_t te = in->e < in->eend ? p->zone_errors[in->zl->eorder[in->e]].time : UINT64_MAX;
		bool mark = in->m < in->mend && tm <= te;
		if (in->m >= in->mend && in->e >= in->eend)
			return;
		uint64_t next = mark ? tm : te;
		if (!all && (next > t || (next == t && !at)))
			return;
		struct zone_ev ev = { mark ? ZEV_MARK : ZEV_ERROR, next,
				      mark ? in->zl->morder[in->m++] : in->zl->eorder[in->e++] };
		in->fn(in->ctx, &ev);
	}
}

static void span_event(struct instants *in, enum zone_ev_kind kind, uint32_t i)
{
	const struct sc_zone *z = &in->zl->p->zones[i];
	struct zone_ev ev = { kind, kind == ZEV_BEGIN ? z->start : z->end, i };
	instants_until(in, ev.time, kind == ZEV_END, false);
	in->fn(in->ctx, &ev);
}

void zone_lanes_walk(const struct zone_lanes *zl, uint32_t t, uint16_t lane, zone_ev_fn fn, void *ctx)
{
	const struct sc_profile *p = zl->p;
	if (t >= p->nthreads)
		return;
	struct instants in = { zl, 0, 0, 0, 0, fn, ctx };
	if (lane == 0) {
		in = (struct instants){ zl, zl->mfirst[t], zl->mfirst[t + 1], zl->efirst[t], zl->efirst[t + 1],
					fn, ctx };
	}
	struct u32stack st = { 0 };
	for (size_t i = zl->first[t]; i < zl->first[t + 1]; i++) {
		if (zl->lane[i] != lane)
			continue;
		const struct sc_zone *z = &p->zones[i];
		while (st.n && !encloses(&p->zones[st.v[st.n - 1]], z))
			span_event(&in, ZEV_END, st.v[--st.n]);
		span_event(&in, ZEV_BEGIN, (uint32_t)i);
		push(&st, (uint32_t)i);
	}
	while (st.n)
		span_event(&in, ZEV_END, st.v[--st.n]);
	instants_until(&in, 0, false, true);
	free(st.v);
}
