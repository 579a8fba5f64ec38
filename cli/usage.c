/* Usage errors and shared option values of the subcommands (see usage.h). */
#include "usage.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int cli_bad_usage(const char *cmd, usage_fn usage, const char *fmt, const char *arg)
{
	fprintf(stderr, "scorch %s: ", cmd);
	fprintf(stderr, fmt, arg);
	fputc('\n', stderr);
	(void)usage;    /* one line pointing at the help, not the whole help */
	cli_see_help(cmd);
	return 2;
}

void cli_see_help(const char *cmd)
{
	fprintf(stderr, "see 'scorch %s --help' (or 'scorch help %s')\n", cmd, cmd);
}

int cli_getopt_end(int c, const char *cmd, usage_fn usage, char **argv)
{
	if (c == 'h') {
		usage(stdout);
		return 0;
	}
	if (c == ':')
		return cli_bad_usage(cmd, usage, "option '%s' needs a value", argv[optind - 1]);
	if (optopt && optopt != '?') {
		/* a short option, maybe inside a cluster: argv names the cluster */
		char o[3] = { '-', (char)optopt, 0 };
		return cli_bad_usage(cmd, usage, "unknown option '%s'", o);
	}
	return cli_bad_usage(cmd, usage, "unknown option '%s'", argv[optind - 1]);
}

int cli_auto_color(void)
{
	const char *nc = getenv("NO_COLOR");
	return isatty(1) && !(nc && *nc);
}
