/* Checks on the program to be launched: find it in PATH like a shell, and
 * tell the ways preloading cannot reach it (static binaries, set-id
 * programs) before running it, so the user gets a reason instead of an
 * empty profile. */
#ifndef SCORCH_LIB_PROGCHECK_H
#define SCORCH_LIB_PROGCHECK_H

#include <stddef.h>

enum prog_kind {
	PROG_DYNAMIC = 0,    /* ELF with an interpreter: preloading works */
	PROG_SCRIPT,         /* #! script: its interpreter gets the runtime */
	PROG_STATIC,         /* ELF without PT_INTERP */
	PROG_OTHER,          /* not ELF, not a script: let exec decide */
};

/* Resolves name (searching PATH when it has no '/') into out. Returns 0,
 * -ENOENT when not found, -EACCES when found but not executable. */
int prog_resolve(const char *name, char *out, size_t outlen);

/* Classifies the file at path. */
enum prog_kind prog_kind(const char *path);

/* True when path is an ELF file the Go linker made (its "Go" build-id note). */
int prog_is_go(const char *path);

/* True when the dynamic linker will run path in secure mode (set-user-ID or
 * set-group-ID to someone else), where it ignores LD_PRELOAD. */
int prog_is_setid(const char *path);

/* Finds libscorch.so: $SCORCH_RUNTIME, next to the scorch executable, or
 * ../lib/libscorch.so.MAJOR (../lib64/, ../lib/scorch/libscorch.so) from it,
 * as `make install` lays it out. Returns 0 and the absolute path in out, or
 * -ENOENT. */
int runtime_locate(char *out, size_t outlen);

#endif
