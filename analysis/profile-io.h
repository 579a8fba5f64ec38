/* Reading and writing .scorch profile files (docs/format.md): a fixed header
 * followed by one zstd frame holding typed, length-prefixed sections. The
 * reader validates every length, index and count, so a corrupt, truncated or
 * foreign file yields an error message rather than a crash. */
#ifndef SCORCH_ANALYSIS_PROFILE_IO_H
#define SCORCH_ANALYSIS_PROFILE_IO_H

#include <stddef.h>

#include "profile.h"

#define PROFILE_MAGIC "SCORCHPF"
#define PROFILE_VERSION 1

/* Writes p to path atomically (temp file + rename). Returns 0 or -errno. */
int profile_write(const struct sc_profile *p, const char *path);

/* Reads path into a new profile owned by the caller (profile_free()).
 * Returns 0, or -1 with a one-line lowercase reason in err naming the file. */
int profile_read(const char *path, struct sc_profile **out, char *err, size_t errlen);

#endif
