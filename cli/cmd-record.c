/* `scorch record`: run a program with every thread's CPU time sampled (and
 * optionally every heap call recorded), then summarize each profile. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../analysis/heap.h"
#include "../lib/die.h"
#include "../lib/strbuf.h"
#include "../output/term.h"
#include "cmds.h"
#include "session.h"

#define MAX_HZ 100000

static void usage(FILE *f)
{
	fprintf(f,
		"usage: scorch record [-F HZ] [--wall] [--heap] [-o FILE] [--depth N] [--no-follow] [--] PROGRAM [ARGS...]\n"
		"\n"
		"Runs PROGRAM with the CPU time of every thread sampled HZ times per second\n"
		"of CPU time (perf cpu-clock per thread, a CPU-time timer where perf events\n"
		"are refused), and writes PROGRAM.PID.scorch (one per process). View it with\n"
		"'scorch report FILE'.\n"
		"\n"
		"  -F, --freq HZ      samples per CPU second and thread (1-%d, default 999)\n"
		"      --wall         wall-clock profile: also the time threads spend blocked\n"
		"                     (sleeping, waiting on locks, I/O), as off-CPU samples\n"
		"      --heap         also record every heap allocation (inflates CPU figures)\n"
		"  -o, --output FILE  write the program's profile to FILE\n"
		"      --depth N      keep at most N frames per stack (1-1024, default 128)\n"
		"      --no-follow    do not record forked children\n"
		"  -h, --help         show this help\n", MAX_HZ);
}

/* The end-of-run summary of one profile. */
static char *summarize(const struct sc_profile *p, const struct heap_totals *precomputed)
{
	(void)precomputed;
	struct strbuf sb = STRBUF_INIT;
	sb_addf(&sb, "scorch: %s (pid %u)", p->argc ? p->argv[0] : p->exe, p->pid);
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
	if (p->flags & PROF_INCOMPLETE)
		sb_adds(&sb, "scorch:   warning: the process ended without a final flush (SIGKILL?); "
			     "the last buffered samples of each thread are missing\n");
	return sb_detach(&sb);
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
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct session_opts so = { .mode = "cpu", .depth = 128, .follow = 1, .hz = 999,
				   .summarize = summarize };
	int c, heap = 0, wall = 0;
	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, "+F:o:h", opts, NULL)) != -1) {
		char *end;
		long v;
		switch (c) {
		case 'F':
			v = strtol(optarg, &end, 10);
			if (*end || v < 1 || v > MAX_HZ)
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
			v = strtol(optarg, &end, 10);
			if (*end || v < 1 || v > 1024)
				die("--depth takes a number of frames from 1 to 1024, not '%s'", optarg);
			so.depth = (int)v;
			break;
		case 'N':
			so.follow = 0;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			fprintf(stderr, "scorch record: unknown or incomplete option '%s'\n", argv[optind - 1]);
			usage(stderr);
			return 2;
		}
	}
	if (optind >= argc) {
		fprintf(stderr, "scorch record: no program given\n");
		usage(stderr);
		return 2;
	}
	so.mode = heap && wall ? "cpu,wall,heap" : heap ? "cpu,heap" : wall ? "cpu,wall" : "cpu";
	so.argv = argv + optind;
	struct session_result r;
	session_run(&so, &r);
	session_print(&r);
	int code = r.exit_code;
	session_result_release(&r);
	return code;
}
