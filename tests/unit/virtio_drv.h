/* SPDX-License-Identifier: Apache-2.0 */
#ifndef VESSEL_TEST_VIRTIO_DRV_H
#define VESSEL_TEST_VIRTIO_DRV_H

/*
 * A guest's virtio-blk driver for the unit tests, in the steps Linux
 * takes: virtio_pci_modern_dev.c (the device found by its IDs, BARs
 * sized, every structure found by walking the vendor capabilities),
 * virtio_pci_modern.c and virtio.c (reset and wait for 0, ACKNOWLEDGE,
 * DRIVER, the features in two halves, FEATURES_OK read back, MSI-X
 * vectors read back, each queue's size, rings, vector and notify
 * offset, then enable and DRIVER_OK), virtio_ring.c (split ring: the
 * avail index published with release ordering, the kick decided by
 * avail_event with EVENT_IDX or by VRING_USED_F_NO_NOTIFY, used_event
 * moved after each completion taken) and virtio_blk.c (a request is a
 * 16-byte header, the data, a status byte: one descriptor each, or one
 * indirect table). Shared by test_virtio_pci.c and test_virtio_blk.c;
 * static inline, so each file takes what it uses.
 *
 * The device's I/O thread is real, so completions arrive on their own:
 * every wait here polls in 1 ms steps for at most VD_WAIT_MS.
 */

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "../../src/vmm/dev/pci.h"
#include "../../src/vmm/dev/virtio_blk_req.h"
#include "../../src/vmm/dev/virtio_pci.h"
#include "../../src/vmm/dev/virtq.h"
#include "fake_env.h"

extern const struct dev_type dev_virtio_blk;

#define VD_WAIT_MS 5000
#define VD_DEVICE_BLK (VIRTIO_PCI_DEVICE_BASE + 2)

/*
 * Guest RAM: each driver's rings, then its indirect tables and buffers (a
 * bump allocator), from its base (0, or VD_RAM_SIZE / 2 for a second
 * disk).
 */
#define VD_RAM_SIZE (8u << 20)
#define VD_DESC 0x10000
#define VD_AVAIL 0x11000
#define VD_USED 0x12000
#define VD_BUF 0x100000

/* MSI-X messages as Linux's x86 MSI domain writes them. */
#define VD_MSI_ADDR 0xfee00000u
#define VD_MSI_DATA(vec) (0x4030u + (vec))
#define VD_VEC_CONFIG 0 /* vp_find_vqs_msix(): config first, then queue 0 */
#define VD_VEC_QUEUE 1

/* Feature bits of virtio-blk (virtio 1.2 5.2.3). */
#define VD_BLK_F_SEG_MAX 2
#define VD_BLK_F_RO 5
#define VD_BLK_F_BLK_SIZE 6
#define VD_BLK_F_FLUSH 9
#define VD_BLK_F_CONFIG_WCE 11
#define VD_BLK_F_DISCARD 13
#define VD_BLK_F_WRITE_ZEROES 14
#define VD_BIT(b) (1ULL << (b))

/* struct virtio_blk_config (virtio 1.2 5.2.4). */
#define VD_CFG_CAPACITY 0
#define VD_CFG_SEG_MAX 12
#define VD_CFG_BLK_SIZE 20
#define VD_CFG_WRITEBACK 32
#define VD_CFG_MAX_DISCARD_SECTORS 36
#define VD_CFG_MAX_DISCARD_SEG 40
#define VD_CFG_DISCARD_ALIGNMENT 44
#define VD_CFG_MAX_WZ_SECTORS 48
#define VD_CFG_MAX_WZ_SEG 52
#define VD_CFG_WZ_MAY_UNMAP 56

/* An environment with a PCI bus and (after vd_vm_create) the disks. */
struct vd_vm {
	struct dev_env *env;
	struct pci_bus *bus;
	void *dev;
};

/* One buffer of a chain: guest-physical, device-writable or not. */
struct vd_seg {
	u64 gpa;
	u32 len;
	bool write;
};

struct vd {
	struct dev_env *env;
	u64 base; /* of this driver's part of guest RAM */
	u8 slot;
	u64 bar[PCI_NUM_BARS], bar_size[PCI_NUM_BARS];
	u8 cap[VIRTIO_PCI_CAP_PCI_CFG + 1]; /* first capability of each type */
	u8 msix_cap;
	u64 common, isr, device, notify_base;
	u32 device_len, notify_len, notify_mult;
	u64 msix_table, msix_pba;
	bool msix;
	u64 features; /* negotiated */
	/* Queue 0. */
	u16 qsize;
	u64 notify; /* its notify address */
	u8 kick_width; /* 2 as Linux's iowrite16; others take the slow path */
	u16 avail_idx, num_added, last_used, next_desc, desc_free;
	u16 chain_len[VIRTQ_MAX_SIZE]; /* descriptors each head holds */
	bool cb_delayed; /* used_event is the test's: get_used leaves it */
	u64 next_buf;
	int kicks; /* notify writes made */
};

