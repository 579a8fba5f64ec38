/* Annotation of hot code: sample counts per instruction address of the code
 * a profile keeps (p->codes, see code.h), for `scorch annotate`'s assembly
 * view. Its source view is the CPU model's lines (cpu.h). */
#ifndef SCORCH_ANALYSIS_ANNOTATE_H
#define SCORCH_ANALYSIS_ANNOTATE_H

#include "cpu.h"
#include "profile.h"

/* Counts per byte offset of one kept code range. */
struct annot_counts {
	const struct sc_code *code;
	struct cpu_count *self;     /* code->len entries: samples whose innermost frame
	                             * (the interrupted instruction) is at that address */
	struct cpu_count *total;    /* code->len entries: samples with a frame at that
	                             * address (return addresses count at their call
	                             * instruction), once per sample */
	struct cpu_count sum_self;  /* all of self: the samples inside this code */
};

/* The samples r counts (its threads and filter), by address in code c.
 * Fills *out, which annot_counts_release() frees. */
void annot_counts_build(const struct sc_profile *p, const struct cpu_result *r,
			const struct sc_code *c, struct annot_counts *out);
void annot_counts_release(struct annot_counts *a);

/* The kept code of function f of r (the code whose symbol carries f's name
 * in f's module), or NULL: none kept, or f only ever ran inlined. */
const struct sc_code *annot_code_of(const struct sc_profile *p, const struct cpu_func *f);

/* Why a function that ran (not only inlined) has no kept code. Code is
 * kept per symbol, so a frame without one has none whatever its weight. */
enum annot_missing {
	ANNOT_NOTHING_KEPT = 1,  /* the profile keeps no code at all */
	ANNOT_NO_MODULE,         /* its address is in no module (JIT, anonymous memory) */
	ANNOT_NO_SYMBOLS,        /* no frame of its module has a name: no symbols read
	                          * from that file (none in it, or it was unreadable,
	                          * gone or another build when the profile was written) */
	ANNOT_STRIPPED,          /* other functions of its module have names, this
	                          * address none: the file is stripped, only its
	                          * exported (dynamic) symbols are known */
	ANNOT_NOT_HOT,           /* it has a symbol, but is not among the functions
	                          * whose code the profile keeps (code.h's limits) */
};
enum annot_missing annot_missing_why(const struct sc_profile *p, const struct cpu_func *f);

#endif
