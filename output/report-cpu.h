/* The CPU report of `scorch report`: a text report for terminals (top
 * functions by self and total, the call tree, callers of the hottest
 * functions, hot lines, threads, off-CPU time) and the "cpu" member of each
 * profile in the JSON document (schema in docs/json.md). Both only read the
 * profile and its cpu_result. */
#ifndef SCORCH_OUTPUT_REPORT_CPU_H
#define SCORCH_OUTPUT_REPORT_CPU_H

#include <stdbool.h>
#include <stdint.h>

#include "../analysis/cpu.h"
#include "../lib/strbuf.h"
#include "report-heap.h"

#define CPU_TREE_TEXT_PERMILLE 10u   /* the text tree shows nodes >= 1.0% */
#define CPU_TREE_JSON_PERMILLE 5u    /* the JSON trees keep nodes >= 0.5% */

struct cpu_report_options {
	uint32_t limit;             /* rows per table, children per tree node, hot functions
	                             * with callers and lines; 0 = all */
	bool color;                 /* ANSI colors */
	bool ascii;                 /* ASCII tree glyphs instead of box drawing */
	bool threads;               /* text: the per-thread table */
	const char *file;           /* the profile's path, shown in the header; may be NULL */
	const char *filter;         /* the filter r was made with, shown when set; may be NULL */
	const char *thread;         /* the thread selection r was made with; may be NULL */
	bool full_names;            /* text: whole demangled names instead of demangle_short()'s;
	                             * JSON always gives both ("function", "short") */
	const struct cpu_result *marked;   /* text of a wall profile: the same samples analyzed
	                             * after profile_mark_offcpu() (analysis/merge.h), for the
	                             * top functions, call tree, callers and lines, so that the
	                             * blocked time is an [off-CPU] leaf under the function
	                             * that blocked; r keeps the header, the Off-CPU table and
	                             * the threads. NULL: r for everything */
};

/* Appends the text report of r (made from r->p) to out. */
void report_cpu_text(struct strbuf *out, const struct cpu_result *r,
		     const struct cpu_report_options *o);

/* Appends the "cpu" object of r (without a key) to out, its lines indented
 * by 2 * depth spaces after the first. */
void report_cpu_json(struct strbuf *out, const struct cpu_result *r,
		     const struct cpu_report_options *o, int depth);

/* Writes the "cpu" object of r as the member key of the object open in j
 * (report_json_add() writes it into each profile object). */
void report_cpu_json_member(struct json *j, const char *key, const struct cpu_result *r,
			    const struct cpu_report_options *o);

#endif
