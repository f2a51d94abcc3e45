// SPDX-License-Identifier: Apache-2.0
/*
 * vesseld's reload and the quiesce hook it runs for killed vessels, with
 * probe guests and a private configuration and run directory per test:
 * `vesselctl reload` after a guest file was added starts the new guest;
 * after one was removed stops that guest (power button, by "reload") and
 * forgets it; a changed file is taken at the guest's next start and
 * `status` says so; a bad file is refused with file:line, the running
 * guests untouched and `list` unchanged (also through SIGHUP). A vessel
 * SIGKILLed by the test gets its quiesce hook run by vesseld (the hook
 * writes a file; a `hook` event), and the guest is restarted after the
 * hook (on-crash restart) or stays down (on-crash stop). Facts come from
 * vesseld's event file.
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
#include "../lib/vdrun.h"
#include "../lib/vmproc.h"

#define WAIT_MS 30000

#define EXIT_POWEROFF 0
#define CTL_EXIT_REPLY 1

static int setup(void **state)
{
	struct vdrun *t = vdrun_new("vdr", 0);

	*state = t;
	return t ? 0 : -1;
}

static int teardown(void **state)
{
	vdrun_delete(*state);
	return 0;
}

static void guest_file_remove(struct vdrun *t, const char *name)
{
	char path[VDRUN_PATH_LEN + 64];

	snprintf(path, sizeof(path), "%s/%s.conf", t->conf, name);
	assert_int_equal(unlink(path), 0);
}

/* `vesselctl list --json` (the caller puts it). */
static struct json_object *ctl_list(struct vdrun *t)
{
	struct json_object *a;
	struct vmproc c;

