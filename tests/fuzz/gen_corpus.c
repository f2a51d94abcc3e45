// SPDX-License-Identifier: Apache-2.0
/*
 * Writes the seed corpus of the two harnesses (make fuzz-corpus): a few
 * well-formed virtio-blk chains of each type, direct and indirect, in
 * the input formats fuzz_virtq.c and fuzz_virtio_blk_req.c read. The
 * rings are laid out as fuzz_virtio_blk_req.c places them for a queue of
 * 8 (descriptors at 0, avail at 128, used at 152), and fuzz_virtq.c is
 * told the same addresses. Then the guest access sequences of
 * fuzz_devices.c: each device driven as its driver would (see below),
 * fuzz_loader.c's kernels: a bzImage, a vmlinux and two PVH ELFs, and
 * fuzz_lifecycle.c's headers and guest conversations.
 * Usage: gen_corpus DIR
 */
#include <elf.h>
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

/* --- fuzz_devices.c: a machine byte, then 8-byte operations --- */

enum {
	OP_PIO,
	OP_CFG,
	OP_BAR,
	OP_ANY_PIO,
	OP_ANY_MMIO,
	OP_CLOCK,
	OP_POLL,
	OP_CAP,
	OP_RAM,
	OP_MAP
};
#define W1 0x00
#define W2 0x10
#define W4 0x20
#define WR 0x80
#define PBA 0x40
/* fuzz_devices.c's table of legacy ports, by index. */
enum {
	P_COM1,
	P_KBD_DATA,
	P_KBD_CMD,
	P_RTC,
	P_PM_EVT,
	P_PM_CNT,
	P_PM_TMR,
	P_ACPI_RESET,
	P_SMI,
	P_CF9,
	P_CF8,
	P_CFC,
	P_PVPANIC,
	P_IB700
};
/* The capability list of a virtio-pci device: MSI-X, then its structures. */
enum { CAP_MSIX, CAP_COMMON, CAP_ISR, CAP_DEVICE, CAP_NOTIFY };
#define CAP(slot, nth) ((slot) | (nth) << 5)

struct ops {
	u8 buf[8192];
	size_t len;
};

static void op(struct ops *o, u8 kind, u8 target, u16 off, u32 val)
{
	u8 *p = o->buf + o->len;

	if (o->len + 8 > sizeof(o->buf)) {
		fprintf(stderr, "gen_corpus: a device seed is too long\n");
		exit(1);
	}
	p[0] = kind;
	p[1] = target;
	put16(p + 2, off);
	put32(p + 4, val);
	o->len += 8;
}

/* Memory and I/O decoding and bus mastering on, as firmware leaves it. */
static void enable(struct ops *o, u8 slot)
{
	op(o, OP_CFG | W2 | WR, slot, 0x04, 0x07);
}

static void write_devices(const char *dir, const char *name, u8 machine,
			  const struct ops *o)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/fuzz_devices", dir);
	if (mkdir(path, 0755) && errno != EEXIST) {
		perror(path);
		exit(1);
	}
	snprintf(path, sizeof(path), "%s/fuzz_devices/%s", dir, name);
	f = fopen(path, "wb");
	if (!f || fputc(machine, f) == EOF ||
	    fwrite(o->buf, 1, o->len, f) != o->len || fclose(f)) {
		perror(path);
		exit(1);
	}
}

