/* Unit tests of the .scorch writer and reader: an exact round trip of every
 * table (event times to the us; addresses are not kept, but each free must
 * end the same allocation as the original's address did), and clear errors
 * for damaged files. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <zstd.h>

#include "../../analysis/evcodec.h"
#include "../../analysis/profile-io.h"
#include "../../lib/die.h"
#include "../../lib/hashmap.h"

#if defined(__SANITIZE_ADDRESS__)
#define WITH_ASAN 1
#else
#define WITH_ASAN 0
#endif

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
	/* code kept for annotation: one function with rows and targets, two
	 * source excerpts */
	static const uint8_t code[] = { 0x55, 0x48, 0x89, 0xe5, 0xe8, 0x00, 0x00, 0x00, 0x00, 0x5d, 0xc3 };
	p->code_machine = 62;
	p->ncodes = 1;
	p->codes = arena_alloc(A, sizeof(*p->codes));
	p->codes[0] = (struct sc_code){ .module = 0, .start = 0x401000, .len = sizeof(code), .bytes = code,
					.name = "f<int>&", .nrows = 2, .ntargets = 2 };
	p->codes[0].rows = arena_alloc(A, 2 * sizeof(struct sc_code_row));
	p->codes[0].rows[0] = (struct sc_code_row){ 0x401000, "a.c", 10 };
	p->codes[0].rows[1] = (struct sc_code_row){ 0x401004, "a.c", 11 };
	p->codes[0].targets = arena_alloc(A, 2 * sizeof(struct sc_code_target));
	p->codes[0].targets[0] = (struct sc_code_target){ 0x400500, "memcpy@plt" };
	p->codes[0].targets[1] = (struct sc_code_target){ 0x401009, "outer+0x9" };
	static const char *la[] = { "int f() {", "\treturn g();", "}" }, *lb[] = { "void outer(void)" };
	p->nsources = 2;
	p->sources = arena_alloc(A, 2 * sizeof(*p->sources));
	p->sources[0] = (struct sc_source){ "a.c", 9, 3, la };
	p->sources[1] = (struct sc_source){ "b.c", 98, 1, lb };
	p->nrss = 3;
	p->rss = xcalloc(3, sizeof(*p->rss));
	for (int i = 0; i < 3; i++)
		p->rss[i] = (struct sc_rss){ (uint64_t)i * 100, 4096u * (uint64_t)(i + 1) };
	/* zones: every zone section, so that each can be damaged */
	p->nzone_names = 2;
	p->zone_names = arena_alloc(A, 2 * sizeof(*p->zone_names));
	p->zone_names[0] = (struct sc_zone_name){ "frame", "a.c", 7, ZONE_KIND_ZONE };
	p->zone_names[1] = (struct sc_zone_name){ "outer", "b.c", 98, ZONE_KIND_FUNC };
	p->nzones = 3;
	p->zones = arena_alloc(A, 3 * sizeof(*p->zones));
	p->zones[0] = (struct sc_zone){ 100, 900, 3, 96, 0, 1, 0, 0, 0 };
	p->zones[1] = (struct sc_zone){ 200, 300, 1, 32, 5, 0, 0, 1, 0 };
	p->zones[2] = (struct sc_zone){ 50, 70, 0, 0, 0, 0, 1, 0, ZONE_F_UNWOUND };
	p->nmarks = 2;
	p->marks = arena_alloc(A, 2 * sizeof(*p->marks));
	p->marks[0] = (struct sc_mark){ 120, 0, 0 };
	p->marks[1] = (struct sc_mark){ 120, 0, 1 };
	p->ncounters = 2;
	p->counters = arena_alloc(A, 2 * sizeof(*p->counters));
	p->counters[0] = (struct sc_counter){ 10, 1.5, 0, 0 };
	p->counters[1] = (struct sc_counter){ 20, -2.25, 0, 0 };
	p->nzone_drops = 1;
	p->zone_drops = arena_alloc(A, sizeof(*p->zone_drops));
	p->zone_drops[0] = (struct sc_zone_drop){ 1, 40, 4000, 3000, 50, 400, 4000, 2, 64 };
	p->nzone_errors = 1;
	p->zone_errors = arena_alloc(A, sizeof(*p->zone_errors));
	p->zone_errors[0] = (struct sc_zone_error){ 600, 1, UINT32_MAX, 0, ZONE_ERR_END_UNOPENED };
	p->have_zone_stats = true;
	p->zone_keep_ns = 20;
	p->zone_spans_total = 3;
	p->nzone_stats = 1;
	p->zone_stats = arena_alloc(A, sizeof(*p->zone_stats));
	struct sc_zone_hist *zh = arena_alloc(A, 3 * sizeof(*zh));
	zh[0] = (struct sc_zone_hist){ 20, 1 };
	zh[1] = (struct sc_zone_hist){ 100, 1 };
	zh[2] = (struct sc_zone_hist){ 800, 1 };
	p->zone_stats[0] = (struct sc_zone_stat){ .name = 1, .thread = 0, .calls = 3, .total_ns = 900, .self_ns = 700,
						  .sum_ns = 920, .min_ns = 20, .max_ns = 800, .allocs = 4,
						  .bytes = 128, .self_allocs = 3, .self_bytes = 96, .unwound = 1,
						  .nhist = 3, .hist = zh };
	return p;
}

