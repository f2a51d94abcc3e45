// SPDX-License-Identifier: Apache-2.0
/*
 * Kernel image detection and the steps every loader shares: the command
 * line, the initrd and the error line. The formats live in bzimage.c,
 * elf.c (vmlinux) and pvh.c.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>

#include "boot_priv.h"
#include "layout.h"

#define PAGE_SIZE 0x1000ULL

int boot_fail(struct boot_ctx *ctx, const char *path, int ret, const char *fmt,
	      ...)
{
	va_list ap;
	int n;

	if (!ctx->err || !ctx->errlen)
		return ret;
	n = snprintf(ctx->err, ctx->errlen, "%s: ", path);
	if (n < 0 || (size_t)n >= ctx->errlen)
		return ret;
	va_start(ap, fmt);
	vsnprintf(ctx->err + n, ctx->errlen - (size_t)n, fmt, ap);
	va_end(ap);
	return ret;
}

const char *boot_kernel_name(const struct boot_ctx *ctx)
{
	return ctx->in->kernel_path ? ctx->in->kernel_path : "kernel";
}

const char *boot_initrd_name(const struct boot_ctx *ctx)
{
	return ctx->in->initrd_path ? ctx->in->initrd_path : "initrd";
}

int boot_write_cmdline(struct boot_ctx *ctx, u64 max, u64 *len)
{
	const char *cmdline = ctx->in->cmdline ? ctx->in->cmdline : "";
	u64 n = strnlen(cmdline, BOOT_CMDLINE_MAX);
	u8 *dst;

	max = MIN(max, BOOT_CMDLINE_MAX - 1);
	if (n > max)
		return boot_fail(
			ctx, boot_kernel_name(ctx), -E2BIG,
			"command line too long (%s%llu bytes, at most %llu)",
			n >= BOOT_CMDLINE_MAX ? "over " : "",
			(unsigned long long)n, (unsigned long long)max);
	dst = gmem_ptr(ctx->gm, BOOT_CMDLINE, n + 1);
	if (!dst)
		return boot_fail(ctx, boot_kernel_name(ctx), -E2BIG,
				 "guest RAM too small for the command line");
	memcpy(dst, cmdline, n + 1);
	*len = n;
	return 0;
}

static int boot_initrd_too_big(struct boot_ctx *ctx)
{
	return boot_fail(
		ctx, boot_initrd_name(ctx), -E2BIG,
		"initrd too large for RAM (%llu MiB, %llu MiB guest)",
		(unsigned long long)((ctx->in->initrd_size + MiB(1) - 1) >> 20),
		(unsigned long long)(ctx->gm->ram_size >> 20));
}

int boot_place_initrd(struct boot_ctx *ctx, u64 floor, u64 limit)
{
	u64 size = ctx->in->initrd_size;
	u64 addr;
	u8 *dst;

	if (!ctx->in->initrd || !size)
		return 0;
	floor = ALIGN_UP(floor, PAGE_SIZE);
	/* Written so that neither difference can wrap around. */
	if (limit < floor || size > limit - floor)
		return boot_initrd_too_big(ctx);
	addr = (limit - size) & ~(PAGE_SIZE - 1);
	if (addr < floor)
		return boot_initrd_too_big(ctx);
	dst = gmem_ptr(ctx->gm, addr, size);
	if (!dst)
		return boot_initrd_too_big(ctx);
	memcpy(dst, ctx->in->initrd, size);
	ctx->out->initrd_start = addr;
	ctx->out->initrd_size = size;
	return 0;
}

/*
 * Which loader takes the image. A bzImage is recognised by its boot
 * sector signature and "HdrS". An ELF with XEN_ELFNOTE_PHYS32_ENTRY boots
 * PVH even when it is also a Linux vmlinux with a 64-bit entry: PVH is the
 * documented direct-boot contract for an ELF (the start_info carries the
 * memory map, the RSDP and the initrd), it is what QEMU and
 * cloud-hypervisor pick for the same file, so a guest behaves the same
 * under vessel as under them; and it is the only entry of the probe guest.
 */
