// SPDX-License-Identifier: Apache-2.0
/*
 * MSI-X (PCI Local Bus Spec 3.0 section 6.8.2) as a guest's OS drives it:
 * the capability found by walking the list, the table and PBA in a memory
 * BAR reached with the dword and qword accesses Linux's pci_msix_*() make,
 * per-vector and function masking with pending bits, enable and INTx.
 * Expected values are the spec's, written out.
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
#define MSI_ADDR 0xfee01000u /* destination APIC ID 1 */
#define TABLE_A 0x1000 /* device A: MSI-X inside its register BAR */
#define PBA_A 0x1800
#define NVEC_A 3
#define NVEC_B 70 /* device B: MSI-X in a BAR of its own, two PBA qwords */
#define PBA_B 0x800

struct hook_call {
	int vec;
	u64 addr;
	u32 data;
	bool masked;
	int msis_before; /* messages sent when the hook ran */
};

struct tdev {
	struct pci_dev pd;
	int reg_accesses;
	struct io_access last;
	struct hook_call calls[16];
	int nr_calls;
	struct dev_env *env;
};

struct fixture {
	struct dev_env *env;
	struct pci_bus *bus;
	struct tdev a, b;
	u64 bar_a, bar_b; /* where the MSI-X BARs decode */
};

static u32 conf1(u32 slot, u32 reg)
{
	return 0x80000000u | slot << 11 | (reg & 0xfc);
}

static u32 cfg_read(struct fixture *f, u32 slot, u32 reg, u8 size)
{
	fake_write(f->env, BUS_PIO, CF8, 4, conf1(slot, reg));
	return fake_read(f->env, BUS_PIO, CFC + (reg & 3), size);
}

static void cfg_write(struct fixture *f, u32 slot, u32 reg, u8 size, u32 v)
{
	fake_write(f->env, BUS_PIO, CF8, 4, conf1(slot, reg));
	fake_write(f->env, BUS_PIO, CFC + (reg & 3), size, v);
}

static enum io_res tdev_regs(void *opaque, struct io_access *a)
{
	struct tdev *t = opaque;

	t->reg_accesses++;
	t->last = *a;
	if (!a->write)
		a->val = 0x5a5a5a5a;
	return IO_OK;
}

static void tdev_msix_update(struct pci_dev *pd, int vec, u64 addr, u32 data,
			     bool masked)
{
	struct tdev *t = pd->priv;

	assert_true(t->nr_calls < (int)ARRAY_SIZE(t->calls));
	t->calls[t->nr_calls++] =
		(struct hook_call){ vec, addr, data, masked, t->env->nr_msi };
}

static const struct pci_ops tdev_ops = { .msix_update = tdev_msix_update };

static void tdev_init(struct tdev *t, struct dev_env *env)
{
	memset(t, 0, sizeof(*t));
	pci_dev_init(&t->pd, 0x1234, 0x5678, 0xff0000, 1);
	t->pd.priv = t;
	t->pd.ops = &tdev_ops;
	t->env = env;
}

/* Linux's pci_find_capability(): follow the list from 0x34. */
static u8 find_cap(struct fixture *f, u32 slot, u8 id)
{
	u8 pos = cfg_read(f, slot, 0x34, 1);
	int ttl = 48;

	if (!(cfg_read(f, slot, 0x06, 2) & 0x0010))
		return 0;
	while (pos >= 0x40 && ttl--) {
		if (cfg_read(f, slot, pos, 1) == id)
			return pos;
		pos = cfg_read(f, slot, pos + 1, 1) & ~3;
	}
	return 0;
}

/* Memory decoding on; the BAR where firmware put it. */
static u64 bar_addr(struct fixture *f, u32 slot, int bar)
{
	cfg_write(f, slot, 0x04, 2, 0x0006);
	return cfg_read(f, slot, 0x10 + 4 * bar, 4) & ~0xfu;
}

/*
 * Device A (slot 1): BAR0 8 KiB of registers with MSI-X at 0x1000, PBA
 * at 0x1800, 3 vectors. Device B (slot 2): BAR0 4 KiB of registers, and
 * 70 vectors in BAR1, which pci_msix_init() declares.
 */
