/* The launcher side of recording: checks, environment for the runtime, a
 * subreaper wait loop that samples RSS every 10 ms, and finalization of every
 * raw stream the process tree left in the session directory. */
#include "session.h"

#include <dirent.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <poll.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../analysis/events.h"
#include "../analysis/finalize.h"
#include "../analysis/notes.h"
#include "../analysis/profile-io.h"
#include "../lib/die.h"
#include "../lib/progress.h"
#include "../lib/newfile.h"
#include "../lib/procfs.h"
#include "../lib/progcheck.h"
#include "../lib/tsc.h"
#include "../lib/strbuf.h"
#include "../lib/vec.h"
#include "../output/term.h"
#include "extsample.h"

struct rss_track {
	int pid;
	int dead;
	VEC(struct sc_rss) s;
};

static volatile sig_atomic_t got_sig, root_pid_for_sig, nsigs;
/* What a second signal prints before ending the launcher, while the
 * program runs and while its profiles are written (set before the handler
 * is installed, read only by it). */
static char stop_msg[2][PATH_MAX + 512];
static volatile sig_atomic_t stop_phase;

/* Whether pid is the launcher's descendant: the program or a process it
 * started. Its parent chain in /proc, at most 64 levels. async-signal-safe */
static int from_program(pid_t pid)
{
	pid_t self = getpid();
	for (int depth = 0; depth < 64 && pid > 1; depth++) {
		char path[40] = "/proc/", buf[512], *q = path + 6;
		char digits[16];
		int nd = 0;
		for (unsigned v = (unsigned)pid; v && nd < 15; v /= 10)
			digits[nd++] = (char)('0' + v % 10);
		while (nd)
			*q++ = digits[--nd];
		memcpy(q, "/stat", 6);
		int fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			return 0;
		ssize_t n = read(fd, buf, sizeof(buf) - 1);
		close(fd);
		if (n <= 0)
			return 0;
		buf[n] = 0;
		/* "pid (comm) state ppid ...": comm may hold anything, even ')' */
		char *r = NULL;
		for (char *c = buf; *c; c++)
			if (*c == ')')
				r = c;
		if (!r || r[1] != ' ' || !r[2] || r[3] != ' ')
			return 0;
		pid_t ppid = 0;
		for (char *c = r + 4; *c >= '0' && *c <= '9'; c++)
			ppid = ppid * 10 + (*c - '0');
		if (ppid == self)
			return 1;
		pid = ppid;
	}
	return 0;
}

/* A signal the program sent to its process group (kill(0, sig), a shell's
 * `kill 0`), which holds the launcher too, is the program's own business:
 * ignored here. async-signal-safe */
static void on_group_sig(int sig, siginfo_t *si, void *uc)
{
	(void)sig;
	(void)si;
	(void)uc;
}

/* TERM, INT and HUP. The first is passed on to the program (like a shell
 * passing on to its foreground job), except a terminal's ^C, which the
 * program got itself; the launcher waits on for the program's profile. A
 * second one ends the launcher at once: the raw recording stays in the
 * session directory, and the message says where. async-signal-safe */
static void on_stop_sig(int sig, siginfo_t *si, void *uc)
{
	(void)uc;
	int e = errno;
	/* sent by the program or its children (to their process group,
	 * which holds us): the program got it itself */
	if (si && (si->si_code == SI_USER || si->si_code == SI_QUEUE) && from_program(si->si_pid)) {
		errno = e;
		return;
	}
	/* the handler runs with the other stop signals blocked (sa_mask):
	 * these are written by one run of it at a time */
	static int first_sig;
	static uint64_t first_ns;
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	uint64_t now = (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
	if (nsigs > 0 && sig == first_sig && now - first_ns < 200000000u) {
		/* the same signal again at once is the same request sent
		 * twice: `timeout` signals its child and then its whole
		 * process group, which holds us too */
		errno = e;
		return;
	}
	got_sig = sig;
	if (nsigs++ == 0) {
		first_sig = sig;
		first_ns = now;
		int from_tty = sig == SIGINT && si && si->si_code == SI_KERNEL;
		if (root_pid_for_sig > 0 && !from_tty)
			kill((pid_t)root_pid_for_sig, sig);
		errno = e;
		return;
	}
	const char *m = stop_msg[stop_phase ? 1 : 0];
	ssize_t w = write(2, m, strlen(m));
	(void)w;
	/* end as the signal would have ended us (a shell then knows), or
	 * with 128+sig where it cannot (pid 1 of a namespace) */
	struct sigaction dfl;
	memset(&dfl, 0, sizeof(dfl));
	dfl.sa_handler = SIG_DFL;
	sigaction(sig, &dfl, NULL);
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, sig);
	kill(getpid(), sig);
	sigprocmask(SIG_UNBLOCK, &set, NULL);
	_exit(128 + sig);
}

static uint64_t mono_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static int read_rss(int pid, uint64_t *bytes)
{
	char buf[128];
	if (procfs_read(pid, 0, "statm", buf, sizeof(buf)) < 0)
		return -1;
	unsigned long size, res;
	if (sscanf(buf, "%lu %lu", &size, &res) != 2)
		return -1;
	*bytes = (uint64_t)res * (uint64_t)sysconf(_SC_PAGESIZE);
	return 0;
}

typedef VEC(struct rss_track) rss_vec;

static struct rss_track *track(rss_vec *v, int pid)
{
	for (size_t i = 0; i < v->len; i++)
		if (v->data[i].pid == pid)
			return &v->data[i];
	struct rss_track t;
	memset(&t, 0, sizeof(t));
	t.pid = pid;
	VEC_PUSH(v, t);
	return &v->data[v->len - 1];
}

struct write_job {
	const struct sc_profile *p;
	const char *dest;
	struct event_stream *es;
	unsigned flags;        /* NF_* of lib/newfile.h */
	int rc, moved_old;
};

static void *write_thread(void *arg)
{
	struct write_job *j = arg;
	j->rc = profile_save(j->p, j->dest, j->es, j->flags, &j->moved_old);
	return NULL;
}

/* Writes p to dest on a second thread while summarize() (if any) reads it
 * on this one: both only read the profile, and the machine has cores. A
 * profile already at dest is kept as dest.old, and that is said. */
static int write_and_summarize(const struct session_opts *o, const struct sc_profile *p,
			       const char *dest, unsigned flags, struct event_stream *es,
			       const struct heap_totals *totals, char **summary)
{
	struct write_job j = { p, dest, es, flags, 0, 0 };
	pthread_t th;
	int threaded = pthread_create(&th, NULL, write_thread, &j) == 0;
	if (!threaded)
		write_thread(&j);
	if (summary)
		*summary = o->summarize ? o->summarize(p, totals) : NULL;
	if (threaded)
		pthread_join(th, NULL);
	if (!j.rc && j.moved_old)
		fprintf(stderr, "scorch: %s existed: renamed it to %s.old\n", dest, dest);
	return j.rc;
}

