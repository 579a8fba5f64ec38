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
#include "code.h"
#include "evcodec.h"

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
	SEC_ZONE_STATS = 21,          /* zones: per thread and name, the figures of every span */
	SEC_EVENT_BLOCK = 22,         /* heap events by column (evcodec.h), version 2; may repeat */
	SEC_RUN = 23,                 /* the run: its id, and the other profiles of it */
	SEC_LAST_KNOWN = SEC_RUN,
};

/* Where a section may stand: in tag order, END last; event blocks where
 * EVENTS stood. */
static int sec_rank(int tag)
{
	return tag == SEC_END ? 1000 : tag == SEC_EVENT_BLOCK ? SEC_EVENTS : tag;
}

/* ns per time tick of the event blocks scorch writes: 1 us. Times to the
 * ns cost 6-16 times as much (docs/format.md, EVENT_BLOCK). */
#define EVENT_TIME_UNIT 1000
/* Events a block of the launcher's stream takes (EVC_BLOCK_MAX at exit):
 * the encoder's columns and this block's buffer are 128 bytes an event
 * (8 MiB at EVC_BLOCK_MAX, 2 MiB here: issue 12's launcher RSS); the
 * events of bench/heap-scale.sh's profiles re-encoded against blocks of
 * EVC_BLOCK_MAX: +0.6% random storms, +12% main/periodic (each block
 * restarts the predictors), -5% threads4/periodic, +7% python, -3% sqlite3
 * (32768: +0.2%, +5%, -4%, +3%, -4%, for 2 MiB more). */
#define EVENT_STREAM_BLOCK 16384u
/* Events a block takes in a sampled heap profile written from memory: its
 * events are few (38,000 for a 10M-allocation storm at 512 KiB), and the
 * encoder's columns are touched as far as a block goes: one block of
 * EVC_BLOCK_MAX touched 96 bytes an event of fresh pages. Blocks of 4096
 * touched fewer, but each block pays the predictor's search (find_period,
 * pack_cost on up to PICK_SAMPLE values): write_profile's perf samples over
 * 12 runs of that storm, 65536 458, 16384 422, 4096 555. */
#define EVENT_SAMPLED_BLOCK EVENT_STREAM_BLOCK

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
	if (p->run_id)
		str_id(w, p->run_id);
	for (size_t i = 0; i < p->nrelatives; i++)
		str_id(w, p->relatives[i]);
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

/* Events go in blocks of at most EVC_BLOCK_MAX, each one EVENT_BLOCK
 * section encoded by evcodec.c; the encoder's state (allocation ordinals,
 * the live blocks, the last time) runs across the blocks. */
struct ev_encoder {
	struct evc_encoder *evc;
	struct sc_event *buf;         /* events of the open block */
	size_t n;                     /* how many */
	size_t block;                 /* events a block takes (<= EVC_BLOCK_MAX) */
	struct strbuf sec;
	uint64_t total, last_time;
};

static void ev_encoder_init(struct ev_encoder *e, size_t block)
{
	memset(e, 0, sizeof(*e));
	e->evc = evc_encoder_new(EVENT_TIME_UNIT);
	e->block = block;
	e->buf = xmalloc(block * sizeof(*e->buf));
}

static void ev_encoder_flush(struct ev_encoder *enc, struct zout *o)
{
	if (!enc->n)
		return;
	if (evc_encode(enc->evc, enc->buf, enc->n, &enc->sec) != 0) {
		/* checked as they were added: cannot happen */
		o->err = -EINVAL;
	} else {
		z_section(o, SEC_EVENT_BLOCK, NULL, 0, enc->sec.buf, enc->sec.len);
	}
	sb_reset(&enc->sec);
	enc->n = 0;
}

/* e must not be earlier than the event before it, and its kind and func
 * must be known: else -EINVAL and nothing is added. */
static int ev_encoder_add(struct ev_encoder *enc, struct zout *o, const struct sc_event *e)
{
	if ((enc->total && e->time < enc->last_time) || (e->kind != EV_ALLOC && e->kind != EV_FREE) ||
	    e->func >= FN__COUNT)
		return -EINVAL;
	enc->buf[enc->n] = *e;
	enc->total++;
	enc->last_time = e->time;
	if (++enc->n == enc->block)
		ev_encoder_flush(enc, o);
	return 0;
}

static void ev_encoder_finish(struct ev_encoder *enc, struct zout *o)
{
	ev_encoder_flush(enc, o);
	sb_release(&enc->sec);
	free(enc->buf);
	enc->buf = NULL;
}

static void ev_encoder_release(struct ev_encoder *enc)
{
	evc_encoder_free(enc->evc);
	enc->evc = NULL;
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
	/* level 1: the stream is spliced into the profile as it is; on a
	 * 10M-allocation storm 0.35% larger than level 3 (32.64 / 32.52 MB),
	 * and zstd was a tenth of the launcher's samples at level 3 */
	ZSTD_CCtx_setParameter(s->o.z, ZSTD_c_compressionLevel, 1);
	ev_encoder_init(&s->enc, EVENT_STREAM_BLOCK);
	return s;
}

