/* `scorch record -p PID[,PID...]`: sample processes that are already
 * running, from outside and without preloading anything into them
 * (cli/extsample.c), until ^C, --duration or their exit; then finalize each
 * one's raw stream into its profile, as a recording session does. The
 * processes are neither stopped nor traced: perf_event_open needs neither,
 * and closing the counters leaves nothing behind in them. */
#include "attach.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "../analysis/finalize.h"
#include "../lib/die.h"
#include "../lib/strbuf.h"
#include "../lib/vec.h"
#include "../output/term.h"
#include "extsample.h"

static volatile sig_atomic_t stop_sig;

/* async-signal-safe */
static void on_stop(int sig)
{
	stop_sig = sig;
}

static uint64_t mono_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static int paranoid(void)
{
	int v = 2;
	FILE *f = fopen("/proc/sys/kernel/perf_event_paranoid", "re");
	if (f) {
		if (fscanf(f, "%d", &v) != 1)
			v = 2;
		fclose(f);
	}
	return v;
}

static void remove_session(const char *dir, const int *pids, size_t n)
{
	(void)pids;
	(void)n;
	DIR *d = opendir(dir);
	struct dirent *e;
	while (d && (e = readdir(d))) {
		int pid, seq, k = 0;
		if (sscanf(e->d_name, "raw.%d.%d%n", &pid, &seq, &k) == 2 && !e->d_name[k]) {
			char p[PATH_MAX + 300];
			snprintf(p, sizeof(p), "%s/%s", dir, e->d_name);
			unlink(p);
		}
	}
	if (d)
		closedir(d);
	rmdir(dir);
}

/* A raw stream of the session: its process and image */
struct rawname {
	int pid, seq, given;   /* given: the order of its pid in -p's list, or INT_MAX */
};

