/* `scorch flame`: a profile (or folded stacks) as an interactive flame graph,
 * icicle graph or flame chart in one standalone SVG file, drawn by our own
 * code from the profile model; see docs/views.md. */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../analysis/flame.h"
#include "../lib/die.h"
#include "../lib/progress.h"
#include "../lib/outfile.h"
#include "../lib/parse.h"
#include "../lib/strbuf.h"
#include "../output/flame-svg.h"
#include "../output/term.h"
#include "cmds.h"
#include "usage.h"
#include "flame-common.h"

static void usage(FILE *f)
{
	fprintf(f,
		"usage: scorch flame [options] FILE...\n"
		"\n"
		"Draws FILE, a .scorch profile or folded stacks ('a;b;c N' lines), as a\n"
		"standalone interactive SVG: hover for figures, click a frame to zoom,\n"
		"Search (or Ctrl+F) highlights frames matching a regex.\n"
		"\n"
		"  -o, --output=OUT       the SVG file (default: FILE with .svg for its\n"
		"                         extension, .chart.svg with --chart; '-' = stdout)\n"
		"      --heap[=W]         heap weights: bytes (default), count, peak (bytes\n"
		"                         live at the peak) or leaked (bytes live at the end)\n"
		"  -w, --weight=W         CPU weights: samples (default) or cpu-ns\n"
		"                         (without either: CPU samples when the profile has\n"
		"                         them, else heap bytes)\n"
		"      --chart[=WHAT]     a flame chart: each thread's frames in time order;\n"
		"                         WHAT is zones (zones, traced calls, marks and\n"
		"                         counters), samples (CPU samples) or all (default:\n"
		"                         each that the profile has, a band of each per thread)\n"
		"      --icicle           root on top\n"
		"  -t, --thread=TID|NAME  only that thread (a thread id, or every thread of\n"
		"                         that name)\n"
		"      --minwidth=PX      leave out frames narrower than PX pixels, or than a\n"
		"                         share of the width with a %% sign (0.01%%); default\n"
		"                         %g px, raised as needed to draw at most about\n"
		"                         %u frames. Left-out siblings are drawn as one\n"
		"                         merged frame when together they are wide enough\n"
		"      --max-frames=N     raise --minwidth so that about N frames at most are\n"
		"                         drawn (0 = no cap; default %u unless --minwidth)\n"
		"      --colors=PALETTE   hot (default, by function name) or module\n"
		"      --title=TEXT       the title (default 'Flame Graph' and the like)\n"
		"      --subtitle=TEXT    the line under it (default: what is drawn, of what)\n"
		"      --width=PX         image width (default %u; the script fits it to the\n"
		"                         window's width when the SVG is opened on its own)\n"
		"      --names=short|full labels: short C++/Rust names (default: no return\n"
		"                         type, template arguments or parameters) or the full\n"
		"                         names; tooltips always give the full name\n"
		"      --merge            the whole run in one graph: several FILEs (the\n"
		"                         default with several), and the profiles a run's\n"
		"                         first profile lists, the process as the top frame\n"
		"      --by-process       FILE alone, not its run (one FILE)\n"
		"  -h, --help             show this help\n",
		FLAME_SVG_MINWIDTH, FLAME_SVG_MAX_FRAMES, FLAME_SVG_MAX_FRAMES, FLAME_SVG_WIDTH);
}

static int bad_usage(const char *fmt, const char *arg)
{
	return cli_bad_usage("flame", usage, fmt, arg);
}

/* FILE minus its extension, plus suffix, in FILE's directory. */
static char *default_output(const char *path, const char *suffix)
{
	struct strbuf sb = STRBUF_INIT;
	const char *base = strrchr(path, '/');
	const char *dot = strrchr(base ? base + 1 : path, '.');
	size_t n = dot && dot != (base ? base + 1 : path) ? (size_t)(dot - path) : strlen(path);
	sb_add(&sb, path, n);
	sb_adds(&sb, suffix);
	return sb_detach(&sb);
}

enum { OPT_HEAP = 256, OPT_CHART, OPT_ICICLE, OPT_MINWIDTH, OPT_COLORS, OPT_TITLE,
       OPT_SUBTITLE, OPT_WIDTH, OPT_MAX_FRAMES, OPT_NAMES, OPT_MERGE, OPT_BY_PROCESS };

