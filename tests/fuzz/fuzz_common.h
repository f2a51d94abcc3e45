/* SPDX-License-Identifier: Apache-2.0 */
#ifndef VESSEL_FUZZ_COMMON_H
#define VESSEL_FUZZ_COMMON_H

/*
 * What both libFuzzer harnesses share: guest RAM (a malloc of exactly
 * FUZZ_RAM_SIZE bytes behind the real gmem_ptr(), so ASan sees any byte
 * outside it), an input cursor, and a device loop that pops every chain,
 * parses it as a virtio-blk request, does to the buffers what the device
 * would (reads the readable ones, fills the writable ones), writes the
 * status and pushes. Every result is checked against what virtq.h and
 * virtio_blk_req.h promise; a broken promise aborts, which libFuzzer
 * reports as a crash.
 */

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/vmm/dev/virtio_blk_req.h"
#include "../../src/vmm/gmem.h"
#include "fuzz.h"

#define FUZZ_RAM_SIZE 0x8000
#define FUZZ_PUSH_LATE 1 /* hold every chain, push when the ring is empty */
#define FUZZ_PUSH_REVERSE 2 /* ... in reverse order */
#define FUZZ_KICKS 4 /* kicks off while working, on before sleeping */

struct fuzz_dev {
	struct gmem gm;
	u8 *ram;
	struct virtq q;
	struct blk_limits lim;
	unsigned flags; /* FUZZ_PUSH_* FUZZ_KICKS */
	struct virtq_req vr;
	struct blk_req br;
	u16 held_head[VIRTQ_MAX_SIZE];
	u32 held_len[VIRTQ_MAX_SIZE];
	unsigned nr_held;
	volatile u8 sink;
};

/* Input bits 1 and 2: INDIRECT_DESC and EVENT_IDX. */
static u64 fuzz_features(u64 bits)
{
	return (bits & 1 ? 1ULL << VIRTIO_RING_F_INDIRECT_DESC : 0) |
	       (bits & 2 ? 1ULL << VIRTIO_RING_F_EVENT_IDX : 0);
}

static void *fuzz_gpa_ptr(void *ctx, u64 gpa, u64 len)
{
	return gmem_ptr(ctx, gpa, len);
}

/* RAM holding the rest of the input, zero beyond it. */
static struct fuzz_dev *fuzz_dev_new(struct fuzz_in *in)
{
	struct fuzz_dev *d = calloc(1, sizeof(*d));

	FUZZ_CHECK(d);
	d->ram = calloc(1, FUZZ_RAM_SIZE);
	FUZZ_CHECK(d->ram);
	memcpy(d->ram, in->p, MIN(in->left, (size_t)FUZZ_RAM_SIZE));
	gmem_init(&d->gm, d->ram, FUZZ_RAM_SIZE);
	return d;
}

static void fuzz_dev_free(struct fuzz_dev *d)
{
	free(d->ram);
	free(d);
}

static bool fuzz_in_ram(const struct fuzz_dev *d, const void *p, u64 len)
{
	const u8 *b = p;

	return b >= d->ram && len <= FUZZ_RAM_SIZE &&
	       (u64)(b - d->ram) <= FUZZ_RAM_SIZE - len;
}

/* virtq.h: readable then writable, none empty, all in RAM, sums right. */
static void fuzz_check_req(const struct fuzz_dev *d)
{
	const struct virtq_req *r = &d->vr;
	u64 out = 0, in = 0;
	unsigned i, n = r->nr_out + r->nr_in;

	FUZZ_CHECK(n >= 1 && n <= d->q.size);
	FUZZ_CHECK(r->head < d->q.size);
	for (i = 0; i < n; i++) {
		const struct virtq_buf *b = &r->buf[i];

		FUZZ_CHECK(b->write == (i >= r->nr_out));
		FUZZ_CHECK(b->len > 0);
		FUZZ_CHECK(fuzz_in_ram(d, b->host, b->len));
		*(b->write ? &in : &out) += b->len;
	}
	FUZZ_CHECK(out == r->out_len && in == r->in_len);
	FUZZ_CHECK(out + in <= 1ULL << 32);
	FUZZ_CHECK(d->q.in_flight <= d->q.size);
}

