// SPDX-License-Identifier: Apache-2.0
/*
 * The lifecycle protocol (docs/lifecycle.md) both ways, end to end with
 * the probe guest on the qnx model: a guest that goes down after the
 * host pressed its power button announces it before the S5; a guest
 * daemon takes the host's `vesselctl request poweroff|reboot`, announces
 * what it will do, and does it; a guest without the lifecycle region
 * cannot be asked, and says so without harm. Each run has a private
 * VESSEL_SHM_DIR, which must be empty once vessel is gone.
 */
#include <dirent.h>
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

#define READY_MS 60000
#define CTL_MS 20000
#define ALIVE_MS 500
#define LIFECYCLE "model=qnx,name=lifecycle,size=4K"
#define EXIT_POWEROFF 0
#define EXIT_REBOOT 32

struct lc_test {
	struct vmrun r;
	char dir[VMRUN_PATH_MAX]; /* VESSEL_SHM_DIR */
};

static int setup(void **state)
{
	struct lc_test *t = calloc(1, sizeof(*t));

	if (!t || vmrun_init(&t->r)) {
		free(t);
		return -1;
	}
	snprintf(t->dir, sizeof(t->dir), "%s/shm", t->r.dir);
	setenv("VESSEL_SHM_DIR", t->dir, 1);
	*state = t;
	return 0;
}

/* The files in @dir, removed; how many there were (0 without @dir). */
static int remove_dir(const char *dir, char *names, size_t size)
{
	DIR *d = opendir(dir);
	char path[VMRUN_PATH_MAX + 256];
	struct dirent *e;
	size_t len = 0;
	int n = 0;

	names[0] = '\0';
	while (d && (e = readdir(d))) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		n++;
		len += (size_t)snprintf(names + len, size - len, " %s",
					e->d_name);
		if (len >= size)
			len = size - 1;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		unlink(path);
	}
	if (d)
		closedir(d);
	rmdir(dir);
	return n;
}

static int teardown(void **state)
{
	struct lc_test *t = *state;
	char names[512];

	/* A vessel still running is cut first (SIGQUIT). */
	if (t->r.p.out)
		vmproc_free(&t->r.p);
	remove_dir(t->dir, names, sizeof(names));
	vmrun_free(&t->r);
	unsetenv("VESSEL_SHM_DIR");
	free(t);
	return 0;
}

/* Start @scenario with a control socket and @shmem (or none). */
static void start(struct vmrun *r, const char *scenario, const char *shmem,
		  const char *ready)
{
	const char *extra[] = { "--control", r->ctl, "--shmem", shmem, NULL };

	if (!shmem)
		extra[2] = NULL;
	assert_int_equal(vmrun_start(r, scenario, extra), 0);
	if (!vmproc_wait_output(&r->p, ready, READY_MS)) {
		vmproc_wait_exit(&r->p, 1000);
		vmrun_dump(r);
		fail_msg("no \"%s\"", ready);
	}
}

/* `vesselctl --vm r->ctl request @what`: its exit code, output in @c. */
static int request(const struct vmrun *r, struct vmproc *c, const char *what)
{
	const char *argv[] = { vesselctl_path(), "--vm", r->ctl,
			       "request",	 what,	 NULL };

	assert_int_equal(vmproc_start(c, argv), 0);
	return vmproc_wait_exit(c, CTL_MS);
}

/* Exit @code, well-formed events, no FAIL line. */
static void finish(struct vmrun *r, int code)
{
	int got = vmrun_wait(r);

	if (got != code || strstr(r->p.out, "PROBE FAIL") ||
	    !evlog_well_formed(&r->ev))
		vmrun_dump(r);
	assert_int_equal(got, code);
	assert_null(strstr(r->p.out, "PROBE FAIL"));
	assert_true(evlog_well_formed(&r->ev));
}

/* The index of event @type after @from; a failure if there is none. */
static int event_after(const struct vmrun *r, const char *type, int from)
{
	int i = evlog_find(&r->ev, type, from + 1);

	if (i < 0) {
		vmrun_dump(r);
		fail_msg("no \"%s\" after event %d", type, from);
	}
	return i;
}

static void expect_line(const struct vmrun *r, const char *line)
{
	if (!strstr(r->p.out, line)) {
		vmrun_dump(r);
		fail_msg("no \"%s\" on the console", line);
	}
}

