/*
 * ACPI mode and the SCI as ACPICA drives them. acpi_enable()
 * (evxfevnt.c) calls acpi_hw_set_mode() (hwacpi.c), which writes
 * ACPI_ENABLE to SMI_CMD as an 8-bit port, then polls SCI_EN 30000 times
 * 100 us apart. The fixed power button: acpi_install_fixed_event_handler()
 * clears PWRBTN_STS, then sets PWRBTN_EN (read-modify-write of PM1_EN);
 * the SCI handler, acpi_ev_fixed_event_detect(), reads PM1_STS and
 * PM1_EN and, for each event both have, clears the status bit (write 1)
 * before calling the handler.
 */
#include "sci.h"
#include "apic.h"
#include "ioapic.h"
#include "print.h"
#include "trap.h"
#include "x86.h"

/* PM1 bits (ACPI 6.5 tables 4.16-4.18). */
#define PM1_SCI_EN 0x0001
#define PM1_PWRBTN_STS 0x0100
#define PM1_PWRBTN_EN 0x0100
/* ACPICA's ACPI_BITMASK_ALL_FIXED_STATUS. */
#define PM1_ALL_FIXED_STATUS 0x8731

#define ENABLE_POLLS 30000
#define ENABLE_POLL_US 100

static const struct acpi_info *sci_ai;
static bool pwrbtn_pressed;

static u64 reg_read(const struct acpi_gas *g)
{
	u64 v = 0;

	if (gas_valid(g))
		gas_read(g, &v);
	return v;
}

static void reg_write(const char *step, const struct acpi_gas *g, u64 v)
{
	char where[48];

	if (gas_valid(g) && gas_write(g, v)) {
		gas_format(g, where, sizeof(where));
		probe_abort(step, "cannot write register %s", where);
	}
}

/* ACPICA reads PM1a and PM1b and ORs them (acpi_hw_register_read()). */
static u64 pm1_read(const struct acpi_gas *a, const struct acpi_gas *b)
{
	return reg_read(a) | reg_read(b);
}

static void pm1_write(const char *step, const struct acpi_gas *a,
		      const struct acpi_gas *b, u64 v)
{
	reg_write(step, a, v);
	reg_write(step, b, v);
}

static bool sci_enabled(const struct acpi_info *ai)
{
	return pm1_read(&ai->pm1a_cnt, &ai->pm1b_cnt) & PM1_SCI_EN;
}

void sci_enable_acpi(const struct acpi_info *ai)
{
	u32 i;

	if (ai->fadt_flags & FADT_HW_REDUCED_ACPI) {
		probe_pass("acpi-enable", "HW-reduced: always in ACPI mode");
		return;
	}
	if (!gas_valid(&ai->pm1a_cnt))
		probe_abort("acpi-enable", "FADT has no PM1a_CNT_BLK");
	/* ACPI 2.0: SMI_CMD 0 means the machine has no legacy mode. */
	if (!ai->smi_cmd) {
		probe_pass("acpi-enable", "no SMI_CMD: ACPI-only, SCI_EN=%u",
			   sci_enabled(ai));
		return;
	}
	if (sci_enabled(ai)) {
		probe_pass("acpi-enable", "already in ACPI mode (SMI_CMD 0x%x)",
			   ai->smi_cmd);
		return;
	}
	if (ai->smi_cmd > 0xffff || (!ai->acpi_enable && !ai->acpi_disable))
		probe_abort("acpi-enable",
			    "SMI_CMD 0x%x ACPI_ENABLE 0x%02x: "
			    "no mode transition",
			    ai->smi_cmd, ai->acpi_enable);
	outb(ai->acpi_enable, (u16)ai->smi_cmd);
	for (i = 0; i < ENABLE_POLLS; i++) {
		if (sci_enabled(ai)) {
			probe_pass(
				"acpi-enable",
				"SMI_CMD 0x%x <- 0x%02x, SCI_EN after %u polls",
				ai->smi_cmd, ai->acpi_enable, i + 1);
			return;
		}
		apic_udelay(ENABLE_POLL_US);
	}
	probe_abort("acpi-enable", "SCI_EN still 0 %u ms after ACPI_ENABLE",
		    ENABLE_POLLS * ENABLE_POLL_US / 1000);
}

/* The SCI, level triggered: clear what we handle, then EOI. */
static void sci_irq(u8 vector)
{
	const struct acpi_info *ai = sci_ai;
	u64 sts = pm1_read(&ai->pm1a_sts, &ai->pm1b_sts);
	u64 en = pm1_read(&ai->pm1a_en, &ai->pm1b_en);

	(void)vector;
	if (sts & en & PM1_PWRBTN_STS) {
		pm1_write("power-button", &ai->pm1a_sts, &ai->pm1b_sts,
			  PM1_PWRBTN_STS);
		WRITE_ONCE(pwrbtn_pressed, true);
	}
	apic_eoi();
}

bool sci_arm_power_button(const struct acpi_info *ai, const struct madt_info *m)
{
	u64 en;

	if (ai->fadt_flags & FADT_HW_REDUCED_ACPI)
		probe_abort("power-button", "HW-reduced ACPI: the power button "
					    "is a GED event, not a fixed one");
	/*
	 * A machine without a fixed power button (FADT flag PWR_BUTTON, as
	 * with vessel's `power-button none`): an OS has nothing to arm.
	 */
	if (ai->fadt_flags & FADT_PWR_BUTTON) {
		probe_info(
			"power-button: none (FADT flag PWR_BUTTON), nothing armed");
		return false;
	}
	if (!gas_valid(&ai->pm1a_sts))
		probe_abort("power-button", "FADT has no PM1a_EVT_BLK");
	if (ai->sci_int > 0xff)
		probe_abort("power-button", "SCI_INT %u is not an ISA IRQ",
			    ai->sci_int);
	sci_ai = ai;
	trap_set_handler(VEC_SCI, sci_irq);
	if (ioapic_route_sci(m, (u8)ai->sci_int, VEC_SCI, apic_id()))
		trap_triple_fault();
	pm1_write("power-button", &ai->pm1a_sts, &ai->pm1b_sts,
		  PM1_ALL_FIXED_STATUS);
	en = pm1_read(&ai->pm1a_en, &ai->pm1b_en);
	pm1_write("power-button", &ai->pm1a_en, &ai->pm1b_en,
		  en | PM1_PWRBTN_EN);
	return true;
}

bool sci_power_button_pressed(void)
{
	return READ_ONCE(pwrbtn_pressed);
}

void sci_wait_power_button(const struct acpi_info *ai,
			   const struct madt_info *m)
{
	bool armed = sci_arm_power_button(ai, m);

	probe_line("READY power-button");
	for (;;) {
		cli();
		if (armed && sci_power_button_pressed())
			break;
		sti_hlt();
	}
}
