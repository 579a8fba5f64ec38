/* `scorch report`: reads one or more profiles and prints the CPU report of
 * each profile with CPU samples and the heap report of each with heap events,
 * as text for a terminal or as one JSON document (--json) for CI.
 * Unreadable files are reported and skipped; the exit code is then 1. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../analysis/cpu.h"
#include "../analysis/heap.h"
#include "../analysis/merge.h"
#include "../analysis/profile-io.h"
#include "../lib/die.h"
#include "../lib/progress.h"
#include "../lib/parse.h"
#include "../lib/strbuf.h"
#include "../lib/vec.h"
#include "../output/report-cpu.h"
#include "../output/report-heap.h"
#include "../analysis/zones.h"
#include "../output/report-zones.h"
#include "cmds.h"
#include "flame-common.h"
#include "run-input.h"
#include "usage.h"

static void usage(FILE *f)
{
	fprintf(f,
		"usage: scorch report [options] FILE...\n"
		"\n"
		"Prints the CPU report of each profile with CPU samples: top functions by\n"
		"self and total, the call tree, callers of the hottest functions, hot\n"
		"lines, off-CPU time (--wall) and threads. Prints the heap report of each\n"
		"profile with heap events: totals, calls, the peak and who held it, top\n"
		"allocation sites, leaks with their stacks, temporary and short-lived\n"
		"allocations, sizes, modules and memory over time.\n"
		"\n"
		"  -s, --sort=KEY         order of the sites table: bytes (default), count,\n"
		"                         peak, leaked, temporary, short-lived\n"
		"  -n, --limit=N          rows per table, children per call-tree node\n"
		"                         (default 10, 0 = all)\n"
		"  -f, --filter=REGEX     only samples and allocations with a frame function\n"
		"                         or module matching REGEX (POSIX extended) count in\n"
		"                         functions, trees, sites, leaks, sizes and modules;\n"
		"                         totals stay global\n"
		"      --zones            the zones report instead: per zone (SCORCH_ZONE...,\n"
		"                         and functions traced by 'scorch record --calls')\n"
		"                         calls, total, self, mean, min, max, p50, p95, p99,\n"
		"                         allocations and bytes; marks, counters, threads;\n"
		"                         --sort=total (default), self, calls, mean, max,\n"
		"                         p99, allocs, bytes or name; --filter on zone names\n"
		"      --threads          CPU: the per-thread breakdown\n"
		"      --thread=TID|NAME  CPU: only the samples of that thread (a thread id,\n"
		"                         or a name: every thread of that name)\n"
		"      --short-lived=DUR  lifetime below which a block is short-lived\n"
		"                         (default 1ms; units ns, us, ms, s: 500us, 2ms)\n"
		"      --merge            one report of the whole run: every FILE, and the\n"
		"                         profiles a run's first profile lists (its forks\n"
		"                         and execs), merged with the process as the top\n"
		"                         frame; counts are the sums over the files (with\n"
		"                         --zones: a zones report per process of the run)\n"
		"      --by-process       a report per FILE (the default)\n"
		"      --names=short|full function names: short C++/Rust names (default: no\n"
		"                         return type, template arguments or parameters)\n"
		"                         or the whole demangled ones (--json: always both)\n"
		"      --json             one JSON document for all files (docs/json.md)\n"
		"      --color=WHEN       auto (default), always or never\n"
		"      --ascii            ASCII bars and tree glyphs instead of Unicode\n"
		"  -h, --help             show this help\n");
}

/* Unicode blocks only when the locale says UTF-8. */
static bool locale_is_utf8(void)
{
	static const char *const vars[] = { "LC_ALL", "LC_CTYPE", "LANG" };
	for (size_t i = 0; i < sizeof(vars) / sizeof(*vars); i++) {
		const char *v = getenv(vars[i]);
		if (v && *v)
			return strcasestr(v, "utf-8") || strcasestr(v, "utf8");
	}
	return false;
}

static int bad_usage(const char *fmt, const char *arg)
{
	return cli_bad_usage("report", usage, fmt, arg);
}

