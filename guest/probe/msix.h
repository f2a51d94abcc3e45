/*
 * MSI-X (PCI Local Bus Spec 3.0 6.8.2) as Linux's pci_alloc_irq_vectors()
 * leaves it: each table entry a fixed, edge-triggered message to one
 * vector on this CPU's LAPIC.
 */
#ifndef PROBE_MSIX_H
#define PROBE_MSIX_H

#include "types.h"

#define PCI_MSIX_FLAGS 2
#define PCI_MSIX_FLAGS_QSIZE 0x07ff
#define PCI_MSIX_FLAGS_ENABLE 0x8000
#define PCI_MSIX_FLAGS_MASKALL 0x4000
#define PCI_MSIX_TABLE 4
#define PCI_MSIX_PBA 8
#define PCI_MSIX_TABLE_BIR 0x7
#define PCI_MSIX_ENTRY_SIZE 16
#define PCI_MSIX_ENTRY_LOWER_ADDR 0x0
#define PCI_MSIX_ENTRY_UPPER_ADDR 0x4
#define PCI_MSIX_ENTRY_DATA 0x8
#define PCI_MSIX_ENTRY_VECTOR_CTRL 0xc
#define PCI_MSIX_ENTRY_CTRL_MASKBIT 0x1
/* x86 MSI address: 0xfee, destination APIC ID in bits 19:12. */
#define MSI_ADDR_BASE 0xfee00000u
#define MSI_ADDR_DEST_SHIFT 12

struct msix {
	u8 devfn;
	u8 cap; /* 0: no MSI-X capability */
	u16 size; /* table entries */
	u8 table_bar, pba_bar;
	u32 table_offset;
};

/* Read the capability; -ENODEV if the function has none. */
int msix_probe(struct msix *x, u8 devfn);
bool msix_enabled(const struct msix *x);
/*
 * msix_capability_init() and request_irq() in one: MSI-X enabled with
 * the function masked, entry i = @vectors[i] on this CPU for i < @n,
 * each entry unmasked, then the function unmasked. @table is where the
 * table lies (its BAR's address + table_offset). Bus mastering is the
 * caller's.
 */
void msix_enable(const struct msix *x, u64 table, const u8 *vectors, u16 n);
/* Clear Enable (pci_free_irq_vectors()): the function goes back to INTx. */
void msix_disable(const struct msix *x);

#endif
