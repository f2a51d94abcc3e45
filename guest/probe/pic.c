/*
 * Linux's init_8259A(auto_eoi = 0) followed by masking all lines, the
 * state the kernel leaves the PICs in when it uses the I/O APIC
 * (arch/x86/kernel/i8259.c). The remap keeps a stray PIC vector from
 * ever aliasing an exception.
 */
#include "pic.h"
#include "trap.h"
#include "x86.h"

#define PIC_MASTER_CMD 0x20
#define PIC_MASTER_IMR 0x21
#define PIC_SLAVE_CMD 0xa0
#define PIC_SLAVE_IMR 0xa1
#define PIC_CASCADE_IR 2

void pic_disable(void)
{
	outb(0xff, PIC_MASTER_IMR);
	outb(0xff, PIC_SLAVE_IMR);
	/* ICW1: edge, cascade, ICW4 needed */
	outb(0x11, PIC_MASTER_CMD);
	outb(VEC_PIC_BASE, PIC_MASTER_IMR); /* ICW2: vectors 0x20-0x27 */
	outb(1u << PIC_CASCADE_IR, PIC_MASTER_IMR); /* ICW3: slave on IR2 */
	outb(0x01, PIC_MASTER_IMR); /* ICW4: 8086 mode, normal EOI */
	outb(0x11, PIC_SLAVE_CMD);
	outb(VEC_PIC_BASE + 8, PIC_SLAVE_IMR); /* ICW2: vectors 0x28-0x2f */
	outb(PIC_CASCADE_IR, PIC_SLAVE_IMR); /* ICW3: cascade identity */
	outb(0x01, PIC_SLAVE_IMR);
	outb(0xff, PIC_MASTER_IMR);
	outb(0xff, PIC_SLAVE_IMR);
}
