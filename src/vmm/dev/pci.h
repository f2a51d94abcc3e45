/* SPDX-License-Identifier: Apache-2.0 */
#ifndef VESSEL_PCI_H
#define VESSEL_PCI_H

/*
 * The PCI root bus 0: configuration mechanism #1 at ports 0xCF8/0xCFC
 * (PCI Local Bus Spec 3.0 section 3.2.2.3.2), the host bridge at 00:00.0,
 * and the generic part of every PCI function: the type 0 header with its
 * writable and write-1-to-clear masks, BAR sizing and mapping, legacy INTx,
 * and MSI-X (section 6.8.2).
 * A device embeds a struct pci_dev, fills it with pci_dev_init(), declares
 * its BARs and capabilities, and calls pci_dev_add(); its own registers
 * come through the pci_ops hooks and the BAR handlers.
 * [cloud-hypervisor pci/src/configuration.rs, pci/src/msix.rs; kvmtool pci.c]
 *
 * Locking: config accesses and MSI-X table writes are serialised per bus
 * and the pci_ops hooks run inside that serialisation, so a hook may take
 * its device's lock. pci_dev_set_intx(), pci_msix_notify(),
 * pci_msix_enabled(), pci_dev_get_cfg() and pci_dev_set_cfg() take only a
 * leaf lock: a device may call them anywhere, with its own lock held or
 * from a hook.
 */

#include "dev.h"

/* Type 0 header (PCI Local Bus Spec 3.0 section 6.1); Linux pci_regs.h names. */
#define PCI_VENDOR_ID 0x00
#define PCI_DEVICE_ID 0x02
#define PCI_COMMAND 0x04
#define PCI_COMMAND_IO 0x0001
#define PCI_COMMAND_MEMORY 0x0002
#define PCI_COMMAND_MASTER 0x0004
#define PCI_COMMAND_SERR 0x0100
#define PCI_COMMAND_INTX_DISABLE 0x0400
#define PCI_STATUS 0x06
#define PCI_STATUS_INTERRUPT 0x0008
#define PCI_STATUS_CAP_LIST 0x0010
#define PCI_STATUS_PARITY 0x0100
#define PCI_STATUS_SIG_TARGET_ABORT 0x0800
#define PCI_STATUS_REC_TARGET_ABORT 0x1000
#define PCI_STATUS_REC_MASTER_ABORT 0x2000
#define PCI_STATUS_SIG_SYSTEM_ERROR 0x4000
#define PCI_STATUS_DETECTED_PARITY 0x8000
#define PCI_REVISION_ID 0x08
#define PCI_CLASS_PROG 0x09 /* class code: prog-if, sub-class, base class */
#define PCI_CACHE_LINE_SIZE 0x0c
#define PCI_LATENCY_TIMER 0x0d
#define PCI_HEADER_TYPE 0x0e
#define PCI_BASE_ADDRESS_0 0x10
#define PCI_BASE_ADDRESS_SPACE_IO 0x01
#define PCI_BASE_ADDRESS_MEM_TYPE_64 0x04
#define PCI_BASE_ADDRESS_MEM_PREFETCH 0x08
#define PCI_SUBSYSTEM_VENDOR_ID 0x2c
#define PCI_SUBSYSTEM_ID 0x2e
#define PCI_ROM_ADDRESS 0x30
#define PCI_CAPABILITY_LIST 0x34
#define PCI_INTERRUPT_LINE 0x3c
#define PCI_INTERRUPT_PIN 0x3d /* 0: none, 1: INTA# .. 4: INTD# */

/* MSI-X capability and table (section 6.8.2); Linux pci_regs.h names. */
#define PCI_CAP_ID_VNDR 0x09 /* vendor specific */
#define PCI_CAP_ID_MSIX 0x11
#define PCI_MSIX_FLAGS 2 /* Message Control, from the capability */
#define PCI_MSIX_FLAGS_QSIZE 0x07ff /* table size - 1 */
#define PCI_MSIX_FLAGS_MASKALL 0x4000 /* function mask */
#define PCI_MSIX_FLAGS_ENABLE 0x8000
#define PCI_MSIX_TABLE 4 /* table offset | BIR */
#define PCI_MSIX_PBA 8 /* PBA offset | BIR */
#define PCI_MSIX_BIR 0x7
#define PCI_CAP_MSIX_SIZEOF 12
#define PCI_MSIX_ENTRY_SIZE 16
#define PCI_MSIX_ENTRY_LOWER_ADDR 0
#define PCI_MSIX_ENTRY_UPPER_ADDR 4
#define PCI_MSIX_ENTRY_DATA 8
#define PCI_MSIX_ENTRY_VECTOR_CTRL 12
#define PCI_MSIX_ENTRY_CTRL_MASKBIT 0x1
#define PCI_MSIX_MAX_VECTORS 2048