/* --zones: the zones report of each file, text or one JSON document. */
static int report_zones(int n, char **files, struct zone_report_options *zo, bool json,
			enum run_mode mode)
{
	int rc = 0;
	struct report_json_doc doc;
	struct strbuf out = STRBUF_INIT;
	if (json)
		report_json_init(&doc, stdout, NULL);
	struct zone_options opts = { zo->filter };
	/* --merge: the zones of every process of the run, a report per
	 * process: the files given and the profiles a run's first profile
	 * lists, each once. Zones are not merged into one table: a zone of
	 * one name in two processes is two series of spans, and the figures
	 * a profile keeps per zone (percentiles) do not add up across them */
	VEC(char *) queue = { 0 };
	VEC(struct stat) seen = { 0 };
	for (int i = 0; i < n; i++)
		VEC_PUSH(&queue, xstrdup(files[i]));
	for (size_t i = 0; i < queue.len; i++) {
		struct sc_profile *p;
		char err[512];
		char *file = queue.data[i];
		struct stat st;
		if (mode == RUN_MERGE && stat(file, &st) == 0) {
			bool dup = false;
			for (size_t k = 0; k < seen.len && !dup; k++)
				dup = seen.data[k].st_dev == st.st_dev && seen.data[k].st_ino == st.st_ino;
			if (dup)
				continue;
			VEC_PUSH(&seen, st);
		}
		if (profile_read_zone_figures(file, &p, err, sizeof(err)) != 0) {
			error("%s", err);
			if (json)
				report_json_add_error(&doc, file, err);
			rc = 1;
			continue;
		}
		if (mode == RUN_MERGE) {
			char **rel;
			size_t nrel;
			profile_run_files(p, file, &rel, &nrel);
			for (size_t k = 0; k < nrel; k++) {
				if (k)
					VEC_PUSH(&queue, rel[k]);
				else
					free(rel[k]);
			}
			free(rel);
		}
		struct zone_result *r;
		if (zone_analyze(p, &opts, &r)) {
			error("%s: cannot analyze the zones", file);
			if (json)
				report_json_add_error(&doc, file, "cannot analyze the zones");
			profile_free(p);
			rc = 1;
			continue;
		}
		zone_result_sort(r, zo->sort);
		zo->file = file;
		if (json) {
			report_zones_json(&doc.j, r, zo);
		} else {
			sb_reset(&out);
			if (i)
				sb_adds(&out, "\n\n");
			report_zones_text(&out, r, zo);
			fwrite(out.buf, 1, out.len, stdout);
		}
		zone_result_free(r);
		profile_free(p);
	}
	for (size_t i = 0; i < queue.len; i++)
		free(queue.data[i]);
	VEC_FREE(&queue);
	VEC_FREE(&seen);
	if (json)
		report_json_finish(&doc);   /* a write error shows below */
	sb_release(&out);
	if (fflush(stdout) || ferror(stdout)) {
		error("cannot write the report to stdout");
		rc = 1;
	}
	return rc;
}

