/* A stack model for the call-tree views: a frame table (strings,
 * functions, frames, interned once per profile in an arena) and a stack trie
 * over it (frames merged by function from the outermost one down), with the
 * leaf node of each profile stack id, and weight vectors per (thread, node)
 * for up to four metrics. The trie is built lazily, a stack when first
 * asked for; walking the stacks in id order costs no lookup for the outer
 * frames neighbours share. Pure computation: no I/O, no output.
 *
 * The HTML page writes it as it is. Flame graphs walk it keyed their own
 * way (stacktrie_init_flame: merged by function and module name, without
 * scorch's own frames), its nodes being the flame tree's: one tree, not
 * this trie projected onto a second one (tried: on 300,000 distinct stacks
 * flame 1.1 -> 1.9 s CPU and 170 -> 208 MB). The CPU report's trees are a
 * trie keyed by function (stacktrie_init_funcs): the top-down one under
 * root 0, the inverted one of the hottest functions under a second root.
 * The massif export's trees are a trie of its own valgrind frames
 * (stacktrie_init_keys: the nodes without the frame table). */
#ifndef SCORCH_ANALYSIS_STACKTRIE_H
#define SCORCH_ANALYSIS_STACKTRIE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../lib/arena.h"
#include "../lib/hashmap.h"
#include "../lib/strbuf.h"
#include "../lib/vec.h"
#include "filter.h"
#include "heap.h"
#include "profile.h"

#define STACKTRIE_NONE UINT32_MAX

typedef VEC(uint64_t) stacktrie_u64vec;

/* A function: a name in a module; file is where it was first seen. */
struct stacktrie_func {
	uint32_t name, file;        /* string ids */
	int32_t module;             /* index into p->modules, -1 unknown */
	bool inlined;               /* some frame resolved so far is an inlined one of it */
};

/* A frame: a function, inlined or not. */
struct stacktrie_frame {
	uint32_t func;
	bool inl;                   /* an inlined frame of func */
};

struct stacktrie_node {
	uint32_t parent, frame;     /* node 0, the root, has frame STACKTRIE_NONE */
	uint32_t child, next;       /* first child, next sibling (STACKTRIE_NONE ends) */
};

/* The path inserted last under a root (stacktrie_insert), so that the next
 * one costs no lookup for the frames it shares with it. Zero-initialize;
 * stacktrie_path_release() frees it. */
struct stacktrie_path {
	uint32_t root;
	VEC(uint32_t) frames;
	VEC(uint32_t) nodes;
};

struct stacktrie {
	const struct sc_profile *p; /* borrowed */
	struct arena arena;         /* the strings */
	struct strmap smap;
	VEC(const char *) strs;     /* string table, by id; id 0 is "" */
	struct u64map fmap;
	VEC(struct stacktrie_func) funcs;
	struct u64map frmap;
	VEC(struct stacktrie_frame) frames;
	size_t *loc_base;           /* per location: its first slot in locframe */
	uint32_t *locframe;         /* per (location, line): frame id, NONE until seen */
	struct u64map tmap;         /* parent << 32 | frame -> node */
	VEC(struct stacktrie_node) nodes;   /* nodes[0] is the root; parents come first */
	uint32_t *stack_node;       /* per stack id: its leaf node, NONE until walked */
	uint32_t nothread;          /* thread index for records of an unknown thread */
	bool nothread_used;
	bool by_func;               /* frames are functions: inlined or not, one frame */
	uint32_t noframe;           /* the "[no stack]" frame, NONE until needed */
	/* the frames and nodes of the last stack walked, outermost first */
	VEC(uint32_t) pframes;
	VEC(uint32_t) pnodes;
	struct stacktrie_path last; /* stacktrie_leaf's path */
	struct strbuf tmp;
	/* flame keys (stacktrie_init_flame): the nodes are ft's, frames merged
	 * by function and module name, scorch's own frames left out */
	struct flame_tree *ft;      /* borrowed */
	uint64_t *flframe;          /* per (location, line): name | module << 32 |
	                             * inlined << 63, UINT64_MAX until seen */
	uint32_t *fmodmap;          /* profile module -> ft module, NONE until seen */
	bool *fskip;                /* per profile module: the scorch runtime itself */
	stacktrie_u64vec fbuf[2];    /* frames of a stack, outermost first: fbuf[fcur] the
	                             * last one walked (its nodes in pnodes), the other
	                             * the next one */
	int fcur;
	uint64_t fnostack;          /* the "[no stack]" frame, UINT64_MAX until needed */
};

