/* Program resolution and the preload-reachability checks of progcheck.h. */
#include "progcheck.h"

#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int is_exec_file(const char *p)
{
	struct stat st;
	if (stat(p, &st) != 0)
		return -ENOENT;
	if (!S_ISREG(st.st_mode) || access(p, X_OK) != 0)
		return -EACCES;
	return 0;
}

int prog_resolve(const char *name, char *out, size_t outlen)
{
	if (!*name)
		return -ENOENT;
	if (strchr(name, '/')) {
		int r = is_exec_file(name);
		if (r == 0)
			snprintf(out, outlen, "%s", name);
		return r;
	}
	const char *path = getenv("PATH");
	if (!path || !*path)
		path = "/usr/local/bin:/usr/bin:/bin";
	int seen_noexec = 0;
	while (*path) {
		const char *c = strchr(path, ':');
		size_t n = c ? (size_t)(c - path) : strlen(path);
		char cand[PATH_MAX];
		if (n == 0)
			snprintf(cand, sizeof(cand), "./%s", name);
		else
			snprintf(cand, sizeof(cand), "%.*s/%s", (int)n, path, name);
		int r = is_exec_file(cand);
		if (r == 0) {
			snprintf(out, outlen, "%s", cand);
			return 0;
		}
		if (r == -EACCES)
			seen_noexec = 1;
		path += n + (c ? 1 : 0);
	}
	return seen_noexec ? -EACCES : -ENOENT;
}

enum prog_kind prog_kind(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return PROG_OTHER;
	Elf64_Ehdr eh;
	ssize_t n = read(fd, &eh, sizeof(eh));
	enum prog_kind k = PROG_OTHER;
	if (n >= 2 && ((unsigned char *)&eh)[0] == '#' && ((unsigned char *)&eh)[1] == '!') {
		k = PROG_SCRIPT;
	} else if (n == (ssize_t)sizeof(eh) && !memcmp(eh.e_ident, ELFMAG, SELFMAG) &&
		   eh.e_ident[EI_CLASS] == ELFCLASS64 && eh.e_phentsize == sizeof(Elf64_Phdr) &&
		   eh.e_phnum < 4096) {
		k = PROG_STATIC;
		for (unsigned i = 0; i < eh.e_phnum; i++) {
			Elf64_Phdr ph;
			if (pread(fd, &ph, sizeof(ph), (off_t)(eh.e_phoff + i * sizeof(ph))) != (ssize_t)sizeof(ph))
				break;
			if (ph.p_type == PT_INTERP) {
				k = PROG_DYNAMIC;
				break;
			}
		}
	} else if (n >= SELFMAG && !memcmp(eh.e_ident, ELFMAG, SELFMAG)) {
		k = PROG_OTHER;   /* 32-bit or odd ELF: exec will say what it thinks */
	}
	close(fd);
	return k;
}

int prog_is_go(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	Elf64_Ehdr eh;
	int go = 0;
	if (read(fd, &eh, sizeof(eh)) == (ssize_t)sizeof(eh) && !memcmp(eh.e_ident, ELFMAG, SELFMAG) &&
	    eh.e_ident[EI_CLASS] == ELFCLASS64 && eh.e_phentsize == sizeof(Elf64_Phdr) && eh.e_phnum < 4096) {
		for (unsigned i = 0; i < eh.e_phnum && !go; i++) {
			Elf64_Phdr ph;
			if (pread(fd, &ph, sizeof(ph), (off_t)(eh.e_phoff + i * sizeof(ph))) != (ssize_t)sizeof(ph))
				break;
			if (ph.p_type != PT_NOTE)
				continue;
			/* the Go linker's build id: a note named "Go" (namesz 4, "Go\0\0"), type 4 */
			unsigned char buf[4096];
			size_t len = ph.p_filesz < sizeof(buf) ? (size_t)ph.p_filesz : sizeof(buf);
			ssize_t got = pread(fd, buf, len, (off_t)ph.p_offset);
			for (size_t at = 0; got > 0 && at + 12 <= (size_t)got;) {
				uint32_t nsz, dsz, type;
				memcpy(&nsz, buf + at, 4);
				memcpy(&dsz, buf + at + 4, 4);
				memcpy(&type, buf + at + 8, 4);
				if (nsz > 4096 || dsz > 4096)
					break;
				if ((nsz == 3 || nsz == 4) && type == 4 && at + 15 <= (size_t)got &&
				    !memcmp(buf + at + 12, "Go", 3)) {
					go = 1;
					break;
				}
				at += 12 + ((nsz + 3u) & ~3u) + ((dsz + 3u) & ~3u);
			}
		}
	}
	close(fd);
	return go;
}

int prog_is_setid(const char *path)
{
	struct stat st;
	if (stat(path, &st) != 0)
		return 0;
	return ((st.st_mode & S_ISUID) && st.st_uid != geteuid()) ||
	       ((st.st_mode & S_ISGID) && st.st_gid != getegid());
}

#ifndef SCORCH_SONAME
#define SCORCH_SONAME "libscorch.so.0"   /* the Makefile passes it */
#endif

int runtime_locate(char *out, size_t outlen)
{
	const char *env = getenv("SCORCH_RUNTIME");
	if (env && *env) {
		if (access(env, R_OK) != 0)
			return -ENOENT;
		if (!realpath(env, out))
			snprintf(out, outlen, "%s", env);
		return 0;
	}
	char self[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n <= 0)
		return -ENOENT;
	self[n] = 0;
	char *slash = strrchr(self, '/');
	if (!slash)
		return -ENOENT;
	*slash = 0;
	/* the build directory; then as `make install` lays it out (bin/scorch,
	 * lib/libscorch.so.MAJOR), also where a distribution puts libraries in
	 * lib64 or lib/scorch */
	const char *cands[] = { "%s/libscorch.so", "%s/../lib/" SCORCH_SONAME, "%s/../lib64/" SCORCH_SONAME,
				"%s/../lib/scorch/libscorch.so" };
	for (size_t i = 0; i < sizeof(cands) / sizeof(cands[0]); i++) {
		char p[PATH_MAX + 64];
		snprintf(p, sizeof(p), cands[i], self);
		if (access(p, R_OK) == 0) {
			char r[PATH_MAX];
			snprintf(out, outlen, "%s", realpath(p, r) ? r : p);
			return 0;
		}
	}
	return -ENOENT;
}
