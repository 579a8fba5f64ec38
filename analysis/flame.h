/* The frame tree behind flame graphs, icicle graphs and differential flame
 * graphs, and the spans behind flame charts.
 *
 * A flame tree merges stacks by path: a node is one frame (function name +
 * module) under one parent, with the weight of every stack through it
 * (total) and of the stacks that end there (self). Trees are built from a
 * profile (CPU samples or a heap metric, optionally one thread) or from
 * folded text; flame_layout() turns one into rectangles, pruning frames too
 * thin to see; flame_diff() lays a BEFORE tree over an AFTER tree.
 *
 * A flame chart keeps time order instead: per lane (a thread's samples or
 * its zones), spans of a frame at a depth from a start to an end time, and
 * on zone lanes the thread's marks and counters. flame_chart_build() makes
 * them from CPU samples and from zone spans; anything else that has spans
 * can add its own with flame_chart_add().
 *
 * Everything here is pure computation on the model: no I/O, no output. */
#ifndef SCORCH_ANALYSIS_FLAME_H
#define SCORCH_ANALYSIS_FLAME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../lib/arena.h"
#include "../lib/vec.h"
#include "profile.h"

#define FLAME_NONE UINT32_MAX

/* flame_node.flags, flame_span.flags */
#define FLAME_INLINED 1u      /* the frame was inlined into its caller (some of its weight at least) */
#define FLAME_MERGED  2u      /* a span standing for several spans too short to draw */

/* What a tree or chart weighs. */
enum flame_weight {
	FLAME_SAMPLES = 0,        /* CPU samples */
	FLAME_CPU_NS,             /* ns of CPU time the samples stand for */
	FLAME_BYTES,              /* heap: bytes allocated */
	FLAME_COUNT,              /* heap: allocations */
	FLAME_PEAK,               /* heap: bytes live at the global peak (t-gmax) */
	FLAME_LEAKED,             /* heap: bytes live at the end */
	FLAME_FOLDED,             /* the counts of a folded file (unit unknown) */
};

/* "samples", "cpu-ns", "bytes", "count", "peak", "leaked", "folded". */
const char *flame_weight_name(enum flame_weight w);
/* Parses a --heap value ("bytes", "count", "peak", "leaked"); -1 if unknown. */
int flame_heap_weight_parse(const char *s);
/* Parses a --weight value ("samples", "cpu-ns"); -1 if unknown. */
int flame_cpu_weight_parse(const char *s);
/* The unit a weight counts in: "samples", "ns", "bytes", "allocations". */
const char *flame_weight_unit(enum flame_weight w);
bool flame_weight_is_heap(enum flame_weight w);
bool flame_weight_is_cpu(enum flame_weight w);
/* CPU samples when p has any, else heap bytes when it has heap events,
 * else samples (which the caller will find empty). */
enum flame_weight flame_default_weight(const struct sc_profile *p);
/* Whether a profile's CPU samples weigh differently: CPU-time timers took
 * them at the kernel's tick (a sample stands for the periods since the last
 * one), a wall profile mixes on- and off-CPU samples of different spans, or
 * an import carries perf's varying periods. The default CPU weight is then
 * their time (cpu-ns) instead of their number: shares are of time. */
bool flame_weights_vary(const struct sc_profile *p);

struct flame_module {
	const char *name;         /* basename; "" for frames of no known module */
	bool is_main;             /* the profiled executable */
};

struct flame_node {
	uint32_t name;            /* index into names */
	uint32_t module;          /* index into modules; 0 is the unknown module "" */
	uint32_t parent;          /* FLAME_NONE for the root */
	uint32_t first_child;     /* children, in no particular order; FLAME_NONE */
	uint32_t next_sibling;
	uint32_t depth : 24;      /* root 0, outermost frames 1 */
	uint32_t flags : 8;       /* FLAME_INLINED */
	uint64_t total;           /* weight of the stacks through this frame */
	uint64_t self;            /* weight of the stacks ending here */
};

/* A node's weights in the BEFORE profile of a diff. */
struct flame_before {
	uint64_t total, self;
};

struct flame_tree {
	struct arena arena;       /* names */
	enum flame_weight weight;
	VEC(const char *) names;  /* interned, control characters made spaces */
	VEC(struct flame_module) modules;
	VEC(struct flame_node) nodes;   /* nodes[0] is the root, named "all" */
	struct flame_before *before;  /* after flame_diff(): per node, the weights of the
	                               * same frame in BEFORE (0 where it has none);
	                               * NULL otherwise */
	uint64_t before_all;      /* after flame_diff(): BEFORE's total weight */
	bool diffed;
	/* lookup tables, keys inline so a probe touches one slot: names, and
	 * (parent, name, module) -> node; id + 1 in a used slot, 0 in a free one */
	struct flame_name_slot { uint64_t hash; const char *str; } *ntab;  /* str NULL: free;
	                           * the 8 bytes before str hold its id and length */
	struct flame_child_slot { uint32_t parent, name, module, id; } *ctab;
	size_t ncap, ccap;
	size_t cindexed;          /* nodes in ctab; it is rebuilt when behind */
};

