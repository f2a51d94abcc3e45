// SPDX-License-Identifier: Apache-2.0
/*
 * The QNX hypervisor's shared memory device ("vdev shmem"), as QNX's
 * <guest_shm.h> defines it and the guest drivers written for it (QNX's
 * own, Qualcomm's hab, ACRN's ivshm guest_shm front end) use it:
 * PCI 1C05:0001.
 *
 * BAR0 is the factory page (struct guest_shm_factory): a guest writes a
 * region name, then the size in 4 KiB pages, and the device creates the
 * region or attaches to it; `status` says how that went and `shmem` where
 * the new connection's control page is. Writing `find` attaches only to
 * an existing region. BAR2 is a window with one 64 MiB slot per
 * connection: the control page (struct guest_shm_control: status, idx,
 * notify, detach), then the region's pages as guest RAM. A write of a
 * peer bitset to `notify` rings those peers (~0: every other one); a
 * connection's status tells which peers rang it since it was last read,
 * and which are attached; the INTx line is up while a connection has an
 * unread ring or attach/detach change.
 *
 * Regions are host objects (src/shm/, docs/shmem.md) that other guests
 * and host programs attach to by name, subject to this guest's
 * allow/deny patterns.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../common/conf.h"
#include "../../common/log.h"
#include "../../shm/shm.h"
#include "pci.h"
#include "shmem.h"

#define QNX_VENDOR 0x1c05
#define QNX_DEVICE 0x0001
#define QNX_CLASS 0x058000 /* memory controller, other */

#define QNX_SIGNATURE 0x4d534732474d5651ULL
#define QNX_PAGE 4096ULL
#define QNX_FACTORY_SIZE QNX_PAGE
#define QNX_CONNS 16
#define QNX_SLOT (64ULL << 20)
#define QNX_WINDOW (QNX_CONNS * QNX_SLOT)
#define QNX_MAX_PAGES ((QNX_SLOT - QNX_PAGE) / QNX_PAGE)

/* struct guest_shm_factory */
#define F_SIGNATURE 0x00
#define F_SHMEM 0x08
#define F_VECTOR 0x10
#define F_STATUS 0x14
#define F_SIZE 0x18
#define F_NAME 0x1c
#define F_FIND (F_NAME + SHMEM_NAME_MAX)
#define F_END (F_FIND + 4)

/* struct guest_shm_control */
#define C_STATUS 0x0
#define C_IDX 0x4
#define C_NOTIFY 0x8
#define C_DETACH 0xc

enum gss {
	GSS_OK,
	GSS_UNKNOWN_FAILURE,
	GSS_NOMEM,
	GSS_CLIENT_MAX,
	GSS_ILLEGAL_NAME,
	GSS_NO_PERMISSION,
	GSS_DOES_NOT_EXIST,
};

struct qnx_conn {
	struct shm_region *r; /* NULL: slot free */
	u64 pages;
	bool mapped; /* its data is a memslot at the window */
	u64 mapped_at;
	u32 pending; /* peers that rang, unread */
	u32 peers; /* attached peers as last reported */
	bool changed; /* attach/detach since the last status read */
};

struct shmem_qnx {
	struct pci_dev pci;
	struct dev_env *env;
	pthread_mutex_t lock;
	struct shmem_conf conf;
	struct shm_region *precreated; /* `name=` held open from start */
	char name[SHMEM_NAME_MAX]; /* factory name register */
	int last; /* connection made by the last size/find, or -1 */
	u32 status, size;
	struct qnx_conn conn[QNX_CONNS];
	u64 window; /* BAR2 while decoding, else 0 */
};

static u64 qnx_window_base(struct shmem_qnx *q)
{
	u64 lo = pci_dev_get_cfg(&q->pci, PCI_BASE_ADDRESS_0 + 8, 4);
	u64 hi = pci_dev_get_cfg(&q->pci, PCI_BASE_ADDRESS_0 + 12, 4);

	return (hi << 32 | lo) & ~0xfULL;
}

/* INTx follows the unread rings and attach changes of all connections. */
static void qnx_update_intx(struct shmem_qnx *q)
{
	bool level = false;
	int i;

	for (i = 0; i < QNX_CONNS; i++)
		level |= q->conn[i].r &&
			 (q->conn[i].pending || q->conn[i].changed);
	pci_dev_set_intx(&q->pci, level);
}

static void qnx_map(struct shmem_qnx *q, struct qnx_conn *c, int slot)
{
	u64 gpa = q->window + slot * QNX_SLOT + QNX_PAGE;
	int ret;

	if (c->mapped || !q->window)
		return;
	ret = env_map_ram(q->env, gpa, c->pages * QNX_PAGE, shm_data(c->r));
	if (ret) {
		log_warn_limited(
			"shmem qnx: cannot map region '%s' at %#llx: %s",
			shm_name(c->r), (unsigned long long)gpa,
			strerror(-ret));
		return;
	}
	c->mapped = true;
	c->mapped_at = gpa;
}

