// SPDX-License-Identifier: Apache-2.0
/* Where vesseld finds vessel and vesselctl (progpath.h). */
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "progpath.h"

/* @dir (with its slash, @len bytes) and @name in @buf, if executable. */
static bool progpath_try(const char *dir, size_t len, const char *name,
			 char *buf, size_t size)
{
	int n = snprintf(buf, size, "%.*s%s", (int)len, dir, name);

	return n > 0 && (size_t)n < size && !access(buf, X_OK);
}

const char *progpath_near(const char *exe, const char *name, char *buf,
			  size_t size)
{
	const char *slash = strrchr(exe, '/');
	size_t len;

	if (!slash)
		return NULL;
	len = slash + 1 - exe;
	if (progpath_try(exe, len, name, buf, size))
		return buf;
	/* .../sbin/ -> .../bin/: the same prefix's bin directory. */
	if (len >= 5 && !strncmp(slash - 4, "sbin/", 5) &&
	    (len == 5 || slash[-5] == '/') &&
	    snprintf(buf, size, "%.*sbin/%s", (int)(len - 5), exe, name) <
		    (int)size &&
	    !access(buf, X_OK))
		return buf;
	return NULL;
}

const char *progpath_find(const char *name, char *buf, size_t size)
{
	char exe[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);

	if (n <= 0)
		return name;
	exe[n] = '\0';
	if (!progpath_near(exe, name, buf, size))
		return name;
	return buf;
}
