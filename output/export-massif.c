/* massif export: picks the snapshots in a first replay of the heap events
 * (the highest moment of each slice of time, and the peak), then replays
 * again with bytes live per stack to write them, with massif's detailed
 * trees: callers of the allocation below it, children by bytes, the ones
 * under 1% of the snapshot merged into an "in N places" line. */
#include "export-massif.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "../lib/die.h"
#include "export-dhat.h"

#define NO_EVENT HEAP_NO_EVENT
#define THRESHOLD_PCT 1            /* massif's --threshold default, percent */

enum snap_kind { SNAP_EMPTY, SNAP_DETAILED, SNAP_PEAK };

struct snap {
	size_t ev;                  /* taken after this event; NO_EVENT = start or end */
	uint64_t time, bytes;
	enum snap_kind kind;
};

/* A replay of the events: the live blocks of the allocations r counts (each
 * tagged with its stack) and their requested bytes. */
struct replay {
	const struct sc_profile *p;
	const struct heap_result *r;
	struct vg_live live;
	uint64_t bytes;
};

/* Applies event ev. Returns true if the live set changed; then *add_stack
 * gained add bytes and *sub_stack lost sub bytes (UINT32_MAX: none). */
static bool replay_event(struct replay *R, const struct sc_event *ev,
			 uint32_t *add_stack, uint64_t *add, uint32_t *sub_stack, uint64_t *sub)
{
	const struct sc_profile *p = R->p;
	struct vg_block old;
	*add_stack = *sub_stack = UINT32_MAX;
	*add = *sub = 0;
	if (!ev->addr)
		return false;
	bool removed = false;
	if (ev->kind == EV_ALLOC) {
		uint32_t st = ev->stack < p->nstacks ? ev->stack : 0;
		if (vg_stack_counts(R->r, st)) {
			struct vg_block b = { .size = ev->size, .time = ev->time, .tag = st };
			removed = vg_live_add(&R->live, ev->addr, &b, &old);
			*add_stack = st;
			*add = ev->size;
			R->bytes += ev->size;
		} else {
			removed = vg_live_remove(&R->live, ev->addr, &old);
		}
	} else if (ev->kind == EV_FREE) {
		removed = vg_live_remove(&R->live, ev->addr, &old);
	}
	if (removed) {
		*sub_stack = old.tag;
		*sub = old.size;
		R->bytes -= old.size;
	}
	return removed || *add_stack != UINT32_MAX;
}

static void replay_init(struct replay *R, const struct sc_profile *p, const struct heap_result *r)
{
	R->p = p;
	R->r = r;
	R->bytes = 0;
	vg_live_init(&R->live);
}

/* The slice of [0, end] of n equal slices that time t falls in. */
static uint64_t slice_of(uint64_t t, uint64_t end, uint64_t n)
{
	uint64_t b = end ? (uint64_t)((double)t / ((double)end + 1.0) * (double)n) : 0;
	return b < n ? b : n - 1;
}

/* How many of n slices hold a block event, counting no further than limit + 1.
 * An upper bound of the snapshots that n slices give. */
static size_t busy_slices(const struct sc_profile *p, uint64_t end, uint64_t n, size_t limit)
{
	size_t busy = 0;
	uint64_t last = UINT64_MAX;
	for (size_t i = 0; i < p->nevents && busy <= limit; i++) {
		const struct sc_event *ev = &p->events[i];
		if (!ev->addr || (ev->kind != EV_ALLOC && ev->kind != EV_FREE))
			continue;
		uint64_t b = slice_of(ev->time, end, n);
		busy += b != last;
		last = b;
	}
	return busy;
}

/* The most slices of the run that still give at most `limit` snapshots, so
 * a run whose events cluster in a few bursts still gets about `limit` of them. */
static uint64_t slices_for(const struct sc_profile *p, uint64_t end, size_t limit)
{
	uint64_t lo = limit, hi = 0;
	for (int k = 0; k < 30; k++) {
		if (busy_slices(p, end, lo * 2, limit) > limit) {
			hi = lo * 2;
			break;
		}
		lo *= 2;
	}
	if (!hi)
		return lo;
	while (hi - lo > 1 && hi - lo > lo / 64) {   /* within 1.5% is plenty */
		uint64_t mid = lo + (hi - lo) / 2;
		if (busy_slices(p, end, mid, limit) > limit)
			hi = mid;
		else
			lo = mid;
	}
	return lo;
}

/* First replay: the highest moment (first reached) of each slice of the run
 * that changes the live set, and the peak. Fills s (room for limit + 2). */