struct flame_args {
	const char *output, *thread, *minwidth, *max_frames;
	int heap, cpu;
	unsigned chart;             /* FLAME_CHART_* to draw a chart of; 0 = a graph */
	struct flame_svg_options svg;
};

/* The subtitle of a chart: what its lanes show, of which command line. */
static void chart_describe(const struct flame_input *in, const struct flame_chart *c,
			   enum flame_weight w, const char *thread, struct strbuf *out)
{
	uint64_t samples = 0, spans = 0, marks = 0, values = 0;
	bool zl = false, sl = false;
	for (size_t i = 0; i < c->lanes.len; i++) {
		const struct flame_lane *l = &c->lanes.data[i];
		if (l->kind == FLAME_LANE_ZONES) {
			zl = true;
			spans += l->spans;
			marks += l->nmarks;
		} else {
			sl = true;
			samples += l->weight;
		}
	}
	for (size_t i = 0; i < c->counters.len; i++)
		values += c->counters.data[i].n;
	if (!zl) {
		flame_input_describe(in, w, thread, samples, out);
		return;
	}
	sb_addf(out, "zones%s of ", sl ? (w == FLAME_CPU_NS ? " and CPU time" : " and CPU samples") : "");
	sb_adds(out, in->p->cmdline && *in->p->cmdline ? in->p->cmdline :
		     in->p->exe ? in->p->exe : in->path);
	if (thread)
		sb_addf(out, ", thread %s", thread);
	sb_adds(out, ": ");
	term_count(out, spans);
	sb_adds(out, spans == 1 ? " zone span" : " zone spans");
	if (marks) {
		sb_adds(out, ", ");
		term_count(out, marks);
		sb_adds(out, marks == 1 ? " mark" : " marks");
	}
	if (values) {
		sb_adds(out, ", ");
		term_count(out, values);
		sb_adds(out, values == 1 ? " counter value" : " counter values");
	}
	if (sl) {
		sb_adds(out, ", ");
		if (w == FLAME_CPU_NS) {
			term_duration(out, samples);
			sb_adds(out, " of CPU");
		} else {
			term_count(out, samples);
			sb_adds(out, " samples");
		}
	}
}

/* The chart of in: its lanes, or -1 after printing why there is none. */
static int make_chart(const struct flame_input *in, const struct flame_args *a,
		      struct flame_chart **out)
{
	char err[768];
	/* samples are weighed by CPU weights only; a heap profile's default
	 * weight (bytes) just means it has no samples */
	enum flame_weight w = a->cpu >= 0 ? (enum flame_weight)a->cpu :
			      flame_weights_vary(in->p) ? FLAME_CPU_NS : FLAME_SAMPLES;
	if (flame_chart_build(in->p, a->chart, w, a->thread, out, err, sizeof(err)))
		return error("%s: %s", in->path, err);
	if (!(*out)->lanes.len) {
		error("%s: nothing to draw in a flame chart%s%s: no %s", in->path,
		      a->thread ? " on thread " : "", a->thread ? a->thread : "",
		      a->chart == FLAME_CHART_SAMPLES ? "CPU samples" :
		      a->chart == FLAME_CHART_ZONES ? "zones, marks or counters" :
		      "CPU samples, zones, marks or counters");
		flame_chart_free(*out);
		*out = NULL;
		return -1;
	}
	return 0;
}

