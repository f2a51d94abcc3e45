// SPDX-License-Identifier: Apache-2.0
/*
 * vesselctl's commands to vesseld (--daemon PATH, default
 * /run/vessel/vesseld.sock): list, status NAME, start, stop, restart,
 * power-button, terminate, power-cut NAME, shutdown, reload. start, stop, restart
 * and shutdown wait for vesseld's answer, which comes once the guest is
 * up, down, or every guest is down: a stop may take the guest's whole
 * stop-timeout and more, so there is no deadline on those.
 */
#include <json-c/json.h>
#include <stdio.h>
#include <string.h>

#include "../common/proto.h"
#include "ctl.h"

/* One request with the guest's name (if any); the reply in @rep. */
static int daemon_call(const struct ctl *ctl, const char *cmd, bool wait,
		       struct proto_reply *rep)
{
	const char *argv[] = { ctl->argc ? ctl->argv[0] : NULL, NULL };
	struct ctl_conn conn;
	int ret;

	ret = ctl_call(ctl, cmd, argv, wait ? -1 : CTL_REPLY_MS, &conn, rep);
	if (!ret)
		ctl_conn_close(&conn);
	return ret;
}

static bool daemon_needs_name(const struct ctl *ctl)
{
	if (ctl->argc == 1)
		return true;
	fprintf(stderr, "vesselctl: %s takes a guest's name\n", ctl->cmd);
	return false;
}

