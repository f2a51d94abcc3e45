// SPDX-License-Identifier: Apache-2.0
/*
 * PCI bus 0: configuration mechanism #1, the host bridge, and the generic
 * header of every function (PCI Local Bus Spec 3.0 sections 3.2.2.3.2 and
 * 6.1-6.2). [cloud-hypervisor pci/src/configuration.rs; kvmtool pci.c
 * pci_config_writable]
 *
 * The host bridge is 1b36:0008, the ID QEMU registered for its generic
 * "PCIe host bridge" (QEMU docs/specs/pci-ids.rst). 8086:29c0 would claim
 * a Q35 MCH, whose chipset registers (PCIEXBAR, PAM, SMRAM) we do not have
 * and which Linux's intel-agp binds to; a paravirtual ID promises only the
 * type 0 header, and no Linux driver or quirk matches it. Linux's mechanism
 * #1 sanity check (arch/x86/pci/direct.c pci_sanity_check) is satisfied by
 * the class: a host bridge (0x0600) on bus 0.
 */
#include "pci.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "../../common/log.h"
#include "../boot/layout.h"

/*
 * CONFIG_ADDRESS (section 3.2.2.3.2): enable bit 31, bus 23:16, device
 * 15:11, function 10:8, register 7:2. Bits 30:24 and 1:0 are reserved and
 * read back as 0 (Linux's pci_check_type1 reads back 0x80000000).
 */
#define PCI_CONFIG_ENABLE 0x80000000u
#define PCI_CONFIG_ADDR_MASK 0x80fffffcu
#define PCI_CONFIG_BUS(a) (((a) >> 16) & 0xff)
#define PCI_CONFIG_SLOT(a) (((a) >> 11) & 0x1f)
#define PCI_CONFIG_FUNC(a) (((a) >> 8) & 0x7)
#define PCI_CONFIG_REG(a) ((a)&0xfc)

#define PCI_BAR(i) (PCI_BASE_ADDRESS_0 + 4 * (i))
#define PCI_BAR_NONE (~0ULL)
#define PCI_BAR_MAX_IO 256 /* section 6.2.5.1 */
#define PCI_BAR_MIN_MEM 16
#define PCI_IO_LIMIT 0x10000ULL /* x86 I/O space */
#define PCI_MEM32_LIMIT (1ULL << 32)
#define PCI_MEM64_LIMIT (1ULL << 52) /* widest x86 physical address */
#define PCI_MAX_GSI 24

#define PCI_COMMAND_WMASK                                           \
	(PCI_COMMAND_IO | PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER | \
	 PCI_COMMAND_SERR | PCI_COMMAND_INTX_DISABLE)
#define PCI_STATUS_W1C                                               \
	(PCI_STATUS_PARITY | PCI_STATUS_SIG_TARGET_ABORT |           \
	 PCI_STATUS_REC_TARGET_ABORT | PCI_STATUS_REC_MASTER_ABORT | \
	 PCI_STATUS_SIG_SYSTEM_ERROR | PCI_STATUS_DETECTED_PARITY)

struct pci_bus {
	struct dev_env *env;
	/* CONFIG_ADDRESS, slots and BAR mappings; held across pci_ops hooks. */
	pthread_mutex_t lock;
	/* Leaf lock: cfg[] bytes and the INTx state, taken by any thread. */
	pthread_mutex_t state_lock;
	u32 config_addr;
	struct pci_dev *slot[PCI_NUM_SLOTS];
	u32 intx_slots[PCI_MAX_GSI]; /* per GSI: the slots asserting it */
	u64 next_mem, next_io; /* firmware-style BAR assignment (pci_dev_add) */
	struct pci_dev host;
};

static u32 pci_get(const u8 *p, u8 size)
{
	u32 v = 0;
	int i;

	for (i = 0; i < size; i++)
		v |= (u32)p[i] << (8 * i);
	return v;
}

static void pci_put(u8 *p, u8 size, u32 v)
{
	int i;

	for (i = 0; i < size; i++)
		p[i] = v >> (8 * i);
}

static void pci_dev_lock(struct pci_dev *pd)
{
	if (pd->bus)
		pthread_mutex_lock(&pd->bus->state_lock);
}

static void pci_dev_unlock(struct pci_dev *pd)
{
	if (pd->bus)
		pthread_mutex_unlock(&pd->bus->state_lock);
}

static bool pci_cfg_range_ok(u32 off, u8 size)
{
	return (size == 1 || size == 2 || size == 4) &&
	       off <= (u32)PCI_CFG_SIZE - size;
}

