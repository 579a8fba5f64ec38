/* The .scorch file: a 32-byte header (magic, version, flags, sizes) and one
 * zstd frame with a content checksum holding tagged sections. Writing goes
 * through a streaming compressor; reading validates every count and index
 * before anything is trusted. Layout in docs/format.md. */
#include "profile-io.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zstd.h>

#include "../format/varint.h"
#include "../lib/die.h"
#include "../lib/hashmap.h"
#include "../lib/newfile.h"
#include "../lib/strbuf.h"

#define HDR_SIZE 32
#define EVENTS_PER_SECTION 65536

enum section {
	SEC_STRINGS = 1,
	SEC_META = 2,
	SEC_MODULES = 3,
	SEC_LOCATIONS = 4,
	SEC_STACKS = 5,
	SEC_THREADS = 6,
	SEC_EVENTS = 7,
	SEC_RSS = 8,
	SEC_END = 9,                  /* always last, whatever its number */
	SEC_CPU = 10,                 /* sampling source and rate */
	SEC_SAMPLES = 11,             /* may repeat */
	SEC_ZONE_NAMES = 12,          /* zones: the name table */
	SEC_ZONES = 13,               /* zone spans; may repeat */
	SEC_MARKS = 14,
	SEC_COUNTERS = 15,
	SEC_ZONE_DROPS = 16,          /* calls kept out by --calls-min, in sum */
	SEC_ZONE_ERRORS = 17,         /* mismatched scorch_zone_end() */
	SEC_CODE = 18,                /* machine code of hot functions, for annotation */
	SEC_SOURCES = 19,             /* source lines of that code */
	SEC_NOTES = 20,               /* what the profile cannot show, and why */
	SEC_LAST_KNOWN = SEC_NOTES,
};

/* Where a section may stand: in tag order, END last. */
static int sec_rank(int tag) { return tag == SEC_END ? 1000 : tag; }

/* ---- writing ---- */

/* A zstd-compressing output file; errors stick in err. */
struct zout {
	FILE *f;
	ZSTD_CCtx *z;
	uint8_t *out;
	size_t outcap;
	uint64_t raw_total, comp_total;
	int err;
};

static void zout_init(struct zout *o, FILE *f, int workers)
{
	o->f = f;
	o->z = ZSTD_createCCtx();
	ZSTD_CCtx_setParameter(o->z, ZSTD_c_compressionLevel, 3);
	ZSTD_CCtx_setParameter(o->z, ZSTD_c_checksumFlag, 1);
	/* workers: compress on that many threads while this one encodes (a
	 * libzstd built without threads refuses, and then it is done inline) */
	if (workers)
		ZSTD_CCtx_setParameter(o->z, ZSTD_c_nbWorkers, workers);
	o->outcap = ZSTD_CStreamOutSize();
	o->out = xmalloc(o->outcap);
	o->raw_total = o->comp_total = 0;
	o->err = 0;
}

static void zout_release(struct zout *o)
{
	ZSTD_freeCCtx(o->z);
	free(o->out);
	o->z = NULL;
	o->out = NULL;
}

static void z_feed(struct zout *w, const void *p, size_t n, ZSTD_EndDirective mode)
{
	ZSTD_inBuffer in = { p, n, 0 };
	for (;;) {
		ZSTD_outBuffer out = { w->out, w->outcap, 0 };
		size_t rem = ZSTD_compressStream2(w->z, &out, &in, mode);
		if (ZSTD_isError(rem)) {
			w->err = -EIO;
			return;
		}
		if (out.pos && fwrite(w->out, 1, out.pos, w->f) != out.pos && !w->err)
			w->err = errno ? -errno : -EIO;
		w->comp_total += out.pos;
		if (mode == ZSTD_e_end ? rem == 0 : in.pos == in.size)
			break;
	}
	w->raw_total += n;
}

/* Compresses tag + length + payload (prefix, then body). */
static void z_section(struct zout *o, int tag, const void *prefix, size_t plen, const void *body, size_t blen)
{
	uint8_t h[1 + VARINT_MAX], *e = h;
	*e++ = (uint8_t)tag;
	e = fmt_put_u(e, plen + blen);
	z_feed(o, h, (size_t)(e - h), ZSTD_e_continue);
	if (plen)
		z_feed(o, prefix, plen, ZSTD_e_continue);
	z_feed(o, body ? body : "", blen, ZSTD_e_continue);
}

struct writer {
	struct zout o;
	struct strbuf sec;
	struct strmap strings;
	uint32_t nstrings;
	const char **string_list;
	size_t string_cap;
	struct event_stream *streamed;  /* the events, already compressed */
};

static void w_u(struct strbuf *sb, uint64_t v)
{
	sb_grow(sb, VARINT_MAX);
	uint8_t *e = fmt_put_u((uint8_t *)sb->buf + sb->len, v);
	sb->len = (size_t)(e - (uint8_t *)sb->buf);
}

static void w_s(struct strbuf *sb, int64_t v) { w_u(sb, fmt_zigzag(v)); }

static void w_bytes(struct strbuf *sb, const void *p, size_t n)
{
	w_u(sb, n);
	sb_add(sb, p, n);
}

static uint32_t str_id(struct writer *w, const char *s)
{
	if (!s)
		s = "";
	bool isnew;
	uint32_t id = strmap_intern(&w->strings, s, w->nstrings, &isnew);
	if (isnew) {
		if (w->nstrings == w->string_cap) {
			w->string_cap = w->string_cap ? w->string_cap * 2 : 1024;
			w->string_list = xrealloc(w->string_list, w->string_cap * sizeof(char *));
		}
		w->string_list[w->nstrings++] = s;
	}
	return id;
}

/* Frames the section in w->sec as tag + length + payload and compresses it. */
static void w_section(struct writer *w, int tag)
{
	z_section(&w->o, tag, NULL, 0, w->sec.buf, w->sec.len);
	sb_reset(&w->sec);
}

static void collect_strings(struct writer *w, const struct sc_profile *p)
{
	str_id(w, "");
	str_id(w, p->exe);
	str_id(w, p->host);
	str_id(w, p->scorch_version);
	for (uint32_t i = 0; i < p->argc; i++)
		str_id(w, p->argv[i]);
	for (size_t i = 0; i < p->nmodules; i++) {
		str_id(w, p->modules[i].name);
		str_id(w, p->modules[i].path);
	}
	for (size_t i = 0; i < p->nlocations; i++)
		for (uint32_t j = 0; j < p->locations[i].nlines; j++) {
			str_id(w, p->locations[i].lines[j].func);
			str_id(w, p->locations[i].lines[j].file);
		}
	for (size_t i = 0; i < p->nthreads; i++)
		str_id(w, p->threads[i].name);
	str_id(w, p->sample_source);
	for (size_t i = 0; i < p->nzone_names; i++) {
		str_id(w, p->zone_names[i].name);
		str_id(w, p->zone_names[i].file);
	}
	for (size_t i = 0; i < p->ncodes; i++) {
		str_id(w, p->codes[i].name);
		for (uint32_t j = 0; j < p->codes[i].nrows; j++)
			str_id(w, p->codes[i].rows[j].file);
		for (uint32_t j = 0; j < p->codes[i].ntargets; j++)
			str_id(w, p->codes[i].targets[j].name);
	}
	for (size_t i = 0; i < p->nsources; i++)
		str_id(w, p->sources[i].file);
	for (size_t i = 0; i < p->nnotes; i++) {
		str_id(w, p->notes[i].path);
		str_id(w, p->notes[i].detail);
	}
}

/* The address model shared by writer and reader (docs/format.md, EVENTS). */
#define RECENT 16

struct addr_coder {
	struct u64map live;           /* writer: address -> ordinal of its allocation */
	uint64_t *addrs;              /* reader: address of each allocation, by ordinal */
	size_t nallocs, cap;
	uint64_t recent[RECENT];      /* last freed addresses, [0] most recent */
};