static char tmpdir[64];

static void path_in(char *buf, size_t n, const char *name)
{
	snprintf(buf, n, "%s/%s", tmpdir, name);
}

/* What the heap model makes of each event's address: for an allocation 0
 * failed, 1 a new block, 2 + o replaces the live block of allocation o;
 * for a free 0 free(NULL), 1 nothing live there, 2 + o ends allocation o. */
static uint64_t *classify(const struct sc_event *ev, size_t n)
{
	uint64_t *c = xmalloc((n + 1) * sizeof(*c));
	struct u64map live;
	u64map_init(&live, 64);
	uint64_t ord = 0, o;
	for (size_t i = 0; i < n; i++) {
		bool isnew;
		if (ev[i].kind == EV_ALLOC) {
			uint64_t *slot = ev[i].addr ? u64map_put(&live, ev[i].addr, &isnew) : NULL;
			c[i] = !slot ? 0 : isnew ? 1 : 2 + (*slot - 1);
			if (slot)
				*slot = ord + 1;
			ord++;
		} else {
			c[i] = !ev[i].addr ? 0 : u64map_del(&live, ev[i].addr, &o) ? 2 + (o - 1) : 1;
		}
	}
	u64map_release(&live);
	return c;
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
	assert_int_equal(q->code_machine, 62);
	assert_int_equal(q->ncodes, 1);
	assert_int_equal(q->codes[0].start, 0x401000);
	assert_int_equal(q->codes[0].len, p->codes[0].len);
	assert_memory_equal(q->codes[0].bytes, p->codes[0].bytes, p->codes[0].len);
	assert_string_equal(q->codes[0].name, "f<int>&");
	assert_int_equal(q->codes[0].nrows, 2);
	assert_int_equal(q->codes[0].rows[1].addr, 0x401004);
	assert_int_equal(q->codes[0].rows[1].line, 11);
	assert_int_equal(q->codes[0].ntargets, 2);
	assert_int_equal(q->codes[0].targets[0].addr, 0x400500);
	assert_string_equal(q->codes[0].targets[1].name, "outer+0x9");
	assert_int_equal(q->nsources, 2);
	assert_int_equal(q->sources[0].first, 9);
	assert_string_equal(q->sources[0].lines[1], "\treturn g();");
	assert_string_equal(q->sources[1].file, "b.c");
	assert_int_equal(q->nzone_names, 2);
	assert_string_equal(q->zone_names[1].name, "outer");
	assert_int_equal(q->nzones, 3);
	assert_int_equal(q->zones[2].flags, ZONE_F_UNWOUND);
	assert_int_equal(q->zones[1].end, 300);
	assert_int_equal(q->nmarks, 2);
	assert_int_equal(q->marks[1].thread, 1);
	assert_int_equal(q->ncounters, 2);
	assert_true(q->counters[1].value == -2.25);
	assert_int_equal(q->nzone_drops, 1);
	assert_int_equal(q->zone_drops[0].outer_ns, 4000);
	assert_int_equal(q->nzone_errors, 1);
	assert_int_equal(q->zone_errors[0].expected, 1);
	assert_int_equal(q->zone_errors[0].given, UINT32_MAX);
	assert_true(q->have_zone_stats);
	assert_int_equal(q->zone_keep_ns, 20);
	assert_int_equal(q->zone_spans_total, 3);
	assert_int_equal(q->nzone_stats, 1);
	assert_int_equal(q->zone_stats[0].self_bytes, 96);
	assert_int_equal(q->zone_stats[0].nhist, 3);
	assert_int_equal(q->zone_stats[0].hist[2].value, 800);
	assert_int_equal(q->nevents, p->nevents);
	uint64_t *ca = classify(p->events, p->nevents), *cb = classify(q->events, q->nevents);
	for (size_t i = 0; i < p->nevents; i++) {
		const struct sc_event *a = &p->events[i], *b = &q->events[i];
		if (a->time / 1000 * 1000 != b->time || ca[i] != cb[i] || a->size != b->size ||
		    a->stack != b->stack || a->thread != b->thread || a->kind != b->kind || a->func != b->func)
			fail_msg("event %zu differs: addr %#lx vs %#lx (%llu, %llu)", i, (unsigned long)a->addr,
				 (unsigned long)b->addr, (unsigned long long)ca[i], (unsigned long long)cb[i]);
	}
	free(ca);
	free(cb);
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

/* The content of the zstd frame(s) in[0..n), malloc'd into *out; (size_t)-1
 * when it does not decompress (a checksum mismatch included). */
static size_t unzstd(const uint8_t *in, size_t n, uint8_t **out)
{
	ZSTD_DCtx *z = ZSTD_createDCtx();
	size_t cap = 1 << 16, len = 0;
	uint8_t *buf = xmalloc(cap);
	ZSTD_inBuffer ib = { in, n, 0 };
	size_t rc = 1;
	while (ib.pos < ib.size || rc != 0) {
		if (len == cap)
			buf = xrealloc(buf, cap *= 2);
		ZSTD_outBuffer ob = { buf, cap, len };
		size_t before = ib.pos;
		rc = ZSTD_decompressStream(z, &ob, &ib);
		if (ZSTD_isError(rc) || (ib.pos == before && ob.pos == len && ob.pos < cap)) {
			len = (size_t)-1;
			break;
		}
		len = ob.pos;
	}
	ZSTD_freeDCtx(z);
	if (len == (size_t)-1)
		free(buf);
	else
		*out = buf;
	return len;
}

/* Writes make_profile(nev) as `name` and reads the file's bytes into buf;
 * returns how many. */
static size_t written(const char *name, size_t nev, uint8_t *buf, size_t cap)
{
	struct sc_profile *p = make_profile(nev);
	char path[128];
	path_in(path, sizeof(path), name);
	assert_int_equal(profile_write(p, path), 0);
	profile_free(p);
	FILE *f = fopen(path, "rb");
	assert_non_null(f);
	size_t n = fread(buf, 1, cap, f);
	fclose(f);
	assert_true(n > 32 && n < cap);
	return n;
}

static void test_damaged(void **state)
{
	(void)state;
	char path[128];
	static uint8_t buf[1 << 20];
	size_t n = written("good.scorch", 5000, buf, sizeof(buf));

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
	v[8] = PROFILE_VERSION;
	memcpy(buf, v, 64);
	/* every single-byte change of the compressed body must be caught,
	 * unless the body still decompresses to the same content (a few bits of
	 * zstd's entropy tables and padding do not matter) */
	uint8_t *good = NULL;
	size_t glen = unzstd(buf + 32, n - 32, &good);
	assert_true(glen != (size_t)-1);
	unsigned same = 0;
	for (size_t off = 32; off < n; off += 7) {
		buf[off] ^= 0x5a;
		write_bytes("flip.scorch", buf, n);
		char err[256];
		struct sc_profile *q;
		path_in(path, sizeof(path), "flip.scorch");
		if (profile_read(path, &q, err, sizeof(err)) == 0) {
			uint8_t *got = NULL;
			size_t len = unzstd(buf + 32, n - 32, &got);
			if (len != glen || memcmp(got, good, glen))
				fail_msg("a flipped byte at %zu went unnoticed", off);
			free(got);
			profile_free(q);
			same++;
		}
		buf[off] ^= 0x5a;
	}
	free(good);
	printf("flipped bytes: %u of %zu left the content as it was\n", same, (n - 32 + 6) / 7);
	write_bytes("raw.scorch", "SCRAW\0\0\1xxxxxxxx", 16);
	expect_error("raw.scorch", "raw recording stream");
}

/* A body that passes the checksum but is damaged inside (a writer's bug, or
 * crafted): the reader must refuse it or read it, never crash or read out of
 * bounds (the sanitizer build runs this too). Random byte changes, inserted
 * and dropped bytes, recompressed with a valid checksum. */
static void test_mutated_body(void **state)
{
	(void)state;
	char path[128];
	FILE *f;
	static uint8_t file[1 << 20];
	size_t n = written("m0.scorch", 3000, file, sizeof(file));
	uint8_t *body = NULL;
	size_t raw = unzstd(file + 32, n - 32, &body);
	assert_true(raw != (size_t)-1);
	uint8_t *mut = xmalloc(raw + 64);
	size_t cap = ZSTD_compressBound(raw + 64);
	uint8_t *out = xmalloc(32 + cap);
	ZSTD_CCtx *z = ZSTD_createCCtx();
	ZSTD_CCtx_setParameter(z, ZSTD_c_checksumFlag, 1);
	uint64_t x = 88172645463325252ull;
	unsigned read_ok = 0, refused = 0;
	for (int it = 0; it < 1500; it++) {
		size_t len = raw;
		memcpy(mut, body, raw);
		int edits = 1 + it % 4;
		for (int e = 0; e < edits; e++) {
			x ^= x << 13, x ^= x >> 7, x ^= x << 17;
			size_t at = (size_t)(x % len);
			int kind = (int)((x >> 40) % 4);
			if (kind == 0) {                                /* a new value */
				mut[at] = (uint8_t)(x >> 32);
			} else if (kind == 1) {                         /* a varint made long */
				mut[at] |= 0x80;
			} else if (kind == 2 && len > 1) {              /* a byte dropped */
				memmove(mut + at, mut + at + 1, len - at - 1);
				len--;
			} else if (len < raw + 64) {                    /* a byte inserted */
				memmove(mut + at + 1, mut + at, len - at);
				mut[at] = (uint8_t)(x >> 24);
				len++;
			}
		}
		size_t c = ZSTD_compress2(z, out + 32, cap, mut, len);
		assert_false(ZSTD_isError(c));
		memcpy(out, file, 32);
		for (int k = 0; k < 8; k++) {   /* raw and compressed sizes, little-endian */
			out[16 + k] = (uint8_t)((uint64_t)len >> (8 * k));
			out[24 + k] = (uint8_t)((uint64_t)c >> (8 * k));
		}
		path_in(path, sizeof(path), "mut.scorch");
		f = fopen(path, "wb");
		assert_int_equal(fwrite(out, 1, 32 + c, f), 32 + c);
		fclose(f);
		struct sc_profile *q;
		char err[256];
		if (profile_read(path, &q, err, sizeof(err)) == 0) {
			read_ok++;
			profile_free(q);
		} else {
			refused++;
			assert_non_null(strstr(err, "mut.scorch"));
		}
	}
	printf("mutated bodies: %u refused, %u read\n", refused, read_ok);
	assert_true(refused > 0);
	ZSTD_freeCCtx(z);
	free(body);
	free(mut);
	free(out);
}

/* ---- bombs: claims beyond what the file holds ---- */

static size_t put_uv(uint8_t *p, uint64_t v)
{
	size_t n = 0;
	for (; v >= 0x80; v >>= 7)
		p[n++] = (uint8_t)(v | 0x80);
	p[n++] = (uint8_t)v;
	return n;
}

static uint64_t get_uv(const uint8_t *p, size_t *at)
{
	uint64_t v = 0;
	for (unsigned s = 0;; s += 7) {
		uint8_t c = p[(*at)++];
		v |= (uint64_t)(c & 0x7f) << s;
		if (!(c & 0x80))
			return v;
	}
}

/* A piece of a body: bytes, or that many zeros. */
struct piece {
	const uint8_t *p;
	size_t n;
	uint64_t zeros;
};

/* Writes a profile whose body is the pieces, compressed as one zstd frame
 * (zeros fed in 1 MiB steps, never held); the header copies hdr (magic,
 * version, flags) and claims raw bytes (0: the real size). Returns the
 * file's size. */
static size_t write_pieces(const char *name, const uint8_t *hdr, const struct piece *pc, int npc,
			   uint64_t raw)
{
	static const uint8_t zero[1 << 20];
	char path[128];
	path_in(path, sizeof(path), name);
	FILE *f = fopen(path, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(hdr, 1, 32, f), 32);
	ZSTD_CCtx *z = ZSTD_createCCtx();
	ZSTD_CCtx_setParameter(z, ZSTD_c_compressionLevel, 1);
	ZSTD_CCtx_setParameter(z, ZSTD_c_checksumFlag, 1);
	static uint8_t out[1 << 17];
	uint64_t total = 0, comp = 0;
	for (int i = 0; i <= npc; i++) {
		int last = i == npc;            /* the frame's end */
		uint64_t zl = last ? 0 : pc[i].zeros;
		do {
			ZSTD_inBuffer in = { zero, 0, 0 };
			if (!last && !pc[i].zeros) {
				in = (ZSTD_inBuffer){ pc[i].p, pc[i].n, 0 };
			} else if (zl) {
				in.size = zl < sizeof(zero) ? (size_t)zl : sizeof(zero);
				zl -= in.size;
			}
			total += in.size;
			ZSTD_EndDirective mode = last ? ZSTD_e_end : ZSTD_e_continue;
			size_t rem;
			do {
				ZSTD_outBuffer ob = { out, sizeof(out), 0 };
				rem = ZSTD_compressStream2(z, &ob, &in, mode);
				assert_false(ZSTD_isError(rem));
				assert_int_equal(fwrite(out, 1, ob.pos, f), ob.pos);
				comp += ob.pos;
			} while (in.pos < in.size || (mode == ZSTD_e_end && rem));
		} while (zl);
	}
	ZSTD_freeCCtx(z);
	uint8_t h[32];
	memcpy(h, hdr, 16);
	for (int k = 0; k < 8; k++) {
		h[16 + k] = (uint8_t)((raw ? raw : total) >> (8 * k));
		h[24 + k] = (uint8_t)(comp >> (8 * k));
	}
	assert_int_equal(fseek(f, 0, SEEK_SET), 0);
	assert_int_equal(fwrite(h, 1, 32, f), 32);
	fclose(f);
	return (size_t)(32 + comp);
}

/* Reads `name` in a child: 60 s of alarm as a hang guard and, outside the
 * sanitizers, 2 GiB of address space, so that a reader believing a claim
 * fails instead of taking the machine's memory. Returns 1 when refused with
 * a message (copied to msg), its peak RSS growth over a child that only
 * forks (KiB) and its time. */
static long rss_base_kb = -1;

static int read_in_child(const char *name, long *rss_kb, double *secs, char *msg, size_t msglen)
{
	char path[128];
	path_in(path, sizeof(path), name);
	int fd[2];
	assert_int_equal(pipe(fd), 0);
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		close(fd[0]);
		alarm(60);
#if !defined(__SANITIZE_ADDRESS__)
		struct rlimit rl = { 2ul << 30, 2ul << 30 };
		setrlimit(RLIMIT_AS, &rl);
#endif
		char err[256] = "";
		struct sc_profile *q = NULL;
		int rc = name[0] ? profile_read(path, &q, err, sizeof(err)) : -1;
		if (write(fd[1], err, strlen(err) + 1) < 0)
			_exit(4);
		_exit(rc == -1 ? 0 : 3);
	}
	close(fd[1]);
	ssize_t got = read(fd[0], msg, msglen - 1);
	msg[got > 0 ? got : 0] = 0;
	close(fd[0]);
	int st;
	struct rusage ru;
	assert_int_equal(wait4(pid, &st, 0, &ru), pid);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	*secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	*rss_kb = ru.ru_maxrss - (rss_base_kb > 0 ? rss_base_kb : 0);
	if (WIFSIGNALED(st))
		fail_msg("%s: the reader was killed by signal %d after %.1f s (a hang or a crash)", name,
			 WTERMSIG(st), *secs);
	return WIFEXITED(st) && WEXITSTATUS(st) == 0 && msg[0];
}