/* Draws in into f; returns 0, 1 after printing an error. */
static int draw(const struct flame_input *in, const struct flame_args *a, FILE *f,
		const char *out_name)
{
	enum flame_weight w = flame_input_weight(in, a->heap, a->cpu);
	struct flame_svg_options so = a->svg;
	struct flame_svg_stats st = { 0 };
	struct strbuf sub = STRBUF_INIT;
	int rc;
	if (a->chart) {
		struct flame_chart *c;
		if (make_chart(in, a, &c))
			return 1;
		w = c->weight;
		chart_describe(in, c, w, a->thread, &sub);
		if (!so.subtitle)
			so.subtitle = sub.buf;
		rc = flame_svg_write_chart(f, c, &so, &st);
		flame_chart_free(c);
	} else {
		struct flame_tree *t;
		if (flame_input_tree(in, w, a->thread, &t))
			return 1;
		flame_input_describe(in, w, a->thread, t->nodes.data[0].total, &sub);
		if (in->p && in->p->offcpu_marked)
			sb_adds(&sub, "; blue [off-CPU]: time blocked");
		if (!so.subtitle)
			so.subtitle = sub.buf;
		rc = flame_svg_write(f, t, &so, &st);
		flame_tree_free(t);
	}
	sb_release(&sub);
	progress_end();         /* its line goes before the summary below */
	if (rc) {
		error("cannot write %s: %s", out_name, strerror(-rc));
		return 1;
	}
	fprintf(stderr, "scorch: %s: %zu %s drawn, %u rows", out_name, st.frames,
		a->chart ? "spans" : "frames", st.depth);
	if (st.marks)
		fprintf(stderr, ", %zu mark%s", st.marks, st.marks == 1 ? "" : "s");
	if (st.counters)
		fprintf(stderr, ", %zu counter%s", st.counters, st.counters == 1 ? "" : "s");
	if (st.pruned)
		fprintf(stderr, "; %zu narrower than %.3g px left out or merged (--minwidth%s)",
			st.pruned, st.minwidth,
			st.minwidth > (so.minwidth < 0 ? FLAME_SVG_MINWIDTH : so.minwidth) * 1.0001
			? ", raised to stay within --max-frames" : "");
	fputc('\n', stderr);
	return 0;
}

