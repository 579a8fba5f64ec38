/* The CPU model: one pass over a profile's samples (PROF_CPU) gives totals,
 * per-function self and total counts, the hottest source lines, a top-down
 * call tree, bottom-up (inverted) caller trees of the hottest functions, a
 * per-thread breakdown with achieved sampling rates and, for wall-clock
 * profiles (PROF_WALL), the on-CPU / off-CPU split. Every figure is counted
 * twice: in samples and in the samples' weights (ns). Definitions are in
 * docs/json.md ("CPU definitions"). */
#ifndef SCORCH_ANALYSIS_CPU_H
#define SCORCH_ANALYSIS_CPU_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../lib/arena.h"
#include "profile.h"

#define CPU_NONE UINT32_MAX
#define CPU_LIMIT_DEFAULT 10u

struct cpu_options {
	const char *filter;         /* POSIX ERE on frame functions and module names; NULL = all */
	const char *thread;         /* only samples of the threads whose tid (all digits) or
	                             * name equals this; NULL = every thread */
	uint32_t limit;             /* bottom-up trees are built for the top `limit` functions
	                             * by self samples; 0 = every function with self samples */
};

/* A sample count and the sum of those samples' weights. */
struct cpu_count {
	uint64_t samples;
	uint64_t ns;
};

struct cpu_totals {
	uint64_t all_samples;       /* every sample of the profile, whatever the options */
	struct cpu_count total;     /* samples of the selected threads: the base of every percentage */
	struct cpu_count offcpu;    /* of those, taken while the thread was off-CPU (wall mode) */
	struct cpu_count matched;   /* of those, the ones passing the filter: what the views count */
	struct cpu_count matched_offcpu;
	uint64_t no_stack;          /* matched samples with an empty stack */
	uint32_t threads_selected;  /* threads picked by options.thread (all without it) */
	uint32_t threads_sampled;   /* of those, threads with at least one sample */
	uint32_t busiest;           /* index into r->threads of the thread with the most
	                             * samples, CPU_NONE without samples */
	uint64_t oncpu_all;         /* on-CPU samples of the whole process */
	double achieved_hz;         /* the achieved rate: oncpu_all per second of the
	                             * process's CPU time (p->cpu_time_ns) when known,
	                             * else the busiest thread's; 0 unknown */
	bool achieved_from_cpu_time;/* which of the two it is */
};

/* A function: a function name in a module. Inlined functions are functions of
 * their own; unsymbolized frames are named "[module+0xoffset]" per address. */
struct cpu_func {
	const char *name;           /* borrowed from r->st's strings */
	int32_t module;             /* index into p->modules, -1 unknown */
	bool inlined;               /* appeared as an inlined frame (in at least one sample) */
	const char *file;           /* representative position: the line with the most self */
	uint32_t line;              /* samples, or with the most total samples if it has no
	                             * self samples; file "" and line 0 when unknown */
	struct cpu_count self;      /* samples whose innermost frame is this function */
	struct cpu_count total;     /* samples with this function anywhere on the stack, once each */
	struct cpu_count self_off;  /* the off-CPU part of self and total (wall mode) */
	struct cpu_count total_off;
	uint32_t first_line;        /* its entries in r->lines: [first_line, first_line + nlines) */
	uint32_t nlines;
	uint32_t bottom_up;         /* its inverted tree's root in r->bu, CPU_NONE if not built */
};

/* A source line of a function: samples whose innermost frame is the function
 * at this line (self), and samples where the function's innermost occurrence
 * on the stack is at this line (total; a call site for callers). */
struct cpu_line {
	uint32_t func;              /* index into r->funcs */
	const char *file;           /* borrowed; "" when unknown */
	uint32_t line;              /* 0 when unknown */
	struct cpu_count self;
	struct cpu_count total;
};

/* A node of a call tree. In r->tree a node's children are its callees, in
 * r->bu they are its callers. Children are linked most total samples first
 * (then by function name), except the children of bu[0], the hot functions,
 * which are in cpu_funcs_sorted(CPU_SORT_SELF) order. */
