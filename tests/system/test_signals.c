// SPDX-License-Identifier: Apache-2.0
/*
 * DESIGN.md "Signals to vessel", one test per row: the first SIGTERM or
 * SIGINT presses the ACPI power button and a guest that handles it powers
 * off (0); a second one terminates (35), as does the power-button timeout
 * and a machine without a power button; SIGQUIT cuts the power (3);
 * SIGHUP is ignored unless configured. Each test asserts the exit code,
 * the events (docs/events.md) and the probe's console.
 */
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "../lib/vmrun.h"

#define READY_MS 30000
#define PB_READY "PROBE READY power-button"
#define PB_PASS "PROBE PASS power-button: pressed"
#define IGN_READY "PROBE READY power-button-ignore"

/* Start @scenario and wait for its READY line; fails the test otherwise. */
static void start_ready(struct vmrun *r, const char *scenario,
			const char *ready, const char *const extra[])
{
	assert_int_equal(vmrun_start(r, scenario, extra), 0);
	if (!vmproc_wait_output(&r->p, ready, READY_MS)) {
		vmproc_wait_exit(&r->p, 1000);
		vmrun_dump(r);
		fail_msg("no '%s' from the probe", ready);
	}
}

static void expect_exit(struct vmrun *r, int code)
{
	int got = vmrun_wait(r);

	if (got != code || !evlog_well_formed(&r->ev))
		vmrun_dump(r);
	assert_int_equal(got, code);
	assert_true(evlog_well_formed(&r->ev));
	assert_int_equal(evlog_int(&r->ev, r->ev.n - 1, "code", -1), code);
}

/* The one event that says why, with its "by". */
static void expect_stop(struct vmrun *r, const char *type, const char *by)
{
	int i = evlog_find(&r->ev, type, 0);

	if (i < 0 || !evlog_str(&r->ev, i, "by") ||
	    strcmp(evlog_str(&r->ev, i, "by"), by))
		vmrun_dump(r);
	assert_true(i >= 0);
	assert_string_equal(evlog_str(&r->ev, i, "by"), by);
}

/*
 * A guest that handles the button: pressed while armed, acknowledged
 * (PWRBTN_STS cleared), S5, and nothing else in between.
 */
static void press_and_power_off(struct vmrun *r)
{
	int i;

	expect_exit(r, 0);
	if (!evlog_is(&r->ev, evlog_power_off_by_button) ||
	    !strstr(r->p.out, PB_PASS) || strstr(r->p.out, "PROBE FAIL"))
		vmrun_dump(r);
	assert_true(evlog_is(&r->ev, evlog_power_off_by_button));
	i = evlog_find(&r->ev, "power-button-pressed", 0);
	assert_string_equal(evlog_str(&r->ev, i, "armed"), "true");
	i = evlog_find(&r->ev, "quiesce-start", 0);
	assert_string_equal(evlog_str(&r->ev, i, "reason"), "poweroff");
	assert_string_equal(evlog_str(&r->ev, r->ev.n - 1, "name"), "poweroff");
	assert_non_null(strstr(r->p.out, PB_PASS));
	assert_null(strstr(r->p.out, "PROBE FAIL"));
}

static void test_sigterm_powers_off(void **state)
{
	struct vmrun *r = *state;

	start_ready(r, "power-button", PB_READY, NULL);
	assert_int_equal(vmproc_kill(&r->p, SIGTERM), 0);
	press_and_power_off(r);
}

static void test_sigint_powers_off(void **state)
{
	struct vmrun *r = *state;

	start_ready(r, "power-button", PB_READY, NULL);
	assert_int_equal(vmproc_kill(&r->p, SIGINT), 0);
	press_and_power_off(r);
}