static int boot_detect(struct boot_ctx *ctx, struct elf_file *ef,
		       enum boot_format *fmt, u64 *pvh_entry)
{
	const struct boot_params_in *in = ctx->in;
	int ret;

	if (bzimage_detect(in->kernel, in->kernel_size)) {
		*fmt = BOOT_FMT_BZIMAGE;
		return 0;
	}
	if (!elf_detect(in->kernel, in->kernel_size))
		return boot_fail(ctx, boot_kernel_name(ctx), -ENOEXEC,
				 "not a bzImage, ELF vmlinux or PVH ELF");
	ret = elf_parse(ctx, ef);
	if (ret)
		return ret;
	ret = pvh_find_entry(ctx, ef, pvh_entry);
	if (ret == 0) {
		*fmt = BOOT_FMT_PVH;
		return 0;
	}
	if (ret != -ENOENT)
		return ret;
	if (!ef->is64)
		return boot_fail(ctx, boot_kernel_name(ctx), -ENOEXEC,
				 "32-bit ELF without a PVH entry note");
	*fmt = BOOT_FMT_VMLINUX;
	return 0;
}

static int boot_check_input(struct boot_ctx *ctx, struct e820_map *own)
{
	const struct boot_params_in *in = ctx->in;

	if (!in->kernel)
		return boot_fail(ctx, boot_kernel_name(ctx), -EINVAL,
				 "no kernel image");
	if (in->initrd_size && !in->initrd)
		return boot_fail(ctx, boot_initrd_name(ctx), -EINVAL,
				 "no initrd data");
	if (ctx->gm->nr < 1 || ctx->gm->r[0].gpa != 0)
		return boot_fail(ctx, boot_kernel_name(ctx), -EINVAL,
				 "guest RAM does not start at 0");
	ctx->low_end = ctx->gm->r[0].size;
	if (!in->e820) {
		e820_build(ctx->gm->ram_size, own);
		ctx->e820 = own;
	} else if (in->e820->nr < 0 || in->e820->nr > E820_MAX) {
		return boot_fail(ctx, boot_kernel_name(ctx), -EINVAL,
				 "bad e820 map (%d entries)", in->e820->nr);
	}
	return 0;
}

static int boot_load_format(struct boot_ctx *ctx)
{
	struct elf_file ef;
	enum boot_format fmt;
	u64 pvh_entry = 0;
	int ret;

	ret = boot_detect(ctx, &ef, &fmt, &pvh_entry);
	if (ret)
		return ret;
	ctx->out->format = fmt;
	switch (fmt) {
	case BOOT_FMT_BZIMAGE:
		return bzimage_load(ctx);
	case BOOT_FMT_VMLINUX:
		return vmlinux_load(ctx, &ef);
	case BOOT_FMT_PVH:
		return pvh_load(ctx, &ef, pvh_entry);
	}
	return -EINVAL;
}

int boot_load(struct gmem *gm, const struct boot_params_in *in,
	      struct boot_entry *out, char *err, size_t errlen)
{
	struct e820_map own;
	struct boot_ctx ctx = {
		.gm = gm,
		.in = in,
		.e820 = in->e820,
		.out = out,
		.err = err,
		.errlen = errlen,
	};
	int ret;

	memset(out, 0, sizeof(*out));
	if (err && errlen)
		err[0] = '\0';
	ret = boot_check_input(&ctx, &own);
	if (!ret)
		ret = boot_load_format(&ctx);
	if (!ret)
		ret = boot_write_gdt(&ctx);
	if (!ret && out->mode == BOOT_MODE_LONG64)
		ret = boot_write_pagetables(&ctx);
	return ret;
}

const char *boot_format_name(enum boot_format f)
{
	switch (f) {
	case BOOT_FMT_BZIMAGE:
		return "bzImage";
	case BOOT_FMT_VMLINUX:
		return "vmlinux";
	case BOOT_FMT_PVH:
		return "PVH ELF";
	}
	return "unknown";
}
