/* The profiles of one run as one view (report, flame, html, diff, export):
 * --merge reads every profile of the run (the files given, and the relatives
 * the run's first profile lists) and merges them (analysis/merge.h) with the
 * process as the top frame; --by-process keeps each file apart, as the
 * commands did before runs were merged. Errors are printed here. */
#ifndef SCORCH_CLI_RUN_INPUT_H
#define SCORCH_CLI_RUN_INPUT_H

#include <stdbool.h>

#include "../analysis/profile.h"

enum run_mode {
	RUN_DEFAULT = 0,    /* the command's default (see each command) */
	RUN_MERGE,          /* --merge */
	RUN_BY_PROCESS,     /* --by-process */
};

/* Reads files[0..n) as one profile. With one file and mode other than
 * RUN_MERGE, that file as it is (read lazily). Otherwise each file that
 * lists relatives (the run's first profile) brings them in, a file named
 * twice counts once, and all are merged. *out is the caller's
 * (profile_free). Returns 0, or -1 after printing why. */
int run_load(char **files, int n, enum run_mode mode, struct sc_profile **out);

/* Sets *mode from --merge (merge true) or --by-process; -1 after printing
 * a usage error when both were given (then returns 2 through cli_bad_usage
 * of cmd: the caller returns what this returns when it is not 0). */
int run_mode_check(const char *cmd, bool merge, bool by_process, enum run_mode *mode);

#endif
