/* DHAT export: hooks into the heap replay (heap_replay) to sum per program
 * point (allocator entry point + stack), and writes the JSON that valgrind's
 * dh_view.html reads. Also the valgrind-style frame table that the massif
 * export uses. */
#include "export-dhat.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "../lib/die.h"
#include "report-heap.h"
#include "json.h"

/* ---- valgrind-style frames ---- */

void vg_frames_init(struct vg_frames *fr, const struct sc_profile *p)
{
	memset(fr, 0, sizeof(*fr));
	fr->p = p;
	u64map_init(&fr->ids, 256);
	strmap_init(&fr->named);
}

void vg_frames_release(struct vg_frames *fr)
{
	u64map_release(&fr->ids);
	strmap_release(&fr->named);
	sb_release(&fr->text);
	VEC_FREE(&fr->off);
	VEC_FREE(&fr->stop);
	VEC_FREE(&fr->path);
}

/* Appends a new frame with text s; returns its id. */
static uint32_t add_frame(struct vg_frames *fr, const char *s, bool stop)
{
	uint32_t id = (uint32_t)fr->off.len;
	VEC_PUSH(&fr->off, fr->text.len);
	VEC_PUSH(&fr->stop, (uint8_t)stop);
	sb_adds(&fr->text, s);
	sb_addc(&fr->text, '\0');
	return id;
}

uint32_t vg_frames_named(struct vg_frames *fr, const char *text)
{
	bool isnew;
	uint32_t id = strmap_intern(&fr->named, text, (uint32_t)fr->off.len, &isnew);
	if (isnew)
		add_frame(fr, text, false);
	return id;
}

const char *vg_frames_text(const struct vg_frames *fr, uint32_t id)
{
	return fr->text.buf + fr->off.data[id];
}

/* Valgrind's "main" and "below main" functions (m_debuginfo's
 * get_fnname_kind): a stack is cut after them. 1 = main, 2 = below main. */
static int fn_kind(const char *f)
{
	static const char *const below[] = {
		"__libc_start_main", "__libc_start_call_main", "generic_start_main", "_dl_start_user",
	};
	if (!strcmp(f, "main"))
		return 1;
	for (size_t i = 0; i < sizeof(below) / sizeof(*below); i++) {
		size_t n = strlen(below[i]);
		if (!strncmp(f, below[i], n) && (f[n] == '\0' || f[n] == '.'))
			return 2;
	}
	return 0;
}

static bool func_known(const struct sc_line *ln)
{
	return ln && ln->func && ln->func[0] && strcmp(ln->func, "??") != 0;
}

/* The frame of line j of location loc (j = 0 when it has no lines). */
static uint32_t loc_frame(struct vg_frames *fr, uint32_t loc, uint32_t j)
{
	bool isnew;
	uint64_t *v = u64map_put(&fr->ids, ((uint64_t)loc << 32) | j, &isnew);
	if (!isnew)
		return (uint32_t)*v;
	const struct sc_profile *p = fr->p;
	const struct sc_location *l = &p->locations[loc];
	const struct sc_line *ln = j < l->nlines ? &l->lines[j] : NULL;
	const char *mod = l->module >= 0 && (size_t)l->module < p->nmodules
		? p->modules[l->module].path : NULL;
	int kind = func_known(ln) ? fn_kind(ln->func) : 0;
	struct strbuf sb = STRBUF_INIT;
	sb_addf(&sb, "0x%llX: %s", (unsigned long long)l->addr,
		kind == 2 ? "(below main)" : func_known(ln) ? ln->func : "???");
	if (ln && ln->file && ln->file[0] && ln->line)
		sb_addf(&sb, " (%s:%u)", ln->file, ln->line);
	else if (ln && ln->file && ln->file[0])
		sb_addf(&sb, " (%s)", ln->file);
	else if (mod && *mod)
		sb_addf(&sb, " (in %s)", mod);
	for (size_t i = 0; i < sb.len; i++)
		if (sb.buf[i] == '\n' || sb.buf[i] == '\r')
			sb.buf[i] = ' ';
	uint32_t id = add_frame(fr, sb_str(&sb), kind != 0);
	*v = id;
	sb_release(&sb);
	return id;
}

