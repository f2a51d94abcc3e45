/* SPDX-License-Identifier: Apache-2.0 */
/*
 * One field of a /proc status file (proc(5)), for the tests that check
 * what a process or thread holds: ids, capabilities, no_new_privs, seccomp.
 * Header-only: unit tests include it without tests/lib's objects.
 */
#ifndef VESSEL_TEST_PROCSTATUS_H
#define VESSEL_TEST_PROCSTATUS_H

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

/*
 * "NAME:\tvalue" of @file (/proc/self/status, /proc/PID/task/TID/status)
 * into @out, blanks around it trimmed; false (and "") when it is not there.
 */
static inline bool proc_status_field(const char *file, const char *name,
				     char *out, size_t size)
{
	FILE *f = fopen(file, "re");
	size_t n = strlen(name), len;
	char line[256];
	bool found = false;

	out[0] = '\0';
	while (f && !found && fgets(line, sizeof(line), f)) {
		if (strncmp(line, name, n) || line[n] != ':')
			continue;
		snprintf(out, size, "%s",
			 line + n + 1 + strspn(line + n + 1, "\t "));
		len = strlen(out);
		while (len && (out[len - 1] == '\n' || out[len - 1] == ' '))
			out[--len] = '\0';
		found = true;
	}
	if (f)
		fclose(f);
	return found;
}

#endif
