// SPDX-License-Identifier: Apache-2.0
/*
 * Device memory slots, MSI routes, irqfds and ioeventfds on a KVM VM
 * (Documentation/virt/kvm/api.rst: KVM_SET_USER_MEMORY_REGION,
 * KVM_SET_GSI_ROUTING, KVM_IRQFD, KVM_IOEVENTFD). [kvmtool x86/irq.c;
 * QEMU accel/kvm/kvm-all.c]
 */
#include "kvmio.h"

#include <errno.h>
#include <linux/kvm.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>

#include "../common/log.h"

#define KVMIO_PAGE 4096ULL
#define KVMIO_IRQCHIP_PINS 24 /* IOAPIC pins; the PICs have the first 16 */
#define KVMIO_PIC_PINS 16
#define KVMIO_DEFAULT_ROUTES (KVMIO_IRQCHIP_PINS + KVMIO_PIC_PINS)

struct kvmio_cap {
	int cap;
	const char *name;
};

static const struct kvmio_cap kvmio_caps[] = {
	{ KVM_CAP_IRQ_ROUTING, "KVM_CAP_IRQ_ROUTING" },
	{ KVM_CAP_IRQFD, "KVM_CAP_IRQFD" },
	{ KVM_CAP_IOEVENTFD, "KVM_CAP_IOEVENTFD" },
	{ KVM_CAP_IOEVENTFD_NO_LENGTH, "KVM_CAP_IOEVENTFD_NO_LENGTH" },
	{ KVM_CAP_SIGNAL_MSI, "KVM_CAP_SIGNAL_MSI" },
	{ KVM_CAP_NR_MEMSLOTS, "KVM_CAP_NR_MEMSLOTS" },
};

int kvmio_init(struct kvmio *k, int vm_fd, const struct gmem *gm)
{
	int routes, slots;
	size_t i;

	memset(k, 0, sizeof(*k));
	for (i = 0; i < ARRAY_SIZE(kvmio_caps); i++) {
		if (ioctl(vm_fd, KVM_CHECK_EXTENSION, kvmio_caps[i].cap) > 0)
			continue;
		log_err("KVM lacks %s (needed by PCI devices with MSI-X or shared memory)",
			kvmio_caps[i].name);
		return -ENOSYS;
	}
	/* The routing table's size; GSI numbers stay below it too. */
	routes = ioctl(vm_fd, KVM_CHECK_EXTENSION, KVM_CAP_IRQ_ROUTING);
	slots = ioctl(vm_fd, KVM_CHECK_EXTENSION, KVM_CAP_NR_MEMSLOTS);
	if (routes <= KVMIO_DEFAULT_ROUTES || slots <= gm->nr) {
		log_err("KVM allows %d GSI routes and %d memory slots: too few",
			routes, slots);
		return -ENOSYS;
	}
	k->nr_msi = MIN(KVMIO_MAX_MSI, routes - KVMIO_DEFAULT_ROUTES);
	k->nr_slots = MIN(KVMIO_MAX_SLOTS, slots - gm->nr);
	k->vm_fd = vm_fd;
	k->gm = gm;
	pthread_mutex_init(&k->lock, NULL);
	return 0;
}

void kvmio_free(struct kvmio *k)
{
	if (k->gm)
		pthread_mutex_destroy(&k->lock);
	memset(k, 0, sizeof(*k));
}

/* Do [a, a+alen) and [b, b+blen) share a byte? Neither range wraps. */
static bool kvmio_overlap(u64 a, u64 alen, u64 b, u64 blen)
{
	return a < b + blen && b < a + alen;
}

/* -EEXIST when [@gpa, @gpa+@len) touches RAM or a mapping. Under lock. */
static int kvmio_check_free(struct kvmio *k, u64 gpa, u64 len)
{
	int i;

	for (i = 0; i < k->gm->nr; i++)
		if (kvmio_overlap(gpa, len, k->gm->r[i].gpa, k->gm->r[i].size))
			return -EEXIST;
	for (i = 0; i < k->nr_slots; i++)
		if (k->slot[i].len &&
		    kvmio_overlap(gpa, len, k->slot[i].gpa, k->slot[i].len))
			return -EEXIST;
	return 0;
}

