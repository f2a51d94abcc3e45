// SPDX-License-Identifier: Apache-2.0
/*
 * Talking to one vessel's control socket: connect, send one request line,
 * read reply and event lines. Lines are bounded (CTL_LINE_MAX) and every
 * wait for a reply has a deadline, so a stuck vessel cannot hang a script.
 */
#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "../common/proto.h"
#include "ctl.h"

void ctl_err(const struct ctl *ctl, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (ctl->vm)
		fprintf(stderr, "vesselctl: vm %s: %s\n", ctl->vm, msg);
	else
		fprintf(stderr, "vesselctl: daemon %s: %s\n", ctl->daemon, msg);
}

bool ctl_print_line(const char *line)
{
	return printf("%s\n", line) >= 0 && fflush(stdout) == 0;
}

static int ctl_connect(struct ctl_conn *c, const char *path)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	int ret;

	memset(c, 0, sizeof(*c));
	c->path = path;
	c->fd = -1;
	if (strlen(path) >= sizeof(a.sun_path))
		return -ENAMETOOLONG;
	memcpy(a.sun_path, path, strlen(path));
	c->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (c->fd < 0)
		return -errno;
	if (connect(c->fd, (struct sockaddr *)&a, sizeof(a))) {
		ret = -errno;
		ctl_conn_close(c);
		return ret;
	}
	return 0;
}

void ctl_conn_close(struct ctl_conn *c)
{
	if (c->fd >= 0)
		close(c->fd);
	free(c->buf);
	memset(c, 0, sizeof(*c));
	c->fd = -1;
}

static int ctl_send(struct ctl_conn *c, const char *line, size_t len)
{
	ssize_t n;

	while (len) {
		n = send(c->fd, line, len, MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		line += n;
		len -= n;
	}
	return 0;
}

/* Room for at least one more byte in c->buf; 0 or -errno. */
static int ctl_grow(struct ctl_conn *c)
{
	size_t cap = c->cap ? c->cap * 2 : 4096;
	char *buf;

	if (c->len < c->cap)
		return 0;
	if (c->cap >= CTL_LINE_MAX)
		return -EMSGSIZE;
	buf = realloc(c->buf, cap);
	if (!buf)
		return -ENOMEM;
	c->buf = buf;
	c->cap = cap;
	return 0;
}

/* Read what is there into c->buf; > 0 bytes, 0 at the end, or -errno. */
static int ctl_fill(struct ctl_conn *c, int timeout_ms)
{
	struct pollfd p = { .fd = c->fd, .events = POLLIN };
	ssize_t n;
	int ret;

	ret = ctl_grow(c);
	if (ret)
		return ret;
	ret = poll(&p, 1, timeout_ms);
	if (ret < 0)
		return errno == EINTR ? -EAGAIN : -errno;
	if (ret == 0)
		return -ETIMEDOUT;
	n = read(c->fd, c->buf + c->len, c->cap - c->len);
	if (n < 0)
		return errno == EINTR ? -EAGAIN : -errno;
	c->len += n;
	return n;
}

int ctl_read_line(struct ctl_conn *c, char **line, int timeout_ms)
{
	char *nl;
	int ret;

	/* Forget the line returned last time (none yet: no buffer either). */
	if (c->used) {
		memmove(c->buf, c->buf + c->used, c->len - c->used);
		c->len -= c->used;
		c->used = 0;
	}
	while (!(nl = c->len ? memchr(c->buf, '\n', c->len) : NULL)) {
		ret = ctl_fill(c, timeout_ms);
		if (ret == -EAGAIN)
			continue;
		if (ret <= 0)
			return ret; /* an unterminated last line is dropped */
	}
	*nl = '\0';
	c->used = nl - c->buf + 1;
	*line = c->buf;
	return 1;
}

static const char *ctl_read_error(int ret)
{
	if (ret == 0)
		return "connection closed without a reply";
	if (ret == -ETIMEDOUT)
		return "no reply";
	if (ret == -EMSGSIZE)
		return "reply too long";
	return strerror(-ret);
}

/* Read and parse the reply line; an exit code. */
static int ctl_reply(const struct ctl *ctl, struct ctl_conn *c,
		     struct proto_reply *rep, int timeout_ms)
{
	char *line;
	int ret = ctl_read_line(c, &line, timeout_ms);

	if (ret <= 0) {
		ctl_err(ctl, "%s", ctl_read_error(ret));
		return CTL_EXIT_REPLY;
	}
	if (proto_parse_reply(rep, line, strlen(line))) {
		ctl_err(ctl, "malformed reply");
		return CTL_EXIT_REPLY;
	}
	if (rep->ok)
		return CTL_EXIT_OK;
	if (ctl->json)
		ctl_print_line(line);
	ctl_err(ctl, "%s", rep->error);
	proto_reply_free(rep);
	return CTL_EXIT_REPLY;
}

int ctl_call(const struct ctl *ctl, const char *cmd, const char *const argv[],
	     int timeout_ms, struct ctl_conn *conn, struct proto_reply *rep)
{
	const char *path = ctl->vm ? ctl->vm : ctl->daemon;
	char req[PROTO_REQUEST_MAX + 1];
	int ret, len;

	len = proto_format_request(req, sizeof(req), cmd, argv);
	if (len == -E2BIG) {
		ctl_err(ctl,
			"cannot send '%s': an argument is too long (a request is at most %d bytes)",
			cmd, PROTO_REQUEST_MAX);
		return CTL_EXIT_USAGE;
	}
	if (len < 0) {
		ctl_err(ctl,
			"cannot send '%s': an argument is empty or holds a blank or control character",
			cmd);
		return CTL_EXIT_USAGE;
	}
	ret = ctl_connect(conn, path);
	if (ret) {
		ctl_err(ctl, "cannot connect: %s", strerror(-ret));
		return CTL_EXIT_CONNECT;
	}
	/*
	 * A refusal (too many clients, permission) may come and the socket
	 * close before the request is written: its reply is what counts.
	 */
	ctl_send(conn, req, len);
	ret = ctl_reply(ctl, conn, rep, timeout_ms);
	if (ret)
		ctl_conn_close(conn);
	return ret;
}

int ctl_vm_call(const struct ctl *ctl, const char *cmd, struct ctl_conn *conn,
		struct proto_reply *rep)
{
	return ctl_call(ctl, cmd, NULL, CTL_REPLY_MS, conn, rep);
}
