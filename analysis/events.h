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
struct sc_event_weigh;

/* One walk over a profile's events. The iterator borrows the profile, which
 * must outlive it; it holds no events of its own when they are in memory. */
struct sc_event_iter {
	const struct sc_profile *p;
	size_t pos;                     /* events handed out so far */
	struct profile_event_src *src;  /* the file's decoder, NULL for events in memory */
	bool failed;                    /* a file-backed source failed: err says why */
	struct sc_event_weigh *wx;      /* a sampled heap profile's weighing, NULL none */
	char err[256];
};

/* Starts a walk from the first event. A sampled heap profile (p->heap_sample,
 * scorch heap --sample) is walked as the events its samples stand for: a
 * sample of s bytes at rate R was taken with probability 1 - exp(-s/R) (s
 * of 0 taken as 1), so it is handed out as k copies, k the inverse of that
 * probability rounded up or down at random (deterministic: the same for
 * every walk) so that its mean is the inverse; each copy has an address of
 * its own (2^62 and up) and the free of the sample frees every copy. Counts
 * and bytes per stack, site, thread and time are thus unbiased estimates
 * in every view, and ordinals count the copies. */
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

/* What a sample of `size` bytes stands for in a profile sampled at `rate`
 * bytes: 1 / (1 - exp(-max(size, 1) / rate)) allocations. */
double sc_event_weight(uint64_t size, uint64_t rate);
/* The number of copies the iterator hands out for the sample that is the
 * ord-th event of the profile (from 0): the weight rounded down or up, at
 * random but the same for the same arguments. */
uint64_t sc_event_copies(uint64_t size, uint64_t rate, uint64_t ord);

/* How many events the profile holds (a sampled profile: the samples),
 * whether in memory or in its file. */
uint64_t sc_events_count(const struct sc_profile *p);
/* The time of the last event (0 without events) when it is known without a
 * walk, as it is for events in memory: true and *t set; false otherwise. */
bool sc_events_last_time(const struct sc_profile *p, uint64_t *t);

#endif
