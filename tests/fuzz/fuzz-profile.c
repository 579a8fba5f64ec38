/* libFuzzer harness: the profile reader, then every view and export of a
 * profile it accepts. An input that starts with the magic "SCORCHPF" is a
 * whole .scorch file; any other is a body (docs/format.md, sections): its
 * first byte gives the header flags and the rest is compressed with a
 * valid checksum around it, so that mutations reach the sections instead
 * of stopping at zstd's checksum; a custom mutator keeps the sections'
 * lengths right. Oracle: what the reader accepts, the writer writes and the
 * reader reads back. */
#include <zstd.h>

#include "fuzz-common.h"

static char in_path[128], back_path[128];
static ZSTD_CCtx *zc;

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
size_t LLVMFuzzerMutate(uint8_t *data, size_t size, size_t max_size);
size_t LLVMFuzzerCustomMutator(uint8_t *data, size_t size, size_t max_size, unsigned int seed);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc, (void)argv;
	fuzz_setup();
	fuzz_path(in_path, sizeof(in_path), "in.scorch");
	fuzz_path(back_path, sizeof(back_path), "back.scorch");
	zc = ZSTD_createCCtx();
	ZSTD_CCtx_setParameter(zc, ZSTD_c_compressionLevel, 1);
	ZSTD_CCtx_setParameter(zc, ZSTD_c_checksumFlag, 1);
	return 0;
}

/* The input as a profile file at in_path. */
static void make_file(const uint8_t *data, size_t size)
{
	if (size >= 8 && !memcmp(data, PROFILE_MAGIC, 8)) {
		fuzz_write_file(in_path, data, size);
		return;
	}
	const uint8_t *body = size ? data + 1 : data;
	size_t blen = size ? size - 1 : 0, cap = 32 + ZSTD_compressBound(blen);
	uint8_t *f = malloc(cap);
	size_t c = ZSTD_compress2(zc, f + 32, cap - 32, body, blen);
	if (ZSTD_isError(c))
		abort();
	memcpy(f, PROFILE_MAGIC, 8);
	uint32_t flags = size ? data[0] & 63 : 0, version = PROFILE_VERSION;
	for (int k = 0; k < 4; k++) {
		f[8 + k] = (uint8_t)(version >> (8 * k));
		f[12 + k] = (uint8_t)(flags >> (8 * k));
	}
	for (int k = 0; k < 8; k++) {
		f[16 + k] = (uint8_t)((uint64_t)blen >> (8 * k));
		f[24 + k] = (uint8_t)((uint64_t)c >> (8 * k));
	}
	fuzz_write_file(in_path, f, 32 + c);
	free(f);
}

static size_t put_uv(uint8_t *p, uint64_t v)
{
	size_t n = 0;
	for (; v >= 0x80; v >>= 7)
		p[n++] = (uint8_t)(v | 0x80);
	p[n++] = (uint8_t)v;
	return n;
}

/* The length of the section whose tag is at data[i - 1]: 0 and *end set
 * (its payload from *pay), or -1 when it does not fit in size. */
static int section_at(const uint8_t *data, size_t size, size_t i, size_t *pay, size_t *end)
{
	uint64_t len = 0;
	for (unsigned sh = 0;; sh += 7) {
		if (i >= size || sh >= 64)
			return -1;
		len |= (uint64_t)(data[i] & 0x7f) << sh;
		if (!(data[i++] & 0x80))
			break;
	}
	if (len > size - i)
		return -1;
	*pay = i;
	*end = i + (size_t)len;
	return 0;
}

/* Most mutations go into one section's payload, and the section's length is
 * set to fit afterwards: a mutated count or index then reaches the views
 * instead of only making the next section's header wrong. The rest are
 * libFuzzer's own, on the whole input. */
size_t LLVMFuzzerCustomMutator(uint8_t *data, size_t size, size_t max_size, unsigned int seed)
{
	if (size < 2 || (size >= 8 && !memcmp(data, PROFILE_MAGIC, 8)) || seed % 4 == 0)
		return LLVMFuzzerMutate(data, size, max_size);
	/* the sections of the body after the flags byte */
	size_t at[256], n = 0, pay, end;
	for (size_t i = 1; i < size && n < 256 && !section_at(data, size, i + 1, &pay, &end); i = end)
		at[n++] = i;
	if (!n)
		return LLVMFuzzerMutate(data, size, max_size);
	size_t start = at[seed / 4 % n];
	section_at(data, size, start + 1, &pay, &end);
	size_t len = end - pay, tail = size - end;
	size_t room = max_size > size ? max_size - size + len : len;
	uint8_t *buf = malloc(room + 1);
	memcpy(buf, data + pay, len);
	size_t nl = LLVMFuzzerMutate(buf, len, room);
	uint8_t h[10];
	size_t hl = put_uv(h, nl);
	if (start + 1 + hl + nl + tail > max_size) {
		free(buf);
		return size;
	}
	memmove(data + start + 1 + hl + nl, data + end, tail);
	memcpy(data + start + 1, h, hl);
	memcpy(data + start + 1 + hl, buf, nl);
	free(buf);
	return start + 1 + hl + nl + tail;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	make_file(data, size);
	char err[512];
	struct sc_profile *p = NULL;
	if (profile_read(in_path, &p, err, sizeof(err)))
		return 0;
	/* read lazily, the same profile: its walk gives the same events */
	struct sc_profile *lz = NULL;
	if (profile_read_lazy(in_path, &lz, err, sizeof(err)) || lz->nevents != p->nevents)
		abort();
	if (lz->lazy) {
		struct profile_event_src *src = profile_events_open(lz, err, sizeof(err));
		const struct sc_event *ev;
		size_t n, at = 0;
		while (src && (n = profile_events_next(src, &ev)) > 0) {
			if (at + n > p->nevents || memcmp(ev, p->events + at, n * sizeof(*ev)))
				abort();
			at += n;
		}
		if (!src || profile_events_close(src, err, sizeof(err)) || at != p->nevents)
			abort();
	}
	profile_free(lz);
	fuzz_reread(p, back_path, "profile");
	profile_free(p);

	const char *f = in_path, *null = "/dev/null";
	fuzz_cmd(cmd_report, "report", "--color=always", f, NULL);
	fuzz_cmd(cmd_report, "report", "--json", f, NULL);
	fuzz_cmd(cmd_report, "report", "--threads", "--sort=count", f, NULL);
	fuzz_cmd(cmd_report, "report", "--zones", f, NULL);
	fuzz_cmd(cmd_report, "report", "--zones", "--json", f, NULL);
	fuzz_cmd(cmd_flame, "flame", "-o", null, f, NULL);
	fuzz_cmd(cmd_flame, "flame", "--heap=peak", "--icicle", "-o", null, f, NULL);
	fuzz_cmd(cmd_flame, "flame", "--chart", "-o", null, f, NULL);
	fuzz_cmd(cmd_html, "html", "-o", null, f, NULL);
	static const char *const formats[] = { "folded", "pprof", "speedscope", "chrome", "dhat", "massif" };
	for (size_t i = 0; i < sizeof(formats) / sizeof(formats[0]); i++)
		fuzz_cmd(cmd_export, "export", "-F", formats[i], "-o", null, f, NULL);
	fuzz_cmd(cmd_annotate, "annotate", "-n", "2", "-o", null, f, NULL);
	fuzz_cmd(cmd_annotate, "annotate", "--json", "-M", "intel", "-o", null, f, NULL);
	return 0;
}
