/* probe.test=watchdog: program a watchdog, kick it, then stop kicking. */
#ifndef PROBE_WATCHDOG_H
#define PROBE_WATCHDOG_H

#include "acpi.h"
#include "madt.h"

/*
 * Run the scenario with the probe.wdt* arguments (guest/probe/README.md)
 * on a machine whose ACPI tables and MADT are parsed; never returns.
 */
__noreturn void watchdog_run(const struct acpi_info *ai,
			     const struct madt_info *m);

#endif