/* --- waiting --- */

static inline void vd_sleep_1ms(void)
{
	struct timespec ts = { 0, 1000000 };

	nanosleep(&ts, NULL);
}

/* Poll @efd until readable or VD_WAIT_MS passed; its counter, or 0. */
static inline u64 vd_efd_wait(int efd)
{
	struct pollfd p = { .fd = efd, .events = POLLIN };
	u64 v = 0;

	if (poll(&p, 1, VD_WAIT_MS) == 1)
		assert_int_equal(read(efd, &v, sizeof(v)), sizeof(v));
	return v;
}

/* The counter of @efd now, without waiting (0: nothing signalled). */
static inline u64 vd_efd_take(int efd)
{
	struct pollfd p = { .fd = efd, .events = POLLIN };
	u64 v = 0;

	if (poll(&p, 1, 0) == 1)
		assert_int_equal(read(efd, &v, sizeof(v)), sizeof(v));
	return v;
}

/*
 * Threads of this process. A disk's I/O threads live from run() (in
 * vd_vm_create()) to destroy, parked while the queue is stopped.
 */
static inline int vd_thread_count(void)
{
	struct dirent *de;
	DIR *d = opendir("/proc/self/task");
	int n = 0;

	assert_non_null(d);
	while ((de = readdir(d)))
		n += de->d_name[0] != '.';
	closedir(d);
	return n;
}

/* --- the image --- */

/* The image's byte at @off when the test made it: no two sectors alike. */
static inline u8 vd_pattern(u64 off)
{
	return (u8)(off * 7 + (off >> 9) * 13 + 1);
}

/* A raw image of @size bytes holding vd_pattern(). */
static inline void vd_image(const char *path, u64 size)
{
	u8 chunk[4096];
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);

	assert_true(fd >= 0);
	for (u64 off = 0; off < size; off += sizeof(chunk)) {
		u64 n = size - off < sizeof(chunk) ? size - off : sizeof(chunk);

		for (u64 i = 0; i < n; i++)
			chunk[i] = vd_pattern(off + i);
		assert_int_equal(pwrite(fd, chunk, n, off), (ssize_t)n);
	}
	assert_int_equal(close(fd), 0);
}

/* Does [@off, @off+@len) of the file at @path hold vd_pattern()? */
static inline bool vd_image_intact(const char *path, u64 off, u64 len)
{
	u8 chunk[4096];
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	bool ok = fd >= 0;

	for (u64 at = 0; ok && at < len; at += sizeof(chunk)) {
		u64 n = len - at < sizeof(chunk) ? len - at : sizeof(chunk);

		ok = pread(fd, chunk, n, off + at) == (ssize_t)n;
		for (u64 i = 0; ok && i < n; i++)
			ok = chunk[i] == vd_pattern(off + at + i);
	}
	if (fd >= 0)
		close(fd);
	return ok;
}

/* --- the VM --- */

static inline void vd_vm_env(struct vd_vm *vm, const char *const *opts)
{
	memset(vm, 0, sizeof(*vm));
	vm->env = fake_env_new(VD_RAM_SIZE, opts);
	assert_int_equal(pci_bus_create(vm->env, &vm->bus), 0);
	vm->env->pci = vm->bus;
}

/* create() of the disks from @opts ("disk ..." strings); its result. */
static inline int vd_vm_create_opts(struct vd_vm *vm, const char *const *opts)
{
	int ret;

	vd_vm_env(vm, opts);
	vm->dev = (void *)1;
	ret = dev_virtio_blk.create(vm->env, &vm->dev);
	if (ret)
		assert_null(vm->dev);
	else if (vm->dev) /* its I/O threads, as vm_run() starts them */
		assert_int_equal(dev_virtio_blk.run(vm->dev), 0);
	return ret;
}

/* create() of one disk from `disk @disk`. */
static inline int vd_vm_create(struct vd_vm *vm, const char *disk)
{
	char opt[400];
	const char *opts[] = { opt, NULL };

	snprintf(opt, sizeof(opt), "disk %s", disk);
	return vd_vm_create_opts(vm, opts);
}

