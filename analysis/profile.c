/* Lifecycle of the in-memory profile model and the family's display names. */
#include "profile.h"

#include <stdlib.h>

#include "../lib/die.h"

struct sc_profile *profile_new(void)
{
	return xcalloc(1, sizeof(struct sc_profile));
}

void profile_free(struct sc_profile *p)
{
	if (!p)
		return;
	free(p->events);
	free(p->rss);
	free(p->samples);
	for (size_t i = 0; i < p->nparts; i++)
		profile_free(p->parts[i]);
	free(p->parts);
	arena_release(&p->arena);
	free(p);
}

const char *raw_func_name(int func)
{
	static const char *const names[FN__COUNT] = {
		[FN_MALLOC] = "malloc",
		[FN_CALLOC] = "calloc",
		[FN_REALLOC] = "realloc",
		[FN_REALLOCARRAY] = "reallocarray",
		[FN_POSIX_MEMALIGN] = "posix_memalign",
		[FN_ALIGNED_ALLOC] = "aligned_alloc",
		[FN_MEMALIGN] = "memalign",
		[FN_VALLOC] = "valloc",
		[FN_PVALLOC] = "pvalloc",
		[FN_FREE] = "free",
		[FN_FREE_SIZED] = "free_sized",
		[FN_FREE_ALIGNED_SIZED] = "free_aligned_sized",
		[FN_REALLOC_MOVE] = "realloc (old block)",
	};
	if (func < 0 || func >= FN__COUNT || !names[func])
		return "?";
	return names[func];
}
