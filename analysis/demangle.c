/* Symbol demangling for reports: C++ (Itanium ABI) through the C++ runtime's
 * __cxa_demangle, Rust legacy and Rust v0 through our own decoders, which
 * print like rustc-demangle's alternate form ("{:#}": no hashes, no crate
 * disambiguators). Symbol tables of profiled programs are untrusted input, so
 * every decoder is bounded in input, output, recursion depth and work. */
#include "demangle.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../lib/strbuf.h"

/* The C++ runtime's __cxa_demangle (libstdc++), loaded with dlopen at the
 * first C++ name, as capstone and libcurl are: linking libstdc++ (and the
 * libgcc_s it needs) cost every scorch command 0.5-1.3 ms of CPU and 47 page
 * faults of dynamic loading at start-up, for one function that a profile of
 * a C program never calls. Without the library, C++ names stay mangled
 * (said once on stderr). */
typedef char *cxa_demangle_fn(const char *mangled, char *buf, size_t *len, int *status);
static cxa_demangle_fn *cxa_demangle;
static pthread_once_t cxa_once = PTHREAD_ONCE_INIT;

static void cxa_load(void)
{
	void *so = dlopen("libstdc++.so.6", RTLD_NOW | RTLD_LOCAL);
	void *fn = so ? dlsym(so, "__cxa_demangle") : NULL;
	if (!fn) {
		fprintf(stderr, "scorch: cannot load the C++ runtime's demangler (libstdc++.so.6: %s): "
			"C++ function names are left mangled\n", dlerror());
		return;
	}
	cxa_demangle = (cxa_demangle_fn *)fn;
}

/* Longer symbols are shown mangled. Real ones stay far below: the largest in
 * rustc's own driver library are about 6 KB. */
#define MAX_SYMBOL (64 * 1024)
/* libstdc++'s demangler puts arrays of about 72 bytes per input byte on the
 * stack, so a long C++ symbol would overflow a thread's stack; cap it to use
 * at most about 600 KB. */
#define MAX_CXX_SYMBOL (8 * 1024)
/* Rust v0 back-references can make the output exponentially longer than the
 * input; rustc-demangle gives up at the same size. */
#define MAX_OUTPUT (1000 * 1000)
/* Nesting of paths, types, consts and back-references; rustc-demangle's limit. */
#define V0_MAX_DEPTH 500
/* Nodes decoded per symbol: the output cap alone does not bound the work, as
 * chains of nodes that print nothing can be reached through many backrefs. */
#define V0_MAX_STEPS (1u << 22)
/* Punycode identifiers longer than this print encoded, like rustc-demangle. */
#define PUNY_MAX 128

static bool is_digit(int c) { return c >= '0' && c <= '9'; }
static bool is_lower(int c) { return c >= 'a' && c <= 'z'; }
static bool is_upper(int c) { return c >= 'A' && c <= 'Z'; }
static bool is_lhex(int c) { return is_digit(c) || (c >= 'a' && c <= 'f'); }
static int hex_val(int c) { return is_digit(c) ? c - '0' : c - 'a' + 10; }

/* Output text with a size cap: past it `full` is set and the result dropped. */
struct out {
	struct strbuf sb;
	bool full;
};

static void out_add(struct out *o, const char *s, size_t n)
{
	if (o->full || n > MAX_OUTPUT - o->sb.len) {
		o->full = true;
		return;
	}
	sb_add(&o->sb, s, n);
}

static void out_str(struct out *o, const char *s) { out_add(o, s, strlen(s)); }

static void out_char(struct out *o, char c) { out_add(o, &c, 1); }

static void out_u64(struct out *o, uint64_t v)
{
	char buf[24];
	int n = snprintf(buf, sizeof(buf), "%llu", (unsigned long long)v);
	out_add(o, buf, (size_t)n);
}

/* Callers only pass Unicode scalar values (no surrogates, <= 0x10ffff). */
static void out_utf8(struct out *o, uint32_t c)
{
	char b[4];
	size_t n;
	if (c < 0x80) {
		b[0] = (char)c;
		n = 1;
	} else if (c < 0x800) {
		b[0] = (char)(0xc0 | (c >> 6));
		b[1] = (char)(0x80 | (c & 0x3f));
		n = 2;
	} else if (c < 0x10000) {
		b[0] = (char)(0xe0 | (c >> 12));
		b[1] = (char)(0x80 | ((c >> 6) & 0x3f));
		b[2] = (char)(0x80 | (c & 0x3f));
		n = 3;
	} else {
		b[0] = (char)(0xf0 | (c >> 18));
		b[1] = (char)(0x80 | ((c >> 12) & 0x3f));
		b[2] = (char)(0x80 | ((c >> 6) & 0x3f));
		b[3] = (char)(0x80 | (c & 0x3f));
		n = 4;
	}
	out_add(o, b, n);
}

static bool is_scalar(uint64_t c) { return c <= 0x10ffff && (c < 0xd800 || c > 0xdfff); }

/* Copies the result into the arena and releases the buffer. */
static char *out_finish(struct out *o, struct arena *a)
{
	char *r = NULL;
	if (!o->full && o->sb.len)
		r = arena_strndup(a, o->sb.buf, o->sb.len);
	sb_release(&o->sb);
	return r;
}

/* ThinLTO renames internal symbols to "name.llvm.<hash>", and GCC-style clone
 * suffixes may follow (".llvm.123.cold"). The hash means nothing to a reader
 * and would split one function in two in reports, so it goes. Finds it in
 * sym[0, n): returns true and its span [*from, *to) when there is one. */
static bool find_llvm_suffix(const char *sym, size_t n, size_t *from, size_t *to)
{
	static const char tag[] = ".llvm.";
	const size_t tlen = sizeof(tag) - 1;
	for (size_t i = 0; i + tlen < n; i++) {
		if (memcmp(sym + i, tag, tlen))
			continue;
		size_t j = i + tlen;
		while (j < n && (is_digit(sym[j]) || (sym[j] >= 'A' && sym[j] <= 'F') ||
				 (sym[j] >= 'a' && sym[j] <= 'f') || sym[j] == '@'))
			j++;
		if (j > i + tlen && (j == n || sym[j] == '.')) {
			*from = i;
			*to = j;
			return true;
		}
	}
	return false;
}

