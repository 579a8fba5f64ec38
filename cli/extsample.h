/* External CPU sampling by the launcher, for the threads the in-process
 * sampler cannot reach because they block its signal (see extsample.c). */
#ifndef SCORCH_CLI_EXTSAMPLE_H
#define SCORCH_CLI_EXTSAMPLE_H

#include <stdint.h>

struct extsample;

/* Opens the counters on process `pid` (stopped before its exec, so that
 * every thread and child it makes inherits them) at `hz` samples per CPU
 * second, for streams in `sessdir`, keeping at most `depth` frames.
 * Returns NULL when the kernel refuses (the reason is kept for
 * extsample_refusal()) or SCORCH_EXTERNAL=0 turns it off. */
struct extsample *extsample_start(int pid, int hz, int depth, const char *sessdir, int *err);
/* Reads the samples taken so far, keeps those of threads that block the
 * sample signal and appends them to their process's raw stream. Cheap when
 * nothing came; call it every few milliseconds while the program runs. */
void extsample_poll(struct extsample *x);
/* A last poll, then closes everything. Warns on stderr if samples were
 * lost (ring buffers overflowed while the launcher was starved). */
void extsample_stop(struct extsample *x);

#endif
