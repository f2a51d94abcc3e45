/*
 * probe.test=shm-qnx and shm-ivshmem: a guest that attaches to a named
 * region, writes and reads it back, and rings or waits for a peer.
 * Two such guests on one region (one with probe.shm.wait=1, the other
 * with probe.shm.ring=<the first's id>) show a doorbell crossing from
 * guest to guest with the bytes written before it.
 */
#include "shm.h"
#include "apic.h"
#include "args.h"
#include "bootinfo.h"
#include "lib.h"
#include "power.h"
#include "print.h"
#include "shm_ivshmem.h"
#include "shm_qnx.h"
#include "trap.h"

#define GIB (1ull << 30)
#define LOW_4G (4 * GIB)
#define WAIT_US 10000000ull
#define PAGE 4096ull
/* QNX connection slots are 64 MiB: the control page, then the data. */
#define QNX_SLOT (64ull << 20)
#define QNX_MAX_PAGES (QNX_SLOT / PAGE - 1)
#define SHOW_BYTES 8
#define NO_RING 0xffffffffu /* probe.shm.ring absent */
#define RING_ALL 0xfffffffeu /* probe.shm.ring=all */
#define MAX_HAMMER 10000000u /* probe.shm.hammer */
#define UNTERMINATED "probe-name-of-32-bytes-no-nul-00"

struct shm_args {
	char name[QNX_SHM_MAX_NAME];
	bool named; /* probe.shm.name given */
	char denied[QNX_SHM_MAX_NAME];
	bool has_denied;
	char missing[QNX_SHM_MAX_NAME];
	u32 pages;
	u8 pattern;
	u32 ring; /* a peer, NO_RING or RING_ALL */
	u32 hammer; /* rings in a row, 1 without probe.shm.hammer */
	bool wait;
	bool reply; /* qnx: ring back whoever rang the wait */
};

_Static_assert(sizeof(UNTERMINATED) == QNX_SHM_MAX_NAME + 1,
	       "32 characters and the literal's NUL");

u64 shm_window_fallback(void)
{
	u64 top = 0, end;
	u32 i;

	for (i = 0; i < boot.nr_memmap; i++) {
		end = boot.memmap[i].addr + boot.memmap[i].size;
		if (boot.memmap[i].type == E820_RAM && end > top)
			top = end;
	}
	top = (top + GIB - 1) & ~(GIB - 1);
	return top < LOW_4G ? LOW_4G : top;
}

static u32 parse_ring(void)
{
	char val[8];

	if (!arg_str("probe.shm.ring", "", val, sizeof(val)))
		return NO_RING;
	if (!strncmp(val, "all", sizeof(val)))
		return RING_ALL;
	return arg_u32("probe.shm.ring", 0, 0, QNX_SHM_MAX_CLIENTS - 1);
}

static void parse_args(struct shm_args *a)
{
	a->named = arg_str("probe.shm.name", "probe", a->name, sizeof(a->name));
	a->has_denied =
		arg_str("probe.shm.denied", "", a->denied, sizeof(a->denied));
	arg_str("probe.shm.missing", "probe-missing", a->missing,
		sizeof(a->missing));
	a->pages = arg_u32("probe.shm.pages", 1, 1, QNX_MAX_PAGES);
	a->pattern = (u8)arg_hex("probe.shm.pattern", 0x5a, 0, 0xff);
	a->ring = parse_ring();
	a->hammer = arg_u32("probe.shm.hammer", 1, 1, MAX_HAMMER);
	a->wait = arg_u32("probe.shm.wait", 0, 0, 1);
	a->reply = arg_u32("probe.shm.reply", 0, 0, 1);
	if (a->hammer > 1 && a->ring == NO_RING)
		probe_abort("args", "probe.shm.hammer needs probe.shm.ring");
	if (a->reply && !a->wait)
		probe_abort("args", "probe.shm.reply needs probe.shm.wait=1");
}

/*
 * Fill the first page with the pattern and put it in the region's last
 * byte, then read all of it back: the whole region must be memory.
 */
static bool pattern_check(const char *step, u64 data, u64 size, u8 pattern)
{
	volatile u8 *p = (volatile u8 *)data;
	u64 n = size < PAGE ? size : PAGE, i;

	for (i = 0; i < n; i++)
		p[i] = pattern;
	p[size - 1] = pattern;
	for (i = 0; i < n; i++)
		if (p[i] != pattern)
			break;
	if (i == n && p[size - 1] == pattern)
		return true;
	if (i == n)
		i = size - 1;
	probe_fail(step, "wrote 0x%02x, read 0x%02x at offset 0x%llx", pattern,
		   p[i], i);
	return false;
}

