/* Address -> function, file:line and inline frames, with elfutils libdwfl,
 * for modules of a process that has already exited (offline reporting of
 * each module at the bias it was loaded at). Separate debug info is found by
 * build id / debuglink under the standard debuginfo paths when installed. */
#ifndef SCORCH_ANALYSIS_SYMBOLIZE_H
#define SCORCH_ANALYSIS_SYMBOLIZE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "profile.h"

struct symbolizer;

/* Strings handed out (function and file names) are allocated in `strings`
 * and live as long as that arena. */
struct symbolizer *symbolizer_new(struct arena *strings);
void symbolizer_free(struct symbolizer *s);

/* Registers the module loaded from `path` at load bias `bias`, spanning
 * [lo, hi) at run time. Returns a module handle >= 0, or a negative errno
 * when the file cannot be opened as ELF (the caller names its frames
 * unknown, "??", so it may ignore the error).
 * -ENOENT etc. come from open(2), -ENOEXEC means not ELF. The same path at
 * the same bias registered again shares the opened file; lo == hi means the
 * span is unknown and no address is rejected as outside it. */
int symbolizer_add_module(struct symbolizer *s, const char *path, uint64_t bias,
			  uint64_t lo, uint64_t hi);

/* Resolves run-time address `addr` (already the lookup address: return
 * addresses minus one) in module handle `mod`. Writes up to `max` lines into
 * out, innermost inlined function first and the containing function last
 * (all but the last have inlined = true), and returns how many (>= 1).
 * Function names are demangled. A function nothing names (no symbol, no
 * debug info: a static function of a stripped library) is "??" with file
 * "" and line 0, as is any address outside the module's span or looked up
 * with a handle that was never returned (e.g. negative): no name is made
 * up, views name such frames "[module+0xoffset]" themselves. With more
 * inlined frames than max - 1, the innermost ones are kept and the
 * containing function still comes last. Returns -EINVAL for max < 1. */
int symbolizer_lookup(struct symbolizer *s, int mod, uint64_t addr,
		      struct sc_line *out, int max);

/* The function symbol containing run-time address addr in module handle
 * mod: its run-time start, its size (a sizeless symbol runs to the next
 * symbol) and its demangled name, in the strings arena. Returns 0, -ENOENT
 * when no symbol holds the address, -EINVAL for a bad handle. */
int symbolizer_symbol(struct symbolizer *s, int mod, uint64_t addr, uint64_t *start,
		      uint64_t *size, const char **name);

/* The name of the PLT entry at run-time address addr ("memcpy@plt"), from
 * the relocation of the GOT slot it jumps through (x86-64). Returns 0, or
 * -ENOENT when addr is no PLT entry this can read. */
int symbolizer_plt_name(struct symbolizer *s, int mod, uint64_t addr, const char **name);

/* The run-time address of the function symbol called name (as the file
 * spells it, or demangled) in module handle mod. Returns 0, -ENOENT. */
int symbolizer_symbol_named(struct symbolizer *s, int mod, const char *name, uint64_t *addr);

/* The GNU build id of module handle mod's file: its length (0 when it has
 * none), the bytes in *bits, owned by the symbolizer. */
int symbolizer_build_id(struct symbolizer *s, int mod, const uint8_t **bits);

/* The ELF e_machine of module handle mod (EM_X86_64...), 0 when unknown. */
int symbolizer_machine(struct symbolizer *s, int mod);

/* Copies up to len bytes of the code at run-time address start, from the
 * module's file, into buf; the copy stops at the end of the executable
 * section holding start. Returns the bytes copied, -ENOENT when no
 * executable section holds start. */
ssize_t symbolizer_code(struct symbolizer *s, int mod, uint64_t start, uint8_t *buf, size_t len);

/* Calls fn for each row of the line table with a run-time address in
 * [lo, hi), in the table's order: the row's address, its file (interned;
 * "" and line 0 where an end of sequence says no code follows) and line.
 * Returns the number of rows, -ENOENT without line information. */
int symbolizer_rows(struct symbolizer *s, int mod, uint64_t lo, uint64_t hi,
		    void (*fn)(void *ctx, uint64_t addr, const char *file, uint32_t line), void *ctx);

#endif
