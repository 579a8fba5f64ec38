/* Growable NUL-terminated byte string, after git's strbuf. The strbuf owns
 * buf; sb_detach() hands ownership to the caller. A zeroed strbuf is valid. */
#ifndef SCORCH_LIB_STRBUF_H
#define SCORCH_LIB_STRBUF_H

#include <stdarg.h>
#include <stddef.h>

struct strbuf {
	char *buf;
	size_t len, alloc;
};

#define STRBUF_INIT { 0, 0, 0 }

void sb_grow(struct strbuf *sb, size_t extra);
void sb_add(struct strbuf *sb, const void *data, size_t n);
void sb_adds(struct strbuf *sb, const char *s);
void sb_addc(struct strbuf *sb, char c);
void sb_addf(struct strbuf *sb, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void sb_vaddf(struct strbuf *sb, const char *fmt, va_list ap);
/* Appends s as a JSON string literal, quotes included: the one JSON string
 * escaper, used by every JSON scorch writes. The literal is always
 * well-formed UTF-8 whatever s holds: a byte of s that does not start a
 * well-formed UTF-8 sequence becomes U+FFFD, written \ufffd (one per byte);
 * C0 and C1 controls, DEL, U+2028 and U+2029 are written \uXXXX (\n, \r,
 * \t as such). NULL is written as "". With SB_JSON_HTML, < > & are written
 * \u003c \u003e \u0026 too, so that the literal is safe inside an HTML
 * <script> element. */
#define SB_JSON_HTML 1u
void sb_add_json_strx(struct strbuf *sb, const char *s, unsigned flags);
void sb_add_json_str(struct strbuf *sb, const char *s);   /* flags 0 */
void sb_reset(struct strbuf *sb);
char *sb_detach(struct strbuf *sb);
void sb_release(struct strbuf *sb);
/* Returns sb->buf, or "" when nothing was ever added. */
const char *sb_str(const struct strbuf *sb);

#endif
