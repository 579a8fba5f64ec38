/* Files created whole, under no planted name (see newfile.h). */
#include "newfile.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "die.h"
#include "strbuf.h"

/* "/dev/stdout", "/dev/fd/3", "/proc/self/fd/3": a descriptor this process
 * already has open for writing, or -1. Writing to a dup of it is what the
 * user means, whatever it is (a pipe, a terminal, a file the shell opened),
 * and it needs no name to be opened again. */
static int fd_alias(const char *path)
{
	const char *n = NULL;
	if (!strcmp(path, "/dev/stdout"))
		n = "1";
	else if (!strcmp(path, "/dev/stderr"))
		n = "2";
	else if (!strncmp(path, "/dev/fd/", 8))
		n = path + 8;
	else if (!strncmp(path, "/proc/self/fd/", 14))
		n = path + 14;
	if (!n || *n < '0' || *n > '9')
		return -1;
	char *e;
	long v = strtol(n, &e, 10);
	if (*e || v > INT_MAX)
		return -1;
	int fl = fcntl((int)v, F_GETFL);
	if (fl < 0 || (fl & O_ACCMODE) == O_RDONLY)
		return -1;
	return (int)v;
}

enum { K_CREATE, K_IN_PLACE, K_ALIAS };

/* What newfile_open does with path: create (and put at the name when
 * done), open it in place, or write to a descriptor; or -errno. */
static int classify(const char *path, unsigned flags, int *alias)
{
	if (flags & NF_NAMED) {
		int fd = fd_alias(path);
		if (fd >= 0) {
			*alias = fd;
			return K_ALIAS;
		}
	}
	struct stat st, t;
	if (lstat(path, &st) != 0)
		return errno == ENOENT ? K_CREATE : -errno;
	if (S_ISDIR(st.st_mode))
		return -EISDIR;
	if (!(flags & NF_NAMED))
		return K_CREATE;   /* replaced (or kept as .old) as a name, never opened */
	if (S_ISLNK(st.st_mode)) {
		if (stat(path, &t) != 0)
			return -ELOOP;   /* dangling: creating would create its target */
		if (S_ISDIR(t.st_mode))
			return -EISDIR;
		if (S_ISCHR(t.st_mode) || S_ISFIFO(t.st_mode))
			return K_IN_PLACE;
		return -ELOOP;
	}
	if (S_ISCHR(st.st_mode) || S_ISFIFO(st.st_mode))
		return K_IN_PLACE;
	if (S_ISREG(st.st_mode))
		return K_CREATE;
	return -ENODEV;   /* a socket, a block device */
}

int newfile_check(const char *path, unsigned flags)
{
	int alias;
	int k = classify(path, flags, &alias);
	return k < 0 ? k : 0;
}

int newfile_is_in_place(const char *path)
{
	int alias;
	int k = classify(path, NF_NAMED, &alias);
	return k == K_IN_PLACE || k == K_ALIAS;
}

static uint64_t mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* Opens a device or FIFO the user named. A FIFO is opened without
 * blocking: with no reader that fails (ENXIO), and it is tried again for
 * NEWFILE_FIFO_WAIT_MS before giving up. */
