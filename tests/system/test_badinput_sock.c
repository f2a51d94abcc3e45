// SPDX-License-Identifier: Apache-2.0
/*
 * Bad input to the running programs (docs/errors.md): garbage, NUL bytes,
 * a 1 MiB line, half a request, silent clients and 100 clients at once on
 * vessel's and vesseld's control sockets, after which each still runs its
 * guests and answers a valid client; vesseld's malformed guest files
 * (refused with file and line, exit 65, nothing started) and a guest it
 * cannot start (that one fails, the others run); vesseld's malformed
 * command lines (64, or 65 for a configuration directory it cannot use)
 * and vesselctl's (2).
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>
#include <cmocka.h>

#include "../lib/vdrun.h"
#include "../lib/vmproc.h"
#include "../lib/vmrun.h"

#define READY_MS 30000
#define REPLY_MS 5000
#define EXIT_MS 30000
#define CLIENTS 100
#define ONE_MIB (1 << 20)
#define PB_READY "PROBE READY power-button"
#define PB_PASS "PROBE PASS power-button: pressed"
#define VD_EXIT_CONFIG 65
#define CTL_EXIT_REPLY 1
#define CTL_EXIT_USAGE 2

static int sock_connect(const char *path)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	assert_true(fd >= 0);
	assert_true(strlen(path) < sizeof(a.sun_path));
	memcpy(a.sun_path, path, strlen(path));
	if (connect(fd, (struct sockaddr *)&a, sizeof(a))) {
		close(fd);
		return -errno;
	}
	return fd;
}

/* Send what the peer takes: it may close early (a 1 MiB line). */
static void sock_send(int fd, const void *buf, size_t len)
{
	const char *p = buf;
	ssize_t n;

	while (len) {
		n = send(fd, p, len, MSG_NOSIGNAL);
		if (n <= 0)
			return;
		p += n;
		len -= (size_t)n;
	}
}

/* The first reply line into @line ("" when the peer closed or was silent). */
static void sock_reply(int fd, char *line, size_t size)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	size_t n = 0;

	while (n < size - 1 && poll(&p, 1, REPLY_MS) > 0 &&
	       read(fd, &line[n], 1) == 1 && line[n] != '\n')
		n++;
	line[n] = '\0';
}

/*
 * @req on a connection of its own: the reply says "ok":false and @why, or
 * (@why NULL: an oversized request may be cut off first) the socket closed.
 */
static void expect_refused_request(const char *sock, const void *req,
				   size_t len, const char *why)
{
	int fd = sock_connect(sock);
	char line[512];

	assert_true(fd >= 0);
	sock_send(fd, req, len);
	sock_reply(fd, line, sizeof(line));
	close(fd);
	if (!why && !line[0])
		return;
	if (!strstr(line, "\"ok\":false") || (why && !strstr(line, why)))
		fail_msg(
			"request of %zu bytes: reply '%s', wanted an error%s%s",
			len, line, why ? " saying " : "", why ? why : "");
}

/* Half a request then close, a silent client, then the rest. */
static void hammer(const char *sock, const char *valid_word)
{
	static const char garbage[] = "\x01\xff{\"cmd\":\x7f\n";
	static const char nul[] = "sta\0tus\n";
	char *big = malloc(ONE_MIB + 1);
	int fd, silent;

	expect_refused_request(sock, garbage, sizeof(garbage) - 1, NULL);
	expect_refused_request(sock, nul, sizeof(nul) - 1, "NUL byte");
	expect_refused_request(sock, "\n", 1, NULL);
	expect_refused_request(sock, "no-such-command\n", 16, NULL);
	assert_non_null(big);
	memset(big, 'A', ONE_MIB);
	big[ONE_MIB] = '\n';
	expect_refused_request(sock, big, ONE_MIB + 1, NULL);
	expect_refused_request(sock, big, ONE_MIB, NULL);
	free(big);
	/* Half of a valid word, then the client goes. */
	fd = sock_connect(sock);
	assert_true(fd >= 0);
	sock_send(fd, valid_word, strlen(valid_word) / 2);
	close(fd);
	/* One says nothing and stays while the others come and go. */
	silent = sock_connect(sock);
	assert_true(silent >= 0);
	fd = sock_connect(sock);
	assert_true(fd >= 0);
	close(fd);
	close(silent);
}

