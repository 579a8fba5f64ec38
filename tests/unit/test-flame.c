/* Unit tests of flame trees and charts (analysis/flame.c), the folded reader
 * (analysis/folded-in.c) and the SVG writer (output/flame-svg.c), on inputs
 * whose layout is worked out by hand: widths proportional to weights,
 * children inside their parents in name order, the pruning and merging
 * rules, diff matching, colours and tables, per-thread and heap weights,
 * time-ordered spans from samples and from zones (exact ends, depths and
 * self times of nested and recursive zones, marks, counters), and escaping
 * of hostile names. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <cmocka.h>

#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "../../analysis/flame.h"
#include "../../analysis/folded-in.h"
#include "../../analysis/heap.h"
#include "../../lib/die.h"
#include "../../output/flame-svg.h"

#define EPS 1e-12
#define MS 1000000ull

/* ---- helpers ---- */

static struct flame_tree *folded(const char *text)
{
	struct flame_tree *t;
	char err[256];
	int rc = flame_from_folded(text, strlen(text), &t, err, sizeof(err));
	if (rc)
		fail_msg("flame_from_folded: %s", err);
	return t;
}

/* The node at a ';'-separated path from the root, FLAME_NONE if absent. */
static uint32_t node_at(struct flame_tree *t, const char *path)
{
	uint32_t n = 0;
	char buf[256];
	snprintf(buf, sizeof(buf), "%s", path);
	for (char *save, *f = strtok_r(buf, ";", &save); f; f = strtok_r(NULL, ";", &save)) {
		uint32_t nm = FLAME_NONE;
		for (size_t i = 0; i < t->names.len; i++)
			if (!strcmp(t->names.data[i], f))
				nm = (uint32_t)i;
		if (nm == FLAME_NONE)
			return FLAME_NONE;
		uint32_t c = FLAME_NONE;
		for (size_t m = 0; m < t->modules.len && c == FLAME_NONE; m++)
			c = flame_find_child(t, n, nm, (uint32_t)m);
		if (c == FLAME_NONE)
			return FLAME_NONE;
		n = c;
	}
	return n;
}

/* The rect drawing node n, NULL if none. */
static const struct flame_rect *rect_of(const struct flame_layout *l, uint32_t n)
{
	for (size_t i = 0; i < l->n; i++)
		if (l->rects[i].node == n)
			return &l->rects[i];
	return NULL;
}

/* Every rect inside its parent, one row below, children not overlapping. */
static void check_nesting(const struct flame_layout *l)
{
	for (size_t i = 1; i < l->n; i++) {
		const struct flame_rect *r = &l->rects[i];
		assert_true(r->parent < i);
		const struct flame_rect *p = &l->rects[r->parent];
		assert_int_equal(r->depth, p->depth + 1);
		assert_true(r->x >= p->x - EPS);
		assert_true(r->x + r->w <= p->x + p->w + EPS);
		assert_true(r->w > 0);
		for (size_t j = i + 1; j < l->n; j++) {
			const struct flame_rect *s = &l->rects[j];
			if (s->parent == r->parent)
				assert_true(s->x >= r->x + r->w - EPS || s->x + s->w <= r->x + EPS);
		}
	}
}

/* ---- layout ---- */

static void test_layout_widths(void **state)
{
	(void)state;
	/* main 100: a 60 (b 30, c 20, self 10), d 40 */
	struct flame_tree *t = folded("main;d 40\nmain;a;c 20\nmain;a 10\nmain;a;b 30\n");
	struct flame_layout l;
	flame_layout(t, 0, &l);
	assert_int_equal(l.n, 6);
	assert_int_equal(l.max_depth, 3);
	assert_int_equal(l.pruned, 0);
	assert_int_equal(l.rects[0].node, 0);
	assert_true(fabs(l.rects[0].w - 1) < EPS);
	const struct flame_rect *m = rect_of(&l, node_at(t, "main"));
	const struct flame_rect *a = rect_of(&l, node_at(t, "main;a"));
	const struct flame_rect *b = rect_of(&l, node_at(t, "main;a;b"));
	const struct flame_rect *c = rect_of(&l, node_at(t, "main;a;c"));
	const struct flame_rect *d = rect_of(&l, node_at(t, "main;d"));
	assert_non_null(m);
	assert_non_null(a);
	assert_non_null(b);
	assert_non_null(c);
	assert_non_null(d);
	/* widths are weight / total; children in name order from the left */
	assert_true(fabs(m->x - 0) < EPS && fabs(m->w - 1.0) < EPS);
	assert_true(fabs(a->x - 0) < EPS && fabs(a->w - 0.6) < EPS);
	assert_true(fabs(d->x - 0.6) < EPS && fabs(d->w - 0.4) < EPS);
	assert_true(fabs(b->x - 0) < EPS && fabs(b->w - 0.3) < EPS);
	assert_true(fabs(c->x - 0.3) < EPS && fabs(c->w - 0.2) < EPS);
	assert_int_equal(a->weight, 60);
	assert_int_equal(t->nodes.data[node_at(t, "main;a")].self, 10);
	assert_int_equal(t->nodes.data[0].total, 100);
	check_nesting(&l);
	flame_layout_release(&l);
	flame_tree_free(t);
}

static void test_layout_name_order(void **state)
{
	(void)state;
	/* inserted z, m, a: drawn a, m, z */
	struct flame_tree *t = folded("r;z 1\nr;m 2\nr;a 3\n");
	struct flame_layout l;
	flame_layout(t, 0, &l);
	const struct flame_rect *a = rect_of(&l, node_at(t, "r;a"));
	const struct flame_rect *m = rect_of(&l, node_at(t, "r;m"));
	const struct flame_rect *z = rect_of(&l, node_at(t, "r;z"));
	assert_true(fabs(a->x - 0) < EPS && fabs(a->w - 0.5) < EPS);
	assert_true(fabs(m->x - 0.5) < EPS && fabs(m->w - 2.0 / 6) < EPS);
	assert_true(fabs(z->x - 5.0 / 6) < EPS && fabs(z->w - 1.0 / 6) < EPS);
	flame_layout_release(&l);
	flame_tree_free(t);
}

