// SPDX-License-Identifier: Apache-2.0
/*
 * virtio-blk (virtio 1.2 section 5.2) on the modern PCI transport, one PCI
 * function per `disk` option, backed by a raw image file or a block
 * device. Each disk's queue is served by its own I/O thread, woken by the
 * queue's ioeventfd and completing through the vector's irqfd, so a vCPU
 * never waits for the host's I/O. Honest flushes: a FLUSH completes only
 * after fdatasync() succeeded, and once one failed every later one fails
 * too (the kernel may have dropped the dirty pages it could not write, so
 * a later success would be a lie). Quiesce finishes the request in
 * progress, then flushes on a controlled stop and does not on a power cut.
 * [virtio 1.2 5.2; Linux drivers/block/virtio_blk.c;
 *  cloud-hypervisor virtio-devices/src/block.rs]
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/falloc.h>
#include <linux/fs.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include "../../common/conf.h"
#include "../../common/hostproc.h"
#include "../../common/log.h"
#include "../sandbox.h"
#include "virtio_blk_req.h"
#include "virtio_pci.h"

#define VIRTIO_ID_BLOCK 2
#define PCI_CLASS_STORAGE_SCSI 0x010000

/* Feature bits (virtio 1.2 5.2.3). */
#define VIRTIO_BLK_F_SEG_MAX 2
#define VIRTIO_BLK_F_RO 5
#define VIRTIO_BLK_F_BLK_SIZE 6
#define VIRTIO_BLK_F_FLUSH 9
#define VIRTIO_BLK_F_CONFIG_WCE 11
#define VIRTIO_BLK_F_DISCARD 13
#define VIRTIO_BLK_F_WRITE_ZEROES 14

/* struct virtio_blk_config offsets (virtio 1.2 5.2.4). */
#define CFG_CAPACITY 0
#define CFG_SEG_MAX 12
#define CFG_BLK_SIZE 20
#define CFG_WRITEBACK 32
#define CFG_NUM_QUEUES 34
#define CFG_MAX_DISCARD_SECTORS 36
#define CFG_MAX_DISCARD_SEG 40
#define CFG_DISCARD_ALIGNMENT 44
#define CFG_MAX_WZ_SECTORS 48
#define CFG_MAX_WZ_SEG 52
#define CFG_WZ_MAY_UNMAP 56
#define CFG_SIZE 60

#define VBLK_MAX_DISKS 16
#define VBLK_QUEUE_SIZE VIRTQ_MAX_SIZE
#define VBLK_MAX_RANGE_SECTORS 0x3fffffu /* 2 GiB per discard/zero segment */
#define VBLK_DISCARD_ALIGN 8 /* sectors: 4 KiB, the host's block */
#define VBLK_MAX_ERROR_EVENTS 16
#define VBLK_MAX_THREADS 8
#define VBLK_DEFAULT_THREADS 1
/*
 * Requests an I/O thread takes from the ring at once: carried out in
 * order, each handed back when done, but write-through writes made
 * durable together with one fdatasync() at the end.
 */
#define VBLK_BATCH 32

struct vblk_disk {
	struct virtio_pci vp;
	struct dev_env *env;
	int index;
	char id[VIRTIO_BLK_ID_BYTES + 1];
	char path[256];
	int fd;
	bool writethrough_opt; /* cache=writethrough */
	struct blk_limits lim;
	u8 cfg[CFG_SIZE];
	/* The queue: popped and pushed under qlock by the I/O thread. */
	pthread_mutex_t qlock;
	struct virtq vq;
	bool flush_ok; /* VIRTIO_BLK_F_FLUSH negotiated */
	int nr_workers; /* I/O threads serving the queue (iothreads=) */
	struct vblk_worker *worker;
	/*
	 * The I/O threads live as long as the disk: made at create, parked
	 * while the queue is stopped (no thread is created once the threads
	 * run under their allowlists, sandbox.h). Under qlock.
	 */
	int nr_threads; /* created */
	u32 gen; /* vblk_start() calls: each thread serves each start once */
	bool exiting; /* the disk goes: the threads end */
	pthread_cond_t wake; /* gen or exiting changed */
	pthread_cond_t parked; /* a thread is done with its start */
	bool stopping; /* no queue started: from create, and vblk_stop() on */
	bool drain; /* on stopping, carry out what the ring holds first */
	int drained; /* requests carried out after the stop began */
	int stop_fd; /* eventfd: wake the threads to stop */
	/* Counters (any thread, atomics). */
	u64 reads, writes, flushes, errors;
	bool flush_failed;
	int error_events;
};

