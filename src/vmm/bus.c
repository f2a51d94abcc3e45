// SPDX-License-Identifier: Apache-2.0
#include "bus.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

void bus_init(struct bus *b)
{
	memset(b, 0, sizeof(*b));
	pthread_rwlock_init(&b->lock, NULL);
}

void bus_free(struct bus *b)
{
	free(b->r);
	b->r = NULL;
	b->nr = b->cap = 0;
	pthread_rwlock_destroy(&b->lock);
}

/* Index of the first region whose base is > @addr. */
static int bus_upper(const struct bus *b, u64 addr)
{
	int lo = 0, hi = b->nr;

	while (lo < hi) {
		int mid = lo + (hi - lo) / 2;

		if (b->r[mid].base <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static struct bus_region *bus_find(struct bus *b, u64 addr)
{
	int i = bus_upper(b, addr) - 1;

	if (i < 0 || addr - b->r[i].base >= b->r[i].len)
		return NULL;
	return &b->r[i];
}

static int bus_grow(struct bus *b)
{
	struct bus_region *r;
	int cap = b->cap ? b->cap * 2 : 16;

	r = realloc(b->r, cap * sizeof(*r));
	if (!r)
		return -ENOMEM;
	b->r = r;
	b->cap = cap;
	return 0;
}

static bool bus_overlaps(const struct bus *b, int i, u64 base, u64 len)
{
	if (i > 0 && b->r[i - 1].base + b->r[i - 1].len > base)
		return true;
	return i < b->nr && base + len > b->r[i].base;
}

int bus_add(struct bus *b, u64 base, u64 len, io_handler fn, void *dev)
{
	int i, ret = 0;

	if (!len || base + len < base)
		return -EINVAL;
	pthread_rwlock_wrlock(&b->lock);
	i = bus_upper(b, base);
	if (bus_overlaps(b, i, base, len))
		ret = -EEXIST;
	else if (b->nr == b->cap)
		ret = bus_grow(b);
	if (!ret) {
		memmove(&b->r[i + 1], &b->r[i], (b->nr - i) * sizeof(*b->r));
		b->r[i] = (struct bus_region){ base, len, fn, dev };
		b->nr++;
	}
	pthread_rwlock_unlock(&b->lock);
	return ret;
}

int bus_del(struct bus *b, u64 base)
{
	struct bus_region *r;
	int ret = -ENOENT;

	pthread_rwlock_wrlock(&b->lock);
	r = bus_find(b, base);
	if (r && r->base == base) {
		int i = r - b->r;

		memmove(r, r + 1, (b->nr - i - 1) * sizeof(*r));
		b->nr--;
		ret = 0;
	}
	pthread_rwlock_unlock(&b->lock);
	return ret;
}

enum io_res bus_access(struct bus *b, u64 addr, struct io_access *a)
{
	enum io_res res = IO_UNHANDLED;
	struct bus_region *r, copy = { 0 };

	/*
	 * Copy the region and call the handler unlocked, so that a handler
	 * may move regions (PCI BAR writes). Devices outlive every vCPU, so
	 * a copy that went stale meanwhile still points at a live device.
	 */
	pthread_rwlock_rdlock(&b->lock);
	r = bus_find(b, addr);
	if (r)
		copy = *r;
	pthread_rwlock_unlock(&b->lock);
	if (copy.fn) {
		a->off = addr - copy.base;
		res = copy.fn(copy.dev, a);
	}
	if (res != IO_OK && !a->write)
		a->val = a->size >= 8 ? ~0ULL : (1ULL << (a->size * 8)) - 1;
	return res;
}
