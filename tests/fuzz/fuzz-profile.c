/* libFuzzer harness: the profile reader, then every view and export of a
 * profile it accepts. An input that starts with the magic "SCORCHPF" is a
 * whole .scorch file; any other is a body (docs/format.md, sections): its
 * first byte gives the header flags and the rest is compressed with a
 * valid checksum around it, so that mutations reach the sections instead
 * of stopping at zstd's checksum. Oracle: what the reader accepts, the
 * writer writes and the reader reads back. */
#include <zstd.h>

#include "fuzz-common.h"

static char in_path[128], back_path[128];
static ZSTD_CCtx *zc;

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

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

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	make_file(data, size);
	char err[512];
	struct sc_profile *p = NULL;
	if (profile_read(in_path, &p, err, sizeof(err)))
		return 0;
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