int cmd_report(int argc, char **argv)
{
	enum { OPT_JSON = 256, OPT_COLOR, OPT_SHORT, OPT_ASCII, OPT_THREADS, OPT_THREAD, OPT_ZONES, OPT_MERGE,
	       OPT_BY_PROCESS, OPT_NAMES };
	static const struct option opts[] = {
		{ "sort", required_argument, NULL, 's' },
		{ "limit", required_argument, NULL, 'n' },
		{ "filter", required_argument, NULL, 'f' },
		{ "json", no_argument, NULL, OPT_JSON },
		{ "color", required_argument, NULL, OPT_COLOR },
		{ "colour", required_argument, NULL, OPT_COLOR },
		{ "short-lived", required_argument, NULL, OPT_SHORT },
		{ "ascii", no_argument, NULL, OPT_ASCII },
		{ "threads", no_argument, NULL, OPT_THREADS },
		{ "zones", no_argument, NULL, OPT_ZONES },
		{ "thread", required_argument, NULL, OPT_THREAD },
		{ "merge", no_argument, NULL, OPT_MERGE },
		{ "by-process", no_argument, NULL, OPT_BY_PROCESS },
		{ "names", required_argument, NULL, OPT_NAMES },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct report_options ro = { .sort = HEAP_SORT_BYTES, .limit = 10 };
	struct heap_options ho = { 0 };
	struct cpu_report_options cro = { 0 };
	struct cpu_options co = { 0 };
	bool json = false, ascii = !locale_is_utf8();
	bool zones = false, merge = false, by_process = false;
	enum run_mode mode;
	const char *sort_arg = NULL;
	int color = cli_auto_color(), c;

	optind = 0;   /* glibc: full reinitialization */
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":s:n:f:h", opts, NULL)) != -1) {
		switch (c) {
		case 's': {
			/* its keys depend on the report: checked after the options */
			sort_arg = optarg;
			break;
		}
		case OPT_ZONES:
			zones = true;
			break;
		case OPT_MERGE:
			merge = true;
			break;
		case OPT_BY_PROCESS:
			by_process = true;
			break;
		case OPT_NAMES: {
			int full = flame_parse_names_opt("report", optarg);
			if (full < 0)
				return 2;
			ro.full_names = cro.full_names = full;
			break;
		}
		case 'n': {
			uint64_t v;
			if (parse_count(optarg, 0, UINT32_MAX, &v))
				return bad_usage("--limit wants a number of rows (0 = all), not '%s'", optarg);
			ro.limit = (uint32_t)v;
			break;
		}
		case 'f': {
			char err[256];
			if (heap_filter_check(optarg, err, sizeof(err))) {
				fprintf(stderr, "scorch report: bad --filter '%s': %s\n", optarg, err);
				return 2;
			}
			ho.filter = ro.filter = co.filter = cro.filter = optarg;
			break;
		}
		case OPT_JSON:
			json = true;
			break;
		case OPT_COLOR:
			if ((color = parse_color_when(optarg, cli_auto_color())) < 0)
				return bad_usage("--color wants auto, always or never, not '%s'", optarg);
			break;
		case OPT_SHORT:
			if (parse_duration(optarg, &ho.short_lived_ns) || !ho.short_lived_ns)
				return bad_usage("--short-lived wants a positive duration with a unit "
						 "(ns, us, ms, s), e.g. 500us or 2ms, not '%s'", optarg);
			break;
		case OPT_ASCII:
			ascii = true;
			break;
		case OPT_THREADS:
			cro.threads = true;
			break;
		case OPT_THREAD:
			if (!*optarg)
				return bad_usage("%s", "--thread wants a thread id or name");
			co.thread = cro.thread = optarg;
			break;
		default:
			return cli_getopt_end(c, "report", usage, argv);
		}
	}
	int mrc = run_mode_check("report", merge, by_process, &mode);
	if (mrc)
		return mrc;
	if (sort_arg && !zones) {
		int k = heap_sort_parse(sort_arg);
		if (k < 0)
			return bad_usage("unknown sort key '%s' (supported: bytes, count, peak, "
					 "leaked, temporary, short-lived)", sort_arg);
		ro.sort = (enum heap_sort)k;
	}
	if (zones) {
		if (optind >= argc)
			return bad_usage("%s", "no profile given");
		int k = sort_arg ? zone_sort_parse(sort_arg) : ZONE_SORT_TOTAL;
		if (k < 0)
			return bad_usage("unknown sort key '%s' for --zones (supported: total, self, calls, "
					 "mean, max, p99, allocs, bytes, name)", sort_arg);
		struct zone_report_options zo = { ro.limit, color && !json, (enum zone_sort)k, NULL, ro.filter };
		return report_zones(argc - optind, argv + optind, &zo, json, mode);
	}
	if (optind >= argc)
		return bad_usage("%s", "no profile given");
	ro.color = color && !json;
	ro.ascii = ascii;
	cro.color = ro.color;
	cro.ascii = ascii;
	cro.limit = co.limit = ro.limit;

	int rc = 0;
	struct report_json_doc doc;
	struct strbuf out = STRBUF_INIT;
	bool printed = false;
	if (json)
		report_json_init(&doc, stdout, NULL);
	/* --merge: one report of all the files (and their relatives) */
	int last = mode == RUN_MERGE ? optind + 1 : argc;
	for (int i = optind; i < last; i++) {
		struct sc_profile *p;
		char err[512];
		snprintf(err, sizeof(err), "reading %s", argv[i]);
		progress_begin(err);    /* a line on a terminal if it takes a while */
		if (mode == RUN_MERGE ? run_load(argv + optind, argc - optind, mode, &p) != 0
				      : profile_read_lazy(argv[i], &p, err, sizeof(err)) != 0) {
			if (mode == RUN_MERGE)
				snprintf(err, sizeof(err), "cannot merge the profiles of the run");
			else
				error("%s", err);
			if (json)
				report_json_add_error(&doc, argv[i], err);
			rc = 1;
			continue;
		}
		/* CPU profiles get the CPU report, and the heap report only when
		 * heap events were recorded too; the JSON always has the heap part */
		bool cpu = p->flags & PROF_CPU;
		bool heap_text = !cpu || (p->flags & PROF_HEAP);
		struct cpu_result *cr = NULL;
		if (cpu && cpu_analyze(p, &co, &cr)) {
			error("%s: cannot analyze the CPU samples", argv[i]);
			if (json)
				report_json_add_error(&doc, argv[i], "cannot analyze the CPU samples");
			profile_free(p);
			rc = 1;
			continue;
		}
		/* the text of a wall profile: the tables and trees show the
		 * blocked time as an [off-CPU] leaf, as flame and html do (the
		 * JSON keeps the stacks as recorded: self_offcpu per function) */
		struct cpu_result *mcr = NULL;
		if (cr && !json && cr->wall && cr->t.offcpu.samples) {
			profile_mark_offcpu(p);
			if (cpu_analyze(p, &co, &mcr))
				mcr = NULL;     /* the report as it was */
		}
		cro.marked = mcr;
		struct heap_result *r = NULL;
		char herr[256] = "";
		ho.err = herr;
		ho.errlen = sizeof(herr);
		if ((json || heap_text) && heap_analyze(p, &ho, &r)) {
			/* the events are read as they are analyzed: a damaged
			 * or changed file is found here */
			error("%s: cannot analyze the heap events%s%s", argv[i], herr[0] ? ": " : "", herr);
			if (json)
				report_json_add_error(&doc, argv[i], herr[0] ? herr : "cannot analyze the heap events");
			cpu_result_free(mcr);
			cpu_result_free(cr);
			profile_free(p);
			rc = 1;
			continue;
		}
		ro.file = cro.file = argv[i];
		if (cr && co.thread && !cr->t.threads_selected) {
			/* still reported (it lists the threads there are), but an error */
			char msg[512];
			snprintf(msg, sizeof(msg), "%s: no thread matches '%s'", argv[i], co.thread);
			error("%s", msg);
			if (json)
				report_json_add_error(&doc, argv[i], msg);
			rc = 1;
		}
		progress_end();
		if (json) {
			report_json_add(&doc, r, &ro, cr, &cro);
		} else {
			sb_reset(&out);
			if (printed)
				sb_adds(&out, "\n\n");
			if (cr)
				report_cpu_text(&out, cr, &cro);
			if (cr && heap_text)
				sb_adds(&out, "\n\n");
			if (heap_text)
				report_heap_text(&out, r, &ro);
			fwrite(out.buf, 1, out.len, stdout);
			fflush(stdout);
			printed = true;
		}
		heap_result_free(r);
		cpu_result_free(mcr);
		cpu_result_free(cr);
		profile_free(p);
	}
	if (json)
		report_json_finish(&doc);   /* a write error shows below */
	sb_release(&out);
	if (fflush(stdout) || ferror(stdout)) {
		error("cannot write the report to stdout");
		rc = 1;
	}
	return rc;
}
