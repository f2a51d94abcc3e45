// SPDX-License-Identifier: Apache-2.0
/*
 * boot_load() with synthetic images: a bzImage with a protocol 2.15 setup
 * header, ELF64 vmlinux files and PVH ELFs built with <elf.h>. Expected
 * values come from the specs (boot.rst, zero-page.rst, start_info.h) as
 * literal offsets, never from the loader's own constants. Guest RAM has
 * PROT_NONE guard pages on both sides, so a stray write crashes the test.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <elf.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "../../src/vmm/boot/loader.h"

#define M(x) ((u64)(x) << 20)
#define PAGE 4096

/* ---- little-endian helpers, independent of the loader's ---- */

static void w16(u8 *p, u16 v)
{
	memcpy(p, &v, 2);
}

static void w32(u8 *p, u32 v)
{
	memcpy(p, &v, 4);
}

static void w64(u8 *p, u64 v)
{
	memcpy(p, &v, 8);
}

static u16 r16(const u8 *p)
{
	u16 v;

	memcpy(&v, p, 2);
	return v;
}

static u32 r32(const u8 *p)
{
	u32 v;

	memcpy(&v, p, 4);
	return v;
}

static u64 r64(const u8 *p)
{
	u64 v;

	memcpy(&v, p, 8);
	return v;
}

/* ---- a guest with guarded RAM ---- */

struct guest {
	u8 *map;
	u8 *ram;
	u64 size;
	struct gmem gm;
	struct e820_map e820;
};

