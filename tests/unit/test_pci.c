// SPDX-License-Identifier: Apache-2.0
/*
 * PCI bus 0 through configuration mechanism #1 (PCI Local Bus Spec 3.0
 * section 3.2.2.3.2), as a guest's OS drives it: ports 0xCF8/0xCFC, the
 * type 0 header rules of sections 6.1-6.2, and BAR sizing the way Linux's
 * __pci_read_base() does it. Expected values are the spec's, written out.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/vmm/dev/pci.h"
#include "fake_env.h"

#define CF8 0xcf8
#define CFC 0xcfc

struct tdev {
	struct pci_dev pd;
	int mem_accesses, io_accesses;
	struct io_access last;
	int cfg_writes;
	u32 cfg_write_off, cfg_write_val;
	int maps, unmaps;
	u64 map_addr;
};

struct fixture {
	struct dev_env *env;
	struct pci_bus *bus;
	struct tdev dev[2];
};

static u32 conf1(u32 bus, u32 slot, u32 fn, u32 reg)
{
	return 0x80000000u | bus << 16 | slot << 11 | fn << 8 | (reg & 0xfc);
}

static u32 cfg_read(struct fixture *f, u32 slot, u32 reg, u8 size)
{
	fake_write(f->env, BUS_PIO, CF8, 4, conf1(0, slot, 0, reg));
	return fake_read(f->env, BUS_PIO, CFC + (reg & 3), size);
}

static void cfg_write(struct fixture *f, u32 slot, u32 reg, u8 size, u32 v)
{
	fake_write(f->env, BUS_PIO, CF8, 4, conf1(0, slot, 0, reg));
	fake_write(f->env, BUS_PIO, CFC + (reg & 3), size, v);
}

static enum io_res tdev_mem(void *opaque, struct io_access *a)
{
	struct tdev *t = opaque;

	t->mem_accesses++;
	t->last = *a;
	if (!a->write)
		a->val = 0x12345678;
	return IO_OK;
}

static enum io_res tdev_io(void *opaque, struct io_access *a)
{
	struct tdev *t = opaque;

	t->io_accesses++;
	t->last = *a;
	if (!a->write)
		a->val = 0xab;
	return IO_OK;
}

static void tdev_cfg_write(struct pci_dev *pd, u32 off, u8 size, u32 val)
{
	struct tdev *t = pd->priv;

	(void)size;
	t->cfg_writes++;
	t->cfg_write_off = off;
	t->cfg_write_val = val;
}

/* A device-specific register at 0x44 that reads as a live counter. */
static void tdev_cfg_read(struct pci_dev *pd, u32 off, u8 size, u32 *val)
{
	struct tdev *t = pd->priv;

	if (off == 0x44 && size == 4)
		*val = 0xc0de0000 | t->cfg_writes;
}

static void tdev_bar_map(struct pci_dev *pd, int bar, u64 addr, bool mapped)
{
	struct tdev *t = pd->priv;

	(void)bar;
	if (mapped)
		t->maps++;
	else
		t->unmaps++;
	t->map_addr = addr;
}

static const struct pci_ops tdev_ops = {
	.cfg_read = tdev_cfg_read,
	.cfg_write = tdev_cfg_write,
	.bar_map = tdev_bar_map,
};

/*
 * The test device (a made-up 1234:5678, class 0xff0000): BAR0 4 KiB
 * memory, BAR1 8 bytes I/O, BAR2+3 a 64-bit prefetchable 16 KiB BAR,
 * INTA#.
 */
static void tdev_init(struct tdev *t)
{
	struct pci_dev *pd = &t->pd;

	memset(t, 0, sizeof(*t));
	pci_dev_init(pd, 0x1234, 0x5678, 0xff0000, 1);
	pd->priv = t;
	pd->ops = &tdev_ops;
	pd->bar[0] = (struct pci_bar){ .size = 4096, .fn = tdev_mem, .dev = t };
	pd->bar[1] = (struct pci_bar){
		.size = 8, .io = true, .fn = tdev_io, .dev = t
	};
	pd->bar[2] = (struct pci_bar){ .size = 16384,
				       .mem64 = true,
				       .prefetch = true,
				       .fn = tdev_mem,
				       .dev = t };
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	f->env = fake_env_new(1 << 20, NULL);
	assert_int_equal(pci_bus_create(f->env, &f->bus), 0);
	f->env->pci = f->bus;
	*state = f;
	return 0;
}

