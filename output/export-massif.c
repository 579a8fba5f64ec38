/* massif export: one replay of the heap events (heap_replay() with hooks)
 * keeps the bytes live per stack, picks the snapshots as it goes (the
 * highest moment of each slice of time, and the peak) and draws the
 * detailed ones' trees (massif's: callers of the allocation below it,
 * children by bytes, the ones under 1% of the snapshot merged into an "in N
 * places" line) when their slice closes; the file is written at the end.
 * The number of slices comes before it from one walk that sums the event
 * times up as runs (clusters_walk), falling back on walks of the events
 * only for slices thinner than the summary can tell about; massif_export()
 * then replays them in the heap model's own walk (heap_analyze with the
 * hooks), two walks in all. Memory grows with stacks, not events. */
#include "export-massif.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "../analysis/events.h"
#include "../analysis/stacktrie.h"
#include "../lib/die.h"
#include "export-dhat.h"
#include "report-heap.h"

#define NO_EVENT HEAP_NO_EVENT
#define THRESHOLD_PCT 1            /* massif's --threshold default, percent */

enum snap_kind { SNAP_EMPTY, SNAP_DETAILED, SNAP_PEAK };

struct snap {
	size_t ev;                  /* taken after this event (ordinal); NO_EVENT = start or end */
	uint64_t time, bytes;
	enum snap_kind kind;
};

/* The slice of [0, end] of n equal slices that time t falls in. */
static uint64_t slice_of(uint64_t t, uint64_t end, uint64_t n)
{
	uint64_t b = end ? (uint64_t)((double)t / ((double)end + 1.0) * (double)n) : 0;
	return b < n ? b : n - 1;
}

/* The first time after t in a later slice than t's, or past which the
 * slice must be looked at again: events come no later than end, and
 * slice_of() never decreases from 0 to end, so a bisection finds it
 * (past end the conversion from double may overflow: never searched). */
static uint64_t slice_end(uint64_t t, uint64_t end, uint64_t n)
{
	if (t >= end)
		return t + 1;
	uint64_t b = slice_of(t, end, n);
	if (slice_of(end, end, n) == b)
		return end + 1;
	uint64_t lo = t, hi = end;          /* slice_of(lo) == b < slice_of(hi) */
	while (hi - lo > 1) {
		uint64_t mid = lo + (hi - lo) / 2;
		if (slice_of(mid, end, n) == b)
			lo = mid;
		else
			hi = mid;
	}
	return hi;
}

/* One count of busy_slices(): how many of n slices hold a block event, up
 * to limit + 1. Times in [lo, hi) fall in slice cur. */
struct busy {
	uint64_t n, cur, lo, hi;
	size_t count;
};

/* For each of k numbers of slices ns[], how many slices hold a block event,
 * counting no further than limit + 1 (an upper bound of the snapshots that
 * so many slices give), in one walk over the events: with the events in
 * time order each count only looks at an event that leaves the span of
 * times its current slice covers. 0, or -EIO with the reason in err. */
static int busy_slices(const struct sc_profile *p, uint64_t end, const uint64_t *ns, size_t *busy,
		       size_t k, size_t limit, char *err, size_t errlen)
{
	struct busy *c = xcalloc(k, sizeof(*c));
	uint64_t lo = 0, hi = 0;    /* the times no count needs to look at */
	size_t active = k;
	for (size_t j = 0; j < k; j++)
		c[j] = (struct busy){ ns[j], UINT64_MAX, 0, 0, 0 };
	struct sc_event_iter it;
	const struct sc_event *batch;
	size_t nb;
	sc_events_begin(&it, p);
	while (active && (nb = sc_events_next(&it, &batch))) {
		for (size_t i = 0; i < nb && active; i++) {
			const struct sc_event *ev = &batch[i];
			if (!ev->addr || (ev->kind != EV_ALLOC && ev->kind != EV_FREE))
				continue;
			uint64_t t = ev->time;
			if (t >= lo && t < hi)
				continue;
			lo = 0;
			hi = UINT64_MAX;
			for (size_t j = 0; j < k; j++) {
				struct busy *b = &c[j];
				if (b->count > limit)
					continue;
				if (t < b->lo || t >= b->hi) {
					uint64_t s = slice_of(t, end, b->n);
					if (s != b->cur) {
						b->cur = s;
						if (++b->count > limit) {
							active--;
							continue;
						}
					}
					b->lo = t;
					b->hi = slice_end(t, end, b->n);
				}
				if (b->lo > lo)
					lo = b->lo;
				if (b->hi < hi)
					hi = b->hi;
			}
		}
	}
	for (size_t j = 0; j < k; j++)
		busy[j] = c[j].count;
	free(c);
	if (sc_events_end(&it)) {
		snprintf(err, errlen, "%s", it.err);
		return -EIO;
	}
	return 0;
}

