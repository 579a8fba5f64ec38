/* A persistent cache of separate debug files whose .debug_* sections are
 * compressed (SHF_COMPRESSED, as Debian's libc6-dbg ships libc's), stored
 * decompressed and keyed by build id, as perf keeps its ~/.debug cache.
 * libdw inflates every compressed section whole on each run (about 11 MB of
 * memory and 40-50 ms of CPU for libc's); a decompressed copy is mapped
 * instead, so only the pages symbolization touches are read, and from the
 * page cache.
 *
 * Where: $SCORCH_DEBUG_CACHE if it is an absolute path, else
 * $XDG_CACHE_HOME/scorch/debug, else $HOME/.cache/scorch/debug.
 * SCORCH_DEBUG_CACHE=0 (or "off", or empty) turns it off. Entries are
 * written to a temporary file and renamed into place, so a reader never
 * sees half an entry; the directory is kept under DEBUG_CACHE_MAX_BYTES by
 * removing the least recently used entries (1 GiB by default,
 * SCORCH_DEBUG_CACHE_MB=N for N MiB). Every failure (no home, a
 * read-only or full disk, a damaged entry) only means the original file is
 * used: the cache is never fatal and never changes a profile. */
#ifndef SCORCH_ANALYSIS_DEBUG_CACHE_H
#define SCORCH_ANALYSIS_DEBUG_CACHE_H

#include <stdint.h>

/* Entries are removed, least recently used first, past this total
 * (SCORCH_DEBUG_CACHE_MB sets another, in MiB). */
#define DEBUG_CACHE_MAX_BYTES ((uint64_t)1 << 30)

/* For the module of build id `id` (idlen bytes): a read-only descriptor of
 * the decompressed copy of its separate debug file, from the cache, or made
 * now from /usr/lib/debug/.build-id/xx/yyyy.debug when that file's DWARF is
 * compressed. *debug_path gets (malloc'd, for libdwfl) the original debug
 * file's path, where libdw resolves .gnu_debugaltlink and .dwo files from.
 * -1 when the cache is off, the module has no such debug file or it is not
 * compressed, and on any failure: libdwfl's own search applies then. */
int debug_cache_open(const uint8_t *id, int idlen, char **debug_path);

/* The cache directory in use (NULL when off); for messages and tests. */
const char *debug_cache_dir(void);

#endif
