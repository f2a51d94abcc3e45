// SPDX-License-Identifier: Apache-2.0
/*
 * QEMU's ivshmem-doorbell (docs/specs/ivshmem-spec.rst), PCI 1af4:1110
 * revision 1, so guest tooling written for QEMU (Linux's uio_ivshmem,
 * ivshmem-net and friends) works on vessel's regions:
 *
 *   BAR0, 256 bytes: 0x0 IntrMask, 0x4 IntrStatus (INTx mode; reading
 *        it clears it), 0x8 IVPosition (our peer id, read-only), 0xc
 *        Doorbell (write peer << 16 | vector);
 *   BAR1: the MSI-X table and PBA (2 vectors);
 *   BAR2: the region itself, guest RAM.
 *
 * The region is the one the host configured (`shmem model=ivshmem,
 * name=N`); its name is also in a vendor-specific capability, which
 * QEMU's device lacks, so that a guest with several can tell them apart.
 * A ring from any peer raises vector 0 (or INTx with IntrStatus bit 0).
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../common/conf.h"
#include "../../common/log.h"
#include "../../shm/shm.h"
#include "pci.h"
#include "shmem.h"

#define IVSHMEM_VENDOR 0x1af4
#define IVSHMEM_DEVICE 0x1110
#define IVSHMEM_CLASS 0x050000 /* memory controller, RAM */
#define IVSHMEM_REVISION 1
#define IVSHMEM_REGS 256
#define IVSHMEM_VECTORS 2
#define IVSHMEM_MSIX_BAR 1
#define IVSHMEM_PBA_OFF 0x800

#define R_INTR_MASK 0x0
#define R_INTR_STATUS 0x4
#define R_IV_POSITION 0x8
#define R_DOORBELL 0xc

struct ivshmem {
	struct pci_dev pci;
	struct dev_env *env;
	pthread_mutex_t lock;
	struct shmem_conf conf;
	struct shm_region *r;
	u32 intr_mask, intr_status;
	u64 mapped_at; /* BAR2 while decoding, else 0 */
	u64 regs_at; /* BAR0 while decoding, else 0 */
	/* Doorbell values that KVM writes to a peer's eventfd itself. */
	u8 fast[SHM_MAX_PEERS]; /* per peer: a bit per vector */
	int fast_fd[SHM_MAX_PEERS];
	/* Vector 0 straight from our doorbell to KVM, while it is unmasked. */
	struct pci_irqfd vec0; /* efd: our doorbell */
};

static void ivshmem_update_intx(struct ivshmem *d)
{
	pci_dev_set_intx(&d->pci, (d->intr_status & d->intr_mask) != 0);
}

/* A peer rang us: vector 0, through MSI-X when the guest enabled it. */
static void ivshmem_raise(struct ivshmem *d)
{
	if (pci_msix_enabled(&d->pci)) {
		pci_msix_notify(&d->pci, 0);
		return;
	}
	d->intr_status |= 1;
	ivshmem_update_intx(d);
}

/* Our doorbell slot in KVM's ioeventfds for (peer, vector). Lock held. */
static int ivshmem_fast_set(struct ivshmem *d, int peer, int vector, int fd,
			    bool on)
{
	return env_ioeventfd(d->env, BUS_MMIO, d->regs_at + R_DOORBELL, 4, true,
			     (u32)peer << 16 | vector, fd, on);
}

/* Peers changed or BAR0 moved: every fast path goes. Lock held. */
static void ivshmem_fast_drop(struct ivshmem *d)
{
	int p, v;

	for (p = 0; p < SHM_MAX_PEERS; p++) {
		if (!d->fast[p])
			continue;
		for (v = 0; v < IVSHMEM_VECTORS; v++)
			if (d->fast[p] & (1u << v))
				ivshmem_fast_set(d, p, v, d->fast_fd[p], false);
		close(d->fast_fd[p]);
		d->fast[p] = 0;
	}
}

