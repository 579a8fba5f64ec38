/* `scorch record --every T [--push URL] -p PID` (or -a): continuous
 * profiling. The processes are sampled from outside as `record -p` does
 * (cli/extsample.c); every T the sampling is cut: the counters of the
 * interval are closed and new ones opened at once into a new session
 * directory (a few milliseconds without counters, measured and reported),
 * and a child process finalizes the closed interval's raw streams into
 * profiles, writes them (--save) and queues them as pprof in the spool,
 * while the launcher goes on sampling. A pusher process (push.c) sends the
 * spool to the server. The profiled processes never wait for either. */
#include "continuous.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../analysis/finalize.h"
#include "../analysis/profile-io.h"
#include "../lib/die.h"
#include "../lib/parse.h"
#include "../lib/strbuf.h"
#include "../lib/vec.h"
#include "../output/export-pprof.h"
#include "extsample.h"

static volatile sig_atomic_t stop_sig;

/* async-signal-safe */
static void on_stop(int sig)
{
	stop_sig = sig;
}

/* record --every -- PROGRAM: a program that exits before the counters are
 * open is no error of scorch's (its exit status says what happened) */
static int program_mode;

static uint64_t clock_ns(clockid_t c)
{
	struct timespec ts;
	clock_gettime(c, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static const char *base_of(const char *path)
{
	const char *s = strrchr(path, '/');
	return s ? s + 1 : path;
}

/* In the finalizing child: every raw stream of the interval's session
 * directory into a profile, written and queued; then the directory goes.
 * Returns the number of streams that failed. */
static int finalize_interval(const struct session_opts *o, const struct continuous_opts *c, const char *sessdir,
			     unsigned seq, uint64_t from_ns, uint64_t until_ns)
{
	int failures = 0;
	DIR *d = opendir(sessdir);
	struct dirent *e;
	VEC(char *) raws = { 0 };
	while (d && (e = readdir(d))) {
		int pid, k = 0;
		if (sscanf(e->d_name, "raw.%d.0%n", &pid, &k) == 1 && !e->d_name[k])
			VEC_PUSH(&raws, xstrdup(e->d_name));
	}
	if (d)
		closedir(d);
	for (size_t i = 0; i < raws.len; i++) {
		char path[PATH_MAX + 32], err[512];
		snprintf(path, sizeof(path), "%s/%s", sessdir, raws.data[i]);
		struct raw_reader *rd = raw_reader_new(path);
		if (o->no_code)
			raw_reader_set_no_code(rd);
		struct sc_profile *p = NULL;
		struct finalize_info info;
		memset(&info, 0, sizeof(info));
		if (raw_reader_finish(rd, &p, &info, err, sizeof(err)) != 0) {
			warning("interval %u: %s", seq, err);
			failures++;
			continue;
		}
		finalize_info_release(&info);
		if (!p->nsamples) {   /* idle in this interval: nothing to say */
			unlink(path);
			profile_free(p);
			continue;
		}
		if (c->save_dir) {
			struct strbuf dest = STRBUF_INIT;
			sb_addf(&dest, "%s/%s.%u.%u.scorch", c->save_dir, base_of(p->exe ? p->exe : "prog"), p->pid, seq);
			int wr = profile_write(p, dest.buf);
			if (wr != 0) {
				error("cannot write the interval profile %s: %s", dest.buf, strerror(-wr));
				failures++;
			}
			sb_release(&dest);
		}
		if (c->push) {
			char name[PATH_MAX], tmp[PATH_MAX];
			push_spool_name(c->push->spool, from_ns, until_ns, (int)p->pid, name, tmp);
			FILE *f = fopen(tmp, "wbe");
			struct export_options eo = { EXPORT_CPU, NULL, EXPORT_NAMES_DEFAULT };
			int wr = f ? pprof_write(f, p, &eo) : -errno;
			if (f && fclose(f) != 0 && !wr)
				wr = -errno;
			if (wr == 0 && rename(tmp, name) != 0)
				wr = -errno;
			if (wr != 0) {
				error("cannot queue interval %u in %s: %s", seq, c->push->spool, strerror(-wr));
				unlink(tmp);
				failures++;
			}
		}
		unlink(path);
		profile_free(p);
	}
	for (size_t i = 0; i < raws.len; i++)
		free(raws.data[i]);
	VEC_FREE(&raws);
	if (!failures)
		rmdir(sessdir);
	return failures;
}

struct cutter {
	pid_t pid;
	unsigned seq;
};

int continuous_run(const struct session_opts *o, const int *pids, size_t n, uint64_t duration_ns,
		   const struct continuous_opts *c)
{
	const char *workdir = c->save_dir ? c->save_dir : c->push ? c->push->spool : ".";
	if (c->save_dir && mkdir(c->save_dir, 0777) != 0 && errno != EEXIST)
		die("cannot create %s: %s", c->save_dir, strerror(errno));
	struct pusher *ps = NULL;
	if (c->push) {
		ps = pusher_start(c->push);
		if (!ps)
			die("cannot start pushing through the spool %s: %s", c->push->spool, strerror(errno));
	}
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_stop;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);

	char sessdir[PATH_MAX];
	int err = 0, bad = 0;
	session_make_dir(workdir, sessdir);
	struct extsample *x = n ? extsample_attach(pids, n, o->hz, o->depth, sessdir, &err, &bad)
				: extsample_system(o->hz, o->depth, sessdir, &err);
	if (!x) {
		rmdir(sessdir);
		if (ps)
			pusher_finish(ps, 0);
		if (program_mode && err == ESRCH) {
			fprintf(stderr, "scorch: the program exited before its counters could be opened: no profile\n");
			return 0;
		}
		if (!n)
			die("cannot sample the whole system: %s (-a needs root, CAP_PERFMON or "
			    "kernel.perf_event_paranoid 0 or less)", strerror(err));
		die("cannot attach to process %d: %s", bad ? bad : pids[0], strerror(err));
	}
	fprintf(stderr, "scorch: sampling %s at %d Hz, a profile every %.3g s", n ? "the process" : "every process",
		o->hz, (double)c->every_ns / 1e9);
	if (c->push)
		fprintf(stderr, " sent to %s as %s{%s}", c->push->url, c->push->app, c->push->labels ? c->push->labels : "");
	if (c->save_dir)
		fprintf(stderr, "%s written to %s", c->push ? " and" : "", c->save_dir);
	fprintf(stderr, "; ^C stops\n");

	VEC(struct cutter) cutters = { 0 };
	unsigned seq = 0, cut_failures = 0;
	uint64_t t0 = clock_ns(CLOCK_MONOTONIC), gap_ns = 0, max_gap = 0;
	uint64_t cut_mono = t0, cut_real = clock_ns(CLOCK_REALTIME);
	int ended = 0;
	while (!ended) {
		uint64_t now = clock_ns(CLOCK_MONOTONIC);
		int last = stop_sig || !extsample_running(x) || (duration_ns && now - t0 >= duration_ns);
		if (!last && now - cut_mono < c->every_ns) {
			extsample_poll(x);
			uint64_t next = cut_mono + c->every_ns;
			if (duration_ns && t0 + duration_ns < next)
				next = t0 + duration_ns;
			uint64_t left = next > clock_ns(CLOCK_MONOTONIC) ? next - clock_ns(CLOCK_MONOTONIC) : 0;
			if (left > 10000000ull)
				left = 10000000ull;
			struct timespec ts = { 0, (long)left };
			nanosleep(&ts, NULL);
			/* finalizers that are done */
			for (size_t i = 0; i < cutters.len; i++) {
				int st;
				if (waitpid(cutters.data[i].pid, &st, WNOHANG) == cutters.data[i].pid) {
					if (!WIFEXITED(st) || WEXITSTATUS(st))
						cut_failures++;
					cutters.data[i--] = cutters.data[--cutters.len];
				}
			}
			continue;
		}
		/* the cut: close this interval's counters, open the next ones */
		uint64_t g0 = clock_ns(CLOCK_MONOTONIC);
		extsample_stop(x);
		uint64_t until_real = clock_ns(CLOCK_REALTIME), from_real = cut_real;
		char done_dir[PATH_MAX];
		memcpy(done_dir, sessdir, sizeof(done_dir));
		seq++;
		x = NULL;
		if (!last) {
			session_make_dir(workdir, sessdir);
			x = n ? extsample_attach(pids, n, o->hz, o->depth, sessdir, &err, &bad)
			      : extsample_system(o->hz, o->depth, sessdir, &err);
			if (!x)
				rmdir(sessdir);   /* the processes exited during the cut */
			uint64_t g = clock_ns(CLOCK_MONOTONIC) - g0;
			gap_ns += g;
			if (g > max_gap)
				max_gap = g;
		}
		cut_mono = clock_ns(CLOCK_MONOTONIC);
		cut_real = clock_ns(CLOCK_REALTIME);
		ended = last || !x;
		/* at most 4 intervals finalizing at once: past that the launcher
		 * waits (the kernel's ring buffers hold the samples meanwhile) */
		while (cutters.len >= 4) {
			int st;
			pid_t w = wait(&st);
			if (w < 0)
				break;
			for (size_t i = 0; i < cutters.len; i++)
				if (cutters.data[i].pid == w) {
					if (!WIFEXITED(st) || WEXITSTATUS(st))
						cut_failures++;
					cutters.data[i] = cutters.data[--cutters.len];
					break;
				}
		}
		fflush(NULL);
		pid_t f = fork();
		if (f == 0) {
			signal(SIGINT, SIG_IGN);
			signal(SIGHUP, SIG_IGN);
			signal(SIGTERM, SIG_IGN);
			if (nice(5) == -1 && errno)
				errno = 0;
			if (!getenv("SCORCH_DEBUGINFOD"))
				unsetenv("DEBUGINFOD_URLS");
			int r = finalize_interval(o, c, done_dir, seq, from_real, until_real);
			fflush(NULL);
			_exit(r ? 1 : 0);
		}
		if (f < 0) {
			/* no child to spare: finalize it here, the sampling waits */
			if (finalize_interval(o, c, done_dir, seq, from_real, until_real))
				cut_failures++;
		} else {
			struct cutter ct = { f, seq };
			VEC_PUSH(&cutters, ct);
		}
	}
	for (size_t i = 0; i < cutters.len; i++) {
		int st;
		while (waitpid(cutters.data[i].pid, &st, 0) < 0 && errno == EINTR)
			;
		if (!WIFEXITED(st) || WEXITSTATUS(st))
			cut_failures++;
	}
	VEC_FREE(&cutters);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_DFL;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	uint64_t total = clock_ns(CLOCK_MONOTONIC) - t0;
	fprintf(stderr, "scorch: %u interval%s over %.1f s; between intervals the counters were closed for "
		"%.2f ms in all (%.3f%% of the time, %.2f ms at most)\n", seq, seq == 1 ? "" : "s", (double)total / 1e9,
		(double)gap_ns / 1e6, total ? 100.0 * (double)gap_ns / (double)total : 0.0, (double)max_gap / 1e6);
	if (cut_failures)
		warning("%u interval%s could not be finalized or written (see above)", cut_failures,
			cut_failures == 1 ? "" : "s");
	int code = cut_failures ? 1 : 0;
	if (ps && pusher_finish(ps, c->push_wait_ms) != 0)
		code = 1;
	return code;
}

/* ---- record's continuous options ---- */

static struct {
	uint64_t every_ns;
	const char *url, *app, *save, *spool;
	char *labels;
	uint64_t spool_max, wait_ms;
	int given;                /* any continuous option given */
} copt = { .spool_max = 100, .wait_ms = 10000 };

static uint64_t seconds_arg(const char *opt, const char *arg)
{
	char *end;
	uint64_t ns = 0;
	double sec = strtod(arg, &end);
	if (end != arg && !*end && sec > 0 && sec < 1e9)
		return (uint64_t)(sec * 1e9);
	if (parse_duration(arg, &ns) || !ns)
		die("%s takes a positive duration: seconds, or with a unit (10s, 500ms, 1m), not '%s'", opt, arg);
	return ns;
}

void continuous_option(int c, const char *arg)
{
	char err[256];
	uint64_t v;
	copt.given = 1;
	switch (c) {
	case 1100:
		copt.every_ns = seconds_arg("--every", arg);
		if (copt.every_ns < 100000000ull)
			die("--every: an interval of at least 100ms, not '%s'", arg);
		break;
	case 1101:
		if (push_check_url(arg))
			die("--push takes the server's URL, http://HOST:PORT or https://... (Pyroscope), "
			    "parca+http://HOST:PORT or parca+https://... (Parca), not '%s'", arg);
		copt.url = arg;
		break;
	case 1102:
		if (push_check_app(arg))
			die("--app takes a name of letters, digits, '_', '-' and '.', not '%s'", arg);
		copt.app = arg;
		break;
	case 1103:
		if (push_add_label(&copt.labels, arg, err, sizeof(err)))
			die("%s", err);
		break;
	case 1104:
		copt.save = arg;
		break;
	case 1105:
		copt.spool = arg;
		break;
	case 1106:
		if (parse_count(arg, 1, 1000000, &v))
			die("--spool-max takes a number of intervals from 1 to 1000000, not '%s'", arg);
		copt.spool_max = v;
		break;
	case 1107:
		copt.wait_ms = seconds_arg("--push-wait", arg) / 1000000;
		break;
	}
}

void continuous_usage(FILE *f)
{
	fprintf(f,
		"\n"
		"Continuous profiling, with -p, -a or -- PROGRAM (run as it is and sampled\n"
		"from outside): a profile per interval, sent to a Pyroscope server as\n"
		"pprof (its /ingest API) or to a Parca server (its WriteRaw API as\n"
		"gRPC-web over HTTP), and/or written to disk:\n"
		"      --every T       cut the samples into a profile every T (10s, 1m, 2.5)\n"
		"      --push URL      send each interval to the Pyroscope server at URL\n"
		"                      (http://HOST:4040), or to the Parca server at\n"
		"                      parca+http://HOST:7070 (parca+https:// too)\n"
		"      --app NAME      its application name (default: the program's name;\n"
		"                      Parca: the job label)\n"
		"      --label K=V     a label of its series (repeatable)\n"
		"      --save DIR      also write each interval as DIR/PROG.PID.N.scorch\n"
		"                      (without --push: DIR is . unless given)\n"
		"      --spool DIR     queue of intervals not sent yet (default\n"
		"                      scorch-spool.APP); sent with retries and backoff\n"
		"      --spool-max N   queue at most N intervals while the server is away\n"
		"                      (default 100), then drop the oldest, counted\n"
		"      --push-wait T   at the end, try sending what is queued for up to T\n"
		"                      (default 10s); what is left stays in the spool for\n"
		"                      'scorch push'\n");
}

int continuous_wanted(void)
{
	if (copt.given && !copt.every_ns)
		die("--push, --app, --label, --save, --spool, --spool-max and --push-wait go with --every "
		    "(continuous profiling: -p, -a or -- PROGRAM)");
	char err[320];
	if (copt.url && push_curl_check(err, sizeof(err)))
		die("%s", err);
	return copt.every_ns != 0;
}

/* The program name of pid, for the default application name. */
static char *comm_of(int pid)
{
	char p[64], name[64] = "";
	snprintf(p, sizeof(p), "/proc/%d/comm", pid);
	FILE *f = fopen(p, "re");
	if (f) {
		if (!fgets(name, sizeof(name), f))
			name[0] = 0;
		fclose(f);
	}
	name[strcspn(name, "\n")] = 0;
	return push_app_from(name[0] ? name : "scorch");
}

int continuous_record(const struct session_opts *o, const int *pids, size_t n, uint64_t duration_ns)
{
	if (o->output)
		die("--every writes a profile per interval: -o names one file (use --save DIR)");
	struct continuous_opts c = { .every_ns = copt.every_ns, .push_wait_ms = (unsigned)copt.wait_ms };
	struct push_conf pc;
	memset(&pc, 0, sizeof(pc));
	char *app = NULL, *spool = NULL;
	if (copt.url) {
		app = copt.app ? xstrdup(copt.app) : n ? comm_of(pids[0]) : xstrdup("system");
		if (copt.spool) {
			spool = xstrdup(copt.spool);
		} else {
			struct strbuf sb = STRBUF_INIT;
			sb_addf(&sb, "scorch-spool.%s", app);
			spool = sb_detach(&sb);
		}
		pc.url = copt.url;
		pc.app = app;
		pc.labels = copt.labels ? copt.labels : "";
		pc.spool = spool;
		pc.spool_max = copt.spool_max;
		pc.verbose = getenv("SCORCH_PUSH_VERBOSE") != NULL;
		c.push = &pc;
	} else if (copt.app || copt.labels || copt.spool) {
		die("--app, --label and --spool are for --push URL");
	}
	c.save_dir = copt.save ? copt.save : copt.url ? NULL : ".";
	int code = continuous_run(o, pids, n, duration_ns, &c);
	free(app);
	free(spool);
	free(copt.labels);
	copt.labels = NULL;
	return code;
}

int continuous_program(const struct session_opts *o, char **argv)
{
	/* the program runs as it is, nothing preloaded: attached to as soon
	 * as its exec succeeded (a CLOEXEC pipe closes then, or carries the
	 * exec's errno) */
	int p[2];
	if (pipe2(p, O_CLOEXEC) != 0)
		die("cannot start %s: %s", argv[0], strerror(errno));
	fflush(NULL);
	pid_t pid = fork();
	if (pid < 0)
		die("cannot start %s: %s", argv[0], strerror(errno));
	if (pid == 0) {
		close(p[0]);
		execvp(argv[0], argv);
		int e = errno;
		if (write(p[1], &e, sizeof(e)) < 0)
			_exit(127);
		_exit(127);
	}
	close(p[1]);
	int e = 0;
	ssize_t r;
	while ((r = read(p[0], &e, sizeof(e))) < 0 && errno == EINTR)
		;
	close(p[0]);
	if (r == (ssize_t)sizeof(e)) {
		waitpid(pid, NULL, 0);
		die_code(127, "cannot run %s: %s", argv[0], strerror(e));
	}
	int target = (int)pid;
	program_mode = 1;
	/* ^C at the terminal reaches the program too; scorch cuts the last
	 * interval when it has exited */
	int code = continuous_record(o, &target, 1, 0);
	int st = 0;
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	if (WIFEXITED(st)) {
		fprintf(stderr, "scorch: %s exited with status %d\n", argv[0], WEXITSTATUS(st));
		return WEXITSTATUS(st) ? WEXITSTATUS(st) : code;
	}
	if (WIFSIGNALED(st)) {
		fprintf(stderr, "scorch: %s was killed by signal %d (%s)\n", argv[0], WTERMSIG(st), strsignal(WTERMSIG(st)));
		return 128 + WTERMSIG(st);
	}
	return code;
}