struct flame_tree *flame_tree_new(enum flame_weight w);
void flame_tree_free(struct flame_tree *t);

/* Interns a function name of len bytes (not NUL-terminated); returns its index. */
uint32_t flame_name(struct flame_tree *t, const char *s, size_t len);
/* Interns a module by name; the main executable is its own module even if a
 * library had the same name. */
uint32_t flame_module(struct flame_tree *t, const char *name, bool is_main);
/* The child of parent for this frame, created when absent. */
uint32_t flame_child(struct flame_tree *t, uint32_t parent, uint32_t name, uint32_t module);
/* The child of parent for this frame, FLAME_NONE when absent. (Not const:
 * it may first index the children of a tree built from folded text.) */
uint32_t flame_find_child(struct flame_tree *t, uint32_t parent, uint32_t name,
			  uint32_t module);
/* Adds w to the self weight of node; flame_tree_finish() makes the totals. */
void flame_add_self(struct flame_tree *t, uint32_t node, uint64_t w);
/* Computes every total from the self weights. Call once, after the last add. */
void flame_tree_finish(struct flame_tree *t);

/* A tree from p's CPU samples (FLAME_SAMPLES, FLAME_CPU_NS) or heap events
 * (the heap weights), of the threads matching `thread` (a tid or a thread
 * name, as in cpu_options.thread; NULL = all). Frames are the lines of each
 * location, inlined ones included and flagged; unsymbolized frames are named
 * "[module+0xoffset]". Returns 0 and a finished tree owned by the caller;
 * -ENOENT when no thread matches, -EINVAL when p lacks the data the weight
 * needs; a message naming the problem is in err. */
int flame_from_profile(const struct sc_profile *p, enum flame_weight w, const char *thread,
		       struct flame_tree **out, char *err, size_t errlen);

/* The per-stack weights behind flame_from_profile(): out has p->nstacks
 * entries (at least 1). Heap weights follow heap_analyze()'s definitions,
 * attributed to the thread that made each allocation. Same returns. */
int flame_stack_weights(const struct sc_profile *p, enum flame_weight w, const char *thread,
			uint64_t *out, char *err, size_t errlen);

/* A tree from folded text (analysis/folded-in.h), weight FLAME_FOLDED.
 * Returns 0, or -EINVAL with "line N: why" (or "no stacks") in err. */
int flame_from_folded(const char *buf, size_t len, struct flame_tree **out,
		      char *err, size_t errlen);

/* ---- layout ---- */

/* A rectangle to draw: a node, or the merged stand-in for the children of
 * one parent that are each too thin to draw. x and w are fractions of the
 * root's width. */
struct flame_rect {
	double x, w;
	uint32_t depth;           /* root 0 */
	uint32_t node;            /* index into t->nodes; FLAME_NONE when merged */
	uint32_t parent;          /* index of the parent's rect; FLAME_NONE for the root */
	uint32_t merged;          /* merged: how many frames it stands for */
	uint64_t weight;          /* node: its total; merged: their summed totals */
};

struct flame_layout {
	struct flame_rect *rects; /* parents before children; rects[0] is the root */
	size_t n;
	uint32_t max_depth;       /* deepest rect's depth */
	size_t pruned;            /* nodes not drawn (each merged or too thin) */
};

/* Lays t out: each node's width is its total over the root's; children sit
 * side by side from their parent's left edge, in name order (then module),
 * with the parent's self weight as the gap on the right. A child narrower
 * than min_frac of the root is not drawn; the too-thin children of one
 * parent become one merged rect after the drawn ones when together they are
 * at least min_frac wide, and are simply not drawn otherwise: either way the
 * parent keeps their weight. min_frac 0 draws every node with weight. out is
 * owned by the caller (flame_layout_release). */
void flame_layout(const struct flame_tree *t, double min_frac, struct flame_layout *out);
void flame_layout_release(struct flame_layout *l);

/* The min_frac to lay t out with so that at most max_nodes nodes besides
 * the root are drawn: floor, or just above the width of the
 * (max_nodes + 1)-th widest node when more than max_nodes are at least
 * floor wide. (Merged stand-ins come on top: at most one per drawn node.)
 * max_nodes 0 returns floor. */
double flame_min_frac_for(const struct flame_tree *t, double floor, size_t max_nodes);

