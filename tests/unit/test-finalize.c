/* Unit tests of finalize on hand-built raw streams: records of every kind,
 * two threads merged in time order, a STACK defined after its first use, a
 * damaged chunk skipped by its checksum, and a stream without END. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../analysis/finalize.h"
#include "../../analysis/profile-io.h"
#include "../../format/raw.h"
#include "../../format/varint.h"

struct chunk {
	uint8_t buf[4096];
	uint8_t *p;
	uint32_t tid;
	uint64_t base;
};

static void ck_begin(struct chunk *c, uint32_t tid, uint64_t base)
{
	c->p = c->buf + RAW_CHUNK_HDR;
	c->tid = tid;
	c->base = base;
}

static void rec(struct chunk *c, int type, int64_t dt)
{
	*c->p++ = (uint8_t)type;
	c->p = fmt_put_s(c->p, dt);
}

static void str(struct chunk *c, const char *s)
{
	size_t n = strlen(s);
	c->p = fmt_put_u(c->p, n);
	memcpy(c->p, s, n);
	c->p += n;
}

static void ck_write(FILE *f, struct chunk *c, int damage)
{
	uint32_t len = (uint32_t)(c->p - c->buf - RAW_CHUNK_HDR);
	fmt_put_u32le(c->buf, RAW_CHUNK_MAGIC);
	fmt_put_u32le(c->buf + 4, len);
	fmt_put_u32le(c->buf + 8, c->tid);
	fmt_put_u64le(c->buf + 16, c->base);
	uint32_t ck = fmt_chunk_sum(c->buf, c->buf + RAW_CHUNK_HDR, len);
	fmt_put_u32le(c->buf + 12, ck);
	if (damage)
		c->buf[RAW_CHUNK_HDR + len / 2] ^= 0xff;
	fwrite(c->buf, 1, RAW_CHUNK_HDR + len, f);
}

/* Opens path and writes the stream's file header: ns and ticks at the
 * start 1000000, fs femtoseconds per tick (0: ticks are ns). */
static FILE *stream_open(const char *path, uint64_t fs)
{
	FILE *f = fopen(path, "wb");
	uint8_t hdr[RAW_FILE_HDR];
	memcpy(hdr, RAW_MAGIC, 8);
	fmt_put_u64le(hdr + 8, 1000000);   /* ns at the start */
	fmt_put_u64le(hdr + 16, 1000000);  /* ticks then */
	fmt_put_u64le(hdr + 24, fs);
	fwrite(hdr, 1, sizeof(hdr), f);
	return f;
}

/* Thread 10's chunk begun at tick 1000000 with its THREAD "main" and the
 * PROC of pid 10 (heap, depth 64, /no/such/prog, argv of n bytes at
 * argv), the PROC's time delta dt. */
static void main_proc(struct chunk *c, int64_t dt, const char *argv, size_t n)
{
	ck_begin(c, 10, 1000000);
	rec(c, RAW_THREAD, 0);
	c->p = fmt_put_u(c->p, 10);
	str(c, "main");
	rec(c, RAW_PROC, dt);
	c->p = fmt_put_u(c->p, 10);   /* pid */
	c->p = fmt_put_u(c->p, 1);    /* ppid */
	c->p = fmt_put_u(c->p, RAW_PROC_HEAP);
	c->p = fmt_put_u(c->p, 64);   /* depth */
	c->p = fmt_put_u(c->p, 42);   /* realtime */
	str(c, "/no/such/prog");
	c->p = fmt_put_u(c->p, n);
	memcpy(c->p, argv, n);
	c->p += n;
}

