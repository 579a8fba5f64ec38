/* Writing a command's output file safely. A regular file (or a new one) is
 * written under a temporary name in the same directory and renamed over the
 * target only when complete, so a failed write never leaves half a file and
 * never destroys the old one. Anything else (a device such as /dev/stdout or
 * /dev/full, a FIFO) is written in place and never renamed or removed. "-"
 * (or NULL) means standard output. */
#ifndef SCORCH_LIB_OUTFILE_H
#define SCORCH_LIB_OUTFILE_H

#include <stdio.h>

struct outfile {
	FILE *f;
	const char *name;   /* for messages: the path, or "stdout" */
	char *path;         /* the target, NULL for stdout */
	char *tmp;          /* the temporary being written, NULL when in place */
};

/* Opens; on failure prints "cannot create PATH: why" and returns -1. */
int outfile_open(struct outfile *o, const char *path);
/* Closes and moves the file into place. write_rc is the writer's result
 * (0 = it succeeded): when it or the close fails, the temporary is removed
 * and the target is left as it was. Returns 0 when the output is complete;
 * on failure prints "cannot write NAME: why" (errnum: the writer's errno, or
 * 0 to take the close's) and returns -1. */
int outfile_close(struct outfile *o, int write_rc, int errnum);
/* Closes after a writer failed and already said why: the temporary is
 * removed, the target left as it was, nothing printed. */
void outfile_abort(struct outfile *o);

#endif
