// SPDX-License-Identifier: Apache-2.0
/*
 * libFuzzer: virtio-blk requests through a well-placed queue, with the
 * disk's limits fuzzed (capacity, read-only, discard and write-zeroes
 * offered or not, their sector and segment limits), so that the input
 * is spent on chains and request contents. The rings lie packed from 0
 * (descriptors, avail, used at 4-byte alignment) for the queue size the
 * input picks; the rest of the input is guest RAM from address 0.
 *
 * Input: u8 size_log2, u8 features (1 INDIRECT, 2 EVENT_IDX), u8 limit
 * flags (1 read-only, 2 discard, 4 write-zeroes, 8 may unmap), u8 device
 * flags (FUZZ_PUSH_* FUZZ_KICKS), u64 capacity, u32 max discard sectors,
 * u32 max discard segments, u32 max write-zeroes sectors, u32 max
 * write-zeroes segments, u32 unused; then RAM.
 */
#include "fuzz_common.h"

static void limits_take(struct fuzz_in *in, struct blk_limits *lim)
{
	u64 bits = fuzz_take(in, 1);

	lim->readonly = bits & 1;
	lim->discard = bits & 2;
	lim->write_zeroes = bits & 4;
	lim->write_zeroes_may_unmap = bits & 8;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_in in = { data, size };
	u16 qsize = 1u << (fuzz_take(&in, 1) % 9);
	u64 features = fuzz_features(fuzz_take(&in, 1));
	u64 avail = 16 * (u64)qsize;
	u64 used = ALIGN_UP(avail + 6 + 2 * qsize, 4);
	struct blk_limits lim = { 0 };
	unsigned flags;
	struct fuzz_dev *d;

	limits_take(&in, &lim);
	flags = fuzz_take(&in, 1);
	lim.capacity = fuzz_take(&in, 8);
	lim.max_discard_sectors = fuzz_take(&in, 4);
	lim.max_discard_seg = fuzz_take(&in, 4);
	lim.max_write_zeroes_sectors = fuzz_take(&in, 4);
	lim.max_write_zeroes_seg = fuzz_take(&in, 4);
	fuzz_take(&in, 4);
	d = fuzz_dev_new(&in);
	d->flags = flags;
	d->lim = lim;
	FUZZ_CHECK(virtq_init(&d->q, fuzz_gpa_ptr, &d->gm, qsize, 0, avail,
			      used, features) == 0);
	fuzz_drain(d);
	fuzz_dev_free(d);
	return 0;
}
