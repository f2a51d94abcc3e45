// SPDX-License-Identifier: Apache-2.0
/*
 * The regions in the directory. Listing is also housekeeping: under each
 * region's flock, peers that died are reclaimed and a region left with
 * no live peer is removed, so a SIGKILLed guest's region does not stay.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "internal.h"

/* The region name in a directory entry "<name>.shm", or false. */
static bool entry_name(const char *entry, char *name)
{
	size_t len = strlen(entry);

	if (len < 5 || len - 4 >= SHM_NAME_MAX ||
	    strcmp(entry + len - 4, ".shm"))
		return false;
	memcpy(name, entry, len - 4);
	name[len - 4] = '\0';
	return !shm_name_check(name);
}

static void info_fill(struct shm_region_info *info, struct shm_header *h)
{
	struct shm_slot_snap s;
	int id;

	info->size = h->size;
	info->peers = 0;
	for (id = 0; id < SHM_MAX_PEERS; id++) {
		shm_slot_read(h, id, &s);
		info->peer[id] = (struct shm_peer_info){ .id = id };
		if (!s.pid)
			continue;
		info->peers |= 1u << id;
		info->peer[id].pid = s.pid;
		memcpy(info->peer[id].kind, s.kind, sizeof(s.kind));
		memcpy(info->peer[id].label, s.label, sizeof(s.label));
	}
}

/* Reclaim dead peers of the locked region @fd maps; fill @info if any
 * live peer is left, else remove it. Returns 1 if it is to be reported. */
static int region_tidy(int dirfd, int fd, struct shm_region_info *info)
{
	struct shm_header *h;
	struct stat st;
	u32 freed;
	int ret = 0;

	if (fstat(fd, &st) || (u64)st.st_size < SHM_HEADER_SIZE)
		return 0;
	h = mmap(NULL, SHM_HEADER_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fd,
		 0);
	if (h == MAP_FAILED)
		return 0;
	if (!shm_header_valid(h, (u64)st.st_size))
		goto out;
	freed = shm_reclaim(h, dirfd, info->name);
	if (!shm_occupied(h)) {
		shm_remove_files(dirfd, info->name, fd);
		goto out;
	}
	if (freed)
		shm_wake_peers(dirfd, info->name, h, -1);
	info_fill(info, h);
	ret = 1;
out:
	munmap(h, SHM_HEADER_SIZE);
	return ret;
}

/* One directory entry: 1 with @info filled, 0 to skip it. */
static int region_look(int dirfd, const char *entry,
		       struct shm_region_info *info)
{
	int fd, ret = 0;

	if (!entry_name(entry, info->name))
		return 0;
	fd = openat(dirfd, entry, O_RDWR | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return 0;
	if (!shm_file_check(fd, true) && !shm_lock(fd) &&
	    shm_still_linked(dirfd, entry, fd))
		ret = region_tidy(dirfd, fd, info);
	close(fd);
	return ret;
}

int shm_list(int (*fn)(const struct shm_region_info *info, void *arg),
	     void *arg)
{
	struct shm_region_info info;
	struct dirent *de;
	int dirfd, fd, ret = 0;
	DIR *d;

	dirfd = shm_dir_open();
	if (dirfd < 0)
		return dirfd;
	fd = dup(dirfd);
	d = fd < 0 ? NULL : fdopendir(fd);
	if (!d) {
		ret = -errno;
		if (fd >= 0)
			close(fd);
		close(dirfd);
		return ret;
	}
	while (!ret && (de = readdir(d)))
		if (region_look(dirfd, de->d_name, &info))
			ret = fn(&info, arg);
	closedir(d);
	close(dirfd);
	return ret;
}
