/* Error reporting for the tool side (never linked into the runtime).
 * die() prints "scorch: <msg>" and exits 2; error() prints and returns -1 so
 * callers can `return error(...)`; BUG() marks a broken invariant. */
#ifndef SCORCH_LIB_DIE_H
#define SCORCH_LIB_DIE_H

#include <stdnoreturn.h>

noreturn void die(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
noreturn void die_code(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void warning(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
noreturn void bug_at(const char *file, int line, const char *msg);
#define BUG(msg) bug_at(__FILE__, __LINE__, (msg))

/* Allocation that dies with a clear message instead of returning NULL. */
void *xmalloc(unsigned long n);
void *xcalloc(unsigned long n, unsigned long size);
void *xrealloc(void *p, unsigned long n);
char *xstrdup(const char *s);

#endif
