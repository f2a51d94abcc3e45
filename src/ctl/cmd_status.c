// SPDX-License-Identifier: Apache-2.0
/*
 * `vesselctl status`: the VM's status object, as aligned "key: value"
 * lines (nested objects flattened to "power_button.armed", arrays to
 * "disks[0].writes"), or as one
 * JSON object with --json.
 */
#include <json-c/json.h>
#include <stdio.h>
#include <string.h>

#include "../common/proto.h"
#include "ctl.h"

/* Nested objects deeper than this are printed as JSON text. */
#define STATUS_DEPTH 4

/* A member's value as text: strings bare, the rest as JSON. */
static const char *status_text(struct json_object *v)
{
	if (json_object_is_type(v, json_type_string))
		return json_object_get_string(v);
	return json_object_to_json_string_ext(v, JSON_C_TO_STRING_PLAIN);
}

static void status_walk(struct json_object *o, const char *prefix, int depth,
			int width, int *max);

/*
 * One value under @key: objects walked, arrays item by item as key[i]
 * (the disks), the rest printed when @width is set, else measured.
 */
static void status_value(const char *key, int n, struct json_object *v,
			 int depth, int width, int *max)
{
	char item[128];
	size_t i;

	if (json_object_is_type(v, json_type_object) && depth < STATUS_DEPTH) {
		status_walk(v, key, depth + 1, width, max);
		return;
	}
	if (json_object_is_type(v, json_type_array) && depth < STATUS_DEPTH) {
		for (i = 0; i < json_object_array_length(v); i++) {
			n = snprintf(item, sizeof(item), "%s[%zu]", key, i);
			status_value(item, n, json_object_array_get_idx(v, i),
				     depth + 1, width, max);
		}
		return;
	}
	if (!width)
		*max = n > *max ? n : *max;
	else
		printf("%s:%*s %s\n", key, width - n, "", status_text(v));
}

/*
 * Walk @o's members as dotted keys below @prefix: print each when
 * @width is set, else raise *@max to the longest key.
 */
static void status_walk(struct json_object *o, const char *prefix, int depth,
			int width, int *max)
{
	char key[128];
	int n;

	json_object_object_foreach(o, k, v)
	{
		n = snprintf(key, sizeof(key), "%s%s%s", prefix,
			     *prefix ? "." : "", k);
		status_value(key, n, v, depth, width, max);
	}
}

void ctl_print_status(struct json_object *st)
{
	int max = 0;

	status_walk(st, "", 0, 0, &max);
	status_walk(st, "", 0, max, &max);
	fflush(stdout);
}

int cmd_status(const struct ctl *ctl)
{
	struct json_object *st;
	struct proto_reply rep;
	struct ctl_conn conn;
	int ret = ctl_vm_call(ctl, "status", &conn, &rep);

	if (ret)
		return ret;
	ctl_conn_close(&conn);
	if (!json_object_object_get_ex(rep.obj, "status", &st) ||
	    !json_object_is_type(st, json_type_object)) {
		ctl_err(ctl, "malformed reply: no status object");
		ret = CTL_EXIT_REPLY;
	} else if (ctl->json) {
		ctl_print_line(json_object_to_json_string_ext(
			st, JSON_C_TO_STRING_PLAIN));
	} else {
		ctl_print_status(st);
	}
	proto_reply_free(&rep);
	return ret;
}
