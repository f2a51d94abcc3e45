// SPDX-License-Identifier: Apache-2.0
/*
 * The boot GDT and the identity page tables a 64-bit entry needs
 * (Documentation/arch/x86/boot.rst, "64-bit BOOT PROTOCOL": paging on, the
 * kernel, zero page and command line identity-mapped, a GDT with flat
 * __BOOT_CS = 0x10 and __BOOT_DS = 0x18).
 */
#include <errno.h>

#include "boot_priv.h"
#include "layout.h"

/* Descriptors as Linux's own boot GDT has them (arch/x86/boot/pm.c). */
#define GDT_CODE32 0x00cf9b000000ffffULL /* base 0, 4 GiB, D=1, exec/read */
#define GDT_CODE64 0x00af9b000000ffffULL /* L=1: 64-bit code, exec/read */
#define GDT_DATA 0x00cf93000000ffffULL /* base 0, 4 GiB, read/write */

/* Page-table entry bits (SDM Vol. 3A 4.5, Table 4-15 and 4-17). */
#define PTE_P 0x1ULL
#define PTE_RW 0x2ULL
#define PTE_PS 0x80ULL /* 2 MiB page in a PD entry */
#define PD_ENTRIES 512
#define PD_COUNT 4 /* 4 x 512 x 2 MiB = 4 GiB */

int boot_write_gdt(struct boot_ctx *ctx)
{
	u8 *gdt = gmem_ptr(ctx->gm, BOOT_GDT, BOOT_GDT_LIMIT + 1);

	if (!gdt)
		return boot_fail(ctx, boot_kernel_name(ctx), -E2BIG,
				 "guest RAM too small for the boot GDT");
	memset(gdt, 0, BOOT_GDT_LIMIT + 1);
	put_le64(gdt + BOOT_CS32_SELECTOR, GDT_CODE32);
	put_le64(gdt + BOOT_CS_SELECTOR, GDT_CODE64);
	put_le64(gdt + BOOT_DS_SELECTOR, GDT_DATA);
	return 0;
}

int boot_write_pagetables(struct boot_ctx *ctx)
{
	u8 *pml4 = gmem_ptr(ctx->gm, BOOT_PML4, 0x1000);
	u8 *pdpt = gmem_ptr(ctx->gm, BOOT_PDPT, 0x1000);
	u8 *pd = gmem_ptr(ctx->gm, BOOT_PD, PD_COUNT * 0x1000);
	u64 i;

	if (!pml4 || !pdpt || !pd)
		return boot_fail(ctx, boot_kernel_name(ctx), -E2BIG,
				 "guest RAM too small for boot page tables");
	memset(pml4, 0, 0x1000);
	memset(pdpt, 0, 0x1000);
	put_le64(pml4, BOOT_PDPT | PTE_P | PTE_RW);
	for (i = 0; i < PD_COUNT; i++)
		put_le64(pdpt + 8 * i, (BOOT_PD + 0x1000 * i) | PTE_P | PTE_RW);
	for (i = 0; i < PD_COUNT * PD_ENTRIES; i++)
		put_le64(pd + 8 * i, (i << 21) | PTE_P | PTE_RW | PTE_PS);
	return 0;
}
