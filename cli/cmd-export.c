/* `scorch export`: converts a profile into a format other tools read. Today
 * folded stacks (flamegraph.pl, inferno, speedscope) weighted by CPU samples
 * or the time they stand for, or by bytes, allocations, bytes live at the
 * peak or bytes leaked. */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../analysis/cpu.h"
#include "../analysis/flame.h"
#include "../analysis/heap.h"
#include "../analysis/profile-io.h"
#include "../lib/die.h"
#include "../lib/progress.h"
#include "../lib/outfile.h"
#include "../output/export-chrome.h"
#include "../output/export-pprof.h"
#include "../output/export-speedscope.h"
#include "../output/folded.h"
#include "../output/report-heap.h"
#include "../output/export-dhat.h"
#include "../output/export-massif.h"
#include "../analysis/merge.h"
#include "cmds.h"
#include "flame-common.h"
#include "run-input.h"
#include "usage.h"

struct export_args {
	const struct sc_profile *p;
	const char *filter;
	const char *weight;
	unsigned kinds;             /* --kind as EXPORT_* bits; 0 = the format's default */
	int names;                  /* --names as EXPORT_NAMES_* */
	FILE *out;
};

/* The weight when none is given: samples for a CPU profile (their time when
 * they weigh differently: flame_weights_vary), else bytes. */
static const char *default_weight(const struct sc_profile *p)
{
	if (!(p->flags & PROF_CPU))
		return "bytes";
	return flame_weights_vary(p) ? "cpu-ns" : "samples";
}

/* The heap model of a->p under --filter, with ho's other options; a failed
 * read of the events (a damaged or changed file) is said. */
static int heap_model(const struct export_args *a, struct heap_options *ho, struct heap_result **r)
{
	char err[256];
	ho->filter = a->filter;
	ho->err = err;
	ho->errlen = sizeof(err);
	int rc = heap_analyze(a->p, ho, r);
	if (rc == -EIO)
		error("%s", err);
	ho->err = NULL;
	ho->errlen = 0;
	return rc;
}

static int export_folded(const struct export_args *a)
{
	int w = folded_weight_parse(a->weight ? a->weight : default_weight(a->p));
	if (folded_weight_is_cpu((enum folded_weight)w)) {
		struct cpu_options co = { .filter = a->filter, .limit = 1 };
		struct cpu_result *cr;
		if (cpu_analyze(a->p, &co, &cr))
			return -EINVAL;
		int rc = folded_write_names(a->out, a->p, NULL, cr, (enum folded_weight)w,
					    a->names == EXPORT_NAMES_SHORT);
		cpu_result_free(cr);
		return rc;
	}
	struct heap_options ho = { 0 };
	struct heap_result *r;
	int rc = heap_model(a, &ho, &r);
	if (rc)
		return rc;
	rc = folded_write_names(a->out, a->p, r, NULL, (enum folded_weight)w, a->names == EXPORT_NAMES_SHORT);
	if (!rc && a->p->heap_sample) {
		/* folded stacks have no place for a note */
		struct strbuf est = STRBUF_INIT;
		report_heap_sampled(&est, a->p);
		fprintf(stderr, "scorch export: the weights are %s; every one is estimated\n", sb_str(&est));
		sb_release(&est);
	}
	heap_result_free(r);
	return rc;
}

/* DHAT and massif: heap views for valgrind's viewers (dh_view.html, ms_print,
 * massif-visualizer). DHAT's figures are gathered in the heap model's walk
 * rather than in a walk of their own; the peak's holders are the visitor's. */
static int export_dhat(const struct export_args *a)
{
	struct dhat *d = dhat_new(a->p);
	struct heap_options ho = { .visitor = dhat_visitor(d), .totals_only = true };
	struct heap_result *r;
	int rc = heap_model(a, &ho, &r);
	if (rc) {
		dhat_free(d);
		return rc;
	}
	rc = dhat_write_gathered(a->out, d, r);
	heap_result_free(r);
	dhat_free(d);
	return rc;
}

/* massif: a walk for the slices of time, then the heap model's walk
 * with its hooks (massif_export). */
static int export_massif(const struct export_args *a)
{
	struct heap_options ho = { .filter = a->filter };
	return massif_export(a->out, a->p, &ho);
}

/* pprof, speedscope and Chrome trace: the formats of other profilers' tools.
 * --kind picks the data (check_kind() has made a->kinds final). */
static int export_pprof(const struct export_args *a)
{
	struct export_options o = { .kinds = a->kinds, .filter = a->filter, .names = a->names };
	return pprof_write(a->out, a->p, &o);
}

static int export_speedscope(const struct export_args *a)
{
	struct export_options o = { .kinds = a->kinds, .filter = a->filter, .names = a->names };
	return speedscope_write(a->out, a->p, &o);
}

