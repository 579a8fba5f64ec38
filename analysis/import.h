/* Building a CPU profile out of foreign data (perf script text, folded
 * stacks): modules, locations, stacks and threads are interned as the
 * importer meets them, samples are collected in any order and put in time
 * order when the profile is finished. import-perf.c and the folded import
 * of cli/cmd-import.c both go through it, so the two make profiles alike. */
#ifndef SCORCH_ANALYSIS_IMPORT_H
#define SCORCH_ANALYSIS_IMPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "profile.h"

/* Caps that keep a hostile input from exhausting memory; an importer turns
 * -E2BIG from the builder into a message naming the input line. */
#define IMPORT_MAX_THREADS 65535u          /* sc_sample.thread is 16 bits */
#ifndef IMPORT_MAX_SAMPLES              /* the fuzz build lowers it */
#define IMPORT_MAX_SAMPLES 50000000ull     /* 1.2 GB of samples */
#endif
#define IMPORT_MAX_DEPTH   65536u          /* frames of one stack */

struct import_builder;

/* A frame as an importer hands it over: the func, file and module strings
 * are copied (func demangled first when it is a mangled name). */
struct import_frame {
	uint64_t addr;
	int32_t module;             /* from import_module(), -1 unknown */
	const char *func;           /* NULL or "" = unknown: shown as module+addr */
	size_t func_len;
	const char *file;           /* NULL or "" = unknown */
	size_t file_len;
	uint32_t line;              /* 0 unknown */
	bool inlined;               /* inlined into the next (outer) frame */
};

/* A new builder with an empty profile (stack 0 is the empty stack). */
struct import_builder *import_builder_new(void);
/* Frees the builder and, unless import_finish() took it, its profile. */
void import_builder_free(struct import_builder *b);

/* The index of the module loaded from path (path_len bytes), created on
 * first sight with name = basename of path. */
int32_t import_module(struct import_builder *b, const char *path, size_t path_len);

/* The index of the location of frame f, created on first sight. */
uint32_t import_location(struct import_builder *b, const struct import_frame *f);

/* The index of the stack of n locations, innermost first, created on first
 * sight. -E2BIG when n exceeds IMPORT_MAX_DEPTH. */
int64_t import_stack(struct import_builder *b, const uint32_t *locs, size_t n);

/* The index of thread tid, created on first sight; its name becomes `name`
 * (name_len bytes) when name is not NULL, so the last name given wins.
 * -E2BIG past IMPORT_MAX_THREADS threads. */
int import_thread(struct import_builder *b, uint32_t tid, const char *name, size_t name_len);

/* Adds a sample at absolute time `time` (any unit-consistent ns clock; the
 * finished profile counts from the earliest sample). -E2BIG past
 * IMPORT_MAX_SAMPLES. */
int import_sample(struct import_builder *b, uint64_t time, uint32_t stack, uint16_t thread,
		  uint32_t weight);

/* Samples added so far. */
size_t import_nsamples(const struct import_builder *b);

/* The profile being built, for the fields the importer sets itself (pid,
 * exe, host, sample_source, sample_hz, cpu_time_ns, is_main...); strings
 * put there must live in its arena. */
struct sc_profile *import_profile(struct import_builder *b);

/* Finishes the profile: samples sorted by time and made relative to the
 * first, duration, thread spans (first to last sample), PROF_CPU. Returns
 * the profile, now owned by the caller (profile_free()); the builder is
 * still to be freed. */
struct sc_profile *import_finish(struct import_builder *b);

/* Where a module of an imported profile was loaded can be worked out from a
 * frame whose symbol the foreign tool named with its offset: at run-time
 * address addr, `offset` bytes into `symbol` (perf's "symbol+0xOFF"). */
struct import_anchor {
	int32_t module;
	uint64_t addr;
	uint64_t offset;
	const char *symbol;         /* in the profile's arena */
};

/* Completes an imported profile from its modules' files, where they are
 * readable here: places each module with an anchor (its load bias), gives
 * file:line to its frames that came without one, makes the addresses of
 * frames that are only ever callers lookup addresses (return address minus
 * one, as in recorded profiles) and, unless no_code, keeps code and source
 * lines for `scorch annotate` as finalize does. Returns the number of
 * modules placed. */
size_t import_complete(struct sc_profile *p, const struct import_anchor *a, size_t n, bool no_code);

/* Folded stacks ("root;...;leaf COUNT" lines, analysis/folded-in.h) as a
 * CPU profile: COUNT samples per line, all at time 0 on one thread (tid 0,
 * "folded"), frames without module or address (module -1), "_[i]" frames
 * inlined. Folded text says nothing of time, so a sample weighs 1e9 / hz
 * ns when hz is given, else 0 (unknown). Returns 0 and a new profile owned
 * by the caller, or -1 with "NAME:LINE: what is wrong" (or "NAME: ...")
 * in err. */
int import_folded(const char *data, size_t len, const char *name, uint32_t hz,
		  struct sc_profile **out, char *err, size_t errlen);

#endif
