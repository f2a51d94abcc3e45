/*
 * probe.test=blk-malformed: descriptor chains no Linux driver builds,
 * each published on queue 0 and kicked. virtio 1.2 2.1.2 lets a device
 * that finds one set NEEDS_RESET (and send a configuration change
 * interrupt); failing the request with a status is the other honest
 * answer. Completing it with VIRTIO_BLK_S_OK, or not reacting, is a
 * FAIL. After each case the device is reset, set up again and must
 * read back what it writes.
 */
#include "blk.h"
#include "apic.h"
#include "args.h"
#include "dmamem.h"
#include "lib.h"
#include "print.h"
#include "trap.h"

#define REACT_US 1000000ull
#define CASE_MAX 20
#define STATUS_UNWRITTEN 0xff /* vblk_submit()'s preset */
#define CHECK_SECTORS 8

/* Beyond any RAM: past 1 TiB, below the 48-bit physical limit. */
#define ADDR_OUTSIDE_RAM 0xfffff000000ull
/* addr + len runs past 2^64. */
#define ADDR_WRAPS 0xfffffffffffffe00ull
#define LEN_WRAPS 0x400u

struct malformed {
	struct vblk *b;
	u8 *scratch; /* a sector's worth of data buffer */
	struct vring_desc *table; /* VIRTQ_MAX_SIZE + 1 entries */
	struct vring_desc *nested; /* the indirect table's indirect table */
	u32 config_irqs;
};

struct mcase {
	const char *name;
	bool indirect; /* needs VIRTIO_RING_F_INDIRECT_DESC */
	void (*build)(struct malformed *mf, struct vring_desc *d);
};

static struct vblk_req *req0(const struct malformed *mf)
{
	return &mf->b->req[0];
}

static void put(struct vring_desc *d, u64 addr, u32 len, u16 flags, u16 next)
{
	d->addr = addr;
	d->len = len;
	d->flags = flags;
	d->next = next;
}

/* A read of sector 0: header, @data_addr/@data_len, status, from @d[0]. */
static void read_chain(struct malformed *mf, struct vring_desc *d,
		       u64 data_addr, u32 data_len)
{
	put(&d[0], (u64)&req0(mf)->hdr, sizeof(req0(mf)->hdr),
	    VRING_DESC_F_NEXT, 1);
	put(&d[1], data_addr, data_len, VRING_DESC_F_WRITE | VRING_DESC_F_NEXT,
	    2);
	put(&d[2], (u64)&req0(mf)->status, 1, VRING_DESC_F_WRITE, 0);
}

/* The header descriptor names itself as its next. */
static void build_loop(struct malformed *mf, struct vring_desc *d)
{
	put(&d[0], (u64)&req0(mf)->hdr, sizeof(req0(mf)->hdr),
	    VRING_DESC_F_NEXT, 0);
}

static void build_oob(struct malformed *mf, struct vring_desc *d)
{
	read_chain(mf, d, ADDR_OUTSIDE_RAM, VBLK_SECTOR);
}

static void build_wrap(struct malformed *mf, struct vring_desc *d)
{
	read_chain(mf, d, ADDR_WRAPS, LEN_WRAPS);
}

/* queue_size + 1 descriptors in one indirect table: one too many. */
static void build_long(struct malformed *mf, struct vring_desc *d)
{
	u16 n = (u16)(mf->b->queue_size + 1), i;
	struct vring_desc *t = mf->table;

	put(&t[0], (u64)&req0(mf)->hdr, sizeof(req0(mf)->hdr),
	    VRING_DESC_F_NEXT, 1);
	for (i = 1; i < n - 1; i++)
		put(&t[i], (u64)mf->scratch, VBLK_SECTOR,
		    VRING_DESC_F_WRITE | VRING_DESC_F_NEXT, (u16)(i + 1));
	put(&t[n - 1], (u64)&req0(mf)->status, 1, VRING_DESC_F_WRITE, 0);
	put(&d[0], (u64)t, n * sizeof(*t), VRING_DESC_F_INDIRECT, 0);
}

/* An indirect table whose data descriptor is itself indirect. */
static void build_nested(struct malformed *mf, struct vring_desc *d)
{
	struct vring_desc *t = mf->table;

	read_chain(mf, mf->nested, (u64)mf->scratch, VBLK_SECTOR);
	read_chain(mf, t, 0, 0);
	put(&t[1], (u64)mf->nested, 3 * sizeof(*t),
	    VRING_DESC_F_INDIRECT | VRING_DESC_F_NEXT, 2);
	put(&d[0], (u64)t, 3 * sizeof(*t), VRING_DESC_F_INDIRECT, 0);
}

static const struct mcase cases[] = {
	{ "loop", false, build_loop },
	{ "oob", false, build_oob },
	{ "wrap", false, build_wrap },
	{ "long", true, build_long },
	{ "indirect-nested", true, build_nested },
};

static bool config_irq_seen(void *arg)
{
	struct malformed *mf = arg;

	return READ_ONCE(mf->b->config_irqs) != mf->config_irqs;
}

