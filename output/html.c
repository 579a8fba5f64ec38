/* The HTML report page. The profile's stack trie (analysis/stacktrie.h:
 * frames merged by function from the outermost one down), numbered in
 * preorder with siblings by name so that every subtree is a contiguous range
 * of nodes, its weights per thread and per metric, are written with the summary,
 * the heap timeline, the size histogram, the allocation sites and the zones
 * (spans per thread as compact columns, marks, counters, and the zone
 * analysis's table for all threads and per thread) as one JSON document
 * inside the page. Drawing, zooming, searching and the tables are
 * the page's own script, output/html/report.js. */
#include "html.h"

#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../analysis/cpu.h"
#include "../analysis/demangle.h"
#include "../analysis/events.h"
#include "../analysis/filter.h"
#include "../analysis/flame.h"
#include "../analysis/heap.h"
#include "../analysis/stacktrie.h"
#include "../analysis/zones.h"
#include "../lib/die.h"
#include "../lib/utf8.h"
#include "../lib/vec.h"
#include "annotate.h"
#include "json.h"
#include "report-heap.h"

/* output/html/report.css and report.js as compiled in by scripts/embed.sh
 * ($(BUILD)/gen/html-assets.c), each with the base64 SHA-256 of its bytes for
 * the page's Content-Security-Policy. */
extern const unsigned char scorch_html_css[], scorch_html_js[];
extern const size_t scorch_html_css_len, scorch_html_js_len;
extern const char scorch_html_css_sha256[], scorch_html_js_sha256[];

#define TIMELINE_BUCKETS 2000u   /* heap and RSS series: max and last per bucket */

/* ---- escaping ---- */

void html_escape(struct strbuf *sb, const char *str)
{
	const unsigned char *s = (const unsigned char *)(str ? str : "");
	while (*s) {
		uint32_t cp;
		size_t n = utf8_seq(s, &cp);
		if (!n) {
			sb_adds(sb, "\xef\xbf\xbd");
			s++;
			continue;
		}
		switch (*s) {
		case '&': sb_adds(sb, "&amp;"); break;
		case '<': sb_adds(sb, "&lt;"); break;
		case '>': sb_adds(sb, "&gt;"); break;
		case '"': sb_adds(sb, "&quot;"); break;
		case '\'': sb_adds(sb, "&#39;"); break;
		default:
			if (*s < 0x20 || *s == 0x7f)
				sb_addc(sb, ' ');
			else
				sb_add(sb, s, n);
		}
		s += n;
	}
}

/* ---- buffered output ---- */

struct out {
	FILE *f;
	struct strbuf b;
	int err;                    /* first -errno from f */
};

static void out_flush(struct out *o)
{
	if (o->b.len && !o->err && fwrite(o->b.buf, 1, o->b.len, o->f) != o->b.len)
		o->err = -(errno ? errno : EIO);
	sb_reset(&o->b);
}

static inline void out_check(struct out *o)
{
	if (o->b.len >= (1u << 16))
		out_flush(o);
}

static void out_s(struct out *o, const char *s)
{
	sb_adds(&o->b, s);
	out_check(o);
}

static void out_mem(struct out *o, const void *p, size_t n)
{
	out_flush(o);
	if (n && !o->err && fwrite(p, 1, n, o->f) != n)
		o->err = -(errno ? errno : EIO);
}

/* ---- weights ---- */

/* Per-thread weights as [{"t":thread,"n":[node deltas],"w":[[metric 0],...]}],
 * node ids renumbered with newid and ascending within a thread. */
static void write_weights(struct json *j, const char *key, struct stacktrie_weights *w,
			  const uint32_t *newid, unsigned nmetrics)
{
	stacktrie_weights_sort(w, newid);
	json_open_arr(j, key);
	for (size_t i = 0; i < w->e.len;) {
		size_t k2 = i;
		while (k2 < w->e.len && w->e.data[k2].thread == w->e.data[i].thread)
			k2++;
		json_open_obj(j, NULL);
		json_u64(j, "t", w->e.data[i].thread);
		json_open_arr(j, "n");
		uint32_t prev = 0;
		for (size_t k = i; k < k2; k++) {
			json_u64(j, NULL, w->e.data[k].node - prev);
			prev = w->e.data[k].node;
		}
		json_close_arr(j);
		json_open_arr(j, "w");
		for (unsigned m = 0; m < nmetrics; m++) {
			json_open_arr(j, NULL);
			for (size_t k = i; k < k2; k++)
				json_u64(j, NULL, w->e.data[k].w[m]);
			json_close_arr(j);
		}
		json_close_arr(j);
		json_close_obj(j);
		i = k2;
	}
	json_close_arr(j);
}

/* ---- the JSON document ---- */

static const char *exit_kind(int k)
{
	switch (k) {
	case EXIT_NORMAL: return "normal";
	case EXIT_SIGNAL: return "signal";
	case EXIT_EXEC: return "exec";
	default: return "unknown";
	}
}

