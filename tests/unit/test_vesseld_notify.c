// SPDX-License-Identifier: Apache-2.0
/*
 * vesseld's sd_notify(3) sender against a fake systemd: a datagram socket
 * at a path and in the abstract namespace, with SO_PASSCRED as systemd
 * sets it, so each message is checked with the pid the kernel vouches
 * for. Also: NOTIFY_SOCKET leaves the environment, STATUS stays one line,
 * unusable addresses and a missing listener are errors, not silence.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>
#include <cmocka.h>

#include "../../src/vesseld/notify.h"

#define MSG_MAX 1024

/* What systemd's end of NOTIFY_SOCKET sees. */
struct fake_systemd {
	int fd;
	char dir[64];
	char env[sizeof(((struct sockaddr_un *)0)->sun_path) + 1];
};

/* Bind a datagram socket at @env's address (path or '@'name). */
static void fake_bind(struct fake_systemd *f, const char *env)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	struct timeval tv = { .tv_sec = 5 };
	socklen_t len = offsetof(struct sockaddr_un, sun_path) + strlen(env);
	int one = 1;

	snprintf(f->env, sizeof(f->env), "%s", env);
	memcpy(a.sun_path, env, strlen(env));
	if (env[0] == '@')
		a.sun_path[0] = '\0';
	f->fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	assert_true(f->fd >= 0);
	assert_int_equal(
		setsockopt(f->fd, SOL_SOCKET, SO_PASSCRED, &one, sizeof(one)),
		0);
	assert_int_equal(
		setsockopt(f->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)), 0);
	assert_int_equal(bind(f->fd, (struct sockaddr *)&a, len), 0);
}

/* The next datagram into @buf; the sender's pid from SCM_CREDENTIALS. */
static pid_t fake_recv(struct fake_systemd *f, char *buf, size_t size)
{
	char cbuf[CMSG_SPACE(sizeof(struct ucred))];
	struct iovec iov = { buf, size - 1 };
	struct msghdr m = { .msg_iov = &iov,
			    .msg_iovlen = 1,
			    .msg_control = cbuf,
			    .msg_controllen = sizeof(cbuf) };
	struct cmsghdr *c;
	struct ucred cred = { .pid = -1 };
	ssize_t n = recvmsg(f->fd, &m, 0);

	assert_true(n >= 0);
	buf[n] = '\0';
	for (c = CMSG_FIRSTHDR(&m); c; c = CMSG_NXTHDR(&m, c))
		if (c->cmsg_level == SOL_SOCKET &&
		    c->cmsg_type == SCM_CREDENTIALS)
			memcpy(&cred, CMSG_DATA(c), sizeof(cred));
	return cred.pid;
}

/* Nothing more waits on the fake socket. */
static void fake_none_left(struct fake_systemd *f)
{
	char buf[16];

	assert_int_equal(recv(f->fd, buf, sizeof(buf), MSG_DONTWAIT), -1);
	assert_int_equal(errno, EAGAIN);
}

static int setup(void **state)
{
	struct fake_systemd *f = calloc(1, sizeof(*f));

	if (!f)
		return -1;
	f->fd = -1;
	snprintf(f->dir, sizeof(f->dir), "/tmp/vessel-notify-XXXXXX");
	if (!mkdtemp(f->dir)) {
		free(f);
		return -1;
	}
	unsetenv("NOTIFY_SOCKET");
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fake_systemd *f = *state;
	char path[128];

	if (f->fd >= 0)
		close(f->fd);
	snprintf(path, sizeof(path), "%s/notify", f->dir);
	unlink(path);
	rmdir(f->dir);
	unsetenv("NOTIFY_SOCKET");
	free(f);
	return 0;
}

/* Open from @f's address; the environment no longer names it. */
static void open_from(struct notify *n, struct fake_systemd *f)
{
	int flags;

	setenv("NOTIFY_SOCKET", f->env, 1);
	assert_int_equal(notify_open(n), 0);
	assert_true(n->fd >= 0);
	assert_null(getenv("NOTIFY_SOCKET"));
	flags = fcntl(n->fd, F_GETFD);
	assert_true(flags >= 0 && (flags & FD_CLOEXEC));
}

static void test_not_under_systemd(void **state)
{
	struct fake_systemd *f = *state;
	struct notify n;

	(void)f;
	assert_int_equal(notify_open(&n), 0);
	assert_int_equal(n.fd, -1);
	assert_int_equal(notify_send(&n, "READY=1"), 0);
	assert_int_equal(notify_status(&n, "%d guests", 2), 0);
	notify_close(&n);
}

