/*
 * virtio-blk driver (vblk.h). Device configuration offsets are struct
 * virtio_blk_config's (virtio 1.2 5.2.4).
 */
#include "vblk.h"
#include "apic.h"
#include "dmamem.h"
#include "ioapic.h"
#include "lib.h"
#include "pci.h"
#include "print.h"
#include "trap.h"
#include "tsc.h"
#include "x86.h"

#define CFG_CAPACITY 0
#define CFG_SEG_MAX 12
#define CFG_BLK_SIZE 20
#define CFG_MAX_DISCARD_SECTORS 36
#define CFG_MAX_WRITE_ZEROES_SECTORS 48

#define BIT(n) (1ull << (n))
/* What the probe accepts when offered (everything else stays off). */
#define VBLK_FEATURES                                               \
	(BIT(VIRTIO_F_VERSION_1) | BIT(VIRTIO_BLK_F_FLUSH) |        \
	 BIT(VIRTIO_BLK_F_BLK_SIZE) | BIT(VIRTIO_BLK_F_SEG_MAX) |   \
	 BIT(VIRTIO_BLK_F_RO) | BIT(VIRTIO_RING_F_INDIRECT_DESC) |  \
	 BIT(VIRTIO_RING_F_EVENT_IDX) | BIT(VIRTIO_BLK_F_DISCARD) | \
	 BIT(VIRTIO_BLK_F_WRITE_ZEROES))

#define MSIX_CONFIG 0
#define MSIX_QUEUE 1

static struct vblk *irq_blk; /* the disk the handlers count for */

static void config_irq(u8 vector)
{
	(void)vector;
	WRITE_ONCE(irq_blk->config_irqs, irq_blk->config_irqs + 1);
	apic_eoi();
}

static void queue_irq(u8 vector)
{
	(void)vector;
	WRITE_ONCE(irq_blk->queue_irqs, irq_blk->queue_irqs + 1);
	apic_eoi();
}

/* vp_interrupt(): the ISR read says why and lowers the level line. */
static void intx_irq(u8 vector)
{
	u8 isr = vp_isr_read(&irq_blk->vp);

	(void)vector;
	if (isr & VIRTIO_PCI_ISR_QUEUE)
		WRITE_ONCE(irq_blk->queue_irqs, irq_blk->queue_irqs + 1);
	if (isr & VIRTIO_PCI_ISR_CONFIG)
		WRITE_ONCE(irq_blk->config_irqs, irq_blk->config_irqs + 1);
	apic_eoi();
}

static int take_intx(struct vblk *b, const char *step)
{
	u8 pin = (u8)pci_read(b->vp.devfn, PCI_INTERRUPT_PIN, 1);

	if (!pin) {
		probe_fail(step, "INTx: Interrupt Pin is 0");
		return -ENODEV;
	}
	b->gsi = b->opt.gsi != VBLK_GSI_LINE ?
			 b->opt.gsi :
			 (u8)pci_read(b->vp.devfn, PCI_INTERRUPT_LINE, 1);
	msix_disable(&b->vp.msix);
	trap_set_handler(VEC_BLK_QUEUE, intx_irq);
	probe_info("vblk INTx pin %c gsi %u vector 0x%x", 'A' + pin - 1, b->gsi,
		   VEC_BLK_QUEUE);
	return ioapic_route_pci(b->madt, b->gsi, VEC_BLK_QUEUE, apic_id());
}

/* pci_alloc_irq_vectors() then request_irq() for config and queue 0. */
static int take_irqs(struct vblk *b, const char *step)
{
	static const u8 vectors[] = { VEC_BLK_CONFIG, VEC_BLK_QUEUE };

	irq_blk = b;
	if (b->opt.mode == VBLK_INTX)
		return take_intx(b, step);
	trap_set_handler(VEC_BLK_CONFIG, config_irq);
	trap_set_handler(VEC_BLK_QUEUE, queue_irq);
	return vp_enable_msix(&b->vp, vectors, ARRAY_SIZE(vectors), step);
}

