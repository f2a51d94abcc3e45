/*
 * The virtio PCI transport (virtio_pci.h). Offsets are the virtio 1.2
 * structures' (4.1.4); the accesses have the widths of Linux's vp_io*
 * calls on them.
 */
#include "virtio_pci.h"
#include "apic.h"
#include "paging.h"
#include "pci.h"
#include "print.h"

/* struct virtio_pci_cap (4.1.4) */
#define CAP_CFG_TYPE 3
#define CAP_BAR 4
#define CAP_OFFSET 8
#define CAP_LENGTH 12
#define NOTIFY_CAP_MULT 16 /* struct virtio_pci_notify_cap */

#define VIRTIO_PCI_CAP_COMMON_CFG 1
#define VIRTIO_PCI_CAP_NOTIFY_CFG 2
#define VIRTIO_PCI_CAP_ISR_CFG 3
#define VIRTIO_PCI_CAP_DEVICE_CFG 4

/* struct virtio_pci_common_cfg (4.1.4.3) */
#define COMMON_DFSELECT 0
#define COMMON_DF 4
#define COMMON_GFSELECT 8
#define COMMON_GF 12
#define COMMON_MSIX 16
#define COMMON_NUMQ 18
#define COMMON_STATUS 20
#define COMMON_CFGGENERATION 21
#define COMMON_Q_SELECT 22
#define COMMON_Q_SIZE 24
#define COMMON_Q_MSIX 26
#define COMMON_Q_ENABLE 28
#define COMMON_Q_NOFF 30
#define COMMON_Q_DESCLO 32
#define COMMON_Q_DESCHI 36
#define COMMON_Q_AVAILLO 40
#define COMMON_Q_AVAILHI 44
#define COMMON_Q_USEDLO 48
#define COMMON_Q_USEDHI 52
#define COMMON_CFG_SIZE 56

#define RESET_POLL_US 1000
#define RESET_POLLS 1000

#define LOW_4G (1ull << 32)
#define WB_LIMIT (2ull << 30) /* pagetable.S maps RAM write-back below */
/*
 * Where an unassigned BAR goes (no firmware ran): a bump allocator in
 * vessel's 32-bit BAR window, above the addresses the watchdog and
 * shared-memory scenarios use.
 */
#define BAR_FALLBACK_BASE 0xfc000000ull

static u64 bar_fallback = BAR_FALLBACK_BASE;

/* The BAR decodes and the probe's page tables reach it, uncached. */
static int map_bar(struct virtio_pci *vp, int bar, const char *step)
{
	u64 addr, size;
	bool assigned;

	if (vp->bars & 1u << bar)
		return 0;
	if (pci_enable_mem_bar64(vp->devfn, bar, bar_fallback, &addr, &size,
				 &assigned))
		return -ENODEV;
	if (assigned)
		bar_fallback = addr + size;
	probe_info("virtio 00:%02x.%u BAR%d 0x%llx size 0x%llx%s",
		   PCI_SLOT(vp->devfn), PCI_FUNC(vp->devfn), bar, addr, size,
		   assigned ? " (assigned by the probe)" : "");
	if (addr < WB_LIMIT ||
	    (addr + size > LOW_4G && !paging_map_device(addr, size))) {
		probe_fail(step,
			   "BAR%d 0x%llx size 0x%llx: outside the probe's "
			   "uncached maps",
			   bar, addr, size);
		return -ERANGE;
	}
	vp->bar_addr[bar] = addr;
	vp->bar_size[bar] = size;
	vp->bars |= (u8)(1u << bar);
	return 0;
}

/*
 * virtio_pci_find_capability(): the first vendor capability of @type
 * whose BAR is a valid memory BAR; 0 if none.
 */
static u8 find_cap(struct virtio_pci *vp, u8 type, const char *step)
{
	u8 pos, bar;

	for (pos = pci_find_cap(vp->devfn, PCI_CAP_ID_VNDR); pos;
	     pos = pci_find_next_cap(vp->devfn, pos, PCI_CAP_ID_VNDR)) {
		bar = (u8)pci_read(vp->devfn, pos + CAP_BAR, 1);
		if (bar >= VIRTIO_PCI_BARS ||
		    (u8)pci_read(vp->devfn, pos + CAP_CFG_TYPE, 1) != type)
			continue;
		if (!map_bar(vp, bar, step))
			return pos;
	}
	return 0;
}

/*
 * vp_modern_map_capability(): the structure at @pos must hold @minlen
 * bytes at an offset aligned to @align, inside its BAR. Its address,
 * and its length in @len (capped at @maxlen).
 */
