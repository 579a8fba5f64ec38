/* Input handling shared by `scorch flame` and `scorch diff` (flame-common.h). */
#include "flame-common.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../analysis/folded-in.h"
#include "../analysis/merge.h"
#include "../analysis/profile-io.h"
#include "../lib/die.h"
#include "../output/report-heap.h"
#include "../output/term.h"

int flame_input_load(struct flame_input *in, const char *path)
{
	char err[512];
	memset(in, 0, sizeof(*in));
	in->path = path;
	if (folded_is_profile(path)) {
		if (profile_read_lazy(path, &in->p, err, sizeof(err)))
			return error("%s", err);
		profile_mark_offcpu(in->p);
		return 0;
	}
	if (folded_file_open(&in->text, path, err, sizeof(err)))
		return error("%s", err);
	return 0;
}

int flame_input_load_run(struct flame_input *in, char **paths, int n, enum run_mode mode)
{
	if (n == 1 && mode != RUN_MERGE)
		return flame_input_load(in, paths[0]);
	memset(in, 0, sizeof(*in));
	in->path = paths[0];
	for (int i = 0; i < n; i++)
		if (!folded_is_profile(paths[i]))
			return error("%s is not a .scorch profile: folded stacks are not merged as a run",
				     paths[i]);
	if (run_load(paths, n, mode, &in->p))
		return -1;
	profile_mark_offcpu(in->p);
	return 0;
}

void flame_input_release(struct flame_input *in)
{
	profile_free(in->p);
	folded_file_close(&in->text);   /* a no-op on a profile's zeroed one */
	memset(in, 0, sizeof(*in));
}

enum flame_weight flame_input_weight(const struct flame_input *in, int heap, int cpu)
{
	if (!in->p)
		return FLAME_FOLDED;
	if (heap >= 0)
		return (enum flame_weight)heap;
	if (cpu >= 0)
		return (enum flame_weight)cpu;
	return flame_default_weight(in->p);
}

int flame_input_tree(const struct flame_input *in, enum flame_weight w, const char *thread,
		     struct flame_tree **out)
{
	char err[768];
	if (!in->p) {
		if (flame_from_folded(in->text.buf, in->text.len, out, err, sizeof(err)))
			return error("%s: %s", in->path, err);
		return 0;
	}
	if (flame_from_profile(in->p, w, thread, out, err, sizeof(err)))
		return error("%s: %s", in->path, err);
	if (!(*out)->nodes.data[0].total) {
		error("%s: nothing to draw: no %s%s%s", in->path,
		      flame_weight_is_cpu(w) ? "CPU samples" : w == FLAME_LEAKED ? "leaked bytes" :
		      w == FLAME_PEAK ? "bytes live at the peak" : "allocations",
		      thread ? " on thread " : "", thread ? thread : "");
		flame_tree_free(*out);
		*out = NULL;
		return -1;
	}
	return 0;
}

static const char *what_of(const struct sc_profile *p, enum flame_weight w)
{
	/* a wall-clock profile's samples are wall time, on- and off-CPU */
	bool wall = p && (p->flags & PROF_WALL);
	switch (w) {
	case FLAME_SAMPLES: return wall ? "wall-time samples (on- and off-CPU) of" : "CPU samples of";
	case FLAME_CPU_NS: return wall ? "wall time (on- and off-CPU) of" : "CPU time of";
	case FLAME_BYTES: return "heap bytes allocated by";
	case FLAME_COUNT: return "heap allocations of";
	case FLAME_PEAK: return "heap bytes live at the peak of";
	case FLAME_LEAKED: return "heap bytes leaked by";
	case FLAME_FOLDED: default: return "folded stacks of";
	}
}

void flame_input_describe(const struct flame_input *in, enum flame_weight w, const char *thread,
			  uint64_t total, struct strbuf *out)
{
	sb_addf(out, "%s ", what_of(in->p, w));
	if (!in->p)
		sb_adds(out, in->path);
	else
		sb_adds(out, in->p->cmdline && *in->p->cmdline ? in->p->cmdline :
			     in->p->exe ? in->p->exe : in->path);
	if (in->p && in->p->nparts > 1)
		sb_addf(out, " and %zu more profiles of its run", in->p->nparts - 1);
	if (thread)
		sb_addf(out, ", thread %s", thread);
	sb_adds(out, ": ");
	if (w == FLAME_CPU_NS) {
		term_duration(out, total);
		return;
	}
	term_count(out, total);
	sb_addf(out, " %s", flame_weight_unit(w));
	if (in->p && in->p->heap_sample && w >= FLAME_BYTES && w <= FLAME_LEAKED) {
		sb_adds(out, " (");
		report_heap_sampled(out, in->p);
		sb_adds(out, ")");
	}
}

int flame_parse_heap_opt(const char *cmd, const char *arg)
{
	int w = arg ? flame_heap_weight_parse(arg) : FLAME_BYTES;
	if (w < 0)
		fprintf(stderr, "scorch %s: unknown --heap '%s' (supported: bytes, count, peak, leaked)\n",
			cmd, arg);
	return w;
}

int flame_parse_names_opt(const char *cmd, const char *arg)
{
	if (!strcmp(arg, "short"))
		return 0;
	if (!strcmp(arg, "full"))
		return 1;
	fprintf(stderr, "scorch %s: unknown --names '%s' (supported: short, full)\n", cmd, arg);
	return -1;
}

int flame_parse_weight_opt(const char *cmd, const char *arg)
{
	int w = flame_cpu_weight_parse(arg);
	if (w < 0) {
		int h = flame_heap_weight_parse(arg);
		if (h >= 0)
			return h;
		fprintf(stderr, "scorch %s: unknown --weight '%s' (supported: samples, cpu-ns; "
			"heap weights with --heap=bytes|count|peak|leaked)\n", cmd, arg);
	}
	return w;
}
