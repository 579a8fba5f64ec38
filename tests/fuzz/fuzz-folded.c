/* libFuzzer harness: the folded-stacks importer ("a;b;c N" lines), then the
 * profile it makes through the writer and the reader (oracle: it reads
 * back) and the report, flame graph and folded export of it. The first
 * byte picks --hz (none, 99 or 1000000000). */
#include "../../analysis/import.h"
#include "fuzz-common.h"

static char prof_path[128];

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc, (void)argv;
	fuzz_setup();
	fuzz_path(prof_path, sizeof(prof_path), "folded.scorch");
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint32_t hz[] = { 0, 99, 1000000000u };
	uint32_t h = size ? hz[data[0] % 3] : 0;
	const char *text = size ? (const char *)data + 1 : "";
	size_t len = size ? size - 1 : 0;
	char err[512];
	struct sc_profile *p = NULL;
	if (import_folded(text, len, "fuzz.folded", h, &p, err, sizeof(err)))
		return 0;
	fuzz_reread(p, prof_path, "folded import");
	profile_free(p);
	fuzz_cmd(cmd_report, "report", "--json", prof_path, NULL);
	fuzz_cmd(cmd_report, "report", "--color=always", prof_path, NULL);
	fuzz_cmd(cmd_flame, "flame", "-o", "/dev/null", prof_path, NULL);
	fuzz_cmd(cmd_export, "export", "-o", "/dev/null", prof_path, NULL);
	return 0;
}
