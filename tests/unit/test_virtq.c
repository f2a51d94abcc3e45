// SPDX-License-Identifier: Apache-2.0
/*
 * Split virtqueues (virtio 1.2 2.7) as a driver fills them, in guest RAM
 * behind the real gmem_ptr(): valid chains direct and indirect, 16-bit
 * index wrap-around, used-buffer notification with and without
 * EVENT_IDX, kick suppression, and every kind of chain a hostile driver
 * can build, each of which must be -EBADMSG with the queue left broken.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "../../src/vmm/dev/virtq.h"
#include "../../src/vmm/gmem.h"

#define RAM_SIZE MiB(1)
#define DESC_GPA 0x1000
#define AVAIL_GPA 0x2000
#define USED_GPA 0x3000
#define IND_GPA 0x8000 /* indirect tables */
#define DATA_GPA 0x10000
#define QSIZE 8

#define NEXT VRING_DESC_F_NEXT
#define WRITE VRING_DESC_F_WRITE
#define INDIRECT VRING_DESC_F_INDIRECT
#define F_INDIRECT (1ULL << VIRTIO_RING_F_INDIRECT_DESC)
#define F_EVENT_IDX (1ULL << VIRTIO_RING_F_EVENT_IDX)

struct fixture {
	u8 *ram;
	u8 *ram_alloc; /* ram, unless a test swapped in a larger one */
	struct gmem gm;
	struct virtq q;
	struct virtq_req req;
	u16 avail_idx; /* the driver's next avail idx */
	/* test_toctou: a descriptor the "driver" rewrites mid-walk, when
	 * the device translates victim_gpa */
	struct vring_desc *victim;
	u64 victim_gpa;
};

static void *ram_ptr(void *ctx, u64 gpa, u64 len)
{
	struct fixture *f = ctx;

	return gmem_ptr(&f->gm, gpa, len);
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	f->ram = f->ram_alloc = aligned_alloc(4096, RAM_SIZE);
	assert_non_null(f->ram);
	memset(f->ram, 0, RAM_SIZE);
	gmem_init(&f->gm, f->ram, RAM_SIZE);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	free(f->ram_alloc);
	free(f);
	return 0;
}

static void start(struct fixture *f, u16 size, u64 features)
{
	assert_int_equal(virtq_init(&f->q, ram_ptr, f, size, DESC_GPA,
				    AVAIL_GPA, USED_GPA, features),
			 0);
}

static u16 *avail_ring(struct fixture *f)
{
	return (u16 *)(f->ram + AVAIL_GPA);
}

static u16 *used_ring(struct fixture *f)
{
	return (u16 *)(f->ram + USED_GPA);
}

static struct vring_desc *desc_at(struct fixture *f, u64 table, u16 i)
{
	return (struct vring_desc *)(f->ram + table) + i;
}

static void set_desc(struct fixture *f, u16 i, u64 addr, u32 len, u16 flags,
		     u16 next)
{
	*desc_at(f, DESC_GPA, i) =
		(struct vring_desc){ addr, len, flags, next };
}

static void set_ind(struct fixture *f, u16 i, u64 addr, u32 len, u16 flags,
		    u16 next)
{
	*desc_at(f, IND_GPA, i) = (struct vring_desc){ addr, len, flags, next };
}

/* The driver side of 2.7.13: ring entry, then the index. */
static void offer(struct fixture *f, u16 head)
{
	avail_ring(f)[2 + f->avail_idx % f->q.size] = head;
	f->avail_idx++;
	avail_ring(f)[1] = f->avail_idx;
}

static u32 used_id(struct fixture *f, u16 slot)
{
	return ((u32 *)(f->ram + USED_GPA + 4))[2 * slot];
}

static u32 used_len(struct fixture *f, u16 slot)
{
	return ((u32 *)(f->ram + USED_GPA + 4))[2 * slot + 1];
}

static void assert_buf(struct fixture *f, int i, u64 gpa, u32 len, bool write)
{
	assert_ptr_equal(f->req.buf[i].host, f->ram + gpa);
	assert_int_equal(f->req.buf[i].len, len);
	assert_int_equal(f->req.buf[i].write, write);
}

/* The queue refuses the chain and stays refused. */
static void assert_broken(struct fixture *f)
{
	assert_int_equal(virtq_pop(&f->q, &f->req), -EBADMSG);
	assert_true(f->q.broken);
	assert_int_equal(virtq_pop(&f->q, &f->req), -EBADMSG);
	assert_false(virtq_has_work(&f->q));
}