static void write_meta(struct json *j, const struct sc_profile *p, const struct html_options *opt)
{
	json_open_obj(j, "meta");
	json_str(j, "generator", "scorch " SCORCH_VERSION);
	json_str(j, "file", opt->file);
	json_str(j, "filter", opt->filter);
	json_str(j, "exe", p->exe ? p->exe : "");
	json_str(j, "cmdline", p->cmdline ? p->cmdline : "");
	json_open_arr(j, "argv");
	for (uint32_t i = 0; i < p->argc; i++)
		json_str(j, NULL, p->argv[i] ? p->argv[i] : "");
	json_close_arr(j);
	json_u64(j, "pid", p->pid);
	json_u64(j, "ppid", p->ppid);
	json_str(j, "host", p->host ? p->host : "");
	json_str(j, "version", p->scorch_version ? p->scorch_version : "");
	json_u64(j, "startWall", p->start_wall);
	json_u64(j, "duration", p->duration);
	json_str(j, "exitKind", exit_kind(p->exit_kind));
	json_i64(j, "exitValue", p->exit_value);
	if (p->exit_kind == EXIT_SIGNAL) {
		const char *d = strsignal(p->exit_value);
		json_str(j, "signal", d ? d : "?");
	}
	json_u64(j, "depth", p->depth);
	json_bool(j, "incomplete", p->flags & PROF_INCOMPLETE);
	json_bool(j, "truncated", p->flags & PROF_TRUNCATED);
	json_u64(j, "lostChunks", p->lost_chunks);
	json_u64(j, "lostBytes", p->lost_bytes);
	if (p->heap_sample) {
		struct strbuf est = STRBUF_INIT;
		report_heap_sampled(&est, p);
		json_str(j, "heapEstimated", sb_str(&est));
		sb_release(&est);
	}
	json_close_obj(j);
}

static void write_threads(struct json *j, const struct stacktrie *b)
{
	const struct sc_profile *p = b->p;
	json_open_arr(j, "threads");
	for (size_t i = 0; i < p->nthreads; i++) {
		const struct sc_thread *t = &p->threads[i];
		json_open_obj(j, NULL);
		json_u64(j, "tid", t->tid);
		json_str(j, "name", t->name ? t->name : "");
		json_u64(j, "start", t->start);
		json_u64(j, "end", t->end);
		json_close_obj(j);
	}
	if (b->nothread_used) {
		json_open_obj(j, NULL);
		json_u64(j, "tid", 0);
		json_str(j, "name", "[unknown thread]");
		json_u64(j, "start", 0);
		json_u64(j, "end", 0);
		json_close_obj(j);
	}
	json_close_arr(j);
}

static void write_strings(struct json *j, const struct stacktrie *b)
{
	json_open_arr(j, "strings");
	for (size_t i = 0; i < b->strs.len; i++)
		json_str(j, NULL, b->strs.data[i] ? b->strs.data[i] : "");
	json_close_arr(j);
	const struct sc_profile *p = b->p;
	json_open_arr(j, "modules");
	for (size_t i = 0; i < p->nmodules; i++) {
		json_open_obj(j, NULL);
		json_str(j, "name", p->modules[i].name ? p->modules[i].name : "");
		json_str(j, "path", p->modules[i].path ? p->modules[i].path : "");
		json_bool(j, "main", p->modules[i].is_main);
		json_close_obj(j);
	}
	json_close_arr(j);
}

/* `"name":[...]`: a column of n integers, expr evaluated for i = 0 .. n - 1. */
#define JSON_COLUMN(j, name, n, expr) do { \
	json_open_arr((j), (name)); \
	for (size_t i_ = 0; i_ < (n); i_++) { \
		size_t i = i_; \
		json_i64((j), NULL, (int64_t)(expr)); \
	} \
	json_close_arr((j)); \
} while (0)

/* The string id of a function's short name (demangle_short()), which the
 * page shows; its name (the full one) is for tooltips. full: the name
 * itself (html --names=full). */
static uint32_t short_name_id(struct stacktrie *b, uint32_t name, bool full)
{
	if (full)
		return name;
	struct arena a = { 0 };
	const char *s = demangle_short(b->strs.data[name] ? b->strs.data[name] : "", &a);
	uint32_t id = s ? stacktrie_str(b, s) : name;
	arena_release(&a);
	return id;
}

static void write_tree(struct json *j, struct stacktrie *b, const uint32_t *order, const uint32_t *depth,
		       bool full)
{
	json_open_obj(j, "funcs");
	JSON_COLUMN(j, "name", b->funcs.len, b->funcs.data[i].name);
	JSON_COLUMN(j, "short", b->funcs.len, short_name_id(b, b->funcs.data[i].name, full));
	JSON_COLUMN(j, "module", b->funcs.len, b->funcs.data[i].module);
	JSON_COLUMN(j, "file", b->funcs.len, b->funcs.data[i].file);
	json_close_obj(j);
	json_open_obj(j, "frames");
	JSON_COLUMN(j, "func", b->frames.len, b->frames.data[i].func);
	JSON_COLUMN(j, "inl", b->frames.len, b->frames.data[i].inl);
	json_close_obj(j);
	size_t n = b->nodes.len;
	json_open_obj(j, "nodes");
	JSON_COLUMN(j, "depth", n, depth[i]);
	JSON_COLUMN(j, "frame", n, i ? (int64_t)b->nodes.data[order[i]].frame : -1);
	json_close_obj(j);
}