/* With the test device added at the first free slot (1). */
static int setup_dev(void **state)
{
	struct fixture *f;

	setup(state);
	f = *state;
	tdev_init(&f->dev[0]);
	assert_int_equal(pci_dev_add(f->bus, &f->dev[0].pd), 0);
	assert_int_equal(f->dev[0].pd.slot, 1);
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	int i;

	for (i = 0; i < 2; i++)
		pci_dev_del(&f->dev[i].pd);
	pci_bus_destroy(f->bus);
	fake_env_free(f->env);
	free(f);
	return 0;
}

static void test_host_bridge(void **state)
{
	struct fixture *f = *state;

	/* Vendor 1b36 (Red Hat), device 0008 (QEMU's PCIe host bridge). */
	assert_int_equal(cfg_read(f, 0, 0x00, 4), 0x00081b36);
	assert_int_equal(cfg_read(f, 0, 0x00, 2), 0x1b36);
	assert_int_equal(cfg_read(f, 0, 0x02, 2), 0x0008);
	/* Class code 06/00/00: bridge, host bridge (PCI 3.0 appendix D). */
	assert_int_equal(cfg_read(f, 0, 0x08, 4) >> 8, 0x060000);
	assert_int_equal(cfg_read(f, 0, 0x0a, 2), 0x0600);
	/* Header type 0, single function. */
	assert_int_equal(cfg_read(f, 0, 0x0e, 1), 0x00);
	/* No BARs, no interrupt pin. */
	assert_int_equal(cfg_read(f, 0, 0x10, 4), 0);
	cfg_write(f, 0, 0x10, 4, 0xffffffff);
	assert_int_equal(cfg_read(f, 0, 0x10, 4), 0);
	assert_int_equal(cfg_read(f, 0, 0x3d, 1), 0);
}

static void test_absent_functions(void **state)
{
	struct fixture *f = *state;

	/* Empty slot, bus 1, function 1: master abort reads all-ones. */
	assert_int_equal(cfg_read(f, 7, 0x00, 4), 0xffffffff);
	fake_write(f->env, BUS_PIO, CF8, 4, conf1(1, 0, 0, 0));
	assert_int_equal(fake_read(f->env, BUS_PIO, CFC, 4), 0xffffffff);
	fake_write(f->env, BUS_PIO, CF8, 4, conf1(0, 0, 1, 0));
	assert_int_equal(fake_read(f->env, BUS_PIO, CFC, 4), 0xffffffff);
	assert_int_equal(fake_read(f->env, BUS_PIO, CFC, 2), 0xffff);
	/* Enable bit clear: CONFIG_DATA is not a config access. */
	fake_write(f->env, BUS_PIO, CF8, 4, 0x00000000);
	assert_int_equal(fake_read(f->env, BUS_PIO, CFC, 4), 0xffffffff);
	/* Writes to absent functions are dropped. */
	fake_write(f->env, BUS_PIO, CF8, 4, conf1(1, 0, 0, 0x04));
	fake_write(f->env, BUS_PIO, CFC, 2, 0x0007);
	assert_int_equal(cfg_read(f, 0, 0x04, 2) & 0x7, 0);
}

static void test_byte_word_lanes(void **state)
{
	struct fixture *f = *state;

	fake_write(f->env, BUS_PIO, CF8, 4, conf1(0, 0, 0, 0));
	/* Byte lanes 0xCFC-0xCFF are bytes 0-3 of the dword 36 1b 08 00. */
	assert_int_equal(fake_read(f->env, BUS_PIO, 0xcfc, 1), 0x36);
	assert_int_equal(fake_read(f->env, BUS_PIO, 0xcfd, 1), 0x1b);
	assert_int_equal(fake_read(f->env, BUS_PIO, 0xcfe, 1), 0x08);
	assert_int_equal(fake_read(f->env, BUS_PIO, 0xcff, 1), 0x00);
	assert_int_equal(fake_read(f->env, BUS_PIO, 0xcfe, 2), 0x0008);
	assert_int_equal(fake_read(f->env, BUS_PIO, 0xcfd, 2), 0x081b);
	/* Accesses that would leave the dword: all-ones. */
	assert_int_equal(fake_read(f->env, BUS_PIO, 0xcfd, 4), 0xffffffff);
	assert_int_equal(fake_read(f->env, BUS_PIO, 0xcff, 2), 0xffff);
	/* Interrupt Line is byte 0 of dword 0x3c: byte write via 0xCFC. */
	fake_write(f->env, BUS_PIO, CF8, 4, conf1(0, 0, 0, 0x3c));
	fake_write(f->env, BUS_PIO, 0xcfc, 1, 0x0b);
	assert_int_equal(cfg_read(f, 0, 0x3c, 1), 0x0b);
}

