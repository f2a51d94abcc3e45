// SPDX-License-Identifier: Apache-2.0
/*
 * The control socket (`control PATH`) and `vesselctl --vm PATH`: status
 * with the power button's armed/pressed/acknowledged facts, the three
 * stop commands with their events, event streaming, the socket file's
 * mode and lifetime, and requests that are garbage or too long, which
 * get an error reply and leave the guest running.
 */
#include <errno.h>
#include <json-c/json.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>
#include <cmocka.h>

#include "../lib/vmrun.h"

#define READY_MS 30000
#define CTL_MS 20000
#define REPLY_MS 5000
#define LONG_LINE 10240
#define PB_READY "PROBE READY power-button"
#define PB_PASS "PROBE PASS power-button: pressed"
#define IGN_READY "PROBE READY power-button-ignore"

/* Start @scenario with `--control r->ctl` (and @opt, NULL or 2 words). */
static void start_ctl(struct vmrun *r, const char *scenario, const char *ready,
		      const char *const opt[2])
{
	const char *extra[] = { "--control", r->ctl, NULL, NULL, NULL };

	if (opt) {
		extra[2] = opt[0];
		extra[3] = opt[1];
	}
	assert_int_equal(vmrun_start(r, scenario, extra), 0);
	if (!vmproc_wait_output(&r->p, ready, READY_MS)) {
		vmproc_wait_exit(&r->p, 1000);
		vmrun_dump(r);
		fail_msg("no '%s'", ready);
	}
}

/* Run `vesselctl --vm r->ctl ARGS...` to its end; its exit code. */
static int ctl_run(const struct vmrun *r, struct vmproc *c, ...)
{
	const char *argv[12] = { vesselctl_path(), "--vm", r->ctl };
	int n = 3, code;
	va_list ap;

	va_start(ap, c);
	while (n < 11 && (argv[n] = va_arg(ap, const char *)))
		n++;
	va_end(ap);
	argv[n] = NULL;
	assert_int_equal(vmproc_start(c, argv), 0);
	code = vmproc_wait_exit(c, CTL_MS);
	if (code)
		vmproc_dump(c);
	return code;
}

/* `vesselctl status --json`, parsed; the caller puts it. */
static struct json_object *ctl_status(const struct vmrun *r)
{
	struct json_object *o, *st;
	struct vmproc c;

	assert_int_equal(ctl_run(r, &c, "status", "--json", NULL), 0);
	o = json_tokener_parse(c.out);
	if (!o || !json_object_is_type(o, json_type_object))
		vmproc_dump(&c);
	vmproc_free(&c);
	assert_non_null(o);
	/* The whole reply ({"ok":true,"status":{...}}) or just the status. */
	if (json_object_object_get_ex(o, "status", &st) &&
	    json_object_is_type(st, json_type_object)) {
		json_object_get(st);
		json_object_put(o);
		o = st;
	}
	return o;
}

/* Member @path ("a.b") of @o, or NULL. */
static struct json_object *jget(struct json_object *o, const char *path)
{
	char key[64], *dot;

	snprintf(key, sizeof(key), "%s", path);
	dot = strchr(key, '.');
	if (dot)
		*dot = '\0';
	if (!json_object_object_get_ex(o, key, &o))
		return NULL;
	return dot ? jget(o, path + (dot - key) + 1) : o;
}

static void expect_bool(struct json_object *o, const char *path, bool v)
{
	struct json_object *m = jget(o, path);

	if (!m || !json_object_is_type(m, json_type_boolean) ||
	    json_object_get_boolean(m) != v)
		fail_msg("status %s: expected %s in %s", path,
			 v ? "true" : "false", json_object_to_json_string(o));
}

static void expect_int(struct json_object *o, const char *path, long long v)
{
	struct json_object *m = jget(o, path);

	if (!m || !json_object_is_type(m, json_type_int) ||
	    json_object_get_int64(m) != v)
		fail_msg("status %s: expected %lld in %s", path, v,
			 json_object_to_json_string(o));
}

static void expect_str(struct json_object *o, const char *path, const char *v)
{
	struct json_object *m = jget(o, path);

	if (!m || !json_object_is_type(m, json_type_string) ||
	    strcmp(json_object_get_string(m), v))
		fail_msg("status %s: expected \"%s\" in %s", path, v,
			 json_object_to_json_string(o));
}

