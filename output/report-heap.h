/* The heap report of `scorch report`: a text report for terminals (colors,
 * human units, tables, bars) and a JSON document for CI whose schema is
 * documented in docs/json.md. Both only read the profile and its heap_result. */
#ifndef SCORCH_OUTPUT_REPORT_HEAP_H
#define SCORCH_OUTPUT_REPORT_HEAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../analysis/heap.h"
#include "../lib/strbuf.h"
#include "json.h"

#define REPORT_JSON_SCHEMA_VERSION 2   /* 2: cpu.tree and bottom_up callers are flat */

struct report_options {
	enum heap_sort sort;        /* order of the top-sites table */
	uint32_t limit;             /* rows per table (sites, peak holders, leaks...); 0 = all */
	bool color;                 /* ANSI colors */
	bool ascii;                 /* ASCII bars and sparkline instead of Unicode blocks */
	const char *file;           /* the profile's path, shown in the header; may be NULL */
	const char *filter;         /* the filter r was made with, shown when set; may be NULL */
	bool full_names;            /* text: whole demangled names instead of demangle_short()'s;
	                             * JSON always gives both ("function", "function_short") */
};

/* One warning line (each starting with prefix) when the runtime could not
 * record some events (lost_events), with why; nothing otherwise. Used by
 * the reports and the end-of-run summaries. */
struct term_colors;
void report_lost_events(struct strbuf *sb, const struct sc_profile *p, const char *prefix,
			const struct term_colors *c);

/* A sampled heap profile (p->heap_sample): appends "estimated from sampled
 * allocations, one per 512 KiB on average" (no prefix, no line end) and
 * returns true; nothing and false for a profile with every event. Every
 * view and export of heap figures says it. */
bool report_heap_sampled(struct strbuf *sb, const struct sc_profile *p);

/* Appends the text report of r (made from r->p) to out. */
void report_heap_text(struct strbuf *out, const struct heap_result *r,
		      const struct report_options *o);

/* A JSON document {"schema_version", "generator", "profiles": [...],
 * "errors": [...]} written one profile at a time through the JSON writer,
 * to f as it goes or appended to sb (one of them): report_json_init()
 * starts it, report_json_finish() ends it, releases what the doc holds and
 * returns 0 or -errno (the first write error on f). */
struct cpu_result;
struct cpu_report_options;
struct report_json_doc {
	struct json j;              /* the document, its "profiles" array open */
	struct strbuf errors;       /* file and message of each error, NUL-terminated */
};

void report_json_init(struct report_json_doc *d, FILE *f, struct strbuf *sb);
/* One profile object: the heap part of r and, when cr is not NULL, its CPU
 * part as "cpu" (report_cpu_json_member()). */
void report_json_add(struct report_json_doc *d, const struct heap_result *r,
		     const struct report_options *o, const struct cpu_result *cr,
		     const struct cpu_report_options *co);
void report_json_add_error(struct report_json_doc *d, const char *file, const char *message);
int report_json_finish(struct report_json_doc *d);

/* Appends the JSON object of one profile (the elements of "profiles"). */
void report_heap_json(struct strbuf *out, const struct heap_result *r,
		      const struct report_options *o);

#endif