/* [@p, @p+@len) inside one buffer of the chain, of the right kind. */
static bool fuzz_in_chain(const struct virtq_req *r, const void *p, u64 len,
			  bool write)
{
	const u8 *b = p;
	unsigned i;

	for (i = 0; i < (unsigned)(r->nr_out + r->nr_in); i++) {
		const u8 *h = r->buf[i].host;

		if (r->buf[i].write == write && b >= h &&
		    len <= r->buf[i].len && (u64)(b - h) <= r->buf[i].len - len)
			return true;
	}
	return false;
}

static bool fuzz_range_ok(const struct blk_limits *lim, u64 sector, u64 nr)
{
	return sector <= lim->capacity && nr <= lim->capacity - sector;
}

static void fuzz_check_segs(const struct fuzz_dev *d)
{
	const struct blk_req *br = &d->br;
	bool discard = br->type == VIRTIO_BLK_T_DISCARD;
	u32 max_seg =
		discard ? d->lim.max_discard_seg : d->lim.max_write_zeroes_seg;
	u32 max_sec = discard ? d->lim.max_discard_sectors :
				d->lim.max_write_zeroes_sectors;
	unsigned i;

	FUZZ_CHECK(discard ? d->lim.discard : d->lim.write_zeroes);
	FUZZ_CHECK(br->nr_seg >= 1 && br->nr_seg <= BLK_MAX_SEGS &&
		   br->nr_seg <= max_seg);
	for (i = 0; i < br->nr_seg; i++) {
		const struct blk_seg *s = &br->seg[i];

		FUZZ_CHECK(s->num_sectors <= max_sec);
		FUZZ_CHECK(fuzz_range_ok(&d->lim, s->sector, s->num_sectors));
		FUZZ_CHECK(!s->unmap ||
			   (!discard && d->lim.write_zeroes_may_unmap));
	}
}

/* virtio_blk_req.h's contract for an OK request. */
static void fuzz_check_ok(const struct fuzz_dev *d)
{
	const struct blk_req *br = &d->br;
	bool write = br->type != VIRTIO_BLK_T_OUT;
	u64 sum = 0;
	unsigned i;

	for (i = 0; i < br->nr_data; i++) {
		FUZZ_CHECK(br->data[i].len > 0);
		FUZZ_CHECK(br->data[i].write == write);
		FUZZ_CHECK(fuzz_in_chain(&d->vr, br->data[i].host,
					 br->data[i].len, write));
		sum += br->data[i].len;
	}
	FUZZ_CHECK(sum == br->data_len);
	switch (br->type) {
	case VIRTIO_BLK_T_IN:
	case VIRTIO_BLK_T_OUT:
		FUZZ_CHECK(br->data_len ==
			   (write ? d->vr.in_len - 1 : d->vr.out_len - 16));
		FUZZ_CHECK(br->data_len % VIRTIO_BLK_SECTOR_SIZE == 0);
		FUZZ_CHECK(
			fuzz_range_ok(&d->lim, br->sector,
				      br->data_len / VIRTIO_BLK_SECTOR_SIZE));
		FUZZ_CHECK(write || !d->lim.readonly);
		break;
	case VIRTIO_BLK_T_GET_ID:
		FUZZ_CHECK(br->data_len == d->vr.in_len - 1);
		break;
	case VIRTIO_BLK_T_FLUSH:
		break;
	case VIRTIO_BLK_T_DISCARD:
	case VIRTIO_BLK_T_WRITE_ZEROES:
		FUZZ_CHECK(!d->lim.readonly);
		fuzz_check_segs(d);
		break;
	default:
		FUZZ_CHECK(!"OK for an unknown type");
	}
}