static void addr_coder_init(struct addr_coder *c)
{
	memset(c, 0, sizeof(*c));
	u64map_init(&c->live, 1024);
}

static void addr_coder_release(struct addr_coder *c)
{
	u64map_release(&c->live);
	free(c->addrs);
}

static void recent_push(struct addr_coder *c, uint64_t a)
{
	memmove(c->recent + 1, c->recent, (RECENT - 1) * sizeof(c->recent[0]));
	c->recent[0] = a;
}

/* An allocation at a: returns the 1-based recent slot holding a, or 0. */
static unsigned addr_coder_alloc(struct addr_coder *c, uint64_t a)
{
	unsigned slot = 0;
	for (unsigned i = 0; a && i < RECENT && !slot; i++)
		if (c->recent[i] == a)
			slot = i + 1;
	c->nallocs++;
	if (a)
		*u64map_put(&c->live, a, NULL) = c->nallocs;
	return slot;
}

/* A free of a: returns how many allocations back its block was made
 * (>= 1), or 0 when a was not live (free(NULL), or allocated before
 * recording). */
static uint64_t addr_coder_free(struct addr_coder *c, uint64_t a)
{
	uint64_t ord = 0, back = 0;
	if (a && u64map_del(&c->live, a, &ord))
		back = c->nallocs - ord + 1;
	if (a)
		recent_push(c, a);
	return back;
}

/* Events go in sections of at most 64K. Addresses, the costliest field,
 * are mostly implied: a free names its block by how many allocations back
 * it was made, and an allocation that reuses one of the last RECENT freed
 * addresses (what allocators do) names that slot. The model keeps the real
 * addresses; the reader rebuilds them exactly. */
struct ev_encoder {
	struct addr_coder ac;
	struct strbuf sec;            /* events of the open section */
	size_t n;                     /* how many */
	uint64_t t, addr;             /* delta bases, reset per section */
	uint64_t total, last_time;
};

static void ev_encoder_init(struct ev_encoder *e)
{
	memset(e, 0, sizeof(*e));
	addr_coder_init(&e->ac);
}

static void ev_encoder_flush(struct ev_encoder *enc, struct zout *o)
{
	if (!enc->n)
		return;
	uint8_t nb[VARINT_MAX];
	size_t nl = (size_t)(fmt_put_u(nb, enc->n) - nb);
	z_section(o, SEC_EVENTS, nb, nl, enc->sec.buf, enc->sec.len);
	sb_reset(&enc->sec);
	enc->n = 0;
	enc->t = enc->addr = 0;
}

static void ev_encoder_add(struct ev_encoder *enc, struct zout *o, const struct sc_event *e)
{
	struct strbuf *s = &enc->sec;
	/* the hot loop of the writer: room for the largest event is made once,
	 * then bytes go straight into the buffer */
	sb_grow(s, 1 + 6 * VARINT_MAX);
	uint8_t *q = (uint8_t *)s->buf + s->len;
	*q++ = (uint8_t)((e->kind << 5) | e->func);
	q = fmt_put_u(q, e->time - enc->t);
	enc->t = e->time;
	q = fmt_put_u(q, e->thread);
	uint64_t code;
	if (e->kind == EV_ALLOC) {
		q = fmt_put_u(q, e->stack);
		q = fmt_put_u(q, e->size);
		code = addr_coder_alloc(&enc->ac, e->addr);
	} else {
		code = addr_coder_free(&enc->ac, e->addr);
	}
	q = fmt_put_u(q, code);
	if (!code) {
		q = fmt_put_s(q, (int64_t)(e->addr - enc->addr));
		enc->addr = e->addr;
	}
	s->len = (size_t)(q - (uint8_t *)s->buf);
	enc->total++;
	enc->last_time = e->time;
	if (++enc->n == EVENTS_PER_SECTION)
		ev_encoder_flush(enc, o);
}

static void ev_encoder_finish(struct ev_encoder *enc, struct zout *o)
{
	ev_encoder_flush(enc, o);
	addr_coder_release(&enc->ac);
	sb_release(&enc->sec);
}

/* ---- events compressed while the program runs ---- */

struct event_stream {
	char *path;
	struct zout o;
	struct ev_encoder enc;
	int closed;
};

struct event_stream *event_stream_open(const char *path, int *err)
{
	/* a new file of the launcher's own, never one found at the name */
	int fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	FILE *f = fd >= 0 ? fdopen(fd, "w+b") : NULL;
	if (!f) {
		*err = -errno;
		if (fd >= 0) {
			close(fd);
			unlink(path);
		}
		return NULL;
	}
	struct event_stream *s = xcalloc(1, sizeof(*s));
	s->path = xstrdup(path);
	/* inline: this runs beside the profiled program, which should keep
	 * the other core to itself */
	zout_init(&s->o, f, 0);
	ev_encoder_init(&s->enc);
	return s;
}

int event_stream_add(struct event_stream *s, const struct sc_event *ev, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (s->enc.total && ev[i].time < s->enc.last_time)
			return s->o.err = -EINVAL;
		ev_encoder_add(&s->enc, &s->o, &ev[i]);
	}
	return s->o.err;
}

uint64_t event_stream_count(const struct event_stream *s) { return s->enc.total; }

int event_stream_flush(struct event_stream *s)
{
	if (s->closed)
		return -EINVAL;
	ev_encoder_flush(&s->enc, &s->o);
	z_feed(&s->o, "", 0, ZSTD_e_flush);
	if (!s->o.err && fflush(s->o.f) != 0)
		s->o.err = errno ? -errno : -EIO;
	return s->o.err;
}

void event_stream_discard(struct event_stream *s)
{
	if (!s)
		return;
	if (!s->closed)
		ev_encoder_finish(&s->enc, &s->o);
	zout_release(&s->o);
	fclose(s->o.f);
	unlink(s->path);
	free(s->path);
	free(s);
}

/* Ends the stream's frame (once: a second call, after a failed write of
 * the profile, copies the same bytes again) and copies its bytes into o's
 * file. An error keeps the errno that caused it (a full disk is ENOSPC, not
 * EIO: the launcher's fallback depends on it) and never replaces an error
 * o already has. */
static void event_stream_splice(struct event_stream *s, struct zout *o)
{
	if (!s->closed) {
		ev_encoder_finish(&s->enc, &s->o);
		s->closed = 1;
		z_feed(&s->o, "", 0, ZSTD_e_end);
		errno = 0;
		if (!s->o.err && fflush(s->o.f) != 0)
			s->o.err = errno ? -errno : -EIO;
	}
	if (o->err)
		return;
	if (s->o.err) {
		o->err = s->o.err;
		return;
	}
	errno = 0;
	if (fseek(s->o.f, 0, SEEK_SET) != 0) {
		o->err = errno ? -errno : -EIO;
		return;
	}
	static char buf[1 << 16];
	size_t n;
	while ((n = fread(buf, 1, sizeof(buf), s->o.f)) > 0) {
		errno = 0;
		if (fwrite(buf, 1, n, o->f) != n) {
			o->err = errno ? -errno : -EIO;
			return;
		}
	}
	if (ferror(s->o.f)) {
		o->err = errno ? -errno : -EIO;
		return;
	}
	o->comp_total += s->o.comp_total;
	o->raw_total += s->o.raw_total;
}

int event_stream_intact(const struct event_stream *s)
{
	return s && !s->o.err;
}

