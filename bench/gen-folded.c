/* gen-folded: writes a folded-stack file ("a;b;c N" lines) of N distinct
 * stacks for bench/flame-speed.sh, the same file every run (fixed seed).
 *
 * Stacks are random walks down a fixed random call graph of 20,000
 * functions with C++-like names (namespaces, templates, arguments), 8 to 48
 * frames deep, under 12 entry points, like a large server's profile: each
 * function calls 2 to 6 others, the first of them most often, so stacks
 * share prefixes; counts are skewed (most stacks rare, a few hot). Lines
 * come out in generation order, not sorted.
 *
 * usage: gen-folded [N] > file.folded     (default N = 200000) */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NFUNC 20000
#define NROOT 12
#define MAXDEPTH 48

static uint64_t rng = 0x9e3779b97f4a7c15ull;

/* xorshift64*: deterministic across machines */
static uint64_t next(void)
{
	rng ^= rng >> 12;
	rng ^= rng << 25;
	rng ^= rng >> 27;
	return rng * 2685821657736338717ull;
}

static uint32_t below(uint32_t n)
{
	return (uint32_t)(next() % n);
}

/* A callee index: the first callee half the time, the second a quarter of
 * the time..., as real code has hot and cold paths; so stacks share
 * prefixes the way a profile's do. */
static uint32_t pick(uint32_t n)
{
	uint64_t r = next();
	uint32_t k = 0;
	while (k + 1 < n && (r & 1)) {
		r >>= 1;
		k++;
	}
	return k;
}

static char *names[NFUNC];
static uint32_t *callees[NFUNC];
static uint32_t ncallees[NFUNC];

static const char *const ns[] = { "net", "db", "http", "json", "util", "core", "io", "rpc" };
static const char *const cls[] = { "Server", "Session", "Parser", "Buffer", "Table", "Index",
				   "Request", "Response", "Cache", "Pool", "Queue", "Codec" };
static const char *const verbs[] = { "handle", "parse", "read", "write", "lookup", "insert",
				     "encode", "decode", "flush", "run", "dispatch", "visit" };
static const char *const args[] = { "int", "std::string const&", "char const*, unsigned long",
				    "std::vector<int, std::allocator<int> >&", "void*", "" };

static void make_graph(void)
{
	char buf[256];
	for (uint32_t i = 0; i < NFUNC; i++) {
		if (i % 7 == 0)
			snprintf(buf, sizeof(buf), "%s_%u", verbs[below(12)], i);
		else
			snprintf(buf, sizeof(buf), "%s::%s%u<%s>::%s(%s)", ns[below(8)], cls[below(12)],
				 i % 97, i % 3 ? "long" : "char", verbs[below(12)], args[below(6)]);
		names[i] = strdup(buf);
		ncallees[i] = 2 + below(5);
		callees[i] = malloc(ncallees[i] * sizeof(**callees));
		for (uint32_t k = 0; k < ncallees[i]; k++)
			callees[i][k] = below(NFUNC);
	}
}

/* A set of 64-bit stack hashes, to keep every stack distinct. */
static uint64_t *seen;
static size_t seen_cap;

static int seen_add(uint64_t h)
{
	if (!h)
		h = 1;
	size_t i = h & (seen_cap - 1);
	while (seen[i]) {
		if (seen[i] == h)
			return 0;
		i = (i + 1) & (seen_cap - 1);
	}
	seen[i] = h;
	return 1;
}

int main(int argc, char **argv)
{
	long n = argc > 1 ? strtol(argv[1], NULL, 10) : 200000;
	if (n <= 0 || n > 50000000) {
		fprintf(stderr, "usage: gen-folded [N] (1 to 50000000 stacks)\n");
		return 2;
	}
	make_graph();
	for (seen_cap = 1024; seen_cap < (size_t)n * 2; seen_cap *= 2)
		;
	seen = calloc(seen_cap, sizeof(*seen));
	uint32_t path[MAXDEPTH];
	for (long made = 0; made < n;) {
		uint32_t depth = 8 + below(MAXDEPTH - 7), f = below(NROOT);
		uint64_t h = 1469598103934665603ull;
		for (uint32_t d = 0; d < depth; d++) {
			path[d] = f;
			h = (h ^ f) * 1099511628211ull;
			f = callees[f][pick(ncallees[f])];
		}
		h ^= depth;
		if (!seen_add(h))
			continue;
		for (uint32_t d = 0; d < depth; d++) {
			fputs(names[path[d]], stdout);
			putchar(d + 1 < depth ? ';' : ' ');
		}
		/* skewed counts: most stacks seen once or a few times */
		uint64_t r = next();
		unsigned w = r % 100 < 70 ? 1 + (unsigned)(r >> 32) % 3 : r % 100 < 97 ? 4 + (unsigned)(r >> 32) % 40
											 : 50 + (unsigned)(r >> 32) % 2000;
		printf("%u\n", w);
		made++;
	}
	return 0;
}