/* Appends what follows a Rust symbol proper. GCC/LLVM clone suffixes
 * (".cold", ".isra.0", ".constprop.0.isra.0") become " [clone .cold]" ...,
 * as c++filt shows them for C++; any other '.'-suffix of printable ASCII is
 * kept verbatim, as rustc-demangle does. Returns false for anything else. */
static bool out_suffix(struct out *o, const char *s, size_t n)
{
	if (!n)
		return true;
	if (s[0] != '.')
		return false;
	/* c++filt's grammar: groups of '.' [a-z0-9_]+ {'.' [0-9]+} */
	size_t i = 0;
	bool clone = true;
	while (i < n) {
		if (!(i + 1 < n && s[i] == '.' &&
		      (is_lower(s[i + 1]) || is_digit(s[i + 1]) || s[i + 1] == '_'))) {
			clone = false;
			break;
		}
		i += 2;
		while (i < n && (is_lower(s[i]) || is_digit(s[i]) || s[i] == '_'))
			i++;
		while (i + 1 < n && s[i] == '.' && is_digit(s[i + 1])) {
			i += 2;
			while (i < n && is_digit(s[i]))
				i++;
		}
	}
	if (clone) {
		size_t start = 0;
		for (i = 0; i <= n; i++) {
			/* a new group starts at '.' followed by a non-digit */
			if (i == n || (i > start && s[i] == '.' && i + 1 < n && !is_digit(s[i + 1]))) {
				out_str(o, " [clone ");
				out_add(o, s + start, i - start);
				out_char(o, ']');
				start = i;
			}
		}
		return true;
	}
	for (i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x21 || (unsigned char)s[i] > 0x7e)
			return false;
	out_add(o, s, n);
	return true;
}

/* ---- C++ ---------------------------------------------------------------- */

static char *demangle_cxx(const char *sym, size_t n, struct arena *a)
{
	if (n > MAX_CXX_SYMBOL)
		return NULL;
	/* __cxa_demangle wants a NUL-terminated string, and `n` may have cut an
	 * LLVM suffix off. */
	char buf[MAX_CXX_SYMBOL + 1];
	memcpy(buf, sym, n);
	buf[n] = 0;
	pthread_once(&cxa_once, cxa_load);
	if (!cxa_demangle)
		return NULL;
	int status = 0;
	char *d = cxa_demangle(buf, NULL, NULL, &status);
	if (!d || status != 0) {
		free(d);
		return NULL;
	}
	char *r = arena_strdup(a, d);
	free(d);
	return r;
}

/* ---- Rust legacy: _ZN <len><ident>... 17h<16 hex> E --------------------- */

/* Checks that sym[0, n) is "_ZN", length-prefixed ASCII elements, 'E', and
 * that the last element is rustc's hash "h" + 16 hex digits: that hash is
 * what tells a Rust legacy symbol from a C++ nested name. Returns the offset
 * just past the 'E', or 0 when it is not a Rust legacy symbol. */
static size_t legacy_scan(const char *sym, size_t n, size_t *nelem)
{
	size_t i = 3, count = 0, last = 0, last_len = 0;
	for (;;) {
		if (i >= n || !(is_digit(sym[i]) || sym[i] == 'E'))
			return 0;
		if (sym[i] == 'E')
			break;
		size_t len = 0;
		while (i < n && is_digit(sym[i])) {
			if (len > MAX_SYMBOL)
				return 0;
			len = len * 10 + (size_t)(sym[i++] - '0');
		}
		if (len == 0 || len > n - i)
			return 0;
		for (size_t j = i; j < i + len; j++)
			if ((unsigned char)sym[j] >= 0x80)
				return 0;
		last = i;
		last_len = len;
		i += len;
		count++;
	}
	if (count < 2 || last_len != 17 || sym[last] != 'h')
		return 0;
	for (size_t j = last + 1; j < last + 17; j++)
		if (!is_lhex(sym[j]) && !(sym[j] >= 'A' && sym[j] <= 'F'))
			return 0;
	*nelem = count;
	return i + 1;
}

/* Prints one element, undoing rustc's legacy escapes ("$LT$", "$u20$", ".."
 * for "::"). An escape it does not know stops the decoding and the rest of
 * the element is printed as it is, which is also what rustc-demangle does. */
static void legacy_element(struct out *o, const char *s, size_t n)
{
	static const struct {
		const char *esc, *text;
	} escapes[] = {
		{ "SP", "@" }, { "BP", "*" }, { "RF", "&" }, { "LT", "<" },
		{ "GT", ">" }, { "LP", "(" }, { "RP", ")" }, { "C", "," },
	};
	size_t i = 0;
	/* rustc prefixes '_' to elements that would start with '$' */
	if (n >= 2 && s[0] == '_' && s[1] == '$')
		i = 1;
	while (i < n) {
		if (s[i] == '.') {
			if (i + 1 < n && s[i + 1] == '.') {
				out_str(o, "::");
				i += 2;
			} else {
				out_char(o, '.');
				i++;
			}
			continue;
		}
		if (s[i] != '$') {
			size_t j = i;
			while (j < n && s[j] != '$' && s[j] != '.')
				j++;
			out_add(o, s + i, j - i);
			i = j;
			continue;
		}
		size_t end = i + 1;
		while (end < n && s[end] != '$')
			end++;
		if (end >= n)
			break;
		const char *e = s + i + 1;
		size_t elen = end - i - 1;
		const char *text = NULL;
		for (size_t k = 0; k < sizeof(escapes) / sizeof(escapes[0]); k++)
			if (strlen(escapes[k].esc) == elen && !memcmp(escapes[k].esc, e, elen))
				text = escapes[k].text;
		if (text) {
			out_str(o, text);
			i = end + 1;
			continue;
		}
		if (elen < 2 || elen > 9 || e[0] != 'u')
			break;
		uint32_t c = 0;
		size_t k;
		for (k = 1; k < elen && is_lhex(e[k]); k++)
			c = c << 4 | (uint32_t)hex_val(e[k]);
		/* control characters stay escaped, like rustc-demangle */
		if (k != elen || !is_scalar(c) || c < 0x20 || (c >= 0x7f && c < 0xa0))
			break;
		out_utf8(o, c);
		i = end + 1;
	}
	out_add(o, s + i, n - i);
}

