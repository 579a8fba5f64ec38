/* The Chrome trace writer of export-chrome.h. Timestamps are microseconds
 * written with three decimals, so they keep the profile's nanoseconds. */
#include "export-chrome.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../analysis/heap.h"
#include "../lib/die.h"
#include "export-zones.h"
#include "json.h"

#define CHROME_COUNTER_POINTS 2000u   /* timeline buckets of the memory counters */
/* Zone tracks get tids of their own: lane k of thread tid is tid + (k + 1) *
 * this, PID_MAX_LIMIT, which no Linux tid reaches; with ZONE_LANES_MAX lanes
 * they stay below 2^31. */
#define ZONE_TID_STRIDE 4194304u
/* thread_sort_index: thread t at t * this, its zone lanes right after it */
#define SORT_STRIDE (ZONE_LANES_MAX + 1u)

struct ctrace {
	struct json j;
	const struct sc_profile *p;
	struct xframes fr;
	uint32_t pid;
	struct zone_lanes zl;
	uint32_t ztid;              /* the zone track being written */
	/* Ties: a sampled slice that begins at the very instant a slice of the
	 * same name ended on its thread gets args {"tie": N} on its B, N unique
	 * in the file: readers that pair B with E by name and args and let a B
	 * at that instant go first when it matches the next E (speedscope)
	 * would otherwise end the wrong slice. */
	uint64_t ties;              /* tie numbers given */
};

/* Opens an event object with the members every event has. */
static void ev_open(struct ctrace *c, const char *ph, const char *name, uint32_t tid)
{
	struct json *j = &c->j;
	json_open_obj(j, NULL);
	json_str(j, "ph", ph);
	json_str(j, "name", name);
	json_u64(j, "pid", c->pid);
	json_u64(j, "tid", tid);
}

/* A metadata event: {"ph": "M", "name": what, "args": {key: value}}. */
static void meta_str(struct ctrace *c, const char *what, uint32_t tid, const char *value)
{
	ev_open(c, "M", what, tid);
	json_open_obj(&c->j, "args");
	json_str(&c->j, "name", value);
	json_close_obj(&c->j);
	json_close_obj(&c->j);
}

static void meta_sort(struct ctrace *c, uint32_t tid, uint64_t index)
{
	ev_open(c, "M", "thread_sort_index", tid);
	json_open_obj(&c->j, "args");
	json_u64(&c->j, "sort_index", index);
	json_close_obj(&c->j);
	json_close_obj(&c->j);
}

/* The B or E event of a frame: the function as name, its module as
 * category, and on a B args {"tie": tie} when tie is not 0. An E has no
 * args: the format merges an E's args into its slice's, and catapult warns
 * (arg_merge) for every arg an E repeats. */
static void slice(struct ctrace *c, const char *ph, uint32_t tid, uint64_t ns, uint32_t frame, uint32_t tie)
{
	const struct xframe *f = &c->fr.frames[frame];
	ev_open(c, ph, f->name, tid);
	json_str(&c->j, "cat", f->module[0] ? f->module : "scorch");
	json_us(&c->j, "ts", ns);
	if (tie && *ph == 'B') {
		json_open_obj(&c->j, "args");
		json_u64(&c->j, "tie", tie);
		json_close_obj(&c->j);
	}
	json_close_obj(&c->j);
}

/* The tie number of frame `frame` beginning where frames open[from..) end
 * (ties in struct ctrace): new when one of those has its name (their E
 * events have no args, so only the name tells them apart), else 0. */
static uint32_t frame_tie(struct ctrace *c, uint32_t frame, const struct u32vec *open, size_t from)
{
	const char *name = c->fr.frames[frame].name;
	for (size_t i = from; i < open->len; i++)
		if (!strcmp(c->fr.frames[open->data[i]].name, name))
			return (uint32_t)++c->ties;
	return 0;
}

/* The sampled timeline of one thread: samples idx[0..n) of p->samples, in
 * time order. A sample covers exactly its weight and ends at its time, or
 * right after the previous slice if that one still runs then. A sample
 * that starts no later than one weight after the previous slice ended is
 * drawn back to back with it, and the frames the two stacks share from the
 * root continue; after a longer gap (the thread was off the CPU) every
 * frame ends and the next sample starts afresh. So each frame's slices
 * add up to exactly the weights of the samples it is on. */
