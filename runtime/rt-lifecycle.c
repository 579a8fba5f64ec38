/* Process lifecycle seen from inside the target: exit, _exit, exec (flush
 * everything first: the image is about to vanish), dlopen/dlclose (keep the
 * module list current) and fatal signals (flush, then let the program's own
 * handler or the default action run as if we were not there). */
#define UNW_LOCAL_ONLY
#include <libunwind.h>

#include "rt.h"

#include <dlfcn.h>
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../format/raw.h"
#include "../format/varint.h"

#define NEXT(name) ((__typeof__(&name))scorch_rt_next(#name))

/* ---- exit ---- */

RT_EXPORT void exit(int status)
{
	G.have_exit_status = 1;
	G.exit_status = status;
	typedef void (*exit_fn)(int) __attribute__((noreturn));
	static exit_fn real;
	if (!real)
		real = (exit_fn)scorch_rt_next("exit");
	real(status);
}

RT_EXPORT void _exit(int status)
{
	scorch_rt_final(EXIT_NORMAL, status);
	typedef void (*exit_fn)(int) __attribute__((noreturn));
	static exit_fn real;
	if (!real)
		real = (exit_fn)scorch_rt_next("_exit");
	real(status);
}

RT_EXPORT void _Exit(int status) { _exit(status); }

/* ---- exec ---- */

/* The image ends if exec succeeds: write EXEC, EXIT and END and flush all.
 * If exec fails the program goes on and so does recording. */
static void before_exec(const char *path)
{
	if (atomic_load(&G.state) != RT_ACTIVE || getpid() != G.pid)
		return;   /* a vfork child shares our memory: leave the parent's buffers */
	int g = scorch_rt_guard;
	scorch_rt_guard = 1;
	struct rt_buf *b = scorch_rt_self();
	if (b) {
		scorch_rt_lock(b);
		uint64_t t = scorch_rt_now();
		size_t n = path ? strnlen(path, 4096) : 0;
		uint8_t *p = scorch_rt_reserve(b, 32 + n);
		*p++ = RAW_EXEC;
		p = fmt_put_s(p, (int64_t)(t - b->last_time));
		p = fmt_put_u(p, n);
		if (n)
			memcpy(p, path, n);
		p += n;
		scorch_rt_commit(b, p, t);
		scorch_rt_unlock(b);
	}
	scorch_rt_guard = g;
	scorch_rt_final(EXIT_EXEC, 0);
	G.sync_flush = 0;
	/* A signal sent during the exec would outlive it (pending signals
	 * survive exec) and reach the new image before it has a handler: the
	 * real-time signal's default action ends the process, SIGTRAP's dumps
	 * core. So this thread's counter stops here. */
	scorch_rt_sample_exec(0);
}

/* exec failed: the program goes on, and so does its sampling */
static void after_exec(void)
{
	if (atomic_load(&G.state) != RT_ACTIVE || getpid() != G.pid)
		return;
	int saved = errno;
	scorch_rt_sample_exec(1);
	errno = saved;
}

RT_EXPORT int execve(const char *path, char *const argv[], char *const envp[])
{
	before_exec(path);
	int r = NEXT(execve)(path, argv, envp);
	after_exec();
	return r;
}

RT_EXPORT int execv(const char *path, char *const argv[])
{
	before_exec(path);
	int r = NEXT(execv)(path, argv);
	after_exec();
	return r;
}

RT_EXPORT int execvp(const char *file, char *const argv[])
{
	before_exec(file);
	int r = NEXT(execvp)(file, argv);
	after_exec();
	return r;
}

RT_EXPORT int execvpe(const char *file, char *const argv[], char *const envp[])
{
	before_exec(file);
	int r = NEXT(execvpe)(file, argv, envp);
	after_exec();
	return r;
}

RT_EXPORT int fexecve(int fd, char *const argv[], char *const envp[])
{
	before_exec(NULL);
	int r = NEXT(fexecve)(fd, argv, envp);
	after_exec();
	return r;
}

