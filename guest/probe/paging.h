/* Access to RAM and device memory above the static 4 GiB identity map. */
#ifndef PROBE_PAGING_H
#define PROBE_PAGING_H

#include "types.h"

/*
 * Make physical address @pa reachable and return its virtual address in
 * @va: the identity address below 4 GiB or in a GiB that
 * paging_map_device() mapped, otherwise one 2 MiB window that the next
 * call replaces. Returns false at or above 512 GiB (the reach of one
 * PDPT).
 */
bool paging_map(u64 pa, volatile u64 **va);

/*
 * Identity-map [@pa, @pa + @len) uncached for good: a PCI BAR above
 * 4 GiB (below it, the static map already holds the PCI hole uncached).
 * Whole GiBs are mapped, each through a page directory of 2 MiB pages
 * from a small static pool. Returns false beyond 48 bits or when the
 * pool is used up (more than PAGING_DEVICE_GIBS GiBs in all).
 */
bool paging_map_device(u64 pa, u64 len);

#define PAGING_DEVICE_GIBS 4

#endif
