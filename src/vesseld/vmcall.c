// SPDX-License-Identifier: Apache-2.0
/*
 * Requests to a vessel's control socket from inside vesseld's loop
 * (vmcall.h). vessel's loop answers a request at once, so a reply that
 * takes seconds means a vessel in trouble: the caller is told so rather
 * than kept waiting.
 */
#include "vmcall.h"

#include <errno.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "../common/proto.h"

int vmcall_addr(struct sockaddr_un *a, const char *path)
{
	size_t n = strlen(path);

	memset(a, 0, sizeof(*a));
	a->sun_family = AF_UNIX;
	if (!n || n >= sizeof(a->sun_path))
		return -ENAMETOOLONG;
	memcpy(a->sun_path, path, n);
	return 0;
}

/* A connected non-blocking socket, or -errno. */
static int vmcall_connect(const char *path)
{
	struct sockaddr_un a;
	int fd, ret = vmcall_addr(&a, path);

	if (ret)
		return ret;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&a, sizeof(a))) {
		ret = -errno;
		close(fd);
		return ret;
	}
	return fd;
}

bool vmcall_answers(const char *path)
{
	int fd = vmcall_connect(path);

	if (fd < 0)
		return false;
	close(fd);
	return true;
}

static void vmcall_end(struct vmcall *c)
{
	dloop_timer_cancel(c->loop, &c->t);
	if (c->w.fd >= 0) {
		dloop_unwatch(c->loop, &c->w);
		close(c->w.fd);
	}
	c->w.fd = -1;
	c->len = 0;
}

void vmcall_cancel(struct vmcall *c)
{
	vmcall_end(c);
}

/* End the call, then tell its owner (who may start another). */
static void vmcall_finish(struct vmcall *c, struct proto_reply *rep,
			  const char *err)
{
	vmcall_done_fn *done = c->done;

	vmcall_end(c);
	done(c, rep, err);
}

static void vmcall_on_timeout(struct dloop_timer *t)
{
	struct vmcall *c = container_of(t, struct vmcall, t);

	vmcall_finish(c, NULL, "vessel did not answer");
}

static void vmcall_on_reply(struct dloop_watch *w, u32 events)
{
	struct vmcall *c = container_of(w, struct vmcall, w);
	struct proto_reply rep;
	char *nl;
	ssize_t n;

	(void)events;
	n = recv(w->fd, c->buf + c->len, sizeof(c->buf) - 1 - c->len,
		 MSG_DONTWAIT);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		vmcall_finish(c, NULL, "vessel closed the connection");
		return;
	}
	c->len += n;
	nl = memchr(c->buf, '\n', c->len);
	if (!nl) {
		if (c->len == sizeof(c->buf) - 1)
			vmcall_finish(c, NULL, "reply too long");
		return;
	}
	if (proto_parse_reply(&rep, c->buf, nl - c->buf)) {
		vmcall_finish(c, NULL, "malformed reply");
		return;
	}
	vmcall_finish(c, &rep, NULL);
	proto_reply_free(&rep);
}

void vmcall_init(struct vmcall *c, struct dloop *l)
{
	memset(c, 0, sizeof(*c));
	c->loop = l;
	c->w.fd = -1;
	c->w.ready = vmcall_on_reply;
	c->t.fire = vmcall_on_timeout;
}

int vmcall_start(struct vmcall *c, const char *path, const char *cmd,
		 vmcall_done_fn *done)
{
	return vmcall_start_args(c, path, cmd, NULL, done);
}

int vmcall_start_args(struct vmcall *c, const char *path, const char *cmd,
		      const char *const argv[], vmcall_done_fn *done)
{
	char req[PROTO_REQUEST_MAX + 1];
	int fd, len, ret;

	vmcall_end(c);
	len = proto_format_request(req, sizeof(req), cmd, argv);
	if (len < 0)
		return len;
	fd = vmcall_connect(path);
	if (fd < 0)
		return fd;
	if (send(fd, req, len, MSG_DONTWAIT | MSG_NOSIGNAL) != len) {
		ret = errno ? -errno : -EIO;
		close(fd);
		return ret;
	}
	c->w.fd = fd;
	ret = dloop_watch(c->loop, &c->w, EPOLLIN);
	if (ret) {
		close(fd);
		c->w.fd = -1;
		return ret;
	}
	c->done = done;
	dloop_timer_arm(c->loop, &c->t, VMCALL_TIMEOUT_MS);
	return 0;
}
