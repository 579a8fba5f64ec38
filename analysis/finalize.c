/* Finalize: decode the raw chunks (skipping damaged ones by their checksum),
 * put every thread's events into one time order, map each stack address to
 * the module loaded there at the time, symbolize the distinct addresses once
 * and build the profile model with dense, deduplicated tables. */
#include "finalize.h"

#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <elf.h>
#include <sys/auxv.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include "../format/raw.h"
#include "../format/rawrec.h"
#include "../format/varint.h"
#include "../lib/die.h"
#include "../lib/hashmap.h"
#include "../lib/strbuf.h"
#include "../lib/vec.h"
#include "heap.h"
#include "profile-io.h"
#include "code.h"
#include "kallsyms.h"
#include "notes.h"
#include "symbolize.h"
#include "zone-fin.h"

/* Events are decoded straight into the model's struct, with absolute
 * CLOCK_MONOTONIC times and raw stack ids, fixed up in place afterwards: a
 * profile of tens of millions of events is not copied more than needed. */
#define rev sc_event

/* A queued heap event packed into 16 bytes (struct sc_event is 32): the
 * queues were the launcher's largest memory at a burst. a: the time less
 * the queue's base (QEV_TBITS), func, a free's bit, the wide bit, the size;
 * b: the address / 8 and the dense stack. An event that does not fit (a
 * size of 512 KiB or more, an address not 8-aligned or above 2^48, stack
 * ids past 2^19, a time QEV_TBITS past the base or before it) goes whole
 * into the thread's `wide` vector and a holds the wide bit and its index. */
struct qev {
	uint64_t a, b;
};
#define QEV_TBITS 38
#define QEV_FUNC_SHIFT QEV_TBITS
#define QEV_FREE_BIT (1ull << (QEV_TBITS + 5))
#define QEV_WIDE_BIT (1ull << (QEV_TBITS + 6))
#define QEV_SIZE_SHIFT (QEV_TBITS + 7)
#define QEV_SIZE_BITS (64 - QEV_SIZE_SHIFT)
#define QEV_ADDR_BITS 45              /* address / 8 */
#define QEV_STACK_BITS (64 - QEV_ADDR_BITS)
#define QEV_TBASE_SLACK 1000000ull    /* ns before a new base's first event that still fit */

struct rthread {
	uint32_t tid;
	char name[17];
	uint64_t start, end;
	/* The queue, packed (struct qev), times relative to the stream start,
	 * dense stacks; unpacked into ev only when the profile is built. */
	VEC(struct qev) q;
	VEC(struct rev) wide;         /* the queued events that do not pack */
	uint64_t tbase;               /* the time the packed times are from */
	uint16_t index;               /* in the thread table: its events' thread */
	int based;                    /* tbase is set (the queue held events since) */
	VEC(struct rev) ev;           /* build_profile's: the queue unpacked */
	size_t emitted;               /* how many of q went to the event stream */
	size_t dropped;               /* events before q[0], streamed and freed */
	VEC(struct sc_sample) samples; /* times relative, dense stacks */
	VEC(struct sc_sample) offcpu;  /* blocked spans: time = start, weight unused */
	VEC(uint64_t) offcpu_ns;       /* ... and their durations */
	VEC(struct sc_sample) xsamples; /* taken from outside (RAW_XSAMPLE), before reconcile() */
	uint64_t external;             /* of those, how many reconcile() kept */
};

struct rmod {
	uint32_t id;
	uint64_t bias, lo, hi, load, unload;
	char *path;
	uint8_t bid[32];
	uint32_t bidlen;
};

struct rstack {
	uint64_t time;
	uint32_t off, n, flags;
};

/* A RAW_NOTE as read (analysis/notes.h) */
struct rnote {
	uint32_t kind, pid;
	char *path, *detail;
};

/* The source lines of one (module, address), in the profile's arena. */
struct symc {
	uint32_t nlines;
	struct sc_line *lines;
};

struct fin {
	struct sc_profile *p;
	VEC(struct rthread) threads;
	struct u64map tid_index;      /* tid -> index+1 into threads */
	VEC(struct rmod) mods;
	VEC(uint64_t) ips;
	VEC(struct rstack) stacks;
	struct u64map stack_index;    /* raw id -> index into stacks */
	uint64_t start;               /* CLOCK_MONOTONIC ns at the stream's start */
	uint64_t tick0;               /* the tick count then; every record time is ticks */
	double ns_per_tick;
	struct tick_map tick;         /* the same as an exact multiply and shift (zone-fin.h) */
	uint64_t last_time;           /* ticks */
	int saw_end, saw_proc;
	uint64_t lost_chunks, lost_bytes;
	uint64_t lost_events;         /* RAW_LOST_EVENTS: the largest total seen */
	uint64_t corrupt;
	int exit_kind, exit_value;
	char *exe;
	VEC(char *) argv;
	uint32_t pid, ppid, flags, depth;
	uint64_t realtime;
	VEC(struct sc_rss) rss;       /* the runtime's own readings, CLOCK_MONOTONIC */
	/* Stack ids are made dense as events are decoded, in order of first use:
	 * dense_raw[d] is the raw id behind dense id d (0: the empty stack),
	 * raw2dense the reverse. */
	VEC(uint64_t) dense_raw;
	uint32_t *raw2dense;
	size_t raw2dense_cap;
	/* The stacks of RAW_XSAMPLE records, deduplicated by content: key
	 * (hash | 1 << 63, apart from the runtime's ids) -> dense id. */
	struct u64map xdense;
	/* the content of the stacks given dense ids (a hash of their
	 * addresses and flags) -> dense id: threads record one stack under ids
	 * of their own, and streamed events cannot be renumbered afterwards */
	struct u64map content;
	/* events compressed while the program runs, merged across threads up
	 * to the watermark (stream_push) */
	struct event_stream *es;
	struct heap_tally *tally;     /* the summary's totals, over the same events */
	int es_failed;
	struct rev stream_last;       /* the last streamed event */
	VEC(struct rev) merged;       /* stream_push's batch */
	/* Events read back from the stream when streaming stopped: in their
	 * final order, before every event still in the threads' arrays. Their
	 * times are the stream's (whole ticks), so they are never sorted again:
	 * an allocation and its free in one tick would trade places. */
	struct rev *back;
	size_t nback;
	uint64_t live_events;         /* streamed before finish() */
	const char *stream_why;       /* why streaming stopped, NULL: it did not */
	char why_buf[160];            /* stream_why when it says by how much */
	uint32_t cpu_hz, cpu_src;
	/* the process's CPU time when this image began sampling and at its
	 * final flush (RAW_PCPU): an exec'd image's own share of it */
	uint64_t pcpu[2];
	int have_pcpu[2];
	uint32_t perf_errno;          /* RAW_CPU_REFUSED */
	uint64_t leaf_only;           /* samples flagged RAW_SAMPLE_LEAF_ONLY */
	int streamed;                 /* build: the events are already in es */
	/* Symbolization, started while the program runs (raw_reader_warm) and
	 * finished by build_profile: one symbolizer, modules opened on their
	 * first hit, every (module, address) looked up once. */
	struct symbolizer *sym;
	int *handle;                  /* per module: symbolizer handle, -1 none, -2 not opened yet */
	size_t nhandle;
	struct u64map symkey;         /* sym_key() -> index into symc */
	VEC(struct symc) symc;
	size_t warm_next;             /* dense ids below it are in the cache */
	struct zone_fin *zf;          /* zones and traced calls (zone-fin.c), NULL: none */
	size_t zone_keep;             /* spans kept one by one at most (0: all) */
	int no_code;                  /* keep no code or source for annotation */
	int stale;                    /* a module's file no longer is what was loaded */
	VEC(struct rnote) notes;      /* RAW_NOTE, NOTE_EXEC_FAILED already applied */
	char *exec_path;              /* the last exec this image attempted (RAW_EXEC) */
	size_t exec_notes;            /* notes.len at that RAW_EXEC */
};

static struct rthread *thread_for(struct fin *f, uint32_t tid)
{
	bool isnew;
	uint64_t *slot = u64map_put(&f->tid_index, tid, &isnew);
	if (isnew) {
		struct rthread t;
		memset(&t, 0, sizeof(t));
		t.tid = tid;
		t.index = (uint16_t)f->threads.len;
		VEC_PUSH(&f->threads, t);
		*slot = f->threads.len;
	}
	return &f->threads.data[*slot - 1];
}

/* The dense id of raw stack id `raw`, assigned on first use. */
static uint32_t dense_of(struct fin *f, uint64_t raw)
{
	if (!raw || raw >= (1u << 26))
		return 0;   /* no stack, or an id no runtime hands out */
	if (raw >= f->raw2dense_cap) {
		size_t cap = f->raw2dense_cap ? f->raw2dense_cap : 1024;
		while (cap <= raw)
			cap *= 2;
		f->raw2dense = xrealloc(f->raw2dense, cap * sizeof(uint32_t));
		memset(f->raw2dense + f->raw2dense_cap, 0, (cap - f->raw2dense_cap) * sizeof(uint32_t));
		f->raw2dense_cap = cap;
	}
	if (!f->raw2dense[raw]) {
		/* a stack another thread already gave an id to keeps that id
		 * (its STACK record comes before its first use in the same
		 * buffer, so it is almost always known here) */
		uint64_t *si = u64map_get(&f->stack_index, raw);
		uint64_t h = 0;
		if (si) {
			const struct rstack *rs = &f->stacks.data[*si];
			h = hash_bytes(f->ips.data + rs->off, rs->n * sizeof(uint64_t), rs->n + ((uint64_t)rs->flags << 32));
			uint64_t *d = u64map_get(&f->content, h);
			if (d) {
				uint64_t *so = u64map_get(&f->stack_index, f->dense_raw.data[*d]);
				const struct rstack *o = so ? &f->stacks.data[*so] : NULL;
				if (o && o->n == rs->n && o->flags == rs->flags &&
				    !memcmp(f->ips.data + o->off, f->ips.data + rs->off, rs->n * sizeof(uint64_t))) {
					f->raw2dense[raw] = (uint32_t)*d;
					return f->raw2dense[raw];
				}
				si = NULL;   /* another stack of that hash holds the entry */
			}
		}
		if (!f->dense_raw.len)
			VEC_PUSH(&f->dense_raw, 0);
		VEC_PUSH(&f->dense_raw, raw);
		f->raw2dense[raw] = (uint32_t)(f->dense_raw.len - 1);
		if (si) {
			bool isnew;
			*u64map_put(&f->content, h, &isnew) = f->raw2dense[raw];
		}
	}
	return f->raw2dense[raw];
}

/* Ticks to ns since the stream's start. One affine map for the whole
 * stream, so the order of time stamps is kept exactly. */
static inline uint64_t rel_time(const struct fin *f, uint64_t t)
{
	if (t <= f->tick0)
		return 0;
	return tick_ns(&f->tick, t - f->tick0);
}

/* A string of a record (pointer and length into the chunk), NUL terminated */
static char *dup_str(const char *s, uint32_t n)
{
	char *c = xmalloc((size_t)n + 1);
	if (n)
		memcpy(c, s, n);
	c[n] = 0;
	return c;
}

static uint64_t zone_rel(void *ctx, uint64_t ticks);
static uint64_t zone_dur(void *ctx, uint64_t ticks);
static void zone_func(void *ctx, uint64_t addr, uint64_t ticks, const char **name, const char **file,
		      uint32_t *line);

