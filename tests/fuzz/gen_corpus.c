// SPDX-License-Identifier: Apache-2.0
/*
 * Writes the seed corpus of the two harnesses (make fuzz-corpus): a few
 * well-formed virtio-blk chains of each type, direct and indirect, in
 * the input formats fuzz_virtq.c and fuzz_virtio_blk_req.c read. The
 * rings are laid out as fuzz_virtio_blk_req.c places them for a queue of
 * 8 (descriptors at 0, avail at 128, used at 152), and fuzz_virtq.c is
 * told the same addresses. Usage: gen_corpus DIR
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "../../src/vmm/dev/virtio_blk_req.h"

#define QSIZE 8
#define AVAIL 128
#define USED 152
#define TABLE 0x100 /* an indirect table */
#define HDRS 0x180 /* request headers and segments */
#define STATUS 0x1f0 /* status bytes */
#define IMAGE 0x200 /* bytes of RAM written; the rest reads as zero */
#define DATA 0x1000 /* data buffers: inside the harnesses' RAM */

struct seed {
	const char *name;
	u8 features; /* 1 INDIRECT_DESC, 2 EVENT_IDX */
	u8 dev_flags; /* FUZZ_PUSH_LATE 1, FUZZ_PUSH_REVERSE 2, FUZZ_KICKS 4 */
	u16 start; /* fuzz_virtq's start index (wrap-around) */
	u8 ram[IMAGE];
	u16 nr_chains;
	u16 next_desc, next_hdr, next_status;
};

static void put16(u8 *p, u16 v)
{
	p[0] = v;
	p[1] = v >> 8;
}

static void put32(u8 *p, u32 v)
{
	put16(p, v);
	put16(p + 2, v >> 16);
}

static void put64(u8 *p, u64 v)
{
	put32(p, v);
	put32(p + 4, v >> 32);
}

static void desc(u8 *table, u16 i, u64 addr, u32 len, u16 flags, u16 next)
{
	put64(table + 16 * i, addr);
	put32(table + 16 * i + 8, len);
	put16(table + 16 * i + 12, flags);
	put16(table + 16 * i + 14, next);
}

static u64 hdr(struct seed *s, u32 type, u64 sector, u32 extra)
{
	u64 at = HDRS + s->next_hdr;

	put32(s->ram + at, type);
	put64(s->ram + at + 8, sector);
	s->next_hdr += 16 + extra;
	return at;
}

static u64 status(struct seed *s)
{
	return STATUS + s->next_status++;
}

/* Publish the chain at @head: ring entry, then the index. */
static void offer(struct seed *s, u16 head)
{
	u16 idx = s->start + s->nr_chains++;

	put16(s->ram + AVAIL + 4 + 2 * (idx % QSIZE), head);
	put16(s->ram + AVAIL + 2, idx + 1);
}

/* hdr, then @n data buffers of @len (device-writable if @in), status. */
static void chain(struct seed *s, u32 type, u64 sector, int n, u32 len, bool in)
{
	u16 head = s->next_desc, d = head;
	int i;

	desc(s->ram, d, hdr(s, type, sector, 0), 16, VRING_DESC_F_NEXT, d + 1);
	for (i = 0, d++; i < n; i++, d++)
		desc(s->ram, d, DATA + 0x1000 * i, len,
		     VRING_DESC_F_NEXT | (in ? VRING_DESC_F_WRITE : 0), d + 1);
	desc(s->ram, d, status(s), 1, VRING_DESC_F_WRITE, 0);
	s->next_desc = d + 1;
	offer(s, head);
}

/* One indirect descriptor: header and @nr segments, then status. */
static void segs_indirect(struct seed *s, u32 type, int nr, u32 flags)
{
	u64 h = hdr(s, type, 0, 16 * nr);
	u8 *t = s->ram + TABLE;
	int i;

	for (i = 0; i < nr; i++) {
		put64(s->ram + h + 16 + 16 * i, 64 * i);
		put32(s->ram + h + 24 + 16 * i, 8);
		put32(s->ram + h + 28 + 16 * i, flags);
	}
	desc(t, 0, h, 16 + 16 * nr, VRING_DESC_F_NEXT, 1);
	desc(t, 1, status(s), 1, VRING_DESC_F_WRITE, 0);
	desc(s->ram, s->next_desc, TABLE, 32, VRING_DESC_F_INDIRECT, 0);
	offer(s, s->next_desc++);
}

