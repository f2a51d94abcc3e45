/* IDT, exception reporting and interrupt dispatch. */
#ifndef PROBE_TRAP_H
#define PROBE_TRAP_H

/*
 * Vectors above the exceptions. The 8259s are remapped to 0x20..0x2f and
 * masked; their spurious IRQ7/IRQ15 still need a gate. ISA IRQs 4 and 9
 * take 0x34 and 0x39 as in Linux's old 0x30 + irq scheme; a PCI device
 * takes 0x50 (virtio-blk 0x51 and 0x52); the LAPIC vectors are Linux's.
 */
#define VEC_NMI 0x02
#define VEC_PIC_BASE 0x20
#define VEC_PIC_SPURIOUS1 0x27
#define VEC_PIC_SPURIOUS2 0x2f
#define VEC_UART 0x34
#define VEC_SCI 0x39 /* ISA IRQ 9, the usual SCI_INT */
#define VEC_SHM 0x50 /* the shmem device: INTx through the I/O APIC, or MSI-X */
#define VEC_BLK_CONFIG 0x51 /* virtio-blk MSI-X vector 0: config change */
#define VEC_BLK_QUEUE 0x52 /* virtio-blk MSI-X vector 1: queue 0; or INTx */
#define VEC_TIMER 0xec
#define VEC_WAKE 0xf0
#define VEC_APIC_ERROR 0xfe
#define VEC_SPURIOUS 0xff

#ifndef __ASSEMBLER__
#include "types.h"

/* Register frame built by isr.S; the order matches its pushes. */
struct trap_frame {
	u64 r15, r14, r13, r12, r11, r10, r9, r8;
	u64 rbp, rdi, rsi, rdx, rcx, rbx, rax;
	u64 vector, error;
	u64 rip, cs, rflags, rsp, ss;
};

typedef void (*trap_handler)(u8 vector);

/* 64-bit interrupt gate (SDM Vol. 3A 6.14.1). */
struct idt_gate {
	u16 off_lo;
	u16 sel;
	u8 ist;
	u8 type;
	u16 off_mid;
	u32 off_hi;
	u32 reserved;
} __packed;

struct idt_ptr {
	u16 limit;
	u64 base;
} __packed;

/* An interrupt gate (present, DPL 0) to @stub in the kernel code segment. */
struct idt_gate idt_gate_intr(u64 stub);

/* Build the IDT (every stub of isr.S) and load it on this CPU. */
void trap_init(void);
/* Load the already built IDT on an AP. */
void trap_load(void);
/*
 * Route @vector (one of the VEC_* above) to @fn; NULL ignores it. Of the
 * exceptions only VEC_NMI may have a handler: without one, an NMI is a
 * FAIL like every other exception.
 */
void trap_set_handler(u8 vector, trap_handler fn);
/* Called from isr.S only. */
void trap_dispatch(struct trap_frame *f);
/* Load a zero-limit IDT and raise #UD: a triple fault, i.e. a reset. */
__noreturn void trap_triple_fault(void);
#endif

#endif
