// SPDX-License-Identifier: Apache-2.0
/*
 * Split virtqueue, device side (virtio 1.2 2.7). The driver may rewrite
 * the rings and descriptors while we read them, so each descriptor is
 * copied once into a local and only the copy is checked and used, and
 * each ring field is one load. Every index is bounded before it is used
 * and every address goes through gpa_ptr() with its length.
 * [firecracker devices/virtio/queue.rs; Linux drivers/vhost/vhost.c]
 */
#include <endian.h>
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "virtq.h"

#define DESC_BYTES 16
/* struct virtq_avail and virtq_used in u16 units (2.7.6, 2.7.8). */
#define RING_FLAGS 0
#define RING_IDX 1
#define AVAIL_RING 2
#define USED_RING_BYTES 4 /* flags, idx: where the elements start */
#define USED_ELEM_BYTES 8
/* "Drivers MUST NOT add a descriptor chain longer than 2^32 bytes". */
#define CHAIN_MAX_BYTES (1ULL << 32)

static u16 ring_load(const u16 *p)
{
	return le16toh(__atomic_load_n(p, __ATOMIC_RELAXED));
}

static void ring_store(u16 *p, u16 val)
{
	__atomic_store_n(p, htole16(val), __ATOMIC_RELAXED);
}

/* The driver's avail idx; what it published before it is visible after. */
static u16 avail_idx_acquire(const struct virtq *q)
{
	return le16toh(__atomic_load_n(&q->avail[RING_IDX], __ATOMIC_ACQUIRE));
}

static u16 *used_event(const struct virtq *q)
{
	return &q->avail[AVAIL_RING + q->size];
}

static u16 *avail_event(const struct virtq *q)
{
	return &q->used[(USED_RING_BYTES + USED_ELEM_BYTES * q->size) / 2];
}

static u32 *used_elem(const struct virtq *q, u16 slot)
{
	return (u32 *)((u8 *)q->used + USED_RING_BYTES +
		       (size_t)USED_ELEM_BYTES * slot);
}

static bool is_aligned(const void *p, size_t align)
{
	return ((uintptr_t)p & (align - 1)) == 0;
}

int virtq_init(struct virtq *q, virtq_gpa_fn gpa_ptr, void *ctx, u16 size,
	       u64 desc, u64 avail, u64 used, u64 features)
{
	void *d, *a, *u;

	if (!size || size > VIRTQ_MAX_SIZE || (size & (size - 1)))
		return -EINVAL;
	/*
	 * 2.7.1: the driver "MUST ensure that the physical address of the
	 * first byte of each virtqueue part is a multiple of" 16, 2 and 4.
	 */
	if (desc % 16 || avail % 2 || used % 4)
		return -EINVAL;
	d = gpa_ptr(ctx, desc, (u64)DESC_BYTES * size);
	a = gpa_ptr(ctx, avail, 6 + 2 * (u64)size);
	u = gpa_ptr(ctx, used, 6 + (u64)USED_ELEM_BYTES * size);
	if (!d || !a || !u)
		return -EINVAL;
	/* Ring fields are loaded whole: the host side must be aligned too. */
	if (!is_aligned(d, _Alignof(struct vring_desc)) || !is_aligned(a, 2) ||
	    !is_aligned(u, 4))
		return -EINVAL;
	*q = (struct virtq){
		.gpa_ptr = gpa_ptr,
		.ctx = ctx,
		.size = size,
		.indirect = features & (1ULL << VIRTIO_RING_F_INDIRECT_DESC),
		.event_idx = features & (1ULL << VIRTIO_RING_F_EVENT_IDX),
		.desc = d,
		.avail = a,
		.used = u,
	};
	return 0;
}

/* Where a walk is: the ring's descriptor table or one indirect table. */
struct chain {
	const u8 *table; /* bytes: an indirect table need not be aligned */
	u32 table_len; /* entries */
	bool indirect;
};

static void desc_read(const struct chain *c, u16 i, struct vring_desc *d)
{
	memcpy(d, c->table + (size_t)i * DESC_BYTES, sizeof(*d));
	/*
	 * From here the copy is the descriptor: after this barrier the
	 * compiler may not reload a field from guest memory in its place.
	 */
	__atomic_signal_fence(__ATOMIC_SEQ_CST);
	d->addr = le64toh(d->addr);
	d->len = le32toh(d->len);
	d->flags = le16toh(d->flags);
	d->next = le16toh(d->next);
}

/*
 * Switch the walk to the table @d refers to (2.7.5.3). Its own WRITE
 * flag means nothing ("MUST ignore"); NEXT with INDIRECT is forbidden,
 * which also means a walk never comes back to the ring's table.
 */
static int chain_enter_indirect(const struct virtq *q, struct chain *c,
				const struct vring_desc *d)
{
	const u8 *table;

	if (!q->indirect || c->indirect || (d->flags & VRING_DESC_F_NEXT))
		return -EBADMSG;
	if (!d->len || d->len % DESC_BYTES || d->len / DESC_BYTES > q->size)
		return -EBADMSG;
	table = q->gpa_ptr(q->ctx, d->addr, d->len);
	if (!table)
		return -EBADMSG;
	c->table = table;
	c->table_len = d->len / DESC_BYTES;
	c->indirect = true;
	return 0;
}

