/* The speedscope writer of export-speedscope.h. */
#include "export-speedscope.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "../analysis/events.h"
#include "../analysis/heap.h"
#include "../lib/die.h"
#include "export-zones.h"

void ss_begin(struct ss_writer *w, FILE *f, const struct sc_profile *p)
{
	memset(w, 0, sizeof(*w));
	json_init(&w->j, f, 3);
	xframes_init(&w->frames, p);
	struct strbuf s = STRBUF_INIT;
	sb_addf(&s, "scorch %s", SCORCH_VERSION);
	json_open_obj(&w->j, NULL);
	json_str(&w->j, "$schema", SPEEDSCOPE_SCHEMA);
	json_str(&w->j, "exporter", s.buf);
	const char *name = export_program_name(p);
	json_str(&w->j, "name", *name ? name : "scorch profile");
	json_open_arr(&w->j, "profiles");
	sb_release(&s);
}

void ss_frame_ids(struct ss_writer *w, uint32_t s, struct u32vec *out)
{
	xframes_stack(&w->frames, s, out);
}

void ss_sampled_begin(struct ss_writer *w, const char *name, const char *unit, uint64_t total)
{
	struct json *j = &w->j;
	json_open_obj(j, NULL);
	json_str(j, "type", "sampled");
	json_str(j, "name", name);
	json_str(j, "unit", unit);
	json_u64(j, "startValue", 0);
	json_u64(j, "endValue", total);
	json_open_arr_as(j, "samples", JSON_INLINE);
	w->weights_now = false;
	w->last.len = 0;
	w->last_stack = UINT32_MAX;
	w->last_weight = 0;
}

/* Writes the pending sample: its frames in the samples walk, its weight in
 * the weights walk. */
static void flush_sample(struct ss_writer *w)
{
	if (!w->last_weight)
		return;
	if (w->weights_now) {
		json_u64(&w->j, NULL, w->last_weight);
	} else {
		json_open_arr(&w->j, NULL);
		for (size_t i = 0; i < w->last.len; i++)
			json_u64(&w->j, NULL, w->last.data[i]);
		json_close_arr(&w->j);
	}
	w->last_weight = 0;
}

void ss_sampled_add(struct ss_writer *w, uint32_t stack, const uint32_t *frames, size_t n,
		    uint64_t weight)
{
	if (!weight)
		return;
	if (w->last_weight && w->last_stack == stack && stack != UINT32_MAX) {
		w->last_weight += weight;
		return;
	}
	if (!frames) {
		ss_frame_ids(w, stack, &w->cur);
		frames = w->cur.data;
		n = w->cur.len;
	}
	if (w->last_weight && w->last.len == n && !memcmp(w->last.data, frames, n * sizeof(*frames))) {
		w->last_weight += weight;
		w->last_stack = stack;
		return;
	}
	flush_sample(w);
	w->last.len = 0;
	for (size_t i = 0; i < n; i++)
		u32vec_push(&w->last, frames[i]);
	w->last_stack = stack;
	w->last_weight = weight;
}

void ss_sampled_weights(struct ss_writer *w)
{
	flush_sample(w);
	json_close_arr(&w->j);
	json_open_arr_as(&w->j, "weights", JSON_INLINE);
	w->weights_now = true;
	w->last.len = 0;
	w->last_stack = UINT32_MAX;
	w->last_weight = 0;
}

void ss_sampled_end(struct ss_writer *w)
{
	flush_sample(w);
	json_close_arr(&w->j);
	json_close_obj(&w->j);
	w->nprofiles++;
}

void ss_evented_begin(struct ss_writer *w, const char *name, const char *unit, uint64_t start)
{
	struct json *j = &w->j;
	json_open_obj(j, NULL);
	json_str(j, "type", "evented");
	json_str(j, "name", name);
	json_str(j, "unit", unit);
	json_u64(j, "startValue", start);
	json_open_arr(j, "events");
	w->last_at = start;
}

void ss_evented_add(struct ss_writer *w, bool open, uint32_t frame, uint64_t at)
{
	struct json *j = &w->j;
	json_open_obj(j, NULL);
	json_str(j, "type", open ? "O" : "C");
	json_u64(j, "frame", frame);
	json_u64(j, "at", at);
	json_close_obj(j);
	if (at > w->last_at)
		w->last_at = at;
}

void ss_evented_end(struct ss_writer *w, uint64_t end)
{
	struct json *j = &w->j;
	json_close_arr(j);
	json_u64(j, "endValue", end > w->last_at ? end : w->last_at);
	json_close_obj(j);
	w->nprofiles++;
}

