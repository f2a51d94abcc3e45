// SPDX-License-Identifier: Apache-2.0
/*
 * The control socket (control.h): one listening unix stream socket on
 * the main loop, at most CONTROL_MAX_CLIENTS connections, each with a
 * fixed request buffer. A connection carries one request and its reply,
 * then closes; an `events` subscriber stays open and is written to by the
 * events module until either side closes. Nothing here blocks: a client
 * that sends nothing holds one slot, never the loop.
 */
#include "control.h"

#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "../common/lifecycle.h"
#include "../common/log.h"
#include "../common/proto.h"
#include "loop.h"

#define CONTROL_MAX_CLIENTS 16
#define CONTROL_BACKLOG 16
/* The requester named in stop events (docs/events.md). */
#define CONTROL_BY "control"

struct control;

struct control_client {
	struct control *c;
	int fd; /* -1: a free slot */
	bool subscribed;
	struct proto_line line;
};

struct control {
	int fd;
	char *path;
	bool bound; /* dev, ino: the socket file we made, to unlink only ours */
	dev_t dev;
	ino_t ino;
	struct loop *loop;
	const struct control_ops *ops;
	void *ctx;
	struct control_client client[CONTROL_MAX_CLIENTS];
};

struct control_cmd {
	const char *name;
	const char *help;
	/* Returns the reply line (malloc'd) or NULL for "already answered". */
	char *(*run)(struct control_client *cl);
	/* Instead of run, for a command that takes one argument. */
	char *(*run_arg)(struct control_client *cl, const char *arg);
};

static const struct control_cmd control_cmds[];

/* --- replies and connections --- */

/*
 * Best effort: a reply is a few hundred bytes to a fresh connection
 * whose socket buffer is empty, so a short write means the peer is gone.
 */
static void control_send(struct control_client *cl, char *line)
{
	size_t len;

	if (!line) {
		log_warn_once("control: out of memory for a reply");
		return;
	}
	len = strlen(line);
	if (send(cl->fd, line, len, MSG_NOSIGNAL | MSG_DONTWAIT) !=
	    (ssize_t)len)
		log_dbg("control: a client went away before its reply");
	free(line);
}

static void control_drop(struct control_client *cl)
{
	struct control *c = cl->c;

	if (cl->fd < 0)
		return;
	loop_unwatch_fd(c->loop, cl->fd);
	/* After this no event is written to the fd, which may then close. */
	if (cl->subscribed)
		c->ops->unsubscribe(c->ctx, cl->fd);
	close(cl->fd);
	cl->fd = -1;
	cl->subscribed = false;
	cl->line.len = 0;
}

/* --- commands --- */

static char *control_power_button(struct control_client *cl)
{
	cl->c->ops->power_button(cl->c->ctx, CONTROL_BY);
	return proto_reply_ok(NULL, NULL);
}

static char *control_terminate(struct control_client *cl)
{
	cl->c->ops->terminate(cl->c->ctx, CONTROL_BY);
	return proto_reply_ok(NULL, NULL);
}

static char *control_power_cut(struct control_client *cl)
{
	cl->c->ops->power_cut(cl->c->ctx, CONTROL_BY);
	return proto_reply_ok(NULL, NULL);
}

static char *control_pause_reply(const char *cmd, int ret)
{
	if (ret == -EALREADY)
		return proto_reply_error("the guest is already %s",
					 !strcmp(cmd, "pause") ? "paused" :
								 "running");
	if (ret)
		return proto_reply_error("the guest is stopping");
	return proto_reply_ok(NULL, NULL);
}

static char *control_pause(struct control_client *cl)
{
	return control_pause_reply("pause",
				   cl->c->ops->pause(cl->c->ctx, CONTROL_BY));
}

static char *control_resume(struct control_client *cl)
{
	return control_pause_reply("resume",
				   cl->c->ops->resume(cl->c->ctx, CONTROL_BY));
}

