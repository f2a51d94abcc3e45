/* SPDX-License-Identifier: Apache-2.0 */
#ifndef VESSEL_VIRTIO_PCI_H
#define VESSEL_VIRTIO_PCI_H

/*
 * The virtio 1.x modern PCI transport (virtio 1.2 section 4.1): the
 * vendor capabilities (common, notify, ISR, device and PCI-config
 * access), the common configuration registers, feature negotiation and
 * the status machine, per-queue notification addresses that are KVM
 * ioeventfds, and interrupts through MSI-X (an irqfd per vector while it
 * is unmasked) or INTx with the ISR register. A virtio device embeds a
 * struct virtio_pci, gives its ops, and serves its queues on its own
 * threads: the transport hands it each queue's kick eventfd and the
 * rings' addresses when the driver sets DRIVER_OK.
 *
 * Layout: BAR 0 (32-bit memory, 16 KiB) holds common configuration at
 * 0x0000, ISR at 0x1000, device configuration at 0x2000 and the
 * notification area at 0x3000 (queue i at 0x3000 + 4 i); BAR 1 holds the
 * MSI-X table and PBA. One page per structure, as QEMU does, so that the
 * notify page's ioeventfds share it with nothing.
 *
 * Locking: the registers are under vp->lock (vCPU threads); ops->start()
 * and ops->stop() run with it held, so a device's worker threads must
 * never take it: they use virtio_pci_notify() and
 * virtio_pci_needs_reset(), which take only the interrupt lock.
 */

#include <pthread.h>

#include "pci.h"

/* Device status bits (virtio 1.2 2.1). */
#define VIRTIO_STATUS_ACKNOWLEDGE 1
#define VIRTIO_STATUS_DRIVER 2
#define VIRTIO_STATUS_DRIVER_OK 4
#define VIRTIO_STATUS_FEATURES_OK 8
#define VIRTIO_STATUS_NEEDS_RESET 0x40
#define VIRTIO_STATUS_FAILED 0x80

#define VIRTIO_F_VERSION_1 32
#define VIRTIO_MSI_NO_VECTOR 0xffff
#define VIRTIO_PCI_VENDOR 0x1af4
#define VIRTIO_PCI_DEVICE_BASE 0x1040 /* + the virtio device ID */

/* Capability cfg_type values (virtio 1.2 4.1.4). */
#define VIRTIO_PCI_CAP_COMMON_CFG 1
#define VIRTIO_PCI_CAP_NOTIFY_CFG 2
#define VIRTIO_PCI_CAP_ISR_CFG 3
#define VIRTIO_PCI_CAP_DEVICE_CFG 4
#define VIRTIO_PCI_CAP_PCI_CFG 5

/* Common configuration (virtio 1.2 4.1.4.3), Linux virtio_pci.h names. */
#define VIRTIO_PCI_COMMON_DFSELECT 0x00
#define VIRTIO_PCI_COMMON_DF 0x04
#define VIRTIO_PCI_COMMON_GFSELECT 0x08
#define VIRTIO_PCI_COMMON_GF 0x0c
#define VIRTIO_PCI_COMMON_MSIX 0x10
#define VIRTIO_PCI_COMMON_NUMQ 0x12
#define VIRTIO_PCI_COMMON_STATUS 0x14
#define VIRTIO_PCI_COMMON_CFGGENERATION 0x15
#define VIRTIO_PCI_COMMON_Q_SELECT 0x16
#define VIRTIO_PCI_COMMON_Q_SIZE 0x18
#define VIRTIO_PCI_COMMON_Q_MSIX 0x1a
#define VIRTIO_PCI_COMMON_Q_ENABLE 0x1c
#define VIRTIO_PCI_COMMON_Q_NOFF 0x1e
#define VIRTIO_PCI_COMMON_Q_DESCLO 0x20
#define VIRTIO_PCI_COMMON_Q_DESCHI 0x24
#define VIRTIO_PCI_COMMON_Q_AVAILLO 0x28
#define VIRTIO_PCI_COMMON_Q_AVAILHI 0x2c
#define VIRTIO_PCI_COMMON_Q_USEDLO 0x30
#define VIRTIO_PCI_COMMON_Q_USEDHI 0x34
#define VIRTIO_PCI_COMMON_SIZE 0x38