static void test_path_socket(void **state)
{
	struct fake_systemd *f = *state;
	char path[128], buf[MSG_MAX];
	struct notify n;

	snprintf(path, sizeof(path), "%s/notify", f->dir);
	fake_bind(f, path);
	open_from(&n, f);
	assert_int_equal(notify_send(&n, "READY=1"), 0);
	assert_int_equal(notify_send(&n, "STOPPING=1"), 0);
	assert_int_equal(fake_recv(f, buf, sizeof(buf)), getpid());
	assert_string_equal(buf, "READY=1");
	assert_int_equal(fake_recv(f, buf, sizeof(buf)), getpid());
	assert_string_equal(buf, "STOPPING=1");
	fake_none_left(f);
	notify_close(&n);
	assert_int_equal(n.fd, -1);
}

static void test_abstract_socket(void **state)
{
	struct fake_systemd *f = *state;
	char name[64], buf[MSG_MAX];
	struct notify n;

	snprintf(name, sizeof(name), "@vessel-notify-test/%d", getpid());
	fake_bind(f, name);
	open_from(&n, f);
	assert_int_equal(notify_send(&n, "READY=1\nSTATUS=2 guests up"), 0);
	assert_int_equal(fake_recv(f, buf, sizeof(buf)), getpid());
	assert_string_equal(buf, "READY=1\nSTATUS=2 guests up");
	notify_close(&n);
}

static void test_status_is_one_line(void **state)
{
	struct fake_systemd *f = *state;
	char path[128], buf[MSG_MAX], longer[400];
	struct notify n;

	snprintf(path, sizeof(path), "%s/notify", f->dir);
	fake_bind(f, path);
	open_from(&n, f);
	/* A newline would make the rest a key of its own: READY=1 here. */
	assert_int_equal(notify_status(&n, "%d of %d up\nREADY=1", 3, 5), 0);
	fake_recv(f, buf, sizeof(buf));
	assert_string_equal(buf, "STATUS=3 of 5 up READY=1");
	memset(longer, 'x', sizeof(longer) - 1);
	longer[sizeof(longer) - 1] = '\0';
	assert_int_equal(notify_status(&n, "%s", longer), 0);
	fake_recv(f, buf, sizeof(buf));
	assert_int_equal(strlen(buf), strlen("STATUS=") + 255);
	assert_int_equal(strncmp(buf, "STATUS=xxx", 10), 0);
	notify_close(&n);
}

/* An unusable NOTIFY_SOCKET: @err, removed anyway, nothing to send to. */
static void expect_refused(const char *value, int err)
{
	struct notify n;

	setenv("NOTIFY_SOCKET", value, 1);
	assert_int_equal(notify_open(&n), err);
	assert_int_equal(n.fd, -1);
	assert_null(getenv("NOTIFY_SOCKET"));
	assert_int_equal(notify_send(&n, "READY=1"), 0);
}

/* A usable one, though nothing listens there. */
static void expect_accepted(const char *value)
{
	struct notify n;

	setenv("NOTIFY_SOCKET", value, 1);
	assert_int_equal(notify_open(&n), 0);
	assert_true(n.fd >= 0);
	notify_close(&n);
}

static void test_addresses(void **state)
{
	char value[160];

	(void)state;
	expect_refused("", -EINVAL);
	expect_refused("run/systemd/notify", -EAFNOSUPPORT);
	expect_refused("vsock:2:1234", -EAFNOSUPPORT);
	/* sun_path holds 108 bytes: a path's NUL is one of them. */
	memset(value, 'p', sizeof(value));
	value[0] = '/';
	value[107] = '\0';
	expect_accepted(value);
	value[107] = 'p';
	value[108] = '\0';
	expect_refused(value, -ENAMETOOLONG);
	/* An abstract name has no NUL: '@' and 107 characters fit. */
	value[0] = '@';
	expect_accepted(value);
	value[108] = 'p';
	value[109] = '\0';
	expect_refused(value, -ENAMETOOLONG);
}

static void test_no_listener(void **state)
{
	struct fake_systemd *f = *state;
	char path[128];
	struct notify n;

	snprintf(path, sizeof(path), "%s/nobody", f->dir);
	setenv("NOTIFY_SOCKET", path, 1);
	assert_int_equal(notify_open(&n), 0);
	assert_int_equal(notify_send(&n, "READY=1"), -ENOENT);
	notify_close(&n);

	/* A socket file whose owner has gone. */
	snprintf(path, sizeof(path), "%s/notify", f->dir);
	fake_bind(f, path);
	close(f->fd);
	f->fd = -1;
	setenv("NOTIFY_SOCKET", path, 1);
	assert_int_equal(notify_open(&n), 0);
	assert_int_equal(notify_send(&n, "STOPPING=1"), -ECONNREFUSED);
	notify_close(&n);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_not_under_systemd, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_path_socket, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_abstract_socket, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_status_is_one_line, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_addresses, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_no_listener, setup,
						teardown),
	};

	return cmocka_run_group_tests_name("vesseld_notify", tests, NULL, NULL);
}
