// SPDX-License-Identifier: Apache-2.0
/*
 * QEMU's ivshmem-doorbell (docs/specs/ivshmem-spec.rst) as vessel's
 * `shmem model=ivshmem`: PCI 1af4:1110 revision 1, class 0x050000;
 * BAR0 with IntrMask, IntrStatus, IVPosition and Doorbell (peer << 16 |
 * vector); BAR1 with the MSI-X table and PBA for 2 vectors; BAR2 the
 * region, 64-bit prefetchable; the region's name in a vendor-specific
 * capability. Driven as Linux's drivers drive it (config mechanism #1,
 * the capability list, MSI-X as pci_msix_*() programs it), on the real
 * src/shm regions in a fresh $VESSEL_SHM_DIR per test, with host peers
 * from shm_open_region() and a second guest in a second fake
 * environment. After each test the directory must be empty and the
 * process hold no more fds than before.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../src/shm/shm.h"
#include "../../src/vmm/dev/pci.h"
#include "fake_env.h"
#include "shm_host.h"

#define CF8 0xcf8
#define CFC 0xcfc
#define SLOT 1 /* the only function on each test's bus */

#define REGION "ivs"
#define REGION_SIZE (12 * 1024) /* size=12K: BAR2 is 16 KiB */
#define BAR2_SIZE (16 * 1024)
#define BAR2_MOVED 0x1000000000ULL

/* BAR0 (ivshmem-spec.rst "Device registers") */
#define R_INTR_MASK 0x0
#define R_INTR_STATUS 0x4
#define R_IV_POSITION 0x8
#define R_DOORBELL 0xc

#define CAP_ID_VNDR 0x09
#define MSI_ADDR 0xfee01000u
#define MSI_DATA 0x4041

extern const struct dev_type dev_shmem_ivshmem;

struct guest {
	struct dev_env *env;
	struct pci_bus *bus;
	void *dev;
	u64 bar0, bar1, bar2;
};

struct fixture {
	struct shm_host h;
	struct guest a, b;
};

/* --- config space, BARs, capabilities --- */

static u32 cfg_read(struct guest *g, u32 reg, u8 size)
{
	return fake_cfg_read(g->env, SLOT, reg, size);
}

static void cfg_write(struct guest *g, u32 reg, u8 size, u32 v)
{
	fake_cfg_write(g->env, SLOT, reg, size, v);
}

static void bar2_set(struct guest *g, u64 addr)
{
	cfg_write(g, 0x18, 4, (u32)addr);
	cfg_write(g, 0x1c, 4, (u32)(addr >> 32));
}

/* Linux's pci_find_capability(): follow the list from 0x34. */
static u8 find_cap(struct guest *g, u8 id)
{
	u8 pos;
	int ttl = 48;

	if (!(cfg_read(g, 0x06, 2) & PCI_STATUS_CAP_LIST))
		return 0;
	pos = cfg_read(g, 0x34, 1);
	while (pos >= 0x40 && ttl--) {
		if (cfg_read(g, pos, 1) == id)
			return pos;
		pos = cfg_read(g, pos + 1, 1) & ~3;
	}
	return 0;
}

static u32 reg_read(struct guest *g, u64 off)
{
	return fake_read(g->env, BUS_MMIO, g->bar0 + off, 4);
}

static void reg_write(struct guest *g, u64 off, u32 v)
{
	fake_write(g->env, BUS_MMIO, g->bar0 + off, 4, v);
}

static int intx_level(struct guest *g)
{
	return g->env->irq[cfg_read(g, 0x3c, 1)].level;
}

/* The region's bytes as the guest's memslot at BAR2. */
static u8 *bar2_data(struct guest *g)
{
	const struct fake_map *m = fake_env_find_map(g->env, g->bar2);

	assert_non_null(m);
	assert_int_equal(m->len, REGION_SIZE);
	return m->hva;
}