static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	f->env = fake_env_new(1 << 20, NULL);
	assert_int_equal(pci_bus_create(f->env, &f->bus), 0);
	tdev_init(&f->a, f->env);
	f->a.pd.bar[0] =
		(struct pci_bar){ .size = 8192, .fn = tdev_regs, .dev = &f->a };
	assert_int_equal(pci_msix_init(&f->a.pd, NVEC_A, 0, TABLE_A, PBA_A), 0);
	assert_int_equal(pci_dev_add(f->bus, &f->a.pd), 0);
	tdev_init(&f->b, f->env);
	f->b.pd.bar[0] =
		(struct pci_bar){ .size = 4096, .fn = tdev_regs, .dev = &f->b };
	assert_int_equal(pci_msix_init(&f->b.pd, NVEC_B, 1, 0, PBA_B), 0);
	assert_int_equal(pci_dev_add(f->bus, &f->b.pd), 0);
	f->bar_a = bar_addr(f, 1, 0);
	f->bar_b = bar_addr(f, 2, 1);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	pci_dev_del(&f->a.pd);
	pci_dev_del(&f->b.pd);
	pci_bus_destroy(f->bus);
	fake_env_free(f->env);
	free(f);
	return 0;
}

/* Table entry @vec, dword @reg of device A. */
static u64 ent_a(struct fixture *f, int vec, int reg)
{
	return f->bar_a + TABLE_A + 16 * vec + reg;
}

static u64 mread(struct fixture *f, u64 addr, u8 size)
{
	return fake_read(f->env, BUS_MMIO, addr, size);
}

static void mwrite(struct fixture *f, u64 addr, u8 size, u64 v)
{
	fake_write(f->env, BUS_MMIO, addr, size, v);
}

/* Message Control of device A (slot 1). */
static void msix_ctl_a(struct fixture *f, u16 v)
{
	cfg_write(f, 1, find_cap(f, 1, PCI_CAP_ID_MSIX) + 2, 2, v);
}

/* Linux's msix_setup_msi_descs + unmask: address, data, then control. */
static void program_a(struct fixture *f, int vec, u32 data, bool unmask)
{
	mwrite(f, ent_a(f, vec, 0), 4, MSI_ADDR);
	mwrite(f, ent_a(f, vec, 4), 4, 0);
	mwrite(f, ent_a(f, vec, 8), 4, data);
	if (unmask)
		mwrite(f, ent_a(f, vec, 12), 4, 0);
}

static void test_capability_layout(void **state)
{
	struct fixture *f = *state;
	u8 cap = find_cap(f, 1, PCI_CAP_ID_MSIX);

	assert_int_not_equal(cap, 0);
	/* Message Control: table size N-1 = 2, enable and mask clear. */
	assert_int_equal(cfg_read(f, 1, cap + 2, 2), NVEC_A - 1);
	/* Table and PBA: offset | BIR 0. */
	assert_int_equal(cfg_read(f, 1, cap + 4, 4), TABLE_A | 0);
	assert_int_equal(cfg_read(f, 1, cap + 8, 4), PBA_A | 0);
	/* Only bits 15 and 14 are writable; table size and BIRs are not. */
	cfg_write(f, 1, cap + 2, 2, 0xffff);
	assert_int_equal(cfg_read(f, 1, cap + 2, 2), 0xc000 | (NVEC_A - 1));
	cfg_write(f, 1, cap + 4, 4, 0xffffffff);
	cfg_write(f, 1, cap + 8, 4, 0xffffffff);
	assert_int_equal(cfg_read(f, 1, cap + 4, 4), TABLE_A);
	assert_int_equal(cfg_read(f, 1, cap + 8, 4), PBA_A);
	cfg_write(f, 1, cap + 2, 2, 0);

	/* Device B: 70 vectors in BAR1, declared as 4 KiB of memory. */
	cap = find_cap(f, 2, PCI_CAP_ID_MSIX);
	assert_int_not_equal(cap, 0);
	assert_int_equal(cfg_read(f, 2, cap + 2, 2), NVEC_B - 1);
	assert_int_equal(cfg_read(f, 2, cap + 4, 4), 0 | 1);
	assert_int_equal(cfg_read(f, 2, cap + 8, 4), PBA_B | 1);
	cfg_write(f, 2, 0x04, 2, 0);
	cfg_write(f, 2, 0x14, 4, 0xffffffff);
	assert_int_equal(cfg_read(f, 2, 0x14, 4), 0xfffff000);
}