/* COM1, the keyboard controller, the RTC, ACPI PM, 0xCF9, pvpanic. */
static void seed_legacy(const char *dir)
{
	struct ops o = { .len = 0 };

	op(&o, OP_PIO | WR, P_COM1, 3, 0x80); /* LCR: divisor latch */
	op(&o, OP_PIO | WR, P_COM1, 0, 1);
	op(&o, OP_PIO | WR, P_COM1, 3, 0x03);
	op(&o, OP_PIO | WR, P_COM1, 1, 0x0f); /* IER: all */
	op(&o, OP_PIO | WR, P_COM1, 4, 0x1b); /* MCR: loopback, OUT2 */
	op(&o, OP_PIO | WR, P_COM1, 0, 'A');
	op(&o, OP_PIO, P_COM1, 5, 0);
	op(&o, OP_PIO, P_COM1, 2, 0);
	op(&o, OP_PIO, P_COM1, 0, 0);
	op(&o, OP_PIO | WR, P_KBD_CMD, 0, 0x20); /* read the command byte */
	op(&o, OP_PIO, P_KBD_DATA, 0, 0);
	op(&o, OP_PIO | WR, P_KBD_CMD, 0, 0x60);
	op(&o, OP_PIO | WR, P_KBD_DATA, 0, 0x47);
	op(&o, OP_PIO | WR, P_KBD_CMD, 0, 0xaa);
	op(&o, OP_PIO, P_KBD_CMD, 0, 0);
	op(&o, OP_PIO | WR, P_RTC, 0, 0x0b);
	op(&o, OP_PIO | WR, P_RTC, 1, 0x72); /* periodic, alarm, update */
	op(&o, OP_PIO | WR, P_RTC, 0, 0x0a);
	op(&o, OP_PIO | WR, P_RTC, 1, 0x26);
	op(&o, OP_CLOCK, 20, 0, 1); /* 1 << 20 ns */
	op(&o, OP_PIO | WR, P_RTC, 0, 0x0c);
	op(&o, OP_PIO, P_RTC, 1, 0);
	op(&o, OP_PIO | W2, P_PM_EVT, 0, 0);
	op(&o, OP_PIO | W2 | WR, P_PM_EVT, 2, 0x0100); /* PWRBTN_EN */
	op(&o, OP_PIO | W4, P_PM_TMR, 0, 0);
	op(&o, OP_PIO | WR, P_SMI, 0, 0xf0); /* ACPI enable */
	op(&o, OP_PIO | W2, P_PM_CNT, 0, 0);
	op(&o, OP_PIO | WR, P_PVPANIC, 0, 0);
	op(&o, OP_PIO, P_PVPANIC, 0, 0);
	op(&o, OP_PIO | WR, P_CF9, 0, 0x02);
	op(&o, OP_POLL, 0, 0, 0);
	op(&o, OP_PIO | W2 | WR, P_PM_CNT, 0, 0x2000 | 5 << 10); /* S5 */
	op(&o, OP_PIO | WR, P_CF9, 0, 0x06); /* reset */
	op(&o, OP_PIO | WR, P_ACPI_RESET, 0, 0x06);
	op(&o, OP_PIO | WR, P_PVPANIC, 0, 1); /* panicked */
	write_devices(dir, "legacy", 0x00, &o);
}

/* The i6300ESB in slot 1: unlock, preload, enable, expire. */
static void seed_i6300esb(const char *dir)
{
	struct ops o = { .len = 0 };

	enable(&o, 1);
	op(&o, OP_CFG | W2 | WR, 1, 0x60, 0x0000); /* config: 1 kHz */
	op(&o, OP_BAR | WR, 1, 0x0c, 0x80); /* unlock sequence */
	op(&o, OP_BAR | WR, 1, 0x0c, 0x86);
	op(&o, OP_BAR | W4 | WR, 1, 0x00, 10); /* preload 1 */
	op(&o, OP_BAR | WR, 1, 0x0c, 0x80);
	op(&o, OP_BAR | WR, 1, 0x0c, 0x86);
	op(&o, OP_BAR | W4 | WR, 1, 0x04, 10); /* preload 2 */
	op(&o, OP_CFG | WR, 1, 0x68, 0x02); /* lock: enable */
	op(&o, OP_BAR | WR, 1, 0x0c, 0x80);
	op(&o, OP_BAR | WR, 1, 0x0c, 0x86);
	op(&o, OP_BAR | W2 | WR, 1, 0x0c, 0x0100); /* reload */
	op(&o, OP_CLOCK, 24, 0, 0x100);
	op(&o, OP_CFG | W2, 1, 0x60, 0);
	op(&o, OP_BAR | W2, 1, 0x0c, 0);
	op(&o, OP_CLOCK, 24, 0, 0x1000);
	op(&o, OP_CFG | W4 | WR, 1, 0x10, 0x00001000); /* BAR over RAM */
	op(&o, OP_BAR | W4, 1, 0x00, 0);
	write_devices(dir, "i6300esb-pause", 0x18, &o);
}

static void seed_ib700(const char *dir)
{
	struct ops o = { .len = 0 };

	op(&o, OP_PIO | WR, P_IB700, 2, 0x0f); /* 0x443: start, 0 s */
	op(&o, OP_CLOCK, 20, 0, 100);
	op(&o, OP_PIO | WR, P_IB700, 2, 0x05); /* kick */
	op(&o, OP_PIO | WR, P_IB700, 0, 0); /* 0x441: stop */
	op(&o, OP_PIO | WR, P_IB700, 2, 0x0e);
	op(&o, OP_CLOCK, 30, 0, 100);
	write_devices(dir, "ib700-reset", 0x0c, &o);
}

