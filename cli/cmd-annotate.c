/* `scorch annotate`: where inside its hottest functions a CPU profile's time
 * goes, line by line in the source and instruction by instruction in the
 * machine code the profile keeps (perf annotate's job, from one profile file
 * that needs neither the binary nor the sources any more). */
#include <getopt.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../analysis/cpu.h"
#include "../analysis/folded-in.h"
#include "../analysis/merge.h"
#include "../analysis/profile-io.h"
#include "../lib/die.h"
#include "../lib/outfile.h"
#include "../lib/parse.h"
#include "../output/annotate.h"
#include "cmds.h"
#include "flame-common.h"
#include "usage.h"

#define LIMIT_DEFAULT 3
#define LIMIT_MATCHED 10

static void usage(FILE *f)
{
	fprintf(f,
		"usage: scorch annotate [options] FILE [FUNCTION]\n"
		"\n"
		"Shows where the CPU samples of profile FILE fall inside its hottest\n"
		"functions: each source line with the share of the samples running on it\n"
		"(self) and passing through it (total: calls made from that line), then\n"
		"the function's machine code, disassembled, with the share at each\n"
		"instruction under the source line it comes from. `scorch record` keeps the\n"
		"code and the source lines of the hottest functions in the profile, so\n"
		"this works after the binary and the sources are gone or have changed.\n"
		"\n"
		"FUNCTION picks the functions by name: an exact name, else a POSIX\n"
		"extended regular expression (`scorch annotate prof.scorch 'parse|lex'`).\n"
		"Without it the hottest functions by self samples are shown.\n"
		"\n"
		"  -n, --limit=N          functions to show (default %u, or %u matching\n"
		"                         FUNCTION; 0 = all)\n"
		"      --source           the source view only\n"
		"      --asm              the assembly view only\n"
		"  -M, --syntax=SYNTAX    att (default) or intel (x86)\n"
		"      --thread=TID|NAME  only the samples of that thread (a thread id, or a\n"
		"                         name: every thread of that name)\n"
		"      --json             one JSON document (docs/json.md)\n"
		"      --color=WHEN       auto (default), always or never\n"
		"  -o, --output=OUT       write to OUT ('-' = stdout, the default)\n"
		"  -h, --help             show this help\n",
		LIMIT_DEFAULT, LIMIT_MATCHED);
}

static int bad_usage(const char *fmt, const char *arg)
{
	return cli_bad_usage("annotate", usage, fmt, arg);
}

enum { OPT_SOURCE = 256, OPT_ASM, OPT_THREAD, OPT_JSON, OPT_COLOR };

/* The functions to show, into idx: those named `want` exactly, else those
 * whose name the regex matches, else (want NULL) all; by self samples, then
 * those with only total samples. Returns how many, or -1 for a bad regex. */
static long pick(const struct cpu_result *r, const char *want, uint32_t *idx, char *err, size_t errlen)
{
	uint32_t *self = xmalloc((r->nfuncs + 1) * sizeof(uint32_t));
	uint32_t *total = xmalloc((r->nfuncs + 1) * sizeof(uint32_t));
	size_t ns = cpu_funcs_sorted(r, CPU_SORT_SELF, self);
	size_t nt = cpu_funcs_sorted(r, CPU_SORT_TOTAL, total);
	/* the order: self first, then total-only */
	size_t n = 0;
	for (size_t i = 0; i < ns; i++)
		idx[n++] = self[i];
	for (size_t i = 0; i < nt; i++)
		if (!r->funcs[total[i]].self.samples)
			idx[n++] = total[i];
	free(self);
	free(total);
	if (!want)
		return (long)n;
	size_t m = 0;
	for (size_t i = 0; i < n; i++)
		if (!strcmp(r->funcs[idx[i]].name, want))
			idx[m++] = idx[i];
	if (m)
		return (long)m;
	regex_t re;
	int rc = regcomp(&re, want, REG_EXTENDED | REG_NOSUB);
	if (rc) {
		regerror(rc, &re, err, errlen);
		return -1;
	}
	for (size_t i = 0; i < n; i++)
		if (!regexec(&re, r->funcs[idx[i]].name, 0, NULL, 0))
			idx[m++] = idx[i];
	regfree(&re);
	return (long)m;
}

