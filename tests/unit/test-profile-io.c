/* Unit tests of the .scorch writer and reader: an exact round trip of every
 * table (addresses rebuilt by the free back-references and the recent-address
 * slots must equal the originals), and clear errors for damaged files. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../analysis/profile-io.h"
#include "../../lib/die.h"

static struct sc_profile *make_profile(size_t nev)
{
	struct sc_profile *p = profile_new();
	struct arena *A = &p->arena;
	p->flags = PROF_HEAP;
	p->pid = 1234;
	p->ppid = 1;
	p->exe = "/bin/prog";
	p->argc = 2;
	p->argv = arena_alloc(A, 3 * sizeof(char *));
	p->argv[0] = "prog";
	p->argv[1] = "--flag with space";
	p->cmdline = "prog --flag with space";
	p->start_wall = 1700000000000000000ull;
	p->exit_kind = EXIT_SIGNAL;
	p->exit_value = 11;
	p->depth = 128;
	p->host = "box";
	p->scorch_version = "test";
	p->nmodules = 2;
	p->modules = arena_alloc(A, 2 * sizeof(*p->modules));
	p->modules[0] = (struct sc_module){ .name = "prog", .path = "/bin/prog", .bias = 0x400000,
					    .lo = 0x400000, .hi = 0x500000, .is_main = true,
					    .build_id = { 1, 2, 3, 4 }, .build_id_len = 4 };
	p->modules[1] = (struct sc_module){ .name = "libx.so", .path = "/lib/libx.so", .bias = 0x7f0000000000,
					    .lo = 0x7f0000000000, .hi = 0x7f0000100000, .load_time = 5, .unload_time = 900 };
	p->nlocations = 3;
	p->locations = arena_alloc(A, 3 * sizeof(*p->locations));
	for (int i = 0; i < 3; i++) {
		p->locations[i].addr = 0x401000 + (uint64_t)i * 16;
		p->locations[i].module = i == 2 ? -1 : i;
		p->locations[i].nlines = i == 1 ? 2 : 1;
		p->locations[i].lines = arena_alloc(A, 2 * sizeof(struct sc_line));
		p->locations[i].lines[0] = (struct sc_line){ "f<int>&", "a.c", 10u + (uint32_t)i, i == 1 };
		p->locations[i].lines[1] = (struct sc_line){ "outer", "b.c", 99, false };
	}
	p->nstacks = 3;
	p->stacks = arena_alloc(A, 3 * sizeof(*p->stacks));
	p->stacks[1].nlocs = 2;
	p->stacks[1].locs = arena_alloc(A, 2 * sizeof(uint32_t));
	p->stacks[1].locs[0] = 0;
	p->stacks[1].locs[1] = 1;
	p->stacks[2].nlocs = 1;
	p->stacks[2].locs = arena_alloc(A, sizeof(uint32_t));
	p->stacks[2].locs[0] = 2;
	p->nthreads = 2;
	p->threads = arena_alloc(A, 2 * sizeof(*p->threads));
	p->threads[0] = (struct sc_thread){ 1234, "main", 0, 1000 };
	p->threads[1] = (struct sc_thread){ 1240, "worker", 10, 0 };

	/* events: allocator-like address reuse, frees out of order, free(NULL),
	 * failed allocations, a free of an unknown block, an allocation at an
	 * address still live; more than one events section */
	p->events = xcalloc(nev, sizeof(*p->events));
	uint64_t live[64] = { 0 }, t = 0, next = 0x10000;
	unsigned x = 7;
	for (size_t i = 0; i < nev; i++) {
		struct sc_event *e = &p->events[i];
		x = x * 1664525u + 1013904223u;
		t += (x >> 28);
		e->time = t;
		e->thread = (uint16_t)((x >> 5) & 1);
		unsigned k = (x >> 10) & 63;
		if (i % 997 == 5) {
			*e = (struct sc_event){ t, 0, 0, 0, e->thread, EV_FREE, FN_FREE };
		} else if (i % 991 == 7) {
			*e = (struct sc_event){ t, 0, 1u << 30, 1, e->thread, EV_ALLOC, FN_CALLOC };
		} else if (i % 1009 == 3) {
			*e = (struct sc_event){ t, 0xdead0, 0, 0, e->thread, EV_FREE, FN_FREE };
		} else if (live[k]) {
			*e = (struct sc_event){ t, live[k], 0, 0, e->thread, EV_FREE, (x & 1) ? FN_FREE : FN_REALLOC_MOVE };
			live[k] = 0;
		} else {
			/* reuse a recently freed address half of the time */
			uint64_t a = (x & 2) && i > 2 && p->events[i - 1].kind == EV_FREE && p->events[i - 1].addr
				     ? p->events[i - 1].addr : (next += 48);
			if (i % 1013 == 11 && i > 0)
				a = live[(k + 1) & 63] ? live[(k + 1) & 63] : a;
			*e = (struct sc_event){ t, a, 16 + (x & 255), 1 + (x & 1), e->thread, EV_ALLOC, FN_MALLOC };
			live[k] = a;
		}
	}
	p->nevents = nev;
	p->duration = t;
	p->flags |= PROF_CPU;
	p->sample_source = "perf cpu-clock";
	p->sample_hz = 999;
	p->cpu_time_ns = 70123456789ull;
	p->nsamples = 70000;
	p->samples = xcalloc(p->nsamples, sizeof(*p->samples));
	for (size_t i = 0; i < p->nsamples; i++)
		p->samples[i] = (struct sc_sample){ i * 1001001, (uint32_t)(i % 3), 1001001 + (uint32_t)(i & 7),
						    (uint16_t)(i & 1), (uint8_t)((i / 5) & 1), 0 };
	p->nrss = 3;
	p->rss = xcalloc(3, sizeof(*p->rss));
	for (int i = 0; i < 3; i++)
		p->rss[i] = (struct sc_rss){ (uint64_t)i * 100, 4096u * (uint64_t)(i + 1) };
	return p;
}