/* A blk IN request on a queue of 8 at 64 KiB, as RAM writes. */
static void blk_request_ram(struct ops *o)
{
	static const u32 words[][2] = {
		{ 0x10000, 0x13000 }, /* desc 0: header */
		{ 0x10008, 16 },      { 0x1000c, 1 | 1 << 16 }, /* NEXT, 1 */
		{ 0x10010, 0x14000 }, /* desc 1: data */
		{ 0x10018, 512 },     { 0x1001c, 3 | 2 << 16 }, /* NEXT|WRITE */
		{ 0x10020, 0x13100 }, /* desc 2: status */
		{ 0x10028, 1 },	      { 0x1002c, 2 }, /* WRITE */
		{ 0x13000, 0 }, /* IN, sector 0 */
		{ 0x11000, 1 << 16 }, /* avail: idx 1, ring[0] = 0 */
	};
	unsigned i;

	for (i = 0; i < sizeof(words) / sizeof(words[0]); i++)
		op(o, OP_RAM | W4 | WR, words[i][0] >> 16, words[i][0],
		   words[i][1]);
}

/* virtio-blk in @slot: the driver's initialisation, a request, MSI-X. */
static void virtio_drive(struct ops *o, u8 slot)
{
	enable(o, slot);
	op(o, OP_CAP | WR, CAP(slot, CAP_COMMON), 0x14, 0); /* reset */
	op(o, OP_CAP | WR, CAP(slot, CAP_COMMON), 0x14, 1); /* ACKNOWLEDGE */
	op(o, OP_CAP | WR, CAP(slot, CAP_COMMON), 0x14, 3); /* DRIVER */
	op(o, OP_CAP | W4 | WR, CAP(slot, CAP_COMMON), 0x00, 0);
	op(o, OP_CAP | W4, CAP(slot, CAP_COMMON), 0x04, 0);
	op(o, OP_CAP | W4 | WR, CAP(slot, CAP_COMMON), 0x08, 0);
	op(o, OP_CAP | W4 | WR, CAP(slot, CAP_COMMON), 0x0c, 0x30006a44);
	op(o, OP_CAP | W4 | WR, CAP(slot, CAP_COMMON), 0x08, 1);
	op(o, OP_CAP | W4 | WR, CAP(slot, CAP_COMMON), 0x0c, 1); /* VERSION_1 */
	op(o, OP_CAP | WR, CAP(slot, CAP_COMMON), 0x14, 0x0b); /* FEATURES_OK */
	op(o, OP_CAP, CAP(slot, CAP_COMMON), 0x14, 0);
	/* MSI-X on: vector 0 for the config, 1 for the queue. */
	op(o, OP_CAP | W2 | WR, CAP(slot, CAP_MSIX), 2, 0x8000);
	op(o, OP_CAP | W4 | WR, CAP(slot, CAP_MSIX), 0x00, 0xfee00000);
	op(o, OP_CAP | W4 | WR, CAP(slot, CAP_MSIX), 0x08, 0x41);
	op(o, OP_CAP | W4 | WR, CAP(slot, CAP_MSIX), 0x10, 0xfee00000);
	op(o, OP_CAP | W4 | WR, CAP(slot, CAP_MSIX), 0x18, 0x42);
	op(o, OP_CAP | W2 | WR, CAP(slot, CAP_COMMON), 0x10, 0);
	op(o, OP_CAP | W2 | WR, CAP(slot, CAP_COMMON), 0x16, 0); /* queue 0 */
	op(o, OP_CAP | W2, CAP(slot, CAP_COMMON), 0x18, 0);
	op(o, OP_CAP | W2 | WR, CAP(slot, CAP_COMMON), 0x18, 8);
	op(o, OP_CAP | W2 | WR, CAP(slot, CAP_COMMON), 0x1a, 1);
	op(o, OP_CAP | W4 | WR, CAP(slot, CAP_COMMON), 0x20, 0x10000);
	op(o, OP_CAP | W4 | WR, CAP(slot, CAP_COMMON), 0x28, 0x11000);
	op(o, OP_CAP | W4 | WR, CAP(slot, CAP_COMMON), 0x30, 0x12000);
	op(o, OP_CAP | W2 | WR, CAP(slot, CAP_COMMON), 0x1c, 1);
	op(o, OP_CAP | WR, CAP(slot, CAP_COMMON), 0x14, 0x0f); /* DRIVER_OK */
	op(o, OP_CAP | W4, CAP(slot, CAP_DEVICE), 0x00, 0); /* capacity */
	op(o, OP_CAP | W4, CAP(slot, CAP_DEVICE), 0x14, 0);
	op(o, OP_CAP | WR, CAP(slot, CAP_DEVICE), 0x20, 1); /* wce */
	blk_request_ram(o);
	op(o, OP_CAP | W2 | WR, CAP(slot, CAP_NOTIFY), 0, 0);
	op(o, OP_POLL, 0, 0, 0);
	op(o, OP_CLOCK, 20, 0, 1);
	op(o, OP_POLL, 0, 0, 0);
	op(o, OP_CAP, CAP(slot, CAP_ISR), 0, 0);
	op(o, OP_CAP | W4 | PBA, CAP(slot, CAP_MSIX), 0, 0);
	op(o, OP_CAP | W2 | WR, CAP(slot, CAP_MSIX), 2, 0xc000); /* mask */
	op(o, OP_CAP | W2 | WR, CAP(slot, CAP_NOTIFY), 0, 0);
	op(o, OP_CAP | W2 | WR, CAP(slot, CAP_MSIX), 2, 0x8000);
	op(o, OP_POLL, 0, 0, 0);
	/* The BAR moved under a live queue, then the reset. */
	op(o, OP_CFG | W4 | WR, slot, 0x10, 0x80100000);
	op(o, OP_CAP | W2 | WR, CAP(slot, CAP_NOTIFY), 0, 0);
	op(o, OP_CAP | WR, CAP(slot, CAP_COMMON), 0x14, 0);
	op(o, OP_POLL, 0, 0, 0);
}

