/* ACPI mode, the SCI and the fixed-feature power button (ACPI 6.5 4.8). */
#ifndef PROBE_SCI_H
#define PROBE_SCI_H

#include "acpi.h"
#include "madt.h"

/*
 * Switch the machine into ACPI mode as Linux's acpi_enable() does: if
 * the FADT has SMI_CMD and PM1_CNT.SCI_EN is clear, write ACPI_ENABLE
 * to SMI_CMD and poll SCI_EN (up to 3 s). Prints "PROBE PASS
 * acpi-enable[: how]"; aborts (FAIL and triple fault) if SCI_EN stays 0.
 */
void sci_enable_acpi(const struct acpi_info *ai);

/*
 * Arm the power button as Linux's ACPI core and button driver do: route
 * the SCI (FADT SCI_INT, after the MADT's overrides) through the I/O
 * APIC, clear PM1_STS, set PM1_EN.PWRBTN_EN. The SCI handler then
 * clears PWRBTN_STS and records the press. Returns false, after an INFO
 * line, on a machine without a fixed power button (FADT flag
 * PWR_BUTTON); aborts on a HW-reduced one.
 */
bool sci_arm_power_button(const struct acpi_info *ai,
			  const struct madt_info *m);
/* Has the SCI handler seen PWRBTN_STS since the button was armed? */
bool sci_power_button_pressed(void);

/*
 * Take the power button as Linux's ACPI core and button driver do: route
 * the SCI (FADT SCI_INT, after the MADT's overrides) through the I/O
 * APIC, clear PM1_STS, set PM1_EN.PWRBTN_EN, print "PROBE READY
 * power-button" and halt until the SCI handler sees PWRBTN_STS and
 * clears it. Returns then, with interrupts off; no timeout. Without a
 * fixed power button (FADT flag PWR_BUTTON) it says so in an INFO line,
 * prints the READY line and halts forever.
 */
void sci_wait_power_button(const struct acpi_info *ai,
			   const struct madt_info *m);

#endif