static void test_config_address(void **state)
{
	struct fixture *f = *state;

	/* Linux pci_check_type1: 0x80000000 reads back unchanged. */
	fake_write(f->env, BUS_PIO, CF8, 4, 0x80000000);
	assert_int_equal(fake_read(f->env, BUS_PIO, CF8, 4), 0x80000000);
	/* Reserved bits 30:24 and 1:0 read as 0. */
	fake_write(f->env, BUS_PIO, CF8, 4, 0xffffffff);
	assert_int_equal(fake_read(f->env, BUS_PIO, CF8, 4), 0x80fffffc);
	/* Byte and word accesses to 0xCF8 are not CONFIG_ADDRESS. */
	fake_write(f->env, BUS_PIO, CF8, 4, 0x80000000);
	fake_write(f->env, BUS_PIO, CF8, 1, 0x00);
	fake_write(f->env, BUS_PIO, CF8, 2, 0x1234);
	assert_int_equal(fake_read(f->env, BUS_PIO, CF8, 4), 0x80000000);
	assert_int_equal(fake_read(f->env, BUS_PIO, CF8, 1), 0xff);
	/* 0xCF9 is not ours (the reset control register). */
	fake_write(f->env, BUS_PIO, 0xcf9, 1, 0x06);
	assert_int_equal(fake_read(f->env, BUS_PIO, CF8, 4), 0x80000000);
}

static void test_hostile_config_address(void **state)
{
	struct fixture *f = *state;

	/* All-ones: bus 255, device 31, function 7: nothing there. */
	fake_write(f->env, BUS_PIO, CF8, 4, 0xffffffff);
	assert_int_equal(fake_read(f->env, BUS_PIO, CFC, 4), 0xffffffff);
	fake_write(f->env, BUS_PIO, CFC, 4, 0);
	/* Bits 1:0 and 30:24 set: still register 0 of 00:00.0. */
	fake_write(f->env, BUS_PIO, CF8, 4, 0x8f000003);
	assert_int_equal(fake_read(f->env, BUS_PIO, CFC, 4), 0x00081b36);
	/* An 8-byte access to CONFIG_DATA is not a PCI cycle. */
	assert_int_equal(fake_read(f->env, BUS_PIO, CFC, 8), ~0ULL);
	fake_write(f->env, BUS_PIO, CFC, 8, 0);
	/* Last register of the space, and a word past its end. */
	fake_write(f->env, BUS_PIO, CF8, 4, conf1(0, 0, 0, 0xfc));
	assert_int_equal(fake_read(f->env, BUS_PIO, CFC, 4), 0);
	assert_int_equal(fake_read(f->env, BUS_PIO, 0xcff, 2), 0xffff);
	fake_write(f->env, BUS_PIO, 0xcff, 2, 0xffff);
	/* Every register of the host bridge resists all-ones. */
	for (u32 reg = 0; reg < 256; reg += 4) {
		u32 before = cfg_read(f, 0, reg, 4);

		cfg_write(f, 0, reg, 4, 0xffffffff);
		if (reg != 0x04 && reg != 0x0c && reg != 0x3c)
			assert_int_equal(cfg_read(f, 0, reg, 4), before);
	}
	assert_int_equal(cfg_read(f, 0, 0x00, 4), 0x00081b36);
}

