// SPDX-License-Identifier: Apache-2.0
/*
 * Linux bzImage loader for the 64-bit boot protocol, and the zero page
 * (struct boot_params) it shares with the vmlinux loader.
 * Spec: Documentation/arch/x86/boot.rst ("THE REAL-MODE KERNEL HEADER",
 * "DETAILS OF HEADER FIELDS", "64-bit BOOT PROTOCOL") and zero-page.rst.
 */
#include <errno.h>

#include "boot_priv.h"
#include "layout.h"

#define SECTOR_SIZE 512
#define SETUP_SECTS_DEFAULT 4 /* boot.rst: "if this field is 0, use 4" */
#define KERNEL_ALIGN_MIN 0x1000ULL
#define KERNEL_ALIGN_MAX GiB(1)
#define HDR_SETUP_DATA 0x250 /* written by the boot loader only */

/* What bzimage_load() needs from the setup header, validated. */
struct bz_hdr {
	u64 setup_size; /* boot sector + setup sectors: file offset of the kernel */
	u64 kernel_size; /* protected-mode part: syssize paragraphs */
	u64 hdr_end; /* end of the setup header in the file */
	u64 load; /* guest-physical load address */
	u64 footprint; /* bytes from @load the kernel needs: init_size */
	u64 initrd_max; /* initrd_addr_max: last byte the initrd may use */
	u32 cmdline_size;
};

bool bzimage_detect(const u8 *buf, size_t size)
{
	return size >= HDR_HEADER + 4 &&
	       get_le16(buf + HDR_BOOT_FLAG) == BOOT_FLAG_MAGIC &&
	       get_le32(buf + HDR_HEADER) == HDR_MAGIC;
}

/* The file holds the header, the setup sectors and the whole kernel. */
static int bz_check_sizes(struct boot_ctx *ctx, struct bz_hdr *h)
{
	const u8 *buf = ctx->in->kernel;
	size_t size = ctx->in->kernel_size;
	const char *name = boot_kernel_name(ctx);
	u64 sects;

	if (size < HDR_MIN_END)
		return boot_fail(
			ctx, name, -EINVAL,
			"truncated: header needs %u bytes, file has %zu",
			HDR_MIN_END, size);
	h->hdr_end = HDR_HEADER + (u64)buf[HDR_JUMP + 1];
	if (h->hdr_end < HDR_MIN_END)
		return boot_fail(ctx, name, -EINVAL,
				 "setup header too short (ends at 0x%llx)",
				 (unsigned long long)h->hdr_end);
	sects = buf[HDR_SETUP_SECTS] ? buf[HDR_SETUP_SECTS] :
				       SETUP_SECTS_DEFAULT;
	h->setup_size = (sects + 1) * SECTOR_SIZE;
	h->kernel_size = (u64)get_le32(buf + HDR_SYSSIZE) * 16;
	if (size < h->setup_size)
		return boot_fail(
			ctx, name, -EINVAL,
			"truncated: setup needs %llu bytes, file has %zu",
			(unsigned long long)h->setup_size, size);
	if (!h->kernel_size)
		return boot_fail(ctx, name, -EINVAL,
				 "no protected-mode kernel (syssize is 0)");
	/* syssize is exact since protocol 2.04; a shorter file was cut. */
	if (size - h->setup_size < h->kernel_size)
		return boot_fail(
			ctx, name, -EINVAL,
			"truncated: kernel needs %llu bytes, file has %zu",
			(unsigned long long)(h->setup_size + h->kernel_size),
			size);
	return 0;
}

/* Protocol 2.12 or later with a 64-bit entry, loadable at 1 MiB and up. */
static int bz_check_proto(struct boot_ctx *ctx)
{
	const u8 *buf = ctx->in->kernel;
	const char *name = boot_kernel_name(ctx);
	u16 version = get_le16(buf + HDR_VERSION);

	if (version < BOOT_PROTO_MIN)
		return boot_fail(ctx, name, -EINVAL,
				 "boot protocol %u.%02u too old (need 2.12)",
				 version >> 8, version & 0xff);
	if (!(get_le16(buf + HDR_XLOADFLAGS) & XLF_KERNEL_64))
		return boot_fail(ctx, name, -EINVAL,
				 "no 64-bit entry (XLF_KERNEL_64 clear)");
	if (!(buf[HDR_LOADFLAGS] & LOADFLAG_LOADED_HIGH))
		return boot_fail(ctx, name, -EINVAL,
				 "not loadable at 1 MiB (LOADED_HIGH clear)");
	return 0;
}

static bool bz_is_pow2(u64 v)
{
	return v && !(v & (v - 1));
}

/*
 * The load address is pref_address (boot.rst: a relocatable kernel runs
 * there if loaded there; a non-relocatable one moves itself there), and
 * the whole init_size region must be RAM below the PCI hole, where the
 * identity map and the e820 RAM both cover it.
 */