static bool bisecting(uint64_t lo, uint64_t hi)
{
	return hi - lo > 1 && hi - lo > lo / 64;   /* within 1.5% is plenty */
}

/* The numbers of slices slices_for()'s bisection may try from (lo, hi) in
 * its next `depth` steps, appended to ns in preorder: a step's number, the
 * steps after it when too many slices are busy (hi = mid), then those
 * after it when not (lo = mid). */
static void plan_steps(uint64_t lo, uint64_t hi, unsigned depth, uint64_t *ns, size_t *k)
{
	if (!depth || !bisecting(lo, hi))
		return;
	uint64_t mid = lo + (hi - lo) / 2;
	if (ns)
		ns[*k] = mid;
	(*k)++;
	plan_steps(lo, mid, depth - 1, ns, k);
	plan_steps(mid, hi, depth - 1, ns, k);
}

/* Takes the steps planned from (lo, hi), given the count of each (busy[],
 * at the same places as plan_steps() put them). */
static void take_steps(uint64_t *lo, uint64_t *hi, unsigned depth, const size_t *busy,
		       size_t at, size_t limit)
{
	while (depth && bisecting(*lo, *hi)) {
		uint64_t mid = *lo + (*hi - *lo) / 2;
		if (busy[at] > limit) {
			*hi = mid;
			at++;
		} else {
			size_t skip = 0;   /* the steps planned for the other branch */
			plan_steps(*lo, mid, depth - 1, NULL, &skip);
			*lo = mid;
			at += 1 + skip;
		}
		depth--;
	}
}

/* The block events' times, summed up in one walk as runs ("clusters"): in
 * time order, a cluster's consecutive event times are at most `gap` apart
 * and clusters are more than `gap` apart. gap starts at 0 (a cluster per
 * distinct time) and doubles whenever there are CLUSTERS_MAX of them, so
 * the summary takes at most CLUSTERS_MAX * 16 bytes whatever the events. */
#ifndef CLUSTERS_MAX
#define CLUSTERS_MAX 65536u
#endif

struct cluster {
	uint64_t first, last;
};

struct clusters {
	struct cluster *c;
	size_t n;
	uint64_t gap;
};

static void clusters_merge(struct clusters *C)
{
	while (C->n >= CLUSTERS_MAX / 2) {
		C->gap = C->gap ? C->gap * 2 : 1;
		size_t j = 0;
		for (size_t i = 0; i < C->n; i++) {
			if (j && C->c[i].first - C->c[j - 1].last <= C->gap)
				C->c[j - 1].last = C->c[i].last;
			else
				C->c[j++] = C->c[i];
		}
		C->n = j;
	}
}

/* 0, or -EIO with the reason in err. *last: the latest time of any event. */
static int clusters_walk(struct clusters *C, const struct sc_profile *p, uint64_t *last, char *err,
			 size_t errlen)
{
	C->c = xmalloc(CLUSTERS_MAX * sizeof(*C->c));
	C->n = 0;
	C->gap = 0;
	struct sc_event_iter it;
	const struct sc_event *batch;
	size_t nb;
	uint64_t tmax = 0;
	sc_events_begin(&it, p);
	while ((nb = sc_events_next(&it, &batch))) {
		for (size_t i = 0; i < nb; i++) {
			const struct sc_event *ev = &batch[i];
			if (ev->time > tmax)
				tmax = ev->time;
			if (!ev->addr || (ev->kind != EV_ALLOC && ev->kind != EV_FREE))
				continue;
			uint64_t t = ev->time;
			if (C->n && t - C->c[C->n - 1].last <= C->gap) {
				C->c[C->n - 1].last = t;
				continue;
			}
			if (C->n == CLUSTERS_MAX)
				clusters_merge(C);
			C->c[C->n++] = (struct cluster){ t, t };
		}
	}
	*last = tmax;
	if (sc_events_end(&it)) {
		snprintf(err, errlen, "%s", it.err);
		return -EIO;
	}
	return 0;
}