/*
 * 100 clients at once, each silent: the slots fill up and the rest are
 * told "too many clients"; once they go, a valid client is served again.
 */
static void crowd(const char *sock, int fds[CLIENTS])
{
	int i;

	for (i = 0; i < CLIENTS; i++) {
		fds[i] = sock_connect(sock);
		assert_true(fds[i] >= 0);
	}
}

/*
 * Silent clients hold every slot; past proto.h's PROTO_IDLE_NS (2 s) the
 * one silent longest loses its slot to a new client, and is told.
 */
static void wait_past_idle(void)
{
	usleep(2200 * 1000);
}

static void expect_evicted(int fd)
{
	char line[512];

	sock_reply(fd, line, sizeof(line));
	assert_non_null(strstr(line, "no request in time"));
}

/*
 * 100 clients at once, each with a valid request: every one gets a reply,
 * an answer or "too many clients", and none is left hanging.
 */
static void crowd_asks(const char *sock, const char *request)
{
	int fds[CLIENTS], i, answered = 0;
	char line[4096];

	crowd(sock, fds);
	for (i = 0; i < CLIENTS; i++)
		sock_send(fds[i], request, strlen(request));
	for (i = 0; i < CLIENTS; i++) {
		sock_reply(fds[i], line, sizeof(line));
		close(fds[i]);
		if (strstr(line, "\"ok\":true")) {
			answered++;
			continue;
		}
		if (!strstr(line, "too many clients"))
			fail_msg("client %d of %d: reply '%s'", i, CLIENTS,
				 line);
	}
	/* The first ones fit in the slots. */
	assert_true(answered > 0);
}

static void crowd_leave(int fds[CLIENTS])
{
	int i;

	for (i = 0; i < CLIENTS; i++)
		close(fds[i]);
	/* The server notices the closes on its next loop turns. */
	usleep(200 * 1000);
}

/* vesselctl ARGS...; its exit code, its output in @c (vmproc_free it). */
static int ctl(struct vmproc *c, ...)
{
	const char *argv[16] = { vesselctl_path() };
	int n = 1;
	va_list ap;

	va_start(ap, c);
	while (n < 15 && (argv[n] = va_arg(ap, const char *)))
		n++;
	va_end(ap);
	argv[n] = NULL;
	assert_int_equal(vmproc_start(c, argv), 0);
	return vmproc_wait_exit(c, EXIT_MS);
}

static void expect_ctl(int code, const char *err, int got, struct vmproc *c)
{
	if (got != code || (err && !strstr(c->err, err)))
		vmproc_dump(c);
	assert_int_equal(got, code);
	if (err)
		assert_non_null(strstr(c->err, err));
	vmproc_free(c);
}

/* --- vessel's control socket --- */

static void test_vessel_socket(void **state)
{
	struct vmrun *r = *state;
	const char *extra[] = { "--control", r->ctl, NULL };
	int fds[CLIENTS];
	struct vmproc c;

	assert_int_equal(vmrun_start(r, "power-button", extra), 0);
	if (!vmproc_wait_output(&r->p, PB_READY, READY_MS))
		vmrun_dump(r);
	hammer(r->ctl, "status\n");
	crowd_asks(r->ctl, "status\n");
	crowd(r->ctl, fds);
	expect_ctl(CTL_EXIT_REPLY, "too many clients",
		   ctl(&c, "--vm", r->ctl, "status", NULL), &c);
	assert_true(vmproc_alive_after(&r->p, 100));
	wait_past_idle();
	expect_ctl(0, NULL, ctl(&c, "--vm", r->ctl, "status", NULL), &c);
	expect_evicted(fds[0]);
	crowd_leave(fds);
	expect_ctl(0, NULL, ctl(&c, "--vm", r->ctl, "status", NULL), &c);
	/* The guest ran on all along and still takes a press. */
	assert_null(strstr(r->p.out, "PROBE PASS power-button"));
	expect_ctl(0, NULL, ctl(&c, "--vm", r->ctl, "power-button", NULL), &c);
	if (vmrun_finish(r) != 0 || !strstr(r->p.out, PB_PASS))
		vmrun_dump(r);
	assert_int_equal(r->p.status, 0);
	assert_non_null(strstr(r->p.out, PB_PASS));
	assert_null(strstr(r->p.err, "crash"));
}

