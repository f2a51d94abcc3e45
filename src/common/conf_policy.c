// SPDX-License-Identifier: Apache-2.0
/*
 * vesseld's policy keys: one row each. They live beside vessel's own keys
 * (conf_keys.c) so that one guest file serves `vessel @file` and vesseld,
 * and a bad value is refused with its file:line by both. vessel reads none
 * of them; src/vesseld/config.c does, with the defaults named here.
 */
#include "conf.h"

#define DAY_MS 86400000ULL

/* What to do when the guest stops in a given way. */
#define CONF_ON(key, def, what)                                              \
	{                                                                    \
		key, CONF_CHOICE, .choices = "restart|stop",                 \
				  .help_arg = "restart|stop",                \
				  .help = "vesseld: when " what              \
					  ", restart the guest or leave it " \
					  "down (default " def ")"           \
	}

const struct conf_key conf_policy_keys[] = {
	CONF_ON("on-poweroff", "stop", "the guest powers off (exit 0)"),
	CONF_ON("on-reboot", "restart", "the guest reboots (exit 32)"),
	CONF_ON("on-crash", "stop",
		"the guest panics (34), its state is unusable (33), vessel fails "
		"(96) or is killed by a signal"),
	CONF_ON("on-watchdog", "stop", "the watchdog terminates it (exit 4)"),
	CONF_ON("on-terminated", "stop",
		"the host terminated it (35) or cut its power (3) without "
		"vesseld asking"),
	{ "restart-delay", CONF_TIME, 0, DAY_MS, .help_arg = "TIME",
	  .help = "vesseld: first delay before a restart (default 1s)" },
	{ "restart-factor", CONF_UINT, 1, 16, .help_arg = "N",
	  .help = "vesseld: each further restart waits N times longer, 1..16 (default 2)" },
	{ "restart-max-delay", CONF_TIME, 0, DAY_MS, .help_arg = "TIME",
	  .help = "vesseld: the delay grows up to TIME (default 60s)" },
	{ "restart-quiet", CONF_TIME, 0, DAY_MS, .help_arg = "TIME",
	  .help = "vesseld: a run longer than TIME resets the delay (default 60s)" },
	{ "restart-limit", CONF_UINT, 1, 100, .help_arg = "N",
	  .help = "vesseld: more than N restarts within restart-window mark the guest failed, 1..100 (default 5)" },
	{ "restart-window", CONF_TIME, 0, 7 * DAY_MS, .help_arg = "TIME",
	  .help = "vesseld: the window of restart-limit; 0 turns the limit off (default 5m)" },
	{ "stop-timeout", CONF_TIME, 1, DAY_MS, .help_arg = "TIME",
	  .help = "vesseld: from the power button to a terminating SIGTERM (default 30s)" },
	{ "after", CONF_NAMES, .help_arg = "NAME...",
	  .help = "vesseld: start after these guests, stop before them (repeatable)" },
	{ "autostart", CONF_CHOICE, .choices = "yes|no", .help_arg = "yes|no",
	  .help = "vesseld: start the guest when vesseld starts (default yes)" },
	{ "shares-device-with", CONF_NAMES, .help_arg = "NAME...",
	  .help = "vesseld: guests told when this one announces its shutdown (repeatable)" },
	{ "on-guest-shutdown-hook", CONF_STRING, .help_arg = "CMD",
	  .help = "vesseld: host command (sh -c) run when the guest announces its shutdown, before the peers are told" },
	{ NULL },
};
