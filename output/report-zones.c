/* `scorch report --zones`: tables of zones (numbers first, the name last so
 * long C++ names do not break the columns), marks, counters, threads and
 * nesting errors; and the same figures as a JSON profile object. */
#include "report-zones.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "term.h"

static const char *zname(const struct sc_profile *p, uint32_t i)
{
	return i < p->nzone_names ? p->zone_names[i].name : "?";
}

static const char *thread_label(const struct sc_profile *p, uint16_t t)
{
	return t < p->nthreads && p->threads[t].name && *p->threads[t].name ? p->threads[t].name : "?";
}

static uint32_t thread_tid(const struct sc_profile *p, uint16_t t)
{
	return t < p->nthreads ? p->threads[t].tid : 0;
}

static size_t shown(size_t n, uint32_t limit)
{
	return limit && n > limit ? limit : n;
}

/* ---- text ---- */

struct text {
	struct strbuf *out;
	const struct zone_result *r;
	const struct sc_profile *p;
	const struct zone_report_options *o;
	const struct term_colors *c;
	struct strbuf cell;
};

/* Names as the text shows them: escaped for the terminal (term_safe()). */
static const char *tzname(const struct text *x, uint32_t i)
{
	return term_safe(zname(x->p, i));
}

static const char *tthread(const struct text *x, uint16_t t)
{
	return term_safe(thread_label(x->p, t));
}

/* The cell in x->cell right-aligned in w columns, and always apart from the
 * cell before it: a value wider than its column (a counter's -1.99999e+10)
 * gets a space of its own instead of running into its neighbour. */
static void cell_put(struct text *x, unsigned w)
{
	if (term_width(sb_str(&x->cell)) >= w)
		sb_addc(x->out, ' ');
	term_pad(x->out, sb_str(&x->cell), w, true);
}

static void cell_dur(struct text *x, uint64_t ns, unsigned w)
{
	sb_reset(&x->cell);
	term_duration(&x->cell, ns);
	cell_put(x, w);
}

static void cell_count(struct text *x, uint64_t n, unsigned w)
{
	sb_reset(&x->cell);
	term_count(&x->cell, n);
	cell_put(x, w);
}

static void cell_bytes(struct text *x, uint64_t n, unsigned w)
{
	sb_reset(&x->cell);
	term_bytes(&x->cell, n);
	cell_put(x, w);
}

static void cell_value(struct text *x, double v, unsigned w)
{
	sb_reset(&x->cell);
	sb_addf(&x->cell, "%.6g", v);
	cell_put(x, w);
}

static void more_rows(struct text *x, size_t n, size_t of, const char *what)
{
	if (of > n)
		sb_addf(x->out, "  %s... %zu more %s (--limit=0 shows all)%s\n", x->c->dim, of - n, what, x->c->reset);
}

