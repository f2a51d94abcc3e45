// SPDX-License-Identifier: Apache-2.0
/*
 * The virtio 1.x modern PCI transport (virtio_pci.h). Registers follow
 * virtio 1.2 section 4.1.4; the driver side this must satisfy is Linux's
 * drivers/virtio/virtio_pci_modern{,_dev}.c.
 * [cloud-hypervisor virtio-devices/src/transport/pci_common_config.rs;
 *  kvmtool virtio/pci-modern.c]
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "../../common/log.h"
#include "virtio_pci.h"

/* Offsets inside struct virtio_pci_cap (virtio 1.2 4.1.4). */
#define CAP_LEN 2
#define CAP_CFG_TYPE 3
#define CAP_BAR 4
#define CAP_ID 5
#define CAP_OFFSET 8
#define CAP_LENGTH 12
#define CAP_NOTIFY_MULT 16 /* struct virtio_pci_notify_cap */
#define CAP_PCI_CFG_DATA 16 /* struct virtio_pci_cfg_cap */
#define CAP_SIZE 16
#define CAP_NOTIFY_SIZE 20
#define CAP_PCI_CFG_SIZE 20

#define MSIX_PBA_OFF 0x800

static u8 vp_status(struct virtio_pci *vp)
{
	return __atomic_load_n(&vp->status, __ATOMIC_ACQUIRE);
}

static void vp_efd_signal(int efd)
{
	u64 one = 1;

	/* Cannot fail short of a counter at its maximum: still pending. */
	if (write(efd, &one, sizeof(one)) < 0)
		return;
}

static void vp_efd_drain(int efd)
{
	u64 v;

	if (read(efd, &v, sizeof(v)) < 0)
		return;
}

/*
 * Raise vector @vec (MSI-X on) or INTx with @isr_bit (MSI-X off). A vector
 * VIRTIO_MSI_NO_VECTOR or out of range interrupts nothing under MSI-X, as
 * the spec has it (4.1.5.1.2).
 */
static void vp_signal(struct virtio_pci *vp, u16 vec, u8 isr_bit)
{
	pthread_mutex_lock(&vp->irq_lock);
	if (!pci_msix_enabled(&vp->pd)) {
		vp->isr |= isr_bit;
		pci_dev_set_intx(&vp->pd, 1);
	} else {
		if (isr_bit == VIRTIO_PCI_ISR_CONFIG)
			vp->isr |= isr_bit;
		if (vec < vp->nr_vectors) {
			if (vp->vec[vec].on)
				vp_efd_signal(vp->vec[vec].efd);
			else
				pci_msix_notify(&vp->pd, vec);
		}
	}
	pthread_mutex_unlock(&vp->irq_lock);
}

void virtio_pci_notify(struct virtio_pci *vp, int q)
{
	u16 vec = __atomic_load_n(&vp->q[q].msix_vector, __ATOMIC_RELAXED);

	vp_signal(vp, vec, VIRTIO_PCI_ISR_QUEUE);
}

void virtio_pci_needs_reset(struct virtio_pci *vp)
{
	u8 old = __atomic_fetch_or(&vp->status, VIRTIO_STATUS_NEEDS_RESET,
				   __ATOMIC_ACQ_REL);

	if (old & VIRTIO_STATUS_NEEDS_RESET)
		return;
	__atomic_add_fetch(&vp->config_generation, 1, __ATOMIC_RELEASE);
	vp_signal(vp, __atomic_load_n(&vp->msix_config, __ATOMIC_RELAXED),
		  VIRTIO_PCI_ISR_CONFIG);
}

static u8 vp_isr_read(struct virtio_pci *vp)
{
	u8 v;

	/* Reading ISR acknowledges it and deasserts INTx (4.1.4.5). */
	pthread_mutex_lock(&vp->irq_lock);
	v = vp->isr;
	vp->isr = 0;
	pci_dev_set_intx(&vp->pd, 0);
	pthread_mutex_unlock(&vp->irq_lock);
	return v;
}

