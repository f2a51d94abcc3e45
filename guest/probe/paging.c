/*
 * The identity map (pagetable.S) covers 4 GiB through PDPT entries 0-3.
 * Higher RAM is reached through one spare page directory hung from the
 * PDPT slot of the target GiB, holding a single 2 MiB page; the previous
 * window is removed first and CR3 is reloaded to flush the TLB.
 */
#include "paging.h"
#include "x86.h"

#define LOW_4G 0x100000000ull
#define PDPT_REACH (512ull << 30)
#define PAGE_2M (2ull << 20)

extern u64 pdpt[512];

static u64 window_pd[512] __aligned(4096);
static u64 window_pa; /* 2 MiB page mapped now, 0 if none */

bool paging_map(u64 pa, volatile u64 **va)
{
	u64 page = pa & ~(PAGE_2M - 1);

	*va = (volatile u64 *)pa;
	if (pa < LOW_4G)
		return true;
	if (pa >= PDPT_REACH)
		return false;
	if (page != window_pa) {
		if (window_pa) {
			pdpt[window_pa >> 30] = 0;
			window_pd[(window_pa >> 21) & 511] = 0;
		}
		window_pd[(page >> 21) & 511] = page | PTE_P | PTE_W | PTE_PS;
		pdpt[page >> 30] = (u64)window_pd | PTE_P | PTE_W;
		window_pa = page;
		write_cr3(read_cr3());
	}
	return true;
}
