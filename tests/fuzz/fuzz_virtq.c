// SPDX-License-Identifier: Apache-2.0
/*
 * libFuzzer: the split virtqueue with the driver's every choice fuzzed:
 * queue size, features, where the three rings lie in RAM, the index the
 * queue starts at (for 16-bit wrap-around), how the device completes
 * (at once, late, in reverse) and suppresses kicks, and how far the
 * driver moves the avail index between kicks. The rest of the input is
 * guest RAM. Each popped chain is also parsed as a virtio-blk request.
 *
 * Input: u8 size_log2, u8 features (1 INDIRECT, 2 EVENT_IDX), u16 desc/16,
 * u16 avail/2, u16 used/4, u16 start index, u8 kicks, u8 device flags
 * (FUZZ_PUSH_* FUZZ_KICKS), u16 avail idx step, u16 unused; then RAM.
 */
#include "fuzz_common.h"

#define HDR_BYTES 16
#define MAX_KICKS 4

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_in in = { data, size };
	u16 qsize = 1u << (fuzz_take(&in, 1) % 9);
	u64 features = fuzz_features(fuzz_take(&in, 1));
	u64 desc = fuzz_take(&in, 2) * 16 % FUZZ_RAM_SIZE;
	u64 avail = fuzz_take(&in, 2) * 2 % FUZZ_RAM_SIZE;
	u64 used = fuzz_take(&in, 2) * 4 % FUZZ_RAM_SIZE;
	u16 start = fuzz_take(&in, 2);
	unsigned kicks = 1 + fuzz_take(&in, 1) % MAX_KICKS;
	unsigned flags = fuzz_take(&in, 1);
	u16 step = fuzz_take(&in, 2);
	struct fuzz_dev *d;
	u16 *avail_idx;
	unsigned k;

	fuzz_take(&in, 2);
	d = fuzz_dev_new(&in);
	d->flags = flags;
	d->lim = (struct blk_limits){
		.capacity = 1 << 20,
		.discard = true,
		.write_zeroes = true,
		.max_discard_sectors = 1 << 16,
		.max_discard_seg = 8,
		.max_write_zeroes_sectors = 1 << 16,
		.max_write_zeroes_seg = 8,
		.write_zeroes_may_unmap = true,
	};
	if (virtq_init(&d->q, fuzz_gpa_ptr, &d->gm, qsize, desc, avail, used,
		       features))
		goto out;
	d->q.last_avail = d->q.used_idx = start;
	avail_idx = &d->q.avail[1];
	for (k = 0; k < kicks && fuzz_drain(d); k++) {
		/* The driver offers more: the ring entries are in RAM. */
		*avail_idx = d->q.last_avail + step % (qsize + 2u);
	}
out:
	fuzz_dev_free(d);
	return 0;
}
