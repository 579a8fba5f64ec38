/* `scorch record`: run a program with every thread's CPU time sampled (and
 * optionally every heap call recorded), then summarize each profile. */
#include <errno.h>
#include <getopt.h>
#include <stdint.h>
#include <unistd.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../analysis/cpu.h"
#include "../analysis/heap.h"
#include "../lib/die.h"
#include "../lib/parse.h"
#include "../lib/strbuf.h"
#include "../lib/vec.h"
#include "../output/notes.h"
#include "../output/report-heap.h"
#include "../output/term.h"
#include "attach.h"
#include "continuous.h"
#include "cmds.h"
#include "session.h"
#include "usage.h"

#define MAX_HZ 100000

static void usage(FILE *f)
{
	fprintf(f,
		"usage: scorch record [-F HZ] [--wall] [--heap] [-o FILE] [--depth N] [--no-follow] [--no-code] [--] PROGRAM [ARGS...]\n"
		"       scorch record -p PID[,PID...] [--duration SECONDS] [-F HZ] [-o FILE] [--depth N] [--no-code]\n"
		"       scorch record -a [--duration SECONDS] [-F HZ] [--depth N] [--no-code]\n"
		"\n"
		"Runs PROGRAM with the CPU time of every thread sampled HZ times per second\n"
		"of CPU time (perf cpu-clock per thread, a CPU-time timer where perf events\n"
		"are refused), and writes PROGRAM.PID.scorch (one per process). View it with\n"
		"'scorch report FILE'.\n"
		"\n"
		"With -p, samples processes that already run, from outside: nothing is\n"
		"preloaded, and they are neither stopped nor changed (perf cpu-clock per\n"
		"thread, user stacks unwound with DWARF CFI as perf --call-graph dwarf\n"
		"does; kernel frames too where the kernel allows them: root, or\n"
		"kernel.perf_event_paranoid 1 or less). Stops on ^C, after --duration, or\n"
		"when they have all exited, and writes PROGRAM.PID.scorch for each. CPU\n"
		"samples only: heap tracking, --wall and --calls need the preload.\n"
		"\n"
		"  -p, --pid PID[,PID...]  attach to these running processes\n"
		"  -a, --all-cpus          every process on the system (root, CAP_PERFMON or\n"
		"                     perf_event_paranoid 0 or less): a profile for each one\n"
		"                     that had samples\n"
		"      --duration SECONDS  with -p or -a: stop after this long (e.g. 10, 1.5s, 500ms)\n"
		"  -F, --freq HZ      samples per CPU second and thread (1-%d, default 999)\n"
		"      --wall         wall-clock profile: also the time threads spend blocked\n"
		"                     (sleeping, waiting on locks, I/O), as off-CPU samples\n"
		"      --heap         also record every heap allocation (inflates CPU figures)\n"
		"      --calls        record every call of the functions of a program built\n"
		"                     with -finstrument-functions, as zones ('scorch report\n"
		"                     --zones'); the options below imply it:\n"
		"      --calls-filter=REGEX   only functions matching REGEX (POSIX extended, on\n"
		"                     the symbol or C++ qualified name) and what they call\n"
		"      --calls-exclude=REGEX  not functions matching REGEX (what they call is)\n"
		"      --calls-depth=N        only calls at most N deep (counting recorded calls)\n"
		"      --calls-min=DURATION   calls shorter than DURATION (e.g. 10us) are counted\n"
		"                     per function but not recorded one by one\n"
		"      --spans=N      keep at most N zone spans one by one (default 250000,\n"
		"                     0 all) for the flame chart and exports: the longest;\n"
		"                     every span counts in 'report --zones' all the same\n"
		"  -o, --output FILE  write the program's profile to FILE\n"
		"      --depth N      keep at most N frames per stack (1-1024, default 128)\n"
		"      --no-follow    do not record forked children\n"
		"      --no-code      keep no machine code or source lines in the profile\n"
		"                     (by default those of the hottest functions are kept,\n"
		"                     for 'scorch annotate' once the binary or sources are gone)\n"
		"  -g                 accepted as perf takes it (as is --call-graph=fp|dwarf):\n"
		"                     scorch always records the whole stack of every\n"
		"                     sample, however the program was built (see --depth)\n"
		"  -h, --help         show this help\n", MAX_HZ);
	continuous_usage(f);
}