/* "5a 5a ..." : the first bytes of the region, as the waiter found them. */
static void show_bytes(u64 data, char *buf, size_t size)
{
	const volatile u8 *p = (const volatile u8 *)data;
	size_t len = 0;
	int i;

	buf[0] = 0;
	for (i = 0; i < SHOW_BYTES; i++)
		len += (size_t)probe_snprintf(buf + len, size - len, "%s%02x",
					      i ? " " : "", p[i]);
}

/* --- model=qnx ------------------------------------------------------- */

/* A create or find that must fail with @want; a connection made is dropped. */
static void expect_status(const struct qnx_shm *d, const char *what, u32 pages,
			  bool find, u32 want)
{
	struct qnx_shm_conn c;
	u32 got = qnx_shm_connect(d, pages, find, &c);

	if (got == GSS_OK)
		qnx_shm_detach(&c);
	if (got == want)
		probe_pass("shm-qnx-error", "%s: %s", what,
			   qnx_shm_status_name(got));
	else
		probe_fail("shm-qnx-error", "%s: %s (%u), want %s", what,
			   qnx_shm_status_name(got), got,
			   qnx_shm_status_name(want));
}

static void qnx_errors(const struct qnx_shm *d, const struct shm_args *a)
{
	qnx_shm_set_name(d, "", 0, false);
	expect_status(d, "empty name", 1, false, GSS_ILLEGAL_NAME);
	qnx_shm_set_name(d, UNTERMINATED, QNX_SHM_MAX_NAME, true);
	expect_status(d, "32 bytes without NUL", 1, false, GSS_ILLEGAL_NAME);
	qnx_shm_set_name(d, a->missing, strlen(a->missing), false);
	expect_status(d, "find missing", 0, true, GSS_DOES_NOT_EXIST);
	if (!a->has_denied)
		return;
	qnx_shm_set_name(d, a->denied, strlen(a->denied), false);
	expect_status(d, "denied name", 1, false, GSS_NO_PERMISSION);
}

/* The connection lies where the contract puts it: a slot of BAR2. */
static void qnx_check_conn(const struct qnx_shm *d,
			   const struct qnx_shm_conn *c)
{
	u64 off = c->ctrl - d->window;

	if (c->ctrl < d->window || off % QNX_SLOT ||
	    off + PAGE + c->pages * PAGE > d->window + d->window_size ||
	    !c->pages || c->pages > QNX_MAX_PAGES)
		probe_abort("shm-qnx",
			    "connection at 0x%llx with %u pages: not a slot "
			    "of BAR2 0x%llx size 0x%llx",
			    c->ctrl, c->pages, d->window, d->window_size);
	if (c->idx >= QNX_SHM_MAX_CLIENTS || !(c->peers & 1u << c->idx))
		probe_abort("shm-qnx", "idx %u, peers 0x%04x: not attached",
			    c->idx, c->peers);
}

/*
 * Ring @ring (a peer or RING_ALL) @times times in a row, as fast as the
 * device takes the writes: one ring, or a hammer that must not starve
 * the region's other peers.
 */
static void qnx_ring(struct qnx_shm_conn *c, u32 ring, u32 times)
{
	u32 mask = ring == RING_ALL ? ~0u : 1u << ring, i;

	qnx_shm_poll(c);
	if (ring != RING_ALL && !(c->peers & mask)) {
		probe_fail("shm-qnx-notify",
			   "peer %u is not attached (peers "
			   "0x%04x)",
			   ring, c->peers);
		return;
	}
	if (times > 1)
		probe_info("shm-qnx-hammer: notify 0x%x %u times", mask, times);
	for (i = 0; i < times; i++)
		qnx_shm_notify(c, mask);
	if (times > 1)
		probe_pass("shm-qnx-hammer", "%u rings, mask 0x%x", times,
			   mask);
	probe_pass("shm-qnx-notify", "mask 0x%x (peers 0x%04x)", mask,
		   c->peers);
}

static bool notified(void *arg)
{
	const struct qnx_shm_conn *c = arg;

	return READ_ONCE(c->notified) != 0;
}

static void qnx_wait(const struct qnx_shm *d, struct qnx_shm_conn *c,
		     const struct madt_info *m, bool reply)
{
	char bytes[3 * SHOW_BYTES + 1];

	if (qnx_shm_irq_enable(d, c, m))
		trap_triple_fault();
	probe_line("READY shm-qnx");
	if (!apic_wait(notified, c, WAIT_US)) {
		probe_fail("shm-qnx-wait",
			   "no notification within %llu s (%u interrupts, "
			   "peers 0x%04x)",
			   WAIT_US / 1000000, c->irqs, c->peers);
		qnx_shm_irq_disable(d, m);
		return;
	}
	qnx_shm_irq_disable(d, m);
	show_bytes(c->data, bytes, sizeof(bytes));
	probe_info("shm-qnx-wait %u interrupts, peers 0x%04x", c->irqs,
		   c->peers);
	probe_pass("shm-qnx-wait", "from 0x%04x data %s", c->notified, bytes);
	if (reply) {
		qnx_shm_notify(c, c->notified);
		probe_pass("shm-qnx-reply", "mask 0x%04x", c->notified);
	}
}

