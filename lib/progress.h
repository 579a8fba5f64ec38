/* Progress on a terminal, for the tool's work that takes more than a second
 * (finalizing a big run, reading and analyzing a big profile): one line on
 * stderr, "scorch: WHAT... [N of M] 2.4 s", redrawn in place by a thread of
 * its own and erased when the work ends. Nothing at all when stderr is not a
 * terminal (pipes, CI logs, files), or with SCORCH_PROGRESS=0.
 *
 * One piece of work at a time: progress_begin() ... progress_end(). The text
 * is copied; the calls are cheap (a mutex, no output) and safe to make in a
 * loop. die(), error() and warning() erase the line before they print. */
#ifndef SCORCH_LIB_PROGRESS_H
#define SCORCH_LIB_PROGRESS_H

#include <stdint.h>

/* Starts timing a piece of work named what ("reading big.scorch"); the line
 * appears once it has taken a second (SCORCH_PROGRESS_DELAY_MS overrides;
 * 0 shows it at once). Inside a piece of work, a new stage of it. */
void progress_begin(const char *what);

/* Renames the current piece of work ("analyzing"), keeping its clock. */
void progress_stage(const char *what);

/* Says how far it is: done of total (items, bytes); total 0 drops it. */
void progress_count(uint64_t done, uint64_t total);

/* Ends the work: the line, if shown, is erased. */
void progress_end(void);

/* Erases the line now if it is shown (it comes back at the next redraw):
 * for anything else written to stderr meanwhile. */
void progress_clear(void);

#endif