/* Stop serving queues; vp->lock held. */
static void vp_stop_locked(struct virtio_pci *vp)
{
	if (!vp->started)
		return;
	vp->ops->stop(vp->dev);
	vp->started = false;
}

void virtio_pci_stop(struct virtio_pci *vp)
{
	pthread_mutex_lock(&vp->lock);
	vp_stop_locked(vp);
	pthread_mutex_unlock(&vp->lock);
}

static void vp_queue_reset(struct virtio_pci *vp, struct virtio_pci_queue *q)
{
	q->size = vp->max_size;
	__atomic_store_n(&q->msix_vector, VIRTIO_MSI_NO_VECTOR,
			 __ATOMIC_RELAXED);
	q->enable = false;
	q->desc = q->driver = q->device = 0;
	vp_efd_drain(q->kick_fd);
}

/* Device reset (status 0 written): back to the power-on state (4.1.4.3.2). */
static void vp_reset(struct virtio_pci *vp)
{
	int i;

	vp_stop_locked(vp);
	vp->driver_features = 0;
	vp->dfselect = vp->gfselect = 0;
	vp->queue_select = 0;
	__atomic_store_n(&vp->msix_config, VIRTIO_MSI_NO_VECTOR,
			 __ATOMIC_RELAXED);
	for (i = 0; i < vp->nr_queues; i++)
		vp_queue_reset(vp, &vp->q[i]);
	pthread_mutex_lock(&vp->irq_lock);
	vp->isr = 0;
	pci_dev_set_intx(&vp->pd, 0);
	pthread_mutex_unlock(&vp->irq_lock);
	__atomic_store_n(&vp->status, 0, __ATOMIC_RELEASE);
}

/* The driver may accept only what was offered, and must accept VERSION_1. */
static bool vp_features_ok(struct virtio_pci *vp)
{
	return !(vp->driver_features & ~vp->device_features) &&
	       (vp->driver_features & (1ULL << VIRTIO_F_VERSION_1));
}

static void vp_set_status(struct virtio_pci *vp, u8 val)
{
	u8 old = vp_status(vp);

	if (!val) {
		vp_reset(vp);
		return;
	}
	/* FEATURES_OK sticks only for an acceptable set (3.1.1 step 5). */
	if ((val & VIRTIO_STATUS_FEATURES_OK) &&
	    !(old & VIRTIO_STATUS_FEATURES_OK) && !vp_features_ok(vp))
		val &= ~VIRTIO_STATUS_FEATURES_OK;
	val |= old & VIRTIO_STATUS_NEEDS_RESET;
	__atomic_store_n(&vp->status, val, __ATOMIC_RELEASE);
	if ((val & VIRTIO_STATUS_DRIVER_OK) && !vp->started &&
	    !(old & VIRTIO_STATUS_DRIVER_OK)) {
		if (!(val & VIRTIO_STATUS_FEATURES_OK) ||
		    vp->ops->start(vp->dev, vp->driver_features))
			virtio_pci_needs_reset(vp);
		else
			vp->started = true;
	}
}

/* Queue registers are the driver's only until DRIVER_OK (4.1.4.3.2). */
static struct virtio_pci_queue *vp_queue(struct virtio_pci *vp, bool writing)
{
	if (vp->queue_select >= vp->nr_queues)
		return NULL;
	if (writing && (vp_status(vp) & VIRTIO_STATUS_DRIVER_OK))
		return NULL;
	return &vp->q[vp->queue_select];
}

static u32 vp_half(u64 v, bool high)
{
	return high ? (u32)(v >> 32) : (u32)v;
}

static void vp_set_half(u64 *v, bool high, u32 val)
{
	if (high)
		*v = (*v & 0xffffffffULL) | (u64)val << 32;
	else
		*v = (*v & ~0xffffffffULL) | val;
}

