// SPDX-License-Identifier: Apache-2.0
/*
 * vesseld with probe guests, each test with a private configuration and
 * run directory: a guest that reboots from inside is restarted (boot 2,
 * a new pid); one that powers off with `on-poweroff stop` stays down; one
 * that reboots forever is restarted after growing delays and then marked
 * failed; the host shutdown stops an `after` chain in reverse order,
 * escalating the guest that ignores its power button to the second
 * SIGTERM after its stop-timeout and never sending SIGKILL; SIGQUIT cuts
 * every guest; `vesselctl shutdown` reports each guest; a bad file is
 * refused with file:line (exit 65); a second vesseld on the same run
 * directory is refused; with --socket-group, a member of the group (and
 * only a member) may use the control socket. Facts come from vesseld's
 * event file.
 */
#include <errno.h>
#include <grp.h>
#include <json-c/json.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "../lib/evlog.h"
#include "../lib/vdrun.h"
#include "../lib/vmproc.h"

#define EXIT_MS 30000

#define EXIT_POWEROFF 0
#define EXIT_REBOOT 32
#define EXIT_TERMINATED 35
#define EXIT_POWER_CUT 3
#define VD_EXIT_ESCALATED 1
#define VD_EXIT_CONFIG 65
#define VD_EXIT_LOCKED 75
#define VD_EXIT_USAGE 64
#define NOBODY "65534"
#define CTL_EXIT_ESCALATED 4

#define LIFECYCLE "model=qnx,name=lifecycle,size=4K"

static int setup(void **state)
{
	struct vdrun *t = vdrun_new("vd", VDRUN_SHM_DIR);

	*state = t;
	return t ? 0 : -1;
}

static int teardown(void **state)
{
	vdrun_delete(*state);
	return 0;
}

/* `vesselctl list --json`: guest @name's object (the caller puts it). */
static struct json_object *ctl_guest(struct vdrun *t, const char *name)
{
	struct json_object *a, *g, *v, *found = NULL;
	struct vmproc c;
	size_t i;

	assert_int_equal(vdrun_ctl(t, &c, "list", "--json", NULL), 0);
	a = json_tokener_parse(c.out);
	if (!a || !json_object_is_type(a, json_type_array))
		vmproc_dump(&c);
	vmproc_free(&c);
	assert_non_null(a);
	for (i = 0; i < json_object_array_length(a); i++) {
		g = json_object_array_get_idx(a, i);
		if (json_object_object_get_ex(g, "name", &v) &&
		    !strcmp(json_object_get_string(v), name))
			found = json_object_get(g);
	}
	json_object_put(a);
	assert_non_null(found);
	return found;
}

static long long jint(struct json_object *o, const char *k)
{
	struct json_object *v;

	if (!json_object_object_get_ex(o, k, &v) ||
	    !json_object_is_type(v, json_type_int))
		fail_msg("no integer %s in %s", k,
			 json_object_to_json_string(o));
	return json_object_get_int64(v);
}

static const char *jstr(struct json_object *o, const char *k)
{
	struct json_object *v;

	if (!json_object_object_get_ex(o, k, &v) ||
	    !json_object_is_type(v, json_type_string))
		fail_msg("no string %s in %s", k,
			 json_object_to_json_string(o));
	return json_object_get_string(v);
}

static double ev_secs(const struct evlog *l, int i, const char *key)
{
	const char *s = evlog_str(l, i, key);

	if (!s)
		fail_msg("event %s has no %s", evlog_type(l, i), key);
	return strtod(s, NULL);
}

/* No event of vesseld names SIGKILL, in any field. */
static void assert_no_sigkill(struct vdrun *t)
{
	FILE *f = fopen(t->events, "re");
	char line[4096];

	assert_non_null(f);
	while (fgets(line, sizeof(line), f))
		if (strstr(line, "SIGKILL") ||
		    strstr(line, "\"signal\":\"KILL"))
			fail_msg("vesseld event names SIGKILL: %s", line);
	fclose(f);
}

