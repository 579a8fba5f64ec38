/* cpu-static-split: cpu-split (work_a/b/c at 50/30/20 of its CPU time, for
 * argv[1] ms) linked statically (the Makefile links names that contain
 * "static" with -static): preloading cannot reach it, attaching (scorch
 * record -p, t048) can. Prints what cpu-split prints. */
#include "cpu-split.c"
