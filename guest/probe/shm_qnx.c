/*
 * The QNX shmem device (QNX's <guest_shm.h>; vessel's side is
 * docs/shmem.md). Factory page, BAR0:
 *   0x00 signature u64   0x08 shmem u64 (control page of the last
 *   connection)   0x10 vector u32 (INTx GSI)   0x14 status u32
 *   0x18 size u32 (write: create or attach, in 4 KiB pages)
 *   0x1c name[32]   0x3c find u32 (write: attach if it exists)
 * Control page of a connection (BAR2 + k * 64 MiB, data right after):
 *   0x0 status (low 16: who notified me, read-to-clear; high 16: who is
 *   attached)   0x4 idx   0x8 notify (bitset, ~0: all others)
 *   0xc detach.
 * Every access is a single MMIO instruction of the register's width, as
 * the volatile struct accesses of QNX's and Linux's drivers compile to.
 */
#include "shm_qnx.h"
#include "apic.h"
#include "ioapic.h"
#include "lib.h"
#include "paging.h"
#include "pci.h"
#include "print.h"
#include "trap.h"
#include "x86.h"

#define GUEST_SHM_SIGNATURE 0x4d534732474d5651ull /* "QVMG2GSM" */

#define FACTORY_SIGNATURE 0x00
#define FACTORY_SHMEM 0x08
#define FACTORY_VECTOR 0x10
#define FACTORY_STATUS 0x14
#define FACTORY_SIZE 0x18
#define FACTORY_NAME 0x1c
#define FACTORY_FIND 0x3c

#define CTRL_STATUS 0x0
#define CTRL_IDX 0x4
#define CTRL_NOTIFY 0x8
#define CTRL_DETACH 0xc

/* Where BAR0 goes if nothing assigned it: vessel's 32-bit BAR window. */
#define FACTORY_FALLBACK 0xfe100000u

static const char *const gss_names[] = {
	"GSS_OK",
	"GSS_UNKNOWN_FAILURE",
	"GSS_NOMEM",
	"GSS_CLIENT_MAX",
	"GSS_ILLEGAL_NAME",
	"GSS_NO_PERMISSION",
	"GSS_DOES_NOT_EXIST",
};

const char *qnx_shm_status_name(u32 status)
{
	return status < ARRAY_SIZE(gss_names) ? gss_names[status] : "GSS_?";
}

static int enable_bars(struct qnx_shm *d, u64 window_fallback, const char *step)
{
	u64 addr, size;
	bool assigned;
	int err;

	err = pci_enable_mem_bar64(d->devfn, 0, FACTORY_FALLBACK, &addr, &size,
				   &assigned);
	if (err || size < QNX_SHM_PAGE || addr >> 32) {
		probe_fail(step, "BAR0 (factory page): %s",
			   err ? "absent or I/O" :
				 "under 4 KiB or above 4 GiB");
		return -ENODEV;
	}
	d->factory = addr;
	probe_info("shm-qnx 00:%02x.%u BAR0 0x%llx size 0x%llx%s",
		   PCI_SLOT(d->devfn), PCI_FUNC(d->devfn), addr, size,
		   assigned ? " (assigned by the probe)" : "");
	err = pci_enable_mem_bar64(d->devfn, 2, window_fallback, &addr, &size,
				   &assigned);
	if (err) {
		probe_fail(step, "BAR2 (connection window) absent or I/O");
		return -ENODEV;
	}
	d->window = addr;
	d->window_size = size;
	probe_info("shm-qnx BAR2 0x%llx size 0x%llx%s", addr, size,
		   assigned ? " (assigned by the probe)" : "");
	if (!paging_map_device(addr, size)) {
		probe_fail(step,
			   "BAR2 0x%llx size 0x%llx: beyond the probe's "
			   "page tables",
			   addr, size);
		return -ENODEV;
	}
	return 0;
}