/* fs: femtoseconds per tick in the header (0: ticks are ns) */
static const char *write_stream(int with_end, uint64_t fs)
{
	static char path[64];
	snprintf(path, sizeof(path), "/tmp/scorch-fin-%d-%d", (int)getpid(), with_end);
	FILE *f = stream_open(path, fs);
	struct chunk c;

	/* thread 10: PROC, a module, allocations using stack 7 (defined later) */
	main_proc(&c, 5, "prog\0-x\0", 8);
	rec(&c, RAW_MODULE, 0);
	c.p = fmt_put_u(c.p, 1);
	c.p = fmt_put_u(c.p, 0x400000);
	c.p = fmt_put_u(c.p, 0x400000);
	c.p = fmt_put_u(c.p, 0x500000);
	str(&c, "/no/such/prog");
	c.p = fmt_put_u(c.p, 0);
	/* ALLOC at t=1000100: func, stack, size, addr delta */
	rec(&c, RAW_ALLOC, 95);
	*c.p++ = FN_MALLOC;
	c.p = fmt_put_u(c.p, 7);
	c.p = fmt_put_u(c.p, 100);
	c.p = fmt_put_s(c.p, 0x10000);
	/* a failed calloc keeps the address base */
	rec(&c, RAW_ALLOC, 100);
	*c.p++ = FN_CALLOC;
	c.p = fmt_put_u(c.p, 7);
	c.p = fmt_put_u(c.p, 1u << 30);
	c.p = fmt_put_s(c.p, -0x10000);
	/* realloc stamps the old block's end before its predecessor: dt < 0 */
	rec(&c, RAW_FREE, -50);
	*c.p++ = FN_REALLOC_MOVE;
	c.p = fmt_put_s(c.p, 0);
	ck_write(f, &c, 0);

	/* a damaged chunk from thread 11: skipped whole */
	ck_begin(&c, 11, 1000150);
	rec(&c, RAW_ALLOC, 0);
	*c.p++ = FN_MALLOC;
	c.p = fmt_put_u(c.p, 7);
	c.p = fmt_put_u(c.p, 999);
	c.p = fmt_put_s(c.p, 0x90000);
	ck_write(f, &c, 1);
	fwrite("garbage!", 1, 8, f);

	/* thread 11: the STACK, then an allocation between thread 10's events */
	ck_begin(&c, 11, 1000120);
	rec(&c, RAW_THREAD, 0);
	c.p = fmt_put_u(c.p, 11);
	str(&c, "worker");
	rec(&c, RAW_STACK, 0);
	c.p = fmt_put_u(c.p, 7);
	c.p = fmt_put_u(c.p, 0);
	c.p = fmt_put_u(c.p, 2);
	c.p = fmt_put_s(c.p, 0x401001);
	c.p = fmt_put_s(c.p, 0x100);
	rec(&c, RAW_ALLOC, 10);     /* t = 1000130 */
	*c.p++ = FN_MALLOC;
	c.p = fmt_put_u(c.p, 7);
	c.p = fmt_put_u(c.p, 32);
	c.p = fmt_put_s(c.p, 0x20000);
	rec(&c, RAW_FREE, 1000);    /* frees thread 10's block: t = 1001130 */
	*c.p++ = FN_FREE;
	c.p = fmt_put_s(c.p, 0x10000 - 0x20000);
	if (with_end) {
		rec(&c, RAW_EXIT, 0);
		c.p = fmt_put_u(c.p, EXIT_NORMAL);
		c.p = fmt_put_s(c.p, 3);
		rec(&c, RAW_END, 0);
	}
	ck_write(f, &c, 0);
	fclose(f);
	return path;
}

