/* Text and JSON CPU reports: a walk over a cpu_result and its profile. The
 * text is made for a terminal (aligned tables, tree glyphs, colors on
 * demand); the JSON follows docs/json.md: integers only, samples and ns. */
#include "report-cpu.h"

#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../analysis/demangle.h"
#include "../analysis/merge.h"
#include "../lib/die.h"
#include "notes.h"
#include "report-heap.h"
#include "term.h"

/* ---- shared helpers ---- */

static const char *module_name(const struct sc_profile *p, int32_t m)
{
	if (m < 0 || (size_t)m >= p->nmodules || !p->modules[m].name)
		return NULL;
	return p->modules[m].name;
}

/* For the text: escaped for the terminal (term_safe()). */
static const char *thread_name(const struct sc_profile *p, uint32_t t)
{
	if (t == CPU_NONE || t >= p->nthreads)
		return "[unknown thread]";
	return p->threads[t].name && *p->threads[t].name ? term_safe(p->threads[t].name) : "?";
}

static uint32_t thread_tid(const struct sc_profile *p, uint32_t t)
{
	return t == CPU_NONE || t >= p->nthreads ? 0 : p->threads[t].tid;
}

/* "998.7 Hz", "1,000.0 Hz" */
static void add_hz(struct strbuf *sb, double hz)
{
	uint64_t tenths = (uint64_t)(hz * 10 + 0.5);
	term_count(sb, tenths / 10);
	sb_addf(sb, ".%u Hz", (unsigned)(tenths % 10));
}

static size_t limited(uint32_t limit, size_t n)
{
	return limit && limit < n ? limit : n;
}

/* node.total >= permille / 1000 of base (base 0 keeps nothing) */
static bool big_enough(uint64_t v, uint64_t base, unsigned permille)
{
	return base && v * 1000 >= base * (uint64_t)permille;
}

/* ---- text ---- */

struct text {
	struct strbuf *out;
	const struct cpu_result *r;
	const struct sc_profile *p;
	const struct cpu_report_options *o;
	const struct term_colors *c;
	uint64_t base;              /* cpu_amount() of the selected threads' samples: 100% */
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
	sb_adds(x->out, x->c->reset);
}

static void cell_pct(struct text *x, uint64_t part, unsigned w)
{
	sb_reset(&x->cell);
	term_percent(&x->cell, part, x->base);
	term_pad(x->out, sb_str(&x->cell), w, true);
}

static void cell_count(struct text *x, uint64_t v, unsigned w)
{
	sb_reset(&x->cell);
	term_count(&x->cell, v);
	term_pad(x->out, sb_str(&x->cell), w, true);
}

/* "name at file:line (module) [inlined]", colored; where = with the position. */
static void func_label(struct text *x, const struct cpu_func *f, bool where)
{
	const struct term_colors *c = x->c;
	sb_addf(x->out, "%s%s%s", c->cyan, term_safe(shown_name(x, f->name)), c->reset);
	if (where && f->file[0]) {
		sb_addf(x->out, " %sat %s", c->dim, term_safe(f->file));
		if (f->line)
			sb_addf(x->out, ":%u", f->line);
		sb_adds(x->out, c->reset);
	}
	/* "[lib.so+0x12]" and "lib.so+0x12" already name their module */
	const char *m = module_name(x->p, f->module);
	size_t ml = m ? strlen(m) : 0;
	if (m && f->name[0] != '[' && !(!strncmp(f->name, m, ml) && f->name[ml] == '+'))
		sb_addf(x->out, " %s(%s)%s", c->dim, term_safe(m), c->reset);
	if (f->inlined)
		sb_addf(x->out, " %s[inlined]%s", c->magenta, c->reset);
}

static const char *exit_note(struct text *x)
{
	const struct sc_profile *p = x->p;
	switch (p->exit_kind) {
	case EXIT_NORMAL:
		sb_reset(&x->cell);
		sb_addf(&x->cell, ", exited with status %d", p->exit_value);
		return sb_str(&x->cell);
	case EXIT_SIGNAL: {
		const char *d = strsignal(p->exit_value);
		sb_reset(&x->cell);
		sb_addf(&x->cell, ", %skilled by signal %d (%s)%s", x->c->red, p->exit_value,
			d ? d : "?", x->c->reset);
		return sb_str(&x->cell);
	}
	case EXIT_EXEC:
		return ", image replaced by exec";
	default:
		return ", exit status unknown";
	}
}

