// SPDX-License-Identifier: Apache-2.0
/*
 * The hook runner (hookrun.h). Requests and answers are datagrams on a
 * SOCK_SEQPACKET pair: a run request is 'R', the number of a command the
 * runner was started with, then the variables, each NUL-terminated; its
 * answer is the pid with the exit
 * descriptor (the read end of a pipe) in SCM_RIGHTS. A kill request is
 * 'K' with the pid and the signal; it has no answer. The runner writes a
 * hook's wait status into its pipe when it reaps it.
 */
#include "hookrun.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../common/log.h"
#include "../common/types.h"

#define HOOKRUN_MSG_MAX 16384
#define HOOKRUN_MAX_HOOKS 16
#define HOOKRUN_ANSWER_MS 5000
#define HOOKRUN_FD 3 /* the runner's end, after it closed the rest */
#define HOOKRUN_MAX_CMDS 4
#define HOOKRUN_VAR_PREFIX "VESSEL_"

struct hookrun_kill_msg {
	char type; /* 'K' */
	s32 pid;
	s32 sig;
};

/* Process-wide by nature: one runner, as there is one process. */
static struct {
	pthread_mutex_t lock;
	int fd; /* vessel's end, or -1 */
	pid_t pid;
	/*
	 * The commands it may run, fixed when it starts: a vessel taken
	 * over by its guest cannot make it run another, or set anything but
	 * VESSEL_* variables (no LD_PRELOAD).
	 */
	char *cmds[HOOKRUN_MAX_CMDS];
	int nr_cmds;
	/*
	 * hookrun_start() was called: the caller's threads may be under
	 * allowlists without fork by now, so a spawn never forks the runner.
	 */
	bool managed;
} hr = { .lock = PTHREAD_MUTEX_INITIALIZER, .fd = -1 };

/* --- the runner --- */

struct hookrun_child {
	pid_t pid;
	int status_fd; /* the pipe's write end */
};

/* The hook itself: a process group, the variables, stdout to stderr. */
static __attribute__((noreturn)) void hookrun_exec(char *msg, size_t len)
{
	const char *cmd = hr.cmds[(u8)msg[1]];
	sigset_t none;
	char *p;

	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	signal(SIGPIPE, SIG_DFL);
	signal(SIGCHLD, SIG_DFL);
	setpgid(0, 0);
	for (p = msg + 2; p < msg + len; p += strlen(p) + 1)
		putenv(p);
	dup2(STDERR_FILENO, STDOUT_FILENO);
	execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
	_exit(127);
}

static int hookrun_answer(int sock, pid_t pid, int fd)
{
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} ctl;
	s32 p = pid;
	struct iovec iov = { .iov_base = &p, .iov_len = sizeof(p) };
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1 };
	struct cmsghdr *cm;

	if (fd >= 0) {
		m.msg_control = ctl.buf;
		m.msg_controllen = sizeof(ctl.buf);
		cm = CMSG_FIRSTHDR(&m);
		cm->cmsg_level = SOL_SOCKET;
		cm->cmsg_type = SCM_RIGHTS;
		cm->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(cm), &fd, sizeof(fd));
	}
	return sendmsg(sock, &m, MSG_NOSIGNAL) < 0 ? -errno : 0;
}

/* A run request: fork the hook, answer its pid and exit descriptor. */
static void hookrun_run(int sock, struct hookrun_child *kids, char *msg,
			size_t len)
{
	int i, p[2];
	pid_t pid;

	for (i = 0; i < HOOKRUN_MAX_HOOKS && kids[i].pid; i++)
		;
	if (i == HOOKRUN_MAX_HOOKS || pipe2(p, O_CLOEXEC)) {
		hookrun_answer(sock, -EAGAIN, -1);
		return;
	}
	pid = fork();
	if (pid == 0) {
		close(sock);
		hookrun_exec(msg, len);
	}
	if (pid < 0) {
		hookrun_answer(sock, -errno, -1);
		close(p[0]);
		close(p[1]);
		return;
	}
	/* Before the answer: a kill that follows it must find the group. */
	setpgid(pid, pid);
	kids[i] = (struct hookrun_child){ .pid = pid, .status_fd = p[1] };
	hookrun_answer(sock, pid, p[0]);
	close(p[0]);
}

static void hookrun_kill_child(struct hookrun_child *kids,
			       const struct hookrun_kill_msg *k)
{
	int i;

	/* Only a hook not yet reaped: its pid cannot be someone else's. */
	for (i = 0; i < HOOKRUN_MAX_HOOKS; i++)
		if (kids[i].pid && kids[i].pid == k->pid)
			kill(-k->pid, k->sig);
}

