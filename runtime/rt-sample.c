/* CPU sampling inside the target: every thread gets its own perf_event
 * cpu-clock counter (task-clock, then a CPU-time POSIX timer, when refused)
 * whose overflow signals that very thread. The handler unwinds the
 * interrupted context, dedupes the stack in the thread's sample buffer (apart
 * from the heap buffer, which the interrupted code may hold) and appends a
 * SAMPLE record. Nothing here allocates or takes a lock that the interrupted
 * code could hold.
 *
 * How the overflow becomes a signal: by default the counter is opened with
 * perf's `sigtrap` (Linux 5.13+): the kernel queues the signal as task work
 * that runs on the thread's way back to user space, a SIGTRAP with si_code
 * TRAP_PERF and our tag in si_perf_data. The SIGTRAP handler of rt-lifecycle.c
 * hands those to on_sample and everything else to the program. The older way,
 * F_SETSIG + F_SETOWN_EX on an O_ASYNC descriptor (a real-time signal), has
 * the kernel raise an interrupt to itself to send each signal: on this
 * project's VMs that cost 20 us a sample against 3 us, more than the timer
 * interrupt itself (bench/cpu-cost.sh). It remains the fallback, for kernels
 * without sigtrap and SCORCH_SAMPLE_SIGNAL=rt. Programs that install their
 * own SIGTRAP handler through libc (the Go runtime under cgo does, for every
 * signal) get it kept by rt-lifecycle.c, which runs it for their own traps;
 * a real-time signal has no such keeper: Go takes it over and drops the
 * samples. A process traced by a debugger or strace is not sampled at all. */
#define UNW_LOCAL_ONLY
#include <libunwind.h>

#include "rt.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/perf_event.h>
#include <pthread.h>
#include <signal.h>
#include <ucontext.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "../format/raw.h"
#include "../format/rawrec.h"
#include "../format/varint.h"

static __thread int tl_pfd __attribute__((tls_model("initial-exec"))) = -1;
static __thread int tl_has_timer __attribute__((tls_model("initial-exec")));
static __thread timer_t tl_timer __attribute__((tls_model("initial-exec")));
static __thread struct rt_buf *tl_sbuf __attribute__((tls_model("initial-exec")));
static __thread volatile int tl_in_handler __attribute__((tls_model("initial-exec")));
static __thread unsigned tl_since_refresh __attribute__((tls_model("initial-exec")));
/* CPU time of timer signals that could not be taken as samples (the
 * buffer busy, a signal inside the handler): the next sample carries it, so
 * a timer-driven profile's on-CPU time stays the CPU time used. A timer
 * fires only at the kernel's tick, so each signal can stand for tens of ms
 * on a busy machine, where one run's on-CPU samples once held 100 ms of the
 * 409 ms of CPU it used (2 samples; a signal lost this way is the likely
 * cause, not a proven one). */
static __thread uint64_t tl_timer_carry __attribute__((tls_model("initial-exec")));
static __thread uint64_t tl_last_signal __attribute__((tls_model("initial-exec")));
/* set once the runtime has started (or stopped) sampling this thread itself:
 * only a thread it never saw may adopt a counter armed from outside */
static __thread int tl_known __attribute__((tls_model("initial-exec")));
/* Two overflows of a thread's CPU-time counter are a period of CPU time, so
 * at least a period of real time, apart. Signals closer than an eighth of
 * that were queued while the thread had the signal blocked and are handled
 * back to back at the unblock: their stacks would all be the unblock site,
 * so they are not taken as samples. In clock ticks. */
static uint64_t stale_gap;
/* A sample buffer is written out when its oldest record is this old (in
 * ticks), not only when full, so the launcher can symbolize as the program
 * runs: at 1 kHz a 64 KiB buffer would otherwise hold seconds of samples. */
static uint64_t flush_age;
#define SAMPLE_FLUSH_NS 250000000ull

