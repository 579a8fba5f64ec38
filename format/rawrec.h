/* The raw stream's records (format/raw.h, docs/format.md "Raw stream"), one
 * codec for both sides: per record type a struct of its fields as they go on
 * the wire, raw_put_<type>() that writes the whole record (type byte, dt,
 * fields) and returns the end pointer, and raw_get_<type>() that reads the
 * fields after the head (raw_get_head() reads the type byte and dt) and says
 * whether they are well formed.
 *
 * Put side: the runtime writes records inside malloc hooks and signal
 * handlers, so the put functions are static inline, never allocate, call
 * nothing but memcpy and write into room the caller reserved: at most
 * RAW_<TYPE>_MAX bytes (a function of the string and stack lengths for the
 * records that carry them).
 *
 * Get side: strings come back as pointer and length into the chunk (not NUL
 * terminated), stacks are decoded into the caller's array of RAW_MAX_STACK
 * ips. A get returns 0, or -1 when the record is cut short, a varint is
 * overlong, or a field is out of its range (the checks finalize made on its
 * own before); the reader's err is set then. Nothing is allocated. */
#ifndef SCORCH_FORMAT_RAWREC_H
#define SCORCH_FORMAT_RAWREC_H

#include <stdint.h>
#include <string.h>

#include "raw.h"
#include "varint.h"

/* string bounds a get enforces */
#define RAW_PATH_MAX_LEN 4096u        /* MODULE path */
#define RAW_BUILDID_MAX_LEN 32u       /* MODULE build id */
#define RAW_TNAME_MAX_LEN 64u         /* THREAD, THREAD_END name */
#define RAW_LONGSTR_MAX_LEN (1u << 16) /* PROC exe, EXEC path, NOTE path and detail */
#define RAW_ZSTR_MAX_LEN 4096u        /* ZNAME name and file, ZTHREAD name */

/* ---- helpers ---- */

static inline uint8_t *raw_put_head(uint8_t *p, enum raw_rec type, int64_t dt)
{
	*p++ = (uint8_t)type;
	return fmt_put_s(p, dt);
}

static inline uint8_t *raw_put_str(uint8_t *p, const char *s, uint32_t n)
{
	p = fmt_put_u(p, n);
	if (n)
		memcpy(p, s, n);
	return p + n;
}

static inline uint8_t *raw_put_ips(uint8_t *p, const uint64_t *ips, uint32_t n)
{
	uint64_t prev = 0;
	for (uint32_t i = 0; i < n; i++) {
		p = fmt_put_s(p, (int64_t)(ips[i] - prev));
		prev = ips[i];
	}
	return p;
}

/* The type byte and dt of the next record: 0, or -1 at the end of the
 * reader or on a bad varint. */
static inline int raw_get_head(struct fmt_reader *r, uint8_t *type, int64_t *dt)
{
	if (r->err || r->p >= r->end) {
		r->err = 1;
		return -1;
	}
	*type = *r->p++;
	*dt = fmt_get_s(r);
	return r->err ? -1 : 0;
}

static inline int raw_fail(struct fmt_reader *r)
{
	r->err = 1;
	return -1;
}

static inline int raw_get_str(struct fmt_reader *r, const char **s, uint32_t *n, uint32_t max)
{
	uint64_t l = fmt_get_u(r);
	const uint8_t *b = fmt_get_bytes(r, l);
	if (!b || l > max)
		return raw_fail(r);
	*s = (const char *)b;
	*n = (uint32_t)l;
	return 0;
}

static inline int raw_get_ips(struct fmt_reader *r, uint64_t *ips, uint64_t n)
{
	uint64_t ip = 0;
	for (uint64_t i = 0; i < n; i++) {
		ip += (uint64_t)fmt_get_s(r);
		ips[i] = ip;
	}
	return r->err ? -1 : 0;
}

#define RAW_HEAD_MAX (1 + VARINT_MAX)

/* ---- ALLOC: dt, func (one byte), stack id, size, address delta ---- */
struct raw_alloc {
	int64_t dt;
	uint8_t func;        /* enum raw_func */
	uint64_t stack;
	uint64_t size;
	int64_t daddr;       /* against the chunk's previous nonzero address */
};
#define RAW_ALLOC_MAX (RAW_HEAD_MAX + 1 + 3 * VARINT_MAX)

