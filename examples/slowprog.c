/* slowprog: the demo's deliberately slow program. Three bottlenecks, each in
 * a named function with a fixed twin chosen by --fixed: an O(n^2) duplicate
 * search, an allocation storm in a hot loop, and a cache-hostile strided walk
 * of a large matrix. Both variants print the same results line on stdout, so
 * the fix is visibly correct; per-phase wall times go to stderr.
 */
#define _GNU_SOURCE
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Every phase function keeps its own frame and its exact name in a profile:
 * no inlining, and no gcc clones (".constprop.0", ".isra.0"). */
#if defined(__clang__)
#define PHASE __attribute__((noinline))
#else
#define PHASE __attribute__((noinline, noclone))
#endif

/* Problem sizes at --scale 100. The matrix (4096 x 8192 int32, 128 MiB)
 * keeps its 8192 columns at every scale, so the column walk's stride stays
 * 32 KiB: every access lands on a new page and a new cache line. */
#define DUP_N 120000
#define DUP_RANGE_FACTOR 4
#define RECORDS 400000
#define SCRATCH_SIZE 4096
#define MATRIX_COLS 8192
#define MATRIX_ROWS 4096

struct record {
	uint32_t id;
	uint32_t qty;
	int32_t cents;
	char tag[12];
};

/* splitmix64: a fixed seed gives the same input on every run and machine. */
static uint64_t rng_state;