static u32 vp_queue_read(struct virtio_pci *vp, u32 off)
{
	struct virtio_pci_queue *q = vp_queue(vp, false);

	if (!q)
		return off == VIRTIO_PCI_COMMON_Q_MSIX ? VIRTIO_MSI_NO_VECTOR :
							 0;
	switch (off) {
	case VIRTIO_PCI_COMMON_Q_SIZE:
		return q->size;
	case VIRTIO_PCI_COMMON_Q_MSIX:
		return q->msix_vector;
	case VIRTIO_PCI_COMMON_Q_ENABLE:
		return q->enable;
	case VIRTIO_PCI_COMMON_Q_NOFF:
		return vp->queue_select;
	case VIRTIO_PCI_COMMON_Q_DESCLO:
	case VIRTIO_PCI_COMMON_Q_DESCHI:
		return vp_half(q->desc, off == VIRTIO_PCI_COMMON_Q_DESCHI);
	case VIRTIO_PCI_COMMON_Q_AVAILLO:
	case VIRTIO_PCI_COMMON_Q_AVAILHI:
		return vp_half(q->driver, off == VIRTIO_PCI_COMMON_Q_AVAILHI);
	case VIRTIO_PCI_COMMON_Q_USEDLO:
	case VIRTIO_PCI_COMMON_Q_USEDHI:
		return vp_half(q->device, off == VIRTIO_PCI_COMMON_Q_USEDHI);
	}
	return 0;
}

static u32 vp_common_read(struct virtio_pci *vp, u32 off)
{
	switch (off) {
	case VIRTIO_PCI_COMMON_DFSELECT:
		return vp->dfselect;
	case VIRTIO_PCI_COMMON_DF:
		return vp->dfselect < 2 ?
			       vp_half(vp->device_features, vp->dfselect) :
			       0;
	case VIRTIO_PCI_COMMON_GFSELECT:
		return vp->gfselect;
	case VIRTIO_PCI_COMMON_GF:
		return vp->gfselect < 2 ?
			       vp_half(vp->driver_features, vp->gfselect) :
			       0;
	case VIRTIO_PCI_COMMON_MSIX:
		return vp->msix_config;
	case VIRTIO_PCI_COMMON_NUMQ:
		return vp->nr_queues;
	case VIRTIO_PCI_COMMON_STATUS:
		return vp_status(vp);
	case VIRTIO_PCI_COMMON_CFGGENERATION:
		return __atomic_load_n(&vp->config_generation,
				       __ATOMIC_ACQUIRE);
	case VIRTIO_PCI_COMMON_Q_SELECT:
		return vp->queue_select;
	}
	return vp_queue_read(vp, off);
}

/* A vector the device cannot use reads back as NO_VECTOR (4.1.5.1.2). */
static u16 vp_vector(struct virtio_pci *vp, u32 val)
{
	return val < (u32)vp->nr_vectors ? (u16)val : VIRTIO_MSI_NO_VECTOR;
}

static void vp_queue_write(struct virtio_pci *vp, u32 off, u32 val)
{
	struct virtio_pci_queue *q = vp_queue(vp, true);

	if (!q)
		return;
	switch (off) {
	case VIRTIO_PCI_COMMON_Q_SIZE:
		q->size = val; /* checked at DRIVER_OK: a power of two <= max */
		break;
	case VIRTIO_PCI_COMMON_Q_MSIX:
		__atomic_store_n(&q->msix_vector, vp_vector(vp, val),
				 __ATOMIC_RELAXED);
		break;
	case VIRTIO_PCI_COMMON_Q_ENABLE:
		if (val == 1)
			q->enable = true;
		break;
	case VIRTIO_PCI_COMMON_Q_DESCLO:
	case VIRTIO_PCI_COMMON_Q_DESCHI:
		vp_set_half(&q->desc, off == VIRTIO_PCI_COMMON_Q_DESCHI, val);
		break;
	case VIRTIO_PCI_COMMON_Q_AVAILLO:
	case VIRTIO_PCI_COMMON_Q_AVAILHI:
		vp_set_half(&q->driver, off == VIRTIO_PCI_COMMON_Q_AVAILHI,
			    val);
		break;
	case VIRTIO_PCI_COMMON_Q_USEDLO:
	case VIRTIO_PCI_COMMON_Q_USEDHI:
		vp_set_half(&q->device, off == VIRTIO_PCI_COMMON_Q_USEDHI, val);
		break;
	}
}