u32 pci_dev_get_cfg(struct pci_dev *pd, u32 off, u8 size)
{
	u32 v;

	if (!pci_cfg_range_ok(off, size))
		return ~0u;
	pci_dev_lock(pd);
	v = pci_get(pd->cfg + off, size);
	pci_dev_unlock(pd);
	return v;
}

void pci_dev_set_cfg(struct pci_dev *pd, u32 off, u8 size, u32 val)
{
	if (!pci_cfg_range_ok(off, size))
		return;
	pci_dev_lock(pd);
	pci_put(pd->cfg + off, size, val);
	pci_dev_unlock(pd);
}

void pci_dev_init(struct pci_dev *pd, u16 vendor, u16 device, u32 class_code,
		  u8 pin)
{
	memset(pd, 0, sizeof(*pd));
	pci_put(pd->cfg + PCI_VENDOR_ID, 2, vendor);
	pci_put(pd->cfg + PCI_DEVICE_ID, 2, device);
	pci_put(pd->cfg + PCI_CLASS_PROG, 3, class_code);
	pd->cfg[PCI_INTERRUPT_PIN] = pin;
	/* Header type 0, single function: PCI_HEADER_TYPE stays 0. */
	pci_put(pd->wmask + PCI_COMMAND, 2, PCI_COMMAND_WMASK);
	pci_put(pd->w1cmask + PCI_STATUS, 2, PCI_STATUS_W1C);
	pd->wmask[PCI_CACHE_LINE_SIZE] = 0xff;
	pd->wmask[PCI_INTERRUPT_LINE] = 0xff;
	pd->cap_next = PCI_CAP_START;
}

int pci_dev_add_cap(struct pci_dev *pd, u8 id, u8 len, u8 *off)
{
	u32 at = pd->cap_next;
	u8 *link = &pd->cfg[PCI_CAPABILITY_LIST];
	int n = 0;

	if (len < 2)
		return -EINVAL;
	if (at + len > PCI_CFG_SIZE)
		return -ENOSPC;
	/* Append: follow the list we built (bounded all the same). */
	while (*link && n++ < PCI_CFG_SIZE / 4)
		link = &pd->cfg[*link + 1];
	*link = at;
	pd->cfg[at] = id;
	pd->cfg[at + 1] = 0;
	pd->cfg[PCI_STATUS] |= PCI_STATUS_CAP_LIST;
	/* Capabilities are dword aligned (section 6.7). */
	pd->cap_next = ALIGN_UP(at + len, 4);
	*off = at;
	return 0;
}

/* Is BAR @i a valid declaration (section 6.2.5.1)? */
static int pci_bar_check(const struct pci_dev *pd, int i)
{
	const struct pci_bar *b = &pd->bar[i];

	if (b->size & (b->size - 1))
		return -EINVAL;
	if (!b->fn && !(pd->ops && pd->ops->bar_map))
		return -EINVAL;
	if (b->io) {
		if (b->mem64 || b->prefetch || b->size < 4 ||
		    b->size > PCI_BAR_MAX_IO)
			return -EINVAL;
		return 0;
	}
	if (b->size < PCI_BAR_MIN_MEM)
		return -EINVAL;
	if (!b->mem64)
		return b->size <= PCI_MEM32_LIMIT / 2 ? 0 : -EINVAL;
	if (i + 1 >= PCI_NUM_BARS || pd->bar[i + 1].size)
		return -EINVAL;
	return b->size < PCI_MEM64_LIMIT ? 0 : -EINVAL;
}

/*
 * Turn the BAR declarations into header bits: the type flags read-only,
 * the address bits above the size writable, so that writing all-ones reads
 * back ~(size - 1) | flags (section 6.2.5.1).
 */
static int pci_dev_init_bars(struct pci_dev *pd)
{
	int i, ret;

	for (i = 0; i < PCI_NUM_BARS; i++) {
		struct pci_bar *b = &pd->bar[i];
		u64 mask = ~(b->size - 1);
		u32 flags = PCI_BASE_ADDRESS_SPACE_IO;

		if (!b->size)
			continue;
		ret = pci_bar_check(pd, i);
		if (ret)
			return ret;
		if (!b->io)
			flags = (b->mem64 ? PCI_BASE_ADDRESS_MEM_TYPE_64 : 0) |
				(b->prefetch ? PCI_BASE_ADDRESS_MEM_PREFETCH :
					       0);
		mask &= b->io ? ~3ULL : ~0xfULL;
		pci_put(pd->cfg + PCI_BAR(i), 4, flags);
		pci_put(pd->wmask + PCI_BAR(i), 4, (u32)mask);
		b->mapped = false;
		if (b->mem64) {
			i++;
			pci_put(pd->cfg + PCI_BAR(i), 4, 0);
			pci_put(pd->wmask + PCI_BAR(i), 4, mask >> 32);
		}
	}
	return 0;
}

