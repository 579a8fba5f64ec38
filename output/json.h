/* A small streaming JSON writer for the exports (speedscope, Chrome trace):
 * values are appended to a buffer that is written to a FILE whenever it
 * grows past a threshold, so a document of any size needs little memory.
 * Commas are placed automatically; containers up to a chosen depth put each
 * item on a line of its own, deeper ones stay on one line. */
#ifndef SCORCH_OUTPUT_JSON_H
#define SCORCH_OUTPUT_JSON_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "../lib/strbuf.h"

#define JSON_MAX_DEPTH 32

struct json {
	FILE *f;                    /* borrowed; NULL keeps everything in sb */
	struct strbuf sb;           /* pending output */
	int depth;                  /* containers open */
	int wrap;                   /* items of containers at depth <= wrap start a new line */
	bool fresh[JSON_MAX_DEPTH + 1];  /* per depth: no item written yet */
	int err;                    /* first write error, -errno */
};

/* Starts a document written to f (NULL: only into j->sb). */
void json_init(struct json *j, FILE *f, int wrap);
/* key is the member name inside an object and NULL inside an array or for
 * the top-level value. */
void json_open_obj(struct json *j, const char *key);
void json_open_arr(struct json *j, const char *key);
void json_close_obj(struct json *j);
void json_close_arr(struct json *j);
void json_str(struct json *j, const char *key, const char *s);  /* NULL -> null */
void json_u64(struct json *j, const char *key, uint64_t v);
void json_bool(struct json *j, const char *key, bool v);
/* ns as a number of microseconds with three decimals, exactly ("12.345"). */
void json_us(struct json *j, const char *key, uint64_t ns);
/* A value already encoded as JSON text (an array built elsewhere). */
void json_raw(struct json *j, const char *key, const char *text, size_t len);
/* Ends the document with a newline and flushes it. Returns 0 or -errno
 * (the first write error). With a FILE the buffer is released; without one
 * the text stays in j->sb, for the caller to take and release. */
int json_end(struct json *j);

#endif
