/* SPDX-License-Identifier: Apache-2.0 */
#ifndef VESSEL_WATCHDOG_H
#define VESSEL_WATCHDOG_H

/*
 * What the watchdog models (i6300esb.c, ib700.c) share: the `watchdog`
 * option, the guest-time countdown that stops while the VM is paused, and
 * what happens on expiry (DESIGN.md "Devices"): terminate (exit 4), reset
 * (exit 32), poweroff (the power button), pause, nmi, none. Each model
 * keeps its own registers and lock; it calls these with its lock held,
 * except wdt_expire(), which acts on the VM and is called unlocked.
 */

#include "../../common/ratelimit.h"
#include "dev.h"

enum wdt_action {
	WDT_TERMINATE,
	WDT_RESET,
	WDT_POWEROFF,
	WDT_PAUSE,
	WDT_NMI,
	WDT_NONE,
};

struct wdt {
	struct dev_env *env;
	const char *model; /* "i6300esb" */
	char by[24]; /* "watchdog-i6300esb", for stop events */
	enum wdt_action action;
	struct dev_timer timer; /* the model's fire() and device */
	bool running; /* the guest started it */
	u64 timeout_ns; /* programmed: kick to action */
	u64 kick_ns; /* host time of the last kick (or start) */
	u64 deadline_ns; /* of the armed stage; 0 when disarmed */
	u64 paused_ns; /* when the VM paused; 0 when running */
	struct ratelimit reports; /* of expiries (wdt_report) */
};

/*
 * Read the `watchdog` option. Returns 1 when it names @model (*@w is set
 * up, its timer calls @fire(@dev)), 0 when the guest has another model
 * or none, -EINVAL after logging a bad option.
 */
int wdt_configure(struct wdt *w, struct dev_env *env, const char *model,
		  void (*fire)(void *dev), void *dev);

const char *wdt_action_name(enum wdt_action a);

/* The guest started the countdown: stage 1 ends @stage_ns from now. */
void wdt_start(struct wdt *w, u64 timeout_ns, u64 stage_ns);
/* The guest kicked it: the countdown starts again from now. */
void wdt_kick(struct wdt *w, u64 timeout_ns, u64 stage_ns);
/*
 * After an expiry the guest survived (nmi, none, poweroff, pause): count
 * down again from now (for WDT_RESTART_MIN_NS at least), the last kick
 * staying where it was.
 */
void wdt_restart(struct wdt *w, u64 stage_ns);
#define WDT_RESTART_MIN_NS 100000000ULL
/* Chain the next stage: it ends @stage_ns after the one that just did. */
void wdt_next_stage(struct wdt *w, u64 stage_ns);
/* The guest stopped it (or vessel does, quiescing). */
void wdt_stop(struct wdt *w);
/* vessel stops: no countdown from now on (the model's quiesce). */
void wdt_quiesce(struct wdt *w);
/* The VM paused (@paused) or resumed: hold or restart the countdown. */
void wdt_pause(struct wdt *w, bool paused);

/*
 * The countdown ran out @late_ns after its deadline: report it and act.
 * Called without the model's lock (the action may pause the VM, which
 * calls back into the model). Returns true when the guest goes on (the
 * model then restarts its countdown), false when it is stopping.
 */
bool wdt_expire(struct wdt *w, u64 now_ns);

#endif
