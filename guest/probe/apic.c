/*
 * Local APIC (Intel SDM Vol. 3A chapter 10), xAPIC MMIO at the address
 * in IA32_APIC_BASE. The timer is used one-shot as the only clock: both
 * KVM's in-kernel LAPIC (APIC_BUS_CYCLE_NS = 1) and QEMU's emulated one
 * count at 1 GHz before the divide configuration.
 */
#include "apic.h"
#include "print.h"
#include "trap.h"
#include "x86.h"

#define APIC_ID 0x020
#define APIC_TASKPRI 0x080
#define APIC_EOI 0x0b0
#define APIC_SPIV 0x0f0
#define APIC_ESR 0x280
#define APIC_ICR 0x300
#define APIC_ICR2 0x310
#define APIC_LVTT 0x320
#define APIC_LVT0 0x350
#define APIC_LVT1 0x360
#define APIC_LVTERR 0x370
#define APIC_TMICT 0x380
#define APIC_TMCCT 0x390
#define APIC_TDCR 0x3e0

#define APIC_SPIV_APIC_ENABLED 0x100
#define APIC_LVT_MASKED 0x10000
#define APIC_TDR_DIV_16 0x3
#define APIC_TIMER_NS_PER_TICK 16 /* 1 GHz / 16 */
#define APIC_ICR_POLLS 1000

static u64 lapic;
static bool timer_fired;

static u32 apic_read(u32 reg)
{
	return mmio_read32(lapic + reg);
}

static void apic_write(u32 reg, u32 v)
{
	mmio_write32(lapic + reg, v);
}

u64 apic_base(void)
{
	return lapic;
}

u32 apic_id(void)
{
	return apic_read(APIC_ID) >> 24;
}

void apic_eoi(void)
{
	apic_write(APIC_EOI, 0);
}

u32 apic_esr(void)
{
	apic_write(APIC_ESR, 0);
	return apic_read(APIC_ESR);
}

/*
 * Count the one-shot as expired only if the current count reads zero: an
 * interrupt left pending by a wait that ended early (IF was clear) must
 * not cut the next wait short once that one has re-armed the timer.
 */
static void apic_timer_irq(u8 vector)
{
	(void)vector;
	if (!apic_read(APIC_TMCCT))
		WRITE_ONCE(timer_fired, true);
	apic_eoi();
}

static void apic_ack_irq(u8 vector)
{
	(void)vector;
	apic_eoi();
}

/* Linux's setup_local_APIC() for the BSP with the IOAPIC in use. */
int apic_init(void)
{
	u64 msr = rdmsr(MSR_APIC_BASE);

	if (!(msr & APIC_BASE_EN) || (msr & APIC_BASE_EXTD)) {
		probe_fail("apic", "IA32_APIC_BASE 0x%llx: not in xAPIC mode",
			   msr);
		return -ENODEV;
	}
	lapic = msr & 0xffffff000ull;
	trap_set_handler(VEC_TIMER, apic_timer_irq);
	trap_set_handler(VEC_WAKE, apic_ack_irq);
	trap_set_handler(VEC_APIC_ERROR, apic_ack_irq);
	apic_write(APIC_TASKPRI, 0);
	apic_write(APIC_SPIV, APIC_SPIV_APIC_ENABLED | VEC_SPURIOUS);
	apic_write(APIC_LVT0, APIC_DM_EXTINT | APIC_LVT_MASKED);
	apic_write(APIC_LVT1, APIC_DM_NMI);
	apic_write(APIC_LVTERR, VEC_APIC_ERROR);
	apic_write(APIC_LVTT, VEC_TIMER | APIC_LVT_MASKED);
	apic_esr();
	return 0;
}

/* Linux's __default_send_IPI_dest_field(): ICR2 first, then ICR. */
bool apic_send_ipi(u32 dest, u32 icr)
{
	unsigned int i;

	apic_write(APIC_ICR2, dest << 24);
	apic_write(APIC_ICR, icr);
	for (i = 0; i < APIC_ICR_POLLS; i++)
		if (!(apic_read(APIC_ICR) & APIC_ICR_BUSY))
			return true;
	return false;
}

/* Arm the one-shot for @us; returns the initial count. */
static u32 timer_start(u64 us)
{
	u64 ticks = us * 1000 / APIC_TIMER_NS_PER_TICK;

	if (ticks > 0xffffffffull)
		ticks = 0xffffffffull;
	if (!ticks)
		ticks = 1;
	WRITE_ONCE(timer_fired, false);
	apic_write(APIC_TDCR, APIC_TDR_DIV_16);
	apic_write(APIC_LVTT, VEC_TIMER); /* one-shot, unmasked */
	apic_write(APIC_TMICT, (u32)ticks);
	return (u32)ticks;
}

bool apic_wait_timed(bool (*done)(void *arg), void *arg, u64 us,
		     u64 *elapsed_ns)
{
	u32 initial = timer_start(us), left;
	bool ok;

	for (;;) {
		cli();
		ok = done && done(arg);
		if (ok || READ_ONCE(timer_fired))
			break;
		sti_hlt();
	}
	left = READ_ONCE(timer_fired) ? 0 : apic_read(APIC_TMCCT);
	apic_write(APIC_TMICT, 0);
	if (elapsed_ns)
		*elapsed_ns = (u64)(initial - left) * APIC_TIMER_NS_PER_TICK;
	return ok;
}

bool apic_wait(bool (*done)(void *arg), void *arg, u64 us)
{
	return apic_wait_timed(done, arg, us, NULL);
}

void apic_udelay(u64 us)
{
	apic_wait(NULL, NULL, us);
}

static u32 clock_initial;

void apic_clock_start(u64 us)
{
	clock_initial = timer_start(us);
}

u64 apic_clock_ns(void)
{
	return (u64)(clock_initial - apic_read(APIC_TMCCT)) *
	       APIC_TIMER_NS_PER_TICK;
}

void apic_clock_stop(void)
{
	apic_write(APIC_TMICT, 0);
}
