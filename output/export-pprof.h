/* pprof export: a gzip-compressed profile.proto (the format of `go tool
 * pprof`, Pyroscope, Parca and Google Cloud Profiler), encoded by our own
 * small protobuf writer. A CPU profile has the sample types samples/count
 * and cpu/nanoseconds (wall/nanoseconds for --wall profiles); a heap profile
 * alloc_objects/count, alloc_space/bytes, inuse_objects/count and
 * inuse_space/bytes, where in-use means still live at the end of the run.
 * Samples are aggregated per (stack, thread) and carry the thread as labels
 * "thread" (name) and "thread_id" (number). Details in docs/interop.md. */
#ifndef SCORCH_OUTPUT_EXPORT_PPROF_H
#define SCORCH_OUTPUT_EXPORT_PPROF_H

#include <stdio.h>

#include "../analysis/profile.h"
#include "export-frames.h"

/* Writes p to f as gzip-compressed pprof: its CPU samples when o->kinds
 * has EXPORT_CPU, else its heap events (a pprof file holds one of them).
 * Returns 0, -EINVAL for a filter regcomp refuses, or -errno from f. */
int pprof_write(FILE *f, const struct sc_profile *p, const struct export_options *o);

#endif
