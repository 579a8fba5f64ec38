/* Creating the files scorch writes without ever writing through a name
 * someone else planted. A new file is made unnamed (O_TMPFILE) in the
 * target's directory, or under a random name there with O_CREAT|O_EXCL when
 * the file system cannot, and takes the target's name only when complete:
 * never through a symbolic link, never into a FIFO or device that happens to
 * sit at the name. The one exception is a path the user named (-o): a
 * character device or FIFO there (/dev/null, /dev/stdout, a pipe) is written
 * in place, a FIFO only if a reader turns up within NEWFILE_FIFO_WAIT_MS, so
 * no command ever blocks for good opening its output. */
#ifndef SCORCH_LIB_NEWFILE_H
#define SCORCH_LIB_NEWFILE_H

#include <stdio.h>

/* how long a named FIFO may go without a reader before newfile_open gives up */
#define NEWFILE_FIFO_WAIT_MS 5000

enum {
	/* the user named the path: a character device or FIFO there (also
	 * through a symbolic link, as /dev/stdout is) is written in place,
	 * and a symbolic link to anything else is refused (-ELOOP). Without
	 * it, whatever is at the path is replaced as a name, never opened. */
	NF_NAMED = 1,
	/* what is at the path is renamed to PATH.old when the new file takes
	 * its place (profiles, as perf does with perf.data); without it, it
	 * is replaced */
	NF_KEEP_OLD = 2,
	/* mode 0600 (profiles); without it 0666 less the umask */
	NF_PRIVATE = 4,
};

struct newfile {
	FILE *f;            /* write here (owned) */
	char *path;         /* the target (owned) */
	char *tmp;          /* the temporary's name; NULL when unnamed or in place */
	unsigned flags;
	int in_place;       /* f is the target itself: a device or FIFO */
};

/* Opens a new file that will become path. Returns 0, or -errno: -ELOOP for
 * a refused symbolic link, -ENXIO for a FIFO nobody read in time, -EISDIR,
 * -EINVAL for a socket or block device the user named. Nothing is printed;
 * newfile_strerror() words the reason. */
int newfile_open(struct newfile *nf, const char *path, unsigned flags);
/* The checks of newfile_open without creating anything (a launcher tests
 * its -o before running the program): 0 or the -errno open would give. A
 * FIFO is not opened, so a missing reader is not found here. */
int newfile_check(const char *path, unsigned flags);
/* Whether newfile_open(path, NF_NAMED) would write in place. */
int newfile_is_in_place(const char *path);
/* Ends the file: when write_err is 0 it is flushed, closed and put at its
 * name (*moved_old, if given, says whether an existing file went to
 * PATH.old); otherwise, or when that fails, the temporary is removed and
 * the target left as it was. Returns 0, write_err, or the -errno of the step
 * that failed. */
int newfile_commit(struct newfile *nf, int write_err, int *moved_old);
/* Closes and removes the temporary; the target is left as it was. */
void newfile_abort(struct newfile *nf);
/* The reason for a -errno from these functions, for "cannot write X: why". */
const char *newfile_strerror(int err);
/* The directory part of path ("." when it has none), newly allocated. */
char *newfile_dir_of(const char *path);
/* An unnamed scratch file (read-write, 0600, gone when closed) in $TMPDIR
 * or /tmp; NULL with errno set when none can be made. */
FILE *newfile_scratch(void);

#endif