static void text_header(struct text *x)
{
	const struct sc_profile *p = x->p;
	const struct zone_result *r = x->r;
	const struct term_colors *c = x->c;
	struct strbuf *o = x->out;
	sb_addf(o, "%sscorch zones report: %s (pid %u)%s\n", c->bold, p->exe && *p->exe ? term_safe(p->exe) : "?",
		p->pid, c->reset);
	if (x->o->file)
		sb_addf(o, "  file      %s\n", term_safe(x->o->file));
	if (p->cmdline && *p->cmdline)
		sb_addf(o, "  command   %s\n", term_safe(p->cmdline));
	sb_adds(o, "  duration  ");
	term_duration(o, p->duration);
	sb_addc(o, '\n');
	sb_adds(o, "  zones     ");
	term_count(o, r->spans);
	sb_addf(o, " span%s of %zu name%s", r->spans == 1 ? "" : "s", p->nzone_names,
		p->nzone_names == 1 ? "" : "s");
	if (r->dropped) {
		sb_adds(o, ", and ");
		term_count(o, r->dropped);
		sb_adds(o, " calls below --calls-min counted without their spans");
	}
	sb_addc(o, '\n');
	if (p->nmarks || p->ncounters) {
		sb_adds(o, "  events    ");
		term_count(o, p->nmarks);
		sb_addf(o, " mark%s, ", p->nmarks == 1 ? "" : "s");
		term_count(o, p->ncounters);
		sb_addf(o, " counter value%s\n", p->ncounters == 1 ? "" : "s");
	}
	if (r->keep_ns) {
		sb_adds(o, "  kept      spans of at least ");
		term_duration(o, r->keep_ns);
		sb_adds(o, " one by one for the flame chart and exports (record --spans=N keeps more);\n"
			   "            every span counts in the figures below\n");
	}
	if (x->o->filter)
		sb_addf(o, "  filter    zone names matching /%s/\n", term_safe(x->o->filter));
	if (r->unwound)
		sb_addf(o, "  %snote:%s %llu span%s ended by longjmp or an exception (unwound)\n", c->yellow,
			c->reset, (unsigned long long)r->unwound, r->unwound == 1 ? " was" : "s were");
	if (r->unfinished)
		sb_addf(o, "  %snote:%s %llu span%s never ended (still open when recording stopped)\n",
			c->yellow, c->reset, (unsigned long long)r->unfinished, r->unfinished == 1 ? "" : "s");
	if (r->thread_exit)
		sb_addf(o, "  %snote:%s %llu span%s still open when %s thread exited\n", c->yellow, c->reset,
			(unsigned long long)r->thread_exit, r->thread_exit == 1 ? " was" : "s were",
			r->thread_exit == 1 ? "its" : "their");
	if (r->nerror_calls)
		sb_addf(o, "  %s%swarning:%s %llu mismatched scorch_zone_end() call%s (see below)\n", c->bold,
			c->yellow, c->reset, (unsigned long long)r->nerror_calls, r->nerror_calls == 1 ? "" : "s");
	if (p->flags & PROF_INCOMPLETE)
		sb_addf(o, "  %swarning:%s the process ended without a final flush: the last spans are missing\n",
			c->yellow, c->reset);
}

static const char *sort_label(enum zone_sort s)
{
	static const char *const l[] = { "total time", "self time", "calls", "mean time", "longest call",
					 "p99", "allocations", "bytes allocated", "name" };
	return (unsigned)s < sizeof(l) / sizeof(*l) ? l[s] : "total time";
}

static void text_zones(struct text *x)
{
	const struct zone_result *r = x->r;
	const struct term_colors *c = x->c;
	struct strbuf *o = x->out;
	sb_addf(o, "\n%sZones by %s%s\n", c->bold, sort_label(x->o->sort), c->reset);
	if (!r->nzones) {
		sb_adds(o, "  no zones recorded (link the program with -lscorch; scorch record --calls for\n"
			   "  a program built with -finstrument-functions)\n");
		return;
	}
	static const char *const cols[] = { "calls", "total", "self", "mean", "min", "max", "p50", "p95",
					    "p99", "allocs", "bytes" };
	static const unsigned w[] = { 10, 10, 10, 10, 10, 10, 10, 10, 10, 9, 10 };
	sb_adds(o, " ");
	for (size_t k = 0; k < sizeof(cols) / sizeof(*cols); k++)
		term_pad(o, cols[k], w[k], true);
	sb_adds(o, "  zone\n");
	size_t n = shown(r->nzones, x->o->limit);
	for (size_t i = 0; i < n; i++) {
		const struct zone_stat *s = &r->zones[i];
		const struct sc_zone_name *nm = &x->p->zone_names[s->name];
		sb_adds(o, " ");
		cell_count(x, s->calls, w[0]);
		cell_dur(x, s->total_ns, w[1]);
		cell_dur(x, s->self_ns, w[2]);
		cell_dur(x, s->calls ? s->sum_ns / s->calls : 0, w[3]);
		cell_dur(x, s->min_ns, w[4]);
		cell_dur(x, s->max_ns, w[5]);
		cell_dur(x, s->p50_ns, w[6]);
		cell_dur(x, s->p95_ns, w[7]);
		cell_dur(x, s->p99_ns, w[8]);
		cell_count(x, s->allocs, w[9]);
		cell_bytes(x, s->bytes, w[10]);
		sb_addf(o, "  %s%s%s", c->cyan, term_safe(nm->name), c->reset);
		if (nm->file[0]) {
			sb_addf(o, " %s%s", c->dim, term_safe(nm->file));
			if (nm->line)
				sb_addf(o, ":%u", nm->line);
			sb_adds(o, c->reset);
		}
		if (s->dropped)
			sb_addf(o, " %s[%llu below --calls-min]%s", c->dim, (unsigned long long)s->dropped, c->reset);
		if (s->unwound)
			sb_addf(o, " %s[%llu unwound]%s", c->yellow, (unsigned long long)s->unwound, c->reset);
		if (s->unfinished)
			sb_addf(o, " %s[%llu unfinished]%s", c->yellow, (unsigned long long)s->unfinished, c->reset);
		sb_addc(o, '\n');
	}
	more_rows(x, n, r->nzones, "zones");
	sb_addf(o, "  %stotal and allocations count a zone inside another of the same name once; self\n"
		   "  is total less the zones directly inside; percentiles are nearest-rank%s\n", c->dim, c->reset);
}

