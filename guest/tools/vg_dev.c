// SPDX-License-Identifier: Apache-2.0
/*
 * The shmem device from a Linux guest's userspace, with no driver: find
 * it in sysfs, enable it (the `enable` file sets the command register's
 * memory bit, which no driver did), and map its BARs through the
 * `resourceN` files.
 *
 * QNX model (1c05:0001; QNX guest_shm.h): BAR0 is the factory page.
 * Writing the region's name and then its size in pages creates or
 * attaches a connection; `shmem` then holds the guest-physical address
 * of the connection's control page, inside BAR2, and the region's data
 * follows that page. ivshmem (1af4:1110 rev 1; QEMU docs/specs/
 * ivshmem-spec.rst): BAR0 registers, BAR2 the region, one region per
 * device, its name in a vendor-specific capability.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <unistd.h>

#include "vg.h"

#define PAGE 4096u

/* QNX guest_shm.h: struct guest_shm_factory and guest_shm_control. */
#define GUEST_SHM_SIGNATURE 0x4d534732474d5651ull
#define FACTORY_SIGNATURE 0x00 /* u64 */
#define FACTORY_SHMEM 0x08 /* u64: the control page's guest-physical address */
#define FACTORY_VECTOR 0x10 /* u32 */
#define FACTORY_STATUS 0x14 /* u32: enum guest_shm_status */
#define FACTORY_SIZE 0x18 /* u32: pages; a write creates or attaches */
#define FACTORY_NAME 0x1c /* char[32] */
#define CTRL_STATUS 0 /* u32 index: low 16 who notified me, high 16 attached */
#define CTRL_IDX 1
#define CTRL_NOTIFY 2 /* a bitset of peers to ring */
#define CTRL_DETACH 3

/* ivshmem BAR0 registers. */
#define IVSHMEM_IVPOSITION 0x08
#define IVSHMEM_DOORBELL 0x0c /* peer << 16 | vector */

#define VENDOR_QNX 0x1c05
#define DEVICE_QNX_SHM 0x0001
#define VENDOR_REDHAT 0x1af4
#define DEVICE_IVSHMEM 0x1110

static const char *const gss_names[] = {
	"GSS_OK",
	"GSS_UNKNOWN_FAILURE",
	"GSS_NOMEM",
	"GSS_CLIENT_MAX",
	"GSS_ILLEGAL_NAME",
	"GSS_NO_PERMISSION",
	"GSS_DOES_NOT_EXIST",
};

static int fail(char *why, size_t whysize, int err, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static int fail(char *why, size_t whysize, int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, whysize, fmt, ap);
	va_end(ap);
	return err;
}

const char *vg_gss_name(u32 status)
{
	return status < ARRAY_SIZE(gss_names) ? gss_names[status] : "unknown";
}

static u32 rd32(volatile const u8 *base, size_t off)
{
	return *(volatile const u32 *)(base + off);
}

static u64 rd64(volatile const u8 *base, size_t off)
{
	return *(volatile const u64 *)(base + off);
}

static void wr32(volatile u8 *base, size_t off, u32 v)
{
	*(volatile u32 *)(base + off) = v;
}

/* Up to @size - 1 bytes of @dir/@file, NUL-terminated; length or -errno. */
static ssize_t read_file(const char *dir, const char *file, void *buf,
			 size_t size)
{
	char path[640];
	ssize_t n;
	int fd;

	if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, file) >=
	    sizeof(path))
		return -ENAMETOOLONG;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, size - 1);
	if (n < 0)
		n = -errno;
	else
		((char *)buf)[n] = 0;
	close(fd);
	return n;
}

/* A sysfs number file ("0x1c05\n"); -1 when unreadable or not a number. */
static long read_number(const char *dir, const char *file)
{
	char buf[32], *end;
	long v;

	if (read_file(dir, file, buf, sizeof(buf)) <= 0)
		return -1;
	v = strtol(buf, &end, 0);
	return end != buf && (*end == '\n' || !*end) ? v : -1;
}

