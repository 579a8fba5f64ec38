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
#define PROF_STALE      32u   /* a module's file changed after it was loaded (its build
                               * id differs): its frames are named by module and offset */
#define PROF_HEAP_SAMPLED 64u /* heap events are samples (scorch heap --sample): the
                               * event iterator weighs them back (heap_sample) */

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

/* ---- Zones (include/scorch.h) and instrumented calls (record --calls) ---- */

enum sc_zone_kind {
	ZONE_KIND_ZONE = 0,       /* SCORCH_ZONE and friends; also marks and counters */
	ZONE_KIND_FUNC = 1,       /* a function traced by -finstrument-functions */
};

/* A name of zones, marks or counters (the zone name table). */
struct sc_zone_name {
	const char *name;         /* the zone's name, or the function's (demangled) */
	const char *file;         /* source file, "" when unknown */
	uint32_t line;            /* where the zone is written, or the function's first line; 0 unknown */
	uint8_t kind;             /* enum sc_zone_kind */
};

/* sc_zone.flags */
#define ZONE_F_UNWOUND     1u /* left by longjmp or an exception: ended when that was seen */
#define ZONE_F_THREAD_EXIT 2u /* still open when its thread exited */
#define ZONE_F_UNFINISHED  8u /* never ended, or its end was lost with a damaged chunk:
                               * end = its thread's end (or the profile's) */

/* One span of a zone or one call. allocs and bytes count the allocations
 * its thread made between its begin and end, nested spans included. */
struct sc_zone {
	uint64_t start, end;      /* ns since profile start */
	uint64_t allocs, bytes;   /* allocations made inside it and the bytes requested */
	uint64_t dropped_ns;      /* time in calls directly inside it that --calls-min dropped */
	uint32_t name;            /* index into zone_names */
	uint16_t thread;          /* index into threads */
	uint16_t depth;           /* 0 outermost; one more than its enclosing span's */
	uint16_t flags;           /* ZONE_F_* */
};

struct sc_mark {
	uint64_t time;            /* ns since profile start */
	uint32_t name;            /* index into zone_names */
	uint16_t thread;
};

struct sc_counter {
	uint64_t time;            /* ns since profile start */
	double value;
	uint32_t name;            /* index into zone_names */
	uint16_t thread;
};

/* Calls of one function that --calls-min kept out of the span list, in sum. */
struct sc_zone_drop {
	uint32_t name;            /* index into zone_names */
	uint64_t calls;
	uint64_t total_ns;        /* their durations, summed */
	uint64_t self_ns;         /* less the dropped calls inside them */
	uint64_t min_ns, max_ns;
	uint64_t outer_ns;        /* durations of those not inside another call of the same function */
	uint64_t allocs, bytes;   /* made inside those */
};

/* One bucket of a zone's durations: `count` calls took `value` ns (or, in a
 * coarse histogram, between value and the next bucket's value). */
struct sc_zone_hist {
	uint64_t value, count;
};

/* What one thread's spans of one name came to, folded as the launcher read
 * them (every span, kept or not; not the calls --calls-min dropped, which
 * are in zone_drops). Recursion counts once in total_ns, allocs and bytes.
 * The histogram is exact (a value per distinct duration) up to
 * ZONE_HIST_EXACT values; past that it is coarse: values are bucket lower
 * bounds, ZONE_HIST_SUB buckets per power of two (each within 1/256 of the
 * durations it holds). */
#define ZONE_HIST_EXACT 1024
#define ZONE_HIST_SUB 256
struct sc_zone_stat {
	uint32_t name;            /* index into zone_names */
	uint16_t thread;          /* index into threads */
	uint8_t coarse;           /* the histogram is by buckets */
	uint64_t calls;           /* spans */
	uint64_t total_ns;        /* durations of those not inside another of the same name */
	uint64_t self_ns;         /* durations less the spans and dropped calls directly inside */
	uint64_t sum_ns;          /* durations */
	uint64_t min_ns, max_ns;
	uint64_t allocs, bytes;   /* inside those not inside another of the same name */
	uint64_t self_allocs, self_bytes;   /* less those of the spans directly inside */
	uint64_t unwound, unfinished, thread_exit;   /* spans with ZONE_F_* */
	uint32_t nhist;
	struct sc_zone_hist *hist;  /* by value, ascending; counts sum to calls */
};

enum sc_zone_error_kind {
	ZONE_ERR_END_MISMATCH = 1,  /* scorch_zone_end(given) while `expected` was the innermost zone */
	ZONE_ERR_END_UNOPENED = 2,  /* scorch_zone_end(given) with no open zone of that name */
};

struct sc_zone_error {
	uint64_t time;            /* ns since profile start */
	uint32_t expected;        /* index into zone_names, UINT32_MAX none */
	uint32_t given;           /* index into zone_names, UINT32_MAX unknown */
	uint16_t thread;
	uint8_t kind;             /* enum sc_zone_error_kind */
};

/* ---- Code kept for annotation (scorch annotate) ---- */

/* A row of a function's line table: the code from addr up to the next row's
 * address comes from file:line (the innermost inlined position, as the line
 * table says); file "" and line 0 for code with no line. */
struct sc_code_row {
	uint64_t addr;            /* run-time address */
	const char *file;
	uint32_t line;
};

/* Where a direct call or jump of kept code leads outside it, named. */
struct sc_code_target {
	uint64_t addr;            /* run-time address */
	const char *name;         /* "memcpy", "parse+0x1c", "puts@plt" */
};

