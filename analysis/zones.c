/* Zone analysis. A profile recorded now carries per thread and name the
 * figures finalize folded from every span as it read them (count, total,
 * self, min, max, a histogram of the durations, allocations): the rows of a
 * name are summed and their histograms merged, without touching a span.
 * For a profile without them (written before, or built by hand), one pass
 * over the spans of each thread with a stack of the enclosing spans (by
 * depth) gives every span's self time (its duration less the overlap of
 * the spans directly inside it and the calls dropped inside it) and whether
 * it sits inside another span of its own name (recursion, counted once in
 * totals); durations are then sorted per name for the percentiles. */
#include "zones.h"

#include <errno.h>
#include <regex.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "../lib/die.h"

int zone_sort_parse(const char *s)
{
	static const char *const keys[] = { "total", "self", "calls", "mean", "max", "p99",
					    "allocs", "bytes", "name" };
	for (size_t i = 0; i < sizeof(keys) / sizeof(*keys); i++)
		if (!strcmp(s, keys[i]))
			return (int)i;
	return -1;
}

uint64_t zone_percentile(const uint64_t *v, size_t n, unsigned pct)
{
	if (!n)
		return 0;
	if (pct > 100)
		pct = 100;
	/* rank = ceil(pct * n / 100), 1-based, without overflowing */
	size_t rank = n / 100 * pct + (n % 100 * pct + 99) / 100;
	if (rank < 1)
		rank = 1;
	return v[rank - 1];
}

