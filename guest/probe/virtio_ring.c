/*
 * Split virtqueue, driver side (virtio_ring.h). x86 is TSO: the
 * virtio_wmb()/virtio_rmb() of Linux's weak-barrier rings are compiler
 * barriers; virtio_mb(), which orders a store before a load, is a fence.
 */
#include "virtio_ring.h"
#include "lib.h"
#include "virtio_pci.h"

static inline void virtio_wmb(void)
{
	asm volatile("" : : : "memory");
}

static inline void virtio_rmb(void)
{
	asm volatile("" : : : "memory");
}

static inline void virtio_mb(void)
{
	asm volatile("mfence" : : : "memory");
}

/* virtio 1.2 2.7.10: the other side asked to hear of idx @event_idx. */
static inline bool vring_need_event(u16 event_idx, u16 new_idx, u16 old)
{
	return (u16)(new_idx - event_idx - 1) < (u16)(new_idx - old);
}

static u64 avail_bytes(u16 num)
{
	return 2 * (3 + (u64)num); /* flags, idx, ring[num], used_event */
}

static u64 used_offset(u16 num)
{
	u64 end = sizeof(struct vring_desc) * (u64)num + avail_bytes(num);

	return (end + VIRTQ_ALIGN - 1) & ~(u64)(VIRTQ_ALIGN - 1);
}

u64 virtq_bytes(u16 num)
{
	return used_offset(num) + 2 * 3 + sizeof(struct vring_used_elem) * num;
}

static volatile u16 *used_event(const struct virtq *q)
{
	return &q->avail->ring[q->num];
}

static volatile u16 *avail_event(const struct virtq *q)
{
	return (volatile u16 *)&q->used->ring[q->num];
}

void virtq_init(struct virtq *q, u16 index, u16 num, void *mem, bool event_idx,
		bool callbacks)
{
	u16 i;

	fill_qwords(mem, 0, (virtq_bytes(num) + 7) / 8);
	q->num = num;
	q->index = index;
	q->desc = mem;
	q->avail = (struct vring_avail *)((u8 *)mem +
					  sizeof(struct vring_desc) * num);
	q->used = (struct vring_used *)((u8 *)mem + used_offset(num));
	q->event_idx = event_idx;
	q->callbacks = callbacks;
	q->free_head = 0;
	q->num_free = num;
	q->avail_idx = q->last_used = q->num_added = 0;
	q->notifies = 0;
	for (i = 0; i < num; i++) {
		q->extra_next[i] = (u16)(i + 1);
		q->extra_flags[i] = 0;
		q->in_flight[i] = false;
	}
	/* A queue without a callback: with EVENT_IDX, used_event stays 0. */
	if (!callbacks && !event_idx)
		WRITE_ONCE(q->avail->flags, VRING_AVAIL_F_NO_INTERRUPT);
}

/* Put @head in the next available slot, then bump idx behind a barrier. */
static void publish(struct virtq *q, u16 head)
{
	q->avail->ring[q->avail_idx & (q->num - 1)] = head;
	virtio_wmb();
	q->avail_idx++;
	WRITE_ONCE(q->avail->idx, q->avail_idx);
	q->num_added++;
}

/* Fill descriptor @i and its shadow; returns the next free one. */
static u16 set_desc(struct virtq *q, u16 i, u64 addr, u32 len, u16 flags)
{
	struct vring_desc *d = &q->desc[i];

	d->addr = addr;
	d->len = len;
	d->flags = flags;
	d->next = q->extra_next[i];
	q->extra_flags[i] = flags;
	return q->extra_next[i];
}

static void take(struct virtq *q, u16 head, u16 next, u16 used, u32 cookie)
{
	q->num_free -= used;
	q->free_head = next;
	q->in_flight[head] = true;
	q->cookie[head] = cookie;
	publish(q, head);
}

int virtq_add(struct virtq *q, const struct virtq_sg *sg, u16 out, u16 in,
	      u32 cookie)
{
	u16 total = out + in, head = q->free_head, i = head, n;
	u16 flags;

	if (!total || q->num_free < total)
		return -ENOSPC;
	for (n = 0; n < total; n++) {
		flags = (n < out ? 0 : VRING_DESC_F_WRITE) |
			(n + 1 < total ? VRING_DESC_F_NEXT : 0);
		i = set_desc(q, i, sg[n].addr, sg[n].len, flags);
	}
	take(q, head, i, total, cookie);
	return 0;
}

int virtq_add_indirect(struct virtq *q, const struct virtq_sg *sg, u16 out,
		       u16 in, struct vring_desc *table, u32 cookie)
{
	u16 total = out + in, head = q->free_head, n, next;

	if (!total || !q->num_free)
		return -ENOSPC;
	/* alloc_indirect_split(): entry n chains to n + 1. */
	for (n = 0; n < total; n++) {
		table[n].addr = sg[n].addr;
		table[n].len = sg[n].len;
		table[n].flags = (n < out ? 0 : VRING_DESC_F_WRITE) |
				 (n + 1 < total ? VRING_DESC_F_NEXT : 0);
		table[n].next = (u16)(n + 1);
	}
	next = set_desc(q, head, (u64)table,
			(u32)(total * sizeof(struct vring_desc)),
			VRING_DESC_F_INDIRECT);
	take(q, head, next, 1, cookie);
	return 0;
}

void virtq_add_raw(struct virtq *q, u16 head)
{
	publish(q, head);
}

bool virtq_kick_prepare(struct virtq *q)
{
	u16 new_idx = q->avail_idx, old = (u16)(new_idx - q->num_added);

	/* Expose the available entries before reading the device's wish. */
	virtio_mb();
	q->num_added = 0;
	if (q->event_idx)
		return vring_need_event(READ_ONCE(*avail_event(q)), new_idx,
					old);
	return !(READ_ONCE(q->used->flags) & VRING_USED_F_NO_NOTIFY);
}

void virtq_kick(struct virtq *q)
{
	if (!virtq_kick_prepare(q))
		return;
	vp_notify(q->notify_addr, q->index);
	q->notifies++;
}

bool virtq_has_used(const struct virtq *q)
{
	return q->last_used != READ_ONCE(q->used->idx);
}

/* detach_buf_split(): the chain from @head back onto the free list. */
static void detach(struct virtq *q, u16 head)
{
	u16 i = head;

	q->in_flight[head] = false;
	while (q->extra_flags[i] & VRING_DESC_F_NEXT) {
		i = q->extra_next[i];
		q->num_free++;
	}
	q->extra_next[i] = q->free_head;
	q->free_head = head;
	q->num_free++;
}

int virtq_get_buf(struct virtq *q, u32 *cookie, u32 *len)
{
	struct vring_used_elem e;

	if (!virtq_has_used(q))
		return -ENOENT;
	/* Read the entry only after the idx that exposed it. */
	virtio_rmb();
	e = q->used->ring[q->last_used & (q->num - 1)];
	if (e.id >= q->num || !q->in_flight[e.id])
		return -EINVAL;
	*cookie = q->cookie[e.id];
	*len = e.len;
	detach(q, (u16)e.id);
	q->last_used++;
	/* Ask for an interrupt at the next entry, before looking for it. */
	if (q->callbacks && q->event_idx) {
		WRITE_ONCE(*used_event(q), q->last_used);
		virtio_mb();
	}
	return 0;
}
