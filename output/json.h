/* The one JSON writer: every JSON document scorch writes (report --json,
 * annotate --json, diff --json, the HTML page's data and hot-code blocks,
 * the speedscope, Chrome trace and DHAT exports) goes through it. Values
 * are appended to a buffer that is written to a FILE whenever it grows past
 * a threshold, so a document of any size needs little memory; or the text
 * stays in a strbuf of the caller's.
 * Strings (keys too) go through the one escaper, sb_add_json_strx(); commas,
 * line breaks and indentation are placed by the writer.
 *
 * Layout: each container is laid out one of three ways. BLOCK puts each of
 * its items on a line of its own, indented two spaces a level; INLINE keeps
 * itself and everything inside it on one line; HEAD keeps its own items on
 * its opening line, while block containers inside it break lines indented
 * one step from that line (a tree node {"function": ..., "children": [
 * <nodes one per line> ]}). JSON_AUTO makes containers at depth <= wrap
 * BLOCK and deeper ones INLINE: wrap 0 is a compact document on one line.
 * JSON_SPACES puts a space after each key's colon and after the commas of
 * one-line containers (the pretty style of `scorch report --json`). */
#ifndef SCORCH_OUTPUT_JSON_H
#define SCORCH_OUTPUT_JSON_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "../lib/strbuf.h"

#define JSON_MAX_DEPTH 32

enum json_mode { JSON_AUTO, JSON_BLOCK, JSON_INLINE, JSON_HEAD };

#define JSON_SPACES 1u      /* "key": value, and a, b on one line */
#define JSON_HTML 2u        /* strings safe inside an HTML <script> element (SB_JSON_HTML) */
#define JSON_NO_NEWLINE 4u  /* json_end() adds no newline after the document */

struct json {
	FILE *f;                    /* borrowed; NULL keeps everything in *out */
	struct strbuf *out;         /* pending output: &own, or the caller's strbuf */
	struct strbuf own;
	unsigned flags;
	int wrap;                   /* JSON_AUTO: containers at depth <= wrap are BLOCK */
	int base;                   /* indentation levels before the document's own */
	int depth;                  /* containers open */
	int inline_from;            /* depth of the outermost INLINE container open, 0 none */
	int heads;                  /* HEAD containers open: they add no indentation */
	bool fresh[JSON_MAX_DEPTH + 1];  /* per depth: no item written yet */
	bool head[JSON_MAX_DEPTH + 1];   /* per depth: a HEAD container */
	int err;                    /* first write error, -errno */
};

/* Starts a document written to f (NULL: only into the writer's own buffer,
 * j->own, for the caller to take and release after json_end()), flags 0. */
void json_init(struct json *j, FILE *f, int wrap);
/* Starts a document with flags (JSON_*) written to f, or appended to the
 * caller's sb when sb is not NULL (f must then be NULL). base: indentation
 * levels of the place the document goes in (0 for a document of its own). */
void json_init_ex(struct json *j, FILE *f, struct strbuf *sb, int wrap, unsigned flags, int base);
/* Containers, laid out by wrap (the first two) or as mode says. key is the
 * member name inside an object and NULL inside an array or for the
 * top-level value (likewise for every value below). */
void json_open_obj(struct json *j, const char *key);
void json_open_arr(struct json *j, const char *key);
void json_open_obj_as(struct json *j, const char *key, enum json_mode mode);
void json_open_arr_as(struct json *j, const char *key, enum json_mode mode);
void json_close_obj(struct json *j);
void json_close_arr(struct json *j);
void json_str(struct json *j, const char *key, const char *s);  /* NULL -> null */
void json_null(struct json *j, const char *key);
void json_u64(struct json *j, const char *key, uint64_t v);
void json_i64(struct json *j, const char *key, int64_t v);
void json_bool(struct json *j, const char *key, bool v);
/* The shortest decimal that reads back as v (null for NaN and infinities:
 * JSON has neither). */
void json_double(struct json *j, const char *key, double v);
/* v with a fixed number of decimals (printf's %.*f); null when not finite. */
void json_fixed(struct json *j, const char *key, double v, int decimals);
/* ns as a number of microseconds with three decimals, exactly ("12.345"). */
void json_us(struct json *j, const char *key, uint64_t ns);
/* ns as the shortest exact number of microseconds ("12", "12.3", "12.345"). */
void json_us_short(struct json *j, const char *key, uint64_t ns);
/* A value already encoded as JSON text by another writer of this file (an
 * array built apart while this document was being written). */
void json_raw(struct json *j, const char *key, const char *text, size_t len);
/* Ends the document (with a newline unless JSON_NO_NEWLINE) and flushes it.
 * Returns 0 or -errno (the first write error). With a FILE the buffer is
 * released; without one the text stays in *out (j->own unless the caller
 * gave its strbuf), for the caller to take and release. */
int json_end(struct json *j);

#endif