/* ---- the packed queues (struct qev) ---- */

static inline struct qev q_pack(struct rthread *th, const struct rev *e)
{
	if (!th->based) {
		th->tbase = e->time > QEV_TBASE_SLACK ? e->time - QEV_TBASE_SLACK : 0;
		th->based = 1;
	}
	uint64_t dt = e->time - th->tbase;
	if (e->time >= th->tbase && dt < (1ull << QEV_TBITS) && e->func < 32 &&
	    (e->kind == EV_ALLOC || (e->kind == EV_FREE && !e->size && !e->stack)) &&
	    e->size < (1ull << QEV_SIZE_BITS) && !(e->addr & 7) && (e->addr >> 3) < (1ull << QEV_ADDR_BITS) &&
	    e->stack < (1u << QEV_STACK_BITS))
		return (struct qev){ dt | (uint64_t)e->func << QEV_FUNC_SHIFT | (e->kind == EV_FREE ? QEV_FREE_BIT : 0) |
					     e->size << QEV_SIZE_SHIFT,
				     e->addr >> 3 | (uint64_t)e->stack << QEV_ADDR_BITS };
	VEC_PUSH(&th->wide, *e);
	return (struct qev){ QEV_WIDE_BIT | (th->wide.len - 1), 0 };
}

static inline void q_unpack(const struct rthread *th, const struct qev *x, struct rev *e)
{
	if (x->a & QEV_WIDE_BIT) {
		*e = th->wide.data[x->a & (QEV_WIDE_BIT - 1)];
		return;
	}
	*e = (struct rev){ .time = th->tbase + (x->a & ((1ull << QEV_TBITS) - 1)),
			   .addr = (x->b & ((1ull << QEV_ADDR_BITS) - 1)) << 3,
			   .size = x->a >> QEV_SIZE_SHIFT,
			   .stack = (uint32_t)(x->b >> QEV_ADDR_BITS),
			   .thread = th->index,
			   .kind = (x->a & QEV_FREE_BIT) ? EV_FREE : EV_ALLOC,
			   .func = (uint8_t)((x->a >> QEV_FUNC_SHIFT) & 31) };
}

static inline uint64_t q_time(const struct rthread *th, size_t k)
{
	const struct qev *x = &th->q.data[k];
	if (x->a & QEV_WIDE_BIT)
		return th->wide.data[x->a & (QEV_WIDE_BIT - 1)].time;
	return th->tbase + (x->a & ((1ull << QEV_TBITS) - 1));
}

static inline void q_push(struct rthread *th, const struct rev *e)
{
	struct qev x = q_pack(th, e);
	VEC_PUSH(&th->q, x);
}

/* Re-packs q[from..) against a new base (their least time), and drops the
 * wide events no entry refers to any longer: after a batch left the queue,
 * so that the times of a long run stay within QEV_TBITS of the base. */
static void q_rebase(struct rthread *th, size_t from)
{
	size_t n = th->q.len - from;
	if (!n) {
		th->based = 0;
		th->wide.len = 0;
		th->q.len = from;
		return;
	}
	struct rev *tmp = xmalloc(n * sizeof(*tmp));
	uint64_t least = UINT64_MAX;
	for (size_t k = 0; k < n; k++) {
		q_unpack(th, &th->q.data[from + k], &tmp[k]);
		if (tmp[k].time < least)
			least = tmp[k].time;
	}
	th->wide.len = 0;
	th->based = 1;
	th->tbase = least;
	th->q.len = from;
	for (size_t k = 0; k < n; k++)
		q_push(th, &tmp[k]);
	free(tmp);
}

/* Decodes one intact chunk. Returns -1 if a record is malformed (the rest of
 * the chunk is dropped; what came before it stays). */
static int decode_chunk(struct fin *f, uint32_t tid, uint64_t base, const uint8_t *p, size_t n)
{
	struct fmt_reader r = { p, p + n, 0 };
	struct rthread *th = thread_for(f, tid);
	uint64_t t = base, addr = 0;
	while (r.p < r.end) {
		uint8_t type;
		int64_t dt;
		if (raw_get_head(&r, &type, &dt))
			return -1;
		t += (uint64_t)dt;
		switch (type) {
		case RAW_ALLOC: {
			struct raw_alloc a;
			if (raw_get_alloc(&r, &a))
				return -1;
			struct rev e = { .time = rel_time(f, t), .kind = EV_ALLOC, .func = a.func,
					 .thread = (uint16_t)(th - f->threads.data) };
			e.stack = dense_of(f, a.stack);
			e.size = a.size;
			/* a failed call (address 0) leaves the delta base alone, as
			 * in the runtime */
			e.addr = addr + (uint64_t)a.daddr;
			if (e.addr)
				addr = e.addr;
			q_push(th, &e);
			break;
		}
		case RAW_FREE: {
			struct raw_free fr;
			if (raw_get_free(&r, &fr))
				return -1;
			struct rev e = { .time = rel_time(f, t), .kind = EV_FREE, .func = fr.func,
					 .thread = (uint16_t)(th - f->threads.data) };
			e.addr = addr + (uint64_t)fr.daddr;
			if (e.addr)
				addr = e.addr;
			q_push(th, &e);
			break;
		}
		case RAW_STACK: {
			struct rstack st = { .time = t, .off = (uint32_t)f->ips.len };
			/* decoded straight into the table's free room */
			VEC_RESERVE(&f->ips, RAW_MAX_STACK);
			struct raw_stack rs = { .ipbuf = f->ips.data + f->ips.len };
			if (raw_get_stack(&r, &rs))
				return -1;
			f->ips.len += rs.n;
			st.flags = (uint32_t)rs.flags;
			st.n = rs.n;
			bool isnew;
			uint64_t *slot = u64map_put(&f->stack_index, rs.id, &isnew);
			VEC_PUSH(&f->stacks, st);
			*slot = f->stacks.len - 1;
			break;
		}
		case RAW_MODULE: {
			struct raw_module rm;
			if (raw_get_module(&r, &rm))
				return -1;
			struct rmod m;
			memset(&m, 0, sizeof(m));
			m.id = (uint32_t)rm.id;
			m.bias = rm.bias;
			m.lo = rm.lo;
			m.hi = rm.hi;
			m.path = dup_str(rm.path, rm.path_len);
			if (rm.bid_len)
				memcpy(m.bid, rm.bid, rm.bid_len);
			m.bidlen = rm.bid_len;
			m.load = t;
			VEC_PUSH(&f->mods, m);
			break;
		}
		case RAW_UNLOAD: {
			struct raw_unload ru;
			if (raw_get_unload(&r, &ru))
				return -1;
			uint32_t id = (uint32_t)ru.id;
			for (size_t i = f->mods.len; i-- > 0;)
				if (f->mods.data[i].id == id && !f->mods.data[i].unload) {
					f->mods.data[i].unload = t;
					break;
				}
			break;
		}
		case RAW_THREAD:
		case RAW_THREAD_END: {
			struct raw_thread rt;
			if (raw_get_thread(&r, &rt))
				return -1;
			struct rthread *o = thread_for(f, (uint32_t)rt.tid);
			snprintf(o->name, sizeof(o->name), "%.*s", (int)strnlen(rt.name, rt.name_len), rt.name);
			if (type == RAW_THREAD && (!o->start || t < o->start))
				o->start = t;
			if (type == RAW_THREAD_END && t > o->end)
				o->end = t;
			/* thread_for may have moved the table */
			th = thread_for(f, tid);
			break;
		}
		case RAW_PROC: {
			struct raw_proc rp;
			if (raw_get_proc(&r, &rp))
				return -1;
			f->pid = (uint32_t)rp.pid;
			f->ppid = (uint32_t)rp.ppid;
			f->flags = (uint32_t)rp.flags;
			f->depth = (uint32_t)rp.depth;
			f->realtime = rp.realtime;
			free(f->exe);
			f->exe = dup_str(rp.exe, rp.exe_len);
			const uint8_t *a = (const uint8_t *)rp.argv;
			size_t alen = rp.argv_len;
			for (size_t i = 0; i < f->argv.len; i++)
				free(f->argv.data[i]);
			f->argv.len = 0;
			for (size_t i = 0; i < alen;) {
				size_t l = strnlen((const char *)a + i, alen - i);
				char *s = xmalloc(l + 1);
				memcpy(s, a + i, l);
				s[l] = 0;
				VEC_PUSH(&f->argv, s);
				i += l + 1;
			}
			f->saw_proc = 1;
			break;
		}
		case RAW_EXIT: {
			struct raw_exit_rec x;
			if (raw_get_exit(&r, &x))
				return -1;
			f->exit_kind = (int)x.kind;
			f->exit_value = (int)x.value;
			break;
		}
		case RAW_LOST: {
			struct raw_lost l;
			if (raw_get_lost(&r, &l))
				return -1;
			uint64_t c = l.chunks, b = l.bytes;
			if (c > f->lost_chunks)
				f->lost_chunks = c;
			if (b > f->lost_bytes)
				f->lost_bytes = b;
			break;
		}
		case RAW_LOST_EVENTS: {
			struct raw_lost_events le;
			if (raw_get_lost_events(&r, &le))
				return -1;
			uint64_t ev = le.events;
			if (ev > f->lost_events)
				f->lost_events = ev;
			break;
		}
		case RAW_EXEC: {
			struct raw_exec x;
			if (raw_get_exec(&r, &x))
				return -1;
			free(f->exec_path);
			f->exec_path = dup_str(x.path, x.path_len);
			f->exec_notes = f->notes.len;
			break;
		}
		case RAW_NOTE: {
			struct raw_note_rec rn;
			if (raw_get_note(&r, &rn))
				return -1;
			struct rnote nt = { (uint32_t)rn.kind, (uint32_t)rn.pid, dup_str(rn.path, rn.path_len),
					    dup_str(rn.detail, rn.detail_len) };
			if (nt.kind == NOTE_EXEC_FAILED) {
				/* That pid's last exec failed: its note is void. This
				 * image's own exec failed: it goes on, and the note
				 * (if any) came after the RAW_EXEC. */
				size_t from = 0;
				if (nt.pid == f->pid && f->exec_path) {
					free(f->exec_path);
					f->exec_path = NULL;
					from = f->exec_notes;
				} else if (nt.pid == f->pid) {
					from = f->notes.len;
				}
				for (size_t i = f->notes.len; i-- > from;)
					if (f->notes.data[i].pid == nt.pid && f->notes.data[i].kind != NOTE_OWN_MALLOC) {
						free(f->notes.data[i].path);
						free(f->notes.data[i].detail);
						memmove(&f->notes.data[i], &f->notes.data[i + 1],
							(f->notes.len - i - 1) * sizeof(nt));
						f->notes.len--;
						break;
					}
				free(nt.path);
				free(nt.detail);
			} else {
				VEC_PUSH(&f->notes, nt);
			}
			break;
		}
		case RAW_END: {
			struct raw_end re;
			if (raw_get_end(&r, &re))
				return -1;
			f->saw_end = 1;
			break;
		}
		case RAW_SAMPLE: {
			struct sc_sample x = { .time = rel_time(f, t),
					       .thread = (uint16_t)(th - f->threads.data) };
			struct raw_sample rs;
			if (raw_get_sample(&r, &rs))
				return -1;
			x.stack = dense_of(f, rs.stack);
			uint64_t w = rs.weight, fl = rs.flags;
			x.weight = w > UINT32_MAX ? UINT32_MAX : (uint32_t)w;
			x.offcpu = fl & RAW_SAMPLE_OFFCPU;
			f->leaf_only += (fl & RAW_SAMPLE_LEAF_ONLY) != 0;
			VEC_PUSH(&th->samples, x);
			break;
		}
		case RAW_XSAMPLE: {
			size_t off = f->ips.len;
			VEC_RESERVE(&f->ips, RAW_MAX_STACK);
			struct raw_xsample rx = { .ipbuf = f->ips.data + off };
			if (raw_get_xsample(&r, &rx))
				return -1;
			f->ips.len += rx.n;
			uint64_t ns = rx.ns, w = rx.weight, fl = rx.flags, k = rx.n;
			/* the time in ticks, for the modules loaded then */
			uint64_t rel = ns > f->start ? ns - f->start : 0;
			uint64_t ticks = f->tick0 + (uint64_t)((double)rel / f->ns_per_tick);
			uint64_t key = hash_bytes(f->ips.data + off, k * sizeof(uint64_t), k) | (1ull << 63);
			bool isnew;
			uint64_t *slot = u64map_put(&f->stack_index, key, &isnew);
			if (isnew) {
				struct rstack st = { .time = ticks, .off = (uint32_t)off, .n = (uint32_t)k,
						     .flags = RAW_STACK_EXACT_PC };
				VEC_PUSH(&f->stacks, st);
				*slot = f->stacks.len - 1;
			} else {
				f->ips.len = off;
			}
			uint64_t *ds = u64map_put(&f->xdense, key, &isnew);
			if (isnew) {
				if (!f->dense_raw.len)
					VEC_PUSH(&f->dense_raw, 0);
				VEC_PUSH(&f->dense_raw, key);
				*ds = f->dense_raw.len - 1;
			}
			struct sc_sample x = { .time = rel, .thread = (uint16_t)(th - f->threads.data),
					       .stack = (uint32_t)*ds };
			x.weight = w > UINT32_MAX ? UINT32_MAX : (uint32_t)w;
			x.offcpu = fl & RAW_SAMPLE_OFFCPU;
			VEC_PUSH(&th->xsamples, x);
			break;
		}
		case RAW_OFFCPU: {
			struct sc_sample x = { .time = rel_time(f, t), .offcpu = 1,
					       .thread = (uint16_t)(th - f->threads.data) };
			struct raw_offcpu ro;
			if (raw_get_offcpu(&r, &ro))
				return -1;
			x.stack = dense_of(f, ro.stack);
			uint64_t d = ro.dur;
			VEC_PUSH(&th->offcpu, x);
			VEC_PUSH(&th->offcpu_ns, rel_time(f, t + d) - x.time);
			break;
		}
		case RAW_CPU: {
			struct raw_cpu rc;
			if (raw_get_cpu(&r, &rc))
				return -1;
			f->cpu_hz = (uint32_t)rc.hz;
			f->cpu_src = (uint32_t)rc.source;
			break;
		}
		case RAW_PCPU: {
			struct raw_pcpu pc;
			if (raw_get_pcpu(&r, &pc))
				return -1;
			if (pc.phase < 2) {
				f->pcpu[pc.phase] = pc.ns;
				f->have_pcpu[pc.phase] = 1;
			}
			break;
		}
		case RAW_CPU_REFUSED: {
			struct raw_cpu_refused cr;
			if (raw_get_cpu_refused(&r, &cr))
				return -1;
			f->perf_errno = (uint32_t)cr.err;
			break;
		}
		case RAW_RSS: {
			struct raw_rss rr;
			if (raw_get_rss(&r, &rr))
				return -1;
			struct sc_rss s = { t, rr.bytes };
			VEC_PUSH(&f->rss, s);
			break;
		}
		case RAW_ZBEGIN:
		case RAW_ZEND0:
			/* calls: this record and the begins and plain ends after
			 * it in one loop, the time map inlined */
			if (zone_fin_calls(&f->zf, &(struct zone_fin_env){ f, zone_rel, zone_dur, zone_func,
									     f->zone_keep, f->tick0, f->tick },
					   (uint32_t)(th - f->threads.data), type, &t, &f->last_time, &r) != 0)
				return -1;
			break;
		case RAW_ZNAME:
		case RAW_ZEND:
		case RAW_ZMARK:
		case RAW_ZCOUNTER:
		case RAW_ZTHREAD:
		case RAW_ZERROR:
		case RAW_ZDROP:
			if (zone_fin_decode(&f->zf, &(struct zone_fin_env){ f, zone_rel, zone_dur, zone_func, f->zone_keep,
										       f->tick0, f->tick },
					    (uint32_t)(th - f->threads.data), type, t, &r) != 0)
				return -1;
			break;
		default:
			return -1;
		}
		if (t > f->last_time)
			f->last_time = t;
	}
	return 0;
}

