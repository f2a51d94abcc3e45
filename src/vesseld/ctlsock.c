// SPDX-License-Identifier: Apache-2.0
/*
 * vesseld's control socket (ctlsock.h). A fixed table of connection
 * slots; each carries one request and its reply, except an `events`
 * subscriber, which stays until either side closes (`events past` and
 * `events all` first get the event file's lines, sent as the socket
 * takes them). A request whose
 * answer is not known yet parks its connection in a wait (a guest
 * reaching a state, the shutdown's end, a forwarded call's reply).
 */
#include "ctlsock.h"

#include <errno.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "../common/log.h"
#include "../common/proto.h"
#include "daemon.h"
#include "relay.h"
#include "vmcall.h"

#define CTLSOCK_MAX_CLIENTS 32
#define CTLSOCK_BACKLOG 16

enum ctlsock_wait {
	WAIT_NONE, /* reading its request */
	WAIT_START, /* the guest is up, or ended before */
	WAIT_STOP, /* the guest is down */
	WAIT_RESTART, /* down, then up again */
	WAIT_SHUTDOWN, /* every guest is down */
	WAIT_CALL, /* a forwarded request's reply */
	WAIT_EVENTS, /* a subscriber: event lines until it closes */
	WAIT_PAST, /* `events past`: the file's lines, then the close */
	WAIT_CATCHUP, /* `events all`: the file's lines, then WAIT_EVENTS */
};

struct ctlsock_client {
	struct ctlsock *s;
	struct dloop_watch w; /* w.fd -1: a free slot */
	enum ctlsock_wait wait;
	struct guest *g;
	u32 boots; /* the guest's boots when the request came */
	const char *cmd;
	struct vmcall call;
	struct relay *relay; /* guest-shutdown: the relay it waits for */
	const char *arg; /* guest-shutdown: its STATE, events: its word */
	off_t sent, past_end; /* WAIT_PAST, WAIT_CATCHUP: the file's bytes */
	struct proto_line line;
};

struct ctlsock {
	struct vd *vd;
	struct dloop_watch w;
	char *path;
	dev_t dev; /* the socket file we bound, to remove only ours */
	ino_t ino;
	gid_t group; /* --socket-group, or CTLSOCK_NO_GROUP */
	struct ctlsock_client client[CTLSOCK_MAX_CLIENTS];
};

struct ctlsock_cmd {
	const char *name;
	const char *help;
	bool needs_guest; /* takes NAME */
	/* The reply line (malloc'd), or NULL when the connection waits. */
	char *(*run)(struct ctlsock_client *cl, struct guest *g);
};

static const struct ctlsock_cmd ctlsock_cmds[];

/* --- replies --- */

/* {"ok":true, @members...} as one line; puts @members. */
static char *ctlsock_ok(struct json_object *members)
{
	struct json_object *o = json_object_new_object();
	const char *s;
	char *line;

	json_object_object_add(o, "ok", json_object_new_boolean(true));
	if (members) {
		json_object_object_foreach(members, k, v)
			json_object_object_add(o, k, json_object_get(v));
		json_object_put(members);
	}
	s = json_object_to_json_string_ext(
		o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
	line = malloc(strlen(s) + 2);
	if (line)
		sprintf(line, "%s\n", s);
	json_object_put(o);
	return line;
}

static struct json_object *ctlsock_members(const char *k, struct json_object *v)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, k, v);
	return o;
}

static void ctlsock_drop(struct ctlsock_client *cl)
{
	if (cl->w.fd < 0)
		return;
	vmcall_cancel(&cl->call);
	relay_forget(cl->relay);
	cl->relay = NULL;
	dloop_unwatch(&cl->s->vd->loop, &cl->w);
	close(cl->w.fd);
	cl->w.fd = -1;
	cl->wait = WAIT_NONE;
	cl->g = NULL;
	cl->line.len = 0;
}

/*
 * Replies are small and go to a connection that has sent one line and
 * waits; a reply that does not fit at once means the peer stopped
 * reading, and it is dropped with the connection.
 */
