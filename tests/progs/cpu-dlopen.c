/* cpu-dlopen [N [T]]: loads and unloads a library N times (default 3000) on
 * each of T threads (default 1: the main thread alone), the way a program
 * with plugins or extension modules does. Each round dlopens
 * libz.so.1 (RTLD_NOW), looks up crc32, checksums a 4 KiB block with it and
 * dlcloses it, so the loader takes and releases its locks (and unmaps the
 * library: the program links nothing else that needs libz) in every round.
 * Under `scorch record -F 9999` a sample lands inside the loader thousands of
 * times; it must never wait on the loader's lock (issue 11: 1 run in 3 hung).
 *
 * With T threads, each one's loads and unloads race with the others' for the
 * loader's lock, and a sample on one thread may land while another holds it.
 *
 * Prints `cpu-dlopen: T x N rounds, crc 0xXXXXXXXX` (the same every run: the
 * checksums are summed) and exits 0; on a failed dlopen, dlsym or thread
 * start a message on stderr and exit 1.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

static int rounds;

/* N rounds; returns the sum of the checksums, or -1 on a failure (said). */
static long loop(void)
{
	unsigned char block[4096];
	for (size_t i = 0; i < sizeof(block); i++)
		block[i] = (unsigned char)(i * 7 + 3);
	unsigned long sum = 0;
	for (int r = 0; r < rounds; r++) {
		void *z = dlopen("libz.so.1", RTLD_NOW | RTLD_LOCAL);
		if (!z) {
			fprintf(stderr, "cpu-dlopen: %s\n", dlerror());
			return -1;
		}
		unsigned long (*crc32)(unsigned long, const unsigned char *, unsigned) =
			(unsigned long (*)(unsigned long, const unsigned char *, unsigned))dlsym(z, "crc32");
		if (!crc32) {
			fprintf(stderr, "cpu-dlopen: %s\n", dlerror());
			return -1;
		}
		block[r % sizeof(block)] ^= (unsigned char)r;
		sum += crc32(0, block, sizeof(block));
		if (dlclose(z) != 0) {
			fprintf(stderr, "cpu-dlopen: %s\n", dlerror());
			return -1;
		}
	}
	return (long)(sum & 0xffffffffu);
}

static void *thread_main(void *arg)
{
	*(long *)arg = loop();
	return NULL;
}

int main(int argc, char **argv)
{
	rounds = argc > 1 ? atoi(argv[1]) : 3000;
	int nt = argc > 2 ? atoi(argv[2]) : 1;
	if (nt < 1 || nt > 64) {
		fprintf(stderr, "cpu-dlopen: 1 to 64 threads\n");
		return 1;
	}
	long res[64];
	pthread_t th[64];
	if (nt == 1) {
		res[0] = loop();
	} else {
		for (int i = 0; i < nt; i++)
			if (pthread_create(&th[i], NULL, thread_main, &res[i]) != 0) {
				fprintf(stderr, "cpu-dlopen: cannot start a thread\n");
				return 1;
			}
		for (int i = 0; i < nt; i++)
			pthread_join(th[i], NULL);
	}
	unsigned long sum = 0;
	for (int i = 0; i < nt; i++) {
		if (res[i] < 0)
			return 1;
		sum += (unsigned long)res[i];
	}
	printf("cpu-dlopen: %d x %d rounds, crc 0x%08lx\n", nt, rounds, sum & 0xffffffffu);
	return 0;
}
