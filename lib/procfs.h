/* Reading the small text files of /proc (stat, statm, status, comm) in one
 * read(2), as the kernel hands them over whole. */
#ifndef SCORCH_LIB_PROCFS_H
#define SCORCH_LIB_PROCFS_H

#include <stddef.h>

/* Reads /proc/PID/NAME (/proc/PID/task/TID/NAME when tid > 0) into buf,
 * NUL-terminated, at most cap - 1 bytes. Returns the length, or -1 when the
 * file cannot be read or is empty (the process or thread is gone). */
int procfs_read(int pid, int tid, const char *name, char *buf, size_t cap);

#endif
