/* The report filter of filter.h. */
#include "filter.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "../lib/die.h"

int stack_filter_init(struct stack_filter *f, const struct sc_profile *p, const char *re)
{
	memset(f, 0, sizeof(*f));
	f->p = p;
	if (!re)
		return 0;
	if (regcomp(&f->rx, re, REG_EXTENDED | REG_NOSUB))
		return -EINVAL;
	f->on = true;
	f->loc = xcalloc(p->nlocations + 1, 1);
	f->mod = xcalloc(p->nmodules + 1, 1);
	return 0;
}

static bool module_matches(struct stack_filter *f, int32_t m)
{
	if (m < 0 || (size_t)m >= f->p->nmodules)
		return false;
	if (!f->mod[m]) {
		const char *n = f->p->modules[m].name;
		f->mod[m] = n && !regexec(&f->rx, n, 0, NULL, 0) ? 2 : 1;
	}
	return f->mod[m] == 2;
}

bool stack_filter_loc(struct stack_filter *f, uint32_t loc)
{
	if (!f->on)
		return true;
	if (!f->loc[loc]) {
		const struct sc_location *l = &f->p->locations[loc];
		bool m = module_matches(f, l->module);
		for (uint32_t i = 0; !m && i < l->nlines; i++)
			m = l->lines[i].func && !regexec(&f->rx, l->lines[i].func, 0, NULL, 0);
		f->loc[loc] = m ? 2 : 1;
	}
	return f->loc[loc] == 2;
}

bool stack_filter_stack(struct stack_filter *f, const struct sc_stack *st)
{
	if (!f->on)
		return true;
	for (uint32_t k = 0; k < st->nlocs; k++)
		if (stack_filter_loc(f, st->locs[k]))
			return true;
	return false;
}

void stack_filter_release(struct stack_filter *f)
{
	if (f->on)
		regfree(&f->rx);
	free(f->loc);
	free(f->mod);
	memset(f, 0, sizeof(*f));
}
