/* x86-64 architectural constants and accessors (Intel SDM Vol. 3A). */
#ifndef PROBE_X86_H
#define PROBE_X86_H

/* Selectors of the probe's GDT (entry.S). */
#define SEL_CODE32 0x08
#define SEL_DATA 0x10
#define SEL_CODE64 0x18
#define GDT_SIZE 0x20

#define CR0_PE 0x00000001
#define CR0_ET 0x00000010
#define CR0_NE 0x00000020
#define CR0_NW 0x20000000
#define CR0_CD 0x40000000
#define CR0_PG 0x80000000
#define CR4_PAE 0x00000020

#define MSR_APIC_BASE 0x0000001b
#define MSR_EFER 0xc0000080
#define EFER_LME 0x00000100

#define APIC_BASE_EXTD (1u << 10)
#define APIC_BASE_EN (1u << 11)

/* Page-table entry bits (SDM Vol. 3A 4.5). */
#define PTE_P 0x001
#define PTE_W 0x002
#define PTE_PWT 0x008
#define PTE_PCD 0x010
#define PTE_PS 0x080

#ifndef __ASSEMBLER__
#include "types.h"

static inline void outb(u8 v, u16 port)
{
	asm volatile("outb %0, %1" : : "a"(v), "Nd"(port));
}

static inline void outw(u16 v, u16 port)
{
	asm volatile("outw %0, %1" : : "a"(v), "Nd"(port));
}

static inline void outl(u32 v, u16 port)
{
	asm volatile("outl %0, %1" : : "a"(v), "Nd"(port));
}

static inline u8 inb(u16 port)
{
	u8 v;

	asm volatile("inb %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}

static inline u16 inw(u16 port)
{
	u16 v;

	asm volatile("inw %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}

static inline u32 inl(u16 port)
{
	u32 v;

	asm volatile("inl %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}

/*
 * MMIO through inline asm so that the compiler emits exactly one access of
 * the given width, even at physical address 0.
 */
static inline u8 mmio_read8(u64 addr)
{
	u8 v;

	asm volatile("movb (%1), %0" : "=q"(v) : "r"(addr) : "memory");
	return v;
}

static inline u16 mmio_read16(u64 addr)
{
	u16 v;

	asm volatile("movw (%1), %0" : "=r"(v) : "r"(addr) : "memory");
	return v;
}

static inline u32 mmio_read32(u64 addr)
{
	u32 v;

	asm volatile("movl (%1), %0" : "=r"(v) : "r"(addr) : "memory");
	return v;
}

static inline u64 mmio_read64(u64 addr)
{
	u64 v;

	asm volatile("movq (%1), %0" : "=r"(v) : "r"(addr) : "memory");
	return v;
}

static inline void mmio_write8(u64 addr, u8 v)
{
	asm volatile("movb %0, (%1)" : : "q"(v), "r"(addr) : "memory");
}

static inline void mmio_write16(u64 addr, u16 v)
{
	asm volatile("movw %0, (%1)" : : "r"(v), "r"(addr) : "memory");
}

static inline void mmio_write32(u64 addr, u32 v)
{
	asm volatile("movl %0, (%1)" : : "r"(v), "r"(addr) : "memory");
}

static inline void mmio_write64(u64 addr, u64 v)
{
	asm volatile("movq %0, (%1)" : : "r"(v), "r"(addr) : "memory");
}

static inline u64 rdmsr(u32 msr)
{
	u32 lo, hi;

	asm volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
	return ((u64)hi << 32) | lo;
}

static inline void wrmsr(u32 msr, u64 v)
{
	asm volatile("wrmsr" : : "c"(msr), "a"((u32)v), "d"((u32)(v >> 32)));
}

static inline u64 read_cr3(void)
{
	u64 v;

	asm volatile("mov %%cr3, %0" : "=r"(v));
	return v;
}

static inline void write_cr3(u64 v)
{
	asm volatile("mov %0, %%cr3" : : "r"(v) : "memory");
}

static inline u64 read_cr2(void)
{
	u64 v;

	asm volatile("mov %%cr2, %0" : "=r"(v));
	return v;
}

static inline void cli(void)
{
	asm volatile("cli" : : : "memory");
}

static inline void sti(void)
{
	asm volatile("sti" : : : "memory");
}

/* STI's one-instruction shadow makes "sti; hlt" free of lost wake-ups. */
static inline void sti_hlt(void)
{
	asm volatile("sti; hlt" : : : "memory");
}

/* The time-stamp counter; its rate is calibrated against the LAPIC timer. */
static inline u64 rdtsc(void)
{
	u32 lo, hi;

	asm volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return ((u64)hi << 32) | lo;
}

static inline void cpu_relax(void)
{
	asm volatile("pause" : : : "memory");
}

#endif /* __ASSEMBLER__ */
#endif
