/* Internal interface of libscorch.so, the runtime preloaded into the target.
 * Nothing here may allocate through the interposed allocator, take a lock a
 * signal handler could also want, or use stdio: buffers and tables are
 * mmap'd, output goes through write(2). Non-static names are scorch_rt_*. */
#ifndef SCORCH_RUNTIME_RT_H
#define SCORCH_RUNTIME_RT_H

#include <signal.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* include/scorch.h declares the runtime's zone entry points for us */
#define SCORCH__IN_RUNTIME 1

#define RT_HIDDEN __attribute__((visibility("hidden")))
#define RT_EXPORT __attribute__((visibility("default")))
#define likely(x) __builtin_expect(!!(x), 1)
#define unlikely(x) __builtin_expect(!!(x), 0)

enum rt_state {
	RT_UNINIT = 0,   /* not looked at the environment yet */
	RT_INITING,      /* one thread is initializing; others pass through */
	RT_ACTIVE,       /* recording */
	RT_OFF,          /* not under scorch, or disabled after a failure */
};

#define RT_BUF_SIZE (64 * 1024)      /* one chunk: header + payload */
#define RT_ALT_SIZE (256 * 1024)     /* a thread's alternate signal stack, see rt_alt_on */
#define RT_REC_MAX 2048              /* reserve for any record but a module/proc one */
#define RT_MAX_DEPTH 1024

/* A thread's event buffer. Only its owner appends (holding `lock`, which is
 * otherwise taken by whoever flushes it at exit, exec or crash). `len` only
 * grows by whole records, so data[0..RAW_CHUNK_HDR+len) is always valid.
 * A thread may have several: one per level of signal handlers that nest in
 * the runtime's own code (see "Signals" in rt-core.c). */
struct rt_buf {
	struct rt_buf *next;            /* registry, never unlinked */
	atomic_uint lock;               /* 0, or the tid of the thread holding it */
	atomic_int in_use;              /* owned by a live thread */
	uint32_t tid;
	uint32_t len;                   /* payload bytes */
	uintptr_t lock_sp;              /* the holder's frame, to tell a holder a longjmp left */
	int flush_asap;                 /* flush at unlock: a final flush found it held */
	/* its slot in the watermark page (format/raw.h): the time of the first
	 * record committed since the last flush, 0 none; NULL until its first
	 * record (wm_none: the page had no slot left, or there is no page) */
	_Atomic uint64_t *wm;
	int wm_none;
	int wm_wait;                    /* flushed far ahead of the launcher: wait at unlock */
	uint64_t base_time, last_time, last_addr;
	/* stack dedup: hash -> id, open addressing, mmap'd */
	uint64_t *dd_keys;
	uint32_t *dd_ids;
	uint32_t dd_cap, dd_len;
	struct rt_sc *sc;               /* the owner's cache of whole stacks (rt-stack.c), mmap'd */
	void *alt;                      /* alternate signal stack of RT_ALT_SIZE for its owner thread, mmap'd (rt-core.c, rt_alt_on) */
	uint8_t data[RT_BUF_SIZE];      /* chunk header then payload */
};

/* The pointers to the allocator we interpose (the next one in lookup order). */
struct rt_real {
	/* rt-malloc.c's hooks_mode: in the cache line of the pointers the
	 * hooks jump through (scorch_rt_real is 64-byte aligned) */
	atomic_int mode;
	void *(*malloc)(size_t);
	void (*free)(void *);
	void *(*calloc)(size_t, size_t);
	void *(*realloc)(void *, size_t);
	void *(*reallocarray)(void *, size_t, size_t);
	int (*posix_memalign)(void **, size_t, size_t);
	void *(*aligned_alloc)(size_t, size_t);
	void *(*memalign)(size_t, size_t);
	void *(*valloc)(size_t);
	void *(*pvalloc)(size_t);
	void (*free_sized)(void *, size_t);
	void (*free_aligned_sized)(void *, size_t, size_t);
	size_t (*malloc_usable_size)(void *);
};

