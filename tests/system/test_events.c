// SPDX-License-Identifier: Apache-2.0
/*
 * The event contract of docs/events.md, seen from outside: what each way
 * a guest ends itself writes (poweroff, each reboot mechanism, pvpanic),
 * the common fields, the destinations (file, fd:N) and the file's mode.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "../lib/vmrun.h"

static int run_to_exit(struct vmrun *r, const char *scenario,
		       const char *const extra[])
{
	assert_int_equal(vmrun_start(r, scenario, extra), 0);
	return vmrun_wait(r);
}

/* Exit @code named @name, after exactly the events @seq. */
static void expect_events(struct vmrun *r, int got, int code, const char *name,
			  const char *const seq[])
{
	int last = r->ev.n - 1;

	if (got != code || !evlog_is(&r->ev, seq) ||
	    !evlog_well_formed(&r->ev) || strstr(r->p.out, "PROBE FAIL"))
		vmrun_dump(r);
	assert_int_equal(got, code);
	assert_true(evlog_well_formed(&r->ev));
	assert_true(evlog_is(&r->ev, seq));
	assert_int_equal(evlog_int(&r->ev, last, "code", -1), code);
	assert_string_equal(evlog_str(&r->ev, last, "name"), name);
	assert_string_equal(evlog_str(&r->ev,
				      evlog_find(&r->ev, "quiesce-start", 0),
				      "reason"),
			    name);
	assert_null(strstr(r->p.out, "PROBE FAIL"));
}

static void test_poweroff(void **state)
{
	static const char *const seq[] = { "started",	  "booted",
					   "s5",	  "quiesce-start",
					   "quiesce-end", "exit",
					   NULL };
	struct vmrun *r = *state;
	int got = run_to_exit(r, "poweroff", NULL);

	expect_events(r, got, 0, "poweroff", seq);
	assert_string_equal(evlog_str(&r->ev, 2, "by"), "S5");
	assert_string_equal(evlog_str(&r->ev, 1, "by"), "console output");
}

/* "started" describes the machine as configured. */
static void test_started_fields(void **state)
{
	static const char *const extra[] = { "--cpus", "2", NULL };
	struct vmrun *r = *state;
	int got = run_to_exit(r, "poweroff", extra);
	const char *kernel;

	if (got != 0 || r->ev.n < 1)
		vmrun_dump(r);
	assert_int_equal(got, 0);
	assert_string_equal(evlog_type(&r->ev, 0), "started");
	assert_int_equal(evlog_int(&r->ev, 0, "pid", -1), r->p.pid);
	assert_int_equal(evlog_int(&r->ev, 0, "mem", -1), 64LL << 20);
	assert_int_equal(evlog_int(&r->ev, 0, "cpus", -1), 2);
	assert_string_equal(evlog_str(&r->ev, 0, "format"), "PVH ELF");
	kernel = evlog_str(&r->ev, 0, "kernel");
	assert_non_null(kernel);
	assert_non_null(strstr(kernel, "probe.elf"));
	/* No "guest" field without a name. */
	assert_null(evlog_str(&r->ev, 0, "guest"));
}

/* With `name`, every line carries it. */
static void test_guest_name(void **state)
{
	static const char *const extra[] = { "--name", "web1", NULL };
	struct vmrun *r = *state;
	int i;

	assert_int_equal(run_to_exit(r, "poweroff", extra), 0);
	assert_true(r->ev.n >= 5);
	for (i = 0; i < r->ev.n; i++) {
		assert_non_null(evlog_str(&r->ev, i, "guest"));
		assert_string_equal(evlog_str(&r->ev, i, "guest"), "web1");
	}
}

static void expect_reboot(void **state, const char *scenario, const char *by)
{
	static const char *const seq[] = {
		"started",
		"booted",
		"reboot-requested",
		"quiesce-start",
		"quiesce-end",
		"exit",
		NULL,
	};
	struct vmrun *r = *state;
	int got = run_to_exit(r, scenario, NULL);

	expect_events(r, got, 32, "reboot", seq);
	assert_string_equal(evlog_str(&r->ev, 2, "by"), by);
}

static void test_reboot_cf9(void **state)
{
	expect_reboot(state, "reboot-cf9", "cf9");
}

static void test_reboot_acpi(void **state)
{
	expect_reboot(state, "reboot-acpi", "acpi-reset");
}

static void test_reboot_kbd(void **state)
{
	expect_reboot(state, "reboot-kbd", "i8042");
}

