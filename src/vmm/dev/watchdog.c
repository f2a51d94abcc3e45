// SPDX-License-Identifier: Apache-2.0
/*
 * The watchdog models' common part (watchdog.h): the option, the
 * countdown on vessel's event loop (a deadline on the loop's timerfd,
 * never a vCPU thread), and the expiry actions.
 */
#include "watchdog.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "../../common/conf.h"
#include "../../common/log.h"

static const char *const wdt_action_names[] = {
	[WDT_TERMINATE] = "terminate",
	[WDT_RESET] = "reset",
	[WDT_POWEROFF] = "poweroff",
	[WDT_PAUSE] = "pause",
	[WDT_NMI] = "nmi",
	[WDT_NONE] = "none",
};

const char *wdt_action_name(enum wdt_action a)
{
	return wdt_action_names[a];
}

static int wdt_parse_action(const char *name, enum wdt_action *a)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(wdt_action_names); i++) {
		if (!strcmp(name, wdt_action_names[i])) {
			*a = i;
			return 0;
		}
	}
	return -EINVAL;
}

int wdt_configure(struct wdt *w, struct dev_env *env, const char *model,
		  void (*fire)(void *dev), void *dev)
{
	const char *list = conf_get(env_conf(env), "watchdog");
	char want[16] = "i6300esb", action[16] = "terminate";

	if (!list)
		return 0;
	/* conf.c checked the words; this only picks them out. */
	conf_sub_get(list, "model", want, sizeof(want));
	if (strcmp(want, model))
		return 0;
	conf_sub_get(list, "action", action, sizeof(action));
	memset(w, 0, sizeof(*w));
	if (wdt_parse_action(action, &w->action)) {
		log_err("watchdog: unknown action '%s'", action);
		return -EINVAL;
	}
	w->env = env;
	w->model = model;
	snprintf(w->by, sizeof(w->by), "watchdog-%s", model);
	w->timer.fire = fire;
	w->timer.dev = dev;
	return 1;
}

static void wdt_event(struct wdt *w, const char *type)
{
	struct env_field f[] = {
		{ .key = "model", .str = w->model },
		{ .key = "timeout", .num = w->timeout_ns / 1e9 },
	};

	env_event_fields(w->env, type, f, ARRAY_SIZE(f));
}

/* Arm the countdown for @deadline, unless the VM is paused. */
static void wdt_arm(struct wdt *w, u64 deadline)
{
	w->deadline_ns = deadline;
	if (!w->paused_ns)
		env_timer_arm_at(w->env, &w->timer, deadline);
}

void wdt_start(struct wdt *w, u64 timeout_ns, u64 stage_ns)
{
	u64 now = env_now_ns(w->env);

	w->running = true;
	w->timeout_ns = timeout_ns;
	w->kick_ns = now;
	wdt_arm(w, now + stage_ns);
	wdt_event(w, "watchdog-started");
}

void wdt_kick(struct wdt *w, u64 timeout_ns, u64 stage_ns)
{
	u64 now = env_now_ns(w->env);

	w->timeout_ns = timeout_ns;
	w->kick_ns = now;
	wdt_arm(w, now + stage_ns);
}

/*
 * After an expiry the guest survives, the count starts again no sooner
 * than this: a guest that set a zero timeout (ib700's index 15, an
 * i6300esb preload of 0) would otherwise have the main loop's timer pass
 * fire the watchdog without end, never returning to its fds or signals.
 * Linux's drivers set stages of 0.5 s and more: none is changed.
 * (WDT_RESTART_MIN_NS, watchdog.h.)
 */
void wdt_restart(struct wdt *w, u64 stage_ns)
{
	wdt_arm(w, env_now_ns(w->env) + MAX(stage_ns, WDT_RESTART_MIN_NS));
}

void wdt_next_stage(struct wdt *w, u64 stage_ns)
{
	/* From the last deadline, not from now: lateness never accumulates. */
	wdt_arm(w, w->deadline_ns + stage_ns);
}

void wdt_stop(struct wdt *w)
{
	env_timer_cancel(w->env, &w->timer);
	w->deadline_ns = 0;
	if (!w->running)
		return;
	w->running = false;
	wdt_event(w, "watchdog-stopped");
}

void wdt_quiesce(struct wdt *w)
{
	env_timer_cancel(w->env, &w->timer);
	w->deadline_ns = 0;
}

/*
 * A paused guest cannot kick: its countdown holds still and resumes with
 * what was left, and the last kick moves by the pause so that expiry
 * reports count guest time only.
 */
void wdt_pause(struct wdt *w, bool paused)
{
	u64 now = env_now_ns(w->env), held;

	if (paused) {
		if (w->paused_ns)
			return;
		w->paused_ns = now;
		env_timer_cancel(w->env, &w->timer);
		return;
	}
	if (!w->paused_ns)
		return;
	held = now - w->paused_ns;
	w->paused_ns = 0;
	if (!w->deadline_ns)
		return;
	w->kick_ns += held;
	wdt_arm(w, w->deadline_ns + held);
}

/*
 * A guest that survives its watchdog's expiry (action none, nmi, pause,
 * poweroff ignored) may let it expire every WDT_RESTART_MIN_NS: the first
 * WDT_REPORT_BURST expiries are logged and reported, then at most one a
 * second, which counts those in between ("unreported").
 */
#define WDT_REPORT_BURST 16
#define WDT_REPORT_GAP_NS 1000000000ULL

static void wdt_report(struct wdt *w, u64 now)
{
	u64 unreported = 0;
	struct env_field f[] = {
		{ .key = "model", .str = w->model },
		{ .key = "action", .str = wdt_action_name(w->action) },
		{ .key = "timeout", .num = w->timeout_ns / 1e9 },
		{ .key = "since_kick", .num = (now - w->kick_ns) / 1e9 },
		{ .key = "late",
		  .num = ((double)now - (double)w->deadline_ns) / 1e9 },
		{ .key = "unreported", .integer = true }, /* set below */
	};

	if (!ratelimit_pass(&w->reports, now, WDT_REPORT_BURST,
			    WDT_REPORT_GAP_NS, &unreported))
		return;
	f[ARRAY_SIZE(f) - 1].num = unreported;
	log_warn("watchdog %s expired %.3f s after the last kick: %s%s",
		 w->model, (now - w->kick_ns) / 1e9, wdt_action_name(w->action),
		 w->reports.passed == WDT_REPORT_BURST ?
			 " (from now on at most one report a second)" :
			 "");
	env_event_fields(w->env, "watchdog-expired", f,
			 ARRAY_SIZE(f) - !unreported);
}

bool wdt_expire(struct wdt *w, u64 now)
{
	wdt_report(w, now);
	switch (w->action) {
	case WDT_TERMINATE:
		env_request_stop(w->env, STOP_WATCHDOG, w->model);
		return false;
	case WDT_RESET:
		env_request_stop(w->env, STOP_REBOOT, w->by);
		return false;
	case WDT_POWEROFF:
		env_power_button(w->env, w->by);
		break;
	case WDT_PAUSE:
		env_pause(w->env, w->by);
		break;
	case WDT_NMI:
		if (env_nmi(w->env))
			log_warn_once("watchdog %s: NMI injection failed",
				      w->model);
		break;
	case WDT_NONE:
		break;
	}
	return true;
}
