/* What the libFuzzer harnesses of tests/fuzz share: a private directory for
 * the files they write, stdout sent to /dev/null (the views print there),
 * and running a scorch command in-process as `scorch ARGS...` would. The
 * harnesses are built with clang -fsanitize=fuzzer,address,undefined (`make
 * fuzz`, tests/fuzz/run.sh); a crash, a sanitizer report, a hang past
 * -timeout or an abort() of an oracle below is a finding. */
#ifndef SCORCH_TESTS_FUZZ_COMMON_H
#define SCORCH_TESTS_FUZZ_COMMON_H

#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../analysis/profile-io.h"
#include "../../cli/cmds.h"

static char fuzz_dir[64];

/* A directory of our own under /dev/shm (or /tmp), and stdout to /dev/null. */
static inline void fuzz_setup(void)
{
	const char *base = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
	snprintf(fuzz_dir, sizeof(fuzz_dir), "%s/scorch-fuzz-XXXXXX", base);
	if (!mkdtemp(fuzz_dir)) {
		perror("scorch fuzz: mkdtemp");
		abort();
	}
	int null = open("/dev/null", O_WRONLY);
	if (null < 0 || dup2(null, 1) < 0) {
		perror("scorch fuzz: /dev/null");
		abort();
	}
	close(null);
}

static inline void fuzz_path(char *buf, size_t n, const char *name)
{
	snprintf(buf, n, "%s/%s", fuzz_dir, name);
}

/* Replaces the file at path with n bytes of data. */
static inline void fuzz_write_file(const char *path, const void *data, size_t n)
{
	unlink(path);
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600);
	if (fd < 0 || (n && write(fd, data, n) != (ssize_t)n)) {
		perror("scorch fuzz: write");
		abort();
	}
	close(fd);
}

/* Runs cmd with the given arguments (NULL-terminated) as `scorch NAME ARGS`;
 * its exit code does not matter, only that it returns. */
static inline int fuzz_cmd(int (*cmd)(int, char **), const char *name, ...)
{
	char *argv[32];
	int argc = 0;
	argv[argc++] = (char *)name;
	va_list ap;
	va_start(ap, name);
	for (const char *a; argc < 31 && (a = va_arg(ap, const char *));)
		argv[argc++] = (char *)a;
	va_end(ap);
	argv[argc] = NULL;
	fflush(stdout);
	return cmd(argc, argv);
}

/* Oracle: a profile scorch has just written must read back. */
static inline void fuzz_reread(struct sc_profile *p, const char *path, const char *what)
{
	char err[512];
	unlink(path);
	int rc = profile_write(p, path);
	if (rc) {
		fprintf(stderr, "scorch fuzz: %s: writing the profile failed: %s\n", what, strerror(-rc));
		abort();
	}
	struct sc_profile *q = NULL;
	if (profile_read(path, &q, err, sizeof(err))) {
		fprintf(stderr, "scorch fuzz: %s: a profile scorch wrote does not read back: %s\n", what, err);
		abort();
	}
	profile_free(q);
}

#endif