/* busy_slices() for n slices from the summary, when it can tell: false when
 * the slices are too thin for it. Every slice strictly between those of a
 * cluster's first and last event holds one of its events when a slice spans
 * at least `gap` whole times (a slice with none would sit in a gap longer
 * than that): about (end + 1) / n of them, less a few for the rounding of
 * slice_of(); so those slices count whole, and a cluster's first slice
 * once if the cluster before ended in it. */
static bool clusters_busy(const struct clusters *C, uint64_t end, uint64_t n, size_t limit,
			  size_t *busy)
{
	if (C->gap && ((double)end + 1.0) / (double)n < 2.0 * ((double)C->gap + 4.0))
		return false;
	size_t count = 0;
	uint64_t prev = UINT64_MAX;
	for (size_t i = 0; i < C->n && count <= limit; i++) {
		uint64_t a = slice_of(C->c[i].first, end, n), b = slice_of(C->c[i].last, end, n);
		count += (size_t)(b - a) + (a != prev);
		prev = b;
	}
	*busy = count;
	return true;
}

/* The most slices of the run that still give at most `limit` snapshots, so
 * a run whose events cluster in a few bursts still gets about `limit` of
 * them: doubling steps, then a bisection. Each count comes from C, the
 * summary of clusters_walk(), when it can tell; otherwise from walks of the
 * events: the doubling steps in one walk, then the bisection eight steps a
 * walk (it takes about 7, so one walk of up to 255 counts). */
static int slices_for(const struct sc_profile *p, const struct clusters *cs, uint64_t end, size_t limit,
		      uint64_t *out, char *err, size_t errlen)
{
	enum { DOUBLINGS = 30, DEPTH = 8 };
	uint64_t ns[1u << DEPTH];
	size_t busy[1u << DEPTH];
	uint64_t lo = limit, hi = 0;
	const struct clusters C = *cs;
	int rc = 0;
	bool known = true;
	for (int k = 0; k < DOUBLINGS; k++) {
		ns[k] = (uint64_t)limit << (k + 1);
		if (known && !clusters_busy(&C, end, ns[k], limit, &busy[k]))
			known = false;
		if (known && busy[k] > limit)
			break;
	}
	if (!known)
		rc = busy_slices(p, end, ns, busy, DOUBLINGS, limit, err, errlen);
	if (rc)
		return rc;
	for (int k = 0; k < DOUBLINGS; k++) {
		if (busy[k] > limit) {
			hi = lo * 2;
			break;
		}
		lo *= 2;
	}
	while (hi && bisecting(lo, hi)) {
		uint64_t mid = lo + (hi - lo) / 2;
		if (clusters_busy(&C, end, mid, limit, &busy[0])) {
			if (busy[0] > limit)
				hi = mid;
			else
				lo = mid;
			continue;
		}
		size_t k = 0;
		plan_steps(lo, hi, DEPTH, ns, &k);
		rc = busy_slices(p, end, ns, busy, k, limit, err, errlen);
		if (rc)
			break;
		take_steps(&lo, &hi, DEPTH, busy, 0, limit);
	}
	*out = lo;
	return rc;
}

/* ---- detailed trees ---- */

struct tree {
	struct vg_frames *fr;
	struct stacktrie st;        /* the nodes, keyed by fr's frame ids; node 0 the
	                             * root; kept for the whole export */
	struct stacktrie_path path; /* the path inserted last */
	VEC(uint64_t) bytes;        /* per node */
	uint32_t no_stack;          /* the frame standing for an empty path */
	uint32_t *leaf;             /* per stack: the node its path ends at, 0 = not yet */
};

/* The node where stack s's path (callers of the allocation, at most
 * MASSIF_DEPTH frames) ends, made with its path on first use: the tree of
 * every stack seen is built once, and each snapshot's tree is a sum of
 * live bytes over it. */
