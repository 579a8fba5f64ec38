/* gen-bigprof: writes a synthetic profile with a given number of distinct
 * stacks (default 1,000,000) through the tool's own model and writer, for
 * bench/html-speed.sh. The stacks grow like a real program's call tree: each
 * new one extends an earlier stack (often a recent one, so some run deep) by
 * one to three frames from a pool of 20,000 C++-like functions, some with an
 * inlined frame. Each stack gets one CPU sample (a third get a second one) on
 * one of 8 threads; with --heap each also makes one allocation, half of them
 * freed later. Deterministic: the same arguments give the same file.
 *   usage: gen-bigprof OUT.scorch [NSTACKS] [--heap] */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../analysis/profile-io.h"
#include "../analysis/profile.h"
#include "../lib/arena.h"
#include "../lib/die.h"
#include "../lib/hashmap.h"

#define NFUNCS 20000u
#define NTHREADS 8u
#define SAMPLE_NS 1001001u

static uint64_t rng = 0x9e3779b97f4a7c15ull;

static uint64_t next(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

/* A stack being built: frames (location ids) outermost first. */
struct seq {
	uint32_t *f;
	uint32_t n;
	uint64_t hash;              /* of the whole sequence, built frame by frame */
};

static uint64_t mix(uint64_t h, uint32_t f)
{
	return hash_u64(h ^ ((uint64_t)f + 0x100000001b3ull) * 0x9e3779b97f4a7c15ull);
}

static void make_locations(struct sc_profile *p)
{
	static const char *const kinds[] = { "parse", "eval", "emit", "lookup", "insert", "visit",
					     "flush", "encode", "decode", "merge", "split", "sort" };
	static const char *const types[] = { "int", "std::string const&", "Node*", "std::vector<int> const&",
					     "unsigned long", "Ctx&" };
	p->nlocations = NFUNCS;
	p->locations = arena_alloc(&p->arena, NFUNCS * sizeof(*p->locations));
	char name[160], file[64];
	for (uint32_t i = 0; i < NFUNCS; i++) {
		struct sc_location *l = &p->locations[i];
		l->addr = 0x400000 + 64ull * i;
		l->module = i % 7 == 0 ? 1 : 0;
		l->nlines = i % 50 == 7 ? 2 : 1;
		l->lines = arena_alloc(&p->arena, l->nlines * sizeof(*l->lines));
		snprintf(file, sizeof(file), "src/mod%02u/unit%03u.cc", i % 97, i % 389);
		if (i == 0) {
			snprintf(name, sizeof(name), "_start");
		} else if (i == 1) {
			snprintf(name, sizeof(name), "main");
		} else {
			snprintf(name, sizeof(name), "ns%u::Class%u::%s_%u(%s, %s)", i % 31, i % 611,
				 kinds[i % 12], i, types[i % 6], types[(i / 6) % 6]);
		}
		uint32_t last = l->nlines - 1;
		l->lines[last].func = arena_strdup(&p->arena, name);
		l->lines[last].file = arena_strdup(&p->arena, file);
		l->lines[last].line = 10 + i % 900;
		if (l->nlines == 2) {
			snprintf(name, sizeof(name), "inline_helper_%u<int>(int)", i % 40);
			l->lines[0].func = arena_strdup(&p->arena, name);
			l->lines[0].file = "include/helpers.h";
			l->lines[0].line = 5 + i % 40;
			l->lines[0].inlined = true;
		}
	}
}

/* Makes nstacks distinct stacks, each extending an earlier one. */
static void make_stacks(struct sc_profile *p, uint32_t nstacks)
{
	struct seq *s = xcalloc((size_t)nstacks + 1, sizeof(*s));
	struct u64map seen;
	u64map_init(&seen, (size_t)nstacks * 2);
	/* s[0]: the root of every stack, _start -> main */
	s[0].n = 2;
	s[0].f = xmalloc(2 * sizeof(uint32_t));
	s[0].f[0] = 0;
	s[0].f[1] = 1;
	s[0].hash = mix(mix(0, 0), 1);
	uint32_t have = 1;
	while (have <= nstacks) {
		uint64_t r = next();
		uint32_t par;
		if (r & 1)
			par = (uint32_t)((r >> 8) % have);
		else
			par = have - 1 - (uint32_t)((r >> 8) % (have < 64 ? have : 64));
		if (s[par].n > 120)
			continue;
		uint32_t add = 1 + (uint32_t)((r >> 40) % 3);
		uint32_t fr[3];
		uint64_t h = s[par].hash;
		for (uint32_t k = 0; k < add; k++) {
			fr[k] = 2 + (uint32_t)(next() % (NFUNCS - 2));
			h = mix(h, fr[k]);
		}
		bool isnew;
		u64map_put(&seen, h, &isnew);
		if (!isnew)
			continue;
		struct seq *q = &s[have++];
		q->n = s[par].n + add;
		q->f = xmalloc(q->n * sizeof(uint32_t));
		memcpy(q->f, s[par].f, s[par].n * sizeof(uint32_t));
		memcpy(q->f + s[par].n, fr, add * sizeof(uint32_t));
		q->hash = h;
	}
	/* the profile's stacks, innermost first; stacks[0] is the empty stack */
	p->nstacks = (size_t)nstacks + 1;
	p->stacks = arena_alloc(&p->arena, p->nstacks * sizeof(*p->stacks));
	for (uint32_t i = 1; i <= nstacks; i++) {
		struct sc_stack *st = &p->stacks[i];
		st->nlocs = s[i].n;
		st->locs = arena_alloc(&p->arena, st->nlocs * sizeof(uint32_t));
		for (uint32_t k = 0; k < st->nlocs; k++)
			st->locs[k] = s[i].f[st->nlocs - 1 - k];
	}
	for (uint32_t i = 0; i <= nstacks; i++)
		free(s[i].f);
	free(s);
	u64map_release(&seen);
}

static void make_samples(struct sc_profile *p, uint32_t nstacks)
{
	size_t n = nstacks + nstacks / 3;
	p->samples = xcalloc(n, sizeof(*p->samples));
	uint64_t t = 0;
	for (size_t i = 0; i < n; i++) {
		struct sc_sample *x = &p->samples[i];
		uint32_t st = i < nstacks ? (uint32_t)i + 1 : 1 + (uint32_t)(next() % nstacks);
		t += 1 + next() % (2 * SAMPLE_NS / NTHREADS);
		x->time = t;
		x->stack = st;
		x->weight = SAMPLE_NS;
		x->thread = (uint16_t)(hash_u64(st) % NTHREADS);
	}
	p->nsamples = n;
	p->duration = t + 1;
	p->cpu_time_ns = (uint64_t)n * SAMPLE_NS;
}

static void make_events(struct sc_profile *p, uint32_t nstacks)
{
	size_t n = nstacks + nstacks / 2;
	p->events = xcalloc(n, sizeof(*p->events));
	uint64_t step = p->duration / (n + 1) + 1;
	size_t k = 0;
	for (uint32_t i = 1; i <= nstacks; i++) {
		struct sc_event *e = &p->events[k];
		e->time = k * step;
		e->kind = EV_ALLOC;
		e->func = FN_MALLOC;
		e->addr = 0x10000000ull + 64ull * i;
		e->size = 16 + next() % 4000;
		e->stack = i;
		e->thread = (uint16_t)(hash_u64(i) % NTHREADS);
		k++;
		/* every other block is freed a little later */
		if (i % 2 == 0 && i > 10) {
			uint32_t v = i - 10;
			struct sc_event *f = &p->events[k];
			f->time = k * step;
			f->kind = EV_FREE;
			f->func = FN_FREE;
			f->addr = 0x10000000ull + 64ull * v;
			f->thread = (uint16_t)(hash_u64(v) % NTHREADS);
			k++;
		}
	}
	p->nevents = k;
	p->flags |= PROF_HEAP;
}

int main(int argc, char **argv)
{
	const char *out = NULL;
	uint32_t nstacks = 1000000;
	bool heap = false;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--heap"))
			heap = true;
		else if (!out)
			out = argv[i];
		else
			nstacks = (uint32_t)strtoul(argv[i], NULL, 10);
	}
	if (!out || !nstacks || nstacks > 50000000) {
		fprintf(stderr, "usage: gen-bigprof OUT.scorch [NSTACKS (1..50000000)] [--heap]\n");
		return 2;
	}
	struct sc_profile *p = profile_new();
	p->flags = PROF_CPU;
	p->version = PROFILE_VERSION;
	p->pid = 4242;
	p->ppid = 1;
	p->exe = "/opt/big/bigprog";
	static const char *args[] = { "/opt/big/bigprog", "--synthetic" };
	p->argc = 2;
	p->argv = args;
	p->cmdline = "/opt/big/bigprog --synthetic";
	p->start_wall = (uint64_t)time(NULL) * 1000000000ull;
	p->exit_kind = EXIT_NORMAL;
	p->depth = 128;
	p->host = "gen-bigprof";
	p->scorch_version = SCORCH_VERSION;
	p->sample_source = "perf cpu-clock";
	p->sample_hz = 999;

	p->nmodules = 2;
	p->modules = arena_alloc(&p->arena, 2 * sizeof(*p->modules));
	p->modules[0] = (struct sc_module){ .name = "bigprog", .path = "/opt/big/bigprog",
					    .lo = 0x400000, .hi = 0x400000 + 64ull * NFUNCS, .is_main = true };
	p->modules[1] = (struct sc_module){ .name = "libbig.so", .path = "/opt/big/libbig.so",
					    .lo = 0x7f0000000000, .hi = 0x7f0000100000 };
	p->nthreads = NTHREADS;
	p->threads = arena_alloc(&p->arena, NTHREADS * sizeof(*p->threads));
	for (uint32_t i = 0; i < NTHREADS; i++) {
		char nm[32];
		snprintf(nm, sizeof(nm), i ? "worker-%u" : "bigprog", i);
		p->threads[i] = (struct sc_thread){ 4242 + i, arena_strdup(&p->arena, nm), 0, 0 };
	}
	make_locations(p);
	make_stacks(p, nstacks);
	make_samples(p, nstacks);
	if (heap)
		make_events(p, nstacks);
	int rc = profile_write(p, out);
	if (rc) {
		fprintf(stderr, "gen-bigprof: cannot write %s: %s\n", out, strerror(-rc));
		return 1;
	}
	size_t frames = 0;
	for (size_t i = 1; i < p->nstacks; i++)
		frames += p->stacks[i].nlocs;
	printf("%s: %u distinct stacks (mean depth %.1f), %zu samples on %u threads, %zu heap events\n",
	       out, nstacks, (double)frames / nstacks, p->nsamples, NTHREADS, p->nevents);
	profile_free(p);
	return 0;
}
