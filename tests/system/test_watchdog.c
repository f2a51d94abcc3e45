// SPDX-License-Identifier: Apache-2.0
/*
 * Watchdogs end to end (docs/watchdog.md): the probe guest programs and
 * kicks the i6300esb or the ib700 the way Linux's drivers do, then stops
 * kicking, or stops the watchdog as a magic close of /dev/watchdog does.
 * Each action's documented result is checked through the exit code, the
 * events and the control socket. Times are only checked for consistency
 * (the event's own arithmetic, "not before the deadline"), never for speed.
 */
#include <json-c/json.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "../lib/vmrun.h"

#define SETUP_MS 30000
#define EVENT_MS 30000
#define CTL_MS 20000
#define ESB "watchdog probe.wdt=i6300esb probe.wdt.timeout=1"
#define IB700 "watchdog probe.wdt=ib700 probe.wdt.timeout=1"
#define ESB_TIMEOUT 1.00663296 /* heartbeat 1 s: 2 x (512 << 15) x 30 ns */
#define IB700_TIMEOUT 2.0 /* timeout 1: margin 14, 2 s */
#define LAST_KICK "PROBE INFO watchdog last-kick"
#define SETUP_PASS "PROBE PASS watchdog-setup"

static void start(struct vmrun *r, const char *scenario, const char *wdt,
		  bool ctl)
{
	const char *extra[] = { "--watchdog", wdt, ctl ? "--control" : NULL,
				r->ctl, NULL };

	assert_int_equal(vmrun_start(r, scenario, extra), 0);
}

/* The expiry event's facts: model, action, and times that add up. */
static void check_expired(struct vmrun *r, int i, const char *model,
			  const char *action, double timeout)
{
	struct json_object *e;
	double t, since, late;

	if (i < 0) {
		vmrun_dump(r);
		fail_msg("no watchdog-expired event");
	}
	e = r->ev.ev[i];
	assert_string_equal(evlog_str(&r->ev, i, "model"), model);
	assert_string_equal(evlog_str(&r->ev, i, "action"), action);
	t = json_object_get_double(json_object_object_get(e, "timeout"));
	since = json_object_get_double(json_object_object_get(e, "since_kick"));
	late = json_object_get_double(json_object_object_get(e, "late"));
	/* The programmed timeout, to the microsecond the event prints. */
	if (t < timeout - 1e-6 || t > timeout + 1e-6)
		fail_msg("timeout %f, programmed %f", t, timeout);
	/* Never before the deadline; late is what lies past it. */
	assert_true(late >= 0);
	assert_true(since >= timeout);
	if (since - t - late > 2e-6 || since - t - late < -2e-6)
		fail_msg("since_kick %f != timeout %f + late %f", since, t,
			 late);
}

/* Poll the events file until @type shows @n times. */
static bool wait_events(struct vmrun *r, const char *type, int n)
{
	int waited;

	for (waited = 0; waited < EVENT_MS; waited += 100) {
		if (!vmrun_load_events(r) && evlog_count(&r->ev, type) >= n)
			return true;
		if (!vmproc_alive_after(&r->p, 100))
			break;
	}
	vmrun_load_events(r);
	return evlog_count(&r->ev, type) >= n;
}

static int ctl(const struct vmrun *r, const char *cmd, char *out, size_t size)
{
	const char *argv[] = { vesselctl_path(), "--vm", r->ctl, cmd,
			       "--json",	 NULL };
	struct vmproc c;
	int code;

	assert_int_equal(vmproc_start(&c, argv), 0);
	code = vmproc_wait_exit(&c, CTL_MS);
	if (out)
		snprintf(out, size, "%s", c.out ? c.out : "");
	/* 1 is an error reply, which some steps expect. */
	if (code && code != 1)
		vmproc_dump(&c);
	vmproc_free(&c);
	return code;
}

static void test_esb_terminate(void **state)
{
	struct vmrun *r = *state;
	static const char *const tail[] = {
		"watchdog-expired", "watchdog", "quiesce-start",
		"quiesce-end",	    "exit",	NULL
	};
	int i;

	start(r, ESB, "model=i6300esb,action=terminate", false);
	assert_int_equal(vmrun_finish(r), 4);
	assert_true(vmproc_count(&r->p, LAST_KICK) == 1);
	i = evlog_find(&r->ev, "watchdog-started", 0);
	assert_true(i >= 0);
	assert_string_equal(evlog_str(&r->ev, i, "model"), "i6300esb");
	i = evlog_find(&r->ev, "watchdog-expired", i);
	check_expired(r, i, "i6300esb", "terminate", ESB_TIMEOUT);
	assert_string_equal(evlog_str(&r->ev, i + 1, "by"), "i6300esb");
	{
		struct evlog rest = { .ev = r->ev.ev + i, .n = r->ev.n - i };

		assert_true(evlog_is(&rest, tail));
	}
}