static uint32_t tree_leaf(struct tree *T, uint32_t s)
{
	if (T->leaf[s])
		return T->leaf[s];
	size_t n = vg_stack_path(T->fr, s, true);
	if (n > MASSIF_DEPTH)
		n = MASSIF_DEPTH;
	T->leaf[s] = n ? stacktrie_insert(&T->st, &T->path, 0, T->fr->path.data, n)
		       : stacktrie_insert(&T->st, &T->path, 0, &T->no_stack, 1);
	return T->leaf[s];
}

/* Sets every node's bytes to the bytes live per stack (live[nstacks]) of
 * the stacks through it. Nodes of 0 bytes are not part of the snapshot. */
static void tree_build(struct tree *T, const struct sc_profile *p, const uint64_t *live)
{
	for (size_t s = 0; s < p->nstacks; s++)
		if (live[s])
			tree_leaf(T, (uint32_t)s);
	const struct stacktrie_node *nd = T->st.nodes.data;
	size_t n = T->st.nodes.len;
	VEC_RESERVE(&T->bytes, n - T->bytes.len);
	T->bytes.len = n;
	memset(T->bytes.data, 0, n * sizeof(*T->bytes.data));
	for (size_t s = 0; s < p->nstacks; s++) {
		if (!live[s])
			continue;
		T->bytes.data[0] += live[s];
		for (uint32_t at = T->leaf[s]; at; at = nd[at].parent)
			T->bytes.data[at] += live[s];
	}
}

static int cmp_kids(const void *a, const void *b, void *arg)
{
	const struct tree *T = arg;
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	uint64_t bx = T->bytes.data[x], by = T->bytes.data[y];
	if (bx != by)
		return bx > by ? -1 : 1;
	return strcmp(vg_frames_text(T->fr, T->st.nodes.data[x].frame),
		      vg_frames_text(T->fr, T->st.nodes.data[y].frame));
}

/* bytes >= THRESHOLD_PCT% of total, without overflowing */
static bool significant(uint64_t bytes, uint64_t total)
{
	uint64_t need = total / 100 * THRESHOLD_PCT + (total % 100 * THRESHOLD_PCT + 99) / 100;
	return bytes >= need;
}

/* Writes node id at depth (one space of indent per level) and its subtree. */
static void tree_write(FILE *f, const struct tree *T, uint32_t id, unsigned depth, uint64_t total)
{
	const struct stacktrie_node *nodes = T->st.nodes.data;
	const uint64_t *bytes = T->bytes.data;
	size_t nk = 0, nsig = 0, ninsig = 0;
	uint64_t insig = 0;
	for (uint32_t c = nodes[id].child; c != STACKTRIE_NONE; c = nodes[c].next)
		nk += bytes[c] > 0;
	uint32_t *kids = xmalloc((nk ? nk : 1) * sizeof(*kids));
	nk = 0;
	for (uint32_t c = nodes[id].child; c != STACKTRIE_NONE; c = nodes[c].next)
		if (bytes[c])
			kids[nk++] = c;
	qsort_r(kids, nk, sizeof(*kids), cmp_kids, (void *)T);
	for (size_t k = 0; k < nk; k++) {
		uint64_t b = bytes[kids[k]];
		if (significant(b, total)) {
			nsig++;
		} else {
			ninsig++;
			insig += b;
		}
	}
	fprintf(f, "%*sn%zu: %llu %s\n", (int)depth, "", nsig + (ninsig > 0),
		(unsigned long long)bytes[id],
		id ? vg_frames_text(T->fr, nodes[id].frame)
		   : "(heap allocation functions) malloc/new/new[], --alloc-fns, etc.");
	for (size_t k = 0; k < nk; k++)
		if (significant(bytes[kids[k]], total))
			tree_write(f, T, kids[k], depth + 1, total);
	if (ninsig)
		fprintf(f, "%*sn0: %llu in %zu place%s below massif's threshold (%d.00%%)\n",
			(int)depth + 1, "", (unsigned long long)insig, ninsig,
			ninsig == 1 ? "," : "s, all", THRESHOLD_PCT);
	free(kids);
}


/* The one replay: bytes live per stack, the snapshots picked as it goes (the
 * highest moment, first reached, of each slice of the run that changes the
 * live set, and the peak), the trees of the detailed ones drawn when their
 * slice closes. The live bytes per stack at the slice's best moment so far
 * are live[] less delta[], the changes since then (of the stacks touched[]),
 * so a new best costs only what changed since the last. */
