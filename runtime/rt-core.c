/* The runtime's core: lazy initialization from the launcher's environment,
 * per-thread chunk buffers, flushing to the raw stream, thread exit, fork and
 * the final flush, and how all of it survives the program's signal handlers
 * (see "Signals" below). Everything here is reachable from malloc hooks, so
 * it uses only mmap, write and atomics. */
#include "rt.h"

#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "../format/raw.h"
#include "../format/rawrec.h"
#include "../format/varint.h"

RT_HIDDEN struct rt_globals scorch_rt_g = { .fd = -1, .depth = 128, .follow = 1 };
RT_HIDDEN __thread volatile int scorch_rt_guard __attribute__((tls_model("initial-exec")));
RT_HIDDEN __thread struct rt_tls scorch_rt_tls __attribute__((tls_model("initial-exec")));
#define tl_buf (scorch_rt_tls.lv[0])
static pthread_key_t rt_key;

size_t scorch_rt_strlcpy(char *dst, const char *src, size_t n)
{
	size_t i = 0;
	if (!n)
		return 0;
	for (; src[i] && i + 1 < n; i++)
		dst[i] = src[i];
	dst[i] = 0;
	return i;
}

/* Writes v in decimal at p, returns the end (no NUL). async-signal-safe */
char *scorch_rt_utoa(char *p, uint64_t v)
{
	char tmp[24];
	int n = 0;
	do {
		tmp[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	while (n)
		*p++ = tmp[--n];
	return p;
}

static int rt_fits(int fd, size_t n);

/* async-signal-safe */
void scorch_rt_write_err(const char *msg)
{
	char buf[512];
	size_t n = scorch_rt_strlcpy(buf, "scorch: ", sizeof(buf));
	n += scorch_rt_strlcpy(buf + n, msg, sizeof(buf) - n - 1);
	buf[n++] = '\n';
	if (!rt_fits(2, n))   /* a stderr file at the program's size limit */
		return;
	ssize_t r = scorch_rt_sys(SYS_write, 2, buf, n);
	(void)r;
}

/* Turn recording off for good, say why once, and keep the host running. */
void scorch_rt_disable(const char *why)
{
	if (atomic_exchange(&G.state, RT_OFF) != RT_OFF && why)
		scorch_rt_write_err(why);
}

/* async-signal-safe (vDSO) */
uint64_t scorch_rt_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

uint64_t scorch_rt_process_cpu_ns(void)
{
	struct timespec ts;
	if (clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts) != 0)
		return 0;
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* rdtscp, not rdtsc: it waits for the instructions before it, so a stamp
 * taken after malloc returns is really later than the allocation (the
 * ordering of a free and a reuse of its address across threads rests on
 * that). About a third of the cost of clock_gettime. async-signal-safe */
static inline void rt_wm_stamp(void);

uint64_t scorch_rt_now(void)
{
	uint64_t t;
	if (scorch_rt_guard == RT_GUARD_HOOK)
		rt_wm_stamp();
#if defined(__x86_64__) || defined(__i386__)
	if (likely(G.tsc)) {
		unsigned aux;
		t = __builtin_ia32_rdtscp(&aux);
	} else
#endif
	t = scorch_rt_ns();
	return t;
}

/* A malloc hook is about to take a time stamp for the record it will make:
 * the second word of the thread's watermark slot (see "Watermarks") holds
 * a time no later than that stamp (the buffer's last record's) until a
 * record is committed, so the launcher does not pass a stamp whose record
 * is still on its way (a free is stamped before its record is made,
 * realloc's old block before the call, and the thread may be preempted in
 * between, its buffer flushed meanwhile by another thread). Stored before
 * the clock is read: a thread preempted between the two for longer than
 * the launcher's margin (at load 20-27 on 2 cores it was, with the store
 * after the read) is still covered. The first stays: a signal handler's
 * hook nested in this one stamps later. async-signal-safe */
static inline void rt_wm_stamp(void)
{
	struct rt_buf *b = tl_buf;
	if (b) {
		_Atomic uint64_t *w = b->wm;
		if (w && !atomic_load_explicit(&w[1], memory_order_relaxed)) {
			uint64_t t = b->last_time;
			atomic_store_explicit(&w[1], t ? t : 1, memory_order_relaxed);
			atomic_signal_fence(memory_order_seq_cst);
		}
	}
}

void scorch_rt_wm_stamp(void)
{
	rt_wm_stamp();
}

long scorch_rt_sys(long n, ...)
{
	va_list ap;
	va_start(ap, n);
	long a = va_arg(ap, long), b = va_arg(ap, long), c = va_arg(ap, long);
	long d = va_arg(ap, long), e = va_arg(ap, long), f = va_arg(ap, long);
	va_end(ap);
#if defined(__x86_64__)
	register long r10 __asm__("r10") = d;
	register long r8 __asm__("r8") = e;
	register long r9 __asm__("r9") = f;
	long r;
	__asm__ volatile("syscall"
			 : "=a"(r)
			 : "a"(n), "D"(a), "S"(b), "d"(c), "r"(r10), "r"(r8), "r"(r9)
			 : "rcx", "r11", "memory");
	if ((unsigned long)r > -4096ul) {
		errno = (int)-r;
		return -1;
	}
	return r;
#else
	return syscall(n, a, b, c, d, e, f);
#endif
}

static uint32_t rt_gettid(void) { return (uint32_t)scorch_rt_sys(SYS_gettid); }

static void *rt_mmap(size_t n)
{
	void *p = mmap(NULL, n, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	return p == MAP_FAILED ? NULL : p;
}

/* ---- Signals: what a handler may interrupt, and what a longjmp may leave ----
 *
 * A program's signal handler can run at any instruction of a malloc hook and
 * then (1) allocate, entering a hook again on the same thread while the
 * interrupted one may be half-way through an append to the thread's buffer,
 * holding its lock; or (2) leave by siglongjmp (or an exception), so that the
 * interrupted hook never finishes: its lock stays taken, its guard stays up.
 * A spin lock that waits for that holder hangs the thread, or the final
 * flush at exit (issue 11: a free(NULL) loop with a SIGALRM handler that
 * jumped out spun forever in exit). Blocking signals around every event
 * would cost two system calls per malloc, so the hot path runs with signals
 * open and is built to be interrupted, or abandoned, at any instruction:
 *
 * - Contexts. A malloc hook that records pushes the frame it runs in on a
 *   small per-thread stack (struct rt_tls), bit 0 set until its event is
 *   recorded, and sets the guard to RT_GUARD_HOOK. Its own work never calls
 *   malloc (what could -- dlsym, pthread_setspecific, a thread's first
 *   buffer -- runs with the guard at 1 and signals blocked), so a hook that
 *   finds the guard at RT_GUARD_HOOK was called by a signal handler that
 *   interrupted a hook, or after a longjmp out of one: it records its event
 *   in full instead of passing it through unseen.
 * - Live or left. Stacks grow down, and a handler runs below the frame it
 *   interrupted, past the kernel's signal frame (over 1 KB on x86-64: red
 *   zone, ucontext, FPU state). So code at frame F is nested in a holder
 *   recorded at frame H while F + RT_LIVE_MARGIN < H; at or above that, H is
 *   gone (the program jumped out of it and runs again from its own level).
 *   Addresses on the signal alternate stack and on the thread's stack cannot
 *   be compared: a holder on the alternate stack is gone when we are not on
 *   it, and one off it is taken as live when we are on it. A live holder is
 *   never taken for gone; a gone one may be taken for live for a while (a
 *   call from deeper down than where it was left), which only costs a level
 *   (below). A hook pops the contexts that are gone, counts those whose
 *   event was never recorded as lost, and drops the guard they left up.
 * - Owner-aware locks. A buffer's lock word is its holder's tid, and the
 *   holder's frame is kept with it (its own plus RT_HOLD_SLACK for the
 *   caller that goes on holding it, or a frame further up announced in
 *   scorch_rt_tls.hold). The frames compared are always the code's own,
 *   never its context's: code in a handler nested in a hook is not that
 *   hook, though the hook's context is still on top of the stack. Another
 *   thread's hold is waited for; one of this thread's frames is either one
 *   we interrupted (live) or one a longjmp left (gone).
 * - Levels. scorch_rt_self() gives a context the thread's buffer, or, when a
 *   live frame of the thread holds that, the buffer of the next level (one
 *   per nesting level, RT_NEST at most, made on first use): a handler's
 *   events go to a buffer of their own and the interrupted append resumes
 *   untouched. Finalize orders a thread's events by time, whichever buffer
 *   carried them. A buffer whose holder is gone is taken over.
 * - Take-over. len only grows once a record is complete, so the committed
 *   records are intact wherever the holder stopped; its delta bases (last
 *   time, last address) may be half-updated, so the taker flushes what is
 *   committed and the next record starts a new chunk with fresh bases.
 *   Whatever is more than one store (a flush: write, then reset; a new
 *   stack's table entry; a module scan; a new buffer) runs with signals
 *   blocked, so it is never interrupted or left half-done.
 * - Exit. The final flush takes each buffer: a free one at once, one held by
 *   another thread after a bounded wait (past it, the held chunk is counted
 *   lost rather than written under a live writer), one held by a frame of
 *   this thread that is gone by take-over. One held by a live frame of this
 *   thread (exit called from a handler) is written as committed when that
 *   frame can never resume (exit, a fatal signal's default action), else it
 *   is flushed when its holder unlocks.
 * An event that still cannot be recorded (nesting deeper than RT_NEST, no
 * memory for a buffer, a hook left by a longjmp before its record was made)
 * is counted, written to the stream (RAW_LOST_EVENTS) and reported by the
 * summary, the report and its JSON (lost_events), never dropped in silence.
 * Not covered: a handler that switches stacks and resumes elsewhere
 * (swapcontext from a handler, user-level preemptive threads) while a hook
 * it interrupted stays suspended, and handlers on an alternate stack with
 * SS_AUTODISARM (the kernel hides that stack while they run). */

#define RT_LIVE_MARGIN 512   /* bytes; well under a signal frame */
#define RT_HOLD_SLACK 256    /* bytes above a lock's frame where its caller may still hold it */
#define RT_FRAME() ((uintptr_t)__builtin_frame_address(0))

static inline uint32_t rt_tid(void)
{
	uint32_t t = scorch_rt_tls.tid;
	if (unlikely(!t))
		t = scorch_rt_tls.tid = rt_gettid();
	return t;
}

/* The frame recorded for a lock taken at `here`: the taker's caller goes on
 * holding it up to RT_HOLD_SLACK above, or up to the frame a caller further
 * up announced (scorch_rt_tls.hold: rec_alloc, around scorch_rt_stack_id,
 * which returns with the lock taken). Too high is safe (the holder is taken
 * for live longer); too low is not. */
static uintptr_t rt_hold_frame(uintptr_t here)
{
	uintptr_t h = here + RT_HOLD_SLACK, a = scorch_rt_tls.hold;
	return a > h ? a : h;
}

/* sigaltstack itself, not the program's view of it (sigaltstack below).
 * async-signal-safe */
static int rt_ss(const stack_t *ss, stack_t *old)
{
	return (int)scorch_rt_sys(SYS_sigaltstack, ss, old);
}

/* Whether the frame recorded as `held` is gone, seen from code at `now` on
 * the same thread (see "Live or left"). async-signal-safe */
static int rt_frame_gone(uintptr_t held, uintptr_t now)
{
	stack_t ss;
	if (rt_ss(NULL, &ss) == 0 && !(ss.ss_flags & SS_DISABLE) && ss.ss_size) {
		uintptr_t lo = (uintptr_t)ss.ss_sp, hi = lo + ss.ss_size;
		int now_alt = now >= lo && now < hi, held_alt = held >= lo && held < hi;
		if (now_alt != held_alt)
			return held_alt;
	}
	return now + RT_LIVE_MARGIN >= held;
}

/* Every signal, glibc's two internal ones (32, SIGCANCEL, and 33,
 * SIGSETXID) too, which sigfillset and glibc's wrappers leave out: a
 * program blocking through glibc can never block those, so the launcher
 * tells the runtime's (and libc's own) short all-blocked sections from the
 * program's blocking by them (cli/extsample.c, look_mask) and does not take
 * over the thread's sampling for the ~1,100 chunk writes of a 9M-call run.
 * libc blocks them the same way around its own short sections. */
void scorch_rt_sigblock(sigset_t *old)
{
	sigset_t all;
	memset(&all, 0xff, sizeof(all));
	/* the system call itself: glibc's wrappers keep two of its own signals */
	scorch_rt_sys(SYS_rt_sigprocmask, SIG_BLOCK, &all, old, _NSIG / 8);
}

RT_HIDDEN __thread volatile int scorch_rt_unblocking __attribute__((tls_model("initial-exec")));

void scorch_rt_sigrestore(const sigset_t *old)
{
	/* a CPU sample that fired inside the section arrives as this call
	 * returns, where the time went (rt-sample.c takes it) */
	int was = scorch_rt_unblocking;
	scorch_rt_unblocking = 1;
	scorch_rt_sys(SYS_rt_sigprocmask, SIG_SETMASK, old, NULL, _NSIG / 8);
	scorch_rt_unblocking = was;
}

void scorch_rt_lost_event(void)
{
	atomic_fetch_add_explicit(&G.lost_events, 1, memory_order_relaxed);
}

int scorch_rt_ctx_enter(uintptr_t frame)
{
	struct rt_tls *t = &scorch_rt_tls;
	if (t->nctx > RT_NEST)
		t->nctx = RT_NEST;
	while (t->nctx > 0) {
		uintptr_t c = t->ctx[t->nctx - 1];
		if (!rt_frame_gone(c & ~(uintptr_t)1, frame))
			break;
		if (c & 1)
			scorch_rt_lost_event();   /* left by a longjmp before its record */
		t->nctx--;
	}
	if (t->nctx >= RT_NEST) {
		scorch_rt_lost_event();
		return -1;
	}
	int saved = t->nctx ? RT_GUARD_HOOK : 0;
	t->ctx[t->nctx++] = frame | 1;
	scorch_rt_guard = RT_GUARD_HOOK;
	return saved;
}

static void rt_take_over(struct rt_buf *b);

void scorch_rt_lock(struct rt_buf *b)
{
	uint32_t me = rt_tid();
	unsigned spins = 0;
	for (;;) {
		unsigned cur = 0;
		if (atomic_compare_exchange_weak_explicit(&b->lock, &cur, me, memory_order_acquire,
							  memory_order_relaxed))
			break;
		if (cur == me) {
			/* scorch_rt_self() gave us this buffer, so the frame of
			 * ours that holds it is gone */
			rt_take_over(b);
			break;
		}
		if (cur && ++spins > 64)
			sched_yield();
	}
	b->lock_sp = rt_hold_frame(RT_FRAME());
}

int scorch_rt_trylock(struct rt_buf *b)
{
	unsigned cur = 0;
	if (!atomic_compare_exchange_strong_explicit(&b->lock, &cur, rt_tid(), memory_order_acquire,
						     memory_order_relaxed))
		return 0;
	b->lock_sp = rt_hold_frame(RT_FRAME());
	return 1;
}

static void rt_wm_wait(void);

void scorch_rt_unlock(struct rt_buf *b)
{
	if (unlikely(b->flush_asap)) {
		b->flush_asap = 0;
		scorch_rt_flush(b);
	}
	atomic_store_explicit(&b->lock, 0, memory_order_release);
	/* after the record is committed: a free's stamp, taken before its
	 * lock, is in no slot, so the wait must not come between the two */
	if (unlikely(b->wm_wait)) {
		b->wm_wait = 0;
		if (G.wm && b == tl_buf && !G.sync_flush && !scorch_rt_tls.exiting) {
			/* the program's signals only (sigfillset leaves out
			 * glibc's 32 and 33): the wait lasts up to
			 * RAW_WM_WAIT_MS, which another thread's setuid() or
			 * pthread_cancel() must not wait for. The thread sleeps
			 * meanwhile, so no CPU sample fires into the block. */
			sigset_t all, old;
			sigfillset(&all);
			scorch_rt_sys(SYS_rt_sigprocmask, SIG_BLOCK, &all, &old, _NSIG / 8);
			rt_wm_wait();
			scorch_rt_sigrestore(&old);
		}
	}
}

/* Whether n more bytes fit under the program's file size limit (ulimit -f):
 * a write starting at the limit sends SIGXFSZ, which ends the program (a
 * blocked one is delivered to another thread, or at the unblock). Such a
 * write is left undone: its bytes are counted lost, as on a full disk.
 * async-signal-safe */
static int rt_fits(int fd, size_t n)
{
	struct rlimit rl;
	if (scorch_rt_sys(SYS_prlimit64, 0, RLIMIT_FSIZE, NULL, &rl) != 0 || rl.rlim_cur == RLIM_INFINITY)
		return 1;
	struct stat st;
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode))
		return 1;
	off_t pos = (off_t)scorch_rt_sys(SYS_lseek, fd, 0, SEEK_CUR);
	uint64_t at = (uint64_t)(pos > st.st_size ? pos : st.st_size);
	return at + n <= (uint64_t)rl.rlim_cur;
}

/* Write all of p, retrying EINTR (nothing past the file size limit).
 * Returns bytes written. async-signal-safe */
static size_t rt_write_all(int fd, const uint8_t *p, size_t n)
{
	size_t done = 0;
	if (!rt_fits(fd, n))
		return 0;
	while (done < n) {
		/* the system call itself: write() is wrapped for --wall */
		ssize_t r = scorch_rt_sys(SYS_write, fd, p + done, n - done);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		done += (size_t)r;
	}
	return done;
}

/* Opens path, a file of the profile directory G.dir, through the
 * directory's descriptor kept since the start (if it still is that
 * directory: a program may have closed it by a raw system call), else by
 * path. After a chroot the path no longer resolves: a forked child said
 * 'cannot create the profile stream of a forked child; it runs unrecorded'.
 * async-signal-safe */
int scorch_rt_open_in_dir(const char *path, int flags, mode_t mode)
{
	size_t dl = strnlen(G.dir, sizeof(G.dir));
	struct stat st;
	if (G.have_dirfd && strncmp(path, G.dir, dl) == 0 && path[dl] == '/' && path[dl + 1] &&
	    fstat(G.dirfd, &st) == 0 && st.st_dev == G.dir_dev && st.st_ino == G.dir_ino)
		return openat(G.dirfd, path + dl + 1, flags, mode);
	return open(path, flags, mode);
}

/* G.dir held open for scorch_rt_open_in_dir, in the high range, its
 * descriptor one the program's close cannot take */
static void rt_dir_open(void)
{
	int fd = open(G.dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	struct stat st;
	if (fd < 0)
		return;
	fd = scorch_rt_fd_high(fd);
	/* under a hard descriptor limit below the high range it would take
	 * one of the program's few (see rt_stream_write): by path then */
	if (fd < RT_FD_HIGH || fstat(fd, &st) != 0) {
		close(fd);
		return;
	}
	G.dirfd = fd;
	G.dir_dev = st.st_dev;
	G.dir_ino = st.st_ino;
	G.have_dirfd = 1;
	scorch_rt_fd_own(fd, 1);
}

/* The program may have closed our descriptor and reused its number (daemons
 * close every fd): writing there would corrupt the program's own file. So
 * check identity before writing and reopen by path when it changed. */
static int rt_fd_ok(void)
{
	struct stat st;
	if (G.fd >= 0 && fstat(G.fd, &st) == 0 && st.st_dev == G.file_dev && st.st_ino == G.file_ino)
		return 1;
	int fd = scorch_rt_open_in_dir(G.path, O_WRONLY | O_APPEND | O_CLOEXEC, 0);
	if (fd < 0)
		return 0;
	fd = scorch_rt_fd_high(fd);
	if (fstat(fd, &st) != 0) {
		close(fd);
		return 0;
	}
	G.fd = fd;
	G.file_dev = st.st_dev;
	G.file_ino = st.st_ino;
	return 1;
}

int scorch_rt_fd_high(int fd)
{
	int hi = fcntl(fd, F_DUPFD_CLOEXEC, RT_FD_HIGH);
	if (hi < 0 && errno == EINVAL) {
		/* a program run under a low soft limit (ulimit -n 64) may not
		 * reach the high range; the limit is the program's to see */
		struct rlimit r;
		if (getrlimit(RLIMIT_NOFILE, &r) == 0 && r.rlim_cur <= RT_FD_HIGH &&
		    (r.rlim_max == RLIM_INFINITY || r.rlim_max > RT_FD_HIGH)) {
			/* room for the runtime's others there (stream, counters) */
			rlim_t want = RT_FD_HIGH + 4096;
			struct rlimit up = { r.rlim_max != RLIM_INFINITY && r.rlim_max < want ? r.rlim_max : want,
					     r.rlim_max };
			if (setrlimit(RLIMIT_NOFILE, &up) == 0) {
				hi = fcntl(fd, F_DUPFD_CLOEXEC, RT_FD_HIGH);
				setrlimit(RLIMIT_NOFILE, &r);
			}
		}
	}
	if (hi < 0)
		return fd;
	close(fd);
	return hi;
}

/* libunwind opens a pipe (to validate addresses) at its first use, which is
 * inside our hooks: at the lowest free descriptors, 3 and 4 in most
 * programs (whose own first open then got 5, and whose /proc/self/fd
 * listed two more), 0 and 1 when the program had closed them (its writes
 * to a closed stdout then went into that pipe instead of failing). Ours
 * move to the high range, as the runtime's other descriptors do; the
 * program's own calls pass straight through. */
RT_EXPORT int pipe2(int fds[2], int flags)
{
	if (scorch_rt_sys(SYS_pipe2, fds, flags) != 0)
		return -1;
	if (scorch_rt_guard) {
		fds[0] = scorch_rt_fd_high(fds[0]);
		fds[1] = scorch_rt_fd_high(fds[1]);
	}
	return 0;
}

/* Appends n bytes to the stream. Under a hard descriptor limit below
 * RT_FD_HIGH (ulimit -n 4 in a shell) a descriptor kept open would take one
 * of the program's few (cat /dev/null then failed with 'Too many open
 * files'): the stream is opened for each write then, by each writer on its
 * own. async-signal-safe */
static size_t rt_stream_write(const uint8_t *h, size_t n)
{
	if (!G.fd_low)
		return rt_fd_ok() ? rt_write_all(G.fd, h, n) : 0;
	int fd = scorch_rt_open_in_dir(G.path, O_WRONLY | O_APPEND | O_CLOEXEC, 0);
	if (fd < 0)
		return 0;
	size_t w = rt_write_all(fd, h, n);
	scorch_rt_sys(SYS_close, fd);
	return w;
}

/* Bytes of chunks this image's buffers wrote to its stream (the launcher's
 * progress in the watermark page is compared with it). */
static _Atomic uint64_t rt_wm_written;

/* Back-pressure: a thread that flushed its own buffer waits at its unlock, 1 ms at
 * a time, while the launcher, reading the stream live, is more than
 * RAW_WM_BEHIND_MAX bytes behind it (until it is back within half that),
 * so that four threads storming on two cores cannot leave it a backlog
 * that it decodes after the program's exit or holds in memory. It waits
 * only while the launcher says it is reading (a read within the last
 * second: on a loaded machine it may wait that long for a CPU) and at most
 * RAW_WM_WAIT_MS a flush: a launcher that died or
 * symbolizes never holds the program up for long. async-signal-safe */
static void rt_wm_wait(void)
{
	const volatile uint64_t *h = (const volatile uint64_t *)G.wm;
	uint64_t done = h[2];
	if (!done)
		return;
	uint64_t wr = atomic_load_explicit(&rt_wm_written, memory_order_relaxed);
	if ((int64_t)(wr - done) <= (int64_t)RAW_WM_BEHIND_MAX)
		return;
	for (unsigned i = 0; i < RAW_WM_WAIT_MS; i++) {
		uint64_t beat = h[3], now = scorch_rt_ns();
		if (!beat || (int64_t)(now - beat) > 1000000000)
			return;
		struct timespec ts = { 0, 1000000 };
		scorch_rt_sys(SYS_clock_nanosleep, CLOCK_MONOTONIC, 0, &ts, NULL);
		done = h[2];
		if ((int64_t)(wr - done) <= (int64_t)RAW_WM_BEHIND_MAX / 2)
			return;
	}
}

/* Frame the buffer's payload as one chunk and append it with a single write.
 * A short write (disk full) leaves a partial chunk the reader skips by its
 * checksum; the loss is counted and reported in a later RAW_LOST record. The
 * dedup table is cleared then, since the stacks it remembers may be lost.
 * Lock held. async-signal-safe */
void scorch_rt_flush(struct rt_buf *b)
{
	if (!b->len)
		return;
	/* a write then a reset: a handler's longjmp between the two would
	 * write the chunk twice */
	sigset_t old;
	scorch_rt_sigblock(&old);
	uint8_t *h = b->data;
	fmt_put_u32le(h, RAW_CHUNK_MAGIC);
	fmt_put_u32le(h + 4, b->len);
	fmt_put_u32le(h + 8, b->tid);
	fmt_put_u64le(h + 16, b->base_time);
	uint32_t ck = fmt_chunk_sum(h, h + RAW_CHUNK_HDR, b->len);
	fmt_put_u32le(h + 12, ck);
	size_t n = RAW_CHUNK_HDR + b->len;
	size_t w = rt_stream_write(h, n);
	if (w != n) {
		atomic_fetch_add(&G.lost_chunks, 1);
		atomic_fetch_add(&G.lost_bytes, n);
		scorch_rt_dedup_clear(b);
		scorch_rt_zone_lost();
	}
	b->len = 0;
	b->last_addr = 0;
	/* after the write: a launcher that reads 0 then finds the chunk */
	if (b->wm)
		atomic_store_explicit(b->wm, 0, memory_order_release);
	if (G.wm) {
		atomic_fetch_add_explicit(&rt_wm_written, w, memory_order_relaxed);
		/* the thread's own buffer waits at its unlock, if at all */
		if (b == tl_buf)
			b->wm_wait = 1;
	}
	scorch_rt_sigrestore(&old);
}

/* Writes n bytes of whole chunks (header filled in by the caller) to the
 * stream, signals blocked; counts them lost when it cannot. Returns 0, or -1
 * when lost. For buffers that are not an rt_buf (the zone buffers of
 * rt-zone.c). async-signal-safe */
int scorch_rt_write_chunk(const uint8_t *h, size_t n)
{
	sigset_t old;
	scorch_rt_sigblock(&old);
	size_t w = rt_stream_write(h, n);
	scorch_rt_sigrestore(&old);
	if (w == n)
		return 0;
	atomic_fetch_add(&G.lost_chunks, 1);
	atomic_fetch_add(&G.lost_bytes, n);
	scorch_rt_zone_lost();
	return -1;
}

/* b's lock was held by a frame of this thread that a longjmp left (or that
 * will never resume): the committed records are intact, the delta bases may
 * not be. Flushing starts a new chunk with fresh ones. */
static void rt_take_over(struct rt_buf *b)
{
	b->flush_asap = 0;
	scorch_rt_flush(b);
	b->len = 0;
	b->last_addr = 0;
}

static void rt_report_lost(struct rt_buf *b);

/* ---- Watermarks: letting the launcher merge threads while they run ----
 *
 * The launcher encodes heap events into the profile while the program runs,
 * in global time order; it may pass time W only once no buffer can still
 * deliver a record older than W. Each buffer's slot in the watermark page
 * (format/raw.h, mapped by the launcher too) holds the time of the first
 * record committed since its last flush: set at that commit, cleared after
 * the flush's write. A buffer whose first record is RAW_WM_AGE_MS old is
 * flushed at its owner's next record; one whose owner stopped recording
 * (blocked in pthread_join, computing) is flushed, at twice that age, by
 * another thread's flush, which looks at the others at most once per
 * RAW_WM_AGE_MS. The cost: two stores and a compare per buffer cycle, a
 * chunk per 10 ms per slowly allocating thread. A malloc hook's time stamp
 * goes to the slot's second word until its record is committed (two more
 * stores per event, to a line only this thread writes), so a record stamped
 * before it is made (a free, realloc's old block) is seen on its way; the
 * launcher keeps a margin behind its own clock for the few instructions
 * between a stamp and that store (analysis/finalize.c). */

/* A slot for b, on its first record (or the first since a fork). */
static void rt_wm_attach(struct rt_buf *b, uint64_t t)
{
	_Atomic uint32_t *h = (_Atomic uint32_t *)G.wm;
	unsigned i = atomic_fetch_add_explicit(&h[2], 1, memory_order_relaxed);
	if (i >= RAW_WM_SLOTS) {
		atomic_store_explicit(&h[3], 1, memory_order_relaxed);
		b->wm_none = 1;
		return;
	}
	b->wm = (_Atomic uint64_t *)(G.wm + RAW_WM_HDR) + 2 * (size_t)i;
	atomic_store_explicit(b->wm, t ? t : 1, memory_order_relaxed);
}

/* Flushes, on their owners' behalf, the buffers whose first record is over
 * twice RAW_WM_AGE_MS old at time t (ticks), once per RAW_WM_AGE_MS at most.
 * Lock of self held. */
static void rt_wm_scan(struct rt_buf *self, uint64_t t)
{
	uint64_t next = atomic_load_explicit(&G.wm_scan_next, memory_order_relaxed);
	if ((int64_t)(t - next) < 0 ||
	    !atomic_compare_exchange_strong(&G.wm_scan_next, &next, t + G.wm_age))
		return;
	for (struct rt_buf *o = atomic_load(&G.bufs); o; o = o->next) {
		if (o == self || !o->wm)
			continue;
		uint64_t f = atomic_load_explicit(o->wm, memory_order_relaxed);
		if (!f || (int64_t)(t - f) <= (int64_t)(2 * G.wm_age))
			continue;
		/* a handler's longjmp must not leave another thread's buffer
		 * locked: signals stay blocked while we hold it */
		sigset_t old;
		scorch_rt_sigblock(&old);
		if (scorch_rt_trylock(o)) {
			f = atomic_load_explicit(o->wm, memory_order_relaxed);
			if (f && (int64_t)(t - f) > (int64_t)(2 * G.wm_age))
				scorch_rt_flush(o);
			scorch_rt_unlock(o);
		}
		scorch_rt_sigrestore(&old);
	}
}

/* Returns where a record of up to `need` bytes may be written, flushing first
 * if it would not fit. The record starts with its type byte; the caller then
 * calls scorch_rt_commit(). Lock held. */
uint8_t *scorch_rt_reserve(struct rt_buf *b, size_t need)
{
	if (RAW_CHUNK_HDR + b->len + need > RT_BUF_SIZE) {
		scorch_rt_flush(b);
		if (b->wm)
			rt_wm_scan(b, b->last_time);
	}
	if (b->len == 0) {
		b->base_time = scorch_rt_now();
		b->last_time = b->base_time;
		b->last_addr = 0;
		if (unlikely(atomic_load_explicit(&G.lost_chunks, memory_order_relaxed) !=
			     atomic_load_explicit(&G.lost_reported_chunks, memory_order_relaxed) ||
			     atomic_load_explicit(&G.lost_events, memory_order_relaxed) !=
			     atomic_load_explicit(&G.lost_reported_events, memory_order_relaxed)))
			rt_report_lost(b);
	}
	return b->data + RAW_CHUNK_HDR + b->len;
}

void scorch_rt_commit(struct rt_buf *b, uint8_t *end, uint64_t t)
{
	b->len = (uint32_t)(end - (b->data + RAW_CHUNK_HDR));
	/* the reader adds every record's dt to the previous record's time, so
	 * the next dt must be against this record's time even when it is
	 * earlier than the one before (an off-CPU span written when the call
	 * returns carries the time it began) */
	b->last_time = t;
	/* after the final flush, or after this thread's exit flush (the C
	 * library frees its thread caches later): nobody would flush it */
	_Atomic uint64_t *w = b->wm;
	if (unlikely(G.sync_flush || scorch_rt_tls.exiting)) {
		scorch_rt_flush(b);
		if (w)
			atomic_store_explicit(&w[1], 0, memory_order_release);
		return;
	}
	if (likely(w != NULL)) {
		uint64_t first = atomic_load_explicit(w, memory_order_relaxed);
		if (!first)
			atomic_store_explicit(w, t ? t : 1, memory_order_relaxed);
		/* after the store above: the launcher reads this word first */
		atomic_store_explicit(&w[1], 0, memory_order_release);
		if (first && unlikely((int64_t)(t - first) > (int64_t)G.wm_age)) {
			scorch_rt_flush(b);
			rt_wm_scan(b, t);
		}
	} else if (G.wm && !b->wm_none) {
		rt_wm_attach(b, t);
	}
}

/* dt against the previous record; signed because a record may carry a time
 * taken before the one of a record written ahead of it. */
static inline int64_t rt_dt(const struct rt_buf *b, uint64_t t)
{
	return (int64_t)(t - b->last_time);
}

/* Writes the loss counts (totals so far) at the start of a chunk, when they
 * changed since they were last written. Lock held. */
static void rt_report_lost(struct rt_buf *b)
{
	unsigned long c = atomic_load(&G.lost_chunks), by = atomic_load(&G.lost_bytes);
	unsigned long ev = atomic_load(&G.lost_events);
	uint8_t *p = b->data + RAW_CHUNK_HDR + b->len;
	if (c != atomic_load(&G.lost_reported_chunks))
		p = raw_put_lost(p, &(struct raw_lost){ rt_dt(b, b->base_time), c, by });
	if (ev != atomic_load(&G.lost_reported_events))
		p = raw_put_lost_events(p, &(struct raw_lost_events){ rt_dt(b, b->base_time), ev });
	b->len = (uint32_t)(p - (b->data + RAW_CHUNK_HDR));
	atomic_store(&G.lost_reported_chunks, c);
	atomic_store(&G.lost_reported_bytes, by);
	atomic_store(&G.lost_reported_events, ev);
}

static void rt_thread_record(struct rt_buf *b, int type)
{
	char name[17] = { 0 };
	prctl(PR_GET_NAME, name, 0, 0, 0);
	uint64_t t = scorch_rt_now();
	uint8_t *p = scorch_rt_reserve(b, RAW_THREAD_MAX(16));
	p = raw_put_thread_as(p, (enum raw_rec)type,
			      &(struct raw_thread){ rt_dt(b, t), b->tid, name, (uint32_t)strnlen(name, 16) });
	scorch_rt_commit(b, p, t);
}

static void rt_thread_exit(void *arg);

/* Takes a free buffer from the registry or maps a new one. */
static struct rt_buf *rt_buf_acquire(void)
{
	for (struct rt_buf *b = atomic_load(&G.bufs); b; b = b->next) {
		int zero = 0;
		if (atomic_load_explicit(&b->in_use, memory_order_relaxed) == 0 &&
		    atomic_compare_exchange_strong(&b->in_use, &zero, 1))
			return b;
	}
	struct rt_buf *b = rt_mmap(sizeof(struct rt_buf));
	if (!b)
		return NULL;
	atomic_store(&b->in_use, 1);
	struct rt_buf *head = atomic_load(&G.bufs);
	do
		b->next = head;
	while (!atomic_compare_exchange_weak(&G.bufs, &head, b));
	return b;
}

struct rt_buf *scorch_rt_buf_new(void)
{
	struct rt_buf *b = rt_buf_acquire();
	if (!b)
		return NULL;
	scorch_rt_lock(b);
	b->tid = rt_tid();
	b->len = 0;
	scorch_rt_unlock(b);
	return b;
}

void scorch_rt_buf_release(struct rt_buf *b)
{
	atomic_store(&b->in_use, 0);
}

/* b->alt mapped, its lowest page a guard; 0 if no memory. async-signal-safe */
static int rt_alt_map(struct rt_buf *b)
{
	void *p = mmap(NULL, RT_ALT_SIZE, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_STACK, -1, 0);
	if (p == MAP_FAILED)
		return 0;
	mprotect(p, 4096, PROT_NONE);
	b->alt = p;
	return 1;
}

/* Gives a thread without an alternate signal stack one (b's, made once per
 * buffer and kept with it): the final flush of a fatal signal with the
 * default action runs on it (install_one in rt-lifecycle.c), so that a
 * stack overflow, whose SIGSEGV cannot run on the exhausted stack, no
 * longer kills the process unflushed (a recursion after 2,000 allocations
 * left a profile with none). A stack the program sets, before or after,
 * is its own; a program handler asking SA_ONSTACK without one now runs on
 * ours, as it would on any. Pages are touched only when used. The lowest
 * page is a guard. async-signal-safe */
static void rt_alt_on(struct rt_buf *b)
{
	stack_t ss;
	if (rt_ss(NULL, &ss) != 0 || !(ss.ss_flags & SS_DISABLE))
		return;
	if (!b->alt && !rt_alt_map(b))
		return;
	ss.ss_sp = (char *)b->alt + 4096;
	ss.ss_size = RT_ALT_SIZE - 4096;
	ss.ss_flags = 0;
	rt_ss(&ss, NULL);
}

/* Whether this code runs on rt_alt_on's stack of this thread, where the
 * program alone would have had no alternate stack. async-signal-safe */
int scorch_rt_on_own_alt(void)
{
	struct rt_buf *b = tl_buf;
	uintptr_t here = RT_FRAME();
	return b && b->alt && here >= (uintptr_t)b->alt && here < (uintptr_t)b->alt + RT_ALT_SIZE;
}

/* Takes rt_alt_on's stack away from an exiting thread, if still set and
 * not in use: the buffer, and so the stack, goes to the next thread. */
static void rt_alt_off(struct rt_buf *b)
{
	stack_t ss;
	if (!b->alt || rt_ss(NULL, &ss) != 0 || (ss.ss_flags & (SS_DISABLE | SS_ONSTACK)) ||
	    ss.ss_sp != (char *)b->alt + 4096)
		return;
	ss.ss_flags = SS_DISABLE;
	ss.ss_sp = NULL;
	ss.ss_size = 0;
	rt_ss(&ss, NULL);
}

/* The program sees no alternate stack where it has only rt_alt_on's (not
 * in use): a runtime that sets its own when there is none (Rust's, for its
 * "has overflowed its stack" message) does so as it would alone. */
RT_EXPORT int sigaltstack(const stack_t *ss, stack_t *old)
{
	int r = rt_ss(ss, old);
	struct rt_buf *b = tl_buf;
	if (r == 0 && old && b && b->alt && !(old->ss_flags & (SS_DISABLE | SS_ONSTACK)) &&
	    old->ss_sp == (char *)b->alt + 4096) {
		old->ss_sp = NULL;
		old->ss_size = 0;
		old->ss_flags = SS_DISABLE;
	}
	return r;
}

/* This thread's first buffer, with its THREAD record; signals blocked, so
 * that a handler's allocation cannot make a second one half-way. */
static struct rt_buf *rt_thread_buf_new(void)
{
	sigset_t old;
	scorch_rt_sigblock(&old);
	int g = scorch_rt_guard;
	scorch_rt_guard = 1;
	struct rt_buf *b = tl_buf;
	if (!b && (b = rt_buf_acquire())) {
		scorch_rt_lock(b);
		b->tid = rt_tid();
		b->len = 0;
		tl_buf = b;
		rt_thread_record(b, RAW_THREAD);
		scorch_rt_unlock(b);
		rt_alt_on(b);
		/* the key's destructor flushes at thread exit; setspecific for a
		 * key made at init never allocates */
		pthread_setspecific(rt_key, b);
	}
	scorch_rt_guard = g;
	scorch_rt_sigrestore(&old);
	return b;
}

/* The buffer of nesting level l (see "Levels"), made on first use. */
static struct rt_buf *rt_level_buf(int l)
{
	sigset_t old;
	scorch_rt_sigblock(&old);
	struct rt_buf *b = scorch_rt_tls.lv[l];
	if (!b && (b = rt_buf_acquire())) {
		b->tid = rt_tid();
		b->len = 0;
		b->flush_asap = 0;
		scorch_rt_tls.lv[l] = b;
	}
	scorch_rt_sigrestore(&old);
	return b;
}

static struct rt_buf *rt_self_slow(uintptr_t here)
{
	struct rt_tls *t = &scorch_rt_tls;
	if (!tl_buf)
		return rt_thread_buf_new();
	uintptr_t now = here;
	for (int l = 0; l < RT_NEST; l++) {
		struct rt_buf *b = t->lv[l];
		if (!b && !(b = rt_level_buf(l)))
			return NULL;
		if (atomic_load_explicit(&b->lock, memory_order_relaxed) != t->tid ||
		    rt_frame_gone(b->lock_sp, now))
			return b;
	}
	return NULL;
}

struct rt_buf *scorch_rt_self(void)
{
	struct rt_buf *b = tl_buf;
	if (likely(b != NULL) &&
	    likely(atomic_load_explicit(&b->lock, memory_order_relaxed) != scorch_rt_tls.tid))
		return b;
	return rt_self_slow(RT_FRAME());
}

/* pthread key destructor: the thread is exiting. Record its final name, flush
 * and hand the buffers back. If the thread allocates again after this (other
 * destructors), a buffer is acquired again and this runs once more. A hold
 * of this thread's on its buffers is over: its frame never resumes. */
static void rt_thread_exit(void *arg)
{
	struct rt_buf *b = arg;
	scorch_rt_sample_thread_stop();
	if (atomic_load(&G.state) != RT_ACTIVE || b != tl_buf)
		return;
	int g = scorch_rt_guard;
	scorch_rt_guard = 1;
	scorch_rt_zone_thread_exit();
	for (int l = 1; l < RT_NEST; l++) {
		struct rt_buf *x = scorch_rt_tls.lv[l];
		if (!x)
			continue;
		scorch_rt_lock(x);
		scorch_rt_flush(x);
		scorch_rt_tls.lv[l] = NULL;
		scorch_rt_unlock(x);
		atomic_store(&x->in_use, 0);
	}
	scorch_rt_lock(b);
	rt_thread_record(b, RAW_THREAD_END);
	scorch_rt_flush(b);
	scorch_rt_tls.exiting = 1;
	tl_buf = NULL;
	scorch_rt_unlock(b);
	rt_alt_off(b);
	atomic_store(&b->in_use, 0);
	scorch_rt_tls.nctx = 0;
	scorch_rt_guard = g;
}

/* Flush every buffer (see "Exit" under "Signals"). `resumes`: a frame of
 * this thread holding a buffer may run again (an exec that can fail, a
 * handler of the program's after a fatal signal), so its buffer is left for
 * it to flush when it unlocks. async-signal-safe when from_signal */
static void rt_flush_all(int from_signal, int resumes)
{
	uint32_t me = rt_tid();
	uintptr_t now = RT_FRAME();
	uint64_t deadline = 0;
	for (struct rt_buf *b = atomic_load(&G.bufs); b; b = b->next) {
		if (scorch_rt_trylock(b)) {
			scorch_rt_flush(b);
			scorch_rt_unlock(b);
			continue;
		}
		unsigned h = atomic_load_explicit(&b->lock, memory_order_acquire);
		if (h == me) {
			if (rt_frame_gone(b->lock_sp, now)) {
				rt_take_over(b);
				atomic_store_explicit(&b->lock, 0, memory_order_release);
			} else if (!resumes) {
				/* committed records are whole; the holder never
				 * writes again */
				scorch_rt_flush(b);
			} else {
				b->flush_asap = 1;
			}
			continue;
		}
		/* another thread holds it, for the few instructions of an
		 * append, or for good: it jumped out of a handler and never came
		 * back to take its buffer over */
		int got = 0;
		for (unsigned i = 0; !got; i++) {
			if (scorch_rt_trylock(b)) {
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
			scorch_rt_flush(b);
			scorch_rt_unlock(b);
		} else if (b->len) {
			atomic_fetch_add(&G.lost_chunks, 1);
			atomic_fetch_add(&G.lost_bytes, RAW_CHUNK_HDR + b->len);
		}
	}
}

void scorch_rt_flush_all(int from_signal)
{
	rt_flush_all(from_signal, from_signal);
}

/* Resident set size from /proc/self/statm, 0 if unreadable. The launcher
 * samples RSS every 10 ms from outside; this last reading covers programs
 * that end before its first sample. async-signal-safe */
static uint64_t rt_rss(void)
{
	char buf[128];
	int fd = open("/proc/self/statm", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	ssize_t n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = 0;
	const char *p = buf;
	while (*p && *p != ' ')
		p++;
	uint64_t pages = 0;
	for (p++; *p >= '0' && *p <= '9'; p++)
		pages = pages * 10 + (uint64_t)(*p - '0');
	return pages * (uint64_t)sysconf(_SC_PAGESIZE);
}

static void rt_final(int kind, int value);

/* Calls fn(arg) with the stack pointer at top (16-byte aligned below it). */
static void rt_call_on(void *top, void (*fn)(void *), void *arg)
{
#if defined(__x86_64__)
	__asm__ volatile("mov %%rsp, %%rbx\n\t"
			 "mov %[top], %%rsp\n\t"
			 "and $-16, %%rsp\n\t"
			 "call *%[fn]\n\t"
			 "mov %%rbx, %%rsp"
			 : "+D"(arg)
			 : [top] "r"(top), [fn] "r"(fn)
			 : "rbx", "rax", "rcx", "rdx", "rsi", "r8", "r9", "r10", "r11", "memory", "cc",
			   "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6", "xmm7",
			   "xmm8", "xmm9", "xmm10", "xmm11", "xmm12", "xmm13", "xmm14", "xmm15");
#elif defined(__aarch64__)
	register void *x0 __asm__("x0") = arg;
	__asm__ volatile("mov x19, sp\n\t"
			 "and x9, %[top], #-16\n\t"
			 "mov sp, x9\n\t"
			 "blr %[fn]\n\t"
			 "mov sp, x19"
			 : "+r"(x0)
			 : [top] "r"(top), [fn] "r"(fn)
			 : "x1", "x2", "x3", "x4", "x5", "x6", "x7", "x8", "x9", "x10", "x11", "x12", "x13",
			   "x14", "x15", "x16", "x17", "x18", "x19", "x30", "memory", "cc",
			   "v0", "v1", "v2", "v3", "v4", "v5", "v6", "v7", "v16", "v17", "v18", "v19",
			   "v20", "v21", "v22", "v23", "v24", "v25", "v26", "v27", "v28", "v29", "v30", "v31");
#else
	(void)top;
	fn(arg);
#endif
}

struct rt_final_arg { int kind, value; };
static void rt_final_cb(void *p)
{
	struct rt_final_arg *a = p;
	rt_final(a->kind, a->value);
}

/* The final flush. On the program's own alternate stack (a handler of
 * its, or ours nested in one: Rust's stack-overflow handler calls abort()
 * on its 8 KiB stack) it runs on the thread's stack of rt_alt_on instead:
 * there the flush overflowed, and the process died of a SIGSEGV (139, not
 * abort()'s 134) with nothing flushed. async-signal-safe */
void scorch_rt_final(int kind, int value)
{
	stack_t ss;
	struct rt_buf *b = tl_buf;
	if (b && rt_ss(NULL, &ss) == 0 && (ss.ss_flags & SS_ONSTACK) && !scorch_rt_on_own_alt() &&
	    (b->alt || rt_alt_map(b))) {
		struct rt_final_arg a = { kind, value };
		rt_call_on((char *)b->alt + RT_ALT_SIZE, rt_final_cb, &a);
		return;
	}
	rt_final(kind, value);
}

/* Writes EXIT and END through this thread's buffer and flushes everything.
 * From here on each record is flushed as it is made, so frees during the
 * rest of exit still reach the file. async-signal-safe */
static void rt_final(int kind, int value)
{
	if (atomic_load(&G.state) != RT_ACTIVE || getpid() != G.pid)
		return;
	int g = scorch_rt_guard;
	scorch_rt_guard = 1;
	int from_signal = kind == EXIT_SIGNAL;
	/* a frame of this thread interrupted by the signal, or by the exec's
	 * caller, may run again: exit and a fatal default action never return */
	int resumes = kind == EXIT_EXEC || (from_signal && !G.dying);
	/* not necessarily tl_buf: exit may be called from a handler that
	 * interrupted an append to it (see "Signals") */
	struct rt_buf *b = scorch_rt_self();
	if (b)
		scorch_rt_zone_final(b, 0);
	if (b) {
		scorch_rt_lock(b);
		uint64_t t = scorch_rt_now();
		char name[17] = { 0 };
		prctl(PR_GET_NAME, name, 0, 0, 0);
		uint64_t rss = rt_rss();
		uint8_t *p = scorch_rt_reserve(b, RAW_RSS_MAX + RAW_THREAD_END_MAX(16) + RAW_PCPU_MAX + RAW_EXIT_MAX +
						 RAW_END_MAX);
		/* all four at time t: the first carries the step, the rest 0 */
		p = raw_put_rss(p, &(struct raw_rss){ rt_dt(b, t), rss });
		p = raw_put_thread_end(p, &(struct raw_thread){ 0, b->tid, name, (uint32_t)strnlen(name, 16) });
		if (G.cpu)
			p = raw_put_pcpu(p, &(struct raw_pcpu){ 0, 1, scorch_rt_process_cpu_ns() });
		p = raw_put_exit(p, &(struct raw_exit_rec){ 0, (uint64_t)kind, value });
		p = raw_put_end(p, &(struct raw_end){ 0 });
		b->len = (uint32_t)(p - (b->data + RAW_CHUNK_HDR));
		if (t > b->last_time)
			b->last_time = t;
		scorch_rt_unlock(b);
	}
	rt_flush_all(from_signal, resumes);
	if (b && (atomic_load(&G.lost_events) != atomic_load(&G.lost_reported_events) ||
		  atomic_load(&G.lost_chunks) != atomic_load(&G.lost_reported_chunks))) {
		/* losses counted since the last chunk began (the flush above may
		 * add some): a chunk of their own, whose start writes them */
		scorch_rt_lock(b);
		scorch_rt_flush(b);
		uint8_t *p = scorch_rt_reserve(b, 64);
		b->len = (uint32_t)(p - (b->data + RAW_CHUNK_HDR));
		scorch_rt_flush(b);
		scorch_rt_unlock(b);
	}
	G.sync_flush = 1;
	scorch_rt_guard = g;
}

static const char *rt_env(const char *name)
{
	const char *v = getenv(name);
	return v && *v ? v : NULL;
}

static long rt_atol(const char *s, long dflt)
{
	if (!s)
		return dflt;
	long v = 0;
	for (; *s >= '0' && *s <= '9'; s++)
		v = v * 10 + (*s - '0');
	return v;
}

/* Reads /proc/self/cmdline into buf (NUL-separated argv). */
static size_t rt_read_cmdline(char *buf, size_t n)
{
	int fd = open("/proc/self/cmdline", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	size_t got = 0;
	while (got < n) {
		ssize_t r = read(fd, buf + got, n - got);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		got += (size_t)r;
	}
	close(fd);
	return got;
}

/* Creates and maps this image's watermark page (raw.PID.SEQ.wm, see
 * "Watermarks"), before the stream's header: a launcher that reads the
 * header finds it. Without it (no memory, no space) the launcher merges
 * threads at exit as it always could. */
static void rt_wm_open(void)
{
	char path[sizeof(G.path) + 4];
	char *e = path + scorch_rt_strlcpy(path, G.path, sizeof(G.path));
	memcpy(e, ".wm", 4);
	G.wm = NULL;
	int fd = scorch_rt_open_in_dir(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0)
		return;
	/* Written, not just sized: a store into a page of a sparse file that
	 * the disk has no room for kills the program with SIGBUS. */
	static const uint8_t zero[4096];
	size_t done = 0;
	while (done < RAW_WM_SIZE && rt_write_all(fd, zero, sizeof(zero)) == sizeof(zero))
		done += sizeof(zero);
	void *m = done >= RAW_WM_SIZE
		? mmap(NULL, RAW_WM_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0) : MAP_FAILED;
	close(fd);
	if (m == MAP_FAILED) {
		unlink(path);
		return;
	}
	fmt_put_u32le((uint8_t *)m + 4, RAW_WM_SLOTS);
	fmt_put_u32le((uint8_t *)m, RAW_WM_MAGIC);
	G.wm = m;
	atomic_store_explicit(&rt_wm_written, 0, memory_order_relaxed);
	uint64_t ns = (uint64_t)RAW_WM_AGE_MS * 1000000u;
	G.wm_age = G.tsc && G.tick_fs ? ns * 1000000u / G.tick_fs : ns;
}

/* Creates this image's raw file (raw.PID.SEQ: an exec keeps the pid) and
 * writes the file header and the PROC record. */
/* The pid and parent pid the launcher knows this process by. In a pid
 * namespace of its own (unshare, a container runtime) getpid() is 1 or so:
 * its stream was named raw.1.N, two such processes were taken for one and
 * its exec images, and the launcher's RSS reads went to the real pid 1.
 * /proc, as the launcher mounted it, has both in its namespace: the first
 * NSpid and the PPid of /proc/self/status. Otherwise getpid()'s. */
static void rt_outer_pids(uint64_t *pid, uint64_t *ppid)
{
	*pid = (uint64_t)G.pid;
	*ppid = (uint64_t)getppid();
	int fd = open("/proc/self/status", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	static char st[4096];
	ssize_t n = read(fd, st, sizeof(st) - 1);
	close(fd);
	if (n <= 0)
		return;
	st[n] = 0;
	char *ns = strstr(st, "\nNSpid:"), *pp = strstr(st, "\nPPid:");
	if (!ns || !pp)
		return;
	uint64_t outer = 0, inner = 0, par = 0;
	int levels = 0;
	for (char *c = ns + 7; *c && *c != '\n'; c++) {
		if (*c < '0' || *c > '9')
			continue;
		uint64_t v = 0;
		for (; *c >= '0' && *c <= '9'; c++)
			v = v * 10 + (uint64_t)(*c - '0');
		if (levels++ == 0)
			outer = v;
		inner = v;
		if (!*c || *c == '\n')
			break;
	}
	for (char *c = pp + 6; *c == ' ' || *c == '\t' || (*c >= '0' && *c <= '9'); c++)
		if (*c >= '0' && *c <= '9')
			par = par * 10 + (uint64_t)(*c - '0');
	/* only a nested namespace, seen through the launcher's /proc */
	if (levels > 1 && inner == (uint64_t)G.pid && outer) {
		*pid = outer;
		*ppid = par;
	}
}

static int rt_open_stream(uint32_t proc_flags)
{
	uint64_t opid, oppid;
	rt_outer_pids(&opid, &oppid);
	char *p = G.path + scorch_rt_strlcpy(G.path, G.dir, sizeof(G.path) - 64);
	p = stpcpy(p, "/raw.");
	p = scorch_rt_utoa(p, opid);
	*p++ = '.';
	int fd = -1;
	for (int seq = 0; seq < 1000 && fd < 0; seq++) {
		char *e = scorch_rt_utoa(p, (uint64_t)seq);
		*e = 0;
		fd = scorch_rt_open_in_dir(G.path, O_WRONLY | O_CREAT | O_EXCL | O_APPEND | O_CLOEXEC, 0600);
		if (fd < 0 && errno != EEXIST)
			return -1;
	}
	if (fd < 0)
		return -1;
	/* keep clear of the low descriptors programs like to dup2 onto */
	fd = scorch_rt_fd_high(fd);
	struct stat st;
	if (fstat(fd, &st) != 0) {
		close(fd);
		return -1;
	}
	G.fd = fd;
	G.file_dev = st.st_dev;
	G.file_ino = st.st_ino;
	/* Only heap events need the watermark (finalize streams them in time
	 * order across threads); CPU samples and zones are not merged while
	 * the program runs, and flushing every 10 ms would cost a sampled
	 * program a write(2) per thread that often. */
	G.wm = NULL;
	if (G.heap)
		rt_wm_open();

	static uint8_t hdr[RAW_FILE_HDR];
	memcpy(hdr, RAW_MAGIC, 8);
	fmt_put_u64le(hdr + 8, scorch_rt_ns());
	fmt_put_u64le(hdr + 16, scorch_rt_now());
	fmt_put_u64le(hdr + 24, G.tsc ? G.tick_fs : 0);
	if (rt_write_all(fd, hdr, sizeof(hdr)) != sizeof(hdr))
		return -1;
	G.fd_low = fd < RT_FD_HIGH;
	if (G.fd_low) {   /* see rt_stream_write */
		close(fd);
		G.fd = -1;
	}

	/* all of argv that fits one chunk with the record's other fields (an
	 * 8 KiB buffer cut a command of 100 KB at 8,182 bytes) */
	static char cmdline[RT_BUF_SIZE - RAW_CHUNK_HDR - RAW_PROC_MAX(sizeof(G.exe), 0)];
	size_t clen = rt_read_cmdline(cmdline, sizeof(cmdline));
	struct timespec rts;
	clock_gettime(CLOCK_REALTIME, &rts);
	struct rt_buf *b = scorch_rt_self();
	if (!b)
		return -1;
	scorch_rt_lock(b);
	uint64_t t = scorch_rt_now();
	size_t exelen = strnlen(G.exe, sizeof(G.exe));
	uint8_t *q = scorch_rt_reserve(b, RAW_PROC_MAX(exelen, clen));
	q = raw_put_proc(q, &(struct raw_proc){
		.dt = rt_dt(b, t), .pid = opid, .ppid = oppid,
		.flags = proc_flags | (G.heap ? RAW_PROC_HEAP : 0) | (G.cpu ? RAW_PROC_CPU : 0) |
			 (G.wall ? RAW_PROC_WALL : 0),
		.depth = (uint64_t)G.depth,
		.realtime = (uint64_t)rts.tv_sec * 1000000000u + (uint64_t)rts.tv_nsec,
		.exe = G.exe, .exe_len = (uint32_t)exelen, .argv = cmdline, .argv_len = (uint32_t)clen });
	scorch_rt_commit(b, q, t);
	/* the PROC record should be on disk even if the program dies at once */
	scorch_rt_flush(b);
	scorch_rt_unlock(b);
	return 0;
}

static void rt_atfork_child(void)
{
	if (atomic_load(&G.state) != RT_ACTIVE)
		return;
	G.pid = getpid();
	/* the parent's watermark page is shared with it: not ours to write */
	if (G.wm)
		munmap(G.wm, RAW_WM_SIZE);
	G.wm = NULL;
	/* Other threads do not exist here, and their buffered records belong to
	 * the parent, which flushes them; so do ours. The new file knows no
	 * stacks or modules yet. */
	for (struct rt_buf *b = atomic_load(&G.bufs); b; b = b->next) {
		b->wm = NULL;
		b->wm_none = 0;
		atomic_store(&b->lock, 0);
		b->len = 0;
		b->flush_asap = 0;
		scorch_rt_dedup_clear(b);
		if (b != tl_buf)
			atomic_store(&b->in_use, 0);
	}
	/* a new thread id; the other levels' buffers were handed back above */
	scorch_rt_tls.tid = rt_gettid();
	scorch_rt_tls.exiting = 0;
	for (int l = 1; l < RT_NEST; l++)
		scorch_rt_tls.lv[l] = NULL;
	scorch_rt_modules_reset();
	atomic_store(&G.lost_chunks, 0);
	atomic_store(&G.lost_bytes, 0);
	atomic_store(&G.lost_reported_chunks, 0);
	atomic_store(&G.lost_reported_bytes, 0);
	atomic_store(&G.lost_events, 0);
	atomic_store(&G.lost_reported_events, 0);
	G.have_exit_status = 0;
	G.sync_flush = 0;
	if (!G.follow) {
		scorch_rt_disable(NULL);
		return;
	}
	int g = scorch_rt_guard;
	scorch_rt_guard = 1;
	if (G.fd >= 0)
		close(G.fd);
	G.fd = -1;
	struct rt_buf *self = tl_buf;
	if (self) {
		/* the buffer now speaks for a new thread id in a new file */
		tl_buf = NULL;
		atomic_store(&self->in_use, 0);
	}
	if (rt_open_stream(RAW_PROC_FORKED) != 0)
		scorch_rt_disable("cannot create the profile stream of a forked child; it runs unrecorded");
	else if (G.cpu)
		scorch_rt_sample_fork_child();
	scorch_rt_zone_fork_child();
	scorch_rt_guard = g;
}

/* A child made by a raw clone/clone3 system call (no atfork handlers ran):
 * what fork's child handler does (rt-lifecycle.c's syscall()). */
void scorch_rt_raw_fork_child(void)
{
	rt_atfork_child();
}

/* Reads the launcher's settings. Called once, from the first hook that runs
 * (libraries allocate in their constructors before ours would run) or from
 * our constructor, whichever comes first. */
void scorch_rt_init(void)
{
	int expect = RT_UNINIT;
	if (!atomic_compare_exchange_strong(&G.state, &expect, RT_INITING))
		return;
	int g = scorch_rt_guard;
	scorch_rt_guard = 1;
	const char *dir = rt_env("SCORCH_DIR");
	const char *mode = rt_env("SCORCH_MODE");
	if (!dir || !mode) {
		atomic_store(&G.state, RT_OFF);
		scorch_rt_guard = g;
		return;
	}
	G.pid = getpid();
	G.heap = strstr(mode, "heap") != NULL;
	G.cpu = strstr(mode, "cpu") != NULL;
	G.wall = G.cpu && strstr(mode, "wall") != NULL;
	long hs = G.heap ? rt_atol(rt_env("SCORCH_HEAP_SAMPLE"), 0) : 0;
	G.heap_sample = hs > 0 ? (uint64_t)hs : 0;
	G.hz = rt_atol(rt_env("SCORCH_HZ"), 999);
	/* the launcher gives a TSC rate exactly when time stamps are TSC ticks */
	G.tick_fs = (uint64_t)rt_atol(rt_env("SCORCH_TICK_FS"), 0);
	G.tsc = G.tick_fs != 0;
	G.follow = rt_atol(rt_env("SCORCH_FOLLOW"), 1) != 0;
	G.depth = (int)rt_atol(rt_env("SCORCH_DEPTH"), 128);
	if (G.depth < 1)
		G.depth = 1;
	if (G.depth > RT_MAX_DEPTH)
		G.depth = RT_MAX_DEPTH;
	long root = rt_atol(rt_env("SCORCH_ROOT_PID"), 0);
	if (!G.follow && root && root != G.pid) {
		atomic_store(&G.state, RT_OFF);
		scorch_rt_guard = g;
		return;
	}
	scorch_rt_strlcpy(G.dir, dir, sizeof(G.dir));
	rt_dir_open();
	scorch_rt_env_snapshot();
	ssize_t n = readlink("/proc/self/exe", G.exe, sizeof(G.exe) - 1);
	G.exe[n > 0 ? n : 0] = 0;
	atomic_store(&G.next_stack_id, 1);
	scorch_rt_find_self();
	if (pthread_key_create(&rt_key, rt_thread_exit) != 0) {
		scorch_rt_guard = g;
		scorch_rt_disable("cannot create a thread key; recording is off");
		return;
	}
	pthread_atfork(NULL, NULL, rt_atfork_child);
	atomic_store(&G.state, RT_ACTIVE);
	if (rt_open_stream(0) != 0) {
		scorch_rt_guard = g;
		scorch_rt_disable("cannot create the recording stream (disk full, or the directory is gone); the program runs unrecorded");
		return;
	}
	scorch_rt_signals_install();
	int sampling = G.cpu ? scorch_rt_sample_init() : 0;
	if (sampling)
		G.cpu = 0;   /* > 0: not sampled on purpose, and said why */
	if (sampling < 0)
		scorch_rt_write_err("cannot sample CPU time here (perf events and CPU-time timers refused)");
	scorch_rt_zone_init();
	if (G.heap)
		scorch_rt_alloc_check();
	atomic_store(&G.ready, 1);
	scorch_rt_guard = g;
}

__attribute__((constructor)) static void rt_ctor(void)
{
	if (!REAL.malloc)
		scorch_rt_resolve();
	scorch_rt_init();
}

__attribute__((destructor)) static void rt_dtor(void)
{
	scorch_rt_final(G.have_exit_status ? EXIT_NORMAL : EXIT_UNKNOWN, G.exit_status);
}
