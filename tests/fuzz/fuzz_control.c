// SPDX-License-Identifier: Apache-2.0
/*
 * libFuzzer: the control-socket protocol as a client speaks it, to
 * vessel's control socket (src/vmm/control.c, with fake ops) or to
 * vesseld's (src/vesseld/ctlsock.c: a daemon with no guests, and one
 * with a guest that is down and cannot start: what runs without a live
 * VM), both through the line reader and request parser of
 * src/common/proto.c. A client is one end of a socket pair handed to the
 * server's own reading function as the event loop would: bytes in pieces,
 * half-closes, new connections. Every line that comes back must be one
 * reply (proto_parse_reply), a connection the server let go must have
 * had its answer, and each served request may act at most once. The
 * input's bytes are also fed to proto.c's parsers directly: a request
 * that parses formats back to the same words, an error reply carries
 * any message intact.
 *
 * Input: u8 setup (bit 0: vesseld; bits 1-3: what the fake ops answer;
 * bit 4: the vesseld with a guest, web1, and a shutdown under way);
 * then records: u8 flags (1: half-close after, 2: a new connection
 * first), u8 length, that many bytes sent.
 */
#include <errno.h>
#include <json-c/json.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "../../src/common/log.h"
#include "../../src/common/proto.h"
#include "fuzz.h"

/* The two servers' static functions, driven directly. */
#include "../../src/vesseld/ctlsock.c"
#include "../../src/vmm/control.c"

#define REC_HALF_CLOSE 1
#define REC_NEW_CONN 2
#define MAX_WAKEUPS 8

/* --- proto.c on the raw bytes --- */

static void fuzz_proto_request(const u8 *p, size_t len)
{
	struct proto_request req, again;
	char line[PROTO_REQUEST_MAX + 1];
	const char *why = NULL;
	int i, ret = proto_parse_request(&req, (const char *)p, len, &why);

	FUZZ_CHECK(ret == 0 || ret == -EINVAL || ret == -E2BIG);
	if (ret) {
		FUZZ_CHECK(why && *why);
		return;
	}
	FUZZ_CHECK(req.argc >= 0 && req.argc <= PROTO_ARGS_MAX);
	FUZZ_CHECK(!req.argv[req.argc]);
	ret = proto_format_request(line, sizeof(line), req.cmd, req.argv);
	FUZZ_CHECK(ret > 0 && ret <= PROTO_REQUEST_MAX);
	FUZZ_CHECK(!proto_parse_request(&again, line, ret, &why));
	FUZZ_CHECK(!strcmp(again.cmd, req.cmd) && again.argc == req.argc);
	for (i = 0; i < req.argc; i++)
		FUZZ_CHECK(!strcmp(again.argv[i], req.argv[i]));
}

static void fuzz_proto_reply(const u8 *p, size_t len)
{
	struct proto_reply rep;
	char msg[PROTO_REQUEST_MAX], *line;
	size_t n = MIN(len, sizeof(msg) - 1);

	if (!proto_parse_reply(&rep, (const char *)p, len)) {
		FUZZ_CHECK(rep.obj);
		FUZZ_CHECK(rep.ok || rep.error);
		proto_reply_free(&rep);
	}
	/* Any text (NUL-free) comes back as the error's message. */
	memcpy(msg, p, n);
	msg[n] = '\0';
	line = proto_reply_error("%s", msg);
	FUZZ_CHECK(line && strchr(line, '\n') == line + strlen(line) - 1);
	FUZZ_CHECK(!proto_parse_reply(&rep, line, strlen(line)));
	FUZZ_CHECK(!rep.ok && !strcmp(rep.error, msg));
	proto_reply_free(&rep);
	free(line);
}

/* --- the servers --- */

