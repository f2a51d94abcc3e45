/*
 * probe.test=blk-write, blk-readonly, blk-full, blk-zeroes, and what the
 * blk-* scenarios share: options, opening the disk, requests waited for
 * one at a time (Linux's queue depth 1: a dd with oflag=direct), the
 * pattern written and checked.
 */
#include "blk.h"
#include "apic.h"
#include "args.h"
#include "blk_pattern.h"
#include "dmamem.h"
#include "lib.h"
#include "power.h"
#include "print.h"
#include "sci.h"
#include "trap.h"
#include "x86.h"

#define MAX_REQ_SECTORS 2048 /* probe.req: 1 MiB */
#define FULL_REQ_SECTORS 128 /* blk-full: 64 KiB requests */
#define ZEROES_SECTORS 64
#define ZEROED_FIRST 8 /* blk-zeroes: WRITE_ZEROES 8..23 */
#define ZEROED_COUNT 16
#define DISCARDED_FIRST 32 /* blk-zeroes: DISCARD 32..47 */
#define DISCARDED_COUNT 16
#define END_MAX 16

static void parse_opts(struct vblk_opts *o)
{
	bool intx = arg_u32("probe.blk-intx", 0, 0, 1);
	bool poll = arg_u32("probe.blk-poll", 0, 0, 1);

	if (intx && poll)
		probe_abort("args", "probe.blk-intx=1 and probe.blk-poll=1");
	o->disk = arg_u32("probe.disk", 0, 0, 255);
	o->mode = intx ? VBLK_INTX : poll ? VBLK_POLL : VBLK_MSIX;
	o->gsi = arg_u32("probe.blk-gsi", VBLK_GSI_LINE, 0, 255);
	o->indirect = arg_u32("probe.blk-indirect", 0, 0, 1);
}

void blk_open(struct vblk *b, const struct madt_info *m)
{
	struct vblk_opts o;

	parse_opts(&o);
	if (vblk_open(b, &o, m, "blk-init"))
		trap_triple_fault();
	if (o.indirect && !vblk_has(b, VIRTIO_RING_F_INDIRECT_DESC))
		probe_abort("blk-init", "probe.blk-indirect=1: INDIRECT_DESC "
					"not offered");
	probe_pass("blk-init", "disk %u capacity %llu sectors features 0x%x",
		   o.disk, b->capacity, (u32)b->features);
}

u8 blk_exec(struct vblk *b, u32 type, u64 sector, void *data, u32 len,
	    const char *step)
{
	int ret = vblk_exec(b, type, sector, (u64)data, len, step);

	if (ret < 0)
		trap_triple_fault();
	return (u8)ret;
}

void blk_check_range(const struct vblk *b, u64 sector, u64 count)
{
	if (sector > b->capacity || count > b->capacity - sector)
		probe_abort("args",
			    "sectors %llu..%llu: the disk has %llu sectors",
			    sector, sector + count, b->capacity);
}

static u32 min_u32(u64 a, u32 b)
{
	return a < b ? (u32)a : b;
}

bool blk_write_pattern(struct vblk *b, u64 sector, u32 count, u32 per, u32 seed,
		       u8 *buf, const char *step)
{
	u64 s, end = sector + count;
	u32 n;
	u8 st;

	for (s = sector; s < end; s += n) {
		n = min_u32(end - s, per);
		blk_pattern_fill(buf, s, n, seed);
		st = blk_exec(b, VIRTIO_BLK_T_OUT, s, buf, n * VBLK_SECTOR,
			      step);
		if (st != VIRTIO_BLK_S_OK) {
			probe_fail(step,
				   "write of %u sectors at %llu: status "
				   "%u",
				   n, s, st);
			return false;
		}
	}
	return true;
}

/* Sector @s in @buf holds the pattern (or zeros if @zero): else FAIL. */
static bool check_sector(const u8 *buf, u64 s, u32 seed, bool zero,
			 const char *step)
{
	static const u64 zeros[VBLK_SECTOR / 8];
	u32 i;

	if (zero) {
		i = (u32)cmp_qwords(buf, zeros, VBLK_SECTOR / 8) * 8;
		while (i < VBLK_SECTOR && !buf[i])
			i++;
	} else {
		i = blk_pattern_diff(buf, s, seed);
	}
	if (i == VBLK_SECTOR)
		return true;
	probe_fail(step, "sector %llu byte %u: 0x%02x, want 0x%02x", s, i,
		   buf[i], zero ? 0 : blk_pattern_byte(s, i, seed));
	return false;
}

static bool read_sectors(struct vblk *b, u64 s, u32 n, u8 *buf,
			 const char *step)
{
	u8 st = blk_exec(b, VIRTIO_BLK_T_IN, s, buf, n * VBLK_SECTOR, step);

	if (st == VIRTIO_BLK_S_OK)
		return true;
	probe_fail(step, "read of %u sectors at %llu: status %u", n, s, st);
	return false;
}