static void test_layout_prune(void **state)
{
	(void)state;
	/* total 1000. p 950: big 850 (with a thin child x of 5), ten thin t0..t9
	 * of 10 each -> merged (100 >= 50). q 50: self 40, two thin children of
	 * 5 -> not drawn (10 < 50), q keeps its width. */
	struct strbuf sb = STRBUF_INIT;
	sb_adds(&sb, "p;big 845\np;big;x 5\n");
	for (int i = 0; i < 10; i++)
		sb_addf(&sb, "p;t%d 7\np;t%d;deep 3\n", i, i);
	sb_adds(&sb, "q 40\nq;u 5\nq;v 5\n");
	struct flame_tree *t = folded(sb.buf);
	sb_release(&sb);
	assert_int_equal(t->nodes.data[0].total, 1000);
	struct flame_layout l;
	flame_layout(t, 0.05, &l);
	check_nesting(&l);
	/* drawn: root, p, q, big, merged */
	assert_int_equal(l.n, 5);
	const struct flame_rect *p = rect_of(&l, node_at(t, "p"));
	const struct flame_rect *big = rect_of(&l, node_at(t, "p;big"));
	const struct flame_rect *q = rect_of(&l, node_at(t, "q"));
	assert_non_null(p);
	assert_non_null(big);
	assert_non_null(q);
	assert_null(rect_of(&l, node_at(t, "p;big;x")));
	assert_null(rect_of(&l, node_at(t, "q;u")));
	assert_true(fabs(p->w - 0.95) < EPS);
	assert_true(fabs(big->x - 0) < EPS && fabs(big->w - 0.85) < EPS);
	assert_true(fabs(q->x - 0.95) < EPS && fabs(q->w - 0.05) < EPS);
	const struct flame_rect *mg = NULL;
	for (size_t i = 0; i < l.n; i++)
		if (l.rects[i].node == FLAME_NONE)
			mg = &l.rects[i];
	assert_non_null(mg);
	assert_int_equal(mg->merged, 10);
	assert_int_equal(mg->weight, 100);
	assert_ptr_equal(&l.rects[mg->parent], p);
	/* after the drawn sibling, inside the parent */
	assert_true(fabs(mg->x - 0.85) < EPS && fabs(mg->w - 0.1) < EPS);
	/* not drawn: x, the ten t's subtrees (t + deep) minus the ten merged, u, v */
	assert_int_equal(l.pruned, 1 + 20 - 10 + 2);
	flame_layout_release(&l);

	/* q is 5% wide: with a minimum of 6% it goes too */
	flame_layout(t, 0.06, &l);
	assert_null(rect_of(&l, node_at(t, "q")));
	assert_non_null(rect_of(&l, node_at(t, "p")));
	flame_layout_release(&l);

	/* min 0: every node with weight */
	flame_layout(t, 0, &l);
	assert_int_equal(l.n, t->nodes.len);
	assert_int_equal(l.n, 27);
	assert_int_equal(l.pruned, 0);
	check_nesting(&l);
	flame_layout_release(&l);
	flame_tree_free(t);
}

/* The frame cap: the widest max_nodes nodes are kept, by raising min_frac. */
static void test_frame_cap(void **state)
{
	(void)state;
	uint64_t v[] = { 5, 1, 5, 3, 9, 7 };
	static const uint64_t want[] = { 9, 7, 5, 5, 3, 1, 0 };
	for (size_t k = 1; k <= 7; k++) {
		uint64_t c[6];
		memcpy(c, v, sizeof(v));
		assert_int_equal(flame_kth_largest(c, 6, k), want[k - 1]);
	}
	uint64_t same[5] = { 4, 4, 4, 4, 4 };
	assert_int_equal(flame_kth_largest(same, 5, 3), 4);

	/* p 950 (big 850 (x 5), t0..t9 10 each (deep 3)), q 50 (u 5, v 5) */
	struct strbuf sb = STRBUF_INIT;
	sb_adds(&sb, "p;big 845\np;big;x 5\n");
	for (int i = 0; i < 10; i++)
		sb_addf(&sb, "p;t%d 7\np;t%d;deep 3\n", i, i);
	sb_adds(&sb, "q 40\nq;u 5\nq;v 5\n");
	struct flame_tree *t = folded(sb.buf);
	sb_release(&sb);
	/* 3 nodes: p, big, q; the 4th widest is a t (10): the bar goes to 11 */
	double f = flame_min_frac_for(t, 0, 3);
	assert_true(fabs(f - 0.011) < EPS);
	struct flame_layout l;
	flame_layout(t, f, &l);
	assert_int_equal(l.n, 5);   /* root, p, big, q, and the t's merged (100 wide) */
	assert_non_null(rect_of(&l, node_at(t, "q")));
	flame_layout_release(&l);
	assert_true(fabs(flame_min_frac_for(t, 0.5, 3) - 0.5) < EPS);   /* the floor is higher */
	assert_true(fabs(flame_min_frac_for(t, 0.001, 0) - 0.001) < EPS); /* no cap */
	assert_true(fabs(flame_min_frac_for(t, 0.001, 100) - 0.001) < EPS); /* under the cap */
	flame_tree_free(t);

	struct flame_chart *c = flame_chart_new(FLAME_SAMPLES);
	uint32_t ln = flame_chart_lane(c, "x", 1), nm = flame_name(c->names, "f", 1);
	for (uint64_t i = 0; i < 5; i++) {
		struct flame_span sp = { .start = i * 100, .end = i * 100 + 10 * (i + 1), .lane = ln,
					  .name = nm, .weight = 1 };
		flame_chart_add(c, &sp);
	}
	/* lengths 10..50: keep 2 -> at least 31 */
	assert_int_equal(flame_chart_min_ns_for(c, 1, 2), 31);
	assert_int_equal(flame_chart_min_ns_for(c, 45, 2), 45);
	assert_int_equal(flame_chart_min_ns_for(c, 1, 5), 1);
	flame_chart_free(c);
}

/* ---- folded input ---- */

struct collect {
	struct strbuf out;
};

static int collect_line(void *arg, const struct folded_frame *fr, size_t n, uint64_t w,
			size_t lineno)
{
	struct collect *c = arg;
	sb_addf(&c->out, "%zu:", lineno);
	for (size_t i = 0; i < n; i++)
		sb_addf(&c->out, "%s%.*s%s", i ? "|" : "", (int)fr[i].len, fr[i].name,
			fr[i].inlined ? "(i)" : "");
	sb_addf(&c->out, "=%llu\n", (unsigned long long)w);
	return 0;
}

static void test_folded_parse(void **state)
{
	(void)state;
	const char *text = "main;a 3\n\n  \r\nmain;b;inl_[i] 12\r\nskip;me 0\nsp ace;x y  7\nlast 1";
	struct collect c = { STRBUF_INIT };
	char err[256] = "";
	assert_int_equal(folded_parse(text, strlen(text), collect_line, &c, err, sizeof(err)), 0);
	assert_string_equal(c.out.buf, "1:main|a=3\n4:main|b|inl(i)=12\n6:sp ace|x y=7\n7:last=1\n");
	sb_release(&c.out);

	static const struct {
		const char *text, *msg;
	} bad[] = {
		{ "a;b 1\na;b\n", "line 2: not a folded stack" },
		{ "a;b 1\n\na;b x\n", "line 3: the count at the end is not a whole number" },
		{ "a;;b 1\n", "line 1: empty frame name" },
		{ "a; 1\n", "line 1: empty frame name" },
		{ "a 1.5\n", "line 1: the count at the end is not a whole number" },
		{ "a -1\n", "line 1: the count at the end is not a whole number" },
		{ "a 99999999999999999999\n", "line 1: the count" },
		{ "7\n", "line 1: not a folded stack" },
		{ "a 1\n\x7f" "ELF\x02\x01\x01\0\0 1\n", "line 2: binary data, not folded text" },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
		struct collect d = { STRBUF_INIT };
		err[0] = 0;
		size_t n = strlen(bad[i].text);
		if (strstr(bad[i].text, "ELF"))
			n += 3;   /* past the NUL */
		assert_int_equal(folded_parse(bad[i].text, n, collect_line, &d, err, sizeof(err)), -EINVAL);
		if (strncmp(err, bad[i].msg, strlen(bad[i].msg)))
			fail_msg("'%s': got '%s', want '%s...'", bad[i].text, err, bad[i].msg);
		sb_release(&d.out);
	}
	struct flame_tree *t;
	assert_int_equal(flame_from_folded("\n\nx 0\n", 5, &t, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "no stacks"));
}

