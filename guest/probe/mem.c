/*
 * e820 report and RAM touch test. Each touched word is written with a
 * pattern derived from its old value, read back and restored, so that a
 * page holding the probe itself or the firmware's data survives.
 */
#include "mem.h"
#include "bootinfo.h"
#include "paging.h"
#include "print.h"

#define PAGE_SIZE 4096ull

/* Write, read back and restore one word; false with what was read. */
static bool touch_word(u64 pa, u64 *want, u64 *got)
{
	volatile u64 *p;
	u64 old;

	*want = *got = 0;
	if (!paging_map(pa, &p))
		return false;
	old = *p;
	*want = ~old ^ 0x5a5a5a5a5a5a5a5aull;
	*p = *want;
	*got = *p;
	*p = old;
	return *got == *want;
}

/* Touch the first and the last word of the page at @pa. */
static bool touch_page(u64 pa)
{
	volatile u64 *va;
	u64 want, got, a;

	for (a = pa; a < pa + PAGE_SIZE; a += PAGE_SIZE - 8) {
		if (!paging_map(a, &va)) {
			probe_fail("mem",
				   "0x%016llx: beyond the probe's page tables",
				   a);
			return false;
		}
		if (!touch_word(a, &want, &got)) {
			probe_fail("mem",
				   "0x%016llx: wrote 0x%llx, read 0x%llx", a,
				   want, got);
			return false;
		}
	}
	return true;
}

/* First and last whole page of a RAM entry; entries under a page skip. */
static bool touch_entry(const struct boot_memmap *e)
{
	u64 first = (e->addr + PAGE_SIZE - 1) & ~(PAGE_SIZE - 1);
	u64 end = (e->addr + e->size) & ~(PAGE_SIZE - 1);
	bool ok;

	if (end < first + PAGE_SIZE)
		return true;
	ok = touch_page(first);
	if (end - PAGE_SIZE != first)
		ok = touch_page(end - PAGE_SIZE) && ok;
	return ok;
}

void mem_check(void)
{
	const struct boot_memmap *e;
	u64 ram = 0;
	bool ok = true;
	u32 i;

	if (!boot.nr_memmap) {
		probe_fail("mem", "start_info version %u gives no memmap",
			   boot.version);
		return;
	}
	if (boot.nr_memmap_given > boot.nr_memmap)
		probe_info("e820 has %u entries, only %u kept",
			   boot.nr_memmap_given, boot.nr_memmap);
	for (i = 0; i < boot.nr_memmap; i++) {
		e = &boot.memmap[i];
		if (!e->size) {
			probe_info("e820 0x%016llx empty type %u", e->addr,
				   e->type);
			continue;
		}
		probe_info("e820 0x%016llx-0x%016llx type %u", e->addr,
			   e->addr + e->size - 1, e->type);
		if (e->type != E820_RAM)
			continue;
		ram += e->size;
		ok = touch_entry(e) && ok;
	}
	if (ok)
		probe_pass("mem", "%u entries, %llu MiB RAM", boot.nr_memmap,
			   ram >> 20);
}
