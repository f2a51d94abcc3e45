// SPDX-License-Identifier: Apache-2.0
/*
 * virtio-blk requests (virtio 1.2 5.2.6) as any framing a driver may
 * choose delivers them: the header split or sharing a buffer with data,
 * the status byte alone or at the end of a data buffer; every type and
 * every refusal (IOERR, UNSUPP, no status byte), with sector arithmetic
 * at the edge of 2^64. Chains are built directly, as virtq_pop() would
 * return them; one goes through a real queue end to end.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <endian.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/vmm/dev/virtio_blk_req.h"
#include "../../src/vmm/gmem.h"

#define CAPACITY 2048 /* sectors: 1 MiB */
#define SEG_UNMAP VIRTIO_BLK_WRITE_ZEROES_FLAG_UNMAP

struct fixture {
	u8 mem[64 * 1024]; /* what the buffers point into */
	u64 used; /* bytes of mem handed out */
	struct virtq_req vr;
	struct blk_limits lim;
	struct blk_req out;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	f->lim = (struct blk_limits){
		.capacity = CAPACITY,
		.discard = true,
		.write_zeroes = true,
		.max_discard_sectors = 1024,
		.max_discard_seg = 4,
		.max_write_zeroes_sectors = 512,
		.max_write_zeroes_seg = 2,
		.write_zeroes_may_unmap = true,
	};
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	free(*state);
	return 0;
}

/* Append a buffer of @len bytes (readable ones before writable ones). */
static u8 *buf(struct fixture *f, u32 len, bool write)
{
	struct virtq_req *vr = &f->vr;
	u8 *host = f->mem + f->used;

	assert_true(f->used + len <= sizeof(f->mem));
	assert_true(write || !vr->nr_in);
	f->used += len;
	vr->buf[vr->nr_out + vr->nr_in] =
		(struct virtq_buf){ .host = host, .len = len, .write = write };
	if (write) {
		vr->nr_in++;
		vr->in_len += len;
	} else {
		vr->nr_out++;
		vr->out_len += len;
	}
	return host;
}

static void put_hdr(u8 *p, u32 type, u64 sector)
{
	u32 t = htole32(type), reserved = 0;
	u64 s = htole64(sector);

	memcpy(p, &t, 4);
	memcpy(p + 4, &reserved, 4);
	memcpy(p + 8, &s, 8);
}

/* A header in one readable buffer of its own. */
static void hdr(struct fixture *f, u32 type, u64 sector)
{
	put_hdr(buf(f, 16, false), type, sector);
}

static void put_seg(u8 *p, u64 sector, u32 num, u32 flags)
{
	u64 s = htole64(sector);
	u32 n = htole32(num), fl = htole32(flags);

	memcpy(p, &s, 8);
	memcpy(p + 8, &n, 4);
	memcpy(p + 12, &fl, 4);
}

static int parse(struct fixture *f)
{
	return blk_req_parse(&f->vr, &f->lim, &f->out);
}

static void assert_data(struct fixture *f, int i, const u8 *host, u32 len,
			bool write)
{
	assert_ptr_equal(f->out.data[i].host, host);
	assert_int_equal(f->out.data[i].len, len);
	assert_int_equal(f->out.data[i].write, write);
}

static void test_in(void **state)
{
	struct fixture *f = *state;
	u8 *d0, *d1, *st;

	hdr(f, VIRTIO_BLK_T_IN, 100);
	d0 = buf(f, 512, true);
	d1 = buf(f, 1024, true);
	st = buf(f, 1, true);
	assert_int_equal(parse(f), VIRTIO_BLK_S_OK);
	assert_int_equal(f->out.type, VIRTIO_BLK_T_IN);
	assert_int_equal(f->out.sector, 100);
	assert_ptr_equal(f->out.status, st);
	assert_int_equal(f->out.nr_data, 2);
	assert_int_equal(f->out.data_len, 1536);
	assert_data(f, 0, d0, 512, true);
	assert_data(f, 1, d1, 1024, true);
	assert_int_equal(f->out.nr_seg, 0);
}

/* The status byte is the last byte of the last data buffer. */
static void test_in_status_in_data(void **state)
{
	struct fixture *f = *state;
	u8 *d0, *d1;

	hdr(f, VIRTIO_BLK_T_IN, 0);
	d0 = buf(f, 512, true);
	d1 = buf(f, 513, true);
	assert_int_equal(parse(f), VIRTIO_BLK_S_OK);
	assert_ptr_equal(f->out.status, d1 + 512);
	assert_int_equal(f->out.nr_data, 2);
	assert_int_equal(f->out.data_len, 1024);
	assert_data(f, 0, d0, 512, true);
	assert_data(f, 1, d1, 512, true);
}