/* Quiesce (if asked) and destroy, as vm.c does on the way out. */
static inline void vd_vm_free(struct vd_vm *vm, bool quiesce)
{
	if (!vm->env)
		return;
	if (vm->dev) {
		if (quiesce)
			dev_virtio_blk.quiesce(vm->dev, STOP_POWEROFF);
		dev_virtio_blk.destroy(vm->dev);
	}
	pci_bus_destroy(vm->bus);
	fake_env_free(vm->env);
	memset(vm, 0, sizeof(*vm));
}

/* --- PCI --- */

static inline u32 vd_cfg_read(struct vd *vd, u32 reg, u8 size)
{
	return fake_cfg_read(vd->env, vd->slot, reg, size);
}

static inline void vd_cfg_write(struct vd *vd, u32 reg, u8 size, u32 v)
{
	fake_cfg_write(vd->env, vd->slot, reg, size, v);
}

static inline u64 vd_mmio_read(struct vd *vd, u64 addr, u8 size)
{
	return fake_read(vd->env, BUS_MMIO, addr, size);
}

static inline void vd_mmio_write(struct vd *vd, u64 addr, u8 size, u64 v)
{
	fake_write(vd->env, BUS_MMIO, addr, size, v);
}

/* Linux's pci_find_next_capability(): @id after @pos (0: from the start). */
static inline u8 vd_next_cap(struct vd *vd, u8 pos, u8 id)
{
	int ttl = 48;

	if (!(vd_cfg_read(vd, PCI_STATUS, 2) & PCI_STATUS_CAP_LIST))
		return 0;
	pos = pos ? vd_cfg_read(vd, pos + 1, 1) : vd_cfg_read(vd, 0x34, 1);
	while (ttl-- && pos >= PCI_CAP_START) {
		pos &= ~3;
		if (vd_cfg_read(vd, pos, 1) == id)
			return pos;
		pos = vd_cfg_read(vd, pos + 1, 1);
	}
	return 0;
}

/* The size of BAR @i as the PCI core finds it: all ones, read, restore. */
static inline void vd_size_bar(struct vd *vd, int i)
{
	u32 reg = PCI_BASE_ADDRESS_0 + 4 * i, lo = vd_cfg_read(vd, reg, 4), sz;

	vd->bar[i] = lo & ~0xfULL;
	vd_cfg_write(vd, reg, 4, 0xffffffff);
	sz = vd_cfg_read(vd, reg, 4);
	vd_cfg_write(vd, reg, 4, lo);
	/* vessel's virtio BARs are 32-bit memory; nothing else is expected. */
	if (!sz)
		return;
	assert_int_equal(
		sz & (PCI_BASE_ADDRESS_SPACE_IO | PCI_BASE_ADDRESS_MEM_TYPE_64),
		0);
	vd->bar_size[i] = (u32) - (sz & ~0xfu);
}

/*
 * virtio_pci_find_capability(): the first vendor capability of @type
 * whose BAR is a sized memory BAR.
 */
static inline u8 vd_find_vcap(struct vd *vd, u8 type)
{
	u8 pos;

	for (pos = vd_next_cap(vd, 0, PCI_CAP_ID_VNDR); pos;
	     pos = vd_next_cap(vd, pos, PCI_CAP_ID_VNDR)) {
		u8 bar = vd_cfg_read(vd, pos + 4, 1);

		if (vd_cfg_read(vd, pos + 3, 1) == type && bar < PCI_NUM_BARS &&
		    vd->bar_size[bar])
			return pos;
	}
	return 0;
}

/* A structure's address after vp_modern_map_capability()'s checks. */
static inline u64 vd_map_vcap(struct vd *vd, u8 type, u32 *len)
{
	u8 pos = vd_find_vcap(vd, type);
	u8 bar;
	u32 off, length;

	assert_true(pos != 0);
	vd->cap[type] = pos;
	bar = vd_cfg_read(vd, pos + 4, 1);
	off = vd_cfg_read(vd, pos + 8, 4);
	length = vd_cfg_read(vd, pos + 12, 4);
	assert_true((u64)off + length <= vd->bar_size[bar]);
	if (len)
		*len = length;
	return vd->bar[bar] + off;
}

/* The slot of the @nth (0, 1, ...) virtio-blk function on the bus, or 0. */
static inline u8 vd_find_slot(struct dev_env *env, int nth)
{
	u32 id = VIRTIO_PCI_VENDOR | (u32)VD_DEVICE_BLK << 16;

	for (u8 slot = 1; slot < PCI_NUM_SLOTS; slot++)
		if (fake_cfg_read(env, slot, PCI_VENDOR_ID, 4) == id && !nth--)
			return slot;
	return 0;
}

