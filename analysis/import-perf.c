/* The perf script reader behind `scorch import` (see import-perf.h). perf
 * script prints a sample as a header line, "COMM [PID/]TID [CPU] TIME:
 * [PERIOD] EVENT:", then with call graphs one indented "ADDR SYMBOL+OFF
 * (DSO)" line per frame, innermost first (optionally each followed by a
 * "  FILE:LINE" line with -F +srcline), then a blank line; without call
 * graphs the one frame follows the event on the header line. The reader
 * works on the whole input in memory: every name points into it until the
 * builder copies it. */
#include "import-perf.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../lib/die.h"
#include "../lib/hashmap.h"
#include "../lib/strbuf.h"
#include "../lib/vec.h"
#include "import.h"

/* A piece of the input: n bytes at s, not NUL-terminated. */
struct span {
	const char *s;
	size_t n;
};

#define MAX_TOKENS 48   /* header tokens looked at: comm (<= 16 bytes) + 6 fields */

static bool is_ws(char c) { return c == ' ' || c == '\t'; }
static bool is_digit(char c) { return c >= '0' && c <= '9'; }

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static struct span trim(const char *s, size_t n)
{
	while (n && is_ws(*s))
		s++, n--;
	while (n && (is_ws(s[n - 1]) || s[n - 1] == '\r'))
		n--;
	return (struct span){ s, n };
}

static bool span_eq(struct span a, const char *lit)
{
	size_t n = strlen(lit);
	return a.n == n && !memcmp(a.s, lit, n);
}

static size_t tokenize(const char *s, size_t n, struct span *tok, size_t max)
{
	size_t nt = 0, i = 0;
	while (i < n && nt < max) {
		while (i < n && is_ws(s[i]))
			i++;
		if (i >= n)
			break;
		size_t start = i;
		while (i < n && !is_ws(s[i]))
			i++;
		tok[nt++] = (struct span){ s + start, i - start };
	}
	return nt;
}

/* All digits, at most 19 of them (fits in u64 without overflow checks). */
static bool parse_num(struct span t, uint64_t *v)
{
	if (!t.n || t.n > 19)
		return false;
	uint64_t x = 0;
	for (size_t i = 0; i < t.n; i++) {
		if (!is_digit(t.s[i]))
			return false;
		x = x * 10 + (uint64_t)(t.s[i] - '0');
	}
	*v = x;
	return true;
}

static bool parse_u32(struct span t, uint32_t *v)
{
	uint64_t x;
	if (!parse_num(t, &x) || x > UINT32_MAX)
		return false;
	*v = (uint32_t)x;
	return true;
}

/* "SECONDS.FRACTION:" (perf prints microseconds, or ns with --ns) -> ns. */
static bool parse_time(struct span t, uint64_t *ns)
{
	if (t.n < 4 || t.s[t.n - 1] != ':')
		return false;
	const char *dot = memchr(t.s, '.', t.n);
	if (!dot)
		return false;
	struct span sec = { t.s, (size_t)(dot - t.s) };
	struct span frac = { dot + 1, t.n - (size_t)(dot - t.s) - 2 };
	uint64_t s, f;
	if (sec.n > 10 || !frac.n || frac.n > 9 || !parse_num(sec, &s) || !parse_num(frac, &f))
		return false;
	for (size_t i = frac.n; i < 9; i++)
		f *= 10;
	*ns = s * 1000000000ull + f;
	return true;
}

/* "[001]" */
static bool is_cpu(struct span t)
{
	if (t.n < 3 || t.s[0] != '[' || t.s[t.n - 1] != ']')
		return false;
	uint64_t v;
	return parse_num((struct span){ t.s + 1, t.n - 2 }, &v);
}

struct header {
	struct span comm;
	bool has_pid;
	uint32_t pid, tid;
	uint64_t time;              /* ns on perf's clock */
	bool has_period;
	uint64_t period;
	struct span event;          /* as printed, without the final ':' */
	struct span rest;           /* the rest of the line after the event */
	bool sideband;              /* a PERF_RECORD_* line (--show-*-events), not a sample */
};