/* pci_msix_*(): vector 0's message, unmasked, then MSI-X enabled. */
static void msix_enable(struct guest *g)
{
	u8 cap = find_cap(g, PCI_CAP_ID_MSIX);
	u64 entry = g->bar1; /* the table is at BAR1 + 0 */

	assert_true(cap != 0);
	cfg_write(g, cap + PCI_MSIX_FLAGS, 2,
		  PCI_MSIX_FLAGS_ENABLE | PCI_MSIX_FLAGS_MASKALL);
	fake_write(g->env, BUS_MMIO, entry + PCI_MSIX_ENTRY_LOWER_ADDR, 4,
		   MSI_ADDR);
	fake_write(g->env, BUS_MMIO, entry + PCI_MSIX_ENTRY_UPPER_ADDR, 4, 0);
	fake_write(g->env, BUS_MMIO, entry + PCI_MSIX_ENTRY_DATA, 4, MSI_DATA);
	fake_write(g->env, BUS_MMIO, entry + PCI_MSIX_ENTRY_VECTOR_CTRL, 4, 0);
	cfg_write(g, cap + PCI_MSIX_FLAGS, 2, PCI_MSIX_FLAGS_ENABLE);
}

static void msix_mask_vector0(struct guest *g, bool mask)
{
	fake_write(g->env, BUS_MMIO, g->bar1 + PCI_MSIX_ENTRY_VECTOR_CTRL, 4,
		   mask ? PCI_MSIX_ENTRY_CTRL_MASKBIT : 0);
}

/* What the loop and KVM would do: fds ready, irqfds written. */
static void pump(struct guest *g)
{
	for (int i = 0;
	     i < 8 && (fake_env_poll(g->env) + fake_env_fire_irqfds(g->env));
	     i++)
		;
}

/* --- guests and host peers --- */

/* An environment with `shmem @shmem` and a PCI bus, no device yet. */
static void guest_env(struct guest *g, const char *shmem)
{
	char opt[160];
	const char *opts[] = { opt, NULL };

	snprintf(opt, sizeof(opt), "shmem %s", shmem);
	g->env = fake_env_new(1 << 20, opts);
	assert_int_equal(pci_bus_create(g->env, &g->bus), 0);
	g->env->pci = g->bus;
}

static int guest_create(struct guest *g, const char *shmem)
{
	int ret;

	guest_env(g, shmem);
	g->dev = (void *)1;
	ret = dev_shmem_ivshmem.create(g->env, &g->dev);
	if (ret)
		assert_null(g->dev);
	return ret;
}

static void guest_start(struct guest *g, const char *shmem)
{
	assert_int_equal(guest_create(g, shmem), 0);
	assert_non_null(g->dev);
	/* Where firmware put the BARs; the driver turns decoding on. */
	g->bar0 = cfg_read(g, 0x10, 4) & ~0xfULL;
	g->bar1 = cfg_read(g, 0x14, 4) & ~0xfULL;
	g->bar2 = (cfg_read(g, 0x18, 4) & ~0xfULL) | (u64)cfg_read(g, 0x1c, 4)
							     << 32;
	assert_true(g->bar0 && g->bar1 && g->bar2);
	cfg_write(g, 0x04, 2, PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER);
}

static void guest_stop(struct guest *g)
{
	if (!g->env)
		return;
	if (g->dev) {
		dev_shmem_ivshmem.quiesce(g->dev, STOP_NONE);
		dev_shmem_ivshmem.destroy(g->dev);
	}
	pci_bus_destroy(g->bus);
	fake_env_free(g->env);
	memset(g, 0, sizeof(*g));
}

static int setup_dir(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	shm_host_init(&f->h, "shmem-ivshmem");
	*state = f;
	return 0;
}

/* A host program holds the region first (peer 0); the guest is peer 1. */
static int setup(void **state)
{
	struct fixture *f;

	setup_dir(state);
	f = *state;
	shm_host_open(&f->h, REGION, REGION_SIZE, SHM_CREATE);
	guest_start(&f->a, "model=ivshmem,name=" REGION ",size=12K");
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	guest_stop(&f->a);
	guest_stop(&f->b);
	shm_host_fini(&f->h);
	free(f);
	return 0;
}

/* --- identity --- */