/* The reply without its "ok", as one JSON line. */
static void daemon_print_json(struct json_object *reply)
{
	json_object_object_del(reply, "ok");
	ctl_print_line(json_object_to_json_string_ext(
		reply,
		JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
}

static struct json_object *jget(struct json_object *o, const char *k)
{
	struct json_object *v = NULL;

	if (!o || !json_object_object_get_ex(o, k, &v))
		return NULL;
	return v;
}

static const char *jstr(struct json_object *o, const char *k, const char *def)
{
	struct json_object *v = jget(o, k);

	return v && json_object_is_type(v, json_type_string) ?
		       json_object_get_string(v) :
		       def;
}

/* "7.1s", "3m05s", "2h03m", "4d07h". */
static const char *daemon_duration(struct json_object *v, char *buf, size_t len)
{
	double s;
	long n;

	if (!v || json_object_is_type(v, json_type_null))
		return "-";
	s = json_object_get_double(v);
	n = (long)s;
	if (s < 60)
		snprintf(buf, len, "%.1fs", s);
	else if (n < 3600)
		snprintf(buf, len, "%ldm%02lds", n / 60, n % 60);
	else if (n < 86400)
		snprintf(buf, len, "%ldh%02ldm", n / 3600, n % 3600 / 60);
	else
		snprintf(buf, len, "%ldd%02ldh", n / 86400, n % 86400 / 3600);
	return buf;
}

static void list_row(struct json_object *g)
{
	struct json_object *pid = jget(g, "pid");
	char up[32], pidbuf[16];

	snprintf(pidbuf, sizeof(pidbuf), "%d", json_object_get_int(pid));
	printf("%-16s %-12s %-8s %-8s %5d %8d  %s\n", jstr(g, "name", "?"),
	       jstr(g, "state", "?"), pid ? pidbuf : "-",
	       daemon_duration(jget(g, "uptime"), up, sizeof(up)),
	       json_object_get_int(jget(g, "boots")),
	       json_object_get_int(jget(g, "restarts")),
	       jstr(jget(g, "last_exit"), "reason", "-"));
}

int cmd_list(const struct ctl *ctl)
{
	struct json_object *a;
	struct proto_reply rep;
	size_t i;
	int ret = daemon_call(ctl, "list", false, &rep);

	if (ret)
		return ret;
	a = jget(rep.obj, "guests");
	if (!a || !json_object_is_type(a, json_type_array)) {
		ctl_err(ctl, "malformed reply: no guests");
		proto_reply_free(&rep);
		return CTL_EXIT_REPLY;
	}
	if (ctl->json) {
		ctl_print_line(json_object_to_json_string_ext(
			a, JSON_C_TO_STRING_PLAIN |
				   JSON_C_TO_STRING_NOSLASHESCAPE));
	} else {
		printf("%-16s %-12s %-8s %-8s %5s %8s  %s\n", "NAME", "STATE",
		       "PID", "UPTIME", "BOOTS", "RESTARTS", "LAST EXIT");
		for (i = 0; i < json_object_array_length(a); i++)
			list_row(json_object_array_get_idx(a, i));
		fflush(stdout);
	}
	proto_reply_free(&rep);
	return CTL_EXIT_OK;
}

int cmd_daemon_status(const struct ctl *ctl)
{
	struct proto_reply rep;
	int ret;

	if (!daemon_needs_name(ctl))
		return CTL_EXIT_USAGE;
	ret = daemon_call(ctl, "status", false, &rep);
	if (ret)
		return ret;
	if (ctl->json) {
		daemon_print_json(rep.obj);
	} else {
		json_object_object_del(rep.obj, "ok");
		ctl_print_status(rep.obj);
	}
	proto_reply_free(&rep);
	return CTL_EXIT_OK;
}

/* "NAME: running (pid N, boot B)" */
static void daemon_print_up(struct json_object *g)
{
	printf("%s: %s (pid %d, boot %d)\n", jstr(g, "name", "?"),
	       jstr(g, "state", "?"), json_object_get_int(jget(g, "pid")),
	       json_object_get_int(jget(g, "boots")));
	fflush(stdout);
}

/* start and restart answer once the guest is up. */
static int daemon_up(const struct ctl *ctl, const char *cmd)
{
	struct proto_reply rep;
	int ret;

	if (!daemon_needs_name(ctl))
		return CTL_EXIT_USAGE;
	ret = daemon_call(ctl, cmd, true, &rep);
	if (ret)
		return ret;
	if (ctl->json)
		daemon_print_json(rep.obj);
	else
		daemon_print_up(jget(rep.obj, "guest"));
	proto_reply_free(&rep);
	return CTL_EXIT_OK;
}

int cmd_daemon_start(const struct ctl *ctl)
{
	return daemon_up(ctl, "start");
}

int cmd_daemon_restart(const struct ctl *ctl)
{
	return daemon_up(ctl, "restart");
}

/* How a stop ended; whether it had to be escalated. */
static bool daemon_print_stop(const char *name, struct json_object *stop)
{
	const char *how = jstr(stop, "how", "?");
	struct json_object *code = jget(stop, "code");

	if (!stop || json_object_is_type(stop, json_type_null) ||
	    !strcmp(how, "was-down")) {
		printf("%s: was not running\n", name);
		return false;
	}
	if (!strcmp(how, "exited")) {
		printf("%s: exited by itself (%s)\n", name,
		       jstr(stop, "reason", "?"));
		return false;
	}
	if (!strcmp(how, "restart-cancelled")) {
		printf("%s: restart cancelled; stays down\n", name);
		return false;
	}
	printf("%s: %s: %s", name, how, jstr(stop, "reason", "?"));
	if (code)
		printf(" (exit %d)", json_object_get_int(code));
	printf(" after %.3f s\n",
	       json_object_get_double(jget(stop, "seconds")));
	return !strcmp(how, "terminated") || !strcmp(how, "power-cut");
}

int cmd_daemon_stop(const struct ctl *ctl)
{
	struct proto_reply rep;
	bool escalated;
	int ret;

	if (!daemon_needs_name(ctl))
		return CTL_EXIT_USAGE;
	ret = daemon_call(ctl, "stop", true, &rep);
	if (ret)
		return ret;
	escalated = daemon_print_stop(ctl->argv[0], jget(rep.obj, "stop"));
	if (ctl->json)
		daemon_print_json(rep.obj);
	fflush(stdout);
	proto_reply_free(&rep);
	return escalated ? CTL_EXIT_ESCALATED : CTL_EXIT_OK;
}

int cmd_daemon_forward(const struct ctl *ctl)
{
	struct proto_reply rep;
	int ret;

	if (!daemon_needs_name(ctl))
		return CTL_EXIT_USAGE;
	ret = daemon_call(ctl, ctl->cmd, false, &rep);
	if (ret)
		return ret;
	if (ctl->json)
		daemon_print_json(rep.obj);
	else
		printf("%s: %s\n", ctl->argv[0],
		       !strcmp(ctl->cmd, "power-button") ?
			       "power button pressed" :
		       !strcmp(ctl->cmd, "terminate") ? "terminating" :
							"power cut");
	fflush(stdout);
	proto_reply_free(&rep);
	return CTL_EXIT_OK;
}

/*
 * guest-shutdown NAME STATE: what vessel's --lifecycle-hook runs under
 * vesseld (the guest announced STATE); returns once vesseld ran the
 * guest's hook and told its peers, so that vessel acknowledges after.
 */
int cmd_daemon_guest_shutdown(const struct ctl *ctl)
{
	struct json_object *r, *hook;
	struct proto_reply rep;
	struct ctl_conn conn;
	int ret;

	if (ctl->argc != 2) {
		fprintf(stderr,
			"vesselctl: guest-shutdown takes a guest's name and a "
			"state\n");
		return CTL_EXIT_USAGE;
	}
	ret = ctl_call(ctl, ctl->cmd, (const char *const *)ctl->argv, -1, &conn,
		       &rep);
	if (ret)
		return ret;
	ctl_conn_close(&conn);
	r = jget(rep.obj, "guest_shutdown");
	hook = jget(r, "hook");
	if (ctl->json)
		daemon_print_json(rep.obj);
	else
		printf("%s: %s relayed (hook: %s; told: %s)\n", ctl->argv[0],
		       ctl->argv[1], hook ? jstr(hook, "result", "?") : "none",
		       json_object_to_json_string_ext(jget(r, "told"),
						      JSON_C_TO_STRING_PLAIN));
	fflush(stdout);
	proto_reply_free(&rep);
	return CTL_EXIT_OK;
}

/* "added: a b" when the list is not empty; how many it names. */
static size_t daemon_print_names(const char *what, struct json_object *a)
{
	size_t i, n = a && json_object_is_type(a, json_type_array) ?
			      json_object_array_length(a) :
			      0;

	if (!n)
		return 0;
	printf("%s:", what);
	for (i = 0; i < n; i++)
		printf(" %s",
		       json_object_get_string(json_object_array_get_idx(a, i)));
	printf("\n");
	return n;
}

int cmd_reload(const struct ctl *ctl)
{
	struct proto_reply rep;
	struct json_object *r;
	int ret = daemon_call(ctl, "reload", false, &rep);
	size_t n;

	if (ret)
		return ret;
	r = jget(rep.obj, "reload");
	if (ctl->json) {
		daemon_print_json(rep.obj);
	} else {
		n = daemon_print_names("added", jget(r, "added"));
		n += daemon_print_names("removed", jget(r, "removed"));
		n += daemon_print_names("changed", jget(r, "changed"));
		if (!n)
			printf("reloaded: nothing changed\n");
		fflush(stdout);
	}
	proto_reply_free(&rep);
	return CTL_EXIT_OK;
}

int cmd_shutdown(const struct ctl *ctl)
{
	struct json_object *sd, *a;
	struct proto_reply rep;
	int ret = daemon_call(ctl, "shutdown", true, &rep), escalated;
	size_t i;

	if (ret)
		return ret;
	sd = jget(rep.obj, "shutdown");
	a = jget(sd, "guests");
	escalated = json_object_get_int(jget(sd, "escalated"));
	if (ctl->json) {
		daemon_print_json(rep.obj);
	} else {
		for (i = 0; a && i < json_object_array_length(a); i++) {
			struct json_object *g = json_object_array_get_idx(a, i);

			daemon_print_stop(jstr(g, "guest", "?"), g);
		}
		printf("shutdown: done in %.3f s, %d guest%s escalated\n",
		       json_object_get_double(jget(sd, "seconds")), escalated,
		       escalated == 1 ? "" : "s");
		fflush(stdout);
	}
	proto_reply_free(&rep);
	return escalated ? CTL_EXIT_ESCALATED : CTL_EXIT_OK;
}
