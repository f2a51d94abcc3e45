// SPDX-License-Identifier: Apache-2.0
/*
 * vesseld under a fake systemd: NOTIFY_SOCKET names a datagram socket
 * with SO_PASSCRED, as systemd's, so each message's sender is the pid the
 * kernel vouches for. READY=1 comes from vesseld itself once every
 * autostart guest is up (an `after` chain included: after the
 * autostart-done event, with each guest's up event), then a STATUS line;
 * with no guest at all it comes at once. The vessels do not inherit
 * NOTIFY_SOCKET. SIGTERM brings STOPPING=1 once the shutdown began, and
 * vesseld then stops its guests and exits 0.
 */
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>
#include <cmocka.h>

#include "../lib/evlog.h"
#include "../lib/vdrun.h"
#include "../lib/vmproc.h"

#define MSG_MAX 512
#define RECV_S 30
#define EXIT_MS 30000

struct nt {
	struct vdrun vd;
	char notify[VDRUN_PATH_LEN]; /* dir/notify: NOTIFY_SOCKET */
	int fd; /* systemd's end */
};

/* The fake systemd's socket at dir/notify, in NOTIFY_SOCKET. */
static int fake_systemd(struct nt *t)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	struct timeval tv = { .tv_sec = RECV_S };
	int one = 1;

	snprintf(t->notify, sizeof(t->notify), "%s/notify", t->vd.dir);
	if (strlen(t->notify) >= sizeof(a.sun_path))
		return -1;
	memcpy(a.sun_path, t->notify, strlen(t->notify));
	t->fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (t->fd < 0 ||
	    setsockopt(t->fd, SOL_SOCKET, SO_PASSCRED, &one, sizeof(one)) ||
	    setsockopt(t->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) ||
	    bind(t->fd, (struct sockaddr *)&a, sizeof(a)))
		return -1;
	return setenv("NOTIFY_SOCKET", t->notify, 1);
}

static int setup(void **state)
{
	struct nt *t = calloc(1, sizeof(*t));

	if (!t || vdrun_init(&t->vd, "vdn", 0)) {
		free(t);
		return -1;
	}
	t->fd = -1;
	*state = t;
	return fake_systemd(t);
}

static int teardown(void **state)
{
	struct nt *t = *state;

	vdrun_free(&t->vd); /* SIGQUIT: vesseld cuts its guests */
	if (t->fd >= 0)
		close(t->fd);
	unsetenv("NOTIFY_SOCKET");
	free(t);
	return 0;
}

static void guest_file(struct nt *t, const char *name, const char *more)
{
	vdrun_guest_file(&t->vd, name, "power-button", "%s", more);
}

/* The next message, which must be @want and come from vesseld itself. */
static void expect_msg(struct nt *t, const char *want)
{
	char buf[MSG_MAX], cbuf[CMSG_SPACE(sizeof(struct ucred))];
	struct iovec iov = { buf, sizeof(buf) - 1 };
	struct msghdr m = { .msg_iov = &iov,
			    .msg_iovlen = 1,
			    .msg_control = cbuf,
			    .msg_controllen = sizeof(cbuf) };
	struct ucred cred = { .pid = -1 };
	struct cmsghdr *c;
	ssize_t n = recvmsg(t->fd, &m, 0);
	int err = errno;

	if (n < 0) {
		vdrun_dump(&t->vd);
		fail_msg("no \"%s\" within %d s: %s", want, RECV_S,
			 strerror(err));
	}
	buf[n] = '\0';
	for (c = CMSG_FIRSTHDR(&m); c; c = CMSG_NXTHDR(&m, c))
		if (c->cmsg_type == SCM_CREDENTIALS)
			memcpy(&cred, CMSG_DATA(c), sizeof(cred));
	if (strcmp(buf, want))
		vdrun_dump(&t->vd);
	assert_string_equal(buf, want);
	assert_int_equal(cred.pid, t->vd.d.pid);
}

/* The guests' vessels (from the started events) lack NOTIFY_SOCKET. */
static void expect_not_inherited(struct nt *t)
{
	char path[64], env[16384];
	int i = -1, seen = 0;
	size_t n, k;
	FILE *f;

	while ((i = evlog_find(&t->vd.ev, "started", i + 1)) >= 0) {
		snprintf(path, sizeof(path), "/proc/%lld/environ",
			 evlog_int(&t->vd.ev, i, "pid", 0));
		f = fopen(path, "re");
		assert_non_null(f);
		n = fread(env, 1, sizeof(env) - 1, f);
		fclose(f);
		for (k = 0; k < n; k += strlen(env + k) + 1) {
			env[n] = '\0';
			assert_false(!strncmp(env + k, "NOTIFY_SOCKET=", 14));
		}
		seen++;
	}
	assert_true(seen > 0);
}

static void test_ready_after_autostart(void **state)
{
	struct nt *t = *state;

	guest_file(t, "db", "");
	/* app starts only once db is up: READY must wait for both. */
	guest_file(t, "app", "after db\n");
	guest_file(t, "spare", "autostart no\n");
	vdrun_start(&t->vd, NULL);
	expect_msg(t, "READY=1");
	evlog_load(&t->vd.ev, t->vd.events);
	if (evlog_find(&t->vd.ev, "autostart-done", 0) < 0 ||
	    evlog_count(&t->vd.ev, "up") != 2)
		vdrun_dump(&t->vd);
	assert_true(evlog_find(&t->vd.ev, "autostart-done", 0) >= 0);
	assert_int_equal(evlog_count(&t->vd.ev, "up"), 2);
	expect_msg(t, "STATUS=2 of 3 guests running");
	expect_not_inherited(t);
	/* A press before the probe arms its button would be lost. */
	vdrun_wait_console(&t->vd, "db", "PROBE READY power-button");
	vdrun_wait_console(&t->vd, "app", "PROBE READY power-button");
	assert_int_equal(vmproc_kill(&t->vd.d, SIGTERM), 0);
	expect_msg(t, "STOPPING=1");
	evlog_free(&t->vd.ev);
	evlog_load(&t->vd.ev, t->vd.events);
	assert_true(evlog_find(&t->vd.ev, "shutdown", 0) >= 0);
	expect_msg(t, "STATUS=stopping every guest (SIGTERM)");
	if (vmproc_wait_exit(&t->vd.d, EXIT_MS))
		vdrun_dump(&t->vd);
	assert_int_equal(t->vd.d.status, 0);
}

static void test_ready_without_guests(void **state)
{
	struct nt *t = *state;

	vdrun_start(&t->vd, NULL);
	expect_msg(t, "READY=1");
	expect_msg(t, "STATUS=0 of 0 guests running");
	assert_int_equal(vmproc_kill(&t->vd.d, SIGTERM), 0);
	expect_msg(t, "STOPPING=1");
	assert_int_equal(vmproc_wait_exit(&t->vd.d, EXIT_MS), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_ready_after_autostart,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_ready_without_guests,
						setup, teardown),
	};

	return cmocka_run_group_tests_name("vesseld_notify", tests, NULL, NULL);
}