/* The counter may overflow REFRESH_MAX times before it must be refreshed; the
 * handler tops it up by REFRESH_STEP every REFRESH_STEP signals. Re-arming it
 * on every sample (REFRESH 1) made the kernel disable the counter after each
 * overflow and re-enable it through a cross-call in the ioctl, which cost more
 * than the rest of the sample together on a VM. With a budget, a thread that
 * blocks the signal gets at most REFRESH_MAX signals queued before its counter
 * stops itself; the first one handled after that tops it up again. */
#define REFRESH_MAX 64
#define REFRESH_STEP 32

static int sample_sig;
static uint64_t period_ns;
static int main_source;
/* why the kernel refused a perf counter, when it did (the first refusal) */
static int perf_errno;

/* Counters raise SIGTRAP (perf sigtrap) while this is set; cleared for good
 * when the kernel refuses a sigtrap counter it accepts without. */
static _Atomic int trap_ok;
/* si_perf_data of our counters' SIGTRAPs ("scorch" in ASCII, then 1) */
#define TRAP_TAG 0x73636f7263680001ull
#ifndef TRAP_PERF
#define TRAP_PERF 6
#endif
#ifndef TRAP_PERF_FLAG_ASYNC
#define TRAP_PERF_FLAG_ASYNC 1u
#endif
/* siginfo_t's _sigfault._perf fields, which glibc 2.36 does not name: after
 * si_signo, si_errno, si_code, padding and si_addr come the perf data (a
 * long), the event type and the flags (two 32-bit words). */
struct trap_info {
	int signo, err, code, pad;
	void *addr;
	unsigned long data;
	uint32_t type, flags;
};
_Static_assert(sizeof(struct trap_info) <= sizeof(siginfo_t), "siginfo layout");

/* Counters armed from outside on threads that were running before the
 * runtime started (arm_others): a SIGTRAP carries no descriptor, so the
 * thread finds its own here at its first sample. */
#define ARMED_MAX 1024
static struct {
	_Atomic uint32_t tid;
	int fd;
} armed[ARMED_MAX];

static int perf_open(uint32_t tid, int config, int exclude_kernel, int trap)
{
	struct perf_event_attr a;
	memset(&a, 0, sizeof(a));
	a.size = sizeof(a);
	a.type = PERF_TYPE_SOFTWARE;
	a.config = (uint64_t)config;
	a.sample_period = period_ns;
	a.disabled = 1;
	a.exclude_kernel = (uint64_t)exclude_kernel;
	a.exclude_hv = 1;
	if (trap) {
		a.sigtrap = 1;
		a.remove_on_exec = 1;   /* required with sigtrap; exec closes it anyway */
		a.sig_data = TRAP_TAG;
	}
	return (int)scorch_rt_sys(SYS_perf_event_open, &a, (pid_t)tid, -1, -1, PERF_FLAG_FD_CLOEXEC);
}

/* A perf counter on thread tid whose overflows signal that thread, running
 * (with a full budget, for the real-time signal). Returns the descriptor and
 * sets *src, or -1. */
static int perf_arm(uint32_t tid, int *src)
{
	static const int configs[] = { PERF_COUNT_SW_CPU_CLOCK, PERF_COUNT_SW_TASK_CLOCK };
	for (int c = 0; c < 2; c++) {
		for (int ek = 0; ek < 2; ek++) {
			int trap = atomic_load(&trap_ok);
			int fd = perf_open(tid, configs[c], ek, trap);
			if (fd < 0 && trap) {
				/* refused with sigtrap but not without: an older kernel */
				fd = perf_open(tid, configs[c], ek, 0);
				if (fd >= 0)
					atomic_store(&trap_ok, 0);
				trap = 0;
			}
			if (fd < 0) {
				if (!perf_errno)
					perf_errno = errno;
				continue;
			}
			/* keep clear of the descriptors the program uses; under a
			 * hard limit below them a counter would take one of the
			 * program's: the CPU-time timer needs none */
			fd = scorch_rt_fd_high(fd);
			if (fd < RT_FD_HIGH) {
				close(fd);
				if (!perf_errno)
					perf_errno = EMFILE;
				return -1;
			}
			*src = c == 0 ? CPU_SRC_PERF_CPU_CLOCK : CPU_SRC_PERF_TASK_CLOCK;
			if (trap) {
				ioctl(fd, PERF_EVENT_IOC_RESET, 0);
				ioctl(fd, PERF_EVENT_IOC_ENABLE, 0);
				scorch_rt_fd_own(fd, 1);
				return fd;
			}
			struct f_owner_ex own = { F_OWNER_TID, (pid_t)tid };
			if (fcntl(fd, F_SETFL, O_ASYNC) != 0 || fcntl(fd, F_SETSIG, sample_sig) != 0 ||
			    fcntl(fd, F_SETOWN_EX, &own) != 0) {
				close(fd);
				continue;
			}
			ioctl(fd, PERF_EVENT_IOC_RESET, 0);
			ioctl(fd, PERF_EVENT_IOC_REFRESH, REFRESH_MAX);
			scorch_rt_fd_own(fd, 1);
			return fd;
		}
	}
	return -1;
}

