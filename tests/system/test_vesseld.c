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
 * directory is refused. Facts come from vesseld's event file.
 */
#include <errno.h>
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
#include "../lib/vmproc.h"

#define WAIT_MS 30000
#define CTL_MS 20000
#define EXIT_MS 30000
#define DIR_MAX 64
#define PATH_LEN 192

#define EXIT_POWEROFF 0
#define EXIT_REBOOT 32
#define EXIT_TERMINATED 35
#define EXIT_POWER_CUT 3
#define VD_EXIT_ESCALATED 1
#define VD_EXIT_CONFIG 65
#define VD_EXIT_LOCKED 75
#define CTL_EXIT_ESCALATED 4

#define LIFECYCLE "model=qnx,name=lifecycle,size=4K"

struct vd_test {
	char dir[DIR_MAX]; /* $TMPDIR/vessel-vd-XXXXXX */
	char conf[PATH_LEN]; /* dir/conf: the guest files */
	char run[PATH_LEN]; /* dir/run */
	char shm[PATH_LEN]; /* dir/shm: VESSEL_SHM_DIR */
	char events[PATH_LEN]; /* run/vesseld.events */
	char sock[PATH_LEN]; /* run/vesseld.sock */
	char vessel[PATH_MAX], probe[PATH_MAX];
	struct vmproc d; /* vesseld --foreground */
	bool started;
	struct evlog ev;
};

static const char *vesseld_path(void)
{
	const char *p = getenv("VESSELD");

	return p ? p : "build/vesseld";
}

static long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000L + ts.tv_nsec / 1000000;
}

static int setup(void **state)
{
	const char *tmp = getenv("TMPDIR");
	struct vd_test *t = calloc(1, sizeof(*t));

	if (!t)
		return -1;
	snprintf(t->dir, sizeof(t->dir), "%s/vessel-vd-XXXXXX",
		 tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(t->dir) || !realpath(vessel_path(), t->vessel) ||
	    !realpath(probe_path(), t->probe)) {
		free(t);
		return -1;
	}
	snprintf(t->conf, sizeof(t->conf), "%s/conf", t->dir);
	snprintf(t->run, sizeof(t->run), "%s/run", t->dir);
	snprintf(t->shm, sizeof(t->shm), "%s/shm", t->dir);
	snprintf(t->events, sizeof(t->events), "%s/run/vesseld.events", t->dir);
	snprintf(t->sock, sizeof(t->sock), "%s/run/vesseld.sock", t->dir);
	mkdir(t->conf, 0700);
	setenv("VESSEL_SHM_DIR", t->shm, 1);
	*state = t;
	return 0;
}

static int teardown(void **state)
{
	struct vd_test *t = *state;
	char cmd[PATH_LEN + 16];

	/* SIGQUIT to a vesseld still running cuts its guests, then it exits. */
	if (t->started)
		vmproc_free(&t->d);
	evlog_free(&t->ev);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", t->dir);
	if (system(cmd))
		fprintf(stderr, "could not remove %s\n", t->dir);
	unsetenv("VESSEL_SHM_DIR");
	free(t);
	return 0;
}

/* Write conf/@name.conf: the probe on @scenario, then @fmt's lines. */
static void guest_file(struct vd_test *t, const char *name,
		       const char *scenario, const char *fmt, ...)
{
	char path[PATH_LEN + 64];
	va_list ap;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s.conf", t->conf, name);
	f = fopen(path, "w");
	assert_non_null(f);
	fprintf(f, "kernel %s\ncmdline probe.test=%s\nmem 64M\n", t->probe,
		scenario);
	va_start(ap, fmt);
	vfprintf(f, fmt, ap);
	va_end(ap);
	fclose(f);
}

static void vd_start(struct vd_test *t)
{
	const char *argv[] = { vesseld_path(), "--config-dir", t->conf,
			       "--run-dir",    t->run,	       "--vessel",
			       t->vessel,      "--foreground", NULL };

	assert_int_equal(vmproc_start(&t->d, argv), 0);
	t->started = true;
}

static void vd_dump(struct vd_test *t)
{
	evlog_free(&t->ev);
	evlog_load(&t->ev, t->events);
	fprintf(stderr, "---- vesseld events ----\n");
	evlog_dump(&t->ev);
	vmproc_dump(&t->d);
}

