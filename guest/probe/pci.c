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
			if (id == want) {
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

int pci_enable_mem_bar(u8 devfn, int bar, u32 fallback, u32 *addr, u32 *size,
		       bool *assigned)
{
	u8 reg = (u8)(PCI_BASE_ADDRESS_0 + 4 * bar);
	u32 val = pci_read(devfn, reg, 4), mask;
	u16 cmd;

	if (val & (PCI_BASE_ADDRESS_SPACE_IO | PCI_BASE_ADDRESS_MEM_TYPE_MASK))
		return -ENODEV;
	mask = pci_bar_sizing(devfn, reg, val) & PCI_BASE_ADDRESS_MEM_MASK;
	if (!mask)
		return -ENODEV;
	*size = ~mask + 1;
	*addr = val & PCI_BASE_ADDRESS_MEM_MASK;
	*assigned = !*addr;
	if (*assigned) {
		*addr = (fallback + *size - 1) & mask;
		pci_write(devfn, reg, 4, *addr);
	}
	/* pci_enable_resources(): Command's decode bits by read-modify-write. */
	cmd = (u16)pci_read(devfn, PCI_COMMAND, 2);
	if (!(cmd & PCI_COMMAND_MEMORY))
		pci_write(devfn, PCI_COMMAND, 2, cmd | PCI_COMMAND_MEMORY);
	return 0;
}