struct fuzz_srv {
	unsigned setup; /* the input's first byte */
	int acts; /* ops that acted (vessel) */
	int subscribed, unsubscribed;
	/* vessel */
	struct loop loop;
	struct control *c;
	/*
	 * vesseld: [0] no guests; [1] one guest, web1, and a shutdown under
	 * way, so that nothing starts a vessel (which would need the loop
	 * to reap it) while the commands that name a guest run.
	 */
	struct vd vd[2];
	char dir[64];
};

static struct fuzz_srv srv;

static void fake_act(void *ctx, const char *by)
{
	(void)ctx;
	FUZZ_CHECK(!strcmp(by, CONTROL_BY));
	srv.acts++;
}

static int fake_pause(void *ctx, const char *by)
{
	static const int answers[] = { 0, -EALREADY, -ESRCH, 0 };

	fake_act(ctx, by);
	return answers[(srv.setup >> 1) & 3];
}

static int fake_request(void *ctx, const char *what, const char *arg)
{
	static const int answers[] = { 0, -ENODEV, -EINVAL, -EIO };

	(void)ctx;
	FUZZ_CHECK(!strcmp(what, "poweroff") || !strcmp(what, "reboot") ||
		   (!strcmp(what, "peer-shutting-down") && arg && *arg));
	srv.acts++;
	return answers[(srv.setup >> 1) & 3];
}

static struct json_object *fake_status(void *ctx)
{
	(void)ctx;
	srv.acts++;
	return srv.setup & 8 ? NULL : json_object_new_object();
}

static int fake_subscribe(void *ctx, int fd)
{
	(void)ctx;
	FUZZ_CHECK(fd >= 0);
	srv.acts++;
	if (srv.setup & 8)
		return -ENOMEM;
	srv.subscribed++;
	return 0;
}

static void fake_unsubscribe(void *ctx, int fd)
{
	(void)ctx;
	(void)fd;
	srv.unsubscribed++;
}

static const struct control_ops fake_ops = {
	.power_button = fake_act,
	.terminate = fake_act,
	.power_cut = fake_act,
	.pause = fake_pause,
	.resume = fake_pause,
	.request = fake_request,
	.status = fake_status,
	.subscribe = fake_subscribe,
	.unsubscribe = fake_unsubscribe,
};