/* The counter of this thread, or a CPU-time timer. Returns the source. */
static int arm_thread(void)
{
	uint32_t tid = (uint32_t)scorch_rt_sys(SYS_gettid);
	int src;
	int fd = perf_arm(tid, &src);
	if (fd >= 0) {
		tl_pfd = fd;
		tl_since_refresh = 0;
		return src;
	}
	struct sigevent ev;
	memset(&ev, 0, sizeof(ev));
	ev.sigev_notify = SIGEV_THREAD_ID;
	ev.sigev_signo = sample_sig;
	ev._sigev_un._tid = (pid_t)tid;
	if (timer_create(CLOCK_THREAD_CPUTIME_ID, &ev, &tl_timer) != 0)
		return 0;
	struct itimerspec its;
	its.it_interval.tv_sec = (time_t)(period_ns / 1000000000u);
	its.it_interval.tv_nsec = (long)(period_ns % 1000000000u);
	its.it_value = its.it_interval;
	if (timer_settime(tl_timer, 0, &its, NULL) != 0) {
		timer_delete(tl_timer);
		return 0;
	}
	tl_has_timer = 1;
	return CPU_SRC_TIMER;
}

static void disarm_thread(void)
{
	if (tl_pfd >= 0) {
		ioctl(tl_pfd, PERF_EVENT_IOC_DISABLE, 0);
		scorch_rt_fd_own(tl_pfd, 0);
		close(tl_pfd);
		tl_pfd = -1;
	}
	if (tl_has_timer) {
		timer_delete(tl_timer);
		tl_has_timer = 0;
	}
}

/* Sample stacks live in the sample buffer's own table; the hash is salted so
 * a sample stack never collides with a heap stack of the same frames (their
 * first frame means different things). async-signal-safe */
static uint32_t sample_intern(struct rt_buf *b, void **ips, int n, unsigned flags)
{
	uint64_t h = scorch_rt_stack_hash(ips, n) ^ (flags & RAW_STACK_EXACT_PC ? 0x5a5a5a5a5a5a5a5aULL : 0);
	return scorch_rt_stack_add(b, h ? h : 1, ips, n, flags);
}

/* In the signal handler of a thread that was running before the runtime
 * started (armed from outside by arm_others): its first sample gives it a
 * heap buffer (with its THREAD record; the buffer's key flushes it when the
 * thread exits), a sample buffer and the counter's descriptor. Only called
 * outside the runtime's own code (guard clear). */
static struct rt_buf *adopt_thread(int fd)
{
	if (atomic_load_explicit(&G.state, memory_order_relaxed) != RT_ACTIVE || fd < 0)
		return NULL;
	scorch_rt_guard = 1;
	scorch_rt_self();
	struct rt_buf *b = scorch_rt_buf_new();
	scorch_rt_guard = 0;
	if (!b)
		return NULL;
	tl_known = 1;
	tl_pfd = fd;
	tl_since_refresh = 0;
	tl_sbuf = b;
	return b;
}

/* The descriptor arm_others opened for thread tid, or -1. async-signal-safe */
static int armed_fd(uint32_t tid)
{
	for (int i = 0; i < ARMED_MAX; i++)
		if (atomic_load_explicit(&armed[i].tid, memory_order_acquire) == tid)
			return armed[i].fd;
	return -1;
}

