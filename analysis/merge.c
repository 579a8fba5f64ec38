/* Merging the profiles of one run into one, with the process as the top
 * frame, and marking off-CPU time with a frame of its own (merge.h). Both
 * work on the profile model, so every view and export shows them. */
#include "merge.h"

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "events.h"
#include "../lib/die.h"
#include "../lib/strbuf.h"
#include "../lib/vec.h"

static int fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	if (err && errlen)
		vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return -1;
}

static const char *base_name(const char *s)
{
	const char *b = s ? strrchr(s, '/') : NULL;
	return b ? b + 1 : s;
}

/* The run's first process first: by start time, then pid, then image. */
static int part_cmp(const void *a, const void *b)
{
	const struct sc_profile *x = *(struct sc_profile *const *)a, *y = *(struct sc_profile *const *)b;
	if (x->start_wall != y->start_wall)
		return x->start_wall < y->start_wall ? -1 : 1;
	if (x->pid != y->pid)
		return x->pid < y->pid ? -1 : 1;
	return 0;
}

/* Stable merge sorts by time: the parts' own orders are kept among equals. */
#define DEFINE_TIME_SORT(name, T)                                               \
	static void name(T *a, size_t n, T *tmp)                                \
	{                                                                       \
		if (n < 2)                                                      \
			return;                                                 \
		size_t h = n / 2;                                               \
		name(a, h, tmp);                                                \
		name(a + h, n - h, tmp);                                        \
		if (a[h - 1].time <= a[h].time)                                 \
			return;                                                 \
		memcpy(tmp, a, h * sizeof(T));                                  \
		size_t i = 0, j = h, k = 0;                                     \
		while (i < h && j < n)                                          \
			a[k++] = a[j].time < tmp[i].time ? a[j++] : tmp[i++];   \
		while (i < h)                                                   \
			a[k++] = tmp[i++];                                      \
	}
DEFINE_TIME_SORT(sort_events, struct sc_event)
DEFINE_TIME_SORT(sort_samples, struct sc_sample)

struct rss_point {
	uint64_t time, bytes;
	size_t part;
};

static int rss_cmp(const void *a, const void *b)
{
	const struct rss_point *x = a, *y = b;
	if (x->time != y->time)
		return x->time < y->time ? -1 : 1;
	return x->part < y->part ? -1 : x->part > y->part;
}

static int source_cmp(const void *a, const void *b)
{
	const struct sc_source *x = a, *y = b;
	int c = strcmp(x->file, y->file);
	if (c)
		return c;
	return x->first < y->first ? -1 : x->first > y->first;
}

static int code_cmp(const void *a, const void *b)
{
	const struct sc_code *x = a, *y = b;
	if (x->module != y->module)
		return x->module < y->module ? -1 : 1;
	return x->start < y->start ? -1 : x->start > y->start;
}

/* The same file: path and build id (or path alone when neither has one). */
static bool same_module(const struct sc_module *a, const struct sc_module *b)
{
	return a->build_id_len == b->build_id_len &&
	       !memcmp(a->build_id, b->build_id, a->build_id_len) &&
	       !strcmp(a->path ? a->path : "", b->path ? b->path : "") &&
	       !strcmp(a->name ? a->name : "", b->name ? b->name : "");
}

static uint64_t shifted(uint64_t t, uint64_t shift)
{
	return t ? t + shift : 0;
}

