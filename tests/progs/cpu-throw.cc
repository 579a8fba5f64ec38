/* cpu-throw [N]: throws and catches N C++ exceptions (default 200000), each
 * from three calls deep, so libgcc's unwinder (_Unwind_RaiseException, the
 * personality routine, _Unwind_Find_FDE) runs most of the time. Under
 * `scorch record -F 9999` samples land inside the program's own unwinding
 * over and over; the sampler's unwinding must neither wait for the program's
 * nor disturb it.
 *
 * Prints `cpu-throw: N thrown, N caught, sum S` (S = the sum of the thrown
 * values, the same every run) and exits 0.
 */
#include <cstdio>
#include <cstdlib>
#include <stdexcept>

struct oops : std::runtime_error {
	long v;
	explicit oops(long x) : std::runtime_error("oops"), v(x) {}
};

__attribute__((noinline)) static void thrower(long i)
{
	throw oops(i % 1000);
}

__attribute__((noinline)) static void middle(long i)
{
	thrower(i);
}

__attribute__((noinline)) static long outer(long i)
{
	try {
		middle(i);
	} catch (const oops &e) {
		return e.v;
	}
	return -1;
}

int main(int argc, char **argv)
{
	long n = argc > 1 ? atol(argv[1]) : 200000;
	long caught = 0, sum = 0;
	for (long i = 0; i < n; i++) {
		long v = outer(i);
		if (v >= 0) {
			caught++;
			sum += v;
		}
	}
	printf("cpu-throw: %ld thrown, %ld caught, sum %ld\n", n, caught, sum);
	return caught == n ? 0 : 1;
}