/* --- vesseld --- */

static int vd_setup(void **state)
{
	struct vdrun *t = vdrun_new("badinput", 0);

	*state = t;
	return t ? 0 : -1;
}

static int vd_teardown(void **state)
{
	vdrun_delete(*state);
	return 0;
}

static void test_vesseld_socket(void **state)
{
	struct vdrun *t = *state;
	int fds[CLIENTS];
	struct vmproc c;
	int i;

	vdrun_guest_file(t, "g", "power-button", "stop-timeout 10s\n");
	vdrun_start(t, NULL);
	vdrun_wait_event(t, "up", "g", 1);
	vdrun_wait_console(t, "g", PB_READY);
	hammer(t->sock, "list\n");
	crowd_asks(t->sock, "list\n");
	crowd(t->sock, fds);
	expect_ctl(CTL_EXIT_REPLY, "too many clients",
		   ctl(&c, "--daemon", t->sock, "list", NULL), &c);
	wait_past_idle();
	expect_ctl(0, NULL, ctl(&c, "--daemon", t->sock, "list", NULL), &c);
	expect_evicted(fds[0]);
	crowd_leave(fds);
	/* Names that are no guest's, too long to send, or not words. */
	expect_ctl(CTL_EXIT_REPLY, "no guest '../g'",
		   ctl(&c, "--daemon", t->sock, "status", "../g", NULL), &c);
	expect_ctl(
		CTL_EXIT_USAGE, "an argument is too long",
		ctl(&c, "--daemon", t->sock, "status",
		    "gggggggggggggggggggggggggggggggggggggggggggggggggggggggggg"
		    "gggggggggggggggggggggggggggggggggggggggggggggggggggggggggg"
		    "gggggggggggggggggggggggggggggggggggggggggggggggggggggggggg"
		    "gggggggggggggggggggggggggggggggggggggggggggggggggggggggggg"
		    "gggggggggggggggggggggggggggggggggggggggggggggggggggggggggg",
		    NULL),
		&c);
	expect_ctl(CTL_EXIT_USAGE, "an argument is empty",
		   ctl(&c, "--daemon", t->sock, "status", "", NULL), &c);
	expect_ctl(0, NULL, ctl(&c, "--daemon", t->sock, "status", "g", NULL),
		   &c);
	assert_int_equal(vdrun_stop(t), 0);
	i = vdrun_ev_nth(&t->ev, "exited", "g", 1);
	assert_true(i >= 0);
	assert_int_equal(evlog_int(&t->ev, i, "code", -1), 0);
}

/* A guest file vesseld refuses: exit 65 with @where, no guest started. */
static void expect_config_refused(struct vdrun *t, const char *where)
{
	char want[VDRUN_PATH_LEN + 64];
	struct stat st;

	vdrun_start(t, NULL);
	assert_int_equal(vmproc_wait_exit(&t->d, EXIT_MS), VD_EXIT_CONFIG);
	snprintf(want, sizeof(want), "%s/%s", t->conf, where);
	if (!strstr(t->d.err, want))
		vmproc_dump(&t->d);
	assert_non_null(strstr(t->d.err, want));
	assert_null(strstr(t->d.err, "started vessel"));
	assert_int_equal(stat(t->run, &st), -1);
	vmproc_free(&t->d);
	t->started = false;
}

static void write_conf(struct vdrun *t, const char *name, const void *data,
		       size_t len)
{
	char path[VDRUN_PATH_LEN + 64];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", t->conf, name);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, data, len), (ssize_t)len);
	close(fd);
}

