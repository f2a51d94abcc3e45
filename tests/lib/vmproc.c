// SPDX-License-Identifier: Apache-2.0
#include "vmproc.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define PROBE_TIMEOUT_MS 60000

const char *vessel_path(void)
{
	const char *p = getenv("VESSEL");

	return p ? p : "build/vessel";
}

const char *probe_path(void)
{
	const char *p = getenv("PROBE");

	return p ? p : "build/probe.elf";
}

const char *vesselctl_path(void)
{
	const char *p = getenv("VESSELCTL");

	return p ? p : "build/vesselctl";
}

static long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000L + ts.tv_nsec / 1000000;
}

int vmproc_start(struct vmproc *p, const char *const argv[])
{
	int out[2], err[2], in[2];

	memset(p, 0, sizeof(*p));
	p->status = -1;
	if (pipe2(out, O_CLOEXEC) || pipe2(err, O_CLOEXEC) ||
	    pipe2(in, O_CLOEXEC))
		return -errno;
	p->pid = fork();
	if (p->pid < 0)
		return -errno;
	if (p->pid == 0) {
		dup2(in[0], 0);
		dup2(out[1], 1);
		dup2(err[1], 2);
		execv(argv[0], (char *const *)argv);
		perror(argv[0]);
		_exit(127);
	}
	close(out[1]);
	close(err[1]);
	close(in[0]);
	p->out_fd = out[0];
	p->err_fd = err[0];
	p->in_fd = in[1];
	p->out = calloc(1, 1);
	p->err = calloc(1, 1);
	return 0;
}

/* vessel's command line for @scenario; @cmdline must outlive the start. */
static void vmproc_probe_argv(const char *argv[64], char *cmdline, size_t size,
			      const char *scenario, const char *const extra[])
{
	int n = 0;

	snprintf(cmdline, size, "probe.test=%s", scenario);
	argv[n++] = vessel_path();
	argv[n++] = "--kernel";
	argv[n++] = probe_path();
	argv[n++] = "--cmdline";
	argv[n++] = cmdline;
	argv[n++] = "--mem";
	argv[n++] = "64M";
	while (extra && *extra && n < 62)
		argv[n++] = *extra++;
	argv[n] = NULL;
}

int vmproc_start_probe(struct vmproc *p, const char *scenario,
		       const char *const extra[])
{
	const char *argv[64];
	static char cmdline[256];

	vmproc_probe_argv(argv, cmdline, sizeof(cmdline), scenario, extra);
	return vmproc_start(p, argv);
}

/* In the child: a new session whose controlling terminal is @slave. */
static void vmproc_tty_child(int slave, int err, const char *const argv[])
{
	if (setsid() < 0 || ioctl(slave, TIOCSCTTY, 0) < 0) {
		perror("vmproc: controlling terminal");
		_exit(127);
	}
	dup2(slave, 0);
	dup2(slave, 1);
	dup2(err, 2);
	execv(argv[0], (char *const *)argv);
	perror(argv[0]);
	_exit(127);
}

