/* sample-floor: the least an in-process CPU sampler can cost, preloaded into
 * bench/cpu-burn by bench/cpu-overhead.sh (row "floor").
 *
 * At start it opens the same counter scorch opens for a thread: a perf
 * cpu-clock software event on the calling thread, SAMPLE_FLOOR_HZ overflows
 * a second of its CPU time (default 999), each raising a SIGTRAP at that
 * thread (perf's sigtrap). Its handler returns at once: no stack is taken,
 * nothing is stored. What the program loses to it is the timer interrupt
 * and a signal delivery, per sample; what scorch costs above this row is
 * its own work (the unwind, the buffer, the launcher and finalize).
 *
 * The main thread only: cpu-burn has no other. Prints
 * "sample-floor: N signals" to stderr at exit, so the rate can be checked. */
#define _GNU_SOURCE
#include <linux/perf_event.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifndef TRAP_PERF
#define TRAP_PERF 6
#endif

static atomic_ulong signals;

static void on_trap(int sig, siginfo_t *si, void *uc)
{
	(void)sig;
	(void)uc;
	if (si->si_code == TRAP_PERF)
		atomic_fetch_add_explicit(&signals, 1, memory_order_relaxed);
}

static void report(void)
{
	fprintf(stderr, "sample-floor: %lu signals\n", atomic_load(&signals));
}

__attribute__((constructor)) static void start(void)
{
	const char *v = getenv("SAMPLE_FLOOR_HZ");
	long hz = v ? atol(v) : 999;
	if (hz <= 0)
		hz = 999;
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_trap;
	sa.sa_flags = SA_SIGINFO | SA_RESTART;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGTRAP, &sa, NULL) != 0) {
		perror("sample-floor: sigaction");
		return;
	}
	struct perf_event_attr a;
	memset(&a, 0, sizeof(a));
	a.size = sizeof(a);
	a.type = PERF_TYPE_SOFTWARE;
	a.config = PERF_COUNT_SW_CPU_CLOCK;
	a.sample_period = 1000000000ull / (uint64_t)hz;
	a.disabled = 1;
	a.exclude_kernel = 1;
	a.exclude_hv = 1;
	a.sigtrap = 1;
	a.remove_on_exec = 1;
	int fd = (int)syscall(SYS_perf_event_open, &a, 0, -1, -1, PERF_FLAG_FD_CLOEXEC);
	if (fd < 0) {
		perror("sample-floor: perf_event_open");
		return;
	}
	atexit(report);
	ioctl(fd, PERF_EVENT_IOC_RESET, 0);
	ioctl(fd, PERF_EVENT_IOC_ENABLE, 0);
}
