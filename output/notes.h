/* The words for a profile's notes (analysis/notes.h): one line each in the
 * end-of-run summary and at the head of the text reports, and a sentence in
 * the JSON, saying what the profile cannot show, why, and what to do. */
#ifndef SCORCH_OUTPUT_NOTES_H
#define SCORCH_OUTPUT_NOTES_H

#include <stdbool.h>

#include "../analysis/notes.h"
#include "../analysis/profile.h"
#include "../lib/strbuf.h"
#include "term.h"

/* One sentence, without a leading "warning:" or a line end. With `term`
 * the program's names in it are escaped for a terminal (term_esc). */
void note_describe(struct strbuf *sb, const struct sc_note *n, bool term);

/* Each note of p as a line: prefix, "warning:" (bold yellow with colours),
 * the sentence, a newline. Nothing when p has no notes. */
void notes_text(struct strbuf *sb, const struct sc_profile *p, const char *prefix,
		const struct term_colors *c);

#endif
