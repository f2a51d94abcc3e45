/*
 * probe.test=watchdog. The guest behaves as a Linux system with a
 * watchdog daemon: the driver programs the device at probe time, the
 * daemon opens /dev/watchdog (start), writes to it every half period
 * (keepalive), then either dies (end=hang: nothing kicks any more, and
 * the machine idles until the watchdog's action ends it) or closes it
 * after the magic 'V' (end=stop: the driver's stop). Everything the
 * watchdog's actions need is set up before the device is touched, so
 * that nothing but idling follows the last kick: ACPI mode and the
 * power button (action poweroff ends as an S5, exit 0) and an NMI
 * handler that reports a panic through pvpanic, as a Linux guest booted
 * with unknown_nmi_panic would (action nmi ends as exit 34).
 */
#include "watchdog.h"
#include "apic.h"
#include "args.h"
#include "power.h"
#include "print.h"
#include "pvpanic.h"
#include "sci.h"
#include "trap.h"
#include "wdt.h"

#define MAX_KICKS 1000
#define DEFAULT_KICKS 3
#define DEFAULT_TIMEOUT 1
/* The LAPIC one-shot reaches 68 s at /16; longer waits are chained. */
#define WAIT_CHUNK_US 60000000ull
/* end=hang gives up after 10 periods and this; end=stop waits 3 and 1 s. */
#define HANG_PERIODS 10
#define HANG_EXTRA_US 5000000ull
#define STOP_PERIODS 3
#define STOP_EXTRA_US 1000000ull

static const struct acpi_info *nmi_acpi;

static void parse_args(struct wdt *w, u32 *kicks, bool *end_stop)
{
	const struct wdt_ops *ops =
		arg_choice("probe.wdt", "i6300esb", "ib700") ? &wdt_ib700 :
							       &wdt_i6300esb;

	w->ops = ops;
	w->timeout = arg_u32("probe.wdt.timeout", DEFAULT_TIMEOUT,
			     ops->min_timeout, ops->max_timeout);
	w->nowayout = arg_u32("probe.wdt.nowayout", 0, 0, 1);
	*kicks = arg_u32("probe.wdt.kicks", DEFAULT_KICKS, 0, MAX_KICKS);
	*end_stop = arg_choice("probe.wdt.end", "hang", "stop");
}

/*
 * An NMI is the watchdog's (action nmi): panic as Linux does on an
 * unknown NMI with unknown_nmi_panic, which pvpanic reports.
 */
static void watchdog_nmi(u8 vector)
{
	(void)vector;
	probe_pass("watchdog-nmi", NULL);
	pvpanic_panic(nmi_acpi);
}

static bool pressed(void *arg)
{
	(void)arg;
	return sci_power_button_pressed();
}

/* Idle for @us; true, early, if the power button was pressed. */
static bool idle_until_press(u64 us)
{
	u64 chunk;

	for (; us; us -= chunk) {
		chunk = us < WAIT_CHUNK_US ? us : WAIT_CHUNK_US;
		if (apic_wait(pressed, NULL, chunk))
			return true;
	}
	return pressed(NULL);
}

static u64 periods_us(const struct wdt *w, u32 n, u64 extra_us)
{
	return n * w->period_ns / 1000 + extra_us;
}

/* Start, then @kicks keepalives half a period apart. */
static void kick(const struct acpi_info *ai, struct wdt *w, u32 kicks)
{
	u64 gap_us = w->period_ns / 2000;
	u32 i;

	w->ops->start(w);
	for (i = 0; i < kicks; i++) {
		if (idle_until_press(gap_us)) {
			probe_fail("watchdog",
				   "power button pressed before kick %u of %u",
				   i + 1, kicks);
			power_off(ai);
		}
		w->ops->keepalive(w);
	}
	/* The host times expiry from this line: nothing may come between. */
	probe_info("watchdog last-kick");
	probe_line("READY watchdog");
}

/* No more kicks: the watchdog's action must end the machine. */
static __noreturn void hang(const struct acpi_info *ai, const struct wdt *w)
{
	if (idle_until_press(periods_us(w, HANG_PERIODS, HANG_EXTRA_US)))
		probe_pass("watchdog", "power button");
	else
		probe_fail("watchdog", "did not fire");
	power_off(ai);
}

__noreturn void watchdog_run(const struct acpi_info *ai,
			     const struct madt_info *m)
{
	struct wdt w = { 0 };
	bool end_stop;
	u32 kicks;

	parse_args(&w, &kicks, &end_stop);
	sci_enable_acpi(ai);
	sci_arm_power_button(ai, m);
	nmi_acpi = ai;
	trap_set_handler(VEC_NMI, watchdog_nmi);
	if (w.ops->init(&w))
		trap_triple_fault();
	probe_pass("watchdog-setup", "%s timeout %u", w.ops->name, w.timeout);
	probe_info(
		"watchdog period %llu ns, %u kicks %llu us apart, nowayout %u, end %s",
		w.period_ns, kicks, w.period_ns / 2000, w.nowayout,
		end_stop ? "stop" : "hang");
	kick(ai, &w, kicks);
	if (!end_stop)
		hang(ai, &w);
	if (!w.ops->stop(&w)) {
		probe_info("watchdog stop refused (nowayout)");
		hang(ai, &w);
	}
	probe_info("watchdog stopped; idle %llu us",
		   periods_us(&w, STOP_PERIODS, STOP_EXTRA_US));
	if (idle_until_press(periods_us(&w, STOP_PERIODS, STOP_EXTRA_US)))
		probe_fail("watchdog", "power button pressed after the stop");
	else
		probe_pass("watchdog", "stopped");
	power_off(ai);
}
