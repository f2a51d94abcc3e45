// SPDX-License-Identifier: Apache-2.0
/*
 * The 16 peer slots of a region's header. Writers hold flock(LOCK_EX) of
 * the file, so there is one at a time; readers (ringers) take no lock
 * and retry while a slot's sequence count is odd or moved under them.
 */
#include <sched.h>
#include <string.h>
#include <unistd.h>

#include "internal.h"

#define SLOT_READ_TRIES 1000

void shm_slot_read(struct shm_header *h, int id, struct shm_slot_snap *s)
{
	struct shm_slot *slot = &h->slot[id];
	u32 before;
	int tries;

	for (tries = 0; tries < SLOT_READ_TRIES; tries++) {
		before = __atomic_load_n(&slot->seq, __ATOMIC_ACQUIRE);
		if (before & 1) {
			sched_yield(); /* the writer may be preempted */
			continue;
		}
		s->pid = __atomic_load_n(&slot->pid, __ATOMIC_RELAXED);
		s->start_time =
			__atomic_load_n(&slot->start_time, __ATOMIC_RELAXED);
		memcpy(s->kind, slot->kind, sizeof(s->kind));
		memcpy(s->label, slot->label, sizeof(s->label));
		__atomic_thread_fence(__ATOMIC_ACQUIRE);
		if (__atomic_load_n(&slot->seq, __ATOMIC_RELAXED) == before)
			break;
	}
	/* A writer that died inside leaves the count odd: call it free. */
	if (tries == SLOT_READ_TRIES)
		memset(s, 0, sizeof(*s));
	s->seq = before;
	s->kind[SHM_KIND_MAX - 1] = '\0';
	s->label[SHM_LABEL_MAX - 1] = '\0';
}

static void slot_write_begin(struct shm_slot *slot)
{
	/* Even again if the last writer died halfway, then odd. */
	u32 seq = __atomic_load_n(&slot->seq, __ATOMIC_RELAXED);

	__atomic_store_n(&slot->seq, (seq | 1) + 2, __ATOMIC_RELAXED);
	__atomic_thread_fence(__ATOMIC_RELEASE);
}

static void slot_write_end(struct shm_slot *slot)
{
	__atomic_add_fetch(&slot->seq, 1, __ATOMIC_RELEASE);
}

void shm_slot_fill(struct shm_header *h, int id, u32 pid, u64 start,
		   const char *kind, const char *label)
{
	struct shm_slot *slot = &h->slot[id];

	slot_write_begin(slot);
	__atomic_store_n(&slot->pid, pid, __ATOMIC_RELAXED);
	__atomic_store_n(&slot->start_time, start, __ATOMIC_RELAXED);
	__atomic_store_n(&slot->pending, 0, __ATOMIC_RELAXED);
	strncpy(slot->kind, kind, sizeof(slot->kind) - 1);
	slot->kind[sizeof(slot->kind) - 1] = '\0';
	strncpy(slot->label, label, sizeof(slot->label) - 1);
	slot->label[sizeof(slot->label) - 1] = '\0';
	slot_write_end(slot);
}

void shm_slot_free(struct shm_header *h, int id)
{
	shm_slot_fill(h, id, 0, 0, "", "");
}

u32 shm_occupied(struct shm_header *h)
{
	u32 mask = 0;
	int i;

	for (i = 0; i < SHM_MAX_PEERS; i++)
		if (__atomic_load_n(&h->slot[i].pid, __ATOMIC_ACQUIRE))
			mask |= 1u << i;
	return mask;
}

/*
 * Free the slots whose process is gone (or is another process under a
 * reused pid) and remove their sockets. The caller holds the flock.
 * Returns the ids freed.
 */
u32 shm_reclaim(struct shm_header *h, int dirfd, const char *name)
{
	char sock[SHM_NAME_MAX + 16];
	struct shm_slot *slot;
	u32 freed = 0;
	int i;

	for (i = 0; i < SHM_MAX_PEERS; i++) {
		slot = &h->slot[i];
		if (!slot->pid && !(slot->seq & 1))
			continue;
		if (!(slot->seq & 1) &&
		    shm_proc_alive(slot->pid, slot->start_time))
			continue;
		shm_slot_free(h, i);
		shm_sock_name(sock, sizeof(sock), name, i);
		unlinkat(dirfd, sock, 0);
		freed |= 1u << i;
	}
	return freed;
}

bool shm_header_valid(const struct shm_header *h, u64 file_size)
{
	return h->magic == SHM_MAGIC && h->version == SHM_VERSION &&
	       h->max_peers == SHM_MAX_PEERS &&
	       h->header_size == SHM_HEADER_SIZE && h->size &&
	       h->size % SHM_PAGE_SIZE == 0 && h->size <= SHM_SIZE_MAX &&
	       file_size == SHM_HEADER_SIZE + h->size;
}
