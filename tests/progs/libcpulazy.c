/* libcpulazy.so: 9000 tiny functions (cpu-lazy.h) for cpu-lazy, which calls
 * each once through a lazily bound PLT slot: lazy_N(x) returns x + N % 7. */
#include "cpu-lazy.h"

#define LAZY_DEF(n) int lazy_##n(int x) { return x + n % 7; }
LAZY_ALL(LAZY_DEF)
