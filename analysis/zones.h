/* Zone analysis: per zone name (and traced function) the calls, total and
 * self time, mean, min, max, percentiles of the durations and the
 * allocations made inside; marks and counters summarized; per-thread counts;
 * nesting errors. A walk over the profile's zone spans, which it only reads. */
#ifndef SCORCH_ANALYSIS_ZONES_H
#define SCORCH_ANALYSIS_ZONES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "profile.h"

struct zone_options {
	const char *filter;       /* POSIX extended regex on names: only matching rows; NULL all */
};

/* One zone name (or traced function). Times in ns. Recursion is counted
 * once in total, allocs and bytes: a span inside another span of the same
 * name on its thread adds to calls, self and the percentiles only. */
struct zone_stat {
	uint32_t name;            /* index into p->zone_names */
	uint64_t calls;           /* spans, plus calls --calls-min dropped */
	uint64_t dropped;         /* of which dropped (in calls, total, self, min, max; not in percentiles) */
	uint64_t total_ns;        /* time inside it */
	uint64_t self_ns;         /* ... less the spans directly inside it */
	uint64_t sum_ns;          /* durations of every call (mean = sum / calls) */
	uint64_t min_ns, max_ns;
	uint64_t p50_ns, p95_ns, p99_ns;   /* nearest rank over the spans (not the dropped calls):
	                                    * exact, or within 1/256 where a thread's spans of the
	                                    * name took more than ZONE_HIST_EXACT distinct durations */
	uint64_t allocs, bytes;   /* allocations made inside it and the bytes requested */
	uint64_t self_allocs, self_bytes;  /* ... less those made in spans directly inside it */
	uint64_t unwound;         /* spans ended by longjmp or an exception */
	uint64_t unfinished;      /* spans never ended (open when recording stopped or the thread exited) */
};

struct zone_mark_stat {
	uint32_t name;
	uint64_t count, first_ns, last_ns;
};

struct zone_counter_stat {
	uint32_t name;
	uint64_t samples;
	double min, max, mean, last;
	uint64_t last_ns;
};

struct zone_thread_stat {
	uint32_t thread;          /* index into p->threads */
	uint64_t spans, marks, counters;
};

/* Mismatched scorch_zone_end() calls of one kind and pair of names. */
struct zone_error_stat {
	uint8_t kind;             /* enum sc_zone_error_kind */
	uint32_t expected, given; /* indexes into zone_names, UINT32_MAX none */
	uint64_t count, first_ns;
	uint16_t thread;          /* of the first */
};

enum zone_sort {
	ZONE_SORT_TOTAL,
	ZONE_SORT_SELF,
	ZONE_SORT_CALLS,
	ZONE_SORT_MEAN,
	ZONE_SORT_MAX,
	ZONE_SORT_P99,
	ZONE_SORT_ALLOCS,
	ZONE_SORT_BYTES,
	ZONE_SORT_NAME,
};

struct zone_result {
	const struct sc_profile *p;
	struct zone_stat *zones;            size_t nzones;
	struct zone_mark_stat *marks;       size_t nmarks;
	struct zone_counter_stat *counters; size_t ncounters;
	struct zone_thread_stat *threads;   size_t nthreads;    /* threads with zones, marks or counters */
	struct zone_error_stat *errors;     size_t nerrors;
	uint64_t spans;           /* recorded, all names (kept one by one or not) */
	uint64_t keep_ns;         /* spans shorter than this were counted but not kept one
	                           * by one for the views that draw them (0: all kept) */
	uint64_t calls, dropped;  /* over the rows */
	uint64_t unwound, unfinished, thread_exit;
	uint64_t nerror_calls;    /* mismatched ends in all */
};

/* Analyzes p's zones: from the figures stored per thread and name when the
 * profile has them (p->have_zone_stats), else (a profile from before them,
 * or a model built by hand) from its spans. Rows come sorted by total time
 * (zone_result_sort() reorders). Returns 0, or -EINVAL for a bad filter.
 * The result borrows p. */
int zone_analyze(const struct sc_profile *p, const struct zone_options *o, struct zone_result **out);
/* The same for the spans of one thread (index into p->threads) alone:
 * without the calls --calls-min dropped (they carry no thread), marks,
 * counters and errors. */
int zone_analyze_thread(const struct sc_profile *p, const struct zone_options *o, uint16_t thread,
			struct zone_result **out);
void zone_result_sort(struct zone_result *r, enum zone_sort key);
void zone_result_free(struct zone_result *r);

/* "total", "self", "calls", "mean", "max", "p99", "allocs", "bytes",
 * "name" -> enum zone_sort, or -1. */
int zone_sort_parse(const char *s);

/* The histogram bucket (its lower bound) of a duration: the duration itself
 * below 2 * ZONE_HIST_SUB, else the duration with all but its top 9 bits
 * cleared (ZONE_HIST_SUB buckets per power of two, each within 1/256). */
static inline uint64_t zone_hist_bucket(uint64_t v)
{
	if (v < 2 * ZONE_HIST_SUB)
		return v;
	int shift = 63 - __builtin_clzll(v) - 8;
	return v >> shift << shift;
}

/* The nearest-rank percentile pct (1-100) of a histogram of n entries
 * ascending by value whose counts sum to total: the smallest value with at
 * least pct% of the counts at or below it. 0 when total is 0. */
uint64_t zone_hist_percentile(const struct sc_zone_hist *h, size_t n, uint64_t total, unsigned pct);

/* The nearest-rank percentile pct (1-100) of n ascending values: the
 * smallest value with at least pct% of the values at or below it. 0 when n
 * is 0. */
uint64_t zone_percentile(const uint64_t *sorted, size_t n, unsigned pct);

#endif