/* "TID" or "PID/TID" */
static bool parse_pid_tid(struct span t, struct header *h)
{
	const char *slash = memchr(t.s, '/', t.n);
	if (!slash) {
		h->has_pid = false;
		h->pid = 0;
		return parse_u32(t, &h->tid);
	}
	h->has_pid = true;
	size_t a = (size_t)(slash - t.s);
	return parse_u32((struct span){ t.s, a }, &h->pid) &&
	       parse_u32((struct span){ slash + 1, t.n - a - 1 }, &h->tid);
}

/* Reads a sample header; false when the line is not one. The comm may hold
 * spaces, so the fields are found from the time stamp outwards. */
static bool parse_header(const char *line, size_t len, struct header *h)
{
	struct span tok[MAX_TOKENS];
	size_t nt = tokenize(line, len, tok, MAX_TOKENS);
	for (size_t ti = 2; ti < nt; ti++) {
		uint64_t t;
		if (!parse_time(tok[ti], &t))
			continue;
		size_t j = ti - 1;
		if (is_cpu(tok[j]))
			j--;
		if (j < 1 || !parse_pid_tid(tok[j], h))
			continue;
		h->comm = (struct span){ tok[0].s, (size_t)(tok[j - 1].s + tok[j - 1].n - tok[0].s) };
		h->time = t;
		h->sideband = false;
		size_t k = ti + 1;
		if (k < nt && tok[k].n > 12 && !memcmp(tok[k].s, "PERF_RECORD_", 12)) {
			h->sideband = true;
			return true;
		}
		h->has_period = k < nt && parse_num(tok[k], &h->period);
		if (h->has_period)
			k++;
		if (k >= nt || tok[k].n < 2 || tok[k].s[tok[k].n - 1] != ':')
			return false;
		h->event = (struct span){ tok[k].s, tok[k].n - 1 };
		const char *after = tok[k].s + tok[k].n;
		h->rest = trim(after, (size_t)(line + len - after));
		return true;
	}
	return false;
}

bool import_perf_is_header(const char *line, size_t len)
{
	struct header h;
	return parse_header(line, len, &h) && !h.sideband;
}

/* An event's name without perf's modifiers: "cpu-clock:u" -> "cpu-clock". */
static struct span event_base(struct span e)
{
	const char *colon = NULL;
	for (size_t i = e.n; i-- > 0;)
		if (e.s[i] == ':') {
			colon = e.s + i;
			break;
		}
	if (!colon || colon == e.s || colon + 1 == e.s + e.n)
		return e;
	for (const char *c = colon + 1; c < e.s + e.n; c++)
		if (!strchr("ukhHGpPSDIWe", *c))
			return e;
	return (struct span){ e.s, (size_t)(colon - e.s) };
}

static bool is_time_event(struct span base)
{
	return span_eq(base, "cpu-clock") || span_eq(base, "task-clock");
}

/* A frame line, or the frame after the event on a header line. */
struct pframe {
	uint64_t addr;
	struct span sym;            /* n 0: unknown */
	uint64_t off;               /* perf's "+0xOFF" after the symbol */
	bool has_off;
	struct span dso;            /* n 0: none printed or unknown */
	struct span file;           /* from a srcline line; n 0: unknown */
	uint32_t line;
	bool inlined;
};

/* Drops perf's "+0x1f" offset from a symbol, into *off when there is one. */
static struct span strip_offset(struct span s, uint64_t *off, bool *has)
{
	*has = false;
	for (size_t i = s.n; i-- > 0;) {
		if (s.s[i] != '+')
			continue;
		if (i + 3 > s.n || s.s[i + 1] != '0' || s.s[i + 2] != 'x' || s.n - i - 3 > 16)
			return s;
		uint64_t v = 0;
		for (size_t k = i + 3; k < s.n; k++) {
			if (hexval(s.s[k]) < 0)
				return s;
			v = v << 4 | (uint64_t)hexval(s.s[k]);
		}
		*off = v;
		*has = i + 3 < s.n;
		return (struct span){ s.s, i };
	}
	return s;
}