static void test_readonly_fields(void **state)
{
	struct fixture *f = *state;

	cfg_write(f, 1, 0x00, 4, 0xffffffff);
	assert_int_equal(cfg_read(f, 1, 0x00, 4), 0x56781234);
	cfg_write(f, 1, 0x08, 4, 0xffffffff);
	assert_int_equal(cfg_read(f, 1, 0x08, 4), 0xff000000);
	cfg_write(f, 1, 0x0e, 1, 0xff);
	assert_int_equal(cfg_read(f, 1, 0x0e, 1), 0x00);
	/* Interrupt Pin 1 (INTA#) is read-only; Interrupt Line is not. */
	cfg_write(f, 1, 0x3c, 2, 0xffff);
	assert_int_equal(cfg_read(f, 1, 0x3c, 2), 0x01ff);
	/* Command: IO, MEM, MASTER, SERR, INTX_DISABLE = 0x0507. */
	cfg_write(f, 1, 0x04, 2, 0xffff);
	assert_int_equal(cfg_read(f, 1, 0x04, 2), 0x0507);
	cfg_write(f, 1, 0x04, 2, 0);
	/* Cache Line Size writable, Latency Timer hardwired 0. */
	cfg_write(f, 1, 0x0c, 2, 0xffff);
	assert_int_equal(cfg_read(f, 1, 0x0c, 2), 0x00ff);
	/* Expansion ROM: none, reads 0 even after all-ones. */
	cfg_write(f, 1, 0x30, 4, 0xffffffff);
	assert_int_equal(cfg_read(f, 1, 0x30, 4), 0);
}

static void test_status_w1c(void **state)
{
	struct fixture *f = *state;
	struct pci_dev *pd = &f->dev[0].pd;

	/* The device saw a master abort and a target abort (bits 13, 12). */
	pci_dev_set_cfg(pd, 0x06, 2, 0x3000);
	assert_int_equal(cfg_read(f, 1, 0x06, 2), 0x3000);
	/* Writing 0 changes nothing; writing 1 clears that bit only. */
	cfg_write(f, 1, 0x06, 2, 0x0000);
	assert_int_equal(cfg_read(f, 1, 0x06, 2), 0x3000);
	cfg_write(f, 1, 0x06, 2, 0x2000);
	assert_int_equal(cfg_read(f, 1, 0x06, 2), 0x1000);
	/* A Command write in the same dword must not clear Status. */
	cfg_write(f, 1, 0x04, 4, 0x00000000);
	assert_int_equal(cfg_read(f, 1, 0x06, 2), 0x1000);
	/* The read-only bits (INT_STATUS, CAP_LIST) resist all-ones. */
	cfg_write(f, 1, 0x06, 2, 0xffff);
	assert_int_equal(cfg_read(f, 1, 0x06, 2), 0x0000);
}

/* Linux __pci_read_base: save, write all-ones, read the size, restore. */
static u32 size_bar(struct fixture *f, u32 slot, u32 reg)
{
	u32 orig = cfg_read(f, slot, reg, 4), sz;

	cfg_write(f, slot, reg, 4, 0xffffffff);
	sz = cfg_read(f, slot, reg, 4);
	cfg_write(f, slot, reg, 4, orig);
	return sz;
}

static void test_bar_sizing(void **state)
{
	struct fixture *f = *state;
	u16 cmd;

	/* Linux clears IO/MEM decode around sizing. */
	cmd = cfg_read(f, 1, 0x04, 2);
	cfg_write(f, 1, 0x04, 2, cmd & ~0x3);
	/* 4 KiB 32-bit memory: ~0xfff, type 00, not prefetchable. */
	assert_int_equal(size_bar(f, 1, 0x10), 0xfffff000);
	/* 8 bytes of I/O: ~0x7 | 1 (I/O space indicator). */
	assert_int_equal(size_bar(f, 1, 0x14), 0xfffffff9);
	/* 64-bit prefetchable 16 KiB: low ~0x3fff | 0x8 | 0x4, high ~0. */
	assert_int_equal(size_bar(f, 1, 0x18), 0xffffc00c);
	assert_int_equal(size_bar(f, 1, 0x1c), 0xffffffff);
	/* Unused BARs read 0 and stay 0. */
	assert_int_equal(size_bar(f, 1, 0x20), 0);
	assert_int_equal(size_bar(f, 1, 0x24), 0);
	cfg_write(f, 1, 0x04, 2, cmd);
	/* Restored: the flag bits and the firmware-assigned addresses. */
	assert_int_equal(cfg_read(f, 1, 0x10, 4), 0x80000000);
	assert_int_equal(cfg_read(f, 1, 0x14, 4), 0x0000c001);
	assert_int_equal(cfg_read(f, 1, 0x18, 4), 0x8000400c);
	assert_int_equal(f->dev[0].maps, 0);
}

