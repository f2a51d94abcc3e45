// SPDX-License-Identifier: Apache-2.0
/*
 * `vesselctl events`: after the "ok" reply the connection carries event
 * lines (docs/events.md) until vessel exits. Each is printed as it comes,
 * raw with --json, else as "TIME EVENT key=value ...". To vesseld, the
 * request is `events past` (its event file so far; it then closes) or,
 * with --follow, `events all` (those lines, then each new one, until
 * vesseld exits; vesseld makes the seam, so none is lost or doubled).
 */
#include <errno.h>
#include <json-c/json.h>
#include <stdio.h>
#include <string.h>

#include "../common/proto.h"
#include "ctl.h"

/* The members every line has, shown as the line's head instead. */
static bool event_is_common(const char *k)
{
	return !strcmp(k, "event") || !strcmp(k, "mono") || !strcmp(k, "wall");
}

/* "09:39:37.302" from the "wall" member, else the "mono" seconds. */
static void event_time(struct json_object *o, char *buf, size_t len)
{
	struct json_object *v;
	const char *t;

	if (json_object_object_get_ex(o, "wall", &v) &&
	    (t = strchr(json_object_get_string(v), 'T'))) {
		snprintf(buf, len, "%.*s", (int)strcspn(t + 1, "Z"), t + 1);
		return;
	}
	if (json_object_object_get_ex(o, "mono", &v))
		snprintf(buf, len, "%.6f", json_object_get_double(v));
	else
		snprintf(buf, len, "-");
}

/* A value as one word: strings bare unless they need quotes. */
static const char *event_value(struct json_object *v)
{
	const char *s = json_object_get_string(v);

	if (json_object_is_type(v, json_type_string) && *s &&
	    !strpbrk(s, " \t\n\r\"\\="))
		return s;
	return json_object_to_json_string_ext(
		v, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
}

/* One event in words; a line that is no event object is shown as is. */
static bool event_print(const char *line)
{
	struct json_object *o = json_tokener_parse(line), *type;
	char time[40];
	bool ok;

	if (!json_object_object_get_ex(o, "event", &type)) {
		json_object_put(o);
		return ctl_print_line(line);
	}
	event_time(o, time, sizeof(time));
	printf("%s %s", time, json_object_get_string(type));
	json_object_object_foreach(o, k, v) if (!event_is_common(k))
		printf(" %s=%s", k, event_value(v));
	ok = printf("\n") >= 0 && fflush(stdout) == 0;
	json_object_put(o);
	return ok;
}

/* A failed subscription is told by a second reply line. */
static bool event_is_refusal(const struct ctl *ctl, const char *line)
{
	struct proto_reply rep;
	bool refused;

	if (proto_parse_reply(&rep, line, strlen(line)))
		return false;
	refused = !rep.ok;
	if (refused)
		ctl_err(ctl, "%s", rep.error);
	proto_reply_free(&rep);
	return refused;
}

int cmd_events(const struct ctl *ctl)
{
	const char *const argv[] = { ctl->follow ? "all" : "past", NULL };
	struct proto_reply rep;
	struct ctl_conn conn;
	char *line;
	int ret = ctl_call(ctl, "events", ctl->vm ? NULL : argv, CTL_REPLY_MS,
			   &conn, &rep);

	if (ret)
		return ret;
	proto_reply_free(&rep);
	while ((ret = ctl_read_line(&conn, &line, -1)) > 0) {
		if (event_is_refusal(ctl, line)) {
			ret = -EPROTO;
			break;
		}
		if (!(ctl->json ? ctl_print_line(line) : event_print(line)))
			break; /* stdout is gone: nobody is reading */
	}
	ctl_conn_close(&conn);
	if (ret < 0 && ret != -EPROTO)
		ctl_err(ctl, "events: %s", strerror(-ret));
	return ret < 0 ? CTL_EXIT_REPLY : CTL_EXIT_OK;
}