static void test_identity(void **state)
{
	struct fixture *f = *state;
	struct guest *g = &f->a;

	assert_int_equal(cfg_read(g, 0x00, 4), 0x11101af4);
	assert_int_equal(cfg_read(g, 0x08, 1), 1); /* revision */
	assert_int_equal(cfg_read(g, 0x08, 4) >> 8, 0x050000);
	assert_int_equal(cfg_read(g, 0x3d, 1), 1); /* INTA# */
	assert_in_range(cfg_read(g, 0x3c, 1), 16, 19);
	/* BAR0: 256 bytes of 32-bit memory. */
	cfg_write(g, 0x10, 4, 0xffffffff);
	assert_int_equal(cfg_read(g, 0x10, 4), 0xffffff00);
	cfg_write(g, 0x10, 4, (u32)g->bar0);
	/* BAR1: the MSI-X table and PBA, 4 KiB of 32-bit memory. */
	cfg_write(g, 0x14, 4, 0xffffffff);
	assert_int_equal(cfg_read(g, 0x14, 4), 0xfffff000);
	cfg_write(g, 0x14, 4, (u32)g->bar1);
	/* BAR2: 64-bit prefetchable, the power of two >= 12 KiB. */
	assert_int_equal(cfg_read(g, 0x18, 4) & 0xf, 0xc);
	bar2_set(g, ~0ULL);
	assert_int_equal(cfg_read(g, 0x18, 4), (u32)-BAR2_SIZE | 0xc);
	assert_int_equal(cfg_read(g, 0x1c, 4), 0xffffffff);
	bar2_set(g, g->bar2);
	assert_int_equal(cfg_read(g, 0x20, 4), 0);
	assert_int_equal(cfg_read(g, 0x24, 4), 0);
}

static void test_capabilities(void **state)
{
	struct fixture *f = *state;
	struct guest *g = &f->a;
	u8 msix = find_cap(g, PCI_CAP_ID_MSIX), vndr = find_cap(g, CAP_ID_VNDR);
	char name[8];

	/* MSI-X: 2 vectors, the table at BAR1 + 0, the PBA at BAR1 + 0x800. */
	assert_true(msix != 0);
	assert_int_equal(cfg_read(g, msix + PCI_MSIX_FLAGS, 2), 1);
	assert_int_equal(cfg_read(g, msix + PCI_MSIX_TABLE, 4), 0x000 | 1);
	assert_int_equal(cfg_read(g, msix + PCI_MSIX_PBA, 4), 0x800 | 1);
	/* The name: [id][next][len][flags = 0][name, NUL-terminated]. */
	assert_true(vndr != 0);
	assert_int_equal(cfg_read(g, vndr + 2, 1), 4 + sizeof(REGION));
	assert_int_equal(cfg_read(g, vndr + 3, 1), 0);
	for (size_t i = 0; i < sizeof(name); i++)
		name[i] = cfg_read(g, vndr + 4 + i, 1);
	assert_memory_equal(name, REGION, sizeof(REGION));
	/* Read-only. */
	cfg_write(g, vndr + 4, 4, 0x41414141);
	assert_int_equal(cfg_read(g, vndr + 4, 1), 'i');
}

/* The longest name fits in the capability, NUL and all. */
static void test_long_name(void **state)
{
	static const char longest[] = "abcdefghijklmnopqrstuvwxyz01234";
	struct fixture *f = *state;
	struct guest *g = &f->b;
	char name[sizeof(longest)];
	u8 vndr;

	guest_start(g, "model=ivshmem,name=abcdefghijklmnopqrstuvwxyz01234");
	vndr = find_cap(g, CAP_ID_VNDR);
	assert_true(vndr != 0);
	assert_int_equal(cfg_read(g, vndr + 2, 1), 4 + sizeof(longest));
	for (size_t i = 0; i < sizeof(name); i++)
		name[i] = cfg_read(g, vndr + 4 + i, 1);
	assert_memory_equal(name, longest, sizeof(longest));
	/* No size given: one page, in a 4 KiB BAR2. */
	bar2_set(g, ~0ULL);
	assert_int_equal(cfg_read(g, 0x18, 4), 0xfffff00c);
	bar2_set(g, g->bar2);
	assert_int_equal(fake_env_find_map(g->env, g->bar2)->len, 4096);
}

/* --- BAR2: the region --- */

static void test_region(void **state)
{
	struct fixture *f = *state;
	struct guest *g = &f->a;
	u8 *data = bar2_data(g);

	strcpy((char *)data, "from the guest");
	assert_string_equal(shm_data(f->h.host[0]), "from the guest");
	strcpy((char *)shm_data(f->h.host[0]) + REGION_SIZE - 8, "end");
	assert_string_equal((char *)data + REGION_SIZE - 8, "end");

	/* The OS moves the BAR: the memslot follows. */
	bar2_set(g, BAR2_MOVED);
	assert_null(fake_env_find_map(g->env, g->bar2));
	g->bar2 = BAR2_MOVED;
	assert_ptr_equal(bar2_data(g), data);
	/* Decoding off: no memslot. */
	cfg_write(g, 0x04, 2, 0);
	assert_null(fake_env_find_map(g->env, BAR2_MOVED));
	cfg_write(g, 0x04, 2, PCI_COMMAND_MEMORY);
	assert_ptr_equal(bar2_data(g), data);
}