static void qnx_unmap(struct shmem_qnx *q, struct qnx_conn *c)
{
	if (!c->mapped)
		return;
	env_unmap_ram(q->env, c->mapped_at);
	c->mapped = false;
}

static void qnx_on_doorbell(void *dev, int fd);
static void qnx_on_listen(void *dev, int fd);

static void qnx_conn_close(struct shmem_qnx *q, struct qnx_conn *c)
{
	if (!c->r)
		return;
	qnx_unmap(q, c);
	env_unwatch_fd(q->env, shm_doorbell_fd(c->r));
	env_unwatch_fd(q->env, shm_listen_fd(c->r));
	shm_close_region(c->r);
	memset(c, 0, sizeof(*c));
}

/*
 * A connection nobody watches would never hear a ring, and its peers
 * could not fetch its doorbell: when the event loop is full, refuse it.
 */
static int qnx_conn_watch(struct shmem_qnx *q, struct qnx_conn *c)
{
	int ret =
		env_watch_fd(q->env, shm_doorbell_fd(c->r), qnx_on_doorbell, q);

	if (ret)
		return ret;
	ret = env_watch_fd(q->env, shm_listen_fd(c->r), qnx_on_listen, q);
	if (ret)
		env_unwatch_fd(q->env, shm_doorbell_fd(c->r));
	return ret;
}

static enum gss qnx_gss(int err)
{
	switch (err) {
	case -EINVAL:
	case -ENAMETOOLONG:
		return GSS_ILLEGAL_NAME;
	case -EUSERS:
		return GSS_CLIENT_MAX;
	case -ENOSPC: /* the region's memory could not be reserved */
	case -ENOMEM:
	case -EFBIG:
		return GSS_NOMEM;
	case -ENOENT:
		return GSS_DOES_NOT_EXIST;
	case -EACCES:
	case -EPERM:
		return GSS_NO_PERMISSION;
	}
	return GSS_UNKNOWN_FAILURE;
}

/* The factory name register as a C string, or NULL when not terminated. */
static const char *qnx_name(struct shmem_qnx *q)
{
	return memchr(q->name, '\0', sizeof(q->name)) ? q->name : NULL;
}

/* How other peers see this guest in `vesselctl shmem list`. */
static const char *qnx_label(struct shmem_qnx *q)
{
	const char *name = conf_get(env_conf(q->env), "name");

	return name ? name : "vessel";
}

/* A size or find write: attach (creating when @create) a connection. */
static enum gss qnx_connect(struct shmem_qnx *q, u32 pages, bool create)
{
	const char *name = qnx_name(q);
	char host[SHMEM_NAME_MAX];
	struct qnx_conn *c = NULL;
	enum gss gss = GSS_OK;
	int i, ret;

	if (!name || shm_name_check(name))
		return GSS_ILLEGAL_NAME;
	if (!shm_acl_allows(q->conf.allow, q->conf.deny, name))
		return GSS_NO_PERMISSION;
	if (create && (!pages || pages > QNX_MAX_PAGES))
		return GSS_NOMEM;
	for (i = 0; i < QNX_CONNS && !c; i++)
		if (!q->conn[i].r)
			c = &q->conn[i];
	if (!c)
		return GSS_CLIENT_MAX;
	shmem_host_name(q->env, name, host, sizeof(host));
	ret = shm_open_region(host, (u64)pages * QNX_PAGE,
			      create ? SHM_CREATE : SHM_EXIST, "guest",
			      qnx_label(q), &c->r);
	if (ret)
		return qnx_gss(ret);
	c->pages = shm_size(c->r) / QNX_PAGE;
	if (c->pages > QNX_MAX_PAGES)
		gss = GSS_NOMEM;
	else if (qnx_conn_watch(q, c))
		gss = GSS_UNKNOWN_FAILURE;
	if (gss != GSS_OK) {
		shm_close_region(c->r);
		memset(c, 0, sizeof(*c));
		return gss;
	}
	c->peers = shm_peers(c->r);
	i = c - q->conn;
	q->last = i;
	q->size = c->pages;
	qnx_map(q, c, i);
	return GSS_OK;
}

/* --- the factory page (BAR0) --- */

/* Register images are little-endian, as the x86 host and guest are. */
static void put32(u8 *p, u32 v)
{
	memcpy(p, &v, sizeof(v));
}

static void put64(u8 *p, u64 v)
{
	memcpy(p, &v, sizeof(v));
}