static void hookrun_reap(struct hookrun_child *kids)
{
	int i, status;
	pid_t pid;

	while ((pid = waitpid(-1, &status, WNOHANG)) > 0)
		for (i = 0; i < HOOKRUN_MAX_HOOKS; i++) {
			if (kids[i].pid != pid)
				continue;
			if (write(kids[i].status_fd, &status, sizeof(status)) <
			    0)
				log_warn_errno("hook runner: status of %d",
					       pid);
			close(kids[i].status_fd);
			kids[i].pid = 0;
		}
}

/* A command the runner knows, and only VESSEL_* variables. */
static bool hookrun_valid(const char *msg, size_t len)
{
	const char *p;

	if (len < 2 || msg[len - 1] || (u8)msg[1] >= hr.nr_cmds)
		return false;
	for (p = msg + 2; p < msg + len; p += strlen(p) + 1)
		if (strncmp(p, HOOKRUN_VAR_PREFIX,
			    strlen(HOOKRUN_VAR_PREFIX)) ||
		    !strchr(p, '='))
			return false;
	return true;
}

/* One request; false when vessel's end is closed. */
static bool hookrun_request(int sock, struct hookrun_child *kids, char *msg)
{
	struct hookrun_kill_msg k;
	ssize_t n = recv(sock, msg, HOOKRUN_MSG_MAX, 0);

	if (n <= 0)
		return n < 0 && errno == EINTR;
	if (msg[0] == 'R' && hookrun_valid(msg, n)) {
		hookrun_run(sock, kids, msg, n);
	} else if (msg[0] == 'R') {
		hookrun_answer(sock, -EPERM, -1);
	} else if (msg[0] == 'K' && n == sizeof(k)) {
		memcpy(&k, msg, sizeof(k));
		hookrun_kill_child(kids, &k);
	}
	return true;
}

static __attribute__((noreturn)) void hookrun_main(int sock)
{
	struct hookrun_child kids[HOOKRUN_MAX_HOOKS] = { 0 };
	struct pollfd p[2];
	sigset_t chld;
	char *msg = malloc(HOOKRUN_MSG_MAX);

	/* Told apart from vessel in ps and /proc/PID/comm. */
	prctl(PR_SET_NAME, "vessel-hooks", 0, 0, 0);
	/* Nothing of vessel's but stdio: no KVM, image or socket fds. */
	if (dup2(sock, HOOKRUN_FD) < 0)
		_exit(1);
	close_range(HOOKRUN_FD + 1, ~0U, 0);
	sigemptyset(&chld);
	sigaddset(&chld, SIGCHLD);
	sigprocmask(SIG_BLOCK, &chld, NULL);
	p[0] = (struct pollfd){ .fd = HOOKRUN_FD, .events = POLLIN };
	p[1] = (struct pollfd){ .fd = signalfd(-1, &chld, SFD_CLOEXEC),
				.events = POLLIN };
	if (!msg || p[1].fd < 0)
		_exit(1);
	for (;;) {
		if (poll(p, 2, -1) < 0 && errno != EINTR)
			_exit(1);
		if (p[1].revents) {
			struct signalfd_siginfo si;

			if (read(p[1].fd, &si, sizeof(si)) < 0)
				si.ssi_signo = 0;
			hookrun_reap(kids);
		}
		if (p[0].revents && !hookrun_request(HOOKRUN_FD, kids, msg))
			_exit(0);
	}
}

/* --- vessel's side --- */

/* The commands it will run: only these, from now on. */
static int hookrun_set_cmds(const char *const cmds[])
{
	int i;

	for (i = 0; i < hr.nr_cmds; i++)
		free(hr.cmds[i]);
	hr.nr_cmds = 0;
	for (i = 0; cmds[i]; i++) {
		if (i == HOOKRUN_MAX_CMDS)
			return -E2BIG;
		hr.cmds[i] = strdup(cmds[i]);
		if (!hr.cmds[i])
			return -ENOMEM;
		hr.nr_cmds++;
	}
	return 0;
}

static int hookrun_start_locked(const char *const cmds[])
{
	int sv[2], ret;
	pid_t pid;

	if (hr.fd >= 0)
		return 0;
	ret = hookrun_set_cmds(cmds);
	if (ret)
		return ret;
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv))
		return -errno;
	pid = fork();
	if (pid < 0) {
		close(sv[0]);
		close(sv[1]);
		return -errno;
	}
	if (pid == 0) {
		close(sv[0]);
		hookrun_main(sv[1]);
	}
	close(sv[1]);
	hr.fd = sv[0];
	hr.pid = pid;
	return 0;
}

int hookrun_start(const char *const cmds[])
{
	int ret;

	pthread_mutex_lock(&hr.lock);
	hr.managed = true;
	ret = hookrun_start_locked(cmds);
	pthread_mutex_unlock(&hr.lock);
	if (ret)
		log_err("cannot start the hook runner: %s", strerror(-ret));
	return ret;
}

