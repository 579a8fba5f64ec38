/* Reading the profiles of a run as one (run-input.h). */
#include "run-input.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "../analysis/merge.h"
#include "../analysis/profile-io.h"
#include "../lib/die.h"
#include "../lib/vec.h"
#include "usage.h"

struct seen {
	dev_t dev;
	ino_t ino;
};
typedef VEC(struct seen) seen_vec;

int run_mode_check(const char *cmd, bool merge, bool by_process, enum run_mode *mode)
{
	if (merge && by_process) {
		fprintf(stderr, "scorch %s: --merge and --by-process exclude each other\n", cmd);
		cli_see_help(cmd);
		return 2;
	}
	*mode = merge ? RUN_MERGE : by_process ? RUN_BY_PROCESS : RUN_DEFAULT;
	return 0;
}

/* Reads path unless it was read already (same file); 1 when read, 0 when
 * seen before, -1 after an error. */
static int read_once(const char *path, seen_vec *seen, struct sc_profile **p)
{
	struct stat st;
	if (stat(path, &st) == 0) {
		for (size_t i = 0; i < seen->len; i++)
			if (seen->data[i].dev == st.st_dev && seen->data[i].ino == st.st_ino)
				return 0;
		struct seen s = { st.st_dev, st.st_ino };
		VEC_PUSH(seen, s);
	}
	char err[512];
	if (profile_read_lazy(path, p, err, sizeof(err)))
		return error("%s", err);
	return 1;
}

int run_load(char **files, int n, enum run_mode mode, struct sc_profile **out)
{
	*out = NULL;
	if (n == 1 && mode != RUN_MERGE) {
		char err[512];
		if (profile_read_lazy(files[0], out, err, sizeof(err)))
			return error("%s", err);
		return 0;
	}
	seen_vec seen = { 0 };
	VEC(struct sc_profile *) parts = { 0 };
	int rc = 0;
	for (int i = 0; i < n && !rc; i++) {
		struct sc_profile *p;
		int r = read_once(files[i], &seen, &p);
		if (r < 0)
			rc = -1;
		if (r <= 0)
			continue;
		VEC_PUSH(&parts, p);
		/* the run's first profile lists the others */
		char **rel;
		size_t nrel;
		profile_run_files(p, files[i], &rel, &nrel);
		for (size_t k = 1; k < nrel; k++) {
			struct sc_profile *q;
			int rq = rc ? -1 : read_once(rel[k], &seen, &q);
			if (rq > 0)
				VEC_PUSH(&parts, q);
			else if (rq < 0 && !rc)
				warning("%s is part of the run of %s and cannot be read: the merged view "
					"lacks it", rel[k], files[i]);
		}
		for (size_t k = 0; k < nrel; k++)
			free(rel[k]);
		free(rel);
	}
	VEC_FREE(&seen);
	if (rc) {
		for (size_t i = 0; i < parts.len; i++)
			profile_free(parts.data[i]);
		VEC_FREE(&parts);
		return -1;
	}
	if (parts.len == 1) {
		*out = parts.data[0];
		VEC_FREE(&parts);
		return 0;
	}
	char err[512];
	struct sc_profile *m;
	rc = profile_merge(parts.data, parts.len, &m, err, sizeof(err));
	VEC_FREE(&parts);
	if (rc) {
		profile_free(m);
		return error("%s", err);
	}
	*out = m;
	return 0;
}