struct rt_globals {
	atomic_int state;
	int fd;
	int fd_low;                     /* no descriptor above the program's limit: the
					 * stream is opened for each write (rt_stream_write) */
	int follow;
	int heap;
	uint64_t heap_sample;            /* scorch heap --sample: mean bytes between samples, 0 exact */
	int cpu;                        /* sampling CPU time */
	int wall;                       /* and timing blocking calls (off-CPU) */
	long hz;
	int depth;
	int sync_flush;                 /* after the final flush: flush every record */
	int tsc;                        /* record times are TSC ticks */
	uint64_t tick_fs;               /* femtoseconds per tick, from the launcher */
	pid_t pid;
	int have_exit_status, exit_status;
	dev_t file_dev;
	ino_t file_ino;
	char dir[4096];                 /* PATH_MAX: 1024 cut a deep working directory's, and nothing was recorded */
	char path[4096 + 80];
	/* dir held open (O_PATH), its identity: streams are created and
	 * reopened through it, so a program that chroots still gets its
	 * children recorded (scorch_rt_open_in_dir) */
	int dirfd, have_dirfd;
	dev_t dir_dev;
	ino_t dir_ino;
	char exe[4096];                 /* /proc/self/exe: PATH_MAX (1024 cut a program deep in a tree, its symbols lost) */
	struct rt_buf *_Atomic bufs;
	atomic_uint next_stack_id;
	atomic_ulong lost_chunks, lost_bytes;
	atomic_ulong lost_reported_chunks, lost_reported_bytes;
	atomic_ulong lost_events, lost_reported_events;   /* events never recorded (RAW_LOST_EVENTS) */
	volatile int dying;             /* a fatal signal's default action follows the final flush */
	atomic_int ready;               /* scorch_rt_init() has finished turning recording on */
	uintptr_t self_lo, self_hi;     /* libscorch.so, skipped at the top of stacks */
	uintptr_t unw_lo, unw_hi;       /* libunwind, likewise */
	uint8_t *wm;                    /* the watermark page (format/raw.h), NULL: none */
	uint64_t wm_age;                /* RAW_WM_AGE_MS in ticks */
	_Atomic uint64_t wm_scan_next;  /* ticks: when a flush looks at other threads' buffers next */
};

extern RT_HIDDEN struct rt_globals scorch_rt_g;
extern RT_HIDDEN struct rt_real scorch_rt_real;
/* volatile: glibc marks functions such as dlsym __leaf__ (no calls back into
 * this unit), yet they call malloc; without it the guard stores get dropped. */
extern RT_HIDDEN __thread volatile int scorch_rt_guard;   /* in a hook: nested calls pass through */
/* scorch_rt_guard values: 1, the runtime's own code runs (a malloc hook
 * passes through); RT_GUARD_HOOK, a malloc hook runs, so a malloc hook
 * entered now comes from a signal handler that interrupted it (or left it
 * by longjmp) and records its event (rt-core.c, "Signals"). Other code
 * takes any non-zero value for "inside the runtime". */
#define RT_GUARD_HOOK 2

/* Runtime contexts that nest on a thread (a signal handler's allocation
 * inside a malloc hook): each hook pushes the frame it runs in, with bit 0
 * set while its event is not recorded yet. */
#define RT_NEST 8
struct rt_tls {
	uint32_t tid;                   /* gettid(), 0 until known */
	int nctx;                       /* contexts on the stack, live or left */
	uintptr_t hold;                 /* a lock taken now is held up to this frame (0: the taker's) */
	uintptr_t ctx[RT_NEST];
	struct rt_buf *lv[RT_NEST];     /* buffer per nesting level; lv[0] the thread's */
	int exiting;                    /* past its exit flush: each record is flushed as made */
};
extern RT_HIDDEN __thread struct rt_tls scorch_rt_tls;
#define G scorch_rt_g
#define REAL scorch_rt_real

/* rt-core.c */
RT_HIDDEN void scorch_rt_init(void);
/* copies the launcher's variables, which execs and spawns put back (rt-lifecycle.c) */
RT_HIDDEN void scorch_rt_env_snapshot(void);
/* The time stamp of records: TSC ticks when the launcher found the TSC
 * stable and calibrated it, CLOCK_MONOTONIC ns otherwise. async-signal-safe */
RT_HIDDEN uint64_t scorch_rt_now(void);
/* Before a hook's time stamp taken without scorch_rt_now() (a free's
 * rdtsc): a time no later than it goes to the thread's watermark slot
 * until its record is committed. */
void scorch_rt_wm_stamp(void);
RT_HIDDEN uint64_t scorch_rt_ns(void);   /* CLOCK_MONOTONIC ns */
RT_HIDDEN uint64_t scorch_rt_process_cpu_ns(void);   /* CLOCK_PROCESS_CPUTIME_ID ns; async-signal-safe */
/* This thread's buffer for the running context: the thread's own, or, in a
 * signal handler that interrupted the runtime while it held that one, a
 * buffer of the handler's nesting level. NULL if none can be had (the
 * caller counts its event lost). async-signal-safe */
RT_HIDDEN struct rt_buf *scorch_rt_self(void);
/* Locks a buffer that scorch_rt_self() gave this context (a holder on this
 * thread is then one that a longjmp left: its lock is taken over), or any
 * buffer from outside a signal handler. async-signal-safe */
