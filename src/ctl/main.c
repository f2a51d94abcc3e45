// SPDX-License-Identifier: Apache-2.0
/*
 * vesselctl: the command line to one vessel (`--vm PATH`, its control
 * socket) and to vesseld (`--daemon PATH`, or its default socket). Subcommands are rows of
 * ctl_cmds[], each run by its cmd_<verb>() [kvmtool kvm-cmd.c]; a new
 * verb is one row and one function.
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "ctl.h"

#ifndef VESSEL_VERSION
#define VESSEL_VERSION "0.1"
#endif

static const struct ctl_cmd ctl_cmds[] = {
	{ "power-button", "press the ACPI power button (a clean shutdown)",
	  CTL_NEEDS_VM, 0, cmd_power_button },
	{ "terminate", "stop the guest now (vessel exits 35)", CTL_NEEDS_VM, 0,
	  cmd_terminate },
	{ "power-cut", "cut the power: stop at once, unannounced (exit 3)",
	  CTL_NEEDS_VM, 0, cmd_power_cut },
	{ "pause", "stop the guest's vCPUs; it stays in memory", CTL_NEEDS_VM,
	  0, cmd_pause },
	{ "resume", "let a paused guest run again", CTL_NEEDS_VM, 0,
	  cmd_resume },
	{ "request", "poweroff|reboot: ask the guest (lifecycle protocol)",
	  CTL_NEEDS_VM, 1, cmd_request },
	{ "status", "state, uptime, power button armed/pressed/acknowledged",
	  CTL_NEEDS_VM, 0, cmd_status },
	{ "events", "stream lifecycle events until vessel exits", CTL_NEEDS_VM,
	  0, cmd_events },
	{ "shmem", "list | dump NAME | ring NAME PEER: shared-memory regions",
	  0, 3, cmd_shmem },
	{ NULL, NULL, 0, 0, NULL },
};

/* Without --vm: vesseld's commands, each on a guest NAME where it says so. */
static const struct ctl_cmd ctl_daemon_cmds[] = {
	{ "list", "every guest: state, pid, uptime, boots, restarts, last exit",
	  0, 0, cmd_list },
	{ "status",
	  "NAME: the guest as vesseld sees it, and its vessel's status", 0, 1,
	  cmd_daemon_status },
	{ "start", "NAME: start the guest; returns once it is up", 0, 1,
	  cmd_daemon_start },
	{ "stop",
	  "NAME: power button, SIGTERM after its stop-timeout, then SIGQUIT", 0,
	  1, cmd_daemon_stop },
	{ "restart", "NAME: stop, then start; returns once it is up again", 0,
	  1, cmd_daemon_restart },
	{ "power-button", "NAME: press the guest's power button", 0, 1,
	  cmd_daemon_forward },
	{ "terminate", "NAME: terminate it now (it stays down)", 0, 1,
	  cmd_daemon_forward },
	{ "power-cut", "NAME: cut its power (it stays down)", 0, 1,
	  cmd_daemon_forward },
	{ "shutdown", "stop every guest in order; vesseld exits", 0, 0,
	  cmd_shutdown },
	{ "guest-shutdown",
	  "NAME STATE: NAME announced STATE (run by vessel's lifecycle hook)",
	  0, 2, cmd_daemon_guest_shutdown },
	{ "reload", "read the guest files again (a bad file changes nothing)",
	  0, 0, cmd_reload },
	{ "events",
	  "vesseld's events so far (every guest's transitions); "
	  "--follow: then the new ones",
	  0, 0, cmd_events },
	{ "console",
	  "NAME: attach to the guest's serial console (Ctrl-] "
	  "detaches)",
	  0, 1, cmd_console },
	{ NULL, NULL, 0, 0, NULL },
};

static void ctl_usage(FILE *f)
{
	const struct ctl_cmd *c;

	fprintf(f,
		"Usage: vesselctl --vm PATH COMMAND [--json]\n"
		"       vesselctl [--daemon PATH] COMMAND [NAME] [--json]\n"
		"       vesselctl [--daemon PATH] events [--follow] [--json]\n"
		"       vesselctl shmem list | dump NAME [--offset N] "
		"[--length N] | ring NAME PEER\n"
		"Control a running vessel through its control socket "
		"(vessel --control PATH),\nor the guests of vesseld.\n"
		"\nCommands with --vm:\n");
	for (c = ctl_cmds; c->name; c++)
		fprintf(f, "  %-14s %s\n", c->name, c->help);
	fprintf(f, "\nCommands to vesseld (without --vm):\n");
	for (c = ctl_daemon_cmds; c->name; c++)
		fprintf(f, "  %-14s %s\n", c->name, c->help);
	fprintf(f,
		"\nOptions:\n"
		"  --vm PATH      the vessel's control socket\n"
		"  --daemon PATH  vesseld's control socket (default " CTL_DAEMON_DEFAULT
		")\n"
		"  --json         print JSON: the reply, the status object, "
		"the event lines\n"
		"  --follow       events (vesseld's): go on with the new ones "
		"until vesseld exits\n"
		"  --offset N, --length N  the bytes `shmem dump` shows\n"
		"  -h, --help     print this help\n"
		"  --version      print the version\n"
		"\nExit status: 0 done, 1 vessel or vesseld answered with an "
		"error (or not at\nall), 2 usage error, 3 cannot connect, "
		"4 stopped, but a guest had to be\nterminated or cut.\n");
}