static void test_init(void **state)
{
	struct fixture *f = *state;
	struct virtq *q = &f->q;
	u16 sizes_bad[] = { 0, 3, 6, 255, 512, 1024, 32768 };
	size_t i;

	for (i = 0; i < ARRAY_SIZE(sizes_bad); i++)
		assert_int_equal(virtq_init(q, ram_ptr, f, sizes_bad[i],
					    DESC_GPA, AVAIL_GPA, USED_GPA, 0),
				 -EINVAL);
	/* Alignment 16, 2, 4 (2.7). */
	assert_int_equal(virtq_init(q, ram_ptr, f, 8, DESC_GPA + 8, AVAIL_GPA,
				    USED_GPA, 0),
			 -EINVAL);
	assert_int_equal(virtq_init(q, ram_ptr, f, 8, DESC_GPA, AVAIL_GPA + 1,
				    USED_GPA, 0),
			 -EINVAL);
	assert_int_equal(virtq_init(q, ram_ptr, f, 8, DESC_GPA, AVAIL_GPA,
				    USED_GPA + 2, 0),
			 -EINVAL);
	/* Rings wholly in RAM: 16*8, 6+2*8, 6+8*8 bytes. */
	assert_int_equal(virtq_init(q, ram_ptr, f, 8, RAM_SIZE - 16 * 8,
				    RAM_SIZE - 22, RAM_SIZE - 72, 0),
			 0);
	assert_int_equal(virtq_init(q, ram_ptr, f, 8, RAM_SIZE - 16 * 7,
				    AVAIL_GPA, USED_GPA, 0),
			 -EINVAL);
	assert_int_equal(virtq_init(q, ram_ptr, f, 8, DESC_GPA, RAM_SIZE - 20,
				    USED_GPA, 0),
			 -EINVAL);
	assert_int_equal(virtq_init(q, ram_ptr, f, 8, DESC_GPA, AVAIL_GPA,
				    RAM_SIZE - 68, 0),
			 -EINVAL);
	assert_int_equal(virtq_init(q, ram_ptr, f, 8, 0xfffffffffffffff0ULL,
				    AVAIL_GPA, USED_GPA, 0),
			 -EINVAL);
	/* Aligned guest addresses on a misaligned host mapping. */
	gmem_init(&f->gm, f->ram + 1, RAM_SIZE - 1);
	assert_int_equal(
		virtq_init(q, ram_ptr, f, 8, DESC_GPA, AVAIL_GPA, USED_GPA, 0),
		-EINVAL);
	gmem_init(&f->gm, f->ram, RAM_SIZE);
	/* Sizes 1 and VIRTQ_MAX_SIZE; features picked from the bits. */
	assert_int_equal(virtq_init(q, ram_ptr, f, 1, DESC_GPA, AVAIL_GPA,
				    USED_GPA, F_EVENT_IDX),
			 0);
	assert_false(q->indirect);
	assert_true(q->event_idx);
	assert_int_equal(virtq_init(q, ram_ptr, f, VIRTQ_MAX_SIZE, DESC_GPA,
				    AVAIL_GPA, USED_GPA, F_INDIRECT),
			 0);
	assert_true(q->indirect);
	assert_false(q->event_idx);
	assert_int_equal(q->last_avail, 0);
	assert_int_equal(q->used_idx, 0);
	assert_false(q->broken);
}

static void test_empty(void **state)
{
	struct fixture *f = *state;

	start(f, QSIZE, 0);
	assert_false(virtq_has_work(&f->q));
	assert_int_equal(virtq_pop(&f->q, &f->req), 0);
	assert_int_equal(f->q.last_avail, 0);
}

static void test_single(void **state)
{
	struct fixture *f = *state;

	start(f, QSIZE, 0);
	set_desc(f, 5, DATA_GPA, 64, 0, 0);
	offer(f, 5);
	assert_true(virtq_has_work(&f->q));
	assert_int_equal(virtq_pop(&f->q, &f->req), 1);
	assert_int_equal(f->req.head, 5);
	assert_int_equal(f->req.nr_out, 1);
	assert_int_equal(f->req.nr_in, 0);
	assert_int_equal(f->req.out_len, 64);
	assert_int_equal(f->req.in_len, 0);
	assert_buf(f, 0, DATA_GPA, 64, false);
	assert_int_equal(f->q.in_flight, 1);
	assert_false(virtq_has_work(&f->q));
	assert_int_equal(virtq_pop(&f->q, &f->req), 0);

	virtq_push(&f->q, 5, 0);
	assert_int_equal(used_ring(f)[1], 1);
	assert_int_equal(used_id(f, 0), 5);
	assert_int_equal(used_len(f, 0), 0);
	assert_int_equal(f->q.in_flight, 0);
}

/* Links in any order; readable ones first; lengths add up. */
static void test_multi(void **state)
{
	struct fixture *f = *state;

	start(f, QSIZE, 0);
	set_desc(f, 2, DATA_GPA, 16, NEXT, 7);
	set_desc(f, 7, DATA_GPA + 0x1000, 4096, NEXT, 0);
	set_desc(f, 0, DATA_GPA + 0x3000, 512, NEXT | WRITE, 3);
	set_desc(f, 3, DATA_GPA + 0x4000, 1, WRITE, 6); /* next ignored */
	offer(f, 2);
	assert_int_equal(virtq_pop(&f->q, &f->req), 1);
	assert_int_equal(f->req.head, 2);
	assert_int_equal(f->req.nr_out, 2);
	assert_int_equal(f->req.nr_in, 2);
	assert_int_equal(f->req.out_len, 16 + 4096);
	assert_int_equal(f->req.in_len, 513);
	assert_buf(f, 0, DATA_GPA, 16, false);
	assert_buf(f, 1, DATA_GPA + 0x1000, 4096, false);
	assert_buf(f, 2, DATA_GPA + 0x3000, 512, true);
	assert_buf(f, 3, DATA_GPA + 0x4000, 1, true);
}

/* A chain of exactly size descriptors; writable only is fine too. */
static void test_full_length(void **state)
{
	struct fixture *f = *state;
	u16 i;

	start(f, QSIZE, 0);
	for (i = 0; i < QSIZE; i++)
		set_desc(f, i, DATA_GPA + i * 0x100, 0x100,
			 WRITE | (i + 1 < QSIZE ? NEXT : 0), i + 1);
	offer(f, 0);
	assert_int_equal(virtq_pop(&f->q, &f->req), 1);
	assert_int_equal(f->req.nr_out, 0);
	assert_int_equal(f->req.nr_in, QSIZE);
	assert_int_equal(f->req.in_len, QSIZE * 0x100);
}

/* Several chains come out in avail order; used entries fill in order. */
static void test_order(void **state)
{
	struct fixture *f = *state;
	u16 heads[] = { 3, 1, 6 };
	size_t i;

	start(f, QSIZE, 0);
	for (i = 0; i < ARRAY_SIZE(heads); i++) {
		set_desc(f, heads[i], DATA_GPA + i * 0x100, 8, WRITE, 0);
		offer(f, heads[i]);
	}
	for (i = 0; i < ARRAY_SIZE(heads); i++) {
		assert_int_equal(virtq_pop(&f->q, &f->req), 1);
		assert_int_equal(f->req.head, heads[i]);
		assert_buf(f, 0, DATA_GPA + i * 0x100, 8, true);
	}
	assert_int_equal(virtq_pop(&f->q, &f->req), 0);
	assert_int_equal(f->q.in_flight, 3);
	/* Completion order is the device's. */
	virtq_push(&f->q, 6, 8);
	virtq_push(&f->q, 3, 4);
	virtq_push(&f->q, 1, 0);
	assert_int_equal(used_ring(f)[1], 3);
	assert_int_equal(used_id(f, 0), 6);
	assert_int_equal(used_len(f, 0), 8);
	assert_int_equal(used_id(f, 1), 3);
	assert_int_equal(used_len(f, 1), 4);
	assert_int_equal(used_id(f, 2), 1);
	assert_int_equal(f->q.in_flight, 0);
}

/* The 16-bit avail and used indices wrap at 65536 (2.7.13.3). */
static void test_wrap(void **state)
{
	struct fixture *f = *state;
	u16 i;

	start(f, 4, 0);
	f->q.last_avail = f->q.used_idx = 0xfffe;
	f->avail_idx = 0xfffe;
	avail_ring(f)[1] = 0xfffe;
	for (i = 0; i < 4; i++) {
		set_desc(f, i, DATA_GPA + i * 0x10, 0x10, 0, 0);
		offer(f, i);
	}
	assert_int_equal(avail_ring(f)[1], 2);
	/* 0xfffe % 4 = 2: the entries sit in slots 2, 3, 0, 1. */
	assert_int_equal(avail_ring(f)[2 + 2], 0);
	assert_int_equal(avail_ring(f)[2 + 1], 3);
	for (i = 0; i < 4; i++) {
		assert_true(virtq_has_work(&f->q));
		assert_int_equal(virtq_pop(&f->q, &f->req), 1);
		assert_int_equal(f->req.head, i);
	}
	assert_int_equal(f->q.last_avail, 2);
	assert_int_equal(virtq_pop(&f->q, &f->req), 0);
	for (i = 0; i < 4; i++)
		virtq_push(&f->q, i, i);
	assert_int_equal(used_ring(f)[1], 2);
	assert_int_equal(used_id(f, 2), 0);
	assert_int_equal(used_id(f, 3), 1);
	assert_int_equal(used_id(f, 0), 2);
	assert_int_equal(used_id(f, 1), 3);
	/* 4 available again after 4 used: still within size. */
	for (i = 0; i < 4; i++)
		offer(f, i);
	for (i = 0; i < 4; i++)
		assert_int_equal(virtq_pop(&f->q, &f->req), 1);
	assert_int_equal(f->q.last_avail, 6);
}

static void test_indirect(void **state)
{
	struct fixture *f = *state;

	start(f, QSIZE, F_INDIRECT);
	set_ind(f, 0, DATA_GPA, 16, NEXT, 2);
	set_ind(f, 2, DATA_GPA + 0x100, 512, NEXT | WRITE, 1);
	set_ind(f, 1, DATA_GPA + 0x400, 1, WRITE, 0);
	/* WRITE on the table's own descriptor means nothing (2.7.5.3.2). */
	set_desc(f, 4, IND_GPA, 3 * 16, INDIRECT | WRITE, 0);
	offer(f, 4);
	assert_int_equal(virtq_pop(&f->q, &f->req), 1);
	assert_int_equal(f->req.head, 4);
	assert_int_equal(f->req.nr_out, 1);
	assert_int_equal(f->req.nr_in, 2);
	assert_buf(f, 0, DATA_GPA, 16, false);
	assert_buf(f, 1, DATA_GPA + 0x100, 512, true);
	assert_buf(f, 2, DATA_GPA + 0x400, 1, true);
	assert_int_equal(f->req.out_len, 16);
	assert_int_equal(f->req.in_len, 513);
}

/* "zero or more normal chained descriptors followed by" an indirect one. */
static void test_direct_then_indirect(void **state)
{
	struct fixture *f = *state;
	u16 i;

	start(f, QSIZE, F_INDIRECT);
	set_desc(f, 0, DATA_GPA, 16, NEXT, 1);
	set_desc(f, 1, IND_GPA, 16 * (QSIZE - 1), INDIRECT, 0);
	/* 1 + 7 buffers = size: allowed; the table's descriptor not counted. */
	for (i = 0; i < QSIZE - 1; i++)
		set_ind(f, i, DATA_GPA + 0x100 * (i + 1), 0x100,
			WRITE | (i + 2 < QSIZE ? NEXT : 0), i + 1);
	offer(f, 0);
	assert_int_equal(virtq_pop(&f->q, &f->req), 1);
	assert_int_equal(f->req.nr_out, 1);
	assert_int_equal(f->req.nr_in, QSIZE - 1);
	assert_buf(f, QSIZE - 1, DATA_GPA + 0x100 * (QSIZE - 1), 0x100, true);
}

/* Full table of size entries: as long as an indirect table may be. */
static void test_indirect_full(void **state)
{
	struct fixture *f = *state;
	u16 i;

	start(f, QSIZE, F_INDIRECT);
	for (i = 0; i < QSIZE; i++)
		set_ind(f, i, DATA_GPA, 1, i + 1 < QSIZE ? NEXT : 0, i + 1);
	set_desc(f, 0, IND_GPA, 16 * QSIZE, INDIRECT, 0);
	offer(f, 0);
	assert_int_equal(virtq_pop(&f->q, &f->req), 1);
	assert_int_equal(f->req.nr_out, QSIZE);
}

/* An indirect table need not be 16-byte aligned; it is read bytewise. */
static void test_indirect_unaligned(void **state)
{
	struct fixture *f = *state;
	struct vring_desc d[2] = { { DATA_GPA, 8, NEXT, 1 },
				   { DATA_GPA + 8, 8, WRITE, 0 } };

	start(f, QSIZE, F_INDIRECT);
	memcpy(f->ram + IND_GPA + 3, d, sizeof(d));
	set_desc(f, 0, IND_GPA + 3, sizeof(d), INDIRECT, 0);
	offer(f, 0);
	assert_int_equal(virtq_pop(&f->q, &f->req), 1);
	assert_buf(f, 0, DATA_GPA, 8, false);
	assert_buf(f, 1, DATA_GPA + 8, 8, true);
}

static void test_bad_head(void **state)
{
	struct fixture *f = *state;

	start(f, QSIZE, 0);
	set_desc(f, 0, DATA_GPA, 8, 0, 0);
	/* Past the table, a valid-looking descriptor (the avail ring's
	 * memory in a real guest): it must not be read. */
	set_desc(f, QSIZE, DATA_GPA, 8, 0, 0);
	offer(f, QSIZE);
	assert_broken(f);
}

static void test_bad_next(void **state)
{
	struct fixture *f = *state;

	start(f, QSIZE, 0);
	set_desc(f, 0, DATA_GPA, 8, NEXT, QSIZE);
	set_desc(f, QSIZE, DATA_GPA, 8, 0, 0);
	offer(f, 0);
	assert_broken(f);
}

static void test_self_loop(void **state)
{
	struct fixture *f = *state;

	start(f, QSIZE, 0);
	set_desc(f, 3, DATA_GPA, 8, NEXT, 3);
	offer(f, 3);
	assert_broken(f);
}

static void test_cycle(void **state)
{
	struct fixture *f = *state;

	start(f, QSIZE, 0);
	set_desc(f, 0, DATA_GPA, 8, NEXT, 5);
	set_desc(f, 5, DATA_GPA, 8, NEXT, 2);
	set_desc(f, 2, DATA_GPA, 8, NEXT | WRITE, 0);
	offer(f, 0);
	assert_broken(f);
}

static void test_cycle_in_indirect(void **state)
{
	struct fixture *f = *state;

	start(f, QSIZE, F_INDIRECT);
	set_ind(f, 0, DATA_GPA, 8, NEXT, 1);
	set_ind(f, 1, DATA_GPA, 8, NEXT, 0);
	set_desc(f, 0, IND_GPA, 32, INDIRECT, 0);
	offer(f, 0);
	assert_broken(f);
}

/* size direct buffers then an indirect table: size + 1 buffers. */
static void test_too_long(void **state)
{
	struct fixture *f = *state;
	u16 i;

	start(f, 4, F_INDIRECT);
	for (i = 0; i < 3; i++)
		set_desc(f, i, DATA_GPA, 8, NEXT, i + 1);
	set_desc(f, 3, IND_GPA, 32, INDIRECT, 0);
	set_ind(f, 0, DATA_GPA, 8, NEXT, 1);
	set_ind(f, 1, DATA_GPA, 8, 0, 0);
	offer(f, 0);
	assert_broken(f);
}

static void test_indirect_too_many(void **state)
{
	struct fixture *f = *state;

	start(f, QSIZE, F_INDIRECT);
	set_ind(f, 0, DATA_GPA, 8, 0, 0);
	set_desc(f, 0, IND_GPA, 16 * (QSIZE + 1), INDIRECT, 0);
	offer(f, 0);
	assert_broken(f);
}

static void test_indirect_bad_next(void **state)
{
	struct fixture *f = *state;

	start(f, QSIZE, F_INDIRECT);
	set_ind(f, 0, DATA_GPA, 8, NEXT, 2); /* table has 2 entries */
	set_ind(f, 1, DATA_GPA, 8, 0, 0);
	set_ind(f, 2, DATA_GPA, 8, 0, 0);
	set_desc(f, 0, IND_GPA, 32, INDIRECT, 0);
	offer(f, 0);
	assert_broken(f);
}

static void test_addr_outside(void **state)
{
	struct fixture *f = *state;

	start(f, QSIZE, 0);
	set_desc(f, 0, RAM_SIZE, 1, 0, 0);
	offer(f, 0);
	assert_broken(f);
}

static void test_addr_outside_later(void **state)
{
	struct fixture *f = *state;

	start(f, QSIZE, 0);
	set_desc(f, 0, DATA_GPA, 8, NEXT, 1);
	set_desc(f, 1, 0x100000000ULL, 8, WRITE, 0);
	offer(f, 0);
	assert_broken(f);
}

/* addr + len wraps past 2^64 to a small (in-RAM) address. */
static void test_addr_wrap(void **state)
{
	struct fixture *f = *state;

	start(f, QSIZE, 0);
	set_desc(f, 0, 0xfffffffffffff000ULL, 0x2000, 0, 0);
	offer(f, 0);
	assert_broken(f);
}

static void test_len_past_end(void **state)
{
	struct fixture *f = *state;

	start(f, QSIZE, 0);
	set_desc(f, 0, RAM_SIZE - 0x100, 0x101, WRITE, 0);
	offer(f, 0);
	assert_broken(f);
}

/* The last byte of RAM is a fine buffer. */
static void test_len_to_end(void **state)
{
	struct fixture *f = *state;

	start(f, QSIZE, 0);
	set_desc(f, 0, RAM_SIZE - 0x100, 0x100, WRITE, 0);
	offer(f, 0);
	assert_int_equal(virtq_pop(&f->q, &f->req), 1);
	assert_buf(f, 0, RAM_SIZE - 0x100, 0x100, true);
}

static void test_zero_len(void **state)
{
	struct fixture *f = *state;

	start(f, QSIZE, 0);
	set_desc(f, 0, DATA_GPA, 16, NEXT, 1);
	set_desc(f, 1, DATA_GPA + 16, 0, WRITE, 0);
	offer(f, 0);
	assert_broken(f);
}

static void test_indirect_outside(void **state)
{
	struct fixture *f = *state;

	start(f, QSIZE, F_INDIRECT);
	set_desc(f, 0, RAM_SIZE - 16, 32, INDIRECT, 0);
	offer(f, 0);
	assert_broken(f);
}

static void test_indirect_bad_len(void **state)
{
	struct fixture *f = *state;
	u32 lens[] = { 0, 8, 24, 17 };
	size_t i;

	for (i = 0; i < ARRAY_SIZE(lens); i++) {
		start(f, QSIZE, F_INDIRECT);
		f->avail_idx = 0;
		set_ind(f, 0, DATA_GPA, 8, 0, 0);
		set_ind(f, 1, DATA_GPA, 8, 0, 0);
		set_desc(f, 0, IND_GPA, lens[i], INDIRECT, 0);
		offer(f, 0);
		assert_broken(f);
	}
}