static void vp_common_write(struct virtio_pci *vp, u32 off, u32 val)
{
	switch (off) {
	case VIRTIO_PCI_COMMON_DFSELECT:
		vp->dfselect = val;
		break;
	case VIRTIO_PCI_COMMON_GFSELECT:
		vp->gfselect = val;
		break;
	case VIRTIO_PCI_COMMON_GF:
		if (vp->gfselect < 2 &&
		    !(vp_status(vp) & VIRTIO_STATUS_FEATURES_OK))
			vp_set_half(&vp->driver_features, vp->gfselect, val);
		break;
	case VIRTIO_PCI_COMMON_MSIX:
		__atomic_store_n(&vp->msix_config, vp_vector(vp, val),
				 __ATOMIC_RELAXED);
		break;
	case VIRTIO_PCI_COMMON_STATUS:
		vp_set_status(vp, val);
		break;
	case VIRTIO_PCI_COMMON_Q_SELECT:
		vp->queue_select = val;
		break;
	default:
		vp_queue_write(vp, off, val);
	}
}

/* The natural width of each common register (4.1.4.3): 1, 2 or 4. */
static u8 vp_common_width(u32 off)
{
	if (off < VIRTIO_PCI_COMMON_MSIX || off >= VIRTIO_PCI_COMMON_Q_DESCLO)
		return 4;
	if (off == VIRTIO_PCI_COMMON_STATUS ||
	    off == VIRTIO_PCI_COMMON_CFGGENERATION)
		return 1;
	return 2;
}

/*
 * The driver must use each register's natural width; anything else
 * reads 0 and writes nothing, so a misaligned access cannot half-set a
 * register.
 */
static void vp_common_access(struct virtio_pci *vp, struct io_access *a)
{
	u32 off = a->off;

	if ((off & (vp_common_width(off) - 1)) ||
	    a->size != vp_common_width(off)) {
		if (!a->write)
			a->val = 0;
		return;
	}
	if (a->write)
		vp_common_write(vp, off, (u32)a->val);
	else
		a->val = vp_common_read(vp, off);
}

/* Device configuration, 8-byte accesses taken as two 4-byte ones. */
static void vp_device_access(struct virtio_pci *vp, struct io_access *a)
{
	u32 off = a->off - VIRTIO_PCI_DEVICE_OFF;
	u8 n = a->size == 8 ? 4 : a->size, i;

	if (!a->write)
		a->val = 0;
	for (i = 0; i < a->size; i += n) {
		if (off + i + n > vp->dev_cfg_len)
			return;
		if (a->write)
			vp->ops->cfg_write(vp->dev, off + i, n,
					   (u32)(a->val >> (8 * i)));
		else
			a->val |= (u64)vp->ops->cfg_read(vp->dev, off + i, n)
				  << (8 * i);
	}
}

static void vp_notify_access(struct virtio_pci *vp, struct io_access *a)
{
	u64 q = (a->off - VIRTIO_PCI_NOTIFY_OFF) / VIRTIO_PCI_NOTIFY_MULT;

	/* Here only when KVM's ioeventfd did not take it (another width). */
	if (a->write && q < (u64)vp->nr_queues)
		vp_efd_signal(vp->q[q].kick_fd);
	else if (!a->write)
		a->val = 0;
}

static bool vp_in(u64 off, u64 base, u64 len)
{
	return off >= base && off - base < len;
}

static enum io_res vp_bar_access(void *dev, struct io_access *a)
{
	struct virtio_pci *vp = dev;