/* Zero-length pieces (which virtq_pop() refuses anyway) are dropped. */
static void test_in_zero_pieces(void **state)
{
	struct fixture *f = *state;
	u8 *d0, *st;

	hdr(f, VIRTIO_BLK_T_IN, 0);
	buf(f, 0, true);
	d0 = buf(f, 512, true);
	st = buf(f, 1, true);
	buf(f, 0, true);
	assert_int_equal(parse(f), VIRTIO_BLK_S_OK);
	assert_ptr_equal(f->out.status, st);
	assert_int_equal(f->out.nr_data, 1);
	assert_data(f, 0, d0, 512, true);
}

/* Read-only disks still read; an empty read is a no-op, not an error. */
static void test_in_readonly_empty(void **state)
{
	struct fixture *f = *state;
	u8 *st;

	f->lim.readonly = true;
	hdr(f, VIRTIO_BLK_T_IN, CAPACITY);
	st = buf(f, 1, true);
	assert_int_equal(parse(f), VIRTIO_BLK_S_OK);
	assert_ptr_equal(f->out.status, st);
	assert_int_equal(f->out.nr_data, 0);
	assert_int_equal(f->out.data_len, 0);
}

static void test_in_not_sectors(void **state)
{
	struct fixture *f = *state;
	u8 *st;

	hdr(f, VIRTIO_BLK_T_IN, 0);
	buf(f, 511, true);
	st = buf(f, 1, true);
	assert_int_equal(parse(f), VIRTIO_BLK_S_IOERR);
	assert_ptr_equal(f->out.status, st);
}

static void test_in_range(void **state)
{
	struct fixture *f = *state;

	/* The last two sectors: fine. */
	hdr(f, VIRTIO_BLK_T_IN, CAPACITY - 2);
	buf(f, 1025, true);
	assert_int_equal(parse(f), VIRTIO_BLK_S_OK);
	/* One past the end. */
	memset(&f->vr, 0, sizeof(f->vr));
	hdr(f, VIRTIO_BLK_T_IN, CAPACITY - 1);
	buf(f, 1025, true);
	assert_int_equal(parse(f), VIRTIO_BLK_S_IOERR);
	memset(&f->vr, 0, sizeof(f->vr));
	hdr(f, VIRTIO_BLK_T_IN, CAPACITY + 1);
	buf(f, 1, true);
	assert_int_equal(parse(f), VIRTIO_BLK_S_IOERR);
}

/* sector + count wraps past 2^64 to a small value: still refused. */
static void test_in_overflow(void **state)
{
	struct fixture *f = *state;

	f->lim.capacity = UINT64_MAX;
	hdr(f, VIRTIO_BLK_T_IN, UINT64_MAX - 1);
	buf(f, 3 * 512 + 1, true);
	assert_int_equal(parse(f), VIRTIO_BLK_S_IOERR);
	/* Up to the last sector of a 2^64-sector disk is fine. */
	memset(&f->vr, 0, sizeof(f->vr));
	hdr(f, VIRTIO_BLK_T_IN, UINT64_MAX - 1);
	buf(f, 512 + 1, true);
	assert_int_equal(parse(f), VIRTIO_BLK_S_OK);
	memset(&f->vr, 0, sizeof(f->vr));
	f->lim.capacity = CAPACITY;
	hdr(f, VIRTIO_BLK_T_IN, UINT64_MAX);
	buf(f, 512 + 1, true);
	assert_int_equal(parse(f), VIRTIO_BLK_S_IOERR);
}

/* Header and data in one buffer; status alone. */
static void test_out(void **state)
{
	struct fixture *f = *state;
	u8 *p, *d1, *st;

	p = buf(f, 16 + 512, false);
	put_hdr(p, VIRTIO_BLK_T_OUT, 7);
	d1 = buf(f, 1024, false);
	st = buf(f, 1, true);
	assert_int_equal(parse(f), VIRTIO_BLK_S_OK);
	assert_int_equal(f->out.type, VIRTIO_BLK_T_OUT);
	assert_int_equal(f->out.sector, 7);
	assert_ptr_equal(f->out.status, st);
	assert_int_equal(f->out.nr_data, 2);
	assert_int_equal(f->out.data_len, 1536);
	assert_data(f, 0, p + 16, 512, false);
	assert_data(f, 1, d1, 1024, false);
}

