/* The time stamp counter as the runtime's clock: usable only where the
 * kernel itself keeps time with it (then it is invariant and synchronized
 * across CPUs), and calibrated against CLOCK_MONOTONIC by the launcher once,
 * so each profiled process need not. */
#ifndef SCORCH_LIB_TSC_H
#define SCORCH_LIB_TSC_H

#include <stdint.h>

/* Femtoseconds per TSC tick measured over about `ms` milliseconds, or 0
 * when the TSC is not the kernel's clocksource or this is not x86. */
uint64_t tsc_calibrate(unsigned ms);

#endif
