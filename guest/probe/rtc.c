/*
 * MC146818 at ports 0x70/0x71 (Motorola datasheet; Linux's
 * drivers/rtc/mc146818-lib.c). The registers are read twice until both
 * reads agree and UIP was clear, so that an update between two reads
 * cannot mix old and new fields; BCD and 12-hour modes follow reg B.
 * The century comes from register 0x32 (the FADT's usual CENTURY); a
 * zero there means 20xx.
 */
#include "rtc.h"
#include "lib.h"
#include "x86.h"

#define CMOS_INDEX 0x70
#define CMOS_DATA 0x71
#define RTC_SECONDS 0x00
#define RTC_MINUTES 0x02
#define RTC_HOURS 0x04
#define RTC_DAY 0x07
#define RTC_MONTH 0x08
#define RTC_YEAR 0x09
#define RTC_REG_A 0x0a
#define RTC_REG_B 0x0b
#define RTC_CENTURY 0x32
#define RTC_A_UIP 0x80
#define RTC_B_BINARY 0x04
#define RTC_B_24H 0x02
#define RTC_PM 0x80
#define RTC_TRIES 1000

enum { SEC, MIN, HOUR, DAY, MON, YEAR, CENT, NR_FIELDS };

static const u8 field_reg[NR_FIELDS] = { RTC_SECONDS, RTC_MINUTES, RTC_HOURS,
					 RTC_DAY,     RTC_MONTH,   RTC_YEAR,
					 RTC_CENTURY };

static u8 cmos_read(u8 reg)
{
	outb(reg, CMOS_INDEX);
	return inb(CMOS_DATA);
}

static void read_fields(u8 f[NR_FIELDS])
{
	int i;

	for (i = 0; i < NR_FIELDS; i++)
		f[i] = cmos_read(field_reg[i]);
}

static u32 bcd(u8 v)
{
	return (v >> 4) * 10 + (v & 0x0f);
}

/* Days from 1970-01-01 to @y-@m-@d (Howard Hinnant's days_from_civil). */
static s64 days_from_civil(s64 y, u32 m, u32 d)
{
	s64 era;
	u32 yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = (u32)(y - era * 400);
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (s64)doe - 719468;
}

u64 rtc_unix_seconds(void)
{
	u8 a[NR_FIELDS], b[NR_FIELDS], regb, pm;
	u32 v[NR_FIELDS], i;
	int tries;

	for (tries = 0; tries < RTC_TRIES; tries++) {
		if (cmos_read(RTC_REG_A) & RTC_A_UIP)
			continue;
		read_fields(a);
		read_fields(b);
		if (!memcmp(a, b, sizeof(a)))
			break;
	}
	regb = cmos_read(RTC_REG_B);
	pm = a[HOUR] & RTC_PM;
	a[HOUR] &= ~RTC_PM;
	for (i = 0; i < NR_FIELDS; i++)
		v[i] = regb & RTC_B_BINARY ? a[i] : bcd(a[i]);
	if (!(regb & RTC_B_24H))
		v[HOUR] = v[HOUR] % 12 + (pm ? 12 : 0);
	if (!v[CENT])
		v[CENT] = 20;
	if (tries == RTC_TRIES || v[MON] < 1 || v[MON] > 12 || v[DAY] < 1 ||
	    v[DAY] > 31 || v[HOUR] > 23 || v[MIN] > 59 || v[SEC] > 59)
		return 0;
	return (u64)days_from_civil(v[CENT] * 100 + v[YEAR], v[MON], v[DAY]) *
		       86400 +
	       v[HOUR] * 3600 + v[MIN] * 60 + v[SEC];
}
