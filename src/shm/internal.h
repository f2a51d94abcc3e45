/* SPDX-License-Identifier: Apache-2.0 */
#ifndef VESSEL_SHM_INTERNAL_H
#define VESSEL_SHM_INTERNAL_H

/*
 * The region file's layout and what the src/shm/ files share. Page 0 of
 * <name>.shm is struct shm_header; the data follows at SHM_HEADER_SIZE.
 * All peers run on one host, so fields are in host byte order. Slots are
 * written only under flock(LOCK_EX) of the file; ringers read them
 * without it, through each slot's sequence count (a seqlock across
 * processes: odd while a writer is inside, bumped by 2 per change, so
 * the even value also names the slot's current occupant).
 */

#include <pthread.h>
#include <stddef.h>
#include <sys/types.h>

#include "../common/types.h"
#include "shm.h"

#define SHM_MAGIC 0x4d485356u /* "VSHM" as little-endian bytes */
#define SHM_VERSION 1
#define SHM_HEADER_SIZE 4096u

struct shm_slot {
	u32 seq; /* seqlock count; even and unchanged: a stable read */
	u32 pid; /* 0: free */
	u64 start_time; /* /proc/PID/stat field 22, against pid reuse */
	u32 pending; /* who rang this peer: atomic OR in, exchange out */
	u32 reserved;
	char kind[SHM_KIND_MAX];
	char label[SHM_LABEL_MAX];
};

struct shm_header {
	u32 magic;
	u16 version;
	u16 max_peers;
	u32 header_size;
	u32 reserved0;
	u64 size; /* data bytes, fixed by the creator */
	u8 reserved[40];
	struct shm_slot slot[SHM_MAX_PEERS];
};

_Static_assert(sizeof(struct shm_slot) == 48, "slot layout");
_Static_assert(offsetof(struct shm_header, slot) == 64, "header layout");
_Static_assert(sizeof(struct shm_header) <= SHM_HEADER_SIZE, "header page");

/* A consistent copy of one slot. */
struct shm_slot_snap {
	u32 seq, pid;
	u64 start_time;
	char kind[SHM_KIND_MAX];
	char label[SHM_LABEL_MAX];
};

/* What we know of another peer's current occupant (slot generation). */
struct shm_peer_cache {
	u32 seq; /* the generation this is about; 0: nothing known */
	int pidfd; /* -1: none (fallback: /proc) */
	int efd; /* its doorbell, -1 until fetched */
	bool dead;
	u64 retry_ms; /* a fetch failed: no new try before this (monotonic) */
};

struct shm_region {
	pthread_mutex_t lock; /* peer[] and ringing */
	char name[SHM_NAME_MAX];
	int dirfd; /* the directory, for every *at() call */
	int fd; /* the region file, for flock() */
	int id; /* our slot; -1 read-only */
	u32 seq; /* our slot's generation */
	int efd; /* our doorbell */
	int listen_fd;
	struct shm_header *hdr; /* the whole file, mapped */
	size_t map_len;
	u64 size;
	bool readonly;
	struct shm_peer_cache peer[SHM_MAX_PEERS];
	bool changed; /* a wake-up said the peers changed (shm_peers_changed) */
	int change_efd; /* shm_change_fd(), or -1: changes come on efd */
	dev_t dev; /* the region file's identity, for local peers */
	ino_t ino;
	struct shm_region *local_next; /* region.c's list of this process's */
};

/* In a slot's pending word beside the ring bits: the peers changed. */
#define SHM_PENDING_CHANGED (1u << 31)
/* doorbell.c: set it in our own slot and signal our doorbell. */
void shm_note_changed(struct shm_region *r);

/*
 * region.c: the doorbell of peer @id (generation @seq) when that peer is
 * another handle of this process on the same region: a dup of its
 * eventfd, or -ESRCH.
 */
int shm_local_doorbell(const struct shm_region *r, int id, u32 seq);

/* Requests on a peer's socket (one byte from the connecting side). */
#define SHM_REQ_FETCH 'F' /* send me your doorbell */
#define SHM_REQ_WAKE 'W' /* the peers changed: ring yourself */

/* dir.c: the directory, file names and process identity. */
int shm_dir_open(void);
/* Give a file or socket we created in @dirfd to shm_set_owner()'s user;
 * nothing without one. 0 or -errno. */
int shm_give(int dirfd, const char *name, int fd);
int shm_file_check(int fd, bool want_mode);
void shm_file_name(char *buf, size_t len, const char *name);
void shm_sock_name(char *buf, size_t len, const char *name, int id);
int shm_sock_path(char *buf, size_t len, int dirfd, const char *name, int id);
int shm_proc_start(pid_t pid, u64 *start);
bool shm_proc_alive(u32 pid, u64 start);
bool shm_still_linked(int dirfd, const char *file, int fd);
void shm_remove_files(int dirfd, const char *name, int fd);
int shm_lock(int fd);

/* slot.c: the seqlock'd slots. */
void shm_slot_read(struct shm_header *h, int id, struct shm_slot_snap *s);
void shm_slot_fill(struct shm_header *h, int id, u32 pid, u64 start,
		   const char *kind, const char *label);
void shm_slot_free(struct shm_header *h, int id);
u32 shm_reclaim(struct shm_header *h, int dirfd, const char *name);
u32 shm_occupied(struct shm_header *h);
bool shm_header_valid(const struct shm_header *h, u64 file_size);

/* doorbell.c: the peer side of our socket and others'. */
void shm_cache_drop(struct shm_peer_cache *c);
void shm_wake_peers(int dirfd, const char *name, struct shm_header *h,
		    int self);

#endif
