/*
 * The virtio 1.x PCI transport, driven as Linux's virtio_pci_modern_dev.c
 * and virtio_pci_modern.c drive it (virtio 1.2 section 4.1). Every
 * structure is found through the vendor capabilities, never at a fixed
 * BAR: QEMU puts them in 64-bit BAR 4, vessel in a 32-bit BAR.
 */
#ifndef PROBE_VIRTIO_PCI_H
#define PROBE_VIRTIO_PCI_H

#include "msix.h"
#include "types.h"
#include "x86.h"

#define VIRTIO_PCI_VENDOR 0x1af4
/* Modern-only device IDs: 0x1040 + the virtio device ID (4.1.2.1). */
#define VIRTIO_PCI_DEVICE_BLK 0x1042

/* Device status bits (2.1). */
#define VIRTIO_CONFIG_S_ACKNOWLEDGE 0x01
#define VIRTIO_CONFIG_S_DRIVER 0x02
#define VIRTIO_CONFIG_S_DRIVER_OK 0x04
#define VIRTIO_CONFIG_S_FEATURES_OK 0x08
#define VIRTIO_CONFIG_S_NEEDS_RESET 0x40
#define VIRTIO_CONFIG_S_FAILED 0x80

#define VIRTIO_F_VERSION_1 32
#define VIRTIO_MSI_NO_VECTOR 0xffff

/* ISR status bits (4.1.4.5), read-to-clear. */
#define VIRTIO_PCI_ISR_QUEUE 0x1
#define VIRTIO_PCI_ISR_CONFIG 0x2

#define VIRTIO_PCI_BARS 6

struct virtio_pci {
	u8 devfn;
	u8 bars; /* bit i: BAR i sized, enabled and mapped */
	u64 bar_addr[VIRTIO_PCI_BARS], bar_size[VIRTIO_PCI_BARS];
	u64 common; /* struct virtio_pci_common_cfg */
	u64 notify; /* notification area: queue_notify_off * notify_mult */
	u32 notify_len, notify_mult;
	u64 isr;
	u64 device; /* device-specific configuration, 0 if absent */
	u32 device_len;
	struct msix msix;
	u64 msix_table; /* 0 without MSI-X */
};

/*
 * vp_modern_probe(): find the common, notify, ISR and device capabilities
 * (the first of each type whose BAR is a usable memory BAR), check each
 * lies inside its BAR, enable and map those BARs and the MSI-X table's,
 * set bus mastering. 0, or -ENODEV after a FAIL line in @step.
 */
int vp_probe(struct virtio_pci *vp, u8 devfn, const char *step);

u8 vp_get_status(const struct virtio_pci *vp);
void vp_set_status(const struct virtio_pci *vp, u8 status);
/* virtio_add_status(): read, or in @bits, write back. */
void vp_add_status(const struct virtio_pci *vp, u8 bits);
/*
 * vp_reset(): write 0, then read until it reads 0 (1 ms apart, for at
 * most 1 s: -ETIMEDOUT after a FAIL line in @step).
 */
int vp_reset(const struct virtio_pci *vp, const char *step);

/* Both 32-bit halves of device_feature, through device_feature_select. */
u64 vp_get_features(const struct virtio_pci *vp);
/* Both halves of driver_feature, low first. */
void vp_set_features(const struct virtio_pci *vp, u64 features);

u8 vp_generation(const struct virtio_pci *vp);
/* Device configuration fields; @off must lie within device_len. */
u8 vp_cfg_read8(const struct virtio_pci *vp, u32 off);
u16 vp_cfg_read16(const struct virtio_pci *vp, u32 off);
u32 vp_cfg_read32(const struct virtio_pci *vp, u32 off);
/*
 * An 8-byte field as __virtio_cread_many() reads it: two 32-bit reads,
 * repeated until config_generation reads the same before and after.
 */
u64 vp_cfg_read64(const struct virtio_pci *vp, u32 off);

/* msix_config = @vector, read back: VIRTIO_MSI_NO_VECTOR means refused. */
u16 vp_config_vector(const struct virtio_pci *vp, u16 vector);

/*
 * Select queue @index and read its size: 0 (no such queue) or a queue
 * already enabled is -ENOENT, a size not a power of two -EINVAL, after
 * a FAIL line in @step (setup_vq()).
 */
int vp_queue_size(const struct virtio_pci *vp, u16 index, u16 *size,
		  const char *step);
/*
 * vp_active_vq(): queue_size = @size, the three ring addresses (each as
 * two 32-bit writes, low first), and the queue's notification address
 * from queue_notify_off; -EINVAL after a FAIL line if that falls outside
 * the notify structure.
 */
int vp_queue_activate(const struct virtio_pci *vp, u16 index, u16 size,
		      u64 desc, u64 driver, u64 device, u64 *notify_addr,
		      const char *step);
/* queue_msix_vector = @vector, read back (VIRTIO_MSI_NO_VECTOR: refused). */
u16 vp_queue_vector(const struct virtio_pci *vp, u16 index, u16 vector);
void vp_queue_enable(const struct virtio_pci *vp, u16 index);

/* The ISR status byte; reading it clears it and lowers INTx. */
u8 vp_isr_read(const struct virtio_pci *vp);

/* vp_notify(): the queue's index, 16 bits, to its notification address. */
static inline void vp_notify(u64 notify_addr, u16 index)
{
	mmio_write16(notify_addr, index);
}

/*
 * MSI-X on, table entry i to @vectors[i] on this CPU; -ENODEV after a
 * FAIL line in @step if the function has no MSI-X or fewer entries.
 */
int vp_enable_msix(struct virtio_pci *vp, const u8 *vectors, u16 n,
		   const char *step);

#endif