/* Removes a raw stream and the runtime's watermark page beside it
 * (format/raw.h), which stays until then: on a full disk its space is not
 * the profile's to count on. */
static void unlink_raw(const char *path)
{
	struct strbuf sb = STRBUF_INIT;
	sb_addf(&sb, "%s.wm", path);
	unlink(sb.buf);
	sb_release(&sb);
	unlink(path);
}

/* raw.PID.SEQ names in dir */
struct raw_name {
	int pid, seq;
	char *path;
};

typedef VEC(struct raw_name) raw_vec;

/* The raw streams being decoded while the program runs, by path. */
struct live_reader {
	char *path;
	struct raw_reader *r;
};
typedef VEC(struct live_reader) reader_vec;

/* The launcher's TSC calibration (lib/tsc.h). It begins before the program
 * starts and is read once, when the first raw stream is opened: a stream's
 * events become nanoseconds as they are decoded, so every stream of the
 * session uses that one rate from its start. By then the program has run
 * for a while (the first stream is read 100 ms into a run, or after a
 * shorter run has ended), so no run waits for the calibration. */
struct clock_cal {
	struct tsc_cal cal;
	int on;
	uint64_t fs;   /* femtoseconds per tick once read, or 0 */
};

static uint64_t clock_cal_fs(struct clock_cal *c)
{
	if (!c->on || c->fs)
		return c->fs;
	/* two pairs at least 2 ms apart: good to about 3e-5 */
	uint64_t el = tsc_cal_elapsed_ns(&c->cal);
	if (el < 2000000) {
		struct timespec ts = { 0, (long)(2000000 - el) };
		nanosleep(&ts, NULL);
	}
	c->fs = tsc_cal_read(&c->cal);
	return c->fs;
}

static struct raw_reader *reader_for(reader_vec *v, const char *path, int create, uint64_t tick_fs,
				     int no_code, long spans, int in_memory)
{
	for (size_t i = 0; i < v->len; i++)
		if (!strcmp(v->data[i].path, path))
			return v->data[i].r;
	if (!create)
		return NULL;
	struct live_reader lr = { xstrdup(path), raw_reader_new(path) };
	raw_reader_set_tick_fs(lr.r, tick_fs);
	if (no_code)
		raw_reader_set_no_code(lr.r);
	if (spans)
		raw_reader_set_zone_keep(lr.r, spans < 0 ? 0 : (size_t)spans);
	/* compress events as they come, next to the raw stream; not those of
	 * a sampled heap profile, few and wanted whole in memory (its summary
	 * weighs them: the totals tallied as they stream count samples) */
	if (!in_memory) {
		struct strbuf es = STRBUF_INIT;
		sb_addf(&es, "%s.events", path);
		raw_reader_stream_to(lr.r, es.buf);
		sb_release(&es);
	}
	VEC_PUSH(v, lr);
	return lr.r;
}

/* Notes each exec that finalize says should have started a recorded image
 * and did not: no stream of that pid (after this one, for the image's own
 * exec) is in the session, so its loader refused LD_PRELOAD. */
static void note_unrecorded(struct sc_profile *p, struct finalize_info *info, const struct raw_name *self,
			    const struct raw_name *names, size_t nnames)
{
	for (size_t k = 0; k < info->nexecs; k++) {
		const struct finalize_exec *x = &info->execs[k];
		int found = 0;
		for (size_t j = 0; j < nnames && !found; j++)
			found = names[j].pid == (int)x->pid && (!x->own || names[j].seq > self->seq);
		if (!found)
			profile_add_note(p, NOTE_EXEC_UNRECORDED, x->pid, x->path, NULL);
	}
	finalize_info_release(info);
}

