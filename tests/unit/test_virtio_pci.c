// SPDX-License-Identifier: Apache-2.0
/*
 * The virtio 1.x modern PCI transport (virtio 1.2 section 4.1) of a
 * vessel disk, driven as Linux's virtio_pci_modern drives it
 * (virtio_drv.h): the identity, every vendor capability, feature
 * negotiation, the common configuration registers and their widths,
 * reset, the PCI-config access window, notify addresses that are
 * ioeventfds, and interrupts by INTx with the ISR or by MSI-X through
 * irqfds with masking and pending bits. The disk is a real image file in
 * a fresh directory per test, its I/O threads real; after each test the
 * process holds no more fds than before.
 */
#include "virtio_drv.h"

#include <errno.h>
#include <stdlib.h>
#include <sys/stat.h>

#define IMAGE_SIZE (1u << 20)
#define NOTIFY_MULT 4
#define DEVICE_CFG_LEN 60 /* struct virtio_blk_config up to 5.2.4's end */

struct fixture {
	char dir[64], image[96];
	int fds_at_start;
	struct vd_vm vm;
	struct vd vd;
};

/* Replace the fixture's disk with `disk @opts` (%s: the image). */
static void start(struct fixture *f, const char *opts)
{
	char disk[256];

	vd_vm_free(&f->vm, true);
	snprintf(disk, sizeof(disk), opts, f->image);
	assert_int_equal(vd_vm_create(&f->vm, disk), 0);
	vd_probe(&f->vd, f->vm.env, 0);
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	f->fds_at_start = fake_fd_count();
	snprintf(f->dir, sizeof(f->dir), "/tmp/vessel-virtio-pci.XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->image, sizeof(f->image), "%s/disk.img", f->dir);
	vd_image(f->image, IMAGE_SIZE);
	start(f, "path=%s");
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	vd_vm_free(&f->vm, true);
	assert_int_equal(unlink(f->image), 0);
	assert_int_equal(rmdir(f->dir), 0);
	assert_int_equal(fake_fd_count(), f->fds_at_start);
	free(f);
	return 0;
}

/* A one-sector read that must complete with OK. */
static void read_one(struct vd *vd)
{
	u64 buf = vd_buf(vd, NULL, 512);

	assert_int_equal(
		vd_blk_do(vd, VIRTIO_BLK_T_IN, 3, buf, 512, 1, false, NULL),
		VIRTIO_BLK_S_OK);
	assert_memory_equal(vd_ptr(vd, buf, 1), &(u8){ vd_pattern(3 * 512) },
			    1);
}

/* --- identity and capabilities --- */

static void test_identity(void **state)
{
	struct fixture *f = *state;
	struct vd *vd = &f->vd;

	assert_int_equal(vd_cfg_read(vd, PCI_VENDOR_ID, 2), 0x1af4);
	assert_int_equal(vd_cfg_read(vd, PCI_DEVICE_ID, 2), 0x1042);
	assert_int_equal(vd_cfg_read(vd, PCI_REVISION_ID, 1), 1);
	assert_int_equal(vd_cfg_read(vd, PCI_REVISION_ID, 4) >> 8, 0x010000);
	assert_int_equal(vd_cfg_read(vd, PCI_SUBSYSTEM_VENDOR_ID, 2), 0x1af4);
	assert_int_equal(vd_cfg_read(vd, PCI_SUBSYSTEM_ID, 2), 0x40 + 2);
	assert_int_equal(vd_cfg_read(vd, PCI_HEADER_TYPE, 1), 0);
	assert_int_equal(vd_cfg_read(vd, PCI_INTERRUPT_PIN, 1), 1);
	assert_true(vd_cfg_read(vd, PCI_STATUS, 2) & PCI_STATUS_CAP_LIST);
	/* BAR 0: the four structures, 16 KiB of 32-bit memory. */
	assert_int_equal(vd->bar_size[0], VIRTIO_PCI_BAR_SIZE);
	assert_int_equal(vd_cfg_read(vd, PCI_BASE_ADDRESS_0, 4) & 0xf, 0);
	/* BAR 1: the MSI-X table and PBA; nothing else. */
	assert_true(vd->bar_size[1] >= 4096);
	for (int i = 2; i < PCI_NUM_BARS; i++)
		assert_int_equal(vd->bar_size[i], 0);
	assert_true(vd->bar[0] && vd->bar[1]);
}

struct want_cap {
	u8 type, len;
	u32 offset, length;
};

static void test_capabilities(void **state)
{
	static const struct want_cap want[] = {
		{ VIRTIO_PCI_CAP_COMMON_CFG, 16, 0x0000, 0x38 },
		{ VIRTIO_PCI_CAP_NOTIFY_CFG, 20, 0x3000, 1 * NOTIFY_MULT },
		{ VIRTIO_PCI_CAP_ISR_CFG, 16, 0x1000, 1 },
		{ VIRTIO_PCI_CAP_DEVICE_CFG, 16, 0x2000, DEVICE_CFG_LEN },
		/* Its bar, offset and length are the driver's to set. */
		{ VIRTIO_PCI_CAP_PCI_CFG, 20, 0, 0 },
	};
	struct fixture *f = *state;
	struct vd *vd = &f->vd;
	int seen[6] = { 0 };
	u8 pos, msix = vd->msix_cap;

	for (pos = vd_next_cap(vd, 0, PCI_CAP_ID_VNDR); pos;
	     pos = vd_next_cap(vd, pos, PCI_CAP_ID_VNDR)) {
		u8 type = vd_cfg_read(vd, pos + 3, 1);
		const struct want_cap *w = NULL;

		for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++)
			if (want[i].type == type)
				w = &want[i];
		assert_non_null(w);
		seen[type]++;
		assert_int_equal(vd_cfg_read(vd, pos + 2, 1), w->len);
		assert_int_equal(vd_cfg_read(vd, pos + 4, 1), VIRTIO_PCI_BAR);
		assert_int_equal(vd_cfg_read(vd, pos + 8, 4), w->offset);
		assert_int_equal(vd_cfg_read(vd, pos + 12, 4), w->length);
		if (type == VIRTIO_PCI_CAP_NOTIFY_CFG)
			assert_int_equal(vd_cfg_read(vd, pos + 16, 4),
					 NOTIFY_MULT);
		if (type == VIRTIO_PCI_CAP_PCI_CFG)
			assert_int_equal(vd_cfg_read(vd, pos + 16, 4), 0);
	}
	for (int t = 1; t <= 5; t++)
		assert_int_equal(seen[t], 1);
	assert_int_equal(vd->notify_mult, NOTIFY_MULT);
	assert_int_equal(vd->device_len, DEVICE_CFG_LEN);
	/* MSI-X: config + 1 queue = 2 vectors, table BAR1+0, PBA BAR1+0x800. */
	assert_true(msix != 0);
	assert_int_equal(vd_cfg_read(vd, msix + PCI_MSIX_FLAGS, 2), 2 - 1);
	assert_int_equal(vd_cfg_read(vd, msix + PCI_MSIX_TABLE, 4), 0x000 | 1);
	assert_int_equal(vd_cfg_read(vd, msix + PCI_MSIX_PBA, 4), 0x800 | 1);
	/* The capabilities are read-only to the driver (but type 5's window). */
	pos = vd->cap[VIRTIO_PCI_CAP_COMMON_CFG];
	vd_cfg_write(vd, pos + 8, 4, 0x1234);
	vd_cfg_write(vd, pos + 3, 1, VIRTIO_PCI_CAP_ISR_CFG);
	assert_int_equal(vd_cfg_read(vd, pos + 8, 4), 0);
	assert_int_equal(vd_cfg_read(vd, pos + 3, 1),
			 VIRTIO_PCI_CAP_COMMON_CFG);
}

