/* The raw stream: what the runtime writes inside the target while it runs.
 * One file per process image (raw.PID.SEQ in the session directory), made of a
 * file header and self-delimiting chunks that each thread appends with a
 * single O_APPEND write. Addresses only, no symbols; the launcher's finalize
 * step turns it into a profile. Specified in docs/format.md. */
#ifndef SCORCH_FORMAT_RAW_H
#define SCORCH_FORMAT_RAW_H

#include <stdint.h>

#define RAW_MAGIC "SCRAW\0\0\1"     /* 8 bytes, last byte = stream version */
/* File header, 32 bytes: magic, then u64le: CLOCK_MONOTONIC ns and the tick
 * count read together at the start, and femtoseconds per tick (0: ticks are
 * CLOCK_MONOTONIC ns). Every time in the stream is in ticks; ns =
 * start ns + (ticks - start ticks) * fs per tick / 1e6. */
#define RAW_FILE_HDR 32

/* Chunk header, 24 bytes, little endian:
 *   u32 magic RAW_CHUNK_MAGIC, u32 payload length, u32 tid,
 *   u32 checksum (FNV-1a of the 16 header bytes after it... see below),
 *   u64 base time in ticks, that the first record's dt adds to.
 * checksum = fnv32(payload, fnv32(bytes 0..11 of the header)). */
#define RAW_CHUNK_MAGIC 0x4b484353u  /* "SCHK" */
/* The same chunk with its checksum by fmt_chunk_sum4 (four lanes): the
 * zone buffers' chunks since 2026-12-06; a reader takes both. */
#define RAW_CHUNK_MAGIC4 0x34484353u  /* "SCH4" */
#define RAW_CHUNK_HDR 24
#define RAW_CHUNK_MAX (1u << 20)
#define RAW_MAX_STACK 1024          /* frames in one STACK record at most */

/* The watermark page (raw.PID.SEQ.wm, docs/format.md "Watermarks"): a file
 * the runtime creates before the stream's header and maps MAP_SHARED, so
 * that the launcher, which maps it too, can tell how old the oldest record
 * still held in any buffer is. 64 bytes of header (u32 magic, u32 slots,
 * u32 slots handed out, u32 overflow: a buffer got none), then two u64 per
 * buffer: the tick time of the first record committed since its last flush
 * (0: none), and the time stamp a malloc hook of its thread took for a
 * record not committed yet (0: none). Plain stores. Header bytes 16-23:
 * the stream bytes the launcher has decoded (u64, 0: no launcher reads
 * live), 24-31: its CLOCK_MONOTONIC ns when it last read; a thread whose
 * flush finds the launcher more than RAW_WM_BEHIND_MAX behind waits for it
 * (at most RAW_WM_WAIT_MS a flush, and only while it is reading). */
#define RAW_WM_MAGIC 0x4d574353u    /* "SCWM" */
#define RAW_WM_HDR 64
#define RAW_WM_SIZE 8192            /* two pages: small beside a 64 KiB chunk on a full disk */
#define RAW_WM_SLOTS ((RAW_WM_SIZE - RAW_WM_HDR) / 16)  /* 508 buffers at once */
/* A buffer whose oldest record is older than this (ms) is flushed at its
 * owner's next record, and by any other thread's such flush once it is
 * twice as old (its owner no longer records: blocked, or busy elsewhere). */
#define RAW_WM_AGE_MS 10
#define RAW_WM_BEHIND_MAX (512u << 10)
#define RAW_WM_WAIT_MS 200

/* Records inside a chunk: u8 type, a zigzag varint `dt`, then varint fields.
 * `dt` is the signed ticks since the previous record of the chunk (or the
 * chunk's base time): a record may carry a time taken before its predecessor's. Addresses in
 * ALLOC/FREE are zigzag deltas against the previous address of the chunk. */
