/* Ways out: ACPI S5, the reset methods Linux knows, and a triple fault. */
#ifndef PROBE_POWER_H
#define PROBE_POWER_H

#include "acpi.h"

/*
 * ACPI S5 via \_S5 and PM1x_CNT (or the HW-reduced sleep control
 * register). Prints "PROBE INFO poweroff ..." and "PROBE PASS
 * poweroff-request" before the write; returns only through a FAIL and a
 * triple fault.
 */
__noreturn void power_off(const struct acpi_info *ai);
/* FADT RESET_REG (Linux's reboot=acpi). */
__noreturn void power_reset_acpi(const struct acpi_info *ai);
/* Reset control register 0xCF9 (Linux's reboot=pci). */
__noreturn void power_reset_cf9(void);
/* i8042 pulse reset command 0xFE (Linux's reboot=kbd). */
__noreturn void power_reset_kbd(void);
/* Zero-limit IDT then an exception (Linux's reboot=triple). */
__noreturn void power_triple_fault(void);

#endif
