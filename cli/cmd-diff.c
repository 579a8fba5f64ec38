/* `scorch diff`: the before/after comparison of two profiles (or folded
 * files): a table of the functions or heap sites whose share changed most,
 * as text or JSON, and with -o a differential flame graph drawn on AFTER's
 * shape. Shares are normalized (a frame's weight over its profile's total),
 * so runs of different lengths compare; see docs/views.md. */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../analysis/demangle.h"
#include "../analysis/flame.h"
#include "../lib/die.h"
#include "../lib/progress.h"
#include "../lib/outfile.h"
#include "../lib/parse.h"
#include "../lib/strbuf.h"
#include "../output/flame-svg.h"
#include "../output/json.h"
#include "../output/term.h"
#include "cmds.h"
#include "usage.h"
#include "flame-common.h"

#define DIFF_LIMIT_DEFAULT 20u

static void usage(FILE *f)
{
	fprintf(f,
		"usage: scorch diff [options] BEFORE AFTER\n"
		"\n"
		"Compares two profiles of the same program (measure, change, measure\n"
		"again): prints the functions (CPU) or allocation sites (heap) whose share\n"
		"of their profile changed most, and with -o draws a differential flame\n"
		"graph: AFTER's frames, red where a frame's share grew, blue where it\n"
		"shrank. Frames match by function name and module. BEFORE and AFTER may\n"
		"be .scorch profiles or folded stacks.\n"
		"\n"
		"  -o, --output=OUT       write the differential flame graph SVG to OUT\n"
		"      --heap[=W]         compare heap weights: bytes (default), count, peak\n"
		"                         or leaked; by allocation site\n"
		"  -w, --weight=W         compare CPU samples (default when both profiles\n"
		"                         have them) or cpu-ns; by function (self)\n"
		"  -n, --limit=N          rows of the table (default %u, 0 = all)\n"
		"  -s, --sort=KEY         order of the table: weight (default: the largest\n"
		"                         change in samples, bytes or allocations first,\n"
		"                         for two runs of the same work) or share (the\n"
		"                         largest change of share of each profile's total,\n"
		"                         for runs of different lengths)\n"
		"      --json             the table as JSON (docs/views.md)\n"
		"  -t, --thread=TID|NAME  only that thread, in both profiles\n"
		"      --minwidth=PX      SVG: leave out frames narrower than PX (default %g,\n"
		"                         raised to draw at most about %u frames)\n"
		"      --max-frames=N     SVG: that cap (0 = none; default unless --minwidth)\n"
		"      --icicle           SVG: root on top\n"
		"      --title=TEXT       SVG: the title\n"
		"      --names=short|full the table's and the SVG's names: short C++/Rust\n"
		"                         names (default) or full ones (--json: always full)\n"
		"      --merge            each side is a whole run: BEFORE and AFTER are the\n"
		"                         first profiles of their runs, which list the\n"
		"                         others; merged with the process as the top frame\n"
		"      --by-process       each side is its file alone (the default)\n"
		"  -h, --help             show this help\n",
		DIFF_LIMIT_DEFAULT, FLAME_SVG_MINWIDTH, FLAME_SVG_MAX_FRAMES);
}

static int bad_usage(const char *fmt, const char *arg)
{
	return cli_bad_usage("diff", usage, fmt, arg);
}

static const char *kind_of(enum flame_weight w)
{
	return flame_weight_is_cpu(w) ? "cpu" : flame_weight_is_heap(w) ? "heap" : "folded";
}

struct side {
	struct flame_input in;
	enum flame_weight w;
	struct flame_tree *t;
	struct strbuf desc;
};

/* A signed amount: "+1,234", "-56" */
static void add_signed(struct strbuf *sb, uint64_t after, uint64_t before)
{
	sb_addc(sb, after >= before ? '+' : '-');
	term_count(sb, after >= before ? after - before : before - after);
}

static uint64_t abs_change(const struct flame_diff_row *r)
{
	return r->after > r->before ? r->after - r->before : r->before - r->after;
}

/* --sort=weight: the largest change in weight first, then in share, then
 * by name (flame_diff_rows' order is the share order). */
static int cmp_weight(const void *pa, const void *pb)
{
	const struct flame_diff_row *a = pa, *b = pb;
	uint64_t x = abs_change(a), y = abs_change(b);
	if (x != y)
		return x > y ? -1 : 1;
	double dx = fabs(a->delta), dy = fabs(b->delta);
	if (dx != dy)
		return dx > dy ? -1 : 1;
	int c = strcmp(a->name, b->name);
	return c ? c : strcmp(a->module, b->module);
}