/* ISR bits (virtio 1.2 4.1.4.5). */
#define VIRTIO_PCI_ISR_QUEUE 1
#define VIRTIO_PCI_ISR_CONFIG 2

/* BAR 0 layout (above). */
#define VIRTIO_PCI_BAR 0
#define VIRTIO_PCI_MSIX_BAR 1
#define VIRTIO_PCI_COMMON_OFF 0x0000
#define VIRTIO_PCI_ISR_OFF 0x1000
#define VIRTIO_PCI_DEVICE_OFF 0x2000
#define VIRTIO_PCI_NOTIFY_OFF 0x3000
#define VIRTIO_PCI_NOTIFY_MULT 4
#define VIRTIO_PCI_BAR_SIZE 0x4000

#define VIRTIO_PCI_MAX_QUEUES 8
#define VIRTIO_PCI_DEVICE_CFG_MAX 0x100

struct virtio_pci;

struct virtio_pci_ops {
	/* Device configuration (@off inside it, @size 1/2/4): read or write. */
	u32 (*cfg_read)(void *dev, u32 off, u8 size);
	void (*cfg_write)(void *dev, u32 off, u8 size, u32 val);
	/*
	 * The driver set DRIVER_OK: serve the enabled queues (vp->q[i]
	 * with enable set) with the @features negotiated. 0, or -errno to
	 * set NEEDS_RESET (a ring outside RAM, a bad size).
	 */
	int (*start)(void *dev, u64 features);
	/*
	 * The driver reset the device (or the VM stops it): stop serving
	 * the queues, after the request in progress, if any, completed.
	 * Called only after a successful start().
	 */
	void (*stop)(void *dev);
};

struct virtio_pci_queue {
	u16 size; /* the driver's, at most max_size */
	u16 msix_vector;
	bool enable;
	u64 desc, driver, device;
	int kick_fd; /* eventfd: the driver wrote the queue's notify address */
};

struct virtio_pci {
	struct pci_dev pd;
	struct dev_env *env;
	const struct virtio_pci_ops *ops;
	void *dev;
	pthread_mutex_t lock; /* the registers below */
	u64 device_features, driver_features;
	u32 dfselect, gfselect;
	u16 msix_config, queue_select, max_size;
	u8 status; /* NEEDS_RESET also set atomically by the device */
	u8 config_generation;
	bool started; /* ops->start() succeeded, ops->stop() not yet run */
	int nr_queues;
	struct virtio_pci_queue q[VIRTIO_PCI_MAX_QUEUES];
	u32 dev_cfg_len;
	u64 notify_addr; /* where the notify area's ioeventfds are, 0: none */
	u8 pci_cfg_cap; /* offset of the PCI-config access capability */
	pthread_mutex_t irq_lock; /* isr, vec[] */
	u8 isr;
	int nr_vectors; /* config + one per queue */
	struct pci_irqfd vec[VIRTIO_PCI_MAX_QUEUES + 1]; /* while unmasked */
};

/*
 * Set up @vp as virtio device @device_id (virtio 1.2 5: 2 = block) with
 * PCI class @class_code, offering @features (VIRTIO_F_VERSION_1 is
 * added), @nr_queues queues of at most @max_size entries, and
 * @dev_cfg_len bytes of device configuration, and add it to the bus.
 * Returns 0 or -errno (logged).
 */
int virtio_pci_init(struct virtio_pci *vp, struct dev_env *env, u16 device_id,
		    u32 class_code, u64 features, int nr_queues, u16 max_size,
		    u32 dev_cfg_len, const struct virtio_pci_ops *ops,
		    void *dev);
/* Stop (ops->stop() if started), unmap, close the eventfds, leave the bus. */
void virtio_pci_exit(struct virtio_pci *vp);

/*
 * Interrupt the driver for queue @q (its MSI-X vector, or INTx with the
 * ISR queue bit). Any thread; takes only the interrupt lock.
 */
void virtio_pci_notify(struct virtio_pci *vp, int q);
/*
 * The device found the driver's state broken: set NEEDS_RESET and send
 * a configuration change interrupt (virtio 1.2 2.1.2). Any thread.
 */
void virtio_pci_needs_reset(struct virtio_pci *vp);
/* Stop serving queues now (quiesce): ops->stop() if started. */
void virtio_pci_stop(struct virtio_pci *vp);

#endif