/*
 * As firmware leaves them: each BAR naturally aligned, memory from the
 * bottom of the 32-bit window, I/O from 0xC000, 64-bit BARs below 4 GiB
 * while they fit, decoding off until the OS turns it on.
 */
static void test_bar_firmware_assignment(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(cfg_read(f, 1, 0x04, 2) & 0x3, 0);
	assert_int_equal(cfg_read(f, 1, 0x10, 4), 0x80000000);
	assert_int_equal(cfg_read(f, 1, 0x14, 4), 0x0000c001);
	assert_int_equal(cfg_read(f, 1, 0x18, 4), 0x8000400c);
	assert_int_equal(cfg_read(f, 1, 0x1c, 4), 0);
	assert_int_equal(f->dev[0].maps, 0);
	/* A second function goes after the first one's BARs. */
	tdev_init(&f->dev[1]);
	assert_int_equal(pci_dev_add(f->bus, &f->dev[1].pd), 0);
	assert_int_equal(cfg_read(f, 2, 0x10, 4), 0x80008000);
	assert_int_equal(cfg_read(f, 2, 0x14, 4), 0x0000c009);
	assert_int_equal(cfg_read(f, 2, 0x18, 4), 0x8000c00c);
	/* Turning decoding on maps them where firmware put them. */
	cfg_write(f, 2, 0x04, 2, 0x0003);
	assert_int_equal(fake_read(f->env, BUS_MMIO, 0x80008010, 4),
			 0x12345678);
	assert_int_equal(fake_read(f->env, BUS_PIO, 0xc00c, 1), 0xab);
	assert_int_equal(f->dev[1].maps, 3);
}

static void test_bar_decode_enable(void **state)
{
	struct fixture *f = *state;
	struct tdev *t = &f->dev[0];

	/* The OS keeps BARs 0 and 1 where they are and unassigns BAR 2. */
	cfg_write(f, 1, 0x18, 4, 0);
	cfg_write(f, 1, 0x10, 4, 0x80000000);
	cfg_write(f, 1, 0x14, 4, 0xc000);
	/* Addresses assigned, decoding off: nothing answers. */
	assert_int_equal(fake_read(f->env, BUS_MMIO, 0x80000010, 4),
			 0xffffffff);
	assert_int_equal(fake_read(f->env, BUS_PIO, 0xc004, 1), 0xff);
	assert_int_equal(t->mem_accesses + t->io_accesses, 0);
	/* Command.MEM on: the memory BAR decodes, the I/O BAR still not. */
	cfg_write(f, 1, 0x04, 2, 0x0002);
	assert_int_equal(fake_read(f->env, BUS_MMIO, 0x80000010, 4),
			 0x12345678);
	assert_int_equal(t->last.off, 0x10);
	assert_int_equal(t->last.size, 4);
	assert_int_equal(fake_read(f->env, BUS_PIO, 0xc004, 1), 0xff);
	/* Command.IO on: the I/O BAR decodes with offsets from its base. */
	cfg_write(f, 1, 0x04, 2, 0x0003);
	assert_int_equal(fake_read(f->env, BUS_PIO, 0xc004, 1), 0xab);
	assert_int_equal(t->last.off, 4);
	/* Outside the 4 KiB: not the device. */
	assert_int_equal(fake_read(f->env, BUS_MMIO, 0x80001000, 4),
			 0xffffffff);
	/* Decoding off again: unmapped. */
	cfg_write(f, 1, 0x04, 2, 0x0000);
	t->mem_accesses = 0;
	assert_int_equal(fake_read(f->env, BUS_MMIO, 0x80000010, 4),
			 0xffffffff);
	assert_int_equal(t->mem_accesses, 0);
	/* The hook saw 2 maps and 2 unmaps. */
	assert_int_equal(t->maps, 2);
	assert_int_equal(t->unmaps, 2);
}

