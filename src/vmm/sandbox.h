/* SPDX-License-Identifier: Apache-2.0 */
#ifndef VESSEL_SANDBOX_H
#define VESSEL_SANDBOX_H

/*
 * System-call allowlists (seccomp, docs/security.md): each of vessel's
 * threads, once set up, runs under the list of its role. A call outside
 * it kills the process with SIGSYS after one line on stderr naming the
 * thread, the call and the architecture (`seccomp on`), or is only logged
 * by the kernel (`seccomp log`).
 */

#include <stdbool.h>

enum sandbox_role {
	SANDBOX_MAIN, /* the epoll loop, the stop sequence, the teardown */
	SANDBOX_VCPU, /* KVM_RUN and the device models it calls */
	SANDBOX_DISK, /* a virtio-blk I/O thread */
	SANDBOX_NR_ROLES,
};

enum sandbox_mode {
	SANDBOX_OFF,
	SANDBOX_ON, /* SCMP_ACT_TRAP: message, then death by SIGSYS */
	SANDBOX_LOG, /* SCMP_ACT_LOG: the kernel logs, the call runs */
};

/* "on", "log", "off" (NULL: on); -EINVAL for anything else. */
int sandbox_mode_parse(const char *s, enum sandbox_mode *mode);

/* "main", "vcpu", "disk". */
const char *sandbox_role_name(enum sandbox_role role);

/*
 * Arm the allowlists for this process: later sandbox_enter() calls load
 * filters in @mode. Installs the SIGSYS handler and resolves the system
 * call names it prints (nothing is looked up in the handler). @events_fd
 * (-1: none) also gets a `seccomp-violation` line, naming @guest (NULL:
 * none). Main thread, before any thread enters. 0 or -errno.
 */
int sandbox_arm(enum sandbox_mode mode, int events_fd, const char *guest);

/* Whether sandbox_arm() armed filters (a mode other than off). */
bool sandbox_armed(void);

/*
 * Load @role's allowlist into the calling thread (only that thread; a
 * thread it creates afterwards inherits it). Nothing when not armed.
 * Unblocks SIGSYS in the thread, so a violation reaches the handler.
 * 0 or -errno (logged).
 */
int sandbox_enter(enum sandbox_role role);

/* Forget the arming (tests; the process's filters stay). */
void sandbox_disarm(void);

#endif
