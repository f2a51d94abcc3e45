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
#include "../lib/vmproc.h"

#define WAIT_MS 30000
#define CTL_MS 20000
#define EXIT_MS 30000
#define DIR_MAX 64
#define PATH_LEN 192

#define EXIT_POWEROFF 0
#define CTL_EXIT_REPLY 1

struct rl_test {
	char dir[DIR_MAX]; /* $TMPDIR/vessel-vdr-XXXXXX */
	char conf[PATH_LEN]; /* dir/conf: the guest files */
	char run[PATH_LEN]; /* dir/run */
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
	struct rl_test *t = calloc(1, sizeof(*t));

	if (!t)
		return -1;
	snprintf(t->dir, sizeof(t->dir), "%s/vessel-vdr-XXXXXX",
		 tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(t->dir) || !realpath(vessel_path(), t->vessel) ||
	    !realpath(probe_path(), t->probe)) {
		free(t);
		return -1;
	}
	snprintf(t->conf, sizeof(t->conf), "%s/conf", t->dir);
	snprintf(t->run, sizeof(t->run), "%s/run", t->dir);
	snprintf(t->events, sizeof(t->events), "%s/run/vesseld.events", t->dir);
	snprintf(t->sock, sizeof(t->sock), "%s/run/vesseld.sock", t->dir);
	mkdir(t->conf, 0700);
	*state = t;
	return 0;
}

static int teardown(void **state)
{
	struct rl_test *t = *state;
	char cmd[PATH_LEN + 16];

	/* SIGQUIT to a vesseld still running cuts its guests, then it exits. */
	if (t->started)
		vmproc_free(&t->d);
	evlog_free(&t->ev);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", t->dir);
	if (system(cmd))
		fprintf(stderr, "could not remove %s\n", t->dir);
	free(t);
	return 0;
}

