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
#define PROFILE_VERSION 2
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

#endif