/* What the device is, from its IDs; -1 when not one of ours. */
static int model_of(const char *dir)
{
	long vendor = read_number(dir, "vendor");
	long device = read_number(dir, "device");

	if (vendor == VENDOR_QNX && device == DEVICE_QNX_SHM)
		return VG_QNX;
	if (vendor == VENDOR_REDHAT && device == DEVICE_IVSHMEM &&
	    read_number(dir, "revision") == 1)
		return VG_IVSHMEM;
	return -1;
}

/* Fill @p for the device @addr under @devices; false when not ours. */
static bool probe_one(const char *devices, const char *addr, struct vg_pci *p)
{
	u8 cfg[4096];
	ssize_t n;
	int model;

	memset(p, 0, sizeof(*p));
	if ((size_t)snprintf(p->dir, sizeof(p->dir), "%s/%s", devices, addr) >=
		    sizeof(p->dir) ||
	    strlen(addr) >= sizeof(p->addr))
		return false;
	model = model_of(p->dir);
	if (model < 0)
		return false;
	p->model = (enum vg_model)model;
	strcpy(p->addr, addr);
	if (p->model == VG_IVSHMEM) {
		/* Reading past 64 bytes of `config` needs root, as we are. */
		n = read_file(p->dir, "config", cfg, sizeof(cfg));
		if (n > 0 && vg_cap_name(cfg, (size_t)n, p->name))
			p->name[0] = 0;
	}
	return true;
}

static int by_addr(const void *a, const void *b)
{
	return strcmp(((const struct vg_pci *)a)->addr,
		      ((const struct vg_pci *)b)->addr);
}

int vg_scan(const char *sysfs, struct vg_pci *out, int max)
{
	char devices[448];
	struct vg_pci p;
	struct dirent *de;
	int n = 0;
	DIR *d;

	if ((size_t)snprintf(devices, sizeof(devices), "%s/bus/pci/devices",
			     sysfs) >= sizeof(devices))
		return -ENAMETOOLONG;
	d = opendir(devices);
	if (!d)
		return -errno;
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.' || !probe_one(devices, de->d_name, &p))
			continue;
		if (n < max)
			out[n] = p;
		n++;
	}
	closedir(d);
	qsort(out, (size_t)MIN(n, max), sizeof(*out), by_addr);
	return n;
}

/* Set the memory-decode bit through sysfs, unless something did. */
static int enable(const struct vg_pci *p, char *why, size_t whysize)
{
	char path[640];
	int fd, ok;

	if (read_number(p->dir, "enable") > 0)
		return 0;
	snprintf(path, sizeof(path), "%s/enable", p->dir);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	ok = fd >= 0 && write(fd, "1", 1) == 1;
	if (!ok) {
		int err = errno;

		if (fd >= 0)
			close(fd);
		return fail(why, whysize, -err, "%s: cannot enable: %s", path,
			    strerror(err));
	}
	close(fd);
	return 0;
}

/* Map @len bytes at @off of BAR @bar (its resourceN file), shared. */
static void *map_bar(const struct vg_pci *p, int bar, u64 off, size_t len,
		     char *why, size_t whysize)
{
	char path[640];
	void *m;
	int fd;

	snprintf(path, sizeof(path), "%s/resource%d", p->dir, bar);
	fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		fail(why, whysize, 0, "%s: %s", path, strerror(errno));
		return NULL;
	}
	m = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, (off_t)off);
	if (m == MAP_FAILED) {
		fail(why, whysize, 0, "%s: cannot map %zu bytes at 0x%llx: %s",
		     path, len, (unsigned long long)off, strerror(errno));
		m = NULL;
	}
	close(fd);
	return m;
}

/* BAR @bar's start and size from the device's `resource` file. */
static int bar_range(const struct vg_pci *p, int bar, u64 *start, u64 *size,
		     char *why, size_t whysize)
{
	char text[2048];

	if (read_file(p->dir, "resource", text, sizeof(text)) <= 0 ||
	    vg_parse_resource(text, bar, start, size))
		return fail(why, whysize, -ENODEV,
			    "%s: BAR%d is not assigned (%s/resource)", p->addr,
			    bar, p->dir);
	return 0;
}

static size_t pages_for(size_t len)
{
	return (len + PAGE - 1) / PAGE;
}