	assert_int_equal(vdrun_ctl(t, &c, "list", "--json", NULL), 0);
	a = json_tokener_parse(c.out);
	if (!a || !json_object_is_type(a, json_type_array))
		vmproc_dump(&c);
	vmproc_free(&c);
	assert_non_null(a);
	return a;
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

/* "name:state:pid name:state:pid ..." of `list`, in its order. */
static void list_summary(struct vdrun *t, char *buf, size_t len)
{
	struct json_object *a = ctl_list(t), *g, *pid;
	size_t i, n = 0;

	buf[0] = '\0';
	for (i = 0; i < json_object_array_length(a); i++) {
		g = json_object_array_get_idx(a, i);
		json_object_object_get_ex(g, "pid", &pid);
		n += snprintf(buf + n, len - n, "%s%s:%s:%d", i ? " " : "",
			      jstr(g, "name"), jstr(g, "state"),
			      json_object_get_int(pid));
	}
	json_object_put(a);
}

/* `vesselctl reload`: its exit code; stdout or stderr into @out. */
static int ctl_reload(struct vdrun *t, char *out, size_t len)
{
	struct vmproc c;
	int code = vdrun_ctl(t, &c, "reload", NULL);

	snprintf(out, len, "%s%s", c.out ? c.out : "", c.err ? c.err : "");
	vmproc_free(&c);
	return code;
}

/* Does list_summary()'s @buf name guest @name? */
static bool list_has(const char *buf, const char *name)
{
	size_t n = strlen(name);
	const char *p;

	for (p = buf; (p = strstr(p, name)); p += n)
		if ((p == buf || p[-1] == ' ') && p[n] == ':')
			return true;
	return false;
}

/* Wait until `list` no longer names @name (a removed guest, forgotten). */
static void wait_forgotten(struct vdrun *t, const char *name)
{
	long end = vdrun_now_ms() + WAIT_MS;
	char buf[1024];

	for (;;) {
		list_summary(t, buf, sizeof(buf));
		if (!list_has(buf, name))
			return;
		if (vdrun_now_ms() > end)
			fail_msg("%s still listed: %s", name, buf);
		usleep(20000);
	}
}

/*
 * Added, changed, removed: b's file appears (started, up), a's changes
 * (taken at its next start: `status` says so, the vessel runs on), then
 * a's file goes (a stopped by its power button, by "reload", forgotten).
 */
static void test_reload_add_change_remove(void **state)
{
	struct vdrun *t = *state;
	char out[2048], list[1024];
	struct vmproc c;
	long long pid_a;
	int i;

	vdrun_guest_file(t, "a", "power-button", "");
	vdrun_start(t, NULL);
	pid_a = evlog_int(&t->ev, vdrun_wait_event(t, "up", "a", 1), "pid", -1);
	vdrun_wait_console(t, "a", "PROBE READY power-button");

	vdrun_guest_file(t, "b", "power-button", "after a\n");
	vdrun_guest_file(t, "a", "power-button", "stop-timeout 20s\n");
	assert_int_equal(ctl_reload(t, out, sizeof(out)), 0);
	assert_non_null(strstr(out, "added: b"));
	assert_non_null(strstr(out, "changed: a"));
	i = vdrun_wait_event(t, "reload", NULL, 1);
	assert_string_equal(evlog_str(&t->ev, i, "result"), "ok");
	assert_string_equal(evlog_str(&t->ev, i, "by"), "control");
	i = vdrun_wait_event(t, "changed", "a", 1);
	assert_string_equal(evlog_str(&t->ev, i, "applies"),
			    "at the next start");
	i = vdrun_wait_event(t, "added", "b", 1);
	assert_string_equal(evlog_str(&t->ev, i, "autostart"), "true");
	i = vdrun_wait_event(t, "started", "b", 1);
	assert_string_equal(evlog_str(&t->ev, i, "by"), "autostart");
	vdrun_wait_event(t, "up", "b", 1);
	vdrun_wait_console(t, "b", "PROBE READY power-button");
	assert_int_equal(vdrun_ctl(t, &c, "status", "a", NULL), 0);
	assert_non_null(
		strstr(c.out, "changed by a reload: taken at the next start"));
	vmproc_free(&c);
	/* a runs on, the same vessel, not restarted. */
	vdrun_load(t);
	assert_int_equal(vdrun_ev_count(&t->ev, "started", "a"), 1);
	list_summary(t, list, sizeof(list));
	printf("after the first reload: %s\n", list);

	guest_file_remove(t, "a");
	vdrun_guest_file(t, "b", "power-button", "");
	assert_int_equal(ctl_reload(t, out, sizeof(out)), 0);
	assert_non_null(strstr(out, "removed: a"));
	i = vdrun_wait_event(t, "removed", "a", 1);
	assert_string_equal(evlog_str(&t->ev, i, "state"), "running");
	i = vdrun_wait_event(t, "stopped", "a", 1);
	assert_string_equal(evlog_str(&t->ev, i, "by"), "reload");
	assert_string_equal(evlog_str(&t->ev, i, "how"), "power-button");
	assert_int_equal(evlog_int(&t->ev, i, "code", -1), EXIT_POWEROFF);
	i = vdrun_wait_event(t, "exited", "a", 1);
	assert_int_equal(evlog_int(&t->ev, i, "pid", -1), pid_a);
	wait_forgotten(t, "a");
	list_summary(t, list, sizeof(list));
	printf("after the second reload: %s\n", list);
	assert_true(list_has(list, "b"));
	assert_false(list_has(list, "a"));
	assert_int_equal(vdrun_ctl(t, &c, "status", "a", NULL), CTL_EXIT_REPLY);
	vmproc_free(&c);
	assert_int_equal(vdrun_stop(t), 0);
}

/*
 * A bad file: `vesselctl reload` exits 1 naming file:line, the reload
 * event says failed with the same message, nothing was started or
 * stopped and `list` is what it was. SIGHUP likewise; once the file is
 * fixed, SIGHUP adds the guest.
 */
static void test_reload_bad_file_keeps(void **state)
{
	struct vdrun *t = *state;
	char out[2048], where[VDRUN_PATH_LEN + 32], before[1024], after[1024];
	int i;

	vdrun_guest_file(t, "a", "power-button", "");
	vdrun_guest_file(t, "b", "power-button", "");
	vdrun_start(t, NULL);
	vdrun_wait_event(t, "autostart-done", NULL, 1);
	vdrun_wait_event(t, "up", "a", 1);
	vdrun_wait_event(t, "up", "b", 1);
	list_summary(t, before, sizeof(before));

	vdrun_guest_file(t, "c", "power-button", "on-crash again\n");
	snprintf(where, sizeof(where), "%s/c.conf:4: on-crash", t->conf);
	assert_int_equal(ctl_reload(t, out, sizeof(out)), CTL_EXIT_REPLY);
	printf("reload refused: %s", out);
	assert_non_null(strstr(out, where));
	i = vdrun_wait_event(t, "reload", NULL, 1);
	assert_string_equal(evlog_str(&t->ev, i, "result"), "failed");
	assert_non_null(strstr(evlog_str(&t->ev, i, "error"), where));

	assert_int_equal(vmproc_kill(&t->d, SIGHUP), 0);
	i = vdrun_wait_event(t, "reload", NULL, 2);
	assert_string_equal(evlog_str(&t->ev, i, "by"), "SIGHUP");
	assert_string_equal(evlog_str(&t->ev, i, "result"), "failed");
	assert_true(vmproc_alive_after(&t->d, 200));
	assert_non_null(strstr(t->d.err, where));

	list_summary(t, after, sizeof(after));
	printf("list before: %s\nlist after:  %s\n", before, after);
	assert_string_equal(before, after);
	vdrun_load(t);
	assert_int_equal(vdrun_ev_count(&t->ev, "started", NULL), 2);
	assert_int_equal(vdrun_ev_count(&t->ev, "added", NULL), 0);
	assert_int_equal(vdrun_ev_count(&t->ev, "removed", NULL), 0);
	assert_int_equal(vdrun_ev_count(&t->ev, "power-button", NULL), 0);

	vdrun_guest_file(t, "c", "power-button", "on-crash stop\n");
	assert_int_equal(vmproc_kill(&t->d, SIGHUP), 0);
	i = vdrun_wait_event(t, "reload", NULL, 3);
	assert_string_equal(evlog_str(&t->ev, i, "result"), "ok");
	vdrun_wait_event(t, "up", "c", 1);
	vdrun_wait_console(t, "a", "PROBE READY power-button");
	vdrun_wait_console(t, "b", "PROBE READY power-button");
	vdrun_wait_console(t, "c", "PROBE READY power-button");
	assert_int_equal(vdrun_stop(t), 0);
}

/* The first line of @path, without its newline. */
static void first_line(const char *path, char *buf, size_t len)
{
	long end = vdrun_now_ms() + WAIT_MS;
	FILE *f;

	buf[0] = '\0';
	while (!(f = fopen(path, "re"))) {
		if (vdrun_now_ms() > end)
			fail_msg("%s: %s", path, strerror(errno));
		usleep(10000);
	}
	if (!fgets(buf, len, f))
		buf[0] = '\0';
	fclose(f);
	buf[strcspn(buf, "\n")] = '\0';
}

/*
 * vessel killed by SIGKILL never runs its quiesce hook; vesseld runs it
 * with the environment vessel gives it. k1 (on-crash restart) starts
 * again only once its hook (0.3 s) ended; k2 (on-crash stop) stays down.
 */
static void test_killed_vessel_hook(void **state)
{
	static const char *const names[] = { "k1", "k2" };
	struct vdrun *t = *state;
	char path[VDRUN_PATH_LEN + 32], line[256], want[128];
	long long pid[2];
	int i, k, ex, hk, st;
	double wait;

	for (k = 0; k < 2; k++)
		vdrun_guest_file(
			t, names[k], "power-button",
			"quiesce-hook sleep 0.3; echo \"$VESSEL_NAME|"
			"$VESSEL_REASON|$VESSEL_EXIT_CODE|$VESSEL_PID\" "
			">> %s/%s.hook\n"
			"on-crash %s\nrestart-delay 0\n",
			t->dir, names[k], k ? "stop" : "restart");
	vdrun_start(t, NULL);
	for (k = 0; k < 2; k++) {
		i = vdrun_wait_event(t, "up", names[k], 1);
		pid[k] = evlog_int(&t->ev, i, "pid", -1);
		vdrun_wait_console(t, names[k], "PROBE READY power-button");
	}
	for (k = 0; k < 2; k++)
		assert_int_equal(kill(pid[k], SIGKILL), 0);

	for (k = 0; k < 2; k++) {
		ex = vdrun_wait_event(t, "exited", names[k], 1);
		assert_string_equal(evlog_str(&t->ev, ex, "signal"), "SIGKILL");
		assert_string_equal(evlog_str(&t->ev, ex, "reason"),
				    "killed by SIGKILL");
		hk = vdrun_wait_event(t, "hook", names[k], 1);
		assert_string_equal(evlog_str(&t->ev, hk, "result"), "ok");
		assert_int_equal(evlog_int(&t->ev, hk, "status", -1), 0);
		printf("%s: hook ran in %s s\n", names[k],
		       evlog_str(&t->ev, hk, "seconds"));
		snprintf(path, sizeof(path), "%s/%s.hook", t->dir, names[k]);
		first_line(path, line, sizeof(line));
		snprintf(want, sizeof(want), "%s|killed by SIGKILL|137|%lld",
			 names[k], pid[k]);
		assert_string_equal(line, want);
	}

	/* k1: restarted, after its hook; k2: down. */
	st = vdrun_wait_event(t, "started", "k1", 2);
	assert_string_equal(evlog_str(&t->ev, st, "by"), "restart");
	ex = vdrun_ev_nth(&t->ev, "exited", "k1", 1);
	hk = vdrun_ev_nth(&t->ev, "hook", "k1", 1);
	assert_true(hk < st);
	wait = evlog_mono(&t->ev, st) - evlog_mono(&t->ev, ex);
	printf("k1: exit to restart %.3f s (restart-delay 0, hook 0.3 s)\n",
	       wait);
	assert_true(wait >= 0.3);
	i = vdrun_wait_event(t, "down", "k2", 1);
	assert_string_equal(evlog_str(&t->ev, i, "why"), "on-crash stop");
	vdrun_wait_event(t, "up", "k1", 2);
	vdrun_wait_console(t, "k1", "PROBE READY power-button");
	assert_true(vmproc_alive_after(&t->d, 200));
	vdrun_load(t);
	assert_int_equal(vdrun_ev_count(&t->ev, "started", "k2"), 1);
	assert_int_equal(vdrun_stop(t), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_reload_add_change_remove,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_reload_bad_file_keeps,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_killed_vessel_hook, setup,
						teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
