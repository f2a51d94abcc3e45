/* SPDX-License-Identifier: Apache-2.0 */
#ifndef VESSEL_SHM_H
#define VESSEL_SHM_H

/*
 * Named shared-memory regions with doorbells, shared by vessel processes
 * (for their guests) and host programs (libvessel.a). A region is a file
 * <name>.shm in $VESSEL_SHM_DIR or /dev/shm/vessel; up to 16 peers attach
 * to it, and each peer owns a doorbell (an eventfd) that the others ring.
 * docs/shmem.md describes the files, the rules and the checks.
 *
 * Self-contained (only standard headers), so host programs can include it
 * as <vessel/shm.h>. Functions return 0 or -errno unless said otherwise.
 * One struct shm_region may be used from several threads; it must not be
 * used in a child after fork().
 */

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#define SHM_NAME_MAX 32 /* with the NUL, as QNX's GUEST_SHM_MAX_NAME */
#define SHM_MAX_PEERS 16
#define SHM_KIND_MAX 8 /* "guest", "host", with the NUL */
#define SHM_LABEL_MAX 16 /* with the NUL; longer labels are cut */
#define SHM_PAGE_SIZE 4096u /* sizes are rounded up to this */
#define SHM_SIZE_MAX (1ull << 40) /* data bytes */
#define SHM_RING_TIMEOUT_MS 100 /* the longest a first ring to a peer waits */
#define SHM_DIR_DEFAULT "/dev/shm/vessel"
#define SHM_DIR_ENV "VESSEL_SHM_DIR"

/* shm_open_region() flags: exactly one of CREATE and EXIST. */
#define SHM_CREATE 1u /* attach, creating the region if it is missing */
#define SHM_EXIST 2u /* attach to an existing region, else -ENOENT */
#define SHM_READONLY 4u /* with EXIST: map the data read-only, no peer */

struct shm_region;

/* 0 if @name is a valid region name ([A-Za-z0-9._-]{1,31}, no leading
 * '.'), else -EINVAL. */
int shm_name_check(const char *name);

/*
 * Whether a guest with these restriction lists may use region @name.
 * @allow and @deny are ':'-separated fnmatch(3) patterns, NULL or "" when
 * absent: an allow list denies every name it does not match, a deny list
 * alone allows every name it does not match, both: allowed && !denied.
 * An invalid @name is never allowed.
 */
bool shm_acl_allows(const char *allow, const char *deny, const char *name);

/*
 * Attach to region @name as a new peer (@kind: "guest", "host" or other
 * 1..7 lowercase letters, NULL: "host"; @label, e.g. the VM's name, may
 * be NULL, blanks become '?', cut to 15 bytes). With SHM_CREATE a
 * missing region is created with @size bytes of data (rounded up to
 * 4 KiB, reserved at once); an existing region keeps its own size, which
 * shm_size() tells. On success *@out is the caller's until
 * shm_close_region(). Errors: -EINVAL (name, size, flags, kind), -ENOENT
 * (SHM_EXIST and no region), -EUSERS (16 peers), -ENOSPC (no memory for the
 * region), -ELOOP (a symlink where the directory or file should be),
 * -EPERM (wrong owner or mode), -EPROTO (the file is no region).
 */
int shm_open_region(const char *name, uint64_t size, unsigned flags,
		    const char *kind, const char *label,
		    struct shm_region **out);

/*
 * Detach and free @r (NULL is fine). The last live peer to leave removes
 * the region's file and sockets. The others' doorbells are rung with no
 * pending bit, as on attach, so they can see who is attached now.
 */
void shm_close_region(struct shm_region *r);

/* The region's data (page aligned; read-only with SHM_READONLY). */
void *shm_data(struct shm_region *r);
/* Its size in bytes, a multiple of 4 KiB. */
uint64_t shm_size(const struct shm_region *r);
/* This handle's peer id, 0..15 (-1 with SHM_READONLY). */
int shm_peer_id(const struct shm_region *r);
const char *shm_name(const struct shm_region *r);

/* The peers attached now whose process is alive, ours included, as a
 * bitset (1 << id). */
uint32_t shm_peers(struct shm_region *r);

