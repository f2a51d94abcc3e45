/*
 * A virtio-blk driver (virtio 1.2 5.2) over the modern PCI transport,
 * one request queue, as Linux's virtio_blk.c drives it: a request is a
 * 16-byte header (device-readable), the data, and a 1-byte status
 * (device-writable), completed through MSI-X (vector 0 config, vector 1
 * queue 0), INTx and the ISR register, or polling.
 */
#ifndef PROBE_VBLK_H
#define PROBE_VBLK_H

#include "madt.h"
#include "virtio_pci.h"
#include "virtio_ring.h"

#define VIRTIO_BLK_F_SIZE_MAX 1
#define VIRTIO_BLK_F_SEG_MAX 2
#define VIRTIO_BLK_F_RO 5
#define VIRTIO_BLK_F_BLK_SIZE 6
#define VIRTIO_BLK_F_FLUSH 9
#define VIRTIO_BLK_F_DISCARD 13
#define VIRTIO_BLK_F_WRITE_ZEROES 14

#define VIRTIO_BLK_T_IN 0
#define VIRTIO_BLK_T_OUT 1
#define VIRTIO_BLK_T_FLUSH 4
#define VIRTIO_BLK_T_GET_ID 8
#define VIRTIO_BLK_T_DISCARD 11
#define VIRTIO_BLK_T_WRITE_ZEROES 13

#define VIRTIO_BLK_S_OK 0
#define VIRTIO_BLK_S_IOERR 1
#define VIRTIO_BLK_S_UNSUPP 2

#define VIRTIO_BLK_ID_BYTES 20
#define VBLK_SECTOR 512u
/* Requests in flight at most (probe.qd goes to 32). */
#define VBLK_SLOTS 32
/* How long a request may take before the probe gives up on it. */
#define VBLK_TIMEOUT_US 10000000ull

struct virtio_blk_outhdr {
	u32 type;
	u32 ioprio;
	u64 sector;
};

struct virtio_blk_discard_write_zeroes {
	u64 sector;
	u32 num_sectors;
	u32 flags;
};

enum vblk_irq_mode {
	VBLK_MSIX, /* default */
	VBLK_INTX, /* probe.blk-intx=1 */
	VBLK_POLL, /* probe.blk-poll=1 */
};

struct vblk_opts {
	u32 disk; /* probe.disk: the n-th 1af4:1042 on bus 0 */
	enum vblk_irq_mode mode;
	u32 gsi; /* INTx: probe.blk-gsi, or VBLK_GSI_LINE */
	bool indirect; /* probe.blk-indirect=1: every request indirect */
};

#define VBLK_GSI_LINE 0xffffffffu /* the Interrupt Line register's */

/* What the device reads and writes for one request in flight. */
struct vblk_req {
	struct virtio_blk_outhdr hdr;
	struct virtio_blk_discard_write_zeroes range;
	struct vring_desc table[3]; /* the indirect table: hdr, data, status */
	u8 status;
} __aligned(64);

struct vblk {
	struct virtio_pci vp;
	struct virtq vq;
	struct vblk_opts opt;
	const struct madt_info *madt;
	u64 offered, features;
	u64 capacity; /* 512-byte sectors */
	u32 blk_size, seg_max;
	u32 max_discard_sectors, max_write_zeroes_sectors;
	u16 queue_size; /* as set up, at most VIRTQ_MAX_SIZE */
	u32 gsi; /* INTx */
	bool irqs_taken; /* by the first vblk_init(); a reset keeps them */
	void *rings;
	struct vblk_req *req; /* [VBLK_SLOTS] */
	u64 tsc_khz; /* polling's clock */
	u32 queue_irqs, config_irqs; /* counted by the interrupt handlers */
	u32 missed_irqs; /* waits that found their condition only at timeout */
};

/*
 * Find disk @o->disk, map its transport and initialise it (vblk_init(),
 * which takes its interrupts: MSI-X, or INTx routed through the I/O
 * APIC of @m). 0, or a negative errno after a FAIL line in @step.
 */
int vblk_open(struct vblk *b, const struct vblk_opts *o,
	      const struct madt_info *m, const char *step);
/*
 * virtio_dev_probe() and virtblk_probe(): reset, ACKNOWLEDGE, DRIVER,
 * features (VERSION_1 required), FEATURES_OK read back, the config,
 * the interrupts (the first time), the config vector, queue 0 and its
 * vector, queue_enable, DRIVER_OK.
 */
int vblk_init(struct vblk *b, const char *step);

static inline bool vblk_has(const struct vblk *b, u32 bit)
{
	return b->features >> bit & 1;
}

/*
 * Queue request @type on @slot: header (@sector), the data [@data,
 * @data + @len) unless @len is 0 (written by the device for IN and
 * GET_ID, read for the others), the status byte. For DISCARD and
 * WRITE_ZEROES the data is the slot's range, filled from @sector and
 * @len sectors. -ENOSPC without free descriptors. Does not notify.
 */
int vblk_submit(struct vblk *b, u16 slot, u32 type, u64 sector, u64 data,
		u32 len);
void vblk_kick(struct vblk *b);
/* Take one completion: its slot and status; -ENOENT if none, -EINVAL bad. */
int vblk_reap(struct vblk *b, u16 *slot, u8 *status);
/*
 * Wait until the device has used a buffer or @done(@arg) (NULL: used
 * buffers only) is true, halting with interrupts on (or spinning with
 * probe.blk-poll=1), for at most @us. @done runs with interrupts off.
 * A condition first found true when @us ran out counts in missed_irqs.
 * Returns with interrupts on, except when polling.
 */
bool vblk_wait(struct vblk *b, bool (*done)(void *arg), void *arg, u64 us);
/*
 * One request on slot 0, waited for: its status, or -ETIMEDOUT / -EIO
 * (a bad used entry) after a FAIL line in @step.
 */
int vblk_exec(struct vblk *b, u32 type, u64 sector, u64 data, u32 len,
	      const char *step);

#endif