#define PCI_CFG_SIZE 256
#define PCI_CAP_START 0x40 /* first byte after the type 0 header */
#define PCI_NUM_BARS 6
#define PCI_NUM_SLOTS 32

/* The host bridge's identity (pci.c explains the choice). */
#define PCI_HOST_VENDOR 0x1b36
#define PCI_HOST_DEVICE 0x0008
#define PCI_CLASS_BRIDGE_HOST 0x060000

struct aml;
struct pci_bus;
struct pci_dev;
struct pci_msix;

/* A device's own part of config space and BARs; every hook is optional. */
struct pci_ops {
	/*
	 * After the bytes [@off, @off+@size) were read from cfg[] into @val:
	 * adjust @val for registers computed on the fly.
	 */
	void (*cfg_read)(struct pci_dev *pd, u32 off, u8 size, u32 *val);
	/*
	 * After a guest write was merged into cfg[] through wmask and
	 * w1cmask; @val is what the guest wrote (MSI-X enable, etc.).
	 */
	void (*cfg_write)(struct pci_dev *pd, u32 off, u8 size, u32 val);
	/*
	 * BAR @bar started (@mapped) or stopped decoding at @addr. Required
	 * for a BAR without a handler, which the device maps itself (a
	 * RAM-backed shared memory BAR); informative otherwise (ioeventfds).
	 */
	void (*bar_map)(struct pci_dev *pd, int bar, u64 addr, bool mapped);
	/* Append the function's AML inside \_SB.PCI0 (pci_bus_dsdt()). */
	void (*dsdt)(struct pci_dev *pd, struct aml *aml);
	/*
	 * MSI-X vector @vec now sends (@addr, @data), or is @masked (its
	 * mask bit, the function mask, or MSI-X disabled): for a device that
	 * keeps an irqfd route per vector (env_msi_route) in step. Called
	 * when the masking changes, or the message of an unmasked vector;
	 * before a pending message goes out on unmask.
	 */
	void (*msix_update)(struct pci_dev *pd, int vec, u64 addr, u32 data,
			    bool masked);
};

struct pci_bar {
	/* Declared by the device before pci_dev_add(): */
	u64 size; /* 0: unused; a power of two, I/O 4..256, memory >= 16 */
	bool io, mem64, prefetch; /* mem64 takes this BAR and the next */
	io_handler fn; /* accesses with off relative to the BAR, or NULL */
	void *dev;
	/* Owned by pci.c: where the BAR decodes while mapped. */
	u64 addr;
	bool mapped;
};

struct pci_dev {
	u8 cfg[PCI_CFG_SIZE]; /* type 0 header + capabilities, little-endian */
	u8 wmask[PCI_CFG_SIZE]; /* bits the guest may write */
	u8 w1cmask[PCI_CFG_SIZE]; /* bits a guest 1 clears (Status errors) */
	struct pci_bar bar[PCI_NUM_BARS];
	const struct pci_ops *ops;
	void *priv; /* the device, for hooks */
	u8 slot; /* 0 before pci_dev_add(): pick one; else that slot */
	/* Owned by pci.c. */
	struct pci_bus *bus;
	u16 cap_next; /* where pci_dev_add_cap() puts the next capability */
	bool intx_level; /* the device's INTx input (pci_dev_set_intx) */
	struct pci_msix *msix; /* pci_msix_init() */
};

/*
 * Create bus 0 with the host bridge at 00:00.0 and claim the config ports
 * (PORT_PCI_CONFIG_ADDR, one byte so that 0xCF9 stays free for the reset
 * control register, and PORT_PCI_CONFIG_DATA..+3). Called by vm.c before
 * any device. Returns 0 or -errno (-EEXIST when the ports are taken).
 */
int pci_bus_create(struct dev_env *env, struct pci_bus **out);
/* Release the ports and the bus; every pci_dev_del() has happened. */
void pci_bus_destroy(struct pci_bus *bus);
/* Call each added function's pci_ops.dsdt hook, in slot order. */
void pci_bus_dsdt(struct pci_bus *bus, struct aml *aml);