static void write_cpu(struct json *j, const struct sc_profile *p, const struct stacktrie_cpu_totals *t,
		      struct stacktrie_weights *w, const uint32_t *newid)
{
	json_open_obj(j, "cpu");
	json_u64(j, "samples", t->all);
	json_u64(j, "matched", t->matched);
	json_u64(j, "matchedNs", t->matched_ns);
	json_u64(j, "offcpu", t->offcpu);
	json_u64(j, "noStack", t->no_stack);
	json_str(j, "source", p->sample_source ? p->sample_source : "");
	json_u64(j, "hz", p->sample_hz);
	json_fixed(j, "achievedHz", t->achieved_hz, 1);
	json_bool(j, "achievedFromCpuTime", t->from_cpu_time);
	json_u64(j, "cpuTimeNs", p->cpu_time_ns);
	json_bool(j, "wall", t->wall);
	/* samples that weigh differently are read by their time first */
	json_bool(j, "timeFirst", flame_weights_vary(p));
	json_u64(j, "threadsSampled", t->threads_sampled);
	write_weights(j, "weights", w, newid, t->wall ? 4 : 2);
	json_close_obj(j);
}

static void write_series(struct json *j, const char *key, const struct heap_point *pts, size_t n)
{
	json_open_arr(j, key);
	for (size_t i = 0; i < n; i++) {
		json_u64(j, NULL, pts[i].time);
		json_u64(j, NULL, pts[i].bytes);
	}
	json_close_arr(j);
}

static void write_heap(struct json *j, struct stacktrie *b, const struct heap_result *hr,
		       struct stacktrie_weights *w, struct stacktrie_weights *sw, const uint32_t *newid,
		       bool full)
{
	const struct heap_totals *t = &hr->t;
	json_open_obj(j, "heap");
	json_u64(j, "calls", t->calls);
	json_u64(j, "allocations", t->allocations);
	json_u64(j, "failed", t->failed);
	json_u64(j, "frees", t->frees);
	json_u64(j, "freeNull", t->free_null);
	json_u64(j, "unmatchedFrees", t->unmatched_frees);
	json_u64(j, "bytes", t->bytes);
	json_u64(j, "peakBytes", t->peak_bytes);
	json_u64(j, "peakBlocks", t->peak_blocks);
	json_u64(j, "peakTime", t->peak_time);
	json_u64(j, "leakedBytes", t->leaked_bytes);
	json_u64(j, "leakedBlocks", t->leaked_blocks);
	json_u64(j, "temporary", t->temporary);
	json_u64(j, "shortLived", t->short_lived);
	json_u64(j, "shortLivedNs", hr->short_lived_ns);
	json_u64(j, "meanLifetime", t->mean_lifetime);
	json_u64(j, "endTime", t->end_time);
	json_u64(j, "peakRss", t->peak_rss);
	json_u64(j, "filteredAllocations", hr->filtered_allocations);
	json_u64(j, "filteredBytes", hr->filtered_bytes);
	write_series(j, "timeline", hr->timeline, hr->ntimeline);
	write_series(j, "rss", hr->rss, hr->nrss);
	json_open_arr(j, "hist");
	for (size_t i = 0; i < HEAP_NBUCKETS; i++) {
		const struct heap_bucket *k = &hr->hist[i];
		json_open_arr(j, NULL);
		json_u64(j, NULL, k->lo);
		json_u64(j, NULL, k->hi);
		json_u64(j, NULL, k->count);
		json_u64(j, NULL, k->bytes);
		json_close_arr(j);
	}
	json_close_arr(j);

	/* sites: names go through the string table */
	size_t ns = hr->nsites;
	uint32_t *sname = xmalloc((ns + 1) * sizeof(*sname));
	uint32_t *sfile = xmalloc((ns + 1) * sizeof(*sfile));
	for (size_t i = 0; i < ns; i++) {
		sname[i] = stacktrie_str(b, hr->sites[i].func ? hr->sites[i].func : "??");
		sfile[i] = stacktrie_str(b, hr->sites[i].file ? hr->sites[i].file : "");
	}
	json_open_obj(j, "sites");
	JSON_COLUMN(j, "name", ns, sname[i]);
	JSON_COLUMN(j, "short", ns, short_name_id(b, sname[i], full));
	JSON_COLUMN(j, "file", ns, sfile[i]);
	JSON_COLUMN(j, "line", ns, hr->sites[i].line);
	JSON_COLUMN(j, "module", ns, hr->sites[i].module);
	json_close_obj(j);
	free(sname);
	free(sfile);
	/* per (thread, site) figures, sites as "nodes" of the same encoding */
	uint32_t *ident = xmalloc((ns + 1) * sizeof(*ident));
	for (size_t i = 0; i <= ns; i++)
		ident[i] = (uint32_t)i;
	write_weights(j, "siteWeights", sw, ident, 4);
	free(ident);
	write_weights(j, "weights", w, newid, 4);
	json_close_obj(j);
}