static int kvmio_set_slot(struct kvmio *k, int i, u64 gpa, u64 len, void *hva)
{
	struct kvm_userspace_memory_region r = {
		.slot = k->gm->nr + i,
		.guest_phys_addr = gpa,
		.memory_size = len,
		.userspace_addr = (u64)(uintptr_t)hva,
	};

	return ioctl(k->vm_fd, KVM_SET_USER_MEMORY_REGION, &r) < 0 ? -errno : 0;
}

int kvmio_map_ram(struct kvmio *k, u64 gpa, u64 len, void *hva)
{
	int i, ret;

	if (!len || (gpa | len | (uintptr_t)hva) & (KVMIO_PAGE - 1) ||
	    gpa + len < gpa)
		return -EINVAL;
	pthread_mutex_lock(&k->lock);
	ret = kvmio_check_free(k, gpa, len);
	for (i = 0; !ret && i < k->nr_slots && k->slot[i].len; i++)
		;
	if (!ret && i == k->nr_slots)
		ret = -ENOSPC;
	if (!ret)
		ret = kvmio_set_slot(k, i, gpa, len, hva);
	if (!ret)
		k->slot[i] = (struct kvmio_slot){ gpa, len, hva };
	pthread_mutex_unlock(&k->lock);
	return ret;
}

int kvmio_unmap_ram(struct kvmio *k, u64 gpa)
{
	int i, ret = -ENOENT;

	pthread_mutex_lock(&k->lock);
	for (i = 0; i < k->nr_slots; i++) {
		if (!k->slot[i].len || k->slot[i].gpa != gpa)
			continue;
		/* A size of 0 deletes the slot. */
		ret = kvmio_set_slot(k, i, gpa, 0, k->slot[i].hva);
		if (!ret)
			k->slot[i].len = 0;
		break;
	}
	pthread_mutex_unlock(&k->lock);
	return ret;
}

static struct kvm_irq_routing_entry kvmio_irqchip_route(u32 gsi, u32 chip,
							u32 pin)
{
	return (struct kvm_irq_routing_entry){
		.gsi = gsi,
		.type = KVM_IRQ_ROUTING_IRQCHIP,
		.u.irqchip = { .irqchip = chip, .pin = pin },
	};
}

/*
 * KVM's own table for an in-kernel irqchip (arch/x86/kvm/irq.c
 * default_routing): every GSI to the IOAPIC pin of that number, and GSIs
 * 0-15 also to the PIC pins (master 0-7, slave 8-15), so that the PIT,
 * the ISA devices and PCI INTx reach the guest as before.
 */
static int kvmio_default_routes(struct kvm_irq_routing_entry *e)
{
	u32 gsi;
	int n = 0;

	for (gsi = 0; gsi < KVMIO_IRQCHIP_PINS; gsi++) {
		e[n++] = kvmio_irqchip_route(gsi, KVM_IRQCHIP_IOAPIC, gsi);
		if (gsi < KVMIO_PIC_PINS)
			e[n++] = kvmio_irqchip_route(
				gsi,
				gsi < 8 ? KVM_IRQCHIP_PIC_MASTER :
					  KVM_IRQCHIP_PIC_SLAVE,
				gsi % 8);
	}
	return n;
}