static char *demangle_rust_legacy(const char *sym, size_t n, size_t end, size_t nelem,
				  struct arena *a)
{
	struct out o = { STRBUF_INIT, false };
	size_t i = 3;
	/* the last element is the hash, which the alternate form leaves out */
	for (size_t k = 0; k + 1 < nelem; k++) {
		size_t len = 0;
		while (is_digit(sym[i]))
			len = len * 10 + (size_t)(sym[i++] - '0');
		if (k)
			out_str(&o, "::");
		legacy_element(&o, sym + i, len);
		i += len;
	}
	if (!out_suffix(&o, sym + end, n - end))
		o.full = true;
	return out_finish(&o, a);
}

/* ---- Rust v0: _R <path> [<instantiating crate>] [suffix] ----------------
 *
 * One recursive-descent decoder serves two passes: with `o` NULL it only
 * validates and finds where the symbol ends (back-references are not
 * followed, so that pass is linear), with `o` set it prints. Errors set
 * `err`; every function returns early once it is set. */

struct v0 {
	const char *s;      /* the symbol after "_R" */
	size_t n, pos;
	unsigned depth;
	uint32_t steps;
	uint64_t bound_lt;  /* lifetimes bound by enclosing for<...> binders */
	struct out *o;      /* NULL: validate only */
	bool err;
};

struct ident {
	const char *ascii, *puny;
	size_t alen, plen;
};

/* What a back-reference re-reads: the grammar rule at its target. */
enum v0_kind {
	K_PATH,
	K_PATH_VALUE,       /* a path in value position: generics as ::<...> */
	K_PATH_OPEN,        /* a dyn trait path whose generics stay open */
	K_TYPE,
	K_CONST,
	K_CONST_VALUE,      /* a const nested in another: no braces */
	K_GENERIC_ARG,
	K_DYN_TRAIT,
	K_FIELD,
};

static void v0_path(struct v0 *p, bool in_value);
static void v0_type(struct v0 *p);
static void v0_const(struct v0 *p, bool in_value);
static bool v0_path_open(struct v0 *p);

static void v0_fail(struct v0 *p) { p->err = true; }

static void v0_print(struct v0 *p, const char *s)
{
	if (p->o && !p->err)
		out_str(p->o, s);
}

static int v0_peek(const struct v0 *p) { return p->pos < p->n ? (unsigned char)p->s[p->pos] : 0; }

static bool v0_eat(struct v0 *p, int c)
{
	if (p->err || v0_peek(p) != c)
		return false;
	p->pos++;
	return true;
}

static int v0_next(struct v0 *p)
{
	if (p->err || p->pos >= p->n) {
		v0_fail(p);
		return 0;
	}
	return (unsigned char)p->s[p->pos++];
}

static bool v0_push(struct v0 *p)
{
	if (p->err || ++p->depth > V0_MAX_DEPTH || ++p->steps > V0_MAX_STEPS ||
	    (p->o && p->o->full)) {
		v0_fail(p);
		return false;
	}
	return true;
}

static void v0_pop(struct v0 *p) { p->depth--; }

/* <base-62-number> = {0-9a-zA-Z} "_"; "_" is 0 and "<digits>_" is value + 1. */
static uint64_t v0_base62(struct v0 *p)
{
	if (v0_eat(p, '_'))
		return 0;
	uint64_t x = 0;
	for (;;) {
		int c = v0_next(p);
		if (p->err)
			return 0;
		if (c == '_')
			break;
		unsigned d;
		if (is_digit(c))
			d = (unsigned)(c - '0');
		else if (is_lower(c))
			d = (unsigned)(c - 'a') + 10;
		else if (is_upper(c))
			d = (unsigned)(c - 'A') + 36;
		else {
			v0_fail(p);
			return 0;
		}
		if (x > (UINT64_MAX - d) / 62) {
			v0_fail(p);
			return 0;
		}
		x = x * 62 + d;
	}
	if (x == UINT64_MAX) {
		v0_fail(p);
		return 0;
	}
	return x + 1;
}

/* [<tag> <base-62-number>]: 0 when absent, the number + 1 otherwise. */
static uint64_t v0_opt_base62(struct v0 *p, int tag)
{
	if (!v0_eat(p, tag))
		return 0;
	uint64_t x = v0_base62(p);
	if (x == UINT64_MAX) {
		v0_fail(p);
		return 0;
	}
	return p->err ? 0 : x + 1;
}

/* <undisambiguated-identifier> = ["u"] <decimal-number> ["_"] <bytes>; with
 * "u" the bytes are "<ascii>_<punycode>" or just "<punycode>". */
static bool v0_ident(struct v0 *p, struct ident *id)
{
	memset(id, 0, sizeof(*id));
	bool puny = v0_eat(p, 'u');
	int c = v0_next(p);
	if (p->err || !is_digit(c)) {
		v0_fail(p);
		return false;
	}
	size_t len = (size_t)(c - '0');
	if (len)
		while (is_digit(v0_peek(p))) {
			len = len * 10 + (size_t)(p->s[p->pos++] - '0');
			if (len > p->n) {
				v0_fail(p);
				return false;
			}
		}
	v0_eat(p, '_');
	if (len > p->n - p->pos) {
		v0_fail(p);
		return false;
	}
	const char *b = p->s + p->pos;
	p->pos += len;
	if (!puny) {
		id->ascii = b;
		id->alen = len;
		return true;
	}
	size_t us = len;
	while (us > 0 && b[us - 1] != '_')
		us--;
	if (us) {
		id->ascii = b;
		id->alen = us - 1;
	}
	id->puny = b + us;
	id->plen = len - us;
	if (!id->plen) {
		v0_fail(p);
		return false;
	}
	return true;
}

static bool ident_empty(const struct ident *id) { return !id->alen && !id->plen; }