static void ctlsock_send(struct ctlsock_client *cl, char *line)
{
	size_t len;

	if (!line) {
		log_warn_once("control: out of memory for a reply");
	} else {
		len = strlen(line);
		if (send(cl->w.fd, line, len, MSG_NOSIGNAL | MSG_DONTWAIT) !=
		    (ssize_t)len)
			log_dbg("control: a client went away before its reply");
		free(line);
	}
	ctlsock_drop(cl);
}

/* --- waits --- */

static char *ctlsock_guest_reply(struct guest *g)
{
	struct json_object *m = ctlsock_members("guest", guest_json(g));
	struct json_object *stop = guest_stop_json(g);

	if (stop)
		json_object_object_add(m, "stop", stop);
	return ctlsock_ok(m);
}

/* A start (or a restart's start) that ended before the guest was up. */
static char *ctlsock_not_up(struct guest *g)
{
	if (g->last_error[0])
		return proto_reply_error("%s: %s", g->cfg->name, g->last_error);
	return proto_reply_error("%s ended before it was up: %s", g->cfg->name,
				 g->exited ? g->last_exit.reason : "?");
}

/* The reply for @cl's wait on its guest, or NULL while it goes on. */
static char *ctlsock_wait_reply(struct ctlsock_client *cl)
{
	struct guest *g = cl->g;

	switch (cl->wait) {
	case WAIT_START:
		if (g->state == GUEST_UP)
			return ctlsock_guest_reply(g);
		return guest_alive(g) ? NULL : ctlsock_not_up(g);
	case WAIT_STOP:
		return guest_alive(g) ? NULL : ctlsock_guest_reply(g);
	case WAIT_RESTART:
		if (g->boots == cl->boots &&
		    (guest_alive(g) || g->start_after_stop))
			return NULL; /* the old vessel is still stopping */
		if (g->state == GUEST_UP)
			return ctlsock_guest_reply(g);
		return guest_alive(g) ? NULL : ctlsock_not_up(g);
	default:
		return NULL;
	}
}

void ctlsock_guest_changed(struct ctlsock *s, struct guest *g)
{
	struct ctlsock_client *cl;
	char *reply;
	int i;

	for (i = 0; s && i < CTLSOCK_MAX_CLIENTS; i++) {
		cl = &s->client[i];
		if (cl->w.fd < 0 || cl->g != g)
			continue;
		reply = ctlsock_wait_reply(cl);
		if (reply)
			ctlsock_send(cl, reply);
	}
}

void ctlsock_guest_gone(struct ctlsock *s, struct guest *g)
{
	int i;

	for (i = 0; s && i < CTLSOCK_MAX_CLIENTS; i++)
		if (s->client[i].w.fd >= 0 && s->client[i].g == g)
			ctlsock_send(
				&s->client[i],
				proto_reply_error("%s: removed by a reload",
						  g->cfg->name));
}

void ctlsock_shutdown_done(struct ctlsock *s)
{
	int i;

	for (i = 0; s && i < CTLSOCK_MAX_CLIENTS; i++)
		if (s->client[i].w.fd >= 0 &&
		    s->client[i].wait == WAIT_SHUTDOWN)
			ctlsock_send(
				&s->client[i],
				ctlsock_ok(ctlsock_members(
					"shutdown", vd_shutdown_json(s->vd))));
}

/* Park @cl until its guest reaches what @wait asks; the reply if now. */
static char *ctlsock_park(struct ctlsock_client *cl, struct guest *g,
			  enum ctlsock_wait wait)
{
	cl->wait = wait;
	cl->g = g;
	return ctlsock_wait_reply(cl);
}

/* --- commands --- */

