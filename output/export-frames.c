/* The shared pieces of the pprof, speedscope and Chrome trace exports. */
#include "export-frames.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "../analysis/demangle.h"
#include "../analysis/heap.h"
#include "../lib/die.h"

unsigned export_kind_parse(const char *s)
{
	if (!strcmp(s, "cpu"))
		return EXPORT_CPU;
	if (!strcmp(s, "heap"))
		return EXPORT_HEAP;
	if (!strcmp(s, "all"))
		return EXPORT_CPU | EXPORT_HEAP;
	return 0;
}

int stack_pick_init(struct stack_pick *sp, const struct sc_profile *p, const char *re)
{
	memset(sp, 0, sizeof(*sp));
	if (stack_filter_init(&sp->flt, p, re))
		return -EINVAL;
	sp->n = p->nstacks;
	sp->cache = xcalloc(sp->n + 1, 1);
	return 0;
}

bool stack_pick(struct stack_pick *sp, uint32_t s)
{
	if (!sp->flt.on)
		return true;
	if (s >= sp->n)
		return false;
	if (!sp->cache[s])
		sp->cache[s] = stack_filter_stack(&sp->flt, &sp->flt.p->stacks[s]) ? 2 : 1;
	return sp->cache[s] == 2;
}

void stack_pick_release(struct stack_pick *sp)
{
	stack_filter_release(&sp->flt);
	free(sp->cache);
	memset(sp, 0, sizeof(*sp));
}

void export_group_samples(const struct sc_profile *p, struct stack_pick *sp, size_t **firstp,
			  size_t **orderp)
{
	size_t nt = p->nthreads + 1;
	size_t *first = xcalloc(nt + 1, sizeof(*first));
	size_t *order = xmalloc((p->nsamples + 1) * sizeof(*order));
	for (size_t i = 0; i < p->nsamples; i++) {
		const struct sc_sample *s = &p->samples[i];
		if (stack_pick(sp, s->stack))
			first[(s->thread < p->nthreads ? s->thread : p->nthreads) + 1]++;
	}
	for (size_t t = 0; t < nt; t++)
		first[t + 1] += first[t];
	size_t *fill = xmalloc(nt * sizeof(*fill));
	memcpy(fill, first, nt * sizeof(*fill));
	for (size_t i = 0; i < p->nsamples; i++) {
		const struct sc_sample *s = &p->samples[i];
		if (stack_pick(sp, s->stack))
			order[fill[s->thread < p->nthreads ? s->thread : p->nthreads]++] = i;
	}
	free(fill);
	*firstp = first;
	*orderp = order;
}

void u32vec_push(struct u32vec *v, uint32_t x)
{
	if (v->len == v->cap) {
		v->cap = v->cap ? v->cap * 2 : 64;
		v->data = xrealloc(v->data, v->cap * sizeof(*v->data));
	}
	v->data[v->len++] = x;
}

void u32vec_free(struct u32vec *v)
{
	free(v->data);
	memset(v, 0, sizeof(*v));
}

void xframes_init(struct xframes *x, const struct sc_profile *p)
{
	memset(x, 0, sizeof(*x));
	x->p = p;
	strmap_init(&x->keys);
	x->loc_first = xmalloc((p->nlocations + 1) * sizeof(*x->loc_first));
	memset(x->loc_first, 0xff, (p->nlocations + 1) * sizeof(*x->loc_first));
}

/* The id of the frame with key `key` (name, file, module, line when new),
 * made when new; line lowers its line. */
static uint32_t intern_key(struct xframes *x, const char *key, const char *name, const char *file,
			   const char *module, uint32_t line)
{
	bool isnew;
	uint32_t id = strmap_intern(&x->keys, key, (uint32_t)x->nframes, &isnew);
	if (isnew) {
		if (x->nframes == x->cap) {
			x->cap = x->cap ? x->cap * 2 : 256;
			x->frames = xrealloc(x->frames, x->cap * sizeof(*x->frames));
		}
		x->frames[x->nframes++] = (struct xframe){
			arena_strdup(&x->arena, name), arena_strdup(&x->arena, file),
			arena_strdup(&x->arena, module), line };
	} else if (line && (!x->frames[id].line || line < x->frames[id].line)) {
		x->frames[id].line = line;
	}
	return id;
}

