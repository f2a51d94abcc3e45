/* SPDX-License-Identifier: Apache-2.0 */
#ifndef VESSEL_ACPI_H
#define VESSEL_ACPI_H

/*
 * The guest's ACPI tables (ACPI 6.4): RSDP, XSDT, FADT, FACS, DSDT and
 * MADT, built into the reserved BIOS area of guest RAM. Pure code: writes
 * guest memory through struct gmem only.
 */

#include "../../../common/types.h"
#include "../../gmem.h"
#include "aml.h"

#define ACPI_MAX_CPUS 254 /* xAPIC IDs 0..253; 0xff is the broadcast ID */

struct acpi_config {
	int ncpus; /* 1..254: MADT Local APIC entries with APIC IDs 0..n-1 */
	/* Fixed-feature power button present (FADT flag PWR_BUTTON clear). */
	bool power_button;
	u64 mmio64_base, mmio64_size; /* 64-bit PCI window (0 size: none) */
	/* Optional: called inside Scope(\_SB) to append devices' AML. */
	void (*dsdt_devices)(void *ctx, struct aml *aml);
	void *ctx;
};

/*
 * Write the RSDP at ACPI_TABLES_START, then XSDT, FADT, FACS, DSDT, MADT,
 * all inside [ACPI_TABLES_START, ACPI_TABLES_END) of guest RAM; the rest
 * of that area is zeroed. Sets *@rsdp_gpa for the boot protocols
 * (boot_params.acpi_rsdp_addr, PVH rsdp_paddr).
 * Returns 0, -EINVAL for a bad @cfg or bad AML from dsdt_devices, -E2BIG
 * when the tables do not fit (or guest RAM does not cover the area),
 * -ENOMEM; on error, one line is written to @err.
 */
int acpi_build(struct gmem *gm, const struct acpi_config *cfg, u64 *rsdp_gpa,
	       char *err, size_t errlen);

#endif