/*
 * A guest daemon that reboots when the host asks (the probe's
 * lifecycle-daemon resets the machine itself): vessel exits 32, vesseld
 * starts a new vessel at once; the guest is up again on boot 2.
 */
static void test_reboot_restarts(void **state)
{
	struct vdrun *t = *state;
	char ctl_sock[VDRUN_PATH_LEN + 16];
	struct json_object *g;
	struct vmproc c;
	long long pid1;
	int i;

	vdrun_guest_file(t, "g", "lifecycle-daemon probe.lc.request_ms=600000",
			 "shmem %s\nrestart-delay 0\nstop-timeout 500ms\n",
			 LIFECYCLE);
	vdrun_start(t, NULL);
	i = vdrun_wait_event(t, "up", "g", 1);
	pid1 = evlog_int(&t->ev, i, "pid", -1);
	vdrun_wait_console(t, "g", "PROBE READY lifecycle-daemon");
	snprintf(ctl_sock, sizeof(ctl_sock), "%s/g/ctl.sock", t->run);
	assert_int_equal(
		vdrun_ctl(t, &c, "--vm", ctl_sock, "request", "reboot", NULL),
		0);
	vmproc_free(&c);

	i = vdrun_wait_event(t, "exited", "g", 1);
	assert_int_equal(evlog_int(&t->ev, i, "code", -1), EXIT_REBOOT);
	assert_string_equal(evlog_str(&t->ev, i, "reason"), "reboot");
	assert_int_equal(evlog_int(&t->ev, i, "pid", -1), pid1);
	i = vdrun_wait_event(t, "restarting", "g", 1);
	assert_true(ev_secs(&t->ev, i, "delay") == 0);
	i = vdrun_wait_event(t, "up", "g", 2);
	assert_int_not_equal(evlog_int(&t->ev, i, "pid", -1), pid1);
	i = vdrun_ev_nth(&t->ev, "started", "g", 2);
	assert_int_equal(evlog_int(&t->ev, i, "boot", -1), 2);
	assert_string_equal(evlog_str(&t->ev, i, "by"), "restart");

	g = ctl_guest(t, "g");
	assert_string_equal(jstr(g, "state"), "running");
	assert_int_equal(jint(g, "boots"), 2);
	assert_int_equal(jint(g, "restarts"), 1);
	assert_int_not_equal(jint(g, "pid"), pid1);
	json_object_put(g);
	/* The guest ignores the button: the shutdown has to terminate it. */
	assert_int_equal(vdrun_stop(t), VD_EXIT_ESCALATED);
}

/* Powered off with `on-poweroff stop`: no restart, ever. */
static void test_poweroff_stays_down(void **state)
{
	struct vdrun *t = *state;
	struct json_object *g, *last;
	int i;

	vdrun_guest_file(t, "off", "poweroff", "on-poweroff stop\n");
	vdrun_start(t, NULL);
	i = vdrun_wait_event(t, "down", "off", 1);
	assert_int_equal(evlog_int(&t->ev, i, "code", -1), EXIT_POWEROFF);
	assert_string_equal(evlog_str(&t->ev, i, "why"), "on-poweroff stop");
	assert_true(vmproc_alive_after(&t->d, 1000));
	evlog_free(&t->ev);
	evlog_load(&t->ev, t->events);
	assert_int_equal(vdrun_ev_count(&t->ev, "started", "off"), 1);
	assert_int_equal(vdrun_ev_count(&t->ev, "restarting", "off"), 0);
	g = ctl_guest(t, "off");
	assert_string_equal(jstr(g, "state"), "down");
	assert_int_equal(jint(g, "boots"), 1);
	assert_true(json_object_object_get_ex(g, "last_exit", &last));
	assert_string_equal(jstr(last, "reason"), "poweroff");
	json_object_put(g);
	assert_int_equal(vdrun_stop(t), 0);
}