struct one {
	const struct sc_profile *p;
	struct tree *T;
	uint64_t end, nslices;
	size_t limit, n;
	struct snap *s;
	char **text;                /* per snapshot: its tree when drawn, else NULL */
	struct snap best;
	uint64_t cur_slice, bytes, peak;
	uint64_t slice_lo, slice_hi;    /* the times of cur_slice known so far (none at first) */
	size_t peak_ev;
	bool changed;
	uint64_t *live, *delta, *at;    /* per stack; at: scratch */
	uint8_t *mark;              /* per stack: in touched */
	VEC(uint32_t) touched;
	uint64_t *peak_live;        /* per stack, at the highest snapshot kept so far */
	uint64_t peak_kept;
	size_t peak_j;
	size_t nstacks;
};

static char *draw_tree(struct one *o, const uint64_t *live, uint64_t total)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&buf, &len);
	if (!m)
		die("cannot allocate memory for a massif tree");
	tree_build(o->T, o->p, live);
	tree_write(m, o->T, 0, 0, total);
	fclose(m);
	return buf;
}

static void one_change(struct one *o, uint32_t s)
{
	if (!o->mark[s]) {
		o->mark[s] = 1;
		VEC_PUSH(&o->touched, s);
	}
	o->changed = true;
}

static void one_alloc(void *ctx, const struct heap_block *b)
{
	struct one *o = ctx;
	o->live[b->stack] += b->size;
	o->delta[b->stack] += b->size;
	o->bytes += b->size;
	one_change(o, b->stack);
}

static void one_retire(void *ctx, const struct heap_block *b, uint64_t now)
{
	struct one *o = ctx;
	o->live[b->stack] -= b->size;
	o->delta[b->stack] -= b->size;
	o->bytes -= b->size;
	one_change(o, b->stack);
}

/* The live bytes per stack at the best moment, into o->at. */
static const uint64_t *at_best(struct one *o)
{
	memcpy(o->at, o->live, o->nstacks * sizeof(*o->at));
	for (size_t k = 0; k < o->touched.len; k++)
		o->at[o->touched.data[k]] -= o->delta[o->touched.data[k]];
	return o->at;
}

/* The slice's best moment becomes snapshot o->n. */
static void one_keep(struct one *o)
{
	size_t j = o->n++;
	o->s[j] = o->best;
	bool detailed = j % MASSIF_DETAILED_FREQ == MASSIF_DETAILED_FREQ - 1;
	bool peak = o->best.bytes > o->peak_kept;
	if (!detailed && !peak)
		return;
	const uint64_t *live = at_best(o);
	if (detailed)
		o->text[j] = draw_tree(o, live, o->best.bytes);
	if (peak) {
		o->peak_kept = o->best.bytes;
		o->peak_j = j;
		memcpy(o->peak_live, live, o->nstacks * sizeof(*live));
	}
}

static void one_step(void *ctx, uint64_t i, uint64_t time)
{
	struct one *o = ctx;
	if (!o->changed)
		return;
	o->changed = false;
	uint64_t b = o->cur_slice;
	if (time < o->slice_lo || time >= o->slice_hi) {
		/* times never go back: the slice holds until slice_hi */
		b = slice_of(time, o->end, o->nslices);
		o->slice_lo = time;
		o->slice_hi = slice_end(time, o->end, o->nslices);
	}
	if (b != o->cur_slice && o->best.ev != NO_EVENT && o->n <= o->limit)
		one_keep(o);
	if (b != o->cur_slice || o->bytes > o->best.bytes) {
		o->best = (struct snap){ (size_t)i, time, o->bytes, SNAP_EMPTY };
		for (size_t k = 0; k < o->touched.len; k++) {
			o->delta[o->touched.data[k]] = 0;
			o->mark[o->touched.data[k]] = 0;
		}
		o->touched.len = 0;
	}
	o->cur_slice = b;
	if (o->bytes > o->peak) {
		o->peak = o->bytes;
		o->peak_ev = (size_t)i;
	}
}

/* ---- the file ---- */

static void put_ms(FILE *f, uint64_t ns)
{
	uint64_t us = ns / 1000;
	fprintf(f, "%llu.%03llu", (unsigned long long)(us / 1000), (unsigned long long)(us % 1000));
}