void stacktrie_init(struct stacktrie *t, const struct sc_profile *p);
/* A trie whose frames are functions: a function's inlined and not inlined
 * frames are one frame (its func's inlined flag tells that some were
 * inlined). The CPU report's trees. */
void stacktrie_init_funcs(struct stacktrie *t, const struct sc_profile *p);
/* A trie of the caller's own frame ids (stacktrie_insert() only): no
 * profile, no frame table, the nodes and their lookup alone. */
void stacktrie_init_keys(struct stacktrie *t);
void stacktrie_release(struct stacktrie *t);
/* Frees the lookups (the string, function, frame and node maps, the per
 * location and per stack caches): only the tables (strs, funcs, frames,
 * nodes) stay, read-only. */
void stacktrie_trim(struct stacktrie *t);

struct flame_tree;
/* A trie keyed as flame graphs merge frames (function and module name,
 * scorch's own frames left out, a node inlined when any frame merged into
 * it is): its nodes are ft's nodes, its names and modules ft's, so the
 * flame tree is this trie, not a copy of it. Only stacktrie_flame_leaf()
 * and stacktrie_flame_frames() walk it. */
void stacktrie_init_flame(struct stacktrie *t, const struct sc_profile *p,
			  struct flame_tree *ft);
/* The node of ft where stack sid (< p->nstacks, or any id for the empty
 * stack) ends, created with its path on first use; a stack left without
 * frames ends at "[no stack]". The part it shares with the previous stack
 * walked costs no lookup. */
uint32_t stacktrie_flame_leaf(struct stacktrie *t, uint32_t sid);
/* The frames of stack sid as stacktrie_flame_leaf() walks them, outermost
 * first, each ft's name | module << 32 | inlined << 63 (STACKTRIE_FLAME_*);
 * *n of them. Valid until the next call on t. */
const uint64_t *stacktrie_flame_frames(struct stacktrie *t, uint32_t sid, size_t *n);
#define STACKTRIE_FLAME_NAME(f) ((uint32_t)(f))
#define STACKTRIE_FLAME_MODULE(f) ((uint32_t)((f) >> 32) & 0x7fffffffu)
#define STACKTRIE_FLAME_INLINED(f) ((unsigned)((f) >> 63))

/* Interns a string (copied); returns its id. */
uint32_t stacktrie_str(struct stacktrie *t, const char *s);
/* The trie node where stack sid ends, created with its path on first use.
 * A stack without frames (and any sid >= p->nstacks) ends at the "[no
 * stack]" frame; one whose locations are all out of range ends at the root. */
uint32_t stacktrie_leaf(struct stacktrie *t, uint32_t sid);
/* The frames of stack sid, outermost first (innermost first with
 * inner_first), *n of them: as stacktrie_leaf() walks them ("[no stack]"
 * for an empty stack or any sid >= p->nstacks). Valid until the next call
 * on t. */
const uint32_t *stacktrie_frames(struct stacktrie *t, uint32_t sid, bool inner_first, size_t *n);
/* The frame of line j (0 when it has none) of location loc (< p->nlocations). */
uint32_t stacktrie_loc_frame_new(struct stacktrie *t, uint32_t loc, uint32_t j);
static inline uint32_t stacktrie_loc_frame(struct stacktrie *t, uint32_t loc, uint32_t j)
{
	uint32_t f = t->locframe[t->loc_base[loc] + j];
	return f != STACKTRIE_NONE ? f : stacktrie_loc_frame_new(t, loc, j);
}
/* The "[no stack]" frame (module -1), made on first use. */
uint32_t stacktrie_noframe(struct stacktrie *t);
/* A new root: a node without parent or frame, for a second trie over the
 * same frames (the CPU report's inverted one). */