/* The zone sections, when the profile has zones, marks or counters. */
static void write_zones(struct writer *w, const struct sc_profile *p)
{
	struct strbuf *s = &w->sec;
	if (!p->nzone_names)
		return;
	w_u(s, p->nzone_names);
	for (size_t i = 0; i < p->nzone_names; i++) {
		const struct sc_zone_name *n = &p->zone_names[i];
		w_u(s, str_id(w, n->name));
		w_u(s, str_id(w, n->file));
		w_u(s, n->line);
		w_u(s, n->kind);
	}
	w_section(w, SEC_ZONE_NAMES);

	for (size_t i = 0; i < p->nzones; i += EVENTS_PER_SECTION) {
		size_t n = p->nzones - i < EVENTS_PER_SECTION ? p->nzones - i : EVENTS_PER_SECTION;
		uint64_t st = 0;
		w_u(s, n);
		for (size_t k = i; k < i + n; k++) {
			const struct sc_zone *z = &p->zones[k];
			w_u(s, z->thread);
			w_u(s, z->name);
			w_u(s, z->depth);
			w_s(s, (int64_t)(z->start - st));
			st = z->start;
			w_u(s, z->end - z->start);
			w_u(s, z->allocs);
			w_u(s, z->bytes);
			w_u(s, z->flags);
			w_u(s, z->dropped_ns);
		}
		w_section(w, SEC_ZONES);
	}

	uint64_t t = 0;
	w_u(s, p->nmarks);
	for (size_t i = 0; i < p->nmarks; i++) {
		w_u(s, p->marks[i].time - t);
		t = p->marks[i].time;
		w_u(s, p->marks[i].thread);
		w_u(s, p->marks[i].name);
	}
	w_section(w, SEC_MARKS);

	t = 0;
	w_u(s, p->ncounters);
	for (size_t i = 0; i < p->ncounters; i++) {
		uint64_t bits;
		memcpy(&bits, &p->counters[i].value, sizeof(bits));
		w_u(s, p->counters[i].time - t);
		t = p->counters[i].time;
		w_u(s, p->counters[i].thread);
		w_u(s, p->counters[i].name);
		sb_grow(s, 8);
		fmt_put_u64le((uint8_t *)s->buf + s->len, bits);
		s->len += 8;
	}
	w_section(w, SEC_COUNTERS);

	w_u(s, p->nzone_drops);
	for (size_t i = 0; i < p->nzone_drops; i++) {
		const struct sc_zone_drop *d = &p->zone_drops[i];
		w_u(s, d->name);
		w_u(s, d->calls);
		w_u(s, d->total_ns);
		w_u(s, d->self_ns);
		w_u(s, d->min_ns);
		w_u(s, d->max_ns);
		w_u(s, d->outer_ns);
		w_u(s, d->allocs);
		w_u(s, d->bytes);
	}
	w_section(w, SEC_ZONE_DROPS);

	w_u(s, p->nzone_errors);
	for (size_t i = 0; i < p->nzone_errors; i++) {
		const struct sc_zone_error *e = &p->zone_errors[i];
		w_u(s, e->time);
		w_u(s, e->thread);
		w_u(s, e->kind);
		w_u(s, e->expected == UINT32_MAX ? 0 : (uint64_t)e->expected + 1);
		w_u(s, e->given == UINT32_MAX ? 0 : (uint64_t)e->given + 1);
	}
	w_section(w, SEC_ZONE_ERRORS);
}

/* The code and source sections, when the profile keeps code. */
static void write_code(struct writer *w, const struct sc_profile *p)
{
	struct strbuf *s = &w->sec;
	if (!p->ncodes)
		return;
	w_u(s, p->code_machine);
	w_u(s, p->ncodes);
	for (size_t i = 0; i < p->ncodes; i++) {
		const struct sc_code *c = &p->codes[i];
		w_u(s, (uint64_t)c->module);
		w_u(s, c->start);
		w_u(s, str_id(w, c->name));
		w_bytes(s, c->bytes, c->len);
		w_u(s, c->nrows);
		uint64_t a = c->start;
		for (uint32_t j = 0; j < c->nrows; j++) {
			w_u(s, c->rows[j].addr - a);
			a = c->rows[j].addr;
			w_u(s, str_id(w, c->rows[j].file));
			w_u(s, c->rows[j].line);
		}
		w_u(s, c->ntargets);
		a = c->start;
		for (uint32_t j = 0; j < c->ntargets; j++) {
			w_s(s, (int64_t)(c->targets[j].addr - a));
			a = c->targets[j].addr;
			w_u(s, str_id(w, c->targets[j].name));
		}
	}
	w_section(w, SEC_CODE);

	w_u(s, p->nsources);
	for (size_t i = 0; i < p->nsources; i++) {
		const struct sc_source *x = &p->sources[i];
		w_u(s, str_id(w, x->file));
		w_u(s, x->first);
		w_u(s, x->nlines);
		for (uint32_t j = 0; j < x->nlines; j++)
			w_bytes(s, x->lines[j], strlen(x->lines[j]));
	}
	w_section(w, SEC_SOURCES);
}

static void write_body(struct writer *w, const struct sc_profile *p)
{
	struct strbuf *s = &w->sec;

	w_u(s, w->nstrings);
	for (uint32_t i = 0; i < w->nstrings; i++)
		w_bytes(s, w->string_list[i], strlen(w->string_list[i]));
	w_section(w, SEC_STRINGS);

	w_u(s, p->pid);
	w_u(s, p->ppid);
	w_u(s, str_id(w, p->exe));
	w_u(s, p->argc);
	for (uint32_t i = 0; i < p->argc; i++)
		w_u(s, str_id(w, p->argv[i]));
	w_u(s, p->start_wall);
	w_u(s, p->duration);
	w_s(s, p->exit_kind);
	w_s(s, p->exit_value);
	w_u(s, p->depth);
	w_u(s, p->lost_chunks);
	w_u(s, p->lost_bytes);
	w_u(s, str_id(w, p->host));
	w_u(s, str_id(w, p->scorch_version));
	w_section(w, SEC_META);

	w_u(s, p->nmodules);
	for (size_t i = 0; i < p->nmodules; i++) {
		const struct sc_module *m = &p->modules[i];
		w_u(s, str_id(w, m->name));
		w_u(s, str_id(w, m->path));
		w_bytes(s, m->build_id, m->build_id_len);
		w_u(s, m->bias);
		w_u(s, m->lo);
		w_u(s, m->hi);
		w_u(s, m->load_time);
		w_u(s, m->unload_time);
		w_u(s, m->is_main);
	}
	w_section(w, SEC_MODULES);

	w_u(s, p->nlocations);
	for (size_t i = 0; i < p->nlocations; i++) {
		const struct sc_location *l = &p->locations[i];
		w_u(s, l->addr);
		w_u(s, (uint64_t)(l->module + 1));
		w_u(s, l->nlines);
		for (uint32_t j = 0; j < l->nlines; j++) {
			w_u(s, str_id(w, l->lines[j].func));
			w_u(s, str_id(w, l->lines[j].file));
			w_u(s, l->lines[j].line);
			w_u(s, l->lines[j].inlined);
		}
	}
	w_section(w, SEC_LOCATIONS);

	w_u(s, p->nstacks);
	for (size_t i = 0; i < p->nstacks; i++) {
		w_u(s, p->stacks[i].nlocs);
		for (uint32_t j = 0; j < p->stacks[i].nlocs; j++)
			w_u(s, p->stacks[i].locs[j]);
	}
	w_section(w, SEC_STACKS);

	w_u(s, p->nthreads);
	for (size_t i = 0; i < p->nthreads; i++) {
		w_u(s, p->threads[i].tid);
		w_u(s, str_id(w, p->threads[i].name));
		w_u(s, p->threads[i].start);
		w_u(s, p->threads[i].end);
	}
	w_section(w, SEC_THREADS);

	if (!w->streamed) {
		struct ev_encoder enc;
		ev_encoder_init(&enc);
		for (size_t i = 0; i < p->nevents; i++)
			ev_encoder_add(&enc, &w->o, &p->events[i]);
		ev_encoder_finish(&enc, &w->o);
	} else {
		/* the events are already compressed, as frames of their own:
		 * end this frame, append those, and go on in a new one */
		z_feed(&w->o, "", 0, ZSTD_e_end);
		event_stream_splice(w->streamed, &w->o);
	}

	uint64_t t = 0;
	w_u(s, p->nrss);
	for (size_t i = 0; i < p->nrss; i++) {
		w_u(s, p->rss[i].time - t);
		t = p->rss[i].time;
		w_u(s, p->rss[i].bytes);
	}
	w_section(w, SEC_RSS);

	if (p->flags & PROF_CPU) {
		w_u(s, str_id(w, p->sample_source));
		w_u(s, p->sample_hz);
		w_u(s, p->cpu_time_ns);
		w_u(s, p->perf_errno);   /* absent from older files */
		w_u(s, p->leaf_only_samples);   /* likewise */
		w_section(w, SEC_CPU);
		for (size_t i = 0; i < p->nsamples; i += EVENTS_PER_SECTION) {
			size_t n = p->nsamples - i < EVENTS_PER_SECTION ? p->nsamples - i : EVENTS_PER_SECTION;
			uint64_t st = 0;
			w_u(s, n);
			for (size_t k = i; k < i + n; k++) {
				const struct sc_sample *x = &p->samples[k];
				w_u(s, x->time - st);
				st = x->time;
				w_u(s, x->thread);
				w_u(s, x->stack);
				w_u(s, x->weight);
				sb_addc(s, (char)(x->offcpu ? 1 : 0));
			}
			w_section(w, SEC_SAMPLES);
		}
	}

	write_zones(w, p);
	write_code(w, p);
	if (p->nnotes) {
		w_u(s, p->nnotes);
		for (size_t i = 0; i < p->nnotes; i++) {
			w_u(s, p->notes[i].kind);
			w_u(s, p->notes[i].pid);
			w_u(s, str_id(w, p->notes[i].path));
			w_u(s, str_id(w, p->notes[i].detail));
		}
		w_section(w, SEC_NOTES);
	}

	w_u(s, w->streamed ? event_stream_count(w->streamed) : p->nevents);
	w_u(s, p->nstacks);
	w_section(w, SEC_END);
	z_feed(&w->o, "", 0, ZSTD_e_end);
}

