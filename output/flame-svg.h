/* Flame graphs, icicle graphs, differential flame graphs and flame charts as
 * standalone interactive SVG, in the manner of flamegraph.pl and inferno:
 * hover for a frame's figures, click to zoom so the frame fills the width,
 * Reset Zoom, search by regex (Search or Ctrl+F opens an in-page field) with
 * the matched frames highlighted and their share shown. The script and
 * style are embedded; every name is XML-escaped and the script only ever
 * reads names as text, never as markup. */
#ifndef SCORCH_OUTPUT_FLAME_SVG_H
#define SCORCH_OUTPUT_FLAME_SVG_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "../analysis/flame.h"
#include "../lib/strbuf.h"

#define FLAME_SVG_WIDTH 1200u        /* px, as flamegraph.pl */
#define FLAME_SVG_MINWIDTH 0.1       /* px: default pruning threshold, as flamegraph.pl */
#define FLAME_SVG_MAX_FRAMES 20000u   /* default cap: a page of this many frames opens in
                                       * a second or two, five times more in ten */

enum flame_colors {
	FLAME_COLORS_HOT = 0,       /* flamegraph.pl's warm palette, by function name */
	FLAME_COLORS_MODULE,        /* a hue per module, varied a little per function */
};

struct flame_svg_options {
	const char *title;          /* NULL: "Flame Graph", "Icicle Graph", "Flame Chart",
	                             * "Differential Flame Graph" */
	const char *subtitle;       /* NULL or "": none */
	unsigned width;             /* image width in px; 0 = FLAME_SVG_WIDTH */
	double minwidth;            /* px: frames narrower than this are pruned (see
	                             * flame_layout, flame_chart_prune); < 0 = default */
	size_t max_frames;          /* raise minwidth as far as needed to draw at most
	                             * about this many frames; 0 = no cap */
	bool icicle;                /* root on top (charts always are) */
	enum flame_colors colors;
	bool full_names;            /* labels with the whole demangled name instead of
	                             * demangle_short()'s (which tooltips always add) */
};

/* What was drawn, for the caller's summary line. */
struct flame_svg_stats {
	size_t frames;              /* rectangles drawn */
	size_t pruned;              /* frames or spans left out or merged as too thin */
	uint32_t depth;             /* rows */
	double minwidth;            /* px: the threshold used (raised by max_frames) */
	size_t marks;               /* charts: marks (or groups of marks) drawn */
	size_t counters;            /* charts: counter bands drawn */
};

/* Writes t as SVG to f; a diffed tree (flame_diff) is drawn as a
 * differential flame graph: AFTER's shape, red where a frame's share of
 * its profile grew and blue where it shrank. st may be NULL. Returns 0 or
 * -errno from f. */
int flame_svg_write(FILE *f, const struct flame_tree *t, const struct flame_svg_options *o,
		    struct flame_svg_stats *st);

/* Writes a flame chart (c finished; pruned here by minwidth) as SVG: one
 * band per lane, root on top, x is time. A zone lane draws its zones as
 * frames (blue-green, hover for duration, self time, allocations), its
 * marks as ticks across them and each counter as a step line in a band
 * below. Returns 0 or -errno from f. */
int flame_svg_write_chart(FILE *f, struct flame_chart *c, const struct flame_svg_options *o,
			  struct flame_svg_stats *st);

/* Appends s to sb escaped for XML text and attribute values (& < > " '),
 * with control characters other than \n and \t and invalid UTF-8 replaced,
 * so any byte string gives well-formed XML. */
void flame_xml_escape(struct strbuf *sb, const char *s);

/* The fill of a frame in the hot palette (by name) or the module palette. */
struct flame_rgb flame_color_hot(const char *name);
struct flame_rgb flame_color_module(const char *module, const char *name);
/* The fill of a zone frame in a chart, by name. */
struct flame_rgb flame_color_zone(const char *name);

/* The label drawn in a frame w px wide: name cut to fit (ending in "..")
 * into out, "" when under 3 characters fit. As the SVG's script does it. */
void flame_label(const char *name, double w, struct strbuf *out);

#endif