static char *cmd_list(struct ctlsock_client *cl, struct guest *g)
{
	struct json_object *a = json_object_new_array();
	struct vd *vd = cl->s->vd;
	int i;

	(void)g;
	for (i = 0; i < vd->nr; i++)
		json_object_array_add(a, guest_json(vd->guests[i]));
	/* Removed by a reload and still stopping: shown until down. */
	for (i = 0; i < vd->nr_retired; i++)
		json_object_array_add(a, guest_json(vd->retired[i]));
	return ctlsock_ok(ctlsock_members("guests", a));
}

static void ctlsock_on_status(struct vmcall *c, struct proto_reply *rep,
			      const char *err)
{
	struct ctlsock_client *cl =
		container_of(c, struct ctlsock_client, call);
	struct json_object *m = ctlsock_members("guest", guest_json(cl->g));
	struct json_object *st;

	if (rep && rep->ok &&
	    json_object_object_get_ex(rep->obj, "status", &st))
		json_object_object_add(m, "vm", json_object_get(st));
	else
		json_object_object_add(
			m, "vm_error",
			json_object_new_string(err ? err : rep->error));
	ctlsock_send(cl, ctlsock_ok(m));
}

/* vesseld's view of the guest and, while it runs, vessel's own status. */
static char *cmd_status(struct ctlsock_client *cl, struct guest *g)
{
	if (g->state == GUEST_STARTING || !guest_alive(g) ||
	    vmcall_start(&cl->call, g->ctl, "status", ctlsock_on_status))
		return ctlsock_guest_reply(g);
	cl->wait = WAIT_CALL;
	cl->g = g;
	return NULL;
}

static char *cmd_start(struct ctlsock_client *cl, struct guest *g)
{
	int ret;

	if (guest_alive(g))
		return proto_reply_error("%s is already running (pid %d)",
					 g->cfg->name, (int)g->pid);
	ret = guest_start(g, "control");
	if (ret == -ESHUTDOWN)
		return proto_reply_error("vesseld is shutting down");
	if (ret)
		return ctlsock_not_up(g);
	return ctlsock_park(cl, g, WAIT_START);
}

static char *cmd_stop(struct ctlsock_client *cl, struct guest *g)
{
	struct json_object *m;

	if (!guest_alive(g) && g->state != GUEST_BACKOFF) {
		m = ctlsock_members("guest", guest_json(g));
		json_object_object_add(m, "stop", NULL);
		return ctlsock_ok(m);
	}
	guest_stop(g, "control");
	return ctlsock_park(cl, g, WAIT_STOP);
}

static char *cmd_restart(struct ctlsock_client *cl, struct guest *g)
{
	if (cl->s->vd->shut.active)
		return proto_reply_error("vesseld is shutting down");
	cl->boots = g->boots;
	if (!guest_alive(g))
		return cmd_start(cl, g);
	g->start_after_stop = true;
	guest_stop(g, "restart");
	return ctlsock_park(cl, g, WAIT_RESTART);
}

static void ctlsock_on_forwarded(struct vmcall *c, struct proto_reply *rep,
				 const char *err)
{
	struct ctlsock_client *cl =
		container_of(c, struct ctlsock_client, call);

	if (!rep)
		ctlsock_send(
			cl, proto_reply_error("%s: %s", cl->g->cfg->name, err));
	else if (!rep->ok)
		ctlsock_send(cl,
			     proto_reply_error("%s: vessel: %s",
					       cl->g->cfg->name, rep->error));
	else
		ctlsock_send(cl, ctlsock_guest_reply(cl->g));
}

/*
 * power-button, terminate, power-cut: the guest's own control socket
 * does it. A terminate or power cut asked of vesseld is a stop vesseld
 * made: the guest stays down whatever its policy says.
 */
static char *cmd_forward(struct ctlsock_client *cl, struct guest *g)
{
	int ret;

	if (!guest_alive(g) || g->state == GUEST_STARTING)
		return proto_reply_error("%s is not running", g->cfg->name);
	ret = vmcall_start(&cl->call, g->ctl, cl->cmd, ctlsock_on_forwarded);
	if (ret)
		return proto_reply_error("%s: cannot reach %s: %s",
					 g->cfg->name, g->ctl, strerror(-ret));
	if (strcmp(cl->cmd, "power-button"))
		guest_mark_stopping(g, "control", cl->cmd);
	cl->wait = WAIT_CALL;
	cl->g = g;
	return NULL;
}

