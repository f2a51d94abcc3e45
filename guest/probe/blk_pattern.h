/*
 * The sector pattern the blk-* scenarios write and check, and the host
 * system tests re-implement. Byte i (0..511) of sector s with seed d is
 *
 *     (u8)((u32)s * 131u + i * 7u + d + (u32)(s >> 8) * 17u)
 *
 * with s a u64 sector number, i and d u32, all arithmetic in u32 (s is
 * truncated to 32 bits in the first term, s >> 8 in the last).
 */
#ifndef PROBE_BLK_PATTERN_H
#define PROBE_BLK_PATTERN_H

#include "types.h"

#define BLK_PATTERN_SECTOR 512u

static inline u8 blk_pattern_byte(u64 s, u32 i, u32 d)
{
	return (u8)((u32)s * 131u + i * 7u + d + (u32)(s >> 8) * 17u);
}

/* Fill @count sectors from @sector into @buf. */
static inline void blk_pattern_fill(u8 *buf, u64 sector, u32 count, u32 seed)
{
	u32 n, i;

	for (n = 0; n < count; n++, buf += BLK_PATTERN_SECTOR)
		for (i = 0; i < BLK_PATTERN_SECTOR; i++)
			buf[i] = blk_pattern_byte(sector + n, i, seed);
}

#endif
