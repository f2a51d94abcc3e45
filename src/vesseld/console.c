// SPDX-License-Identifier: Apache-2.0
/*
 * A guest's console (console.h): vesseld as the client of vessel's unix
 * console socket, the log with its rotation by size, and the one
 * interactive client. Everything is non-blocking and runs in the loop.
 */
#include "console.h"

#include <errno.h>
#include <fcntl.h>
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
#include "daemon.h"
#include "guest.h"

/* What one wake-up reads from a vessel: guests take turns. */
#define CONSOLE_READ_MAX (64 * 1024)
/* At a vessel's end: how much of what it left is read into the log. */
#define CONSOLE_DRAIN_MAX (4 * 1024 * 1024)

static u64 console_log_max = CONSOLE_LOG_MAX_DEFAULT;
static unsigned int console_log_keep = CONSOLE_LOG_KEEP_DEFAULT;

void console_set_log_limits(u64 max_bytes, unsigned int keep)
{
	console_log_max = max_bytes ? max_bytes : 1;
	console_log_keep = MIN(keep, CONSOLE_LOG_KEEP_MAX);
}

static const char *console_name(const struct console *c)
{
	return c->g->cfg->name;
}

static struct dloop *console_loop(const struct console *c)
{
	return &c->g->vd->loop;
}

static void console_on_vessel(struct dloop_watch *w, u32 events);
static void console_on_client(struct dloop_watch *w, u32 events);
static void console_on_retry(struct dloop_timer *t);

int console_init(struct console *c, struct guest *g, const char *dir)
{
	struct sockaddr_un a;
	int n;

	memset(c, 0, sizeof(*c));
	c->g = g;
	c->log_fd = c->vw.fd = c->cw.fd = -1;
	c->vw.ready = console_on_vessel;
	c->cw.ready = console_on_client;
	c->retry.fire = console_on_retry;
	n = snprintf(c->sock, sizeof(c->sock), "%s/console.sock", dir);
	if (n < 0 || (size_t)n >= sizeof(a.sun_path))
		return -ENAMETOOLONG;
	n = snprintf(c->log, sizeof(c->log), "%s/console.log", dir);
	/* Room for the rotated names' ".99". */
	if (n < 0 || (size_t)n + 4 >= sizeof(c->log))
		return -ENAMETOOLONG;
	return 0;
}

const char *console_serial_opt(const struct console *c, char *buf, size_t len)
{
	snprintf(buf, len, "unix:%s", c->sock);
	return buf;
}

/* --- the log --- */

static void console_log_failed(struct console *c, const char *what, int err)
{
	if (!c->log_failed)
		log_warn("%s: console log %s: %s: %s (output is lost until it "
			 "works again)",
			 console_name(c), c->log, what, strerror(err));
	c->log_failed = true;
}

static int console_log_open(struct console *c)
{
	struct stat st;

	c->log_fd = open(c->log,
			 O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW,
			 0600);
	if (c->log_fd < 0 || fstat(c->log_fd, &st)) {
		console_log_failed(c, "open", errno);
		if (c->log_fd >= 0)
			close(c->log_fd);
		c->log_fd = -1;
		return -1;
	}
	c->log_size = st.st_size;
	return 0;
}

static void console_log_close(struct console *c)
{
	if (c->log_fd >= 0)
		close(c->log_fd);
	c->log_fd = -1;
}

/* console.log.N for N = keep-1 .. 1 moves to N+1, console.log to .1. */
static void console_log_rotate(struct console *c)
{
	char from[PATH_MAX + 16], to[PATH_MAX + 16];
	unsigned int i;

	console_log_close(c);
	if (!console_log_keep) {
		unlink(c->log);
		return;
	}
	for (i = console_log_keep - 1; i >= 1; i--) {
		snprintf(from, sizeof(from), "%s.%u", c->log, i);
		snprintf(to, sizeof(to), "%s.%u", c->log, i + 1);
		if (rename(from, to) && errno != ENOENT)
			console_log_failed(c, "rename", errno);
	}
	snprintf(to, sizeof(to), "%s.1", c->log);
	if (rename(c->log, to) && errno != ENOENT)
		console_log_failed(c, "rename", errno);
}

/* Append, rotating whenever the file reaches the limit (never above it). */
static void console_log_write(struct console *c, const u8 *b, size_t n)
{
	size_t chunk;
	ssize_t w;

	while (n) {
		if (c->log_fd < 0 && console_log_open(c))
			return;
		if (c->log_size >= console_log_max) {
			console_log_rotate(c);
			continue;
		}
		chunk = MIN(n, console_log_max - c->log_size);
		w = write(c->log_fd, b, chunk);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			console_log_failed(c, "write", w < 0 ? errno : EIO);
			console_log_close(c);
			return;
		}
		c->log_failed = false;
		c->log_size += w;
		b += w;
		n -= w;
	}
}