/* The execl family takes its argv as varargs: gather them on the stack. */
#define GATHER_ARGS(first, ap, argv, extra)                     \
	size_t n__ = 1;                                         \
	va_start(ap, first);                                    \
	while (va_arg(ap, char *))                              \
		n__++;                                          \
	va_end(ap);                                             \
	char *argv[n__ + 1];                                    \
	argv[0] = (char *)first;                                \
	va_start(ap, first);                                    \
	for (size_t i__ = 1; i__ <= n__; i__++)                 \
		argv[i__] = i__ < n__ ? va_arg(ap, char *) : NULL; \
	if (n__ >= 1)                                           \
		(void)va_arg(ap, char *);                       \
	extra;                                                  \
	va_end(ap)

RT_EXPORT int execl(const char *path, const char *arg, ...)
{
	va_list ap;
	GATHER_ARGS(arg, ap, argv, (void)0);
	return execv(path, argv);
}

RT_EXPORT int execlp(const char *file, const char *arg, ...)
{
	va_list ap;
	GATHER_ARGS(arg, ap, argv, (void)0);
	return execvp(file, argv);
}

RT_EXPORT int execle(const char *path, const char *arg, ...)
{
	va_list ap;
	char **envp;
	GATHER_ARGS(arg, ap, argv, envp = va_arg(ap, char **));
	return execve(path, argv, envp);
}

/* ---- dlopen / dlclose ---- */

static void rescan(int flush_unwind_cache)
{
	if (atomic_load(&G.state) != RT_ACTIVE || scorch_rt_guard)
		return;
	scorch_rt_guard = 1;
	if (flush_unwind_cache)
		unw_flush_cache(unw_local_addr_space, 0, 0);
	struct rt_buf *b = scorch_rt_self();
	if (b)
		scorch_rt_modules_scan(b);
	scorch_rt_guard = 0;
}

RT_EXPORT void *dlopen(const char *file, int mode)
{
	static void *(*real)(const char *, int);
	if (!real)
		real = (void *(*)(const char *, int))scorch_rt_next("dlopen");
	void *h = real(file, mode);
	if (h)
		rescan(0);
	return h;
}

RT_EXPORT int dlclose(void *h)
{
	static int (*real)(void *);
	if (!real)
		real = (int (*)(void *))scorch_rt_next("dlclose");
	int r = real(h);
	rescan(1);
	return r;
}

/* ---- signals ---- */

/* Signals whose default action ends the process: on them we flush first.
 * Our handler stays installed; what the program asks for is kept in `user`
 * and honoured by the handler, and reported back by sigaction()/signal(). */
static const int fatal_sigs[] = { SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT, SIGTRAP, SIGSYS,
				   SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGPIPE, SIGXCPU, SIGXFSZ };
static struct sigaction user[NSIG];
static volatile sig_atomic_t ours[NSIG];     /* our handler is installed for it */
/* ours even while the program ignores it: SIGTRAP when CPU samples come as
 * perf SIGTRAPs (rt-sample.c), which an ignored SIGTRAP would drop */
static volatile sig_atomic_t pinned[NSIG];
static int (*real_sigaction)(int, const struct sigaction *, struct sigaction *);

static int is_fatal(int sig)
{
	for (size_t i = 0; i < sizeof(fatal_sigs) / sizeof(fatal_sigs[0]); i++)
		if (fatal_sigs[i] == sig)
			return 1;
	return 0;
}