static void test_triple_fault(void **state)
{
	expect_reboot(state, "triple-fault", "triple-fault");
}

/* pvpanic's "panicked" bit, written as Linux's driver does: exit 34. */
static void test_panic(void **state)
{
	struct vmrun *r = *state;
	int got = run_to_exit(r, "panic", NULL);
	int i = evlog_find(&r->ev, "panic", 0);

	if (got != 34 || i < 0 || !evlog_well_formed(&r->ev))
		vmrun_dump(r);
	assert_int_equal(got, 34);
	assert_true(evlog_well_formed(&r->ev));
	assert_true(i >= 0);
	assert_non_null(evlog_str(&r->ev, i, "by"));
	assert_true(i < evlog_find(&r->ev, "quiesce-start", 0));
	assert_string_equal(evlog_str(&r->ev, r->ev.n - 1, "name"), "panic");
	assert_non_null(strstr(r->p.out, "PROBE BOOT"));
}

/*
 * pvpanic's "crash loaded" bit is a fact, not a stop: the guest goes on
 * (into its crash kernel; the probe powers off) and exits 0.
 */
static void test_crash_loaded(void **state)
{
	struct vmrun *r = *state;
	int got = run_to_exit(r, "crash-loaded", NULL);
	int i = evlog_find(&r->ev, "crash-loaded", 0);

	if (got != 0 || i < 0 || strstr(r->p.out, "PROBE FAIL"))
		vmrun_dump(r);
	assert_int_equal(got, 0);
	assert_true(i >= 0);
	assert_int_equal(evlog_count(&r->ev, "panic"), 0);
	assert_true(i < evlog_find(&r->ev, "s5", 0));
	assert_true(evlog_well_formed(&r->ev));
	assert_null(strstr(r->p.out, "PROBE FAIL"));
}

/* `events fd:2`: the same lines, on stderr among vessel's messages. */
static void test_events_fd(void **state)
{
	static const char *const extra[] = { "--events", "fd:2", NULL };
	struct vmrun *r = *state;
	struct evlog l;
	int got;

	assert_int_equal(vmproc_start_probe(&r->p, "poweroff", extra), 0);
	got = vmproc_wait_exit(&r->p, VMRUN_WAIT_MS);
	evlog_parse(&l, r->p.err);
	if (got != 0 || !evlog_well_formed(&l))
		vmproc_dump(&r->p);
	assert_int_equal(got, 0);
	assert_true(evlog_well_formed(&l));
	assert_string_equal(evlog_type(&l, 0), "started");
	assert_int_equal(evlog_int(&l, l.n - 1, "code", -1), 0);
	evlog_free(&l);
}

/* The file is created 0600 and appended to, never truncated. */
static void test_events_file_appended(void **state)
{
	struct vmrun *r = *state;
	struct stat st;

	assert_int_equal(run_to_exit(r, "poweroff", NULL), 0);
	vmproc_free(&r->p);
	assert_int_equal(run_to_exit(r, "reboot-cf9", NULL), 32);
	assert_int_equal(stat(r->events, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(r->ev.bad, 0);
	assert_int_equal(evlog_count(&r->ev, "started"), 2);
	assert_int_equal(evlog_count(&r->ev, "exit"), 2);
	assert_string_equal(evlog_type(&r->ev, r->ev.n - 1), "exit");
	assert_int_equal(evlog_int(&r->ev, r->ev.n - 1, "code", -1), 32);
}

/* An events path that cannot be opened is a start-up error (64). */
static void test_events_bad_path(void **state)
{
	static const char *const extra[] = { "--events",
					     "/nonexistent-dir/events.jsonl",
					     NULL };
	struct vmrun *r = *state;

	assert_int_equal(vmproc_run_probe(&r->p, "poweroff", extra), 64);
	assert_null(strstr(r->p.out, "PROBE BOOT"));
}

#define T(f) cmocka_unit_test_setup_teardown(f, vmrun_setup, vmrun_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_poweroff),
		T(test_started_fields),
		T(test_guest_name),
		T(test_reboot_cf9),
		T(test_reboot_acpi),
		T(test_reboot_kbd),
		T(test_triple_fault),
		T(test_panic),
		T(test_crash_loaded),
		T(test_events_fd),
		T(test_events_file_appended),
		T(test_events_bad_path),
	};

	return cmocka_run_group_tests_name("events", tests, NULL, NULL);
}
