/* External CPU sampling: the launcher samples, from outside, the threads
 * that the in-process sampler cannot reach because they block its signal;
 * and (extsample_attach, extsample_system: record -p, -a) processes that
 * already run, which nothing is preloaded into. Both share the counters'
 * ring buffers, the reading of samples and their DWARF unwinding; they
 * differ in which samples they keep and in who writes the raw stream.
 *
 * Attached processes: one counter per thread and CPU (inherited, with
 * FORK records, by the threads and processes made later; rescans of
 * /proc/PID/task for the rest: see scan_tasks), each CPU's counters
 * writing into one ring;
 * every sample is kept, with the kernel's frames where they are allowed,
 * into a raw stream the launcher writes itself (write_start, write_end:
 * the process, its modules and threads from /proc, its CPU time at both
 * ends) and finalizes as the runtime's (docs/format.md, "Attached
 * streams"). With -a, one counter per CPU for every task, and a stream for
 * each process as its first sample shows it.
 *
 * Followed processes (record -p; extsample_launch: a program run by
 * scorch that cannot be preloaded, static, set-id or a Go binary): the
 * counters are inherited by every process the counted ones fork, whose
 * FORK records and first samples make them targets of their own, and
 * each exec (its COMM record) ends an image's stream and begins the next
 * one's (follow_sample). The launched program's counters are opened before
 * its exec and enabled by it, as for the exec path below.
 *
 * The rest of this comment is about the exec path, where the runtime is
 * preloaded and samples its threads itself.
 *
 * Why: the runtime samples a thread by a perf counter that signals that very
 * thread (runtime/rt-sample.c). Many multi-threaded programs block every
 * signal in their worker threads (xz, liblzma's threads, thread pools): a
 * blocked thread gets one stale sample at its next unblock, or none. perf
 * record reaches them because the kernel writes the samples into a ring
 * buffer instead of signalling.
 *
 * How: before the program's exec, the launcher opens one cpu-clock counter
 * per CPU on the program's process with `inherit` (as `perf record -- prog`
 * does), so every thread and child process it ever makes is counted from
 * its first instruction, with nothing to discover. Each sample carries the
 * thread, a CLOCK_MONOTONIC time, the user registers, a copy of the top of
 * the user stack and the kernel's frame-pointer call chain. Every 10 ms or
 * so the launcher reads the ring buffers and looks at the signal mask
 * (SigBlk in /proc/PID/task/TID/status) of each thread that has samples in
 * them. Once a look finds a thread starved, SIGTRAP (the sample signal)
 * blocked and pending (the runtime's counter fired into the block: a lost
 * in-process sample), its samples from the read before the first of its
 * last 8 looks that found it blocking on (held until then) are unwound
 * with DWARF CFI by
 * elfutils' unwinder (dwfl_attach_state + dwfl_getthread_frames, reading the
 * copied stack, as perf --call-graph dwarf does with libdw), falling back to
 * the kernel's frame-pointer chain when that gets no further than the pc,
 * and appended as RAW_XSAMPLE records (format/raw.h) in chunks of that
 * thread to the process's own raw stream. Finalize pairs each of the
 * thread's in-process samples with an external one of about the same time
 * and drops those (analysis/finalize.c, reconcile()): what stays from
 * outside is the time the thread had the signal blocked, whether it blocks
 * it for good (xz's workers) or on and off (a sample signal sent while
 * blocked is dropped by the runtime). Threads never seen blocking it keep
 * their in-process samples alone, and nothing else of the runtime (heap
 * hooks, zones) changes. The profile's sampling source says for how many
 * threads samples were taken from outside.
 *
 * Cost: the kernel copies 8 KiB of stack per sample of every thread (those
 * of threads never seen blocking are read and dropped): about a microsecond
 * per sample; the launcher unwinds the samples of the blocking threads. A
 * thread that blocks the signal for short spans is found late (its signal
 * rarely waits when looked at), or never: its in-process rate falls short
 * by the share of time it spends blocked until then. SCORCH_EXTERNAL=0
 * turns all this off. */
#include "extsample.h"

#include <dirent.h>
#include <elfutils/libdwfl.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/perf_event.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "../format/raw.h"
#include "../format/rawrec.h"
#include "../format/varint.h"
#include "../lib/die.h"
#include "../lib/hashmap.h"
#include "../lib/procfs.h"
#include "../lib/strbuf.h"
#include "../lib/vec.h"

#define STACK_COPY 8192u            /* bytes of user stack per sample */
#define RING_PAGES_MAX 512u         /* data pages per CPU: 2 MiB, about 250 samples */
#define NREGS 17                    /* AX..IP and R8..R15 */
/* perf's x86 register numbers AX(0)..IP(8) and R8(16)..R15(23) */
#define REGS_MASK (0x1ffull | (0xffull << 16))
/* a thread's samples are held while one of its last 8 looks found SIGTRAP
 * blocked: about 80 ms to find its signal waiting */
#define HOLD_LOOKS 0xffu

struct ring {
	int fd, cpu;
	uint8_t *base;                  /* the control page, then the data */
	size_t data_size;               /* a power of two */
};

/* A sample read from a ring, waiting for its thread's mask to be looked at. */
struct xs {
	int pid, tid;
	uint64_t time;                  /* CLOCK_MONOTONIC ns */
	uint64_t regs[NREGS];           /* perf's order */
	int have_regs;
	uint64_t *chain;                /* user frames of the kernel's FP chain */
	uint32_t nchain;
	uint64_t *kchain;               /* its kernel frames (attach only), innermost first */
	uint32_t nk;
	uint8_t *stack;
	uint64_t stack_len, sp;
};

/* A thread's signal mask as last seen */
enum { MASK_UNKNOWN = -1, MASK_FREE = 0, MASK_BLOCKED = 1, MASK_GONE = 2, MASK_STARVED = 3 };
struct tstate {
	int pid, tid;
	int now;
	unsigned hist;                  /* the last looks, newest in bit 0: 1 found SIGTRAP blocked */
	int blocker;                    /* found starved once: sampled from outside from then on */
	unsigned touched;               /* the last poll that read a sample of it */
};

/* One process image's raw stream (raw.PID.SEQ) */
struct stream {
	int pid, seq;
	char *path;
	uint64_t start_ns, tick0;
	int fd;                         /* O_APPEND, opened on first use */
};

/* The thread being unwound, for libdwfl's callbacks */
struct ucur {
	int pid, tid;
	const uint64_t *regs;
	const uint8_t *stack;
	uint64_t sp, len;
	uint64_t *ips;
	size_t n, max;
};

/* Held by pointer: libdwfl keeps &cur from dwfl_attach_state() on. */
struct proc {
	int pid, seq;                   /* the image its Dwfl describes */
	Dwfl *dwfl;
	int attached;
	unsigned reported;              /* the poll of the last report of its maps */
	unsigned reports;               /* how many reports of its maps so far */
	struct ucur cur;
};

/* Chunk being filled for one (stream, thread); the stream by index, as the
 * table of streams grows */
struct pending {
	size_t si;
	int tid;
	struct strbuf b;
};

/* A thread of an attached process, as found in /proc/PID/task */
struct atid {
	int tid;
	int counted;                    /* has a counter: opened, or inherited (a FORK seen, a sample) */
	int scans;                      /* scans that found it uncounted */
	uint64_t first;                 /* CLOCK_MONOTONIC ns it was first seen */
	char name[17];
};

struct span {
	uint64_t lo, hi;
};

/* A process sampled by extsample_attach(), whose raw stream the launcher
 * writes itself */
struct target {
	int pid;
	size_t si;                      /* its stream */
	int pidfd;                      /* readable once it has exited; -1 */
	int gone;
	uint64_t cpu0, cpu_last;        /* its CPU time (ns) at the start, and as last read */
	VEC(struct atid) tids;
	VEC(struct span) mods;          /* modules written to its stream */
	unsigned mod_reports;           /* the proc's reports when they were last compared */
	int no_cpu;                     /* -a: its CPU time over the window is unknown (it began in it) */
	uint32_t next_mod;
	int seq;                        /* its image: 0, then one more at each exec */
	int followed;                   /* made after the start (a fork), or launched: every thread counted */
	unsigned pflags;                /* RAW_PROC_FORKED, RAW_PROC_EXECED of its image */
};