static inline uint8_t *raw_put_alloc(uint8_t *p, const struct raw_alloc *r)
{
	p = raw_put_head(p, RAW_ALLOC, r->dt);
	*p++ = r->func;
	p = fmt_put_u(p, r->stack);
	p = fmt_put_u(p, r->size);
	return fmt_put_s(p, r->daddr);
}

static inline int raw_get_alloc(struct fmt_reader *r, struct raw_alloc *o)
{
	const uint8_t *fn = fmt_get_bytes(r, 1);
	o->func = fn ? *fn : 0;
	o->stack = fmt_get_u(r);
	o->size = fmt_get_u(r);
	o->daddr = fmt_get_s(r);
	if (r->err || o->func >= FN__COUNT)
		return raw_fail(r);
	return 0;
}

/* ---- FREE: dt, func, address delta (address 0: free(NULL)) ---- */
struct raw_free {
	int64_t dt;
	uint8_t func;
	int64_t daddr;
};
#define RAW_FREE_MAX (RAW_HEAD_MAX + 1 + VARINT_MAX)

static inline uint8_t *raw_put_free(uint8_t *p, const struct raw_free *r)
{
	p = raw_put_head(p, RAW_FREE, r->dt);
	*p++ = r->func;
	return fmt_put_s(p, r->daddr);
}

static inline int raw_get_free(struct fmt_reader *r, struct raw_free *o)
{
	const uint8_t *fn = fmt_get_bytes(r, 1);
	o->func = fn ? *fn : 0;
	o->daddr = fmt_get_s(r);
	if (r->err || o->func >= FN__COUNT)
		return raw_fail(r);
	return 0;
}

/* ---- STACK: dt (0), id, flags, n, n zigzag deltas of the ips ---- */
struct raw_stack {
	int64_t dt;
	uint64_t id;
	uint64_t flags;      /* RAW_STACK_* */
	uint32_t n;          /* at most RAW_MAX_STACK */
	void *const *ips;    /* put: the frames */
	uint64_t *ipbuf;     /* get: room for RAW_MAX_STACK ips, set by the caller */
};
#define RAW_STACK_MAX(n) (RAW_HEAD_MAX + 3 * VARINT_MAX + (size_t)(n) * VARINT_MAX)

static inline uint8_t *raw_put_stack(uint8_t *p, const struct raw_stack *r)
{
	p = raw_put_head(p, RAW_STACK, r->dt);
	p = fmt_put_u(p, r->id);
	p = fmt_put_u(p, r->flags);
	p = fmt_put_u(p, r->n);
	uint64_t prev = 0;
	for (uint32_t k = 0; k < r->n; k++) {
		uint64_t a = (uint64_t)(uintptr_t)r->ips[k];
		p = fmt_put_s(p, (int64_t)(a - prev));
		prev = a;
	}
	return p;
}

static inline int raw_get_stack(struct fmt_reader *r, struct raw_stack *o)
{
	o->id = fmt_get_u(r);
	o->flags = fmt_get_u(r);
	uint64_t k = fmt_get_u(r);
	if (r->err || k > RAW_MAX_STACK)
		return raw_fail(r);
	o->n = (uint32_t)k;
	return raw_get_ips(r, o->ipbuf, k);
}

/* ---- MODULE: dt, id, bias, lo, hi, path, build id ---- */
struct raw_module {
	int64_t dt;
	uint64_t id, bias, lo, hi;
	const char *path;
	uint32_t path_len;   /* at most RAW_PATH_MAX_LEN */
	const uint8_t *bid;
	uint32_t bid_len;    /* at most RAW_BUILDID_MAX_LEN */
};
#define RAW_MODULE_MAX(plen, blen) (RAW_HEAD_MAX + 6 * VARINT_MAX + (size_t)(plen) + (size_t)(blen))