static int rawname_cmp(const void *a, const void *b)
{
	const struct rawname *x = a, *y = b;
	if (x->given != y->given)
		return x->given < y->given ? -1 : 1;
	if (x->pid != y->pid)
		return x->pid < y->pid ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* Ends the process with why the counters could not be opened. */
static void refused(int err, int pid, const char *dir, const int *pids, size_t n)
{
	remove_session(dir, pids, n);
	if (!pid)
		die("cannot write the raw recording in %s: %s", dir, strerror(err));
	if (err == ESRCH)
		die("cannot attach to process %d: no such process", pid);
	if (err == EACCES || err == EPERM) {
		struct stat st;
		char p[64];
		snprintf(p, sizeof(p), "/proc/%d", pid);
		if (stat(p, &st) == 0 && st.st_uid != geteuid() && geteuid() != 0)
			die("cannot attach to process %d: permission denied: it belongs to another user "
			    "(uid %u); attach as that user or as root", pid, (unsigned)st.st_uid);
		die("cannot attach to process %d: permission denied by the kernel "
		    "(kernel.perf_event_paranoid is %d; attaching needs 2 or less for a process of "
		    "your own, -1 or CAP_PERFMON beyond that, and ptrace access to it: a Yama "
		    "ptrace_scope or a dumpable flag may forbid it)", pid, paranoid());
	}
	if (err == EMFILE || err == ENFILE)
		die("cannot attach to process %d: out of file descriptors (one counter per thread and "
		    "CPU): raise ulimit -n", pid);
	die("cannot attach to process %d: perf_event_open: %s", pid, strerror(err));
}

/* One counter per thread and CPU: as many descriptors as allowed. */
static void raise_fd_limit(void)
{
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
}

void attach_run(const struct session_opts *o, const int *pids, size_t n, uint64_t duration_ns,
		struct session_result *r)
{
	memset(r, 0, sizeof(*r));
	char *outdir = session_output_dir(o->output);
	char sessdir[PATH_MAX];
	session_make_dir(outdir, sessdir);
	raise_fd_limit();

	/* ^C, TERM and HUP end the sampling; a second one during the
	 * finalizing ends scorch (the default action again) */
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_stop;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);

	int err, bad = 0;
	struct extsample *x = n ? extsample_attach(pids, n, o->hz, o->depth, sessdir, &err, &bad)
				: extsample_system(o->hz, o->depth, sessdir, &err);
	if (!x && !n) {
		rmdir(sessdir);
		if (err == EACCES || err == EPERM)
			die("cannot sample the whole system: permission denied (kernel.perf_event_paranoid is %d: "
			    "-a needs root, CAP_PERFMON, or 0 or less)", paranoid());
		die("cannot sample the whole system: perf_event_open: %s", strerror(err));
	}
	if (!x)
		refused(err, bad, sessdir, pids, n);
	int kerr = extsample_kernel_errno(x);
	if (n)
		fprintf(stderr, "scorch: attached to %zu process%s at %d Hz", n, n == 1 ? "" : "es", o->hz);
	else
		fprintf(stderr, "scorch: sampling every process at %d Hz", o->hz);
	if (duration_ns)
		fprintf(stderr, " for %.3g s", (double)duration_ns / 1e9);
	fprintf(stderr, "; ^C stops\n");
	uint64_t t0 = mono_now();
	while (!stop_sig && extsample_running(x) && (!duration_ns || mono_now() - t0 < duration_ns)) {
		uint64_t now = mono_now();
		extsample_poll(x);
		uint64_t spent = mono_now() - now;
		if (spent < 10000000ull) {
			uint64_t left = 10000000ull - spent;
			if (duration_ns && now + left > t0 + duration_ns)
				left = t0 + duration_ns > now ? t0 + duration_ns - now : 0;
			struct timespec ts = { 0, (long)left };
			nanosleep(&ts, NULL);
		}
	}
	uint64_t attached_ns = mono_now() - t0;
	size_t still = extsample_running(x);
	extsample_stop(x);
	/* the streams: the given processes' first, in their order, then
	 * those of the processes they forked (-p) or that had samples (-a);
	 * a process's images (execs) in their order */
	VEC(struct rawname) seen = { 0 };
	DIR *d = opendir(sessdir);
	struct dirent *e;
	while (d && (e = readdir(d))) {
		struct rawname rn = { 0, 0, INT_MAX };
		int k = 0;
		if (sscanf(e->d_name, "raw.%d.%d%n", &rn.pid, &rn.seq, &k) != 2 || e->d_name[k])
			continue;
		for (size_t i = 0; i < n; i++)
			if (pids[i] == rn.pid)
				rn.given = (int)i;
		VEC_PUSH(&seen, rn);
	}
	if (d)
		closedir(d);
	if (seen.len > 1)
		qsort(seen.data, seen.len, sizeof(*seen.data), rawname_cmp);
	n = seen.len;
	int *running = xcalloc(n + 1, sizeof(int));
	for (size_t i = 0; i < n; i++) {
		char p[64];
		snprintf(p, sizeof(p), "/proc/%d/stat", seen.data[i].pid);
		running[i] = still && access(p, F_OK) == 0;
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_DFL;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);

	if (!getenv("SCORCH_DEBUGINFOD"))
		unsetenv("DEBUGINFOD_URLS");
	VEC(struct session_profile) out = { 0 };
	int failures = 0;
	for (size_t i = 0; i < n; i++) {
		char path[PATH_MAX + 32], err_msg[512];
		snprintf(path, sizeof(path), "%s/raw.%d.%d", sessdir, seen.data[i].pid, seen.data[i].seq);
		struct raw_reader *rd = raw_reader_new(path);
		if (o->no_code)
			raw_reader_set_no_code(rd);
		struct sc_profile *p = NULL;
		struct finalize_info info;
		memset(&info, 0, sizeof(info));
		if (raw_reader_finish(rd, &p, &info, err_msg, sizeof(err_msg)) != 0) {
			warning("%s", err_msg);
			failures++;
			continue;
		}
		finalize_info_release(&info);
		int named = o->output && i == 0 && seen.data[i].given == 0 && seen.data[i].seq == 0;
		char *dest = named ? xstrdup(o->output)
				   : session_profile_name(outdir, p->exe, seen.data[i].pid, out.data, out.len);
		struct session_profile sp = { NULL, p, 0, NULL };
		int wr = session_write_profile(o, p, dest, named, &sp.summary);
		struct strbuf sb = STRBUF_INIT;
		sb_adds(&sb, sp.summary ? sp.summary : "");
		sb_adds(&sb, "scorch:   attached for ");
		term_duration(&sb, attached_ns);
		sb_adds(&sb, running[i] ? "; it runs on, untouched\n" : "; it exited meanwhile\n");
		if (kerr)
			sb_addf(&sb, "scorch:   no kernel frames: the kernel refused them (%s; kernel.perf_event_paranoid "
				     "is %d: kernel frames need root, CAP_PERFMON or 1 or less)\n", strerror(kerr), paranoid());
		free(sp.summary);
		sp.summary = sb_detach(&sb);
		if (wr != 0) {
			error("cannot write the profile %s: %s", dest, strerror(-wr));
			sp.write_error = wr;
			failures++;
			free(dest);
		} else {
			sp.path = dest;
			unlink(path);
		}
		VEC_PUSH(&out, sp);
	}
	free(running);
	VEC_FREE(&seen);
	if (failures) {
		r->kept_dir = xstrdup(sessdir);
		warning("the raw recording is kept in %s", sessdir);
		r->exit_code = 1;
	} else if (rmdir(sessdir) != 0) {
		warning("cannot remove the session directory %s: %s", sessdir, strerror(errno));
	}
	r->profiles = out.data;
	r->nprofiles = out.len;
	free(outdir);
}
