// SPDX-License-Identifier: Apache-2.0
/*
 * vessel's exit → the policy key that applies and the event's reason, for
 * every row of DESIGN.md's exit-code table, signals and unknown codes.
 */
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>

#include "../../src/common/exitcode.h"
#include "../../src/vesseld/policy.h"

static void test_exit_codes(void **state)
{
	static const struct {
		int code;
		enum config_on on;
		const char *reason;
	} rows[] = {
		{ 0, CONFIG_ON_POWEROFF, "poweroff" },
		{ 3, CONFIG_ON_TERMINATED, "power-cut" },
		{ 4, CONFIG_ON_WATCHDOG, "watchdog" },
		{ 32, CONFIG_ON_REBOOT, "reboot" },
		{ 33, CONFIG_ON_CRASH, "guest-error" },
		{ 34, CONFIG_ON_CRASH, "panic" },
		{ 35, CONFIG_ON_TERMINATED, "terminated" },
		{ 64, CONFIG_ON_NONE, "usage" },
		{ 65, CONFIG_ON_NONE, "config" },
		{ 96, CONFIG_ON_CRASH, "internal" },
		/* Not vessel's: cautiously a crash, named by its number. */
		{ 1, CONFIG_ON_CRASH, "exit 1" },
		{ 127, CONFIG_ON_CRASH, "exit 127" },
		{ 255, CONFIG_ON_CRASH, "exit 255" },
	};
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(rows); i++) {
		struct policy_exit e;

		policy_exit_of(&e, rows[i].code, 0);
		if (e.on != rows[i].on || strcmp(e.reason, rows[i].reason))
			fail_msg("exit %d: got %d '%s', want %d '%s'",
				 rows[i].code, e.on, e.reason, rows[i].on,
				 rows[i].reason);
		assert_int_equal(e.code, rows[i].code);
		assert_int_equal(e.sig, 0);
	}
}

/* Every code of exitcode.c has a row: a new code must be placed here. */
static void test_every_exit_code_placed(void **state)
{
	const struct exitcode_info *x;

	(void)state;
	for (x = exitcode_table; x->name; x++) {
		struct policy_exit e;

		policy_exit_of(&e, x->code, 0);
		if (strcmp(e.reason, x->name))
			fail_msg("exit %d (%s) has no policy row (reason '%s')",
				 x->code, x->name, e.reason);
	}
}

static void test_signals(void **state)
{
	const struct {
		int sig;
		const char *reason;
	} rows[] = {
		{ SIGKILL, "killed by SIGKILL" },
		{ SIGSEGV, "killed by SIGSEGV" },
		{ SIGABRT, "killed by SIGABRT" },
		{ SIGBUS, "killed by SIGBUS" },
		{ SIGTERM, "killed by SIGTERM" },
		{ SIGRTMIN + 3, "killed by signal" },
	};
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(rows); i++) {
		struct policy_exit e;

		policy_exit_of(&e, 0, rows[i].sig);
		assert_int_equal(e.on, CONFIG_ON_CRASH);
		assert_int_equal(e.code, -1);
		assert_int_equal(e.sig, rows[i].sig);
		if (strncmp(e.reason, rows[i].reason, strlen(rows[i].reason)))
			fail_msg("signal %d: '%s', want '%s'", rows[i].sig,
				 e.reason, rows[i].reason);
	}
}

static void test_siginfo(void **state)
{
	siginfo_t si;
	struct policy_exit e;

	(void)state;
	memset(&si, 0, sizeof(si));
	si.si_code = CLD_EXITED;
	si.si_status = 32;
	policy_exit_from_siginfo(&e, &si);
	assert_int_equal(e.on, CONFIG_ON_REBOOT);
	assert_string_equal(e.reason, "reboot");
	si.si_code = CLD_KILLED;
	si.si_status = SIGKILL;
	policy_exit_from_siginfo(&e, &si);
	assert_int_equal(e.on, CONFIG_ON_CRASH);
	assert_string_equal(e.reason, "killed by SIGKILL");
	si.si_code = CLD_DUMPED;
	si.si_status = SIGSEGV;
	policy_exit_from_siginfo(&e, &si);
	assert_string_equal(e.reason, "killed by SIGSEGV");
	/* An exit status of 9 is not SIGKILL. */
	si.si_code = CLD_EXITED;
	si.si_status = 9;
	policy_exit_from_siginfo(&e, &si);
	assert_string_equal(e.reason, "exit 9");
}

static void test_action(void **state)
{
	struct config_guest g;
	struct policy_exit e;

	(void)state;
	memset(&g, 0, sizeof(g));
	g.on[CONFIG_ON_REBOOT] = CONFIG_RESTART;
	g.on[CONFIG_ON_CRASH] = CONFIG_RESTART;
	policy_exit_of(&e, 32, 0);
	assert_int_equal(policy_action(&g, &e), CONFIG_RESTART);
	policy_exit_of(&e, 0, 0);
	assert_int_equal(policy_action(&g, &e), CONFIG_STOP);
	policy_exit_of(&e, 0, SIGKILL);
	assert_int_equal(policy_action(&g, &e), CONFIG_RESTART);
	policy_exit_of(&e, 4, 0);
	assert_int_equal(policy_action(&g, &e), CONFIG_STOP);
	g.on[CONFIG_ON_WATCHDOG] = CONFIG_RESTART;
	assert_int_equal(policy_action(&g, &e), CONFIG_RESTART);
	/* A guest that cannot start is never restarted, whatever it says. */
	for (int i = 0; i < CONFIG_ON_NR; i++)
		g.on[i] = CONFIG_RESTART;
	policy_exit_of(&e, 65, 0);
	assert_int_equal(policy_action(&g, &e), CONFIG_STOP);
	policy_exit_of(&e, 64, 0);
	assert_int_equal(policy_action(&g, &e), CONFIG_STOP);
}

static void test_key_names(void **state)
{
	(void)state;
	assert_string_equal(config_on_keys[CONFIG_ON_POWEROFF], "on-poweroff");
	assert_string_equal(config_on_keys[CONFIG_ON_REBOOT], "on-reboot");
	assert_string_equal(config_on_keys[CONFIG_ON_CRASH], "on-crash");
	assert_string_equal(config_on_keys[CONFIG_ON_WATCHDOG], "on-watchdog");
	assert_string_equal(config_on_keys[CONFIG_ON_TERMINATED],
			    "on-terminated");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_exit_codes),
		cmocka_unit_test(test_every_exit_code_placed),
		cmocka_unit_test(test_signals),
		cmocka_unit_test(test_siginfo),
		cmocka_unit_test(test_action),
		cmocka_unit_test(test_key_names),
	};

	return cmocka_run_group_tests_name("vesseld_policy", tests, NULL, NULL);
}