	if (vp_in(a->off, VIRTIO_PCI_ISR_OFF, 1)) {
		a->val = a->write ? a->val : vp_isr_read(vp);
		return IO_OK;
	}
	pthread_mutex_lock(&vp->lock);
	if (vp_in(a->off, VIRTIO_PCI_COMMON_OFF, VIRTIO_PCI_COMMON_SIZE))
		vp_common_access(vp, a);
	else if (vp_in(a->off, VIRTIO_PCI_DEVICE_OFF, vp->dev_cfg_len))
		vp_device_access(vp, a);
	else if (vp_in(a->off, VIRTIO_PCI_NOTIFY_OFF,
		       (u64)vp->nr_queues * VIRTIO_PCI_NOTIFY_MULT))
		vp_notify_access(vp, a);
	else if (!a->write)
		a->val = 0;
	pthread_mutex_unlock(&vp->lock);
	return IO_OK;
}

/* Each queue's notify address is an ioeventfd on its kick eventfd. */
static void vp_notify_fds(struct virtio_pci *vp, u64 addr, bool assign)
{
	int i, ret;

	for (i = 0; i < vp->nr_queues; i++) {
		ret = env_ioeventfd(vp->env, BUS_MMIO,
				    addr + VIRTIO_PCI_NOTIFY_OFF +
					    i * VIRTIO_PCI_NOTIFY_MULT,
				    2, false, 0, vp->q[i].kick_fd, assign);
		if (ret && assign)
			log_warn_limited(
				"virtio: no ioeventfd for queue %d (%s): kicks take the slow path",
				i, strerror(-ret));
	}
}

static void vp_bar_map(struct pci_dev *pd, int bar, u64 addr, bool mapped)
{
	struct virtio_pci *vp = pd->priv;

	if (bar != VIRTIO_PCI_BAR)
		return;
	pthread_mutex_lock(&vp->lock);
	if (vp->notify_addr)
		vp_notify_fds(vp, vp->notify_addr, false);
	vp->notify_addr = mapped ? addr : 0;
	if (mapped)
		vp_notify_fds(vp, addr, true);
	pthread_mutex_unlock(&vp->lock);
}

/*
 * An unmasked vector is an irqfd on its own MSI route, so a completion is
 * one eventfd write; masked, a completion sets the PBA bit through
 * pci_msix_notify() and pci.c sends it on unmask.
 */
static void vp_msix_update(struct pci_dev *pd, int vec, u64 addr, u32 data,
			   bool masked)
{
	struct virtio_pci *vp = pd->priv;

	if (vec >= vp->nr_vectors)
		return;
	pthread_mutex_lock(&vp->irq_lock);
	pci_irqfd_set(vp->env, &vp->vec[vec], !masked, addr, data);
	pthread_mutex_unlock(&vp->irq_lock);
}

/*
 * VIRTIO_PCI_CAP_PCI_CFG (4.1.4.9): an access to pci_cfg_data is an
 * access of cap.length bytes at cap.offset of BAR cap.bar.
 */
static bool vp_pci_cfg_window(struct virtio_pci *vp, u32 off,
			      struct io_access *a)
{
	u32 cap = vp->pci_cfg_cap;
	u32 len = pci_dev_get_cfg(&vp->pd, cap + CAP_LENGTH, 4);

	if (off != cap + CAP_PCI_CFG_DATA)
		return false;
	if (pci_dev_get_cfg(&vp->pd, cap + CAP_BAR, 1) != VIRTIO_PCI_BAR ||
	    (len != 1 && len != 2 && len != 4))
		return false;
	a->off = pci_dev_get_cfg(&vp->pd, cap + CAP_OFFSET, 4);
	a->size = len;
	return a->off % len == 0 && a->off + len <= VIRTIO_PCI_BAR_SIZE;
}

static void vp_cfg_read(struct pci_dev *pd, u32 off, u8 size, u32 *val)
{
	struct virtio_pci *vp = pd->priv;
	struct io_access a = { .write = false };

	(void)size;
	if (!vp_pci_cfg_window(vp, off, &a))
		return;
	vp_bar_access(vp, &a);
	*val = (u32)a.val;
	pci_dev_set_cfg(pd, off, 4, *val);
}