/* ---- zones, marks and counters ---- */

/* zone_analyze() of one thread's spans, p->zones[lo, hi) (zones are sorted
 * by thread, so a thread's spans are one slice). Calls --calls-min dropped
 * carry no thread and stay out. The result's p is p; NULL only if filter
 * does not compile, which the caller has ruled out. */
static struct zone_result *thread_zones(const struct sc_profile *p, size_t lo, size_t hi, const char *filter)
{
	struct zone_options zo = { filter };
	struct zone_result *r;
	(void)hi;
	if (zone_analyze_thread(p, &zo, p->zones[lo].thread, &r))
		return NULL;
	return r;
}

/* The rows of one zone table, {"t":thread (-1 all),"name":[...],...}: the
 * figures of `scorch report --zones --json`, column by column. */
static void write_zone_rows(struct json *j, const struct zone_result *r, int64_t thread)
{
	const struct zone_stat *s = r->zones;
	size_t n = r->nzones;
	json_open_obj(j, NULL);
	json_i64(j, "t", thread);
	JSON_COLUMN(j, "name", n, s[i].name);
	JSON_COLUMN(j, "calls", n, s[i].calls);
	JSON_COLUMN(j, "dropped", n, s[i].dropped);
	JSON_COLUMN(j, "total", n, s[i].total_ns);
	JSON_COLUMN(j, "self", n, s[i].self_ns);
	JSON_COLUMN(j, "mean", n, s[i].calls ? s[i].sum_ns / s[i].calls : 0);
	JSON_COLUMN(j, "min", n, s[i].min_ns);
	JSON_COLUMN(j, "max", n, s[i].max_ns);
	JSON_COLUMN(j, "p50", n, s[i].p50_ns);
	JSON_COLUMN(j, "p95", n, s[i].p95_ns);
	JSON_COLUMN(j, "p99", n, s[i].p99_ns);
	JSON_COLUMN(j, "allocs", n, s[i].allocs);
	JSON_COLUMN(j, "bytes", n, s[i].bytes);
	JSON_COLUMN(j, "selfAllocs", n, s[i].self_allocs);
	JSON_COLUMN(j, "selfBytes", n, s[i].self_bytes);
	JSON_COLUMN(j, "unwound", n, s[i].unwound);
	JSON_COLUMN(j, "unfinished", n, s[i].unfinished);
	json_close_obj(j);
}

/* `"key":[...]` of the spans idx[] that have a non-zero field: pairs (or
 * triples) of the span's place in idx, as a delta from the previous one
 * listed, and the value(s). */
static void write_sparse(struct json *j, const char *key, const struct sc_zone *z, const uint32_t *idx,
			 size_t n, int which)
{
	json_open_arr(j, key);
	size_t prev = 0;
	for (size_t k = 0; k < n; k++) {
		const struct sc_zone *s = &z[idx[k]];
		uint64_t a = which == 0 ? s->allocs : which == 1 ? s->flags : s->dropped_ns;
		uint64_t b = which == 0 ? s->bytes : 0;
		if (!a && !b)
			continue;
		json_u64(j, NULL, k - prev);
		prev = k;
		json_u64(j, NULL, a);
		if (which == 0)
			json_u64(j, NULL, b);
	}
	json_close_arr(j);
}

/* One thread's spans, p->zones[lo, hi), those of names keep[] says (idx:
 * room for their indexes; nothing when none is kept): start (delta from the
 * previous span's), duration, name, depth, then the rare fields sparse:
 * allocations and bytes, flags, time of dropped calls. */
static void write_zone_lane(struct json *j, const struct sc_profile *p, size_t lo, size_t hi,
			    const uint8_t *keep, uint32_t *idx)
{
	size_t n = 0;
	for (size_t k = lo; k < hi; k++)
		if (keep[p->zones[k].name])
			idx[n++] = (uint32_t)k;
	if (!n)
		return;   /* --filter left nothing of this thread */
	const struct sc_zone *z = p->zones;
	json_open_obj(j, NULL);
	json_u64(j, "t", z[lo].thread);
	JSON_COLUMN(j, "start", n, z[idx[i]].start - (i ? z[idx[i - 1]].start : 0));
	JSON_COLUMN(j, "dur", n, z[idx[i]].end - z[idx[i]].start);
	JSON_COLUMN(j, "name", n, z[idx[i]].name);
	JSON_COLUMN(j, "depth", n, z[idx[i]].depth);
	write_sparse(j, "mem", z, idx, n, 0);
	write_sparse(j, "flags", z, idx, n, 1);
	write_sparse(j, "dropped", z, idx, n, 2);
	json_close_obj(j);
}

