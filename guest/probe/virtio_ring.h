/*
 * The driver side of a split virtqueue (virtio 1.2 2.7) as Linux's
 * virtio_ring.c builds it: descriptors from a free list kept in the
 * driver's own shadow (desc_extra, never read back from the shared
 * table), heads published in the available ring after a write barrier,
 * notifications and interrupts suppressed through EVENT_IDX when
 * negotiated (VRING_USED_F_NO_NOTIFY and VRING_AVAIL_F_NO_INTERRUPT
 * otherwise).
 */
#ifndef PROBE_VIRTIO_RING_H
#define PROBE_VIRTIO_RING_H

#include "types.h"

#define VRING_DESC_F_NEXT 1
#define VRING_DESC_F_WRITE 2
#define VRING_DESC_F_INDIRECT 4
#define VRING_AVAIL_F_NO_INTERRUPT 1
#define VRING_USED_F_NO_NOTIFY 1

#define VIRTIO_RING_F_INDIRECT_DESC 28
#define VIRTIO_RING_F_EVENT_IDX 29

/* The largest queue the probe sets up; a larger one is cut down to it. */
#define VIRTQ_MAX_SIZE 256
/* Linux's vring_align for modern virtio-pci: SMP_CACHE_BYTES. */
#define VIRTQ_ALIGN 64

struct vring_desc {
	u64 addr;
	u32 len;
	u16 flags;
	u16 next;
};

struct vring_avail {
	u16 flags;
	u16 idx;
	u16 ring[]; /* [num], then used_event */
};

struct vring_used_elem {
	u32 id;
	u32 len;
};

struct vring_used {
	u16 flags;
	u16 idx;
	struct vring_used_elem ring[]; /* [num], then avail_event */
};

/* One buffer of a request: device-readable ones first, then writable. */
struct virtq_sg {
	u64 addr;
	u32 len;
};

struct virtq {
	u16 num, index;
	struct vring_desc *desc;
	struct vring_avail *avail;
	struct vring_used *used;
	u64 notify_addr;
	bool event_idx;
	bool callbacks; /* false: polled, interrupts suppressed */
	u16 free_head, num_free;
	u16 avail_idx; /* avail_idx_shadow */
	u16 last_used;
	u16 num_added; /* since the last kick */
	u32 notifies; /* kicks that reached the device */
	/* desc_extra and desc_state: the driver's own copy of each chain. */
	u16 extra_flags[VIRTQ_MAX_SIZE], extra_next[VIRTQ_MAX_SIZE];
	bool in_flight[VIRTQ_MAX_SIZE];
	u32 cookie[VIRTQ_MAX_SIZE];
};

/* vring_size(): bytes of the three rings for @num entries. */
u64 virtq_bytes(u16 num);
/*
 * Lay the rings out in @mem (zeroed here; 4 KiB aligned, virtq_bytes()
 * long) and chain every descriptor into the free list. @callbacks false
 * is a polled queue (Linux's vq without a callback).
 */
void virtq_init(struct virtq *q, u16 index, u16 num, void *mem, bool event_idx,
		bool callbacks);

/*
 * virtqueue_add_split(): @out readable then @in writable buffers of @sg
 * as one chain, published in the available ring; @cookie comes back
 * from virtqueue_get_buf(). -ENOSPC if too few descriptors are free.
 * Does not notify.
 */
int virtq_add(struct virtq *q, const struct virtq_sg *sg, u16 out, u16 in,
	      u32 cookie);
/*
 * The same through one VRING_DESC_F_INDIRECT descriptor whose table,
 * @table (out + in entries of device-visible memory), is filled here.
 */
int virtq_add_indirect(struct virtq *q, const struct virtq_sg *sg, u16 out,
		       u16 in, struct vring_desc *table, u32 cookie);
/*
 * Publish a head whose descriptors the caller wrote into q->desc itself
 * (malformed chains); only a reset of the device takes it back.
 */
void virtq_add_raw(struct virtq *q, u16 head);

/* virtqueue_kick_prepare(): does the device want a notification now? */
bool virtq_kick_prepare(struct virtq *q);
/* Prepare and, if wanted, notify (virtqueue_kick()). */
void virtq_kick(struct virtq *q);

/* The device has used a buffer not yet taken back. */
bool virtq_has_used(const struct virtq *q);
/*
 * virtqueue_get_buf(): the next used buffer's cookie and written length;
 * -ENOENT if there is none, -EINVAL if the device returned an id that is
 * no head in flight (Linux's BAD_RING).
 */
int virtq_get_buf(struct virtq *q, u32 *cookie, u32 *len);

#endif
