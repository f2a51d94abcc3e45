/* Access to RAM above the static 4 GiB identity map. */
#ifndef PROBE_PAGING_H
#define PROBE_PAGING_H

#include "types.h"

/*
 * Make physical address @pa reachable and return its virtual address in
 * @va: the identity address below 4 GiB, otherwise one 2 MiB window that
 * the next call replaces. Returns false at or above 512 GiB (the reach
 * of one PDPT).
 */
bool paging_map(u64 pa, volatile u64 **va);

#endif