/* QNX: write the name, then the size, and read the factory's answer. */
static int qnx_create(struct vg_conn *c, const char *name, u32 pages, char *why,
		      size_t whysize)
{
	volatile u8 *f = c->regs;
	u32 status;

	if (rd64(f, FACTORY_SIGNATURE) != GUEST_SHM_SIGNATURE)
		return fail(why, whysize, -ENODEV,
			    "%s: no QNX shmem factory signature", c->pci.addr);
	/* Byte by byte: the factory page is trapped MMIO, and a vector
	 * store (a libc strcpy) may not be decodable there. */
	for (size_t i = 0; i <= strlen(name); i++)
		f[FACTORY_NAME + i] = (u8)name[i];
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	wr32(f, FACTORY_SIZE, pages);
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	status = rd32(f, FACTORY_STATUS);
	if (status)
		return fail(why, whysize, -EACCES,
			    "region %s: the factory said %u (%s)", name, status,
			    vg_gss_name(status));
	return 0;
}

/* QNX: map this connection's control page and @want data pages. */
static int qnx_map(struct vg_conn *c, const char *name, size_t want, char *why,
		   size_t whysize)
{
	u64 shmem = rd64(c->regs, FACTORY_SHMEM), start, size, off;
	u64 pages = rd32(c->regs, FACTORY_SIZE);
	int ret = bar_range(&c->pci, 2, &start, &size, why, whysize);

	if (ret)
		return ret;
	off = shmem - start;
	if (shmem < start || off % PAGE || off >= size)
		return fail(
			why, whysize, -ENODEV,
			"region %s: control page 0x%llx is not a page of BAR2 [0x%llx, +0x%llx)",
			name, (unsigned long long)shmem,
			(unsigned long long)start, (unsigned long long)size);
	if (want > pages || (1 + want) * PAGE > size - off)
		return fail(why, whysize, -ENOSPC,
			    "region %s: %llu pages, %zu needed", name,
			    (unsigned long long)pages, want);
	c->map_len = (1 + want) * PAGE;
	c->map = map_bar(&c->pci, 2, off, c->map_len, why, whysize);
	if (!c->map)
		return -EIO;
	c->ctrl = c->map;
	c->data = (volatile u8 *)c->map + PAGE;
	c->data_len = want * PAGE;
	c->self = (int)c->ctrl[CTRL_IDX];
	c->peers = c->ctrl[CTRL_STATUS] >> 16;
	return 0;
}

/*
 * The factory is one set of registers for every connection of the
 * guest: two of us at once (a wait-request daemon, a notify from the
 * shutdown path) must not interleave name, size and shmem. flock() on
 * the resource file serializes the sequence among vessel-guests.
 */
static int qnx_open(struct vg_conn *c, const char *name, size_t data_len,
		    char *why, size_t whysize)
{
	size_t want = pages_for(data_len);
	char path[640];
	int ret, lock;

	snprintf(path, sizeof(path), "%s/resource0", c->pci.dir);
	lock = open(path, O_RDONLY | O_CLOEXEC);
	if (lock >= 0)
		flock(lock, LOCK_EX);
	ret = qnx_create(c, name, (u32)MAX(want, 1), why, whysize);
	if (!ret) {
		c->attached = true;
		ret = qnx_map(c, name, want, why, whysize);
	}
	if (lock >= 0)
		close(lock);
	return ret;
}

static int ivshmem_open(struct vg_conn *c, size_t data_len, char *why,
			size_t whysize)
{
	u64 start, size;
	int ret;

	c->self = (int)rd32(c->regs, IVSHMEM_IVPOSITION);
	if (!data_len)
		return 0;
	ret = bar_range(&c->pci, 2, &start, &size, why, whysize);
	if (ret)
		return ret;
	c->map_len = pages_for(data_len) * PAGE;
	if (c->map_len > size)
		return fail(why, whysize, -ENOSPC,
			    "region %s: %llu bytes, %zu needed", c->pci.name,
			    (unsigned long long)size, data_len);
	c->map = map_bar(&c->pci, 2, 0, c->map_len, why, whysize);
	if (!c->map)
		return -EIO;
	c->data = c->map;
	c->data_len = c->map_len;
	return 0;
}

