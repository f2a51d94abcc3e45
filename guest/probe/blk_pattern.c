/*
 * The pattern (blk_pattern.h) without a loop per byte. Within a sector
 * byte i is base + 7i (mod 256), base = (u32)s * 131 + d + (u32)(s >> 8)
 * * 17. 7 is odd, so 7i runs through all of 0..255 with period 256:
 * with the ramp R[j] = 7j (mod 256) and o = base / 7 (mod 256), i.e.
 * base * 183 since 7 * 183 = 1 (mod 256), byte i is R[o + i]. A sector
 * is 512 bytes of the ramp from o: one string copy or compare.
 */
#include "blk_pattern.h"
#include "lib.h"

#define INV7 183u /* 7 * 183 = 1281 = 5 * 256 + 1 */
#define RAMP_LEN (256 + BLK_PATTERN_SECTOR)
#define SECTOR_QWORDS (BLK_PATTERN_SECTOR / 8)

static u8 ramp[RAMP_LEN];
static bool ramp_ready;

static const u8 *sector_bytes(u64 s, u32 d)
{
	u32 base = (u32)s * 131u + d + (u32)(s >> 8) * 17u, j;

	if (!ramp_ready) {
		for (j = 0; j < RAMP_LEN; j++)
			ramp[j] = (u8)(j * 7u);
		ramp_ready = true;
	}
	return ramp + ((base * INV7) & 0xff);
}

void blk_pattern_fill(u8 *buf, u64 sector, u32 count, u32 seed)
{
	u32 n;

	for (n = 0; n < count; n++, buf += BLK_PATTERN_SECTOR)
		copy_qwords(buf, sector_bytes(sector + n, seed), SECTOR_QWORDS);
}

u32 blk_pattern_diff(const u8 *buf, u64 sector, u32 seed)
{
	const u8 *want = sector_bytes(sector, seed);
	size_t q = cmp_qwords(buf, want, SECTOR_QWORDS);
	u32 i;

	if (q == SECTOR_QWORDS)
		return BLK_PATTERN_SECTOR;
	for (i = (u32)q * 8; buf[i] == want[i]; i++)
		;
	return i;
}