uint32_t stacktrie_root(struct stacktrie *t);
/* The node where the path frames[0..n) below root ends, made on first use;
 * the frames it shares with the path c last had cost no lookup. frames
 * are ids of t's frames, or of whatever a caller keys its own tree by (the
 * massif export: its valgrind frames), which the nodes' frame then hold:
 * such a tree (stacktrie_init_keys) uses t's nodes only. */
uint32_t stacktrie_insert(struct stacktrie *t, struct stacktrie_path *c, uint32_t root,
			  const uint32_t *frames, size_t n);
void stacktrie_path_release(struct stacktrie_path *c);
/* Sorts the stack ids ids[0..n) (each < p->nstacks) by their locations,
 * outermost first (innermost first with inner_first), then by id: stacks
 * that share their outer (inner) locations become neighbours, so that
 * inserting their paths in this order costs a lookup only where a path
 * leaves the one before. */
void stacktrie_sort_stacks(const struct stacktrie *t, uint32_t *ids, size_t n, bool inner_first);
/* Makes the leaf of every stack s with need[s] set, in id order. */
void stacktrie_walk(struct stacktrie *t, const uint8_t *need);
/* The thread index records of thread t count under: t, or t->nothread
 * (noting that it is used) for an index outside the profile's table. */
uint32_t stacktrie_thread(struct stacktrie *t, uint32_t thread);

/* Numbers the trie in preorder with siblings in name order (then module,
 * then not inlined before inlined): fills order (new id -> old), newid
 * (old -> new) and depth per new id, each nodes.len entries. Returns the
 * maximum depth. */
uint32_t stacktrie_number(const struct stacktrie *t, uint32_t *order, uint32_t *newid,
			  uint32_t *depth);

/* ---- weights ---- */

/* Per (thread, node) weights of one group (CPU or heap), up to 4 metrics. */
struct stacktrie_wentry {
	uint32_t thread, node;
	uint64_t w[4];
};

struct stacktrie_weights {
	struct u64map map;          /* thread << 32 | node -> index into e */
	VEC(struct stacktrie_wentry) e;   /* in the order they were made */
};

void stacktrie_weights_init(struct stacktrie_weights *w);
void stacktrie_weights_release(struct stacktrie_weights *w);
/* Index of the (thread, node) entry of w, zeroed when new. */
uint32_t stacktrie_weights_add(struct stacktrie_weights *w, uint32_t thread, uint32_t node);
/* Renumbers the entries' nodes with newid (NULL: keep them) and sorts them
 * by thread, then node. */
void stacktrie_weights_sort(struct stacktrie_weights *w, const uint32_t *newid);

/* The CPU figures of a profile's samples, as the CPU model defines them
 * (analysis/cpu.h, docs/json.md). */
struct stacktrie_cpu_totals {
	uint64_t all, offcpu, oncpu;      /* every sample of the profile */
	uint64_t matched, matched_ns;     /* those passing the filter */
	uint64_t no_stack;                /* matched samples with an empty stack */
	uint32_t threads_sampled;
	double achieved_hz;               /* per second of process CPU time when known,
	                                   * else the busiest thread's rate */
	bool from_cpu_time;
	bool wall;
};

/* Per stack id (p->nstacks + 1 bytes, caller frees): 1 when it passes f. */
uint8_t *stacktrie_matching(const struct sc_profile *p, struct stack_filter *f);

/* CPU samples per (thread, leaf node) into w: samples, ns, and the on-CPU
 * and off-CPU samples. Only samples whose stack matches (match[stack])
 * count; t gets the totals. */
void stacktrie_cpu_weights(struct stacktrie *st, const uint8_t *match,
			   struct stacktrie_weights *w, struct stacktrie_cpu_totals *t);

/* Bytes, count, peak and leaked by (thread, node) into w and by (thread,
 * site) into sw, from the heap model's figures per (stack, thread) (hr made
 * with by_thread), in the order of each pair's first allocation.
 * Allocations outside hr's filter do not count. */
void stacktrie_heap_weights(struct stacktrie *st, const struct heap_result *hr,
			    struct stacktrie_weights *w, struct stacktrie_weights *sw);

#endif
