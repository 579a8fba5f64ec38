/* scorch's in-program API, for C and C++.
 *
 * Heap statistics: how many allocations a piece of code makes, so a test can
 * assert that a function makes none. They work in a program run under
 * `scorch heap`/`scorch record`, or linked with -lscorch, and return
 * SCORCH_ENOTLOADED when the runtime is absent. The runtime is found at run
 * time (dlsym), so including this header never adds a link dependency.
 *
 * Compiled with -DSCORCH_DISABLE, every function here returns
 * SCORCH_EDISABLED and does nothing. */
#ifndef SCORCH_H
#define SCORCH_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define SCORCH_OK 0
#define SCORCH_ENOTLOADED (-1)   /* libscorch is not in this process */
#define SCORCH_EINVAL (-2)       /* a NULL or invalid argument */
#define SCORCH_EDISABLED (-3)    /* built with SCORCH_DISABLE */

/* Counts of malloc-family calls. current and peak count the bytes the
 * allocator reports as usable (malloc_usable_size), which can be a little more
 * than requested; total_bytes counts the bytes requested. */
struct scorch_heap_stats {
	uint64_t allocations;     /* successful allocations, reallocs included */
	uint64_t frees;           /* blocks freed (realloc's old block included) */
	int64_t current_bytes;    /* live now */
	int64_t peak_bytes;       /* most ever live at once */
	uint64_t total_bytes;     /* requested in total */
	int recording;            /* 1 when a scorch profile is being recorded */
};

#ifndef SCORCH_DISABLE
#include <dlfcn.h>

typedef int (*scorch__stats_fn)(struct scorch_heap_stats *, int);

static inline scorch__stats_fn scorch__stats_lookup(void)
{
	static scorch__stats_fn fn;
	if (!fn)
		fn = (scorch__stats_fn)dlsym((void *)0 /* RTLD_DEFAULT */, "scorch_rt_heap_stats");
	return fn;
}

/* Process-wide statistics since the program started. */
static inline int scorch_heap_stats(struct scorch_heap_stats *s)
{
	scorch__stats_fn fn = scorch__stats_lookup();
	return fn ? fn(s, 0) : SCORCH_ENOTLOADED;
}

/* The calling thread's own calls: what it allocated and freed (current may go
 * negative when it frees blocks other threads allocated). */
static inline int scorch_heap_stats_thread(struct scorch_heap_stats *s)
{
	scorch__stats_fn fn = scorch__stats_lookup();
	return fn ? fn(s, 1) : SCORCH_ENOTLOADED;
}
#else
static inline int scorch_heap_stats(struct scorch_heap_stats *s) { (void)s; return SCORCH_EDISABLED; }
static inline int scorch_heap_stats_thread(struct scorch_heap_stats *s) { (void)s; return SCORCH_EDISABLED; }
#endif

#ifdef __cplusplus
}
#endif
#endif
