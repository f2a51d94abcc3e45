// SPDX-License-Identifier: Apache-2.0
/*
 * The control socket on a real unix socket and a real event loop (run in
 * a thread), with fake ops that record their calls: each command reaches
 * its op with by="control", status and event streaming, malformed and
 * oversized requests, the client cap, peer credentials, and the socket
 * file (mode 0600, stale file replaced, live socket / non-socket / long
 * path refused, unlinked on close).
 */
#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "../../src/common/proto.h"
#include "../../src/vmm/control.h"
#include "../../src/vmm/loop.h"

#define WAIT_MS 5000
#define MAX_CLIENTS 16 /* control.c's cap */

enum { OP_PRESS, OP_TERMINATE, OP_CUT, OP_STATUS, OP_SUB, OP_UNSUB, OPS };

struct fx {
	char dir[64];
	char path[128];
	struct loop loop;
	struct control *c;
	pthread_t thread;
	bool running;
	int quit_efd; /* written to stop the loop thread */
	pthread_mutex_t lock; /* the records below: the loop thread writes */
	int calls[OPS];
	char by[OPS][32];
	int sub_fd, unsub_fd;
	int sub_ret;
};

/* --- fake ops, run on the loop thread --- */

static void rec(void *ctx, int op, const char *by)
{
	struct fx *f = ctx;

	pthread_mutex_lock(&f->lock);
	f->calls[op]++;
	snprintf(f->by[op], sizeof(f->by[op]), "%s", by ? by : "");
	pthread_mutex_unlock(&f->lock);
}

static void fake_press(void *ctx, const char *by)
{
	rec(ctx, OP_PRESS, by);
}

static void fake_terminate(void *ctx, const char *by)
{
	rec(ctx, OP_TERMINATE, by);
}

static void fake_cut(void *ctx, const char *by)
{
	rec(ctx, OP_CUT, by);
}

static struct json_object *fake_status(void *ctx)
{
	struct json_object *o = json_object_new_object();
	struct json_object *pb = json_object_new_object();

	rec(ctx, OP_STATUS, NULL);
	json_object_object_add(o, "state", json_object_new_string("running"));
	json_object_object_add(o, "pid", json_object_new_int(4242));
	json_object_object_add(pb, "armed", json_object_new_boolean(true));
	json_object_object_add(o, "power_button", pb);
	return o;
}

static int fake_subscribe(void *ctx, int fd)
{
	struct fx *f = ctx;
	int ret;

	rec(ctx, OP_SUB, NULL);
	pthread_mutex_lock(&f->lock);
	ret = f->sub_ret;
	if (!ret)
		f->sub_fd = fd;
	pthread_mutex_unlock(&f->lock);
	return ret;
}

static void fake_unsubscribe(void *ctx, int fd)
{
	struct fx *f = ctx;

	rec(ctx, OP_UNSUB, NULL);
	pthread_mutex_lock(&f->lock);
	f->unsub_fd = fd;
	pthread_mutex_unlock(&f->lock);
}

static const struct control_ops fake_ops = {
	.power_button = fake_press,
	.terminate = fake_terminate,
	.power_cut = fake_cut,
	.status = fake_status,
	.subscribe = fake_subscribe,
	.unsubscribe = fake_unsubscribe,
};

static int fx_calls(struct fx *f, int op)
{
	int n;

	pthread_mutex_lock(&f->lock);
	n = f->calls[op];
	pthread_mutex_unlock(&f->lock);
	return n;
}

/* Wait until op @op has been called @n times; false after WAIT_MS. */
static bool fx_wait_calls(struct fx *f, int op, int n)
{
	int ms;

	for (ms = 0; ms < WAIT_MS; ms++) {
		if (fx_calls(f, op) >= n)
			return true;
		usleep(1000);
	}
	return false;
}

static int fx_total_calls(struct fx *f)
{
	int i, n = 0;

	for (i = 0; i < OPS; i++)
		n += fx_calls(f, i);
	return n;
}