/* The end-of-run summary of one profile. */
static int calls_requested;

/* Zones, marks and counters of the profile, and what went wrong with them. */
static void summarize_zones(struct strbuf *sb, const struct sc_profile *p)
{
	size_t funcs = 0, drops = 0, spans = p->have_zone_stats ? p->zone_spans_total : p->nzones;
	if (p->have_zone_stats) {
		for (size_t i = 0; i < p->nzone_stats; i++)
			if (p->zone_names[p->zone_stats[i].name].kind == ZONE_KIND_FUNC)
				funcs += p->zone_stats[i].calls;
	} else {
		for (size_t i = 0; i < p->nzones; i++)
			funcs += p->zone_names[p->zones[i].name].kind == ZONE_KIND_FUNC;
	}
	for (size_t i = 0; i < p->nzone_drops; i++)
		drops += p->zone_drops[i].calls;
	if (spans || p->nmarks || p->ncounters || drops) {
		sb_adds(sb, "scorch:   ");
		term_count(sb, spans);
		sb_addf(sb, " zone span%s", spans == 1 ? "" : "s");
		if (funcs) {
			sb_adds(sb, " (");
			term_count(sb, funcs);
			sb_adds(sb, " traced calls)");
		}
		if (p->zone_keep_ns) {
			sb_adds(sb, ", ");
			term_count(sb, p->nzones);
			sb_adds(sb, " of at least ");
			term_duration(sb, p->zone_keep_ns);
			sb_adds(sb, " kept one by one (--spans)");
		}
		if (drops) {
			sb_adds(sb, ", ");
			term_count(sb, drops);
			sb_adds(sb, " calls below --calls-min counted");
		}
		if (p->nmarks || p->ncounters) {
			sb_adds(sb, ", ");
			term_count(sb, p->nmarks);
			sb_addf(sb, " mark%s, ", p->nmarks == 1 ? "" : "s");
			term_count(sb, p->ncounters);
			sb_addf(sb, " counter value%s", p->ncounters == 1 ? "" : "s");
		}
		sb_adds(sb, "; see 'scorch report --zones'\n");
	}
	if (p->nzone_errors)
		sb_addf(sb, "scorch:   warning: %zu mismatched scorch_zone_end() call%s (see 'scorch report --zones')\n",
			p->nzone_errors, p->nzone_errors == 1 ? "" : "s");
	if (calls_requested && !funcs && !drops)
		sb_adds(sb, "scorch:   --calls: no instrumented function ran (build the program with "
			    "-finstrument-functions)\n");
}

