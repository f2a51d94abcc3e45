/*
 * The common part of the hostile scenarios: the seeded generator, bus 0
 * and its BARs, an IDT that survives an interrupt at any vector from 32
 * up, and the calm after the storm (every PCI function's decoding off,
 * every I/O APIC pin masked, LAPIC, 8259s and UART as the probe set them)
 * so that a guest still alive can report and power off.
 */
#include "hostile.h"
#include "apic.h"
#include "args.h"
#include "bootinfo.h"
#include "dmamem.h"
#include "lib.h"
#include "msix.h"
#include "paging.h"
#include "pci.h"
#include "pic.h"
#include "power.h"
#include "print.h"
#include "shm.h"
#include "trap.h"
#include "uart.h"
#include "x86.h"

#define DEF_EVERY 1000
#define FIRST_IRQ_VECTOR 32
#define STUB_SIZE 16
#define DRAIN_ROUNDS 64
#define GUARD_TICKS 20000 /* 20 us at 1 GHz */
#define TDCR_DIV_1 0xb
#define LOW_1M 0x100000ull
#define LOW_4G (1ull << 32)
#define LAPIC_PAGE 0xfee00000ull
#define IOAPIC_PAGE 0xfec00000ull
#define PAGE 4096ull
/* Unassigned BARs go here, as firmware would place them. */
#define BAR_FALLBACK 0xe0000000ull
#define BAR_FALLBACK_END 0xfe000000ull
/* Beyond any RAM, below the 48-bit limit; and an address that wraps. */
#define ADDR_OUTSIDE_RAM 0xfffff000000ull
#define ADDR_WRAPS 0xfffffffffffff000ull

/* LAPIC registers restored by the calm (SDM Vol. 3A 10.4.1). */
#define APIC_ID 0x020
#define APIC_TASKPRI 0x080
#define APIC_EOI 0x0b0
#define APIC_LDR 0x0d0
#define APIC_DFR 0x0e0
#define APIC_SPIV 0x0f0
#define APIC_ESR 0x280
#define APIC_LVTCMCI 0x2f0
#define APIC_LVTT 0x320
#define APIC_LVTTHMR 0x330
#define APIC_LVTPC 0x340
#define APIC_LVT0 0x350
#define APIC_LVT1 0x360
#define APIC_LVTERR 0x370
#define APIC_TMICT 0x380
#define APIC_TDCR 0x3e0
#define APIC_LVT_MASKED 0x10000u
#define APIC_SPIV_ENABLED 0x100u

#define IOREGSEL 0x00
#define IOWIN 0x10
#define IOAPIC_VER 0x01
#define RTE_MASKED 0x10000u

/* Interrupt message fields shared by ICR, LVT, RTE and MSI data. */
#define MSG_VECTOR 0xffu
#define MSG_MODE_SHIFT 8
#define MSG_MODE (7u << MSG_MODE_SHIFT)
#define MODE_FIXED 0
#define MODE_LOWEST 1
#define MODE_NMI 4

static struct idt_gate hostile_idt[256] __aligned(16);
static struct hostile *current;
static u32 saved_apic_id;
static bool guard_armed;

/*
 * One 16-byte stub per vector 32..255: push the vector, join the common
 * part, which saves the caller-saved registers (the C handler keeps the
 * others), calls hostile_irq(vector) with the stack 16-byte aligned,
 * and returns from the interrupt.
 */
