// SPDX-License-Identifier: Apache-2.0
/*
 * PVH direct boot of an ELF (docs/misc/pvh.pandoc in Xen;
 * xen/include/public/arch-x86/hvm/start_info.h, version 1): 32-bit
 * protected mode, paging off, EBX = struct hvm_start_info.
 */
#include <elf.h>
#include <errno.h>

#include "boot_priv.h"
#include "layout.h"

#define XEN_ELFNOTE_PHYS32_ENTRY 18 /* xen/include/public/elfnote.h */
#define PVH_NOTE_NAME "Xen" /* with its NUL: namesz 4 */
#define NOTE_HDR_SIZE 12 /* n_namesz, n_descsz, n_type */

/* struct hvm_start_info field offsets. */
#define SI_MAGIC 0
#define SI_VERSION 4
#define SI_FLAGS 8
#define SI_NR_MODULES 12
#define SI_MODLIST_PADDR 16
#define SI_CMDLINE_PADDR 24
#define SI_RSDP_PADDR 32
#define SI_MEMMAP_PADDR 40
#define SI_MEMMAP_ENTRIES 48

/* Result of scanning one note segment. */
enum pvh_scan { PVH_NONE, PVH_FOUND, PVH_BAD };

static u64 note_align(u64 v, u64 align)
{
	return (v + align - 1) & ~(align - 1);
}

/*
 * Walk the notes in [p, p + len). Names and descriptors are padded to the
 * segment's alignment: 4 by the gABI for ELF32 and in practice for Linux's
 * .notes, 8 for notes that say so in p_align.
 */
static enum pvh_scan pvh_scan_notes(const u8 *p, u64 len, u64 align, u64 *entry)
{
	while (len >= NOTE_HDR_SIZE) {
		u64 namesz = get_le32(p), descsz = get_le32(p + 4);
		u64 name_off = NOTE_HDR_SIZE;
		u64 desc_off = name_off + note_align(namesz, align);
		u64 next = desc_off + note_align(descsz, align);
		const u8 *desc = p + desc_off;

		if (desc_off > len || descsz > len - desc_off)
			return PVH_NONE; /* a torn note ends the walk */
		if (get_le32(p + 8) == XEN_ELFNOTE_PHYS32_ENTRY &&
		    namesz == sizeof(PVH_NOTE_NAME) &&
		    !memcmp(p + name_off, PVH_NOTE_NAME, namesz)) {
			if (descsz != 4 && descsz != 8)
				return PVH_BAD;
			*entry = descsz == 4 ? get_le32(desc) : get_le64(desc);
			return PVH_FOUND;
		}
		if (next >= len)
			break;
		p += next;
		len -= next;
	}
	return PVH_NONE;
}

int pvh_find_entry(struct boot_ctx *ctx, const struct elf_file *ef, u64 *entry)
{
	enum pvh_scan r = PVH_NONE;
	struct elf_seg s;
	unsigned int i;

	for (i = 0; r == PVH_NONE && i < ef->phnum; i++) {
		elf_get_seg(ef, i, &s);
		if (s.type != PT_NOTE || s.offset > ef->size ||
		    s.filesz > ef->size - s.offset)
			continue;
		r = pvh_scan_notes(ef->buf + s.offset, s.filesz,
				   s.align == 8 ? 8 : 4, entry);
	}
	if (r == PVH_NONE)
		return -ENOENT;
	if (r == PVH_BAD)
		return boot_fail(
			ctx, boot_kernel_name(ctx), -EINVAL,
			"malformed PVH entry note (XEN_ELFNOTE_PHYS32_ENTRY)");
	/* The entry runs in 32-bit mode with paging off. */
	if (*entry >= PCI_HOLE_END || !elf_gpa_loaded(ef, *entry))
		return boot_fail(
			ctx, boot_kernel_name(ctx), -EINVAL,
			"PVH entry 0x%llx is not in a loaded segment below 4 GiB",
			(unsigned long long)*entry);
	return 0;
}

