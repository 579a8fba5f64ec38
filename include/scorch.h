/* scorch's in-program API, for C and C++.
 *
 * Zones: SCORCH_ZONE("name") times the rest of the enclosing scope (with the
 * allocations made in it), SCORCH_FUNC() does so under the function's name,
 * scorch_zone_begin("name") / scorch_zone_end("name") time spans that do not
 * follow a scope, SCORCH_MARK("event") records an instant and
 * SCORCH_COUNTER("name", value) a value plotted over time;
 * SCORCH_THREAD_NAME("name") names the calling thread in reports. They are
 * recorded when the program runs under scorch (`scorch report --zones`):
 * the runtime sets the switch this header defines in the program (through
 * the dynamic linker when the program is linked with -lscorch, else found
 * in its symbol table; a stripped program must be linked with -lscorch).
 * Not recording, each costs one load and one predictable branch, and the
 * program needs no libscorch at all: the runtime's entry points are weak
 * references. Names are keyed by address: pass string literals, or strings
 * that live and do not change while the program runs. Compiled with
 * -DSCORCH_DISABLE the macros compile to nothing.
 *
 * Heap statistics: how many allocations a piece of code makes, so a test can
 * assert that a function makes none. They work in a program run under
 * `scorch heap`/`scorch record`, or linked with -lscorch, and return
 * SCORCH_ENOTLOADED when the runtime is absent. The runtime is found at run
 * time (dlsym), so including this header never adds a link dependency.
 *
 * Compiled with -DSCORCH_DISABLE, the statistics functions return
 * SCORCH_EDISABLED and do nothing. */
#ifndef SCORCH_H
#define SCORCH_H

#include <stdint.h>

/* The version of scorch this header comes with (the Makefile reads it from
 * here, and libscorch.so's SONAME is libscorch.so.MAJOR). */
#define SCORCH_VERSION_MAJOR 0
#define SCORCH_VERSION_MINOR 1
#define SCORCH_VERSION_PATCH 0
#define SCORCH_VERSION "0.1.0"

#ifdef __cplusplus
extern "C" {
#endif

#define SCORCH_OK 0
#define SCORCH_ENOTLOADED (-1)   /* libscorch is not in this process */
#define SCORCH_EINVAL (-2)       /* a NULL or invalid argument */
#define SCORCH_EDISABLED (-3)    /* built with SCORCH_DISABLE */

/* This header's own functions are not the program's: a program built with
 * -finstrument-functions does not trace them (a zone's cleanup would show
 * as a call of its own, ended as unwound when it ends the zone). */
#if defined(__GNUC__) || defined(__clang__)
#define SCORCH__NOTRACE __attribute__((no_instrument_function))
#else
#define SCORCH__NOTRACE
#endif

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

SCORCH__NOTRACE static inline scorch__stats_fn scorch__stats_lookup(void)
{
	static scorch__stats_fn fn;
	if (!fn)
		/* __extension__: ISO C has no cast from object to function pointer */
		fn = __extension__(scorch__stats_fn)dlsym((void *)0 /* RTLD_DEFAULT */, "scorch_rt_heap_stats");
	return fn;
}

/* Process-wide statistics since the program started. */
SCORCH__NOTRACE static inline int scorch_heap_stats(struct scorch_heap_stats *s)
{
	scorch__stats_fn fn = scorch__stats_lookup();
	return fn ? fn(s, 0) : SCORCH_ENOTLOADED;
}

/* The calling thread's own calls: what it allocated and freed (current may go
 * negative when it frees blocks other threads allocated). */
SCORCH__NOTRACE static inline int scorch_heap_stats_thread(struct scorch_heap_stats *s)
{
	scorch__stats_fn fn = scorch__stats_lookup();
	return fn ? fn(s, 1) : SCORCH_ENOTLOADED;
}
#else
SCORCH__NOTRACE static inline int scorch_heap_stats(struct scorch_heap_stats *s) { (void)s; return SCORCH_EDISABLED; }
SCORCH__NOTRACE static inline int scorch_heap_stats_thread(struct scorch_heap_stats *s) { (void)s; return SCORCH_EDISABLED; }
#endif

/* ---- Zones, marks, counters ---- */

/* Where a zone, mark or counter is written; one static instance per use,
 * made by the macros. Its address identifies the name to the runtime. */
struct scorch_site {
	const char *name;
	const char *file;
	uint32_t line;
	uint32_t reserved;
};

#ifndef SCORCH_DISABLE
/* The runtime's side. Weak references, so a program need not link
 * libscorch; the flag is defined (weakly) here, in the program, and is the
 * one libscorch.so sets when the program is linked with it. */
#ifdef SCORCH__IN_RUNTIME
#define SCORCH__WEAK
extern int scorch_rt_zones_on;
#else
#define SCORCH__WEAK __attribute__((weak))
__attribute__((weak, visibility("default"))) int scorch_rt_zones_on;
#endif
extern SCORCH__WEAK uint64_t scorch_rt_zone_open(const struct scorch_site *site);
extern SCORCH__WEAK void scorch_rt_zone_close(uint64_t token);
extern SCORCH__WEAK void scorch_rt_zone_begin(const char *name);
extern SCORCH__WEAK void scorch_rt_zone_end(const char *name);
extern SCORCH__WEAK void scorch_rt_mark(const struct scorch_site *site);
extern SCORCH__WEAK void scorch_rt_counter(const struct scorch_site *site, double value);
extern SCORCH__WEAK void scorch_rt_thread_name(const char *name);

#define SCORCH__CAT2(a, b) a##b
#define SCORCH__CAT(a, b) SCORCH__CAT2(a, b)
#ifdef __COUNTER__
#define SCORCH__UNIQ __COUNTER__
#else
#define SCORCH__UNIQ __LINE__
#endif
#define SCORCH__ON() __builtin_expect(scorch_rt_zones_on, 0)
#define SCORCH__SITE(var, nm) \
	static const struct scorch_site var = { nm, __FILE__, (uint32_t)__LINE__, 0 }
/* The runtime is called from the zoned function itself (not from a helper),
 * so it sees that function's stack pointer: longjmp and exceptions that skip
 * the end are detected by it. */
#define SCORCH__OPEN(site) (SCORCH__ON() ? scorch_rt_zone_open(&(site)) : (uint64_t)0)

/* Spans that do not follow a scope: end them with the same name. Zones nest;
 * an end whose name is not the innermost open zone's is recorded as an error
 * and shown by the report. */
SCORCH__NOTRACE static inline void scorch_zone_begin(const char *name)
{
	if (SCORCH__ON())
		scorch_rt_zone_begin(name);
}

SCORCH__NOTRACE static inline void scorch_zone_end(const char *name)
{
	if (SCORCH__ON())
		scorch_rt_zone_end(name);
}

#ifdef __cplusplus
}
namespace scorch_detail {
/* Ends its zone when the scope is left, exceptions included. */
struct zone_scope {
	uint64_t token;
	SCORCH__NOTRACE explicit zone_scope(uint64_t t) : token(t) {}
	SCORCH__NOTRACE ~zone_scope()
	{
		if (__builtin_expect(token != 0, 0))
			scorch_rt_zone_close(token);
	}
	zone_scope(const zone_scope &) = delete;
	zone_scope &operator=(const zone_scope &) = delete;
};
}
#define SCORCH__SCOPE(n, site) \
	scorch_detail::zone_scope SCORCH__CAT(scorch__tok, n)(SCORCH__OPEN(site))