void hostile_irq(u64 vector);
extern const u8 hostile_stubs[];
asm(".pushsection .text\n"
    ".balign 16\n"
    ".globl hostile_stubs\n"
    "hostile_stubs:\n"
    ".set hv, 32\n"
    ".rept 224\n"
    "	.balign 16\n"
    "	pushq $hv\n"
    "	jmp hostile_isr_common\n"
    "	.set hv, hv + 1\n"
    ".endr\n"
    "hostile_isr_common:\n"
    "	cld\n"
    "	push %rax\n"
    "	push %rcx\n"
    "	push %rdx\n"
    "	push %rsi\n"
    "	push %rdi\n"
    "	push %r8\n"
    "	push %r9\n"
    "	push %r10\n"
    "	push %r11\n"
    "	mov 72(%rsp), %rdi\n"
    "	sub $8, %rsp\n"
    "	call hostile_irq\n"
    "	add $8, %rsp\n"
    "	pop %r11\n"
    "	pop %r10\n"
    "	pop %r9\n"
    "	pop %r8\n"
    "	pop %rdi\n"
    "	pop %rsi\n"
    "	pop %rdx\n"
    "	pop %rcx\n"
    "	pop %rax\n"
    "	add $8, %rsp\n"
    "	iretq\n"
    ".popsection\n");

void hostile_irq(u64 vector)
{
	if (current && !(guard_armed && vector == VEC_TIMER))
		current->irqs++;
	/* 0xff is the spurious vector: it sets no ISR bit, wants no EOI. */
	if (vector != 0xff)
		apic_eoi();
}

static void hostile_nmi(u8 vector)
{
	(void)vector;
	if (current)
		current->nmis++;
}

u64 hostile_rand(struct hostile *h)
{
	u64 x = h->rng;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	h->rng = x;
	return x;
}

u64 hostile_below(struct hostile *h, u64 n)
{
	return hostile_rand(h) % n;
}

u8 hostile_width(struct hostile *h, bool with8)
{
	return (u8)(1u << hostile_below(h, with8 ? 4 : 3));
}

u64 hostile_dma_addr(struct hostile *h)
{
	switch (hostile_below(h, 8)) {
	case 0:
		return ADDR_OUTSIDE_RAM + hostile_below(h, 1 << 20);
	case 1:
		return ADDR_WRAPS + hostile_below(h, PAGE);
	case 2:
		return hostile_rand(h);
	default:
		return h->scratch + hostile_below(h, h->scratch_len);
	}
}

void hostile_mmio_write(u64 addr, u8 width, u64 val)
{
	switch (width) {
	case 1:
		mmio_write8(addr, (u8)val);
		break;
	case 2:
		mmio_write16(addr, (u16)val);
		break;
	case 4:
		mmio_write32(addr, (u32)val);
		break;
	default:
		mmio_write64(addr, val);
	}
}

u64 hostile_mmio_read(u64 addr, u8 width)
{
	switch (width) {
	case 1:
		return mmio_read8(addr);
	case 2:
		return mmio_read16(addr);
	case 4:
		return mmio_read32(addr);
	default:
		return mmio_read64(addr);
	}
}

void hostile_pio_write(u16 port, u8 width, u32 val)
{
	if (width == 1)
		outb((u8)val, port);
	else if (width == 2)
		outw((u16)val, port);
	else
		outl(val, port);
}

u32 hostile_pio_read(u16 port, u8 width)
{
	if (width == 1)
		return inb(port);
	if (width == 2)
		return inw(port);
	return inl(port);
}

static bool overlaps(u64 a, u64 alen, u64 b, u64 blen)
{
	return a < b + blen && b < a + alen;
}

bool hostile_writable(const struct hostile *h, u64 addr, u64 len)
{
	u32 i;

	if (addr >= h->scratch && addr + len <= h->scratch + h->scratch_len &&
	    addr + len > addr)
		return true;
	if (addr < LOW_1M || addr + len > LOW_4G || addr + len < addr)
		return false;
	if (overlaps(addr, len, LAPIC_PAGE, PAGE) ||
	    overlaps(addr, len, IOAPIC_PAGE, PAGE))
		return false;
	for (i = 0; i < boot.nr_memmap; i++)
		if (overlaps(addr, len, boot.memmap[i].addr,
			     boot.memmap[i].size))
			return false;
	return true;
}

