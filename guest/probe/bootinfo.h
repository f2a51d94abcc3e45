/* What the probe keeps of the PVH struct hvm_start_info. */
#ifndef PROBE_BOOTINFO_H
#define PROBE_BOOTINFO_H

#include "types.h"

#define BOOT_CMDLINE_MAX 1024
#define BOOT_MEMMAP_MAX 128

#define E820_RAM 1

/* Xen's struct hvm_memmap_table_entry (public/arch-x86/hvm/start_info.h). */
struct boot_memmap {
	u64 addr;
	u64 size;
	u32 type;
	u32 reserved;
};

struct boot_info {
	u32 version;
	u64 rsdp;
	char cmdline[BOOT_CMDLINE_MAX];
	u32 nr_memmap;
	/* Entries the start_info listed; more than BOOT_MEMMAP_MAX are cut. */
	u32 nr_memmap_given;
	struct boot_memmap memmap[BOOT_MEMMAP_MAX];
};

/* Filled by bootinfo_copy(); read-only afterwards. */
extern struct boot_info boot;

/*
 * Copy cmdline, memmap and RSDP address out of the start_info at @pa
 * before the low pages are reused. Returns 0, or -EINVAL after a FAIL line.
 */
int bootinfo_copy(u64 pa);
/*
 * Value of "@key=" on the command line, copied into @val (at most @size
 * bytes with the NUL); returns false if the key is absent.
 */
bool bootinfo_arg(const char *key, char *val, size_t size);

#endif
