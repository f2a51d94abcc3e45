/* QEMU's pvpanic device, found and driven as Linux's pvpanic-mmio does. */
#ifndef PROBE_PVPANIC_H
#define PROBE_PVPANIC_H

#include "acpi.h"

/*
 * Report PVPANIC_PANICKED: the machine should stop. Prints "PROBE INFO
 * pvpanic port ... caps ..." and "PROBE PASS panic-request" before the
 * write; returns only through a FAIL and a triple fault.
 */
__noreturn void pvpanic_panic(const struct acpi_info *ai);
/*
 * Report PVPANIC_CRASH_LOADED (a kdump kernel takes over) and print
 * "PROBE PASS crash-loaded"; the machine goes on.
 */
void pvpanic_crash_loaded(const struct acpi_info *ai);

#endif
