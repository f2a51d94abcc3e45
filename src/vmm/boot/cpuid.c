// SPDX-License-Identifier: Apache-2.0
#include "cpuid.h"

/* Bits needed to number @n CPUs: the x2APIC ID shift of a topology level. */
static u32 cpuid_shift(u32 n)
{
	u32 s = 0;

	while ((1u << s) < n)
		s++;
	return s;
}

/*
 * Leaf 0xB / 0x1F (Intel SDM Vol. 2A, CPUID "V2 Extended Topology"):
 * subleaf 0 is the SMT level (one thread), subleaf 1 the core level.
 */
static void cpuid_topology(struct kvm_cpuid_entry2 *e, u32 id, u32 ncpus)
{
	switch (e->index) {
	case 0:
		e->eax = 0;
		e->ebx = 1;
		e->ecx = (1u << 8) | 0;
		break;
	case 1:
		e->eax = cpuid_shift(ncpus);
		e->ebx = ncpus;
		e->ecx = (2u << 8) | 1;
		break;
	default:
		e->eax = e->ebx = 0;
		e->ecx = e->index;
		break;
	}
	e->edx = id;
}

static void cpuid_leaf1(struct kvm_cpuid_entry2 *e, u32 id, u32 ncpus)
{
	e->ecx |= CPUID_HYPERVISOR_BIT;
	/* EBX[31:24] initial APIC ID, [23:16] logical processors per package. */
	e->ebx = (e->ebx & 0xffff) | (id << 24) |
		 ((ncpus > 255 ? 255 : ncpus) << 16);
	if (ncpus > 1)
		e->edx |= 1u << 28; /* HTT: the [23:16] count is valid */
}

void cpuid_setup(struct kvm_cpuid2 *c, u32 id, u32 ncpus)
{
	u32 i;

	for (i = 0; i < c->nent; i++) {
		struct kvm_cpuid_entry2 *e = &c->entries[i];

		switch (e->function) {
		case 1:
			cpuid_leaf1(e, id, ncpus);
			break;
		case 4:
			/* EAX[31:26]: cores per package - 1; [25:14]: threads sharing this cache - 1. */
			if (e->eax & 0x1f)
				e->eax =
					(e->eax & 0x3fff) | ((ncpus - 1) << 26);
			break;
		case 0xb:
		case 0x1f:
			cpuid_topology(e, id, ncpus);
			break;
		case 0x80000008:
			/* AMD: ECX[7:0] NC = cores - 1, [15:12] ApicIdSize. */
			e->ecx = (cpuid_shift(ncpus) << 12) | (ncpus - 1);
			break;
		}
	}
}
