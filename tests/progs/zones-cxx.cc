// zones-cxx: C++ zones (destructors end them) and exceptions (linked with
// -lscorch). Each of 10 rounds opens "round" and calls risky(2): "risky" is
// opened 3 times, recursively, and the innermost throws; the exception is
// caught in the round, so all 30 spans end by their destructors (none
// unwound). Worker::run (SCORCH_FUNC) runs 4 times, each with one
// "inner" zone making 3 `new int[4]`: "run" 4 calls, 12 allocations of 16
// bytes. Prints "caught 10".
#include <cstdio>
#include <stdexcept>

#include "scorch.h"

static void risky(int n)
{
	SCORCH_ZONE("risky");
	if (n == 0)
		throw std::runtime_error("deep");
	risky(n - 1);
}

struct Worker {
	int *keep[3];
	void run()
	{
		SCORCH_FUNC();
		SCORCH_ZONE("inner");
		for (int i = 0; i < 3; i++)
			keep[i] = new int[4];
		for (int i = 0; i < 3; i++)
			delete[] keep[i];
	}
};

int main()
{
	int caught = 0;
	for (int i = 0; i < 10; i++) {
		SCORCH_ZONE("round");
		try {
			risky(2);
		} catch (const std::exception &) {
			caught++;
		}
	}
	Worker w;
	for (int i = 0; i < 4; i++)
		w.run();
	std::printf("caught %d\n", caught);
	return 0;
}