/* RFC 3492 decoding with Rust's alphabet ('_' delimiter, lowercase digits
 * only). Returns false when it is not valid punycode or too long. */
static bool puny_decode(const struct ident *id, uint32_t *out, size_t *olen)
{
	enum { BASE = 36, TMIN = 1, TMAX = 26, SKEW = 38 };
	size_t len = 0;
	for (size_t k = 0; k < id->alen; k++) {
		if (len == PUNY_MAX)
			return false;
		out[len++] = (unsigned char)id->ascii[k];
	}
	uint64_t n = 0x80, i = 0, bias = 72;
	bool first = true;
	size_t pos = 0;
	while (pos < id->plen) {
		uint64_t old_i = i, w = 1;
		for (uint64_t k = BASE;; k += BASE) {
			if (pos >= id->plen)
				return false;
			int c = (unsigned char)id->puny[pos++];
			uint64_t d;
			if (is_lower(c))
				d = (uint64_t)(c - 'a');
			else if (is_digit(c))
				d = (uint64_t)(c - '0') + 26;
			else
				return false;
			/* past 2^32 no valid character can come out: n grows by i / 128 */
			if (d * w > UINT32_MAX || i + d * w > UINT32_MAX)
				return false;
			i += d * w;
			uint64_t t = k <= bias ? TMIN : k >= bias + TMAX ? TMAX : k - bias;
			if (d < t)
				break;
			w *= BASE - t;
			if (w > UINT32_MAX)
				return false;
		}
		if (len == PUNY_MAX)
			return false;
		len++;

		uint64_t delta = (i - old_i) / (first ? 700 : 2);
		first = false;
		delta += delta / len;
		uint64_t k = 0;
		while (delta > ((BASE - TMIN) * TMAX) / 2) {
			delta /= BASE - TMIN;
			k += BASE;
		}
		bias = k + ((BASE - TMIN + 1) * delta) / (delta + SKEW);

		n += i / len;
		i %= len;
		if (!is_scalar(n))
			return false;
		memmove(out + i + 1, out + i, (len - 1 - i) * sizeof(*out));
		out[i] = (uint32_t)n;
		i++;
	}
	*olen = len;
	return true;
}

static void v0_print_ident(struct v0 *p, const struct ident *id)
{
	if (!p->o || p->err)
		return;
	if (!id->plen) {
		out_add(p->o, id->ascii, id->alen);
		return;
	}
	uint32_t chars[PUNY_MAX];
	size_t n;
	if (puny_decode(id, chars, &n)) {
		for (size_t i = 0; i < n; i++)
			out_utf8(p->o, chars[i]);
		return;
	}
	/* undecodable: show it as standard punycode ('-' delimiter) */
	out_str(p->o, "punycode{");
	if (id->alen) {
		out_add(p->o, id->ascii, id->alen);
		out_char(p->o, '-');
	}
	out_add(p->o, id->puny, id->plen);
	out_char(p->o, '}');
}

/* Lifetime `lt` is a de Bruijn index: 1 is the innermost bound one. Bound
 * lifetimes are named 'a, 'b, ... from the outermost binder in, as rustc
 * does. Only checked when printing: validation does not track binders. */
static void v0_print_lifetime(struct v0 *p, uint64_t lt)
{
	if (!p->o || p->err)
		return;
	out_char(p->o, '\'');
	if (lt == 0) {
		out_char(p->o, '_');
		return;
	}
	if (lt > p->bound_lt) {
		v0_fail(p);
		return;
	}
	uint64_t depth = p->bound_lt - lt;
	if (depth < 26) {
		out_char(p->o, (char)('a' + depth));
	} else {
		out_char(p->o, '_');
		out_u64(p->o, depth);
	}
}

/* [<binder>] = "G" <base-62-number>: opens for<'a, ...>; returns how many
 * lifetimes it bound, to be dropped again by the caller. */
static uint64_t v0_binder_open(struct v0 *p)
{
	uint64_t n = v0_opt_base62(p, 'G');
	if (!p->o || p->err || !n)
		return 0;
	uint64_t done = 0;
	out_str(p->o, "for<");
	while (done < n && !p->o->full) {
		if (done)
			out_str(p->o, ", ");
		p->bound_lt++;
		done++;
		v0_print_lifetime(p, 1);
	}
	out_str(p->o, "> ");
	if (p->o->full)
		v0_fail(p);
	return done;
}

static void v0_generic_arg(struct v0 *p)
{
	if (v0_eat(p, 'L'))
		v0_print_lifetime(p, v0_base62(p));
	else if (v0_eat(p, 'K'))
		v0_const(p, false);
	else
		v0_type(p);
}

static void v0_dyn_trait(struct v0 *p)
{
	bool open = v0_path_open(p);
	while (v0_eat(p, 'p')) {
		v0_print(p, open ? ", " : "<");
		open = true;
		struct ident id;
		if (!v0_ident(p, &id))
			return;
		v0_print_ident(p, &id);
		v0_print(p, " = ");
		v0_type(p);
	}
	if (open)
		v0_print(p, ">");
}

/* Struct-like const variant field: <identifier> <const>. */
static void v0_field(struct v0 *p)
{
	struct ident id;
	v0_opt_base62(p, 's');
	if (!v0_ident(p, &id))
		return;
	v0_print_ident(p, &id);
	v0_print(p, ": ");
	v0_const(p, true);
}

static bool v0_one(struct v0 *p, enum v0_kind kind)
{
	switch (kind) {
	case K_PATH: v0_path(p, false); break;
	case K_PATH_VALUE: v0_path(p, true); break;
	case K_PATH_OPEN: return v0_path_open(p);
	case K_TYPE: v0_type(p); break;
	case K_CONST: v0_const(p, false); break;
	case K_CONST_VALUE: v0_const(p, true); break;
	case K_GENERIC_ARG: v0_generic_arg(p); break;
	case K_DYN_TRAIT: v0_dyn_trait(p); break;
	case K_FIELD: v0_field(p); break;
	}
	return false;
}

