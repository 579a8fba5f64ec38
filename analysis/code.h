/* Code capture for annotation: when a CPU profile is finalized, the machine
 * code, line-table rows and source lines of the functions its samples hit
 * most are copied into the profile (p->codes, p->sources), so that `scorch
 * annotate` can show them after the binary and the sources are gone. */
#ifndef SCORCH_ANALYSIS_CODE_H
#define SCORCH_ANALYSIS_CODE_H

#include <capstone/capstone.h>

#include "profile.h"
#include "symbolize.h"

/* Bounds on what one profile keeps. */
#define CODE_MAX_FUNCS      200   /* of which ... */
#define CODE_MAX_SELF_FUNCS 150   /* ... the hottest by self; callers by total fill the rest */
#define CODE_MAX_FUNC_BYTES (256u << 10)
#define CODE_MAX_BYTES      (4u << 20)
#define SOURCE_MAX_BYTES    (8u << 20)
/* Lines of context kept before each kept source line and after it, and the
 * widest gap between two kept lines that is kept whole. */
#define SOURCE_CONTEXT_BEFORE 3
#define SOURCE_CONTEXT_AFTER  1
#define SOURCE_GAP            8

/* Fills p->codes and p->code_machine for the functions holding the most
 * sample weight, and p->sources for the lines every sampled frame names
 * (p's samples, stacks and locations must be built).
 * handle(ctx, mi) gives the symbolizer handle of module index mi, < 0 when
 * its file cannot be read. Functions whose code cannot be read are left
 * out; source files that cannot be read are left out. Nothing to do
 * without samples. */
void code_capture(struct sc_profile *p, struct symbolizer *sym,
		  int (*handle)(void *ctx, int mi), void *ctx);

/* capstone's functions, loaded with dlopen at the first call
 * (libcapstone.so.CS_API_MAJOR, the version the tool was built against),
 * so that only the commands that disassemble map it: its relocations made
 * 3 MB of every launcher resident. NULL when it cannot be loaded; then
 * *why (when why is not NULL) says so and what to install. */
struct code_cs {
	cs_err (*open)(cs_arch, cs_mode, csh *);
	cs_err (*option)(csh, cs_opt_type, size_t);
	cs_insn *(*malloc)(csh);
	bool (*disasm_iter)(csh, const uint8_t **, size_t *, uint64_t *, cs_insn *);
	void (*free)(cs_insn *, size_t);
	cs_err (*close)(csh *);
};
const struct code_cs *code_capstone(const char **why);

/* True when the instruction capstone spelled as mnemonic mn and operands
 * ops (for ELF machine `machine`) is a direct call, jump or branch to a
 * constant address, put in *target. */
bool code_branch_target(uint32_t machine, const char *mn, const char *ops, uint64_t *target);

/* Index into p->codes of the code holding run-time address addr of module
 * mi, or -1. */
long code_find(const struct sc_profile *p, int32_t mi, uint64_t addr);

/* The stored source line `line` of file, or NULL when it was not kept. */
const char *source_line(const struct sc_profile *p, const char *file, uint32_t line);

#endif