static void ctlsock_on_relayed(void *ctx, struct json_object *result)
{
	struct ctlsock_client *cl = ctx;

	cl->relay = NULL;
	ctlsock_send(cl, ctlsock_ok(ctlsock_members("guest_shutdown",
						    json_object_get(result))));
}

/*
 * guest-shutdown NAME STATE: the guest announced STATE over its lifecycle
 * region (vessel's --lifecycle-hook asks): its hook, then its peers, then
 * the answer, on which vessel acknowledges to the guest (relay.h).
 */
static char *cmd_guest_shutdown(struct ctlsock_client *cl, struct guest *g)
{
	int ret;

	cl->wait = WAIT_CALL;
	cl->g = g;
	ret = relay_start(g, cl->arg, ctlsock_on_relayed, cl, &cl->relay);
	if (ret == -EINVAL)
		return proto_reply_error("'%s' is not a lifecycle state",
					 cl->arg);
	if (ret == -EBUSY)
		return proto_reply_error(
			"%s: an earlier announcement is still relayed",
			g->cfg->name);
	if (ret)
		return proto_reply_error("%s", strerror(-ret));
	return NULL; /* answered by ctlsock_on_relayed(), maybe already */
}

static char *cmd_shutdown(struct ctlsock_client *cl, struct guest *g)
{
	(void)g;
	cl->wait = WAIT_SHUTDOWN;
	vd_shutdown(cl->s->vd, "control");
	return NULL; /* answered by ctlsock_shutdown_done() */
}

/* Read the configuration again; the reply says what changed, or why not. */
static char *cmd_reload(struct ctlsock_client *cl, struct guest *g)
{
	struct json_object *summary = NULL;
	char err[1024];

	(void)g;
	if (vd_reload(cl->s->vd, "control", &summary, err, sizeof(err)))
		return proto_reply_error("%s", err);
	return ctlsock_ok(ctlsock_members("reload", summary));
}

/* Watch @cl for @events; false (and @cl dropped) if epoll refuses. */
static bool ctlsock_rewatch(struct ctlsock_client *cl, u32 events)
{
	if (!dloop_rewatch(&cl->s->vd->loop, &cl->w, events))
		return true;
	ctlsock_drop(cl);
	return false;
}

/*
 * Send the event file from cl->sent as far as the socket takes it; a
 * catching-up subscriber reads on to the file's current end (events
 * written meanwhile included), then is a subscriber like any other, in
 * one step of the loop: no line is lost or sent twice. When the socket is
 * full, the rest waits for EPOLLOUT. False if @cl was dropped.
 */