static void test_indirect_nested(void **state)
{
	struct fixture *f = *state;

	start(f, QSIZE, F_INDIRECT);
	set_ind(f, 0, DATA_GPA, 8, NEXT, 1);
	set_ind(f, 1, IND_GPA + 0x100, 16, INDIRECT, 0);
	set_desc(f, 0, IND_GPA, 32, INDIRECT, 0);
	*desc_at(f, IND_GPA + 0x100, 0) =
		(struct vring_desc){ DATA_GPA, 8, 0, 0 };
	offer(f, 0);
	assert_broken(f);
}

static void test_indirect_with_next(void **state)
{
	struct fixture *f = *state;

	start(f, QSIZE, F_INDIRECT);
	set_ind(f, 0, DATA_GPA, 8, 0, 0);
	set_desc(f, 0, IND_GPA, 16, INDIRECT | NEXT, 1);
	set_desc(f, 1, DATA_GPA, 8, WRITE, 0);
	offer(f, 0);
	assert_broken(f);
}

/* INDIRECT_DESC not negotiated: the flag is a driver error. */
static void test_indirect_not_negotiated(void **state)
{
	struct fixture *f = *state;

	start(f, QSIZE, 0);
	set_ind(f, 0, DATA_GPA, 8, 0, 0);
	set_desc(f, 0, IND_GPA, 16, INDIRECT, 0);
	offer(f, 0);
	assert_broken(f);
}

static void test_read_after_write(void **state)
{
	struct fixture *f = *state;

	start(f, QSIZE, 0);
	set_desc(f, 0, DATA_GPA, 8, NEXT, 1);
	set_desc(f, 1, DATA_GPA + 8, 8, NEXT | WRITE, 2);
	set_desc(f, 2, DATA_GPA + 16, 8, 0, 0);
	offer(f, 0);
	assert_broken(f);
}

/* Across the switch: writable direct, readable in the table. */
static void test_read_after_write_indirect(void **state)
{
	struct fixture *f = *state;

	start(f, QSIZE, F_INDIRECT);
	set_desc(f, 0, DATA_GPA, 8, NEXT | WRITE, 1);
	set_desc(f, 1, IND_GPA, 16, INDIRECT, 0);
	set_ind(f, 0, DATA_GPA + 8, 8, 0, 0);
	offer(f, 0);
	assert_broken(f);
}

static void test_avail_too_far(void **state)
{
	struct fixture *f = *state;

	start(f, QSIZE, 0);
	set_desc(f, 0, DATA_GPA, 8, 0, 0);
	avail_ring(f)[1] = QSIZE + 1;
	assert_broken(f);
}

/* Exactly size ahead is a full ring, not an error. */
static void test_avail_full(void **state)
{
	struct fixture *f = *state;
	u16 i;

	start(f, QSIZE, 0);
	for (i = 0; i < QSIZE; i++) {
		set_desc(f, i, DATA_GPA, 8, 0, 0);
		offer(f, i);
	}
	for (i = 0; i < QSIZE; i++)
		assert_int_equal(virtq_pop(&f->q, &f->req), 1);
	assert_int_equal(f->q.in_flight, QSIZE);
	/* A driver reusing a head the device still holds. */
	offer(f, 0);
	assert_broken(f);
	assert_int_equal(f->q.in_flight, QSIZE);
}

/* With completions in between, the ring goes round forever. */
static void test_in_flight(void **state)
{
	struct fixture *f = *state;
	int round;

	start(f, 2, 0);
	set_desc(f, 0, DATA_GPA, 8, 0, 0);
	set_desc(f, 1, DATA_GPA, 8, 0, 0);
	for (round = 0; round < 100; round++) {
		offer(f, round & 1);
		assert_int_equal(virtq_pop(&f->q, &f->req), 1);
		if (round) {
			virtq_push(&f->q, (round - 1) & 1, 0);
			assert_int_equal(f->q.in_flight, 1);
		}
	}
}