static char tmpdir[64];

static void path_in(char *buf, size_t n, const char *name)
{
	snprintf(buf, n, "%s/%s", tmpdir, name);
}

static void test_roundtrip(void **state)
{
	(void)state;
	struct sc_profile *p = make_profile(200000);
	char path[128], err[256];
	path_in(path, sizeof(path), "rt.scorch");
	assert_int_equal(profile_write(p, path), 0);
	struct sc_profile *q;
	int rc = profile_read(path, &q, err, sizeof(err));
	if (rc)
		fail_msg("%s", err);
	assert_int_equal(q->flags, p->flags);
	assert_int_equal(q->pid, 1234);
	assert_string_equal(q->exe, "/bin/prog");
	assert_int_equal(q->argc, 2);
	assert_string_equal(q->argv[1], "--flag with space");
	assert_string_equal(q->cmdline, "prog --flag with space");
	assert_int_equal(q->exit_kind, EXIT_SIGNAL);
	assert_int_equal(q->exit_value, 11);
	assert_int_equal(q->start_wall, p->start_wall);
	assert_int_equal(q->nmodules, 2);
	assert_int_equal(q->modules[0].build_id_len, 4);
	assert_memory_equal(q->modules[0].build_id, p->modules[0].build_id, 4);
	assert_true(q->modules[0].is_main);
	assert_int_equal(q->modules[1].unload_time, 900);
	assert_int_equal(q->nlocations, 3);
	assert_int_equal(q->locations[2].module, -1);
	assert_int_equal(q->locations[1].nlines, 2);
	assert_true(q->locations[1].lines[0].inlined);
	assert_string_equal(q->locations[1].lines[1].func, "outer");
	assert_string_equal(q->locations[0].lines[0].func, "f<int>&");
	assert_int_equal(q->nstacks, 3);
	assert_int_equal(q->stacks[1].locs[1], 1);
	assert_string_equal(q->threads[1].name, "worker");
	assert_int_equal(q->nrss, 3);
	assert_int_equal(q->rss[2].bytes, 3 * 4096);
	assert_int_equal(q->nsamples, p->nsamples);
	assert_string_equal(q->sample_source, "perf cpu-clock");
	assert_int_equal(q->sample_hz, 999);
	assert_int_equal(q->cpu_time_ns, 70123456789ull);
	assert_true(q->flags & PROF_CPU);
	for (size_t i = 0; i < p->nsamples; i++) {
		const struct sc_sample *a = &p->samples[i], *b = &q->samples[i];
		if (a->time != b->time || a->stack != b->stack || a->weight != b->weight ||
		    a->thread != b->thread || a->offcpu != b->offcpu)
			fail_msg("sample %zu differs", i);
	}
	assert_int_equal(q->nevents, p->nevents);
	for (size_t i = 0; i < p->nevents; i++) {
		const struct sc_event *a = &p->events[i], *b = &q->events[i];
		if (a->time != b->time || a->addr != b->addr || a->size != b->size ||
		    a->stack != b->stack || a->thread != b->thread || a->kind != b->kind || a->func != b->func)
			fail_msg("event %zu differs: addr %#lx vs %#lx", i, (unsigned long)a->addr, (unsigned long)b->addr);
	}
	profile_free(q);
	profile_free(p);
}

