// SPDX-License-Identifier: Apache-2.0
/*
 * ACPI table layout and the small tables: RSDP, XSDT, FACS (ACPI 6.4
 * section 5.2). The FADT, MADT and DSDT have their own files.
 *
 * Only an XSDT is provided (RsdtAddress 0): every OS that runs on an
 * x86-64 VM with a revision 6 FADT reads the XSDT (5.2.5.3 and 5.2.8 say
 * an ACPI 2.0+ OS must use it when present), and a second root table would
 * only be one more list to keep in sync. Firecracker and cloud-hypervisor
 * do the same.
 */
#include "acpi.h"
#include "acpi_priv.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "../layout.h"

#define ACPI_AREA_SIZE (ACPI_TABLES_END - ACPI_TABLES_START)

/* Offsets of each table from ACPI_TABLES_START, in writing order. */
struct acpi_layout {
	size_t rsdp, xsdt, fadt, facs, dsdt, madt, end;
	size_t dsdt_len, madt_len;
};

u8 acpi_sum(const void *p, size_t len)
{
	const u8 *b = p;
	u8 sum = 0;

	while (len--)
		sum = (u8)(sum + *b++);
	return sum;
}

void acpi_header_fill(struct acpi_header *h, const char *sig, u32 len,
		      u8 revision)
{
	memcpy(h->signature, sig, 4);
	h->length = len;
	h->revision = revision;
	memcpy(h->oem_id, ACPI_OEM_ID, 6);
	memcpy(h->oem_table_id, ACPI_OEM_TABLE_ID, 8);
	h->oem_revision = ACPI_OEM_REVISION;
	memcpy(h->creator_id, ACPI_CREATOR_ID, 4);
	h->creator_revision = ACPI_CREATOR_REVISION;
}

void acpi_checksum_set(void *p, size_t len)
{
	struct acpi_header *h = p;

	h->checksum = 0;
	h->checksum = (u8)-acpi_sum(p, len);
}

/* Root System Description Pointer, 5.2.5.3 (Table 5.3). */
struct acpi_rsdp {
	char signature[8];
	u8 checksum; /* over the first 20 bytes (the ACPI 1.0 part) */
	char oem_id[6];
	u8 revision;
	u32 rsdt_address;
	u32 length;
	u64 xsdt_address;
	u8 extended_checksum; /* over all 36 bytes */
	u8 reserved[3];
} ACPI_PACKED;

_Static_assert(sizeof(struct acpi_header) == 36, "ACPI header layout");
_Static_assert(sizeof(struct acpi_gas) == 12, "GAS layout");
_Static_assert(sizeof(struct acpi_rsdp) == ACPI_RSDP_LEN, "RSDP layout");

void acpi_rsdp_write(void *p, u64 xsdt_gpa)
{
	struct acpi_rsdp *r = p;

	memcpy(r->signature, "RSD PTR ", 8);
	memcpy(r->oem_id, ACPI_OEM_ID, 6);
	r->revision = 2; /* ACPI 2.0+ layout with XsdtAddress */
	r->length = ACPI_RSDP_LEN;
	r->xsdt_address = xsdt_gpa;
	r->checksum = (u8)-acpi_sum(r, 20);
	r->extended_checksum = (u8)-acpi_sum(r, ACPI_RSDP_LEN);
}

/* XSDT, 5.2.8: the header, then 64-bit table addresses. */
void acpi_xsdt_write(void *p, u64 fadt_gpa, u64 madt_gpa)
{
	u64 entry[ACPI_XSDT_ENTRIES] = { fadt_gpa, madt_gpa };

	acpi_header_fill(p, "XSDT", ACPI_XSDT_LEN, 1);
	/* Entries start at offset 36: unaligned, hence memcpy. */
	memcpy((u8 *)p + sizeof(struct acpi_header), entry, sizeof(entry));
	acpi_checksum_set(p, ACPI_XSDT_LEN);
}

/* Firmware ACPI Control Structure, 5.2.10 (Table 5.14); no checksum. */
struct acpi_facs {
	char signature[4];
	u32 length;
	u32 hardware_signature;
	u32 firmware_waking_vector;
	u32 global_lock;
	u32 flags;
	u64 x_firmware_waking_vector;
	u8 version;
	u8 reserved0[3];
	u32 ospm_flags;
	u8 reserved1[24];
} ACPI_PACKED;

_Static_assert(sizeof(struct acpi_facs) == ACPI_FACS_LEN, "FACS layout");

/*
 * No S4BIOS, no waking vector (no S3): the OS still expects the FACS on
 * a non-hardware-reduced platform, for the Global Lock.
 */
