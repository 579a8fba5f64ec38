/* Completing an imported profile from the binaries at hand (import.h,
 * import_complete): perf script prints run-time addresses and "symbol+0xOFF",
 * not where modules were loaded; one such frame gives the load bias, and
 * with it the module's line tables, code and sources serve as they do for a
 * recorded profile. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../lib/die.h"
#include "code.h"
#include "import.h"
#include "symbolize.h"

struct placed {
	struct symbolizer *sym;
	int *handle;                /* per module: symbolizer handle, -1 not placed */
};

static int placed_handle(void *ctx, int mi)
{
	const struct placed *pl = ctx;
	return pl->handle[mi];
}

/* The load bias of module mi from anchor a, or -1 (no file, no such symbol,
 * or the symbol there is not the anchor's). */
static int place(struct sc_profile *p, struct placed *pl, const struct import_anchor *a)
{
	struct sc_module *m = &p->modules[a->module];
	int h0 = symbolizer_add_module(pl->sym, m->path, 0, 0, 0);
	uint64_t st;
	char name[512];
	const char *at = strchr(a->symbol, '@');     /* "clock_gettime@@GLIBC_2.17" */
	snprintf(name, sizeof(name), "%.*s", at && at != a->symbol ? (int)(at - a->symbol) : 511, a->symbol);
	if (h0 < 0 || symbolizer_symbol_named(pl->sym, h0, name, &st) != 0 || a->addr - a->offset < st)
		return -1;
	uint64_t bias = a->addr - a->offset - st;
	int h = symbolizer_add_module(pl->sym, m->path, bias, 0, 0);
	uint64_t s0, sz;
	const char *nm;
	/* the address must fall in a symbol of that name once placed */
	if (h < 0 || symbolizer_symbol(pl->sym, h, a->addr, &s0, &sz, &nm) != 0 || a->addr - s0 >= sz)
		return -1;
	m->bias = bias;
	return h;
}

/* Does the file still hold what ran? Its symbols must name at least 9 in 10
 * of the module's frames that perf named (a rebuilt binary would put other
 * functions at those addresses). */
static bool agrees(const struct sc_profile *p, const struct placed *pl, int32_t mi)
{
	size_t named = 0, same = 0;
	for (size_t i = 0; i < p->nlocations; i++) {
		const struct sc_location *l = &p->locations[i];
		if (l->module != mi || !l->nlines || l->lines[l->nlines - 1].inlined)
			continue;
		uint64_t st, sz;
		const char *nm;
		named++;
		/* perf spells versioned symbols "clock_gettime@@GLIBC_2.17" */
		const char *want = l->lines[l->nlines - 1].func, *at = strchr(want, '@');
		size_t wn = at && at != want ? (size_t)(at - want) : strlen(want);
		if (symbolizer_symbol(pl->sym, pl->handle[mi], l->addr, &st, &sz, &nm) == 0 &&
		    !strncmp(nm, want, wn) && !nm[wn])
			same++;
	}
	return named && same * 10 >= named * 9;
}

size_t import_complete(struct sc_profile *p, const struct import_anchor *a, size_t n, bool no_code)
{
	if (!p->nmodules)
		return 0;
	struct placed pl = { symbolizer_new(&p->arena), xmalloc(p->nmodules * sizeof(int)) };
	for (size_t i = 0; i < p->nmodules; i++)
		pl.handle[i] = -1;
	size_t placed = 0;
	for (size_t i = 0; i < n; i++) {
		int32_t mi = a[i].module;
		if (mi < 0 || (size_t)mi >= p->nmodules || pl.handle[mi] >= 0)
			continue;
		uint64_t bias = p->modules[mi].bias;
		if ((pl.handle[mi] = place(p, &pl, &a[i])) < 0)
			continue;
		if (agrees(p, &pl, mi)) {
			placed++;
		} else {
			pl.handle[mi] = -1;
			p->modules[mi].bias = bias;
		}
	}
	if (!placed) {
		symbolizer_free(pl.sym);
		free(pl.handle);
		return 0;
	}

	/* which locations are innermost frames, which only ever callers */
	uint8_t *use = xcalloc(p->nlocations + 1, 1);   /* 1 innermost, 2 caller */
	for (size_t s = 1; s < p->nstacks; s++)
		for (uint32_t j = 0; j < p->stacks[s].nlocs; j++)
			use[p->stacks[s].locs[j]] |= j ? 2 : 1;
	struct sc_line lines[64];
	for (size_t i = 0; i < p->nlocations; i++) {
		struct sc_location *l = &p->locations[i];
		if (l->module < 0 || pl.handle[l->module] < 0 || !l->addr)
			continue;
		if (use[i] == 2)
			l->addr--;      /* a return address: the call is the byte before */
		bool known = true;
		for (uint32_t j = 0; j < l->nlines; j++)
			known &= l->lines[j].line != 0;
		if (known)
			continue;
		int nl = symbolizer_lookup(pl.sym, pl.handle[l->module], l->addr, lines, 64);
		for (uint32_t j = 0; j < l->nlines && nl > 0; j++) {
			struct sc_line *ln = &l->lines[j];
			if (ln->line)
				continue;
			/* the position in the function of that name; a frame that
			 * is not inlined takes the outermost one's */
			int k = nl;
			while (k-- > 0 && strcmp(lines[k].func, ln->func))
				;
			if (k < 0 && !ln->inlined)
				k = nl - 1;
			if (k >= 0 && lines[k].line) {
				ln->file = lines[k].file;
				ln->line = lines[k].line;
			}
		}
	}
	free(use);
	if (!no_code)
		code_capture(p, pl.sym, placed_handle, &pl);
	symbolizer_free(pl.sym);
	free(pl.handle);
	return placed;
}
