/* The heap model: one pass over a profile's alloc/free events with a live set
 * gives calls per family function, totals (peak, leaks, temporaries,
 * lifetimes), allocation sites, per-stack and per-(stack, thread)
 * aggregates, a size histogram, a module breakdown and memory over time; a
 * second, partial replay attributes the global peak (DHAT's t-gmax) to
 * sites and stacks. The events come through the iterator of events.h, so
 * memory grows with live blocks, stacks and sites, not with events. The same
 * replay, with the same live set, calls visitors (struct heap_visitor) for
 * views that need more than the result holds (DHAT, massif). */
#ifndef SCORCH_ANALYSIS_HEAP_H
#define SCORCH_ANALYSIS_HEAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../lib/arena.h"
#include "../lib/strbuf.h"
#include "profile.h"

#define HEAP_SHORT_LIVED_DEFAULT 1000000ull   /* 1 ms */
#define HEAP_TIMELINE_DEFAULT 500u            /* buckets; up to 2 points each */
#define HEAP_NBUCKETS 65                      /* size histogram buckets */
#define HEAP_NO_EVENT ((size_t)-1)
#define HEAP_ALL_EVENTS UINT64_MAX                /* heap_replay(): up to the end */

struct heap_visitor;

struct heap_options {
	const char *filter;         /* POSIX ERE on frame functions and module names; NULL = all */
	uint64_t short_lived_ns;    /* lifetime below this is short-lived; 0 = default */
	uint32_t timeline_points;   /* timeline buckets; 0 = default */
	bool by_thread;             /* fill r->by_thread (per stack and thread) */
	const struct heap_visitor *visitor;  /* called along the replay; NULL none */
	char *err;                  /* where a failed read of the events is said */
	size_t errlen;              /* (heap_analyze returns -EIO then) */
	bool totals_only;           /* the peak's holders are not needed: skip the
	                             * replay that attributes the peak to sites,
	                             * stacks and r->by_thread (their peak figures
	                             * and the visitor's peak hook stay unused) */
};

/* Whole-process figures. They ignore the filter. */
struct heap_totals {
	uint64_t calls;             /* every malloc-family call (failed ones and free(NULL) too) */
	uint64_t allocations;       /* successful allocations = blocks created (realloc's new block too) */
	uint64_t failed;            /* allocation calls that returned NULL */
	uint64_t frees;             /* blocks freed, by free*() or by realloc (old block, realloc(p, 0)) */
	uint64_t free_null;         /* free(NULL) and friends: calls without a block */
	uint64_t unmatched_frees;   /* frees of an address that was not live (allocated before recording) */
	uint64_t bytes;             /* requested bytes of all successful allocations */
	uint64_t peak_bytes;        /* max of live requested bytes */
	uint64_t peak_blocks;       /* live blocks at that moment */
	uint64_t peak_time;         /* ns since start when peak_bytes was first reached */
	size_t peak_event;          /* ordinal of the event of that moment (its position in
	                             * time order, as the iterator hands them out), not an
	                             * index to dereference; HEAP_NO_EVENT if none */
	uint64_t leaked_bytes;      /* still live at the end of the profile */
	uint64_t leaked_blocks;
	uint64_t temporary;         /* freed on a thread whose latest allocation was that block */
	uint64_t short_lived;       /* freed blocks with lifetime < short_lived_ns */
	uint64_t freed_lifetime_sum;/* ns, over the `frees` matched blocks */
	uint64_t mean_lifetime;     /* ns, freed_lifetime_sum / frees (0 if none) */
	uint64_t end_time;          /* ns, max(p->duration, last event time) */
	uint64_t peak_rss;          /* max of p->rss, 0 if none recorded */
};

/* An allocation site: the first frame of a stack that is not an allocator
 * wrapper, grouped by (function, file, line, module); unsymbolized frames are
 * grouped by address. Counters only include allocations passing the filter. */
