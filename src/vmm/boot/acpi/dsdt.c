// SPDX-License-Identifier: Apache-2.0
/*
 * Differentiated System Description Table, revision 2 (ACPI 6.4 section
 * 5.2.11.1; revision 2 makes integers 64-bit, which the QWordMemory
 * window needs). The namespace:
 *
 *   \_S5            sleep type for soft-off (7.4.2)
 *   \_SB.Cnnn       one ACPI0007 processor device per vCPU (8.4)
 *   \_SB.PCI0       the PCI host bridge: resources and legacy INTx routing
 *   \_SB.*          whatever the devices add (dev_type.dsdt hooks)
 */
#include "acpi.h"
#include "acpi_priv.h"

#include <stdio.h>
#include <string.h>

#include "../layout.h"

#define PCI_SLOTS 32
#define PCI_PINS 4

/*
 * \_S5: Package {SLP_TYPa, SLP_TYPb, reserved, reserved} (7.4.2); our PM
 * device powers off when SLP_TYP = ACPI_S5_SLP_TYP is written with SLP_EN.
 */
static void dsdt_put_s5(struct aml *a)
{
	static const u64 s5[] = { ACPI_S5_SLP_TYP, 0, 0, 0 };

	aml_name_package_int(a, "_S5", s5, ARRAY_SIZE(s5));
}

/* Processor devices (8.4): _UID matches the MADT's ACPI Processor UID. */
static void dsdt_put_cpus(struct aml *a, int ncpus)
{
	char name[5];
	size_t h;
	int i;

	for (i = 0; i < ncpus; i++) {
		snprintf(name, sizeof(name), "C%03X", (unsigned int)i & 0xfff);
		h = aml_device_begin(a, name);
		aml_name_string(a, "_HID", "ACPI0007");
		aml_name_int(a, "_UID", (u64)i);
		aml_block_end(a, h);
	}
}

/*
 * The host bridge's resources (6.4, and the PCI Firmware spec 4.1.2):
 * it decodes bus 0-255, consumes the 0xCF8 configuration ports, and
 * passes on all other I/O ports and the 32-bit (and optional 64-bit)
 * BAR windows.
 */
static void dsdt_put_pci_crs(struct aml *a, const struct acpi_config *cfg)
{
	size_t h = aml_crs_begin(a, "_CRS");

	aml_crs_word_bus(a, 0x00, 0xff);
	aml_crs_io(a, PORT_PCI_CONFIG_ADDR, PORT_PCI_CONFIG_ADDR, 1, 8);
	aml_crs_word_io(a, 0x0000, PORT_PCI_CONFIG_ADDR - 1);
	aml_crs_word_io(a, PORT_PCI_CONFIG_ADDR + 8, 0xffff);
	aml_crs_dword_mem(a, (u32)PCI_MMIO32_START, (u32)(PCI_MMIO32_END - 1),
			  false);
	if (cfg->mmio64_size)
		aml_crs_qword_mem(a, cfg->mmio64_base,
				  cfg->mmio64_base + cfg->mmio64_size - 1,
				  true);
	aml_crs_end(a, h);
}

/*
 * _PRT (6.2.13): for each slot and pin, {Address 0xSSSSFFFF (any
 * function), Pin (0 = INTA), Source 0 (a GSI, no link device), Source
 * Index = the GSI}.
 */
static void dsdt_put_pci_prt(struct aml *a)
{
	size_t prt, e;
	unsigned int slot, pin;

	aml_name(a, "_PRT");
	prt = aml_package_begin(a, PCI_SLOTS * PCI_PINS);
	for (slot = 0; slot < PCI_SLOTS; slot++) {
		for (pin = 0; pin < PCI_PINS; pin++) {
			e = aml_package_begin(a, 4);
			aml_int(a, (u64)slot << 16 | 0xffff);
			aml_int(a, pin);
			aml_int(a, 0);
			aml_int(a, PCI_INTX_GSI(slot, pin));
			aml_block_end(a, e);
		}
	}
	aml_block_end(a, prt);
}

/* A PCI Express root bridge compatible with PCI (6.1.2, 6.5.5, 6.5.6). */
static void dsdt_put_pci(struct aml *a, const struct acpi_config *cfg)
{
	size_t h = aml_device_begin(a, "PCI0");

	aml_name_eisaid(a, "_HID", "PNP0A08");
	aml_name_eisaid(a, "_CID", "PNP0A03");
	aml_name_int(a, "_SEG", 0);
	aml_name_int(a, "_UID", 0);
	aml_name_int(a, "_BBN", 0);
	dsdt_put_pci_crs(a, cfg);
	dsdt_put_pci_prt(a);
	aml_block_end(a, h);
}

void acpi_dsdt_build(const struct acpi_config *cfg, struct aml *a)
{
	size_t sb;

	dsdt_put_s5(a);
	sb = aml_scope_begin(a, "\\_SB");
	dsdt_put_cpus(a, cfg->ncpus);
	dsdt_put_pci(a, cfg);
	if (cfg->dsdt_devices)
		cfg->dsdt_devices(cfg->ctx, a);
	aml_block_end(a, sb);
}

void acpi_dsdt_write(void *p, const struct aml *a)
{
	size_t len = sizeof(struct acpi_header) + a->len;

	acpi_header_fill(p, "DSDT", (u32)len, 2);
	memcpy((u8 *)p + sizeof(struct acpi_header), a->buf, a->len);
	acpi_checksum_set(p, len);
}