/* The shared-memory device in slot 2: its registers and region. */
static void shmem_drive(struct ops *o)
{
	unsigned i;

	enable(o, 2);
	for (i = 0; i < 0x40; i += 4)
		op(o, OP_BAR | W4, 2, i, 0);
	op(o, OP_CAP | W2 | WR, CAP(2, 0), 2, 0x8000); /* MSI-X, if any */
	op(o, OP_CAP | W4 | WR, CAP(2, 0), 0x00, 0xfee00000);
	op(o, OP_CAP | W4 | WR, CAP(2, 0), 0x08, 0x43);
	op(o, OP_BAR | W4 | WR, 2, 0x00, 0xffffffff); /* interrupt mask */
	op(o, OP_BAR | W4 | WR, 2, 0x08, 0); /* ivshmem: IVPosition */
	op(o, OP_BAR | W4 | WR, 2, 0x0c, 1 << 16); /* doorbell: peer 1 */
	op(o, OP_BAR | W4 | WR, 2, 0x0c, 0);
	op(o, OP_BAR | W4 | WR, 2, 0x04, 1); /* qnx: attach/notify */
	op(o, OP_BAR | W4 | WR, 2, 0x10, 1);
	op(o, OP_BAR | W4 | WR, 2, 0x14, 0);
	for (i = 0; i < 64; i += 4)
		op(o, OP_MAP | W4 | WR, 0, i, 0x01010101 * i);
	op(o, OP_POLL, 0, 0, 0);
	op(o, OP_CLOCK, 30, 0, 1);
	op(o, OP_POLL, 0, 0, 0);
	op(o, OP_CFG | W4 | WR, 2, 0x18, 0x00000000); /* BAR2 onto RAM */
	op(o, OP_CFG | W4 | WR, 2, 0x1c, 0);
	op(o, OP_MAP | W4 | WR, 1, 0, 0xdeadbeef);
}

/* The lifecycle region: a guest's announcements, hostile values. */
static void lifecycle_drive(struct ops *o)
{
	unsigned i;

	shmem_drive(o);
	for (i = 0; i < 4; i++) {
		op(o, OP_MAP | W4 | WR, i, 0x00, 0x4c494645 + i);
		op(o, OP_MAP | W4 | WR, i, 0x04, 1);
		op(o, OP_MAP | W4 | WR, i, 0x08, i);
		op(o, OP_MAP | W4 | WR, i, 0x40, 0xffffffff);
		op(o, OP_BAR | W4 | WR, 2, 0x10, 0);
		op(o, OP_POLL, 0, 0, 0);
	}
}

