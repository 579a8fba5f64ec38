/* A library whose static functions lose their names when stripped (t027,
 * t044 build it -O2 and strip it). */
static volatile unsigned long sink;
__attribute__((noinline)) static unsigned long mix_a(unsigned long x)
{
	for (int i = 0; i < 2000; i++)
		x = x * 6364136223846793005ul + 1442695040888963407ul;
	return x;
}
__attribute__((noinline)) static unsigned long mix_b(unsigned long x)
{
	for (int i = 0; i < 1000; i++)
		x ^= x >> 7, x *= 0x9e3779b97f4a7c15ul;
	return x;
}
unsigned long stripped_work(unsigned long x)
{
	x = mix_b(mix_a(x));
	sink = x;
	return x;
}