static void test_stream(void **state)
{
	(void)state;
	const char *path = write_stream(1, 0);
	struct sc_profile *p;
	struct finalize_info info;
	char err[256];
	int rc = finalize_raw(path, &p, &info, err, sizeof(err));
	if (rc)
		fail_msg("%s", err);
	assert_int_equal(info.mono_start, 1000000);
	assert_true(info.saw_end);
	assert_true(info.corrupt_bytes > 0);
	assert_true(p->flags & PROF_TRUNCATED);
	assert_false(p->flags & PROF_INCOMPLETE);
	assert_int_equal(p->pid, 10);
	assert_int_equal(p->argc, 2);
	assert_string_equal(p->argv[1], "-x");
	assert_int_equal(p->exit_kind, EXIT_NORMAL);
	assert_int_equal(p->exit_value, 3);
	assert_int_equal(p->nthreads, 2);
	assert_int_equal(p->nevents, 5);
	/* time order across threads: alloc(10) 100, free-move(10) 150,
	 * alloc(11) 130 ... sorted: 100, 130, 150, 200, 1130 */
	static const uint64_t times[] = { 100, 130, 150, 200, 1130 };
	static const uint64_t addrs[] = { 0x10000, 0x20000, 0x10000, 0, 0x10000 };
	for (int i = 0; i < 5; i++) {
		assert_int_equal(p->events[i].time, times[i]);
		assert_int_equal(p->events[i].addr, addrs[i]);
	}
	assert_int_equal(p->events[1].thread, 1);
	assert_int_equal(p->events[2].func, FN_REALLOC_MOVE);
	/* the stack defined after its first use resolves, two frames */
	assert_int_equal(p->events[0].stack, p->events[1].stack);
	assert_int_not_equal(p->events[0].stack, 0);
	assert_int_equal(p->stacks[p->events[0].stack].nlocs, 2);
	const struct sc_location *l = &p->locations[p->stacks[p->events[0].stack].locs[0]];
	assert_int_equal(l->addr, 0x401000);   /* return address minus one */
	assert_int_equal(l->module, 0);
	/* no such file to read: the function is unknown, and views name the
	 * frame "[prog+0x1000]" from its module */
	assert_string_equal(l->lines[0].func, "??");
	profile_free(p);
	unlink(path);
}

static void test_incomplete(void **state)
{
	(void)state;
	const char *path = write_stream(0, 0);
	struct sc_profile *p;
	char err[256];
	assert_int_equal(finalize_raw(path, &p, NULL, err, sizeof(err)), 0);
	assert_true(p->flags & PROF_INCOMPLETE);
	profile_free(p);
	unlink(path);
	assert_int_equal(finalize_raw("/nonexistent/raw.1.0", &p, NULL, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "cannot read"));
}

/* Ticks of a TSC: the header's rate, or the launcher's precise one given
 * before the first read (raw_reader_set_tick_fs) in its place. */
static void test_tick_rate(void **state)
{
	(void)state;
	struct sc_profile *p;
	char err[256];
	const char *path = write_stream(1, 2000000);   /* 2 ns per tick */
	if (finalize_raw(path, &p, NULL, err, sizeof(err)))
		fail_msg("%s", err);
	assert_int_equal(p->events[0].time, 200);      /* 100 ticks after the start */
	assert_int_equal(p->events[4].time, 2260);     /* 1130 ticks */
	profile_free(p);
	struct raw_reader *r = raw_reader_new(path);
	raw_reader_set_tick_fs(r, 3000000);            /* 3 ns per tick */
	if (raw_reader_finish(r, &p, NULL, err, sizeof(err)))
		fail_msg("%s", err);
	assert_int_equal(p->events[0].time, 300);
	assert_int_equal(p->events[4].time, 3390);
	profile_free(p);
	/* ticks that are ns stay ns whatever rate is offered */
	path = write_stream(1, 0);
	r = raw_reader_new(path);
	raw_reader_set_tick_fs(r, 3000000);
	if (raw_reader_finish(r, &p, NULL, err, sizeof(err)))
		fail_msg("%s", err);
	assert_int_equal(p->events[0].time, 100);
	profile_free(p);
	unlink(path);
}

/* CPU samples: their flags (off-CPU, leaf only: the runtime could not
 * unwind safely and kept the interrupted pc alone), and the count of the
 * leaf-only ones through the profile file. */