/*
 * A guest that reboots at once, forever: restarted after 100, 200 and
 * 400 ms, and its fourth exit (3 restarts within the minute) marks it
 * failed. An operator's start clears the tally: 100 ms again.
 */
static void test_reboot_forever_fails(void **state)
{
	static const double delays[] = { 0.1, 0.2, 0.4 };
	struct vdrun *t = *state;
	struct json_object *g;
	struct vmproc c;
	double gap;
	int i, k, ex, st;

	vdrun_guest_file(t, "loop", "reboot-cf9",
			 "restart-delay 100ms\nrestart-limit 3\n"
			 "restart-window 1m\n");
	vdrun_start(t, NULL);
	i = vdrun_wait_event(t, "failed", "loop", 1);
	assert_string_equal(evlog_str(&t->ev, i, "reason"), "reboot");
	assert_string_equal(evlog_str(&t->ev, i, "why"),
			    "3 restarts within 60 s");
	assert_int_equal(vdrun_ev_count(&t->ev, "started", "loop"), 4);
	assert_int_equal(vdrun_ev_count(&t->ev, "exited", "loop"), 4);
	assert_int_equal(vdrun_ev_count(&t->ev, "restarting", "loop"), 3);
	for (k = 0; k < 3; k++) {
		i = vdrun_ev_nth(&t->ev, "restarting", "loop", k + 1);
		assert_true(ev_secs(&t->ev, i, "delay") == delays[k]);
		ex = vdrun_ev_nth(&t->ev, "exited", "loop", k + 1);
		st = vdrun_ev_nth(&t->ev, "started", "loop", k + 2);
		gap = evlog_mono(&t->ev, st) - evlog_mono(&t->ev, ex);
		printf("restart %d: delay %.3f s, exit to start %.3f s\n",
		       k + 1, delays[k], gap);
		assert_true(gap >= delays[k] - 0.002);
		assert_true(gap < delays[k] + 0.5);
	}
	g = ctl_guest(t, "loop");
	assert_string_equal(jstr(g, "state"), "failed");
	assert_int_equal(jint(g, "boots"), 4);
	assert_int_equal(jint(g, "restarts"), 3);
	json_object_put(g);

	/* It may reboot before its control socket answers: 0 or 1. */
	vdrun_ctl(t, &c, "start", "loop", NULL);
	vmproc_free(&c);
	i = vdrun_wait_event(t, "restarting", "loop", 4);
	assert_true(ev_secs(&t->ev, i, "delay") == 0.1);
	assert_int_equal(vdrun_stop(t), 0);
}

/* The stopped event about @guest; asserts how it ended. */
static int expect_stopped(struct vdrun *t, const char *guest, const char *by,
			  const char *how, int code)
{
	int i = vdrun_ev_nth(&t->ev, "stopped", guest, 1);

	if (i < 0)
		vdrun_dump(t);
	assert_true(i >= 0);
	assert_string_equal(evlog_str(&t->ev, i, "by"), by);
	assert_string_equal(evlog_str(&t->ev, i, "how"), how);
	assert_int_equal(evlog_int(&t->ev, i, "code", -1), code);
	return i;
}

/* The @nth shutdown level stopped the guests of the JSON array @names. */
static void expect_level(struct vdrun *t, int nth, const char *names)
{
	int i = vdrun_ev_nth(&t->ev, "shutdown-level", NULL, nth);
	struct json_object *want = json_tokener_parse(names), *got;

	assert_true(i >= 0);
	got = json_tokener_parse(evlog_str(&t->ev, i, "guests"));
	if (!json_object_equal(want, got))
		fail_msg("shutdown level %d: %s, expected %s", nth,
			 evlog_str(&t->ev, i, "guests"), names);
	json_object_put(want);
	json_object_put(got);
}