static void test_folded_tree(void **state)
{
	(void)state;
	/* duplicates merge; the same name under different parents stays apart */
	struct flame_tree *t = folded("m;f;g 2\nm;h;g 3\nm;f;g 4\nm;f_[i];k 1\nm 5\n");
	assert_int_equal(t->nodes.data[0].total, 15);
	uint32_t m = node_at(t, "m"), fg = node_at(t, "m;f;g"), hg = node_at(t, "m;h;g");
	assert_int_equal(t->nodes.data[m].total, 15);
	assert_int_equal(t->nodes.data[m].self, 5);
	assert_int_equal(t->nodes.data[fg].total, 6);
	assert_int_equal(t->nodes.data[hg].total, 3);
	/* "f_[i]" is f, inlined: one node, flagged */
	uint32_t f = node_at(t, "m;f");
	assert_int_equal(t->nodes.data[f].total, 7);
	assert_true(t->nodes.data[f].flags & FLAME_INLINED);
	assert_false(t->nodes.data[hg].flags & FLAME_INLINED);
	assert_int_equal(t->nodes.data[fg].depth, 3);
	flame_tree_free(t);
}

/* ---- diff ---- */

static void test_diff_match_and_colors(void **state)
{
	(void)state;
	struct flame_tree *b = folded("main;a 50\nmain;b 50\nmain;gone 0\nother;x 0\n");
	struct flame_tree *a = folded("main;a 75\nmain;b 20\nmain;c 5\n");
	flame_diff(a, b);
	assert_true(a->diffed);
	assert_int_equal(a->before_all, 100);
	assert_int_equal(a->before[0].total, 100);
	assert_int_equal(a->before[node_at(a, "main")].total, 100);
	assert_int_equal(a->before[node_at(a, "main;a")].total, 50);
	assert_int_equal(a->before[node_at(a, "main;a")].self, 50);
	assert_int_equal(a->before[node_at(a, "main;b")].total, 50);
	assert_int_equal(a->before[node_at(a, "main;c")].total, 0);

	/* white at no change, linear to full red / blue at the scale */
	struct flame_rgb c = flame_diff_color(0.5, 0.5, 0.25);
	assert_true(c.r == 255 && c.g == 255 && c.b == 255);
	c = flame_diff_color(0.5, 0.75, 0.25);
	assert_true(c.r == 255 && c.g == 55 && c.b == 55);
	c = flame_diff_color(0.5, 0.625, 0.25);
	assert_true(c.r == 255 && c.g == 155 && c.b == 155);
	c = flame_diff_color(0.5, 0.2, 0.25);   /* beyond the scale: saturates */
	assert_true(c.r == 55 && c.g == 55 && c.b == 255);
	c = flame_diff_color(0.0, 0.05, 0.25);
	assert_true(c.r == 255 && c.g == 215 && c.b == 215);
	c = flame_diff_color(0.1, 0.3, 0);
	assert_true(c.r == 255 && c.g == 255 && c.b == 255);
	flame_tree_free(a);
	flame_tree_free(b);
}

static void test_diff_rows(void **state)
{
	(void)state;
	/* before 200: a 100 (50%), b 60 (30%), d 40 (20%); after 100: a 25, b 70, c 5.
	 * recursion: r;r counts once in totals */
	struct flame_tree *b = folded("main;a 100\nmain;b 60\nmain;d 40\n");
	struct flame_tree *a = folded("main;a 25\nmain;b;r;r 70\nmain;c 5\n");
	struct flame_diff_row *rows;
	size_t n = flame_diff_rows(b, a, FLAME_BY_FUNCTION, &rows);
	/* rows with self weight somewhere: a, b, d, c, r (main and b have no self in
	 * after, b has self in before) */
	assert_int_equal(n, 5);
	/* a: 50% -> 25% (-25); r: 0 -> 70% (+70); d: 20% -> 0 (-20); b: 30% -> 0
	 * (-30); c: 0 -> 5% (+5) */
	const char *order[] = { "r", "b", "a", "d", "c" };
	for (size_t i = 0; i < n; i++)
		assert_string_equal(rows[i].name, order[i]);
	assert_int_equal(rows[0].before, 0);
	assert_int_equal(rows[0].after, 70);
	assert_true(fabs(rows[0].delta - 0.70) < EPS);
	assert_int_equal(rows[0].after_total, 70);   /* r;r counted once */
	assert_int_equal(rows[1].before, 60);
	assert_int_equal(rows[1].after, 0);
	assert_int_equal(rows[1].after_total, 70);   /* b is on the path of r */
	assert_true(fabs(rows[1].before_share - 0.30) < EPS);
	assert_true(fabs(rows[2].delta + 0.25) < EPS);
	assert_true(fabs(rows[3].delta + 0.20) < EPS);
	assert_true(fabs(rows[4].after_share - 0.05) < EPS);
	free(rows);
	flame_tree_free(a);
	flame_tree_free(b);
}

/* Heap sites: the innermost frame that is not an allocator wrapper. */
static void test_diff_rows_site(void **state)
{
	(void)state;
	struct flame_tree *b = folded("main;site_x;operator new(unsigned long) 100\n"
				      "main;site_y;strdup 300\nmain;site_y 100\n");
	struct flame_tree *a = folded("main;site_x;operator new(unsigned long) 300\n"
				      "main;site_y;strdup 100\nmain;site_z 100\n");
	struct flame_diff_row *rows;
	size_t n = flame_diff_rows(b, a, FLAME_BY_SITE, &rows);
	/* y 80% -> 20%, x 20% -> 60%, z 0 -> 20% */
	assert_int_equal(n, 3);
	assert_string_equal(rows[0].name, "site_y");
	assert_int_equal(rows[0].before, 400);
	assert_int_equal(rows[0].after, 100);
	assert_string_equal(rows[1].name, "site_x");
	assert_int_equal(rows[1].before, 100);
	assert_int_equal(rows[1].after, 300);
	assert_string_equal(rows[2].name, "site_z");
	free(rows);
	/* by function, the wrappers are rows of their own: operator new and
	 * strdup both moved 40 points and 200, so name order decides */
	n = flame_diff_rows(b, a, FLAME_BY_FUNCTION, &rows);
	assert_int_equal(n, 4);
	assert_string_equal(rows[0].name, "operator new(unsigned long)");
	assert_string_equal(rows[1].name, "strdup");
	free(rows);
	flame_tree_free(a);
	flame_tree_free(b);
}

/* The main executable matches across builds whatever it is called; other
 * modules match by name. */
