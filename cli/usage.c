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
	usage(stderr);
	return 2;
}

int cli_getopt_end(int c, const char *cmd, usage_fn usage, char **argv)
{
	if (c == 'h') {
		usage(stdout);
		return 0;
	}
	if (c == ':')
		return cli_bad_usage(cmd, usage, "option '%s' needs a value", argv[optind - 1]);
	return cli_bad_usage(cmd, usage, "unknown option '%s'", argv[optind - 1]);
}

int cli_auto_color(void)
{
	const char *nc = getenv("NO_COLOR");
	return isatty(1) && !(nc && *nc);
}
