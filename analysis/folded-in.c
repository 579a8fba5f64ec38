/* Folded-stack reader: splits "a;b;c N" lines into frames and a weight, in
 * place and without allocating per line, so a file of a few hundred
 * thousand stacks parses in tens of milliseconds. */
#include "folded-in.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../lib/die.h"
#include "../lib/vec.h"
#include "profile-io.h"

/* The line as shown in an error message: at most 60 bytes of it. */
static void quote_line(char *out, size_t outlen, const char *s, size_t n)
{
	size_t k = n > 60 ? 60 : n, j = 0;
	for (size_t i = 0; i < k && j + 1 < outlen; i++)
		out[j++] = (unsigned char)s[i] < 0x20 ? '?' : s[i];
	if (k < n && j + 4 < outlen) {
		memcpy(out + j, "...", 3);
		j += 3;
	}
	out[j < outlen ? j : outlen - 1] = 0;
}

/* Parses the whole number in [s, s + n); false if it is not one or too big. */
static bool parse_weight(const char *s, size_t n, uint64_t *out)
{
	uint64_t v = 0;
	if (!n || n > 19)
		return false;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		v = v * 10 + (uint64_t)(s[i] - '0');
	}
	if (v > INT64_MAX)
		return false;
	*out = v;
	return true;
}

static int line_error(char *err, size_t errlen, size_t lineno, const char *why,
		      const char *s, size_t n)
{
	char q[80];
	quote_line(q, sizeof(q), s, n);
	snprintf(err, errlen, "line %zu: %s: '%s'", lineno, why, q);
	return -EINVAL;
}

int folded_parse(const char *buf, size_t len, folded_line_fn fn, void *arg,
		 char *err, size_t errlen)
{
	VEC(struct folded_frame) fr = { 0 };
	const char *p = buf, *end = buf + len;
	size_t lineno = 0;
	int rc = 0;
	bool any = false;       /* a stack line seen: a bad line is then a typo, not another format */
	if (len >= 8 && !memcmp(buf, "PERFILE2", 8)) {
		snprintf(err, errlen, "a perf.data file, not a profile or folded stacks: turn it into a "
			 "profile with 'perf script -i FILE | scorch import -o FILE.scorch -'");
		return -EINVAL;
	}
	while (p < end && !rc) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *le = nl ? nl : end;
		const char *ls = p;
		p = nl ? nl + 1 : end;
		lineno++;
		if (memchr(ls, 0, (size_t)(le - ls))) {
			snprintf(err, errlen, any ? "line %zu: binary data, not folded text (lines of "
				 "'frame;frame;... COUNT')" : "line %zu: binary data: not a profile or folded "
				 "stacks (lines of 'frame;frame;... COUNT')", lineno);
			rc = -EINVAL;
			break;
		}
		while (le > ls && (le[-1] == '\r' || le[-1] == ' ' || le[-1] == '\t'))
			le--;
		if (le == ls)
			continue;
		/* the weight is the last blank-separated token */
		const char *ws = le;
		while (ws > ls && ws[-1] != ' ' && ws[-1] != '\t')
			ws--;
		uint64_t w;
		if (!any && !strchr("0123456789+-.", *ws) && (ws == ls || !parse_weight(ws, (size_t)(le - ws), &w))) {
			/* the first line is not one and ends in no number meant as a
			 * count: another kind of file (a source file, a log) */
			rc = line_error(err, errlen, lineno,
					"not a profile or folded stacks (a .scorch file, or lines of "
					"'frame;frame;... COUNT')", ls, (size_t)(le - ls));
			break;
		}
		if (ws == ls) {
			rc = line_error(err, errlen, lineno,
					"not a folded stack (expected 'frame;frame;... COUNT')",
					ls, (size_t)(le - ls));
			break;
		}
		if (!parse_weight(ws, (size_t)(le - ws), &w)) {
			rc = line_error(err, errlen, lineno,
					"the count at the end is not a whole number", ls,
					(size_t)(le - ls));
			break;
		}
		any = true;
		const char *se = ws;
		while (se > ls && (se[-1] == ' ' || se[-1] == '\t'))
			se--;
		if (!w)
			continue;
		fr.len = 0;
		for (const char *f = ls; f <= se;) {
			const char *semi = memchr(f, ';', (size_t)(se - f));
			const char *fe = semi ? semi : se;
			struct folded_frame x = { f, (size_t)(fe - f), false };
			if (x.len >= 4 && !memcmp(fe - 4, "_[i]", 4)) {
				x.len -= 4;
				x.inlined = true;
			}
			if (!x.len) {
				rc = line_error(err, errlen, lineno, "empty frame name", ls,
						(size_t)(le - ls));
				break;
			}
			VEC_PUSH(&fr, x);
			if (!semi)
				break;
			f = semi + 1;
		}
		if (!rc)
			rc = fn(arg, fr.data, fr.len, w, lineno);
	}
	VEC_FREE(&fr);
	return rc;
}

int folded_read_file(const char *path, char **buf, size_t *len, char *err, size_t errlen)
{
	*buf = NULL;
	*len = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		int e = errno;
		snprintf(err, errlen, "cannot read %s: %s", path, strerror(e));
		return -e;
	}
	struct stat st;
	size_t cap = fstat(fd, &st) == 0 && S_ISREG(st.st_mode) ? (size_t)st.st_size + 1 : 65536;
	char *b = xmalloc(cap);
	size_t n = 0;
	for (;;) {
		if (n + 1 >= cap) {
			cap *= 2;
			b = xrealloc(b, cap);
		}
		ssize_t r = read(fd, b + n, cap - n - 1);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			int e = errno;
			snprintf(err, errlen, "cannot read %s: %s", path, strerror(e));
			free(b);
			close(fd);
			return -e;
		}
		if (!r)
			break;
		n += (size_t)r;
	}
	close(fd);
	b[n] = 0;
	*buf = b;
	*len = n;
	return 0;
}

int folded_file_open(struct folded_file *f, const char *path, char *err, size_t errlen)
{
	memset(f, 0, sizeof(*f));
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		int e = errno;
		snprintf(err, errlen, "cannot read %s: %s", path, strerror(e));
		return -e;
	}
	struct stat st;
	if (fstat(fd, &st) == 0 && S_ISDIR(st.st_mode)) {
		close(fd);
		snprintf(err, errlen, "cannot read %s: %s", path, strerror(EISDIR));
		return -EISDIR;
	}
	if (S_ISREG(st.st_mode) && st.st_size > 0) {
		void *m = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE | MAP_POPULATE, fd, 0);
		if (m != MAP_FAILED) {
			madvise(m, (size_t)st.st_size, MADV_SEQUENTIAL);
			close(fd);
			f->buf = m;
			f->len = (size_t)st.st_size;
			f->mapped = true;
			return 0;
		}
	}
	close(fd);
	char *b;
	int rc = folded_read_file(path, &b, &f->len, err, errlen);
	f->buf = b;
	return rc;
}

void folded_file_close(struct folded_file *f)
{
	if (f->mapped)
		munmap((void *)f->buf, f->len);
	else
		free((void *)f->buf);
	memset(f, 0, sizeof(*f));
}

bool folded_is_profile(const char *path)
{
	char magic[sizeof(PROFILE_MAGIC) - 1];
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	ssize_t r = read(fd, magic, sizeof(magic));
	close(fd);
	return r == (ssize_t)sizeof(magic) && !memcmp(magic, PROFILE_MAGIC, sizeof(magic));
}