/* Decodes the complete chunks at the front of d[0..n) and returns how many
 * bytes it consumed. A chunk whose header or checksum is wrong (a write cut
 * short by a full disk, or a kill mid-write) is skipped by searching for the
 * next chunk magic whose checksum holds. Unless `final`, a chunk still being
 * written (its length runs past n) is left for the next call. */
static size_t feed(struct fin *f, const uint8_t *d, size_t n, int final)
{
	size_t off = 0;
	while (off < n) {
		if (n - off < RAW_CHUNK_HDR && !final)
			break;
		int ok = 0;
		uint32_t magic = n - off >= 4 ? fmt_get_u32le(d + off) : 0;
		if (n - off >= RAW_CHUNK_HDR && (magic == RAW_CHUNK_MAGIC || magic == RAW_CHUNK_MAGIC4)) {
			uint32_t len = fmt_get_u32le(d + off + 4);
			if (len <= RAW_CHUNK_MAX && n - off - RAW_CHUNK_HDR < len && !final)
				break;
			if (len <= RAW_CHUNK_MAX && n - off - RAW_CHUNK_HDR >= len) {
				uint32_t ck = magic == RAW_CHUNK_MAGIC4 ?
						      fmt_chunk_sum4(d + off, d + off + RAW_CHUNK_HDR, len) :
						      fmt_chunk_sum(d + off, d + off + RAW_CHUNK_HDR, len);
				if (ck == fmt_get_u32le(d + off + 12)) {
					ok = 1;
					if (decode_chunk(f, fmt_get_u32le(d + off + 8), fmt_get_u64le(d + off + 16),
							 d + off + RAW_CHUNK_HDR, len) != 0)
						f->corrupt += len;
					off += RAW_CHUNK_HDR + len;
				}
			}
		}
		if (ok)
			continue;
		size_t next = off + 1;
		while (next + 4 <= n && fmt_get_u32le(d + next) != RAW_CHUNK_MAGIC &&
		       fmt_get_u32le(d + next) != RAW_CHUNK_MAGIC4)
			next++;
		if (next + 4 > n) {
			if (!final)
				break;   /* maybe the start of a magic: look again later */
			next = n;
		}
		f->corrupt += next - off;
		off = next;
	}
	return off;
}

static int rev_cmp(const void *a, const void *b)
{
	const struct rev *x = a, *y = b;
	if (x->time != y->time)
		return x->time < y->time ? -1 : 1;
	/* same ns: a free goes first, so an address reused at once stays apart */
	return (int)y->kind - (int)x->kind;
}

static int sample_cmp(const void *a, const void *b)
{
	const struct sc_sample *x = a, *y = b;
	if (x->time != y->time)
		return x->time < y->time ? -1 : 1;
	return (int)x->thread - (int)y->thread;
}

static int sorted(const struct rev *e, size_t n)
{
	for (size_t i = 1; i < n; i++)
		if (e[i].time < e[i - 1].time)
			return 0;
	return 1;
}

/* Sorts q[from..) by rev_cmp when its times are out of order (they are
 * not, but for a realloc's old block stamped before the call). */
static void q_sort(struct rthread *th, size_t from)
{
	size_t n = th->q.len - from, k;
	for (k = from + 1; k < th->q.len; k++)
		if (q_time(th, k) < q_time(th, k - 1))
			break;
	if (k >= th->q.len)
		return;
	struct rev *tmp = xmalloc(n * sizeof(*tmp));
	for (k = 0; k < n; k++)
		q_unpack(th, &th->q.data[from + k], &tmp[k]);
	qsort(tmp, n, sizeof(*tmp), rev_cmp);
	th->q.len = from;
	for (k = 0; k < n; k++)
		q_push(th, &tmp[k]);
	free(tmp);
}

/* The queue unpacked into th->ev (build_profile's form), the packed one
 * freed. */
static void q_unpack_all(struct rthread *th)
{
	VEC_RESERVE(&th->ev, th->q.len);
	for (size_t k = 0; k < th->q.len; k++)
		q_unpack(th, &th->q.data[k], &th->ev.data[th->ev.len + k]);
	th->ev.len += th->q.len;
	VEC_FREE(&th->q);
	VEC_FREE(&th->wide);
	th->based = 0;
}

/* Index of the module loaded over addr when time t passed, or -1. */
static int module_at(struct fin *f, uint64_t addr, uint64_t t)
{
	int best = -1;
	for (size_t i = 0; i < f->mods.len; i++) {
		const struct rmod *m = &f->mods.data[i];
		if (addr < m->lo || addr >= m->hi)
			continue;
		if (m->load <= t && (!m->unload || t <= m->unload))
			return (int)i;
		best = (int)i;   /* same range at another time: better than nothing */
	}
	return best;
}

/* The vDSO has no file. The profiled program ran on this kernel, whose vDSO
 * is also mapped into this process: copy that image once into an unnamed
 * memory file (no name in /tmp to race for, nothing to clean up), so frames
 * in it (__vdso_clock_gettime and friends) get their names. A different
 * kernel's image is told apart by its build id (mod_handle). NULL if that
 * fails. */
static const char *vdso_file(void)
{
	static char path[64];
	static int tried;
	if (tried)
		return path[0] ? path : NULL;
	tried = 1;
	const unsigned char *base = (const unsigned char *)getauxval(AT_SYSINFO_EHDR);
	if (!base || memcmp(base, ELFMAG, SELFMAG) != 0)
		return NULL;
	const Elf64_Ehdr *eh = (const Elf64_Ehdr *)base;
	/* the image ends with its section headers */
	size_t size = (size_t)eh->e_shoff + (size_t)eh->e_shnum * eh->e_shentsize;
	if (!eh->e_shoff || size > (1u << 20))
		return NULL;
	int fd = memfd_create("scorch-vdso", MFD_CLOEXEC);
	if (fd < 0)
		return NULL;
	if (write(fd, base, size) != (ssize_t)size) {
		close(fd);
		return NULL;
	}
	/* the fd stays open for the process's life: the symbolizer opens the
	 * image by this path whenever a profile needs it */
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	return path;
}

static const char *base_name(const char *p)
{
	const char *s = strrchr(p, '/');
	return s ? s + 1 : p;
}

/* Whether module r is the vDSO ("linux-vdso.so.1" as the loader names it;
 * "linux-gate.so.1" on 32-bit x86), which no file on disk holds. */
static bool is_vdso(const struct rmod *r)
{
	const char *b = base_name(r->path);
	return (!strncmp(b, "linux-vdso.so", 13) || !strncmp(b, "linux-gate.so", 13)) &&
	       access(r->path, R_OK) != 0;
}

/* The cache key of an address in module mi (-1: none): user addresses fit
 * in 48 bits, so the key is exact. */