static int alloc_memory(struct vblk *b, const char *step)
{
	b->rings = dma_alloc(virtq_bytes(VIRTQ_MAX_SIZE) + 8, 4096, step);
	b->req = dma_alloc(sizeof(*b->req) * VBLK_SLOTS, 4096, step);
	return b->rings && b->req ? 0 : -ENOSPC;
}

int vblk_open(struct vblk *b, const struct vblk_opts *o,
	      const struct madt_info *m, const char *step)
{
	u8 devfn;

	memset(b, 0, sizeof(*b));
	b->opt = *o;
	b->madt = m;
	if (!pci_find_nth(VIRTIO_PCI_VENDOR, VIRTIO_PCI_DEVICE_BLK, o->disk,
			  &devfn)) {
		probe_fail(step,
			   "no disk %u: fewer 1af4:1042 functions on "
			   "bus 0",
			   o->disk);
		return -ENODEV;
	}
	probe_info("vblk disk %u at 00:%02x.%u", o->disk, PCI_SLOT(devfn),
		   PCI_FUNC(devfn));
	if (vp_probe(&b->vp, devfn, step) || alloc_memory(b, step))
		return -ENODEV;
	if (o->mode == VBLK_POLL) {
		b->tsc_khz = tsc_khz();
		if (!b->tsc_khz) {
			probe_fail(step, "the TSC does not count");
			return -ENODEV;
		}
	}
	return vblk_init(b, step);
}

/* virtio_features_ok(): FEATURES_OK written, then read back. */
static int negotiate(struct vblk *b, const char *step)
{
	b->offered = vp_get_features(&b->vp);
	b->features = b->offered & VBLK_FEATURES;
	if (!vblk_has(b, VIRTIO_F_VERSION_1)) {
		probe_fail(step, "device features 0x%llx lack VERSION_1",
			   b->offered);
		return -ENODEV;
	}
	vp_set_features(&b->vp, b->features);
	vp_add_status(&b->vp, VIRTIO_CONFIG_S_FEATURES_OK);
	if (!(vp_get_status(&b->vp) & VIRTIO_CONFIG_S_FEATURES_OK)) {
		probe_fail(step, "FEATURES_OK not kept (features 0x%llx)",
			   b->features);
		return -ENODEV;
	}
	return 0;
}

/* A 32-bit config field if the structure reaches it and @bit is on. */
static u32 cfg32_if(const struct vblk *b, u32 bit, u32 off, u32 def)
{
	if (!vblk_has(b, bit) || off + 4 > b->vp.device_len)
		return def;
	return vp_cfg_read32(&b->vp, off);
}

static int read_config(struct vblk *b, const char *step)
{
	if (b->vp.device_len < CFG_CAPACITY + 8) {
		probe_fail(step,
			   "device configuration of %u bytes: no "
			   "capacity",
			   b->vp.device_len);
		return -ENODEV;
	}
	b->capacity = vp_cfg_read64(&b->vp, CFG_CAPACITY);
	b->seg_max = cfg32_if(b, VIRTIO_BLK_F_SEG_MAX, CFG_SEG_MAX, 0);
	b->blk_size =
		cfg32_if(b, VIRTIO_BLK_F_BLK_SIZE, CFG_BLK_SIZE, VBLK_SECTOR);
	b->max_discard_sectors =
		cfg32_if(b, VIRTIO_BLK_F_DISCARD, CFG_MAX_DISCARD_SECTORS, 0);
	b->max_write_zeroes_sectors = cfg32_if(b, VIRTIO_BLK_F_WRITE_ZEROES,
					       CFG_MAX_WRITE_ZEROES_SECTORS, 0);
	return 0;
}