/* The header across two buffers, the second carrying data too. */
static void test_out_split_header(void **state)
{
	struct fixture *f = *state;
	u8 h[16], *a, *b, *st;

	f->lim.capacity = UINT64_MAX;
	put_hdr(h, VIRTIO_BLK_T_OUT, 0x0102030405060708ULL);
	a = buf(f, 5, false);
	b = buf(f, 11 + 512, false);
	memcpy(a, h, 5);
	memcpy(b, h + 5, 11);
	st = buf(f, 1, true);
	assert_int_equal(parse(f), VIRTIO_BLK_S_OK);
	assert_int_equal(f->out.type, VIRTIO_BLK_T_OUT);
	assert_int_equal(f->out.sector, 0x0102030405060708ULL);
	assert_ptr_equal(f->out.status, st);
	assert_int_equal(f->out.nr_data, 1);
	assert_data(f, 0, b + 11, 512, false);
}

/* The header in 16 one-byte buffers. */
static void test_header_bytewise(void **state)
{
	struct fixture *f = *state;
	u8 h[16];
	int i;

	put_hdr(h, VIRTIO_BLK_T_OUT, 3);
	for (i = 0; i < 16; i++)
		*buf(f, 1, false) = h[i];
	buf(f, 512, false);
	buf(f, 1, true);
	assert_int_equal(parse(f), VIRTIO_BLK_S_OK);
	assert_int_equal(f->out.sector, 3);
	assert_int_equal(f->out.nr_data, 1);
	assert_int_equal(f->out.data_len, 512);
}

static void test_out_readonly(void **state)
{
	struct fixture *f = *state;
	u8 *st;

	f->lim.readonly = true;
	hdr(f, VIRTIO_BLK_T_OUT, 0);
	buf(f, 512, false);
	st = buf(f, 1, true);
	assert_int_equal(parse(f), VIRTIO_BLK_S_IOERR);
	assert_ptr_equal(f->out.status, st);
}

static void test_out_checks(void **state)
{
	struct fixture *f = *state;

	hdr(f, VIRTIO_BLK_T_OUT, 0);
	buf(f, 1000, false);
	buf(f, 1, true);
	assert_int_equal(parse(f), VIRTIO_BLK_S_IOERR);
	memset(&f->vr, 0, sizeof(f->vr));
	hdr(f, VIRTIO_BLK_T_OUT, CAPACITY);
	buf(f, 512, false);
	buf(f, 1, true);
	assert_int_equal(parse(f), VIRTIO_BLK_S_IOERR);
	memset(&f->vr, 0, sizeof(f->vr));
	f->lim.capacity = UINT64_MAX;
	hdr(f, VIRTIO_BLK_T_OUT, UINT64_MAX);
	buf(f, 1024, false);
	buf(f, 1, true);
	assert_int_equal(parse(f), VIRTIO_BLK_S_IOERR);
}

static void test_flush(void **state)
{
	struct fixture *f = *state;
	u8 *st;

	f->lim.readonly = true;
	hdr(f, VIRTIO_BLK_T_FLUSH, 0);
	st = buf(f, 1, true);
	assert_int_equal(parse(f), VIRTIO_BLK_S_OK);
	assert_int_equal(f->out.type, VIRTIO_BLK_T_FLUSH);
	assert_ptr_equal(f->out.status, st);
	assert_int_equal(f->out.nr_data, 0);
}

static void test_get_id(void **state)
{
	struct fixture *f = *state;
	u8 *id;

	hdr(f, VIRTIO_BLK_T_GET_ID, 0);
	id = buf(f, VIRTIO_BLK_ID_BYTES + 1, true);
	assert_int_equal(parse(f), VIRTIO_BLK_S_OK);
	assert_int_equal(f->out.type, VIRTIO_BLK_T_GET_ID);
	assert_ptr_equal(f->out.status, id + VIRTIO_BLK_ID_BYTES);
	assert_int_equal(f->out.nr_data, 1);
	assert_data(f, 0, id, VIRTIO_BLK_ID_BYTES, true);
}