enum raw_rec {
	RAW_ALLOC = 1,      /* dt, func, stack, size, addr-delta */
	RAW_FREE = 2,       /* dt, func, addr-delta (addr 0: free(NULL)) */
	RAW_STACK = 3,      /* dt (0), id, flags, n, then n zigzag deltas of the ips */
	RAW_MODULE = 4,     /* dt, id, bias, lo, hi, path-len, path, buildid-len, buildid */
	RAW_UNLOAD = 5,     /* dt, module id */
	RAW_THREAD = 6,     /* dt, tid, name-len, name  (thread's first record) */
	RAW_THREAD_END = 7, /* dt, tid, name-len, name */
	RAW_PROC = 8,       /* dt, pid, ppid, flags, depth, realtime ns, exe-len, exe, argv-len, argv (NUL separated) */
	RAW_EXIT = 9,       /* dt, kind (enum raw_exit), value */
	RAW_LOST = 10,      /* dt, chunks lost, bytes lost (failed writes before this one) */
	RAW_EXEC = 11,      /* dt, path-len, path: an exec was attempted */
	RAW_END = 12,       /* dt: the runtime's final flush; its absence means incomplete */
	RAW_RSS = 13,       /* dt, resident bytes: read by the runtime at its final flush */
	RAW_SAMPLE = 14,    /* dt, stack id, weight ns, flags (1: off-CPU, 2: leaf only: the stack could not be taken safely, it holds the interrupted pc alone) */
	RAW_CPU = 15,       /* dt, requested Hz, source (enum raw_cpu_source) */
	RAW_OFFCPU = 16,    /* dt (when the blocking call began), stack id, duration in ticks */
	/* Zones (include/scorch.h) and instrumented calls (--calls); names are
	 * interned per thread buffer: a ZNAME precedes the first use of its id in
	 * that thread's stream. Ids are unique in the process. */
	RAW_ZNAME = 17,     /* dt (0), id, u8 kind (enum raw_zname): string: name-len, name, file-len, file, line; function: address */
	RAW_ZBEGIN = 18,    /* dt, name id */
	RAW_ZEND = 19,      /* dt, name id, allocations, bytes (made on the thread since the begin), flags (RAW_ZF_*), [ticks of dropped calls inside, with RAW_ZF_DROPPED_KIDS] */
	RAW_ZMARK = 20,     /* dt, name id */
	RAW_ZCOUNTER = 21,  /* dt, name id, 8 bytes IEEE double LE */
	RAW_ZTHREAD = 22,   /* dt, name-len, name: SCORCH_THREAD_NAME */
	RAW_ZERROR = 23,    /* dt, kind (enum raw_zerror), expected name id (0 none), given name id (0 none) */
	RAW_ZDROP = 24,     /* dt, name id, calls, ticks, self ticks, min ticks, max ticks, outermost ticks, allocations, bytes: calls below --calls-min */
	RAW_PCPU = 25,      /* dt, phase (0: sampling began, 1: the final flush), the process's CPU time then (CLOCK_PROCESS_CPUTIME_ID, ns) */
	RAW_CPU_REFUSED = 26, /* dt, errno: perf_event_open refused a counter for this process, CPU-time timers sample it instead */
	RAW_NOTE = 27,      /* dt, kind (enum raw_note), pid, path-len, path, detail-len, detail: something scorch cannot see */
	RAW_LOST_EVENTS = 28, /* dt, events the runtime could not record so far in this image (a total, not a step) */
	/* Written by the launcher, not the runtime (cli/extsample.c): a CPU
	 * sample of the chunk's thread taken from outside, because the thread
	 * blocks the signal that in-process sampling needs. It carries its own
	 * stack (ips[0] an exact pc, then return addresses) and its time as
	 * CLOCK_MONOTONIC ns; the chunk's base time is the stream's start. */
	RAW_XSAMPLE = 29,   /* dt (0), CLOCK_MONOTONIC ns, weight ns, flags (RAW_SAMPLE_*), n, then n zigzag deltas of the ips */
	RAW_ZEND0 = 30,     /* dt, name id: a ZEND with no allocations, bytes or flags (most calls: 3 bytes less) */
};

/* RAW_NOTE kinds: what a process image cannot show, and why. The exec ones
 * are written just before the exec they are about (with its RAW_EXEC). */
