/* SPDX-License-Identifier: Apache-2.0 */
#ifndef VESSEL_BOOT_PRIV_H
#define VESSEL_BOOT_PRIV_H

/*
 * Private to the kernel loaders (src/vmm/boot/{loader,bzimage,elf,pvh,
 * pagetables}.c). Nothing outside src/vmm/boot includes this; the public
 * contract is loader.h.
 */

#include <string.h>

#include "../../common/types.h"
#include "loader.h"

/* One boot_load() call: what every loader step reads and writes. */
struct boot_ctx {
	struct gmem *gm;
	const struct boot_params_in *in;
	const struct e820_map *e820; /* in->e820, or a map built from RAM */
	struct boot_entry *out;
	char *err;
	size_t errlen;
	u64 low_end; /* end of RAM below the PCI hole */
};

/*
 * Unaligned little-endian access to image bytes and guest structures; the
 * caller has checked the bounds.
 */
static inline u16 get_le16(const u8 *p)
{
	return (u16)(p[0] | p[1] << 8);
}

static inline u32 get_le32(const u8 *p)
{
	return (u32)p[0] | (u32)p[1] << 8 | (u32)p[2] << 16 | (u32)p[3] << 24;
}

static inline u64 get_le64(const u8 *p)
{
	return (u64)get_le32(p) | (u64)get_le32(p + 4) << 32;
}

static inline void put_le16(u8 *p, u16 v)
{
	p[0] = (u8)v;
	p[1] = (u8)(v >> 8);
}

static inline void put_le32(u8 *p, u32 v)
{
	put_le16(p, (u16)v);
	put_le16(p + 2, (u16)(v >> 16));
}

static inline void put_le64(u8 *p, u64 v)
{
	put_le32(p, (u32)v);
	put_le32(p + 4, (u32)(v >> 32));
}

/*
 * Linux setup header, offsets in the bzImage file and in struct boot_params
 * alike (Documentation/arch/x86/boot.rst, "THE REAL-MODE KERNEL HEADER").
 */
#define HDR_START 0x1f1
#define HDR_SETUP_SECTS 0x1f1
#define HDR_SYSSIZE 0x1f4
#define HDR_BOOT_FLAG 0x1fe
#define HDR_JUMP 0x200 /* byte at 0x201: header end - 0x202 */
#define HDR_HEADER 0x202
#define HDR_VERSION 0x206
#define HDR_TYPE_OF_LOADER 0x210
#define HDR_LOADFLAGS 0x211
#define HDR_RAMDISK_IMAGE 0x218
#define HDR_RAMDISK_SIZE 0x21c
#define HDR_HEAP_END_PTR 0x224
#define HDR_CMD_LINE_PTR 0x228
#define HDR_INITRD_ADDR_MAX 0x22c
#define HDR_KERNEL_ALIGNMENT 0x230
#define HDR_RELOCATABLE 0x234
#define HDR_XLOADFLAGS 0x236
#define HDR_CMDLINE_SIZE 0x238
#define HDR_PREF_ADDRESS 0x258
#define HDR_INIT_SIZE 0x260
#define HDR_MIN_END 0x264 /* through init_size: what protocol 2.12 has */
#define HDR_MAX_END 0x290 /* boot_params.hdr ends at edd_mbr_sig_buffer */

#define BOOT_FLAG_MAGIC 0xaa55
#define HDR_MAGIC 0x53726448 /* "HdrS" */
#define BOOT_PROTO_MIN 0x020c /* 2.12: xloadflags */
#define LOADER_TYPE_UNDEFINED 0xff
#define LOADFLAG_LOADED_HIGH 0x01
#define LOADFLAG_CAN_USE_HEAP 0x80
#define XLF_KERNEL_64 0x01
#define BOOT_HEAP_END 0xfe00 /* what kvmtool and QEMU hand a 64-bit boot */

/* struct boot_params (Documentation/arch/x86/zero-page.rst). */
#define ZP_SIZE 4096
#define ZP_ACPI_RSDP_ADDR 0x070
#define ZP_EXT_RAMDISK_IMAGE 0x0c0
#define ZP_EXT_RAMDISK_SIZE 0x0c4
#define ZP_EXT_CMD_LINE_PTR 0x0c8
#define ZP_E820_ENTRIES 0x1e8
#define ZP_E820_TABLE 0x2d0
#define ZP_E820_ENTRY_SIZE 20 /* packed { u64 addr, size; u32 type; } */
#define ZP_E820_MAX 128

