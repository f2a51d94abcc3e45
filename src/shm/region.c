// SPDX-License-Identifier: Apache-2.0
/*
 * Attaching to and leaving a region. A new region is built as an
 * O_TMPFILE (header written, memory reserved, locked) and only then
 * linked under its name, so nobody ever sees a half-made region; the
 * loser of a creation race attaches to the winner's. Attach and detach
 * run under flock(LOCK_EX) of the file, where dead peers are reclaimed
 * and the last one out removes the file.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "internal.h"

/* Creation races lost, or regions removed under us, before giving up. */
#define OPEN_TRIES 8
#define LISTEN_BACKLOG 32

static int region_map(struct shm_region *r, u64 size)
{
	int prot = PROT_READ | (r->readonly ? 0 : PROT_WRITE);
	void *p;

	r->map_len = SHM_HEADER_SIZE + size;
	p = mmap(NULL, r->map_len, prot, MAP_SHARED, r->fd, 0);
	if (p == MAP_FAILED)
		return -errno;
	r->hdr = p;
	r->size = size;
	return 0;
}

static void region_unmap(struct shm_region *r)
{
	if (r->hdr)
		munmap(r->hdr, r->map_len);
	r->hdr = NULL;
}

/* Our socket, bound before our slot is filled so a ringer never finds a
 * slot without one. */
static int region_listen(struct shm_region *r, int id)
{
	char path[108], sock[SHM_NAME_MAX + 16];
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	int ret;

	ret = shm_sock_path(path, sizeof(path), r->dirfd, r->name, id);
	if (ret)
		return ret;
	memcpy(a.sun_path, path, strlen(path) + 1);
	shm_sock_name(sock, sizeof(sock), r->name, id);
	/* A socket left by a peer that died with the region. */
	unlinkat(r->dirfd, sock, 0);
	r->listen_fd =
		socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (r->listen_fd < 0)
		return -errno;
	/* The mode before bind() is the file's (unix(7)): never wider. */
	if (fchmod(r->listen_fd, 0600) ||
	    bind(r->listen_fd, (struct sockaddr *)&a, sizeof(a)) ||
	    fchmodat(r->dirfd, sock, 0600, 0) || shm_give(r->dirfd, sock, -1) ||
	    listen(r->listen_fd, LISTEN_BACKLOG)) {
		ret = -errno;
		unlinkat(r->dirfd, sock, 0);
		close(r->listen_fd);
		r->listen_fd = -1;
		return ret;
	}
	return 0;
}

static void region_unlisten(struct shm_region *r)
{
	char sock[SHM_NAME_MAX + 16];

	if (r->listen_fd < 0)
		return;
	shm_sock_name(sock, sizeof(sock), r->name, r->id);
	unlinkat(r->dirfd, sock, 0);
	close(r->listen_fd);
	r->listen_fd = -1;
}

/* Take a free slot; the caller holds the flock. */
static int region_join(struct shm_region *r, const char *kind,
		       const char *label)
{
	u32 used = shm_occupied(r->hdr);
	u64 start;
	int id, ret;

	for (id = 0; id < SHM_MAX_PEERS && (used & (1u << id)); id++)
		;
	if (id == SHM_MAX_PEERS)
		return -EUSERS;
	ret = shm_proc_start(getpid(), &start);
	if (ret)
		return ret;
	ret = region_listen(r, id);
	if (ret)
		return ret;
	r->id = id;
	shm_slot_fill(r->hdr, id, (u32)getpid(), start, kind, label);
	r->seq = __atomic_load_n(&r->hdr->slot[id].seq, __ATOMIC_ACQUIRE);
	return 0;
}

static void region_close_file(struct shm_region *r)
{
	region_unmap(r);
	if (r->fd >= 0)
		close(r->fd);
	r->fd = -1;
}

/* Map and check an existing file; the caller holds the flock. */
static int region_map_existing(struct shm_region *r)
{
	struct shm_header h;
	struct stat st;

	if (fstat(r->fd, &st))
		return -errno;
	if (pread(r->fd, &h, sizeof(h), 0) != (ssize_t)sizeof(h) ||
	    !shm_header_valid(&h, (u64)st.st_size))
		return -EPROTO;
	return region_map(r, h.size);
}

static int region_open_file(struct shm_region *r, int oflags)
{
	char file[SHM_NAME_MAX + 8];
	int ret;

	shm_file_name(file, sizeof(file), r->name);
	r->fd = openat(r->dirfd, file, oflags | O_NOFOLLOW | O_CLOEXEC);
	if (r->fd < 0)
		return -errno;
	ret = shm_file_check(r->fd, true);
	if (ret)
		region_close_file(r);
	return ret;
}

/*
 * Attach to the file under the name. -ENOENT if there is none, or if it
 * went away, or had no live peer left (then it is removed here): either
 * way the caller may create a fresh one.
 */
