// SPDX-License-Identifier: Apache-2.0
/*
 * LD_PRELOAD shim for test_seccomp.c: with VESSEL_SHIM_PTRACE_AFTER=N in
 * the environment, the thread that makes its Nth KVM_RUN then calls
 * ptrace(), which no allowlist has: vessel must die of SIGSYS with its
 * message. Without the variable it only passes ioctl() on.
 */
#include <dlfcn.h>
#include <linux/kvm.h>
#include <stdarg.h>
#include <stdlib.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <unistd.h>

typedef int (*ioctl_fn)(int, unsigned long, ...);

static __thread long kvm_runs;

int ioctl(int fd, unsigned long req, ...);

int ioctl(int fd, unsigned long req, ...)
{
	static ioctl_fn next;
	const char *after = getenv("VESSEL_SHIM_PTRACE_AFTER");
	va_list ap;
	void *arg;

	va_start(ap, req);
	arg = va_arg(ap, void *);
	va_end(ap);
	if (!next)
		next = (ioctl_fn)dlsym(RTLD_NEXT, "ioctl");
	if (req == KVM_RUN && after && ++kvm_runs == atol(after))
		syscall(SYS_ptrace, PTRACE_PEEKDATA, getpid(), NULL, NULL);
	return next(fd, req, arg);
}