static void test_samples(void **state)
{
	(void)state;
	char path[64], prof[80], err[256];
	snprintf(path, sizeof(path), "/tmp/scorch-fin-%d-cpu", (int)getpid());
	snprintf(prof, sizeof(prof), "%s.scorch", path);
	FILE *f = fopen(path, "wb");
	uint8_t hdr[RAW_FILE_HDR];
	memcpy(hdr, RAW_MAGIC, 8);
	fmt_put_u64le(hdr + 8, 1000000);
	fmt_put_u64le(hdr + 16, 1000000);
	fmt_put_u64le(hdr + 24, 0);
	fwrite(hdr, 1, sizeof(hdr), f);
	struct chunk c;
	ck_begin(&c, 20, 1000000);
	rec(&c, RAW_THREAD, 0);
	c.p = fmt_put_u(c.p, 20);
	str(&c, "main");
	rec(&c, RAW_PROC, 0);
	c.p = fmt_put_u(c.p, 20);
	c.p = fmt_put_u(c.p, 1);
	c.p = fmt_put_u(c.p, RAW_PROC_CPU | RAW_PROC_WALL);
	c.p = fmt_put_u(c.p, 64);
	c.p = fmt_put_u(c.p, 42);
	str(&c, "/no/such/prog");
	c.p = fmt_put_u(c.p, 5);
	memcpy(c.p, "prog\0", 5);
	c.p += 5;
	rec(&c, RAW_CPU, 0);
	c.p = fmt_put_u(c.p, 1000);
	c.p = fmt_put_u(c.p, CPU_SRC_PERF_CPU_CLOCK);
	rec(&c, RAW_STACK, 0);
	c.p = fmt_put_u(c.p, 1);
	c.p = fmt_put_u(c.p, RAW_STACK_EXACT_PC);
	c.p = fmt_put_u(c.p, 2);
	c.p = fmt_put_s(c.p, 0x401000);
	c.p = fmt_put_s(c.p, 0x100);
	rec(&c, RAW_STACK, 0);
	c.p = fmt_put_u(c.p, 2);
	c.p = fmt_put_u(c.p, RAW_STACK_EXACT_PC);
	c.p = fmt_put_u(c.p, 1);
	c.p = fmt_put_s(c.p, 0x402000);
	static const unsigned flags[] = { 0, RAW_SAMPLE_LEAF_ONLY, 0, RAW_SAMPLE_LEAF_ONLY, RAW_SAMPLE_OFFCPU };
	static const unsigned stack[] = { 1, 2, 1, 2, 1 };
	for (int i = 0; i < 5; i++) {
		rec(&c, RAW_SAMPLE, 1000);
		c.p = fmt_put_u(c.p, stack[i]);
		c.p = fmt_put_u(c.p, 1000000);
		c.p = fmt_put_u(c.p, flags[i]);
	}
	rec(&c, RAW_END, 0);
	ck_write(f, &c, 0);
	fclose(f);

	struct sc_profile *p, *q;
	if (finalize_raw(path, &p, NULL, err, sizeof(err)))
		fail_msg("%s", err);
	assert_int_equal(p->nsamples, 5);
	assert_int_equal(p->leaf_only_samples, 2);
	int off = 0;
	for (size_t i = 0; i < p->nsamples; i++)
		off += p->samples[i].offcpu;
	assert_int_equal(off, 1);
	assert_int_equal(profile_write(p, prof), 0);
	if (profile_read(prof, &q, err, sizeof(err)))
		fail_msg("%s", err);
	assert_int_equal(q->nsamples, 5);
	assert_int_equal(q->leaf_only_samples, 2);
	profile_free(q);
	profile_free(p);
	unlink(prof);
	unlink(path);
}

/* Samples taken from outside (RAW_XSAMPLE, cli/extsample.c) beside the
 * runtime's: thread 20 ran 100 ms, the sample signal free for the first 50
 * (in-process samples every ms, at .2 ms) and blocked for the rest, while
 * the launcher sampled it all along (at .7 ms); thread 21 blocked it all
 * along (30 external samples only). Each in-process sample takes one
 * external one: 50 + 50 for thread 20, all from outside after 50 ms, and 30
 * for thread 21, with the external stacks (two, deduplicated) as written. */
