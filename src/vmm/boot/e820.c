// SPDX-License-Identifier: Apache-2.0
/*
 * The guest's e820 map (ACPI 6.5, 15.1 "INT 15H, E820H - Query System
 * Address Map"), from the fixed layout of docs/dev/layout.md.
 */
#include "e820.h"
#include "layout.h"

static void e820_add(struct e820_map *map, u64 addr, u64 end, u32 type)
{
	if (end <= addr || map->nr >= E820_MAX)
		return;
	map->e[map->nr++] = (struct e820_entry){
		.addr = addr,
		.size = end - addr,
		.type = type,
	};
}

void e820_build(u64 ram_size, struct e820_map *map)
{
	u64 low = MIN(ram_size, PCI_HOLE_START);

	map->nr = 0;
	e820_add(map, 0, MIN(low, EBDA_START), E820_RAM);
	/*
	 * The EBDA and the BIOS area stay reserved so that an OS neither
	 * allocates the RSDP page nor scribbles over the ACPI tables; the
	 * VGA/option-ROM window between them is no memory at all.
	 */
	e820_add(map, EBDA_START, BIOS_AREA_START, E820_RESERVED);
	e820_add(map, ACPI_TABLES_START, ACPI_TABLES_END, E820_RESERVED);
	e820_add(map, HIGH_RAM_LOW_START, low, E820_RAM);
	if (ram_size > low)
		e820_add(map, PCI_HOLE_END, PCI_HOLE_END + (ram_size - low),
			 E820_RAM);
}