static void expect_no_leftovers(struct lc_test *t)
{
	char names[512];

	if (remove_dir(t->dir, names, sizeof(names)))
		fail_msg("left in %s:%s", t->dir, names);
}

/* guest-announced @state after event @from, with sequence 1. */
static int announced_after(const struct vmrun *r, const char *state, int from)
{
	int i = event_after(r, "guest-announced", from);

	assert_string_equal(evlog_str(&r->ev, i, "state"), state);
	assert_int_equal(evlog_int(&r->ev, i, "seq", -1), 1);
	return i;
}

/*
 * The first SIGTERM presses the button; only then does the guest
 * announce shutting-down, get its ack and power off.
 */
static void test_power_button_then_announce(void **state)
{
	struct lc_test *t = *state;
	int i;

	start(&t->r, "lifecycle probe.lc.on=button", LIFECYCLE,
	      "PROBE READY lifecycle");
	/* Nothing is announced before the press. */
	assert_true(vmproc_alive_after(&t->r.p, ALIVE_MS));
	assert_null(strstr(t->r.p.out, "PROBE INFO lifecycle idx"));
	assert_int_equal(vmproc_kill(&t->r.p, SIGTERM), 0);
	finish(&t->r, EXIT_POWEROFF);
	expect_line(&t->r, "PROBE PASS power-button: pressed");
	expect_line(&t->r, "PROBE PASS lifecycle: ack after ");
	i = event_after(&t->r, "power-button-pressed", -1);
	i = announced_after(&t->r, "shutting-down", i);
	event_after(&t->r, "s5", i);
	expect_no_leftovers(t);
}

/*
 * `request @what` to a guest daemon: the request (sequence 1), the
 * guest taking it, its announcement of @state, then @stop, and exit
 * @code.
 */
static void host_request(struct lc_test *t, const char *what, const char *state,
			 const char *stop, int code)
{
	struct vmproc c;
	char line[64];
	int i, rc;

	start(&t->r, "lifecycle-daemon", LIFECYCLE,
	      "PROBE READY lifecycle-daemon");
	rc = request(&t->r, &c, what);
	if (rc)
		vmproc_dump(&c);
	assert_int_equal(rc, 0);
	vmproc_free(&c);
	finish(&t->r, code);
	snprintf(line, sizeof(line), "PROBE PASS lifecycle-request: %s (",
		 what);
	expect_line(&t->r, line);
	expect_line(&t->r, "PROBE PASS lifecycle: ack after ");
	i = event_after(&t->r, "host-requested", -1);
	assert_string_equal(evlog_str(&t->r.ev, i, "request"), what);
	assert_int_equal(evlog_int(&t->r.ev, i, "seq", -1), 1);
	i = event_after(&t->r, "guest-took-request", i);
	assert_int_equal(evlog_int(&t->r.ev, i, "seq", -1), 1);
	i = announced_after(&t->r, state, i);
	event_after(&t->r, stop, i);
	expect_no_leftovers(t);
}

static void test_request_poweroff(void **state)
{
	host_request(*state, "poweroff", "shutting-down", "s5", EXIT_POWEROFF);
}

static void test_request_reboot(void **state)
{
	host_request(*state, "reboot", "rebooting", "reboot-requested",
		     EXIT_REBOOT);
}

/*
 * No lifecycle region: the request is refused with the reason, and the
 * guest runs on until the button ends it.
 */
static void test_request_without_region(void **state)
{
	struct lc_test *t = *state;
	struct vmproc c;
	int rc;

	start(&t->r, "power-button", NULL, "PROBE READY power-button");
	rc = request(&t->r, &c, "poweroff");
	if (rc != 1 || !strstr(c.err, "lifecycle region"))
		vmproc_dump(&c);
	assert_int_equal(rc, 1);
	assert_non_null(strstr(c.err, "lifecycle region"));
	vmproc_free(&c);
	assert_true(vmproc_alive_after(&t->r.p, ALIVE_MS));
	assert_int_equal(vmproc_kill(&t->r.p, SIGTERM), 0);
	finish(&t->r, EXIT_POWEROFF);
	assert_true(evlog_is(&t->r.ev, evlog_power_off_by_button));
	expect_no_leftovers(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_power_button_then_announce,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_request_poweroff, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_request_reboot, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_request_without_region,
						setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