static void seed_devices(const char *dir)
{
	struct ops o = { .len = 0 };

	seed_legacy(dir);
	seed_i6300esb(dir);
	seed_ib700(dir);
	virtio_drive(&o, 2); /* no shmem device: the disk is in slot 2 */
	write_devices(dir, "virtio-blk", 0x40, &o);
	o.len = 0;
	virtio_drive(&o, 3); /* read-only, behind an ivshmem device */
	write_devices(dir, "virtio-blk-ro-ivshmem", 0xc2, &o);
	o.len = 0;
	shmem_drive(&o);
	write_devices(dir, "shmem-qnx", 0x01, &o);
	write_devices(dir, "shmem-ivshmem", 0x02, &o);
	o.len = 0;
	lifecycle_drive(&o);
	write_devices(dir, "lifecycle-qnx", 0x03, &o);
}

/* --- fuzz_loader.c: flags, RAM, lengths, command line, initrd, kernel --- */

#define PAGE 4096
#define BZ_SETUP (5 * 512) /* boot sector + setup_sects 4 */
#define BZ_KERNEL 0x1000
#define KMAP 0xffffffff80000000ULL

struct image {
	u8 buf[6 * PAGE];
	size_t len;
};

/* A Linux 6.x-like bzImage: protocol 2.15, relocatable, 64-bit entry. */
static void bz_build(struct image *im)
{
	u8 *b = im->buf;
	size_t i;

	memset(b, 0, sizeof(im->buf));
	b[0x1f1] = 4; /* setup_sects */
	put32(b + 0x1f4, BZ_KERNEL / 16); /* syssize */
	put16(b + 0x1fe, 0xaa55); /* boot_flag */
	b[0x200] = 0xeb;
	b[0x201] = 0x6a; /* the header ends at 0x26c */
	memcpy(b + 0x202, "HdrS", 4);
	put16(b + 0x206, 0x020f);
	b[0x211] = 0x01; /* LOADED_HIGH */
	put32(b + 0x214, 0x100000); /* code32_start */
	put32(b + 0x22c, 0x7fffffff); /* initrd_addr_max */
	put32(b + 0x230, 0x200000); /* kernel_alignment */
	b[0x234] = 1; /* relocatable */
	b[0x235] = 21;
	put16(b + 0x236, 0x3); /* XLF_KERNEL_64 | CAN_BE_LOADED_ABOVE_4G */
	put32(b + 0x238, 2047); /* cmdline_size */
	put64(b + 0x258, 0x1000000); /* pref_address */
	put32(b + 0x260, 0x800000); /* init_size */
	for (i = 0; i < BZ_KERNEL; i++)
		b[BZ_SETUP + i] = (u8)(i * 7 + 3);
	im->len = BZ_SETUP + BZ_KERNEL;
}

struct seg {
	u32 type;
	u64 paddr, vaddr, filesz, memsz;
	const u8 *data; /* NULL: a pattern */
};

/* ELF header, program headers, then each segment page-aligned. */
static void elf_build(struct image *im, bool is32, u64 entry,
		      const struct seg *sg, int nr)
{
	size_t off = PAGE, phsz = is32 ? 32 : 56;
	u8 *b = im->buf;
	int i;

	memset(b, 0, sizeof(im->buf));
	memcpy(b, ELFMAG, SELFMAG);
	b[EI_CLASS] = is32 ? ELFCLASS32 : ELFCLASS64;
	b[EI_DATA] = ELFDATA2LSB;
	b[EI_VERSION] = EV_CURRENT;
	put16(b + 16, ET_EXEC);
	put16(b + 18, is32 ? EM_386 : EM_X86_64);
	put32(b + 20, EV_CURRENT);
	if (is32) {
		put32(b + 24, entry);
		put32(b + 28, 52); /* e_phoff */
		put16(b + 40, 52);
		put16(b + 42, 32);
		put16(b + 44, nr);
	} else {
		put64(b + 24, entry);
		put64(b + 32, 64);
		put16(b + 52, 64);
		put16(b + 54, 56);
		put16(b + 56, nr);
	}
	for (i = 0; i < nr; i++) {
		u8 *ph = b + (is32 ? 52 : 64) + i * phsz;
		u64 j;

		put32(ph, sg[i].type);
		if (is32) {
			put32(ph + 4, off);
			put32(ph + 8, sg[i].vaddr);
			put32(ph + 12, sg[i].paddr);
			put32(ph + 16, sg[i].filesz);
			put32(ph + 20, sg[i].memsz);
			put32(ph + 24, PF_R | PF_X);
			put32(ph + 28, PAGE);
		} else {
			put32(ph + 4, PF_R | PF_X);
			put64(ph + 8, off);
			put64(ph + 16, sg[i].vaddr);
			put64(ph + 24, sg[i].paddr);
			put64(ph + 32, sg[i].filesz);
			put64(ph + 40, sg[i].memsz);
			put64(ph + 48, PAGE);
		}
		for (j = 0; j < sg[i].filesz; j++)
			b[off + j] = sg[i].data ? sg[i].data[j] :
						  (u8)(j * 13 + i + 1);
		off += (sg[i].filesz + PAGE - 1) & ~(u64)(PAGE - 1);
	}
	im->len = off;
}

