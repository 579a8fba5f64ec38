/* fill-disk: a disk that fills up just as a recording ends (t015).
 *
 * `fill-disk N DIR`: makes N malloc(64) calls in `make_blocks`, frees them
 * all, then execs itself as `fill-disk --fill DIR` (an exec flushes every
 * recorded event of this image first). That image waits 500 ms, so that a
 * launcher reading the recording as it comes has read it all, then writes
 * zeros to DIR/fill until the file system is full (ENOSPC), and exits 0
 * without allocating. Prints nothing on success; errors on stderr, exit 1.
 *
 * Expected heap behaviour of the first image: N malloc(64) + N free, all
 * at one site; nothing from stdio (it prints nothing).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define MAX_N 200000

static void say(const char *s)
{
	ssize_t w = write(2, s, strlen(s));
	(void)w;
}

__attribute__((noinline)) static void make_blocks(void **b, long n)
{
	for (long i = 0; i < n; i++)
		if (!(b[i] = malloc(64)))
			abort();
}

static int fill(const char *dir)
{
	struct timespec ts = { 0, 500 * 1000000L };
	nanosleep(&ts, NULL);
	char path[4096];
	if (strlen(dir) + 6 > sizeof(path)) {
		say("fill-disk: directory name too long\n");
		return 1;
	}
	strcpy(path, dir);
	strcat(path, "/fill");
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0) {
		say("fill-disk: cannot create the fill file\n");
		return 1;
	}
	static char zeros[1 << 16];
	for (;;) {
		ssize_t w = write(fd, zeros, sizeof(zeros));
		if (w > 0)
			continue;
		if (w < 0 && errno == EINTR)
			continue;
		break;
	}
	/* the last partial block */
	while (write(fd, zeros, 1) == 1)
		;
	int e = errno;
	close(fd);
	if (e != ENOSPC) {
		say("fill-disk: the disk did not fill\n");
		return 1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 3 && !strcmp(argv[1], "--fill"))
		return fill(argv[2]);
	if (argc != 3) {
		say("usage: fill-disk N DIR\n");
		return 1;
	}
	static void *b[MAX_N];
	long n = atol(argv[1]);
	if (n < 1 || n > MAX_N) {
		say("fill-disk: N must be 1 to 200000\n");
		return 1;
	}
	make_blocks(b, n);
	for (long i = 0; i < n; i++)
		free(b[i]);
	char self[4096];
	ssize_t l = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (l <= 0) {
		say("fill-disk: cannot find itself\n");
		return 1;
	}
	self[l] = 0;
	char *args[] = { self, "--fill", argv[2], NULL };
	execv(self, args);
	say("fill-disk: exec failed\n");
	return 1;
}