struct heap_site {
	const char *func;           /* display name; borrowed from the profile or the result's arena */
	const char *file;           /* "" when unknown */
	uint32_t line;              /* 0 when unknown */
	int32_t module;             /* index into p->modules, -1 unknown */
	uint32_t loc;               /* index into p->locations of the site frame; UINT32_MAX for the empty stack */
	uint32_t loc_line;          /* index into that location's lines (0 if it has none) */
	uint32_t stack;             /* representative stack: the one with the most bytes here */
	uint64_t allocations, bytes;
	uint64_t peak_bytes, peak_blocks;      /* live at the global peak (t-gmax) */
	uint64_t leaked_bytes, leaked_blocks;  /* live at the end */
	uint64_t temporary, short_lived;
	uint64_t freed, lifetime_sum, mean_lifetime;  /* lifetimes in ns, over freed blocks */
	uint64_t max_live;          /* the most bytes this site ever held live at once */
	uint64_t live_bytes, live_blocks;      /* scratch while replaying; equal leaked_* at the end */
};

/* Per stack id (index = stack id), filtered like sites. */
struct heap_stack_stat {
	uint64_t allocations, bytes;
	uint64_t peak_bytes;        /* live at t-gmax */
	uint64_t leaked_bytes, leaked_blocks;
	uint64_t temporary;
	uint32_t site;              /* index into sites, UINT32_MAX for stacks without allocations */
};

/* Leaked blocks grouped by stack; sorted by bytes, then blocks, then stack id. */
struct heap_leak {
	uint32_t stack;
	uint32_t site;
	uint64_t bytes, blocks;
};

/* Histogram bucket k holds sizes in [lo, hi]: k = 0 -> 0, k >= 1 -> [2^(k-1), 2^k - 1]. */
struct heap_bucket {
	uint64_t lo, hi;
	uint64_t count, bytes;
};

struct heap_module_stat {
	int32_t module;             /* index into p->modules, -1 = "[unknown]" */
	const char *name;           /* borrowed */
	bool is_main;
	uint64_t allocations, bytes, leaked_bytes, leaked_blocks;
};

struct heap_point {
	uint64_t time, bytes;
};

/* Successful allocations per (stack, thread), of every stack (the filter
 * does not apply: each view picks its stacks), in the order of each pair's
 * first allocation. */
struct heap_stack_thread {
	uint32_t stack;             /* as heap_stack_stat indexes: out-of-range ids are 0 */
	uint32_t thread;            /* the allocating event's thread, as recorded */
	uint64_t allocations, bytes;
	uint64_t peak_bytes, peak_blocks;      /* live at the global peak (t-gmax) */
	uint64_t leaked_bytes, leaked_blocks;  /* live at the end */
};

struct heap_result {
	struct arena arena;         /* display names made up for unsymbolized sites */
	const struct sc_profile *p; /* borrowed: must outlive the result */
	bool filtered;              /* a filter was given */
	uint64_t short_lived_ns;    /* the threshold used */
	struct heap_totals t;
	uint64_t calls[FN__COUNT];  /* per enum raw_func; FN_REALLOC_MOVE stays 0 */
	uint64_t failed[FN__COUNT];
	struct heap_site *sites;    size_t nsites;      /* in first-seen order */
	struct heap_stack_stat *stacks;                /* p->nstacks entries */
	struct heap_leak *leaks;    size_t nleaks;
	struct heap_bucket hist[HEAP_NBUCKETS];
	struct heap_module_stat *modules; size_t nmodules;  /* main first, then by bytes */
	struct heap_point *timeline; size_t ntimeline;  /* live heap bytes, step function */
	struct heap_point *rss;     size_t nrss;        /* p->rss, max per bucket */
	uint64_t filtered_allocations, filtered_bytes; /* what passed the filter */
	struct heap_stack_thread *by_thread; size_t nby_thread;  /* with heap_options.by_thread */
};

/* A block of the replay's live set, as a visitor sees it. */
struct heap_block {
	uint64_t addr, size;
	uint64_t time;              /* of its allocation */
	uint64_t ordinal;           /* of its allocation's event */
	uint32_t stack;             /* out-of-range ids are 0 */
	uint16_t thread;
	uint8_t func;               /* enum raw_func of its allocation */
};

/* What a view hooks into the replay. Only blocks whose stack counts under the
 * filter (r->stacks[stack].site != UINT32_MAX) are shown; every other block is
 * in the live set all the same, so it retires a counted block at its address.
 * Any hook may be NULL; ctx is passed back. */