/* --- the loop thread --- */

static void *loop_thread(void *arg)
{
	struct fx *f = arg;

	loop_run(&f->loop);
	return NULL;
}

/* loop_quit() from a watched fd: the loop checks it after a dispatch. */
static void on_quit(void *arg, int fd)
{
	(void)fd;
	loop_quit(arg);
}

static void fx_start(struct fx *f)
{
	assert_int_equal(pthread_create(&f->thread, NULL, loop_thread, f), 0);
	f->running = true;
}

static void fx_stop(struct fx *f)
{
	u64 one = 1;

	if (!f->running)
		return;
	assert_int_equal(write(f->quit_efd, &one, sizeof(one)), sizeof(one));
	pthread_join(f->thread, NULL);
	f->running = false;
}

static int fx_open(struct fx *f, struct control **c)
{
	return control_open(c, f->path, &f->loop, &fake_ops, f);
}

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	snprintf(f->dir, sizeof(f->dir), "/tmp/vessel-ctl-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->path, sizeof(f->path), "%s/ctl.sock", f->dir);
	pthread_mutex_init(&f->lock, NULL);
	f->sub_fd = f->unsub_fd = -1;
	assert_int_equal(loop_init(&f->loop), 0);
	f->quit_efd = eventfd(0, EFD_CLOEXEC);
	assert_true(f->quit_efd >= 0);
	assert_int_equal(
		loop_watch_fd(&f->loop, f->quit_efd, on_quit, &f->loop), 0);
	*state = f;
	return 0;
}

/* Open the control socket and start the loop: most tests' setup. */
static int setup_running(void **state)
{
	struct fx *f;

	setup(state);
	f = *state;
	assert_int_equal(fx_open(f, &f->c), 0);
	fx_start(f);
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	char cmd[160];

	fx_stop(f);
	control_close(f->c);
	loop_free(&f->loop);
	close(f->quit_efd);
	pthread_mutex_destroy(&f->lock);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->dir);
	if (system(cmd))
		print_error("cannot remove %s\n", f->dir);
	free(f);
	return 0;
}

/* --- a client --- */

static int cl_connect(const char *path)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	assert_true(fd >= 0);
	assert_true(strlen(path) < sizeof(a.sun_path));
	memcpy(a.sun_path, path, strlen(path));
	assert_int_equal(connect(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	return fd;
}

static void cl_send(int fd, const char *buf, size_t len)
{
	ssize_t n;

	while (len) {
		n = send(fd, buf, len, MSG_NOSIGNAL);
		if (n <= 0)
			return; /* the server closed early: its reply counts */
		buf += n;
		len -= n;
	}
}

/* One line from @fd without its '\n' into @buf; false on EOF/timeout. */
static bool cl_line(int fd, char *buf, size_t size)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	size_t n = 0;

	while (n < size - 1 && poll(&p, 1, WAIT_MS) > 0 &&
	       read(fd, &buf[n], 1) == 1) {
		if (buf[n] == '\n') {
			buf[n] = '\0';
			return true;
		}
		n++;
	}
	buf[n] = '\0';
	return false;
}

/* Whether the server closed @fd (EOF within WAIT_MS, nothing more). */
static bool cl_closed(int fd)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	char c;

	if (poll(&p, 1, WAIT_MS) <= 0)
		return false;
	return read(fd, &c, 1) <= 0;
}

/* Send @len bytes as a request; the parsed reply (the caller frees). */
static void cl_request(const char *path, const char *req, size_t len,
		       struct proto_reply *rep, bool expect_close)
{
	char line[4096];
	int fd = cl_connect(path);

	cl_send(fd, req, len);
	if (!cl_line(fd, line, sizeof(line)))
		fail_msg("no reply to a %zu-byte request", len);
	assert_int_equal(proto_parse_reply(rep, line, strlen(line)), 0);
	if (expect_close)
		assert_true(cl_closed(fd));
	close(fd);
}

