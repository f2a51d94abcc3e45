/*
 * AP real-mode entry. smp.c copies [trampoline_start, trampoline_end) to
 * TRAMPOLINE_PHYS; a STARTUP IPI with vector TRAMPOLINE_PHYS >> 12 starts
 * the AP at CS = 0x0800, IP = 0 in real mode (SDM Vol. 3A 8.4.4.1). The
 * code is position-independent apart from its own base: it addresses its
 * data through DS = CS, loads the probe's GDT, enables protection and
 * jumps to ap_start32 (entry.S), which enables long mode on the BSP's
 * page tables.
 */
#include "layout.h"
#include "x86.h"

	.section .text.trampoline, "ax"
	.code16
	.globl trampoline_start, trampoline_end
trampoline_start:
	cli
	cld
	mov %cs, %ax
	mov %ax, %ds
	lgdtl tr_gdt_desc - trampoline_start
	/* Linux's trampoline also drops the INIT value's CD/NW here. */
	mov $(CR0_PE | CR0_ET | CR0_NE), %eax
	mov %eax, %cr0
	ljmpl $SEL_CODE32, $ap_start32

	.balign 8
tr_gdt_desc:
	.word GDT_SIZE - 1
	.long gdt
trampoline_end:
