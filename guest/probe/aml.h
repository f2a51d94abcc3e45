/* The AML the probe reads: the \_S5 package and a device's I/O port. */
#ifndef PROBE_AML_H
#define PROBE_AML_H

#include "types.h"

/*
 * Find "Name (_S5, Package () {...})" in the AML of a DSDT (@aml, @len
 * bytes after the table header) and return SLP_TYPa and SLP_TYPb as
 * ACPICA's acpi_get_sleep_type_data() does. Returns 0, -ENOENT if there
 * is no \_S5 object, or -EINVAL if its package cannot be decoded.
 */
int aml_find_s5(const u8 *aml, u32 len, u8 *slp_typa, u8 *slp_typb);

/*
 * Find the device whose `Name (_HID, "@hid")` is a string (e.g.
 * "QEMU0001") and return the base of the first IO or FixedIO descriptor
 * of the `Name (_CRS, ResourceTemplate ...)` that follows it in the same
 * device. Returns 0, -ENOENT if there is no such _HID, or -EINVAL if its
 * _CRS is missing or has no I/O port.
 */
int aml_find_hid_io(const u8 *aml, u32 len, const char *hid, u16 *port);

#endif