static u64 qnx_factory_read(struct shmem_qnx *q, u64 off, u8 size)
{
	u8 regs[F_END];
	u64 val = 0;

	memset(regs, 0, sizeof(regs));
	put64(regs + F_SIGNATURE, QNX_SIGNATURE);
	/* Where the connection is now: the OS may have moved BAR2 since. */
	if (q->last >= 0)
		put64(regs + F_SHMEM,
		      qnx_window_base(q) + (u64)q->last * QNX_SLOT);
	put32(regs + F_VECTOR, pci_dev_get_cfg(&q->pci, PCI_INTERRUPT_LINE, 1));
	put32(regs + F_STATUS, q->status);
	put32(regs + F_SIZE, q->size);
	memcpy(regs + F_NAME, q->name, SHMEM_NAME_MAX);
	if (off + size <= F_END)
		memcpy(&val, regs + off, size);
	return val;
}

static void qnx_factory_write(struct shmem_qnx *q, u64 off, u8 size, u64 val)
{
	if (off >= F_NAME && off + size <= F_NAME + SHMEM_NAME_MAX) {
		memcpy(q->name + (off - F_NAME), &val, size);
		return;
	}
	if (size != 4) {
		log_warn_once(
			"shmem qnx: ignoring %u-byte factory write at +0x%llx",
			size, (unsigned long long)off);
		return;
	}
	if (off == F_SIZE)
		q->status = qnx_connect(q, (u32)val, true);
	else if (off == F_FIND)
		q->status = qnx_connect(q, 0, false);
}

static enum io_res qnx_factory_io(void *dev, struct io_access *a)
{
	struct shmem_qnx *q = dev;

	if (a->off >= QNX_FACTORY_SIZE)
		return IO_UNHANDLED;
	pthread_mutex_lock(&q->lock);
	if (a->write)
		qnx_factory_write(q, a->off, a->size, a->val);
	else
		a->val = qnx_factory_read(q, a->off, a->size);
	pthread_mutex_unlock(&q->lock);
	return IO_OK;
}

/* --- the control pages (BAR2) --- */

/* What a read of @size bytes where nothing decodes returns. */
static u64 qnx_ones(u8 size)
{
	return size >= 8 ? ~0ULL : (1ULL << (8 * size)) - 1;
}

static u32 qnx_read_status(struct shmem_qnx *q, struct qnx_conn *c)
{
	u32 v;

	c->pending |= shm_take_pending(c->r);
	c->peers = shm_peers(c->r);
	v = (c->pending & 0xffff) | c->peers << 16;
	c->pending = 0;
	c->changed = false;
	qnx_update_intx(q);
	return v;
}

static void qnx_notify(struct shmem_qnx *q, struct qnx_conn *c, u32 mask)
{
	int me = shm_peer_id(c->r), p;

	(void)q;
	if (mask == ~0u) {
		shm_ring_all(c->r, ~0u);
		return;
	}
	for (p = 0; p < 16; p++)
		if (mask & (1u << p) && p != me)
			shm_ring(c->r, p);
}

static void qnx_control(struct shmem_qnx *q, int slot, struct io_access *a)
{
	struct qnx_conn *c = &q->conn[slot];

	if (!c->r || a->size != 4) {
		if (!a->write)
			a->val = qnx_ones(a->size);
		return;
	}
	switch (a->off % QNX_SLOT) {
	case C_STATUS:
		if (!a->write)
			a->val = qnx_read_status(q, c);
		break;
	case C_IDX:
		if (!a->write)
			a->val = shm_peer_id(c->r);
		break;
	case C_NOTIFY:
		if (a->write)
			qnx_notify(q, c, (u32)a->val);
		else
			a->val = 0;
		break;
	case C_DETACH:
		if (a->write) {
			qnx_conn_close(q, c);
			qnx_update_intx(q);
		} else {
			a->val = 0;
		}
		break;
	default:
		if (!a->write)
			a->val = 0;
	}
}

static enum io_res qnx_window_io(void *dev, struct io_access *a)
{
	struct shmem_qnx *q = dev;
	int slot = a->off / QNX_SLOT;

	if (a->off >= QNX_WINDOW)
		return IO_UNHANDLED;
	/* Data pages are RAM; an exit there means the slot is not mapped. */
	if (a->off % QNX_SLOT >= QNX_PAGE) {
		if (!a->write)
			a->val = qnx_ones(a->size);
		return IO_OK;
	}
	pthread_mutex_lock(&q->lock);
	qnx_control(q, slot, a);
	pthread_mutex_unlock(&q->lock);
	return IO_OK;
}

/* --- host side: rings from peers, fd requests, BAR moves --- */

static void qnx_on_doorbell(void *dev, int fd)
{
	struct shmem_qnx *q = dev;
	u64 v;
	int i;

	if (read(fd, &v, sizeof(v)) < 0)
		return;
	pthread_mutex_lock(&q->lock);
	for (i = 0; i < QNX_CONNS; i++) {
		struct qnx_conn *c = &q->conn[i];
		u32 peers;

		if (!c->r || shm_doorbell_fd(c->r) != fd)
			continue;
		c->pending |= shm_take_pending(c->r);
		peers = shm_peers(c->r);
		if (peers != c->peers)
			c->changed = true;
		c->peers = peers;
	}
	qnx_update_intx(q);
	pthread_mutex_unlock(&q->lock);
}