/* "ADDR [SYMBOL[+0xOFF]] [(DSO)]" (s trimmed); "(inlined)" in place of the
 * DSO marks an inlined frame. need_dso: the "(DSO)" part must be there (on a
 * header line, where anything may follow the event). */
static bool parse_frame(struct span s, struct pframe *f, bool need_dso)
{
	size_t k = 0;
	while (k < s.n && hexval(s.s[k]) >= 0)
		k++;
	if (k == 0 || k > 16 || (k < s.n && !is_ws(s.s[k])))
		return false;
	memset(f, 0, sizeof(*f));
	for (size_t i = 0; i < k; i++)
		f->addr = f->addr << 4 | (uint64_t)hexval(s.s[i]);
	struct span rest = trim(s.s + k, s.n - k);
	bool have_paren = false;
	f->sym = rest;
	if (rest.n && rest.s[rest.n - 1] == ')') {
		/* the dso is the last balanced "(...)" that follows a space: a
		 * symbol such as "f(int)" keeps its own parentheses */
		int depth = 0;
		size_t i = rest.n;
		while (i-- > 0) {
			if (rest.s[i] == ')')
				depth++;
			else if (rest.s[i] == '(' && --depth == 0)
				break;
		}
		if (depth == 0 && (i == 0 || is_ws(rest.s[i - 1]))) {
			struct span in = { rest.s + i + 1, rest.n - i - 2 };
			have_paren = true;
			f->sym = trim(rest.s, i);
			if (span_eq(in, "inlined"))
				f->inlined = true;
			else if (!span_eq(in, "unknown") && !span_eq(in, "[unknown]"))
				f->dso = in;
		}
	}
	if (need_dso && !have_paren)
		return false;
	f->sym = strip_offset(f->sym, &f->off, &f->has_off);
	if (span_eq(f->sym, "[unknown]"))
		f->sym.n = 0;
	return true;
}

/* "FILE:LINE[ (inlined)]", the line -F +srcline prints below a frame. */
static bool parse_srcline(struct span s, struct pframe *f)
{
	static const char inl[] = " (inlined)";
	bool inlined = false;
	if (s.n > sizeof(inl) - 1 && !memcmp(s.s + s.n - (sizeof(inl) - 1), inl, sizeof(inl) - 1)) {
		inlined = true;
		s = trim(s.s, s.n - (sizeof(inl) - 1));
	}
	const char *colon = NULL;
	for (size_t i = s.n; i-- > 0;)
		if (s.s[i] == ':') {
			colon = s.s + i;
			break;
		}
	if (!colon || colon == s.s)
		return false;
	struct span file = { s.s, (size_t)(colon - s.s) };
	uint32_t line;
	if (!parse_u32((struct span){ colon + 1, (size_t)(s.s + s.n - colon - 1) }, &line))
		return false;
	if (span_eq(file, "??")) {
		file.n = 0;
		line = 0;
	}
	f->file = file;
	f->line = line;
	if (inlined)
		f->inlined = true;
	return true;
}

struct parser {
	const char *name;
	const struct import_perf_options *o;
	struct import_perf_info info;
	struct import_builder *b;
	char *err;
	size_t errlen;

	bool in_sample;             /* a header was read, its sample not yet ended */
	bool keep;                  /* it is a sample of the event imported */
	size_t header_line;         /* line number of its header */
	struct header h;
	VEC(struct pframe) frames;
	VEC(uint32_t) locs;
	VEC(uint64_t) periods;      /* of the samples imported, for the median */