/* PVH (xen/include/public/arch-x86/hvm/start_info.h), version 1. */
#define PVH_START_MAGIC 0x336ec578
#define PVH_SI_SIZE 56
#define PVH_MEMMAP_ENTRY_SIZE 24
#define PVH_MODLIST_ENTRY_SIZE 32
/* The module list follows the largest memmap, still below the zero page. */
#define BOOT_PVH_MODLIST \
	(BOOT_PVH_MEMMAP + BOOT_PVH_MEMMAP_MAX * PVH_MEMMAP_ENTRY_SIZE)

/*
 * Write "path: reason" into ctx->err and return @ret (a -errno), so that a
 * failure is one statement: return boot_fail(ctx, path, -EINVAL, ...).
 */
int boot_fail(struct boot_ctx *ctx, const char *path, int ret, const char *fmt,
	      ...) __attribute__((format(printf, 4, 5)));
const char *boot_kernel_name(const struct boot_ctx *ctx);
const char *boot_initrd_name(const struct boot_ctx *ctx);

/*
 * Copy the command line to BOOT_CMDLINE; -E2BIG when longer than @max
 * bytes (not counting the NUL). Sets *@len to its length.
 */
int boot_write_cmdline(struct boot_ctx *ctx, u64 max, u64 *len);

/*
 * Copy the initrd (if any) to the highest page-aligned address whose end
 * is at most @limit and whose start is at or above @floor; fills
 * ctx->out->initrd_*. -E2BIG when it does not fit.
 */
int boot_place_initrd(struct boot_ctx *ctx, u64 floor, u64 limit);

/*
 * Finish a Linux zero page @zp (ZP_SIZE bytes, setup header already in
 * place) for the 64-bit boot protocol: command line (at most @cmdline_max
 * bytes), initrd between @kernel_end and @initrd_limit, e820, RSDP; copy it
 * to BOOT_ZERO_PAGE and set the LONG64 entry registers except rip.
 */
int boot_setup_linux(struct boot_ctx *ctx, u8 *zp, u64 cmdline_max,
		     u64 kernel_end, u64 initrd_limit);

/* bzimage.c */
bool bzimage_detect(const u8 *buf, size_t size);
int bzimage_load(struct boot_ctx *ctx);

/* elf.c: ELF32/ELF64 executables, little-endian x86 only. */
struct elf_file {
	const u8 *buf;
	size_t size;
	bool is64;
	u64 entry;
	u64 phoff;
	u16 phentsize;
	u16 phnum;
};

/* One program header, widened to 64 bits. */
struct elf_seg {
	u32 type;
	u64 offset, vaddr, paddr, filesz, memsz, align;
};

bool elf_detect(const u8 *buf, size_t size);
/* Validate the ELF header and program header table; -ENOEXEC / -EINVAL. */
int elf_parse(struct boot_ctx *ctx, struct elf_file *ef);
/* Program header @i (< ef->phnum) of a file elf_parse() accepted. */
void elf_get_seg(const struct elf_file *ef, unsigned int i, struct elf_seg *s);
/*
 * Copy every PT_LOAD segment to its p_paddr and zero its bss; report the
 * lowest and highest guest-physical bytes loaded.
 */
int elf_load_segments(struct boot_ctx *ctx, const struct elf_file *ef,
		      u64 *start, u64 *end);
/* True when @gpa lies in the memory image of a PT_LOAD segment. */
bool elf_gpa_loaded(const struct elf_file *ef, u64 gpa);
int vmlinux_load(struct boot_ctx *ctx, const struct elf_file *ef);

/* pvh.c */
/*
 * Look for XEN_ELFNOTE_PHYS32_ENTRY: 0 and *@entry when present, -ENOENT
 * when absent, -EINVAL (with a message) when present but malformed.
 */
int pvh_find_entry(struct boot_ctx *ctx, const struct elf_file *ef, u64 *entry);
int pvh_load(struct boot_ctx *ctx, const struct elf_file *ef, u64 entry);

/* pagetables.c */
/* The boot GDT at BOOT_GDT (every format). */
int boot_write_gdt(struct boot_ctx *ctx);
/* Identity map of 0..4 GiB with 2 MiB pages at BOOT_PML4 (LONG64). */
int boot_write_pagetables(struct boot_ctx *ctx);

#endif
