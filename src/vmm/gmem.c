// SPDX-License-Identifier: Apache-2.0
#include "gmem.h"

#include "boot/layout.h"

void gmem_init(struct gmem *gm, u8 *host, u64 ram_size)
{
	u64 low = MIN(ram_size, PCI_HOLE_START);

	gm->ram_size = ram_size;
	gm->r[0] = (struct gmem_region){ .gpa = 0, .size = low, .host = host };
	gm->nr = 1;
	if (ram_size > low) {
		gm->r[1] = (struct gmem_region){ .gpa = PCI_HOLE_END,
						 .size = ram_size - low,
						 .host = host + low };
		gm->nr = 2;
	}
}

void *gmem_ptr(const struct gmem *gm, u64 gpa, u64 len)
{
	int i;

	for (i = 0; i < gm->nr; i++) {
		const struct gmem_region *r = &gm->r[i];

		/* Written so that no sum can wrap around. */
		if (gpa < r->gpa || gpa - r->gpa >= r->size)
			continue;
		if (len > r->size - (gpa - r->gpa))
			return NULL;
		return r->host + (gpa - r->gpa);
	}
	return NULL;
}

u64 gmem_top(const struct gmem *gm)
{
	const struct gmem_region *r = &gm->r[gm->nr - 1];

	return r->gpa + r->size;
}