static int raw_cmp(const void *a, const void *b)
{
	const struct raw_name *x = a, *y = b;
	if (x->pid != y->pid)
		return x->pid < y->pid ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

static void list_raw(const char *dir, raw_vec *out)
{
	DIR *d = opendir(dir);
	if (!d)
		return;
	struct dirent *e;
	while ((e = readdir(d))) {
		int pid, seq, n = 0;
		if (sscanf(e->d_name, "raw.%d.%d%n", &pid, &seq, &n) == 2 && !e->d_name[n]) {
			struct raw_name r = { pid, seq, NULL };
			struct strbuf sb = STRBUF_INIT;
			sb_addf(&sb, "%s/%s", dir, e->d_name);
			r.path = sb_detach(&sb);
			VEC_PUSH(out, r);
		}
	}
	closedir(d);
	if (out->len > 1)
		qsort(out->data, out->len, sizeof(struct raw_name), raw_cmp);
}

static const char *base_name(const char *p)
{
	const char *s = strrchr(p, '/');
	return s ? s + 1 : p;
}

/* The name a process goes by in file names and the run's summary: the
 * basename of its argv[0], as ps and the shell show it (gcc, cc1, as,
 * python3), not that of the file its exe link resolves to
 * (x86_64-linux-gnu-gcc-12, python3.11); the exe's when argv[0] is empty or
 * not a usable file name. A login shell's leading '-' is dropped. */
static const char *proc_name(const struct sc_profile *p)
{
	if (p->argc && p->argv && p->argv[0]) {
		const char *a = base_name(p->argv[0]);
		if (*a == '-')
			a++;
		int ok = *a && strcmp(a, ".") && strcmp(a, "..") && strlen(a) <= 64;
		for (const unsigned char *c = (const unsigned char *)a; ok && *c; c++)
			ok = *c > ' ' && *c != 0x7f;
		if (ok)
			return a;
	}
	return p->exe && *p->exe ? base_name(p->exe) : "?";
}

/* The name a written profile's file gives its process (PROG.PID[-N].scorch,
 * see unique_name), so that the summary names each as its file does;
 * proc_name() for a file named otherwise (-o). The result is in buf. */
static const char *file_proc_name(const struct session_profile *sp, char *buf, size_t cap)
{
	if (sp->path) {
		const char *b = base_name(sp->path);
		size_t n = strlen(b);
		if (n > 7 && !strcmp(b + n - 7, ".scorch")) {
			n -= 7;
			size_t k = n;
			while (k && isdigit((unsigned char)b[k - 1]))
				k--;
			if (k && k < n && b[k - 1] == '-')
				n = k - 1;
			char pid[16];
			int pl = snprintf(pid, sizeof(pid), ".%u", sp->p->pid);
			if (n > (size_t)pl && !memcmp(b + n - pl, pid, (size_t)pl) && n - pl < cap) {
				memcpy(buf, b, n - pl);
				buf[n - pl] = 0;
				return buf;
			}
		}
	}
	return proc_name(sp->p);
}

static void check_output_dir(const char *outdir, const char *shown)
{
	struct stat st;
	if (stat(outdir, &st) != 0)
		die("cannot write the profile to %s: directory %s: %s", shown, outdir, strerror(errno));
	if (!S_ISDIR(st.st_mode))
		die("cannot write the profile to %s: %s is not a directory", shown, outdir);
	if (access(outdir, W_OK | X_OK) != 0)
		die("cannot write the profile to %s: directory %s is not writable (use -o to put it elsewhere)",
		    shown, outdir);
}

/* PROG.PID.scorch in dir; an older run's file of that name becomes
 * PROG.PID.scorch.old when the new one is written (NF_KEEP_OLD), but not one
 * written earlier in this session (an exec of the same program
 * keeps the pid): that gets PROG.PID-N.scorch. */
static char *unique_name(const char *dir, const char *prog, int pid,
			 const struct session_profile *done, size_t ndone)
{
	struct strbuf sb = STRBUF_INIT;
	for (int k = 0;; k++) {
		sb_reset(&sb);
		sb_addf(&sb, "%s%s%s.%d", strcmp(dir, ".") ? dir : "", strcmp(dir, ".") ? "/" : "", prog, pid);
		if (k)
			sb_addf(&sb, "-%d", k);
		sb_adds(&sb, ".scorch");
		int taken = 0;
		for (size_t i = 0; i < ndone && !taken; i++)
			taken = done[i].path && !strcmp(done[i].path, sb.buf);
		if (!taken)
			break;
	}
	return sb_detach(&sb);
}

/* Writes the run's first profile (out[first]) again with the file names of
 * the others (section RUN): beside it, by their names; elsewhere, by their
 * full paths. es holds its events when they were streamed. A failure leaves
 * the profile as it was, without the list, and is said. */
static void list_relatives(struct session_profile *out, size_t nout, size_t first, struct event_stream *es)
{
	struct sc_profile *p = out[first].p;
	const char *dest = out[first].path;
	if (!p || !dest)
		return;
	const char *slash = strrchr(dest, '/');
	size_t dl = slash ? (size_t)(slash - dest) + 1 : 0;
	const char **rel = arena_alloc(&p->arena, (nout + 1) * sizeof(*rel));
	size_t n = 0;
	for (size_t i = 0; i < nout; i++) {
		const char *q = out[i].path;
		if (i == first || !q)
			continue;
		int beside = (dl == 0 && !strchr(q, '/')) ||
			     (dl && !strncmp(q, dest, dl) && !strchr(q + dl, '/'));
		char full[PATH_MAX];
		rel[n++] = arena_strdup(&p->arena, beside ? q + dl : realpath(q, full) ? full : q);
	}
	if (!n)
		return;
	p->relatives = rel;
	p->nrelatives = n;
	int moved = 0;
	int rc = profile_save(p, dest, es, 0, &moved);
	if (rc)
		warning("cannot list the run's other profiles in %s: %s (each can still be viewed, "
			"or all named with --merge)", dest, newfile_strerror(rc));
}

void session_run(const struct session_opts *o, struct session_result *r)
{
	memset(r, 0, sizeof(*r));
	const char *prog = o->argv[0];
	char path[PATH_MAX];
	int rc = prog_resolve(prog, path, sizeof(path));
	if (rc == -ENOENT)
		die_code(127, "%s: command not found%s", prog,
			 strchr(prog, '/') ? "" : " (not in PATH)");
	if (rc == -EACCES)
		die_code(127, "%s: permission denied: not an executable file", prog);
	enum prog_kind kind = prog_kind(path);
	int setid = prog_is_setid(path);
	/* A program the runtime cannot be preloaded into (static: Go binaries
	 * too; set-id: the loader ignores LD_PRELOAD) gets CPU samples from
	 * outside, as record -p takes them (extsample_launch); what needs the
	 * runtime inside it cannot be had. */
	int launch = kind == PROG_STATIC || setid;
	if (launch && strcmp(o->mode, "cpu") != 0) {
		const char *what = strstr(o->mode, "heap") ? "heap tracking" : strstr(o->mode, "wall") ? "--wall"
				   : "--calls";
		/* Go's own heap is not malloc's: a dynamic build would not help */
		if (kind == PROG_STATIC && prog_is_go(path))
			die_code(127, "%s is a Go program, statically linked: %s needs scorch's library "
				      "preloaded through the dynamic linker (LD_PRELOAD), which it does not "
				      "use%s; 'scorch record' without --heap, --wall or --calls samples its "
				      "CPU time from outside.", prog, what,
				 strstr(o->mode, "heap") ? ", and Go's heap does not go through malloc: Go's "
							   "own profiler (runtime/pprof, go tool pprof) "
							   "shows it" : "");
		if (kind == PROG_STATIC)
			die_code(127, "%s is statically linked: %s needs scorch's library preloaded through "
				      "the dynamic linker (LD_PRELOAD), which a static binary does not use. "
				      "Rebuild it without -static (dynamically linked) for %s%s; 'scorch record' "
				      "without --heap, --wall or --calls samples its CPU time from outside.",
				 prog, what, what,
				 strstr(o->mode, "heap") ? ", or use valgrind's DHAT, which instruments static "
							   "binaries" : "");
		die_code(127, "%s is set-user-ID or set-group-ID: the dynamic linker ignores LD_PRELOAD "
			      "for such programs, and %s needs scorch's library preloaded. Profile a copy "
			      "without the set-id bit, or run scorch as the program's owner; 'scorch record' "
			      "without --heap, --wall or --calls samples its CPU time from outside.", prog, what);
	}
	if (launch)
		fprintf(stderr, "scorch: %s is %s: its CPU time is sampled from outside (perf_event_open, "
				"stacks unwound with DWARF CFI), as 'scorch record -p' does\n", prog,
			kind == PROG_STATIC ? "statically linked (LD_PRELOAD cannot reach it)"
					    : "set-user-ID or set-group-ID (the loader ignores LD_PRELOAD)");
	char runtime[PATH_MAX];
	if (runtime_locate(runtime, sizeof(runtime)) != 0)
		die("cannot find the runtime libscorch.so next to the scorch executable or in its ../lib; "
		    "set SCORCH_RUNTIME to its path");

	/* A device or FIFO named with -o (/dev/stdout, a pipe) is written in
	 * place: the session directory (and the profiles of other processes)
	 * then go in the current directory. What -o names is checked now, not
	 * after the run: a symbolic link to a file is refused (lib/newfile.h). */
	int out_in_place = o->output && newfile_is_in_place(o->output);
	char *outdir = o->output && !out_in_place ? newfile_dir_of(o->output) : xstrdup(".");
	check_output_dir(outdir, o->output && !out_in_place ? o->output : "the current directory");
	if (o->output) {
		int bad = newfile_check(o->output, NF_NAMED | NF_KEEP_OLD);
		if (bad == -EISDIR)
			die("cannot write the profile to %s: it is a directory", o->output);
		if (bad)
			die("cannot write the profile to %s: %s", o->output, newfile_strerror(bad));
	}
	char sessdir[PATH_MAX];
	session_make_dir(outdir, sessdir);
	/* every profile of the run says which run it is (the session
	 * directory's random name and the time), and the first lists the
	 * others: analysis/merge.h views them as one */
	char run_id[PATH_MAX + 32];
	{
		struct timespec now;
		clock_gettime(CLOCK_REALTIME, &now);
		const char *sd = strrchr(sessdir, '/');
		snprintf(run_id, sizeof(run_id), "%s-%llx", sd ? sd + 1 : sessdir,
			 (unsigned long long)now.tv_sec * 1000000000ull + (unsigned long long)now.tv_nsec);
	}

	/* descendants whose parent exits become ours, so we can wait for them */
	prctl(PR_SET_CHILD_SUBREAPER, 1);

	/* the runtime's clock: TSC ticks when that is safe (SCORCH_CLOCK=mono
	 * forces CLOCK_MONOTONIC) */
	const char *clk = getenv("SCORCH_CLOCK");
	struct clock_cal cc = { .on = 0 };
	uint64_t tick_fs = 0;
	if (!(clk && !strcmp(clk, "mono")) && tsc_cal_begin(&cc.cal) == 0) {
		/* the runtime gets a rough rate (about 3e-4) for its thresholds
		 * (how old a buffer, how short a blocking call, may be); the
		 * times in the profile use the launcher's precise one */
		struct timespec ts = { 0, 200000 };
		nanosleep(&ts, NULL);
		tick_fs = tsc_cal_read(&cc.cal);
		cc.on = tick_fs != 0;
	}

	int errpipe[2], gopipe[2];
	if (pipe2(errpipe, O_CLOEXEC) != 0 || pipe2(gopipe, O_CLOEXEC) != 0)
		die("pipe: %s", strerror(errno));
	fflush(NULL);
	pid_t root = fork();
	if (root < 0)
		die("cannot fork: %s", strerror(errno));
	if (root == 0) {
		close(errpipe[0]);
		close(gopipe[1]);
		struct strbuf pre = STRBUF_INIT;
		const char *old = getenv("LD_PRELOAD");
		sb_adds(&pre, runtime);
		if (old && *old)
			sb_addf(&pre, ":%s", old);
		/* The program sees these (docs/guide.md, "Environment"), and
		 * the runtime puts them back into an exec'd child's environment
		 * that lacks them: only what the runtime needs, a setting only
		 * when it differs from the runtime's default (rt-core.c:
		 * scorch_rt_init; depth 128, 999 Hz, follow), and none left
		 * over from an outer environment. */
		char num[32];
		if (launch) {
			/* sampled from outside: nothing of scorch goes in, not
			 * even into the programs it execs (their streams would
			 * be made twice) */
			unsetenv("SCORCH_DIR");
			unsetenv("SCORCH_MODE");
			char go;
			while (read(gopipe[0], &go, 1) < 0 && errno == EINTR)
				;
			if (go != 'g')
				_exit(127);
			execv(path, o->argv);
			int e = errno;
			ssize_t w = write(errpipe[1], &e, sizeof(e));
			(void)w;
			_exit(127);
		}
		setenv("LD_PRELOAD", pre.buf, 1);
		setenv("SCORCH_DIR", sessdir, 1);
		setenv("SCORCH_MODE", o->mode, 1);
		snprintf(num, sizeof(num), "%d", o->depth);
		if (o->depth != 128)
			setenv("SCORCH_DEPTH", num, 1);
		else
			unsetenv("SCORCH_DEPTH");
		snprintf(num, sizeof(num), "%d", o->hz);
		if (o->hz && o->hz != 999 && strstr(o->mode, "cpu"))
			setenv("SCORCH_HZ", num, 1);
		else
			unsetenv("SCORCH_HZ");
		snprintf(num, sizeof(num), "%llu", (unsigned long long)o->heap_sample);
		if (o->heap_sample && strstr(o->mode, "heap"))
			setenv("SCORCH_HEAP_SAMPLE", num, 1);
		else
			unsetenv("SCORCH_HEAP_SAMPLE");
		/* time stamps are TSC ticks exactly when a rate is given */
		snprintf(num, sizeof(num), "%llu", (unsigned long long)tick_fs);
		if (tick_fs)
			setenv("SCORCH_TICK_FS", num, 1);
		else
			unsetenv("SCORCH_TICK_FS");
		/* --no-follow: only this process (and what it execs) records */
		snprintf(num, sizeof(num), "%d", (int)getpid());
		if (!o->follow) {
			setenv("SCORCH_FOLLOW", "0", 1);
			setenv("SCORCH_ROOT_PID", num, 1);
		} else {
			unsetenv("SCORCH_FOLLOW");
			unsetenv("SCORCH_ROOT_PID");
		}
		/* the launcher's own settings: the program has no use for them */
		unsetenv("SCORCH_RUNTIME");
		unsetenv("SCORCH_EXTERNAL");
		unsetenv("SCORCH_DEBUGINFOD");
		if (!strstr(o->mode, "calls")) {
			unsetenv("SCORCH_CALLS_FILTER");
			unsetenv("SCORCH_CALLS_EXCLUDE");
			unsetenv("SCORCH_CALLS_DEPTH");
			unsetenv("SCORCH_CALLS_MIN");
		}
		/* wait until the launcher's counters are on us (extsample.c):
		 * what this process makes inherits them */
		char go;
		while (read(gopipe[0], &go, 1) < 0 && errno == EINTR)
			;
		execv(path, o->argv);
		int e = errno;
		ssize_t w = write(errpipe[1], &e, sizeof(e));
		(void)w;
		_exit(127);
	}
	close(errpipe[1]);
	close(gopipe[0]);
	/* threads that block the in-process sampler's signal are sampled from
	 * here (extsample.c); the counters follow the program from its exec */
	struct extsample *ext = NULL;
	if (launch) {
		int ext_err;
		ext = extsample_launch(root, o->hz, o->depth, o->follow, setid, sessdir, &ext_err);
		if (!ext) {
			kill(root, SIGKILL);
			waitpid(root, NULL, 0);
			rmdir(sessdir);
			int par = 2;
			FILE *pf = fopen("/proc/sys/kernel/perf_event_paranoid", "re");
			if (pf) {
				if (fscanf(pf, "%d", &par) != 1)
					par = 2;
				fclose(pf);
			}
			if (ext_err == EACCES || ext_err == EPERM)
				die_code(127, "cannot sample %s from outside: perf_event_open: permission denied "
					      "(kernel.perf_event_paranoid is %d: it needs 2 or less, or CAP_PERFMON)",
					 prog, par);
			die_code(127, "cannot sample %s from outside: perf_event_open: %s", prog, strerror(ext_err));
		}
	} else if (strstr(o->mode, "cpu") && o->hz > 0) {
		int ext_err;
		ext = extsample_start(root, o->hz, o->depth, sessdir, &ext_err);
	}
	/* Like a shell running a foreground job: the terminal's ^C and ^\ go to
	 * the program; a TERM, HUP or INT sent to us is passed on to it. A
	 * second one ends the launcher (on_stop_sig), so that `timeout` or a
	 * second ^C can always stop it, even if the program ignores them.
	 * In place before the program starts: it may signal its process group
	 * at once. */
	snprintf(stop_msg[0], sizeof(stop_msg[0]),
		 "scorch: stopped by a second signal while %s (pid %d) ran; it got the first and may "
		 "still be running. Nothing was finalized: the raw recording is kept in %s\n",
		 prog, (int)root, sessdir);
	snprintf(stop_msg[1], sizeof(stop_msg[1]),
		 "scorch: stopped by a second signal while writing the profiles; the raw recording "
		 "of those not written is kept in %s\n", sessdir);
	struct sigaction ign, fwd, old_quit;
	memset(&ign, 0, sizeof(ign));
	ign.sa_handler = SIG_IGN;
	memset(&fwd, 0, sizeof(fwd));
	fwd.sa_sigaction = on_stop_sig;
	fwd.sa_flags = SA_SIGINFO;
	sigemptyset(&fwd.sa_mask);
	sigaddset(&fwd.sa_mask, SIGINT);
	sigaddset(&fwd.sa_mask, SIGTERM);
	sigaddset(&fwd.sa_mask, SIGHUP);
	root_pid_for_sig = root;
	sigaction(SIGQUIT, &ign, &old_quit);
	sigaction(SIGINT, &fwd, NULL);
	sigaction(SIGTERM, &fwd, NULL);
	sigaction(SIGHUP, &fwd, NULL);
	/* signals whose default would end the launcher, which programs send
	 * to their process group (the launcher's too) for their own ends */
	struct sigaction grp;
	memset(&grp, 0, sizeof(grp));
	grp.sa_sigaction = on_group_sig;
	grp.sa_flags = SA_SIGINFO | SA_RESTART;
	sigemptyset(&grp.sa_mask);
	static const int group_sigs[] = { SIGUSR1, SIGUSR2, SIGALRM, SIGVTALRM, SIGPROF, SIGIO, SIGPWR, SIGPIPE };
	for (size_t k = 0; k < sizeof(group_sigs) / sizeof(group_sigs[0]); k++)
		sigaction(group_sigs[k], &grp, NULL);
	for (int k = SIGRTMIN; k <= SIGRTMAX; k++)
		sigaction(k, &grp, NULL);

	if (write(gopipe[1], "g", 1) != 1)
		warning("cannot start %s: %s", prog, strerror(errno));
	close(gopipe[1]);
	int child_errno = 0;
	ssize_t got;
	do   /* a signal may come now: the handlers are in place */
		got = read(errpipe[0], &child_errno, sizeof(child_errno));
	while (got < 0 && errno == EINTR);
	close(errpipe[0]);
	if (got == (ssize_t)sizeof(child_errno)) {
		waitpid(root, NULL, 0);
		rmdir(sessdir);
		die_code(127, "cannot run %s: %s", prog, strerror(child_errno));
	}
	if (launch) {
		int e = extsample_exec_done(ext);
		if (e) {
			/* Nothing of it can be recorded: its stream holds no
			 * process and would only be reported as a program that
			 * died at once. The program runs on; its status is ours. */
			if (setid && (e == EACCES || e == EPERM))
				warning("cannot sample %s from outside once it runs: perf_event_open: %s (it runs "
					"set-user-ID or set-group-ID: only root or CAP_PERFMON may sample it; its "
					"output and exit status are as without scorch)", prog, strerror(e));
			else
				warning("cannot sample %s from outside once it runs: perf_event_open: %s", prog,
					strerror(e));
			raw_vec none = { 0 };
			list_raw(sessdir, &none);
			for (size_t k = 0; k < none.len; k++) {
				if (none.data[k].pid == root)
					unlink_raw(none.data[k].path);
				free(none.data[k].path);
			}
			VEC_FREE(&none);
		}
	}

	/* readable when the program exits: the wait below wakes at once instead
	 * of at its next 10 ms tick (-1 on kernels before 5.3: ticks only) */
	int root_fd = (int)syscall(SYS_pidfd_open, root, 0);

	rss_vec rss = { 0 };
	reader_vec readers = { 0 };
	track(&rss, root);
	int root_status = 0, root_done = 0, announced = 0;
	uint64_t root_cpu_ns = 0;
	uint64_t last_scan = 0;
	for (;;) {
		int st, all_done = 0;
		for (;;) {
			struct rusage ru;
			pid_t want = -1;
			if (launch) {
				/* a process sampled from outside ends: its last
				 * samples and CPU time before it is reaped */
				siginfo_t si;
				memset(&si, 0, sizeof(si));
				if (waitid(P_ALL, 0, &si, WEXITED | WNOHANG | WNOWAIT) == 0 && si.si_pid > 0) {
					extsample_reaping(ext, si.si_pid);
					want = si.si_pid;
				}
			}
			pid_t w = wait4(want, &st, WNOHANG, &ru);
			if (w > 0) {
				if (w == root) {
					root_done = 1;
					root_status = st;
					root_pid_for_sig = 0;
					root_cpu_ns = (uint64_t)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000000000ull +
						      (uint64_t)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) * 1000ull;
				}
				for (size_t i = 0; i < rss.len; i++)
					if (rss.data[i].pid == w)
						rss.data[i].dead = 1;
				continue;
			}
			if (w < 0 && errno == EINTR)
				continue;
			if (w < 0)
				all_done = 1;
			break;
		}
		if (all_done)
			break;
		if (root_done && !announced) {
			/* the program is done, background descendants are not: a
			 * signal (^C) ends the wait instead of killing nothing */
			announced = 1;
			got_sig = 0;
			nsigs = 0;
			fprintf(stderr, "scorch: %s exited; waiting for the processes it left running "
					"(^C stops waiting, their profiles are then incomplete)\n", prog);
		}
		if (root_done && got_sig)
			break;
		uint64_t now = mono_now();
		/* new streams every 100 ms; every poll until the first one is
		 * there: the program writes from its first instructions on, and
		 * a reader found 100 ms late starts with that much backlog,
		 * which a call trace's launcher then decodes after the exit */
		if (!readers.len || now - last_scan > 100000000ull) {
			raw_vec names = { 0 };
			list_raw(sessdir, &names);
			for (size_t i = 0; i < names.len; i++) {
				track(&rss, names.data[i].pid);
				reader_for(&readers, names.data[i].path, 1, clock_cal_fs(&cc), o->no_code, o->spans,
					   o->heap_sample != 0);
				free(names.data[i].path);
			}
			VEC_FREE(&names);
			last_scan = now;
		}
		/* samples of threads that block the sample signal, into their
		 * streams before those are decoded below */
		extsample_poll(ext);
		for (size_t i = 0; i < rss.len; i++) {
			struct rss_track *t = &rss.data[i];
			uint64_t b;
			if (t->dead)
				continue;
			if (read_rss(t->pid, &b) == 0) {
				struct sc_rss s = { mono_now(), b };
				VEC_PUSH(&t->s, s);
			} else if (kill(t->pid, 0) != 0) {
				t->dead = 1;
			}
		}
		/* decode what the program wrote so far, on the core it is not
		 * using, so little is left to do when it exits */
		int behind = 0;
		for (size_t i = 0; i < readers.len; i++)
			behind |= raw_reader_poll(readers.data[i].r);
		/* ... and symbolize the stacks seen so far in the time left */
		for (size_t i = 0; i < readers.len; i++) {
			uint64_t used = (mono_now() - now) / 1000000ull;
			if (used >= 8)
				break;
			raw_reader_warm(readers.data[i].r, (unsigned)(8 - used));
		}
		uint64_t spent = mono_now() - now;
		/* a launcher behind the program (its threads may be waiting
		 * for it: format/raw.h) polls again at once. Sampled heap
		 * profiles (--sample) write a few hundred KB a second at most,
		 * far below the 512 KiB the program's threads wait at: every
		 * 50 ms is enough, and the wake-ups, RSS reads and stream polls
		 * of a 10 ms loop cost about 1% of a core */
		uint64_t every = o->heap_sample ? 50000000ull : 10000000ull;
		if (spent < every && !behind) {
			if (root_fd >= 0 && !root_done) {
				struct pollfd pf = { root_fd, POLLIN, 0 };
				poll(&pf, 1, (int)((every - spent + 999999) / 1000000));
			} else {
				struct timespec ts = { 0, (long)(every - spent) };
				nanosleep(&ts, NULL);
			}
		}
	}
	/* TERM, INT and HUP stay caught: the first is noted, a second ends
	 * the launcher with the raw recording kept. A reader of a FIFO output
	 * that goes away fails the write (EPIPE) instead of killing us. */
	stop_phase = 1;
	root_pid_for_sig = 0;
	sigaction(SIGQUIT, &old_quit, NULL);
	sigaction(SIGPIPE, &ign, NULL);
	if (root_fd >= 0)
		close(root_fd);
	/* the last external samples, before the streams are finalized */
	extsample_stop(ext);

	if (WIFSIGNALED(root_status)) {
		r->program_signal = WTERMSIG(root_status);
		r->exit_code = 128 + r->program_signal;
	} else {
		r->program_status = WEXITSTATUS(root_status);
		r->exit_code = r->program_status;
	}

	/* Finalize every raw stream. libdw asks debuginfod servers for missing
	 * debug info when DEBUGINFOD_URLS is set: one network round trip per
	 * module, or a long hang offline. Local debug info only, unless the
	 * user opts in. */
	if (!getenv("SCORCH_DEBUGINFOD"))
		unsetenv("DEBUGINFOD_URLS");
	/* finalize every raw stream */
	raw_vec names = { 0 };
	list_raw(sessdir, &names);
	VEC(struct session_profile) out = { 0 };
	int failures = 0, kept = 0;
	size_t run_first = SIZE_MAX;
	struct event_stream *run_first_es = NULL;
	int root_named = 0;
	progress_begin(names.len > 1 ? "finalizing the profiles" : "finalizing the profile");
	for (size_t i = 0; i < names.len; i++) {
		struct raw_name *n = &names.data[i];
		if (names.len > 1)
			progress_count(i, names.len);
		struct sc_profile *p;
		struct finalize_info info = { 0 };
		char err[512];
		struct raw_reader *rd = reader_for(&readers, n->path, 1, clock_cal_fs(&cc), o->no_code, o->spans,
							 o->heap_sample != 0);
		for (size_t k = 0; k < readers.len; k++)
			if (readers.data[k].r == rd)
				readers.data[k].r = NULL;   /* finish() frees it */
		if (raw_reader_finish(rd, &p, &info, err, sizeof(err)) != 0) {
			/* an empty stream is a process that died before its first
			 * record: nothing was lost */
			struct stat st;
			if (stat(n->path, &st) == 0 && st.st_size <= 16) {
				unlink_raw(n->path);
			} else {
				warning("%s", err);
				failures++;
				kept++;
			}
			continue;
		}
		/* SCORCH_STREAM_STATS: how much of the encoding happened while
		 * the program ran (the rest was done here, after its exit) */
		if (getenv("SCORCH_STREAM_STATS") && info.events_total)
			fprintf(stderr, "scorch: %s: %llu of %llu heap events encoded while the program ran%s%s\n",
				base_name(n->path), (unsigned long long)info.events_live,
				(unsigned long long)info.events_total,
				info.stream_stopped ? "; streaming stopped: " : "",
				info.stream_stopped ? info.stream_stopped : "");
		note_unrecorded(p, &info, n, names.data, names.len);
		notes_check_rust_allocator(p);
		p->run_id = arena_strdup(&p->arena, run_id);
		/* the runtime sampled at the rate the launcher gave it: the
		 * totals tallied while it ran count samples, not events */
		if (o->heap_sample && (p->flags & PROF_HEAP)) {
			p->heap_sample = o->heap_sample;
			p->flags |= PROF_HEAP_SAMPLED;
			info.have_totals = 0;
		}
		for (size_t k = 0; k < rss.len; k++)
			if (rss.data[k].pid == n->pid)
				finalize_add_rss(p, &info, rss.data[k].s.data, rss.data[k].s.len);
		/* the tallied totals were made before our RSS samples joined */
		for (size_t k = 0; info.have_totals && k < p->nrss; k++) {
			if (p->rss[k].bytes > info.totals.peak_rss)
				info.totals.peak_rss = p->rss[k].bytes;
			if (p->rss[k].time > info.totals.end_time)
				info.totals.end_time = p->rss[k].time;
		}
		int last_image_of_root = n->pid == root &&
			(i + 1 == names.len || names.data[i + 1].pid != root);
		if (last_image_of_root) {
			/* the launcher saw how the root ended; trust that over the
			 * runtime's view (a return from main leaves it unknown) */
			if (WIFSIGNALED(root_status)) {
				p->exit_kind = EXIT_SIGNAL;
				p->exit_value = WTERMSIG(root_status);
			} else if (p->exit_kind != EXIT_EXEC) {
				p->exit_kind = EXIT_NORMAL;
				p->exit_value = WEXITSTATUS(root_status);
			}
			/* The runtime measured its image's CPU time unless it
			 * never reached its final flush (a crash, a raw
			 * exit_group): then the kernel's count for the process,
			 * less what its earlier images (before an exec) used. It
			 * includes the CPU time of children it waited for, so it
			 * comes second. */
			if (!p->cpu_time_ns) {
				p->cpu_time_ns = root_cpu_ns;
				if (info.have_cpu_at_start && info.cpu_at_start < root_cpu_ns)
					p->cpu_time_ns = root_cpu_ns - info.cpu_at_start;
			}
		}
		char *dest;
		unsigned flags = NF_KEEP_OLD;
		/* -o names the root's first image. Streams sort by pid, and a
		 * child can sort before the root: a pid that wrapped, or one in
		 * a new pid namespace (pid 1 there) */
		if (n->pid == root && o->output && !root_named) {
			root_named = 1;
			dest = xstrdup(o->output);
			flags |= NF_NAMED;
		} else {
			dest = unique_name(outdir, n->pid == root && n->seq == 0 ? base_name(prog) : proc_name(p),
					   n->pid, out.data, out.len);
		}
		struct session_profile sp = { NULL, p, 0, NULL };
		int wr = write_and_summarize(o, p, dest, flags, info.events,
					     info.have_totals ? &info.totals : NULL, &sp.summary);
		int raw_gone = 0;
		if (wr == -ENOSPC || wr == -EDQUOT) {
			/* The raw stream is decoded: on a full disk give its space
			 * to the profile, which is much smaller, and try again;
			 * the events come from their compressed stream when it is
			 * whole, else from memory when all are there. */
			int from_stream = event_stream_intact(info.events);
			int in_memory = !info.events || sc_events_count(p) == event_stream_count(info.events);
			if (from_stream || in_memory) {
				warning("cannot write %s: %s; removing the raw stream %s to make room and "
					"trying again", dest, strerror(-wr), n->path);
				unlink_raw(n->path);
				raw_gone = 1;
				if (!from_stream) {
					event_stream_discard(info.events);
					info.events = NULL;
				}
				wr = write_and_summarize(o, p, dest, flags, info.events, NULL, NULL);
			}
		}
		/* the run's first profile is written again at the end, listing
		 * the others: its events are kept until then */
		int first_of_run = n->pid == root && n->seq == 0 && names.len > 1 && !wr &&
				   !newfile_is_in_place(dest);
		if (first_of_run) {
			run_first = out.len;
			run_first_es = info.events;
		} else {
			event_stream_discard(info.events);
		}
		if (wr != 0) {
			error("cannot write the profile %s: %s%s", dest, newfile_strerror(wr),
			      raw_gone ? " (its raw stream was removed to make room: this recording is lost)" : "");
			sp.write_error = wr;
			failures++;
			kept += !raw_gone;
			free(dest);
		} else {
			sp.path = dest;
			unlink_raw(n->path);
		}
		VEC_PUSH(&out, sp);
	}
	progress_end();
	if (run_first != SIZE_MAX)
		list_relatives(out.data, out.len, run_first, run_first_es);
	event_stream_discard(run_first_es);
	for (size_t i = 0; i < names.len; i++)
		free(names.data[i].path);
	VEC_FREE(&names);
	for (size_t i = 0; i < readers.len; i++) {
		if (readers.data[i].r) {   /* a stream that vanished: drop it */
			struct sc_profile *p = NULL;
			char err[64];
			raw_reader_finish(readers.data[i].r, &p, NULL, err, sizeof(err));
			profile_free(p);
		}
		free(readers.data[i].path);
	}
	VEC_FREE(&readers);
	for (size_t i = 0; i < rss.len; i++)
		VEC_FREE(&rss.data[i].s);
	VEC_FREE(&rss);
	if (kept) {
		r->kept_dir = xstrdup(sessdir);
		warning("the raw recording is kept in %s", sessdir);
	} else if (rmdir(sessdir) != 0) {
		warning("cannot remove the session directory %s: %s", sessdir, strerror(errno));
	}
	if (failures && r->exit_code == 0)
		r->exit_code = 1;
	r->profiles = out.data;
	r->nprofiles = out.len;
	free(outdir);
}

