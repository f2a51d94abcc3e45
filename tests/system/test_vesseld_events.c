// SPDX-License-Identifier: Apache-2.0
/*
 * `vesselctl events` to vesseld: the events so far, then the exit; with
 * --follow, those and then the new ones until vesseld exits. What the
 * client printed is checked against vesseld's event file itself: a
 * prefix of it, whole lines, so no line was lost or doubled at the seam.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "../lib/vdrun.h"
#include "../lib/vmproc.h"

static int setup(void **state)
{
	struct vdrun *t = vdrun_new("vdev", 0);

	*state = t;
	return t ? 0 : -1;
}

static int teardown(void **state)
{
	vdrun_delete(*state);
	return 0;
}

static char *slurp_events(struct vdrun *t)
{
	FILE *f = fopen(t->events, "re");
	char *buf = calloc(1, 1 << 20);
	size_t n;

	assert_non_null(f);
	assert_non_null(buf);
	n = fread(buf, 1, (1 << 20) - 1, f);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

/* @out is the event file's first lines, whole, and at least @min bytes. */
static void assert_file_prefix(struct vdrun *t, const char *out, size_t min)
{
	char *file = slurp_events(t);
	size_t n = strlen(out);

	if (n < min || strncmp(file, out, n) || (n && out[n - 1] != '\n'))
		fail_msg("printed:\n%s\nis not the start of the file:\n%s", out,
			 file);
	free(file);
}

/* A guest that powers off and stays down: its started and exited lines. */
static void guest_off_done(struct vdrun *t)
{
	vdrun_guest_file(t, "off", "poweroff", "on-poweroff stop\n");
	vdrun_guest_file(t, "two", "power-button", "autostart no\n");
	vdrun_start(t, NULL);
	vdrun_wait_event(t, "down", "off", 1);
}

static void test_events_past(void **state)
{
	struct vdrun *t = *state;
	struct vmproc c;
	char *file;
	int code;

	guest_off_done(t);
	code = vdrun_ctl(t, &c, "events", NULL);
	if (code)
		vmproc_dump(&c);
	assert_int_equal(code, 0);
	assert_non_null(strstr(c.out, " started guest=off "));
	assert_non_null(strstr(c.out, " exited guest=off "));
	assert_non_null(strstr(c.out, " down guest=off "));
	vmproc_free(&c);

	file = slurp_events(t);
	code = vdrun_ctl(t, &c, "events", "--json", NULL);
	assert_int_equal(code, 0);
	assert_string_equal(c.out, file); /* nothing happens meanwhile */
	free(file);
	vmproc_free(&c);

	/* events takes no NAME (a usage error, exit 2). */
	assert_int_equal(vdrun_ctl(t, &c, "events", "x", NULL), 2);
	vmproc_free(&c);
	assert_int_equal(vdrun_stop(t), 0);
}

static void test_events_follow(void **state)
{
	const char *argv[8] = { vesselctl_path(), "--daemon", NULL, "events",
				"--follow",	  "--json",   NULL };
	struct vdrun *t = *state;
	struct vmproc f, c;
	char *past;

	guest_off_done(t);
	past = slurp_events(t);
	argv[2] = t->sock;
	assert_int_equal(vmproc_start(&f, argv), 0);
	assert_true(vmproc_wait_output(
		&f, "\"event\":\"down\",\"guest\":\"off\"", VDRUN_CTL_MS));
	assert_int_equal(vdrun_ctl(t, &c, "start", "two", NULL), 0);
	vmproc_free(&c);
	if (!vmproc_wait_output(&f, "\"event\":\"up\",\"guest\":\"two\"",
				VDRUN_CTL_MS))
		vmproc_dump(&f);
	assert_true(vmproc_alive_after(&f, 200)); /* it follows on */

	/* vesseld's exit ends the stream: exit 0, the file's lines so far. */
	vdrun_stop(t);
	assert_int_equal(vmproc_wait_exit(&f, VDRUN_EXIT_MS), 0);
	assert_non_null(
		strstr(f.out, "\"event\":\"started\",\"guest\":\"two\""));
	assert_non_null(
		strstr(f.out, "\"event\":\"stopped\",\"guest\":\"two\""));
	assert_file_prefix(t, f.out, strlen(past) + 1);
	free(past);
	vmproc_free(&f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_events_past, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_events_follow, setup,
						teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
