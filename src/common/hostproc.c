// SPDX-License-Identifier: Apache-2.0
#include "hostproc.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/signalfd.h>
#include <unistd.h>

static void hostproc_sigset(sigset_t *set)
{
	sigemptyset(set);
	sigaddset(set, SIGTERM);
	sigaddset(set, SIGINT);
	sigaddset(set, SIGQUIT);
	sigaddset(set, SIGHUP);
}

void hostproc_thread_sigmask(int keep)
{
	static const int faults[] = { SIGSEGV, SIGBUS, SIGILL, SIGFPE,
				      SIGABRT };
	sigset_t set;
	size_t i;

	sigfillset(&set);
	if (keep)
		sigdelset(&set, keep);
	for (i = 0; i < sizeof(faults) / sizeof(faults[0]); i++)
		sigdelset(&set, faults[i]);
	pthread_sigmask(SIG_SETMASK, &set, NULL);
}

int hostproc_signalfd(void)
{
	sigset_t set;
	int fd, ret;

	signal(SIGPIPE, SIG_IGN);
	hostproc_sigset(&set);
	ret = pthread_sigmask(SIG_BLOCK, &set, NULL);
	if (ret)
		return -ret;
	fd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
	return fd < 0 ? -errno : fd;
}

void hostproc_exec_hook(const char *cmd, const char *name)
{
	sigset_t none;
	char num[16];

	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	signal(SIGPIPE, SIG_DFL);
	setpgid(0, 0);
	setenv("VESSEL_NAME", name ? name : "", 1);
	snprintf(num, sizeof(num), "%d", (int)getppid());
	setenv("VESSEL_PID", num, 1);
	dup2(STDERR_FILENO, STDOUT_FILENO);
	execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
	_exit(127);
}
