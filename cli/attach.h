/* Attaching to running processes (scorch record -p): see attach.c. */
#ifndef SCORCH_CLI_ATTACH_H
#define SCORCH_CLI_ATTACH_H

#include <stddef.h>
#include <stdint.h>

#include "session.h"

/* Samples the running processes pids[0..n) (n 0: every process on the
 * system, record -a, each one that has samples getting a profile) at o->hz with o->depth frames
 * until a signal (INT, TERM, HUP), duration_ns (0: no limit) or their
 * exit, then writes each one's profile (o->output for the first) and its
 * summary (o->summarize) into r, for session_print(). A process that
 * cannot be attached to ends scorch with a message. */
void attach_run(const struct session_opts *o, const int *pids, size_t n, uint64_t duration_ns,
		struct session_result *r);

#endif
