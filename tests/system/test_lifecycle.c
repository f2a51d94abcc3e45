// SPDX-License-Identifier: Apache-2.0
/*
 * Every way the probe guest can end itself, with the exit code DESIGN.md
 * promises and the probe's own PASS lines on the console.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "../lib/vmproc.h"

struct scenario {
	const char *name;
	int code;
	const char *pass; /* a console line that must appear */
};

static void run_scenario(const struct scenario *s, const char *const extra[])
{
	struct vmproc p;
	int code = vmproc_run_probe(&p, s->name, extra);

	if (code != s->code || !strstr(p.out, s->pass) ||
	    strstr(p.out, "PROBE FAIL"))
		vmproc_dump(&p);
	assert_int_equal(code, s->code);
	assert_non_null(strstr(p.out, "PROBE BOOT"));
	assert_non_null(strstr(p.out, s->pass));
	assert_null(strstr(p.out, "PROBE FAIL"));
	vmproc_free(&p);
}

static void test_poweroff(void **state)
{
	static const struct scenario s = { "poweroff", 0, "PROBE PASS acpi" };

	(void)state;
	run_scenario(&s, NULL);
}

static void test_reboot_acpi(void **state)
{
	static const struct scenario s = { "reboot-acpi", 32,
					   "PROBE PASS acpi" };

	(void)state;
	run_scenario(&s, NULL);
}

static void test_reboot_cf9(void **state)
{
	static const struct scenario s = { "reboot-cf9", 32, "PROBE BOOT" };

	(void)state;
	run_scenario(&s, NULL);
}

static void test_reboot_kbd(void **state)
{
	static const struct scenario s = { "reboot-kbd", 32, "PROBE BOOT" };

	(void)state;
	run_scenario(&s, NULL);
}

static void test_triple_fault(void **state)
{
	static const struct scenario s = { "triple-fault", 32, "PROBE BOOT" };

	(void)state;
	run_scenario(&s, NULL);
}

/* The exit is reported on stderr with its code and name. */
static void test_exit_reported(void **state)
{
	struct vmproc p;

	(void)state;
	assert_int_equal(vmproc_run_probe(&p, "reboot-cf9", NULL), 32);
	assert_non_null(strstr(p.err, "exit 32 (reboot)"));
	vmproc_free(&p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_poweroff),
		cmocka_unit_test(test_reboot_acpi),
		cmocka_unit_test(test_reboot_cf9),
		cmocka_unit_test(test_reboot_kbd),
		cmocka_unit_test(test_triple_fault),
		cmocka_unit_test(test_exit_reported),
	};

	return cmocka_run_group_tests_name("lifecycle", tests, NULL, NULL);
}
