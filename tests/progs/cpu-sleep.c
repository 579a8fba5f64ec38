/* cpu-sleep: one thread (main) in 10 ms cycles on the monotonic clock:
 * busy_compute burns 2 ms of thread CPU time, then sleepy_wait sleeps in
 * nanosleep until the cycle ends, for argv[1] ms (default 2000) of wall time.
 *
 * Expected: a CPU (on-CPU) profile is ~100% busy_compute; a wall-clock
 * profile is ~20% busy_compute on-CPU and ~80% sleepy_wait -> nanosleep
 * off-CPU (perf figures in EXPECTED-CPU.md). Cycle ends are absolute times,
 * so sleep overshoot does not accumulate. Prints "cpu-sleep: N cycles" with
 * N = argv[1] / 10, exits 0.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <time.h>

#define CYCLE_NS 10000000LL
#define BUSY_NS   2000000LL
#define CHUNK     20000       /* iterations between clock reads, ~20 us at -O0 */

static volatile uint64_t sink;

static int64_t clock_ns(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* Burns `ns` of this thread's CPU time. */
__attribute__((noinline)) static void busy_compute(int64_t ns)
{
	int64_t until = clock_ns(CLOCK_THREAD_CPUTIME_ID) + ns;
	uint64_t x = sink;

	while (clock_ns(CLOCK_THREAD_CPUTIME_ID) < until)
		for (int i = 0; i < CHUNK; i++)
			x = x * 6364136223846793005ULL + 1442695040888963407ULL;
	sink = x;
}

static int64_t asleep_ns;   /* wall time spent inside nanosleep */

/* Sleeps until `deadline` on CLOCK_MONOTONIC, in nanosleep. */
__attribute__((noinline)) static void sleepy_wait(int64_t deadline)
{
	int64_t left, t;

	while ((left = deadline - (t = clock_ns(CLOCK_MONOTONIC))) > 0) {
		struct timespec ts = { left / 1000000000LL, left % 1000000000LL };
		int r = nanosleep(&ts, NULL);

		asleep_ns += clock_ns(CLOCK_MONOTONIC) - t;
		if (r && errno != EINTR)
			break;
	}
}

int main(int argc, char **argv)
{
	long ms = argc > 1 ? strtol(argv[1], NULL, 10) : 2000;
	long cycles;
	int64_t t0;

	if (ms < 10)
		ms = 2000;
	cycles = ms / 10;
	/* The default 50 us timer slack would tilt the split toward sleep. */
	prctl(PR_SET_TIMERSLACK, 1UL, 0, 0, 0);
	t0 = clock_ns(CLOCK_MONOTONIC);
	for (long c = 1; c <= cycles; c++) {
		busy_compute(BUSY_NS);
		sleepy_wait(t0 + c * CYCLE_NS);
	}
	printf("cpu-sleep: %ld cycles\n", cycles);
	/* what it measured itself, for checks that hold on a busy machine
	 * (where busy_compute's 2 ms of CPU can take the whole cycle) */
	fprintf(stderr, "cpu-sleep: %.1f ms wall, %.1f ms CPU, %.1f ms asleep\n",
		(clock_ns(CLOCK_MONOTONIC) - t0) / 1e6,
		clock_ns(CLOCK_PROCESS_CPUTIME_ID) / 1e6, asleep_ns / 1e6);
	return 0;
}