static char *summarize(const struct sc_profile *p, const struct heap_totals *precomputed)
{
	(void)precomputed;
	struct strbuf sb = STRBUF_INIT;
	sb_adds(&sb, "scorch: ");
	term_esc(&sb, p->argc ? p->argv[0] : p->exe);   /* names from the program: escaped */
	sb_addf(&sb, " (pid %u)", p->pid);
	if (p->exit_kind == EXIT_NORMAL)
		sb_addf(&sb, ", exit status %d", p->exit_value);
	else if (p->exit_kind == EXIT_SIGNAL)
		sb_addf(&sb, ", killed by signal %d (%s)", p->exit_value, strsignal(p->exit_value));
	else if (p->exit_kind == EXIT_EXEC)
		sb_adds(&sb, ", replaced by exec");
	sb_addc(&sb, '\n');
	if (p->flags & PROF_CPU) {
		size_t oncpu = 0;
		for (size_t i = 0; i < p->nsamples; i++)
			oncpu += !p->samples[i].offcpu;
		sb_adds(&sb, "scorch:   ");
		term_count(&sb, p->nsamples);
		sb_addf(&sb, " sample%s from %s at %u Hz requested", p->nsamples == 1 ? "" : "s",
			p->sample_source, p->sample_hz);
		if (p->cpu_time_ns) {
			/* samples per second of CPU time the process used: what the
			 * rate promises, whatever the number of threads */
			double achieved = (double)oncpu * 1e9 / (double)p->cpu_time_ns;
			sb_addf(&sb, ", %.0f Hz achieved over ", achieved);
			term_duration(&sb, p->cpu_time_ns);
			sb_adds(&sb, " of CPU");
		}
		sb_addf(&sb, "; %zu thread%s\n", p->nthreads, p->nthreads == 1 ? "" : "s");
		if (p->perf_errno) {
			sb_adds(&sb, "scorch:   ");
			cpu_refusal_note(&sb, p->perf_errno);
			sb_addc(&sb, '\n');
		}
		if (p->flags & PROF_WALL) {
			size_t off = 0;
			for (size_t i = 0; i < p->nsamples; i++)
				off += p->samples[i].offcpu;
			sb_adds(&sb, "scorch:   wall clock: ");
			term_count(&sb, p->nsamples - off);
			sb_adds(&sb, " on-CPU and ");
			term_count(&sb, off);
			sb_adds(&sb, " off-CPU samples\n");
		}
	} else {
		sb_adds(&sb, "scorch:   no CPU samples (sampling was refused in this process)\n");
	}
	summarize_zones(&sb, p);
	if (p->flags & PROF_STALE)
		sb_adds(&sb, "scorch:   warning: a binary or library changed on disk while the program ran (its build id differs): its frames are named by module and offset\n");
	notes_text(&sb, p, "scorch:   ", term_colors(false));
	report_lost_events(&sb, p, "scorch:   ", term_colors(false));
	if (p->flags & PROF_INCOMPLETE)
		sb_adds(&sb, "scorch:   warning: the process ended without a final flush (SIGKILL, or an exit straight through the exit_group system call, as Go programs end); "
			     "the last buffered samples of each thread are missing\n");
	return sb_detach(&sb);
}

/* A --calls-filter/--calls-exclude regex must compile: the runtime would
 * only say so on the program's stderr. */
static void check_regex(const char *opt, const char *re)
{
	regex_t rx;
	int e = regcomp(&rx, re, REG_EXTENDED | REG_NOSUB);
	if (e) {
		char msg[256];
		regerror(e, &rx, msg, sizeof(msg));
		die("bad %s '%s': %s", opt, re, msg);
	}
	regfree(&rx);
}

/* The runtime reads the call filters from the environment it inherits;
 * settings from an outer environment must not leak in. */
static void calls_env(const char *filter, const char *exclude, unsigned long depth, uint64_t min_ns)
{
	char num[32];
	if (filter)
		setenv("SCORCH_CALLS_FILTER", filter, 1);
	else
		unsetenv("SCORCH_CALLS_FILTER");
	if (exclude)
		setenv("SCORCH_CALLS_EXCLUDE", exclude, 1);
	else
		unsetenv("SCORCH_CALLS_EXCLUDE");
	/* 0 (no limit) is what the runtime assumes when they are absent */
	snprintf(num, sizeof(num), "%lu", depth);
	if (depth)
		setenv("SCORCH_CALLS_DEPTH", num, 1);
	else
		unsetenv("SCORCH_CALLS_DEPTH");
	snprintf(num, sizeof(num), "%llu", (unsigned long long)min_ns);
	if (min_ns)
		setenv("SCORCH_CALLS_MIN", num, 1);
	else
		unsetenv("SCORCH_CALLS_MIN");
}

