/* I/O APIC redirection (82093AA datasheet) for ISA interrupts. */
#ifndef PROBE_IOAPIC_H
#define PROBE_IOAPIC_H

#include "madt.h"

/*
 * Route ISA IRQ @irq to @vector on the LAPIC @dest, honouring the MADT's
 * interrupt source overrides as Linux's mp_override_legacy_irq() does.
 * Returns 0, or -ENODEV after a FAIL line if no I/O APIC serves the GSI.
 */
int ioapic_route_isa(const struct madt_info *m, u8 irq, u8 vector, u32 dest);
/* The same for the SCI on ISA IRQ @irq (FADT SCI_INT): level, active low. */
int ioapic_route_sci(const struct madt_info *m, u8 irq, u8 vector, u32 dest);
/* Mask the pin that ioapic_route_isa() programmed for @irq. */
void ioapic_mask_isa(const struct madt_info *m, u8 irq);
/*
 * Route a PCI INTx line, given as its GSI (the _PRT's, which the
 * Interrupt Line register repeats), to @vector: level triggered, active
 * low, as Linux's acpi_pci_irq_enable() for a GSI without a link device.
 */
int ioapic_route_pci(const struct madt_info *m, u32 gsi, u8 vector, u32 dest);
/* Mask the pin of @gsi. */
void ioapic_mask_gsi(const struct madt_info *m, u32 gsi);

#endif