/*
 * vp_modern_probe() on the @nth disk: BARs at the addresses vessel
 * assigned, every structure from its capability, memory decoding and bus
 * mastering on.
 */
static inline void vd_probe(struct vd *vd, struct dev_env *env, int nth)
{
	memset(vd, 0, sizeof(*vd));
	vd->env = env;
	vd->slot = vd_find_slot(env, nth);
	assert_true(vd->slot != 0);
	for (int i = 0; i < PCI_NUM_BARS; i++)
		vd_size_bar(vd, i);
	vd->common = vd_map_vcap(vd, VIRTIO_PCI_CAP_COMMON_CFG, NULL);
	vd->isr = vd_map_vcap(vd, VIRTIO_PCI_CAP_ISR_CFG, NULL);
	vd->device =
		vd_map_vcap(vd, VIRTIO_PCI_CAP_DEVICE_CFG, &vd->device_len);
	vd->notify_base =
		vd_map_vcap(vd, VIRTIO_PCI_CAP_NOTIFY_CFG, &vd->notify_len);
	vd->notify_mult =
		vd_cfg_read(vd, vd->cap[VIRTIO_PCI_CAP_NOTIFY_CFG] + 16, 4);
	vd->cap[VIRTIO_PCI_CAP_PCI_CFG] =
		vd_find_vcap(vd, VIRTIO_PCI_CAP_PCI_CFG);
	vd->msix_cap = vd_next_cap(vd, 0, PCI_CAP_ID_MSIX);
	if (vd->msix_cap) {
		u32 t = vd_cfg_read(vd, vd->msix_cap + PCI_MSIX_TABLE, 4);
		u32 p = vd_cfg_read(vd, vd->msix_cap + PCI_MSIX_PBA, 4);

		vd->msix_table = vd->bar[t & PCI_MSIX_BIR] + (t & ~7u);
		vd->msix_pba = vd->bar[p & PCI_MSIX_BIR] + (p & ~7u);
	}
	vd_cfg_write(vd, PCI_COMMAND, 2,
		     PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER);
	vd->kick_width = 2;
}

static inline u8 vd_intx_gsi(struct vd *vd)
{
	return vd_cfg_read(vd, PCI_INTERRUPT_LINE, 1);
}

static inline int vd_intx_level(struct vd *vd)
{
	return __atomic_load_n(&vd->env->irq[vd_intx_gsi(vd)].level,
			       __ATOMIC_ACQUIRE);
}

/* Wait until the INTx line is at @level; did it get there? */
static inline bool vd_wait_intx(struct vd *vd, int level)
{
	for (int ms = 0; ms < VD_WAIT_MS; ms++) {
		if (vd_intx_level(vd) == level)
			return true;
		vd_sleep_1ms();
	}
	return vd_intx_level(vd) == level;
}

/* --- the virtio structures --- */

static inline u32 vd_common_read(struct vd *vd, u32 off, u8 size)
{
	return vd_mmio_read(vd, vd->common + off, size);
}

static inline void vd_common_write(struct vd *vd, u32 off, u8 size, u32 v)
{
	vd_mmio_write(vd, vd->common + off, size, v);
}

static inline u8 vd_status(struct vd *vd)
{
	return vd_common_read(vd, VIRTIO_PCI_COMMON_STATUS, 1);
}

/* virtio_add_status(). */
static inline void vd_add_status(struct vd *vd, u8 bits)
{
	vd_common_write(vd, VIRTIO_PCI_COMMON_STATUS, 1, vd_status(vd) | bits);
}

static inline u32 vd_dev_read(struct vd *vd, u32 off, u8 size)
{
	return vd_mmio_read(vd, vd->device + off, size);
}

/* virtio_cread64(): two dwords, retried while the generation moves. */
static inline u64 vd_dev_read64(struct vd *vd, u32 off)
{
	u8 gen;
	u64 v;

	do {
		gen = vd_common_read(vd, VIRTIO_PCI_COMMON_CFGGENERATION, 1);
		v = vd_dev_read(vd, off, 4) | (u64)vd_dev_read(vd, off + 4, 4)
						      << 32;
	} while (gen != vd_common_read(vd, VIRTIO_PCI_COMMON_CFGGENERATION, 1));
	return v;
}

static inline u64 vd_device_features(struct vd *vd)
{
	u64 f;

	vd_common_write(vd, VIRTIO_PCI_COMMON_DFSELECT, 4, 0);
	f = vd_common_read(vd, VIRTIO_PCI_COMMON_DF, 4);
	vd_common_write(vd, VIRTIO_PCI_COMMON_DFSELECT, 4, 1);
	return f | (u64)vd_common_read(vd, VIRTIO_PCI_COMMON_DF, 4) << 32;
}

