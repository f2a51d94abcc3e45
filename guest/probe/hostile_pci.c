/*
 * probe.test=hostile-pci: garbage in every function's configuration
 * space, BARs moved over each other, over RAM, the LAPIC and I/O APIC, 0
 * and the top of the address space, decoding and bus mastering flipped,
 * MSI-X enabled with garbage tables, then writes to the moved BARs.
 *
 * probe.test=hostile-virtq: every virtio function driven out of order
 * (status bits in any order, queues enabled before or after DRIVER_OK,
 * sizes not a power of two, rings and buffers anywhere, wild indices,
 * notifications of queues that do not exist), the rings full of
 * descriptors that loop, run out of RAM or claim giant lengths.
 */
#include "hostile.h"
#include "lib.h"
#include "msix.h"
#include "pci.h"
#include "print.h"
#include "virtio_pci.h"
#include "x86.h"

#define PCI_DEF_OPS 10000
#define VIRTQ_DEF_OPS 10000
#define SCRATCH_LEN 0x100000ull
#define LAPIC_PAGE 0xfee00000ull
#define IOAPIC_PAGE 0xfec00000ull
#define BAR_WRITE_SPAN 0x10000ull

static u64 bar_now(const struct hostile_func *f, int i)
{
	u8 reg = (u8)(PCI_BASE_ADDRESS_0 + 4 * i);
	u64 a = pci_read(f->devfn, reg, 4);

	if (f->bar[i].io)
		return a & ~3ull;
	a &= PCI_BASE_ADDRESS_MEM_MASK;
	if (f->bar[i].mem64)
		a |= (u64)pci_read(f->devfn, (u8)(reg + 4), 4) << 32;
	return a;
}

/* A BAR of @f that has a size, or -1. */
static int pick_bar(struct hostile *h, const struct hostile_func *f)
{
	int i = (int)hostile_below(h, HOSTILE_BARS), n;

	for (n = 0; n < HOSTILE_BARS; n++, i = (i + 1) % HOSTILE_BARS)
		if (f->bar[i].size)
			return i;
	return -1;
}

static u64 bar_target(struct hostile *h, const struct hostile_bar *b)
{
	const struct hostile_func *o = &h->func[hostile_below(h, h->nr_funcs)];
	u64 align = b->size ? b->size : 16, top;
	int j;

	top = b->mem64 ? (1ull << 48) : (1ull << 32);
	switch (hostile_below(h, 8)) {
	case 0: /* over another BAR */
		j = (int)hostile_below(h, HOSTILE_BARS);
		return o->bar[j].addr;
	case 1: /* over RAM: the scratch, which nothing else uses */
		return (h->scratch + align - 1) & ~(align - 1);
	case 2:
		return LAPIC_PAGE;
	case 3:
		return IOAPIC_PAGE;
	case 4:
		return 0;
	case 5: /* the top of the address space, and one past it */
		return hostile_below(h, 2) ? top - align : ~0ull & ~(align - 1);
	default:
		return hostile_rand(h) & ~(align - 1) & (top - 1);
	}
}

static void move_bar(struct hostile *h, struct hostile_func *f)
{
	int i = pick_bar(h, f);
	u8 reg = (u8)(PCI_BASE_ADDRESS_0 + 4 * i);
	u64 to;

	if (i < 0)
		return;
	to = bar_target(h, &f->bar[i]);
	pci_write(f->devfn, reg, 4, (u32)to);
	if (f->bar[i].mem64)
		pci_write(f->devfn, (u8)(reg + 4), 4, (u32)(to >> 32));
	if (hostile_below(h, 4))
		pci_write(f->devfn, PCI_COMMAND, 2,
			  pci_read(f->devfn, PCI_COMMAND, 2) |
				  PCI_COMMAND_MEMORY | PCI_COMMAND_IO);
}