static void test_unknown_type(void **state)
{
	struct fixture *f = *state;
	/* SCSI, FLUSH_OUT, GET_LIFETIME, SECURE_ERASE, zones, barrier */
	u32 types[] = { 2, 3, 5, 10, 14, 15, 16, 24, 0x80000000u, 0xffffffffu };
	size_t i;

	for (i = 0; i < ARRAY_SIZE(types); i++) {
		u8 *st;

		memset(&f->vr, 0, sizeof(f->vr));
		hdr(f, types[i], 0);
		st = buf(f, 1, true);
		assert_int_equal(parse(f), VIRTIO_BLK_S_UNSUPP);
		assert_ptr_equal(f->out.status, st);
	}
}

static void test_short_header(void **state)
{
	struct fixture *f = *state;
	u8 *st;

	buf(f, 8, false);
	buf(f, 7, false);
	st = buf(f, 1, true);
	assert_int_equal(parse(f), VIRTIO_BLK_S_IOERR);
	assert_ptr_equal(f->out.status, st);
	/* No readable byte at all. */
	memset(&f->vr, 0, sizeof(f->vr));
	st = buf(f, 513, true);
	assert_int_equal(parse(f), VIRTIO_BLK_S_IOERR);
	assert_ptr_equal(f->out.status, st + 512);
}

/* Nowhere to put the status: only a push with 0 bytes is left. */
static void test_no_status(void **state)
{
	struct fixture *f = *state;

	hdr(f, VIRTIO_BLK_T_IN, 0);
	buf(f, 512, false);
	assert_int_equal(parse(f), -EBADMSG);
	assert_null(f->out.status);
	buf(f, 0, true);
	assert_int_equal(parse(f), -EBADMSG);
	memset(&f->vr, 0, sizeof(f->vr));
	assert_int_equal(parse(f), -EBADMSG);
}

/* The header in two halves, the segments after it. */
static void test_discard(void **state)
{
	struct fixture *f = *state;
	u8 h[16], *p, *st;

	put_hdr(h, VIRTIO_BLK_T_DISCARD, 0);
	memcpy(buf(f, 8, false), h, 8);
	memcpy(buf(f, 8, false), h + 8, 8);
	p = buf(f, 2 * 16, false);
	put_seg(p, 0, 1024, 0);
	put_seg(p + 16, CAPACITY - 8, 8, 0);
	st = buf(f, 1, true);
	assert_int_equal(parse(f), VIRTIO_BLK_S_OK);
	assert_int_equal(f->out.type, VIRTIO_BLK_T_DISCARD);
	assert_ptr_equal(f->out.status, st);
	assert_int_equal(f->out.nr_seg, 2);
	assert_int_equal(f->out.seg[0].sector, 0);
	assert_int_equal(f->out.seg[0].num_sectors, 1024);
	assert_false(f->out.seg[0].unmap);
	assert_int_equal(f->out.seg[1].sector, CAPACITY - 8);
	assert_int_equal(f->out.seg[1].num_sectors, 8);
}

static void test_discard_flags(void **state)
{
	struct fixture *f = *state;
	u32 flags[] = { SEG_UNMAP, 2, 0x80000000u };
	size_t i;

	for (i = 0; i < ARRAY_SIZE(flags); i++) {
		u8 *p;

		memset(&f->vr, 0, sizeof(f->vr));
		hdr(f, VIRTIO_BLK_T_DISCARD, 0);
		p = buf(f, 2 * 16, false);
		/* An IOERR in segment 0 does not hide the UNSUPP of 1. */
		put_seg(p, CAPACITY, 8, 0);
		put_seg(p + 16, 0, 8, flags[i]);
		buf(f, 1, true);
		assert_int_equal(parse(f), VIRTIO_BLK_S_UNSUPP);
	}
}

