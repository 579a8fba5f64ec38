/* `scorch flame`: a profile (or folded stacks) as an interactive flame graph,
 * icicle graph or flame chart in one standalone SVG file, drawn by our own
 * code from the profile model; see docs/views.md. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../analysis/flame.h"
#include "../lib/die.h"
#include "../lib/strbuf.h"
#include "../output/flame-svg.h"
#include "cmds.h"
#include "flame-common.h"

static void usage(FILE *f)
{
	fprintf(f,
		"usage: scorch flame [options] FILE\n"
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
		"      --chart            a flame chart: each thread's frames in time order\n"
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
		"      --width=PX         image width (default %u)\n"
		"  -h, --help             show this help\n",
		FLAME_SVG_MINWIDTH, FLAME_SVG_MAX_FRAMES, FLAME_SVG_MAX_FRAMES, FLAME_SVG_WIDTH);
}

static int bad_usage(const char *fmt, const char *arg)
{
	fprintf(stderr, "scorch flame: ");
	fprintf(stderr, fmt, arg);
	fputc('\n', stderr);
	usage(stderr);
	return 2;
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
       OPT_SUBTITLE, OPT_WIDTH, OPT_MAX_FRAMES };

struct flame_args {
	const char *output, *thread, *minwidth, *max_frames;
	int heap, cpu;
	bool chart;
	struct flame_svg_options svg;
};

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
		char err[768];
		if (flame_chart_from_profile(in->p, w, a->thread, &c, err, sizeof(err))) {
			error("%s: %s", in->path, err);
			return 1;
		}
		uint64_t tot = 0;
		for (size_t i = 0; i < c->lanes.len; i++)
			tot += c->lanes.data[i].weight;
		flame_input_describe(in, w, a->thread, tot, &sub);
		if (!so.subtitle)
			so.subtitle = sub.buf;
		rc = flame_svg_write_chart(f, c, &so, &st);
		flame_chart_free(c);
	} else {
		struct flame_tree *t;
		if (flame_input_tree(in, w, a->thread, &t))
			return 1;
		flame_input_describe(in, w, a->thread, t->nodes.data[0].total, &sub);
		if (!so.subtitle)
			so.subtitle = sub.buf;
		rc = flame_svg_write(f, t, &so, &st);
		flame_tree_free(t);
	}
	sb_release(&sub);
	if (rc) {
		error("cannot write %s: %s", out_name, strerror(-rc));
		return 1;
	}
	fprintf(stderr, "scorch: %s: %zu %s drawn, %u rows", out_name, st.frames,
		a->chart ? "spans" : "frames", st.depth);
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
		{ "chart", no_argument, NULL, OPT_CHART },
		{ "icicle", no_argument, NULL, OPT_ICICLE },
		{ "thread", required_argument, NULL, 't' },
		{ "minwidth", required_argument, NULL, OPT_MINWIDTH },
		{ "colors", required_argument, NULL, OPT_COLORS },
		{ "colours", required_argument, NULL, OPT_COLORS },
		{ "title", required_argument, NULL, OPT_TITLE },
		{ "subtitle", required_argument, NULL, OPT_SUBTITLE },
		{ "width", required_argument, NULL, OPT_WIDTH },
		{ "max-frames", required_argument, NULL, OPT_MAX_FRAMES },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct flame_args a = { .heap = -1, .cpu = -1 };
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
			a.chart = true;
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
		case OPT_SUBTITLE:
			a.svg.subtitle = optarg;
			break;
		case OPT_WIDTH: {
			char *end;
			long v = strtol(optarg, &end, 10);
			if (*end || end == optarg || v < 100 || v > 100000)
				return bad_usage("--width wants a number of pixels from 100 to 100000, "
						 "got '%s'", optarg);
			a.svg.width = (unsigned)v;
			break;
		}
		case 'h':
			usage(stdout);
			return 0;
		case ':':
			return bad_usage("option '%s' needs a value", argv[optind - 1]);
		default:
			return bad_usage("unknown option '%s'", argv[optind - 1]);
		}
	}
	if (optind >= argc)
		return bad_usage("%s", "no profile given");
	if (argc - optind > 1)
		return bad_usage("draws one profile at a time, got '%s' and more (to compare two, "
				 "use scorch diff)", argv[optind + 1]);
	if (a.heap >= 0 && a.cpu >= 0)
		return bad_usage("%s", "--heap and --weight=samples|cpu-ns exclude each other");
	double fw = (a.svg.width ? a.svg.width : FLAME_SVG_WIDTH) - 20.0;
	if (a.minwidth && flame_parse_minwidth(a.minwidth, fw, &a.svg.minwidth))
		return bad_usage("--minwidth wants pixels (0.5) or a share of the width (0.01%%), "
				 "got '%s'", a.minwidth);
	a.svg.max_frames = a.minwidth ? 0 : FLAME_SVG_MAX_FRAMES;
	if (a.max_frames && flame_parse_count(a.max_frames, &a.svg.max_frames))
		return bad_usage("--max-frames wants a number of frames (0 = no cap), got '%s'",
				 a.max_frames);

	struct flame_input in;
	if (flame_input_load(&in, argv[optind]))
		return 1;
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
	bool to_stdout = !strcmp(out_name, "-");
	/* write beside the target and rename, so a failed run leaves no half file */
	struct strbuf tmp = STRBUF_INIT;
	FILE *f = stdout;
	if (!to_stdout) {
		sb_addf(&tmp, "%s.tmp%ld", out_name, (long)getpid());
		f = fopen(tmp.buf, "w");
		if (!f) {
			error("cannot create %s: %s", out_name, strerror(errno));
			flame_input_release(&in);
			free(dflt);
			sb_release(&tmp);
			return 1;
		}
		setvbuf(f, NULL, _IOFBF, 1 << 20);
	}
	int rc = draw(&in, &a, f, to_stdout ? "stdout" : out_name);
	if (!to_stdout) {
		if (fclose(f) && !rc) {
			error("cannot write %s: %s", out_name, strerror(errno));
			rc = 1;
		}
		if (!rc && rename(tmp.buf, out_name)) {
			error("cannot create %s: %s", out_name, strerror(errno));
			rc = 1;
		}
		if (rc)
			unlink(tmp.buf);
	}
	sb_release(&tmp);
	free(dflt);
	flame_input_release(&in);
	return rc;
}
