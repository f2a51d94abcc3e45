/* SPDX-License-Identifier: Apache-2.0 */
#ifndef VESSEL_EXITCODE_H
#define VESSEL_EXITCODE_H

/*
 * The exit codes of vessel: a stable contract (DESIGN.md). The QNX qvm's
 * codes are kept where it has them; the rest lie in qvm's user range 32-63.
 */
enum exitcode {
	EXIT_POWEROFF = 0,
	EXIT_POWER_CUT = 3,
	EXIT_WATCHDOG = 4,
	EXIT_REBOOT = 32,
	EXIT_GUEST_ERROR = 33,
	EXIT_PANIC = 34,
	EXIT_TERMINATED = 35,
	EXIT_USAGE = 64,
	EXIT_CONFIG = 65,
	EXIT_INTERNAL = 96,
};

struct exitcode_info {
	int code;
	const char *name; /* short, stable token: "poweroff" */
	const char *meaning; /* one line for --help and the man page */
};

/* The whole table, terminated by an entry with name == NULL. */
extern const struct exitcode_info exitcode_table[];

/* Lookup by code; NULL when the code is not one of ours. */
const struct exitcode_info *exitcode_find(int code);

#endif
