/* Terminal helpers for text reports: ANSI colors that turn into empty strings
 * when color is off, and human-readable bytes, durations and counts. */
#ifndef SCORCH_OUTPUT_TERM_H
#define SCORCH_OUTPUT_TERM_H

#include <stdbool.h>
#include <stdint.h>

#include "../lib/strbuf.h"

/* Escape sequences; all "" when color is off. Static strings, never freed. */
struct term_colors {
	const char *bold, *dim, *red, *green, *yellow, *blue, *magenta, *cyan, *reset;
};
const struct term_colors *term_colors(bool on);

/* Append to sb: "512 B", "1.50 KiB", "12.3 MiB", "100 GiB" (3 significant digits). */
void term_bytes(struct strbuf *sb, uint64_t bytes);
/* Append to sb: "850 ns", "1.25 us", "12.5 ms", "3.00 s". */
void term_duration(struct strbuf *sb, uint64_t ns);
/* Append to sb: "1,234,567". */
void term_count(struct strbuf *sb, uint64_t n);
/* Number of terminal columns s occupies: UTF-8 aware, skips ANSI escapes. */
unsigned term_width(const char *s);
/* Append s padded with spaces to width columns (left or right aligned). */
void term_pad(struct strbuf *sb, const char *s, unsigned width, bool right);
/* Append a percentage "12.3%" of part in whole ("-" when whole is 0). */
void term_percent(struct strbuf *sb, uint64_t part, uint64_t whole);

#endif
