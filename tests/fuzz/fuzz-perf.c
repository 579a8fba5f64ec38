/* libFuzzer harness: the `perf script` importer, then the profile it makes
 * through the writer and the reader (oracle: it reads back) and the report,
 * flame graph and pprof export of it. import_complete() is left out: it
 * reads the binaries the input names from this machine's disk. */
#include "../../analysis/import-perf.h"
#include "fuzz-common.h"

static char prof_path[128];

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc, (void)argv;
	fuzz_setup();
	fuzz_path(prof_path, sizeof(prof_path), "perf.scorch");
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[512];
	struct sc_profile *p = NULL;
	struct import_perf_info info;
	struct import_perf_options o = { .event = NULL };
	if (import_perf((const char *)data, size, "fuzz.perf", &o, &p, &info, err, sizeof(err)))
		return 0;
	fuzz_reread(p, prof_path, "perf import");
	profile_free(p);
	fuzz_cmd(cmd_report, "report", "--json", prof_path, NULL);
	fuzz_cmd(cmd_report, "report", "--threads", prof_path, NULL);
	fuzz_cmd(cmd_flame, "flame", "-o", "/dev/null", prof_path, NULL);
	fuzz_cmd(cmd_export, "export", "-F", "pprof", "-o", "/dev/null", prof_path, NULL);
	return 0;
}
