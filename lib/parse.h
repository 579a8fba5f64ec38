/* Option values, read one way by every command: durations, counts, rates,
 * pixel widths and --color. Each parser returns 0 and sets *out, or -1 when
 * the text is not such a value: empty, with spaces or a sign, NaN or
 * infinity (they are not digits), beyond what the type holds, a missing or
 * unknown unit, or anything after the value. The caller says what it wants
 * in its own message. Numbers are decimal: "12", "1.5", ".5", "2e3"; no hex,
 * and the locale plays no part. */
#ifndef SCORCH_LIB_PARSE_H
#define SCORCH_LIB_PARSE_H

#include <stdint.h>

/* A duration with its unit, ns, us (or µs), ms or s: "500us", "1.5ms",
 * "2s" -> nanoseconds, exact, rounded to the nearest nanosecond only when
 * given finer ("1.5ns" -> 2). At most UINT64_MAX ns (about 584 years). */
int parse_duration(const char *s, uint64_t *ns);

/* A whole number from min to max, decimal digits only: "0", "128". */
int parse_count(const char *s, uint64_t min, uint64_t max, uint64_t *out);

/* A rate, a whole number of Hz from min to max: "999", "999Hz", "10kHz",
 * "1.5kHz" (1500). */
int parse_rate(const char *s, uint64_t min, uint64_t max, uint64_t *hz);

/* A width in pixels, "0.5" or "0.5px", or a percentage of `whole` pixels,
 * "0.01%": finite, not negative. */
int parse_pixels(const char *s, double whole, double *px);

/* --color=WHEN: "always" 1, "never" 0, "auto" auto_value; -1 otherwise. */
int parse_color_when(const char *s, int auto_value);

#endif
