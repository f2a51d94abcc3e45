// SPDX-License-Identifier: Apache-2.0
/*
 * fork + exec of a vessel (spawn.h). The child reports a failed step
 * through a close-on-exec pipe: zero bytes read means the exec happened.
 */
#include "spawn.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../common/userid.h"

/* What failed in the child, written to the pipe before _exit(). */
struct spawn_failure {
	int step; /* index into spawn_steps */
	int err;
};

static const char *const spawn_steps[] = {
	"setsid", "open /dev/null", "open the log",
	"chdir",  "exec",	    "become the guest's user",
};

static void spawn_fail(int pipe_fd, int step)
{
	struct spawn_failure f = { step, errno };

	if (write(pipe_fd, &f, sizeof(f)) < 0)
		_exit(127);
	_exit(127);
}

/* In the child: only async-signal-safe calls until the exec. */
static void spawn_child(const struct spawn *s, const struct spawn_cred *cred,
			int pipe_fd)
{
	sigset_t none;
	int fd, sig;

	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	for (sig = 1; sig < NSIG; sig++)
		if (sig != SIGKILL && sig != SIGSTOP)
			signal(sig, SIG_DFL);
	if (setsid() < 0)
		spawn_fail(pipe_fd, 0);
	fd = open("/dev/null", O_RDONLY);
	if (fd < 0 || dup2(fd, STDIN_FILENO) < 0)
		spawn_fail(pipe_fd, 1);
	fd = open(s->log, O_WRONLY | O_CREAT | O_APPEND | O_NOFOLLOW, 0600);
	if (fd < 0 || dup2(fd, STDOUT_FILENO) < 0 ||
	    dup2(fd, STDERR_FILENO) < 0)
		spawn_fail(pipe_fd, 2);
	if (s->cwd && chdir(s->cwd))
		spawn_fail(pipe_fd, 3);
	/* Last, so the log above was opened as vesseld; then as vessel's
	 * own hooks: that user, no way back, no new privileges. */
	if (cred && (setgroups(cred->ngroups, cred->groups) ||
		     setresgid(cred->gid, cred->gid, cred->gid) ||
		     setresuid(cred->uid, cred->uid, cred->uid) ||
		     prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0)))
		spawn_fail(pipe_fd, 5);
	/* vesseld is single-threaded: putenv after fork is safe here. */
	for (char *const *e = s->env; e && *e; e++)
		putenv(*e);
	/* vesseld's own fds (sockets, pidfds, epoll) are not the guest's. */
	syscall(SYS_close_range, 3, ~0U, CLOSE_RANGE_CLOEXEC);
	if (strchr(s->argv[0], '/'))
		execv(s->argv[0], (char *const *)s->argv);
	else
		execvp(s->argv[0], (char *const *)s->argv);
	spawn_fail(pipe_fd, 4);
}

/* Read the child's report; 0 when it exec'ed, else -errno and @err. */
static int spawn_report(int fd, pid_t pid, const struct spawn *s, char *err,
			size_t errlen)
{
	struct spawn_failure f;
	ssize_t n;

	do
		n = read(fd, &f, sizeof(f));
	while (n < 0 && errno == EINTR);
	if (n == 0)
		return 0;
	waitpid(pid, NULL, 0);
	if (n != sizeof(f) || f.step < 0 ||
	    f.step >= (int)(sizeof(spawn_steps) / sizeof(*spawn_steps))) {
		snprintf(err, errlen, "the child failed before its exec");
		return -EIO;
	}
	snprintf(err, errlen, "%s %s: %s", spawn_steps[f.step],
		 f.step == 4 ? s->argv[0] :
		 f.step == 2 ? s->log :
		 f.step == 3 ? s->cwd :
			       "",
		 strerror(f.err));
	return -f.err;
}

int spawn_start(const struct spawn *s, pid_t *pid, int *pidfd, char *err,
		size_t errlen)
{
	return spawn_start_as(s, NULL, pid, pidfd, err, errlen);
}

int spawn_start_as(const struct spawn *s, const struct spawn_cred *cred,
		   pid_t *pid, int *pidfd, char *err, size_t errlen)
{
	int p[2], ret;

	if (pipe2(p, O_CLOEXEC)) {
		snprintf(err, errlen, "pipe: %s", strerror(errno));
		return -errno;
	}
	*pid = fork();
	if (*pid < 0) {
		ret = -errno;
		snprintf(err, errlen, "fork: %s", strerror(errno));
		close(p[0]);
		close(p[1]);
		return ret;
	}
	if (*pid == 0) {
		close(p[0]);
		spawn_child(s, cred, p[1]);
	}
	close(p[1]);
	ret = spawn_report(p[0], *pid, s, err, errlen);
	close(p[0]);
	if (ret)
		return ret;
	/* Our child, not yet reaped: the pid cannot name anyone else. */
	*pidfd = syscall(SYS_pidfd_open, *pid, 0);
	if (*pidfd < 0) {
		ret = -errno;
		snprintf(err, errlen, "pidfd_open: %s", strerror(errno));
		kill(*pid, SIGQUIT);
		waitpid(*pid, NULL, 0);
		return ret;
	}
	return 0;
}

int spawn_cred_of(const struct conf *conf, struct spawn_cred *c, bool *has,
		  char *err, size_t errlen)
{
	const char *user = conf_get(conf, "user");
	struct userid id;
	int ret;

	memset(c, 0, sizeof(*c));
	*has = false;
	if (!user)
		return 0;
	ret = userid_resolve(&id, user, conf_get(conf, "group"), err, errlen);
	if (ret)
		return ret;
	c->uid = id.uid;
	c->gid = id.gid;
	c->ngroups = 1;
	c->groups[0] = id.gid;
	if (id.has_name) {
		c->ngroups = SPAWN_GROUPS_MAX;
		if (getgrouplist(id.name, id.gid, c->groups, &c->ngroups) < 0) {
			snprintf(err, errlen, "user %s: more than %d groups",
				 id.name, SPAWN_GROUPS_MAX);
			return -E2BIG;
		}
	}
	*has = true;
	return 0;
}

int spawn_signal(int pidfd, int sig)
{
	return syscall(SYS_pidfd_send_signal, pidfd, sig, NULL, 0) ? -errno : 0;
}