/* One request of a batch: the chain, what it asks, how it ended. */
struct vblk_slot {
	struct virtq_req vreq;
	struct blk_req breq;
	int status; /* VIRTIO_BLK_S_*, or -EBADMSG: no status byte */
	u32 len; /* bytes written into the guest's buffers */
	bool synced; /* a write-through write waiting for the batch's sync */
};

/* One I/O thread and its batch, too big for its stack. */
struct vblk_worker {
	struct vblk_disk *d;
	int n;
	pthread_t thread;
	bool sandboxed; /* its allowlist is loaded (or none is armed) */
	u32 gen; /* the start it serves or served (disk's qlock) */
	bool busy; /* serving it */
	int nr; /* requests in the batch */
	struct vblk_slot slot[VBLK_BATCH];
};

struct vblk {
	int nr;
	struct vblk_disk *disk[VBLK_MAX_DISKS];
};

static void put_le(u8 *p, u64 v, int n)
{
	int i;

	for (i = 0; i < n; i++)
		p[i] = v >> (8 * i);
}

static void *vblk_gpa(void *ctx, u64 gpa, u64 len)
{
	struct vblk_disk *d = ctx;

	return env_gmem_ptr(d->env, gpa, len);
}

/* An I/O error reaches the guest as IOERR and the host as an event. */
static u8 vblk_error(struct vblk_disk *d, const char *op, int err, u64 sector)
{
	const char *name = strerrorname_np(err);
	struct env_field f[] = {
		{ .key = "disk", .str = d->id },
		{ .key = "op", .str = op },
		{ .key = "error", .str = name ? name : "?" },
		{ .key = "sector", .num = sector, .integer = true },
	};

	__atomic_add_fetch(&d->errors, 1, __ATOMIC_RELAXED);
	if (__atomic_fetch_add(&d->error_events, 1, __ATOMIC_RELAXED) <
	    VBLK_MAX_ERROR_EVENTS)
		env_event_fields(d->env, "disk-io-error", f, 4);
	return VIRTIO_BLK_S_IOERR;
}

/*
 * Without FLUSH the driver cannot ask for durability, so every write is
 * made durable; with it, the `writeback` config field decides, and the
 * driver may change it at any time (Linux: /sys/block/vda/cache_type).
 */
static bool vblk_writethrough(struct vblk_disk *d)
{
	return !d->flush_ok ||
	       !__atomic_load_n(&d->cfg[CFG_WRITEBACK], __ATOMIC_RELAXED);
}

static int vblk_sync(struct vblk_disk *d)
{
	if (__atomic_load_n(&d->flush_failed, __ATOMIC_ACQUIRE))
		return -EIO;
	while (fdatasync(d->fd)) {
		if (errno == EINTR)
			continue;
		/* The kernel may have dropped what it could not write. */
		__atomic_store_n(&d->flush_failed, true, __ATOMIC_RELEASE);
		return -errno;
	}
	return 0;
}

/* preadv/pwritev until the whole request moved; 0 or -errno. */
static int vblk_transfer(struct vblk_disk *d, struct blk_req *r, bool write)
{
	struct iovec iov[VIRTQ_MAX_SIZE], *v = iov;
	int n = r->nr_data, i;
	off_t off = (off_t)(r->sector * VIRTIO_BLK_SECTOR_SIZE);
	ssize_t got;

	for (i = 0; i < n; i++)
		iov[i] = (struct iovec){ r->data[i].host, r->data[i].len };
	while (n > 0) {
		got = write ? pwritev(d->fd, v, n, off) :
			      preadv(d->fd, v, n, off);
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0)
			return -errno;
		if (got == 0)
			return -ENODATA; /* the file shrank under us */
		off += got;
		while (n > 0 && (size_t)got >= v->iov_len) {
			got -= v->iov_len;
			v++;
			n--;
		}
		if (n > 0) {
			v->iov_base = (u8 *)v->iov_base + got;
			v->iov_len -= got;
		}
	}
	return 0;
}

static u8 vblk_read(struct vblk_disk *d, struct blk_req *r, u32 *len)
{
	int ret = vblk_transfer(d, r, false);

	__atomic_add_fetch(&d->reads, 1, __ATOMIC_RELAXED);
	if (ret)
		return vblk_error(d, "read", -ret, r->sector);
	*len += r->data_len;
	return VIRTIO_BLK_S_OK;
}

/* A write; *@sync set when it must be durable before it completes. */
static u8 vblk_write(struct vblk_disk *d, struct blk_req *r, bool *sync)
{
	int ret = vblk_transfer(d, r, true);

	__atomic_add_fetch(&d->writes, 1, __ATOMIC_RELAXED);
	if (ret)
		return vblk_error(d, "write", -ret, r->sector);
	*sync = vblk_writethrough(d);
	return VIRTIO_BLK_S_OK;
}