/* Garbage entries in the MSI-X table wherever its BAR now lies. */
static void garbage_msix(struct hostile *h, struct hostile_func *f)
{
	struct msix x;
	u64 base, e;
	u32 n;

	if (msix_probe(&x, f->devfn))
		return;
	pci_write(f->devfn, (u8)(x.cap + PCI_MSIX_FLAGS), 2,
		  (u32)hostile_rand(h) &
			  (PCI_MSIX_FLAGS_ENABLE | PCI_MSIX_FLAGS_MASKALL));
	if (x.table_bar >= HOSTILE_BARS || !f->bar[x.table_bar].size)
		return;
	base = bar_now(f, x.table_bar) + x.table_offset;
	for (n = 0; n < x.size && n < 8; n++) {
		e = base + (u64)n * PCI_MSIX_ENTRY_SIZE;
		if (!hostile_writable(h, e, PCI_MSIX_ENTRY_SIZE))
			return;
		mmio_write32(e + PCI_MSIX_ENTRY_LOWER_ADDR,
			     (u32)hostile_rand(h));
		mmio_write32(e + PCI_MSIX_ENTRY_UPPER_ADDR,
			     (u32)hostile_rand(h));
		mmio_write32(e + PCI_MSIX_ENTRY_DATA,
			     hostile_tame_irq(h, (u32)hostile_rand(h), true));
		mmio_write32(e + PCI_MSIX_ENTRY_VECTOR_CTRL,
			     (u32)hostile_rand(h));
	}
}

/* A write into a BAR wherever it now decodes, if that harms no RAM. */
static void write_moved_bar(struct hostile *h, struct hostile_func *f)
{
	int i = pick_bar(h, f);
	u8 width = hostile_width(h, true);
	u64 span, addr;

	if (i < 0 || f->bar[i].io)
		return;
	span = f->bar[i].size < BAR_WRITE_SPAN ? f->bar[i].size :
						 BAR_WRITE_SPAN;
	addr = bar_now(f, i) + (hostile_below(h, span) & ~(u64)(width - 1));
	if (!hostile_writable(h, addr, width))
		return;
	if (hostile_below(h, 2))
		hostile_mmio_write(addr, width, hostile_rand(h));
	else
		(void)hostile_mmio_read(addr, width);
}

static void pci_op(struct hostile *h)
{
	struct hostile_func *f = &h->func[hostile_below(h, h->nr_funcs)];
	u8 reg = (u8)hostile_rand(h);

	switch (hostile_below(h, 10)) {
	case 0:
	case 1:
	case 2: /* any offset, any width, unaligned ones crossing 0xCFF */
		pci_write(f->devfn, reg, hostile_width(h, false),
			  (u32)hostile_rand(h));
		break;
	case 3:
		(void)pci_read(f->devfn, reg, hostile_width(h, false));
		break;
	case 4:
	case 5:
		move_bar(h, f);
		break;
	case 6:
		pci_write(f->devfn, PCI_COMMAND, 2, (u32)hostile_rand(h));
		break;
	case 7:
		garbage_msix(h, f);
		break;
	default:
		write_moved_bar(h, f);
	}
}

__noreturn void hostile_pci_run(const struct acpi_info *ai,
				const struct madt_info *m)
{
	struct hostile h;

	hostile_begin(&h, "hostile-pci", ai, m, PCI_DEF_OPS, SCRATCH_LEN);
	while (h.nr_funcs && hostile_more(&h)) {
		pci_op(&h);
		hostile_op(&h);
	}
	hostile_end(&h);
}

/* virtio_pci_common_cfg offsets (virtio 1.2 4.1.4.3). */
#define COMMON_DFSELECT 0
#define COMMON_DF 4
#define COMMON_GFSELECT 8
#define COMMON_GF 12
#define COMMON_MSIX 16
#define COMMON_STATUS 20
#define COMMON_Q_SELECT 22
#define COMMON_Q_SIZE 24
#define COMMON_Q_MSIX 26
#define COMMON_Q_ENABLE 28
#define COMMON_Q_DESCLO 32
#define COMMON_Q_AVAILLO 40
#define COMMON_Q_USEDLO 48

#define MAX_VIRTIO 8
#define RESET_POLLS 1000
#define VIRTQ_DESC_F_ALL 0x7 /* NEXT, WRITE, INDIRECT */

struct virtq_state {
	struct hostile h;
	struct virtio_pci vp[MAX_VIRTIO];
	u32 n;
	u64 avail; /* the selected queue's avail ring, if in scratch */
};

