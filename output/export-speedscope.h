/* speedscope export: speedscope's JSON file format
 * (https://www.speedscope.app/file-format-schema.json). Frames are shared
 * (name, file, line); CPU samples become one sampled profile per thread in
 * nanoseconds, weighted by what each sample stands for, in time order;
 * heap events a sampled profile of the allocations weighted by bytes, and
 * one of the bytes still live at exit. Details in docs/interop.md.
 *
 * The document is streamed: "profiles" is written before "shared", whose
 * frames are interned while the profiles are written. A profile is written
 * between ss_*_begin() and ss_*_end(); an evented profile (zones) fits the
 * same way: begin writes type "evented", name, unit and startValue and opens
 * "events", each O/C event goes straight out with the ids of
 * ss_frame_ids(), and end closes "events" and writes endValue. */
#ifndef SCORCH_OUTPUT_EXPORT_SPEEDSCOPE_H
#define SCORCH_OUTPUT_EXPORT_SPEEDSCOPE_H

#include <stdio.h>

#include "../analysis/profile.h"
#include "export-frames.h"
#include "json.h"

#define SPEEDSCOPE_SCHEMA "https://www.speedscope.app/file-format-schema.json"

struct ss_writer {
	struct json j;
	struct xframes frames;      /* shared.frames */
	size_t nprofiles;
	/* the sampled profile being written */
	struct strbuf samples, weights;   /* their JSON arrays, built apart */
	const char *name, *unit;    /* borrowed until ss_sampled_end() */
	uint64_t total;
	struct u32vec last;         /* the pending sample, merged with identical followers */
	uint64_t last_weight;
};

/* Starts a document for p on f: $schema, exporter, name, and "profiles". */
void ss_begin(struct ss_writer *w, FILE *f, const struct sc_profile *p);
/* Frames of stack s, root first (see xframes_stack). */
void ss_frame_ids(struct ss_writer *w, uint32_t s, struct u32vec *out);

/* A sampled profile: samples are stacks of frame ids, root first, each with
 * its weight; consecutive identical stacks are merged, weight 0 is dropped.
 * name and unit must live until ss_sampled_end(). */
void ss_sampled_begin(struct ss_writer *w, const char *name, const char *unit);
void ss_sampled_add(struct ss_writer *w, const uint32_t *frames, size_t n, uint64_t weight);
void ss_sampled_end(struct ss_writer *w);

/* Ends the document: activeProfileIndex, then shared.frames. Returns 0 or
 * -errno from the output. */
int ss_end(struct ss_writer *w, size_t active);

/* The export: the data o->kinds asks for. Returns 0, -EINVAL for a filter
 * regcomp refuses, or -errno from f. */
int speedscope_write(FILE *f, const struct sc_profile *p, const struct export_options *o);

#endif
