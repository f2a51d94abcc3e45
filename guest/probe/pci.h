/*
 * PCI configuration mechanism #1 (PCI Local Bus Spec 3.0 3.2.2.3.2) and
 * the one thing firmware would otherwise have done for the probe: give
 * an unassigned 32-bit memory BAR an address.
 */
#ifndef PROBE_PCI_H
#define PROBE_PCI_H

#include "types.h"

/* Type 0 header offsets and bits (Linux's pci_regs.h names). */
#define PCI_VENDOR_ID 0x00
#define PCI_COMMAND 0x04
#define PCI_COMMAND_IO 0x0001
#define PCI_COMMAND_MEMORY 0x0002
#define PCI_COMMAND_MASTER 0x0004
#define PCI_STATUS 0x06
#define PCI_STATUS_CAP_LIST 0x0010
#define PCI_CLASS_REVISION 0x08
#define PCI_REVISION_ID 0x08
#define PCI_HEADER_TYPE 0x0e
#define PCI_HEADER_TYPE_MULTI 0x80
#define PCI_BASE_ADDRESS_0 0x10
#define PCI_BASE_ADDRESS_SPACE_IO 0x01
#define PCI_BASE_ADDRESS_MEM_TYPE_MASK 0x06
#define PCI_BASE_ADDRESS_MEM_TYPE_64 0x04
#define PCI_BASE_ADDRESS_MEM_MASK (~0x0fu)
#define PCI_CAPABILITY_LIST 0x34
#define PCI_INTERRUPT_LINE 0x3c
#define PCI_INTERRUPT_PIN 0x3d

/* Capability IDs (PCI Code and ID Assignment 1.11, chapter 2). */
#define PCI_CAP_ID_VNDR 0x09
#define PCI_CAP_ID_MSIX 0x11

/* Bus 0 only: a function is its devfn (device << 3 | function). */
#define PCI_DEVFN(dev, fn) ((u8)(((dev) << 3) | (fn)))
#define PCI_SLOT(devfn) ((devfn) >> 3)
#define PCI_FUNC(devfn) ((devfn)&7)

/*
 * Linux's pci_conf1_read()/pci_conf1_write() (arch/x86/pci/direct.c):
 * the dword address to 0xCF8, then an access of @size (1, 2, 4) at
 * 0xCFC + (reg & 3).
 */
u32 pci_read(u8 devfn, u8 reg, u8 size);
void pci_write(u8 devfn, u8 reg, u8 size, u32 val);

/* The first function on bus 0 with @vendor:@device; false if none. */
bool pci_find(u16 vendor, u16 device, u8 *devfn);
/*
 * The @nth (from 0) function on bus 0 with @vendor:@device, in slot and
 * function order (the order Linux's bus scan adds them); false if fewer.
 */
bool pci_find_nth(u16 vendor, u16 device, u32 nth, u8 *devfn);

/*
 * Make 32-bit memory BAR @bar decode, as firmware and then Linux's
 * pci_enable_device() would: size it (decoding off meanwhile, as
 * __pci_read_base() does); if it holds no address, give it @fallback
 * (aligned up to its size); set Command.MEMORY. Returns its address and
 * size through @addr and @size, whether it was @assigned here; -ENODEV
 * if the BAR is absent, I/O or 64-bit.
 */
int pci_enable_mem_bar(u8 devfn, int bar, u32 fallback, u32 *addr, u32 *size,
		       bool *assigned);

/*
 * The same for a 32- or 64-bit memory BAR (a 64-bit one takes @bar and
 * @bar + 1, sized through both halves as __pci_read_base() does). An
 * unassigned one (0 in every half) gets @fallback aligned up to its
 * size; a 32-bit one's @fallback must lie below 4 GiB (else -ERANGE).
 * -ENODEV if the BAR is absent or I/O.
 */
int pci_enable_mem_bar64(u8 devfn, int bar, u64 fallback, u64 *addr, u64 *size,
			 bool *assigned);

/* Command.MASTER, for a function that sends MSI-X messages. */
void pci_set_master(u8 devfn);

/*
 * Offset of the first capability @id in the list at 0x34 (Linux's
 * pci_find_capability()), 0 if there is none or no list. At most 48
 * hops, as Linux's PCI_FIND_CAP_TTL, so a looping list ends.
 */
u8 pci_find_cap(u8 devfn, u8 id);
/*
 * The next capability @id after the one at @pos (Linux's
 * pci_find_next_capability()), 0 if none; the same bound on hops.
 */
u8 pci_find_next_cap(u8 devfn, u8 pos, u8 id);

#endif
