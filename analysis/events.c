/* The event iterator (events.h): events in memory are one batch, the whole
 * array (or batches of the size a test sets). A profile whose events stay
 * in its file is to be walked through the reader's decoder (profile-io.h)
 * once it reads them lazily; until then every profile holds them. */
#include "events.h"

#include <string.h>

static size_t batch_max;

void sc_events_set_batch(size_t n)
{
	batch_max = n;
}

void sc_events_begin(struct sc_event_iter *it, const struct sc_profile *p)
{
	memset(it, 0, sizeof(*it));
	it->p = p;
}

size_t sc_events_next(struct sc_event_iter *it, const struct sc_event **batch)
{
	const struct sc_profile *p = it->p;
	*batch = NULL;
	if (it->failed || it->pos >= p->nevents)
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
	return it->failed ? -1 : 0;
}

uint64_t sc_events_count(const struct sc_profile *p)
{
	return p->nevents;
}

bool sc_events_last_time(const struct sc_profile *p, uint64_t *t)
{
	*t = p->nevents ? p->events[p->nevents - 1].time : 0;
	return true;
}
