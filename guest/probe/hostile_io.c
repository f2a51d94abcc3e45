/*
 * probe.test=hostile-pio and hostile-mmio: random reads and writes of
 * every width to every port and register vessel emulates (and to ports
 * and holes nothing decodes). Without probe.all=1 the few writes that
 * end the machine by design are bent (hostile.h).
 */
#include "hostile.h"
#include "apic.h"
#include "lib.h"
#include "msix.h"
#include "pci.h"
#include "print.h"
#include "x86.h"

#define PIO_DEF_OPS 20000
#define MMIO_DEF_OPS 20000
#define PORT_COM1 0x3f8
#define PORT_I8042_CMD 0x64
#define PORT_RESET_CONTROL 0xcf9
#define CF9_RST_CPU 0x04
#define PORT_PVPANIC 0x505
#define PVPANIC_PANICKED 0x01
#define PM1_CNT_SLP_EN_HI 0x20 /* bit 13, in the register's second byte */
#define I8042_OUT_WRITE 0xd1
#define I8042_PULSE 0xf0 /* 0xf0..0xff pulse lines; bit 0 clear: reset */
#define LAPIC_PAGE 0xfee00000ull
#define LAPIC_ICR 0x300
#define LAPIC_SVR 0x0f0
#define IOAPIC_LEN 0x100
#define IOREGSEL 0x00
#define IOWIN 0x10
#define SCRATCH_LEN 0x100000ull
#define MSIX_BAR_SPAN 0x10000ull /* offsets tried within a big BAR */

/* Ports vessel or KVM emulate (the PIT, PIC and ELCR are KVM's). */
static const u16 emulated_ports[] = {
	0x20,  0x21,  0xa0,  0xa1,  0x4d0, 0x4d1, 0x40,	 0x41,	0x42,
	0x43,  0x61,  0x60,  0x64,  0x70,  0x71,  0x3f8, 0x3f9, 0x3fa,
	0x3fb, 0x3fc, 0x3fd, 0x3fe, 0x3ff, 0x600, 0x602, 0x604, 0x605,
	0x608, 0x60c, 0xb2,  0xcf8, 0xcf9, 0xcfa, 0xcfc, 0xcfd, 0xcfe,
	0xcff, 0x505, 0x441, 0x443, 0x80,
};

static u16 pick_port(struct hostile *h)
{
	if (hostile_below(h, 2))
		return (u16)hostile_rand(h);
	return emulated_ports[hostile_below(h, ARRAY_SIZE(emulated_ports))];
}

/* The byte written to @port, bent so that the guest survives it. */
static u8 tame_port_byte(const struct hostile *h, u16 port, u8 b)
{
	const struct acpi_gas *cnt = &h->acpi->pm1a_cnt;
	const struct acpi_gas *rst = &h->acpi->reset_reg;

	/* The console: printable, so the log stays text. */
	if (port == PORT_COM1)
		return (u8)(0x20 + b % 0x5f);
	if (port == PORT_I8042_CMD &&
	    (b == I8042_OUT_WRITE || (b >= I8042_PULSE && !(b & 1))))
		return (u8)(b == I8042_OUT_WRITE ? b - 1 : b | 1);
	if (port == PORT_RESET_CONTROL)
		return b & (u8)~CF9_RST_CPU;
	if (port == PORT_PVPANIC)
		return b & (u8)~PVPANIC_PANICKED;
	if (cnt->space_id == 1 && port == cnt->address + 1)
		return b & (u8)~PM1_CNT_SLP_EN_HI;
	if (rst->space_id == 1 && port == rst->address &&
	    b == h->acpi->reset_value)
		return (u8)(b ^ 1);
	return b;
}

static u32 tame_port_write(const struct hostile *h, u16 port, u8 width, u32 val)
{
	u32 out = 0;
	u8 i;

	if (h->all)
		return val;
	for (i = 0; i < width; i++)
		out |= (u32)tame_port_byte(h, (u16)(port + i),
					   (u8)(val >> (8 * i)))
		       << (8 * i);
	return out;
}