int ss_end(struct ss_writer *w, size_t active)
{
	struct json *j = &w->j;
	json_close_arr(j);
	json_u64(j, "activeProfileIndex", active < w->nprofiles ? active : 0);
	json_open_obj(j, "shared");
	json_open_arr(j, "frames");
	for (size_t i = 0; i < w->frames.nframes; i++) {
		const struct xframe *fr = &w->frames.frames[i];
		json_open_obj(j, NULL);
		json_str(j, "name", fr->name);
		if (fr->file[0])
			json_str(j, "file", fr->file);
		if (fr->line)
			json_u64(j, "line", fr->line);
		json_close_obj(j);
	}
	json_close_arr(j);
	json_close_obj(j);
	json_close_obj(j);
	int rc = json_end(j);
	xframes_release(&w->frames);
	u32vec_free(&w->last);
	u32vec_free(&w->cur);
	return rc;
}

/* ---- the profiles of a scorch profile ---- */

/* One sampled profile per thread with picked samples, in thread order.
 * Returns the index (among the document's profiles) of the thread with the
 * most samples, or SIZE_MAX if none was written. */
static size_t cpu_profiles(struct ss_writer *w, const struct sc_profile *p, struct stack_pick *pick)
{
	size_t nt = p->nthreads + 1, *first, *order;
	export_group_samples(p, pick, &first, &order);
	bool wall = p->flags & PROF_WALL;
	uint32_t offcpu = wall ? xframes_named(&w->frames, "[off-CPU]") : 0;
	struct u32vec st = { 0 };
	struct strbuf name = STRBUF_INIT;
	size_t best = SIZE_MAX, best_n = 0;
	for (size_t t = 0; t < nt; t++) {
		size_t n = first[t + 1] - first[t];
		if (!n)
			continue;
		sb_reset(&name);
		sb_addf(&name, "%s: %s (tid %u)", wall ? "wall" : "cpu",
			export_thread_name(p, (uint32_t)t), export_thread_tid(p, (uint32_t)t));
		if (n > best_n) {
			best_n = n;
			best = w->nprofiles;
		}
		uint64_t total = 0;
		for (size_t k = first[t]; k < first[t + 1]; k++)
			total += p->samples[order[k]].weight;
		ss_sampled_begin(w, name.buf, "nanoseconds", total);
		for (int pass = 0; pass < 2; pass++) {
			if (pass)
				ss_sampled_weights(w);
			for (size_t k = first[t]; k < first[t + 1]; k++) {
				const struct sc_sample *s = &p->samples[order[k]];
				ss_frame_ids(w, s->stack, &st);
				if (wall && s->offcpu)
					u32vec_push(&st, offcpu);
				ss_sampled_add(w, UINT32_MAX, st.data, st.len, s->weight);
			}
		}
		ss_sampled_end(w);
	}
	sb_release(&name);
	u32vec_free(&st);
	free(first);
	free(order);
	return best;
}

/* One walk of the events for one of the two arrays of the allocations'
 * profile: 0, or -EIO said. */
static int heap_alloc_walk(struct ss_writer *w, const struct sc_profile *p, struct stack_pick *pick)
{
	struct sc_event_iter it;
	const struct sc_event *batch;
	size_t n;
	sc_events_begin(&it, p);
	while ((n = sc_events_next(&it, &batch))) {
		for (size_t i = 0; i < n; i++) {
			const struct sc_event *ev = &batch[i];
			uint32_t s = ev->stack < p->nstacks ? ev->stack : 0;
			if (ev->kind != EV_ALLOC || !ev->addr || !stack_pick(pick, s))
				continue;
			ss_sampled_add(w, s, NULL, 0, ev->size);
		}
	}
	if (sc_events_end(&it)) {
		error("%s", it.err);
		return -EIO;
	}
	return 0;
}

/* Allocations in time order weighted by bytes, then the bytes live at exit
 * per stack. The heap model gives the allocations' total (endValue, written
 * first); the samples and the weights are each written in a walk of the
 * events of their own. */