/* Close the sockets (which removes their files) and the directory. */
static void fuzz_srv_fini(void)
{
	char path[128];
	int i;

	control_close(srv.c);
	loop_free(&srv.loop);
	for (i = 0; i < 2; i++) {
		ctlsock_close(srv.vd[i].sock);
		vd_free_guests(&srv.vd[i]);
		dloop_free(&srv.vd[i].loop);
		config_free(&srv.vd[i].cfg);
		free((char *)srv.vd[i].run_dir);
		snprintf(path, sizeof(path), "%s/%d/vesseld.events", srv.dir,
			 i);
		unlink(path);
	}
	snprintf(path, sizeof(path), "%s/1/web1.conf", srv.dir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/1/web1", srv.dir); /* its run dir */
	rmdir(path);
	for (i = 0; i < 2; i++) {
		snprintf(path, sizeof(path), "%s/%d", srv.dir, i);
		rmdir(path);
	}
	rmdir(srv.dir);
}

/* vesseld @i: its guest files, run directory and socket in DIR/@i. */
static void fuzz_vd_init(int i)
{
	struct vd *vd = &srv.vd[i];
	char dir[96], path[128], err[256];
	FILE *f;

	snprintf(dir, sizeof(dir), "%s/%d", srv.dir, i);
	FUZZ_CHECK(!mkdir(dir, 0700));
	if (i) {
		snprintf(path, sizeof(path), "%s/web1.conf", dir);
		f = fopen(path, "w");
		FUZZ_CHECK(f &&
			   fputs("kernel /nonexistent/vmlinuz\nautostart no\n",
				 f) >= 0 &&
			   !fclose(f));
	}
	vd->ev.fd = -1; /* no event file, no systemd */
	vd->notify.fd = -1;
	vd->sig_fd = -1;
	vd->start_level = -1;
	vd->run_dir = strdup(dir);
	vd->vessel = "/nonexistent/vessel";
	FUZZ_CHECK(vd->run_dir);
	FUZZ_CHECK(!config_load(&vd->cfg, dir, err, sizeof(err)));
	FUZZ_CHECK(vd->cfg.nr == i);
	vd->config_dir = vd->cfg.dir;
	FUZZ_CHECK(!dloop_init(&vd->loop));
	FUZZ_CHECK(!vd_init_guests(vd));
	snprintf(path, sizeof(path), "%s/vesseld.sock", dir);
	FUZZ_CHECK(!ctlsock_open(&vd->sock, vd, path, CTLSOCK_NO_GROUP));
}

/* The servers listen once, in a private directory, for the process. */
static void fuzz_srv_init(void)
{
	char path[128];

	log_set_level(LOG_ERR);
	snprintf(srv.dir, sizeof(srv.dir), "/tmp/fuzz-control-XXXXXX");
	FUZZ_CHECK(mkdtemp(srv.dir));
	FUZZ_CHECK(!loop_init(&srv.loop));
	snprintf(path, sizeof(path), "%s/vessel.sock", srv.dir);
	FUZZ_CHECK(!control_open(&srv.c, path, &srv.loop, &fake_ops, NULL));
	fuzz_vd_init(0);
	fuzz_vd_init(1);
	atexit(fuzz_srv_fini);
}

/* A connection: the server's slot and the client's end. */
struct fuzz_conn {
	int fd; /* the client's end; -1: none */
	int server_fd;
	struct control_client *cl;
	struct ctlsock_client *dcl;
	int replies;
	bool half_closed; /* the client's shutdown(SHUT_WR) */
	bool gone; /* the server closed its end */
};

static bool fuzz_vesseld(void)
{
	return srv.setup & 1;
}

/* Setup bit 4: the vesseld with a guest. */
static struct vd *fuzz_vd(void)
{
	return &srv.vd[(srv.setup >> 4) & 1];
}

static void fuzz_connect(struct fuzz_conn *k)
{
	int sv[2];

	FUZZ_CHECK(!socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv));
	*k = (struct fuzz_conn){ .fd = sv[1], .server_fd = sv[0] };
	if (fuzz_vesseld()) {
		int i;

		for (i = 0; i < CTLSOCK_MAX_CLIENTS && !k->dcl; i++)
			if (fuzz_vd()->sock->client[i].w.fd < 0)
				k->dcl = &fuzz_vd()->sock->client[i];
		FUZZ_CHECK(k->dcl);
		k->dcl->w.fd = sv[0];
		FUZZ_CHECK(!dloop_watch(&fuzz_vd()->loop, &k->dcl->w, EPOLLIN));
		k->dcl->line.len = 0;
		k->dcl->wait = WAIT_NONE;
		k->dcl->g = NULL;
	} else {
		k->cl = control_slot(srv.c);
		FUZZ_CHECK(k->cl);
		FUZZ_CHECK(!loop_watch_fd(&srv.loop, sv[0], control_on_client,
					  k->cl));
		k->cl->fd = sv[0];
		k->cl->line.len = 0;
	}
}

/* Whether the server still holds the connection. */
static bool fuzz_held(const struct fuzz_conn *k)
{
	if (fuzz_vesseld())
		return k->dcl->w.fd == k->server_fd;
	return k->cl->fd == k->server_fd;
}

/* The console of vesseld's guest web1, when it holds @k's connection. */
static struct console *fuzz_console(const struct fuzz_conn *k)
{
	struct guest *g = fuzz_vesseld() ? vd_guest(fuzz_vd(), "web1") : NULL;

	return g && g->con.cw.fd == k->server_fd ? &g->con : NULL;
}

static bool fuzz_readable(int fd)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };

	return poll(&p, 1, 0) == 1;
}

