/* Kernel function names from /proc/kallsyms, for the kernel frames of
 * samples taken from outside (scorch record -p): the module
 * "[kernel.kallsyms]" has no file for the symbolizer to read. */
#ifndef SCORCH_ANALYSIS_KALLSYMS_H
#define SCORCH_ANALYSIS_KALLSYMS_H

#include <stdint.h>

/* The name of the kernel function holding addr ("name" or "name [module]"
 * for a loadable module's), or NULL when /proc/kallsyms cannot be read
 * with addresses (kernel.kptr_restrict, no privilege) or none holds it.
 * The table is read once and lives as long as the process; the string
 * with it. */
const char *kallsyms_name(uint64_t addr);

#endif