/* The three guests of the shutdown tests: c after b after a. */
static void chain(struct vdrun *t)
{
	vdrun_guest_file(t, "a", "power-button", "");
	vdrun_guest_file(t, "b", "power-button", "after a\n");
	vdrun_guest_file(t, "c", "power-button-ignore",
			 "after b\nstop-timeout 1s\n");
	vdrun_start(t, NULL);
	vdrun_wait_event(t, "autostart-done", NULL, 1);
	vdrun_wait_console(t, "a", "PROBE READY power-button");
	vdrun_wait_console(t, "b", "PROBE READY power-button");
	vdrun_wait_console(t, "c", "PROBE READY power-button-ignore");
}

/*
 * SIGTERM to vesseld: c, then b, then a. a and b power off on their
 * button; c ignores it and gets the second SIGTERM after its 1 s
 * stop-timeout (vessel exits 35). vesseld exits 1 and never SIGKILLs.
 */
static void test_host_shutdown_order(void **state)
{
	struct vdrun *t = *state;
	int ia, ib, ic, i;
	double after;
	struct evlog vev;
	char path[VDRUN_PATH_LEN + 64];

	chain(t);
	/* Started in order: a up before b started, b up before c. */
	assert_true(vdrun_ev_nth(&t->ev, "up", "a", 1) <
		    vdrun_ev_nth(&t->ev, "started", "b", 1));
	assert_true(vdrun_ev_nth(&t->ev, "up", "b", 1) <
		    vdrun_ev_nth(&t->ev, "started", "c", 1));

	assert_int_equal(vdrun_stop(t), VD_EXIT_ESCALATED);
	ic = expect_stopped(t, "c", "shutdown", "terminated", EXIT_TERMINATED);
	ib = expect_stopped(t, "b", "shutdown", "power-button", EXIT_POWEROFF);
	ia = expect_stopped(t, "a", "shutdown", "power-button", EXIT_POWEROFF);
	assert_true(ic < ib && ib < ia);
	/* Each level pressed only once the one before was down. */
	assert_true(ic < vdrun_ev_nth(&t->ev, "power-button", "b", 1));
	assert_true(ib < vdrun_ev_nth(&t->ev, "power-button", "a", 1));
	expect_level(t, 1, "[\"c\"]");
	expect_level(t, 2, "[\"b\"]");
	expect_level(t, 3, "[\"a\"]");

	/* Exactly one escalation: c's second SIGTERM, after 1 s. */
	assert_int_equal(vdrun_ev_count(&t->ev, "escalated", NULL), 1);
	i = vdrun_ev_nth(&t->ev, "escalated", "c", 1);
	assert_true(i >= 0);
	assert_string_equal(evlog_str(&t->ev, i, "signal"), "SIGTERM");
	after = ev_secs(&t->ev, i, "after");
	printf("c escalated %.3f s after its power button; b and a down in "
	       "%.3f and %.3f s\n",
	       after, ev_secs(&t->ev, ib, "seconds"),
	       ev_secs(&t->ev, ia, "seconds"));
	assert_true(after >= 1.0 && after < 1.5);
	assert_no_sigkill(t);
	i = vdrun_ev_nth(&t->ev, "shutdown-done", NULL, 1);
	assert_int_equal(evlog_int(&t->ev, i, "escalated", -1), 1);

	/* vessel's own account: the second SIGTERM terminated c. */
	snprintf(path, sizeof(path), "%s/c/events.jsonl", t->run);
	assert_int_equal(evlog_load(&vev, path), 0);
	i = evlog_find(&vev, "terminate", 0);
	assert_true(i >= 0);
	assert_string_equal(evlog_str(&vev, i, "by"), "second SIGTERM");
	evlog_free(&vev);
	assert_non_null(strstr(t->d.err, "c: stopped by shutdown: terminated"));
}