/* What a profile holds, to find the one a user wants to look at first:
 * CPU samples, heap events and spans all count one. */
static uint64_t profile_weight(const struct sc_profile *p)
{
	return p ? p->nsamples + sc_events_count(p) + p->nzones : 0;
}

/* With several profiles (a program run through shims, a compiler driver
 * and its passes): which one holds most of the run, how it was reached
 * (the images of its pid before it: an exec chain) and what the others
 * are, by program, most first. */
static void print_busiest(const struct session_result *r, size_t best)
{
	const struct sc_profile *b = r->profiles[best].p;
	struct strbuf sb = STRBUF_INIT;
	char nb[80];
	sb_addf(&sb, "scorch: most of the run is in %s: %s (pid %u)", r->profiles[best].path,
		file_proc_name(&r->profiles[best], nb, sizeof(nb)), b->pid);
	if (b->nsamples) {
		sb_adds(&sb, ", ");
		term_count(&sb, b->nsamples);
		sb_adds(&sb, " samples");
	}
	if (sc_events_count(b)) {
		sb_adds(&sb, ", ");
		term_count(&sb, sc_events_count(b));
		sb_adds(&sb, " heap events");
	}
	const char *sep = "; exec'd by ";
	for (size_t i = best; i-- > 0;) {
		const struct sc_profile *q = r->profiles[i].p;
		if (q && q->pid == b->pid) {
			sb_addf(&sb, "%s%s", sep, file_proc_name(&r->profiles[i], nb, sizeof(nb)));
			sep = " <- ";
		}
	}
	struct by { char *name; size_t n; } *by = xcalloc(r->nprofiles + 1, sizeof(*by));
	size_t nby = 0, others = 0;
	for (size_t i = 0; i < r->nprofiles; i++) {
		const struct sc_profile *q = r->profiles[i].p;
		if (i == best || !q || !r->profiles[i].path)
			continue;
		char qb[80];
		const char *name = file_proc_name(&r->profiles[i], qb, sizeof(qb));
		size_t k = 0;
		while (k < nby && strcmp(by[k].name, name) != 0)
			k++;
		if (k == nby)
			by[nby++].name = xstrdup(name);
		by[k].n++;
		others++;
	}
	for (size_t i = 1; i < nby; i++)   /* stable: first seen first among equals */
		for (size_t j = i; j > 0 && by[j].n > by[j - 1].n; j--) {
			struct by t = by[j];
			by[j] = by[j - 1];
			by[j - 1] = t;
		}
	if (others) {
		sb_addf(&sb, "; %zu other%s:", others, others == 1 ? "" : "s");
		for (size_t k = 0; k < nby; k++) {
			sb_addf(&sb, "%s %s", k ? "," : "", by[k].name);
			if (by[k].n > 1)
				sb_addf(&sb, " x%zu", by[k].n);
		}
	}
	for (size_t k = 0; k < nby; k++)
		free(by[k].name);
	free(by);
	fprintf(stderr, "%s\n", term_safe(sb.buf));
	sb_release(&sb);
}