static inline void vd_set_driver_features(struct vd *vd, u64 f)
{
	vd_common_write(vd, VIRTIO_PCI_COMMON_GFSELECT, 4, 0);
	vd_common_write(vd, VIRTIO_PCI_COMMON_GF, 4, (u32)f);
	vd_common_write(vd, VIRTIO_PCI_COMMON_GFSELECT, 4, 1);
	vd_common_write(vd, VIRTIO_PCI_COMMON_GF, 4, (u32)(f >> 32));
}

/* vp_reset(): write 0, wait until the device reads 0 (bounded). */
static inline void vd_reset(struct vd *vd)
{
	int ms;

	vd_common_write(vd, VIRTIO_PCI_COMMON_STATUS, 1, 0);
	for (ms = 0; ms < VD_WAIT_MS && vd_status(vd); ms++)
		vd_sleep_1ms();
	assert_int_equal(vd_status(vd), 0);
}

/* Reset, ACKNOWLEDGE, DRIVER, features; did FEATURES_OK stick? */
static inline bool vd_negotiate(struct vd *vd, u64 want)
{
	vd_reset(vd);
	vd_add_status(vd, VIRTIO_STATUS_ACKNOWLEDGE);
	vd_add_status(vd, VIRTIO_STATUS_DRIVER);
	vd->features = vd_device_features(vd) & want;
	vd_set_driver_features(vd, vd->features);
	vd_add_status(vd, VIRTIO_STATUS_FEATURES_OK);
	return vd_status(vd) & VIRTIO_STATUS_FEATURES_OK;
}

/* --- MSI-X --- */

static inline u64 vd_msix_entry(struct vd *vd, int vec)
{
	return vd->msix_table + (u64)vec * PCI_MSIX_ENTRY_SIZE;
}

static inline void vd_msix_mask(struct vd *vd, int vec, bool mask)
{
	vd_mmio_write(vd, vd_msix_entry(vd, vec) + PCI_MSIX_ENTRY_VECTOR_CTRL,
		      4, mask ? PCI_MSIX_ENTRY_CTRL_MASKBIT : 0);
}

/*
 * msix_capability_init() then request_irq(): enable with the function
 * masked, program every entry masked, unmask the function, then unmask
 * each vector.
 */
static inline void vd_msix_enable(struct vd *vd, int nvec)
{
	u8 cap = vd->msix_cap;

	assert_true(cap != 0);
	vd_cfg_write(vd, cap + PCI_MSIX_FLAGS, 2,
		     PCI_MSIX_FLAGS_ENABLE | PCI_MSIX_FLAGS_MASKALL);
	for (int v = 0; v < nvec; v++) {
		u64 e = vd_msix_entry(vd, v);

		vd_mmio_write(vd, e + PCI_MSIX_ENTRY_VECTOR_CTRL, 4,
			      PCI_MSIX_ENTRY_CTRL_MASKBIT);
		vd_mmio_write(vd, e + PCI_MSIX_ENTRY_LOWER_ADDR, 4,
			      VD_MSI_ADDR);
		vd_mmio_write(vd, e + PCI_MSIX_ENTRY_UPPER_ADDR, 4, 0);
		vd_mmio_write(vd, e + PCI_MSIX_ENTRY_DATA, 4, VD_MSI_DATA(v));
	}
	vd_cfg_write(vd, cap + PCI_MSIX_FLAGS, 2, PCI_MSIX_FLAGS_ENABLE);
	for (int v = 0; v < nvec; v++)
		vd_msix_mask(vd, v, false);
	vd->msix = true;
}

/* pci_free_irq_vectors(): MSI-X off, INTx from now on. */
static inline void vd_msix_disable(struct vd *vd)
{
	vd_cfg_write(vd, vd->msix_cap + PCI_MSIX_FLAGS, 2, 0);
	vd->msix = false;
}

static inline bool vd_msix_pending(struct vd *vd, int vec)
{
	return vd_mmio_read(vd, vd->msix_pba, 8) & (1ULL << vec);
}

/* The eventfd assigned as an irqfd to the GSI routed to @vec's message. */
static inline int vd_irqfd_of(struct vd *vd, int vec)
{
	for (int i = 0; i < FAKE_IRQFDS; i++) {
		const struct fake_irqfd *f = &vd->env->irqfds[i];
		int r = f->gsi - FAKE_FIRST_MSI_GSI;

		if (f->efd < 0 || r < 0 || r >= FAKE_ROUTES)
			continue;
		if (vd->env->routes[r].used &&
		    vd->env->routes[r].addr == VD_MSI_ADDR &&
		    vd->env->routes[r].data == VD_MSI_DATA(vec))
			return f->efd;
	}
	return -1;
}

