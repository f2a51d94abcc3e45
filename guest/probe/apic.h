/* Local APIC in xAPIC (MMIO) mode: IPIs, EOI and the one-shot timer. */
#ifndef PROBE_APIC_H
#define PROBE_APIC_H

#include "types.h"

/* ICR bits (SDM Vol. 3A 10.6.1), Linux's names (asm/apicdef.h). */
#define APIC_DM_FIXED 0x00000
#define APIC_DM_NMI 0x00400
#define APIC_DM_INIT 0x00500
#define APIC_DM_STARTUP 0x00600
#define APIC_DM_EXTINT 0x00700
#define APIC_ICR_BUSY 0x01000
#define APIC_INT_ASSERT 0x04000
#define APIC_INT_LEVELTRIG 0x08000

/*
 * Software-enable this CPU's LAPIC (the BSP's, once) and route its timer,
 * error and spurious vectors. Returns -ENODEV after a FAIL line if the
 * LAPIC is hardware-disabled or in x2APIC mode.
 */
int apic_init(void);
/* Physical base from IA32_APIC_BASE, valid after apic_init(). */
u64 apic_base(void);
u32 apic_id(void);
void apic_eoi(void);
/* Write 0 then read the Error Status Register, as Linux does around IPIs. */
u32 apic_esr(void);
/* Send an IPI (ICR low bits @icr) to @apic_id; false if it stays busy. */
bool apic_send_ipi(u32 apic_id, u32 icr);

/*
 * Halt (HLT, interrupts on) until done(arg) is true or @us microseconds
 * pass on the LAPIC timer; returns done's last answer. @done may be NULL.
 */
bool apic_wait(bool (*done)(void *arg), void *arg, u64 us);
/*
 * The same, and the time it took in @elapsed_ns (from the timer's count,
 * 16 ns steps; the whole @us if the timer ran out).
 */
bool apic_wait_timed(bool (*done)(void *arg), void *arg, u64 us,
		     u64 *elapsed_ns);
void apic_udelay(u64 us);
/*
 * The one-shot as a clock read while spinning, not waited on: arm it
 * for @us, then apic_clock_ns() is the time since (16 ns steps, from the
 * current count); apic_clock_stop() disarms it before it fires.
 */
void apic_clock_start(u64 us);
u64 apic_clock_ns(void);
void apic_clock_stop(void);

#endif