static void test_diff_modules(void **state)
{
	(void)state;
	struct flame_tree *b = flame_tree_new(FLAME_SAMPLES), *a = flame_tree_new(FLAME_SAMPLES);
	uint32_t bm = flame_module(b, "prog-v1", true), bl = flame_module(b, "libx.so", false);
	uint32_t am = flame_module(a, "prog-v2", true), al = flame_module(a, "liby.so", false);
	uint32_t n;
	n = flame_child(b, 0, flame_name(b, "main", 4), bm);
	flame_add_self(b, flame_child(b, n, flame_name(b, "work", 4), bm), 10);
	flame_add_self(b, flame_child(b, n, flame_name(b, "lib", 3), bl), 10);
	n = flame_child(a, 0, flame_name(a, "main", 4), am);
	uint32_t aw = flame_child(a, n, flame_name(a, "work", 4), am);
	uint32_t alib = flame_child(a, n, flame_name(a, "lib", 3), al);
	flame_add_self(a, aw, 30);
	flame_add_self(a, alib, 10);
	flame_tree_finish(a);
	flame_tree_finish(b);
	flame_diff(a, b);
	assert_int_equal(a->before[aw].total, 10);
	assert_int_equal(a->before[alib].total, 0);   /* libx.so is not liby.so */
	struct flame_diff_row *rows;
	size_t k = flame_diff_rows(b, a, FLAME_BY_FUNCTION, &rows);
	/* lib in libx 50% -> 0, work 50% -> 75% (matched), lib in liby 0 -> 25% */
	assert_int_equal(k, 3);
	assert_string_equal(rows[0].name, "lib");
	assert_string_equal(rows[0].module, "libx.so");
	assert_string_equal(rows[1].name, "work");
	assert_true(rows[1].is_main);
	assert_string_equal(rows[1].module, "prog-v2");
	assert_int_equal(rows[1].before, 10);
	assert_int_equal(rows[1].after, 30);
	assert_string_equal(rows[2].module, "liby.so");
	free(rows);
	flame_tree_free(a);
	flame_tree_free(b);
}

/* ---- from profiles ---- */

static struct sc_profile *prof(void)
{
	struct sc_profile *p = profile_new();
	p->modules = arena_alloc(&p->arena, 4 * sizeof(*p->modules));
	p->locations = arena_alloc(&p->arena, 16 * sizeof(*p->locations));
	p->stacks = arena_alloc(&p->arena, 16 * sizeof(*p->stacks));
	p->threads = arena_alloc(&p->arena, 4 * sizeof(*p->threads));
	p->nstacks = 1;
	p->modules[0] = (struct sc_module){ .name = "prog", .is_main = true };
	p->modules[1] = (struct sc_module){ .name = "libscorch.so" };
	p->nmodules = 2;
	p->threads[0] = (struct sc_thread){ .tid = 100, .name = "main" };
	p->threads[1] = (struct sc_thread){ .tid = 101, .name = "worker" };
	p->nthreads = 2;
	return p;
}

