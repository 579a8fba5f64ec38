/* `scorch import`: turns data other tools recorded into a scorch profile, so
 * report (and every other view) works on it: the text of `perf script` (from
 * `perf record`, with or without -g) and folded stacks ("a;b;c N" lines).
 * The format is told from the first line unless --format says it. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../analysis/folded-in.h"
#include "../analysis/import-perf.h"
#include "../analysis/import.h"
#include "../analysis/profile-io.h"
#include "../lib/die.h"
#include "../lib/newfile.h"
#include "../lib/parse.h"
#include "../lib/strbuf.h"
#include "../output/term.h"
#include "cmds.h"
#include "usage.h"

enum import_format { FMT_AUTO, FMT_PERF, FMT_FOLDED };

static void usage(FILE *f)
{
	fprintf(f,
		"usage: scorch import [--format=perf|folded] [options] IN [-o OUT.scorch]\n"
		"\n"
		"Turns the text of `perf script` or a folded-stacks file into a scorch\n"
		"profile, for `scorch report` and the other views. IN '-' reads stdin.\n"
		"\n"
		"  -F, --format=FMT     perf (perf script output) or folded (\"a;b;c N\"\n"
		"                       lines, root first); default: told from the first line\n"
		"  -o, --output=OUT     the profile to write (default: IN with the suffix\n"
		"                       .scorch, perf.scorch for stdin)\n"
		"  -e, --event=EVENT    perf: import the samples of EVENT (default: the\n"
		"                       event of the first sample); others are left out\n"
		"      --hz=N           folded: each count stands for 1/N s of CPU time\n"
		"                       (default: time unknown, counts only)\n"
		"      --no-code        perf: keep no machine code or source lines (by\n"
		"                       default, where the sampled binaries are readable\n"
		"                       here, frames get their file:line and the hottest\n"
		"                       functions' code is kept, for 'scorch annotate')\n"
		"  -h, --help           show this help\n"
		"\n"
		"  perf record -e cpu-clock -g -- PROG; perf script > PROG.perf\n"
		"  scorch import PROG.perf && scorch report PROG.scorch\n");
}

static int bad_usage(const char *fmt, const char *arg)
{
	return cli_bad_usage("import", usage, fmt, arg);
}

/* Reads all of stdin into a malloc'd, NUL-terminated buffer. 0 or -errno. */
static int read_stdin(char **buf, size_t *len)
{
	size_t cap = 65536, n = 0;
	char *b = xmalloc(cap);
	for (;;) {
		if (n + 1 >= cap)
			b = xrealloc(b, cap *= 2);
		size_t r = fread(b + n, 1, cap - n - 1, stdin);
		n += r;
		if (r == 0) {
			if (ferror(stdin)) {
				int e = errno ? errno : EIO;
				free(b);
				return -e;
			}
			break;
		}
	}
	b[n] = '\0';
	*buf = b;
	*len = n;
	return 0;
}

/* "x/run.perf" -> "x/run.scorch"; "x/run" -> "x/run.scorch". */
static char *default_output(const char *in)
{
	struct strbuf sb = STRBUF_INIT;
	const char *base = strrchr(in, '/');
	base = base ? base + 1 : in;
	const char *dot = strrchr(base, '.');
	size_t keep = dot && dot != base ? (size_t)(dot - in) : strlen(in);
	sb_add(&sb, in, keep);
	sb_adds(&sb, ".scorch");
	return sb_detach(&sb);
}

/* True for a line that ends in a count after a blank: "a;b;c 12". */
static bool folded_like(const char *s, size_t n)
{
	while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r'))
		n--;
	size_t d = 0;
	while (d < n && s[n - 1 - d] >= '0' && s[n - 1 - d] <= '9')
		d++;
	return d && d < n && (s[n - 1 - d] == ' ' || s[n - 1 - d] == '\t');
}

/* Tells the format from the first line that is not blank or a '#' comment.
 * Returns FMT_PERF or FMT_FOLDED, or -1 with the message in err. */
