/* Reading and writing .scorch profile files (docs/format.md): a fixed header
 * followed by one zstd frame holding typed, length-prefixed sections. The
 * reader validates every length, index and count, so a corrupt, truncated or
 * foreign file yields an error message rather than a crash. */
#ifndef SCORCH_ANALYSIS_PROFILE_IO_H
#define SCORCH_ANALYSIS_PROFILE_IO_H

#include <stddef.h>

#include "profile.h"

#define PROFILE_MAGIC "SCORCHPF"
/* Version 2 stores heap events in EVENT_BLOCK sections (by column, times
 * to the us, frees by position); version 1 in EVENTS sections. Both are read;
 * version 2 is written. A reader of version 1 alone refuses version 2 files
 * by their header instead of skipping their events in silence. */
/* Version 3 is version 2 with sampled heap events (scorch heap --sample,
 * flag PROF_HEAP_SAMPLED, the rate in META): it is written only for such a
 * profile, so that a reader of version 2 refuses it by its header instead of
 * showing samples as every event. */
#define PROFILE_VERSION 3
#define PROFILE_VERSION_MIN 1

/* Writes p to path atomically: a new file, mode 0600, takes the name when
 * complete (lib/newfile.h; what was there is replaced, never written
 * through, unless it is a device or FIFO). Returns 0 or -errno. */
int profile_write(const struct sc_profile *p, const char *path);

/* Events can be compressed while a program still runs (finalize does so for
 * a single-threaded program, whose events arrive in order): they go to
 * their own file as zstd frames, and profile_write_streamed() then writes the
 * profile around them instead of encoding p->events again. */
struct event_stream;
struct event_stream *event_stream_open(const char *path, int *err);
/* Appends events (time-ordered, final stack and thread indexes). 0 or -errno. */
int event_stream_add(struct event_stream *s, const struct sc_event *ev, size_t n);
uint64_t event_stream_count(const struct event_stream *s);
/* Makes everything added so far decodable from the file and pushes it to
 * the kernel; after a 0 the caller may forget those events. */
int event_stream_flush(struct event_stream *s);
/* Decodes the events written so far back into a malloc'd array (the
 * stream takes no more events afterwards). 0 or -errno. */
int event_stream_read_back(struct event_stream *s, struct sc_event **out, size_t *n);
/* Closes the stream and removes its file. */
void event_stream_discard(struct event_stream *s);
/* Like profile_write(), with the events taken from s instead of p->events
 * (which may be empty: finalize drops events once streamed). s stays owned by
 * the caller (discard it afterwards). */
int profile_write_streamed(const struct sc_profile *p, const char *path, struct event_stream *s);
/* Whether s still holds every event added (no write to its file failed), so
 * that a profile can be written from it again after a failed attempt. */
int event_stream_intact(const struct event_stream *s);
/* profile_write() or profile_write_streamed() (es NULL or not) with the
 * NF_* flags of lib/newfile.h for what is at path: NF_NAMED when the user
 * named it, NF_KEEP_OLD to keep an existing file as PATH.old (*moved_old
 * says whether it was there). The file is always 0600. 0 or -errno (see
 * newfile_strerror() for the wording). */
int profile_save(const struct sc_profile *p, const char *path, struct event_stream *es,
		 unsigned flags, int *moved_old);

/* Reads path into a new profile owned by the caller (profile_free()).
 * Returns 0, or -1 with a one-line lowercase reason in err naming the file. */
int profile_read(const char *path, struct sc_profile **out, char *err, size_t errlen);
/* The same without the zone spans kept one by one (p->zones empty) when the
 * profile has the per-name figures (p->have_zone_stats), which is all
 * zone_analyze() needs then; a profile without them is read whole. */
int profile_read_zone_figures(const char *path, struct sc_profile **out, char *err, size_t errlen);

/* Like profile_read(), but a version 2 profile's events stay in the file:
 * p->events is NULL, p->nevents says how many there are, and p->lazy where
 * they are. A walk over them (as many as wanted, one after the other or at
 * once) re-opens the file and decompresses it in bounded steps, one event
 * block at a time into a buffer of its own: its memory is bounded by a
 * block (EVC_BLOCK_MAX events, a few MiB), whatever the number of events.
 * The file must stay as it was: a walk refuses one that changed. A version
 * 1 profile is read whole (p->lazy NULL). */
int profile_read_lazy(const char *path, struct sc_profile **out, char *err, size_t errlen);

/* One walk over the events of a profile read by profile_read_lazy() (p must
 * outlive it). NULL, with a one-line lowercase reason in err, when the file
 * cannot be opened or changed since it was read. */
struct profile_event_src;
struct profile_event_src *profile_events_open(const struct sc_profile *p, char *err, size_t errlen);
/* Points *ev at the next events in time order, valid until the next call or
 * the close, and returns how many (at most EVC_BLOCK_MAX); 0 at the end or
 * when the walk failed (a damaged or changed file: the close says why). The
 * events are checked as profile_read() checks them. */
size_t profile_events_next(struct profile_event_src *s, const struct sc_event **ev);
/* Ends the walk (s may be NULL): 0, or -1 with the reason in err when it
 * failed, or ended with another number of events than p->nevents. */
int profile_events_close(struct profile_event_src *s, char *err, size_t errlen);

#endif
