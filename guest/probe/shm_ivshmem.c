/*
 * ivshmem-doorbell as Linux guest tooling (uio_pci_generic, VFIO users
 * of QEMU's ivshmem) drives it. BAR0: 0x0 IntrMask, 0x4 IntrStatus
 * (INTx only), 0x8 IVPosition, 0xc Doorbell (peer << 16 | vector).
 * The name capability (vendor-specific, id 0x09) is
 * [id][next][len][flags = 0][name, NUL-terminated].
 */
#include "shm_ivshmem.h"
#include "apic.h"
#include "msix.h"
#include "paging.h"
#include "pci.h"
#include "print.h"
#include "trap.h"
#include "x86.h"

#define IVSHMEM_REVISION 1
#define REG_INTR_MASK 0x0
#define REG_INTR_STATUS 0x4
#define REG_IV_POSITION 0x8
#define REG_DOORBELL 0xc

#define VNDR_CAP_LEN 2
#define VNDR_CAP_FLAGS 3
#define VNDR_CAP_NAME 4

/* Fallbacks in vessel's 32-bit BAR window, if nothing assigned them. */
#define REGS_FALLBACK 0xfe200000u
#define MSIX_FALLBACK 0xfe201000u

static void read_name(struct ivshmem *d)
{
	u8 cap = pci_find_cap(d->devfn, PCI_CAP_ID_VNDR), len, i;

	d->name[0] = 0;
	if (!cap)
		return;
	len = (u8)pci_read(d->devfn, cap + VNDR_CAP_LEN, 1);
	for (i = 0; i + VNDR_CAP_NAME < len && i < IVSHMEM_NAME_MAX - 1; i++) {
		d->name[i] =
			(char)pci_read(d->devfn, cap + VNDR_CAP_NAME + i, 1);
		if (!d->name[i])
			return;
	}
	d->name[i] = 0;
}

static int enable_bar(u8 devfn, int bar, u64 fallback, u64 *addr, u64 *size,
		      const char *step)
{
	bool assigned;

	if (pci_enable_mem_bar64(devfn, bar, fallback, addr, size, &assigned)) {
		probe_fail(step, "BAR%d absent or I/O", bar);
		return -ENODEV;
	}
	probe_info("ivshmem BAR%d 0x%llx size 0x%llx%s", bar, *addr, *size,
		   assigned ? " (assigned by the probe)" : "");
	if (!paging_map_device(*addr, *size)) {
		probe_fail(step,
			   "BAR%d 0x%llx size 0x%llx: beyond the probe's "
			   "page tables",
			   bar, *addr, *size);
		return -ENODEV;
	}
	return 0;
}

int ivshmem_init(struct ivshmem *d, u64 region_fallback, const char *step)
{
	u64 size;
	u8 rev;

	if (!pci_find(IVSHMEM_VENDOR, IVSHMEM_DEVICE, &d->devfn)) {
		probe_fail(step, "no PCI device 1af4:1110 on bus 0");
		return -ENODEV;
	}
	rev = (u8)pci_read(d->devfn, PCI_REVISION_ID, 1);
	if (rev != IVSHMEM_REVISION) {
		probe_fail(step, "revision %u, want %u", rev, IVSHMEM_REVISION);
		return -ENODEV;
	}
	read_name(d);
	if (enable_bar(d->devfn, 0, REGS_FALLBACK, &d->regs, &size, step) ||
	    enable_bar(d->devfn, 2, region_fallback, &d->region,
		       &d->region_size, step))
		return -ENODEV;
	/* ivshmem-plain (QEMU) has no MSI-X, hence no BAR1. */
	d->msix = 0;
	if (pci_find_cap(d->devfn, PCI_CAP_ID_MSIX) &&
	    enable_bar(d->devfn, 1, MSIX_FALLBACK, &d->msix, &size, step))
		return -ENODEV;
	return 0;
}

u32 ivshmem_position(const struct ivshmem *d)
{
	return mmio_read32(d->regs + REG_IV_POSITION);
}

void ivshmem_ring(const struct ivshmem *d, u16 peer, u16 vector)
{
	mmio_write32(d->regs + REG_DOORBELL, (u32)peer << 16 | vector);
}

static u32 doorbells;

/* Edge-triggered MSI: nothing to clear at the device. */
static void ivshmem_irq(u8 vector)
{
	(void)vector;
	WRITE_ONCE(doorbells, doorbells + 1);
	apic_eoi();
}

u32 ivshmem_doorbells(void)
{
	return READ_ONCE(doorbells);
}

int ivshmem_enable_msix(const struct ivshmem *d, const char *step)
{
	u32 dest = apic_id();
	u8 cap = pci_find_cap(d->devfn, PCI_CAP_ID_MSIX);
	u16 flags;
	u32 table;
	u64 entry;

	if (!cap) {
		probe_fail(step, "no MSI-X capability");
		return -ENODEV;
	}
	table = pci_read(d->devfn, cap + PCI_MSIX_TABLE, 4);
	if ((table & PCI_MSIX_TABLE_BIR) != 1 || !d->msix) {
		probe_fail(step, "MSI-X table in BAR%u, want BAR1",
			   table & PCI_MSIX_TABLE_BIR);
		return -ENODEV;
	}
	entry = d->msix + (table & ~PCI_MSIX_TABLE_BIR);
	trap_set_handler(VEC_SHM, ivshmem_irq);
	/* msix_capability_init(): enable with everything masked first. */
	flags = (u16)pci_read(d->devfn, cap + PCI_MSIX_FLAGS, 2);
	pci_write(d->devfn, cap + PCI_MSIX_FLAGS, 2,
		  flags | PCI_MSIX_FLAGS_ENABLE | PCI_MSIX_FLAGS_MASKALL);
	mmio_write32(entry + PCI_MSIX_ENTRY_LOWER_ADDR,
		     MSI_ADDR_BASE | dest << MSI_ADDR_DEST_SHIFT);
	mmio_write32(entry + PCI_MSIX_ENTRY_UPPER_ADDR, 0);
	mmio_write32(entry + PCI_MSIX_ENTRY_DATA, VEC_SHM);
	mmio_write32(entry + PCI_MSIX_ENTRY_VECTOR_CTRL,
		     mmio_read32(entry + PCI_MSIX_ENTRY_VECTOR_CTRL) &
			     ~PCI_MSIX_ENTRY_CTRL_MASKBIT);
	pci_set_master(d->devfn);
	pci_write(d->devfn, cap + PCI_MSIX_FLAGS, 2,
		  (flags | PCI_MSIX_FLAGS_ENABLE) & ~PCI_MSIX_FLAGS_MASKALL);
	probe_info("ivshmem msix table 0x%llx entry 0 -> apic %u vector 0x%x",
		   entry, dest, VEC_SHM);
	return 0;
}