struct heap_visitor {
	void *ctx;
	/* a counted block was allocated */
	void (*alloc)(void *ctx, const struct heap_block *b);
	/* a counted block left the live set at time now: freed, or its address
	 * allocated again (a free never seen); before the new block's alloc */
	void (*retire)(void *ctx, const struct heap_block *b, uint64_t now);
	/* after every event, with its ordinal and time */
	void (*step)(void *ctx, uint64_t ordinal, uint64_t time);
	/* heap_analyze only: each counted block live at the global peak (a
	 * second walk, up to the peak) */
	void (*peak)(void *ctx, const struct heap_block *b);
	/* each counted block still live at the end (t-end) */
	void (*end)(void *ctx, const struct heap_block *b, uint64_t end_time);
	/* after each event that raised the global peak (so the last call is
	 * after the peak's own event): a visitor that keeps each figure's
	 * value as of its latest call (taken before the figure's first change
	 * after it) knows what was held at the peak without the peak hook */
	void (*peak_rise)(void *ctx);
};

/* Replays r's profile again through v with the live set of heap_analyze and
 * r's filter, up to and including the event of ordinal upto
 * (HEAP_ALL_EVENTS: all; then v->end is called). 0, or -EIO when the events
 * could not be read (the reason in err). */
int heap_replay(const struct heap_result *r, const struct heap_visitor *v, uint64_t upto,
		char *err, size_t errlen);

/* Analyzes p. On success *out is a new result owned by the caller
 * (heap_result_free) that borrows p. Returns 0, -EINVAL for a filter regcomp
 * rejects (check it with heap_filter_check() for the message), -ENOMEM. */
int heap_analyze(const struct sc_profile *p, const struct heap_options *o,
		 struct heap_result **out);
void heap_result_free(struct heap_result *r);

/* The whole-process totals (struct heap_totals, same definitions) computed
 * incrementally, from events handed over in time order while a program
 * still runs. heap_tally_totals() completes them with what only the final
 * profile knows (its duration and RSS). */
struct heap_tally;
struct heap_tally *heap_tally_new(uint64_t short_lived_ns);
/* Tallies ev[0..n). A free of a block not live whose allocation follows it
 * within HEAP_REORDER_NS on another thread is moved just after that
 * allocation, at its time (heap.c, heap_tally_add): the clocks of two CPUs
 * put a handed-over block's free before its allocation then. So ev may be
 * reordered; what comes out is what the events after it must follow. */
#define HEAP_REORDER_NS 10000u
void heap_tally_add(struct heap_tally *h, struct sc_event *ev, size_t n);
size_t heap_tally_count(const struct heap_tally *h);
void heap_tally_totals(const struct heap_tally *h, const struct sc_profile *p, struct heap_totals *out);
void heap_tally_free(struct heap_tally *h);

/* Compiles re like heap_analyze would; 0, or -EINVAL with regerror's text in err. */
int heap_filter_check(const char *re, char *err, size_t errlen);

/* Sort keys for sites. */
enum heap_sort {
	HEAP_SORT_BYTES = 0,
	HEAP_SORT_COUNT,
	HEAP_SORT_PEAK,
	HEAP_SORT_LEAKED,
	HEAP_SORT_TEMPORARY,
	HEAP_SORT_SHORT_LIVED,
};
/* Parses "bytes", "count", "peak", "leaked", "temporary", "short-lived"; -1 if unknown. */
int heap_sort_parse(const char *s);
const char *heap_sort_name(enum heap_sort k);
/* Fills idx (r->nsites entries, caller-allocated) with site indexes ordered by
 * key descending, ties broken by bytes, then count, then name, so the order is
 * deterministic. Sites without any allocation are left out, and for the keys
 * peak, leaked, temporary and short-lived so are sites where it is 0.
 * Returns how many were written. */
size_t heap_sites_sorted(const struct heap_result *r, enum heap_sort key, uint32_t *idx);

/* A frame name for display: the line's function, or "[module+0xoffset]" for
 * an unsymbolized location ("[0xaddr]" outside every module). ln may be NULL. */
void heap_frame_name(const struct sc_profile *p, const struct sc_location *loc,
		     const struct sc_line *ln, struct strbuf *out);

/* True for allocator wrappers that site attribution looks through. */
bool heap_is_wrapper(const char *func);

#endif