static char *control_request(struct control_client *cl, const char *what,
			     const char *arg)
{
	int ret = cl->c->ops->request(cl->c->ctx, what, arg);

	if (ret == -ENODEV)
		return proto_reply_error(
			"the guest has no lifecycle region (shmem name=lifecycle)");
	if (ret == -EINVAL && arg)
		return proto_reply_error("a peer's name is 1 to %d bytes: '%s'",
					 LIFECYCLE_PEER_NAME_LEN, arg);
	if (ret)
		return proto_reply_error("cannot ask the guest: %s",
					 strerror(-ret));
	return proto_reply_ok(NULL, NULL);
}

static char *control_request_poweroff(struct control_client *cl)
{
	return control_request(cl, "poweroff", NULL);
}

static char *control_request_reboot(struct control_client *cl)
{
	return control_request(cl, "reboot", NULL);
}

/* vesseld: the guest @arg, which shares a device with ours, goes down. */
static char *control_request_peer_down(struct control_client *cl,
				       const char *arg)
{
	return control_request(cl, "peer-shutting-down", arg);
}

static char *control_status(struct control_client *cl)
{
	struct json_object *st = cl->c->ops->status(cl->c->ctx);

	if (!st)
		return proto_reply_error("status unavailable");
	return proto_reply_ok("status", st);
}

/*
 * The "ok" goes out before the subscription starts, so that no event line
 * can come before it; one that fails is told in a second line.
 */
static char *control_events(struct control_client *cl)
{
	struct control *c = cl->c;
	int ret;

	control_send(cl, proto_reply_ok(NULL, NULL));
	ret = c->ops->subscribe(c->ctx, cl->fd);
	if (ret)
		return proto_reply_error("cannot subscribe: %s",
					 strerror(-ret));
	cl->subscribed = true;
	return NULL;
}

static char *control_help(struct control_client *cl)
{
	struct json_object *o = json_object_new_object();
	const struct control_cmd *cmd;

	(void)cl;
	for (cmd = control_cmds; cmd->name; cmd++)
		json_object_object_add(o, cmd->name,
				       json_object_new_string(cmd->help));
	return proto_reply_ok("commands", o);
}

static const struct control_cmd control_cmds[] = {
	{ "power-button", "press the ACPI power button", control_power_button,
	  NULL },
	{ "terminate", "stop the guest now (exit 35)", control_terminate,
	  NULL },
	{ "power-cut", "cut the power: stop at once (exit 3)",
	  control_power_cut, NULL },
	{ "pause", "stop the vCPUs; the guest stays in memory", control_pause,
	  NULL },
	{ "resume", "let a paused guest run again", control_resume, NULL },
	{ "request-poweroff",
	  "ask the guest to power off (lifecycle protocol; it decides)",
	  control_request_poweroff, NULL },
	{ "request-reboot", "ask the guest to reboot (lifecycle protocol)",
	  control_request_reboot, NULL },
	{ "request-peer-down",
	  "NAME: tell the guest that NAME, which shares a device with it, goes "
	  "down (lifecycle protocol)",
	  NULL, control_request_peer_down },
	{ "status", "the VM's state as a JSON object", control_status, NULL },
	{ "events", "stream lifecycle events as JSON lines", control_events,
	  NULL },
	{ "help", "the commands, with a line each", control_help, NULL },
	{ NULL, NULL, NULL, NULL },
};

/* Answer the request of @len bytes in cl->line. */
static void control_serve(struct control_client *cl, size_t len)
{
	const struct control_cmd *cmd;
	struct proto_request req;
	const char *why;
	char *reply;

	if (proto_parse_request(&req, cl->line.buf, len, &why)) {
		control_send(cl, proto_reply_error("%s", why));
		return;
	}
	for (cmd = control_cmds; cmd->name; cmd++)
		if (!strcmp(cmd->name, req.cmd))
			break;
	if (!cmd->name)
		reply = proto_reply_error("unknown command '%s'", req.cmd);
	else if (req.argc != (cmd->run_arg ? 1 : 0))
		reply = proto_reply_error(cmd->run_arg ?
						  "%s takes one argument" :
						  "%s takes no arguments",
					  req.cmd);
	else if (cmd->run_arg)
		reply = cmd->run_arg(cl, req.argv[0]);
	else
		reply = cmd->run(cl);
	if (reply)
		control_send(cl, reply);
}

