/* cpu-execenv: starts its second image with an environment of its own
 * making, which has none of the profiler's variables, then checks the new
 * image got exactly what it was given of its own.
 *
 *   cpu-execenv execve     execve(self, "child", {"ONLY=1"})
 *   cpu-execenv clearenv   clearenv(), setenv ONLY=1, execv(self, "child")
 *   cpu-execenv spawn      posix_spawn(self, "child", {"ONLY=1"}), then waits
 *
 * Either way the parent burns about 200 ms of CPU in parent_spin first and
 * the child about 200 ms in child_spin, and the child prints
 * "cpu-execenv: child ok" (exit 0) when ONLY is 1, or exits 3. The spawn
 * parent exits with the child's status.
 */
#define _GNU_SOURCE
#include <spawn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static volatile uint64_t sink;

static int64_t cpu_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void burn(int64_t ns)
{
	int64_t until = cpu_ns() + ns;
	while (cpu_ns() < until)
		for (int i = 0; i < 2000; i++)
			sink = sink * 6364136223846793005ULL + 1;
}

__attribute__((noinline)) static void parent_spin(void) { burn(200000000); }
__attribute__((noinline)) static void child_spin(void) { burn(200000000); }

int main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "execve";
	if (!strcmp(mode, "child")) {
		const char *v = getenv("ONLY");
		if (!v || strcmp(v, "1"))
			return 3;
		child_spin();
		printf("cpu-execenv: child ok\n");
		return 0;
	}
	char self[4096];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n <= 0)
		return 2;
	self[n] = 0;
	char *cargv[] = { self, "child", NULL };
	char *cenv[] = { "ONLY=1", NULL };
	parent_spin();
	fflush(stdout);
	if (!strcmp(mode, "execve")) {
		execve(self, cargv, cenv);
	} else if (!strcmp(mode, "clearenv")) {
		clearenv();
		setenv("ONLY", "1", 1);
		execv(self, cargv);
	} else if (!strcmp(mode, "spawn")) {
		pid_t pid;
		if (posix_spawn(&pid, self, NULL, NULL, cargv, cenv) != 0)
			return 2;
		int st;
		if (waitpid(pid, &st, 0) != pid)
			return 2;
		return WIFEXITED(st) ? WEXITSTATUS(st) : 2;
	}
	perror("cpu-execenv");
	return 2;
}