static void text_header(struct text *x)
{
	const struct sc_profile *p = x->p;
	const struct cpu_result *r = x->r;
	const struct cpu_totals *t = &r->t;
	const struct term_colors *c = x->c;
	struct strbuf *o = x->out;
	const char *prog = p->exe && *p->exe ? term_safe(p->exe) : "?";
	/* a wall profile that mostly waited is a report of wall time */
	sb_addf(o, "%sscorch %s report: %s (pid %u)%s\n", c->bold,
		r->wall && profile_mostly_offcpu(p) ? "wall-time" : "cpu", prog, p->pid, c->reset);
	if (x->o->file)
		sb_addf(o, "  file      %s\n", term_safe(x->o->file));
	if (p->nparts > 1)   /* analysis/merge.h */
		sb_addf(o, "  run       %zu profiles merged, each process a top frame\n", p->nparts);
	if (p->cmdline && *p->cmdline)
		sb_addf(o, "  command   %s\n", term_safe(p->cmdline));
	if (p->start_wall || (p->host && *p->host)) {
		sb_adds(o, "  recorded ");
		if (p->start_wall) {
			time_t secs = (time_t)(p->start_wall / 1000000000ull);
			struct tm tm;
			char when[64];
			if (gmtime_r(&secs, &tm) && strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S UTC", &tm))
				sb_addf(o, " %s", when);
		}
		if (p->host && *p->host)
			sb_addf(o, " on %s", term_safe(p->host));
		if (p->scorch_version && *p->scorch_version)
			sb_addf(o, ", scorch %s", term_safe(p->scorch_version));
		sb_addc(o, '\n');
	}
	sb_adds(o, "  duration  ");
	term_duration(o, p->duration);
	sb_adds(o, exit_note(x));
	sb_addc(o, '\n');

	sb_addf(o, "  sampling  %s", p->sample_source && *p->sample_source ? term_safe(p->sample_source) : "unknown source");
	if (r->wall)
		sb_adds(o, ", wall clock (on- and off-CPU)");
	if (p->sample_hz) {
		sb_adds(o, ", ");
		term_count(o, p->sample_hz);
		sb_adds(o, " Hz requested");
	}
	if (t->achieved_from_cpu_time) {
		sb_addf(o, ", %s", c->bold);
		add_hz(o, t->achieved_hz);
		sb_addf(o, " achieved%s (", c->reset);
		term_count(o, t->oncpu_all);
		sb_addf(o, " %ssample%s in ", r->wall ? "on-CPU " : "", t->oncpu_all == 1 ? "" : "s");
		term_duration(o, p->cpu_time_ns);
		sb_adds(o, " of process CPU time)");
	} else if (t->achieved_hz > 0) {
		const struct cpu_thread *b = &r->threads[t->busiest];
		sb_addf(o, ", %s", c->bold);
		add_hz(o, t->achieved_hz);
		sb_addf(o, " achieved%s (busiest thread %s (%u): ", c->reset,
			thread_name(p, b->thread), thread_tid(p, b->thread));
		term_count(o, b->total.samples);
		sb_adds(o, " samples in ");
		term_duration(o, b->last - b->first);
		sb_adds(o, ")");
	}
	sb_addc(o, '\n');
	if (p->perf_errno) {
		sb_adds(o, "  note      ");
		cpu_refusal_note(o, p->perf_errno);
		sb_addc(o, '\n');
	}

	sb_adds(o, "  samples   ");
	term_count(o, t->total.samples);
	sb_adds(o, " (");
	term_duration(o, t->total.ns);
	sb_addf(o, " of %s time)", r->wall ? "wall" : "CPU");
	if (r->wall) {
		sb_adds(o, ": ");
		term_count(o, t->total.samples - t->offcpu.samples);
		sb_adds(o, " on-CPU (");
		term_percent(o, cpu_amount(t, &t->total) - cpu_amount(t, &t->offcpu), cpu_amount(t, &t->total));
		sb_adds(o, "), ");
		term_count(o, t->offcpu.samples);
		sb_adds(o, " off-CPU (");
		term_percent(o, cpu_amount(t, &t->offcpu), cpu_amount(t, &t->total));
		sb_adds(o, ")");
	}
	if (r->thread_selected && t->all_samples != t->total.samples) {
		sb_adds(o, ", of ");
		term_count(o, t->all_samples);
		sb_adds(o, " in the process");
	}
	sb_addc(o, '\n');
	if (p->leaf_only_samples) {
		sb_adds(o, "  note      ");
		term_count(o, p->leaf_only_samples);
		sb_addf(o, " sample%s of the process recorded with the interrupted function alone: its stack "
			"could not be unwound without a lock the program may hold (the C library lacks "
			"_dl_find_object, glibc 2.35+)\n", p->leaf_only_samples == 1 ? "" : "s");
	}

	if (r->nthreads) {
		sb_addf(o, "  threads   %u sampled", t->threads_sampled);
		if (p->nthreads && !r->thread_selected)
			sb_addf(o, " of %zu", p->nthreads);
		sb_adds(o, ":");
		for (size_t i = 0; i < r->nthreads && i < 8; i++) {
			const struct cpu_thread *th = &r->threads[i];
			sb_addf(o, "%s %s (%u) ", i ? "," : "", thread_name(p, th->thread),
				thread_tid(p, th->thread));
			term_percent(o, cpu_amount(t, &th->total), x->base);
		}
		if (r->nthreads > 8)
			sb_addf(o, ", ... %zu more", r->nthreads - 8);
		if (!x->o->threads && r->nthreads > 1)
			sb_addf(o, " %s(--threads for the breakdown)%s", c->dim, c->reset);
		sb_addc(o, '\n');
	}
	if (r->thread_selected)
		sb_addf(o, "  thread    %s'%s'%s: only the samples of %u thread%s\n", c->yellow,
			x->o->thread ? term_safe(x->o->thread) : "?", c->reset, t->threads_selected,
			t->threads_selected == 1 ? "" : "s");
	if (r->filtered) {
		sb_addf(o, "  filter    %s'%s'%s: the views count only samples whose stack matches (",
			c->yellow, x->o->filter ? term_safe(x->o->filter) : "?", c->reset);
		term_count(o, t->matched.samples);
		sb_adds(o, " = ");
		term_percent(o, cpu_amount(t, &t->matched), x->base);
		sb_adds(o, "); percentages are of all ");
		term_count(o, t->total.samples);
		sb_adds(o, " samples\n");
	}
	if (p->flags & PROF_HEAP)
		sb_addf(o, "%s%swarning: heap tracking was on:%s%s every allocation ran scorch's "
			"hooks, which inflates the CPU figures of allocation-heavy code; record "
			"without --heap for exact CPU figures%s\n",
			c->bold, c->yellow, c->reset, c->yellow, c->reset);
	if (p->flags & PROF_STALE)
		sb_addf(o, "%s%swarning:%s%s a binary or library changed on disk while the program ran "
			"(its build id differs): its frames are named by module and offset%s\n",
			c->bold, c->yellow, c->reset, c->yellow, c->reset);
	notes_text(o, p, "", c);
	report_lost_events(o, p, "", c);
	if (p->flags & PROF_INCOMPLETE)
		sb_addf(o, "%s%swarning: INCOMPLETE profile:%s%s the program ended without "
			"scorch's final flush (killed?); the last samples of each thread may be "
			"missing%s\n", c->bold, c->yellow, c->reset, c->yellow, c->reset);
	if ((p->flags & PROF_TRUNCATED) || p->lost_chunks) {
		sb_addf(o, "%s%swarning: TRUNCATED profile:%s%s ", c->bold, c->yellow, c->reset,
			c->yellow);
		if (p->lost_chunks) {
			term_count(o, p->lost_chunks);
			sb_addf(o, " chunk%s (", p->lost_chunks == 1 ? "" : "s");
			term_bytes(o, p->lost_bytes);
			sb_adds(o, ") of records were lost");
		} else {
			sb_adds(o, "the end of the recording was cut off");
		}
		sb_addf(o, "; sample counts are lower bounds%s\n", c->reset);
	}
}

static void shown_of(struct text *x, size_t shown, size_t n)
{
	if (shown < n)
		sb_addf(x->out, " (top %zu of %zu)", shown, n);
}

static void text_top(struct text *x, uint32_t *idx, enum cpu_sort key)
{
	const struct cpu_result *r = x->r;
	size_t n = cpu_funcs_sorted(r, key, idx), shown = limited(x->o->limit, n);
	bool self = key == CPU_SORT_SELF;
	heading(x, "Top functions by %s", self ? "self" : "total");
	shown_of(x, shown, n);
	if (r->wall)   /* blocked time: the [off-CPU] leaf (o->marked) */
		sb_addf(x->out, "%s  %s\n", x->c->dim,
			self ? "(wall-time samples where the function itself was running; "
			       "[off-CPU]: blocked, below the function that blocked)" :
			       "(wall-time samples with the function anywhere on the stack, "
			       "on- and off-CPU)");
	else
		sb_addf(x->out, "%s  %s\n", x->c->dim,
			self ? "(samples where the function itself was running)" :
			       "(samples with the function anywhere on the stack)");
	sb_adds(x->out, x->c->reset);
	if (!n) {
		sb_addf(x->out, "  (none%s)\n", r->filtered ? " pass the filter" : "");
		return;
	}
	sb_addf(x->out, "%s  %7s %7s %10s  %s%s\n", x->c->dim, "self", "total", "samples",
		"function", x->c->reset);
	for (size_t i = 0; i < shown; i++) {
		const struct cpu_func *f = &r->funcs[idx[i]];
		sb_adds(x->out, "  ");
		if (self)
			sb_adds(x->out, x->c->bold);
		cell_pct(x, cpu_amount(&x->r->t, &f->self), 7);
		sb_adds(x->out, x->c->reset);
		sb_addc(x->out, ' ');
		if (!self)
			sb_adds(x->out, x->c->bold);
		cell_pct(x, cpu_amount(&x->r->t, &f->total), 7);
		sb_adds(x->out, x->c->reset);
		sb_addc(x->out, ' ');
		cell_count(x, self ? f->self.samples : f->total.samples, 10);
		sb_adds(x->out, "  ");
		func_label(x, f, true);
		sb_addc(x->out, '\n');
	}
}

/* Tree glyphs: branch, last branch, continuation, blank. */
struct glyphs {
	const char *tee, *ell, *bar, *gap;
};

static const struct glyphs *glyphs(const struct text *x)
{
	static const struct glyphs uni = { "├─ ", "└─ ", "│  ", "   " };
	static const struct glyphs asc = { "|- ", "`- ", "|  ", "   " };
	return x->o->ascii ? &asc : &uni;
}

struct tree_walk {
	struct text *x;
	const struct cpu_node *nodes;
	bool callers;               /* bottom-up: one percentage column */
	struct strbuf prefix;
};

/* The children worth showing: the first ones (sorted by total) that are at
 * least 1% and within the limit. *hidden counts the others when they deserve
 * a "... N more" line: some were cut by the limit, or together they make 1%;
 * a scatter of tiny callees is left out silently (the heading says >= 1%). */
static size_t visible_children(const struct tree_walk *w, uint32_t nd, size_t *hidden,
			       uint64_t *hidden_samples)
{
	const struct text *x = w->x;
	size_t vis = 0;
	bool cut = false;
	*hidden = 0;
	*hidden_samples = 0;
	for (uint32_t ch = w->nodes[nd].first_child; ch != CPU_NONE; ch = w->nodes[ch].next_sibling) {
		const struct cpu_node *n = &w->nodes[ch];
		bool big = big_enough(cpu_amount(&x->r->t, &n->total), x->base, CPU_TREE_TEXT_PERMILLE);
		if (*hidden == 0 && big && (!x->o->limit || vis < x->o->limit)) {
			vis++;
		} else {
			cut |= big;
			(*hidden)++;
			*hidden_samples += cpu_amount(&x->r->t, &n->total);   /* for its share */
		}
	}
	if (!cut && !big_enough(*hidden_samples, x->base, CPU_TREE_TEXT_PERMILLE))
		*hidden = 0;
	return vis;
}

static void tree_line(struct tree_walk *w, uint32_t nd, bool top, bool last)
{
	struct text *x = w->x;
	const struct cpu_node *n = &w->nodes[nd];
	const struct glyphs *g = glyphs(x);
	sb_adds(x->out, "  ");
	cell_pct(x, cpu_amount(&x->r->t, &n->total), 7);
	if (!w->callers) {
		sb_addc(x->out, ' ');
		cell_pct(x, cpu_amount(&x->r->t, &n->self), 7);
	}
	sb_addf(x->out, "  %s%s", x->c->dim, sb_str(&w->prefix));
	if (!top)
		sb_adds(x->out, last ? g->ell : g->tee);
	sb_adds(x->out, x->c->reset);
	func_label(x, &x->r->funcs[n->func], false);
	sb_addc(x->out, '\n');
}

static void tree_rec(struct tree_walk *w, uint32_t nd, bool top, bool last)
{
	struct text *x = w->x;
	const struct glyphs *g = glyphs(x);
	tree_line(w, nd, top, last);
	size_t hidden;
	uint64_t hidden_samples;
	size_t vis = visible_children(w, nd, &hidden, &hidden_samples);
	if (!vis && !hidden)
		return;
	size_t mark = w->prefix.len;
	if (!top)
		sb_adds(&w->prefix, last ? g->gap : g->bar);
	size_t k = 0;
	for (uint32_t ch = w->nodes[nd].first_child; ch != CPU_NONE && k < vis;
	     ch = w->nodes[ch].next_sibling, k++)
		tree_rec(w, ch, false, k + 1 == vis && !hidden);
	if (hidden) {
		sb_addf(x->out, "  %7s%s  %s%s%s%s ", "", w->callers ? "" : "        ", x->c->dim,
			sb_str(&w->prefix), g->ell, x->o->ascii ? "..." : "…");
		term_count(x->out, hidden);
		sb_addf(x->out, " more (");
		term_percent(x->out, hidden_samples, x->base);
		sb_addf(x->out, ")%s\n", x->c->reset);
	}
	w->prefix.len = mark;
	if (w->prefix.buf)
		w->prefix.buf[mark] = '\0';
}

static void text_tree(struct text *x)
{
	const struct cpu_result *r = x->r;
	heading(x, "Call tree");
	sb_addf(x->out, "%s  (top-down from the outermost frame; nodes >= 1%%", x->c->dim);
	if (x->o->limit)
		sb_addf(x->out, ", at most %u %s each", x->o->limit, x->o->limit == 1 ? "child" : "children");
	sb_addf(x->out, ")%s\n", x->c->reset);
	if (!r->t.matched.samples) {
		sb_adds(x->out, "  (no samples)\n");
		return;
	}
	sb_addf(x->out, "%s  %7s %7s  %s%s\n", x->c->dim, "total", "self", "function", x->c->reset);
	struct tree_walk w = { x, r->tree, false, STRBUF_INIT };
	size_t hidden;
	uint64_t hidden_samples;
	size_t vis = visible_children(&w, 0, &hidden, &hidden_samples), k = 0;
	for (uint32_t ch = r->tree[0].first_child; ch != CPU_NONE && k < vis;
	     ch = r->tree[ch].next_sibling, k++)
		tree_rec(&w, ch, true, true);
	if (hidden) {
		sb_addf(x->out, "  %15s  %s%s ", "", x->c->dim, x->o->ascii ? "..." : "…");
		term_count(x->out, hidden);
		sb_adds(x->out, " more roots (");
		term_percent(x->out, hidden_samples, x->base);
		sb_addf(x->out, ")%s\n", x->c->reset);
	}
	sb_release(&w.prefix);
}

static void text_bottom_up(struct text *x)
{
	const struct cpu_result *r = x->r;
	const struct cpu_node *bu = r->bu;
	/* the roots are in self order: the ones with at least 1% self come first */
	size_t n = 0;
	for (uint32_t ch = bu[0].first_child; ch != CPU_NONE; ch = bu[ch].next_sibling)
		n += big_enough(cpu_amount(&r->t, &r->funcs[bu[ch].func].self), x->base, CPU_TREE_TEXT_PERMILLE);
	size_t shown = limited(x->o->limit, n);
	heading(x, "Callers of the hottest functions");
	shown_of(x, shown, n);
	sb_addf(x->out, "%s  (bottom-up: functions with >= 1%% self and the stacks that called "
		"them; callers >= 1%%)%s\n", x->c->dim, x->c->reset);
	if (!n) {
		sb_adds(x->out, "  (no function has 1% of the samples to itself)\n");
		return;
	}
	struct tree_walk w = { x, bu, true, STRBUF_INIT };
	size_t k = 0;
	for (uint32_t ch = bu[0].first_child; ch != CPU_NONE && k < shown; ch = bu[ch].next_sibling, k++) {
		const struct cpu_func *f = &r->funcs[bu[ch].func];
		sb_adds(x->out, "  ");
		func_label(x, f, true);
		sb_adds(x->out, ": self ");
		term_percent(x->out, cpu_amount(&x->r->t, &f->self), x->base);
		sb_adds(x->out, " (");
		term_count(x->out, f->self.samples);
		sb_addf(x->out, " sample%s)\n", f->self.samples == 1 ? "" : "s");
		size_t hidden;
		uint64_t hidden_samples;
		size_t vis = visible_children(&w, ch, &hidden, &hidden_samples), j = 0;
		if (bu[ch].first_child == CPU_NONE) {
			sb_addf(x->out, "  %7s  %s(no callers: the outermost frame)%s\n", "", x->c->dim,
				x->c->reset);
			continue;
		}
		/* the callers hang below the function like children of a tree root */
		for (uint32_t c = bu[ch].first_child; c != CPU_NONE && j < vis; c = bu[c].next_sibling, j++)
			tree_rec(&w, c, false, j + 1 == vis && !hidden);
		if (hidden) {
			sb_addf(x->out, "  %7s  %s%s%s ", "", x->c->dim, glyphs(x)->ell,
				x->o->ascii ? "..." : "…");
			term_count(x->out, hidden);
			sb_adds(x->out, " more (");
			term_percent(x->out, hidden_samples, x->base);
			sb_addf(x->out, ")%s\n", x->c->reset);
		}
	}
	sb_release(&w.prefix);
}

static void text_lines(struct text *x, uint32_t *idx)
{
	const struct cpu_result *r = x->r;
	size_t n = cpu_funcs_sorted(r, CPU_SORT_SELF, idx);
	while (n && !big_enough(cpu_amount(&r->t, &r->funcs[idx[n - 1]].self), x->base, CPU_TREE_TEXT_PERMILLE))
		n--;
	size_t shown = limited(x->o->limit, n);
	bool any = false;
	for (size_t i = 0; i < shown && !any; i++)
		any = r->funcs[idx[i]].file[0] != '\0';
	if (!any)
		return;   /* nothing symbolized with lines: the section would say nothing */
	heading(x, "Hottest lines");
	sb_addf(x->out, "%s  (self samples by source line of the functions with >= 1%% self)%s\n",
		x->c->dim, x->c->reset);
	for (size_t i = 0; i < shown; i++) {
		const struct cpu_func *f = &r->funcs[idx[i]];
		if (!strcmp(f->name, MERGE_OFFCPU_FRAME))
			continue;       /* blocked time has no line */
		sb_adds(x->out, "  ");
		func_label(x, f, false);
		sb_addc(x->out, '\n');
		size_t nl = 0;
		for (uint32_t k = 0; k < f->nlines; k++)
			nl += r->lines[f->first_line + k].self.samples != 0;
		size_t sl = limited(x->o->limit, nl);
		for (size_t k = 0; k < sl; k++) {
			const struct cpu_line *l = &r->lines[f->first_line + k];
			sb_adds(x->out, "  ");
			cell_pct(x, cpu_amount(&x->r->t, &l->self), 7);
			sb_addc(x->out, ' ');
			cell_count(x, l->self.samples, 10);
			if (l->file[0]) {
				sb_addf(x->out, "  %s", term_safe(l->file));
				if (l->line)
					sb_addf(x->out, ":%u", l->line);
				sb_addc(x->out, '\n');
			} else {
				sb_addf(x->out, "  %s(unknown line)%s\n", x->c->dim, x->c->reset);
			}
		}
		if (sl < nl)
			sb_addf(x->out, "  %18s  %s... %zu more lines%s\n", "", x->c->dim, nl - sl,
				x->c->reset);
	}
}

static void text_threads(struct text *x)
{
	const struct cpu_result *r = x->r;
	const struct sc_profile *p = x->p;
	size_t shown = limited(x->o->limit, r->nthreads);
	heading(x, "Threads");
	shown_of(x, shown, r->nthreads);
	sb_addf(x->out, "%s  (rate: samples per second between the thread's first and last sample; "
		"lower than the requested rate by the share of that time the thread was not running)%s\n",
		x->c->dim, x->c->reset);
	if (!r->nthreads) {
		sb_adds(x->out, "  (no samples)\n");
		return;
	}
	unsigned w = 16;
	for (size_t i = 0; i < shown; i++) {
		sb_reset(&x->cell);
		sb_addf(&x->cell, "%s (%u)", thread_name(p, r->threads[i].thread),
			thread_tid(p, r->threads[i].thread));
		unsigned l = term_width(sb_str(&x->cell));
		if (l > w)
			w = l > 40 ? 40 : l;
	}
	sb_addf(x->out, "%s  %10s %7s %10s %11s", x->c->dim, "samples", "share", "time", "rate");
	if (r->wall)
		sb_addf(x->out, " %8s", "off-CPU");
	sb_addf(x->out, "  %-*s  %s%s\n", (int)w, "thread", "hottest function (self)", x->c->reset);
	for (size_t i = 0; i < shown; i++) {
		const struct cpu_thread *t = &r->threads[i];
		sb_adds(x->out, "  ");
		cell_count(x, t->total.samples, 10);
		sb_addc(x->out, ' ');
		cell_pct(x, cpu_amount(&x->r->t, &t->total), 7);
		sb_addc(x->out, ' ');
		sb_reset(&x->cell);
		term_duration(&x->cell, t->total.ns);
		term_pad(x->out, sb_str(&x->cell), 10, true);
		sb_addc(x->out, ' ');
		sb_reset(&x->cell);
		if (t->achieved_hz > 0)
			add_hz(&x->cell, t->achieved_hz);
		else
			sb_adds(&x->cell, "-");
		term_pad(x->out, sb_str(&x->cell), 11, true);
		if (r->wall) {
			sb_addc(x->out, ' ');
			sb_reset(&x->cell);
			term_percent(&x->cell, cpu_amount(&x->r->t, &t->offcpu), cpu_amount(&x->r->t, &t->total));
			term_pad(x->out, sb_str(&x->cell), 8, true);
		}
		sb_reset(&x->cell);
		sb_addf(&x->cell, "%s (%u)", thread_name(p, t->thread), thread_tid(p, t->thread));
		sb_adds(x->out, "  ");
		term_pad(x->out, sb_str(&x->cell), w, false);
		sb_adds(x->out, "  ");
		if (t->top_func != CPU_NONE) {
			func_label(x, &r->funcs[t->top_func], false);
			sb_adds(x->out, " ");
			sb_reset(&x->cell);
			term_percent(&x->cell, cpu_amount(&x->r->t, &t->top_self), cpu_amount(&x->r->t, &t->total));
			sb_addf(x->out, "%s(%s of the thread)%s", x->c->dim, sb_str(&x->cell), x->c->reset);
		}
		sb_addc(x->out, '\n');
	}
}

static void text_offcpu(struct text *x, uint32_t *idx)
{
	const struct cpu_result *r = x->r;
	const struct cpu_totals *t = &r->t;
	size_t n = cpu_funcs_sorted(r, CPU_SORT_OFFCPU, idx), shown = limited(x->o->limit, n);
	heading(x, "Off-CPU: ");
	term_count(x->out, t->matched_offcpu.samples);
	sb_adds(x->out, " of ");
	term_count(x->out, t->total.samples);
	sb_adds(x->out, " samples (");
	term_percent(x->out, cpu_amount(t, &t->matched_offcpu), x->base);
	sb_adds(x->out, "), ");
	term_duration(x->out, t->matched_offcpu.ns);
	sb_adds(x->out, " waiting");
	shown_of(x, shown, n);
	sb_addf(x->out, "\n%s  (wall-clock samples taken while the thread was blocked, by the "
		"function it waited in)%s\n", x->c->dim, x->c->reset);
	if (!n) {
		sb_adds(x->out, "  (none)\n");
		return;
	}
	sb_addf(x->out, "%s  %7s %10s %10s  %s%s\n", x->c->dim, "off", "samples", "time", "function",
		x->c->reset);
	for (size_t i = 0; i < shown; i++) {
		const struct cpu_func *f = &r->funcs[idx[i]];
		sb_adds(x->out, "  ");
		cell_pct(x, cpu_amount(&x->r->t, &f->self_off), 7);
		sb_addc(x->out, ' ');
		cell_count(x, f->self_off.samples, 10);
		sb_addc(x->out, ' ');
		sb_reset(&x->cell);
		term_duration(&x->cell, f->self_off.ns);
		term_pad(x->out, sb_str(&x->cell), 10, true);
		sb_adds(x->out, "  ");
		func_label(x, f, true);
		sb_addc(x->out, '\n');
	}
}

void report_cpu_text(struct strbuf *out, const struct cpu_result *r,
		     const struct cpu_report_options *o)
{
	struct text x = { out, r, r->p, o, term_colors(o->color), cpu_amount(&r->t, &r->t.total), STRBUF_INIT,
			  { 0 } };
	text_header(&x);
	if (!r->t.total.samples) {
		if (r->thread_selected && !r->t.threads_selected) {
			sb_addf(out, "\n  no thread matches '%s'; threads:", o->thread ? term_safe(o->thread) : "?");
			for (size_t i = 0; i < x.p->nthreads && i < 20; i++)
				sb_addf(out, "%s %s (%u)", i ? "," : "", thread_name(x.p, (uint32_t)i),
					x.p->threads[i].tid);
			if (x.p->nthreads > 20)
				sb_adds(out, ", ...");
			sb_addc(out, '\n');
		} else {
			sb_addf(out, "\n  no CPU samples recorded%s\n",
				x.p->flags & PROF_CPU ? "" : " (record with `scorch record -- PROGRAM`)");
		}
		sb_release(&x.cell);
		arena_release(&x.names);
		return;
	}
	/* a wall profile's views of stacks from its marked analysis: the
	 * blocked time is an [off-CPU] leaf (same samples, same totals) */
	struct text y = x;
	if (o->marked && o->marked->nfuncs && o->marked->t.total.samples == r->t.total.samples)
		y.r = o->marked;
	size_t nidx = r->nfuncs > y.r->nfuncs ? r->nfuncs : y.r->nfuncs;
	uint32_t *idx = xmalloc((nidx ? nidx : 1) * sizeof(*idx));
	text_top(&y, idx, CPU_SORT_SELF);
	text_top(&y, idx, CPU_SORT_TOTAL);
	text_tree(&y);
	text_bottom_up(&y);
	text_lines(&y, idx);
	x.cell = y.cell;        /* y grew them: x goes on with them */
	x.names = y.names;
	if (r->wall)
		text_offcpu(&x, idx);
	if (o->threads)
		text_threads(&x);
	free(idx);
	sb_release(&x.cell);
	arena_release(&x.names);
}

/* ---- JSON ---- */

static void j_count(struct json *j, const char *key, const char *key_ns, const struct cpu_count *c)
{
	json_u64(j, key, c->samples);
	json_u64(j, key_ns, c->ns);
}

static uint64_t hz_floor(double hz)
{
	return hz > 0 ? (uint64_t)hz : 0;
}

struct jctx {
	struct json *j;
	const struct cpu_result *r;
	uint64_t base;
};

/* "function_short": demangle_short()'s form of "function", the name the
 * text report shows by default; the name itself when it has none. */
static void j_short(struct json *j, const char *key, const char *name)
{
	struct arena a = { 0 };
	const char *s = name ? demangle_short(name, &a) : NULL;
	json_str(j, key, s ? s : name);
	arena_release(&a);
}

static void j_func_id(struct jctx *c, const struct cpu_func *f)
{
	json_str(c->j, "function", f->name);
	j_short(c->j, "function_short", f->name);
	json_str(c->j, "module", module_name(c->r->p, f->module));
}

/* An element of "functions". */
static void j_function(struct jctx *c, const struct cpu_func *f)
{
	struct json *j = c->j;
	json_open_obj_as(j, NULL, JSON_INLINE);
	j_func_id(c, f);
	json_str(j, "file", f->file);
	json_u64(j, "line", f->line);
	json_bool(j, "inlined", f->inlined);
	j_count(j, "self", "self_ns", &f->self);
	j_count(j, "total", "total_ns", &f->total);
	j_count(j, "self_offcpu", "self_offcpu_ns", &f->self_off);
	j_count(j, "total_offcpu", "total_offcpu_ns", &f->total_off);
	json_close_obj(j);
}

/* The nodes below a root whose first child is `first` (the call tree's
 * outermost frames, or a bottom-up function's callers) that have at least
 * 0.5%, as a flat array in preorder: each node is an object with its "id"
 * (its position in the array), the "id" of its "parent" (null below the
 * root) and its "depth" (0 below the root), never nested, so a tree of any
 * depth stays at the same nesting in the document (jq 1.6 refuses past 256
 * levels, and Python profiles reach 300 frames). */
static void j_flat(struct jctx *c, const struct cpu_node *nodes, uint32_t first, bool callers)
{
	struct json *j = c->j;
	struct level {
		uint32_t next;          /* the next sibling to write at this depth */
		uint64_t parent;        /* their parent's id, UINT64_MAX below the root */
	} *st = NULL;
	size_t depth = 0, cap = 0;
	uint64_t id = 0;
	cap = 64;
	st = xmalloc(cap * sizeof(*st));
	st[0] = (struct level){ first, UINT64_MAX };
	depth = 1;
	while (depth) {
		struct level *l = &st[depth - 1];
		uint32_t nd = l->next;
		/* siblings are sorted by total: after the first small one, all are */
		if (nd == CPU_NONE ||
		    !big_enough(cpu_amount(&c->r->t, &nodes[nd].total), c->base, CPU_TREE_JSON_PERMILLE)) {
			depth--;
			continue;
		}
		l->next = nodes[nd].next_sibling;
		const struct cpu_node *n = &nodes[nd];
		const struct cpu_func *f = &c->r->funcs[n->func];
		json_open_obj_as(j, NULL, JSON_INLINE);
		json_u64(j, "id", id);
		if (l->parent == UINT64_MAX)
			json_str(j, "parent", NULL);
		else
			json_u64(j, "parent", l->parent);
		json_u64(j, "depth", depth - 1);
		j_func_id(c, f);
		json_bool(j, "inlined", f->inlined);
		if (callers) {
			j_count(j, "samples", "ns", &n->total);
		} else {
			j_count(j, "self", "self_ns", &n->self);
			j_count(j, "total", "total_ns", &n->total);
		}
		json_close_obj(j);
		if (depth == cap) {
			cap *= 2;
			st = xrealloc(st, cap * sizeof(*st));
		}
		st[depth++] = (struct level){ n->first_child, id };
		id++;
	}
	free(st);
}

static void j_cpu(struct jctx *c, const char *key, const struct cpu_report_options *o)
{
	struct json *j = c->j;
	const struct cpu_result *r = c->r;
	const struct sc_profile *p = r->p;
	const struct cpu_totals *t = &r->t;
	json_open_obj_as(j, key, JSON_BLOCK);

	json_open_obj_as(j, "options", JSON_INLINE);
	json_u64(j, "limit", o->limit);
	json_str(j, "filter", r->filtered ? o->filter : NULL);
	json_str(j, "thread", r->thread_selected ? o->thread : NULL);
	json_close_obj(j);

	json_open_obj_as(j, "sampling", JSON_INLINE);
	json_str(j, "source", p->sample_source);
	json_bool(j, "wall", r->wall);
	json_u64(j, "requested_hz", p->sample_hz);
	json_u64(j, "achieved_hz", hz_floor(t->achieved_hz));
	json_str(j, "achieved_from", t->achieved_from_cpu_time ? "cpu_time" :
				  t->achieved_hz > 0 ? "busiest_thread" : NULL);
	json_u64(j, "cpu_time_ns", p->cpu_time_ns);
	json_str(j, "perf_refused", p->perf_errno ? strerror((int)p->perf_errno) : NULL);
	json_u64(j, "oncpu_samples", t->oncpu_all);
	if (t->busiest != CPU_NONE)
		json_u64(j, "busiest_tid", thread_tid(p, r->threads[t->busiest].thread));
	else
		json_str(j, "busiest_tid", NULL);
	json_close_obj(j);

	json_open_obj_as(j, "totals", JSON_BLOCK);
	json_u64(j, "all_samples", t->all_samples);
	j_count(j, "samples", "ns", &t->total);
	j_count(j, "offcpu_samples", "offcpu_ns", &t->offcpu);
	j_count(j, "matched_samples", "matched_ns", &t->matched);
	j_count(j, "matched_offcpu_samples", "matched_offcpu_ns", &t->matched_offcpu);
	json_u64(j, "no_stack", t->no_stack);
	json_u64(j, "leaf_only", p->leaf_only_samples);
	json_u64(j, "threads_selected", t->threads_selected);
	json_u64(j, "threads_sampled", t->threads_sampled);
	json_close_obj(j);

	/* functions: the top `limit` by self and by total, merged, by self */
	uint32_t *idx = xmalloc((r->nfuncs ? r->nfuncs : 1) * sizeof(*idx));
	uint8_t *pick = xcalloc(r->nfuncs ? r->nfuncs : 1, 1);
	size_t ntotal = cpu_funcs_sorted(r, CPU_SORT_TOTAL, idx);
	for (size_t i = 0; i < limited(o->limit, ntotal); i++)
		pick[idx[i]] = 1;
	size_t nself = cpu_funcs_sorted(r, CPU_SORT_SELF, idx);
	for (size_t i = 0; i < limited(o->limit, nself); i++)
		pick[idx[i]] = 1;
	json_u64(j, "functions_total", ntotal);
	json_open_arr_as(j, "functions", JSON_BLOCK);
	/* the self order first, then the ones without self samples by total */
	for (size_t i = 0; i < nself; i++) {
		if (!pick[idx[i]])
			continue;
		pick[idx[i]] = 0;
		j_function(c, &r->funcs[idx[i]]);
	}
	cpu_funcs_sorted(r, CPU_SORT_TOTAL, idx);
	for (size_t i = 0; i < ntotal; i++) {
		if (!pick[idx[i]])
			continue;
		j_function(c, &r->funcs[idx[i]]);
	}
	json_close_arr(j);
	free(pick);

	/* lines of the hottest functions */
	nself = cpu_funcs_sorted(r, CPU_SORT_SELF, idx);
	json_open_arr_as(j, "lines", JSON_BLOCK);
	for (size_t i = 0; i < limited(o->limit, nself); i++) {
		const struct cpu_func *f = &r->funcs[idx[i]];
		json_open_obj_as(j, NULL, JSON_HEAD);
		j_func_id(c, f);
		json_open_arr_as(j, "lines", JSON_BLOCK);
		for (uint32_t k = 0; k < f->nlines; k++) {
			const struct cpu_line *l = &r->lines[f->first_line + k];
			if (!l->self.samples)
				break;   /* most self first */
			json_open_obj_as(j, NULL, JSON_INLINE);
			json_str(j, "file", l->file);
			json_u64(j, "line", l->line);
			j_count(j, "self", "self_ns", &l->self);
			json_close_obj(j);
		}
		json_close_arr(j);
		json_close_obj(j);
	}
	json_close_arr(j);
	free(idx);

	json_open_arr_as(j, "tree", JSON_BLOCK);
	j_flat(c, r->tree, r->tree[0].first_child, false);
	json_close_arr(j);

	json_open_arr_as(j, "bottom_up", JSON_BLOCK);
	size_t k = 0;
	for (uint32_t ch = r->bu[0].first_child; ch != CPU_NONE && (!o->limit || k < o->limit);
	     ch = r->bu[ch].next_sibling, k++) {
		const struct cpu_node *n = &r->bu[ch];
		const struct cpu_func *f = &r->funcs[n->func];
		json_open_obj_as(j, NULL, JSON_HEAD);
		j_func_id(c, f);
		json_str(j, "file", f->file);
		json_u64(j, "line", f->line);
		json_bool(j, "inlined", f->inlined);
		j_count(j, "self", "self_ns", &f->self);
		json_open_arr_as(j, "callers", JSON_BLOCK);
		j_flat(c, r->bu, n->first_child, true);
		json_close_arr(j);
		json_close_obj(j);
	}
	json_close_arr(j);

	json_open_arr_as(j, "threads", JSON_BLOCK);
	for (size_t i = 0; i < r->nthreads; i++) {
		const struct cpu_thread *th = &r->threads[i];
		json_open_obj_as(j, NULL, JSON_INLINE);
		if (th->thread == CPU_NONE) {
			json_str(j, "tid", NULL);
			json_str(j, "name", NULL);
		} else {
			json_u64(j, "tid", p->threads[th->thread].tid);
			json_str(j, "name", p->threads[th->thread].name);
		}
		j_count(j, "samples", "ns", &th->total);
		j_count(j, "offcpu_samples", "offcpu_ns", &th->offcpu);
		json_u64(j, "lifetime_ns", th->lifetime);
		json_u64(j, "first_sample_ns", th->first);
		json_u64(j, "last_sample_ns", th->last);
		json_u64(j, "achieved_hz", hz_floor(th->achieved_hz));
		if (th->top_func != CPU_NONE) {
			const struct cpu_func *f = &r->funcs[th->top_func];
			json_str(j, "top_function", f->name);
			j_short(j, "top_function_short", f->name);
			json_str(j, "top_module", module_name(p, f->module));
		} else {
			json_str(j, "top_function", NULL);
			json_str(j, "top_function_short", NULL);
			json_str(j, "top_module", NULL);
		}
		j_count(j, "top_self", "top_self_ns", &th->top_self);
		json_close_obj(j);
	}
	json_close_arr(j);

	json_close_obj(j);
}

void report_cpu_json(struct strbuf *out, const struct cpu_result *r,
		     const struct cpu_report_options *o, int depth)
{
	struct json j;
	json_init_ex(&j, NULL, out, 0, JSON_SPACES | JSON_NO_NEWLINE, depth);
	struct jctx c = { &j, r, cpu_amount(&r->t, &r->t.total) };
	j_cpu(&c, NULL, o);
	json_end(&j);
}

void report_cpu_json_member(struct json *j, const char *key, const struct cpu_result *r,
			    const struct cpu_report_options *o)
{
	struct jctx c = { j, r, cpu_amount(&r->t, &r->t.total) };
	j_cpu(&c, key, o);
}