/* Frames the handler itself adds above the interrupted one: on_sample,
 * rt-lifecycle's SIGTRAP handler, the signal frame, with room to spare. */
#define HANDLER_FRAMES 8

/* The stack of the interrupted context into ips (room for G.depth +
 * HANDLER_FRAMES): the interrupted PC first, then return addresses. Sets
 * *leaf_only (and returns 1, the PC alone) when the stack could not be taken
 * without a lock: libunwind needed a module lookup that cannot be answered
 * lock-free here (rt-stack.c; not on glibc 2.35+).
 *
 * unw_backtrace, from here: libunwind's fast path keeps a per-thread cache
 * of how to step over each PC, so a warm stack unwinds without a lock. A
 * cursor stepped from the signal context (unw_init_local2) takes libunwind's
 * global cache lock at every frame, and with it two sigprocmask calls: 8 or
 * more system calls a sample, a third of its cost on a VM. The handler's own
 * frames above the interrupted PC are then dropped. When the PC is not among
 * the first frames (the fast path gave up early), the cursor it is.
 *
 * The cursor also when the interrupted code is itself inside libunwind (a
 * heap hook's or off-CPU record's unwind, or the program's own use): the
 * fast path's cache is per thread and not reentrant (a lookup that grows it
 * unmaps the table the interrupted call is writing to). Its cache lock is
 * safe to wait for: whoever holds it has every signal blocked, so it is not
 * this thread, and it waits for nothing itself (module lookups take no lock).
 * And the cursor when lookups are not lock-free, so that a refused lookup
 * does not stay in that cache as a frame without unwind information.
 * async-signal-safe */
static int unwind_interrupted(void **ips, const ucontext_t *uc, int *leaf_only)
{
	void *pc = (void *)uc->uc_mcontext.gregs[REG_RIP];
	int n = 0;
	scorch_rt_sampling = 1;
	scorch_rt_unw_refused = 0;
	if (!scorch_rt_unwinding && scorch_rt_unw_lockfree &&
	    !((uintptr_t)pc >= G.unw_lo && (uintptr_t)pc < G.unw_hi)) {
		int got = unw_backtrace(ips, G.depth + HANDLER_FRAMES);
		for (int at = 0; at < got && at < HANDLER_FRAMES; at++) {
			if (ips[at] != pc)
				continue;
			n = got - at < G.depth ? got - at : G.depth;
			memmove(ips, ips + at, (size_t)n * sizeof(*ips));
			goto done;
		}
	}
	unw_cursor_t c;
	if (unw_init_local2(&c, (unw_context_t *)(uintptr_t)uc, UNW_INIT_SIGNAL_FRAME) == 0) {
		do {
			unw_word_t ip;
			if (unw_get_reg(&c, UNW_REG_IP, &ip) != 0 || !ip)
				break;
			ips[n++] = (void *)ip;
		} while (n < G.depth && unw_step(&c) > 0);
	}
done:
	scorch_rt_sampling = 0;
	*leaf_only = scorch_rt_unw_refused;
	if (*leaf_only) {
		ips[0] = pc;
		n = 1;
	}
	return n;
}

/* async-signal-safe */
/* stack a sample's unwinding may take (on_sample) */
#define SAMPLE_ROOM (32 * 1024)