int profile_merge(struct sc_profile **parts, size_t n, struct sc_profile **out, char *err, size_t errlen)
{
	struct sc_profile *m = profile_new();
	*out = m;
	m->parts = xmalloc((n ? n : 1) * sizeof(*m->parts));
	memcpy(m->parts, parts, n * sizeof(*parts));
	m->nparts = n;
	if (!n)
		return fail(err, errlen, "no profile to merge");
	qsort(m->parts, n, sizeof(*m->parts), part_cmp);
	struct sc_profile *const *ps = m->parts;
	const struct sc_profile *root = ps[0];
	struct arena *A = &m->arena;

	size_t nmod = 0, nloc = 0, nstk = 1, nthr = 0, nsamp = 0, nzn = 0, nz = 0, nmark = 0, ncnt = 0;
	size_t ndrop = 0, nzerr = 0, nzstat = 0, ncode = 0, nsrc = 0, nnote = 0, nrss = 0;
	for (size_t k = 0; k < n; k++) {
		const struct sc_profile *p = ps[k];
		nmod += p->nmodules;
		nloc += p->nlocations + 1;
		nstk += p->nstacks ? p->nstacks : 1;
		nthr += p->nthreads;
		nsamp += p->nsamples;
		nzn += p->nzone_names;
		nz += p->nzones;
		nmark += p->nmarks;
		ncnt += p->ncounters;
		ndrop += p->nzone_drops;
		nzerr += p->nzone_errors;
		nzstat += p->nzone_stats;
		ncode += p->ncodes;
		nsrc += p->nsources;
		nnote += p->nnotes;
		nrss += p->nrss;
	}
	if (nthr > 65535)
		return fail(err, errlen, "cannot merge %zu profiles: %zu threads in all, more than a profile holds "
			    "(65,535); merge fewer, or view them with --by-process", n, nthr);
	if (n > 16383)
		return fail(err, errlen, "cannot merge %zu profiles: at most 16,383 at once", n);

	m->modules = arena_alloc(A, (nmod + 1) * sizeof(*m->modules));
	m->locations = arena_alloc(A, (nloc + 1) * sizeof(*m->locations));
	m->stacks = arena_alloc(A, (nstk + 1) * sizeof(*m->stacks));
	m->threads = arena_alloc(A, (nthr + 1) * sizeof(*m->threads));
	m->samples = xmalloc((nsamp + 1) * sizeof(*m->samples));
	m->zone_names = arena_alloc(A, (nzn + 1) * sizeof(*m->zone_names));
	m->zones = arena_alloc(A, (nz + 1) * sizeof(*m->zones));
	m->marks = arena_alloc(A, (nmark + 1) * sizeof(*m->marks));
	m->counters = arena_alloc(A, (ncnt + 1) * sizeof(*m->counters));
	m->zone_drops = arena_alloc(A, (ndrop + 1) * sizeof(*m->zone_drops));
	m->zone_errors = arena_alloc(A, (nzerr + 1) * sizeof(*m->zone_errors));
	m->zone_stats = arena_alloc(A, (nzstat + 1) * sizeof(*m->zone_stats));
	m->codes = arena_alloc(A, (ncode + 1) * sizeof(*m->codes));
	m->sources = arena_alloc(A, (nsrc + 1) * sizeof(*m->sources));
	m->notes = arena_alloc(A, (nnote + 1) * sizeof(*m->notes));
	struct rss_point *rp = xmalloc((nrss + 1) * sizeof(*rp));
	VEC(struct sc_event) ev = { 0 };
	m->nstacks = 1;   /* stacks[0]: the empty stack */

	uint64_t t0 = root->start_wall, end = 0;
	bool zone_stats_all = true;
	struct strbuf sb = STRBUF_INIT;
	int rc = 0;
	for (size_t k = 0; k < n && !rc; k++) {
		const struct sc_profile *p = ps[k];
		uint64_t shift = p->start_wall > t0 ? p->start_wall - t0 : 0;
		size_t lo = m->nlocations, so = m->nstacks, to = m->nthreads,
		       zo = m->nzone_names;
		if (shift + p->duration > end)
			end = shift + p->duration;

		/* a module two processes loaded (the same file) is one module,
		 * so that its functions are one function in every view: the
		 * second's addresses move to the first's load address */
		int32_t *mmap = xmalloc((p->nmodules + 1) * sizeof(*mmap));
		uint64_t *delta = xmalloc((p->nmodules + 1) * sizeof(*delta));
		for (size_t i = 0; i < p->nmodules; i++) {
			struct sc_module x = p->modules[i];
			size_t j = 0;
			while (j < m->nmodules && !same_module(&m->modules[j], &x))
				j++;
			mmap[i] = (int32_t)j;
			delta[i] = j < m->nmodules ? m->modules[j].bias - x.bias : 0;
			if (j < m->nmodules)
				continue;
			x.load_time += shift;
			x.unload_time = shifted(x.unload_time, shift);
			m->modules[m->nmodules++] = x;
		}
		for (size_t i = 0; i < p->nlocations; i++) {
			struct sc_location x = p->locations[i];
			if (x.module >= 0 && (size_t)x.module < p->nmodules) {
				x.addr += delta[x.module];
				x.module = mmap[x.module];
			}
			m->locations[m->nlocations++] = x;
		}
		/* the process's frame */
		uint32_t proc = (uint32_t)m->nlocations;
		sb_reset(&sb);
		/* by argv[0], as the record summary and the file names call it
		 * (gcc, not x86_64-linux-gnu-gcc-12) */
		const char *name = p->argc && p->argv[0] && *base_name(p->argv[0]) ? base_name(p->argv[0]) :
				   p->exe && *p->exe ? base_name(p->exe) : "?";
		sb_addf(&sb, "%s (pid %u)", name, p->pid);
		struct sc_line *pl = arena_alloc(A, sizeof(*pl));
		pl->func = arena_strdup(A, sb.buf);
		pl->file = "";
		m->locations[m->nlocations++] = (struct sc_location){ 0, -1, 1, pl };

		size_t pn = p->nstacks ? p->nstacks : 1;
		for (size_t s = 0; s < pn; s++) {
			const struct sc_stack *x = s && s < p->nstacks ? &p->stacks[s] : NULL;
			uint32_t nl = x ? x->nlocs : 0;
			uint32_t *locs = arena_alloc(A, (nl + 1) * sizeof(*locs));
			for (uint32_t j = 0; j < nl; j++)
				locs[j] = x->locs[j] + (uint32_t)lo;
			locs[nl] = proc;
			m->stacks[m->nstacks++] = (struct sc_stack){ nl + 1, locs };
		}
		for (size_t i = 0; i < p->nthreads; i++) {
			struct sc_thread x = p->threads[i];
			x.start += shift;
			x.end = shifted(x.end, shift);
			m->threads[m->nthreads++] = x;
		}
		for (size_t i = 0; i < p->nsamples; i++) {
			struct sc_sample x = p->samples[i];
			x.time += shift;
			x.stack = (uint32_t)(so + (x.stack < pn ? x.stack : 0));
			x.thread = (uint16_t)(x.thread + to);
			m->samples[m->nsamples++] = x;
		}
		/* heap events: a process's addresses get bits of their own (48
		 * and up: user space is below), so a free matches only its
		 * process's blocks */
		uint64_t tag = (uint64_t)(k + 1) << 48;
		struct sc_event_iter it;
		sc_events_begin(&it, p);
		const struct sc_event *batch;
		size_t got;
		while ((got = sc_events_next(&it, &batch)) > 0) {
			VEC_RESERVE(&ev, got);
			for (size_t i = 0; i < got; i++) {
				struct sc_event x = batch[i];
				x.time += shift;
				if (x.addr)
					x.addr ^= tag;
				if (x.kind != EV_FREE || x.stack)
					x.stack = (uint32_t)(so + (x.stack < pn ? x.stack : 0));
				x.thread = (uint16_t)(x.thread + to);
				ev.data[ev.len++] = x;
			}
		}
		if (sc_events_end(&it)) {
			rc = fail(err, errlen, "%s", it.err);
			break;
		}
		for (size_t i = 0; i < p->nrss; i++)
			rp[m->nrss++] = (struct rss_point){ p->rss[i].time + shift, p->rss[i].bytes, k };

		for (size_t i = 0; i < p->nzone_names; i++)
			m->zone_names[m->nzone_names++] = p->zone_names[i];
		for (size_t i = 0; i < p->nzones; i++) {
			struct sc_zone x = p->zones[i];
			x.start += shift;
			x.end += shift;
			x.name += (uint32_t)zo;
			x.thread = (uint16_t)(x.thread + to);
			m->zones[m->nzones++] = x;
		}
		for (size_t i = 0; i < p->nmarks; i++) {
			struct sc_mark x = p->marks[i];
			x.time += shift;
			x.name += (uint32_t)zo;
			x.thread = (uint16_t)(x.thread + to);
			m->marks[m->nmarks++] = x;
		}
		for (size_t i = 0; i < p->ncounters; i++) {
			struct sc_counter x = p->counters[i];
			x.time += shift;
			x.name += (uint32_t)zo;
			x.thread = (uint16_t)(x.thread + to);
			m->counters[m->ncounters++] = x;
		}
		for (size_t i = 0; i < p->nzone_drops; i++) {
			struct sc_zone_drop x = p->zone_drops[i];
			x.name += (uint32_t)zo;
			m->zone_drops[m->nzone_drops++] = x;
		}
		for (size_t i = 0; i < p->nzone_errors; i++) {
			struct sc_zone_error x = p->zone_errors[i];
			x.time += shift;
			if (x.expected != UINT32_MAX)
				x.expected += (uint32_t)zo;
			if (x.given != UINT32_MAX)
				x.given += (uint32_t)zo;
			x.thread = (uint16_t)(x.thread + to);
			m->zone_errors[m->nzone_errors++] = x;
		}
		for (size_t i = 0; i < p->nzone_stats; i++) {
			struct sc_zone_stat x = p->zone_stats[i];
			x.name += (uint32_t)zo;
			x.thread = (uint16_t)(x.thread + to);
			m->zone_stats[m->nzone_stats++] = x;
		}
		if (!p->have_zone_stats && (p->nzones || p->nzone_names))
			zone_stats_all = false;
		if (p->zone_keep_ns > m->zone_keep_ns)
			m->zone_keep_ns = p->zone_keep_ns;
		m->zone_spans_total += p->zone_spans_total;

		for (size_t i = 0; i < p->ncodes; i++) {
			struct sc_code x = p->codes[i];
			if (x.module < 0 || (size_t)x.module >= p->nmodules)
				continue;
			uint64_t d = delta[x.module];
			x.module = mmap[x.module];
			if (d) {
				x.start += d;
				struct sc_code_row *rows = arena_alloc(A, (x.nrows + 1) * sizeof(*rows));
				for (uint32_t j = 0; j < x.nrows; j++) {
					rows[j] = x.rows[j];
					rows[j].addr += d;
				}
				x.rows = rows;
				struct sc_code_target *tg = arena_alloc(A, (x.ntargets + 1) * sizeof(*tg));
				for (uint32_t j = 0; j < x.ntargets; j++) {
					tg[j] = x.targets[j];
					tg[j].addr += d;
				}
				x.targets = tg;
			}
			m->codes[m->ncodes++] = x;
		}
		free(mmap);
		free(delta);
		if (!m->code_machine)
			m->code_machine = p->code_machine;
		for (size_t i = 0; i < p->nsources; i++)
			m->sources[m->nsources++] = p->sources[i];
		for (size_t i = 0; i < p->nnotes; i++)
			m->notes[m->nnotes++] = p->notes[i];

		m->flags |= p->flags & (PROF_HEAP | PROF_INCOMPLETE | PROF_TRUNCATED | PROF_CPU | PROF_WALL |
					PROF_STALE);
		if (p->depth > m->depth)
			m->depth = p->depth;
		m->lost_chunks += p->lost_chunks;
		m->lost_bytes += p->lost_bytes;
		m->lost_events += p->lost_events;
		if (!m->sample_source && p->sample_source)
			m->sample_source = p->sample_source;
		if (!m->sample_hz)
			m->sample_hz = p->sample_hz;
		if (!m->perf_errno)
			m->perf_errno = p->perf_errno;
		m->cpu_time_ns += p->cpu_time_ns;
		m->leaf_only_samples += p->leaf_only_samples;
		/* the root's last image says how the run ended */
		if (p->pid == root->pid) {
			m->exit_kind = p->exit_kind;
			m->exit_value = p->exit_value;
		}
	}
	sb_release(&sb);
	if (rc) {
		VEC_FREE(&ev);
		free(rp);
		return rc;
	}

	/* one time order for events and samples */
	struct sc_event *etmp = xmalloc((ev.len / 2 + 1) * sizeof(*etmp));
	sort_events(ev.data, ev.len, etmp);
	free(etmp);
	m->events = ev.data;
	m->nevents = ev.len;
	struct sc_sample *stmp = xmalloc((m->nsamples / 2 + 1) * sizeof(*stmp));
	sort_samples(m->samples, m->nsamples, stmp);
	free(stmp);

	/* the run's RSS: the sum of each process's last reading */
	if (m->nrss) {
		qsort(rp, m->nrss, sizeof(*rp), rss_cmp);
		uint64_t *last = xcalloc(n, sizeof(*last)), sum = 0;
		m->rss = xmalloc(m->nrss * sizeof(*m->rss));
		size_t w = 0;
		for (size_t i = 0; i < m->nrss; i++) {
			sum = sum - last[rp[i].part] + rp[i].bytes;
			last[rp[i].part] = rp[i].bytes;
			if (w && m->rss[w - 1].time == rp[i].time)
				m->rss[w - 1].bytes = sum;
			else
				m->rss[w++] = (struct sc_rss){ rp[i].time, sum };
		}
		m->nrss = w;
		free(last);
	}
	free(rp);

	/* code by module and start, apart: a function two processes kept
	 * the code of is kept once */
	if (m->ncodes > 1) {
		qsort(m->codes, m->ncodes, sizeof(*m->codes), code_cmp);
		size_t w = 1;
		for (size_t i = 1; i < m->ncodes; i++) {
			const struct sc_code *a = &m->codes[w - 1], *b = &m->codes[i];
			if (a->module == b->module && b->start < a->start + a->len)
				continue;
			m->codes[w++] = *b;
		}
		m->ncodes = w;
	}

	/* sources by file and first line, apart: a file two processes kept
	 * lines of is shown from the first that did */
	if (m->nsources > 1) {
		qsort(m->sources, m->nsources, sizeof(*m->sources), source_cmp);
		size_t w = 1;
		for (size_t i = 1; i < m->nsources; i++) {
			const struct sc_source *a = &m->sources[w - 1], *b = &m->sources[i];
			if (!strcmp(a->file, b->file) && b->first < a->first + a->nlines)
				continue;
			m->sources[w++] = *b;
		}
		m->nsources = w;
	}

	m->have_zone_stats = zone_stats_all && m->nzone_stats;
	m->version = root->version;
	m->pid = root->pid;
	m->ppid = root->ppid;
	m->exe = root->exe;
	m->cmdline = root->cmdline;
	m->argc = root->argc;
	m->argv = root->argv;
	m->start_wall = t0;
	m->duration = end;
	m->host = root->host;
	m->scorch_version = root->scorch_version;
	m->run_id = root->run_id;
	return 0;
}