static int detect(const char *buf, size_t len, const char *name, char *err, size_t errlen)
{
	size_t lineno = 0;
	for (const char *p = buf, *end = buf + len; p < end;) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *le = nl ? nl : end;
		const char *s = p;
		size_t n = (size_t)(le - p);
		p = nl ? nl + 1 : end;
		lineno++;
		size_t k = 0;
		while (k < n && (s[k] == ' ' || s[k] == '\t' || s[k] == '\r'))
			k++;
		if (k == n || s[0] == '#')
			continue;
		if (import_perf_is_header(s, n))
			return FMT_PERF;
		if (folded_like(s, n))
			return FMT_FOLDED;
		/* an indented line first: perf frame lines without their header,
		 * which the perf reader then points at */
		if (s[0] == ' ' || s[0] == '\t')
			return FMT_PERF;
		snprintf(err, errlen, "%s:%zu: cannot tell the format: neither a perf script sample "
			 "header ('COMM TID TIME: PERIOD EVENT:') nor a folded stack ('a;b;c COUNT'); "
			 "give --format=perf or --format=folded", name, lineno);
		return -1;
	}
	snprintf(err, errlen, "%s: empty input: nothing to import", name);
	return -1;
}

/* Files that are not text this reads, with what to do instead. */
static const char *foreign(const char *buf, size_t len)
{
	if (len >= 8 && !memcmp(buf, "PERFILE2", 8))
		return "is a perf.data file: import its text, `perf script -i FILE > FILE.perf`";
	if (len >= 8 && !memcmp(buf, PROFILE_MAGIC, 8))
		return "is a scorch profile already: view it with `scorch report`";
	return NULL;
}

struct import_args {
	enum import_format format;
	const char *in, *out, *event;
	uint32_t hz;
	bool no_code;
};

static int import_options(int argc, char **argv, struct import_args *a)
{
	static const struct option opts[] = {
		{ "format", required_argument, NULL, 'F' },
		{ "output", required_argument, NULL, 'o' },
		{ "event", required_argument, NULL, 'e' },
		{ "hz", required_argument, NULL, 'z' },
		{ "no-code", no_argument, NULL, 'N' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;
	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":F:o:e:h", opts, NULL)) != -1) {
		switch (c) {
		case 'F':
			if (!strcmp(optarg, "perf"))
				a->format = FMT_PERF;
			else if (!strcmp(optarg, "folded"))
				a->format = FMT_FOLDED;
			else
				return bad_usage("unknown format '%s' (supported: perf, folded)", optarg);
			break;
		case 'o':
			a->out = optarg;
			break;
		case 'e':
			a->event = optarg;
			break;
		case 'N':
			a->no_code = true;
			break;
		case 'z': {
			uint64_t v;
			if (parse_rate(optarg, 1, 1000000000, &v))
				return bad_usage("--hz needs a rate from 1 to 1000000000 Hz, not '%s'", optarg);
			a->hz = (uint32_t)v;
			break;
		}
		default:
			return cli_getopt_end(c, "import", usage, argv);
		}
	}
	if (optind >= argc)
		return bad_usage("%s", "no input given (a file, or '-' for stdin)");
	if (argc - optind > 1)
		return bad_usage("imports one file at a time, got '%s' and more", argv[optind + 1]);
	a->in = argv[optind];
	return -1;
}

/* The lines that say what was imported and what was left out. */
static void summary(const struct sc_profile *p, const struct import_args *a,
		    const struct import_perf_info *pi, const char *name)
{
	fprintf(stderr, "scorch: imported %zu samples", p->nsamples);
	if (pi)
		fprintf(stderr, " of %s", term_safe(pi->event));
	fprintf(stderr, " (%zu thread%s, %zu stacks", p->nthreads, p->nthreads == 1 ? "" : "s",
		p->nstacks - 1);
	if (pi && pi->processes > 1)
		fprintf(stderr, ", %llu processes", (unsigned long long)pi->processes);
	fprintf(stderr, ") from %s\n", name);
	if (pi && pi->skipped)
		fprintf(stderr, "scorch: left out %llu samples of other events (%s); choose with "
			"--event=NAME\n", (unsigned long long)pi->skipped, term_safe(pi->skipped_events));
	if (pi && pi->processes > 1)
		fprintf(stderr, "scorch: the %llu processes are one profile with a thread per tid "
			"(report --threads, --thread=NAME)\n", (unsigned long long)pi->processes);
	if (pi && !pi->ns_weights)
		fprintf(stderr, "scorch: %s is not a time event or has no periods: samples are "
			"counted, not timed\n", term_safe(pi->event));
	if (!pi && !a->hz)
		fprintf(stderr, "scorch: folded counts carry no time: samples are counted, not "
			"timed (--hz=N gives each count 1/N s)\n");
}

