// SPDX-License-Identifier: Apache-2.0
/*
 * vessel's exit codes (DESIGN.md's table) → the policy key that applies.
 * The table is by code, so a code added to exitcode.c without a row here
 * is a crash, the cautious reading, and says so in its reason.
 */
#include "policy.h"

#include <stdio.h>
#include <string.h>

#include "../common/exitcode.h"

static const struct {
	int code;
	enum config_on on;
} policy_codes[] = {
	{ EXIT_POWEROFF, CONFIG_ON_POWEROFF },
	{ EXIT_POWER_CUT, CONFIG_ON_TERMINATED },
	{ EXIT_WATCHDOG, CONFIG_ON_WATCHDOG },
	{ EXIT_REBOOT, CONFIG_ON_REBOOT },
	{ EXIT_GUEST_ERROR, CONFIG_ON_CRASH },
	{ EXIT_PANIC, CONFIG_ON_CRASH },
	{ EXIT_TERMINATED, CONFIG_ON_TERMINATED },
	{ EXIT_USAGE, CONFIG_ON_NONE },
	{ EXIT_CONFIG, CONFIG_ON_NONE },
	{ EXIT_INTERNAL, CONFIG_ON_CRASH },
};

static void policy_exit_signal(struct policy_exit *e, int sig)
{
	const char *abbrev = sigabbrev_np(sig);

	e->code = -1;
	e->sig = sig;
	e->on = CONFIG_ON_CRASH;
	if (abbrev)
		snprintf(e->reason, sizeof(e->reason), "killed by SIG%s",
			 abbrev);
	else
		snprintf(e->reason, sizeof(e->reason), "killed by signal %d",
			 sig);
}

void policy_exit_of(struct policy_exit *e, int code, int sig)
{
	const struct exitcode_info *info = exitcode_find(code);
	size_t i;

	if (sig) {
		policy_exit_signal(e, sig);
		return;
	}
	e->code = code;
	e->sig = 0;
	e->on = CONFIG_ON_CRASH;
	snprintf(e->reason, sizeof(e->reason), "exit %d", code);
	for (i = 0; i < ARRAY_SIZE(policy_codes); i++) {
		if (policy_codes[i].code != code || !info)
			continue;
		e->on = policy_codes[i].on;
		snprintf(e->reason, sizeof(e->reason), "%s", info->name);
	}
}

void policy_exit_from_siginfo(struct policy_exit *e, const siginfo_t *si)
{
	if (si->si_code == CLD_EXITED)
		policy_exit_of(e, si->si_status, 0);
	else
		policy_exit_of(e, -1, si->si_status);
}

enum config_action policy_action(const struct config_guest *g,
				 const struct policy_exit *e)
{
	if (e->on >= CONFIG_ON_NR)
		return CONFIG_STOP;
	return g->on[e->on];
}
