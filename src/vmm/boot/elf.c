// SPDX-License-Identifier: Apache-2.0
/*
 * ELF executables (System V gABI, "ELF Header" and "Program Header"): the
 * parsing shared by the PVH loader, and the uncompressed Linux vmlinux
 * loader (64-bit entry at e_entry, Documentation/arch/x86/boot.rst
 * "64-bit BOOT PROTOCOL"). Only little-endian x86 files are accepted, so
 * the <elf.h> structures are read with memcpy on this x86-64 host.
 */
#include <elf.h>
#include <errno.h>

#include "boot_priv.h"
#include "layout.h"

/* x86-64 kernel text mapping (Documentation/arch/x86/x86_64/mm.rst). */
#define KERNEL_MAP_START 0xffffffff80000000ULL
#define VMLINUX_ALIGN 0x200000 /* CONFIG_PHYSICAL_ALIGN default */

bool elf_detect(const u8 *buf, size_t size)
{
	return size >= SELFMAG && !memcmp(buf, ELFMAG, SELFMAG);
}

static int elf_check_ident(struct boot_ctx *ctx, struct elf_file *ef)
{
	const u8 *id = ef->buf;
	const char *name = boot_kernel_name(ctx);

	if (ef->size < EI_NIDENT)
		return boot_fail(
			ctx, name, -EINVAL,
			"truncated: ELF header needs %d bytes, file has %zu",
			EI_NIDENT, ef->size);
	if (id[EI_CLASS] != ELFCLASS32 && id[EI_CLASS] != ELFCLASS64)
		return boot_fail(ctx, name, -ENOEXEC, "bad ELF class %u",
				 id[EI_CLASS]);
	if (id[EI_DATA] != ELFDATA2LSB)
		return boot_fail(ctx, name, -ENOEXEC,
				 "ELF is not little-endian");
	if (id[EI_VERSION] != EV_CURRENT)
		return boot_fail(ctx, name, -ENOEXEC, "bad ELF version %u",
				 id[EI_VERSION]);
	ef->is64 = id[EI_CLASS] == ELFCLASS64;
	return 0;
}

/* Read the class's header into the common fields. */
static int elf_read_ehdr(struct boot_ctx *ctx, struct elf_file *ef, u16 *type,
			 u16 *machine)
{
	size_t need = ef->is64 ? sizeof(Elf64_Ehdr) : sizeof(Elf32_Ehdr);
	Elf64_Ehdr e64;
	Elf32_Ehdr e32;

	if (ef->size < need)
		return boot_fail(
			ctx, boot_kernel_name(ctx), -EINVAL,
			"truncated: ELF header needs %zu bytes, file has %zu",
			need, ef->size);
	if (ef->is64) {
		memcpy(&e64, ef->buf, sizeof(e64));
		*type = e64.e_type;
		*machine = e64.e_machine;
		ef->entry = e64.e_entry;
		ef->phoff = e64.e_phoff;
		ef->phentsize = e64.e_phentsize;
		ef->phnum = e64.e_phnum;
	} else {
		memcpy(&e32, ef->buf, sizeof(e32));
		*type = e32.e_type;
		*machine = e32.e_machine;
		ef->entry = e32.e_entry;
		ef->phoff = e32.e_phoff;
		ef->phentsize = e32.e_phentsize;
		ef->phnum = e32.e_phnum;
	}
	return 0;
}

int elf_parse(struct boot_ctx *ctx, struct elf_file *ef)
{
	const char *name = boot_kernel_name(ctx);
	u16 type = 0, machine = 0, want;
	size_t phsize;
	int ret;

	memset(ef, 0, sizeof(*ef));
	ef->buf = ctx->in->kernel;
	ef->size = ctx->in->kernel_size;
	ret = elf_check_ident(ctx, ef);
	if (!ret)
		ret = elf_read_ehdr(ctx, ef, &type, &machine);
	if (ret)
		return ret;
	want = ef->is64 ? EM_X86_64 : EM_386;
	if (type != ET_EXEC || machine != want)
		return boot_fail(
			ctx, name, -ENOEXEC,
			"not an x86 ELF executable (e_type %u, e_machine %u)",
			type, machine);
	phsize = ef->is64 ? sizeof(Elf64_Phdr) : sizeof(Elf32_Phdr);
	/* PN_XNUM would put the real count in section 0: no kernel does. */
	if (!ef->phnum || ef->phnum == PN_XNUM || ef->phentsize < phsize)
		return boot_fail(
			ctx, name, -EINVAL,
			"bad program header table (%u entries of %u bytes)",
			ef->phnum, ef->phentsize);
	/* At most 65534 x 65535 bytes: the product cannot overflow. */
	if (ef->phoff > ef->size ||
	    (u64)ef->phnum * ef->phentsize > ef->size - ef->phoff)
		return boot_fail(
			ctx, name, -EINVAL,
			"truncated: program headers end past the file (%zu bytes)",
			ef->size);
	return 0;
}

void elf_get_seg(const struct elf_file *ef, unsigned int i, struct elf_seg *s)
{
	const u8 *p = ef->buf + ef->phoff + (u64)i * ef->phentsize;
	Elf64_Phdr p64;
	Elf32_Phdr p32;

	if (ef->is64) {
		memcpy(&p64, p, sizeof(p64));
		*s = (struct elf_seg){ p64.p_type,  p64.p_offset, p64.p_vaddr,
				       p64.p_paddr, p64.p_filesz, p64.p_memsz,
				       p64.p_align };
	} else {
		memcpy(&p32, p, sizeof(p32));
		*s = (struct elf_seg){ p32.p_type,  p32.p_offset, p32.p_vaddr,
				       p32.p_paddr, p32.p_filesz, p32.p_memsz,
				       p32.p_align };
	}
}

