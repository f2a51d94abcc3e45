/*
 * Guest-physical addresses the probe relies on; shared by C and assembly.
 * vessel's side of the contract is docs/dev/layout.md.
 */
#ifndef PROBE_LAYOUT_H
#define PROBE_LAYOUT_H

/* PT_LOAD address: the PVH ABI loads the ELF at its physical addresses. */
#define PROBE_LOAD_ADDR 0x100000
/* Free low page for the AP real-mode trampoline (SIPI vector 0x08). */
#define TRAMPOLINE_PHYS 0x8000

#define MAX_CPUS 64
#define BSP_STACK_SIZE 16384
#define AP_STACK_SHIFT 12 /* 4 KiB per AP */

#endif