int qnx_shm_init(struct qnx_shm *d, u64 window_fallback, const char *step)
{
	u64 sig;
	u8 line;

	if (!pci_find(QNX_SHM_VENDOR, QNX_SHM_DEVICE, &d->devfn)) {
		probe_fail(step, "no PCI device 1c05:0001 on bus 0");
		return -ENODEV;
	}
	if (enable_bars(d, window_fallback, step))
		return -ENODEV;
	sig = mmio_read64(d->factory + FACTORY_SIGNATURE);
	if (sig != GUEST_SHM_SIGNATURE) {
		probe_fail(step, "factory signature 0x%llx, want 0x%llx", sig,
			   GUEST_SHM_SIGNATURE);
		return -ENODEV;
	}
	d->gsi = mmio_read32(d->factory + FACTORY_VECTOR);
	line = (u8)pci_read(d->devfn, PCI_INTERRUPT_LINE, 1);
	if (d->gsi != line) {
		probe_fail(step, "factory vector %u, Interrupt Line %u", d->gsi,
			   line);
		return -ENODEV;
	}
	return 0;
}

void qnx_shm_set_name(const struct qnx_shm *d, const char *name, size_t len,
		      bool bytewise)
{
	u8 buf[QNX_SHM_MAX_NAME] = { 0 };
	u32 word;
	size_t i;

	memcpy(buf, name, len < sizeof(buf) ? len : sizeof(buf));
	for (i = 0; i < sizeof(buf); i += bytewise ? 1 : 4) {
		if (bytewise) {
			mmio_write8(d->factory + FACTORY_NAME + i, buf[i]);
			continue;
		}
		memcpy(&word, buf + i, 4);
		mmio_write32(d->factory + FACTORY_NAME + i, word);
	}
}

u32 qnx_shm_connect(const struct qnx_shm *d, u32 pages, bool find,
		    struct qnx_shm_conn *c)
{
	u32 status;

	/* guest_shm_find()'s number is not interpreted by vessel. */
	if (find)
		mmio_write32(d->factory + FACTORY_FIND, 1);
	else
		mmio_write32(d->factory + FACTORY_SIZE, pages);
	status = mmio_read32(d->factory + FACTORY_STATUS);
	if (status != GSS_OK)
		return status;
	c->ctrl = mmio_read64(d->factory + FACTORY_SHMEM);
	c->data = c->ctrl + QNX_SHM_PAGE;
	c->pages = mmio_read32(d->factory + FACTORY_SIZE);
	c->idx = mmio_read32(c->ctrl + CTRL_IDX);
	c->notified = c->peers = c->irqs = 0;
	return GSS_OK;
}

static struct qnx_shm_conn *irq_conn;

u32 qnx_shm_poll(struct qnx_shm_conn *c)
{
	u32 status = mmio_read32(c->ctrl + CTRL_STATUS);

	c->notified |= status & 0xffff;
	c->peers = status >> 16;
	return status;
}

/* Level triggered: the status read drops the line before the EOI. */
static void qnx_shm_irq(u8 vector)
{
	struct qnx_shm_conn *c = READ_ONCE(irq_conn);

	(void)vector;
	if (c) {
		qnx_shm_poll(c);
		c->irqs++;
	}
	apic_eoi();
}

int qnx_shm_irq_enable(const struct qnx_shm *d, struct qnx_shm_conn *c,
		       const struct madt_info *m)
{
	WRITE_ONCE(irq_conn, c);
	trap_set_handler(VEC_SHM, qnx_shm_irq);
	return ioapic_route_pci(m, d->gsi, VEC_SHM, apic_id());
}

void qnx_shm_irq_disable(const struct qnx_shm *d, const struct madt_info *m)
{
	ioapic_mask_gsi(m, d->gsi);
	WRITE_ONCE(irq_conn, NULL);
}

void qnx_shm_notify(const struct qnx_shm_conn *c, u32 mask)
{
	mmio_write32(c->ctrl + CTRL_NOTIFY, mask);
}

void qnx_shm_detach(const struct qnx_shm_conn *c)
{
	mmio_write32(c->ctrl + CTRL_DETACH, 1);
}