/* --- features and status --- */

static const u64 rw_features =
	VD_BIT(VD_BLK_F_SEG_MAX) | VD_BIT(VD_BLK_F_BLK_SIZE) |
	VD_BIT(VD_BLK_F_FLUSH) | VD_BIT(VD_BLK_F_CONFIG_WCE) |
	VD_BIT(VD_BLK_F_DISCARD) | VD_BIT(VD_BLK_F_WRITE_ZEROES) |
	VD_BIT(VIRTIO_RING_F_INDIRECT_DESC) | VD_BIT(VIRTIO_RING_F_EVENT_IDX) |
	VD_BIT(VIRTIO_F_VERSION_1);

static void test_device_features(void **state)
{
	struct fixture *f = *state;
	struct vd *vd = &f->vd;
	u64 ro = rw_features &
		 ~(VD_BIT(VD_BLK_F_DISCARD) | VD_BIT(VD_BLK_F_WRITE_ZEROES));

	assert_int_equal(vd_device_features(vd), rw_features);
	/* The high half is VERSION_1 alone; past the second half, 0. */
	vd_common_write(vd, VIRTIO_PCI_COMMON_DFSELECT, 4, 1);
	assert_int_equal(vd_common_read(vd, VIRTIO_PCI_COMMON_DF, 4), 1);
	vd_common_write(vd, VIRTIO_PCI_COMMON_DFSELECT, 4, 2);
	assert_int_equal(vd_common_read(vd, VIRTIO_PCI_COMMON_DFSELECT, 4), 2);
	assert_int_equal(vd_common_read(vd, VIRTIO_PCI_COMMON_DF, 4), 0);
	/* The device's features are read-only. */
	vd_common_write(vd, VIRTIO_PCI_COMMON_DFSELECT, 4, 0);
	vd_common_write(vd, VIRTIO_PCI_COMMON_DF, 4, 0xffffffff);
	assert_int_equal(vd_device_features(vd), rw_features);

	start(f, "path=%s,readonly");
	assert_int_equal(vd_device_features(&f->vd), ro | VD_BIT(VD_BLK_F_RO));
}

