// SPDX-License-Identifier: Apache-2.0
/*
 * `vesselctl console NAME`: after vesseld's "ok" the connection is the
 * guest's serial console, bytes both ways. A terminal is put in raw mode
 * (^C and ^Z go to the guest too) and restored on every way out; Ctrl-]
 * detaches, as does the end of a stdin that is not a terminal. The guest
 * runs on either way: only vesselctl leaves.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "../common/proto.h"
#include "ctl.h"

#define CONSOLE_ESCAPE 0x1d /* Ctrl-] */
#define CONSOLE_CHUNK 4096

static volatile sig_atomic_t console_signalled;

static void console_on_signal(int sig)
{
	console_signalled = sig;
}

/* SIGTERM, SIGHUP and (with a stdin that is no terminal) SIGINT end the session. */
static void console_signals(void)
{
	struct sigaction sa = { .sa_handler = console_on_signal };

	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
}

/* Raw input, as the guest's own terminal; output keeps its \n -> \r\n. */
static bool console_tty_raw(struct termios *saved)
{
	struct termios t;

	if (!isatty(STDIN_FILENO) || tcgetattr(STDIN_FILENO, saved))
		return false;
	t = *saved;
	cfmakeraw(&t);
	t.c_oflag |= OPOST;
	return !tcsetattr(STDIN_FILENO, TCSAFLUSH, &t);
}

static bool console_write_all(int fd, const char *b, size_t n)
{
	ssize_t w;

	while (n) {
		w = write(fd, b, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return false;
		b += w;
		n -= w;
	}
	return true;
}

enum console_end {
	CONSOLE_GOING_ON,
	CONSOLE_DETACHED, /* Ctrl-], or stdin ended */
	CONSOLE_CLOSED, /* vesseld hung up */
	CONSOLE_FAILED, /* stdout or the socket failed */
};

/* The user's bytes to the guest, up to a Ctrl-]. */
static enum console_end console_from_user(int sock)
{
	char buf[CONSOLE_CHUNK], *esc;
	ssize_t n = read(STDIN_FILENO, buf, sizeof(buf));

	if (n < 0)
		return errno == EINTR || errno == EAGAIN ? CONSOLE_GOING_ON :
							   CONSOLE_FAILED;
	if (n == 0)
		return CONSOLE_DETACHED;
	esc = memchr(buf, CONSOLE_ESCAPE, n);
	if (!console_write_all(sock, buf, esc ? esc - buf : n))
		return CONSOLE_FAILED;
	return esc ? CONSOLE_DETACHED : CONSOLE_GOING_ON;
}

static enum console_end console_to_user(int sock)
{
	char buf[CONSOLE_CHUNK];
	ssize_t n = read(sock, buf, sizeof(buf));

	if (n < 0)
		return errno == EINTR || errno == EAGAIN ? CONSOLE_GOING_ON :
							   CONSOLE_FAILED;
	if (n == 0)
		return CONSOLE_CLOSED;
	return console_write_all(STDOUT_FILENO, buf, n) ? CONSOLE_GOING_ON :
							  CONSOLE_FAILED;
}

static enum console_end console_session(struct ctl_conn *conn)
{
	struct pollfd p[2] = {
		{ .fd = conn->fd, .events = POLLIN },
		{ .fd = STDIN_FILENO, .events = POLLIN },
	};
	enum console_end end = CONSOLE_GOING_ON;

	/* What came behind the reply line is the guest's first output. */
	if (conn->len > conn->used &&
	    !console_write_all(STDOUT_FILENO, conn->buf + conn->used,
			       conn->len - conn->used))
		return CONSOLE_FAILED;
	while (end == CONSOLE_GOING_ON && !console_signalled) {
		if (poll(p, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			return CONSOLE_FAILED;
		}
		if (p[0].revents)
			end = console_to_user(conn->fd);
		if (end == CONSOLE_GOING_ON && p[1].revents)
			end = console_from_user(conn->fd);
	}
	return end == CONSOLE_GOING_ON ? CONSOLE_DETACHED : end;
}

int cmd_console(const struct ctl *ctl)
{
	const char *argv[] = { ctl->argc ? ctl->argv[0] : NULL, NULL };
	struct proto_reply rep;
	struct ctl_conn conn;
	struct termios saved;
	enum console_end end;
	bool raw;
	int ret, err;

	if (ctl->argc != 1) {
		fprintf(stderr, "vesselctl: console takes a guest's name\n");
		return CTL_EXIT_USAGE;
	}
	ret = ctl_call(ctl, "console", argv, CTL_REPLY_MS, &conn, &rep);
	if (ret)
		return ret;
	proto_reply_free(&rep);
	console_signals();
	raw = console_tty_raw(&saved);
	if (raw)
		fprintf(stderr,
			"Connected to %s's console; Ctrl-] detaches.\r\n",
			argv[0]);
	end = console_session(&conn);
	err = errno;
	ctl_conn_close(&conn);
	if (raw)
		tcsetattr(STDIN_FILENO, TCSAFLUSH, &saved);
	if (end == CONSOLE_CLOSED)
		ctl_err(ctl, "vesseld closed %s's console", argv[0]);
	else if (end == CONSOLE_FAILED)
		ctl_err(ctl, "console %s: %s", argv[0], strerror(err));
	else if (raw)
		fprintf(stderr, "\nDetached from %s's console.\n", argv[0]);
	return end == CONSOLE_DETACHED ? CTL_EXIT_OK : CTL_EXIT_REPLY;
}
