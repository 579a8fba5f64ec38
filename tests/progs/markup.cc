// markup: a target whose symbol names carry markup characters, for the
// escaping tests of the SVG views (tests/e2e/t024-flame-markup.sh). Its
// demangled names have '<', '>' and '&':
//   void spin<Box<int>&>(Box<int>&, long)               2/3 of the CPU time
//   operator<(Box<int> const&, Box<int> const&)        1/3, through spin<int&>
//   Box<char>* make<char>(int)                          10 x new Box<char>[100]
// The test runs a copy from a directory named like an HTML tag, with an
// argument that is one, so paths and argv carry markup too.
//
// usage: markup [MS] [anything...]   MS = CPU time to burn (default 300);
// arguments that are not all digits are ignored. Prints "markup: done".
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>

template <typename T> struct Box {
	T v;
};

static volatile unsigned long sink;

static long cpu_ns()
{
	timespec ts;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return ts.tv_sec * 1000000000L + ts.tv_nsec;
}

// Burns thread CPU time until `until` (a point on the thread CPU clock).
template <typename T> __attribute__((noinline)) void spin(T &&b, long until)
{
	unsigned long x = sink ^ sizeof(b);
	while (cpu_ns() < until) {
		for (int i = 0; i < 100000; i++)
			x = x * 6364136223846793005UL + 1442695040888963407UL;
		sink = x;
	}
}

static long until_ns;

__attribute__((noinline)) bool operator<(const Box<int> &a, const Box<int> &b)
{
	int v = a.v;
	spin(v, until_ns);
	return a.v < b.v;
}

template <typename T> __attribute__((noinline)) Box<T> *make(int n)
{
	return new Box<T>[n];
}

int main(int argc, char **argv)
{
	long ms = 300;
	for (int i = 1; i < argc; i++)
		if (*argv[i] && strspn(argv[i], "0123456789") == strlen(argv[i]))
			ms = strtol(argv[i], nullptr, 10);
	Box<int> a{ 1 }, b{ 2 };
	long t0 = cpu_ns();
	spin(a, t0 + ms * 2000000L / 3);
	until_ns = t0 + ms * 1000000L;
	bool lt = a < b;
	Box<char> *keep[10];
	for (int i = 0; i < 10; i++)
		keep[i] = make<char>(100);
	for (int i = 0; i < 10; i++)
		delete[] keep[i];
	printf("markup: done%s\n", lt ? "" : " (?)");
	return 0;
}
