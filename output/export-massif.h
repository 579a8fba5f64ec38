/* massif export: the massif.out text that valgrind's ms_print and
 * massif-visualizer read: heap size snapshots over the run, some with a
 * detailed allocation tree, the peak always among them. Format notes are in
 * docs/interop.md ("massif"). */
#ifndef SCORCH_OUTPUT_EXPORT_MASSIF_H
#define SCORCH_OUTPUT_EXPORT_MASSIF_H

#include <stdio.h>

#include "../analysis/heap.h"

#define MASSIF_MAX_SNAPSHOTS 100   /* massif's --max-snapshots default */
#define MASSIF_DETAILED_FREQ 10    /* massif's --detailed-freq default */
#define MASSIF_DEPTH 30            /* massif's --depth default: frames per tree path */

/* Writes r's profile as a massif.out file to f. Time is in ms since the
 * start (time_unit: ms, fractional to the microsecond); mem_heap_B is the
 * live requested bytes of the allocations passing r's filter;
 * mem_heap_extra_B and mem_stacks_B are 0 (not recorded). Snapshots: one at
 * time 0, then at most MASSIF_MAX_SNAPSHOTS - 2 over the run (the highest
 * moment of each equal slice of time, so no spike is lost), the peak among
 * them as heap_tree=peak, and one at the end; every MASSIF_DETAILED_FREQ-th,
 * the peak and the last carry a tree cut at 1% and MASSIF_DEPTH frames deep
 * like massif's.
 * Returns 0 or -errno from f. */
int massif_write(FILE *f, const struct sc_profile *p, const struct heap_result *r);
/* The same file for p under ho's filter (ho's other options are the
 * export's: visitor, totals_only and err are set and cleared here), with
 * its replay in heap_analyze()'s own walk instead of a walk after it: two
 * walks of the events in all. Errors are said on stderr. */
int massif_export(FILE *f, const struct sc_profile *p, struct heap_options *ho);

#endif