/* The device makes the region, at the size configured, when none exists. */
static void test_creates_region(void **state)
{
	struct fixture *f = *state;
	struct guest *g = &f->b;
	struct shm_region *h;

	guest_start(g, "model=ivshmem,name=fresh,size=12K");
	assert_int_equal(reg_read(g, R_IV_POSITION), 0);
	h = shm_host_open(&f->h, "fresh", 0, SHM_EXIST);
	assert_int_equal(shm_size(h), REGION_SIZE);
	strcpy((char *)bar2_data(g), "fresh");
	assert_string_equal(shm_data(h), "fresh");
	shm_host_close(&f->h, h);
	guest_stop(g);
	assert_int_equal(fake_dir_entries(f->h.dir), 0);
}

/* --- BAR0 registers --- */

static void test_iv_position(void **state)
{
	struct fixture *f = *state;
	struct guest *g = &f->a;

	assert_int_equal(reg_read(g, R_IV_POSITION), 1);
	reg_write(g, R_IV_POSITION, 7);
	assert_int_equal(reg_read(g, R_IV_POSITION), 1);
	/* Who the host program sees: the guest as peer 1. */
	assert_int_equal(shm_peers(f->h.host[0]), 0x3);
}

static void test_intx(void **state)
{
	struct fixture *f = *state;
	struct guest *g = &f->a;
	struct shm_region *h = f->h.host[0];

	assert_int_equal(reg_read(g, R_INTR_MASK), 0);
	assert_int_equal(reg_read(g, R_INTR_STATUS), 0);
	/* Masked (the reset state): the bit is set, the line stays low. */
	assert_int_equal(shm_ring(h, 1), 0);
	pump(g);
	assert_int_equal(intx_level(g), 0);
	/* Unmasking raises it: INTx = status & mask. */
	reg_write(g, R_INTR_MASK, 0xffffffff);
	assert_int_equal(reg_read(g, R_INTR_MASK), 0xffffffff);
	assert_int_equal(intx_level(g), 1);
	assert_true(cfg_read(g, 0x06, 2) & PCI_STATUS_INTERRUPT);
	/* Reading the status returns it, clears it, lowers the line. */
	assert_int_equal(reg_read(g, R_INTR_STATUS), 1);
	assert_int_equal(intx_level(g), 0);
	assert_int_equal(reg_read(g, R_INTR_STATUS), 0);
	/* A ring with the mask open: straight up. */
	reg_write(g, R_INTR_MASK, 1);
	assert_int_equal(shm_ring(h, 1), 0);
	assert_int_equal(intx_level(g), 0);
	pump(g);
	assert_int_equal(intx_level(g), 1);
	/* Masking lowers it again, the status stays. */
	reg_write(g, R_INTR_MASK, 0);
	assert_int_equal(intx_level(g), 0);
	reg_write(g, R_INTR_MASK, 1);
	assert_int_equal(intx_level(g), 1);
	assert_int_equal(reg_read(g, R_INTR_STATUS), 1);
	assert_int_equal(intx_level(g), 0);
	/* The status is writable, as QEMU's: software may raise or clear. */
	reg_write(g, R_INTR_STATUS, 1);
	assert_int_equal(intx_level(g), 1);
	reg_write(g, R_INTR_STATUS, 0);
	assert_int_equal(intx_level(g), 0);
	/* Only a ring raises it: a peer leaving is no interrupt. */
	shm_host_close(&f->h, h);
	pump(g);
	assert_int_equal(intx_level(g), 0);
	assert_int_equal(reg_read(g, R_INTR_STATUS), 0);
	assert_int_equal(g->env->nr_msi, 0);
}

/* How many irqfds the device keeps assigned. */
static int irqfds(struct guest *g)
{
	int i, n = 0;

	for (i = 0; i < FAKE_IRQFDS; i++)
		n += g->env->irqfds[i].efd >= 0;
	return n;
}

