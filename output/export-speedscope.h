/* speedscope export: speedscope's JSON file format
 * (https://www.speedscope.app/file-format-schema.json). Frames are shared
 * (name, file, line); CPU samples become one sampled profile per thread in
 * nanoseconds, weighted by what each sample stands for, in time order;
 * heap events a sampled profile of the allocations weighted by bytes, and
 * one of the bytes still live at exit. Details in docs/interop.md.
 *
 * Zones (and traced calls) become one evented profile per thread in
 * nanoseconds, named `zones: NAME (tid N)`: an O event where a span begins,
 * a C event where it ends, at the profile's own times, properly nested;
 * the rare span that outlives the zone it began in (a mismatched
 * scorch_zone_end) goes to a second profile of the thread, `... overlap 1`
 * (export-zones.h), so every span keeps its exact times.
 *
 * The document is streamed: "profiles" is written before "shared", whose
 * frames are interned while the profiles are written. A profile is written
 * between ss_*_begin() and ss_*_end(): a sampled one writes its two arrays
 * straight out, each from its own walk of the samples (for the heap, of the
 * events), so memory is bounded by the stacks, not the events; an evented
 * one writes each O/C event straight out. */
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
	bool weights_now;           /* in its weights array (else in its samples) */
	struct u32vec last;         /* the pending sample, merged with identical followers */
	uint32_t last_stack;        /* its stack id, UINT32_MAX none or not given */
	uint64_t last_weight;
	struct u32vec cur;          /* scratch: the frames of a stack added by id */
	/* the evented profile being written */
	uint64_t last_at;
};

/* Starts a document for p on f: $schema, exporter, name, and "profiles". */
void ss_begin(struct ss_writer *w, FILE *f, const struct sc_profile *p);
/* Frames of stack s, root first (see xframes_stack). */
void ss_frame_ids(struct ss_writer *w, uint32_t s, struct u32vec *out);

/* A sampled profile: samples are stacks of frame ids, root first, each with
 * its weight; consecutive identical stacks are merged, weight 0 is dropped.
 * Nothing is held but the pending sample: the caller feeds the same samples
 * twice, first for the "samples" array, then (after ss_sampled_weights())
 * for the "weights" array, and gives their total weight up front (written
 * as endValue before both). A sample is given by its stack id (frames NULL:
 * the frames are ss_frame_ids() of it, and a run of one stack id is merged
 * without looking at them), or by its frames with stack UINT32_MAX. */
void ss_sampled_begin(struct ss_writer *w, const char *name, const char *unit, uint64_t total);
void ss_sampled_add(struct ss_writer *w, uint32_t stack, const uint32_t *frames, size_t n,
		    uint64_t weight);
void ss_sampled_weights(struct ss_writer *w);
void ss_sampled_end(struct ss_writer *w);

/* An evented profile: begin writes type, name, unit and startValue and
 * opens "events"; each event (open or close of frame id `frame` at `at`,
 * never before the previous one) goes straight out; end closes "events"
 * and writes endValue, at least the last event's `at`. The caller keeps
 * the O and C events nested. */
void ss_evented_begin(struct ss_writer *w, const char *name, const char *unit, uint64_t start);
void ss_evented_add(struct ss_writer *w, bool open, uint32_t frame, uint64_t at);
void ss_evented_end(struct ss_writer *w, uint64_t end);

/* Ends the document: activeProfileIndex, then shared.frames. Returns 0 or
 * -errno from the output. */
int ss_end(struct ss_writer *w, size_t active);

/* The export: the data o->kinds asks for, and the zones (whatever the
 * kinds). Returns 0, -EINVAL for a filter regcomp refuses, or -errno from f. */
int speedscope_write(FILE *f, const struct sc_profile *p, const struct export_options *o);

#endif
