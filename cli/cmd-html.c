/* `scorch html`: writes one self-contained HTML report of a profile (summary,
 * interactive flamegraph, heap over time, sizes, zones timeline, counters and
 * zone table, top tables) that opens from disk in a browser without any
 * network. */
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "../analysis/heap.h"
#include "../analysis/profile-io.h"
#include "../lib/die.h"
#include "../lib/progress.h"
#include "../lib/outfile.h"
#include "../lib/strbuf.h"
#include "../output/html.h"
#include "../analysis/merge.h"
#include "cmds.h"
#include "flame-common.h"
#include "run-input.h"
#include "usage.h"

static void usage(FILE *f)
{
	fprintf(f,
		"usage: scorch html [-o OUT.html] [--filter=REGEX] [--merge|--by-process] FILE...\n"
		"\n"
		"Writes a self-contained HTML report of the profile FILE that opens offline\n"
		"in any browser: a summary of the run, the flamegraph (flame or icicle,\n"
		"click to zoom, search, per thread; heap profiles by bytes, count, peak or\n"
		"leaked), heap and RSS over time with the peak marked, allocation sizes,\n"
		"the zones (a per-thread timeline of zones and traced calls with marks,\n"
		"counter plots and the zone table of 'scorch report --zones') and\n"
		"sortable tables of the top functions and allocation sites.\n"
		"\n"
		"  -o, --output=OUT     the page to write ('-' = stdout); default: FILE with\n"
		"                       .scorch replaced by .html\n"
		"  -f, --filter=REGEX   only samples and allocations with a frame function or\n"
		"                       module matching REGEX (POSIX extended), and only the\n"
		"                       zones whose name matches it\n"
		"      --merge          the whole run in one page: several FILEs (the default\n"
		"                       with several), and the profiles a run's first\n"
		"                       profile lists, with the process as the top frame\n"
		"      --by-process     FILE alone, not its run (one FILE)\n"
		"      --names=WHICH    short (default: C++/Rust names without return type,\n"
		"                       template arguments or parameters; the full name on\n"
		"                       hover) or full (the whole demangled names)\n"
		"  -h, --help           show this help\n");
}

static int bad_usage(const char *fmt, const char *arg)
{
	return cli_bad_usage("html", usage, fmt, arg);
}

/* FILE.scorch -> FILE.html (anything else: FILE.html appended). */
static char *default_output(const char *path)
{
	struct strbuf sb = STRBUF_INIT;
	size_t n = strlen(path);
	if (n > 7 && !strcmp(path + n - 7, ".scorch"))
		n -= 7;
	sb_add(&sb, path, n);
	sb_adds(&sb, ".html");
	return sb_detach(&sb);
}

/* Writes the page whole or not at all (lib/outfile.h: a temporary file
 * renamed into place; devices and stdout written in place). The messages
 * are outfile's. Returns 0 or -1. */
static int write_page(const struct sc_profile *p, const struct html_options *o, const char *out,
		      int named)
{
	struct outfile of;
	if ((named ? outfile_open : outfile_open_default)(&of, out))
		return -1;
	int rc = html_write(of.f, p, o);
	return outfile_close(&of, rc, rc < 0 ? -rc : 0);
}

int cmd_html(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "output", required_argument, NULL, 'o' },
		{ "filter", required_argument, NULL, 'f' },
		{ "merge", no_argument, NULL, 'M' },
		{ "by-process", no_argument, NULL, 'P' },
		{ "names", required_argument, NULL, 'N' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	bool merge = false, by_process = false;
	enum run_mode mode;
	const char *output = NULL;
	struct html_options ho = { 0 };
	int c;

	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":o:f:h", opts, NULL)) != -1) {
		switch (c) {
		case 'o':
			if (!*optarg)
				return bad_usage("%s", "-o needs a file name");
			output = optarg;
			break;
		case 'N': {
			int full = flame_parse_names_opt("html", optarg);
			if (full < 0)
				return 2;
			ho.full_names = full;
			break;
		}
		case 'f': {
			char err[256];
			if (heap_filter_check(optarg, err, sizeof(err))) {
				fprintf(stderr, "scorch html: bad --filter '%s': %s\n", optarg, err);
				return 2;
			}
			ho.filter = optarg;
			break;
		}
		case 'M':
			merge = true;
			break;
		case 'P':
			by_process = true;
			break;
		default:
			return cli_getopt_end(c, "html", usage, argv);
		}
	}
	if (optind >= argc)
		return bad_usage("%s", "no profile given");
	int mrc = run_mode_check("html", merge, by_process, &mode);
	if (mrc)
		return mrc;
	if (argc - optind > 1 && mode == RUN_BY_PROCESS)
		return bad_usage("--by-process writes one profile at a time, got '%s' and more (without "
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
	ho.file = path;
	char *def = output ? NULL : default_output(path);
	const char *out = output ? output : def;
	snprintf(what, sizeof(what), "writing %s", out);
	progress_stage(what);
	int rc = write_page(p, &ho, out, output != NULL);
	progress_end();
	struct stat st;
	if (!rc && strcmp(out, "-") && !stat(out, &st) && S_ISREG(st.st_mode)) {
		if (st.st_size >= 1048576)
			fprintf(stderr, "scorch: wrote %s (%.1f MiB)\n", out, st.st_size / 1048576.0);
		else
			fprintf(stderr, "scorch: wrote %s (%.0f KiB)\n", out, st.st_size / 1024.0);
	}
	free(def);
	profile_free(p);
	return rc ? 1 : 0;
}
