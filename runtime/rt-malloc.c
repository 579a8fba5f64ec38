/* The interposed malloc family. Each hook calls the next allocator, then (on
 * the calling thread, with the recursion guard up) counts the call for
 * scorch_heap_stats() and, when recording, appends an ALLOC or FREE record
 * with the caller's stack id. Allocations made while dlsym resolves the real
 * functions come from a static bootstrap arena and are never freed. */
#include "rt.h"

#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <sys/mman.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include "../format/raw.h"
#include "../format/varint.h"
#include "../include/scorch.h"

RT_HIDDEN struct rt_real scorch_rt_real;

/* ---- bootstrap ---- */

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
static __thread struct scorch_heap_stats tl_stats __attribute__((tls_model("initial-exec")));
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

static struct rt_sblock *sblock_acquire(void)
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

#define BUMP(field, v) atomic_store_explicit(&(field), \
	atomic_load_explicit(&(field), memory_order_relaxed) + (v), memory_order_relaxed)

static inline size_t usable(void *p)
{
	return p && REAL.malloc_usable_size ? REAL.malloc_usable_size(p) : 0;
}

static inline void stats_alloc(size_t req, size_t use)
{
	struct rt_sblock *b = tl_sb;
	if (likely(b || (b = sblock_acquire()))) {
		BUMP(b->allocs, 1);
		BUMP(b->total, req);
	}
	long cur = atomic_fetch_add_explicit(&st_cur, (long)use, memory_order_relaxed) + (long)use;
	long peak = atomic_load_explicit(&st_peak, memory_order_relaxed);
	while (cur > peak && !atomic_compare_exchange_weak_explicit(&st_peak, &peak, cur,
								     memory_order_relaxed, memory_order_relaxed))
		;
	tl_stats.allocations++;
	tl_stats.total_bytes += req;
	tl_stats.current_bytes += (int64_t)use;
	if (tl_stats.current_bytes > tl_stats.peak_bytes)
		tl_stats.peak_bytes = tl_stats.current_bytes;
}

static inline void stats_free(size_t use)
{
	struct rt_sblock *b = tl_sb;
	if (likely(b || (b = sblock_acquire())))
		BUMP(b->frees, 1);
	atomic_fetch_sub_explicit(&st_cur, (long)use, memory_order_relaxed);
	tl_stats.frees++;
	tl_stats.current_bytes -= (int64_t)use;
}

RT_EXPORT int scorch_rt_heap_stats(struct scorch_heap_stats *s, int thread)
{
	if (!s)
		return SCORCH_EINVAL;
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

/* Zones (rt-zone.c) attribute to a zone what its thread allocated between
 * its begin and its end. */
void scorch_rt_thread_allocs(uint64_t *count, uint64_t *bytes)
{
	*count = tl_stats.allocations;
	*bytes = tl_stats.total_bytes;
}

/* ---- recording ---- */

static inline int recording(void)
{
	int st = atomic_load_explicit(&G.state, memory_order_relaxed);
	if (likely(st == RT_ACTIVE))
		return G.heap;
	if (st == RT_UNINIT) {
		scorch_rt_init();
		return atomic_load(&G.state) == RT_ACTIVE && G.heap;
	}
	return 0;
}

static void rec_alloc(int func, size_t size, void *ptr)
{
	struct rt_buf *b = scorch_rt_self();
	if (unlikely(!b))
		return;
	uint32_t stack = scorch_rt_stack_id(b, 0);   /* returns with b locked */
	uint64_t t = scorch_rt_now();
	uint8_t *p = scorch_rt_reserve(b, 1 + 5 * VARINT_MAX);
	uint64_t a = (uint64_t)(uintptr_t)ptr;
	*p++ = RAW_ALLOC;
	p = fmt_put_s(p, (int64_t)(t - b->last_time));
	*p++ = (uint8_t)func;
	p = fmt_put_u(p, stack);
	p = fmt_put_u(p, size);
	p = fmt_put_s(p, (int64_t)(a - b->last_addr));
	if (a)
		b->last_addr = a;
	scorch_rt_commit(b, p, t);
	scorch_rt_unlock(b);
}

static void rec_free(int func, void *ptr, uint64_t t)
{
	struct rt_buf *b = scorch_rt_self();
	if (unlikely(!b))
		return;
	scorch_rt_lock(b);
	uint8_t *p = scorch_rt_reserve(b, 1 + 3 * VARINT_MAX);
	uint64_t a = (uint64_t)(uintptr_t)ptr;
	*p++ = RAW_FREE;
	p = fmt_put_s(p, (int64_t)(t - b->last_time));
	*p++ = (uint8_t)func;
	p = fmt_put_s(p, (int64_t)(a - b->last_addr));
	if (a)
		b->last_addr = a;
	scorch_rt_commit(b, p, t);
	scorch_rt_unlock(b);
}

/* After a successful (or failed: ptr NULL) allocation by the next allocator. */
static void on_alloc(int func, size_t size, void *ptr)
{
	if (ptr)
		stats_alloc(size, usable(ptr));
	if (recording())
		rec_alloc(func, size, ptr);
}

/* Before the block is handed back: its usable size is still readable and the
 * time stamp precedes any reuse of the address by another thread. */
static void on_free(int func, void *ptr)
{
	if (ptr)
		stats_free(usable(ptr));
	if (recording())
		rec_free(func, ptr, scorch_rt_now());
}

#define ENSURE_REAL() do { if (unlikely(!REAL.malloc)) scorch_rt_resolve(); } while (0)

RT_EXPORT void *malloc(size_t n)
{
	if (unlikely(!REAL.malloc)) {
		if (tl_resolving)
			return boot_alloc(n, 16);
		scorch_rt_resolve();
	}
	if (scorch_rt_guard)
		return REAL.malloc(n);
	scorch_rt_guard = 1;
	void *p = REAL.malloc(n);
	on_alloc(FN_MALLOC, n, p);
	scorch_rt_guard = 0;
	return p;
}

RT_EXPORT void *calloc(size_t n, size_t m)
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
	if (scorch_rt_guard)
		return REAL.calloc(n, m);
	scorch_rt_guard = 1;
	void *p = REAL.calloc(n, m);
	size_t t;
	if (__builtin_mul_overflow(n, m, &t))
		t = SIZE_MAX;
	on_alloc(FN_CALLOC, t, p);
	scorch_rt_guard = 0;
	return p;
}