size_t vg_stack_path(struct vg_frames *fr, uint32_t stack, bool skip_wrappers)
{
	const struct sc_profile *p = fr->p;
	fr->path.len = 0;
	if (stack >= p->nstacks)
		return 0;
	const struct sc_stack *st = &p->stacks[stack];
	bool leading = skip_wrappers;
	for (uint32_t k = 0; k < st->nlocs; k++) {
		uint32_t loc = st->locs[k];
		if (loc >= p->nlocations)
			continue;
		const struct sc_location *l = &p->locations[loc];
		uint32_t n = l->nlines ? l->nlines : 1;
		for (uint32_t j = 0; j < n; j++) {
			const struct sc_line *ln = l->nlines ? &l->lines[j] : NULL;
			if (leading && func_known(ln) && heap_is_wrapper(ln->func))
				continue;
			leading = false;
			uint32_t id = loc_frame(fr, loc, j);
			VEC_PUSH(&fr->path, id);
			if (fr->stop.data[id])
				return fr->path.len;
		}
	}
	return fr->path.len;
}

int vg_flush(FILE *f)
{
	errno = 0;
	if (fflush(f) == 0 && !ferror(f))
		return 0;
	return errno ? -errno : -EIO;
}

/* ---- the DHAT program points ---- */

/* One program point. Byte and block counts as DHAT defines them; lifetimes
 * in ns: freed blocks until their free, live ones until the end (t-end). */
struct pp {
	uint64_t tb, tbk, tl;       /* totals */
	uint64_t mb, mbk;           /* the point's own maximum live (first reached) */
	uint64_t gb, gbk;           /* live at t-gmax: cb and cbk as they were
	                             * before their first change after the
	                             * latest global peak (gen), cb and cbk
	                             * themselves when they did not change */
	uint64_t cb, cbk;           /* live now; at t-end when the replay is done */
	uint64_t gen;               /* struct dhat.gen when gb, gbk were taken */
	uint32_t fs_off, fs_len;    /* frames, into struct dhat.fs */
};

struct dhat {
	const struct sc_profile *p;
	const struct heap_result *r;
	struct vg_frames fr;
	struct u64map by_key;       /* (stack << 8 | func) -> pp index */
	struct strmap by_frames;    /* frame list as text -> pp index */
	VEC(struct pp) pps;
	VEC(uint32_t) fs;
	struct strbuf tmp;
	struct heap_visitor v;      /* dhat_visitor()'s */
	uint64_t gen;               /* global peaks so far (the replay's peak_rise) */
	/* per stack: the function and pp index + 1 of its latest allocation,
	 * which most stacks' next allocations share (0: none yet) */
	uint32_t *stk_pp;
	uint8_t *stk_fn;
};

/* The program point of an allocation from `func` with stack `stack`: its
 * frames are the entry point, then the stack. Stacks that describe the same
 * frames (cut at main) share one point, as dh_view requires unique frame
 * lists. */
static uint32_t pp_of(struct dhat *d, uint32_t stack, unsigned func)
{
	bool isnew;
	uint64_t *v = u64map_put(&d->by_key, ((uint64_t)stack << 8) | (func & 0xff), &isnew);
	if (!isnew)
		return (uint32_t)*v;
	uint32_t first = vg_frames_named(&d->fr, raw_func_name((int)func));
	size_t n = vg_stack_path(&d->fr, stack, false);
	sb_reset(&d->tmp);
	sb_addf(&d->tmp, "%x", first);
	for (size_t i = 0; i < n; i++)
		sb_addf(&d->tmp, ",%x", d->fr.path.data[i]);
	bool fresh;
	uint32_t idx = strmap_intern(&d->by_frames, sb_str(&d->tmp), (uint32_t)d->pps.len, &fresh);
	if (fresh) {
		struct pp pp = { .fs_off = (uint32_t)d->fs.len, .fs_len = (uint32_t)n + 1 };
		VEC_PUSH(&d->fs, first);
		for (size_t i = 0; i < n; i++)
			VEC_PUSH(&d->fs, d->fr.path.data[i]);
		VEC_PUSH(&d->pps, pp);
	}
	*v = idx;
	return idx;
}