/*
 * Append buffer @d to @req. The count bound is what stops a loop: a
 * chain is at most q->size buffers, indirect ones included (2.7.5.3.1).
 * Zero-length buffers are refused: the spec gives them no meaning and
 * QEMU's virtqueue_map_desc() refuses them too ("zero sized buffers are
 * not allowed"); Linux's virtio-blk never makes one.
 */
static int chain_add(const struct virtq *q, struct virtq_req *req,
		     const struct vring_desc *d)
{
	bool write = d->flags & VRING_DESC_F_WRITE;
	u16 n = req->nr_out + req->nr_in;
	void *host;

	if (n >= q->size || !d->len)
		return -EBADMSG;
	/* 2.7.4.2: device-writable elements come after device-readable. */
	if (!write && req->nr_in)
		return -EBADMSG;
	if (req->out_len + req->in_len + d->len > CHAIN_MAX_BYTES)
		return -EBADMSG;
	host = q->gpa_ptr(q->ctx, d->addr, d->len);
	if (!host)
		return -EBADMSG;
	req->buf[n] = (struct virtq_buf){ .host = host,
					  .len = d->len,
					  .write = write };
	if (write) {
		req->nr_in++;
		req->in_len += d->len;
	} else {
		req->nr_out++;
		req->out_len += d->len;
	}
	return 0;
}

/*
 * Each step adds a buffer (at most q->size) or enters the one indirect
 * table, so the walk ends within q->size + 1 steps whatever the links.
 */
static int chain_walk(const struct virtq *q, struct virtq_req *req, u16 head)
{
	struct chain c = { .table = (const u8 *)q->desc, .table_len = q->size };
	u32 i = head;
	int err;

	for (;;) {
		struct vring_desc d;

		if (i >= c.table_len)
			return -EBADMSG;
		desc_read(&c, i, &d);
		if (d.flags & VRING_DESC_F_INDIRECT) {
			err = chain_enter_indirect(q, &c, &d);
			i = 0;
		} else {
			err = chain_add(q, req, &d);
			if (!err && !(d.flags & VRING_DESC_F_NEXT))
				return 0;
			i = d.next;
		}
		if (err)
			return err;
	}
}

int virtq_pop(struct virtq *q, struct virtq_req *req)
{
	u16 avail_idx, pending, head;

	if (q->broken)
		return -EBADMSG;
	avail_idx = avail_idx_acquire(q);
	pending = avail_idx - q->last_avail;
	if (!pending)
		return 0;
	/*
	 * Chains waiting and chains we hold each own at least one of the
	 * size descriptors: more is an index run ahead or a reused head.
	 */
	if (pending > q->size - q->in_flight)
		goto broken;
	head = ring_load(
		&q->avail[AVAIL_RING + (q->last_avail & (q->size - 1))]);
	req->head = head;
	req->nr_out = req->nr_in = 0;
	req->out_len = req->in_len = 0;
	if (chain_walk(q, req, head))
		goto broken;
	q->last_avail++;
	q->in_flight++;
	return 1;
broken:
	q->broken = true;
	return -EBADMSG;
}

void virtq_push(struct virtq *q, u16 head, u32 len)
{
	u32 *elem = used_elem(q, q->used_idx & (q->size - 1));

	__atomic_store_n(&elem[0], htole32(head), __ATOMIC_RELAXED);
	__atomic_store_n(&elem[1], htole32(len), __ATOMIC_RELAXED);
	q->used_idx++;
	/* 2.7.8.2: the element (and the data) before the index. */
	__atomic_store_n(&q->used[RING_IDX], htole16(q->used_idx),
			 __ATOMIC_RELEASE);
	if (q->in_flight)
		q->in_flight--;
}

/* Linux's vring_need_event(): did the index pass @event going old->new? */
static bool need_event(u16 event, u16 new_idx, u16 old_idx)
{
	return (u16)(new_idx - event - 1) < (u16)(new_idx - old_idx);
}

bool virtq_should_notify(struct virtq *q)
{
	u16 old = q->signalled_used;
	bool valid = q->signalled_valid;

	/*
	 * The used idx store before the loads of flags/used_event: pairs
	 * with the driver's barrier when it re-enables interrupts
	 * (vhost_notify()'s smp_mb()).
	 */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (!q->event_idx)
		return !(ring_load(&q->avail[RING_FLAGS]) &
			 VRING_AVAIL_F_NO_INTERRUPT);
	q->signalled_used = q->used_idx;
	q->signalled_valid = true;
	/* Nothing known of the driver's last look yet: tell it. */
	if (!valid)
		return true;
	return need_event(ring_load(used_event(q)), q->used_idx, old);
}

void virtq_enable_kicks(struct virtq *q, bool on)
{
	if (q->event_idx) {
		/*
		 * With EVENT_IDX the flags stay 0 (2.7.10): leaving
		 * avail_event behind is what turns kicks off.
		 */
		if (on)
			ring_store(avail_event(q), q->last_avail);
	} else {
		ring_store(&q->used[RING_FLAGS],
			   on ? 0 : VRING_USED_F_NO_NOTIFY);
	}
	/* The store before the caller's next look at the avail idx. */
	if (on)
		__atomic_thread_fence(__ATOMIC_SEQ_CST);
}

bool virtq_has_work(struct virtq *q)
{
	return !q->broken && avail_idx_acquire(q) != q->last_avail;
}
