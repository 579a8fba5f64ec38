/* Process lifecycle seen from inside the target: exit, _exit, exec (flush
 * everything first: the image is about to vanish; note what it starts that
 * scorch cannot enter), dlopen/dlclose (keep the module list current) and
 * fatal signals (the program's own handler runs as if we were not there;
 * flush when the default action is about to end the process). */
#define UNW_LOCAL_ONLY
#include <libunwind.h>

#include "rt.h"

#include <dlfcn.h>
#include <elf.h>
#include <link.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/vfs.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "../format/raw.h"
#include "../format/rawrec.h"
#include "../format/varint.h"

#define NEXT(name) ((__typeof__(&name))scorch_rt_next(#name))

/* ---- exit ---- */

RT_EXPORT void exit(int status)
{
	G.have_exit_status = 1;
	G.exit_status = status & 0xff;   /* what the parent's wait sees */
	typedef void (*exit_fn)(int) __attribute__((noreturn));
	static exit_fn real;
	if (!real)
		real = (exit_fn)scorch_rt_next("exit");
	real(status);
}

RT_EXPORT void _exit(int status)
{
	scorch_rt_final(EXIT_NORMAL, status & 0xff);
	typedef void (*exit_fn)(int) __attribute__((noreturn));
	static exit_fn real;
	if (!real)
		real = (exit_fn)scorch_rt_next("_exit");
	real(status);
}

RT_EXPORT void _Exit(int status) { _exit(status); }

/* A program that returns from main, or whose exit() is called from inside
 * libc (error(3), err(3)), reaches exit without passing the interposed one
 * above, and the destructor would only know "unknown": a compiler's passes,
 * children of a driver the launcher does not wait for, had no exit status.
 * on_exit handlers receive the status of every exit(); one registered once
 * main is about to run comes after the loader's _dl_fini in the handler
 * list, so it runs before it, and before the destructor that writes the
 * exit record. */
static void rt_on_exit(int status, void *arg)
{
	(void)arg;
	G.have_exit_status = 1;
	G.exit_status = status & 0xff;
}

typedef int (*main_fn)(int, char **, char **);
static main_fn rt_real_main;

static int rt_main(int argc, char **argv, char **envp)
{
	on_exit(rt_on_exit, NULL);
	return rt_real_main(argc, argv, envp);
}

RT_EXPORT int __libc_start_main(main_fn main, int argc, char **argv, void (*init)(void), void (*fini)(void),
				void (*rtld_fini)(void), void *stack_end)
{
	typedef int (*start_fn)(main_fn, int, char **, void (*)(void), void (*)(void), void (*)(void), void *);
	start_fn real = (start_fn)scorch_rt_next("__libc_start_main");
	if (!real) {   /* no libc below us: nothing can start the program */
		static const char msg[] = "scorch: cannot find __libc_start_main\n";
		(void)!write(2, msg, sizeof(msg) - 1);
		abort();
	}
	rt_real_main = main;
	return real(rt_main, argc, argv, init, fini, rtld_fini, stack_end);
}

/* ---- the runtime's descriptors ---- */

#define OWN_FDS 65536   /* descriptors above are not protected */
static _Atomic uint64_t own_fds[OWN_FDS / 64];

void scorch_rt_fd_own(int fd, int own)
{
	if (fd < 0 || fd >= OWN_FDS)
		return;
	uint64_t bit = 1ull << (fd & 63);
	if (own)
		atomic_fetch_or(&own_fds[fd >> 6], bit);
	else
		atomic_fetch_and(&own_fds[fd >> 6], ~bit);
}

static int fd_owned(unsigned fd)
{
	return fd < OWN_FDS && (atomic_load_explicit(&own_fds[fd >> 6], memory_order_relaxed) >> (fd & 63) & 1);
}

/* The program's close of a descriptor of ours succeeds without closing it:
 * it believes it gone, and the counter keeps sampling it. */
RT_EXPORT int close(int fd)
{
	static int (*real)(int);
	if (fd >= 0 && fd_owned((unsigned)fd))
		return 0;
	if (!real)
		real = (int (*)(int))scorch_rt_next("close");
	return real ? real(fd) : (int)scorch_rt_sys(SYS_close, fd);
}