static void test_msix(void **state)
{
	struct fixture *f = *state;
	struct guest *g = &f->a;
	struct shm_region *h = f->h.host[0];

	reg_write(g, R_INTR_MASK, 1);
	assert_int_equal(irqfds(g), 0);
	msix_enable(g);
	/* Vector 0 live: the doorbell is an irqfd, vessel stays out of it. */
	assert_int_equal(irqfds(g), 1);
	assert_int_equal(shm_ring(h, 1), 0);
	assert_int_equal(fake_env_poll(g->env), 0);
	pump(g);
	assert_int_equal(g->env->nr_msi, 1);
	assert_int_equal(g->env->msi[0].addr, MSI_ADDR);
	assert_int_equal(g->env->msi[0].data, MSI_DATA);
	/* MSI-X mode: no IntrStatus, no INTx. */
	assert_int_equal(intx_level(g), 0);
	assert_int_equal(reg_read(g, R_INTR_STATUS), 0);
	/* Each ring one message. */
	assert_int_equal(shm_ring(h, 1), 0);
	pump(g);
	assert_int_equal(g->env->nr_msi, 2);
	/* Vector 0 masked: pending in the PBA, sent on unmask. */
	msix_mask_vector0(g, true);
	assert_int_equal(irqfds(g), 0);
	assert_int_equal(shm_ring(h, 1), 0);
	pump(g);
	assert_int_equal(g->env->nr_msi, 2);
	assert_int_equal(fake_read(g->env, BUS_MMIO, g->bar1 + 0x800, 8), 1);
	msix_mask_vector0(g, false);
	assert_int_equal(g->env->nr_msi, 3);
	assert_int_equal(irqfds(g), 1);
	assert_int_equal(fake_read(g->env, BUS_MMIO, g->bar1 + 0x800, 8), 0);
	/* MSI-X off again: back to IntrStatus and INTx. */
	cfg_write(g, find_cap(g, PCI_CAP_ID_MSIX) + PCI_MSIX_FLAGS, 2, 0);
	assert_int_equal(irqfds(g), 0);
	assert_int_equal(shm_ring(h, 1), 0);
	pump(g);
	assert_int_equal(g->env->nr_msi, 3);
	assert_int_equal(intx_level(g), 1);
	assert_int_equal(reg_read(g, R_INTR_STATUS), 1);
}

static void test_doorbell(void **state)
{
	struct fixture *f = *state;
	struct guest *g = &f->a;
	struct shm_region *h0 = f->h.host[0], *h2;

	h2 = shm_host_open(&f->h, REGION, 0, SHM_EXIST);
	assert_int_equal(shm_peer_id(h2), 2);
	/* peer << 16 | vector: the peer is rung and knows by whom. */
	reg_write(g, R_DOORBELL, 2 << 16 | 0);
	assert_int_equal(shm_take_pending(h2), 1u << 1);
	assert_int_equal(shm_take_pending(h0), 0);
	reg_write(g, R_DOORBELL, 0 << 16 | 1);
	assert_int_equal(shm_take_pending(h0), 1u << 1);
	assert_int_equal(shm_take_pending(h2), 0);
	/* Vectors beyond the two: nothing. */
	reg_write(g, R_DOORBELL, 2 << 16 | 2);
	reg_write(g, R_DOORBELL, 2 << 16 | 0xffff);
	assert_int_equal(shm_take_pending(h2), 0);
	/* Our own position: to us, as QEMU delivers it. */
	reg_write(g, R_INTR_MASK, 1);
	reg_write(g, R_DOORBELL, 1 << 16 | 1);
	assert_int_equal(intx_level(g), 1);
	assert_int_equal(reg_read(g, R_INTR_STATUS), 1);
	assert_int_equal(shm_take_pending(h0), 0);
	assert_int_equal(shm_take_pending(h2), 0);
	/* Bad peers: a free slot, beyond 15; nothing breaks. */
	reg_write(g, R_DOORBELL, 9 << 16);
	reg_write(g, R_DOORBELL, 16 << 16);
	reg_write(g, R_DOORBELL, 0xffffu << 16);
	assert_int_equal(shm_take_pending(h0), 0);
	assert_int_equal(shm_take_pending(h2), 0);
	pump(g);
	assert_int_equal(reg_read(g, R_INTR_STATUS), 0);
	/* A peer that left: not rung, and nobody waits. */
	shm_host_close(&f->h, h2);
	reg_write(g, R_DOORBELL, 2 << 16);
	reg_write(g, R_DOORBELL, 0 << 16);
	assert_int_equal(shm_take_pending(h0), 1u << 1);
	/* Doorbell is write-only. */
	assert_int_equal(reg_read(g, R_DOORBELL), 0);
	assert_int_equal(shm_take_pending(h0), 0);
}

