/*
 * Interrupt and exception entry stubs. Each pushes a dummy error code
 * where the CPU pushes none (SDM Vol. 3A 6.13), then its vector, and
 * joins isr_common, which saves the general registers and calls
 * trap_dispatch(frame). isr_table lists (vector, stub) pairs for trap.c.
 */
#include "trap.h"

.macro STUB vec, has_error
	.text
isr_\vec:
	.if \has_error == 0
	push $0
	.endif
	push $\vec
	jmp isr_common
	.section .rodata.isr_table, "a"
	.quad \vec, isr_\vec
.endm

	.section .rodata.isr_table, "a"
	.balign 8
	.globl isr_table
isr_table:

	.text
isr_common:
	cld
	push %rax
	push %rbx
	push %rcx
	push %rdx
	push %rsi
	push %rdi
	push %rbp
	push %r8
	push %r9
	push %r10
	push %r11
	push %r12
	push %r13
	push %r14
	push %r15
	mov %rsp, %rdi
	call trap_dispatch
	pop %r15
	pop %r14
	pop %r13
	pop %r12
	pop %r11
	pop %r10
	pop %r9
	pop %r8
	pop %rbp
	pop %rdi
	pop %rsi
	pop %rdx
	pop %rcx
	pop %rbx
	pop %rax
	add $16, %rsp
	iretq

	/* Exceptions 0-31; 8, 10-14, 17, 21, 29 and 30 push an error code. */
	STUB 0, 0
	STUB 1, 0
	STUB 2, 0
	STUB 3, 0
	STUB 4, 0
	STUB 5, 0
	STUB 6, 0
	STUB 7, 0
	STUB 8, 1
	STUB 9, 0
	STUB 10, 1
	STUB 11, 1
	STUB 12, 1
	STUB 13, 1
	STUB 14, 1
	STUB 15, 0
	STUB 16, 0
	STUB 17, 1
	STUB 18, 0
	STUB 19, 0
	STUB 20, 0
	STUB 21, 1
	STUB 22, 0
	STUB 23, 0
	STUB 24, 0
	STUB 25, 0
	STUB 26, 0
	STUB 27, 0
	STUB 28, 0
	STUB 29, 1
	STUB 30, 1
	STUB 31, 0
	STUB VEC_PIC_SPURIOUS1, 0
	STUB VEC_PIC_SPURIOUS2, 0
	STUB VEC_UART, 0
	STUB VEC_SCI, 0
	STUB VEC_SHM, 0
	STUB VEC_BLK_CONFIG, 0
	STUB VEC_BLK_QUEUE, 0
	STUB VEC_TIMER, 0
	STUB VEC_WAKE, 0
	STUB VEC_APIC_ERROR, 0
	STUB VEC_SPURIOUS, 0

	.section .rodata.isr_table, "a"
	.globl isr_table_end
isr_table_end:
