// SPDX-License-Identifier: Apache-2.0
/*
 * The MC146818 CMOS real-time clock at ports 0x70 (index) and 0x71
 * (data), as Linux's rtc-cmos and mc146818-lib drive it. Register
 * numbers and bits are the Motorola MC146818A datasheet's.
 *
 * Time is the host's UTC wall clock plus a guest offset in seconds: a
 * guest that sets the clock (reg B SET, write, clear SET) keeps its own
 * time. UIP always reads 0: answering 1 (or 0xff) makes Linux spin on it
 * (HARNESS.md). Update-ended, alarm and periodic interrupts are
 * deadline timers on the main loop; IRQ 8 gets one edge when reg C's
 * IRQF rises, and reading reg C clears the flags.
 *
 * Simplifications: the day of week is derived from the date (writes to
 * it are ignored); the flags UF and AF are only maintained while UIE or
 * AIE is set, PF only while PIE is set; the divider bits of reg A are
 * stored but do not stop the clock.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <time.h>

#include "../../common/log.h"
#include "../boot/acpi/aml.h"
#include "../boot/layout.h"
#include "dev.h"
#include "rtc.h"

#define RTC_SECONDS 0x00
#define RTC_SECONDS_ALARM 0x01
#define RTC_MINUTES 0x02
#define RTC_MINUTES_ALARM 0x03
#define RTC_HOURS 0x04
#define RTC_HOURS_ALARM 0x05
#define RTC_DAY_OF_WEEK 0x06 /* 1 = Sunday */
#define RTC_DAY_OF_MONTH 0x07
#define RTC_MONTH 0x08
#define RTC_YEAR 0x09
#define RTC_REG_A 0x0a
#define RTC_REG_B 0x0b
#define RTC_REG_C 0x0c
#define RTC_REG_D 0x0d
#define RTC_CENTURY 0x32 /* PC convention; the FADT's CENTURY field */
#define RTC_NR_REGS 128

#define RTC_A_UIP 0x80
#define RTC_A_DV_32KHZ 0x20 /* divider 010: 32.768 kHz time base */
#define RTC_A_RS_1024HZ 0x06
#define RTC_A_RS_MASK 0x0f

#define RTC_B_SET 0x80
#define RTC_B_PIE 0x40
#define RTC_B_AIE 0x20
#define RTC_B_UIE 0x10
#define RTC_B_SQWE 0x08
#define RTC_B_DM_BINARY 0x04
#define RTC_B_24H 0x02
#define RTC_B_DSE 0x01

#define RTC_C_IRQF 0x80
#define RTC_C_PF 0x40
#define RTC_C_AF 0x20
#define RTC_C_UF 0x10

#define RTC_D_VRT 0x80 /* valid RAM and time: the battery is good */

#define RTC_ALARM_DONT_CARE 0xc0 /* alarm bytes 0xc0-0xff match any value */
#define RTC_HOUR_PM 0x80 /* 12-hour mode */

#define NS_PER_SEC 1000000000LL

struct rtc {
	pthread_mutex_t lock;
	struct dev_env *env;
	u8 index; /* bit 7 is the NMI mask: stored, ignored */
	u8 cmos[RTC_NR_REGS]; /* time bytes: last latched or SET copy */
	s64 offset; /* guest time - host time, seconds */
	s64 (*wall_ns)(void); /* host UTC, ns since the epoch */
	struct dev_timer update; /* once a second: UF, AF */
	struct dev_timer periodic;
	bool update_armed, periodic_armed;
	bool quiesced;
};

static s64 rtc_host_wall_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (s64)ts.tv_sec * NS_PER_SEC + ts.tv_nsec;
}

/* Host seconds, rounded down also before 1970. */
static s64 rtc_host_secs(const struct rtc *r)
{
	s64 ns = r->wall_ns();

	return ns / NS_PER_SEC - (ns % NS_PER_SEC < 0);
}

/* --- time <-> registers (BCD or binary per reg B DM) --- */

static bool rtc_bcd(const struct rtc *r)
{
	return !(r->cmos[RTC_REG_B] & RTC_B_DM_BINARY);
}

static u8 rtc_enc(const struct rtc *r, int v)
{
	return rtc_bcd(r) ? (u8)((v / 10) << 4 | v % 10) : (u8)v;
}

/* -1 when @v is not a valid BCD byte. */
static int rtc_dec(const struct rtc *r, u8 v)
{
	if (!rtc_bcd(r))
		return v;
	if ((v >> 4) > 9 || (v & 0xf) > 9)
		return -1;
	return (v >> 4) * 10 + (v & 0xf);
}

/* MC146818A reg B bit 1: 12-hour mode codes 1-12 with bit 7 for PM. */
static u8 rtc_enc_hour(const struct rtc *r, int h)
{
	if (r->cmos[RTC_REG_B] & RTC_B_24H)
		return rtc_enc(r, h);
	return rtc_enc(r, h % 12 ? h % 12 : 12) | (h >= 12 ? RTC_HOUR_PM : 0);
}

static int rtc_dec_hour(const struct rtc *r, u8 v)
{
	int h;

	if (r->cmos[RTC_REG_B] & RTC_B_24H)
		return rtc_dec(r, v);
	h = rtc_dec(r, v & ~RTC_HOUR_PM);
	if (h < 1 || h > 12)
		return -1;
	return h % 12 + ((v & RTC_HOUR_PM) ? 12 : 0);
}

/* Copy the running clock into the time registers (not while SET). */
static void rtc_latch(struct rtc *r)
{
	time_t t;
	struct tm tm;
	u8 *c = r->cmos;

	if (c[RTC_REG_B] & RTC_B_SET)
		return;
	t = (time_t)(rtc_host_secs(r) + r->offset);
	if (!gmtime_r(&t, &tm))
		return;
	c[RTC_SECONDS] = rtc_enc(r, tm.tm_sec);
	c[RTC_MINUTES] = rtc_enc(r, tm.tm_min);
	c[RTC_HOURS] = rtc_enc_hour(r, tm.tm_hour);
	c[RTC_DAY_OF_WEEK] = rtc_enc(r, tm.tm_wday + 1);
	c[RTC_DAY_OF_MONTH] = rtc_enc(r, tm.tm_mday);
	c[RTC_MONTH] = rtc_enc(r, tm.tm_mon + 1);
	c[RTC_YEAR] = rtc_enc(r, (tm.tm_year + 1900) % 100);
	c[RTC_CENTURY] = rtc_enc(r, (tm.tm_year + 1900) / 100 % 100);
}

static bool rtc_in(int v, int lo, int hi)
{
	return v >= lo && v <= hi;
}

/* The time registers as a struct tm; false when any field is invalid. */
static bool rtc_regs_tm(const struct rtc *r, struct tm *tm)
{
	const u8 *c = r->cmos;
	int cent = rtc_dec(r, c[RTC_CENTURY]), yy = rtc_dec(r, c[RTC_YEAR]);

	*tm = (struct tm){
		.tm_sec = rtc_dec(r, c[RTC_SECONDS]),
		.tm_min = rtc_dec(r, c[RTC_MINUTES]),
		.tm_hour = rtc_dec_hour(r, c[RTC_HOURS]),
		.tm_mday = rtc_dec(r, c[RTC_DAY_OF_MONTH]),
		.tm_mon = rtc_dec(r, c[RTC_MONTH]) - 1,
		.tm_year = cent * 100 + yy - 1900,
	};
	return rtc_in(tm->tm_sec, 0, 59) && rtc_in(tm->tm_min, 0, 59) &&
	       rtc_in(tm->tm_hour, 0, 23) && rtc_in(tm->tm_mday, 1, 31) &&
	       rtc_in(tm->tm_mon, 0, 11) && rtc_in(cent, 0, 99) &&
	       rtc_in(yy, 0, 99);
}

/* The guest set the clock: keep its time as an offset from the host's. */
static void rtc_commit(struct rtc *r)
{
	struct tm tm;
	time_t t;

	if (!rtc_regs_tm(r, &tm)) {
		log_warn_once(
			"rtc: guest set an invalid time; clock unchanged");
		return;
	}
	t = timegm(&tm);
	r->offset = (s64)t - rtc_host_secs(r);
}

/* --- interrupts and timers --- */

/* IRQF = PF.PIE + AF.AIE + UF.UIE (MC146818A reg C); one edge as it rises. */
static void rtc_update_irq(struct rtc *r)
{
	u8 b = r->cmos[RTC_REG_B], c = r->cmos[RTC_REG_C];
	bool irqf = c & b & (RTC_C_PF | RTC_C_AF | RTC_C_UF);

	r->cmos[RTC_REG_C] = (c & ~RTC_C_IRQF) | (irqf ? RTC_C_IRQF : 0);
	if (irqf && !(c & RTC_C_IRQF)) {
		env_irq_set(r->env, IRQ_RTC, 1);
		env_irq_set(r->env, IRQ_RTC, 0);
	}
}

/* The periodic rate of reg A RS (MC146818A Table 5, 32.768 kHz base). */
static u64 rtc_period_ns(const struct rtc *r)
{
	unsigned int rs = r->cmos[RTC_REG_A] & RTC_A_RS_MASK;

	if (!rs)
		return 0;
	if (rs <= 2)
		rs += 7; /* 256 Hz and 128 Hz */
	return ((u64)NS_PER_SEC << (rs - 1)) / 32768;
}

/*
 * Nanoseconds to the next host second, when the time registers update.
 * Within 10 ms of one, aim for the one after: an update that fires a
 * little early (the wall clock stepped) must not fire twice.
 */
static u64 rtc_to_next_second(const struct rtc *r)
{
	s64 ns = r->wall_ns() % NS_PER_SEC;

	if (ns < 0)
		ns += NS_PER_SEC;
	ns = NS_PER_SEC - ns;
	return ns < NS_PER_SEC / 100 ? ns + NS_PER_SEC : ns;
}

static void rtc_timer_set(struct rtc *r, struct dev_timer *t, bool *armed,
			  bool on, u64 delay_ns)
{
	if (on && !*armed)
		env_timer_arm(r->env, t, delay_ns);
	else if (!on && *armed)
		env_timer_cancel(r->env, t);
	*armed = on;
}

/* Run the timers that the enabled interrupts need, and only those. */
static void rtc_arm_timers(struct rtc *r)
{
	u8 b = r->cmos[RTC_REG_B];
	u64 period = rtc_period_ns(r);
	bool upd = !(b & RTC_B_SET) && (b & (RTC_B_UIE | RTC_B_AIE));
	bool per = (b & RTC_B_PIE) && period;

	rtc_timer_set(r, &r->update, &r->update_armed, upd && !r->quiesced,
		      rtc_to_next_second(r));
	rtc_timer_set(r, &r->periodic, &r->periodic_armed, per && !r->quiesced,
		      period);
}

/* Restart the periodic timer at once (its rate or enable changed). */
static void rtc_restart_periodic(struct rtc *r)
{
	rtc_timer_set(r, &r->periodic, &r->periodic_armed, false, 0);
}

static bool rtc_alarm_match(const struct rtc *r, int alarm, int now)
{
	return r->cmos[alarm] >= RTC_ALARM_DONT_CARE ||
	       r->cmos[alarm] == r->cmos[now];
}

/* Main loop, once a second: the update cycle ended. */
static void rtc_on_update(void *dev)
{
	struct rtc *r = dev;

	pthread_mutex_lock(&r->lock);
	r->update_armed = false;
	if (!r->quiesced && !(r->cmos[RTC_REG_B] & RTC_B_SET)) {
		rtc_latch(r);
		r->cmos[RTC_REG_C] |= RTC_C_UF;
		if (rtc_alarm_match(r, RTC_SECONDS_ALARM, RTC_SECONDS) &&
		    rtc_alarm_match(r, RTC_MINUTES_ALARM, RTC_MINUTES) &&
		    rtc_alarm_match(r, RTC_HOURS_ALARM, RTC_HOURS))
			r->cmos[RTC_REG_C] |= RTC_C_AF;
		rtc_update_irq(r);
	}
	rtc_arm_timers(r);
	pthread_mutex_unlock(&r->lock);
}

static void rtc_on_periodic(void *dev)
{
	struct rtc *r = dev;

	pthread_mutex_lock(&r->lock);
	r->periodic_armed = false;
	if (!r->quiesced) {
		r->cmos[RTC_REG_C] |= RTC_C_PF;
		rtc_update_irq(r);
	}
	rtc_arm_timers(r);
	pthread_mutex_unlock(&r->lock);
}

/* --- registers --- */

/* Registers the clock updates (not the alarms). */
static bool rtc_is_clock_reg(u8 reg)
{
	switch (reg) {
	case RTC_SECONDS:
	case RTC_MINUTES:
	case RTC_HOURS:
	case RTC_DAY_OF_WEEK:
	case RTC_DAY_OF_MONTH:
	case RTC_MONTH:
	case RTC_YEAR:
	case RTC_CENTURY:
		return true;
	}
	return false;
}

static void rtc_write_b(struct rtc *r, u8 v)
{
	u8 old = r->cmos[RTC_REG_B];

	if ((v & RTC_B_SET) && !(old & RTC_B_SET))
		rtc_latch(r); /* freeze the time the guest is about to edit */
	if (v & RTC_B_SET)
		v &= ~RTC_B_UIE; /* MC146818A: SET clears UIE */
	r->cmos[RTC_REG_B] = v;
	if ((old & RTC_B_SET) && !(v & RTC_B_SET))
		rtc_commit(r);
	if ((old ^ v) & RTC_B_PIE)
		rtc_restart_periodic(r);
}

static void rtc_write_time(struct rtc *r, u8 reg, u8 v)
{
	bool running = !(r->cmos[RTC_REG_B] & RTC_B_SET);

	if (reg == RTC_DAY_OF_WEEK)
		return; /* derived from the date */
	rtc_latch(r);
	r->cmos[reg] = v;
	/* Writing while the clock runs sets it at once. */
	if (running)
		rtc_commit(r);
}

static void rtc_write(struct rtc *r, u8 reg, u8 v)
{
	if (rtc_is_clock_reg(reg)) {
		rtc_write_time(r, reg, v);
		return;
	}
	switch (reg) {
	case RTC_REG_A:
		if ((r->cmos[RTC_REG_A] ^ v) & RTC_A_RS_MASK)
			rtc_restart_periodic(r);
		r->cmos[RTC_REG_A] = v & ~RTC_A_UIP;
		break;
	case RTC_REG_B:
		rtc_write_b(r, v);
		break;
	case RTC_REG_C: /* read-only */
	case RTC_REG_D:
		break;
	default:
		r->cmos[reg] = v; /* alarms and CMOS RAM */
		break;
	}
	rtc_update_irq(r);
	rtc_arm_timers(r);
}

static u8 rtc_read(struct rtc *r, u8 reg)
{
	u8 v;

	switch (reg) {
	case RTC_REG_C:
		v = r->cmos[RTC_REG_C];
		r->cmos[RTC_REG_C] = 0; /* reading clears every flag */
		return v;
	case RTC_REG_D:
		return RTC_D_VRT;
	case RTC_REG_A:
		return r->cmos[RTC_REG_A] & ~RTC_A_UIP;
	}
	if (rtc_is_clock_reg(reg))
		rtc_latch(r);
	return r->cmos[reg];
}

static enum io_res rtc_io(void *dev, struct io_access *a)
{
	struct rtc *r = dev;