/* The k-th largest (k from 1) of n values, reordering v; 0 when k > n. */
uint64_t flame_kth_largest(uint64_t *v, size_t n, size_t k);

/* ---- diff ---- */

/* Lays BEFORE over AFTER: every AFTER node gets the weights of the BEFORE
 * node at the same path in after->before[] (0 where BEFORE has no such
 * frame). Frames match by function name and module name, and the
 * main executable matches the main executable whatever it is called, since
 * addresses and file names differ between builds. Both trees finished. */
void flame_diff(struct flame_tree *after, const struct flame_tree *before);

struct flame_rgb {
	uint8_t r, g, b;
};

/* The fill of a diff frame whose share went from `before` to `after`
 * (fractions of each profile's total): white for no change, towards red
 * (255,55,55) for growth and blue (55,55,255) for shrinkage, linearly in
 * |after - before| / scale, saturating at scale (the largest change drawn;
 * scale <= 0 gives white). */
struct flame_rgb flame_diff_color(double before, double after, double scale);

enum flame_group {
	FLAME_BY_FUNCTION = 0,    /* self weight of each function (CPU, folded) */
	FLAME_BY_SITE,            /* weight of each allocation site: the innermost frame
	                           * of a stack that is not an allocator wrapper (heap) */
};

struct flame_diff_row {
	const char *name;         /* borrowed from one of the trees */
	const char *module;       /* "" when unknown */
	bool is_main;
	uint64_t before, after;   /* self (function) or site weight */
	uint64_t before_total, after_total;  /* weight of the stacks through it,
	                                      * each stack counted once (recursion) */
	double before_share, after_share;    /* before / BEFORE's total, after / AFTER's */
	double delta;             /* after_share - before_share */
};

/* The functions or sites of both trees with their weights in each, sorted
 * by |delta| descending, then |after - before|, then name and module. Rows
 * with both weights 0 are left out. Returns how many; *out is malloc'd. */
size_t flame_diff_rows(const struct flame_tree *before, const struct flame_tree *after,
		       enum flame_group g, struct flame_diff_row **out);

/* ---- flame charts ---- */

/* flame_span.flags beyond FLAME_INLINED and FLAME_MERGED: a zone span's */
#define FLAME_ZONE        4u  /* a zone or traced call (zone says which); not on merged spans */
#define FLAME_UNWOUND     8u  /* left by longjmp or an exception (ZONE_F_UNWOUND) */
#define FLAME_UNFINISHED 16u  /* never ended: ends where its thread or the recording did */
#define FLAME_THREAD_EXIT 32u /* still open when its thread exited */

struct flame_span {
	uint64_t start, end;      /* ns since the profile's start; end > start for samples,
	                           * end >= start for zones (a zone can be shorter than the
	                           * clock's resolution) */
	uint32_t lane;            /* index into lanes */
	uint32_t depth;           /* 0 = outermost frame */
	uint32_t name, module;    /* interned in the chart's names tree */
	uint32_t flags;           /* FLAME_INLINED, FLAME_MERGED, FLAME_ZONE... */
	uint32_t merged;          /* FLAME_MERGED: how many spans it stands for */
	uint64_t weight;          /* samples (or other units) it stands for; a zone: 1 */
	uint32_t zone;            /* FLAME_ZONE: index into the profile's zones */
	uint64_t self;            /* FLAME_ZONE: its duration less the zone spans directly
	                           * inside it and the calls --calls-min dropped inside it,
	                           * as `scorch report --zones` counts self time */
};

enum flame_lane_kind {
	FLAME_LANE_SAMPLES = 0,   /* frames from CPU samples */
	FLAME_LANE_ZONES,         /* zones and traced calls, marks and counters */
};

struct flame_lane {
	const char *name;         /* thread name, borrowed */
	uint32_t tid;
	uint32_t depth;           /* 1 + the deepest span's depth, 0 when empty */
	uint64_t busy;            /* ns covered by its depth-0 spans */
	uint64_t weight;          /* summed weights of its depth-0 spans */
	enum flame_lane_kind kind;
	uint32_t thread;          /* index into the profile's threads; its nthreads for a
	                           * thread outside the table; FLAME_NONE when not from a profile */
	uint64_t spans;           /* spans it had before pruning */
	uint32_t nmarks, ncounters;  /* marks (before grouping) and counters on it */
};

/* A mark (SCORCH_MARK), or several of one name close together on one lane
 * (flame_chart_prune groups them). */
struct flame_mark {
	uint64_t time, last;      /* the first and the last mark it stands for */
	uint32_t lane, name;      /* name interned in the chart's names tree */
	uint32_t count;           /* marks it stands for */
};

struct flame_point {
	uint64_t time;
	double value;
};