static inline int vd_irqfd_count(struct vd *vd)
{
	int n = 0;

	for (int i = 0; i < FAKE_IRQFDS; i++)
		n += vd->env->irqfds[i].efd >= 0;
	return n;
}

/* --- guest memory and the split ring --- */

static inline void *vd_ptr(struct vd *vd, u64 gpa, u64 len)
{
	assert_true(gpa + len <= VD_RAM_SIZE);
	return vd->env->ram + gpa;
}

static inline struct vring_desc *vd_desc(struct vd *vd, u16 i)
{
	return vd_ptr(vd, vd->base + VD_DESC + 16 * (u64)i, 16);
}

/* avail: flags, idx, ring[qsize], used_event. */
static inline u16 *vd_avail(struct vd *vd)
{
	return vd_ptr(vd, vd->base + VD_AVAIL, 6 + 2 * (u64)vd->qsize);
}

/* used: flags, idx, {id, len}[qsize], avail_event. */
static inline u16 *vd_used(struct vd *vd)
{
	return vd_ptr(vd, vd->base + VD_USED, 6 + 8 * (u64)vd->qsize);
}

static inline u16 vd_used_idx(struct vd *vd)
{
	return __atomic_load_n(&vd_used(vd)[1], __ATOMIC_ACQUIRE);
}

static inline void vd_set_used_event(struct vd *vd, u16 v)
{
	__atomic_store_n(&vd_avail(vd)[2 + vd->qsize], v, __ATOMIC_SEQ_CST);
}

/* Guest memory for buffers and tables, zeroed, never reused in a test. */
static inline u64 vd_alloc(struct vd *vd, u64 len, u64 align)
{
	u64 gpa = (vd->next_buf + align - 1) & ~(align - 1);

	assert_true(gpa + len <= VD_RAM_SIZE);
	vd->next_buf = gpa + len;
	memset(vd->env->ram + gpa, 0, len);
	return gpa;
}

/*
 * vp_modern_find_vqs() for queue 0 of @size entries (0: the device's),
 * with MSI-X vectors when @msix: config vector 0, queue vector 1, each
 * read back; else INTx (MSI-X turned off if an earlier init had it). The
 * rings are zeroed, as dma_alloc gives them.
 */
static inline void vd_setup_queue(struct vd *vd, u16 size, bool msix)
{
	u64 notify_off;

	if (msix) {
		if (!vd->msix)
			vd_msix_enable(vd, 2);
		vd_common_write(vd, VIRTIO_PCI_COMMON_MSIX, 2, VD_VEC_CONFIG);
		assert_int_equal(vd_common_read(vd, VIRTIO_PCI_COMMON_MSIX, 2),
				 VD_VEC_CONFIG);
	} else if (vd->msix) {
		vd_msix_disable(vd);
	}
	vd_common_write(vd, VIRTIO_PCI_COMMON_Q_SELECT, 2, 0);
	vd->qsize = vd_common_read(vd, VIRTIO_PCI_COMMON_Q_SIZE, 2);
	assert_true(vd->qsize != 0);
	assert_int_equal(vd_common_read(vd, VIRTIO_PCI_COMMON_Q_ENABLE, 2), 0);
	if (size) {
		vd->qsize = size;
		vd_common_write(vd, VIRTIO_PCI_COMMON_Q_SIZE, 2, size);
	}
	memset(vd_ptr(vd, vd->base + VD_DESC, VD_BUF - VD_DESC), 0,
	       VD_BUF - VD_DESC);
	vd_common_write(vd, VIRTIO_PCI_COMMON_Q_DESCLO, 4, vd->base + VD_DESC);
	vd_common_write(vd, VIRTIO_PCI_COMMON_Q_DESCHI, 4, 0);
	vd_common_write(vd, VIRTIO_PCI_COMMON_Q_AVAILLO, 4,
			vd->base + VD_AVAIL);
	vd_common_write(vd, VIRTIO_PCI_COMMON_Q_AVAILHI, 4, 0);
	vd_common_write(vd, VIRTIO_PCI_COMMON_Q_USEDLO, 4, vd->base + VD_USED);
	vd_common_write(vd, VIRTIO_PCI_COMMON_Q_USEDHI, 4, 0);
	if (msix) {
		vd_common_write(vd, VIRTIO_PCI_COMMON_Q_MSIX, 2, VD_VEC_QUEUE);
		assert_int_equal(
			vd_common_read(vd, VIRTIO_PCI_COMMON_Q_MSIX, 2),
			VD_VEC_QUEUE);
	}
	notify_off = vd_common_read(vd, VIRTIO_PCI_COMMON_Q_NOFF, 2);
	assert_true(notify_off * vd->notify_mult + 2 <= vd->notify_len);
	vd->notify = vd->notify_base + notify_off * vd->notify_mult;
	vd->avail_idx = vd->num_added = vd->last_used = vd->next_desc = 0;
	vd->desc_free = vd->qsize;
	vd->cb_delayed = false;
	vd->next_buf = vd->base + VD_BUF;
	vd_common_write(vd, VIRTIO_PCI_COMMON_Q_ENABLE, 2, 1);
}