static void thread_timeline(struct ctrace *c, uint32_t tid, const size_t *idx, size_t n)
{
	const struct sc_profile *p = c->p;
	bool wall = p->flags & PROF_WALL;
	uint32_t offcpu = wall ? xframes_named(&c->fr, "[off-CPU]") : 0;
	struct u32vec open = { 0 }, st = { 0 };
	uint64_t end = 0;
	bool any = false;
	for (size_t k = 0; k < n; k++) {
		const struct sc_sample *s = &p->samples[idx[k]];
		uint64_t w = s->weight;
		if (!w)
			continue;
		xframes_stack(&c->fr, s->stack, &st);
		if (wall && s->offcpu)
			u32vec_push(&st, offcpu);
		uint64_t natural = s->time > w ? s->time - w : 0, start;
		size_t keep = 0;
		if (any && natural <= end + w) {
			start = end;
			while (keep < open.len && keep < st.len && open.data[keep] == st.data[keep])
				keep++;
		} else {
			start = any && natural < end ? end : natural;
		}
		/* only the first frame to begin meets the ending ones in a tie */
		uint32_t tie = any && start == end && keep < st.len ? frame_tie(c, st.data[keep], &open, keep) : 0;
		while (open.len > keep)
			slice(c, "E", tid, end, open.data[--open.len], 0);
		for (size_t i = keep; i < st.len; i++) {
			slice(c, "B", tid, start, st.data[i], i == keep ? tie : 0);
			u32vec_push(&open, st.data[i]);
		}
		end = start + w;
		any = true;
	}
	while (open.len)
		slice(c, "E", tid, end, open.data[--open.len], 0);
	u32vec_free(&open);
	u32vec_free(&st);
}

static void cpu_timelines(struct ctrace *c, struct stack_pick *pick)
{
	const struct sc_profile *p = c->p;
	size_t *first, *order;
	export_group_samples(p, pick, &first, &order);
	for (size_t t = 0; t <= p->nthreads; t++)
		if (first[t + 1] > first[t])
			thread_timeline(c, export_thread_tid(p, (uint32_t)t), order + first[t],
					first[t + 1] - first[t]);
	/* samples of an unknown thread ran on "thread 0": name it */
	if (first[p->nthreads + 1] > first[p->nthreads])
		meta_str(c, "thread_name", 0, export_thread_name(p, UINT32_MAX));
	free(first);
	free(order);
}

/* ---- zones, marks, counters and mismatched ends ---- */

static uint32_t zone_tid(const struct sc_profile *p, uint32_t t, uint16_t lane)
{
	return export_thread_tid(p, t) + ZONE_TID_STRIDE * (lane + 1u);
}

/* The thread_name and thread_sort_index of thread t's zone tracks. */
static void zone_track_names(struct ctrace *c, uint32_t t)
{
	struct strbuf s = STRBUF_INIT;
	for (uint16_t k = 0; k < zone_lanes_tracks(&c->zl, t); k++) {
		sb_reset(&s);
		sb_addf(&s, "%s zones", export_thread_name(c->p, t));
		if (k)
			sb_addf(&s, " (overlap %u)", (unsigned)k);
		meta_str(c, "thread_name", zone_tid(c->p, t, k), s.buf);
		meta_sort(c, zone_tid(c->p, t, k), (uint64_t)t * SORT_STRIDE + 1 + k);
	}
	sb_release(&s);
}

/* A span's B or E, the zone (or function) as name. The B holds the args,
 * the E none: the format merges an E's args into its slice's, and catapult
 * warns (arg_merge) for every arg an E repeats. Readers that pair events by
 * name and args and, at one instant, let a B go first only when it matches
 * the next E (speedscope) read this right: a span's B has args (allocs,
 * bytes), so it never matches the bare E of a span that ends where it
 * begins, and zones need no ties; but the B of a span that begins and ends
 * at the same nanosecond must match its own E, and has args only when they
 * say something (allocations, a flag). */
static void zone_slice(struct ctrace *c, const char *ph, size_t i, uint64_t ns)
{
	const struct sc_zone *z = &c->p->zones[i];
	const struct sc_zone_name *zn = &c->p->zone_names[z->name];
	struct json *j = &c->j;
	ev_open(c, ph, zone_lanes_name(c->p, z->name), c->ztid);
	json_str(j, "cat", zn->kind == ZONE_KIND_FUNC ? "scorch.call" : "scorch.zone");
	json_us(j, "ts", ns);
	bool empty = z->end <= z->start && !z->allocs && !z->bytes && !z->dropped_ns && !z->flags;
	if (*ph == 'B' && !empty) {
		json_open_obj(j, "args");
		json_u64(j, "allocs", z->allocs);
		json_u64(j, "bytes", z->bytes);
		if (z->dropped_ns)
			json_u64(j, "dropped_ns", z->dropped_ns);
		if (z->flags & ZONE_F_UNWOUND)
			json_bool(j, "unwound", true);
		if (z->flags & ZONE_F_THREAD_EXIT)
			json_bool(j, "thread_exit", true);
		if (z->flags & ZONE_F_UNFINISHED)
			json_bool(j, "unfinished", true);
		json_close_obj(j);
	}
	json_close_obj(j);
}