/* The values of one counter (SCORCH_COUNTER) of one thread. */
struct flame_counter {
	uint32_t lane, name;      /* name interned in the chart's names tree */
	size_t first, n;          /* its values: points[first .. first + n), in time order */
	double min, max, last;
};

/* How many spans of one name on one lane flame_chart_prune() took out: left
 * out, or merged into a [merged] stand-in. */
struct flame_pruned {
	uint32_t lane, name;
	uint64_t spans;
};

struct flame_chart {
	struct flame_tree *names; /* the interner of span names and modules */
	enum flame_weight weight;
	const struct sc_profile *p;   /* the profile its zone spans come from, borrowed; NULL */
	VEC(struct flame_lane) lanes;
	VEC(struct flame_span) spans;
	VEC(struct flame_mark) marks;
	VEC(struct flame_counter) counters;
	VEC(struct flame_point) points;
	VEC(struct flame_pruned) pruned;  /* by lane, then most spans first (then the
	                                   * name interned first) */
	uint64_t t0, t1;          /* the time axis; set by flame_chart_finish() */
};

struct flame_chart *flame_chart_new(enum flame_weight w);
void flame_chart_free(struct flame_chart *c);
/* Adds a lane of samples; name must outlive the chart. Returns its index. */
uint32_t flame_chart_lane(struct flame_chart *c, const char *name, uint32_t tid);
/* Adds a span (copied). Spans of one lane and depth should not overlap (they
 * would be drawn over each other), and a span at depth d > 0 should lie
 * within one at depth d - 1: samples always do; zones do unless a zone was
 * ended while one it enclosed stayed open (a mismatched scorch_zone_end). */
void flame_chart_add(struct flame_chart *c, const struct flame_span *s);
/* Sorts the spans by lane, depth and start, the marks by lane and time and
 * the counters by lane (each lane's in the order they were made), and sets
 * t0/t1 (from the spans, marks and counters unless the caller set
 * t1 > t0 already) and the lanes' depth and busy time. */
void flame_chart_finish(struct flame_chart *c);
/* The shortest span length that keeps at most max_spans spans at least
 * that long: min_ns, or one more than the (max_spans + 1)-th longest span
 * when that is longer. max_spans 0 returns min_ns. */
uint64_t flame_chart_min_ns_for(const struct flame_chart *c, uint64_t min_ns, size_t max_spans);
/* Replaces the spans shorter than min_ns: a run of them at one lane and
 * depth, each starting less than min_ns after the previous one ends, becomes
 * one FLAME_MERGED span if it covers at least min_ns, else is dropped. A
 * merged span keeps the name of the spans it stands for when they all have
 * one name, else is named "[merged]". The spans taken out are counted per
 * lane and name in c->pruned. Marks of one name on one lane less than min_ns
 * after the first of a group join that group. Returns how many spans were
 * removed or merged away. Call after finish. */
size_t flame_chart_prune(struct flame_chart *c, uint64_t min_ns);

/* Pauses between two samples of a thread shorter than this many sampling
 * periods do not end its spans (preemption on a busy machine). */
#define FLAME_CHART_GAP 10

/* What flame_chart_build() draws. */
#define FLAME_CHART_SAMPLES 1u    /* frames from CPU samples */
#define FLAME_CHART_ZONES   2u    /* zones, traced calls, marks and counters */

/* A chart of p: for each thread matching `thread` (a tid or a name; NULL =
 * all) that has any of what is asked, in order of its first record, a lane
 * of its zones (when `what` has FLAME_CHART_ZONES) and then a lane of its
 * samples (FLAME_CHART_SAMPLES, weighed by w: FLAME_SAMPLES or FLAME_CPU_NS).
 *
 * Zone spans are the profile's zone spans as they are, begin, end and
 * depth, each with its self time; a zone lane also has the thread's marks
 * and counters. Sample spans: a sample taken at time t with weight w covers
 * [t - w, t], stretched back to the thread's previous sample when that is
 * less than FLAME_CHART_GAP x w earlier; consecutive samples of a thread
 * extend the spans of the frames they share, from the outermost frame down,
 * and a longer pause ends them.
 *
 * Returns 0 and a finished chart owned by the caller (which borrows p);
 * -ENOENT when no thread matches, -EINVAL when p has none of what is asked
 * (or w is not a CPU weight for samples), with a message in err. */
int flame_chart_build(const struct sc_profile *p, unsigned what, enum flame_weight w,
		      const char *thread, struct flame_chart **out, char *err, size_t errlen);

/* flame_chart_build(p, FLAME_CHART_SAMPLES, w, thread, ...). */
int flame_chart_from_profile(const struct sc_profile *p, enum flame_weight w,
			     const char *thread, struct flame_chart **out,
			     char *err, size_t errlen);

#endif
