/* External CPU sampling: the launcher samples, from outside, the threads
 * that the in-process sampler cannot reach because they block its signal.
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
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "../format/raw.h"
#include "../format/varint.h"
#include "../lib/die.h"
#include "../lib/hashmap.h"
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

struct proc {
	int pid, seq;                   /* the image its Dwfl describes */
	Dwfl *dwfl;
	int attached;
	unsigned reported;              /* the poll of the last report of its maps */
	struct ucur cur;
};

/* Chunk being filled for one (stream, thread) */
struct pending {
	struct stream *s;
	int tid;
	struct strbuf b;
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
	VEC(struct proc) procs;
	VEC(struct pending) pend;
	VEC(struct { int pid; uint64_t time; }) execs;
	uint64_t lost, seen, kept, dropped_nostream;
	uint8_t *wrap;                  /* a record that wraps around the ring */
	size_t wrap_cap;
	uint64_t *ipbuf;
};

static long perf_open(struct perf_event_attr *a, int pid, int cpu)
{
	return syscall(SYS_perf_event_open, a, pid, cpu, -1, PERF_FLAG_FD_CLOEXEC);
}

struct extsample *extsample_start(int pid, int hz, int depth, const char *sessdir, int *err)
{
	const char *env = getenv("SCORCH_EXTERNAL");
	*err = 0;
	if (env && !strcmp(env, "0"))
		return NULL;
	struct extsample *x = xcalloc(1, sizeof(*x));
	x->hz = hz;
	x->depth = depth < 1 ? 1 : depth > RAW_MAX_STACK ? RAW_MAX_STACK : depth;
	x->period = 1000000000ull / (uint64_t)hz;
	x->dir = xstrdup(sessdir);
	u64map_init(&x->tid_index, 64);
	x->ipbuf = xmalloc(RAW_MAX_STACK * sizeof(uint64_t));

	struct perf_event_attr a;
	memset(&a, 0, sizeof(a));
	a.size = sizeof(a);
	a.type = PERF_TYPE_SOFTWARE;
	a.config = PERF_COUNT_SW_CPU_CLOCK;
	a.sample_period = x->period;
	a.sample_type = PERF_SAMPLE_IP | PERF_SAMPLE_TID | PERF_SAMPLE_TIME | PERF_SAMPLE_CALLCHAIN |
			PERF_SAMPLE_REGS_USER | PERF_SAMPLE_STACK_USER;
	a.sample_regs_user = REGS_MASK;
	a.sample_stack_user = STACK_COPY;
	/* time in the kernel counts where that is allowed, as in-process
	 * sampling counts it: such a sample's stack is the user one, from the
	 * system call that entered the kernel */
	a.exclude_kernel = 0;
	a.exclude_hv = 1;
	a.exclude_callchain_kernel = 1;
	a.inherit = 1;
	a.disabled = 1;
	a.enable_on_exec = 1;
	a.use_clockid = 1;
	a.clockid = CLOCK_MONOTONIC;
	/* execs, with their time: a sample after one belongs to the new
	 * image's stream, not to the one before */
	a.comm = 1;
	a.comm_exec = 1;
	a.sample_id_all = 1;
	long ncpu = sysconf(_SC_NPROCESSORS_CONF);
	size_t pg = (size_t)sysconf(_SC_PAGESIZE);
	unsigned pages = RING_PAGES_MAX;
	while (pages > 16 && (long)pages * ncpu > 4 * RING_PAGES_MAX)
		pages /= 2;   /* at most 8 MiB over all CPUs */
	for (long cpu = 0; cpu < ncpu; cpu++) {
		int fd = (int)perf_open(&a, pid, (int)cpu);
		if (fd < 0 && (errno == EACCES || errno == EPERM) && !a.exclude_kernel) {
			a.exclude_kernel = 1;
			fd = (int)perf_open(&a, pid, (int)cpu);
		}
		if (fd < 0) {
			if (errno == ENODEV || errno == EINVAL)
				continue;   /* an offline CPU */
			*err = errno;
			goto fail;
		}
		void *m = MAP_FAILED;
		/* the locked-memory allowance is per user: halve until it fits */
		for (; pages >= 8; pages /= 2) {
			m = mmap(NULL, (pages + 1) * pg, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
			if (m != MAP_FAILED)
				break;
		}
		if (m == MAP_FAILED) {
			*err = errno;
			close(fd);
			goto fail;
		}
		struct ring r = { fd, (int)cpu, m, pages * pg };
		VEC_PUSH(&x->rings, r);
	}
	if (!x->rings.len) {
		*err = ENODEV;
		goto fail;
	}
	return x;
fail:
	extsample_stop(x);
	return NULL;
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
	char path[64], buf[4096];
	snprintf(path, sizeof(path), "/proc/%d/task/%d/status", pid, tid);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return MASK_GONE;
	ssize_t n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return MASK_GONE;
	buf[n] = 0;
	const char *pnd = strstr(buf, "\nSigPnd:"), *shd = strstr(buf, "\nShdPnd:"), *blk = strstr(buf, "\nSigBlk:");
	if (!pnd || !shd || !blk)
		return MASK_GONE;
	unsigned long long b = strtoull(blk + 8, NULL, 16);
	unsigned long long p = strtoull(pnd + 8, NULL, 16) | strtoull(shd + 8, NULL, 16);
	if (!((b >> (SIGTRAP - 1)) & 1))
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
}

static struct proc *proc_of(struct extsample *x, int pid, int seq)
{
	struct proc *p = NULL;
	for (size_t i = 0; i < x->procs.len && !p; i++)
		if (x->procs.data[i].pid == pid)
			p = &x->procs.data[i];
	if (p && p->seq == seq && (p->dwfl || p->reported == x->poll_no))
		return p;
	if (!p) {
		struct proc np;
		memset(&np, 0, sizeof(np));
		VEC_PUSH(&x->procs, np);
		p = &x->procs.data[x->procs.len - 1];
	}
	if (p->dwfl)   /* an exec: other modules */
		dwfl_end(p->dwfl);
	p->pid = pid;
	p->seq = seq;
	p->attached = 0;
	p->reported = x->poll_no;
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
			c->ips = x->ipbuf;
			c->n = 0;
			c->max = (size_t)x->depth;
			dwfl_getthread_frames(p->dwfl, s->tid, cb_frame, c);
			n = c->n;
		}
	}
	/* no CFI got past the pc: the frame-pointer chain, if longer */
	if (n <= 1 && s->nchain > n) {
		n = s->nchain < (uint32_t)x->depth ? s->nchain : (size_t)x->depth;
		memcpy(x->ipbuf, s->chain, n * sizeof(uint64_t));
	}
	return n;
}