bool blk_verify_pattern(struct vblk *b, u64 sector, u32 count, u32 per,
			u32 seed, u8 *buf, const char *step)
{
	u64 s, end = sector + count;
	u32 n, k;

	for (s = sector; s < end; s += n) {
		n = min_u32(end - s, per);
		if (!read_sectors(b, s, n, buf, step))
			return false;
		for (k = 0; k < n; k++)
			if (!check_sector(buf + k * VBLK_SECTOR, s + k, seed,
					  false, step))
				return false;
	}
	return true;
}

static u8 *alloc_buf(u32 sectors, const char *step)
{
	u8 *buf = dma_alloc((u64)sectors * VBLK_SECTOR, 4096, step);

	if (!buf)
		trap_triple_fault();
	return buf;
}

/* Interrupts still pending (a completion found before halting) land first. */
static void report_irqs(const struct vblk *b)
{
	apic_udelay(1000);
	probe_info("vblk interrupts: queue %u config %u",
		   READ_ONCE(b->queue_irqs), READ_ONCE(b->config_irqs));
}

__noreturn void blk_power_off(const struct vblk *b, const struct acpi_info *ai)
{
	report_irqs(b);
	power_off(ai);
}

/* --- blk-write ------------------------------------------------------- */

/* GET_ID: the serial, up to 20 bytes, NUL-padded when shorter. */
static void blk_id(struct vblk *b)
{
	char *id = (char *)alloc_buf(1, "blk-id");
	char shown[VIRTIO_BLK_ID_BYTES + 1];
	u8 st;

	memset(id, 0, VIRTIO_BLK_ID_BYTES);
	st = blk_exec(b, VIRTIO_BLK_T_GET_ID, 0, id, VIRTIO_BLK_ID_BYTES,
		      "blk-id");
	if (st != VIRTIO_BLK_S_OK) {
		probe_fail("blk-id", "status %u", st);
		return;
	}
	memcpy(shown, id, VIRTIO_BLK_ID_BYTES);
	shown[VIRTIO_BLK_ID_BYTES] = 0;
	probe_pass("blk-id", "\"%s\"", shown);
}

/* FLUSH if negotiated; without it the device is write-through (5.2.6.2). */
static bool blk_flush(struct vblk *b, const char *step)
{
	u8 st;

	if (!vblk_has(b, VIRTIO_BLK_F_FLUSH)) {
		probe_info("%s: FLUSH not offered: the device writes through",
			   step);
		return true;
	}
	st = blk_exec(b, VIRTIO_BLK_T_FLUSH, 0, NULL, 0, step);
	if (st == VIRTIO_BLK_S_OK)
		return true;
	probe_fail(step, "FLUSH status %u", st);
	return false;
}

enum blk_end { END_POWEROFF, END_BUTTON, END_HANG };

static enum blk_end parse_end(void)
{
	char v[END_MAX];

	arg_str("probe.end", "poweroff", v, sizeof(v));
	if (!strncmp(v, "poweroff", sizeof(v)))
		return END_POWEROFF;
	if (!strncmp(v, "button", sizeof(v)))
		return END_BUTTON;
	if (!strncmp(v, "hang", sizeof(v)))
		return END_HANG;
	probe_abort("args", "probe.end=%s: want poweroff, button or hang", v);
}

/* As sc_power_button(), with this scenario's READY line. */
static __noreturn void end_by_button(const struct acpi_info *ai,
				     const struct madt_info *m)
{
	bool armed;

	sci_enable_acpi(ai);
	armed = sci_arm_power_button(ai, m);
	probe_line("READY blk-write");
	for (;;) {
		cli();
		if (armed && sci_power_button_pressed())
			break;
		sti_hlt();
	}
	probe_pass("power-button", "pressed");
	power_off(ai);
}

static __noreturn void blk_end(const struct vblk *b, enum blk_end end,
			       const struct acpi_info *ai,
			       const struct madt_info *m)
{
	if (end == END_POWEROFF)
		blk_power_off(b, ai);
	report_irqs(b);
	if (end == END_BUTTON)
		end_by_button(ai, m);
	/* Idle with interrupts on until the host cuts the power. */
	probe_line("READY blk-write");
	for (;;)
		sti_hlt();
}

