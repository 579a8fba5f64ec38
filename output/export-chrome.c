/* The Chrome trace writer of export-chrome.h. Timestamps are microseconds
 * written with three decimals, so they keep the profile's nanoseconds. */
#include "export-chrome.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "../analysis/heap.h"
#include "../lib/die.h"
#include "json.h"

#define CHROME_COUNTER_POINTS 2000u   /* timeline buckets of the memory counters */

struct ctrace {
	struct json j;
	const struct sc_profile *p;
	struct xframes fr;
	uint32_t pid;
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
 * category. E repeats B exactly, so readers that pair events by name and
 * args (speedscope) match them even when nested frames share a name. */
static void slice(struct ctrace *c, const char *ph, uint32_t tid, uint64_t ns, uint32_t frame)
{
	const struct xframe *f = &c->fr.frames[frame];
	ev_open(c, ph, f->name, tid);
	json_str(&c->j, "cat", f->module[0] ? f->module : "scorch");
	json_us(&c->j, "ts", ns);
	json_close_obj(&c->j);
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
		while (open.len > keep)
			slice(c, "E", tid, end, open.data[--open.len]);
		for (size_t i = keep; i < st.len; i++) {
			slice(c, "B", tid, start, st.data[i]);
			u32vec_push(&open, st.data[i]);
		}
		end = start + w;
		any = true;
	}
	while (open.len)
		slice(c, "E", tid, end, open.data[--open.len]);
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
	c.p = p;
	c.pid = p->pid;
	xframes_init(&c.fr, p);
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
	json_close_obj(j);

	json_open_arr(j, "traceEvents");
	const char *prog = export_program_name(p);
	meta_str(&c, "process_name", c.pid, *prog ? prog : "scorch profile");
	for (size_t t = 0; t < p->nthreads; t++) {
		meta_str(&c, "thread_name", p->threads[t].tid, export_thread_name(p, (uint32_t)t));
		meta_sort(&c, p->threads[t].tid, t);
	}
	int rc = 0;
	if ((o->kinds & EXPORT_CPU) && (p->flags & PROF_CPU))
		cpu_timelines(&c, &pick);
	bool heap = (o->kinds & EXPORT_HEAP) && (p->flags & PROF_HEAP);
	if (heap || p->nrss)
		rc = memory_counters(&c, heap);
	json_close_arr(j);
	json_close_obj(j);
	int rc2 = json_end(j);
	xframes_release(&c.fr);
	stack_pick_release(&pick);
	return rc ? rc : rc2;
}