static void test_table_reset_and_rw(void **state)
{
	struct fixture *f = *state;
	int vec;

	/* Reset: every vector masked (section 6.8.2.9). */
	for (vec = 0; vec < NVEC_A; vec++) {
		assert_int_equal(mread(f, ent_a(f, vec, 0), 4), 0);
		assert_int_equal(mread(f, ent_a(f, vec, 8), 4), 0);
		assert_int_equal(mread(f, ent_a(f, vec, 12), 4), 1);
	}
	/* Dword writes, read back as dwords and qwords. */
	mwrite(f, ent_a(f, 1, 0), 4, 0xfee0100c);
	mwrite(f, ent_a(f, 1, 4), 4, 0x00000001);
	mwrite(f, ent_a(f, 1, 8), 4, 0x4041);
	assert_int_equal(mread(f, ent_a(f, 1, 0), 4), 0xfee0100c);
	assert_int_equal(mread(f, ent_a(f, 1, 0), 8), 0x1fee0100cULL);
	assert_int_equal(mread(f, ent_a(f, 1, 8), 8), 0x100004041ULL);
	/* Qword writes: address in one, data and control in the other. */
	mwrite(f, ent_a(f, 2, 0), 8, 0x00000002fee02000ULL);
	mwrite(f, ent_a(f, 2, 8), 8, 0x0000000000000051ULL);
	assert_int_equal(mread(f, ent_a(f, 2, 0), 4), 0xfee02000);
	assert_int_equal(mread(f, ent_a(f, 2, 4), 4), 2);
	assert_int_equal(mread(f, ent_a(f, 2, 8), 4), 0x51);
	assert_int_equal(mread(f, ent_a(f, 2, 12), 4), 0);
	/* Vector Control keeps only the mask bit. */
	mwrite(f, ent_a(f, 2, 12), 4, 0xffffffff);
	assert_int_equal(mread(f, ent_a(f, 2, 12), 4), 1);
	/* Entries are independent. */
	assert_int_equal(mread(f, ent_a(f, 0, 0), 8), 0);
	assert_int_equal(f->a.reg_accesses, 0);
}

/* Bytes, words, misaligned and straddling accesses: ignored. */
static void test_bad_widths(void **state)
{
	struct fixture *f = *state;

	program_a(f, 0, 0x40, false);
	mwrite(f, ent_a(f, 0, 0), 1, 0xff);
	mwrite(f, ent_a(f, 0, 0), 2, 0xffff);
	mwrite(f, ent_a(f, 0, 2), 4, 0xffffffff);
	mwrite(f, ent_a(f, 0, 4), 8, ~0ULL);
	mwrite(f, ent_a(f, 0, 12), 1, 0);
	assert_int_equal(mread(f, ent_a(f, 0, 0), 4), MSI_ADDR);
	assert_int_equal(mread(f, ent_a(f, 0, 4), 4), 0);
	assert_int_equal(mread(f, ent_a(f, 0, 8), 4), 0x40);
	assert_int_equal(mread(f, ent_a(f, 0, 12), 4), 1);
	/* Reads of the wrong shape see all-ones, as for no device. */
	assert_int_equal(mread(f, ent_a(f, 0, 0), 1), 0xff);
	assert_int_equal(mread(f, ent_a(f, 0, 0), 2), 0xffff);
	assert_int_equal(mread(f, ent_a(f, 0, 4), 8), ~0ULL);
	assert_int_equal(mread(f, f->bar_a + PBA_A, 2), 0xffff);
	/* The last entry's end, and a qword running past it. */
	mwrite(f, ent_a(f, NVEC_A - 1, 8), 8, 0x77);
	assert_int_equal(mread(f, ent_a(f, NVEC_A - 1, 8), 4), 0x77);
	assert_int_equal(f->a.reg_accesses, 0);
	/* Past the table: the device's own registers again. */
	assert_int_equal(mread(f, ent_a(f, NVEC_A, 0), 4), 0x5a5a5a5a);
	assert_int_equal(f->a.last.off, TABLE_A + 16 * NVEC_A);
	assert_int_equal(mread(f, f->bar_a + 0x10, 4), 0x5a5a5a5a);
	assert_int_equal(f->a.last.off, 0x10);
	assert_int_equal(f->a.reg_accesses, 2);
	assert_int_equal(f->env->nr_msi, 0);
}