static u16 garbage_u16(struct hostile *h)
{
	static const u16 sizes[] = { 0,	  1,	3,	100,   255,
				     257, 1000, 0x8000, 0xffff };

	if (hostile_below(h, 2))
		return sizes[hostile_below(h, ARRAY_SIZE(sizes))];
	return (u16)hostile_rand(h);
}

static void write_addr(struct virtq_state *s, const struct virtio_pci *vp,
		       u32 off)
{
	u64 a = hostile_dma_addr(&s->h);

	if (hostile_below(&s->h, 2))
		a &= ~0xfull;
	mmio_write32(vp->common + off, (u32)a);
	mmio_write32(vp->common + off + 4, (u32)(a >> 32));
	if (off == COMMON_Q_AVAILLO)
		s->avail = a;
}

/* Descriptors, headers and ring indices all over the scratch. */
static void garbage_rings(struct virtq_state *s)
{
	struct hostile *h = &s->h;
	u64 at;
	u32 i;

	for (i = 0; i < 16; i++) {
		at = h->scratch +
		     (hostile_below(h, h->scratch_len - 16) & ~0xfull);
		mmio_write64(at, hostile_dma_addr(h));
		mmio_write32(at + 8, hostile_below(h, 2) ?
					     (u32)hostile_rand(h) :
					     (u32)hostile_below(h, 4096));
		mmio_write16(at + 12,
			     (u16)(hostile_rand(h) & VIRTQ_DESC_F_ALL));
		mmio_write16(at + 14, garbage_u16(h));
	}
	if (s->avail >= h->scratch &&
	    s->avail < h->scratch + h->scratch_len - 64)
		for (i = 0; i < 32; i += 2)
			mmio_write16(s->avail + i, garbage_u16(h));
}

static void reset_device(const struct virtio_pci *vp)
{
	u32 i;

	mmio_write8(vp->common + COMMON_STATUS, 0);
	for (i = 0; i < RESET_POLLS; i++)
		if (!mmio_read8(vp->common + COMMON_STATUS))
			break;
}

/* Where the near-valid rings of plausible_setup() lie in the scratch. */
#define RING_DESC 0x0000
#define RING_AVAIL 0x4000
#define RING_USED 0x5000
#define RING_HDRS 0x6000
#define RING_STATUS 0x7000
#define RING_DATA 0x10000
#define CHAINS_MAX 32
#define VRING_DESC_F_NEXT 1
#define VRING_DESC_F_WRITE 2
#define VRING_DESC_F_INDIRECT 4

static const u32 blk_types[] = { 0, 1, 4, 8, 11, 13, 0xffffffffu, 2 };

/* A data buffer's address: across the end of RAM, giant, wild. */
static void bad_data_buf(struct hostile *h, u64 *addr, u32 *len)
{
	switch (hostile_below(h, 3)) {
	case 0: /* starts in RAM, ends past it */
		*addr = h->ram_end - 1 - hostile_below(h, 0x10000);
		*len = 0x10000 + (u32)hostile_below(h, 0x100000);
		return;
	case 1: /* giant */
		*addr = h->scratch + RING_DATA;
		*len = 0xfffff000u | (u32)hostile_below(h, 0x1000);
		return;
	default:
		*addr = hostile_dma_addr(h);
		*len = (u32)hostile_rand(h);
	}
}

static void put_desc(u64 at, u64 addr, u32 len, u16 flags, u16 next)
{
	mmio_write64(at, addr);
	mmio_write32(at + 8, len);
	mmio_write16(at + 12, flags);
	mmio_write16(at + 14, next);
}

/*
 * Chain @i at descriptors 3i..3i+2: header, data, status. One in four
 * is bent: a loop, garbage flags or next, a nested table, a buffer past
 * RAM or of 4 GiB; the device may complete the chains before it.
 */
