/* stats-linked: stats.c linked with -lscorch (the Makefile links programs
 * whose name contains "linked" that way), so the statistics work without the
 * scorch launcher: the runtime counts, but records nothing. */
#include "stats.c"
