/*
 * probe.test=hostile-doorbell: every shared-memory doorbell rung at
 * every peer id (ivshmem: 0..65535, and garbage in the upper half of an
 * 8-byte write; qnx: every notify mask, more connections than the
 * device has), MSI-X enabled on ivshmem with random vectors and its own
 * doorbell rung, writes to the MSI window 0xFEExxxxx beyond the LAPIC
 * page, and IPIs: to APIC ids that do not exist, NMIs, broadcasts, a
 * self-IPI at every vector from 32 up. With probe.all=1 the guest last
 * sends INIT and SIPI to itself.
 *
 * probe.test=hostile-bystander: the well-behaved neighbour of a hostile
 * guest. It idles probe.wait ms, then writes and reads back its disk and
 * checks its ivshmem region still maps and reads back.
 */
#include "hostile.h"
#include "apic.h"
#include "args.h"
#include "blk.h"
#include "dmamem.h"
#include "lib.h"
#include "msix.h"
#include "pci.h"
#include "print.h"
#include "trap.h"
#include "shm.h"
#include "shm_ivshmem.h"
#include "shm_qnx.h"
#include "x86.h"

#define DOORBELL_DEF_OPS 80000
#define IVSHMEM_DOORBELL 12
#define IVSHMEM_PEERS 65536u
#define MSI_WINDOW 0xfee00000ull
#define MSI_WINDOW_LEN 0x100000ull
#define LAPIC_PAGE_LEN 0x1000ull
#define ICR_SHORTHAND_SELF (1u << 18)
#define ICR_SHORTHAND_ALL_BUT_SELF (3u << 18)
#define ICR_DEST_LOGICAL (1u << 11)
#define QNX_CONN_TRIES (QNX_SHM_MAX_CLIENTS + 2)
#define QNX_REGION "shared"
#define SIPI_VECTOR 0x08

static void ring_ivshmem(struct hostile *h, const struct hostile_func *f)
{
	u64 db = f->bar[0].addr + IVSHMEM_DOORBELL;
	struct msix x;
	u64 table;
	u32 peer, n;

	if (!f->bar[0].addr || f->bar[0].addr >> 32)
		return;
	/* Its own vectors: random, delivered here, unmasked. */
	if (!msix_probe(&x, f->devfn) && x.table_bar < HOSTILE_BARS &&
	    f->bar[x.table_bar].addr && !(f->bar[x.table_bar].addr >> 32)) {
		table = f->bar[x.table_bar].addr + x.table_offset;
		for (n = 0; n < x.size; n++) {
			u64 e = table + (u64)n * PCI_MSIX_ENTRY_SIZE;

			mmio_write32(e + PCI_MSIX_ENTRY_LOWER_ADDR,
				     MSI_ADDR_BASE |
					     apic_id() << MSI_ADDR_DEST_SHIFT);
			mmio_write32(e + PCI_MSIX_ENTRY_UPPER_ADDR, 0);
			mmio_write32(e + PCI_MSIX_ENTRY_DATA,
				     hostile_tame_irq(h, (u32)hostile_rand(h),
						      true));
			mmio_write32(e + PCI_MSIX_ENTRY_VECTOR_CTRL, 0);
		}
		pci_write(f->devfn, (u8)(x.cap + PCI_MSIX_FLAGS), 2,
			  PCI_MSIX_FLAGS_ENABLE);
		pci_set_master(f->devfn);
	}
	for (peer = 0; peer < IVSHMEM_PEERS && hostile_more(h); peer++) {
		mmio_write32(db, peer << 16 | (u16)hostile_rand(h));
		hostile_op(h);
		if (!(peer & 0xff)) {
			mmio_write64(db, hostile_rand(h));
			hostile_take_irqs();
		}
	}
}

/* Connections until the device refuses, each notifying every mask. */
static void ring_qnx(struct hostile *h)
{
	struct qnx_shm_conn c[QNX_CONN_TRIES];
	char name[QNX_SHM_MAX_NAME];
	struct qnx_shm d;
	u32 i, n = 0, st;

	if (!pci_find(QNX_SHM_VENDOR, QNX_SHM_DEVICE, &d.devfn) ||
	    qnx_shm_init(&d, shm_window_fallback(), "hostile-doorbell"))
		return;
	arg_str("probe.shm.name", QNX_REGION, name, sizeof(name));
	qnx_shm_set_name(&d, name, strlen(name), false);
	for (i = 0; i < QNX_CONN_TRIES; i++) {
		st = qnx_shm_connect(&d, 1, false, &c[n]);
		hostile_op(h);
		if (st == GSS_OK)
			n++;
	}
	probe_info("hostile-doorbell qnx: %u connections", n);
	for (i = 0; i < 4096 && n && hostile_more(h); i++) {
		qnx_shm_notify(&c[hostile_below(h, n)], (u32)hostile_rand(h));
		hostile_op(h);
		if (!(i & 0xff))
			hostile_take_irqs();
	}
	for (i = 0; i < n; i++)
		qnx_shm_detach(&c[i]);
}

/* Writes where a device's MSI would land, beside the LAPIC page. */
static void msi_window(struct hostile *h)
{
	u64 off = LAPIC_PAGE_LEN +
		  (hostile_below(h, MSI_WINDOW_LEN - LAPIC_PAGE_LEN) & ~3ull);

	mmio_write32(MSI_WINDOW + off, (u32)hostile_rand(h));
}