u32 hostile_tame_irq(const struct hostile *h, u32 v, bool nmi_ok)
{
	u32 mode = (v & MSG_MODE) >> MSG_MODE_SHIFT;

	if (h->all)
		return v;
	if (mode != MODE_FIXED && mode != MODE_LOWEST &&
	    !(mode == MODE_NMI && nmi_ok)) {
		v &= ~MSG_MODE;
		mode = MODE_FIXED;
	}
	/* An interrupt on an exception vector is beyond any OS's repair. */
	if (mode != MODE_NMI && (v & MSG_VECTOR) < FIRST_IRQ_VECTOR)
		v |= FIRST_IRQ_VECTOR;
	return v;
}

static void idt_build(void)
{
	struct idt_ptr cur;
	const struct idt_gate *old;
	u64 stub;
	u32 v;

	asm volatile("sidt %0" : "=m"(cur));
	old = (const struct idt_gate *)cur.base;
	/* The exceptions (NMI included) keep the probe's own gates. */
	for (v = 0; v < FIRST_IRQ_VECTOR; v++)
		hostile_idt[v] = old[v];
	for (v = FIRST_IRQ_VECTOR; v < 256; v++) {
		stub = (u64)hostile_stubs + (v - FIRST_IRQ_VECTOR) * STUB_SIZE;
		hostile_idt[v] = idt_gate_intr(stub);
	}
}

static void idt_load_hostile(void)
{
	struct idt_ptr p = { sizeof(hostile_idt) - 1, (u64)hostile_idt };

	asm volatile("lidt %0" : : "m"(p));
}

/* Size a BAR as __pci_read_base() does, decoding off meanwhile. */
static void bar_size(u8 devfn, int i, struct hostile_bar *b)
{
	u8 reg = (u8)(PCI_BASE_ADDRESS_0 + 4 * i);
	u32 lo = pci_read(devfn, reg, 4), mask, hi = 0, hmask = 0;
	u64 size;

	pci_write(devfn, reg, 4, 0xffffffffu);
	mask = pci_read(devfn, reg, 4);
	pci_write(devfn, reg, 4, lo);
	b->io = lo & PCI_BASE_ADDRESS_SPACE_IO;
	b->mem64 = !b->io && (lo & PCI_BASE_ADDRESS_MEM_TYPE_MASK) ==
				     PCI_BASE_ADDRESS_MEM_TYPE_64;
	if (b->mem64 && i < HOSTILE_BARS - 1) {
		hi = pci_read(devfn, (u8)(reg + 4), 4);
		pci_write(devfn, (u8)(reg + 4), 4, 0xffffffffu);
		hmask = pci_read(devfn, (u8)(reg + 4), 4);
		pci_write(devfn, (u8)(reg + 4), 4, hi);
	}
	if (b->io) {
		size = (u16) ~(mask & ~3u) + 1u;
		b->addr = lo & ~3u;
	} else {
		size = ~(((u64)hmask << 32) |
			 (mask & PCI_BASE_ADDRESS_MEM_MASK)) +
		       1;
		if (!b->mem64)
			size &= 0xffffffffull;
		b->addr = ((u64)hi << 32) | (lo & PCI_BASE_ADDRESS_MEM_MASK);
	}
	b->size = mask && mask != 0xffffffffu ? size : 0;
}

/*
 * Give an unassigned memory BAR an address: in the 32-bit window, or,
 * a 64-bit one too big for it, in the window above RAM that vessel's
 * DSDT opens (mapped, so that the attack reaches it).
 */
static void bar_assign(u8 devfn, int i, struct hostile_bar *b, u64 *next)
{
	u8 reg = (u8)(PCI_BASE_ADDRESS_0 + 4 * i);
	u64 at = (*next + b->size - 1) & ~(b->size - 1);

	b->reachable = b->addr && b->addr + b->size <= LOW_4G;
	if (b->io || b->addr || !b->size)
		return;
	if (at + b->size > BAR_FALLBACK_END) {
		at = (shm_window_fallback() + b->size - 1) & ~(b->size - 1);
		if (!b->mem64 || !paging_map_device(at, b->size))
			return;
	} else {
		*next = at + b->size;
	}
	pci_write(devfn, reg, 4,
		  (u32)at | (pci_read(devfn, reg, 4) &
			     ~PCI_BASE_ADDRESS_MEM_MASK));
	if (b->mem64)
		pci_write(devfn, (u8)(reg + 4), 4, (u32)(at >> 32));
	b->addr = at;
	b->reachable = true;
}