/* The press was not acknowledged, and the guest had not armed the button. */
static void expect_unarmed_press(struct vmrun *r)
{
	int i = evlog_find(&r->ev, "power-button-pressed", 0);

	if (i < 0 || evlog_count(&r->ev, "power-button-armed") ||
	    evlog_count(&r->ev, "power-button-acknowledged"))
		vmrun_dump(r);
	assert_true(i >= 0);
	assert_string_equal(evlog_str(&r->ev, i, "armed"), "false");
	assert_int_equal(evlog_count(&r->ev, "power-button-pressed"), 1);
	assert_int_equal(evlog_count(&r->ev, "power-button-armed"), 0);
	assert_int_equal(evlog_count(&r->ev, "power-button-acknowledged"), 0);
	assert_int_equal(evlog_count(&r->ev, "s5"), 0);
}

/* A guest that ignores the button survives the first SIGTERM only. */
static void test_second_sigterm_terminates(void **state)
{
	struct vmrun *r = *state;

	start_ready(r, "power-button-ignore", IGN_READY, NULL);
	assert_int_equal(vmproc_kill(&r->p, SIGTERM), 0);
	if (!vmproc_alive_after(&r->p, 1000))
		vmrun_dump(r);
	assert_true(r->p.status < 0);
	assert_int_equal(vmproc_kill(&r->p, SIGTERM), 0);
	expect_exit(r, 35);
	expect_unarmed_press(r);
	expect_stop(r, "terminate", "second SIGTERM");
	assert_string_equal(evlog_str(&r->ev, r->ev.n - 1, "name"),
			    "terminated");
}

static void test_second_sigint_terminates(void **state)
{
	struct vmrun *r = *state;

	start_ready(r, "power-button-ignore", IGN_READY, NULL);
	assert_int_equal(vmproc_kill(&r->p, SIGINT), 0);
	assert_true(vmproc_alive_after(&r->p, 500));
	assert_int_equal(vmproc_kill(&r->p, SIGINT), 0);
	expect_exit(r, 35);
	expect_unarmed_press(r);
	expect_stop(r, "terminate", "second SIGINT");
}

/*
 * `--power-button-timeout 2s`: vessel escalates by itself, not before 2 s
 * after the press (event times) and well before 10 s.
 */
static void test_power_button_timeout(void **state)
{
	static const char *const extra[] = { "--power-button-timeout", "2s",
					     NULL };
	struct vmrun *r = *state;
	double dt;
	int p, t;

	start_ready(r, "power-button-ignore", IGN_READY, extra);
	assert_int_equal(vmproc_kill(&r->p, SIGTERM), 0);
	expect_exit(r, 35);
	expect_unarmed_press(r);
	expect_stop(r, "terminate", "power-button-timeout");
	p = evlog_find(&r->ev, "power-button-pressed", 0);
	t = evlog_find(&r->ev, "power-button-timeout", p);
	assert_true(t > p);
	assert_true(t < evlog_find(&r->ev, "terminate", 0));
	dt = evlog_mono(&r->ev, t) - evlog_mono(&r->ev, p);
	if (dt < 1.99 || dt > 10)
		vmrun_dump(r);
	assert_true(dt >= 1.99);
	assert_true(dt <= 10);
}

/* No power button: the first signal terminates, and nothing is pressed. */
static void test_no_power_button(void **state)
{
	static const char *const extra[] = { "--power-button", "none", NULL };
	struct vmrun *r = *state;

	start_ready(r, "power-button", PB_READY, extra);
	assert_int_equal(vmproc_kill(&r->p, SIGTERM), 0);
	expect_exit(r, 35);
	expect_stop(r, "terminate", "SIGTERM");
	assert_int_equal(evlog_count(&r->ev, "power-button-pressed"), 0);
	assert_null(strstr(r->p.out, PB_PASS));
}

/*
 * SIGQUIT cuts the power: exit 3 and the guest is not told. The probe
 * here would print its PASS line if it saw a press; it prints nothing.
 */
