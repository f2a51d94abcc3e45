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

/* The formula above, byte by byte: the reference for the fast paths. */
static inline u8 blk_pattern_byte(u64 s, u32 i, u32 d)
{
	return (u8)((u32)s * 131u + i * 7u + d + (u32)(s >> 8) * 17u);
}

/* Fill @count sectors from @sector into @buf. */
void blk_pattern_fill(u8 *buf, u64 sector, u32 count, u32 seed);
/*
 * The first byte of the sector at @buf that differs from sector
 * @sector's pattern, or BLK_PATTERN_SECTOR if none does.
 */
u32 blk_pattern_diff(const u8 *buf, u64 sector, u32 seed);

#endif
