/* Output files written whole or not at all (see outfile.h). */
#include "outfile.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "die.h"
#include "strbuf.h"

int outfile_open(struct outfile *o, const char *path)
{
	memset(o, 0, sizeof(*o));
	if (!path || !strcmp(path, "-")) {
		o->f = stdout;
		o->name = "stdout";
		return 0;
	}
	o->path = xstrdup(path);
	o->name = o->path;
	struct stat st;
	if (stat(path, &st) == 0 && !S_ISREG(st.st_mode)) {
		o->f = fopen(path, "w");
		if (!o->f) {
			error("cannot create %s: %s", path, strerror(errno));
			free(o->path);
			o->path = NULL;
			return -1;
		}
		return 0;
	}
	struct strbuf t = STRBUF_INIT;
	sb_addf(&t, "%s.tmp.XXXXXX", path);
	int fd = mkstemp(t.buf);
	if (fd < 0 || !(o->f = fdopen(fd, "w"))) {
		int e = errno;
		if (fd >= 0) {
			close(fd);
			unlink(t.buf);
		}
		error("cannot create %s: %s", path, strerror(e));
		sb_release(&t);
		free(o->path);
		o->path = NULL;
		return -1;
	}
	/* mkstemp makes it 0600: give it the mode a plain fopen would */
	mode_t um = umask(0);
	umask(um);
	fchmod(fd, 0666 & ~um);
	o->tmp = sb_detach(&t);
	return 0;
}

int outfile_close(struct outfile *o, int write_rc, int errnum)
{
	int rc = 0;
	if (o->f == stdout) {
		if (fflush(stdout) && !write_rc)
			write_rc = -1, errnum = errno;
	} else if (fclose(o->f) && !write_rc) {
		write_rc = -1;
		errnum = errno;
	}
	if (!write_rc && o->tmp && rename(o->tmp, o->path)) {
		write_rc = -1;
		errnum = errno;
	}
	if (write_rc) {
		if (o->tmp)
			unlink(o->tmp);
		if (errnum)
			error("cannot write %s: %s", o->name, strerror(errnum));
		else
			error("cannot write %s", o->name);
		rc = -1;
	}
	free(o->tmp);
	free(o->path);
	memset(o, 0, sizeof(*o));
	return rc;
}

void outfile_abort(struct outfile *o)
{
	if (o->f != stdout)
		fclose(o->f);
	else
		fflush(stdout);
	if (o->tmp)
		unlink(o->tmp);
	free(o->tmp);
	free(o->path);
	memset(o, 0, sizeof(*o));
}