void profile_run_files(const struct sc_profile *p, const char *path, char ***out, size_t *n)
{
	char **v = xmalloc((p->nrelatives + 1) * sizeof(*v));
	size_t k = 0;
	v[k++] = xstrdup(path);
	const char *slash = strrchr(path, '/');
	for (size_t i = 0; i < p->nrelatives; i++) {
		const char *r = p->relatives[i];
		if (!r || !*r)
			continue;
		struct strbuf sb = STRBUF_INIT;
		if (r[0] != '/' && slash)
			sb_add(&sb, path, (size_t)(slash - path) + 1);
		sb_adds(&sb, r);
		v[k++] = sb_detach(&sb);
	}
	*out = v;
	*n = k;
}

void profile_mark_offcpu(struct sc_profile *p)
{
	if (!(p->flags & PROF_WALL) || p->offcpu_marked || !p->nsamples)
		return;
	p->offcpu_marked = true;
	size_t ns = p->nstacks ? p->nstacks : 1, added = 0;
	uint32_t *map = xcalloc(ns, sizeof(*map));   /* 0: none yet */
	for (size_t i = 0; i < p->nsamples; i++) {
		uint32_t s = p->samples[i].stack < ns ? p->samples[i].stack : 0;
		if (p->samples[i].offcpu && !map[s])
			map[s] = (uint32_t)(p->nstacks + added++);
	}
	if (!added) {
		free(map);
		return;
	}
	struct arena *A = &p->arena;
	struct sc_location *locs = arena_alloc(A, (p->nlocations + 1) * sizeof(*locs));
	memcpy(locs, p->locations, p->nlocations * sizeof(*locs));
	uint32_t off = (uint32_t)p->nlocations;
	struct sc_line *l = arena_alloc(A, sizeof(*l));
	l->func = MERGE_OFFCPU_FRAME;
	l->file = "";
	locs[off] = (struct sc_location){ 0, -1, 1, l };
	p->locations = locs;
	p->nlocations++;

	struct sc_stack *st = arena_alloc(A, (p->nstacks + added) * sizeof(*st));
	memcpy(st, p->stacks, p->nstacks * sizeof(*st));
	for (size_t s = 0; s < ns; s++) {
		if (!map[s])
			continue;
		const struct sc_stack *x = s < p->nstacks ? &p->stacks[s] : NULL;
		uint32_t nl = x ? x->nlocs : 0;
		uint32_t *v = arena_alloc(A, (nl + 1) * sizeof(*v));
		v[0] = off;
		if (nl)
			memcpy(v + 1, x->locs, nl * sizeof(*v));
		st[map[s]] = (struct sc_stack){ nl + 1, v };
	}
	p->stacks = st;
	p->nstacks += added;
	for (size_t i = 0; i < p->nsamples; i++) {
		uint32_t s = p->samples[i].stack < ns ? p->samples[i].stack : 0;
		if (p->samples[i].offcpu)
			p->samples[i].stack = map[s];
	}
	free(map);
}

int profile_mostly_offcpu(const struct sc_profile *p)
{
	if (!(p->flags & PROF_WALL))
		return 0;
	uint64_t on = 0, off = 0;
	for (size_t i = 0; i < p->nsamples; i++)
		*(p->samples[i].offcpu ? &off : &on) += p->samples[i].weight;
	return off > on;
}