static void test_discard_refused(void **state)
{
	struct fixture *f = *state;
	u8 *p;

	/* Not offered. */
	f->lim.discard = false;
	hdr(f, VIRTIO_BLK_T_DISCARD, 0);
	put_seg(buf(f, 16, false), 0, 8, 0);
	buf(f, 1, true);
	assert_int_equal(parse(f), VIRTIO_BLK_S_UNSUPP);
	/* Read-only. */
	f->lim.discard = true;
	f->lim.readonly = true;
	assert_int_equal(parse(f), VIRTIO_BLK_S_IOERR);
	f->lim.readonly = false;
	assert_int_equal(parse(f), VIRTIO_BLK_S_OK);
	/* Over max_discard_sectors. */
	f->lim.max_discard_sectors = 7;
	assert_int_equal(parse(f), VIRTIO_BLK_S_IOERR);
	f->lim.max_discard_sectors = 1024;

	/* Past the end; wrapping past 2^64. */
	memset(&f->vr, 0, sizeof(f->vr));
	hdr(f, VIRTIO_BLK_T_DISCARD, 0);
	put_seg(buf(f, 16, false), CAPACITY - 7, 8, 0);
	buf(f, 1, true);
	assert_int_equal(parse(f), VIRTIO_BLK_S_IOERR);
	f->lim.capacity = UINT64_MAX;
	memset(&f->vr, 0, sizeof(f->vr));
	hdr(f, VIRTIO_BLK_T_DISCARD, 0);
	put_seg(buf(f, 16, false), UINT64_MAX - 1, 8, 0);
	buf(f, 1, true);
	assert_int_equal(parse(f), VIRTIO_BLK_S_IOERR);

	/* Not whole segments; none at all. */
	f->lim.capacity = CAPACITY;
	memset(&f->vr, 0, sizeof(f->vr));
	hdr(f, VIRTIO_BLK_T_DISCARD, 0);
	p = buf(f, 24, false);
	put_seg(p, 0, 8, 0);
	buf(f, 1, true);
	assert_int_equal(parse(f), VIRTIO_BLK_S_IOERR);
	memset(&f->vr, 0, sizeof(f->vr));
	hdr(f, VIRTIO_BLK_T_DISCARD, 0);
	buf(f, 1, true);
	assert_int_equal(parse(f), VIRTIO_BLK_S_IOERR);
}

/* max_discard_seg, and BLK_MAX_SEGS above any larger limit. */
static void test_discard_seg_count(void **state)
{
	struct fixture *f = *state;
	u8 *p;
	int i;

	hdr(f, VIRTIO_BLK_T_DISCARD, 0);
	p = buf(f, 5 * 16, false);
	for (i = 0; i < 5; i++)
		put_seg(p + 16 * i, i * 8, 8, 0);
	buf(f, 1, true);
	assert_int_equal(parse(f), VIRTIO_BLK_S_IOERR);
	f->lim.max_discard_seg = 5;
	assert_int_equal(parse(f), VIRTIO_BLK_S_OK);
	assert_int_equal(f->out.nr_seg, 5);

	f->lim.max_discard_seg = 1000;
	memset(&f->vr, 0, sizeof(f->vr));
	hdr(f, VIRTIO_BLK_T_DISCARD, 0);
	p = buf(f, (BLK_MAX_SEGS + 1) * 16, false);
	for (i = 0; i <= BLK_MAX_SEGS; i++)
		put_seg(p + 16 * i, i, 1, 0);
	buf(f, 1, true);
	assert_int_equal(parse(f), VIRTIO_BLK_S_IOERR);
	f->vr.buf[1].len -= 16;
	f->vr.out_len -= 16;
	assert_int_equal(parse(f), VIRTIO_BLK_S_OK);
	assert_int_equal(f->out.nr_seg, BLK_MAX_SEGS);
	assert_int_equal(f->out.seg[BLK_MAX_SEGS - 1].sector, BLK_MAX_SEGS - 1);
}

/* Segments across buffers: one starting in the header's buffer. */
static void test_write_zeroes(void **state)
{
	struct fixture *f = *state;
	u8 raw[16 + 32], *a, *b, *st;

	put_hdr(raw, VIRTIO_BLK_T_WRITE_ZEROES, 0);
	put_seg(raw + 16, 16, 512, SEG_UNMAP);
	put_seg(raw + 32, 1000, 1, 0);
	a = buf(f, 16 + 10, false);
	b = buf(f, 22, false);
	memcpy(a, raw, 26);
	memcpy(b, raw + 26, 22);
	st = buf(f, 1, true);
	assert_int_equal(parse(f), VIRTIO_BLK_S_OK);
	assert_int_equal(f->out.type, VIRTIO_BLK_T_WRITE_ZEROES);
	assert_ptr_equal(f->out.status, st);
	assert_int_equal(f->out.nr_seg, 2);
	assert_int_equal(f->out.seg[0].sector, 16);
	assert_int_equal(f->out.seg[0].num_sectors, 512);
	assert_true(f->out.seg[0].unmap);
	assert_int_equal(f->out.seg[1].sector, 1000);
	assert_int_equal(f->out.seg[1].num_sectors, 1);
	assert_false(f->out.seg[1].unmap);
	/* unmap only where the device said it may. */
	f->lim.write_zeroes_may_unmap = false;
	assert_int_equal(parse(f), VIRTIO_BLK_S_OK);
	assert_false(f->out.seg[0].unmap);
	/* max_write_zeroes_sectors 511 < 512. */
	f->lim.max_write_zeroes_sectors = 511;
	assert_int_equal(parse(f), VIRTIO_BLK_S_IOERR);
	f->lim.max_write_zeroes_sectors = 512;
	/* max_write_zeroes_seg 1 < 2. */
	f->lim.max_write_zeroes_seg = 1;
	assert_int_equal(parse(f), VIRTIO_BLK_S_IOERR);
	f->lim.max_write_zeroes_seg = 2;
	f->lim.readonly = true;
	assert_int_equal(parse(f), VIRTIO_BLK_S_IOERR);
	f->lim.readonly = false;
	f->lim.write_zeroes = false;
	assert_int_equal(parse(f), VIRTIO_BLK_S_UNSUPP);
}