/* @req gets an error reply containing @words, the connection closes. */
static void expect_error(struct fx *f, const char *req, size_t len,
			 const char *words)
{
	struct proto_reply rep;

	cl_request(f->path, req, len, &rep, true);
	assert_false(rep.ok);
	if (!strstr(rep.error, words))
		fail_msg("error '%s' lacks '%s'", rep.error, words);
	proto_reply_free(&rep);
}

/* --- commands --- */

static void expect_stop_op(struct fx *f, const char *req, int op)
{
	struct proto_reply rep;

	cl_request(f->path, req, strlen(req), &rep, true);
	assert_true(rep.ok);
	proto_reply_free(&rep);
	assert_int_equal(fx_calls(f, op), 1);
	pthread_mutex_lock(&f->lock);
	assert_string_equal(f->by[op], "control");
	pthread_mutex_unlock(&f->lock);
}

static void test_stop_commands(void **state)
{
	struct fx *f = *state;

	expect_stop_op(f, "power-button\n", OP_PRESS);
	expect_stop_op(f, "terminate\n", OP_TERMINATE);
	expect_stop_op(f, "power-cut\r\n", OP_CUT);
	assert_int_equal(fx_total_calls(f), 3);
}

static void test_status(void **state)
{
	struct fx *f = *state;
	struct json_object *st, *v;
	struct proto_reply rep;

	cl_request(f->path, "status\n", 7, &rep, true);
	assert_true(rep.ok);
	assert_true(json_object_object_get_ex(rep.obj, "status", &st));
	assert_true(json_object_object_get_ex(st, "state", &v));
	assert_string_equal(json_object_get_string(v), "running");
	assert_true(json_object_object_get_ex(st, "pid", &v));
	assert_int_equal(json_object_get_int(v), 4242);
	assert_true(json_object_object_get_ex(st, "power_button", &v));
	assert_true(json_object_object_get_ex(v, "armed", &v));
	assert_true(json_object_get_boolean(v));
	proto_reply_free(&rep);
	assert_int_equal(fx_calls(f, OP_STATUS), 1);
	assert_int_equal(fx_total_calls(f), 1);
}

static void test_help(void **state)
{
	static const char *const cmds[] = { "power-button", "terminate",
					    "power-cut",    "status",
					    "events",	    "help" };
	struct fx *f = *state;
	struct json_object *o, *v;
	struct proto_reply rep;
	size_t i;

	cl_request(f->path, "help\n", 5, &rep, true);
	assert_true(rep.ok);
	assert_true(json_object_object_get_ex(rep.obj, "commands", &o));
	for (i = 0; i < ARRAY_SIZE(cmds); i++)
		assert_true(json_object_object_get_ex(o, cmds[i], &v));
	proto_reply_free(&rep);
	assert_int_equal(fx_total_calls(f), 0);
}

static void test_events_stream(void **state)
{
	static const char ev1[] = "{\"event\":\"s5\",\"by\":\"S5\"}\n";
	static const char ev2[] = "{\"event\":\"exit\",\"code\":0}\n";
	struct fx *f = *state;
	struct proto_reply rep;
	char line[256];
	int fd = cl_connect(f->path), sub;

	cl_send(fd, "events\n", 7);
	assert_true(cl_line(fd, line, sizeof(line)));
	assert_int_equal(proto_parse_reply(&rep, line, strlen(line)), 0);
	assert_true(rep.ok);
	proto_reply_free(&rep);
	assert_true(fx_wait_calls(f, OP_SUB, 1));
	pthread_mutex_lock(&f->lock);
	sub = f->sub_fd;
	pthread_mutex_unlock(&f->lock);
	/* What the events module writes to the fd reaches the client. */
	assert_int_equal(write(sub, ev1, strlen(ev1)), (ssize_t)strlen(ev1));
	assert_int_equal(write(sub, ev2, strlen(ev2)), (ssize_t)strlen(ev2));
	assert_true(cl_line(fd, line, sizeof(line)));
	assert_memory_equal(line, ev1, strlen(ev1) - 1);
	assert_true(cl_line(fd, line, sizeof(line)));
	assert_memory_equal(line, ev2, strlen(ev2) - 1);
	/* Bytes from a subscriber are ignored; its close unsubscribes. */
	cl_send(fd, "terminate\n", 10);
	close(fd);
	assert_true(fx_wait_calls(f, OP_UNSUB, 1));
	pthread_mutex_lock(&f->lock);
	assert_int_equal(f->unsub_fd, sub);
	pthread_mutex_unlock(&f->lock);
	assert_int_equal(fx_calls(f, OP_TERMINATE), 0);
}