/* record -p: the list of pids checked, then attach.c. */
static int record_attach(struct session_opts *so, const char *list, uint64_t duration, int nprog, char **prog,
			 int heap, int wall)
{
	const char *opt = list ? "-p" : "-a";
	if (nprog > 0)
		die("%s attaches to running processes: give no program to run as well (found '%s')", opt, prog[0]);
	if (heap || wall || calls_requested)
		die("%s needs scorch's library preloaded into the program: it cannot attach to a running "
		    "process; run the program under 'scorch record' instead", heap ? "--heap" : wall ? "--wall" : "--calls");
	if (!so->follow)
		die("--no-follow is for programs run by scorch: %s samples running processes", opt);
	VEC(int) pids = { 0 };
	const char *q = list;
	while (q) {
		char *end;
		errno = 0;
		long v = strtol(q, &end, 10);
		if (end == q || errno || v <= 0 || v > INT32_MAX || (*end && *end != ','))
			die("-p takes process ids separated by commas, e.g. -p 1234,5678, not '%s'", list);
		for (size_t i = 0; i < pids.len; i++)
			if (pids.data[i] == (int)v)
				die("-p: process %ld is given twice", v);
		if (v == (long)getpid())
			die("-p: %ld is scorch itself", v);
		VEC_PUSH(&pids, (int)v);
		q = *end ? end + 1 : NULL;
	}
	if (continuous_wanted()) {
		int cc = continuous_record(so, pids.data, pids.len, duration);
		VEC_FREE(&pids);
		return cc;
	}
	struct session_result r;
	attach_run(so, pids.data, pids.len, duration, &r);
	session_print(&r);
	int code = r.exit_code;
	session_result_release(&r);
	VEC_FREE(&pids);
	return code;
}