/* A location with n lines (innermost first, all but the last inlined). */
static uint32_t loc(struct sc_profile *p, int32_t module, uint32_t n, const char *const *f)
{
	struct sc_location *l = &p->locations[p->nlocations];
	l->addr = 0x1000 + p->nlocations * 16;
	l->module = module;
	l->nlines = n;
	l->lines = arena_alloc(&p->arena, (n ? n : 1) * sizeof(*l->lines));
	for (uint32_t i = 0; i < n; i++)
		l->lines[i] = (struct sc_line){ f[i], "x.c", 1 + i, i + 1 < n };
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

static void sample(struct sc_profile *p, uint64_t t, uint32_t st, uint16_t th)
{
	p->samples = xrealloc(p->samples, (p->nsamples + 1) * sizeof(*p->samples));
	p->samples[p->nsamples++] = (struct sc_sample){ .time = t, .stack = st, .weight = MS,
							 .thread = th };
}

static void test_profile_cpu(void **state)
{
	(void)state;
	struct sc_profile *p = prof();
	p->flags = PROF_CPU;
	p->sample_hz = 1000;
	uint32_t l_main = loc(p, 0, 1, (const char *[]){ "main" });
	uint32_t l_inl = loc(p, 0, 2, (const char *[]){ "inner", "outer" });
	uint32_t l_rt = loc(p, 1, 1, (const char *[]){ "scorch_rt_handler" });
	uint32_t l_a = loc(p, 0, 1, (const char *[]){ "work_a" });
	uint32_t s1 = stack(p, 2, (uint32_t[]){ l_a, l_main });
	uint32_t s2 = stack(p, 3, (uint32_t[]){ l_rt, l_inl, l_main });
	for (int i = 0; i < 5; i++)
		sample(p, (uint64_t)(i + 1) * MS, s1, 0);
	for (int i = 0; i < 3; i++)
		sample(p, (uint64_t)(i + 1) * MS, s2, 1);
	sample(p, 10 * MS, 0, 1);   /* an empty stack */

	struct flame_tree *t;
	char err[512];
	assert_int_equal(flame_from_profile(p, FLAME_SAMPLES, NULL, &t, err, sizeof(err)), 0);
	assert_int_equal(t->nodes.data[0].total, 9);
	assert_int_equal(t->nodes.data[node_at(t, "main;work_a")].total, 5);
	/* outer, then inner inlined into it; the runtime's frame is dropped */
	uint32_t in = node_at(t, "main;outer;inner");
	assert_int_not_equal(in, FLAME_NONE);
	assert_int_equal(t->nodes.data[in].total, 3);
	assert_int_equal(t->nodes.data[in].self, 3);
	assert_true(t->nodes.data[in].flags & FLAME_INLINED);
	assert_false(t->nodes.data[node_at(t, "main;outer")].flags & FLAME_INLINED);
	assert_int_equal(t->nodes.data[node_at(t, "[no stack]")].total, 1);
	assert_string_equal(t->modules.data[t->nodes.data[in].module].name, "prog");
	flame_tree_free(t);

	/* by tid and by name */
	assert_int_equal(flame_from_profile(p, FLAME_SAMPLES, "101", &t, err, sizeof(err)), 0);
	assert_int_equal(t->nodes.data[0].total, 4);
	assert_int_equal(node_at(t, "main;work_a"), FLAME_NONE);
	flame_tree_free(t);
	assert_int_equal(flame_from_profile(p, FLAME_CPU_NS, "main", &t, err, sizeof(err)), 0);
	assert_int_equal(t->nodes.data[0].total, 5 * MS);
	flame_tree_free(t);
	assert_int_equal(flame_from_profile(p, FLAME_SAMPLES, "nosuch", &t, err, sizeof(err)), -ENOENT);
	assert_non_null(strstr(err, "no thread matches 'nosuch'"));
	assert_non_null(strstr(err, "100 main, 101 worker"));
	assert_int_equal(flame_from_profile(p, FLAME_BYTES, NULL, &t, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "no heap events"));
	assert_int_equal(flame_default_weight(p), FLAME_SAMPLES);
	profile_free(p);
}

/* Heap weights agree with heap_analyze's per-stack figures, and split by
 * the thread that allocated. */
static void test_profile_heap(void **state)
{
	(void)state;
	struct sc_profile *p = prof();
	p->flags = PROF_HEAP;
	uint32_t l_main = loc(p, 0, 1, (const char *[]){ "main" });
	uint32_t l_x = loc(p, 0, 1, (const char *[]){ "site_x" });
	uint32_t l_y = loc(p, 0, 1, (const char *[]){ "site_y" });
	uint32_t sx = stack(p, 2, (uint32_t[]){ l_x, l_main });
	uint32_t sy = stack(p, 2, (uint32_t[]){ l_y, l_main });
	static const struct { uint8_t kind; uint64_t addr, size; uint32_t st; uint16_t th; } evs[] = {
		{ EV_ALLOC, 0x10, 100, 0, 0 }, { EV_ALLOC, 0x20, 50, 0, 1 },
		{ EV_ALLOC, 0x30, 7, 0, 1 },  { EV_FREE, 0x10, 0, 0, 1 },   /* peak 157 before */
		{ EV_ALLOC, 0x40, 1, 0, 0 },  { EV_ALLOC, 0, 99, 0, 0 },    /* failed: no block */
		{ EV_FREE, 0x20, 0, 0, 0 },
	};
	p->events = xcalloc(8, sizeof(*p->events));
	for (size_t i = 0; i < sizeof(evs) / sizeof(*evs); i++) {
		struct sc_event *e = &p->events[p->nevents++];
		e->time = i + 1;
		e->kind = evs[i].kind;
		e->func = evs[i].kind == EV_ALLOC ? FN_MALLOC : FN_FREE;
		e->addr = evs[i].addr;
		e->size = evs[i].size;
		e->thread = evs[i].th;
		/* x: 0x10 (100, t0), 0x40 (1, t0); y: 0x20 (50, t1), 0x30 (7, t1) */
		e->stack = evs[i].kind != EV_ALLOC ? 0 : evs[i].addr == 0x10 || evs[i].addr == 0x40 ||
			   !evs[i].addr ? sx : sy;
	}
	p->duration = 10;
	struct heap_result *r;
	assert_int_equal(heap_analyze(p, NULL, &r), 0);
	uint64_t w[16];
	char err[256];
	static const enum flame_weight ws[] = { FLAME_BYTES, FLAME_COUNT, FLAME_PEAK, FLAME_LEAKED };
	for (size_t k = 0; k < 4; k++) {
		assert_int_equal(flame_stack_weights(p, ws[k], NULL, w, err, sizeof(err)), 0);
		for (size_t s = 0; s < p->nstacks; s++) {
			const struct heap_stack_stat *h = &r->stacks[s];
			uint64_t want = ws[k] == FLAME_BYTES ? h->bytes : ws[k] == FLAME_COUNT ? h->allocations
					: ws[k] == FLAME_PEAK ? h->peak_bytes : h->leaked_bytes;
			assert_int_equal(w[s], want);
		}
	}
	assert_int_equal(r->t.peak_bytes, 157);
	heap_result_free(r);
	/* thread 1 (worker) made y's blocks: 57 bytes, 57 at the peak, 7 leaked */
	assert_int_equal(flame_stack_weights(p, FLAME_BYTES, "worker", w, err, sizeof(err)), 0);
	assert_int_equal(w[sy], 57);
	assert_int_equal(w[sx], 0);
	assert_int_equal(flame_stack_weights(p, FLAME_PEAK, "worker", w, err, sizeof(err)), 0);
	assert_int_equal(w[sy], 57);
	assert_int_equal(flame_stack_weights(p, FLAME_LEAKED, "101", w, err, sizeof(err)), 0);
	assert_int_equal(w[sy], 7);
	assert_int_equal(flame_stack_weights(p, FLAME_LEAKED, "main", w, err, sizeof(err)), 0);
	assert_int_equal(w[sx], 1);
	assert_int_equal(flame_default_weight(p), FLAME_BYTES);
	assert_int_equal(flame_stack_weights(p, FLAME_SAMPLES, NULL, w, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "no CPU samples"));
	profile_free(p);
}

/* ---- charts ---- */

static void test_chart_from_samples(void **state)
{
	(void)state;
	struct sc_profile *p = prof();
	p->flags = PROF_CPU;
	p->sample_hz = 1000;
	uint32_t l_main = loc(p, 0, 1, (const char *[]){ "main" });
	uint32_t l_a = loc(p, 0, 1, (const char *[]){ "a" });
	uint32_t l_b = loc(p, 0, 1, (const char *[]){ "b" });
	uint32_t sa = stack(p, 2, (uint32_t[]){ l_a, l_main });
	uint32_t sb = stack(p, 2, (uint32_t[]){ l_b, l_main });
	/* thread 0: a at 1..3 ms, b at 4..5 ms, a again after a 50 ms pause;
	 * thread 1: one sample of b at 3 ms */
	for (int i = 1; i <= 3; i++)
		sample(p, (uint64_t)i * MS, sa, 0);
	sample(p, 3 * MS, sb, 1);
	sample(p, 4 * MS, sb, 0);
	sample(p, 5 * MS, sb, 0);
	sample(p, 56 * MS, sa, 0);
	struct flame_chart *c;
	char err[256];
	assert_int_equal(flame_chart_from_profile(p, FLAME_SAMPLES, NULL, &c, err, sizeof(err)), 0);
	assert_int_equal(c->lanes.len, 2);
	assert_int_equal(c->lanes.data[0].tid, 100);
	assert_int_equal(c->lanes.data[1].tid, 101);
	assert_int_equal(c->t0, 0);
	assert_int_equal(c->t1, 56 * MS);
	static const struct { uint32_t lane, depth; const char *name; uint64_t s, e, w; } want[] = {
		{ 0, 0, "main", 0, 5 * MS, 5 }, { 0, 0, "main", 55 * MS, 56 * MS, 1 },
		{ 0, 1, "a", 0, 3 * MS, 3 },    { 0, 1, "b", 3 * MS, 5 * MS, 2 },
		{ 0, 1, "a", 55 * MS, 56 * MS, 1 },
		{ 1, 0, "main", 2 * MS, 3 * MS, 1 }, { 1, 1, "b", 2 * MS, 3 * MS, 1 },
	};
	assert_int_equal(c->spans.len, sizeof(want) / sizeof(*want));
	for (size_t i = 0; i < c->spans.len; i++) {
		const struct flame_span *s = &c->spans.data[i];
		assert_int_equal(s->lane, want[i].lane);
		assert_int_equal(s->depth, want[i].depth);
		assert_string_equal(c->names->names.data[s->name], want[i].name);
		assert_int_equal(s->start, want[i].s);
		assert_int_equal(s->end, want[i].e);
		assert_int_equal(s->weight, want[i].w);
	}
	assert_int_equal(c->lanes.data[0].depth, 2);
	assert_int_equal(c->lanes.data[0].busy, 6 * MS);
	flame_chart_free(c);

	assert_int_equal(flame_chart_from_profile(p, FLAME_SAMPLES, "worker", &c, err, sizeof(err)), 0);
	assert_int_equal(c->lanes.len, 1);
	flame_chart_free(c);
	assert_int_equal(flame_chart_from_profile(p, FLAME_BYTES, NULL, &c, err, sizeof(err)), -EINVAL);
	profile_free(p);
}

/* Spans added by another source (zones), pruned: short neighbours merge. */
static void test_chart_prune(void **state)
{
	(void)state;
	struct flame_chart *c = flame_chart_new(FLAME_SAMPLES);
	uint32_t l = flame_chart_lane(c, "zones", 7);
	uint32_t z = flame_name(c->names, "zone", 4), q = flame_name(c->names, "quick", 5);
	struct flame_span s = { .start = 0, .end = 1000, .lane = l, .name = z, .weight = 10 };
	flame_chart_add(c, &s);
	/* ten 5 ns spans 1 ns apart at depth 1: merged (59 ns >= 20) */
	for (int i = 0; i < 10; i++) {
		struct flame_span k = { .start = 100 + (uint64_t)i * 6, .end = 105 + (uint64_t)i * 6,
					 .lane = l, .depth = 1, .name = q, .weight = 1 };
		flame_chart_add(c, &k);
	}
	/* a lone short one: dropped */
	struct flame_span lone = { .start = 500, .end = 505, .lane = l, .depth = 1, .name = q, .weight = 1 };
	flame_chart_add(c, &lone);
	struct flame_span wide = { .start = 600, .end = 700, .lane = l, .depth = 1, .name = z, .weight = 3 };
	flame_chart_add(c, &wide);
	flame_chart_finish(c);
	assert_int_equal(c->t0, 0);
	assert_int_equal(c->t1, 1000);
	assert_int_equal(flame_chart_prune(c, 20), 10);
	assert_int_equal(c->spans.len, 3);
	const struct flame_span *m = &c->spans.data[1];
	assert_true(m->flags & FLAME_MERGED);
	assert_int_equal(m->merged, 10);
	assert_int_equal(m->start, 100);
	assert_int_equal(m->end, 159);
	assert_int_equal(m->weight, 10);
	assert_string_equal(c->names->names.data[m->name], "quick");   /* one name: kept */
	assert_int_equal(c->spans.data[2].start, 600);
	/* every span taken out is counted under its name: 10 merged + the lone one */
	assert_int_equal(c->pruned.len, 1);
	assert_int_equal(c->pruned.data[0].lane, l);
	assert_int_equal(c->pruned.data[0].name, q);
	assert_int_equal(c->pruned.data[0].spans, 11);
	flame_chart_free(c);

	/* a run of short spans of two names: merged as "[merged]", each name counted */
	c = flame_chart_new(FLAME_SAMPLES);
	l = flame_chart_lane(c, "x", 1);
	z = flame_name(c->names, "zone", 4);
	q = flame_name(c->names, "quick", 5);
	for (int i = 0; i < 6; i++) {
		struct flame_span k = { .start = (uint64_t)i * 10, .end = (uint64_t)i * 10 + 8, .lane = l,
					.name = i % 3 ? q : z, .weight = 1 };
		flame_chart_add(c, &k);
	}
	flame_chart_finish(c);
	assert_int_equal(flame_chart_prune(c, 9), 5);
	assert_int_equal(c->spans.len, 1);
	assert_string_equal(c->names->names.data[c->spans.data[0].name], "[merged]");
	assert_int_equal(c->spans.data[0].merged, 6);
	assert_int_equal(c->spans.data[0].end, 58);
	assert_int_equal(c->pruned.len, 2);
	assert_int_equal(c->pruned.data[0].name, q);    /* most first */
	assert_int_equal(c->pruned.data[0].spans, 4);
	assert_int_equal(c->pruned.data[1].name, z);
	assert_int_equal(c->pruned.data[1].spans, 2);
	flame_chart_free(c);
}

/* A profile with zones on two threads, worked out by hand (times in ns):
 *   main (tid 100):
 *     z0 outer [10, 100] d0, 5 allocations of 500 bytes
 *       z1 <b>inner&</b> [20, 40] d1, 2 of 200
 *       z2 rec [50, 95] d1
 *         z3 rec [55, 90] d2
 *           z4 rec [60, 80] d3, unwound
 *     z5 outer [200, 260] d0, 10 ns of dropped calls inside
 *       z6 <b>inner&</b> [210, 210] d1 (shorter than the clock)
 *     marks tick at 30, 31; counter q: 1 at 15, 3 at 25, 2 at 70
 *   worker (tid 101):
 *     z7 work [5, 300] d0, unfinished and open at thread exit
 *     mark tick at 150; counter q: 7 at 100
 * Self times: z0 90 - 20 - 45 = 25, z1 20, z2 45 - 35 = 10, z3 35 - 20 = 15,
 * z4 20, z5 60 - 10 = 50, z6 0, z7 295. */
static struct sc_profile *zone_prof(void)
{
	struct sc_profile *p = prof();
	static const char *const names[] = { "outer", "<b>inner&</b>", "rec", "work", "tick",
					     "q\"'" };
	p->zone_names = arena_alloc(&p->arena, 6 * sizeof(*p->zone_names));
	for (uint32_t i = 0; i < 6; i++)
		p->zone_names[i] = (struct sc_zone_name){ names[i], i < 4 ? "x.c" : "", i < 4 ? 7 + i : 0,
							  i == 3 ? ZONE_KIND_FUNC : ZONE_KIND_ZONE };
	p->nzone_names = 6;
	static const struct sc_zone zs[] = {
		{ .start = 10, .end = 100, .allocs = 5, .bytes = 500, .name = 0, .thread = 0, .depth = 0 },
		{ .start = 20, .end = 40, .allocs = 2, .bytes = 200, .name = 1, .thread = 0, .depth = 1 },
		{ .start = 50, .end = 95, .name = 2, .thread = 0, .depth = 1 },
		{ .start = 55, .end = 90, .name = 2, .thread = 0, .depth = 2 },
		{ .start = 60, .end = 80, .name = 2, .thread = 0, .depth = 3, .flags = ZONE_F_UNWOUND },
		{ .start = 200, .end = 260, .dropped_ns = 10, .name = 0, .thread = 0, .depth = 0 },
		{ .start = 210, .end = 210, .name = 1, .thread = 0, .depth = 1 },
		{ .start = 5, .end = 300, .name = 3, .thread = 1, .depth = 0,
		  .flags = ZONE_F_UNFINISHED | ZONE_F_THREAD_EXIT },
	};
	p->zones = arena_alloc(&p->arena, sizeof(zs));
	memcpy(p->zones, zs, sizeof(zs));
	p->nzones = 8;
	static const struct sc_mark ms[] = { { 30, 4, 0 }, { 31, 4, 0 }, { 150, 4, 1 } };
	p->marks = arena_alloc(&p->arena, sizeof(ms));
	memcpy(p->marks, ms, sizeof(ms));
	p->nmarks = 3;
	static const struct sc_counter cs[] = { { 15, 1.0, 5, 0 }, { 25, 3.0, 5, 0 }, { 70, 2.0, 5, 0 },
						{ 100, 7.0, 5, 1 } };
	p->counters = arena_alloc(&p->arena, sizeof(cs));
	memcpy(p->counters, cs, sizeof(cs));
	p->ncounters = 4;
	return p;
}

static void test_chart_from_zones(void **state)
{
	(void)state;
	struct sc_profile *p = zone_prof();
	struct flame_chart *c;
	char err[512];
	assert_int_equal(flame_chart_build(p, FLAME_CHART_ZONES, FLAME_SAMPLES, NULL, &c, err,
					   sizeof(err)), 0);
	/* worker first: its first zone starts at 5, main's at 10 */
	assert_int_equal(c->lanes.len, 2);
	assert_int_equal(c->lanes.data[0].tid, 101);
	assert_int_equal(c->lanes.data[0].kind, FLAME_LANE_ZONES);
	assert_int_equal(c->lanes.data[1].tid, 100);
	assert_int_equal(c->lanes.data[1].depth, 4);
	assert_int_equal(c->lanes.data[1].busy, 150);
	assert_int_equal(c->lanes.data[1].spans, 7);
	assert_int_equal(c->lanes.data[1].nmarks, 2);
	assert_int_equal(c->lanes.data[1].ncounters, 1);
	assert_int_equal(c->lanes.data[0].busy, 295);
	assert_int_equal(c->t0, 5);
	assert_int_equal(c->t1, 300);
	static const struct { uint32_t lane, depth; const char *name; uint64_t s, e, self; uint32_t zone, flags; } want[] = {
		{ 0, 0, "work", 5, 300, 295, 7, FLAME_UNFINISHED | FLAME_THREAD_EXIT },
		{ 1, 0, "outer", 10, 100, 25, 0, 0 },
		{ 1, 0, "outer", 200, 260, 50, 5, 0 },
		{ 1, 1, "<b>inner&</b>", 20, 40, 20, 1, 0 },
		{ 1, 1, "rec", 50, 95, 10, 2, 0 },
		{ 1, 1, "<b>inner&</b>", 210, 210, 0, 6, 0 },
		{ 1, 2, "rec", 55, 90, 15, 3, 0 },
		{ 1, 3, "rec", 60, 80, 20, 4, FLAME_UNWOUND },
	};
	assert_int_equal(c->spans.len, sizeof(want) / sizeof(*want));
	for (size_t i = 0; i < c->spans.len; i++) {
		const struct flame_span *s = &c->spans.data[i];
		assert_int_equal(s->lane, want[i].lane);
		assert_int_equal(s->depth, want[i].depth);
		assert_string_equal(c->names->names.data[s->name], want[i].name);
		assert_int_equal(s->start, want[i].s);
		assert_int_equal(s->end, want[i].e);
		assert_int_equal(s->self, want[i].self);
		assert_int_equal(s->zone, want[i].zone);
		assert_int_equal(s->flags, FLAME_ZONE | want[i].flags);
		assert_int_equal(s->weight, 1);
	}
	/* marks and counters on their threads' lanes, in time order */
	assert_int_equal(c->marks.len, 3);
	assert_int_equal(c->marks.data[0].lane, 0);
	assert_int_equal(c->marks.data[0].time, 150);
	assert_int_equal(c->marks.data[1].lane, 1);
	assert_int_equal(c->marks.data[1].time, 30);
	assert_int_equal(c->marks.data[2].time, 31);
	assert_string_equal(c->names->names.data[c->marks.data[2].name], "tick");
	assert_int_equal(c->counters.len, 2);
	const struct flame_counter *k = &c->counters.data[1];
	assert_int_equal(c->counters.data[0].lane, 0);
	assert_int_equal(c->counters.data[0].n, 1);
	assert_int_equal(k->lane, 1);
	assert_int_equal(k->n, 3);
	assert_true(k->min == 1.0 && k->max == 3.0 && k->last == 2.0);
	assert_int_equal(c->points.data[k->first + 1].time, 25);
	assert_true(c->points.data[k->first + 1].value == 3.0);
	assert_string_equal(c->names->names.data[k->name], "q\"'");

	/* pruning at 30 ns: z1 (20) and z6 (0) at depth 1 and z4 (20) at depth
	 * 3 are each alone and too short; the marks at 30 and 31 become one */
	assert_int_equal(flame_chart_prune(c, 30), 3);
	assert_int_equal(c->spans.len, 5);
	assert_int_equal(c->pruned.len, 2);
	assert_int_equal(c->pruned.data[0].lane, 1);
	assert_string_equal(c->names->names.data[c->pruned.data[0].name], "<b>inner&</b>");
	assert_int_equal(c->pruned.data[0].spans, 2);
	assert_string_equal(c->names->names.data[c->pruned.data[1].name], "rec");
	assert_int_equal(c->pruned.data[1].spans, 1);
	assert_int_equal(c->marks.len, 2);
	assert_int_equal(c->marks.data[1].count, 2);
	assert_int_equal(c->marks.data[1].time, 30);
	assert_int_equal(c->marks.data[1].last, 31);
	flame_chart_free(c);

	/* one thread */
	assert_int_equal(flame_chart_build(p, FLAME_CHART_ZONES, FLAME_SAMPLES, "worker", &c, err,
					   sizeof(err)), 0);
	assert_int_equal(c->lanes.len, 1);
	assert_int_equal(c->spans.len, 1);
	assert_int_equal(c->marks.len, 1);
	assert_int_equal(c->counters.len, 1);
	flame_chart_free(c);
	assert_int_equal(flame_chart_build(p, FLAME_CHART_ZONES, FLAME_SAMPLES, "nosuch", &c, err,
					   sizeof(err)), -ENOENT);

	/* with samples: main's sample at 1 ms covers [0, 1 ms], so main comes
	 * first, its zone lane and then its samples, then worker's zones */
	p->flags |= PROF_CPU;
	p->sample_hz = 1000;
	uint32_t l_main = loc(p, 0, 1, (const char *[]){ "main" });
	sample(p, MS, stack(p, 1, (uint32_t[]){ l_main }), 0);
	assert_int_equal(flame_chart_build(p, FLAME_CHART_ZONES | FLAME_CHART_SAMPLES, FLAME_SAMPLES,
					   NULL, &c, err, sizeof(err)), 0);
	assert_int_equal(c->lanes.len, 3);
	assert_int_equal(c->lanes.data[0].tid, 100);
	assert_int_equal(c->lanes.data[0].kind, FLAME_LANE_ZONES);
	assert_int_equal(c->lanes.data[1].tid, 100);
	assert_int_equal(c->lanes.data[1].kind, FLAME_LANE_SAMPLES);
	assert_int_equal(c->lanes.data[2].tid, 101);
	assert_int_equal(c->spans.len, 9);
	assert_int_equal(c->t0, 0);
	assert_int_equal(c->t1, MS);
	flame_chart_free(c);
	/* samples only: the zone data is not drawn */
	assert_int_equal(flame_chart_from_profile(p, FLAME_SAMPLES, NULL, &c, err, sizeof(err)), 0);
	assert_int_equal(c->lanes.len, 1);
	assert_int_equal(c->marks.len + c->counters.len, 0);
	flame_chart_free(c);
	profile_free(p);

	/* nothing of what is asked */
	p = prof();
	assert_int_equal(flame_chart_build(p, FLAME_CHART_ZONES, FLAME_SAMPLES, NULL, &c, err,
					   sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "no zones, marks or counters"));
	assert_int_equal(flame_chart_build(p, FLAME_CHART_ZONES | FLAME_CHART_SAMPLES, FLAME_SAMPLES,
					   NULL, &c, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "no CPU samples"));
	profile_free(p);
}

/* ---- SVG ---- */

static void test_escape_and_label(void **state)
{
	(void)state;
	struct strbuf sb = STRBUF_INIT;
	flame_xml_escape(&sb, "<img src=x onerror=alert(1)> & \"q\" 'a' \x01 \xff \xc3\xa9 \xe2\x82");
	assert_string_equal(sb.buf, "&lt;img src=x onerror=alert(1)&gt; &amp; &quot;q&quot; "
			    "&#39;a&#39; ? \xef\xbf\xbd \xc3\xa9 \xef\xbf\xbd\xef\xbf\xbd");
	sb_reset(&sb);
	flame_label("short", 100, &sb);
	assert_string_equal(sb_str(&sb), "short");
	sb_reset(&sb);
	/* (50 - 6) / 7.08 -> 6 characters: 4 + ".." */
	flame_label("a_long_function_name", 50, &sb);
	assert_string_equal(sb_str(&sb), "a_lo..");
	sb_reset(&sb);
	flame_label("abc", 20, &sb);   /* under 3 characters fit */
	assert_string_equal(sb_str(&sb), "");
	sb_release(&sb);
}

static char *svg_of(const struct flame_tree *t, const struct flame_svg_options *o,
		    struct flame_svg_stats *st)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	assert_non_null(f);
	assert_int_equal(flame_svg_write(f, t, o, st), 0);
	fclose(f);
	return buf;
}