__noreturn void blk_write_run(const struct acpi_info *ai,
			      const struct madt_info *m)
{
	u64 start = arg_u32("probe.start", 0, 0, 0xffffffffu);
	u32 count = arg_u32("probe.sectors", 64, 1, 0xffffffffu);
	u32 seed = arg_u32("probe.seed", 1, 0, 0xffffffffu);
	u32 per = arg_u32("probe.req", 8, 1, MAX_REQ_SECTORS);
	enum blk_end end = parse_end();
	struct vblk b;
	u8 *buf;

	blk_open(&b, m);
	blk_check_range(&b, start, count);
	buf = alloc_buf(per, "blk-write");
	blk_id(&b);
	if (!blk_write_pattern(&b, start, count, per, seed, buf, "blk-write") ||
	    !blk_flush(&b, "blk-flush"))
		blk_power_off(&b, ai);
	probe_pass("blk-flush", "%u sectors at %llu seed %u flushed", count,
		   start, seed);
	if (blk_verify_pattern(&b, start, count, per, seed, buf, "blk-verify"))
		probe_pass("blk-verify", "%u sectors", count);
	blk_end(&b, end, ai, m);
}

/* --- blk-readonly ---------------------------------------------------- */

__noreturn void blk_readonly_run(const struct acpi_info *ai,
				 const struct madt_info *m)
{
	struct vblk b;
	u8 *buf, rd, wr;

	blk_open(&b, m);
	if (!vblk_has(&b, VIRTIO_BLK_F_RO)) {
		probe_fail("blk-readonly", "RO not negotiated (offered 0x%llx)",
			   b.offered);
		blk_power_off(&b, ai);
	}
	buf = alloc_buf(1, "blk-readonly");
	rd = blk_exec(&b, VIRTIO_BLK_T_IN, 0, buf, VBLK_SECTOR, "blk-readonly");
	/* What was read goes back: a device that takes it changes nothing. */
	wr = blk_exec(&b, VIRTIO_BLK_T_OUT, 0, buf, VBLK_SECTOR,
		      "blk-readonly");
	if (rd == VIRTIO_BLK_S_OK && wr == VIRTIO_BLK_S_IOERR)
		probe_pass("blk-readonly", "write status %u, read ok", wr);
	else
		probe_fail("blk-readonly", "write status %u, read status %u",
			   wr, rd);
	blk_power_off(&b, ai);
}

/* --- blk-full -------------------------------------------------------- */

struct full_result {
	u32 requests, failed, other; /* other: failed, but not with IOERR */
	u64 first; /* sector of the first failed request */
};

/* Every request, failed or not, in order: none stops the run. */
static void full_write(struct vblk *b, u64 start, u32 count, u32 seed, u8 *buf,
		       struct full_result *r)
{
	u64 s, end = start + count;
	u32 n;
	u8 st;

	for (s = start; s < end; s += n) {
		n = min_u32(end - s, FULL_REQ_SECTORS);
		blk_pattern_fill(buf, s, n, seed);
		st = blk_exec(b, VIRTIO_BLK_T_OUT, s, buf, n * VBLK_SECTOR,
			      "blk-full");
		r->requests++;
		if (st == VIRTIO_BLK_S_OK)
			continue;
		if (!r->failed++)
			r->first = s;
		if (st != VIRTIO_BLK_S_IOERR && !r->other++)
			probe_info("blk-full: sector %llu status %u", s, st);
	}
}

__noreturn void blk_full_run(const struct acpi_info *ai,
			     const struct madt_info *m)
{
	u64 start = arg_u32("probe.start", 0, 0, 0xffffffffu);
	u32 count = arg_u32("probe.sectors", 65536, 1, 0xffffffffu);
	u32 seed = arg_u32("probe.seed", 1, 0, 0xffffffffu);
	struct full_result r = { 0 };
	struct vblk b;
	u8 *buf, st;

	blk_open(&b, m);
	blk_check_range(&b, start, count);
	buf = alloc_buf(FULL_REQ_SECTORS, "blk-full");
	full_write(&b, start, count, seed, buf, &r);
	if (r.failed && r.failed > r.other)
		probe_pass("blk-ioerr",
			   "%u of %u requests failed, first at "
			   "sector %llu",
			   r.failed, r.requests, r.first);
	else
		probe_fail("blk-ioerr",
			   "%u of %u requests failed, %u with IOERR", r.failed,
			   r.requests, r.failed - r.other);
	st = vblk_has(&b, VIRTIO_BLK_F_FLUSH) ?
		     blk_exec(&b, VIRTIO_BLK_T_FLUSH, 0, NULL, 0, "blk-full") :
		     VIRTIO_BLK_S_UNSUPP;
	probe_info("blk-full flush status %u", st);
	if (read_sectors(&b, start, 1, buf, "blk-full"))
		probe_pass("blk-full", "sector %llu read after the errors",
			   start);
	blk_power_off(&b, ai);
}

/* --- blk-flush-error ------------------------------------------------- */

/*
 * For a host whose write-back fails (a loop device over a full file
 * system): the writes land in the host's cache and succeed, the FLUSH
 * must fail, and so must the next FLUSH, although the host kernel
 * reports the error only once: the data it could not write is gone.
 */