int vmproc_start_tty(struct vmproc *p, const char *const argv[], int master)
{
	int err[2], slave;
	char name[64];

	memset(p, 0, sizeof(*p));
	p->status = -1;
	p->out_fd = p->in_fd = -1;
	if (ptsname_r(master, name, sizeof(name)) || pipe2(err, O_CLOEXEC))
		return -errno;
	slave = open(name, O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (slave < 0)
		return -errno;
	p->pid = fork();
	if (p->pid < 0)
		return -errno;
	if (p->pid == 0)
		vmproc_tty_child(slave, err[1], argv);
	close(slave);
	close(err[1]);
	p->err_fd = err[0];
	p->out_fd = fcntl(master, F_DUPFD_CLOEXEC, 3);
	p->in_fd = fcntl(master, F_DUPFD_CLOEXEC, 3);
	p->out = calloc(1, 1);
	p->err = calloc(1, 1);
	return p->out_fd < 0 || p->in_fd < 0 ? -EMFILE : 0;
}

int vmproc_start_probe_tty(struct vmproc *p, const char *scenario,
			   const char *const extra[], int master)
{
	const char *argv[64];
	static char cmdline[256];

	vmproc_probe_argv(argv, cmdline, sizeof(cmdline), scenario, extra);
	return vmproc_start_tty(p, argv, master);
}

/* Append what @fd has to @buf; returns bytes read, 0 at EOF. */
static ssize_t vmproc_drain(int fd, char **buf, size_t *len)
{
	char tmp[4096];
	ssize_t n = read(fd, tmp, sizeof(tmp));

	if (n <= 0)
		return n;
	*buf = realloc(*buf, *len + n + 1);
	memcpy(*buf + *len, tmp, n);
	*len += n;
	(*buf)[*len] = '\0';
	return n;
}

/* Wait up to @ms for output on either stream; false when both are closed. */
static bool vmproc_pump(struct vmproc *p, int ms)
{
	struct pollfd fds[2] = { { .fd = p->out_fd, .events = POLLIN },
				 { .fd = p->err_fd, .events = POLLIN } };

	if (p->out_fd < 0 && p->err_fd < 0)
		return false;
	if (poll(fds, 2, ms) <= 0)
		return true;
	if (fds[0].revents &&
	    vmproc_drain(p->out_fd, &p->out, &p->out_len) <= 0) {
		close(p->out_fd);
		p->out_fd = -1;
	}
	if (fds[1].revents &&
	    vmproc_drain(p->err_fd, &p->err, &p->err_len) <= 0) {
		close(p->err_fd);
		p->err_fd = -1;
	}
	return true;
}

bool vmproc_wait_output(struct vmproc *p, const char *needle, int timeout_ms)
{
	long end = now_ms() + timeout_ms;

	while (!strstr(p->out, needle)) {
		long left = end - now_ms();

		if (left <= 0 || !vmproc_pump(p, left > 100 ? 100 : left))
			return strstr(p->out, needle) != NULL;
	}
	return true;
}

static bool vmproc_reap(struct vmproc *p, int flags)
{
	int st;

	if (p->status >= 0)
		return true;
	if (waitpid(p->pid, &st, flags) != p->pid)
		return false;
	p->status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
	return true;
}

int vmproc_wait_exit(struct vmproc *p, int timeout_ms)
{
	long end = now_ms() + timeout_ms;

	while (!vmproc_reap(p, WNOHANG)) {
		if (now_ms() >= end) {
			fprintf(stderr,
				"vmproc: pid %d still running after %d ms: SIGQUIT\n",
				p->pid, timeout_ms);
			kill(p->pid, SIGQUIT);
			vmproc_reap(p, 0);
			return -1;
		}
		if (!vmproc_pump(p, 20))
			usleep(10000);
	}
	while (vmproc_pump(p, 0) && (p->out_fd >= 0 || p->err_fd >= 0))
		;
	return p->status;
}

int vmproc_kill(struct vmproc *p, int sig)
{
	if (p->status >= 0)
		return -ESRCH;
	return kill(p->pid, sig) ? -errno : 0;
}

bool vmproc_alive_after(struct vmproc *p, int ms)
{
	long end = now_ms() + ms;

	while (!vmproc_reap(p, WNOHANG)) {
		long left = end - now_ms();

		if (left <= 0)
			return true;
		if (!vmproc_pump(p, left > 20 ? 20 : left))
			usleep(10000);
	}
	return false;
}

int vmproc_input(struct vmproc *p, const char *s)
{
	size_t len = strlen(s);

	return write(p->in_fd, s, len) == (ssize_t)len ? 0 : -EIO;
}

int vmproc_count(const struct vmproc *p, const char *needle)
{
	const char *s = p->out;
	int n = 0;

	while ((s = strstr(s, needle))) {
		n++;
		s += strlen(needle);
	}
	return n;
}

void vmproc_dump(const struct vmproc *p)
{
	fprintf(stderr,
		"---- vessel stdout ----\n%s\n---- vessel stderr ----\n%s\n----\n",
		p->out ? p->out : "", p->err ? p->err : "");
}

void vmproc_free(struct vmproc *p)
{
	if (p->status < 0 && p->pid > 0) {
		kill(p->pid, SIGQUIT);
		vmproc_reap(p, 0);
	}
	if (p->out_fd >= 0)
		close(p->out_fd);
	if (p->err_fd >= 0)
		close(p->err_fd);
	if (p->in_fd >= 0)
		close(p->in_fd);
	free(p->out);
	free(p->err);
	memset(p, 0, sizeof(*p));
}

int vmproc_run_probe(struct vmproc *p, const char *scenario,
		     const char *const extra[])
{
	int ret = vmproc_start_probe(p, scenario, extra);

	return ret ? ret : vmproc_wait_exit(p, PROBE_TIMEOUT_MS);
}