/* A refused subscription is told in a second line, then closed. */
static void test_events_refused(void **state)
{
	struct fx *f = *state;
	struct proto_reply rep;
	char line[256];
	int fd;

	pthread_mutex_lock(&f->lock);
	f->sub_ret = -ENOSPC;
	pthread_mutex_unlock(&f->lock);
	fd = cl_connect(f->path);
	cl_send(fd, "events\n", 7);
	assert_true(cl_line(fd, line, sizeof(line)));
	assert_int_equal(proto_parse_reply(&rep, line, strlen(line)), 0);
	assert_true(rep.ok);
	proto_reply_free(&rep);
	assert_true(cl_line(fd, line, sizeof(line)));
	assert_int_equal(proto_parse_reply(&rep, line, strlen(line)), 0);
	assert_false(rep.ok);
	proto_reply_free(&rep);
	assert_true(cl_closed(fd));
	close(fd);
	assert_int_equal(fx_calls(f, OP_UNSUB), 0);
}

/* --- bad requests --- */

static void test_unknown_command(void **state)
{
	struct fx *f = *state;

	expect_error(f, "frobnicate\n", 11, "unknown command 'frobnicate'");
	expect_error(f, "status now\n", 11, "takes no arguments");
	expect_error(f, "terminate please\n", 17, "takes no arguments");
	assert_int_equal(fx_total_calls(f), 0);
}

static void test_oversized(void **state)
{
	struct fx *f = *state;
	char *big = malloc(10241);

	assert_non_null(big);
	/* No newline within 256 bytes: refused at the 256th. */
	memset(big, 'A', 10240);
	expect_error(f, big, PROTO_REQUEST_MAX, "too long");
	big[10240] = '\n';
	expect_error(f, big, 10241, "too long");
	/* A valid command word padded past the limit is no request either. */
	memcpy(big, "terminate ", 10);
	expect_error(f, big, 10241, "too long");
	free(big);
	assert_int_equal(fx_total_calls(f), 0);
}

static void test_malformed(void **state)
{
	struct fx *f = *state;

	expect_error(f, "status\0\n", 8, "NUL");
	expect_error(f, "\x01\xff{not a command\n", 17, "control");
	expect_error(f, "power-button \xff\xfe\n", 16, "UTF-8");
	expect_error(f, "\n", 1, "empty");
	expect_error(f, "TERMINATE\n", 10, "command word");
	assert_int_equal(fx_total_calls(f), 0);
}

/* A request may come in pieces; one without '\n' counts at EOF. */
static void test_split_and_unterminated(void **state)
{
	struct fx *f = *state;
	struct proto_reply rep;
	char line[256];
	int fd = cl_connect(f->path);

	cl_send(fd, "pow", 3);
	usleep(20000);
	cl_send(fd, "er-cut\n", 7);
	assert_true(cl_line(fd, line, sizeof(line)));
	assert_int_equal(proto_parse_reply(&rep, line, strlen(line)), 0);
	assert_true(rep.ok);
	proto_reply_free(&rep);
	close(fd);
	assert_int_equal(fx_calls(f, OP_CUT), 1);

	fd = cl_connect(f->path);
	cl_send(fd, "status", 6);
	shutdown(fd, SHUT_WR);
	assert_true(cl_line(fd, line, sizeof(line)));
	assert_int_equal(proto_parse_reply(&rep, line, strlen(line)), 0);
	assert_true(rep.ok);
	proto_reply_free(&rep);
	close(fd);
	/* Connecting and leaving says nothing and does nothing. */
	close(cl_connect(f->path));
	assert_int_equal(fx_total_calls(f), 2);
}