static void expect_error(const char *name, const char *needle)
{
	char path[128], err[256] = "";
	path_in(path, sizeof(path), name);
	struct sc_profile *q = (void *)1;
	assert_int_equal(profile_read(path, &q, err, sizeof(err)), -1);
	assert_null(q);
	if (!strstr(err, needle))
		fail_msg("error '%s' lacks '%s'", err, needle);
	assert_non_null(strstr(err, name));
}

static void write_bytes(const char *name, const void *data, size_t n)
{
	char path[128];
	path_in(path, sizeof(path), name);
	FILE *f = fopen(path, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(data, 1, n, f), n);
	fclose(f);
}

static void test_damaged(void **state)
{
	(void)state;
	struct sc_profile *p = make_profile(5000);
	char path[128];
	path_in(path, sizeof(path), "good.scorch");
	assert_int_equal(profile_write(p, path), 0);
	profile_free(p);
	FILE *f = fopen(path, "rb");
	static uint8_t buf[1 << 20];
	size_t n = fread(buf, 1, sizeof(buf), f);
	fclose(f);

	expect_error("missing.scorch", "cannot open");
	write_bytes("foreign.scorch", "GIF89a this is not it", 21);
	expect_error("foreign.scorch", "not a scorch profile");
	write_bytes("short.scorch", buf, 20);
	expect_error("short.scorch", "truncated");
	write_bytes("cut.scorch", buf, n / 2);
	expect_error("cut.scorch", "truncated");
	uint8_t v[64];
	memcpy(v, buf, 64);
	v[8] = 99;
	memcpy(buf + 0, v, 64);
	write_bytes("version.scorch", buf, n);
	expect_error("version.scorch", "version 99");
	v[8] = 1;
	memcpy(buf, v, 64);
	/* every single-byte change of the compressed body must be caught */
	for (size_t off = 32; off < n; off += 7) {
		buf[off] ^= 0x5a;
		write_bytes("flip.scorch", buf, n);
		char err[256];
		struct sc_profile *q;
		path_in(path, sizeof(path), "flip.scorch");
		if (profile_read(path, &q, err, sizeof(err)) == 0)
			fail_msg("a flipped byte at %zu went unnoticed", off);
		buf[off] ^= 0x5a;
	}
	write_bytes("raw.scorch", "SCRAW\0\0\1xxxxxxxx", 16);
	expect_error("raw.scorch", "raw recording stream");
}

int main(void)
{
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/scorch-unit-%d", (int)getpid());
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "mkdir -p %s", tmpdir);
	if (system(cmd) != 0)
		return 1;
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_roundtrip),
		cmocka_unit_test(test_damaged),
	};
	int r = cmocka_run_group_tests(tests, NULL, NULL);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", tmpdir);
	if (system(cmd) != 0)
		return 1;
	return r;
}