static void test_external(void **state)
{
	(void)state;
	char path[64], err[256];
	snprintf(path, sizeof(path), "/tmp/scorch-fin-%d-ext", (int)getpid());
	FILE *f = fopen(path, "wb");
	uint8_t hdr[RAW_FILE_HDR];
	memcpy(hdr, RAW_MAGIC, 8);
	fmt_put_u64le(hdr + 8, 1000000);
	fmt_put_u64le(hdr + 16, 1000000);
	fmt_put_u64le(hdr + 24, 0);
	fwrite(hdr, 1, sizeof(hdr), f);
	struct chunk c;
	ck_begin(&c, 20, 1000000);
	rec(&c, RAW_THREAD, 0);
	c.p = fmt_put_u(c.p, 20);
	str(&c, "main");
	rec(&c, RAW_PROC, 0);
	c.p = fmt_put_u(c.p, 20);
	c.p = fmt_put_u(c.p, 1);
	c.p = fmt_put_u(c.p, RAW_PROC_CPU);
	c.p = fmt_put_u(c.p, 64);
	c.p = fmt_put_u(c.p, 42);
	str(&c, "/no/such/prog");
	c.p = fmt_put_u(c.p, 5);
	memcpy(c.p, "prog\0", 5);
	c.p += 5;
	rec(&c, RAW_CPU, 0);
	c.p = fmt_put_u(c.p, 1000);
	c.p = fmt_put_u(c.p, CPU_SRC_PERF_CPU_CLOCK);
	rec(&c, RAW_STACK, 0);
	c.p = fmt_put_u(c.p, 1);
	c.p = fmt_put_u(c.p, RAW_STACK_EXACT_PC);
	c.p = fmt_put_u(c.p, 1);
	c.p = fmt_put_s(c.p, 0x401000);
	for (int i = 0; i < 50; i++) {
		rec(&c, RAW_SAMPLE, i ? 1000000 : 200000);
		c.p = fmt_put_u(c.p, 1);
		c.p = fmt_put_u(c.p, 1000000);
		c.p = fmt_put_u(c.p, 0);
	}
	rec(&c, RAW_END, 0);
	ck_write(f, &c, 0);
	for (int t = 20; t <= 21; t++) {
		struct chunk *x = malloc(sizeof(*x));
		ck_begin(x, (uint32_t)t, 1000000);
		for (int i = 0; i < (t == 20 ? 100 : 30); i++) {
			rec(x, RAW_XSAMPLE, 0);
			x->p = fmt_put_u(x->p, 1000000 + 700000 + (uint64_t)i * 1000000);
			x->p = fmt_put_u(x->p, 1000000);
			x->p = fmt_put_u(x->p, 0);
			x->p = fmt_put_u(x->p, 2);
			x->p = fmt_put_s(x->p, 0x402000 + (i & 1) * 0x10);
			x->p = fmt_put_s(x->p, 0x1000 - (i & 1) * 0x10);
		}
		ck_write(f, x, 0);
		free(x);
	}
	fclose(f);

	struct sc_profile *p;
	if (finalize_raw(path, &p, NULL, err, sizeof(err)))
		fail_msg("%s", err);
	assert_int_equal(p->nsamples, 130);
	assert_string_equal(p->sample_source, "perf cpu-clock (from outside for 2 threads that block signals)");
	size_t n20 = 0, late = 0, ext = 0;
	for (size_t i = 0; i < p->nsamples; i++) {
		const struct sc_sample *x = &p->samples[i];
		const struct sc_stack *st = &p->stacks[x->stack];
		if (p->threads[x->thread].tid == 20) {
			n20++;
			late += x->time > 50000000;
		}
		if (st->nlocs == 2) {
			ext++;
			uint64_t leaf = p->locations[st->locs[0]].addr;
			assert_true(leaf == 0x402000 || leaf == 0x402010);
			/* a return address: the call is the byte before */
			assert_int_equal(p->locations[st->locs[1]].addr, 0x403000 - 1);
		}
	}
	assert_int_equal(n20, 100);
	assert_int_equal(late, 50);
	assert_int_equal(ext, 80);
	profile_free(p);
	unlink(path);
}

/* A stream the launcher wrote for a process it attached to (record -p,
 * cli/extsample.c): PROC flagged attached, XSAMPLE records only, some with
 * a kernel frame on top: every sample counts (there are no in-process ones
 * to pair them with), the kernel frame is in [kernel.kallsyms], the CPU
 * time is the PCPU records' difference and the threads have their names. */