void session_print(const struct session_result *r)
{
	/* a profile that could not be written still has its summary: what
	 * was recorded, and the error above says why it is not on disk */
	size_t first = r->nprofiles;
	for (size_t i = 0; i < r->nprofiles; i++) {
		if (r->profiles[i].summary)
			fputs(r->profiles[i].summary, stderr);
		if (!r->profiles[i].path) {
			if (r->profiles[i].summary)
				fprintf(stderr, "scorch:   not written (see above)\n");
			continue;
		}
		if (first == r->nprofiles)
			first = i;
		fprintf(stderr, "scorch:   wrote %s\n", term_safe(r->profiles[i].path));
	}
	if (r->nprofiles > 1) {
		/* a shim chain or a build can write dozens: name the first
		 * few, count the rest (the run's first profile lists them all) */
		size_t shown = 0, more = 0;
		fprintf(stderr, "scorch: %zu profiles:", r->nprofiles);
		for (size_t i = 0; i < r->nprofiles; i++) {
			if (!r->profiles[i].path)
				continue;
			if (shown < 8) {
				fprintf(stderr, " %s", term_safe(r->profiles[i].path));
				shown++;
			} else {
				more++;
			}
		}
		if (more)
			fprintf(stderr, " and %zu more", more);
		fputc('\n', stderr);
	}
	if (first < r->nprofiles) {
		/* the hint names the profile holding most of the run (the
		 * first written on a tie): behind a shim or a compiler
		 * driver that is the real program's */
		size_t best = first;
		for (size_t i = first + 1; i < r->nprofiles; i++)
			if (r->profiles[i].path && profile_weight(r->profiles[i].p) > profile_weight(r->profiles[best].p))
				best = i;
		if (best != first)
			print_busiest(r, best);
		const struct session_profile *sp = &r->profiles[best];
		fprintf(stderr, "scorch: view with: scorch report %s\n", term_safe(sp->path));
		if (sp->p && sp->p->nsamples)
			fprintf(stderr, "scorch: its hottest lines and instructions: scorch annotate %s\n",
				term_safe(sp->path));
		/* the run's first profile lists the others: one view of all */
		for (size_t i = 0; i < r->nprofiles; i++)
			if (r->profiles[i].path && r->profiles[i].p && r->profiles[i].p->nrelatives) {
				fprintf(stderr, "scorch: the whole run (%zu profiles) as one view, the process as the "
					"top frame: scorch report --merge %s\n", r->profiles[i].p->nrelatives + 1,
					term_safe(r->profiles[i].path));
				break;
			}
	} else if (r->nprofiles) {
		fprintf(stderr, "scorch: no profile was written\n");
	} else
		fprintf(stderr, "scorch: no profile was recorded\n");
}

