/*
 * Power-off and reset, each driven as Linux drives it: ACPICA's
 * acpi_hw_legacy_sleep() / acpi_hw_extended_sleep() for S5, and the
 * BOOT_ACPI, BOOT_CF9_FORCE and BOOT_KBD cases of
 * native_machine_emergency_restart() (arch/x86/kernel/reboot.c). If the
 * machine is still running a second later, the probe says so and resets
 * itself by a triple fault, so a harness never hangs.
 */
#include "power.h"
#include "aml.h"
#include "apic.h"
#include "print.h"
#include "trap.h"
#include "x86.h"

/* PM1 control bits (ACPI 6.5 4.8.3.2.1). */
#define PM1_SLP_TYP_SHIFT 10
#define PM1_SLP_TYP_MASK (7u << PM1_SLP_TYP_SHIFT)
#define PM1_SLP_EN (1u << 13)
/* ACPICA's ACPI_BITMASK_ALL_FIXED_STATUS, including WAK_STS (4.8.3.1.1). */
#define PM1_ALL_FIXED_STATUS 0x8731
/* Sleep control/status registers (ACPI 6.5 4.8.3.7, 4.8.3.8). */
#define SLEEP_TYP_SHIFT 2
#define SLEEP_TYP_MASK (7u << SLEEP_TYP_SHIFT)
#define SLEEP_EN (1u << 5)
#define SLEEP_WAK_STS (1u << 7)

#define RST_CNT 0xcf9
#define I8042_STATUS 0x64
#define I8042_CMD 0x64
#define I8042_STATUS_IBF 0x02
#define I8042_CMD_PULSE_RESET 0xfe

#define STILL_ALIVE_US 1000000

static __noreturn void still_running(const char *step, const char *what)
{
	apic_udelay(STILL_ALIVE_US);
	probe_abort(step, "still running 1 s after %s", what);
}

static void write_or_abort(const char *step, const struct acpi_gas *g, u64 v)
{
	char where[48];

	if (gas_write(g, v)) {
		gas_format(g, where, sizeof(where));
		probe_abort(step, "cannot write register %s", where);
	}
}

/* ACPICA acpi_hw_extended_sleep(): clear WAK_STS, then TYP | EN at once. */
static __noreturn void sleep_hw_reduced(const struct acpi_info *ai, u8 typ)
{
	char where[48];

	if (!gas_valid(&ai->sleep_control))
		probe_abort("poweroff",
			    "HW-reduced FADT without SLEEP_CONTROL_REG");
	gas_format(&ai->sleep_control, where, sizeof(where));
	probe_info("poweroff slp_typ=%u sleep_control=%s", typ, where);
	probe_pass("poweroff-request", NULL);
	if (gas_valid(&ai->sleep_status))
		write_or_abort("poweroff", &ai->sleep_status, SLEEP_WAK_STS);
	write_or_abort("poweroff", &ai->sleep_control,
		       ((typ << SLEEP_TYP_SHIFT) & SLEEP_TYP_MASK) | SLEEP_EN);
	still_running("poweroff", "SLEEP_CONTROL_REG.SLP_EN");
}

static void pm1_write(const struct acpi_info *ai, u64 a, u64 b)
{
	write_or_abort("poweroff", &ai->pm1a_cnt, a);
	if (gas_valid(&ai->pm1b_cnt))
		write_or_abort("poweroff", &ai->pm1b_cnt, b);
}

/*
 * ACPICA acpi_hw_legacy_sleep(): clear the fixed status bits, read PM1
 * control, write SLP_TYP, then SLP_TYP | SLP_EN (split "to work around
 * poorly implemented hardware").
 */
