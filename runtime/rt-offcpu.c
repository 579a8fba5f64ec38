/* The blocking calls of libc, timed for wall-clock profiles (scorch record
 * --wall): a thread waiting in one of them is off-CPU, and where it waits
 * is what wall-clock profiling is for. Timing the calls (two time stamps,
 * a stack only when the call really blocked) sees that without ever
 * interrupting a system call, which a wall-clock signal would: nanosleep,
 * poll and friends fail with EINTR then, whatever SA_RESTART says. */
#include "rt.h"

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <semaphore.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/file.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static inline int timing(void)
{
	return G.wall && !scorch_rt_guard &&
	       atomic_load_explicit(&G.state, memory_order_relaxed) == RT_ACTIVE;
}

/* Defines NAME(PARAMS) calling the next NAME(ARGS), timed. errno is kept
 * as the real call left it. */
#define BLOCKING(ret, name, params, args)                                      \
	RT_EXPORT ret name params                                              \
	{                                                                      \
		static ret(*real) params;                                      \
		if (!real)                                                     \
			real = (ret(*) params)scorch_rt_next(#name);           \
		if (!timing())                                                 \
			return real args;                                      \
		uint64_t t0__ = scorch_rt_now();                               \
		ret r__ = real args;                                           \
		uint64_t t1__ = scorch_rt_now();                               \
		if (t1__ - t0__ >= scorch_rt_offcpu_min) {                     \
			int e__ = errno;                                       \
			scorch_rt_offcpu(t0__, t1__, (void *)real);            \
			errno = e__;                                           \
		}                                                              \
		return r__;                                                    \
	}

BLOCKING(int, nanosleep, (const struct timespec *a, struct timespec *b), (a, b))
BLOCKING(int, clock_nanosleep, (clockid_t c, int f, const struct timespec *a, struct timespec *b), (c, f, a, b))
BLOCKING(int, usleep, (useconds_t u), (u))
BLOCKING(unsigned, sleep, (unsigned s), (s))
BLOCKING(int, poll, (struct pollfd *f, nfds_t n, int t), (f, n, t))
BLOCKING(int, ppoll, (struct pollfd *f, nfds_t n, const struct timespec *t, const sigset_t *m), (f, n, t, m))
BLOCKING(int, select, (int n, fd_set *r, fd_set *w, fd_set *e, struct timeval *t), (n, r, w, e, t))
BLOCKING(int, pselect, (int n, fd_set *r, fd_set *w, fd_set *e, const struct timespec *t, const sigset_t *m), (n, r, w, e, t, m))
BLOCKING(int, epoll_wait, (int f, struct epoll_event *e, int n, int t), (f, e, n, t))
BLOCKING(int, epoll_pwait, (int f, struct epoll_event *e, int n, int t, const sigset_t *m), (f, e, n, t, m))
BLOCKING(ssize_t, read, (int f, void *b, size_t n), (f, b, n))
BLOCKING(ssize_t, readv, (int f, const struct iovec *v, int n), (f, v, n))
BLOCKING(ssize_t, write, (int f, const void *b, size_t n), (f, b, n))
BLOCKING(ssize_t, recv, (int f, void *b, size_t n, int fl), (f, b, n, fl))
BLOCKING(ssize_t, recvfrom, (int f, void *b, size_t n, int fl, struct sockaddr *a, socklen_t *l), (f, b, n, fl, a, l))
BLOCKING(ssize_t, recvmsg, (int f, struct msghdr *m, int fl), (f, m, fl))
BLOCKING(int, accept, (int f, struct sockaddr *a, socklen_t *l), (f, a, l))
BLOCKING(int, accept4, (int f, struct sockaddr *a, socklen_t *l, int fl), (f, a, l, fl))
BLOCKING(int, connect, (int f, const struct sockaddr *a, socklen_t l), (f, a, l))
BLOCKING(pid_t, waitpid, (pid_t p, int *s, int o), (p, s, o))
BLOCKING(pid_t, wait, (int *s), (s))
BLOCKING(pid_t, wait4, (pid_t p, int *s, int o, struct rusage *r), (p, s, o, r))
/* dash waits for its children with wait3, glibc's wait3 calls its wait4
 * internally, not through the PLT: without it a shell waiting for a command
 * had no wall time */
BLOCKING(pid_t, wait3, (int *s, int o, struct rusage *r), (s, o, r))
BLOCKING(int, waitid, (idtype_t t, id_t i, siginfo_t *s, int o), (t, i, s, o))
BLOCKING(int, pthread_join, (pthread_t t, void **r), (t, r))
BLOCKING(int, pthread_mutex_lock, (pthread_mutex_t *m), (m))
BLOCKING(int, pthread_cond_wait, (pthread_cond_t *c, pthread_mutex_t *m), (c, m))
BLOCKING(int, pthread_cond_timedwait, (pthread_cond_t *c, pthread_mutex_t *m, const struct timespec *t), (c, m, t))
BLOCKING(int, pthread_rwlock_rdlock, (pthread_rwlock_t *l), (l))
BLOCKING(int, pthread_rwlock_wrlock, (pthread_rwlock_t *l), (l))
BLOCKING(int, sem_wait, (sem_t *s), (s))
BLOCKING(int, sem_timedwait, (sem_t *s, const struct timespec *t), (s, t))
BLOCKING(int, pause, (void), ())
BLOCKING(int, sigsuspend, (const sigset_t *m), (m))
BLOCKING(int, sigwaitinfo, (const sigset_t *m, siginfo_t *i), (m, i))
BLOCKING(int, sigtimedwait, (const sigset_t *m, siginfo_t *i, const struct timespec *t), (m, i, t))
BLOCKING(int, fsync, (int f), (f))
/* and the waits of the same kinds named otherwise */
BLOCKING(int, sigwait, (const sigset_t *m, int *sig), (m, sig))
BLOCKING(int, pthread_timedjoin_np, (pthread_t t, void **r, const struct timespec *a), (t, r, a))
BLOCKING(int, pthread_mutex_timedlock, (pthread_mutex_t *m, const struct timespec *a), (m, a))
BLOCKING(int, pthread_cond_clockwait, (pthread_cond_t *c, pthread_mutex_t *m, clockid_t k, const struct timespec *a),
	 (c, m, k, a))
BLOCKING(int, sem_clockwait, (sem_t *s, clockid_t k, const struct timespec *a), (s, k, a))
BLOCKING(int, flock, (int f, int op), (f, op))