/* Every counter: its figures from the zone analysis and its values in
 * time order (times as deltas). */
static void write_counters(struct json *j, const struct sc_profile *p, const struct zone_result *zr)
{
	size_t nn = p->nzone_names;
	/* counter values grouped by name, in time order within a name */
	size_t *start = xcalloc(nn + 1, sizeof(*start));
	uint32_t *by = xmalloc((p->ncounters + 1) * sizeof(*by));
	for (size_t i = 0; i < p->ncounters; i++)
		start[p->counters[i].name + 1]++;
	for (size_t i = 0; i < nn; i++)
		start[i + 1] += start[i];
	size_t *fill = xmalloc((nn + 1) * sizeof(*fill));
	memcpy(fill, start, (nn + 1) * sizeof(*fill));
	for (size_t i = 0; i < p->ncounters; i++)
		by[fill[p->counters[i].name]++] = (uint32_t)i;
	free(fill);
	json_open_arr(j, "counters");
	for (size_t c = 0; c < zr->ncounters; c++) {
		const struct zone_counter_stat *s = &zr->counters[c];
		const uint32_t *v = by + start[s->name];
		size_t n = start[s->name + 1] - start[s->name];
		json_open_obj(j, NULL);
		json_u64(j, "name", s->name);
		json_u64(j, "values", s->samples);
		json_double(j, "min", s->min);
		json_double(j, "max", s->max);
		json_double(j, "mean", s->mean);
		json_double(j, "last", s->last);
		json_u64(j, "lastNs", s->last_ns);
		JSON_COLUMN(j, "time", n, p->counters[v[i]].time - (i ? p->counters[v[i - 1]].time : 0));
		json_open_arr(j, "value");
		for (size_t i = 0; i < n; i++)
			json_double(j, NULL, p->counters[v[i]].value);
		json_close_arr(j);
		json_close_obj(j);
	}
	json_close_arr(j);
	free(start);
	free(by);
}

static void write_zone_errors(struct json *j, const struct zone_result *zr)
{
	json_open_arr(j, "errors");
	for (size_t i = 0; i < zr->nerrors; i++) {
		const struct zone_error_stat *e = &zr->errors[i];
		json_open_obj(j, NULL);
		json_str(j, "kind", e->kind == ZONE_ERR_END_MISMATCH ? "mismatched_end" : "end_without_begin");
		json_i64(j, "given", e->given == UINT32_MAX ? -1 : (int64_t)e->given);
		json_i64(j, "innermost", e->expected == UINT32_MAX ? -1 : (int64_t)e->expected);
		json_u64(j, "count", e->count);
		json_u64(j, "first", e->first_ns);
		json_u64(j, "thread", e->thread);
		json_close_obj(j);
	}
	json_close_arr(j);
}

/* The "zones" object: the zone name table (names through the string
 * table), totals, the zone table for all threads and per thread, the spans
 * per thread, marks, counters and mismatched ends. */
static void write_zones(struct json *j, struct stacktrie *b, const struct zone_result *zr, const char *filter)
{
	const struct sc_profile *p = b->p;
	size_t nn = p->nzone_names;
	uint32_t *nid = xmalloc((nn + 1) * sizeof(*nid)), *fid = xmalloc((nn + 1) * sizeof(*fid));
	for (size_t i = 0; i < nn; i++) {
		nid[i] = stacktrie_str(b, p->zone_names[i].name ? p->zone_names[i].name : "");
		fid[i] = stacktrie_str(b, p->zone_names[i].file ? p->zone_names[i].file : "");
	}
	json_open_obj(j, "zones");
	json_open_obj(j, "names");
	JSON_COLUMN(j, "name", nn, nid[i]);
	JSON_COLUMN(j, "file", nn, fid[i]);
	JSON_COLUMN(j, "line", nn, p->zone_names[i].line);
	JSON_COLUMN(j, "kind", nn, p->zone_names[i].kind);
	json_close_obj(j);
	free(nid);
	free(fid);

	json_open_obj(j, "totals");
	json_u64(j, "spans", zr->spans);
	json_u64(j, "names", nn);
	json_u64(j, "calls", zr->calls);
	json_u64(j, "dropped", zr->dropped);
	json_u64(j, "unwound", zr->unwound);
	json_u64(j, "unfinished", zr->unfinished);
	json_u64(j, "threadExit", zr->thread_exit);
	json_u64(j, "marks", p->nmarks);
	json_u64(j, "counterValues", p->ncounters);
	json_u64(j, "mismatched", zr->nerror_calls);
	json_close_obj(j);

	/* only the spans of the names in the table (all of them unless --filter) */
	uint8_t *keep = xcalloc(nn + 1, 1);
	for (size_t i = 0; i < zr->nzones; i++)
		keep[zr->zones[i].name] = 1;
	json_open_arr(j, "rows");
	write_zone_rows(j, zr, -1);
	for (size_t lo = 0, hi; lo < p->nzones; lo = hi) {
		for (hi = lo + 1; hi < p->nzones && p->zones[hi].thread == p->zones[lo].thread; hi++)
			;
		struct zone_result *tr = thread_zones(p, lo, hi, filter);
		if (!tr)
			continue;
		write_zone_rows(j, tr, p->zones[lo].thread);
		zone_result_free(tr);
	}
	json_close_arr(j);

	uint32_t *idx = xmalloc((p->nzones + 1) * sizeof(*idx));
	json_open_arr(j, "lanes");
	for (size_t lo = 0, hi; lo < p->nzones; lo = hi) {
		for (hi = lo + 1; hi < p->nzones && p->zones[hi].thread == p->zones[lo].thread; hi++)
			;
		write_zone_lane(j, p, lo, hi, keep, idx);
	}
	json_close_arr(j);
	free(idx);
	free(keep);

	json_open_obj(j, "marks");
	JSON_COLUMN(j, "time", p->nmarks, p->marks[i].time - (i ? p->marks[i - 1].time : 0));
	JSON_COLUMN(j, "thread", p->nmarks, p->marks[i].thread);
	JSON_COLUMN(j, "name", p->nmarks, p->marks[i].name);
	json_close_obj(j);
	write_counters(j, p, zr);
	write_zone_errors(j, zr);
	json_close_obj(j);
}

