/* The streaming JSON writer of json.h. */
#include "json.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../lib/die.h"

#define JSON_FLUSH_AT (256u * 1024u)

void json_init_ex(struct json *j, FILE *f, struct strbuf *sb, int wrap, unsigned flags, int base)
{
	if (f && sb)
		BUG("json: a document goes to a FILE or to a strbuf, not both");
	memset(j, 0, sizeof(*j));
	j->f = f;
	j->out = sb ? sb : &j->own;
	j->wrap = wrap;
	j->flags = flags;
	j->base = base;
	j->fresh[0] = true;
}

void json_init(struct json *j, FILE *f, int wrap)
{
	json_init_ex(j, f, NULL, wrap, 0, 0);
}

/* Writes what is pending when there is enough of it (or when forced). */
static void json_flush(struct json *j, bool force)
{
	struct strbuf *sb = j->out;
	if (!j->f || !sb->len || (!force && sb->len < JSON_FLUSH_AT))
		return;
	if (!j->err && fwrite(sb->buf, 1, sb->len, j->f) != sb->len)
		j->err = errno ? -errno : -EIO;
	sb_reset(sb);
}

static void json_newline(struct json *j)
{
	struct strbuf *sb = j->out;
	int n = j->base + j->depth - j->heads;
	sb_grow(sb, 1 + 2 * (size_t)(n > 0 ? n : 0));
	sb->buf[sb->len++] = '\n';
	for (int i = 0; i < n; i++) {
		sb->buf[sb->len++] = ' ';
		sb->buf[sb->len++] = ' ';
	}
	sb->buf[sb->len] = '\0';
}

/* The comma, line break or space, and key that come before every value. */
static void json_item(struct json *j, const char *key)
{
	struct strbuf *sb = j->out;
	if (j->depth) {
		bool first = j->fresh[j->depth];
		j->fresh[j->depth] = false;
		if (!first)
			sb_addc(sb, ',');
		if ((j->inline_from && j->depth >= j->inline_from) || j->head[j->depth]) {
			if (!first && (j->flags & JSON_SPACES))
				sb_addc(sb, ' ');
		} else {
			json_newline(j);
		}
	}
	if (key) {
		sb_add_json_strx(sb, key, j->flags & JSON_HTML ? SB_JSON_HTML : 0);
		if (j->flags & JSON_SPACES)
			sb_add(sb, ": ", 2);
		else
			sb_addc(sb, ':');
	}
}

static void json_open(struct json *j, const char *key, char c, enum json_mode mode)
{
	json_item(j, key);
	if (j->depth >= JSON_MAX_DEPTH)
		BUG("json: containers nested too deep");
	sb_addc(j->out, c);
	int d = ++j->depth;
	if (mode == JSON_AUTO)
		mode = d <= j->wrap ? JSON_BLOCK : JSON_INLINE;
	j->fresh[d] = true;
	j->head[d] = mode == JSON_HEAD;
	j->heads += mode == JSON_HEAD;
	if (mode == JSON_INLINE && !j->inline_from)
		j->inline_from = d;
}

static void json_close(struct json *j, char c)
{
	if (j->depth <= 0)
		BUG("json: close without open");
	int d = j->depth;
	bool empty = j->fresh[d], head = j->head[d];
	bool inl = j->inline_from && d >= j->inline_from;
	if (j->inline_from == d)
		j->inline_from = 0;
	j->heads -= head;
	j->depth--;
	if (!inl && !head && !empty)
		json_newline(j);
	sb_addc(j->out, c);
	json_flush(j, false);
}

void json_open_obj(struct json *j, const char *key) { json_open(j, key, '{', JSON_AUTO); }
void json_open_arr(struct json *j, const char *key) { json_open(j, key, '[', JSON_AUTO); }
void json_open_obj_as(struct json *j, const char *key, enum json_mode mode) { json_open(j, key, '{', mode); }
void json_open_arr_as(struct json *j, const char *key, enum json_mode mode) { json_open(j, key, '[', mode); }
void json_close_obj(struct json *j) { json_close(j, '}'); }
void json_close_arr(struct json *j) { json_close(j, ']'); }

void json_str(struct json *j, const char *key, const char *s)
{
	json_item(j, key);
	if (s)
		sb_add_json_strx(j->out, s, j->flags & JSON_HTML ? SB_JSON_HTML : 0);
	else
		sb_add(j->out, "null", 4);
	json_flush(j, false);
}

void json_null(struct json *j, const char *key)
{
	json_item(j, key);
	sb_add(j->out, "null", 4);
}

/* The digits of v, without printf: columns of millions of numbers go
 * through here. */
static void add_u64(struct strbuf *sb, uint64_t v)
{
	char d[24];
	int n = 0;
	do
		d[n++] = (char)('0' + v % 10);
	while (v /= 10);
	sb_grow(sb, (size_t)n);
	while (n)
		sb->buf[sb->len++] = d[--n];
	sb->buf[sb->len] = '\0';
}

void json_u64(struct json *j, const char *key, uint64_t v)
{
	json_item(j, key);
	add_u64(j->out, v);
	json_flush(j, false);
}

void json_i64(struct json *j, const char *key, int64_t v)
{
	json_item(j, key);
	if (v < 0) {
		sb_addc(j->out, '-');
		add_u64(j->out, (uint64_t)0 - (uint64_t)v);
	} else {
		add_u64(j->out, (uint64_t)v);
	}
	json_flush(j, false);
}

void json_bool(struct json *j, const char *key, bool v)
{
	json_item(j, key);
	sb_adds(j->out, v ? "true" : "false");
}

void json_double(struct json *j, const char *key, double v)
{
	json_item(j, key);
	if (!isfinite(v)) {
		sb_add(j->out, "null", 4);
		return;
	}
	char buf[40];
	for (int prec = 15; prec <= 17; prec++) {
		snprintf(buf, sizeof(buf), "%.*g", prec, v);
		if (strtod(buf, NULL) == v)
			break;
	}
	sb_adds(j->out, buf);
	json_flush(j, false);
}

void json_fixed(struct json *j, const char *key, double v, int decimals)
{
	json_item(j, key);
	if (!isfinite(v))
		sb_add(j->out, "null", 4);
	else
		sb_addf(j->out, "%.*f", decimals, v);
}

void json_us(struct json *j, const char *key, uint64_t ns)
{
	json_item(j, key);
	add_u64(j->out, ns / 1000);
	sb_addf(j->out, ".%03u", (unsigned)(ns % 1000));
}

void json_us_short(struct json *j, const char *key, uint64_t ns)
{
	json_item(j, key);
	add_u64(j->out, ns / 1000);
	unsigned frac = (unsigned)(ns % 1000);
	if (!frac)
		return;
	char d[4];
	snprintf(d, sizeof(d), "%03u", frac);
	for (int k = 2; k > 0 && d[k] == '0'; k--)
		d[k] = '\0';
	sb_addc(j->out, '.');
	sb_adds(j->out, d);
}

void json_raw(struct json *j, const char *key, const char *text, size_t len)
{
	json_item(j, key);
	sb_add(j->out, text, len);
	json_flush(j, false);
}

int json_end(struct json *j)
{
	if (j->depth)
		BUG("json: document ended with containers open");
	if (!(j->flags & JSON_NO_NEWLINE))
		sb_addc(j->out, '\n');
	json_flush(j, true);
	if (j->f && fflush(j->f) && !j->err)
		j->err = errno ? -errno : -EIO;
	if (j->f && ferror(j->f) && !j->err)
		j->err = -EIO;
	int err = j->err;
	if (j->f)
		sb_release(&j->own);
	return err;
}