static void test_deliver(void **state)
{
	struct fixture *f = *state;

	program_a(f, 0, 0x4041, true);
	msix_ctl_a(f, 0x8000);
	assert_true(pci_msix_enabled(&f->a.pd));
	assert_int_equal(pci_msix_notify(&f->a.pd, 0), 0);
	assert_int_equal(f->env->nr_msi, 1);
	assert_int_equal(f->env->msi[0].addr, MSI_ADDR);
	assert_int_equal(f->env->msi[0].data, 0x4041);
	/* A 64-bit address goes out whole. */
	mwrite(f, ent_a(f, 0, 4), 4, 0x12);
	assert_int_equal(pci_msix_notify(&f->a.pd, 0), 0);
	assert_int_equal(f->env->msi[1].addr, 0x12ULL << 32 | MSI_ADDR);
	assert_int_equal(mread(f, f->bar_a + PBA_A, 8), 0);
}

/* Masked: the pending bit, then the message on unmask (6.8.2.9). */
static void test_pending_then_unmask(void **state)
{
	struct fixture *f = *state;

	program_a(f, 1, 0x4142, false);
	msix_ctl_a(f, 0x8000);
	assert_int_equal(pci_msix_notify(&f->a.pd, 1), 0);
	assert_int_equal(pci_msix_notify(&f->a.pd, 1), 0);
	assert_int_equal(f->env->nr_msi, 0);
	assert_int_equal(mread(f, f->bar_a + PBA_A, 4), 1u << 1);
	assert_int_equal(mread(f, f->bar_a + PBA_A, 8), 1u << 1);
	/* The PBA is read-only. */
	mwrite(f, f->bar_a + PBA_A, 4, 0);
	mwrite(f, f->bar_a + PBA_A, 8, 0);
	assert_int_equal(mread(f, f->bar_a + PBA_A, 4), 1u << 1);
	/* Unmask: one message for both notifications, the bit clears. */
	mwrite(f, ent_a(f, 1, 12), 4, 0);
	assert_int_equal(f->env->nr_msi, 1);
	assert_int_equal(f->env->msi[0].data, 0x4142);
	assert_int_equal(mread(f, f->bar_a + PBA_A, 4), 0);
	mwrite(f, ent_a(f, 1, 12), 4, 0);
	assert_int_equal(f->env->nr_msi, 1);
	/* Masked again, nothing pending: unmask sends nothing. */
	mwrite(f, ent_a(f, 1, 12), 4, 1);
	mwrite(f, ent_a(f, 1, 12), 4, 0);
	assert_int_equal(f->env->nr_msi, 1);
}

static void test_function_mask(void **state)
{
	struct fixture *f = *state;

	program_a(f, 0, 0x40, true);
	program_a(f, 2, 0x42, true);
	msix_ctl_a(f, 0xc000);
	assert_int_equal(pci_msix_notify(&f->a.pd, 0), 0);
	assert_int_equal(pci_msix_notify(&f->a.pd, 2), 0);
	assert_int_equal(f->env->nr_msi, 0);
	assert_int_equal(mread(f, f->bar_a + PBA_A, 4), 0x5);
	/* Per-vector mask bits are unchanged by the function mask. */
	assert_int_equal(mread(f, ent_a(f, 0, 12), 4), 0);
	/* Mask vector 2 on its own, then lift the function mask. */
	mwrite(f, ent_a(f, 2, 12), 4, 1);
	msix_ctl_a(f, 0x8000);
	assert_int_equal(f->env->nr_msi, 1);
	assert_int_equal(f->env->msi[0].data, 0x40);
	assert_int_equal(mread(f, f->bar_a + PBA_A, 4), 0x4);
	mwrite(f, ent_a(f, 2, 12), 4, 0);
	assert_int_equal(f->env->nr_msi, 2);
	assert_int_equal(f->env->msi[1].data, 0x42);
}