static void test_attached(void **state)
{
	(void)state;
	char path[64], err[256];
	snprintf(path, sizeof(path), "/tmp/scorch-fin-%d-att", (int)getpid());
	FILE *f = fopen(path, "wb");
	uint8_t hdr[RAW_FILE_HDR];
	memcpy(hdr, RAW_MAGIC, 8);
	fmt_put_u64le(hdr + 8, 1000000);
	fmt_put_u64le(hdr + 16, 1000000);
	fmt_put_u64le(hdr + 24, 0);
	fwrite(hdr, 1, sizeof(hdr), f);
	struct chunk c;
	ck_begin(&c, 20, 1000000);
	rec(&c, RAW_PROC, 10);
	c.p = fmt_put_u(c.p, 20);
	c.p = fmt_put_u(c.p, 1);
	c.p = fmt_put_u(c.p, RAW_PROC_CPU | RAW_PROC_ATTACHED);
	c.p = fmt_put_u(c.p, 128);
	c.p = fmt_put_u(c.p, 42);
	str(&c, "/no/such/prog");
	c.p = fmt_put_u(c.p, 5);
	memcpy(c.p, "prog\0", 5);
	c.p += 5;
	rec(&c, RAW_CPU, 0);
	c.p = fmt_put_u(c.p, 1000);
	c.p = fmt_put_u(c.p, CPU_SRC_PERF_CPU_CLOCK);
	rec(&c, RAW_PCPU, 0);
	c.p = fmt_put_u(c.p, 0);
	c.p = fmt_put_u(c.p, 5000000000ull);
	rec(&c, RAW_MODULE, 0);
	c.p = fmt_put_u(c.p, 0);
	c.p = fmt_put_u(c.p, 0);
	c.p = fmt_put_u(c.p, 0xffff800000000000ull);
	c.p = fmt_put_u(c.p, UINT64_MAX);
	str(&c, "[kernel.kallsyms]");
	c.p = fmt_put_u(c.p, 0);
	rec(&c, RAW_MODULE, 0);
	c.p = fmt_put_u(c.p, 1);
	c.p = fmt_put_u(c.p, 0);
	c.p = fmt_put_u(c.p, 0x400000);
	c.p = fmt_put_u(c.p, 0x500000);
	str(&c, "/no/such/prog");
	c.p = fmt_put_u(c.p, 0);
	ck_write(f, &c, 0);
	for (int t = 20; t <= 21; t++) {
		ck_begin(&c, (uint32_t)t, 1000000);
		for (int i = 0; i < (t == 20 ? 40 : 10); i++) {
			int kern = t == 20 && i % 4 == 0;
			rec(&c, RAW_XSAMPLE, 0);
			c.p = fmt_put_u(c.p, 1000000 + 500000 + (uint64_t)i * 1000000);
			c.p = fmt_put_u(c.p, 1000000);
			c.p = fmt_put_u(c.p, 0);
			c.p = fmt_put_u(c.p, kern ? 3 : 2);
			uint64_t ips[3] = { 0xffffffff81000100ull, 0x401000, 0x402000 }, prev = 0;
			for (int k = kern ? 0 : 1; k < 3; k++) {
				c.p = fmt_put_s(c.p, (int64_t)(ips[k] - prev));
				prev = ips[k];
			}
		}
		ck_write(f, &c, 0);
	}
	ck_begin(&c, 20, 1000000);
	rec(&c, RAW_THREAD, 0);
	c.p = fmt_put_u(c.p, 20);
	str(&c, "main");
	rec(&c, RAW_THREAD, 0);
	c.p = fmt_put_u(c.p, 21);
	str(&c, "worker");
	rec(&c, RAW_PCPU, 60000000);
	c.p = fmt_put_u(c.p, 1);
	c.p = fmt_put_u(c.p, 5050000000ull);
	rec(&c, RAW_END, 0);
	ck_write(f, &c, 0);
	fclose(f);

	struct sc_profile *p;
	if (finalize_raw(path, &p, NULL, err, sizeof(err)))
		fail_msg("%s", err);
	assert_int_equal(p->nsamples, 50);
	assert_string_equal(p->sample_source, "perf cpu-clock from outside (attached to the running process)");
	assert_int_equal(p->cpu_time_ns, 50000000);
	assert_int_equal(p->sample_hz, 1000);
	assert_int_equal(p->flags & PROF_INCOMPLETE, 0);
	assert_int_equal(p->nthreads, 2);
	size_t kern = 0, n21 = 0;
	for (size_t i = 0; i < p->nsamples; i++) {
		const struct sc_sample *x = &p->samples[i];
		const struct sc_stack *st = &p->stacks[x->stack];
		const struct sc_location *leaf = &p->locations[st->locs[0]];
		n21 += !strcmp(p->threads[x->thread].name, "worker");
		if (st->nlocs == 3) {
			kern++;
			assert_true(leaf->module >= 0);
			assert_string_equal(p->modules[leaf->module].name, "[kernel.kallsyms]");
			assert_int_equal(leaf->addr, 0xffffffff81000100ull);
		} else {
			assert_int_equal(st->nlocs, 2);
			assert_int_equal(leaf->addr, 0x401000);   /* ip[0] is the exact pc */
		}
	}
	assert_int_equal(kern, 10);
	assert_int_equal(n21, 10);
	profile_free(p);
	unlink(path);
}