int event_stream_add(struct event_stream *s, const struct sc_event *ev, size_t n)
{
	if (s->closed)
		return -EINVAL;
	for (size_t i = 0; i < n; i++)
		if (ev_encoder_add(&s->enc, &s->o, &ev[i]) != 0)
			return s->o.err = -EINVAL;
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
	ev_encoder_release(&s->enc);
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

/* Per thread and name, the figures of every span (and which spans the
 * zones sections kept), when the profile has them. */
static void write_zone_stats(struct writer *w, const struct sc_profile *p)
{
	struct strbuf *s = &w->sec;
	if (!p->have_zone_stats)
		return;
	w_u(s, p->zone_keep_ns);
	w_u(s, p->zone_spans_total);
	w_u(s, p->nzone_stats);
	for (size_t i = 0; i < p->nzone_stats; i++) {
		const struct sc_zone_stat *x = &p->zone_stats[i];
		w_u(s, x->thread);
		w_u(s, x->name);
		w_u(s, x->calls);
		w_u(s, x->total_ns);
		w_u(s, x->self_ns);
		w_u(s, x->sum_ns);
		w_u(s, x->min_ns);
		w_u(s, x->max_ns);
		w_u(s, x->allocs);
		w_u(s, x->bytes);
		w_u(s, x->self_allocs);
		w_u(s, x->self_bytes);
		w_u(s, x->unwound);
		w_u(s, x->unfinished);
		w_u(s, x->thread_exit);
		w_u(s, x->coarse);
		w_u(s, x->nhist);
		uint64_t v = 0;
		for (uint32_t k = 0; k < x->nhist; k++) {
			w_u(s, x->hist[k].value - v);
			v = x->hist[k].value;
			w_u(s, x->hist[k].count);
		}
	}
	w_section(w, SEC_ZONE_STATS);
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
	w_u(s, p->lost_events);   /* added after the first release: optional */
	if (p->heap_sample)
		w_u(s, p->heap_sample);   /* version 3 only */
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

	if (!w->streamed && p->lazy) {
		/* the events are still in the file it was read from */
		struct ev_encoder enc;
		ev_encoder_init(&enc, EVC_BLOCK_MAX);
		char err[256];
		struct profile_event_src *src = profile_events_open(p, err, sizeof(err));
		const struct sc_event *ev;
		size_t n;
		if (!src)
			w->o.err = -EIO;
		while (src && !w->o.err && (n = profile_events_next(src, &ev)) > 0)
			for (size_t i = 0; i < n && !w->o.err; i++)
				if (ev_encoder_add(&enc, &w->o, &ev[i]) != 0)
					w->o.err = -EINVAL;
		if (profile_events_close(src, err, sizeof(err)) != 0 && !w->o.err)
			w->o.err = -EIO;
		ev_encoder_finish(&enc, &w->o);
		ev_encoder_release(&enc);
	} else if (!w->streamed) {
		/* in memory, and checked above (write_profile): encoded where
		 * they are, not copied into a block buffer first */
		struct evc_encoder *evc = evc_encoder_new(EVENT_TIME_UNIT);
		struct strbuf sec = STRBUF_INIT;
		size_t block = p->heap_sample ? EVENT_SAMPLED_BLOCK : EVC_BLOCK_MAX;
		for (size_t i = 0, n; i < p->nevents && !w->o.err; i += n) {
			n = p->nevents - i < block ? p->nevents - i : block;
			if (evc_encode(evc, p->events + i, n, &sec) != 0)
				w->o.err = -EINVAL;
			else
				z_section(&w->o, SEC_EVENT_BLOCK, NULL, 0, sec.buf, sec.len);
			sb_reset(&sec);
		}
		sb_release(&sec);
		evc_encoder_free(evc);
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

	write_zone_stats(w, p);
	if ((p->run_id && *p->run_id) || p->nrelatives) {
		w_u(s, str_id(w, p->run_id ? p->run_id : ""));
		w_u(s, p->nrelatives);
		for (size_t i = 0; i < p->nrelatives; i++)
			w_u(s, str_id(w, p->relatives[i]));
		w_section(w, SEC_RUN);
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
	if (!es && !p->lazy)
		for (size_t i = 0; i < p->nevents; i++)
			if ((i && p->events[i].time < p->events[i - 1].time) ||
			    (p->events[i].kind != EV_ALLOC && p->events[i].kind != EV_FREE) ||
			    p->events[i].func >= FN__COUNT)
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
	fmt_put_u32le(hdr + 8, p->heap_sample ? 3 : 2);
	fmt_put_u32le(hdr + 12, p->heap_sample ? p->flags | PROF_HEAP_SAMPLED : p->flags & ~PROF_HEAP_SAMPLED);
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

/* Nothing the file says about a size is believed before the bytes behind it
 * are there. The body is decompressed in bounded steps into a window and
 * each section is parsed as its bytes arrive; tables grow as their items are
 * read, never to a count alone; every length and count is checked against
 * the bytes its section and the body still claim to hold. A section that
 * claims gigabytes is refused at its first item that does not parse (or at
 * its first byte past what it parsed), not after decompressing it. Rules
 * that make a run of zeros or of one repeated item invalid where the format
 * allows (only string 0 is empty, no entry repeats the one before it,
 * per-section maximums, tables that grow only as fast as their compressed
 * bytes allow) keep padding from passing as data. A body that truly holds
 * gigabytes of valid records still costs what it holds. */
#define WINDOW (1u << 20)             /* decompressed bytes read ahead */
#define ITEM_MAX (16u << 20)          /* one string or block of code */
#define ZSTD_WINDOW_LOG_MAX 23        /* zstd's own window, 8 MiB (scorch writes 2 MiB) */
#define ARGS_MAX (1u << 20)           /* a raw PROC record holds argv in one 1 MiB chunk */
#define LINES_MAX 1024                /* inlined frames of one location (finalize keeps 64) */
#define DEPTH_MAX 65536u              /* frames of one stack (import's limit; records take 1024) */
#define SKIP_RATIO 1024               /* an unknown section: decompressed per compressed byte */
#define SRC_LINE_MAX 4096             /* a source line (cut at 1000 bytes, then made UTF-8) */

/* The compressed body of an open file, decompressed on demand. */
struct body {
	FILE *fp;
	ZSTD_DCtx *z;
	uint8_t *in;
	size_t incap;
	ZSTD_inBuffer ib;
	uint64_t comp_left;           /* compressed bytes not yet read from the file */
	uint64_t comp_size;
	uint64_t raw_size;            /* what the header says the body holds */
	uint64_t produced;            /* decompressed so far (never more than raw_size) */
	uint8_t *buf;                 /* the window: bytes not yet parsed in [lo, hi) */
	size_t cap, lo, hi;
	int frame_start;              /* the next compressed byte starts a frame */
	int ended;                    /* all decompressed, the last frame's checksum held */
	char fail[160];               /* why decompressing stopped, "" while it goes on */
};

static void body_init(struct body *b, FILE *fp, uint64_t raw_size, uint64_t comp_size)
{
	memset(b, 0, sizeof(*b));
	b->fp = fp;
	b->z = ZSTD_createDCtx();
	ZSTD_DCtx_setParameter(b->z, ZSTD_d_windowLogMax, ZSTD_WINDOW_LOG_MAX);
	b->incap = ZSTD_DStreamInSize();
	b->in = xmalloc(b->incap);
	b->ib = (ZSTD_inBuffer){ b->in, 0, 0 };
	b->comp_left = b->comp_size = comp_size;
	b->raw_size = raw_size;
	b->cap = raw_size + 1 < WINDOW ? (size_t)raw_size + 1 : WINDOW;
	b->buf = xmalloc(b->cap);
	b->frame_start = 1;
}

static void body_release(struct body *b)
{
	ZSTD_freeDCtx(b->z);
	free(b->in);
	free(b->buf);
}

/* Compressed bytes decompression has taken so far. */
static uint64_t body_comp_used(const struct body *b)
{
	return b->comp_size - b->comp_left - (b->ib.size - b->ib.pos);
}

/* Reads more of the compressed body behind what is left of the input. */
static void body_read(struct body *b)
{
	size_t keep = b->ib.size - b->ib.pos;
	memmove(b->in, b->in + b->ib.pos, keep);
	size_t want = b->incap - keep;
	if (want > b->comp_left)
		want = (size_t)b->comp_left;
	size_t n = want ? fread(b->in + keep, 1, want, b->fp) : 0;
	if (want && !n)
		snprintf(b->fail, sizeof(b->fail), "truncated profile: read error");
	b->comp_left -= n;
	b->ib = (ZSTD_inBuffer){ b->in, keep + n, 0 };
}

/* A frame's header (RFC 8878, 3.1.1): it must carry a content checksum,
 * and the content size it may declare must fit in what the header of the
 * file leaves. 0, 1 (needs more bytes) or -1 (refused, b->fail set). */
static int body_frame_header(struct body *b)
{
	const uint8_t *h = b->in + b->ib.pos;
	size_t n = b->ib.size - b->ib.pos;
	if (n < 5)
		return 1;
	if (fmt_get_u32le(h) != 0xFD2FB528u) {
		snprintf(b->fail, sizeof(b->fail), "corrupt profile: the body is not a zstd frame");
		return -1;
	}
	unsigned d = h[4], fcs_flag = d >> 6, single = (d >> 5) & 1, did = d & 3;
	size_t fcs_len = fcs_flag ? (size_t)1 << fcs_flag : single;
	size_t need = 5 + !single + (did ? (size_t)1 << (did - 1) : 0) + fcs_len;
	if (n < need)
		return 1;
	if (!(d & 4)) {
		snprintf(b->fail, sizeof(b->fail), "corrupt profile: a compressed frame without a content checksum");
		return -1;
	}
	const uint8_t *f = h + need - fcs_len;
	uint64_t fcs = 0;
	for (size_t i = 0; i < fcs_len; i++)
		fcs |= (uint64_t)f[i] << (8 * i);
	if (fcs_len == 2)
		fcs += 256;
	if (fcs_len && fcs > b->raw_size - b->produced) {
		snprintf(b->fail, sizeof(b->fail),
			 "corrupt profile: a compressed frame claims %llu bytes where the header leaves %llu",
			 (unsigned long long)fcs, (unsigned long long)(b->raw_size - b->produced));
		return -1;
	}
	return 0;
}

/* One bounded step: decompresses into the window's free end, at most one
 * byte more than the header allows (which is then refused). */
static void body_step(struct body *b)
{
	if (b->ib.pos == b->ib.size || (b->frame_start && b->ib.size - b->ib.pos < 18)) {
		if (b->comp_left) {
			body_read(b);
			if (b->fail[0])
				return;
		} else if (b->ib.pos == b->ib.size && b->frame_start) {
			if (b->produced)
				b->ended = 1;
			else
				snprintf(b->fail, sizeof(b->fail), "truncated profile: compressed body incomplete");
			return;
		}
	}
	if (b->frame_start) {
		int h = body_frame_header(b);
		if (h < 0)
			return;
		if (h > 0) {    /* all the file has, and a frame header cut short */
			snprintf(b->fail, sizeof(b->fail), "truncated profile: compressed body incomplete");
			return;
		}
		b->frame_start = 0;
	}
	size_t room = b->cap - b->hi, before = b->ib.pos;
	if (room > b->raw_size - b->produced + 1)
		room = (size_t)(b->raw_size - b->produced + 1);
	ZSTD_outBuffer ob = { b->buf + b->hi, room, 0 };
	size_t ret = ZSTD_decompressStream(b->z, &ob, &b->ib);
	b->hi += ob.pos;
	b->produced += ob.pos;
	if (ZSTD_isError(ret))
		snprintf(b->fail, sizeof(b->fail), "corrupt profile: %s", ZSTD_getErrorName(ret));
	else if (b->produced > b->raw_size)
		snprintf(b->fail, sizeof(b->fail), "corrupt profile: more data than the header says");
	else if (ret == 0)
		b->frame_start = 1;     /* the body may be several frames back to back */
	else if (!ob.pos && b->ib.pos == before && b->ib.pos == b->ib.size && !b->comp_left)
		snprintf(b->fail, sizeof(b->fail), "truncated profile: compressed body incomplete");
}

/* Makes at least `want` unparsed bytes available in the window, or all the
 * body has left: the window grows only when it is full of real bytes. */
static void body_need(struct body *b, size_t want)
{
	while (b->hi - b->lo < want && !b->ended && !b->fail[0]) {
		if (b->cap - b->hi < (b->cap >> 2) || b->cap - b->lo < want) {
			memmove(b->buf, b->buf + b->lo, b->hi - b->lo);
			b->hi -= b->lo;
			b->lo = 0;
			if (b->cap < want) {
				b->cap = want > b->cap * 2 ? want : b->cap * 2;
				b->buf = xrealloc(b->buf, b->cap);
			}
		}
		body_step(b);
	}
}

/* One section being parsed: the part of it in the window is [f.p, f.end);
 * `left` more bytes are claimed behind it. b NULL: all of it is in f. */
struct sec {
	struct fmt_reader f;
	struct body *b;
	uint64_t left;
};

/* Bytes the section claims to hold from here on. */
static uint64_t s_left(const struct sec *s) { return (uint64_t)(s->f.end - s->f.p) + s->left; }

static void s_fill(struct sec *s, size_t want)
{
	struct body *b = s->b;
	uint64_t total = s_left(s);
	b->lo = (size_t)(s->f.p - b->buf);
	body_need(b, want < total ? want : (size_t)total);
	s->f.p = b->buf + b->lo;
	size_t avail = b->hi - b->lo;
	size_t take = avail < total ? avail : (size_t)total;
	s->f.end = s->f.p + take;
	s->left = total - take;
}

static uint64_t s_u(struct sec *s)
{
	if (s->f.end - s->f.p < VARINT_MAX && s->left)
		s_fill(s, VARINT_MAX);
	return fmt_get_u(&s->f);
}

static int64_t s_s(struct sec *s) { return fmt_unzigzag(s_u(s)); }

/* Makes the next `max` bytes of the section (an item at most that long)
 * readable with fmt_get_* directly: one check per item in the hot loops
 * (events, samples, spans) instead of one per field. */
static void s_item(struct sec *s, size_t max)
{
	if ((size_t)(s->f.end - s->f.p) < max && s->left)
		s_fill(s, max);
}

/* n bytes in one piece, valid until the next read from s; NULL (and err
 * set) past the section's end or beyond ITEM_MAX. */
static const uint8_t *s_bytes(struct sec *s, uint64_t n)
{
	if (n > ITEM_MAX || n > s_left(s)) {
		s->f.err = 1;
		return NULL;
	}
	if ((uint64_t)(s->f.end - s->f.p) < n && s->left)
		s_fill(s, (size_t)n);
	return fmt_get_bytes(&s->f, (size_t)n);
}

/* Passes over the rest of a section without keeping it (a newer writer's):
 * refused when it would take more than SKIP_RATIO times the compressed bytes
 * that make it, since no data scorch reads compresses so well that a
 * section it cannot check could be worth decompressing. */
static int s_skip(struct sec *s)
{
	uint64_t c0 = s->b ? body_comp_used(s->b) : 0, n = 0;
	for (;;) {
		n += (uint64_t)(s->f.end - s->f.p);
		s->f.p = s->f.end;
		if (!s->left)
			return 0;
		if (n > (4u << 20) && n / SKIP_RATIO > body_comp_used(s->b) - c0 + 1)
			return -1;
		s_fill(s, 1);
		if (s->f.p == s->f.end)
			return -1;
	}
}

/* The address model of version 1's EVENTS sections (read only): a free
 * names its block by how many allocations back it was made, an allocation
 * that reuses one of the last RECENT freed addresses names that slot. */
#define RECENT 16

struct addr_coder {
	uint64_t *addrs;              /* address of each allocation, by ordinal */
	size_t nallocs, cap;
	uint64_t recent[RECENT];      /* last freed addresses, [0] most recent */
};

static void recent_push(struct addr_coder *c, uint64_t a)
{
	memmove(c->recent + 1, c->recent, (RECENT - 1) * sizeof(c->recent[0]));
	c->recent[0] = a;
}

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
	struct addr_coder ac;         /* EVENTS (version 1) */
	struct evc_decoder *evd;      /* EVENT_BLOCK (version 2) */
	uint32_t version;
	struct sc_zone *zbuf;         /* zone spans while reading, then moved to the arena */
	size_t zcap;
	uint64_t source_lines;        /* read so far, against SOURCE_MAX_BYTES */
	int no_spans;                 /* skip the zone spans (zone figures only) */
	int lazy;                     /* count the event blocks, leave them in the file */
	int skipped_spans;            /* ... and there were some */
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

static const char *r_str(struct reader *r, struct sec *s)
{
	uint64_t id = s_u(s);
	if (id >= r->nstrings) {
		s->f.err = 1;
		return "";
	}
	return r->strings[id];
}

/* A count that claims more items than bytes remain is corrupt: each item
 * takes at least `min` bytes (and a table has at most max items). */
static uint64_t r_count(struct sec *s, size_t min, uint64_t max)
{
	uint64_t n = s_u(s);
	if (s->f.err || n > s_left(s) / (min ? min : 1) || n > max)
		s->f.err = 1;
	return s->f.err ? 0 : n;
}

/* A table of n items (n a claim): room for as many as the bytes already in
 * the window could hold, and more as items are read (t_room). Items are
 * `size` bytes in memory and at least `min` in the file. Beyond TABLE_SLACK
 * items a table may only grow by TABLE_RATIO items per compressed byte that
 * decompression took meanwhile: real tables (names, stacks, source lines)
 * hold a little entropy in every item, while a run of one item repeated
 * (zeros behind an inflated count) costs zstd almost nothing. */
#define TABLE_SLACK 65536
#define TABLE_RATIO 1024

struct table {
	void *a;
	size_t cap, size;
	uint64_t c0;            /* compressed bytes taken when it began */
};

static void *t_init(struct table *t, struct arena *A, const struct sec *s, uint64_t n, size_t min, size_t size)
{
	uint64_t have = (uint64_t)(s->f.end - s->f.p) / min + 1;
	if (have > TABLE_SLACK)
		have = TABLE_SLACK;
	t->cap = (size_t)(n < have ? n : have);
	t->size = size;
	t->c0 = s->b ? body_comp_used(s->b) : 0;
	t->a = arena_alloc(A, (t->cap ? t->cap : 1) * size);
	return t->a;
}

/* Room for item i in t->a (earlier items moved along): 0, or -1 with the
 * section's error set when the table grows faster than its bytes allow. */
static int t_room(struct table *t, struct arena *A, struct sec *s, size_t i)
{
	if (i < t->cap)
		return 0;
	if (i >= TABLE_SLACK && s->b && (i - TABLE_SLACK) / TABLE_RATIO > body_comp_used(s->b) - t->c0) {
		s->f.err = 1;
		return -1;
	}
	size_t cap = t->cap < 16 ? 32 : t->cap * 2;
	void *a = arena_alloc(A, cap * t->size);
	memcpy(a, t->a, i * t->size);
	t->a = a;
	t->cap = cap;
	return 0;
}

static int sec_strings(struct reader *r, struct sec *s)
{
	struct table t;
	uint64_t n = r_count(s, 1, UINT64_MAX);
	r->strings = t_init(&t, &r->p->arena, s, n, 1, sizeof(char *));
	for (uint64_t i = 0; i < n && !s->f.err; i++) {
		uint64_t len = s_u(s);
		const uint8_t *b = s_bytes(s, len);
		/* interned: string 0 is "", no other is empty or holds a NUL */
		if (!b || (i == 0) != (len == 0) || memchr(b, 0, (size_t)len)) {
			s->f.err = 1;
			break;
		}
		if (t_room(&t, &r->p->arena, s, (size_t)i))
			break;
		r->strings = t.a;
		r->strings[i] = i ? arena_strndup(&r->p->arena, (const char *)b, (size_t)len) : "";
	}
	r->nstrings = s->f.err ? 0 : n;
	r->have_strings = 1;
	return s->f.err ? -1 : 0;
}

static int sec_meta(struct reader *r, struct sec *s)
{
	struct sc_profile *p = r->p;
	p->pid = (uint32_t)s_u(s);
	p->ppid = (uint32_t)s_u(s);
	p->exe = r_str(r, s);
	uint64_t argc = r_count(s, 1, ARGS_MAX);
	struct table t;
	p->argv = t_init(&t, &p->arena, s, argc + 1, 1, sizeof(char *));
	struct strbuf cl = STRBUF_INIT;
	for (uint64_t i = 0; i < argc && !s->f.err; i++) {
		if (t_room(&t, &p->arena, s, (size_t)i + 1))
			break;
		p->argv = t.a;
		p->argv[i] = r_str(r, s);
		if (i)
			sb_addc(&cl, ' ');
		sb_adds(&cl, p->argv[i]);
	}
	p->argc = (uint32_t)argc;
	p->cmdline = arena_strdup(&p->arena, sb_str(&cl));
	sb_release(&cl);
	p->start_wall = s_u(s);
	p->duration = s_u(s);
	p->exit_kind = (int)s_s(s);
	p->exit_value = (int)s_s(s);
	p->depth = (uint32_t)s_u(s);
	p->lost_chunks = s_u(s);
	p->lost_bytes = s_u(s);
	p->host = r_str(r, s);
	p->scorch_version = r_str(r, s);
	if (s_left(s))
		p->lost_events = s_u(s);
	if (r->version >= 3 && s_left(s))
		p->heap_sample = s_u(s);
	if ((p->heap_sample != 0) != ((p->flags & PROF_HEAP_SAMPLED) != 0))
		return rfail(r, "corrupt profile: %s", p->heap_sample ? "a sampling rate without the sampled flag"
								     : "sampled heap events without their sampling rate");
	r->have_meta = 1;
	return s->f.err ? -1 : 0;
}

static int sec_modules(struct reader *r, struct sec *s)
{
	struct sc_profile *p = r->p;
	struct table t;
	uint64_t n = r_count(s, 9, UINT64_MAX);
	p->modules = t_init(&t, &p->arena, s, n, 9, sizeof(*p->modules));
	for (uint64_t i = 0; i < n && !s->f.err; i++) {
		if (t_room(&t, &p->arena, s, (size_t)i))
			break;
		p->modules = t.a;
		struct sc_module *m = &p->modules[i];
		m->name = r_str(r, s);
		m->path = r_str(r, s);
		uint64_t bl = s_u(s);
		const uint8_t *b = s_bytes(s, bl);
		if (bl > sizeof(m->build_id))
			s->f.err = 1;
		else if (b)
			memcpy(m->build_id, b, bl), m->build_id_len = (uint32_t)bl;
		m->bias = s_u(s);
		m->lo = s_u(s);
		m->hi = s_u(s);
		m->load_time = s_u(s);
		m->unload_time = s_u(s);
		m->is_main = s_u(s) != 0;
		/* the same module twice in a row is padding, not a module */
		const struct sc_module *o = m - 1;
		if (i && !strcmp(m->name, o->name) && !strcmp(m->path, o->path) && m->bias == o->bias &&
		    m->lo == o->lo && m->hi == o->hi && m->load_time == o->load_time &&
		    m->unload_time == o->unload_time && m->is_main == o->is_main &&
		    m->build_id_len == o->build_id_len && !memcmp(m->build_id, o->build_id, m->build_id_len))
			s->f.err = 1;
	}
	p->nmodules = s->f.err ? 0 : n;
	return s->f.err ? -1 : 0;
}

static int sec_locations(struct reader *r, struct sec *s)
{
	struct sc_profile *p = r->p;
	struct table t;
	uint64_t n = r_count(s, 3, UINT64_MAX);
	p->locations = t_init(&t, &p->arena, s, n, 3, sizeof(*p->locations));
	for (uint64_t i = 0; i < n && !s->f.err; i++) {
		if (t_room(&t, &p->arena, s, (size_t)i))
			break;
		p->locations = t.a;
		struct sc_location *l = &p->locations[i];
		l->addr = s_u(s);
		uint64_t mod = s_u(s);
		if (mod > p->nmodules)
			s->f.err = 1;
		l->module = (int32_t)mod - 1;
		uint64_t nl = r_count(s, 4, LINES_MAX);
		l->lines = arena_alloc(&p->arena, (nl ? nl : 1) * sizeof(*l->lines));
		for (uint64_t j = 0; j < nl && !s->f.err; j++) {
			l->lines[j].func = r_str(r, s);
			l->lines[j].file = r_str(r, s);
			l->lines[j].line = (uint32_t)s_u(s);
			l->lines[j].inlined = s_u(s) != 0;
		}
		l->nlines = (uint32_t)nl;
		if (!nl)
			s->f.err = 1;
	}
	p->nlocations = s->f.err ? 0 : n;
	return s->f.err ? -1 : 0;
}

static int sec_stacks(struct reader *r, struct sec *s)
{
	struct sc_profile *p = r->p;
	struct table t;
	uint64_t n = r_count(s, 1, UINT32_MAX);
	p->stacks = t_init(&t, &p->arena, s, n, 1, sizeof(*p->stacks));
	for (uint64_t i = 0; i < n && !s->f.err; i++) {
		if (t_room(&t, &p->arena, s, (size_t)i))
			break;
		p->stacks = t.a;
		uint64_t k = r_count(s, 1, DEPTH_MAX);
		p->stacks[i].locs = arena_alloc(&p->arena, (k ? k : 1) * sizeof(uint32_t));
		for (uint64_t j = 0; j < k && !s->f.err; j++) {
			uint64_t loc = s_u(s);
			if (loc >= p->nlocations)
				s->f.err = 1;
			p->stacks[i].locs[j] = (uint32_t)loc;
		}
		p->stacks[i].nlocs = (uint32_t)k;
	}
	p->nstacks = s->f.err ? 0 : n;
	return s->f.err ? -1 : 0;
}

static int sec_threads(struct reader *r, struct sec *s)
{
	struct sc_profile *p = r->p;
	uint64_t n = r_count(s, 4, 65535);
	p->threads = arena_alloc(&p->arena, (n ? n : 1) * sizeof(*p->threads));
	for (uint64_t i = 0; i < n && !s->f.err; i++) {
		p->threads[i].tid = (uint32_t)s_u(s);
		p->threads[i].name = r_str(r, s);
		p->threads[i].start = s_u(s);
		p->threads[i].end = s_u(s);
	}
	p->nthreads = s->f.err ? 0 : n;
	return s->f.err ? -1 : 0;
}

static int sec_events(struct reader *r, struct sec *s)
{
	struct sc_profile *p = r->p;
	struct addr_coder *c = &r->ac;
	uint64_t n = r_count(s, 4, EVENTS_PER_SECTION);
	if (p->nevents + n > r->events_cap) {
		size_t cap = r->events_cap ? r->events_cap : 65536;
		while (cap < p->nevents + n)
			cap *= 2;
		p->events = xrealloc(p->events, cap * sizeof(*p->events));
		r->events_cap = cap;
	}
	uint64_t t = 0, addr = 0;
	uint64_t tbase = p->nevents ? p->events[p->nevents - 1].time : 0;
	for (uint64_t i = 0; i < n && !s->f.err; i++) {
		struct sc_event *e = &p->events[p->nevents];
		s_item(s, 1 + 6 * VARINT_MAX);
		const uint8_t *kb = fmt_get_bytes(&s->f, 1);
		if (!kb)
			break;
		e->kind = *kb >> 5;
		e->func = *kb & 31;
		t += fmt_get_u(&s->f);
		e->time = t;
		uint64_t th = fmt_get_u(&s->f);
		if (th >= p->nthreads || e->func >= FN__COUNT)
			s->f.err = 1;
		e->thread = (uint16_t)th;
		if (e->kind == EV_ALLOC) {
			uint64_t st = fmt_get_u(&s->f);
			if (st >= p->nstacks)
				s->f.err = 1;
			e->stack = (uint32_t)st;
			e->size = fmt_get_u(&s->f);
			uint64_t slot = fmt_get_u(&s->f);
			if (slot > RECENT) {
				s->f.err = 1;
			} else if (slot) {
				e->addr = c->recent[slot - 1];
			} else {
				addr += (uint64_t)fmt_get_s(&s->f);
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
			uint64_t back = fmt_get_u(&s->f);
			if (back > c->nallocs) {
				s->f.err = 1;
			} else if (back) {
				e->addr = c->addrs[c->nallocs - back];
			} else {
				addr += (uint64_t)fmt_get_s(&s->f);
				e->addr = addr;
			}
			if (e->addr)
				recent_push(c, e->addr);
		} else {
			s->f.err = 1;
		}
		if (e->time < tbase)
			s->f.err = 1;
		if (!s->f.err)
			p->nevents++;
	}
	return s->f.err ? -1 : 0;
}

/* Past EVENTS_SLACK events, a profile may hold at most EVENTS_RATIO events
 * per compressed byte read: a real program's times alone cost more than
 * that (the storms of docs/performance.md: 20 to 40 events per byte),
 * while blocks repeated whole cost zstd almost nothing. */
#define EVENTS_SLACK (1u << 20)
#define EVENTS_RATIO 16384

/* One EVENT_BLOCK section: decoded whole (it is at most EVC_BYTES_MAX) into
 * the events behind those read. */
static int sec_event_block(struct reader *r, struct sec *s)
{
	struct sc_profile *p = r->p;
	uint64_t len = s_left(s);
	if (len > EVC_BYTES_MAX)
		return -1;
	const uint8_t *b = s_bytes(s, len);
	if (!b)
		return -1;
	if (!r->evd)
		r->evd = evc_decoder_new(p->nthreads, p->nstacks);
	if (p->nevents + EVC_BLOCK_MAX > r->events_cap) {
		size_t cap = r->events_cap ? r->events_cap : EVC_BLOCK_MAX;
		while (cap < p->nevents + EVC_BLOCK_MAX)
			cap *= 2;
		p->events = xrealloc(p->events, cap * sizeof(*p->events));
		r->events_cap = cap;
	}
	long n = evc_decode(r->evd, b, (size_t)len, p->events + p->nevents);
	if (n < 0)
		return -1;
	p->nevents += (size_t)n;
	if (p->nevents > EVENTS_SLACK && s->b &&
	    (p->nevents - EVENTS_SLACK) / EVENTS_RATIO > body_comp_used(s->b))
		return -1;
	return 0;
}

/* An EVENT_BLOCK section read lazily: its events are counted (the count
 * its block states, checked when a walk decodes it) and left in the file. */
static int sec_event_count(struct reader *r, struct sec *s)
{
	struct sc_profile *p = r->p;
	if (s_left(s) > EVC_BYTES_MAX)
		return -1;
	uint64_t n = s_u(s);
	if (s->f.err || !n || n > EVC_BLOCK_MAX)
		return -1;
	p->nevents += (size_t)n;
	if (p->nevents > EVENTS_SLACK && s->b &&
	    (p->nevents - EVENTS_SLACK) / EVENTS_RATIO > body_comp_used(s->b))
		return -1;
	/* passed over: its length is bounded already */
	for (;;) {
		s->f.p = s->f.end;
		if (!s->left)
			return 0;
		s_fill(s, 1);
		if (s->f.p == s->f.end)
			return -1;
	}
}

static int sec_rss(struct reader *r, struct sec *s)
{
	struct sc_profile *p = r->p;
	uint64_t n = r_count(s, 2, UINT64_MAX);
	uint64_t have = (uint64_t)(s->f.end - s->f.p) / 2 + 1;
	size_t cap = (size_t)(n < have ? n : have);
	p->rss = xrealloc(p->rss, (cap ? cap : 1) * sizeof(*p->rss));
	uint64_t t = 0;
	for (uint64_t i = 0; i < n && !s->f.err; i++) {
		if (i == cap) {
			cap *= 2;
			p->rss = xrealloc(p->rss, cap * sizeof(*p->rss));
		}
		uint64_t dt = s_u(s);
		t += dt;
		p->rss[i].time = t;
		p->rss[i].bytes = s_u(s);
		/* a reading repeated at the same time is padding */
		if (i && !dt && p->rss[i].bytes == p->rss[i - 1].bytes)
			s->f.err = 1;
	}
	p->nrss = s->f.err ? 0 : n;
	return s->f.err ? -1 : 0;
}

static int sec_cpu(struct reader *r, struct sec *s)
{
	r->p->sample_source = r_str(r, s);
	r->p->sample_hz = (uint32_t)s_u(s);
	r->p->cpu_time_ns = s_u(s);
	if (s_left(s))
		r->p->perf_errno = (uint32_t)s_u(s);
	if (s_left(s))
		r->p->leaf_only_samples = s_u(s);
	return s->f.err ? -1 : 0;
}

static int sec_samples(struct reader *r, struct sec *s)
{
	struct sc_profile *p = r->p;
	uint64_t n = r_count(s, 5, EVENTS_PER_SECTION);
	p->samples = xrealloc(p->samples, (p->nsamples + n + 1) * sizeof(*p->samples));
	uint64_t t = 0;
	uint64_t tbase = p->nsamples ? p->samples[p->nsamples - 1].time : 0;
	for (uint64_t i = 0; i < n && !s->f.err; i++) {
		struct sc_sample *x = &p->samples[p->nsamples];
		s_item(s, 1 + 4 * VARINT_MAX);
		t += fmt_get_u(&s->f);
		x->time = t;
		uint64_t th = fmt_get_u(&s->f), st = fmt_get_u(&s->f), w = fmt_get_u(&s->f);
		const uint8_t *off = fmt_get_bytes(&s->f, 1);
		if (th >= p->nthreads || st >= p->nstacks || w > UINT32_MAX || !off || *off > 1 || t < tbase)
			s->f.err = 1;
		x->thread = (uint16_t)th;
		x->stack = (uint32_t)st;
		x->weight = (uint32_t)w;
		x->offcpu = off ? *off : 0;
		x->pad = 0;
		if (!s->f.err)
			p->nsamples++;
	}
	return s->f.err ? -1 : 0;
}

/* ---- zone sections ---- */

static int sec_zone_names(struct reader *r, struct sec *s)
{
	struct sc_profile *p = r->p;
	struct table t;
	uint64_t n = r_count(s, 4, UINT32_MAX);
	p->zone_names = t_init(&t, &p->arena, s, n, 4, sizeof(*p->zone_names));
	for (uint64_t i = 0; i < n && !s->f.err; i++) {
		if (t_room(&t, &p->arena, s, (size_t)i))
			break;
		p->zone_names = t.a;
		struct sc_zone_name *z = &p->zone_names[i];
		z->name = r_str(r, s);
		z->file = r_str(r, s);
		uint64_t line = s_u(s), kind = s_u(s);
		if (line > UINT32_MAX || kind > ZONE_KIND_FUNC)
			s->f.err = 1;
		z->line = (uint32_t)line;
		z->kind = (uint8_t)kind;
		/* interned: never the same name twice in a row */
		if (i && !strcmp(z->name, z[-1].name) && !strcmp(z->file, z[-1].file) && z->line == z[-1].line &&
		    z->kind == z[-1].kind)
			s->f.err = 1;
	}
	p->nzone_names = s->f.err ? 0 : n;
	return s->f.err ? -1 : 0;
}

/* Spans, in order of thread then start; the array grows outside the arena
 * while sections repeat (zones_adopt() moves it in). */
static int sec_zones(struct reader *r, struct sec *s)
{
	struct sc_profile *p = r->p;
	uint64_t n = r_count(s, 9, EVENTS_PER_SECTION);
	if (p->nzones + n > r->zcap) {
		size_t cap = r->zcap ? r->zcap : 1024;
		while (cap < p->nzones + n)
			cap *= 2;
		r->zbuf = xrealloc(r->zbuf, cap * sizeof(*r->zbuf));
		r->zcap = cap;
	}
	uint64_t st = 0;
	for (uint64_t i = 0; i < n && !s->f.err; i++) {
		struct sc_zone *z = &r->zbuf[p->nzones];
		uint64_t th = s_u(s), name = s_u(s), depth = s_u(s);
		st += (uint64_t)s_s(s);
		uint64_t dur = s_u(s);
		z->allocs = s_u(s);
		z->bytes = s_u(s);
		uint64_t flags = s_u(s);
		z->dropped_ns = s_u(s);
		if (th >= p->nthreads || name >= p->nzone_names || depth > UINT16_MAX || flags > UINT16_MAX ||
		    dur > UINT64_MAX - st)
			s->f.err = 1;
		z->thread = (uint16_t)th;
		z->name = (uint32_t)name;
		z->depth = (uint16_t)depth;
		z->flags = (uint16_t)flags;
		z->start = st;
		z->end = st + dur;
		if (p->nzones) {
			const struct sc_zone *prev = z - 1;
			if (prev->thread > z->thread || (prev->thread == z->thread && prev->start > z->start))
				s->f.err = 1;
		}
		if (!s->f.err)
			p->nzones++;
	}
	return s->f.err ? -1 : 0;
}

/* Marks and counters; one the same as the one before it (same time, thread,
 * name and value) is padding: a thread cannot mark twice in a nanosecond. */
static int sec_marks(struct reader *r, struct sec *s, int counters)
{
	struct sc_profile *p = r->p;
	struct table tb;
	size_t min = counters ? 11 : 3;
	uint64_t n = r_count(s, min, UINT64_MAX);
	if (counters)
		p->counters = t_init(&tb, &p->arena, s, n, min, sizeof(*p->counters));
	else
		p->marks = t_init(&tb, &p->arena, s, n, min, sizeof(*p->marks));
	uint64_t t = 0, pth = 0, pname = 0, pbits = 0;
	for (uint64_t i = 0; i < n && !s->f.err; i++) {
		uint64_t dt = s_u(s);
		t += dt;
		uint64_t th = s_u(s), name = s_u(s), bits = 0;
		if (th >= p->nthreads || name >= p->nzone_names)
			s->f.err = 1;
		if (counters) {
			const uint8_t *b = s_bytes(s, 8);
			bits = b ? fmt_get_u64le(b) : 0;
			if (t_room(&tb, &p->arena, s, (size_t)i))
				break;
			p->counters = tb.a;
			p->counters[i].time = t;
			memcpy(&p->counters[i].value, &bits, sizeof(bits));
			p->counters[i].thread = (uint16_t)th;
			p->counters[i].name = (uint32_t)name;
		} else {
			if (t_room(&tb, &p->arena, s, (size_t)i))
				break;
			p->marks = tb.a;
			p->marks[i] = (struct sc_mark){ t, (uint32_t)name, (uint16_t)th };
		}
		if (i && !dt && th == pth && name == pname && bits == pbits)
			s->f.err = 1;
		pth = th, pname = name, pbits = bits;
	}
	if (counters)
		p->ncounters = s->f.err ? 0 : n;
	else
		p->nmarks = s->f.err ? 0 : n;
	return s->f.err ? -1 : 0;
}

static int sec_zone_drops(struct reader *r, struct sec *s)
{
	struct sc_profile *p = r->p;
	uint64_t n = r_count(s, 9, p->nzone_names);     /* one per function */
	p->zone_drops = arena_alloc(&p->arena, (n ? n : 1) * sizeof(*p->zone_drops));
	for (uint64_t i = 0; i < n && !s->f.err; i++) {
		struct sc_zone_drop *d = &p->zone_drops[i];
		uint64_t name = s_u(s);
		if (name >= p->nzone_names)
			s->f.err = 1;
		d->name = (uint32_t)name;
		d->calls = s_u(s);
		d->total_ns = s_u(s);
		d->self_ns = s_u(s);
		d->min_ns = s_u(s);
		d->max_ns = s_u(s);
		d->outer_ns = s_u(s);
		d->allocs = s_u(s);
		d->bytes = s_u(s);
	}
	p->nzone_drops = s->f.err ? 0 : n;
	return s->f.err ? -1 : 0;
}

static int sec_zone_errors(struct reader *r, struct sec *s)
{
	struct sc_profile *p = r->p;
	struct table t;
	uint64_t n = r_count(s, 5, UINT64_MAX);
	p->zone_errors = t_init(&t, &p->arena, s, n, 5, sizeof(*p->zone_errors));
	for (uint64_t i = 0; i < n && !s->f.err; i++) {
		if (t_room(&t, &p->arena, s, (size_t)i))
			break;
		p->zone_errors = t.a;
		struct sc_zone_error *e = &p->zone_errors[i];
		e->time = s_u(s);
		uint64_t th = s_u(s), kind = s_u(s), ex = s_u(s), gv = s_u(s);
		if (th >= p->nthreads || kind < ZONE_ERR_END_MISMATCH || kind > ZONE_ERR_END_UNOPENED ||
		    ex > p->nzone_names || gv > p->nzone_names)
			s->f.err = 1;
		e->thread = (uint16_t)th;
		e->kind = (uint8_t)kind;
		e->expected = ex ? (uint32_t)(ex - 1) : UINT32_MAX;
		e->given = gv ? (uint32_t)(gv - 1) : UINT32_MAX;
		if (i && !memcmp(e, e - 1, sizeof(*e)))
			s->f.err = 1;   /* each is stamped with its own time */
	}
	p->nzone_errors = s->f.err ? 0 : n;
	return s->f.err ? -1 : 0;
}

/* Notes: kinds a newer writer adds are kept and shown as unknown; kind 0
 * (a failed exec's retraction) never reaches a profile. */
static int sec_notes(struct reader *r, struct sec *s)
{
	struct sc_profile *p = r->p;
	struct table t;
	uint64_t n = r_count(s, 4, UINT64_MAX);
	p->notes = t_init(&t, &p->arena, s, n, 4, sizeof(*p->notes));
	for (uint64_t i = 0; i < n && !s->f.err; i++) {
		if (t_room(&t, &p->arena, s, (size_t)i))
			break;
		p->notes = t.a;
		struct sc_note *x = &p->notes[i];
		uint64_t kind = s_u(s), pid = s_u(s);
		if (!kind || kind > UINT32_MAX || pid > UINT32_MAX)
			s->f.err = 1;
		x->kind = (uint32_t)kind;
		x->pid = (uint32_t)pid;
		x->path = r_str(r, s);
		x->detail = r_str(r, s);
	}
	p->nnotes = s->f.err ? 0 : n;
	return s->f.err ? -1 : 0;
}

/* The run: its id, and the file names of the other profiles of it. */
static int sec_run(struct reader *r, struct sec *s)
{
	struct sc_profile *p = r->p;
	p->run_id = r_str(r, s);
	struct table t;
	uint64_t n = r_count(s, 1, UINT64_MAX);
	p->relatives = t_init(&t, &p->arena, s, n, 1, sizeof(*p->relatives));
	for (uint64_t i = 0; i < n && !s->f.err; i++) {
		if (t_room(&t, &p->arena, s, (size_t)i))
			break;
		p->relatives = t.a;
		p->relatives[i] = r_str(r, s);
	}
	p->nrelatives = s->f.err ? 0 : n;
	return s->f.err ? -1 : 0;
}

/* Code: in (module, start) order, apart, rows in order inside it. */
static int sec_code(struct reader *r, struct sec *s)
{
	struct sc_profile *p = r->p;
	p->code_machine = (uint32_t)s_u(s);
	struct table tb;
	uint64_t n = r_count(s, 5, UINT64_MAX);
	p->codes = t_init(&tb, &p->arena, s, n, 5, sizeof(*p->codes));
	for (uint64_t i = 0; i < n && !s->f.err; i++) {
		if (t_room(&tb, &p->arena, s, (size_t)i))
			break;
		p->codes = tb.a;
		struct sc_code *c = &p->codes[i];
		uint64_t mi = s_u(s);
		c->start = s_u(s);
		c->name = r_str(r, s);
		uint64_t len = s_u(s);
		const uint8_t *b = s_bytes(s, len);
		if (!b || mi >= p->nmodules || len == 0 || len > UINT32_MAX || c->start + len < c->start) {
			s->f.err = 1;
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
			s->f.err = 1;
			break;
		}
		/* rows at distinct addresses inside the code: at most one a byte */
		uint64_t nr = r_count(s, 3, len + 1), a = c->start;
		c->rows = arena_alloc(&p->arena, (nr ? nr : 1) * sizeof(*c->rows));
		for (uint64_t j = 0; j < nr && !s->f.err; j++) {
			uint64_t d = s_u(s);
			a += d;
			c->rows[j].addr = a;
			c->rows[j].file = r_str(r, s);
			uint64_t line = s_u(s);
			c->rows[j].line = (uint32_t)line;
			if ((j && !d) || a > c->start + c->len || line > UINT32_MAX)
				s->f.err = 1;
		}
		c->nrows = (uint32_t)nr;
		uint64_t nt = r_count(s, 2, UINT64_MAX);
		a = c->start;
		struct table tt;
		c->targets = t_init(&tt, &p->arena, s, nt, 2, sizeof(*c->targets));
		for (uint64_t j = 0; j < nt && !s->f.err; j++) {
			if (t_room(&tt, &p->arena, s, (size_t)j))
				break;
			c->targets = tt.a;
			a += (uint64_t)s_s(s);
			c->targets[j].addr = a;
			c->targets[j].name = r_str(r, s);
			if (j && a <= c->targets[j - 1].addr)
				s->f.err = 1;     /* by address, each once */
		}
		c->ntargets = (uint32_t)nt;
	}
	p->ncodes = s->f.err ? 0 : n;
	return s->f.err ? -1 : 0;
}

/* Source excerpts: in (file, first line) order, apart; no more lines in
 * all than finalize keeps (each takes a byte of SOURCE_MAX_BYTES). */
static int sec_sources(struct reader *r, struct sec *s)
{
	struct sc_profile *p = r->p;
	struct table tb;
	uint64_t n = r_count(s, 3, UINT64_MAX);
	p->sources = t_init(&tb, &p->arena, s, n, 3, sizeof(*p->sources));
	for (uint64_t i = 0; i < n && !s->f.err; i++) {
		if (t_room(&tb, &p->arena, s, (size_t)i))
			break;
		p->sources = tb.a;
		struct sc_source *x = &p->sources[i];
		x->file = r_str(r, s);
		uint64_t first = s_u(s), nl = r_count(s, 1, SOURCE_MAX_BYTES - r->source_lines);
		if (!first || !nl || first + nl > UINT32_MAX) {
			s->f.err = 1;
			break;
		}
		r->source_lines += nl;
		x->first = (uint32_t)first;
		x->nlines = (uint32_t)nl;
		struct table tl;
		x->lines = t_init(&tl, &p->arena, s, nl, 1, sizeof(char *));
		for (uint64_t j = 0; j < nl && !s->f.err; j++) {
			uint64_t len = s_u(s);
			const uint8_t *b = len <= SRC_LINE_MAX ? s_bytes(s, len) : NULL;
			if (t_room(&tl, &p->arena, s, (size_t)j))
				break;
			x->lines = tl.a;
			x->lines[j] = len && b ? arena_strndup(&p->arena, (const char *)b, (size_t)len) : "";
			if (!b)
				s->f.err = 1;
		}
		if (i && !s->f.err) {
			const struct sc_source *y = &p->sources[i - 1];
			int c = strcmp(y->file, x->file);
			if (c > 0 || (c == 0 && y->first + y->nlines > x->first))
				s->f.err = 1;
		}
	}
	p->nsources = s->f.err ? 0 : n;
	return s->f.err ? -1 : 0;
}

/* The figures of every span per thread and name: rows by (thread, name),
 * each once; histograms by value, each once, their counts summing to the
 * row's calls, at most ZONE_HIST_EXACT values unless coarse (then at most
 * ZONE_HIST_SUB per power of two, each a bucket's lower bound). */
static int sec_zone_stats(struct reader *r, struct sec *s)
{
	struct sc_profile *p = r->p;
	struct table t;
	p->zone_keep_ns = s_u(s);
	p->zone_spans_total = s_u(s);
	uint64_t n = r_count(s, 17, (uint64_t)p->nthreads * p->nzone_names);
	p->zone_stats = t_init(&t, &p->arena, s, n, 17, sizeof(*p->zone_stats));
	uint64_t spans = 0;
	for (uint64_t i = 0; i < n && !s->f.err; i++) {
		if (t_room(&t, &p->arena, s, (size_t)i))
			break;
		p->zone_stats = t.a;
		struct sc_zone_stat *x = &p->zone_stats[i];
		uint64_t th = s_u(s), name = s_u(s);
		if (th >= p->nthreads || name >= p->nzone_names ||
		    (i && (th < x[-1].thread || (th == x[-1].thread && name <= x[-1].name)))) {
			s->f.err = 1;
			break;
		}
		x->thread = (uint16_t)th;
		x->name = (uint32_t)name;
		x->calls = s_u(s);
		x->total_ns = s_u(s);
		x->self_ns = s_u(s);
		x->sum_ns = s_u(s);
		x->min_ns = s_u(s);
		x->max_ns = s_u(s);
		x->allocs = s_u(s);
		x->bytes = s_u(s);
		x->self_allocs = s_u(s);
		x->self_bytes = s_u(s);
		x->unwound = s_u(s);
		x->unfinished = s_u(s);
		x->thread_exit = s_u(s);
		uint64_t coarse = s_u(s);
		uint64_t nh = r_count(s, 2, coarse ? 64 * ZONE_HIST_SUB : ZONE_HIST_EXACT);
		if (coarse > 1 || !x->calls || !nh || nh > x->calls || x->min_ns > x->max_ns ||
		    spans + x->calls < spans) {
			s->f.err = 1;
			break;
		}
		spans += x->calls;
		x->coarse = (uint8_t)coarse;
		x->nhist = (uint32_t)nh;
		x->hist = arena_alloc(&p->arena, nh * sizeof(*x->hist));
		uint64_t v = 0, sum = 0;
		for (uint64_t k = 0; k < nh && !s->f.err; k++) {
			uint64_t d = s_u(s), c = s_u(s);
			if ((k && !d) || v + d < v || !c || sum + c < sum)
				s->f.err = 1;
			v += d;
			sum += c;
			x->hist[k] = (struct sc_zone_hist){ v, c };
		}
		if (sum != x->calls)
			s->f.err = 1;
	}
	if (!s->f.err && spans != p->zone_spans_total)
		s->f.err = 1;
	p->nzone_stats = s->f.err ? 0 : n;
	p->have_zone_stats = !s->f.err;
	return s->f.err ? -1 : 0;
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
				       "zone errors", "code", "sources", "notes", "zone figures", "event block",
				       "run" };
	return tag > 0 && tag <= SEC_LAST_KNOWN ? names[tag] : "unknown";
}

static int parse_body(struct reader *r, struct body *b)
{
	int last = 0;
	for (;;) {
		body_need(b, 1 + VARINT_MAX);
		if (b->fail[0])
			return rfail(r, "%s", b->fail);
		if (b->hi == b->lo)
			break;          /* the body ended, its checksum held */
		struct fmt_reader h = { b->buf + b->lo, b->buf + b->hi, 0 };
		int tag = *h.p++;
		uint64_t slen = fmt_get_u(&h);
		if (h.err)
			return rfail(r, "corrupt profile: section header cut short");
		b->lo = (size_t)(h.p - b->buf);
		uint64_t body_left = b->raw_size - (b->produced - (b->hi - b->lo));
		if (slen > body_left)
			return rfail(r, "corrupt profile: the %s section claims %llu bytes where the body has %llu left",
				     sec_name(tag), (unsigned long long)slen, (unsigned long long)body_left);
		if (tag != SEC_STRINGS && !r->have_strings)
			return rfail(r, "corrupt profile: %s section before the string table", sec_name(tag));
		/* sections must come in order (events and samples may repeat), END last */
		if (r->have_end || sec_rank(tag) < sec_rank(last) ||
		    (tag == last && tag != SEC_EVENTS && tag != SEC_EVENT_BLOCK && tag != SEC_SAMPLES &&
		     tag != SEC_ZONES))
			return rfail(r, "corrupt profile: section %s out of order", sec_name(tag));
		/* version 1 stores events in EVENTS sections, version 2 in blocks */
		if ((tag == SEC_EVENTS && r->version != 1) || (tag == SEC_EVENT_BLOCK && r->version == 1) ||
		    (sec_rank(tag) == sec_rank(last) && tag != last))
			return rfail(r, "corrupt profile: an %s section in a version %u profile", sec_name(tag),
				     r->version);
		struct sec sf = { { b->buf + b->lo, b->buf + b->lo, 0 }, b, slen };
		s_fill(&sf, VARINT_MAX);
		int rc = 0;
		switch (tag) {
		case SEC_STRINGS: rc = sec_strings(r, &sf); break;
		case SEC_META: rc = sec_meta(r, &sf); break;
		case SEC_MODULES: rc = sec_modules(r, &sf); break;
		case SEC_LOCATIONS: rc = sec_locations(r, &sf); break;
		case SEC_STACKS: rc = sec_stacks(r, &sf); break;
		case SEC_THREADS: rc = sec_threads(r, &sf); break;
		case SEC_EVENTS: rc = sec_events(r, &sf); break;
		case SEC_EVENT_BLOCK: rc = r->lazy ? sec_event_count(r, &sf) : sec_event_block(r, &sf); break;
		case SEC_RSS: rc = sec_rss(r, &sf); break;
		case SEC_CPU: rc = sec_cpu(r, &sf); break;
		case SEC_SAMPLES: rc = sec_samples(r, &sf); break;
		case SEC_ZONE_NAMES: rc = sec_zone_names(r, &sf); break;
		case SEC_ZONES:
			if (r->no_spans) {
				r->skipped_spans = 1;
				rc = s_skip(&sf) ? -1 : 0;
			} else {
				rc = sec_zones(r, &sf);
			}
			break;
		case SEC_MARKS: rc = sec_marks(r, &sf, 0); break;
		case SEC_COUNTERS: rc = sec_marks(r, &sf, 1); break;
		case SEC_ZONE_DROPS: rc = sec_zone_drops(r, &sf); break;
		case SEC_ZONE_ERRORS: rc = sec_zone_errors(r, &sf); break;
		case SEC_CODE: rc = sec_code(r, &sf); break;
		case SEC_SOURCES: rc = sec_sources(r, &sf); break;
		case SEC_NOTES: rc = sec_notes(r, &sf); break;
		case SEC_ZONE_STATS: rc = sec_zone_stats(r, &sf); break;
		case SEC_RUN: rc = sec_run(r, &sf); break;
		case SEC_END:
			r->end_events = s_u(&sf);
			r->end_stacks = s_u(&sf);
			rc = sf.f.err ? -1 : 0;
			r->have_end = 1;
			break;
		default:
			/* a newer writer's section: skip it, it is length-prefixed */
			if (s_skip(&sf) && !b->fail[0] && !b->ended)
				return rfail(r, "corrupt profile: a section of tag %d claims %llu bytes, more than "
					     "its compressed bytes could hold", tag, (unsigned long long)slen);
			break;
		}
		if (b->fail[0])
			return rfail(r, "%s", b->fail);
		if (sf.left && b->ended)
			return rfail(r, "truncated profile: compressed body incomplete");
		/* a section is refused at the first byte it does not account for,
		 * without decompressing what it claims beyond */
		if (rc && tag == SEC_EVENT_BLOCK && r->evd && evc_decoder_error(r->evd)[0])
			return rfail(r, "corrupt profile: bad event block (%s)", evc_decoder_error(r->evd));
		if (rc || (tag <= SEC_LAST_KNOWN && s_left(&sf)))
			return rfail(r, "corrupt profile: bad %s section", sec_name(tag));
		b->lo = (size_t)(sf.f.p - b->buf);
		if (tag <= SEC_LAST_KNOWN)
			last = tag;
	}
	if (b->produced != b->raw_size)
		return rfail(r, "truncated profile: compressed body incomplete");
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

/* Where a lazily read profile's events are: its file, as it was read. */
struct profile_lazy {
	const char *path;
	uint64_t raw_size, comp_size;
	struct stat st;               /* to tell the file was replaced or changed since */
};

/* Opens path and checks its header: the file (positioned at the body), or
 * NULL with the reason in r's err. */
static FILE *open_profile(struct reader *r, const char *path, struct stat *st, uint32_t *version,
			  uint32_t *flags, uint64_t *raw_size, uint64_t *comp_size)
{
	FILE *fp = fopen(path, "rb");
	if (!fp) {
		rfail(r, "cannot open: %s", strerror(errno));
		return NULL;
	}
	if (fstat(fileno(fp), st) != 0 || !S_ISREG(st->st_mode)) {
		fclose(fp);
		rfail(r, "not a regular file");
		return NULL;
	}
	uint8_t hdr[HDR_SIZE];
	size_t got = fread(hdr, 1, HDR_SIZE, fp);
	if (got < 8 || memcmp(hdr, PROFILE_MAGIC, 8) != 0) {
		fclose(fp);
		if (got >= 8 && !memcmp(hdr, "SCRAW", 5))
			rfail(r, "this is a raw recording stream, not a profile; it is finalized by the scorch launcher");
		else if (got >= 8 && !memcmp(hdr, "PERFILE2", 8))
			rfail(r, "a perf.data file, not a scorch profile: turn it into one with "
				 "'perf script -i FILE | scorch import -o FILE.scorch -'");
		else
			rfail(r, "not a scorch profile (bad magic)");
		return NULL;
	}
	if (got < HDR_SIZE) {
		fclose(fp);
		rfail(r, "truncated profile: header cut short");
		return NULL;
	}
	*version = fmt_get_u32le(hdr + 8);
	*flags = fmt_get_u32le(hdr + 12);
	*raw_size = fmt_get_u64le(hdr + 16);
	*comp_size = fmt_get_u64le(hdr + 24);
	if (*version < PROFILE_VERSION_MIN || *version > PROFILE_VERSION) {
		fclose(fp);
		rfail(r, "profile format version %u; this scorch reads versions %u to %u%s", *version,
		      PROFILE_VERSION_MIN, PROFILE_VERSION, *version > PROFILE_VERSION ? " (a newer scorch wrote it)" : "");
		return NULL;
	}
	if (*comp_size > (uint64_t)st->st_size || (uint64_t)st->st_size - *comp_size < HDR_SIZE) {
		fclose(fp);
		rfail(r, "truncated profile: %llu of %llu bytes present", (unsigned long long)st->st_size,
		      (unsigned long long)(HDR_SIZE + *comp_size));
		return NULL;
	}
	if (!*comp_size || !*raw_size) {
		fclose(fp);
		rfail(r, "truncated profile: compressed body incomplete");
		return NULL;
	}
	return fp;
}

#define RD_NO_SPANS 1u
#define RD_LAZY 2u

static int read_profile(const char *path, struct sc_profile **out, char *err, size_t errlen, unsigned mode)
{
	struct reader r;
	memset(&r, 0, sizeof(r));
	r.no_spans = !!(mode & RD_NO_SPANS);
	r.path = path;
	r.err = err;
	r.errlen = errlen;
	*out = NULL;

	struct stat st;
	uint32_t version, flags;
	uint64_t raw_size, comp_size;
	FILE *fp = open_profile(&r, path, &st, &version, &flags, &raw_size, &comp_size);
	if (!fp)
		return -1;
	r.version = version;
	/* version 1's events are read into memory, lazily or not */
	r.lazy = (mode & RD_LAZY) && version >= 2;

	struct body b;
	body_init(&b, fp, raw_size, comp_size);
	r.p = profile_new();
	r.p->version = version;
	r.p->flags = flags;
	int rc = parse_body(&r, &b);
	body_release(&b);
	fclose(fp);
	free(r.ac.addrs);
	evc_decoder_free(r.evd);
	zones_adopt(&r, rc == 0);
	if (rc) {
		profile_free(r.p);
		return rc;
	}
	if (r.skipped_spans && !r.p->have_zone_stats) {
		/* written before the figures: they come from the spans */
		profile_free(r.p);
		return read_profile(path, out, err, errlen, mode & ~RD_NO_SPANS);
	}
	if (r.lazy && r.p->nevents) {
		struct profile_lazy *lz = arena_alloc(&r.p->arena, sizeof(*lz));
		lz->path = arena_strdup(&r.p->arena, path);
		lz->raw_size = raw_size;
		lz->comp_size = comp_size;
		lz->st = st;
		r.p->lazy = lz;
	}
	*out = r.p;
	return 0;
}

int profile_read(const char *path, struct sc_profile **out, char *err, size_t errlen)
{
	return read_profile(path, out, err, errlen, 0);
}

int profile_read_zone_figures(const char *path, struct sc_profile **out, char *err, size_t errlen)
{
	return read_profile(path, out, err, errlen, RD_NO_SPANS);
}

int profile_read_lazy(const char *path, struct sc_profile **out, char *err, size_t errlen)
{
	return read_profile(path, out, err, errlen, RD_LAZY);
}

/* ---- walking the events of a lazily read profile ---- */

struct profile_event_src {
	const struct sc_profile *p;
	FILE *fp;
	struct body b;
	struct evc_decoder *dec;
	struct sc_event *buf;         /* the block decoded last */
	uint64_t seen;                /* events handed out */
	int started, done;
	char err[256];                /* why the walk failed, "" while it goes on */
};

static void sfail(struct profile_event_src *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void sfail(struct profile_event_src *s, const char *fmt, ...)
{
	if (s->err[0])
		return;
	char msg[200];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	snprintf(s->err, sizeof(s->err), "%s: %s", s->p->lazy->path, msg);
}

static void src_free(struct profile_event_src *s)
{
	if (s->fp) {
		body_release(&s->b);
		fclose(s->fp);
	}
	evc_decoder_free(s->dec);
	free(s->buf);
	free(s);
}

struct profile_event_src *profile_events_open(const struct sc_profile *p, char *err, size_t errlen)
{
	const struct profile_lazy *lz = p->lazy;
	if (!lz) {
		snprintf(err, errlen, "the profile's events are not in a file");
		return NULL;
	}
	struct reader r;
	memset(&r, 0, sizeof(r));
	r.path = lz->path;
	r.err = err;
	r.errlen = errlen;
	struct stat st;
	uint32_t version, flags;
	uint64_t raw_size, comp_size;
	FILE *fp = open_profile(&r, lz->path, &st, &version, &flags, &raw_size, &comp_size);
	if (!fp)
		return NULL;
	if (raw_size != lz->raw_size || comp_size != lz->comp_size || st.st_dev != lz->st.st_dev ||
	    st.st_ino != lz->st.st_ino || st.st_size != lz->st.st_size ||
	    st.st_mtim.tv_sec != lz->st.st_mtim.tv_sec || st.st_mtim.tv_nsec != lz->st.st_mtim.tv_nsec ||
	    version != p->version) {
		fclose(fp);
		rfail(&r, "the file changed since it was read; read it again");
		return NULL;
	}
	struct profile_event_src *s = xcalloc(1, sizeof(*s));
	s->p = p;
	s->fp = fp;
	body_init(&s->b, fp, raw_size, comp_size);
	s->dec = evc_decoder_new(p->nthreads, p->nstacks);
	s->buf = xmalloc(EVC_BLOCK_MAX * sizeof(*s->buf));
	return s;
}

size_t profile_events_next(struct profile_event_src *s, const struct sc_event **ev)
{
	*ev = NULL;
	if (!s || s->done || s->err[0])
		return 0;
	struct body *b = &s->b;
	for (;;) {
		body_need(b, 1 + VARINT_MAX);
		if (b->fail[0]) {
			sfail(s, "%s", b->fail);
			return 0;
		}
		if (b->hi == b->lo)
			break;
		struct fmt_reader h = { b->buf + b->lo, b->buf + b->hi, 0 };
		int tag = *h.p++;
		uint64_t slen = fmt_get_u(&h);
		b->lo = (size_t)(h.p - b->buf);
		uint64_t body_left = b->raw_size - (b->produced - (b->hi - b->lo));
		if (h.err || slen > body_left) {
			sfail(s, "corrupt profile: a section header does not hold");
			return 0;
		}
		struct sec sf = { { b->buf + b->lo, b->buf + b->lo, 0 }, b, slen };
		if (tag == SEC_EVENT_BLOCK) {
			const uint8_t *blk = slen <= EVC_BYTES_MAX ? s_bytes(&sf, slen) : NULL;
			if (!blk) {
				sfail(s, "%s", b->fail[0] ? b->fail : "corrupt profile: bad event block section");
				return 0;
			}
			long n = evc_decode(s->dec, blk, (size_t)slen, s->buf);
			if (n < 0) {
				sfail(s, "corrupt profile: bad event block (%s)", evc_decoder_error(s->dec));
				return 0;
			}
			b->lo = (size_t)(sf.f.p - b->buf);
			s->started = 1;
			s->seen += (uint64_t)n;
			if (s->seen > s->p->nevents) {
				sfail(s, "the file holds more events than when it was read; read it again");
				return 0;
			}
			*ev = s->buf;
			return (size_t)n;
		}
		/* the event blocks stand together, before RSS */
		if (s->started || sec_rank(tag) > SEC_EVENTS)
			break;
		s_fill(&sf, 1);
		if (s_skip(&sf) || b->fail[0]) {
			sfail(s, "%s", b->fail[0] ? b->fail : "corrupt profile: a section does not hold");
			return 0;
		}
		b->lo = (size_t)(sf.f.p - b->buf);
	}
	s->done = 1;
	if (s->seen != s->p->nevents)
		sfail(s, "%llu events in the file, %zu when it was read; read it again",
		      (unsigned long long)s->seen, s->p->nevents);
	return 0;
}

int profile_events_close(struct profile_event_src *s, char *err, size_t errlen)
{
	if (!s)
		return 0;
	int rc = s->err[0] ? -1 : 0;
	if (rc && err && errlen)
		snprintf(err, errlen, "%s", s->err);
	src_free(s);
	return rc;
}

struct live_ctx {
	struct u64map *ord_real;      /* ordinal -> the real address it lives at */
};

static void note_live(void *ctx, uint64_t addr, uint64_t ordinal)
{
	struct live_ctx *c = ctx;
	*u64map_put(c->ord_real, ordinal, NULL) = addr;
}

/* Decompresses what the stream holds so far (ending its frame: nothing can
 * be added afterwards) back into events, for a finalize that has to fall
 * back to encoding at exit. After a write error the file may end in the
 * middle of a section: everything up to the last complete one is returned.
 * The blocks keep no addresses: the allocations still live get theirs back
 * (with every earlier allocation that shared the address), since frees
 * still to come name them so; the others keep the codec's synthetic ones,
 * which pair them with their frees as the real ones did. Times come back
 * to the us, as the profile keeps them. */
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
	/* indexes were checked when written */
	struct evc_decoder *d = evc_decoder_new(65535, (size_t)-1);
	struct sc_event *ev = NULL;
	size_t nev = 0, evcap = 0;
	struct fmt_reader f = { body, body + blen, 0 };
	while (!rc && f.p < f.end) {
		int tag = *f.p++;
		uint64_t slen = fmt_get_u(&f);
		const uint8_t *sec = fmt_get_bytes(&f, slen);
		if (!sec)
			break;   /* cut off by the write error */
		if (nev + EVC_BLOCK_MAX > evcap) {
			evcap = evcap ? evcap * 2 : EVC_BLOCK_MAX;
			while (evcap < nev + EVC_BLOCK_MAX)
				evcap *= 2;
			ev = xrealloc(ev, evcap * sizeof(*ev));
		}
		long k = tag == SEC_EVENT_BLOCK ? evc_decode(d, sec, slen, ev + nev) : -1;
		if (k < 0)
			rc = -EIO;
		else
			nev += (size_t)k;
	}
	evc_decoder_free(d);
	ZSTD_freeDCtx(z);
	free(in);
	free(body);
	if (!rc) {
		struct u64map ord_real, synth_real;
		u64map_init(&ord_real, 1024);
		u64map_init(&synth_real, 1024);
		struct live_ctx c = { &ord_real };
		evc_encoder_live(s->enc.evc, note_live, &c);
		uint64_t ord = 0, *a;
		for (size_t i = 0; i < nev; i++)
			if (ev[i].kind == EV_ALLOC && (a = u64map_get(&ord_real, ord++)) && ev[i].addr)
				*u64map_put(&synth_real, ev[i].addr, NULL) = *a;
		for (size_t i = 0; i < nev && synth_real.len; i++)
			if (ev[i].addr && (a = u64map_get(&synth_real, ev[i].addr)))
				ev[i].addr = *a;
		u64map_release(&ord_real);
		u64map_release(&synth_real);
		*out = ev;
		*n = nev;
	} else {
		free(ev);
	}
	return rc;
}
