/* SPDX-License-Identifier: Apache-2.0 */
#ifndef VESSEL_CTL_H
#define VESSEL_CTL_H

/*
 * vesselctl: one cmd_<verb>() per subcommand, dispatched from the table
 * in main.c [kvmtool kvm-cmd.c]. Commands that act on one vessel reach it
 * through its control socket (conn.c, src/common/proto.h).
 */

#include <stdbool.h>
#include <stddef.h>

struct json_object;
struct proto_reply;

/* vesselctl's exit codes (docs/man/vesselctl.1). */
enum ctl_exit {
	CTL_EXIT_OK = 0,
	CTL_EXIT_REPLY = 1, /* an error reply, or no usable reply */
	CTL_EXIT_USAGE = 2,
	CTL_EXIT_CONNECT = 3,
	/* vesseld stopped the guest(s), but had to terminate or cut one. */
	CTL_EXIT_ESCALATED = 4,
};

/* vesseld's control socket when --daemon is not given. */
#define CTL_DAEMON_DEFAULT "/run/vessel/vesseld.sock"

/* The parsed command line. */
struct ctl {
	const char *vm; /* --vm PATH, or NULL */
	const char *daemon; /* --daemon PATH: vesseld, when --vm is not given */
	bool json; /* --json */
	bool follow; /* --follow: vesseld's events, the past then the new */
	const char *offset, *length; /* shmem dump --offset/--length */
	const char *cmd; /* the subcommand's name */
	int argc; /* its arguments */
	char **argv;
};

/* What a command needs from the command line. */
#define CTL_NEEDS_VM 1u

struct ctl_cmd {
	const char *name;
	const char *help; /* one line for --help */
	unsigned needs;
	int max_args; /* arguments after the name it accepts */
	int (*run)(const struct ctl *ctl); /* returns an enum ctl_exit */
};

int cmd_power_button(const struct ctl *ctl);
int cmd_terminate(const struct ctl *ctl);
int cmd_power_cut(const struct ctl *ctl);
int cmd_pause(const struct ctl *ctl);
int cmd_resume(const struct ctl *ctl);
int cmd_request(const struct ctl *ctl);
int cmd_status(const struct ctl *ctl);
int cmd_events(const struct ctl *ctl);
int cmd_shmem(const struct ctl *ctl);

/* vesseld's commands (cmd_daemon.c); the guest's NAME is ctl->argv[0]. */
int cmd_list(const struct ctl *ctl);
int cmd_daemon_status(const struct ctl *ctl);
int cmd_daemon_start(const struct ctl *ctl);
int cmd_daemon_stop(const struct ctl *ctl);
int cmd_daemon_restart(const struct ctl *ctl);
int cmd_daemon_forward(const struct ctl *ctl);
int cmd_daemon_guest_shutdown(const struct ctl *ctl);
int cmd_shutdown(const struct ctl *ctl);
int cmd_reload(const struct ctl *ctl);
/* cmd_console.c: the guest's serial console, interactively. */
int cmd_console(const struct ctl *ctl);

/* A status object as aligned "key: value" lines, nested keys dotted. */
void ctl_print_status(struct json_object *st);

/* A connection to one vessel's control socket, with a line reader. */
struct ctl_conn {
	int fd;
	const char *path;
	char *buf; /* received bytes; the current line is NUL-terminated */
	size_t len, cap, used; /* used: bytes of the line last returned */
};

/* The longest reply or event line vesselctl accepts. */
#define CTL_LINE_MAX (1u << 20)
/* How long a reply may take (vessel's loop answers at once). */
#define CTL_REPLY_MS 30000

/* "vesselctl: vm PATH: <message>" (or "daemon PATH") on stderr. */
void ctl_err(const struct ctl *ctl, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/*
 * Connect to ctl->vm (else ctl->daemon), send @cmd with the arguments
 * @argv (NULL-terminated, or NULL), wait up to @timeout_ms (-1: no
 * limit) for the reply and parse it into @rep. Returns as ctl_vm_call.
 */
int ctl_call(const struct ctl *ctl, const char *cmd, const char *const argv[],
	     int timeout_ms, struct ctl_conn *conn, struct proto_reply *rep);

/*
 * Connect to ctl->vm (else ctl->daemon), send @cmd, read and parse the reply into @rep.
 * Returns CTL_EXIT_OK with @conn open (the caller closes it), or another
 * exit code with the reason printed and @conn closed. An error reply
 * gives CTL_EXIT_REPLY, printed; with --json it is also on stdout.
 */
int ctl_vm_call(const struct ctl *ctl, const char *cmd, struct ctl_conn *conn,
		struct proto_reply *rep);

/*
 * The next line from @c, NUL-terminated without its '\n', in *@line
 * (valid until the next call), waiting up to @timeout_ms (-1: forever).
 * Returns 1, 0 at the end of the stream, or -ETIMEDOUT, -EMSGSIZE,
 * -errno.
 */
int ctl_read_line(struct ctl_conn *c, char **line, int timeout_ms);

void ctl_conn_close(struct ctl_conn *c);

/* Print @line and '\n' on stdout and flush; false if stdout failed. */
bool ctl_print_line(const char *line);

#endif
