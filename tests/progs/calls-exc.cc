// calls-exc: C++ exceptions through traced calls (-finstrument-functions,
// -lscorch). Each of 10 rounds calls level1 -> level2 -> level3, which
// throws; main catches. GCC runs the exit hooks while unwinding, so all 30
// calls end where the exception leaves them (none unwound). Prints
// "caught 10".
#include <cstdio>
#include <stdexcept>

static int level3(int x)
{
	if (x >= 0)
		throw std::runtime_error("level3");
	return x;
}

static int level2(int x) { return level3(x) + 1; }
static int level1(int x) { return level2(x) + 1; }

int main()
{
	int caught = 0;
	for (int i = 0; i < 10; i++) {
		try {
			level1(i);
		} catch (const std::exception &) {
			caught++;
		}
	}
	std::printf("caught %d\n", caught);
	return 0;
}
