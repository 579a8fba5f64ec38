/* The decompressed debug file cache (debug-cache.h): find an entry by the
 * build id of a debug file libdwfl found, check it, or make it with libelf
 * (copy the file, decompress its .debug_* sections in place, let libelf lay
 * the file out again) and rename it into place. */
#include "debug-cache.h"

#include <dirent.h>
#include <elfutils/libdwelf.h>
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "../lib/die.h"

/* Temporary files of writers that died are removed after this long. */
#define STALE_TMP_SECONDS 3600

static char cache_dir[PATH_MAX];
static int cache_state;         /* 0 unknown, 1 on, -1 off */

static bool make_dirs(char *path)
{
	for (char *p = path + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		int r = mkdir(path, 0700);
		*p = '/';
		if (r != 0 && errno != EEXIST)
			return false;
	}
	return mkdir(path, 0700) == 0 || errno == EEXIST;
}

const char *debug_cache_dir(void)
{
	if (cache_state)
		return cache_state > 0 ? cache_dir : NULL;
	cache_state = -1;
	const char *env = getenv("SCORCH_DEBUG_CACHE");
	const char *xdg = getenv("XDG_CACHE_HOME"), *home = getenv("HOME");
	int n;
	if (env && env[0] == '/')
		n = snprintf(cache_dir, sizeof(cache_dir), "%s", env);
	else if (env)   /* "0", "off", "" or anything else: off */
		return NULL;
	else if (xdg && xdg[0] == '/')
		n = snprintf(cache_dir, sizeof(cache_dir), "%s/scorch/debug", xdg);
	else if (home && home[0] == '/')
		n = snprintf(cache_dir, sizeof(cache_dir), "%s/.cache/scorch/debug", home);
	else
		return NULL;
	if (n <= 0 || (size_t)n >= sizeof(cache_dir) - 64)
		return NULL;
	/* a directory someone else owns could hand us their files */
	struct stat st;
	if (!make_dirs(cache_dir) || stat(cache_dir, &st) != 0 || !S_ISDIR(st.st_mode) ||
	    st.st_uid != geteuid())
		return NULL;
	cache_state = 1;
	return cache_dir;
}

/* Whether a section header names a compressed DWARF section. */
static bool compressed_debug(Elf *elf, size_t shstr, Elf_Scn *scn)
{
	GElf_Shdr sh;
	const char *nm;
	return gelf_getshdr(scn, &sh) && (sh.sh_flags & SHF_COMPRESSED) &&
	       (nm = elf_strptr(elf, shstr, sh.sh_name)) && !strncmp(nm, ".debug_", 7);
}

/* Reads `elf`'s build id into id (up to 64 bytes); returns its length, 0
 * when it has none. With `compressed` set, also says whether any .debug_*
 * section is compressed; with `size` > 0 checks that every section lies
 * inside the file's size (-1 when not: a damaged entry). */
static int elf_facts(Elf *elf, uint8_t id[64], bool *compressed, uint64_t size)
{
	const void *b;
	ssize_t n = elf && elf_kind(elf) == ELF_K_ELF ? dwelf_elf_gnu_build_id(elf, &b) : -1;
	size_t shstr;
	if (n <= 0 || n > 64 || elf_getshdrstrndx(elf, &shstr) != 0)
		return 0;
	memcpy(id, b, (size_t)n);
	*compressed = false;
	Elf_Scn *scn = NULL;
	while ((scn = elf_nextscn(elf, scn))) {
		GElf_Shdr sh;
		if (!gelf_getshdr(scn, &sh))
			return -1;
		if (compressed_debug(elf, shstr, scn))
			*compressed = true;
		if (size && sh.sh_type != SHT_NOBITS && (sh.sh_offset > size || sh.sh_size > size - sh.sh_offset))
			return -1;
	}
	return (int)n;
}

/* Whether the file at fd is a complete, decompressed copy with build id
 * `id`. */
static bool entry_ok(int fd, const uint8_t *id, int idlen)
{
	struct stat st;
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size <= 0)
		return false;
	Elf *elf = elf_begin(fd, ELF_C_READ_MMAP, NULL);
	uint8_t got[64];
	bool compressed = true;
	int n = elf_facts(elf, got, &compressed, (uint64_t)st.st_size);
	elf_end(elf);
	return n == idlen && !memcmp(got, id, (size_t)idlen) && !compressed;
}