static void test_bar_move(void **state)
{
	struct fixture *f = *state;
	struct tdev *t = &f->dev[0];

	cfg_write(f, 1, 0x10, 4, 0x80000000);
	cfg_write(f, 1, 0x04, 2, 0x0002);
	assert_int_equal(fake_read(f->env, BUS_MMIO, 0x80000000, 4),
			 0x12345678);
	/* Moved with decoding on (firmware does this): old range is gone. */
	cfg_write(f, 1, 0x10, 4, 0x90000000);
	assert_int_equal(cfg_read(f, 1, 0x10, 4), 0x90000000);
	assert_int_equal(fake_read(f->env, BUS_MMIO, 0x80000000, 4),
			 0xffffffff);
	assert_int_equal(fake_read(f->env, BUS_MMIO, 0x90000ffc, 4),
			 0x12345678);
	assert_int_equal(t->last.off, 0xffc);
	assert_int_equal(t->map_addr, 0x90000000);
	/* Low address bits below the size are not writable. */
	cfg_write(f, 1, 0x10, 4, 0x90000abc);
	assert_int_equal(cfg_read(f, 1, 0x10, 4), 0x90000000);
	/* Sizing with decoding on maps at 0xfffff000, then moves back. */
	assert_int_equal(size_bar(f, 1, 0x10), 0xfffff000);
	assert_int_equal(fake_read(f->env, BUS_MMIO, 0x90000000, 4),
			 0x12345678);
	assert_int_equal(fake_read(f->env, BUS_MMIO, 0xfffff000, 4),
			 0xffffffff);
}

static void test_bar_64bit(void **state)
{
	struct fixture *f = *state;
	struct tdev *t = &f->dev[0];

	/* 0x2_4000_0000: low dword keeps its flag bits 0xc. */
	cfg_write(f, 1, 0x18, 4, 0x40000000);
	cfg_write(f, 1, 0x1c, 4, 0x00000002);
	assert_int_equal(cfg_read(f, 1, 0x18, 4), 0x4000000c);
	assert_int_equal(cfg_read(f, 1, 0x1c, 4), 0x00000002);
	cfg_write(f, 1, 0x04, 2, 0x0002);
	assert_int_equal(fake_read(f->env, BUS_MMIO, 0x240000100ULL, 4),
			 0x12345678);
	assert_int_equal(t->last.off, 0x100);
	/* The 32-bit alias is not decoded. */
	assert_int_equal(fake_read(f->env, BUS_MMIO, 0x40000100, 4),
			 0xffffffff);
	/* Changing the high dword alone moves it. */
	cfg_write(f, 1, 0x1c, 4, 0x00000003);
	assert_int_equal(fake_read(f->env, BUS_MMIO, 0x240000100ULL, 4),
			 0xffffffff);
	assert_int_equal(fake_read(f->env, BUS_MMIO, 0x340000100ULL, 4),
			 0x12345678);
	/* All-ones in both halves with decoding on: cannot decode. */
	cfg_write(f, 1, 0x18, 4, 0xffffffff);
	cfg_write(f, 1, 0x1c, 4, 0xffffffff);
	assert_int_equal(fake_read(f->env, BUS_MMIO, 0x340000100ULL, 4),
			 0xffffffff);
	assert_false(t->pd.bar[2].mapped);
}

static void test_bar_overlap(void **state)
{
	struct fixture *f = *state;

	/* A hostile I/O BAR over CONFIG_ADDRESS: refused, 0xCF8 still works. */
	cfg_write(f, 1, 0x14, 4, 0xcf8);
	cfg_write(f, 1, 0x04, 2, 0x0001);
	assert_false(f->dev[0].pd.bar[1].mapped);
	assert_int_equal(cfg_read(f, 0, 0x00, 4), 0x00081b36);
	/* An I/O BAR past 64 KiB cannot decode; one ending there can. */
	cfg_write(f, 1, 0x14, 4, 0x1fff8);
	assert_false(f->dev[0].pd.bar[1].mapped);
	cfg_write(f, 1, 0x14, 4, 0xfff8);
	assert_int_equal(fake_read(f->env, BUS_PIO, 0xffff, 1), 0xab);
	/* Address 0 is unassigned. */
	cfg_write(f, 1, 0x14, 4, 0);
	assert_false(f->dev[0].pd.bar[1].mapped);
	cfg_write(f, 1, 0x14, 4, 0xc000);
	assert_true(f->dev[0].pd.bar[1].mapped);
}