/* --- watches --- */

/* The client reads while its last input went on; writes while output waits. */
static u32 console_client_events(const struct console *c)
{
	return (c->in_len ? 0 : EPOLLIN) |
	       (c->out_len || c->skipped ? EPOLLOUT : 0);
}

static void console_rewatch(struct console *c)
{
	struct dloop *l = console_loop(c);

	if (c->vw.fd >= 0)
		dloop_rewatch(l, &c->vw, EPOLLIN | (c->in_len ? EPOLLOUT : 0));
	if (c->cw.fd >= 0)
		dloop_rewatch(l, &c->cw, console_client_events(c));
}

/* --- the interactive client --- */

static void console_emit(struct console *c, const char *type, pid_t pid)
{
	struct json_object *f = json_object_new_object();

	json_object_object_add(f, "pid", json_object_new_int(pid));
	evfile_emit(&c->g->vd->ev, type, console_name(c), f);
}

static void console_detach(struct console *c, const char *why)
{
	if (c->cw.fd < 0)
		return;
	dloop_unwatch(console_loop(c), &c->cw);
	close(c->cw.fd);
	c->cw.fd = -1;
	free(c->out);
	c->out = NULL;
	c->out_len = c->skipped = 0;
	log_info("%s: console detached (pid %d, %s)", console_name(c),
		 (int)c->client_pid, why);
	console_emit(c, "console-detached", c->client_pid);
	c->client_pid = 0;
}