static inline uint8_t *raw_put_module(uint8_t *p, const struct raw_module *r)
{
	p = raw_put_head(p, RAW_MODULE, r->dt);
	p = fmt_put_u(p, r->id);
	p = fmt_put_u(p, r->bias);
	p = fmt_put_u(p, r->lo);
	p = fmt_put_u(p, r->hi);
	p = raw_put_str(p, r->path, r->path_len);
	return raw_put_str(p, (const char *)r->bid, r->bid_len);
}

static inline int raw_get_module(struct fmt_reader *r, struct raw_module *o)
{
	o->id = fmt_get_u(r);
	o->bias = fmt_get_u(r);
	o->lo = fmt_get_u(r);
	o->hi = fmt_get_u(r);
	const char *b = NULL;
	if (raw_get_str(r, &o->path, &o->path_len, RAW_PATH_MAX_LEN) ||
	    raw_get_str(r, &b, &o->bid_len, RAW_BUILDID_MAX_LEN))
		return raw_fail(r);
	o->bid = (const uint8_t *)b;
	return 0;
}

/* ---- UNLOAD: dt, module id ---- */
struct raw_unload {
	int64_t dt;
	uint64_t id;
};
#define RAW_UNLOAD_MAX (RAW_HEAD_MAX + VARINT_MAX)

static inline uint8_t *raw_put_unload(uint8_t *p, const struct raw_unload *r)
{
	return fmt_put_u(raw_put_head(p, RAW_UNLOAD, r->dt), r->id);
}

static inline int raw_get_unload(struct fmt_reader *r, struct raw_unload *o)
{
	o->id = fmt_get_u(r);
	return r->err ? -1 : 0;
}

/* ---- THREAD and THREAD_END: dt, tid, name ---- */
struct raw_thread {
	int64_t dt;
	uint64_t tid;
	const char *name;
	uint32_t name_len;   /* at most RAW_TNAME_MAX_LEN */
};
#define RAW_THREAD_MAX(nlen) (RAW_HEAD_MAX + 2 * VARINT_MAX + (size_t)(nlen))
#define RAW_THREAD_END_MAX(nlen) RAW_THREAD_MAX(nlen)

static inline uint8_t *raw_put_thread_as(uint8_t *p, enum raw_rec type, const struct raw_thread *r)
{
	p = raw_put_head(p, type, r->dt);
	p = fmt_put_u(p, r->tid);
	return raw_put_str(p, r->name, r->name_len);
}

static inline uint8_t *raw_put_thread(uint8_t *p, const struct raw_thread *r)
{
	return raw_put_thread_as(p, RAW_THREAD, r);
}

static inline uint8_t *raw_put_thread_end(uint8_t *p, const struct raw_thread *r)
{
	return raw_put_thread_as(p, RAW_THREAD_END, r);
}

/* for both THREAD and THREAD_END */
static inline int raw_get_thread(struct fmt_reader *r, struct raw_thread *o)
{
	o->tid = fmt_get_u(r);
	return raw_get_str(r, &o->name, &o->name_len, RAW_TNAME_MAX_LEN);
}
#define raw_get_thread_end raw_get_thread

/* ---- PROC: dt, pid, ppid, flags, depth, realtime ns, exe, argv ---- */
struct raw_proc {
	int64_t dt;
	uint64_t pid, ppid, flags, depth, realtime;
	const char *exe;
	uint32_t exe_len;    /* at most RAW_LONGSTR_MAX_LEN */
	const char *argv;    /* NUL separated */
	uint32_t argv_len;
};
#define RAW_PROC_MAX(elen, alen) (RAW_HEAD_MAX + 7 * VARINT_MAX + (size_t)(elen) + (size_t)(alen))

static inline uint8_t *raw_put_proc(uint8_t *p, const struct raw_proc *r)
{
	p = raw_put_head(p, RAW_PROC, r->dt);
	p = fmt_put_u(p, r->pid);
	p = fmt_put_u(p, r->ppid);
	p = fmt_put_u(p, r->flags);
	p = fmt_put_u(p, r->depth);
	p = fmt_put_u(p, r->realtime);
	p = raw_put_str(p, r->exe, r->exe_len);
	return raw_put_str(p, r->argv, r->argv_len);
}