static size_t pick_snapshots(const struct sc_profile *p, const struct heap_result *r,
			     struct snap *s, size_t limit)
{
	uint64_t end = r->t.end_time;
	uint64_t nslices = slices_for(p, end, limit);
	size_t peak_ev = NO_EVENT, n = 1;
	uint64_t peak = 0, cur_slice = UINT64_MAX;
	struct snap best = { .ev = NO_EVENT };
	struct replay R;
	replay_init(&R, p, r);
	for (size_t i = 0; i < p->nevents; i++) {
		const struct sc_event *ev = &p->events[i];
		uint32_t as, ss;
		uint64_t a, sb;
		if (!replay_event(&R, ev, &as, &a, &ss, &sb))
			continue;
		uint64_t b = slice_of(ev->time, end, nslices);
		if (b != cur_slice && best.ev != NO_EVENT && n <= limit)
			s[n++] = best;
		if (b != cur_slice || R.bytes > best.bytes)
			best = (struct snap){ i, ev->time, R.bytes, SNAP_EMPTY };
		cur_slice = b;
		if (R.bytes > peak) {
			peak = R.bytes;
			peak_ev = i;
		}
	}
	if (best.ev != NO_EVENT && n <= limit)
		s[n++] = best;
	s[0] = (struct snap){ NO_EVENT, 0, 0, peak_ev == NO_EVENT ? SNAP_PEAK : SNAP_EMPTY };
	/* the peak is the first highest moment of its slice, so it is here */
	for (size_t k = 1; k < n; k++)
		s[k].kind = s[k].ev == peak_ev ? SNAP_PEAK
			: k % MASSIF_DETAILED_FREQ == MASSIF_DETAILED_FREQ - 1 ? SNAP_DETAILED : SNAP_EMPTY;
	uint64_t last = s[n - 1].time;
	s[n++] = (struct snap){ NO_EVENT, end > last ? end : last, R.bytes, SNAP_DETAILED };
	vg_live_release(&R.live);
	return n;
}

/* ---- detailed trees ---- */

struct node {
	uint64_t bytes;
	uint32_t frame;
	uint32_t first, next;       /* first child, next sibling; 0 = none */
};

struct tree {
	struct vg_frames *fr;
	VEC(struct node) nodes;     /* [0] is the root */
	struct u64map kids;         /* (parent << 32 | frame) -> node */
	uint32_t no_stack;          /* the frame standing for an empty path */
};

static uint32_t child(struct tree *T, uint32_t parent, uint32_t frame)
{
	bool isnew;
	uint64_t *v = u64map_put(&T->kids, ((uint64_t)parent << 32) | frame, &isnew);
	if (!isnew)
		return (uint32_t)*v;
	uint32_t id = (uint32_t)T->nodes.len;
	struct node n = { 0, frame, 0, T->nodes.data[parent].first };
	VEC_PUSH(&T->nodes, n);
	T->nodes.data[parent].first = id;
	*v = id;
	return id;
}

/* Builds the tree of the bytes live per stack (live[nstacks]). */
static void tree_build(struct tree *T, const struct sc_profile *p, const uint64_t *live)
{
	T->nodes.len = 0;
	u64map_release(&T->kids);
	u64map_init(&T->kids, 256);
	struct node root = { 0 };
	VEC_PUSH(&T->nodes, root);
	for (size_t s = 0; s < p->nstacks; s++) {
		if (!live[s])
			continue;
		size_t n = vg_stack_path(T->fr, (uint32_t)s, true);
		if (n > MASSIF_DEPTH)
			n = MASSIF_DEPTH;
		T->nodes.data[0].bytes += live[s];
		uint32_t at = 0;
		if (!n) {
			at = child(T, at, T->no_stack);
			T->nodes.data[at].bytes += live[s];
		}
		for (size_t k = 0; k < n; k++) {
			at = child(T, at, T->fr->path.data[k]);
			T->nodes.data[at].bytes += live[s];
		}
	}
}

