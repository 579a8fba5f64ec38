/* ANSI colors, human units and name escaping for the text reports. */
#include "term.h"

#include <stdio.h>

#include "../lib/utf8.h"

const struct term_colors *term_colors(bool on)
{
	static const struct term_colors off = { "", "", "", "", "", "", "", "", "" };
	static const struct term_colors ansi = {
		"\033[1m", "\033[2m", "\033[31m", "\033[32m", "\033[33m",
		"\033[34m", "\033[35m", "\033[36m", "\033[0m",
	};
	return on ? &ansi : &off;
}

/* v / div with 3 significant digits and unit u. */
static void scaled(struct strbuf *sb, uint64_t v, uint64_t div, const char *u)
{
	double x = (double)v / (double)div;
	if (x < 9.995)
		sb_addf(sb, "%.2f %s", x, u);
	else if (x < 99.95)
		sb_addf(sb, "%.1f %s", x, u);
	else
		sb_addf(sb, "%.0f %s", x, u);
}

void term_bytes(struct strbuf *sb, uint64_t b)
{
	static const char *const units[] = { "KiB", "MiB", "GiB", "TiB", "PiB", "EiB" };
	if (b < 1024) {
		sb_addf(sb, "%llu B", (unsigned long long)b);
		return;
	}
	uint64_t div = 1024;
	int u = 0;
	/* 999.5 KiB would print as "1000 KiB": move up a unit before that */
	while (u < 5 && (double)b / (double)div >= 999.5) {
		div *= 1024;
		u++;
	}
	scaled(sb, b, div, units[u]);
}

void term_duration(struct strbuf *sb, uint64_t ns)
{
	if (ns < 1000) {
		sb_addf(sb, "%llu ns", (unsigned long long)ns);
		return;
	}
	if ((double)ns < 999.5e3)
		scaled(sb, ns, 1000, "us");
	else if ((double)ns < 999.5e6)
		scaled(sb, ns, 1000000, "ms");
	else
		scaled(sb, ns, 1000000000, "s");
}

void term_count(struct strbuf *sb, uint64_t n)
{
	char d[32];
	int len = snprintf(d, sizeof(d), "%llu", (unsigned long long)n);
	for (int i = 0; i < len; i++) {
		if (i && (len - i) % 3 == 0)
			sb_addc(sb, ',');
		sb_addc(sb, d[i]);
	}
}

unsigned term_width(const char *s)
{
	unsigned w = 0;
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p == 033) {
			/* CSI: ESC [ params final-byte */
			if (p[1] == '[') {
				p += 2;
				while (*p && !(*p >= 0x40 && *p <= 0x7e))
					p++;
				if (!*p)
					break;
			}
			continue;
		}
		if ((*p & 0xc0) != 0x80)
			w++;
	}
	return w;
}

void term_pad(struct strbuf *sb, const char *s, unsigned width, bool right)
{
	unsigned w = term_width(s);
	if (!right)
		sb_adds(sb, s);
	for (; w < width; w++)
		sb_addc(sb, ' ');
	if (right)
		sb_adds(sb, s);
}

void term_percent(struct strbuf *sb, uint64_t part, uint64_t whole)
{
	if (!whole) {
		sb_adds(sb, "-");
		return;
	}
	double x = 100.0 * (double)part / (double)whole;
	sb_addf(sb, x >= 99.95 && part != whole ? "%.2f%%" : "%.1f%%", x);
}

/* Bytes of s that term_esc() appends as they are: the length of the
 * sequence at s, or 0 when it must be escaped. */
static size_t term_plain(const unsigned char *s, uint32_t *cp)
{
	if ((*s >= 0x20 && *s < 0x7f) || *s == '\t') {   /* a tab moves the cursor, no more */
		*cp = *s;
		return 1;
	}
	size_t n = *s >= 0x80 ? utf8_seq(s, cp) : 0;
	if (!n)
		*cp = *s;
	return n && *cp > 0x9f ? n : 0;
}

void term_esc(struct strbuf *sb, const char *str)
{
	const unsigned char *s = (const unsigned char *)(str ? str : "");
	while (*s) {
		uint32_t cp;
		size_t n = term_plain(s, &cp);
		if (n) {
			sb_add(sb, s, n);
			s += n;
		} else if (cp >= 0x80 && cp <= 0x9f && s[0] == 0xc2) {
			sb_addf(sb, "\\u%04x", (unsigned)cp);   /* a C1 control, well-formed */
			s += 2;
		} else {
			sb_addf(sb, "\\x%02x", *s);
			s++;
		}
	}
}

const char *term_safe(const char *str)
{
	static struct strbuf ring[16];
	static unsigned next;
	if (!str)
		return NULL;
	const unsigned char *s = (const unsigned char *)str;
	uint32_t cp;
	size_t n;
	while (*s && (n = term_plain(s, &cp)))
		s += n;
	if (!*s)
		return str;
	struct strbuf *sb = &ring[next++ % 16];
	sb_reset(sb);
	term_esc(sb, str);
	return sb_str(sb);
}