static void vp_cfg_write(struct pci_dev *pd, u32 off, u8 size, u32 val)
{
	struct virtio_pci *vp = pd->priv;
	struct io_access a = { .write = true, .val = val };

	(void)size;
	if (vp_pci_cfg_window(vp, off, &a))
		vp_bar_access(vp, &a);
}

static const struct pci_ops vp_pci_ops = {
	.cfg_read = vp_cfg_read,
	.cfg_write = vp_cfg_write,
	.bar_map = vp_bar_map,
	.msix_update = vp_msix_update,
};

static void vp_put32(struct virtio_pci *vp, u8 at, u32 v)
{
	memcpy(&vp->pd.cfg[at], &v, sizeof(v));
}

static int vp_cap(struct virtio_pci *vp, u8 type, u8 len, u32 offset,
		  u32 length, u8 *at)
{
	int ret = pci_dev_add_cap(&vp->pd, PCI_CAP_ID_VNDR, len, at);

	if (ret)
		return ret;
	vp->pd.cfg[*at + CAP_LEN] = len;
	vp->pd.cfg[*at + CAP_CFG_TYPE] = type;
	vp->pd.cfg[*at + CAP_BAR] = VIRTIO_PCI_BAR;
	vp_put32(vp, *at + CAP_OFFSET, offset);
	vp_put32(vp, *at + CAP_LENGTH, length);
	return 0;
}

static int vp_caps(struct virtio_pci *vp)
{
	u8 at;
	int ret, i;

	ret = vp_cap(vp, VIRTIO_PCI_CAP_COMMON_CFG, CAP_SIZE,
		     VIRTIO_PCI_COMMON_OFF, VIRTIO_PCI_COMMON_SIZE, &at);
	ret = ret ? ret :
		    vp_cap(vp, VIRTIO_PCI_CAP_ISR_CFG, CAP_SIZE,
			   VIRTIO_PCI_ISR_OFF, 1, &at);
	ret = ret ? ret :
		    vp_cap(vp, VIRTIO_PCI_CAP_DEVICE_CFG, CAP_SIZE,
			   VIRTIO_PCI_DEVICE_OFF, vp->dev_cfg_len, &at);
	ret = ret ? ret :
		    vp_cap(vp, VIRTIO_PCI_CAP_NOTIFY_CFG, CAP_NOTIFY_SIZE,
			   VIRTIO_PCI_NOTIFY_OFF,
			   vp->nr_queues * VIRTIO_PCI_NOTIFY_MULT, &at);
	if (ret)
		return ret;
	vp_put32(vp, at + CAP_NOTIFY_MULT, VIRTIO_PCI_NOTIFY_MULT);
	ret = vp_cap(vp, VIRTIO_PCI_CAP_PCI_CFG, CAP_PCI_CFG_SIZE, 0, 0, &at);
	if (ret)
		return ret;
	vp->pci_cfg_cap = at;
	/* bar, offset, length and the data window are the driver's. */
	vp->pd.wmask[at + CAP_BAR] = 0xff;
	for (i = 0; i < 4; i++) {
		vp->pd.wmask[at + CAP_OFFSET + i] = 0xff;
		vp->pd.wmask[at + CAP_LENGTH + i] = 0xff;
		vp->pd.wmask[at + CAP_PCI_CFG_DATA + i] = 0xff;
	}
	return 0;
}

static int vp_eventfds(struct virtio_pci *vp)
{
	int i;

	for (i = 0; i < vp->nr_queues; i++) {
		vp->q[i].kick_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
		if (vp->q[i].kick_fd < 0)
			return -errno;
		vp_queue_reset(vp, &vp->q[i]);
	}
	for (i = 0; i < vp->nr_vectors; i++) {
		vp->vec[i].efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
		if (vp->vec[i].efd < 0)
			return -errno;
	}
	return 0;
}

