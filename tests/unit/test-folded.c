/* Unit tests of the folded-stack export (output/folded.c): exact output for a
 * synthetic profile with merged stacks, inlined frames, unsymbolized frames,
 * names containing ';' or newlines, the empty stack, every weight and a filter. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "../../analysis/heap.h"
#include "../../lib/die.h"
#include "../../output/folded.h"

#define MAXN 32

static uint32_t loc(struct sc_profile *p, uint64_t addr, int32_t module, uint32_t nlines,
		    const char *const *funcs)
{
	struct sc_location *l = &p->locations[p->nlocations];
	l->addr = addr;
	l->module = module;
	l->nlines = nlines;
	l->lines = nlines ? arena_alloc(&p->arena, nlines * sizeof(*l->lines)) : NULL;
	for (uint32_t i = 0; i < nlines; i++) {
		l->lines[i].func = arena_strdup(&p->arena, funcs[i]);
		l->lines[i].file = "x.c";
		l->lines[i].line = 10 + i;
		l->lines[i].inlined = i + 1 < nlines;
	}
	return (uint32_t)p->nlocations++;
}

static uint32_t stack(struct sc_profile *p, uint32_t n, const uint32_t *locs)
{
	struct sc_stack *s = &p->stacks[p->nstacks];
	s->nlocs = n;
	s->locs = arena_alloc(&p->arena, (n ? n : 1) * sizeof(*s->locs));
	memcpy(s->locs, locs, n * sizeof(*locs));
	return (uint32_t)p->nstacks++;
}

static void ev(struct sc_profile *p, uint64_t t, int kind, uint64_t addr, uint64_t size,
	       uint32_t st)
{
	struct sc_event *e = &p->events[p->nevents++];
	memset(e, 0, sizeof(*e));
	e->time = t;
	e->kind = (uint8_t)kind;
	e->func = kind == EV_ALLOC ? FN_MALLOC : FN_FREE;
	e->addr = addr;
	e->size = size;
	e->stack = st;
}

static struct sc_profile *fixture(void)
{
	struct sc_profile *p = profile_new();
	p->modules = arena_alloc(&p->arena, MAXN * sizeof(*p->modules));
	p->locations = arena_alloc(&p->arena, MAXN * sizeof(*p->locations));
	p->stacks = arena_alloc(&p->arena, MAXN * sizeof(*p->stacks));
	p->events = xcalloc(MAXN, sizeof(*p->events));
	p->flags = PROF_HEAP;
	p->nstacks = 1;
	p->modules[0] = (struct sc_module){ .name = "prog", .is_main = true };
	p->modules[1] = (struct sc_module){ .name = "libx.so", .bias = 0x7f0000000000 };
	p->nmodules = 2;

	uint32_t l_main = loc(p, 0x1000, 0, 1, (const char *[]){ "main" });
	uint32_t l_w1 = loc(p, 0x1100, 0, 1, (const char *[]){ "work" });
	uint32_t l_w2 = loc(p, 0x1110, 0, 1, (const char *[]){ "work" });
	uint32_t l_inl = loc(p, 0x1200, 0, 2, (const char *[]){ "inner", "outer" });
	uint32_t l_new = loc(p, 0x7f0000000500, 1, 1, (const char *[]){ "operator new(unsigned long)" });
	uint32_t l_semi = loc(p, 0x1300, 0, 1, (const char *[]){ "a;b" });
	uint32_t l_unk = loc(p, 0x7f0000000042, 1, 0, NULL);
	uint32_t l_nl = loc(p, 0x1400, 0, 1, (const char *[]){ "bad\nname" });

	uint32_t s1 = stack(p, 2, (uint32_t[]){ l_w1, l_main });
	uint32_t s2 = stack(p, 2, (uint32_t[]){ l_w2, l_main });
	uint32_t s3 = stack(p, 3, (uint32_t[]){ l_new, l_inl, l_main });
	uint32_t s4 = stack(p, 3, (uint32_t[]){ l_unk, l_semi, l_main });
	uint32_t s5 = stack(p, 1, (uint32_t[]){ l_nl });

	ev(p, 1, EV_ALLOC, 0x100, 10, s1);
	ev(p, 2, EV_ALLOC, 0x200, 10, s1);
	ev(p, 3, EV_FREE, 0x100, 0, 0);
	ev(p, 4, EV_FREE, 0x200, 0, 0);
	ev(p, 5, EV_ALLOC, 0x300, 1, s5);
	ev(p, 6, EV_FREE, 0x300, 0, 0);
	ev(p, 7, EV_ALLOC, 0x400, 3, 0);
	ev(p, 8, EV_FREE, 0x400, 0, 0);
	ev(p, 9, EV_ALLOC, 0x500, 5, s2);     /* leaked */
	ev(p, 10, EV_ALLOC, 0x600, 7, s4);    /* leaked */
	ev(p, 11, EV_ALLOC, 0x700, 100, s3);  /* the peak: 112 B */
	ev(p, 12, EV_FREE, 0x700, 0, 0);
	p->duration = 12;
	return p;
}