static u8 vblk_flush(struct vblk_disk *d)
{
	int ret = vblk_sync(d);

	__atomic_add_fetch(&d->flushes, 1, __ATOMIC_RELAXED);
	return ret ? vblk_error(d, "flush", -ret, 0) : VIRTIO_BLK_S_OK;
}

static u8 vblk_get_id(struct vblk_disk *d, struct blk_req *r, u32 *len)
{
	u32 left = r->data_len < VIRTIO_BLK_ID_BYTES ? r->data_len :
						       VIRTIO_BLK_ID_BYTES;
	const char *src = d->id;
	int i;

	/* The id, NUL-padded to 20 bytes, as far as the buffers take it. */
	*len += left;
	for (i = 0; i < r->nr_data && left; i++) {
		u32 n = r->data[i].len < left ? r->data[i].len : left, j;

		for (j = 0; j < n; j++)
			((u8 *)r->data[i].host)[j] = *src ? *src++ : 0;
		left -= n;
	}
	return VIRTIO_BLK_S_OK;
}

/*
 * Zero [off, off+len): deallocate where the guest allows it (reads give
 * zeros after a punched hole), else ZERO_RANGE, else write zeros.
 */
static int vblk_zero(struct vblk_disk *d, off_t off, off_t len, bool unmap)
{
	static const u8 zeros[65536];
	ssize_t n;

	if (unmap &&
	    !fallocate(d->fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, off,
		       len))
		return 0;
	if (!fallocate(d->fd, FALLOC_FL_ZERO_RANGE | FALLOC_FL_KEEP_SIZE, off,
		       len))
		return 0;
	while (len > 0) {
		n = pwrite(d->fd, zeros,
			   len < (off_t)sizeof(zeros) ? (size_t)len :
							sizeof(zeros),
			   off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n < 0 ? -errno : -EIO;
		off += n;
		len -= n;
	}
	return 0;
}

/* DISCARD is a hint: a backend that cannot punch holes ignores it. */
static u8 vblk_ranges(struct vblk_disk *d, struct blk_req *r, bool *sync)
{
	bool discard = r->type == VIRTIO_BLK_T_DISCARD;
	int i, ret = 0;

	for (i = 0; i < r->nr_seg && !ret; i++) {
		off_t off = (off_t)(r->seg[i].sector * VIRTIO_BLK_SECTOR_SIZE);
		off_t len =
			(off_t)r->seg[i].num_sectors * VIRTIO_BLK_SECTOR_SIZE;

		if (!discard)
			ret = vblk_zero(d, off, len, r->seg[i].unmap);
		else if (fallocate(d->fd,
				   FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
				   off, len) &&
			 errno != EOPNOTSUPP)
			ret = -errno;
	}
	if (ret)
		return vblk_error(d, discard ? "discard" : "write-zeroes", -ret,
				  r->seg[i - 1].sector);
	*sync = !discard && vblk_writethrough(d);
	return VIRTIO_BLK_S_OK;
}

/*
 * Carry out a parsed request; @len gets the bytes written to the guest,
 * *@sync whether it waits for the batch's fdatasync() (write-through).
 */
static u8 vblk_execute(struct vblk_disk *d, struct blk_req *r, u32 *len,
		       bool *sync)
{
	switch (r->type) {
	case VIRTIO_BLK_T_IN:
		return vblk_read(d, r, len);
	case VIRTIO_BLK_T_OUT:
		return vblk_write(d, r, sync);
	case VIRTIO_BLK_T_FLUSH:
		return vblk_flush(d);
	case VIRTIO_BLK_T_GET_ID:
		return vblk_get_id(d, r, len);
	case VIRTIO_BLK_T_DISCARD:
	case VIRTIO_BLK_T_WRITE_ZEROES:
		return vblk_ranges(d, r, sync);
	}
	return VIRTIO_BLK_S_UNSUPP;
}

/* Pop up to VBLK_BATCH chains into @w; qlock held. 0 or -EBADMSG. */
static int vblk_pop_batch(struct vblk_disk *d, struct vblk_worker *w,
			  bool stopping)
{
	int ret = 0;

	for (w->nr = 0; w->nr < VBLK_BATCH; w->nr++) {
		ret = virtq_pop(&d->vq, &w->slot[w->nr].vreq);
		if (ret == 0 && !w->nr && !stopping) {
			/* Empty: ask for kicks, then look once more (2.7.10). */
			virtq_enable_kicks(&d->vq, true);
			if (virtq_has_work(&d->vq)) {
				virtq_enable_kicks(&d->vq, false);
				ret = virtq_pop(&d->vq, &w->slot[0].vreq);
			}
		}
		if (ret <= 0)
			break;
	}
	return ret < 0 ? ret : 0;
}

/*
 * Take a batch: > 0 requests in @w, 0 when the ring is empty (kicks
 * re-enabled), -1 to end: asked to stop (at once, or once the ring is
 * empty when draining), or the driver broke the ring (NEEDS_RESET; what
 * was taken before the bad chain is still carried out, then the thread
 * idles until the reset stops it).
 */
static int vblk_take(struct vblk_disk *d, struct vblk_worker *w)
{
	bool stopping;
	int ret;

	pthread_mutex_lock(&d->qlock);
	stopping = d->stopping;
	/* A ring the driver broke (vq.broken) waits for its reset. */
	if ((stopping && !d->drain) || d->vq.broken) {
		pthread_mutex_unlock(&d->qlock);
		return -1;
	}
	ret = vblk_pop_batch(d, w, stopping);
	if (stopping)
		d->drained += w->nr;
	pthread_mutex_unlock(&d->qlock);
	if (ret < 0) {
		/* A guest may do this on purpose, again and again: not all logged. */
		if (__atomic_fetch_add(&d->error_events, 1, __ATOMIC_RELAXED) <
		    VBLK_MAX_ERROR_EVENTS)
			log_warn(
				"disk %s: malformed virtqueue: device needs reset",
				d->id);
		virtio_pci_needs_reset(&d->vp);
	}
	if (!w->nr && (ret < 0 || stopping))
		return -1;
	return w->nr;
}

/* Write-through writes of the batch become durable together, or fail. */
static void vblk_sync_batch(struct vblk_disk *d, struct vblk_worker *w)
{
	int i, ret;

	for (i = 0; i < w->nr && !w->slot[i].synced; i++)
		;
	if (i == w->nr)
		return;
	ret = vblk_sync(d);
	if (!ret)
		return;
	vblk_error(d, "write", -ret, w->slot[i].breq.sector);
	for (; i < w->nr; i++)
		if (w->slot[i].synced)
			w->slot[i].status = VIRTIO_BLK_S_IOERR;
}

/* Hand a request back, interrupting the driver if it wants one. */
static void vblk_complete(struct vblk_disk *d, struct vblk_slot *s)
{
	if (s->status >= 0) {
		*s->breq.status = s->status;
		s->len += 1;
	}
	pthread_mutex_lock(&d->qlock);
	virtq_push(&d->vq, s->vreq.head, s->status >= 0 ? s->len : 0);
	if (virtq_should_notify(&d->vq))
		virtio_pci_notify(&d->vp, 0);
	pthread_mutex_unlock(&d->qlock);
}

/*
 * Carry out the batch in ring order. Each request is handed back as soon
 * as it is done, so the driver refills the ring while the rest are
 * carried out; write-through writes wait for the batch's one sync.
 */
static void vblk_serve(struct vblk_disk *d, struct vblk_worker *w)
{
	struct vblk_slot *s;
	int i;

	for (i = 0; i < w->nr; i++) {
		s = &w->slot[i];
		s->len = 0;
		s->synced = false;
		s->status = blk_req_parse(&s->vreq, &d->lim, &s->breq);
		if (s->status == VIRTIO_BLK_S_OK)
			s->status =
				vblk_execute(d, &s->breq, &s->len, &s->synced);
		if (!s->synced)
			vblk_complete(d, s);
	}
	vblk_sync_batch(d, w);
	for (i = 0; i < w->nr; i++)
		if (w->slot[i].synced)
			vblk_complete(d, &w->slot[i]);
}

/* Sleep until a kick or a stop; true to go on. */
static bool vblk_wait(struct vblk_disk *d)
{
	struct pollfd p[2] = {
		{ .fd = d->vp.q[0].kick_fd, .events = POLLIN },
		{ .fd = d->stop_fd, .events = POLLIN },
	};
	u64 v;

	while (poll(p, 2, -1) < 0)
		if (errno != EINTR)
			return false;
	if (p[1].revents)
		return false;
	if (read(p[0].fd, &v, sizeof(v)) < 0 && errno != EAGAIN)
		return false;
	return true;
}

/*
 * Every I/O thread of a disk sleeps on the queue's kick eventfd and takes
 * a batch from the ring under qlock; several threads carry out their
 * batches in parallel. Completion order does not matter to virtio (a
 * FLUSH covers the writes completed before it was submitted, which are
 * on the host).
 */
static void vblk_serve_queue(struct vblk_disk *d, struct vblk_worker *w)
{
	int ret;

	for (;;) {
		ret = vblk_take(d, w);
		if (ret > 0)
			vblk_serve(d, w);
		else if (ret < 0)
			break;
		else if (!vblk_wait(d) &&
			 !__atomic_load_n(&d->stopping, __ATOMIC_ACQUIRE))
			break; /* poll failed: nothing left to wait with */
	}
	/* Broken ring: idle until stopped, touching nothing of the guest's. */
	while (!__atomic_load_n(&d->stopping, __ATOMIC_ACQUIRE) && vblk_wait(d))
		;
}

/* "vblk-DISK.N", at most 15 characters as a thread name must be. */
static void vblk_thread_name(const struct vblk_disk *d, int n, char name[16])
{
	snprintf(name, 16, "vblk-%u.%u", (u8)d->index, (u8)n);
}

/* Parked until the queue starts, serving until it stops, until the end. */
static void *vblk_thread(void *arg)
{
	struct vblk_worker *w = arg;
	struct vblk_disk *d = w->d;
	char name[16];

	hostproc_thread_sigmask(0); /* signals are the main thread's */
	/* Named before its allowlist goes on: a violation names it. */
	vblk_thread_name(d, w->n, name);
	pthread_setname_np(pthread_self(), name);
	/* Its allowlist first; a thread without it serves nothing. */
	w->sandboxed = !sandbox_enter(SANDBOX_DISK);
	if (!w->sandboxed)
		env_request_stop(d->env, STOP_INTERNAL, "seccomp");
	pthread_mutex_lock(&d->qlock);
	for (;;) {
		while (w->gen == d->gen && !d->exiting)
			pthread_cond_wait(&d->wake, &d->qlock);
		if (d->exiting)
			break;
		/*
		 * Even if the stop came first: a controlled stop carries out
		 * what the ring holds (d->drain), as a fresh thread would.
		 */
		w->gen = d->gen;
		w->busy = true;
		pthread_mutex_unlock(&d->qlock);
		if (w->sandboxed)
			vblk_serve_queue(d, w);
		pthread_mutex_lock(&d->qlock);
		w->busy = false;
		pthread_cond_broadcast(&d->parked);
	}
	pthread_mutex_unlock(&d->qlock);
	return NULL;
}

static bool vblk_has(u64 features, int bit)
{
	return features & (1ULL << bit);
}

static int vblk_start(void *dev, u64 features)
{
	struct vblk_disk *d = dev;
	struct virtio_pci_queue *q = &d->vp.q[0];
	int ret;

	if (!q->enable)
		return 0; /* nothing to serve until a reset re-enables */
	ret = virtq_init(&d->vq, vblk_gpa, d, q->size, q->desc, q->driver,
			 q->device, features);
	if (ret) {
		log_warn_limited(
			"disk %s: the driver's queue is unusable (size %u, desc %#llx)",
			d->id, q->size, (unsigned long long)q->desc);
		return ret;
	}
	d->flush_ok = vblk_has(features, VIRTIO_BLK_F_FLUSH);
	pthread_mutex_lock(&d->qlock);
	__atomic_store_n(&d->stopping, false, __ATOMIC_RELEASE);
	d->gen++;
	pthread_cond_broadcast(&d->wake);
	pthread_mutex_unlock(&d->qlock);
	return 0;
}

/* Every thread served the latest start and waits for the next. qlock. */
static bool vblk_all_parked(struct vblk_disk *d)
{
	int i;

	for (i = 0; i < d->nr_threads; i++)
		if (d->worker[i].gen != d->gen || d->worker[i].busy)
			return false;
	return true;
}

/*
 * Let the request in progress finish (and with d->drain every request the
 * ring holds), then park the threads.
 */
static void vblk_stop(void *dev)
{
	struct vblk_disk *d = dev;
	u64 one = 1;

	pthread_mutex_lock(&d->qlock);
	if (d->stopping) {
		pthread_mutex_unlock(&d->qlock);
		return;
	}
	__atomic_store_n(&d->stopping, true, __ATOMIC_RELEASE);
	pthread_mutex_unlock(&d->qlock);
	if (write(d->stop_fd, &one, sizeof(one)) < 0)
		log_warn_errno("disk %s: cannot wake its I/O thread", d->id);
	pthread_mutex_lock(&d->qlock);
	while (!vblk_all_parked(d))
		pthread_cond_wait(&d->parked, &d->qlock);
	pthread_mutex_unlock(&d->qlock);
	if (read(d->stop_fd, &one, sizeof(one)) < 0)
		one = 0;
}

static u32 vblk_cfg_read(void *dev, u32 off, u8 size)
{
	struct vblk_disk *d = dev;
	u32 v = 0;

	memcpy(&v, &d->cfg[off], size);
	return v;
}

/* Only `writeback` is the driver's (VIRTIO_BLK_F_CONFIG_WCE). */
static void vblk_cfg_write(void *dev, u32 off, u8 size, u32 val)
{
	struct vblk_disk *d = dev;

	if (off == CFG_WRITEBACK && size == 1)
		__atomic_store_n(&d->cfg[CFG_WRITEBACK], !!val,
				 __ATOMIC_RELAXED);
}

static const struct virtio_pci_ops vblk_ops = {
	.cfg_read = vblk_cfg_read,
	.cfg_write = vblk_cfg_write,
	.start = vblk_start,
	.stop = vblk_stop,
};

static void vblk_fill_cfg(struct vblk_disk *d)
{
	put_le(&d->cfg[CFG_CAPACITY], d->lim.capacity, 8);
	put_le(&d->cfg[CFG_SEG_MAX], VBLK_QUEUE_SIZE - 2, 4);
	put_le(&d->cfg[CFG_BLK_SIZE], VIRTIO_BLK_SECTOR_SIZE, 4);
	d->cfg[CFG_WRITEBACK] = !d->writethrough_opt;
	put_le(&d->cfg[CFG_NUM_QUEUES], 1, 2);
	put_le(&d->cfg[CFG_MAX_DISCARD_SECTORS], d->lim.max_discard_sectors, 4);
	put_le(&d->cfg[CFG_MAX_DISCARD_SEG], d->lim.max_discard_seg, 4);
	put_le(&d->cfg[CFG_DISCARD_ALIGNMENT], VBLK_DISCARD_ALIGN, 4);
	put_le(&d->cfg[CFG_MAX_WZ_SECTORS], d->lim.max_write_zeroes_sectors, 4);
	put_le(&d->cfg[CFG_MAX_WZ_SEG], d->lim.max_write_zeroes_seg, 4);
	d->cfg[CFG_WZ_MAY_UNMAP] = d->lim.write_zeroes_may_unmap;
}

static u64 vblk_features(const struct vblk_disk *d)
{
	u64 f = 1ULL << VIRTIO_BLK_F_SEG_MAX | 1ULL << VIRTIO_BLK_F_BLK_SIZE |
		1ULL << VIRTIO_BLK_F_FLUSH | 1ULL << VIRTIO_BLK_F_CONFIG_WCE |
		1ULL << VIRTIO_RING_F_INDIRECT_DESC |
		1ULL << VIRTIO_RING_F_EVENT_IDX;

	if (d->lim.readonly)
		return f | 1ULL << VIRTIO_BLK_F_RO;
	return f | 1ULL << VIRTIO_BLK_F_DISCARD |
	       1ULL << VIRTIO_BLK_F_WRITE_ZEROES;
}

/* The image's size in bytes: a regular file's, or a block device's. */
static int vblk_size(struct vblk_disk *d, u64 *size)
{
	struct stat st;

	if (fstat(d->fd, &st))
		return -errno;
	if (S_ISBLK(st.st_mode))
		return ioctl(d->fd, BLKGETSIZE64, size) ? -errno : 0;
	if (!S_ISREG(st.st_mode)) {
		log_err("disk %s: %s is not a regular file or block device",
			d->id, d->path);
		return -EINVAL;
	}
	*size = st.st_size;
	return 0;
}

static int vblk_open(struct vblk_disk *d)
{
	u64 size;
	int ret;

	d->fd = open(d->path,
		     (d->lim.readonly ? O_RDONLY : O_RDWR) | O_CLOEXEC);
	if (d->fd < 0) {
		log_err("disk %s: cannot open %s: %s", d->id, d->path,
			strerror(errno));
		return -errno;
	}
	/* Two writers on one image corrupt it: refuse, as QEMU does. */
	if (flock(d->fd, (d->lim.readonly ? LOCK_SH : LOCK_EX) | LOCK_NB)) {
		ret = -errno;
		log_err("disk %s: %s is in use (locked): by another process, or given twice",
			d->id, d->path);
		return ret;
	}
	ret = vblk_size(d, &size);
	if (ret)
		return ret;
	if (size < VIRTIO_BLK_SECTOR_SIZE) {
		log_err("disk %s: %s is smaller than one 512-byte sector",
			d->id, d->path);
		return -EINVAL;
	}
	if (size % VIRTIO_BLK_SECTOR_SIZE)
		log_warn(
			"disk %s: %s: the last %llu bytes (not a whole sector) are not visible to the guest",
			d->id, d->path,
			(unsigned long long)(size % VIRTIO_BLK_SECTOR_SIZE));
	d->lim.capacity = size / VIRTIO_BLK_SECTOR_SIZE;
	return 0;
}

static void vblk_limits(struct vblk_disk *d)
{
	d->lim.discard = d->lim.write_zeroes = !d->lim.readonly;
	if (d->lim.readonly)
		return;
	d->lim.max_discard_sectors = VBLK_MAX_RANGE_SECTORS;
	d->lim.max_discard_seg = BLK_MAX_SEGS;
	d->lim.max_write_zeroes_sectors = VBLK_MAX_RANGE_SECTORS;
	d->lim.max_write_zeroes_seg = BLK_MAX_SEGS;
	d->lim.write_zeroes_may_unmap = true;
}

/* One `disk` option: path=P[,readonly][,id=ID][,cache=...]. */
static int vblk_parse(struct vblk_disk *d, const struct conf_value *v)
{
	char word[16], c;

	if (conf_sub_get(v->value, "path", d->path, sizeof(d->path))) {
		log_err("%s: disk: needs path=FILE (at most %zu bytes)",
			v->origin, sizeof(d->path) - 1);
		return -EINVAL;
	}
	if (!conf_sub_get(v->value, "readonly", word, sizeof(word)))
		d->lim.readonly = !strcmp(word, "on");
	if (!conf_sub_get(v->value, "cache", word, sizeof(word)))
		d->writethrough_opt = !strcmp(word, "writethrough");
	d->nr_workers = VBLK_DEFAULT_THREADS;
	if (!conf_sub_get(v->value, "iothreads", word, sizeof(word)) &&
	    (sscanf(word, "%d%c", &d->nr_workers, &c) != 1 ||
	     d->nr_workers < 1 || d->nr_workers > VBLK_MAX_THREADS)) {
		log_err("%s: disk: iothreads is 1..%d", v->origin,
			VBLK_MAX_THREADS);
		return -EINVAL;
	}
	if (conf_sub_get(v->value, "id", d->id, sizeof(d->id)) == -E2BIG) {
		log_err("%s: disk: id is at most %d bytes (the guest reads 20)",
			v->origin, VIRTIO_BLK_ID_BYTES);
		return -EINVAL;
	}
	if (!d->id[0])
		snprintf(d->id, sizeof(d->id), "disk%d", d->index);
	return 0;
}

static int vblk_workers(struct vblk_disk *d)
{
	int i;

	d->worker = calloc(d->nr_workers, sizeof(*d->worker));
	if (!d->worker)
		return -ENOMEM;
	for (i = 0; i < d->nr_workers; i++) {
		d->worker[i].d = d;
		d->worker[i].n = i;
	}
	return 0;
}

/* The parked I/O threads, named here so that they are by the return. */
static int vblk_threads(struct vblk_disk *d)
{
	char name[16];
	int i, ret;

	for (i = 0; i < d->nr_workers; i++) {
		ret = pthread_create(&d->worker[i].thread, NULL, vblk_thread,
				     &d->worker[i]);
		if (ret) {
			log_err("disk %s: cannot create its I/O thread: %s",
				d->id, strerror(ret));
			return -ret;
		}
		/* Also here: named by the time run() returns. */
		vblk_thread_name(d, i, name);
		pthread_setname_np(d->worker[i].thread, name);
		d->nr_threads++;
	}
	return 0;
}

static void vblk_threads_end(struct vblk_disk *d)
{
	int i;

	pthread_mutex_lock(&d->qlock);
	d->exiting = true;
	pthread_cond_broadcast(&d->wake);
	pthread_mutex_unlock(&d->qlock);
	for (i = 0; i < d->nr_threads; i++)
		pthread_join(d->worker[i].thread, NULL);
	d->nr_threads = 0;
}

static void vblk_disk_free(struct vblk_disk *d)
{
	virtio_pci_exit(&d->vp);
	vblk_threads_end(d);
	free(d->worker);
	if (d->fd >= 0)
		close(d->fd);
	if (d->stop_fd >= 0)
		close(d->stop_fd);
	pthread_cond_destroy(&d->wake);
	pthread_cond_destroy(&d->parked);
	pthread_mutex_destroy(&d->qlock);
	free(d);
}

static int vblk_disk_create(struct dev_env *env, const struct conf_value *v,
			    int index, struct vblk_disk **out)
{
	struct vblk_disk *d = calloc(1, sizeof(*d));
	int ret;

	if (!d)
		return -ENOMEM;
	d->env = env;
	d->index = index;
	d->fd = -1;
	d->stopping = true; /* until the guest starts the queue */
	pthread_mutex_init(&d->qlock, NULL);
	pthread_cond_init(&d->wake, NULL);
	pthread_cond_init(&d->parked, NULL);
	d->stop_fd = eventfd(0, EFD_CLOEXEC);
	ret = d->stop_fd < 0 ? -errno : vblk_parse(d, v);
	ret = ret ? ret : vblk_open(d);
	ret = ret ? ret : vblk_workers(d);
	if (!ret) {
		vblk_limits(d);
		vblk_fill_cfg(d);
		ret = virtio_pci_init(&d->vp, env, VIRTIO_ID_BLOCK,
				      PCI_CLASS_STORAGE_SCSI, vblk_features(d),
				      1, VBLK_QUEUE_SIZE, CFG_SIZE, &vblk_ops,
				      d);
	}
	if (ret) {
		vblk_disk_free(d);
		return ret;
	}
	log_dbg("disk %s: %s, %llu sectors%s", d->id, d->path,
		(unsigned long long)d->lim.capacity,
		d->lim.readonly ? ", read-only" : "");
	*out = d;
	return 0;
}

static void vblk_destroy(void *dev)
{
	struct vblk *b = dev;
	int i;

	for (i = 0; i < b->nr; i++)
		vblk_disk_free(b->disk[i]);
	free(b);
}

static int vblk_create(struct dev_env *env, void **dev)
{
	const struct conf_value *v = NULL;
	struct vblk *b;
	int ret;

	*dev = NULL;
	if (!conf_find_next(env_conf(env), "disk", NULL))
		return 0;
	b = calloc(1, sizeof(*b));
	if (!b)
		return -ENOMEM;
	while ((v = conf_find_next(env_conf(env), "disk", v))) {
		if (b->nr == VBLK_MAX_DISKS) {
			log_err("%s: disk: at most %d disks", v->origin,
				VBLK_MAX_DISKS);
			vblk_destroy(b);
			return -E2BIG;
		}
		ret = vblk_disk_create(env, v, b->nr, &b->disk[b->nr]);
		if (ret) {
			vblk_destroy(b);
			return ret;
		}
		b->nr++;
	}
	*dev = b;
	return 0;
}

/* The disks' I/O threads, parked until the guest starts a queue. */
static int vblk_run(void *dev)
{
	struct vblk *b = dev;
	int i, ret = 0;

	for (i = 0; i < b->nr && !ret; i++)
		ret = vblk_threads(b->disk[i]);
	return ret;
}

/*
 * No request is half-written: a power cut lets the one in progress
 * finish and drops the rest of the ring, as a disk losing power drops
 * what it had not started; a controlled stop carries out every request
 * the guest submitted and then makes the image durable. What the guest
 * flushed is on disk either way.
 */
static void vblk_quiesce(void *dev, enum stop_reason why)
{
	struct vblk *b = dev;
	int i, ret;

	for (i = 0; i < b->nr; i++) {
		struct vblk_disk *d = b->disk[i];
		bool controlled = why != STOP_POWER_CUT;
		struct env_field f[] = {
			{ .key = "disk", .str = d->id },
			{ .key = "flushed", .str = "no" },
			{ .key = "drained", .integer = true },
		};

		d->drain = controlled;
		virtio_pci_stop(&d->vp);
		f[2].num = d->drained;
		if (controlled && !d->lim.readonly) {
			ret = vblk_sync(d);
			f[1].str = ret ? "failed" : "yes";
			if (ret)
				log_err("disk %s: the final flush failed: %s",
					d->id, strerror(-ret));
		}
		env_event_fields(d->env, "disk-quiesced", f, 3);
	}
}

static u64 vblk_count(u64 *c)
{
	return __atomic_load_n(c, __ATOMIC_RELAXED);
}

/* `vesselctl status`: each disk, its image and what the guest did with it. */
static void vblk_status(void *dev, status_fn add, void *ctx)
{
	struct vblk *b = dev;
	int i;

	for (i = 0; i < b->nr; i++) {
		struct vblk_disk *d = b->disk[i];
		struct env_field f[] = {
			{ .key = "id", .str = d->id },
			{ .key = "path", .str = d->path },
			{ .key = "readonly",
			  .str = d->lim.readonly ? "yes" : "no" },
			{ .key = "sectors",
			  .num = d->lim.capacity,
			  .integer = true },
			{ .key = "reads",
			  .num = vblk_count(&d->reads),
			  .integer = true },
			{ .key = "writes",
			  .num = vblk_count(&d->writes),
			  .integer = true },
			{ .key = "flushes",
			  .num = vblk_count(&d->flushes),
			  .integer = true },
			{ .key = "errors",
			  .num = vblk_count(&d->errors),
			  .integer = true },
			{ .key = "flush_failed",
			  .str = __atomic_load_n(&d->flush_failed,
						 __ATOMIC_RELAXED) ?
					 "yes" :
					 "no" },
			{ .key = "needs_reset",
			  .str = __atomic_load_n(&d->vp.status,
						 __ATOMIC_RELAXED) &
						 VIRTIO_STATUS_NEEDS_RESET ?
					 "yes" :
					 "no" },
		};

		add(ctx, "disks", f, sizeof(f) / sizeof(f[0]));
	}
}

VESSEL_DEVICE(dev_virtio_blk) = {
	.name = "virtio-blk",
	.prio = 40,
	.create = vblk_create,
	.quiesce = vblk_quiesce,
	.destroy = vblk_destroy,
	.run = vblk_run,
	.status = vblk_status,
};