static int map_cap(const struct virtio_pci *vp, u8 pos, u32 minlen, u32 align,
		   u32 maxlen, u64 *addr, u32 *len, const char *step)
{
	u8 bar = (u8)pci_read(vp->devfn, pos + CAP_BAR, 1);
	u32 offset = pci_read(vp->devfn, pos + CAP_OFFSET, 4);
	u32 length = pci_read(vp->devfn, pos + CAP_LENGTH, 4);

	if (length < minlen || offset & (align - 1) ||
	    (u64)offset + minlen > vp->bar_size[bar]) {
		probe_fail(step,
			   "capability at 0x%x: BAR%u offset 0x%x length %u "
			   "(need %u, aligned to %u, in a BAR of 0x%llx)",
			   pos, bar, offset, length, minlen, align,
			   vp->bar_size[bar]);
		return -EINVAL;
	}
	/* pci_iomap_range(): what lies past the BAR's end is not mapped. */
	if (length > vp->bar_size[bar] - offset)
		length = (u32)(vp->bar_size[bar] - offset);
	*addr = vp->bar_addr[bar] + offset;
	if (len)
		*len = length < maxlen ? length : maxlen;
	return 0;
}

static int find_structures(struct virtio_pci *vp, const char *step)
{
	u8 common = find_cap(vp, VIRTIO_PCI_CAP_COMMON_CFG, step);
	u8 notify = find_cap(vp, VIRTIO_PCI_CAP_NOTIFY_CFG, step);
	u8 isr = find_cap(vp, VIRTIO_PCI_CAP_ISR_CFG, step);
	u8 device = find_cap(vp, VIRTIO_PCI_CAP_DEVICE_CFG, step);

	if (!common || !notify || !isr) {
		probe_fail(step, "capabilities: common %s, notify %s, isr %s",
			   common ? "yes" : "no", notify ? "yes" : "no",
			   isr ? "yes" : "no");
		return -ENODEV;
	}
	vp->notify_mult = pci_read(vp->devfn, notify + NOTIFY_CAP_MULT, 4);
	vp->device = 0;
	if (map_cap(vp, common, COMMON_CFG_SIZE, 4, COMMON_CFG_SIZE,
		    &vp->common, NULL, step) ||
	    map_cap(vp, isr, 1, 1, 1, &vp->isr, NULL, step) ||
	    map_cap(vp, notify, 2, 2, ~0u, &vp->notify, &vp->notify_len,
		    step) ||
	    (device && map_cap(vp, device, 0, 4, 4096, &vp->device,
			       &vp->device_len, step)))
		return -EINVAL;
	return 0;
}

static int map_msix(struct virtio_pci *vp, const char *step)
{
	vp->msix_table = 0;
	if (msix_probe(&vp->msix, vp->devfn))
		return 0;
	if (map_bar(vp, vp->msix.table_bar, step) ||
	    (u64)vp->msix.table_offset +
			    (u64)vp->msix.size * PCI_MSIX_ENTRY_SIZE >
		    vp->bar_size[vp->msix.table_bar]) {
		probe_fail(step, "MSI-X table in BAR%u at 0x%x: not in a BAR",
			   vp->msix.table_bar, vp->msix.table_offset);
		return -ENODEV;
	}
	vp->msix_table =
		vp->bar_addr[vp->msix.table_bar] + vp->msix.table_offset;
	return 0;
}

int vp_probe(struct virtio_pci *vp, u8 devfn, const char *step)
{
	vp->devfn = devfn;
	vp->bars = 0;
	if (find_structures(vp, step) || map_msix(vp, step))
		return -ENODEV;
	/* virtio_pci_probe(): the device reads and writes guest memory. */
	pci_set_master(devfn);
	probe_info("virtio 00:%02x.%u common 0x%llx notify 0x%llx (x%u, %u "
		   "bytes) isr 0x%llx device 0x%llx (%u bytes) msix %u",
		   PCI_SLOT(devfn), PCI_FUNC(devfn), vp->common, vp->notify,
		   vp->notify_mult, vp->notify_len, vp->isr, vp->device,
		   vp->device_len, vp->msix.cap ? vp->msix.size : 0);
	return 0;
}

u8 vp_get_status(const struct virtio_pci *vp)
{
	return mmio_read8(vp->common + COMMON_STATUS);
}

void vp_set_status(const struct virtio_pci *vp, u8 status)
{
	mmio_write8(vp->common + COMMON_STATUS, status);
}

void vp_add_status(const struct virtio_pci *vp, u8 bits)
{
	vp_set_status(vp, vp_get_status(vp) | bits);
}

int vp_reset(const struct virtio_pci *vp, const char *step)
{
	u32 polls;
	u8 status;

	vp_set_status(vp, 0);
	for (polls = 0; (status = vp_get_status(vp)); polls++) {
		if (polls == RESET_POLLS) {
			probe_fail(step,
				   "device_status 0x%02x %u ms after "
				   "the reset",
				   status, RESET_POLLS * RESET_POLL_US / 1000);
			return -ETIMEDOUT;
		}
		apic_udelay(RESET_POLL_US);
	}
	return 0;
}

u64 vp_get_features(const struct virtio_pci *vp)
{
	u64 features;

	mmio_write32(vp->common + COMMON_DFSELECT, 0);
	features = mmio_read32(vp->common + COMMON_DF);
	mmio_write32(vp->common + COMMON_DFSELECT, 1);
	return features | (u64)mmio_read32(vp->common + COMMON_DF) << 32;
}

