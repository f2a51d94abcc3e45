/*
 * QEMU's ivshmem-doorbell (docs/specs/ivshmem-spec.rst), PCI 1af4:1110
 * revision 1: BAR0 registers, BAR1 MSI-X, BAR2 the shared region. vessel
 * adds the region's name in a vendor-specific capability.
 */
#ifndef PROBE_SHM_IVSHMEM_H
#define PROBE_SHM_IVSHMEM_H

#include "types.h"

#define IVSHMEM_VENDOR 0x1af4
#define IVSHMEM_DEVICE 0x1110
#define IVSHMEM_NAME_MAX 64

struct ivshmem {
	u8 devfn;
	u64 regs; /* BAR0 */
	u64 msix; /* BAR1, 0 without MSI-X */
	u64 region, region_size; /* BAR2 */
	char name[IVSHMEM_NAME_MAX]; /* "" if the capability is absent */
};

/*
 * Find the device, check the revision, read the name capability, enable
 * BAR0, BAR1 (if there is MSI-X) and BAR2 (an unassigned BAR2 goes to @region_fallback,
 * aligned up to its size) and map BAR2. 0, or -ENODEV after a FAIL line
 * in @step.
 */
int ivshmem_init(struct ivshmem *d, u64 region_fallback, const char *step);
/* IVPosition: this peer's id. */
u32 ivshmem_position(const struct ivshmem *d);
/* Doorbell: ring @vector of @peer. */
void ivshmem_ring(const struct ivshmem *d, u16 peer, u16 vector);
/*
 * MSI-X as Linux's pci_alloc_irq_vectors() leaves it for one vector:
 * table entry 0 to VEC_SHM on this CPU's LAPIC (fixed, edge), entry 0
 * unmasked, MSI-X enabled, the function unmasked, bus mastering on; each
 * message counts in ivshmem_doorbells(). -ENODEV after a FAIL line in
 * @step if there is no MSI-X capability with its table in BAR1.
 */
int ivshmem_enable_msix(const struct ivshmem *d, const char *step);
/* MSI-X messages taken since ivshmem_enable_msix(). */
u32 ivshmem_doorbells(void);

#endif