/* vp_modern's setup_vq() and the vector, for queue 0. */
static int setup_queue(struct vblk *b, const char *step)
{
	struct virtq *q = &b->vq;
	u16 size, vec;

	if (vp_queue_size(&b->vp, 0, &size, step))
		return -ENODEV;
	b->queue_size = size < VIRTQ_MAX_SIZE ? size : VIRTQ_MAX_SIZE;
	virtq_init(q, 0, b->queue_size, b->rings,
		   vblk_has(b, VIRTIO_RING_F_EVENT_IDX),
		   b->opt.mode != VBLK_POLL);
	if (vp_queue_activate(&b->vp, 0, b->queue_size, (u64)q->desc,
			      (u64)q->avail, (u64)q->used, &q->notify_addr,
			      step))
		return -ENODEV;
	/* INTx has no vectors; a polled queue has none (Linux's poll queues). */
	if (b->opt.mode != VBLK_MSIX)
		return 0;
	vec = vp_queue_vector(&b->vp, 0, MSIX_QUEUE);
	if (vec == VIRTIO_MSI_NO_VECTOR) {
		probe_fail(step, "queue 0: MSI-X vector %u refused",
			   MSIX_QUEUE);
		return -EBUSY;
	}
	return 0;
}

/*
 * vp_find_vqs(): the interrupts are taken (MSI-X enabled, or INTx
 * routed) once, then the config vector is set before the queues.
 */
static int config_vector(struct vblk *b, const char *step)
{
	if (!b->irqs_taken && take_irqs(b, step))
		return -ENODEV;
	b->irqs_taken = true;
	if (b->opt.mode == VBLK_INTX)
		return 0;
	if (vp_config_vector(&b->vp, MSIX_CONFIG) == VIRTIO_MSI_NO_VECTOR) {
		probe_fail(step, "config MSI-X vector %u refused", MSIX_CONFIG);
		return -EBUSY;
	}
	return 0;
}

static void report(const struct vblk *b)
{
	probe_info("vblk features offered 0x%llx negotiated 0x%llx queue %u "
		   "of %s",
		   b->offered, b->features, b->queue_size,
		   b->opt.mode == VBLK_MSIX ? "msix" :
		   b->opt.mode == VBLK_INTX ? "intx" :
					      "poll");
	probe_info("vblk capacity %llu seg_max %u blk_size %u max_discard %u "
		   "max_write_zeroes %u",
		   b->capacity, b->seg_max, b->blk_size, b->max_discard_sectors,
		   b->max_write_zeroes_sectors);
}

int vblk_init(struct vblk *b, const char *step)
{
	if (vp_reset(&b->vp, step))
		return -ETIMEDOUT;
	vp_add_status(&b->vp, VIRTIO_CONFIG_S_ACKNOWLEDGE);
	vp_add_status(&b->vp, VIRTIO_CONFIG_S_DRIVER);
	if (negotiate(b, step) || read_config(b, step) ||
	    config_vector(b, step) || setup_queue(b, step))
		goto failed;
	vp_queue_enable(&b->vp, 0);
	vp_add_status(&b->vp, VIRTIO_CONFIG_S_DRIVER_OK);
	report(b);
	return 0;
failed:
	vp_add_status(&b->vp, VIRTIO_CONFIG_S_FAILED);
	return -ENODEV;
}

/* The data's direction for the device: readable (true) or writable. */
static bool data_out(u32 type)
{
	return type != VIRTIO_BLK_T_IN && type != VIRTIO_BLK_T_GET_ID;
}