RT_HIDDEN void scorch_rt_lock(struct rt_buf *b);
/* Takes b's lock if it is free: 1, else 0. async-signal-safe */
RT_HIDDEN int scorch_rt_trylock(struct rt_buf *b);
/* A malloc hook's context (rt-core.c, "Signals"): the slow path of entering
 * one, when the thread is already in the runtime. Returns the guard value to
 * restore on leaving, or -1: pass through (the event is counted lost when it
 * cannot be recorded). */
RT_HIDDEN int scorch_rt_ctx_enter(uintptr_t frame);
/* An event that cannot be recorded: counted, and the count is written to
 * the stream (RAW_LOST_EVENTS). async-signal-safe */
RT_HIDDEN void scorch_rt_lost_event(void);
/* Blocks every signal on this thread around a short slow path that must
 * not be interrupted or left by a handler's longjmp (a flush, a module
 * scan, a new buffer). async-signal-safe */
RT_HIDDEN void scorch_rt_sigblock(sigset_t *old);
RT_HIDDEN void scorch_rt_sigrestore(const sigset_t *old);
/* set while scorch_rt_sigrestore unblocks: a signal handled then was sent
 * during the runtime's own blocked section */
extern RT_HIDDEN __thread volatile int scorch_rt_unblocking;
RT_HIDDEN void scorch_rt_unlock(struct rt_buf *b);
/* Make room for `need` payload bytes, flushing if needed (lock held). */
RT_HIDDEN uint8_t *scorch_rt_reserve(struct rt_buf *b, size_t need);
RT_HIDDEN void scorch_rt_commit(struct rt_buf *b, uint8_t *end, uint64_t t);
RT_HIDDEN int scorch_rt_write_chunk(const uint8_t *h, size_t n);
RT_HIDDEN void scorch_rt_flush(struct rt_buf *b);    /* lock held */
/* Flush every buffer; `self_unlocked`: the caller may hold its own lock. */
RT_HIDDEN void scorch_rt_flush_all(int from_signal);
RT_HIDDEN void scorch_rt_final(int kind, int value);  /* EXIT + END + flush all */
RT_HIDDEN int scorch_rt_on_own_alt(void);  /* running on rt_alt_on's stack (rt-core.c) */
RT_HIDDEN void scorch_rt_write_err(const char *msg);
RT_HIDDEN void scorch_rt_disable(const char *why);

/* A buffer of its own for a thread's samples (rt-sample.c), and back. */
RT_HIDDEN struct rt_buf *scorch_rt_buf_new(void);
RT_HIDDEN void scorch_rt_buf_release(struct rt_buf *b);

/* rt-sample.c */
/* 0: sampling; -1: refused here; 1: left off on purpose (a traced process) */
RT_HIDDEN int scorch_rt_sample_init(void);
RT_HIDDEN void scorch_rt_sample_thread_start(void);
RT_HIDDEN void scorch_rt_sample_thread_stop(void);
RT_HIDDEN void scorch_rt_sample_fork_child(void);
/* Stops this thread's counter before an exec (0), restarts it after one
 * that failed (1). */
RT_HIDDEN void scorch_rt_sample_exec(int failed);
/* A SIGTRAP that is one of our counters' samples: handled, returns 1;
 * anything else returns 0. async-signal-safe */
RT_HIDDEN int scorch_rt_sample_trap(siginfo_t *si, void *uctx);
/* rt-lifecycle.c: keep our handler for sig (a fatal one) even when the
 * program ignores it; 0 when it is installed. */
RT_HIDDEN int scorch_rt_signal_pin(int sig);
/* rt-lifecycle.c: notes (RAW_NOTE) that the program's malloc family is
 * not ours (it defines its own): called once at init with heap tracking on */
RT_HIDDEN void scorch_rt_alloc_check(void);
/* Descriptors of the runtime's own (the sampling counters) that the
 * program's close, close_range and closefrom leave open: a program that
 * closes every descriptor at start (daemons, closefrom(3)) stopped being
 * sampled. own = 1 marks fd, 0 clears it (before the runtime closes it).
 * async-signal-safe */
RT_HIDDEN void scorch_rt_fd_own(int fd, int own);
RT_HIDDEN int scorch_rt_open_in_dir(const char *path, int flags, mode_t mode);  /* rt-core.c */
/* fd moved to a descriptor >= RT_FD_HIGH, clear of the low ones programs
 * dup2 onto and of their RLIMIT_NOFILE budget (the soft limit raised for
 * the move when only it is lower, then restored); fd itself when that
 * cannot be done. */
