/* SPDX-License-Identifier: Apache-2.0 */
#ifndef VESSEL_USERID_H
#define VESSEL_USERID_H

/*
 * The `user` and `group` options: a name or a numeric id each, resolved
 * through the system's user and group databases (NSS) as chown(1) does:
 * a name first, then a number. Shared by vessel (which becomes the user)
 * and vesseld (which hands the guest's directory to it).
 */

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#define USERID_NAME_MAX 256

struct userid {
	uid_t uid;
	gid_t gid; /* `group`, else the user's primary group */
	bool has_name; /* a passwd entry: its supplementary groups apply */
	char name[USERID_NAME_MAX]; /* the login name, or the number */
};

/*
 * A decimal id: digits only, no sign, below (id_t)-1 (which means "no
 * change" to the set*id calls). 0 or -EINVAL.
 */
int userid_parse_num(const char *s, unsigned int *id);

/* @spec as a group name or gid. 0, -ENOENT, or another -errno. */
int userid_group(const char *spec, gid_t *gid);

/*
 * @user (required) and @group (may be NULL) into @u. A number with no
 * passwd entry is accepted only with @group (there is no primary group
 * to take). 0, or -errno with one line for the operator in @err.
 */
int userid_resolve(struct userid *u, const char *user, const char *group,
		   char *err, size_t errlen);

#endif