/* The whole probe: negotiate @want, queue 0, DRIVER_OK. */
static inline void vd_init(struct vd *vd, u64 want, bool msix)
{
	assert_true(vd_negotiate(vd, want));
	vd_setup_queue(vd, 0, msix);
	vd_add_status(vd, VIRTIO_STATUS_DRIVER_OK);
	assert_int_equal(vd_status(vd), VIRTIO_STATUS_ACKNOWLEDGE |
						VIRTIO_STATUS_DRIVER |
						VIRTIO_STATUS_FEATURES_OK |
						VIRTIO_STATUS_DRIVER_OK);
}

static inline void vd_fill_desc(struct vring_desc *d, const struct vd_seg *s,
				u16 flags, u16 next)
{
	d->addr = s->gpa;
	d->len = s->len;
	d->flags = flags | (s->write ? VRING_DESC_F_WRITE : 0);
	d->next = next;
}

/*
 * virtqueue_add_split(): the chain of @n buffers in free descriptors, or
 * in one indirect table, its head on the avail ring, the index published.
 * Returns the head.
 */
static inline u16 vd_add(struct vd *vd, const struct vd_seg *seg, int n,
			 bool indirect)
{
	u16 head = vd->next_desc, i = head, used = indirect ? 1 : n;
	u16 *avail = vd_avail(vd);

	assert_true(n >= 1 && used <= vd->desc_free);
	if (indirect) {
		u64 table = vd_alloc(vd, 16 * (u64)n, 16);
		struct vring_desc *t = vd_ptr(vd, table, 16 * (u64)n);

		for (int k = 0; k < n; k++)
			vd_fill_desc(&t[k], &seg[k],
				     k + 1 < n ? VRING_DESC_F_NEXT : 0, k + 1);
		*vd_desc(vd, head) =
			(struct vring_desc){ table, 16 * (u32)n,
					     VRING_DESC_F_INDIRECT, 0 };
		i = (head + 1) % vd->qsize;
	} else {
		for (int k = 0; k < n; k++) {
			u16 next = (i + 1) % vd->qsize;

			vd_fill_desc(vd_desc(vd, i), &seg[k],
				     k + 1 < n ? VRING_DESC_F_NEXT : 0, next);
			i = next;
		}
	}
	vd->next_desc = i;
	vd->desc_free -= used;
	vd->chain_len[head] = used;
	avail[2 + vd->avail_idx % vd->qsize] = head;
	__atomic_store_n(&avail[1], ++vd->avail_idx, __ATOMIC_RELEASE);
	vd->num_added++;
	return head;
}

/* Write the queue's notify address (iowrite16 of the queue index). */
static inline void vd_notify(struct vd *vd)
{
	vd_mmio_write(vd, vd->notify, vd->kick_width, 0);
	vd->kicks++;
}

/* vring_need_event() of virtio_ring.h. */
static inline bool vd_need_event(u16 event, u16 new_idx, u16 old)
{
	return (u16)(new_idx - event - 1) < (u16)(new_idx - old);
}

/* virtqueue_kick(): notify only if the device asked for it. */
static inline bool vd_kick(struct vd *vd)
{
	u16 new_idx = vd->avail_idx, old = new_idx - vd->num_added;
	bool need;

	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	vd->num_added = 0;
	if (vd->features & VD_BIT(VIRTIO_RING_F_EVENT_IDX))
		need = vd_need_event(
			__atomic_load_n(&vd_used(vd)[2 + 4 * vd->qsize],
					__ATOMIC_ACQUIRE),
			new_idx, old);
	else
		need = !(__atomic_load_n(&vd_used(vd)[0], __ATOMIC_ACQUIRE) &
			 VRING_USED_F_NO_NOTIFY);
	if (need)
		vd_notify(vd);
	return need;
}

