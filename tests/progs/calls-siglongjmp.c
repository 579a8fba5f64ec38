/* calls-siglongjmp: calls left by siglongjmp out of a traced SIGSEGV handler
 * (-finstrument-functions, -lscorch). 100 rounds of
 * `if (sigsetjmp(env, 1) == 0) poke();`: poke writes through a null pointer,
 * the handler segv() (sigaction) calls spin() and siglongjmps back to main;
 * then main calls work(). With argument "alt" the handler runs on an
 * alternate signal stack (SA_ONSTACK) that malloc made (below the program's
 * stack), with "altmain" on one in main's frame (above poke's frame, below
 * main's), else on the program's own stack.
 * poke 100 calls (none returns: all unwound, inside main), segv 100 (none
 * returns: unwound, inside poke, where the signal came), spin 100 (inside
 * segv), work 100 (inside main), main 1. Prints "rounds 100 loop_ns N" with
 * N the wall time of the loop measured by the program (CLOCK_MONOTONIC).
 * With argument "threads": 4 threads call work() 50 times each (rounds is
 * not atomic: it is printed, not checked), then one of them calls exit(0)
 * while main waits for them; work 200 calls on 4 threads. */
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static sigjmp_buf env;
static int *volatile nullp;
static volatile unsigned long sink;
static volatile int rounds;

static void spin(void)
{
	for (int i = 0; i < 2000; i++)
		sink += (unsigned long)i;
}

static void segv(int sig)
{
	(void)sig;
	spin();
	siglongjmp(env, 1);
}

static void poke(void)
{
	*nullp = 1;
}

static void work(void)
{
	for (int i = 0; i < 2000; i++)
		sink += (unsigned long)i;
	__atomic_add_fetch(&rounds, 1, __ATOMIC_RELAXED); /* 4 threads in "threads" */
}

static long long now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static pthread_barrier_t bar;

/* "threads": 4 threads call work() 50 times each, then the last of them
 * ends the process by exit() while main waits in pthread_join */
static void *worker(void *arg)
{
	for (int i = 0; i < 50; i++)
		work();
	pthread_barrier_wait(&bar);
	if ((long)arg == 3) {
		printf("rounds %d\n", rounds);
		fflush(stdout);
		exit(0);
	}
	pause();
	return NULL;
}

static int threads(void)
{
	pthread_t t[4];
	pthread_barrier_init(&bar, NULL, 4);
	for (long i = 0; i < 4; i++)
		pthread_create(&t[i], NULL, worker, (void *)i);
	for (int i = 0; i < 4; i++)
		pthread_join(t[i], NULL);
	return 1;
}

/* "recjmp": main calls rec(5); rec(4) calls rec(3) from another call
 * instruction than the others; rec(3) sets a jump buffer, and the first
 * leaf() longjmps back to it, leaving rec(2), rec(1), rec(0) and leaf; rec(3)
 * calls rec(2) again, from the call instruction rec(4) was called from.
 * rec 9 calls (3 unwound), leaf 2 (1 unwound). */
static jmp_buf rjb;
static volatile int jumped;

static void leaf(void)
{
	if (!jumped) {
		jumped = 1;
		longjmp(rjb, 1);
	}
}

static void rec(int n)
{
	if (n == 3)
		setjmp(rjb);
	if (n == 4)
		rec(n - 1);
	else if (n > 0)
		rec(n - 1);
	else
		leaf();
}

int main(int argc, char **argv)
{
	if (argc > 1 && !strcmp(argv[1], "threads"))
		return threads();
	if (argc > 1 && !strcmp(argv[1], "recjmp")) {
		rec(5);
		printf("rec done\n");
		return 0;
	}
	int alt = argc > 1 && !strcmp(argv[1], "alt"), altmain = argc > 1 && !strcmp(argv[1], "altmain");
	/* altmain's alternate stack: in main's frame, above poke's */
	char local[1 << 16];
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = segv;
	sa.sa_flags = 0;
	if (alt || altmain) {
		stack_t ss = { .ss_sp = altmain ? local : malloc(1 << 16), .ss_size = 1 << 16, .ss_flags = 0 };
		if (!ss.ss_sp || sigaltstack(&ss, NULL) != 0) {
			perror("sigaltstack");
			return 1;
		}
		sa.sa_flags |= SA_ONSTACK;
	}
	sigaction(SIGSEGV, &sa, NULL);
	long long t0 = now_ns();
	for (int i = 0; i < 100; i++) {
		if (sigsetjmp(env, 1) == 0)
			poke();
		work();
	}
	long long t1 = now_ns();
	printf("rounds %d loop_ns %lld\n", rounds, t1 - t0);
	return 0;
}