/* ---- hot code ---- */

/* Functions the page annotates: the hottest by self samples. */
#define HTML_ANNOTATE_FUNCS 200   /* as many as a profile keeps code for (finalize) */

/* The hot code view's data: `scorch annotate --json` of the hottest
 * functions, in a block of its own: compact, its strings written by the
 * JSON writer with '<', '>' and '&' as \u escapes, so that nothing in it
 * ends the block early. */
static void write_annotate(struct out *o, const struct sc_profile *p, const struct html_options *opt)
{
	struct cpu_options co = { .filter = opt->filter };
	struct cpu_result *r;
	if (cpu_analyze(p, &co, &r))
		return;
	uint32_t *idx = xmalloc((r->nfuncs + 1) * sizeof(uint32_t));
	size_t n = cpu_funcs_sorted(r, CPU_SORT_SELF, idx), k = 0;
	for (size_t i = 0; i < n && k < HTML_ANNOTATE_FUNCS; i++)
		if (r->funcs[idx[i]].module >= 0)       /* not "[no stack]" */
			idx[k++] = idx[i];
	char *buf = NULL;
	size_t len = 0;
	FILE *mf = k ? open_memstream(&buf, &len) : NULL;
	struct annotate_options ao = { .file = opt->file ? opt->file : "", .source = true, .assembly = true,
				       .json = true, .compact = true, .disk_source = true };
	if (mf && annotate_write(mf, p, r, idx, k, &ao) == 0 && fclose(mf) == 0) {
		out_s(o, "<script type=\"application/json\" id=\"scorch-annotate\">");
		out_mem(o, buf, len);
		out_s(o, "</script>\n");
	} else if (mf) {
		fclose(mf);
	}
	free(buf);
	free(idx);
	cpu_result_free(r);
}

/* ---- the page ---- */