static void guest_new(struct guest *g, u64 size)
{
	g->map = mmap(NULL, size + 2 * PAGE, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	assert_true(g->map != MAP_FAILED);
	assert_int_equal(mprotect(g->map, PAGE, PROT_NONE), 0);
	assert_int_equal(mprotect(g->map + PAGE + size, PAGE, PROT_NONE), 0);
	g->ram = g->map + PAGE;
	g->size = size;
	gmem_init(&g->gm, g->ram, size);
	e820_build(size, &g->e820);
}

static void guest_free(struct guest *g)
{
	munmap(g->map, g->size + 2 * PAGE);
}

struct load {
	const u8 *kernel;
	size_t kernel_size;
	const u8 *initrd;
	size_t initrd_size;
	const char *cmdline;
	struct boot_entry out;
	char err[256];
};

static int do_load(struct guest *g, struct load *l)
{
	struct boot_params_in in = {
		.kernel_path = "vmlinuz",
		.kernel = l->kernel,
		.kernel_size = l->kernel_size,
		.initrd_path = "initrd.img",
		.initrd = l->initrd,
		.initrd_size = l->initrd_size,
		.cmdline = l->cmdline ? l->cmdline : "console=ttyS0 quiet",
		.rsdp_gpa = 0xe0000,
		.e820 = &g->e820,
	};
	int ret;

	memset(l->err, 0x55, sizeof(l->err));
	ret = boot_load(&g->gm, &in, &l->out, l->err, sizeof(l->err));
	/* Every failure says which file and why, on one line. */
	if (ret) {
		assert_non_null(memchr(l->err, 0, sizeof(l->err)));
		assert_null(strchr(l->err, '\n'));
		assert_true(!strncmp(l->err, "vmlinuz: ", 9) ||
			    !strncmp(l->err, "initrd.img: ", 12));
	}
	return ret;
}

/* ---- bzImage ---- */

#define BZ_SETUP (5 * 512) /* boot sector + setup_sects 4 */
#define BZ_KERNEL 0x3000
#define BZ_SIZE (BZ_SETUP + BZ_KERNEL)
#define BZ_PREF 0x1000000ULL
#define BZ_INIT_SIZE 0x800000ULL

/* A Linux 6.x-like bzImage: protocol 2.15, relocatable, 64-bit entry. */
static u8 *bz_build(void)
{
	u8 *b = calloc(1, BZ_SIZE);
	size_t i;

	assert_non_null(b);
	b[0x1f1] = 4; /* setup_sects */
	w16(b + 0x1f2, 1); /* root_flags */
	w32(b + 0x1f4, BZ_KERNEL / 16); /* syssize */
	w16(b + 0x1fa, 0xffff); /* vid_mode */
	w16(b + 0x1fe, 0xaa55); /* boot_flag */
	b[0x200] = 0xeb; /* jump */
	b[0x201] = 0x6a; /* header ends at 0x26c */
	memcpy(b + 0x202, "HdrS", 4);
	w16(b + 0x206, 0x020f); /* version 2.15 */
	w16(b + 0x20e, 0x1234); /* kernel_version */
	b[0x211] = 0x01; /* loadflags: LOADED_HIGH */
	w32(b + 0x214, 0x100000); /* code32_start */
	w32(b + 0x22c, 0x7fffffff); /* initrd_addr_max */
	w32(b + 0x230, 0x200000); /* kernel_alignment */
	b[0x234] = 1; /* relocatable_kernel */
	b[0x235] = 21; /* min_alignment */
	w16(b + 0x236, 0x3); /* XLF_KERNEL_64 | ABOVE_4G */
	w32(b + 0x238, 2047); /* cmdline_size */
	w64(b + 0x258, BZ_PREF); /* pref_address */
	w32(b + 0x260, BZ_INIT_SIZE); /* init_size */
	memset(b + 0x26c, 0xcc, 0x290 - 0x26c); /* past the header */
	for (i = 0; i < BZ_KERNEL; i++)
		b[BZ_SETUP + i] = (u8)(i * 7 + 3);
	return b;
}

static void check_gdt_and_pagetables(const struct guest *g)
{
	const u8 *r = g->ram;

	/* __BOOT_CS = 0x10 64-bit code, __BOOT_DS = 0x18 flat data */
	assert_int_equal(r64(r + 0x500), 0);
	assert_int_equal(r64(r + 0x510), 0x00af9b000000ffffULL);
	assert_int_equal(r64(r + 0x518), 0x00cf93000000ffffULL);
	/* PML4[0] -> PDPT, PDPT[i] -> PD i, PD entries: 2 MiB identity */
	assert_int_equal(r64(r + 0x9000), 0xa003);
	assert_int_equal(r64(r + 0x9008), 0);
	assert_int_equal(r64(r + 0xa000), 0xb003);
	assert_int_equal(r64(r + 0xa018), 0xe003);
	assert_int_equal(r64(r + 0xa020), 0);
	assert_int_equal(r64(r + 0xb000), 0x83);
	assert_int_equal(r64(r + 0xb008), 0x200083);
	assert_int_equal(r64(r + 0xc000), 0x40000083);
	assert_int_equal(r64(r + 0xeff8), 0xffe00083ULL);
}

static void check_zp_e820(const struct guest *g)
{
	const u8 *zp = g->ram + 0x7000;
	int i;

	assert_int_equal(zp[0x1e8], g->e820.nr);
	assert_int_equal(g->e820.nr, 4);
	for (i = 0; i < g->e820.nr; i++) {
		const u8 *e = zp + 0x2d0 + 20 * i;

		assert_int_equal(r64(e), g->e820.e[i].addr);
		assert_int_equal(r64(e + 8), g->e820.e[i].size);
		assert_int_equal(r32(e + 16), g->e820.e[i].type);
	}
	/* the last RAM entry is [1 MiB, end of RAM) */
	assert_int_equal(r64(zp + 0x2d0 + 60), 0x100000);
	assert_int_equal(r64(zp + 0x2d0 + 68), g->size - 0x100000);
}

static void test_bz_valid(void **state)
{
	const size_t isz = M(1) + 123;
	u8 *bz = bz_build(), *initrd = malloc(isz);
	struct load l = { bz, BZ_SIZE, initrd, isz, NULL, { 0 }, "" };
	struct guest g;
	const u8 *zp;
	u64 istart;

	(void)state;
	memset(initrd, 0x5a, isz);
	guest_new(&g, M(64));
	memset(g.ram + BZ_PREF + BZ_KERNEL, 0xee, 0x1000); /* old junk */
	assert_int_equal(do_load(&g, &l), 0);
	assert_int_equal(l.out.mode, BOOT_MODE_LONG64);
	assert_int_equal(l.out.format, BOOT_FMT_BZIMAGE);
	assert_int_equal(l.out.rip, 0x1000200);
	assert_int_equal(l.out.rsi, 0x7000);
	assert_memory_equal(g.ram + BZ_PREF, bz + BZ_SETUP, BZ_KERNEL);
	assert_int_equal(g.ram[BZ_PREF + BZ_KERNEL], 0); /* init_size zeroed */

	zp = g.ram + 0x7000;
	/* setup header copied from 0x1f1 up to 0x202 + byte at 0x201 */
	assert_int_equal(zp[0x1f1], 4);
	assert_int_equal(r16(zp + 0x1fa), 0xffff);
	assert_int_equal(r16(zp + 0x1fe), 0xaa55);
	assert_memory_equal(zp + 0x202, "HdrS", 4);
	assert_int_equal(r16(zp + 0x206), 0x020f);
	assert_int_equal(r16(zp + 0x20e), 0x1234);
	assert_int_equal(r64(zp + 0x258), BZ_PREF);
	assert_int_equal(r32(zp + 0x260), BZ_INIT_SIZE);
	assert_int_equal(zp[0x26c], 0);
	assert_int_equal(zp[0x28f], 0);
	/* what the loader writes */
	assert_int_equal(zp[0x210], 0xff);
	assert_int_equal(zp[0x211] & 0x81, 0x81);
	assert_int_equal(r16(zp + 0x224), 0xfe00);
	assert_int_equal(r32(zp + 0x228), 0x20000);
	assert_int_equal(r32(zp + 0xc8), 0);
	assert_string_equal((const char *)g.ram + 0x20000,
			    "console=ttyS0 quiet");
	assert_int_equal(r64(zp + 0x70), 0xe0000);
	check_zp_e820(&g);

	/* initrd: highest page below 64 MiB, above the init_size region */
	istart = l.out.initrd_start;
	assert_int_equal(istart % PAGE, 0);
	assert_true(istart + isz <= M(64));
	assert_true(M(64) - (istart + isz) < PAGE);
	assert_true(istart >= BZ_PREF + BZ_INIT_SIZE);
	assert_int_equal(l.out.initrd_size, isz);
	assert_int_equal(r32(zp + 0x218), istart);
	assert_int_equal(r32(zp + 0x21c), isz);
	assert_int_equal(r32(zp + 0xc0), 0);
	assert_int_equal(r32(zp + 0xc4), 0);
	assert_memory_equal(g.ram + istart, initrd, isz);

	check_gdt_and_pagetables(&g);
	guest_free(&g);
	free(initrd);
	free(bz);
}

static void test_bz_no_initrd(void **state)
{
	u8 *bz = bz_build();
	struct load l = { bz, BZ_SIZE, NULL, 0, "", { 0 }, "" };
	struct guest g;

	(void)state;
	guest_new(&g, M(32));
	memset(g.ram + 0x7000, 0xff, 0x1000); /* the zero page starts zeroed */
	assert_int_equal(do_load(&g, &l), 0);
	assert_int_equal(l.out.initrd_start, 0);
	assert_int_equal(l.out.initrd_size, 0);
	assert_int_equal(r32(g.ram + 0x7218), 0);
	assert_int_equal(r32(g.ram + 0x721c), 0);
	assert_int_equal(r64(g.ram + 0x7000), 0);
	assert_int_equal(g.ram[0x20000], 0);
	guest_free(&g);
	free(bz);
}

/* setup_sects 0 means 4 (boot.rst); with 4 real sectors it loads alike. */
static void test_bz_setup_sects_zero(void **state)
{
	u8 *bz = bz_build();
	struct load l = { bz, BZ_SIZE, NULL, 0, NULL, { 0 }, "" };
	struct guest g;

	(void)state;
	bz[0x1f1] = 0;
	guest_new(&g, M(32));
	assert_int_equal(do_load(&g, &l), 0);
	assert_int_equal(l.out.rip, 0x1000200);
	assert_memory_equal(g.ram + BZ_PREF, bz + BZ_SETUP, BZ_KERNEL);
	guest_free(&g);
	free(bz);
}

/* Every cut of the file, from nothing to one byte short, is refused. */
static void test_bz_truncated(void **state)
{
	u8 *bz = bz_build();
	struct guest g;
	size_t len;

	(void)state;
	guest_new(&g, M(32));
	for (len = 0; len < BZ_SIZE; len++) {
		u8 *cut = malloc(len ? len : 1);
		struct load l = { cut, len, NULL, 0, NULL, { 0 }, "" };
		int ret;

		memcpy(cut, bz, len);
		ret = do_load(&g, &l);
		assert_true(ret == -EINVAL || ret == -ENOEXEC);
		if (len >= 0x264 && len < BZ_SETUP)
			assert_non_null(strstr(
				l.err, "truncated: setup needs 2560 bytes"));
		if (len >= BZ_SETUP)
			assert_non_null(strstr(
				l.err, "truncated: kernel needs 14848 bytes"));
		free(cut);
	}
	guest_free(&g);
	free(bz);
}

static void expect_bz_error(u8 *bz, size_t size, int want, const char *msg)
{
	struct load l = { bz, size, NULL, 0, NULL, { 0 }, "" };
	struct guest g;

	guest_new(&g, M(64));
	assert_int_equal(do_load(&g, &l), want);
	if (!strstr(l.err, msg))
		fail_msg("error \"%s\" lacks \"%s\"", l.err, msg);
	guest_free(&g);
}

static void test_bz_bad_headers(void **state)
{
	u8 *bz = bz_build();

	(void)state;
	w16(bz + 0x1fe, 0xaa56);
	expect_bz_error(bz, BZ_SIZE, -ENOEXEC, "vmlinuz: not a bzImage");
	w16(bz + 0x1fe, 0xaa55);
	memcpy(bz + 0x202, "HdrT", 4);
	expect_bz_error(bz, BZ_SIZE, -ENOEXEC, "vmlinuz: not a bzImage");
	memcpy(bz + 0x202, "HdrS", 4);
	w16(bz + 0x206, 0x020b);
	expect_bz_error(bz, BZ_SIZE, -EINVAL, "2.11");
	w16(bz + 0x206, 0x020c);
	w16(bz + 0x236, 0x2);
	expect_bz_error(bz, BZ_SIZE, -EINVAL, "XLF_KERNEL_64");
	w16(bz + 0x236, 0x1);
	bz[0x211] = 0;
	expect_bz_error(bz, BZ_SIZE, -EINVAL, "LOADED_HIGH");
	bz[0x211] = 1;
	bz[0x1f1] = 255;
	expect_bz_error(bz, BZ_SIZE, -EINVAL,
			"truncated: setup needs 131072 bytes, file has 14848");
	bz[0x1f1] = 4;
	w32(bz + 0x1f4, 0);
	expect_bz_error(bz, BZ_SIZE, -EINVAL, "syssize");
	w32(bz + 0x1f4, 0xffffffff);
	expect_bz_error(bz, BZ_SIZE, -EINVAL, "truncated: kernel needs");
	w32(bz + 0x1f4, BZ_KERNEL / 16);
	bz[0x201] = 0x20; /* header would end at 0x222: before init_size */
	expect_bz_error(bz, BZ_SIZE, -EINVAL, "setup header too short");
	free(bz);
}

static void test_bz_placement_errors(void **state)
{
	u8 *bz = bz_build();

	(void)state;
	w32(bz + 0x260, 0);
	expect_bz_error(bz, BZ_SIZE, -EINVAL, "init_size");
	w32(bz + 0x260, BZ_INIT_SIZE);
	w64(bz + 0x258, 0x1100000); /* not 2 MiB aligned */
	expect_bz_error(bz, BZ_SIZE, -EINVAL, "kernel_alignment");
	w32(bz + 0x230, 0x300000); /* not a power of two */
	w64(bz + 0x258, 0x600000);
	expect_bz_error(bz, BZ_SIZE, -EINVAL, "kernel_alignment");
	w32(bz + 0x230, 0x200000);
	w64(bz + 0x258, 0);
	expect_bz_error(bz, BZ_SIZE, -EINVAL, "below 1 MiB");
	/* 60 MiB + 8 MiB init_size does not fit a 64 MiB guest */
	w64(bz + 0x258, M(60));
	expect_bz_error(bz, BZ_SIZE, -E2BIG, "kernel does not fit in RAM");
	/* hostile values must not wrap around into RAM */
	w64(bz + 0x258, 0xffffffffffe00000ULL);
	w32(bz + 0x260, 0xffffffff);
	expect_bz_error(bz, BZ_SIZE, -E2BIG, "kernel does not fit in RAM");
	/* a non-relocatable kernel ignores kernel_alignment */
	bz[0x234] = 0;
	w32(bz + 0x230, 0);
	w64(bz + 0x258, M(60));
	w32(bz + 0x260, M(4)); /* ends exactly at 64 MiB */
	{
		struct load l = { bz, BZ_SIZE, NULL, 0, NULL, { 0 }, "" };
		struct guest g;

		guest_new(&g, M(64));
		assert_int_equal(do_load(&g, &l), 0);
		assert_int_equal(l.out.rip, M(60) + 0x200);
		guest_free(&g);
	}
	free(bz);
}

static void test_bz_cmdline(void **state)
{
	u8 *bz = bz_build();
	struct load l = { bz, BZ_SIZE, NULL, 0, "0123456789abcdef", { 0 }, "" };
	struct guest g;

	(void)state;
	w32(bz + 0x238, 16); /* cmdline_size: without the NUL */
	guest_new(&g, M(32));
	assert_int_equal(do_load(&g, &l), 0);
	assert_string_equal((const char *)g.ram + 0x20000, "0123456789abcdef");
	l.cmdline = "0123456789abcdefX";
	assert_int_equal(do_load(&g, &l), -E2BIG);
	assert_non_null(strstr(l.err, "command line too long"));
	guest_free(&g);
	free(bz);
}

static void test_bz_initrd_limits(void **state)
{
	u8 *bz = bz_build(), *initrd = calloc(1, M(48));
	struct load l = { bz, BZ_SIZE, initrd, M(48), NULL, { 0 }, "" };
	struct guest g;

	(void)state;
	guest_new(&g, M(64));
	/* kernel region ends at 24 MiB: 40 MiB are left */
	assert_int_equal(do_load(&g, &l), -E2BIG);
	assert_string_equal(
		l.err,
		"initrd.img: initrd too large for RAM (48 MiB, 64 MiB guest)");
	l.initrd_size = M(40);
	assert_int_equal(do_load(&g, &l), 0);
	assert_int_equal(l.out.initrd_start, M(24));
	l.initrd_size = M(40) + 1;
	assert_int_equal(do_load(&g, &l), -E2BIG);
	/* initrd_addr_max is the last byte the initrd may occupy */
	w32(bz + 0x22c, M(48) - 1);
	l.initrd_size = M(3) + 5;
	assert_int_equal(do_load(&g, &l), 0);
	assert_true(l.out.initrd_start + l.out.initrd_size <= M(48));
	assert_int_equal(l.out.initrd_start, (M(48) - M(3) - 5) & ~0xfffULL);
	guest_free(&g);
	free(initrd);
	free(bz);
}

static void test_garbage(void **state)
{
	static const u8 junk[4096] = { 'M', 'Z', 0x90 };
	struct boot_params_in in = {
		.kernel_path = "bad.img",
		.kernel = junk,
		.kernel_size = sizeof(junk),
		.cmdline = "",
	};
	struct boot_entry out;
	struct guest g;
	char err[128];

	(void)state;
	guest_new(&g, M(16));
	in.e820 = &g.e820;
	assert_int_equal(boot_load(&g.gm, &in, &out, err, sizeof(err)),
			 -ENOEXEC);
	assert_string_equal(err,
			    "bad.img: not a bzImage, ELF vmlinux or PVH ELF");
	in.kernel_size = 0;
	assert_int_equal(boot_load(&g.gm, &in, &out, err, sizeof(err)),
			 -ENOEXEC);
	assert_string_equal(err,
			    "bad.img: not a bzImage, ELF vmlinux or PVH ELF");
	/* a tiny error buffer is cut, never overrun */
	err[5] = 'Z';
	assert_int_equal(boot_load(&g.gm, &in, &out, err, 5), -ENOEXEC);
	assert_string_equal(err, "bad.");
	assert_int_equal(err[5], 'Z');
	guest_free(&g);
}

/* ---- ELF: vmlinux and PVH ---- */

struct seg {
	u32 type;
	u64 paddr, vaddr, filesz, memsz, align;
	const u8 *data; /* NULL: a pattern */
};

struct elf_spec {
	bool is32;
	u16 type, machine;
	u64 entry;
	int nr;
	struct seg s[4];
};

#define ELF_DATA_OFF 0x1000

/* Lay out header, program headers, then each segment page-aligned. */
static u8 *elf_build(const struct elf_spec *sp, size_t *size)
{
	size_t off = ELF_DATA_OFF, phsz = sp->is32 ? 32 : 56;
	u64 offs[4];
	u8 *b;
	int i;

	for (i = 0; i < sp->nr; i++) {
		offs[i] = off;
		off += (sp->s[i].filesz + PAGE - 1) & ~(u64)(PAGE - 1);
	}
	b = calloc(1, off);
	assert_non_null(b);
	memcpy(b, ELFMAG, SELFMAG);
	b[EI_CLASS] = sp->is32 ? ELFCLASS32 : ELFCLASS64;
	b[EI_DATA] = ELFDATA2LSB;
	b[EI_VERSION] = EV_CURRENT;
	w16(b + 16, sp->type ? sp->type : ET_EXEC);
	w16(b + 18,
	    sp->machine ? sp->machine : (sp->is32 ? EM_386 : EM_X86_64));
	w32(b + 20, EV_CURRENT);
	if (sp->is32) {
		w32(b + 24, (u32)sp->entry);
		w32(b + 28, 52); /* e_phoff */
		w16(b + 40, 52);
		w16(b + 42, 32);
		w16(b + 44, (u16)sp->nr);
	} else {
		w64(b + 24, sp->entry);
		w64(b + 32, 64); /* e_phoff */
		w16(b + 52, 64);
		w16(b + 54, 56);
		w16(b + 56, (u16)sp->nr);
	}
	for (i = 0; i < sp->nr; i++) {
		const struct seg *s = &sp->s[i];
		u8 *ph = b + (sp->is32 ? 52 : 64) + i * phsz;
		u64 j;

		if (sp->is32) {
			Elf32_Phdr p = { s->type,	 (u32)offs[i],
					 (u32)s->vaddr,	 (u32)s->paddr,
					 (u32)s->filesz, (u32)s->memsz,
					 PF_R,		 (u32)s->align };
			memcpy(ph, &p, sizeof(p));
		} else {
			Elf64_Phdr p = { s->type,  PF_R,     offs[i],
					 s->vaddr, s->paddr, s->filesz,
					 s->memsz, s->align };
			memcpy(ph, &p, sizeof(p));
		}
		for (j = 0; j < s->filesz; j++)
			b[offs[i] + j] =
				s->data ? s->data[j] : (u8)(j * 13 + i + 1);
	}
	*size = off;
	return b;
}

#define KMAP 0xffffffff80000000ULL

/* An x86-64 vmlinux: text at 16 MiB, data with a .bss tail. */
static const struct elf_spec vmlinux_spec = {
	.entry = 0x1000000,
	.nr = 2,
	.s = {
		{ PT_LOAD, 0x1000000, KMAP + 0x1000000, 0x2000, 0x2000,
		  0x200000, NULL },
		{ PT_LOAD, 0x1200000, KMAP + 0x1200000, 0x1000, 0x5000,
		  0x200000, NULL },
	},
};

static void test_vmlinux_valid(void **state)
{
	size_t size, isz = 3 * PAGE;
	u8 *k = elf_build(&vmlinux_spec, &size), *initrd = calloc(1, isz);
	struct load l = { k, size, initrd, isz, NULL, { 0 }, "" };
	struct guest g;
	const u8 *zp;

	(void)state;
	guest_new(&g, M(64));
	memset(g.ram + 0x1201000, 0xaa, 0x4000); /* .bss must be zeroed */
	assert_int_equal(do_load(&g, &l), 0);
	assert_int_equal(l.out.format, BOOT_FMT_VMLINUX);
	assert_int_equal(l.out.mode, BOOT_MODE_LONG64);
	assert_int_equal(l.out.rip, 0x1000000);
	assert_int_equal(l.out.rsi, 0x7000);
	assert_memory_equal(g.ram + 0x1000000, k + ELF_DATA_OFF, 0x2000);
	assert_memory_equal(g.ram + 0x1200000, k + ELF_DATA_OFF + 0x2000,
			    0x1000);
	for (size = 0x1201000; size < 0x1205000; size++)
		assert_int_equal(g.ram[size], 0);
	zp = g.ram + 0x7000;
	assert_int_equal(r16(zp + 0x1fe), 0xaa55);
	assert_memory_equal(zp + 0x202, "HdrS", 4);
	assert_int_equal(r16(zp + 0x206), 0x020c);
	assert_int_equal(zp[0x210], 0xff);
	assert_int_equal(r32(zp + 0x228), 0x20000);
	assert_true(r32(zp + 0x238) >= strlen("console=ttyS0 quiet"));
	assert_int_equal(r64(zp + 0x70), 0xe0000);
	assert_int_equal(r32(zp + 0x218), l.out.initrd_start);
	assert_int_equal(r32(zp + 0x21c), isz);
	assert_int_equal(l.out.initrd_start, M(64) - isz);
	check_zp_e820(&g);
	check_gdt_and_pagetables(&g);
	guest_free(&g);
	free(initrd);
	free(k);
}

static void test_vmlinux_virtual_entry(void **state)
{
	struct elf_spec sp = vmlinux_spec;
	struct load l = { 0 };
	struct guest g;
	size_t size;
	u8 *k;

	(void)state;
	sp.entry = KMAP + 0x1200100;
	k = elf_build(&sp, &size);
	l.kernel = k;
	l.kernel_size = size;
	guest_new(&g, M(32));
	assert_int_equal(do_load(&g, &l), 0);
	assert_int_equal(l.out.rip, 0x1200100);
	free(k);
	sp.entry = 0x3000000; /* in no segment */
	k = elf_build(&sp, &size);
	l.kernel = k;
	assert_int_equal(do_load(&g, &l), -EINVAL);
	assert_non_null(strstr(l.err, "entry point"));
	guest_free(&g);
	free(k);
}

static void expect_elf_error(const struct elf_spec *sp, int want,
			     const char *msg)
{
	struct load l = { 0 };
	struct guest g;
	size_t size;
	u8 *k = elf_build(sp, &size);

	l.kernel = k;
	l.kernel_size = size;
	guest_new(&g, M(32));
	assert_int_equal(do_load(&g, &l), want);
	if (!strstr(l.err, msg))
		fail_msg("error \"%s\" lacks \"%s\"", l.err, msg);
	guest_free(&g);
	free(k);
}

static void test_vmlinux_bad_segments(void **state)
{
	struct elf_spec sp = vmlinux_spec;

	(void)state;
	sp.s[1].paddr = M(40); /* a 32 MiB guest */
	expect_elf_error(&sp, -E2BIG, "outside guest RAM");
	sp.s[1].paddr = M(32) - 0x1000; /* straddles the end */
	expect_elf_error(&sp, -E2BIG, "outside guest RAM");
	sp.s[1].paddr = 0x7000; /* over the zero page */
	expect_elf_error(&sp, -E2BIG, "outside guest RAM");
	sp.s[1].paddr = 0xfffffffffffff000ULL; /* wraps to 0x4000 */
	expect_elf_error(&sp, -E2BIG, "outside guest RAM");
	sp.s[1].paddr = 0x1200000;
	sp.s[1].memsz = 0xfff; /* smaller than filesz */
	expect_elf_error(&sp, -EINVAL, "p_filesz");
	sp.s[1].memsz = 0xffffffffffffff00ULL;
	expect_elf_error(&sp, -E2BIG, "outside guest RAM");
	sp.s[1].memsz = 0x5000;
	sp.s[0].type = PT_NULL;
	sp.s[1].type = PT_NULL;
	expect_elf_error(&sp, -EINVAL, "no loadable segments");
}

static void test_elf_not_kernel(void **state)
{
	struct elf_spec sp = vmlinux_spec;

	(void)state;
	sp.type = ET_DYN;
	expect_elf_error(&sp, -ENOEXEC, "not an x86 ELF executable");
	sp.type = ET_EXEC;
	sp.machine = EM_AARCH64;
	expect_elf_error(&sp, -ENOEXEC, "not an x86 ELF executable");
	sp.machine = 0;
	sp.is32 = true; /* ELF32 without the PVH note */
	expect_elf_error(&sp, -ENOEXEC, "PVH");
}

/* A segment's file bytes past the end of the file. */
static void test_elf_offset_past_file(void **state)
{
	struct load l = { 0 };
	struct guest g;
	size_t size;
	u8 *k = elf_build(&vmlinux_spec, &size);

	(void)state;
	guest_new(&g, M(32));
	w64(k + 64 + 56 + 8, 0xfffffffffffff000ULL); /* phdr 1 p_offset */
	l.kernel = k;
	l.kernel_size = size;
	assert_int_equal(do_load(&g, &l), -EINVAL);
	assert_non_null(strstr(l.err, "truncated: segment 1"));
	w64(k + 64 + 56 + 8, size - 0x800); /* half in the file */
	assert_int_equal(do_load(&g, &l), -EINVAL);
	w64(k + 32, 0xfffffffffffffff0ULL); /* e_phoff */
	assert_int_equal(do_load(&g, &l), -EINVAL);
	assert_non_null(strstr(l.err, "program headers"));
	guest_free(&g);
	free(k);
}

static void test_elf_truncated(void **state)
{
	struct guest g;
	size_t size, len;
	u8 *k = elf_build(&vmlinux_spec, &size);

	(void)state;
	guest_new(&g, M(32));
	for (len = 0; len < size; len += len < 0x200 ? 1 : 61) {
		u8 *cut = malloc(len ? len : 1);
		struct load l = { cut, len, NULL, 0, NULL, { 0 }, "" };

		memcpy(cut, k, len);
		assert_true(do_load(&g, &l) < 0);
		free(cut);
	}
	guest_free(&g);
	free(k);
}

/* ---- PVH ---- */

/* A GNU build-id note, then Xen PHYS32_ENTRY with a @descsz entry. */
static size_t pvh_notes(u8 *n, u64 entry, u32 descsz)
{
	w32(n, 4);
	w32(n + 4, 20);
	w32(n + 8, NT_GNU_BUILD_ID);
	memcpy(n + 12, "GNU", 4);
	memset(n + 16, 0xab, 20);
	n += 36;
	w32(n, 4);
	w32(n + 4, descsz);
	w32(n + 8, 18); /* XEN_ELFNOTE_PHYS32_ENTRY */
	memcpy(n + 12, "Xen", 4);
	w64(n + 16, entry);
	return 36 + 16 + ((descsz + 3) & ~3u);
}

static u8 *pvh_build(bool is32, u64 entry, u32 descsz, size_t *size)
{
	u8 notes[128] = { 0 };
	struct elf_spec sp = {
		.is32 = is32,
		.entry = is32 ? 0x100000 : 0x1000000,
		.nr = 3,
		.s = {
			{ PT_LOAD, 0x100000, 0x100000, 0x1800, 0x3000, PAGE,
			  NULL },
			{ PT_NOTE, 0, 0, 0, 0, 4, notes },
			{ PT_LOAD, 0x1000000, KMAP + 0x1000000, 0x1000,
			  0x1000, PAGE, NULL },
		},
	};

	sp.s[1].filesz = pvh_notes(notes, entry, descsz);
	return elf_build(&sp, size);
}

static void check_pvh(const struct guest *g, const struct load *l, u64 entry)
{
	const u8 *si = g->ram + 0x6000;
	const u8 *mm, *mod;
	int i;

	assert_int_equal(l->out.format, BOOT_FMT_PVH);
	assert_int_equal(l->out.mode, BOOT_MODE_PROT32);
	assert_int_equal(l->out.rip, entry);
	assert_int_equal(l->out.rbx, 0x6000);
	assert_int_equal(r32(si), 0x336ec578);
	assert_int_equal(r32(si + 4), 1);
	assert_int_equal(r32(si + 8), 0);
	assert_int_equal(r64(si + 24), 0x20000);
	assert_string_equal((const char *)g->ram + 0x20000,
			    "console=ttyS0 quiet");
	assert_int_equal(r64(si + 32), 0xe0000);
	assert_int_equal(r64(si + 40), 0x6040);
	assert_int_equal(r32(si + 48), g->e820.nr);
	mm = g->ram + 0x6040;
	for (i = 0; i < g->e820.nr; i++, mm += 24) {
		assert_int_equal(r64(mm), g->e820.e[i].addr);
		assert_int_equal(r64(mm + 8), g->e820.e[i].size);
		assert_int_equal(r32(mm + 16), g->e820.e[i].type);
		assert_int_equal(r32(mm + 20), 0);
	}
	if (!l->initrd) {
		assert_int_equal(r32(si + 12), 0);
		return;
	}
	assert_int_equal(r32(si + 12), 1);
	mod = g->ram + r64(si + 16);
	assert_true(r64(si + 16) >= 0x6040 + 24 * (u64)g->e820.nr);
	assert_true(r64(si + 16) + 32 <= 0x7000);
	assert_int_equal(r64(mod), l->out.initrd_start);
	assert_int_equal(r64(mod + 8), l->initrd_size);
	assert_memory_equal(g->ram + r64(mod), l->initrd, l->initrd_size);
}

static void test_pvh_elf32(void **state)
{
	size_t size, isz = 10000;
	u8 *k = pvh_build(true, 0x100040, 4, &size), *initrd = malloc(isz);
	struct load l = { k, size, initrd, isz, NULL, { 0 }, "" };
	struct guest g;

	(void)state;
	memset(initrd, 0x3c, isz);
	guest_new(&g, M(32));
	memset(g.ram + 0x101800, 0x77, 0x1800);
	assert_int_equal(do_load(&g, &l), 0);
	check_pvh(&g, &l, 0x100040);
	assert_memory_equal(g.ram + 0x100000, k + ELF_DATA_OFF, 0x1800);
	assert_int_equal(g.ram[0x101800], 0);
	assert_int_equal(g.ram[0x102fff], 0);
	assert_int_equal(l.out.initrd_start % PAGE, 0);
	assert_true(l.out.initrd_start >= 0x1001000);
	assert_true(l.out.initrd_start + isz <= M(32));
	/* flat 32-bit code at 0x08 for the PVH entry, data at 0x18 */
	assert_int_equal(r64(g.ram + 0x508), 0x00cf9b000000ffffULL);
	assert_int_equal(r64(g.ram + 0x518), 0x00cf93000000ffffULL);
	l.initrd = NULL;
	l.initrd_size = 0;
	assert_int_equal(do_load(&g, &l), 0);
	check_pvh(&g, &l, 0x100040);
	guest_free(&g);
	free(initrd);
	free(k);
}

/* A vmlinux built with CONFIG_PVH carries the note: it boots PVH. */
static void test_pvh_elf64(void **state)
{
	size_t size, isz = 5000;
	u8 *k = pvh_build(false, 0x1000800, 8, &size), *initrd = malloc(isz);
	struct load l = { k, size, initrd, isz, NULL, { 0 }, "" };
	struct guest g;

	(void)state;
	memset(initrd, 0x3d, isz);
	guest_new(&g, M(32));
	assert_int_equal(do_load(&g, &l), 0);
	check_pvh(&g, &l, 0x1000800);
	guest_free(&g);
	free(initrd);
	free(k);
}

static void test_pvh_bad_note(void **state)
{
	struct load l = { 0 };
	struct guest g;
	size_t size;
	u8 *k;

	(void)state;
	guest_new(&g, M(32));
	k = pvh_build(true, 0x100040, 3, &size);
	l.kernel = k;
	l.kernel_size = size;
	assert_int_equal(do_load(&g, &l), -EINVAL);
	assert_non_null(strstr(l.err, "PVH entry note"));
	free(k);
	k = pvh_build(true, 0x200000, 4, &size); /* in no segment */
	l.kernel = k;
	assert_int_equal(do_load(&g, &l), -EINVAL);
	assert_non_null(strstr(l.err, "PVH entry 0x200000"));
	free(k);
	k = pvh_build(false, 0x100001000ULL, 8, &size); /* above 4 GiB */
	l.kernel = k;
	assert_int_equal(do_load(&g, &l), -EINVAL);
	guest_free(&g);
	free(k);
}

/* ---- random mutations of every valid image ---- */

/* A valid image and the byte ranges its loader parses. */
struct fuzz_img {
	u8 *buf;
	size_t size;
	size_t hot[2][2]; /* [from, to) */
};

static int fuzz_one(struct guest *g, const struct fuzz_img *f,
		    unsigned int *seed)
{
	u8 *m = malloc(f->size);
	u8 initrd[3000];
	struct load l = { m, f->size, initrd, sizeof(initrd), NULL, { 0 }, "" };
	int i, n = 1 + rand_r(seed) % 6, ret;

	memcpy(m, f->buf, f->size);
	memset(initrd, 0x11, sizeof(initrd));
	for (i = 0; i < n; i++) {
		/* mostly where the parsing is; sometimes anywhere */
		int zone = rand_r(seed) % 5;
		const size_t *h = f->hot[zone & 1];
		size_t at =
			zone < 4 ? h[0] + (size_t)rand_r(seed) % (h[1] - h[0]) :
				   (size_t)rand_r(seed) % f->size;
		int how = rand_r(seed) % 4;

		if (how == 0)
			m[at] = (u8)rand_r(seed);
		else if (how == 1)
			m[at] ^= (u8)(1u << (rand_r(seed) % 8));
		else if (how == 2)
			m[at] = rand_r(seed) % 2 ? 0xff : 0;
		else
			memset(m + at, 0xff, MIN(f->size - at, 8u));
	}
	if (rand_r(seed) % 8 == 0)
		l.kernel_size = (size_t)rand_r(seed) % f->size;
	ret = do_load(g, &l);
	if (ret == 0) {
		assert_non_null(gmem_ptr(&g->gm, l.out.rip, 1));
		assert_non_null(
			gmem_ptr(&g->gm, l.out.kernel_start,
				 l.out.kernel_end - l.out.kernel_start));
	} else {
		assert_true(ret == -EINVAL || ret == -E2BIG || ret == -ENOEXEC);
	}
	free(m);
	return ret;
}

#ifndef FUZZ_ITERS
#define FUZZ_ITERS 2000
#endif
#ifndef FUZZ_SEED
#define FUZZ_SEED 0x5eed1e55
#endif

/* FUZZ_ITERS mutants of each valid image: none may crash or write outside RAM. */
static void test_fuzz(void **state)
{
	/* PVH notes sit after segment 0's two pages */
	struct fuzz_img f[4] = {
		{ bz_build(), BZ_SIZE, { { 0x1f0, 0x270 }, { 0x1f0, 0x270 } } },
		{ NULL, 0, { { 0, 64 + 2 * 56 }, { 0, 64 + 2 * 56 } } },
		{ NULL, 0, { { 0, 52 + 3 * 32 }, { 0x3000, 0x3000 + 56 } } },
		{ NULL, 0, { { 0, 64 + 3 * 56 }, { 0x3000, 0x3000 + 60 } } },
	};
	unsigned int seed = FUZZ_SEED;
	struct guest g;
	int i, j;

	(void)state;
	f[1].buf = elf_build(&vmlinux_spec, &f[1].size);
	f[2].buf = pvh_build(true, 0x100040, 4, &f[2].size);
	f[3].buf = pvh_build(false, 0x1000800, 8, &f[3].size);
	guest_new(&g, M(32));
	for (i = 0; i < 4; i++) {
		int loaded = 0;

		for (j = 0; j < FUZZ_ITERS; j++)
			loaded += !fuzz_one(&g, &f[i], &seed);
		print_message("image %d: %d of %d mutants loaded\n", i, loaded,
			      FUZZ_ITERS);
		/* Both paths ran: neither all mutants fatal nor all harmless. */
		assert_true(loaded > 0 && loaded < FUZZ_ITERS);
		free(f[i].buf);
	}
	guest_free(&g);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bz_valid),
		cmocka_unit_test(test_bz_no_initrd),
		cmocka_unit_test(test_bz_setup_sects_zero),
		cmocka_unit_test(test_bz_truncated),
		cmocka_unit_test(test_bz_bad_headers),
		cmocka_unit_test(test_bz_placement_errors),
		cmocka_unit_test(test_bz_cmdline),
		cmocka_unit_test(test_bz_initrd_limits),
		cmocka_unit_test(test_garbage),
		cmocka_unit_test(test_vmlinux_valid),
		cmocka_unit_test(test_vmlinux_virtual_entry),
		cmocka_unit_test(test_vmlinux_bad_segments),
		cmocka_unit_test(test_elf_not_kernel),
		cmocka_unit_test(test_elf_offset_past_file),
		cmocka_unit_test(test_elf_truncated),
		cmocka_unit_test(test_pvh_elf32),
		cmocka_unit_test(test_pvh_elf64),
		cmocka_unit_test(test_pvh_bad_note),
		cmocka_unit_test(test_fuzz),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