static bool ctlsock_pump(struct ctlsock_client *cl)
{
	struct ctlsock *s = cl->s;
	int fd = s->vd->ev.fd;
	struct stat st;
	char buf[16384];
	ssize_t n, m;

	for (;;) {
		if (cl->wait == WAIT_CATCHUP)
			cl->past_end = fd >= 0 && !fstat(fd, &st) ? st.st_size :
								    cl->sent;
		if (cl->sent >= cl->past_end)
			break;
		n = pread(fd, buf,
			  MIN((off_t)sizeof(buf), cl->past_end - cl->sent),
			  cl->sent);
		if (n <= 0)
			break; /* truncated under us: what is left is sent */
		m = send(cl->w.fd, buf, n, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (m < 0 && errno != EAGAIN && errno != EINTR) {
			ctlsock_drop(cl);
			return false;
		}
		cl->sent += m > 0 ? m : 0;
		if (m < n)
			return ctlsock_rewatch(cl, EPOLLIN | EPOLLOUT);
	}
	if (cl->wait == WAIT_PAST) {
		ctlsock_drop(cl);
		return false;
	}
	cl->wait = WAIT_EVENTS;
	return ctlsock_rewatch(cl, EPOLLIN);
}

/*
 * A subscriber: the "ok" first, then every event line as it is written;
 * `events past`: the event file's lines, then the close; `events all`:
 * the file's lines, then every new one.
 */
static char *cmd_events(struct ctlsock_client *cl, struct guest *g)
{
	enum ctlsock_wait wait = WAIT_EVENTS;
	int fd = cl->s->vd->ev.fd;
	struct stat st;
	char *ok;

	(void)g;
	if (cl->arg && !strcmp(cl->arg, "past"))
		wait = WAIT_PAST;
	else if (cl->arg && !strcmp(cl->arg, "all"))
		wait = WAIT_CATCHUP;
	else if (cl->arg)
		return proto_reply_error("events takes past, all or nothing");
	ok = ctlsock_ok(NULL);
	if (!ok ||
	    send(cl->w.fd, ok, strlen(ok), MSG_NOSIGNAL | MSG_DONTWAIT) < 0) {
		free(ok);
		ctlsock_drop(cl);
		return NULL;
	}
	free(ok);
	cl->wait = wait;
	cl->sent = 0;
	cl->past_end = 0;
	if (wait == WAIT_PAST && fd >= 0 && !fstat(fd, &st))
		cl->past_end = st.st_size; /* the lines so far, no later one */
	if (wait != WAIT_EVENTS)
		ctlsock_pump(cl);
	return NULL;
}

/*
 * The connection becomes the guest's console (console.h): the "ok" (with
 * the guest), then bytes both ways until the client hangs up. The client
 * sends nothing before it has the reply.
 */
static char *cmd_console(struct ctlsock_client *cl, struct guest *g)
{
	char err[160], *ok;
	int fd = cl->w.fd;

	if (!console_can_attach(&g->con, err, sizeof(err)))
		return proto_reply_error("%s", err);
	ok = ctlsock_ok(ctlsock_members("guest", guest_json(g)));
	if (!ok || send(fd, ok, strlen(ok), MSG_NOSIGNAL | MSG_DONTWAIT) < 0) {
		free(ok);
		ctlsock_drop(cl);
		return NULL;
	}
	free(ok);
	/* The slot lets go of the fd without closing it. */
	dloop_unwatch(&cl->s->vd->loop, &cl->w);
	cl->w.fd = -1;
	cl->line.len = 0;
	console_attach(&g->con, fd);
	return NULL;
}

static char *cmd_help(struct ctlsock_client *cl, struct guest *g)
{
	struct json_object *o = json_object_new_object();
	const struct ctlsock_cmd *cmd;

	(void)cl;
	(void)g;
	for (cmd = ctlsock_cmds; cmd->name; cmd++)
		json_object_object_add(o, cmd->name,
				       json_object_new_string(cmd->help));
	return ctlsock_ok(ctlsock_members("commands", o));
}

static const struct ctlsock_cmd ctlsock_cmds[] = {
	{ "list", "every guest: state, pid, uptime, boots, restarts, last exit",
	  false, cmd_list },
	{ "status", "NAME: the guest, and its vessel's own status", true,
	  cmd_status },
	{ "start", "NAME: start it; answers once it is up", true, cmd_start },
	{ "stop",
	  "NAME: power button, SIGTERM after stop-timeout, then SIGQUIT; "
	  "answers once it is down",
	  true, cmd_stop },
	{ "restart", "NAME: stop, then start; answers once it is up again",
	  true, cmd_restart },
	{ "power-button", "NAME: press its power button", true, cmd_forward },
	{ "terminate", "NAME: terminate it now (vessel exits 35)", true,
	  cmd_forward },
	{ "power-cut", "NAME: cut its power (vessel exits 3)", true,
	  cmd_forward },
	{ "shutdown", "stop every guest in order, then vesseld exits", false,
	  cmd_shutdown },
	{ "guest-shutdown",
	  "NAME STATE: NAME announced STATE (vessel's lifecycle hook): run its "
	  "on-guest-shutdown-hook, tell its shares-device-with peers, then "
	  "answer",
	  true, cmd_guest_shutdown },
	{ "reload",
	  "read the guest files again: add, remove, change guests (a bad file "
	  "changes nothing)",
	  false, cmd_reload },
	{ "events",
	  "[past|all]: vesseld's events as JSON lines: from now on; past: the "
	  "event file's lines, then the close; all: those, then from now on",
	  false, cmd_events },
	{ "console",
	  "NAME: attach to its console: after the reply, bytes both ways", true,
	  cmd_console },
	{ "help", "the commands, with a line each", false, cmd_help },
	{ NULL, NULL, false, NULL },
};

static char *ctlsock_dispatch(struct ctlsock_client *cl,
			      const struct proto_request *req)
{
	const struct ctlsock_cmd *cmd;
	struct guest *g = NULL;

	for (cmd = ctlsock_cmds; cmd->name; cmd++)
		if (!strcmp(cmd->name, req->cmd))
			break;
	if (!cmd->name)
		return proto_reply_error("unknown command '%s'", req->cmd);
	/*
	 * guest-shutdown alone takes a second argument, the state; events
	 * may take one word.
	 */
	if (req->argc - (cmd->run == cmd_events && req->argc) !=
	    (cmd->needs_guest ? 1 : 0) + (cmd->run == cmd_guest_shutdown))
		return proto_reply_error(
			cmd->run == cmd_guest_shutdown ?
				"%s takes a guest's name and a state" :
			cmd->needs_guest ? "%s takes a guest's name" :
					   "%s takes no arguments",
			req->cmd);
	cl->arg = req->argc > cmd->needs_guest ? req->argv[cmd->needs_guest] :
						 NULL;
	if (cmd->needs_guest) {
		g = vd_guest(cl->s->vd, req->argv[0]);
		if (!g)
			return proto_reply_error("no guest '%s'", req->argv[0]);
	}
	cl->cmd = cmd->name;
	return cmd->run(cl, g);
}

static void ctlsock_serve(struct ctlsock_client *cl, size_t len)
{
	struct proto_request req;
	const char *why;
	char *reply;

	if (proto_parse_request(&req, cl->line.buf, len, &why)) {
		ctlsock_send(cl, proto_reply_error("%s", why));
		return;
	}
	reply = ctlsock_dispatch(cl, &req);
	if (reply)
		ctlsock_send(cl, reply);
}

/* --- reading --- */

/* A parked connection only closes or sends what is ignored. */
static void ctlsock_on_parked(struct ctlsock_client *cl)
{
	char scratch[PROTO_REQUEST_MAX];
	ssize_t n = recv(cl->w.fd, scratch, sizeof(scratch), MSG_DONTWAIT);

	if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR))
		ctlsock_drop(cl);
}

