/*
 * The scenarios. Terminal ones end the machine their own way (reboot-*,
 * triple-fault, poweroff); every other one ends with ACPI S5 after its
 * own PASS/FAIL. A scenario that cannot go on prints FAIL and resets by a
 * triple fault, so a harness always sees the guest end.
 */
#include "scenarios.h"
#include "acpi.h"
#include "apic.h"
#include "blk.h"
#include "bootinfo.h"
#include "echo.h"
#include "hostile.h"
#include "lib.h"
#include "madt.h"
#include "mem.h"
#include "power.h"
#include "print.h"
#include "pvpanic.h"
#include "sci.h"
#include "shm.h"
#include "smp.h"
#include "trap.h"
#include "watchdog.h"
#include "x86.h"

#define CPUS_TIMEOUT_US 2000000
#define ECHO_TIMEOUT_US 10000000
#define ECHO_LINE_MAX 128

struct scenario {
	const char *name;
	__noreturn void (*run)(void);
};

static struct acpi_info acpi;
static struct madt_info madt;

/*
 * RSDP, XSDT, FADT, DSDT (and MADT if present), all checksummed.
 * "probe.rsdp=scan" ignores start_info's RSDP, to prove the tables are
 * also found where an OS without that hint looks (EBDA, BIOS area).
 */
static void need_acpi(void)
{
	char how[8];
	u64 hint = boot.rsdp;

	if (bootinfo_arg("probe.rsdp", how, sizeof(how)) &&
	    !strncmp(how, "scan", sizeof(how)))
		hint = 0;
	if (acpi_init(&acpi, hint))
		trap_triple_fault();
	probe_info(
		"acpi rsdp 0x%llx (%s) %.4s 0x%llx FACP 0x%llx DSDT 0x%llx APIC 0x%llx",
		acpi.rsdp, acpi.rsdp_source, acpi.root->signature,
		(u64)acpi.root, (u64)acpi.fadt, (u64)acpi.dsdt, (u64)acpi.madt);
	probe_pass("acpi", "%.4s FACP DSDT%s%s", acpi.root->signature,
		   acpi.madt ? " APIC" : "",
		   acpi.fadt_flags & FADT_HW_REDUCED_ACPI ? " (HW-reduced)" :
							    "");
}

/* The MADT, whose LAPIC address must be where the CPU has it. */
static void need_madt(void)
{
	if (!acpi.madt)
		probe_abort("acpi", "no MADT (\"APIC\") in the %.4s",
			    acpi.root->signature);
	if (madt_parse(acpi.madt, &madt))
		trap_triple_fault();
	if (madt.lapic_address != apic_base())
		probe_abort(
			"acpi",
			"MADT local APIC address 0x%llx, IA32_APIC_BASE says 0x%llx",
			madt.lapic_address, apic_base());
}

static __noreturn void sc_poweroff(void)
{
	need_acpi();
	power_off(&acpi);
}

static __noreturn void sc_reboot_acpi(void)
{
	need_acpi();
	power_reset_acpi(&acpi);
}

static __noreturn void sc_cpus(void)
{
	u32 online;

	need_acpi();
	need_madt();
	probe_info("madt cpus=%u", madt.nr_cpus);
	if (madt.nr_cpus > MAX_CPUS)
		probe_fail("cpus", "%u in MADT, the probe starts at most %u",
			   madt.nr_cpus, MAX_CPUS);
	online = smp_boot(&madt, CPUS_TIMEOUT_US);
	if (online == madt.nr_cpus)
		probe_pass("cpus", "%u in MADT, %u online", madt.nr_cpus,
			   online);
	else
		probe_fail("cpus", "%u in MADT, %u online", madt.nr_cpus,
			   online);
	power_off(&acpi);
}

static __noreturn void sc_mem(void)
{
	need_acpi();
	mem_check();
	power_off(&acpi);
}

static __noreturn void sc_echo(void)
{
	char line[ECHO_LINE_MAX];
	int err;

	need_acpi();
	need_madt();
	err = echo_read_line(&madt, line, sizeof(line), ECHO_TIMEOUT_US);
	if (!err)
		probe_pass("echo", "%s", line);
	else if (err == -ETIMEDOUT)
		probe_fail("echo", "no complete line within %u s (got \"%s\")",
			   ECHO_TIMEOUT_US / 1000000, line);
	else
		trap_triple_fault();
	power_off(&acpi);
}

/* An OS with ACPI that takes the power button and powers off on it. */
static __noreturn void sc_power_button(void)
{
	need_acpi();
	need_madt();
	sci_enable_acpi(&acpi);
	sci_wait_power_button(&acpi, &madt);
	probe_pass("power-button", "pressed");
	power_off(&acpi);
}