static size_t count(const char *hay, const char *needle)
{
	size_t n = 0;
	for (const char *p = strstr(hay, needle); p; p = strstr(p + 1, needle))
		n++;
	return n;
}

static void test_svg_markup(void **state)
{
	(void)state;
	struct flame_tree *t = folded("main;<img src=x onerror=alert(1)>;std::vector<int&> 3\n"
				      "main;a&b\"c'd_[i] 1\n");
	struct flame_svg_options o = { .title = "<script>alert(2)</script>", .minwidth = 0,
				       .subtitle = "prog </text><script>" };
	struct flame_svg_stats st;
	char *svg = svg_of(t, &o, &st);
	assert_int_equal(st.frames, 5);
	assert_int_equal(count(svg, "<g class=\"f"), 5);
	assert_int_equal(count(svg, "<g class=\"f i\">"), 1);
	/* one script element (ours), no markup from names */
	assert_int_equal(count(svg, "<script"), 1);
	assert_null(strstr(svg, "<img"));
	assert_null(strstr(svg, "innerHTML"));
	assert_non_null(strstr(svg, "<title>&lt;img src=x onerror=alert(1)&gt;\n"));
	assert_non_null(strstr(svg, "std::vector&lt;int&amp;&gt;"));
	assert_non_null(strstr(svg, "a&amp;b&quot;c&#39;d\n"));
	assert_non_null(strstr(svg, "&lt;script&gt;alert(2)&lt;/script&gt;"));
	assert_non_null(strstr(svg, "prog &lt;/text&gt;&lt;script&gt;"));
	assert_non_null(strstr(svg, "\ninlined</title>"));
	free(svg);

	/* a diff: AFTER's shape, grown frame red, shrunk blue */
	struct flame_tree *b = folded("main;up 1\nmain;down 3\n");
	struct flame_tree *a = folded("main;up 3\nmain;down 1\n");
	flame_diff(a, b);
	o = (struct flame_svg_options){ .minwidth = 0 };
	svg = svg_of(a, &o, NULL);
	assert_non_null(strstr(svg, "Differential Flame Graph"));
	assert_non_null(strstr(svg, "<title>up\nafter: 75.00% (3 samples)\nbefore: 25.00% (1 samples)\n"
				    "change: +50.00 points"));
	assert_non_null(strstr(svg, "fill=\"rgb(255,55,55)\""));
	assert_non_null(strstr(svg, "fill=\"rgb(55,55,255)\""));
	free(svg);
	flame_tree_free(a);
	flame_tree_free(b);
	flame_tree_free(t);
}

