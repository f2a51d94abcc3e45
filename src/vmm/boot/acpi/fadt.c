// SPDX-License-Identifier: Apache-2.0
/*
 * Fixed ACPI Description Table, revision 6.4 (ACPI 6.4 section 5.2.9,
 * Table 5.9). It describes vessel's own fixed hardware block (layout.h),
 * emulated by dev/acpi_pm.c: PM1a event and control blocks, the PM timer,
 * the reset register and the SMI command port. The machine starts in
 * legacy mode, as a PC chipset does: OSPM enables ACPI by writing
 * ACPI_ENABLE to SMI_CMD (4.8.2.1, 5.2.9), then polls PM1_CNT.SCI_EN.
 */
#include "acpi.h"
#include "acpi_priv.h"

#include <string.h>

#include "../layout.h"

/* FADT Fixed Feature Flags, Table 5.10. */
#define FADT_F_WBINVD (1u << 0)
#define FADT_F_PWR_BUTTON (1u << 4) /* set: no fixed power button */
#define FADT_F_SLP_BUTTON (1u << 5) /* set: no fixed sleep button */
#define FADT_F_TMR_VAL_EXT (1u << 8) /* clear: 24-bit PM timer */
#define FADT_F_RESET_REG_SUP (1u << 10)

/* IA-PC Boot Architecture Flags, Table 5.11. */
#define FADT_BOOT_LEGACY_DEVICES (1u << 0)
#define FADT_BOOT_8042 (1u << 1)
#define FADT_BOOT_VGA_NOT_PRESENT (1u << 2)

struct acpi_fadt {
	struct acpi_header h;
	u32 firmware_ctrl;
	u32 dsdt;
	u8 reserved0;
	u8 preferred_pm_profile;
	u16 sci_int;
	u32 smi_cmd;
	u8 acpi_enable;
	u8 acpi_disable;
	u8 s4bios_req;
	u8 pstate_cnt;
	u32 pm1a_evt_blk;
	u32 pm1b_evt_blk;
	u32 pm1a_cnt_blk;
	u32 pm1b_cnt_blk;
	u32 pm2_cnt_blk;
	u32 pm_tmr_blk;
	u32 gpe0_blk;
	u32 gpe1_blk;
	u8 pm1_evt_len;
	u8 pm1_cnt_len;
	u8 pm2_cnt_len;
	u8 pm_tmr_len;
	u8 gpe0_blk_len;
	u8 gpe1_blk_len;
	u8 gpe1_base;
	u8 cst_cnt;
	u16 p_lvl2_lat;
	u16 p_lvl3_lat;
	u16 flush_size;
	u16 flush_stride;
	u8 duty_offset;
	u8 duty_width;
	u8 day_alrm;
	u8 mon_alrm;
	u8 century;
	u16 iapc_boot_arch;
	u8 reserved1;
	u32 flags;
	struct acpi_gas reset_reg;
	u8 reset_value;
	u16 arm_boot_arch;
	u8 minor_version;
	u64 x_firmware_ctrl;
	u64 x_dsdt;
	struct acpi_gas x_pm1a_evt_blk;
	struct acpi_gas x_pm1b_evt_blk;
	struct acpi_gas x_pm1a_cnt_blk;
	struct acpi_gas x_pm1b_cnt_blk;
	struct acpi_gas x_pm2_cnt_blk;
	struct acpi_gas x_pm_tmr_blk;
	struct acpi_gas x_gpe0_blk;
	struct acpi_gas x_gpe1_blk;
	struct acpi_gas sleep_control_reg;
	struct acpi_gas sleep_status_reg;
	u64 hypervisor_vendor_identity;
} ACPI_PACKED;

_Static_assert(sizeof(struct acpi_fadt) == ACPI_FADT_LEN, "FADT layout");

/* A System I/O register of @len bytes accessed @access units at a time. */
static struct acpi_gas fadt_gas_io(u16 port, u8 len, u8 access)
{
	return (struct acpi_gas){ .space_id = ACPI_GAS_SYSTEM_IO,
				  .bit_width = (u8)(len * 8),
				  .access_size = access,
				  .address = port };
}