static uint64_t sym_key(int mi, uint64_t look)
{
	return (look & 0xffffffffffffull) | (uint64_t)(mi + 1) << 48;
}

/* The symbolizer handle of module mi, opening its file on first use. */
static int mod_handle(struct fin *f, int mi)
{
	if ((size_t)mi >= f->nhandle) {
		size_t n = f->mods.len;
		f->handle = xrealloc(f->handle, n * sizeof(int));
		for (size_t i = f->nhandle; i < n; i++)
			f->handle[i] = -2;
		f->nhandle = n;
	}
	if (f->handle[mi] == -2) {
		const struct rmod *r = &f->mods.data[mi];
		const char *file = is_vdso(r) ? vdso_file() : r->path;
		f->handle[mi] = file ? symbolizer_add_module(f->sym, file, r->bias, r->lo, r->hi) : -1;
		/* a file rebuilt or replaced since the program loaded it would
		 * name its frames wrongly: name them by module and offset */
		const uint8_t *bid;
		int n = f->handle[mi] >= 0 && r->bidlen ? symbolizer_build_id(f->sym, f->handle[mi], &bid) : 0;
		if (n > 0 && ((uint32_t)n != r->bidlen || memcmp(bid, r->bid, r->bidlen))) {
			f->handle[mi] = -1;
			f->stale = 1;
		}
	}
	return f->handle[mi];
}

/* The lines of address `look` in module mi, looked up once. A frame of a
 * module whose file is gone or unreadable, or outside every module, has an
 * unknown function ("??"): views name it "[module+0xoffset]" ("[0xaddr]"). */
static const struct symc *sym_lookup(struct fin *f, int mi, uint64_t look)
{
	struct arena *A = &f->p->arena;
	if (!f->sym) {
		f->sym = symbolizer_new(A);
		u64map_init(&f->symkey, 1024);
	}
	bool isnew;
	uint64_t *slot = u64map_put(&f->symkey, sym_key(mi, look), &isnew);
	if (!isnew)
		return &f->symc.data[*slot];
	struct sc_line lines[64];
	int nl = 0;
	const char *kn;
	if (mi >= 0 && !strcmp(f->mods.data[mi].path, "[kernel.kallsyms]")) {
		/* a kernel frame of a sample taken from outside (record -p) */
		if ((kn = kallsyms_name(look)) != NULL) {
			lines[0] = (struct sc_line){ arena_strdup(A, kn), "", 0, false };
			nl = 1;
		}
	} else if (mi >= 0 && mod_handle(f, mi) >= 0)
		nl = symbolizer_lookup(f->sym, f->handle[mi], look, lines, 64);
	if (nl < 1) {
		nl = 1;
		lines[0] = (struct sc_line){ "??", "", 0, false };
	}
	struct symc c = { (uint32_t)nl, arena_alloc(A, (size_t)nl * sizeof(struct sc_line)) };
	memcpy(c.lines, lines, (size_t)nl * sizeof(struct sc_line));
	VEC_PUSH(&f->symc, c);
	*slot = f->symc.len - 1;
	return &f->symc.data[*slot];
}

/* The address to look up for frame j of a stack, and its module. Frames
 * above the first are return addresses: the call is the byte before. */
static uint64_t frame_look(struct fin *f, const struct rstack *rs, uint32_t j, int *mi)
{
	uint64_t ip = f->ips.data[rs->off + j];
	int exact = j == 0 && (rs->flags & RAW_STACK_EXACT_PC);
	*mi = module_at(f, ip, rs->time);
	return exact || !ip ? ip : ip - 1;
}

static void build_zones(struct fin *f);

/* Whether module mi is scorch's own runtime (libscorch.so, preloaded or
 * linked), as heap.c tells it. */
static bool is_runtime(const struct fin *f, int32_t mi)
{
	return mi >= 0 && (size_t)mi < f->mods.len &&
	       !strncmp(base_name(f->mods.data[mi].path), "libscorch", 9);
}

/* Whether a runtime frame that the program called (the outermost of a run
 * of runtime frames) only passes the call on: an interposed function
 * (malloc, pthread_create, dlopen) or the thread trampoline, calling the
 * real one or the program's own code, which stays. A frame of the
 * runtime's own work (on_alloc, stats_alloc, a zone hook) or with code of
 * it inlined there is not. */
static bool runtime_passes_on(const struct sc_location *l)
{
	if (l->nlines != 1)
		return false;
	const char *fn = l->lines[0].func;
	return fn && fn[0] && strcmp(fn, "??") && strncmp(fn, "scorch", 6) &&
	       strncmp(fn, "__cyg_profile_func_", 19);
}

/* Drops scorch's own frames from a stack of n locations (innermost first)
 * so that no profile shows the profiler, whether the runtime kept them or
 * not: each runtime frame goes, and with it what it called when that was
 * the runtime's own work (libunwind under a heap hook's stack capture,
 * malloc_usable_size under its statistics), but not what an interposer
 * called for the program (libc's malloc under libscorch's, the program's
 * thread function under the trampoline). The time of a sample taken in
 * the runtime's own work counts to the program frame that called the
 * hook. A stack of nothing but runtime frames stays as it is. Returns the
 * new length. */
static size_t drop_runtime(const struct fin *f, uint32_t *ids, size_t n,
			   const struct sc_location *locs)
{
	size_t cut = 0;             /* frames [0, cut) go: the runtime's work */
	bool any = false;
	for (size_t i = n; i-- > 0 && !cut;) {
		if (!is_runtime(f, locs[ids[i]].module))
			continue;
		size_t j = i;           /* the run of runtime frames [j, i] */
		while (j > 0 && is_runtime(f, locs[ids[j - 1]].module))
			j--;
		any = true;
		if (i != j || !runtime_passes_on(&locs[ids[i]]))
			cut = j;
		i = j;
	}
	if (!any)
		return n;
	size_t w = 0;
	for (size_t i = cut; i < n; i++)
		if (!is_runtime(f, locs[ids[i]].module))
			ids[w++] = ids[i];
	if (!w)
		return n;           /* nothing but the runtime: keep what there is */
	return w;
}

/* Wall mode: the time a thread neither ran nor sat in a blocking call the
 * runtime wraps (waiting for a CPU, page faults on a slow disk, a raw
 * syscall) shows as the gaps between its on-CPU samples, which come a
 * period of CPU time apart; the first comes a period after the thread's
 * counter started (`start`, relative; 0 when unknown). Each gap, less that
 * period and the blocked spans inside it, is idle time; idle time becomes
 * off-CPU samples at the stack of the sample that ends its gap, where the
 * thread resumed. The remainder of a period carries over to the next gap,
 * so a busy machine's many short preemptions add up instead of each being
 * dropped as jitter (two hogs beside the program lost 14% of its lifetime
 * that way); delivery jitter, early and late alike, evens out in the same
 * carry, which may run a period into debt. */
static void fill_gaps(struct rthread *th, uint64_t period, uint64_t start)
{
	size_t n = th->samples.len, k = 0;
	int64_t carry = 0, P = (int64_t)period;
	for (size_t i = 0; i < n; i++) {
		const struct sc_sample *b = &th->samples.data[i];
		uint64_t lo;
		if (i == 0) {
			if (!start || start >= b->time || b->offcpu)
				continue;
			lo = start;
		} else {
			const struct sc_sample *a = &th->samples.data[i - 1];
			if (a->offcpu || b->offcpu || b->time < a->time)
				continue;
			lo = a->time;
		}
		/* between lo and b the thread ran one period, blocked in the spans
		 * that fall between them (wherever in the gap that period was
		 * spent), and waited the rest */
		uint64_t hi = b->time, blocked = 0;
		while (k < th->offcpu.len && th->offcpu.data[k].time + th->offcpu_ns.data[k] <= lo)
			k++;
		for (size_t j = k; j < th->offcpu.len && th->offcpu.data[j].time < hi; j++) {
			uint64_t s0 = th->offcpu.data[j].time, s1 = s0 + th->offcpu_ns.data[j];
			blocked += (s1 < hi ? s1 : hi) - (s0 > lo ? s0 : lo);
		}
		carry += (int64_t)(hi - lo) - P - (int64_t)blocked;
		if (carry < -P)
			carry = -P;
		if (carry < P - P / 4)
			continue;
		uint64_t m = (uint64_t)(carry + P / 2) / period;
		carry -= (int64_t)(m * period);
		struct sc_sample x = *b;
		x.offcpu = 1;
		x.weight = (uint32_t)period;
		uint64_t w = hi - lo > period ? hi - period - lo : 0;
		for (uint64_t j = 0; j < m; j++) {
			x.time = lo + w * (2 * j + 1) / (2 * m);
			VEC_PUSH(&th->samples, x);
		}
	}
}

/* A thread sampled from outside too (cli/extsample.c: it was seen blocking
 * the sample signal) has two samplers at the same period of its CPU time:
 * the runtime's, which takes nothing while the signal is blocked, and the
 * launcher's, which takes everything. So in a stretch of time the thread
 * had the signal blocked for a share of, the external samples outnumber the
 * in-process ones by that share of them. Stretches of 100 periods of wall
 * time, from the first external sample on: each in-process sample takes
 * the nearest external one of its stretch not taken yet, which goes; those
 * left are kept. (Paired one by one across a whole run, the samplers'
 * phases drift apart: a thread that ran 1.3 ms between two waits for a CPU
 * may get two samples from one and one from the other.) In-process samples
 * more than a period before the first external one stay as they are. The
 * kept ones join the thread's samples; returns how many. */
static size_t reconcile(struct rthread *th)
{
	size_t nx = th->xsamples.len;
	if (!nx)
		return 0;
	struct sc_sample *x = th->xsamples.data;
	qsort(x, nx, sizeof(*x), sample_cmp);
	uint64_t len = 100 * (uint64_t)(x[0].weight ? x[0].weight : 1000000);
	size_t ni = th->samples.len;
	struct sc_sample *in = xmalloc((ni + 1) * sizeof(*in));
	size_t k = 0;
	for (size_t i = 0; i < ni; i++)
		if (!th->samples.data[i].offcpu)
			in[k++] = th->samples.data[i];
	qsort(in, k, sizeof(*in), sample_cmp);
	char *drop = xcalloc(nx + 1, 1);
	size_t a = 0, b = 0;
	/* the first stretch begins a period before the first external
	 * sample: the in-process one of that period is its partner */
	uint64_t t1 = x[0].time > len / 100 ? x[0].time - len / 100 : 0;
	while (b < nx) {
		/* stretches follow each other, but none is empty of external
		 * samples: one begins at the next after a long gap */
		uint64_t t0 = x[b].time < t1 + len ? t1 : x[b].time;
		t1 = t0 + len;
		size_t b1 = b;
		while (b1 < nx && x[b1].time < t1)
			b1++;
		while (a < k && in[a].time < t0)
			a++;
		for (; a < k && in[a].time < t1; a++) {
			size_t best = b1;
			uint64_t bd = UINT64_MAX;
			for (size_t m = b; m < b1; m++) {
				uint64_t d = x[m].time > in[a].time ? x[m].time - in[a].time : in[a].time - x[m].time;
				if (!drop[m] && d < bd) {
					bd = d;
					best = m;
				}
			}
			if (best < b1)
				drop[best] = 1;
		}
		b = b1;
	}
	size_t kept = 0;
	for (size_t i = 0; i < nx; i++)
		if (!drop[i]) {
			VEC_PUSH(&th->samples, x[i]);
			kept++;
		}
	free(drop);
	free(in);
	VEC_FREE(&th->xsamples);
	return kept;
}