static void test_write_zeroes_reserved_flag(void **state)
{
	struct fixture *f = *state;

	hdr(f, VIRTIO_BLK_T_WRITE_ZEROES, 0);
	put_seg(buf(f, 16, false), 0, 8, SEG_UNMAP | 4);
	buf(f, 1, true);
	assert_int_equal(parse(f), VIRTIO_BLK_S_UNSUPP);
}

/*
 * End to end as the device will run it: an indirect chain in guest RAM,
 * popped, parsed, the status written and the chain pushed.
 */
static void *ram_ptr(void *ctx, u64 gpa, u64 len)
{
	return gmem_ptr(ctx, gpa, len);
}

static void test_through_queue(void **state)
{
	struct fixture *f = *state;
	u64 ram_size = 0x20000;
	u8 *ram = calloc(1, ram_size);
	struct vring_desc *table = (struct vring_desc *)(ram + 0x4000);
	u16 *avail = (u16 *)(ram + 0x1000);
	struct virtq_req *vr = malloc(sizeof(*vr));
	struct gmem gm;
	struct virtq q;

	assert_non_null(ram);
	assert_non_null(vr);
	gmem_init(&gm, ram, ram_size);
	assert_int_equal(virtq_init(&q, ram_ptr, &gm, 4, 0, 0x1000, 0x2000,
				    1ULL << VIRTIO_RING_F_INDIRECT_DESC),
			 0);
	put_hdr(ram + 0x8000, VIRTIO_BLK_T_IN, 4);
	table[0] = (struct vring_desc){ 0x8000, 16, VRING_DESC_F_NEXT, 1 };
	table[1] = (struct vring_desc){ 0x9000, 4096,
					VRING_DESC_F_NEXT | VRING_DESC_F_WRITE,
					2 };
	table[2] = (struct vring_desc){ 0x8010, 1, VRING_DESC_F_WRITE, 0 };
	((struct vring_desc *)ram)[3] =
		(struct vring_desc){ 0x4000, 48, VRING_DESC_F_INDIRECT, 0 };
	avail[2] = 3;
	avail[1] = 1;
	assert_int_equal(virtq_pop(&q, vr), 1);
	assert_int_equal(blk_req_parse(vr, &f->lim, &f->out), VIRTIO_BLK_S_OK);
	assert_int_equal(f->out.sector, 4);
	assert_int_equal(f->out.data_len, 4096);
	assert_ptr_equal(f->out.data[0].host, ram + 0x9000);
	assert_ptr_equal(f->out.status, ram + 0x8010);
	*f->out.status = VIRTIO_BLK_S_OK;
	virtq_push(&q, vr->head, f->out.data_len + 1);
	assert_int_equal(((u16 *)(ram + 0x2000))[1], 1);
	assert_int_equal(((u32 *)(ram + 0x2004))[0], 3);
	assert_int_equal(((u32 *)(ram + 0x2004))[1], 4097);
	free(vr);
	free(ram);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
		T(test_in),
		T(test_in_status_in_data),
		T(test_in_zero_pieces),
		T(test_in_readonly_empty),
		T(test_in_not_sectors),
		T(test_in_range),
		T(test_in_overflow),
		T(test_out),
		T(test_out_split_header),
		T(test_header_bytewise),
		T(test_out_readonly),
		T(test_out_checks),
		T(test_flush),
		T(test_get_id),
		T(test_unknown_type),
		T(test_short_header),
		T(test_no_status),
		T(test_discard),
		T(test_discard_flags),
		T(test_discard_refused),
		T(test_discard_seg_count),
		T(test_write_zeroes),
		T(test_write_zeroes_reserved_flag),
		T(test_through_queue),
#undef T
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
