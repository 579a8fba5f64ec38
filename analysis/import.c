/* The profile builder behind `scorch import` (see import.h): interning of
 * modules by path, locations by (module, address, function, position),
 * stacks by their locations and threads by tid, with the profile's strings
 * in its arena, and the final ordering of the samples. Also the folded
 * import, a thin layer over folded-in.c's line parser. */
#include "import.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../lib/die.h"
#include "../lib/hashmap.h"
#include "../lib/strbuf.h"
#include "../lib/vec.h"
#include "demangle.h"
#include "folded-in.h"

struct import_builder {
	struct sc_profile *p;
	bool taken;                       /* import_finish() handed p over */
	struct strmap modules;            /* path -> module index */
	struct strmap locations;          /* key -> location index */
	struct strmap stacks;             /* key -> stack index */
	struct u64map threads;            /* tid -> thread index */
	VEC(struct sc_module) mods;
	VEC(struct sc_location) locs;
	VEC(struct sc_stack) stks;
	VEC(struct sc_thread) thrs;
	VEC(struct sc_sample) samples;
	struct strbuf key;
};

struct import_builder *import_builder_new(void)
{
	struct import_builder *b = xcalloc(1, sizeof(*b));
	b->p = profile_new();
	strmap_init(&b->modules);
	strmap_init(&b->locations);
	strmap_init(&b->stacks);
	u64map_init(&b->threads, 16);
	/* stack 0 is the empty stack, as in every profile */
	struct sc_stack empty = { 0, NULL };
	VEC_PUSH(&b->stks, empty);
	strmap_intern(&b->stacks, "", 0, NULL);
	return b;
}

void import_builder_free(struct import_builder *b)
{
	if (!b)
		return;
	if (!b->taken)
		profile_free(b->p);
	strmap_release(&b->modules);
	strmap_release(&b->locations);
	strmap_release(&b->stacks);
	u64map_release(&b->threads);
	VEC_FREE(&b->mods);
	VEC_FREE(&b->locs);
	VEC_FREE(&b->stks);
	VEC_FREE(&b->thrs);
	VEC_FREE(&b->samples);
	sb_release(&b->key);
	free(b);
}

struct sc_profile *import_profile(struct import_builder *b)
{
	return b->p;
}

size_t import_nsamples(const struct import_builder *b)
{
	return b->samples.len;
}

int32_t import_module(struct import_builder *b, const char *path, size_t path_len)
{
	sb_reset(&b->key);
	sb_add(&b->key, path, path_len);
	bool isnew;
	uint32_t id = strmap_intern(&b->modules, sb_str(&b->key), (uint32_t)b->mods.len, &isnew);
	if (!isnew)
		return (int32_t)id;
	struct sc_module m;
	memset(&m, 0, sizeof(m));
	m.path = arena_strndup(&b->p->arena, path, path_len);
	const char *slash = strrchr(m.path, '/');
	m.name = slash && slash[1] ? slash + 1 : m.path;
	VEC_PUSH(&b->mods, m);
	return (int32_t)id;
}

/* func as it should show: demangled when it is a mangled C++ or Rust name. */
static const char *func_name(struct import_builder *b, const char *s, size_t n)
{
	char *raw = arena_strndup(&b->p->arena, s, n);
	if (n > 2 && raw[0] == '_' && (raw[1] == 'Z' || raw[1] == 'R')) {
		char *d = demangle(raw, &b->p->arena);
		if (d)
			return d;
	}
	return raw;
}