static void on_sample(int sig, siginfo_t *si, void *uctx)
{
	int saved = errno;
	struct rt_buf *b = tl_sbuf;
	int trap = sig == SIGTRAP;
	if (trap) {
		if (!b && !tl_known && !scorch_rt_guard && !tl_in_handler)
			b = adopt_thread(armed_fd((uint32_t)scorch_rt_sys(SYS_gettid)));
		/* sent while the thread had SIGTRAP blocked: it arrives at the
		 * unblock, far from where the time was spent; unless the
		 * block was the runtime's own (a chunk written, a few tens of
		 * microseconds) and this is its end, in the same call: taken,
		 * or every chunk write was a lost sample (bench/zone-calls:
		 * 87-95% of the rate) */
		if ((((const struct trap_info *)(const void *)si)->flags & TRAP_PERF_FLAG_ASYNC) &&
		    !scorch_rt_unblocking) {
			errno = saved;
			return;
		}
	} else if (!b && !tl_known && si && (si->si_code == POLL_IN || si->si_code == POLL_HUP) &&
		   !scorch_rt_guard && !tl_in_handler) {
		b = adopt_thread(si->si_fd);
	}
	if (!trap && tl_pfd >= 0) {
		/* POLL_HUP: this overflow used up the budget and stopped the counter */
		if (si && si->si_code == POLL_HUP) {
			ioctl(tl_pfd, PERF_EVENT_IOC_REFRESH, REFRESH_MAX);
			tl_since_refresh = 0;
		} else if (++tl_since_refresh >= REFRESH_STEP) {
			ioctl(tl_pfd, PERF_EVENT_IOC_REFRESH, REFRESH_STEP);
			tl_since_refresh = 0;
		}
	}
	if (!b || tl_in_handler || atomic_load_explicit(&G.state, memory_order_relaxed) != RT_ACTIVE) {
		/* a CPU-time timer's signal stands for the CPU time since the
		 * last one: not taken, that time goes to the next sample */
		if (b && tl_has_timer) {
			int over = timer_getoverrun(tl_timer);
			tl_timer_carry += period_ns * (uint64_t)(over > 0 ? over + 1 : 1);
		}
		errno = saved;
		return;
	}
	/* On an alternate stack of the program's with less than SAMPLE_ROOM
	 * left below (Rust's of 8 KiB, where its stack-overflow handler prints
	 * and aborts): unwinding there would overflow it, and the fault would
	 * kill the process unflushed (t063). Such a sample is dropped. */
	stack_t ss;
	if (scorch_rt_sys(SYS_sigaltstack, NULL, &ss) == 0 && (ss.ss_flags & SS_ONSTACK) &&
	    !scorch_rt_on_own_alt() &&
	    (uintptr_t)__builtin_frame_address(0) - (uintptr_t)ss.ss_sp < SAMPLE_ROOM) {
		errno = saved;
		return;
	}
	uint64_t t = scorch_rt_now();
	uint64_t last = tl_last_signal;
	tl_last_signal = t;
	if (tl_pfd >= 0 && last && t - last < stale_gap) {
		errno = saved;
		return;
	}
	tl_in_handler = 1;
	int g = scorch_rt_guard;
	scorch_rt_guard = 1;
	uint64_t weight = period_ns;
	if (tl_has_timer) {
		int over = timer_getoverrun(tl_timer);
		if (over > 0)
			weight *= (uint64_t)over + 1;
		weight += tl_timer_carry;
		tl_timer_carry = 0;
	}
	/* G.depth frames (128 unless asked): the handler runs on whatever
	 * stack the thread was on, so it takes no more of it than it needs */
	void *ips[G.depth + HANDLER_FRAMES];
	int leaf_only;
	int n = unwind_interrupted(ips, (const ucontext_t *)uctx, &leaf_only);
	/* Interrupted inside the runtime (a heap hook unwinding, a zone being
	 * written): keep the innermost frames up to and including the hook's
	 * own, so the time shows as scorch's (malloc in libscorch.so, libunwind
	 * above it) rather than as a libunwind leaf on the program's code. The
	 * runtime's frames further out (the thread trampoline) still go. */
	int keep = 0;
	if (g) {
		while (keep < n && !scorch_rt_is_self(ips[keep]))
			keep++;
		while (keep < n && scorch_rt_is_self(ips[keep]))
			keep++;
	}
	n = keep + scorch_rt_drop_self(ips + keep, n - keep);
	/* the only other holder of this lock is a flush at exit or exec: then
	 * the sample is simply not taken */
	if (!scorch_rt_trylock(b)) {
		if (tl_has_timer)
			tl_timer_carry += weight;
	} else {
		uint32_t id = sample_intern(b, ips, n, RAW_STACK_EXACT_PC);
		uint8_t *p = scorch_rt_reserve(b, RAW_SAMPLE_MAX);
		p = raw_put_sample(p, &(struct raw_sample){ (int64_t)(t - b->last_time), id,
							    weight > UINT32_MAX ? UINT32_MAX : weight,
							    leaf_only ? RAW_SAMPLE_LEAF_ONLY : 0 });
		scorch_rt_commit(b, p, t);
		/* signed: t was read before the unwind, and a buffer this sample
		 * found empty took its base time after that; unsigned, the
		 * difference wrapped and every such sample was written at once
		 * (an fstat and a write per sample) */
		if ((int64_t)(t - b->base_time) > (int64_t)flush_age)
			scorch_rt_flush(b);
		scorch_rt_unlock(b);
	}
	scorch_rt_guard = g;
	tl_in_handler = 0;
	errno = saved;
}

