/* dlopen: allocations from a library loaded and unloaded at run time.
 * dlopens libtalloc.so (argv[1], else the libtalloc.so next to this
 * executable), calls lib_alloc_n(5) (5 x 48 B leaked, in lib_site called
 * from lib_alloc_n), dlcloses it and exits 0.
 *
 * Expected heap behaviour: own calls none; library calls malloc 5 x 48 B,
 * leaked (240 B). dlopen/dlclose themselves allocate and free inside the
 * dynamic loader (measured counts in EXPECTED.md). Prints nothing on
 * success; on failure a message on stderr and exit 1.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

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

	if (argc > 1)
		snprintf(path, sizeof(path), "%s", argv[1]);
	else if (sibling_path(path, sizeof(path), "libtalloc.so") != 0)
		return 1;
	void *lib = dlopen(path, RTLD_NOW | RTLD_LOCAL);
	if (!lib) {
		fprintf(stderr, "dlopen: %s\n", dlerror());
		return 1;
	}
	int (*alloc_n)(int) = (int (*)(int))dlsym(lib, "lib_alloc_n");
	if (!alloc_n) {
		fprintf(stderr, "dlopen: %s\n", dlerror());
		return 1;
	}
	if (alloc_n(5) != 5)
		return 1;
	if (dlclose(lib) != 0) {
		fprintf(stderr, "dlopen: %s\n", dlerror());
		return 1;
	}
	return 0;
}
