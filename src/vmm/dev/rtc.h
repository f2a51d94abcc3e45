/* SPDX-License-Identifier: Apache-2.0 */
#ifndef VESSEL_RTC_H
#define VESSEL_RTC_H

/*
 * The MC146818 CMOS RTC (dev_rtc, rtc.c) counts from the host's UTC wall
 * clock. Tests replace that clock: @wall_ns returns nanoseconds since the
 * epoch. Call right after create, before any guest access.
 */

#include "../../common/types.h"

void rtc_set_clock(void *dev, s64 (*wall_ns)(void));

#endif