static void test_vesseld_bad_files(void **state)
{
	static const char nul[] = "mem 64M\n\0\n";
	struct vdrun *t = *state;
	char path[VDRUN_PATH_LEN + 64], *big = malloc(ONE_MIB + 1);

	vdrun_guest_file(t, "ok", "power-button", "");
	write_conf(t, "bad.conf", nul, sizeof(nul) - 1);
	expect_config_refused(t, "bad.conf:2: control byte 0x00");
	write_conf(t, "bad.conf", "on-boot restart\n", 16);
	expect_config_refused(t, "bad.conf:1: unknown option 'on-boot'");
	write_conf(t, "bad.conf", "restart-limit 0\n", 16);
	expect_config_refused(t, "bad.conf:1: restart-limit: '0'");
	write_conf(t, "bad.conf", "restart-delay 5 s\n", 18);
	expect_config_refused(t, "bad.conf:1: restart-delay: '5 s'");
	write_conf(t, "bad.conf", "autostart maybe\n", 16);
	expect_config_refused(t, "bad.conf:1: autostart: 'maybe'");
	write_conf(t, "bad.conf", "mem 64M\n", 8);
	expect_config_refused(t, "bad.conf: no 'kernel' line");
	assert_non_null(big);
	memset(big, 'z', ONE_MIB);
	big[ONE_MIB] = '\n';
	write_conf(t, "bad.conf", big, ONE_MIB + 1);
	free(big);
	expect_config_refused(t, "bad.conf:1: unknown option 'zzzz");
	snprintf(path, sizeof(path), "%s/bad.conf", t->conf);
	unlink(path);
	assert_int_equal(mkdir(path, 0700), 0);
	expect_config_refused(t, "bad.conf: not a regular file");
	rmdir(path);
}

/* A guest vessel refuses (its kernel is no image) fails; the other runs. */
static void test_vesseld_unusable_guest(void **state)
{
	struct vdrun *t = *state;
	char path[VDRUN_PATH_LEN + 64];
	int i;

	snprintf(path, sizeof(path), "%s/junk.img", t->dir);
	write_conf(t, "../junk.img", "not a kernel at all", 19);
	vdrun_guest_file(t, "good", "power-button", "stop-timeout 10s\n");
	vdrun_guest_file(t, "broken", "power-button", "kernel %s\n", path);
	vdrun_start(t, NULL);
	i = vdrun_wait_event(t, "failed", "broken", 1);
	assert_true(i >= 0);
	vdrun_wait_event(t, "up", "good", 1);
	vdrun_wait_console(t, "good", PB_READY);
	i = vdrun_ev_nth(&t->ev, "exited", "broken", 1);
	assert_int_equal(evlog_int(&t->ev, i, "code", -1), 64);
	assert_non_null(strstr(t->d.err, "broken: usage"));
	assert_int_equal(vdrun_stop(t), 0);
	assert_int_equal(vdrun_ev_count(&t->ev, "started", "broken"), 1);
	i = vdrun_ev_nth(&t->ev, "exited", "good", 1);
	assert_int_equal(evlog_int(&t->ev, i, "code", -1), 0);
}

/*
 * vesseld @args (in the foreground, on a private run directory): exit
 * @code and @msg on stderr.
 */
static void expect_vesseld(struct vdrun *t, const char *const args[], int code,
			   const char *msg)
{
	const char *argv[16] = { vesseld_path(), "--foreground", "--run-dir",
				 t->run };
	struct vmproc p;
	int n = 4;

	while (*args && n < 15)
		argv[n++] = *args++;
	argv[n] = NULL;
	assert_int_equal(vmproc_start(&p, argv), 0);
	vmproc_wait_exit(&p, EXIT_MS);
	if (p.status != code || !strstr(p.err, msg))
		vmproc_dump(&p);
	assert_int_equal(p.status, code);
	assert_non_null(strstr(p.err, msg));
	vmproc_free(&p);
}

/* A regular file with known content at @path; still there, unchanged? */
static void plant_file(const char *path)
{
	FILE *f = fopen(path, "we");

	assert_non_null(f);
	assert_int_equal(fputs("not a socket\n", f) >= 0, 1);
	fclose(f);
}

static void expect_file_kept(const char *path)
{
	char line[32] = "";
	FILE *f = fopen(path, "re");

	assert_non_null(f);
	assert_non_null(fgets(line, sizeof(line), f));
	fclose(f);
	assert_string_equal(line, "not a socket\n");
}