/*
 * Where BAR @i decodes now, or PCI_BAR_NONE: only while its Command enable
 * bit is set and it holds an address whose whole range lies in its space.
 * 0 means unassigned (the firmware and Linux convention); a BAR left at
 * the all-ones sizing value with decoding on fails the range check.
 * Under state_lock.
 */
static u64 pci_bar_decode(const struct pci_dev *pd, int i)
{
	const struct pci_bar *b = &pd->bar[i];
	u16 cmd = pci_get(pd->cfg + PCI_COMMAND, 2);
	u64 addr = pci_get(pd->cfg + PCI_BAR(i), 4), limit;

	if (!b->size)
		return PCI_BAR_NONE;
	if (b->io) {
		if (!(cmd & PCI_COMMAND_IO))
			return PCI_BAR_NONE;
		addr &= ~3ULL;
		limit = PCI_IO_LIMIT;
	} else {
		if (!(cmd & PCI_COMMAND_MEMORY))
			return PCI_BAR_NONE;
		addr &= ~0xfULL;
		limit = PCI_MEM32_LIMIT;
		if (b->mem64) {
			addr |= (u64)pci_get(pd->cfg + PCI_BAR(i + 1), 4) << 32;
			limit = PCI_MEM64_LIMIT;
		}
	}
	if (!addr || addr > limit - b->size)
		return PCI_BAR_NONE;
	return addr;
}

/* Make BAR @i decode at @addr (or nowhere). Under bus->lock. */
static void pci_bar_move(struct pci_dev *pd, int i, u64 addr)
{
	struct pci_bar *b = &pd->bar[i];
	enum bus_space sp = b->io ? BUS_PIO : BUS_MMIO;
	struct dev_env *env = pd->bus->env;

	if (b->mapped && b->addr == addr)
		return;
	if (b->mapped) {
		if (b->fn)
			env_bus_del(env, sp, b->addr);
		b->mapped = false;
		if (pd->ops && pd->ops->bar_map)
			pd->ops->bar_map(pd, i, b->addr, false);
	}
	if (addr == PCI_BAR_NONE)
		return;
	if (b->fn && env_bus_add(env, sp, addr, b->size, b->fn, b->dev)) {
		log_warn_once(
			"pci 00:%02x.0: BAR%d at %#llx overlaps another region; not mapped",
			pd->slot, i, (unsigned long long)addr);
		return;
	}
	b->addr = addr;
	b->mapped = true;
	if (pd->ops && pd->ops->bar_map)
		pd->ops->bar_map(pd, i, addr, true);
}

/*
 * Recompute the function's share of its INTx GSI (section 6.2.2, Command
 * bit 10 and Status bit 3): Status.INT_STATUS shows the device's request,
 * the line is asserted only while INTX_DISABLE is clear. The GSI is shared
 * by several slots (PCI_INTX_GSI), so it stays high while any of them
 * asserts it. Under state_lock.
 */
static void pci_dev_update_intx(struct pci_dev *pd)
{
	u8 pin = pd->cfg[PCI_INTERRUPT_PIN];
	u16 cmd = pci_get(pd->cfg + PCI_COMMAND, 2);
	u32 gsi, *slots, before;

	if (!pin || pin > 4)
		return;
	if (pd->intx_level)
		pd->cfg[PCI_STATUS] |= PCI_STATUS_INTERRUPT;
	else
		pd->cfg[PCI_STATUS] &= ~PCI_STATUS_INTERRUPT;
	gsi = PCI_INTX_GSI(pd->slot, pin - 1);
	if (gsi >= PCI_MAX_GSI)
		return;
	slots = &pd->bus->intx_slots[gsi];
	before = *slots;
	if (pd->intx_level && !(cmd & PCI_COMMAND_INTX_DISABLE))
		*slots |= 1u << pd->slot;
	else
		*slots &= ~(1u << pd->slot);
	if (!before != !*slots)
		env_irq_set(pd->bus->env, gsi, *slots != 0);
}

void pci_dev_set_intx(struct pci_dev *pd, int level)
{
	pci_dev_lock(pd);
	pd->intx_level = level != 0;
	if (pd->bus)
		pci_dev_update_intx(pd);
	pci_dev_unlock(pd);
}

