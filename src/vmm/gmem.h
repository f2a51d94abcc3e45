/* SPDX-License-Identifier: Apache-2.0 */
#ifndef VESSEL_GMEM_H
#define VESSEL_GMEM_H

/*
 * Guest RAM as the host sees it: up to two contiguous guest-physical
 * regions (below the PCI hole, and from 4 GiB) backed by one mapping.
 * Pure bookkeeping: the mapping itself is made by vm.c (or by a test with
 * malloc), so boot builders can be unit-tested without KVM.
 */

#include "../common/types.h"

#define GMEM_MAX_REGIONS 2

struct gmem_region {
	u64 gpa;
	u64 size;
	u8 *host;
};

struct gmem {
	struct gmem_region r[GMEM_MAX_REGIONS];
	int nr;
	u64 ram_size; /* total bytes of RAM */
};

/*
 * Split @ram_size bytes at @host (a mapping of that size) into the guest
 * regions of the layout (layout.h).
 */
void gmem_init(struct gmem *gm, u8 *host, u64 ram_size);

/*
 * Host pointer to [@gpa, @gpa+@len) when it lies wholly inside one RAM
 * region, else NULL. Overflow-safe for any @gpa and @len.
 */
void *gmem_ptr(const struct gmem *gm, u64 gpa, u64 len);

/* First guest-physical address above all RAM. */
u64 gmem_top(const struct gmem *gm);

#endif
