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

/* One MSI-X table entry (section 6.8.2.6-9) as dwords. */
enum {
	MSIX_ADDR_LO = PCI_MSIX_ENTRY_LOWER_ADDR / 4,
	MSIX_ADDR_HI = PCI_MSIX_ENTRY_UPPER_ADDR / 4,
	MSIX_DATA = PCI_MSIX_ENTRY_DATA / 4,
	MSIX_CTRL = PCI_MSIX_ENTRY_VECTOR_CTRL / 4,
};

/* What a vector sends, and whether it may. */
struct pci_msix_msg {
	bool masked;
	u64 addr;
	u32 data;
};

struct pci_msix {
	int nvec;
	u8 cap; /* offset of the capability in cfg[] */
	int bar;
	u32 table_off, pba_off;
	io_handler fn; /* the device's handler for the rest of the BAR */
	void *dev;
	/* Under state_lock: */
	u64 *pba;
	u32 (*table)[4];
	/* Under bus->lock: what msix_update last told the device. */
	struct pci_msix_msg *told;
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

/* Message Control's enable bit. Under state_lock. */
static bool pci_msix_on(const struct pci_dev *pd)
{
	return pd->msix &&
	       (pci_get(pd->cfg + pd->msix->cap + PCI_MSIX_FLAGS, 2) &
		PCI_MSIX_FLAGS_ENABLE);
}

/*
 * Recompute the function's share of its INTx GSI (section 6.2.2, Command
 * bit 10 and Status bit 3): Status.INT_STATUS shows the device's request,
 * the line is asserted only while INTX_DISABLE is clear and MSI-X is off
 * (section 6.8.2: an MSI-X function never uses INTx). The GSI is shared
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
	if (pd->intx_level && !(cmd & PCI_COMMAND_INTX_DISABLE) &&
	    !pci_msix_on(pd))
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

/* --- MSI-X (section 6.8.2) --- */

/* Do [@a, @a+@alen) and [@b, @b+@blen) share a byte? Neither wraps. */
static bool pci_ranges_meet(u64 a, u64 alen, u64 b, u64 blen)
{
	return a < b + blen && b < a + alen;
}

static u64 pci_msix_table_len(int nvec)
{
	return (u64)nvec * PCI_MSIX_ENTRY_SIZE;
}

/* One pending bit per vector, in qwords (section 6.8.2.10). */
static u64 pci_msix_pba_len(int nvec)
{
	return (nvec + 63) / 64 * 8ULL;
}

/* Vector @vec's message now, and whether it may go. Under state_lock. */
static struct pci_msix_msg pci_msix_msg(const struct pci_dev *pd, int vec)
{
	const struct pci_msix *m = pd->msix;
	u16 ctl = pci_get(pd->cfg + m->cap + PCI_MSIX_FLAGS, 2);
	const u32 *e = m->table[vec];

	return (struct pci_msix_msg){
		.masked = !(ctl & PCI_MSIX_FLAGS_ENABLE) ||
			  (ctl & PCI_MSIX_FLAGS_MASKALL) ||
			  (e[MSIX_CTRL] & PCI_MSIX_ENTRY_CTRL_MASKBIT),
		.addr = e[MSIX_ADDR_LO] | (u64)e[MSIX_ADDR_HI] << 32,
		.data = e[MSIX_DATA],
	};
}

/* Clear @vec's pending bit; was it set? Under state_lock. */
static bool pci_msix_take_pending(struct pci_msix *m, int vec)
{
	u64 bit = 1ULL << (vec % 64);
	bool was = m->pba[vec / 64] & bit;

	m->pba[vec / 64] &= ~bit;
	return was;
}

static int pci_msix_send(struct pci_dev *pd, const struct pci_msix_msg *msg)
{
	int ret = env_msi_send(pd->bus->env, msg->addr, msg->data);

	if (ret)
		log_warn_once(
			"pci 00:%02x.0: MSI-X message to %#llx refused: %s",
			pd->slot, (unsigned long long)msg->addr,
			strerror(-ret));
	return ret;
}

/*
 * After the guest changed vector @vec's entry or Message Control: tell
 * the device what changed for it, and send the message held pending while
 * the vector was masked (section 6.8.2.9). Under bus->lock, which keeps
 * the msix_update calls in the guest's order.
 */
static void pci_msix_sync(struct pci_dev *pd, int vec)
{
	struct pci_msix *m = pd->msix;
	struct pci_msix_msg now, *told = &m->told[vec];
	bool send = false;

	pci_dev_lock(pd);
	now = pci_msix_msg(pd, vec);
	if (!now.masked)
		send = pci_msix_take_pending(m, vec);
	pci_dev_unlock(pd);
	if (now.masked != told->masked ||
	    (!now.masked &&
	     (now.addr != told->addr || now.data != told->data))) {
		*told = now;
		if (pd->ops && pd->ops->msix_update)
			pd->ops->msix_update(pd, vec, now.addr, now.data,
					     now.masked);
	}
	if (send)
		pci_msix_send(pd, &now);
}

static void pci_msix_sync_all(struct pci_dev *pd)
{
	int vec;

	for (vec = 0; vec < pd->msix->nvec; vec++)
		pci_msix_sync(pd, vec);
}

/*
 * Software uses aligned dwords or qwords on the table and the PBA
 * (section 6.8.2); anything else is ignored.
 */
static bool pci_msix_access_ok(u64 off, u8 size, u64 len)
{
	return (size == 4 || size == 8) && !(off & (size - 1)) &&
	       off + size <= len;
}

/* Vector Control keeps only the mask bit; the rest is reserved, 0. */
static void pci_msix_entry_put(u32 *e, int w, u32 val)
{
	e[w] = w == MSIX_CTRL ? val & PCI_MSIX_ENTRY_CTRL_MASKBIT : val;
}

static enum io_res pci_msix_table_io(struct pci_dev *pd, u64 off,
				     struct io_access *a)
{
	struct pci_msix *m = pd->msix;
	int vec = off / PCI_MSIX_ENTRY_SIZE;
	int w = off % PCI_MSIX_ENTRY_SIZE / 4;
	u32 *e;