/* Index of the @nth (1-based) event @type about @guest (NULL: any), or -1. */
static int ev_nth(const struct evlog *l, const char *type, const char *guest,
		  int nth)
{
	const char *g;
	int i;

	for (i = 0; i < l->n; i++) {
		if (strcmp(evlog_type(l, i), type))
			continue;
		g = evlog_str(l, i, "guest");
		if (guest && (!g || strcmp(g, guest)))
			continue;
		if (--nth == 0)
			return i;
	}
	return -1;
}

static int ev_count(const struct evlog *l, const char *type, const char *guest)
{
	int n = 0;

	while (ev_nth(l, type, guest, n + 1) >= 0)
		n++;
	return n;
}

/* Wait until vesseld wrote its @nth event @type about @guest; its index. */
static int vd_wait_event(struct vd_test *t, const char *type, const char *guest,
			 int nth)
{
	long end = now_ms() + WAIT_MS;
	int i;

	for (;;) {
		evlog_free(&t->ev);
		evlog_load(&t->ev, t->events);
		i = ev_nth(&t->ev, type, guest, nth);
		if (i >= 0)
			return i;
		if (now_ms() > end || !vmproc_alive_after(&t->d, 10)) {
			vd_dump(t);
			fail_msg("no event %s #%d for %s", type, nth,
				 guest ? guest : "vesseld");
		}
	}
}

/* Wait for @marker in run/@name/console.log (the guest's serial). */
static void vd_wait_console(struct vd_test *t, const char *name,
			    const char *marker)
{
	char path[PATH_LEN + 64], buf[8192];
	long end = now_ms() + WAIT_MS;
	size_t n;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s/console.log", t->run, name);
	for (;;) {
		f = fopen(path, "re");
		n = f ? fread(buf, 1, sizeof(buf) - 1, f) : 0;
		if (f)
			fclose(f);
		buf[n] = '\0';
		if (strstr(buf, marker))
			return;
		if (now_ms() > end || !vmproc_alive_after(&t->d, 10)) {
			vd_dump(t);
			fail_msg("%s: no \"%s\" on its console: \"%s\"", name,
				 marker, buf);
		}
	}
}

/* `vesselctl ARGS...` (to this vesseld unless ARGS has --vm); its exit code. */
static int ctl(struct vd_test *t, struct vmproc *c, ...)
{
	const char *argv[16] = { vesselctl_path(), "--daemon", t->sock };
	int n = 3, code;
	va_list ap;

	va_start(ap, c);
	while (n < 15 && (argv[n] = va_arg(ap, const char *)))
		n++;
	va_end(ap);
	argv[n] = NULL;
	assert_int_equal(vmproc_start(c, argv), 0);
	code = vmproc_wait_exit(c, CTL_MS);
	return code;
}

/* `vesselctl list --json`: guest @name's object (the caller puts it). */
static struct json_object *ctl_guest(struct vd_test *t, const char *name)
{
	struct json_object *a, *g, *v, *found = NULL;
	struct vmproc c;
	size_t i;

