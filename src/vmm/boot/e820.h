/* SPDX-License-Identifier: Apache-2.0 */
#ifndef VESSEL_E820_H
#define VESSEL_E820_H

#include "../../common/types.h"

#define E820_RAM 1
#define E820_RESERVED 2
#define E820_ACPI 3
#define E820_MAX 16

struct e820_entry {
	u64 addr;
	u64 size;
	u32 type;
};

struct e820_map {
	struct e820_entry e[E820_MAX];
	int nr;
};

/*
 * The map for a guest with @ram_size bytes of RAM (layout.h): RAM below the
 * EBDA, the EBDA and the BIOS/ACPI area reserved, RAM from 1 MiB up to the
 * PCI hole, and the rest of RAM from 4 GiB. Sorted, non-overlapping.
 */
void e820_build(u64 ram_size, struct e820_map *map);

#endif