/* A mismatched scorch_zone_end(): an instant on the thread's zone track,
 * category scorch.error, named as the report says it. */
static void zone_error(struct ctrace *c, const struct sc_zone_error *e)
{
	const struct sc_profile *p = c->p;
	const char *given = e->given < p->nzone_names ? zone_lanes_name(p, e->given) : NULL;
	const char *inner = e->expected < p->nzone_names ? zone_lanes_name(p, e->expected) : NULL;
	bool mismatch = e->kind == ZONE_ERR_END_MISMATCH;
	struct strbuf s = STRBUF_INIT;
	if (mismatch)
		sb_addf(&s, "scorch_zone_end(\"%s\") while \"%s\" was the innermost open zone",
			given ? given : "?", inner ? inner : "?");
	else
		sb_addf(&s, "scorch_zone_end(\"%s\") with no such zone open", given ? given : "?");
	struct json *j = &c->j;
	ev_open(c, "i", s.buf, c->ztid);
	json_str(j, "s", "t");
	json_str(j, "cat", "scorch.error");
	json_us(j, "ts", e->time);
	json_open_obj(j, "args");
	json_str(j, "kind", mismatch ? "mismatched_end" : "end_without_begin");
	json_str(j, "given", given);
	json_str(j, "innermost", inner);
	json_close_obj(j);
	json_close_obj(j);
	sb_release(&s);
}

static void zone_event(void *ctx, const struct zone_ev *ev)
{
	struct ctrace *c = ctx;
	const struct sc_profile *p = c->p;
	switch (ev->kind) {
	case ZEV_BEGIN:
		zone_slice(c, "B", ev->index, ev->time);
		break;
	case ZEV_END:
		zone_slice(c, "E", ev->index, ev->time);
		break;
	case ZEV_MARK:
		ev_open(c, "i", zone_lanes_name(p, p->marks[ev->index].name), c->ztid);
		json_str(&c->j, "s", "t");
		json_str(&c->j, "cat", "scorch.mark");
		json_us(&c->j, "ts", ev->time);
		json_close_obj(&c->j);
		break;
	case ZEV_ERROR:
		zone_error(c, &p->zone_errors[ev->index]);
		break;
	}
}

/* Every zone track, then the SCORCH_COUNTER values as counters of the
 * process named after them (args {"value": v}); JSON has no NaN or
 * infinity, so such values are left out. */
static void zones(struct ctrace *c)
{
	const struct sc_profile *p = c->p;
	for (uint32_t t = 0; t < p->nthreads; t++)
		for (uint16_t k = 0; k < zone_lanes_tracks(&c->zl, t); k++) {
			c->ztid = zone_tid(p, t, k);
			zone_lanes_walk(&c->zl, t, k, zone_event, c);
		}
	for (size_t i = 0; i < p->ncounters; i++) {
		const struct sc_counter *k = &p->counters[i];
		if (!zone_lanes_counter_picked(&c->zl, i) || !isfinite(k->value))
			continue;
		ev_open(c, "C", zone_lanes_name(p, k->name), c->pid);
		json_str(&c->j, "cat", "scorch.counter");
		json_us(&c->j, "ts", k->time);
		json_open_obj(&c->j, "args");
		json_double(&c->j, "value", k->value);
		json_close_obj(&c->j);
		json_close_obj(&c->j);
	}
}

static void counter(struct ctrace *c, const char *name, const char *key, uint64_t ns, uint64_t v)
{
	ev_open(c, "C", name, c->pid);
	json_us(&c->j, "ts", ns);
	json_open_obj(&c->j, "args");
	json_u64(&c->j, key, v);
	json_close_obj(&c->j);
	json_close_obj(&c->j);
}

/* Live heap bytes (when heap events are wanted) and RSS over time, from the
 * heap model's timelines: per bucket its highest point and its last, so the
 * peak is exact. They ignore the filter: they are the whole process's. */
