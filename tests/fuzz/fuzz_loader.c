// SPDX-License-Identifier: Apache-2.0
/*
 * libFuzzer: the kernel loaders (src/vmm/boot/: bzImage, ELF vmlinux,
 * PVH ELF detection and loading, initrd placement, the zero page or PVH
 * start_info with its e820 map and command line, page tables, GDT) on a
 * kernel image, an initrd and a command line from the input, into guest
 * RAM that is a malloc of exactly its size behind the real gmem helpers,
 * so ASan sees any byte written outside it. boot_load() must end in 0 or
 * one of loader.h's errors with a one-line message naming the file; on
 * success what it says it placed must lie in RAM: the kernel, the
 * initrd (and apart from the kernel), the entry structure, and the
 * command line the zero page or start_info points at, intact.
 *
 * Input: u8 flags (1 initrd, 2 the caller's e820 map, 4 an RSDP, 8 RAM
 * not a whole number of MiB), u8 RAM size (16 MiB + n MiB, n < 32),
 * u16 command line length, u32 initrd length; the command line, the
 * initrd, then the kernel: the rest.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/vmm/boot/boot_priv.h"
#include "../../src/vmm/boot/layout.h"
#include "../../src/vmm/boot/loader.h"
#include "fuzz.h"

#define MIB (1ULL << 20)
#define IN_INITRD 1
#define IN_E820 2
#define IN_RSDP 4
#define IN_ODD_RAM 8
#define ZP_CMD_LINE_PTR 0x228
#define ZP_EXT_CMD_LINE_PTR 0x0c8
#define ZP_RAMDISK_IMAGE 0x218
#define ZP_RAMDISK_SIZE 0x21c
#define PVH_CMDLINE_PADDR 24

static bool fuzz_in_ram(u64 ram, u64 gpa, u64 len)
{
	return gpa <= ram && len <= ram - gpa;
}

/* The command line the guest is pointed at: in RAM, NUL-ended, ours. */
static void fuzz_check_cmdline(const u8 *ram, u64 size, u64 gpa,
			       const char *cmdline)
{
	size_t n = strlen(cmdline);

	if (!gpa) {
		FUZZ_CHECK(!n);
		return;
	}
	FUZZ_CHECK(fuzz_in_ram(size, gpa, n + 1));
	FUZZ_CHECK(!memcmp(ram + gpa, cmdline, n + 1));
}

static void fuzz_check_loaded(const u8 *ram, u64 size,
			      const struct boot_params_in *in,
			      const struct boot_entry *out)
{
	u64 cmd;

	FUZZ_CHECK(out->kernel_start <= out->kernel_end);
	FUZZ_CHECK(fuzz_in_ram(size, out->kernel_start,
			       out->kernel_end - out->kernel_start));
	if (in->initrd) {
		FUZZ_CHECK(out->initrd_size == in->initrd_size);
		FUZZ_CHECK(
			fuzz_in_ram(size, out->initrd_start, out->initrd_size));
		FUZZ_CHECK(out->initrd_start >= out->kernel_end ||
			   out->initrd_start + out->initrd_size <=
				   out->kernel_start);
		FUZZ_CHECK(!memcmp(ram + out->initrd_start, in->initrd,
				   in->initrd_size));
	}
	if (out->mode == BOOT_MODE_LONG64) {
		FUZZ_CHECK(out->format != BOOT_FMT_PVH);
		FUZZ_CHECK(out->rsi == BOOT_ZERO_PAGE);
		cmd = get_le32(ram + out->rsi + ZP_CMD_LINE_PTR) |
		      (u64)get_le32(ram + out->rsi + ZP_EXT_CMD_LINE_PTR) << 32;
		if (in->initrd)
			FUZZ_CHECK(get_le32(ram + out->rsi + ZP_RAMDISK_SIZE) ==
				   in->initrd_size);
	} else {
		FUZZ_CHECK(out->format == BOOT_FMT_PVH);
		FUZZ_CHECK(fuzz_in_ram(size, out->rbx, 56));
		cmd = get_le64(ram + out->rbx + PVH_CMDLINE_PADDR);
	}
	fuzz_check_cmdline(ram, size, cmd, in->cmdline);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_in in = { data, size };
	unsigned flags = fuzz_take(&in, 1);
	u64 ram_size = 16 * MIB + fuzz_take(&in, 1) % 32 * MIB;
	size_t cmd_len = fuzz_take(&in, 2), initrd_len = fuzz_take(&in, 4);
	struct boot_params_in bp = { .kernel_path = "vmlinuz",
				     .initrd_path = "initrd.img" };
	struct boot_entry out;
	struct e820_map e820;
	struct gmem gm;
	char *cmdline, err[256];
	u8 *ram;
	int ret;

	if (flags & IN_ODD_RAM)
		ram_size -= 4096 * (1 + (cmd_len & 0xff));
	cmd_len = MIN(cmd_len, in.left);
	cmdline = malloc(cmd_len + 1);
	FUZZ_CHECK(cmdline);
	memcpy(cmdline, in.p, cmd_len);
	cmdline[cmd_len] = '\0';
	bp.cmdline = cmdline; /* up to its first NUL, as from a config */
	in.p += cmd_len;
	in.left -= cmd_len;
	if (flags & IN_INITRD) {
		initrd_len = MIN(initrd_len, in.left);
		bp.initrd = in.p;
		bp.initrd_size = initrd_len;
		in.p += initrd_len;
		in.left -= initrd_len;
	}
	bp.kernel = in.p;
	bp.kernel_size = in.left;
	bp.rsdp_gpa = flags & IN_RSDP ? 0xe0000 : 0;
	e820_build(ram_size, &e820);
	bp.e820 = flags & IN_E820 ? &e820 : NULL;
	ram = calloc(1, ram_size);
	FUZZ_CHECK(ram);
	gmem_init(&gm, ram, ram_size);
	memset(err, 0x55, sizeof(err));
	ret = boot_load(&gm, &bp, &out, err, sizeof(err));
	if (ret) {
		FUZZ_CHECK(ret == -EINVAL || ret == -E2BIG || ret == -ENOEXEC);
		FUZZ_CHECK(memchr(err, '\0', sizeof(err)) &&
			   !strchr(err, '\n'));
		FUZZ_CHECK(!strncmp(err, "vmlinuz: ", 9) ||
			   !strncmp(err, "initrd.img: ", 12));
	} else {
		fuzz_check_loaded(ram, ram_size, &bp, &out);
	}
	free(ram);
	free(cmdline);
	return 0;
}
