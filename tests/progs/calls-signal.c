/* calls-signal: traced signal handlers (-finstrument-functions, -lscorch).
 * fib(24) (150049 calls of fib) runs while a timer sends SIGALRM every
 * 200 us to a traced handler, on_tick, which calls tick(); then fib2(20)
 * (21891 calls) while the handler is on_alt, run on an alternate signal
 * stack. The handlers count their runs; prints "fib=46368,6765" and, on a
 * second line, "ticks=N alt=M". Under scorch fib and fib2 keep their exact
 * counts, the handlers' calls nest inside what they interrupted, and no
 * span is left open or unwound. A handler that interrupts scorch's own hook
 * is not recorded, so scorch shows at most N and M of them. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

static volatile sig_atomic_t ticks, alts;

static void tick(void)
{
	ticks++;
}

static void on_tick(int sig)
{
	(void)sig;
	tick();
}

static void on_alt(int sig)
{
	(void)sig;
	alts++;
}

static int fib(int n)
{
	return n < 2 ? n : fib(n - 1) + fib(n - 2);
}

static int fib2(int n)
{
	return n < 2 ? n : fib2(n - 1) + fib2(n - 2);
}

static void arm(long us)
{
	struct itimerval it = { { 0, us }, { 0, us } };
	setitimer(ITIMER_REAL, &it, NULL);
}

int main(void)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_tick;
	sa.sa_flags = SA_RESTART;
	sigaction(SIGALRM, &sa, NULL);
	arm(200);
	int a = fib(24);
	arm(0);

	stack_t ss = { .ss_sp = malloc(1 << 16), .ss_size = 1 << 16, .ss_flags = 0 };
	sigaltstack(&ss, NULL);
	sa.sa_handler = on_alt;
	sa.sa_flags = SA_RESTART | SA_ONSTACK;
	sigaction(SIGALRM, &sa, NULL);
	arm(200);
	int b = fib2(20);
	arm(0);
	printf("fib=%d,%d\nticks=%d alt=%d\n", a, b, (int)ticks, (int)alts);
	return 0;
}