/* `vesselctl shutdown`: each guest's line, exit 4 for the escalation. */
static void test_shutdown_by_vesselctl(void **state)
{
	struct vdrun *t = *state;
	struct vmproc c;
	int code;

	chain(t);
	code = vdrun_ctl(t, &c, "shutdown", NULL);
	if (code != CTL_EXIT_ESCALATED)
		vmproc_dump(&c);
	assert_int_equal(code, CTL_EXIT_ESCALATED);
	assert_non_null(strstr(c.out, "c: terminated: terminated (exit 35)"));
	assert_non_null(strstr(c.out, "b: power-button: poweroff (exit 0)"));
	assert_non_null(strstr(c.out, "a: power-button: poweroff (exit 0)"));
	assert_non_null(strstr(c.out, "1 guest escalated"));
	vmproc_free(&c);
	assert_int_equal(vmproc_wait_exit(&t->d, EXIT_MS), VD_EXIT_ESCALATED);
	assert_no_sigkill(t);
}

/* SIGQUIT to vesseld: every guest's power is cut at once (exit 3). */
static void test_sigquit_cuts_all(void **state)
{
	struct vdrun *t = *state;

	chain(t);
	assert_int_equal(vmproc_kill(&t->d, SIGQUIT), 0);
	assert_int_equal(vmproc_wait_exit(&t->d, EXIT_MS), VD_EXIT_ESCALATED);
	evlog_free(&t->ev);
	evlog_load(&t->ev, t->events);
	assert_int_equal(vdrun_ev_count(&t->ev, "power-cut", NULL), 3);
	assert_int_equal(vdrun_ev_count(&t->ev, "power-button", NULL), 0);
	expect_stopped(t, "a", "SIGQUIT", "power-cut", EXIT_POWER_CUT);
	expect_stopped(t, "b", "SIGQUIT", "power-cut", EXIT_POWER_CUT);
	expect_stopped(t, "c", "SIGQUIT", "power-cut", EXIT_POWER_CUT);
	assert_no_sigkill(t);
}

/*
 * vesseld dies without a word (SIGKILL: the one signal no cleanup can
 * follow; sent to vesseld, never to a vessel) while its guests run on.
 * A new vesseld re-adopts them from their state files, does not start
 * them twice, and still learns how each ends: b's reboot (32) restarts
 * it; a's power-off on the host shutdown is recorded with its code.
 */
static void test_restart_adopts(void **state)
{
	struct vdrun *t = *state;
	char sock[VDRUN_PATH_LEN + 16];
	long long pid_a, pid_b;
	struct json_object *g;
	struct vmproc c;
	int i;

	vdrun_guest_file(t, "a", "power-button", "");
	vdrun_guest_file(t, "b", "lifecycle-daemon probe.lc.request_ms=600000",
			 "shmem %s\nrestart-delay 0\nstop-timeout 500ms\n",
			 LIFECYCLE);
	vdrun_start(t, NULL);
	pid_a = evlog_int(&t->ev, vdrun_wait_event(t, "up", "a", 1), "pid", -1);
	pid_b = evlog_int(&t->ev, vdrun_wait_event(t, "up", "b", 1), "pid", -1);
	vdrun_wait_console(t, "a", "PROBE READY power-button");
	vdrun_wait_console(t, "b", "PROBE READY lifecycle-daemon");
	assert_int_equal(vmproc_kill(&t->d, SIGKILL), 0);
	assert_int_equal(vmproc_wait_exit(&t->d, EXIT_MS), 128 + SIGKILL);
	vmproc_free(&t->d);
	assert_int_equal(kill(pid_a, 0), 0);
	assert_int_equal(kill(pid_b, 0), 0);

	vdrun_start(t, NULL);
	i = vdrun_wait_event(t, "adopted", "a", 1);
	assert_int_equal(evlog_int(&t->ev, i, "pid", -1), pid_a);
	i = vdrun_wait_event(t, "adopted", "b", 1);
	assert_int_equal(evlog_int(&t->ev, i, "pid", -1), pid_b);
	vdrun_wait_event(t, "autostart-done", NULL, 2);
	assert_int_equal(vdrun_ev_count(&t->ev, "started", "a"), 1);
	g = ctl_guest(t, "a");
	assert_string_equal(jstr(g, "state"), "running");
	assert_int_equal(jint(g, "pid"), pid_a);
	json_object_put(g);

	snprintf(sock, sizeof(sock), "%s/b/ctl.sock", t->run);
	assert_int_equal(
		vdrun_ctl(t, &c, "--vm", sock, "request", "reboot", NULL), 0);
	vmproc_free(&c);
	i = vdrun_wait_event(t, "exited", "b", 1);
	assert_int_equal(evlog_int(&t->ev, i, "pid", -1), pid_b);
	assert_int_equal(evlog_int(&t->ev, i, "code", -1), EXIT_REBOOT);
	i = vdrun_wait_event(t, "started", "b", 2);
	assert_int_equal(evlog_int(&t->ev, i, "boot", -1), 2);

	/* b ignores its button: escalated; a powers off, as vessel records. */
	assert_int_equal(vdrun_stop(t), VD_EXIT_ESCALATED);
	i = expect_stopped(t, "a", "shutdown", "power-button", EXIT_POWEROFF);
	assert_string_equal(evlog_str(&t->ev, i, "reason"), "poweroff");
	assert_no_sigkill(t);
}