	if (a->size != 1 || a->off > 1) {
		log_warn_once("rtc: ignoring %u-byte access at 0x%llx", a->size,
			      (unsigned long long)(PORT_RTC + a->off));
		return IO_UNHANDLED;
	}
	pthread_mutex_lock(&r->lock);
	if (a->off == 0 && a->write)
		r->index = a->val;
	else if (a->off == 0)
		a->val = 0xff; /* the index port is write-only */
	else if (a->write)
		rtc_write(r, r->index & (RTC_NR_REGS - 1), a->val);
	else
		a->val = rtc_read(r, r->index & (RTC_NR_REGS - 1));
	pthread_mutex_unlock(&r->lock);
	return IO_OK;
}

/* --- device --- */

void rtc_set_clock(void *dev, s64 (*wall_ns)(void))
{
	struct rtc *r = dev;

	pthread_mutex_lock(&r->lock);
	r->wall_ns = wall_ns;
	pthread_mutex_unlock(&r->lock);
}

/* The RESET pin (MC146818A): interrupt enables and flags clear, time runs. */
static void rtc_reset(void *dev)
{
	struct rtc *r = dev;

	pthread_mutex_lock(&r->lock);
	r->cmos[RTC_REG_B] &= ~(RTC_B_PIE | RTC_B_AIE | RTC_B_UIE | RTC_B_SQWE);
	r->cmos[RTC_REG_C] = 0;
	rtc_arm_timers(r);
	pthread_mutex_unlock(&r->lock);
}

static int rtc_create(struct dev_env *env, void **dev)
{
	struct rtc *r = calloc(1, sizeof(*r));
	int ret;

	*dev = NULL;
	if (!r)
		return -ENOMEM;
	pthread_mutex_init(&r->lock, NULL);
	r->env = env;
	r->wall_ns = rtc_host_wall_ns;
	r->update = (struct dev_timer){ .fire = rtc_on_update, .dev = r };
	r->periodic = (struct dev_timer){ .fire = rtc_on_periodic, .dev = r };
	r->cmos[RTC_REG_A] = RTC_A_DV_32KHZ | RTC_A_RS_1024HZ;
	r->cmos[RTC_REG_B] = RTC_B_24H;
	ret = env_bus_add(env, BUS_PIO, PORT_RTC, 2, rtc_io, r);
	if (ret) {
		log_err("rtc: ports 0x%x-0x%x are taken", PORT_RTC,
			PORT_RTC + 1);
		pthread_mutex_destroy(&r->lock);
		free(r);
		return ret;
	}
	*dev = r;
	return 0;
}

static void rtc_quiesce(void *dev, enum stop_reason why)
{
	struct rtc *r = dev;

	(void)why;
	pthread_mutex_lock(&r->lock);
	r->quiesced = true;
	rtc_arm_timers(r);
	pthread_mutex_unlock(&r->lock);
}

static void rtc_destroy(void *dev)
{
	struct rtc *r = dev;

	env_timer_cancel(r->env, &r->update);
	env_timer_cancel(r->env, &r->periodic);
	env_bus_del(r->env, BUS_PIO, PORT_RTC);
	pthread_mutex_destroy(&r->lock);
	free(r);
}

/* Device(RTC): Linux's rtc-cmos binds to PNP0B00 and takes IRQ 8 from it. */
static void rtc_dsdt(void *dev, struct aml *aml)
{
	size_t d, crs;

	(void)dev;
	d = aml_device_begin(aml, "RTC");
	aml_name_eisaid(aml, "_HID", "PNP0B00");
	crs = aml_crs_begin(aml, "_CRS");
	aml_crs_io(aml, PORT_RTC, PORT_RTC, 0x01, 0x02);
	aml_crs_irq(aml, IRQ_RTC);
	aml_crs_end(aml, crs);
	aml_block_end(aml, d);
}

VESSEL_DEVICE(dev_rtc) = {
	.name = "rtc",
	.prio = 21,
	.create = rtc_create,
	.reset = rtc_reset,
	.quiesce = rtc_quiesce,
	.destroy = rtc_destroy,
	.dsdt = rtc_dsdt,
};