static char *folded(const struct sc_profile *p, const char *filter, enum folded_weight w)
{
	struct heap_options o = { .filter = filter };
	struct heap_result *r;
	assert_int_equal(heap_analyze(p, &o, &r), 0);
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	assert_non_null(f);
	assert_int_equal(folded_write(f, p, r, w), 0);
	fclose(f);
	heap_result_free(r);
	return buf;
}

static void expect(const struct sc_profile *p, const char *filter, enum folded_weight w,
		   const char *want)
{
	char *got = folded(p, filter, w);
	if (strcmp(got, want))
		fail_msg("folded output differs\n--- want\n%s--- got\n%s", want, got);
	free(got);
}

static void test_bytes(void **state)
{
	(void)state;
	struct sc_profile *p = fixture();
	expect(p, NULL, FOLDED_BYTES,
	       "[no stack] 3\n"
	       "bad name 1\n"
	       "main;a:b;[libx.so+0x42] 7\n"
	       "main;outer;inner_[i];operator new(unsigned long) 100\n"
	       "main;work 25\n");
	profile_free(p);
}

static void test_count(void **state)
{
	(void)state;
	struct sc_profile *p = fixture();
	expect(p, NULL, FOLDED_COUNT,
	       "[no stack] 1\n"
	       "bad name 1\n"
	       "main;a:b;[libx.so+0x42] 1\n"
	       "main;outer;inner_[i];operator new(unsigned long) 1\n"
	       "main;work 3\n");
	profile_free(p);
}

static void test_peak_and_leaked(void **state)
{
	(void)state;
	struct sc_profile *p = fixture();
	expect(p, NULL, FOLDED_PEAK,
	       "main;a:b;[libx.so+0x42] 7\n"
	       "main;outer;inner_[i];operator new(unsigned long) 100\n"
	       "main;work 5\n");
	expect(p, NULL, FOLDED_LEAKED,
	       "main;a:b;[libx.so+0x42] 7\n"
	       "main;work 5\n");
	profile_free(p);
}

static void test_filter(void **state)
{
	(void)state;
	struct sc_profile *p = fixture();
	expect(p, "^work$", FOLDED_BYTES, "main;work 25\n");
	expect(p, "libx", FOLDED_BYTES,
	       "main;a:b;[libx.so+0x42] 7\n"
	       "main;outer;inner_[i];operator new(unsigned long) 100\n");
	expect(p, "nothing-matches", FOLDED_BYTES, "");
	profile_free(p);
}

static void test_parse(void **state)
{
	(void)state;
	assert_int_equal(folded_weight_parse("bytes"), FOLDED_BYTES);
	assert_int_equal(folded_weight_parse("count"), FOLDED_COUNT);
	assert_int_equal(folded_weight_parse("peak"), FOLDED_PEAK);
	assert_int_equal(folded_weight_parse("leaked"), FOLDED_LEAKED);
	assert_int_equal(folded_weight_parse("size"), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bytes),
		cmocka_unit_test(test_count),
		cmocka_unit_test(test_peak_and_leaked),
		cmocka_unit_test(test_filter),
		cmocka_unit_test(test_parse),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