/* {<kind>} "E" printed with `sep` between; returns how many there were. */
static size_t v0_list(struct v0 *p, enum v0_kind kind, const char *sep)
{
	size_t count = 0;
	while (!p->err && !v0_eat(p, 'E')) {
		if (count)
			v0_print(p, sep);
		v0_one(p, kind);
		count++;
	}
	return count;
}

/* <backref> = "B" <base-62-number>, 'B' already eaten: re-reads an earlier
 * position (relative to after "_R") as `kind`. Targets must lie strictly
 * before the 'B', so following them terminates. Validation does not follow
 * them: the printing pass does, under the depth and step limits. */
static bool v0_backref(struct v0 *p, enum v0_kind kind)
{
	size_t at = p->pos - 1;
	uint64_t target = v0_base62(p);
	if (p->err)
		return false;
	if (target >= at) {
		v0_fail(p);
		return false;
	}
	if (!p->o || !v0_push(p))
		return false;
	size_t save = p->pos;
	p->pos = (size_t)target;
	bool r = v0_one(p, kind);
	p->pos = save;
	v0_pop(p);
	return r;
}

/* Skips the impl path of M and X: the alternate form shows only the type. */
static void v0_skip_path(struct v0 *p)
{
	struct out *o = p->o;
	p->o = NULL;
	v0_path(p, false);
	p->o = o;
}

static void v0_path(struct v0 *p, bool in_value)
{
	if (!v0_push(p))
		return;
	int tag = v0_next(p);
	struct ident id;
	switch (tag) {
	case 'C':       /* crate root: its disambiguator is the crate hash */
		v0_opt_base62(p, 's');
		if (v0_ident(p, &id))
			v0_print_ident(p, &id);
		break;
	case 'N': {     /* nested: N <namespace> <path> <identifier> */
		int ns = v0_next(p);
		v0_path(p, in_value);
		uint64_t dis = v0_opt_base62(p, 's');
		if (!v0_ident(p, &id))
			break;
		if (is_upper(ns)) {
			/* closures, shims...: unnamed, told apart by the index */
			v0_print(p, "::{");
			v0_print(p, ns == 'C' ? "closure" : ns == 'S' ? "shim" : (char[2]){ (char)ns, 0 });
			if (!ident_empty(&id)) {
				v0_print(p, ":");
				v0_print_ident(p, &id);
			}
			v0_print(p, "#");
			if (p->o && !p->err)
				out_u64(p->o, dis);
			v0_print(p, "}");
		} else if (is_lower(ns)) {
			if (!ident_empty(&id)) {
				v0_print(p, "::");
				v0_print_ident(p, &id);
			}
		} else {
			v0_fail(p);
		}
		break;
	}
	case 'M':       /* inherent impl: <T> */
	case 'X':       /* trait impl: <T as Trait> */
	case 'Y':       /* trait definition: <T as Trait> */
		if (tag != 'Y') {
			v0_opt_base62(p, 's');
			v0_skip_path(p);
		}
		v0_print(p, "<");
		v0_type(p);
		if (tag != 'M') {
			v0_print(p, " as ");
			v0_path(p, false);
		}
		v0_print(p, ">");
		break;
	case 'I':       /* generic arguments */
		v0_path(p, in_value);
		v0_print(p, in_value ? "::<" : "<");
		v0_list(p, K_GENERIC_ARG, ", ");
		v0_print(p, ">");
		break;
	case 'B':
		v0_backref(p, in_value ? K_PATH_VALUE : K_PATH);
		break;
	default:
		v0_fail(p);
	}
	v0_pop(p);
}

/* A path whose trailing generic arguments are left open ("Trait<A" without
 * '>') so a dyn trait's associated type bindings can join the list. */
static bool v0_path_open(struct v0 *p)
{
	if (v0_eat(p, 'B'))
		return v0_backref(p, K_PATH_OPEN);
	if (v0_eat(p, 'I')) {
		v0_path(p, false);
		v0_print(p, "<");
		v0_list(p, K_GENERIC_ARG, ", ");
		return true;
	}
	v0_path(p, false);
	return false;
}

static const char *v0_basic_type(int c)
{
	switch (c) {
	case 'a': return "i8";
	case 'b': return "bool";
	case 'c': return "char";
	case 'd': return "f64";
	case 'e': return "str";
	case 'f': return "f32";
	case 'h': return "u8";
	case 'i': return "isize";
	case 'j': return "usize";
	case 'l': return "i32";
	case 'm': return "u32";
	case 'n': return "i128";
	case 'o': return "u128";
	case 'p': return "_";
	case 's': return "i16";
	case 't': return "u16";
	case 'u': return "()";
	case 'v': return "...";
	case 'x': return "i64";
	case 'y': return "u64";
	case 'z': return "!";
	}
	return NULL;
}

static void v0_fn_sig(struct v0 *p)
{
	uint64_t bound = v0_binder_open(p);
	bool is_unsafe = v0_eat(p, 'U');
	struct ident abi = { 0 };
	bool has_abi = false;
	if (v0_eat(p, 'K')) {
		has_abi = true;
		if (v0_eat(p, 'C')) {
			abi.ascii = "C";
			abi.alen = 1;
		} else if (v0_ident(p, &abi) && (!abi.alen || abi.plen)) {
			v0_fail(p);
		}
	}
	if (is_unsafe)
		v0_print(p, "unsafe ");
	if (has_abi && p->o && !p->err) {
		/* rustc mangles '-' in ABI names ("C-unwind") as '_' */
		out_str(p->o, "extern \"");
		for (size_t i = 0; i < abi.alen; i++)
			out_char(p->o, abi.ascii[i] == '_' ? '-' : abi.ascii[i]);
		out_str(p->o, "\" ");
	}
	v0_print(p, "fn(");
	v0_list(p, K_TYPE, ", ");
	v0_print(p, ")");
	if (!v0_eat(p, 'u')) {  /* a return type of () is not shown */
		v0_print(p, " -> ");
		v0_type(p);
	}
	p->bound_lt -= bound;
}

