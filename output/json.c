/* The streaming JSON writer of json.h. */
#include "json.h"

#include <errno.h>
#include <string.h>

#include "../lib/die.h"

#define JSON_FLUSH_AT (256u * 1024u)

void json_init(struct json *j, FILE *f, int wrap)
{
	memset(j, 0, sizeof(*j));
	j->f = f;
	j->wrap = wrap;
	j->fresh[0] = true;
}

/* Writes what is pending when there is enough of it (or when forced). */
static void json_flush(struct json *j, bool force)
{
	if (!j->f || !j->sb.len || (!force && j->sb.len < JSON_FLUSH_AT))
		return;
	if (!j->err && fwrite(j->sb.buf, 1, j->sb.len, j->f) != j->sb.len)
		j->err = errno ? -errno : -EIO;
	sb_reset(&j->sb);
}

/* The comma, line break and key that come before every value. */
static void json_item(struct json *j, const char *key)
{
	bool first = j->fresh[j->depth];
	j->fresh[j->depth] = false;
	if (j->depth && !first)
		sb_addc(&j->sb, ',');
	if (j->depth && j->depth <= j->wrap) {
		sb_addc(&j->sb, '\n');
		for (int i = 0; i < j->depth; i++)
			sb_adds(&j->sb, "  ");
	}
	if (key) {
		sb_add_json_str(&j->sb, key);
		sb_addc(&j->sb, ':');
	}
}

static void json_open(struct json *j, const char *key, char c)
{
	json_item(j, key);
	if (j->depth >= JSON_MAX_DEPTH)
		BUG("json: containers nested too deep");
	sb_addc(&j->sb, c);
	j->fresh[++j->depth] = true;
}

static void json_close(struct json *j, char c)
{
	if (j->depth <= 0)
		BUG("json: close without open");
	bool empty = j->fresh[j->depth];
	j->depth--;
	if (!empty && j->depth < j->wrap) {
		sb_addc(&j->sb, '\n');
		for (int i = 0; i < j->depth; i++)
			sb_adds(&j->sb, "  ");
	}
	sb_addc(&j->sb, c);
	json_flush(j, false);
}

void json_open_obj(struct json *j, const char *key) { json_open(j, key, '{'); }
void json_open_arr(struct json *j, const char *key) { json_open(j, key, '['); }
void json_close_obj(struct json *j) { json_close(j, '}'); }
void json_close_arr(struct json *j) { json_close(j, ']'); }

void json_str(struct json *j, const char *key, const char *s)
{
	json_item(j, key);
	if (s)
		sb_add_json_str(&j->sb, s);
	else
		sb_adds(&j->sb, "null");
}

void json_u64(struct json *j, const char *key, uint64_t v)
{
	json_item(j, key);
	sb_addf(&j->sb, "%llu", (unsigned long long)v);
}

void json_bool(struct json *j, const char *key, bool v)
{
	json_item(j, key);
	sb_adds(&j->sb, v ? "true" : "false");
}

void json_us(struct json *j, const char *key, uint64_t ns)
{
	json_item(j, key);
	sb_addf(&j->sb, "%llu.%03u", (unsigned long long)(ns / 1000), (unsigned)(ns % 1000));
}

void json_raw(struct json *j, const char *key, const char *text, size_t len)
{
	json_item(j, key);
	sb_add(&j->sb, text, len);
	json_flush(j, false);
}

int json_end(struct json *j)
{
	if (j->depth)
		BUG("json: document ended with containers open");
	sb_addc(&j->sb, '\n');
	json_flush(j, true);
	if (j->f && fflush(j->f) && !j->err)
		j->err = errno ? -errno : -EIO;
	if (j->f && ferror(j->f) && !j->err)
		j->err = -EIO;
	int err = j->err;
	if (j->f)
		sb_release(&j->sb);
	return err;
}
