/* SPDX-License-Identifier: Apache-2.0 */
#ifndef VESSEL_LOADER_H
#define VESSEL_LOADER_H

/*
 * Kernel loaders: a Linux bzImage (x86 boot protocol, 64-bit entry), an
 * uncompressed ELF vmlinux (64-bit entry), or a PVH ELF
 * (XEN_ELFNOTE_PHYS32_ENTRY, 32-bit entry). The format is chosen by looking
 * at the image. Pure code: writes guest memory through struct gmem only;
 * vCPU registers are set by the caller from struct boot_entry.
 */

#include "../../common/types.h"
#include "../gmem.h"
#include "e820.h"

enum boot_mode {
	BOOT_MODE_LONG64, /* 64-bit entry: long mode, paging on, RSI = zero page */
	BOOT_MODE_PROT32, /* PVH: 32-bit protected mode, paging off, EBX = start_info */
};

enum boot_format { BOOT_FMT_BZIMAGE, BOOT_FMT_VMLINUX, BOOT_FMT_PVH };

/*
 * The boot GDT that boot_load() writes at BOOT_GDT (limit BOOT_GDT_LIMIT):
 * Linux's __BOOT_CS/__BOOT_DS for LONG64 (boot.rst, "64-bit BOOT
 * PROTOCOL"), and a flat 32-bit code segment for PROT32 (PVH).
 */
#define BOOT_CS32_SELECTOR 0x08
#define BOOT_CS_SELECTOR 0x10
#define BOOT_DS_SELECTOR 0x18
#define BOOT_GDT_LIMIT 0x1f

/* What the boot vCPU starts with. */
struct boot_entry {
	enum boot_mode mode;
	enum boot_format format;
	u64 rip;
	u64 rsi; /* LONG64: zero page */
	u64 rbx; /* PROT32: hvm_start_info */
	u64 kernel_start, kernel_end; /* guest-physical, for logs */
	u64 initrd_start, initrd_size;
};

struct boot_params_in {
	const char *kernel_path; /* for error messages */
	const u8 *kernel;
	size_t kernel_size;
	const char *initrd_path;
	const u8 *initrd; /* NULL: none */
	size_t initrd_size;
	const char *cmdline; /* "" when none */
	u64 rsdp_gpa; /* 0: none */
	const struct e820_map *e820;
};

/*
 * Load the kernel (and initrd) into @gm, build the zero page or PVH
 * start_info, the command line, and the boot page tables and GDT for
 * LONG64 entries (layout.h addresses). On failure returns -EINVAL (bad or
 * truncated image), -E2BIG (does not fit in RAM) or -ENOEXEC (not a format
 * we know), with one line in @err that names the file and what is wrong.
 */
int boot_load(struct gmem *gm, const struct boot_params_in *in,
	      struct boot_entry *out, char *err, size_t errlen);

/* "bzImage", "vmlinux" or "PVH ELF". */
const char *boot_format_name(enum boot_format f);

#endif