static void qnx_on_listen(void *dev, int fd)
{
	struct shmem_qnx *q = dev;
	int i;

	pthread_mutex_lock(&q->lock);
	for (i = 0; i < QNX_CONNS; i++)
		if (q->conn[i].r && shm_listen_fd(q->conn[i].r) == fd)
			shm_serve(q->conn[i].r);
	pthread_mutex_unlock(&q->lock);
}

/* BAR2 moved or (stopped) decoding: the data memslots follow it. */
static void qnx_bar_map(struct pci_dev *pd, int bar, u64 addr, bool mapped)
{
	struct shmem_qnx *q = pd->priv;
	int i;

	if (bar != 2)
		return;
	pthread_mutex_lock(&q->lock);
	for (i = 0; i < QNX_CONNS; i++)
		qnx_unmap(q, &q->conn[i]);
	q->window = mapped ? addr : 0;
	for (i = 0; i < QNX_CONNS; i++)
		if (q->conn[i].r)
			qnx_map(q, &q->conn[i], i);
	pthread_mutex_unlock(&q->lock);
}

static const struct pci_ops qnx_pci_ops = {
	.bar_map = qnx_bar_map,
};

static void qnx_quiesce(void *dev, enum stop_reason why)
{
	struct shmem_qnx *q = dev;
	int i;

	(void)why;
	pthread_mutex_lock(&q->lock);
	for (i = 0; i < QNX_CONNS; i++)
		qnx_conn_close(q, &q->conn[i]);
	if (q->precreated)
		shm_close_region(q->precreated);
	q->precreated = NULL;
	pthread_mutex_unlock(&q->lock);
}

/*
 * `name=N,size=S` makes the region exist (and its memory reserved) from
 * the start, whoever attaches first; vessel holds it until it exits.
 */
static int qnx_precreate(struct shmem_qnx *q)
{
	char host[SHMEM_NAME_MAX];
	int ret;

	if (!q->conf.name[0])
		return 0;
	if (shm_name_check(q->conf.name)) {
		log_err("shmem: '%s' is not a region name", q->conf.name);
		return -EINVAL;
	}
	shmem_host_name(q->env, q->conf.name, host, sizeof(host));
	ret = shm_open_region(host, q->conf.size ? q->conf.size : QNX_PAGE,
			      SHM_CREATE, "host", qnx_label(q), &q->precreated);
	if (ret)
		log_err("shmem: cannot create region '%s': %s", host,
			strerror(-ret));
	return ret;
}

static int qnx_create(struct dev_env *env, void **dev)
{
	struct shmem_qnx *q = calloc(1, sizeof(*q));
	int ret;

	*dev = NULL;
	if (!q)
		return -ENOMEM;
	ret = shmem_conf_read(env, "qnx", &q->conf);
	if (ret <= 0) {
		free(q);
		return ret;
	}
	q->env = env;
	q->last = -1;
	pthread_mutex_init(&q->lock, NULL);
	pci_dev_init(&q->pci, QNX_VENDOR, QNX_DEVICE, QNX_CLASS, 1);
	q->pci.ops = &qnx_pci_ops;
	q->pci.priv = q;
	q->pci.bar[0] = (struct pci_bar){ .size = QNX_FACTORY_SIZE,
					  .fn = qnx_factory_io,
					  .dev = q };
	q->pci.bar[2] = (struct pci_bar){ .size = QNX_WINDOW,
					  .mem64 = true,
					  .prefetch = true,
					  .fn = qnx_window_io,
					  .dev = q };
	/* lifecycle_peer.c holds the lifecycle region for vessel itself. */
	ret = strcmp(q->conf.name, SHMEM_LIFECYCLE) ? qnx_precreate(q) : 0;
	if (!ret)
		ret = pci_dev_add(env_pci_bus(env), &q->pci);
	if (ret) {
		if (q->precreated)
			shm_close_region(q->precreated);
		pthread_mutex_destroy(&q->lock);
		free(q);
		return ret;
	}
	*dev = q;
	return 0;
}

static void qnx_destroy(void *dev)
{
	struct shmem_qnx *q = dev;

	qnx_quiesce(q, STOP_NONE);
	pci_dev_del(&q->pci);
	pthread_mutex_destroy(&q->lock);
	free(q);
}

VESSEL_DEVICE(dev_shmem_qnx) = {
	.name = "shmem-qnx",
	.prio = 30,
	.create = qnx_create,
	.quiesce = qnx_quiesce,
	.destroy = qnx_destroy,
};
