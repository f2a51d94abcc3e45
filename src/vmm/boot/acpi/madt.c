// SPDX-License-Identifier: Apache-2.0
/*
 * Multiple APIC Description Table, revision 5 (ACPI 6.4 section 5.2.12):
 * one Local APIC per vCPU, the I/O APIC, the ISA interrupt overrides and
 * the LINT1 NMI, as the PC platform with an IOAPIC wires them.
 */
#include "acpi.h"
#include "acpi_priv.h"

#include <string.h>

#include "../layout.h"

#define MADT_PCAT_COMPAT (1u << 0) /* dual 8259s present (Table 5.20) */

/* Interrupt controller structure types, Table 5.21. */
#define MADT_LOCAL_APIC 0
#define MADT_IO_APIC 1
#define MADT_INT_SRC_OVERRIDE 2
#define MADT_LOCAL_APIC_NMI 4

#define MADT_LAPIC_ENABLED (1u << 0) /* Table 5.23 */

/* MPS INTI flags, Table 5.26: polarity bits 1:0, trigger mode bits 3:2. */
#define MPS_INTI_CONFORMS 0x0000
#define MPS_INTI_ACTIVE_HIGH 0x0001
#define MPS_INTI_EDGE 0x0004
#define MPS_INTI_LEVEL 0x000c

struct madt_header {
	struct acpi_header h;
	u32 local_apic_address;
	u32 flags;
} ACPI_PACKED;

/* Processor Local APIC Structure, 5.2.12.2. */
struct madt_local_apic {
	u8 type, length;
	u8 acpi_processor_uid;
	u8 apic_id;
	u32 flags;
} ACPI_PACKED;

/* I/O APIC Structure, 5.2.12.3. */
struct madt_io_apic {
	u8 type, length;
	u8 io_apic_id;
	u8 reserved;
	u32 io_apic_address;
	u32 gsi_base;
} ACPI_PACKED;

/* Interrupt Source Override Structure, 5.2.12.5. */
struct madt_int_src_override {
	u8 type, length;
	u8 bus; /* 0: ISA */
	u8 source;
	u32 gsi;
	u16 flags;
} ACPI_PACKED;

/* Local APIC NMI Structure, 5.2.12.7. */
struct madt_local_apic_nmi {
	u8 type, length;
	u8 acpi_processor_uid; /* 0xff: all processors */
	u16 flags;
	u8 local_apic_lint;
} ACPI_PACKED;

_Static_assert(sizeof(struct madt_header) == 44, "MADT layout");
_Static_assert(sizeof(struct madt_local_apic) == 8, "MADT LAPIC layout");
_Static_assert(sizeof(struct madt_io_apic) == 12, "MADT IOAPIC layout");
_Static_assert(sizeof(struct madt_int_src_override) == 10, "MADT ISO layout");
_Static_assert(sizeof(struct madt_local_apic_nmi) == 6, "MADT NMI layout");

/*
 * ISA IRQ 0 (the PIT) arrives on IOAPIC pin 2 as on every PC since the
 * APIC (MP spec 1.4 5.3); IRQ 9, the SCI, is level-triggered active high
 * (5.2.9: SCI_INT is "sharable, level, active low" unless overridden,
 * and our PM device drives it active high).
 */
static const struct madt_int_src_override madt_overrides[] = {
	{ MADT_INT_SRC_OVERRIDE, sizeof(struct madt_int_src_override), 0, 0, 2,
	  MPS_INTI_CONFORMS },
	{ MADT_INT_SRC_OVERRIDE, sizeof(struct madt_int_src_override), 0,
	  SCI_IRQ, SCI_IRQ, MPS_INTI_ACTIVE_HIGH | MPS_INTI_LEVEL },
};

size_t acpi_madt_len(int ncpus)
{
	return sizeof(struct madt_header) +
	       (size_t)ncpus * sizeof(struct madt_local_apic) +
	       sizeof(struct madt_io_apic) + sizeof(madt_overrides) +
	       sizeof(struct madt_local_apic_nmi);
}

/* vCPU i has ACPI Processor UID i (= the DSDT's Cxxx _UID) and APIC ID i. */
static u8 *madt_put_cpus(u8 *p, int ncpus)
{
	struct madt_local_apic *e;
	int i;

	for (i = 0; i < ncpus; i++, p += sizeof(*e)) {
		e = (struct madt_local_apic *)p;
		e->type = MADT_LOCAL_APIC;
		e->length = sizeof(*e);
		e->acpi_processor_uid = (u8)i;
		e->apic_id = (u8)i;
		e->flags = MADT_LAPIC_ENABLED;
	}
	return p;
}

static u8 *madt_put_io_apic(u8 *p)
{
	struct madt_io_apic *e = (struct madt_io_apic *)p;

	e->type = MADT_IO_APIC;
	e->length = sizeof(*e);
	e->io_apic_id = 0;
	e->io_apic_address = (u32)IOAPIC_BASE;
	e->gsi_base = 0;
	return p + sizeof(*e);
}

/* LINT1 of every LAPIC is the NMI input (virtual wire mode, MP spec). */
static u8 *madt_put_nmi(u8 *p)
{
	struct madt_local_apic_nmi *e = (struct madt_local_apic_nmi *)p;

	e->type = MADT_LOCAL_APIC_NMI;
	e->length = sizeof(*e);
	e->acpi_processor_uid = 0xff;
	e->flags = MPS_INTI_ACTIVE_HIGH | MPS_INTI_EDGE;
	e->local_apic_lint = 1;
	return p + sizeof(*e);
}

void acpi_madt_write(void *p, const struct acpi_config *cfg)
{
	struct madt_header *m = p;
	size_t len = acpi_madt_len(cfg->ncpus);
	u8 *e = (u8 *)p + sizeof(*m);

	acpi_header_fill(&m->h, "APIC", (u32)len, 5);
	m->local_apic_address = (u32)LAPIC_BASE;
	m->flags = MADT_PCAT_COMPAT;
	e = madt_put_cpus(e, cfg->ncpus);
	e = madt_put_io_apic(e);
	memcpy(e, madt_overrides, sizeof(madt_overrides));
	e += sizeof(madt_overrides);
	madt_put_nmi(e);
	acpi_checksum_set(m, len);
}
