/* SPDX-License-Identifier: Apache-2.0 */
#ifndef VESSEL_LAYOUT_H
#define VESSEL_LAYOUT_H

/*
 * The guest's physical address map and fixed ports (docs/dev/layout.md).
 * Everything the boot code, the ACPI tables and the devices must agree on
 * lives here and nowhere else.
 */

/* Boot scratch in low memory, written before the first vCPU runs. */
#define BOOT_GDT 0x500
#define BOOT_IDT 0x520
#define BOOT_PVH_INFO 0x6000
#define BOOT_PVH_MEMMAP 0x6040
#define BOOT_PVH_MEMMAP_MAX 128
#define BOOT_ZERO_PAGE 0x7000
#define BOOT_PML4 0x9000
#define BOOT_PDPT 0xa000
#define BOOT_PD 0xb000 /* four pages: identity map of 4 GiB, 2 MiB pages */
#define BOOT_CMDLINE 0x20000
#define BOOT_CMDLINE_MAX 0x10000

/* Low memory holes an OS expects. */
#define EBDA_START 0x9fc00
#define BIOS_AREA_START 0xa0000
#define ACPI_TABLES_START 0xe0000 /* RSDP first: found by BIOS-area scan */
#define ACPI_TABLES_END 0x100000
#define HIGH_RAM_LOW_START 0x100000 /* 1 MiB */

/* RAM below 4 GiB stops here; the rest continues at 4 GiB. */
#define PCI_HOLE_START 0x80000000ULL
#define PCI_HOLE_END 0x100000000ULL
#define PCI_MMIO32_START PCI_HOLE_START
#define PCI_MMIO32_END 0xfec00000ULL /* exclusive */
#define IOAPIC_BASE 0xfec00000ULL
#define LAPIC_BASE 0xfee00000ULL
/* 64-bit BAR window: above RAM, placed by vm.c from the RAM size. */
#define PCI_MMIO64_SIZE (64ULL << 30)

/* Fixed I/O ports and legacy IRQs. */
#define PORT_PIT 0x40
#define PORT_I8042_DATA 0x60
#define PORT_I8042_CMD 0x64
#define PORT_RTC 0x70 /* 0x70 index, 0x71 data */
#define PORT_COM1 0x3f8
#define IRQ_COM1 4
#define IRQ_RTC 8
#define PORT_PCI_CONFIG_ADDR 0xcf8 /* dword accesses only */
#define PORT_RESET_CONTROL 0xcf9 /* byte accesses: the chipset's RST_CNT */
#define PORT_PCI_CONFIG_DATA 0xcfc /* 4 bytes */

/* ACPI fixed hardware (our own block; described by the FADT). */
#define PORT_PM1A_EVT 0x600 /* PM1_STS (2) + PM1_EN (2) */
#define PM1_EVT_LEN 4
#define PORT_PM1A_CNT 0x604
#define PM1_CNT_LEN 2
#define PORT_PM_TMR 0x608 /* 24-bit 3.579545 MHz counter */
#define PM_TMR_LEN 4
#define PORT_ACPI_RESET 0x60c /* FADT RESET_REG, 8-bit I/O */
#define ACPI_RESET_VALUE 0x01
#define SCI_IRQ 9
/* SMI_CMD (Intel's APM_CNT): the OS writes ACPI_ENABLE here (4.8.2.1). */
#define PORT_SMI_CMD 0xb2
#define SMI_CMD_ACPI_ENABLE 0xf1
#define SMI_CMD_ACPI_DISABLE 0xf0
#define ACPI_S5_SLP_TYP 5 /* the \_S5 value vessel's DSDT returns */

/*
 * Legacy PCI INTx routing (the DSDT's _PRT and each function's
 * Interrupt Line agree through this): slot/pin (pin 0 = INTA) to IOAPIC GSI.
 */
#define PCI_INTX_GSI(slot, pin) (16 + (((slot) + (pin)) & 3))

#endif