static int export_chrome(const struct export_args *a)
{
	struct export_options o = { .kinds = a->kinds, .filter = a->filter, .names = a->names };
	return chrome_write(a->out, a->p, &o);
}

/* Makes a->kinds final for the formats that take --kind, or says why the
 * profile does not have what was asked: -1 after the message, 0 if fine.
 * pprof holds one kind (CPU samples by default, when there are any);
 * speedscope and Chrome trace hold whatever the profile has. */
static int check_kind(const char *format, int (*fn)(const struct export_args *),
		      struct export_args *a, const char *path)
{
	const struct sc_profile *p = a->p;
	bool pprof = fn == export_pprof;
	if (!pprof && fn != export_speedscope && fn != export_chrome) {
		if (a->kinds)
			return error("--kind applies to --format=pprof, speedscope and chrome, not %s", format);
		return 0;
	}
	if (pprof && a->kinds == (EXPORT_CPU | EXPORT_HEAP))
		return error("a pprof file holds one kind of data: use --kind=cpu or --kind=heap");
	if ((a->kinds & EXPORT_CPU) && !(p->flags & PROF_CPU) && (pprof || a->kinds == EXPORT_CPU))
		return error("%s has no CPU samples, so --kind=cpu has nothing to export; record with "
			     "`scorch record`", path);
	if ((a->kinds & EXPORT_HEAP) && !(p->flags & PROF_HEAP) && (pprof || a->kinds == EXPORT_HEAP))
		return error("%s has no heap events, so --kind=heap has nothing to export; record with "
			     "`scorch heap` or `scorch record --heap`", path);
	if (!(p->flags & (PROF_CPU | PROF_HEAP)))
		return error("%s has neither CPU samples nor heap events: nothing to export", path);
	if (!a->kinds)
		a->kinds = !pprof ? EXPORT_CPU | EXPORT_HEAP : p->flags & PROF_CPU ? EXPORT_CPU : EXPORT_HEAP;
	return 0;
}

static const struct format {
	const char *name;
	int (*fn)(const struct export_args *);
	const char *help;
} formats[] = {
	{ "folded", export_folded, "folded stacks, one \"root;...;leaf N\" line per stack" },
	{ "pprof", export_pprof, "gzipped profile.proto for go tool pprof, Pyroscope, Parca" },
	{ "speedscope", export_speedscope, "speedscope's JSON file format, a profile per thread" },
	{ "chrome", export_chrome, "Chrome trace event JSON for Perfetto, chrome://tracing" },
	{ "dhat", export_dhat, "DHAT JSON for valgrind's dh_view.html (heap)" },
	{ "massif", export_massif, "massif.out for ms_print and massif-visualizer (heap)" },
};

static void usage(FILE *f)
{
	fprintf(f,
		"usage: scorch export [--format=FORMAT] [--weight=W] [--kind=KIND] [--filter=REGEX] [-o OUT] FILE\n"
		"\n"
		"Converts a profile for other tools; writes to stdout unless -o is given.\n"
		"\n"
		"  -F, --format=FORMAT  output format (default folded):\n");
	for (size_t i = 0; i < sizeof(formats) / sizeof(*formats); i++)
		fprintf(f, "                         %-10s %s\n", formats[i].name, formats[i].help);
	fprintf(f,
		"  -w, --weight=W       folded, CPU profiles: samples (default) or cpu-ns (the\n"
		"                       default when samples weigh differently)\n"
		"                       (the time the samples stand for); heap: bytes\n"
		"                       (default without CPU samples), count, peak (bytes\n"
		"                       live at the peak) or leaked (bytes live at the end)\n"
		"  -k, --kind=KIND      pprof, speedscope, chrome: cpu, heap or all (default:\n"
		"                       all the profile has; pprof: cpu when it has samples)\n"
		"  -f, --filter=REGEX   only stacks with a function or module matching REGEX\n"
		"      --names=WHICH    short or full C++/Rust function names; pprof gives\n"
		"                       Function.name the short one (no return type,\n"
		"                       template arguments or parameters) and system_name\n"
		"                       the full one; speedscope and chrome: short by\n"
		"                       default; folded: full by default\n"
		"  -o, --output=OUT     write to OUT ('-' = stdout)\n"
		"      --merge          the whole run as one profile: several FILEs (the\n"
		"                       default with several), and the profiles a run's\n"
		"                       first profile lists, with the process as the top\n"
		"                       frame\n"
		"      --by-process     FILE alone, not its run (one FILE)\n"
		"  -h, --help           show this help\n");
}

static int bad_usage(const char *fmt, const char *arg)
{
	return cli_bad_usage("export", usage, fmt, arg);
}

static void supported(struct strbuf *sb)
{
	for (size_t i = 0; i < sizeof(formats) / sizeof(*formats); i++)
		sb_addf(sb, "%s%s", i ? ", " : "", formats[i].name);
}

