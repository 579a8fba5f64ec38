/* `scorch html`: one self-contained HTML page per profile that opens offline
 * from disk: the run's summary, an interactive flamegraph (canvas; flame or
 * icicle, zoom, search, thread and metric selectors), heap and RSS over time,
 * the size histogram, the zones (per-thread timeline, marks, counter plots
 * and the zone table) and sortable top tables. The page's stylesheet and
 * script (output/html/report.{css,js}) are compiled into the tool; the data
 * goes into a <script type="application/json"> block with every character
 * that could end it escaped. The page format is described in docs/views.md. */
#ifndef SCORCH_OUTPUT_HTML_H
#define SCORCH_OUTPUT_HTML_H

#include <stdio.h>

#include "../analysis/profile.h"
#include "../lib/strbuf.h"

struct html_options {
	const char *filter;         /* POSIX ERE on frame functions and module names; NULL = all */
	const char *file;           /* the profile's path, shown in the summary; may be NULL */
	bool full_names;            /* show whole demangled names, not demangle_short()'s
	                             * (tooltips give the full name either way) */
};

/* Writes the report page of p to f. o->filter also keeps only the zones
 * whose name matches it (as zone_analyze() does). Returns 0, -EINVAL for a
 * filter regcomp rejects (heap_filter_check() gives the message), or -errno
 * from f. */
int html_write(FILE *f, const struct sc_profile *p, const struct html_options *o);

/* Appends s with &, <, >, " and ' as character references (invalid UTF-8
 * becomes U+FFFD), for text and attribute values. */
void html_escape(struct strbuf *sb, const char *s);

#endif
