/*
 * PCI bus 0 through configuration mechanism #1, the way Linux's
 * arch/x86/pci/direct.c reaches it, and BAR assignment for a machine
 * without firmware (vessel boots the probe directly; under QEMU, SeaBIOS
 * has already assigned every BAR and the probe keeps its choice).
 */
#include "pci.h"
#include "x86.h"

#define PCI_CONF1_ADDRESS 0xcf8
#define PCI_CONF1_DATA 0xcfc
#define PCI_CONF1_ENABLE 0x80000000u

static void pci_select(u8 devfn, u8 reg)
{
	outl(PCI_CONF1_ENABLE | (u32)devfn << 8 | (reg & 0xfc),
	     PCI_CONF1_ADDRESS);
}

u32 pci_read(u8 devfn, u8 reg, u8 size)
{
	u16 data = PCI_CONF1_DATA + (reg & 3);

	pci_select(devfn, reg);
	if (size == 1)
		return inb(data);
	if (size == 2)
		return inw(data);
	return inl(data);
}

void pci_write(u8 devfn, u8 reg, u8 size, u32 val)
{
	u16 data = PCI_CONF1_DATA + (reg & 3);

	pci_select(devfn, reg);
	if (size == 1)
		outb((u8)val, data);
	else if (size == 2)
		outw((u16)val, data);
	else
		outl(val, data);
}

/* Linux's pci_bus_read_dev_vendor_id(): one dword, all-ones is nobody. */
static bool pci_present(u8 devfn, u32 *id)
{
	*id = pci_read(devfn, PCI_VENDOR_ID, 4);
	return *id != 0xffffffffu && *id != 0 && *id != 0x0000ffffu &&
	       *id != 0xffff0000u;
}

bool pci_find(u16 vendor, u16 device, u8 *devfn)
{
	return pci_find_nth(vendor, device, 0, devfn);
}

bool pci_find_nth(u16 vendor, u16 device, u32 nth, u8 *devfn)
{
	u32 want = (u32)device << 16 | vendor, id;
	u8 dev, fn, nfn;

	for (dev = 0; dev < 32; dev++) {
		if (!pci_present(PCI_DEVFN(dev, 0), &id))
			continue;
		nfn = pci_read(PCI_DEVFN(dev, 0), PCI_HEADER_TYPE, 1) &
				      PCI_HEADER_TYPE_MULTI ?
			      8 :
			      1;
		for (fn = 0; fn < nfn; fn++) {
			if (fn && !pci_present(PCI_DEVFN(dev, fn), &id))
				continue;
			if (id == want && !nth--) {
				*devfn = PCI_DEVFN(dev, fn);
				return true;
			}
		}
	}
	return false;
}

/*
 * __pci_read_base(): decoding off while all-ones sizes the BAR, so that
 * it never decodes at the sizing value; then the BAR and Command back.
 */
static u32 pci_bar_sizing(u8 devfn, u8 reg, u32 bar)
{
	u16 cmd = (u16)pci_read(devfn, PCI_COMMAND, 2);
	u32 mask;

	pci_write(devfn, PCI_COMMAND, 2,
		  cmd & ~(PCI_COMMAND_IO | PCI_COMMAND_MEMORY));
	pci_write(devfn, reg, 4, 0xffffffffu);
	mask = pci_read(devfn, reg, 4);
	pci_write(devfn, reg, 4, bar);
	pci_write(devfn, PCI_COMMAND, 2, cmd);
	return mask;
}

/* Both halves of a 64-bit BAR at once, decoding off meanwhile. */
static u64 pci_bar64_sizing(u8 devfn, u8 reg, u64 bar)
{
	u16 cmd = (u16)pci_read(devfn, PCI_COMMAND, 2);
	u64 mask;

	pci_write(devfn, PCI_COMMAND, 2,
		  cmd & ~(PCI_COMMAND_IO | PCI_COMMAND_MEMORY));
	pci_write(devfn, reg, 4, 0xffffffffu);
	pci_write(devfn, reg + 4, 4, 0xffffffffu);
	mask = pci_read(devfn, reg, 4) | (u64)pci_read(devfn, reg + 4, 4) << 32;
	pci_write(devfn, reg, 4, (u32)bar);
	pci_write(devfn, reg + 4, 4, (u32)(bar >> 32));
	pci_write(devfn, PCI_COMMAND, 2, cmd);
	return mask;
}

