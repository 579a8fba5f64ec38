/* Demangling of C++ (Itanium, through the C++ runtime's __cxa_demangle) and
 * Rust (legacy "_ZN...17h<hash>E" and v0 "_R..." schemes, our own decoder). */
#ifndef SCORCH_ANALYSIS_DEMANGLE_H
#define SCORCH_ANALYSIS_DEMANGLE_H

#include "../lib/arena.h"

/* Returns the demangled form of `sym` allocated in `a`, or NULL when `sym` is
 * not a mangled name this knows (the caller then shows it as is). Rust legacy
 * names lose their "::h<16 hex>" hash suffix, as rustc-demangle's alternate
 * form does. Never crashes on malformed input: it returns NULL instead.
 * Clone suffixes show as c++filt shows them ("f() [clone .cold]"), and
 * ThinLTO's ".llvm.<hash>" is dropped. */
char *demangle(const char *sym, struct arena *a);

/* The short form of a demangled C++ or Rust name that views show by
 * default, as pprof and speedscope do: no return type, template arguments,
 * parameter lists, qualifiers or clone suffixes
 * ("void std::vector<int>::push_back(int const&)" -> "std::vector::push_back",
 * "<alloc::vec::Vec<T> as core::ops::Drop>::drop" -> "<alloc::vec::Vec as
 * core::ops::Drop>::drop"). Operators keep their symbols ("operator<",
 * "operator()"), "(anonymous namespace)" and lambdas stay. Returns the short
 * name in `a`, or NULL when it is the name itself or the brackets do not
 * balance (show the name as it is). */
char *demangle_short(const char *name, struct arena *a);

#endif