/* Disabled: no message, no pending bit, and INTx in its place. */
static void test_enable_and_intx(void **state)
{
	struct fixture *f = *state;
	struct pci_dev *pd = &f->a.pd;
	int gsi = cfg_read(f, 1, 0x3c, 1);

	program_a(f, 0, 0x40, true);
	assert_false(pci_msix_enabled(pd));
	assert_int_equal(pci_msix_notify(pd, 0), -ENOTCONN);
	assert_int_equal(f->env->nr_msi, 0);
	assert_int_equal(mread(f, f->bar_a + PBA_A, 4), 0);
	pci_dev_set_intx(pd, 1);
	assert_int_equal(f->env->irq[gsi].level, 1);
	/* Enabling MSI-X takes the line down; the status bit stays. */
	msix_ctl_a(f, 0x8000);
	assert_int_equal(f->env->irq[gsi].level, 0);
	assert_true(cfg_read(f, 1, 0x06, 2) & 0x0008);
	pci_dev_set_intx(pd, 0);
	pci_dev_set_intx(pd, 1);
	assert_int_equal(f->env->irq[gsi].raises, 1);
	assert_int_equal(pci_msix_notify(pd, 0), 0);
	assert_int_equal(f->env->nr_msi, 1);
	/* Disabling it brings INTx back while the device asserts it. */
	msix_ctl_a(f, 0x0000);
	assert_false(pci_msix_enabled(pd));
	assert_int_equal(f->env->irq[gsi].level, 1);
	pci_dev_set_intx(pd, 0);
}

/* msix_update tells the device each change of what a vector may send. */
static void test_update_hook(void **state)
{
	struct fixture *f = *state;
	struct tdev *t = &f->a;

	/* Enabled with every vector masked: nothing changes for anyone. */
	msix_ctl_a(f, 0x8000);
	program_a(f, 0, 0x40, false);
	assert_int_equal(t->nr_calls, 0);
	/* Unmask: the vector's message. */
	mwrite(f, ent_a(f, 0, 12), 4, 0);
	assert_int_equal(t->nr_calls, 1);
	assert_int_equal(t->calls[0].vec, 0);
	assert_int_equal(t->calls[0].addr, MSI_ADDR);
	assert_int_equal(t->calls[0].data, 0x40);
	assert_false(t->calls[0].masked);
	/* New data while unmasked; an unchanged rewrite says nothing. */
	mwrite(f, ent_a(f, 0, 8), 4, 0x41);
	mwrite(f, ent_a(f, 0, 8), 4, 0x41);
	assert_int_equal(t->nr_calls, 2);
	assert_int_equal(t->calls[1].data, 0x41);
	/* The function mask masks the unmasked vector only. */
	msix_ctl_a(f, 0xc000);
	assert_int_equal(t->nr_calls, 3);
	assert_int_equal(t->calls[2].vec, 0);
	assert_true(t->calls[2].masked);
	/* Pending on unmask: the device hears first, then the message. */
	assert_int_equal(pci_msix_notify(&t->pd, 0), 0);
	msix_ctl_a(f, 0x8000);
	assert_int_equal(t->nr_calls, 4);
	assert_false(t->calls[3].masked);
	assert_int_equal(t->calls[3].msis_before, 0);
	assert_int_equal(f->env->nr_msi, 1);
	/* Disable: masked. */
	msix_ctl_a(f, 0x0000);
	assert_int_equal(t->nr_calls, 5);
	assert_true(t->calls[4].masked);
}

/* 70 vectors: the PBA's second qword, reached by dword and qword. */
static void test_pba_second_qword(void **state)
{
	struct fixture *f = *state;
	u8 cap = find_cap(f, 2, PCI_CAP_ID_MSIX);
	u64 ent65 = f->bar_b + 16 * 65;

	cfg_write(f, 2, cap + 2, 2, 0x8000);
	mwrite(f, ent65, 4, MSI_ADDR);
	mwrite(f, ent65 + 8, 4, 0x65);
	assert_int_equal(pci_msix_notify(&f->b.pd, 65), 0);
	assert_int_equal(pci_msix_notify(&f->b.pd, 0), 0);
	assert_int_equal(mread(f, f->bar_b + PBA_B, 8), 1);
	assert_int_equal(mread(f, f->bar_b + PBA_B + 8, 8), 1u << 1);
	assert_int_equal(mread(f, f->bar_b + PBA_B + 8, 4), 1u << 1);
	assert_int_equal(mread(f, f->bar_b + PBA_B + 12, 4), 0);
	/* Beyond the PBA and the table: nobody (the BAR is MSI-X only). */
	assert_int_equal(mread(f, f->bar_b + PBA_B + 16, 4), 0xffffffff);
	assert_int_equal(mread(f, f->bar_b + 16 * NVEC_B, 4), 0xffffffff);
	mwrite(f, ent65 + 12, 4, 0);
	assert_int_equal(f->env->nr_msi, 1);
	assert_int_equal(f->env->msi[0].data, 0x65);
	assert_int_equal(mread(f, f->bar_b + PBA_B + 8, 8), 0);
	assert_int_equal(f->b.reg_accesses, 0);
}

