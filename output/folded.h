/* Folded stacks ("root;caller;leaf N", one line per distinct stack), the input
 * of flamegraph.pl, inferno and speedscope, weighted from the heap model's
 * or the CPU model's per-stack aggregates. Format details are in docs/json.md
 * ("Folded export"). */
#ifndef SCORCH_OUTPUT_FOLDED_H
#define SCORCH_OUTPUT_FOLDED_H

#include <stdbool.h>
#include <stdio.h>

#include "../analysis/cpu.h"
#include "../analysis/heap.h"

enum folded_weight {
	FOLDED_BYTES = 0,   /* bytes allocated */
	FOLDED_COUNT,       /* allocations */
	FOLDED_PEAK,        /* bytes live at the global peak (t-gmax) */
	FOLDED_LEAKED,      /* bytes live at the end */
	FOLDED_SAMPLES,     /* CPU samples */
	FOLDED_CPU_NS,      /* ns the CPU samples stand for (their weights) */
};

/* Parses "bytes", "count", "peak", "leaked", "samples", "cpu-ns"; -1 if unknown. */
int folded_weight_parse(const char *s);

/* True for the weights that come from CPU samples (folded_write_cpu). */
bool folded_weight_is_cpu(enum folded_weight w);

/* Writes the folded lines of r (from p) to f: frames outermost first, inlined
 * frames suffixed "_[i]", ';' in names replaced by ':', identical stacks merged,
 * zero weights left out, lines sorted bytewise. Returns 0 or -errno from f. */
int folded_write(FILE *f, const struct sc_profile *p, const struct heap_result *r,
		 enum folded_weight w);

/* The same for CPU samples: r's per-stack counts (the samples passing its
 * thread selection and filter) weighted by FOLDED_SAMPLES or FOLDED_CPU_NS;
 * a heap weight gives no lines. Returns 0 or -errno from f. */
int folded_write_cpu(FILE *f, const struct sc_profile *p, const struct cpu_result *r,
		     enum folded_weight w);

/* Either of them (heap or cpu set, the other NULL) with short_names:
 * demangle_short()'s names (export --names=short) instead of the full ones
 * the folded format keeps by default, being an interchange format. */
int folded_write_names(FILE *f, const struct sc_profile *p, const struct heap_result *heap,
		       const struct cpu_result *cpu, enum folded_weight w, bool short_names);

#endif
