// cxx-new: C++ allocation through operator new/delete, new[]/delete[] (with
// and without an array cookie) and std::vector growth, each in a named
// noinline function so a profiler can attribute them.
//
// Expected heap behaviour (g++ 12, libstdc++ 12, -std=c++17, x86-64):
//   site_new_scalar  10 x operator new(40)     (Node), deleted in free_scalars
//                    via sized operator delete(void*, 40)
//   site_new_array   3 x operator new[](100)   (int[25]: trivial dtor, no
//                    cookie), deleted in free_arrays via operator delete[]
//   site_new_cookie  1 x operator new[](72)    (Tracked[4]: 4 x 16 B plus an
//                    8 B element-count cookie), delete[] in free_cookie
//   site_vector      11 x operator new: vector<int> growth with push_back of
//                    1000 ints and no reserve: capacities 1,2,4,...,1024 ->
//                    4,8,16,...,4096 B; 10 freed while growing, 1 when the
//                    vector dies (11 operator delete)
//   site_leak_new    1 x operator new(32)      never deleted (the only leak)
//   own totals: operator new 22, operator new[] 4, delete 21, delete[] 4;
//   every operator new forwards to malloc, every delete to free, so a
//   malloc-level view sees 26 malloc / 25 free from these sites, 8992 B
//   (8188 B of it in site_vector), leak 1 block of 32 B.
// libstdc++ itself mallocs its exception emergency pool (72704 B) when it is
// loaded, before main; only __gnu_cxx::__freeres() frees it.
// Prints nothing, exits 0.
#include <cstdlib>
#include <new>
#include <vector>

struct Node {
	long a, b, c, d, e; // 40 B
};

struct Tracked {
	long v[2]; // 16 B, non-trivial destructor forces the array cookie
	~Tracked() { v[0] = 0; }
};

struct Leaked {
	char bytes[32];
};

static Node *scalars[10];
static int *arrays[3];
static Leaked *leaked;

__attribute__((noinline)) static void site_new_scalar()
{
	for (int i = 0; i < 10; i++)
		scalars[i] = new Node();
}

__attribute__((noinline)) static void free_scalars()
{
	for (int i = 0; i < 10; i++)
		delete scalars[i];
}

__attribute__((noinline)) static void site_new_array()
{
	for (int i = 0; i < 3; i++)
		arrays[i] = new int[25]();
}

__attribute__((noinline)) static void free_arrays()
{
	for (int i = 0; i < 3; i++)
		delete[] arrays[i];
}

__attribute__((noinline)) static Tracked *site_new_cookie()
{
	return new Tracked[4]();
}

__attribute__((noinline)) static void free_cookie(Tracked *t)
{
	delete[] t;
}

__attribute__((noinline)) static long site_vector()
{
	std::vector<int> v;
	long sum = 0;

	for (int i = 0; i < 1000; i++)
		v.push_back(i);
	for (int x : v)
		sum += x;
	if (v.capacity() != 1024)
		std::abort();
	return sum;
}

__attribute__((noinline)) static void site_leak_new()
{
	leaked = new Leaked();
}

int main()
{
	site_new_scalar();
	free_scalars();
	site_new_array();
	free_arrays();
	free_cookie(site_new_cookie());
	if (site_vector() != 499500)
		std::abort();
	site_leak_new();
	return 0;
}
