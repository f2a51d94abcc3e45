/* Multiple APIC Description Table (ACPI 6.5 5.2.12). */
#ifndef PROBE_MADT_H
#define PROBE_MADT_H

#include "acpi.h"
#include "layout.h"

#define MADT_MAX_IOAPICS 8
#define MADT_MAX_ISOS 16

struct madt_ioapic {
	u8 id;
	u32 address;
	u32 gsi_base;
};

/* Interrupt Source Override, ACPI 6.5 5.2.12.5. */
struct madt_iso {
	u8 bus;
	u8 source;
	u32 gsi;
	u16 flags; /* MPS INTI flags: polarity 1:0, trigger mode 3:2 */
};

#define MPS_POLARITY_MASK 0x3
#define MPS_POLARITY_HIGH 0x1
#define MPS_POLARITY_LOW 0x3
#define MPS_TRIGGER_MASK 0xc
#define MPS_TRIGGER_EDGE 0x4
#define MPS_TRIGGER_LEVEL 0xc

struct madt_info {
	u64 lapic_address;
	/* Enabled processors (Local APIC and Local x2APIC, flags bit 0). */
	u32 nr_cpus;
	u32 apic_ids[MAX_CPUS]; /* the first MAX_CPUS of them */
	u32 nr_ioapics;
	struct madt_ioapic ioapics[MADT_MAX_IOAPICS];
	u32 nr_isos;
	struct madt_iso isos[MADT_MAX_ISOS];
};

/*
 * Parse the (already checksummed) MADT @t into @m. Returns 0, or -EINVAL
 * after a FAIL line if an entry is malformed.
 */
int madt_parse(const struct acpi_sdt *t, struct madt_info *m);

#endif