/*
 * After a ring of an ivshmem peer went through vessel: let KVM write that
 * peer's doorbell eventfd itself from now on, the guest's write never
 * leaving the kernel (an ioeventfd with the doorbell value as datamatch).
 * Only for ivshmem peers: others want the sender in their pending bits,
 * which only the path through vessel sets. Lock held.
 */
static void ivshmem_fast_add(struct ivshmem *d, int peer, int vector)
{
	struct shm_peer_info info;
	int fd;

	if (!d->regs_at || d->fast[peer] & (1u << vector) ||
	    shm_peer_get(d->r, peer, &info) || strcmp(info.kind, "ivshmem"))
		return;
	/* Our own copy: the library closes its own when the peer leaves. */
	if (!d->fast[peer]) {
		fd = shm_peer_doorbell(d->r, peer);
		fd = fd < 0 ? fd : fcntl(fd, F_DUPFD_CLOEXEC, 0);
		if (fd < 0)
			return;
		d->fast_fd[peer] = fd;
	}
	if (!ivshmem_fast_set(d, peer, vector, d->fast_fd[peer], true))
		d->fast[peer] |= 1u << vector;
	else if (!d->fast[peer])
		close(d->fast_fd[peer]);
}

static void ivshmem_doorbell(struct ivshmem *d, u32 val)
{
	int peer = val >> 16, vector = val & 0xff, ret;

	if (vector >= IVSHMEM_VECTORS) {
		log_warn_once("ivshmem: doorbell for vector %d ignored",
			      vector);
		return;
	}
	/* QEMU delivers a doorbell to our own position, so do we. */
	if (peer == shm_peer_id(d->r)) {
		ivshmem_raise(d);
		return;
	}
	ret = shm_ring(d->r, peer);
	if (!ret)
		ivshmem_fast_add(d, peer, vector);
	else if (ret != -ESRCH)
		log_warn_once("ivshmem: doorbell for peer %d: %s", peer,
			      strerror(-ret));
}

static enum io_res ivshmem_regs(void *dev, struct io_access *a)
{
	struct ivshmem *d = dev;

	if (a->off >= IVSHMEM_REGS)
		return IO_UNHANDLED;
	if (a->size != 4) {
		if (!a->write)
			a->val = 0;
		return IO_OK;
	}
	pthread_mutex_lock(&d->lock);
	switch (a->off) {
	case R_INTR_MASK:
		if (a->write)
			d->intr_mask = a->val;
		else
			a->val = d->intr_mask;
		ivshmem_update_intx(d);
		break;
	case R_INTR_STATUS:
		if (a->write) {
			d->intr_status = a->val;
		} else {
			a->val = d->intr_status;
			d->intr_status = 0;
		}
		ivshmem_update_intx(d);
		break;
	case R_IV_POSITION:
		if (!a->write)
			a->val = shm_peer_id(d->r);
		break;
	case R_DOORBELL:
		if (a->write)
			ivshmem_doorbell(d, a->val);
		else
			a->val = 0;
		break;
	default:
		if (!a->write)
			a->val = 0;
	}
	pthread_mutex_unlock(&d->lock);
	return IO_OK;
}

static void ivshmem_on_doorbell(void *dev, int fd)
{
	struct ivshmem *d = dev;
	u64 v;

	if (read(fd, &v, sizeof(v)) != sizeof(v))
		return;
	/* Changes come on their own eventfd: this is a ring. */
	pthread_mutex_lock(&d->lock);
	shm_take_pending(d->r);
	ivshmem_raise(d);
	pthread_mutex_unlock(&d->lock);
}

/* The peers changed: a peer's slot may have a new owner. */
static void ivshmem_on_change(void *dev, int fd)
{
	struct ivshmem *d = dev;
	u64 v;

	if (read(fd, &v, sizeof(v)) != sizeof(v))
		return;
	pthread_mutex_lock(&d->lock);
	shm_peers_changed(d->r);
	ivshmem_fast_drop(d);
	pthread_mutex_unlock(&d->lock);
}