static void test_features_ok(void **state)
{
	struct fixture *f = *state;
	struct vd *vd = &f->vd;
	const u8 ack = VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER;

	/* An unoffered bit (VIRTIO_F_ACCESS_PLATFORM, 33): refused. */
	vd_reset(vd);
	vd_add_status(vd, ack);
	vd_set_driver_features(vd, rw_features | VD_BIT(33));
	vd_add_status(vd, VIRTIO_STATUS_FEATURES_OK);
	assert_int_equal(vd_status(vd), ack);
	/* A bit of the low half the device never offered (SIZE_MAX, 1). */
	vd_reset(vd);
	vd_add_status(vd, ack);
	vd_set_driver_features(vd, VD_BIT(1) | VD_BIT(VIRTIO_F_VERSION_1));
	vd_add_status(vd, VIRTIO_STATUS_FEATURES_OK);
	assert_int_equal(vd_status(vd), ack);
	/* Without VERSION_1: a legacy driver, refused. */
	assert_false(
		vd_negotiate(vd, rw_features & ~VD_BIT(VIRTIO_F_VERSION_1)));
	assert_int_equal(vd_status(vd), ack);
	/* The accepted set reads back, and is fixed once FEATURES_OK. */
	assert_true(vd_negotiate(vd, VD_BIT(VIRTIO_F_VERSION_1) |
					     VD_BIT(VD_BLK_F_FLUSH)));
	vd_common_write(vd, VIRTIO_PCI_COMMON_GFSELECT, 4, 0);
	assert_int_equal(vd_common_read(vd, VIRTIO_PCI_COMMON_GF, 4),
			 VD_BIT(VD_BLK_F_FLUSH));
	vd_common_write(vd, VIRTIO_PCI_COMMON_GF, 4, 0xffffffff);
	assert_int_equal(vd_common_read(vd, VIRTIO_PCI_COMMON_GF, 4),
			 VD_BIT(VD_BLK_F_FLUSH));
	vd_common_write(vd, VIRTIO_PCI_COMMON_GFSELECT, 4, 1);
	assert_int_equal(vd_common_read(vd, VIRTIO_PCI_COMMON_GF, 4), 1);
	/* DRIVER_OK without FEATURES_OK: the device needs a reset. */
	vd_reset(vd);
	vd_add_status(vd, ack);
	vd_add_status(vd, VIRTIO_STATUS_DRIVER_OK);
	assert_true(vd_status(vd) & VIRTIO_STATUS_NEEDS_RESET);
	/* And the reset clears it; a proper init works. */
	vd_init(vd, rw_features, false);
	read_one(vd);
}

/* --- common configuration --- */

static void test_queues(void **state)
{
	struct fixture *f = *state;
	struct vd *vd = &f->vd;

	assert_int_equal(vd_common_read(vd, VIRTIO_PCI_COMMON_NUMQ, 2), 1);
	assert_int_equal(vd_common_read(vd, VIRTIO_PCI_COMMON_Q_SELECT, 2), 0);
	assert_int_equal(vd_common_read(vd, VIRTIO_PCI_COMMON_Q_SIZE, 2),
			 VIRTQ_MAX_SIZE);
	assert_int_equal(vd_common_read(vd, VIRTIO_PCI_COMMON_Q_ENABLE, 2), 0);
	assert_int_equal(vd_common_read(vd, VIRTIO_PCI_COMMON_Q_NOFF, 2), 0);
	assert_int_equal(vd_common_read(vd, VIRTIO_PCI_COMMON_Q_MSIX, 2),
			 VIRTIO_MSI_NO_VECTOR);
	assert_int_equal(vd_common_read(vd, VIRTIO_PCI_COMMON_MSIX, 2),
			 VIRTIO_MSI_NO_VECTOR);
	/* The driver may shrink the queue. */
	vd_common_write(vd, VIRTIO_PCI_COMMON_Q_SIZE, 2, 64);
	assert_int_equal(vd_common_read(vd, VIRTIO_PCI_COMMON_Q_SIZE, 2), 64);
	/* A queue that does not exist reads size 0 (Linux: -ENOENT), no vector. */
	vd_common_write(vd, VIRTIO_PCI_COMMON_Q_SELECT, 2, 1);
	assert_int_equal(vd_common_read(vd, VIRTIO_PCI_COMMON_Q_SELECT, 2), 1);
	assert_int_equal(vd_common_read(vd, VIRTIO_PCI_COMMON_Q_SIZE, 2), 0);
	assert_int_equal(vd_common_read(vd, VIRTIO_PCI_COMMON_Q_MSIX, 2),
			 VIRTIO_MSI_NO_VECTOR);
	vd_common_write(vd, VIRTIO_PCI_COMMON_Q_SIZE, 2, 16);
	vd_common_write(vd, VIRTIO_PCI_COMMON_Q_ENABLE, 2, 1);
	assert_int_equal(vd_common_read(vd, VIRTIO_PCI_COMMON_Q_SIZE, 2), 0);
	assert_int_equal(vd_common_read(vd, VIRTIO_PCI_COMMON_Q_ENABLE, 2), 0);
	vd_common_write(vd, VIRTIO_PCI_COMMON_Q_SELECT, 2, 0);
	assert_int_equal(vd_common_read(vd, VIRTIO_PCI_COMMON_Q_SIZE, 2), 64);
	/* A shrunk queue works (the driver's size is used, not the max). */
	assert_true(vd_negotiate(vd, rw_features));
	vd_setup_queue(vd, 16, false);
	vd_add_status(vd, VIRTIO_STATUS_DRIVER_OK);
	for (int i = 0; i < 20; i++) /* wraps the 16-entry rings */
		read_one(vd);
}

/* Queue 0 of @size with its table at @desc, enabled, DRIVER_OK: accepted? */
static bool driver_ok_with(struct vd *vd, u16 size, u64 desc)
{
	assert_true(vd_negotiate(vd, rw_features));
	vd_common_write(vd, VIRTIO_PCI_COMMON_Q_SELECT, 2, 0);
	vd_common_write(vd, VIRTIO_PCI_COMMON_Q_SIZE, 2, size);
	vd_common_write(vd, VIRTIO_PCI_COMMON_Q_DESCLO, 4, (u32)desc);
	vd_common_write(vd, VIRTIO_PCI_COMMON_Q_DESCHI, 4, (u32)(desc >> 32));
	vd_common_write(vd, VIRTIO_PCI_COMMON_Q_AVAILLO, 4, VD_AVAIL);
	vd_common_write(vd, VIRTIO_PCI_COMMON_Q_USEDLO, 4, VD_USED);
	vd_common_write(vd, VIRTIO_PCI_COMMON_Q_ENABLE, 2, 1);
	vd_add_status(vd, VIRTIO_STATUS_DRIVER_OK);
	return !(vd_status(vd) & VIRTIO_STATUS_NEEDS_RESET);
}