static int elf_load_one(struct boot_ctx *ctx, const struct elf_file *ef,
			unsigned int i, const struct elf_seg *s)
{
	const char *name = boot_kernel_name(ctx);
	u8 *dst;

	if (s->filesz > s->memsz)
		return boot_fail(ctx, name, -EINVAL,
				 "segment %u: p_filesz 0x%llx > p_memsz 0x%llx",
				 i, (unsigned long long)s->filesz,
				 (unsigned long long)s->memsz);
	if (s->offset > ef->size || s->filesz > ef->size - s->offset)
		return boot_fail(
			ctx, name, -EINVAL,
			"truncated: segment %u needs %llu bytes at offset %llu, file has %zu",
			i, (unsigned long long)s->filesz,
			(unsigned long long)s->offset, ef->size);
	/* Below 1 MiB are the boot structures, the EBDA and the ACPI tables. */
	dst = gmem_ptr(ctx->gm, s->paddr, s->memsz);
	if (s->paddr < HIGH_RAM_LOW_START || !dst)
		return boot_fail(
			ctx, name, -E2BIG,
			"segment %u at 0x%llx (0x%llx bytes) is outside guest RAM (1 MiB..%llu MiB)",
			i, (unsigned long long)s->paddr,
			(unsigned long long)s->memsz,
			(unsigned long long)(ctx->low_end >> 20));
	memcpy(dst, ef->buf + s->offset, s->filesz);
	memset(dst + s->filesz, 0, s->memsz - s->filesz); /* .bss */
	return 0;
}

int elf_load_segments(struct boot_ctx *ctx, const struct elf_file *ef,
		      u64 *start, u64 *end)
{
	struct elf_seg s;
	unsigned int i;
	int ret;

	*start = UINT64_MAX;
	*end = 0;
	for (i = 0; i < ef->phnum; i++) {
		elf_get_seg(ef, i, &s);
		if (s.type != PT_LOAD || !s.memsz)
			continue;
		ret = elf_load_one(ctx, ef, i, &s);
		if (ret)
			return ret;
		/* elf_load_one() proved paddr + memsz is inside RAM. */
		*start = MIN(*start, s.paddr);
		*end = MAX(*end, s.paddr + s.memsz);
	}
	if (!*end)
		return boot_fail(ctx, boot_kernel_name(ctx), -EINVAL,
				 "no loadable segments");
	return 0;
}

bool elf_gpa_loaded(const struct elf_file *ef, u64 gpa)
{
	struct elf_seg s;
	unsigned int i;

	for (i = 0; i < ef->phnum; i++) {
		elf_get_seg(ef, i, &s);
		if (s.type == PT_LOAD && gpa >= s.paddr &&
		    gpa - s.paddr < s.memsz)
			return true;
	}
	return false;
}

/*
 * x86-64 vmlinux has e_entry = phys_startup_64 (arch/x86/kernel/
 * vmlinux.lds.S); other builds may give the virtual address, which the
 * segment holding it translates to physical.
 */
static int vmlinux_entry(struct boot_ctx *ctx, const struct elf_file *ef,
			 u64 *entry)
{
	struct elf_seg s;
	unsigned int i;

	*entry = ef->entry;
	for (i = 0; ef->entry >= KERNEL_MAP_START && i < ef->phnum; i++) {
		elf_get_seg(ef, i, &s);
		if (s.type == PT_LOAD && ef->entry >= s.vaddr &&
		    ef->entry - s.vaddr < s.memsz) {
			*entry = s.paddr + (ef->entry - s.vaddr);
			break;
		}
	}
	if (!elf_gpa_loaded(ef, *entry))
		return boot_fail(
			ctx, boot_kernel_name(ctx), -EINVAL,
			"entry point 0x%llx is not in a loaded segment",
			(unsigned long long)ef->entry);
	return 0;
}

int vmlinux_load(struct boot_ctx *ctx, const struct elf_file *ef)
{
	u8 zp[ZP_SIZE] = { 0 };
	u64 start, end, entry;
	int ret;

	ret = elf_load_segments(ctx, ef, &start, &end);
	if (!ret)
		ret = vmlinux_entry(ctx, ef, &entry);
	if (ret)
		return ret;
	/*
	 * No setup header comes with a vmlinux: write the fields a kernel
	 * reads from one (boot.rst, "DETAILS OF HEADER FIELDS").
	 */
	put_le16(zp + HDR_BOOT_FLAG, BOOT_FLAG_MAGIC);
	put_le32(zp + HDR_HEADER, HDR_MAGIC);
	put_le16(zp + HDR_VERSION, BOOT_PROTO_MIN);
	put_le32(zp + HDR_KERNEL_ALIGNMENT, VMLINUX_ALIGN);
	put_le32(zp + HDR_INITRD_ADDR_MAX, (u32)(ctx->low_end - 1));
	put_le32(zp + HDR_CMDLINE_SIZE, BOOT_CMDLINE_MAX - 1);
	ret = boot_setup_linux(ctx, zp, BOOT_CMDLINE_MAX - 1, end,
			       ctx->low_end);
	if (ret)
		return ret;
	ctx->out->rip = entry;
	ctx->out->kernel_start = start;
	ctx->out->kernel_end = end;
	return 0;
}