void vp_set_features(const struct virtio_pci *vp, u64 features)
{
	mmio_write32(vp->common + COMMON_GFSELECT, 0);
	mmio_write32(vp->common + COMMON_GF, (u32)features);
	mmio_write32(vp->common + COMMON_GFSELECT, 1);
	mmio_write32(vp->common + COMMON_GF, (u32)(features >> 32));
}

u8 vp_generation(const struct virtio_pci *vp)
{
	return mmio_read8(vp->common + COMMON_CFGGENERATION);
}

u8 vp_cfg_read8(const struct virtio_pci *vp, u32 off)
{
	return mmio_read8(vp->device + off);
}

u16 vp_cfg_read16(const struct virtio_pci *vp, u32 off)
{
	return mmio_read16(vp->device + off);
}

u32 vp_cfg_read32(const struct virtio_pci *vp, u32 off)
{
	return mmio_read32(vp->device + off);
}

u64 vp_cfg_read64(const struct virtio_pci *vp, u32 off)
{
	u8 gen;
	u64 v;

	do {
		gen = vp_generation(vp);
		v = mmio_read32(vp->device + off);
		v |= (u64)mmio_read32(vp->device + off + 4) << 32;
	} while (vp_generation(vp) != gen);
	return v;
}

u16 vp_config_vector(const struct virtio_pci *vp, u16 vector)
{
	mmio_write16(vp->common + COMMON_MSIX, vector);
	return mmio_read16(vp->common + COMMON_MSIX);
}

int vp_queue_size(const struct virtio_pci *vp, u16 index, u16 *size,
		  const char *step)
{
	u16 num, queues = mmio_read16(vp->common + COMMON_NUMQ);

	if (index >= queues) {
		probe_fail(step, "queue %u: the device has %u", index, queues);
		return -ENOENT;
	}
	mmio_write16(vp->common + COMMON_Q_SELECT, index);
	num = mmio_read16(vp->common + COMMON_Q_SIZE);
	if (!num || mmio_read16(vp->common + COMMON_Q_ENABLE)) {
		probe_fail(step, "queue %u: size %u, %s", index, num,
			   num ? "already enabled" : "absent");
		return -ENOENT;
	}
	if (num & (num - 1)) {
		probe_fail(step, "queue %u: size %u not a power of 2", index,
			   num);
		return -EINVAL;
	}
	*size = num;
	return 0;
}

static void write64_split(u64 addr, u64 v)
{
	mmio_write32(addr, (u32)v);
	mmio_write32(addr + 4, (u32)(v >> 32));
}

int vp_queue_activate(const struct virtio_pci *vp, u16 index, u16 size,
		      u64 desc, u64 driver, u64 device, u64 *notify_addr,
		      const char *step)
{
	u16 off;

	mmio_write16(vp->common + COMMON_Q_SELECT, index);
	mmio_write16(vp->common + COMMON_Q_SIZE, size);
	write64_split(vp->common + COMMON_Q_DESCLO, desc);
	write64_split(vp->common + COMMON_Q_AVAILLO, driver);
	write64_split(vp->common + COMMON_Q_USEDLO, device);
	off = mmio_read16(vp->common + COMMON_Q_NOFF);
	/* vp_modern_map_vq_notify(): the 2-byte write must fit. */
	if ((u64)off * vp->notify_mult + 2 > vp->notify_len) {
		probe_fail(step,
			   "queue %u: notify offset %u x %u outside the %u "
			   "bytes of the notify structure",
			   index, off, vp->notify_mult, vp->notify_len);
		return -EINVAL;
	}
	*notify_addr = vp->notify + (u64)off * vp->notify_mult;
	return 0;
}

u16 vp_queue_vector(const struct virtio_pci *vp, u16 index, u16 vector)
{
	mmio_write16(vp->common + COMMON_Q_SELECT, index);
	mmio_write16(vp->common + COMMON_Q_MSIX, vector);
	return mmio_read16(vp->common + COMMON_Q_MSIX);
}

void vp_queue_enable(const struct virtio_pci *vp, u16 index)
{
	mmio_write16(vp->common + COMMON_Q_SELECT, index);
	mmio_write16(vp->common + COMMON_Q_ENABLE, 1);
}

u8 vp_isr_read(const struct virtio_pci *vp)
{
	return mmio_read8(vp->isr);
}

int vp_enable_msix(struct virtio_pci *vp, const u8 *vectors, u16 n,
		   const char *step)
{
	if (!vp->msix_table || vp->msix.size < n) {
		probe_fail(step, "MSI-X: %u vectors, need %u",
			   vp->msix_table ? vp->msix.size : 0, n);
		return -ENODEV;
	}
	msix_enable(&vp->msix, vp->msix_table, vectors, n);
	probe_info("virtio msix table 0x%llx: %u entries to apic %u",
		   vp->msix_table, n, apic_id());
	return 0;
}
