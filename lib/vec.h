/* Typed growable arrays: `VEC(struct foo) v = {0}; VEC_PUSH(&v, x);`.
 * The vector owns .data; free it with VEC_FREE. */
#ifndef SCORCH_LIB_VEC_H
#define SCORCH_LIB_VEC_H

#include "die.h"
#include <stddef.h>
#include <stdlib.h>

#define VEC(T) struct { T *data; size_t len, cap; }

#define VEC_RESERVE(v, n) do { \
	if ((v)->len + (n) > (v)->cap) { \
		size_t c__ = (v)->cap ? (v)->cap : 8; \
		while (c__ < (v)->len + (n)) c__ *= 2; \
		(v)->data = xrealloc((v)->data, c__ * sizeof(*(v)->data)); \
		(v)->cap = c__; \
	} \
} while (0)

#define VEC_PUSH(v, x) do { VEC_RESERVE((v), 1); (v)->data[(v)->len++] = (x); } while (0)
#define VEC_FREE(v) do { free((v)->data); (v)->data = NULL; (v)->len = (v)->cap = 0; } while (0)

#endif