static __noreturn void sleep_legacy(const struct acpi_info *ai, u8 typa,
				    u8 typb)
{
	char where[48];
	u64 a = 0, b = 0, ctl;

	if (!gas_valid(&ai->pm1a_cnt))
		probe_abort("poweroff", "FADT has no PM1a_CNT_BLK");
	gas_format(&ai->pm1a_cnt, where, sizeof(where));
	probe_info("poweroff slp_typ=%u pm1a_cnt=%s%s", typa, where,
		   gas_valid(&ai->pm1b_cnt) ? " pm1b_cnt=yes" : "");
	probe_pass("poweroff-request", NULL);
	if (gas_valid(&ai->pm1a_sts))
		write_or_abort("poweroff", &ai->pm1a_sts, PM1_ALL_FIXED_STATUS);
	if (gas_valid(&ai->pm1b_sts))
		write_or_abort("poweroff", &ai->pm1b_sts, PM1_ALL_FIXED_STATUS);
	gas_read(&ai->pm1a_cnt, &a);
	if (gas_valid(&ai->pm1b_cnt))
		gas_read(&ai->pm1b_cnt, &b);
	ctl = (a | b) & ~(u64)(PM1_SLP_TYP_MASK | PM1_SLP_EN);
	a = ctl | ((u64)typa << PM1_SLP_TYP_SHIFT & PM1_SLP_TYP_MASK);
	b = ctl | ((u64)typb << PM1_SLP_TYP_SHIFT & PM1_SLP_TYP_MASK);
	pm1_write(ai, a, b);
	pm1_write(ai, a | PM1_SLP_EN, b | PM1_SLP_EN);
	still_running("poweroff", "PM1_CNT.SLP_EN");
}

__noreturn void power_off(const struct acpi_info *ai)
{
	const struct acpi_sdt *d = ai->dsdt;
	u8 typa, typb;
	int err;

	err = aml_find_s5((const u8 *)(d + 1), d->length - sizeof(*d), &typa,
			  &typb);
	if (err)
		probe_abort("poweroff", "%s",
			    err == -ENOENT ?
				    "no \\_S5 object in the DSDT" :
				    "\\_S5 is not a package of integers");
	if (ai->fadt_flags & FADT_HW_REDUCED_ACPI)
		sleep_hw_reduced(ai, typa);
	sleep_legacy(ai, typa, typb);
}

/* Linux's acpi_reboot() (drivers/acpi/reboot.c); the register is 8 bits. */
__noreturn void power_reset_acpi(const struct acpi_info *ai)
{
	struct acpi_gas g = ai->reset_reg;
	char where[48];

	if (!(ai->fadt_flags & FADT_RESET_REG_SUP))
		probe_abort("reboot-acpi", "FADT flags 0x%x lack RESET_REG_SUP",
			    ai->fadt_flags);
	if (!gas_valid(&g))
		probe_abort("reboot-acpi", "FADT RESET_REG address is zero");
	g.bit_width = 8;
	g.bit_offset = 0;
	g.access_size = 0;
	gas_format(&g, where, sizeof(where));
	probe_pass("reboot-request", "acpi reset_reg=%s value=0x%02x", where,
		   ai->reset_value);
	write_or_abort("reboot-acpi", &g, ai->reset_value);
	still_running("reboot-acpi", "the RESET_REG write");
}

/*
 * BOOT_CF9_FORCE with Linux's default cold reboot_mode: SYS_RST first,
 * then SYS_RST | RST_CPU | FULL_RST (0x0e; 0x06 would be reboot=warm).
 */
__noreturn void power_reset_cf9(void)
{
	u8 code = 0x0e, cf9 = inb(RST_CNT) & ~code;

	probe_pass("reboot-request", "pci 0xcf9 0x%02x then 0x%02x", cf9 | 2,
		   cf9 | code);
	outb(cf9 | 2, RST_CNT);
	apic_udelay(50);
	outb(cf9 | code, RST_CNT);
	apic_udelay(50);
	still_running("reboot-cf9", "the 0xcf9 reset");
}

/*
 * Linux's kb_wait(): until the input buffer is empty, for up to 0x10000
 * polls 2 us apart (~131 ms). Polled here every 1 ms while halted, so an
 * absent controller (status 0xff) costs sleep, not emulated I/O.
 */
static void kb_wait(void)
{
	int i;

	for (i = 0; i < 131; i++) {
		if (!(inb(I8042_STATUS) & I8042_STATUS_IBF))
			break;
		apic_udelay(1000);
	}
}

__noreturn void power_reset_kbd(void)
{
	int i;

	probe_pass("reboot-request", "kbd 0x%02x to port 0x64",
		   I8042_CMD_PULSE_RESET);
	for (i = 0; i < 10; i++) {
		kb_wait();
		apic_udelay(50);
		outb(I8042_CMD_PULSE_RESET, I8042_CMD);
		apic_udelay(50);
	}
	still_running("reboot-kbd", "ten i8042 reset pulses");
}

__noreturn void power_triple_fault(void)
{
	probe_pass("reboot-request", "triple fault (zero-limit IDT, ud2)");
	trap_triple_fault();
}