static void test_intx(void **state)
{
	struct fixture *f = *state;
	struct pci_dev *pd = &f->dev[0].pd;

	/* Slot 1, INTA#: GSI 16 + ((1 + 0) & 3) = 17 (layout.h, _PRT). */
	assert_int_equal(cfg_read(f, 1, 0x3c, 1), 17);
	pci_dev_set_intx(pd, 1);
	assert_int_equal(f->env->irq[17].level, 1);
	assert_int_equal(cfg_read(f, 1, 0x06, 2) & 0x0008, 0x0008);
	/* INTX_DISABLE (Command bit 10) masks the pin, not the status. */
	cfg_write(f, 1, 0x04, 2, 0x0400);
	assert_int_equal(f->env->irq[17].level, 0);
	assert_int_equal(cfg_read(f, 1, 0x06, 2) & 0x0008, 0x0008);
	cfg_write(f, 1, 0x04, 2, 0x0000);
	assert_int_equal(f->env->irq[17].level, 1);
	assert_int_equal(f->env->irq[17].raises, 2);
	pci_dev_set_intx(pd, 0);
	assert_int_equal(f->env->irq[17].level, 0);
	assert_int_equal(cfg_read(f, 1, 0x06, 2) & 0x0008, 0);
	/* Asserted while disabled: nothing until enabled. */
	cfg_write(f, 1, 0x04, 2, 0x0400);
	pci_dev_set_intx(pd, 1);
	assert_int_equal(f->env->irq[17].level, 0);
	cfg_write(f, 1, 0x04, 2, 0x0000);
	assert_int_equal(f->env->irq[17].level, 1);
	pci_dev_set_intx(pd, 0);
}

static void test_intx_shared(void **state)
{
	struct fixture *f = *state;
	struct pci_dev *a = &f->dev[0].pd, *b = &f->dev[1].pd;

	/* Slot 5 INTA#: 16 + ((5 + 0) & 3) = 17, shared with slot 1. */
	tdev_init(&f->dev[1]);
	b->slot = 5;
	assert_int_equal(pci_dev_add(f->bus, b), 0);
	assert_int_equal(cfg_read(f, 5, 0x3c, 1), 17);
	pci_dev_set_intx(a, 1);
	pci_dev_set_intx(b, 1);
	pci_dev_set_intx(a, 0);
	assert_int_equal(f->env->irq[17].level, 1);
	pci_dev_set_intx(b, 0);
	assert_int_equal(f->env->irq[17].level, 0);
	assert_int_equal(f->env->irq[17].raises, 1);
}

static void test_slots(void **state)
{
	struct fixture *f = *state;
	static struct tdev many[31];
	struct tdev bad;
	int i;

	/* Slot 1 is taken by the fixture: a request for it fails. */
	tdev_init(&bad);
	bad.pd.slot = 1;
	assert_int_equal(pci_dev_add(f->bus, &bad.pd), -EBUSY);
	for (i = 0; i < 30; i++) {
		tdev_init(&many[i]);
		assert_int_equal(pci_dev_add(f->bus, &many[i].pd), 0);
		assert_int_equal(many[i].pd.slot, i + 2);
	}
	tdev_init(&many[30]);
	assert_int_equal(pci_dev_add(f->bus, &many[30].pd), -ENOSPC);
	assert_int_equal(cfg_read(f, 31, 0x00, 4), 0x56781234);
	/* Slot 31 INTA#: 16 + ((31 + 0) & 3) = 19. */
	assert_int_equal(cfg_read(f, 31, 0x3c, 1), 19);
	for (i = 0; i < 30; i++)
		pci_dev_del(&many[i].pd);
	assert_int_equal(cfg_read(f, 31, 0x00, 4), 0xffffffff);
}

static void test_bad_bars(void **state)
{
	struct fixture *f = *state;
	struct tdev t;

	tdev_init(&t);
	t.pd.bar[0].size = 3000; /* not a power of two */
	assert_int_equal(pci_dev_add(f->bus, &t.pd), -EINVAL);
	tdev_init(&t);
	t.pd.bar[1].size = 512; /* I/O BARs are at most 256 bytes */
	assert_int_equal(pci_dev_add(f->bus, &t.pd), -EINVAL);
	tdev_init(&t);
	t.pd.bar[5] = t.pd.bar[2]; /* 64-bit needs a BAR after it */
	assert_int_equal(pci_dev_add(f->bus, &t.pd), -EINVAL);
	tdev_init(&t);
	t.pd.bar[3].size = 16; /* the upper half of BAR2 */
	assert_int_equal(pci_dev_add(f->bus, &t.pd), -EINVAL);
	tdev_init(&t);
	t.pd.ops = NULL;
	t.pd.bar[4].size = 4096; /* no handler and no bar_map hook */
	assert_int_equal(pci_dev_add(f->bus, &t.pd), -EINVAL);
}