/*
 * Reset @pd and fill its read-only identity: @class_code is the 24-bit
 * base/sub-class/prog-if value (0x010000 = SCSI storage), @pin is 0 for
 * no INTx or 1..4 for INTA#..INTD#. Call before declaring BARs and
 * capabilities; other read-only fields (revision, subsystem IDs) may then
 * be written into cfg[] directly until pci_dev_add().
 */
void pci_dev_init(struct pci_dev *pd, u16 vendor, u16 device, u32 class_code,
		  u8 pin);
/*
 * Append a capability with ID @id and @len bytes (header included) to the
 * list; its bytes after the 2-byte header are zero and read-only until
 * the device sets wmask. Returns its offset through @off; -ENOSPC when
 * config space is full, -EINVAL for @len < 2. Before pci_dev_add() only.
 */
int pci_dev_add_cap(struct pci_dev *pd, u8 id, u8 len, u8 *off);
/*
 * Put @pd on @bus: take pd->slot (1..31) or, when 0, the lowest free one;
 * set Interrupt Line to PCI_INTX_GSI(slot, pin - 1) when it has a pin;
 * turn the BAR declarations into header bits and masks. BARs decode only
 * while their Command enable bit is set and they hold a valid address.
 * Returns 0, -ENOSPC (no free slot), -EBUSY (slot taken), -EINVAL (a bad
 * BAR declaration).
 */
int pci_dev_add(struct pci_bus *bus, struct pci_dev *pd);
/*
 * Unmap the BARs, release INTx and the slot, free the MSI-X state; from
 * the device's destroy (also for one that never reached pci_dev_add()).
 */
void pci_dev_del(struct pci_dev *pd);

/*
 * Drive the function's INTx input. Status.INT_STATUS follows @level; the
 * GSI is asserted while @level is set and Command.INTX_DISABLE is clear,
 * and shared with the other functions routed to it. Any thread.
 */
void pci_dev_set_intx(struct pci_dev *pd, int level);
/*
 * Give @pd MSI-X with @nvec (1..2048) vectors: the capability, and the
 * table at @table_off and the PBA at @pba_off (8-byte aligned, apart)
 * inside memory BAR @bar. pci.c serves those two ranges; the rest of the
 * BAR goes to the handler the device declared there, if any. A BAR the
 * device left undeclared becomes a 32-bit one just large enough (at least
 * 4 KiB). Vectors start masked, MSI-X disabled. Call after declaring the
 * BARs and before pci_dev_add(). Returns 0, -EINVAL (a bad layout),
 * -EBUSY (twice, or after pci_dev_add), -ENOSPC, -ENOMEM.
 */
int pci_msix_init(struct pci_dev *pd, int nvec, int bar, u32 table_off,
		  u32 pba_off);
/*
 * Signal vector @vec: send its message now, or, while it or the function
 * is masked, set its pending bit so that the unmask sends it. Returns 0,
 * -ENOTCONN while MSI-X is disabled (the device uses INTx instead),
 * -EINVAL for a bad @vec, or env_msi_send()'s -errno. Any thread; takes
 * only the leaf lock.
 */
int pci_msix_notify(struct pci_dev *pd, int vec);
/*
 * An MSI-X vector that KVM raises straight from eventfd @efd (an irqfd on
 * a GSI routed to the vector's message), for a device's msix_update hook.
 */
struct pci_irqfd {
	int efd;
	int gsi; /* the route, -1 when none */
	bool on; /* the irqfd is assigned */
};

/*
 * Make @v an irqfd on (@addr, @data) when @on (the vector is unmasked),
 * or stop it and free its route. A route or irqfd KVM refuses leaves it
 * off, so the device goes on signalling through pci_msix_notify(). The
 * caller serialises calls for one vector.
 */
void pci_irqfd_set(struct dev_env *env, struct pci_irqfd *v, bool on, u64 addr,
		   u32 data);

/* Is MSI-X enabled (Message Control bit 15)? Then INTx is not used. */
bool pci_msix_enabled(struct pci_dev *pd);

/* Read/write @size (1, 2, 4) bytes of cfg[] bypassing the masks. Any thread. */
u32 pci_dev_get_cfg(struct pci_dev *pd, u32 off, u8 size);
void pci_dev_set_cfg(struct pci_dev *pd, u32 off, u8 size, u32 val);

#endif