__noreturn void shm_qnx_run(const struct acpi_info *ai,
			    const struct madt_info *m)
{
	struct qnx_shm d;
	struct qnx_shm_conn c;
	struct shm_args a;
	u32 st;

	parse_args(&a);
	if (qnx_shm_init(&d, shm_window_fallback(), "shm-qnx"))
		trap_triple_fault();
	qnx_errors(&d, &a);
	qnx_shm_set_name(&d, a.name, strlen(a.name), false);
	st = qnx_shm_connect(&d, a.pages, false, &c);
	if (st != GSS_OK)
		probe_abort("shm-qnx", "create \"%s\" of %u pages: %s (%u)",
			    a.name, a.pages, qnx_shm_status_name(st), st);
	qnx_shm_poll(&c);
	probe_info("shm-qnx \"%s\" pages %u control 0x%llx data 0x%llx gsi %u",
		   a.name, c.pages, c.ctrl, c.data, d.gsi);
	qnx_check_conn(&d, &c);
	if (pattern_check("shm-qnx", c.data, c.pages * PAGE, a.pattern))
		probe_pass("shm-qnx", "idx %u peers 0x%04x", c.idx, c.peers);
	if (a.ring != NO_RING)
		qnx_ring(&c, a.ring, a.hammer);
	if (a.wait)
		qnx_wait(&d, &c, m, a.reply);
	qnx_shm_detach(&c);
	probe_info("shm-qnx detached");
	power_off(ai);
}

/* --- model=ivshmem --------------------------------------------------- */

static bool rung(void *arg)
{
	(void)arg;
	return ivshmem_doorbells() != 0;
}

static void ivshmem_wait(const struct ivshmem *d)
{
	char bytes[3 * SHOW_BYTES + 1];

	probe_line("READY shm-ivshmem");
	if (!apic_wait(rung, NULL, WAIT_US)) {
		probe_fail("shm-ivshmem-wait", "no doorbell within %llu s",
			   WAIT_US / 1000000);
		return;
	}
	show_bytes(d->region, bytes, sizeof(bytes));
	probe_pass("shm-ivshmem-wait", "%u doorbell(s) data %s",
		   ivshmem_doorbells(), bytes);
}

/* Doorbell = @peer << 16 | 0, @times times in a row. */
static void ivshmem_hammer(const struct ivshmem *d, u32 peer, u32 times)
{
	u32 i;

	if (times > 1)
		probe_info("shm-ivshmem-hammer: peer %u %u times", peer, times);
	for (i = 0; i < times; i++)
		ivshmem_ring(d, (u16)peer, 0);
	if (times > 1)
		probe_pass("shm-ivshmem-hammer", "%u rings, peer %u", times,
			   peer);
	probe_pass("shm-ivshmem-ring", "peer %u vector 0", peer);
}

__noreturn void shm_ivshmem_run(const struct acpi_info *ai,
				const struct madt_info *m)
{
	struct ivshmem d;
	struct shm_args a;
	u32 pos;

	(void)m;
	parse_args(&a);
	if (a.reply)
		probe_abort("args", "probe.shm.reply: qnx only (ivshmem does "
				    "not say who rang)");
	if (ivshmem_init(&d, shm_window_fallback(), "shm-ivshmem"))
		trap_triple_fault();
	if (a.named && strncmp(d.name, a.name, sizeof(a.name)))
		probe_abort("shm-ivshmem", "region \"%s\", want \"%s\"", d.name,
			    a.name);
	pos = ivshmem_position(&d);
	if (pattern_check("shm-ivshmem", d.region, PAGE, a.pattern))
		probe_pass("shm-ivshmem", "name \"%s\" position %u size 0x%llx",
			   d.name, pos, d.region_size);
	if (a.wait && ivshmem_enable_msix(&d, "shm-ivshmem"))
		trap_triple_fault();
	if (a.ring == RING_ALL)
		probe_fail("shm-ivshmem-ring", "ivshmem rings one peer: "
					       "probe.shm.ring=all");
	else if (a.ring != NO_RING)
		ivshmem_hammer(&d, a.ring, a.hammer);
	if (a.wait)
		ivshmem_wait(&d);
	power_off(ai);
}
