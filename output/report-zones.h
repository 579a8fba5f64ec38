/* The zones report of `scorch report --zones`: per zone (and traced
 * function) calls, total, self, mean, min, max, p50/p95/p99, allocations and
 * bytes; marks, counters, threads and nesting errors. Text for terminals,
 * and a JSON profile object (schema in docs/guide.md, "Zones"). Both only
 * read the profile and its zone_result. */
#ifndef SCORCH_OUTPUT_REPORT_ZONES_H
#define SCORCH_OUTPUT_REPORT_ZONES_H

#include <stdbool.h>
#include <stdint.h>

#include "../analysis/zones.h"
#include "../lib/strbuf.h"
#include "json.h"

struct zone_report_options {
	uint32_t limit;             /* rows per table; 0 = all */
	bool color;                 /* ANSI colors */
	enum zone_sort sort;        /* the order r's rows are in, named in the heading */
	const char *file;           /* the profile's path, shown; may be NULL */
	const char *filter;         /* the filter r was made with, shown when set; may be NULL */
};

/* Appends the text report of r (made from r->p) to out. */
void report_zones_text(struct strbuf *out, const struct zone_result *r,
		       const struct zone_report_options *o);

/* Writes the JSON object of one profile (an element of "profiles": file,
 * pid, command, duration_ns and "zones") as the next value of j. */
void report_zones_json(struct json *j, const struct zone_result *r,
		       const struct zone_report_options *o);

#endif