#define RT_FD_HIGH 900
RT_HIDDEN int scorch_rt_fd_high(int fd);
RT_HIDDEN void scorch_rt_raw_fork_child(void);
/* A blocking call made by the program, libc's fn, took from t0 to t1 (ticks). */
RT_HIDDEN void scorch_rt_offcpu(uint64_t t0, uint64_t t1, void *fn);
extern RT_HIDDEN uint64_t scorch_rt_offcpu_min;  /* ticks: shorter calls are not recorded */

/* Removes the runtime's own frames (the thread trampoline, hooks) from a
 * stack, wherever they are; returns the new length. async-signal-safe */
static inline int scorch_rt_is_self(const void *ip)
{
	return (uintptr_t)ip >= G.self_lo && (uintptr_t)ip < G.self_hi;
}

static inline int scorch_rt_drop_self(void **ips, int n)
{
	int w = 0;
	for (int i = 0; i < n; i++)
		if (!scorch_rt_is_self(ips[i]))
			ips[w++] = ips[i];
	return w;
}

/* rt-stack.c */
RT_HIDDEN uint64_t scorch_rt_stack_hash(void *const *ips, int n);
RT_HIDDEN int scorch_rt_dedup_grow(struct rt_buf *b);
RT_HIDDEN uint32_t scorch_rt_stack_add(struct rt_buf *b, uint64_t h, void *const *ips, int n, unsigned flags);
RT_HIDDEN uint32_t scorch_rt_stack_id(struct rt_buf *b, int skip_pc_exact);
RT_HIDDEN void scorch_rt_modules_scan(struct rt_buf *b);
RT_HIDDEN void scorch_rt_modules_reset(void);
RT_HIDDEN void scorch_rt_dedup_clear(struct rt_buf *b);
RT_HIDDEN void scorch_rt_find_self(void);
/* Set by the sample handler while it unwinds: libunwind's module lookups
 * that cannot be answered without a lock are then refused, and say so in
 * scorch_rt_unw_refused. */
extern RT_HIDDEN __thread int scorch_rt_sampling;
extern RT_HIDDEN __thread int scorch_rt_unw_refused;
/* libunwind's module lookups are answered lock-free (see rt-stack.c) */
extern RT_HIDDEN int scorch_rt_unw_lockfree;
/* Set while the runtime itself is inside libunwind on this thread (outside
 * the sample handler): a sample then must not use libunwind's per-thread
 * trace cache, which the interrupted call may be rebuilding. */
extern RT_HIDDEN __thread volatile int scorch_rt_unwinding;

/* rt-malloc.c */
RT_HIDDEN void scorch_rt_resolve(void);
/* dlsym(RTLD_NEXT, name) with the recursion guard up: dlsym allocates and
 * frees, and none of that is the program's doing. */
RT_HIDDEN void *scorch_rt_next(const char *name);

/* rt-signals.c */
RT_HIDDEN void scorch_rt_signals_install(void);

/* rt-zone.c: zones (include/scorch.h) and instrumented calls (--calls) */
RT_HIDDEN void scorch_rt_zone_init(void);            /* end of scorch_rt_init */
RT_HIDDEN void scorch_rt_zone_thread_exit(void);     /* a recorded thread ends */
RT_HIDDEN void scorch_rt_zone_final(struct rt_buf *b, int from_signal);  /* final flush */
RT_HIDDEN void scorch_rt_zone_fork_child(void);      /* end of the atfork child handler */
RT_HIDDEN void scorch_rt_zone_lost(void);            /* a chunk was lost: names go out again */
RT_HIDDEN int scorch_rt_zone_counts_allocs(void);   /* the program may ask for allocation counts */
/* rt-malloc.c: the calling thread's counts (allocations and requested bytes
 * so far: zones attribute to a zone what its thread allocated in it) */
struct scorch_heap_stats;
RT_HIDDEN extern __thread struct scorch_heap_stats scorch_rt_tl_stats __attribute__((tls_model("initial-exec")));

/* small helpers (rt-core.c) */
/* The runtime's own system calls (syscall()'s arguments and result, errno
 * set on failure), straight to the kernel on x86-64: syscall() itself is
 * interposed for the program (rt-lifecycle.c), and the runtime's waits
 * showed that interposer's frame in profiles. async-signal-safe */
RT_HIDDEN long scorch_rt_sys(long n, ...);
RT_HIDDEN size_t scorch_rt_strlcpy(char *dst, const char *src, size_t n);
RT_HIDDEN char *scorch_rt_utoa(char *p, uint64_t v);

#endif