/*
 * A queue the device cannot use (size not a power of two or too big, a
 * ring misaligned or outside RAM) makes DRIVER_OK end in NEEDS_RESET,
 * with a config interrupt; a reset and a proper init work. A queue left
 * disabled is not served, and is no error.
 */
static void test_bad_queue(void **state)
{
	struct fixture *f = *state;
	struct vd *vd = &f->vd;
	int threads = vd_thread_count();

	assert_false(driver_ok_with(vd, 100, VD_DESC));
	assert_true(vd_wait_intx(vd, 1));
	assert_int_equal(vd_mmio_read(vd, vd->isr, 1), VIRTIO_PCI_ISR_CONFIG);
	assert_false(driver_ok_with(vd, 512, VD_DESC));
	assert_false(driver_ok_with(vd, 0, VD_DESC));
	assert_false(driver_ok_with(vd, 256, VD_DESC + 8));
	assert_false(driver_ok_with(vd, 256, VD_RAM_SIZE - 1024));
	assert_false(driver_ok_with(vd, 256, 1ULL << 40));
	assert_int_equal(vd_thread_count(), threads);
	assert_true(driver_ok_with(vd, 64, VD_DESC));
	/* The I/O threads were made with the disk: none is made now. */
	assert_int_equal(vd_thread_count(), threads);
	/* Never enabled: DRIVER_OK is fine, nothing serves the queue. */
	assert_true(vd_negotiate(vd, rw_features));
	vd_add_status(vd, VIRTIO_STATUS_DRIVER_OK);
	assert_int_equal(vd_status(vd) & VIRTIO_STATUS_NEEDS_RESET, 0);
	assert_int_equal(vd_thread_count(), threads);
	vd_init(vd, rw_features, false);
	read_one(vd);
}

static void test_msix_vectors(void **state)
{
	struct fixture *f = *state;
	struct vd *vd = &f->vd;

	vd_msix_enable(vd, 2);
	/* Two vectors: 0 and 1 stick, anything beyond reads NO_VECTOR. */
	for (u32 v = 0; v < 2; v++) {
		vd_common_write(vd, VIRTIO_PCI_COMMON_Q_MSIX, 2, v);
		assert_int_equal(
			vd_common_read(vd, VIRTIO_PCI_COMMON_Q_MSIX, 2), v);
		vd_common_write(vd, VIRTIO_PCI_COMMON_MSIX, 2, v);
		assert_int_equal(vd_common_read(vd, VIRTIO_PCI_COMMON_MSIX, 2),
				 v);
	}
	for (u32 v = 2; v < 0x10000; v = v * 3 + 1) {
		vd_common_write(vd, VIRTIO_PCI_COMMON_Q_MSIX, 2, v);
		assert_int_equal(
			vd_common_read(vd, VIRTIO_PCI_COMMON_Q_MSIX, 2),
			VIRTIO_MSI_NO_VECTOR);
		vd_common_write(vd, VIRTIO_PCI_COMMON_MSIX, 2, v);
		assert_int_equal(vd_common_read(vd, VIRTIO_PCI_COMMON_MSIX, 2),
				 VIRTIO_MSI_NO_VECTOR);
	}
	vd_common_write(vd, VIRTIO_PCI_COMMON_Q_MSIX, 2, VIRTIO_MSI_NO_VECTOR);
	assert_int_equal(vd_common_read(vd, VIRTIO_PCI_COMMON_Q_MSIX, 2),
			 VIRTIO_MSI_NO_VECTOR);
}

/* After DRIVER_OK the queue registers are the device's (4.1.4.3.2). */
static void test_queue_regs_after_driver_ok(void **state)
{
	struct fixture *f = *state;
	struct vd *vd = &f->vd;
	static const u32 regs[] = {
		VIRTIO_PCI_COMMON_Q_DESCLO,  VIRTIO_PCI_COMMON_Q_DESCHI,
		VIRTIO_PCI_COMMON_Q_AVAILLO, VIRTIO_PCI_COMMON_Q_AVAILHI,
		VIRTIO_PCI_COMMON_Q_USEDLO,  VIRTIO_PCI_COMMON_Q_USEDHI,
	};
	u32 before[6];

	vd_init(vd, rw_features, true);
	for (int i = 0; i < 6; i++) {
		before[i] = vd_common_read(vd, regs[i], 4);
		vd_common_write(vd, regs[i], 4, 0x40000);
	}
	vd_common_write(vd, VIRTIO_PCI_COMMON_Q_SIZE, 2, 8);
	vd_common_write(vd, VIRTIO_PCI_COMMON_Q_MSIX, 2, VIRTIO_MSI_NO_VECTOR);
	vd_common_write(vd, VIRTIO_PCI_COMMON_Q_ENABLE, 2, 0);
	for (int i = 0; i < 6; i++)
		assert_int_equal(vd_common_read(vd, regs[i], 4), before[i]);
	assert_int_equal(before[0], VD_DESC);
	assert_int_equal(before[2], VD_AVAIL);
	assert_int_equal(before[4], VD_USED);
	assert_int_equal(vd_common_read(vd, VIRTIO_PCI_COMMON_Q_SIZE, 2),
			 VIRTQ_MAX_SIZE);
	assert_int_equal(vd_common_read(vd, VIRTIO_PCI_COMMON_Q_MSIX, 2),
			 VD_VEC_QUEUE);
	assert_int_equal(vd_common_read(vd, VIRTIO_PCI_COMMON_Q_ENABLE, 2), 1);
	/* The queue still runs where it was, and interrupts on vector 1. */
	read_one(vd);
	assert_int_equal(vd_efd_wait(vd_irqfd_of(vd, VD_VEC_QUEUE)), 1);
}