static const char page_body[] =
	"<body>\n"
	"<header>\n"
	"<h1><span class=\"brand\">scorch</span> <span id=\"title\"></span></h1>\n"
	"<nav><a href=\"#summary\">Summary</a> <a href=\"#flame-section\">Flamegraph</a> "
	"<a href=\"#heap-section\" id=\"nav-heap\" hidden>Heap</a> "
	"<a href=\"#zones-section\" id=\"nav-zones\" hidden>Zones</a> "
	"<a href=\"#code-section\" id=\"nav-code\" hidden>Hot code</a> <a href=\"#tables\">Tables</a></nav>\n"
	"</header>\n"
	"<noscript><p class=\"warn\">This report is drawn by JavaScript: enable it to see the "
	"flamegraph, charts and tables.</p></noscript>\n"
	"<main>\n"
	"<section id=\"summary\"><h2>Summary</h2><dl id=\"summary-list\"></dl>"
	"<ul id=\"warnings\"></ul></section>\n"
	"<section id=\"flame-section\"><h2>Flamegraph</h2>\n"
	"<div class=\"controls\">\n"
	"<label>Metric <select id=\"metric\"></select></label>\n"
	"<label>Thread <select id=\"thread\"></select></label>\n"
	"<span class=\"toggle\" role=\"group\" aria-label=\"Orientation\">"
	"<button type=\"button\" id=\"mode-flame\" class=\"on\">Flame</button>"
	"<button type=\"button\" id=\"mode-icicle\">Icicle</button></span>\n"
	"<button type=\"button\" id=\"reset\">Reset zoom</button>\n"
	"<input id=\"search\" type=\"search\" placeholder=\"Search functions (regex)\" "
	"spellcheck=\"false\" autocomplete=\"off\">\n"
	"<label class=\"check\"><input type=\"checkbox\" id=\"search-case\"> Match case</label>\n"
	"<span id=\"search-result\"></span>\n"
	"</div>\n"
	"<div id=\"details\" class=\"details\"></div>\n"
	"<div id=\"flame-wrap\"><canvas id=\"flame\"></canvas></div>\n"
	"<p id=\"flame-empty\" class=\"empty\" hidden></p>\n"
	"</section>\n"
	"<section id=\"heap-section\" hidden><h2>Heap over time</h2>\n"
	"<div id=\"chart-wrap\"><canvas id=\"chart\"></canvas></div>\n"
	"<div id=\"chart-legend\" class=\"legend\"></div>\n"
	"<h2>Allocation sizes</h2>\n"
	"<table id=\"hist\" class=\"hist\"></table>\n"
	"</section>\n"
	"<section id=\"zones-section\" hidden><h2>Zones <span class=\"sub\" id=\"zones-sub\"></span></h2>\n"
	"<div class=\"controls\">\n"
	"<label>Thread <select id=\"zone-thread\"></select></label>\n"
	"<button type=\"button\" id=\"zone-back\">Back</button>\n"
	"<button type=\"button\" id=\"zone-reset\">Reset zoom</button>\n"
	"<span id=\"zone-range\" class=\"mono\"></span>\n"
	"<span class=\"hint\">click a zone to zoom to it, or drag across the timeline</span>\n"
	"</div>\n"
	"<div id=\"zone-details\" class=\"details\"></div>\n"
	"<div id=\"zone-wrap\"><canvas id=\"zone-canvas\"></canvas><div id=\"zone-sel\" hidden></div></div>\n"
	"<p id=\"zone-empty\" class=\"empty\" hidden></p>\n"
	"<ul id=\"zone-errors\" class=\"zwarn\"></ul>\n"
	"<div id=\"counters-block\" hidden><h2>Counters <span class=\"sub\" id=\"counters-sub\"></span></h2>"
	"<div id=\"counters\"></div></div>\n"
	"<h2>Zone table <span class=\"sub\" id=\"ztable-sub\"></span></h2>\n"
	"<table id=\"ztable\" class=\"top\"></table>\n"
	"<p class=\"more\" id=\"ztable-more\"></p>\n"
	"</section>\n"
	"<section id=\"code-section\" hidden><h2>Hot code <span class=\"sub\" id=\"code-sub\"></span></h2>\n"
	"<div class=\"controls\">\n"
	"<label>Function <select id=\"code-func\"></select></label>\n"
	"<span class=\"toggle\" role=\"group\" aria-label=\"View\">"
	"<button type=\"button\" id=\"code-source\" class=\"on\">Source</button>"
	"<button type=\"button\" id=\"code-asm\">Assembly</button></span>\n"
	"<span class=\"hint\">each line and instruction: its share of all samples, running there (self) "
	"and passing there (total)</span>\n"
	"</div>\n"
	"<div id=\"code-head\" class=\"details\"></div>\n"
	"<div id=\"code-wrap\"><table id=\"code\" class=\"code\"></table></div>\n"
	"<p id=\"code-note\" class=\"empty\" hidden></p>\n"
	"</section>\n"
	"<section id=\"tables\">\n"
	"<h2>Top functions <span class=\"sub\" id=\"funcs-sub\"></span></h2>\n"
	"<table id=\"funcs\" class=\"top\"></table>\n"
	"<p class=\"more\" id=\"funcs-more\"></p>\n"
	"<div id=\"sites-block\" hidden>\n"
	"<h2>Top allocation sites <span class=\"sub\" id=\"sites-sub\"></span></h2>\n"
	"<table id=\"sites\" class=\"top\"></table>\n"
	"<p class=\"more\" id=\"sites-more\"></p>\n"
	"</div>\n"
	"</section>\n"
	"</main>\n"
	"<div id=\"tooltip\" hidden></div>\n";