__noreturn void hostile_pio_run(const struct acpi_info *ai,
				const struct madt_info *m)
{
	struct hostile h;
	u16 port;
	u8 width;

	hostile_begin(&h, "hostile-pio", ai, m, PIO_DEF_OPS, 0);
	while (hostile_more(&h)) {
		port = pick_port(&h);
		width = hostile_width(&h, false);
		if (hostile_below(&h, 3))
			hostile_pio_write(
				port, width,
				tame_port_write(&h, port, width,
						(u32)hostile_rand(&h)));
		else
			(void)hostile_pio_read(port, width);
		hostile_op(&h);
	}
	hostile_end(&h);
}

/* An MMIO target: a base, its length, and how its writes are tamed. */
enum region_kind { R_LAPIC, R_IOAPIC, R_BAR, R_HOLE };

struct region {
	u64 base, len;
	enum region_kind kind;
	/* R_BAR: where its MSI-X table and virtio common config lie. */
	u64 msix_table, msix_len, common;
};

#define MAX_REGIONS (HOSTILE_MAX_FUNCS * HOSTILE_BARS + 8)

struct mmio_state {
	struct hostile h;
	struct region r[MAX_REGIONS];
	u32 n;
	u32 ioregsel; /* the last index written, for taming IOWIN */
};

static struct region *add_region(struct mmio_state *s, u64 base, u64 len,
				 enum region_kind kind)
{
	if (s->n >= MAX_REGIONS || !len)
		return NULL;
	s->r[s->n] = (struct region){ .base = base, .len = len, .kind = kind };
	return &s->r[s->n++];
}

#define VIRTIO_CAP_CFG_TYPE 3
#define VIRTIO_CAP_BAR 4
#define VIRTIO_CAP_OFFSET 8
#define VIRTIO_PCI_CAP_COMMON_CFG 1

/* Mark BAR @b's MSI-X table and virtio common configuration, if any. */
static void mark_bar(struct region *r, u8 devfn, u32 b)
{
	struct msix x;
	u8 pos;

	if (!msix_probe(&x, devfn) && x.table_bar == b) {
		r->msix_table = r->base + x.table_offset;
		r->msix_len = (u64)x.size * PCI_MSIX_ENTRY_SIZE;
	}
	for (pos = pci_find_cap(devfn, PCI_CAP_ID_VNDR); pos;
	     pos = pci_find_next_cap(devfn, pos, PCI_CAP_ID_VNDR))
		if (pci_read(devfn, (u8)(pos + VIRTIO_CAP_CFG_TYPE), 1) ==
			    VIRTIO_PCI_CAP_COMMON_CFG &&
		    pci_read(devfn, (u8)(pos + VIRTIO_CAP_BAR), 1) == b)
			r->common = r->base +
				    pci_read(devfn,
					     (u8)(pos + VIRTIO_CAP_OFFSET), 4);
}

/* The LAPIC, every I/O APIC, every memory BAR below 4 GiB, some holes. */
static void collect_regions(struct mmio_state *s)
{
	struct region *r;
	u32 i, b;

	add_region(s, apic_base(), 0x1000, R_LAPIC);
	for (i = 0; i < s->h.madt->nr_ioapics; i++)
		add_region(s, s->h.madt->ioapics[i].address, IOAPIC_LEN,
			   R_IOAPIC);
	for (i = 0; i < s->h.nr_funcs; i++)
		for (b = 0; b < HOSTILE_BARS; b++) {
			const struct hostile_bar *bar = &s->h.func[i].bar[b];

			if (bar->io || !bar->size || !bar->reachable)
				continue;
			probe_info("hostile-mmio bar %02x.%u/%u 0x%llx+0x%llx",
				   PCI_SLOT(s->h.func[i].devfn),
				   PCI_FUNC(s->h.func[i].devfn), b, bar->addr,
				   bar->size);
			r = add_region(s, bar->addr,
				       bar->size < MSIX_BAR_SPAN ?
					       bar->size :
					       MSIX_BAR_SPAN,
				       R_BAR);
			if (r)
				mark_bar(r, s->h.func[i].devfn, b);
		}
	add_region(s, 0xfed00000ull, 0x100000, R_HOLE); /* HPET's, unused */
	add_region(s, 0xfef00000ull, 0x100000, R_HOLE);
	add_region(s, 0xff000000ull, 0x1000000, R_HOLE); /* BIOS flash */
}

static bool in_region(u64 addr, u8 width, u64 base, u64 len)
{
	return addr < base + len && base < addr + width;
}