/* The heap replay's hooks (heap_replay): each counted block is in the
 * program point of its (stack, allocator function). */
static __attribute__((noinline)) struct pp *pp_of_new(struct dhat *d, const struct heap_block *b,
							unsigned fn)
{
	uint32_t k = pp_of(d, b->stack, fn);
	if (b->stack < d->p->nstacks) {
		d->stk_pp[b->stack] = k + 1;
		d->stk_fn[b->stack] = (uint8_t)fn;
	}
	return &d->pps.data[k];   /* after pp_of(), which may move pps */
}

static inline struct pp *pp_of_block(struct dhat *d, const struct heap_block *b)
{
	unsigned fn = b->func < FN__COUNT ? b->func : FN_MALLOC;
	if (b->stack < d->p->nstacks && d->stk_pp[b->stack] && d->stk_fn[b->stack] == fn)
		return &d->pps.data[d->stk_pp[b->stack] - 1];
	return pp_of_new(d, b, fn);
}

/* What pp holds at the latest global peak, before its first change after it. */
static inline void pp_peak_take(const struct dhat *d, struct pp *pp)
{
	if (pp->gen != d->gen) {
		pp->gb = pp->cb;
		pp->gbk = pp->cbk;
		pp->gen = d->gen;
	}
}

static void on_alloc(void *ctx, const struct heap_block *b)
{
	struct dhat *d = ctx;
	struct pp *pp = pp_of_block(d, b);
	pp_peak_take(d, pp);
	pp->tb += b->size;
	pp->tbk++;
	pp->cb += b->size;
	pp->cbk++;
	if (pp->cb > pp->mb) {
		pp->mb = pp->cb;
		pp->mbk = pp->cbk;
	}
}

/* A block leaves the live set at time `now`. */
static void on_retire(void *ctx, const struct heap_block *b, uint64_t now)
{
	struct dhat *d = ctx;
	struct pp *pp = pp_of_block(d, b);
	pp_peak_take(d, pp);
	pp->cb -= b->size;
	pp->cbk--;
	pp->tl += now >= b->time ? now - b->time : 0;
}

/* After an event that raised the global peak: the figures as they are
 * now are the peak's until they change (pp_peak_take). */
static void on_peak_rise(void *ctx)
{
	((struct dhat *)ctx)->gen++;
}

/* Blocks live at the end count their lifetime until t-end. */
static void on_end(void *ctx, const struct heap_block *b, uint64_t end)
{
	pp_of_block(ctx, b)->tl += end >= b->time ? end - b->time : 0;
}

/* One pass over the events: totals, own maxima, t-gmax, t-end, lifetimes. */
static int replay(struct dhat *d, char *err, size_t errlen)
{
	struct heap_visitor v = { d, on_alloc, on_retire, NULL, NULL, on_end, on_peak_rise };
	return heap_replay(d->r, &v, HEAP_ALL_EVENTS, err, errlen);
}

/* The document, through the JSON writer: the top members and each program
 * point and frame on a line of its own. Times are microseconds, exact to the
 * ns (json_us_short). */