static void write_head(struct out *o, const struct sc_profile *p)
{
	out_s(o, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n");
	/* only our own script and style run; nothing is fetched */
	sb_addf(&o->b, "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
		"script-src 'sha256-%s'; style-src 'sha256-%s'; img-src data:\">\n",
		scorch_html_js_sha256, scorch_html_css_sha256);
	out_s(o, "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n");
	out_s(o, "<meta name=\"generator\" content=\"scorch " SCORCH_VERSION "\">\n");
	out_s(o, "<link rel=\"icon\" href=\"data:,\">\n<title>scorch: ");
	/* the program's name and its arguments, at most ~120 bytes of them */
	struct strbuf t = STRBUF_INIT;
	const char *a0 = p->argc && p->argv[0] && *p->argv[0] ? p->argv[0] : p->exe && *p->exe ? p->exe : "profile";
	const char *slash = strrchr(a0, '/');
	sb_adds(&t, slash && slash[1] ? slash + 1 : a0);
	for (uint32_t i = 1; i < p->argc && t.len <= 120; i++)
		sb_addf(&t, " %s", p->argv[i]);
	if (t.len > 120) {
		size_t n = 120;
		while (n && ((unsigned char)t.buf[n] & 0xc0) == 0x80)
			n--;
		t.len = n;
		t.buf[n] = 0;
		sb_adds(&t, "\xe2\x80\xa6");
	}
	html_escape(&o->b, t.buf);
	sb_release(&t);
	out_s(o, "</title>\n<style>");
	out_mem(o, scorch_html_css, scorch_html_css_len);
	out_s(o, "</style>\n</head>\n");
}

int html_write(FILE *f, const struct sc_profile *p, const struct html_options *opt)
{
	static const struct html_options defaults;
	if (!opt)
		opt = &defaults;
	bool cpu = p->flags & PROF_CPU;
	struct heap_result *hr = NULL;
	struct stack_filter flt;
	if (stack_filter_init(&flt, p, opt->filter))
		return -EINVAL;
	if ((p->flags & PROF_HEAP) || sc_events_count(p)) {
		char err[256];
		struct heap_options ho = { .filter = opt->filter, .timeline_points = TIMELINE_BUCKETS,
					   .by_thread = true, .err = err, .errlen = sizeof(err) };
		int rc = heap_analyze(p, &ho, &hr);
		if (rc) {
			if (rc == -EIO)
				error("%s", err);
			stack_filter_release(&flt);
			return rc;
		}
	}
	/* zones: --filter keeps the zone names it matches, as report --zones does */
	struct zone_result *zr = NULL;
	if (p->nzones || p->nmarks || p->ncounters || p->nzone_drops || p->nzone_errors) {
		struct zone_options zo = { opt->filter };
		if (zone_analyze(p, &zo, &zr)) {
			if (hr)
				heap_result_free(hr);
			stack_filter_release(&flt);
			return -EINVAL;
		}
	}

	struct stacktrie b;
	stacktrie_init(&b, p);
	struct stacktrie_weights cw, hw, sw;
	stacktrie_weights_init(&cw);
	stacktrie_weights_init(&hw);
	stacktrie_weights_init(&sw);
	struct stacktrie_cpu_totals ct;
	if (cpu) {
		uint8_t *match = stacktrie_matching(p, &flt);
		stacktrie_cpu_weights(&b, match, &cw, &ct);
		free(match);
	}
	if (hr)
		stacktrie_heap_weights(&b, hr, &hw, &sw);

	size_t n = b.nodes.len;
	uint32_t *order = xmalloc(n * sizeof(*order));
	uint32_t *newid = xmalloc(n * sizeof(*newid));
	uint32_t *depth = xmalloc(n * sizeof(*depth));
	uint32_t maxd = stacktrie_number(&b, order, newid, depth);

	struct out o = { f, STRBUF_INIT, 0 };
	write_head(&o, p);
	out_s(&o, page_body);
	out_s(&o, "<script type=\"application/json\" id=\"scorch-data\">");
	out_flush(&o);
	/* the data: compact, its strings safe inside <script> */
	struct json j;
	json_init_ex(&j, f, NULL, 0, JSON_HTML | JSON_NO_NEWLINE, 0);
	json_open_obj(&j, NULL);
	json_u64(&j, "v", 1);
	write_meta(&j, p, opt);
	/* sites add strings: the string table goes last */
	if (hr)
		write_heap(&j, &b, hr, &hw, &sw, newid, opt->full_names);
	else
		json_null(&j, "heap");
	if (cpu)
		write_cpu(&j, p, &ct, &cw, newid);
	else
		json_null(&j, "cpu");
	if (zr)
		write_zones(&j, &b, zr, opt->filter);
	else
		json_null(&j, "zones");
	write_threads(&j, &b);
	json_u64(&j, "maxDepth", maxd);
	write_tree(&j, &b, order, depth, opt->full_names);
	write_strings(&j, &b);
	json_close_obj(&j);
	int jerr = json_end(&j);
	if (jerr && !o.err)
		o.err = jerr;
	out_s(&o, "</script>\n");
	/* hot code: for profiles that keep code or sources (not for profiles
	 * of other tools, or recorded with --no-code: a second CPU analysis
	 * of a huge profile only to show lines without text is not worth it) */
	if (cpu && (p->ncodes || p->nsources))
		write_annotate(&o, p, opt);
	out_s(&o, "<script>");
	out_mem(&o, scorch_html_js, scorch_html_js_len);
	out_s(&o, "</script>\n</body>\n</html>\n");
	out_flush(&o);
	if (!o.err && fflush(f))
		o.err = -(errno ? errno : EIO);
	int rc = o.err;

	sb_release(&o.b);
	free(order);
	free(newid);
	free(depth);
	stacktrie_weights_release(&cw);
	stacktrie_weights_release(&hw);
	stacktrie_weights_release(&sw);
	stacktrie_release(&b);
	stack_filter_release(&flt);
	if (hr)
		heap_result_free(hr);
	zone_result_free(zr);
	return rc;
}