enum raw_note {
	NOTE_EXEC_FAILED = 0,   /* the exec noted last by this pid failed: forget its note */
	NOTE_EXEC_SETID = 1,    /* exec of a set-user-ID or set-group-ID program: the loader ignores LD_PRELOAD */
	NOTE_EXEC_CAPS = 2,     /* exec of a program with file capabilities: likewise */
	NOTE_EXEC_STATIC = 3,   /* exec of a statically linked program: no loader to preload with */
	NOTE_EXEC_CHILD = 4,    /* a vfork child (pid) execs path: its image should write a stream */
	NOTE_EXEC_UNRECORDED = 5, /* (launcher) an exec'd image wrote no stream: its loader refused LD_PRELOAD */
	NOTE_OWN_MALLOC = 6,    /* the malloc family resolves outside scorch (path: where; detail: which) */
	NOTE_OWN_ALLOCATOR = 7, /* (finalize) a Rust #[global_allocator] that never called malloc */
};

/* RAW_ZNAME kinds */
enum raw_zname {
	ZNAME_STRING = 0,    /* a zone, mark or counter name, with its source position */
	ZNAME_FUNC = 1,      /* an instrumented function's address, named at finalize */
};

/* RAW_ZEND flags */
#define RAW_ZF_UNWOUND 1u       /* its frame was left by longjmp or an exception: ended at the first event after */
#define RAW_ZF_THREAD_EXIT 2u   /* still open when its thread exited */
#define RAW_ZF_DROPPED_KIDS 4u  /* a field follows: ticks of calls inside it below --calls-min */

/* RAW_ZERROR kinds */
enum raw_zerror {
	ZERR_END_MISMATCH = 1,   /* scorch_zone_end(given) while `expected` was the innermost open zone */
	ZERR_END_UNOPENED = 2,   /* scorch_zone_end(given) with no open zone of that name */
};

/* The malloc family, as recorded in ALLOC/FREE `func`. */
enum raw_func {
	FN_MALLOC = 0,
	FN_CALLOC,
	FN_REALLOC,          /* ALLOC: the new block of a realloc; FREE: realloc(p, 0) freeing p */
	FN_REALLOCARRAY,
	FN_POSIX_MEMALIGN,
	FN_ALIGNED_ALLOC,
	FN_MEMALIGN,
	FN_VALLOC,
	FN_PVALLOC,
	FN_FREE,
	FN_FREE_SIZED,
	FN_FREE_ALIGNED_SIZED,
	FN_REALLOC_MOVE,     /* FREE only: the old block given to realloc/reallocarray */
	FN__COUNT
};

enum raw_exit {
	EXIT_NORMAL = 1,     /* value = exit status (from exit()/_exit()) */
	EXIT_SIGNAL = 2,     /* value = signal number */
	EXIT_EXEC = 3,       /* image replaced by exec */
	EXIT_UNKNOWN = 4,    /* left main without a known status */
};

enum raw_cpu_source {
	CPU_SRC_PERF_CPU_CLOCK = 1,
	CPU_SRC_PERF_TASK_CLOCK = 2,
	CPU_SRC_TIMER = 3,          /* timer_create(CLOCK_THREAD_CPUTIME_ID) */
	CPU_SRC_TRACED = 4,         /* none: the process was traced (a debugger, strace) */
};

/* RAW_PROC flags */
#define RAW_PROC_HEAP 1u
#define RAW_PROC_FORKED 2u   /* created by fork in a recorded parent */
#define RAW_PROC_EXECED 4u   /* image came from exec of a recorded process */
#define RAW_PROC_CPU 8u      /* CPU samples */
#define RAW_PROC_WALL 16u    /* and off-CPU spans (wall-clock profile) */
#define RAW_PROC_ATTACHED 32u /* written by the launcher for a running process it attached to
                               * (record -p): XSAMPLE records only, every one counts */
#define RAW_PROC_LAUNCHED 64u /* with ATTACHED: a program scorch ran but could not preload
                               * (static, set-id), sampled from outside from its exec */

/* RAW_STACK flags */
#define RAW_STACK_EXACT_PC 1u  /* ips[0] is an exact pc, not a return address */
/* RAW_SAMPLE flags */
#define RAW_SAMPLE_OFFCPU 1u
#define RAW_SAMPLE_LEAF_ONLY 2u  /* taken where unwinding was unsafe: the pc alone */

#endif
