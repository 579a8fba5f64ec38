/* ANSI colors and human units for the text reports. */
#include "term.h"

#include <stdio.h>

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
