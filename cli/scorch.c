/* scorch's entry point: the command table and top-level usage, after git's. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmds.h"

static const struct command {
	const char *name;
	int (*fn)(int, char **);
	const char *help;
} commands[] = {
	{ "record", cmd_record, "run a program and sample where every thread spends CPU time" },
	{ "heap", cmd_heap, "run a program and record every heap allocation with its stack" },
	{ "report", cmd_report, "print the reports of one or more profiles (--json for CI)" },
	{ "export", cmd_export, "convert a profile for other tools: folded, pprof, speedscope, chrome, dhat, massif" },
	{ "flame", cmd_flame, "draw a profile as an interactive flame graph or flame chart (SVG)" },
	{ "diff", cmd_diff, "compare two profiles: what changed most, and a differential flame graph" },
	{ "import", cmd_import, "turn perf script output or folded stacks into a profile" },
	{ "annotate", cmd_annotate, "show the hottest functions' source lines and instructions with their samples" },
	{ "html", cmd_html, "write a self-contained HTML report: flamegraph, heap chart, tables" },
};

static void usage(FILE *f)
{
	fprintf(f, "usage: scorch <command> [options] [-- program args...]\n\ncommands:\n");
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(f, "  %-8s %s\n", commands[i].name, commands[i].help);
	fprintf(f, "\n'scorch <command> --help' describes a command; docs/guide.md has the tour.\n");
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
		usage(stdout);
		return 0;
	}
	if (!strcmp(argv[1], "--version")) {
		printf("scorch %s\n", SCORCH_VERSION);
		return 0;
	}
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (!strcmp(argv[1], commands[i].name))
			return commands[i].fn(argc - 1, argv + 1);
	fprintf(stderr, "scorch: unknown command '%s'\n", argv[1]);
	usage(stderr);
	return 2;
}