	struct span event;          /* base name of the event imported; n 0: not yet known */
	bool want_event;            /* o->event given */
	bool all_periods;           /* every imported sample printed a period */
	uint64_t weight_sum;
	bool have_first;
	struct header first;        /* the first imported sample's header */
	struct u64map pids;
	struct span host, cmdline;  /* from perf script --header comments */
	uint64_t headers;           /* sample headers seen, any event */
	VEC(struct import_anchor) anchors;  /* the first "symbol+0xOFF" frame of each module */
	struct u64map anchored;     /* module index -> 1 */
};

static int fail(struct parser *ps, size_t line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static int fail(struct parser *ps, size_t line, const char *fmt, ...)
{
	int n = line ? snprintf(ps->err, ps->errlen, "%s:%zu: ", ps->name, line)
		     : snprintf(ps->err, ps->errlen, "%s: ", ps->name);
	if (n >= 0 && (size_t)n < ps->errlen) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(ps->err + n, ps->errlen - (size_t)n, fmt, ap);
		va_end(ap);
	}
	return -1;
}

/* Remembers the name of a left-out event for the summary. */
static void note_skipped(struct parser *ps, struct span ev)
{
	char *list = ps->info.skipped_events;
	size_t cap = sizeof(ps->info.skipped_events), len = strlen(list);
	/* already listed? */
	for (const char *p = list; *p;) {
		const char *e = strstr(p, ", ");
		size_t n = e ? (size_t)(e - p) : strlen(p);
		if (n == ev.n && !memcmp(p, ev.s, n))
			return;
		p = e ? e + 2 : p + n;
	}
	if (len + 2 + ev.n + 1 > cap)
		return;
	if (len)
		memcpy(list + len, ", ", 2), len += 2;
	memcpy(list + len, ev.s, ev.n);
	list[len + ev.n] = '\0';
}

static int32_t frame_module(struct parser *ps, const struct pframe *f)
{
	return f->dso.n ? import_module(ps->b, f->dso.s, f->dso.n) : -1;
}

/* The module of inlined frame i, which perf prints without a dso: that of
 * the real frame at the same address (perf lists an address's inlined
 * functions, innermost first, before the function that holds them). perf
 * also flags a function "(inlined)" when its debug-info name differs from
 * the symbol's (an alias); with no real frame at its address, its module
 * is unknown rather than guessed. */
static int32_t inlined_module(struct parser *ps, size_t i)
{
	const struct pframe *fr = ps->frames.data;
	for (size_t j = i + 1; j < ps->frames.len && fr[j].addr == fr[i].addr; j++)
		if (!fr[j].inlined || fr[j].dso.n)
			return frame_module(ps, &fr[j]);
	for (size_t j = i; j-- > 0 && fr[j].addr == fr[i].addr;)
		if (!fr[j].inlined || fr[j].dso.n)
			return frame_module(ps, &fr[j]);
	return -1;
}