/* Hand the whole table to KVM. Under lock. */
static int kvmio_commit_routes(struct kvmio *k)
{
	struct kvm_irq_routing *t;
	int i, n, ret;

	t = calloc(1, sizeof(*t) + (KVMIO_DEFAULT_ROUTES + k->nr_msi) *
					   sizeof(t->entries[0]));
	if (!t)
		return -ENOMEM;
	n = kvmio_default_routes(t->entries);
	for (i = 0; i < k->nr_msi; i++) {
		struct kvm_irq_routing_entry *e = &t->entries[n];

		if (!k->msi[i].used)
			continue;
		e->gsi = KVMIO_FIRST_MSI_GSI + i;
		e->type = KVM_IRQ_ROUTING_MSI;
		e->u.msi.address_lo = (u32)k->msi[i].addr;
		e->u.msi.address_hi = (u32)(k->msi[i].addr >> 32);
		e->u.msi.data = k->msi[i].data;
		n++;
	}
	t->nr = n;
	ret = ioctl(k->vm_fd, KVM_SET_GSI_ROUTING, t) < 0 ? -errno : 0;
	free(t);
	return ret;
}

/* The table index for @gsi: a new one for -1. Under lock. */
static int kvmio_msi_index(struct kvmio *k, int gsi)
{
	int i;

	if (gsi == -1) {
		for (i = 0; i < k->nr_msi; i++)
			if (!k->msi[i].used)
				return i;
		return -ENOSPC;
	}
	if (gsi < KVMIO_FIRST_MSI_GSI || gsi >= KVMIO_FIRST_MSI_GSI + k->nr_msi)
		return -EINVAL;
	i = gsi - KVMIO_FIRST_MSI_GSI;
	return k->msi[i].used ? i : -ENOENT;
}

int kvmio_msi_route(struct kvmio *k, int gsi, u64 addr, u32 data)
{
	struct kvmio_route old;
	int i, ret;

	pthread_mutex_lock(&k->lock);
	i = kvmio_msi_index(k, gsi);
	if (i < 0) {
		pthread_mutex_unlock(&k->lock);
		return i;
	}
	old = k->msi[i];
	k->msi[i] = (struct kvmio_route){ true, addr, data };
	ret = kvmio_commit_routes(k);
	if (ret)
		k->msi[i] = old;
	pthread_mutex_unlock(&k->lock);
	return ret ? ret : KVMIO_FIRST_MSI_GSI + i;
}

void kvmio_msi_unroute(struct kvmio *k, int gsi)
{
	int i;

	pthread_mutex_lock(&k->lock);
	i = kvmio_msi_index(k, gsi);
	if (i >= 0) {
		k->msi[i].used = false;
		if (kvmio_commit_routes(k))
			log_warn_errno("KVM_SET_GSI_ROUTING without GSI %d",
				       gsi);
	}
	pthread_mutex_unlock(&k->lock);
}

int kvmio_irqfd(struct kvmio *k, int efd, int gsi, bool assign)
{
	struct kvm_irqfd irqfd = {
		.fd = efd,
		.gsi = gsi,
		.flags = assign ? 0 : KVM_IRQFD_FLAG_DEASSIGN,
	};

	if (efd < 0 || gsi < 0)
		return -EINVAL;
	return ioctl(k->vm_fd, KVM_IRQFD, &irqfd) < 0 ? -errno : 0;
}

int kvmio_ioeventfd(struct kvmio *k, bool pio, u64 addr, u8 size, bool match,
		    u64 datamatch, int efd, bool assign)
{
	struct kvm_ioeventfd io = {
		.datamatch = match ? datamatch : 0,
		.addr = addr,
		.len = size,
		.fd = efd,
		.flags = (pio ? KVM_IOEVENTFD_FLAG_PIO : 0) |
			 (match ? KVM_IOEVENTFD_FLAG_DATAMATCH : 0) |
			 (assign ? 0 : KVM_IOEVENTFD_FLAG_DEASSIGN),
	};

	if (size != 0 && size != 1 && size != 2 && size != 4 && size != 8)
		return -EINVAL;
	/* Any-size matching is KVM's MMIO fast path, without a value. */
	if (!size && (pio || match))
		return -EINVAL;
	if (efd < 0 || addr + (size ? size : 1) < addr)
		return -EINVAL;
	return ioctl(k->vm_fd, KVM_IOEVENTFD, &io) < 0 ? -errno : 0;
}
