/* Progress line on a terminal (see progress.h): a thread wakes every 200 ms
 * and, once the work has taken the delay, redraws "scorch: WHAT..." on stderr
 * with write(2), so that it never mixes with stdio's buffers of the caller. */
#include "progress.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static struct {
	pthread_mutex_t lock;
	pthread_cond_t wake;
	pthread_t thread;
	bool running;           /* the thread exists */
	bool stop;
	bool shown;             /* the line is on the screen */
	char what[160];
	uint64_t done, total;
	struct timespec start;
	struct timespec cleared;        /* a message went out: no redraw for a moment */
	long delay_ms;
} P = { .lock = PTHREAD_MUTEX_INITIALIZER, .wake = PTHREAD_COND_INITIALIZER };

static double since(const struct timespec *t)
{
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	return (double)(now.tv_sec - t->tv_sec) + (double)(now.tv_nsec - t->tv_nsec) / 1e9;
}

static void put(const char *s, size_t n)
{
	while (n) {
		ssize_t w = write(2, s, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return;
		s += w;
		n -= (size_t)w;
	}
}

/* Called with the lock held. */
static void draw(void)
{
	char line[256];
	double t = since(&P.start);
	int n;
	if (P.total)
		n = snprintf(line, sizeof(line), "\rscorch: %s... %llu of %llu, %.1f s\033[K", P.what,
			     (unsigned long long)P.done, (unsigned long long)P.total, t);
	else
		n = snprintf(line, sizeof(line), "\rscorch: %s... %.1f s\033[K", P.what, t);
	if (n > 0)
		put(line, (size_t)n < sizeof(line) ? (size_t)n : sizeof(line) - 1);
	P.shown = true;
}

static void *loop(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&P.lock);
	while (!P.stop) {
		struct timespec until;
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_nsec += 200 * 1000000L;
		if (until.tv_nsec >= 1000000000L) {
			until.tv_sec++;
			until.tv_nsec -= 1000000000L;
		}
		pthread_cond_timedwait(&P.wake, &P.lock, &until);
		if (!P.stop && since(&P.start) * 1000.0 >= (double)P.delay_ms && since(&P.cleared) >= 0.5)
			draw();
	}
	pthread_mutex_unlock(&P.lock);
	return NULL;
}

void progress_begin(const char *what)
{
	const char *env = getenv("SCORCH_PROGRESS");
	if (P.running) {
		progress_stage(what);
		return;
	}
	if (!isatty(2) || (env && !strcmp(env, "0")))
		return;
	static bool registered;
	if (!registered)        /* an error path that returns early: the line goes all the same */
		registered = atexit(progress_end) == 0;
	const char *d = getenv("SCORCH_PROGRESS_DELAY_MS");
	P.delay_ms = d && *d ? strtol(d, NULL, 10) : 1000;
	snprintf(P.what, sizeof(P.what), "%s", what);
	P.done = P.total = 0;
	P.stop = P.shown = false;
	clock_gettime(CLOCK_MONOTONIC, &P.start);
	P.cleared = (struct timespec){ 0 };
	/* the thread must not take signals meant for the launcher's own loop */
	sigset_t all, old;
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	P.running = pthread_create(&P.thread, NULL, loop, NULL) == 0;
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (P.running && P.delay_ms <= 0) {
		/* no delay asked: the line is there from the start */
		pthread_mutex_lock(&P.lock);
		draw();
		pthread_mutex_unlock(&P.lock);
	}
}

void progress_stage(const char *what)
{
	if (!P.running)
		return;
	pthread_mutex_lock(&P.lock);
	snprintf(P.what, sizeof(P.what), "%s", what);
	P.done = P.total = 0;
	if (P.delay_ms <= 0)
		draw();
	pthread_mutex_unlock(&P.lock);
}

void progress_count(uint64_t done, uint64_t total)
{
	if (!P.running)
		return;
	pthread_mutex_lock(&P.lock);
	P.done = done;
	P.total = total;
	pthread_mutex_unlock(&P.lock);
}

void progress_clear(void)
{
	if (!P.running)
		return;
	pthread_mutex_lock(&P.lock);
	if (P.shown)
		put("\r\033[K", 4);
	P.shown = false;
	clock_gettime(CLOCK_MONOTONIC, &P.cleared);
	pthread_mutex_unlock(&P.lock);
}

void progress_end(void)
{
	if (!P.running)
		return;
	pthread_mutex_lock(&P.lock);
	P.stop = true;
	pthread_cond_signal(&P.wake);
	pthread_mutex_unlock(&P.lock);
	pthread_join(P.thread, NULL);
	P.running = false;
	if (P.shown)
		put("\r\033[K", 4);
	P.shown = false;
}