static inline int raw_get_proc(struct fmt_reader *r, struct raw_proc *o)
{
	o->pid = fmt_get_u(r);
	o->ppid = fmt_get_u(r);
	o->flags = fmt_get_u(r);
	o->depth = fmt_get_u(r);
	o->realtime = fmt_get_u(r);
	if (raw_get_str(r, &o->exe, &o->exe_len, RAW_LONGSTR_MAX_LEN) ||
	    raw_get_str(r, &o->argv, &o->argv_len, UINT32_MAX))
		return raw_fail(r);
	return 0;
}

/* ---- EXIT: dt, kind (enum raw_exit), value (signed) ---- */
struct raw_exit_rec {
	int64_t dt;
	uint64_t kind;
	int64_t value;
};
#define RAW_EXIT_MAX (RAW_HEAD_MAX + 2 * VARINT_MAX)

static inline uint8_t *raw_put_exit(uint8_t *p, const struct raw_exit_rec *r)
{
	p = raw_put_head(p, RAW_EXIT, r->dt);
	p = fmt_put_u(p, r->kind);
	return fmt_put_s(p, r->value);
}

static inline int raw_get_exit(struct fmt_reader *r, struct raw_exit_rec *o)
{
	o->kind = fmt_get_u(r);
	o->value = fmt_get_s(r);
	return r->err ? -1 : 0;
}

/* ---- LOST: dt, chunks lost, bytes lost (totals) ---- */
struct raw_lost {
	int64_t dt;
	uint64_t chunks, bytes;
};
#define RAW_LOST_MAX (RAW_HEAD_MAX + 2 * VARINT_MAX)

static inline uint8_t *raw_put_lost(uint8_t *p, const struct raw_lost *r)
{
	p = raw_put_head(p, RAW_LOST, r->dt);
	p = fmt_put_u(p, r->chunks);
	return fmt_put_u(p, r->bytes);
}

static inline int raw_get_lost(struct fmt_reader *r, struct raw_lost *o)
{
	o->chunks = fmt_get_u(r);
	o->bytes = fmt_get_u(r);
	return r->err ? -1 : 0;
}

/* ---- EXEC: dt, path ---- */
struct raw_exec {
	int64_t dt;
	const char *path;
	uint32_t path_len;   /* at most RAW_LONGSTR_MAX_LEN */
};
#define RAW_EXEC_MAX(plen) (RAW_HEAD_MAX + VARINT_MAX + (size_t)(plen))

static inline uint8_t *raw_put_exec(uint8_t *p, const struct raw_exec *r)
{
	return raw_put_str(raw_put_head(p, RAW_EXEC, r->dt), r->path, r->path_len);
}

static inline int raw_get_exec(struct fmt_reader *r, struct raw_exec *o)
{
	return raw_get_str(r, &o->path, &o->path_len, RAW_LONGSTR_MAX_LEN);
}

/* ---- END: dt ---- */
struct raw_end {
	int64_t dt;
};
#define RAW_END_MAX RAW_HEAD_MAX

static inline uint8_t *raw_put_end(uint8_t *p, const struct raw_end *r)
{
	return raw_put_head(p, RAW_END, r->dt);
}

static inline int raw_get_end(struct fmt_reader *r, struct raw_end *o)
{
	(void)o;
	return r->err ? -1 : 0;
}

/* ---- RSS: dt, resident bytes ---- */
struct raw_rss {
	int64_t dt;
	uint64_t bytes;
};
#define RAW_RSS_MAX (RAW_HEAD_MAX + VARINT_MAX)

static inline uint8_t *raw_put_rss(uint8_t *p, const struct raw_rss *r)
{
	return fmt_put_u(raw_put_head(p, RAW_RSS, r->dt), r->bytes);
}

static inline int raw_get_rss(struct fmt_reader *r, struct raw_rss *o)
{
	o->bytes = fmt_get_u(r);
	return r->err ? -1 : 0;
}

/* ---- SAMPLE: dt, stack id, weight ns, flags (RAW_SAMPLE_*) ---- */
struct raw_sample {
	int64_t dt;
	uint64_t stack, weight, flags;
};
#define RAW_SAMPLE_MAX (RAW_HEAD_MAX + 3 * VARINT_MAX)