static void build_profile(struct fin *f)
{
	struct sc_profile *p = f->p;
	struct arena *A = &p->arena;

	for (size_t i = 0; i < f->threads.len; i++)
		q_unpack_all(&f->threads.data[i]);

	p->pid = f->pid;
	p->ppid = f->ppid;
	p->depth = f->depth;
	p->start_wall = f->realtime;
	p->exe = arena_strdup(A, f->exe ? f->exe : "?");
	p->argc = (uint32_t)f->argv.len;
	p->argv = arena_alloc(A, (f->argv.len + 1) * sizeof(char *));
	struct strbuf cl = STRBUF_INIT;
	for (size_t i = 0; i < f->argv.len; i++) {
		p->argv[i] = arena_strdup(A, f->argv.data[i]);
		sb_addf(&cl, "%s%s", i ? " " : "", f->argv.data[i]);
	}
	p->cmdline = arena_strdup(A, sb_str(&cl));
	sb_release(&cl);
	p->exit_kind = f->exit_kind;
	p->exit_value = f->exit_value;
	p->lost_chunks = f->lost_chunks;
	p->lost_bytes = f->lost_bytes;
	p->lost_events = f->lost_events;
	p->duration = rel_time(f, f->last_time);
	struct utsname u;
	p->host = arena_strdup(A, uname(&u) == 0 ? u.nodename : "");
	p->scorch_version = SCORCH_VERSION;
	if (f->flags & RAW_PROC_HEAP)
		p->flags |= PROF_HEAP;
	if (!f->saw_end)
		p->flags |= PROF_INCOMPLETE;
	if (f->lost_chunks || f->corrupt)
		p->flags |= PROF_TRUNCATED;

	/* modules */
	p->nmodules = f->mods.len;
	p->modules = arena_alloc(A, (f->mods.len + 1) * sizeof(*p->modules));
	for (size_t i = 0; i < f->mods.len; i++) {
		const struct rmod *r = &f->mods.data[i];
		struct sc_module *m = &p->modules[i];
		/* the vDSO as perf and pprof name it, not the loader's file name */
		m->path = arena_strdup(A, is_vdso(r) ? "[vdso]" : r->path);
		m->name = arena_strdup(A, is_vdso(r) ? "[vdso]" : base_name(r->path));
		memcpy(m->build_id, r->bid, r->bidlen);
		m->build_id_len = r->bidlen;
		m->bias = r->bias;
		m->lo = r->lo;
		m->hi = r->hi;
		m->load_time = rel_time(f, r->load);
		m->unload_time = r->unload ? rel_time(f, r->unload) : 0;
		m->is_main = f->exe && !strcmp(r->path, f->exe);
	}

	/* One stack per dense id, symbolized once per distinct address. Unless
	 * the events were already written out with the dense ids, identical
	 * stacks (threads record the same stack under ids of their own) are
	 * merged and the events renumbered. */
	struct u64map content, locmap;
	size_t nd = f->dense_raw.len ? f->dense_raw.len : 1;
	uint32_t *final_id = xmalloc(nd * sizeof(uint32_t));
	u64map_init(&content, nd);
	u64map_init(&locmap, 1024);
	VEC(struct sc_stack) stacks = { 0 };
	VEC(struct sc_location) locs = { 0 };
	VEC(uint32_t) tmp = { 0 };
	struct sc_stack empty = { 0, NULL };
	VEC_PUSH(&stacks, empty);
	final_id[0] = 0;
	int identity = 1;

	for (size_t d = 1; d < nd; d++) {
		uint64_t *si = u64map_get(&f->stack_index, f->dense_raw.data[d]);
		const struct rstack *rs = si ? &f->stacks.data[*si] : NULL;   /* NULL: its STACK was lost */
		tmp.len = 0;
		for (uint32_t j = 0; rs && j < rs->n; j++) {
			int mi;
			uint64_t look = frame_look(f, rs, j, &mi);
			bool ln;
			uint64_t *lslot = u64map_put(&locmap, sym_key(mi, look), &ln);
			if (ln) {
				/* a location per address in use: the cache may hold
				 * addresses only the run's early guesses asked for */
				const struct symc *c = sym_lookup(f, mi, look);
				struct sc_location l = { .addr = look, .module = mi, .nlines = c->nlines,
							 .lines = c->lines };
				VEC_PUSH(&locs, l);
				*lslot = locs.len - 1;
			}
			VEC_PUSH(&tmp, (uint32_t)*lslot);
		}
		tmp.len = drop_runtime(f, tmp.data, tmp.len, locs.data);
		if (!f->streamed) {
			uint64_t h = hash_bytes(tmp.data, tmp.len * sizeof(uint32_t), tmp.len);
			bool cn;
			uint64_t *cslot = u64map_put(&content, h, &cn);
			if (!cn) {
				final_id[d] = (uint32_t)*cslot;
				identity = 0;
				continue;
			}
			*cslot = stacks.len;
		}
		struct sc_stack st = { (uint32_t)tmp.len, arena_alloc(A, (tmp.len + 1) * sizeof(uint32_t)) };
		if (tmp.len)   /* an empty stack's tmp may have no array at all */
			memcpy(st.locs, tmp.data, tmp.len * sizeof(uint32_t));
		final_id[d] = (uint32_t)stacks.len;
		if (final_id[d] != d)
			identity = 0;
		VEC_PUSH(&stacks, st);
	}
	if (!identity)
		for (size_t ti = 0; ti < f->threads.len; ti++) {
			struct rthread *th = &f->threads.data[ti];
			for (size_t k = 0; k < th->ev.len; k++)
				th->ev.data[k].stack = final_id[th->ev.data[k].stack];
			for (size_t k = 0; k < th->samples.len; k++)
				th->samples.data[k].stack = final_id[th->samples.data[k].stack];
			for (size_t k = 0; k < th->xsamples.len; k++)
				th->xsamples.data[k].stack = final_id[th->xsamples.data[k].stack];
			for (size_t k = 0; k < th->offcpu.len; k++)
				th->offcpu.data[k].stack = final_id[th->offcpu.data[k].stack];
		}
	if (!identity)
		for (size_t k = 0; k < f->nback; k++)
			f->back[k].stack = final_id[f->back[k].stack];
	free(final_id);
	p->stacks = arena_alloc(A, stacks.len * sizeof(*p->stacks));
	memcpy(p->stacks, stacks.data, stacks.len * sizeof(*p->stacks));
	p->nstacks = stacks.len;
	p->locations = arena_alloc(A, (locs.len + 1) * sizeof(*p->locations));
	if (locs.len)
		memcpy(p->locations, locs.data, locs.len * sizeof(*p->locations));
	p->nlocations = locs.len;
	VEC_FREE(&stacks);
	VEC_FREE(&locs);
	VEC_FREE(&tmp);
	u64map_release(&content);
	u64map_release(&locmap);

	/* threads, then events merged across threads in time order */
	p->nthreads = f->threads.len;
	p->threads = arena_alloc(A, (f->threads.len + 1) * sizeof(*p->threads));
	size_t total = 0;
	for (size_t i = 0; i < f->threads.len; i++) {
		struct rthread *th = &f->threads.data[i];
		p->threads[i].tid = th->tid;
		p->threads[i].name = arena_strdup(A, th->name);
		p->threads[i].start = rel_time(f, th->start);
		p->threads[i].end = th->end ? rel_time(f, th->end) : 0;
		if (!sorted(th->ev.data, th->ev.len))
			qsort(th->ev.data, th->ev.len, sizeof(struct rev), rev_cmp);
		total += th->ev.len;
	}
	size_t with_events = 0, only = 0;
	for (size_t i = 0; i < f->threads.len; i++)
		if (f->threads.data[i].ev.len) {
			with_events++;
			only = i;
		}
	if (with_events <= 1) {
		/* one allocating thread: its array already is the answer */
		if (with_events) {
			struct rthread *th = &f->threads.data[only];
			p->events = th->ev.data;
			th->ev.data = NULL;
			th->ev.len = th->ev.cap = 0;
		} else {
			p->events = xmalloc(sizeof(*p->events));
		}

	} else {
		p->events = xmalloc((total + 1) * sizeof(*p->events));
		size_t *pos = xcalloc(f->threads.len + 1, sizeof(size_t));
		/* k-way merge; a linear pick over the threads that still have
		 * events, which are few in practice */
		for (size_t out = 0; out < total; out++) {
			size_t best = SIZE_MAX;
			const struct rev *be = NULL;
			for (size_t i = 0; i < f->threads.len; i++) {
				struct rthread *th = &f->threads.data[i];
				if (pos[i] >= th->ev.len)
					continue;
				const struct rev *e = &th->ev.data[pos[i]];
				if (!be || rev_cmp(e, be) < 0) {
					be = e;
					best = i;
				}
			}
			p->events[out] = *be;
			pos[best]++;
		}
		free(pos);
	}
	int streamed_back = f->nback != 0;
	if (f->nback) {
		/* streamed before streaming stopped: in their order, each before
		 * the others' events of its time (only a late one, the cause of
		 * the stop, may be older) */
		struct rev *all = xmalloc((f->nback + total + 1) * sizeof(*all));
		size_t a = 0, b = 0, o = 0;
		while (a < f->nback || b < total)
			if (b >= total || (a < f->nback && f->back[a].time <= p->events[b].time))
				all[o++] = f->back[a++];
			else
				all[o++] = p->events[b++];
		free(p->events);
		free(f->back);
		p->events = all;
		total += f->nback;
		f->back = NULL;
		f->nback = 0;
	}
	p->nevents = total;
	if (with_events > 1 || streamed_back) {
		/* frees stamped before their allocation on another CPU go after
		 * it (heap_tally_add), as when streaming */
		struct heap_tally *fix = heap_tally_new(0);
		heap_tally_add(fix, p->events, total);
		heap_tally_free(fix);
	}

	for (size_t i = 0; i < f->threads.len; i++)
		f->threads.data[i].external = reconcile(&f->threads.data[i]);
	/* Off-CPU spans become samples at the requested rate, as if a wall
	 * clock had sampled the blocked thread all along; the fractions of a
	 * period carry over from one span to the next of the same thread. */
	if ((f->flags & RAW_PROC_WALL) && f->cpu_hz) {
		uint64_t period = 1000000000ull / f->cpu_hz;
		for (size_t i = 0; i < f->threads.len; i++) {
			struct rthread *th = &f->threads.data[i];
			/* samples taken from outside came in batches, behind the
			 * runtime's: the gaps are between samples in time order */
			if (th->external)
				qsort(th->samples.data, th->samples.len, sizeof(*th->samples.data), sample_cmp);
			if (f->cpu_src == CPU_SRC_PERF_CPU_CLOCK || f->cpu_src == CPU_SRC_PERF_TASK_CLOCK)
				fill_gaps(th, period, th->start ? rel_time(f, th->start) : 0);
			uint64_t carry = 0;
			for (size_t k = 0; k < th->offcpu.len; k++) {
				struct sc_sample x = th->offcpu.data[k];
				uint64_t d = th->offcpu_ns.data[k], start = x.time, span = carry + d;
				x.weight = (uint32_t)period;
				for (uint64_t j = 0; j < span / period; j++) {
					x.time = start + j * period + period / 2;
					VEC_PUSH(&th->samples, x);
				}
				carry = span % period;
			}
		}
		p->flags |= PROF_WALL;
	}
	/* CPU samples, all threads in one time order */
	if (f->flags & RAW_PROC_CPU) {
		static const char *const src[] = { "unknown", "perf cpu-clock", "perf task-clock", "timer_create",
						   "nothing (the process was traced: a debugger or strace)" };
		p->flags |= PROF_CPU;
		p->sample_hz = f->cpu_hz;
		p->sample_source = src[f->cpu_src < 5 ? f->cpu_src : 0];
		/* threads that block the in-process sampler's signal were
		 * sampled by the launcher (cli/extsample.c): say for how many */
		size_t ext = 0;
		for (size_t i = 0; i < f->threads.len; i++)
			ext += f->threads.data[i].external != 0;
		/* a running process the launcher attached to (record -p): it
		 * wrote the stream, and reconcile() kept every sample, there
		 * being no in-process ones */
		if (f->flags & RAW_PROC_LAUNCHED)
			p->sample_source = "perf cpu-clock from outside (the program cannot be preloaded)";
		else if (f->flags & RAW_PROC_ATTACHED)
			p->sample_source = "perf cpu-clock from outside (attached to the running process)";
		else if (ext) {
			struct strbuf ss = STRBUF_INIT;
			if (f->cpu_src)
				sb_addf(&ss, "%s (from outside for %zu thread%s that block%s signals)", p->sample_source,
					ext, ext == 1 ? "" : "s", ext == 1 ? "s" : "");
			else
				sb_addf(&ss, "perf cpu-clock from outside (%zu thread%s)", ext, ext == 1 ? "" : "s");
			p->sample_source = arena_strdup(A, sb_str(&ss));
			sb_release(&ss);
		}
		/* this image's CPU time while it was sampled; the launcher puts
		 * the whole process's in its place when it knows better */
		if (f->have_pcpu[0] && f->have_pcpu[1] && f->pcpu[1] >= f->pcpu[0])
			p->cpu_time_ns = f->pcpu[1] - f->pcpu[0];
		p->perf_errno = f->perf_errno;
		p->leaf_only_samples = f->leaf_only;
	}
	size_t ns = 0;
	for (size_t i = 0; i < f->threads.len; i++)
		ns += f->threads.data[i].samples.len;
	p->samples = xmalloc((ns + 1) * sizeof(*p->samples));
	for (size_t i = 0; i < f->threads.len; i++) {
		struct rthread *th = &f->threads.data[i];
		if (th->samples.len)
			memcpy(p->samples + p->nsamples, th->samples.data, th->samples.len * sizeof(*p->samples));
		p->nsamples += th->samples.len;
	}
	qsort(p->samples, p->nsamples, sizeof(*p->samples), sample_cmp);

	p->rss = xmalloc((f->rss.len + 1) * sizeof(*p->rss));
	for (size_t i = 0; i < f->rss.len; i++) {
		p->rss[i].time = rel_time(f, f->rss.data[i].time);
		p->rss[i].bytes = f->rss.data[i].bytes;
	}
	p->nrss = f->rss.len;
	build_zones(f);
}