uint32_t import_location(struct import_builder *b, const struct import_frame *f)
{
	size_t fl = f->func ? f->func_len : 0, il = f->file ? f->file_len : 0;
	/* lengths first, so no two different frames can spell the same key */
	sb_reset(&b->key);
	sb_addf(&b->key, "%d:%llx:%d:%u:%zu:", f->module, (unsigned long long)f->addr,
		f->inlined, f->line, il);
	sb_add(&b->key, f->file ? f->file : "", il);
	sb_add(&b->key, f->func ? f->func : "", fl);
	bool isnew;
	uint32_t id = strmap_intern(&b->locations, sb_str(&b->key), (uint32_t)b->locs.len, &isnew);
	if (!isnew)
		return id;
	struct arena *a = &b->p->arena;
	struct sc_location l;
	memset(&l, 0, sizeof(l));
	l.addr = f->addr;
	l.module = f->module;
	l.nlines = 1;
	l.lines = arena_alloc(a, sizeof(*l.lines));
	l.lines[0].func = fl ? func_name(b, f->func, fl) : "??";
	l.lines[0].file = il ? arena_strndup(a, f->file, il) : "";
	l.lines[0].line = f->line;
	l.lines[0].inlined = f->inlined;
	VEC_PUSH(&b->locs, l);
	if (f->module >= 0 && (size_t)f->module < b->mods.len) {
		/* the span of addresses seen in the module, for lo/hi */
		struct sc_module *m = &b->mods.data[f->module];
		if (m->lo == 0 && m->hi == 0) {
			m->lo = f->addr;
			m->hi = f->addr + 1;
		} else {
			if (f->addr < m->lo)
				m->lo = f->addr;
			if (f->addr >= m->hi)
				m->hi = f->addr + 1;
		}
	}
	return id;
}

int64_t import_stack(struct import_builder *b, const uint32_t *locs, size_t n)
{
	if (n > IMPORT_MAX_DEPTH)
		return -E2BIG;
	sb_reset(&b->key);
	for (size_t i = 0; i < n; i++)
		sb_addf(&b->key, "%x,", locs[i]);
	bool isnew;
	uint32_t id = strmap_intern(&b->stacks, sb_str(&b->key), (uint32_t)b->stks.len, &isnew);
	if (!isnew)
		return id;
	struct sc_stack s;
	s.nlocs = (uint32_t)n;
	s.locs = arena_alloc(&b->p->arena, (n ? n : 1) * sizeof(*s.locs));
	memcpy(s.locs, locs, n * sizeof(*locs));
	VEC_PUSH(&b->stks, s);
	return id;
}

int import_thread(struct import_builder *b, uint32_t tid, const char *name, size_t name_len)
{
	bool isnew;
	uint64_t *v = u64map_put(&b->threads, tid, &isnew);
	if (isnew) {
		if (b->thrs.len >= IMPORT_MAX_THREADS) {
			u64map_del(&b->threads, tid, NULL);
			return -E2BIG;
		}
		struct sc_thread t;
		memset(&t, 0, sizeof(t));
		t.tid = tid;
		t.name = "";
		*v = b->thrs.len;
		VEC_PUSH(&b->thrs, t);
	}
	struct sc_thread *t = &b->thrs.data[*v];
	if (name && (strlen(t->name) != name_len || memcmp(t->name, name, name_len)))
		t->name = arena_strndup(&b->p->arena, name, name_len);
	return (int)*v;
}

int import_sample(struct import_builder *b, uint64_t time, uint32_t stack, uint16_t thread,
		  uint32_t weight)
{
	if (b->samples.len >= IMPORT_MAX_SAMPLES)
		return -E2BIG;
	struct sc_sample s;
	memset(&s, 0, sizeof(s));
	s.time = time;
	s.stack = stack;
	s.thread = thread;
	s.weight = weight;
	VEC_PUSH(&b->samples, s);
	return 0;
}

/* Time order; equal times keep a fixed order (thread, stack, weight) so the
 * file does not depend on the sort's whims. */
static int cmp_samples(const void *x, const void *y)
{
	const struct sc_sample *a = x, *b = y;
	if (a->time != b->time)
		return a->time < b->time ? -1 : 1;
	if (a->thread != b->thread)
		return a->thread < b->thread ? -1 : 1;
	if (a->stack != b->stack)
		return a->stack < b->stack ? -1 : 1;
	return a->weight < b->weight ? -1 : a->weight > b->weight;
}

