// SPDX-License-Identifier: Apache-2.0
/*
 * The region directory, the names in it and the identity of a peer's
 * process. Nothing here follows a symlink: the directory is opened with
 * O_NOFOLLOW and everything else relative to its fd, and every opened
 * file is checked on its fd (fstat), not on its path.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "internal.h"

const char *shm_dir(void)
{
	const char *dir = getenv(SHM_DIR_ENV);

	return dir && *dir ? dir : SHM_DIR_DEFAULT;
}

/* shm_set_owner()'s user and group; (uid_t)-1: this process's euid. */
static uid_t shm_owner_uid = (uid_t)-1;
static gid_t shm_owner_gid = (gid_t)-1;

void shm_set_owner(uid_t uid, gid_t gid)
{
	shm_owner_uid = uid;
	shm_owner_gid = gid;
}

static uid_t shm_owner(void)
{
	return shm_owner_uid != (uid_t)-1 ? shm_owner_uid : geteuid();
}

int shm_give(int dirfd, const char *name, int fd)
{
	int ret;

	if (shm_owner_uid == (uid_t)-1)
		return 0;
	ret = fd >= 0 ? fchown(fd, shm_owner_uid, shm_owner_gid) :
			fchownat(dirfd, name, shm_owner_uid, shm_owner_gid,
				 AT_SYMLINK_NOFOLLOW);
	return ret ? -errno : 0;
}

/*
 * Only the last component is ours to check: the parents (/dev/shm,
 * /tmp) belong to the system. A directory others can write to would let
 * them plant or swap files, so it must be ours (shm_set_owner()'s user's)
 * and 0700-ish. One we just made is given to that user first.
 */
static int shm_dir_check(int fd)
{
	struct stat st;

	if (fstat(fd, &st))
		return -errno;
	if (!S_ISDIR(st.st_mode))
		return -ENOTDIR;
	if (st.st_uid != shm_owner() || (st.st_mode & 022))
		return -EPERM;
	return 0;
}

int shm_dir_open(void)
{
	const char *path = shm_dir();
	bool made = !mkdir(path, 0700);
	int fd, ret;

	if (!made && errno != EEXIST)
		return -errno;
	fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOTDIR ? -ELOOP : -errno;
	ret = made ? shm_give(fd, NULL, fd) : 0;
	ret = ret ? ret : shm_dir_check(fd);
	if (!ret)
		return fd;
	close(fd);
	return ret;
}

/*
 * A region file must be a regular file owned by us (root may use anyone's)
 * with mode 0600, so no other user can have mapped or changed it.
 */
int shm_file_check(int fd, bool want_mode)
{
	struct stat st;

	if (fstat(fd, &st))
		return -errno;
	if (!S_ISREG(st.st_mode))
		return -EPROTO;
	if (st.st_uid != shm_owner() && geteuid() != 0)
		return -EPERM;
	if (want_mode && (st.st_mode & 07777) != 0600)
		return -EPERM;
	return 0;
}

void shm_file_name(char *buf, size_t len, const char *name)
{
	snprintf(buf, len, "%s.shm", name);
}

void shm_sock_name(char *buf, size_t len, const char *name, int id)
{
	snprintf(buf, len, "%s.%d.sock", name, id);
}

/*
 * bind() and connect() take paths, not dir fds. Going through our own
 * /proc/self/fd link to the directory keeps the path short (sun_path is
 * 108 bytes, $VESSEL_SHM_DIR may be longer) and on the directory we
 * checked, even if its path was renamed meanwhile.
 */
int shm_sock_path(char *buf, size_t len, int dirfd, const char *name, int id)
{
	int n = snprintf(buf, len, "/proc/self/fd/%d/%s.%d.sock", dirfd, name,
			 id);

	return n > 0 && (size_t)n < len ? 0 : -ENAMETOOLONG;
}

/* Field 22 (starttime) of /proc/PID/stat; -ESRCH when gone or a zombie. */
int shm_proc_start(pid_t pid, u64 *start)
{
	char path[32], buf[1024], *p;
	ssize_t n;
	int fd, field;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? -ESRCH : -errno;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -ESRCH;
	buf[n] = '\0';
	/* The command name (field 2) may hold spaces and ')'. */
	p = strrchr(buf, ')');
	if (!p || p[1] != ' ' || p[2] == 'Z' || p[2] == 'X')
		return -ESRCH;
	p += 2; /* field 3, the state */
	for (field = 3; field < 22 && p; field++) {
		p = strchr(p, ' ');
		if (p)
			p++;
	}
	if (!p)
		return -ESRCH;
	*start = strtoull(p, NULL, 10);
	return 0;
}

bool shm_proc_alive(u32 pid, u64 start)
{
	u64 now;

	return pid && !shm_proc_start((pid_t)pid, &now) && now == start;
}

/* Whether @file in @dirfd is still the file open as @fd (the last peer
 * may have removed it while we waited for the lock). */
bool shm_still_linked(int dirfd, const char *file, int fd)
{
	struct stat a, b;

	if (fstat(fd, &a) || a.st_nlink == 0)
		return false;
	if (fstatat(dirfd, file, &b, AT_SYMLINK_NOFOLLOW))
		return false;
	return a.st_dev == b.st_dev && a.st_ino == b.st_ino;
}

/*
 * A region goes away once no live peer is left: its sockets, then its
 * name, but only while the name is still this file (@fd), never a newer
 * one. The caller holds the flock.
 */
void shm_remove_files(int dirfd, const char *name, int fd)
{
	char file[SHM_NAME_MAX + 8], sock[SHM_NAME_MAX + 16];
	int i;

	for (i = 0; i < SHM_MAX_PEERS; i++) {
		shm_sock_name(sock, sizeof(sock), name, i);
		unlinkat(dirfd, sock, 0);
	}
	shm_file_name(file, sizeof(file), name);
	if (shm_still_linked(dirfd, file, fd))
		unlinkat(dirfd, file, 0);
}

/* flock(LOCK_EX), through signals: a slot must never be left locked out. */
int shm_lock(int fd)
{
	while (flock(fd, LOCK_EX))
		if (errno != EINTR)
			return -errno;
	return 0;
}