/* Silent clients take slots, never the loop; the 17th is refused. */
static void test_client_cap(void **state)
{
	struct fx *f = *state;
	struct proto_reply rep;
	int fd[MAX_CLIENTS], i;

	for (i = 0; i < MAX_CLIENTS; i++) {
		fd[i] = cl_connect(f->path);
		cl_send(fd[i], "stat", 4); /* and never the rest */
	}
	expect_error(f, "status\n", 7, "too many clients");
	assert_int_equal(fx_calls(f, OP_STATUS), 0);
	close(fd[0]);
	usleep(50000); /* the loop sees the close and frees the slot */
	cl_request(f->path, "status\n", 7, &rep, true);
	assert_true(rep.ok);
	proto_reply_free(&rep);
	for (i = 1; i < MAX_CLIENTS; i++)
		close(fd[i]);
}

/*
 * SO_PEERCRED: this user is served (every test above); another one is
 * refused even where the file's mode lets it connect. Needs root to
 * become another user.
 */
static void test_peer_credentials(void **state)
{
	struct fx *f = *state;
	int status;
	pid_t pid;

	if (geteuid() != 0)
		skip();
	assert_int_equal(chmod(f->dir, 0711), 0);
	assert_int_equal(chmod(f->path, 0666), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct proto_reply rep;
		char line[256];
		int fd;

		if (setgid(65534) || setuid(65534))
			_exit(2);
		fd = cl_connect(f->path);
		cl_send(fd, "terminate\n", 10);
		if (!cl_line(fd, line, sizeof(line)) ||
		    proto_parse_reply(&rep, line, strlen(line)))
			_exit(3);
		_exit(!rep.ok && strstr(rep.error, "permission") ? 0 : 4);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	assert_int_equal(fx_total_calls(f), 0);
}

/* --- the socket file --- */

/* 0600 even under umask 0, and the process umask is left as it was. */
static void test_file_mode(void **state)
{
	struct fx *f = *state;
	mode_t old = umask(0);
	int ret = fx_open(f, &f->c);
	mode_t after = umask(old);
	struct stat st;

	assert_int_equal(ret, 0);
	assert_int_equal(after, 0);
	assert_int_equal(lstat(f->path, &st), 0);
	assert_true(S_ISSOCK(st.st_mode));
	assert_int_equal(st.st_mode & 07777, 0600);
}

static void test_close_unlinks(void **state)
{
	struct fx *f = *state;
	struct proto_reply rep;
	char line[256];
	int fd;

	assert_int_equal(fx_open(f, &f->c), 0);
	fx_start(f);
	fd = cl_connect(f->path);
	cl_send(fd, "events\n", 7);
	assert_true(cl_line(fd, line, sizeof(line)));
	assert_int_equal(proto_parse_reply(&rep, line, strlen(line)), 0);
	proto_reply_free(&rep);
	assert_true(fx_wait_calls(f, OP_SUB, 1));
	fx_stop(f);
	control_close(f->c);
	f->c = NULL;
	/* The subscriber is unsubscribed before its fd closes. */
	assert_int_equal(fx_calls(f, OP_UNSUB), 1);
	assert_int_equal(f->unsub_fd, f->sub_fd);
	assert_true(cl_closed(fd));
	close(fd);
	assert_int_equal(access(f->path, F_OK), -1);
	assert_int_equal(errno, ENOENT);
}

/* A file put in the socket's place after the open is not removed. */
static void test_close_spares_replacement(void **state)
{
	struct fx *f = *state;
	int fd;

	assert_int_equal(fx_open(f, &f->c), 0);
	assert_int_equal(unlink(f->path), 0);
	fd = open(f->path, O_CREAT | O_WRONLY | O_CLOEXEC, 0600);
	assert_true(fd >= 0);
	close(fd);
	control_close(f->c);
	f->c = NULL;
	assert_int_equal(access(f->path, F_OK), 0);
}

/* A socket file nobody listens on (a killed vessel's) is replaced. */
static void test_stale_socket(void **state)
{
	struct fx *f = *state;
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	struct proto_reply rep;
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	memcpy(a.sun_path, f->path, strlen(f->path));
	assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	close(fd);
	assert_int_equal(fx_open(f, &f->c), 0);
	fx_start(f);
	cl_request(f->path, "status\n", 7, &rep, true);
	assert_true(rep.ok);
	proto_reply_free(&rep);
}

/* A second control socket on a live one's path fails; the first serves. */
static void test_live_socket(void **state)
{
	struct fx *f = *state;
	struct control *second = (struct control *)&second;
	struct proto_reply rep;

	assert_int_equal(fx_open(f, &second), -EADDRINUSE);
	assert_null(second);
	assert_int_equal(access(f->path, F_OK), 0);
	cl_request(f->path, "status\n", 7, &rep, true);
	assert_true(rep.ok);
	proto_reply_free(&rep);
}

static void test_not_a_socket(void **state)
{
	struct fx *f = *state;
	struct stat st;
	int fd = open(f->path, O_CREAT | O_WRONLY | O_CLOEXEC, 0644);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, "keep", 4), 4);
	close(fd);
	assert_int_equal(fx_open(f, &f->c), -EEXIST);
	assert_null(f->c);
	assert_int_equal(stat(f->path, &st), 0);
	assert_true(S_ISREG(st.st_mode));
	assert_int_equal(st.st_size, 4);
}