/* An ICR, LVT or SVR write bent into one the guest survives. */
static void lapic_write(struct mmio_state *s, u64 addr, u8 width, u64 val)
{
	u32 off = (u32)(addr - apic_base());

	if (!s->h.all) {
		if (in_region(addr, width, apic_base() + LAPIC_ICR, 4)) {
			addr = apic_base() + LAPIC_ICR;
			width = 4;
			val = hostile_tame_irq(&s->h, (u32)val, true);
		} else if ((off >= 0x320 && off < 0x380) ||
			   (off >= 0x2f0 && off < 0x300)) {
			addr &= ~3ull;
			width = 4;
			val = hostile_tame_irq(&s->h, (u32)val, true);
		} else if (in_region(addr, width, apic_base() + LAPIC_SVR, 4)) {
			addr = apic_base() + LAPIC_SVR;
			width = 4;
			val = hostile_tame_irq(&s->h, (u32)val & ~0x700u,
					       false);
		}
	}
	hostile_mmio_write(addr, width, val);
}

/* Redirection entries' low halves get a survivable vector and mode. */
static void ioapic_write(struct mmio_state *s, const struct region *r, u64 addr,
			 u8 width, u64 val)
{
	u64 off = addr - r->base;

	if (off == IOREGSEL)
		s->ioregsel = (u32)val & (width == 1 ? 0xff : 0xffffffffu);
	if (!s->h.all && in_region(addr, width, r->base + IOWIN, 4) &&
	    s->ioregsel >= 0x10 && s->ioregsel < 0x100 && !(s->ioregsel & 1)) {
		addr = r->base + IOWIN;
		width = 4;
		val = hostile_tame_irq(&s->h, (u32)val, false);
	}
	hostile_mmio_write(addr, width, val);
}

#define COMMON_Q_DESCLO 32
#define COMMON_Q_USEDHI_END 56

/*
 * MSI-X data gets a survivable vector and mode; virtqueue addresses
 * point at scratch RAM or outside RAM, never at the probe itself.
 */
static void bar_write(struct mmio_state *s, const struct region *r, u64 addr,
		      u8 width, u64 val)
{
	u64 entry;

	if (!s->h.all && r->msix_len &&
	    in_region(addr, width, r->msix_table, r->msix_len)) {
		entry = r->msix_table + ((addr - r->msix_table) &
					 ~(u64)(PCI_MSIX_ENTRY_SIZE - 1));
		if (in_region(addr, width, entry + PCI_MSIX_ENTRY_DATA, 4)) {
			addr = entry + PCI_MSIX_ENTRY_DATA;
			width = 4;
			val = hostile_tame_irq(&s->h, (u32)val, true);
		}
	}
	if (!s->h.all && r->common &&
	    in_region(addr, width, r->common + COMMON_Q_DESCLO,
		      COMMON_Q_USEDHI_END - COMMON_Q_DESCLO)) {
		addr &= ~3ull;
		width = 4;
		val = hostile_dma_addr(&s->h);
		if ((addr - r->common) & 4)
			val >>= 32;
	}
	hostile_mmio_write(addr, width, val);
}

static void mmio_op(struct mmio_state *s)
{
	const struct region *r = &s->r[hostile_below(&s->h, s->n)];
	u8 width = hostile_width(&s->h, true);
	u64 addr = r->base + (hostile_below(&s->h, r->len) & ~(u64)(width - 1));
	u64 val = hostile_rand(&s->h);

	/* Reads have no side effect worth taming. */
	if (!hostile_below(&s->h, 3)) {
		(void)hostile_mmio_read(addr, width);
		return;
	}
	if (r->kind == R_LAPIC)
		lapic_write(s, addr, width, val);
	else if (r->kind == R_IOAPIC)
		ioapic_write(s, r, addr, width, val);
	else if (r->kind == R_BAR)
		bar_write(s, r, addr, width, val);
	else
		hostile_mmio_write(addr, width, val);
}

static struct mmio_state mmio;

__noreturn void hostile_mmio_run(const struct acpi_info *ai,
				 const struct madt_info *m)
{
	struct mmio_state *s = &mmio;

	hostile_begin(&s->h, "hostile-mmio", ai, m, MMIO_DEF_OPS, SCRATCH_LEN);
	collect_regions(s);
	while (hostile_more(&s->h)) {
		mmio_op(s);
		hostile_op(&s->h);
	}
	hostile_end(&s->h);
}
