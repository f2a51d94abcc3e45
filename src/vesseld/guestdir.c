// SPDX-License-Identifier: Apache-2.0
/*
 * The guest's directory and who owns it (guestdir.h). Everything after
 * the mkdir goes through one O_NOFOLLOW descriptor, so what is checked
 * is what is changed.
 */
#include "guestdir.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../common/userid.h"

/* The owner @conf asks for: `user` (and `group`), else vesseld itself. */
static int guestdir_owner(const struct conf *conf, uid_t *uid, gid_t *gid,
			  char *err, size_t errlen)
{
	const char *user = conf_get(conf, "user");
	struct userid id;
	int ret;

	*uid = geteuid();
	*gid = getegid();
	if (!user)
		return 0;
	ret = userid_resolve(&id, user, conf_get(conf, "group"), err, errlen);
	if (ret)
		return ret;
	*uid = id.uid;
	*gid = id.gid;
	return 0;
}

int guestdir_prepare(const char *dir, const struct conf *conf, char *err,
		     size_t errlen)
{
	struct stat st;
	uid_t uid;
	gid_t gid;
	int fd, ret;

	ret = guestdir_owner(conf, &uid, &gid, err, errlen);
	if (ret)
		return ret;
	if (mkdir(dir, 0700) && errno != EEXIST) {
		ret = -errno;
		snprintf(err, errlen, "%s: %s", dir, strerror(-ret));
		return ret;
	}
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0) {
		ret = -errno;
		snprintf(err, errlen, "%s: %s", dir,
			 ret == -ELOOP || ret == -ENOTDIR ?
				 "not a directory (a symbolic link?)" :
				 strerror(-ret));
		return ret;
	}
	ret = fstat(fd, &st) ? -errno : 0;
	if (!ret && (st.st_uid != uid || st.st_gid != gid) &&
	    fchown(fd, uid, gid))
		ret = -errno;
	if (!ret && (st.st_mode & 07777) != 0700 && fchmod(fd, 0700))
		ret = -errno;
	close(fd);
	if (ret)
		snprintf(err, errlen,
			 "%s: cannot give it to uid %u, gid %u: %s", dir,
			 (unsigned int)uid, (unsigned int)gid, strerror(-ret));
	return ret;
}
