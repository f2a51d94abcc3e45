/*
 * IDT and dispatch. Exceptions are never expected: each one is reported
 * as a FAIL with its registers, then the guest resets itself by a triple
 * fault, so a harness sees an exit instead of a hang.
 */
#include "trap.h"
#include "print.h"
#include "x86.h"

#define GATE_INTR 0x8e /* present, DPL 0, 64-bit interrupt gate */

struct isr_entry {
	u64 vector;
	u64 stub;
};

extern const struct isr_entry isr_table[], isr_table_end[];

static struct idt_gate idt[256] __aligned(16);
static trap_handler handlers[256];

static const char *const exc_names[32] = {
	"#DE", "#DB", "NMI", "#BP", "#OF", "#BR", "#UD", "#NM",
	"#DF", "#09", "#TS", "#NP", "#SS", "#GP", "#PF", "#15",
	"#MF", "#AC", "#MC", "#XM", "#VE", "#CP",
};

struct idt_gate idt_gate_intr(u64 stub)
{
	return (struct idt_gate){
		.off_lo = (u16)stub,
		.sel = SEL_CODE64,
		.type = GATE_INTR,
		.off_mid = (u16)(stub >> 16),
		.off_hi = (u32)(stub >> 32),
	};
}

static void idt_set(u8 vector, u64 stub)
{
	idt[vector] = idt_gate_intr(stub);
}

void trap_load(void)
{
	struct idt_ptr p = { sizeof(idt) - 1, (u64)idt };

	asm volatile("lidt %0" : : "m"(p));
}

void trap_init(void)
{
	const struct isr_entry *e;

	for (e = isr_table; e < isr_table_end; e++)
		idt_set((u8)e->vector, e->stub);
	trap_load();
}

void trap_set_handler(u8 vector, trap_handler fn)
{
	WRITE_ONCE(handlers[vector], fn);
}

static __noreturn void trap_exception(const struct trap_frame *f)
{
	const char *name = exc_names[f->vector];

	probe_fail(
		"exception",
		"%s (vector %llu) error 0x%llx rip 0x%llx rsp 0x%llx cr2 0x%llx",
		name ? name : "reserved", f->vector, f->error, f->rip, f->rsp,
		read_cr2());
	trap_triple_fault();
}

void trap_dispatch(struct trap_frame *f)
{
	trap_handler fn = READ_ONCE(handlers[f->vector]);

	if (f->vector < 32 && !(f->vector == VEC_NMI && fn))
		trap_exception(f);
	if (fn)
		fn((u8)f->vector);
}

/*
 * Linux's BOOT_TRIPLE loads a zero-limit IDT (idt_invalidate()) and
 * executes int3. The probe raises #UD with ud2 instead: the CPU's fault
 * chain (#UD, #GP on the IDT limit, #DF, shutdown; SDM Vol. 3A 6.15) is
 * the same, but PVM's emulator fails on a software interrupt through an
 * unusable IDT (KVM internal error, suberror 1, measured with vessel and
 * QEMU on kvm_pvm) while it shuts down on a hardware exception.
 */
__noreturn void trap_triple_fault(void)
{
	struct idt_ptr p = { 0, 0 };

	asm volatile("lidt %0; ud2" : : "m"(p));
	for (;;)
		asm volatile("cli; hlt");
}
