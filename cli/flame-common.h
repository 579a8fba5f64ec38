/* What `scorch flame` and `scorch diff` share: loading an input that is a
 * .scorch profile or folded text, picking the weight from --heap/--weight
 * and the profile's contents, building its flame tree, describing it in a
 * subtitle, and parsing --minwidth. Errors are printed here (error()). */
#ifndef SCORCH_CLI_FLAME_COMMON_H
#define SCORCH_CLI_FLAME_COMMON_H

#include <stdbool.h>
#include <stddef.h>

#include "../analysis/flame.h"
#include "../analysis/folded-in.h"
#include "../analysis/profile.h"
#include "../lib/strbuf.h"
#include "run-input.h"

struct flame_input {
	const char *path;           /* borrowed from argv */
	struct sc_profile *p;       /* the profile, NULL for folded text */
	struct folded_file text;    /* folded text (buf NULL for a profile) */
};

/* Loads path: a profile when it starts with the .scorch magic, else folded
 * text. Returns 0, or -1 after printing why. */
int flame_input_load(struct flame_input *in, const char *path);
void flame_input_release(struct flame_input *in);
/* Loads paths[0..n) as one input: a single file as flame_input_load() does
 * unless mode is RUN_MERGE; else the profiles of the run merged
 * (run-input.h), named after paths[0]. A wall-clock profile gets its
 * off-CPU frames (analysis/merge.h) either way. 0, or -1 after printing why. */
int flame_input_load_run(struct flame_input *in, char **paths, int n, enum run_mode mode);

/* The weight to draw for in: FLAME_FOLDED for folded text; for a profile the
 * one asked for (heap >= 0 or cpu >= 0, as parsed from --heap and --weight),
 * else flame_default_weight(). */
enum flame_weight flame_input_weight(const struct flame_input *in, int heap, int cpu);

/* in's tree for weight w and thread (NULL = all). Returns 0, or -1 after
 * printing the reason, naming the file. */
int flame_input_tree(const struct flame_input *in, enum flame_weight w, const char *thread,
		     struct flame_tree **out);

/* "CPU samples of PROG ARGS, thread T: 5,992 samples" and the like, for
 * subtitles and table headers. total is the tree's total weight. */
void flame_input_describe(const struct flame_input *in, enum flame_weight w, const char *thread,
			  uint64_t total, struct strbuf *out);

/* --heap's value (NULL = bytes) into a weight; -1 with a message printed. */
int flame_parse_heap_opt(const char *cmd, const char *arg);
/* --names' value: 0 for short (demangle_short(), the default), 1 for full;
 * -1 with a message printed. */
int flame_parse_names_opt(const char *cmd, const char *arg);
/* --weight's value into a CPU weight; -1 with a message printed. */
int flame_parse_weight_opt(const char *cmd, const char *arg);

#endif