static inline uint8_t *raw_put_sample(uint8_t *p, const struct raw_sample *r)
{
	p = raw_put_head(p, RAW_SAMPLE, r->dt);
	p = fmt_put_u(p, r->stack);
	p = fmt_put_u(p, r->weight);
	return fmt_put_u(p, r->flags);
}

static inline int raw_get_sample(struct fmt_reader *r, struct raw_sample *o)
{
	o->stack = fmt_get_u(r);
	o->weight = fmt_get_u(r);
	o->flags = fmt_get_u(r);
	return r->err ? -1 : 0;
}

/* ---- CPU: dt, requested Hz, source (enum raw_cpu_source) ---- */
struct raw_cpu {
	int64_t dt;
	uint64_t hz, source;
};
#define RAW_CPU_MAX (RAW_HEAD_MAX + 2 * VARINT_MAX)

static inline uint8_t *raw_put_cpu(uint8_t *p, const struct raw_cpu *r)
{
	p = raw_put_head(p, RAW_CPU, r->dt);
	p = fmt_put_u(p, r->hz);
	return fmt_put_u(p, r->source);
}

static inline int raw_get_cpu(struct fmt_reader *r, struct raw_cpu *o)
{
	o->hz = fmt_get_u(r);
	o->source = fmt_get_u(r);
	return r->err ? -1 : 0;
}

/* ---- OFFCPU: dt (when the blocking call began), stack id, duration in ticks ---- */
struct raw_offcpu {
	int64_t dt;
	uint64_t stack, dur;
};
#define RAW_OFFCPU_MAX (RAW_HEAD_MAX + 2 * VARINT_MAX)

static inline uint8_t *raw_put_offcpu(uint8_t *p, const struct raw_offcpu *r)
{
	p = raw_put_head(p, RAW_OFFCPU, r->dt);
	p = fmt_put_u(p, r->stack);
	return fmt_put_u(p, r->dur);
}

static inline int raw_get_offcpu(struct fmt_reader *r, struct raw_offcpu *o)
{
	o->stack = fmt_get_u(r);
	o->dur = fmt_get_u(r);
	return r->err ? -1 : 0;
}

/* ---- ZNAME: dt (0), id (not 0), kind; string: name, file, line; function: address ---- */
struct raw_zname_rec {
	int64_t dt;
	uint64_t id;
	uint8_t kind;        /* enum raw_zname */
	const char *name, *file;
	uint32_t name_len, file_len;   /* at most RAW_ZSTR_MAX_LEN */
	uint64_t line;
	uint64_t addr;       /* ZNAME_FUNC */
};
#define RAW_ZNAME_MAX(nlen, flen) (RAW_HEAD_MAX + 1 + 4 * VARINT_MAX + (size_t)(nlen) + (size_t)(flen))

static inline uint8_t *raw_put_zname(uint8_t *p, const struct raw_zname_rec *r)
{
	p = raw_put_head(p, RAW_ZNAME, r->dt);
	p = fmt_put_u(p, r->id);
	*p++ = r->kind;
	if (r->kind == ZNAME_FUNC)
		return fmt_put_u(p, r->addr);
	p = raw_put_str(p, r->name, r->name_len);
	p = raw_put_str(p, r->file, r->file_len);
	return fmt_put_u(p, r->line);
}

static inline int raw_get_zname(struct fmt_reader *r, struct raw_zname_rec *o)
{
	o->id = fmt_get_u(r);
	const uint8_t *kind = fmt_get_bytes(r, 1);
	if (!kind)
		return raw_fail(r);
	o->kind = *kind;
	o->name = o->file = NULL;
	o->name_len = o->file_len = 0;
	o->line = o->addr = 0;
	if (o->kind == ZNAME_FUNC) {
		o->addr = fmt_get_u(r);
	} else if (o->kind == ZNAME_STRING) {
		if (raw_get_str(r, &o->name, &o->name_len, RAW_ZSTR_MAX_LEN) ||
		    raw_get_str(r, &o->file, &o->file_len, RAW_ZSTR_MAX_LEN))
			return -1;
		o->line = fmt_get_u(r);
	} else {
		return raw_fail(r);
	}
	if (r->err || !o->id)
		return raw_fail(r);
	return 0;
}

