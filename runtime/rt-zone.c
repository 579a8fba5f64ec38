/* Zones and instrumented calls inside the target. The macros of
 * include/scorch.h and the -finstrument-functions hooks
 * (__cyg_profile_func_enter/exit) land here: each thread keeps a stack of its
 * open zones and appends ZBEGIN/ZEND records to a zone buffer of its own
 * (struct zbuf: no lock taken per call, written out a chunk at a time),
 * names interned per thread (a ZNAME once, then an id). The stack pointer of the code that
 * opens a zone or enters a function, with the return address of the frame
 * it runs in, tells which open zones longjmp or an exception skipped (see
 * z_unwind: an inlined function's hooks run in its caller's frame).
 * Filters (--calls-filter, --calls-exclude, --calls-depth, --calls-min) keep
 * call traces small. Nothing here allocates, except that the call filters
 * name each function once per thread (dladdr, regexec) with the guard up. */
#define UNW_LOCAL_ONLY
#include <libunwind.h>

#include "rt.h"

#include <dlfcn.h>
#include <elf.h>
#include <fcntl.h>
#include <link.h>
#include <regex.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "../format/raw.h"
#include "../format/rawrec.h"
#include "../format/varint.h"
#include "../include/scorch.h"

/* Set once the runtime records: the program's copy (include/scorch.h
 * defines it weakly there) when it is linked with us, else our own. */
RT_EXPORT int scorch_rt_zones_on;

#define ZSTACK 4096          /* open zones and calls tracked per thread */
#define ZNAME_MAX 1000       /* bytes of a name or file kept */
/* The frame of the code that called the hook: the hooks are called from the
 * zoned (or instrumented) function itself, so this orders its frame against
 * the frames of the zones still open. */
#define CALLER_FRAME() ((uintptr_t)__builtin_frame_address(0))
/* The frame of an entry pushed on the signal alternate stack above the
 * entries it interrupted, whose addresses say nothing of their order: lower
 * than every frame, so that each hook while it is on top takes the general
 * path, which tells by the alternate stack's bounds whether its handler
 * still runs (z_unwind). Entries the short paths push on an alternate stack
 * below the interrupted frames keep their addresses: the stack pointer rule
 * orders them right. */
#define Z_ALT_SP ((uintptr_t)1)
/* the hooks' short paths: no call out of line */
#define Z_INLINE inline __attribute__((always_inline))

static struct {
	int on;                  /* recording zones */
	int calls;               /* recording instrumented calls (--calls) */
	/* the short paths may run: zones (fast) and calls (all_calls: every
	 * call recorded, no filter, depth limit or --calls-min), time stamps
	 * are TSC ticks */
	int fast, all_calls;
	int filter, exclude;     /* the regexes are compiled */
	regex_t re_filter, re_exclude;
	uint32_t max_depth;      /* --calls-depth, 0: unlimited */
	uint64_t min_ticks;      /* --calls-min in ticks, 0: keep every call */
} zc;

static atomic_uint next_name_id = 1;
/* Bumped when the names written so far may not all be in the stream (a lost
 * chunk, a fork): every thread writes a name again before its next use. */
static atomic_uint zepoch = 1;

enum { KEY_SITE = 1, KEY_NAME = 2, KEY_FUNC = 3 };   /* what a name key points to */
enum { ZE_CALL = 1, ZE_SCOPED = 2, ZE_UNSCOPED = 3 };

/* call filter decisions, made on a function's first call in a thread */
#define FILT_MATCH 1u        /* matches --calls-filter */
#define FILT_EXCLUDE 2u      /* matches --calls-exclude */

/* A thread's name cache slot: key (a struct scorch_site, a name string or a
 * function address) -> id, and what the thread keeps per name. */
struct zslot {
	uintptr_t key;           /* 0: free */
	uint32_t id;
	uint32_t epoch;          /* zepoch when its ZNAME was written, 0: never */
	uint32_t open;           /* entries of it on the stack */
	uint8_t kind, filt;
	/* calls below --calls-min, counted but not written one by one */
	uint64_t d_calls, d_ticks, d_self, d_min, d_max, d_outer, d_allocs, d_bytes;
};

/* An open zone or call. The fields a call's short path writes come first,
 * in the entry's first 64 bytes (entries are 128 bytes apart): one cache
 * line per push. */
struct zent {
	uintptr_t sp;            /* caller's frame; 0: a span not tied to a frame */
	/* calls: the return address of the frame the hooks run in (the
	 * function's own, or the one it was inlined into) and the address the
	 * enter hook returns to; zones: the frame's return address when a call
	 * open in the same frame tells it, else 0 */
	uintptr_t ret, site;
	uintptr_t key;
	uint64_t t0;             /* begin, ticks */
	uint64_t allocs0, bytes0;  /* the thread's counts at the begin */
	uint32_t id;             /* name id; 0: not recorded (filtered out) */
	uint16_t cdepth;         /* calls: recorded calls up to and including it */
	uint8_t kind;            /* ZE_* */
	uint8_t infilter;        /* calls: inside a function matching --calls-filter */
	uint64_t serial;         /* token of a scoped zone (not set for calls) */
	/* ticks of calls inside it dropped by --calls-min (set and read only
	 * with --calls-min) */
	uint64_t kids_dropped;
	uint64_t rec_last;       /* the zone buffer when ZBEGIN went in (to take it back) */
	uint32_t rec_off, rec_end, rec_nflush;
} __attribute__((aligned(64)));

/* A thread's zone records (ZNAME, ZBEGIN, ZEND), apart from its rt_buf so
 * that a call costs no lock: only the owner appends, and publishes each
 * record by a release store of clen. A chunk goes out (under `lock`) when the
 * buffer is full, when the thread ends, and at the final flush, which may
 * run on another thread: that one writes what is committed up to clen and
 * sets `flushed`; the owner never changes committed bytes but under the lock
 * (a --calls-min rewind, the reset after its own flush). */
struct zbuf {
	atomic_uint lock;        /* 0, or the tid of the thread writing it out */
	_Atomic uint32_t clen;   /* payload bytes committed */
	uint32_t flushed;        /* payload bytes a final flush wrote out already */
	/* the last chunk written out of it: its payload offset and base time
	 * (the next chunk's base is decoded from there: the header of each
	 * chunk after the first goes over payload written out before) */
	uint32_t wfrom;
	uint64_t wbase;
	uint32_t nflush;         /* chunks written, and resets (a rewind checks it) */
	uint32_t tid;            /* of the chunks */
	uint64_t base_time;      /* of the chunk: the first record's time */
	uint64_t last_time;      /* the last record's (owner only) */
	uint8_t data[RT_BUF_SIZE];   /* RAW_CHUNK_HDR of room, then the payload */
};

/* A thread's zone state, mmap'd on its first zone and reused after it ends. */
struct zstate {
	struct zstate *next;     /* registry, never unlinked */
	atomic_int in_use;
	uint32_t depth;          /* entries on the stack */
	uint32_t overflow;       /* calls entered past ZSTACK, not tracked */
	uint64_t serial;
	/* the signal alternate stack the entries at Z_ALT_SP ran on */
	uintptr_t alt_lo, alt_hi;
	struct zslot *slots;     /* open addressing, cap a power of two */
	uint32_t cap, len;
	struct zent stack[ZSTACK];
	struct zbuf zb;
};

static struct zstate *_Atomic zstates;
static __thread struct zstate *tl_z __attribute__((tls_model("initial-exec")));
/* Inside a zone hook: a signal handler's zones and calls on this thread are
 * not recorded then (they would take the buffer lock the hook holds). */
static __thread volatile int tl_zbusy __attribute__((tls_model("initial-exec")));

/* The time stamp of zone records: scorch_rt_now() without rdtscp's wait for
 * the instructions before it (a third of the cost on a VM). A zone's ends
 * need no ordering against other threads' records, and a few cycles of
 * early reading are far below what a zone measures. */
static Z_INLINE uint64_t z_now(void)
{
#if defined(__x86_64__) || defined(__i386__)
	if (likely(G.tsc))
		return __builtin_ia32_rdtsc();
#endif
	return scorch_rt_ns();
}

/* The thread's allocations and requested bytes so far (rt-malloc.c counts
 * them in a thread-local of its own, read here without a call). */
#define Z_ALLOCS() (scorch_rt_tl_stats.allocations)
#define Z_BYTES() (scorch_rt_tl_stats.total_bytes)

