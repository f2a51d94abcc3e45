/* SPDX-License-Identifier: Apache-2.0 */
#ifndef VESSEL_KVMIO_H
#define VESSEL_KVMIO_H

/*
 * What devices need from KVM beyond the buses: memory slots for device
 * memory (a shared memory BAR mapped as RAM), MSI routes on GSIs, irqfds
 * and ioeventfds. vm.c holds one struct kvmio and env.c forwards the
 * env_map_ram()/env_msi_route()/... calls of dev.h to it. Kept apart from
 * vm.c so that a test can drive it on a bare VM fd.
 *
 * Locking: one mutex guards the slot and route tables and is held across
 * their ioctls, so any thread may call any function.
 */

#include <pthread.h>

#include "../common/types.h"
#include "gmem.h"

/* Device memory slots, after the RAM slots. */
#define KVMIO_MAX_SLOTS 64
/* GSIs 0-23 are the IOAPIC pins (0-15 also the PICs'); MSIs come after. */
#define KVMIO_FIRST_MSI_GSI 24
#define KVMIO_MAX_MSI 1024

struct kvmio_slot {
	u64 gpa, len; /* len 0: free */
	void *hva;
};

struct kvmio_route {
	bool used;
	u64 addr;
	u32 data;
};

struct kvmio {
	int vm_fd;
	const struct gmem *gm; /* RAM: KVM slots 0 .. gm->nr - 1 */
	pthread_mutex_t lock;
	int nr_slots; /* device slots KVM allows, at most KVMIO_MAX_SLOTS */
	struct kvmio_slot slot[KVMIO_MAX_SLOTS];
	int nr_msi; /* MSI GSIs KVM allows, at most KVMIO_MAX_MSI */
	struct kvmio_route msi[KVMIO_MAX_MSI]; /* [i] is GSI 24 + i */
};

/*
 * Check that the VM @vm_fd (with an in-kernel irqchip) has every
 * capability below (KVM_CAP_IRQ_ROUTING, _IRQFD, _IOEVENTFD, _SIGNAL_MSI,
 * enough memory slots) and start empty tables; the RAM in @gm already
 * has its slots. Logs what is missing and returns -ENOSYS, or 0.
 */
int kvmio_init(struct kvmio *k, int vm_fd, const struct gmem *gm);
void kvmio_free(struct kvmio *k);

/*
 * Map host memory @hva at guest-physical [@gpa, @gpa+@len) as RAM in a
 * free slot. All three page-aligned, @len > 0. Returns 0, -EINVAL
 * (alignment, wrap-around), -EEXIST (overlaps RAM or another mapping),
 * -ENOSPC (no free slot), or KVM's -errno.
 */
int kvmio_map_ram(struct kvmio *k, u64 gpa, u64 len, void *hva);
/* Remove the mapping that starts at @gpa: 0 or -ENOENT. */
int kvmio_unmap_ram(struct kvmio *k, u64 gpa);

/*
 * Route a GSI to the MSI (@addr, @data): @gsi -1 takes a new GSI, else
 * @gsi (a GSI this returned) changes. Returns the GSI, or -ENOSPC,
 * -ENOENT (@gsi not routed), -EINVAL, or KVM's -errno (the table is then
 * as before). The whole table goes to KVM each time (KVM_SET_GSI_ROUTING
 * replaces it), with KVM's default IOAPIC/PIC routes for GSIs 0-23.
 */
int kvmio_msi_route(struct kvmio *k, int gsi, u64 addr, u32 data);
/* Free @gsi's route; an irqfd still on it then signals nothing. */
void kvmio_msi_unroute(struct kvmio *k, int gsi);

/* KVM_IRQFD: writes to eventfd @efd raise @gsi (assign) or stop doing so. */
int kvmio_irqfd(struct kvmio *k, int efd, int gsi, bool assign);

/*
 * KVM_IOEVENTFD: a guest write of @size bytes (1, 2, 4, 8; 0 = any size,
 * MMIO without @match only) at @addr in port space (@pio) or memory
 * signals @efd instead of exiting, when @match is false or the value is
 * @datamatch. Deassign with the same arguments. 0 or -errno.
 */
int kvmio_ioeventfd(struct kvmio *k, bool pio, u64 addr, u8 size, bool match,
		    u64 datamatch, int efd, bool assign);

#endif