static void expect_exit(struct vmrun *r, int code)
{
	int got = vmrun_wait(r);

	if (got != code || !evlog_well_formed(&r->ev))
		vmrun_dump(r);
	assert_int_equal(got, code);
	assert_true(evlog_well_formed(&r->ev));
}

/* The stop event @type exists and its "by" names the control socket. */
static void expect_by_control(struct vmrun *r, const char *type)
{
	int i = evlog_find(&r->ev, type, 0);
	const char *by = evlog_str(&r->ev, i, "by");

	if (!by || strncmp(by, "control", 7))
		vmrun_dump(r);
	assert_non_null(by);
	assert_true(!strncmp(by, "control", 7));
}

static void test_status_fields(void **state)
{
	static const char *const opt[] = { "--name", "ctl1" };
	struct vmrun *r = *state;
	struct json_object *o, *up;
	struct vmproc c;

	start_ctl(r, "power-button", PB_READY, opt);
	o = ctl_status(r);
	expect_str(o, "name", "ctl1");
	expect_int(o, "pid", r->p.pid);
	expect_str(o, "state", "running");
	expect_int(o, "cpus", 1);
	expect_int(o, "mem", 64LL << 20);
	expect_bool(o, "booted", true);
	expect_bool(o, "acpi_enabled", true);
	expect_bool(o, "power_button.present", true);
	expect_bool(o, "power_button.armed", true);
	expect_int(o, "power_button.presses", 0);
	expect_bool(o, "power_button.acknowledged", false);
	up = jget(o, "uptime");
	assert_non_null(up);
	assert_true(json_object_get_double(up) > 0);
	json_object_put(o);
	/* The human form says the same in words. */
	assert_int_equal(ctl_run(r, &c, "status", NULL), 0);
	assert_non_null(strstr(c.out, "running"));
	vmproc_free(&c);
	assert_true(vmproc_alive_after(&r->p, 0));
}

/* `vesselctl power-button` is the first SIGTERM's press. */
static void test_power_button(void **state)
{
	struct vmrun *r = *state;
	struct vmproc c;

	start_ctl(r, "power-button", PB_READY, NULL);
	assert_int_equal(ctl_run(r, &c, "power-button", NULL), 0);
	vmproc_free(&c);
	expect_exit(r, 0);
	if (!evlog_is(&r->ev, evlog_power_off_by_button))
		vmrun_dump(r);
	assert_true(evlog_is(&r->ev, evlog_power_off_by_button));
	assert_string_equal(
		evlog_str(&r->ev, evlog_find(&r->ev, "power-button-pressed", 0),
			  "armed"),
		"true");
	assert_non_null(strstr(r->p.out, PB_PASS));
}

/*
 * A guest with no handler: after a press, status says so (not armed,
 * pressed once, not acknowledged); `vesselctl terminate` ends it (35).
 */
static void test_unarmed_then_terminate(void **state)
{
	struct vmrun *r = *state;
	struct json_object *o;
	struct vmproc c;

	start_ctl(r, "power-button-ignore", IGN_READY, NULL);
	assert_int_equal(vmproc_kill(&r->p, SIGTERM), 0);
	assert_true(vmproc_alive_after(&r->p, 1000));
	o = ctl_status(r);
	expect_str(o, "state", "running");
	expect_bool(o, "power_button.armed", false);
	expect_int(o, "power_button.presses", 1);
	expect_bool(o, "power_button.acknowledged", false);
	json_object_put(o);
	assert_int_equal(ctl_run(r, &c, "terminate", NULL), 0);
	vmproc_free(&c);
	expect_exit(r, 35);
	expect_by_control(r, "terminate");
	assert_string_equal(evlog_str(&r->ev, r->ev.n - 1, "name"),
			    "terminated");
}

static void test_power_cut(void **state)
{
	struct vmrun *r = *state;
	struct vmproc c;
	size_t mark;

	start_ctl(r, "power-button", PB_READY, NULL);
	vmproc_alive_after(&r->p, 100);
	mark = r->p.out_len;
	assert_int_equal(ctl_run(r, &c, "power-cut", NULL), 0);
	vmproc_free(&c);
	expect_exit(r, 3);
	expect_by_control(r, "power-cut");
	assert_int_equal(evlog_count(&r->ev, "power-button-pressed"), 0);
	assert_null(strstr(r->p.out + mark, "PROBE"));
}