/* The id of frame (name, file, module), made when new; line lowers its line. */
static uint32_t intern(struct xframes *x, const char *name, const char *file, const char *module,
		       uint32_t line)
{
	struct strbuf key = STRBUF_INIT;
	sb_adds(&key, name);
	sb_addc(&key, '\x1f');
	sb_adds(&key, file);
	sb_addc(&key, '\x1f');
	sb_adds(&key, module);
	uint32_t id = intern_key(x, key.buf, name, file, module, line);
	sb_release(&key);
	return id;
}

uint32_t xframes_zone(struct xframes *x, const struct sc_zone_name *zn)
{
	const char *name = zn->name ? zn->name : "?", *file = zn->file ? zn->file : "";
	struct strbuf key = STRBUF_INIT;
	/* \x1e starts no code frame's key: a zone never merges with a function */
	sb_addf(&key, "\x1ezone\x1f%s\x1f%s\x1f%u", name, file, zn->line);
	uint32_t id = intern_key(x, key.buf, name, file, "", zn->line);
	sb_release(&key);
	return id;
}

uint32_t xframes_named(struct xframes *x, const char *name)
{
	return intern(x, name, "", "", 0);
}

/* Interns the frames of location l, innermost line first, once. */
static uint32_t location_frames(struct xframes *x, uint32_t l)
{
	if (x->loc_first[l] != UINT32_MAX)
		return x->loc_first[l];
	const struct sc_profile *p = x->p;
	const struct sc_location *loc = &p->locations[l];
	const char *module = loc->module >= 0 && (size_t)loc->module < p->nmodules &&
		p->modules[loc->module].name ? p->modules[loc->module].name : "";
	uint32_t first = (uint32_t)x->loc_ids.len;
	for (uint32_t j = 0; j < (loc->nlines ? loc->nlines : 1); j++) {
		const struct sc_line *ln = loc->nlines ? &loc->lines[j] : NULL;
		sb_reset(&x->tmp);
		heap_frame_name(p, loc, ln, &x->tmp);
		const char *name = sb_str(&x->tmp);
		const char *sh = x->short_names ? demangle_short(name, &x->arena) : NULL;
		if (sh)
			name = sh;
		bool known = ln && ln->func && ln->func[0] && strcmp(ln->func, "??") != 0;
		u32vec_push(&x->loc_ids, intern(x, *name ? name : "??",
						 known && ln->file ? ln->file : "", module,
						 known ? ln->line : 0));
	}
	x->loc_first[l] = first;
	return first;
}

void xframes_stack(struct xframes *x, uint32_t s, struct u32vec *out)
{
	const struct sc_profile *p = x->p;
	out->len = 0;
	const struct sc_stack *st = s < p->nstacks ? &p->stacks[s] : NULL;
	if (!st || !st->nlocs) {
		u32vec_push(out, xframes_named(x, "[no stack]"));
		return;
	}
	for (uint32_t k = st->nlocs; k-- > 0;) {
		uint32_t l = st->locs[k];
		if (l >= p->nlocations)
			continue;
		uint32_t first = location_frames(x, l);
		uint32_t n = p->locations[l].nlines ? p->locations[l].nlines : 1;
		/* loc_ids may move while interning, so index it only now */
		for (uint32_t j = n; j-- > 0;)
			u32vec_push(out, x->loc_ids.data[first + j]);
	}
	if (!out->len)
		u32vec_push(out, xframes_named(x, "[no stack]"));
}

void xframes_release(struct xframes *x)
{
	arena_release(&x->arena);
	free(x->frames);
	strmap_release(&x->keys);
	free(x->loc_first);
	u32vec_free(&x->loc_ids);
	sb_release(&x->tmp);
	memset(x, 0, sizeof(*x));
}

const char *export_thread_name(const struct sc_profile *p, uint32_t t)
{
	if (t < p->nthreads && p->threads[t].name && p->threads[t].name[0])
		return p->threads[t].name;
	return "[unknown thread]";
}

uint32_t export_thread_tid(const struct sc_profile *p, uint32_t t)
{
	return t < p->nthreads ? p->threads[t].tid : 0;
}

const char *export_program_name(const struct sc_profile *p)
{
	const char *e = p->exe ? p->exe : "";
	const char *slash = strrchr(e, '/');
	return slash ? slash + 1 : e;
}