RT_EXPORT void free(void *p)
{
	if (unlikely(is_boot(p)))
		return;
	ENSURE_REAL();
	if (scorch_rt_guard) {
		REAL.free(p);
		return;
	}
	scorch_rt_guard = 1;
	on_free(FN_FREE, p);
	REAL.free(p);
	scorch_rt_guard = 0;
}

/* free_sized and free_aligned_sized: recorded like free, then handed to the
 * next allocator's own function, or to free where libc has none (glibc
 * before 2.39). */
static inline int sized_free_begin(int func, void *p)
{
	int g = scorch_rt_guard;
	if (!g) {
		scorch_rt_guard = 1;
		on_free(func, p);
	}
	return g;
}

RT_EXPORT void free_sized(void *p, size_t n)
{
	if (unlikely(is_boot(p)))
		return;
	ENSURE_REAL();
	int g = sized_free_begin(FN_FREE_SIZED, p);
	if (REAL.free_sized)
		REAL.free_sized(p, n);
	else
		REAL.free(p);
	scorch_rt_guard = g;
}

RT_EXPORT void free_aligned_sized(void *p, size_t align, size_t n)
{
	if (unlikely(is_boot(p)))
		return;
	ENSURE_REAL();
	int g = sized_free_begin(FN_FREE_ALIGNED_SIZED, p);
	if (REAL.free_aligned_sized)
		REAL.free_aligned_sized(p, align, n);
	else
		REAL.free(p);
	scorch_rt_guard = g;
}

/* realloc and reallocarray: the old block ends (FN_REALLOC_MOVE, stamped
 * before the call) and a new one starts, whether or not it moved. A failed
 * call leaves the old block alive; realloc(p, 0) returning NULL freed p. */
static void *realloc_common(int func, void *p, size_t n, size_t m, int is_array)
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
	if (scorch_rt_guard)
		return is_array ? REAL.reallocarray(p, n, m) : REAL.realloc(p, n);
	scorch_rt_guard = 1;
	size_t old_use = usable(p);
	uint64_t t0 = p ? scorch_rt_now() : 0;
	void *q = is_array ? REAL.reallocarray(p, n, m) : REAL.realloc(p, n);
	size_t size;
	if (!is_array)
		size = n;
	else if (__builtin_mul_overflow(n, m, &size))
		size = SIZE_MAX;
	int rec = recording();
	if (q) {
		if (p) {
			stats_free(old_use);
			if (rec)
				rec_free(FN_REALLOC_MOVE, p, t0);
		}
		stats_alloc(size, usable(q));
		if (rec)
			rec_alloc(func, size, q);
	} else if (p && size == 0) {
		stats_free(old_use);
		if (rec)
			rec_free(FN_REALLOC, p, t0);
	} else if (rec) {
		rec_alloc(func, size, NULL);
	}
	scorch_rt_guard = 0;
	return q;
}

RT_EXPORT void *realloc(void *p, size_t n) { return realloc_common(FN_REALLOC, p, n, 1, 0); }

RT_EXPORT void *reallocarray(void *p, size_t n, size_t m)
{
	return realloc_common(FN_REALLOCARRAY, p, n, m, 1);
}

RT_EXPORT int posix_memalign(void **out, size_t align, size_t n)
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
	if (scorch_rt_guard)
		return REAL.posix_memalign(out, align, n);
	scorch_rt_guard = 1;
	int r = REAL.posix_memalign(out, align, n);
	on_alloc(FN_POSIX_MEMALIGN, n, r == 0 ? *out : NULL);
	scorch_rt_guard = 0;
	return r;
}

#define ALIGNED_HOOK(name, FN, params, call, size)                    \
	RT_EXPORT void *name params                                   \
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
		if (scorch_rt_guard)                                  \
			return REAL.name call;                        \
		scorch_rt_guard = 1;                                  \
		void *p = REAL.name call;                             \
		on_alloc(FN, size, p);                                \
		scorch_rt_guard = 0;                                  \
		return p;                                             \
	}

ALIGNED_HOOK(aligned_alloc, FN_ALIGNED_ALLOC, (size_t align, size_t n), (align, n), n)
ALIGNED_HOOK(memalign, FN_MEMALIGN, (size_t align, size_t n), (align, n), n)
ALIGNED_HOOK(valloc, FN_VALLOC, (size_t n), (n), n)
ALIGNED_HOOK(pvalloc, FN_PVALLOC, (size_t n), (n), n)