static u32 pci_cfg_read(struct pci_dev *pd, u32 off, u8 size)
{
	u32 val = pci_dev_get_cfg(pd, off, size);

	if (pd->ops && pd->ops->cfg_read)
		pd->ops->cfg_read(pd, off, size, &val);
	return val;
}

/* Merge one guest byte: writable bits take it, w1c bits clear on a 1. */
static void pci_cfg_write_byte(struct pci_dev *pd, u32 off, u8 v)
{
	u8 w = pd->wmask[off], c = pd->w1cmask[off];

	pd->cfg[off] = ((pd->cfg[off] & ~w) | (v & w)) & ~(v & c);
}

/* A guest config write, then everything that depends on the header. */
static void pci_cfg_write(struct pci_dev *pd, u32 off, u8 size, u32 val)
{
	u64 want[PCI_NUM_BARS];
	int i;

	pci_dev_lock(pd);
	for (i = 0; i < size; i++)
		pci_cfg_write_byte(pd, off + i, val >> (8 * i));
	pci_dev_update_intx(pd);
	for (i = 0; i < PCI_NUM_BARS; i++)
		want[i] = pci_bar_decode(pd, i);
	pci_dev_unlock(pd);
	for (i = 0; i < PCI_NUM_BARS; i++)
		if (pd->bar[i].size)
			pci_bar_move(pd, i, want[i]);
	if (pd->ops && pd->ops->cfg_write)
		pd->ops->cfg_write(pd, off, size, val);
}

/*
 * CONFIG_ADDRESS at 0xCF8. Only a dword access is CONFIG_ADDRESS; other
 * sizes are ordinary I/O that nothing decodes (section 3.2.2.3.2), which
 * also keeps Linux's mechanism #2 probe (byte accesses at 0xCF8/0xCFA)
 * from finding one.
 */
static enum io_res pci_addr_io(void *opaque, struct io_access *a)
{
	struct pci_bus *bus = opaque;

	if (a->size != 4)
		return IO_UNHANDLED;
	pthread_mutex_lock(&bus->lock);
	if (a->write)
		bus->config_addr = (u32)a->val & PCI_CONFIG_ADDR_MASK;
	else
		a->val = bus->config_addr;
	pthread_mutex_unlock(&bus->lock);
	return IO_OK;
}

/* The function CONFIG_ADDRESS selects; NULL when none answers. */
static struct pci_dev *pci_bus_selected(struct pci_bus *bus)
{
	u32 a = bus->config_addr;

	if (!(a & PCI_CONFIG_ENABLE) || PCI_CONFIG_BUS(a) || PCI_CONFIG_FUNC(a))
		return NULL;
	return bus->slot[PCI_CONFIG_SLOT(a)];
}

/*
 * CONFIG_DATA at 0xCFC-0xCFF: byte lane (port & 3) of the selected
 * dword. An access that would leave the dword, or that reaches no
 * function, reads all-ones and is dropped (a master abort).
 */
static enum io_res pci_data_io(void *opaque, struct io_access *a)
{
	struct pci_bus *bus = opaque;
	enum io_res res = IO_UNHANDLED;
	struct pci_dev *pd;
	u32 off;

	if ((a->size != 1 && a->size != 2 && a->size != 4) ||
	    a->off + a->size > 4)
		return IO_UNHANDLED;
	pthread_mutex_lock(&bus->lock);
	pd = pci_bus_selected(bus);
	if (pd) {
		off = PCI_CONFIG_REG(bus->config_addr) + a->off;
		if (a->write)
			pci_cfg_write(pd, off, a->size, (u32)a->val);
		else
			a->val = pci_cfg_read(pd, off, a->size);
		res = IO_OK;
	}
	pthread_mutex_unlock(&bus->lock);
	return res;
}

int pci_bus_create(struct dev_env *env, struct pci_bus **out)
{
	struct pci_bus *bus = calloc(1, sizeof(*bus));
	int ret;

	if (!bus)
		return -ENOMEM;
	bus->env = env;
	bus->next_mem = PCI_MMIO32_START;
	bus->next_io = 0xc000;
	pthread_mutex_init(&bus->lock, NULL);
	pthread_mutex_init(&bus->state_lock, NULL);
	pci_dev_init(&bus->host, PCI_HOST_VENDOR, PCI_HOST_DEVICE,
		     PCI_CLASS_BRIDGE_HOST, 0);
	bus->host.bus = bus;
	bus->slot[0] = &bus->host;
	ret = env_bus_add(env, BUS_PIO, PORT_PCI_CONFIG_ADDR, 1, pci_addr_io,
			  bus);
	if (ret)
		goto err_free;
	ret = env_bus_add(env, BUS_PIO, PORT_PCI_CONFIG_DATA, 4, pci_data_io,
			  bus);
	if (ret)
		goto err_addr;
	*out = bus;
	return 0;

err_addr:
	env_bus_del(env, BUS_PIO, PORT_PCI_CONFIG_ADDR);
err_free:
	pthread_mutex_destroy(&bus->state_lock);
	pthread_mutex_destroy(&bus->lock);
	free(bus);
	return ret;
}