static void ipi(struct hostile *h)
{
	u32 me = apic_id(), dest, icr;

	switch (hostile_below(h, 6)) {
	case 0: /* to an APIC id nobody has */
		dest = 1 + (u32)hostile_below(h, 254);
		if (dest == me)
			dest = (dest + 1) & 0xff;
		icr = hostile_tame_irq(h, (u32)hostile_rand(h) & 0x7ff, true);
		break;
	case 1:
		dest = me;
		icr = 0x400; /* NMI */
		break;
	case 2:
		dest = 0;
		icr = ICR_SHORTHAND_ALL_BUT_SELF |
		      hostile_tame_irq(h, (u32)hostile_rand(h) & 0xff, false);
		break;
	case 3:
		dest = (u32)hostile_below(h, 256);
		icr = ICR_DEST_LOGICAL |
		      hostile_tame_irq(h, (u32)hostile_rand(h) & 0x7ff, true);
		break;
	default:
		dest = 0;
		icr = ICR_SHORTHAND_SELF |
		      hostile_tame_irq(h, (u32)hostile_rand(h) & 0xff, false);
	}
	(void)apic_send_ipi(dest, icr);
	hostile_take_irqs();
}

/* A self-IPI at every vector an interrupt may use. */
static void every_vector(struct hostile *h)
{
	u32 v;

	for (v = 32; v < 256 && hostile_more(h); v++) {
		(void)apic_send_ipi(0, ICR_SHORTHAND_SELF | v);
		hostile_take_irqs();
		hostile_op(h);
	}
}

/* probe.all=1: INIT then SIPI to this CPU; the BSP restarts at reset. */
static void init_self(struct hostile *h)
{
	probe_info("hostile-doorbell INIT and SIPI to APIC %u after %llu ops",
		   apic_id(), h->ops);
	(void)apic_send_ipi(apic_id(), 0x500 | 0x4000); /* INIT, assert */
	(void)apic_send_ipi(apic_id(), 0x500); /* deassert */
	(void)apic_send_ipi(apic_id(), 0x600 | SIPI_VECTOR);
	hostile_take_irqs();
}

__noreturn void hostile_doorbell_run(const struct acpi_info *ai,
				     const struct madt_info *m)
{
	struct hostile h;
	u32 i;

	hostile_begin(&h, "hostile-doorbell", ai, m, DOORBELL_DEF_OPS, 0);
	every_vector(&h);
	for (i = 0; i < h.nr_funcs; i++)
		if (h.func[i].vendor == IVSHMEM_VENDOR &&
		    h.func[i].device == IVSHMEM_DEVICE)
			ring_ivshmem(&h, &h.func[i]);
	ring_qnx(&h);
	while (hostile_more(&h)) {
		if (hostile_below(&h, 2))
			msi_window(&h);
		else
			ipi(&h);
		hostile_op(&h);
	}
	if (h.all)
		init_self(&h);
	hostile_end(&h);
}

#define BYSTANDER_SECTORS 16
#define BYSTANDER_PER 8
#define BYSTANDER_MAGIC 0x7374616e64657221ull

static void bystander_disk(struct vblk *b, u8 *buf, u32 rounds, u32 wait_ms,
			   u32 seed, const struct acpi_info *ai)
{
	u32 r;

	for (r = 0; r < rounds; r++) {
		apic_wait(NULL, NULL, (u64)wait_ms * 1000 / rounds);
		if (!blk_write_pattern(b, (u64)r * BYSTANDER_SECTORS,
				       BYSTANDER_SECTORS, BYSTANDER_PER,
				       seed + r, buf, "hostile-bystander") ||
		    !blk_verify_pattern(b, (u64)r * BYSTANDER_SECTORS,
					BYSTANDER_SECTORS, BYSTANDER_PER,
					seed + r, buf, "hostile-bystander"))
			blk_power_off(b, ai);
	}
	probe_pass("hostile-bystander-disk", "%u rounds of %u sectors", rounds,
		   BYSTANDER_SECTORS);
}

/* The region still maps: the last word reads back what was written. */
static void bystander_shm(u32 seed)
{
	struct ivshmem d;
	u64 slot, want = BYSTANDER_MAGIC ^ seed, got;

	if (!pci_find(IVSHMEM_VENDOR, IVSHMEM_DEVICE, &d.devfn)) {
		probe_info("hostile-bystander: no ivshmem");
		return;
	}
	if (ivshmem_init(&d, shm_window_fallback(), "hostile-bystander"))
		return;
	slot = d.region + d.region_size - 8;
	mmio_write64(slot, want);
	got = mmio_read64(slot);
	if (got == want)
		probe_pass("hostile-bystander-shm", "position %u size 0x%llx",
			   ivshmem_position(&d), d.region_size);
	else
		probe_fail("hostile-bystander-shm", "read 0x%llx, wrote 0x%llx",
			   got, want);
}

__noreturn void hostile_bystander_run(const struct acpi_info *ai,
				      const struct madt_info *m)
{
	u32 wait_ms = arg_u32("probe.wait", 2000, 0, 600000);
	u32 rounds = arg_u32("probe.rounds", 4, 1, 100);
	u32 seed = arg_u32("probe.seed", 1, 0, 0xffffffffu);
	struct vblk b;
	u8 *buf;

	blk_open(&b, m);
	buf = dma_alloc(BYSTANDER_PER * VBLK_SECTOR, 4096, "hostile-bystander");
	if (!buf)
		trap_triple_fault();
	bystander_disk(&b, buf, rounds, wait_ms, seed, ai);
	bystander_shm(seed);
	blk_power_off(&b, ai);
}