/*
 * An OS in ACPI mode that never arms the button: only the host can end
 * it (second signal, power-button timeout, power cut). Interrupts stay
 * on, as in any idle OS.
 */
static __noreturn void sc_power_button_ignore(void)
{
	need_acpi();
	sci_enable_acpi(&acpi);
	probe_line("READY power-button-ignore");
	for (;;)
		sti_hlt();
}

static __noreturn void sc_panic(void)
{
	need_acpi();
	pvpanic_panic(&acpi);
}

static __noreturn void sc_crash_loaded(void)
{
	need_acpi();
	pvpanic_crash_loaded(&acpi);
	power_off(&acpi);
}

static __noreturn void sc_watchdog(void)
{
	need_acpi();
	need_madt();
	watchdog_run(&acpi, &madt);
}

static __noreturn void sc_shm_qnx(void)
{
	need_acpi();
	need_madt();
	shm_qnx_run(&acpi, &madt);
}

static __noreturn void sc_shm_ivshmem(void)
{
	need_acpi();
	need_madt();
	shm_ivshmem_run(&acpi, &madt);
}

static __noreturn void sc_shm_pingpong(void)
{
	need_acpi();
	need_madt();
	shm_pingpong_run(&acpi, &madt);
}

static __noreturn void sc_lifecycle(void)
{
	need_acpi();
	need_madt();
	shm_lifecycle_run(&acpi, &madt);
}

static __noreturn void sc_lifecycle_daemon(void)
{
	need_acpi();
	need_madt();
	shm_lifecycle_daemon_run(&acpi, &madt);
}

/* The blk-* scenarios: a disk on virtio-pci (blk.c). */
#define BLK_SCENARIO(fn)                     \
	static __noreturn void sc_##fn(void) \
	{                                    \
		need_acpi();                 \
		need_madt();                 \
		fn##_run(&acpi, &madt);      \
	}

BLK_SCENARIO(blk_write)
BLK_SCENARIO(blk_readonly)
BLK_SCENARIO(blk_full)
BLK_SCENARIO(blk_flush_error)
BLK_SCENARIO(blk_zeroes)
BLK_SCENARIO(blk_malformed)
BLK_SCENARIO(blk_bench)

/* The hostile-* scenarios (hostile.h): the same shape. */
BLK_SCENARIO(hostile_pio)
BLK_SCENARIO(hostile_mmio)
BLK_SCENARIO(hostile_pci)
BLK_SCENARIO(hostile_virtq)
BLK_SCENARIO(hostile_doorbell)
BLK_SCENARIO(hostile_bystander)

static const struct scenario scenarios[] = {
	{ "poweroff", sc_poweroff },
	{ "reboot-acpi", sc_reboot_acpi },
	{ "reboot-cf9", power_reset_cf9 },
	{ "reboot-kbd", power_reset_kbd },
	{ "triple-fault", power_triple_fault },
	{ "cpus", sc_cpus },
	{ "mem", sc_mem },
	{ "echo", sc_echo },
	{ "power-button", sc_power_button },
	{ "power-button-ignore", sc_power_button_ignore },
	{ "panic", sc_panic },
	{ "crash-loaded", sc_crash_loaded },
	{ "watchdog", sc_watchdog },
	{ "shm-qnx", sc_shm_qnx },
	{ "shm-ivshmem", sc_shm_ivshmem },
	{ "shm-pingpong", sc_shm_pingpong },
	{ "lifecycle", sc_lifecycle },
	{ "lifecycle-daemon", sc_lifecycle_daemon },
	{ "blk-write", sc_blk_write },
	{ "blk-readonly", sc_blk_readonly },
	{ "blk-full", sc_blk_full },
	{ "blk-flush-error", sc_blk_flush_error },
	{ "blk-zeroes", sc_blk_zeroes },
	{ "blk-malformed", sc_blk_malformed },
	{ "blk-bench", sc_blk_bench },
	{ "hostile-pio", sc_hostile_pio },
	{ "hostile-mmio", sc_hostile_mmio },
	{ "hostile-pci", sc_hostile_pci },
	{ "hostile-virtq", sc_hostile_virtq },
	{ "hostile-doorbell", sc_hostile_doorbell },
	{ "hostile-bystander", sc_hostile_bystander },
};

__noreturn void scenario_run(void)
{
	char name[32];
	size_t i;

	if (!bootinfo_arg("probe.test", name, sizeof(name)))
		probe_abort("args",
			    "no probe.test=<scenario> on the command line");
	for (i = 0; i < ARRAY_SIZE(scenarios); i++)
		if (!strncmp(scenarios[i].name, name, sizeof(name)))
			scenarios[i].run();
	probe_abort("args", "unknown scenario \"%s\"", name);
}
