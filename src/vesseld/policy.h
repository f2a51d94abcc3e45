/* SPDX-License-Identifier: Apache-2.0 */
#ifndef VESSELD_POLICY_H
#define VESSELD_POLICY_H

/*
 * How a vessel ended → the policy key that applies and the reason its
 * events carry. Exit codes are vessel's (src/common/exitcode.h); a vessel
 * killed by a signal (SIGKILL, SIGSEGV) counts as a crash. This covers
 * exits vesseld did not ask for: a guest it stopped stays down whatever
 * its policy says.
 */

#include <signal.h>

#include "config.h"

struct policy_exit {
	int code; /* vessel's exit code; -1 when killed by a signal */
	int sig; /* the signal that killed vessel, or 0 */
	/*
	 * The key that decides: poweroff → on-poweroff, reboot → on-reboot,
	 * panic, guest-error, internal, a signal or an unknown code →
	 * on-crash, watchdog → on-watchdog, terminated and power-cut →
	 * on-terminated. CONFIG_ON_NONE for usage and config (64, 65): the
	 * guest cannot start as configured, so it is never restarted.
	 */
	enum config_on on;
	/*
	 * For events: the exit code's name ("poweroff", "reboot", "panic",
	 * "power-cut", ...), "killed by SIGKILL", or "exit 7" for a code
	 * that is not vessel's.
	 */
	char reason[48];
};

/* Classify exit code @code (@sig 0) or death by signal @sig (@code ignored). */
void policy_exit_of(struct policy_exit *e, int code, int sig);

/* The same from waitid()'s CLD_EXITED, CLD_KILLED or CLD_DUMPED siginfo. */
void policy_exit_from_siginfo(struct policy_exit *e, const siginfo_t *si);

/* What @g's policy says for @e: CONFIG_STOP for CONFIG_ON_NONE. */
enum config_action policy_action(const struct config_guest *g,
				 const struct policy_exit *e);

#endif