/* ---- ZBEGIN, ZMARK: dt, name id (not 0) ---- */
struct raw_zid {
	int64_t dt;
	uint64_t id;
};
#define RAW_ZBEGIN_MAX (RAW_HEAD_MAX + VARINT_MAX)
#define RAW_ZMARK_MAX RAW_ZBEGIN_MAX

static inline uint8_t *raw_put_zbegin(uint8_t *p, const struct raw_zid *r)
{
	return fmt_put_u(raw_put_head(p, RAW_ZBEGIN, r->dt), r->id);
}

static inline uint8_t *raw_put_zmark(uint8_t *p, const struct raw_zid *r)
{
	return fmt_put_u(raw_put_head(p, RAW_ZMARK, r->dt), r->id);
}

static inline int raw_get_zbegin(struct fmt_reader *r, struct raw_zid *o)
{
	o->id = fmt_get_u(r);
	if (r->err || !o->id)
		return raw_fail(r);
	return 0;
}
#define raw_get_zmark raw_get_zbegin

/* ---- ZEND: dt, name id, allocations, bytes, flags (RAW_ZF_*), [dropped ticks] ---- */
struct raw_zend {
	int64_t dt;
	uint64_t id, allocs, bytes;
	uint64_t flags;      /* at most 0xffff */
	uint64_t kids;       /* with RAW_ZF_DROPPED_KIDS, else 0 */
};
#define RAW_ZEND_MAX (RAW_HEAD_MAX + 5 * VARINT_MAX)

static inline uint8_t *raw_put_zend(uint8_t *p, const struct raw_zend *r)
{
	p = raw_put_head(p, RAW_ZEND, r->dt);
	p = fmt_put_u(p, r->id);
	p = fmt_put_u(p, r->allocs);
	p = fmt_put_u(p, r->bytes);
	p = fmt_put_u(p, r->flags);
	if (r->flags & RAW_ZF_DROPPED_KIDS)
		p = fmt_put_u(p, r->kids);
	return p;
}

static inline int raw_get_zend(struct fmt_reader *r, struct raw_zend *o)
{
	o->id = fmt_get_u(r);
	o->allocs = fmt_get_u(r);
	o->bytes = fmt_get_u(r);
	o->flags = fmt_get_u(r);
	o->kids = (o->flags & RAW_ZF_DROPPED_KIDS) ? fmt_get_u(r) : 0;
	if (r->err || o->flags > 0xffff)
		return raw_fail(r);
	return 0;
}

/* ---- ZEND0: dt, name id: a ZEND of 0 allocations, 0 bytes, no flags ---- */
#define RAW_ZEND0_MAX RAW_ZBEGIN_MAX

static inline uint8_t *raw_put_zend0(uint8_t *p, const struct raw_zid *r)
{
	p = raw_put_head(p, RAW_ZEND0, r->dt);
	return fmt_put_u(p, r->id);
}

static inline int raw_get_zend0(struct fmt_reader *r, struct raw_zid *o)
{
	o->id = fmt_get_u(r);
	if (r->err)
		return raw_fail(r);
	return 0;
}

/* ---- ZCOUNTER: dt, name id (not 0), 8 bytes IEEE double LE ---- */
struct raw_zcounter {
	int64_t dt;
	uint64_t id;
	double value;
};
#define RAW_ZCOUNTER_MAX (RAW_HEAD_MAX + VARINT_MAX + 8)

static inline uint8_t *raw_put_zcounter(uint8_t *p, const struct raw_zcounter *r)
{
	p = fmt_put_u(raw_put_head(p, RAW_ZCOUNTER, r->dt), r->id);
	uint64_t bits;
	memcpy(&bits, &r->value, sizeof(bits));
	fmt_put_u64le(p, bits);
	return p + 8;
}

static inline int raw_get_zcounter(struct fmt_reader *r, struct raw_zcounter *o)
{
	o->id = fmt_get_u(r);
	const uint8_t *b = fmt_get_bytes(r, 8);
	if (!b || !o->id)
		return raw_fail(r);
	uint64_t bits = fmt_get_u64le(b);
	memcpy(&o->value, &bits, sizeof(bits));
	return 0;
}

