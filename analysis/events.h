/* The heap events of a profile, in time order, a batch at a time: every view
 * that needs them one by one walks them through this iterator, never through
 * p->events, so that a profile whose events are decoded from its file as they
 * are read (not held in memory) is read the same way as one in memory. */
#ifndef SCORCH_ANALYSIS_EVENTS_H
#define SCORCH_ANALYSIS_EVENTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "profile.h"

struct profile_event_src;

/* One walk over a profile's events. The iterator borrows the profile, which
 * must outlive it; it holds no events of its own when they are in memory. */
struct sc_event_iter {
	const struct sc_profile *p;
	size_t pos;                     /* events handed out so far */
	struct profile_event_src *src;  /* the file's decoder, NULL for events in memory */
	bool failed;                    /* a file-backed source failed: err says why */
	char err[256];
};

/* Starts a walk from the first event. */
void sc_events_begin(struct sc_event_iter *it, const struct sc_profile *p);
/* Points *batch at the next events in time order and returns how many (0 at
 * the end, or when the source failed). The batch is valid until the next
 * call or sc_events_end(). Event ordinals (their position in time order)
 * count on across batches. */
size_t sc_events_next(struct sc_event_iter *it, const struct sc_event **batch);
/* Ends the walk: 0, or -1 when a file-backed source failed, with a one-line
 * lowercase reason in it->err. */
int sc_events_end(struct sc_event_iter *it);

/* For tests: events in memory are handed out at most n at a time, as a
 * file's decoder would (0, the default: all in one batch). */
void sc_events_set_batch(size_t n);

/* How many events the profile holds, whether in memory or in its file. */
uint64_t sc_events_count(const struct sc_profile *p);
/* The time of the last event (0 without events) when it is known without a
 * walk, as it is for events in memory: true and *t set; false otherwise. */
bool sc_events_last_time(const struct sc_profile *p, uint64_t *t);

#endif
