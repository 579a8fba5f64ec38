/* Text and JSON heap reports: a walk over a heap_result and its profile.
 * The text is made for a terminal (aligned tables, human units, bars, colors
 * on demand); the JSON follows docs/json.md, with every quantity an integer
 * in bytes or nanoseconds. */
#include "report-heap.h"

#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../analysis/demangle.h"
#include "../analysis/events.h"
#include "../lib/die.h"
#include "notes.h"
#include "report-cpu.h"
#include "term.h"

#ifndef SCORCH_VERSION
#define SCORCH_VERSION "?"
#endif

/* ---- shared helpers ---- */

static const char *module_name(const struct sc_profile *p, int32_t m)
{
	if (m < 0 || (size_t)m >= p->nmodules || !p->modules[m].name)
		return NULL;
	return p->modules[m].name;
}

static const char *exit_kind_name(int k)
{
	switch (k) {
	case EXIT_NORMAL: return "normal";
	case EXIT_SIGNAL: return "signal";
	case EXIT_EXEC: return "exec";
	default: return "unknown";
	}
}

static bool profile_ended_early(const struct sc_profile *p)
{
	return (p->flags & PROF_INCOMPLETE) || p->exit_kind == EXIT_SIGNAL;
}

/* Calls frame(ctx, loc, line, index) for every frame of stack s, innermost
 * first; inlined functions are frames of their own. Unsymbolized locations
 * give one frame with line NULL. */
typedef void (*frame_fn)(void *ctx, const struct sc_location *loc,
			 const struct sc_line *ln, unsigned idx);

static void each_frame(const struct sc_profile *p, uint32_t s, frame_fn fn, void *ctx)
{
	if (s >= p->nstacks)
		return;
	const struct sc_stack *st = &p->stacks[s];
	unsigned idx = 0;
	for (uint32_t k = 0; k < st->nlocs; k++) {
		const struct sc_location *loc = &p->locations[st->locs[k]];
		if (!loc->nlines) {
			fn(ctx, loc, NULL, idx++);
			continue;
		}
		for (uint32_t j = 0; j < loc->nlines; j++)
			fn(ctx, loc, &loc->lines[j], idx++);
	}
}

/* ---- text ---- */

struct text {
	struct strbuf *out;
	const struct heap_result *r;
	const struct sc_profile *p;
	const struct report_options *o;
	const struct term_colors *c;
	struct strbuf cell;
	struct arena names;         /* the short names shown (demangle_short()) */
};

/* The name a table shows: demangle_short()'s unless --names=full. */
static const char *shown_name(struct text *x, const char *name)
{
	const char *s = x->o->full_names ? NULL : demangle_short(name, &x->names);
	return s ? s : name;
}

