/* Reading folded stacks ("root;caller;leaf N", one line per stack), the text
 * format of flamegraph.pl, inferno, perf script | stackcollapse and of
 * `scorch export --format=folded`. The parser only splits lines into frames
 * and a weight and hands them to a callback; what to build from them (a
 * flame tree, a profile) is the caller's business. */
#ifndef SCORCH_ANALYSIS_FOLDED_IN_H
#define SCORCH_ANALYSIS_FOLDED_IN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* One frame of a line. name points into the caller's buffer and is not
 * NUL-terminated; the "_[i]" suffix that marks an inlined frame is not part
 * of it (inlined is set instead). */
struct folded_frame {
	const char *name;
	size_t len;
	bool inlined;
};

/* Called once per line with a stack, outermost frame first (frames[0] is
 * the root), and its weight (never 0: lines weighing 0 are skipped). lineno
 * counts from 1. The frames array is reused for the next line. A non-zero
 * return stops the parse and is returned by folded_parse(). */
typedef int (*folded_line_fn)(void *arg, const struct folded_frame *frames, size_t nframes,
			      uint64_t weight, size_t lineno);

/* Parses len bytes of folded text. Blank lines are skipped; a line is the
 * stack, one or more spaces, and a whole number that fits in 63 bits; \r\n
 * line ends are accepted; a NUL byte means binary data, an error. Returns 0; -EINVAL for a malformed line, with
 * "line N: why" in err; or what fn returned. */
int folded_parse(const char *buf, size_t len, folded_line_fn fn, void *arg,
		 char *err, size_t errlen);

/* Reads a whole file into a malloc'd buffer (NUL-terminated; *len excludes
 * the NUL) owned by the caller. Returns 0, or -errno with "cannot read PATH:
 * why" in err. */
int folded_read_file(const char *path, char **buf, size_t *len, char *err, size_t errlen);

/* A whole file's text, mapped read-only when it is a regular file (large
 * folded files parse straight from the page cache, no copy), else read. */
struct folded_file {
	const char *buf;            /* NOT NUL-terminated */
	size_t len;
	bool mapped;                /* how to let go of buf */
};

/* Returns 0, or -errno with "cannot read PATH: why" in err. */
int folded_file_open(struct folded_file *f, const char *path, char *err, size_t errlen);
void folded_file_close(struct folded_file *f);

/* True when the file at path starts with the .scorch magic ("SCORCHPF"),
 * i.e. it is a profile and not folded text. False when it cannot be read
 * (the reader that comes next reports why). */
bool folded_is_profile(const char *path);

#endif
