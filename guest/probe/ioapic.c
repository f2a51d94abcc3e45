/*
 * I/O APIC access through IOREGSEL/IOWIN and redirection entries
 * (82093AA datasheet 3.2.4). ISA IRQs are identity-mapped to GSIs,
 * active high and edge triggered, unless an Interrupt Source Override
 * says otherwise (ACPI 6.5 5.2.12.5). The SCI is the exception: it is
 * level triggered and active low unless its override says otherwise
 * (5.2.9, SCI_INT; Linux's acpi_sci_ioapic_setup()), and so are PCI
 * INTx lines (PCI Local Bus Spec 3.0 2.2.6: INTx# is level, active low).
 */
#include "ioapic.h"
#include "print.h"
#include "x86.h"

#define IOREGSEL 0x00
#define IOWIN 0x10
#define IOAPIC_VER 0x01
#define IOAPIC_REDTBL(pin) (0x10 + 2 * (pin))

#define RTE_POLARITY_LOW (1u << 13)
#define RTE_LEVEL (1u << 15)
#define RTE_MASKED (1u << 16)

struct isa_route {
	u32 gsi;
	bool level;
	bool active_low;
};

static u32 ioapic_read(u32 base, u32 reg)
{
	mmio_write32(base + IOREGSEL, reg);
	return mmio_read32(base + IOWIN);
}

static void ioapic_write(u32 base, u32 reg, u32 v)
{
	mmio_write32(base + IOREGSEL, reg);
	mmio_write32(base + IOWIN, v);
}

/*
 * @def's trigger and polarity (ISA: edge, high; the SCI: level, low),
 * then the override for bus 0 / @irq if there is one; its "conforms to
 * the bus" fields (0) keep @def's.
 */
static struct isa_route isa_route(const struct madt_info *m, u8 irq,
				  struct isa_route def)
{
	struct isa_route r = def;
	u32 i;
	u16 pol, trig;

	r.gsi = irq;
	for (i = 0; i < m->nr_isos; i++) {
		if (m->isos[i].bus != 0 || m->isos[i].source != irq)
			continue;
		r.gsi = m->isos[i].gsi;
		pol = m->isos[i].flags & MPS_POLARITY_MASK;
		trig = m->isos[i].flags & MPS_TRIGGER_MASK;
		if (pol)
			r.active_low = pol == MPS_POLARITY_LOW;
		if (trig)
			r.level = trig == MPS_TRIGGER_LEVEL;
	}
	return r;
}

static const struct isa_route isa_default = { 0, false, false };
static const struct isa_route sci_default = { 0, true, true };

/* Maximum Redirection Entry + 1, from the version register. */
static u32 ioapic_pins(u32 base)
{
	return ((ioapic_read(base, IOAPIC_VER) >> 16) & 0xff) + 1;
}

/* The I/O APIC whose GSI range holds @gsi; its pin in @pin. */
static const struct madt_ioapic *ioapic_for(const struct madt_info *m, u32 gsi,
					    u32 *pin)
{
	const struct madt_ioapic *io;
	u32 i, pins;

	for (i = 0; i < m->nr_ioapics; i++) {
		io = &m->ioapics[i];
		pins = ioapic_pins(io->address);
		if (gsi >= io->gsi_base && gsi - io->gsi_base < pins) {
			*pin = gsi - io->gsi_base;
			return io;
		}
	}
	return NULL;
}

/* @what names the source ("irq 4", "pci") in the FAIL and INFO lines. */
static int route(const struct madt_info *m, const char *what,
		 struct isa_route r, u8 vector, u32 dest)
{
	const struct madt_ioapic *io;
	u32 pin, lo = vector;

	io = ioapic_for(m, r.gsi, &pin);
	if (!io) {
		probe_fail("ioapic", "no I/O APIC for %s (GSI %u)", what,
			   r.gsi);
		return -ENODEV;
	}
	lo |= (r.active_low ? RTE_POLARITY_LOW : 0) | (r.level ? RTE_LEVEL : 0);
	/* Linux's __ioapic_write_entry(): high dword first, then low. */
	ioapic_write(io->address, IOAPIC_REDTBL(pin) + 1, dest << 24);
	ioapic_write(io->address, IOAPIC_REDTBL(pin), lo);
	probe_info("ioapic %s -> gsi %u (ioapic %u pin %u) %s %s vector 0x%x",
		   what, r.gsi, io->id, pin, r.level ? "level" : "edge",
		   r.active_low ? "low" : "high", vector);
	return 0;
}

static int route_isa(const struct madt_info *m, u8 irq, struct isa_route r,
		     u8 vector, u32 dest)
{
	char what[16];

	probe_snprintf(what, sizeof(what), "irq %u", irq);
	return route(m, what, r, vector, dest);
}

int ioapic_route_isa(const struct madt_info *m, u8 irq, u8 vector, u32 dest)
{
	return route_isa(m, irq, isa_route(m, irq, isa_default), vector, dest);
}

int ioapic_route_sci(const struct madt_info *m, u8 irq, u8 vector, u32 dest)
{
	return route_isa(m, irq, isa_route(m, irq, sci_default), vector, dest);
}

void ioapic_mask_isa(const struct madt_info *m, u8 irq)
{
	struct isa_route r = isa_route(m, irq, isa_default);
	const struct madt_ioapic *io;
	u32 pin;

	io = ioapic_for(m, r.gsi, &pin);
	if (io)
		ioapic_write(io->address, IOAPIC_REDTBL(pin), RTE_MASKED);
}

int ioapic_route_pci(const struct madt_info *m, u32 gsi, u8 vector, u32 dest)
{
	struct isa_route r = { gsi, true, true };

	return route(m, "pci intx", r, vector, dest);
}

void ioapic_mask_gsi(const struct madt_info *m, u32 gsi)
{
	const struct madt_ioapic *io;
	u32 pin;

	io = ioapic_for(m, gsi, &pin);
	if (io)
		ioapic_write(io->address, IOAPIC_REDTBL(pin), RTE_MASKED);
}