static int heap_profiles(struct ss_writer *w, const struct sc_profile *p, struct stack_pick *pick,
			 const char *filter)
{
	char err[256];
	struct heap_options ho = { .filter = filter, .totals_only = true,
				   .err = err, .errlen = sizeof(err) };
	struct heap_result *r;
	int rc = heap_analyze(p, &ho, &r);
	if (rc) {
		if (rc == -EIO)
			error("%s", err);
		return rc;
	}
	/* the bytes of the successful allocations of the stacks picked: the
	 * model's per-stack figures take the same filter, stack by stack */
	uint64_t total = 0;
	size_t nss = p->nstacks ? p->nstacks : 1;
	for (size_t s = 0; s < nss; s++)
		if (r->stacks[s].bytes && stack_pick(pick, (uint32_t)s))
			total += r->stacks[s].bytes;
	ss_sampled_begin(w, "heap: bytes allocated", "bytes", total);
	rc = heap_alloc_walk(w, p, pick);
	if (!rc) {
		ss_sampled_weights(w);
		rc = heap_alloc_walk(w, p, pick);
	}
	ss_sampled_end(w);
	if (!rc && r->t.leaked_bytes) {
		total = 0;
		for (size_t s = 0; s < p->nstacks; s++)
			total += r->stacks[s].leaked_bytes;
		ss_sampled_begin(w, "heap: bytes live at exit", "bytes", total);
		for (int pass = 0; pass < 2; pass++) {
			if (pass)
				ss_sampled_weights(w);
			for (size_t s = 0; s < p->nstacks; s++)
				if (r->stacks[s].leaked_bytes)
					ss_sampled_add(w, (uint32_t)s, NULL, 0, r->stacks[s].leaked_bytes);
		}
		ss_sampled_end(w);
	}
	heap_result_free(r);
	return rc;
}

/* Zones: one evented profile per lane of each thread (export-zones.h),
 * from 0 (the profile's start) to the end of the run. */
struct zone_writer {
	struct ss_writer *w;
	const struct sc_profile *p;
	uint32_t *frame;            /* per zone name: its frame id, UINT32_MAX not yet interned */
};

static void zone_event(void *ctx, const struct zone_ev *ev)
{
	struct zone_writer *zw = ctx;
	if (ev->kind != ZEV_BEGIN && ev->kind != ZEV_END)
		return;   /* speedscope has no instants: marks and errors stay in the Chrome trace */
	uint32_t n = zw->p->zones[ev->index].name;
	if (zw->frame[n] == UINT32_MAX)
		zw->frame[n] = xframes_zone(&zw->w->frames, &zw->p->zone_names[n]);
	ss_evented_add(zw->w, ev->kind == ZEV_BEGIN, zw->frame[n], ev->time);
}

static int zone_profiles(struct ss_writer *w, const struct sc_profile *p, const char *filter)
{
	struct zone_lanes zl;
	if (zone_lanes_init(&zl, p, filter))
		return -EINVAL;
	struct zone_writer zw = { w, p, xmalloc((p->nzone_names + 1) * sizeof(uint32_t)) };
	memset(zw.frame, 0xff, (p->nzone_names + 1) * sizeof(uint32_t));
	struct strbuf name = STRBUF_INIT;
	for (uint32_t t = 0; t < p->nthreads; t++) {
		uint64_t end = p->duration > p->threads[t].end ? p->duration : p->threads[t].end;
		for (uint16_t k = 0; k < zl.nlanes[t]; k++) {
			sb_reset(&name);
			sb_addf(&name, "zones: %s (tid %u)", export_thread_name(p, t), export_thread_tid(p, t));
			if (k)
				sb_addf(&name, " overlap %u", (unsigned)k);
			ss_evented_begin(w, name.buf, "nanoseconds", 0);
			zone_lanes_walk(&zl, t, k, zone_event, &zw);
			ss_evented_end(w, end);
		}
	}
	sb_release(&name);
	free(zw.frame);
	zone_lanes_release(&zl);
	return 0;
}

int speedscope_write(FILE *f, const struct sc_profile *p, const struct export_options *o)
{
	struct stack_pick pick;
	if (stack_pick_init(&pick, p, o->filter))
		return -EINVAL;
	struct ss_writer w;
	ss_begin(&w, f, p);
	w.frames.short_names = o->names != EXPORT_NAMES_FULL;
	size_t active = 0;
	int rc = 0;
	if ((o->kinds & EXPORT_CPU) && (p->flags & PROF_CPU)) {
		size_t best = cpu_profiles(&w, p, &pick);
		if (best != SIZE_MAX)
			active = best;
	}
	if ((o->kinds & EXPORT_HEAP) && (p->flags & PROF_HEAP))
		rc = heap_profiles(&w, p, &pick, o->filter);
	if (!rc && p->nzones)
		rc = zone_profiles(&w, p, o->filter);
	int rc2 = ss_end(&w, active);
	stack_pick_release(&pick);
	return rc ? rc : rc2;
}
