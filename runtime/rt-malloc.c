/* The interposed malloc family. Each hook calls the next allocator, then (on
 * the calling thread) counts the call for scorch_heap_stats() and zones and,
 * when recording, appends an ALLOC or FREE record with the caller's stack id.
 * When neither is wanted (scorch record without --heap, in a program that
 * does not include scorch.h) a hook is a jump to the next allocator and
 * nothing else. A hook may be interrupted by a signal handler that allocates
 * or jumps out: see "Signals" in rt-core.c; a hook entered inside another
 * is taken for a handler's, so the next allocator's functions must not call
 * the malloc family through the PLT (glibc's reallocarray does: it is done
 * here, on realloc). Allocations made while dlsym
 * resolves the real functions come from a static bootstrap arena and are
 * never freed. */
#include "rt.h"

#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <sys/mman.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include "../format/raw.h"
#include "../format/rawrec.h"
#include "../format/varint.h"
#include "../include/scorch.h"

RT_HIDDEN _Alignas(64) struct rt_real scorch_rt_real;

/* ---- bootstrap ---- */

/* The sampled blocks' filter (see "sampling" below): a counter per hash
 * bucket of the addresses of the live sampled blocks, and of the bootstrap
 * arena's blocks (counted once, never taken back), so that a sampled-mode
 * free or realloc whose filter counter is 0 is neither (one load), and the
 * fast path need not test for the arena. */
#define SF_BITS 13                    /* filter counters: 8 KiB, mostly in the L1 cache */
#define SF_MAX UINT8_MAX              /* a counter's saturation (not reached: the table
                                       * holds 128Ki blocks at most, 16 a counter on average) */
static _Atomic uint8_t sf_cnt[1u << SF_BITS];

static inline uint64_t st_hash(uintptr_t a)
{
	return (uint64_t)a * 0x9E3779B97F4A7C15ull;
}

/* No sampled block and no bootstrap block lives at p when this says 0.
 * async-signal-safe */
static inline int sampled_maybe(const void *p)
{
	return atomic_load_explicit(&sf_cnt[st_hash((uintptr_t)p) >> (64 - SF_BITS)],
				    memory_order_relaxed) != 0;
}

static _Alignas(64) uint8_t boot_heap[256 * 1024];
static atomic_size_t boot_used;
static __thread volatile int tl_resolving __attribute__((tls_model("initial-exec")));

static void *boot_alloc(size_t n, size_t align)
{
	if (align < 16)
		align = 16;
	size_t cur = atomic_load(&boot_used), start, end;
	do {
		start = (cur + sizeof(size_t) + align - 1) & ~(align - 1);
		end = start + n;
		if (end > sizeof(boot_heap))
			return NULL;
	} while (!atomic_compare_exchange_weak(&boot_used, &cur, end));
	memcpy(boot_heap + start - sizeof(size_t), &n, sizeof(size_t));
	/* the filter says "maybe" for it from now on (saturating: a counter
	 * at its maximum stays there, st_add() refuses it) */
	_Atomic uint8_t *f = &sf_cnt[st_hash((uintptr_t)(boot_heap + start)) >> (64 - SF_BITS)];
	uint8_t c = atomic_load(f);
	while (c != SF_MAX && !atomic_compare_exchange_weak(f, &c, (uint8_t)(c + 1)))
		;
	return boot_heap + start;
}

static inline int is_boot(const void *p)
{
	return (const uint8_t *)p >= boot_heap && (const uint8_t *)p < boot_heap + sizeof(boot_heap);
}

static size_t boot_size(const void *p)
{
	size_t n;
	memcpy(&n, (const uint8_t *)p - sizeof(size_t), sizeof(n));
	return n;
}

void *scorch_rt_next(const char *name)
{
	int g = scorch_rt_guard;
	scorch_rt_guard = 1;
	void *p = dlsym(RTLD_NEXT, name);
	scorch_rt_guard = g;
	return p;
}

#define RESOLVE(name) REAL.name = (__typeof__(REAL.name))dlsym(RTLD_NEXT, #name)

void scorch_rt_resolve(void)
{
	if (REAL.malloc || tl_resolving)
		return;
	tl_resolving = 1;
	int g = scorch_rt_guard;
	scorch_rt_guard = 1;
	RESOLVE(free);
	RESOLVE(calloc);
	RESOLVE(realloc);
	RESOLVE(reallocarray);
	RESOLVE(posix_memalign);
	RESOLVE(aligned_alloc);
	RESOLVE(memalign);
	RESOLVE(valloc);
	RESOLVE(pvalloc);
	RESOLVE(free_sized);
	RESOLVE(free_aligned_sized);
	RESOLVE(malloc_usable_size);
	void *m = dlsym(RTLD_NEXT, "malloc");
	tl_resolving = 0;
	scorch_rt_guard = g;
	if (!m || !REAL.free || !REAL.calloc || !REAL.realloc) {
		scorch_rt_write_err("cannot find the real allocator; exiting");
		_exit(127);
	}
	atomic_store((_Atomic(void *) *)&REAL.malloc, m);
}

/* ---- in-program statistics (include/scorch.h) ---- */

/* Counts are kept per thread in blocks only their thread writes (plain
 * stores, no bus locking) and summed when someone asks; a block outlives
 * its thread and is reused by the next one, still carrying its counts, so
 * the sums stay right. Only the current heap size is one shared atomic: the
 * process-wide peak needs a single order of all changes. */