/*
 * Each register only at its natural width and alignment: anything else
 * reads 0 and writes nothing.
 */
static void test_wrong_width(void **state)
{
	struct fixture *f = *state;
	struct vd *vd = &f->vd;

	vd_add_status(vd, VIRTIO_STATUS_ACKNOWLEDGE);
	vd_common_write(vd, VIRTIO_PCI_COMMON_DFSELECT, 4, 1);
	/* Reads. */
	assert_int_equal(vd_common_read(vd, VIRTIO_PCI_COMMON_STATUS, 2), 0);
	assert_int_equal(vd_common_read(vd, VIRTIO_PCI_COMMON_STATUS, 4), 0);
	assert_int_equal(vd_common_read(vd, VIRTIO_PCI_COMMON_NUMQ, 4), 0);
	assert_int_equal(vd_common_read(vd, VIRTIO_PCI_COMMON_NUMQ, 1), 0);
	assert_int_equal(vd_common_read(vd, VIRTIO_PCI_COMMON_DFSELECT, 2), 0);
	assert_int_equal(vd_common_read(vd, VIRTIO_PCI_COMMON_DF, 2), 0);
	assert_int_equal(vd_common_read(vd, VIRTIO_PCI_COMMON_DF + 1, 1), 0);
	assert_int_equal(vd_common_read(vd, VIRTIO_PCI_COMMON_Q_SIZE, 4), 0);
	assert_int_equal(vd_common_read(vd, VIRTIO_PCI_COMMON_Q_SIZE + 1, 1),
			 0);
	assert_int_equal(vd_mmio_read(vd, vd->common + VIRTIO_PCI_COMMON_DF, 8),
			 0);
	/* And the right ones still read. */
	assert_int_equal(vd_common_read(vd, VIRTIO_PCI_COMMON_STATUS, 1),
			 VIRTIO_STATUS_ACKNOWLEDGE);
	assert_int_equal(vd_common_read(vd, VIRTIO_PCI_COMMON_DF, 4), 1);
	assert_int_equal(vd_common_read(vd, VIRTIO_PCI_COMMON_Q_SIZE, 2),
			 VIRTQ_MAX_SIZE);
	/* Writes: a 2-byte status 0 would reset, a 1-byte size would stick. */
	vd_common_write(vd, VIRTIO_PCI_COMMON_STATUS, 2, 0);
	vd_common_write(vd, VIRTIO_PCI_COMMON_STATUS, 4, 0);
	assert_int_equal(vd_status(vd), VIRTIO_STATUS_ACKNOWLEDGE);
	vd_common_write(vd, VIRTIO_PCI_COMMON_Q_SIZE, 1, 8);
	vd_common_write(vd, VIRTIO_PCI_COMMON_Q_SIZE, 4, 8);
	vd_common_write(vd, VIRTIO_PCI_COMMON_Q_SIZE + 1, 1, 0);
	assert_int_equal(vd_common_read(vd, VIRTIO_PCI_COMMON_Q_SIZE, 2),
			 VIRTQ_MAX_SIZE);
	vd_common_write(vd, VIRTIO_PCI_COMMON_DFSELECT, 2, 0);
	vd_common_write(vd, VIRTIO_PCI_COMMON_DFSELECT + 2, 2, 0);
	vd_mmio_write(vd, vd->common + VIRTIO_PCI_COMMON_DFSELECT, 8, 0);
	assert_int_equal(vd_common_read(vd, VIRTIO_PCI_COMMON_DFSELECT, 4), 1);
	vd_common_write(vd, VIRTIO_PCI_COMMON_Q_DESCLO, 2, 0x1234);
	vd_mmio_write(vd, vd->common + VIRTIO_PCI_COMMON_Q_DESCLO, 8,
		      0x5000000010000ULL);
	assert_int_equal(vd_common_read(vd, VIRTIO_PCI_COMMON_Q_DESCLO, 4), 0);
	assert_int_equal(vd_common_read(vd, VIRTIO_PCI_COMMON_Q_DESCHI, 4), 0);
	/* Past the common structure, inside its page: nothing. */
	assert_int_equal(vd_common_read(vd, VIRTIO_PCI_COMMON_SIZE, 4), 0);
	vd_common_write(vd, VIRTIO_PCI_COMMON_SIZE, 4, 0xffffffff);
	assert_int_equal(vd_status(vd), VIRTIO_STATUS_ACKNOWLEDGE);
}

/* Every register the driver wrote back to its power-on value. */
static void assert_power_on(struct vd *vd)
{
	assert_int_equal(vd_status(vd), 0);
	assert_int_equal(vd_common_read(vd, VIRTIO_PCI_COMMON_DFSELECT, 4), 0);
	assert_int_equal(vd_common_read(vd, VIRTIO_PCI_COMMON_GFSELECT, 4), 0);
	assert_int_equal(vd_common_read(vd, VIRTIO_PCI_COMMON_GF, 4), 0);
	vd_common_write(vd, VIRTIO_PCI_COMMON_GFSELECT, 4, 1);
	assert_int_equal(vd_common_read(vd, VIRTIO_PCI_COMMON_GF, 4), 0);
	vd_common_write(vd, VIRTIO_PCI_COMMON_GFSELECT, 4, 0);
	assert_int_equal(vd_common_read(vd, VIRTIO_PCI_COMMON_MSIX, 2),
			 VIRTIO_MSI_NO_VECTOR);
	assert_int_equal(vd_common_read(vd, VIRTIO_PCI_COMMON_Q_SELECT, 2), 0);
	assert_int_equal(vd_common_read(vd, VIRTIO_PCI_COMMON_Q_SIZE, 2),
			 VIRTQ_MAX_SIZE);
	assert_int_equal(vd_common_read(vd, VIRTIO_PCI_COMMON_Q_MSIX, 2),
			 VIRTIO_MSI_NO_VECTOR);
	assert_int_equal(vd_common_read(vd, VIRTIO_PCI_COMMON_Q_ENABLE, 2), 0);
	for (u32 r = VIRTIO_PCI_COMMON_Q_DESCLO; r < VIRTIO_PCI_COMMON_SIZE;
	     r += 4)
		assert_int_equal(vd_common_read(vd, r, 4), 0);
	assert_int_equal(vd_mmio_read(vd, vd->isr, 1), 0);
	assert_int_equal(vd_intx_level(vd), 0);
}

