/* Reading the text `perf script` prints (from `perf record -g`, frame
 * pointers or --call-graph dwarf, or without call graphs) into a scorch CPU
 * profile: one profile for everything in the input, a thread per tid named
 * by its comm, a module per dso, a location per (dso, address, symbol),
 * stacks innermost first as perf prints them. docs/interop.md ("scorch
 * import") describes the mapping. */
#ifndef SCORCH_ANALYSIS_IMPORT_PERF_H
#define SCORCH_ANALYSIS_IMPORT_PERF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "import.h"
#include "profile.h"

struct import_perf_options {
	const char *event;      /* import only the samples of this event (perf's name,
	                         * modifiers such as ":u" ignored); NULL = the event of
	                         * the first sample */
};

/* What an import took and left out, for the caller to tell the user. */
struct import_perf_info {
	uint64_t samples;           /* samples imported */
	uint64_t skipped;           /* samples of other events, left out */
	char event[64];             /* the event imported, as perf printed it */
	char skipped_events[256];   /* the other events' names, ", "-separated (cut short) */
	uint64_t processes;         /* distinct pids, 0 when perf printed no pids */
	bool ns_weights;            /* samples weigh their period in ns (cpu-clock,
	                             * task-clock); otherwise 1 each */
	/* a frame per module that places it (import_complete()), in the
	 * profile's arena */
	struct import_anchor *anchors;
	size_t nanchors;
};

/* True when the len bytes at line (no newline) are a perf script sample
 * header: "COMM [PID/]TID [CPU] TIME: [PERIOD] EVENT:". */
bool import_perf_is_header(const char *line, size_t len);

/* Parses the len bytes of perf script text at data into a new profile owned
 * by the caller (profile_free()). name names the input in messages. info
 * (may be NULL) is filled on success. Returns 0, or -1 with a one-line
 * lowercase reason in err, "NAME:LINE: what is wrong" when a line is at
 * fault. */
int import_perf(const char *data, size_t len, const char *name,
		const struct import_perf_options *o, struct sc_profile **out,
		struct import_perf_info *info, char *err, size_t errlen);

#endif
