/* cpu-sigblock: worker threads that block every signal for their whole life
 * (as xz's and many thread pools' workers do) and burn thread CPU time in
 * known functions, beside a main thread that burns with its mask untouched.
 *
 *   cpu-sigblock [MS [FIGURES]]
 *
 * Thread "blk-a" burns MS ms of its own CPU time in sigblock_work_a, "blk-b"
 * 2*MS/3 in sigblock_work_b, both with all signals blocked from before their
 * creation (pthread_sigmask around pthread_create, as liblzma does) to their
 * end; then main burns MS/2 in main_work with its mask as it was (default
 * 600). Each thread's CPU time, measured by itself over its whole life
 * (CLOCK_THREAD_CPUTIME_ID), goes to FIGURES as "NAME TID CPU_NS" lines, so
 * a test can compare samples with the time the thread really ran on a busy
 * machine. Expected stdout: "blk-a done", "blk-b done", "main done"; exit 0.
 * A profiler that samples by signals sees almost nothing of blk-a and blk-b.
 *
 *   cpu-sigblock exec MS
 *
 * blocks every signal, burns MS ms in before_exec, then execs itself as
 * "cpu-sigblock after MS", which (the mask survives the exec) burns MS ms in
 * after_exec with every signal still blocked and prints "after ok".
 *
 *   cpu-sigblock toggle SPAN_US MS
 *
 * burns MS ms of CPU in toggle_work, blocking every signal for SPAN_US us
 * of CPU time, then unblocking for as long, over and over; prints
 * "toggle ok". Signals sent while blocked arrive at each unblock.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static volatile uint64_t sink;

static int64_t thread_cpu_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

#define BURN(ns) do { \
	int64_t until = thread_cpu_ns() + (ns); \
	uint64_t x = 7; \
	while (thread_cpu_ns() < until) \
		for (int i = 0; i < 20000; i++) \
			x = x * 6364136223846793005ULL + 1442695040888963407ULL; \
	sink = x; \
} while (0)

__attribute__((noinline)) static void sigblock_work_a(int64_t ns) { BURN(ns); }
__attribute__((noinline)) static void sigblock_work_b(int64_t ns) { BURN(ns); }
__attribute__((noinline)) static void main_work(int64_t ns) { BURN(ns); }
__attribute__((noinline)) static void before_exec(int64_t ns) { BURN(ns); }
__attribute__((noinline)) static void after_exec(int64_t ns) { BURN(ns); }
__attribute__((noinline)) static void toggle_burn(int64_t ns) { BURN(ns); }
__attribute__((noinline)) static void toggle_work(int64_t span, int64_t ns)
{
	sigset_t all, old;
	int64_t until = thread_cpu_ns() + ns;

	sigfillset(&all);
	while (thread_cpu_ns() < until) {
		pthread_sigmask(SIG_SETMASK, &all, &old);
		toggle_burn(span);
		pthread_sigmask(SIG_SETMASK, &old, NULL);
		toggle_burn(span);
	}
}

struct job {
	const char *name;
	void (*fn)(int64_t);
	int64_t ns;
	int ok;
	long tid;
	int64_t cpu;
};

static void *worker(void *arg)
{
	struct job *j = arg;
	sigset_t m;

	pthread_setname_np(pthread_self(), j->name);
	j->tid = syscall(SYS_gettid);
	/* every signal must still be blocked (glibc keeps its two internal
	 * ones out of any set it is given) */
	pthread_sigmask(SIG_SETMASK, NULL, &m);
	j->ok = sigismember(&m, SIGTRAP) && sigismember(&m, SIGPROF) && sigismember(&m, SIGRTMIN + 4);
	j->fn(j->ns);
	pthread_sigmask(SIG_SETMASK, NULL, &m);
	j->ok = j->ok && sigismember(&m, SIGTRAP);
	j->cpu = thread_cpu_ns();
	return NULL;
}

int main(int argc, char **argv)
{
	if (argc > 2 && !strcmp(argv[1], "exec")) {
		sigset_t all;
		sigfillset(&all);
		pthread_sigmask(SIG_SETMASK, &all, NULL);
		before_exec(atoll(argv[2]) * 1000000);
		execl("/proc/self/exe", argv[0], "after", argv[2], (char *)NULL);
		perror("exec");
		return 1;
	}
	if (argc > 3 && !strcmp(argv[1], "toggle")) {
		toggle_work(atoll(argv[2]) * 1000, atoll(argv[3]) * 1000000);
		printf("toggle ok\n");
		return 0;
	}
	if (argc > 2 && !strcmp(argv[1], "after")) {
		sigset_t m;
		pthread_sigmask(SIG_SETMASK, NULL, &m);
		after_exec(atoll(argv[2]) * 1000000);
		printf(sigismember(&m, SIGTRAP) ? "after ok\n" : "after: SIGTRAP not blocked\n");
		return 0;
	}
	int64_t ms = argc > 1 ? atoll(argv[1]) : 600;
	FILE *fig = argc > 2 ? fopen(argv[2], "w") : NULL;
	struct job jobs[2] = {
		{ "blk-a", sigblock_work_a, ms * 1000000, 0, 0, 0 },
		{ "blk-b", sigblock_work_b, ms * 2000000 / 3, 0, 0, 0 },
	};
	pthread_t th[2];
	sigset_t all, old;

	if (argc > 2 && !fig) {
		perror(argv[2]);
		return 1;
	}
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	for (int i = 0; i < 2; i++)
		if (pthread_create(&th[i], NULL, worker, &jobs[i])) {
			printf("pthread_create failed\n");
			return 1;
		}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	for (int i = 0; i < 2; i++) {
		pthread_join(th[i], NULL);
		if (!jobs[i].ok) {
			printf("%s: signal mask not as set\n", jobs[i].name);
			return 1;
		}
		printf("%s done\n", jobs[i].name);
	}
	main_work(ms * 1000000 / 2);
	printf("main done\n");
	if (fig) {
		for (int i = 0; i < 2; i++)
			fprintf(fig, "%s %ld %lld\n", jobs[i].name, jobs[i].tid, (long long)jobs[i].cpu);
		fprintf(fig, "main %ld %lld\n", (long)getpid(), (long long)thread_cpu_ns());
		fclose(fig);
	}
	return 0;
}