/* ---- ZTHREAD: dt, name (SCORCH_THREAD_NAME) ---- */
struct raw_zthread {
	int64_t dt;
	const char *name;
	uint32_t name_len;   /* at most RAW_ZSTR_MAX_LEN */
};
#define RAW_ZTHREAD_MAX(nlen) (RAW_HEAD_MAX + VARINT_MAX + (size_t)(nlen))

static inline uint8_t *raw_put_zthread(uint8_t *p, const struct raw_zthread *r)
{
	return raw_put_str(raw_put_head(p, RAW_ZTHREAD, r->dt), r->name, r->name_len);
}

static inline int raw_get_zthread(struct fmt_reader *r, struct raw_zthread *o)
{
	return raw_get_str(r, &o->name, &o->name_len, RAW_ZSTR_MAX_LEN);
}

/* ---- ZERROR: dt, kind (enum raw_zerror), expected id, given id ---- */
struct raw_zerror_rec {
	int64_t dt;
	uint64_t kind, expected, given;
};
#define RAW_ZERROR_MAX (RAW_HEAD_MAX + 3 * VARINT_MAX)

static inline uint8_t *raw_put_zerror(uint8_t *p, const struct raw_zerror_rec *r)
{
	p = raw_put_head(p, RAW_ZERROR, r->dt);
	p = fmt_put_u(p, r->kind);
	p = fmt_put_u(p, r->expected);
	return fmt_put_u(p, r->given);
}

static inline int raw_get_zerror(struct fmt_reader *r, struct raw_zerror_rec *o)
{
	o->kind = fmt_get_u(r);
	o->expected = fmt_get_u(r);
	o->given = fmt_get_u(r);
	return r->err ? -1 : 0;
}

/* ---- ZDROP: dt, name id (not 0), then RAW_ZDROP_N sums in this order ---- */
enum { ZD_CALLS, ZD_TICKS, ZD_SELF, ZD_MIN, ZD_MAX, ZD_OUTER, ZD_ALLOCS, ZD_BYTES, RAW_ZDROP_N };
struct raw_zdrop {
	int64_t dt;
	uint64_t id;
	uint64_t v[RAW_ZDROP_N];   /* indexed by ZD_* */
};
#define RAW_ZDROP_MAX (RAW_HEAD_MAX + (1 + RAW_ZDROP_N) * VARINT_MAX)

static inline uint8_t *raw_put_zdrop(uint8_t *p, const struct raw_zdrop *r)
{
	p = fmt_put_u(raw_put_head(p, RAW_ZDROP, r->dt), r->id);
	for (int i = 0; i < RAW_ZDROP_N; i++)
		p = fmt_put_u(p, r->v[i]);
	return p;
}

static inline int raw_get_zdrop(struct fmt_reader *r, struct raw_zdrop *o)
{
	o->id = fmt_get_u(r);
	for (int i = 0; i < RAW_ZDROP_N; i++)
		o->v[i] = fmt_get_u(r);
	if (r->err || !o->id)
		return raw_fail(r);
	return 0;
}

/* ---- PCPU: dt, phase (0: sampling began, 1: final flush), process CPU ns ---- */
struct raw_pcpu {
	int64_t dt;
	uint64_t phase, ns;
};
#define RAW_PCPU_MAX (RAW_HEAD_MAX + 2 * VARINT_MAX)

static inline uint8_t *raw_put_pcpu(uint8_t *p, const struct raw_pcpu *r)
{
	p = raw_put_head(p, RAW_PCPU, r->dt);
	p = fmt_put_u(p, r->phase);
	return fmt_put_u(p, r->ns);
}

static inline int raw_get_pcpu(struct fmt_reader *r, struct raw_pcpu *o)
{
	o->phase = fmt_get_u(r);
	o->ns = fmt_get_u(r);
	return r->err ? -1 : 0;
}

/* ---- CPU_REFUSED: dt, errno ---- */
struct raw_cpu_refused {
	int64_t dt;
	uint64_t err;
};
#define RAW_CPU_REFUSED_MAX (RAW_HEAD_MAX + VARINT_MAX)