static void write_file(const char *dir, const char *harness, const char *name,
		       const u8 *hdr, size_t hdr_len, const u8 *ram)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, harness);
	if (mkdir(path, 0755) && errno != EEXIST) {
		perror(path);
		exit(1);
	}
	snprintf(path, sizeof(path), "%s/%s/%s", dir, harness, name);
	f = fopen(path, "wb");
	if (!f || fwrite(hdr, 1, hdr_len, f) != hdr_len ||
	    fwrite(ram, 1, IMAGE, f) != IMAGE || fclose(f)) {
		perror(path);
		exit(1);
	}
}

/* fuzz_virtq.c: the ring addresses, start index, 2 kicks. */
static void write_virtq(const char *dir, const struct seed *s)
{
	u8 h[16] = { 3, s->features };

	put16(h + 2, 0);
	put16(h + 4, AVAIL / 2);
	put16(h + 6, USED / 4);
	put16(h + 8, s->start);
	h[10] = 1;
	h[11] = s->dev_flags;
	put16(h + 12, 1);
	write_file(dir, "fuzz_virtq", s->name, h, sizeof(h), s->ram);
}

/* fuzz_virtio_blk_req.c: a 1 GiB disk offering everything. */
static void write_blk(const char *dir, struct seed *s)
{
	u8 h[32] = { 3, s->features, 2 | 4 | 8, s->dev_flags };
	u16 shift = s->start;

	put64(h + 4, 1 << 21);
	put32(h + 12, 1 << 16);
	put32(h + 16, 8);
	put32(h + 20, 1 << 16);
	put32(h + 24, 8);
	/* This harness starts at index 0: move the ring entries there. */
	s->start = 0;
	if (shift % QSIZE) {
		u8 ring[2 * QSIZE];
		unsigned i;

		for (i = 0; i < QSIZE; i++)
			memcpy(ring + 2 * i,
			       s->ram + AVAIL + 4 + 2 * ((i + shift) % QSIZE),
			       2);
		memcpy(s->ram + AVAIL + 4, ring, sizeof(ring));
	}
	put16(s->ram + AVAIL + 2, s->nr_chains);
	write_file(dir, "fuzz_virtio_blk_req", s->name, h, sizeof(h), s->ram);
}

int main(int argc, char *argv[])
{
	static struct seed seeds[4] = {
		{ .name = "in" },
		{ .name = "out-flush-get-id", .features = 2, .dev_flags = 3 },
		{ .name = "discard-indirect", .features = 1, .dev_flags = 4 },
		{ .name = "write-zeroes-wrap", .features = 3, .start = 0xfffe },
	};
	struct seed *s = seeds;

	if (argc != 2) {
		fprintf(stderr, "usage: %s DIR\n", argv[0]);
		return 2;
	}
	chain(&s[0], VIRTIO_BLK_T_IN, 8, 2, 4096, true);
	chain(&s[1], VIRTIO_BLK_T_OUT, 16, 1, 512, false);
	chain(&s[1], VIRTIO_BLK_T_FLUSH, 0, 0, 0, false);
	chain(&s[1], VIRTIO_BLK_T_GET_ID, 0, 1, VIRTIO_BLK_ID_BYTES, true);
	segs_indirect(&s[2], VIRTIO_BLK_T_DISCARD, 2, 0);
	segs_indirect(&s[3], VIRTIO_BLK_T_WRITE_ZEROES, 1,
		      VIRTIO_BLK_WRITE_ZEROES_FLAG_UNMAP);
	chain(&s[3], VIRTIO_BLK_T_IN, 0, 1, 512, true);
	chain(&s[3], VIRTIO_BLK_T_OUT, 0, 1, 512, false);
	for (s = seeds; s < seeds + 4; s++) {
		write_virtq(argv[1], s);
		write_blk(argv[1], s);
	}
	return 0;
}