static void put_chain(struct hostile *h, u32 i, u16 size)
{
	u64 d = h->scratch + RING_DESC + 48ull * i, hdr, data;
	u16 f = VRING_DESC_F_WRITE | VRING_DESC_F_NEXT, n1, n2;
	u32 len, type = blk_types[hostile_below(h, ARRAY_SIZE(blk_types))];

	hdr = h->scratch + RING_HDRS + 16ull * i;
	/* OUT, DISCARD, WRITE_ZEROES carry data the device reads. */
	if (type == 1 || type == 11 || type == 13)
		f = VRING_DESC_F_NEXT;
	mmio_write32(hdr, type);
	mmio_write32(hdr + 4, 0);
	mmio_write64(hdr + 8, hostile_below(h, 4) ? hostile_below(h, 2048) :
						    hostile_rand(h));
	data = h->scratch + RING_DATA + hostile_below(h, 0x10000);
	len = hostile_below(h, 8) ? 512 * (1 + (u32)hostile_below(h, 64)) :
				    1 + (u32)hostile_below(h, 0x10000);
	n1 = (u16)((3 * i + 1) % size);
	n2 = (u16)((3 * i + 2) % size);
	switch (hostile_below(h, 28)) {
	case 0: /* a loop */
		n2 = (u16)(3 * i % size);
		break;
	case 1:
		f = (u16)hostile_rand(h);
		break;
	case 2:
		f |= VRING_DESC_F_INDIRECT;
		break;
	case 3:
		n1 = (u16)hostile_rand(h);
		break;
	case 4:
	case 5:
	case 6:
		bad_data_buf(h, &data, &len);
		break;
	}
	put_desc(d, hdr, 16, VRING_DESC_F_NEXT, n1);
	put_desc(d + 16, data, len, f, n2);
	put_desc(d + 32, h->scratch + RING_STATUS + i, 1, VRING_DESC_F_WRITE,
		 0);
}

/* A 64-bit field as the spec wants it: two 32-bit halves, low first. */
static void write64_split(u64 at, u64 v)
{
	mmio_write32(at, (u32)v);
	mmio_write32(at + 4, (u32)(v >> 32));
}

/* A queue set up almost right, as a buggy driver would. */
static void plausible_setup(struct virtq_state *s, const struct virtio_pci *vp)
{
	struct hostile *h = &s->h;
	u64 c = vp->common, avail = h->scratch + RING_AVAIL;
	u16 max, size, chains, i;

	reset_device(vp);
	mmio_write8(c + COMMON_STATUS,
		    VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER);
	/* Mostly a subset of what is offered, so that FEATURES_OK holds. */
	mmio_write32(c + COMMON_DFSELECT, 0);
	mmio_write32(c + COMMON_GFSELECT, 0);
	mmio_write32(c + COMMON_GF,
		     (u32)hostile_rand(h) &
			     (hostile_below(h, 8) ? mmio_read32(c + COMMON_DF) :
						    0xffffffffu));
	mmio_write32(c + COMMON_GFSELECT, 1);
	mmio_write32(c + COMMON_GF, 1); /* VERSION_1 */
	mmio_write8(c + COMMON_STATUS, VIRTIO_CONFIG_S_ACKNOWLEDGE |
					       VIRTIO_CONFIG_S_DRIVER |
					       VIRTIO_CONFIG_S_FEATURES_OK);
	mmio_write16(c + COMMON_Q_SELECT, 0);
	max = mmio_read16(c + COMMON_Q_SIZE);
	size = max && max <= 1024 ? max : 256;
	if (!hostile_below(h, 4))
		size = garbage_u16(h);
	mmio_write16(c + COMMON_Q_SIZE, size);
	if (!size || size > 1024)
		size = 256;
	chains = (u16)(size / 3 < CHAINS_MAX ? size / 3 : CHAINS_MAX);
	for (i = 0; i < chains; i++)
		put_chain(h, i, size);
	mmio_write16(avail, 0);
	for (i = 0; i < chains; i++)
		mmio_write16(avail + 4 + 2ull * i, (u16)(3 * i));
	mmio_write16(avail + 2, hostile_below(h, 8) ? chains : garbage_u16(h));
	fill_qwords((void *)(h->scratch + RING_USED), 0, 0x1000 / 8);
	write64_split(c + COMMON_Q_DESCLO, h->scratch + RING_DESC);
	write64_split(c + COMMON_Q_AVAILLO, avail);
	write64_split(c + COMMON_Q_USEDLO, h->scratch + RING_USED);
	if (!hostile_below(h, 8))
		write_addr(s, vp,
			   COMMON_Q_DESCLO + 8 * (u32)hostile_below(h, 3));
	if (hostile_below(h, 4))
		mmio_write16(c + COMMON_Q_ENABLE, 1);
	mmio_write8(c + COMMON_STATUS, VIRTIO_CONFIG_S_ACKNOWLEDGE |
					       VIRTIO_CONFIG_S_DRIVER |
					       VIRTIO_CONFIG_S_FEATURES_OK |
					       VIRTIO_CONFIG_S_DRIVER_OK);
	mmio_write16(c + COMMON_Q_ENABLE, 1);
	mmio_write16(vp->notify, 0);
}

