/* Finalize: turn one raw stream (raw.PID.SEQ, written by the runtime inside
 * one process image) into a symbolized profile model. Runs in the launcher
 * after the program has exited, while its binaries are still on disk. */
#ifndef SCORCH_ANALYSIS_FINALIZE_H
#define SCORCH_ANALYSIS_FINALIZE_H

#include <stddef.h>
#include <stdint.h>

#include "heap.h"
#include "profile.h"

struct event_stream;

struct finalize_info {
	uint64_t mono_start;      /* CLOCK_MONOTONIC ns the stream started at */
	uint64_t mono_end;        /* ... and the last record's time */
	int saw_end;              /* the runtime's final flush is in the stream */
	/* the process's CPU time (ns) when this image began sampling: earlier
	 * images of the process (before an exec) used it */
	int have_cpu_at_start;
	uint64_t cpu_at_start;
	uint64_t corrupt_bytes;   /* bytes skipped as damaged chunks */
	/* heap events in all, and of those how many were encoded into the
	 * event stream before finish() (while the program ran); 0 when they
	 * were not streamed. stream_stopped: why streaming fell back to
	 * encoding at exit, NULL if it did not (static text). */
	uint64_t events_total, events_live;
	const char *stream_stopped;
	/* Set when the events were compressed while the program ran (see
	 * raw_reader_stream_to): write the profile with profile_write_streamed()
	 * and event_stream_discard() it afterwards. */
	struct event_stream *events;
	/* With a streamed profile, its heap totals too, tallied as it ran. */
	int have_totals;
	struct heap_totals totals;
	/* Execs whose new image should have written a stream of its own: this
	 * image's own (own = 1: the next stream of its pid) and those of its
	 * vfork children and posix_spawn children (any stream of that pid).
	 * The launcher notes each one that did not (NOTE_EXEC_UNRECORDED).
	 * Freed by finalize_info_release(). */
	struct finalize_exec {
		uint32_t pid;
		int own;
		char *path;
	} *execs;
	size_t nexecs;
};

void finalize_info_add_exec(struct finalize_info *info, uint32_t pid, int own, const char *path);
void finalize_info_release(struct finalize_info *info);

/* Reads the raw stream at path and builds a new profile owned by the caller.
 * A damaged or cut stream is not an error: what is intact is kept and the
 * profile is flagged PROF_TRUNCATED / PROF_INCOMPLETE. Returns 0, or -1 with
 * a message in err when nothing usable is there (not a raw stream). */
int finalize_raw(const char *path, struct sc_profile **out, struct finalize_info *info,
		 char *err, size_t errlen);

/* The same, incrementally: the launcher creates a reader as soon as a raw
 * stream appears and polls it while the program runs, so decoding overlaps
 * with the run; finish() reads the rest, builds the profile and frees the
 * reader (whatever it returns). */
struct raw_reader;
struct raw_reader *raw_reader_new(const char *path);
/* Returns 1 when the stream has more written than this poll read (the
 * launcher is behind: it should poll again at once), else 0. */
int raw_reader_poll(struct raw_reader *r);
/* Femtoseconds per TSC tick to use instead of the rate in the stream's
 * header (the rough one the runtime was given at its start), when the
 * stream is on TSC ticks. Before the first poll only; 0 keeps the header's. */
void raw_reader_set_tick_fs(struct raw_reader *r, uint64_t tick_fs);
/* Symbolizes the stacks decoded so far for about budget_ms, so finish()
 * has less left to do once the program exits. */
void raw_reader_warm(struct raw_reader *r, unsigned budget_ms);
/* Compress events into `path` as they are decoded, merged across threads
 * up to the runtime's watermark (the file is the caller's to remove). */
void raw_reader_stream_to(struct raw_reader *r, const char *path);
/* Keep at most n zone spans one by one (record --spans; 0: all, default
 * ZONE_KEEP_DEFAULT): the longest; every span counts in the figures. */
void raw_reader_set_zone_keep(struct raw_reader *r, size_t n);
/* Keep no machine code or source lines in the profile (record --no-code). */
void raw_reader_set_no_code(struct raw_reader *r);
int raw_reader_finish(struct raw_reader *r, struct sc_profile **out, struct finalize_info *info,
		      char *err, size_t errlen);

/* Adds RSS samples (CLOCK_MONOTONIC ns, bytes) that fall in the profile's
 * lifetime, converted to profile time. */
void finalize_add_rss(struct sc_profile *p, const struct finalize_info *info,
		      const struct sc_rss *samples, size_t n);

#endif