/*
 * While MSI-X vector 0 is enabled and unmasked, our doorbell is a KVM
 * irqfd on its route: a ring becomes the guest's interrupt without
 * waking vessel. Masked (or MSI-X off), vessel's loop reads the doorbell
 * again and the interrupt waits in the PBA (or goes to INTx). Lock held.
 */
static void ivshmem_irqfd(struct ivshmem *d, bool on, u64 addr, u32 data)
{
	bool was = d->vec0.on;

	d->vec0.efd = shm_doorbell_fd(d->r);
	pci_irqfd_set(d->env, &d->vec0, on, addr, data);
	if (d->vec0.on && !was)
		env_unwatch_fd(d->env, d->vec0.efd);
	else if (!d->vec0.on && was)
		env_watch_fd(d->env, d->vec0.efd, ivshmem_on_doorbell, d);
}

static void ivshmem_msix_update(struct pci_dev *pd, int vec, u64 addr, u32 data,
				bool masked)
{
	struct ivshmem *d = pd->priv;

	if (vec)
		return;
	pthread_mutex_lock(&d->lock);
	ivshmem_irqfd(d, !masked, addr, data);
	pthread_mutex_unlock(&d->lock);
}

static void ivshmem_on_listen(void *dev, int fd)
{
	struct ivshmem *d = dev;

	(void)fd;
	pthread_mutex_lock(&d->lock);
	shm_serve(d->r);
	pthread_mutex_unlock(&d->lock);
}

/* BAR2 is the region: a memslot wherever the guest puts it. */
static void ivshmem_bar_map(struct pci_dev *pd, int bar, u64 addr, bool mapped)
{
	struct ivshmem *d = pd->priv;
	int ret;

	if (bar == 0) {
		pthread_mutex_lock(&d->lock);
		ivshmem_fast_drop(d);
		d->regs_at = mapped ? addr : 0;
		pthread_mutex_unlock(&d->lock);
		return;
	}
	if (bar != 2)
		return;
	pthread_mutex_lock(&d->lock);
	if (d->mapped_at)
		env_unmap_ram(d->env, d->mapped_at);
	d->mapped_at = 0;
	if (mapped) {
		ret = env_map_ram(d->env, addr, shm_size(d->r), shm_data(d->r));
		if (ret)
			log_warn_limited(
				"ivshmem: cannot map the region at %#llx: %s",
				(unsigned long long)addr, strerror(-ret));
		else
			d->mapped_at = addr;
	}
	pthread_mutex_unlock(&d->lock);
}

static const struct pci_ops ivshmem_pci_ops = {
	.bar_map = ivshmem_bar_map,
	.msix_update = ivshmem_msix_update,
};

static u64 pow2_at_least(u64 v)
{
	u64 p = 4096;

	while (p < v)
		p <<= 1;
	return p;
}

/* The vendor capability: len, flags 0, then the region's name. */
static int ivshmem_name_cap(struct ivshmem *d)
{
	size_t n = strlen(d->conf.name) + 1;
	u8 off;
	int ret = pci_dev_add_cap(&d->pci, PCI_CAP_ID_VNDR, 4 + n, &off);

	if (ret)
		return ret;
	d->pci.cfg[off + 2] = 4 + n;
	memcpy(&d->pci.cfg[off + 4], d->conf.name, n);
	return 0;
}

