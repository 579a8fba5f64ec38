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

static void j_key(struct strbuf *o, int *first, const char *key)
{
	sb_adds(o, *first ? "" : ", ");
	*first = 0;
	sb_add_json_str(o, key);
	sb_adds(o, ": ");
}

static void j_u(struct strbuf *o, int *first, const char *key, uint64_t v)
{
	j_key(o, first, key);
	sb_addf(o, "%llu", (unsigned long long)v);
}

static void j_s(struct strbuf *o, int *first, const char *key, const char *v)
{
	j_key(o, first, key);
	if (v)
		sb_add_json_str(o, v);
	else
		sb_adds(o, "null");
}

static void j_d(struct strbuf *o, int *first, const char *key, double v)
{
	j_key(o, first, key);
	if (isfinite(v))
		sb_addf(o, "%.17g", v);
	else
		sb_adds(o, "null");
}

/* "[\n" elements "\n      ]": each element on its own line */
static void j_elem(struct strbuf *o, size_t i)
{
	sb_adds(o, i ? ",\n        {" : "\n        {");
}

static void json_zones(struct strbuf *o, const struct zone_result *r, const struct zone_report_options *opt)
{
	const struct sc_profile *p = r->p;
	size_t n = shown(r->nzones, opt->limit);
	sb_adds(o, "\"zones\": [");
	for (size_t i = 0; i < n; i++) {
		const struct zone_stat *s = &r->zones[i];
		const struct sc_zone_name *nm = &p->zone_names[s->name];
		int f = 1;
		j_elem(o, i);
		j_s(o, &f, "name", nm->name);
		j_s(o, &f, "kind", nm->kind == ZONE_KIND_FUNC ? "function" : "zone");
		j_s(o, &f, "file", nm->file);
		j_u(o, &f, "line", nm->line);
		j_u(o, &f, "calls", s->calls);
		j_u(o, &f, "dropped_calls", s->dropped);
		j_u(o, &f, "total_ns", s->total_ns);
		j_u(o, &f, "self_ns", s->self_ns);
		j_u(o, &f, "mean_ns", s->calls ? s->sum_ns / s->calls : 0);
		j_u(o, &f, "min_ns", s->min_ns);
		j_u(o, &f, "max_ns", s->max_ns);
		j_u(o, &f, "p50_ns", s->p50_ns);
		j_u(o, &f, "p95_ns", s->p95_ns);
		j_u(o, &f, "p99_ns", s->p99_ns);
		j_u(o, &f, "allocs", s->allocs);
		j_u(o, &f, "bytes", s->bytes);
		j_u(o, &f, "self_allocs", s->self_allocs);
		j_u(o, &f, "self_bytes", s->self_bytes);
		j_u(o, &f, "unwound", s->unwound);
		j_u(o, &f, "unfinished", s->unfinished);
		sb_addc(o, '}');
	}
	sb_adds(o, n ? "\n      ]" : "]");
}

static void json_marks(struct strbuf *o, const struct zone_result *r, const struct zone_report_options *opt)
{
	const struct sc_profile *p = r->p;
	size_t n = shown(r->nmarks, opt->limit);
	sb_adds(o, "\"marks\": [");
	for (size_t i = 0; i < n; i++) {
		const struct zone_mark_stat *m = &r->marks[i];
		int f = 1;
		j_elem(o, i);
		j_s(o, &f, "name", zname(p, m->name));
		j_u(o, &f, "count", m->count);
		j_u(o, &f, "first_ns", m->first_ns);
		j_u(o, &f, "last_ns", m->last_ns);
		sb_addc(o, '}');
	}
	sb_adds(o, n ? "\n      ],\n      " : "],\n      ");
	n = shown(r->ncounters, opt->limit);
	sb_adds(o, "\"counters\": [");
	for (size_t i = 0; i < n; i++) {
		const struct zone_counter_stat *s = &r->counters[i];
		int f = 1;
		j_elem(o, i);
		j_s(o, &f, "name", zname(p, s->name));
		j_u(o, &f, "values", s->samples);
		j_d(o, &f, "min", s->min);
		j_d(o, &f, "max", s->max);
		j_d(o, &f, "mean", s->mean);
		j_d(o, &f, "last", s->last);
		j_u(o, &f, "last_ns", s->last_ns);
		sb_addc(o, '}');
	}
	sb_adds(o, n ? "\n      ]" : "]");
}

static void json_threads_errors(struct strbuf *o, const struct zone_result *r)
{
	const struct sc_profile *p = r->p;
	sb_adds(o, "\"threads\": [");
	for (size_t i = 0; i < r->nthreads; i++) {
		const struct zone_thread_stat *t = &r->threads[i];
		int f = 1;
		j_elem(o, i);
		j_u(o, &f, "tid", thread_tid(p, (uint16_t)t->thread));
		j_s(o, &f, "name", thread_label(p, (uint16_t)t->thread));
		j_u(o, &f, "spans", t->spans);
		j_u(o, &f, "marks", t->marks);
		j_u(o, &f, "counters", t->counters);
		sb_addc(o, '}');
	}
	sb_adds(o, r->nthreads ? "\n      ],\n      " : "],\n      ");
	sb_adds(o, "\"errors\": [");
	for (size_t i = 0; i < r->nerrors; i++) {
		const struct zone_error_stat *e = &r->errors[i];
		int f = 1;
		j_elem(o, i);
		j_s(o, &f, "kind", e->kind == ZONE_ERR_END_MISMATCH ? "mismatched_end" : "end_without_begin");
		j_s(o, &f, "given", e->given == UINT32_MAX ? NULL : zname(p, e->given));
		j_s(o, &f, "innermost", e->expected == UINT32_MAX ? NULL : zname(p, e->expected));
		j_u(o, &f, "count", e->count);
		j_u(o, &f, "first_ns", e->first_ns);
		j_u(o, &f, "tid", thread_tid(p, e->thread));
		sb_addc(o, '}');
	}
	sb_adds(o, r->nerrors ? "\n      ]" : "]");
}

void report_zones_json(struct strbuf *o, const struct zone_result *r, const struct zone_report_options *opt)
{
	const struct sc_profile *p = r->p;
	int f = 1;
	sb_adds(o, "    {");
	j_s(o, &f, "file", opt->file);
	j_u(o, &f, "pid", p->pid);
	j_s(o, &f, "command", p->cmdline ? p->cmdline : "");
	j_u(o, &f, "duration_ns", p->duration);
	sb_adds(o, ",\n    \"zones\": {\"totals\": {");
	f = 1;
	j_u(o, &f, "spans", r->spans);
	j_u(o, &f, "names", p->nzone_names);
	j_u(o, &f, "calls", r->calls);
	j_u(o, &f, "dropped_calls", r->dropped);
	j_u(o, &f, "kept_min_ns", r->keep_ns);
	j_u(o, &f, "unwound", r->unwound);
	j_u(o, &f, "unfinished", r->unfinished);
	j_u(o, &f, "thread_exit", r->thread_exit);
	j_u(o, &f, "marks", p->nmarks);
	j_u(o, &f, "counter_values", p->ncounters);
	j_u(o, &f, "mismatched_ends", r->nerror_calls);
	sb_adds(o, "},\n      ");
	json_zones(o, r, opt);
	sb_adds(o, ",\n      ");
	json_marks(o, r, opt);
	sb_adds(o, ",\n      ");
	json_threads_errors(o, r);
	sb_adds(o, "}}");
}
