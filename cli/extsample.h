/* External CPU sampling by the launcher, for the threads the in-process
 * sampler cannot reach because they block its signal (see extsample.c). */
#ifndef SCORCH_CLI_EXTSAMPLE_H
#define SCORCH_CLI_EXTSAMPLE_H

#include <stddef.h>
#include <stdint.h>

struct extsample;

/* Opens the counters on process `pid` (stopped before its exec, so that
 * every thread and child it makes inherits them) at `hz` samples per CPU
 * second, for streams in `sessdir`, keeping at most `depth` frames.
 * Returns NULL when the kernel refuses (the reason is kept for
 * extsample_refusal()) or SCORCH_EXTERNAL=0 turns it off. */
struct extsample *extsample_start(int pid, int hz, int depth, const char *sessdir, int *err);
/* Attaches to the running processes pids[0..n) from outside, without
 * stopping or preloading them: counters on each of their threads (and the
 * threads they make later) at `hz` samples per CPU second, kernel frames
 * where the system allows them. The launcher writes each process's raw
 * stream (raw.PID.0 in `sessdir`) itself: the process from /proc, its
 * modules, then the samples as XSAMPLE records, and at extsample_stop()
 * its threads and END. Returns NULL with the errno of what failed in *err
 * (ESRCH: no such process; EACCES, EPERM: refused) and the process it
 * failed on in *bad_pid (0: none, the session directory). */
struct extsample *extsample_attach(const int *pids, size_t n, int hz, int depth, const char *sessdir,
				   int *err, int *bad_pid);
/* Samples the program about to run as process `pid` (forked, stopped
 * before its exec) from outside, for a program the runtime cannot be
 * preloaded into (statically linked, set-id): counters inherited by every
 * thread and, with `follow`, every process it makes, enabled by its exec,
 * and the raw streams written by the launcher as for extsample_attach():
 * raw.PID.SEQ for each process and image (SEQ one more at each exec).
 * Returns NULL with the errno of the refusal in *err. */
struct extsample *extsample_launch(int pid, int hz, int depth, int follow, int after_exec, const char *sessdir,
				   int *err);
/* With after_exec (a set-id program: the kernel stops the counters
 * inherited across its exec), extsample_launch() opens nothing; this opens
 * them on the process once its exec is done, as extsample_attach() does,
 * losing the few milliseconds between. Returns 0 or the errno of the
 * refusal; 0 without after_exec. */
int extsample_exec_done(struct extsample *x);
/* Launched: process pid has exited and is about to be reaped (a zombie):
 * its last samples are read and its final CPU time kept. */
void extsample_reaping(struct extsample *x, int pid);
/* The same for every process on the system (record -a: needs root,
 * CAP_PERFMON or perf_event_paranoid <= 0): one counter per CPU, and a
 * stream raw.PID.0 for each process as its first sample shows it. */
struct extsample *extsample_system(int hz, int depth, const char *sessdir, int *err);
/* How many of the attached processes still run (system-wide: 1). */
size_t extsample_running(struct extsample *x);
/* Why the samples have no kernel frames: the errno of the refusal, 0 when
 * they have them (or with the exec path, which takes none). */
int extsample_kernel_errno(const struct extsample *x);
/* Reads the samples taken so far, keeps those of threads that block the
 * sample signal and appends them to their process's raw stream. Cheap when
 * nothing came; call it every few milliseconds while the program runs. */
void extsample_poll(struct extsample *x);
/* A last poll, then closes everything. Warns on stderr if samples were
 * lost (ring buffers overflowed while the launcher was starved). */
void extsample_stop(struct extsample *x);

#endif