struct extsample {
	VEC(struct ring) rings;
	int hz, depth;
	uint64_t period;
	char *dir;
	unsigned poll_no;
	VEC(struct xs) batch;
	VEC(struct xs) held;            /* of threads found blocking at one of their last 8 looks */
	VEC(struct tstate) threads;
	struct u64map tid_index;        /* tid -> index + 1 */
	VEC(struct stream) streams;
	VEC(struct proc *) procs;
	VEC(struct pending) pend;
	VEC(struct { int pid; uint64_t time; }) execs;
	uint64_t lost, seen, kept, dropped_nostream;
	uint8_t *wrap;                  /* a record that wraps around the ring */
	size_t wrap_cap;
	uint64_t *ipbuf;
	/* counters */
	struct perf_event_attr attr;    /* as opened: the tasks found later get the same */
	long ncpu;
	int *cpu_ring;                  /* index into rings by CPU, -1: none yet */
	unsigned pages;                 /* data pages of each ring */
	VEC(int) fds;                   /* counters writing into another one's ring */
	/* extsample_attach(): every sample is kept, into streams the launcher writes */
	int attach;
	int open;                       /* attached: 1 the streams are begun, 2 and the counters stopped */
	int system;                     /* extsample_system(): every process, streams made as they show */
	struct u64map skipped;          /* -a: pids whose samples are dropped: 1 gone, 2 kernel threads */
	uint64_t kthread_samples;       /* -a: samples of kernel threads, dropped */
	struct u64map cpu_at_start;     /* -a: pid -> its CPU ns + 1 when sampling began */
	int kernel_errno;               /* kernel frames refused with this errno (0: they are in) */
	VEC(struct target) targets;
	struct u64map counted;          /* tid -> index + 1 into its target's tids */
	/* following (record -p, and programs run without the preload): the
	 * processes the counted ones fork, by their FORK records, and the
	 * images they exec, by their COMM records (x->execs) */
	int follow;
	int launch;                     /* extsample_launch(): the program's every process and image */
	int root;                       /* launched: the program's pid */
	int only_root;                  /* launched with --no-follow: its samples alone */
	int after_exec;                 /* launched: counters opened once its exec is done (set-id) */
	uint64_t t_launch;              /* launched: when its counters were opened */
	VEC(struct { int pid; uint64_t time; }) forks;
};

static long perf_open(struct perf_event_attr *a, int pid, int cpu)
{
	return syscall(SYS_perf_event_open, a, pid, cpu, -1, PERF_FLAG_FD_CLOEXEC);
}

static struct extsample *x_new(int hz, int depth, const char *sessdir)
{
	struct extsample *x = xcalloc(1, sizeof(*x));
	x->hz = hz;
	x->depth = depth < 1 ? 1 : depth > RAW_MAX_STACK ? RAW_MAX_STACK : depth;
	x->period = 1000000000ull / (uint64_t)hz;
	x->dir = xstrdup(sessdir);
	u64map_init(&x->tid_index, 64);
	u64map_init(&x->counted, 64);
	u64map_init(&x->skipped, 16);
	u64map_init(&x->cpu_at_start, 16);
	x->ipbuf = xmalloc(RAW_MAX_STACK * sizeof(uint64_t));
	x->ncpu = sysconf(_SC_NPROCESSORS_CONF);
	x->cpu_ring = xmalloc((size_t)(x->ncpu + 1) * sizeof(int));
	for (long c = 0; c < x->ncpu; c++)
		x->cpu_ring[c] = -1;
	x->pages = RING_PAGES_MAX;
	while (x->pages > 16 && (long)x->pages * x->ncpu > 4 * RING_PAGES_MAX)
		x->pages /= 2;   /* at most 8 MiB over all CPUs */

	struct perf_event_attr *a = &x->attr;
	a->size = sizeof(*a);
	a->type = PERF_TYPE_SOFTWARE;
	a->config = PERF_COUNT_SW_CPU_CLOCK;
	a->sample_period = x->period;
	a->sample_type = PERF_SAMPLE_IP | PERF_SAMPLE_TID | PERF_SAMPLE_TIME | PERF_SAMPLE_CALLCHAIN |
			 PERF_SAMPLE_REGS_USER | PERF_SAMPLE_STACK_USER;
	a->sample_regs_user = REGS_MASK;
	a->sample_stack_user = STACK_COPY;
	/* time in the kernel counts where that is allowed, as in-process
	 * sampling counts it: such a sample's stack is the user one, from the
	 * system call that entered the kernel */
	a->exclude_kernel = 0;
	a->exclude_hv = 1;
	a->exclude_callchain_kernel = 1;
	a->inherit = 1;
	a->use_clockid = 1;
	a->clockid = CLOCK_MONOTONIC;
	/* execs, with their time: a sample after one belongs to the new
	 * image's stream, not to the one before */
	a->comm = 1;
	a->comm_exec = 1;
	a->sample_id_all = 1;
	return x;
}

