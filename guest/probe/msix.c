/* MSI-X set-up (msix.h). */
#include "msix.h"
#include "apic.h"
#include "pci.h"
#include "x86.h"

int msix_probe(struct msix *x, u8 devfn)
{
	u32 table, pba;

	x->devfn = devfn;
	x->cap = pci_find_cap(devfn, PCI_CAP_ID_MSIX);
	if (!x->cap)
		return -ENODEV;
	x->size = (u16)((pci_read(devfn, x->cap + PCI_MSIX_FLAGS, 2) &
			 PCI_MSIX_FLAGS_QSIZE) +
			1);
	table = pci_read(devfn, x->cap + PCI_MSIX_TABLE, 4);
	pba = pci_read(devfn, x->cap + PCI_MSIX_PBA, 4);
	x->table_bar = table & PCI_MSIX_TABLE_BIR;
	x->table_offset = table & ~PCI_MSIX_TABLE_BIR;
	x->pba_bar = pba & PCI_MSIX_TABLE_BIR;
	return 0;
}

static u16 msix_flags(const struct msix *x)
{
	return (u16)pci_read(x->devfn, x->cap + PCI_MSIX_FLAGS, 2);
}

bool msix_enabled(const struct msix *x)
{
	return x->cap && (msix_flags(x) & PCI_MSIX_FLAGS_ENABLE);
}

void msix_enable(const struct msix *x, u64 table, const u8 *vectors, u16 n)
{
	u16 flags = msix_flags(x);
	u32 dest = apic_id();
	u64 entry;
	u16 i;

	pci_write(x->devfn, x->cap + PCI_MSIX_FLAGS, 2,
		  flags | PCI_MSIX_FLAGS_ENABLE | PCI_MSIX_FLAGS_MASKALL);
	for (i = 0; i < n; i++) {
		entry = table + (u64)i * PCI_MSIX_ENTRY_SIZE;
		mmio_write32(entry + PCI_MSIX_ENTRY_LOWER_ADDR,
			     MSI_ADDR_BASE | dest << MSI_ADDR_DEST_SHIFT);
		mmio_write32(entry + PCI_MSIX_ENTRY_UPPER_ADDR, 0);
		mmio_write32(entry + PCI_MSIX_ENTRY_DATA, vectors[i]);
		mmio_write32(entry + PCI_MSIX_ENTRY_VECTOR_CTRL,
			     mmio_read32(entry + PCI_MSIX_ENTRY_VECTOR_CTRL) &
				     ~PCI_MSIX_ENTRY_CTRL_MASKBIT);
	}
	pci_write(x->devfn, x->cap + PCI_MSIX_FLAGS, 2,
		  (flags | PCI_MSIX_FLAGS_ENABLE) & ~PCI_MSIX_FLAGS_MASKALL);
}

void msix_disable(const struct msix *x)
{
	if (x->cap)
		pci_write(x->devfn, x->cap + PCI_MSIX_FLAGS, 2,
			  msix_flags(x) & ~(PCI_MSIX_FLAGS_ENABLE |
					    PCI_MSIX_FLAGS_MASKALL));
}