/* Copies a vector into the profile's arena (n entries, at least one slot). */
static void *to_arena(struct arena *a, const void *data, size_t n, size_t size)
{
	void *dst = arena_alloc(a, (n ? n : 1) * size);
	if (n)
		memcpy(dst, data, n * size);
	return dst;
}

struct sc_profile *import_finish(struct import_builder *b)
{
	struct sc_profile *p = b->p;
	struct arena *a = &p->arena;
	p->modules = to_arena(a, b->mods.data, b->mods.len, sizeof(*b->mods.data));
	p->nmodules = b->mods.len;
	p->locations = to_arena(a, b->locs.data, b->locs.len, sizeof(*b->locs.data));
	p->nlocations = b->locs.len;
	p->stacks = to_arena(a, b->stks.data, b->stks.len, sizeof(*b->stks.data));
	p->nstacks = b->stks.len;
	p->threads = to_arena(a, b->thrs.data, b->thrs.len, sizeof(*b->thrs.data));
	p->nthreads = b->thrs.len;

	struct sc_sample *s = b->samples.data;
	size_t n = b->samples.len;
	bool sorted = true;
	for (size_t i = 1; i < n && sorted; i++)
		sorted = s[i - 1].time <= s[i].time;
	if (!sorted)
		qsort(s, n, sizeof(*s), cmp_samples);
	uint64_t t0 = n ? s[0].time : 0;
	for (size_t i = 0; i < n; i++)
		s[i].time -= t0;
	for (size_t i = 0; i < p->nthreads; i++)
		p->threads[i].start = p->threads[i].end = UINT64_MAX;
	for (size_t i = 0; i < n; i++) {
		struct sc_thread *t = &p->threads[s[i].thread];
		if (t->start == UINT64_MAX)
			t->start = s[i].time;
		t->end = s[i].time;
	}
	for (size_t i = 0; i < p->nthreads; i++)
		if (p->threads[i].start == UINT64_MAX)
			p->threads[i].start = p->threads[i].end = 0;
	p->samples = s;
	p->nsamples = n;
	b->samples.data = NULL;
	b->samples.len = b->samples.cap = 0;
	p->duration = n ? s[n - 1].time : 0;
	p->flags |= PROF_CPU;
	b->taken = true;
	return p;
}

/* ---- folded stacks ---- */

struct folded_import {
	struct import_builder *b;
	const char *name;
	uint32_t weight;            /* of each sample, ns */
	uint16_t thread;
	VEC(uint32_t) locs;
	char *err;
	size_t errlen;
};

/* A frame named as views name an unsymbolized one, "[MODULE+0xOFFSET]" or
 * "[0xADDRESS]": its module's name (*mlen 0 for none) and the number, so
 * that it comes back as the unsymbolized frame it was (a function unknown,
 * in a module), not as a function of that name. */
static bool unsymbolized_name(const char *s, size_t n, size_t *mlen, uint64_t *addr)
{
	if (n < 5 || s[0] != '[' || s[n - 1] != ']')
		return false;
	size_t i = n - 1;   /* back over the hex digits */
	while (i > 0 && ((s[i - 1] >= '0' && s[i - 1] <= '9') || (s[i - 1] >= 'a' && s[i - 1] <= 'f') ||
			 (s[i - 1] >= 'A' && s[i - 1] <= 'F')))
		i--;
	size_t digits = n - 1 - i;
	if (!digits || digits > 16 || i < 3 || s[i - 1] != 'x' || s[i - 2] != '0')
		return false;
	if (i == 3) {
		*mlen = 0;          /* "[0x...]" */
	} else if (s[i - 3] == '+' && i > 4) {
		*mlen = i - 4;      /* "[MODULE+0x...]" */
	} else {
		return false;
	}
	uint64_t v = 0;
	for (size_t k = i; k < n - 1; k++) {
		char c = s[k];
		v = v << 4 | (uint64_t)(c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10);
	}
	*addr = v;
	return true;
}