/* Every length and count a profile's body claims, inflated: a section
 * length or a section's first count claiming 128 MiB more with the zeros
 * really there behind it (what compresses 30000 to 1), a length claiming
 * 6.3 GB with nothing behind it, a section of a newer writer that is all
 * zeros, a zstd frame whose content size claims more than the header, and a
 * header claiming 6.3 GB. Each is refused at once: well under 64 MiB of
 * memory more than reading nothing (outside the sanitizers, whose shadow
 * memory would count), and the 60 s alarm only guards against a hang (no
 * timing is asserted). The files stay under 1 MB. */
static void test_bombs(void **state)
{
	(void)state;
	static uint8_t file[1 << 20];
	size_t n = written("b0.scorch", 3000, file, sizeof(file));
	uint8_t *body = NULL;
	size_t raw = unzstd(file + 32, n - 32, &body);
	assert_true(raw != (size_t)-1);
	const uint64_t pad = 128u << 20, huge = 6300000000ull;
	char name[64], msg[512];
	long rss, worst_rss = 0;
	double secs, worst_secs = 0;
	size_t biggest = 0;
	unsigned nb = 0, tags = 0;
	read_in_child("", &rss_base_kb, &secs, msg, sizeof(msg));

#define CHECK_REFUSED(nm)                                                                            \
	do {                                                                                         \
		if (!read_in_child(nm, &rss, &secs, msg, sizeof(msg)))                               \
			fail_msg("%s was not refused (%s)", nm, msg);                                \
		if (!strstr(msg, "corrupt profile") && !strstr(msg, "truncated profile"))            \
			fail_msg("%s: unexpected message '%s'", nm, msg);                            \
		if (!WITH_ASAN && rss > (56l << 10))                                                 \
			fail_msg("%s: the reader took %ld KiB more than reading nothing (%s)", nm, rss, msg); \
		worst_rss = rss > worst_rss ? rss : worst_rss;                                       \
		worst_secs = secs > worst_secs ? secs : worst_secs;                                  \
		nb++;                                                                                \
	} while (0)

	uint8_t hdr[32], h[2 + 10];
	for (size_t at = 0; at < raw;) {
		size_t start = at;
		int tag = body[at++];
		uint64_t len = get_uv(body, &at);
		size_t pay = at, end = at + (size_t)len;
		tags |= 1u << (tag & 31);
		memcpy(hdr, file, 32);

		/* its length claims pad more bytes, zeros that are there */
		h[0] = (uint8_t)tag;
		size_t hl = 1 + put_uv(h + 1, len + pad);
		struct piece a[] = { { body, start, 0 }, { h, hl, 0 }, { body + pay, (size_t)len, 0 },
				     { NULL, 0, pad }, { body + end, raw - end, 0 } };
		snprintf(name, sizeof(name), "bomb-len-pad-%zu.scorch", start);
		size_t sz = write_pieces(name, hdr, a, 5, 0);
		biggest = sz > biggest ? sz : biggest;
		CHECK_REFUSED(name);

		/* its first count claims pad more items, zeros behind it */
		if (len) {
			size_t c = pay;
			uint64_t cnt = get_uv(body, &c);
			uint8_t cv[10];
			size_t cl = put_uv(cv, cnt + pad);
			hl = 1 + put_uv(h + 1, cl + (end - c) + pad);
			struct piece b[] = { { body, start, 0 }, { h, hl, 0 }, { cv, cl, 0 },
					     { body + c, end - c, 0 }, { NULL, 0, pad }, { body + end, raw - end, 0 } };
			snprintf(name, sizeof(name), "bomb-count-pad-%zu.scorch", start);
			sz = write_pieces(name, hdr, b, 6, 0);
			biggest = sz > biggest ? sz : biggest;
			CHECK_REFUSED(name);
		}

		/* its length claims 6.3 GB, with nothing behind it */
		hl = 1 + put_uv(h + 1, huge);
		struct piece c[] = { { body, start, 0 }, { h, hl, 0 }, { body + pay, raw - pay, 0 } };
		snprintf(name, sizeof(name), "bomb-len-bare-%zu.scorch", start);
		write_pieces(name, hdr, c, 3, 0);
		CHECK_REFUSED(name);

		if (tag == 9) {
			/* before END: a newer writer's section, all zeros */
			h[0] = 200;
			hl = 1 + put_uv(h + 1, pad);
			struct piece d[] = { { body, start, 0 }, { h, hl, 0 }, { NULL, 0, pad },
					     { body + start, raw - start, 0 } };
			write_pieces("bomb-unknown.scorch", hdr, d, 4, 0);
			CHECK_REFUSED("bomb-unknown.scorch");
			/* the same section with 1000 bytes of data is skipped */
			uint8_t junk[1000];
			for (size_t k = 0; k < sizeof(junk); k++)
				junk[k] = (uint8_t)(k * 7919u >> 3);
			hl = 1 + put_uv(h + 1, sizeof(junk));
			struct piece e[] = { { body, start, 0 }, { h, hl, 0 }, { junk, sizeof(junk), 0 },
					     { body + start, raw - start, 0 } };
			write_pieces("newer.scorch", hdr, e, 4, 0);
			char path[128], err[256];
			struct sc_profile *q;
			path_in(path, sizeof(path), "newer.scorch");
			if (profile_read(path, &q, err, sizeof(err)))
				fail_msg("a newer writer's section was not skipped: %s", err);
			assert_int_equal(q->nsamples, 70000);
			profile_free(q);
		}
		at = end;
	}
	/* every section the profile has was damaged */
	assert_int_equal(tags, (1u << 1) | (1u << 2) | (1u << 3) | (1u << 4) | (1u << 5) | (1u << 6) |
				       (1u << 22) | (1u << 8) | (1u << 9) | (1u << 10) | (1u << 11) | (1u << 12) |
				       (1u << 13) | (1u << 14) | (1u << 15) | (1u << 16) | (1u << 17) |
				       (1u << 18) | (1u << 19) | (1u << 21));

	/* the header claims 6.3 GB of body */
	memcpy(hdr, file, 32);
	struct piece all[] = { { body, raw, 0 } };
	write_pieces("bomb-header.scorch", hdr, all, 1, huge);
	CHECK_REFUSED("bomb-header.scorch");

	/* the frame's content size claims more than the header's raw size */
	size_t cap = ZSTD_compressBound(raw);
	uint8_t *fr = xmalloc(32 + cap);
	ZSTD_CCtx *z = ZSTD_createCCtx();
	ZSTD_CCtx_setParameter(z, ZSTD_c_checksumFlag, 1);
	ZSTD_CCtx_setParameter(z, ZSTD_c_contentSizeFlag, 1);
	size_t c = ZSTD_compress2(z, fr + 32, cap, body, raw);
	assert_false(ZSTD_isError(c));
	ZSTD_freeCCtx(z);
	uint8_t d = fr[32 + 4];
	assert_int_equal(d >> 6, 2);            /* a 4-byte content size (after a window byte, if any) */
	assert_int_equal(d & 3, 0);             /* no dictionary id */
	memset(fr + 32 + 5 + !((d >> 5) & 1), 0xff, 4);
	memcpy(fr, file, 32);
	for (int k = 0; k < 8; k++) {
		fr[16 + k] = (uint8_t)((uint64_t)raw >> (8 * k));
		fr[24 + k] = (uint8_t)((uint64_t)c >> (8 * k));
	}
	write_bytes("bomb-frame.scorch", fr, 32 + c);
	CHECK_REFUSED("bomb-frame.scorch");
	if (!strstr(msg, "claims 4294967295 bytes"))
		fail_msg("bomb-frame.scorch: '%s'", msg);
	/* and the header agreeing with it */
	for (int k = 0; k < 8; k++)
		fr[16 + k] = (uint8_t)(0xffffffffull >> (8 * k));
	write_bytes("bomb-frame2.scorch", fr, 32 + c);
	CHECK_REFUSED("bomb-frame2.scorch");
	free(fr);
	free(body);
	printf("bombs: %u files of at most %zu bytes, claims up to %llu bytes; all refused, "
	       "at most %ld KiB more memory than reading nothing%s, %.2f s at most\n",
	       nb, biggest, (unsigned long long)huge, worst_rss, WITH_ASAN ? " (sanitizer build: not bounded)" : "",
	       worst_secs);
#undef CHECK_REFUSED
}

