/* endstamp: tells a benchmark when the program it runs under a profiler
 * ended, so that the profiler's work after the program's exit can be told
 * from the program's own time (bench/heap-scale.sh, column "after exit").
 *
 * Preloaded into everything a run starts (the profiler's launcher, scripts
 * and helpers get it too, through the inherited LD_PRELOAD); only a process
 * whose /proc/self/exe is BENCH_ENDSTAMP_EXE writes. At exit (a destructor,
 * after main returned or exit was called) it appends one line to the file
 * BENCH_ENDSTAMP:
 *
 *     end PID REALTIME_NS VMHWM_KB
 *
 * the CLOCK_REALTIME time (comparable with `date +%s%N`) and the process's
 * own peak RSS from /proc/self/status. Uses no malloc (the heap profilers
 * would count it), only system calls and stack buffers; writes nothing when
 * either variable is unset. A program that ends with _exit or a signal
 * leaves no line. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static long vmhwm_kb(void)
{
	char buf[4096];
	int fd = open("/proc/self/status", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	ssize_t n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = 0;
	const char *p = strstr(buf, "\nVmHWM:");
	return p ? strtol(p + 7, NULL, 10) : -1;
}

__attribute__((destructor)) static void endstamp(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	const char *file = getenv("BENCH_ENDSTAMP"), *want = getenv("BENCH_ENDSTAMP_EXE");
	if (!file || !*file || !want || !*want)
		return;
	char exe[4096];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n <= 0)
		return;
	exe[n] = 0;
	if (strcmp(exe, want) != 0)
		return;
	char line[128];
	int len = snprintf(line, sizeof(line), "end %d %lld%09ld %ld\n", (int)getpid(), (long long)ts.tv_sec,
			   ts.tv_nsec, vmhwm_kb());
	int fd = open(file, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0)
		return;
	if (write(fd, line, (size_t)len) != len) {
		/* nothing to do: the benchmark reports the figure as missing */
	}
	close(fd);
}