struct rt_sblock {
	struct rt_sblock *next;
	atomic_int in_use;
	_Atomic uint64_t allocs, frees, total;
} __attribute__((aligned(64)));

static struct rt_sblock *_Atomic sblocks;
static atomic_long st_cur, st_peak;
static __thread struct rt_sblock *tl_sb __attribute__((tls_model("initial-exec")));
/* read by rt-zone.c directly (a zone's allocations: no call per hook) */
RT_HIDDEN __thread struct scorch_heap_stats scorch_rt_tl_stats __attribute__((tls_model("initial-exec")));
#define tl_stats scorch_rt_tl_stats
static pthread_key_t sb_key;
static pthread_once_t sb_once = PTHREAD_ONCE_INIT;

static void sblock_release(void *arg)
{
	struct rt_sblock *b = arg;
	if (b && b == tl_sb) {
		tl_sb = NULL;
		atomic_store(&b->in_use, 0);
	}
}

static void sblock_key(void)
{
	pthread_key_create(&sb_key, sblock_release);
}

static void sblock_push(struct rt_sblock *b)
{
	struct rt_sblock *head = atomic_load(&sblocks);
	do
		b->next = head;
	while (!atomic_compare_exchange_weak(&sblocks, &head, b));
}

static struct rt_sblock *sblock_take(void)
{
	struct rt_sblock *b;
	for (b = atomic_load(&sblocks); b; b = b->next) {
		int zero = 0;
		if (!atomic_load_explicit(&b->in_use, memory_order_relaxed) &&
		    atomic_compare_exchange_strong(&b->in_use, &zero, 1))
			break;
	}
	if (!b) {
		enum { PAGE = 4096, N = PAGE / sizeof(struct rt_sblock) };
		struct rt_sblock *page = mmap(NULL, PAGE, PROT_READ | PROT_WRITE,
					      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (page == MAP_FAILED)
			return NULL;
		atomic_store(&page[0].in_use, 1);
		for (int i = N - 1; i >= 0; i--)
			sblock_push(&page[i]);
		b = &page[0];
	}
	pthread_once(&sb_once, sblock_key);
	pthread_setspecific(sb_key, b);
	tl_sb = b;
	return b;
}

/* The thread's block, once per thread: pthread_once and setspecific may
 * allocate (guard at 1: passed through) and a handler must not take a second
 * block half-way (signals blocked). */
static struct rt_sblock *sblock_acquire(void)
{
	sigset_t old;
	scorch_rt_sigblock(&old);
	int g = scorch_rt_guard;
	scorch_rt_guard = 1;
	struct rt_sblock *b = tl_sb ? tl_sb : sblock_take();
	scorch_rt_guard = g;
	scorch_rt_sigrestore(&old);
	return b;
}

/* v added to a counter only this thread writes, in one instruction where we
 * can: a signal handler's own count on this thread cannot fall between a
 * load and a store and be lost. Other threads read it whole. */
static inline void sig_add(_Atomic uint64_t *p, uint64_t v)
{
#if defined(__x86_64__)
	__asm__ volatile("addq %1, %0" : "+m"(*(uint64_t *)p) : "er"(v));
#else
	atomic_fetch_add_explicit(p, v, memory_order_relaxed);
#endif
}

static inline void sig_add64(void *p, int64_t v)
{
	sig_add((_Atomic uint64_t *)p, (uint64_t)v);
}

static inline size_t usable(void *p)
{
	return p && REAL.malloc_usable_size ? REAL.malloc_usable_size(p) : 0;
}

static inline void stats_alloc(size_t req, size_t use)
{
	struct rt_sblock *b = tl_sb;
	if (likely(b || (b = sblock_acquire()))) {
		sig_add(&b->allocs, 1);
		sig_add(&b->total, req);
	}
	long cur = atomic_fetch_add_explicit(&st_cur, (long)use, memory_order_relaxed) + (long)use;
	long peak = atomic_load_explicit(&st_peak, memory_order_relaxed);
	while (cur > peak && !atomic_compare_exchange_weak_explicit(&st_peak, &peak, cur,
								     memory_order_relaxed, memory_order_relaxed))
		;
	sig_add64(&tl_stats.allocations, 1);
	sig_add64(&tl_stats.total_bytes, (int64_t)req);
	sig_add64(&tl_stats.current_bytes, (int64_t)use);
	if (tl_stats.current_bytes > tl_stats.peak_bytes)
		tl_stats.peak_bytes = tl_stats.current_bytes;
}

static inline void stats_free(size_t use)
{
	struct rt_sblock *b = tl_sb;
	if (likely(b || (b = sblock_acquire())))
		sig_add(&b->frees, 1);
	atomic_fetch_sub_explicit(&st_cur, (long)use, memory_order_relaxed);
	sig_add64(&tl_stats.frees, 1);
	sig_add64(&tl_stats.current_bytes, -(int64_t)use);
}

/* ---- sampling (scorch heap --sample=BYTES) ----
 * One allocation per G.heap_sample bytes on average is recorded, as
 * tcmalloc and jemalloc sample: the bytes a thread allocates are a line
 * with points thrown on it at random, an exponential distance apart, and an
 * allocation that covers a point is recorded (an allocation of s bytes
 * with probability 1 - exp(-s / rate); the reader weighs it back,
 * analysis/events.c). A thread keeps the bytes left to its next point; an
 * allocation that does not reach it costs that subtraction and nothing
 * else. The addresses of the sampled blocks that are live go in one table,
 * so that their frees are recorded; a free asks a small counting filter
 * first (one load, 8 KiB that stay in the cache) and the table only when
 * the filter says the address may be there. */

static __thread int64_t tl_left __attribute__((tls_model("initial-exec")));
static __thread uint64_t tl_rng __attribute__((tls_model("initial-exec")));
static __thread pid_t tl_rng_pid __attribute__((tls_model("initial-exec")));

/* ln(x) for 0 < x <= 1 without libm: x = m 2^e, ln m = 2 atanh((m-1)/(m+1)) */
static double rt_ln(double x)
{
	uint64_t b;
	memcpy(&b, &x, sizeof(b));
	int e = (int)((b >> 52) & 0x7ff) - 1023;
	b = (b & ((1ull << 52) - 1)) | (1023ull << 52);
	double m;
	memcpy(&m, &b, sizeof(m));
	if (m > 1.4142135623730951) {
		m *= 0.5;
		e++;
	}
	/* 1/k for k = 1, 3, ... 23: multiplications, not 12 divisions */
	static const double inv[12] = { 1.0, 1.0 / 3, 1.0 / 5, 1.0 / 7, 1.0 / 9, 1.0 / 11, 1.0 / 13,
					1.0 / 15, 1.0 / 17, 1.0 / 19, 1.0 / 21, 1.0 / 23 };
	double t = (m - 1) / (m + 1), t2 = t * t, sum = 0, pw = t;
	for (int k = 0; k < 12; k++) {
		sum += pw * inv[k];
		pw *= t2;
	}
	return 2 * sum + e * 0.6931471805599453;
}

/* Bytes to the next point: exponential, mean G.heap_sample. */
static int64_t sample_draw(void)
{
	uint64_t x = tl_rng;
	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	tl_rng = x;
	double u = ((double)((x * 0x2545F4914F6CDD1Dull) >> 11) + 1.0) * 0x1p-53;   /* (0, 1] */
	double d = -rt_ln(u) * (double)G.heap_sample;
	if (d < 1)
		d = 1;
	if (d > 0x1p61)
		d = 0x1p61;
	return (int64_t)d;
}

static inline int64_t sample_bytes(size_t n)
{
	/* the reader weighs a block of 0 bytes as one of 1 */
	return n == 0 ? 1 : n > (1ull << 61) ? (int64_t)(1ull << 61) : (int64_t)n;
}

/* The allocation reached the point: seed the thread's generator on its
 * first allocation (and in a forked child, which would draw the parent's
 * distances), draw the next distance. The process id is G.pid, which the
 * fork handlers (rt_atfork_child, raw clones too) set in the child: a
 * getpid() here was a system call for every sampled allocation (5,562 of
 * them on a 3M-allocation storm, about 1 us each in this VM). */
static __attribute__((noinline)) int sample_slow(size_t n)
{
	pid_t pid = G.pid;
	if (!tl_rng || tl_rng_pid != pid) {
		int first = !tl_rng;
		uint64_t seed = scorch_rt_ns() ^ ((uint64_t)(uintptr_t)&tl_rng * 0x9E3779B97F4A7C15ull) ^
				((uint64_t)pid << 32);
		tl_rng = seed ? seed : 1;
		tl_rng_pid = pid;
		if (first) {
			tl_left = sample_draw() - sample_bytes(n);
			if (tl_left > 0)
				return 0;
		}
	}
	tl_left = sample_draw();
	return 1;
}

/* Whether an allocation of n bytes is recorded. A handler's allocation
 * between the load and the store may lose its subtraction: no matter. */
static inline int sample_hit(size_t n)
{
	/* sample_bytes(), but for sizes past 2^63: never sampled (their
	 * allocation fails) */
	int64_t left = tl_left - (int64_t)(n + (n == 0));
	tl_left = left;
	if (likely(left > 0))
		return 0;
	return sample_slow(n);
}

#define ST_BITS 18                    /* table slots: 2 MiB reserved, touched as used:
                                       * 128Ki sampled blocks live at most (64 GiB at 512 KiB) */
#define ST_CAP (1u << ST_BITS)
#define ST_TOMB ((uintptr_t)1)        /* a deleted slot */

static _Atomic(uintptr_t) *_Atomic st_tab;
static atomic_uint st_len;

static _Atomic(uintptr_t) *st_table(void)
{
	_Atomic(uintptr_t) *t = atomic_load_explicit(&st_tab, memory_order_acquire);
	if (likely(t != NULL))
		return t;
	void *m = mmap(NULL, ST_CAP * sizeof(uintptr_t), PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (m == MAP_FAILED)
		return NULL;
	if (!atomic_compare_exchange_strong(&st_tab, &t, (_Atomic(uintptr_t) *)m)) {
		munmap(m, ST_CAP * sizeof(uintptr_t));
		return t;
	}
	return (_Atomic(uintptr_t) *)m;
}

/* Remembers the sampled block p (live, so in the table at most once): 1,
 * or 0 when the table is half full or cannot be had. async-signal-safe */
static int st_add(const void *p)
{
	uintptr_t a = (uintptr_t)p;
	_Atomic(uintptr_t) *t = st_table();
	if (!t || atomic_load_explicit(&st_len, memory_order_relaxed) >= ST_CAP / 2)
		return 0;
	uint64_t h = st_hash(a);
	_Atomic uint8_t *f = &sf_cnt[h >> (64 - SF_BITS)];
	if (atomic_load_explicit(f, memory_order_relaxed) == SF_MAX)
		return 0;
	size_t i = (size_t)(h >> (64 - ST_BITS));
	for (size_t k = 0; k < ST_CAP; k++, i = (i + 1) & (ST_CAP - 1)) {
		uintptr_t cur = atomic_load_explicit(&t[i], memory_order_relaxed);
		while (cur == 0 || cur == ST_TOMB) {
			if (atomic_compare_exchange_weak(&t[i], &cur, a)) {
				atomic_fetch_add(&st_len, 1);
				atomic_fetch_add(f, 1);
				return 1;
			}
		}
	}
	return 0;
}

/* Forgets p: 1 when it was a sampled block. async-signal-safe */
static int st_del(const void *p)
{
	uintptr_t a = (uintptr_t)p;
	_Atomic(uintptr_t) *t = atomic_load_explicit(&st_tab, memory_order_acquire);
	if (!t || a <= ST_TOMB)
		return 0;
	uint64_t h = st_hash(a);
	size_t i = (size_t)(h >> (64 - ST_BITS));
	for (size_t k = 0; k < ST_CAP; k++, i = (i + 1) & (ST_CAP - 1)) {
		uintptr_t cur = atomic_load_explicit(&t[i], memory_order_relaxed);
		if (cur == 0)
			return 0;
		if (cur == a && atomic_compare_exchange_strong(&t[i], &cur, ST_TOMB)) {
			atomic_fetch_sub(&st_len, 1);
			atomic_fetch_sub(&sf_cnt[h >> (64 - SF_BITS)], 1);
			return 1;
		}
	}
	return 0;
}

/* ---- what the hooks do ---- */

/* Decided once the runtime has looked at its environment (hooks_decide):
 * HOOKS_IDLE, the exported functions jump to the next allocator and touch
 * nothing else; HOOKS_COUNT, calls are counted (scorch_heap_stats(), zones'
 * allocations); HOOKS_RECORD, counted and recorded (sampled when
 * G.heap_sample is set); HOOKS_SAMPLE, sampled and not counted: a hook
 * outside the runtime takes the short way (SAMPLE_FAST). */
enum { HOOKS_INIT = 0, HOOKS_IDLE, HOOKS_COUNT, HOOKS_RECORD, HOOKS_SAMPLE };
#define hooks_mode REAL.mode   /* beside the pointers (rt.h) */
static atomic_int stats_asked;   /* scorch_rt_heap_stats() was called */
/* HOOKS_RECORD counts too: the program can ask (see hooks_decide) */
static atomic_int rec_counts;

/* Counting is wanted when the runtime is not recording at all (a program
 * linked with -lscorch counts for scorch_heap_stats(), "only counted" in the
 * guide), when heap tracking is on, and when the program can ask for counts:
 * it includes scorch.h (zones count their allocations) or has called
 * scorch_heap_stats(). Otherwise (scorch record of a program that knows
 * nothing of scorch) the hooks cost nothing: counting with the shared
 * current-size atomic and malloc_usable_size was 6.5% of a Rust program's
 * CPU profile (issue 11). A program that first calls scorch_heap_stats()
 * under scorch record counts from that call on. The same holds with heap
 * tracking on: the recording needs no counts, and counting (two
 * malloc_usable_size calls and the shared atomics) was 6% of the program's
 * CPU on bench/heap-storm, and the shared current size a line bounced
 * between cores on every event of a program allocating on several threads. */
static int hooks_decide(void)
{
	int st = atomic_load(&G.state);
	if (st == RT_UNINIT) {
		scorch_rt_init();
		st = atomic_load(&G.state);
	}
	if (st != RT_OFF && !atomic_load(&G.ready))
		return HOOKS_COUNT;   /* initializing (here or on another thread): decide later */
	int m, count = st != RT_ACTIVE || atomic_load(&stats_asked) || scorch_rt_zone_counts_allocs();
	if (st == RT_ACTIVE && G.heap)
		m = G.heap_sample && !count ? HOOKS_SAMPLE : HOOKS_RECORD;
	else if (count)
		m = HOOKS_COUNT;
	else
		m = HOOKS_IDLE;
	if (count)
		atomic_store(&rec_counts, 1);
	atomic_store(&hooks_mode, m);
	return m;
}

RT_EXPORT int scorch_rt_heap_stats(struct scorch_heap_stats *s, int thread)
{
	if (!s)
		return SCORCH_EINVAL;
	if (!atomic_load(&stats_asked)) {
		atomic_store(&stats_asked, 1);
		atomic_store(&rec_counts, 1);
		int idle = HOOKS_IDLE, sample = HOOKS_SAMPLE;
		atomic_compare_exchange_strong(&hooks_mode, &idle, HOOKS_COUNT);
		atomic_compare_exchange_strong(&hooks_mode, &sample, HOOKS_RECORD);
	}
	if (thread) {
		*s = tl_stats;
	} else {
		memset(s, 0, sizeof(*s));
		for (struct rt_sblock *b = atomic_load(&sblocks); b; b = b->next) {
			s->allocations += atomic_load_explicit(&b->allocs, memory_order_relaxed);
			s->frees += atomic_load_explicit(&b->frees, memory_order_relaxed);
			s->total_bytes += atomic_load_explicit(&b->total, memory_order_relaxed);
		}
		s->current_bytes = atomic_load(&st_cur);
		s->peak_bytes = atomic_load(&st_peak);
	}
	s->recording = atomic_load(&G.state) == RT_ACTIVE;
	return 0;
}

/* ---- entering and leaving a hook ---- */

#define HOOK_PASS (-1)    /* the runtime's own call, or nothing wanted: not seen */
#define HOOK_COUNT (-2)   /* counted, not recorded */

/* Where a hook stands (see "Signals" in rt-core.c). Returns HOOK_PASS,
 * HOOK_COUNT, or a recording context: the guard to restore in bits 0-7, the
 * context's index on the thread's stack above them. `frame` is the hook's. */
static inline int hook_enter(uintptr_t frame)
{
	int g = scorch_rt_guard;
	if (g == 1)
		return HOOK_PASS;
	int mode = atomic_load_explicit(&hooks_mode, memory_order_relaxed);
	if (unlikely(mode == HOOKS_INIT))
		mode = hooks_decide();
	if (mode == HOOKS_IDLE)
		return HOOK_PASS;
	if (mode < HOOKS_RECORD || atomic_load_explicit(&G.state, memory_order_relaxed) != RT_ACTIVE)
		return HOOK_COUNT;
	struct rt_tls *t = &scorch_rt_tls;
	if (likely(!g && !t->nctx)) {
		t->ctx[0] = frame | 1;
		t->nctx = 1;
		scorch_rt_guard = RT_GUARD_HOOK;
		return 0;
	}
	/* a handler's call inside a hook, or the first call after a longjmp
	 * out of one */
	int saved = scorch_rt_ctx_enter(frame);
	return saved < 0 ? HOOK_PASS : saved | ((t->nctx - 1) << 8);
}

/* The context's event is in its buffer: if a longjmp leaves the hook now,
 * nothing was lost. */
static inline void hook_recorded(int h)
{
	scorch_rt_tls.ctx[h >> 8] &= ~(uintptr_t)1;
}

static inline void hook_leave(int h)
{
	if (h >= 0) {
		/* contexts above ours belong to handlers that jumped out of
		 * them to code that has now returned to us */
		scorch_rt_tls.nctx = h >> 8;
		scorch_rt_guard = h & 0xff;
	}
}

/* ---- recording ---- */

#define FRAME() ((uintptr_t)__builtin_frame_address(0))

static void rec_alloc(int func, size_t size, void *ptr)
{
	struct rt_buf *b = scorch_rt_self();
	if (unlikely(!b)) {
		scorch_rt_lost_event();
		return;
	}
	/* it returns with b locked, which this frame then holds */
	uintptr_t hold = scorch_rt_tls.hold;
	scorch_rt_tls.hold = FRAME();
	uint32_t stack = scorch_rt_stack_id(b, 0);
	scorch_rt_tls.hold = hold;
	uint64_t t = scorch_rt_now();
	uint8_t *p = scorch_rt_reserve(b, RAW_ALLOC_MAX);
	uint64_t a = (uint64_t)(uintptr_t)ptr;
	p = raw_put_alloc(p, &(struct raw_alloc){ (int64_t)(t - b->last_time), (uint8_t)func, stack, size,
						  (int64_t)(a - b->last_addr) });
	if (a)
		b->last_addr = a;
	scorch_rt_commit(b, p, t);
	scorch_rt_unlock(b);
}

/* The time stamp of a free, taken before the block is handed back: plain
 * rdtsc, about half the cost of scorch_rt_now()'s rdtscp here, which waits
 * for every instruction before it. rdtsc may be read before earlier
 * instructions are done, but never after a later store is seen by another
 * thread (stores become visible in order, after it retires), so the stamp
 * still precedes any reuse of the address; it may come out below an earlier
 * event's stamp on this thread, which rec_free() evens out. */
static inline uint64_t stamp_free(void)
{
#if defined(__x86_64__) || defined(__i386__)
	if (likely(G.tsc)) {
		/* a bound in the watermark slot first: the thread may be
		 * preempted before its record is committed (rt-core.c) */
		scorch_rt_wm_stamp();
		return __builtin_ia32_rdtsc();
	}
#endif
	return scorch_rt_now();
}

/* t from stamp_free() (unordered), or from scorch_rt_now() */
static void rec_free(int func, void *ptr, uint64_t t, int unordered)
{
	struct rt_buf *b = scorch_rt_self();
	if (unlikely(!b)) {
		scorch_rt_lost_event();
		return;
	}
	scorch_rt_lock(b);
	/* never before the buffer's last event (stamp_free): that event was
	 * recorded before this free hands the block back. Not for a realloc's
	 * stamp, whose block went back before this; nor against a new chunk's
	 * base, stamped below. */
	if (unordered && (int64_t)(t - b->last_time) < 0)
		t = b->last_time;
	uint8_t *p = scorch_rt_reserve(b, RAW_FREE_MAX);
	uint64_t a = (uint64_t)(uintptr_t)ptr;
	p = raw_put_free(p, &(struct raw_free){ (int64_t)(t - b->last_time), (uint8_t)func,
						(int64_t)(a - b->last_addr) });
	if (a)
		b->last_addr = a;
	scorch_rt_commit(b, p, t);
	scorch_rt_unlock(b);
}

/* ---- sampled recording: the hooks' short way (HOOKS_SAMPLE, outside the
 * runtime) when an event is to be recorded. `frame` is the hook's. ---- */

#define SAMPLE_FAST() (atomic_load_explicit(&hooks_mode, memory_order_relaxed) == HOOKS_SAMPLE && \
		       !scorch_rt_guard)

static __attribute__((noinline, cold)) void sampled_alloc(int func, size_t size, void *ptr, uintptr_t frame)
{
	int h = hook_enter(frame);
	if (h >= 0) {
		if (st_add(ptr))
			rec_alloc(func, size, ptr);
		else
			scorch_rt_lost_event();
		hook_recorded(h);
	}
	hook_leave(h);
}

/* Before the block p, which may have been sampled, is handed back. */
static __attribute__((noinline, cold)) void sampled_free(int func, void *ptr, uintptr_t frame)
{
	uint64_t t = stamp_free();
	if (!st_del(ptr))
		return;
	int h = hook_enter(frame);
	if (h >= 0) {
		rec_free(func, ptr, t, 1);
		hook_recorded(h);
	} else {
		scorch_rt_lost_event();
	}
	hook_leave(h);
}

/* A realloc whose old block was sampled (olds: taken out of the table
 * before the call, at t0) or whose new one is. */
static __attribute__((noinline, cold)) void sampled_realloc(int func, void *p, void *q, size_t size, int olds,
						       int news, uint64_t t0, uintptr_t frame)
{
	if (olds && !q && size)
		st_add(p);   /* failed: the old block lives on */
	int h = hook_enter(frame);
	if (h >= 0) {
		if (olds && q)
			rec_free(FN_REALLOC_MOVE, p, t0, 0);
		else if (olds && size == 0)
			rec_free(FN_REALLOC, p, t0, 0);
		if (news) {
			if (st_add(q))
				rec_alloc(func, size, q);
			else
				scorch_rt_lost_event();
		}
		hook_recorded(h);
	}
	hook_leave(h);
}

/* Whether a hook in context h counts its call (scorch_heap_stats(), zones):
 * one that only counts, or a recording one when the program can ask. */
static inline int counts(int h)
{
	return h < 0 || atomic_load_explicit(&rec_counts, memory_order_relaxed);
}

/* After a successful (or failed: ptr NULL) allocation by the next allocator. */
static void on_alloc(int h, int func, size_t size, void *ptr)
{
	if (ptr && counts(h))
		stats_alloc(size, usable(ptr));
	if (h >= 0) {
		if (!G.heap_sample || (ptr && sample_hit(size) && st_add(ptr)))
			rec_alloc(func, size, ptr);
		hook_recorded(h);
	}
}

/* Before the block is handed back: its usable size is still readable and the
 * time stamp precedes any reuse of the address by another thread. */
static void on_free(int h, int func, void *ptr)
{
	if (ptr && counts(h))
		stats_free(usable(ptr));
	if (h >= 0) {
		if (!G.heap_sample || (ptr && sampled_maybe(ptr) && st_del(ptr)))
			rec_free(func, ptr, stamp_free(), 1);
		hook_recorded(h);
	}
}

#define ENSURE_REAL() do { if (unlikely(!REAL.malloc)) scorch_rt_resolve(); } while (0)
/* Nothing to do but call the next allocator (the hot path when idle). */
#define IDLE() likely(atomic_load_explicit(&hooks_mode, memory_order_relaxed) == HOOKS_IDLE)

static __attribute__((noinline)) void *malloc_hook(size_t n)
{
	if (unlikely(!REAL.malloc)) {
		if (tl_resolving)
			return boot_alloc(n, 16);
		scorch_rt_resolve();
	}
	if (SAMPLE_FAST()) {
		void *p = REAL.malloc(n);
		if (unlikely(sample_hit(n)) && p)
			sampled_alloc(FN_MALLOC, n, p, FRAME());
		return p;
	}
	int h = hook_enter(FRAME());
	if (h == HOOK_PASS)
		return REAL.malloc(n);
	void *p = REAL.malloc(n);
	on_alloc(h, FN_MALLOC, n, p);
	hook_leave(h);
	return p;
}

/* Sampling (HOOKS_SAMPLE), the exported functions themselves take the short
 * way: a call that is not sampled costs the countdown (a free, the filter's
 * load). No guard is looked at: a call of the runtime's own, or of a signal
 * handler inside a hook, reaches hook_enter() in sampled_alloc() when it is
 * sampled, which passes it through or nests it; a free of a block that was
 * not sampled is not in the table. */
#define SAMPLING(m) likely((m) == HOOKS_SAMPLE)

/* The countdown reached the point (sample_hit() decides again: the same) */
static __attribute__((noinline, cold)) void *malloc_sampled(size_t n)
{
	void *p = REAL.malloc(n);
	if (sample_hit(n) && p)
		sampled_alloc(FN_MALLOC, n, p, FRAME());
	return p;
}

RT_EXPORT void *malloc(size_t n)
{
	int m = atomic_load_explicit(&hooks_mode, memory_order_relaxed);
	if (likely(m == HOOKS_IDLE))
		return REAL.malloc(n);
	if (SAMPLING(m)) {
		int64_t left = tl_left - (int64_t)(n + (n == 0));
		if (likely(left > 0)) {
			tl_left = left;
			return REAL.malloc(n);
		}
		return malloc_sampled(n);
	}
	return malloc_hook(n);
}

static __attribute__((noinline)) void *calloc_hook(size_t n, size_t m)
{
	if (unlikely(!REAL.malloc)) {
		if (tl_resolving) {
			size_t t;
			if (__builtin_mul_overflow(n, m, &t))
				return NULL;
			return boot_alloc(t, 16);   /* static memory is zeroed */
		}
		scorch_rt_resolve();
	}
	size_t t;
	if (__builtin_mul_overflow(n, m, &t))
		t = SIZE_MAX;
	if (SAMPLE_FAST()) {
		void *p = REAL.calloc(n, m);
		if (unlikely(sample_hit(t)) && p)
			sampled_alloc(FN_CALLOC, t, p, FRAME());
		return p;
	}
	int h = hook_enter(FRAME());
	if (h == HOOK_PASS)
		return REAL.calloc(n, m);
	void *p = REAL.calloc(n, m);
	on_alloc(h, FN_CALLOC, t, p);
	hook_leave(h);
	return p;
}

RT_EXPORT void *calloc(size_t n, size_t m)
{
	int mode = atomic_load_explicit(&hooks_mode, memory_order_relaxed);
	if (likely(mode == HOOKS_IDLE))
		return REAL.calloc(n, m);
	if (SAMPLING(mode)) {
		size_t t;
		if (__builtin_mul_overflow(n, m, &t))
			t = SIZE_MAX;
		int64_t left = tl_left - (int64_t)(t + (t == 0));
		if (likely(left > 0)) {
			tl_left = left;
			return REAL.calloc(n, m);
		}
	}
	return calloc_hook(n, m);
}

/* free, free_sized and free_aligned_sized: recorded like free, then handed
 * to the next allocator's own function, or to free where libc has none
 * (glibc before 2.39). */
static __attribute__((noinline)) void free_hook(int func, void *p, size_t align, size_t n)
{
	if (unlikely(is_boot(p)))
		return;
	ENSURE_REAL();
	int h = HOOK_PASS;
	if (SAMPLE_FAST()) {
		if (unlikely(sampled_maybe(p)) && p)
			sampled_free(func, p, FRAME());
	} else {
		h = hook_enter(FRAME());
		if (h != HOOK_PASS)
			on_free(h, func, p);
	}
	if (func == FN_FREE_SIZED && REAL.free_sized)
		REAL.free_sized(p, n);
	else if (func == FN_FREE_ALIGNED_SIZED && REAL.free_aligned_sized)
		REAL.free_aligned_sized(p, align, n);
	else
		REAL.free(p);
	hook_leave(h);
}

RT_EXPORT void free(void *p)
{
	int m = atomic_load_explicit(&hooks_mode, memory_order_relaxed);
	if (likely(m == HOOKS_IDLE) && likely(!is_boot(p)))
		return REAL.free(p);
	/* sampling: one load for any block that was neither sampled nor
	 * handed out by the bootstrap arena (the filter counts both) */
	if (SAMPLING(m) && likely(!sampled_maybe(p)))
		return REAL.free(p);
	free_hook(FN_FREE, p, 0, 0);
}

RT_EXPORT void free_sized(void *p, size_t n)
{
	free_hook(FN_FREE_SIZED, p, 0, n);
}

RT_EXPORT void free_aligned_sized(void *p, size_t align, size_t n)
{
	free_hook(FN_FREE_ALIGNED_SIZED, p, align, n);
}

/* glibc's reallocarray calls realloc through the PLT: inside a hook that
 * would be taken for a signal handler's call and counted twice. The same,
 * on the next realloc. */
static void *real_reallocarray(void *p, size_t n, size_t m)
{
	size_t t;
	if (__builtin_mul_overflow(n, m, &t)) {
		errno = ENOMEM;
		return NULL;
	}
	return REAL.realloc(p, t);
}

/* realloc and reallocarray: the old block ends (FN_REALLOC_MOVE, stamped
 * before the call) and a new one starts, whether or not it moved. A failed
 * call leaves the old block alive; realloc(p, 0) returning NULL freed p. */
static __attribute__((noinline)) void *realloc_hook(int func, void *p, size_t n, size_t m, int is_array)
{
	if (unlikely(is_boot(p))) {
		size_t t;
		if (__builtin_mul_overflow(n, m, &t)) {
			errno = ENOMEM;
			return NULL;
		}
		void *q = malloc(t);
		if (q) {
			size_t old = boot_size(p);
			memcpy(q, p, old < t ? old : t);
		}
		return q;
	}
	ENSURE_REAL();
	size_t size;
	if (!is_array)
		size = n;
	else if (__builtin_mul_overflow(n, m, &size))
		size = SIZE_MAX;
	if (SAMPLE_FAST()) {
		int olds = p && unlikely(sampled_maybe(p)) && st_del(p);
		uint64_t t0 = olds ? scorch_rt_now() : 0;
		void *q = is_array ? real_reallocarray(p, n, m) : REAL.realloc(p, n);
		int news = q && sample_hit(size);
		if (unlikely(olds || news))
			sampled_realloc(func, p, q, size, olds, news, t0, FRAME());
		return q;
	}
	int h = hook_enter(FRAME());
	if (h == HOOK_PASS)
		return is_array ? real_reallocarray(p, n, m) : REAL.realloc(p, n);
	int cnt = counts(h);
	size_t old_use = cnt ? usable(p) : 0;
	int rec = h >= 0;
	/* sampled: the old block is recorded when it was sampled, taken out
	 * of the table before the call can hand its address to another thread */
	int rec_old = rec && p && (!G.heap_sample || (sampled_maybe(p) && st_del(p)));
	uint64_t t0 = p ? scorch_rt_now() : 0;
	void *q = is_array ? real_reallocarray(p, n, m) : REAL.realloc(p, n);
	if (q) {
		if (p) {
			if (cnt)
				stats_free(old_use);
			if (rec_old)
				rec_free(FN_REALLOC_MOVE, p, t0, 0);
		}
		if (cnt)
			stats_alloc(size, usable(q));
		if (rec && (!G.heap_sample || (sample_hit(size) && st_add(q))))
			rec_alloc(func, size, q);
	} else if (p && size == 0) {
		if (cnt)
			stats_free(old_use);
		if (rec_old)
			rec_free(FN_REALLOC, p, t0, 0);
	} else if (rec_old && G.heap_sample) {
		st_add(p);   /* failed: the old block lives on */
	} else if (rec && !G.heap_sample) {
		rec_alloc(func, size, NULL);
	}
	if (rec)
		hook_recorded(h);
	hook_leave(h);
	return q;
}

RT_EXPORT void *realloc(void *p, size_t n)
{
	int m = atomic_load_explicit(&hooks_mode, memory_order_relaxed);
	if (likely(m == HOOKS_IDLE) && likely(!is_boot(p)))
		return REAL.realloc(p, n);
	if (SAMPLING(m) && likely(!sampled_maybe(p))) {   /* not sampled, not the arena's */
		int64_t left = tl_left - (int64_t)(n + (n == 0));
		if (likely(left > 0)) {
			tl_left = left;
			return REAL.realloc(p, n);
		}
	}
	return realloc_hook(FN_REALLOC, p, n, 1, 0);
}

RT_EXPORT void *reallocarray(void *p, size_t n, size_t m)
{
	if (IDLE() && likely(!is_boot(p)))
		return REAL.reallocarray(p, n, m);
	return realloc_hook(FN_REALLOCARRAY, p, n, m, 1);
}

static __attribute__((noinline)) int posix_memalign_hook(void **out, size_t align, size_t n)
{
	if (unlikely(!REAL.malloc)) {
		if (tl_resolving) {
			void *p = boot_alloc(n, align);
			if (!p)
				return ENOMEM;
			*out = p;
			return 0;
		}
		scorch_rt_resolve();
	}
	if (SAMPLE_FAST()) {
		int r = REAL.posix_memalign(out, align, n);
		if (unlikely(sample_hit(n)) && r == 0)
			sampled_alloc(FN_POSIX_MEMALIGN, n, *out, FRAME());
		return r;
	}
	int h = hook_enter(FRAME());
	if (h == HOOK_PASS)
		return REAL.posix_memalign(out, align, n);
	int r = REAL.posix_memalign(out, align, n);
	on_alloc(h, FN_POSIX_MEMALIGN, n, r == 0 ? *out : NULL);
	hook_leave(h);
	return r;
}

RT_EXPORT int posix_memalign(void **out, size_t align, size_t n)
{
	if (IDLE())
		return REAL.posix_memalign(out, align, n);
	return posix_memalign_hook(out, align, n);
}

#define ALIGNED_HOOK(name, FN, params, call, size)                    \
	static __attribute__((noinline)) void *name##_hook params     \
	{                                                             \
		if (unlikely(!REAL.malloc)) {                         \
			if (tl_resolving)                             \
				return boot_alloc(size, 4096);        \
			scorch_rt_resolve();                          \
		}                                                     \
		if (!REAL.name) {                                     \
			errno = ENOMEM;                               \
			return NULL;                                  \
		}                                                     \
		if (SAMPLE_FAST()) {                                  \
			void *p = REAL.name call;                     \
			if (unlikely(sample_hit(size)) && p)          \
				sampled_alloc(FN, size, p, FRAME());  \
			return p;                                     \
		}                                                     \
		int h = hook_enter(FRAME());                          \
		if (h == HOOK_PASS)                                   \
			return REAL.name call;                        \
		void *p = REAL.name call;                             \
		on_alloc(h, FN, size, p);                             \
		hook_leave(h);                                        \
		return p;                                             \
	}                                                             \
	RT_EXPORT void *name params                                   \
	{                                                             \
		if (IDLE() && likely(REAL.name != NULL))              \
			return REAL.name call;                        \
		return name##_hook call;                              \
	}

ALIGNED_HOOK(aligned_alloc, FN_ALIGNED_ALLOC, (size_t align, size_t n), (align, n), n)
ALIGNED_HOOK(memalign, FN_MEMALIGN, (size_t align, size_t n), (align, n), n)
ALIGNED_HOOK(valloc, FN_VALLOC, (size_t n), (n), n)
ALIGNED_HOOK(pvalloc, FN_PVALLOC, (size_t n), (n), n)