/* Copies what was written to from (from the start) to the end of to.
 * 0 or -errno. */
static int copy_out(FILE *from, FILE *to)
{
	static char buf[1 << 16];
	size_t n;
	errno = 0;
	if (fflush(from) != 0 || fseek(from, 0, SEEK_SET) != 0)
		return errno ? -errno : -EIO;
	while ((n = fread(buf, 1, sizeof(buf), from)) > 0) {
		errno = 0;
		if (fwrite(buf, 1, n, to) != n)
			return errno ? -errno : -EIO;
	}
	return ferror(from) ? (errno ? -errno : -EIO) : 0;
}

static int write_profile(const struct sc_profile *p, const char *path, struct event_stream *es,
			 unsigned flags, int *moved_old)
{
	struct writer w;
	memset(&w, 0, sizeof(w));
	w.streamed = es;
	if (moved_old)
		*moved_old = 0;
	if (!es)
		for (size_t i = 1; i < p->nevents; i++)
			if (p->events[i].time < p->events[i - 1].time)
				return -EINVAL;
	/* A new file, named only when complete, never through a planted link
	 * (lib/newfile.h), readable by its owner alone: a profile holds the
	 * command line, paths and source lines. A device or FIFO the user
	 * named is written in place, from a scratch file, since the header is
	 * written last and those cannot seek back to it. */
	struct newfile nf;
	int err = newfile_open(&nf, path, flags | NF_PRIVATE);
	if (err)
		return err;
	FILE *f = nf.f;
	if (nf.in_place && !(f = newfile_scratch())) {
		err = errno ? -errno : -EIO;
		newfile_abort(&nf);
		return err;
	}
	zout_init(&w.o, f, 1);
	strmap_init(&w.strings);

	uint8_t hdr[HDR_SIZE] = { 0 };
	errno = 0;
	if (fwrite(hdr, 1, HDR_SIZE, f) != HDR_SIZE)
		w.o.err = errno ? -errno : -EIO;
	collect_strings(&w, p);
	if (!w.o.err)
		write_body(&w, p);
	memcpy(hdr, PROFILE_MAGIC, 8);
	fmt_put_u32le(hdr + 8, PROFILE_VERSION);
	fmt_put_u32le(hdr + 12, p->flags);
	fmt_put_u64le(hdr + 16, w.o.raw_total);
	fmt_put_u64le(hdr + 24, w.o.comp_total);
	err = w.o.err;
	errno = 0;
	if (!err && (fseek(f, 0, SEEK_SET) != 0 || fwrite(hdr, 1, HDR_SIZE, f) != HDR_SIZE))
		err = errno ? -errno : -EIO;
	if (f != nf.f) {
		if (!err)
			err = copy_out(f, nf.f);
		fclose(f);
	}
	err = newfile_commit(&nf, err, moved_old);
	zout_release(&w.o);
	free(w.string_list);
	strmap_release(&w.strings);
	sb_release(&w.sec);
	return err;
}

int profile_write(const struct sc_profile *p, const char *path)
{
	return write_profile(p, path, NULL, NF_NAMED, NULL);
}

int profile_save(const struct sc_profile *p, const char *path, struct event_stream *es,
		 unsigned flags, int *moved_old)
{
	return write_profile(p, path, es, flags, moved_old);
}

int profile_write_streamed(const struct sc_profile *p, const char *path, struct event_stream *s)
{
	return write_profile(p, path, s, NF_NAMED, NULL);
}

/* ---- reading ---- */

struct reader {
	struct sc_profile *p;
	const char *path;
	char *err;
	size_t errlen;
	const char **strings;
	uint64_t nstrings;
	int have_strings, have_meta, have_end;
	size_t events_cap;
	uint64_t end_events, end_stacks;
	struct addr_coder ac;
	struct sc_zone *zbuf;         /* zone spans while reading, then moved to the arena */
	size_t zcap;
};