/* NEEDS_RESET, its interrupt, or the request back in the used ring. */
static bool reacted(void *arg)
{
	struct malformed *mf = arg;

	return config_irq_seen(mf) || virtq_has_used(&mf->b->vq) ||
	       vp_get_status(&mf->b->vp) & VIRTIO_CONFIG_S_NEEDS_RESET;
}

/*
 * The reaction, then (NEEDS_RESET seen first, or polling with interrupts
 * off) up to REACT_US more for its configuration interrupt, halted with
 * interrupts on whatever the queue's mode.
 */
static void await_reaction(struct malformed *mf)
{
	vblk_wait(mf->b, reacted, mf, REACT_US);
	if (vp_get_status(&mf->b->vp) & VIRTIO_CONFIG_S_NEEDS_RESET)
		apic_wait(config_irq_seen, mf, REACT_US);
}

/* Publish the chain at descriptor 0 of the fresh queue and kick. */
static void submit(struct malformed *mf, const struct mcase *c)
{
	struct vblk_req *r = req0(mf);
	struct virtq *q = &mf->b->vq;

	r->hdr = (struct virtio_blk_outhdr){ VIRTIO_BLK_T_IN, 0, 0 };
	r->status = STATUS_UNWRITTEN;
	c->build(mf, q->desc);
	mf->config_irqs = READ_ONCE(mf->b->config_irqs);
	virtq_add_raw(q, 0);
	virtq_kick(q);
}

static void judge(struct malformed *mf, const char *step)
{
	u8 dev = vp_get_status(&mf->b->vp), st = READ_ONCE(req0(mf)->status);
	bool irq = READ_ONCE(mf->b->config_irqs) != mf->config_irqs;

	probe_info("%s: device status 0x%02x, config interrupt %s, used %s, "
		   "request status 0x%02x",
		   step, dev, irq ? "yes" : "no",
		   virtq_has_used(&mf->b->vq) ? "yes" : "no", st);
	if (dev & VIRTIO_CONFIG_S_NEEDS_RESET && irq)
		probe_pass(step, "needs-reset");
	else if (dev & VIRTIO_CONFIG_S_NEEDS_RESET)
		probe_fail(step, "NEEDS_RESET without a config interrupt");
	else if (!virtq_has_used(&mf->b->vq))
		probe_fail(step, "no reaction within %llu ms", REACT_US / 1000);
	else if (st == VIRTIO_BLK_S_OK || st == STATUS_UNWRITTEN)
		probe_fail(step, "completed with status %u", st);
	else
		probe_pass(step, "status %u", st);
}

/* Reset, set up again, write and read back a few sectors. */
static void prove_alive(struct malformed *mf, u32 seed)
{
	u8 *buf = mf->scratch;

	if (vblk_init(mf->b, "blk-malformed"))
		trap_triple_fault();
	if (blk_write_pattern(mf->b, 0, CHECK_SECTORS, CHECK_SECTORS, seed, buf,
			      "blk-malformed") &&
	    blk_verify_pattern(mf->b, 0, CHECK_SECTORS, CHECK_SECTORS, seed,
			       buf, "blk-malformed"))
		probe_pass("blk-malformed", "device works after reset");
}

static void run_case(struct malformed *mf, const struct mcase *c, u32 seed)
{
	char step[32];

	probe_snprintf(step, sizeof(step), "blk-malformed-%s", c->name);
	if (c->indirect && !vblk_has(mf->b, VIRTIO_RING_F_INDIRECT_DESC)) {
		probe_info("%s: skipped, INDIRECT_DESC not offered", step);
		return;
	}
	probe_info("%s: kick", step);
	submit(mf, c);
	await_reaction(mf);
	judge(mf, step);
	prove_alive(mf, seed);
}

static void alloc(struct malformed *mf)
{
	mf->scratch =
		dma_alloc(CHECK_SECTORS * VBLK_SECTOR, 4096, "blk-malformed");
	mf->table = dma_alloc((VIRTQ_MAX_SIZE + 1) * sizeof(*mf->table), 4096,
			      "blk-malformed");
	mf->nested = dma_alloc(3 * sizeof(*mf->nested), 64, "blk-malformed");
	if (!mf->scratch || !mf->table || !mf->nested)
		trap_triple_fault();
}

__noreturn void blk_malformed_run(const struct acpi_info *ai,
				  const struct madt_info *m)
{
	u32 seed = arg_u32("probe.seed", 1, 0, 0xffffffffu);
	struct malformed mf = { 0 };
	char which[CASE_MAX];
	bool all, found = false;
	struct vblk b;
	size_t i;

	arg_str("probe.case", "all", which, sizeof(which));
	all = !strncmp(which, "all", sizeof(which));
	for (i = 0; i < ARRAY_SIZE(cases); i++)
		found |= !strncmp(which, cases[i].name, sizeof(which));
	if (!all && !found)
		probe_abort("args",
			    "probe.case=%s: want loop, oob, wrap, long, "
			    "indirect-nested or all",
			    which);
	blk_open(&b, m);
	mf.b = &b;
	alloc(&mf);
	for (i = 0; i < ARRAY_SIZE(cases); i++)
		if (all || !strncmp(which, cases[i].name, sizeof(which)))
			run_case(&mf, &cases[i], seed);
	blk_power_off(&b, ai);
}
