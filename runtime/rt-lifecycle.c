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
#include <spawn.h>
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

/* ---- the environment an exec'd image is followed with ---- */

/* The launcher hands the runtime its settings in the environment (SCORCH_*)
 * and loads it through LD_PRELOAD. A program that execs or spawns with an
 * environment of its own making (env -i, clearenv, a sandbox, Rust's
 * Command::env_clear) drops them, and the new image would run unrecorded;
 * perf follows such execs, so the runtime puts back what is missing. The
 * program's own variables are left as they are. Copies are taken at start
 * into static storage: an exec runs in forked and vforked children, where
 * nothing may be allocated. */
#define KEEP_MAX 32
#define ENV_SCAN_MAX 4096
static char keep_store[8192];
static const char *keep[KEEP_MAX];     /* "NAME=value", SCORCH_* */
static size_t keep_namelen[KEEP_MAX];  /* the length of "NAME=" */
static int nkeep;
static const char *preload_entry;      /* "LD_PRELOAD=<this library>" */
static size_t self_len;                /* the length of the path in it */

void scorch_rt_env_snapshot(void)
{
	extern char **environ;
	size_t used = 0;
	nkeep = 0;
	preload_entry = NULL;
	for (char **e = environ; e && *e; e++) {
		const char *s = *e;
		const char *eq = strchr(s, '=');
		size_t n = strlen(s) + 1;
		if (!eq || used + n > sizeof(keep_store))
			continue;
		if (!strncmp(s, "LD_PRELOAD=", 11)) {
			/* the launcher puts this library first */
			size_t l = strcspn(s + 11, ": ");
			if (!l || used + 11 + l + 1 > sizeof(keep_store))
				continue;
			memcpy(keep_store + used, s, 11 + l);
			keep_store[used + 11 + l] = 0;
			preload_entry = keep_store + used;
			self_len = l;
			used += 11 + l + 1;
		} else if (!strncmp(s, "SCORCH_", 7) && nkeep < KEEP_MAX) {
			memcpy(keep_store + used, s, n);
			keep[nkeep] = keep_store + used;
			keep_namelen[nkeep] = (size_t)(eq - s) + 1;
			nkeep++;
			used += n;
		}
	}
}

/* Whether an LD_PRELOAD value names this library. */
static int preloads_self(const char *v)
{
	const char *self = preload_entry + 11;
	while (*v) {
		size_t l = strcspn(v, ": ");
		if (l == self_len && !memcmp(v, self, l))
			return 1;
		v += l;
		while (*v == ':' || *v == ' ')
			v++;
	}
	return 0;
}

typedef int (*exec_fn)(const void *ctx, char *const envp[]);

/* Calls fn with envp, or with a copy of it on the stack that has what it
 * lacks of the launcher's variables: each missing SCORCH_* entry, and this
 * library in LD_PRELOAD (first, before the program's own, which stay).
 * async-signal-safe */
static int with_env(char *const envp[], exec_fn fn, const void *ctx)
{
	if (!preload_entry || atomic_load(&G.state) == RT_UNINIT)
		return fn(ctx, envp);
	static char *const empty[] = { NULL };
	char *const *in = envp ? envp : empty;
	size_t n = 0;
	while (in[n] && n <= ENV_SCAN_MAX)
		n++;
	if (n > ENV_SCAN_MAX)
		return fn(ctx, envp);
	char *out[n + KEEP_MAX + 2];
	char merged[8192];
	size_t m = 0;
	int changed = 0, have_preload = 0;
	for (size_t i = 0; i < n; i++) {
		char *s = in[i];
		if (!strncmp(s, "LD_PRELOAD=", 11) && !have_preload) {
			have_preload = 1;
			size_t l = strlen(s + 11);
			if (!preloads_self(s + 11) && 11 + self_len + 1 + l + 1 <= sizeof(merged)) {
				memcpy(merged, preload_entry, 11 + self_len);
				merged[11 + self_len] = ':';
				memcpy(merged + 11 + self_len + 1, s + 11, l + 1);
				s = merged;
				changed = 1;
			}
		}
		out[m++] = s;
	}
	if (!have_preload) {
		out[m++] = (char *)preload_entry;
		changed = 1;
	}
	for (int k = 0; k < nkeep; k++) {
		size_t i = 0;
		while (i < n && strncmp(in[i], keep[k], keep_namelen[k]))
			i++;
		if (i == n) {
			out[m++] = (char *)keep[k];
			changed = 1;
		}
	}
	out[m] = NULL;
	return fn(ctx, changed ? out : envp);
}

