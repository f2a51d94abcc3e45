/* SPDX-License-Identifier: Apache-2.0 */
#ifndef VESSEL_VIRTIO_BLK_REQ_H
#define VESSEL_VIRTIO_BLK_REQ_H

/*
 * virtio-blk requests (virtio 1.2 section 5.2.6) as the device receives
 * them: a popped chain (virtq.h) is turned into what to do, or into the
 * status to report at once. The chain's layout is not assumed (the spec
 * lets a driver frame the request any way): the device-readable bytes are
 * one stream whose first 16 are the header and the rest the data to
 * write (or discard/write-zeroes segments); the device-writable bytes are
 * one stream whose last byte is the status and the rest the data to read
 * into. Pure code, for the unit tests and the libFuzzer harness.
 */

#include "virtq.h"

/* Request types and status values (virtio 1.2 5.2.6), Linux's names. */
#define VIRTIO_BLK_T_IN 0
#define VIRTIO_BLK_T_OUT 1
#define VIRTIO_BLK_T_FLUSH 4
#define VIRTIO_BLK_T_GET_ID 8
#define VIRTIO_BLK_T_DISCARD 11
#define VIRTIO_BLK_T_WRITE_ZEROES 13
#define VIRTIO_BLK_S_OK 0
#define VIRTIO_BLK_S_IOERR 1
#define VIRTIO_BLK_S_UNSUPP 2

#define VIRTIO_BLK_SECTOR_SIZE 512
#define VIRTIO_BLK_ID_BYTES 20
#define VIRTIO_BLK_WRITE_ZEROES_FLAG_UNMAP 1

/* At most this many discard/write-zeroes segments per request. */
#define BLK_MAX_SEGS 32

/* What the device allows; fixed when the disk is opened. */
struct blk_limits {
	u64 capacity; /* in 512-byte sectors */
	bool readonly;
	bool discard, write_zeroes; /* the features offered */
	u32 max_discard_sectors, max_discard_seg;
	u32 max_write_zeroes_sectors, max_write_zeroes_seg;
	bool write_zeroes_may_unmap;
};

struct blk_seg {
	u64 sector;
	u32 num_sectors;
	bool unmap; /* write-zeroes may deallocate */
};

struct blk_req {
	u32 type;
	u64 sector; /* from the header (IN, OUT) */
	u8 *status; /* the status byte in guest RAM */
	/*
	 * IN, GET_ID: the device-writable bytes before the status byte;
	 * OUT: the device-readable bytes after the header. Zero-length
	 * pieces are dropped.
	 */
	struct virtq_buf data[VIRTQ_MAX_SIZE];
	u16 nr_data;
	u64 data_len;
	/* DISCARD, WRITE_ZEROES: the segments, copied out of guest RAM. */
	struct blk_seg seg[BLK_MAX_SEGS];
	u16 nr_seg;
};

/*
 * Parse popped chain @vr for a disk with limits @lim into @out. Returns:
 * - VIRTIO_BLK_S_OK: @out is a request to carry out;
 * - VIRTIO_BLK_S_IOERR: a request the device refuses (a header shorter
 *   than 16 bytes, a data length not a multiple of 512 for IN/OUT, a
 *   range past the capacity or overflowing, OUT/DISCARD/WRITE_ZEROES on a
 *   read-only disk, a segment list empty or not a multiple of 16 bytes,
 *   more segments than allowed (the smaller of the limit and
 *   BLK_MAX_SEGS), a segment over the sector limit);
 * - VIRTIO_BLK_S_UNSUPP: an unknown type, DISCARD/WRITE_ZEROES not
 *   offered, DISCARD with the unmap flag or any reserved flag set
 *   (checked over all segments first: the spec's MUST beats an IOERR);
 * - -EBADMSG: no device-writable byte for the status: the request can
 *   only be handed back with 0 bytes written.
 * With a status >= 0, @out->status points at the status byte (the caller
 * writes the status there and pushes the chain with the number of bytes
 * it wrote, status included). FLUSH is OK on a read-only disk too; for
 * GET_ID the caller writes at most VIRTIO_BLK_ID_BYTES into @out->data.
 * @out's data and segments are meaningful only with VIRTIO_BLK_S_OK.
 */
int blk_req_parse(const struct virtq_req *vr, const struct blk_limits *lim,
		  struct blk_req *out);

#endif