/* A GNU build-id note, then Xen's PHYS32_ENTRY note. */
static size_t pvh_notes(u8 *n, u64 entry)
{
	put32(n, 4);
	put32(n + 4, 20);
	put32(n + 8, NT_GNU_BUILD_ID);
	memcpy(n + 12, "GNU", 4);
	memset(n + 16, 0xab, 20);
	put32(n + 36, 4);
	put32(n + 40, 4);
	put32(n + 44, 18); /* XEN_ELFNOTE_PHYS32_ENTRY */
	memcpy(n + 48, "Xen", 4);
	put32(n + 52, entry);
	return 56;
}

static void write_loader(const char *dir, const char *name, u8 flags, u8 ram,
			 const char *cmdline, size_t initrd_len,
			 const struct image *im)
{
	u8 h[8] = { flags, ram };
	char path[512];
	size_t i;
	FILE *f;

	put16(h + 2, strlen(cmdline));
	put32(h + 4, initrd_len);
	snprintf(path, sizeof(path), "%s/fuzz_loader", dir);
	if (mkdir(path, 0755) && errno != EEXIST) {
		perror(path);
		exit(1);
	}
	snprintf(path, sizeof(path), "%s/fuzz_loader/%s", dir, name);
	f = fopen(path, "wb");
	if (!f || fwrite(h, 1, 8, f) != 8 ||
	    fwrite(cmdline, 1, strlen(cmdline), f) != strlen(cmdline)) {
		perror(path);
		exit(1);
	}
	for (i = 0; i < initrd_len; i++)
		fputc((int)(i * 31 + 7), f);
	if (fwrite(im->buf, 1, im->len, f) != im->len || fclose(f)) {
		perror(path);
		exit(1);
	}
}

static void seed_loader(const char *dir)
{
	static struct image im;
	u8 notes[64] = { 0 };
	const struct seg vmlinux[] = {
		{ PT_LOAD, 0x1000000, KMAP + 0x1000000, 0x1000, 0x1000, NULL },
		{ PT_LOAD, 0x1200000, KMAP + 0x1200000, 0x800, 0x5000, NULL },
	};
	struct seg pvh[] = {
		{ PT_LOAD, 0x100000, 0x100000, 0x800, 0x3000, NULL },
		{ PT_NOTE, 0, 0, 0, 0, notes },
		{ PT_LOAD, 0x1000000, KMAP + 0x1000000, 0x400, 0x1000, NULL },
	};

	bz_build(&im);
	write_loader(dir, "bzimage-initrd", 1 | 2 | 4, 16,
		     "console=ttyS0 root=/dev/vda rw", 3000, &im);
	write_loader(dir, "bzimage-odd-ram", 8, 9, "", 0, &im);
	elf_build(&im, false, 0x1000000, vmlinux, 2);
	write_loader(dir, "vmlinux", 1 | 4, 8, "quiet", 100, &im);
	pvh[1].filesz = pvh_notes(notes, 0x100000);
	elf_build(&im, true, 0x100000, pvh, 3);
	write_loader(dir, "pvh-elf32", 1 | 2 | 4, 8, "console=hvc0", 600, &im);
	elf_build(&im, false, 0x1000000, pvh, 3);
	write_loader(dir, "pvh-elf64", 0, 40, "init=/bin/sh", 0, &im);
}

/* --- fuzz_lifecycle.c: a region for the pure part, then guest steps --- */

enum { LC_STORE, LC_RING, LC_REQUEST, LC_TIME };