static void v0_type(struct v0 *p)
{
	int tag = v0_next(p);
	if (p->err)
		return;
	const char *basic = v0_basic_type(tag);
	if (basic) {
		v0_print(p, basic);
		return;
	}
	if (!v0_push(p))
		return;
	switch (tag) {
	case 'R':       /* &T, &mut T, with an optional lifetime */
	case 'Q':
		v0_print(p, "&");
		if (v0_eat(p, 'L')) {
			uint64_t lt = v0_base62(p);
			if (lt) {
				v0_print_lifetime(p, lt);
				v0_print(p, " ");
			}
		}
		if (tag == 'Q')
			v0_print(p, "mut ");
		v0_type(p);
		break;
	case 'P':
	case 'O':
		v0_print(p, tag == 'P' ? "*const " : "*mut ");
		v0_type(p);
		break;
	case 'A':
	case 'S':
		v0_print(p, "[");
		v0_type(p);
		if (tag == 'A') {
			v0_print(p, "; ");
			v0_const(p, true);
		}
		v0_print(p, "]");
		break;
	case 'T':
		v0_print(p, "(");
		if (v0_list(p, K_TYPE, ", ") == 1)
			v0_print(p, ",");
		v0_print(p, ")");
		break;
	case 'F':
		v0_fn_sig(p);
		break;
	case 'D': {
		v0_print(p, "dyn ");
		uint64_t bound = v0_binder_open(p);
		v0_list(p, K_DYN_TRAIT, " + ");
		p->bound_lt -= bound;
		if (!v0_eat(p, 'L')) {
			v0_fail(p);
			break;
		}
		uint64_t lt = v0_base62(p);
		if (lt) {
			v0_print(p, " + ");
			v0_print_lifetime(p, lt);
		}
		break;
	}
	case 'B':
		v0_backref(p, K_TYPE);
		break;
	default:
		/* any other type is a path to a named type: reread the tag as one */
		p->pos--;
		v0_path(p, false);
	}
	v0_pop(p);
}

/* <hex-digits> "_": returns the digits, which may be empty (value 0). */
static bool v0_hex(struct v0 *p, const char **digits, size_t *len)
{
	size_t start = p->pos;
	for (;;) {
		int c = v0_next(p);
		if (p->err)
			return false;
		if (c == '_')
			break;
		if (!is_lhex(c)) {
			v0_fail(p);
			return false;
		}
	}
	*digits = p->s + start;
	*len = p->pos - 1 - start;
	return true;
}

/* Value of hex digits, false when it needs more than 64 bits. */
static bool hex_u64(const char *d, size_t n, uint64_t *v)
{
	while (n && *d == '0') {
		d++;
		n--;
	}
	if (n > 16)
		return false;
	*v = 0;
	for (size_t i = 0; i < n; i++)
		*v = *v << 4 | (uint64_t)hex_val(d[i]);
	return true;
}

static void v0_const_uint(struct v0 *p)
{
	const char *d;
	size_t n;
	uint64_t v;
	if (!v0_hex(p, &d, &n) || !p->o)
		return;
	if (hex_u64(d, n, &v)) {
		out_u64(p->o, v);
	} else {     /* u128 / i128 beyond 64 bits: verbatim, like rustc-demangle */
		out_str(p->o, "0x");
		out_add(p->o, d, n);
	}
}

/* Prints a char the way Rust's char::escape_debug does, except that for
 * non-ASCII it only escapes C1 controls, the soft hyphen and combining
 * diacritical marks (U+0300-U+036F) instead of consulting Unicode's tables. */
static void out_escaped_char(struct out *o, uint32_t c, char quote)
{
	switch (c) {
	case 0: out_str(o, "\\0"); return;
	case '\t': out_str(o, "\\t"); return;
	case '\r': out_str(o, "\\r"); return;
	case '\n': out_str(o, "\\n"); return;
	case '\\': out_str(o, "\\\\"); return;
	case '\'':
	case '"':
		if (c == (uint32_t)quote)
			out_char(o, '\\');
		out_char(o, (char)c);
		return;
	}
	if (c < 0x20 || (c >= 0x7f && c < 0xa0) || c == 0xad || (c >= 0x300 && c < 0x370)) {
		char buf[16];
		int n = snprintf(buf, sizeof(buf), "\\u{%x}", (unsigned)c);
		out_add(o, buf, (size_t)n);
		return;
	}
	out_utf8(o, c);
}

/* A &str const: hex-encoded UTF-8 bytes, "_"-terminated, printed quoted. */
static void v0_const_str(struct v0 *p)
{
	const char *d;
	size_t n;
	if (!v0_hex(p, &d, &n))
		return;
	if (n % 2) {
		v0_fail(p);
		return;
	}
	if (p->o)
		out_char(p->o, '"');
	for (size_t i = 0; i < n;) {
		/* decode one UTF-8 sequence, rejecting overlong forms */
		uint32_t b0 = (uint32_t)(hex_val(d[i]) << 4 | hex_val(d[i + 1]));
		size_t more = b0 < 0x80 ? 0 : (b0 & 0xe0) == 0xc0 ? 1 : (b0 & 0xf0) == 0xe0 ? 2 :
			      (b0 & 0xf8) == 0xf0 ? 3 : 4;
		static const uint32_t min[] = { 0, 0x80, 0x800, 0x10000 };
		if (more == 4 || n - i < 2 * (more + 1)) {
			v0_fail(p);
			return;
		}
		uint32_t c = more ? b0 & (0x3f >> more) : b0;
		for (size_t k = 1; k <= more; k++) {
			uint32_t b = (uint32_t)(hex_val(d[i + 2 * k]) << 4 | hex_val(d[i + 2 * k + 1]));
			if ((b & 0xc0) != 0x80) {
				v0_fail(p);
				return;
			}
			c = c << 6 | (b & 0x3f);
		}
		if (c < min[more] || !is_scalar(c)) {
			v0_fail(p);
			return;
		}
		if (p->o)
			out_escaped_char(p->o, c, '"');
		i += 2 * (more + 1);
	}
	if (p->o)
		out_char(p->o, '"');
}

/* <const>: a const generic argument or a part of one. Outside another
 * const's value (`in_value` false) anything but a literal gets braces, as
 * Rust's syntax requires. */