static int cmp_kids(const void *a, const void *b, void *arg)
{
	const struct tree *T = arg;
	const struct node *x = &T->nodes.data[*(const uint32_t *)a];
	const struct node *y = &T->nodes.data[*(const uint32_t *)b];
	if (x->bytes != y->bytes)
		return x->bytes > y->bytes ? -1 : 1;
	return strcmp(vg_frames_text(T->fr, x->frame), vg_frames_text(T->fr, y->frame));
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
	const struct node *nd = &T->nodes.data[id];
	size_t nk = 0, nsig = 0, ninsig = 0;
	uint64_t insig = 0;
	for (uint32_t c = nd->first; c; c = T->nodes.data[c].next)
		nk++;
	uint32_t *kids = xmalloc((nk ? nk : 1) * sizeof(*kids));
	nk = 0;
	for (uint32_t c = nd->first; c; c = T->nodes.data[c].next)
		kids[nk++] = c;
	qsort_r(kids, nk, sizeof(*kids), cmp_kids, (void *)T);
	for (size_t k = 0; k < nk; k++) {
		uint64_t b = T->nodes.data[kids[k]].bytes;
		if (significant(b, total)) {
			nsig++;
		} else {
			ninsig++;
			insig += b;
		}
	}
	fprintf(f, "%*sn%zu: %llu %s\n", (int)depth, "", nsig + (ninsig > 0),
		(unsigned long long)nd->bytes,
		id ? vg_frames_text(T->fr, nd->frame)
		   : "(heap allocation functions) malloc/new/new[], --alloc-fns, etc.");
	for (size_t k = 0; k < nk; k++)
		if (significant(T->nodes.data[kids[k]].bytes, total))
			tree_write(f, T, kids[k], depth + 1, total);
	if (ninsig)
		fprintf(f, "%*sn0: %llu in %zu place%s below massif's threshold (%d.00%%)\n",
			(int)depth + 1, "", (unsigned long long)insig, ninsig,
			ninsig == 1 ? "," : "s, all", THRESHOLD_PCT);
	free(kids);
}

/* ---- the file ---- */

static void put_ms(FILE *f, uint64_t ns)
{
	uint64_t us = ns / 1000;
	fprintf(f, "%llu.%03llu", (unsigned long long)(us / 1000), (unsigned long long)(us % 1000));
}

static void write_snapshot(FILE *f, size_t num, const struct snap *s, struct tree *T,
			   const struct sc_profile *p, const uint64_t *live)
{
	static const char *const kinds[] = { "empty", "detailed", "peak" };
	fprintf(f, "#-----------\nsnapshot=%zu\n#-----------\ntime=", num);
	put_ms(f, s->time);
	fprintf(f, "\nmem_heap_B=%llu\nmem_heap_extra_B=0\nmem_stacks_B=0\nheap_tree=%s\n",
		(unsigned long long)s->bytes, kinds[s->kind]);
	if (s->kind == SNAP_EMPTY)
		return;
	tree_build(T, p, live);
	tree_write(f, T, 0, 0, s->bytes);
}

static void one_line(FILE *f, const char *s)
{
	for (; s && *s; s++)
		fputc(*s == '\n' || *s == '\r' ? ' ' : *s, f);
}

int massif_write(FILE *f, const struct sc_profile *p, const struct heap_result *r)
{
	size_t limit = MASSIF_MAX_SNAPSHOTS - 2;
	struct snap *snaps = xmalloc((limit + 2) * sizeof(*snaps));
	size_t n = pick_snapshots(p, r, snaps, limit);

	fputs("desc: (scorch export: useful heap = requested bytes; extra heap and stacks not recorded", f);
	fputs(r->filtered ? "; only allocations passing --filter)\ncmd: " : ")\ncmd: ", f);
	one_line(f, p->cmdline && *p->cmdline ? p->cmdline : p->exe);
	fputs("\ntime_unit: ms\n", f);

	struct vg_frames fr;
	struct tree T = { .fr = &fr };
	vg_frames_init(&fr, p);
	u64map_init(&T.kids, 16);
	T.no_stack = vg_frames_named(&fr, "0x0: ??? (no caller recorded)");
	uint64_t *live = xcalloc(p->nstacks ? p->nstacks : 1, sizeof(*live));
	struct replay R;
	replay_init(&R, p, r);
	/* snapshot 0 is the start; the last is the end; the others follow events */
	write_snapshot(f, 0, &snaps[0], &T, p, live);
	size_t k = 1;
	for (size_t i = 0; i < p->nevents && k < n; i++) {
		uint32_t as, ss;
		uint64_t a, sb;
		if (replay_event(&R, &p->events[i], &as, &a, &ss, &sb)) {
			if (as != UINT32_MAX)
				live[as] += a;
			if (ss != UINT32_MAX)
				live[ss] -= sb;
		}
		if (snaps[k].ev == i) {
			write_snapshot(f, k, &snaps[k], &T, p, live);
			k++;
		}
	}
	if (k < n)
		write_snapshot(f, k, &snaps[k], &T, p, live);

	vg_live_release(&R.live);
	vg_frames_release(&fr);
	u64map_release(&T.kids);
	VEC_FREE(&T.nodes);
	free(live);
	free(snaps);
	return vg_flush(f);
}