/* --- reading --- */

/*
 * A subscriber has nothing to say: drop what it sends, one buffer per
 * wake-up so that a flood cannot hold the loop, until it closes.
 */
static void control_on_subscriber(struct control_client *cl)
{
	char scratch[PROTO_REQUEST_MAX];
	ssize_t n = recv(cl->fd, scratch, sizeof(scratch), MSG_DONTWAIT);

	if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR))
		control_drop(cl);
}

static void control_on_client(void *dev, int fd)
{
	struct control_client *cl = dev;
	const char *why;
	ssize_t len;

	if (cl->fd != fd)
		return; /* a stale wake-up for a reused slot */
	if (cl->subscribed) {
		control_on_subscriber(cl);
		return;
	}
	len = proto_read_line(&cl->line, fd, &why);
	if (len == 0)
		return; /* the rest of the line is yet to come */
	if (len > 0)
		control_serve(cl, len);
	else if (len == -E2BIG)
		control_send(cl, proto_reply_error("%s", why));
	if (!cl->subscribed)
		control_drop(cl);
}

/* --- accepting --- */

/* Root and vessel's own user only (SO_PEERCRED, unix(7)). */
static bool control_peer_allowed(int fd)
{
	struct ucred cred;
	socklen_t len = sizeof(cred);

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) ||
	    len != sizeof(cred))
		return false;
	return cred.uid == 0 || cred.uid == getuid();
}

/* Refuse @fd with @msg and close it. */
static void control_refuse(int fd, const char *msg)
{
	struct control_client tmp = { .fd = fd };

	control_send(&tmp, proto_reply_error("%s", msg));
	close(fd);
}

/*
 * A free slot, else the one of the client that has waited longest, past
 * PROTO_IDLE_NS, without a whole request: it is told and dropped.
 */
static struct control_client *control_slot(struct control *c)
{
	struct control_client *idlest = NULL;
	unsigned long long since, oldest = 0;
	int i;

	for (i = 0; i < CONTROL_MAX_CLIENTS; i++) {
		struct control_client *cl = &c->client[i];

		if (cl->fd < 0)
			return cl;
		since = cl->subscribed ? 0 : proto_line_idle_since(&cl->line);
		if (since && (!oldest || since < oldest)) {
			oldest = since;
			idlest = cl;
		}
	}
	if (idlest) {
		control_send(idlest,
			     proto_reply_error("no request in time: the slot "
					       "went to a new client"));
		control_drop(idlest);
	}
	return idlest;
}

static void control_on_listen(void *dev, int lfd)
{
	struct control *c = dev;
	struct control_client *cl;
	int fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);

	if (fd < 0) {
		if (errno != EAGAIN && errno != EINTR)
			log_warn_errno("control %s: accept", c->path);
		return;
	}
	if (!control_peer_allowed(fd)) {
		control_refuse(fd, "permission denied");
		return;
	}
	cl = control_slot(c);
	if (!cl || loop_watch_fd(c->loop, fd, control_on_client, cl)) {
		control_refuse(fd, "too many clients");
		return;
	}
	cl->fd = fd;
	proto_line_start(&cl->line);
}

/* --- the socket file --- */

static int control_addr(struct sockaddr_un *a, const char *path)
{
	size_t n = strlen(path);

	memset(a, 0, sizeof(*a));
	a->sun_family = AF_UNIX;
	/* unix(7): sun_path holds the path and its NUL. */
	if (!n || n >= sizeof(a->sun_path)) {
		log_err("control %s: the path must have 1 to %zu bytes", path,
			sizeof(a->sun_path) - 1);
		return n ? -ENAMETOOLONG : -EINVAL;
	}
	memcpy(a->sun_path, path, n);
	return 0;
}