static void v0_const(struct v0 *p, bool in_value)
{
	int tag = v0_next(p);
	if (!v0_push(p))
		return;
	bool brace = false;
	const char *d;
	size_t n;
	uint64_t v;
	switch (tag) {
	case 'p':
		v0_print(p, "_");
		break;
	case 'h': case 't': case 'm': case 'y': case 'o': case 'j':
		v0_const_uint(p);
		break;
	case 'a': case 's': case 'l': case 'x': case 'n': case 'i':
		if (v0_eat(p, 'n'))
			v0_print(p, "-");
		v0_const_uint(p);
		break;
	case 'b':
		if (!v0_hex(p, &d, &n))
			break;
		if (!hex_u64(d, n, &v) || v > 1)
			v0_fail(p);
		else
			v0_print(p, v ? "true" : "false");
		break;
	case 'c':
		if (!v0_hex(p, &d, &n))
			break;
		if (!hex_u64(d, n, &v) || !is_scalar(v)) {
			v0_fail(p);
		} else if (p->o) {
			out_char(p->o, '\'');
			out_escaped_char(p->o, (uint32_t)v, '\'');
			out_char(p->o, '\'');
		}
		break;
	case 'e':       /* str: a "..." literal is a &str, so show *"..." */
		brace = !in_value;
		v0_print(p, brace ? "{*" : "*");
		v0_const_str(p);
		break;
	case 'R':
	case 'Q':
		if (tag == 'R' && v0_eat(p, 'e')) {
			v0_const_str(p);
			break;
		}
		brace = !in_value;
		v0_print(p, brace ? "{&" : "&");
		if (tag == 'Q')
			v0_print(p, "mut ");
		v0_const(p, true);
		break;
	case 'A':
		brace = !in_value;
		v0_print(p, brace ? "{[" : "[");
		v0_list(p, K_CONST_VALUE, ", ");
		v0_print(p, "]");
		break;
	case 'T':
		brace = !in_value;
		v0_print(p, brace ? "{(" : "(");
		if (v0_list(p, K_CONST_VALUE, ", ") == 1)
			v0_print(p, ",");
		v0_print(p, ")");
		break;
	case 'V':       /* an ADT value: path, then unit, tuple or struct fields */
		brace = !in_value;
		v0_print(p, brace ? "{" : "");
		v0_path(p, true);
		switch (v0_next(p)) {
		case 'U':
			break;
		case 'T':
			v0_print(p, "(");
			v0_list(p, K_CONST_VALUE, ", ");
			v0_print(p, ")");
			break;
		case 'S':
			v0_print(p, " { ");
			v0_list(p, K_FIELD, ", ");
			v0_print(p, " }");
			break;
		default:
			v0_fail(p);
		}
		break;
	case 'B':
		v0_backref(p, in_value ? K_CONST_VALUE : K_CONST);
		break;
	default:
		v0_fail(p);
	}
	if (brace)
		v0_print(p, "}");
	v0_pop(p);
}

/* `sym` is what follows "_R", without an LLVM suffix. */
static char *demangle_rust_v0(const char *sym, size_t n, struct arena *a)
{
	/* a path starts with an uppercase tag; a leading decimal would be an
	 * encoding version, and none but 0 (written as nothing) exists */
	if (!n || !is_upper(sym[0]))
		return NULL;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)sym[i] >= 0x80)
			return NULL;

	struct v0 p = { .s = sym, .n = n };
	v0_path(&p, false);
	/* the instantiating crate, which the alternate form does not show */
	if (!p.err && is_upper(v0_peek(&p)))
		v0_path(&p, false);
	if (p.err)
		return NULL;
	size_t end = p.pos;

	struct out o = { STRBUF_INIT, false };
	p = (struct v0){ .s = sym, .n = end, .o = &o };
	v0_path(&p, true);
	if (p.err || !out_suffix(&o, sym + end, n - end))
		o.full = true;
	return out_finish(&o, a);
}

static char *demangle_n(const char *sym, size_t n, struct arena *a)
{
	if (n > 2 && sym[0] == '_' && sym[1] == 'R')
		return demangle_rust_v0(sym + 2, n - 2, a);
	if (n < 3 || sym[0] != '_' || sym[1] != 'Z')
		return NULL;
	size_t nelem, end;
	if (sym[2] == 'N' && (end = legacy_scan(sym, n, &nelem)) != 0)
		return demangle_rust_legacy(sym, n, end, nelem, a);
	return demangle_cxx(sym, n, a);
}

char *demangle(const char *sym, struct arena *a)
{
	if (!sym || !a)
		return NULL;
	size_t n = strnlen(sym, MAX_SYMBOL + 1), from, to;
	if (n > MAX_SYMBOL)
		return NULL;
	if (!find_llvm_suffix(sym, n, &from, &to))
		return demangle_n(sym, n, a);
	if (to == n)
		return demangle_n(sym, from, a);
	/* rare: clone suffixes after the hash; splice it out of a copy */
	char *copy = malloc(n);
	if (!copy)
		return NULL;
	memcpy(copy, sym, from);
	memcpy(copy + from, sym + to, n - to);
	char *r = demangle_n(copy, n - (to - from), a);
	free(copy);
	return r;
}

/* ---- short names for views ---- */

static bool is_ident(int c)
{
	return is_digit(c) || is_lower(c) || is_upper(c) || c == '_' || c == '$' || (c & 0x80);
}

/* Whether "operator" starts at s[i] as a keyword (not inside an identifier). */
static bool at_operator(const char *s, size_t i, size_t n)
{
	if (n - i < 8 || memcmp(s + i, "operator", 8) != 0)
		return false;
	if (i > 0 && is_ident((unsigned char)s[i - 1]))
		return false;
	return i + 8 >= n || !is_ident((unsigned char)s[i + 8]);
}

/* s[0] is '<' after "::": a Rust qualified path segment ("<impl Trait for
 * Type>" or "<Type as Trait>") rather than turbofish generic arguments? */
