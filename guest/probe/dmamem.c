/*
 * A bump allocator over the e820 RAM entry that holds the probe's image,
 * from the first 2 MiB boundary past its end (.bss and stacks included).
 * Only the static identity map's write-back half (below 2 GiB) is used:
 * a device's DMA needs no window that paging_map() would move.
 */
#include "dmamem.h"
#include "bootinfo.h"
#include "print.h"

#define PAGE_2M (2ull << 20)
#define WB_LIMIT (2ull << 30) /* pagetable.S: 0..2 GiB write-back */

extern u8 _end[];

static u64 next_free;

/* End of the e820 RAM entry holding @pa, capped at WB_LIMIT; 0 if none. */
static u64 ram_end(u64 pa)
{
	const struct boot_memmap *e;
	u64 end;
	u32 i;

	for (i = 0; i < boot.nr_memmap; i++) {
		e = &boot.memmap[i];
		end = e->addr + e->size;
		if (e->type == E820_RAM && e->addr <= pa && pa < end)
			return end < WB_LIMIT ? end : WB_LIMIT;
	}
	return 0;
}

void *dma_alloc(u64 size, u64 align, const char *step)
{
	u64 start, end;

	if (!next_free)
		next_free = ((u64)_end + PAGE_2M - 1) & ~(PAGE_2M - 1);
	start = (next_free + align - 1) & ~(align - 1);
	end = ram_end(start);
	if (!end || size > end - start) {
		probe_fail(step,
			   "no RAM for 0x%llx bytes at 0x%llx (the e820 entry "
			   "there ends at 0x%llx)",
			   size, start, end);
		return NULL;
	}
	next_free = start + size;
	return (void *)start;
}
