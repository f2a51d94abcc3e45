// SPDX-License-Identifier: Apache-2.0
/*
 * Region names and the per-guest restriction lists. The rules are those
 * of the QNX hypervisor's shmem vdev: an allow list denies every name it
 * does not match, a deny list alone allows every name it does not match.
 */
#include <errno.h>
#include <fnmatch.h>
#include <string.h>

#include "internal.h"

/* Longer patterns cannot match a 31-byte name usefully; they never match. */
#define ACL_PATTERN_MAX 128

int shm_name_check(const char *name)
{
	size_t i, len;

	if (!name)
		return -EINVAL;
	len = strnlen(name, SHM_NAME_MAX);
	if (!len || len >= SHM_NAME_MAX || name[0] == '.')
		return -EINVAL;
	for (i = 0; i < len; i++) {
		char c = name[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || c == '.' || c == '_' ||
		      c == '-'))
			return -EINVAL;
	}
	return 0;
}

/* Whether one of the ':'-separated patterns in @list matches @name. */
static bool acl_match(const char *list, const char *name)
{
	char pat[ACL_PATTERN_MAX];
	const char *end;
	size_t len;

	for (; *list; list = *end ? end + 1 : end) {
		end = strchrnul(list, ':');
		len = (size_t)(end - list);
		if (!len || len >= sizeof(pat))
			continue;
		memcpy(pat, list, len);
		pat[len] = '\0';
		if (!fnmatch(pat, name, 0))
			return true;
	}
	return false;
}

bool shm_acl_allows(const char *allow, const char *deny, const char *name)
{
	if (shm_name_check(name))
		return false;
	if (allow && *allow && !acl_match(allow, name))
		return false;
	if (deny && *deny && acl_match(deny, name))
		return false;
	return true;
}