static void test_vesseld_args(void **state)
{
	struct vdrun *t = *state;
	char file[VDRUN_PATH_LEN + 16];

	snprintf(file, sizeof(file), "%s/ok.conf", t->conf);
	vdrun_guest_file(t, "ok", "poweroff", "");
	expect_vesseld(t, (const char *[]){ "--bogus", NULL }, 64,
		       "unrecognized option '--bogus'");
	expect_vesseld(t, (const char *[]){ "--config-dir", NULL }, 64,
		       "requires an argument");
	expect_vesseld(
		t, (const char *[]){ "--config-dir", t->conf, "extra", NULL },
		64, "unexpected argument: extra");
	expect_vesseld(t,
		       (const char *[]){ "--config-dir", t->conf,
					 "--socket-group", "no-such-group",
					 NULL },
		       64, "no group 'no-such-group'");
	expect_vesseld(t, (const char *[]){ "--config-dir", "", NULL }, 65,
		       "the configuration directory is an empty path");
	expect_vesseld(
		t, (const char *[]){ "--config-dir", "/nonexistent/vg", NULL },
		65, "/nonexistent/vg: No such file or directory");
	expect_vesseld(t, (const char *[]){ "--config-dir", file, NULL }, 65,
		       "Not a directory");
	/* A file where its socket goes is not vesseld's to remove. */
	assert_true(!mkdir(t->run, 0700) || errno == EEXIST);
	plant_file(t->sock);
	expect_vesseld(t, (const char *[]){ "--config-dir", t->conf, NULL }, 71,
		       "vesseld.sock: exists and is not a socket");
	expect_file_kept(t->sock);
	unlink(t->sock);
}

/* --- vesselctl's command line --- */

static void test_vesselctl_args(void **state)
{
	struct vmproc c;

	(void)state;
	expect_ctl(CTL_EXIT_USAGE, "no command", ctl(&c, NULL), &c);
	expect_ctl(CTL_EXIT_USAGE, "bad option: --bogus",
		   ctl(&c, "--bogus", "status", NULL), &c);
	expect_ctl(CTL_EXIT_USAGE, "option needs a value: --vm",
		   ctl(&c, "status", "--vm", NULL), &c);
	expect_ctl(CTL_EXIT_USAGE, "option needs a value: --daemon",
		   ctl(&c, "list", "--daemon", NULL), &c);
	expect_ctl(CTL_EXIT_USAGE, "--vm needs a socket PATH",
		   ctl(&c, "--vm", "", "status", NULL), &c);
	expect_ctl(CTL_EXIT_USAGE, "--daemon needs a socket PATH",
		   ctl(&c, "--daemon=", "list", NULL), &c);
	expect_ctl(CTL_EXIT_USAGE, "unknown command: frobnicate",
		   ctl(&c, "--vm", "/nonexistent", "frobnicate", NULL), &c);
	expect_ctl(CTL_EXIT_USAGE, "unexpected argument: extra",
		   ctl(&c, "--vm", "/nonexistent", "status", "extra", NULL),
		   &c);
	expect_ctl(CTL_EXIT_USAGE, "this command needs --vm PATH",
		   ctl(&c, "pause", NULL), &c);
	expect_ctl(3, "cannot connect",
		   ctl(&c, "--vm", "/nonexistent/ctl.sock", "status", NULL),
		   &c);
	expect_ctl(CTL_EXIT_USAGE, "not a region name",
		   ctl(&c, "shmem", "dump", "../etc", NULL), &c);
	expect_ctl(CTL_EXIT_USAGE, "not a region name",
		   ctl(&c, "shmem", "ring", "a/b", "1", NULL), &c);
	expect_ctl(CTL_EXIT_USAGE, "not a region name",
		   ctl(&c, "shmem", "dump",
		       "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
		       NULL),
		   &c);
	expect_ctl(CTL_EXIT_USAGE, "PEER is a peer id",
		   ctl(&c, "shmem", "ring", "x", "16", NULL), &c);
	expect_ctl(CTL_EXIT_USAGE, "take numbers",
		   ctl(&c, "shmem", "dump", "x", "--offset", "-1", NULL), &c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_vessel_socket, vmrun_setup,
						vmrun_teardown),
		cmocka_unit_test_setup_teardown(test_vesseld_socket, vd_setup,
						vd_teardown),
		cmocka_unit_test_setup_teardown(test_vesseld_bad_files,
						vd_setup, vd_teardown),
		cmocka_unit_test_setup_teardown(test_vesseld_unusable_guest,
						vd_setup, vd_teardown),
		cmocka_unit_test_setup_teardown(test_vesseld_args, vd_setup,
						vd_teardown),
		cmocka_unit_test(test_vesselctl_args),
	};

	return cmocka_run_group_tests_name("badinput_sock", tests, NULL, NULL);
}
