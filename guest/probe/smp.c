/*
 * AP start-up with the universal algorithm of Intel SDM Vol. 3A 8.4.4.1
 * (INIT, 10 ms, STARTUP twice), register for register as Linux's
 * wakeup_secondary_cpu_via_init() (arch/x86/kernel/smpboot.c): ESR
 * cleared around each IPI, INIT asserted then deasserted (both level
 * triggered), then STARTUP with 300 us and 200 us settles. The phases
 * run for all APs together, so the 10 ms is paid once, not per CPU.
 * Each AP enters trampoline.S at TRAMPOLINE_PHYS, reaches ap_main() on
 * its own stack, counts itself in and wakes the BSP with an IPI.
 */
#include "smp.h"
#include "apic.h"
#include "layout.h"
#include "lib.h"
#include "print.h"
#include "trap.h"
#include "x86.h"

#define INIT_UDELAY 10000

extern const u8 trampoline_start[], trampoline_end[];

u32 ap_ticket; /* taken by ap_start64 to pick a stack */
static u32 cpus_online;
static u32 bsp_apic_id;

__noreturn void ap_main(void)
{
	trap_load();
	__atomic_add_fetch(&cpus_online, 1, __ATOMIC_SEQ_CST);
	/* A software-disabled LAPIC still sends IPIs (SDM 10.4.7.2). */
	apic_send_ipi(bsp_apic_id, APIC_DM_FIXED | VEC_WAKE);
	for (;;)
		asm volatile("cli; hlt");
}

/* Send @icr to every AP of @m. */
static void ipi_all(const struct madt_info *m, u32 icr)
{
	u32 i;

	for (i = 0; i < m->nr_cpus && i < MAX_CPUS; i++) {
		if (m->apic_ids[i] == bsp_apic_id || m->apic_ids[i] > 0xff)
			continue;
		apic_esr();
		if (!apic_send_ipi(m->apic_ids[i], icr))
			probe_info("smp: IPI 0x%x to APIC %u stays busy", icr,
				   m->apic_ids[i]);
	}
}

static bool all_online(void *expected)
{
	return READ_ONCE(cpus_online) >= *(u32 *)expected;
}

u32 smp_boot(const struct madt_info *m, u64 timeout_us)
{
	u32 expected = m->nr_cpus < MAX_CPUS ? m->nr_cpus : MAX_CPUS;
	int j;

	bsp_apic_id = apic_id();
	cpus_online = 1;
	memcpy((void *)TRAMPOLINE_PHYS, trampoline_start,
	       (size_t)(trampoline_end - trampoline_start));
	ipi_all(m, APIC_INT_LEVELTRIG | APIC_INT_ASSERT | APIC_DM_INIT);
	apic_udelay(INIT_UDELAY);
	ipi_all(m, APIC_INT_LEVELTRIG | APIC_DM_INIT);
	for (j = 0; j < 2; j++) {
		ipi_all(m, APIC_DM_STARTUP | (TRAMPOLINE_PHYS >> 12));
		apic_udelay(300);
		apic_udelay(200);
	}
	apic_wait(all_online, &expected, timeout_us);
	return READ_ONCE(cpus_online);
}
