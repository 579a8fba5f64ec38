// html-markup: functions whose demangled names are full of HTML markup
// characters, for the HTML report's escaping test (tests/e2e/t026). Each one
// burns CPU and allocates a known number of bytes, so its name shows up in
// both the CPU and the heap flamegraph; the test also runs it from a
// directory named like an HTML tag and with markup in its arguments (which
// it ignores).
//
//   void run<&leak_three>()                 a function-pointer template
//     leak_three()                          3 x malloc(1000), never freed
//   Box<std::vector<int, std::allocator<int> > >::spin()
//                                           2 x operator new[](500), deleted
//   operator<(Cmp const&, Cmp const&)       7 x malloc(24), freed
//   operator&&(Cmp const&, Cmp const&)      1 x malloc(4096), freed
// Each burns about 40 ms of thread CPU time (the whole run ~0.2 s).
// Prints nothing, exits 0.
#include <cstdint>
#include <cstdlib>
#include <ctime>
#include <vector>

static volatile uint64_t sink;

// Spins for ms of this thread's CPU time.
__attribute__((noinline)) static void burn(long ms)
{
	timespec t0, t;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t0);
	do {
		for (int i = 0; i < 20000; i++)
			sink = sink * 6364136223846793005ull + (uint64_t)i;
		clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
	} while ((t.tv_sec - t0.tv_sec) * 1000 + (t.tv_nsec - t0.tv_nsec) / 1000000 < ms);
}

static void *keep[16];

__attribute__((noinline)) void leak_three()
{
	for (int i = 0; i < 3; i++)
		keep[i] = malloc(1000);
	burn(40);
}

template <void (*F)()>
__attribute__((noinline)) void run()
{
	F();
}

template <typename T>
struct Box {
	__attribute__((noinline)) static void spin()
	{
		char *a = new char[500], *b = new char[500];
		sink += (uintptr_t)a ^ (uintptr_t)b;
		burn(40);
		delete[] a;
		delete[] b;
	}
};

struct Cmp {
	int v;
};

__attribute__((noinline)) bool operator<(const Cmp &a, const Cmp &b)
{
	void *p[7];
	for (int i = 0; i < 7; i++)
		p[i] = malloc(24);
	burn(40);
	for (int i = 0; i < 7; i++)
		free(p[i]);
	return a.v < b.v;
}

__attribute__((noinline)) bool operator&&(const Cmp &a, const Cmp &b)
{
	void *p = malloc(4096);
	sink += (uintptr_t)p;
	burn(40);
	free(p);
	return a.v && b.v;
}

int main()
{
	run<&leak_three>();
	Box<std::vector<int>>::spin();
	Cmp x{1}, y{2};
	bool lt = x < y;
	bool both = x && y;
	return lt && both ? 0 : 1;
}