int cmd_annotate(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "limit", required_argument, NULL, 'n' },
		{ "source", no_argument, NULL, OPT_SOURCE },
		{ "asm", no_argument, NULL, OPT_ASM },
		{ "syntax", required_argument, NULL, 'M' },
		{ "thread", required_argument, NULL, OPT_THREAD },
		{ "json", no_argument, NULL, OPT_JSON },
		{ "color", required_argument, NULL, OPT_COLOR },
		{ "output", required_argument, NULL, 'o' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct annotate_options ao = { .source = true, .assembly = true, .disk_source = true };
	struct cpu_options co = { 0 };
	const char *output = NULL;
	size_t limit = 0;
	bool have_limit = false, only_source = false, only_asm = false;
	int color = 2, c;       /* 2: auto, decided once the output is known */

	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":n:M:o:h", opts, NULL)) != -1) {
		switch (c) {
		case 'n': {
			uint64_t v;
			if (parse_count(optarg, 0, UINT32_MAX, &v))
				return bad_usage("--limit wants a number, not '%s'", optarg);
			limit = (size_t)v;
			have_limit = true;
			break;
		}
		case OPT_SOURCE:
			only_source = true;
			break;
		case OPT_ASM:
			only_asm = true;
			break;
		case 'M':
			if (!strcmp(optarg, "intel"))
				ao.intel = true;
			else if (!strcmp(optarg, "att"))
				ao.intel = false;
			else
				return bad_usage("--syntax wants att or intel, not '%s'", optarg);
			break;
		case OPT_THREAD:
			if (!*optarg)
				return bad_usage("%s", "--thread wants a thread id or name");
			co.thread = optarg;
			break;
		case OPT_JSON:
			ao.json = true;
			break;
		case OPT_COLOR:
			if ((color = parse_color_when(optarg, 2)) < 0)
				return bad_usage("--color wants auto, always or never, not '%s'", optarg);
			break;
		case 'o':
			if (!*optarg)
				return bad_usage("%s", "-o needs a file name");
			output = optarg;
			break;
		default:
			return cli_getopt_end(c, "annotate", usage, argv);
		}
	}
	if (only_source && only_asm)
		return bad_usage("%s", "--source and --asm each show one view; give neither for both");
	if (only_source)
		ao.assembly = false;
	if (only_asm)
		ao.source = false;
	if (optind >= argc)
		return bad_usage("%s", "no profile given");
	if (argc - optind > 2)
		return bad_usage("takes one profile and one FUNCTION, got '%s' after them", argv[optind + 2]);
	const char *path = argv[optind], *want = argc - optind > 1 ? argv[optind + 1] : NULL;
	if (want && !*want)
		return bad_usage("%s", "FUNCTION is empty");
	if (want && !folded_is_profile(path) && folded_is_profile(want)) {
		fprintf(stderr, "scorch annotate: the profile comes first, then the function: "
			"'scorch annotate %s %s'\n", want, path);
		cli_see_help("annotate");
		return 2;
	}
	if (!have_limit)
		limit = want ? LIMIT_MATCHED : LIMIT_DEFAULT;

	struct sc_profile *p;
	char err[512];
	if (profile_read(path, &p, err, sizeof(err))) {
		error("%s", err);
		return 1;
	}
	if (!(p->flags & PROF_CPU) || !p->nsamples) {
		error("%s: no CPU samples to annotate (a heap profile? record one with 'scorch record')", path);
		profile_free(p);
		return 1;
	}
	struct cpu_result *r;
	if (cpu_analyze(p, &co, &r) != 0) {
		error("%s: cannot analyze the samples", path);
		profile_free(p);
		return 1;
	}
	int rc = 0;
	uint32_t *idx = xmalloc((r->nfuncs + 1) * sizeof(uint32_t));
	long n = pick(r, want, idx, err, sizeof(err));
	/* a run's first profile (a compiler driver's, a shell's): FUNCTION may
	 * have run in another process of the run. Code is a process's own, so
	 * annotate shows one process: the one whose profile has the most
	 * samples in the matching functions, said on stderr */
	char **rel = NULL;
	size_t nrel = 0;
	if (n == 0 && want)
		profile_run_files(p, path, &rel, &nrel);
	size_t best_k = 0;
	uint64_t best_w = 0;
	unsigned first_pid = p->pid;
	for (size_t k = 1; k < nrel; k++) {
		struct sc_profile *q;
		struct cpu_result *rq;
		char qerr[512];
		if (profile_read(rel[k], &q, qerr, sizeof(qerr)))
			continue;       /* the one given is the one said to be missing it */
		if (!(q->flags & PROF_CPU) || !q->nsamples || cpu_analyze(q, &co, &rq) != 0) {
			profile_free(q);
			continue;
		}
		uint32_t *iq = xmalloc((rq->nfuncs + 1) * sizeof(uint32_t));
		long m = pick(rq, want, iq, qerr, sizeof(qerr));
		uint64_t w = 0;
		for (long i = 0; i < m; i++)
			w += rq->funcs[iq[i]].total.samples;
		if (m > 0 && w > best_w) {
			free(idx);
			cpu_result_free(r);
			profile_free(p);
			p = q, r = rq, idx = iq, n = m;
			best_w = w;
			best_k = k;
		} else {
			free(iq);
			cpu_result_free(rq);
			profile_free(q);
		}
	}
	if (best_k) {
		fprintf(stderr, "scorch annotate: '%s' has no samples in %s (pid %u); it ran in %s (pid %u), "
			"a process of the same run: annotating that profile\n", want, path,
			first_pid, rel[best_k], p->pid);
		path = rel[best_k];
	}
	if (n < 0) {
		fprintf(stderr, "scorch annotate: bad FUNCTION '%s': %s\n", want, err);
		rc = 2;
	} else if (co.thread && !r->t.total.samples) {
		error("%s: no samples of thread '%s'", path, co.thread);
		rc = 1;
	} else if (n == 0) {
		error("%s: no function named or matching '%s' has samples", path, want ? want : "");
		rc = 1;
	} else {
		if (limit && (size_t)n > limit)
			n = (long)limit;
		ao.file = path;
		if (color == 2) /* auto: only when writing to the terminal */
			color = (!output || !strcmp(output, "-")) && cli_auto_color();
		ao.color = color && !ao.json;
		struct outfile of;
		if (outfile_open(&of, output))
			rc = 1;
		else {
			int wr = annotate_write(of.f, p, r, idx, (size_t)n, &ao);
			rc = outfile_close(&of, wr, wr < 0 ? -wr : 0) ? 1 : 0;
		}
	}
	free(idx);
	cpu_result_free(r);
	profile_free(p);
	for (size_t k = 0; k < nrel; k++)
		free(rel[k]);
	free(rel);
	return rc;
}