static int region_attach(struct shm_region *r, const char *kind,
			 const char *label)
{
	char file[SHM_NAME_MAX + 8];
	int ret = region_open_file(r, O_RDWR);

	if (ret)
		return ret;
	shm_file_name(file, sizeof(file), r->name);
	ret = shm_lock(r->fd);
	if (ret)
		goto err_close;
	if (!shm_still_linked(r->dirfd, file, r->fd)) {
		ret = -ENOENT;
		goto err_close;
	}
	ret = region_map_existing(r);
	if (ret)
		goto err_close;
	shm_reclaim(r->hdr, r->dirfd, r->name);
	if (!shm_occupied(r->hdr)) {
		shm_remove_files(r->dirfd, r->name, r->fd);
		ret = -ENOENT;
		goto err_close;
	}
	ret = region_join(r, kind, label);
	if (ret)
		goto err_close;
	flock(r->fd, LOCK_UN);
	return 0;

err_close:
	region_close_file(r); /* drops the flock */
	return ret;
}

/* Reserve the memory now: a guest must not fault on a full tmpfs later. */
static int region_reserve(int fd, u64 len)
{
	int ret = posix_fallocate(fd, 0, (off_t)len);

	if (ret == EOPNOTSUPP || ret == EINVAL)
		return ftruncate(fd, (off_t)len) ? -errno : 0;
	return ret == ENOSPC || ret == EFBIG ? -ENOSPC : -ret;
}

static void region_init_header(struct shm_header *h, u64 size)
{
	h->version = SHM_VERSION;
	h->max_peers = SHM_MAX_PEERS;
	h->header_size = SHM_HEADER_SIZE;
	h->size = size;
	__atomic_store_n(&h->magic, SHM_MAGIC, __ATOMIC_RELEASE);
}

/* Link the prepared file under its name; -EEXIST if another was first. */
static int region_link(struct shm_region *r)
{
	char file[SHM_NAME_MAX + 8], self[32];

	shm_file_name(file, sizeof(file), r->name);
	snprintf(self, sizeof(self), "/proc/self/fd/%d", r->fd);
	if (linkat(AT_FDCWD, self, r->dirfd, file, AT_SYMLINK_FOLLOW))
		return -errno;
	return 0;
}