extern "C" {
#else
SCORCH__NOTRACE static inline void scorch__zone_cleanup(uint64_t *token)
{
	if (__builtin_expect(*token != 0, 0))
		scorch_rt_zone_close(*token);
}
#define SCORCH__SCOPE(n, site) \
	__attribute__((cleanup(scorch__zone_cleanup), unused)) uint64_t SCORCH__CAT(scorch__tok, n) = \
		SCORCH__OPEN(site)
#endif

#define SCORCH__ZONE(nm, n) \
	SCORCH__SITE(SCORCH__CAT(scorch__site, n), nm); \
	SCORCH__SCOPE(n, SCORCH__CAT(scorch__site, n))
#define SCORCH__ZONE_(nm, n) SCORCH__ZONE(nm, n)
#define SCORCH__MARK(nm, n) do { \
		SCORCH__SITE(SCORCH__CAT(scorch__site, n), "" nm ""); \
		if (SCORCH__ON()) \
			scorch_rt_mark(&SCORCH__CAT(scorch__site, n)); \
	} while (0)
#define SCORCH__COUNTER(nm, v, n) do { \
		SCORCH__SITE(SCORCH__CAT(scorch__site, n), "" nm ""); \
		if (SCORCH__ON()) \
			scorch_rt_counter(&SCORCH__CAT(scorch__site, n), (double)(v)); \
	} while (0)

/* A zone from here to the end of the enclosing scope (a declaration). */
#define SCORCH_ZONE(name) SCORCH__ZONE_("" name "", SCORCH__UNIQ)
/* The same, named after the enclosing function. */
#define SCORCH_FUNC() SCORCH__ZONE_(__func__, SCORCH__UNIQ)
/* An instant. */
#define SCORCH_MARK(name) SCORCH__MARK(name, SCORCH__UNIQ)
/* A value over time (converted to double; evaluated only while recording). */
#define SCORCH_COUNTER(name, value) SCORCH__COUNTER(name, value, SCORCH__UNIQ)
/* The calling thread's name in reports (any length, copied). */
#define SCORCH_THREAD_NAME(name) do { \
		if (SCORCH__ON()) \
			scorch_rt_thread_name(name); \
	} while (0)
#else
/* SCORCH_DISABLE: nothing at all is compiled, arguments are not evaluated. */
#define SCORCH_ZONE(name) do { } while (0)
#define SCORCH_FUNC() do { } while (0)
#define SCORCH_MARK(name) do { } while (0)
#define SCORCH_COUNTER(name, value) do { } while (0)
#define SCORCH_THREAD_NAME(name) do { } while (0)
#define scorch_zone_begin(name) do { } while (0)
#define scorch_zone_end(name) do { } while (0)
#endif

#ifdef __cplusplus
}
#endif
#endif