int virtio_pci_init(struct virtio_pci *vp, struct dev_env *env, u16 device_id,
		    u32 class_code, u64 features, int nr_queues, u16 max_size,
		    u32 dev_cfg_len, const struct virtio_pci_ops *ops,
		    void *dev)
{
	int ret, i;

	if (nr_queues < 1 || nr_queues > VIRTIO_PCI_MAX_QUEUES ||
	    dev_cfg_len > VIRTIO_PCI_DEVICE_CFG_MAX)
		return -EINVAL;
	vp->env = env;
	vp->ops = ops;
	vp->dev = dev;
	vp->device_features = features | 1ULL << VIRTIO_F_VERSION_1;
	vp->nr_queues = nr_queues;
	vp->nr_vectors = nr_queues + 1;
	vp->max_size = max_size;
	vp->dev_cfg_len = dev_cfg_len;
	vp->msix_config = VIRTIO_MSI_NO_VECTOR;
	pthread_mutex_init(&vp->lock, NULL);
	pthread_mutex_init(&vp->irq_lock, NULL);
	for (i = 0; i < VIRTIO_PCI_MAX_QUEUES; i++)
		vp->q[i].kick_fd = -1;
	for (i = 0; i <= VIRTIO_PCI_MAX_QUEUES; i++) {
		vp->vec[i].efd = -1;
		vp->vec[i].gsi = -1;
	}
	ret = vp_eventfds(vp);
	if (ret)
		return ret;
	pci_dev_init(&vp->pd, VIRTIO_PCI_VENDOR,
		     VIRTIO_PCI_DEVICE_BASE + device_id, class_code, 1);
	/* Revision 1: a modern-only device (4.1.2.1). */
	vp->pd.cfg[PCI_REVISION_ID] = 1;
	pci_dev_set_cfg(&vp->pd, PCI_SUBSYSTEM_VENDOR_ID, 2, VIRTIO_PCI_VENDOR);
	pci_dev_set_cfg(&vp->pd, PCI_SUBSYSTEM_ID, 2, 0x40 + device_id);
	vp->pd.ops = &vp_pci_ops;
	vp->pd.priv = vp;
	vp->pd.bar[VIRTIO_PCI_BAR] = (struct pci_bar){
		.size = VIRTIO_PCI_BAR_SIZE, .fn = vp_bar_access, .dev = vp
	};
	ret = pci_msix_init(&vp->pd, vp->nr_vectors, VIRTIO_PCI_MSIX_BAR, 0,
			    MSIX_PBA_OFF);
	ret = ret ? ret : vp_caps(vp);
	ret = ret ? ret : pci_dev_add(env_pci_bus(env), &vp->pd);
	if (ret)
		log_err("virtio: cannot add the PCI function: %s",
			strerror(-ret));
	return ret;
}

void virtio_pci_exit(struct virtio_pci *vp)
{
	int i;

	if (!vp->ops)
		return; /* virtio_pci_init() never started */
	virtio_pci_stop(vp);
	pthread_mutex_lock(&vp->lock);
	if (vp->notify_addr)
		vp_notify_fds(vp, vp->notify_addr, false);
	vp->notify_addr = 0;
	pthread_mutex_unlock(&vp->lock);
	for (i = 0; i < vp->nr_vectors; i++)
		vp_msix_update(&vp->pd, i, 0, 0, true);
	pci_dev_del(&vp->pd);
	for (i = 0; i < VIRTIO_PCI_MAX_QUEUES; i++)
		if (vp->q[i].kick_fd >= 0)
			close(vp->q[i].kick_fd);
	for (i = 0; i <= VIRTIO_PCI_MAX_QUEUES; i++)
		if (vp->vec[i].efd >= 0)
			close(vp->vec[i].efd);
	pthread_mutex_destroy(&vp->lock);
	pthread_mutex_destroy(&vp->irq_lock);
}
