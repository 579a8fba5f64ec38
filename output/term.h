/* Terminal helpers for text reports: ANSI colors that turn into empty strings
 * when color is off, human-readable bytes, durations and counts, and the
 * escaping of names (which come from the profiled program or an imported
 * file and may hold any bytes) so that they never act on the terminal. */
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
/* Append s with everything a terminal could act on made visible: C0
 * controls but the tab (newline and carriage return included), DEL and bytes that start no UTF-8
 * sequence are written \xNN, C1 controls (U+0080-U+009F) \u00NN; so an ESC
 * sequence in a name shows as "\x1b[31m" instead of recoloring the
 * terminal. Other text, valid UTF-8 included, is appended as it is. Every
 * text writer puts names (functions, files, modules, threads, zones,
 * counters, marks, commands) through this or term_safe(). NULL appends "". */
void term_esc(struct strbuf *sb, const char *s);
/* s itself when term_esc() would not change it (nearly always), else its
 * escaped form in one of 16 buffers used in turn: valid until 16 more
 * names needed escaping, enough for the names of one line. For arguments
 * of sb_addf() and term_pad(). NULL stays NULL. Not thread-safe: for the
 * text writers, which run on the main thread (term_esc() has no state). */
const char *term_safe(const char *s);

/* Append a percentage "12.3%" of part in whole ("-" when whole is 0). */
void term_percent(struct strbuf *sb, uint64_t part, uint64_t whole);

#endif
