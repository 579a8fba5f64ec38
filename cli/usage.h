/* Usage errors of the subcommands, said one way: "scorch CMD: what is wrong",
 * then the command's usage, exit status 2. */
#ifndef SCORCH_CLI_USAGE_H
#define SCORCH_CLI_USAGE_H

#include <stdio.h>

typedef void (*usage_fn)(FILE *f);

/* Prints "scorch CMD: " fmt (with one string argument) and the usage on
 * stderr; returns 2, the exit status of a usage error. */
int cli_bad_usage(const char *cmd, usage_fn usage, const char *fmt, const char *arg);

/* The cases every getopt_long loop ends with: 'h' prints the usage on stdout
 * and gives 0, ':' (a missing value) and anything else unknown give 2 with
 * a message naming argv[optind - 1]. */
int cli_getopt_end(int c, const char *cmd, usage_fn usage, char **argv);

/* --color=auto: stdout is a terminal and NO_COLOR (no-color.org) is unset. */
int cli_auto_color(void);

#endif
