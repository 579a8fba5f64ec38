/* Notes: what a profile cannot show, and why (struct sc_note). The runtime
 * writes them as RAW_NOTE records when the program runs something scorch
 * cannot enter (a set-id or static program, an image whose loader refused
 * LD_PRELOAD) or brings an allocator that bypasses its hooks; finalize and
 * the launcher put them in the profile; the summary, the reports and the
 * JSON say them (output/notes.h). */
#ifndef SCORCH_ANALYSIS_NOTES_H
#define SCORCH_ANALYSIS_NOTES_H

#include "profile.h"

/* Appends a note to p (path and detail copied into its arena; NULL = ""). */
void profile_add_note(struct sc_profile *p, uint32_t kind, uint32_t pid, const char *path,
		      const char *detail);

/* Notes a Rust program's own global allocator (#[global_allocator]) when it
 * never called malloc while the program ran: the executable (p's main
 * module, read now) has one, and no recorded allocation came through
 * __rust_alloc. For heap profiles; nothing when malloc is already noted as
 * bypassed. */
void notes_check_rust_allocator(struct sc_profile *p);

/* Whether a note kind is one a profile holds (exec and allocator notes). */
bool note_kind_known(uint32_t kind);

/* The kind's name in JSON: "setid", "capabilities", "static",
 * "preload_refused", "own_malloc", "own_allocator" ("unknown" for a newer
 * writer's). */
const char *note_kind_name(uint32_t kind);

#endif