static void ctlsock_on_client(struct dloop_watch *w, u32 events)
{
	struct ctlsock_client *cl = container_of(w, struct ctlsock_client, w);
	const char *why;
	ssize_t len;

	if (cl->wait != WAIT_NONE) {
		if (events & (EPOLLIN | EPOLLHUP | EPOLLERR))
			ctlsock_on_parked(cl);
		if (cl->w.fd >= 0 && (events & EPOLLOUT) &&
		    (cl->wait == WAIT_PAST || cl->wait == WAIT_CATCHUP))
			ctlsock_pump(cl);
		return;
	}
	len = proto_read_line(&cl->line, w->fd, &why);
	if (len > 0)
		ctlsock_serve(cl, len);
	else if (len == -E2BIG)
		ctlsock_send(cl, proto_reply_error("%s", why));
	else if (len < 0)
		ctlsock_drop(cl);
}

/* Each event line to every subscriber; one that cannot keep up is dropped. */
static void ctlsock_tap(void *ctx, const char *line, size_t len)
{
	struct ctlsock *s = ctx;
	int i;

	for (i = 0; i < CTLSOCK_MAX_CLIENTS; i++) {
		struct ctlsock_client *cl = &s->client[i];

		if (cl->w.fd >= 0 && cl->wait == WAIT_EVENTS &&
		    send(cl->w.fd, line, len, MSG_NOSIGNAL | MSG_DONTWAIT) !=
			    (ssize_t)len)
			ctlsock_drop(cl);
	}
}

