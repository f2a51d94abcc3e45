/*
 * Static identity map of the first 4 GiB with 2 MiB pages (SDM Vol. 3A
 * 4.5), built by the assembler so that boot runs no loop over 2048
 * entries. 0..2 GiB is write-back RAM. 2..4 GiB is vessel's PCI hole
 * (docs/dev/layout.md; q35 uses the same split above 2.75 GiB of RAM)
 * with the IOAPIC, HPET, LAPIC and MMIO devices: mapped uncached
 * (PCD|PWT selects PAT entry 3, UC, with the power-on PAT).
 */
#include "x86.h"

#define PDE_WB (PTE_P | PTE_W | PTE_PS)
#define PDE_UC (PDE_WB | PTE_PCD | PTE_PWT)

	.section .data.pagetables, "aw"
	.balign 4096
	.globl pml4, pdpt
pml4:
	.quad pdpt + PTE_P + PTE_W
	.fill 511, 8, 0
pdpt:
	.quad pd + 0x0000 + PTE_P + PTE_W
	.quad pd + 0x1000 + PTE_P + PTE_W
	.quad pd + 0x2000 + PTE_P + PTE_W
	.quad pd + 0x3000 + PTE_P + PTE_W
	.fill 508, 8, 0
pd:
	.set addr, 0
	.rept 1024
	.quad addr + PDE_WB
	.set addr, addr + 0x200000
	.endr
	.rept 1024
	.quad addr + PDE_UC
	.set addr, addr + 0x200000
	.endr