struct lc_seed {
	u8 buf[1024];
	size_t len;
};

static void lc_byte(struct lc_seed *s, u8 v)
{
	s->buf[s->len++] = v;
}

/* A version 1.@minor header of @size bytes, state @state at seq @seq. */
static void lc_header(struct lc_seed *s, u8 minor, u16 size, u32 state, u32 seq)
{
	u8 *h;

	lc_byte(s, size - 64);
	h = s->buf + s->len;
	memset(h, 0, size);
	memcpy(h, "VLCY", 4);
	h[4] = 1;
	h[5] = minor;
	put16(h + 6, size);
	put32(h + 8, state);
	put32(h + 12, seq);
	put64(h + 32, 1700000000ULL * 1000000000ULL);
	memcpy(h + 40, "db1", 3);
	s->len += size;
}

static void lc_step(struct lc_seed *s, u8 what, u8 off, u32 val)
{
	lc_byte(s, what);
	lc_byte(s, off);
	put32(s->buf + s->len, val);
	s->len += 4;
}

static void write_lifecycle(const char *dir, const char *name,
			    const struct lc_seed *s)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/fuzz_lifecycle", dir);
	if (mkdir(path, 0755) && errno != EEXIST) {
		perror(path);
		exit(1);
	}
	snprintf(path, sizeof(path), "%s/fuzz_lifecycle/%s", dir, name);
	f = fopen(path, "wb");
	if (!f || fwrite(s->buf, 1, s->len, f) != s->len || fclose(f)) {
		perror(path);
		exit(1);
	}
}

static void seed_lifecycle(const char *dir)
{
	struct lc_seed s = { .len = 0 };

	/* Running, a poweroff request taken, shutting down, halted. */
	lc_header(&s, 1, 64, 1, 1);
	lc_step(&s, LC_STORE, 8, 1); /* guest_state: running */
	lc_step(&s, LC_STORE, 12, 1); /* guest_seq */
	lc_step(&s, LC_RING, 0, 0);
	lc_step(&s, LC_REQUEST | 0 << 2, 0, 0); /* poweroff */
	lc_step(&s, LC_STORE, 28, 1); /* guest_ack */
	lc_step(&s, LC_STORE, 8, 2); /* shutting-down */
	lc_step(&s, LC_STORE, 12, 2);
	lc_step(&s, LC_RING, 0, 0);
	lc_step(&s, LC_REQUEST | 2 << 2, 0, 0x64623100); /* peer down */
	lc_step(&s, LC_STORE, 28, 2);
	lc_step(&s, LC_RING, 0, 0);
	lc_step(&s, LC_STORE, 8, 4); /* halted */
	lc_step(&s, LC_STORE, 12, 3);
	lc_step(&s, LC_RING, 0, 0);
	lc_step(&s, LC_TIME, 0, 1 << 20);
	write_lifecycle(dir, "conversation", &s);
	/* A later minor with a longer header; a reboot, a bad request. */
	s.len = 0;
	lc_header(&s, 7, 128, 3, 0xffffffff);
	lc_step(&s, LC_REQUEST | 1 << 2, 0, 0);
	lc_step(&s, LC_REQUEST | 3 << 2, 0, 0);
	lc_step(&s, LC_STORE, 12, 0xffffffff); /* seq wraps past 0 */
	lc_step(&s, LC_RING, 0, 0);
	lc_step(&s, LC_STORE, 12, 1);
	lc_step(&s, LC_RING, 0, 0);
	write_lifecycle(dir, "minor-7-wrap", &s);
	/* The guest breaks the header, then rings and is asked. */
	s.len = 0;
	lc_header(&s, 1, 64, 9, 5);
	lc_step(&s, LC_STORE, 0, 0x41414141); /* magic */
	lc_step(&s, LC_STORE, 4, 0xffff0002); /* major 2, size 65535 */
	lc_step(&s, LC_RING, 0, 0);
	lc_step(&s, LC_STORE, 16, 77); /* the host's fields */
	lc_step(&s, LC_STORE, 40, 0x61616161);
	lc_step(&s, LC_REQUEST | 2 << 2, 0, 0);
	lc_step(&s, LC_RING, 0, 0);
	write_lifecycle(dir, "hostile-header", &s);
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
	seed_devices(argv[1]);
	seed_loader(argv[1]);
	seed_lifecycle(argv[1]);
	return 0;
}