/* The ring of cpu, mapped for counter fd (the first on that CPU). */
static int map_ring(struct extsample *x, int fd, long cpu)
{
	size_t pg = (size_t)sysconf(_SC_PAGESIZE);
	void *m = MAP_FAILED;
	/* the locked-memory allowance is per user: halve until it fits */
	for (; x->pages >= 8; x->pages /= 2) {
		m = mmap(NULL, (x->pages + 1) * pg, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
		if (m != MAP_FAILED)
			break;
	}
	if (m == MAP_FAILED)
		return -errno;
	struct ring r = { fd, (int)cpu, m, x->pages * pg };
	VEC_PUSH(&x->rings, r);
	x->cpu_ring[cpu] = (int)x->rings.len - 1;
	return 0;
}

/* One counter per CPU on task `tid` (with `inherit`: the threads, and for
 * the exec path the processes, it makes from then on are counted too),
 * each writing into its CPU's one ring: perf's per-thread counters cannot
 * share a ring across CPUs, and one ring per counter would cost a mapping
 * per thread and CPU. Kernel time, then kernel frames, are given up where
 * the kernel refuses them (x->kernel_errno says why). Returns 0, or the
 * errno of the refusal; ESRCH: the task has exited. */
static int open_task(struct extsample *x, int tid)
{
	int opened = 0;
	for (long cpu = 0; cpu < x->ncpu; cpu++) {
		int fd = (int)perf_open(&x->attr, tid, (int)cpu);
		if (fd < 0 && errno == EINVAL && x->attr.inherit_thread) {
			x->attr.inherit_thread = 0;   /* before Linux 5.13: other pids' samples are dropped */
			fd = (int)perf_open(&x->attr, tid, (int)cpu);
		}
		if (fd < 0 && (errno == EACCES || errno == EPERM) && !x->attr.exclude_callchain_kernel) {
			x->kernel_errno = errno;
			x->attr.exclude_callchain_kernel = 1;
			fd = (int)perf_open(&x->attr, tid, (int)cpu);
		}
		if (fd < 0 && (errno == EACCES || errno == EPERM) && !x->attr.exclude_kernel) {
			if (!x->kernel_errno)
				x->kernel_errno = errno;
			x->attr.exclude_kernel = 1;
			fd = (int)perf_open(&x->attr, tid, (int)cpu);
		}
		if (fd < 0) {
			if (errno == ENODEV || (errno == EINVAL && cpu > 0))
				continue;   /* an offline CPU */
			return errno;
		}
		if (x->cpu_ring[cpu] < 0) {
			int e = map_ring(x, fd, cpu);
			if (e) {
				close(fd);
				return -e;
			}
		} else if (ioctl(fd, PERF_EVENT_IOC_SET_OUTPUT, x->rings.data[x->cpu_ring[cpu]].fd) != 0) {
			int e = errno;
			close(fd);
			return e;
		} else {
			VEC_PUSH(&x->fds, fd);
		}
		opened++;
	}
	return opened ? 0 : ENODEV;
}

struct extsample *extsample_start(int pid, int hz, int depth, const char *sessdir, int *err)
{
	const char *env = getenv("SCORCH_EXTERNAL");
	*err = 0;
	if (env && !strcmp(env, "0"))
		return NULL;
	struct extsample *x = x_new(hz, depth, sessdir);
	/* counting starts at the program's exec */
	x->attr.disabled = 1;
	x->attr.enable_on_exec = 1;
	*err = open_task(x, pid);
	if (*err) {
		extsample_stop(x);
		return NULL;
	}
	return x;
}

/* ---- which threads ---- */

static struct tstate *thread_of(struct extsample *x, int pid, int tid)
{
	bool isnew;
	uint64_t *slot = u64map_put(&x->tid_index, (uint64_t)(uint32_t)tid, &isnew);
	if (isnew) {
		struct tstate t = { pid, tid, MASK_UNKNOWN, 0, 0, 0 };
		VEC_PUSH(&x->threads, t);
		*slot = x->threads.len;
	}
	struct tstate *t = &x->threads.data[*slot - 1];
	if (t->pid != pid) {   /* a tid used again by another process */
		t->pid = pid;
		t->now = MASK_UNKNOWN;
		t->hist = 0;
		t->blocker = 0;
	}
	return t;
}

/* The thread's mask now: MASK_FREE when SIGTRAP is not blocked,
 * MASK_STARVED when a sample signal of the runtime (SIGTRAP; SIGPROF or
 * SIGRTMIN+5 of its fallbacks) is blocked and pending: the runtime's
 * counter fired into the block, a sample the runtime loses (it drops a
 * signal sent while blocked). MASK_BLOCKED when SIGTRAP is blocked and
 * nothing waits: a short critical section, or a signal handler (the
 * runtime's own blocks every signal), which costs no sample. MASK_GONE
 * when the thread has exited. */
static int look_mask(int pid, int tid)
{
	char buf[4096];
	if (procfs_read(pid, tid, "status", buf, sizeof(buf)) < 0)
		return MASK_GONE;
	const char *pnd = strstr(buf, "\nSigPnd:"), *shd = strstr(buf, "\nShdPnd:"), *blk = strstr(buf, "\nSigBlk:");
	if (!pnd || !shd || !blk)
		return MASK_GONE;
	unsigned long long b = strtoull(blk + 8, NULL, 16);
	unsigned long long p = strtoull(pnd + 8, NULL, 16) | strtoull(shd + 8, NULL, 16);
	if (!((b >> (SIGTRAP - 1)) & 1))
		return MASK_FREE;
	/* signal 32 or 33 (glibc's SIGCANCEL, SIGSETXID) blocked: not the
	 * program's doing, which glibc never lets block them, but one of the
	 * runtime's short all-blocked sections (a chunk written: it takes the
	 * sample that fired in it as the section ends, rt-core.c) or libc's */
	if ((b >> 31) & 3)
		return MASK_FREE;
	unsigned long long sig = 1ull << (SIGTRAP - 1) | 1ull << (SIGPROF - 1) | 1ull << (SIGRTMIN + 5 - 1);
	return b & p & sig ? MASK_STARVED : MASK_BLOCKED;
}

/* ---- streams ---- */

static void scan_streams(struct extsample *x)
{
	DIR *d = opendir(x->dir);
	if (!d)
		return;
	struct dirent *e;
	while ((e = readdir(d))) {
		int pid, seq, n = 0;
		if (sscanf(e->d_name, "raw.%d.%d%n", &pid, &seq, &n) != 2 || e->d_name[n])
			continue;
		int known = 0;
		for (size_t i = 0; i < x->streams.len && !known; i++)
			known = x->streams.data[i].pid == pid && x->streams.data[i].seq == seq;
		if (known)
			continue;
		struct strbuf p = STRBUF_INIT;
		sb_addf(&p, "%s/%s", x->dir, e->d_name);
		uint8_t h[RAW_FILE_HDR];
		int fd = open(p.buf, O_RDONLY | O_CLOEXEC);
		ssize_t got = fd >= 0 ? pread(fd, h, sizeof(h), 0) : -1;
		if (fd >= 0)
			close(fd);
		if (got != (ssize_t)sizeof(h) || memcmp(h, RAW_MAGIC, 8)) {
			sb_release(&p);   /* not written yet: next time */
			continue;
		}
		struct stream s = { pid, seq, sb_detach(&p), fmt_get_u64le(h + 8), fmt_get_u64le(h + 16), -1 };
		VEC_PUSH(&x->streams, s);
	}
	closedir(d);
}

/* The stream of the image of pid running at time t: the latest that had
 * started by then and not before an exec that came by then; else the first
 * after that exec (a sample between the exec, or the program's start, and
 * the runtime's header). NULL when the image writes none (--no-follow, a
 * program that cannot be preloaded) or not yet. */
static struct stream *stream_at(struct extsample *x, int pid, uint64_t t)
{
	uint64_t ex = 0;   /* the last exec of pid by t */
	for (size_t i = 0; i < x->execs.len; i++)
		if (x->execs.data[i].pid == pid && x->execs.data[i].time <= t && x->execs.data[i].time > ex)
			ex = x->execs.data[i].time;
	struct stream *best = NULL, *next = NULL;
	for (size_t i = 0; i < x->streams.len; i++) {
		struct stream *s = &x->streams.data[i];
		if (s->pid != pid || s->start_ns < ex)
			continue;
		if (s->start_ns <= t && (!best || s->seq > best->seq))
			best = s;
		if (s->start_ns > t && (!next || s->seq < next->seq))
			next = s;
	}
	return best ? best : next;
}

/* ---- unwinding ---- */

static char *debuginfo_path;
static const Dwfl_Callbacks proc_callbacks = {
	.find_elf = dwfl_linux_proc_find_elf,
	.find_debuginfo = dwfl_standard_find_debuginfo,
	.debuginfo_path = &debuginfo_path,
};

static pid_t cb_next_thread(Dwfl *dwfl, void *arg, void **thread_argp)
{
	(void)dwfl;
	struct ucur *c = arg;
	if (*thread_argp)
		return 0;
	*thread_argp = arg;
	return c->tid;
}

/* Only the copied stack: the live process's memory is no longer what it
 * was at the sample. */
static bool cb_memory_read(Dwfl *dwfl, Dwarf_Addr addr, Dwarf_Word *result, void *arg)
{
	(void)dwfl;
	struct ucur *c = arg;
	if (addr < c->sp || addr - c->sp > c->len || c->len - (addr - c->sp) < sizeof(*result))
		return false;
	memcpy(result, c->stack + (addr - c->sp), sizeof(*result));
	return true;
}

static bool cb_set_registers(Dwfl_Thread *thread, void *arg)
{
	struct ucur *c = arg;
	const uint64_t *r = c->regs;
	/* DWARF x86-64: rax rdx rcx rbx rsi rdi rbp rsp r8..r15 rip */
	Dwarf_Word d[17] = { r[0], r[3], r[2], r[1], r[4], r[5], r[6], r[7],
			     r[9], r[10], r[11], r[12], r[13], r[14], r[15], r[16], r[8] };
	return dwfl_thread_state_registers(thread, 0, 17, d);
}

static const Dwfl_Thread_Callbacks thread_callbacks = {
	.next_thread = cb_next_thread,
	.memory_read = cb_memory_read,
	.set_initial_registers = cb_set_registers,
};

static int cb_frame(Dwfl_Frame *state, void *arg)
{
	struct ucur *c = arg;
	Dwarf_Addr pc;
	bool activation;
	if (!dwfl_frame_pc(state, &pc, &activation) || !pc)
		return DWARF_CB_ABORT;
	if (c->n && pc == c->ips[c->n - 1] && c->n > 1)
		return DWARF_CB_ABORT;   /* not moving: a loop */
	c->ips[c->n++] = pc;
	return c->n < c->max ? DWARF_CB_OK : DWARF_CB_ABORT;
}

static void report_maps(struct proc *p, unsigned poll_no)
{
	dwfl_report_begin_add(p->dwfl);
	dwfl_linux_proc_report(p->dwfl, p->pid);
	dwfl_report_end(p->dwfl, NULL, NULL);
	p->reported = poll_no;
	p->reports++;
}

static struct proc *proc_of(struct extsample *x, int pid, int seq)
{
	struct proc *p = NULL;
	for (size_t i = 0; i < x->procs.len && !p; i++)
		if (x->procs.data[i]->pid == pid)
			p = x->procs.data[i];
	if (p && p->seq == seq && (p->dwfl || p->reported == x->poll_no))
		return p;
	if (!p) {
		p = xcalloc(1, sizeof(*p));
		VEC_PUSH(&x->procs, p);
	}
	if (p->dwfl)   /* an exec: other modules */
		dwfl_end(p->dwfl);
	p->pid = pid;
	p->seq = seq;
	p->attached = 0;
	p->reported = x->poll_no;
	p->reports++;
	p->dwfl = dwfl_begin(&proc_callbacks);
	if (p->dwfl) {
		dwfl_report_begin(p->dwfl);
		int rc = dwfl_linux_proc_report(p->dwfl, pid);
		dwfl_report_end(p->dwfl, NULL, NULL);
		if (rc != 0) {   /* gone already: the kernel's chain only */
			dwfl_end(p->dwfl);
			p->dwfl = NULL;
		}
	}
	return p;
}

/* The sample's frames into x->ipbuf (pc first, then return addresses).
 * Returns how many. */
static size_t unwind(struct extsample *x, struct xs *s, struct stream *st)
{
	/* the kernel's frames (attach), innermost, then the user ones */
	size_t nk = s->nk < (uint32_t)x->depth ? s->nk : (size_t)x->depth;
	if (nk)
		memcpy(x->ipbuf, s->kchain, nk * sizeof(uint64_t));
	if (nk == (size_t)x->depth)
		return nk;
	uint64_t *ub = x->ipbuf + nk;
	size_t umax = (size_t)x->depth - nk;
	size_t n = 0;
	struct proc *p = proc_of(x, s->pid, st->seq);
	if (p->dwfl && s->have_regs && s->stack_len) {
		if (!dwfl_addrmodule(p->dwfl, s->regs[8]) && p->reported != x->poll_no)
			report_maps(p, x->poll_no);   /* a library loaded since */
		if (!p->attached)
			p->attached = dwfl_attach_state(p->dwfl, NULL, s->pid, &thread_callbacks, &p->cur);
		if (p->attached) {
			struct ucur *c = &p->cur;
			c->pid = s->pid;
			c->tid = s->tid;
			c->regs = s->regs;
			c->stack = s->stack;
			c->sp = s->sp;
			c->len = s->stack_len;
			c->ips = ub;
			c->n = 0;
			c->max = umax;
			dwfl_getthread_frames(p->dwfl, s->tid, cb_frame, c);
			n = c->n;
		}
	}
	/* no CFI got past the pc: the frame-pointer chain, if longer */
	if (n <= 1 && s->nchain > n) {
		n = s->nchain < umax ? s->nchain : umax;
		memcpy(ub, s->chain, n * sizeof(uint64_t));
	}
	return nk + n;
}

/* ---- output ---- */

/* Appends payload b as one chunk of thread tid to stream s, its base time
 * the stream's start. */
static void write_chunk(struct stream *s, int tid, const struct strbuf *b)
{
	if (s->fd < 0)
		s->fd = open(s->path, O_WRONLY | O_APPEND | O_CLOEXEC);
	if (s->fd < 0)
		return;
	uint8_t h[RAW_CHUNK_HDR];
	fmt_put_u32le(h, RAW_CHUNK_MAGIC);
	fmt_put_u32le(h + 4, (uint32_t)b->len);
	fmt_put_u32le(h + 8, (uint32_t)tid);
	fmt_put_u64le(h + 16, s->tick0);
	fmt_put_u32le(h + 12, fmt_chunk_sum(h, (const uint8_t *)b->buf, b->len));
	struct strbuf all = STRBUF_INIT;
	sb_add(&all, h, sizeof(h));
	sb_add(&all, b->buf, b->len);
	/* one write: chunks of the program's threads go in between */
	ssize_t w = write(s->fd, all.buf, all.len);
	(void)w;
	sb_release(&all);
}

static void flush_pending(struct extsample *x, struct pending *q)
{
	if (!q->b.len)
		return;
	write_chunk(&x->streams.data[q->si], q->tid, &q->b);
	sb_reset(&q->b);
}

static void emit(struct extsample *x, struct stream *st, int tid, uint64_t time, const uint64_t *ips, size_t n)
{
	struct pending *q = NULL;
	size_t si = (size_t)(st - x->streams.data);
	for (size_t i = 0; i < x->pend.len && !q; i++)
		if (x->pend.data[i].si == si && x->pend.data[i].tid == tid)
			q = &x->pend.data[i];
	if (!q) {
		struct pending np = { si, tid, STRBUF_INIT };
		VEC_PUSH(&x->pend, np);
		q = &x->pend.data[x->pend.len - 1];
	}
	uint8_t rec[RAW_XSAMPLE_MAX(RAW_MAX_STACK)];
	uint8_t *p = raw_put_xsample(rec, &(struct raw_xsample){ .ns = time, .weight = x->period,
								 .n = (uint32_t)n, .ips = ips });
	sb_add(&q->b, rec, (size_t)(p - rec));
	if (q->b.len > RAW_CHUNK_MAX / 2)
		flush_pending(x, q);
}

/* ---- attach: the threads of running processes ---- */

static uint64_t mono_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* /proc/PID/stat: the parent, and the CPU time of every thread the
 * process has had: the process's CPU clock (clock_getcpuclockid: the
 * scheduler's ns, what the cpu-clock counters count), or where that cannot
 * be read, user and system time from /proc/PID/stat, which is to the clock
 * tick and charged by ticks (a whole tick to the thread found running): a
 * 2 s window of a server's 4 busy threads read 310 ms there for 265 samples,
 * 855 Hz 'achieved' at 999, another 430 ms for 452. -1 when gone; -2 for a
 * zombie, whose CPU time (final: its threads have all exited) is in
 * *cpu_ns all the same. */
static int proc_stat(int pid, int *ppid, uint64_t *cpu_ns)
{
	char buf[1024];
	if (procfs_read(pid, 0, "stat", buf, sizeof(buf)) < 0)
		return -1;
	const char *q = strrchr(buf, ')');   /* the name may hold anything */
	char state;
	int pp;
	unsigned long long ut, st;
	if (!q || sscanf(q + 1, " %c %d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &state, &pp, &ut, &st) != 4)
		return -1;
	if (state == 'X')
		return -1;
	long hz = sysconf(_SC_CLK_TCK);
	*cpu_ns = (ut + st) * (1000000000ull / (unsigned long long)(hz > 0 ? hz : 100));
	clockid_t cid;
	struct timespec ts;
	if (clock_getcpuclockid(pid, &cid) == 0 && clock_gettime(cid, &ts) == 0)
		*cpu_ns = (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
	if (state == 'Z')
		return -2;
	if (ppid)
		*ppid = pp;
	return 0;
}

static void read_comm(int pid, int tid, char name[17])
{
	char buf[32];
	int n = procfs_read(pid, tid, "comm", buf, sizeof(buf));
	if (n < 0)
		return;
	while (n > 0 && buf[n - 1] == '\n')
		n--;
	if (n > 16)
		n = 16;
	memcpy(name, buf, (size_t)n);
	name[n] = 0;
}

static struct target *target_of(struct extsample *x, int pid)
{
	for (size_t i = 0; i < x->targets.len; i++)
		if (x->targets.data[i].pid == pid)
			return &x->targets.data[i];
	return NULL;
}

/* Thread tid of an attached process, added when new. */
static struct atid *atid_of(struct extsample *x, struct target *tg, int tid)
{
	bool isnew;
	uint64_t *slot = u64map_put(&x->counted, (uint64_t)(uint32_t)tid, &isnew);
	if (!isnew && *slot <= tg->tids.len && tg->tids.data[*slot - 1].tid == tid)
		return &tg->tids.data[*slot - 1];
	struct atid a;
	memset(&a, 0, sizeof(a));
	a.tid = tid;
	a.first = mono_ns();
	read_comm(tg->pid, tid, a.name);
	VEC_PUSH(&tg->tids, a);
	*slot = tg->tids.len;
	return &tg->tids.data[tg->tids.len - 1];
}

/* Thread tid of process pid has a counter (it was made by a counted
 * thread, or it has samples). */
static void counted(struct extsample *x, int pid, int tid)
{
	struct target *tg = target_of(x, pid);
	if (tg)
		atid_of(x, tg, tid)->counted = 1;
}

/* Opens counters on the threads of tg that have none. Threads made by a
 * counted thread inherit its counter (perf_event_attr.inherit), so
 * few ever need one: those made by a thread between the scan that found
 * that thread and the opening of its counter, or by one that has none yet.
 * A thread is known to have inherited one by the FORK record of its
 * making (attr.task), which is in the rings by the read after the scan
 * that first finds it: it gets a counter when a second scan finds it
 * without. (One counter per CPU on the whole system, filtered by pid,
 * would need no scans, but it needs CAP_PERFMON or perf_event_paranoid
 * <= 0, and copies the stacks of every process on the machine.) With
 * `now`, every thread found gets one at once (the start). Returns 0, or
 * the errno of a refusal. */
static int scan_tasks(struct extsample *x, struct target *tg, int now)
{
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/task", tg->pid);
	DIR *d = opendir(path);
	if (!d)
		return ESRCH;
	struct dirent *e;
	int err = 0;
	while ((e = readdir(d))) {
		int tid = atoi(e->d_name);
		if (tid <= 0)
			continue;
		struct atid *a = atid_of(x, tg, tid);
		if (a->counted || (!now && a->scans++ < 1))
			continue;
		int r = open_task(x, tid);
		a = atid_of(x, tg, tid);
		a->counted = 1;   /* or gone (ESRCH): nothing to count */
		if (r && r != ESRCH && !err)
			err = r;
	}
	closedir(d);
	return err;
}

/* Appends to b the record put() writes from the struct that follows
 * (format/rawrec.h), in room of at most max bytes. */
#define SB_REC(b, max, put, ...) do { \
	sb_grow((b), (max)); \
	uint8_t *s_ = (uint8_t *)(b)->buf + (b)->len; \
	(b)->len += (size_t)(put(s_, &(__VA_ARGS__)) - s_); \
	(b)->buf[(b)->len] = 0; \
} while (0)

/* The dt of a record written by the launcher at time t: *last is the time
 * (ns, as ticks: its streams use CLOCK_MONOTONIC) of the previous record,
 * or the stream's start. */
static int64_t rec_dt(uint64_t t, uint64_t *last)
{
	int64_t d = (int64_t)(t - *last);
	*last = t;
	return d;
}

struct modscan {
	struct extsample *x;
	struct target *tg;
	struct strbuf *b;
	uint64_t t, *last;
};

static int mod_cb(Dwfl_Module *m, void **ud, const char *name, Dwarf_Addr start, void *arg)
{
	(void)ud;
	(void)start;
	struct modscan *ms = arg;
	struct target *tg = ms->tg;
	Dwarf_Addr lo = 0, hi = 0, bias = 0;
	dwfl_module_info(m, NULL, &lo, &hi, NULL, NULL, NULL, NULL);
	for (size_t i = 0; i < tg->mods.len; i++)
		if (tg->mods.data[i].lo == lo && tg->mods.data[i].hi == hi)
			return DWARF_CB_OK;
	struct span sp = { lo, hi };
	VEC_PUSH(&tg->mods, sp);
	if (!dwfl_module_getelf(m, &bias))
		bias = lo;   /* no file to read: its frames stay unnamed */
	const unsigned char *bits = NULL;
	GElf_Addr va;
	int bl = dwfl_module_build_id(m, &bits, &va);
	/* the loader's name of the vDSO, which finalize knows (is_vdso) */
	if (!name || !strncmp(name, "[vdso", 5))
		name = "linux-vdso.so.1";
	int has_bid = bl > 0 && bl <= (int)RAW_BUILDID_MAX_LEN && bits;
	SB_REC(ms->b, RAW_MODULE_MAX(RAW_PATH_MAX_LEN, RAW_BUILDID_MAX_LEN), raw_put_module,
	       (struct raw_module){ rec_dt(ms->t, ms->last), tg->next_mod++, bias, lo, hi, name,
				    (uint32_t)strnlen(name, RAW_PATH_MAX_LEN), has_bid ? bits : NULL,
				    has_bid ? (uint32_t)bl : 0 });
	return DWARF_CB_OK;
}

/* MODULE records for the modules of tg's process not written yet: at the
 * start, and after a sample outside them made unwind() read its maps again
 * (a dlopen). */
static void write_modules(struct extsample *x, struct target *tg, int force)
{
	struct proc *p = NULL;
	for (size_t i = 0; i < x->procs.len && !p; i++)
		if (x->procs.data[i]->pid == tg->pid)
			p = x->procs.data[i];
	if (!p || !p->dwfl || (!force && p->reports == tg->mod_reports))
		return;
	tg->mod_reports = p->reports;
	struct stream *st = &x->streams.data[tg->si];
	struct strbuf b = STRBUF_INIT;
	uint64_t last = st->start_ns;
	struct modscan ms = { x, tg, &b, mono_ns(), &last };
	dwfl_getmodules(p->dwfl, mod_cb, &ms, 0);
	if (b.len)
		write_chunk(st, tg->pid, &b);
	sb_release(&b);
}

/* The stream's first records: the process (from /proc), how it is
 * sampled, its CPU time so far, its modules, and the kernel's. */
static void write_start(struct extsample *x, struct target *tg)
{
	struct stream *st = &x->streams.data[tg->si];
	char path[64], exe[4096], cmd[65536];
	snprintf(path, sizeof(path), "/proc/%d/exe", tg->pid);
	ssize_t el = readlink(path, exe, sizeof(exe) - 1);
	if (el < 0)
		el = 0;
	exe[el] = 0;
	snprintf(path, sizeof(path), "/proc/%d/cmdline", tg->pid);
	ssize_t cl = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		ssize_t n;
		while (cl < (ssize_t)sizeof(cmd) && (n = read(fd, cmd + cl, sizeof(cmd) - (size_t)cl)) > 0)
			cl += n;
		close(fd);
	}
	if (!el) {   /* a kernel thread, or gone: its name */
		read_comm(tg->pid, tg->pid, exe);
		el = (ssize_t)strlen(exe);
	}
	int ppid = 0;
	uint64_t cpu;
	proc_stat(tg->pid, &ppid, &cpu);
	struct timespec rt;
	clock_gettime(CLOCK_REALTIME, &rt);
	uint64_t now = mono_ns(), last = st->start_ns;
	struct strbuf b = STRBUF_INIT;
	SB_REC(&b, RAW_PROC_MAX(el, cl), raw_put_proc,
	       (struct raw_proc){ .dt = rec_dt(now, &last), .pid = (uint64_t)tg->pid, .ppid = (uint64_t)ppid,
				  .flags = RAW_PROC_CPU | RAW_PROC_ATTACHED | tg->pflags |
					   (x->launch ? RAW_PROC_LAUNCHED : 0), .depth = (uint64_t)x->depth,
				  .realtime = (uint64_t)rt.tv_sec * 1000000000ull + (uint64_t)rt.tv_nsec,
				  .exe = exe, .exe_len = (uint32_t)el, .argv = cmd, .argv_len = (uint32_t)cl });
	SB_REC(&b, RAW_CPU_MAX, raw_put_cpu,
	       (struct raw_cpu){ rec_dt(now, &last), (uint64_t)x->hz, CPU_SRC_PERF_CPU_CLOCK });
	if (!tg->no_cpu)
		SB_REC(&b, RAW_PCPU_MAX, raw_put_pcpu, (struct raw_pcpu){ rec_dt(now, &last), 0, tg->cpu0 });
	if (!x->kernel_errno) {
		/* kernel frames: named from /proc/kallsyms by finalize */
		SB_REC(&b, RAW_MODULE_MAX(17, 0), raw_put_module,
		       (struct raw_module){ rec_dt(now, &last), tg->next_mod++, 0, 0xffff800000000000ull, UINT64_MAX,
					    "[kernel.kallsyms]", 17, NULL, 0 });
	}
	write_chunk(st, tg->pid, &b);
	sb_release(&b);
	proc_of(x, tg->pid, tg->seq);
	write_modules(x, tg, 1);
}

/* The stream's last records: its threads with their names, its CPU time
 * now, how it ended if it did (exit_kind: EXIT_EXEC for an image replaced
 * by exec; 0: EXIT_UNKNOWN when it is gone), and END. */
static void write_end(struct extsample *x, struct target *tg, int exit_kind)
{
	struct stream *st = &x->streams.data[tg->si];
	uint64_t now = mono_ns(), last = st->start_ns;
	struct strbuf b = STRBUF_INIT;
	for (size_t i = 0; i < tg->tids.len; i++) {
		struct atid *a = &tg->tids.data[i];
		if (!tg->gone)
			read_comm(tg->pid, a->tid, a->name);
		SB_REC(&b, RAW_THREAD_MAX(strlen(a->name)), raw_put_thread,
		       (struct raw_thread){ rec_dt(a->first, &last), (uint64_t)a->tid, a->name,
					    (uint32_t)strlen(a->name) });
	}
	/* -a: the CPU time of a process that began or ended inside the
	 * window is not known at its edges (it is read when its first sample
	 * is, and every poll): no achieved rate rather than a wrong one */
	if (!tg->no_cpu && !(x->system && tg->gone)) {
		SB_REC(&b, RAW_PCPU_MAX, raw_put_pcpu, (struct raw_pcpu){ rec_dt(now, &last), 1, tg->cpu_last });
	}
	if (exit_kind || tg->gone)   /* not our child: how it ended is not ours to know */
		SB_REC(&b, RAW_EXIT_MAX, raw_put_exit,
		       (struct raw_exit_rec){ rec_dt(now, &last), exit_kind ? (uint64_t)exit_kind : EXIT_UNKNOWN, 0 });
	SB_REC(&b, RAW_END_MAX, raw_put_end, (struct raw_end){ rec_dt(now, &last) });
	write_chunk(st, tg->pid, &b);
	sb_release(&b);
}

/* Whether each attached process still runs; its CPU time as last seen. */
static void check_targets(struct extsample *x)
{
	for (size_t i = 0; i < x->targets.len; i++) {
		struct target *tg = &x->targets.data[i];
		if (tg->gone)
			continue;
		uint64_t cpu;
		struct pollfd pf = { tg->pidfd, POLLIN, 0 };
		int rc = proc_stat(tg->pid, NULL, &cpu);
		if (rc == 0 || rc == -2)
			tg->cpu_last = cpu;
		if (rc != 0 || (tg->pidfd >= 0 && poll(&pf, 1, 0) > 0))
			tg->gone = 1;
	}
}

/* The raw stream raw.PID.SEQ of an image, begun at `start` (the header
 * only); its index in x->streams, or -1 with *err. */
static long new_stream(struct extsample *x, int pid, int seq, uint64_t start, int *err)
{
	struct strbuf pth = STRBUF_INIT;
	sb_addf(&pth, "%s/raw.%d.%d", x->dir, pid, seq);
	int fd = open(pth.buf, O_WRONLY | O_APPEND | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	uint8_t h[RAW_FILE_HDR];
	memcpy(h, RAW_MAGIC, 8);
	fmt_put_u64le(h + 8, start);
	fmt_put_u64le(h + 16, start);   /* ticks are CLOCK_MONOTONIC ns */
	fmt_put_u64le(h + 24, 0);
	if (fd < 0 || write(fd, h, sizeof(h)) != (ssize_t)sizeof(h)) {
		*err = errno ? errno : EIO;
		if (fd >= 0)
			close(fd);
		unlink(pth.buf);
		sb_release(&pth);
		return -1;
	}
	struct stream s = { pid, seq, sb_detach(&pth), start, start, fd };
	VEC_PUSH(&x->streams, s);
	return (long)x->streams.len - 1;
}

/* A process to sample, with its raw stream begun (the header only): image
 * `seq` from `start` (0: now). Returns NULL with *err: ESRCH when it is
 * gone, else the stream's. */
static struct target *add_target_at(struct extsample *x, int pid, int seq, uint64_t start, int *err)
{
	struct target tg;
	memset(&tg, 0, sizeof(tg));
	tg.pid = pid;
	tg.seq = seq;
	if (proc_stat(pid, NULL, &tg.cpu0) != 0) {
		*err = ESRCH;
		return NULL;
	}
	tg.cpu_last = tg.cpu0;
	long si = new_stream(x, pid, seq, start ? start : mono_ns(), err);
	if (si < 0)
		return NULL;
	tg.si = (size_t)si;
	tg.pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
	VEC_PUSH(&x->targets, tg);
	return &x->targets.data[x->targets.len - 1];
}

static struct target *add_target(struct extsample *x, int pid, int *err)
{
	return add_target_at(x, pid, 0, 0, err);
}

struct extsample *extsample_attach(const int *pids, size_t n, int hz, int depth, const char *sessdir,
				   int *err, int *bad_pid)
{
	*err = 0;
	*bad_pid = 0;
	struct extsample *x = x_new(hz, depth, sessdir);
	x->attach = 1;
	/* counting starts now; the kernel's frames where allowed (root,
	 * CAP_PERFMON or perf_event_paranoid <= 1) */
	x->attr.exclude_callchain_kernel = 0;
	x->attr.task = 1;             /* the FORK record of each thread and process made later */
	/* the processes they fork are followed (inherit), each into its own
	 * profile, and so are the images they exec (follow_sample) */
	x->follow = 1;
	for (size_t i = 0; i < n; i++) {
		*bad_pid = pids[i];
		struct target *tg = add_target(x, pids[i], err);
		if (!tg) {
			if (*err != ESRCH)
				*bad_pid = 0;   /* the session directory's fault */
			goto fail;
		}
		int e = scan_tasks(x, tg, 1);
		if (e) {
			*err = e;
			goto fail;
		}
		/* the CPU time it had when its counters began */
		proc_stat(tg->pid, NULL, &tg->cpu0);
		tg->cpu_last = tg->cpu0;
	}
	*bad_pid = 0;
	for (size_t i = 0; i < x->targets.len; i++)
		write_start(x, &x->targets.data[i]);
	x->open = 1;
	return x;
fail:
	extsample_stop(x);
	return NULL;
}

struct extsample *extsample_launch(int pid, int hz, int depth, int follow, int after_exec, const char *sessdir,
				   int *err)
{
	*err = 0;
	struct extsample *x = x_new(hz, depth, sessdir);
	x->attach = 1;
	x->launch = 1;
	x->follow = 1;
	x->root = pid;
	x->attr.exclude_callchain_kernel = 0;
	x->attr.task = 1;
	/* --no-follow: its threads alone (exec'd images stay in: one pid) */
	x->attr.inherit_thread = !follow;
	x->only_root = !follow;   /* (before Linux 5.13 children are counted all the same: dropped) */
	x->t_launch = mono_ns();
	x->open = 1;
	if (after_exec) {
		/* the kernel stops counters inherited across the exec of a
		 * set-id program: they are opened on it once it runs */
		x->after_exec = 1;
		return x;
	}
	x->attr.disabled = 1;
	x->attr.enable_on_exec = 1;
	*err = open_task(x, pid);
	if (*err) {
		extsample_stop(x);
		return NULL;
	}
	x->t_launch = mono_ns();
	return x;
}

int extsample_exec_done(struct extsample *x)
{
	if (!x || !x->after_exec)
		return 0;
	int err;
	struct target *tg = add_target_at(x, x->root, 0, x->t_launch, &err);
	if (!tg)
		return err;
	err = scan_tasks(x, tg, 1);
	if (err)
		return err;
	tg->cpu0 = 0;
	write_start(x, tg);
	return 0;
}

void extsample_reaping(struct extsample *x, int pid)
{
	if (!x || !x->launch || x->open != 1)
		return;
	/* its last samples while its image is known, then its final CPU
	 * time from the zombie (check_targets) */
	extsample_poll(x);
	struct target *tg = target_of(x, pid);
	if (tg && !tg->gone) {
		uint64_t cpu;
		if (proc_stat(pid, NULL, &cpu) == -2)
			tg->cpu_last = cpu;
		tg->gone = 1;
	}
}

struct extsample *extsample_system(int hz, int depth, const char *sessdir, int *err)
{
	struct extsample *x = x_new(hz, depth, sessdir);
	x->attach = 1;
	x->system = 1;
	/* one counter per CPU for every task on it: nothing to inherit;
	 * rings of up to 8 MiB (32 MiB over all CPUs), every process's
	 * samples go through them */
	x->attr.inherit = 0;
	for (x->pages = 4 * RING_PAGES_MAX; x->pages > 16 && (long)x->pages * x->ncpu > 16 * RING_PAGES_MAX;)
		x->pages /= 2;
	x->attr.exclude_callchain_kernel = 0;
	/* opened stopped: started once every process's CPU time is read */
	x->attr.disabled = 1;
	*err = open_task(x, -1);
	x->attr.disabled = 0;
	if (*err) {
		extsample_stop(x);
		return NULL;
	}
	/* every process's CPU time now, for its achieved rate: the processes
	 * first, then their CPU clocks alone, just before the counters start
	 * (reading /proc takes a while: counters started before it sampled
	 * each process for CPU time its reading then left out of the window) */
	DIR *d = opendir("/proc");
	struct dirent *e;
	while (d && (e = readdir(d))) {
		int pid = atoi(e->d_name);
		uint64_t cpu;
		bool isnew;
		if (pid > 0 && proc_stat(pid, NULL, &cpu) == 0)
			*u64map_put(&x->cpu_at_start, (uint64_t)pid, &isnew) = cpu + 1;
	}
	if (d)
		closedir(d);
	for (size_t i = 0; i < x->cpu_at_start.cap; i++) {
		struct u64map_slot *sl = &x->cpu_at_start.slots[i];
		clockid_t cid;
		struct timespec ts;
		if (sl->key && clock_getcpuclockid((pid_t)sl->key, &cid) == 0 && clock_gettime(cid, &ts) == 0)
			sl->val = (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec + 1;
	}
	for (size_t i = 0; i < x->rings.len; i++)
		ioctl(x->rings.data[i].fd, PERF_EVENT_IOC_ENABLE, 0);
	for (size_t i = 0; i < x->fds.len; i++)
		ioctl(x->fds.data[i], PERF_EVENT_IOC_ENABLE, 0);
	x->open = 1;
	return x;
}

/* Whether pid is a kernel thread (PF_KTHREAD in /proc/PID/stat's flags):
 * no user space, no file to name it by. */
static int is_kthread(int pid)
{
	char buf[1024];
	if (procfs_read(pid, 0, "stat", buf, sizeof(buf)) < 0)
		return 0;
	const char *q = strrchr(buf, ')');
	unsigned long flags = 0;
	if (!q || sscanf(q + 1, " %*c %*d %*d %*d %*d %*d %lu", &flags) != 1)
		return 0;
	return (flags & 0x00200000ul) != 0;
}

/* -a: the process of a sample seen for the first time gets its stream;
 * the launcher's own samples, the idle task's, kernel threads' (counted in
 * x->kthread_samples) and those of a process gone before it could be read
 * are dropped. Returns whether s is to be kept. */
static int system_sample(struct extsample *x, const struct xs *s)
{
	if (s->pid <= 0 || s->pid == (int)getpid())
		return 0;
	if (target_of(x, s->pid))
		return 1;
	bool isnew;
	uint64_t *dead = u64map_put(&x->skipped, (uint64_t)(uint32_t)s->pid, &isnew);
	if (!isnew) {
		x->kthread_samples += *dead == 2;
		return 0;
	}
	int err;
	struct target *tg = is_kthread(s->pid) ? NULL : add_target(x, s->pid, &err);
	if (!tg) {
		*dead = is_kthread(s->pid) ? 2 : 1;
		x->kthread_samples += *dead == 2;
		x->dropped_nostream += *dead == 1;
		return 0;
	}
	u64map_del(&x->skipped, (uint64_t)(uint32_t)s->pid, NULL);
	uint64_t *c0 = u64map_get(&x->cpu_at_start, (uint64_t)(uint32_t)s->pid);
	if (c0)
		tg->cpu0 = *c0 - 1;
	else
		tg->no_cpu = 1;
	write_start(x, tg);
	return 1;
}

size_t extsample_running(struct extsample *x)
{
	size_t n = 0;
	for (size_t i = 0; x && i < x->targets.len; i++)
		n += !x->targets.data[i].gone;
	return x && x->system ? 1 : n;
}

int extsample_kernel_errno(const struct extsample *x)
{
	return x ? x->kernel_errno : 0;
}

/* ---- reading the rings ---- */

static void parse_sample(struct extsample *x, const uint8_t *p, size_t n)
{
	const uint8_t *end = p + n;
	struct xs s;
	memset(&s, 0, sizeof(s));
#define TAKE(dst, sz) do { if ((size_t)(end - p) < (sz)) return; memcpy((dst), p, (sz)); p += (sz); } while (0)
	uint64_t ip, nr;
	uint32_t pt[2];
	TAKE(&ip, 8);
	TAKE(pt, 8);
	s.pid = (int)pt[0];
	s.tid = (int)pt[1];
	TAKE(&s.time, 8);
	TAKE(&nr, 8);
	if (nr > (uint64_t)(end - p) / 8)
		return;
	const uint64_t *chain = (const uint64_t *)(const void *)p;
	p += nr * 8;
	uint64_t abi;
	TAKE(&abi, 8);
	if (abi != PERF_SAMPLE_REGS_ABI_NONE) {
		TAKE(s.regs, sizeof(s.regs));
		s.have_regs = abi == PERF_SAMPLE_REGS_ABI_64;
	}
	uint64_t size;
	TAKE(&size, 8);
	const uint8_t *stack = p;
	if (size) {
		if (size > (uint64_t)(end - p) - 8)
			return;
		p += size;
		uint64_t dyn;
		TAKE(&dyn, 8);
		s.stack_len = dyn < size ? dyn : size;
	}
#undef TAKE
	(void)ip;
	struct tstate *t = thread_of(x, s.pid, s.tid);
	t->touched = x->poll_no;   /* its mask is looked at after this read */
	x->seen++;
	/* the kernel part of the chain (attach: the kernel was asked for
	 * it), then the user part: after PERF_CONTEXT_USER */
	size_t k = 0;
	while (k < nr && chain[k] != PERF_CONTEXT_USER) {
		if (x->attach && chain[k] < PERF_CONTEXT_MAX) {
			if (!s.kchain)
				s.kchain = xmalloc(nr * sizeof(uint64_t));
			s.kchain[s.nk++] = chain[k];
		}
		k++;
	}
	if (k < nr)
		k++;
	s.nchain = (uint32_t)(nr - k);
	s.chain = xmalloc((s.nchain + 1) * sizeof(uint64_t));
	memcpy(s.chain, chain + k, s.nchain * sizeof(uint64_t));
	if (s.stack_len) {
		s.stack = xmalloc(s.stack_len);
		memcpy(s.stack, stack, s.stack_len);
		s.sp = s.regs[7];
	}
	/* attached: a backlog of 32768 samples (256 MiB of stacks) waiting
	 * to be unwound is the most kept; more are lost */
	if (x->attach && x->batch.len >= 32768) {
		x->lost++;
		free(s.chain);
		free(s.kchain);
		free(s.stack);
		return;
	}
	VEC_PUSH(&x->batch, s);
}

static void read_ring(struct extsample *x, struct ring *r)
{
	struct perf_event_mmap_page *mp = (struct perf_event_mmap_page *)(void *)r->base;
	size_t pg = (size_t)sysconf(_SC_PAGESIZE);
	uint8_t *data = r->base + pg;
	uint64_t head = __atomic_load_n(&mp->data_head, __ATOMIC_ACQUIRE);
	uint64_t tail = mp->data_tail;
	while (tail + sizeof(struct perf_event_header) <= head) {
		size_t off = (size_t)(tail & (r->data_size - 1));
		struct perf_event_header h;
		for (size_t i = 0; i < sizeof(h); i++)
			((uint8_t *)&h)[i] = data[(off + i) & (r->data_size - 1)];
		if (h.size < sizeof(h) || tail + h.size > head)
			break;
		const uint8_t *rec = data + off;
		if (off + h.size > r->data_size) {   /* wraps: copy it out */
			if (x->wrap_cap < h.size) {
				x->wrap = xrealloc(x->wrap, h.size);
				x->wrap_cap = h.size;
			}
			size_t first = r->data_size - off;
			memcpy(x->wrap, data + off, first);
			memcpy(x->wrap + first, data, h.size - first);
			rec = x->wrap;
		}
		if (h.type == PERF_RECORD_SAMPLE)
			parse_sample(x, rec + sizeof(h), h.size - sizeof(h));
		else if (h.type == PERF_RECORD_COMM && (h.misc & PERF_RECORD_MISC_COMM_EXEC) &&
			 h.size >= sizeof(h) + 8 + 16) {
			/* pid, tid, name, then the sample id: pid, tid, time */
			__typeof__(*x->execs.data) e = { (int)fmt_get_u32le(rec + sizeof(h)),
							 fmt_get_u64le(rec + h.size - 8) };
			VEC_PUSH(&x->execs, e);
		} else if (h.type == PERF_RECORD_LOST && h.size >= sizeof(h) + 16) {
			x->lost += fmt_get_u64le(rec + sizeof(h) + 8);
		} else if (h.type == PERF_RECORD_COMM && x->attach && h.size >= sizeof(h) + 8 + 1) {
			/* a thread renamed (pthread_setname_np): the name it ends
			 * with in the profile, should it exit before the end */
			struct target *tg = target_of(x, (int)fmt_get_u32le(rec + sizeof(h)));
			if (tg) {
				struct atid *a = atid_of(x, tg, (int)fmt_get_u32le(rec + sizeof(h) + 4));
				size_t room = h.size - sizeof(h) - 8;
				snprintf(a->name, sizeof(a->name), "%.*s", (int)(room < 16 ? room : 16),
					 (const char *)rec + sizeof(h) + 8);
			}
		} else if (h.type == PERF_RECORD_FORK && x->attach && h.size >= sizeof(h) + 16) {
			/* pid, ppid, tid, ptid, time: a task made by a counted
			 * one, which inherited its counter; a process (its
			 * first thread) to follow */
			int fpid = (int)fmt_get_u32le(rec + sizeof(h)), ppid = (int)fmt_get_u32le(rec + sizeof(h) + 4);
			int ftid = (int)fmt_get_u32le(rec + sizeof(h) + 8);
			counted(x, fpid, ftid);
			if (x->follow && fpid == ftid && fpid != ppid) {
				__typeof__(*x->forks.data) fk = { fpid, fmt_get_u64le(rec + sizeof(h) + 16) };
				VEC_PUSH(&x->forks, fk);
			}
		}
		tail += h.size;
	}
	__atomic_store_n(&mp->data_tail, tail, __ATOMIC_RELEASE);
}

static void release_batch(struct extsample *x)
{
	for (size_t i = 0; i < x->batch.len; i++) {
		free(x->batch.data[i].chain);
		free(x->batch.data[i].kchain);
		free(x->batch.data[i].stack);
	}
	x->batch.len = 0;
}

/* Unwinds s into its process image's stream. */
static void keep_sample(struct extsample *x, struct xs *s, int *scanned)
{
	struct stream *st = stream_at(x, s->pid, s->time);
	if (!st && !*scanned) {
		scan_streams(x);
		*scanned = 1;
		st = stream_at(x, s->pid, s->time);
	}
	if (!st) {
		x->dropped_nostream++;
		return;
	}
	size_t n = unwind(x, s, st);
	if (!n)
		return;
	emit(x, st, s->tid, s->time, x->ipbuf, n);
	x->kept++;
}

/* The time of the last exec of pid at or before t (COMM records), or 0. */
static uint64_t last_exec(const struct extsample *x, int pid, uint64_t t)
{
	uint64_t ex = 0;
	for (size_t i = 0; i < x->execs.len; i++)
		if (x->execs.data[i].pid == pid && x->execs.data[i].time <= t && x->execs.data[i].time > ex)
			ex = x->execs.data[i].time;
	return ex;
}

/* Following: the sample of s's process finds its image's stream. A process
 * seen for the first time (forked by a counted one, or the launched
 * program) becomes a target, its stream begun at its fork (or exec, or
 * launch); a process that has exec'd since its stream began ends that
 * stream (EXIT_EXEC) and begins the next image's, raw.PID.SEQ+1. What
 * each image is comes from /proc when its first sample is read: a process
 * that exits within a poll (10 ms) of its start is gone by then, and its
 * samples with it. */
static void follow_sample(struct extsample *x, const struct xs *s)
{
	uint64_t ex = last_exec(x, s->pid, s->time);
	struct target *tg = target_of(x, s->pid);
	if (!tg && x->only_root && s->pid != x->root)
		return;
	if (!tg) {
		uint64_t start = ex;
		unsigned pflags = ex ? RAW_PROC_EXECED : 0;
		for (size_t i = 0; i < x->forks.len && !start; i++)
			if (x->forks.data[i].pid == s->pid && x->forks.data[i].time <= s->time) {
				start = x->forks.data[i].time;
				pflags |= RAW_PROC_FORKED;
			}
		if (x->launch && s->pid == x->root)
			pflags = 0;   /* its first image: the program scorch ran */
		if (!start)
			start = x->launch && s->pid == x->root && x->t_launch < s->time ? x->t_launch : s->time;
		int err;
		tg = add_target_at(x, s->pid, 0, start, &err);
		if (!tg)
			return;   /* gone already: its samples are dropped */
		tg->followed = 1;
		tg->pflags = pflags;
		tg->cpu0 = 0;   /* a new process: all its CPU time is in the window */
		write_start(x, tg);
		return;
	}
	if (!ex || x->streams.data[tg->si].start_ns >= ex)
		return;
	/* an exec since: the image before ends, the new one begins now */
	check_targets(x);
	write_end(x, tg, EXIT_EXEC);
	int err;
	long si = new_stream(x, tg->pid, tg->seq + 1, ex, &err);
	if (si < 0)
		return;
	tg->seq++;
	tg->si = (size_t)si;
	tg->tids.len = 0;
	tg->mods.len = 0;
	tg->next_mod = 0;
	tg->mod_reports = 0;
	tg->cpu0 = tg->cpu_last;
	tg->pflags = (tg->pflags & RAW_PROC_FORKED) | RAW_PROC_EXECED;
	/* its one thread after the exec kept its counter, and what it makes
	 * inherits it: no rescans (they would count it twice) */
	tg->followed = 1;
	write_start(x, tg);
}

static int xs_time_cmp(const void *a, const void *b)
{
	const struct xs *p = a, *q = b;
	return p->time < q->time ? -1 : p->time > q->time;
}

/* extsample_poll() of attached processes: every sample is theirs alone. */
static void poll_attached(struct extsample *x)
{
	int scanned = 0;
	uint64_t t0 = mono_ns();
	size_t i = 0;
	/* following: in time order, so that a process's first sample, and an
	 * image's, come before the others (the rings are per CPU) */
	if (x->follow && x->batch.len > 1)
		qsort(x->batch.data, x->batch.len, sizeof(*x->batch.data), xs_time_cmp);
	for (; i < x->batch.len; i++) {
		/* Unwinding takes long beside the kernel's copying: the rings
		 * are read again as it goes, so that they never fill (with
		 * -a, every process's samples go through them), and what is
		 * not unwound within 8 ms waits for the next poll, so that the
		 * caller keeps its time (--duration); all of it at the end. */
		if (i % 32 == 31) {
			if (x->open == 1 && mono_ns() - t0 > 8000000ull)
				break;
			for (size_t r = 0; r < x->rings.len; r++)
				read_ring(x, &x->rings.data[r]);
		}
		struct xs *s = &x->batch.data[i];
		if (x->follow)
			follow_sample(x, s);
		if (!x->system || system_sample(x, s)) {
			counted(x, s->pid, s->tid);
			keep_sample(x, s, &scanned);
		}
		free(s->chain);
		free(s->kchain);
		free(s->stack);
	}
	for (size_t k = 0; k < x->pend.len; k++)
		flush_pending(x, &x->pend.data[k]);
	if (i && i < x->batch.len)   /* (the batch may be empty and unallocated) */
		memmove(x->batch.data, x->batch.data + i, (x->batch.len - i) * sizeof(*x->batch.data));
	x->batch.len -= i;
	if (x->open == 1)   /* else read when the counters stopped */
		check_targets(x);
	for (size_t k = 0; k < x->targets.len; k++) {
		struct target *tg = &x->targets.data[k];
		write_modules(x, tg, 0);
		if (!tg->gone && x->open == 1 && !x->system && !tg->followed)
			scan_tasks(x, tg, 0);
	}
}

void extsample_poll(struct extsample *x)
{
	if (!x)
		return;
	x->poll_no++;
	for (size_t i = 0; i < x->rings.len; i++)
		read_ring(x, &x->rings.data[i]);
	if (x->attach) {
		poll_attached(x);
		return;
	}
	/* Look at the masks of the threads with samples, after the samples,
	 * and of those found blocking lately. Found starved (or blocking, and
	 * gone since), a thread is sampled from outside from then on, and
	 * from the read before the first of its last 8 looks that found it
	 * blocking (its samples are held until then): a thread blocking from
	 * its start is found at its first look, one blocking on and off for
	 * less than a period at a time later. */
	for (size_t i = 0; i < x->threads.len; i++) {
		struct tstate *t = &x->threads.data[i];
		if (t->touched != x->poll_no && (t->blocker || !(t->hist & HOLD_LOOKS)))
			continue;
		if (t->now != MASK_GONE)
			t->now = look_mask(t->pid, t->tid);
		if (t->now != MASK_GONE)
			t->hist = t->hist << 1 | (t->now == MASK_BLOCKED || t->now == MASK_STARVED);
		if (t->now == MASK_STARVED || (t->now == MASK_GONE && (t->hist & HOLD_LOOKS)))
			t->blocker = 1;
	}
	int scanned = 0;
	size_t w = 0;
	for (size_t i = 0; i < x->held.len; i++) {
		struct xs *h = &x->held.data[i];
		struct tstate *t = thread_of(x, h->pid, h->tid);
		if (t->blocker)
			keep_sample(x, h, &scanned);
		if (t->blocker || !(t->hist & HOLD_LOOKS)) {
			free(h->chain);
			free(h->kchain);
			free(h->stack);
		} else {
			x->held.data[w++] = *h;
		}
	}
	x->held.len = w;
	for (size_t i = 0; i < x->batch.len; i++) {
		struct xs *s = &x->batch.data[i];
		struct tstate *t = thread_of(x, s->pid, s->tid);
		/* finalize keeps those the runtime did not sample itself */
		if (t->blocker) {
			keep_sample(x, s, &scanned);
		} else if (t->hist & HOLD_LOOKS) {
			VEC_PUSH(&x->held, *s);
			s->chain = NULL;
			s->kchain = NULL;
			s->stack = NULL;
		}
	}
	for (size_t i = 0; i < x->pend.len; i++)
		flush_pending(x, &x->pend.data[i]);
	release_batch(x);
}

void extsample_stop(struct extsample *x)
{
	if (!x)
		return;
	if (x->attach && x->open) {
		/* the end of the window: its CPU time is read right after */
		for (size_t i = 0; i < x->rings.len; i++)
			ioctl(x->rings.data[i].fd, PERF_EVENT_IOC_DISABLE, 0);
		for (size_t i = 0; i < x->fds.len; i++)
			ioctl(x->fds.data[i], PERF_EVENT_IOC_DISABLE, 0);
		check_targets(x);
		x->open = 2;   /* no new counters, CPU times as they are now */
	}
	extsample_poll(x);
	if (x->attach && x->open) {
		x->open = 0;
		for (size_t i = 0; i < x->targets.len; i++)
			write_end(x, &x->targets.data[i], 0);
		if (x->lost * 100 > x->seen + x->lost)
			warning("%llu CPU samples were lost (the launcher read its buffers too late: a busy machine)",
				(unsigned long long)x->lost);
		if (x->kthread_samples)
			fprintf(stderr, "scorch: %llu samples fell in kernel threads, which get no profile (no user space)\n",
				(unsigned long long)x->kthread_samples);
	}
	for (size_t i = 0; i < x->targets.len; i++) {
		if (x->targets.data[i].pidfd >= 0)
			close(x->targets.data[i].pidfd);
		VEC_FREE(&x->targets.data[i].tids);
		VEC_FREE(&x->targets.data[i].mods);
	}
	VEC_FREE(&x->targets);
	u64map_release(&x->counted);
	u64map_release(&x->skipped);
	u64map_release(&x->cpu_at_start);
	for (size_t i = 0; i < x->fds.len; i++)
		close(x->fds.data[i]);
	VEC_FREE(&x->fds);
	free(x->cpu_ring);
	size_t pg = (size_t)sysconf(_SC_PAGESIZE);
	for (size_t i = 0; i < x->rings.len; i++) {
		munmap(x->rings.data[i].base, x->rings.data[i].data_size + pg);
		close(x->rings.data[i].fd);
	}
	VEC_FREE(&x->rings);
	size_t blockers = 0;
	for (size_t i = 0; i < x->threads.len; i++)
		blockers += x->threads.data[i].blocker;
	/* lost samples of the other threads make no difference */
	if (blockers && x->lost * 100 > x->seen + x->lost)
		warning("%llu CPU samples of threads sampled from outside were lost (the launcher read its "
			"buffers too late: a busy machine)", (unsigned long long)x->lost);
	for (size_t i = 0; i < x->pend.len; i++)
		sb_release(&x->pend.data[i].b);
	VEC_FREE(&x->pend);
	for (size_t i = 0; i < x->streams.len; i++) {
		if (x->streams.data[i].fd >= 0)
			close(x->streams.data[i].fd);
		free(x->streams.data[i].path);
	}
	VEC_FREE(&x->streams);
	VEC_FREE(&x->execs);
	VEC_FREE(&x->forks);
	for (size_t i = 0; i < x->procs.len; i++) {
		if (x->procs.data[i]->dwfl)
			dwfl_end(x->procs.data[i]->dwfl);
		free(x->procs.data[i]);
	}
	VEC_FREE(&x->procs);
	release_batch(x);
	VEC_FREE(&x->batch);
	for (size_t i = 0; i < x->held.len; i++) {
		free(x->held.data[i].chain);
		free(x->held.data[i].kchain);
		free(x->held.data[i].stack);
	}
	VEC_FREE(&x->held);
	VEC_FREE(&x->threads);
	u64map_release(&x->tid_index);
	free(x->wrap);
	free(x->ipbuf);
	free(x->dir);
	free(x);
}
