/* ACPI table discovery as an OS does it (ACPI 6.5 chapter 5.2). */
#ifndef PROBE_ACPI_H
#define PROBE_ACPI_H

#include "types.h"

/* Generic Address Structure, ACPI 6.5 5.2.3.2. */
struct acpi_gas {
	u8 space_id;
	u8 bit_width;
	u8 bit_offset;
	u8 access_size;
	u64 address;
} __packed;

#define ACPI_GAS_MEMORY 0
#define ACPI_GAS_IO 1
#define ACPI_GAS_PCI_CONFIG 2

/* System description table header, ACPI 6.5 5.2.6. */
struct acpi_sdt {
	char signature[4];
	u32 length;
	u8 revision;
	u8 checksum;
	char oem_id[6];
	char oem_table_id[8];
	u32 oem_revision;
	u32 creator_id;
	u32 creator_revision;
} __packed;

/* FADT flags, ACPI 6.5 table 5.10. */
#define FADT_PWR_BUTTON (1u << 4) /* set: no fixed-feature power button */
#define FADT_RESET_REG_SUP (1u << 10)
#define FADT_HW_REDUCED_ACPI (1u << 20)

/* What the probe uses, FADT registers already in GAS form. */
struct acpi_info {
	u64 rsdp;
	const char *rsdp_source; /* "start_info", "ebda" or "bios" */
	const struct acpi_sdt *root; /* XSDT, or RSDT for revision 0 */
	const struct acpi_sdt *fadt;
	const struct acpi_sdt *dsdt;
	const struct acpi_sdt *madt; /* NULL if absent */
	u32 fadt_flags;
	u16 sci_int; /* the SCI's ISA IRQ (8259 mode) */
	u32 smi_cmd; /* I/O port; 0: no mode transition (ACPI-only) */
	u8 acpi_enable, acpi_disable; /* values for SMI_CMD */
	struct acpi_gas pm1a_sts, pm1b_sts; /* status halves of PM1x_EVT */
	struct acpi_gas pm1a_en, pm1b_en; /* enable halves of PM1x_EVT */
	struct acpi_gas pm1a_cnt, pm1b_cnt;
	struct acpi_gas reset_reg;
	u8 reset_value;
	struct acpi_gas sleep_control, sleep_status; /* HW-reduced only */
};

/*
 * Find and checksum RSDP, XSDT/RSDT, FADT, DSDT and (if present) MADT,
 * using @rsdp_hint (start_info.rsdp_paddr) when nonzero. Returns 0, or
 * -errno after printing a FAIL line that names the table.
 */
int acpi_init(struct acpi_info *ai, u64 rsdp_hint);
/* Sum of @len bytes modulo 256: zero for a valid ACPI checksum. */
u8 acpi_checksum(const void *p, u32 len);

/* True if the GAS describes a register at all. */
bool gas_valid(const struct acpi_gas *g);
/* Access a GAS register in I/O, memory or PCI config space. */
int gas_read(const struct acpi_gas *g, u64 *val);
int gas_write(const struct acpi_gas *g, u64 val);
/* "io 0x604/16" style text for INFO lines. */
void gas_format(const struct acpi_gas *g, char *buf, size_t size);

#endif
