/*
 * Generic Address Structure access (ACPI 6.5 5.2.3.2) in system I/O,
 * system memory and PCI configuration space, with the access width chosen
 * as ACPICA's acpi_hw_get_access_bit_width() does in the common cases:
 * Access Size when given, else the register width rounded up.
 */
#include "acpi.h"
#include "print.h"
#include "x86.h"

#define LOW_4G 0x100000000ull
#define PCI_CONF_ADDR 0xcf8
#define PCI_CONF_DATA 0xcfc

bool gas_valid(const struct acpi_gas *g)
{
	return g->address != 0;
}

static unsigned int gas_width(const struct acpi_gas *g)
{
	unsigned int w = g->bit_width + g->bit_offset;

	if (g->access_size >= 1 && g->access_size <= 4)
		return 8u << (g->access_size - 1);
	if (w <= 8)
		return 8;
	if (w <= 16)
		return 16;
	return w <= 32 ? 32 : 64;
}

static u64 gas_mask(const struct acpi_gas *g)
{
	return g->bit_width >= 64 || !g->bit_width ? ~0ull :
						     (1ull << g->bit_width) - 1;
}

/*
 * Configuration mechanism #1 on segment 0, bus 0. The GAS address holds
 * device (bits 47:32), function (31:16) and offset (15:0).
 */
static u16 pci_select(u64 addr)
{
	u32 dev = (addr >> 32) & 0x1f, fn = (addr >> 16) & 7;
	u32 off = addr & 0xff;

	outl(0x80000000u | dev << 11 | fn << 8 | (off & 0xfc), PCI_CONF_ADDR);
	return PCI_CONF_DATA + (off & 3);
}

static int port_access(u16 port, unsigned int width, u64 *val, bool write)
{
	if (width == 8) {
		if (write)
			outb((u8)*val, port);
		else
			*val = inb(port);
	} else if (width == 16) {
		if (write)
			outw((u16)*val, port);
		else
			*val = inw(port);
	} else if (width == 32) {
		if (write)
			outl((u32)*val, port);
		else
			*val = inl(port);
	} else {
		return -EINVAL;
	}
	return 0;
}

static int mem_access(u64 addr, unsigned int width, u64 *val, bool write)
{
	if (addr >= LOW_4G)
		return -ERANGE;
	if (width == 8 && write)
		mmio_write8(addr, (u8)*val);
	else if (width == 8)
		*val = mmio_read8(addr);
	else if (width == 16 && write)
		mmio_write16(addr, (u16)*val);
	else if (width == 16)
		*val = mmio_read16(addr);
	else if (width == 32 && write)
		mmio_write32(addr, (u32)*val);
	else if (width == 32)
		*val = mmio_read32(addr);
	else if (write)
		mmio_write64(addr, *val);
	else
		*val = mmio_read64(addr);
	return 0;
}

static int gas_access(const struct acpi_gas *g, u64 *val, bool write)
{
	unsigned int width = gas_width(g);

	switch (g->space_id) {
	case ACPI_GAS_IO:
		if (g->address > 0xffff)
			return -ERANGE;
		return port_access((u16)g->address, width, val, write);
	case ACPI_GAS_MEMORY:
		return mem_access(g->address, width, val, write);
	case ACPI_GAS_PCI_CONFIG:
		return port_access(pci_select(g->address), width, val, write);
	default:
		return -EINVAL;
	}
}

int gas_read(const struct acpi_gas *g, u64 *val)
{
	u64 raw = 0;
	int err = gas_access(g, &raw, false);

	*val = (raw >> g->bit_offset) & gas_mask(g);
	return err;
}

int gas_write(const struct acpi_gas *g, u64 val)
{
	u64 raw = (val & gas_mask(g)) << g->bit_offset;

	return gas_access(g, &raw, true);
}

void gas_format(const struct acpi_gas *g, char *buf, size_t size)
{
	static const char *const spaces[] = { "mem", "io", "pci" };
	const char *sp = g->space_id < 3 ? spaces[g->space_id] : "space?";

	probe_snprintf(buf, size, "%s 0x%llx/%u", sp, g->address, gas_width(g));
}