	if (!pci_msix_access_ok(off, a->size, pci_msix_table_len(m->nvec)))
		return IO_ERROR;
	e = m->table[vec];
	if (!a->write) {
		pci_dev_lock(pd);
		a->val = e[w];
		if (a->size == 8)
			a->val |= (u64)e[w + 1] << 32;
		pci_dev_unlock(pd);
		return IO_OK;
	}
	pthread_mutex_lock(&pd->bus->lock);
	pci_dev_lock(pd);
	pci_msix_entry_put(e, w, (u32)a->val);
	if (a->size == 8)
		pci_msix_entry_put(e, w + 1, (u32)(a->val >> 32));
	pci_dev_unlock(pd);
	pci_msix_sync(pd, vec);
	pthread_mutex_unlock(&pd->bus->lock);
	return IO_OK;
}

/* The PBA is read-only (section 6.8.2.10): writes are dropped. */
static enum io_res pci_msix_pba_io(struct pci_dev *pd, u64 off,
				   struct io_access *a)
{
	struct pci_msix *m = pd->msix;

	if (!pci_msix_access_ok(off, a->size, pci_msix_pba_len(m->nvec)))
		return IO_ERROR;
	if (a->write)
		return IO_OK;
	pci_dev_lock(pd);
	a->val = m->pba[off / 8] >> (8 * (off % 8));
	pci_dev_unlock(pd);
	if (a->size == 4)
		a->val &= 0xffffffffu;
	return IO_OK;
}

/* The MSI-X BAR: table, PBA, and the device's own registers around them. */
static enum io_res pci_msix_bar_io(void *opaque, struct io_access *a)
{
	struct pci_dev *pd = opaque;
	struct pci_msix *m = pd->msix;

	/* Unsigned: an offset below the range wraps to a huge one. */
	if (a->off - m->table_off < pci_msix_table_len(m->nvec))
		return pci_msix_table_io(pd, a->off - m->table_off, a);
	if (a->off - m->pba_off < pci_msix_pba_len(m->nvec))
		return pci_msix_pba_io(pd, a->off - m->pba_off, a);
	return m->fn ? m->fn(m->dev, a) : IO_UNHANDLED;
}

int pci_msix_notify(struct pci_dev *pd, int vec)
{
	struct pci_msix *m = pd->msix;
	struct pci_msix_msg msg;
	bool enabled;

	if (!m || !pd->bus || vec < 0 || vec >= m->nvec)
		return -EINVAL;
	pci_dev_lock(pd);
	enabled = pci_msix_on(pd);
	msg = pci_msix_msg(pd, vec);
	if (enabled && msg.masked)
		m->pba[vec / 64] |= 1ULL << (vec % 64);
	pci_dev_unlock(pd);
	if (!enabled)
		return -ENOTCONN;
	return msg.masked ? 0 : pci_msix_send(pd, &msg);
}

void pci_irqfd_set(struct dev_env *env, struct pci_irqfd *v, bool on, u64 addr,
		   u32 data)
{
	int gsi;

	if (on) {
		gsi = env_msi_route(env, v->gsi, addr, data);
		if (gsi < 0)
			return;
		v->gsi = gsi;
		if (!v->on && !env_irqfd(env, v->efd, gsi, true))
			v->on = true;
		return;
	}
	if (v->on)
		env_irqfd(env, v->efd, v->gsi, false);
	v->on = false;
	if (v->gsi >= 0)
		env_msi_unroute(env, v->gsi);
	v->gsi = -1;
}

bool pci_msix_enabled(struct pci_dev *pd)
{
	bool on;

	pci_dev_lock(pd);
	on = pci_msix_on(pd);
	pci_dev_unlock(pd);
	return on;
}

static void pci_msix_free(struct pci_msix *m)
{
	if (!m)
		return;
	free(m->table);
	free(m->pba);
	free(m->told);
	free(m);
}

static struct pci_msix *pci_msix_alloc(int nvec)
{
	struct pci_msix *m = calloc(1, sizeof(*m));
	int i;

