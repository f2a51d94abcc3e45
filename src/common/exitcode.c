// SPDX-License-Identifier: Apache-2.0
#include "exitcode.h"

#include <stddef.h>

const struct exitcode_info exitcode_table[] = {
	{ EXIT_POWEROFF, "poweroff",
	  "the guest powered off (ACPI S5), by itself or after a power-button press" },
	{ EXIT_POWER_CUT, "power-cut", "power cut by the host (SIGQUIT)" },
	{ EXIT_WATCHDOG, "watchdog",
	  "the watchdog expired and its action was to terminate" },
	{ EXIT_REBOOT, "reboot",
	  "the guest asked to reboot (ACPI reset register, port 0xCF9, i8042 0xFE, triple fault)" },
	{ EXIT_GUEST_ERROR, "guest-error",
	  "the guest's state became unusable (KVM internal or emulation error)" },
	{ EXIT_PANIC, "panic", "the guest panicked (pvpanic)" },
	{ EXIT_TERMINATED, "terminated",
	  "terminated by the host: second SIGTERM/SIGINT, power-button timeout, or no power button" },
	{ EXIT_USAGE, "usage",
	  "fatal error before the guest started: bad command line, unusable image, no KVM" },
	{ EXIT_CONFIG, "config",
	  "configuration file error (file and line named)" },
	{ EXIT_INTERNAL, "internal",
	  "fatal error after the guest started (vessel's own failure)" },
	{ 0, NULL, NULL },
};

const struct exitcode_info *exitcode_find(int code)
{
	const struct exitcode_info *e;

	for (e = exitcode_table; e->name; e++)
		if (e->code == code)
			return e;
	return NULL;
}
