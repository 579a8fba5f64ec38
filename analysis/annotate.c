/* Sample counts per address of kept code (annotate.h): one walk over the
 * stacks the CPU model counted, each stack weighed by its matched samples. */
#include "annotate.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "../lib/die.h"

void annot_counts_build(const struct sc_profile *p, const struct cpu_result *r,
			const struct sc_code *c, struct annot_counts *out)
{
	memset(out, 0, sizeof(*out));
	out->code = c;
	out->self = xcalloc(c->len ? c->len : 1, sizeof(*out->self));
	out->total = xcalloc(c->len ? c->len : 1, sizeof(*out->total));
	/* the share of each stack's weight its samples carry: r->stacks holds
	 * the matched samples and their ns per stack */
	for (size_t s = 1; s < p->nstacks; s++) {
		const struct cpu_count *w = &r->stacks[s];
		if (!w->samples)
			continue;
		const struct sc_stack *st = &p->stacks[s];
		for (uint32_t j = 0; j < st->nlocs; j++) {
			const struct sc_location *l = &p->locations[st->locs[j]];
			if (l->module != c->module || l->addr - c->start >= c->len)
				continue;
			/* a recursive stack passes one call site several times */
			bool seen = false;
			for (uint32_t k = 0; k < j && !seen; k++)
				seen = st->locs[k] == st->locs[j];
			if (seen)
				continue;
			uint64_t off = l->addr - c->start;
			out->total[off].samples += w->samples;
			out->total[off].ns += w->ns;
			if (j == 0) {
				out->self[off].samples += w->samples;
				out->self[off].ns += w->ns;
				out->sum_self.samples += w->samples;
				out->sum_self.ns += w->ns;
			}
		}
	}
}

/* "[lib.so+0x1a200]": a function without a symbol, named by its FDE
 * (symbolize.c), is no symbol either */
static bool func_known(const char *fn)
{
	if (!fn || !fn[0] || !strcmp(fn, "??"))
		return false;
	size_t n = strlen(fn);
	return !(fn[0] == '[' && fn[n - 1] == ']' && strstr(fn, "+0x"));
}

enum annot_missing annot_missing_why(const struct sc_profile *p, const struct cpu_func *f)
{
	if (!p->ncodes)
		return ANNOT_NOTHING_KEPT;
	if (f->module < 0 || (size_t)f->module >= p->nmodules)
		return ANNOT_NO_MODULE;
	/* a frame's function is its last line's; one without a symbol is "??"
	 * in the profile and named by module and offset in the views */
	bool named = false, module_named = false;
	for (size_t i = 0; i < p->nlocations && !named; i++) {
		const struct sc_location *l = &p->locations[i];
		if (l->module != f->module || !l->nlines)
			continue;
		const char *fn = l->lines[l->nlines - 1].func;
		if (!func_known(fn))
			continue;
		module_named = true;
		named = !strcmp(fn, f->name);
	}
	return named ? ANNOT_NOT_HOT : module_named ? ANNOT_STRIPPED : ANNOT_NO_SYMBOLS;
}

void annot_counts_release(struct annot_counts *a)
{
	free(a->self);
	free(a->total);
	memset(a, 0, sizeof(*a));
}

const struct sc_code *annot_code_of(const struct sc_profile *p, const struct cpu_func *f)
{
	for (size_t i = 0; i < p->ncodes; i++)
		if (p->codes[i].module == f->module && !strcmp(p->codes[i].name, f->name))
			return &p->codes[i];
	return NULL;
}