/*
 * Ring peer @peer: set our bit in its pending set, then signal its
 * doorbell. The first ring of a peer fetches its eventfd from its socket
 * (at most SHM_RING_TIMEOUT_MS); later rings are one atomic and one
 * write. Returns 0, -ESRCH (the peer is gone or does not answer),
 * -EINVAL (a bad id or our own), -EPERM (SHM_READONLY).
 */
int shm_ring(struct shm_region *r, int peer);

/* Ring every live peer in @mask but us (~0u: all others). Returns how
 * many were rung; peers that are gone are skipped. */
int shm_ring_all(struct shm_region *r, uint32_t mask);

/*
 * Our doorbell, a non-blocking eventfd owned by @r: readable when we were
 * rung or the peers changed. Read it (8 bytes), then shm_take_pending().
 */
int shm_doorbell_fd(const struct shm_region *r);

/*
 * The ids of the peers that rang us since the last call, as a bitset;
 * clears them. 0 after a wake-up: the set of peers changed
 * (shm_peers_changed() says so), the ring was already taken by the
 * previous call, or it carried no sender: a KVM ioeventfd wrote it
 * straight to our doorbell (shm_peer_doorbell()).
 */
uint32_t shm_take_pending(struct shm_region *r);

/* Whether a wake-up since the last call said the peers changed; clears it. */
bool shm_peers_changed(struct shm_region *r);

/*
 * From now on, peers-changed wake-ups signal this non-blocking eventfd
 * (owned by @r) instead of our doorbell, which then means rings only: a
 * doorbell a KVM irqfd consumes turns every write into an interrupt.
 * The eventfd, or -errno (-EPERM read-only).
 */
int shm_change_fd(struct shm_region *r);

/*
 * Peer @peer's doorbell eventfd, fetched as for shm_ring() and owned by
 * @r (for KVM ioeventfds): valid until that peer leaves, which
 * shm_peers() shows. -ESRCH, -EINVAL as for shm_ring().
 */
int shm_peer_doorbell(struct shm_region *r, int peer);

/*
 * Our listening socket, which hands our doorbell to peers that ring us
 * the first time. Whoever owns @r polls it and calls shm_serve() when it
 * is readable; a peer that never serves cannot be rung.
 */
int shm_listen_fd(const struct shm_region *r);
/* Answer the connections waiting on our socket; never blocks longer than
 * a few ms per connection. */
void shm_serve(struct shm_region *r);

/*
 * For host programs without an event loop: wait up to @timeout_ms (-1:
 * forever) for our doorbell, serving our socket meanwhile. Returns 0 with
 * the pending bits in *@rang (0: as for shm_take_pending()), or
 * -ETIMEDOUT.
 */
int shm_wait(struct shm_region *r, int timeout_ms, uint32_t *rang);

struct shm_peer_info {
	int id;
	uint32_t pid;
	char kind[SHM_KIND_MAX];
	char label[SHM_LABEL_MAX];
};

/* What peer @peer of @r is: 0, or -ESRCH when the slot is free. */
int shm_peer_get(struct shm_region *r, int peer, struct shm_peer_info *out);

struct shm_region_info {
	char name[SHM_NAME_MAX];
	uint64_t size;
	uint32_t peers; /* bitset of live peers */
	struct shm_peer_info peer[SHM_MAX_PEERS]; /* indexed by id */
};

/*
 * Call @fn for each region in the directory, in no particular order.
 * Peers whose process died are reclaimed first, and a region with no live
 * peer left is removed and not reported. Stops at the first non-zero
 * return of @fn and returns it; else 0, or -errno for the directory.
 */
int shm_list(int (*fn)(const struct shm_region_info *info, void *arg),
	     void *arg);

/* The directory in use: $VESSEL_SHM_DIR or /dev/shm/vessel. */
const char *shm_dir(void);

/*
 * For a root process that will go on as @uid:@gid (vessel's `user`), set
 * before its first region: the directory must then belong to @uid (a new
 * one is given to it), and the region files and doorbell sockets it
 * creates are given to @uid:@gid, so that after the switch it, and the
 * other peers running as @uid, still pass the checks on them.
 */
void shm_set_owner(uid_t uid, gid_t gid);

#endif