int cmd_flame(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "output", required_argument, NULL, 'o' },
		{ "heap", optional_argument, NULL, OPT_HEAP },
		{ "weight", required_argument, NULL, 'w' },
		{ "chart", optional_argument, NULL, OPT_CHART },
		{ "icicle", no_argument, NULL, OPT_ICICLE },
		{ "thread", required_argument, NULL, 't' },
		{ "minwidth", required_argument, NULL, OPT_MINWIDTH },
		{ "colors", required_argument, NULL, OPT_COLORS },
		{ "colours", required_argument, NULL, OPT_COLORS },
		{ "title", required_argument, NULL, OPT_TITLE },
		{ "subtitle", required_argument, NULL, OPT_SUBTITLE },
		{ "width", required_argument, NULL, OPT_WIDTH },
		{ "max-frames", required_argument, NULL, OPT_MAX_FRAMES },
		{ "names", required_argument, NULL, OPT_NAMES },
		{ "merge", no_argument, NULL, OPT_MERGE },
		{ "by-process", no_argument, NULL, OPT_BY_PROCESS },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct flame_args a = { .heap = -1, .cpu = -1 };
	bool merge = false, by_process = false;
	enum run_mode mode;
	a.svg.minwidth = -1;
	int c;

	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":o:w:t:h", opts, NULL)) != -1) {
		switch (c) {
		case 'o':
			a.output = optarg;
			break;
		case OPT_HEAP:
			if ((a.heap = flame_parse_heap_opt("flame", optarg)) < 0)
				return 2;
			break;
		case 'w': {
			int w = flame_parse_weight_opt("flame", optarg);
			if (w < 0)
				return 2;
			*(flame_weight_is_heap((enum flame_weight)w) ? &a.heap : &a.cpu) = w;
			break;
		}
		case OPT_CHART:
			if (!optarg || !strcmp(optarg, "all"))
				a.chart = FLAME_CHART_SAMPLES | FLAME_CHART_ZONES;
			else if (!strcmp(optarg, "zones"))
				a.chart = FLAME_CHART_ZONES;
			else if (!strcmp(optarg, "samples"))
				a.chart = FLAME_CHART_SAMPLES;
			else
				return bad_usage("unknown --chart '%s' (supported: zones, samples, all)",
						 optarg);
			break;
		case OPT_ICICLE:
			a.svg.icicle = true;
			break;
		case 't':
			if (!*optarg)
				return bad_usage("%s", "--thread wants a thread id or name");
			a.thread = optarg;
			break;
		case OPT_MINWIDTH:
			a.minwidth = optarg;
			break;
		case OPT_MAX_FRAMES:
			a.max_frames = optarg;
			break;
		case OPT_COLORS:
			if (!strcmp(optarg, "hot"))
				a.svg.colors = FLAME_COLORS_HOT;
			else if (!strcmp(optarg, "module"))
				a.svg.colors = FLAME_COLORS_MODULE;
			else
				return bad_usage("unknown --colors '%s' (supported: hot, module)", optarg);
			break;
		case OPT_TITLE:
			a.svg.title = optarg;
			break;
		case OPT_MERGE:
			merge = true;
			break;
		case OPT_BY_PROCESS:
			by_process = true;
			break;
		case OPT_NAMES: {
			int full = flame_parse_names_opt("flame", optarg);
			if (full < 0)
				return 2;
			a.svg.full_names = full;
			break;
		}
		case OPT_SUBTITLE:
			a.svg.subtitle = optarg;
			break;
		case OPT_WIDTH: {
			uint64_t v;
			if (parse_count(optarg, 100, 100000, &v))
				return bad_usage("--width wants a number of pixels from 100 to 100000, "
						 "got '%s'", optarg);
			a.svg.width = (unsigned)v;
			break;
		}
		default:
			return cli_getopt_end(c, "flame", usage, argv);
		}
	}
	if (optind >= argc)
		return bad_usage("%s", "no profile given");
	int mrc = run_mode_check("flame", merge, by_process, &mode);
	if (mrc)
		return mrc;
	if (argc - optind > 1 && mode == RUN_BY_PROCESS)
		return bad_usage("--by-process draws one profile at a time, got '%s' and more (without it "
				 "the profiles of a run are merged; to compare two, use scorch diff)",
				 argv[optind + 1]);
	if (a.heap >= 0 && a.cpu >= 0)
		return bad_usage("%s", "--heap and --weight=samples|cpu-ns exclude each other");
	if (a.chart && a.heap >= 0)
		return bad_usage("%s", "--chart draws CPU samples and zones in time order; heap "
				 "weights (--heap, --weight=bytes...) have no time order to draw");
	if (a.chart == FLAME_CHART_ZONES && a.cpu >= 0)
		return bad_usage("%s", "--weight=samples|cpu-ns weighs CPU samples, which "
				 "--chart=zones does not draw");
	double fw = (a.svg.width ? a.svg.width : FLAME_SVG_WIDTH) - 20.0;
	if (a.minwidth && parse_pixels(a.minwidth, fw, &a.svg.minwidth))
		return bad_usage("--minwidth wants pixels (0.5) or a share of the width (0.01%%), "
				 "got '%s'", a.minwidth);
	a.svg.max_frames = a.minwidth ? 0 : FLAME_SVG_MAX_FRAMES;
	uint64_t mf;
	if (a.max_frames && parse_count(a.max_frames, 0, 1000000000, &mf))
		return bad_usage("--max-frames wants a number of frames (0 = no cap), got '%s'",
				 a.max_frames);
	if (a.max_frames)
		a.svg.max_frames = (size_t)mf;

	struct flame_input in;
	char what[PATH_MAX + 16];
	snprintf(what, sizeof(what), "reading %s", argv[optind]);
	progress_begin(what);   /* a line on a terminal if it takes a while */
	if (flame_input_load_run(&in, argv + optind, argc - optind, mode)) {
		progress_end();
		return 1;
	}
	if (!in.p && (a.heap >= 0 || a.cpu >= 0 || a.thread || a.chart)) {
		error("%s is folded text, not a .scorch profile: its counts have no kind, "
		      "threads or times, so %s does not apply", in.path,
		      a.chart ? "--chart" : a.thread ? "--thread" : a.heap >= 0 ? "--heap" : "--weight");
		flame_input_release(&in);
		return 1;
	}

	char *dflt = NULL;
	const char *out_name = a.output;
	if (!out_name)
		out_name = dflt = default_output(in.path, a.chart ? ".chart.svg" : ".svg");
	/* a file is written beside the target and renamed, so a failed run
	 * leaves no half file; a device or FIFO is written in place */
	struct outfile of;
	if ((dflt ? outfile_open_default : outfile_open)(&of, out_name)) {
		flame_input_release(&in);
		free(dflt);
		return 1;
	}
	if (of.f != stdout)
		setvbuf(of.f, NULL, _IOFBF, 1 << 20);
	snprintf(what, sizeof(what), "drawing %s", of.name);
	progress_stage(what);
	int rc = draw(&in, &a, of.f, of.name);
	progress_end();
	if (rc)
		outfile_abort(&of);
	else if (outfile_close(&of, 0, 0))
		rc = 1;
	free(dflt);
	flame_input_release(&in);
	return rc;
}
