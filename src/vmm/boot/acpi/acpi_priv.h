/* SPDX-License-Identifier: Apache-2.0 */
#ifndef VESSEL_ACPI_PRIV_H
#define VESSEL_ACPI_PRIV_H

/*
 * Table layouts (ACPI 6.4 chapter 5) and the per-table writers shared by
 * acpi.c, fadt.c, madt.c and dsdt.c. Little-endian host assumed (x86-64).
 * Every writer fills a zeroed buffer of exactly the table's length.
 */

#include "acpi.h"

#define ACPI_OEM_ID "VESSEL" /* 6 bytes */
#define ACPI_OEM_TABLE_ID "VESSELVM" /* 8 bytes */
#define ACPI_OEM_REVISION 1
#define ACPI_CREATOR_ID "VSSL"
#define ACPI_CREATOR_REVISION 1

#define ACPI_PACKED __attribute__((packed))

/* System Description Table Header, 5.2.6 (Table 5.4). */
struct acpi_header {
	char signature[4];
	u32 length;
	u8 revision;
	u8 checksum;
	char oem_id[6];
	char oem_table_id[8];
	u32 oem_revision;
	char creator_id[4];
	u32 creator_revision;
} ACPI_PACKED;

/* Generic Address Structure, 5.2.3.2 (Table 5.1). */
struct acpi_gas {
	u8 space_id;
	u8 bit_width;
	u8 bit_offset;
	u8 access_size;
	u64 address;
} ACPI_PACKED;

#define ACPI_GAS_SYSTEM_IO 1
#define ACPI_GAS_ACCESS_BYTE 1
#define ACPI_GAS_ACCESS_WORD 2
#define ACPI_GAS_ACCESS_DWORD 3

#define ACPI_RSDP_LEN 36
#define ACPI_XSDT_ENTRIES 2 /* FADT, MADT */
#define ACPI_XSDT_LEN (36 + 8 * ACPI_XSDT_ENTRIES)
#define ACPI_FADT_LEN 276
#define ACPI_FACS_LEN 64

/* Sum of @len bytes at @p, mod 256 (a valid table sums to 0). */
u8 acpi_sum(const void *p, size_t len);
/* Fill in the standard header for a table of @len bytes. */
void acpi_header_fill(struct acpi_header *h, const char *sig, u32 len,
		      u8 revision);
/* Set the header checksum of the @len-byte table at @p (5.2.6). */
void acpi_checksum_set(void *p, size_t len);

void acpi_rsdp_write(void *p, u64 xsdt_gpa);
void acpi_xsdt_write(void *p, u64 fadt_gpa, u64 madt_gpa);
void acpi_facs_write(void *p);
void acpi_fadt_write(void *p, const struct acpi_config *cfg, u64 facs_gpa,
		     u64 dsdt_gpa);

/* MADT length for @ncpus Local APICs, and its writer. */
size_t acpi_madt_len(int ncpus);
void acpi_madt_write(void *p, const struct acpi_config *cfg);

/* The DSDT's AML body (after the header) into @aml; check @aml->err. */
void acpi_dsdt_build(const struct acpi_config *cfg, struct aml *aml);
void acpi_dsdt_write(void *p, const struct aml *aml);

#endif