/* the system call itself, past the syscall() interposed below */
static long real_syscall(long n, long a, long b, long c)
{
	return scorch_rt_sys(n, a, b, c);
}

/* close_range(first, last, flags) as the ranges between our descriptors.
 * CLOSE_RANGE_CLOEXEC closes nothing; ours are close-on-exec already. */
RT_EXPORT int close_range(unsigned first, unsigned last, int flags)
{
	if (flags & 4 /* CLOSE_RANGE_CLOEXEC */)
		return (int)real_syscall(SYS_close_range, first, last, flags);
	unsigned lo = first;
	int r = 0;
	for (unsigned w = first / 64; w < OWN_FDS / 64 && (uint64_t)w * 64 <= last && lo <= last; w++) {
		uint64_t bits = atomic_load_explicit(&own_fds[w], memory_order_relaxed);
		while (bits) {
			unsigned fd = w * 64 + (unsigned)__builtin_ctzll(bits);
			bits &= bits - 1;
			if (fd < lo || fd > last)
				continue;
			if (fd > lo && real_syscall(SYS_close_range, lo, fd - 1, flags) != 0)
				r = -1;
			lo = fd + 1;
			if (fd == UINT32_MAX)
				return r;
		}
	}
	if (lo <= last && lo >= first && real_syscall(SYS_close_range, lo, last, flags) != 0)
		r = -1;
	return r;
}

/* glibc's closefrom calls its close_range inside libc */
RT_EXPORT void closefrom(int lowfd)
{
	if (lowfd < 0)
		lowfd = 0;
	if (close_range((unsigned)lowfd, ~0u, 0) == 0)
		return;
	for (int fd = lowfd; fd < OWN_FDS; fd++)   /* a kernel before close_range */
		close(fd);
}

/* ---- raw clone ---- */

/* A program that forks with a raw clone3 (or clone) system call through
 * syscall() bypasses fork's atfork handlers: its child went on writing into
 * the parent's stream as the parent, its 200,000 allocations counted to the
 * parent's pid. A child of a clone that shares neither memory nor thread
 * group starts its own stream, as after fork. (The runtime's own syscall()
 * calls come here too: one compare each.) */
RT_EXPORT long syscall(long n, ...)
{
	static long (*real)(long, ...);
	va_list ap;
	va_start(ap, n);
	long a = va_arg(ap, long), b = va_arg(ap, long), c = va_arg(ap, long);
	long d = va_arg(ap, long), e = va_arg(ap, long), f = va_arg(ap, long);
	va_end(ap);
	/* closing every descriptor by the raw system call spares ours too */
	if (n == SYS_close_range)
		return close_range((unsigned)a, (unsigned)b, (int)c);
	if (n == SYS_close && a >= 0 && fd_owned((unsigned)a))
		return 0;
	/* the process ends here, as by _exit: flush first */
	if (n == SYS_exit_group)
		scorch_rt_final(EXIT_NORMAL, (int)(a & 0xff));
	if (!real)
		real = (long (*)(long, ...))scorch_rt_next("syscall");
	long r = real(n, a, b, c, d, e, f);
	if (r == 0 && (n == SYS_clone || n == SYS_clone3)) {
		/* clone3's flags are the first field of its struct clone_args */
		uint64_t fl = n == SYS_clone ? (uint64_t)a : a ? *(const uint64_t *)a : 0;
		if (!(fl & (CLONE_VM | CLONE_THREAD))) {
			int saved = errno;
			scorch_rt_raw_fork_child();
			errno = saved;
		}
	}
	return r;
}

/* ---- what scorch cannot follow: notes ---- */

/* A program can run what scorch cannot enter: a set-id program or one with
 * file capabilities (the loader ignores LD_PRELOAD for them), a static
 * binary (no loader at all), or an image whose loader refused the preload
 * (out of descriptors, wrong ELF class). Each such exec is written down as
 * a RAW_NOTE in the stream of the process that made it, so that the summary
 * and the reports can say what was not profiled and why instead of leaving
 * it out in silence. An exec made in a vfork child, which has no stream of
 * its own, is announced in its parent's stream (NOTE_EXEC_CHILD) and the
 * launcher checks that the new image wrote one. */