static void text_marks(struct text *x)
{
	const struct zone_result *r = x->r;
	struct strbuf *o = x->out;
	if (r->nmarks) {
		sb_addf(o, "\n%sMarks%s\n", x->c->bold, x->c->reset);
		term_pad(o, "count", 11, true);
		term_pad(o, "first", 11, true);
		term_pad(o, "last", 11, true);
		sb_adds(o, "  mark\n");
		size_t n = shown(r->nmarks, x->o->limit);
		for (size_t i = 0; i < n; i++) {
			const struct zone_mark_stat *m = &r->marks[i];
			cell_count(x, m->count, 11);
			cell_dur(x, m->first_ns, 11);
			cell_dur(x, m->last_ns, 11);
			sb_addf(o, "  %s%s%s\n", x->c->cyan, tzname(x, m->name), x->c->reset);
		}
		more_rows(x, n, r->nmarks, "marks");
	}
	if (r->ncounters) {
		sb_addf(o, "\n%sCounters%s\n", x->c->bold, x->c->reset);
		static const char *const cols[] = { "values", "min", "max", "mean", "last" };
		for (size_t k = 0; k < 5; k++)
			term_pad(o, cols[k], 11, true);
		sb_adds(o, "  counter\n");
		size_t n = shown(r->ncounters, x->o->limit);
		for (size_t i = 0; i < n; i++) {
			const struct zone_counter_stat *s = &r->counters[i];
			cell_count(x, s->samples, 11);
			cell_value(x, s->min, 11);
			cell_value(x, s->max, 11);
			cell_value(x, s->mean, 11);
			cell_value(x, s->last, 11);
			sb_addf(o, "  %s%s%s\n", x->c->cyan, tzname(x, s->name), x->c->reset);
		}
		more_rows(x, n, r->ncounters, "counters");
	}
}

static void text_threads(struct text *x)
{
	const struct zone_result *r = x->r;
	struct strbuf *o = x->out;
	if (!r->nthreads)
		return;
	sb_addf(o, "\n%sThreads%s\n", x->c->bold, x->c->reset);
	term_pad(o, "tid", 9, true);
	term_pad(o, "spans", 11, true);
	term_pad(o, "marks", 9, true);
	term_pad(o, "counters", 10, true);
	sb_adds(o, "  thread\n");
	for (size_t i = 0; i < r->nthreads; i++) {
		const struct zone_thread_stat *t = &r->threads[i];
		sb_reset(&x->cell);
		sb_addf(&x->cell, "%u", thread_tid(x->p, (uint16_t)t->thread));
		term_pad(o, sb_str(&x->cell), 9, true);
		cell_count(x, t->spans, 11);
		cell_count(x, t->marks, 9);
		cell_count(x, t->counters, 10);
		sb_addf(o, "  %s\n", tthread(x, (uint16_t)t->thread));
	}
}