static void test_caps_and_hooks(void **state)
{
	struct fixture *f = *state;
	struct tdev t;
	u8 off1, off2;

	tdev_init(&t);
	assert_int_equal(pci_dev_add_cap(&t.pd, 0x09, 6, &off1), 0);
	assert_int_equal(pci_dev_add_cap(&t.pd, 0x11, 12, &off2), 0);
	assert_int_equal(off1, 0x40);
	assert_int_equal(off2, 0x48); /* 0x46 rounded up to a dword */
	t.pd.wmask[off2 + 2] = 0xff;
	assert_int_equal(pci_dev_add(f->bus, &t.pd), 0);
	/* Status.CAP_LIST, Capabilities Pointer, then the linked list. */
	assert_int_equal(cfg_read(f, 2, 0x06, 2) & 0x0010, 0x0010);
	assert_int_equal(cfg_read(f, 2, 0x34, 1), 0x40);
	assert_int_equal(cfg_read(f, 2, 0x40, 2), 0x4809);
	assert_int_equal(cfg_read(f, 2, 0x48, 2), 0x0011);
	/* The device's writable capability byte and the write hook. */
	cfg_write(f, 2, 0x4a, 1, 0x5a);
	assert_int_equal(cfg_read(f, 2, 0x4a, 1), 0x5a);
	assert_int_equal(t.cfg_writes, 1);
	assert_int_equal(t.cfg_write_off, 0x4a);
	assert_int_equal(t.cfg_write_val, 0x5a);
	/* The read hook computes a register. */
	assert_int_equal(cfg_read(f, 2, 0x44, 4), 0xc0de0001);
	pci_dev_del(&t.pd);
}

static void test_del_unmaps(void **state)
{
	struct fixture *f = *state;

	cfg_write(f, 1, 0x10, 4, 0x80000000);
	cfg_write(f, 1, 0x04, 2, 0x0002);
	pci_dev_set_intx(&f->dev[0].pd, 1);
	pci_dev_del(&f->dev[0].pd);
	assert_int_equal(fake_read(f->env, BUS_MMIO, 0x80000000, 4),
			 0xffffffff);
	assert_int_equal(f->env->irq[17].level, 0);
	assert_int_equal(cfg_read(f, 1, 0x00, 4), 0xffffffff);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_host_bridge, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_absent_functions, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_byte_word_lanes, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_config_address, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_hostile_config_address,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_readonly_fields, setup_dev,
						teardown),
		cmocka_unit_test_setup_teardown(test_status_w1c, setup_dev,
						teardown),
		cmocka_unit_test_setup_teardown(test_bar_firmware_assignment,
						setup_dev, teardown),
		cmocka_unit_test_setup_teardown(test_bar_sizing, setup_dev,
						teardown),
		cmocka_unit_test_setup_teardown(test_bar_decode_enable,
						setup_dev, teardown),
		cmocka_unit_test_setup_teardown(test_bar_move, setup_dev,
						teardown),
		cmocka_unit_test_setup_teardown(test_bar_64bit, setup_dev,
						teardown),
		cmocka_unit_test_setup_teardown(test_bar_overlap, setup_dev,
						teardown),
		cmocka_unit_test_setup_teardown(test_intx, setup_dev, teardown),
		cmocka_unit_test_setup_teardown(test_intx_shared, setup_dev,
						teardown),
		cmocka_unit_test_setup_teardown(test_slots, setup_dev,
						teardown),
		cmocka_unit_test_setup_teardown(test_bad_bars, setup_dev,
						teardown),
		cmocka_unit_test_setup_teardown(test_caps_and_hooks, setup_dev,
						teardown),
		cmocka_unit_test_setup_teardown(test_del_unmaps, setup_dev,
						teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