	assert_int_equal(ctl(t, &c, "list", "--json", NULL), 0);
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
static void assert_no_sigkill(struct vd_test *t)
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

/* Stop vesseld with SIGTERM; its exit code. */
static int vd_stop(struct vd_test *t)
{
	int code;

	assert_int_equal(vmproc_kill(&t->d, SIGTERM), 0);
	code = vmproc_wait_exit(&t->d, EXIT_MS);
	evlog_free(&t->ev);
	evlog_load(&t->ev, t->events);
	return code;
}

/*
 * A guest daemon that reboots when the host asks (the probe's
 * lifecycle-daemon resets the machine itself): vessel exits 32, vesseld
 * starts a new vessel at once; the guest is up again on boot 2.
 */
static void test_reboot_restarts(void **state)
{
	struct vd_test *t = *state;
	char ctl_sock[PATH_LEN + 16];
	struct json_object *g;
	struct vmproc c;
	long long pid1;
	int i;

	guest_file(t, "g", "lifecycle-daemon probe.lc.request_ms=600000",
		   "shmem %s\nrestart-delay 0\nstop-timeout 500ms\n",
		   LIFECYCLE);
	vd_start(t);
	i = vd_wait_event(t, "up", "g", 1);
	pid1 = evlog_int(&t->ev, i, "pid", -1);
	vd_wait_console(t, "g", "PROBE READY lifecycle-daemon");
	snprintf(ctl_sock, sizeof(ctl_sock), "%s/g/ctl.sock", t->run);
	assert_int_equal(
		ctl(t, &c, "--vm", ctl_sock, "request", "reboot", NULL), 0);
	vmproc_free(&c);

	i = vd_wait_event(t, "exited", "g", 1);
	assert_int_equal(evlog_int(&t->ev, i, "code", -1), EXIT_REBOOT);
	assert_string_equal(evlog_str(&t->ev, i, "reason"), "reboot");
	assert_int_equal(evlog_int(&t->ev, i, "pid", -1), pid1);
	i = vd_wait_event(t, "restarting", "g", 1);
	assert_true(ev_secs(&t->ev, i, "delay") == 0);
	i = vd_wait_event(t, "up", "g", 2);
	assert_int_not_equal(evlog_int(&t->ev, i, "pid", -1), pid1);
	i = ev_nth(&t->ev, "started", "g", 2);
	assert_int_equal(evlog_int(&t->ev, i, "boot", -1), 2);
	assert_string_equal(evlog_str(&t->ev, i, "by"), "restart");

	g = ctl_guest(t, "g");
	assert_string_equal(jstr(g, "state"), "running");
	assert_int_equal(jint(g, "boots"), 2);
	assert_int_equal(jint(g, "restarts"), 1);
	assert_int_not_equal(jint(g, "pid"), pid1);
	json_object_put(g);
	/* The guest ignores the button: the shutdown has to terminate it. */
	assert_int_equal(vd_stop(t), VD_EXIT_ESCALATED);
}

/* Powered off with `on-poweroff stop`: no restart, ever. */
static void test_poweroff_stays_down(void **state)
{
	struct vd_test *t = *state;
	struct json_object *g, *last;
	int i;

	guest_file(t, "off", "poweroff", "on-poweroff stop\n");
	vd_start(t);
	i = vd_wait_event(t, "down", "off", 1);
	assert_int_equal(evlog_int(&t->ev, i, "code", -1), EXIT_POWEROFF);
	assert_string_equal(evlog_str(&t->ev, i, "why"), "on-poweroff stop");
	assert_true(vmproc_alive_after(&t->d, 1000));
	evlog_free(&t->ev);
	evlog_load(&t->ev, t->events);
	assert_int_equal(ev_count(&t->ev, "started", "off"), 1);
	assert_int_equal(ev_count(&t->ev, "restarting", "off"), 0);
	g = ctl_guest(t, "off");
	assert_string_equal(jstr(g, "state"), "down");
	assert_int_equal(jint(g, "boots"), 1);
	assert_true(json_object_object_get_ex(g, "last_exit", &last));
	assert_string_equal(jstr(last, "reason"), "poweroff");
	json_object_put(g);
	assert_int_equal(vd_stop(t), 0);
}

/*
 * A guest that reboots at once, forever: restarted after 100, 200 and
 * 400 ms, and its fourth exit (3 restarts within the minute) marks it
 * failed. An operator's start clears the tally: 100 ms again.
 */
static void test_reboot_forever_fails(void **state)
{
	static const double delays[] = { 0.1, 0.2, 0.4 };
	struct vd_test *t = *state;
	struct json_object *g;
	struct vmproc c;
	double gap;
	int i, k, ex, st;

	guest_file(t, "loop", "reboot-cf9",
		   "restart-delay 100ms\nrestart-limit 3\n"
		   "restart-window 1m\n");
	vd_start(t);
	i = vd_wait_event(t, "failed", "loop", 1);
	assert_string_equal(evlog_str(&t->ev, i, "reason"), "reboot");
	assert_string_equal(evlog_str(&t->ev, i, "why"),
			    "3 restarts within 60 s");
	assert_int_equal(ev_count(&t->ev, "started", "loop"), 4);
	assert_int_equal(ev_count(&t->ev, "exited", "loop"), 4);
	assert_int_equal(ev_count(&t->ev, "restarting", "loop"), 3);
	for (k = 0; k < 3; k++) {
		i = ev_nth(&t->ev, "restarting", "loop", k + 1);
		assert_true(ev_secs(&t->ev, i, "delay") == delays[k]);
		ex = ev_nth(&t->ev, "exited", "loop", k + 1);
		st = ev_nth(&t->ev, "started", "loop", k + 2);
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
	ctl(t, &c, "start", "loop", NULL);
	vmproc_free(&c);
	i = vd_wait_event(t, "restarting", "loop", 4);
	assert_true(ev_secs(&t->ev, i, "delay") == 0.1);
	assert_int_equal(vd_stop(t), 0);
}

/* The stopped event about @guest; asserts how it ended. */
static int expect_stopped(struct vd_test *t, const char *guest, const char *by,
			  const char *how, int code)
{
	int i = ev_nth(&t->ev, "stopped", guest, 1);

	if (i < 0)
		vd_dump(t);
	assert_true(i >= 0);
	assert_string_equal(evlog_str(&t->ev, i, "by"), by);
	assert_string_equal(evlog_str(&t->ev, i, "how"), how);
	assert_int_equal(evlog_int(&t->ev, i, "code", -1), code);
	return i;
}

/* The @nth shutdown level stopped the guests of the JSON array @names. */
static void expect_level(struct vd_test *t, int nth, const char *names)
{
	int i = ev_nth(&t->ev, "shutdown-level", NULL, nth);
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
static void chain(struct vd_test *t)
{
	guest_file(t, "a", "power-button", "");
	guest_file(t, "b", "power-button", "after a\n");
	guest_file(t, "c", "power-button-ignore", "after b\nstop-timeout 1s\n");
	vd_start(t);
	vd_wait_event(t, "autostart-done", NULL, 1);
	vd_wait_console(t, "a", "PROBE READY power-button");
	vd_wait_console(t, "b", "PROBE READY power-button");
	vd_wait_console(t, "c", "PROBE READY power-button-ignore");
}

/*
 * SIGTERM to vesseld: c, then b, then a. a and b power off on their
 * button; c ignores it and gets the second SIGTERM after its 1 s
 * stop-timeout (vessel exits 35). vesseld exits 1 and never SIGKILLs.
 */
static void test_host_shutdown_order(void **state)
{
	struct vd_test *t = *state;
	int ia, ib, ic, i;
	double after;
	struct evlog vev;
	char path[PATH_LEN + 64];

	chain(t);
	/* Started in order: a up before b started, b up before c. */
	assert_true(ev_nth(&t->ev, "up", "a", 1) <
		    ev_nth(&t->ev, "started", "b", 1));
	assert_true(ev_nth(&t->ev, "up", "b", 1) <
		    ev_nth(&t->ev, "started", "c", 1));

	assert_int_equal(vd_stop(t), VD_EXIT_ESCALATED);
	ic = expect_stopped(t, "c", "shutdown", "terminated", EXIT_TERMINATED);
	ib = expect_stopped(t, "b", "shutdown", "power-button", EXIT_POWEROFF);
	ia = expect_stopped(t, "a", "shutdown", "power-button", EXIT_POWEROFF);
	assert_true(ic < ib && ib < ia);
	/* Each level pressed only once the one before was down. */
	assert_true(ic < ev_nth(&t->ev, "power-button", "b", 1));
	assert_true(ib < ev_nth(&t->ev, "power-button", "a", 1));
	expect_level(t, 1, "[\"c\"]");
	expect_level(t, 2, "[\"b\"]");
	expect_level(t, 3, "[\"a\"]");

	/* Exactly one escalation: c's second SIGTERM, after 1 s. */
	assert_int_equal(ev_count(&t->ev, "escalated", NULL), 1);
	i = ev_nth(&t->ev, "escalated", "c", 1);
	assert_true(i >= 0);
	assert_string_equal(evlog_str(&t->ev, i, "signal"), "SIGTERM");
	after = ev_secs(&t->ev, i, "after");
	printf("c escalated %.3f s after its power button; b and a down in "
	       "%.3f and %.3f s\n",
	       after, ev_secs(&t->ev, ib, "seconds"),
	       ev_secs(&t->ev, ia, "seconds"));
	assert_true(after >= 1.0 && after < 1.5);
	assert_no_sigkill(t);
	i = ev_nth(&t->ev, "shutdown-done", NULL, 1);
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
	struct vd_test *t = *state;
	struct vmproc c;
	int code;

	chain(t);
	code = ctl(t, &c, "shutdown", NULL);
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
	struct vd_test *t = *state;

	chain(t);
	assert_int_equal(vmproc_kill(&t->d, SIGQUIT), 0);
	assert_int_equal(vmproc_wait_exit(&t->d, EXIT_MS), VD_EXIT_ESCALATED);
	evlog_free(&t->ev);
	evlog_load(&t->ev, t->events);
	assert_int_equal(ev_count(&t->ev, "power-cut", NULL), 3);
	assert_int_equal(ev_count(&t->ev, "power-button", NULL), 0);
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
	struct vd_test *t = *state;
	char sock[PATH_LEN + 16];
	long long pid_a, pid_b;
	struct json_object *g;
	struct vmproc c;
	int i;

	guest_file(t, "a", "power-button", "");
	guest_file(t, "b", "lifecycle-daemon probe.lc.request_ms=600000",
		   "shmem %s\nrestart-delay 0\nstop-timeout 500ms\n",
		   LIFECYCLE);
	vd_start(t);
	pid_a = evlog_int(&t->ev, vd_wait_event(t, "up", "a", 1), "pid", -1);
	pid_b = evlog_int(&t->ev, vd_wait_event(t, "up", "b", 1), "pid", -1);
	vd_wait_console(t, "a", "PROBE READY power-button");
	vd_wait_console(t, "b", "PROBE READY lifecycle-daemon");
	assert_int_equal(vmproc_kill(&t->d, SIGKILL), 0);
	assert_int_equal(vmproc_wait_exit(&t->d, EXIT_MS), 128 + SIGKILL);
	vmproc_free(&t->d);
	assert_int_equal(kill(pid_a, 0), 0);
	assert_int_equal(kill(pid_b, 0), 0);

	vd_start(t);
	i = vd_wait_event(t, "adopted", "a", 1);
	assert_int_equal(evlog_int(&t->ev, i, "pid", -1), pid_a);
	i = vd_wait_event(t, "adopted", "b", 1);
	assert_int_equal(evlog_int(&t->ev, i, "pid", -1), pid_b);
	vd_wait_event(t, "autostart-done", NULL, 2);
	assert_int_equal(ev_count(&t->ev, "started", "a"), 1);
	g = ctl_guest(t, "a");
	assert_string_equal(jstr(g, "state"), "running");
	assert_int_equal(jint(g, "pid"), pid_a);
	json_object_put(g);

	snprintf(sock, sizeof(sock), "%s/b/ctl.sock", t->run);
	assert_int_equal(ctl(t, &c, "--vm", sock, "request", "reboot", NULL),
			 0);
	vmproc_free(&c);
	i = vd_wait_event(t, "exited", "b", 1);
	assert_int_equal(evlog_int(&t->ev, i, "pid", -1), pid_b);
	assert_int_equal(evlog_int(&t->ev, i, "code", -1), EXIT_REBOOT);
	i = vd_wait_event(t, "started", "b", 2);
	assert_int_equal(evlog_int(&t->ev, i, "boot", -1), 2);

	/* b ignores its button: escalated; a powers off, as vessel records. */
	assert_int_equal(vd_stop(t), VD_EXIT_ESCALATED);
	i = expect_stopped(t, "a", "shutdown", "power-button", EXIT_POWEROFF);
	assert_string_equal(evlog_str(&t->ev, i, "reason"), "poweroff");
	assert_no_sigkill(t);
}

/* A bad value: refused with file:line, exit 65, nothing started. */
static void test_bad_config(void **state)
{
	struct vd_test *t = *state;
	char where[PATH_LEN + 32];
	struct stat st;

	guest_file(t, "ok", "power-button", "");
	guest_file(t, "bad", "power-button", "after ok\non-reboot again\n");
	vd_start(t);
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
	struct vd_test *t = *state;
	const char *argv[] = {
		vesseld_path(), "--config-dir", t->conf, "--run-dir",
		t->run,		"--foreground", NULL
	};
	struct vmproc second;
	struct stat st;

	guest_file(t, "a", "power-button", "");
	vd_start(t);
	vd_wait_event(t, "up", "a", 1);
	assert_int_equal(stat(t->sock, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(vmproc_start(&second, argv), 0);
	assert_int_equal(vmproc_wait_exit(&second, EXIT_MS), VD_EXIT_LOCKED);
	assert_non_null(strstr(second.err, "another vesseld runs"));
	vmproc_free(&second);
	vd_wait_console(t, "a", "PROBE READY power-button");
	assert_int_equal(vd_stop(t), 0);
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
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