/* A bad value: refused with file:line, exit 65, nothing started. */
static void test_bad_config(void **state)
{
	struct vdrun *t = *state;
	char where[VDRUN_PATH_LEN + 32];
	struct stat st;

	vdrun_guest_file(t, "ok", "power-button", "");
	vdrun_guest_file(t, "bad", "power-button",
			 "after ok\non-reboot again\n");
	vdrun_start(t, NULL);
	assert_int_equal(vmproc_wait_exit(&t->d, EXIT_MS), VD_EXIT_CONFIG);
	snprintf(where, sizeof(where), "%s/bad.conf:5: on-reboot", t->conf);
	if (!strstr(t->d.err, where))
		vmproc_dump(&t->d);
	assert_non_null(strstr(t->d.err, where));
	assert_int_equal(stat(t->run, &st), -1);
}

/* One vesseld per run directory; the socket is 0600. */
static void test_second_vesseld_refused(void **state)
{
	struct vdrun *t = *state;
	const char *argv[] = {
		vesseld_path(), "--config-dir", t->conf, "--run-dir",
		t->run,		"--foreground", NULL
	};
	struct vmproc second;
	struct stat st;

	vdrun_guest_file(t, "a", "power-button", "");
	vdrun_start(t, NULL);
	vdrun_wait_event(t, "up", "a", 1);
	assert_int_equal(stat(t->sock, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(vmproc_start(&second, argv), 0);
	assert_int_equal(vmproc_wait_exit(&second, EXIT_MS), VD_EXIT_LOCKED);
	assert_non_null(strstr(second.err, "another vesseld runs"));
	vmproc_free(&second);
	vdrun_wait_console(t, "a", "PROBE READY power-button");
	assert_int_equal(vdrun_stop(t), 0);
}

/* The temporary group of test_socket_group, removed by its teardown. */
static char group_name[32];

static int teardown_group(void **state)
{
	char cmd[64];

	if (group_name[0]) {
		snprintf(cmd, sizeof(cmd), "groupdel %s", group_name);
		if (system(cmd))
			fprintf(stderr, "could not remove group %s\n",
				group_name);
		group_name[0] = '\0';
	}
	return teardown(state);
}

/*
 * `setpriv ... vesselctl --daemon SOCK list` as nobody, @gid its group
 * and @groups its supplementary ones; its exit code.
 */
static int ctl_as_nobody(struct vdrun *t, struct vmproc *c, const char *gid,
			 const char *groups)
{
	char ctl[PATH_MAX];
	/* env: vmproc_start does not search PATH. */
	const char *argv[] = {
		"/usr/bin/env", "setpriv", "--reuid=" NOBODY, gid,
		groups,		ctl,	   "--daemon",	      t->sock,
		"list",		NULL
	};

	assert_non_null(realpath(vesselctl_path(), ctl));
	assert_int_equal(vmproc_start(c, argv), 0);
	return vmproc_wait_exit(c, VDRUN_CTL_MS);
}

static void expect_listed(struct vdrun *t, const char *gid, const char *groups)
{
	struct vmproc c;
	int code = ctl_as_nobody(t, &c, gid, groups);

	if (code || !strstr(c.out, "running"))
		vmproc_dump(&c);
	assert_int_equal(code, 0);
	assert_non_null(strstr(c.out, "running"));
	vmproc_free(&c);
}

/*
 * --socket-group: the run directory 0710 and the socket 0660 of the
 * group, the guest's directory still 0700; nobody lists the guests with
 * the group as its own or as a supplementary one, and is refused without
 * it. An unknown group is a usage error.
 */
static void test_socket_group(void **state)
{
	struct vdrun *t = *state;
	const char *opts[] = { "--socket-group", group_name, NULL };
	char cmd[64], gid[32], groups[32], guest_dir[VDRUN_PATH_LEN + 8];
	struct group *gr;
	struct vmproc c;
	struct stat st;
	int code;

	if (getuid() || system("command -v groupadd groupdel setpriv "
			       ">/dev/null 2>&1"))
		skip();
	snprintf(group_name, sizeof(group_name), "vesseltest%d", (int)getpid());
	snprintf(cmd, sizeof(cmd), "groupadd -f %s", group_name);
	assert_int_equal(system(cmd), 0);
	gr = getgrnam(group_name);
	assert_non_null(gr);
	snprintf(gid, sizeof(gid), "--regid=%u", (unsigned)gr->gr_gid);
	snprintf(groups, sizeof(groups), "--groups=%u", (unsigned)gr->gr_gid);
	/* mkdtemp made it 0700: nobody must get as far as the run dir. */
	assert_int_equal(chmod(t->dir, 0711), 0);

	vdrun_guest_file(t, "a", "power-button", "");
	vdrun_start(t, opts);
	vdrun_wait_event(t, "up", "a", 1);
	assert_int_equal(stat(t->run, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0710);
	assert_int_equal(st.st_gid, gr->gr_gid);
	assert_int_equal(stat(t->sock, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0660);
	assert_int_equal(st.st_gid, gr->gr_gid);
	snprintf(guest_dir, sizeof(guest_dir), "%s/a", t->run);
	assert_int_equal(stat(guest_dir, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0700);

	expect_listed(t, "--regid=" NOBODY, groups);
	expect_listed(t, gid, "--clear-groups");
	code = ctl_as_nobody(t, &c, "--regid=" NOBODY, "--clear-groups");
	if (!code || !strstr(c.err, "ermission denied"))
		vmproc_dump(&c);
	assert_int_not_equal(code, 0);
	assert_non_null(strstr(c.err, "ermission denied"));
	vmproc_free(&c);

	vdrun_wait_console(t, "a", "PROBE READY power-button");
	assert_int_equal(vdrun_stop(t), 0);
	vmproc_free(&t->d);
	t->started = false;

	opts[1] = "no-such-group-vessel";
	vdrun_start(t, opts);
	assert_int_equal(vmproc_wait_exit(&t->d, EXIT_MS), VD_EXIT_USAGE);
	assert_non_null(strstr(t->d.err, "no group 'no-such-group-vessel'"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_reboot_restarts, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_poweroff_stays_down, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_reboot_forever_fails,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_host_shutdown_order, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_shutdown_by_vesselctl,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_sigquit_cuts_all, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_restart_adopts, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_bad_config, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_second_vesseld_refused,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_socket_group, setup,
						teardown_group),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