/* ---- zones: what zone_fin_build() needs from finalize ---- */

static uint64_t zone_rel(void *ctx, uint64_t ticks) { return rel_time(ctx, ticks); }

static uint64_t zone_dur(void *ctx, uint64_t ticks)
{
	const struct fin *f = ctx;
	return tick_ns(&f->tick, ticks);
}

/* A traced function by its entry address: the function containing it. */
static void zone_func(void *ctx, uint64_t addr, uint64_t ticks, const char **name, const char **file,
		      uint32_t *line)
{
	struct fin *f = ctx;
	int mi = module_at(f, addr, ticks);
	const struct symc *c = sym_lookup(f, mi, addr);
	const struct sc_line *l = &c->lines[c->nlines - 1];
	*name = l->func;
	if (!strcmp(l->func, "??")) {
		/* a zone has a name, not a location: the one views give it */
		char nm[320];
		if (mi >= 0)
			snprintf(nm, sizeof(nm), "[%s+0x%llx]", is_vdso(&f->mods.data[mi]) ? "[vdso]" :
				 base_name(f->mods.data[mi].path),
				 (unsigned long long)(addr - f->mods.data[mi].bias));
		else
			snprintf(nm, sizeof(nm), "[0x%llx]", (unsigned long long)addr);
		*name = arena_strdup(&f->p->arena, nm);
	}
	*file = l->file;
	*line = l->line;
}

static void build_zones(struct fin *f)
{
	struct zone_fin_env env = { f, zone_rel, zone_dur, zone_func, f->zone_keep, f->tick0, f->tick };
	zone_fin_build(f->zf, f->p, &env);
}

/* One poll of the stream (raw_reader_poll): the clock and the least slot
 * of the watermark page, then the stream's size, read in that order;
 * kind 0: a watermark, 1: no page (WM_NONE), 2: neither (not known yet). */
struct ckpt {
	uint64_t limit, now, least;
	int kind;
};

struct raw_reader {
	char *path;
	int fd, open_errno;
	int have_header;
	/* the runtime's watermark page (format/raw.h): 0 not looked for yet,
	 * 1 mapped, -1 none (an older runtime, or it could not make one), -2
	 * removed (finish) */
	int wm_state;
	const uint8_t *wm;
	int wm_rw;                    /* mapped writable: the launcher says how far it read */
	int live;                     /* the launcher's reader: it looks for the page */
	uint64_t tick_fs;             /* the launcher's TSC calibration, or 0 */
	uint64_t off;                 /* file offset of buf[0] */
	uint8_t *buf;
	size_t len, cap;
	/* The polls not yet acted on (raw_reader_poll): each one's file size,
	 * clock and least slot, read together. A launcher behind the program
	 * reads and encodes them in order, a bounded amount at a time, and
	 * the backlog waits in the raw file instead of in memory. */
	VEC(struct ckpt) ck;
	size_t ck_head;
	struct fin f;
};

struct raw_reader *raw_reader_new(const char *path)
{
	/* Blocks of 256 KiB and more (the per-thread queues, the read
	 * buffer) are mmap'd and go back to the system when freed or shrunk:
	 * glibc would otherwise raise this threshold to the largest block
	 * freed so far and keep later ones in its heap, resident. */
	mallopt(M_MMAP_THRESHOLD, 256 * 1024);
	struct raw_reader *r = xcalloc(1, sizeof(*r));
	r->path = xstrdup(path);
	r->fd = open(path, O_RDONLY | O_CLOEXEC);
	r->open_errno = r->fd < 0 ? errno : 0;
	u64map_init(&r->f.tid_index, 16);
	u64map_init(&r->f.stack_index, 1024);
	u64map_init(&r->f.xdense, 16);
	u64map_init(&r->f.content, 1024);
	r->f.zone_keep = ZONE_KEEP_DEFAULT;
	return r;
}

void raw_reader_set_zone_keep(struct raw_reader *r, size_t n)
{
	r->f.zone_keep = n;
}

void raw_reader_set_tick_fs(struct raw_reader *r, uint64_t tick_fs)
{
	if (!r->have_header)
		r->tick_fs = tick_fs;
}

/* Reads what was appended since the last call, up to file offset `limit`,
 * and decodes the complete chunks. Returns 0, or -1 when the file is not a
 * raw stream. While the program runs the limit is the file's size when the
 * watermark was read: reading on behind a program that keeps writing would
 * never end, and what it decoded past the watermark would wait in memory. */
static int reader_pump(struct raw_reader *r, int final, uint64_t limit)
{
	if (r->fd < 0)
		return -1;
	for (;;) {
		if (r->cap - r->len < (1u << 20)) {
			r->cap = r->cap ? r->cap * 2 : (2u << 20);
			r->buf = xrealloc(r->buf, r->cap);
		}
		size_t want = r->cap - r->len;
		uint64_t at = r->off + r->len;
		if (limit < at + want)
			want = limit > at ? (size_t)(limit - at) : 0;
		ssize_t got = want ? pread(r->fd, r->buf + r->len, want, (off_t)at) : 0;
		if (got < 0 && errno == EINTR)
			continue;
		if (got > 0)
			r->len += (size_t)got;
		size_t start = 0;
		if (!r->have_header) {
			if (r->len < RAW_FILE_HDR)
				return final && r->len ? -1 : 0;
			if (memcmp(r->buf, RAW_MAGIC, 8) != 0)
				return -1;
			r->f.start = fmt_get_u64le(r->buf + 8);
			r->f.tick0 = fmt_get_u64le(r->buf + 16);
			uint64_t fs = fmt_get_u64le(r->buf + 24);
			/* a stream on TSC ticks carries the rough rate the runtime
			 * started with; the launcher's, measured over longer, wins */
			if (fs && r->tick_fs)
				fs = r->tick_fs;
			r->f.ns_per_tick = fs ? (double)fs / 1e6 : 1.0;
			r->f.tick = tick_map_of(fs);
			r->f.last_time = r->f.tick0;
			r->have_header = 1;
			start = RAW_FILE_HDR;
		}
		int last = final && got <= 0;
		size_t used = start + feed(&r->f, r->buf + start, r->len - start, last);
		memmove(r->buf, r->buf + used, r->len - used);
		r->off += used;
		r->len -= used;
		if (got <= 0)
			return 0;
	}
}

void raw_reader_stream_to(struct raw_reader *r, const char *path)
{
	int err = 0;
	r->live = 1;
	r->f.es = event_stream_open(path, &err);
	if (!r->f.es)
		r->f.es_failed = 1;
	else
		r->f.tally = heap_tally_new(0);
}

/* ---- Streaming: events into the profile while the program runs ----
 *
 * The event stream takes events in global time order, but each thread's
 * events arrive when its runtime buffer is flushed, so the launcher keeps
 * what it decoded in per-thread queues and hands the stream, in the order
 * build_profile's merge would give, every event older than a watermark W:
 * a time below which no buffer can still deliver one. The runtime's
 * watermark page says, per buffer, the time of the first record it holds
 * unflushed (rt-core.c, "Watermarks"); W is the least of those, and of the
 * launcher's own clock less WM_MARGIN_NS, which covers the events a thread
 * stamped and has not committed yet (a free is stamped before its record is
 * made, realloc's old block before the call). The runtime flushes a buffer
 * whose first record is 10 ms old at its next record, and another thread
 * flushes it at 20 ms when its owner records no more, so W trails the
 * clock by about WM_MARGIN_NS and the queues hold about that much of the
 * run. Streaming stops, and finalize encodes everything at exit as before,
 * when an event arrives older than one already streamed (a thread held
 * between a time stamp and its record for longer than the margin, or a
 * signal handler's allocation inside a hook: counted as late), when the
 * queues pass STREAM_PENDING_MAX events (a buffer nobody can flush: its
 * owner left a hook by longjmp and never records again), when the page has
 * no slot left, and when a second thread allocates in a stream that has
 * no page (an older runtime). */
#define STREAM_BATCH (1u << 16)          /* events streamed between flushes */
#define WM_MARGIN_NS 50000000ull         /* 50 ms */
#define STREAM_PENDING_MAX (4u << 20)    /* events queued behind the watermark */
#define WM_NONE UINT64_MAX
#define MERGE_RUN 16384u                 /* events merged between hand-overs */
#define QUEUE_KEEP 8192u                 /* queued events a thread keeps room for */

static void stream_stop(struct fin *f, const char *why);

