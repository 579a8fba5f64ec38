/* cpu-lazy: calls each of libcpulazy.so's 9000 functions once, in order,
 * through the program's PLT, linked lazily (-z lazy): every call is a first
 * call, so the dynamic loader's lazy binder (_dl_runtime_resolve, _dl_fixup,
 * the symbol lookup) runs 9000 times. Under `scorch record -F 9999` samples
 * land inside the binder, which the sampler's unwinding must step through
 * without waiting for the loader.
 *
 * Each call gets the low bits of the running sum, so the result depends on
 * every call: prints `cpu-lazy: 9000 calls, sum 82299` (the same every run;
 * lazy_N(x) = x + N % 7) and exits 0.
 */
#include <stdio.h>

#include "cpu-lazy.h"

#define LAZY_DECL(n) int lazy_##n(int x);
LAZY_ALL(LAZY_DECL)

int main(void)
{
	long sum = 0, calls = 0;
	int x = 1;
#define LAZY_CALL(n) sum += lazy_##n(x); x = (int)(sum & 15); calls++;
	LAZY_ALL(LAZY_CALL)
	printf("cpu-lazy: %ld calls, sum %ld\n", calls, sum);
	return 0;
}