int cmd_export(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "format", required_argument, NULL, 'F' },
		{ "weight", required_argument, NULL, 'w' },
		{ "kind", required_argument, NULL, 'k' },
		{ "filter", required_argument, NULL, 'f' },
		{ "output", required_argument, NULL, 'o' },
		{ "merge", no_argument, NULL, 'M' },
		{ "by-process", no_argument, NULL, 'P' },
		{ "names", required_argument, NULL, 'N' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *format = "folded", *output = NULL;
	struct export_args a = { 0 };
	bool merge = false, by_process = false;
	enum run_mode mode;
	int c;

	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":F:w:k:f:o:h", opts, NULL)) != -1) {
		switch (c) {
		case 'F':
			format = optarg;
			break;
		case 'w':
			if (folded_weight_parse(optarg) < 0)
				return bad_usage("unknown weight '%s' (supported: samples, cpu-ns, bytes, "
						 "count, peak, leaked)", optarg);
			a.weight = optarg;
			break;
		case 'k':
			a.kinds = export_kind_parse(optarg);
			if (!a.kinds)
				return bad_usage("unknown kind '%s' (supported: cpu, heap, all)", optarg);
			break;
		case 'f': {
			char err[256];
			if (heap_filter_check(optarg, err, sizeof(err))) {
				fprintf(stderr, "scorch export: bad --filter '%s': %s\n", optarg, err);
				return 2;
			}
			a.filter = optarg;
			break;
		}
		case 'o':
			output = optarg;
			break;
		case 'N': {
			int full = flame_parse_names_opt("export", optarg);
			if (full < 0)
				return 2;
			a.names = full ? EXPORT_NAMES_FULL : EXPORT_NAMES_SHORT;
			break;
		}
		case 'M':
			merge = true;
			break;
		case 'P':
			by_process = true;
			break;
		default:
			return cli_getopt_end(c, "export", usage, argv);
		}
	}
	const struct format *fmt = NULL;
	for (size_t i = 0; i < sizeof(formats) / sizeof(*formats); i++)
		if (!strcmp(format, formats[i].name))
			fmt = &formats[i];
	if (!fmt) {
		struct strbuf sb = STRBUF_INIT;
		supported(&sb);
		fprintf(stderr, "scorch export: unknown format '%s' (supported: %s)\n", format, sb.buf);
		sb_release(&sb);
		return 2;
	}
	if (optind >= argc)
		return bad_usage("%s", "no profile given");
	int mrc = run_mode_check("export", merge, by_process, &mode);
	if (mrc)
		return mrc;
	if (argc - optind > 1 && mode == RUN_BY_PROCESS)
		return bad_usage("--by-process exports one profile at a time, got '%s' and more (without "
				 "it they are merged)", argv[optind + 1]);

	const char *path = argv[optind];
	struct sc_profile *p;
	char what[PATH_MAX + 16];
	snprintf(what, sizeof(what), "reading %s", path);
	progress_begin(what);   /* a line on a terminal if it takes a while */
	if (run_load(argv + optind, argc - optind, mode, &p)) {
		progress_end();
		return 1;
	}
	/* a wall-clock profile's blocked time under a frame of its own */
	profile_mark_offcpu(p);
	a.p = p;
	if (a.weight && folded_weight_is_cpu((enum folded_weight)folded_weight_parse(a.weight)) &&
	    !(p->flags & PROF_CPU)) {
		error("%s has no CPU samples, so --weight=%s has nothing to count; record with "
		      "`scorch record`, or use a heap weight (bytes, count, peak, leaked)", path, a.weight);
		profile_free(p);
		return 1;
	}
	if ((fmt->fn == export_dhat || fmt->fn == export_massif) && !(p->flags & PROF_HEAP)) {
		error("%s has no heap events, so --format=%s has nothing to show; record with "
		      "`scorch heap` or `scorch record --heap`", path, fmt->name);
		profile_free(p);
		return 1;
	}
	if (check_kind(fmt->name, fmt->fn, &a, path)) {
		profile_free(p);
		return 1;
	}
	struct outfile of;
	if (outfile_open(&of, output)) {
		profile_free(p);
		return 1;
	}
	a.out = of.f;
	snprintf(what, sizeof(what), "writing %s", output && strcmp(output, "-") ? output : "to stdout");
	progress_stage(what);
	int rc = fmt->fn(&a);
	rc = outfile_close(&of, rc, rc < 0 ? -rc : 0);
	progress_end();
	profile_free(p);
	/* speedscope reads a *.chrome.json as a DevTools Timeline recording */
	size_t ol = output ? strlen(output) : 0;
	if (!rc && fmt->fn == export_chrome && ol >= 12 && !strcmp(output + ol - 12, ".chrome.json"))
		fprintf(stderr, "scorch export: note: speedscope takes a file named *.chrome.json for a Chrome "
			"Timeline recording and cannot open it; name it *.trace.json for speedscope "
			"(Perfetto does not mind)\n");
	return rc ? 1 : 0;
}