int cmd_import(int argc, char **argv)
{
	struct import_args a = { FMT_AUTO, NULL, NULL, NULL, 0, false };
	int rc = import_options(argc, argv, &a);
	if (rc >= 0)
		return rc;

	bool is_stdin = !strcmp(a.in, "-");
	const char *name = is_stdin ? "<stdin>" : a.in;
	char err[1024];
	char *buf = NULL;
	size_t len = 0;
	if (is_stdin) {
		int e = read_stdin(&buf, &len);
		if (e) {
			error("cannot read stdin: %s", strerror(-e));
			return 1;
		}
	} else if (folded_read_file(a.in, &buf, &len, err, sizeof(err))) {
		error("%s", err);
		return 1;
	}
	const char *why = foreign(buf, len);
	if (why) {
		error("%s %s", name, why);
		free(buf);
		return 1;
	}
	enum import_format fmt = a.format;
	if (fmt == FMT_AUTO) {
		int d = detect(buf, len, name, err, sizeof(err));
		if (d < 0) {
			error("%s", err);
			free(buf);
			return 1;
		}
		fmt = (enum import_format)d;
	}
	if ((fmt == FMT_PERF && a.hz) || (fmt == FMT_FOLDED && a.event)) {
		error("%s is %s input: %s applies only to %s", name, fmt == FMT_PERF ? "perf" : "folded",
		      fmt == FMT_PERF ? "--hz" : "--event", fmt == FMT_PERF ? "folded" : "perf");
		free(buf);
		return 2;
	}

	struct sc_profile *p = NULL;
	struct import_perf_info pi = { 0 };
	size_t placed = 0;
	if (fmt == FMT_PERF) {
		struct import_perf_options po = { .event = a.event };
		rc = import_perf(buf, len, name, &po, &p, &pi, err, sizeof(err));
		/* the binaries at hand place the modules: lines, code, sources */
		if (!rc)
			placed = import_complete(p, pi.anchors, pi.nanchors, a.no_code);
	} else {
		rc = import_folded(buf, len, name, a.hz, &p, err, sizeof(err));
	}
	free(buf);
	if (rc) {
		error("%s", err);
		return 1;
	}

	char *out = a.out ? xstrdup(a.out) : default_output(is_stdin ? "perf" : a.in);
	int moved_old = 0;
	if (!is_stdin && !strcmp(out, a.in)) {
		error("the profile would overwrite %s; give another name with -o", a.in);
		rc = 1;
	} else if ((rc = profile_save(p, out, NULL, NF_KEEP_OLD | (a.out ? NF_NAMED : 0), &moved_old)) != 0) {
		error("cannot write %s: %s", out, newfile_strerror(rc));
		rc = 1;
	} else {
		if (moved_old)
			fprintf(stderr, "scorch: %s existed: renamed it to %s.old\n", out, out);
		summary(p, &a, fmt == FMT_PERF ? &pi : NULL, name);
		if (placed)
			fprintf(stderr, "scorch: %zu of %zu modules read here: their frames have lines%s\n", placed,
				p->nmodules, p->ncodes ? " and the hottest functions' code is kept (scorch annotate)" : "");
		fprintf(stderr, "scorch:   wrote %s\n", out);
		fprintf(stderr, "scorch: view with: scorch report %s\n", out);
	}
	free(out);
	profile_free(p);
	return rc;
}