static void text_errors(struct text *x)
{
	const struct zone_result *r = x->r;
	const struct term_colors *c = x->c;
	struct strbuf *o = x->out;
	if (!r->nerrors)
		return;
	sb_addf(o, "\n%s%sMismatched zone ends%s\n", c->bold, c->yellow, c->reset);
	for (size_t i = 0; i < r->nerrors; i++) {
		const struct zone_error_stat *e = &r->errors[i];
		const char *given = e->given == UINT32_MAX ? "?" : tzname(x, e->given);
		sb_addf(o, "  scorch_zone_end(\"%s\") ", given);
		if (e->kind == ZONE_ERR_END_MISMATCH)
			sb_addf(o, "while \"%s\" was the innermost open zone (\"%s\" ended there, \"%s\" stayed open)",
				tzname(x, e->expected), given, tzname(x, e->expected));
		else if (e->expected != UINT32_MAX)
			sb_addf(o, "with no zone of that name open (innermost: \"%s\"): ignored",
				tzname(x, e->expected));
		else
			sb_adds(o, "with no zone open: ignored");
		sb_addf(o, "; %llu time%s, first at ", (unsigned long long)e->count, e->count == 1 ? "" : "s");
		term_duration(o, e->first_ns);
		sb_addf(o, " on thread %s (%u)\n", tthread(x, e->thread), thread_tid(x->p, e->thread));
	}
}

void report_zones_text(struct strbuf *out, const struct zone_result *r, const struct zone_report_options *o)
{
	struct text x = { out, r, r->p, o, term_colors(o->color), STRBUF_INIT };
	text_header(&x);
	text_zones(&x);
	text_marks(&x);
	text_threads(&x);
	text_errors(&x);
	sb_release(&x.cell);
}

/* ---- JSON ---- */

static void json_zones(struct json *j, const struct zone_result *r, const struct zone_report_options *opt)
{
	const struct sc_profile *p = r->p;
	size_t n = shown(r->nzones, opt->limit);
	json_open_arr_as(j, "zones", JSON_BLOCK);
	for (size_t i = 0; i < n; i++) {
		const struct zone_stat *s = &r->zones[i];
		const struct sc_zone_name *nm = &p->zone_names[s->name];
		json_open_obj_as(j, NULL, JSON_INLINE);
		json_str(j, "name", nm->name);
		json_str(j, "kind", nm->kind == ZONE_KIND_FUNC ? "function" : "zone");
		json_str(j, "file", nm->file);
		json_u64(j, "line", nm->line);
		json_u64(j, "calls", s->calls);
		json_u64(j, "dropped_calls", s->dropped);
		json_u64(j, "total_ns", s->total_ns);
		json_u64(j, "self_ns", s->self_ns);
		json_u64(j, "mean_ns", s->calls ? s->sum_ns / s->calls : 0);
		json_u64(j, "min_ns", s->min_ns);
		json_u64(j, "max_ns", s->max_ns);
		json_u64(j, "p50_ns", s->p50_ns);
		json_u64(j, "p95_ns", s->p95_ns);
		json_u64(j, "p99_ns", s->p99_ns);
		json_u64(j, "allocs", s->allocs);
		json_u64(j, "bytes", s->bytes);
		json_u64(j, "self_allocs", s->self_allocs);
		json_u64(j, "self_bytes", s->self_bytes);
		json_u64(j, "unwound", s->unwound);
		json_u64(j, "unfinished", s->unfinished);
		json_close_obj(j);
	}
	json_close_arr(j);
}