/* Ends the sample being read: interns its frames and adds it. */
static int end_sample(struct parser *ps)
{
	if (!ps->in_sample)
		return 0;
	ps->in_sample = false;
	if (!ps->keep) {
		ps->frames.len = 0;
		return 0;
	}
	struct header *h = &ps->h;
	size_t n = ps->frames.len;
	ps->locs.len = 0;
	VEC_RESERVE(&ps->locs, n);
	for (size_t i = 0; i < n; i++) {
		const struct pframe *pf = &ps->frames.data[i];
		int32_t mod = pf->inlined && !pf->dso.n ? inlined_module(ps, i) : frame_module(ps, pf);
		struct import_frame f = {
			.addr = pf->addr, .module = mod,
			.func = pf->sym.s, .func_len = pf->sym.n,
			.file = pf->file.s, .file_len = pf->file.n, .line = pf->line,
			.inlined = pf->inlined,
		};
		ps->locs.data[i] = import_location(ps->b, &f);
		if (mod >= 0 && pf->has_off && pf->sym.n && !pf->inlined) {
			bool isnew;
			u64map_put(&ps->anchored, (uint64_t)mod, &isnew);
			if (isnew) {
				struct arena *A = &import_profile(ps->b)->arena;
				struct import_anchor a = { mod, pf->addr, pf->off, arena_strndup(A, pf->sym.s, pf->sym.n) };
				VEC_PUSH(&ps->anchors, a);
			}
		}
	}
	ps->frames.len = 0;
	int64_t st = import_stack(ps->b, ps->locs.data, n);
	if (st < 0)
		return fail(ps, ps->header_line, "sample of %zu frames, more than scorch takes (%u)",
			    n, IMPORT_MAX_DEPTH);
	int th = import_thread(ps->b, h->tid, h->comm.s, h->comm.n);
	if (th < 0)
		return fail(ps, ps->header_line, "more than %u threads", IMPORT_MAX_THREADS);
	uint32_t weight = 1;
	if (h->has_period) {
		VEC_PUSH(&ps->periods, h->period);
		weight = h->period > UINT32_MAX ? UINT32_MAX : (uint32_t)h->period;
	} else {
		ps->all_periods = false;
	}
	ps->weight_sum += weight;
	if (import_sample(ps->b, h->time, (uint32_t)st, (uint16_t)th, weight))
		return fail(ps, ps->header_line, "more than %llu samples",
			    (unsigned long long)IMPORT_MAX_SAMPLES);
	if (h->has_pid) {
		bool isnew;
		u64map_put(&ps->pids, h->pid, &isnew);
	}
	if (!ps->have_first) {
		ps->have_first = true;
		ps->first = *h;
	}
	ps->info.samples++;
	return 0;
}

/* A new sample starts at header h (line `line`). */
static int start_sample(struct parser *ps, const struct header *h, size_t line)
{
	ps->headers++;
	struct span base = event_base(h->event);
	if (!ps->event.n && !ps->want_event)
		ps->event = base;
	ps->in_sample = true;
	ps->h = *h;
	ps->header_line = line;
	ps->keep = base.n == ps->event.n && !memcmp(base.s, ps->event.s, base.n);
	if (ps->keep && !ps->info.event[0]) {
		size_t n = h->event.n < sizeof(ps->info.event) - 1 ? h->event.n : sizeof(ps->info.event) - 1;
		memcpy(ps->info.event, h->event.s, n);
		ps->info.event[n] = '\0';
	}
	if (!ps->keep) {
		ps->info.skipped++;
		note_skipped(ps, base);
	}
	/* without call graphs the sample's one frame follows the event */
	struct pframe f;
	if (h->rest.n && parse_frame(h->rest, &f, true))
		VEC_PUSH(&ps->frames, f);
	return 0;
}

/* "# hostname : vm" and "# cmdline : ..." from perf script --header. */
static void comment(struct parser *ps, struct span s)
{
	static const char *const keys[] = { "hostname", "cmdline" };
	s = trim(s.s + 1, s.n - 1);
	for (size_t i = 0; i < 2; i++) {
		size_t kl = strlen(keys[i]);
		if (s.n <= kl || memcmp(s.s, keys[i], kl))
			continue;
		struct span v = trim(s.s + kl, s.n - kl);
		if (!v.n || v.s[0] != ':')
			continue;
		v = trim(v.s + 1, v.n - 1);
		if (i == 0)
			ps->host = v;
		else
			ps->cmdline = v;
	}
}

/* printf arguments for "%.*s": the start of a line, for messages */
#define SHOWN(t) (int)((t).n < 60 ? (t).n : 60), (t).s

