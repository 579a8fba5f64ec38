/* Writing a command's output file safely. A file is made new in the
 * target's directory (lib/newfile.h: unnamed, or under a random name) and
 * takes the target's name only when complete, so a failed write never
 * leaves half a file and never destroys the old one, and nothing is ever
 * written through a symbolic link someone planted at the name. A path the
 * user named with -o that is a character device or FIFO (/dev/stdout,
 * /dev/null, a pipe) is written in place; a symbolic link to anything else
 * is refused. "-" (or NULL) means standard output. */
#ifndef SCORCH_LIB_OUTFILE_H
#define SCORCH_LIB_OUTFILE_H

#include <stdio.h>

#include "newfile.h"

struct outfile {
	FILE *f;
	const char *name;   /* for messages: the path, or "stdout" */
	struct newfile nf;  /* unused for stdout */
};

/* Opens the output the user named (-o); on failure prints
 * "cannot create PATH: why" and returns -1. */
int outfile_open(struct outfile *o, const char *path);
/* The same for a name scorch made up (PROFILE.svg): whatever is at the name
 * already, a symbolic link, FIFO or device included, is replaced, never
 * written through. */
int outfile_open_default(struct outfile *o, const char *path);
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