int vblk_submit(struct vblk *b, u16 slot, u32 type, u64 sector, u64 data,
		u32 len)
{
	struct vblk_req *r = &b->req[slot];
	struct virtq_sg sg[3];
	u16 n = 0, out;

	r->hdr.type = type;
	r->hdr.ioprio = 0;
	/* virtblk_setup_cmd(): only reads and writes carry a sector. */
	r->hdr.sector = type == VIRTIO_BLK_T_IN || type == VIRTIO_BLK_T_OUT ?
				sector :
				0;
	r->status = 0xff; /* a completion that leaves it was never written */
	sg[n++] = (struct virtq_sg){ (u64)&r->hdr, sizeof(r->hdr) };
	if (type == VIRTIO_BLK_T_DISCARD || type == VIRTIO_BLK_T_WRITE_ZEROES) {
		r->range = (struct virtio_blk_discard_write_zeroes){ sector,
								     len, 0 };
		data = (u64)&r->range;
		len = sizeof(r->range);
	}
	if (len)
		sg[n++] = (struct virtq_sg){ data, len };
	out = (u16)(len && data_out(type) ? 2 : 1);
	sg[n++] = (struct virtq_sg){ (u64)&r->status, 1 };
	if (b->opt.indirect)
		return virtq_add_indirect(&b->vq, sg, out, (u16)(n - out),
					  r->table, slot);
	return virtq_add(&b->vq, sg, out, (u16)(n - out), slot);
}

void vblk_kick(struct vblk *b)
{
	virtq_kick(&b->vq);
}

int vblk_reap(struct vblk *b, u16 *slot, u8 *status)
{
	u32 cookie, len;
	int err = virtq_get_buf(&b->vq, &cookie, &len);

	if (err)
		return err;
	*slot = (u16)cookie;
	*status = READ_ONCE(b->req[cookie].status);
	return 0;
}

struct wait_ctx {
	struct vblk *b;
	bool (*done)(void *arg);
	void *arg;
};

static bool wait_done(void *p)
{
	struct wait_ctx *w = p;

	return w->done ? w->done(w->arg) : virtq_has_used(&w->b->vq);
}

static bool poll_until(struct wait_ctx *w, u64 us)
{
	u64 end = rdtsc() + us * w->b->tsc_khz / 1000;

	while (!wait_done(w))
		if ((s64)(rdtsc() - end) > 0)
			return wait_done(w);
	return true;
}

bool vblk_wait(struct vblk *b, bool (*done)(void *arg), void *arg, u64 us)
{
	struct wait_ctx w = { b, done, arg };
	u64 ns;
	bool ok;

	if (b->opt.mode == VBLK_POLL)
		return poll_until(&w, us);
	ok = apic_wait_timed(wait_done, &w, us, &ns);
	/* Found only when the timer ran out: the interrupt never came. */
	if (ok && ns >= us * 1000)
		b->missed_irqs++;
	/*
	 * The completion's interrupt may still be on its way (the used entry
	 * was seen before halting): take it with interrupts on, as Linux
	 * runs, rather than leave it pending in the IRR behind IF=0.
	 */
	sti();
	return ok;
}

int vblk_exec(struct vblk *b, u32 type, u64 sector, u64 data, u32 len,
	      const char *step)
{
	u32 missed = b->missed_irqs;
	u16 slot;
	u8 status;
	int err = vblk_submit(b, 0, type, sector, data, len);

	if (err) {
		probe_fail(step, "no free descriptors (%u free)",
			   b->vq.num_free);
		return err;
	}
	vblk_kick(b);
	if (!vblk_wait(b, NULL, NULL, VBLK_TIMEOUT_US)) {
		probe_fail(step,
			   "request type %u sector %llu: no completion "
			   "in %llu s (device status 0x%02x)",
			   type, sector, VBLK_TIMEOUT_US / 1000000,
			   vp_get_status(&b->vp));
		return -ETIMEDOUT;
	}
	if (b->missed_irqs != missed) {
		probe_fail(step,
			   "request type %u sector %llu completed, but "
			   "no interrupt came in %llu s",
			   type, sector, VBLK_TIMEOUT_US / 1000000);
		return -ETIMEDOUT;
	}
	if (vblk_reap(b, &slot, &status)) {
		probe_fail(step, "used ring entry is no request in flight");
		return -EIO;
	}
	return status;
}
