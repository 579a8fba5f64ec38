/* `scorch annotate` views: the source lines of hot functions with the share
 * of the samples at each line, and their machine code, disassembled with
 * capstone, with the share at each instruction; as text or JSON. */
#ifndef SCORCH_OUTPUT_ANNOTATE_H
#define SCORCH_OUTPUT_ANNOTATE_H

#include <stdbool.h>
#include <stdio.h>

#include "../analysis/cpu.h"
#include "../analysis/profile.h"

struct annotate_options {
	const char *file;           /* the profile's path, for the header */
	bool source;                /* show the source view */
	bool assembly;              /* show the assembly view */
	bool intel;                 /* Intel syntax instead of AT&T (x86) */
	bool color;                 /* ANSI colors (text) */
	bool json;
	bool compact;               /* JSON: no instruction bytes, no zero counts, one line,
	                             * strings safe inside <script> (the HTML report) */
	bool disk_source;           /* read sources the profile does not keep from disk */
};

/* Writes the annotation of functions funcs[0..n) (indexes into r->funcs) of
 * profile p to f. Returns 0 or -errno of a write error. */
int annotate_write(FILE *f, const struct sc_profile *p, const struct cpu_result *r,
		   const uint32_t *funcs, size_t n, const struct annotate_options *o);

/* The architecture name of an ELF machine ("x86-64"), NULL when capstone
 * cannot disassemble it here. */
const char *annotate_arch_name(uint32_t machine);

#endif