static void test_reset(void **state)
{
	struct fixture *f = *state;
	struct vd *vd = &f->vd;
	int threads = vd_thread_count();
	struct vd_blk_req r;

	/* INTx, so the completion below leaves the ISR and the line set. */
	vd_init(vd, rw_features, false);
	vd_common_write(vd, VIRTIO_PCI_COMMON_MSIX, 2, 1);
	vd_common_write(vd, VIRTIO_PCI_COMMON_DFSELECT, 4, 1);
	vd_common_write(vd, VIRTIO_PCI_COMMON_Q_SELECT, 2, 1);
	assert_int_equal(vd_thread_count(), threads); /* made at create */
	read_one(vd);
	assert_true(vd_wait_intx(vd, 1));
	vd_reset(vd);
	assert_power_on(vd);
	/* The I/O threads are parked: a request now is not served. */
	assert_int_equal(vd_thread_count(), threads);
	r = vd_blk_add(vd, VIRTIO_BLK_T_IN, 0, vd_buf(vd, NULL, 512), 512, 1,
		       false);
	vd_notify(vd);
	assert_int_equal(vd_thread_count(), threads);
	assert_int_equal(vd_used_idx(vd), 1);
	assert_int_equal(vd_blk_status(vd, &r), 0xff);
	/* A second reset changes nothing; a new init works from scratch. */
	vd_reset(vd);
	assert_power_on(vd);
	vd_init(vd, rw_features, true);
	read_one(vd);
	read_one(vd);
	vd_reset(vd);
	assert_power_on(vd);
	assert_int_equal(vd_thread_count(), threads);
}

/* --- interrupts --- */

/* MSI-X off: a completion raises INTx and sets ISR bit 0; reading clears. */
static void test_isr_intx(void **state)
{
	struct fixture *f = *state;
	struct vd *vd = &f->vd;
	int gsi = vd_intx_gsi(vd);

	assert_in_range(gsi, 16, 19);
	vd_init(vd, rw_features, false);
	assert_int_equal(vd_intx_level(vd), 0);
	assert_int_equal(vd_mmio_read(vd, vd->isr, 1), 0);
	for (int i = 0; i < 3; i++) {
		int raises = vd->env->irq[gsi].raises;

		read_one(vd);
		assert_true(vd_wait_intx(vd, 1));
		assert_int_equal(vd->env->irq[gsi].raises, raises + 1);
		assert_true(vd_cfg_read(vd, PCI_STATUS, 2) &
			    PCI_STATUS_INTERRUPT);
		assert_int_equal(vd_mmio_read(vd, vd->isr, 1),
				 VIRTIO_PCI_ISR_QUEUE);
		assert_int_equal(vd_intx_level(vd), 0);
		assert_false(vd_cfg_read(vd, PCI_STATUS, 2) &
			     PCI_STATUS_INTERRUPT);
		assert_int_equal(vd_mmio_read(vd, vd->isr, 1), 0);
	}
	assert_int_equal(vd->env->nr_msi, 0);
	assert_int_equal(vd_irqfd_count(vd), 0);
}

static int used_routes(struct dev_env *env)
{
	int n = 0;

	for (int i = 0; i < FAKE_ROUTES; i++)
		n += env->routes[i].used;
	return n;
}

/*
 * MSI-X on: each unmasked vector is an irqfd on a GSI routed to its
 * message; masked, it has neither, and a completion sets its pending bit,
 * sent on unmask.
 */