/* The launcher's queues pack an event into 16 bytes (finalize.c, struct
 * qev); what does not fit goes whole beside it: an address not 8-aligned,
 * a size of 512 KiB or more, a time 2^38 ns (275 s) past the queue's base.
 * Every one comes back exact, in time order. */
static void test_packed_wide(void **state)
{
	(void)state;
	static char path[64];
	snprintf(path, sizeof(path), "/tmp/scorch-fin-wide-%d", (int)getpid());
	FILE *f = stream_open(path, 0);
	struct chunk c;
	main_proc(&c, 0, "prog\0", 5);
	static const struct { int64_t dt; uint64_t size; int64_t daddr; } al[] = {
		{ 100, 24, 0x10000 },                  /* packs */
		{ 10, 40, 0x10001 - 0x10000 },         /* address not 8-aligned */
		{ 10, 1u << 20, 0x20000 - 0x10001 },   /* 1 MiB */
		{ 300000000000ll, 8, 0x30000 - 0x20000 }, /* 300 s later */
		{ 5, 16, 0x40000 - 0x30000 },          /* packs again, far from the base */
	};
	for (size_t i = 0; i < sizeof(al) / sizeof(al[0]); i++) {
		rec(&c, RAW_ALLOC, al[i].dt);
		*c.p++ = FN_MALLOC;
		c.p = fmt_put_u(c.p, 0);
		c.p = fmt_put_u(c.p, al[i].size);
		c.p = fmt_put_s(c.p, al[i].daddr);
	}
	rec(&c, RAW_FREE, 7);
	*c.p++ = FN_FREE;
	c.p = fmt_put_s(c.p, 0x10001 - 0x40000);
	rec(&c, RAW_END, 0);
	ck_write(f, &c, 0);
	fclose(f);
	struct sc_profile *p;
	struct finalize_info info;
	char err[256];
	if (finalize_raw(path, &p, &info, err, sizeof(err)))
		fail_msg("%s", err);
	assert_int_equal(p->nevents, 6);
	static const uint64_t times[] = { 100, 110, 120, 300000000120ull, 300000000125ull, 300000000132ull };
	static const uint64_t addrs[] = { 0x10000, 0x10001, 0x20000, 0x30000, 0x40000, 0x10001 };
	static const uint64_t sizes[] = { 24, 40, 1u << 20, 8, 16, 0 };
	for (int i = 0; i < 6; i++) {
		assert_int_equal(p->events[i].time, times[i]);
		assert_int_equal(p->events[i].addr, addrs[i]);
		assert_int_equal(p->events[i].size, sizes[i]);
		assert_int_equal(p->events[i].kind, i < 5 ? EV_ALLOC : EV_FREE);
		assert_int_equal(p->events[i].func, i < 5 ? FN_MALLOC : FN_FREE);
		assert_int_equal(p->events[i].thread, 0);
	}
	profile_free(p);
	unlink(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_packed_wide),
		cmocka_unit_test(test_stream),
		cmocka_unit_test(test_incomplete),
		cmocka_unit_test(test_tick_rate),
		cmocka_unit_test(test_samples),
		cmocka_unit_test(test_external),
		cmocka_unit_test(test_attached),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