static void enumerate(struct hostile *h)
{
	u64 next = BAR_FALLBACK;
	u32 slot, fn, nfn;
	u16 cmd;
	int i;

	for (slot = 0; slot < 32 && h->nr_funcs < HOSTILE_MAX_FUNCS; slot++) {
		nfn = pci_read(PCI_DEVFN(slot, 0), PCI_HEADER_TYPE, 1) &
				      PCI_HEADER_TYPE_MULTI ?
			      8 :
			      1;
		for (fn = 0; fn < nfn && h->nr_funcs < HOSTILE_MAX_FUNCS;
		     fn++) {
			struct hostile_func *f = &h->func[h->nr_funcs];

			f->devfn = PCI_DEVFN(slot, fn);
			f->vendor = (u16)pci_read(f->devfn, PCI_VENDOR_ID, 2);
			if (f->vendor == 0xffff)
				continue;
			f->device = (u16)pci_read(f->devfn, 2, 2);
			cmd = (u16)pci_read(f->devfn, PCI_COMMAND, 2);
			pci_write(f->devfn, PCI_COMMAND, 2,
				  cmd & ~(PCI_COMMAND_IO | PCI_COMMAND_MEMORY));
			for (i = 0; i < HOSTILE_BARS; i++) {
				bar_size(f->devfn, i, &f->bar[i]);
				bar_assign(f->devfn, i, &f->bar[i], &next);
				if (f->bar[i].mem64)
					i++;
			}
			pci_write(f->devfn, PCI_COMMAND, 2,
				  cmd | PCI_COMMAND_IO | PCI_COMMAND_MEMORY);
			probe_info("hostile pci %02x.%u %04x:%04x", slot, fn,
				   f->vendor, f->device);
			h->nr_funcs++;
		}
	}
}

/* The end of the e820 RAM entry that holds the probe's image. */
static u64 ram_end(void)
{
	u32 i;

	for (i = 0; i < boot.nr_memmap; i++)
		if (boot.memmap[i].type == 1 && boot.memmap[i].addr <= LOW_1M &&
		    boot.memmap[i].addr + boot.memmap[i].size > LOW_1M)
			return boot.memmap[i].addr + boot.memmap[i].size;
	return 0;
}

void hostile_begin(struct hostile *h, const char *name,
		   const struct acpi_info *ai, const struct madt_info *m,
		   u64 def_ops, u64 scratch_len)
{
	memset(h, 0, sizeof(*h));
	h->name = name;
	h->acpi = ai;
	h->madt = m;
	h->seed = arg_u32("probe.seed", 1, 0, 0xffffffffu);
	h->max_ops = arg_u32("probe.ops", (u32)def_ops, 1, 100000000);
	h->every = arg_u32("probe.every", DEF_EVERY, 1, 100000000);
	h->all = arg_choice("probe.all", "0", "1");
	/* xorshift must not start at 0; mixing spreads small seeds. */
	h->rng = ((u64)h->seed << 32 | 0x9e3779b9u) ^ 0x2545f4914f6cdd1dull;
	probe_info("%s seed %u ops %llu all %u", name, h->seed, h->max_ops,
		   h->all);
	enumerate(h);
	if (scratch_len) {
		h->scratch = (u64)dma_alloc(scratch_len, PAGE, name);
		if (!h->scratch)
			trap_triple_fault();
		h->scratch_len = scratch_len;
	}
	h->ram_end = ram_end();
	saved_apic_id = apic_id();
	current = h;
	cli();
	idt_build();
	idt_load_hostile();
	trap_set_handler(VEC_NMI, hostile_nmi);
}

bool hostile_more(const struct hostile *h)
{
	return h->ops < h->max_ops;
}