static void write_snapshot(FILE *f, size_t num, const struct snap *s, const char *tree)
{
	static const char *const kinds[] = { "empty", "detailed", "peak" };
	fprintf(f, "#-----------\nsnapshot=%zu\n#-----------\ntime=", num);
	put_ms(f, s->time);
	fprintf(f, "\nmem_heap_B=%llu\nmem_heap_extra_B=0\nmem_stacks_B=0\nheap_tree=%s\n",
		(unsigned long long)s->bytes, kinds[s->kind]);
	if (s->kind != SNAP_EMPTY)
		fputs(tree, f);
}

static void one_line(FILE *f, const char *s)
{
	for (; s && *s; s++)
		fputc(*s == '\n' || *s == '\r' ? ' ' : *s, f);
}


/* The export's state: the replay's (struct one) and the trees'. */
struct massif {
	const struct sc_profile *p;
	struct vg_frames fr;
	struct tree T;
	struct one o;
	struct heap_visitor v;
	struct clusters C;
	uint64_t last;              /* the latest event time (clusters_walk) */
};

/* Walks the events for the summary of their times (C, last). 0 or -EIO. */
static int massif_summary(struct massif *m, const struct sc_profile *p, char *err, size_t errlen)
{
	memset(m, 0, sizeof(*m));
	m->p = p;
	int rc = clusters_walk(&m->C, p, &m->last, err, errlen);
	if (rc) {
		free(m->C.c);
		m->C.c = NULL;
	}
	return rc;
}

/* The slices for a run that ends at `end`, and the replay's state. 0 or -EIO. */
static int massif_start(struct massif *m, uint64_t end, char *err, size_t errlen)
{
	const struct sc_profile *p = m->p;
	size_t limit = MASSIF_MAX_SNAPSHOTS - 2;
	size_t nst = p->nstacks ? p->nstacks : 1;
	m->T = (struct tree){ .fr = &m->fr };
	m->o = (struct one){ .p = p, .T = &m->T, .end = end, .limit = limit, .n = 1,
			     .best = { .ev = NO_EVENT }, .cur_slice = UINT64_MAX, .peak_ev = NO_EVENT,
			     .peak_j = NO_EVENT, .nstacks = nst };
	struct one *o = &m->o;
	int rc = slices_for(p, &m->C, o->end, limit, &o->nslices, err, errlen);
	if (rc)
		return rc;
	vg_frames_init(&m->fr, p);
	stacktrie_init_keys(&m->T.st);
	m->T.leaf = xcalloc(nst, sizeof(*m->T.leaf));
	m->T.no_stack = vg_frames_named(&m->fr, "0x0: ??? (no caller recorded)");
	o->s = xmalloc((limit + 2) * sizeof(*o->s));
	o->text = xcalloc(limit + 2, sizeof(*o->text));
	o->live = xcalloc(nst, sizeof(*o->live));
	o->delta = xcalloc(nst, sizeof(*o->delta));
	o->at = xcalloc(nst, sizeof(*o->at));
	o->peak_live = xcalloc(nst, sizeof(*o->peak_live));
	o->mark = xcalloc(nst, 1);
	/* snapshot 0 is the start (its tree, when it is the peak, is empty) */
	o->text[0] = draw_tree(o, o->live, 0);
	m->v = (struct heap_visitor){ o, one_alloc, one_retire, one_step, NULL, NULL, NULL };
	return 0;
}