int scorch_rt_sample_trap(siginfo_t *si, void *uctx)
{
	const struct trap_info *ti = (const void *)si;
	if (!si || si->si_code != TRAP_PERF || ti->data != (unsigned long)TRAP_TAG)
		return 0;
	on_sample(SIGTRAP, si, uctx);
	return 1;
}

/* Starts sampling the calling thread: its sample buffer (with a THREAD
 * record), the modules as they are now, and its counter. */
void scorch_rt_sample_thread_start(void)
{
	if (!G.cpu || tl_sbuf || atomic_load(&G.state) != RT_ACTIVE)
		return;
	tl_known = 1;
	int g = scorch_rt_guard;
	scorch_rt_guard = 1;
	struct rt_buf *self = scorch_rt_self();   /* heap buffer: THREAD record, modules */
	if (self)
		scorch_rt_modules_scan(self);
	tl_sbuf = scorch_rt_buf_new();
	/* libunwind's per-thread trace cache is made at the first unw_backtrace
	 * (pthread_setspecific, mmap): here, not in the first sample's handler */
	void *warm[4];
	unw_backtrace(warm, 4);
	int src = tl_sbuf ? arm_thread() : 0;
	if (!main_source)
		main_source = src;
	scorch_rt_guard = g;
}

/* Stops it: the counter first, then the buffer is flushed and given back. */
void scorch_rt_sample_thread_stop(void)
{
	if (!tl_sbuf)
		return;
	disarm_thread();
	struct rt_buf *b = tl_sbuf;
	scorch_rt_lock(b);
	tl_sbuf = NULL;
	scorch_rt_flush(b);
	scorch_rt_unlock(b);
	scorch_rt_buf_release(b);
}

/* Around exec (rt-lifecycle.c): before it, this thread's counter stops (a
 * signal sent during the exec would reach the new image before it has a
 * handler); if the exec failed, it starts again. */
void scorch_rt_sample_exec(int failed)
{
	if (!tl_sbuf)
		return;
	if (!failed)
		disarm_thread();
	else if (tl_pfd < 0 && !tl_has_timer)
		arm_thread();
}

static void cpu_record(uint64_t hz);

/* After fork, in the child: the counters and timers of the parent's thread
 * are not this thread's; start over (the buffers were reset by the caller).
 * The child's new stream says how it is sampled too: without it the
 * profile's source was "unknown" at 0 Hz, and a --wall profile had no
 * off-CPU samples (they are spread at that rate). */
void scorch_rt_sample_fork_child(void)
{
	tl_pfd = -1;   /* the inherited descriptor counts the parent's thread */
	tl_has_timer = 0;
	tl_sbuf = NULL;
	tl_in_handler = 0;
	scorch_rt_sample_thread_start();
	if (main_source)
		cpu_record((uint64_t)(G.hz > 0 ? G.hz : 999));
}

/* Threads already running when the runtime starts (started by another
 * library's constructor, say) did not come through pthread_create's hook:
 * arm a counter on each from here; each adopts it at its first signal. */