static int bz_place(struct boot_ctx *ctx, struct bz_hdr *h)
{
	const u8 *buf = ctx->in->kernel;
	const char *name = boot_kernel_name(ctx);
	u64 align = get_le32(buf + HDR_KERNEL_ALIGNMENT);
	u64 init_size = get_le32(buf + HDR_INIT_SIZE);

	h->load = get_le64(buf + HDR_PREF_ADDRESS);
	if (!init_size)
		return boot_fail(ctx, name, -EINVAL, "init_size is 0");
	if (buf[HDR_RELOCATABLE] &&
	    (!bz_is_pow2(align) || align < KERNEL_ALIGN_MIN ||
	     align > KERNEL_ALIGN_MAX || h->load % align))
		return boot_fail(
			ctx, name, -EINVAL,
			"bad kernel_alignment 0x%llx for pref_address 0x%llx",
			(unsigned long long)align, (unsigned long long)h->load);
	if (h->load < HIGH_RAM_LOW_START)
		return boot_fail(ctx, name, -EINVAL,
				 "pref_address 0x%llx below 1 MiB",
				 (unsigned long long)h->load);
	h->footprint = MAX(init_size, h->kernel_size);
	if (h->load > ctx->low_end || h->footprint > ctx->low_end - h->load)
		return boot_fail(
			ctx, name, -E2BIG,
			"kernel does not fit in RAM (init_size %llu MiB at 0x%llx, %llu MiB guest)",
			(unsigned long long)((h->footprint + MiB(1) - 1) >> 20),
			(unsigned long long)h->load,
			(unsigned long long)(ctx->gm->ram_size >> 20));
	return 0;
}

static int bz_parse(struct boot_ctx *ctx, struct bz_hdr *h)
{
	const u8 *buf = ctx->in->kernel;
	int ret;

	ret = bz_check_sizes(ctx, h);
	if (!ret)
		ret = bz_check_proto(ctx);
	if (!ret)
		ret = bz_place(ctx, h);
	if (ret)
		return ret;
	h->initrd_max = get_le32(buf + HDR_INITRD_ADDR_MAX);
	h->cmdline_size = get_le32(buf + HDR_CMDLINE_SIZE);
	return 0;
}

int bzimage_load(struct boot_ctx *ctx)
{
	const u8 *buf = ctx->in->kernel;
	u8 zp[ZP_SIZE] = { 0 };
	struct bz_hdr h = { 0 };
	u8 *dst;
	int ret;

	ret = bz_parse(ctx, &h);
	if (ret)
		return ret;
	dst = gmem_ptr(ctx->gm, h.load, h.footprint);
	if (!dst) /* bz_place() checked; never trust one check alone */
		return -E2BIG;
	memcpy(dst, buf + h.setup_size, h.kernel_size);
	memset(dst + h.kernel_size, 0, h.footprint - h.kernel_size);

	/* boot.rst: the header runs from 0x1f1 to 0x202 + byte at 0x201. */
	memcpy(zp + HDR_START, buf + HDR_START,
	       MIN(h.hdr_end, HDR_MAX_END) - HDR_START);
	put_le64(zp + HDR_SETUP_DATA, 0);
	ret = boot_setup_linux(ctx, zp, h.cmdline_size, h.load + h.footprint,
			       MIN(h.initrd_max + 1, ctx->low_end));
	if (ret)
		return ret;
	ctx->out->rip = h.load + 0x200; /* boot.rst: 64-bit entry */
	ctx->out->kernel_start = h.load;
	ctx->out->kernel_end = h.load + h.kernel_size;
	return 0;
}

static void zp_put_e820(u8 *zp, const struct e820_map *map)
{
	int i, nr = MIN(map->nr, ZP_E820_MAX);

	zp[ZP_E820_ENTRIES] = (u8)nr;
	for (i = 0; i < nr; i++) {
		u8 *e = zp + ZP_E820_TABLE + i * ZP_E820_ENTRY_SIZE;

		put_le64(e, map->e[i].addr);
		put_le64(e + 8, map->e[i].size);
		put_le32(e + 16, map->e[i].type);
	}
}

int boot_setup_linux(struct boot_ctx *ctx, u8 *zp, u64 cmdline_max,
		     u64 kernel_end, u64 initrd_limit)
{
	struct boot_entry *out = ctx->out;
	u64 cmdline_len;
	u8 *dst;
	int ret;

	ret = boot_write_cmdline(ctx, cmdline_max, &cmdline_len);
	if (!ret)
		ret = boot_place_initrd(ctx, kernel_end, initrd_limit);
	if (ret)
		return ret;
	zp[HDR_TYPE_OF_LOADER] = LOADER_TYPE_UNDEFINED;
	zp[HDR_LOADFLAGS] |= LOADFLAG_LOADED_HIGH | LOADFLAG_CAN_USE_HEAP;
	put_le16(zp + HDR_HEAP_END_PTR, BOOT_HEAP_END);
	put_le32(zp + HDR_CMD_LINE_PTR, BOOT_CMDLINE);
	put_le32(zp + ZP_EXT_CMD_LINE_PTR, 0);
	/* The initrd's address and size may exceed 32 bits: ext_* (2.12). */
	put_le32(zp + HDR_RAMDISK_IMAGE, (u32)out->initrd_start);
	put_le32(zp + ZP_EXT_RAMDISK_IMAGE, (u32)(out->initrd_start >> 32));
	put_le32(zp + HDR_RAMDISK_SIZE, (u32)out->initrd_size);
	put_le32(zp + ZP_EXT_RAMDISK_SIZE, (u32)(out->initrd_size >> 32));
	zp_put_e820(zp, ctx->e820);
	put_le64(zp + ZP_ACPI_RSDP_ADDR, ctx->in->rsdp_gpa);

	dst = gmem_ptr(ctx->gm, BOOT_ZERO_PAGE, ZP_SIZE);
	if (!dst)
		return boot_fail(ctx, boot_kernel_name(ctx), -E2BIG,
				 "guest RAM too small for the zero page");
	memcpy(dst, zp, ZP_SIZE);
	out->mode = BOOT_MODE_LONG64;
	out->rsi = BOOT_ZERO_PAGE;
	return 0;
}
