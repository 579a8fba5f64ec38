/* Unit tests of analysis/merge.c on two synthetic process profiles worked
 * out by hand: the merged counts, the process frame at the root of every
 * stack, one clock, one module for the same file loaded at two addresses,
 * heap addresses kept apart per process (a free in one never frees the
 * other's block), the off-CPU frame, and the RUN section's round trip. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../analysis/heap.h"
#include "../../analysis/merge.h"
#include "../../analysis/profile-io.h"
#include "../../analysis/profile.h"
#include "../../lib/die.h"

/* A process image of "prog" (pid) loaded at bias, started at start_wall:
 * two functions, main and work; stack 1 = work <- main, stack 2 = main.
 * Samples: n_work on stack 1, one on stack 2. Heap: an alloc at 0x1000
 * from work, freed when free_it. */
static struct sc_profile *proc(uint32_t pid, uint64_t bias, uint64_t start_wall, size_t n_work,
			       int free_it)
{
	struct sc_profile *p = profile_new();
	struct arena *A = &p->arena;
	p->flags = PROF_CPU | PROF_HEAP;
	p->pid = pid;
	p->exe = "/bin/prog";
	p->cmdline = "prog";
	p->start_wall = start_wall;
	p->duration = 1000;
	p->modules = arena_alloc(A, sizeof(*p->modules));
	p->modules[0] = (struct sc_module){ .name = "prog", .path = "/bin/prog", .build_id = { 1, 2, 3 },
					    .build_id_len = 3, .bias = bias, .lo = bias, .hi = bias + 0x10000,
					    .is_main = true };
	p->nmodules = 1;
	p->locations = arena_alloc(A, 2 * sizeof(*p->locations));
	struct sc_line *l = arena_alloc(A, 2 * sizeof(*l));
	l[0] = (struct sc_line){ "work", "prog.c", 10, false };
	l[1] = (struct sc_line){ "main", "prog.c", 20, false };
	p->locations[0] = (struct sc_location){ bias + 0x100, 0, 1, &l[0] };
	p->locations[1] = (struct sc_location){ bias + 0x200, 0, 1, &l[1] };
	p->nlocations = 2;
	p->stacks = arena_alloc(A, 3 * sizeof(*p->stacks));
	uint32_t *s1 = arena_alloc(A, 2 * sizeof(*s1)), *s2 = arena_alloc(A, sizeof(*s2));
	s1[0] = 0;
	s1[1] = 1;
	s2[0] = 1;
	p->stacks[1] = (struct sc_stack){ 2, s1 };
	p->stacks[2] = (struct sc_stack){ 1, s2 };
	p->nstacks = 3;
	p->threads = arena_alloc(A, sizeof(*p->threads));
	p->threads[0] = (struct sc_thread){ pid, "prog", 0, 1000 };
	p->nthreads = 1;
	p->samples = xcalloc(n_work + 1, sizeof(*p->samples));
	for (size_t i = 0; i < n_work; i++)
		p->samples[i] = (struct sc_sample){ .time = 10 * i, .stack = 1, .weight = 1000 };
	p->samples[n_work] = (struct sc_sample){ .time = 10 * n_work, .stack = 2, .weight = 1000 };
	p->nsamples = n_work + 1;
	p->events = xcalloc(2, sizeof(*p->events));
	p->events[0] = (struct sc_event){ .time = 5, .addr = 0x1000, .size = 64, .stack = 1, .kind = EV_ALLOC };
	p->events[1] = (struct sc_event){ .time = 7, .addr = 0x1000, .kind = EV_FREE };
	p->nevents = free_it ? 2 : 1;
	return p;
}

static const char *frame_of(const struct sc_profile *m, uint32_t loc)
{
	return m->locations[loc].lines[0].func;
}

