/* Bump allocator for per-profile data that is freed all at once. Memory from
 * arena_alloc() belongs to the arena and lives until arena_release(). */
#ifndef SCORCH_LIB_ARENA_H
#define SCORCH_LIB_ARENA_H

#include <stddef.h>

struct arena_block;
struct arena {
	struct arena_block *head;
	size_t used_total;
};

void *arena_alloc(struct arena *a, size_t n);        /* 16-byte aligned, zeroed */
char *arena_strdup(struct arena *a, const char *s);
char *arena_strndup(struct arena *a, const char *s, size_t n);
void arena_release(struct arena *a);

#endif
