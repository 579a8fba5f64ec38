/* Folded-stack export: one "frame;frame;... weight" line per distinct stack. */
#include "folded.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "../analysis/demangle.h"
#include "../lib/die.h"

int folded_weight_parse(const char *s)
{
	static const char *const names[] = { "bytes", "count", "peak", "leaked", "samples", "cpu-ns" };
	for (size_t i = 0; i < sizeof(names) / sizeof(*names); i++)
		if (!strcmp(s, names[i]))
			return (int)i;
	return -1;
}

bool folded_weight_is_cpu(enum folded_weight w)
{
	return w == FOLDED_SAMPLES || w == FOLDED_CPU_NS;
}

/* Where the weights come from: the heap model or the CPU model. */
struct weights {
	const struct heap_result *heap;
	const struct cpu_result *cpu;
	enum folded_weight w;
	bool short_names;           /* demangle_short()'s names instead of the full ones */
};

static uint64_t weight_of(const struct weights *ws, size_t stack)
{
	if (ws->cpu) {
		const struct cpu_count *c = &ws->cpu->stacks[stack];
		switch (ws->w) {
		case FOLDED_SAMPLES: return c->samples;
		case FOLDED_CPU_NS: return c->ns;
		default: return 0;
		}
	}
	const struct heap_stack_stat *s = &ws->heap->stacks[stack];
	switch (ws->w) {
	case FOLDED_COUNT: return s->allocations;
	case FOLDED_PEAK: return s->peak_bytes;
	case FOLDED_LEAKED: return s->leaked_bytes;
	case FOLDED_SAMPLES: case FOLDED_CPU_NS: return 0;
	case FOLDED_BYTES: default: return s->bytes;
	}
}

/* Appends one frame name, made safe for the folded syntax. */
static void add_frame(struct strbuf *sb, struct strbuf *tmp, const struct sc_profile *p,
		      const struct sc_location *loc, const struct sc_line *ln, bool short_names)
{
	sb_reset(tmp);
	heap_frame_name(p, loc, ln, tmp);
	const char *s = sb_str(tmp);
	if (!*s)
		s = "??";
	struct arena a = { 0 };
	const char *sh = short_names ? demangle_short(s, &a) : NULL;
	if (sh)
		s = sh;
	size_t start = sb->len;
	sb_adds(sb, s);
	for (size_t i = start; i < sb->len; i++) {
		if (sb->buf[i] == ';')
			sb->buf[i] = ':';
		else if (sb->buf[i] == '\n' || sb->buf[i] == '\r')
			sb->buf[i] = ' ';
	}
	arena_release(&a);
	if (ln && ln->inlined)
		sb_adds(sb, "_[i]");
}

struct line {
	size_t off;
	uint64_t weight;
};

static int cmp_lines(const void *a, const void *b, void *arg)
{
	const char *buf = arg;
	const struct line *x = a, *y = b;
	int r = strcmp(buf + x->off, buf + y->off);
	return r ? r : (x->off < y->off ? -1 : x->off > y->off);
}

static int write_weighted(FILE *f, const struct sc_profile *p, const struct weights *ws)
{
	struct strbuf all = STRBUF_INIT, tmp = STRBUF_INIT;
	size_t n = 0, nstacks = p->nstacks ? p->nstacks : 1;
	struct line *lines = xmalloc(nstacks * sizeof(*lines));
	for (size_t s = 0; s < nstacks; s++) {
		uint64_t wt = weight_of(ws, s);
		if (!wt)
			continue;
		lines[n].off = all.len;
		lines[n].weight = wt;
		n++;
		const struct sc_stack *st = s < p->nstacks ? &p->stacks[s] : NULL;
		if (!st || !st->nlocs)
			sb_adds(&all, "[no stack]");
		bool first = true;
		for (uint32_t k = st ? st->nlocs : 0; k-- > 0;) {
			const struct sc_location *loc = &p->locations[st->locs[k]];
			for (uint32_t j = loc->nlines ? loc->nlines : 1; j-- > 0;) {
				if (!first)
					sb_addc(&all, ';');
				first = false;
				add_frame(&all, &tmp, p, loc, loc->nlines ? &loc->lines[j] : NULL, ws->short_names);
			}
		}
		sb_addc(&all, '\0');
	}
	qsort_r(lines, n, sizeof(*lines), cmp_lines, all.buf);
	for (size_t i = 0; i < n;) {
		uint64_t sum = 0;
		size_t j = i;
		while (j < n && !strcmp(all.buf + lines[i].off, all.buf + lines[j].off))
			sum += lines[j++].weight;
		fprintf(f, "%s %llu\n", all.buf + lines[i].off, (unsigned long long)sum);
		i = j;
	}
	free(lines);
	sb_release(&all);
	sb_release(&tmp);
	/* the flush says why a write failed (ENOSPC on a full disk) */
	if (fflush(f) != 0)
		return errno ? -errno : -EIO;
	return ferror(f) ? -EIO : 0;
}

int folded_write(FILE *f, const struct sc_profile *p, const struct heap_result *r,
		 enum folded_weight w)
{
	struct weights ws = { r, NULL, w, false };
	return write_weighted(f, p, &ws);
}

int folded_write_cpu(FILE *f, const struct sc_profile *p, const struct cpu_result *r,
		     enum folded_weight w)
{
	struct weights ws = { NULL, r, w, false };
	return write_weighted(f, p, &ws);
}

int folded_write_names(FILE *f, const struct sc_profile *p, const struct heap_result *heap,
		       const struct cpu_result *cpu, enum folded_weight w, bool short_names)
{
	struct weights ws = { heap, cpu, w, short_names };
	return write_weighted(f, p, &ws);
}