/* sun_path holds 107 bytes and a NUL (unix(7)). */
static void test_path_length(void **state)
{
	struct fx *f = *state;
	struct sockaddr_un a;
	char cwd[256];
	size_t max = sizeof(a.sun_path) - 1;

	assert_non_null(getcwd(cwd, sizeof(cwd)));
	assert_int_equal(chdir(f->dir), 0);
	memset(f->path, 'p', max + 1);
	f->path[max + 1] = '\0';
	assert_int_equal(fx_open(f, &f->c), -ENAMETOOLONG);
	assert_null(f->c);
	assert_int_equal(access(f->path, F_OK), -1);
	f->path[max] = '\0';
	assert_int_equal(fx_open(f, &f->c), 0);
	assert_int_equal(access(f->path, F_OK), 0);
	control_close(f->c);
	f->c = NULL;
	assert_int_equal(access(f->path, F_OK), -1);
	assert_int_equal(fx_open(f, &f->c), 0);
	control_close(f->c);
	f->c = NULL;
	f->path[0] = '\0';
	assert_int_equal(fx_open(f, &f->c), -EINVAL);
	assert_int_equal(chdir(cwd), 0);
}

#define RUNNING(t) cmocka_unit_test_setup_teardown(t, setup_running, teardown)
#define BARE(t) cmocka_unit_test_setup_teardown(t, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		RUNNING(test_stop_commands),
		RUNNING(test_status),
		RUNNING(test_help),
		RUNNING(test_events_stream),
		RUNNING(test_events_refused),
		RUNNING(test_unknown_command),
		RUNNING(test_oversized),
		RUNNING(test_malformed),
		RUNNING(test_split_and_unterminated),
		RUNNING(test_client_cap),
		RUNNING(test_peer_credentials),
		BARE(test_file_mode),
		BARE(test_close_unlinks),
		BARE(test_close_spares_replacement),
		BARE(test_stale_socket),
		RUNNING(test_live_socket),
		BARE(test_not_a_socket),
		BARE(test_path_length),
	};

	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests_name("control", tests, NULL, NULL);
}