/* Over 2^32 bytes in all is forbidden (2.7.5.2), whatever RAM holds. */
static void test_chain_bytes(void **state)
{
	struct fixture *f = *state;
	u64 big = 0x80000000ULL;
	struct gmem gm_small = f->gm;
	u8 *host = mmap(NULL, big, PROT_READ | PROT_WRITE,
			MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	u32 len = big - DATA_GPA;

	assert_true(host != MAP_FAILED);
	gmem_init(&f->gm, host, big);
	f->ram = host;
	start(f, QSIZE, 0);
	/* Three 2 GiB - 64 KiB buffers over the same memory. */
	set_desc(f, 0, DATA_GPA, len, NEXT, 1);
	set_desc(f, 1, DATA_GPA, len, NEXT | WRITE, 2);
	set_desc(f, 2, DATA_GPA, len, WRITE, 0);
	set_desc(f, 3, DATA_GPA, len, NEXT, 4);
	set_desc(f, 4, DATA_GPA, len, WRITE, 0);
	offer(f, 3);
	offer(f, 0);
	assert_int_equal(virtq_pop(&f->q, &f->req), 1);
	assert_int_equal(f->req.out_len + f->req.in_len, 2ULL * len);
	assert_broken(f);
	munmap(host, big);
	f->ram = f->ram_alloc;
	f->gm = gm_small;
}

/*
 * A driver rewriting a descriptor while the device walks: the buffer is
 * the descriptor as it was checked, never a later value.
 */
static void *ram_ptr_rewrite(void *ctx, u64 gpa, u64 len)
{
	struct fixture *f = ctx;
	void *p = ram_ptr(ctx, gpa, len);

	if (f->victim && gpa == f->victim_gpa) {
		f->victim->addr = 0xfffffffffffff000ULL;
		f->victim->len = 0xffffffff;
		f->victim->flags = NEXT | INDIRECT;
		f->victim->next = 0xffff;
	}
	return p;
}

static void test_toctou(void **state)
{
	struct fixture *f = *state;

	start(f, QSIZE, F_INDIRECT);
	f->q.gpa_ptr = ram_ptr_rewrite;
	set_desc(f, 0, DATA_GPA, 64, NEXT, 1);
	set_desc(f, 1, IND_GPA, 32, INDIRECT, 0);
	set_ind(f, 0, DATA_GPA + 64, 8, NEXT, 1);
	set_ind(f, 1, DATA_GPA + 128, 1, WRITE, 0);
	offer(f, 0);
	f->victim = desc_at(f, DESC_GPA, 0);
	f->victim_gpa = DATA_GPA;
	assert_int_equal(virtq_pop(&f->q, &f->req), 1);
	assert_int_equal(f->req.nr_out, 2);
	assert_int_equal(f->req.nr_in, 1);
	assert_buf(f, 0, DATA_GPA, 64, false);
	assert_buf(f, 1, DATA_GPA + 64, 8, false);
	assert_buf(f, 2, DATA_GPA + 128, 1, true);

	/* The table's descriptor changes once its table is translated. */
	set_desc(f, 0, DATA_GPA, 64, NEXT, 1);
	offer(f, 0);
	f->victim = desc_at(f, DESC_GPA, 1);
	f->victim_gpa = IND_GPA;
	assert_int_equal(virtq_pop(&f->q, &f->req), 1);
	assert_int_equal(f->req.nr_out + f->req.nr_in, 3);
	assert_buf(f, 2, DATA_GPA + 128, 1, true);
	f->victim = NULL;
}

/* A broken queue stays broken until the driver resets it. */
static void test_broken_until_init(void **state)
{
	struct fixture *f = *state;

	start(f, QSIZE, 0);
	set_desc(f, 0, DATA_GPA, 8, NEXT, 0);
	offer(f, 0);
	assert_broken(f);
	set_desc(f, 0, DATA_GPA, 8, 0, 0);
	assert_int_equal(virtq_pop(&f->q, &f->req), -EBADMSG);
	start(f, QSIZE, 0);
	assert_int_equal(virtq_pop(&f->q, &f->req), 1);
	assert_int_equal(f->req.head, 0);
}

/* Without EVENT_IDX: interrupt unless NO_INTERRUPT (2.7.7.2). */
static void test_notify_flags(void **state)
{
	struct fixture *f = *state;

	start(f, QSIZE, 0);
	virtq_push(&f->q, 0, 0);
	assert_true(virtq_should_notify(&f->q));
	avail_ring(f)[0] = VRING_AVAIL_F_NO_INTERRUPT;
	virtq_push(&f->q, 1, 0);
	assert_false(virtq_should_notify(&f->q));
	/* used_event means nothing without the feature. */
	avail_ring(f)[2 + QSIZE] = f->q.used_idx - 1;
	assert_false(virtq_should_notify(&f->q));
	avail_ring(f)[0] = 0;
	avail_ring(f)[2 + QSIZE] = 0x1234;
	virtq_push(&f->q, 2, 0);
	assert_true(virtq_should_notify(&f->q));
}

/* With EVENT_IDX: vring_need_event(used_event, new, old) (2.7.7.2). */
static void test_notify_event_idx(void **state)
{
	struct fixture *f = *state;
	u16 *used_event = &avail_ring(f)[2 + QSIZE];

	start(f, QSIZE, F_EVENT_IDX);
	/* NO_INTERRUPT is ignored; the first call always interrupts. */
	avail_ring(f)[0] = VRING_AVAIL_F_NO_INTERRUPT;
	*used_event = 0x8000;
	virtq_push(&f->q, 0, 0); /* used idx 1 */
	assert_true(virtq_should_notify(&f->q));
	/* used_event 1: interrupt once entry 1 is written (idx 1 -> 2). */
	*used_event = 1;
	virtq_push(&f->q, 0, 0);
	assert_true(virtq_should_notify(&f->q));
	/* Nothing new since: no. */
	assert_false(virtq_should_notify(&f->q));
	/* used_event 5: not at 3, 4, 5; at 6. */
	*used_event = 5;
	virtq_push(&f->q, 0, 0);
	assert_false(virtq_should_notify(&f->q));
	virtq_push(&f->q, 0, 0);
	virtq_push(&f->q, 0, 0);
	assert_false(virtq_should_notify(&f->q));
	virtq_push(&f->q, 0, 0);
	assert_int_equal(f->q.used_idx, 6);
	assert_true(virtq_should_notify(&f->q));
	/* A batch that passes used_event in its middle: yes. */
	*used_event = 7;
	virtq_push(&f->q, 0, 0);
	virtq_push(&f->q, 0, 0);
	virtq_push(&f->q, 0, 0);
	assert_true(virtq_should_notify(&f->q));
	/* Behind us already (driver not looking): no. */
	*used_event = 3;
	virtq_push(&f->q, 0, 0);
	assert_false(virtq_should_notify(&f->q));
}

static void test_notify_event_idx_wrap(void **state)
{
	struct fixture *f = *state;
	u16 *used_event = &avail_ring(f)[2 + QSIZE];

	start(f, QSIZE, F_EVENT_IDX);
	f->q.used_idx = 0xfffd;
	virtq_push(&f->q, 0, 0); /* 0xfffe */
	assert_true(virtq_should_notify(&f->q));
	*used_event = 0xffff;
	virtq_push(&f->q, 0, 0);
	assert_false(virtq_should_notify(&f->q)); /* idx 0xffff */
	virtq_push(&f->q, 0, 0); /* wrote entry 0xffff: idx 0 */
	assert_int_equal(used_ring(f)[1], 0);
	assert_true(virtq_should_notify(&f->q));
	*used_event = 0;
	virtq_push(&f->q, 0, 0);
	assert_true(virtq_should_notify(&f->q));
}

static void test_kicks(void **state)
{
	struct fixture *f = *state;
	u16 *avail_event = &used_ring(f)[2 + 4 * QSIZE];

	start(f, QSIZE, 0);
	virtq_enable_kicks(&f->q, false);
	assert_int_equal(used_ring(f)[0], VRING_USED_F_NO_NOTIFY);
	virtq_enable_kicks(&f->q, true);
	assert_int_equal(used_ring(f)[0], 0);
	assert_int_equal(*avail_event, 0);

	start(f, QSIZE, F_EVENT_IDX);
	set_desc(f, 0, DATA_GPA, 8, 0, 0);
	offer(f, 0);
	offer(f, 0);
	assert_int_equal(virtq_pop(&f->q, &f->req), 1);
	virtq_push(&f->q, 0, 0);
	assert_int_equal(virtq_pop(&f->q, &f->req), 1);
	virtq_enable_kicks(&f->q, false);
	assert_int_equal(*avail_event, 0);
	assert_int_equal(used_ring(f)[0], 0);
	virtq_enable_kicks(&f->q, true);
	/* Kick when the driver publishes entry 2. */
	assert_int_equal(*avail_event, 2);
	assert_int_equal(used_ring(f)[0], 0);
	assert_false(virtq_has_work(&f->q));
	offer(f, 0);
	assert_true(virtq_has_work(&f->q));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
		T(test_init),
		T(test_empty),
		T(test_single),
		T(test_multi),
		T(test_full_length),
		T(test_order),
		T(test_wrap),
		T(test_indirect),
		T(test_direct_then_indirect),
		T(test_indirect_full),
		T(test_indirect_unaligned),
		T(test_bad_head),
		T(test_bad_next),
		T(test_self_loop),
		T(test_cycle),
		T(test_cycle_in_indirect),
		T(test_too_long),
		T(test_indirect_too_many),
		T(test_indirect_bad_next),
		T(test_addr_outside),
		T(test_addr_outside_later),
		T(test_addr_wrap),
		T(test_len_past_end),
		T(test_len_to_end),
		T(test_zero_len),
		T(test_indirect_outside),
		T(test_indirect_bad_len),
		T(test_indirect_nested),
		T(test_indirect_with_next),
		T(test_indirect_not_negotiated),
		T(test_read_after_write),
		T(test_read_after_write_indirect),
		T(test_avail_too_far),
		T(test_avail_full),
		T(test_in_flight),
		T(test_chain_bytes),
		T(test_toctou),
		T(test_broken_until_init),
		T(test_notify_flags),
		T(test_notify_event_idx),
		T(test_notify_event_idx_wrap),
		T(test_kicks),
#undef T
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