/* The e820 map as hvm_memmap_table_entry[] at BOOT_PVH_MEMMAP. */
static int pvh_write_memmap(struct boot_ctx *ctx, u32 *nr)
{
	const struct e820_map *map = ctx->e820;
	u32 i, n = (u32)MIN(map->nr, BOOT_PVH_MEMMAP_MAX);
	u8 *dst = gmem_ptr(ctx->gm, BOOT_PVH_MEMMAP,
			   (u64)n * PVH_MEMMAP_ENTRY_SIZE);

	if (!dst)
		return boot_fail(ctx, boot_kernel_name(ctx), -E2BIG,
				 "guest RAM too small for the PVH memory map");
	for (i = 0; i < n; i++) {
		u8 *e = dst + i * PVH_MEMMAP_ENTRY_SIZE;

		put_le64(e, map->e[i].addr);
		put_le64(e + 8, map->e[i].size);
		put_le32(e + 16, map->e[i].type); /* E820 types, same values */
		put_le32(e + 20, 0);
	}
	*nr = n;
	return 0;
}

/* The initrd as module 0 (struct hvm_modlist_entry), as Linux expects. */
static int pvh_write_modlist(struct boot_ctx *ctx, u32 *nr)
{
	u8 *e = gmem_ptr(ctx->gm, BOOT_PVH_MODLIST, PVH_MODLIST_ENTRY_SIZE);

	*nr = 0;
	if (!ctx->out->initrd_size)
		return 0;
	if (!e)
		return boot_fail(ctx, boot_kernel_name(ctx), -E2BIG,
				 "guest RAM too small for the PVH module list");
	memset(e, 0, PVH_MODLIST_ENTRY_SIZE);
	put_le64(e, ctx->out->initrd_start);
	put_le64(e + 8, ctx->out->initrd_size);
	*nr = 1;
	return 0;
}

static int pvh_write_start_info(struct boot_ctx *ctx)
{
	u8 *si = gmem_ptr(ctx->gm, BOOT_PVH_INFO, PVH_SI_SIZE);
	u32 nr_memmap = 0, nr_modules = 0;
	int ret;

	if (!si)
		return boot_fail(ctx, boot_kernel_name(ctx), -E2BIG,
				 "guest RAM too small for PVH start_info");
	ret = pvh_write_memmap(ctx, &nr_memmap);
	if (!ret)
		ret = pvh_write_modlist(ctx, &nr_modules);
	if (ret)
		return ret;
	memset(si, 0, PVH_SI_SIZE);
	put_le32(si + SI_MAGIC, PVH_START_MAGIC);
	put_le32(si + SI_VERSION, 1);
	put_le32(si + SI_FLAGS, 0);
	put_le32(si + SI_NR_MODULES, nr_modules);
	put_le64(si + SI_MODLIST_PADDR, nr_modules ? BOOT_PVH_MODLIST : 0);
	put_le64(si + SI_CMDLINE_PADDR, BOOT_CMDLINE);
	put_le64(si + SI_RSDP_PADDR, ctx->in->rsdp_gpa);
	put_le64(si + SI_MEMMAP_PADDR, BOOT_PVH_MEMMAP);
	put_le32(si + SI_MEMMAP_ENTRIES, nr_memmap);
	return 0;
}

int pvh_load(struct boot_ctx *ctx, const struct elf_file *ef, u64 entry)
{
	u64 start, end, cmdline_len;
	int ret;

	ret = elf_load_segments(ctx, ef, &start, &end);
	if (!ret)
		ret = boot_write_cmdline(ctx, BOOT_CMDLINE_MAX - 1,
					 &cmdline_len);
	if (!ret)
		ret = boot_place_initrd(ctx, end, ctx->low_end);
	if (!ret)
		ret = pvh_write_start_info(ctx);
	if (ret)
		return ret;
	ctx->out->mode = BOOT_MODE_PROT32;
	ctx->out->rip = entry;
	ctx->out->rbx = BOOT_PVH_INFO;
	ctx->out->kernel_start = start;
	ctx->out->kernel_end = end;
	return 0;
}
