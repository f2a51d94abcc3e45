// SPDX-License-Identifier: Apache-2.0
/*
 * virtio-blk requests (virtio 1.2 5.2.6) from a popped chain. The header
 * and the discard/write-zeroes segments are copied out of guest memory
 * once and decoded from the copy; data buffers are only described, never
 * read here. Sector arithmetic is written so that nothing can wrap.
 * [virtio 1.2 5.2.6; Linux drivers/block/virtio_blk.c; QEMU
 * hw/block/virtio-blk.c]
 */
#include <endian.h>
#include <errno.h>
#include <string.h>

#include "virtio_blk_req.h"

#define BLK_HDR_BYTES 16 /* le32 type, le32 reserved, le64 sector */
#define BLK_SEG_BYTES 16 /* le64 sector, le32 num_sectors, le32 flags */

static u32 get_le32(const u8 *p)
{
	u32 v;

	memcpy(&v, p, sizeof(v));
	return le32toh(v);
}

static u64 get_le64(const u8 *p)
{
	u64 v;

	memcpy(&v, p, sizeof(v));
	return le64toh(v);
}

/* Copy up to @len bytes from offset @off of the stream @b[0..@nr). */
static u64 bufs_copy(const struct virtq_buf *b, u16 nr, u64 off, void *dst,
		     u64 len)
{
	u64 done = 0;
	u16 i;

	for (i = 0; i < nr && done < len; i++) {
		u64 n;

		if (off >= b[i].len) {
			off -= b[i].len;
			continue;
		}
		n = MIN(b[i].len - off, len - done);
		memcpy((u8 *)dst + done, (const u8 *)b[i].host + off, n);
		done += n;
		off = 0;
	}
	return done;
}

static void data_add(struct blk_req *out, u8 *host, u64 len, bool write)
{
	if (!len)
		return;
	out->data[out->nr_data++] =
		(struct virtq_buf){ .host = host, .len = len, .write = write };
	out->data_len += len;
}

/*
 * The status is the last device-writable byte (5.2.6: u8 status ends
 * the request). Returns the index of the buffer holding it, or -1.
 */
static int status_find(const struct virtq_req *vr, struct blk_req *out)
{
	int i;

	for (i = vr->nr_out + vr->nr_in - 1; i >= vr->nr_out; i--) {
		const struct virtq_buf *b = &vr->buf[i];

		if (b->len) {
			out->status = (u8 *)b->host + b->len - 1;
			return i;
		}
	}
	return -1;
}

/* IN, GET_ID: the device-writable bytes before the status byte. */
static void data_writable(const struct virtq_req *vr, int status_buf,
			  struct blk_req *out)
{
	int i;

	for (i = vr->nr_out; i <= status_buf; i++) {
		const struct virtq_buf *b = &vr->buf[i];

		data_add(out, b->host, b->len - (i == status_buf), true);
	}
}

/* OUT: the device-readable bytes after the header. */
static void data_readable(const struct virtq_req *vr, struct blk_req *out)
{
	u64 skip = BLK_HDR_BYTES;
	u16 i;

	for (i = 0; i < vr->nr_out; i++) {
		const struct virtq_buf *b = &vr->buf[i];

		if (b->len <= skip) {
			skip -= b->len;
			continue;
		}
		data_add(out, (u8 *)b->host + skip, b->len - skip, false);
		skip = 0;
	}
}

/* [@sector, @sector + @nr) inside the disk, without overflow. */
static bool range_ok(const struct blk_limits *lim, u64 sector, u64 nr)
{
	return sector <= lim->capacity && nr <= lim->capacity - sector;
}

static int parse_rw(const struct blk_limits *lim, struct blk_req *out)
{
	if (out->type == VIRTIO_BLK_T_OUT && lim->readonly)
		return VIRTIO_BLK_S_IOERR;
	if (out->data_len % VIRTIO_BLK_SECTOR_SIZE)
		return VIRTIO_BLK_S_IOERR;
	if (!range_ok(lim, out->sector, out->data_len / VIRTIO_BLK_SECTOR_SIZE))
		return VIRTIO_BLK_S_IOERR;
	return VIRTIO_BLK_S_OK;
}

/*
 * 5.2.6.2: UNSUPP for any unknown flag, and for unmap on a discard.
 * Checked for every segment before any limit, so that this MUST wins
 * over the IOERRs below in a request that has both.
 */