static void notify(struct hostile *h, const struct virtio_pci *vp)
{
	u64 off = vp->notify_len ? hostile_below(h, vp->notify_len) & ~1ull : 0;

	if (hostile_below(h, 2))
		off = 0;
	mmio_write16(vp->notify + off, garbage_u16(h) % 4);
	if (!hostile_below(h, 4))
		mmio_write16(vp->notify + off, garbage_u16(h));
}

static void virtq_op(struct virtq_state *s)
{
	struct hostile *h = &s->h;
	const struct virtio_pci *vp = &s->vp[hostile_below(h, s->n)];
	u64 c = vp->common;

	switch (hostile_below(h, 16)) {
	case 0:
		reset_device(vp);
		break;
	case 1:
		mmio_write8(c + COMMON_STATUS, (u8)hostile_rand(h));
		break;
	case 2:
		mmio_write32(c + (hostile_below(h, 2) ? COMMON_DFSELECT :
							COMMON_GFSELECT),
			     (u32)hostile_below(h, 4));
		mmio_write32(c + COMMON_GF, (u32)hostile_rand(h));
		break;
	case 3:
		mmio_write16(c + COMMON_Q_SELECT,
			     garbage_u16(h) % 5 == 4 ?
				     garbage_u16(h) :
				     (u16)hostile_below(h, 4));
		break;
	case 4:
		mmio_write16(c + COMMON_Q_SIZE, garbage_u16(h));
		break;
	case 5:
		write_addr(s, vp,
			   COMMON_Q_DESCLO + 8 * (u32)hostile_below(h, 3));
		break;
	case 6:
		mmio_write16(c + COMMON_Q_ENABLE, garbage_u16(h) & 3);
		break;
	case 7:
		mmio_write16(
			c + (hostile_below(h, 2) ? COMMON_MSIX : COMMON_Q_MSIX),
			garbage_u16(h));
		break;
	case 8:
		garbage_rings(s);
		break;
	case 9:
	case 10:
		notify(h, vp);
		break;
	case 11:
		(void)mmio_read8(vp->isr);
		break;
	case 12:
		if (vp->device && vp->device_len)
			hostile_mmio_write(
				vp->device + hostile_below(h, vp->device_len),
				1, hostile_rand(h));
		break;
	default:
		plausible_setup(s, vp);
	}
}

static struct virtq_state vq;

__noreturn void hostile_virtq_run(const struct acpi_info *ai,
				  const struct madt_info *m)
{
	struct virtq_state *s = &vq;
	u8 devfn;

	hostile_begin(&s->h, "hostile-virtq", ai, m, VIRTQ_DEF_OPS,
		      SCRATCH_LEN);
	while (s->n < MAX_VIRTIO &&
	       pci_find_nth(VIRTIO_PCI_VENDOR, VIRTIO_PCI_DEVICE_BLK, s->n,
			    &devfn)) {
		if (vp_probe(&s->vp[s->n], devfn, "hostile-virtq"))
			break;
		pci_set_master(devfn);
		s->n++;
	}
	probe_info("hostile-virtq %u virtio functions", s->n);
	while (s->n && hostile_more(&s->h)) {
		virtq_op(s);
		hostile_op(&s->h);
	}
	hostile_end(&s->h);
}
