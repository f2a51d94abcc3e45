/* The CMOS real-time clock (MC146818) as the probe's wall clock. */
#ifndef PROBE_RTC_H
#define PROBE_RTC_H

#include "types.h"

/*
 * Seconds since 1970-01-01 00:00 UTC from the CMOS clock, read as
 * Linux's mc146818_get_time() does; 0 if the clock reads as nonsense
 * (no RTC: all 0xff).
 */
u64 rtc_unix_seconds(void);

#endif