static int memory_counters(struct ctrace *c, bool heap)
{
	const struct sc_profile *p = c->p;
	struct heap_options ho = { .timeline_points = CHROME_COUNTER_POINTS };
	struct heap_result *r;
	if (heap_analyze(p, &ho, &r))
		return -ENOMEM;
	if (heap) {
		if (!r->ntimeline || r->timeline[0].time > 0)
			counter(c, "heap", "live_bytes", 0, 0);
		for (size_t i = 0; i < r->ntimeline; i++)
			counter(c, "heap", "live_bytes", r->timeline[i].time, r->timeline[i].bytes);
		if (r->t.peak_event != HEAP_NO_EVENT) {
			ev_open(c, "i", "heap peak", c->pid);
			json_str(&c->j, "s", "p");
			json_us(&c->j, "ts", r->t.peak_time);
			json_open_obj(&c->j, "args");
			json_u64(&c->j, "bytes", r->t.peak_bytes);
			json_u64(&c->j, "blocks", r->t.peak_blocks);
			json_close_obj(&c->j);
			json_close_obj(&c->j);
		}
	}
	for (size_t i = 0; i < r->nrss; i++)
		counter(c, "RSS", "rss_bytes", r->rss[i].time, r->rss[i].bytes);
	heap_result_free(r);
	return 0;
}

int chrome_write(FILE *f, const struct sc_profile *p, const struct export_options *o)
{
	struct stack_pick pick;
	if (stack_pick_init(&pick, p, o->filter))
		return -EINVAL;
	struct ctrace c;
	memset(&c, 0, sizeof(c));
	if (zone_lanes_init(&c.zl, p, o->filter)) {
		stack_pick_release(&pick);
		return -EINVAL;
	}
	c.p = p;
	c.pid = p->pid;
	xframes_init(&c.fr, p);
	c.fr.short_names = o->names != EXPORT_NAMES_FULL;
	json_init(&c.j, f, 2);
	struct json *j = &c.j;
	json_open_obj(j, NULL);
	json_str(j, "displayTimeUnit", "ms");
	json_open_obj(j, "otherData");
	struct strbuf s = STRBUF_INIT;
	sb_addf(&s, "scorch %s", SCORCH_VERSION);
	json_str(j, "exporter", s.buf);
	sb_release(&s);
	json_str(j, "command", p->cmdline ? p->cmdline : "");
	json_str(j, "host", p->host ? p->host : "");
	json_u64(j, "start_wall_ns", p->start_wall);
	if (p->flags & PROF_CPU) {
		json_str(j, "sample_source", p->sample_source ? p->sample_source : "");
		json_u64(j, "sample_hz", p->sample_hz);
		json_bool(j, "wall_clock", p->flags & PROF_WALL);
	}
	if (o->filter)
		json_str(j, "filter", o->filter);
	bool ztracks = false;
	for (uint32_t t = 0; t < p->nthreads; t++)
		ztracks |= zone_lanes_tracks(&c.zl, t) > 0;
	if (ztracks)
		json_u64(j, "zone_tid_stride", ZONE_TID_STRIDE);
	if (c.zl.dropped_calls)
		json_u64(j, "zone_dropped_calls", c.zl.dropped_calls);
	if (c.zl.undrawn)
		json_u64(j, "zones_not_drawn", c.zl.undrawn);
	json_close_obj(j);

	json_open_arr(j, "traceEvents");
	const char *prog = export_program_name(p);
	meta_str(&c, "process_name", c.pid, *prog ? prog : "scorch profile");
	for (size_t t = 0; t < p->nthreads; t++) {
		meta_str(&c, "thread_name", p->threads[t].tid, export_thread_name(p, (uint32_t)t));
		meta_sort(&c, p->threads[t].tid, (uint64_t)t * SORT_STRIDE);
		zone_track_names(&c, (uint32_t)t);
	}
	int rc = 0;
	if ((o->kinds & EXPORT_CPU) && (p->flags & PROF_CPU))
		cpu_timelines(&c, &pick);
	zones(&c);
	bool heap = (o->kinds & EXPORT_HEAP) && (p->flags & PROF_HEAP);
	if (heap || p->nrss)
		rc = memory_counters(&c, heap);
	json_close_arr(j);
	json_close_obj(j);
	int rc2 = json_end(j);
	xframes_release(&c.fr);
	zone_lanes_release(&c.zl);
	stack_pick_release(&pick);
	return rc ? rc : rc2;
}