#define EXEC_WILL_FAIL (-2)   /* no such executable: the exec fails, nothing to note */
#define EXEC_UNKNOWN (-1)     /* looks preloadable, or could not be looked at */

/* Appends s (NUL-terminated) to buf at *n, bounded. */
static void str_add(char *buf, size_t cap, size_t *n, const char *s)
{
	while (*s && *n + 1 < cap)
		buf[(*n)++] = *s++;
	buf[*n] = 0;
}

/* The file execvp would run for `file`: PATH searched as the C library does
 * (an empty entry is the current directory), the first executable file.
 * async-signal-safe */
static int path_search(const char *file, char *out, size_t cap)
{
	const char *path = getenv("PATH");
	if (!path)
		path = "/bin:/usr/bin";
	for (;;) {
		size_t l = strcspn(path, ":"), n = 0;
		if (l + 1 + strlen(file) + 1 <= cap) {
			memcpy(out, path, l);
			n = l;
			if (n)
				out[n++] = '/';
			out[n] = 0;
			str_add(out, cap, &n, file);
			struct stat st;
			if (access(out, X_OK) == 0 && stat(out, &st) == 0 && S_ISREG(st.st_mode))
				return 0;
		}
		if (!path[l])
			return -1;
		path += l + 1;
	}
}

/* Whether the ELF file open as fd names a program interpreter (the dynamic
 * loader that would load us): 1 yes, 0 no (static), -1 not an ELF file we
 * can read. */
static int elf_has_interp(int fd, const unsigned char *h, size_t hn)
{
	if (hn < 64 || memcmp(h, ELFMAG, SELFMAG) != 0)
		return -1;
	uint64_t phoff;
	unsigned phentsize, phnum;
	if (h[EI_CLASS] == ELFCLASS64) {
		Elf64_Ehdr e;
		memcpy(&e, h, sizeof(e));
		phoff = e.e_phoff, phentsize = e.e_phentsize, phnum = e.e_phnum;
	} else if (h[EI_CLASS] == ELFCLASS32) {
		Elf32_Ehdr e;
		memcpy(&e, h, sizeof(e));
		phoff = e.e_phoff, phentsize = e.e_phentsize, phnum = e.e_phnum;
	} else {
		return -1;
	}
	if (phentsize < 8 || phnum == 0 || phnum > 256)
		return -1;
	unsigned char ph[1024];   /* small: this may run on a vfork child's borrowed stack */
	for (unsigned i = 0; i < phnum; i++) {
		/* p_type is the first word of both classes' program headers */
		unsigned per = (unsigned)sizeof(ph) / phentsize;
		unsigned k = i % per;
		if (k == 0) {
			size_t want = (size_t)(phnum - i < per ? phnum - i : per) * phentsize;
			if (pread(fd, ph, want, (off_t)(phoff + (uint64_t)i * phentsize)) != (ssize_t)want)
				return -1;
		}
		uint32_t type;
		memcpy(&type, ph + (size_t)k * phentsize, 4);
		if (type == PT_INTERP)
			return 1;
	}
	return 0;
}

/* Whether running the file open as fd (st its status) turns on the loader's
 * secure mode, in which it ignores LD_PRELOAD: its set-id bits change the
 * effective ids away from the real ones (unless the file system is nosuid
 * or no_new_privs is set), or its file capabilities raise a user's
 * privileges. Returns the note kind or EXEC_UNKNOWN. */
#ifndef ST_VALID
#define ST_VALID 0x0020   /* statfs f_flags holds the mount flags (Linux 2.6.36) */
#endif

static int secure_kind(int fd, const struct stat *st)
{
	struct statfs fs;
	if (prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) == 1 ||
	    (fstatfs(fd, &fs) == 0 && (fs.f_flags & ST_VALID) && (fs.f_flags & ST_NOSUID)))
		return EXEC_UNKNOWN;
	uid_t euid = (st->st_mode & S_ISUID) ? st->st_uid : geteuid();
	gid_t egid = (st->st_mode & S_ISGID) ? st->st_gid : getegid();
	if (euid != getuid() || egid != getgid())
		return NOTE_EXEC_SETID;
	if (getuid() != 0 && fgetxattr(fd, "security.capability", NULL, 0) > 0)
		return NOTE_EXEC_CAPS;
	return EXEC_UNKNOWN;
}

