/* One view of a whole run: a program that forks or execs writes one profile
 * per process image (cli/session.c), and profile_merge() makes them into one
 * profile whose every stack ends, outermost, in a frame naming its process
 * ("cc1 (pid 4242)"). Every view and export walks that profile as it walks
 * any other, so each shows the run with the process as the top frame. The
 * merge is exact: it holds every sample, heap event, span and mark of its
 * parts (their counts add up), on one clock (each part's times shifted by
 * the wall-clock time it started after the first).
 *
 * Also here: profile_mark_offcpu(), the "[off-CPU]" frame under the time a
 * wall-clock profile's threads spent blocked. */
#ifndef SCORCH_ANALYSIS_MERGE_H
#define SCORCH_ANALYSIS_MERGE_H

#include <stddef.h>

#include "profile.h"

/* The frame that marks off-CPU time (profile_mark_offcpu). */
#define MERGE_OFFCPU_FRAME "[off-CPU]"

/* Merges parts[0..n) (n >= 1) into a new profile *out, which takes the parts
 * over (profile_free(*out) frees them; its strings are theirs), also when
 * it fails. Their heap events are read through the event iterator (a part
 * read by profile_read_lazy() is decoded from its file once, here). The
 * merged profile's pid, command line and executable are those of the part
 * that started first (the run's root); its heap events, samples and zones
 * are in one time order, heap addresses kept apart per process (a free in
 * one process never matches a block of another). Returns 0, or -1 with a
 * one-line lowercase reason in err (more than 65,535 threads in all, a
 * part's events unreadable). */
int profile_merge(struct sc_profile **parts, size_t n, struct sc_profile **out, char *err, size_t errlen);

/* The file names of the run path is the first profile of (its relatives,
 * recorded by the launcher), resolved against path's directory, path first:
 * *out is a malloc'd array of malloc'd strings, *n its length (1 when the
 * profile lists no relatives). p is path's profile, already read. */
void profile_run_files(const struct sc_profile *p, const char *path, char ***out, size_t *n);

/* In a wall-clock profile (PROF_WALL), gives every off-CPU sample a stack
 * with one more frame, innermost: MERGE_OFFCPU_FRAME, so that every view and
 * export shows the blocked time as such, under the function that blocked.
 * Does nothing to other profiles, or when done already. */
void profile_mark_offcpu(struct sc_profile *p);

/* Whether most of p's samples were taken off-CPU (a wall-clock profile of a
 * program that mostly waits): titles then say "wall time". */
int profile_mostly_offcpu(const struct sc_profile *p);

#endif