/* Wait until the used index reaches @idx; did it? */
static inline bool vd_wait_used_idx(struct vd *vd, u16 idx)
{
	for (int ms = 0; ms < VD_WAIT_MS; ms++) {
		if (vd_used_idx(vd) == idx)
			return true;
		vd_sleep_1ms();
	}
	return vd_used_idx(vd) == idx;
}

/*
 * virtqueue_get_buf(): the next used element (false: none yet); with
 * EVENT_IDX, used_event moves to the new last_used, as Linux does while
 * callbacks are enabled.
 */
static inline bool vd_get_used(struct vd *vd, u16 *id, u32 *len)
{
	const u32 *elem;

	if (vd_used_idx(vd) == vd->last_used)
		return false;
	elem = vd_ptr(vd,
		      vd->base + VD_USED + 4 +
			      8 * (u64)(vd->last_used % vd->qsize),
		      8);
	*id = elem[0];
	*len = elem[1];
	assert_true(*id < vd->qsize && vd->chain_len[*id]);
	vd->desc_free += vd->chain_len[*id];
	vd->chain_len[*id] = 0;
	vd->last_used++;
	if ((vd->features & VD_BIT(VIRTIO_RING_F_EVENT_IDX)) && !vd->cb_delayed)
		vd_set_used_event(vd, vd->last_used);
	return true;
}

/* --- virtio-blk requests --- */

struct vd_blk_req {
	u16 head;
	u64 hdr, data, status;
	u32 len;
};

/* Is @type's data device-writable (read into guest memory)? */
static inline bool vd_blk_data_in(u32 type)
{
	return type == VIRTIO_BLK_T_IN || type == VIRTIO_BLK_T_GET_ID;
}

/*
 * virtblk_add_req(): the header (type, reserved, sector), the data at
 * @data in @nseg pieces (the last takes the remainder; 0 pieces for no
 * data), the status byte preset to 0xff so an unwritten one shows.
 */
static inline struct vd_blk_req vd_blk_add(struct vd *vd, u32 type, u64 sector,
					   u64 data, u32 len, int nseg,
					   bool indirect)
{
	struct vd_seg seg[VIRTQ_MAX_SIZE];
	struct vd_blk_req r = { .data = data, .len = len };
	u8 *hdr;
	int n = 0;

	assert_true(nseg + 2 <= VIRTQ_MAX_SIZE);
	r.hdr = vd_alloc(vd, 16, 16);
	hdr = vd_ptr(vd, r.hdr, 16);
	memcpy(hdr, &type, 4);
	memcpy(hdr + 8, &sector, 8);
	r.status = vd_alloc(vd, 1, 1);
	*(u8 *)vd_ptr(vd, r.status, 1) = 0xff;
	seg[n++] = (struct vd_seg){ r.hdr, 16, false };
	for (int k = 0; k < nseg; k++) {
		u32 piece = len / nseg;
		u32 at = k * piece;

		if (k == nseg - 1)
			piece = len - at;
		seg[n++] = (struct vd_seg){ data + at, piece,
					    vd_blk_data_in(type) };
	}
	seg[n++] = (struct vd_seg){ r.status, 1, true };
	r.head = vd_add(vd, seg, n, indirect);
	return r;
}

static inline u8 vd_blk_status(struct vd *vd, const struct vd_blk_req *r)
{
	return *(u8 *)vd_ptr(vd, r->status, 1);
}

/*
 * One request start to end: add, kick, wait for it, take it. Returns
 * its status byte; @used_len (may be NULL) gets what the device said it
 * wrote. Fails the test when no completion comes within VD_WAIT_MS.
 */
static inline u8 vd_blk_do(struct vd *vd, u32 type, u64 sector, u64 data,
			   u32 len, int nseg, bool indirect, u32 *used_len)
{
	struct vd_blk_req r =
		vd_blk_add(vd, type, sector, data, len, nseg, indirect);
	u16 id;
	u32 got;

	vd_kick(vd);
	assert_true(vd_wait_used_idx(vd, vd->last_used + 1));
	assert_true(vd_get_used(vd, &id, &got));
	assert_int_equal(id, r.head);
	if (used_len)
		*used_len = got;
	return vd_blk_status(vd, &r);
}

/* A buffer of @len bytes in guest memory holding @src (NULL: zeros). */
static inline u64 vd_buf(struct vd *vd, const void *src, u32 len)
{
	u64 gpa = vd_alloc(vd, len, 512);

	if (src)
		memcpy(vd_ptr(vd, gpa, len), src, len);
	return gpa;
}

#endif