/* Every reply line that came back is one reply. */
static void fuzz_read_replies(struct fuzz_conn *k)
{
	char buf[65536], *p, *nl;
	struct proto_reply rep;
	ssize_t n;

	while ((n = recv(k->fd, buf, sizeof(buf) - 1, MSG_DONTWAIT)) > 0) {
		buf[n] = '\0';
		FUZZ_CHECK(buf[n - 1] == '\n'); /* replies go out whole */
		for (p = buf; (nl = strchr(p, '\n')); p = nl + 1) {
			FUZZ_CHECK(!proto_parse_reply(&rep, p, nl + 1 - p));
			proto_reply_free(&rep);
			k->replies++;
		}
	}
	/* A close with our bytes unread reaches us as a reset (unix(7)). */
	if (n == 0 || (n < 0 && errno == ECONNRESET))
		k->gone = true;
}

/* The loop's wake-ups while the server's end is readable. */
static void fuzz_wake(struct fuzz_conn *k)
{
	int i;

	for (i = 0; i < MAX_WAKEUPS && fuzz_held(k); i++) {
		if (fuzz_vesseld())
			ctlsock_on_client(&k->dcl->w, EPOLLIN);
		else
			control_on_client(k->cl, k->server_fd);
		if (!fuzz_readable(k->server_fd))
			break;
	}
	fuzz_read_replies(k);
	/*
	 * Let go only after an answer, a too-long line or a silent close;
	 * or, answered, handed on to the guest's console.
	 */
	if (!fuzz_held(k))
		FUZZ_CHECK(k->gone || (fuzz_console(k) && k->replies == 1));
}

static void fuzz_hang_up(struct fuzz_conn *k)
{
	struct console *con;
	int i;

	if (k->fd < 0)
		return;
	con = fuzz_console(k);
	if (con) {
		/* The loop tells the console its client hung up. */
		close(k->fd);
		k->fd = -1;
		for (i = 0; i < MAX_WAKEUPS && con->cw.fd >= 0; i++)
			con->cw.ready(&con->cw, EPOLLIN | EPOLLHUP);
		FUZZ_CHECK(con->cw.fd < 0);
		return;
	}
	if (fuzz_held(k)) {
		if (fuzz_vesseld())
			ctlsock_drop(k->dcl);
		else
			control_drop(k->cl);
	}
	close(k->fd);
	k->fd = -1;
}

static void fuzz_reset_servers(void)
{
	int i;

	srv.acts = srv.subscribed = srv.unsubscribed = 0;
	for (i = 0; i < 2; i++) {
		srv.vd[i].shut = (struct vd_shutdown){ .active = i == 1 };
		srv.vd[i].exit_code = 0;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_in in = { data, size };
	struct fuzz_conn k = { .fd = -1 };
	int conns = 0;

	if (!srv.c)
		fuzz_srv_init();
	fuzz_proto_request(data, size);
	fuzz_proto_reply(data, size);
	fuzz_reset_servers();
	srv.setup = fuzz_take(&in, 1);
	while (in.left) {
		unsigned flags = fuzz_take(&in, 1);
		size_t len = fuzz_take(&in, 1);

		len = MIN(len, in.left);
		if (k.fd < 0 || (flags & REC_NEW_CONN)) {
			fuzz_hang_up(&k);
			fuzz_connect(&k);
			conns++;
		}
		if (len && !k.gone && !k.half_closed)
			FUZZ_CHECK(send(k.fd, in.p, len, MSG_NOSIGNAL) ==
					   (ssize_t)len ||
				   !fuzz_held(&k));
		in.p += len;
		in.left -= len;
		if (flags & REC_HALF_CLOSE) {
			shutdown(k.fd, SHUT_WR);
			k.half_closed = true;
		}
		fuzz_wake(&k);
	}
	fuzz_hang_up(&k);
	/* One request per connection; a subscription ends with its client. */
	if (!fuzz_vesseld()) {
		FUZZ_CHECK(srv.acts <= conns);
		FUZZ_CHECK(srv.unsubscribed == srv.subscribed);
	}
	return 0;
}
