/*
 * probe.test=blk-bench: sequential reads or writes of probe.bs bytes
 * with probe.qd requests in flight (each in its own ring slot: header,
 * data, status), timed with the TSC, for make bench's virtio-blk
 * comparison of vessel and QEMU.
 */
#include "blk.h"
#include "args.h"
#include "dmamem.h"
#include "lib.h"
#include "print.h"
#include "trap.h"
#include "tsc.h"
#include "x86.h"

#define BS_SMALL 4096u
#define BS_LARGE 1048576u
#define DEFAULT_SPAN (64u << 20)
#define PAGE_SIZE 4096u
#define SLICE_US 1000000ull /* one LAPIC one-shot per slice */
#define STALL_US 10000000ull /* no completion for this long: FAIL */

struct bench {
	struct vblk *b;
	bool write;
	u32 bs, qd, count;
	u64 span; /* sectors */
	u8 *data; /* qd buffers of bs bytes */
	u64 next; /* the next request's sector */
	u32 submitted, completed, failed;
	u8 first_status; /* of the first failed request */
	bool bad_ring; /* a used entry that was no request in flight */
};

static void parse(struct bench *x)
{
	u32 span;

	x->write = arg_choice("probe.op", "read", "write");
	x->bs = arg_u32("probe.bs", BS_SMALL, BS_SMALL, BS_LARGE);
	if (x->bs != BS_SMALL && x->bs != BS_LARGE)
		probe_abort("args", "probe.bs=%u: want %u or %u", x->bs,
			    BS_SMALL, BS_LARGE);
	x->qd = arg_u32("probe.qd", 1, 1, VBLK_SLOTS);
	x->count = arg_u32("probe.count", x->bs == BS_SMALL ? 2000 : 200, 1,
			   0xffffffffu);
	span = arg_u32("probe.span", DEFAULT_SPAN, x->bs, 0xffffffffu);
	if (span % x->bs)
		probe_abort("args", "probe.span=%u: not a multiple of %u", span,
			    x->bs);
	x->span = span / VBLK_SECTOR;
}

static void submit(struct bench *x, u16 slot)
{
	u32 type = x->write ? VIRTIO_BLK_T_OUT : VIRTIO_BLK_T_IN;

	/* Slots are free whenever their completion came: never -ENOSPC. */
	vblk_submit(x->b, slot, type, x->next,
		    (u64)(x->data + (u64)slot * x->bs), x->bs);
	x->next += x->bs / VBLK_SECTOR;
	if (x->next >= x->span)
		x->next = 0;
	x->submitted++;
}

/*
 * Called with interrupts off before each halt (or in the polling loop):
 * take every completion, refill its slot, one kick for the batch (as
 * virtio_queue_rqs()). True when all requests are done.
 */
static bool step(void *arg)
{
	struct bench *x = arg;
	bool added = false;
	u16 slot;
	u8 st;
	int err;

	while (!(err = vblk_reap(x->b, &slot, &st))) {
		x->completed++;
		if (st != VIRTIO_BLK_S_OK && !x->failed++)
			x->first_status = st;
		if (x->submitted < x->count) {
			submit(x, slot);
			added = true;
		}
	}
	if (added)
		vblk_kick(x->b);
	x->bad_ring = err == -EINVAL;
	return x->bad_ring || x->completed == x->count;
}

/* The run, from the first submission to the last completion. */
static bool run(struct bench *x, u64 *cycles)
{
	u64 t0 = rdtsc(), idle = 0;
	u32 before;
	u16 slot;

	for (slot = 0; slot < x->qd && x->submitted < x->count; slot++)
		submit(x, slot);
	vblk_kick(x->b);
	for (;;) {
		before = x->completed;
		if (vblk_wait(x->b, step, x, SLICE_US))
			break;
		idle = x->completed == before ? idle + SLICE_US : 0;
		if (idle >= STALL_US) {
			probe_fail("blk-bench",
				   "no completion for %llu s "
				   "after %u of %u",
				   STALL_US / 1000000, x->completed, x->count);
			return false;
		}
	}
	*cycles = rdtsc() - t0;
	return true;
}

static bool check(const struct bench *x)
{
	if (x->bad_ring)
		probe_fail("blk-bench", "used ring entry is no request in "
					"flight");
	else if (x->failed)
		probe_fail("blk-bench",
			   "%u of %u requests failed, the first "
			   "with status %u",
			   x->failed, x->count, x->first_status);
	else if (x->b->missed_irqs)
		probe_fail("blk-bench",
			   "%u completions found only when the "
			   "timer ran out: interrupts lost",
			   x->b->missed_irqs);
	else
		return true;
	return false;
}

static void report(const struct bench *x, u64 cycles, u64 khz, u32 irqs)
{
	u64 ns = tsc_to_ns(cycles, khz);

	if (!ns)
		ns = 1;
	probe_info("blk-bench tsc %llu kHz, %u notifies, %u queue "
		   "interrupts",
		   khz, x->b->vq.notifies, irqs);
	probe_pass("blk-bench",
		   "op=%s bs=%u qd=%u n=%u ns=%llu iops=%llu mbps=%llu",
		   x->write ? "write" : "read", x->bs, x->qd, x->count, ns,
		   (u64)x->count * 1000000000ull / ns,
		   (u64)x->count * x->bs * 1000ull / ns);
}

static void setup(struct bench *x, struct vblk *b)
{
	u64 bytes = (u64)x->qd * x->bs, off;

	x->b = b;
	blk_check_range(b, 0, x->span);
	if (!b->opt.indirect && 3 * x->qd > b->queue_size)
		probe_abort("args",
			    "probe.qd=%u: %u descriptors, the queue "
			    "has %u",
			    x->qd, 3 * x->qd, b->queue_size);
	x->data = dma_alloc(bytes, 4096, "blk-bench");
	if (!x->data)
		trap_triple_fault();
	/* Touch every page first: no fault on the host during the run. */
	for (off = 0; off < bytes; off += PAGE_SIZE)
		x->data[off] = 0x5a;
}

__noreturn void blk_bench_run(const struct acpi_info *ai,
			      const struct madt_info *m)
{
	struct bench x = { 0 };
	struct vblk b;
	u64 khz, cycles;
	u32 irqs;

	parse(&x);
	blk_open(&b, m);
	setup(&x, &b);
	khz = b.tsc_khz ? b.tsc_khz : tsc_khz();
	if (!khz)
		probe_abort("blk-bench", "the TSC does not count");
	irqs = READ_ONCE(b.queue_irqs);
	if (run(&x, &cycles) && check(&x))
		report(&x, cycles, khz, READ_ONCE(b.queue_irqs) - irqs);
	if (x.write && vblk_has(&b, VIRTIO_BLK_F_FLUSH))
		probe_info("blk-bench flush status %u",
			   blk_exec(&b, VIRTIO_BLK_T_FLUSH, 0, NULL, 0,
				    "blk-bench"));
	blk_power_off(&b, ai);
}