static int u64_cmp(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

/* Per span: what the spans directly inside it take away. */
struct kid_sums {
	uint64_t ns, allocs, bytes;
};

/* Adds the calls --calls-min dropped of one name to its figures (not to
 * the percentiles: their durations are not known one by one). */
static void tally_drop(const struct sc_zone_drop *d, struct zone_stat *s)
{
	if (!d->calls)
		return;
	if (!s->calls || d->min_ns < s->min_ns)
		s->min_ns = d->min_ns;
	if (d->max_ns > s->max_ns)
		s->max_ns = d->max_ns;
	s->calls += d->calls;
	s->dropped += d->calls;
	s->sum_ns += d->total_ns;
	s->total_ns += d->outer_ns;
	s->self_ns += d->self_ns;
	s->allocs += d->allocs;
	s->bytes += d->bytes;
}

/* Fills the per-name figures from the spans (and the dropped calls). */
static void tally_spans(const struct sc_profile *p, struct zone_stat *st, uint64_t **durs, size_t *ndur,
			struct zone_result *r)
{
	size_t n = p->nzones;
	struct kid_sums *kids = xcalloc(n + 1, sizeof(*kids));
	uint8_t *outer = xcalloc(n + 1, 1);
	uint32_t *stack = xmalloc((n + 1) * sizeof(uint32_t));
	uint32_t *open = xcalloc(p->nzone_names + 1, sizeof(uint32_t));
	size_t sp = 0;
	for (size_t i = 0; i < n; i++) {
		const struct sc_zone *z = &p->zones[i];
		/* leave the spans that do not enclose this one: another thread,
		 * or a depth at or below its own */
		while (sp && (p->zones[stack[sp - 1]].thread != z->thread ||
			      p->zones[stack[sp - 1]].depth >= z->depth)) {
			open[p->zones[stack[sp - 1]].name]--;
			sp--;
		}
		if (sp) {
			uint32_t par = stack[sp - 1];
			const struct sc_zone *pz = &p->zones[par];
			uint64_t end = z->end < pz->end ? z->end : pz->end;
			if (end > z->start)
				kids[par].ns += end - z->start;
			kids[par].allocs += z->allocs;
			kids[par].bytes += z->bytes;
		}
		outer[i] = open[z->name] == 0;
		open[z->name]++;
		stack[sp++] = (uint32_t)i;
	}
	for (size_t i = 0; i < n; i++) {
		const struct sc_zone *z = &p->zones[i];
		struct zone_stat *s = &st[z->name];
		uint64_t d = z->end - z->start, away = kids[i].ns + z->dropped_ns;
		if (!s->calls || d < s->min_ns)
			s->min_ns = d;
		if (d > s->max_ns)
			s->max_ns = d;
		s->calls++;
		s->sum_ns += d;
		s->self_ns += d > away ? d - away : 0;
		s->self_allocs += z->allocs > kids[i].allocs ? z->allocs - kids[i].allocs : 0;
		s->self_bytes += z->bytes > kids[i].bytes ? z->bytes - kids[i].bytes : 0;
		if (outer[i]) {
			s->total_ns += d;
			s->allocs += z->allocs;
			s->bytes += z->bytes;
		}
		if (z->flags & ZONE_F_UNWOUND) {
			s->unwound++;
			r->unwound++;
		}
		if (z->flags & ZONE_F_UNFINISHED) {
			s->unfinished++;
			r->unfinished++;
		}
		if (z->flags & ZONE_F_THREAD_EXIT)
			r->thread_exit++;
		durs[z->name][ndur[z->name]++] = d;
	}
	for (size_t i = 0; i < p->nzone_drops; i++)
		tally_drop(&p->zone_drops[i], &st[p->zone_drops[i].name]);
	free(kids);
	free(outer);
	free(stack);
	free(open);
}

static void tally_marks(const struct sc_profile *p, struct zone_result *r, uint64_t *tspans)
{
	size_t nn = p->nzone_names;
	struct zone_mark_stat *ms = xcalloc(nn + 1, sizeof(*ms));
	struct zone_counter_stat *cs = xcalloc(nn + 1, sizeof(*cs));
	uint64_t *tm = xcalloc(p->nthreads + 1, sizeof(uint64_t)), *tc = xcalloc(p->nthreads + 1, sizeof(uint64_t));
	for (size_t i = 0; i < p->nmarks; i++) {
		struct zone_mark_stat *m = &ms[p->marks[i].name];
		if (!m->count)
			m->first_ns = p->marks[i].time;
		m->count++;
		m->last_ns = p->marks[i].time;
		tm[p->marks[i].thread]++;
	}
	for (size_t i = 0; i < p->ncounters; i++) {
		const struct sc_counter *c = &p->counters[i];
		struct zone_counter_stat *s = &cs[c->name];
		if (!s->samples || c->value < s->min)
			s->min = c->value;
		if (!s->samples || c->value > s->max)
			s->max = c->value;
		s->mean += c->value;   /* the sum, for now */
		s->samples++;
		s->last = c->value;
		s->last_ns = c->time;
		tc[c->thread]++;
	}
	r->marks = xcalloc(nn + 1, sizeof(*r->marks));
	r->counters = xcalloc(nn + 1, sizeof(*r->counters));
	for (size_t i = 0; i < nn; i++) {
		if (ms[i].count) {
			ms[i].name = (uint32_t)i;
			r->marks[r->nmarks++] = ms[i];
		}
		if (cs[i].samples) {
			cs[i].name = (uint32_t)i;
			cs[i].mean /= (double)cs[i].samples;
			r->counters[r->ncounters++] = cs[i];
		}
	}
	r->threads = xcalloc(p->nthreads + 1, sizeof(*r->threads));
	for (size_t i = 0; i < p->nthreads; i++)
		if (tspans[i] || tm[i] || tc[i])
			r->threads[r->nthreads++] = (struct zone_thread_stat){ (uint32_t)i, tspans[i], tm[i], tc[i] };
	free(ms);
	free(cs);
	free(tm);
	free(tc);
}

static void tally_errors(const struct sc_profile *p, struct zone_result *r)
{
	r->errors = xcalloc(p->nzone_errors + 1, sizeof(*r->errors));
	for (size_t i = 0; i < p->nzone_errors; i++) {
		const struct sc_zone_error *e = &p->zone_errors[i];
		struct zone_error_stat *s = NULL;
		for (size_t k = 0; k < r->nerrors && !s; k++)
			if (r->errors[k].kind == e->kind && r->errors[k].expected == e->expected &&
			    r->errors[k].given == e->given)
				s = &r->errors[k];
		if (!s) {
			s = &r->errors[r->nerrors++];
			*s = (struct zone_error_stat){ e->kind, e->expected, e->given, 0, e->time, e->thread };
		}
		s->count++;
		r->nerror_calls++;
	}
}

uint64_t zone_hist_percentile(const struct sc_zone_hist *h, size_t n, uint64_t total, unsigned pct)
{
	if (!total || !n)
		return 0;
	if (pct > 100)
		pct = 100;
	uint64_t rank = total / 100 * pct + (total % 100 * pct + 99) / 100, cum = 0;
	if (rank < 1)
		rank = 1;
	for (size_t i = 0; i < n; i++) {
		cum += h[i].count;
		if (cum >= rank)
			return h[i].value;
	}
	return h[n - 1].value;
}

static int hist_cmp(const void *a, const void *b)
{
	const struct sc_zone_hist *x = a, *y = b;
	return x->value < y->value ? -1 : x->value > y->value;
}

/* The figures of each name from the rows stored per thread and name: sums,
 * and the percentiles of the histograms merged (by buckets when one of
 * them is). */
static void tally_stats(const struct sc_profile *p, int thread, struct zone_stat *st, struct zone_result *r,
			uint64_t *tspans)
{
	size_t nn = p->nzone_names;
	/* per name: its rows, chained */
	uint32_t *first = xmalloc((nn + 1) * sizeof(uint32_t)), *next = xmalloc((p->nzone_stats + 1) * sizeof(uint32_t));
	for (size_t i = 0; i < nn; i++)
		first[i] = UINT32_MAX;
	for (size_t i = p->nzone_stats; i-- > 0;) {
		const struct sc_zone_stat *x = &p->zone_stats[i];
		if (thread >= 0 && x->thread != thread)
			continue;
		next[i] = first[x->name];
		first[x->name] = (uint32_t)i;
		struct zone_stat *s = &st[x->name];
		if (!s->calls || x->min_ns < s->min_ns)
			s->min_ns = x->min_ns;
		if (x->max_ns > s->max_ns)
			s->max_ns = x->max_ns;
		s->calls += x->calls;
		s->sum_ns += x->sum_ns;
		s->total_ns += x->total_ns;
		s->self_ns += x->self_ns;
		s->allocs += x->allocs;
		s->bytes += x->bytes;
		s->self_allocs += x->self_allocs;
		s->self_bytes += x->self_bytes;
		s->unwound += x->unwound;
		s->unfinished += x->unfinished;
		r->unwound += x->unwound;
		r->unfinished += x->unfinished;
		r->thread_exit += x->thread_exit;
		r->spans += x->calls;
		if (x->thread < p->nthreads)
			tspans[x->thread] += x->calls;
	}
	struct sc_zone_hist *h = NULL;
	size_t cap = 0;
	for (size_t i = 0; i < nn; i++) {
		if (first[i] == UINT32_MAX)
			continue;
		const struct sc_zone_hist *use;
		size_t n = 0;
		uint64_t total = 0;
		if (next[first[i]] == UINT32_MAX) {
			const struct sc_zone_stat *x = &p->zone_stats[first[i]];
			use = x->hist;
			n = x->nhist;
			total = x->calls;
		} else {
			bool coarse = false;
			for (uint32_t k = first[i]; k != UINT32_MAX; k = next[k]) {
				const struct sc_zone_stat *x = &p->zone_stats[k];
				coarse |= x->coarse;
				if (n + x->nhist > cap) {
					cap = (n + x->nhist) * 2;
					h = xrealloc(h, cap * sizeof(*h));
				}
				memcpy(h + n, x->hist, x->nhist * sizeof(*h));
				n += x->nhist;
				total += x->calls;
			}
			if (coarse)
				for (size_t k = 0; k < n; k++)
					h[k].value = zone_hist_bucket(h[k].value);
			qsort(h, n, sizeof(*h), hist_cmp);
			use = h;
		}
		struct zone_stat *s = &st[i];
		uint64_t *pv[3] = { &s->p50_ns, &s->p95_ns, &s->p99_ns };
		static const unsigned pct[3] = { 50, 95, 99 };
		for (int k = 0; k < 3; k++) {
			uint64_t v = zone_hist_percentile(use, n, total, pct[k]);
			/* a bucket's lower bound may lie below the least duration */
			*pv[k] = v < s->min_ns ? s->min_ns : v > s->max_ns ? s->max_ns : v;
		}
	}
	free(h);
	free(first);
	free(next);
}

/* thread: -1 all, else only that thread's spans */
static int analyze(const struct sc_profile *p, const struct zone_options *o, int thread, struct zone_result **out)
{
	*out = NULL;
	regex_t rx;
	bool filter = o && o->filter;
	if (filter && regcomp(&rx, o->filter, REG_EXTENDED | REG_NOSUB) != 0)
		return -EINVAL;
	struct zone_result *r = xcalloc(1, sizeof(*r));
	r->p = p;
	/* one thread: its spans only (a slice: spans are by thread) */
	struct sc_profile v;
	if (thread >= 0) {
		v = *p;
		size_t lo = 0, hi;
		while (lo < p->nzones && p->zones[lo].thread < thread)
			lo++;
		for (hi = lo; hi < p->nzones && p->zones[hi].thread == thread; hi++)
			;
		v.zones = p->zones + lo;
		v.nzones = hi - lo;
		v.zone_drops = NULL;
		v.nzone_drops = 0;
		v.marks = NULL;
		v.nmarks = 0;
		v.counters = NULL;
		v.ncounters = 0;
		v.zone_errors = NULL;
		v.nzone_errors = 0;
		p = &v;
	}
	size_t nn = p->nzone_names;
	struct zone_stat *st = xcalloc(nn + 1, sizeof(*st));
	uint64_t *tspans = xcalloc(p->nthreads + 1, sizeof(uint64_t));
	r->keep_ns = p->zone_keep_ns;
	if (p->have_zone_stats) {
		tally_stats(p, thread, st, r, tspans);
		for (size_t i = 0; i < p->nzone_drops; i++)
			tally_drop(&p->zone_drops[i], &st[p->zone_drops[i].name]);
	} else {
		size_t *ndur = xcalloc(nn + 1, sizeof(size_t));
		for (size_t i = 0; i < p->nzones; i++) {
			ndur[p->zones[i].name]++;
			tspans[p->zones[i].thread]++;
		}
		uint64_t **durs = xcalloc(nn + 1, sizeof(uint64_t *));
		for (size_t i = 0; i < nn; i++) {
			durs[i] = xmalloc((ndur[i] + 1) * sizeof(uint64_t));
			ndur[i] = 0;
		}
		tally_spans(p, st, durs, ndur, r);
		r->spans = p->nzones;
		for (size_t i = 0; i < nn; i++) {
			qsort(durs[i], ndur[i], sizeof(uint64_t), u64_cmp);
			st[i].p50_ns = zone_percentile(durs[i], ndur[i], 50);
			st[i].p95_ns = zone_percentile(durs[i], ndur[i], 95);
			st[i].p99_ns = zone_percentile(durs[i], ndur[i], 99);
			free(durs[i]);
		}
		free(durs);
		free(ndur);
	}
	r->zones = xcalloc(nn + 1, sizeof(*r->zones));
	for (size_t i = 0; i < nn; i++) {
		struct zone_stat *s = &st[i];
		if (!s->calls || (filter && regexec(&rx, p->zone_names[i].name, 0, NULL, 0) != 0))
			continue;
		s->name = (uint32_t)i;
		r->zones[r->nzones++] = *s;
		r->calls += s->calls;
		r->dropped += s->dropped;
	}
	free(st);
	tally_marks(p, r, tspans);
	tally_errors(p, r);
	free(tspans);
	if (filter)
		regfree(&rx);
	zone_result_sort(r, ZONE_SORT_TOTAL);
	*out = r;
	return 0;
}

int zone_analyze(const struct sc_profile *p, const struct zone_options *o, struct zone_result **out)
{
	return analyze(p, o, -1, out);
}

int zone_analyze_thread(const struct sc_profile *p, const struct zone_options *o, uint16_t thread,
			struct zone_result **out)
{
	return analyze(p, o, thread, out);
}

static const struct zone_result *sort_r;
static enum zone_sort sort_key;

static uint64_t sort_value(const struct zone_stat *s)
{
	switch (sort_key) {
	case ZONE_SORT_SELF: return s->self_ns;
	case ZONE_SORT_CALLS: return s->calls;
	case ZONE_SORT_MEAN: return s->calls ? s->sum_ns / s->calls : 0;
	case ZONE_SORT_MAX: return s->max_ns;
	case ZONE_SORT_P99: return s->p99_ns;
	case ZONE_SORT_ALLOCS: return s->allocs;
	case ZONE_SORT_BYTES: return s->bytes;
	default: return s->total_ns;
	}
}

/* Descending by the key (names ascending), ties by name then index. */
static int stat_cmp(const void *a, const void *b)
{
	const struct zone_stat *x = a, *y = b;
	const struct sc_zone_name *nx = &sort_r->p->zone_names[x->name], *ny = &sort_r->p->zone_names[y->name];
	if (sort_key != ZONE_SORT_NAME) {
		uint64_t vx = sort_value(x), vy = sort_value(y);
		if (vx != vy)
			return vx > vy ? -1 : 1;
	}
	int c = strcmp(nx->name, ny->name);
	if (c)
		return c;
	return x->name < y->name ? -1 : x->name > y->name;
}

void zone_result_sort(struct zone_result *r, enum zone_sort key)
{
	sort_r = r;
	sort_key = key;
	qsort(r->zones, r->nzones, sizeof(*r->zones), stat_cmp);
}

void zone_result_free(struct zone_result *r)
{
	if (!r)
		return;
	free(r->zones);
	free(r->marks);
	free(r->counters);
	free(r->threads);
	free(r->errors);
	free(r);
}