/* One folded line: its frames (root first) become a stack (innermost
 * first), its count that many samples. */
static int folded_line(void *arg, const struct folded_frame *fr, size_t n, uint64_t count,
		       size_t lineno)
{
	struct folded_import *x = arg;
	if (n > IMPORT_MAX_DEPTH) {
		snprintf(x->err, x->errlen, "%s:%zu: stack of %zu frames, more than scorch takes (%u)",
			 x->name, lineno, n, IMPORT_MAX_DEPTH);
		return -E2BIG;
	}
	if (count > IMPORT_MAX_SAMPLES - import_nsamples(x->b)) {
		snprintf(x->err, x->errlen, "%s:%zu: the counts add up to more than %llu samples; "
			 "scorch import takes sample counts (a file weighted by bytes or ns does not fit)",
			 x->name, lineno, (unsigned long long)IMPORT_MAX_SAMPLES);
		return -E2BIG;
	}
	x->locs.len = 0;
	VEC_RESERVE(&x->locs, n);
	for (size_t i = 0; i < n; i++) {
		const struct folded_frame *ff = &fr[n - 1 - i];
		struct import_frame f = {
			.module = -1, .func = ff->name, .func_len = ff->len, .inlined = ff->inlined,
		};
		size_t mlen;
		if (unsymbolized_name(ff->name, ff->len, &mlen, &f.addr)) {
			f.module = mlen ? import_module(x->b, ff->name + 1, mlen) : -1;
			f.func = NULL;
			f.func_len = 0;
		}
		x->locs.data[i] = import_location(x->b, &f);
	}
	int64_t st = import_stack(x->b, x->locs.data, n);
	for (uint64_t k = 0; k < count; k++)
		import_sample(x->b, 0, (uint32_t)st, x->thread, x->weight);
	return 0;
}

/* Whether the input holds nothing but blanks. */
static bool all_blank(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] != ' ' && s[i] != '\t' && s[i] != '\n' && s[i] != '\r')
			return false;
	return true;
}

int import_folded(const char *data, size_t len, const char *name, uint32_t hz,
		  struct sc_profile **out, char *err, size_t errlen)
{
	struct folded_import x;
	memset(&x, 0, sizeof(x));
	x.b = import_builder_new();
	x.name = name;
	x.weight = hz ? (uint32_t)(1000000000u / hz) : 0;
	x.thread = (uint16_t)import_thread(x.b, 0, "folded", 6);
	x.err = err;
	x.errlen = errlen;
	*out = NULL;
	char perr[512] = "";
	int rc = memchr(data, '\0', len) ? -EINVAL : folded_parse(data, len, folded_line, &x, perr, sizeof(perr));
	if (rc == -EINVAL) {
		/* the parser says "line N: why"; name the file as the perf reader does */
		unsigned long line;
		int used = 0;
		if (!perr[0])
			snprintf(err, errlen, "%s: NUL byte in the text; is this a folded stacks file?", name);
		else if (sscanf(perr, "line %lu: %n", &line, &used) == 1 && used)
			snprintf(err, errlen, "%s:%lu: %s", name, line, perr + used);
		else
			snprintf(err, errlen, "%s: %s", name, perr);
	} else if (!rc && !import_nsamples(x.b)) {
		snprintf(err, errlen, all_blank(data, len) ? "%s: empty input: no folded stacks"
			 : "%s: no samples: every line has the count 0", name);
		rc = -ENODATA;
	}
	if (!rc) {
		struct sc_profile *p = import_finish(x.b);
		p->exe = arena_strdup(&p->arena, name);
		p->sample_source = "folded stacks";
		p->sample_hz = hz;
		p->cpu_time_ns = (uint64_t)x.weight * p->nsamples;
		*out = p;
	}
	VEC_FREE(&x.locs);
	import_builder_free(x.b);
	return rc ? -1 : 0;
}