static void add_name(struct strbuf *sb, const struct flame_diff_row *r, bool full)
{
	struct arena a = { 0 };
	const char *s = full ? NULL : demangle_short(r->name, &a);
	term_esc(sb, s ? s : r->name);
	arena_release(&a);
	if (*r->module)
		sb_addf(sb, "  [%s]", term_safe(r->module));
}

static void print_text(const struct side *b, const struct side *a, enum flame_weight w,
		       enum flame_group g, const struct flame_diff_row *rows, size_t n,
		       size_t shown, bool by_share, bool full)
{
	struct strbuf sb = STRBUF_INIT;
	sb_addf(&sb, "BEFORE  %s\nAFTER   %s\n\n", term_safe(b->desc.buf), term_safe(a->desc.buf));
	if (by_share)
		sb_addf(&sb, "%s whose share changed most (%s of each profile's total%s):\n",
			g == FLAME_BY_SITE ? "Allocation sites" : "Functions",
			g == FLAME_BY_SITE ? "site weight" : "self weight",
			n > shown ? "; --limit=0 for all" : "");
	else
		sb_addf(&sb, "%s that changed most (%s; --sort=share orders by share of each "
			"profile's total%s):\n",
			g == FLAME_BY_SITE ? "Allocation sites" : "Functions",
			g == FLAME_BY_SITE ? "site weight" : "self weight",
			n > shown ? "; --limit=0 for all" : "");
	const char *unit = flame_weight_unit(w);
	sb_addf(&sb, "%9s %8s %8s %14s %14s %14s  %s\n", "change", "before", "after",
		"before", "after", "delta", g == FLAME_BY_SITE ? "site" : "function");
	sb_addf(&sb, "%9s %8s %8s %14s %14s %14s\n", "(points)", "", "", unit, unit, unit);
	for (size_t i = 0; i < shown; i++) {
		const struct flame_diff_row *r = &rows[i];
		struct strbuf c1 = STRBUF_INIT, c2 = STRBUF_INIT, c3 = STRBUF_INIT;
		term_count(&c1, r->before);
		term_count(&c2, r->after);
		add_signed(&c3, r->after, r->before);
		sb_addf(&sb, "%+9.2f %7.2f%% %7.2f%% %14s %14s %14s  ", 100 * r->delta,
			100 * r->before_share, 100 * r->after_share, c1.buf, c2.buf, c3.buf);
		add_name(&sb, r, full);
		sb_addc(&sb, '\n');
		sb_release(&c1);
		sb_release(&c2);
		sb_release(&c3);
	}
	if (!n)
		sb_adds(&sb, "  (nothing in either profile)\n");
	fputs(sb.buf, stdout);
	sb_release(&sb);
}

static void json_side(struct json *j, const char *key, const struct side *s)
{
	json_open_obj_as(j, key, JSON_INLINE);
	json_str(j, "file", s->in.path);
	json_str(j, "kind", kind_of(s->w));
	json_str(j, "weight", flame_weight_name(s->w));
	json_u64(j, "total", s->t->nodes.data[0].total);
	json_close_obj(j);
}

static void json_pct(struct json *j, const char *key, double pct)
{
	json_fixed(j, key, fabs(pct) < 5e-5 ? 0.0 : pct, 4);
}

static void print_json(const struct side *b, const struct side *a, enum flame_weight w,
		       enum flame_group g, const struct flame_diff_row *rows, size_t n,
		       size_t shown)
{
	struct json j;
	json_init_ex(&j, stdout, NULL, 0, JSON_SPACES, 0);
	json_open_obj_as(&j, NULL, JSON_BLOCK);
	json_side(&j, "before", b);
	json_side(&j, "after", a);
	json_str(&j, "unit", flame_weight_unit(w));
	json_str(&j, "group", g == FLAME_BY_SITE ? "site" : "function");
	json_u64(&j, "rows_total", n);
	json_open_arr_as(&j, "rows", JSON_BLOCK);
	for (size_t i = 0; i < shown; i++) {
		const struct flame_diff_row *r = &rows[i];
		json_open_obj_as(&j, NULL, JSON_INLINE);
		json_str(&j, "function", r->name);
		json_str(&j, "module", r->module);
		json_bool(&j, "main", r->is_main);
		json_u64(&j, "before", r->before);
		json_u64(&j, "after", r->after);
		json_i64(&j, "delta", (int64_t)(r->after - r->before));
		json_pct(&j, "before_pct", 100 * r->before_share);
		json_pct(&j, "after_pct", 100 * r->after_share);
		json_pct(&j, "delta_pct", 100 * r->delta);
		json_u64(&j, "before_total", r->before_total);
		json_u64(&j, "after_total", r->after_total);
		json_close_obj(&j);
	}
	json_close_arr(&j);
	json_close_obj(&j);
	json_end(&j);   /* like the text table: a write error is not reported */
}

