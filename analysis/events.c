/* The event iterator (events.h): events in memory are one batch, the whole
 * array; the file-backed case hands out the batches the profile reader
 * decodes. */
#include "events.h"

#include <string.h>

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