void pci_bus_destroy(struct pci_bus *bus)
{
	if (!bus)
		return;
	env_bus_del(bus->env, BUS_PIO, PORT_PCI_CONFIG_DATA);
	env_bus_del(bus->env, BUS_PIO, PORT_PCI_CONFIG_ADDR);
	pthread_mutex_destroy(&bus->state_lock);
	pthread_mutex_destroy(&bus->lock);
	free(bus);
}

void pci_bus_dsdt(struct pci_bus *bus, struct aml *aml)
{
	int s;

	pthread_mutex_lock(&bus->lock);
	for (s = 1; s < PCI_NUM_SLOTS; s++) {
		struct pci_dev *pd = bus->slot[s];

		if (pd && pd->ops && pd->ops->dsdt)
			pd->ops->dsdt(pd, aml);
	}
	pthread_mutex_unlock(&bus->lock);
}

/* Take pd->slot, or the lowest free one when it is 0. Under bus->lock. */
static int pci_bus_take_slot(struct pci_bus *bus, struct pci_dev *pd)
{
	int s = pd->slot;

	if (s >= PCI_NUM_SLOTS)
		return -EINVAL;
	if (s && bus->slot[s])
		return -EBUSY;
	for (s = s ? s : 1; s < PCI_NUM_SLOTS && bus->slot[s]; s++)
		;
	if (s == PCI_NUM_SLOTS)
		return -ENOSPC;
	bus->slot[s] = pd;
	pd->slot = s;
	return 0;
}

/*
 * Give each BAR an address, as firmware does before the OS starts
 * (SeaBIOS pciinit.c): memory BARs from the bottom of the 32-bit window
 * (the DSDT's PCI0 _CRS), I/O BARs from 0xC000, each naturally aligned.
 * Decoding stays off until the OS sets the Command bits, as after
 * firmware; an OS that reassigns them may. Under bus->lock.
 */
static void pci_dev_assign_bars(struct pci_bus *bus, struct pci_dev *pd)
{
	int i;

	for (i = 0; i < PCI_NUM_BARS; i++) {
		struct pci_bar *b = &pd->bar[i];
		u64 *next = b->io ? &bus->next_io : &bus->next_mem;
		u64 end = b->io ? PCI_IO_LIMIT : PCI_MMIO32_END;
		u64 addr = ALIGN_UP(*next, b->size);
		u32 flags;

		if (!b->size || addr + b->size > end)
			continue;
		*next = addr + b->size;
		flags = pci_get(pd->cfg + PCI_BAR(i), 4);
		pci_put(pd->cfg + PCI_BAR(i), 4, (u32)addr | flags);
		if (b->mem64)
			i++; /* the high half stays 0: below 4 GiB */
	}
}

int pci_dev_add(struct pci_bus *bus, struct pci_dev *pd)
{
	u8 pin = pd->cfg[PCI_INTERRUPT_PIN];
	int ret;

	if (pin > 4)
		return -EINVAL;
	ret = pci_dev_init_bars(pd);
	if (ret)
		return ret;
	pthread_mutex_lock(&bus->lock);
	ret = pci_bus_take_slot(bus, pd);
	if (!ret) {
		/* The DSDT's _PRT routes this slot and pin the same way. */
		if (pin)
			pd->cfg[PCI_INTERRUPT_LINE] =
				PCI_INTX_GSI(pd->slot, pin - 1);
		pd->bus = bus;
		pci_dev_assign_bars(bus, pd);
	}
	pthread_mutex_unlock(&bus->lock);
	return ret;
}

void pci_dev_del(struct pci_dev *pd)
{
	struct pci_bus *bus = pd->bus;
	int i;

	if (!bus)
		return;
	pci_dev_set_intx(pd, 0);
	pthread_mutex_lock(&bus->lock);
	for (i = 0; i < PCI_NUM_BARS; i++)
		if (pd->bar[i].size)
			pci_bar_move(pd, i, PCI_BAR_NONE);
	bus->slot[pd->slot] = NULL;
	pd->bus = NULL;
	pthread_mutex_unlock(&bus->lock);
}