/* The file, once the replay went through m->v. */
static void massif_put(FILE *f, struct massif *m, const struct heap_result *r)
{
	const struct sc_profile *p = m->p;
	struct one *o = &m->o;
	size_t limit = o->limit;
	if (o->best.ev != NO_EVENT && o->n <= limit)
		one_keep(o);
	size_t n = o->n;
	struct snap *s = o->s;
	s[0] = (struct snap){ NO_EVENT, 0, 0, o->peak_ev == NO_EVENT ? SNAP_PEAK : SNAP_EMPTY };
	/* the peak is the first highest moment of its slice, so it is the
	 * highest snapshot kept, if its slice was kept */
	for (size_t j = 1; j < n; j++)
		s[j].kind = s[j].ev == o->peak_ev ? SNAP_PEAK
			: j % MASSIF_DETAILED_FREQ == MASSIF_DETAILED_FREQ - 1 ? SNAP_DETAILED : SNAP_EMPTY;
	if (o->peak_j != NO_EVENT && s[o->peak_j].kind == SNAP_PEAK && !o->text[o->peak_j])
		o->text[o->peak_j] = draw_tree(o, o->peak_live, s[o->peak_j].bytes);
	uint64_t last = s[n - 1].time;
	s[n] = (struct snap){ NO_EVENT, o->end > last ? o->end : last, o->bytes, SNAP_DETAILED };
	o->text[n] = draw_tree(o, o->live, o->bytes);
	n++;

	fputs("desc: (scorch export: useful heap = requested bytes; extra heap and stacks not recorded", f);
	if (p->heap_sample) {
		struct strbuf est = STRBUF_INIT;
		sb_adds(&est, "; ");
		report_heap_sampled(&est, p);
		sb_adds(&est, ": every figure is estimated");
		fputs(sb_str(&est), f);
		sb_release(&est);
	}
	fputs(r->filtered ? "; only allocations passing --filter)\ncmd: " : ")\ncmd: ", f);
	one_line(f, p->cmdline && *p->cmdline ? p->cmdline : p->exe);
	fputs("\ntime_unit: ms\n", f);
	for (size_t j = 0; j < n; j++)
		write_snapshot(f, j, &s[j], o->text[j]);
}

/* Frees what massif_start() and massif_summary() made. */
static void massif_release(struct massif *m)
{
	struct one *o = &m->o;
	if (o->text)
		for (size_t j = 0; j < o->limit + 2; j++)
			free(o->text[j]);
	free(o->text);
	free(o->s);
	free(o->live);
	free(o->delta);
	free(o->at);
	free(o->peak_live);
	free(o->mark);
	VEC_FREE(&o->touched);
	if (m->T.leaf) {
		vg_frames_release(&m->fr);
		stacktrie_path_release(&m->T.path);
		stacktrie_release(&m->T.st);
		VEC_FREE(&m->T.bytes);
		free(m->T.leaf);
	}
	free(m->C.c);
	memset(m, 0, sizeof(*m));
}

int massif_write(FILE *f, const struct sc_profile *p, const struct heap_result *r)
{
	char err[256];
	struct massif m;
	int rc = massif_summary(&m, p, err, sizeof(err));
	if (!rc)
		rc = massif_start(&m, r->t.end_time, err, sizeof(err));
	if (!rc)
		rc = heap_replay(r, &m.v, HEAP_ALL_EVENTS, err, sizeof(err));
	if (rc)
		error("%s", err);
	else
		massif_put(f, &m, r);
	massif_release(&m);
	return rc ? rc : vg_flush(f);
}

int massif_export(FILE *f, const struct sc_profile *p, struct heap_options *ho)
{
	char err[256];
	struct massif m;
	int rc = massif_summary(&m, p, err, sizeof(err));
	/* the run's end as heap_analyze() finds it: the profile's duration,
	 * the last event, the last RSS sample */
	uint64_t end = p->duration > m.last ? p->duration : m.last;
	for (size_t i = 0; i < p->nrss; i++)
		if (p->rss[i].time > end)
			end = p->rss[i].time;
	if (!rc)
		rc = massif_start(&m, end, err, sizeof(err));
	if (rc) {
		error("%s", err);
		massif_release(&m);
		return rc;
	}
	struct heap_result *r = NULL;
	ho->visitor = &m.v;
	ho->totals_only = true;
	ho->err = err;
	ho->errlen = sizeof(err);
	rc = heap_analyze(p, ho, &r);
	ho->visitor = NULL;
	ho->err = NULL;
	ho->errlen = 0;
	if (rc == -EIO)
		error("%s", err);
	if (!rc && r->t.end_time != end) {
		/* not the end the slices were cut for (never seen): a replay
		 * of its own, on the right ones */
		massif_release(&m);
		rc = massif_write(f, p, r);
		heap_result_free(r);
		return rc;
	}
	if (!rc)
		massif_put(f, &m, r);
	heap_result_free(r);
	massif_release(&m);
	return rc ? rc : vg_flush(f);
}
