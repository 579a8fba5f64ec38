/* exec: heap tracking across execve(). Leaks 2 x 72 B from before_exec, then
 * execs exec-target (argv[1] if given, else the exec-target next to this
 * executable) with argv {path, "alpha", "beta gamma"}; exec-target leaks 4
 * blocks, prints "exec-target ok" and exits 3, which becomes this process's
 * exit status since exec replaces the image.
 *
 * Expected heap behaviour: before exec malloc 2 x 72 B (leaked, lost with the
 * old image); after exec see exec-target.c. Exit status 3. If execv fails:
 * a message on stderr and exit 127.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void *blocks[2];

__attribute__((noinline)) static void before_exec(void)
{
	for (int i = 0; i < 2; i++)
		if (!(blocks[i] = malloc(72)))
			abort();
}

/* Writes "<dir of /proc/self/exe>/name" into buf; no heap use. */
static int sibling_path(char *buf, size_t size, const char *name)
{
	ssize_t n = readlink("/proc/self/exe", buf, size - 1);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	char *slash = strrchr(buf, '/');
	if (!slash || (size_t)(slash - buf) + 1 + strlen(name) + 1 > size)
		return -1;
	strcpy(slash + 1, name);
	return 0;
}

int main(int argc, char **argv)
{
	char path[4096];

	before_exec();
	if (argc > 1) {
		snprintf(path, sizeof(path), "%s", argv[1]);
	} else if (sibling_path(path, sizeof(path), "exec-target") != 0) {
		fputs("exec: cannot locate exec-target\n", stderr);
		return 127;
	}
	char *args[] = { path, "alpha", "beta gamma", NULL };
	execv(path, args);
	perror("exec: execv");
	return 127;
}