void acpi_facs_write(void *p)
{
	struct acpi_facs *f = p;

	memcpy(f->signature, "FACS", 4);
	f->length = ACPI_FACS_LEN;
	f->version = 2; /* ACPI 6.4 */
}

static int acpi_check_config(const struct acpi_config *cfg, char *err,
			     size_t errlen)
{
	if (cfg->ncpus < 1 || cfg->ncpus > ACPI_MAX_CPUS) {
		snprintf(err, errlen, "%d CPUs, must be 1 to %d", cfg->ncpus,
			 ACPI_MAX_CPUS);
		return -EINVAL;
	}
	if (cfg->mmio64_size &&
	    cfg->mmio64_base + cfg->mmio64_size - 1 < cfg->mmio64_base) {
		snprintf(err, errlen,
			 "64-bit PCI window 0x%llx+0x%llx wraps around",
			 (unsigned long long)cfg->mmio64_base,
			 (unsigned long long)cfg->mmio64_size);
		return -EINVAL;
	}
	return 0;
}

/*
 * Place the tables one after the other: 16-byte aligned (the RSDP must
 * be, 5.2.5.1) and the FACS 64-byte aligned (5.2.10). False when they
 * run past the area.
 */
static bool acpi_layout_plan(struct acpi_layout *l, size_t dsdt_aml_len,
			     int ncpus)
{
	l->dsdt_len = sizeof(struct acpi_header) + dsdt_aml_len;
	l->madt_len = acpi_madt_len(ncpus);
	l->rsdp = 0;
	l->xsdt = ALIGN_UP(l->rsdp + ACPI_RSDP_LEN, 16);
	l->fadt = ALIGN_UP(l->xsdt + ACPI_XSDT_LEN, 16);
	l->facs = ALIGN_UP(l->fadt + ACPI_FADT_LEN, 64);
	l->dsdt = ALIGN_UP(l->facs + ACPI_FACS_LEN, 16);
	if (l->dsdt_len > ACPI_AREA_SIZE)
		return false;
	l->madt = ALIGN_UP(l->dsdt + l->dsdt_len, 16);
	l->end = l->madt + l->madt_len;
	return l->end <= ACPI_AREA_SIZE;
}

static void acpi_tables_write(u8 *area, const struct acpi_layout *l,
			      const struct acpi_config *cfg,
			      const struct aml *dsdt)
{
	const u64 base = ACPI_TABLES_START;

	memset(area, 0, ACPI_AREA_SIZE);
	acpi_rsdp_write(area + l->rsdp, base + l->xsdt);
	acpi_xsdt_write(area + l->xsdt, base + l->fadt, base + l->madt);
	acpi_fadt_write(area + l->fadt, cfg, base + l->facs, base + l->dsdt);
	acpi_facs_write(area + l->facs);
	acpi_dsdt_write(area + l->dsdt, dsdt);
	acpi_madt_write(area + l->madt, cfg);
}

static int acpi_aml_error(int e, char *err, size_t errlen)
{
	if (e == -ENOMEM)
		snprintf(err, errlen, "out of memory building the DSDT");
	else if (e == -E2BIG)
		snprintf(err, errlen, "the DSDT is too large");
	else
		snprintf(err, errlen,
			 "invalid AML in the DSDT (bad name or value)");
	return e;
}

int acpi_build(struct gmem *gm, const struct acpi_config *cfg, u64 *rsdp_gpa,
	       char *err, size_t errlen)
{
	struct acpi_layout l;
	struct aml dsdt;
	u8 *area;
	int ret;

	ret = acpi_check_config(cfg, err, errlen);
	if (ret)
		return ret;
	area = gmem_ptr(gm, ACPI_TABLES_START, ACPI_AREA_SIZE);
	if (!area) {
		snprintf(err, errlen,
			 "guest RAM does not cover 0x%x-0x%x for the tables",
			 ACPI_TABLES_START, ACPI_TABLES_END - 1);
		return -E2BIG;
	}
	aml_init(&dsdt);
	acpi_dsdt_build(cfg, &dsdt);
	if (dsdt.err) {
		ret = acpi_aml_error(dsdt.err, err, errlen);
		goto err_free;
	}
	if (!acpi_layout_plan(&l, dsdt.len, cfg->ncpus)) {
		snprintf(err, errlen,
			 "a %zu-byte DSDT does not fit in 0x%x-0x%x",
			 sizeof(struct acpi_header) + dsdt.len,
			 ACPI_TABLES_START, ACPI_TABLES_END - 1);
		ret = -E2BIG;
		goto err_free;
	}
	acpi_tables_write(area, &l, cfg, &dsdt);
	*rsdp_gpa = ACPI_TABLES_START + l.rsdp;
	aml_free(&dsdt);
	return 0;

err_free:
	aml_free(&dsdt);
	return ret;
}