static void *z_mmap(size_t n)
{
	void *p = mmap(NULL, n, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	return p == MAP_FAILED ? NULL : p;
}

/* ---- per-thread state and names ---- */

static struct zstate *z_state_new(void)
{
	struct zstate *z;
	for (z = atomic_load(&zstates); z; z = z->next) {
		int zero = 0;
		if (!atomic_load_explicit(&z->in_use, memory_order_relaxed) &&
		    atomic_compare_exchange_strong(&z->in_use, &zero, 1))
			break;
	}
	if (!z) {
		z = z_mmap(sizeof(*z));
		if (!z)
			return NULL;
		atomic_store(&z->in_use, 1);
		struct zstate *head = atomic_load(&zstates);
		do
			z->next = head;
		while (!atomic_compare_exchange_weak(&zstates, &head, z));
	}
	/* a reused state keeps its name cache: ids and names are process-wide */
	z->depth = 0;
	z->overflow = 0;
	/* the thread's rt_buf now (its THREAD record names it); its tid heads
	 * the zone chunks */
	struct rt_buf *b = scorch_rt_self();
	z->zb.tid = b ? b->tid : (uint32_t)scorch_rt_sys(SYS_gettid);
	tl_z = z;
	return z;
}

/* Enters a hook: the thread's zone state with the busy flag up, or NULL when
 * this event is not recorded (the runtime is off, or the thread is inside
 * the runtime already: a signal handler interrupted a hook, or the runtime's
 * own code runs with the guard up). */
static inline struct zstate *z_enter(void)
{
	if (unlikely(scorch_rt_guard || tl_zbusy || !zc.on))
		return NULL;
	if (unlikely(atomic_load_explicit(&G.state, memory_order_relaxed) != RT_ACTIVE))
		return NULL;
	tl_zbusy = 1;
	__atomic_signal_fence(__ATOMIC_SEQ_CST);
	struct zstate *z = tl_z;
	if (unlikely(!z) && !(z = z_state_new())) {
		tl_zbusy = 0;
		return NULL;
	}
	return z;
}

static inline void z_leave(void)
{
	__atomic_signal_fence(__ATOMIC_SEQ_CST);
	tl_zbusy = 0;
}

static inline uint32_t z_hash(uintptr_t key, uint32_t mask)
{
	return (uint32_t)(((uint64_t)key * 0x9e3779b97f4a7c15ULL) >> 32) & mask;
}

static int z_grow(struct zstate *z)
{
	uint32_t cap = z->cap ? z->cap * 2 : 256;
	struct zslot *s = z_mmap(cap * sizeof(*s));
	if (!s)
		return -1;
	for (uint32_t i = 0; i < z->cap; i++) {
		if (!z->slots[i].key)
			continue;
		uint32_t j = z_hash(z->slots[i].key, cap - 1);
		while (s[j].key)
			j = (j + 1) & (cap - 1);
		s[j] = z->slots[i];
	}
	if (z->slots)
		munmap(z->slots, z->cap * sizeof(*s));
	z->slots = s;
	z->cap = cap;
	return 0;
}

static uint8_t z_decide(uintptr_t fn);

/* The slot of key, made (with a new id) when absent; NULL when no memory.
 * Slots move when the table grows: do not keep the pointer across calls. */
static struct zslot *z_slot(struct zstate *z, uintptr_t key, int kind)
{
	if (unlikely((z->len + 1) * 2 > z->cap) && z_grow(z) != 0)
		return NULL;
	uint32_t m = z->cap - 1;
	for (uint32_t i = z_hash(key, m);; i = (i + 1) & m) {
		struct zslot *s = &z->slots[i];
		if (s->key == key && s->kind == kind)
			return s;
		if (s->key)
			continue;
		s->key = key;
		s->kind = (uint8_t)kind;
		s->id = atomic_fetch_add(&next_name_id, 1);
		z->len++;
		if (kind == KEY_FUNC && (zc.filter || zc.exclude))
			s->filt = z_decide(key);
		return s;
	}
}

/* The slot of key, or NULL. */
static struct zslot *z_find(struct zstate *z, uintptr_t key, int kind)
{
	if (!z->cap)
		return NULL;
	uint32_t m = z->cap - 1;
	for (uint32_t i = z_hash(key, m); z->slots[i].key; i = (i + 1) & m)
		if (z->slots[i].key == key && z->slots[i].kind == kind)
			return &z->slots[i];
	return NULL;
}

static int ent_key_kind(const struct zent *e)
{
	return e->kind == ZE_CALL ? KEY_FUNC : e->kind == ZE_SCOPED ? KEY_SITE : KEY_NAME;
}

/* The name of a zone entry (not a call). */
static const char *ent_name(const struct zent *e)
{
	if (e->kind == ZE_SCOPED) {
		const struct scorch_site *s = (const struct scorch_site *)e->key;
		return s->name ? s->name : "";
	}
	return (const char *)e->key;
}

static uint8_t *zb_reserve(struct zstate *z, size_t need, uint64_t t);
static void zb_commit(struct zstate *z, uint8_t *end, uint64_t t);

/* Writes slot s's ZNAME at dt 0: into b (lock held) when b, else into the
 * thread's zone buffer. */
static void z_name_rec(struct zstate *z, struct rt_buf *b, struct zslot *s)
{
	uint8_t *p;
	if (s->kind == KEY_FUNC) {
		p = b ? scorch_rt_reserve(b, RAW_ZNAME_MAX(0, 0)) : zb_reserve(z, RAW_ZNAME_MAX(0, 0), 0);
		p = raw_put_zname(p, &(struct raw_zname_rec){ .id = s->id, .kind = ZNAME_FUNC, .addr = s->key });
	} else {
		const char *name = "", *file = "";
		uint32_t line = 0;
		if (s->kind == KEY_SITE) {
			const struct scorch_site *site = (const struct scorch_site *)s->key;
			name = site->name ? site->name : "";
			file = site->file ? site->file : "";
			line = site->line;
		} else {
			name = (const char *)s->key;
		}
		size_t nl = strnlen(name, ZNAME_MAX), fl = strnlen(file, ZNAME_MAX);
		p = b ? scorch_rt_reserve(b, RAW_ZNAME_MAX(nl, fl)) : zb_reserve(z, RAW_ZNAME_MAX(nl, fl), 0);
		p = raw_put_zname(p, &(struct raw_zname_rec){ .id = s->id, .kind = ZNAME_STRING, .name = name,
							      .name_len = (uint32_t)nl, .file = file,
							      .file_len = (uint32_t)fl, .line = line });
	}
	if (b)
		scorch_rt_commit(b, p, b->last_time);
	else
		zb_commit(z, p, z->zb.last_time);
}

/* Makes sure the stream has slot s's ZNAME before its id is used in a record
 * of b (lock held), or of the zone buffer when b is NULL. */
static inline void z_put_name(struct zstate *z, struct rt_buf *b, struct zslot *s)
{
	uint32_t ep = atomic_load_explicit(&zepoch, memory_order_relaxed);
	if (likely(s->epoch == ep))
		return;
	s->epoch = ep;
	z_name_rec(z, b, s);
}

/* ---- the zone buffer ---- */

/* The time of the record ending at offset `off` of records `data` of a
 * chunk based at `base` (decoded; only after a final flush wrote part of
 * the buffer). */
static uint64_t zb_time_at(const uint8_t *data, uint32_t off, uint64_t base)
{
	struct fmt_reader r = { data, data + off, 0 };
	uint64_t t = base;
	while (r.p < r.end) {
		uint8_t type;
		int64_t dt;
		if (raw_get_head(&r, &type, &dt))
			break;
		t += (uint64_t)dt;
		int bad;
		if (type == RAW_ZBEGIN) {
			struct raw_zid x;
			bad = raw_get_zbegin(&r, &x);
		} else if (type == RAW_ZEND) {
			struct raw_zend x;
			bad = raw_get_zend(&r, &x);
		} else if (type == RAW_ZEND0) {
			struct raw_zid x;
			bad = raw_get_zend0(&r, &x);
		} else if (type == RAW_ZNAME) {
			struct raw_zname_rec x;
			bad = raw_get_zname(&r, &x);
		} else {
			bad = 1;
		}
		if (bad)
			break;
	}
	return t;
}

/* Writes the committed records of zb not written yet as one chunk. Lock of
 * zb held. Returns the payload bytes now written out (clen). */
static uint32_t zb_write(struct zbuf *zb)
{
	uint32_t len = atomic_load_explicit(&zb->clen, memory_order_acquire), from = zb->flushed;
	if (len <= from)
		return from;
	/* the header goes just before the payload: over the room at the front,
	 * or over payload a final flush wrote out already. So the base time is
	 * decoded from the last chunk's start, not the buffer's: a third write
	 * (a program whose signal handler goes on after each of many final
	 * flushes) found the second's header in the way and stamped every
	 * later chunk with a time from the first. */
	uint64_t base = zb->base_time;
	if (from)
		base = zb_time_at(zb->data + RAW_CHUNK_HDR + zb->wfrom, from - zb->wfrom, zb->wbase);
	zb->wfrom = from;
	zb->wbase = base;
	uint8_t *h = zb->data + from;
	/* the four-lane checksum: a third of the serial one's time over the
	 * 8 bytes a traced call writes */
	fmt_put_u32le(h, RAW_CHUNK_MAGIC4);
	fmt_put_u32le(h + 4, len - from);
	fmt_put_u32le(h + 8, zb->tid);
	fmt_put_u32le(h + 12, 0);
	fmt_put_u64le(h + 16, base);
	fmt_put_u32le(h + 12, fmt_chunk_sum4(h, h + RAW_CHUNK_HDR, len - from));
	scorch_rt_write_chunk(h, RAW_CHUNK_HDR + (size_t)(len - from));
	zb->flushed = len;
	return len;
}

/* Takes zb's lock; spins a little, then yields, for as long as it takes
 * (only a final flush or a flush of the owner's holds it, for a write).
 * me: this thread's tid. */
static void zb_lock(struct zbuf *zb, uint32_t me)
{
	for (unsigned spins = 0;; spins++) {
		unsigned cur = 0;
		if (atomic_compare_exchange_weak_explicit(&zb->lock, &cur, me, memory_order_acquire,
							  memory_order_relaxed))
			return;
		if (spins > 64)
			sched_yield();
	}
}

static void zb_unlock(struct zbuf *zb)
{
	atomic_store_explicit(&zb->lock, 0, memory_order_release);
}

/* The owner writes its zone buffer out and starts it over. */
static __attribute__((noinline)) void zb_flush(struct zstate *z)
{
	struct zbuf *zb = &z->zb;
	zb_lock(zb, zb->tid | 0x80000000u);
	zb_write(zb);
	atomic_store_explicit(&zb->clen, 0, memory_order_relaxed);
	zb->flushed = 0;
	zb->nflush++;
	zb_unlock(zb);
}

/* Where a record of up to `need` bytes at time t (0: at the last record's
 * time) goes in the zone buffer, flushing it first when it would not fit.
 * Owner only, inside a hook. */
static Z_INLINE uint8_t *zb_reserve(struct zstate *z, size_t need, uint64_t t)
{
	struct zbuf *zb = &z->zb;
	uint32_t len = atomic_load_explicit(&zb->clen, memory_order_relaxed);
	if (unlikely(RAW_CHUNK_HDR + len + need > RT_BUF_SIZE)) {
		zb_flush(z);
		len = 0;
	}
	if (unlikely(len == 0)) {
		if (!t)
			t = zb->last_time ? zb->last_time : z_now();
		zb->base_time = zb->last_time = t;
	}
	return zb->data + RAW_CHUNK_HDR + len;
}

/* Publishes the record that ends at `end`, of time t. */
static Z_INLINE void zb_commit(struct zstate *z, uint8_t *end, uint64_t t)
{
	struct zbuf *zb = &z->zb;
	zb->last_time = t;
	atomic_store_explicit(&zb->clen, (uint32_t)(end - (zb->data + RAW_CHUNK_HDR)), memory_order_release);
	/* after the final flush (exit's last destructors, a failed exec): each
	 * record goes out as it is made */
	if (unlikely(G.sync_flush))
		zb_flush(z);
}

/* ---- records ---- */

/* Writes e's ZBEGIN (its name first if need be) and stamps it. */
static inline void z_begin_rec(struct zstate *z, struct zslot *s, struct zent *e)
{
	z_put_name(z, NULL, s);
	uint64_t t = z_now();
	uint8_t *p = zb_reserve(z, RAW_ZBEGIN_MAX, t);
	struct zbuf *zb = &z->zb;
	if (unlikely(zc.min_ticks)) {
		e->rec_off = (uint32_t)(p - (zb->data + RAW_CHUNK_HDR));
		e->rec_last = zb->last_time;
		e->rec_nflush = zb->nflush;
	}
	p = raw_put_zbegin(p, &(struct raw_zid){ (int64_t)(t - zb->last_time), s->id });
	zb_commit(z, p, t);
	e->rec_end = (uint32_t)(p - (zb->data + RAW_CHUNK_HDR));
	e->t0 = t;
	e->allocs0 = Z_ALLOCS();
	e->bytes0 = Z_BYTES();
}

static Z_INLINE void z_end_rec(struct zstate *z, const struct zent *e, uint64_t t, unsigned flags,
			     uint64_t allocs, uint64_t bytes)
{
	uint64_t kids = zc.min_ticks ? e->kids_dropped : 0;
	if (kids)
		flags |= RAW_ZF_DROPPED_KIDS;
	uint8_t *p = zb_reserve(z, RAW_ZEND_MAX, t);
	if (likely(!(allocs | bytes | flags)))
		p = raw_put_zend0(p, &(struct raw_zid){ (int64_t)(t - z->zb.last_time), e->id });
	else
		p = raw_put_zend(p, &(struct raw_zend){ (int64_t)(t - z->zb.last_time), e->id, allocs, bytes, flags,
							kids });
	zb_commit(z, p, t);
}

/* Takes e's ZBEGIN back out of the zone buffer, if nothing was written after
 * it and no chunk was written out since. Returns 1 when it did. */
static int z_rewind(struct zstate *z, const struct zent *e)
{
	struct zbuf *zb = &z->zb;
	int ok = 0;
	/* a final flush on another thread may be writing it out */
	zb_lock(zb, zb->tid | 0x80000000u);
	if (e->rec_end > e->rec_off && atomic_load_explicit(&zb->clen, memory_order_relaxed) == e->rec_end &&
	    zb->nflush == e->rec_nflush && e->rec_off >= zb->flushed) {
		atomic_store_explicit(&zb->clen, e->rec_off, memory_order_relaxed);
		zb->last_time = e->rec_last;
		ok = 1;
	}
	zb_unlock(zb);
	return ok;
}

/* Ends entry i at time t (flags RAW_ZF_*) and takes it off the stack; the
 * entries above it move down. A call shorter than --calls-min is taken back
 * out of the stream and only counted. */
static void z_close(struct zstate *z, uint32_t i, uint64_t t, unsigned flags)
{
	struct zent *e = &z->stack[i];
	/* only calls keep counts in their slot (open, dropped), and only for
	 * --calls-min */
	struct zslot *s = e->kind == ZE_CALL && zc.min_ticks ? z_find(z, e->key, KEY_FUNC) : NULL;
	if (e->id) {
		uint64_t n, by;
		n = Z_ALLOCS() - e->allocs0;
		by = Z_BYTES() - e->bytes0;
		uint64_t d = t > e->t0 ? t - e->t0 : 0;
		if (e->kind == ZE_CALL && zc.min_ticks && !flags && d < zc.min_ticks && s && z_rewind(z, e)) {
			s->d_calls++;
			s->d_ticks += d;
			s->d_self += d > e->kids_dropped ? d - e->kids_dropped : 0;
			if (s->d_calls == 1 || d < s->d_min)
				s->d_min = d;
			if (d > s->d_max)
				s->d_max = d;
			if (s->open <= 1) {
				/* not inside another call of itself: counts in its total */
				s->d_outer += d;
				s->d_allocs += n;
				s->d_bytes += by;
			}
			for (uint32_t j = i; j-- > 0;)
				if (z->stack[j].id) {
					z->stack[j].kids_dropped += d;
					break;
				}
		} else {
			z_end_rec(z, e, t, flags, n, by);
		}
	}
	if (s && s->open)
		s->open--;
	if (i + 1 < z->depth)
		memmove(&z->stack[i], &z->stack[i + 1], (z->depth - i - 1) * sizeof(*e));
	z->depth--;
}

#define Z_WALK 256        /* frames z_gone_above looks at */

/* After z_unwind found entries from k up gone (a longjmp left them), the
 * entries below k whose frames lie above S may be gone too: a longjmp out of
 * a signal handler back to main, then main calls a function whose frame is
 * deeper than the interrupted call's, which ran in the same place (the
 * handler's entry lies below S, the interrupted call's above it). The stack
 * is walked (libunwind, only here: after a longjmp) for the frames above S:
 * an entry is alive when a frame above its own returns to its return address
 * before the frame of its parent entry's return address does (or, with no
 * parent, before the stack's end); once one is alive, so are those below it.
 * Undecided (a walk that fails or is cut short, an entry without a return
 * address): taken for alive, as before. Returns the new k. */
static uint32_t z_gone_above(struct zstate *z, uint32_t k, uintptr_t S)
{
	uint32_t i = k;
	while (i > 0 && !z->stack[i - 1].sp)
		i--;
	if (!i || z->stack[i - 1].sp <= S)
		return k;
	uintptr_t fip[Z_WALK], fsp[Z_WALK];
	int nf = 0, whole = 0;
	int g = scorch_rt_guard, u = scorch_rt_unwinding;
	scorch_rt_guard = 1;
	scorch_rt_unwinding = 1;
	unw_context_t uc;
	unw_cursor_t c;
	if (unw_getcontext(&uc) == 0 && unw_init_local(&c, &uc) == 0) {
		for (;;) {
			unw_word_t ip, sp;
			if (unw_get_reg(&c, UNW_REG_IP, &ip) != 0 || unw_get_reg(&c, UNW_REG_SP, &sp) != 0)
				break;
			if (sp > S) {
				if (nf == Z_WALK)
					break;
				fip[nf] = ip;
				fsp[nf++] = sp;
			}
			int r = unw_step(&c);
			if (r <= 0) {
				whole = r == 0;
				break;
			}
		}
	}
	scorch_rt_unwinding = u;
	scorch_rt_guard = g;
	while (i-- > 0) {
		const struct zent *e = &z->stack[i];
		if (!e->sp)
			continue;
		if (e->sp <= S || !e->ret)
			break;
		/* the parent: the next entry of another frame. The frame
		 * that returns to its return address lies above the parent's
		 * own frame, whose hooks ran two words below its stack
		 * pointer (the hook's return address and frame pointer): e's
		 * own frame, calling the same place the parent was called
		 * from (recursion), is not taken for it */
		uintptr_t pret = 0, psp = 0;
		for (uint32_t p = i; p-- > 0;)
			if (z->stack[p].sp && (z->stack[p].sp != e->sp || z->stack[p].ret != e->ret)) {
				if (z->stack[p].sp != Z_ALT_SP) {
					pret = z->stack[p].ret;
					psp = z->stack[p].sp + 2 * sizeof(uintptr_t);
				}
				break;
			}
		int gone = -1;
		for (int f = 0; f < nf && gone < 0; f++) {
			if (fsp[f] <= e->sp)
				continue;
			if (fip[f] == e->ret)
				gone = 0;
			else if (pret && fip[f] == pret && fsp[f] > psp)
				gone = 1;
		}
		if (gone < 0)
			gone = whole;
		if (!gone)
			break;
		k = i;
	}
	return k;
}

/* Ends the entries whose frames are gone, left by longjmp or by an exception
 * through code without cleanups. S is the stack pointer of the code calling
 * the hook and R the return address of the frame it runs in (0 for a zone
 * opened): an entry below S is gone, that code runs above it. Except an
 * entry with that same return address: at -O2 a frame's stack pointer is
 * lower by the arguments it has pushed for a call and not popped yet (GCC
 * defers the pops), so its own entries can lie a little below S; a deeper
 * call with that return address (recursion from the same call instruction)
 * would be gone too, but is then ended by its caller's exit. An entry at S
 * itself is gone only when a function is being entered (site != 0) in a new
 * activation of that frame: the frame returns elsewhere than the entry's (R
 * differs: another call made it), or the enter hook call at `site` runs again
 * at that same stack pointer while its earlier run is still open (the same
 * call made again after a longjmp skipped it). Otherwise the function
 * entered was inlined into the frame's function, whose hooks all run in its
 * frame with its return address, and the frame's entries stay open.
 * Undecided, and taken for inlined: after a longjmp, an indirect call from
 * the very call instruction that made the skipped call, to another function
 * at the same depth; the skipped call then ends, unwound, at a later hook of
 * a shallower frame. Spans not tied to a frame stay open. Not on a signal
 * alternate stack: the interrupted frames are alive whatever the addresses
 * say, and entries pushed there get Z_ALT_SP for a frame: returns 1 then.
 * Entries above S may be gone too (z_gone_above). */
static int z_unwind(struct zstate *z, uintptr_t S, uint64_t t, uintptr_t R, uintptr_t site)
{
	uint32_t k = z->depth;
	int alt = 0;
	for (uint32_t i = z->depth; i-- > 0;) {
		const struct zent *e = &z->stack[i];
		if (!e->sp)
			continue;
		if (e->sp == Z_ALT_SP) {
			/* on its alternate stack its handler runs; off it, the
			 * handler was left (a siglongjmp: it returned through
			 * its exit hook otherwise) */
			if (S - z->alt_lo < z->alt_hi - z->alt_lo) {
				alt = 1;
				break;
			}
			k = i;
			continue;
		}
		if (e->sp > S)
			break;
		if (R && e->ret == R) {
			if (site && e->site == site && e->sp == S)
				k = i;
			continue;
		}
		if (e->sp < S || site)
			k = i;
		else
			break;
	}
	if (likely(k == z->depth))
		return alt;
	stack_t ss;
	if (sigaltstack(NULL, &ss) == 0 && (ss.ss_flags & SS_ONSTACK)) {
		z->alt_lo = (uintptr_t)ss.ss_sp;
		z->alt_hi = (uintptr_t)ss.ss_sp + ss.ss_size;
		return 1;
	}
	/* stamped before the walk: it is ours, not the program's time */
	if (!t)
		t = z_now();
	k = z_gone_above(z, k, S);
	for (uint32_t i = z->depth; i-- > k;)
		if (z->stack[i].sp)
			z_close(z, i, t, RAW_ZF_UNWOUND);
	return 0;
}

/* Pushes an entry for slot s; NULL when the stack is full. */
static struct zent *z_push(struct zstate *z, const struct zslot *s, int kind, uintptr_t sp,
			   uintptr_t ret, uintptr_t site)
{
	if (z->depth >= ZSTACK)
		return NULL;
	struct zent *e = &z->stack[z->depth++];
	e->sp = sp;
	e->ret = ret;
	e->site = site;
	e->key = s->key;
	if (kind != ZE_CALL)
		e->serial = ++z->serial;
	e->kids_dropped = 0;
	e->kind = (uint8_t)kind;
	e->id = s->id;
	e->cdepth = 0;
	e->infilter = 0;
	return e;
}

/* Writes the calls --calls-min dropped that z counted, and clears them.
 * Takes b's lock unless told not to (a signal on b's own thread). */
static void z_write_drops(struct zstate *z, struct rt_buf *b, int lock)
{
	for (uint32_t i = 0; i < z->cap; i++) {
		struct zslot *s = &z->slots[i];
		if (!s->key || !s->d_calls)
			continue;
		if (lock)
			scorch_rt_lock(b);
		z_put_name(z, b, s);
		uint8_t *p = scorch_rt_reserve(b, RAW_ZDROP_MAX);
		p = raw_put_zdrop(p, &(struct raw_zdrop){ 0, s->id, { [ZD_CALLS] = s->d_calls, [ZD_TICKS] = s->d_ticks,
							     [ZD_SELF] = s->d_self, [ZD_MIN] = s->d_min,
							     [ZD_MAX] = s->d_max, [ZD_OUTER] = s->d_outer,
							     [ZD_ALLOCS] = s->d_allocs, [ZD_BYTES] = s->d_bytes } });
		scorch_rt_commit(b, p, b->last_time);
		if (lock)
			scorch_rt_unlock(b);
		s->d_calls = s->d_ticks = s->d_self = s->d_min = s->d_max = 0;
		s->d_outer = s->d_allocs = s->d_bytes = 0;
	}
}

/* ---- the short paths ----
 *
 * The common case of the hooks and of a scoped zone, inline: the thread's
 * state exists, its stack has room and needs no unwinding, the name is
 * cached and in the stream already, the zone buffer holds records and has
 * room, the clock is the TSC. Everything else takes the general path
 * (z_call_enter and the others), which handles what the short path refused;
 * both write the same records. The short paths call nothing but, at their
 * end, the general path: the compiler keeps their values in registers that
 * need no saving (the pushes and pops around calls were a good part of a
 * hook's stores, and stores were what the hooks spent beside rdtsc). */

#if defined(__x86_64__) || defined(__i386__)
#define Z_HAVE_TSC 1
#define Z_TSC() __builtin_ia32_rdtsc()
#else
#define Z_HAVE_TSC 0
#define Z_TSC() 0
#endif

/* The record time of a hook that read Z_TSC() at its start (z_now's). */
static inline uint64_t z_fix_time(uint64_t t)
{
	return Z_HAVE_TSC && G.tsc ? t : scorch_rt_ns();
}

/* Raises the busy flag when a short path may run (see z_enter; zc.fast or
 * zc.all_calls checked): the thread's state, or NULL. */
static Z_INLINE struct zstate *z_fast_enter(void)
{
	struct zstate *z = tl_z;
	if (unlikely(!z) || unlikely(scorch_rt_guard | tl_zbusy) ||
	    unlikely(atomic_load_explicit(&G.state, memory_order_relaxed) != RT_ACTIVE))
		return NULL;
	tl_zbusy = 1;
	__atomic_signal_fence(__ATOMIC_SEQ_CST);
	return z;
}

/* The cached slot of key whose ZNAME is in the stream, or NULL (not cached,
 * or its name must go out first): z_slot's lookup without insertion. */
static Z_INLINE struct zslot *z_slot_hit(const struct zstate *z, uintptr_t key, int kind)
{
	if (unlikely(!z->cap))
		return NULL;
	uint32_t m = z->cap - 1;
	for (uint32_t i = z_hash(key, m);; i = (i + 1) & m) {
		struct zslot *s = &z->slots[i];
		if (likely(s->key == key) && likely(s->kind == kind))
			return likely(s->epoch == atomic_load_explicit(&zepoch, memory_order_relaxed)) ? s : NULL;
		if (!s->key)
			return NULL;
	}
}

/* Sets e's id and kind, cdepth and infilter 0: one store. */
static Z_INLINE void z_ent_tag(struct zent *e, uint32_t id, int kind)
{
	_Static_assert(offsetof(struct zent, cdepth) == offsetof(struct zent, id) + 4 &&
			       offsetof(struct zent, kind) == offsetof(struct zent, id) + 6 &&
			       offsetof(struct zent, infilter) == offsetof(struct zent, id) + 7,
		       "zent: id, cdepth, kind, infilter in one word");
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	uint64_t w = id | (uint64_t)kind << 48;
	memcpy(&e->id, &w, 8);
#else
	e->id = id;
	e->cdepth = 0;
	e->kind = (uint8_t)kind;
	e->infilter = 0;
#endif
}

/* Where a record of up to `need` bytes goes, or NULL: the buffer is empty
 * (zb_reserve sets the chunk's base time) or full (zb_flush). */
static Z_INLINE uint8_t *z_fast_room(struct zstate *z, size_t need)
{
	uint32_t len = atomic_load_explicit(&z->zb.clen, memory_order_relaxed);
	if (unlikely(len == 0) || unlikely(RAW_CHUNK_HDR + len + need > RT_BUF_SIZE))
		return NULL;
	return z->zb.data + RAW_CHUNK_HDR + len;
}

/* A ZBEGIN or ZEND0 (raw_put_zbegin's bytes) at p, with room for 8 bytes:
 * one store when dt and id take two varint bytes at most (the bytes past
 * the record are room the next record writes over). */
static Z_INLINE uint8_t *z_put_zid(uint8_t *p, unsigned type, int64_t dt, uint32_t id)
{
	uint64_t zz = fmt_zigzag(dt);
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	if (likely((zz | id) < 0x4000)) {
		uint64_t w = type;
		unsigned sh;
		if (zz < 0x80) {
			w |= zz << 8;
			sh = 16;
		} else {
			w |= ((zz & 0x7f) | 0x80 | (zz >> 7) << 8) << 8;
			sh = 24;
		}
		if (id < 0x80) {
			w |= (uint64_t)id << sh;
			sh += 8;
		} else {
			w |= (((uint64_t)id & 0x7f) | 0x80 | ((uint64_t)id >> 7) << 8) << sh;
			sh += 16;
		}
		memcpy(p, &w, 8);
		return p + sh / 8;
	}
#endif
	*p++ = (uint8_t)type;
	return fmt_put_u(fmt_put_s(p, dt), id);
}

/* Publishes the record ending at `end`, of time t (zb_commit). Returns
 * nonzero when it must go out now (after the final flush): z_flush_leave. */
static Z_INLINE int z_fast_commit(struct zstate *z, uint8_t *end, uint64_t t)
{
	z->zb.last_time = t;
	atomic_store_explicit(&z->zb.clen, (uint32_t)(end - (z->zb.data + RAW_CHUNK_HDR)), memory_order_release);
	return unlikely(G.sync_flush);
}

static __attribute__((noinline)) void z_flush_leave(struct zstate *z)
{
	zb_flush(z);
	z_leave();
}

/* Stamps entry e (pushed), writes its ZBEGIN at p (room for
 * RAW_ZBEGIN_MAX) and leaves the hook: the end of both short ways in. */
static Z_INLINE void z_fast_begin(struct zstate *z, struct zent *e, uint8_t *p, uint32_t id)
{
	uint64_t t = Z_TSC();
	p = z_put_zid(p, RAW_ZBEGIN, (int64_t)(t - z->zb.last_time), id);
	e->t0 = t;
	e->allocs0 = Z_ALLOCS();
	e->bytes0 = Z_BYTES();
	if (z_fast_commit(z, p, t))
		z_flush_leave(z);
	else
		z_leave();
}

/* The ZEND or ZEND0 of the top entry e (recorded) at time t, at p (room
 * for RAW_ZEND_MAX), --calls-min's dropped time aside. */
static Z_INLINE uint8_t *z_fast_end(struct zstate *z, const struct zent *e, uint8_t *p, uint64_t t)
{
	/* no allocation, no byte allocated */
	uint64_t n = Z_ALLOCS() - e->allocs0;
	int64_t dt = (int64_t)(t - z->zb.last_time);
	if (likely(!n))
		return z_put_zid(p, RAW_ZEND0, dt, e->id);
	return raw_put_zend(p, &(struct raw_zend){ dt, e->id, n, Z_BYTES() - e->bytes0, 0, 0 });
}

/* ---- the program's zones (include/scorch.h) ---- */

static __attribute__((noinline)) uint64_t z_zone_open(const struct scorch_site *site, uintptr_t sp)
{
	struct zstate *z = z_enter();
	if (!z)
		return 0;
	uint64_t token = 0;
	if (site) {
		uintptr_t ret = 0, esp = sp;
		if (z->depth) {
			if (z_unwind(z, sp, 0, 0, 0))
				esp = Z_ALT_SP;
			/* opened in the frame of a traced call: it shares its return address */
			for (uint32_t i = z->depth; i-- > 0;)
				if (z->stack[i].sp) {
					if (z->stack[i].sp == sp)
						ret = z->stack[i].ret;
					break;
				}
		}
		struct zslot *s = z_slot(z, (uintptr_t)site, KEY_SITE);
		struct zent *e = s ? z_push(z, s, ZE_SCOPED, esp, ret, 0) : NULL;
		if (e) {
			z_begin_rec(z, s, e);
			token = e->serial;
		}
	}
	z_leave();
	return token;
}

RT_EXPORT uint64_t scorch_rt_zone_open(const struct scorch_site *site)
{
	uintptr_t sp = CALLER_FRAME();
	struct zstate *z;
	if (unlikely(!zc.fast) || unlikely(!site) || !(z = z_fast_enter()))
		return z_zone_open(site, sp);
	/* the innermost entry tied to a frame is the top one, in this frame or
	 * a caller's: nothing to unwind */
	uint32_t d = z->depth;
	const struct zent *top = &z->stack[d ? d - 1 : 0];
	struct zslot *s;
	uint8_t *p;
	if (unlikely(d >= ZSTACK) || (d && top->sp < sp) || !(s = z_slot_hit(z, (uintptr_t)site, KEY_SITE)) ||
	    !(p = z_fast_room(z, RAW_ZBEGIN_MAX))) {
		z_leave();
		return z_zone_open(site, sp);
	}
	uint64_t token = ++z->serial;
	struct zent *e = &z->stack[d];
	e->sp = sp;
	/* opened in the frame of a traced call: it shares its return address */
	e->ret = d && top->sp == sp ? top->ret : 0;
	e->site = 0;
	e->key = (uintptr_t)site;
	z_ent_tag(e, s->id, ZE_SCOPED);
	e->serial = token;
	e->kids_dropped = 0;
	z->depth = d + 1;
	z_fast_begin(z, e, p, s->id);
	return token;
}

static __attribute__((noinline)) void z_zone_close(uint64_t token, uint64_t t)
{
	struct zstate *z = z_enter();
	if (!z)
		return;
	for (uint32_t i = z->depth; i-- > 0;) {
		if (z->stack[i].kind == ZE_CALL || z->stack[i].serial != token)
			continue;
		/* frames above it, still on the stack, were left by longjmp */
		for (uint32_t j = z->depth; j-- > i + 1;)
			if (z->stack[j].sp)
				z_close(z, j, t, RAW_ZF_UNWOUND);
		z_close(z, i, t, 0);
		break;
	}
	/* not found: already ended by scorch_zone_end() or unwinding */
	z_leave();
}

RT_EXPORT void scorch_rt_zone_close(uint64_t token)
{
	uint64_t t = Z_TSC();
	struct zstate *z;
	if (unlikely(!zc.fast) || !(z = z_fast_enter())) {
		z_zone_close(token, z_fix_time(t));
		return;
	}
	/* its zone on top: nothing left above it by longjmp */
	uint32_t d = z->depth;
	struct zent *e = &z->stack[d ? d - 1 : 0];
	uint8_t *p;
	if (unlikely(!d) || e->kind == ZE_CALL || e->serial != token || !e->id ||
	    (zc.min_ticks && e->kids_dropped) || !(p = z_fast_room(z, RAW_ZEND_MAX))) {
		z_leave();
		z_zone_close(token, t);
		return;
	}
	p = z_fast_end(z, e, p, t);
	z->depth = d - 1;
	if (z_fast_commit(z, p, t))
		z_flush_leave(z);
	else
		z_leave();
}

RT_EXPORT void scorch_rt_zone_begin(const char *name)
{
	struct zstate *z = z_enter();
	if (!z)
		return;
	struct zslot *s = name ? z_slot(z, (uintptr_t)name, KEY_NAME) : NULL;
	struct zent *e = s ? z_push(z, s, ZE_UNSCOPED, 0, 0, 0) : NULL;
	if (e)
		z_begin_rec(z, s, e);
	z_leave();
}

static void z_error(struct zstate *z, struct rt_buf *b, int kind, uint32_t expected, const char *given)
{
	struct zslot *g = z_slot(z, (uintptr_t)given, KEY_NAME);
	scorch_rt_lock(b);
	if (g)
		z_put_name(z, b, g);
	uint64_t t = z_now();
	uint8_t *p = scorch_rt_reserve(b, RAW_ZERROR_MAX);
	p = raw_put_zerror(p, &(struct raw_zerror_rec){ (int64_t)(t - b->last_time), (uint64_t)kind, expected,
							g ? g->id : 0 });
	scorch_rt_commit(b, p, t);
	scorch_rt_unlock(b);
}

/* Ends the innermost open zone of that name. Calls do not count as zones
 * here: a span may begin in one function and end in another. An end that
 * is not the innermost zone's is recorded as an error; the named zone (if
 * open) still ends, and the zones inside it stay open. */
RT_EXPORT void scorch_rt_zone_end(const char *name)
{
	uint64_t t = z_now();
	struct zstate *z = z_enter();
	if (!z)
		return;
	struct rt_buf *b = name ? scorch_rt_self() : NULL;
	if (b) {
		int inner = -1, match = -1;
		for (uint32_t i = z->depth; i-- > 0;) {
			const struct zent *e = &z->stack[i];
			if (e->kind == ZE_CALL)
				continue;
			if (inner < 0)
				inner = (int)i;
			const char *n = ent_name(e);
			if (n == name || !strcmp(n, name)) {
				match = (int)i;
				break;
			}
		}
		if (match < 0 || match != inner)
			z_error(z, b, match < 0 ? ZERR_END_UNOPENED : ZERR_END_MISMATCH,
				inner >= 0 ? z->stack[inner].id : 0, name);
		if (match >= 0)
			z_close(z, (uint32_t)match, t, 0);
	}
	z_leave();
}

RT_EXPORT void scorch_rt_mark(const struct scorch_site *site)
{
	struct zstate *z = z_enter();
	if (!z)
		return;
	struct rt_buf *b = site ? scorch_rt_self() : NULL;
	struct zslot *s = b ? z_slot(z, (uintptr_t)site, KEY_SITE) : NULL;
	if (s) {
		scorch_rt_lock(b);
		z_put_name(z, b, s);
		uint64_t t = z_now();
		uint8_t *p = scorch_rt_reserve(b, RAW_ZMARK_MAX);
		p = raw_put_zmark(p, &(struct raw_zid){ (int64_t)(t - b->last_time), s->id });
		scorch_rt_commit(b, p, t);
		scorch_rt_unlock(b);
	}
	z_leave();
}

RT_EXPORT void scorch_rt_counter(const struct scorch_site *site, double value)
{
	struct zstate *z = z_enter();
	if (!z)
		return;
	struct rt_buf *b = site ? scorch_rt_self() : NULL;
	struct zslot *s = b ? z_slot(z, (uintptr_t)site, KEY_SITE) : NULL;
	if (s) {
		scorch_rt_lock(b);
		z_put_name(z, b, s);
		uint64_t t = z_now();
		uint8_t *p = scorch_rt_reserve(b, RAW_ZCOUNTER_MAX);
		p = raw_put_zcounter(p, &(struct raw_zcounter){ (int64_t)(t - b->last_time), s->id, value });
		scorch_rt_commit(b, p, t);
		scorch_rt_unlock(b);
	}
	z_leave();
}

RT_EXPORT void scorch_rt_thread_name(const char *name)
{
	struct zstate *z = z_enter();
	if (!z)
		return;
	struct rt_buf *b = name ? scorch_rt_self() : NULL;
	if (b) {
		size_t n = strnlen(name, 255);
		scorch_rt_lock(b);
		uint64_t t = z_now();
		uint8_t *p = scorch_rt_reserve(b, RAW_ZTHREAD_MAX(n));
		p = raw_put_zthread(p, &(struct raw_zthread){ (int64_t)(t - b->last_time), name, (uint32_t)n });
		scorch_rt_commit(b, p, t);
		scorch_rt_unlock(b);
	}
	z_leave();
}

/* ---- -finstrument-functions ---- */

/* The general paths of the hooks: sp, ret and site as the hooks say. */
static __attribute__((noinline)) void z_call_enter(void *fn, uintptr_t sp, uintptr_t ret, uintptr_t site)
{
	if (unlikely(!zc.calls)) {
		/* before our constructor: the settings are not read yet */
		if (atomic_load_explicit(&G.state, memory_order_relaxed) != RT_UNINIT)
			return;
		scorch_rt_init();
		if (!zc.calls)
			return;
	}
	struct zstate *z = z_enter();
	if (!z)
		return;
	/* the entry below is a caller's frame (above ours): nothing was left
	 * by longjmp, z_unwind would find nothing to end */
	uintptr_t esp = sp;
	if (z->depth && unlikely(z->stack[z->depth - 1].sp <= sp) && z_unwind(z, sp, 0, ret, site))
		esp = Z_ALT_SP;
	struct zslot *s = z->depth < ZSTACK ? z_slot(z, (uintptr_t)fn, KEY_FUNC) : NULL;
	if (unlikely(!s)) {
		z->overflow++;   /* its exit must not close another call */
		goto out;
	}
	struct zent *e;
	if (likely(!zc.filter && !zc.exclude && !zc.max_depth)) {
		/* every call recorded: no depth or filter region to carry */
		e = z_push(z, s, ZE_CALL, esp, ret, site);
	} else {
		/* depth and filter region of the innermost call */
		uint16_t pd = 0;
		uint8_t pin = !zc.filter;
		for (uint32_t i = z->depth; i-- > 0;)
			if (z->stack[i].kind == ZE_CALL) {
				pd = z->stack[i].cdepth;
				pin = z->stack[i].infilter;
				break;
			}
		uint8_t in = pin || (s->filt & FILT_MATCH);
		int rec = in && !(s->filt & FILT_EXCLUDE) && (!zc.max_depth || pd < zc.max_depth);
		e = z_push(z, s, ZE_CALL, esp, ret, site);
		e->infilter = in;
		e->cdepth = (uint16_t)(pd + (rec && pd < UINT16_MAX));
		if (!rec) {
			e->id = 0;
			goto out;
		}
	}
	if (unlikely(zc.min_ticks))
		s->open++;
	z_begin_rec(z, s, e);
out:
	z_leave();
}

static __attribute__((noinline)) void z_call_exit(void *fn, uintptr_t sp, uintptr_t ret, uintptr_t site,
						      uint64_t t)
{
	struct zstate *z = z_enter();
	if (!z)
		return;
	if (unlikely(z->overflow)) {
		z->overflow--;
		goto out;
	}
	int32_t found = -1;
	uint32_t top = z->depth - 1;
	if (likely(z->depth) && likely(site != ret) && z->stack[top].sp == sp && z->stack[top].ret == ret &&
	    z->stack[top].key == (uintptr_t)fn && z->stack[top].kind == ZE_CALL &&
	    (top == 0 || z->stack[top - 1].sp > sp)) {
		/* the common case: fn's own entry on top, in this frame, its
		 * caller's entry in a frame above: z_unwind would end nothing */
		z_close(z, top, t, 0);
		goto out;
	}
	if (site == ret) {
		/* Called as fn's tail call (-O2 jumps to the exit hook after fn's
		 * epilogue): fn's frame is gone and sp is its caller's, so the
		 * frame test would take fn for unwound. Its entry is the one of fn
		 * with its return address nearest below that frame; deeper ones
		 * (recursion left by longjmp) end above it, unwound. */
		uintptr_t best = 0;
		for (uint32_t i = z->depth; i-- > 0;) {
			const struct zent *e = &z->stack[i];
			if (e->kind == ZE_CALL && e->key == (uintptr_t)fn && e->ret == ret && e->sp < sp &&
			    e->sp > best) {
				best = e->sp;
				found = (int32_t)i;
			}
		}
	} else {
		z_unwind(z, sp, t, ret, 0);
		for (uint32_t i = z->depth; i-- > 0;)
			if (z->stack[i].kind == ZE_CALL && z->stack[i].key == (uintptr_t)fn &&
			    z->stack[i].ret == ret) {
				found = (int32_t)i;
				break;
			}
	}
	if (found >= 0) {
		/* calls above it never returned: longjmp in a signal handler, or
		 * frames the stack pointer cannot tell apart */
		for (uint32_t j = z->depth; j-- > (uint32_t)found + 1;)
			if (z->stack[j].sp)
				z_close(z, j, t, RAW_ZF_UNWOUND);
		z_close(z, (uint32_t)found, t, 0);
	}
	/* no entry: entered before recording started */
out:
	z_leave();
}

static __attribute__((noinline)) void z_call_exit_at(void *fn, uintptr_t sp, uintptr_t ret, uintptr_t site,
							uint64_t t)
{
	z_call_exit(fn, sp, ret, site, z_fix_time(t));
}

RT_EXPORT void __cyg_profile_func_enter(void *fn, void *call_site)
{
	uintptr_t sp = CALLER_FRAME();
	/* call_site is the return address of the frame the hook runs in (the
	 * caller's when fn was inlined); site is this hook call's own */
	uintptr_t ret = (uintptr_t)call_site, site = (uintptr_t)__builtin_return_address(0);
	if (unlikely(!zc.all_calls)) {
		if (zc.calls || atomic_load_explicit(&G.state, memory_order_relaxed) == RT_UNINIT)
			z_call_enter(fn, sp, ret, site);
		return;
	}
	struct zstate *z = z_fast_enter();
	if (unlikely(!z)) {
		z_call_enter(fn, sp, ret, site);
		return;
	}
	/* the entry below is a caller's frame (above ours): nothing was left
	 * by longjmp */
	uint32_t d = z->depth;
	struct zslot *s;
	uint8_t *p;
	if (unlikely(d >= ZSTACK) || unlikely(d && z->stack[d - 1].sp <= sp) ||
	    unlikely(!(s = z_slot_hit(z, (uintptr_t)fn, KEY_FUNC))) || unlikely(!(p = z_fast_room(z, RAW_ZBEGIN_MAX)))) {
		z_leave();
		z_call_enter(fn, sp, ret, site);
		return;
	}
	struct zent *e = &z->stack[d];
	e->sp = sp;
	e->ret = ret;
	e->site = site;
	e->key = (uintptr_t)fn;
	z_ent_tag(e, s->id, ZE_CALL);
	z->depth = d + 1;
	z_fast_begin(z, e, p, s->id);
}

RT_EXPORT void __cyg_profile_func_exit(void *fn, void *call_site)
{
	uintptr_t sp = CALLER_FRAME();
	uintptr_t ret = (uintptr_t)call_site, site = (uintptr_t)__builtin_return_address(0);
	if (unlikely(!zc.all_calls)) {
		if (zc.calls)
			z_call_exit_at(fn, sp, ret, site, Z_TSC());
		return;
	}
	uint64_t t = Z_TSC();
	struct zstate *z = z_fast_enter();
	if (unlikely(!z)) {
		z_call_exit_at(fn, sp, ret, site, t);
		return;
	}
	/* fn's own entry on top, in this frame, its caller's entry in a frame
	 * above: z_unwind would end nothing (see z_call_exit) */
	uint32_t d = z->depth;
	struct zent *e = &z->stack[d ? d - 1 : 0];
	uint8_t *p;
	if (unlikely(!d) || unlikely(z->overflow) || unlikely(site == ret) || e->sp != sp || e->ret != ret ||
	    e->key != (uintptr_t)fn || e->kind != ZE_CALL || (d > 1 && e[-1].sp <= sp) ||
	    unlikely(!(p = z_fast_room(z, RAW_ZEND_MAX)))) {
		z_leave();
		z_call_exit(fn, sp, ret, site, t);
		return;
	}
	/* every call is recorded (id set) and none dropped inside it */
	p = z_fast_end(z, e, p, t);
	z->depth = d - 1;
	if (z_fast_commit(z, p, t))
		z_flush_leave(z);
	else
		z_leave();
}

/* ---- naming functions for the call filters ---- */

/* The symbol tables of the modules functions were looked up in, mapped
 * from their files once and kept for the life of the process. */
struct zmod {
	const void *lm;
	uintptr_t bias;
	void *map;
	size_t size;
	const Elf64_Sym *syms;
	size_t nsyms;
	const char *str;
	size_t strsz;
};

#define ZMODS 256
static struct zmod zmods[ZMODS];
static int nzmods;
static atomic_int zmod_lock;

/* The section's bounds inside a file of `size` bytes, or NULL. */
static const void *elf_section(const uint8_t *base, size_t size, const Elf64_Shdr *sh)
{
	if (sh->sh_offset > size || sh->sh_size > size - sh->sh_offset)
		return NULL;
	return base + sh->sh_offset;
}

/* Maps the file at path and finds its .symtab (or .dynsym). */
static void zmod_load(struct zmod *m, const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	struct stat st;
	void *map = MAP_FAILED;
	if (fstat(fd, &st) == 0 && st.st_size >= (off_t)sizeof(Elf64_Ehdr))
		map = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	close(fd);
	if (map == MAP_FAILED)
		return;
	const uint8_t *base = map;
	size_t size = (size_t)st.st_size;
	const Elf64_Ehdr *eh = map;
	if (memcmp(eh->e_ident, ELFMAG, SELFMAG) != 0 || eh->e_ident[EI_CLASS] != ELFCLASS64 ||
	    eh->e_shentsize != sizeof(Elf64_Shdr) || eh->e_shoff > size ||
	    (size_t)eh->e_shnum * sizeof(Elf64_Shdr) > size - eh->e_shoff) {
		munmap(map, size);
		return;
	}
	const Elf64_Shdr *sh = (const Elf64_Shdr *)(base + eh->e_shoff);
	for (int pass = 0; pass < 2 && !m->syms; pass++) {
		uint32_t want = pass == 0 ? SHT_SYMTAB : SHT_DYNSYM;
		for (unsigned i = 0; i < eh->e_shnum; i++) {
			if (sh[i].sh_type != want || sh[i].sh_link >= eh->e_shnum)
				continue;
			const void *syms = elf_section(base, size, &sh[i]);
			const void *str = elf_section(base, size, &sh[sh[i].sh_link]);
			if (!syms || !str)
				continue;
			m->syms = syms;
			m->nsyms = sh[i].sh_size / sizeof(Elf64_Sym);
			m->str = str;
			m->strsz = sh[sh[i].sh_link].sh_size;
			break;
		}
	}
	if (!m->syms) {
		munmap(map, size);
		return;
	}
	m->map = map;
	m->size = size;
}

static const struct zmod *zmod_get(const struct link_map *lm)
{
	const struct zmod *r = NULL;
	while (atomic_exchange_explicit(&zmod_lock, 1, memory_order_acquire))
		;
	for (int i = 0; i < nzmods && !r; i++)
		if (zmods[i].lm == lm && zmods[i].bias == lm->l_addr)
			r = &zmods[i];
	if (!r && nzmods < ZMODS) {
		struct zmod *m = &zmods[nzmods++];
		memset(m, 0, sizeof(*m));
		m->lm = lm;
		m->bias = lm->l_addr;
		zmod_load(m, lm->l_name && lm->l_name[0] ? lm->l_name : G.exe);
		r = m;
	}
	atomic_store_explicit(&zmod_lock, 0, memory_order_release);
	return r;
}

/* The symbol name of the function at addr, from the dynamic symbols or the
 * module's own symbol table. Returns 0, or -1 when it has none. */
static int z_symbol(uintptr_t addr, char *out, size_t n)
{
	Dl_info info;
	struct link_map *lm = NULL;
	if (!dladdr1((void *)addr, &info, (void **)&lm, RTLD_DL_LINKMAP) || !lm)
		return -1;
	const char *name = NULL;
	size_t max = n - 1;
	if (info.dli_sname && (uintptr_t)info.dli_saddr == addr) {
		name = info.dli_sname;
	} else {
		const struct zmod *m = zmod_get(lm);
		const Elf64_Sym *best = NULL;
		uintptr_t v = addr - (m ? m->bias : 0);
		for (size_t k = 0; m && k < m->nsyms; k++) {
			const Elf64_Sym *s = &m->syms[k];
			int type = ELF64_ST_TYPE(s->st_info);
			if ((type != STT_FUNC && type != STT_GNU_IFUNC) || s->st_shndx == SHN_UNDEF ||
			    v < s->st_value || v - s->st_value >= (s->st_size ? s->st_size : 1))
				continue;
			best = s;
			if (s->st_value == v)
				break;
		}
		if (best && best->st_name < m->strsz) {
			name = m->str + best->st_name;
			if (m->strsz - best->st_name - 1 < max)
				max = m->strsz - best->st_name - 1;
		} else {
			name = info.dli_sname;
		}
	}
	if (!name)
		return -1;
	scorch_rt_strlcpy(out, name, max + 1 < n ? max + 1 : n);
	return 0;
}

/* The qualified name of a simple Itanium-mangled C++ name without its
 * parameters ("_ZN3foo3barEi" -> "foo::bar"), so filters can be written as
 * people read names. Returns 0 when name is not one. */
static int simple_demangle(const char *m, char *out, size_t n)
{
	if (m[0] != '_' || m[1] != 'Z')
		return 0;
	const char *p = m + 2;
	if (*p == 'L')
		p++;   /* internal linkage: a static function */
	int nested = *p == 'N';
	if (nested)
		for (p++; *p == 'K' || *p == 'V' || *p == 'r'; p++)
			;
	size_t o = 0;
	while (*p >= '0' && *p <= '9') {
		size_t len = 0;
		while (*p >= '0' && *p <= '9' && len < 4096)
			len = len * 10 + (size_t)(*p++ - '0');
		if (strnlen(p, len) < len || o + len + 3 > n)
			return 0;
		if (o) {
			out[o++] = ':';
			out[o++] = ':';
		}
		memcpy(out + o, p, len);
		o += len;
		p += len;
		if (!nested)
			break;
	}
	out[o] = 0;
	return o > 0;
}

/* Whether fn matches --calls-filter / --calls-exclude, by its symbol name or
 * the simple form of a C++ one. Runs once per function and thread. */
static uint8_t z_decide(uintptr_t fn)
{
	char name[512], simple[512];
	uint8_t f = 0;
	int g = scorch_rt_guard;
	scorch_rt_guard = 1;   /* dladdr and regexec allocate: not the program's doing */
	if (z_symbol(fn, name, sizeof(name)) == 0) {
		int hs = simple_demangle(name, simple, sizeof(simple));
		if (zc.filter && (regexec(&zc.re_filter, name, 0, NULL, 0) == 0 ||
				  (hs && regexec(&zc.re_filter, simple, 0, NULL, 0) == 0)))
			f |= FILT_MATCH;
		if (zc.exclude && (regexec(&zc.re_exclude, name, 0, NULL, 0) == 0 ||
				   (hs && regexec(&zc.re_exclude, simple, 0, NULL, 0) == 0)))
			f |= FILT_EXCLUDE;
	}
	scorch_rt_guard = g;
	return f;
}

/* ---- lifecycle ---- */

static int *prog_flag;   /* the program's own copy of the flag, when it has one we had to find */

static int main_bias_cb(struct dl_phdr_info *info, size_t size, void *arg)
{
	(void)size;
	*(uintptr_t *)arg = info->dlpi_addr;
	return 1;   /* the first is the program */
}

/* include/scorch.h defines the flag (weakly) in the program. When the
 * program exports it (linked with -lscorch) our GOT already points there;
 * otherwise (not linked, or --as-needed dropped us and we were preloaded)
 * its copy is found in its symbol table, so its zones are recorded all the
 * same. A stripped program that is not linked with us keeps its zones off. */
static void zone_flag_fixup(void)
{
	uintptr_t bias = 0;
	dl_iterate_phdr(main_bias_cb, &bias);
	struct zmod m;
	memset(&m, 0, sizeof(m));
	zmod_load(&m, G.exe);
	for (size_t k = 0; k < m.nsyms; k++) {
		const Elf64_Sym *sym = &m.syms[k];
		if (ELF64_ST_TYPE(sym->st_info) != STT_OBJECT || sym->st_shndx == SHN_UNDEF ||
		    sym->st_name >= m.strsz || sym->st_size != sizeof(int) ||
		    strncmp(m.str + sym->st_name, "scorch_rt_zones_on", m.strsz - sym->st_name) != 0)
			continue;
		int *f = (int *)(bias + sym->st_value);
		if (f != &scorch_rt_zones_on)
			prog_flag = f;
		break;
	}
	if (m.map)
		munmap(m.map, m.size);
}

static void zone_flag_set(int on)
{
	__atomic_store_n(&scorch_rt_zones_on, on, __ATOMIC_RELEASE);
	if (prog_flag)
		__atomic_store_n(prog_flag, on, __ATOMIC_RELEASE);
}

/* Whether zones may want allocation counts: calls are traced, or the
 * program includes scorch.h (its copy of the flag was found, or, linked with
 * -lscorch, it is the one we use). rt-malloc.c counts then even without heap
 * tracking; otherwise its hooks only forward. */
int scorch_rt_zone_counts_allocs(void)
{
	return zc.calls || prog_flag || !scorch_rt_is_self(&scorch_rt_zones_on);
}

static uint64_t env_u64(const char *name)
{
	const char *s = getenv(name);
	uint64_t v = 0;
	for (; s && *s >= '0' && *s <= '9'; s++)
		v = v * 10 + (uint64_t)(*s - '0');
	return v;
}

static int env_regex(const char *name, regex_t *re, const char *what)
{
	const char *s = getenv(name);
	if (!s || !*s)
		return 0;
	if (regcomp(re, s, REG_EXTENDED | REG_NOSUB) == 0)
		return 1;
	scorch_rt_write_err(what);
	return 0;
}

/* Reads the --calls settings and turns zones on. Guard up (scorch_rt_init). */
void scorch_rt_zone_init(void)
{
	if (atomic_load(&G.state) != RT_ACTIVE)
		return;
	const char *mode = getenv("SCORCH_MODE");
	if (mode && strstr(mode, "calls")) {
		zc.filter = env_regex("SCORCH_CALLS_FILTER", &zc.re_filter,
				      "bad --calls-filter regex; calls are not filtered by it");
		zc.exclude = env_regex("SCORCH_CALLS_EXCLUDE", &zc.re_exclude,
				       "bad --calls-exclude regex; no call is excluded");
		zc.max_depth = (uint32_t)env_u64("SCORCH_CALLS_DEPTH");
		uint64_t ns = env_u64("SCORCH_CALLS_MIN");
		zc.min_ticks = G.tsc && G.tick_fs ? (uint64_t)((double)ns * 1e6 / (double)G.tick_fs) : ns;
		if (ns && !zc.min_ticks)
			zc.min_ticks = 1;
		zc.calls = 1;
		zc.all_calls = Z_HAVE_TSC && G.tsc && !zc.filter && !zc.exclude && !zc.max_depth && !zc.min_ticks;
	}
	zc.on = 1;
	zc.fast = Z_HAVE_TSC && G.tsc;
	zone_flag_fixup();
	zone_flag_set(1);
}

/* The thread ends (pthread key destructor, guard up): its open zones end
 * now, its dropped-call counts go out, its state is free for the next. */
void scorch_rt_zone_thread_exit(void)
{
	struct zstate *z = tl_z;
	if (!z)
		return;
	struct rt_buf *b = scorch_rt_self();
	if (b) {
		uint64_t t = z_now();
		while (z->depth)
			z_close(z, z->depth - 1, t, RAW_ZF_THREAD_EXIT);
		z_write_drops(z, b, 1);
	}
	zb_flush(z);
	z->depth = 0;
	z->overflow = 0;
	tl_z = NULL;
	atomic_store(&z->in_use, 0);
}

/* The final flush: every thread's zone buffer goes out as far as it is
 * committed (threads still running append after it; see struct zbuf), and
 * the dropped-call counts of every thread through b. Threads still running
 * may be counting as this reads. async-signal-safe */
void scorch_rt_zone_final(struct rt_buf *b, int from_signal)
{
	if (!zc.on)
		return;
	uint64_t deadline = 0;
	for (struct zstate *z = atomic_load(&zstates); z; z = z->next) {
		if (!atomic_load(&z->in_use))
			continue;
		struct zbuf *zb = &z->zb;
		/* another thread holds it for the write of a chunk: wait, a
		 * bounded time (a thread stopped for good while holding it
		 * keeps its tail) */
		int got = 0;
		for (unsigned i = 0; !got; i++) {
			unsigned cur = 0;
			if (atomic_compare_exchange_weak_explicit(&zb->lock, &cur, 0x40000000u, memory_order_acquire,
								  memory_order_relaxed)) {
				got = 1;
				break;
			}
			if (i < 64)
				continue;
			uint64_t t = scorch_rt_ns();
			if (!deadline)
				deadline = t + (from_signal ? 100000000ull : 1000000000ull);
			if (t > deadline)
				break;
			sched_yield();
		}
		if (got) {
			zb_write(zb);
			zb_unlock(zb);
		}
		z_write_drops(z, b, !from_signal);
	}
}

/* In a forked child (atfork handler): the other threads are gone, the
 * stream is new. The zones this thread has open begin again in it. */
void scorch_rt_zone_fork_child(void)
{
	if (!zc.on)
		return;
	if (atomic_load(&G.state) != RT_ACTIVE) {
		zc.on = zc.calls = zc.all_calls = zc.fast = 0;
		zone_flag_set(0);
		return;
	}
	atomic_fetch_add(&zepoch, 1);
	struct zstate *me = tl_z;
	for (struct zstate *z = atomic_load(&zstates); z; z = z->next) {
		/* counts of dropped calls belong to the parent, which writes them */
		for (uint32_t i = 0; i < z->cap; i++) {
			struct zslot *s = &z->slots[i];
			s->d_calls = s->d_ticks = s->d_self = s->d_min = s->d_max = 0;
			s->d_outer = s->d_allocs = s->d_bytes = 0;
			if (z != me)
				s->open = 0;
		}
		if (z != me) {
			z->depth = z->overflow = 0;
			atomic_store(&z->in_use, 0);
		}
		/* the records in it are the parent's to write */
		atomic_store(&z->zb.lock, 0);
		atomic_store(&z->zb.clen, 0);
		z->zb.flushed = 0;
		z->zb.nflush++;
		z->zb.last_time = 0;
	}
	struct rt_buf *b = me ? scorch_rt_self() : NULL;
	if (b)
		me->zb.tid = b->tid;
	for (uint32_t i = 0; b && i < me->depth; i++) {
		struct zent *e = &me->stack[i];
		struct zslot *s = z_find(me, e->key, ent_key_kind(e));
		if (e->id && s)
			z_begin_rec(me, s, e);
	}
}

/* A chunk could not be written: the names it held must go out again. */
void scorch_rt_zone_lost(void)
{
	atomic_fetch_add(&zepoch, 1);
}