static void heading(struct text *x, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void heading(struct text *x, const char *fmt, ...)
{
	va_list ap;
	sb_addf(x->out, "\n%s", x->c->bold);
	va_start(ap, fmt);
	sb_vaddf(x->out, fmt, ap);
	va_end(ap);
	sb_addf(x->out, "%s\n", x->c->reset);
}

/* Cell helpers: format into x->cell, then pad into out. */
static void cell_bytes(struct text *x, uint64_t v, unsigned w)
{
	sb_reset(&x->cell);
	term_bytes(&x->cell, v);
	term_pad(x->out, sb_str(&x->cell), w, true);
}

static void cell_count(struct text *x, uint64_t v, unsigned w)
{
	sb_reset(&x->cell);
	term_count(&x->cell, v);
	term_pad(x->out, sb_str(&x->cell), w, true);
}

static void cell_pct(struct text *x, uint64_t part, uint64_t whole, unsigned w)
{
	sb_reset(&x->cell);
	term_percent(&x->cell, part, whole);
	term_pad(x->out, sb_str(&x->cell), w, true);
}

static void cell_duration(struct text *x, uint64_t v, bool have, unsigned w)
{
	sb_reset(&x->cell);
	if (have)
		term_duration(&x->cell, v);
	else
		sb_adds(&x->cell, "-");
	term_pad(x->out, sb_str(&x->cell), w, true);
}

/* "func at file:line (module)", colored. */
static void site_label(struct text *x, const struct heap_site *s)
{
	const struct term_colors *c = x->c;
	sb_addf(x->out, "%s%s%s", c->cyan, term_safe(shown_name(x, s->func)), c->reset);
	if (s->file[0]) {
		sb_addf(x->out, " %sat %s", c->dim, term_safe(s->file));
		if (s->line)
			sb_addf(x->out, ":%u", s->line);
		sb_adds(x->out, c->reset);
	}
	/* "[libfoo.so+0x1234]" already names its module */
	const char *m = module_name(x->p, s->module);
	if (m && s->func[0] != '[')
		sb_addf(x->out, " %s(%s)%s", c->dim, term_safe(m), c->reset);
}

struct frame_print {
	struct text *x;
	const char *indent;
	unsigned max, shown;        /* max 0 = all frames */
	const struct sc_location *site_loc;   /* frames before it are allocator wrappers */
	const struct sc_line *site_line;
	bool seen_site;
	struct strbuf name;
};

static void print_frame(void *ctx, const struct sc_location *loc, const struct sc_line *ln,
			unsigned idx)
{
	struct frame_print *f = ctx;
	struct text *x = f->x;
	const struct term_colors *c = x->c;
	if (loc == f->site_loc && ln == f->site_line)
		f->seen_site = true;
	if (f->max && f->shown >= f->max) {
		f->shown++;
		return;
	}
	f->shown++;
	bool wrapper = !f->seen_site;
	sb_reset(&f->name);
	heap_frame_name(x->p, loc, ln, &f->name);
	sb_addf(x->out, "%s%s#%-2u %s%s%s", f->indent, c->dim, idx, c->reset,
		wrapper ? c->dim : "", term_safe(shown_name(x, sb_str(&f->name))));
	if (ln && ln->file && ln->file[0]) {
		sb_addf(x->out, " %sat %s", wrapper ? "" : c->dim, term_safe(ln->file));
		if (ln->line)
			sb_addf(x->out, ":%u", ln->line);
		if (!wrapper)
			sb_adds(x->out, c->reset);
	}
	const char *m = module_name(x->p, loc->module);
	if (m)
		sb_addf(x->out, " %s(%s)", wrapper ? "" : c->dim, term_safe(m));
	if (ln && ln->inlined)
		sb_adds(x->out, " [inlined]");
	sb_addf(x->out, "%s\n", c->reset);
}

/* Prints the frames of stack s, dimming the allocator wrappers above site. */
static void print_stack(struct text *x, uint32_t s, const struct heap_site *site,
			const char *indent, unsigned max)
{
	struct frame_print f = { x, indent, max, 0, NULL, NULL, false, STRBUF_INIT };
	if (site && site->loc != UINT32_MAX) {
		f.site_loc = &x->p->locations[site->loc];
		f.site_line = f.site_loc->nlines ? &f.site_loc->lines[site->loc_line] : NULL;
	} else {
		f.seen_site = true;
	}
	if (s >= x->p->nstacks || !x->p->stacks[s].nlocs)
		sb_addf(x->out, "%s%s(no stack recorded)%s\n", indent, x->c->dim, x->c->reset);
	else
		each_frame(x->p, s, print_frame, &f);
	if (f.max && f.shown > f.max)
		sb_addf(x->out, "%s%s... %u more frames%s\n", indent, x->c->dim,
			f.shown - f.max, x->c->reset);
	sb_release(&f.name);
}

/* One "<- caller <- caller" line: the frames right after the site frame. */
struct callers {
	struct text *x;
	const struct sc_location *site_loc;
	const struct sc_line *site_line;
	bool after;
	unsigned n, max;
	struct strbuf name;
};

static void add_caller(void *ctx, const struct sc_location *loc, const struct sc_line *ln,
		       unsigned idx)
{
	struct callers *cl = ctx;
	if (!cl->after) {
		if (loc == cl->site_loc && ln == cl->site_line)
			cl->after = true;
		return;
	}
	if (cl->n++ >= cl->max)
		return;
	sb_reset(&cl->name);
	heap_frame_name(cl->x->p, loc, ln, &cl->name);
	sb_addf(cl->x->out, "%s%s", cl->n == 1 ? " " : " <- ", term_safe(shown_name(cl->x, sb_str(&cl->name))));
}

static void site_callers(struct text *x, const struct heap_site *s, const char *indent)
{
	if (s->loc == UINT32_MAX || s->stack == UINT32_MAX)
		return;
	struct callers cl = { x, &x->p->locations[s->loc], NULL, false, 0, 3, STRBUF_INIT };
	cl.site_line = cl.site_loc->nlines ? &cl.site_loc->lines[s->loc_line] : NULL;
	size_t mark = x->out->len;
	sb_addf(x->out, "%s%scalled from", indent, x->c->dim);
	size_t before = x->out->len;
	each_frame(x->p, s->stack, add_caller, &cl);
	if (x->out->len == before) {
		x->out->len = mark;
		x->out->buf[mark] = 0;
	} else {
		if (cl.n > cl.max)
			sb_adds(x->out, " <- ...");
		sb_addf(x->out, "%s\n", x->c->reset);
	}
	sb_release(&cl.name);
}

static void text_header(struct text *x)
{
	const struct sc_profile *p = x->p;
	const struct term_colors *c = x->c;
	const char *prog = p->exe && *p->exe ? term_safe(p->exe) : "?";
	sb_addf(x->out, "%sscorch heap report: %s (pid %u)%s\n", c->bold, prog, p->pid, c->reset);
	if (x->o->file)
		sb_addf(x->out, "  file      %s\n", term_safe(x->o->file));
	if (p->nparts > 1)   /* analysis/merge.h */
		sb_addf(x->out, "  run       %zu profiles merged, each process a top frame\n", p->nparts);
	if (p->cmdline && *p->cmdline)
		sb_addf(x->out, "  command   %s\n", term_safe(p->cmdline));
	if (p->start_wall || (p->host && *p->host)) {
		sb_adds(x->out, "  recorded ");
		if (p->start_wall) {
			time_t secs = (time_t)(p->start_wall / 1000000000ull);
			struct tm tm;
			char when[64];
			if (gmtime_r(&secs, &tm) && strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S UTC", &tm))
				sb_addf(x->out, " %s", when);
		}
		if (p->host && *p->host)
			sb_addf(x->out, " on %s", term_safe(p->host));
		if (p->scorch_version && *p->scorch_version)
			sb_addf(x->out, ", scorch %s", term_safe(p->scorch_version));
		sb_addc(x->out, '\n');
	}
	sb_adds(x->out, "  duration  ");
	term_duration(x->out, p->duration);
	switch (p->exit_kind) {
	case EXIT_NORMAL:
		sb_addf(x->out, ", exited with status %d", p->exit_value);
		break;
	case EXIT_SIGNAL: {
		const char *d = strsignal(p->exit_value);
		sb_addf(x->out, ", %skilled by signal %d (%s)%s", c->red, p->exit_value,
			d ? d : "?", c->reset);
		break;
	}
	case EXIT_EXEC:
		sb_adds(x->out, ", image replaced by exec");
		break;
	default:
		sb_adds(x->out, ", exit status unknown");
		break;
	}
	sb_addc(x->out, '\n');
	if (p->heap_sample) {
		sb_addf(x->out, "  %ssampled   ", c->yellow);
		report_heap_sampled(x->out, p);
		sb_addf(x->out, ": every count and byte figure below is estimated%s\n", c->reset);
	}
	if (p->nthreads) {
		sb_addf(x->out, "  threads   %zu:", p->nthreads);
		for (size_t i = 0; i < p->nthreads && i < 8; i++)
			sb_addf(x->out, "%s %s (%u)", i ? "," : "", term_safe(p->threads[i].name), p->threads[i].tid);
		if (p->nthreads > 8)
			sb_addf(x->out, ", ... %zu more", p->nthreads - 8);
		sb_addc(x->out, '\n');
	}
	if (x->r->filtered)
		sb_addf(x->out, "  filter    %s'%s'%s: sites, leaks, sizes and modules count only "
			"allocations whose stack matches; totals and calls count everything\n",
			c->yellow, x->o->filter ? term_safe(x->o->filter) : "?", c->reset);
	if (p->flags & PROF_STALE)
		sb_addf(x->out, "%s%swarning:%s%s a binary or library changed on disk while the program ran "
			"(its build id differs): its frames are named by module and offset%s\n",
			c->bold, c->yellow, c->reset, c->yellow, c->reset);
	notes_text(x->out, p, "", c);
	report_lost_events(x->out, p, "", c);
	if (p->flags & PROF_INCOMPLETE)
		sb_addf(x->out, "%s%swarning: INCOMPLETE profile:%s%s the program ended without "
			"scorch's final flush (killed?); the last events of each thread may be "
			"missing and \"leaked\" means \"live when it died\"%s\n",
			c->bold, c->yellow, c->reset, c->yellow, c->reset);
	if ((p->flags & PROF_TRUNCATED) || p->lost_chunks) {
		sb_addf(x->out, "%s%swarning: TRUNCATED profile:%s%s ", c->bold, c->yellow, c->reset,
			c->yellow);
		if (p->lost_chunks) {
			term_count(x->out, p->lost_chunks);
			sb_addf(x->out, " chunk%s (", p->lost_chunks == 1 ? "" : "s");
			term_bytes(x->out, p->lost_bytes);
			sb_adds(x->out, ") of events were lost");
		} else {
			sb_adds(x->out, "the end of the recording was cut off");
		}
		sb_addf(x->out, "; counts are lower bounds and some frees may be unmatched%s\n",
			c->reset);
	}
}

void report_lost_events(struct strbuf *sb, const struct sc_profile *p, const char *prefix,
			const struct term_colors *c)
{
	if (!p->lost_events)
		return;
	sb_addf(sb, "%s%s%swarning:%s%s ", prefix, c->bold, c->yellow, c->reset, c->yellow);
	term_count(sb, p->lost_events);
	sb_addf(sb, " event%s could not be recorded (an allocator call that a signal handler left "
		"by longjmp before scorch wrote it down, or handlers nested more than 7 deep in "
		"allocator calls); counts are lower bounds%s\n", p->lost_events == 1 ? "" : "s", c->reset);
}

bool report_heap_sampled(struct strbuf *sb, const struct sc_profile *p)
{
	if (!p->heap_sample)
		return false;
	sb_adds(sb, "estimated from sampled allocations, one per ");
	term_bytes(sb, p->heap_sample);
	sb_adds(sb, " allocated on average");
	return true;
}

static void summary_line(struct text *x, const char *label)
{
	sb_addf(x->out, "  %-13s ", label);
}

static void text_summary(struct text *x)
{
	const struct heap_totals *t = &x->r->t;
	const struct term_colors *c = x->c;
	struct strbuf *o = x->out;
	heading(x, x->p->heap_sample ? "Summary (estimated)" : "Summary");

	summary_line(x, "calls");
	term_count(o, t->calls);
	sb_adds(o, " to the malloc family");
	if (t->failed) {
		sb_addf(o, " (%s", c->red);
		term_count(o, t->failed);
		sb_addf(o, " failed%s)", c->reset);
	}
	sb_addc(o, '\n');

	summary_line(x, "allocations");
	term_count(o, t->allocations);
	sb_adds(o, " blocks, ");
	term_bytes(o, t->bytes);
	sb_adds(o, " in total");
	if (t->allocations) {
		sb_adds(o, ", mean ");
		term_bytes(o, t->bytes / t->allocations);
	}
	sb_addc(o, '\n');

	summary_line(x, "frees");
	term_count(o, t->frees);
	sb_adds(o, " blocks");
	if (t->free_null || t->unmatched_frees) {
		sb_adds(o, " (");
		if (t->free_null) {
			sb_adds(o, "+");
			term_count(o, t->free_null);
			sb_adds(o, " free(NULL)");
		}
		if (t->unmatched_frees) {
			if (t->free_null)
				sb_adds(o, ", ");
			term_count(o, t->unmatched_frees);
			sb_adds(o, " of unknown blocks");
		}
		sb_adds(o, ")");
	}
	sb_addc(o, '\n');

	summary_line(x, "peak heap");
	sb_adds(o, c->bold);
	term_bytes(o, t->peak_bytes);
	sb_adds(o, c->reset);
	if (t->peak_event != HEAP_NO_EVENT) {
		sb_adds(o, " in ");
		term_count(o, t->peak_blocks);
		sb_addf(o, " block%s at ", t->peak_blocks == 1 ? "" : "s");
		term_duration(o, t->peak_time);
	}
	sb_addc(o, '\n');

	if (t->peak_rss) {
		summary_line(x, "peak RSS");
		term_bytes(o, t->peak_rss);
		sb_addc(o, '\n');
	}

	summary_line(x, profile_ended_early(x->p) ? "live at end" : "leaked");
	if (t->leaked_blocks)
		sb_adds(o, c->red);
	term_bytes(o, t->leaked_bytes);
	sb_adds(o, " in ");
	term_count(o, t->leaked_blocks);
	sb_addf(o, " block%s%s\n", t->leaked_blocks == 1 ? "" : "s", c->reset);

	summary_line(x, "temporary");
	if (x->p->heap_sample) {
		/* the allocations between a sample and its free are not seen */
		sb_adds(o, "not estimated: samples do not tell them\n");
	} else {
		term_count(o, t->temporary);
		sb_adds(o, " (");
		term_percent(o, t->temporary, t->allocations);
		sb_adds(o, " of allocations) freed before the thread allocated anything else\n");
	}

	summary_line(x, "short-lived");
	term_count(o, t->short_lived);
	sb_adds(o, " (");
	term_percent(o, t->short_lived, t->frees);
	sb_adds(o, " of frees) lived less than ");
	term_duration(o, x->r->short_lived_ns);
	if (t->frees) {
		sb_adds(o, "; mean lifetime ");
		term_duration(o, t->mean_lifetime);
	}
	sb_addc(o, '\n');
}

static void text_calls(struct text *x)
{
	heading(x, "Calls");
	for (int f = 0; f < FN__COUNT; f++) {
		if (!x->r->calls[f])
			continue;
		sb_addf(x->out, "  %-19s", raw_func_name(f));
		cell_count(x, x->r->calls[f], 12);
		if (x->r->failed[f]) {
			sb_addf(x->out, "  %s(", x->c->red);
			term_count(x->out, x->r->failed[f]);
			sb_addf(x->out, " failed)%s", x->c->reset);
		}
		sb_addc(x->out, '\n');
	}
}

static uint32_t limit_of(const struct text *x, size_t n)
{
	return x->o->limit && x->o->limit < n ? x->o->limit : (uint32_t)n;
}

static void shown_of(struct text *x, size_t shown, size_t n)
{
	if (shown < n)
		sb_addf(x->out, " (top %zu of %zu)", shown, n);
}

static void text_peak(struct text *x, uint32_t *idx)
{
	const struct heap_totals *t = &x->r->t;
	if (t->peak_event == HEAP_NO_EVENT)
		return;
	size_t n = heap_sites_sorted(x->r, HEAP_SORT_PEAK, idx), shown = limit_of(x, n);
	sb_addf(x->out, "\n%sPeak heap: ", x->c->bold);
	term_bytes(x->out, t->peak_bytes);
	sb_adds(x->out, " at ");
	term_duration(x->out, t->peak_time);
	sb_addf(x->out, ", held by%s", x->c->reset);
	shown_of(x, shown, n);
	sb_addc(x->out, '\n');
	if (!n) {
		sb_adds(x->out, "  (no site passes the filter)\n");
		return;
	}
	sb_addf(x->out, "%s  %10s %8s %7s  %s%s\n", x->c->dim, "bytes", "blocks", "share", "site",
		x->c->reset);
	for (size_t i = 0; i < shown; i++) {
		const struct heap_site *s = &x->r->sites[idx[i]];
		sb_adds(x->out, "  ");
		cell_bytes(x, s->peak_bytes, 10);
		sb_addc(x->out, ' ');
		cell_count(x, s->peak_blocks, 8);
		sb_addc(x->out, ' ');
		cell_pct(x, s->peak_bytes, t->peak_bytes, 7);
		sb_adds(x->out, "  ");
		site_label(x, s);
		sb_addc(x->out, '\n');
	}
}

static void text_sites(struct text *x, uint32_t *idx)
{
	const struct heap_result *r = x->r;
	enum heap_sort key = x->o->sort;
	size_t n = heap_sites_sorted(r, key, idx), shown = limit_of(x, n);
	sb_addf(x->out, "\n%sTop allocation sites by %s%s", x->c->bold, heap_sort_name(key),
		x->c->reset);
	shown_of(x, shown, n);
	sb_addc(x->out, '\n');
	if (!n) {
		sb_addf(x->out, "  (none%s)\n", r->filtered ? " pass the filter" : "");
		return;
	}
	sb_addf(x->out, "%s  %3s %10s %10s %10s %10s %8s %8s %10s  %s%s\n", x->c->dim, "#",
		"allocs", "bytes", "peak", "leaked", "temp", "short", "lifetime", "site", x->c->reset);
	for (size_t i = 0; i < shown; i++) {
		const struct heap_site *s = &r->sites[idx[i]];
		sb_addf(x->out, "  %3zu ", i + 1);
		cell_count(x, s->allocations, 10);
		sb_addc(x->out, ' ');
		cell_bytes(x, s->bytes, 10);
		sb_addc(x->out, ' ');
		cell_bytes(x, s->peak_bytes, 10);
		sb_addc(x->out, ' ');
		if (s->leaked_bytes)
			sb_adds(x->out, x->c->red);
		cell_bytes(x, s->leaked_bytes, 10);
		sb_adds(x->out, x->c->reset);
		sb_addc(x->out, ' ');
		cell_count(x, s->temporary, 8);
		sb_addc(x->out, ' ');
		cell_count(x, s->short_lived, 8);
		sb_addc(x->out, ' ');
		cell_duration(x, s->mean_lifetime, s->freed != 0, 10);
		sb_adds(x->out, "  ");
		site_label(x, s);
		sb_addc(x->out, '\n');
		site_callers(x, s, "        ");
	}
}

static void text_leaks(struct text *x)
{
	const struct heap_result *r = x->r;
	const struct heap_totals *t = &r->t;
	const struct term_colors *c = x->c;
	const char *what = x->p->flags & PROF_INCOMPLETE ? "Live when the program died" :
			   x->p->exit_kind == EXIT_SIGNAL ? "Live when the program was killed" :
			   x->p->exit_kind == EXIT_EXEC ? "Live at exec" : "Leaks at exit";
	if (!t->leaked_blocks) {
		heading(x, "%s: none", what);
		return;
	}
	sb_addf(x->out, "\n%s%s: %s", c->bold, what, c->red);
	term_bytes(x->out, t->leaked_bytes);
	sb_adds(x->out, " in ");
	term_count(x->out, t->leaked_blocks);
	sb_addf(x->out, " block%s%s%s", t->leaked_blocks == 1 ? "" : "s", c->reset, c->bold);
	if (r->nleaks) {
		sb_adds(x->out, " from ");
		term_count(x->out, r->nleaks);
		sb_addf(x->out, " stack%s", r->nleaks == 1 ? "" : "s");
	}
	sb_adds(x->out, c->reset);
	size_t shown = limit_of(x, r->nleaks);
	shown_of(x, shown, r->nleaks);
	sb_addc(x->out, '\n');
	if (r->filtered && r->nleaks == 0)
		sb_adds(x->out, "  (none pass the filter)\n");
	for (size_t i = 0; i < shown; i++) {
		const struct heap_leak *l = &r->leaks[i];
		const struct heap_site *s = &r->sites[l->site];
		sb_addf(x->out, "  %s", c->red);
		term_bytes(x->out, l->bytes);
		sb_addf(x->out, "%s in ", c->reset);
		term_count(x->out, l->blocks);
		sb_addf(x->out, " block%s allocated at ", l->blocks == 1 ? "" : "s");
		site_label(x, s);
		sb_addc(x->out, '\n');
		print_stack(x, l->stack, s, "      ", 0);
	}
}

static void text_small_lived(struct text *x, uint32_t *idx)
{
	const struct heap_result *r = x->r;
	const struct heap_totals *t = &r->t;
	size_t n = heap_sites_sorted(r, HEAP_SORT_TEMPORARY, idx), shown = limit_of(x, n);
	sb_addf(x->out, "\n%sTemporary allocations: ", x->c->bold);
	term_count(x->out, t->temporary);
	sb_adds(x->out, " of ");
	term_count(x->out, t->allocations);
	sb_adds(x->out, " (");
	term_percent(x->out, t->temporary, t->allocations);
	sb_addf(x->out, ")%s", x->c->reset);
	shown_of(x, shown, n);
	sb_addc(x->out, '\n');
	if (n) {
		sb_addf(x->out, "%s  %10s %7s %10s  %s%s\n", x->c->dim, "temporary", "of site",
			"lifetime", "site", x->c->reset);
		for (size_t i = 0; i < shown; i++) {
			const struct heap_site *s = &r->sites[idx[i]];
			sb_adds(x->out, "  ");
			cell_count(x, s->temporary, 10);
			sb_addc(x->out, ' ');
			cell_pct(x, s->temporary, s->allocations, 7);
			sb_addc(x->out, ' ');
			cell_duration(x, s->mean_lifetime, s->freed != 0, 10);
			sb_adds(x->out, "  ");
			site_label(x, s);
			sb_addc(x->out, '\n');
		}
	}

	n = heap_sites_sorted(r, HEAP_SORT_SHORT_LIVED, idx);
	shown = limit_of(x, n);
	sb_addf(x->out, "\n%sShort-lived allocations (< ", x->c->bold);
	term_duration(x->out, r->short_lived_ns);
	sb_adds(x->out, "): ");
	term_count(x->out, t->short_lived);
	sb_adds(x->out, " of ");
	term_count(x->out, t->frees);
	sb_adds(x->out, " freed (");
	term_percent(x->out, t->short_lived, t->frees);
	sb_addf(x->out, ")%s", x->c->reset);
	shown_of(x, shown, n);
	sb_addc(x->out, '\n');
	if (n) {
		sb_addf(x->out, "%s  %10s %7s %10s  %s%s\n", x->c->dim, "short", "of site",
			"lifetime", "site", x->c->reset);
		for (size_t i = 0; i < shown; i++) {
			const struct heap_site *s = &r->sites[idx[i]];
			sb_adds(x->out, "  ");
			cell_count(x, s->short_lived, 10);
			sb_addc(x->out, ' ');
			cell_pct(x, s->short_lived, s->allocations, 7);
			sb_addc(x->out, ' ');
			cell_duration(x, s->mean_lifetime, s->freed != 0, 10);
			sb_adds(x->out, "  ");
			site_label(x, s);
			sb_addc(x->out, '\n');
		}
	}
}

/* A horizontal bar of frac * width columns, in eighths with Unicode. */
static void bar(struct text *x, double frac, unsigned width)
{
	static const char *const eighths[] = { "", "▏", "▎", "▍", "▌", "▋", "▊", "▉" };
	if (frac < 0)
		frac = 0;
	if (frac > 1)
		frac = 1;
	unsigned units = (unsigned)(frac * width * 8 + 0.5), used = 0;
	if (!units && frac > 0)
		units = 1;   /* a nonzero bucket is never invisible */
	if (x->o->ascii) {
		unsigned cols = (units + 7) / 8;
		for (; used < cols; used++)
			sb_addc(x->out, '#');
	} else {
		for (; units >= 8; units -= 8, used++)
			sb_adds(x->out, "█");
		if (units) {
			sb_adds(x->out, eighths[units]);
			used++;
		}
	}
}

static void hist_label(struct strbuf *sb, const struct heap_bucket *b, int k)
{
	if (k <= 1) {
		sb_addf(sb, "%llu B", (unsigned long long)b->lo);
	} else if (b->hi < 1024) {
		sb_addf(sb, "%llu-%llu B", (unsigned long long)b->lo, (unsigned long long)b->hi);
	} else {
		/* powers of two print exactly: "1-2 KiB", "512 KiB-1 MiB" */
		static const char *const units[] = { "KiB", "MiB", "GiB", "TiB", "PiB", "EiB" };
		unsigned lo_shift = (unsigned)k - 1, hi_shift = (unsigned)k;
		unsigned lu = lo_shift / 10, hu = hi_shift / 10;
		if (lu == 0)
			sb_addf(sb, "%llu B-", 1ull << lo_shift);
		else if (lu == hu)
			sb_addf(sb, "%llu-", 1ull << (lo_shift - lu * 10));
		else
			sb_addf(sb, "%llu %s-", 1ull << (lo_shift - lu * 10), units[lu - 1]);
		if (hu > 6)
			sb_adds(sb, "16 EiB");
		else
			sb_addf(sb, "%llu %s", 1ull << (hi_shift - hu * 10), units[hu - 1]);
	}
}

static void text_hist(struct text *x)
{
	const struct heap_result *r = x->r;
	int lo = -1, hi = -1;
	uint64_t maxc = 0, total = 0;
	for (int k = 0; k < HEAP_NBUCKETS; k++) {
		if (!r->hist[k].count)
			continue;
		if (lo < 0)
			lo = k;
		hi = k;
		total += r->hist[k].count;
		if (r->hist[k].count > maxc)
			maxc = r->hist[k].count;
	}
	heading(x, "Allocation sizes");
	if (lo < 0) {
		sb_adds(x->out, "  (no allocations)\n");
		return;
	}
	sb_addf(x->out, "%s  %-16s %10s %7s %10s  %s%s\n", x->c->dim, "requested", "allocs",
		"share", "bytes", "allocs", x->c->reset);
	for (int k = lo; k <= hi; k++) {
		const struct heap_bucket *b = &r->hist[k];
		sb_reset(&x->cell);
		hist_label(&x->cell, b, k);
		sb_adds(x->out, "  ");
		term_pad(x->out, sb_str(&x->cell), 16, false);
		sb_addc(x->out, ' ');
		cell_count(x, b->count, 10);
		sb_addc(x->out, ' ');
		cell_pct(x, b->count, total, 7);
		sb_addc(x->out, ' ');
		cell_bytes(x, b->bytes, 10);
		sb_addf(x->out, "  %s", x->c->green);
		bar(x, (double)b->count / (double)maxc, 30);
		sb_addf(x->out, "%s\n", x->c->reset);
	}
}

static void text_modules(struct text *x)
{
	const struct heap_result *r = x->r;
	heading(x, "Modules (of the allocation site)");
	if (!r->nmodules) {
		sb_adds(x->out, "  (no allocations)\n");
		return;
	}
	unsigned w = 20;
	for (size_t i = 0; i < r->nmodules; i++) {
		unsigned l = term_width(term_safe(r->modules[i].name)) + (r->modules[i].is_main ? 13 : 0);
		if (l > w)
			w = l > 60 ? 60 : l;
	}
	sb_addf(x->out, "%s  %-*s %10s %7s %10s %7s %10s%s\n", x->c->dim, (int)w, "module",
		"allocs", "share", "bytes", "share", "leaked", x->c->reset);
	for (size_t i = 0; i < r->nmodules; i++) {
		const struct heap_module_stat *m = &r->modules[i];
		sb_reset(&x->cell);
		term_esc(&x->cell, m->name);
		if (m->is_main)
			sb_adds(&x->cell, " (executable)");
		sb_adds(x->out, "  ");
		term_pad(x->out, sb_str(&x->cell), w, false);
		sb_addc(x->out, ' ');
		cell_count(x, m->allocations, 10);
		sb_addc(x->out, ' ');
		cell_pct(x, m->allocations, r->filtered_allocations, 7);
		sb_addc(x->out, ' ');
		cell_bytes(x, m->bytes, 10);
		sb_addc(x->out, ' ');
		cell_pct(x, m->bytes, r->filtered_bytes, 7);
		sb_addc(x->out, ' ');
		if (m->leaked_bytes)
			sb_adds(x->out, x->c->red);
		cell_bytes(x, m->leaked_bytes, 10);
		sb_addf(x->out, "%s\n", x->c->reset);
	}
}

/* Max of a step function (points sorted by time) over each of w columns. */
static void columns(const struct heap_point *pts, size_t n, uint64_t end, unsigned w,
		    uint64_t *col)
{
	size_t i = 0;
	uint64_t cur = 0;
	for (unsigned c = 0; c < w; c++) {
		uint64_t hi = (uint64_t)((double)end * (c + 1) / w);
		uint64_t m = cur;
		while (i < n && (pts[i].time < hi || (c == w - 1 && pts[i].time <= end))) {
			cur = pts[i].bytes;
			if (cur > m)
				m = cur;
			i++;
		}
		col[c] = m;
	}
}

static void sparkline(struct text *x, const char *label, const struct heap_point *pts, size_t n)
{
	enum { W = 60 };
	static const char *const blocks[] = { " ", "▁", "▂", "▃", "▄", "▅", "▆", "▇", "█" };
	static const char ascii[] = " .:-=+*#%@";
	uint64_t col[W], max = 0;
	uint64_t end = x->r->t.end_time ? x->r->t.end_time : 1;
	columns(pts, n, end, W, col);
	for (unsigned c = 0; c < W; c++)
		if (col[c] > max)
			max = col[c];
	sb_addf(x->out, "  %-5s %s|", label, x->c->green);
	for (unsigned c = 0; c < W; c++) {
		if (x->o->ascii) {
			unsigned lv = max ? (unsigned)((col[c] * 9 + max - 1) / max) : 0;
			sb_addc(x->out, ascii[lv > 9 ? 9 : lv]);
		} else {
			unsigned lv = max ? (unsigned)((col[c] * 8 + max - 1) / max) : 0;
			sb_adds(x->out, blocks[lv > 8 ? 8 : lv]);
		}
	}
	sb_addf(x->out, "|%s max ", x->c->reset);
	term_bytes(x->out, max);
	sb_addc(x->out, '\n');
}

static void text_timeline(struct text *x)
{
	const struct heap_result *r = x->r;
	if (!r->t.allocations)
		return;
	heading(x, "Memory over time");
	sparkline(x, "heap", r->timeline, r->ntimeline);
	if (r->nrss)
		sparkline(x, "rss", r->rss, r->nrss);
	sb_reset(&x->cell);
	term_duration(&x->cell, r->t.end_time);
	sb_addf(x->out, "  %-5s  0", "");
	for (unsigned i = 1 + term_width(sb_str(&x->cell)); i < 60; i++)
		sb_addc(x->out, ' ');
	sb_addf(x->out, "%s\n", sb_str(&x->cell));
}

void report_heap_text(struct strbuf *out, const struct heap_result *r,
		      const struct report_options *o)
{
	struct text x = { out, r, r->p, o, term_colors(o->color), STRBUF_INIT, { 0 } };
	text_header(&x);
	if (!r->t.calls) {
		sb_addf(out, "\n  no heap events recorded%s\n",
			x.p->flags & PROF_HEAP ? "" : " (record with `scorch heap -- PROGRAM`)");
		sb_release(&x.cell);
		arena_release(&x.names);
		return;
	}
	uint32_t *idx = xmalloc((r->nsites ? r->nsites : 1) * sizeof(*idx));
	text_summary(&x);
	text_calls(&x);
	text_peak(&x, idx);
	text_sites(&x, idx);
	text_leaks(&x);
	text_small_lived(&x, idx);
	text_hist(&x);
	text_modules(&x);
	text_timeline(&x);
	free(idx);
	sb_release(&x.cell);
	arena_release(&x.names);
}

/* ---- JSON ---- */

static void json_hex(struct json *w, const char *key, uint64_t v)
{
	char buf[32];
	snprintf(buf, sizeof(buf), "0x%llx", (unsigned long long)v);
	json_str(w, key, buf);
}

/* "function_short": demangle_short()'s form of "function", the name the
 * text report shows by default; the name itself when it has none. */
static void j_short(struct json *j, const char *key, const char *name)
{
	struct arena a = { 0 };
	const char *s = name ? demangle_short(name, &a) : NULL;
	json_str(j, key, s ? s : name);
	arena_release(&a);
}

struct json_frames {
	struct json *w;
	const struct sc_profile *p;
	struct strbuf name;
};

static void json_frame(void *ctx, const struct sc_location *loc, const struct sc_line *ln,
		       unsigned idx)
{
	struct json_frames *f = ctx;
	struct json *w = f->w;
	sb_reset(&f->name);
	heap_frame_name(f->p, loc, ln, &f->name);
	json_open_obj_as(w, NULL, JSON_INLINE);
	json_str(w, "function", sb_str(&f->name));
	j_short(w, "function_short", sb_str(&f->name));
	json_str(w, "file", ln && ln->file ? ln->file : "");
	json_u64(w, "line", ln ? ln->line : 0);
	json_str(w, "module", module_name(f->p, loc->module));
	json_hex(w, "address", loc->addr);
	json_bool(w, "inlined", ln && ln->inlined);
	json_close_obj(w);
}

static void json_stack(struct json *w, const struct sc_profile *p, uint32_t s)
{
	struct json_frames f = { w, p, STRBUF_INIT };
	json_open_arr_as(w, "stack", JSON_BLOCK);
	each_frame(p, s, json_frame, &f);
	json_close_arr(w);
	sb_release(&f.name);
}

static void json_site_id(struct json *w, const struct sc_profile *p, const struct heap_site *s)
{
	json_str(w, "function", s->func);
	j_short(w, "function_short", s->func);
	json_str(w, "file", s->file);
	json_u64(w, "line", s->line);
	json_str(w, "module", module_name(p, s->module));
}

/* The members of one profile object (open in w), heap part. */
static void json_profile(struct json *w, const struct heap_result *r, const struct report_options *o)
{
	const struct sc_profile *p = r->p;
	const struct heap_totals *t = &r->t;
	json_str(w, "file", o->file);

	json_open_obj_as(w, "program", JSON_BLOCK);
	json_str(w, "exe", p->exe);
	json_str(w, "cmdline", p->cmdline);
	json_open_arr_as(w, "argv", JSON_INLINE);
	for (uint32_t i = 0; i < p->argc && p->argv; i++)
		json_str(w, NULL, p->argv[i]);
	json_close_arr(w);
	json_u64(w, "pid", p->pid);
	json_u64(w, "ppid", p->ppid);
	json_str(w, "host", p->host);
	json_str(w, "scorch_version", p->scorch_version);
	json_u64(w, "format_version", p->version);
	json_u64(w, "start_wall_ns", p->start_wall);
	json_u64(w, "duration_ns", p->duration);
	json_u64(w, "depth", p->depth);
	json_open_obj_as(w, "exit", JSON_INLINE);
	json_str(w, "kind", exit_kind_name(p->exit_kind));
	json_i64(w, "value", p->exit_value);
	json_close_obj(w);
	json_bool(w, "heap_recorded", p->flags & PROF_HEAP);
	/* sampled: every heap figure of the document is an estimate */
	json_bool(w, "heap_estimated", p->heap_sample != 0);
	json_u64(w, "heap_sample_bytes", p->heap_sample);
	json_u64(w, "heap_sampled_events", p->heap_sample ? sc_events_count(p) : 0);
	json_bool(w, "incomplete", p->flags & PROF_INCOMPLETE);
	json_bool(w, "truncated", p->flags & PROF_TRUNCATED);
	json_u64(w, "lost_chunks", p->lost_chunks);
	json_u64(w, "lost_bytes", p->lost_bytes);
	json_u64(w, "lost_events", p->lost_events);
	json_open_arr_as(w, "threads", JSON_BLOCK);
	for (size_t i = 0; i < p->nthreads; i++) {
		json_open_obj_as(w, NULL, JSON_INLINE);
		json_u64(w, "tid", p->threads[i].tid);
		json_str(w, "name", p->threads[i].name);
		json_u64(w, "start_ns", p->threads[i].start);
		json_u64(w, "end_ns", p->threads[i].end);
		json_close_obj(w);
	}
	json_close_arr(w);
	json_close_obj(w);
	json_open_arr_as(w, "notes", JSON_BLOCK);
	for (size_t i = 0; i < p->nnotes; i++) {
		const struct sc_note *n = &p->notes[i];
		struct strbuf msg = STRBUF_INIT;
		note_describe(&msg, n, false);
		json_open_obj_as(w, NULL, JSON_INLINE);
		json_str(w, "kind", note_kind_name(n->kind));
		json_u64(w, "pid", n->pid);
		json_str(w, "path", n->path);
		json_str(w, "detail", n->detail);
		json_str(w, "message", sb_str(&msg));
		json_close_obj(w);
		sb_release(&msg);
	}
	json_close_arr(w);

	json_open_obj_as(w, "options", JSON_INLINE);
	json_str(w, "sort", heap_sort_name(o->sort));
	json_u64(w, "limit", o->limit);
	json_str(w, "filter", r->filtered ? o->filter : NULL);
	json_u64(w, "short_lived_ns", r->short_lived_ns);
	json_close_obj(w);

	json_open_obj_as(w, "totals", JSON_BLOCK);
	json_u64(w, "calls", t->calls);
	json_u64(w, "allocations", t->allocations);
	json_u64(w, "failed", t->failed);
	json_u64(w, "frees", t->frees);
	json_u64(w, "free_null", t->free_null);
	json_u64(w, "unmatched_frees", t->unmatched_frees);
	json_u64(w, "bytes", t->bytes);
	json_u64(w, "peak_bytes", t->peak_bytes);
	json_u64(w, "peak_blocks", t->peak_blocks);
	json_u64(w, "peak_time_ns", t->peak_time);
	json_u64(w, "leaked_bytes", t->leaked_bytes);
	json_u64(w, "leaked_blocks", t->leaked_blocks);
	json_u64(w, "temporary", t->temporary);
	json_u64(w, "short_lived", t->short_lived);
	json_u64(w, "mean_lifetime_ns", t->mean_lifetime);
	json_u64(w, "end_time_ns", t->end_time);
	json_u64(w, "peak_rss_bytes", t->peak_rss);
	json_u64(w, "filtered_allocations", r->filtered_allocations);
	json_u64(w, "filtered_bytes", r->filtered_bytes);
	json_close_obj(w);

	json_open_arr_as(w, "calls", JSON_BLOCK);
	for (int f = 0; f < FN__COUNT; f++) {
		if (f == FN_REALLOC_MOVE)
			continue;
		json_open_obj_as(w, NULL, JSON_INLINE);
		json_str(w, "function", raw_func_name(f));
		json_u64(w, "calls", r->calls[f]);
		json_u64(w, "failed", r->failed[f]);
		json_close_obj(w);
	}
	json_close_arr(w);

	uint32_t *idx = xmalloc((r->nsites ? r->nsites : 1) * sizeof(*idx));
	size_t n = heap_sites_sorted(r, o->sort, idx);
	size_t shown = o->limit && o->limit < n ? o->limit : n;
	json_u64(w, "sites_total", n);
	json_open_arr_as(w, "sites", JSON_BLOCK);
	for (size_t i = 0; i < shown; i++) {
		const struct heap_site *s = &r->sites[idx[i]];
		json_open_obj_as(w, NULL, JSON_BLOCK);
		json_u64(w, "rank", i + 1);
		json_site_id(w, p, s);
		json_u64(w, "allocations", s->allocations);
		json_u64(w, "bytes", s->bytes);
		json_u64(w, "peak_bytes", s->peak_bytes);
		json_u64(w, "peak_blocks", s->peak_blocks);
		json_u64(w, "leaked_bytes", s->leaked_bytes);
		json_u64(w, "leaked_blocks", s->leaked_blocks);
		json_u64(w, "temporary", s->temporary);
		json_u64(w, "short_lived", s->short_lived);
		json_u64(w, "freed", s->freed);
		json_u64(w, "mean_lifetime_ns", s->mean_lifetime);
		json_u64(w, "max_live_bytes", s->max_live);
		json_stack(w, p, s->stack);
		json_close_obj(w);
	}
	json_close_arr(w);

	json_open_obj_as(w, "peak", JSON_BLOCK);
	json_u64(w, "time_ns", t->peak_time);
	json_u64(w, "bytes", t->peak_bytes);
	json_u64(w, "blocks", t->peak_blocks);
	n = heap_sites_sorted(r, HEAP_SORT_PEAK, idx);
	shown = o->limit && o->limit < n ? o->limit : n;
	json_u64(w, "sites_total", n);
	json_open_arr_as(w, "sites", JSON_BLOCK);
	for (size_t i = 0; i < shown; i++) {
		const struct heap_site *s = &r->sites[idx[i]];
		json_open_obj_as(w, NULL, JSON_INLINE);
		json_site_id(w, p, s);
		json_u64(w, "bytes", s->peak_bytes);
		json_u64(w, "blocks", s->peak_blocks);
		json_close_obj(w);
	}
	json_close_arr(w);
	json_close_obj(w);
	free(idx);

	json_open_obj_as(w, "leaks", JSON_BLOCK);
	json_u64(w, "bytes", t->leaked_bytes);
	json_u64(w, "blocks", t->leaked_blocks);
	json_u64(w, "stacks_total", r->nleaks);
	shown = o->limit && o->limit < r->nleaks ? o->limit : r->nleaks;
	json_open_arr_as(w, "stacks", JSON_BLOCK);
	for (size_t i = 0; i < shown; i++) {
		const struct heap_leak *l = &r->leaks[i];
		json_open_obj_as(w, NULL, JSON_BLOCK);
		json_u64(w, "bytes", l->bytes);
		json_u64(w, "blocks", l->blocks);
		json_site_id(w, p, &r->sites[l->site]);
		json_stack(w, p, l->stack);
		json_close_obj(w);
	}
	json_close_arr(w);
	json_close_obj(w);

	json_open_arr_as(w, "histogram", JSON_BLOCK);
	for (int k = 0; k < HEAP_NBUCKETS; k++) {
		if (!r->hist[k].count)
			continue;
		json_open_obj_as(w, NULL, JSON_INLINE);
		json_u64(w, "min", r->hist[k].lo);
		json_u64(w, "max", r->hist[k].hi);
		json_u64(w, "count", r->hist[k].count);
		json_u64(w, "bytes", r->hist[k].bytes);
		json_close_obj(w);
	}
	json_close_arr(w);

	json_open_arr_as(w, "modules", JSON_BLOCK);
	for (size_t i = 0; i < r->nmodules; i++) {
		const struct heap_module_stat *m = &r->modules[i];
		json_open_obj_as(w, NULL, JSON_INLINE);
		json_str(w, "name", m->name);
		json_str(w, "path", m->module >= 0 ? p->modules[m->module].path : NULL);
		json_bool(w, "main", m->is_main);
		json_u64(w, "allocations", m->allocations);
		json_u64(w, "bytes", m->bytes);
		json_u64(w, "leaked_bytes", m->leaked_bytes);
		json_u64(w, "leaked_blocks", m->leaked_blocks);
		json_close_obj(w);
	}
	json_close_arr(w);

	json_open_obj_as(w, "timeline", JSON_BLOCK);
	json_open_arr_as(w, "heap", JSON_INLINE);
	for (size_t i = 0; i < r->ntimeline; i++) {
		json_open_arr_as(w, NULL, JSON_INLINE);
		json_u64(w, NULL, r->timeline[i].time);
		json_u64(w, NULL, r->timeline[i].bytes);
		json_close_arr(w);
	}
	json_close_arr(w);
	json_open_arr_as(w, "rss", JSON_INLINE);
	for (size_t i = 0; i < r->nrss; i++) {
		json_open_arr_as(w, NULL, JSON_INLINE);
		json_u64(w, NULL, r->rss[i].time);
		json_u64(w, NULL, r->rss[i].bytes);
		json_close_arr(w);
	}
	json_close_arr(w);
	json_close_obj(w);
}

void report_heap_json(struct strbuf *out, const struct heap_result *r,
		      const struct report_options *o)
{
	struct json w;
	json_init_ex(&w, NULL, out, 0, JSON_SPACES, 0);
	json_open_obj_as(&w, NULL, JSON_BLOCK);
	json_profile(&w, r, o);
	json_close_obj(&w);
	json_end(&w);
}

void report_json_init(struct report_json_doc *d, FILE *f, struct strbuf *sb)
{
	memset(d, 0, sizeof(*d));
	struct json *w = &d->j;
	json_init_ex(w, f, sb, 0, JSON_SPACES, 0);
	json_open_obj_as(w, NULL, JSON_BLOCK);
	json_u64(w, "schema_version", REPORT_JSON_SCHEMA_VERSION);
	json_str(w, "generator", "scorch " SCORCH_VERSION);
	json_open_arr_as(w, "profiles", JSON_BLOCK);
}

void report_json_add(struct report_json_doc *d, const struct heap_result *r,
		     const struct report_options *o, const struct cpu_result *cr,
		     const struct cpu_report_options *co)
{
	struct json *w = &d->j;
	json_open_obj_as(w, NULL, JSON_BLOCK);
	json_profile(w, r, o);
	if (cr)
		report_cpu_json_member(w, "cpu", cr, co);
	json_close_obj(w);
}

void report_json_add_error(struct report_json_doc *d, const char *file, const char *message)
{
	/* NUL-terminated pairs, written after "profiles" */
	sb_add(&d->errors, file ? file : "", strlen(file ? file : "") + 1);
	sb_add(&d->errors, message ? message : "", strlen(message ? message : "") + 1);
}

int report_json_finish(struct report_json_doc *d)
{
	struct json *w = &d->j;
	json_close_arr(w);
	json_open_arr_as(w, "errors", JSON_BLOCK);
	for (size_t at = 0; at < d->errors.len;) {
		const char *file = d->errors.buf + at;
		const char *message = file + strlen(file) + 1;
		at = (size_t)(message + strlen(message) + 1 - d->errors.buf);
		json_open_obj_as(w, NULL, JSON_INLINE);
		json_str(w, "file", file);
		json_str(w, "message", message);
		json_close_obj(w);
	}
	json_close_arr(w);
	json_close_obj(w);
	sb_release(&d->errors);
	return json_end(w);
}