/* Writes the differential flame graph to path; 0 or 1 after an error. */
static int write_svg(const char *path, const struct flame_tree *t,
		     const struct flame_svg_options *so)
{
	struct outfile of;
	if (outfile_open(&of, path))
		return 1;
	struct flame_svg_stats st;
	int rc = flame_svg_write(of.f, t, so, &st);
	rc = outfile_close(&of, rc, rc < 0 ? -rc : 0);
	progress_end();         /* the line goes before what follows */
	if (rc)
		return 1;
	fprintf(stderr, "scorch: %s: differential flame graph, %zu frames drawn\n", path, st.frames);
	return 0;
}

enum { OPT_HEAP = 256, OPT_JSON, OPT_MINWIDTH, OPT_ICICLE, OPT_TITLE, OPT_MAX_FRAMES, OPT_NAMES, OPT_MERGE,
       OPT_BY_PROCESS };

int cmd_diff(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "output", required_argument, NULL, 'o' },
		{ "heap", optional_argument, NULL, OPT_HEAP },
		{ "weight", required_argument, NULL, 'w' },
		{ "limit", required_argument, NULL, 'n' },
		{ "sort", required_argument, NULL, 's' },
		{ "json", no_argument, NULL, OPT_JSON },
		{ "thread", required_argument, NULL, 't' },
		{ "minwidth", required_argument, NULL, OPT_MINWIDTH },
		{ "icicle", no_argument, NULL, OPT_ICICLE },
		{ "title", required_argument, NULL, OPT_TITLE },
		{ "max-frames", required_argument, NULL, OPT_MAX_FRAMES },
		{ "names", required_argument, NULL, OPT_NAMES },
		{ "merge", no_argument, NULL, OPT_MERGE },
		{ "by-process", no_argument, NULL, OPT_BY_PROCESS },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *output = NULL, *thread = NULL, *minwidth = NULL, *max_frames = NULL;
	int heap = -1, cpu = -1, c;
	bool json = false, by_share = false, merge = false, by_process = false;
	uint32_t limit = DIFF_LIMIT_DEFAULT;
	struct flame_svg_options so = { .minwidth = -1 };

	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":o:w:n:s:t:h", opts, NULL)) != -1) {
		switch (c) {
		case 'o':
			output = optarg;
			break;
		case OPT_HEAP:
			if ((heap = flame_parse_heap_opt("diff", optarg)) < 0)
				return 2;
			break;
		case 'w': {
			int w = flame_parse_weight_opt("diff", optarg);
			if (w < 0)
				return 2;
			*(flame_weight_is_heap((enum flame_weight)w) ? &heap : &cpu) = w;
			break;
		}
		case 'n': {
			uint64_t v;
			if (parse_count(optarg, 0, UINT32_MAX, &v))
				return bad_usage("--limit wants a number of rows (0 = all), got '%s'", optarg);
			limit = (uint32_t)v;
			break;
		}
		case 's':
			if (!strcmp(optarg, "share"))
				by_share = true;
			else if (!strcmp(optarg, "weight"))
				by_share = false;
			else
				return bad_usage("--sort wants weight or share, got '%s'", optarg);
			break;
		case OPT_JSON:
			json = true;
			break;
		case 't':
			if (!*optarg)
				return bad_usage("%s", "--thread wants a thread id or name");
			thread = optarg;
			break;
		case OPT_MINWIDTH:
			minwidth = optarg;
			break;
		case OPT_MAX_FRAMES:
			max_frames = optarg;
			break;
		case OPT_ICICLE:
			so.icicle = true;
			break;
		case OPT_MERGE:
			merge = true;
			break;
		case OPT_BY_PROCESS:
			by_process = true;
			break;
		case OPT_TITLE:
			so.title = optarg;
			break;
		case OPT_NAMES: {
			int full = flame_parse_names_opt("diff", optarg);
			if (full < 0)
				return 2;
			so.full_names = full;
			break;
		}
		default:
			return cli_getopt_end(c, "diff", usage, argv);
		}
	}
	if (argc - optind != 2)
		return bad_usage("%s", argc - optind < 2 ? "wants two files, BEFORE and AFTER"
							 : "compares two files, BEFORE and AFTER; got more");
	if (heap >= 0 && cpu >= 0)
		return bad_usage("%s", "--heap and --weight=samples|cpu-ns exclude each other");
	if (minwidth && parse_pixels(minwidth, FLAME_SVG_WIDTH - 20.0, &so.minwidth))
		return bad_usage("--minwidth wants pixels (0.5) or a share of the width (0.01%%), "
				 "got '%s'", minwidth);
	so.max_frames = minwidth ? 0 : FLAME_SVG_MAX_FRAMES;
	uint64_t mf;
	if (max_frames && parse_count(max_frames, 0, 1000000000, &mf))
		return bad_usage("--max-frames wants a number of frames (0 = no cap), got '%s'",
				 max_frames);
	if (max_frames)
		so.max_frames = (size_t)mf;

	enum run_mode mode;
	int mrc = run_mode_check("diff", merge, by_process, &mode);
	if (mrc)
		return mrc;
	struct side s[2];
	memset(s, 0, sizeof(s));
	int rc = 1;
	char what[PATH_MAX + 16];
	for (int i = 0; i < 2; i++) {
		snprintf(what, sizeof(what), "reading %s", argv[optind + i]);
		progress_begin(what);   /* a line on a terminal if it takes a while */
		if (flame_input_load_run(&s[i].in, argv + optind + i, 1, mode))
			goto out;
	}
	progress_stage("comparing");
	for (int i = 0; i < 2; i++) {
		s[i].w = flame_input_weight(&s[i].in, heap, cpu);
		/* one CPU weight for both: time, if either's samples weigh
		 * differently (flame_weights_vary) */
		if (i == 1 && cpu < 0 && heap < 0 && s[0].w != s[1].w && flame_weight_is_cpu(s[0].w) &&
		    flame_weight_is_cpu(s[1].w))
			s[0].w = s[1].w = FLAME_CPU_NS;
		if (thread && !s[i].in.p) {
			error("%s is folded text: it has no threads, so --thread does not apply",
			      s[i].in.path);
			goto out;
		}
	}
	if ((flame_weight_is_cpu(s[0].w) && flame_weight_is_heap(s[1].w)) ||
	    (flame_weight_is_heap(s[0].w) && flame_weight_is_cpu(s[1].w))) {
		int h = flame_weight_is_heap(s[0].w) ? 0 : 1;
		error("%s is drawn from CPU samples and %s from heap events; compare like with "
		      "like: --heap=bytes compares the heap events of both (record them with "
		      "`scorch record --heap`)", s[1 - h].in.path, s[h].in.path);
		goto out;
	}
	for (int i = 0; i < 2; i++) {
		if (flame_input_tree(&s[i].in, s[i].w, thread, &s[i].t))
			goto out;
		flame_input_describe(&s[i].in, s[i].w, thread, s[i].t->nodes.data[0].total, &s[i].desc);
	}
	/* the unit of the table: the profile's, when one side is folded text */
	enum flame_weight w = s[1].w != FLAME_FOLDED ? s[1].w : s[0].w;
	enum flame_group g = flame_weight_is_heap(w) ? FLAME_BY_SITE : FLAME_BY_FUNCTION;
	s[1].t->weight = w;

	struct flame_diff_row *rows;
	size_t n = flame_diff_rows(s[0].t, s[1].t, g, &rows);
	if (!by_share && n > 1)
		qsort(rows, n, sizeof(*rows), cmp_weight);
	size_t shown = limit && limit < n ? limit : n;
	progress_end();         /* before the table */
	if (json)
		print_json(&s[0], &s[1], w, g, rows, n, shown);
	else
		print_text(&s[0], &s[1], w, g, rows, n, shown, by_share, so.full_names);
	free(rows);
	fflush(stdout);
	rc = 0;
	if (output) {
		flame_diff(s[1].t, s[0].t);
		struct strbuf sub = STRBUF_INIT;
		sb_addf(&sub, "%s -> %s; red grew, blue shrank (share of each profile's total)",
			s[0].in.path, s[1].in.path);
		so.subtitle = sub.buf;
		snprintf(what, sizeof(what), "drawing %s", output);
		progress_begin(what);
		rc = write_svg(output, s[1].t, &so);
		progress_end();
		sb_release(&sub);
	}
out:
	progress_end();
	for (int i = 0; i < 2; i++) {
		flame_tree_free(s[i].t);
		flame_input_release(&s[i].in);
		sb_release(&s[i].desc);
	}
	return rc;
}
