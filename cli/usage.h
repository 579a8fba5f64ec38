/* Usage errors of the subcommands, said one way: "scorch CMD: what is wrong",
 * then a line pointing at the command's --help, exit status 2. */
#ifndef SCORCH_CLI_USAGE_H
#define SCORCH_CLI_USAGE_H

#include <stdio.h>

typedef void (*usage_fn)(FILE *f);

/* Prints "scorch CMD: " fmt (with one string argument) and one line pointing
 * at 'scorch CMD --help' on stderr (not the whole usage: the error stays in
 * sight); returns 2, the exit status of a usage error. */
int cli_bad_usage(const char *cmd, usage_fn usage, const char *fmt, const char *arg);

/* The line that ends every usage error: "see 'scorch CMD --help' ...". */
void cli_see_help(const char *cmd);

/* The cases every getopt_long loop ends with: 'h' prints the usage on stdout
 * and gives 0, ':' (a missing value) and anything else unknown give 2 with
 * a message naming argv[optind - 1]. */
int cli_getopt_end(int c, const char *cmd, usage_fn usage, char **argv);

/* --color=auto: stdout is a terminal and NO_COLOR (no-color.org) is unset. */
int cli_auto_color(void);

/* Optimal string alignment distance (Damerau-Levenshtein with adjacent
 * transpositions counted once) of a[0, n) and b[0, m), as git's "did you
 * mean" weighs typos; SIZE_MAX past 64 characters. */
size_t edit_distance(const char *a, size_t n, const char *b, size_t m);

#endif
