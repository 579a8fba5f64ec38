/* scorch's entry point: the command table and top-level usage, after git's. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmds.h"
#include "usage.h"

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
	{ "push", cmd_push, "send profiles to a Pyroscope server (pprof through its /ingest API)" },
};

static void usage(FILE *f)
{
	fprintf(f, "usage: scorch <command> [options] [-- program args...]\n\ncommands:\n");
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(f, "  %-8s %s\n", commands[i].name, commands[i].help);
	fprintf(f, "\n'scorch help <command>' or 'scorch <command> --help' describes a command;\n"
		   "'man scorch-<command>' the same; docs/guide.md has the tour.\n");
}

#define NCOMMANDS (sizeof(commands) / sizeof(commands[0]))

/* An unknown command: the closest ones if a typo away (at most 2 edits, and
 * fewer than half the word), or a command the word starts; else the list. */
static int unknown_command(const char *what)
{
	size_t best = SIZE_MAX;
	for (size_t i = 0; i < NCOMMANDS; i++) {
		size_t d = edit_distance(what, strlen(what), commands[i].name, strlen(commands[i].name));
		if (!strncmp(commands[i].name, what, strlen(what)) && strlen(what) >= 2)
			d = 1;  /* an unambiguous-enough prefix: 'rep' */
		if (d < best)
			best = d;
	}
	fprintf(stderr, "scorch: '%s' is not a scorch command", what);
	if (best <= 2 && best * 2 < strlen(what) + 1) {
		const char *sep = "; did you mean ";
		for (size_t i = 0; i < NCOMMANDS; i++) {
			size_t d = edit_distance(what, strlen(what), commands[i].name, strlen(commands[i].name));
			if (!strncmp(commands[i].name, what, strlen(what)) && strlen(what) >= 2)
				d = 1;
			if (d == best) {
				fprintf(stderr, "%s'%s'", sep, commands[i].name);
				sep = " or ";
			}
		}
		fputs("?\n", stderr);
	} else {
		fputs("; the commands are:", stderr);
		for (size_t i = 0; i < NCOMMANDS; i++)
			fprintf(stderr, " %s%s", commands[i].name, i + 1 < NCOMMANDS ? "," : "\n");
	}
	fputs("see 'scorch --help'\n", stderr);
	return 2;
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") ||
	    (!strcmp(argv[1], "help") && argc == 2)) {
		usage(stdout);
		return 0;
	}
	if (!strcmp(argv[1], "--version") || !strcmp(argv[1], "version")) {
		printf("scorch %s\n", SCORCH_VERSION);
		return 0;
	}
	if (!strcmp(argv[1], "help")) {
		/* `scorch help CMD` is `scorch CMD --help` */
		if (argc > 3) {
			fprintf(stderr, "scorch help: takes one command, got '%s' after '%s'\n", argv[3], argv[2]);
			return 2;
		}
		for (size_t i = 0; i < NCOMMANDS; i++)
			if (!strcmp(argv[2], commands[i].name)) {
				char *hargv[] = { argv[2], (char *)"--help", NULL };
				return commands[i].fn(2, hargv);
			}
		return unknown_command(argv[2]);
	}
	for (size_t i = 0; i < NCOMMANDS; i++)
		if (!strcmp(argv[1], commands[i].name))
			return commands[i].fn(argc - 1, argv + 1);
	if (argv[1][0] == '-') {
		fprintf(stderr, "scorch: unknown option '%s': options go after the command "
			"(scorch COMMAND [options])\nsee 'scorch --help'\n", argv[1]);
		return 2;
	}
	return unknown_command(argv[1]);
}