	if (!m)
		return NULL;
	m->nvec = nvec;
	m->table = calloc(nvec, sizeof(*m->table));
	m->pba = calloc(pci_msix_pba_len(nvec) / 8, sizeof(*m->pba));
	m->told = calloc(nvec, sizeof(*m->told));
	if (!m->table || !m->pba || !m->told) {
		pci_msix_free(m);
		return NULL;
	}
	/* Reset state: every vector masked (section 6.8.2.9). */
	for (i = 0; i < nvec; i++) {
		m->table[i][MSIX_CTRL] = PCI_MSIX_ENTRY_CTRL_MASKBIT;
		m->told[i].masked = true;
	}
	return m;
}

static int pci_msix_check(const struct pci_dev *pd, int nvec, int bar,
			  u32 table_off, u32 pba_off)
{
	u64 tlen = pci_msix_table_len(nvec), plen = pci_msix_pba_len(nvec);
	const struct pci_bar *b;

	if (pd->msix || pd->bus)
		return -EBUSY;
	if (nvec < 1 || nvec > PCI_MSIX_MAX_VECTORS || bar < 0 ||
	    bar >= PCI_NUM_BARS)
		return -EINVAL;
	/* The low 3 bits of both offset registers hold the BIR. */
	if ((table_off | pba_off) & PCI_MSIX_BIR ||
	    pci_ranges_meet(table_off, tlen, pba_off, plen))
		return -EINVAL;
	if (bar > 0 && pd->bar[bar - 1].size && pd->bar[bar - 1].mem64)
		return -EINVAL;
	b = &pd->bar[bar];
	if (b->size &&
	    (b->io || table_off + tlen > b->size || pba_off + plen > b->size))
		return -EINVAL;
	return 0;
}

/* An undeclared MSI-X BAR: 32-bit memory, a power of two >= 4 KiB. */
static void pci_msix_declare_bar(struct pci_bar *b, u64 end)
{
	b->size = 4096;
	while (b->size < end)
		b->size <<= 1;
}

int pci_msix_init(struct pci_dev *pd, int nvec, int bar, u32 table_off,
		  u32 pba_off)
{
	struct pci_msix *m;
	struct pci_bar *b;
	int ret;
	u8 cap;

	ret = pci_msix_check(pd, nvec, bar, table_off, pba_off);
	if (ret)
		return ret;
	m = pci_msix_alloc(nvec);
	if (!m)
		return -ENOMEM;
	ret = pci_dev_add_cap(pd, PCI_CAP_ID_MSIX, PCI_CAP_MSIX_SIZEOF, &cap);
	if (ret) {
		pci_msix_free(m);
		return ret;
	}
	pci_put(pd->cfg + cap + PCI_MSIX_FLAGS, 2, nvec - 1);
	pd->wmask[cap + PCI_MSIX_FLAGS + 1] =
		(PCI_MSIX_FLAGS_ENABLE | PCI_MSIX_FLAGS_MASKALL) >> 8;
	pci_put(pd->cfg + cap + PCI_MSIX_TABLE, 4, table_off | bar);
	pci_put(pd->cfg + cap + PCI_MSIX_PBA, 4, pba_off | bar);
	b = &pd->bar[bar];
	if (!b->size)
		pci_msix_declare_bar(b,
				     MAX(table_off + pci_msix_table_len(nvec),
					 pba_off + pci_msix_pba_len(nvec)));
	m->cap = cap;
	m->bar = bar;
	m->table_off = table_off;
	m->pba_off = pba_off;
	m->fn = b->fn;
	m->dev = b->dev;
	b->fn = pci_msix_bar_io;
	b->dev = pd;
	pd->msix = m;
	return 0;
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
	if (pd->msix &&
	    pci_ranges_meet(off, size, pd->msix->cap + PCI_MSIX_FLAGS, 2))
		pci_msix_sync_all(pd);
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

	if (bus) {
		pci_dev_set_intx(pd, 0);
		pthread_mutex_lock(&bus->lock);
		for (i = 0; i < PCI_NUM_BARS; i++)
			if (pd->bar[i].size)
				pci_bar_move(pd, i, PCI_BAR_NONE);
		bus->slot[pd->slot] = NULL;
		pd->bus = NULL;
		pthread_mutex_unlock(&bus->lock);
	}
	pci_msix_free(pd->msix);
	pd->msix = NULL;
}
