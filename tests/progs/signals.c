/* signals: the target's own signal handlers must keep working under a
 * profiler that also uses signals. Installs SIGUSR1 and SIGSEGV handlers
 * with sigaction, raises SIGUSR1 three times and SIGSEGV once, then takes
 * one real NULL-pointer fault and recovers from it with siglongjmp.
 *
 * Prints exactly "signals: usr1=3 segv=2\n" on stdout and exits 0.
 * Expected heap behaviour: no own allocations; stdio allocates stdout's
 * buffer once (see EXPECTED.md).
 */
#define _GNU_SOURCE
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

static volatile sig_atomic_t usr1_count, segv_count;
static sigjmp_buf recover;
static volatile sig_atomic_t fault_armed;

/* async-signal-safe */
static void on_usr1(int sig)
{
	usr1_count++;
}

/* async-signal-safe: a real fault jumps back; a raised one just returns. */
static void on_segv(int sig, siginfo_t *info, void *uctx)
{
	segv_count++;
	if (fault_armed) {
		fault_armed = 0;
		siglongjmp(recover, 1);
	}
}

__attribute__((noinline)) static void real_fault(void)
{
	volatile int *null = NULL;

	*null = 1;
}

int main(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_usr1;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGUSR1, &sa, NULL) != 0)
		return 1;
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_segv;
	sa.sa_flags = SA_SIGINFO;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGSEGV, &sa, NULL) != 0)
		return 1;

	for (int i = 0; i < 3; i++)
		raise(SIGUSR1);
	raise(SIGSEGV);
	if (sigsetjmp(recover, 1) == 0) {
		fault_armed = 1;
		real_fault();
	}
	printf("signals: usr1=%d segv=%d\n", (int)usr1_count, (int)segv_count);
	return usr1_count == 3 && segv_count == 2 ? 0 : 1;
}
