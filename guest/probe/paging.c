/*
 * The identity map (pagetable.S) covers 4 GiB through PDPT entries 0-3.
 * Higher RAM is reached through one spare page directory hung from the
 * PDPT slot of the target GiB, holding a single 2 MiB page; the previous
 * window is removed first and CR3 is reloaded to flush the TLB.
 *
 * Device memory above 4 GiB (a 64-bit BAR that the probe placed above
 * RAM, or that firmware put high) is mapped for good, uncached, as
 * Linux's ioremap() does: a page directory per GiB from a static pool,
 * and a PDPT from the pool for a 512 GiB slot other than the first.
 */
#include "paging.h"
#include "x86.h"

#define LOW_4G 0x100000000ull
#define GIB (1ull << 30)
#define PDPT_REACH (512ull << 30)
#define VA_REACH (1ull << 48)
#define PAGE_2M (2ull << 20)
#define PTE_ADDR 0x000ffffffffff000ull
#define PDE_UC (PTE_P | PTE_W | PTE_PS | PTE_PCD | PTE_PWT)
#define DEVICE_PDPTS 2

extern u64 pml4[512], pdpt[512];

static u64 window_pd[512] __aligned(4096);
static u64 window_pa; /* 2 MiB page mapped now, 0 if none */

static u64 device_pd[PAGING_DEVICE_GIBS][512] __aligned(4096);
static u64 device_pdpt[DEVICE_PDPTS][512] __aligned(4096);
static u32 nr_device_pds, nr_device_pdpts;

static void window_drop(void)
{
	if (!window_pa)
		return;
	pdpt[window_pa >> 30] = 0;
	window_pd[(window_pa >> 21) & 511] = 0;
	window_pa = 0;
}

/* A GiB below 512 GiB whose PDPT entry is a device's, not the window's. */
static bool device_gib(u64 pa)
{
	u64 e = pdpt[pa >> 30];

	return (e & PTE_P) && (e & PTE_ADDR) != (u64)window_pd;
}

bool paging_map(u64 pa, volatile u64 **va)
{
	u64 page = pa & ~(PAGE_2M - 1);

	*va = (volatile u64 *)pa;
	if (pa < LOW_4G)
		return true;
	if (pa >= PDPT_REACH)
		return false;
	if (device_gib(pa))
		return true;
	if (page != window_pa) {
		window_drop();
		window_pd[(page >> 21) & 511] = page | PTE_P | PTE_W | PTE_PS;
		pdpt[page >> 30] = (u64)window_pd | PTE_P | PTE_W;
		window_pa = page;
		write_cr3(read_cr3());
	}
	return true;
}

/* The PDPT serving @pa's 512 GiB slot, taken from the pool if need be. */
static u64 *pdpt_for(u64 pa)
{
	u64 *e = &pml4[(pa >> 39) & 511];

	if (!(*e & PTE_P)) {
		if (nr_device_pdpts == DEVICE_PDPTS)
			return NULL;
		*e = (u64)device_pdpt[nr_device_pdpts++] | PTE_P | PTE_W;
	}
	return (u64 *)(*e & PTE_ADDR);
}

/* Map the GiB at @gib (aligned) with 2 MiB uncached pages. */
static bool map_device_gib(u64 gib)
{
	u64 *l3 = pdpt_for(gib), *pd, *e;
	u32 i;

	if (!l3)
		return false;
	e = &l3[(gib >> 30) & 511];
	if (l3 == pdpt && (*e & PTE_ADDR) == (u64)window_pd)
		window_drop();
	if (*e & PTE_P)
		return true; /* already a device's */
	if (nr_device_pds == PAGING_DEVICE_GIBS)
		return false;
	pd = device_pd[nr_device_pds++];
	for (i = 0; i < 512; i++)
		pd[i] = (gib + i * PAGE_2M) | PDE_UC;
	*e = (u64)pd | PTE_P | PTE_W;
	return true;
}

bool paging_map_device(u64 pa, u64 len)
{
	u64 gib, end = pa + len;

	if (!len || end < pa || end > VA_REACH)
		return false;
	for (gib = pa & ~(GIB - 1); gib < end; gib += GIB)
		if (gib >= LOW_4G && !map_device_gib(gib))
			return false;
	write_cr3(read_cr3());
	return true;
}