/* Write conf/@name.conf: the probe on @scenario, then @fmt's lines. */
static void guest_file(struct rl_test *t, const char *name,
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

static void guest_file_remove(struct rl_test *t, const char *name)
{
	char path[PATH_LEN + 64];

	snprintf(path, sizeof(path), "%s/%s.conf", t->conf, name);
	assert_int_equal(unlink(path), 0);
}

static void vd_start(struct rl_test *t)
{
	const char *argv[] = { vesseld_path(), "--config-dir", t->conf,
			       "--run-dir",    t->run,	       "--vessel",
			       t->vessel,      "--foreground", NULL };

	assert_int_equal(vmproc_start(&t->d, argv), 0);
	t->started = true;
}

static void vd_load(struct rl_test *t)
{
	evlog_free(&t->ev);
	evlog_load(&t->ev, t->events);
}

static void vd_dump(struct rl_test *t)
{
	vd_load(t);
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
static int vd_wait_event(struct rl_test *t, const char *type, const char *guest,
			 int nth)
{
	long end = now_ms() + WAIT_MS;
	int i;

	for (;;) {
		vd_load(t);
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
static void vd_wait_console(struct rl_test *t, const char *name,
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

/* `vesselctl --daemon SOCK ARGS...`; its exit code, output in @c. */
static int ctl(struct rl_test *t, struct vmproc *c, ...)
{
	const char *argv[16] = { vesselctl_path(), "--daemon", t->sock };
	int n = 3;
	va_list ap;

	va_start(ap, c);
	while (n < 15 && (argv[n] = va_arg(ap, const char *)))
		n++;
	va_end(ap);
	argv[n] = NULL;
	assert_int_equal(vmproc_start(c, argv), 0);
	return vmproc_wait_exit(c, CTL_MS);
}

/* `vesselctl list --json` (the caller puts it). */
static struct json_object *ctl_list(struct rl_test *t)
{
	struct json_object *a;
	struct vmproc c;

	assert_int_equal(ctl(t, &c, "list", "--json", NULL), 0);
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
static void list_summary(struct rl_test *t, char *buf, size_t len)
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
static int ctl_reload(struct rl_test *t, char *out, size_t len)
{
	struct vmproc c;
	int code = ctl(t, &c, "reload", NULL);

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
static void wait_forgotten(struct rl_test *t, const char *name)
{
	long end = now_ms() + WAIT_MS;
	char buf[1024];

	for (;;) {
		list_summary(t, buf, sizeof(buf));
		if (!list_has(buf, name))
			return;
		if (now_ms() > end)
			fail_msg("%s still listed: %s", name, buf);
		usleep(20000);
	}
}

static int vd_stop(struct rl_test *t)
{
	int code;

	assert_int_equal(vmproc_kill(&t->d, SIGTERM), 0);
	code = vmproc_wait_exit(&t->d, EXIT_MS);
	vd_load(t);
	return code;
}

/*
 * Added, changed, removed: b's file appears (started, up), a's changes
 * (taken at its next start: `status` says so, the vessel runs on), then
 * a's file goes (a stopped by its power button, by "reload", forgotten).
 */
static void test_reload_add_change_remove(void **state)
{
	struct rl_test *t = *state;
	char out[2048], list[1024];
	struct vmproc c;
	long long pid_a;
	int i;

	guest_file(t, "a", "power-button", "");
	vd_start(t);
	pid_a = evlog_int(&t->ev, vd_wait_event(t, "up", "a", 1), "pid", -1);
	vd_wait_console(t, "a", "PROBE READY power-button");

	guest_file(t, "b", "power-button", "after a\n");
	guest_file(t, "a", "power-button", "stop-timeout 20s\n");
	assert_int_equal(ctl_reload(t, out, sizeof(out)), 0);
	assert_non_null(strstr(out, "added: b"));
	assert_non_null(strstr(out, "changed: a"));
	i = vd_wait_event(t, "reload", NULL, 1);
	assert_string_equal(evlog_str(&t->ev, i, "result"), "ok");
	assert_string_equal(evlog_str(&t->ev, i, "by"), "control");
	i = vd_wait_event(t, "changed", "a", 1);
	assert_string_equal(evlog_str(&t->ev, i, "applies"),
			    "at the next start");
	i = vd_wait_event(t, "added", "b", 1);
	assert_string_equal(evlog_str(&t->ev, i, "autostart"), "true");
	i = vd_wait_event(t, "started", "b", 1);
	assert_string_equal(evlog_str(&t->ev, i, "by"), "autostart");
	vd_wait_event(t, "up", "b", 1);
	vd_wait_console(t, "b", "PROBE READY power-button");
	assert_int_equal(ctl(t, &c, "status", "a", NULL), 0);
	assert_non_null(
		strstr(c.out, "changed by a reload: taken at the next start"));
	vmproc_free(&c);
	/* a runs on, the same vessel, not restarted. */
	vd_load(t);
	assert_int_equal(ev_count(&t->ev, "started", "a"), 1);
	list_summary(t, list, sizeof(list));
	printf("after the first reload: %s\n", list);

	guest_file_remove(t, "a");
	guest_file(t, "b", "power-button", "");
	assert_int_equal(ctl_reload(t, out, sizeof(out)), 0);
	assert_non_null(strstr(out, "removed: a"));
	i = vd_wait_event(t, "removed", "a", 1);
	assert_string_equal(evlog_str(&t->ev, i, "state"), "running");
	i = vd_wait_event(t, "stopped", "a", 1);
	assert_string_equal(evlog_str(&t->ev, i, "by"), "reload");
	assert_string_equal(evlog_str(&t->ev, i, "how"), "power-button");
	assert_int_equal(evlog_int(&t->ev, i, "code", -1), EXIT_POWEROFF);
	i = vd_wait_event(t, "exited", "a", 1);
	assert_int_equal(evlog_int(&t->ev, i, "pid", -1), pid_a);
	wait_forgotten(t, "a");
	list_summary(t, list, sizeof(list));
	printf("after the second reload: %s\n", list);
	assert_true(list_has(list, "b"));
	assert_false(list_has(list, "a"));
	assert_int_equal(ctl(t, &c, "status", "a", NULL), CTL_EXIT_REPLY);
	vmproc_free(&c);
	assert_int_equal(vd_stop(t), 0);
}

/*
 * A bad file: `vesselctl reload` exits 1 naming file:line, the reload
 * event says failed with the same message, nothing was started or
 * stopped and `list` is what it was. SIGHUP likewise; once the file is
 * fixed, SIGHUP adds the guest.
 */
static void test_reload_bad_file_keeps(void **state)
{
	struct rl_test *t = *state;
	char out[2048], where[PATH_LEN + 32], before[1024], after[1024];
	int i;

	guest_file(t, "a", "power-button", "");
	guest_file(t, "b", "power-button", "");
	vd_start(t);
	vd_wait_event(t, "autostart-done", NULL, 1);
	vd_wait_event(t, "up", "a", 1);
	vd_wait_event(t, "up", "b", 1);
	list_summary(t, before, sizeof(before));

	guest_file(t, "c", "power-button", "on-crash again\n");
	snprintf(where, sizeof(where), "%s/c.conf:4: on-crash", t->conf);
	assert_int_equal(ctl_reload(t, out, sizeof(out)), CTL_EXIT_REPLY);
	printf("reload refused: %s", out);
	assert_non_null(strstr(out, where));
	i = vd_wait_event(t, "reload", NULL, 1);
	assert_string_equal(evlog_str(&t->ev, i, "result"), "failed");
	assert_non_null(strstr(evlog_str(&t->ev, i, "error"), where));

	assert_int_equal(vmproc_kill(&t->d, SIGHUP), 0);
	i = vd_wait_event(t, "reload", NULL, 2);
	assert_string_equal(evlog_str(&t->ev, i, "by"), "SIGHUP");
	assert_string_equal(evlog_str(&t->ev, i, "result"), "failed");
	assert_true(vmproc_alive_after(&t->d, 200));
	assert_non_null(strstr(t->d.err, where));

	list_summary(t, after, sizeof(after));
	printf("list before: %s\nlist after:  %s\n", before, after);
	assert_string_equal(before, after);
	vd_load(t);
	assert_int_equal(ev_count(&t->ev, "started", NULL), 2);
	assert_int_equal(ev_count(&t->ev, "added", NULL), 0);
	assert_int_equal(ev_count(&t->ev, "removed", NULL), 0);
	assert_int_equal(ev_count(&t->ev, "power-button", NULL), 0);

	guest_file(t, "c", "power-button", "on-crash stop\n");
	assert_int_equal(vmproc_kill(&t->d, SIGHUP), 0);
	i = vd_wait_event(t, "reload", NULL, 3);
	assert_string_equal(evlog_str(&t->ev, i, "result"), "ok");
	vd_wait_event(t, "up", "c", 1);
	vd_wait_console(t, "a", "PROBE READY power-button");
	vd_wait_console(t, "b", "PROBE READY power-button");
	vd_wait_console(t, "c", "PROBE READY power-button");
	assert_int_equal(vd_stop(t), 0);
}

/* The first line of @path, without its newline. */
static void first_line(const char *path, char *buf, size_t len)
{
	long end = now_ms() + WAIT_MS;
	FILE *f;

	buf[0] = '\0';
	while (!(f = fopen(path, "re"))) {
		if (now_ms() > end)
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
	struct rl_test *t = *state;
	char path[PATH_LEN + 32], line[256], want[128];
	long long pid[2];
	int i, k, ex, hk, st;
	double wait;

	for (k = 0; k < 2; k++)
		guest_file(t, names[k], "power-button",
			   "quiesce-hook sleep 0.3; echo \"$VESSEL_NAME|"
			   "$VESSEL_REASON|$VESSEL_EXIT_CODE|$VESSEL_PID\" "
			   ">> %s/%s.hook\n"
			   "on-crash %s\nrestart-delay 0\n",
			   t->dir, names[k], k ? "stop" : "restart");
	vd_start(t);
	for (k = 0; k < 2; k++) {
		i = vd_wait_event(t, "up", names[k], 1);
		pid[k] = evlog_int(&t->ev, i, "pid", -1);
		vd_wait_console(t, names[k], "PROBE READY power-button");
	}
	for (k = 0; k < 2; k++)
		assert_int_equal(kill(pid[k], SIGKILL), 0);

	for (k = 0; k < 2; k++) {
		ex = vd_wait_event(t, "exited", names[k], 1);
		assert_string_equal(evlog_str(&t->ev, ex, "signal"), "SIGKILL");
		assert_string_equal(evlog_str(&t->ev, ex, "reason"),
				    "killed by SIGKILL");
		hk = vd_wait_event(t, "hook", names[k], 1);
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
	st = vd_wait_event(t, "started", "k1", 2);
	assert_string_equal(evlog_str(&t->ev, st, "by"), "restart");
	ex = ev_nth(&t->ev, "exited", "k1", 1);
	hk = ev_nth(&t->ev, "hook", "k1", 1);
	assert_true(hk < st);
	wait = evlog_mono(&t->ev, st) - evlog_mono(&t->ev, ex);
	printf("k1: exit to restart %.3f s (restart-delay 0, hook 0.3 s)\n",
	       wait);
	assert_true(wait >= 0.3);
	i = vd_wait_event(t, "down", "k2", 1);
	assert_string_equal(evlog_str(&t->ev, i, "why"), "on-crash stop");
	vd_wait_event(t, "up", "k1", 2);
	vd_wait_console(t, "k1", "PROBE READY power-button");
	assert_true(vmproc_alive_after(&t->d, 200));
	vd_load(t);
	assert_int_equal(ev_count(&t->ev, "started", "k2"), 1);
	assert_int_equal(vd_stop(t), 0);
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
