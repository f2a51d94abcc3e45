/* SPDX-License-Identifier: Apache-2.0 */
#ifndef VESSEL_CPUID_H
#define VESSEL_CPUID_H

#include <linux/kvm.h>

#include "../../common/types.h"

#define CPUID_HYPERVISOR_BIT (1u << 31) /* leaf 1 ECX */

/*
 * Adjust KVM's supported CPUID (a copy per vCPU) to what vCPU @id of
 * @ncpus should see: the hypervisor bit, its APIC ID, and a topology of
 * one package with @ncpus cores of one thread each (leaves 1, 4, 0xB,
 * 0x1F, 0x80000008). Pure: no ioctls.
 */
void cpuid_setup(struct kvm_cpuid2 *c, u32 id, u32 ncpus);

#endif
