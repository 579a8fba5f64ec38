/* DHAT export: the JSON file (dhatFileVersion 2, heap mode) that valgrind's
 * DHAT viewer, dh_view.html, loads. Also the valgrind-style frame table that
 * the massif export (export-massif.c) shares. Format notes and unit choices
 * are in docs/interop.md ("DHAT"). */
#ifndef SCORCH_OUTPUT_EXPORT_DHAT_H
#define SCORCH_OUTPUT_EXPORT_DHAT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "../analysis/heap.h"
#include "../lib/hashmap.h"
#include "../lib/strbuf.h"
#include "../lib/vec.h"

/* Writes r's profile as DHAT JSON to f: one program point per distinct
 * (allocator entry point, stack), with total bytes, blocks and lifetimes,
 * the point's own maximum live, what it held live at the global peak
 * (r->t.peak_event) and at the end. Only allocations passing r's filter
 * count. Times are in microseconds. Returns 0 or -errno from f. */
int dhat_write(FILE *f, const struct sc_profile *p, const struct heap_result *r);

/* The same figures gathered in heap_analyze()'s walk instead of a walk of
 * their own: give dhat_visitor(d) as heap_options.visitor (totals_only
 * will do: what each point held at the peak comes from the visitor's own
 * figures, kept as of the latest rise of the global peak), then
 * dhat_write_gathered() with the result. d borrows p; dhat_free() it. */
struct dhat;
struct dhat *dhat_new(const struct sc_profile *p);
const struct heap_visitor *dhat_visitor(struct dhat *d);
int dhat_write_gathered(FILE *f, struct dhat *d, const struct heap_result *r);
void dhat_free(struct dhat *d);

/* ---- shared with the massif export ---- */

/* Frames described the way valgrind prints them ("0xADDR: func (file:line)",
 * "0xADDR: func (in /module)", "0xADDR: ???"), interned to dense ids. A
 * location with inlined lines gives one frame per line. */
struct vg_frames {
	const struct sc_profile *p;
	struct u64map ids;          /* ((loc << 32) | line) -> id */
	struct strmap named;        /* made-up frames by text -> id */
	struct strbuf text;         /* descriptions, NUL-separated */
	VEC(size_t) off;            /* id -> offset into text */
	VEC(uint8_t) stop;          /* id -> the path ends here (main, below main) */
	VEC(uint32_t) path;         /* scratch result of vg_stack_path() */
};

void vg_frames_init(struct vg_frames *fr, const struct sc_profile *p);
void vg_frames_release(struct vg_frames *fr);
/* The id of a made-up frame with exactly this text (e.g. "malloc"). */
uint32_t vg_frames_named(struct vg_frames *fr, const char *text);
/* The description of frame id; valid until the next interning call. */
const char *vg_frames_text(const struct vg_frames *fr, uint32_t id);
/* The frames of stack id `stack`, innermost first, in fr->path (returns its
 * length). Like valgrind's default (--show-below-main=no) the path ends at
 * `main`, or at a libc start function shown as "(below main)". With
 * skip_wrappers, leading allocator wrappers (operator new, xmalloc...; see
 * heap_is_wrapper) are left out, as massif leaves out its --alloc-fns. */
size_t vg_stack_path(struct vg_frames *fr, uint32_t stack, bool skip_wrappers);

/* Flushes f: 0, or -errno of the failed write (-EIO if unknown). */
int vg_flush(FILE *f);

#endif
