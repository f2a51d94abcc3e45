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

#endif