static void arm_others(void)
{
	int dfd = open("/proc/self/task", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return;
	uint32_t self = (uint32_t)scorch_rt_sys(SYS_gettid);
	char buf[4096];
	long n;
	while ((n = scorch_rt_sys(SYS_getdents64, dfd, buf, sizeof(buf))) > 0) {
		for (long off = 0; off < n;) {
			struct rt_dirent {
				uint64_t ino;
				int64_t off;
				unsigned short reclen;
				unsigned char type;
				char name[];
			} *d = (struct rt_dirent *)(buf + off);
			off += d->reclen;
			uint32_t tid = 0;
			const char *c = d->name;
			for (; *c >= '0' && *c <= '9'; c++)
				tid = tid * 10 + (uint32_t)(*c - '0');
			if (*c || !tid || tid == self)
				continue;
			int src, fd = perf_arm(tid, &src);
			for (int i = 0; fd >= 0 && i < ARMED_MAX; i++) {
				if (!atomic_load(&armed[i].tid)) {
					armed[i].fd = fd;
					atomic_store_explicit(&armed[i].tid, tid, memory_order_release);
					break;
				}
			}
		}
	}
	close(dfd);
}

/* Whether this process is being traced (TracerPid in /proc/self/status). */
static int traced(void)
{
	int fd = open("/proc/self/status", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	char buf[4096];
	ssize_t n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = 0;
	const char *p = strstr(buf, "\nTracerPid:");
	if (!p)
		return 0;
	for (p += 12; *p == ' ' || *p == '\t'; p++)
		;
	return *p >= '1' && *p <= '9';
}

/* SIGTRAP delivery unless told otherwise (see the top). */
static int trap_wanted(void)
{
	const char *v = getenv("SCORCH_SAMPLE_SIGNAL");
	return !(v && !strcmp(v, "rt"));
}

/* Says once which clock samples this process (RAW_CPU), at once. */
static void cpu_record(uint64_t hz)
{
	struct rt_buf *b = scorch_rt_self();
	if (!b)
		return;
	scorch_rt_lock(b);
	uint64_t t = scorch_rt_now();
	uint8_t *p = scorch_rt_reserve(b, RAW_CPU_MAX + RAW_PCPU_MAX + RAW_CPU_REFUSED_MAX);
	p = raw_put_cpu(p, &(struct raw_cpu){ (int64_t)(t - b->last_time), hz, (uint64_t)main_source });
	/* the process's CPU time so far: an exec'd image's share of it is
	 * what it adds after this */
	p = raw_put_pcpu(p, &(struct raw_pcpu){ 0, 0, scorch_rt_process_cpu_ns() });
	if (main_source == CPU_SRC_TIMER && perf_errno)
		p = raw_put_cpu_refused(p, &(struct raw_cpu_refused){ 0, (uint64_t)perf_errno });
	scorch_rt_commit(b, p, t);
	/* out now: a program that ends by a raw exit_group (the Go runtime
	 * does) never reaches the final flush, and the profile would not say
	 * how it was sampled */
	scorch_rt_flush(b);
	scorch_rt_unlock(b);
}

int scorch_rt_sample_init(void)
{
	long hz = G.hz > 0 ? G.hz : 999;
	period_ns = 1000000000ull / (uint64_t)hz;
	/* off-CPU: a call that blocked for half a period or more is recorded */
	scorch_rt_offcpu_min = G.tsc ? (period_ns / 2) * 1000000ull / G.tick_fs : period_ns / 2;
	stale_gap = G.tsc ? (period_ns / 8) * 1000000ull / G.tick_fs : period_ns / 8;
	flush_age = G.tsc ? SAMPLE_FLUSH_NS * 1000000ull / G.tick_fs : SAMPLE_FLUSH_NS;
	sample_sig = SIGRTMIN + 5;
	/* Under a debugger every sample signal would stop the program and wake
	 * the debugger (gdb stops at each by default), under strace each would
	 * be printed: a traced process is not sampled. */
	if (traced()) {
		main_source = CPU_SRC_TRACED;   /* the profile says so */
		cpu_record((uint64_t)hz);
		return 1;
	}
	atomic_store(&trap_ok, trap_wanted() && scorch_rt_signal_pin(SIGTRAP) == 0);
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_sample;
	/* Not SA_ONSTACK: the program's alternate stack is sized for its own
	 * handlers (gdb's is 8 KiB); unwinding there overran it into the heap. */
	sa.sa_flags = SA_SIGINFO | SA_RESTART;
	/* every signal blocked while a sample is taken: a program's handler
	 * that ran inside it and jumped out would leave the guard up and the
	 * sample buffer locked ("Signals" in rt-core.c) */
	sigfillset(&sa.sa_mask);
	if (sigaction(sample_sig, &sa, NULL) != 0)
		return -1;
	scorch_rt_sample_thread_start();
	if (main_source == CPU_SRC_PERF_CPU_CLOCK || main_source == CPU_SRC_PERF_TASK_CLOCK)
		arm_others();
	cpu_record((uint64_t)hz);
	return main_source ? 0 : -1;
}

/* ---- off-CPU time (--wall) ---- */

RT_HIDDEN uint64_t scorch_rt_offcpu_min;

/* The program's thread was blocked in a libc call from t0 to t1: record
 * where, once (as if sampled all along; finalize spreads it into off-CPU
 * samples at the requested rate). The stack is taken now, on the way out:
 * the callers are the same as when it went in. fn is the blocking function
 * itself (libc's usleep, pthread_join...): it becomes the innermost frame,
 * an exact pc, so the time shows in it and not in its caller's self time
 * (the unwind from here starts in our wrapper, whose frames are dropped). */
void scorch_rt_offcpu(uint64_t t0, uint64_t t1, void *fn)
{
	struct rt_buf *b = tl_sbuf;
	if (!b || tl_in_handler || t1 <= t0)
		return;
	int g = scorch_rt_guard;
	scorch_rt_guard = 1;
	tl_in_handler = 1;   /* no sample may interleave with this record */
	void *tmp[G.depth + 24];
	int u = scorch_rt_unwinding;
	scorch_rt_unwinding = 1;
	int n = unw_backtrace(tmp + 1, G.depth + 23), s = 1;
	scorch_rt_unwinding = u;
	while (s < n + 1 && (uintptr_t)tmp[s] >= G.self_lo && (uintptr_t)tmp[s] < G.self_hi)
		s++;
	n = scorch_rt_drop_self(tmp + s, n + 1 - s);
	unsigned flags = 0;
	if (fn) {
		tmp[--s] = fn;
		n++;
		flags = RAW_STACK_EXACT_PC;
	}
	if (n > G.depth)
		n = G.depth;
	scorch_rt_lock(b);
	uint32_t id = sample_intern(b, tmp + s, n, flags);
	uint8_t *p = scorch_rt_reserve(b, RAW_OFFCPU_MAX);
	p = raw_put_offcpu(p, &(struct raw_offcpu){ (int64_t)(t0 - b->last_time), id, t1 - t0 });
	scorch_rt_commit(b, p, t0);
	scorch_rt_unlock(b);
	tl_in_handler = 0;
	scorch_rt_guard = g;
}

/* ---- threads created by the program ---- */

struct start {
	void *(*fn)(void *);
	void *arg;
};

static void *trampoline(void *p)
{
	struct start s = *(struct start *)p;
	REAL.free(p);
	scorch_rt_sample_thread_start();
	void *r = s.fn(s.arg);
	scorch_rt_sample_thread_stop();
	return r;
}

RT_EXPORT int pthread_create(pthread_t *th, const pthread_attr_t *attr, void *(*fn)(void *), void *arg)
{
	typedef int (*create_fn)(pthread_t *, const pthread_attr_t *, void *(*)(void *), void *);
	static create_fn real;
	if (!real)
		real = (create_fn)scorch_rt_next("pthread_create");
	/* a library's constructor may start threads before ours has run */
	if (atomic_load(&G.state) == RT_UNINIT) {
		if (!REAL.malloc)
			scorch_rt_resolve();
		scorch_rt_init();
	}
	if (!G.cpu || atomic_load(&G.state) != RT_ACTIVE || !REAL.malloc)
		return real(th, attr, fn, arg);
	int g = scorch_rt_guard;
	scorch_rt_guard = 1;
	struct start *s = REAL.malloc(sizeof(*s));
	scorch_rt_guard = g;
	if (!s)
		return real(th, attr, fn, arg);
	s->fn = fn;
	s->arg = arg;
	int r = real(th, attr, trampoline, s);
	if (r != 0)
		REAL.free(s);
	return r;
}