/* --- accepting --- */

/*
 * Whether the peer's groups, as they were when it connected
 * (SO_PEERGROUPS, Linux 4.13), hold @group. Unlike /proc/PID/status, the
 * kernel's snapshot cannot name another process that reused the pid.
 */
static bool ctlsock_peer_in_group(int fd, gid_t group)
{
	socklen_t len = 0;
	bool found = false;
	gid_t *groups;
	size_t i;

	/* A zero length asks for the size the list needs. */
	if (!getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, NULL, &len) ||
	    errno != ERANGE)
		return false; /* no supplementary groups, or an error */
	groups = malloc(len);
	if (groups && !getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, groups, &len))
		for (i = 0; i < len / sizeof(*groups) && !found; i++)
			found = groups[i] == group;
	free(groups);
	return found;
}

/*
 * Root, vesseld's own user and, with --socket-group, the group's members
 * by primary or supplementary group (SO_PEERCRED, unix(7)).
 */
static bool ctlsock_peer_allowed(const struct ctlsock *s, int fd)
{
	struct ucred cred;
	socklen_t len = sizeof(cred);

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) ||
	    len != sizeof(cred))
		return false;
	if (cred.uid == 0 || cred.uid == getuid())
		return true;
	if (s->group == CTLSOCK_NO_GROUP)
		return false;
	return cred.gid == s->group || ctlsock_peer_in_group(fd, s->group);
}

static void ctlsock_refuse(int fd, const char *msg)
{
	char *line = proto_reply_error("%s", msg);

	log_dbg("control: refused a client: %s", msg);
	if (line &&
	    send(fd, line, strlen(line), MSG_NOSIGNAL | MSG_DONTWAIT) < 0)
		log_dbg("control: the refused client went away");
	free(line);
	close(fd);
}

/*
 * A free slot, else the one of the client that has waited longest, past
 * PROTO_IDLE_NS, without a whole request: it is told and dropped.
 */
static struct ctlsock_client *ctlsock_slot(struct ctlsock *s)
{
	struct ctlsock_client *idlest = NULL;
	unsigned long long since, oldest = 0;
	int i;

	for (i = 0; i < CTLSOCK_MAX_CLIENTS; i++) {
		struct ctlsock_client *cl = &s->client[i];

		if (cl->w.fd < 0)
			return cl;
		since = cl->wait != WAIT_NONE ?
				0 :
				proto_line_idle_since(&cl->line);
		if (since && (!oldest || since < oldest)) {
			oldest = since;
			idlest = cl;
		}
	}
	if (idlest) {
		ctlsock_send(idlest,
			     proto_reply_error("no request in time: the slot "
					       "went to a new client"));
		ctlsock_drop(idlest);
	}
	return idlest;
}

static void ctlsock_on_listen(struct dloop_watch *w, u32 events)
{
	struct ctlsock *s = container_of(w, struct ctlsock, w);
	struct ctlsock_client *cl = NULL;
	int fd = accept4(w->fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);

	(void)events;
	if (fd < 0) {
		if (errno != EAGAIN && errno != EINTR)
			log_warn_errno("control %s: accept", s->path);
		return;
	}
	if (!ctlsock_peer_allowed(s, fd)) {
		ctlsock_refuse(fd, "permission denied");
		return;
	}
	cl = ctlsock_slot(s);
	if (!cl) {
		ctlsock_refuse(fd, "too many clients");
		return;
	}
	cl->w.fd = fd;
	proto_line_start(&cl->line);
	if (dloop_watch(&s->vd->loop, &cl->w, EPOLLIN)) {
		cl->w.fd = -1;
		ctlsock_refuse(fd, "too many clients");
		return;
	}
	cl->line.len = 0;
	cl->wait = WAIT_NONE;
	cl->g = NULL;
}