static int region_create(struct shm_region *r, u64 size, const char *kind,
			 const char *label)
{
	int ret;

	r->fd = openat(r->dirfd, ".", O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
	if (r->fd < 0)
		return -errno;
	/* The umask may have taken bits; 0600 is what the checks expect. */
	ret = fchmod(r->fd, 0600) ? -errno : shm_give(r->dirfd, NULL, r->fd);
	ret = ret ? ret : shm_lock(r->fd);
	if (ret)
		goto err_close;
	ret = region_reserve(r->fd, SHM_HEADER_SIZE + size);
	if (ret)
		goto err_close;
	ret = region_map(r, size);
	if (ret)
		goto err_close;
	region_init_header(r->hdr, size);
	ret = region_link(r);
	if (ret)
		goto err_close;
	ret = region_join(r, kind, label);
	if (ret) {
		shm_remove_files(r->dirfd, r->name, r->fd);
		goto err_close;
	}
	flock(r->fd, LOCK_UN);
	return 0;

err_close:
	region_close_file(r);
	return ret;
}

static int region_open_readonly(struct shm_region *r)
{
	int ret = region_open_file(r, O_RDONLY);

	if (ret)
		return ret;
	r->readonly = true;
	ret = region_map_existing(r);
	if (ret)
		region_close_file(r);
	return ret;
}

static int region_attach_or_create(struct shm_region *r, u64 size,
				   unsigned flags, const char *kind,
				   const char *label)
{
	int tries, ret = -ENOENT;

	if (flags & SHM_READONLY)
		return region_open_readonly(r);
	for (tries = 0; tries < OPEN_TRIES; tries++) {
		ret = region_attach(r, kind, label);
		if (ret != -ENOENT || !(flags & SHM_CREATE))
			return ret;
		ret = region_create(r, size, kind, label);
		if (ret != -EEXIST)
			return ret;
	}
	return ret;
}

static bool kind_valid(const char *kind)
{
	size_t len = strlen(kind), i;

	if (!len || len >= SHM_KIND_MAX)
		return false;
	for (i = 0; i < len; i++)
		if (kind[i] < 'a' || kind[i] > 'z')
			return false;
	return true;
}

/* A label is shown by `vesselctl shmem list`: printable, cut to fit. */
static void label_copy(char *dst, const char *label)
{
	size_t i;

	for (i = 0; label && label[i] && i < SHM_LABEL_MAX - 1; i++)
		dst[i] = label[i] > ' ' && label[i] < 0x7f ? label[i] : '?';
	dst[i] = '\0';
}

static int open_args_check(const char *name, u64 size, unsigned flags,
			   const char *kind)
{
	unsigned mode = flags & (SHM_CREATE | SHM_EXIST);

	if (shm_name_check(name) || !kind_valid(kind))
		return -EINVAL;
	if (flags & ~(SHM_CREATE | SHM_EXIST | SHM_READONLY))
		return -EINVAL;
	if (mode != SHM_CREATE && mode != SHM_EXIST)
		return -EINVAL;
	if ((flags & SHM_READONLY) && mode != SHM_EXIST)
		return -EINVAL;
	if (mode == SHM_CREATE && (!size || size > SHM_SIZE_MAX))
		return -EINVAL;
	return 0;
}

static struct shm_region *region_alloc(const char *name)
{
	struct shm_region *r = calloc(1, sizeof(*r));
	int i;

	if (!r)
		return NULL;
	if (pthread_mutex_init(&r->lock, NULL)) {
		free(r);
		return NULL;
	}
	snprintf(r->name, sizeof(r->name), "%s", name);
	r->dirfd = r->fd = r->efd = r->listen_fd = r->change_efd = -1;
	r->id = -1;
	for (i = 0; i < SHM_MAX_PEERS; i++) {
		r->peer[i].pidfd = r->peer[i].efd = -1;
		r->peer[i].seq = 0;
	}
	return r;
}

/*
 * This process's peers. A ring between two of them (vessel's own
 * lifecycle peer and its guest's connection to the same region) takes
 * the doorbell from here: over the socket, the one thread that serves
 * both would wait on itself until the ring timed out.
 */
static pthread_mutex_t local_lock = PTHREAD_MUTEX_INITIALIZER;
static struct shm_region *local_list;

static void local_add(struct shm_region *r)
{
	struct stat st;

	if (fstat(r->fd, &st))
		return;
	r->dev = st.st_dev;
	r->ino = st.st_ino;
	pthread_mutex_lock(&local_lock);
	r->local_next = local_list;
	local_list = r;
	pthread_mutex_unlock(&local_lock);
}

static void local_del(struct shm_region *r)
{
	struct shm_region **pp;

	pthread_mutex_lock(&local_lock);
	for (pp = &local_list; *pp; pp = &(*pp)->local_next) {
		if (*pp == r) {
			*pp = r->local_next;
			break;
		}
	}
	pthread_mutex_unlock(&local_lock);
}

int shm_local_doorbell(const struct shm_region *r, int id, u32 seq)
{
	struct shm_region *l;
	int fd = -ESRCH;

	pthread_mutex_lock(&local_lock);
	for (l = local_list; l; l = l->local_next) {
		if (l == r || l->id != id || l->seq != seq ||
		    l->dev != r->dev || l->ino != r->ino)
			continue;
		fd = fcntl(l->efd, F_DUPFD_CLOEXEC, 0);
		if (fd < 0)
			fd = -errno;
		break;
	}
	pthread_mutex_unlock(&local_lock);
	return fd;
}

static void region_free(struct shm_region *r)
{
	int i;

	for (i = 0; i < SHM_MAX_PEERS; i++)
		shm_cache_drop(&r->peer[i]);
	if (r->efd >= 0)
		close(r->efd);
	if (r->change_efd >= 0)
		close(r->change_efd);
	if (r->dirfd >= 0)
		close(r->dirfd);
	pthread_mutex_destroy(&r->lock);
	free(r);
}

int shm_open_region(const char *name, uint64_t size, unsigned flags,
		    const char *kind, const char *label,
		    struct shm_region **out)
{
	char label_buf[SHM_LABEL_MAX];
	struct shm_region *r;
	int ret;

	if (!kind)
		kind = "host";
	ret = open_args_check(name, size, flags, kind);
	if (ret)
		return ret;
	r = region_alloc(name);
	if (!r)
		return -ENOMEM;
	label_copy(label_buf, label);
	r->dirfd = shm_dir_open();
	if (r->dirfd < 0) {
		ret = r->dirfd;
		goto err_free;
	}
	/* Before attaching: a ringer may write it as soon as we are in. */
	if (!(flags & SHM_READONLY)) {
		r->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
		if (r->efd < 0) {
			ret = -errno;
			goto err_free;
		}
	}
	ret = region_attach_or_create(r, ALIGN_UP(size, SHM_PAGE_SIZE), flags,
				      kind, label_buf);
	if (ret)
		goto err_free;
	if (!r->readonly) {
		local_add(r);
		shm_wake_peers(r->dirfd, r->name, r->hdr, r->id);
	}
	*out = r;
	return 0;

err_free:
	region_free(r);
	return ret;
}

void shm_close_region(struct shm_region *r)
{
	bool others = false;

	if (!r)
		return;
	local_del(r);
	if (!r->readonly && r->fd >= 0 && !shm_lock(r->fd)) {
		region_unlisten(r);
		shm_slot_free(r->hdr, r->id);
		shm_reclaim(r->hdr, r->dirfd, r->name);
		others = shm_occupied(r->hdr) != 0;
		if (!others)
			shm_remove_files(r->dirfd, r->name, r->fd);
		flock(r->fd, LOCK_UN);
	}
	if (others)
		shm_wake_peers(r->dirfd, r->name, r->hdr, r->id);
	region_close_file(r);
	region_free(r);
}

void *shm_data(struct shm_region *r)
{
	return (u8 *)r->hdr + SHM_HEADER_SIZE;
}

uint64_t shm_size(const struct shm_region *r)
{
	return r->size;
}

int shm_peer_id(const struct shm_region *r)
{
	return r->id;
}

const char *shm_name(const struct shm_region *r)
{
	return r->name;
}