static int segs_flags(const u8 *raw, u16 nr, bool discard)
{
	u32 allowed = discard ? 0 : VIRTIO_BLK_WRITE_ZEROES_FLAG_UNMAP;
	u16 i;

	for (i = 0; i < nr; i++) {
		if (get_le32(raw + i * BLK_SEG_BYTES + 12) & ~allowed)
			return VIRTIO_BLK_S_UNSUPP;
	}
	return VIRTIO_BLK_S_OK;
}

static int segs_decode(const struct blk_limits *lim, const u8 *raw, u16 nr,
		       u32 max_sectors, struct blk_req *out)
{
	u16 i;

	for (i = 0; i < nr; i++) {
		const u8 *p = raw + i * BLK_SEG_BYTES;
		struct blk_seg *s = &out->seg[i];

		s->sector = get_le64(p);
		s->num_sectors = get_le32(p + 8);
		s->unmap = (get_le32(p + 12) &
			    VIRTIO_BLK_WRITE_ZEROES_FLAG_UNMAP) &&
			   lim->write_zeroes_may_unmap;
		if (s->num_sectors > max_sectors ||
		    !range_ok(lim, s->sector, s->num_sectors))
			return VIRTIO_BLK_S_IOERR;
	}
	out->nr_seg = nr;
	return VIRTIO_BLK_S_OK;
}

/* DISCARD, WRITE_ZEROES: one or more 16-byte segments after the header. */
static int parse_segs(const struct virtq_req *vr, const struct blk_limits *lim,
		      struct blk_req *out)
{
	bool discard = out->type == VIRTIO_BLK_T_DISCARD;
	u32 max_seg =
		discard ? lim->max_discard_seg : lim->max_write_zeroes_seg;
	u64 bytes = vr->out_len - BLK_HDR_BYTES;
	u8 raw[BLK_MAX_SEGS * BLK_SEG_BYTES];
	u16 nr;
	int st;

	if (!(discard ? lim->discard : lim->write_zeroes))
		return VIRTIO_BLK_S_UNSUPP;
	if (lim->readonly)
		return VIRTIO_BLK_S_IOERR;
	if (!bytes || bytes % BLK_SEG_BYTES)
		return VIRTIO_BLK_S_IOERR;
	if (bytes / BLK_SEG_BYTES > MIN(max_seg, BLK_MAX_SEGS))
		return VIRTIO_BLK_S_IOERR;
	nr = bytes / BLK_SEG_BYTES;
	/* One copy: the guest may change its segments while we look. */
	bufs_copy(vr->buf, vr->nr_out, BLK_HDR_BYTES, raw, bytes);
	st = segs_flags(raw, nr, discard);
	if (st != VIRTIO_BLK_S_OK)
		return st;
	return segs_decode(lim, raw, nr,
			   discard ? lim->max_discard_sectors :
				     lim->max_write_zeroes_sectors,
			   out);
}

int blk_req_parse(const struct virtq_req *vr, const struct blk_limits *lim,
		  struct blk_req *out)
{
	u8 hdr[BLK_HDR_BYTES];
	int status_buf;

	out->type = 0;
	out->sector = 0;
	out->status = NULL;
	out->nr_data = 0;
	out->data_len = 0;
	out->nr_seg = 0;
	status_buf = status_find(vr, out);
	if (status_buf < 0)
		return -EBADMSG;
	if (bufs_copy(vr->buf, vr->nr_out, 0, hdr, sizeof(hdr)) < sizeof(hdr))
		return VIRTIO_BLK_S_IOERR;
	out->type = get_le32(hdr);
	out->sector = get_le64(hdr + 8);
	switch (out->type) {
	case VIRTIO_BLK_T_IN:
		data_writable(vr, status_buf, out);
		return parse_rw(lim, out);
	case VIRTIO_BLK_T_OUT:
		data_readable(vr, out);
		return parse_rw(lim, out);
	case VIRTIO_BLK_T_FLUSH:
		return VIRTIO_BLK_S_OK;
	case VIRTIO_BLK_T_GET_ID:
		data_writable(vr, status_buf, out);
		return VIRTIO_BLK_S_OK;
	case VIRTIO_BLK_T_DISCARD:
	case VIRTIO_BLK_T_WRITE_ZEROES:
		return parse_segs(vr, lim, out);
	default:
		return VIRTIO_BLK_S_UNSUPP;
	}
}