/* Kicked for several timeouts, then stopped as a magic close does. */
static void test_esb_kicks_then_magic_close(void **state)
{
	struct vmrun *r = *state;

	start(r, ESB " probe.wdt.kicks=6 probe.wdt.end=stop", "model=i6300esb",
	      false);
	assert_int_equal(vmrun_finish(r), 0);
	assert_int_equal(vmproc_count(&r->p, "PROBE PASS watchdog: stopped"),
			 1);
	assert_int_equal(evlog_count(&r->ev, "watchdog-started"), 1);
	assert_int_equal(evlog_count(&r->ev, "watchdog-stopped"), 1);
	assert_int_equal(evlog_count(&r->ev, "watchdog-expired"), 0);
	assert_int_equal(evlog_count(&r->ev, "s5"), 1);
}

/* With nowayout the chip refuses the stop, and the watchdog still fires. */
static void test_esb_nowayout(void **state)
{
	struct vmrun *r = *state;

	start(r, ESB " probe.wdt.nowayout=1 probe.wdt.end=stop",
	      "model=i6300esb", false);
	assert_int_equal(vmrun_finish(r), 4);
	assert_int_equal(vmproc_count(&r->p, "stop refused (nowayout)"), 1);
	assert_int_equal(evlog_count(&r->ev, "watchdog-stopped"), 0);
	check_expired(r, evlog_find(&r->ev, "watchdog-expired", 0), "i6300esb",
		      "terminate", ESB_TIMEOUT);
}

static void test_ib700_reset(void **state)
{
	struct vmrun *r = *state;
	int i;

	start(r, IB700, "model=ib700,action=reset", false);
	assert_int_equal(vmrun_finish(r), 32);
	i = evlog_find(&r->ev, "watchdog-expired", 0);
	check_expired(r, i, "ib700", "reset", IB700_TIMEOUT);
	assert_string_equal(evlog_type(&r->ev, i + 1), "reboot-requested");
	assert_string_equal(evlog_str(&r->ev, i + 1, "by"), "watchdog-ib700");
}

static void test_ib700_kicks_then_stop(void **state)
{
	struct vmrun *r = *state;

	start(r, IB700 " probe.wdt.kicks=6 probe.wdt.end=stop",
	      "model=ib700,action=reset", false);
	assert_int_equal(vmrun_finish(r), 0);
	assert_int_equal(evlog_count(&r->ev, "watchdog-stopped"), 1);
	assert_int_equal(evlog_count(&r->ev, "watchdog-expired"), 0);
}

/* poweroff presses the power button; the probe handles it with S5. */
static void test_poweroff_action(void **state)
{
	struct vmrun *r = *state;
	int i;

	start(r, ESB, "model=i6300esb,action=poweroff", false);
	assert_int_equal(vmrun_finish(r), 0);
	i = evlog_find(&r->ev, "watchdog-expired", 0);
	check_expired(r, i, "i6300esb", "poweroff", ESB_TIMEOUT);
	assert_true(evlog_find(&r->ev, "power-button-pressed", i) > i);
	assert_true(evlog_find(&r->ev, "s5", i) > i);
}

/* nmi reaches the guest, which reports a panic as Linux would. */
static void test_nmi_action(void **state)
{
	struct vmrun *r = *state;
	int i;

	start(r, IB700, "model=ib700,action=nmi", false);
	assert_int_equal(vmrun_finish(r), 34);
	assert_int_equal(vmproc_count(&r->p, "PROBE PASS watchdog-nmi"), 1);
	i = evlog_find(&r->ev, "watchdog-expired", 0);
	check_expired(r, i, "ib700", "nmi", IB700_TIMEOUT);
	assert_true(evlog_find(&r->ev, "panic", i) > i);
}