struct exec_args {
	const char *path;
	char *const *argv;
	int fd;
};

static int do_execve(const void *ctx, char *const envp[])
{
	const struct exec_args *a = ctx;
	return NEXT(execve)(a->path, a->argv, envp);
}

static int do_execvpe(const void *ctx, char *const envp[])
{
	const struct exec_args *a = ctx;
	return NEXT(execvpe)(a->path, a->argv, envp);
}

static int do_fexecve(const void *ctx, char *const envp[])
{
	const struct exec_args *a = ctx;
	return NEXT(fexecve)(a->fd, a->argv, envp);
}

RT_EXPORT int execve(const char *path, char *const argv[], char *const envp[])
{
	before_exec(path);
	struct exec_args a = { path, argv, -1 };
	int r = with_env(envp, do_execve, &a);
	after_exec();
	return r;
}

/* execv and execvp pass the process's environment, which the program may
 * have cleared (clearenv, unsetenv) */
RT_EXPORT int execv(const char *path, char *const argv[])
{
	extern char **environ;
	before_exec(path);
	struct exec_args a = { path, argv, -1 };
	int r = with_env(environ, do_execve, &a);
	after_exec();
	return r;
}

RT_EXPORT int execvp(const char *file, char *const argv[])
{
	extern char **environ;
	before_exec(file);
	struct exec_args a = { file, argv, -1 };
	int r = with_env(environ, do_execvpe, &a);
	after_exec();
	return r;
}

RT_EXPORT int execvpe(const char *file, char *const argv[], char *const envp[])
{
	before_exec(file);
	struct exec_args a = { file, argv, -1 };
	int r = with_env(envp, do_execvpe, &a);
	after_exec();
	return r;
}

RT_EXPORT int fexecve(int fd, char *const argv[], char *const envp[])
{
	before_exec(NULL);
	struct exec_args a = { NULL, argv, fd };
	int r = with_env(envp, do_fexecve, &a);
	after_exec();
	return r;
}

/* posix_spawn starts a new process: nothing of this one ends, only the
 * child's environment is seen to. */
struct spawn_args {
	pid_t *pid;
	const char *path;
	const posix_spawn_file_actions_t *fa;
	const posix_spawnattr_t *attr;
	char *const *argv;
	int search;
};

static int do_spawn(const void *ctx, char *const envp[])
{
	const struct spawn_args *a = ctx;
	if (a->search)
		return NEXT(posix_spawnp)(a->pid, a->path, a->fa, a->attr, a->argv, envp);
	return NEXT(posix_spawn)(a->pid, a->path, a->fa, a->attr, a->argv, envp);
}

RT_EXPORT int posix_spawn(pid_t *pid, const char *path, const posix_spawn_file_actions_t *fa,
			  const posix_spawnattr_t *attr, char *const argv[], char *const envp[])
{
	struct spawn_args a = { pid, path, fa, attr, argv, 0 };
	return with_env(envp, do_spawn, &a);
}

RT_EXPORT int posix_spawnp(pid_t *pid, const char *file, const posix_spawn_file_actions_t *fa,
			   const posix_spawnattr_t *attr, char *const argv[], char *const envp[])
{
	struct spawn_args a = { pid, file, fa, attr, argv, 1 };
	return with_env(envp, do_spawn, &a);
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
