/*
 * MADT walk (ACPI 6.5 5.2.12): processors, I/O APICs and interrupt
 * source overrides. Each entry's length is checked against both its type
 * and the table end, so a malformed table cannot run the walk away.
 */
#include "madt.h"
#include "lib.h"
#include "print.h"

#define MADT_LAPIC 0
#define MADT_IOAPIC 1
#define MADT_ISO 2
#define MADT_LAPIC_OVERRIDE 5
#define MADT_X2APIC 9

#define MADT_CPU_ENABLED 0x1

/* Entries after the 44-byte fixed part (ACPI 6.5 table 5.19). */
struct madt_fixed {
	struct acpi_sdt hdr;
	u32 lapic_address;
	u32 flags;
} __packed;

/* Minimum length of each entry type the probe reads. */
static u8 entry_min_len(u8 type)
{
	switch (type) {
	case MADT_LAPIC:
		return 8;
	case MADT_IOAPIC:
		return 12;
	case MADT_ISO:
		return 10;
	case MADT_LAPIC_OVERRIDE:
		return 12;
	case MADT_X2APIC:
		return 16;
	default:
		return 2;
	}
}

static u32 rd32(const u8 *p)
{
	u32 v;

	__builtin_memcpy(&v, p, 4);
	return v;
}

static void add_cpu(struct madt_info *m, u32 apic_id, u32 flags)
{
	if (!(flags & MADT_CPU_ENABLED))
		return;
	if (m->nr_cpus < MAX_CPUS)
		m->apic_ids[m->nr_cpus] = apic_id;
	m->nr_cpus++;
}

static void add_ioapic(struct madt_info *m, const u8 *e)
{
	struct madt_ioapic *io;

	if (m->nr_ioapics >= MADT_MAX_IOAPICS)
		return;
	io = &m->ioapics[m->nr_ioapics++];
	io->id = e[2];
	io->address = rd32(e + 4);
	io->gsi_base = rd32(e + 8);
}

static void add_iso(struct madt_info *m, const u8 *e)
{
	struct madt_iso *iso;

	if (m->nr_isos >= MADT_MAX_ISOS)
		return;
	iso = &m->isos[m->nr_isos++];
	iso->bus = e[2];
	iso->source = e[3];
	iso->gsi = rd32(e + 4);
	iso->flags = (u16)(e[8] | e[9] << 8);
}

static void madt_entry(struct madt_info *m, const u8 *e)
{
	u64 addr;

	switch (e[0]) {
	case MADT_LAPIC:
		add_cpu(m, e[3], rd32(e + 4));
		break;
	case MADT_X2APIC:
		add_cpu(m, rd32(e + 4), rd32(e + 8));
		break;
	case MADT_IOAPIC:
		add_ioapic(m, e);
		break;
	case MADT_ISO:
		add_iso(m, e);
		break;
	case MADT_LAPIC_OVERRIDE:
		__builtin_memcpy(&addr, e + 4, 8);
		m->lapic_address = addr;
		break;
	}
}

int madt_parse(const struct acpi_sdt *t, struct madt_info *m)
{
	const struct madt_fixed *f = (const void *)t;
	const u8 *p = (const u8 *)(f + 1), *end = (const u8 *)t + t->length;

	*m = (struct madt_info){ 0 };
	if (t->length < sizeof(*f)) {
		probe_fail("acpi", "APIC: length %u too short", t->length);
		return -EINVAL;
	}
	m->lapic_address = f->lapic_address;
	while (p < end) {
		if (end - p < 2 || p[1] < entry_min_len(p[0]) ||
		    p[1] > end - p) {
			probe_fail(
				"acpi",
				"APIC: bad entry type %u length %u at offset %u",
				p[0], end - p < 2 ? 0 : p[1],
				(unsigned int)(p - (const u8 *)t));
			return -EINVAL;
		}
		madt_entry(m, p);
		p += p[1];
	}
	return 0;
}