/* One input line (no newline), number `line`. */
static int parse_line(struct parser *ps, const char *s, size_t n, size_t line)
{
	if (memchr(s, '\0', n))
		return fail(ps, line, "NUL byte in the text; is this perf script output?");
	struct span t = trim(s, n);
	if (!t.n)
		return end_sample(ps);
	if (s[0] == '#') {
		if (end_sample(ps))
			return -1;
		comment(ps, t);
		return 0;
	}
	/* headers may be indented too (perf script -F pads the comm), so
	 * every line is tried as one first */
	struct header h;
	if (parse_header(s, n, &h)) {
		if (end_sample(ps))
			return -1;
		return h.sideband ? 0 : start_sample(ps, &h, line);
	}
	if (!is_ws(s[0]))
		return fail(ps, line, "not a perf script sample header (expected "
			    "'COMM [PID/]TID [CPU] TIME: [PERIOD] EVENT:'): '%.*s'", SHOWN(t));
	if (!ps->in_sample)
		return fail(ps, line, "frame line outside a sample (no sample header above it "
			    "since the last blank line): '%.*s'", SHOWN(t));
	struct pframe f;
	if (parse_frame(t, &f, false)) {
		if (ps->frames.len >= IMPORT_MAX_DEPTH)
			return fail(ps, line, "sample of more than %u frames", IMPORT_MAX_DEPTH);
		VEC_PUSH(&ps->frames, f);
		return 0;
	}
	if (ps->frames.len && parse_srcline(t, &ps->frames.data[ps->frames.len - 1]))
		return 0;
	return fail(ps, line, "bad frame line (expected 'ADDRESS SYMBOL+OFFSET (DSO)'): '%.*s'", SHOWN(t));
}

/* The median of the imported samples' periods, 0 without any. */
static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

static uint64_t median_period(struct parser *ps)
{
	if (!ps->periods.len)
		return 0;
	qsort(ps->periods.data, ps->periods.len, sizeof(uint64_t), cmp_u64);
	return ps->periods.data[ps->periods.len / 2];
}

/* Is module m the program itself: its file name is a thread's comm (the
 * kernel cuts comms to 15 bytes)? */
static bool named_like_a_thread(const struct sc_profile *p, const struct sc_module *m)
{
	size_t ml = strlen(m->name);
	for (size_t t = 0; t < p->nthreads; t++) {
		const char *c = p->threads[t].name;
		size_t cl = strlen(c);
		if (cl && (cl == ml || (cl == 15 && ml > 15)) && !strncmp(c, m->name, cl))
			return true;
	}
	return false;
}

/* A shared library by its name: "libc.so.6", "libfoo.so". */
static bool library_name(const char *name)
{
	const char *so = strstr(name, ".so");
	return so && (so[3] == '\0' || so[3] == '.');
}

/* Picks the executable among the modules: the one named like a thread,
 * else the one holding main(), else the only one that is neither a
 * library nor a kernel or vdso pseudo-module ("[vdso]"); -1 otherwise. */
static int32_t main_module(const struct sc_profile *p)
{
	for (size_t i = 0; i < p->nmodules; i++)
		if (p->modules[i].name[0] != '[' && named_like_a_thread(p, &p->modules[i]))
			return (int32_t)i;
	for (size_t i = 0; i < p->nlocations; i++) {
		const struct sc_location *l = &p->locations[i];
		if (l->module >= 0 && !strcmp(l->lines[0].func, "main"))
			return l->module;
	}
	int32_t found = -1;
	for (size_t i = 0; i < p->nmodules; i++) {
		const char *n = p->modules[i].name;
		if (n[0] == '[' || library_name(n))
			continue;
		if (found >= 0)
			return -1;
		found = (int32_t)i;
	}
	return found;
}