static int open_in_place(const char *path)
{
	uint64_t start = mono_ms();
	for (;;) {
		int fd = open(path, O_WRONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
		if (fd >= 0) {
			struct stat st;
			if (fstat(fd, &st) != 0 || !(S_ISCHR(st.st_mode) || S_ISFIFO(st.st_mode))) {
				/* something else took its place since it was looked at */
				close(fd);
				return -ENODEV;
			}
			int fl = fcntl(fd, F_GETFL);
			if (fl >= 0)
				fcntl(fd, F_SETFL, fl & ~O_NONBLOCK);
			return fd;
		}
		if (errno == EINTR)
			continue;
		struct stat st;
		if (errno != ENXIO || stat(path, &st) != 0 || !S_ISFIFO(st.st_mode))
			return -errno;
		if (mono_ms() - start >= NEWFILE_FIFO_WAIT_MS)
			return -ENXIO;
		struct timespec ts = { 0, 20 * 1000000L };
		nanosleep(&ts, NULL);
	}
}

char *newfile_dir_of(const char *path)
{
	const char *s = strrchr(path, '/');
	if (!s)
		return xstrdup(".");
	if (s == path)
		return xstrdup("/");
	char *d = xmalloc((size_t)(s - path) + 1);
	memcpy(d, path, (size_t)(s - path));
	d[s - path] = 0;
	return d;
}

/* Whether an unnamed file can be given a name (linkat through /proc). */
static int can_link_unnamed(void)
{
	static int v = -1;
	if (v < 0)
		v = access("/proc/self/fd", X_OK) == 0;
	return v;
}

/* "PATH.tmp.xxxxxx" with six random characters. */
static void random_name(struct strbuf *sb, const char *path)
{
	static const char al[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
	static uint64_t mix;
	unsigned char r[6];
	if (getrandom(r, sizeof(r), GRND_NONBLOCK) != (ssize_t)sizeof(r)) {
		struct timespec ts;
		clock_gettime(CLOCK_MONOTONIC, &ts);
		mix = mix * 6364136223846793005ull + (uint64_t)ts.tv_nsec + (uint64_t)getpid();
		for (size_t i = 0; i < sizeof(r); i++)
			r[i] = (unsigned char)(mix >> (8 * i));
	}
	sb_reset(sb);
	sb_addf(sb, "%s.tmp.", path);
	for (size_t i = 0; i < sizeof(r); i++)
		sb_addc(sb, al[r[i] % (sizeof(al) - 1)]);
}

/* A file in path's directory that no one else can have a name for: unnamed
 * (O_TMPFILE), else under a random name made with O_CREAT|O_EXCL, which
 * follows no symbolic link. */
static int open_new(struct newfile *nf, const char *path)
{
	mode_t mode = nf->flags & NF_PRIVATE ? 0600 : 0666;
	char *dir = newfile_dir_of(path);
	int fd = -1;
	if (can_link_unnamed())
		fd = open(dir, O_TMPFILE | O_RDWR | O_CLOEXEC, mode);
	free(dir);
	if (fd >= 0)
		return fd;
	/* no O_TMPFILE here (an older file system): a random name */
	struct strbuf t = STRBUF_INIT;
	for (int k = 0; k < 100; k++) {
		random_name(&t, path);
		fd = open(t.buf, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
		if (fd >= 0 || errno != EEXIST)
			break;
	}
	if (fd < 0) {
		int e = -errno;
		sb_release(&t);
		return e;
	}
	nf->tmp = sb_detach(&t);
	return fd;
}

int newfile_open(struct newfile *nf, const char *path, unsigned flags)
{
	memset(nf, 0, sizeof(*nf));
	nf->flags = flags;
	int alias = -1, fd;
	int k = classify(path, flags, &alias);
	if (k < 0)
		return k;
	if (k == K_ALIAS) {
		fd = fcntl(alias, F_DUPFD_CLOEXEC, 3);
		if (fd < 0)
			return -errno;
		nf->in_place = 1;
	} else if (k == K_IN_PLACE) {
		fd = open_in_place(path);
		if (fd < 0)
			return fd;
		nf->in_place = 1;
	} else {
		fd = open_new(nf, path);
		if (fd < 0)
			return fd;
	}
	nf->f = fdopen(fd, nf->in_place ? "wb" : "w+b");
	if (!nf->f) {
		int e = -errno;
		close(fd);
		if (nf->tmp)
			unlink(nf->tmp);
		free(nf->tmp);
		nf->tmp = NULL;
		return e;
	}
	nf->path = xstrdup(path);
	return 0;
}

/* Links the unnamed file fd at name; -errno (-EEXIST when taken). */
static int link_unnamed(int fd, const char *name)
{
	char proc[64];
	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
	return linkat(AT_FDCWD, proc, AT_FDCWD, name, AT_SYMLINK_FOLLOW) == 0 ? 0 : -errno;
}

/* Puts the written file at its name. With NF_KEEP_OLD what is there is
 * renamed to PATH.old first and the new file never replaces anything (a
 * name that reappears meanwhile fails with -EEXIST); otherwise it replaces
 * the name's entry (rename: a symbolic link or FIFO there is replaced, not
 * followed). */
static int place(struct newfile *nf, int fd, int *moved_old)
{
	int keep = (nf->flags & NF_KEEP_OLD) != 0;
	struct strbuf old = STRBUF_INIT;
	int err = 0;
	if (keep) {
		struct stat st;
		if (lstat(nf->path, &st) == 0) {
			if (S_ISDIR(st.st_mode))
				return -EISDIR;
			sb_addf(&old, "%s.old", nf->path);
			if (rename(nf->path, old.buf) != 0) {
				err = -errno;
				sb_release(&old);
				return err;
			}
		} else if (errno != ENOENT) {
			return -errno;
		}
	}
	if (!nf->tmp) {
		err = link_unnamed(fd, nf->path);
		if (err == -EEXIST && !keep) {
			/* replacing: a fresh name beside it, renamed over it */
			struct strbuf t = STRBUF_INIT;
			for (int k = 0; k < 100 && err == -EEXIST; k++) {
				random_name(&t, nf->path);
				err = link_unnamed(fd, t.buf);
			}
			if (!err && rename(t.buf, nf->path) != 0) {
				err = -errno;
				unlink(t.buf);
			}
			sb_release(&t);
		}
	} else if (keep) {
		if (renameat2(AT_FDCWD, nf->tmp, AT_FDCWD, nf->path, RENAME_NOREPLACE) != 0) {
			err = -errno;
			if (err == -EINVAL || err == -ENOSYS) {
				/* a file system without it: a hard link refuses a taken name too */
				err = link(nf->tmp, nf->path) == 0 ? 0 : -errno;
				if (!err)
					unlink(nf->tmp);
			}
		}
	} else if (rename(nf->tmp, nf->path) != 0) {
		err = -errno;
	}
	if (!err && nf->tmp) {
		free(nf->tmp);   /* it is the target now */
		nf->tmp = NULL;
	}
	if (old.len) {
		if (err)   /* put the old one back */
			rename(old.buf, nf->path);
		else if (moved_old)
			*moved_old = 1;
	}
	sb_release(&old);
	return err;
}

int newfile_commit(struct newfile *nf, int write_err, int *moved_old)
{
	if (moved_old)
		*moved_old = 0;
	int err = write_err;
	errno = 0;
	if (!err && fflush(nf->f) != 0)
		err = errno ? -errno : -EIO;
	/* a named temporary is closed before it takes the name; an unnamed one
	 * must stay open to be linked */
	if (nf->tmp || nf->in_place) {
		errno = 0;
		if (fclose(nf->f) != 0 && !err)
			err = errno ? -errno : -EIO;
		nf->f = NULL;
	}
	if (!err && !nf->in_place)
		err = place(nf, nf->f ? fileno(nf->f) : -1, moved_old);
	errno = 0;
	if (nf->f && fclose(nf->f) != 0 && !err)
		err = errno ? -errno : -EIO;
	nf->f = NULL;
	if (nf->tmp)
		unlink(nf->tmp);
	free(nf->tmp);
	free(nf->path);
	memset(nf, 0, sizeof(*nf));
	return err;
}

void newfile_abort(struct newfile *nf)
{
	if (nf->f)
		fclose(nf->f);
	if (nf->tmp)
		unlink(nf->tmp);
	free(nf->tmp);
	free(nf->path);
	memset(nf, 0, sizeof(*nf));
}

const char *newfile_strerror(int err)
{
	switch (-err) {
	case ELOOP:
		return "it is a symbolic link, and scorch writes through none "
		       "(remove it, or name the file it points to)";
	case ENXIO:
		return "no process opened the FIFO for reading within 5 s";
	case ENODEV:
		return "it is neither a regular file nor a character device or FIFO";
	default:
		return strerror(-err);
	}
}

FILE *newfile_scratch(void)
{
	const char *d = getenv("TMPDIR");
	if (!d || !*d)
		d = "/tmp";
	/* O_EXCL: this one can never be given a name */
	int fd = open(d, O_TMPFILE | O_RDWR | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0) {
		struct strbuf t = STRBUF_INIT;
		sb_addf(&t, "%s/scorch-XXXXXX", d);
		fd = mkostemp(t.buf, O_CLOEXEC);
		if (fd >= 0)
			unlink(t.buf);
		sb_release(&t);
		if (fd < 0)
			return NULL;
	}
	FILE *f = fdopen(fd, "w+b");
	if (!f)
		close(fd);
	return f;
}
