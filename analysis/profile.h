/* The in-memory profile model: one recorded process image, fully symbolized.
 * Finalize builds it from the raw stream; profile-io.c writes it to and reads
 * it from a .scorch file; every report and export is a walk over it.
 * Everything hangs off the profile's arena and is freed by profile_free(). */
#ifndef SCORCH_ANALYSIS_PROFILE_H
#define SCORCH_ANALYSIS_PROFILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../format/raw.h"
#include "../lib/arena.h"

/* profile.flags */
#define PROF_HEAP        1u   /* heap events recorded */
#define PROF_INCOMPLETE  2u   /* the runtime's final flush never happened (SIGKILL...) */
#define PROF_TRUNCATED   4u   /* chunks were lost (disk full) or the raw file was cut */
#define PROF_CPU         8u   /* CPU samples recorded (scorch record) */
#define PROF_WALL       16u   /* wall-clock sampling: samples say on- or off-CPU */

struct sc_module {
	const char *name;         /* basename, e.g. "libc.so.6" or the program name */
	const char *path;         /* path the module was loaded from */
	uint8_t build_id[32];
	uint32_t build_id_len;
	uint64_t bias;            /* load bias: runtime addr = file vaddr + bias */
	uint64_t lo, hi;          /* runtime address span of its PT_LOAD segments */
	uint64_t load_time, unload_time;  /* ns since profile start; unload 0 = never */
	bool is_main;             /* the executable itself */
};

/* One source position of a location. A location resolving to inlined code has
 * several lines: lines[0] is the innermost inlined function, the last one is the
 * function that really contains the address. */
struct sc_line {
	const char *func;         /* demangled; "??" when unknown */
	const char *file;         /* "" when unknown */
	uint32_t line;            /* 0 when unknown */
	bool inlined;             /* this frame was inlined into the next one */
};

struct sc_location {
	uint64_t addr;            /* runtime address (return addresses minus 1 for lookup) */
	int32_t module;           /* index into modules, -1 when outside every module */
	uint32_t nlines;
	struct sc_line *lines;
};

/* A deduplicated call stack, innermost frame first. */
struct sc_stack {
	uint32_t nlocs;
	uint32_t *locs;           /* indexes into locations */
};

struct sc_thread {
	uint32_t tid;
	const char *name;
	uint64_t start, end;      /* ns since profile start; end 0 = unknown */
};

enum sc_event_kind {
	EV_ALLOC = 1,
	EV_FREE = 2,
};

/* A heap event, in global time order. For EV_ALLOC addr 0 means the call
 * failed (returned NULL). For EV_FREE size is 0 and stack 0; addr 0 is free(NULL). */
struct sc_event {
	uint64_t time;            /* ns since profile start */
	uint64_t addr;
	uint64_t size;
	uint32_t stack;           /* index into stacks; 0 is the empty stack */
	uint16_t thread;          /* index into threads */
	uint8_t kind;             /* enum sc_event_kind */
	uint8_t func;             /* enum raw_func */
};

/* A CPU (or wall-clock) sample, in time order. Its stack's first location
 * is the interrupted instruction itself (an exact pc, not a return address). */
struct sc_sample {
	uint64_t time;            /* ns since profile start */
	uint32_t stack;           /* index into stacks */
	uint32_t weight;          /* ns of CPU (or wall) time the sample stands for */
	uint16_t thread;          /* index into threads */
	uint8_t offcpu;           /* wall mode: the thread was blocked, not running */
	uint8_t pad;
};

struct sc_rss {
	uint64_t time;            /* ns since profile start */
	uint64_t bytes;
};

struct sc_profile {
	struct arena arena;
	uint32_t flags;           /* PROF_* */
	uint32_t version;         /* file format version it was read from / written as */
	uint32_t pid, ppid;
	const char *exe;          /* path of the executable */
	const char *cmdline;      /* argv joined by spaces, for display */
	uint32_t argc;
	const char **argv;
	uint64_t start_wall;      /* CLOCK_REALTIME ns at start */
	uint64_t duration;        /* ns from first to last record */
	int exit_kind;            /* enum raw_exit, 0 unknown */
	int exit_value;
	uint32_t depth;           /* --depth it was recorded with */
	uint64_t lost_chunks, lost_bytes;
	const char *host;         /* uname nodename of the recording machine */
	const char *scorch_version;

	struct sc_module *modules;     size_t nmodules;
	struct sc_location *locations; size_t nlocations;
	struct sc_stack *stacks;       size_t nstacks;    /* stacks[0] = empty */
	struct sc_thread *threads;     size_t nthreads;
	struct sc_event *events;       size_t nevents;    /* malloc'd, not in the arena */
	/* Set only on a profile just finalized from a single-threaded run: its
	 * events went straight to the file as they were decoded and are not in
	 * memory (events/nevents empty); only writing it needs them. */
	struct sc_rss *rss;            size_t nrss;       /* malloc'd, not in the arena */
	uint64_t streamed_events;      /* see above; 0 otherwise */

	/* CPU sampling (PROF_CPU). */
	struct sc_sample *samples;     size_t nsamples;   /* malloc'd, not in the arena */
	const char *sample_source;     /* "perf cpu-clock", "perf task-clock", "timer_create" */
	uint32_t sample_hz;            /* the rate asked for */
	uint64_t cpu_time_ns;          /* user+system CPU time of the process as the
	                                * launcher saw it (wait4), 0 when unknown: the
	                                * achieved rate is nsamples / this */
};

struct sc_profile *profile_new(void);
void profile_free(struct sc_profile *p);

/* Names of the malloc family for reports: "malloc", "calloc", ... */
const char *raw_func_name(int func);

#endif