/* async-signal-safe */
static void on_fatal(int sig, siginfo_t *info, void *uctx)
{
	/* a CPU sample, not a trap of the program's */
	if (sig == SIGTRAP && scorch_rt_sample_trap(info, uctx))
		return;
	int saved = errno;
	struct sigaction u = user[sig];
	if (u.sa_handler == SIG_IGN) {
		errno = saved;
		return;
	}
	scorch_rt_final(EXIT_SIGNAL, sig);
	if (u.sa_handler == SIG_DFL) {
		/* Re-deliver with the default action once we return: a fault
		 * re-executes and faults again; a sent signal stays pending. */
		struct sigaction d;
		memset(&d, 0, sizeof(d));
		d.sa_handler = SIG_DFL;
		sigemptyset(&d.sa_mask);
		real_sigaction(sig, &d, NULL);
		ours[sig] = 0;
		/* (a SIGTRAP of int3 would resume past the int3: send it too) */
		if (info->si_code <= 0 || sig == SIGTRAP || sig == SIGABRT || sig == SIGTERM || sig == SIGINT ||
		    sig == SIGHUP || sig == SIGQUIT || sig == SIGPIPE || sig == SIGXCPU || sig == SIGXFSZ)
			raise(sig);
		errno = saved;
		return;
	}
	/* The program's handler runs: the process may well live on, so go back
	 * to buffering (final() switched every record to an immediate flush). */
	G.sync_flush = 0;
	if (u.sa_flags & SA_RESETHAND) {
		memset(&user[sig], 0, sizeof(user[sig]));
		user[sig].sa_handler = SIG_DFL;
	}
	errno = saved;
	if (u.sa_flags & SA_SIGINFO)
		u.sa_sigaction(sig, info, uctx);
	else
		u.sa_handler(sig);
}

static void install_one(int sig)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_fatal;
	/* SIGTRAP also brings CPU samples (rt-sample.c), which must not run
	 * on the program's alternate stack; a trap is never a stack overflow */
	sa.sa_flags = SA_SIGINFO | SA_RESTART | (sig == SIGTRAP ? 0 : SA_ONSTACK);
	sigemptyset(&sa.sa_mask);
	if (real_sigaction(sig, &sa, NULL) == 0)
		ours[sig] = 1;
}

void scorch_rt_signals_install(void)
{
	if (!real_sigaction)
		real_sigaction = NEXT(sigaction);
	if (!real_sigaction)
		return;
	for (size_t i = 0; i < sizeof(fatal_sigs) / sizeof(fatal_sigs[0]); i++) {
		int sig = fatal_sigs[i];
		struct sigaction cur;
		if (real_sigaction(sig, NULL, &cur) != 0)
			continue;
		user[sig] = cur;
		/* an ignored signal stays ignored: that is what the program inherited */
		if (cur.sa_handler == SIG_IGN)
			continue;
		install_one(sig);
	}
}

int scorch_rt_signal_pin(int sig)
{
	if (!real_sigaction)
		real_sigaction = NEXT(sigaction);
	if (!real_sigaction || sig <= 0 || sig >= NSIG || !is_fatal(sig))
		return -1;
	if (!ours[sig]) {
		struct sigaction cur;
		if (real_sigaction(sig, NULL, &cur) != 0)
			return -1;
		user[sig] = cur;
		install_one(sig);
	}
	if (!ours[sig])
		return -1;
	pinned[sig] = 1;
	return 0;
}

RT_EXPORT int sigaction(int sig, const struct sigaction *act, struct sigaction *old)
{
	if (!real_sigaction)
		real_sigaction = NEXT(sigaction);
	if (sig <= 0 || sig >= NSIG || !is_fatal(sig) || atomic_load(&G.state) != RT_ACTIVE ||
	    (!ours[sig] && !(act && act->sa_handler != SIG_IGN && user[sig].sa_handler == SIG_IGN)))
		return real_sigaction(sig, act, old);
	if (old)
		*old = user[sig];
	if (act) {
		user[sig] = *act;
		if (act->sa_handler == SIG_IGN && !pinned[sig]) {
			/* ignoring is the kernel's job: step aside */
			ours[sig] = 0;
			return real_sigaction(sig, act, NULL);
		}
		if (!ours[sig])
			install_one(sig);
	}
	return 0;
}

RT_EXPORT sighandler_t signal(int sig, sighandler_t h)
{
	struct sigaction sa, old;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = h;
	sa.sa_flags = SA_RESTART;
	sigemptyset(&sa.sa_mask);
	if (sigaction(sig, &sa, &old) != 0)
		return SIG_ERR;
	return old.sa_handler;
}