static int write_json(FILE *f, struct dhat *d)
{
	const struct sc_profile *p = d->p;
	const struct heap_totals *t = &d->r->t;
	struct json j;
	json_init(&j, f, 2);
	json_open_obj(&j, NULL);
	json_u64(&j, "dhatFileVersion", 2);
	json_str(&j, "mode", "heap");
	json_str(&j, "verb", "Allocated");
	json_bool(&j, "bklt", true);
	json_bool(&j, "bkacc", false);
	/* "tu" is free text to dh_view; "Mtu" names a million of it, the
	 * unit of its rates: a million microseconds is a second */
	json_str(&j, "tu", "\xc2\xb5" "s");   /* µs */
	json_str(&j, "Mtu", "s");
	json_us_short(&j, "tuth", d->r->short_lived_ns);
	{
		/* dh_view shows "cmd" at the top: say there that the figures are estimates */
		struct strbuf cmd = STRBUF_INIT;
		sb_adds(&cmd, p->cmdline && *p->cmdline ? p->cmdline : p->exe ? p->exe : "");
		if (p->heap_sample) {
			sb_adds(&cmd, " [scorch: ");
			report_heap_sampled(&cmd, p);
			sb_adds(&cmd, "; every figure is estimated]");
		}
		json_str(&j, "cmd", sb_str(&cmd));
		sb_release(&cmd);
	}
	json_u64(&j, "pid", p->pid);
	json_us_short(&j, "te", t->end_time);
	json_us_short(&j, "tg", t->peak_event != HEAP_NO_EVENT ? t->peak_time : 0);
	json_open_arr(&j, "pps");
	for (size_t i = 0; i < d->pps.len; i++) {
		struct pp *pp = &d->pps.data[i];
		pp_peak_take(d, pp);
		json_open_obj(&j, NULL);
		json_u64(&j, "tb", pp->tb);
		json_u64(&j, "tbk", pp->tbk);
		json_us_short(&j, "tl", pp->tl);
		json_u64(&j, "mb", pp->mb);
		json_u64(&j, "mbk", pp->mbk);
		json_u64(&j, "gb", pp->gb);
		json_u64(&j, "gbk", pp->gbk);
		json_u64(&j, "eb", pp->cb);
		json_u64(&j, "ebk", pp->cbk);
		json_open_arr(&j, "fs");
		for (uint32_t k = 0; k < pp->fs_len; k++)
			/* +1: ftbl[0] is "[root]" */
			json_u64(&j, NULL, d->fs.data[pp->fs_off + k] + 1);
		json_close_arr(&j);
		json_close_obj(&j);
	}
	json_close_arr(&j);
	json_open_arr(&j, "ftbl");
	json_str(&j, NULL, "[root]");
	for (size_t i = 0; i < d->fr.off.len; i++)
		json_str(&j, NULL, vg_frames_text(&d->fr, (uint32_t)i));
	json_close_arr(&j);
	json_close_obj(&j);
	return json_end(&j);
}

struct dhat *dhat_new(const struct sc_profile *p)
{
	struct dhat *d = xcalloc(1, sizeof(*d));
	d->p = p;
	vg_frames_init(&d->fr, p);
	u64map_init(&d->by_key, 256);
	strmap_init(&d->by_frames);
	d->v = (struct heap_visitor){ d, on_alloc, on_retire, NULL, NULL, on_end, on_peak_rise };
	d->stk_pp = xcalloc(p->nstacks + 1, sizeof(*d->stk_pp));
	d->stk_fn = xcalloc(p->nstacks + 1, sizeof(*d->stk_fn));
	return d;
}

const struct heap_visitor *dhat_visitor(struct dhat *d)
{
	return &d->v;
}

void dhat_free(struct dhat *d)
{
	if (!d)
		return;
	vg_frames_release(&d->fr);
	u64map_release(&d->by_key);
	strmap_release(&d->by_frames);
	VEC_FREE(&d->pps);
	VEC_FREE(&d->fs);
	sb_release(&d->tmp);
	free(d->stk_pp);
	free(d->stk_fn);
	free(d);
}

int dhat_write_gathered(FILE *f, struct dhat *d, const struct heap_result *r)
{
	d->r = r;
	int rc = write_json(f, d);
	return rc ? rc : vg_flush(f);
}

int dhat_write(FILE *f, const struct sc_profile *p, const struct heap_result *r)
{
	struct dhat *d = dhat_new(p);
	d->r = r;
	char err[256];
	int rc = replay(d, err, sizeof(err));
	if (rc)
		error("%s", err);
	else
		rc = dhat_write_gathered(f, d, r);
	dhat_free(d);
	return rc;
}