static bool copy_fd(int from, int to)
{
	char buf[1 << 16];
	off_t off = 0;
	for (;;) {
		ssize_t n = pread(from, buf, sizeof(buf), off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n == 0;
		for (ssize_t done = 0; done < n;) {
			ssize_t w = write(to, buf + done, (size_t)(n - done));
			if (w < 0 && errno == EINTR)
				continue;
			if (w <= 0)
				return false;
			done += w;
		}
		off += n;
	}
}

/* Decompresses the .debug_* sections of the ELF file copied to fd, in
 * place; libelf lays the sections out again (in order, aligned, which keeps
 * the offsets of the allocated sections before them, which the program
 * headers name). */
static bool decompress_in_place(int fd)
{
	Elf *elf = elf_begin(fd, ELF_C_RDWR, NULL);
	size_t shstr;
	bool ok = elf && elf_kind(elf) == ELF_K_ELF && elf_getshdrstrndx(elf, &shstr) == 0;
	Elf_Scn *scn = NULL;
	while (ok && (scn = elf_nextscn(elf, scn)))
		if (compressed_debug(elf, shstr, scn) && elf_compress(scn, 0, 0) < 0)
			ok = false;
	if (ok && elf_update(elf, ELF_C_WRITE) < 0)
		ok = false;
	elf_end(elf);
	return ok;
}

struct entry {
	char name[NAME_MAX + 1];
	time_t mtime;
	uint64_t size;
};

static int cmp_entry_age(const void *a, const void *b)
{
	const struct entry *x = a, *y = b;
	return x->mtime < y->mtime ? -1 : x->mtime > y->mtime;
}

/* Removes temporary files writers left behind and, past the size bound,
 * the least recently used entries other than `keep`. */
static void prune(const char *dir, const char *keep)
{
	DIR *d = opendir(dir);
	if (!d)
		return;
	struct entry *v = NULL;
	size_t len = 0, cap = 0;
	uint64_t total = 0;
	time_t now = time(NULL);
	struct dirent *de;
	while ((de = readdir(d))) {
		struct stat st;
		size_t nl = strlen(de->d_name);
		if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0 || !S_ISREG(st.st_mode))
			continue;
		if (!strncmp(de->d_name, ".tmp-", 5)) {
			if (now - st.st_mtime > STALE_TMP_SECONDS)
				unlinkat(dirfd(d), de->d_name, 0);
			continue;
		}
		if (nl < 7 || strcmp(de->d_name + nl - 6, ".debug"))
			continue;
		total += (uint64_t)st.st_size;
		if (!strcmp(de->d_name, keep))
			continue;
		if (len == cap) {
			cap = cap ? cap * 2 : 32;
			v = xrealloc(v, cap * sizeof(*v));
		}
		memcpy(v[len].name, de->d_name, nl + 1);
		v[len].mtime = st.st_mtime;
		v[len].size = (uint64_t)st.st_size;
		len++;
	}
	uint64_t max = DEBUG_CACHE_MAX_BYTES;
	const char *mb = getenv("SCORCH_DEBUG_CACHE_MB");
	if (mb && *mb) {
		char *end;
		unsigned long long n = strtoull(mb, &end, 10);
		if (!*end && n < ((uint64_t)1 << 40))
			max = (uint64_t)n << 20;
	}
	if (total > max && len) {
		qsort(v, len, sizeof(*v), cmp_entry_age);
		for (size_t i = 0; i < len && total > max; i++)
			if (unlinkat(dirfd(d), v[i].name, 0) == 0)
				total -= v[i].size;
	}
	free(v);
	closedir(d);
}

/* The path libdwfl looks at first for the debug file of build id `id`:
 * /usr/lib/debug/.build-id/xx/yyyy.debug. */
static bool build_id_path(const uint8_t *id, int idlen, char *path, size_t size)
{
	int n = snprintf(path, size, "/usr/lib/debug/.build-id/%02x/", id[0]);
	for (int i = 1; i < idlen && n > 0 && (size_t)n + 3 < size; i++)
		n += snprintf(path + n, size - (size_t)n, "%02x", id[i]);
	if (n <= 0 || (size_t)n + 7 >= size)
		return false;
	strcpy(path + n, ".debug");
	return true;
}

int debug_cache_open(const uint8_t *id, int idlen, char **debug_path)
{
	const char *dir;
	if (idlen <= 0 || idlen > 64 || !(dir = debug_cache_dir()))
		return -1;
	elf_version(EV_CURRENT);
	char name[2 * 64 + 8], path[PATH_MAX + 256], tmp[PATH_MAX + 256], orig[PATH_MAX];
	for (int i = 0; i < idlen; i++)
		snprintf(name + 2 * i, 3, "%02x", id[i]);
	strcpy(name + 2 * idlen, ".debug");
	snprintf(path, sizeof(path), "%s/%s", dir, name);

	int c = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (c >= 0) {
		if (entry_ok(c, id, idlen)) {
			/* its time says when it was last used, for prune() */
			futimens(c, NULL);
			/* libdw finds .gnu_debugaltlink and .dwo files relative
			 * to the debug file's name: the original's */
			if (build_id_path(id, idlen, orig, sizeof(orig)))
				*debug_path = xstrdup(orig);
			return c;
		}
		close(c);
	}

	/* no entry: make one from the installed debug file, when its DWARF
	 * is compressed and its build id is the module's */
	int fd = build_id_path(id, idlen, orig, sizeof(orig)) ? open(orig, O_RDONLY | O_CLOEXEC) : -1;
	if (fd < 0)
		return -1;
	Elf *elf = elf_begin(fd, ELF_C_READ_MMAP, NULL);
	uint8_t got[64];
	bool compressed = false;
	int n = elf_facts(elf, got, &compressed, 0);
	elf_end(elf);
	if (n != idlen || memcmp(got, id, (size_t)idlen) || !compressed) {
		close(fd);
		return -1;
	}
	snprintf(tmp, sizeof(tmp), "%s/.tmp-%s.XXXXXX", dir, name);
	int t = mkstemp(tmp);
	if (t < 0) {
		close(fd);
		return -1;
	}
	bool ok = copy_fd(fd, t) && decompress_in_place(t) && entry_ok(t, id, idlen) &&
		  rename(tmp, path) == 0;
	close(t);
	close(fd);
	if (!ok) {
		unlink(tmp);
		return -1;
	}
	prune(dir, name);
	c = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (c >= 0)
		*debug_path = xstrdup(orig);
	return c;
}