struct cpu_node {
	uint32_t func;              /* index into r->funcs; CPU_NONE for node 0, the root */
	uint32_t parent;            /* CPU_NONE for node 0 */
	uint32_t first_child;       /* CPU_NONE when it has none */
	uint32_t next_sibling;
	struct cpu_count self;      /* tree: samples that ended here (this was the innermost
	                             * frame); bu: samples whose outermost frame this was */
	struct cpu_count total;     /* samples whose stack passes through this node */
};

struct cpu_thread {
	uint32_t thread;            /* index into p->threads, CPU_NONE for samples of an unknown thread */
	struct cpu_count total;     /* all its samples (the filter does not apply) */
	struct cpu_count offcpu;    /* of those, off-CPU */
	uint64_t lifetime;          /* ns: end - start; end = end of profile when unknown */
	uint64_t first, last;       /* time of its first and last sample */
	double achieved_hz;         /* its sampling rate: (samples - 1) / (last - first) in
	                             * seconds, 0 when unknown (fewer than 2 samples) */
	uint32_t top_func;          /* index into r->funcs of its function with the most
	                             * self samples, CPU_NONE if none */
	struct cpu_count top_self;  /* that function's self samples on this thread */
};

struct stacktrie;
struct cpu_result {
	struct stacktrie *st;       /* the stack model (functions keyed by name and
	                             * module, trimmed to its tables): the names */
	const struct sc_profile *p; /* borrowed: must outlive the result */
	bool filtered;              /* a filter was given */
	bool thread_selected;       /* a thread was given */
	bool wall;                  /* wall-clock samples (PROF_WALL) */
	struct cpu_totals t;
	struct cpu_func *funcs;     size_t nfuncs;     /* in first-seen order; some may be 0 */
	struct cpu_line *lines;     size_t nlines;     /* grouped by function, most self first */
	struct cpu_node *tree;      size_t ntree;      /* top-down; tree[0] = root, its
	                                                * children are outermost frames */
	struct cpu_node *bu;        size_t nbu;        /* bottom-up; bu[0] = root, its
	                                                * children are the hot functions */
	struct cpu_thread *threads; size_t nthreads;   /* selected threads with samples,
	                                                * most samples first, then by tid */
	struct cpu_count *stacks;   /* per stack id (p->nstacks entries, at least 1):
	                             * matched samples */
};

/* Analyzes the samples of p. On success *out is a new result owned by the
 * caller (cpu_result_free) that borrows p. A thread that matches no thread
 * is no error: the result then has no samples and t.threads_selected 0.
 * Returns 0, -EINVAL for a filter regcomp rejects (heap_filter_check() gives
 * the message). */
int cpu_analyze(const struct sc_profile *p, const struct cpu_options *o,
		struct cpu_result **out);
void cpu_result_free(struct cpu_result *r);

/* What a share is of: the samples' time when they carry one (each weighs
 * the CPU or wall time it stands for, which differs between samples of
 * CPU-time timers or of a wall profile), else their number (an import of
 * counts that says no rate). */
static inline uint64_t cpu_amount(const struct cpu_totals *t, const struct cpu_count *c)
{
	return t->total.ns ? c->ns : c->samples;
}

enum cpu_sort {
	CPU_SORT_SELF = 0,
	CPU_SORT_TOTAL,
	CPU_SORT_OFFCPU,            /* off-CPU self samples */
};

/* Fills idx (r->nfuncs entries, caller-allocated) with function indexes
 * ordered by key descending, ties broken by the other of self/total, then
 * by name and module, so the order is deterministic. Functions whose key is
 * 0 are left out. Returns how many were written. */
size_t cpu_funcs_sorted(const struct cpu_result *r, enum cpu_sort key, uint32_t *idx);

/* Appends why perf events were refused (p->perf_errno) and what allows
 * them, for a profile that CPU-time timers sampled instead. */
struct strbuf;
void cpu_refusal_note(struct strbuf *sb, uint32_t err);

/* True when samples of thread index `thread` (into p->threads) are selected
 * by sel (a tid or a name, as in cpu_options.thread); NULL selects all. */
bool cpu_thread_matches(const struct sc_profile *p, uint32_t thread, const char *sel);

#endif