static void test_msix_irqfd(void **state)
{
	struct fixture *f = *state;
	struct vd *vd = &f->vd;
	int efd, gsi;

	vd_init(vd, rw_features, true);
	assert_int_equal(vd_irqfd_count(vd), 2);
	assert_int_equal(used_routes(vd->env), 2);
	assert_true(vd_irqfd_of(vd, VD_VEC_CONFIG) >= 0);
	efd = vd_irqfd_of(vd, VD_VEC_QUEUE);
	assert_true(efd >= 0);
	gsi = fake_env_irqfd_gsi(vd->env, efd);
	assert_true(gsi >= FAKE_FIRST_MSI_GSI);
	/* A completion is one write to the eventfd; KVM sends the message. */
	read_one(vd);
	for (int ms = 0; ms < VD_WAIT_MS && !vd->env->nr_msi; ms++) {
		fake_env_fire_irqfds(vd->env);
		vd_sleep_1ms();
	}
	assert_int_equal(vd->env->nr_msi, 1);
	assert_int_equal(vd->env->msi[0].addr, VD_MSI_ADDR);
	assert_int_equal(vd->env->msi[0].data, VD_MSI_DATA(VD_VEC_QUEUE));
	assert_int_equal(vd_intx_level(vd), 0);
	assert_int_equal(vd_mmio_read(vd, vd->isr, 1), 0);

	/* Masked: the irqfd and its route go; a completion is pending. */
	vd_msix_mask(vd, VD_VEC_QUEUE, true);
	assert_int_equal(vd_irqfd_of(vd, VD_VEC_QUEUE), -1);
	assert_int_equal(fake_env_irqfd_gsi(vd->env, efd), -1);
	assert_int_equal(vd_irqfd_count(vd), 1);
	assert_int_equal(used_routes(vd->env), 1);
	assert_false(vd_msix_pending(vd, VD_VEC_QUEUE));
	read_one(vd);
	for (int ms = 0; ms < VD_WAIT_MS && !vd_msix_pending(vd, VD_VEC_QUEUE);
	     ms++)
		vd_sleep_1ms();
	assert_true(vd_msix_pending(vd, VD_VEC_QUEUE));
	assert_false(vd_msix_pending(vd, VD_VEC_CONFIG));
	assert_int_equal(fake_env_fire_irqfds(vd->env), 0);
	assert_int_equal(vd->env->nr_msi, 1);
	/* Unmasked: the pending message goes, the irqfd is back. */
	vd_msix_mask(vd, VD_VEC_QUEUE, false);
	assert_false(vd_msix_pending(vd, VD_VEC_QUEUE));
	assert_int_equal(vd->env->nr_msi, 2);
	assert_int_equal(vd->env->msi[1].data, VD_MSI_DATA(VD_VEC_QUEUE));
	efd = vd_irqfd_of(vd, VD_VEC_QUEUE);
	assert_true(efd >= 0);
	read_one(vd);
	assert_int_equal(vd_efd_wait(efd), 1);
	/* MSI-X off again: the irqfds go, INTx takes over. */
	vd_cfg_write(vd, vd->msix_cap + PCI_MSIX_FLAGS, 2, 0);
	assert_int_equal(vd_irqfd_count(vd), 0);
	assert_int_equal(used_routes(vd->env), 0);
	read_one(vd);
	assert_true(vd_wait_intx(vd, 1));
	assert_int_equal(vd_mmio_read(vd, vd->isr, 1), VIRTIO_PCI_ISR_QUEUE);
	assert_int_equal(vd_intx_level(vd), 0);
}

/* --- PCI-config access (4.1.4.9) --- */

struct cfg_window {
	struct vd *vd;
	u8 cap;
};

static void window_at(struct cfg_window *w, u8 bar, u32 off, u32 len)
{
	vd_cfg_write(w->vd, w->cap + 4, 1, bar);
	vd_cfg_write(w->vd, w->cap + 8, 4, off);
	vd_cfg_write(w->vd, w->cap + 12, 4, len);
}

static u32 window_read(struct cfg_window *w, u8 size)
{
	return vd_cfg_read(w->vd, w->cap + 16, size);
}

static void window_write(struct cfg_window *w, u8 size, u32 v)
{
	vd_cfg_write(w->vd, w->cap + 16, size, v);
}

static void test_pci_cfg_access(void **state)
{
	struct fixture *f = *state;
	struct vd *vd = &f->vd;
	struct cfg_window w = { vd, vd->cap[VIRTIO_PCI_CAP_PCI_CFG] };

	assert_true(w.cap != 0);
	/* bar, offset, length are the driver's; they read back. */
	window_at(&w, 0, VIRTIO_PCI_COMMON_NUMQ, 2);
	assert_int_equal(vd_cfg_read(vd, w.cap + 4, 1), 0);
	assert_int_equal(vd_cfg_read(vd, w.cap + 8, 4), VIRTIO_PCI_COMMON_NUMQ);
	assert_int_equal(vd_cfg_read(vd, w.cap + 12, 4), 2);
	assert_int_equal(window_read(&w, 2), 1);
	assert_int_equal(window_read(&w, 4), 1);
	window_at(&w, 0, VIRTIO_PCI_COMMON_Q_SIZE, 2);
	assert_int_equal(window_read(&w, 4), VIRTQ_MAX_SIZE);
	/* Writes reach the registers: feature select, then the status. */
	window_at(&w, 0, VIRTIO_PCI_COMMON_DFSELECT, 4);
	window_write(&w, 4, 1);
	assert_int_equal(vd_common_read(vd, VIRTIO_PCI_COMMON_DFSELECT, 4), 1);
	window_at(&w, 0, VIRTIO_PCI_COMMON_DF, 4);
	assert_int_equal(window_read(&w, 4), 1); /* VERSION_1 */
	window_at(&w, 0, VIRTIO_PCI_COMMON_STATUS, 1);
	window_write(&w, 1, VIRTIO_STATUS_ACKNOWLEDGE);
	assert_int_equal(vd_status(vd), VIRTIO_STATUS_ACKNOWLEDGE);
	assert_int_equal(window_read(&w, 1), VIRTIO_STATUS_ACKNOWLEDGE);
	/* Device configuration: the capacity's low dword. */
	window_at(&w, 0, VIRTIO_PCI_DEVICE_OFF + VD_CFG_CAPACITY, 4);
	assert_int_equal(window_read(&w, 4), IMAGE_SIZE / 512);
	/* A length of 3, a misaligned offset, another BAR: no access. */
	window_at(&w, 0, VIRTIO_PCI_COMMON_DFSELECT, 3);
	window_write(&w, 4, 0);
	window_at(&w, 0, VIRTIO_PCI_COMMON_DFSELECT + 2, 2);
	window_write(&w, 2, 0);
	window_at(&w, 1, VIRTIO_PCI_COMMON_DFSELECT, 4);
	window_write(&w, 4, 0);
	window_at(&w, 0, VIRTIO_PCI_BAR_SIZE, 4);
	window_write(&w, 4, 0);
	assert_int_equal(vd_common_read(vd, VIRTIO_PCI_COMMON_DFSELECT, 4), 1);
	/* The whole init through the window, then I/O by MMIO. */
	window_at(&w, 0, VIRTIO_PCI_COMMON_STATUS, 1);
	window_write(&w, 1, 0);
	assert_int_equal(vd_status(vd), 0);
	assert_true(vd_negotiate(vd, rw_features));
	vd_setup_queue(vd, 0, false);
	window_write(&w, 1, vd_status(vd) | VIRTIO_STATUS_DRIVER_OK);
	assert_true(vd_status(vd) & VIRTIO_STATUS_DRIVER_OK);
	read_one(vd);
}

