/* cpu-sigprof: a program that profiles itself the old way: its own SIGPROF
 * handler and setitimer(ITIMER_PROF) at 100 Hz, while sigprof_burn does a
 * fixed computation (about 1 s of CPU at -O0) and then spins until 50 ticks
 * have arrived (bounded at 10 s of CPU).
 *
 * Expected, with or without a profiler that uses other signals: stdout is
 * exactly "checksum 0xd8a2089bcd969325" then "sigprof ok", exit 0. It fails
 * (exit 1, says why on stdout) if its handler was replaced, the timer
 * stopped or was reset, ticks arrived faster than its CPU time allows, or a
 * system call it makes was broken by a foreign signal.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#define ROUNDS   125
#define PER_ROUND 8000000
#define MIN_TICKS 50

static volatile sig_atomic_t ticks;

static void on_sigprof(int sig)
{
	(void)sig;
	ticks++;
}

static double process_cpu_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* A fixed amount of deterministic work: the same checksum on every run. */
__attribute__((noinline)) static uint64_t sigprof_burn(void)
{
	uint64_t h = 0xcbf29ce484222325ULL;

	for (int r = 0; r < ROUNDS; r++)
		for (uint32_t i = 0; i < PER_ROUND; i++) {
			h ^= i + (uint64_t)r;
			h *= 0x100000001b3ULL;
		}
	return h;
}

/* More CPU, no result: only there to let the ticks accumulate. */
__attribute__((noinline)) static void sigprof_spin(void)
{
	volatile uint64_t x = 0;

	for (int i = 0; i < 1000000; i++)
		x += (uint64_t)i;
}

int main(void)
{
	struct sigaction sa, now;
	struct itimerval it = { { 0, 10000 }, { 0, 10000 } }, left;
	int fds[2], fail = 0;
	char buf[64];
	uint64_t sum;
	double cpu0, cpu;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_sigprof;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = SA_RESTART;
	if (sigaction(SIGPROF, &sa, NULL) || setitimer(ITIMER_PROF, &it, NULL)) {
		printf("sigprof setup failed: %s\n", strerror(errno));
		return 1;
	}
	cpu0 = process_cpu_s();

	sum = sigprof_burn();
	while (ticks < MIN_TICKS && process_cpu_s() - cpu0 < 10.0)
		sigprof_spin();

	/* Pipe round trips while signals fly: with SA_RESTART on our side, a
	 * short read or an EINTR here means someone else's signal broke it. */
	if (pipe(fds) == 0) {
		for (int i = 0; i < 1000; i++) {
			if (write(fds[1], "0123456789abcdef", 16) != 16 ||
			    read(fds[0], buf, sizeof(buf)) != 16) {
				printf("pipe i/o interrupted: %s\n", strerror(errno));
				fail = 1;
				break;
			}
		}
		close(fds[0]);
		close(fds[1]);
	}

	cpu = process_cpu_s() - cpu0;
	getitimer(ITIMER_PROF, &left);
	sigaction(SIGPROF, NULL, &now);
	it.it_value.tv_sec = it.it_value.tv_usec = 0;
	it.it_interval = it.it_value;
	setitimer(ITIMER_PROF, &it, NULL);

	printf("checksum 0x%016llx\n", (unsigned long long)sum);
	if (now.sa_handler != on_sigprof) {
		printf("sigprof handler replaced\n");
		fail = 1;
	}
	if (left.it_interval.tv_sec != 0 || left.it_interval.tv_usec != 10000) {
		printf("sigprof timer changed: interval %ld.%06ld s\n",
		       (long)left.it_interval.tv_sec, (long)left.it_interval.tv_usec);
		fail = 1;
	}
	/* ITIMER_PROF cannot fire more often than once per 10 ms of process
	 * CPU time; clearly more ticks than that (a profiler's SIGPROF at its
	 * rate would bring 10 times as many) means SIGPROF came from
	 * elsewhere. The kernel charges the timer by tick-sampled time, a
	 * little more than the precise CPU time on a loaded machine (262 ticks
	 * for 2.58 s once; 129 for 1.19 s beside two CPU hogs), and ticks
	 * before cpu0 count: half as many again and 5 ticks leeway, still far
	 * from a foreign SIGPROF's tenfold. */
	if (ticks < MIN_TICKS || ticks > cpu * 150 + 5) {
		printf("sigprof ticks %d for %.2f s of CPU\n", (int)ticks, cpu);
		fail = 1;
	}
	if (!fail)
		printf("sigprof ok\n");
	fprintf(stderr, "cpu-sigprof: %d ticks in %.2f s of CPU\n", (int)ticks, cpu);
	return fail;
}
