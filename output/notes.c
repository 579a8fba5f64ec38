/* The sentences of the notes: what was not profiled or not seen, why, and
 * what to do about it. */
#include "notes.h"

void note_describe(struct strbuf *sb, const struct sc_note *n, bool term)
{
	const char *path = n->path[0] ? n->path : "a program";
	const char *detail = n->detail[0] ? n->detail : "malloc";
	if (term) {
		path = term_safe(path);
		detail = term_safe(detail);
	}
	switch (n->kind) {
	case NOTE_EXEC_SETID:
		sb_addf(sb, "not profiled: %s (pid %u) is set-user-ID or set-group-ID, and the dynamic "
			"loader ignores LD_PRELOAD for such programs; profile a copy without the set-id "
			"bit, or run scorch as the program's owner", path, n->pid);
		break;
	case NOTE_EXEC_CAPS:
		sb_addf(sb, "not profiled: %s (pid %u) has file capabilities, and the dynamic loader "
			"ignores LD_PRELOAD for such programs; profile a copy without them", path, n->pid);
		break;
	case NOTE_EXEC_STATIC:
		sb_addf(sb, "not profiled: %s (pid %u) is statically linked, so no dynamic loader "
			"loads scorch into it (LD_PRELOAD); rebuild it without -static, or use "
			"valgrind's DHAT", path, n->pid);
		break;
	case NOTE_EXEC_UNRECORDED:
		sb_addf(sb, "not profiled: %s (pid %u) ran, but its dynamic loader did not load "
			"scorch (it refused LD_PRELOAD: out of file descriptors, or a program of "
			"another architecture; its message, if any, is in the program's stderr)",
			path, n->pid);
		break;
	case NOTE_OWN_MALLOC:
		sb_addf(sb, "the program's allocator bypasses scorch: %s defines %s, found before "
			"scorch's hooks, so the allocations it serves are not in this profile; build "
			"it with the C library's malloc or with its allocator in a shared library "
			"(scorch's hooks come before those), or use the allocator's own hooks or "
			"statistics", path, detail);
		break;
	case NOTE_OWN_ALLOCATOR:
		sb_addf(sb, "the program's allocator bypasses scorch: %s has a Rust global allocator of "
			"its own (%s) that never called malloc while it ran, so the allocations it "
			"served are not in this profile; profile a build with Rust's default allocator "
			"(std::alloc::System), or use the allocator's own statistics", path, detail);
		break;
	default:
		sb_addf(sb, "a note of a kind this scorch does not know (%u) about %s (pid %u)",
			n->kind, path, n->pid);
		break;
	}
}

void notes_text(struct strbuf *sb, const struct sc_profile *p, const char *prefix,
		const struct term_colors *c)
{
	for (size_t i = 0; i < p->nnotes; i++) {
		sb_addf(sb, "%s%s%swarning:%s%s ", prefix, c->bold, c->yellow, c->reset, c->yellow);
		note_describe(sb, &p->notes[i], true);
		sb_addf(sb, "%s\n", c->reset);
	}
}