static int ctl_usage_error(const char *msg, const char *arg)
{
	fprintf(stderr, "vesselctl: %s%s%s\n", msg, arg ? ": " : "",
		arg ? arg : "");
	fprintf(stderr, "Try 'vesselctl --help'.\n");
	return CTL_EXIT_USAGE;
}

enum { OPT_VERSION = 256 };

/* An empty socket path would only fail later as "cannot connect". */
static int ctl_check_paths(const struct ctl *ctl)
{
	if (ctl->vm && !*ctl->vm)
		return ctl_usage_error("--vm needs a socket PATH", NULL);
	if (ctl->daemon && !*ctl->daemon)
		return ctl_usage_error("--daemon needs a socket PATH", NULL);
	return -1;
}

/* Options anywhere on the line (getopt permutes); -1 to go on, or an exit. */
static int ctl_parse_opts(struct ctl *ctl, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "vm", required_argument, NULL, 'v' },
		{ "daemon", required_argument, NULL, 'd' },
		{ "json", no_argument, NULL, 'j' },
		{ "follow", no_argument, NULL, 'f' },
		{ "offset", required_argument, NULL, 'o' },
		{ "length", required_argument, NULL, 'l' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, OPT_VERSION },
		{ NULL, 0, NULL, 0 },
	};
	int o;

	opterr = 0;
	/* The leading ':' tells a missing value from an unknown option. */
	while ((o = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		switch (o) {
		case 'v':
			ctl->vm = optarg;
			break;
		case 'd':
			ctl->daemon = optarg;
			break;
		case 'j':
			ctl->json = true;
			break;
		case 'f':
			ctl->follow = true;
			break;
		case 'o':
			ctl->offset = optarg;
			break;
		case 'l':
			ctl->length = optarg;
			break;
		case 'h':
			ctl_usage(stdout);
			return CTL_EXIT_OK;
		case OPT_VERSION:
			printf("vesselctl %s\n", VESSEL_VERSION);
			return CTL_EXIT_OK;
		case ':':
			return ctl_usage_error("option needs a value",
					       argv[optind - 1]);
		default:
			return ctl_usage_error("bad option", argv[optind - 1]);
		}
	}
	return ctl_check_paths(ctl);
}

static const struct ctl_cmd *ctl_find(const struct ctl_cmd *table,
				      const char *name)
{
	const struct ctl_cmd *c;

	for (c = table; c->name; c++)
		if (!strcmp(c->name, name))
			return c;
	return NULL;
}

/*
 * With --vm, the vessel's commands; without, vesseld's where it has the
 * command, else the vessel's (shmem needs neither; the rest say they
 * need --vm).
 */
static const struct ctl_cmd *ctl_pick(struct ctl *ctl)
{
	const struct ctl_cmd *cmd = NULL;

	if (!ctl->vm && (cmd = ctl_find(ctl_daemon_cmds, ctl->cmd))) {
		if (!ctl->daemon)
			ctl->daemon = CTL_DAEMON_DEFAULT;
		return cmd;
	}
	return ctl_find(ctl_cmds, ctl->cmd);
}

int main(int argc, char **argv)
{
	const struct ctl_cmd *cmd;
	struct ctl ctl = { 0 };
	int ret = ctl_parse_opts(&ctl, argc, argv);

	if (ret >= 0)
		return ret;
	if (optind >= argc)
		return ctl_usage_error("no command", NULL);
	ctl.cmd = argv[optind];
	ctl.argc = argc - optind - 1;
	ctl.argv = argv + optind + 1;
	cmd = ctl_pick(&ctl);
	if (!cmd)
		return ctl_usage_error("unknown command", ctl.cmd);
	if ((cmd->needs & CTL_NEEDS_VM) && !ctl.vm)
		return ctl_usage_error("this command needs --vm PATH", ctl.cmd);
	if (ctl.argc > cmd->max_args)
		return ctl_usage_error("unexpected argument", ctl.argv[0]);
	return cmd->run(&ctl);
}