void hostile_op(struct hostile *h)
{
	h->ops++;
	if (h->ops % h->every)
		return;
	/* The attack may have reprogrammed the UART or left a line open. */
	uart_init();
	uart_write("\n", 1);
	probe_info("%s ops=%llu irqs=%u nmis=%u", h->name, h->ops, h->irqs,
		   h->nmis);
}

static void calm_pci(const struct hostile *h)
{
	u32 i;

	for (i = 0; i < h->nr_funcs; i++) {
		u8 d = h->func[i].devfn;
		u8 cap = pci_find_cap(d, PCI_CAP_ID_MSIX);

		if (cap)
			pci_write(d, (u8)(cap + PCI_MSIX_FLAGS), 2, 0);
		pci_write(d, PCI_COMMAND, 2, 0);
	}
}

static void calm_ioapics(const struct madt_info *m)
{
	u32 i, pin, pins;

	for (i = 0; i < m->nr_ioapics; i++) {
		u64 base = m->ioapics[i].address;

		mmio_write32(base + IOREGSEL, IOAPIC_VER);
		pins = ((mmio_read32(base + IOWIN) >> 16) & 0xff) + 1;
		for (pin = 0; pin < pins; pin++) {
			mmio_write32(base + IOREGSEL, 0x10 + 2 * pin);
			mmio_write32(base + IOWIN, RTE_MASKED);
			mmio_write32(base + IOREGSEL, 0x11 + 2 * pin);
			mmio_write32(base + IOWIN, 0);
		}
	}
}

static void calm_lapic(void)
{
	u64 b = apic_base();

	mmio_write32(b + APIC_ID, saved_apic_id << 24);
	mmio_write32(b + APIC_SPIV, APIC_SPIV_ENABLED | VEC_SPURIOUS);
	mmio_write32(b + APIC_TASKPRI, 0);
	mmio_write32(b + APIC_DFR, 0xffffffffu);
	mmio_write32(b + APIC_LDR, 0);
	mmio_write32(b + APIC_TMICT, 0);
	mmio_write32(b + APIC_LVTT, APIC_LVT_MASKED | VEC_TIMER);
	mmio_write32(b + APIC_LVTTHMR, APIC_LVT_MASKED);
	mmio_write32(b + APIC_LVTPC, APIC_LVT_MASKED);
	mmio_write32(b + APIC_LVT0, APIC_LVT_MASKED);
	mmio_write32(b + APIC_LVT1, APIC_LVT_MASKED);
	mmio_write32(b + APIC_LVTERR, VEC_APIC_ERROR);
	mmio_write32(b + APIC_ESR, 0);
}

void hostile_take_irqs(void)
{
	u64 b = apic_base();

	/* A one-shot guard, so that HLT ends even with nothing pending. */
	guard_armed = true;
	mmio_write32(b + APIC_TDCR, TDCR_DIV_1);
	mmio_write32(b + APIC_LVTT, VEC_TIMER);
	mmio_write32(b + APIC_TMICT, GUARD_TICKS);
	sti_hlt();
	cli();
	mmio_write32(b + APIC_TMICT, 0);
	mmio_write32(b + APIC_LVTT, APIC_LVT_MASKED | VEC_TIMER);
	guard_armed = false;
}

void hostile_calm(struct hostile *h)
{
	u32 i;

	cli();
	calm_pci(h);
	calm_ioapics(h->madt);
	calm_lapic();
	pic_disable();
	uart_init();
	/* Bytes the attack sent to COM1 may have left a line open. */
	uart_write("\n", 1);
	/* Whatever is still pending arrives on the hostile IDT, counted. */
	for (i = 0; i < DRAIN_ROUNDS; i++)
		hostile_take_irqs();
	mmio_write32(apic_base() + APIC_TDCR, 0x3); /* apic.c's divide by 16 */
	trap_load();
}

__noreturn void hostile_end(struct hostile *h)
{
	hostile_calm(h);
	probe_pass(h->name, "ops=%llu irqs=%u nmis=%u", h->ops, h->irqs,
		   h->nmis);
	power_off(h->acpi);
}
