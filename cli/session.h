/* A recording session: launch the program with the runtime preloaded, sample
 * its RSS while it runs, wait for it and every descendant, then finalize each
 * raw stream into a profile file. Shared by the recording subcommands. */
#ifndef SCORCH_CLI_SESSION_H
#define SCORCH_CLI_SESSION_H

#include <limits.h>
#include <stddef.h>

#include "../analysis/heap.h"
#include "../analysis/profile.h"

struct session_opts {
	const char *mode;         /* SCORCH_MODE for the runtime, e.g. "heap" */
	const char *output;       /* -o FILE for the first profile, or NULL */
	int depth;                /* stack depth */
	int follow;               /* record forked children and their execs */
	int hz;                   /* CPU sampling rate, for a mode with "cpu" */
	uint64_t heap_sample;     /* heap --sample: mean bytes between recorded
	                           * allocations, 0 every one */
	int no_code;              /* keep no code or source lines for annotation */
	long spans;               /* zone spans kept one by one at most: 0 the default
	                           * (ZONE_KEEP_DEFAULT), -1 every one */
	char **argv;              /* program and its arguments, NULL-terminated */
	/* Optional: called on each finalized profile while another thread
	 * writes it to disk (the profile is read-only meanwhile); the string it
	 * returns (malloc'd, or NULL) is kept as the profile's summary.
	 * `precomputed`, when not NULL, holds the heap totals already tallied
	 * while the program ran. */
	char *(*summarize)(const struct sc_profile *p, const struct heap_totals *precomputed);
};

struct session_profile {
	char *path;               /* where it was written */
	struct sc_profile *p;     /* the model, owned */
	int write_error;          /* -errno when writing failed (path then unset) */
	char *summary;            /* from session_opts.summarize, owned */
};

struct session_result {
	int exit_code;            /* what scorch should exit with: the program's status */
	int program_signal;       /* the root program died of this signal, or 0 */
	int program_status;       /* its exit status when it exited */
	struct session_profile *profiles;
	size_t nprofiles;
	char *kept_dir;           /* raw streams left on disk (finalize failed), or NULL */
};

/* Runs the session. Problems the user must fix before anything can run
 * (program not found, static, unwritable output) end the process with a
 * message via die_code(); afterwards nothing is fatal. */
void session_run(const struct session_opts *o, struct session_result *r);
/* On stderr: each profile's summary and path, the list of all profiles,
 * and how to view them. */
void session_print(const struct session_result *r);
void session_result_release(struct session_result *r);

/* For attaching (attach.c), which makes its raw streams itself: the
 * directory the profiles go to (-o's, or "."; malloc'd), after the checks
 * session_run() makes, ending the process with a message when -o cannot be
 * written; PROG.PID.scorch there, not one of `done`; and writing a profile
 * with its summary (o->summarize) as session_run() does (named: dest is
 * -o's). Returns 0 or -errno. */
char *session_output_dir(const char *output);
/* Creates the session directory (.scorch-PID-XXXXXX, for the raw streams)
 * in outdir and puts its absolute path in sessdir; dies with a message when
 * it cannot. */
void session_make_dir(const char *outdir, char sessdir[PATH_MAX]);
char *session_profile_name(const char *dir, const char *prog, int pid, const struct session_profile *done,
			   size_t ndone);
int session_write_profile(const struct session_opts *o, const struct sc_profile *p, const char *dest,
			  int named, char **summary);

#endif