/*
 * An existing path is replaced only if it is a socket nobody answers on:
 * the file a killed vessel left behind.
 */
static int control_clear_stale(const struct sockaddr_un *a)
{
	const char *path = a->sun_path;
	struct stat st;
	int fd, ret;

	if (lstat(path, &st))
		return errno == ENOENT ? 0 : -errno;
	if (!S_ISSOCK(st.st_mode)) {
		log_err("control %s: exists and is not a socket", path);
		return -EEXIST;
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -errno;
	/* EAGAIN: a listener whose backlog is full is still a listener. */
	ret = connect(fd, (const struct sockaddr *)a, sizeof(*a)) ? errno : 0;
	close(fd);
	if (ret != ECONNREFUSED) {
		log_err("control %s: another vessel is listening", path);
		return -EADDRINUSE;
	}
	if (unlink(path) && errno != ENOENT)
		return -errno;
	return 0;
}

/* Bind with umask 077 so that the file never exists with a wider mode. */
static int control_bind(struct control *c, const struct sockaddr_un *a)
{
	mode_t old = umask(077);
	struct stat st;
	int ret = 0;

	if (bind(c->fd, (const struct sockaddr *)a, sizeof(*a)))
		ret = -errno;
	umask(old);
	if (ret)
		return ret;
	if (lstat(a->sun_path, &st))
		return -errno;
	c->dev = st.st_dev;
	c->ino = st.st_ino;
	c->bound = true;
	/* A default ACL on the directory overrides the umask (acl(5)). */
	if (chmod(a->sun_path, 0600) || listen(c->fd, CONTROL_BACKLOG))
		return -errno;
	return 0;
}

/* Whether @path is still the socket file this vessel bound. */
static bool control_owns_path(const struct control *c)
{
	struct stat st;

	return c->bound && !lstat(c->path, &st) && st.st_dev == c->dev &&
	       st.st_ino == c->ino;
}

static int control_listen(struct control *c)
{
	struct sockaddr_un a;
	int ret;

	ret = control_addr(&a, c->path);
	if (ret)
		return ret;
	ret = control_clear_stale(&a);
	if (ret)
		goto err_log;
	c->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (c->fd < 0) {
		ret = -errno;
		goto err_log;
	}
	ret = control_bind(c, &a);
	if (ret)
		goto err_log;
	ret = loop_watch_fd(c->loop, c->fd, control_on_listen, c);
	if (ret)
		goto err_log;
	return 0;

err_log:
	if (ret != -EEXIST && ret != -EADDRINUSE)
		log_err("control %s: %s", c->path, strerror(-ret));
	return ret;
}

int control_open(struct control **out, const char *path, struct loop *loop,
		 const struct control_ops *ops, void *ctx)
{
	struct control *c = calloc(1, sizeof(*c));
	int i, ret;

	*out = NULL;
	if (!c || !(c->path = strdup(path))) {
		free(c);
		log_err("control %s: out of memory", path);
		return -ENOMEM;
	}
	c->fd = -1;
	c->loop = loop;
	c->ops = ops;
	c->ctx = ctx;
	for (i = 0; i < CONTROL_MAX_CLIENTS; i++)
		c->client[i] = (struct control_client){ .c = c, .fd = -1 };
	ret = control_listen(c);
	if (ret) {
		control_close(c);
		return ret;
	}
	*out = c;
	return 0;
}

void control_close(struct control *c)
{
	int i;

	if (!c)
		return;
	for (i = 0; i < CONTROL_MAX_CLIENTS; i++)
		control_drop(&c->client[i]);
	if (c->fd >= 0) {
		loop_unwatch_fd(c->loop, c->fd);
		close(c->fd);
		if (control_owns_path(c))
			unlink(c->path);
	}
	free(c->path);
	free(c);
}