/* A subscriber gets the same event lines as the file, up to the exit. */
static void test_events_stream(void **state)
{
	struct vmrun *r = *state;
	const char *argv[] = { vesselctl_path(), "--vm",   r->ctl,
			       "events",	 "--json", NULL };
	struct evlog l;
	struct vmproc c;

	start_ctl(r, "power-button", PB_READY, NULL);
	assert_int_equal(vmproc_start(&c, argv), 0);
	/* Give it time to subscribe; the events it needs come after. */
	assert_true(vmproc_alive_after(&c, 500));
	assert_int_equal(vmproc_kill(&r->p, SIGTERM), 0);
	expect_exit(r, 0);
	assert_int_equal(vmproc_wait_exit(&c, CTL_MS), 0);
	evlog_parse(&l, c.out);
	if (evlog_find(&l, "power-button-pressed", 0) < 0 ||
	    evlog_find(&l, "exit", 0) < 0)
		vmproc_dump(&c);
	assert_true(evlog_find(&l, "power-button-pressed", 0) >= 0);
	assert_true(evlog_find(&l, "power-button-acknowledged", 0) >= 0);
	assert_true(evlog_find(&l, "s5", 0) >= 0);
	assert_int_equal(evlog_int(&l, evlog_find(&l, "exit", 0), "code", -1),
			 0);
	evlog_free(&l);
	vmproc_free(&c);
}

/* The socket is 0600 while vessel runs and gone after it. */
static void test_socket_file(void **state)
{
	struct vmrun *r = *state;
	struct stat st;

	start_ctl(r, "power-button", PB_READY, NULL);
	assert_int_equal(stat(r->ctl, &st), 0);
	assert_true(S_ISSOCK(st.st_mode));
	assert_int_equal(st.st_mode & 07777, 0600);
	assert_int_equal(vmproc_kill(&r->p, SIGTERM), 0);
	expect_exit(r, 0);
	assert_int_equal(stat(r->ctl, &st), -1);
	assert_int_equal(errno, ENOENT);
}

/* The socket file also goes on a power cut. */
static void test_socket_removed_on_power_cut(void **state)
{
	struct vmrun *r = *state;

	start_ctl(r, "power-button-ignore", IGN_READY, NULL);
	assert_int_equal(vmproc_kill(&r->p, SIGQUIT), 0);
	expect_exit(r, 3);
	assert_int_equal(access(r->ctl, F_OK), -1);
}

static void sock_addr(struct sockaddr_un *a, const char *path)
{
	memset(a, 0, sizeof(*a));
	a->sun_family = AF_UNIX;
	assert_true(strlen(path) < sizeof(a->sun_path));
	memcpy(a->sun_path, path, strlen(path));
}

