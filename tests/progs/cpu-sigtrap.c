/* cpu-sigtrap: a program that uses SIGTRAP itself, which scorch's sampler
 * also receives (perf sigtrap counters). First it ignores SIGTRAP, raises one
 * and burns argv[1] ms of CPU in burn_ignored (default 300); then it installs
 * a handler that counts, raises three and burns as long in burn_handled.
 * Prints "cpu-sigtrap: ignored, then 3 traps handled" and exits 0; with a
 * sampler, both burn functions must show samples and the handler must see
 * exactly the program's own three traps.
 */
#define _GNU_SOURCE
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static volatile uint64_t sink;
static volatile sig_atomic_t traps;

static void on_trap(int sig, siginfo_t *si, void *uc)
{
	(void)sig;
	(void)uc;
	if (si->si_code == SI_TKILL || si->si_code == SI_USER)
		traps++;
	else
		traps += 1000;   /* somebody else's SIGTRAP reached the program */
}

static int64_t cpu_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

#define BURN(name)                                                         \
	__attribute__((noinline)) static void name(long ms)                 \
	{                                                                   \
		int64_t until = cpu_ns() + ms * 1000000LL;                  \
		while (cpu_ns() < until)                                    \
			for (int i = 0; i < 20000; i++)                     \
				sink = sink * 6364136223846793005ULL + 1;   \
	}
BURN(burn_ignored)
BURN(burn_handled)

int main(int argc, char **argv)
{
	long ms = argc > 1 ? atol(argv[1]) : 300;
	signal(SIGTRAP, SIG_IGN);
	raise(SIGTRAP);
	burn_ignored(ms);
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_trap;
	sa.sa_flags = SA_SIGINFO;
	sigaction(SIGTRAP, &sa, NULL);
	for (int i = 0; i < 3; i++)
		raise(SIGTRAP);
	burn_handled(ms);
	if (traps != 3) {
		printf("cpu-sigtrap: the handler saw %d traps, not 3\n", (int)traps);
		return 1;
	}
	printf("cpu-sigtrap: ignored, then 3 traps handled\n");
	return 0;
}
