/* Output files written whole or not at all (see outfile.h). */
#include "outfile.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "die.h"

static int open_as(struct outfile *o, const char *path, unsigned flags)
{
	memset(o, 0, sizeof(*o));
	if (!path || !strcmp(path, "-")) {
		o->f = stdout;
		o->name = "stdout";
		return 0;
	}
	int rc = newfile_open(&o->nf, path, flags);
	if (rc) {
		error("cannot create %s: %s", path, newfile_strerror(rc));
		return -1;
	}
	o->f = o->nf.f;
	o->name = o->nf.path;
	return 0;
}

int outfile_open(struct outfile *o, const char *path)
{
	return open_as(o, path, NF_NAMED);
}

int outfile_open_default(struct outfile *o, const char *path)
{
	return open_as(o, path, 0);
}

int outfile_close(struct outfile *o, int write_rc, int errnum)
{
	int rc = 0;
	if (o->f == stdout) {
		if (fflush(stdout) && !write_rc)
			write_rc = -1, errnum = errno;
	} else {
		/* the name outlives the newfile for the message */
		char *name = xstrdup(o->name);
		int err = newfile_commit(&o->nf, write_rc ? -(errnum ? errnum : EIO) : 0, NULL);
		if (!write_rc && err) {
			write_rc = -1;
			errnum = -err;
		}
		if (write_rc) {
			if (errnum)
				error("cannot write %s: %s", name, newfile_strerror(-errnum));
			else
				error("cannot write %s", name);
			rc = -1;
		}
		free(name);
		memset(o, 0, sizeof(*o));
		return rc;
	}
	if (write_rc) {
		if (errnum)
			error("cannot write %s: %s", o->name, strerror(errnum));
		else
			error("cannot write %s", o->name);
		rc = -1;
	}
	memset(o, 0, sizeof(*o));
	return rc;
}

void outfile_abort(struct outfile *o)
{
	if (o->f == stdout)
		fflush(stdout);
	else
		newfile_abort(&o->nf);
	memset(o, 0, sizeof(*o));
}