/* A zone chart as SVG: zone frames with their figures, flags, marks,
 * counters and the time axis; every name escaped. */
static void test_svg_zone_chart(void **state)
{
	(void)state;
	struct sc_profile *p = zone_prof();
	struct flame_chart *c;
	char err[256];
	assert_int_equal(flame_chart_build(p, FLAME_CHART_ZONES, FLAME_SAMPLES, NULL, &c, err,
					   sizeof(err)), 0);
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	struct flame_svg_options o = { .minwidth = 0 };
	struct flame_svg_stats st;
	assert_int_equal(flame_svg_write_chart(f, c, &o, &st), 0);
	fclose(f);
	assert_int_equal(st.frames, 8);
	assert_int_equal(st.pruned, 0);
	assert_int_equal(st.marks, 3);
	assert_int_equal(st.counters, 2);
	assert_int_equal(count(buf, "<g class=\"f z\">"), 6);
	assert_int_equal(count(buf, "<g class=\"f z u\">"), 2);
	assert_non_null(strstr(buf, " data-t0=\"5\" data-t1=\"300\""));
	assert_non_null(strstr(buf, "<title>outer\n90 ns from 0.000000010 s to 0.000000100 s\n"
				    "self: 25 ns (27.78%)\nallocations: 5, 500 bytes\nzone at x.c:7\n"
				    "thread: main (100), depth 0</title>"));
	assert_non_null(strstr(buf, "<title>&lt;b&gt;inner&amp;&lt;/b&gt;\n0 ns from 0.000000210 s"));
	assert_non_null(strstr(buf, "<title>work\n295 ns from 0.000000005 s to 0.000000300 s\n"
				    "self: 295 ns (100.00%)\nno allocations\ntraced function at x.c:10\n"
				    "thread: worker (101), depth 0\nstill open when its thread exited\n"
				    "unfinished: "));
	assert_non_null(strstr(buf, "depth 3\nunwound: left by longjmp or an exception</title>"));
	/* x is time: outer [10, 100] of [5, 300] over 1180 px; y: below the
	 * title (40) and the time ruler (20), worker's lane (header, a row, a
	 * counter band of 32 + 2 and the gap of 8) and main's header */
	char want[128];
	snprintf(want, sizeof(want), "<rect x=\"%.6f\" y=\"%.1f\" width=\"%.6f\"",
		 10 + 5.0 / 295 * 1180, 40.0 + 20 + (16 + 16 + 34 + 8) + 16, 90.0 / 295 * 1180);
	assert_non_null(strstr(buf, want));
	assert_int_equal(count(buf, "<g class=\"mk\""), 3);
	assert_non_null(strstr(buf, "<title>tick\nmark at 0.000000030 s\nthread: main (100)</title>"));
	assert_int_equal(count(buf, "<g class=\"ctr\""), 2);
	assert_non_null(strstr(buf, "<title>q&quot;&#39;\ncounter: 3 values from 0.000000015 s to "
				    "0.000000070 s\nmin 1, max 3, last 2\nthread: main (100)</title>"));
	assert_non_null(strstr(buf, "<g class=\"lane\" data-kind=\"zones\""));
	assert_null(strstr(buf, "<b>"));
	assert_int_equal(count(buf, "<script"), 1);
	free(buf);
	flame_chart_free(c);
	profile_free(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_layout_widths),
		cmocka_unit_test(test_layout_name_order),
		cmocka_unit_test(test_layout_prune),
		cmocka_unit_test(test_frame_cap),
		cmocka_unit_test(test_folded_parse),
		cmocka_unit_test(test_folded_tree),
		cmocka_unit_test(test_diff_match_and_colors),
		cmocka_unit_test(test_diff_rows),
		cmocka_unit_test(test_diff_rows_site),
		cmocka_unit_test(test_diff_modules),
		cmocka_unit_test(test_profile_cpu),
		cmocka_unit_test(test_profile_heap),
		cmocka_unit_test(test_chart_from_samples),
		cmocka_unit_test(test_chart_prune),
		cmocka_unit_test(test_chart_from_zones),
		cmocka_unit_test(test_svg_zone_chart),
		cmocka_unit_test(test_escape_and_label),
		cmocka_unit_test(test_svg_markup),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