static void same_events(const struct sc_event *a, const struct sc_event *b, size_t n, size_t at)
{
	for (size_t k = 0; k < n; k++)
		if (memcmp(&a[k], &b[k], sizeof(*a)))
			fail_msg("event %zu differs", at + k);
}

/* The lazy reader: the events stay in the file and each walk decodes them
 * a block at a time, the very events profile_read() gives (synthetic
 * addresses included); walks one after the other and two at once, one
 * stopped halfway, writing a profile read lazily; a file replaced since it
 * was read, and a damaged event block, fail the walk with a reason. */
static void test_lazy(void **state)
{
	(void)state;
	char path[128], back[128], err[256];
	size_t nev = 3 * 65536 + 123;
	path_in(path, sizeof(path), "lazy.scorch");
	struct sc_profile *p = make_profile(nev), *full, *lz, *q;
	assert_int_equal(profile_write(p, path), 0);
	profile_free(p);
	assert_int_equal(profile_read(path, &full, err, sizeof(err)), 0);
	assert_int_equal(profile_read_lazy(path, &lz, err, sizeof(err)), 0);
	assert_null(lz->events);
	assert_non_null(lz->lazy);
	assert_int_equal(lz->nevents, nev);
	assert_int_equal(lz->nstacks, full->nstacks);
	assert_int_equal(lz->nsamples, full->nsamples);
	assert_int_equal(lz->nzone_stats, full->nzone_stats);
	for (int pass = 0; pass < 3; pass++) {
		struct profile_event_src *a = profile_events_open(lz, err, sizeof(err));
		struct profile_event_src *b = pass ? profile_events_open(lz, err, sizeof(err)) : NULL;
		assert_non_null(a);
		const struct sc_event *ea, *eb;
		size_t ia = 0, ib = 0, na, nb = 0, blocks = 0;
		while ((na = profile_events_next(a, &ea)) > 0) {
			assert_true(na <= EVC_BLOCK_MAX);
			same_events(ea, full->events + ia, na, ia);
			ia += na;
			blocks++;
			if (b && (nb = profile_events_next(b, &eb)) > 0) {
				same_events(eb, full->events + ib, nb, ib);
				ib += nb;
			}
			if (pass == 2 && blocks == 2)
				break;   /* a walk left halfway */
		}
		assert_int_equal(profile_events_close(a, err, sizeof(err)), 0);
		assert_int_equal(profile_events_close(b, err, sizeof(err)), 0);
		assert_int_equal(ia, pass == 2 ? 2 * 65536 : nev);
		if (pass == 1)
			assert_int_equal(ib, nev);
	}
	/* written again from its file */
	path_in(back, sizeof(back), "lazy-back.scorch");
	assert_int_equal(profile_write(lz, back), 0);
	assert_int_equal(profile_read(back, &q, err, sizeof(err)), 0);
	assert_int_equal(q->nevents, nev);
	same_events(q->events, full->events, nev, 0);
	profile_free(q);

	/* an event block cut by a byte (its section's length to match): the
	 * lazy read counts it, the walk refuses it */
	static uint8_t file[8 << 20];
	FILE *f = fopen(path, "rb");
	assert_non_null(f);
	size_t n = fread(file, 1, sizeof(file), f);
	fclose(f);
	assert_true(n > 32 && n < sizeof(file));
	uint8_t *body = NULL;
	size_t raw = unzstd(file + 32, n - 32, &body);
	assert_true(raw != (size_t)-1);
	int cut = 0;
	for (size_t at = 0, blocks = 0; at < raw && !cut;) {
		size_t start = at;
		int tag = body[at++];
		uint64_t len = get_uv(body, &at);
		if (tag == 22 && ++blocks == 2) {
			uint8_t h[12];
			h[0] = 22;
			size_t hl = 1 + put_uv(h + 1, len - 1);
			struct piece pc[] = { { body, start, 0 }, { h, hl, 0 }, { body + at, (size_t)len - 1, 0 },
					      { body + at + len, raw - at - (size_t)len, 0 } };
			write_pieces("lazy-cut.scorch", file, pc, 4, 0);
			cut = 1;
		}
		at += (size_t)len;
	}
	assert_true(cut);
	free(body);
	path_in(back, sizeof(back), "lazy-cut.scorch");
	assert_int_equal(profile_read(back, &q, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "bad event block"));
	assert_int_equal(profile_read_lazy(back, &q, err, sizeof(err)), 0);
	struct profile_event_src *s = profile_events_open(q, err, sizeof(err));
	assert_non_null(s);
	const struct sc_event *ev;
	size_t got = 0, k;
	while ((k = profile_events_next(s, &ev)) > 0)
		got += k;
	assert_int_equal(got, 65536);
	assert_int_equal(profile_events_close(s, err, sizeof(err)), -1);
	if (!strstr(err, "bad event block") || !strstr(err, "lazy-cut.scorch"))
		fail_msg("unexpected reason: %s", err);
	profile_free(q);

	/* the file replaced since it was read */
	p = make_profile(1000);
	assert_int_equal(profile_write(p, path), 0);
	profile_free(p);
	assert_null(profile_events_open(lz, err, sizeof(err)));
	assert_non_null(strstr(err, "changed since it was read"));
	profile_free(lz);
	profile_free(full);
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
		cmocka_unit_test(test_mutated_body),
		cmocka_unit_test(test_bombs),
		cmocka_unit_test(test_lazy),
	};
	int r = cmocka_run_group_tests(tests, NULL, NULL);
	snprintf(cmd, sizeof(cmd), getenv("KEEP_TMP") ? "true %s" : "rm -rf %s", tmpdir);
	if (system(cmd) != 0)
		return 1;
	return r;
}
