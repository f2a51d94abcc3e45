/* The time-stamp counter as a clock, calibrated against the LAPIC timer. */
#ifndef PROBE_TSC_H
#define PROBE_TSC_H

#include "types.h"

/*
 * TSC cycles per millisecond, measured over 50 ms of the LAPIC timer's
 * count (apic_clock_ns()); 0 if the TSC does not count.
 */
u64 tsc_khz(void);

static inline u64 tsc_to_ns(u64 cycles, u64 khz)
{
	return cycles * 1000000ull / khz;
}

#endif