/* --- notifications --- */

static const struct fake_ioeventfd *find_ioeventfd(struct dev_env *env,
						   u64 addr)
{
	for (int i = 0; i < FAKE_IOEVENTFDS; i++)
		if (env->ioeventfds[i].used && env->ioeventfds[i].addr == addr)
			return &env->ioeventfds[i];
	return NULL;
}

static int ioeventfd_count(struct dev_env *env)
{
	int n = 0;

	for (int i = 0; i < FAKE_IOEVENTFDS; i++)
		n += env->ioeventfds[i].used;
	return n;
}

static bool efd_readable(int efd)
{
	struct pollfd p = { .fd = efd, .events = POLLIN };

	return poll(&p, 1, 0) == 1;
}

static void test_notify_ioeventfd(void **state)
{
	struct fixture *f = *state;
	struct vd *vd = &f->vd;
	const struct fake_ioeventfd *io;
	int hits, efd;
	u64 moved;

	assert_true(vd_negotiate(vd, rw_features));
	vd_setup_queue(vd, 0, false);
	/* One ioeventfd: 2 bytes at queue 0's address, any value, MMIO. */
	assert_int_equal(vd->notify, vd->bar[0] + VIRTIO_PCI_NOTIFY_OFF);
	assert_int_equal(ioeventfd_count(vd->env), 1);
	io = find_ioeventfd(vd->env, vd->notify);
	assert_non_null(io);
	assert_int_equal(io->sp, BUS_MMIO);
	assert_int_equal(io->size, 2);
	assert_false(io->match);
	efd = io->efd;
	/* Before DRIVER_OK nobody reads the eventfd: see each path signal. */
	hits = vd->env->ioeventfd_hits;
	vd_notify(vd);
	assert_int_equal(vd->env->ioeventfd_hits, hits + 1);
	assert_int_equal(vd_efd_take(efd), 1);
	vd->kick_width = 4;
	vd_notify(vd);
	assert_int_equal(vd->env->ioeventfd_hits, hits + 1);
	assert_int_equal(vd_efd_take(efd), 1);
	vd->kick_width = 1;
	vd_notify(vd);
	assert_int_equal(vd_efd_take(efd), 1);
	/* Past the notify area's one queue: nothing. */
	vd_mmio_write(vd, vd->notify + NOTIFY_MULT, 2, 1);
	vd_mmio_write(vd, vd->notify + NOTIFY_MULT, 4, 1);
	assert_false(efd_readable(efd));
	assert_int_equal(vd_mmio_read(vd, vd->notify, 2), 0);

	/* Running: both widths wake the I/O threads. */
	vd_add_status(vd, VIRTIO_STATUS_DRIVER_OK);
	for (int i = 0; i < 20; i++) {
		vd->kick_width = i % 2 ? 4 : 2;
		hits = vd->env->ioeventfd_hits;
		read_one(vd);
		assert_true(vd->env->ioeventfd_hits - hits <= (i % 2 ? 0 : 1));
	}
	/* BAR 0 moves: the ioeventfd moves with it. */
	moved = vd->bar[0] + 0x100000;
	vd_cfg_write(vd, PCI_BASE_ADDRESS_0, 4, (u32)moved);
	assert_int_equal(ioeventfd_count(vd->env), 1);
	assert_null(find_ioeventfd(vd->env, vd->notify));
	assert_non_null(find_ioeventfd(vd->env, moved + VIRTIO_PCI_NOTIFY_OFF));
	vd->bar[0] = moved;
	vd->common = moved + VIRTIO_PCI_COMMON_OFF;
	vd->isr = moved + VIRTIO_PCI_ISR_OFF;
	vd->device = moved + VIRTIO_PCI_DEVICE_OFF;
	vd->notify = vd->notify_base = moved + VIRTIO_PCI_NOTIFY_OFF;
	vd->kick_width = 2;
	read_one(vd);
	assert_int_equal(vd_status(vd) & VIRTIO_STATUS_NEEDS_RESET, 0);
	/* Decoding off: no ioeventfd at all. */
	vd_cfg_write(vd, PCI_COMMAND, 2, 0);
	assert_int_equal(ioeventfd_count(vd->env), 0);
	vd_cfg_write(vd, PCI_COMMAND, 2, PCI_COMMAND_MEMORY);
	assert_int_equal(ioeventfd_count(vd->env), 1);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_identity),	 T(test_capabilities),
		T(test_device_features), T(test_features_ok),
		T(test_queues),		 T(test_bad_queue),
		T(test_msix_vectors),	 T(test_queue_regs_after_driver_ok),
		T(test_wrong_width),	 T(test_reset),
		T(test_isr_intx),	 T(test_msix_irqfd),
		T(test_pci_cfg_access),	 T(test_notify_ioeventfd),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