/* Send what waits for the client; false if it went away. */
static bool console_client_flush(struct console *c)
{
	char note[160];
	ssize_t n;
	int len;

	while (c->out_len) {
		n = send(c->cw.fd, c->out, c->out_len,
			 MSG_DONTWAIT | MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			return true;
		if (n <= 0)
			return false;
		memmove(c->out, c->out + n, c->out_len - n);
		c->out_len -= n;
	}
	if (c->skipped) {
		len = snprintf(note, sizeof(note),
			       "\r\n[vesseld: %llu bytes of console output "
			       "skipped (read too slowly); console.log has "
			       "them]\r\n",
			       (unsigned long long)c->skipped);
		c->skipped = 0;
		memcpy(c->out, note, len);
		c->out_len = len;
		return console_client_flush(c);
	}
	return true;
}

/* Guest output to the client: now, queued, or skipped when it lags. */
static void console_client_put(struct console *c, const u8 *b, size_t n)
{
	if (c->cw.fd < 0)
		return;
	if (c->skipped || c->out_len + n > CONSOLE_CLIENT_BUF) {
		c->skipped += n;
	} else {
		memcpy(c->out + c->out_len, b, n);
		c->out_len += n;
	}
	if (!console_client_flush(c))
		console_detach(c, "it hung up");
	else
		console_rewatch(c);
}

/* The client's input to the guest's console, as far as vessel takes it. */
static void console_input_flush(struct console *c)
{
	ssize_t n;

	while (c->in_len && c->vw.fd >= 0) {
		n = send(c->vw.fd, c->in, c->in_len,
			 MSG_DONTWAIT | MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			break;
		if (n <= 0) {
			c->in_len = 0; /* vessel hung up: its watch sees it */
			break;
		}
		memmove(c->in, c->in + n, c->in_len - n);
		c->in_len -= n;
	}
	if (c->vw.fd < 0)
		c->in_len = 0; /* no vessel to type into: dropped */
	console_rewatch(c);
}

static void console_on_client(struct dloop_watch *w, u32 events)
{
	struct console *c = container_of(w, struct console, cw);
	ssize_t n;

	if ((events & EPOLLOUT) && !console_client_flush(c)) {
		console_detach(c, "it hung up");
		return;
	}
	/* Gone while its last input waits (that still goes to the guest). */
	if (c->in_len && (events & (EPOLLHUP | EPOLLERR))) {
		console_detach(c, "it left");
		return;
	}
	if ((events & (EPOLLIN | EPOLLHUP | EPOLLERR)) && !c->in_len) {
		n = recv(w->fd, c->in, sizeof(c->in), MSG_DONTWAIT);
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			return;
		if (n <= 0) {
			console_detach(c, "it left");
			return;
		}
		c->in_len = n;
		console_input_flush(c);
		return;
	}
	console_rewatch(c);
}

bool console_can_attach(const struct console *c, char *err, size_t len)
{
	if (c->cw.fd < 0)
		return true;
	snprintf(err, len,
		 "%s's console is attached by another client (pid %d)",
		 console_name(c), (int)c->client_pid);
	return false;
}

void console_attach(struct console *c, int fd)
{
	struct ucred cred = { 0 };
	socklen_t len = sizeof(cred);

	getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len);
	c->out = malloc(CONSOLE_CLIENT_BUF);
	c->cw.fd = fd;
	if (!c->out ||
	    dloop_watch(console_loop(c), &c->cw, console_client_events(c))) {
		log_warn("%s: cannot attach a console client", console_name(c));
		free(c->out);
		c->out = NULL;
		c->cw.fd = -1;
		close(fd);
		return;
	}
	c->client_pid = cred.pid;
	c->out_len = c->skipped = 0;
	log_info("%s: console attached (pid %d)", console_name(c),
		 (int)cred.pid);
	console_emit(c, "console-attached", cred.pid);
}

/* --- the vessel's console socket --- */

static void console_output(struct console *c, const u8 *b, size_t n)
{
	console_log_write(c, b, n);
	console_client_put(c, b, n);
}

static void console_hangup(struct console *c)
{
	if (c->vw.fd < 0)
		return;
	dloop_unwatch(console_loop(c), &c->vw);
	close(c->vw.fd);
	c->vw.fd = -1;
	c->in_len = 0;
	console_rewatch(c);
}

/* Read once; false at the end of the stream (or an error). */
static bool console_read(struct console *c, size_t *got)
{
	u8 buf[CONSOLE_READ_MAX];
	ssize_t n;

	*got = 0;
	n = recv(c->vw.fd, buf, sizeof(buf), MSG_DONTWAIT);
	if (n < 0)
		return errno == EAGAIN || errno == EINTR;
	if (n == 0)
		return false;
	console_output(c, buf, n);
	*got = n;
	return true;
}

static void console_on_vessel(struct dloop_watch *w, u32 events)
{
	struct console *c = container_of(w, struct console, vw);
	size_t got;

	if (events & EPOLLOUT)
		console_input_flush(c);
	if (!(events & (EPOLLIN | EPOLLHUP | EPOLLERR)))
		return;
	if (console_read(c, &got))
		return;
	console_hangup(c);
	/* vessel runs on without us (it should not): be its client again. */
	if (guest_alive(c->g)) {
		c->connect_until_ms =
			dloop_now_ms() + CONSOLE_CONNECT_TIMEOUT_MS;
		dloop_timer_arm(console_loop(c), &c->retry,
				CONSOLE_CONNECT_POLL_MS);
	}
}

void console_vessel_gone(struct console *c)
{
	size_t got, total = 0;

	dloop_timer_cancel(console_loop(c), &c->retry);
	/* The vessel has exited: its end of the socket is closed. */
	while (c->vw.fd >= 0 && total < CONSOLE_DRAIN_MAX &&
	       console_read(c, &got) && got)
		total += got;
	console_hangup(c);
}

static bool console_connect_once(struct console *c)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	int fd;

	memcpy(a.sun_path, c->sock, strlen(c->sock) + 1);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return false;
	if (connect(fd, (struct sockaddr *)&a, sizeof(a))) {
		close(fd);
		return false;
	}
	c->vw.fd = fd;
	if (dloop_watch(console_loop(c), &c->vw, EPOLLIN)) {
		close(fd);
		c->vw.fd = -1;
		return false;
	}
	log_dbg("%s: console connected", console_name(c));
	return true;
}

/*
 * vessel drops console output while it has no client: the socket is
 * tried every millisecond from the spawn, well inside the time a guest
 * needs from vessel's listen to its first byte.
 */
static void console_try_connect(struct console *c)
{
	if (c->vw.fd >= 0 || !guest_alive(c->g))
		return;
	if (console_connect_once(c)) {
		console_input_flush(c);
		return;
	}
	if (dloop_now_ms() < c->connect_until_ms) {
		dloop_timer_arm(console_loop(c), &c->retry,
				CONSOLE_CONNECT_POLL_MS);
		return;
	}
	log_warn("%s: no console on %s after %d s; its output is not logged",
		 console_name(c), c->sock, CONSOLE_CONNECT_TIMEOUT_MS / 1000);
}

static void console_on_retry(struct dloop_timer *t)
{
	console_try_connect(container_of(t, struct console, retry));
}

void console_connect(struct console *c)
{
	/* An earlier vessel's connection: what it left goes to the log first. */
	if (c->vw.fd >= 0)
		console_vessel_gone(c);
	c->connect_until_ms = dloop_now_ms() + CONSOLE_CONNECT_TIMEOUT_MS;
	console_try_connect(c);
}

void console_release(struct console *c)
{
	if (!c->g)
		return; /* guest_init failed before the console's turn */
	dloop_timer_cancel(console_loop(c), &c->retry);
	console_hangup(c);
	console_detach(c, "vesseld exits");
	console_log_close(c);
}