static inline uint8_t *raw_put_cpu_refused(uint8_t *p, const struct raw_cpu_refused *r)
{
	return fmt_put_u(raw_put_head(p, RAW_CPU_REFUSED, r->dt), r->err);
}

static inline int raw_get_cpu_refused(struct fmt_reader *r, struct raw_cpu_refused *o)
{
	o->err = fmt_get_u(r);
	return r->err ? -1 : 0;
}

/* ---- NOTE: dt, kind (enum raw_note), pid, path, detail ---- */
struct raw_note_rec {
	int64_t dt;
	uint64_t kind, pid;
	const char *path;
	uint32_t path_len;   /* at most RAW_LONGSTR_MAX_LEN */
	const char *detail;
	uint32_t detail_len; /* at most RAW_LONGSTR_MAX_LEN */
};
#define RAW_NOTE_MAX(plen, dlen) (RAW_HEAD_MAX + 4 * VARINT_MAX + (size_t)(plen) + (size_t)(dlen))

static inline uint8_t *raw_put_note(uint8_t *p, const struct raw_note_rec *r)
{
	p = raw_put_head(p, RAW_NOTE, r->dt);
	p = fmt_put_u(p, r->kind);
	p = fmt_put_u(p, r->pid);
	p = raw_put_str(p, r->path, r->path_len);
	return raw_put_str(p, r->detail, r->detail_len);
}

static inline int raw_get_note(struct fmt_reader *r, struct raw_note_rec *o)
{
	o->kind = fmt_get_u(r);
	o->pid = fmt_get_u(r);
	if (raw_get_str(r, &o->path, &o->path_len, RAW_LONGSTR_MAX_LEN) ||
	    raw_get_str(r, &o->detail, &o->detail_len, RAW_LONGSTR_MAX_LEN))
		return -1;
	return 0;
}

/* ---- LOST_EVENTS: dt, events not recorded so far (a total) ---- */
struct raw_lost_events {
	int64_t dt;
	uint64_t events;
};
#define RAW_LOST_EVENTS_MAX (RAW_HEAD_MAX + VARINT_MAX)

static inline uint8_t *raw_put_lost_events(uint8_t *p, const struct raw_lost_events *r)
{
	return fmt_put_u(raw_put_head(p, RAW_LOST_EVENTS, r->dt), r->events);
}

static inline int raw_get_lost_events(struct fmt_reader *r, struct raw_lost_events *o)
{
	o->events = fmt_get_u(r);
	return r->err ? -1 : 0;
}

/* ---- XSAMPLE: dt (0), CLOCK_MONOTONIC ns, weight ns, flags, n (1..RAW_MAX_STACK), ip deltas ---- */
struct raw_xsample {
	int64_t dt;
	uint64_t ns, weight, flags;
	uint32_t n;
	const uint64_t *ips; /* put: the frames, ips[0] an exact pc */
	uint64_t *ipbuf;     /* get: room for RAW_MAX_STACK ips, set by the caller */
};
#define RAW_XSAMPLE_MAX(n) (RAW_HEAD_MAX + 4 * VARINT_MAX + (size_t)(n) * VARINT_MAX)

static inline uint8_t *raw_put_xsample(uint8_t *p, const struct raw_xsample *r)
{
	p = raw_put_head(p, RAW_XSAMPLE, r->dt);
	p = fmt_put_u(p, r->ns);
	p = fmt_put_u(p, r->weight);
	p = fmt_put_u(p, r->flags);
	p = fmt_put_u(p, r->n);
	return raw_put_ips(p, r->ips, r->n);
}

static inline int raw_get_xsample(struct fmt_reader *r, struct raw_xsample *o)
{
	o->ns = fmt_get_u(r);
	o->weight = fmt_get_u(r);
	o->flags = fmt_get_u(r);
	uint64_t k = fmt_get_u(r);
	if (r->err || !k || k > RAW_MAX_STACK)
		return raw_fail(r);
	o->n = (uint32_t)k;
	return raw_get_ips(r, o->ipbuf, k);
}

#endif
