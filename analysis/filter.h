/* The --filter of reports: a POSIX extended regex matched against the
 * function names of a stack's frames and the names of their modules, each
 * location and module tested once however many stacks share it. */
#ifndef SCORCH_ANALYSIS_FILTER_H
#define SCORCH_ANALYSIS_FILTER_H

#include <regex.h>
#include <stdbool.h>
#include <stdint.h>

#include "profile.h"

struct stack_filter {
	const struct sc_profile *p;   /* borrowed */
	bool on;                      /* false: everything matches */
	regex_t rx;
	uint8_t *loc, *mod;           /* per location / module: 0 untested, 1 no, 2 yes */
};

/* re NULL turns the filter off. Returns 0, or -EINVAL when regcomp refuses
 * re (nothing to release then). */
int stack_filter_init(struct stack_filter *f, const struct sc_profile *p, const char *re);
bool stack_filter_loc(struct stack_filter *f, uint32_t loc);
bool stack_filter_stack(struct stack_filter *f, const struct sc_stack *st);
void stack_filter_release(struct stack_filter *f);

#endif
