/* SPDX-License-Identifier: Apache-2.0 */
#ifndef VESSEL_BUS_H
#define VESSEL_BUS_H

/*
 * An address space (I/O ports or MMIO) as a sorted array of regions,
 * looked up by binary search. Readers (vCPU threads dispatching accesses)
 * and writers (PCI BAR moves) are serialised by a rwlock. Handlers run
 * unlocked (devices do their own locking), so a handler may add or remove
 * regions.
 */

#include <pthread.h>

#include "dev/dev.h"

struct bus_region {
	u64 base, len;
	io_handler fn;
	void *dev;
};

struct bus {
	struct bus_region *r;
	int nr, cap;
	pthread_rwlock_t lock;
};

void bus_init(struct bus *b);
void bus_free(struct bus *b);

/* Add [@base, @base+@len); -EEXIST on overlap, -EINVAL on an empty or wrapping range. */
int bus_add(struct bus *b, u64 base, u64 len, io_handler fn, void *dev);
/* Remove the region that starts at @base; -ENOENT if none. */
int bus_del(struct bus *b, u64 base);

/*
 * Dispatch an access at absolute address @addr to the region containing
 * it, with a->off relative to that region. When no region claims it (or
 * the handler answers IO_UNHANDLED/IO_ERROR), a read returns all-ones and
 * a write is dropped; the result says which happened.
 */
enum io_res bus_access(struct bus *b, u64 addr, struct io_access *a);

#endif
