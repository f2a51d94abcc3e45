/*
 * PVH entry (Xen's docs/misc/pvh.pandoc, "x86/HVM direct boot ABI"):
 * 32-bit protected mode, paging off, flat segments, EBX = physical address
 * of struct hvm_start_info. We load our own GDT, switch to long mode on
 * the static identity map (pagetable.S) and call probe_main(start_info).
 * The APs join at ap_start32 from the real-mode trampoline.
 */
#include "layout.h"
#include "x86.h"

/*
 * XEN_ELFNOTE_PHYS32_ENTRY (18), Xen's public/elfnote.h: a 4-byte
 * physical entry address. QEMU 7.2's read_pvh_start_addr() reads the
 * descriptor of a 64-bit ELF as 8 bytes, so the note is followed by an
 * empty note whose first word (n_namesz) is zero.
 */
	.section .note.Xen, "a", @note
	.balign 4
	.long 2f - 1f
	.long 4f - 3f
	.long 18
1:	.asciz "Xen"
2:	.balign 4
3:	.long pvh_start32
4:	.balign 4
	.long 0, 0, 0

/*
 * Enter IA-32e mode (SDM Vol. 3A 9.8.5): PAE, CR3, EFER.LME, then paging;
 * the far jump to a 64-bit code selector leaves compatibility mode.
 * CD/NW are cleared as Linux's trampoline does (CR0_STATE).
 */
.macro ENTER_LONG_MODE target
	mov %cr4, %eax
	or $CR4_PAE, %eax
	mov %eax, %cr4
	mov $pml4, %eax
	mov %eax, %cr3
	mov $MSR_EFER, %ecx
	rdmsr
	or $EFER_LME, %eax
	wrmsr
	mov %cr0, %eax
	and $~(CR0_CD | CR0_NW), %eax
	or $(CR0_PG | CR0_PE | CR0_NE), %eax
	mov %eax, %cr0
	ljmp $SEL_CODE64, $\target
.endm

.macro LOAD_DATA_SEGMENTS
	mov $SEL_DATA, %eax
	mov %eax, %ds
	mov %eax, %es
	mov %eax, %ss
	xor %eax, %eax
	mov %eax, %fs
	mov %eax, %gs
.endm

	.section .text.entry, "ax"
	.code32
	.globl pvh_start32
pvh_start32:
	cli
	cld
	mov %ebx, %esi			/* start_info, for probe_main */
	lgdt gdt_desc
	ljmp $SEL_CODE32, $1f
1:	LOAD_DATA_SEGMENTS
	mov $bsp_stack_top, %esp
	/*
	 * The loader zeroes p_memsz beyond p_filesz; do it again, cheaply:
	 * a dword per iteration (kvm_pvm emulates string instructions one
	 * iteration at a time; a byte loop over 400 KiB took 40 ms).
	 */
	mov $__bss_start, %edi
	mov $__bss_end, %ecx
	sub %edi, %ecx
	shr $2, %ecx			/* dwords: under PVM each iteration costs */
	xor %eax, %eax
	rep stosl
	ENTER_LONG_MODE start64

	.code64
start64:
	LOAD_DATA_SEGMENTS
	mov $bsp_stack_top, %rsp
	mov %esi, %edi			/* zero-extended start_info address */
	call probe_main
1:	cli
	hlt
	jmp 1b

/* APs arrive here from trampoline.S in 32-bit protected mode, no stack. */
	.code32
	.globl ap_start32
ap_start32:
	LOAD_DATA_SEGMENTS
	ENTER_LONG_MODE ap_start64

	.code64
ap_start64:
	LOAD_DATA_SEGMENTS
	/* Take a ticket; it selects this AP's stack in ap_stacks. */
	mov $1, %eax
	lock xadd %eax, ap_ticket(%rip)
	cmp $(MAX_CPUS - 1), %eax
	jae ap_park
	inc %eax
	shl $AP_STACK_SHIFT, %rax
	lea ap_stacks(%rip), %rsp
	add %rax, %rsp
	call ap_main
ap_park:
	cli
	hlt
	jmp ap_park

	.section .data, "aw"
	.balign 16
	.globl gdt
gdt:
	.quad 0
	.quad 0x00cf9a000000ffff	/* SEL_CODE32: 32-bit code, flat */
	.quad 0x00cf92000000ffff	/* SEL_DATA: data, flat */
	.quad 0x00af9a000000ffff	/* SEL_CODE64: 64-bit code (L=1) */
gdt_end:
	.if gdt_end - gdt - GDT_SIZE
	.error "GDT_SIZE does not match the GDT"
	.endif
	.balign 8
	.word 0
gdt_desc:
	.word GDT_SIZE - 1
	.long gdt

/* Stacks are not part of the file (NOBITS) and are not zeroed. */
	.section .stack, "aw", @nobits
	.balign 4096
	.globl ap_stacks
ap_stacks:
	.skip (MAX_CPUS - 1) << AP_STACK_SHIFT
	.balign 4096
	.skip BSP_STACK_SIZE
bsp_stack_top:
