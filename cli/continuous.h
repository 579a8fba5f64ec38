/* Continuous profiling: `scorch record --every T -p PID` / `-a` (see continuous.c). */
#ifndef SCORCH_CLI_CONTINUOUS_H
#define SCORCH_CLI_CONTINUOUS_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "push.h"
#include "session.h"

struct continuous_opts {
	uint64_t every_ns;          /* interval length */
	const struct push_conf *push; /* where to send each interval, or NULL */
	const char *save_dir;       /* write PROG.PID.N.scorch here, or NULL */
	unsigned push_wait_ms;      /* at the end, how long the pusher may still try */
};

/* Samples the running processes pids[0..n) (n 0: the whole system) as
 * attach_run() does, but cuts the samples every c->every_ns into a profile
 * of that interval, which a child process finalizes while the sampling goes
 * on, writes (c->save_dir) and queues for the pusher (c->push). Ends on a
 * signal, duration_ns (0: none) or the processes' exit. Returns the exit
 * code. */
int continuous_run(const struct session_opts *o, const int *pids, size_t n, uint64_t duration_ns,
		   const struct continuous_opts *c);


/* record's options for continuous mode, kept here so that cmd-record.c
 * only lists them: CONTINUOUS_OPTIONS goes into its getopt_long table,
 * CONTINUOUS_CASES labels its switch cases, which call
 * continuous_option(); continuous_usage() prints their help. */
#define CONTINUOUS_OPTIONS \
	{ "every", required_argument, NULL, 1100 }, \
	{ "push", required_argument, NULL, 1101 }, \
	{ "app", required_argument, NULL, 1102 }, \
	{ "label", required_argument, NULL, 1103 }, \
	{ "save", required_argument, NULL, 1104 }, \
	{ "spool", required_argument, NULL, 1105 }, \
	{ "spool-max", required_argument, NULL, 1106 }, \
	{ "push-wait", required_argument, NULL, 1107 }
#define CONTINUOUS_CASES case 1100: case 1101: case 1102: case 1103: case 1104: case 1105: case 1106: case 1107
void continuous_option(int c, const char *arg);
void continuous_usage(FILE *f);
/* Whether --every was given; the other continuous options without it end
 * scorch with a message. */
int continuous_wanted(void);
/* record -p/-a with --every: checks the options, then continuous_run(). */
int continuous_record(const struct session_opts *o, const int *pids, size_t n, uint64_t duration_ns);
/* record --every -- PROGRAM ARGS: runs argv as it is (nothing preloaded)
 * and profiles it from outside as -p does, from its exec to its exit.
 * Returns its exit status (128 + signal), or continuous_record()'s when
 * that is 0. */
int continuous_program(const struct session_opts *o, char **argv);

#endif
