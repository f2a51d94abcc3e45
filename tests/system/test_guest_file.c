// SPDX-License-Identifier: Apache-2.0
/*
 * One guest file serves vessel and vesseld: `vessel @file` runs a file
 * that holds vesseld's policy keys, ignoring them (a reboot still ends
 * vessel with 32), checks their values (65, file:line), and refuses them
 * on its command line (64), where it would not act on them.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "../lib/vmproc.h"

static const char policy_lines[] = "on-poweroff stop\n"
				   "on-reboot restart\n"
				   "on-crash restart\n"
				   "on-watchdog stop\n"
				   "on-terminated stop\n"
				   "restart-delay 500ms\n"
				   "restart-factor 3\n"
				   "restart-max-delay 30s\n"
				   "restart-quiet 2m\n"
				   "restart-limit 4\n"
				   "restart-window 10m\n"
				   "stop-timeout 20s\n"
				   "after db\n"
				   "after cache\n"
				   "autostart no\n"
				   "shares-device-with db cache\n"
				   "on-guest-shutdown-hook \"echo quiesced\"\n";

/* A guest file for the probe's @scenario with @more lines; the path. */
static const char *write_guest(const char *scenario, const char *more)
{
	static char path[128];
	FILE *f;

	snprintf(path, sizeof(path), "/tmp/vessel-test-%d-guest.conf",
		 getpid());
	f = fopen(path, "w");
	assert_non_null(f);
	fprintf(f, "name web1\nkernel %s\ncmdline probe.test=%s\nmem 64M\n%s",
		probe_path(), scenario, more);
	fclose(f);
	return path;
}

static void run_file(struct vmproc *p, const char *path,
		     const char *const extra[])
{
	const char *argv[8] = { vessel_path() };
	char arg[160];
	int n = 1;

	snprintf(arg, sizeof(arg), "@%s", path);
	argv[n++] = arg;
	while (extra && *extra && n < 7)
		argv[n++] = *extra++;
	assert_int_equal(vmproc_start(p, argv), 0);
	vmproc_wait_exit(p, 60000);
}

static void test_policy_keys_ignored(void **state)
{
	const char *path = write_guest("cpus", policy_lines);
	struct vmproc p;

	(void)state;
	run_file(&p, path, NULL);
	if (p.status != 0 || !strstr(p.out, "PROBE PASS cpus"))
		vmproc_dump(&p);
	assert_int_equal(p.status, 0);
	assert_non_null(strstr(p.out, "PROBE PASS cpus: 1 in MADT"));
	/* vessel never runs the hook of vesseld's on-guest-shutdown-hook. */
	assert_null(strstr(p.out, "quiesced"));
	assert_null(strstr(p.err, "quiesced"));
	vmproc_free(&p);
	unlink(path);
}

/* `on-reboot restart` is vesseld's business: vessel still exits 32. */
static void test_reboot_still_exits(void **state)
{
	const char *path = write_guest("reboot-cf9", policy_lines);
	struct vmproc p;

	(void)state;
	run_file(&p, path, NULL);
	if (p.status != 32 || vmproc_count(&p, "PROBE BOOT") != 1)
		vmproc_dump(&p);
	assert_int_equal(p.status, 32);
	assert_int_equal(vmproc_count(&p, "PROBE BOOT"), 1);
	vmproc_free(&p);
	unlink(path);
}

static void test_bad_policy_value(void **state)
{
	const char *path = write_guest("cpus", "restart-factor 1.5\n");
	char want[200];
	struct vmproc p;

	(void)state;
	run_file(&p, path, NULL);
	snprintf(want, sizeof(want),
		 "%s:5: restart-factor: '1.5' is not a valid number", path);
	if (p.status != 65 || !strstr(p.err, want))
		vmproc_dump(&p);
	assert_int_equal(p.status, 65);
	assert_non_null(strstr(p.err, want));
	vmproc_free(&p);
	unlink(path);
}

static void test_policy_option_refused(void **state)
{
	static const char *const extra[] = { "--on-reboot", "restart", NULL };
	const char *path = write_guest("cpus", "");
	struct vmproc p;

	(void)state;
	run_file(&p, path, extra);
	if (p.status != 64 || !strstr(p.err, "vesseld policy key"))
		vmproc_dump(&p);
	assert_int_equal(p.status, 64);
	assert_non_null(strstr(
		p.err, "--on-reboot: 'on-reboot' is a vesseld policy key"));
	assert_null(strstr(p.out, "PROBE"));
	vmproc_free(&p);
	unlink(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_policy_keys_ignored),
		cmocka_unit_test(test_reboot_still_exits),
		cmocka_unit_test(test_bad_policy_value),
		cmocka_unit_test(test_policy_option_refused),
	};

	return cmocka_run_group_tests_name("guest_file", tests, NULL, NULL);
}
