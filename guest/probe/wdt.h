/*
 * Watchdog drivers, each doing what its Linux driver does, register by
 * register: drivers/watchdog/i6300esb.c and drivers/watchdog/ib700wdt.c.
 */
#ifndef PROBE_WDT_H
#define PROBE_WDT_H

#include "types.h"

struct wdt;

struct wdt_ops {
	const char *name;
	u32 min_timeout, max_timeout; /* the driver's parameter range, s */
	/* Find and program the device for w->timeout; -errno after a FAIL. */
	int (*init)(struct wdt *w);
	/* /dev/watchdog opened: start the countdown (w->nowayout applies). */
	void (*start)(struct wdt *w);
	/* A write to /dev/watchdog. */
	void (*keepalive)(struct wdt *w);
	/* Closed after the magic 'V': true if the hardware stopped. */
	bool (*stop)(struct wdt *w);
};

struct wdt {
	const struct wdt_ops *ops;
	u32 timeout; /* the driver's heartbeat/timeout parameter, s */
	bool nowayout;
	/* Set by init: the last kick to expiry as programmed, ns. */
	u64 period_ns;
	/* i6300esb: the function and its BAR0. */
	u8 devfn;
	u32 base;
};

extern const struct wdt_ops wdt_i6300esb, wdt_ib700;

#endif
