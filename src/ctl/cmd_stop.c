// SPDX-License-Identifier: Apache-2.0
/*
 * The three ways the host stops a guest (DESIGN.md "Signals"), through
 * the control socket: the same as the first SIGTERM, the second SIGTERM
 * and SIGQUIT, with "control" as the requester in vessel's events; and
 * pausing and resuming it.
 */
#include <json-c/json.h>
#include <string.h>

#include "../common/proto.h"
#include "ctl.h"

/* Send @cmd; on success print @done, or the raw reply with --json. */
static int ctl_stop(const struct ctl *ctl, const char *cmd, const char *done)
{
	struct proto_reply rep;
	struct ctl_conn conn;
	int ret = ctl_vm_call(ctl, cmd, &conn, &rep);

	if (ret)
		return ret;
	if (ctl->json)
		ctl_print_line(json_object_to_json_string_ext(
			rep.obj, JSON_C_TO_STRING_PLAIN));
	else
		ctl_print_line(done);
	proto_reply_free(&rep);
	ctl_conn_close(&conn);
	return CTL_EXIT_OK;
}

int cmd_power_button(const struct ctl *ctl)
{
	return ctl_stop(ctl, "power-button", "power button pressed");
}

int cmd_terminate(const struct ctl *ctl)
{
	return ctl_stop(ctl, "terminate", "terminating");
}

int cmd_power_cut(const struct ctl *ctl)
{
	return ctl_stop(ctl, "power-cut", "power cut");
}

int cmd_pause(const struct ctl *ctl)
{
	return ctl_stop(ctl, "pause", "paused");
}

int cmd_resume(const struct ctl *ctl)
{
	return ctl_stop(ctl, "resume", "resumed");
}

/* `request poweroff|reboot`: the lifecycle protocol's host requests. */
int cmd_request(const struct ctl *ctl)
{
	if (ctl->argc != 1 || (strcmp(ctl->argv[0], "poweroff") &&
			       strcmp(ctl->argv[0], "reboot"))) {
		ctl_err(ctl, "request takes poweroff or reboot");
		return CTL_EXIT_USAGE;
	}
	return ctl_stop(ctl,
			!strcmp(ctl->argv[0], "poweroff") ? "request-poweroff" :
							    "request-reboot",
			"request posted");
}