static int ivshmem_setup(struct ivshmem *d)
{
	char host[SHMEM_NAME_MAX];
	int ret;

	if (shm_name_check(d->conf.name)) {
		log_err("shmem: '%s' is not a region name", d->conf.name);
		return -EINVAL;
	}
	shmem_host_name(d->env, d->conf.name, host, sizeof(host));
	ret = shm_open_region(host, d->conf.size ? d->conf.size : 4096,
			      SHM_CREATE, "ivshmem",
			      conf_get(env_conf(d->env), "name"), &d->r);
	if (ret) {
		log_err("shmem: cannot attach region '%s': %s", host,
			strerror(-ret));
		return ret;
	}
	pci_dev_init(&d->pci, IVSHMEM_VENDOR, IVSHMEM_DEVICE, IVSHMEM_CLASS, 1);
	d->pci.cfg[PCI_REVISION_ID] = IVSHMEM_REVISION;
	d->pci.ops = &ivshmem_pci_ops;
	d->pci.priv = d;
	d->pci.bar[0] = (struct pci_bar){ .size = IVSHMEM_REGS,
					  .fn = ivshmem_regs,
					  .dev = d };
	d->pci.bar[2] = (struct pci_bar){ .size = pow2_at_least(shm_size(d->r)),
					  .mem64 = true,
					  .prefetch = true };
	ret = pci_msix_init(&d->pci, IVSHMEM_VECTORS, IVSHMEM_MSIX_BAR, 0,
			    IVSHMEM_PBA_OFF);
	ret = ret ? ret : ivshmem_name_cap(d);
	ret = ret ? ret : pci_dev_add(env_pci_bus(d->env), &d->pci);
	if (ret) {
		log_err("ivshmem: cannot add the PCI function: %s",
			strerror(-ret));
		return ret;
	}
	ret = shm_change_fd(d->r);
	if (ret < 0)
		return ret;
	ret = env_watch_fd(d->env, ret, ivshmem_on_change, d);
	ret = ret ? ret :
		    env_watch_fd(d->env, shm_doorbell_fd(d->r),
				 ivshmem_on_doorbell, d);
	return ret ? ret :
		     env_watch_fd(d->env, shm_listen_fd(d->r),
				  ivshmem_on_listen, d);
}

static void ivshmem_quiesce(void *dev, enum stop_reason why)
{
	struct ivshmem *d = dev;

	(void)why;
	pthread_mutex_lock(&d->lock);
	if (d->r) {
		ivshmem_fast_drop(d);
		ivshmem_irqfd(d, false, 0, 0);
		env_unwatch_fd(d->env, shm_change_fd(d->r));
		env_unwatch_fd(d->env, shm_doorbell_fd(d->r));
		env_unwatch_fd(d->env, shm_listen_fd(d->r));
	}
	pthread_mutex_unlock(&d->lock);
}

static void ivshmem_free(struct ivshmem *d)
{
	/* Also before pci_dev_add(): it frees the MSI-X state. */
	pci_dev_del(&d->pci);
	if (d->mapped_at)
		env_unmap_ram(d->env, d->mapped_at);
	shm_close_region(d->r);
	pthread_mutex_destroy(&d->lock);
	free(d);
}

static int ivshmem_create(struct dev_env *env, void **dev)
{
	struct ivshmem *d = calloc(1, sizeof(*d));
	int ret;

	*dev = NULL;
	if (!d)
		return -ENOMEM;
	d->env = env;
	d->vec0.gsi = -1;
	pthread_mutex_init(&d->lock, NULL);
	ret = shmem_conf_read(env, "ivshmem", &d->conf);
	if (ret > 0)
		ret = ivshmem_setup(d);
	if (ret || !d->r) {
		if (ret)
			ivshmem_quiesce(d, STOP_NONE);
		ivshmem_free(d);
		return ret;
	}
	*dev = d;
	return 0;
}

static void ivshmem_destroy(void *dev)
{
	ivshmem_free(dev);
}

VESSEL_DEVICE(dev_shmem_ivshmem) = {
	.name = "shmem-ivshmem",
	.prio = 31,
	.create = ivshmem_create,
	.quiesce = ivshmem_quiesce,
	.destroy = ivshmem_destroy,
};