/* pci_enable_resources(): Command's decode bits by read-modify-write. */
static void pci_enable_memory(u8 devfn)
{
	u16 cmd = (u16)pci_read(devfn, PCI_COMMAND, 2);

	if (!(cmd & PCI_COMMAND_MEMORY))
		pci_write(devfn, PCI_COMMAND, 2, cmd | PCI_COMMAND_MEMORY);
}

int pci_enable_mem_bar64(u8 devfn, int bar, u64 fallback, u64 *addr, u64 *size,
			 bool *assigned)
{
	u8 reg = (u8)(PCI_BASE_ADDRESS_0 + 4 * bar);
	u64 val = pci_read(devfn, reg, 4), mask;
	bool is64 = (val & PCI_BASE_ADDRESS_MEM_TYPE_MASK) ==
		    PCI_BASE_ADDRESS_MEM_TYPE_64;

	if (val & PCI_BASE_ADDRESS_SPACE_IO || (is64 && bar == 5))
		return -ENODEV;
	if (is64) {
		val |= (u64)pci_read(devfn, reg + 4, 4) << 32;
		mask = pci_bar64_sizing(devfn, reg, val);
	} else {
		mask = pci_bar_sizing(devfn, reg, (u32)val) | ~0xffffffffull;
	}
	mask &= ~0x0full;
	if (!(u32)mask && !(mask >> 32 && is64))
		return -ENODEV;
	*size = ~mask + 1;
	*addr = val & ~0x0full;
	*assigned = !*addr;
	if (*assigned) {
		*addr = (fallback + *size - 1) & mask;
		if (!is64 && *addr >> 32)
			return -ERANGE;
		pci_write(devfn, reg, 4, (u32)*addr);
		if (is64)
			pci_write(devfn, reg + 4, 4, (u32)(*addr >> 32));
	}
	pci_enable_memory(devfn);
	return 0;
}

int pci_enable_mem_bar(u8 devfn, int bar, u32 fallback, u32 *addr, u32 *size,
		       bool *assigned)
{
	u8 reg = (u8)(PCI_BASE_ADDRESS_0 + 4 * bar);
	u64 a, s;
	int err;

	if (pci_read(devfn, reg, 4) & PCI_BASE_ADDRESS_MEM_TYPE_MASK)
		return -ENODEV;
	err = pci_enable_mem_bar64(devfn, bar, fallback, &a, &s, assigned);
	if (err)
		return err;
	*addr = (u32)a;
	*size = (u32)s;
	return 0;
}

void pci_set_master(u8 devfn)
{
	u16 cmd = (u16)pci_read(devfn, PCI_COMMAND, 2);

	if (!(cmd & PCI_COMMAND_MASTER))
		pci_write(devfn, PCI_COMMAND, 2, cmd | PCI_COMMAND_MASTER);
}

/* __pci_find_next_cap_ttl(): follow the list from the pointer at @pos. */
static u8 find_cap_from(u8 devfn, u8 pos, u8 id)
{
	int ttl;

	pos = (u8)pci_read(devfn, pos, 1);
	for (ttl = 48; ttl && pos >= 0x40; ttl--) {
		pos &= ~3;
		if ((u8)pci_read(devfn, pos, 1) == id)
			return pos;
		pos = (u8)pci_read(devfn, pos + 1, 1);
	}
	return 0;
}

u8 pci_find_cap(u8 devfn, u8 id)
{
	if (!(pci_read(devfn, PCI_STATUS, 2) & PCI_STATUS_CAP_LIST))
		return 0;
	return find_cap_from(devfn, PCI_CAPABILITY_LIST, id);
}

u8 pci_find_next_cap(u8 devfn, u8 pos, u8 id)
{
	return find_cap_from(devfn, pos + 1, id);
}