/*
 * The PM register blocks, in both the legacy 32-bit fields and the
 * X_ GAS forms (which the OS prefers when non-zero, 5.2.9). PM1_STS and
 * PM1_EN are 16-bit registers (4.8.3.1), PM1_CNT 16-bit, PM_TMR 32-bit.
 */
static void fadt_fill_pm(struct acpi_fadt *f)
{
	f->pm1a_evt_blk = PORT_PM1A_EVT;
	f->pm1_evt_len = PM1_EVT_LEN;
	f->x_pm1a_evt_blk =
		fadt_gas_io(PORT_PM1A_EVT, PM1_EVT_LEN, ACPI_GAS_ACCESS_WORD);
	f->pm1a_cnt_blk = PORT_PM1A_CNT;
	f->pm1_cnt_len = PM1_CNT_LEN;
	f->x_pm1a_cnt_blk =
		fadt_gas_io(PORT_PM1A_CNT, PM1_CNT_LEN, ACPI_GAS_ACCESS_WORD);
	f->pm_tmr_blk = PORT_PM_TMR;
	f->pm_tmr_len = PM_TMR_LEN;
	f->x_pm_tmr_blk =
		fadt_gas_io(PORT_PM_TMR, PM_TMR_LEN, ACPI_GAS_ACCESS_DWORD);
}

/*
 * Flags: WBINVD works; no fixed sleep button; the fixed power button
 * only when configured (PWR_BUTTON set means "none or a control method
 * device", and we have no such device). The reset register is an 8-bit
 * I/O port (4.8.3.6). IAPC_BOOT_ARCH: legacy ISA devices (UART, PIT, RTC)
 * but no VGA, and no 8042 flag so Linux skips probing the i8042 (whose
 * 0xFE reset command vessel still honours).
 */
static void fadt_fill_flags(struct acpi_fadt *f, const struct acpi_config *cfg)
{
	f->flags = FADT_F_WBINVD | FADT_F_SLP_BUTTON | FADT_F_RESET_REG_SUP;
	if (!cfg->power_button)
		f->flags |= FADT_F_PWR_BUTTON;
	f->iapc_boot_arch =
		FADT_BOOT_LEGACY_DEVICES | FADT_BOOT_VGA_NOT_PRESENT;
	f->reset_reg = fadt_gas_io(PORT_ACPI_RESET, 1, ACPI_GAS_ACCESS_BYTE);
	f->reset_value = ACPI_RESET_VALUE;
	/* The RTC keeps the BCD century in CMOS 0x32 (5.2.9, CENTURY). */
	f->century = 0x32;
}

void acpi_fadt_write(void *p, const struct acpi_config *cfg, u64 facs_gpa,
		     u64 dsdt_gpa)
{
	struct acpi_fadt *f = p;

	acpi_header_fill(&f->h, "FACP", ACPI_FADT_LEN, 6);
	f->minor_version = 4; /* FADT 6.4 */
	/*
	 * Only X_FIRMWARE_CTRL: up to ACPI 6.1, FIRMWARE_CTRL had to be zero
	 * when X_FIRMWARE_CTRL was set. DSDT and X_DSDT may both be set;
	 * ACPICA accepts equal values, and 32-bit readers find the DSDT.
	 */
	f->x_firmware_ctrl = facs_gpa;
	f->dsdt = (u32)dsdt_gpa;
	f->x_dsdt = dsdt_gpa;
	f->sci_int = SCI_IRQ;
	f->smi_cmd = PORT_SMI_CMD;
	f->acpi_enable = SMI_CMD_ACPI_ENABLE;
	f->acpi_disable = SMI_CMD_ACPI_DISABLE;
	fadt_fill_pm(f);
	fadt_fill_flags(f, cfg);
	/* P_LVL2/3_LAT > 100 / > 1000: C2 and C3 not supported (5.2.9). */
	f->p_lvl2_lat = 101;
	f->p_lvl3_lat = 1001;
	memcpy(&f->hypervisor_vendor_identity, "VESSEL\0\0", 8);
	acpi_checksum_set(f, ACPI_FADT_LEN);
}