void session_result_release(struct session_result *r)
{
	for (size_t i = 0; i < r->nprofiles; i++) {
		free(r->profiles[i].path);
		free(r->profiles[i].summary);
		profile_free(r->profiles[i].p);
	}
	free(r->profiles);
	free(r->kept_dir);
	memset(r, 0, sizeof(*r));
}

/* ---- for attach.c: the same output checks, names and writing ---- */

void session_make_dir(const char *outdir, char sessdir[PATH_MAX])
{
	struct strbuf sd = STRBUF_INIT;
	sb_addf(&sd, "%s/.scorch-%d-XXXXXX", outdir, (int)getpid());
	if (!mkdtemp(sd.buf))
		die("cannot create a session directory in %s: %s", outdir, strerror(errno));
	if (!realpath(sd.buf, sessdir))
		snprintf(sessdir, PATH_MAX, "%s", sd.buf);
	sb_release(&sd);
}

char *session_output_dir(const char *output)
{
	int in_place = output && newfile_is_in_place(output);
	char *outdir = output && !in_place ? newfile_dir_of(output) : xstrdup(".");
	check_output_dir(outdir, output && !in_place ? output : "the current directory");
	if (output) {
		int bad = newfile_check(output, NF_NAMED | NF_KEEP_OLD);
		if (bad == -EISDIR)
			die("cannot write the profile to %s: it is a directory", output);
		if (bad)
			die("cannot write the profile to %s: %s", output, newfile_strerror(bad));
	}
	return outdir;
}

char *session_profile_name(const char *dir, const char *prog, int pid, const struct session_profile *done,
			   size_t ndone)
{
	return unique_name(dir, base_name(prog), pid, done, ndone);
}

int session_write_profile(const struct session_opts *o, const struct sc_profile *p, const char *dest,
			  int named, char **summary)
{
	return write_and_summarize(o, p, dest, NF_KEEP_OLD | (named ? NF_NAMED : 0), NULL, NULL, summary);
}
