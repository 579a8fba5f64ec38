/* Option values (see parse.h). Every number goes through read_decimal, which
 * keeps it as digits and a power of ten, so "1.1ms" is 1100000 ns exactly
 * and text strtod would take ("nan", "inf", "0x10", " 5", "+5") is refused
 * before any conversion. */
#include "parse.h"

#include <math.h>
#include <stdbool.h>
#include <string.h>

/* A decimal number: mant x 10^exp. */
struct dec {
	uint64_t mant;
	long exp;
	bool cut;   /* integer digits did not fit in mant: above UINT64_MAX */
};

#define EXP_CAP 100000   /* beyond it a number is out of every range anyway */

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* Reads "D[.D][(e|E)[+|-]D]" at *sp, with at least one digit in the
 * mantissa, and moves *sp past it. Digits that do not fit in 64 bits only
 * scale the number (integer part) or are dropped (fraction). */
static int read_decimal(const char **sp, struct dec *d)
{
	const char *s = *sp;
	uint64_t m = 0;
	long e = 0;
	int ndig = 0;
	bool cut = false;   /* a digit did not fit: the rest are dropped */
	long x = 0;         /* the exponent written */
	for (; is_digit(*s); s++, ndig++) {
		unsigned dg = (unsigned)(*s - '0');
		if (!cut && m <= (UINT64_MAX - dg) / 10) {
			m = m * 10 + dg;
		} else {
			cut = true;
			e++;
		}
	}
	if (*s == '.') {
		s++;
		for (; is_digit(*s); s++, ndig++) {
			unsigned dg = (unsigned)(*s - '0');
			if (!cut && m <= (UINT64_MAX - dg) / 10) {
				m = m * 10 + dg;
				e--;
			} else {
				cut = true;
			}
		}
	}
	if (!ndig)
		return -1;
	if (*s == 'e' || *s == 'E') {
		const char *t = s + 1;
		int neg = 0;
		if (*t == '+' || *t == '-')
			neg = *t++ == '-';
		if (!is_digit(*t))
			return -1;
		for (; is_digit(*t); t++)
			if (x < EXP_CAP)
				x = x * 10 + (*t - '0');
		x = neg ? -x : x;
		e += x;
		s = t;
	}
	d->mant = m;
	d->exp = e;
	/* integer digits dropped, and no negative exponent to bring the number
	 * back: it is above UINT64_MAX (m * 10 + the first dropped digit was) */
	d->cut = cut && e > x && x >= 0;
	*sp = s;
	return 0;
}

/* d as a whole number, rounded half up; -1 when it is more than UINT64_MAX,
 * or (when exact is set) not whole. */
static int dec_to_u64(struct dec d, bool exact, uint64_t *out)
{
	uint64_t v = d.mant;
	if (!v) {
		*out = 0;
		return 0;
	}
	if (d.exp >= 0) {
		if (d.cut)
			return -1;
		for (long i = 0; i < d.exp; i++) {
			if (v > UINT64_MAX / 10)
				return -1;
			v *= 10;
		}
		*out = v;
		return 0;
	}
	if (d.exp < -20) {   /* the mantissa is below 2 x 10^19: under 0.5 */
		if (exact)
			return -1;
		*out = 0;
		return 0;
	}
	if (d.exp == -20) {   /* 10^20 does not fit: under 0.5 unless mant is */
		if (exact)
			return -1;
		*out = v >= 5000000000000000000ull * 10 ? 1 : 0;
		return 0;
	}
	uint64_t p = 1;
	for (long i = 0; i < -d.exp; i++)
		p *= 10;
	uint64_t q = v / p, r = v % p;
	if (r && exact)
		return -1;
	if (r >= p - r)
		q++;
	*out = q;
	return 0;
}

/* d as a double (finite), or -1. A power of ten up to 10^22 is exact, so
 * "0.5" or "12.25" come out as written. */
static int dec_to_double(struct dec d, double *out)
{
	double v = (double)d.mant;
	if (d.mant && d.exp > 0)
		v = d.exp > 400 ? INFINITY : v * pow(10, (double)d.exp);
	else if (d.mant && d.exp < 0)
		v = d.exp < -400 ? 0 : v / pow(10, (double)-d.exp);
	if (!isfinite(v))
		return -1;
	*out = v;
	return 0;
}

int parse_duration(const char *s, uint64_t *ns)
{
	static const struct { const char *unit; int pow10; } units[] = {
		{ "ns", 0 }, { "us", 3 }, { "\xc2\xb5s", 3 }, { "ms", 6 }, { "s", 9 },
	};
	struct dec d;
	if (!s || read_decimal(&s, &d))
		return -1;
	for (size_t i = 0; i < sizeof(units) / sizeof(*units); i++)
		if (!strcmp(s, units[i].unit)) {
			d.exp += units[i].pow10;
			return dec_to_u64(d, false, ns);
		}
	return -1;
}

int parse_count(const char *s, uint64_t min, uint64_t max, uint64_t *out)
{
	uint64_t v = 0;
	if (!s || !*s)
		return -1;
	for (; *s; s++) {
		if (!is_digit(*s))
			return -1;
		unsigned dg = (unsigned)(*s - '0');
		if (v > (UINT64_MAX - dg) / 10)
			return -1;
		v = v * 10 + dg;
	}
	if (v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

int parse_rate(const char *s, uint64_t min, uint64_t max, uint64_t *hz)
{
	struct dec d;
	uint64_t v;
	if (!s || read_decimal(&s, &d))
		return -1;
	if (!strcmp(s, "kHz"))
		d.exp += 3;
	else if (*s && strcmp(s, "Hz"))
		return -1;
	if (dec_to_u64(d, true, &v) || v < min || v > max)
		return -1;
	*hz = v;
	return 0;
}

int parse_pixels(const char *s, double whole, double *px)
{
	struct dec d;
	double v;
	if (!s || read_decimal(&s, &d) || dec_to_double(d, &v))
		return -1;
	if (!strcmp(s, "%"))
		v = v * whole / 100;
	else if (*s && strcmp(s, "px"))
		return -1;
	if (!isfinite(v) || v < 0)
		return -1;
	*px = v;
	return 0;
}

int parse_color_when(const char *s, int auto_value)
{
	if (!s)
		return -1;
	if (!strcmp(s, "always"))
		return 1;
	if (!strcmp(s, "never"))
		return 0;
	return strcmp(s, "auto") ? -1 : auto_value;
}