__noreturn void blk_flush_error_run(const struct acpi_info *ai,
				    const struct madt_info *m)
{
	u64 start = arg_u32("probe.start", 0, 0, 0xffffffffu);
	u32 count = arg_u32("probe.sectors", 2048, 1, 0xffffffffu);
	struct full_result r = { 0 };
	struct vblk b;
	u8 *buf, first, second;

	blk_open(&b, m);
	blk_check_range(&b, start, count);
	if (!vblk_has(&b, VIRTIO_BLK_F_FLUSH))
		probe_abort("blk-flush-error", "FLUSH not offered");
	buf = alloc_buf(FULL_REQ_SECTORS, "blk-flush-error");
	full_write(&b, start, count, 1, buf, &r);
	probe_info("blk-flush-error: %u of %u writes failed", r.failed,
		   r.requests);
	first = blk_exec(&b, VIRTIO_BLK_T_FLUSH, 0, NULL, 0, "blk-flush-error");
	second =
		blk_exec(&b, VIRTIO_BLK_T_FLUSH, 0, NULL, 0, "blk-flush-error");
	if (first == VIRTIO_BLK_S_IOERR && second == VIRTIO_BLK_S_IOERR)
		probe_pass("blk-flush-error",
			   "first flush status %u, second flush status %u",
			   first, second);
	else
		probe_fail("blk-flush-error",
			   "first flush status %u, second flush status %u "
			   "(both must be 1)",
			   first, second);
	blk_power_off(&b, ai);
}

/* --- blk-zeroes ------------------------------------------------------ */

/* WRITE_ZEROES or DISCARD of @n sectors at @s, if negotiated. */
static const char *range_op(struct vblk *b, u32 feature, u32 type, u64 s, u32 n,
			    bool *done)
{
	u8 st;

	*done = false;
	if (!vblk_has(b, feature))
		return "not offered";
	st = blk_exec(b, type, s, NULL, n, "blk-zeroes");
	if (st != VIRTIO_BLK_S_OK) {
		probe_fail("blk-zeroes",
			   "request type %u of %u sectors at "
			   "%llu: status %u",
			   type, n, s, st);
		return NULL;
	}
	*done = true;
	return "ok";
}

static bool in_range(u32 k, u32 first, u32 count)
{
	return k >= first && k < first + count;
}

/* Zeroed sectors must read as zeros, discarded ones anything, the rest the pattern. */
static bool zeroes_check(const u8 *buf, u64 start, u32 seed, bool zeroed,
			 bool discarded)
{
	u32 k;

	for (k = 0; k < ZEROES_SECTORS; k++) {
		if (discarded && in_range(k, DISCARDED_FIRST, DISCARDED_COUNT))
			continue;
		if (!check_sector(
			    buf + k * VBLK_SECTOR, start + k, seed,
			    zeroed && in_range(k, ZEROED_FIRST, ZEROED_COUNT),
			    "blk-zeroes"))
			return false;
	}
	return true;
}

__noreturn void blk_zeroes_run(const struct acpi_info *ai,
			       const struct madt_info *m)
{
	u64 start = arg_u32("probe.start", 0, 0, 0xffffffffu);
	u32 seed = arg_u32("probe.seed", 1, 0, 0xffffffffu);
	const char *wz, *dc;
	bool zeroed, discarded;
	struct vblk b;
	u8 *buf;

	blk_open(&b, m);
	blk_check_range(&b, start, ZEROES_SECTORS);
	buf = alloc_buf(ZEROES_SECTORS, "blk-zeroes");
	if (!blk_write_pattern(&b, start, ZEROES_SECTORS, ZEROES_SECTORS, seed,
			       buf, "blk-zeroes"))
		blk_power_off(&b, ai);
	wz = range_op(&b, VIRTIO_BLK_F_WRITE_ZEROES, VIRTIO_BLK_T_WRITE_ZEROES,
		      start + ZEROED_FIRST, ZEROED_COUNT, &zeroed);
	dc = range_op(&b, VIRTIO_BLK_F_DISCARD, VIRTIO_BLK_T_DISCARD,
		      start + DISCARDED_FIRST, DISCARDED_COUNT, &discarded);
	fill_qwords(buf, 0xa5a5a5a5a5a5a5a5ull,
		    ZEROES_SECTORS * VBLK_SECTOR / 8);
	if (wz && dc &&
	    read_sectors(&b, start, ZEROES_SECTORS, buf, "blk-zeroes") &&
	    zeroes_check(buf, start, seed, zeroed, discarded))
		probe_pass("blk-zeroes", "write-zeroes %s, discard %s", wz, dc);
	blk_power_off(&b, ai);
}
