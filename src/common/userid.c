// SPDX-License-Identifier: Apache-2.0
/*
 * User and group names or ids (userid.h). The *_r lookups tell "no such
 * entry" (0 with a NULL result) from a failing database (an errno).
 */
#include "userid.h"

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Enough for any passwd or group line NSS is likely to hand back. */
#define USERID_BUF 16384

int userid_parse_num(const char *s, unsigned int *id)
{
	unsigned long long v = 0;
	const char *p;

	if (!s || !*s || strlen(s) > 10)
		return -EINVAL;
	for (p = s; *p; p++) {
		if (*p < '0' || *p > '9')
			return -EINVAL;
		v = v * 10 + (unsigned int)(*p - '0');
	}
	if (v >= (unsigned int)-1)
		return -EINVAL;
	*id = (unsigned int)v;
	return 0;
}

/* The passwd entry of @spec by name, else by number: 0, -ENOENT or
 * -errno (getpw*_r return 0 with no result for "no such user"). */
static int userid_lookup_user(const char *spec, struct passwd *pw, char *buf,
			      unsigned int *num, bool *numeric)
{
	struct passwd *res = NULL;
	int ret;

	ret = getpwnam_r(spec, pw, buf, USERID_BUF, &res);
	*numeric = !userid_parse_num(spec, num);
	if (!ret && !res && *numeric)
		ret = getpwuid_r(*num, pw, buf, USERID_BUF, &res);
	if (ret)
		return -ret;
	return res ? 0 : -ENOENT;
}

int userid_group(const char *spec, gid_t *gid)
{
	struct group gr, *res = NULL;
	unsigned int num;
	char *buf = malloc(USERID_BUF);
	int ret;

	if (!buf)
		return -ENOMEM;
	ret = -getgrnam_r(spec, &gr, buf, USERID_BUF, &res);
	if (!ret && res)
		*gid = gr.gr_gid;
	else if (!ret && !userid_parse_num(spec, &num))
		*gid = num; /* setresgid() needs no group entry */
	else if (!ret)
		ret = -ENOENT;
	free(buf);
	return ret;
}

int userid_resolve(struct userid *u, const char *user, const char *group,
		   char *err, size_t errlen)
{
	struct passwd pw;
	unsigned int num = 0;
	bool numeric;
	char *buf = malloc(USERID_BUF);
	int ret;

	memset(u, 0, sizeof(*u));
	if (!buf)
		return -ENOMEM;
	ret = userid_lookup_user(user, &pw, buf, &num, &numeric);
	if (!ret) {
		u->uid = pw.pw_uid;
		u->gid = pw.pw_gid;
		u->has_name = true;
		snprintf(u->name, sizeof(u->name), "%s", pw.pw_name);
	} else if (ret == -ENOENT && numeric && group) {
		u->uid = num;
		snprintf(u->name, sizeof(u->name), "%u", num);
		ret = 0;
	} else if (ret == -ENOENT) {
		snprintf(
			err, errlen,
			numeric ?
				"user %s: no such user (a uid without a passwd entry needs `group` too)" :
				"user %s: no such user",
			user);
	} else {
		snprintf(err, errlen, "user %s: cannot look it up: %s", user,
			 strerror(-ret));
	}
	free(buf);
	if (ret || !group)
		return ret;
	ret = userid_group(group, &u->gid);
	if (ret == -ENOENT)
		snprintf(err, errlen, "group %s: no such group", group);
	else if (ret)
		snprintf(err, errlen, "group %s: cannot look it up: %s", group,
			 strerror(-ret));
	return ret;
}