void hookrun_stop(void)
{
	pthread_mutex_lock(&hr.lock);
	if (hr.fd >= 0) {
		close(hr.fd);
		/* It exits at once; reaped if it did, else init inherits it. */
		waitpid(hr.pid, NULL, WNOHANG);
	}
	hr.fd = -1;
	hr.pid = 0;
	hr.managed = false;
	hookrun_set_cmds((const char *const[]){ NULL });
	pthread_mutex_unlock(&hr.lock);
}

static int hookrun_put(char *msg, size_t *len, const char *s)
{
	size_t n = strlen(s) + 1;

	if (*len + n > HOOKRUN_MSG_MAX)
		return -E2BIG;
	memcpy(msg + *len, s, n);
	*len += n;
	return 0;
}

/* The request for the runner's command @index. */
static int hookrun_build(char *msg, size_t *len, int index, const char *name,
			 const char *const *env)
{
	char var[64];
	int ret;

	msg[0] = 'R';
	msg[1] = (char)index;
	*len = 2;
	snprintf(var, sizeof(var), "VESSEL_PID=%d", (int)getpid());
	ret = hookrun_put(msg, len, var);
	ret = ret ? ret : hookrun_put(msg, len, "VESSEL_NAME=");
	if (!ret && name) {
		(*len)--; /* append the name to "VESSEL_NAME=" */
		ret = hookrun_put(msg, len, name);
	}
	for (; !ret && env && *env; env++)
		ret = hookrun_put(msg, len, *env);
	return ret;
}

/* The runner's answer to a run request: the pid and the exit fd. */
static int hookrun_recv_answer(pid_t *pid, int *exit_fd)
{
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} ctl;
	s32 p;
	struct iovec iov = { .iov_base = &p, .iov_len = sizeof(p) };
	struct msghdr m = { .msg_iov = &iov,
			    .msg_iovlen = 1,
			    .msg_control = ctl.buf,
			    .msg_controllen = sizeof(ctl.buf) };
	struct pollfd pf = { .fd = hr.fd, .events = POLLIN };
	struct cmsghdr *cm;

	if (poll(&pf, 1, HOOKRUN_ANSWER_MS) != 1)
		return -ETIMEDOUT;
	if (recvmsg(hr.fd, &m, MSG_CMSG_CLOEXEC) != sizeof(p))
		return -EPIPE;
	cm = CMSG_FIRSTHDR(&m);
	if (p <= 0 || !cm || cm->cmsg_type != SCM_RIGHTS)
		return p < 0 ? p : -EPIPE;
	memcpy(exit_fd, CMSG_DATA(cm), sizeof(*exit_fd));
	*pid = p;
	return 0;
}

static int hookrun_index(const char *cmd)
{
	int i;

	for (i = 0; i < hr.nr_cmds; i++)
		if (!strcmp(hr.cmds[i], cmd))
			return i;
	return -EPERM; /* not one it was started with */
}

int hookrun_spawn(const char *cmd, const char *name, const char *const *env,
		  pid_t *pid, int *exit_fd)
{
	char *msg = malloc(HOOKRUN_MSG_MAX);
	size_t len = 0;
	int ret = msg ? 0 : -ENOMEM, index;

	pthread_mutex_lock(&hr.lock);
	if (!ret && hr.fd < 0 && hr.managed)
		ret = -ECHILD; /* it failed to start: no fork now */
	ret = ret ? ret :
		    hookrun_start_locked((const char *const[]){ cmd, NULL });
	index = ret ? ret : hookrun_index(cmd);
	ret = index < 0 ? index : hookrun_build(msg, &len, index, name, env);
	if (!ret && send(hr.fd, msg, len, MSG_NOSIGNAL) < 0)
		ret = -errno;
	ret = ret ? ret : hookrun_recv_answer(pid, exit_fd);
	pthread_mutex_unlock(&hr.lock);
	free(msg);
	return ret;
}

int hookrun_kill(pid_t pid, int sig)
{
	struct hookrun_kill_msg k = { .type = 'K', .pid = pid, .sig = sig };
	int ret = 0;

	pthread_mutex_lock(&hr.lock);
	if (hr.fd < 0)
		ret = -ESRCH;
	else if (send(hr.fd, &k, sizeof(k), MSG_NOSIGNAL) < 0)
		ret = -errno;
	pthread_mutex_unlock(&hr.lock);
	return ret;
}

int hookrun_status(int exit_fd, int *status)
{
	struct pollfd p = { .fd = exit_fd, .events = POLLIN };
	ssize_t n;

	if (poll(&p, 1, 0) != 1)
		return -EAGAIN;
	n = read(exit_fd, status, sizeof(*status));
	if (n == sizeof(*status))
		return 0;
	return n < 0 && errno == EINTR ? -EAGAIN : -EPIPE;
}

bool hookrun_wait(int exit_fd, int ms, int *status)
{
	struct pollfd p = { .fd = exit_fd, .events = POLLIN };

	while (poll(&p, 1, ms) < 0)
		if (errno != EINTR)
			return false;
	return hookrun_status(exit_fd, status) == 0;
}
