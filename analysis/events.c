/* The event iterator (events.h): events in memory are one batch, the whole
 * array (or batches of the size a test sets); a profile read lazily
 * (profile_read_lazy(), its events left in the file) is walked through the
 * reader's decoder, an event block at a time. */
#include "events.h"

#include <stdio.h>
#include <string.h>

#include "profile-io.h"

static size_t batch_max;

void sc_events_set_batch(size_t n)
{
	batch_max = n;
}

void sc_events_begin(struct sc_event_iter *it, const struct sc_profile *p)
{
	memset(it, 0, sizeof(*it));
	it->p = p;
	if (p->lazy) {
		it->src = profile_events_open(p, it->err, sizeof(it->err));
		it->failed = !it->src;
	}
}

size_t sc_events_next(struct sc_event_iter *it, const struct sc_event **batch)
{
	const struct sc_profile *p = it->p;
	*batch = NULL;
	if (it->failed)
		return 0;
	if (it->src) {
		size_t n = profile_events_next(it->src, batch);
		it->pos += n;
		return n;
	}
	if (it->pos >= p->nevents)
		return 0;
	*batch = p->events + it->pos;
	size_t n = p->nevents - it->pos;
	if (batch_max && n > batch_max)
		n = batch_max;
	it->pos += n;
	return n;
}

int sc_events_end(struct sc_event_iter *it)
{
	if (it->src) {
		/* a walk stopped early is no failure; a damaged or changed
		 * file is, at any point */
		if (profile_events_close(it->src, it->err, sizeof(it->err)))
			it->failed = true;
		it->src = NULL;
	}
	return it->failed ? -1 : 0;
}

uint64_t sc_events_count(const struct sc_profile *p)
{
	return p->nevents;
}

bool sc_events_last_time(const struct sc_profile *p, uint64_t *t)
{
	if (p->lazy && p->nevents)
		return false;
	*t = p->nevents ? p->events[p->nevents - 1].time : 0;
	return true;
}
