/* SPDX-License-Identifier: Apache-2.0 */
#ifndef VESSEL_ACPI_PM_H
#define VESSEL_ACPI_PM_H

/*
 * ACPI fixed hardware (ACPI 6.4 section 4.8): the PM1a event and control
 * blocks, the PM timer, the FADT reset register, the SMI command port
 * that switches the machine into ACPI mode, and the fixed-feature power
 * button, at the ports of layout.h, with the SCI on SCI_IRQ. Always
 * created; with `power-button none` it has no button. The host presses
 * the button through dev_acpi_pm.power_button.
 */

#include "dev.h"

extern const struct dev_type dev_acpi_pm;

/* What the guest made of ACPI and the power button, for the exit report. */
struct acpi_pm_state {
	bool acpi_enabled; /* the guest wrote ACPI_ENABLE (sticky) */
	bool armed; /* the guest has set PM1_EN.PWRBTN_EN (sticky) */
	bool pressed; /* the host has pressed the button */
	bool acked; /* the guest cleared PWRBTN_STS after a press */
};

/*
 * Snapshot the power-button facts of @pm, a device that dev_acpi_pm's
 * create() made. Any thread.
 */
void acpi_pm_get_state(void *pm, struct acpi_pm_state *st);

#endif