static bool rust_qpath(const char *s, size_t n)
{
	if (n > 6 && !memcmp(s + 1, "impl ", 5))
		return true;
	int d = 0;
	for (size_t i = 0; i < n; i++) {
		d += s[i] == '<' ? 1 : s[i] == '>' ? -1 : 0;
		if (!d)
			return false;
		if (d == 1 && n - i > 4 && !memcmp(s + i, " as ", 4))
			return true;
	}
	return false;
}

/* Shortens s[0, n) into o (see demangle_short()). qpath: inside Rust's
 * "<Type as Trait>", where spaces and [] are part of the types. Returns
 * false when the brackets do not balance (the name is then kept whole). */
static bool short_path(struct out *o, const char *s, size_t n, bool qpath)
{
	size_t start = o->sb.len, cut = o->sb.len;   /* before cut: a return type */
	int depth = 0;              /* nesting of the () <> [] being dropped */
	bool in_op = false;         /* "operator new": its spaces are its name */
	bool params = false;        /* the last group dropped was a parameter list */
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (depth) {
			if (c == '(' || c == '<' || c == '[')
				depth++;
			else if (c == ')' || c == '>' || c == ']')
				depth--;
			continue;
		}
		if (at_operator(s, i, n)) {
			/* the operator's brackets are its name: operator<, operator(),
			 * operator[], operator<<=, operator->* */
			out_add(o, s + i, 8);
			size_t j = i + 8;
			if (j < n && s[j] == ' ') {
				in_op = true;   /* operator new, operator delete[], operator bool */
			} else if (j + 1 < n && ((s[j] == '(' && s[j + 1] == ')') || (s[j] == '[' && s[j + 1] == ']'))) {
				out_add(o, s + j, 2);
				j += 2;
			} else {
				/* the longest operator token: operator!=<T> is != and <T> */
				static const char *const tok[] = {
					"<<=", ">>=", "<=>", "->*", "<<", ">>", "<=", ">=", "==", "!=", "&&",
					"||", "++", "--", "+=", "-=", "*=", "/=", "%=", "&=", "|=", "^=", "->",
					"<", ">", "+", "-", "*", "/", "%", "&", "|", "^", "~", "!", "=", ",",
				};
				for (size_t t = 0; t < sizeof(tok) / sizeof(tok[0]); t++) {
					size_t tl = strlen(tok[t]);
					if (n - j >= tl && !memcmp(s + j, tok[t], tl)) {
						out_add(o, s + j, tl);
						j += tl;
						break;
					}
				}
				if (j + 1 < n && s[j] == ' ' && s[j + 1] == '<')
					j++;     /* "operator< <T>(...)": a template operator */
			}
			i = j - 1;
			params = false;
			continue;
		}
		if (c == '(' && n - i >= 21 && !memcmp(s + i, "(anonymous namespace)", 21)) {
			out_add(o, s + i, 21);
			i += 20;
			continue;
		}
		if (qpath && (c == ' ' || c == '[' || c == ']' || c == '&' || c == '*')) {
			out_char(o, (char)c);
			continue;
		}
		if (c == '[' && in_op && i + 1 < n && s[i + 1] == ']') {
			out_add(o, "[]", 2);
			i++;
			continue;
		}
		if (c == '(' || c == '[') {
			in_op = false;
			params = c == '(';
			depth = 1;
			continue;
		}
		if (c == '<') {
			bool after_sep = o->sb.len >= start + 2 && o->sb.buf[o->sb.len - 1] == ':' &&
			                 o->sb.buf[o->sb.len - 2] == ':';
			if (o->sb.len == start || (after_sep && rust_qpath(s + i, n - i))) {
				/* Rust's <Type as Trait>::f and a path through an impl,
				 * core::slice::cmp::<impl PartialEq<[B]> for [A]>::eq:
				 * kept, shortened inside */
				size_t j = i + 1;
				int d = 1;
				for (; j < n && d; j++)
					d += s[j] == '<' ? 1 : s[j] == '>' ? -1 : 0;
				if (d || j + 2 > n || s[j] != ':' || s[j + 1] != ':')
					return false;   /* not <T as Trait>::f: leave the name be */
				out_char(o, '<');
				if (!short_path(o, s + i + 1, j - 1 - (i + 1), true))
					return false;
				out_char(o, '>');
				i = j - 1;
				params = false;
				continue;
			}
			params = false;
			depth = 1;
			continue;
		}
		if (c == ')' || c == '>' || c == ']')
			return false;
		if (c == ' ') {
			if (in_op) {
				out_char(o, ' ');
				continue;
			}
			if (params)
				break;   /* " const", " &&", " [clone .cold]" after the parameters */
			cut = o->sb.len;   /* what came before was a return type */
			continue;
		}
		if (c == ':')
			in_op = false;
		params = false;
		out_char(o, (char)c);
	}
	if (depth)
		return false;
	/* a Rust turbofish dropped: foo::<T>::bar is foo::bar, and
	 * catch_unwind::<F, R> is catch_unwind */
	for (size_t k = start; k + 4 <= o->sb.len;) {
		if (!memcmp(o->sb.buf + k, "::::", 4)) {
			memmove(o->sb.buf + k, o->sb.buf + k + 2, o->sb.len - k - 2);
			o->sb.len -= 2;
		} else {
			k++;
		}
	}
	if (o->sb.len >= start + 2 && !memcmp(o->sb.buf + o->sb.len - 2, "::", 2))
		o->sb.len -= 2;
	if (cut > start) {
		size_t tl = o->sb.len - cut;
		memmove(o->sb.buf + start, o->sb.buf + cut, tl);
		o->sb.len = start + tl;
	}
	while (o->sb.len > start && o->sb.buf[o->sb.len - 1] == ' ')
		o->sb.len--;
	return true;
}

char *demangle_short(const char *name, struct arena *a)
{
	size_t n = strlen(name);
	if (!n || name[0] == '[' || n > MAX_OUTPUT)
		return NULL;
	if (!strpbrk(name, "(<[ "))
		return NULL;
	struct out o = { STRBUF_INIT, false };
	if (!short_path(&o, name, n, false) || !o.sb.len || o.full ||
	    (o.sb.len == n && !memcmp(o.sb.buf, name, n))) {
		sb_release(&o.sb);
		return NULL;
	}
	return out_finish(&o, a);
}
