/* late-thread: a long single-threaded phase, then (unless argv[1] is
 * "solo") a second thread that allocates. Exercises a profiler that streams
 * a single-threaded program's events as they come and must change course
 * when a second thread shows up after more than a million events.
 *
 * Expected heap behaviour: main_site malloc(32) x 1,200,000, each freed at
 * once by main_free (1,200,000 temporaries); then, with the thread,
 * thread_site malloc(48) x 5, leaked (pthread_create adds one calloc, the
 * thread's DTV). Prints nothing, exits 0. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

static volatile unsigned long sink;
static void *keep[5];

__attribute__((noinline)) static void *main_site(void) { return malloc(32); }

__attribute__((noinline)) static void main_free(void *p)
{
	sink += (unsigned long)p & 1;
	free(p);
}

__attribute__((noinline)) static void *thread_site(void *arg)
{
	(void)arg;
	for (int i = 0; i < 5; i++)
		keep[i] = malloc(48);
	return NULL;
}

int main(int argc, char **argv)
{
	for (int i = 0; i < 1200000; i++)
		main_free(main_site());
	if (argc > 1 && !strcmp(argv[1], "solo"))
		return 0;
	pthread_t t;
	if (pthread_create(&t, NULL, thread_site, NULL) != 0)
		return 1;
	pthread_join(t, NULL);
	return 0;
}