static int rfail(struct reader *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int rfail(struct reader *r, const char *fmt, ...)
{
	char msg[256];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	snprintf(r->err, r->errlen, "%s: %s", r->path, msg);
	return -1;
}

static const char *r_str(struct reader *r, struct fmt_reader *f)
{
	uint64_t id = fmt_get_u(f);
	if (id >= r->nstrings) {
		f->err = 1;
		return "";
	}
	return r->strings[id];
}

/* A count that claims more items than bytes remain is corrupt: each item
 * takes at least `min` bytes. This bounds every allocation by the file. */
static uint64_t r_count(struct fmt_reader *f, size_t min)
{
	uint64_t n = fmt_get_u(f);
	if (f->err || n > (uint64_t)(f->end - f->p) / (min ? min : 1))
		f->err = 1;
	return f->err ? 0 : n;
}

static int sec_strings(struct reader *r, struct fmt_reader *f)
{
	uint64_t n = r_count(f, 1);
	r->strings = arena_alloc(&r->p->arena, (n ? n : 1) * sizeof(char *));
	for (uint64_t i = 0; i < n && !f->err; i++) {
		uint64_t len = fmt_get_u(f);
		const uint8_t *s = fmt_get_bytes(f, len);
		r->strings[i] = s ? arena_strndup(&r->p->arena, (const char *)s, len) : "";
	}
	r->nstrings = n;
	r->have_strings = 1;
	return f->err ? -1 : 0;
}

static int sec_meta(struct reader *r, struct fmt_reader *f)
{
	struct sc_profile *p = r->p;
	p->pid = (uint32_t)fmt_get_u(f);
	p->ppid = (uint32_t)fmt_get_u(f);
	p->exe = r_str(r, f);
	uint64_t argc = r_count(f, 1);
	p->argv = arena_alloc(&p->arena, (argc + 1) * sizeof(char *));
	struct strbuf cl = STRBUF_INIT;
	for (uint64_t i = 0; i < argc && !f->err; i++) {
		p->argv[i] = r_str(r, f);
		if (i)
			sb_addc(&cl, ' ');
		sb_adds(&cl, p->argv[i]);
	}
	p->argc = (uint32_t)argc;
	p->cmdline = arena_strdup(&p->arena, sb_str(&cl));
	sb_release(&cl);
	p->start_wall = fmt_get_u(f);
	p->duration = fmt_get_u(f);
	p->exit_kind = (int)fmt_get_s(f);
	p->exit_value = (int)fmt_get_s(f);
	p->depth = (uint32_t)fmt_get_u(f);
	p->lost_chunks = fmt_get_u(f);
	p->lost_bytes = fmt_get_u(f);
	p->host = r_str(r, f);
	p->scorch_version = r_str(r, f);
	r->have_meta = 1;
	return f->err ? -1 : 0;
}

static int sec_modules(struct reader *r, struct fmt_reader *f)
{
	struct sc_profile *p = r->p;
	uint64_t n = r_count(f, 9);
	p->modules = arena_alloc(&p->arena, (n ? n : 1) * sizeof(*p->modules));
	for (uint64_t i = 0; i < n && !f->err; i++) {
		struct sc_module *m = &p->modules[i];
		m->name = r_str(r, f);
		m->path = r_str(r, f);
		uint64_t bl = fmt_get_u(f);
		const uint8_t *b = fmt_get_bytes(f, bl);
		if (bl > sizeof(m->build_id))
			f->err = 1;
		else if (b)
			memcpy(m->build_id, b, bl), m->build_id_len = (uint32_t)bl;
		m->bias = fmt_get_u(f);
		m->lo = fmt_get_u(f);
		m->hi = fmt_get_u(f);
		m->load_time = fmt_get_u(f);
		m->unload_time = fmt_get_u(f);
		m->is_main = fmt_get_u(f) != 0;
	}
	p->nmodules = n;
	return f->err ? -1 : 0;
}

static int sec_locations(struct reader *r, struct fmt_reader *f)
{
	struct sc_profile *p = r->p;
	uint64_t n = r_count(f, 3);
	p->locations = arena_alloc(&p->arena, (n ? n : 1) * sizeof(*p->locations));
	for (uint64_t i = 0; i < n && !f->err; i++) {
		struct sc_location *l = &p->locations[i];
		l->addr = fmt_get_u(f);
		uint64_t mod = fmt_get_u(f);
		if (mod > p->nmodules)
			f->err = 1;
		l->module = (int32_t)mod - 1;
		uint64_t nl = r_count(f, 4);
		l->lines = arena_alloc(&p->arena, (nl ? nl : 1) * sizeof(*l->lines));
		for (uint64_t j = 0; j < nl && !f->err; j++) {
			l->lines[j].func = r_str(r, f);
			l->lines[j].file = r_str(r, f);
			l->lines[j].line = (uint32_t)fmt_get_u(f);
			l->lines[j].inlined = fmt_get_u(f) != 0;
		}
		l->nlines = (uint32_t)nl;
		if (!nl)
			f->err = 1;
	}
	p->nlocations = n;
	return f->err ? -1 : 0;
}

static int sec_stacks(struct reader *r, struct fmt_reader *f)
{
	struct sc_profile *p = r->p;
	uint64_t n = r_count(f, 1);
	p->stacks = arena_alloc(&p->arena, (n ? n : 1) * sizeof(*p->stacks));
	for (uint64_t i = 0; i < n && !f->err; i++) {
		uint64_t k = r_count(f, 1);
		p->stacks[i].locs = arena_alloc(&p->arena, (k ? k : 1) * sizeof(uint32_t));
		for (uint64_t j = 0; j < k && !f->err; j++) {
			uint64_t loc = fmt_get_u(f);
			if (loc >= p->nlocations)
				f->err = 1;
			p->stacks[i].locs[j] = (uint32_t)loc;
		}
		p->stacks[i].nlocs = (uint32_t)k;
	}
	p->nstacks = n;
	return f->err ? -1 : 0;
}

static int sec_threads(struct reader *r, struct fmt_reader *f)
{
	struct sc_profile *p = r->p;
	uint64_t n = r_count(f, 4);
	if (n > 65535)
		f->err = 1;
	p->threads = arena_alloc(&p->arena, (n ? n : 1) * sizeof(*p->threads));
	for (uint64_t i = 0; i < n && !f->err; i++) {
		p->threads[i].tid = (uint32_t)fmt_get_u(f);
		p->threads[i].name = r_str(r, f);
		p->threads[i].start = fmt_get_u(f);
		p->threads[i].end = fmt_get_u(f);
	}
	p->nthreads = n;
	return f->err ? -1 : 0;
}

static int sec_events(struct reader *r, struct fmt_reader *f)
{
	struct sc_profile *p = r->p;
	struct addr_coder *c = &r->ac;
	uint64_t n = r_count(f, 4);
	if (p->nevents + n > r->events_cap) {
		size_t cap = r->events_cap ? r->events_cap : 65536;
		while (cap < p->nevents + n)
			cap *= 2;
		p->events = xrealloc(p->events, cap * sizeof(*p->events));
		r->events_cap = cap;
	}
	uint64_t t = 0, addr = 0;
	uint64_t tbase = p->nevents ? p->events[p->nevents - 1].time : 0;
	for (uint64_t i = 0; i < n && !f->err; i++) {
		struct sc_event *e = &p->events[p->nevents];
		const uint8_t *kb = fmt_get_bytes(f, 1);
		if (!kb)
			break;
		e->kind = *kb >> 5;
		e->func = *kb & 31;
		t += fmt_get_u(f);
		e->time = t;
		uint64_t th = fmt_get_u(f);
		if (th >= p->nthreads || e->func >= FN__COUNT)
			f->err = 1;
		e->thread = (uint16_t)th;
		if (e->kind == EV_ALLOC) {
			uint64_t st = fmt_get_u(f);
			if (st >= p->nstacks)
				f->err = 1;
			e->stack = (uint32_t)st;
			e->size = fmt_get_u(f);
			uint64_t slot = fmt_get_u(f);
			if (slot > RECENT) {
				f->err = 1;
			} else if (slot) {
				e->addr = c->recent[slot - 1];
			} else {
				addr += (uint64_t)fmt_get_s(f);
				e->addr = addr;
			}
			if (c->nallocs == c->cap) {
				c->cap = c->cap ? c->cap * 2 : 65536;
				c->addrs = xrealloc(c->addrs, c->cap * sizeof(*c->addrs));
			}
			c->addrs[c->nallocs++] = e->addr;
		} else if (e->kind == EV_FREE) {
			e->stack = 0;
			e->size = 0;
			uint64_t back = fmt_get_u(f);
			if (back > c->nallocs) {
				f->err = 1;
			} else if (back) {
				e->addr = c->addrs[c->nallocs - back];
			} else {
				addr += (uint64_t)fmt_get_s(f);
				e->addr = addr;
			}
			if (e->addr)
				recent_push(c, e->addr);
		} else {
			f->err = 1;
		}
		if (e->time < tbase)
			f->err = 1;
		if (!f->err)
			p->nevents++;
	}
	return f->err ? -1 : 0;
}

static int sec_rss(struct reader *r, struct fmt_reader *f)
{
	struct sc_profile *p = r->p;
	uint64_t n = r_count(f, 2);
	p->rss = xrealloc(p->rss, (n ? n : 1) * sizeof(*p->rss));
	uint64_t t = 0;
	for (uint64_t i = 0; i < n && !f->err; i++) {
		t += fmt_get_u(f);
		p->rss[i].time = t;
		p->rss[i].bytes = fmt_get_u(f);
	}
	p->nrss = f->err ? 0 : n;
	return f->err ? -1 : 0;
}

static int sec_cpu(struct reader *r, struct fmt_reader *f)
{
	r->p->sample_source = r_str(r, f);
	r->p->sample_hz = (uint32_t)fmt_get_u(f);
	r->p->cpu_time_ns = fmt_get_u(f);
	if (f->p < f->end)
		r->p->perf_errno = (uint32_t)fmt_get_u(f);
	if (f->p < f->end)
		r->p->leaf_only_samples = fmt_get_u(f);
	return f->err ? -1 : 0;
}

static int sec_samples(struct reader *r, struct fmt_reader *f)
{
	struct sc_profile *p = r->p;
	uint64_t n = r_count(f, 5);
	p->samples = xrealloc(p->samples, (p->nsamples + n + 1) * sizeof(*p->samples));
	uint64_t t = 0;
	uint64_t tbase = p->nsamples ? p->samples[p->nsamples - 1].time : 0;
	for (uint64_t i = 0; i < n && !f->err; i++) {
		struct sc_sample *x = &p->samples[p->nsamples];
		t += fmt_get_u(f);
		x->time = t;
		uint64_t th = fmt_get_u(f), st = fmt_get_u(f), w = fmt_get_u(f);
		const uint8_t *off = fmt_get_bytes(f, 1);
		if (th >= p->nthreads || st >= p->nstacks || w > UINT32_MAX || !off || *off > 1 || t < tbase)
			f->err = 1;
		x->thread = (uint16_t)th;
		x->stack = (uint32_t)st;
		x->weight = (uint32_t)w;
		x->offcpu = off ? *off : 0;
		x->pad = 0;
		if (!f->err)
			p->nsamples++;
	}
	return f->err ? -1 : 0;
}

/* ---- zone sections ---- */

static int sec_zone_names(struct reader *r, struct fmt_reader *f)
{
	struct sc_profile *p = r->p;
	uint64_t n = r_count(f, 4);
	p->zone_names = arena_alloc(&p->arena, (n ? n : 1) * sizeof(*p->zone_names));
	for (uint64_t i = 0; i < n && !f->err; i++) {
		struct sc_zone_name *z = &p->zone_names[i];
		z->name = r_str(r, f);
		z->file = r_str(r, f);
		uint64_t line = fmt_get_u(f), kind = fmt_get_u(f);
		if (line > UINT32_MAX || kind > ZONE_KIND_FUNC)
			f->err = 1;
		z->line = (uint32_t)line;
		z->kind = (uint8_t)kind;
	}
	p->nzone_names = n;
	return f->err ? -1 : 0;
}

/* Spans, in order of thread then start; the array grows outside the arena
 * while sections repeat (zones_adopt() moves it in). */
static int sec_zones(struct reader *r, struct fmt_reader *f)
{
	struct sc_profile *p = r->p;
	uint64_t n = r_count(f, 9);
	if (p->nzones + n > r->zcap) {
		size_t cap = r->zcap ? r->zcap : 1024;
		while (cap < p->nzones + n)
			cap *= 2;
		r->zbuf = xrealloc(r->zbuf, cap * sizeof(*r->zbuf));
		r->zcap = cap;
	}
	uint64_t st = 0;
	for (uint64_t i = 0; i < n && !f->err; i++) {
		struct sc_zone *z = &r->zbuf[p->nzones];
		uint64_t th = fmt_get_u(f), name = fmt_get_u(f), depth = fmt_get_u(f);
		st += (uint64_t)fmt_get_s(f);
		uint64_t dur = fmt_get_u(f);
		z->allocs = fmt_get_u(f);
		z->bytes = fmt_get_u(f);
		uint64_t flags = fmt_get_u(f);
		z->dropped_ns = fmt_get_u(f);
		if (th >= p->nthreads || name >= p->nzone_names || depth > UINT16_MAX || flags > UINT16_MAX ||
		    dur > UINT64_MAX - st)
			f->err = 1;
		z->thread = (uint16_t)th;
		z->name = (uint32_t)name;
		z->depth = (uint16_t)depth;
		z->flags = (uint16_t)flags;
		z->start = st;
		z->end = st + dur;
		if (p->nzones) {
			const struct sc_zone *prev = z - 1;
			if (prev->thread > z->thread || (prev->thread == z->thread && prev->start > z->start))
				f->err = 1;
		}
		if (!f->err)
			p->nzones++;
	}
	return f->err ? -1 : 0;
}

static int sec_marks(struct reader *r, struct fmt_reader *f, int counters)
{
	struct sc_profile *p = r->p;
	uint64_t n = r_count(f, counters ? 11 : 3);
	if (counters)
		p->counters = arena_alloc(&p->arena, (n ? n : 1) * sizeof(*p->counters));
	else
		p->marks = arena_alloc(&p->arena, (n ? n : 1) * sizeof(*p->marks));
	uint64_t t = 0;
	for (uint64_t i = 0; i < n && !f->err; i++) {
		t += fmt_get_u(f);
		uint64_t th = fmt_get_u(f), name = fmt_get_u(f);
		if (th >= p->nthreads || name >= p->nzone_names)
			f->err = 1;
		if (counters) {
			const uint8_t *b = fmt_get_bytes(f, 8);
			uint64_t bits = b ? fmt_get_u64le(b) : 0;
			p->counters[i].time = t;
			memcpy(&p->counters[i].value, &bits, sizeof(bits));
			p->counters[i].thread = (uint16_t)th;
			p->counters[i].name = (uint32_t)name;
		} else {
			p->marks[i] = (struct sc_mark){ t, (uint32_t)name, (uint16_t)th };
		}
	}
	if (counters)
		p->ncounters = f->err ? 0 : n;
	else
		p->nmarks = f->err ? 0 : n;
	return f->err ? -1 : 0;
}

static int sec_zone_drops(struct reader *r, struct fmt_reader *f)
{
	struct sc_profile *p = r->p;
	uint64_t n = r_count(f, 9);
	p->zone_drops = arena_alloc(&p->arena, (n ? n : 1) * sizeof(*p->zone_drops));
	for (uint64_t i = 0; i < n && !f->err; i++) {
		struct sc_zone_drop *d = &p->zone_drops[i];
		uint64_t name = fmt_get_u(f);
		if (name >= p->nzone_names)
			f->err = 1;
		d->name = (uint32_t)name;
		d->calls = fmt_get_u(f);
		d->total_ns = fmt_get_u(f);
		d->self_ns = fmt_get_u(f);
		d->min_ns = fmt_get_u(f);
		d->max_ns = fmt_get_u(f);
		d->outer_ns = fmt_get_u(f);
		d->allocs = fmt_get_u(f);
		d->bytes = fmt_get_u(f);
	}
	p->nzone_drops = f->err ? 0 : n;
	return f->err ? -1 : 0;
}

static int sec_zone_errors(struct reader *r, struct fmt_reader *f)
{
	struct sc_profile *p = r->p;
	uint64_t n = r_count(f, 5);
	p->zone_errors = arena_alloc(&p->arena, (n ? n : 1) * sizeof(*p->zone_errors));
	for (uint64_t i = 0; i < n && !f->err; i++) {
		struct sc_zone_error *e = &p->zone_errors[i];
		e->time = fmt_get_u(f);
		uint64_t th = fmt_get_u(f), kind = fmt_get_u(f), ex = fmt_get_u(f), gv = fmt_get_u(f);
		if (th >= p->nthreads || kind < ZONE_ERR_END_MISMATCH || kind > ZONE_ERR_END_UNOPENED ||
		    ex > p->nzone_names || gv > p->nzone_names)
			f->err = 1;
		e->thread = (uint16_t)th;
		e->kind = (uint8_t)kind;
		e->expected = ex ? (uint32_t)(ex - 1) : UINT32_MAX;
		e->given = gv ? (uint32_t)(gv - 1) : UINT32_MAX;
	}
	p->nzone_errors = f->err ? 0 : n;
	return f->err ? -1 : 0;
}

/* Notes: kinds a newer writer adds are kept and shown as unknown; kind 0
 * (a failed exec's retraction) never reaches a profile. */
static int sec_notes(struct reader *r, struct fmt_reader *f)
{
	struct sc_profile *p = r->p;
	uint64_t n = r_count(f, 4);
	p->notes = arena_alloc(&p->arena, (n ? n : 1) * sizeof(*p->notes));
	for (uint64_t i = 0; i < n && !f->err; i++) {
		struct sc_note *x = &p->notes[i];
		uint64_t kind = fmt_get_u(f), pid = fmt_get_u(f);
		if (!kind || kind > UINT32_MAX || pid > UINT32_MAX)
			f->err = 1;
		x->kind = (uint32_t)kind;
		x->pid = (uint32_t)pid;
		x->path = r_str(r, f);
		x->detail = r_str(r, f);
	}
	p->nnotes = f->err ? 0 : n;
	return f->err ? -1 : 0;
}

/* Code: in (module, start) order, apart, rows in order inside it. */
static int sec_code(struct reader *r, struct fmt_reader *f)
{
	struct sc_profile *p = r->p;
	p->code_machine = (uint32_t)fmt_get_u(f);
	uint64_t n = r_count(f, 5);
	p->codes = arena_alloc(&p->arena, (n ? n : 1) * sizeof(*p->codes));
	for (uint64_t i = 0; i < n && !f->err; i++) {
		struct sc_code *c = &p->codes[i];
		uint64_t mi = fmt_get_u(f);
		c->start = fmt_get_u(f);
		c->name = r_str(r, f);
		uint64_t len = fmt_get_u(f);
		const uint8_t *b = fmt_get_bytes(f, len);
		if (!b || mi >= p->nmodules || len == 0 || len > UINT32_MAX || c->start + len < c->start) {
			f->err = 1;
			break;
		}
		uint8_t *copy = arena_alloc(&p->arena, len);
		memcpy(copy, b, len);
		c->bytes = copy;
		c->module = (int32_t)mi;
		c->len = (uint32_t)len;
		if (i && (p->codes[i - 1].module > c->module ||
			  (p->codes[i - 1].module == c->module &&
			   p->codes[i - 1].start + p->codes[i - 1].len > c->start))) {
			f->err = 1;
			break;
		}
		uint64_t nr = r_count(f, 3), a = c->start;
		c->rows = arena_alloc(&p->arena, (nr ? nr : 1) * sizeof(*c->rows));
		for (uint64_t j = 0; j < nr && !f->err; j++) {
			a += fmt_get_u(f);
			c->rows[j].addr = a;
			c->rows[j].file = r_str(r, f);
			uint64_t line = fmt_get_u(f);
			c->rows[j].line = (uint32_t)line;
			if (a > c->start + c->len || line > UINT32_MAX)
				f->err = 1;
		}
		c->nrows = (uint32_t)nr;
		uint64_t nt = r_count(f, 2);
		a = c->start;
		c->targets = arena_alloc(&p->arena, (nt ? nt : 1) * sizeof(*c->targets));
		for (uint64_t j = 0; j < nt && !f->err; j++) {
			a += (uint64_t)fmt_get_s(f);
			c->targets[j].addr = a;
			c->targets[j].name = r_str(r, f);
			if (j && a <= c->targets[j - 1].addr)
				f->err = 1;     /* by address, each once */
		}
		c->ntargets = (uint32_t)nt;
	}
	p->ncodes = f->err ? 0 : n;
	return f->err ? -1 : 0;
}

/* Source excerpts: in (file, first line) order, apart. */
static int sec_sources(struct reader *r, struct fmt_reader *f)
{
	struct sc_profile *p = r->p;
	uint64_t n = r_count(f, 3);
	p->sources = arena_alloc(&p->arena, (n ? n : 1) * sizeof(*p->sources));
	for (uint64_t i = 0; i < n && !f->err; i++) {
		struct sc_source *x = &p->sources[i];
		x->file = r_str(r, f);
		uint64_t first = fmt_get_u(f), nl = r_count(f, 1);
		if (!first || first + nl > UINT32_MAX) {
			f->err = 1;
			break;
		}
		x->first = (uint32_t)first;
		x->nlines = (uint32_t)nl;
		x->lines = arena_alloc(&p->arena, (nl ? nl : 1) * sizeof(char *));
		for (uint64_t j = 0; j < nl && !f->err; j++) {
			uint64_t len = fmt_get_u(f);
			const uint8_t *b = fmt_get_bytes(f, len);
			x->lines[j] = b ? arena_strndup(&p->arena, (const char *)b, len) : "";
			if (!b)
				f->err = 1;
		}
		if (i && !f->err) {
			const struct sc_source *y = &p->sources[i - 1];
			int c = strcmp(y->file, x->file);
			if (c > 0 || (c == 0 && y->first + y->nlines > x->first))
				f->err = 1;
		}
	}
	p->nsources = f->err ? 0 : n;
	return f->err ? -1 : 0;
}

/* Moves the spans read into the profile's arena (ok) or drops them. */
static void zones_adopt(struct reader *r, int ok)
{
	if (ok && r->p->nzones) {
		r->p->zones = arena_alloc(&r->p->arena, r->p->nzones * sizeof(*r->p->zones));
		memcpy(r->p->zones, r->zbuf, r->p->nzones * sizeof(*r->p->zones));
	} else if (!ok) {
		r->p->nzones = 0;
	}
	free(r->zbuf);
	r->zbuf = NULL;
}

static const char *sec_name(int tag)
{
	static const char *names[] = { "?", "strings", "meta", "modules", "locations",
				       "stacks", "threads", "events", "rss", "end", "cpu", "samples",
				       "zone names", "zones", "marks", "counters", "dropped calls",
				       "zone errors", "code", "sources", "notes" };
	return tag > 0 && tag <= SEC_LAST_KNOWN ? names[tag] : "unknown";
}

static int parse_body(struct reader *r, const uint8_t *body, size_t len)
{
	struct fmt_reader f = { body, body + len, 0 };
	int last = 0;
	while (f.p < f.end) {
		int tag = *f.p++;
		uint64_t slen = fmt_get_u(&f);
		const uint8_t *s = fmt_get_bytes(&f, slen);
		if (!s)
			return rfail(r, "corrupt profile: section %s runs past the end of the data", sec_name(tag));
		struct fmt_reader sf = { s, s + slen, 0 };
		if (tag != SEC_STRINGS && !r->have_strings)
			return rfail(r, "corrupt profile: %s section before the string table", sec_name(tag));
		/* sections must come in order (events and samples may repeat), END last */
		if (r->have_end || sec_rank(tag) < sec_rank(last) ||
		    (tag == last && tag != SEC_EVENTS && tag != SEC_SAMPLES && tag != SEC_ZONES))
			return rfail(r, "corrupt profile: section %s out of order", sec_name(tag));
		int rc = 0;
		switch (tag) {
		case SEC_STRINGS: rc = sec_strings(r, &sf); break;
		case SEC_META: rc = sec_meta(r, &sf); break;
		case SEC_MODULES: rc = sec_modules(r, &sf); break;
		case SEC_LOCATIONS: rc = sec_locations(r, &sf); break;
		case SEC_STACKS: rc = sec_stacks(r, &sf); break;
		case SEC_THREADS: rc = sec_threads(r, &sf); break;
		case SEC_EVENTS: rc = sec_events(r, &sf); break;
		case SEC_RSS: rc = sec_rss(r, &sf); break;
		case SEC_CPU: rc = sec_cpu(r, &sf); break;
		case SEC_SAMPLES: rc = sec_samples(r, &sf); break;
		case SEC_ZONE_NAMES: rc = sec_zone_names(r, &sf); break;
		case SEC_ZONES: rc = sec_zones(r, &sf); break;
		case SEC_MARKS: rc = sec_marks(r, &sf, 0); break;
		case SEC_COUNTERS: rc = sec_marks(r, &sf, 1); break;
		case SEC_ZONE_DROPS: rc = sec_zone_drops(r, &sf); break;
		case SEC_ZONE_ERRORS: rc = sec_zone_errors(r, &sf); break;
		case SEC_CODE: rc = sec_code(r, &sf); break;
		case SEC_SOURCES: rc = sec_sources(r, &sf); break;
		case SEC_NOTES: rc = sec_notes(r, &sf); break;
		case SEC_END:
			r->end_events = fmt_get_u(&sf);
			r->end_stacks = fmt_get_u(&sf);
			rc = sf.err ? -1 : 0;
			r->have_end = 1;
			break;
		default:
			/* a newer writer's section: skip it, it is length-prefixed */
			break;
		}
		if (rc || (tag <= SEC_LAST_KNOWN && sf.p != sf.end))
			return rfail(r, "corrupt profile: bad %s section", sec_name(tag));
		if (tag <= SEC_LAST_KNOWN)
			last = tag;
	}
	if (!r->have_meta || !r->have_end)
		return rfail(r, "truncated profile: the %s section is missing", r->have_meta ? "end" : "meta");
	if (r->end_events != r->p->nevents || r->end_stacks != r->p->nstacks)
		return rfail(r, "corrupt profile: %llu events and %zu stacks where the file says %llu and %llu",
			     (unsigned long long)r->p->nevents, r->p->nstacks,
			     (unsigned long long)r->end_events, (unsigned long long)r->end_stacks);
	if (r->p->nstacks == 0)
		return rfail(r, "corrupt profile: no stack table");
	return 0;
}

int profile_read(const char *path, struct sc_profile **out, char *err, size_t errlen)
{
	struct reader r;
	memset(&r, 0, sizeof(r));
	r.path = path;
	r.err = err;
	r.errlen = errlen;
	*out = NULL;

	FILE *fp = fopen(path, "rb");
	if (!fp)
		return rfail(&r, "cannot open: %s", strerror(errno));
	struct stat st;
	if (fstat(fileno(fp), &st) != 0 || !S_ISREG(st.st_mode)) {
		fclose(fp);
		return rfail(&r, "not a regular file");
	}
	uint8_t hdr[HDR_SIZE];
	size_t got = fread(hdr, 1, HDR_SIZE, fp);
	if (got < 8 || memcmp(hdr, PROFILE_MAGIC, 8) != 0) {
		fclose(fp);
		if (got >= 8 && !memcmp(hdr, "SCRAW", 5))
			return rfail(&r, "this is a raw recording stream, not a profile; it is finalized by the scorch launcher");
		return rfail(&r, "not a scorch profile (bad magic)");
	}
	if (got < HDR_SIZE) {
		fclose(fp);
		return rfail(&r, "truncated profile: header cut short");
	}
	uint32_t version = fmt_get_u32le(hdr + 8);
	uint32_t flags = fmt_get_u32le(hdr + 12);
	uint64_t raw_size = fmt_get_u64le(hdr + 16), comp_size = fmt_get_u64le(hdr + 24);
	if (version != PROFILE_VERSION) {
		fclose(fp);
		return rfail(&r, "profile format version %u; this scorch reads version %u", version, PROFILE_VERSION);
	}
	if ((uint64_t)st.st_size < HDR_SIZE + comp_size) {
		fclose(fp);
		return rfail(&r, "truncated profile: %llu of %llu bytes present",
			     (unsigned long long)st.st_size, (unsigned long long)(HDR_SIZE + comp_size));
	}

	/* Decompress, never growing past what the header claims. */
	ZSTD_DCtx *z = ZSTD_createDCtx();
	size_t incap = ZSTD_DStreamInSize();
	uint8_t *in = xmalloc(incap);
	size_t cap = raw_size < (64u << 20) ? (size_t)raw_size + 1 : (64u << 20);
	uint8_t *body = xmalloc(cap);
	size_t blen = 0;
	int rc = 0, done = 0;
	uint64_t left = comp_size;
	while (!rc && left) {
		size_t n = fread(in, 1, left < incap ? (size_t)left : incap, fp);
		if (!n) {
			rc = rfail(&r, "truncated profile: read error");
			break;
		}
		left -= n;
		ZSTD_inBuffer ib = { in, n, 0 };
		while (ib.pos < ib.size) {
			if (blen == cap) {
				if (cap > raw_size) {
					rc = rfail(&r, "corrupt profile: more data than the header says");
					break;
				}
				cap = cap * 2 > raw_size + 1 ? (size_t)raw_size + 1 : cap * 2;
				body = xrealloc(body, cap);
			}
			ZSTD_outBuffer ob = { body + blen, cap - blen, 0 };
			size_t ret = ZSTD_decompressStream(z, &ob, &ib);
			blen += ob.pos;
			if (ZSTD_isError(ret)) {
				rc = rfail(&r, "corrupt profile: %s", ZSTD_getErrorName(ret));
				break;
			}
			/* the body may be several frames back to back: a 0 is the
			 * end of one, and the next starts with the next byte */
			done = ret == 0;
		}
	}
	fclose(fp);
	ZSTD_freeDCtx(z);
	free(in);
	if (!rc && (!done || blen != raw_size))
		rc = rfail(&r, "truncated profile: compressed body incomplete");
	if (rc) {
		free(body);
		return rc;
	}
	r.p = profile_new();
	r.p->version = version;
	r.p->flags = flags;
	rc = parse_body(&r, body, blen);
	free(body);
	free(r.ac.addrs);
	zones_adopt(&r, rc == 0);
	if (rc) {
		profile_free(r.p);
		return rc;
	}
	*out = r.p;
	return 0;
}

/* Decompresses what the stream holds so far (ending its frame: nothing can
 * be added afterwards) back into events, for a finalize that has to fall
 * back to encoding at exit. After a write error the file may end in the
 * middle of a section: everything up to the last complete one is returned. */
int event_stream_read_back(struct event_stream *s, struct sc_event **out, size_t *n)
{
	*out = NULL;
	*n = 0;
	if (!s->closed) {
		ev_encoder_finish(&s->enc, &s->o);
		s->closed = 1;
		z_feed(&s->o, "", 0, ZSTD_e_end);
	}
	fflush(s->o.f);
	if (fseek(s->o.f, 0, SEEK_SET) != 0)
		return -EIO;
	struct reader r;
	memset(&r, 0, sizeof(r));
	char err[128];
	r.err = err;
	r.errlen = sizeof(err);
	r.path = s->path;
	r.p = profile_new();
	r.p->nthreads = 65535;           /* indexes were checked when written */
	r.p->nstacks = (size_t)-1;
	ZSTD_DCtx *z = ZSTD_createDCtx();
	size_t incap = ZSTD_DStreamInSize(), cap = 1 << 20, blen = 0;
	uint8_t *in = xmalloc(incap), *body = xmalloc(cap);
	int rc = 0;
	size_t got;
	while (!rc && (got = fread(in, 1, incap, s->o.f)) > 0) {
		ZSTD_inBuffer ib = { in, got, 0 };
		while (ib.pos < ib.size) {
			if (blen == cap)
				body = xrealloc(body, cap *= 2);
			ZSTD_outBuffer ob = { body + blen, cap - blen, 0 };
			size_t ret = ZSTD_decompressStream(z, &ob, &ib);
			blen += ob.pos;
			if (ZSTD_isError(ret))
				goto decoded;   /* a damaged tail: keep what came before */
		}
	}
decoded:;
	struct fmt_reader f = { body, body + blen, 0 };
	while (!rc && f.p < f.end) {
		int tag = *f.p++;
		uint64_t slen = fmt_get_u(&f);
		const uint8_t *sec = fmt_get_bytes(&f, slen);
		if (!sec)
			break;   /* cut off by the write error */
		struct fmt_reader sf = { sec, sec + slen, 0 };
		if (tag != SEC_EVENTS || sec_events(&r, &sf) != 0)
			rc = -EIO;
	}
	ZSTD_freeDCtx(z);
	free(in);
	free(body);
	free(r.ac.addrs);
	if (!rc) {
		*out = r.p->events;
		*n = r.p->nevents;
		r.p->events = NULL;
	}
	profile_free(r.p);
	return rc;
}