/* What the device does with the buffers; returns the bytes written. */
static u32 fuzz_execute(struct fuzz_dev *d, int status)
{
	struct blk_req *br = &d->br;
	u64 written = 1, i;

	if (status == VIRTIO_BLK_S_OK) {
		for (i = 0; i < br->nr_data; i++) {
			u8 *p = br->data[i].host;

			/* OUT: the ends (fuzz_check_ok() bounded the rest). */
			if (br->type == VIRTIO_BLK_T_OUT) {
				d->sink ^= p[0] ^ p[br->data[i].len - 1];
			} else if (br->type == VIRTIO_BLK_T_IN) {
				memset(p, 0xa5, br->data[i].len);
				written += br->data[i].len;
			}
		}
		if (br->type == VIRTIO_BLK_T_GET_ID && br->nr_data) {
			u32 n = MIN(br->data[0].len, VIRTIO_BLK_ID_BYTES);

			memcpy(br->data[0].host, "vessel-fuzz-disk-id.", n);
			written += n;
		}
	}
	*br->status = (u8)status;
	FUZZ_CHECK(written <= UINT32_MAX);
	return written;
}

static void fuzz_complete(struct fuzz_dev *d, u16 head, u32 len)
{
	if (!(d->flags & FUZZ_PUSH_LATE)) {
		virtq_push(&d->q, head, len);
		return;
	}
	FUZZ_CHECK(d->nr_held < VIRTQ_MAX_SIZE);
	d->held_head[d->nr_held] = head;
	d->held_len[d->nr_held++] = len;
}

static void fuzz_push_held(struct fuzz_dev *d)
{
	unsigned i;

	for (i = 0; i < d->nr_held; i++) {
		unsigned k =
			d->flags & FUZZ_PUSH_REVERSE ? d->nr_held - 1 - i : i;

		virtq_push(&d->q, d->held_head[k], d->held_len[k]);
	}
	d->nr_held = 0;
	FUZZ_CHECK(d->q.in_flight == 0);
}

/*
 * One kick: take chains until the ring is empty or broken. Returns
 * false once the queue is broken (and checks that it stays so).
 */
static bool fuzz_drain(struct fuzz_dev *d)
{
	unsigned n;
	int r = 0;

	if (d->flags & FUZZ_KICKS)
		virtq_enable_kicks(&d->q, false);
	/*
	 * The device's own writes (data, used ring) may land on the avail
	 * ring the guest put under them, so the test bounds the loop.
	 */
	for (n = 0; n <= 2u * d->q.size + 1; n++) {
		int st;

		r = virtq_pop(&d->q, &d->vr);
		if (r <= 0)
			break;
		FUZZ_CHECK(r == 1);
		fuzz_check_req(d);
		st = blk_req_parse(&d->vr, &d->lim, &d->br);
		if (st == -EBADMSG) {
			FUZZ_CHECK(d->vr.nr_in == 0);
			fuzz_complete(d, d->vr.head, 0);
			continue;
		}
		FUZZ_CHECK(st == VIRTIO_BLK_S_OK || st == VIRTIO_BLK_S_IOERR ||
			   st == VIRTIO_BLK_S_UNSUPP);
		FUZZ_CHECK(fuzz_in_chain(&d->vr, d->br.status, 1, true));
		if (st == VIRTIO_BLK_S_OK)
			fuzz_check_ok(d);
		fuzz_complete(d, d->vr.head, fuzz_execute(d, st));
	}
	/* Ring empty: and nothing changed RAM since virtq looked. */
	if (r == 0)
		FUZZ_CHECK(!virtq_has_work(&d->q));
	fuzz_push_held(d);
	(void)virtq_should_notify(&d->q);
	if (r < 0) {
		FUZZ_CHECK(r == -EBADMSG);
		FUZZ_CHECK(virtq_pop(&d->q, &d->vr) == -EBADMSG);
		FUZZ_CHECK(!virtq_has_work(&d->q));
		return false;
	}
	if (d->flags & FUZZ_KICKS)
		virtq_enable_kicks(&d->q, true);
	return true;
}

#endif