/* The device that serves region @name: its ivshmem, else the QNX factory. */
static int pick(const char *sysfs, const char *name, struct vg_pci *out,
		char *why, size_t whysize)
{
	struct vg_pci devs[32];
	int n = vg_scan(sysfs, devs, ARRAY_SIZE(devs)), qnx = -1;

	if (n < 0)
		return fail(why, whysize, n, "%s/bus/pci/devices: %s", sysfs,
			    strerror(-n));
	n = MIN(n, (int)ARRAY_SIZE(devs));
	for (int i = 0; i < n; i++) {
		if (devs[i].model == VG_IVSHMEM &&
		    !strcmp(devs[i].name, name)) {
			*out = devs[i];
			return 0;
		}
		if (devs[i].model == VG_QNX && qnx < 0)
			qnx = i;
	}
	if (qnx < 0)
		return fail(
			why, whysize, -ENODEV,
			"no shmem device serves region %s (no QNX shmem 1c05:0001, no ivshmem 1af4:1110 named so)",
			name);
	*out = devs[qnx];
	return 0;
}

int vg_open(const char *sysfs, const char *name, size_t data_len,
	    struct vg_conn *c, char *why, size_t whysize)
{
	int ret;

	memset(c, 0, sizeof(*c));
	ret = pick(sysfs, name, &c->pci, why, whysize);
	if (!ret)
		ret = enable(&c->pci, why, whysize);
	if (ret)
		return ret;
	c->regs = map_bar(&c->pci, 0, 0, PAGE, why, whysize);
	if (!c->regs)
		return -EIO;
	if (c->pci.model == VG_QNX)
		ret = qnx_open(c, name, data_len, why, whysize);
	else
		ret = ivshmem_open(c, data_len, why, whysize);
	if (ret)
		vg_close(c);
	return ret;
}

void vg_close(struct vg_conn *c)
{
	/* A QNX connection lives until detached: one per run would pile up
	 * to the 16-client limit. */
	if (c->attached && c->ctrl)
		c->ctrl[CTRL_DETACH] = 1;
	c->attached = false;
	if (c->map)
		munmap(c->map, c->map_len);
	if (c->regs)
		munmap((void *)c->regs, PAGE);
	c->map = NULL;
	c->regs = NULL;
	c->ctrl = NULL;
	c->data = NULL;
}

/* QNX: who is attached now (the high half of the control status). */
static u32 qnx_peers(const struct vg_conn *c)
{
	return c->ctrl ? c->ctrl[CTRL_STATUS] >> 16 : 0;
}

int vg_ring(struct vg_conn *c, int peer)
{
	if (peer < 0 || peer >= VG_PEERS_MAX)
		return -EINVAL;
	/* The ring must not pass the stores it announces. */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (c->pci.model == VG_IVSHMEM) {
		wr32(c->regs, IVSHMEM_DOORBELL, (u32)peer << 16);
		return 0;
	}
	if (!c->ctrl)
		return -EINVAL;
	c->peers = qnx_peers(c);
	if (!(c->peers & (1u << peer)))
		return -ENOENT;
	c->ctrl[CTRL_NOTIFY] = 1u << peer;
	return 0;
}

int vg_host_peer(const struct vg_conn *c)
{
	u32 others;

	if (c->pci.model == VG_IVSHMEM)
		return c->self ? 0 : -ENOENT;
	others = qnx_peers(c) & ~(1u << c->self);
	return others ? __builtin_ctz(others) : -ENOENT;
}

/*
 * Downwards, each word with acquire: the host stores its fields before
 * its sequence word, so loading host_seq (24) before host_request (20)
 * never pairs a new sequence with an older request.
 */
void vg_load(const struct vg_conn *c, u8 *buf, size_t len)
{
	for (size_t i = len & ~(size_t)3; i >= 4; i -= 4) {
		u32 w = __atomic_load_n((volatile u32 *)(c->data + i - 4),
					__ATOMIC_ACQUIRE);

		memcpy(buf + i - 4, &w, 4);
	}
}

void vg_store(struct vg_conn *c, size_t off, const u8 *buf, size_t len)
{
	for (size_t i = off; i + 4 <= off + len; i += 4) {
		u32 w;

		memcpy(&w, buf + i, 4);
		__atomic_store_n((volatile u32 *)(c->data + i), w,
				 __ATOMIC_RELEASE);
	}
}