/* Two guests: one writes and rings, the other takes the MSI. */
static void test_guest_to_guest(void **state)
{
	struct fixture *f = *state;
	struct guest *a = &f->a, *b = &f->b;
	u32 id_b;

	guest_start(b, "model=ivshmem,name=" REGION ",size=12K");
	msix_enable(b);
	id_b = reg_read(b, R_IV_POSITION);
	assert_int_equal(id_b, 2);
	strcpy((char *)bar2_data(a), "ping");
	reg_write(a, R_DOORBELL, id_b << 16);
	pump(b);
	assert_int_equal(b->env->nr_msi, 1);
	assert_string_equal((char *)bar2_data(b), "ping");
	/* And back, to INTx mode. */
	reg_write(a, R_INTR_MASK, 1);
	reg_write(b, R_DOORBELL, reg_read(a, R_IV_POSITION) << 16 | 1);
	pump(a);
	assert_int_equal(intx_level(a), 1);
	assert_int_equal(reg_read(a, R_INTR_STATUS), 1);
}

/*
 * After the first ring of an ivshmem peer went through vessel, KVM
 * writes that peer's doorbell itself (an ioeventfd matching the doorbell
 * value): later rings carry no sender bit, and still arrive. When the
 * peers change, the fast path goes, so a new owner of the slot is rung
 * through vessel again.
 */
static void test_fast_path(void **state)
{
	struct fixture *f = *state;
	struct guest *a = &f->a, *b = &f->b;
	struct shm_region *h = f->h.host[0];
	u32 id_b;
	int i;

	guest_start(b, "model=ivshmem,name=" REGION ",size=12K");
	msix_enable(b);
	id_b = reg_read(b, R_IV_POSITION);
	pump(b);
	b->env->nr_msi = 0;
	reg_write(a, R_DOORBELL, id_b << 16);
	pump(b);
	assert_int_equal(b->env->nr_msi, 1);
	/* Now through KVM (the fake's ioeventfd), still one MSI per ring. */
	for (i = 0; i < 3; i++) {
		reg_write(a, R_DOORBELL, id_b << 16);
		pump(b);
	}
	assert_int_equal(a->env->ioeventfd_hits, 3);
	assert_int_equal(b->env->nr_msi, 4);
	/* Only ivshmem peers get it: a host peer wants the sender bit. */
	reg_write(a, R_DOORBELL, (u32)shm_peer_id(h) << 16);
	reg_write(a, R_DOORBELL, (u32)shm_peer_id(h) << 16);
	assert_int_equal(a->env->ioeventfd_hits, 3);
	assert_int_equal(shm_take_pending(h), 1u << reg_read(a, R_IV_POSITION));
	/* A host peer goes: the peers changed, and a's fast path is gone. */
	shm_host_close(&f->h, h);
	f->h.host[0] = NULL;
	pump(a);
	pump(b);
	b->env->nr_msi = 0;
	reg_write(a, R_DOORBELL, id_b << 16);
	pump(b);
	assert_int_equal(b->env->nr_msi, 1);
	assert_int_equal(a->env->ioeventfd_hits, 3);
}