static void json_marks(struct json *j, const struct zone_result *r, const struct zone_report_options *opt)
{
	const struct sc_profile *p = r->p;
	size_t n = shown(r->nmarks, opt->limit);
	json_open_arr_as(j, "marks", JSON_BLOCK);
	for (size_t i = 0; i < n; i++) {
		const struct zone_mark_stat *m = &r->marks[i];
		json_open_obj_as(j, NULL, JSON_INLINE);
		json_str(j, "name", zname(p, m->name));
		json_u64(j, "count", m->count);
		json_u64(j, "first_ns", m->first_ns);
		json_u64(j, "last_ns", m->last_ns);
		json_close_obj(j);
	}
	json_close_arr(j);
	n = shown(r->ncounters, opt->limit);
	json_open_arr_as(j, "counters", JSON_BLOCK);
	for (size_t i = 0; i < n; i++) {
		const struct zone_counter_stat *s = &r->counters[i];
		json_open_obj_as(j, NULL, JSON_INLINE);
		json_str(j, "name", zname(p, s->name));
		json_u64(j, "values", s->samples);
		json_double(j, "min", s->min);
		json_double(j, "max", s->max);
		json_double(j, "mean", s->mean);
		json_double(j, "last", s->last);
		json_u64(j, "last_ns", s->last_ns);
		json_close_obj(j);
	}
	json_close_arr(j);
}

static void json_threads_errors(struct json *j, const struct zone_result *r)
{
	const struct sc_profile *p = r->p;
	json_open_arr_as(j, "threads", JSON_BLOCK);
	for (size_t i = 0; i < r->nthreads; i++) {
		const struct zone_thread_stat *t = &r->threads[i];
		json_open_obj_as(j, NULL, JSON_INLINE);
		json_u64(j, "tid", thread_tid(p, (uint16_t)t->thread));
		json_str(j, "name", thread_label(p, (uint16_t)t->thread));
		json_u64(j, "spans", t->spans);
		json_u64(j, "marks", t->marks);
		json_u64(j, "counters", t->counters);
		json_close_obj(j);
	}
	json_close_arr(j);
	json_open_arr_as(j, "errors", JSON_BLOCK);
	for (size_t i = 0; i < r->nerrors; i++) {
		const struct zone_error_stat *e = &r->errors[i];
		json_open_obj_as(j, NULL, JSON_INLINE);
		json_str(j, "kind", e->kind == ZONE_ERR_END_MISMATCH ? "mismatched_end" : "end_without_begin");
		json_str(j, "given", e->given == UINT32_MAX ? NULL : zname(p, e->given));
		json_str(j, "innermost", e->expected == UINT32_MAX ? NULL : zname(p, e->expected));
		json_u64(j, "count", e->count);
		json_u64(j, "first_ns", e->first_ns);
		json_u64(j, "tid", thread_tid(p, e->thread));
		json_close_obj(j);
	}
	json_close_arr(j);
}

void report_zones_json(struct json *j, const struct zone_result *r, const struct zone_report_options *opt)
{
	const struct sc_profile *p = r->p;
	json_open_obj_as(j, NULL, JSON_BLOCK);
	json_str(j, "file", opt->file);
	json_u64(j, "pid", p->pid);
	json_str(j, "command", p->cmdline ? p->cmdline : "");
	json_u64(j, "duration_ns", p->duration);
	json_open_obj_as(j, "zones", JSON_BLOCK);
	json_open_obj_as(j, "totals", JSON_INLINE);
	json_u64(j, "spans", r->spans);
	json_u64(j, "names", p->nzone_names);
	json_u64(j, "calls", r->calls);
	json_u64(j, "dropped_calls", r->dropped);
	json_u64(j, "kept_min_ns", r->keep_ns);
	json_u64(j, "unwound", r->unwound);
	json_u64(j, "unfinished", r->unfinished);
	json_u64(j, "thread_exit", r->thread_exit);
	json_u64(j, "marks", p->nmarks);
	json_u64(j, "counter_values", p->ncounters);
	json_u64(j, "mismatched_ends", r->nerror_calls);
	json_close_obj(j);
	json_zones(j, r, opt);
	json_marks(j, r, opt);
	json_threads_errors(j, r);
	json_close_obj(j);
	json_close_obj(j);
}
