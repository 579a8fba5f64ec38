/* nolibc: a dynamically linked program that needs no shared library at all
 * (no libc: system calls only; built with -nostdlib, see the Makefile), so
 * its dynamic loader has nothing to open but what LD_PRELOAD names. Run
 * with RLIMIT_NOFILE at 3 (ulimit -n 3) the loader cannot open the
 * preloaded runtime ("cannot be preloaded ... ignored" on stderr), yet the
 * program runs: the case of an exec'd image that a profiler must report as
 * not profiled. Writes "nolibc ok\n" to stdout and exits 5. */
static long sys3(long n, long a, long b, long c)
{
	long r;
#if defined(__x86_64__)
	__asm__ volatile("syscall" : "=a"(r) : "a"(n), "D"(a), "S"(b), "d"(c) : "rcx", "r11", "memory");
#elif defined(__aarch64__)
	register long x8 __asm__("x8") = n, x0 __asm__("x0") = a, x1 __asm__("x1") = b, x2 __asm__("x2") = c;
	__asm__ volatile("svc #0" : "+r"(x0) : "r"(x8), "r"(x1), "r"(x2) : "memory");
	r = x0;
#else
#error "nolibc: add this architecture's system call"
#endif
	return r;
}

#if defined(__x86_64__)
#define SYS_WRITE 1
#define SYS_EXIT 60
#else
#define SYS_WRITE 64
#define SYS_EXIT 93
#endif

void _start(void)
{
	static const char msg[] = "nolibc ok\n";
	sys3(SYS_WRITE, 1, (long)msg, sizeof(msg) - 1);
	sys3(SYS_EXIT, 5, 0, 0);
	for (;;)
		;
}