/* none: an event per period, the guest keeps running. */
static void test_none_action(void **state)
{
	struct vmrun *r = *state;
	char out[4096];
	int i;

	start(r, ESB, "model=i6300esb,action=none", true);
	if (!wait_events(r, "watchdog-expired", 2)) {
		vmrun_dump(r);
		fail_msg("no second expiry");
	}
	assert_true(vmproc_alive_after(&r->p, 0));
	assert_int_equal(ctl(r, "status", out, sizeof(out)), 0);
	assert_non_null(strstr(out, "\"state\":\"running\""));
	assert_non_null(strstr(out, "\"action\":\"none\""));
	i = evlog_find(&r->ev, "watchdog-expired", 0);
	check_expired(r, i, "i6300esb", "none", ESB_TIMEOUT);
	/* The second comes one more period after the first. */
	i = evlog_find(&r->ev, "watchdog-expired", i + 1);
	assert_true(json_object_get_double(json_object_object_get(
			    r->ev.ev[i], "since_kick")) >= 2 * ESB_TIMEOUT);
	assert_int_equal(vmproc_kill(&r->p, SIGQUIT), 0);
	assert_int_equal(vmrun_finish(r), 3);
}

/*
 * pause: the vCPUs stop and the countdown holds; resume over the control
 * socket lets the (still silent) guest expire once more, a period later.
 */
static void test_pause_action_and_resume(void **state)
{
	struct vmrun *r = *state;
	char out[4096];
	int before;

	start(r, ESB, "model=i6300esb,action=pause", true);
	if (!wait_events(r, "paused", 1)) {
		vmrun_dump(r);
		fail_msg("not paused");
	}
	assert_int_equal(ctl(r, "status", out, sizeof(out)), 0);
	assert_non_null(strstr(out, "\"state\":\"paused\""));
	assert_non_null(strstr(out, "\"expirations\":1"));
	/* Paused for three periods: no more expiries, no guest output. */
	before = r->p.out_len;
	assert_true(vmproc_alive_after(&r->p, 3000));
	vmrun_load_events(r);
	assert_int_equal(evlog_count(&r->ev, "watchdog-expired"), 1);
	assert_int_equal(r->p.out_len, before);
	/* A second pause is an error reply; resume goes on. */
	assert_int_not_equal(ctl(r, "pause", NULL, 0), 0);
	assert_int_equal(ctl(r, "resume", NULL, 0), 0);
	if (!wait_events(r, "paused", 2)) {
		vmrun_dump(r);
		fail_msg("no second expiry after resume");
	}
	assert_int_equal(evlog_count(&r->ev, "resumed"), 1);
	assert_string_equal(
		evlog_str(&r->ev, evlog_find(&r->ev, "paused", 0), "by"),
		"watchdog-i6300esb");
	assert_int_equal(ctl(r, "power-cut", NULL, 0), 0);
	assert_int_equal(vmrun_finish(r), 3);
}

/* A host pause of a kicking guest: the watchdog does not count it. */
static void test_host_pause_holds_countdown(void **state)
{
	struct vmrun *r = *state;

	start(r, ESB " probe.wdt.kicks=4 probe.wdt.end=stop",
	      "model=i6300esb,action=terminate", true);
	if (!vmproc_wait_output(&r->p, SETUP_PASS, SETUP_MS)) {
		vmrun_dump(r);
		fail_msg("no watchdog setup");
	}
	assert_int_equal(ctl(r, "pause", NULL, 0), 0);
	assert_true(vmproc_alive_after(&r->p, 3500));
	assert_int_equal(ctl(r, "resume", NULL, 0), 0);
	assert_int_equal(vmrun_finish(r), 0);
	assert_int_equal(evlog_count(&r->ev, "watchdog-expired"), 0);
	assert_int_equal(evlog_count(&r->ev, "paused"), 1);
	assert_int_equal(evlog_count(&r->ev, "resumed"), 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_esb_terminate, vmrun_setup,
						vmrun_teardown),
		cmocka_unit_test_setup_teardown(test_esb_kicks_then_magic_close,
						vmrun_setup, vmrun_teardown),
		cmocka_unit_test_setup_teardown(test_esb_nowayout, vmrun_setup,
						vmrun_teardown),
		cmocka_unit_test_setup_teardown(test_ib700_reset, vmrun_setup,
						vmrun_teardown),
		cmocka_unit_test_setup_teardown(test_ib700_kicks_then_stop,
						vmrun_setup, vmrun_teardown),
		cmocka_unit_test_setup_teardown(test_poweroff_action,
						vmrun_setup, vmrun_teardown),
		cmocka_unit_test_setup_teardown(test_nmi_action, vmrun_setup,
						vmrun_teardown),
		cmocka_unit_test_setup_teardown(test_none_action, vmrun_setup,
						vmrun_teardown),
		cmocka_unit_test_setup_teardown(test_pause_action_and_resume,
						vmrun_setup, vmrun_teardown),
		cmocka_unit_test_setup_teardown(test_host_pause_holds_countdown,
						vmrun_setup, vmrun_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
