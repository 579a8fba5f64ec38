// cxx-deep: a deep C++ profile for the view tests (tests/e2e/t054-views.sh):
// about 45 frames of template recursion with names as long as real C++
// code has, a hot leaf, an inlined helper and heap allocations at depth.
//
//   Level<N>::descend(Context<std::map<std::string, std::vector<int>>>&, long)
//       recurses N = 24 .. 0 (25 frames), then
//   walk<Context<...>>(Context<...>&, int, long) recurses 16 more frames to
//   Hot<std::map<std::string, std::vector<int>>>::burn(long), the hottest
//       function: about 3/4 of the CPU time, with mix() inlined into it
//       (always_inline, so the debug info has an inlined frame);
//   the other 1/4 sorts std::vector<std::string> (std::__introsort_loop and
//       friends, libstdc++'s template names) at the same depth.
//   Each leaf visit allocates 100 std::strings of 64 chars (heap profile).
//
// usage: cxx-deep [MS] [tree]    MS = CPU time to burn (default 400).
// With "tree", the process forks a child that burns MS/2 and then execs
// this program again with MS/2 (a process tree: parent, child, exec'd
// image); the parent burns MS and waits. Prints "cxx-deep: done" (once per
// process that finishes the work) and exits 0.
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <map>
#include <string>
#include <sys/wait.h>
#include <unistd.h>
#include <vector>

static volatile unsigned long sink;

static long cpu_ns()
{
	timespec ts;
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return ts.tv_sec * 1000000000L + ts.tv_nsec;
}

template <typename M> struct Context {
	M table;
	std::vector<std::string> words;
	long until;
	unsigned long x;
};

static inline __attribute__((always_inline)) unsigned long mix(unsigned long x)
{
	for (int i = 0; i < 2000; i++)
		x = x * 6364136223846793005UL + 1442695040888963407UL;
	return x;
}

template <typename M> struct Hot {
	__attribute__((noinline)) static unsigned long burn(Context<M> &c, long slice)
	{
		long end = cpu_ns() + slice;
		unsigned long x = c.x;
		while (cpu_ns() < end)
			x = mix(x);
		c.x = x;
		return x;
	}
};

template <typename C> __attribute__((noinline)) void sort_words(C &c, long slice)
{
	long end = cpu_ns() + slice;
	while (cpu_ns() < end) {
		std::vector<std::string> w = c.words;
		std::sort(w.begin(), w.end());
		std::sort(w.begin(), w.end(), [](const std::string &a, const std::string &b) { return a > b; });
		sink += w.size();
	}
}

template <typename C> __attribute__((noinline)) void walk(C &c, int depth, long slice)
{
	if (depth > 0) {
		walk(c, depth - 1, slice);
		return;
	}
	std::vector<std::string> keep;
	for (int i = 0; i < 100; i++)
		keep.push_back(std::string(64, (char)('a' + i % 26)));
	c.table[keep[0]].push_back((int)keep.size());
	Hot<decltype(c.table)>::burn(c, 3 * slice);
	sort_words(c, slice);
	sink += keep.size();
}

template <int N> struct Level {
	template <typename C> __attribute__((noinline)) static void descend(C &c, long slice)
	{
		Level<N - 1>::descend(c, slice);
	}
};

template <> struct Level<0> {
	template <typename C> __attribute__((noinline)) static void descend(C &c, long slice)
	{
		walk(c, 16, slice);
	}
};

static void work(long ms)
{
	Context<std::map<std::string, std::vector<int>>> c;
	c.x = 1;
	for (int i = 0; i < 400; i++)
		c.words.push_back(std::to_string((i * 7919) % 1000) + "-word");
	c.until = cpu_ns() + ms * 1000000L;
	while (cpu_ns() < c.until)
		Level<24>::descend(c, 2000000L);   /* 2 ms sort, 6 ms burn a visit */
	printf("cxx-deep: done\n");
	fflush(stdout);
}

int main(int argc, char **argv)
{
	long ms = argc > 1 ? atol(argv[1]) : 400;
	if (ms <= 0)
		ms = 400;
	if (argc > 2 && !strcmp(argv[2], "tree")) {
		pid_t pid = fork();
		if (pid < 0)
			return 1;
		if (pid == 0) {
			work(ms / 2);
			char arg[32];
			snprintf(arg, sizeof(arg), "%ld", ms / 2);
			execl("/proc/self/exe", argv[0], arg, (char *)NULL);
			perror("cxx-deep: exec");
			_exit(127);
		}
		work(ms);
		int st = 0;
		if (waitpid(pid, &st, 0) != pid || !WIFEXITED(st) || WEXITSTATUS(st))
			return 1;
		return 0;
	}
	work(ms);
	return 0;
}