/* Everything streamed so far is made durable and leaves memory. */
static void stream_release(struct fin *f)
{
	if (event_stream_flush(f->es) != 0) {
		stream_stop(f, "a write failed");
		return;
	}
	for (size_t i = 0; i < f->threads.len; i++) {
		struct rthread *th = &f->threads.data[i];
		if (!th->emitted)
			continue;
		memmove(th->q.data, th->q.data + th->emitted, (th->q.len - th->emitted) * sizeof(*th->q.data));
		th->q.len -= th->emitted;
		th->dropped += th->emitted;
		th->emitted = 0;
		/* the rest against a base of its own (once its times are half
		 * the way to QEV_TBITS), the wide ones streamed gone */
		if (!th->q.len || th->wide.len || q_time(th, th->q.len - 1) - th->tbase > (1ull << (QEV_TBITS - 1)))
			q_rebase(th, 0);
		/* a burst's queue goes back to the system once it is streamed
		 * (the vectors are mmap'd: raw_reader_new), so the threads'
		 * bursts do not add up in the launcher's RSS */
		if (th->q.cap > QUEUE_KEEP && th->q.cap / 4 > th->q.len) {
			size_t cap = th->q.len * 2 > QUEUE_KEEP ? th->q.len * 2 : QUEUE_KEEP;
			th->q.data = xrealloc(th->q.data, cap * sizeof(*th->q.data));
			th->q.cap = cap;
		}
		if (th->wide.cap > 64 && th->wide.cap / 4 > th->wide.len) {
			size_t cap = th->wide.len * 2 > 64 ? th->wide.len * 2 : 64;
			th->wide.data = xrealloc(th->wide.data, cap * sizeof(*th->wide.data));
			th->wide.cap = cap;
		}
	}
}

/* Streams the queued events older than w (ns since the stream's start;
 * WM_NONE: there is no watermark page, so only a single allocating thread
 * can stream; UINT64_MAX - 1 at exit: all of them). */
static void stream_push(struct fin *f, uint64_t w)
{
	if (!f->es || f->es_failed)
		return;
	size_t with = 0, pending = 0, held = 0;
	for (size_t i = 0; i < f->threads.len; i++) {
		struct rthread *th = &f->threads.data[i];
		with += th->q.len || th->dropped;
		pending += th->q.len - th->emitted;
		held += th->emitted;
	}
	if (w == WM_NONE) {
		if (with > 1) {
			stream_stop(f, "a second thread allocated, and the stream has no watermark page");
			return;
		}
		w = UINT64_MAX - 1;
	}
	if (!pending)
		return;
	int any = event_stream_count(f->es) != 0;
	for (size_t i = 0; i < f->threads.len; i++) {
		struct rthread *th = &f->threads.data[i];
		if (th->q.len == th->emitted)
			continue;
		q_sort(th, th->emitted);
		struct rev e0;
		q_unpack(th, &th->q.data[th->emitted], &e0);
		if (any && rev_cmp(&e0, &f->stream_last) < 0) {
			snprintf(f->why_buf, sizeof(f->why_buf),
				 "an event came later than the watermark allowed (%.1f ms behind one streamed, thread %zu, kind %d)",
				 (double)(f->stream_last.time - e0.time) / 1e6, i, (int)e0.kind);
			stream_stop(f, f->why_buf);
			return;
		}
	}
	/* what would stay behind the watermark (a backlog the launcher read
	 * late is mostly older than it) */
	size_t behind = 0;
	for (size_t i = 0; i < f->threads.len && w < UINT64_MAX - 1; i++) {
		struct rthread *th = &f->threads.data[i];
		size_t lo = th->emitted, hi = th->q.len;
		while (lo < hi) {
			size_t mid = lo + (hi - lo) / 2;
			if (q_time(th, mid) < w)
				lo = mid + 1;
			else
				hi = mid;
		}
		behind += th->q.len - lo;
	}
	if (behind > STREAM_PENDING_MAX) {
		stream_stop(f, "a buffer held old events too long");
		return;
	}
	/* the merge of build_profile: the least event first, on a tie the
	 * thread first in the table; handed on MERGE_RUN events at a time */
	f->merged.len = 0;
	for (;;) {
		if (f->merged.len == MERGE_RUN) {
			/* the tally first: it may move a free after its allocation */
			heap_tally_add(f->tally, f->merged.data, f->merged.len);
			if (event_stream_add(f->es, f->merged.data, f->merged.len) != 0) {
				stream_stop(f, "a write failed");
				return;
			}
			f->stream_last = f->merged.data[f->merged.len - 1];
			held += f->merged.len;
			f->merged.len = 0;
		}
		/* the least head and the next least (on a tie, the thread first
		 * in the table): the first thread's events go on, in a run,
		 * until one of them no longer comes before the second's head */
		struct rthread *best = NULL, *next = NULL;
		struct rev be = { 0 }, ne = { 0 }, e;
		for (size_t i = 0; i < f->threads.len; i++) {
			struct rthread *th = &f->threads.data[i];
			if (th->emitted >= th->q.len)
				continue;
			q_unpack(th, &th->q.data[th->emitted], &e);
			if (e.time >= w)
				continue;
			if (!best || rev_cmp(&e, &be) < 0) {
				next = best;
				ne = be;
				best = th;
				be = e;
			} else if (!next || rev_cmp(&e, &ne) < 0) {
				next = th;
				ne = e;
			}
		}
		if (!best)
			break;
		for (;;) {
			VEC_PUSH(&f->merged, be);
			best->emitted++;
			if (f->merged.len == MERGE_RUN || best->emitted >= best->q.len)
				break;
			q_unpack(best, &best->q.data[best->emitted], &be);
			if (be.time >= w)
				break;
			if (next) {
				int c = rev_cmp(&be, &ne);
				if (c > 0 || (c == 0 && best > next))
					break;
			}
		}
	}
	if (f->merged.len) {
		heap_tally_add(f->tally, f->merged.data, f->merged.len);
		if (event_stream_add(f->es, f->merged.data, f->merged.len) != 0) {
			stream_stop(f, "a write failed");
			return;
		}
		f->stream_last = f->merged.data[f->merged.len - 1];
		held += f->merged.len;
	}
	/* Every STREAM_BATCH events make them durable in the stream and free
	 * them: they are the launcher's biggest memory. Until then a failed
	 * write (a full disk) loses nothing that read-back cannot bring back. */
	if (held >= STREAM_BATCH)
		stream_release(f);
}

/* Streaming ends (see above): what went to the stream comes back into
 * memory, in front of what followed, and finalize encodes everything at
 * exit as usual. */
static void stream_stop(struct fin *f, const char *why)
{
	f->es_failed = 1;
	f->stream_why = why;
	size_t nt = f->threads.len, need = 0;
	for (size_t i = 0; i < nt; i++)
		need += f->threads.data[i].dropped + f->threads.data[i].emitted;
	if (need) {
		struct sc_event *back = NULL;
		size_t n = 0;
		if (event_stream_read_back(f->es, &back, &n) != 0)
			n = 0;
		if (n < need)   /* only if the file went bad */
			f->corrupt += need - n;
		if (n > need)
			n = need;
		f->back = back;
		f->nback = n;
		/* what was streamed but is still in memory is in back too */
		for (size_t i = 0; i < nt; i++) {
			struct rthread *th = &f->threads.data[i];
			memmove(th->q.data, th->q.data + th->emitted, (th->q.len - th->emitted) * sizeof(*th->q.data));
			th->q.len -= th->emitted;
		}
	}
	for (size_t i = 0; i < nt; i++) {
		f->threads.data[i].dropped = 0;
		f->threads.data[i].emitted = 0;
	}
	event_stream_discard(f->es);
	f->es = NULL;
	heap_tally_free(f->tally);
	f->tally = NULL;
	VEC_FREE(&f->merged);
}

static uint64_t mono_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* The page is of use only while the program runs: unmapped once finish()
 * begins (the launcher removes its file with the raw stream). */
static void wm_drop(struct raw_reader *r)
{
	if (r->wm)
		munmap((void *)r->wm, RAW_WM_SIZE);
	r->wm = NULL;
	r->wm_state = -2;
}

/* Maps the stream's watermark page once its header is read: the runtime
 * makes the page before it writes the header, so none then means none. */
static void wm_map(struct raw_reader *r)
{
	if (r->wm_state || !r->have_header || !r->live)
		return;
	r->wm_state = -1;
	struct strbuf sb = STRBUF_INIT;
	sb_addf(&sb, "%s.wm", r->path);
	/* writable when it may be: the runtime waits for a launcher that
	 * says it is reading and is far behind (format/raw.h) */
	int fd = open(sb.buf, O_RDWR | O_CLOEXEC);
	r->wm_rw = fd >= 0;
	if (fd < 0)
		fd = open(sb.buf, O_RDONLY | O_CLOEXEC);
	sb_release(&sb);
	struct stat st;
	if (fd < 0)
		return;
	if (fstat(fd, &st) == 0 && st.st_size >= RAW_WM_SIZE) {
		void *m = mmap(NULL, RAW_WM_SIZE, r->wm_rw ? PROT_READ | PROT_WRITE : PROT_READ, MAP_SHARED, fd, 0);
		if (m != MAP_FAILED && fmt_get_u32le(m) == RAW_WM_MAGIC && fmt_get_u32le((uint8_t *)m + 4) == RAW_WM_SLOTS) {
			r->wm = m;
			r->wm_state = 1;
		} else if (m != MAP_FAILED) {
			munmap(m, RAW_WM_SIZE);
		}
	}
	close(fd);
}

/* Tells the runtime how far the stream is decoded, and that the launcher
 * is reading now (format/raw.h: header words 2 and 3). */
static void wm_progress(struct raw_reader *r)
{
	if (r->wm_state != 1 || !r->wm_rw)
		return;
	volatile uint64_t *h = (volatile uint64_t *)r->wm;
	h[3] = mono_ns();
	h[2] = r->off ? r->off : 1;
}

/* The least time (ticks) in the page's slots (records held, or stamped and
 * on their way), 0 if none is set; -1 when the page cannot be trusted (it
 * ran out of slots). */
static int wm_least(const struct raw_reader *r, uint64_t *least)
{
	const volatile uint32_t *h = (const volatile uint32_t *)r->wm;
	if (h[3])
		return -1;
	uint32_t used = h[2] < RAW_WM_SLOTS ? h[2] : RAW_WM_SLOTS;
	const volatile uint64_t *slot = (const volatile uint64_t *)(r->wm + RAW_WM_HDR);
	uint64_t m = 0;
	for (uint32_t i = 0; i < used; i++) {
		/* the stamp on its way first: a commit sets the first word
		 * before it clears this one */
		uint64_t a = slot[2 * i + 1];
		__atomic_thread_fence(__ATOMIC_ACQUIRE);
		uint64_t v = slot[2 * i];
		if (a && (!m || a < m))
			m = a;
		if (v && (!m || v < m))
			m = v;
	}
	__atomic_thread_fence(__ATOMIC_ACQUIRE);
	*least = m;
	return 0;
}

/* Acts on the oldest queued poll: reads the stream up to its size then,
 * at most `budget` bytes more (0: no bound), and streams what its
 * watermark lets go. Returns 1 when that poll is done, 0 when its bytes
 * are not all read yet, -1 when the file is not a raw stream. */