static uint64_t rng_next(void)
{
	uint64_t z = (rng_state += 0x9E3779B97F4A7C15ull);
	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
	return z ^ (z >> 31);
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void *xmalloc(size_t n)
{
	void *p = malloc(n);

	if (!p) {
		fprintf(stderr, "slowprog: out of memory (%zu bytes)\n", n);
		exit(1);
	}
	return p;
}

/* ---- (a) duplicate search -------------------------------------------- */

PHASE static uint32_t *make_values(size_t n)
{
	uint32_t *v = xmalloc(n * sizeof(*v));
	uint64_t range = (uint64_t)n * DUP_RANGE_FACTOR;

	for (size_t i = 0; i < n; i++)
		v[i] = (uint32_t)(rng_next() % range);
	return v;
}

/* Counts elements equal to some earlier element by scanning everything
 * before each one: n^2/2 comparisons for mostly-distinct input. */
PHASE static size_t find_duplicates_quadratic(const uint32_t *v, size_t n)
{
	size_t dups = 0;

	for (size_t i = 1; i < n; i++) {
		for (size_t j = 0; j < i; j++) {
			if (v[j] == v[i]) {
				dups++;
				break;
			}
		}
	}
	return dups;
}

/* Same count with an open-addressing hash set (linear probing, power-of-two
 * table at most half full), one pass. */
PHASE static size_t find_duplicates_hashset(const uint32_t *v, size_t n)
{
	size_t cap = 16;
	while (cap < 2 * n)
		cap *= 2;
	/* Slots hold value + 1 so that 0 can mean empty. */
	uint64_t *slot = calloc(cap, sizeof(*slot));
	size_t dups = 0;

	if (!slot) {
		fputs("slowprog: out of memory\n", stderr);
		exit(1);
	}
	for (size_t i = 0; i < n; i++) {
		uint64_t key = (uint64_t)v[i] + 1;
		size_t h = (size_t)((key * 0x9E3779B97F4A7C15ull) >> 32) & (cap - 1);
		while (slot[h] != 0 && slot[h] != key)
			h = (h + 1) & (cap - 1);
		if (slot[h] == key)
			dups++;
		else
			slot[h] = key;
	}
	free(slot);
	return dups;
}

/* ---- (b) formatting records into lines --------------------------------- */

PHASE static struct record *make_records(size_t n)
{
	static const char *tags[] = { "alpha", "bravo", "charlie", "delta", "echo",
				      "foxtrot", "golf", "hotel" };
	struct record *r = xmalloc(n * sizeof(*r));

	for (size_t i = 0; i < n; i++) {
		uint64_t x = rng_next();
		r[i].id = (uint32_t)i;
		r[i].qty = (uint32_t)(x % 1000);
		r[i].cents = (int32_t)((x >> 16) % 2000000) - 1000000;
		snprintf(r[i].tag, sizeof(r[i].tag), "%s", tags[(x >> 40) % 8]);
	}
	return r;
}

/* Writes v in decimal, zero-padded to at least width digits; returns the
 * end. Hand-rolled rather than snprintf so that formatting stays cheap and
 * the allocation pattern is what separates the two variants. */
static char *put_u32(char *p, uint32_t v, int width)
{
	char tmp[10];
	int n = 0;

	do {
		tmp[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	while (n < width)
		tmp[n++] = '0';
	while (n)
		*p++ = tmp[--n];
	return p;
}

/* Formats one record as "id,tag,qty,price\n" into buf (at least 64 bytes),
 * NUL-terminated; returns the length. Shared by both variants so they
 * differ only in where the bytes live. */
static size_t format_record(char *buf, const struct record *r)
{
	uint32_t abs_cents = r->cents < 0 ? (uint32_t)-(int64_t)r->cents : (uint32_t)r->cents;
	size_t taglen = strnlen(r->tag, sizeof(r->tag));
	char *p = put_u32(buf, r->id, 8);

	*p++ = ',';
	memcpy(p, r->tag, taglen);
	p += taglen;
	*p++ = ',';
	p = put_u32(p, r->qty, 1);
	*p++ = ',';
	if (r->cents < 0)
		*p++ = '-';
	p = put_u32(p, abs_cents / 100, 1);
	*p++ = '.';
	p = put_u32(p, abs_cents % 100, 2);
	*p++ = '\n';
	*p = '\0';
	return (size_t)(p - buf);
}

/* A word-at-a-time multiplicative hash over the produced text: what "using
 * the line" means here. */
static uint64_t hash_text(uint64_t h, const char *s, size_t len)
{
	while (len >= 8) {
		uint64_t w;
		memcpy(&w, s, 8);
		h = (h ^ w) * 0x9E3779B97F4A7C15ull;
		h ^= h >> 29;
		s += 8;
		len -= 8;
	}
	while (len--)
		h = (h ^ (unsigned char)*s++) * 0x100000001B3ull;
	return h;
}

struct lines_result {
	uint64_t checksum;
	uint64_t bytes;
};

/* The storm: for every record a fresh zeroed scratch buffer "big enough for
 * any line", plus an exact-size heap copy of the line, both freed at once:
 * two allocations and two frees per record. */
PHASE static struct lines_result build_lines_alloc_storm(const struct record *r, size_t n)
{
	struct lines_result res = { 0xCBF29CE484222325ull, 0 };

	for (size_t i = 0; i < n; i++) {
		char *scratch = calloc(1, SCRATCH_SIZE);
		if (!scratch)
			exit(1);
		size_t len = format_record(scratch, &r[i]);
		char *line = malloc(len + 1);
		if (!line)
			exit(1);
		memcpy(line, scratch, len + 1);
		res.checksum = hash_text(res.checksum, line, len);
		res.bytes += len;
		free(line);
		free(scratch);
	}
	return res;
}

/* The fix: one buffer allocated once and reused for every record. */
PHASE static struct lines_result build_lines_reused_buffer(const struct record *r, size_t n)
{
	struct lines_result res = { 0xCBF29CE484222325ull, 0 };
	char *buf = xmalloc(SCRATCH_SIZE);

	for (size_t i = 0; i < n; i++) {
		size_t len = format_record(buf, &r[i]);
		res.checksum = hash_text(res.checksum, buf, len);
		res.bytes += len;
	}
	free(buf);
	return res;
}

/* ---- (c) summing a row-major matrix ------------------------------------ */

PHASE static int32_t *make_matrix(size_t rows, size_t cols)
{
	int32_t *m = xmalloc(rows * cols * sizeof(*m));

	for (size_t i = 0; i < rows * cols; i++)
		m[i] = (int32_t)(rng_next() % 2001) - 1000;
	return m;
}

/* Column by column: consecutive reads are a whole row (32 KiB) apart, so
 * every access misses the cache and, mostly, the TLB. */
PHASE static int64_t sum_strided(const int32_t *m, size_t rows, size_t cols)
{
	int64_t sum = 0;

	for (size_t c = 0; c < cols; c++)
		for (size_t r = 0; r < rows; r++)
			sum += m[r * cols + c];
	return sum;
}

/* Row by row: the order the memory is laid out in. */
PHASE static int64_t sum_sequential(const int32_t *m, size_t rows, size_t cols)
{
	int64_t sum = 0;

	for (size_t r = 0; r < rows; r++)
		for (size_t c = 0; c < cols; c++)
			sum += m[r * cols + c];
	return sum;
}

/* ---- driver ------------------------------------------------------------- */

static void usage(FILE *out)
{
	fputs("usage: slowprog [--fixed] [--scale N] [--help]\n"
	      "  Runs three deliberately slow phases (duplicate search, record\n"
	      "  formatting, matrix sum) and prints one results line.\n"
	      "  --fixed    use the fixed version of every phase\n"
	      "  --scale N  problem sizes in percent of the default (1-1000, default 100)\n"
	      "  --help     show this text\n"
	      "Per-phase wall times are printed on stderr.\n",
	      out);
}

static size_t scaled(size_t base, long scale)
{
	size_t n = (size_t)((double)base * (double)scale / 100.0);
	return n ? n : 1;
}

int main(int argc, char **argv)
{
	int fixed = 0;
	long scale = 100;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--fixed") == 0) {
			fixed = 1;
		} else if (strcmp(argv[i], "--scale") == 0 && i + 1 < argc) {
			char *end;
			scale = strtol(argv[++i], &end, 10);
			if (*end || scale < 1 || scale > 1000) {
				fprintf(stderr, "slowprog: --scale wants a percentage from 1 to 1000, not '%s'\n", argv[i]);
				return 2;
			}
		} else if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
			usage(stdout);
			return 0;
		} else {
			fprintf(stderr, "slowprog: unknown argument '%s'\n", argv[i]);
			usage(stderr);
			return 2;
		}
	}

	size_t dup_n = scaled(DUP_N, scale);
	size_t nrec = scaled(RECORDS, scale);
	size_t rows = scaled(MATRIX_ROWS, scale);
	const char *variant = fixed ? "fixed" : "slow";
	double t0, t_all = now();

	rng_state = 0x5C0C4ULL;
	uint32_t *values = make_values(dup_n);
	struct record *recs = make_records(nrec);
	int32_t *matrix = make_matrix(rows, MATRIX_COLS);

	t0 = now();
	size_t dups = fixed ? find_duplicates_hashset(values, dup_n)
			    : find_duplicates_quadratic(values, dup_n);
	fprintf(stderr, "slowprog: %-5s %-26s %7.3f s\n", variant,
		fixed ? "find_duplicates_hashset" : "find_duplicates_quadratic", now() - t0);

	t0 = now();
	struct lines_result lines = fixed ? build_lines_reused_buffer(recs, nrec)
					  : build_lines_alloc_storm(recs, nrec);
	fprintf(stderr, "slowprog: %-5s %-26s %7.3f s\n", variant,
		fixed ? "build_lines_reused_buffer" : "build_lines_alloc_storm", now() - t0);

	t0 = now();
	int64_t total = fixed ? sum_sequential(matrix, rows, MATRIX_COLS)
			      : sum_strided(matrix, rows, MATRIX_COLS);
	fprintf(stderr, "slowprog: %-5s %-26s %7.3f s\n", variant,
		fixed ? "sum_sequential" : "sum_strided", now() - t0);

	printf("duplicates=%zu lines=%zu bytes=%" PRIu64 " checksum=%016" PRIx64 " matrix_sum=%" PRId64 "\n",
	       dups, nrec, lines.bytes, lines.checksum, total);
	fprintf(stderr, "slowprog: %-5s %-26s %7.3f s\n", variant, "total (with setup)", now() - t_all);

	free(matrix);
	free(recs);
	free(values);
	return 0;
}
