/* SPDX-License-Identifier: Apache-2.0 */
#ifndef VESSEL_VIRTQ_H
#define VESSEL_VIRTQ_H

/*
 * The device side of a split virtqueue (virtio 1.2 section 2.7), with
 * everything the guest controls checked before it is used: ring and
 * buffer addresses and lengths must lie wholly inside guest RAM (through
 * @gpa_ptr, which is overflow-safe), a chain is at most @size descriptors
 * long counting those of an indirect table, a loop is a chain that runs
 * past that bound, an indirect table is a multiple of 16 bytes, lies in
 * RAM, is not nested and its descriptor has no NEXT flag, and no
 * device-readable buffer follows a device-writable one. A violation is
 * -EBADMSG from virtq_pop(): the queue stays broken (every later pop says
 * -EBADMSG again), the caller puts the device in NEEDS_RESET and never
 * touches the buffers.
 *
 * Pure code over a memory callback: no env, no threads, no ioctls, so the
 * unit tests and the libFuzzer harness drive it with fake guest memory.
 * Not locked: one thread at a time pops and pushes (the device's lock).
 * Ring fields are read and written with the acquire/release ordering the
 * spec's memory barriers ask for (section 2.7.13).
 * [virtio 1.2 2.7; firecracker devices/virtio/queue.rs]
 */

#include "../../common/types.h"

/* Split ring layout (virtio 1.2 2.7.5 - 2.7.8), Linux virtio_ring.h names. */
#define VRING_DESC_F_NEXT 1
#define VRING_DESC_F_WRITE 2
#define VRING_DESC_F_INDIRECT 4
#define VRING_AVAIL_F_NO_INTERRUPT 1
#define VRING_USED_F_NO_NOTIFY 1

/* Feature bits the queue itself implements (virtio 1.2 6). */
#define VIRTIO_RING_F_INDIRECT_DESC 28
#define VIRTIO_RING_F_EVENT_IDX 29

/* The largest queue a device offers; queue sizes are powers of two. */
#define VIRTQ_MAX_SIZE 256

struct vring_desc {
	u64 addr;
	u32 len;
	u16 flags;
	u16 next;
};

/* Guest-physical [@gpa, @gpa+@len) as a host pointer, or NULL. */
typedef void *(*virtq_gpa_fn)(void *ctx, u64 gpa, u64 len);

/* One buffer of a chain, already translated and bounds-checked. */
struct virtq_buf {
	void *host;
	u32 len;
	bool write; /* device-writable (VRING_DESC_F_WRITE) */
};

/*
 * One popped request: the head to hand back with virtq_push(), the
 * readable buffers first (nr_out of them) then the writable ones
 * (nr_in), with their byte totals. At most VIRTQ_MAX_SIZE buffers.
 */
struct virtq_req {
	u16 head;
	u16 nr_out, nr_in;
	u64 out_len, in_len;
	struct virtq_buf buf[VIRTQ_MAX_SIZE];
};

struct virtq {
	/* Set by virtq_init(). */
	virtq_gpa_fn gpa_ptr;
	void *ctx;
	u16 size;
	bool indirect; /* VIRTIO_RING_F_INDIRECT_DESC negotiated */
	bool event_idx; /* VIRTIO_RING_F_EVENT_IDX negotiated */
	/* Host views of the three rings, checked to lie in RAM. */
	struct vring_desc *desc;
	u16 *avail; /* flags, idx, ring[size], used_event */
	u16 *used; /* flags, idx, then {u32 id, u32 len}[size], avail_event */
	/* Device state. */
	u16 last_avail; /* next avail ring entry to take */
	u16 used_idx; /* next used ring entry to fill */
	u16 signalled_used; /* used_idx at the last interrupt (EVENT_IDX) */
	bool signalled_valid; /* signalled_used holds a value */
	u16 in_flight; /* popped, not yet pushed */
	bool broken; /* the driver broke the rules: no more pops */
};

/*
 * Start a queue of @size entries (a power of two, 1..VIRTQ_MAX_SIZE) whose
 * descriptor table, available and used rings the driver put at @desc,
 * @avail and @used (alignments 16, 2 and 4: virtio 1.2 2.7, 2.7.1). Returns
 * 0, or -EINVAL for a bad size, misalignment, or a ring not wholly in
 * guest RAM. @features are the negotiated device features (for
 * INDIRECT_DESC and EVENT_IDX).
 */
int virtq_init(struct virtq *q, virtq_gpa_fn gpa_ptr, void *ctx, u16 size,
	       u64 desc, u64 avail, u64 used, u64 features);

/*
 * Take the next available chain into @req. Returns 1 with a request, 0
 * when the ring holds none, -EBADMSG when the driver broke the rules (an
 * avail index more than @size ahead, or more chains offered than the
 * descriptors not held by the device (in_flight) allow, a head or next
 * index out of range, a buffer outside RAM, a loop or over-long chain, a
 * bad indirect table or INDIRECT without the feature, readable after
 * writable, a zero-length buffer, more than 2^32 bytes in all). A chain
 * counts its buffers against @size, not the descriptor that points to an
 * indirect table. The spec does not forbid zero-length buffers, but gives
 * them no meaning; QEMU refuses them as well. After -EBADMSG the queue is
 * broken: the caller stops using it until the driver resets (virtq_init()
 * again).
 */
int virtq_pop(struct virtq *q, struct virtq_req *req);

/*
 * Hand chain @head back with @len bytes written into its writable
 * buffers (virtio 1.2 2.7.8), publishing the used index with release
 * ordering.
 */
void virtq_push(struct virtq *q, u16 head, u32 len);

/*
 * After one or more virtq_push(): should the device interrupt the
 * driver? Honours VRING_AVAIL_F_NO_INTERRUPT, or used_event with
 * EVENT_IDX (virtio 1.2 2.7.10). Updates the signalled state, so call it
 * once per batch and interrupt when it says so.
 */
bool virtq_should_notify(struct virtq *q);

/*
 * Tell the driver whether the device wants kicks: with EVENT_IDX, set
 * avail_event to last_avail (kick on the next new buffer); else set or
 * clear VRING_USED_F_NO_NOTIFY. A device that processes until the ring
 * is empty calls virtq_enable_kicks(q, false) while it works and
 * virtq_enable_kicks(q, true) before it sleeps, then checks
 * virtq_has_work() once more (the race the spec's 2.7.10 describes).
 */
void virtq_enable_kicks(struct virtq *q, bool on);

/* Does the avail ring hold entries the device has not taken? (Never once
 * the queue is broken.) */
bool virtq_has_work(struct virtq *q);

#endif
