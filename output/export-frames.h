/* What the exports of other tools' formats (pprof, speedscope, Chrome trace)
 * share: the options saying which data to write, the stack filter with a
 * per-stack cache, and a table of frames that turns a stack into frame ids,
 * root first, with inlined functions as frames of their own. */
#ifndef SCORCH_OUTPUT_EXPORT_FRAMES_H
#define SCORCH_OUTPUT_EXPORT_FRAMES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../analysis/filter.h"
#include "../analysis/profile.h"
#include "../lib/arena.h"
#include "../lib/hashmap.h"
#include "../lib/strbuf.h"

/* export_options.kinds */
#define EXPORT_CPU  1u          /* CPU (or wall-clock) samples */
#define EXPORT_HEAP 2u          /* heap events */

struct export_options {
	unsigned kinds;             /* EXPORT_* bits: the data to write */
	const char *filter;         /* POSIX ERE: only stacks with a function or module
	                             * matching it (as in reports); NULL = all */
	int names;                  /* EXPORT_NAMES_*: the names frames are given */
};

/* export_options.names. pprof always gives Function.name the short name
 * and Function.system_name the full one (pprof's own model); speedscope's
 * and Chrome trace's frames have one name: short by default. */
#define EXPORT_NAMES_DEFAULT 0  /* the format's default */
#define EXPORT_NAMES_SHORT   1  /* demangle_short()'s */
#define EXPORT_NAMES_FULL    2  /* the whole demangled name */

/* Parses "cpu", "heap" or "all" into EXPORT_* bits; 0 if unknown. */
unsigned export_kind_parse(const char *s);

/* The filter of export_options, answered once per stack. */
struct stack_pick {
	struct stack_filter flt;
	uint8_t *cache;             /* per stack: 0 untested, 1 no, 2 yes */
	size_t n;
};

/* Returns 0, or -EINVAL for a regex regcomp refuses. */
int stack_pick_init(struct stack_pick *sp, const struct sc_profile *p, const char *re);
/* True when stack s (an index into p->stacks; out-of-range ones are the
 * empty stack) passes. Without a filter everything passes; with one, the
 * empty stack never does. */
bool stack_pick(struct stack_pick *sp, uint32_t s);
void stack_pick_release(struct stack_pick *sp);

/* Groups the samples of p whose stacks sp picks by thread, keeping time
 * order: order[first[t] .. first[t + 1]) are the indexes into p->samples of
 * thread t's samples, t = p->nthreads standing for samples of an unknown
 * thread. *first (p->nthreads + 2 entries) and *order are the caller's to
 * free. */
void export_group_samples(const struct sc_profile *p, struct stack_pick *sp, size_t **first,
			  size_t **order);

/* A frame as other tools see it: a function in a file of a module. Frames
 * are keyed by (name, file, module); line is the lowest source line the
 * profile saw for it (the closest thing to where the function starts). */
struct xframe {
	const char *name;           /* display name: the function, or [module+0xoffset] */
	const char *file;           /* "" when unknown */
	const char *module;         /* "" when unknown */
	uint32_t line;              /* 0 when unknown */
};

struct u32vec {
	uint32_t *data;
	size_t len, cap;
};

struct xframes {
	const struct sc_profile *p; /* borrowed */
	struct arena arena;         /* the frames' strings */
	struct xframe *frames;      /* ids index this */
	size_t nframes, cap;
	struct strmap keys;         /* "name\x1f" "file\x1f" "module" -> id */
	uint32_t *loc_first;        /* per location: its first id in loc_ids, UINT32_MAX untested */
	struct u32vec loc_ids;      /* per (location, line), innermost line first */
	struct strbuf tmp;
	bool short_names;           /* frames named by demangle_short() (set after init) */
};

void xframes_init(struct xframes *x, const struct sc_profile *p);
/* The id of a frame with just a name, for things that are not code:
 * "[no stack]", "[off-CPU]". */
uint32_t xframes_named(struct xframes *x, const char *name);
/* The id of the frame of a zone name (zones, traced calls): its name, file
 * and line, a frame apart from code frames of the same function and from
 * zones of the same name written at another line. */
uint32_t xframes_zone(struct xframes *x, const struct sc_zone_name *zn);
/* Replaces out's contents with the frames of stack s, root (outermost)
 * first; the empty stack (or an out-of-range s) gives "[no stack]". */
void xframes_stack(struct xframes *x, uint32_t s, struct u32vec *out);
void xframes_release(struct xframes *x);

void u32vec_push(struct u32vec *v, uint32_t x);
void u32vec_free(struct u32vec *v);

/* The display name of thread index t of p ("[unknown thread]" when out of
 * range or unnamed) and its tid (0 when unknown). */
const char *export_thread_name(const struct sc_profile *p, uint32_t t);
uint32_t export_thread_tid(const struct sc_profile *p, uint32_t t);

/* The last path component of the executable, "" when unknown. */
const char *export_program_name(const struct sc_profile *p);

#endif
