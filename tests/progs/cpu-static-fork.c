/* cpu-static-fork: a statically linked program (the Makefile links names
 * that contain "static" with -static) whose work is split over a fork and
 * an exec, for following processes and images sampled from outside (t051):
 * the parent spins in parent_work for argv[1] ms of its CPU time while its
 * child spins in fork_work for argv[1]/2 ms, then execs this program again
 * ("child N"), which spins in child_work for argv[1] ms. The parent waits
 * for the child, prints "cpu-static-fork: parent N ms, child ok" and exits 0;
 * the exec'd child prints "cpu-static-fork: child N ms". With "wait PATH N"
 * it first waits for PATH to exist (so that a profiler can attach before
 * the fork); with "exit N" it exits N at once.
 *
 * Expected: three images, each one's samples in its own function (>= 98%
 * of them with it on the stack), each at the rate asked over its own CPU
 * time. */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static volatile uint64_t sink;

static int64_t thread_cpu_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

#define SPIN(ms, seed)                                                     \
	do {                                                               \
		int64_t until = thread_cpu_ns() + (int64_t)(ms) * 1000000LL; \
		uint64_t x = sink ^ (seed);                                \
		while (thread_cpu_ns() < until) {                          \
			for (int i = 0; i < 100000; i++)                   \
				x = x * 6364136223846793005ULL + 1442695040888963407ULL; \
			sink = x;                                          \
		}                                                          \
	} while (0)

__attribute__((noinline)) static void parent_work(long ms) { SPIN(ms, 1); }
__attribute__((noinline)) static void fork_work(long ms) { SPIN(ms, 2); }
__attribute__((noinline)) static void child_work(long ms) { SPIN(ms, 3); }

int main(int argc, char **argv)
{
	if (argc > 2 && !strcmp(argv[1], "child")) {
		long ms = strtol(argv[2], NULL, 10);
		child_work(ms);
		printf("cpu-static-fork: child %ld ms\n", ms);
		return 0;
	}
	char *self = argv[0];
	if (argc > 2 && !strcmp(argv[1], "exit"))
		return (int)strtol(argv[2], NULL, 10);
	if (argc > 3 && !strcmp(argv[1], "wait")) {
		struct timespec ts = { 0, 10000000 };
		while (access(argv[2], F_OK) != 0)
			nanosleep(&ts, NULL);
		argv += 2;
	}
	long ms = argc > 1 ? strtol(argv[1], NULL, 10) : 1000;
	if (ms <= 0)
		ms = 1000;
	fflush(stdout);
	pid_t pid = fork();
	if (pid < 0) {
		perror("fork");
		return 1;
	}
	if (pid == 0) {
		char arg[32];
		fork_work(ms / 2);
		snprintf(arg, sizeof(arg), "%ld", ms);
		execl("/proc/self/exe", self, "child", arg, (char *)NULL);
		perror("exec");
		_exit(127);
	}
	parent_work(ms);
	int st;
	if (waitpid(pid, &st, 0) != pid || !WIFEXITED(st) || WEXITSTATUS(st) != 0) {
		fprintf(stderr, "cpu-static-fork: the child failed\n");
		return 1;
	}
	printf("cpu-static-fork: parent %ld ms, child ok\n", ms);
	return 0;
}