/* The profile-wide fields: program, sampling description, rates. */
static void describe(struct parser *ps, struct sc_profile *p)
{
	struct arena *a = &p->arena;
	p->pid = ps->first.has_pid ? ps->first.pid : 0;
	int32_t m = main_module(p);
	if (m >= 0) {
		p->modules[m].is_main = true;
		p->exe = p->modules[m].path;
	} else {
		p->exe = arena_strndup(a, ps->first.comm.s, ps->first.comm.n);
	}
	if (ps->host.n)
		p->host = arena_strndup(a, ps->host.s, ps->host.n);
	if (ps->cmdline.n) {
		/* perf's own command line: what recorded this data */
		p->argc = 1;
		p->argv = arena_alloc(a, sizeof(char *));
		p->argv[0] = arena_strndup(a, ps->cmdline.s, ps->cmdline.n);
		p->cmdline = p->argv[0];
	}
	struct strbuf sb = STRBUF_INIT;
	sb_addf(&sb, "perf script (%s)", ps->info.event);
	p->sample_source = arena_strdup(a, sb.buf);
	sb_release(&sb);
	ps->info.ns_weights = is_time_event(ps->event) && ps->all_periods;
	if (ps->info.ns_weights) {
		uint64_t med = median_period(ps);
		p->sample_hz = med ? (uint32_t)((1000000000ull + med / 2) / med) : 0;
		p->cpu_time_ns = ps->weight_sum;
	} else {
		/* counts of some other event, or no periods: no time to tell */
		for (size_t i = 0; i < p->nsamples; i++)
			p->samples[i].weight = 1;
		p->sample_hz = 0;
		p->cpu_time_ns = 0;
	}
	ps->info.processes = ps->pids.len;
}

/* Whether the input holds nothing but blanks. */
static bool blank(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!is_ws(s[i]) && s[i] != '\n' && s[i] != '\r')
			return false;
	return true;
}

int import_perf(const char *data, size_t len, const char *name,
		const struct import_perf_options *o, struct sc_profile **out,
		struct import_perf_info *info, char *err, size_t errlen)
{
	static const struct import_perf_options none;
	struct parser ps;
	memset(&ps, 0, sizeof(ps));
	ps.name = name;
	ps.o = o ? o : &none;
	ps.err = err;
	ps.errlen = errlen;
	ps.all_periods = true;
	ps.b = import_builder_new();
	u64map_init(&ps.pids, 16);
	u64map_init(&ps.anchored, 16);
	if (ps.o->event && *ps.o->event) {
		ps.want_event = true;
		ps.event = event_base((struct span){ ps.o->event, strlen(ps.o->event) });
	}
	*out = NULL;

	int rc = 0;
	size_t line = 0;
	for (const char *p = data, *end = data + len; p < end && !rc;) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *le = nl ? nl : end;
		rc = parse_line(&ps, p, (size_t)(le - p), ++line);
		p = nl ? nl + 1 : end;
	}
	if (!rc)
		rc = end_sample(&ps);
	if (!rc && !ps.info.samples) {
		if (blank(data, len))
			rc = fail(&ps, 0, "empty input: no perf script samples");
		else if (!ps.headers)
			rc = fail(&ps, 0, "no samples: not a single 'COMM TID TIME: PERIOD EVENT:' "
				  "header line (is this `perf script` output?)");
		else
			rc = fail(&ps, 0, "no samples of event '%s' (the input has: %s)",
				  ps.o->event, ps.info.skipped_events);
	}
	if (!rc) {
		struct sc_profile *p = import_finish(ps.b);
		describe(&ps, p);
		*out = p;
		if (info) {
			*info = ps.info;
			/* in the profile's arena: they live as long as it */
			info->anchors = arena_alloc(&p->arena, (ps.anchors.len + 1) * sizeof(*ps.anchors.data));
			if (ps.anchors.len)
				memcpy(info->anchors, ps.anchors.data, ps.anchors.len * sizeof(*ps.anchors.data));
			info->nanchors = ps.anchors.len;
		}
	}
	import_builder_free(ps.b);
	u64map_release(&ps.pids);
	u64map_release(&ps.anchored);
	VEC_FREE(&ps.anchors);
	VEC_FREE(&ps.frames);
	VEC_FREE(&ps.locs);
	VEC_FREE(&ps.periods);
	return rc ? -1 : 0;
}