static void test_merge_two(void **state)
{
	(void)state;
	/* the child: started 500 ns after the root, the same program loaded
	 * 0x40000 higher; the root frees its block, the child leaks its own
	 * at the same address */
	struct sc_profile *parts[2] = { proc(200, 0x50000, 1500, 3, 0), proc(100, 0x10000, 1000, 2, 1) };
	struct sc_profile *m;
	char err[256];
	assert_int_equal(profile_merge(parts, 2, &m, err, sizeof(err)), 0);
	assert_int_equal(m->nparts, 2);
	assert_int_equal(m->pid, 100);              /* the root: started first */
	assert_int_equal(m->nsamples, 3 + 1 + 2 + 1);
	assert_int_equal(m->nevents, 3);
	assert_int_equal(m->nthreads, 2);
	assert_int_equal(m->nmodules, 1);           /* the same file, once */
	assert_int_equal(m->duration, 1500);
	/* one time order; the child's times moved by 500 ns */
	for (size_t i = 1; i < m->nsamples; i++)
		assert_true(m->samples[i - 1].time <= m->samples[i].time);
	for (size_t i = 1; i < m->nevents; i++)
		assert_true(m->events[i - 1].time <= m->events[i].time);
	assert_int_equal(m->events[2].time, 505);
	/* every sample's stack ends in its process's frame */
	size_t root = 0, child = 0;
	for (size_t i = 0; i < m->nsamples; i++) {
		const struct sc_stack *s = &m->stacks[m->samples[i].stack];
		const char *top = frame_of(m, s->locs[s->nlocs - 1]);
		uint16_t th = m->samples[i].thread;
		if (!strcmp(top, "prog (pid 100)")) {
			root++;
			assert_int_equal(m->threads[th].tid, 100);
		} else {
			assert_string_equal(top, "prog (pid 200)");
			assert_int_equal(m->threads[th].tid, 200);
			child++;
			/* the child's addresses moved to the root's load address */
			const struct sc_location *leaf = &m->locations[s->locs[0]];
			assert_int_equal(leaf->module, 0);
			assert_true(leaf->addr == 0x10100 || leaf->addr == 0x10200);
		}
	}
	assert_int_equal(root, 3);
	assert_int_equal(child, 4);
	/* the root's free frees the root's block only: one block leaked */
	struct heap_options ho = { 0 };
	struct heap_result *r;
	assert_int_equal(heap_analyze(m, &ho, &r), 0);
	assert_int_equal(r->t.allocations, 2);
	assert_int_equal(r->t.frees, 1);
	assert_int_equal(r->t.unmatched_frees, 0);
	assert_int_equal(r->t.leaked_blocks, 1);
	assert_int_equal(r->t.leaked_bytes, 64);
	heap_result_free(r);
	profile_free(m);
}

static void test_mark_offcpu(void **state)
{
	(void)state;
	struct sc_profile *p = proc(100, 0x10000, 1000, 2, 0);
	p->flags |= PROF_WALL;
	p->samples[1].offcpu = 1;   /* one of the two on stack 1 */
	size_t nstacks = p->nstacks;
	profile_mark_offcpu(p);
	assert_int_equal(p->nstacks, nstacks + 1);
	const struct sc_stack *on = &p->stacks[p->samples[0].stack], *off = &p->stacks[p->samples[1].stack];
	assert_int_equal(p->samples[0].stack, 1);
	assert_int_equal(off->nlocs, on->nlocs + 1);
	assert_string_equal(frame_of(p, off->locs[0]), MERGE_OFFCPU_FRAME);
	assert_int_equal(p->locations[off->locs[0]].module, -1);
	for (uint32_t i = 0; i < on->nlocs; i++)
		assert_int_equal(off->locs[i + 1], on->locs[i]);
	/* once only */
	profile_mark_offcpu(p);
	assert_int_equal(p->nstacks, nstacks + 1);
	assert_false(profile_mostly_offcpu(p));
	p->samples[0].offcpu = p->samples[2].offcpu = 1;
	assert_true(profile_mostly_offcpu(p));
	profile_free(p);
}

static void test_run_section(void **state)
{
	(void)state;
	struct sc_profile *p = proc(100, 0x10000, 1000, 2, 1);
	const char *rel[2] = { "prog.200.scorch", "/elsewhere/other.300.scorch" };
	p->run_id = "run-1";
	p->relatives = rel;
	p->nrelatives = 2;
	char path[] = "/tmp/scorch-test-merge-XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(profile_write(p, path), 0);
	profile_free(p);
	struct sc_profile *q;
	char err[256];
	assert_int_equal(profile_read(path, &q, err, sizeof(err)), 0);
	assert_string_equal(q->run_id, "run-1");
	assert_int_equal(q->nrelatives, 2);
	char **files;
	size_t n;
	profile_run_files(q, "/data/prog.100.scorch", &files, &n);
	assert_int_equal(n, 3);
	assert_string_equal(files[0], "/data/prog.100.scorch");
	assert_string_equal(files[1], "/data/prog.200.scorch");
	assert_string_equal(files[2], "/elsewhere/other.300.scorch");
	for (size_t i = 0; i < n; i++)
		free(files[i]);
	free(files);
	profile_free(q);
	unlink(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_merge_two),
		cmocka_unit_test(test_mark_offcpu),
		cmocka_unit_test(test_run_section),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