/* What an exec of `path` (or of the file open as exec_fd, for fexecve; a
 * name searched in PATH when `search`) will start, as far as LD_PRELOAD is
 * concerned: a NOTE_EXEC_* kind when the new image cannot be profiled,
 * EXEC_UNKNOWN when it looks like it can, EXEC_WILL_FAIL when there is
 * nothing to run. `out` gets the file's path. Follows "#!" interpreters as
 * the kernel does (set-id bits of a script are ignored, its interpreter's
 * count). Uses only system calls and the stack. async-signal-safe */
static int exec_check(const char *path, int exec_fd, int search, char *out, size_t cap)
{
	char cur[4096];
	size_t n = 0;
	out[0] = 0;
	if (exec_fd >= 0) {
		char proc[64] = "/proc/self/fd/";
		*scorch_rt_utoa(proc + 14, (uint64_t)exec_fd) = 0;
		ssize_t l = readlink(proc, out, cap - 1);
		out[l > 0 ? l : 0] = 0;
		scorch_rt_strlcpy(cur, proc, sizeof(cur));
	} else if (!path || !*path) {
		return EXEC_WILL_FAIL;
	} else if (search && !strchr(path, '/')) {
		if (path_search(path, cur, sizeof(cur)) != 0)
			return EXEC_WILL_FAIL;
		scorch_rt_strlcpy(out, cur, cap);
	} else {
		scorch_rt_strlcpy(cur, path, sizeof(cur));
		scorch_rt_strlcpy(out, path, cap);
	}
	if (exec_fd < 0 && access(cur, X_OK) != 0)
		return EXEC_WILL_FAIL;
	if (out[0] != '/' && exec_fd < 0 && getcwd(out, cap)) {
		/* a relative name, as of the current directory: make it whole */
		size_t n0 = strlen(out);
		str_add(out, cap, &n0, "/");
		str_add(out, cap, &n0, cur[0] == '.' && cur[1] == '/' ? cur + 2 : cur);
	} else if (out[0] != '/' && exec_fd < 0) {
		scorch_rt_strlcpy(out, cur, cap);
	}
	for (int depth = 0; depth < 5; depth++) {
		int fd = open(cur, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			return errno == ENOENT || errno == EACCES || errno == ENOTDIR || errno == ELOOP
				       ? EXEC_WILL_FAIL : EXEC_UNKNOWN;
		unsigned char h[256];
		struct stat st;
		ssize_t hn = pread(fd, h, sizeof(h) - 1, 0);
		if (hn < 0 || fstat(fd, &st) != 0) {
			close(fd);
			return EXEC_UNKNOWN;
		}
		if (hn >= 2 && h[0] == '#' && h[1] == '!') {
			close(fd);
			h[hn] = 0;
			size_t i = 2;
			while (h[i] == ' ' || h[i] == '\t')
				i++;
			n = 0;
			while (h[i] && h[i] != ' ' && h[i] != '\t' && h[i] != '\n' && n + 1 < sizeof(cur))
				cur[n++] = (char)h[i++];
			cur[n] = 0;
			if (!n)
				return EXEC_WILL_FAIL;
			continue;
		}
		int interp = elf_has_interp(fd, h, (size_t)hn);
		int kind = interp == 0 ? NOTE_EXEC_STATIC : interp == 1 ? secure_kind(fd, &st) : EXEC_UNKNOWN;
		close(fd);
		return kind;
	}
	return EXEC_UNKNOWN;
}

/* Puts a RAW_NOTE at p (room: NOTE_ROOM, path and detail at most 4096
 * and 256). */
#define NOTE_ROOM RAW_NOTE_MAX(4096, 256)
static uint8_t *put_note(uint8_t *p, int64_t dt, int kind, uint32_t pid, const char *path,
			 const char *detail)
{
	return raw_put_note(p, &(struct raw_note_rec){ dt, (uint64_t)kind, pid, path, (uint32_t)strnlen(path, 4096),
							detail, (uint32_t)strnlen(detail, 256) });
}

/* A note through this thread's buffer (a process with a stream of its own). */
static void note_record(int kind, uint32_t pid, const char *path, const char *detail)
{
	if (atomic_load(&G.state) != RT_ACTIVE || getpid() != G.pid)
		return;
	int g = scorch_rt_guard;
	scorch_rt_guard = 1;
	struct rt_buf *b = scorch_rt_self();
	if (b) {
		scorch_rt_lock(b);
		uint64_t t = scorch_rt_now();
		uint8_t *p = scorch_rt_reserve(b, NOTE_ROOM);
		p = put_note(p, (int64_t)(t - b->last_time), kind, pid, path, detail);
		scorch_rt_commit(b, p, t);
		scorch_rt_unlock(b);
	}
	scorch_rt_guard = g;
}

/* A note from a vfork child, which runs in its parent's memory and has no
 * stream of its own: one chunk of its own, appended to the parent's stream
 * with a single write, touching none of the parent's buffers or globals.
 * It is filed under the parent's main thread. async-signal-safe */
static void child_note(int kind, const char *path)
{
	uint8_t c[RAW_CHUNK_HDR + NOTE_ROOM];
	uint64_t t = scorch_rt_now();
	uint8_t *e = put_note(c + RAW_CHUNK_HDR, 0, kind, (uint32_t)getpid(), path, "");
	uint32_t len = (uint32_t)(e - (c + RAW_CHUNK_HDR));
	fmt_put_u32le(c, RAW_CHUNK_MAGIC);
	fmt_put_u32le(c + 4, len);
	fmt_put_u32le(c + 8, (uint32_t)G.pid);
	fmt_put_u64le(c + 16, t);
	fmt_put_u32le(c + 12, fmt_chunk_sum(c, c + RAW_CHUNK_HDR, len));
	/* the parent's descriptor, if it still is its stream; else by name */
	struct stat st;
	int fd = G.fd, own = 0;
	if (fd < 0 || fstat(fd, &st) != 0 || st.st_dev != G.file_dev || st.st_ino != G.file_ino) {
		fd = scorch_rt_open_in_dir(G.path, O_WRONLY | O_APPEND | O_CLOEXEC, 0);
		own = 1;
	}
	if (fd < 0)
		return;
	ssize_t w = scorch_rt_sys(SYS_write, fd, c, RAW_CHUNK_HDR + len);
	(void)w;
	if (own)
		close(fd);
}

/* A program that defines the malloc family itself (or links an allocator
 * in statically and exports it) is looked up before this library, so its
 * allocations never reach our hooks and the heap profile would show none
 * without a word. Called at init: note which functions resolve elsewhere,
 * and where. */
void scorch_rt_alloc_check(void)
{
	static const char *const fam[] = { "malloc", "free", "calloc", "realloc" };
	char which[64] = "", where[1024] = "";
	size_t n = 0;
	for (size_t i = 0; i < sizeof(fam) / sizeof(fam[0]); i++) {
		void *f = dlsym(RTLD_DEFAULT, fam[i]);
		if (!f || scorch_rt_is_self(f))
			continue;
		/* a non-PIE program that takes malloc's address (python3.11 on
		 * Debian) has an undefined malloc whose value is its PLT entry,
		 * and dlsym returns that: calls through it reach our malloc. A
		 * definition has a symbol starting at the address, a PLT entry
		 * none. */
		Dl_info si;
		const ElfW(Sym) *sym = NULL;
		if (dladdr1(f, &si, (void **)&sym, RTLD_DL_SYMENT) && (!sym || sym->st_shndx == SHN_UNDEF ||
		    (uintptr_t)si.dli_saddr != (uintptr_t)f))
			continue;
		if (n)
			str_add(which, sizeof(which), &n, ", ");
		str_add(which, sizeof(which), &n, fam[i]);
		Dl_info di;
		if (!where[0] && dladdr(f, &di) && di.dli_fname)
			scorch_rt_strlcpy(where, di.dli_fname[0] ? di.dli_fname : G.exe, sizeof(where));
	}
	if (n)
		note_record(NOTE_OWN_MALLOC, (uint32_t)G.pid, where[0] ? where : G.exe, which);
}

/* ---- exec ---- */

/* The image ends if exec succeeds: write EXEC, EXIT and END and flush all,
 * with a note first when the new image cannot be profiled. In a vfork
 * child only the note (or the announcement of the exec) is written, into
 * the parent's stream. Returns whether a note was written, which a failed
 * exec takes back. If exec fails the program goes on and so does recording. */
static int before_exec(const char *path, int exec_fd, int search)
{
	if (atomic_load(&G.state) != RT_ACTIVE)
		return 0;
	int saved = errno;
	char where[4096];
	int kind = exec_check(path, exec_fd, search, where, sizeof(where));
	if (getpid() != G.pid) {
		/* a vfork child shares our memory: leave the parent's buffers.
		 * Without --follow the new image is not recorded on purpose. */
		int noted = 0;
		if (G.follow && kind != EXEC_WILL_FAIL) {
			child_note(kind >= 0 ? kind : NOTE_EXEC_CHILD, where);
			noted = 1;
		}
		errno = saved;
		return noted;
	}
	int g = scorch_rt_guard;
	scorch_rt_guard = 1;
	struct rt_buf *b = scorch_rt_self();
	if (b) {
		scorch_rt_lock(b);
		uint64_t t = scorch_rt_now();
		/* the file that will run, when it was found (execvp) */
		if (where[0])
			path = where;
		size_t n = path ? strnlen(path, 4096) : 0;
		uint8_t *p = scorch_rt_reserve(b, RAW_EXEC_MAX(n) + NOTE_ROOM);
		p = raw_put_exec(p, &(struct raw_exec){ (int64_t)(t - b->last_time), path, (uint32_t)n });
		if (kind >= 0)
			p = put_note(p, 0, kind, (uint32_t)G.pid, where, "");
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
	errno = saved;
	return b && kind >= 0;
}

/* exec failed: the program goes on, and so does its sampling; the note the
 * exec made is taken back */
static void after_exec(int noted)
{
	if (atomic_load(&G.state) != RT_ACTIVE)
		return;
	int saved = errno;
	if (getpid() != G.pid) {
		if (noted)
			child_note(NOTE_EXEC_FAILED, "");
		errno = saved;
		return;
	}
	/* (the stream goes on after its EXEC record: say the exec failed, so
	 * that it is not taken for one whose image never recorded) */
	note_record(NOTE_EXEC_FAILED, (uint32_t)G.pid, "", "");
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
	int noted = before_exec(path, -1, 0);
	struct exec_args a = { path, argv, -1 };
	int r = with_env(envp, do_execve, &a);
	after_exec(noted);
	return r;
}

/* execv and execvp pass the process's environment, which the program may
 * have cleared (clearenv, unsetenv) */
RT_EXPORT int execv(const char *path, char *const argv[])
{
	extern char **environ;
	int noted = before_exec(path, -1, 0);
	struct exec_args a = { path, argv, -1 };
	int r = with_env(environ, do_execve, &a);
	after_exec(noted);
	return r;
}

RT_EXPORT int execvp(const char *file, char *const argv[])
{
	extern char **environ;
	int noted = before_exec(file, -1, 1);
	struct exec_args a = { file, argv, -1 };
	int r = with_env(environ, do_execvpe, &a);
	after_exec(noted);
	return r;
}

RT_EXPORT int execvpe(const char *file, char *const argv[], char *const envp[])
{
	int noted = before_exec(file, -1, 1);
	struct exec_args a = { file, argv, -1 };
	int r = with_env(envp, do_execvpe, &a);
	after_exec(noted);
	return r;
}

RT_EXPORT int fexecve(int fd, char *const argv[], char *const envp[])
{
	int noted = before_exec(NULL, fd, 0);
	struct exec_args a = { NULL, argv, fd };
	int r = with_env(envp, do_fexecve, &a);
	after_exec(noted);
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

/* The exec inside posix_spawn does not come through our execve: look at
 * what it will run here, and note it once the child exists (the C library
 * returns only after the child's exec succeeded or failed). */
static int spawn(struct spawn_args *a, char *const envp[])
{
	char where[4096];
	int kind = EXEC_WILL_FAIL;
	pid_t child = 0;
	if (atomic_load(&G.state) == RT_ACTIVE && G.follow) {
		int saved = errno;
		kind = exec_check(a->path, -1, a->search, where, sizeof(where));
		errno = saved;
		if (!a->pid)
			a->pid = &child;   /* its pid is what the note is about */
	}
	int r = with_env(envp, do_spawn, a);
	if (r == 0 && kind != EXEC_WILL_FAIL && (kind >= 0 || *a->pid > 0)) {
		int saved = errno;
		note_record(kind >= 0 ? kind : NOTE_EXEC_CHILD, (uint32_t)*a->pid, where, "");
		errno = saved;
	}
	return r;
}

RT_EXPORT int posix_spawn(pid_t *pid, const char *path, const posix_spawn_file_actions_t *fa,
			  const posix_spawnattr_t *attr, char *const argv[], char *const envp[])
{
	struct spawn_args a = { pid, path, fa, attr, argv, 0 };
	return spawn(&a, envp);
}

RT_EXPORT int posix_spawnp(pid_t *pid, const char *file, const posix_spawn_file_actions_t *fa,
			   const posix_spawnattr_t *attr, char *const argv[], char *const envp[])
{
	struct spawn_args a = { pid, file, fa, attr, argv, 1 };
	return spawn(&a, envp);
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
 * and honoured by the handler, and reported back by sigaction()/signal().
 *
 * The final flush (end records, every buffer written) happens only on the
 * way to death. A handler of the program's runs first, as if we were not
 * there: it may repair a fault and resume, or jump out, a hundred thousand
 * times over (guard pages, write barriers, a JIT's traps), and none of that
 * ends the process nor should cost it a flush. What ends it afterwards is
 * seen on its way out: _exit, exit and syscall(SYS_exit_group) are
 * interposed; abort()'s SIGABRT and a re-raise or a repeated fault once the
 * program has set the default action come back here with SIG_DFL; and
 * abort() whose SIGABRT handler returns is flushed after that handler (see
 * on_fatal). What is not seen: a handler that kills the process by a
 * SIGKILL, a raw exit system call, or a fault inside its own handler while
 * that signal is blocked (the kernel kills it without running ours): like a
 * SIGKILL, each thread loses the unflushed tail of its buffer. */
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

static void on_fatal(int sig, siginfo_t *info, void *uctx);

static int has_handler(const struct sigaction *u)
{
	return u->sa_handler != SIG_DFL && u->sa_handler != SIG_IGN;
}

/* Adds the CPU sample signals (SIGTRAP; SIGPROF and SIGRTMIN+5 of the
 * fallbacks) to a handler's mask when it runs on an alternate stack: a
 * sample's signal frame (3.4 KB with AVX-512) pushed there on top of the
 * fault's overflows a small one (Rust's), and the kernel then kills the
 * process by the fault's signal, blocked in its own handler: unflushed,
 * the program's handler never run (t063's Rust-like case under record).
 * The sample waits for the handler's end. */
static void block_samples(sigset_t *m)
{
	sigaddset(m, SIGTRAP);
	sigaddset(m, SIGPROF);
	sigaddset(m, SIGRTMIN + 5);
}

/* Installs on_fatal for sig with the flags and mask that suit what the
 * program has asked for (user[sig]). async-signal-safe */
static void install_one(int sig)
{
	struct sigaction sa;
	const struct sigaction *u = &user[sig];
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_fatal;
	sigemptyset(&sa.sa_mask);
	if (sig == SIGTRAP) {
		/* SIGTRAP also brings CPU samples (rt-sample.c), which must not
		 * run on the program's alternate stack, and are taken with every
		 * signal blocked; the program's own SIGTRAP handler gets its own
		 * mask back (on_fatal). A trap is never a stack overflow. */
		sa.sa_flags = SA_SIGINFO | SA_RESTART;
		sigfillset(&sa.sa_mask);
		/* but a fault in it stays deliverable: a sample taken near
		 * the end of a stack overflows it first, and a fault with
		 * its signal blocked kills the process at once, unflushed
		 * (on_fatal flushes on the alternate stack instead) */
		sigdelset(&sa.sa_mask, SIGSEGV);
		sigdelset(&sa.sa_mask, SIGBUS);
		sigdelset(&sa.sa_mask, SIGILL);
		sigdelset(&sa.sa_mask, SIGFPE);
	} else if (has_handler(u)) {
		/* The program's handler runs inside ours: on the stack, with the
		 * mask and the restarting of system calls it asked for.
		 * SA_RESETHAND is ours to emulate (the kernel would remove us). */
		sa.sa_flags = SA_SIGINFO | (u->sa_flags & (SA_ONSTACK | SA_RESTART | SA_NODEFER));
		sa.sa_mask = u->sa_mask;
		if (u->sa_flags & SA_ONSTACK)
			block_samples(&sa.sa_mask);
	} else {
		/* Only the final flush runs: on the alternate stack if the
		 * thread has one, so that a stack overflow still gets flushed. */
		sa.sa_flags = SA_SIGINFO | SA_RESTART | SA_ONSTACK;
		block_samples(&sa.sa_mask);
	}
	if (real_sigaction(sig, &sa, NULL) == 0)
		ours[sig] = 1;
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
	/* A handler of the program's with SA_ONSTACK on the stack the runtime
	 * gave the thread (rt_alt_on), for a fault next to the interrupted
	 * stack pointer: a stack overflow, which alone, with no alternate
	 * stack, the kernel could not deliver and the process died of. It
	 * dies the same here, flushed, its handler not run. */
	if (u.sa_handler != SIG_DFL && (sig == SIGSEGV || sig == SIGBUS) && info->si_code > 0 && uctx &&
	    (u.sa_flags & SA_ONSTACK) && scorch_rt_on_own_alt()) {
		uintptr_t sp = 0, a = (uintptr_t)info->si_addr;
#if defined(__x86_64__)
		sp = (uintptr_t)((ucontext_t *)uctx)->uc_mcontext.gregs[REG_RSP];
#elif defined(__aarch64__)
		sp = (uintptr_t)((ucontext_t *)uctx)->uc_mcontext.sp;
#endif
		if (sp && a + 65536 >= sp && a < sp + 4096) {
			u.sa_handler = SIG_DFL;
			u.sa_flags = 0;
		}
	}
	if (u.sa_handler == SIG_DFL) {
		/* with the default action the interrupted code never runs again */
		G.dying = 1;
		scorch_rt_final(EXIT_SIGNAL, sig);
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
	/* The program's handler, first and alone: see "Signals whose default
	 * action ends the process" above. */
	if (u.sa_flags & SA_RESETHAND) {
		memset(&user[sig], 0, sizeof(user[sig]));
		user[sig].sa_handler = SIG_DFL;
		sigemptyset(&user[sig].sa_mask);
		install_one(sig);   /* the default's flags: on the alternate stack */
	}
	errno = saved;
	if (sig == SIGTRAP && uctx) {
		/* ours ran with every signal blocked: the program's handler
		 * runs with the mask it asked for (the return restores ours) */
		sigset_t m = ((ucontext_t *)uctx)->uc_sigmask;
		sigorset(&m, &m, &u.sa_mask);
		if (!(u.sa_flags & SA_NODEFER))
			sigaddset(&m, sig);
		pthread_sigmask(SIG_SETMASK, &m, NULL);
	}
	if (u.sa_flags & SA_SIGINFO)
		u.sa_sigaction(sig, info, uctx);
	else
		u.sa_handler(sig);
	/* abort() whose SIGABRT handler returns sets the default action
	 * inside libc, past sigaction() above, and raises SIGABRT again: the
	 * process dies without coming back here. (A SIGABRT sent by kill and
	 * handled costs a final flush, and the process lives on buffering.) */
	if (sig == SIGABRT) {
		saved = errno;
		G.dying = 0;
		scorch_rt_final(EXIT_SIGNAL, sig);
		G.sync_flush = 0;
		errno = saved;
	}
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
		/* again when ours already: the flags follow the program's */
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