static int sock_connect(const char *path)
{
	struct sockaddr_un a;
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	assert_true(fd >= 0);
	sock_addr(&a, path);
	assert_int_equal(connect(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	return fd;
}

/* Send @len bytes; a peer that closes early is fine (its reply counts). */
static void sock_send(int fd, const char *buf, size_t len)
{
	ssize_t n;

	while (len) {
		n = send(fd, buf, len, MSG_NOSIGNAL);
		if (n <= 0)
			return;
		buf += n;
		len -= n;
	}
}

/* The first reply line, parsed (NULL if none came in REPLY_MS). */
static struct json_object *sock_reply(int fd)
{
	char line[4096];
	size_t n = 0;
	struct pollfd p = { .fd = fd, .events = POLLIN };

	while (n < sizeof(line) - 1 && poll(&p, 1, REPLY_MS) > 0 &&
	       read(fd, &line[n], 1) == 1 && line[n] != '\n')
		n++;
	line[n] = '\0';
	if (!n)
		return NULL;
	return json_tokener_parse(line);
}

/* An error reply: {"error": "..."} or {"ok": false, ...}. */
static bool reply_is_error(struct json_object *o)
{
	struct json_object *m;

	if (!o || !json_object_is_type(o, json_type_object))
		return false;
	if (json_object_object_get_ex(o, "error", &m))
		return true;
	return json_object_object_get_ex(o, "ok", &m) &&
	       !json_object_get_boolean(m);
}

static void expect_error_reply(const struct vmrun *r, const char *req,
			       size_t len)
{
	int fd = sock_connect(r->ctl);
	struct json_object *o;

	sock_send(fd, req, len);
	o = sock_reply(fd);
	if (!reply_is_error(o))
		fail_msg("request of %zu bytes: reply %s", len,
			 o ? json_object_to_json_string(o) : "(none)");
	json_object_put(o);
	close(fd);
}

/*
 * Garbage and a 10 KiB line get an error reply; the guest goes on and the
 * socket still serves: status, then a press the guest handles.
 */
static void test_malformed_requests(void **state)
{
	static const char garbage[] = "\x01\xff{not a command\n";
	struct vmrun *r = *state;
	struct json_object *o;
	char *big = malloc(LONG_LINE + 1);
	struct vmproc c;

	start_ctl(r, "power-button", PB_READY, NULL);
	expect_error_reply(r, garbage, sizeof(garbage) - 1);
	expect_error_reply(r, "no-such-command\n", 16);
	assert_non_null(big);
	memset(big, 'A', LONG_LINE);
	big[LONG_LINE] = '\n';
	expect_error_reply(r, big, LONG_LINE + 1);
	free(big);
	assert_true(vmproc_alive_after(&r->p, 200));
	o = ctl_status(r);
	expect_str(o, "state", "running");
	expect_int(o, "power_button.presses", 0);
	json_object_put(o);
	assert_int_equal(ctl_run(r, &c, "power-button", NULL), 0);
	vmproc_free(&c);
	expect_exit(r, 0);
	assert_non_null(strstr(r->p.out, PB_PASS));
}

/* A client that connects and says nothing holds nobody up. */
static void test_silent_client(void **state)
{
	struct vmrun *r = *state;
	int fd;

	start_ctl(r, "power-button", PB_READY, NULL);
	fd = sock_connect(r->ctl);
	assert_int_equal(vmproc_kill(&r->p, SIGTERM), 0);
	expect_exit(r, 0);
	close(fd);
}

/* A second vessel on a live socket's path refuses to start (64). */
static void test_socket_in_use(void **state)
{
	struct vmrun *r = *state;
	const char *extra[] = { "--control", r->ctl, NULL };
	struct vmproc second;

	start_ctl(r, "power-button", PB_READY, NULL);
	assert_int_equal(vmproc_run_probe(&second, "poweroff", extra), 64);
	assert_null(strstr(second.out, "PROBE BOOT"));
	vmproc_free(&second);
	assert_int_equal(access(r->ctl, F_OK), 0);
	assert_int_equal(vmproc_kill(&r->p, SIGTERM), 0);
	expect_exit(r, 0);
}

/* A socket file nobody answers on (a vessel that was killed) is replaced. */
static void test_stale_socket(void **state)
{
	struct vmrun *r = *state;
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	struct sockaddr_un a;
	struct json_object *o;

	sock_addr(&a, r->ctl);
	assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	close(fd);
	start_ctl(r, "power-button", PB_READY, NULL);
	o = ctl_status(r);
	expect_int(o, "pid", r->p.pid);
	json_object_put(o);
	assert_int_equal(vmproc_kill(&r->p, SIGTERM), 0);
	expect_exit(r, 0);
}

/* vesselctl on a path with no vessel fails, and says why. */
static void test_no_vm(void **state)
{
	struct vmrun *r = *state;
	const char *argv[] = { vesselctl_path(), "--vm", r->ctl, "status",
			       NULL };
	struct vmproc c;
	int code;

	assert_int_equal(vmproc_start(&c, argv), 0);
	code = vmproc_wait_exit(&c, CTL_MS);
	assert_true(code > 0 && code < 127); /* 127: no vesselctl */
	assert_true(c.err_len > 0);
	vmproc_free(&c);
}

#define T(f) cmocka_unit_test_setup_teardown(f, vmrun_setup, vmrun_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_status_fields),
		T(test_power_button),
		T(test_unarmed_then_terminate),
		T(test_power_cut),
		T(test_events_stream),
		T(test_socket_file),
		T(test_socket_removed_on_power_cut),
		T(test_malformed_requests),
		T(test_silent_client),
		T(test_socket_in_use),
		T(test_stale_socket),
		T(test_no_vm),
	};

	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests_name("control", tests, NULL, NULL);
}