static void test_wrong_width(void **state)
{
	struct fixture *f = *state;
	struct guest *g = &f->a;
	struct shm_region *h = f->h.host[0];

	reg_write(g, R_INTR_MASK, 1);
	/* The registers are 32-bit: other widths read 0, write nothing. */
	fake_write(g->env, BUS_MMIO, g->bar0 + R_INTR_MASK, 2, 0);
	fake_write(g->env, BUS_MMIO, g->bar0 + R_INTR_MASK, 1, 0);
	assert_int_equal(reg_read(g, R_INTR_MASK), 1);
	assert_int_equal(fake_read(g->env, BUS_MMIO, g->bar0 + R_INTR_MASK, 2),
			 0);
	assert_int_equal(
		fake_read(g->env, BUS_MMIO, g->bar0 + R_IV_POSITION, 1), 0);
	fake_write(g->env, BUS_MMIO, g->bar0 + R_DOORBELL, 2, 0);
	fake_write(g->env, BUS_MMIO, g->bar0 + R_DOORBELL, 8, 0);
	fake_write(g->env, BUS_MMIO, g->bar0 + R_DOORBELL - 2, 4, 0);
	assert_int_equal(shm_take_pending(h), 0);
	/* A narrow read of IntrStatus does not clear it. */
	assert_int_equal(shm_ring(h, 1), 0);
	pump(g);
	assert_int_equal(intx_level(g), 1);
	fake_read(g->env, BUS_MMIO, g->bar0 + R_INTR_STATUS, 2);
	fake_read(g->env, BUS_MMIO, g->bar0 + R_INTR_STATUS, 1);
	fake_read(g->env, BUS_MMIO, g->bar0 + R_INTR_STATUS, 8);
	assert_int_equal(intx_level(g), 1);
	assert_int_equal(reg_read(g, R_INTR_STATUS), 1);
	/* The rest of BAR0: reads 0, writes go nowhere. */
	assert_int_equal(reg_read(g, 0x10), 0);
	assert_int_equal(reg_read(g, 0xfc), 0);
	reg_write(g, 0x10, ~0u);
	assert_int_equal(reg_read(g, R_INTR_MASK), 1);
}

/* --- configuration --- */

static void test_config_errors(void **state)
{
	static const char *const bad[] = {
		"model=ivshmem",
		"model=ivshmem,size=4K",
		"model=ivshmem,name=bad/name",
		"model=ivshmem,name=.hidden",
		"model=ivshmem,name=with space",
		"model=ivshmem,name=abcdefghijklmnopqrstuvwxyz0123456789",
		"model=ivshmem,name=x,size=0",
		"model=ivshmem,name=x,size=2G",
	};
	struct fixture *f = *state;

	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		struct guest g = { 0 };

		print_message("%s\n", bad[i]);
		assert_int_equal(guest_create(&g, bad[i]), -EINVAL);
		guest_stop(&g);
	}
	assert_int_equal(fake_dir_entries(f->h.dir), 0);
}

static void test_not_configured(void **state)
{
	struct fixture *f = *state;
	struct dev_env *env = fake_env_new(1 << 20, NULL);
	void *dev = (void *)1;

	assert_int_equal(dev_shmem_ivshmem.create(env, &dev), 0);
	assert_null(dev);
	fake_env_free(env);
	assert_int_equal(guest_create(&f->b, "model=qnx,name=x"), 0);
	assert_null(f->b.dev);
	guest_stop(&f->b);
}

/* No free PCI slot: the create fails and leaves no region behind. */
static void test_bus_full(void **state)
{
	struct fixture *f = *state;
	struct pci_dev filler[PCI_NUM_SLOTS];
	struct guest g = { 0 };
	int n = 0;

	guest_env(&g, "model=ivshmem,name=full");
	for (; n < PCI_NUM_SLOTS; n++) {
		pci_dev_init(&filler[n], 0x1234, 0x5678, 0xff0000, 0);
		if (pci_dev_add(g.bus, &filler[n]))
			break;
	}
	assert_int_equal(n, PCI_NUM_SLOTS - 1);
	g.dev = (void *)1;
	assert_int_equal(dev_shmem_ivshmem.create(g.env, &g.dev), -ENOSPC);
	assert_null(g.dev);
	for (int i = 0; i < n; i++)
		pci_dev_del(&filler[i]);
	guest_stop(&g);
	assert_int_equal(fake_dir_entries(f->h.dir), 0);
}

#define T(fn, su) cmocka_unit_test_setup_teardown(fn, su, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_identity, setup),
		T(test_capabilities, setup),
		T(test_long_name, setup),
		T(test_region, setup),
		T(test_creates_region, setup_dir),
		T(test_iv_position, setup),
		T(test_intx, setup),
		T(test_msix, setup),
		T(test_doorbell, setup),
		T(test_guest_to_guest, setup),
		T(test_fast_path, setup),
		T(test_wrong_width, setup),
		T(test_config_errors, setup_dir),
		T(test_not_configured, setup_dir),
		T(test_bus_full, setup_dir),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