/* ---- output ---- */

static void flush_pending(struct extsample *x, struct pending *q)
{
	if (!q->b.len)
		return;
	struct stream *s = q->s;
	if (s->fd < 0)
		s->fd = open(s->path, O_WRONLY | O_APPEND | O_CLOEXEC);
	if (s->fd >= 0) {
		uint8_t h[RAW_CHUNK_HDR];
		fmt_put_u32le(h, RAW_CHUNK_MAGIC);
		fmt_put_u32le(h + 4, (uint32_t)q->b.len);
		fmt_put_u32le(h + 8, (uint32_t)q->tid);
		fmt_put_u64le(h + 16, s->tick0);
		fmt_put_u32le(h + 12, fmt_chunk_sum(h, (const uint8_t *)q->b.buf, q->b.len));
		struct strbuf all = STRBUF_INIT;
		sb_add(&all, h, sizeof(h));
		sb_add(&all, q->b.buf, q->b.len);
		/* one write: chunks of the program's threads go in between */
		ssize_t w = write(s->fd, all.buf, all.len);
		(void)w;
		sb_release(&all);
	}
	sb_reset(&q->b);
	(void)x;
}

static void emit(struct extsample *x, struct stream *st, int tid, uint64_t time, const uint64_t *ips, size_t n)
{
	struct pending *q = NULL;
	for (size_t i = 0; i < x->pend.len && !q; i++)
		if (x->pend.data[i].s == st && x->pend.data[i].tid == tid)
			q = &x->pend.data[i];
	if (!q) {
		struct pending np = { st, tid, STRBUF_INIT };
		VEC_PUSH(&x->pend, np);
		q = &x->pend.data[x->pend.len - 1];
	}
	uint8_t rec[32 + 10 * RAW_MAX_STACK], *p = rec;
	*p++ = RAW_XSAMPLE;
	p = fmt_put_s(p, 0);
	p = fmt_put_u(p, time);
	p = fmt_put_u(p, x->period);
	p = fmt_put_u(p, 0);
	p = fmt_put_u(p, n);
	uint64_t prev = 0;
	for (size_t i = 0; i < n; i++) {
		p = fmt_put_s(p, (int64_t)(ips[i] - prev));
		prev = ips[i];
	}
	sb_add(&q->b, rec, (size_t)(p - rec));
	if (q->b.len > RAW_CHUNK_MAX / 2)
		flush_pending(x, q);
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
	/* the user part of the chain: after PERF_CONTEXT_USER */
	size_t k = 0;
	while (k < nr && chain[k] != PERF_CONTEXT_USER)
		k++;
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
		} else if (h.type == PERF_RECORD_LOST && h.size >= sizeof(h) + 16)
			x->lost += fmt_get_u64le(rec + sizeof(h) + 8);
		tail += h.size;
	}
	__atomic_store_n(&mp->data_tail, tail, __ATOMIC_RELEASE);
}

static void release_batch(struct extsample *x)
{
	for (size_t i = 0; i < x->batch.len; i++) {
		free(x->batch.data[i].chain);
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

void extsample_poll(struct extsample *x)
{
	if (!x)
		return;
	x->poll_no++;
	for (size_t i = 0; i < x->rings.len; i++)
		read_ring(x, &x->rings.data[i]);
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
	extsample_poll(x);
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
	for (size_t i = 0; i < x->procs.len; i++)
		if (x->procs.data[i].dwfl)
			dwfl_end(x->procs.data[i].dwfl);
	VEC_FREE(&x->procs);
	release_batch(x);
	VEC_FREE(&x->batch);
	for (size_t i = 0; i < x->held.len; i++) {
		free(x->held.data[i].chain);
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