int cmd_record(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "freq", required_argument, NULL, 'F' },
		{ "heap", no_argument, NULL, 'H' },
		{ "wall", no_argument, NULL, 'W' },
		{ "output", required_argument, NULL, 'o' },
		{ "depth", required_argument, NULL, 'd' },
		{ "no-follow", no_argument, NULL, 'N' },
		{ "no-code", no_argument, NULL, 1005 },
		{ "spans", required_argument, NULL, 1006 },
		{ "calls", no_argument, NULL, 'C' },
		{ "calls-filter", required_argument, NULL, 1001 },
		{ "calls-exclude", required_argument, NULL, 1002 },
		{ "calls-depth", required_argument, NULL, 1003 },
		{ "calls-min", required_argument, NULL, 1004 },
		{ "pid", required_argument, NULL, 'p' },
		{ "all-cpus", no_argument, NULL, 'a' },
		{ "duration", required_argument, NULL, 1007 },
		CONTINUOUS_OPTIONS,
		{ "call-graph", required_argument, NULL, 1008 },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct session_opts so = { .mode = "cpu", .depth = 128, .follow = 1, .hz = 999,
				   .summarize = summarize };
	int c, heap = 0, wall = 0;
	const char *calls_filter = NULL, *calls_exclude = NULL;
	unsigned long calls_depth = 0;
	uint64_t calls_min = 0;
	const char *pid_list = NULL;
	int all = 0;
	uint64_t duration = 0;
	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, "+:F:o:p:agh", opts, NULL)) != -1) {
		uint64_t v;
		switch (c) {
		case 'F':
			if (parse_rate(optarg, 1, MAX_HZ, &v))
				die("-F takes a sampling rate from 1 to %d Hz, not '%s'", MAX_HZ, optarg);
			so.hz = (int)v;
			break;
		case 'H':
			heap = 1;
			break;
		case 'W':
			wall = 1;
			break;
		case 'o':
			so.output = optarg;
			break;
		case 'd':
			if (parse_count(optarg, 1, 1024, &v))
				die("--depth takes a number of frames from 1 to 1024, not '%s'", optarg);
			so.depth = (int)v;
			break;
		case 'N':
			so.follow = 0;
			break;
		case 'C':
			calls_requested = 1;
			break;
		case 1005:
			so.no_code = 1;
			break;
		case 1006:
			if (parse_count(optarg, 0, 1000000000, &v))
				die("--spans takes a number of spans (0 for all), not '%s'", optarg);
			so.spans = v ? (long)v : -1;
			break;
		case 1001:
		case 1002:
			check_regex(c == 1001 ? "--calls-filter" : "--calls-exclude", optarg);
			*(c == 1001 ? &calls_filter : &calls_exclude) = optarg;
			calls_requested = 1;
			break;
		case 1003:
			if (parse_count(optarg, 1, 4096, &v))
				die("--calls-depth takes a depth from 1 to 4096, not '%s'", optarg);
			calls_depth = (unsigned long)v;
			calls_requested = 1;
			break;
		case 1004:
			if (parse_duration(optarg, &calls_min) || !calls_min)
				die("--calls-min takes a positive duration with a unit (ns, us, ms, s), e.g. 10us, not '%s'",
				    optarg);
			calls_requested = 1;
			break;
		case 'p':
			pid_list = optarg;
			break;
		case 'a':
			all = 1;
			break;
		CONTINUOUS_CASES:
			continuous_option(c, optarg);
			break;
		case 1007: {
			/* plain seconds, or a duration with its unit */
			char *end;
			double sec = strtod(optarg, &end);
			if (end != optarg && !*end && sec > 0 && sec < 1e9)
				duration = (uint64_t)(sec * 1e9);
			else if (parse_duration(optarg, &duration) || !duration)
				die("--duration takes a positive number of seconds (or a duration with its unit: "
				    "500ms, 2s), not '%s'", optarg);
			break;
		}
		case 'g':       /* perf's habits: stacks are always recorded */
			break;
		case 1008:
			if (strcmp(optarg, "fp") && strcmp(optarg, "dwarf") && strncmp(optarg, "fp,", 3) &&
			    strncmp(optarg, "dwarf,", 6) && strcmp(optarg, "lbr"))
				return cli_bad_usage("record", usage, "--call-graph takes perf's fp, dwarf or lbr "
						     "(and scorch records whole stacks anyway), not '%s'", optarg);
			break;
		default:
			return cli_getopt_end(c, "record", usage, argv);
		}
	}
	if (pid_list && all)
		die("-p and -a: give one (-a samples every process)");
	if (all && so.output)
		die("-a writes a profile per process (PROGRAM.PID.scorch): -o names one file");
	if (pid_list || all)
		return record_attach(&so, pid_list, duration, argc - optind, argv + optind, heap, wall);
	if (continuous_wanted()) {
		if (duration)
			die("--duration goes with -p or -a; a program run by scorch is profiled until it exits");
		if (optind >= argc)
			return cli_bad_usage("record", usage, "%s", "no program given");
		if (heap || wall || calls_requested)
			die("--every samples the program from outside: %s needs scorch's library preloaded",
			    heap ? "--heap" : wall ? "--wall" : "--calls");
		return continuous_program(&so, argv + optind);
	}
	if (duration)
		die("--duration goes with -p or -a (running processes); a program run by scorch "
		    "is recorded until it exits");
	if (optind >= argc)
		return cli_bad_usage("record", usage, "%s", "no program given");
	so.mode = heap && wall ? "cpu,wall,heap" : heap ? "cpu,heap" : wall ? "cpu,wall" : "cpu";
	struct strbuf mode = STRBUF_INIT;
	sb_adds(&mode, so.mode);
	if (calls_requested) {
		sb_adds(&mode, ",calls");
		so.mode = sb_str(&mode);
	}
	calls_env(calls_filter, calls_exclude, calls_depth, calls_min);
	so.argv = argv + optind;
	struct session_result r;
	session_run(&so, &r);
	session_print(&r);
	int code = r.exit_code;
	session_result_release(&r);
	sb_release(&mode);
	return code;
}