static void test_sigquit_cuts_power(void **state)
{
	struct vmrun *r = *state;
	size_t mark;

	start_ready(r, "power-button", PB_READY, NULL);
	vmproc_alive_after(&r->p, 100); /* read what was already written */
	mark = r->p.out_len;
	assert_int_equal(vmproc_kill(&r->p, SIGQUIT), 0);
	expect_exit(r, 3);
	expect_stop(r, "power-cut", "SIGQUIT");
	assert_string_equal(evlog_str(&r->ev, r->ev.n - 1, "name"),
			    "power-cut");
	assert_int_equal(evlog_count(&r->ev, "power-button-pressed"), 0);
	if (strstr(r->p.out + mark, "PROBE"))
		vmrun_dump(r);
	assert_null(strstr(r->p.out + mark, "PROBE"));
}

/* SIGHUP (a closed terminal) is ignored by default. */
static void test_sighup_ignored(void **state)
{
	struct vmrun *r = *state;

	start_ready(r, "power-button", PB_READY, NULL);
	assert_int_equal(vmproc_kill(&r->p, SIGHUP), 0);
	if (!vmproc_alive_after(&r->p, 1000))
		vmrun_dump(r);
	assert_true(r->p.status < 0);
	assert_int_equal(vmrun_load_events(r), 0);
	assert_int_equal(evlog_count(&r->ev, "power-button-pressed"), 0);
	assert_int_equal(vmproc_kill(&r->p, SIGQUIT), 0);
	expect_exit(r, 3);
	assert_null(strstr(r->p.out, PB_PASS));
}

static void test_sighup_terminate(void **state)
{
	static const char *const extra[] = { "--sighup", "terminate", NULL };
	struct vmrun *r = *state;

	start_ready(r, "power-button", PB_READY, extra);
	assert_int_equal(vmproc_kill(&r->p, SIGHUP), 0);
	expect_exit(r, 35);
	expect_stop(r, "terminate", "SIGHUP");
	assert_int_equal(evlog_count(&r->ev, "power-button-pressed"), 0);
}

static void test_sighup_power_button(void **state)
{
	static const char *const extra[] = { "--sighup", "power-button", NULL };
	struct vmrun *r = *state;

	start_ready(r, "power-button", PB_READY, extra);
	assert_int_equal(vmproc_kill(&r->p, SIGHUP), 0);
	press_and_power_off(r);
}

/* SIGPIPE never kills vessel (a closed console or events reader). */
static void test_sigpipe_ignored(void **state)
{
	struct vmrun *r = *state;

	start_ready(r, "power-button", PB_READY, NULL);
	assert_int_equal(vmproc_kill(&r->p, SIGPIPE), 0);
	assert_true(vmproc_alive_after(&r->p, 300));
	assert_int_equal(vmproc_kill(&r->p, SIGTERM), 0);
	press_and_power_off(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_sigterm_powers_off,
						vmrun_setup, vmrun_teardown),
		cmocka_unit_test_setup_teardown(test_sigint_powers_off,
						vmrun_setup, vmrun_teardown),
		cmocka_unit_test_setup_teardown(test_second_sigterm_terminates,
						vmrun_setup, vmrun_teardown),
		cmocka_unit_test_setup_teardown(test_second_sigint_terminates,
						vmrun_setup, vmrun_teardown),
		cmocka_unit_test_setup_teardown(test_power_button_timeout,
						vmrun_setup, vmrun_teardown),
		cmocka_unit_test_setup_teardown(test_no_power_button,
						vmrun_setup, vmrun_teardown),
		cmocka_unit_test_setup_teardown(test_sigquit_cuts_power,
						vmrun_setup, vmrun_teardown),
		cmocka_unit_test_setup_teardown(test_sighup_ignored,
						vmrun_setup, vmrun_teardown),
		cmocka_unit_test_setup_teardown(test_sighup_terminate,
						vmrun_setup, vmrun_teardown),
		cmocka_unit_test_setup_teardown(test_sighup_power_button,
						vmrun_setup, vmrun_teardown),
		cmocka_unit_test_setup_teardown(test_sigpipe_ignored,
						vmrun_setup, vmrun_teardown),
	};

	return cmocka_run_group_tests_name("signals", tests, NULL, NULL);
}
