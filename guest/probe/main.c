/*
 * The probe guest: a freestanding x86-64 PVH guest that exercises a
 * machine the way Linux would and reports PROBE lines on COM1.
 * entry.S calls probe_main() in long mode on the BSP stack.
 */
#include "apic.h"
#include "bootinfo.h"
#include "pic.h"
#include "print.h"
#include "scenarios.h"
#include "trap.h"
#include "uart.h"

/* Called from entry.S with the physical address of hvm_start_info. */
__noreturn void probe_main(u64 start_info);

__noreturn void probe_main(u64 start_info)
{
	uart_init();
	probe_line("BOOT");
	trap_init();
	if (bootinfo_copy(start_info))
		trap_triple_fault();
	probe_info("start_info v%u cmdline \"%s\" memmap %u rsdp 0x%llx",
		   boot.version, boot.cmdline, boot.nr_memmap_given, boot.rsdp);
	pic_disable();
	if (apic_init())
		trap_triple_fault();
	scenario_run();
}
