/* The time stamp counter as the runtime's clock: usable only where the
 * kernel itself keeps time with it (then it is invariant and synchronized
 * across CPUs), and calibrated against CLOCK_MONOTONIC by the launcher, so
 * each profiled process need not.
 *
 * A calibration is two (clock, tick) pairs: one taken when it begins, one
 * whenever its result is read. The longer apart, the better: each pair is
 * read within about 30 ns, so a read 1 ms after the beginning is good to
 * about 6e-5, one 100 ms after to about 6e-7. The launcher reads a rough
 * value for the runtime before the program starts and the precise one
 * while the program runs, so no run waits for it. */
#ifndef SCORCH_LIB_TSC_H
#define SCORCH_LIB_TSC_H

#include <stdint.h>

struct tsc_cal {
	uint64_t ns0, tick0;
};

/* Begins a calibration. Returns 0, or -1 when the TSC is not the kernel's
 * clocksource or this is not x86 (the runtime then uses CLOCK_MONOTONIC). */
int tsc_cal_begin(struct tsc_cal *c);

/* Femtoseconds per TSC tick measured from the beginning until now, or 0
 * if the clocks did not both advance. */
uint64_t tsc_cal_read(const struct tsc_cal *c);

/* Nanoseconds of CLOCK_MONOTONIC since the calibration began. */
uint64_t tsc_cal_elapsed_ns(const struct tsc_cal *c);

#endif