static void test_notify_bad_vectors(void **state)
{
	struct fixture *f = *state;
	struct pci_dev plain;

	msix_ctl_a(f, 0x8000);
	assert_int_equal(pci_msix_notify(&f->a.pd, -1), -EINVAL);
	assert_int_equal(pci_msix_notify(&f->a.pd, NVEC_A), -EINVAL);
	pci_dev_init(&plain, 0x1234, 0x5679, 0xff0000, 0);
	assert_int_equal(pci_msix_notify(&plain, 0), -EINVAL);
	assert_false(pci_msix_enabled(&plain));
	assert_int_equal(mread(f, f->bar_a + PBA_A, 8), 0);
}

static void test_init_errors(void **state)
{
	struct fixture *f = *state;
	struct pci_dev pd;

	pci_dev_init(&pd, 0x1234, 0x5679, 0xff0000, 0);
	pd.bar[0] = (struct pci_bar){ .size = 4096, .fn = tdev_regs };
	pd.bar[1] = (struct pci_bar){ .size = 16, .io = true, .fn = tdev_regs };
	pd.bar[2] = (struct pci_bar){ .size = 4096,
				      .mem64 = true,
				      .fn = tdev_regs };
	assert_int_equal(pci_msix_init(&pd, 0, 0, 0, 0x800), -EINVAL);
	assert_int_equal(pci_msix_init(&pd, 2049, 4, 0, 0x8000), -EINVAL);
	assert_int_equal(pci_msix_init(&pd, 1, 6, 0, 0x800), -EINVAL);
	assert_int_equal(pci_msix_init(&pd, 1, -1, 0, 0x800), -EINVAL);
	/* Offsets are qword aligned: the low 3 bits are the BIR. */
	assert_int_equal(pci_msix_init(&pd, 1, 0, 4, 0x800), -EINVAL);
	assert_int_equal(pci_msix_init(&pd, 1, 0, 0, 0x804), -EINVAL);
	/* Table and PBA apart, inside a memory BAR. */
	assert_int_equal(pci_msix_init(&pd, 4, 0, 0, 0x38), -EINVAL);
	assert_int_equal(pci_msix_init(&pd, 1, 0, 0, 0x1000), -EINVAL);
	assert_int_equal(pci_msix_init(&pd, 256, 0, 0, 0x1000), -EINVAL);
	assert_int_equal(pci_msix_init(&pd, 1, 1, 0, 0x8), -EINVAL);
	/* BAR 3 is the upper half of 64-bit BAR 2. */
	assert_int_equal(pci_msix_init(&pd, 1, 3, 0, 0x800), -EINVAL);
	assert_int_equal(pd.cfg[PCI_CAPABILITY_LIST], 0);
	/* Valid in the 64-bit BAR; not twice. */
	assert_int_equal(pci_msix_init(&pd, 8, 2, 0, 0x800), 0);
	assert_int_equal(pci_msix_init(&pd, 8, 0, 0, 0x800), -EBUSY);
	/* Never added: pci_dev_del() still frees it. */
	pci_dev_del(&pd);
	assert_null(pd.msix);
	/* After pci_dev_add(): too late. */
	assert_int_equal(pci_msix_init(&f->a.pd, 1, 0, 0, 0x800), -EBUSY);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_capability_layout, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_table_reset_and_rw, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_bad_widths, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_deliver, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pending_then_unmask, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_function_mask, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_enable_and_intx, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_update_hook, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_pba_second_qword, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_notify_bad_vectors, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_init_errors, setup,
						teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