static int ck_step(struct raw_reader *r, uint64_t budget)
{
	struct ckpt *c = &r->ck.data[r->ck_head];
	uint64_t at = r->off + r->len, limit = c->limit;
	int whole = 1;
	if (budget && limit > at && limit - at > budget) {
		limit = at + budget;
		whole = 0;
	}
	if (reader_pump(r, 0, limit) != 0)
		return -1;
	wm_progress(r);
	if (!whole)
		return 0;
	r->ck_head++;
	struct fin *f = &r->f;
	if (c->kind == 0 && r->have_header) {
		uint64_t w = c->now > f->start + WM_MARGIN_NS ? c->now - f->start - WM_MARGIN_NS : 0;
		if (c->least && rel_time(f, c->least) < w)
			w = rel_time(f, c->least);
		stream_push(f, w);
	} else if (c->kind == 1) {
		stream_push(f, WM_NONE);
	}
	return 1;
}

/* Raw bytes read and encoded per poll at most: a launcher behind the
 * program (four threads storming on two cores) keeps the backlog on disk */
#define POLL_READ_MAX (1u << 20)

int raw_reader_poll(struct raw_reader *r)
{
	/* the clock and the slots before the file: an event a slot does not
	 * hold any more was written before the slot was read */
	struct ckpt c = { UINT64_MAX, mono_ns(), 0, 2 };
	int wm = r->wm_state == 1 ? wm_least(r, &c.least) : -2;
	if (wm == -1) {
		munmap((void *)r->wm, RAW_WM_SIZE);
		r->wm = NULL;
		r->wm_state = -1;
	}
	c.kind = wm == 0 ? 0 : r->wm_state == -1 ? 1 : 2;
	struct stat st;
	if (r->fd >= 0 && fstat(r->fd, &st) == 0)
		c.limit = (uint64_t)st.st_size;
	if (r->fd >= 0) {
		VEC_PUSH(&r->ck, c);
		uint64_t start = r->off + r->len;
		while (r->ck_head < r->ck.len) {
			uint64_t done = r->off + r->len - start;
			if (done >= POLL_READ_MAX)
				break;
			int k = ck_step(r, POLL_READ_MAX - done);
			if (k < 0) {
				close(r->fd);
				r->fd = -1;
				break;
			}
			if (k == 0)
				break;
		}
		if (r->ck_head == r->ck.len)
			r->ck.len = r->ck_head = 0;
	}
	wm_map(r);
	wm_progress(r);
	struct fin *f = &r->f;
	if (f->es && !f->es_failed)
		f->live_events = event_stream_count(f->es);
	return r->fd >= 0 && r->ck_head < r->ck.len;
}

/* Symbolizes the stacks decoded so far, while the program runs, for about
 * budget_ms: most of finalize's lookups are then done before it exits. An
 * address whose module record has not arrived yet (another thread's buffer
 * holds it) is looked up again at the end; build_profile maps every address
 * afresh, so a guess made early with a partial module list is never used
 * unless it is right. */
void raw_reader_warm(struct raw_reader *r, unsigned budget_ms)
{
	struct fin *f = &r->f;
	if (!f->saw_proc || f->warm_next >= f->dense_raw.len)
		return;
	if (!f->p)
		f->p = profile_new();
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	size_t d = f->warm_next ? f->warm_next : 1;
	for (; d < f->dense_raw.len; d++) {
		uint64_t *si = u64map_get(&f->stack_index, f->dense_raw.data[d]);
		if (!si)
			break;   /* its STACK record is still in an unflushed buffer */
		const struct rstack *rs = &f->stacks.data[*si];
		for (uint32_t j = 0; j < rs->n; j++) {
			int mi;
			uint64_t look = frame_look(f, rs, j, &mi);
			if (mi >= 0)
				sym_lookup(f, mi, look);
		}
		if ((d & 15) == 0) {
			clock_gettime(CLOCK_MONOTONIC, &t1);
			if ((t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000 >= budget_ms) {
				d++;
				break;
			}
		}
	}
	f->warm_next = d;
}

static int code_handle(void *ctx, int mi)
{
	return mod_handle(ctx, mi);
}

void raw_reader_set_no_code(struct raw_reader *r)
{
	r->f.no_code = 1;
}

static void reader_free(struct raw_reader *r)
{
	struct fin *f = &r->f;
	if (f->sym)
		symbolizer_free(f->sym);
	if (f->sym)
		u64map_release(&f->symkey);
	VEC_FREE(&f->symc);
	free(f->handle);
	profile_free(f->p);   /* left here only when finish failed */
	for (size_t i = 0; i < f->threads.len; i++) {
		VEC_FREE(&f->threads.data[i].ev);
		VEC_FREE(&f->threads.data[i].q);
		VEC_FREE(&f->threads.data[i].wide);
		VEC_FREE(&f->threads.data[i].samples);
		VEC_FREE(&f->threads.data[i].offcpu);
		VEC_FREE(&f->threads.data[i].offcpu_ns);
		VEC_FREE(&f->threads.data[i].xsamples);
	}
	VEC_FREE(&f->threads);
	for (size_t i = 0; i < f->mods.len; i++)
		free(f->mods.data[i].path);
	VEC_FREE(&f->mods);
	VEC_FREE(&f->ips);
	VEC_FREE(&f->stacks);
	for (size_t i = 0; i < f->argv.len; i++)
		free(f->argv.data[i]);
	VEC_FREE(&f->argv);
	VEC_FREE(&f->rss);
	free(f->exe);
	for (size_t i = 0; i < f->notes.len; i++) {
		free(f->notes.data[i].path);
		free(f->notes.data[i].detail);
	}
	VEC_FREE(&f->notes);
	free(f->exec_path);
	u64map_release(&f->tid_index);
	u64map_release(&f->stack_index);
	u64map_release(&f->xdense);
	VEC_FREE(&f->dense_raw);
	free(f->raw2dense);
	event_stream_discard(f->es);
	heap_tally_free(f->tally);
	VEC_FREE(&f->merged);
	free(f->back);
	u64map_release(&f->content);
	zone_fin_free(f->zf);
	wm_drop(r);
	VEC_FREE(&r->ck);
	if (r->fd >= 0)
		close(r->fd);
	free(r->buf);
	free(r->path);
	free(r);
}

/* The stream's notes go into the profile; the execs whose new image should
 * have written a stream of its own go to info for the launcher to check:
 * the vfork children's (NOTE_EXEC_CHILD), and the image's own last exec
 * when it ended by it and no note already says why it was not followed. */
static void take_notes(struct fin *f, struct finalize_info *info)
{
	bool own_noted = false;
	for (size_t i = 0; i < f->notes.len; i++) {
		const struct rnote *n = &f->notes.data[i];
		if (n->kind == NOTE_EXEC_CHILD) {
			if (info)
				finalize_info_add_exec(info, n->pid, 0, n->path);
			continue;
		}
		if (n->pid == f->pid && n->kind != NOTE_OWN_MALLOC)
			own_noted = true;
		profile_add_note(f->p, n->kind, n->pid, n->path, n->detail);
	}
	if (info && f->exit_kind == EXIT_EXEC && f->exec_path && !own_noted)
		finalize_info_add_exec(info, f->pid, 1, f->exec_path);
}

void finalize_info_add_exec(struct finalize_info *info, uint32_t pid, int own, const char *path)
{
	info->execs = xrealloc(info->execs, (info->nexecs + 1) * sizeof(*info->execs));
	info->execs[info->nexecs++] = (struct finalize_exec){ pid, own, xstrdup(path) };
}

void finalize_info_release(struct finalize_info *info)
{
	for (size_t i = 0; i < info->nexecs; i++)
		free(info->execs[i].path);
	free(info->execs);
	info->execs = NULL;
	info->nexecs = 0;
}

/* The polls the launcher has not acted on yet, in order, after the
 * program's exit: the backlog is read and encoded a poll at a time. */
static int ck_drain(struct raw_reader *r)
{
	while (r->fd >= 0 && r->ck_head < r->ck.len)
		if (ck_step(r, 0) < 0)
			return -1;
	return 0;
}

int raw_reader_finish(struct raw_reader *r, struct sc_profile **out, struct finalize_info *info,
		      char *err, size_t errlen)
{
	*out = NULL;
	int rc = 0;
	if (r->fd < 0 && !r->have_header) {
		snprintf(err, errlen, "%s: cannot read: %s", r->path, strerror(r->open_errno ? r->open_errno : EIO));
		rc = -1;
	} else if (ck_drain(r) != 0 || reader_pump(r, 1, UINT64_MAX) != 0) {
		snprintf(err, errlen, "%s: not a raw scorch stream", r->path);
		rc = -1;
	} else if (!r->f.saw_proc) {
		snprintf(err, errlen, "%s: the stream holds no process record (the program died at once?)", r->path);
		rc = -1;
	} else {
		struct fin *f = &r->f;
		wm_drop(r);
		/* every event is in: the rest goes to the stream in one merge */
		stream_push(f, UINT64_MAX - 1);
		size_t total = f->nback;
		for (size_t i = 0; i < f->threads.len; i++)
			total += f->threads.data[i].q.len + f->threads.data[i].dropped;
		f->streamed = f->es && !f->es_failed && info && event_stream_count(f->es) == total;
		if (!f->streamed && f->es && !f->es_failed)
			stream_stop(f, NULL);   /* e.g. no info wanted: bring the events back */
		if (!f->p)
			f->p = profile_new();
		build_profile(f);
		if (!f->no_code)
			code_capture(f->p, f->sym, code_handle, f);
		if (f->stale)
			f->p->flags |= PROF_STALE;
		take_notes(f, info);
		if (info) {
			info->mono_start = f->start;
			info->mono_end = f->start + rel_time(f, f->last_time);
			info->saw_end = f->saw_end;
			info->have_cpu_at_start = f->have_pcpu[0];
			info->cpu_at_start = f->pcpu[0];
			info->corrupt_bytes = f->corrupt;
			info->events_total = total;
			info->events_live = f->streamed ? f->live_events : 0;
			info->stream_stopped = f->stream_why;
			info->events = f->streamed ? f->es : NULL;
			info->have_totals = f->streamed && f->tally;
			if (info->have_totals)
				heap_tally_totals(f->tally, f->p, &info->totals);
		}
		if (f->streamed)
			f->es = NULL;   /* the caller's now */
		if (f->streamed)
			f->p->streamed_events = total;
		*out = f->p;
		f->p = NULL;
	}
	reader_free(r);
	return rc;
}

int finalize_raw(const char *path, struct sc_profile **out, struct finalize_info *info,
		 char *err, size_t errlen)
{
	return raw_reader_finish(raw_reader_new(path), out, info, err, errlen);
}

static int rss_cmp(const void *a, const void *b)
{
	const struct sc_rss *x = a, *y = b;
	return x->time < y->time ? -1 : x->time > y->time;
}

void finalize_add_rss(struct sc_profile *p, const struct finalize_info *info,
		      const struct sc_rss *s, size_t n)
{
	size_t k = 0;
	p->rss = xrealloc(p->rss, (p->nrss + n + 1) * sizeof(*p->rss));
	for (size_t i = 0; i < n; i++) {
		if (s[i].time < info->mono_start || s[i].time > info->mono_end + 20000000ull)
			continue;
		p->rss[p->nrss + k].time = s[i].time - info->mono_start;
		p->rss[p->nrss + k].bytes = s[i].bytes;
		k++;
	}
	p->nrss += k;
	qsort(p->rss, p->nrss, sizeof(*p->rss), rss_cmp);
}