/* --- the socket file --- */

/*
 * A socket file left by a vesseld that died is replaced; the lock file
 * (main.c) already made sure no other vesseld runs on this directory.
 */
static int ctlsock_bind(struct ctlsock *s, const struct sockaddr_un *a)
{
	mode_t old;
	struct stat st;
	int ret = 0;

	/*
	 * vesseld's lock says no other daemon listens: a socket there is
	 * stale. Anything else is not ours to remove.
	 */
	if (!lstat(a->sun_path, &st) && !S_ISSOCK(st.st_mode)) {
		log_err("control socket %s: exists and is not a socket",
			a->sun_path);
		return -EEXIST;
	}
	if (unlink(a->sun_path) && errno != ENOENT)
		return -errno;
	old = umask(077);
	if (bind(s->w.fd, (const struct sockaddr *)a, sizeof(*a)))
		ret = -errno;
	umask(old);
	if (ret)
		return ret;
	if (lstat(a->sun_path, &st))
		return -errno;
	s->dev = st.st_dev;
	s->ino = st.st_ino;
	/* The group first: until the chmod only we can connect. */
	if (s->group != CTLSOCK_NO_GROUP &&
	    chown(a->sun_path, (uid_t)-1, s->group))
		return -errno;
	/* A default ACL on the directory overrides the umask (acl(5)). */
	if (chmod(a->sun_path, s->group == CTLSOCK_NO_GROUP ? 0600 : 0660) ||
	    listen(s->w.fd, CTLSOCK_BACKLOG))
		return -errno;
	return 0;
}

static int ctlsock_listen(struct ctlsock *s)
{
	struct sockaddr_un a;
	int ret = vmcall_addr(&a, s->path);

	if (ret)
		return ret;
	s->w.fd =
		socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (s->w.fd < 0)
		return -errno;
	ret = ctlsock_bind(s, &a);
	return ret ? ret : dloop_watch(&s->vd->loop, &s->w, EPOLLIN);
}

int ctlsock_open(struct ctlsock **out, struct vd *vd, const char *path,
		 gid_t group)
{
	struct ctlsock *s = calloc(1, sizeof(*s));
	unsigned int errors;
	int i, ret;

	*out = NULL;
	if (!s || !(s->path = strdup(path))) {
		free(s);
		return -ENOMEM;
	}
	s->vd = vd;
	s->group = group;
	s->w.fd = -1;
	s->w.ready = ctlsock_on_listen;
	for (i = 0; i < CTLSOCK_MAX_CLIENTS; i++) {
		struct ctlsock_client *cl = &s->client[i];

		cl->s = s;
		cl->w.fd = -1;
		cl->w.ready = ctlsock_on_client;
		vmcall_init(&cl->call, &vd->loop);
	}
	errors = log_error_count();
	ret = ctlsock_listen(s);
	if (ret) {
		if (log_error_count() == errors) /* else it said why */
			log_err("control %s: %s", path, strerror(-ret));
		ctlsock_close(s);
		return ret;
	}
	vd->ev.tap = ctlsock_tap;
	vd->ev.tap_ctx = s;
	*out = s;
	return 0;
}

void ctlsock_close(struct ctlsock *s)
{
	struct stat st;
	int i;

	if (!s)
		return;
	if (s->vd->ev.tap_ctx == s)
		s->vd->ev.tap = NULL;
	for (i = 0; i < CTLSOCK_MAX_CLIENTS; i++)
		ctlsock_drop(&s->client[i]);
	if (s->w.fd >= 0) {
		dloop_unwatch(&s->vd->loop, &s->w);
		close(s->w.fd);
		if (!lstat(s->path, &st) && st.st_dev == s->dev &&
		    st.st_ino == s->ino)
			unlink(s->path);
	}
	free(s->path);
	free(s);
}
