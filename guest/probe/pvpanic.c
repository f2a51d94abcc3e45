/*
 * pvpanic (QEMU docs/specs/pvpanic.rst). Linux 6.1's pvpanic-mmio
 * binds to the ACPI device "QEMU0001", maps the first resource of its
 * _CRS (an I/O port on x86: 0x505 by default), reads the port for the
 * events the device supports and masks its own capabilities with them;
 * on panic it writes PVPANIC_PANICKED, or PVPANIC_CRASH_LOADED instead
 * when a kdump kernel is loaded (pvpanic_panic_notify()). The probe has
 * no AML interpreter: it finds the _HID string and the _CRS after it in
 * the DSDT's byte code.
 */
#include "pvpanic.h"
#include "aml.h"
#include "apic.h"
#include "print.h"
#include "x86.h"

#define PVPANIC_PANICKED 0x01
#define PVPANIC_CRASH_LOADED 0x02
#define STILL_ALIVE_US 1000000

/* The device's port and capabilities, or FAIL and reset in @step. */
static u16 pvpanic_find(const struct acpi_info *ai, const char *step, u8 event)
{
	const struct acpi_sdt *d = ai->dsdt;
	u16 port = 0;
	int err;
	u8 caps;

	err = aml_find_hid_io((const u8 *)(d + 1), d->length - sizeof(*d),
			      "QEMU0001", &port);
	if (err)
		probe_abort(
			step, "%s",
			err == -ENOENT ?
				"no QEMU0001 (pvpanic) device in the DSDT" :
				"the QEMU0001 device has no I/O port in its _CRS");
	caps = inb(port);
	probe_info("pvpanic port 0x%x caps 0x%02x", port, caps);
	if (!(caps & event))
		probe_abort(step, "the device does not support event 0x%02x",
			    event);
	return port;
}

__noreturn void pvpanic_panic(const struct acpi_info *ai)
{
	u16 port = pvpanic_find(ai, "panic", PVPANIC_PANICKED);

	probe_pass("panic-request", NULL);
	outb(PVPANIC_PANICKED, port);
	apic_udelay(STILL_ALIVE_US);
	probe_abort("panic", "still running 1 s after PVPANIC_PANICKED");
}

void pvpanic_crash_loaded(const struct acpi_info *ai)
{
	u16 port = pvpanic_find(ai, "crash-loaded", PVPANIC_CRASH_LOADED);

	outb(PVPANIC_CRASH_LOADED, port);
	probe_pass("crash-loaded", NULL);
}
