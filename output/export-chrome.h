/* Chrome trace export: the Trace Event Format's JSON object form
 * ({"traceEvents": [...], "displayTimeUnit": "ms"}), read by Perfetto,
 * chrome://tracing and speedscope. CPU samples become a sampled timeline
 * per thread: each sample is a slice as long as the CPU time it stands for,
 * ending at its timestamp (later if the previous slice still runs), and
 * the frames of its stack are nested B/E events that continue from one
 * sample to the next while they stay on the stack; heap profiles become a
 * counter of live heap bytes (and RSS) over time. Zones and traced calls
 * are nested B/E events on a zone track per thread (a tid of its own, see
 * export-zones.h for the rare zone needing a second track), marks and
 * mismatched ends instants there, SCORCH_COUNTER values "C" events. Thread
 * and process names are "M" events. Details in docs/interop.md. */
#ifndef SCORCH_OUTPUT_EXPORT_CHROME_H
#define SCORCH_OUTPUT_EXPORT_CHROME_H

#include <stdio.h>

#include "../analysis/profile.h"
#include "export-frames.h"

/* Writes the data o->kinds asks for, and the zones (whatever the kinds).
 * Returns 0, -EINVAL for a filter regcomp refuses, or -errno from f. */
int chrome_write(FILE *f, const struct sc_profile *p, const struct export_options *o);

#endif