/* The machine code of a function that samples hit, copied from its module's
 * file when the profile was finalized, so that it can be disassembled after
 * the binary is gone. */
struct sc_code {
	int32_t module;           /* index into modules */
	uint64_t start;           /* run-time address of its first byte */
	uint32_t len;
	const uint8_t *bytes;     /* len bytes */
	const char *name;         /* its symbol, demangled: the name frames in it carry */
	uint32_t nrows;
	struct sc_code_row *rows; /* by address */
	uint32_t ntargets;
	struct sc_code_target *targets;  /* by address, each once */
};

/* Lines [first, first + nlines) of a source file, as they read when the
 * profile was finalized, without their line ends. */
struct sc_source {
	const char *file;
	uint32_t first;
	uint32_t nlines;
	const char **lines;
};

/* Something the profile cannot show, and why: a program the process ran that
 * scorch could not enter, or an allocator that bypasses its hooks
 * (analysis/notes.h names and describes them). */
struct sc_note {
	uint32_t kind;            /* enum raw_note, never NOTE_EXEC_FAILED or NOTE_EXEC_CHILD */
	uint32_t pid;             /* the process it is about (0 unknown) */
	const char *path;         /* the program exec'd, or the file defining malloc */
	const char *detail;       /* NOTE_OWN_MALLOC: the functions ("malloc, free"); else "" */
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
	uint64_t lost_events;     /* events the runtime could not record (RAW_LOST_EVENTS) */
	uint64_t heap_sample;     /* sampled heap profile: mean bytes between samples
	                           * (PROF_HEAP_SAMPLED, version 3); 0: every event */
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
	/* Set by profile_read_lazy() when the events stay in the file: events
	 * is NULL, nevents their number, and each walk decodes them from the
	 * file (profile_events_open(), profile-io.h). In the arena. */
	struct profile_lazy *lazy;
	struct sc_rss *rss;            size_t nrss;       /* malloc'd, not in the arena */
	uint64_t streamed_events;      /* see above; 0 otherwise */

	/* CPU sampling (PROF_CPU). */
	struct sc_sample *samples;     size_t nsamples;   /* malloc'd, not in the arena */
	const char *sample_source;     /* "perf cpu-clock", "perf task-clock", "timer_create" */
	uint32_t sample_hz;            /* the rate asked for */
	uint32_t perf_errno;           /* why perf_event_open was refused, when CPU-time
	                                * timers took the samples instead; 0 otherwise */
	uint64_t cpu_time_ns;          /* user+system CPU time of this image of the
	                                * process while it was sampled (the runtime's
	                                * CLOCK_PROCESS_CPUTIME_ID at its start and its
	                                * final flush; without the flush, the launcher's
	                                * wait4 count less earlier images), 0 when
	                                * unknown: the achieved rate is nsamples / this */
	uint64_t leaf_only_samples;    /* samples taken where the stack could not be
	                                * unwound safely: their stack is the
	                                * interrupted function alone */

	/* Zones and traced calls. All in the arena. zones are sorted by thread,
	 * then start (an enclosing span before the spans inside it); a span's
	 * enclosing span is the last one before it on its thread with depth one
	 * less. marks and counters are in time order. */
	struct sc_zone_name *zone_names;   size_t nzone_names;
	struct sc_zone *zones;             size_t nzones;
	struct sc_mark *marks;             size_t nmarks;
	struct sc_counter *counters;       size_t ncounters;
	struct sc_zone_drop *zone_drops;   size_t nzone_drops;
	struct sc_zone_error *zone_errors; size_t nzone_errors;
	/* Per thread and name, the figures of every span (set when the profile
	 * has them: then zones holds only the spans kept, those of at least
	 * zone_keep_ns, and zone_stats is what reports count). A profile from
	 * before them has every span in zones and no zone_stats. Sorted by
	 * thread, then name. */
	struct sc_zone_stat *zone_stats;   size_t nzone_stats;
	bool have_zone_stats;
	uint64_t zone_keep_ns;             /* spans shorter than this were not kept (0: all kept) */
	uint64_t zone_spans_total;         /* spans recorded, kept or not */

	/* Code and source of the hottest functions, in the arena. codes are
	 * sorted by module, then start, and do not overlap; sources by file,
	 * then first line, and do not overlap. */
	uint32_t code_machine;             /* ELF e_machine of the code (EM_X86_64...) */
	struct sc_code *codes;             size_t ncodes;
	struct sc_source *sources;         size_t nsources;

	/* Notes, in the order they were made; in the arena. */
	struct sc_note *notes;             size_t nnotes;

	/* The run the profile is part of (section RUN): an id every profile
	 * of one `scorch record` or `scorch heap` shares ("" unknown), and in
	 * the run's first profile the file names of the others, relative to
	 * its directory (analysis/merge.h finds them). In the arena. */
	const char *run_id;
	const char **relatives;            size_t nrelatives;
	/* A merged profile (analysis/merge.h) owns the profiles it was made
	 * of (its strings are theirs); profile_free() frees them. */
	struct sc_profile **parts;         size_t nparts;
	bool offcpu_marked;                /* profile_mark_offcpu() was applied */
};

struct sc_profile *profile_new(void);
void profile_free(struct sc_profile *p);

/* Names of the malloc family for reports: "malloc", "calloc", ... */
const char *raw_func_name(int func);

#endif
