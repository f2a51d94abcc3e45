/*
 * The lifecycle protocol over the qnx model (docs/lifecycle.md,
 * src/common/lifecycle.h: the constants are repeated here, the probe
 * being freestanding). Every scenario finds the `lifecycle` region that
 * vessel created and attached to before the guest ran.
 *
 * probe.test=lifecycle: a guest going down tells its host, as
 * `vessel-guest notify shutting-down --wait-ack T` does in a Linux
 * guest: it writes the header's guest state, bumps guest_seq, notifies
 * the host's peer and waits for host_ack to reach guest_seq, never
 * longer than probe.lc.ack_ms. Then it powers off (S5) either way. With
 * probe.lc.on=button it first arms the power button, as an OS does, and
 * goes down only when the host presses it.
 *
 * probe.test=lifecycle-daemon: a guest that obeys the host, as a Linux
 * guest running `vessel-guest wait-request` in a loop: it waits for a
 * host request, takes it (guest_ack = host_seq), announces
 * shutting-down or rebooting as above, and powers off or resets. A
 * peer-shutting-down request (1.1: a guest it shares a device with goes
 * down) is taken and reported with the peer's name, and the wait goes on.
 */
#include "shm.h"
#include "apic.h"
#include "args.h"
#include "power.h"
#include "print.h"
#include "rtc.h"
#include "sci.h"
#include "shm_qnx.h"
#include "trap.h"
#include "x86.h"

/* The header at offset 0 of the region's data, little-endian. */
#define LC_MAGIC 0x59434c56u /* "VLCY" */
#define LC_MAJOR 1
#define LC_HEADER_SIZE 64
#define LC_OFF_MAGIC 0
#define LC_OFF_MAJOR 4 /* u8; with the minor at 5, the u16 version 1 */
#define LC_OFF_HEADER_SIZE 6
#define LC_OFF_GUEST_STATE 8
#define LC_OFF_GUEST_SEQ 12
#define LC_OFF_HOST_ACK 16
#define LC_OFF_HOST_REQUEST 20
#define LC_OFF_HOST_SEQ 24
#define LC_OFF_GUEST_ACK 28
#define LC_OFF_GUEST_TIME_NS 32
#define LC_OFF_PEER_NAME 40 /* 16 bytes, NUL-padded (1.1) */
#define LC_PEER_NAME_LEN 16
#define LC_STATE_SHUTTING_DOWN 2
#define LC_STATE_REBOOTING 3
#define LC_REQ_NONE 0
#define LC_REQ_POWEROFF 1
#define LC_REQ_REBOOT 2
#define LC_REQ_PEER_DOWN 3

#define LC_REGION "lifecycle"
#define DEFAULT_ACK_MS 2000
#define DEFAULT_REQUEST_MS 10000
#define MAX_WAIT_MS 600000

/* The guest's end of its lifecycle region. */
struct lc {
	struct qnx_shm d;
	struct qnx_shm_conn c;
	u32 host; /* the host's peer id */
};

static u32 lc_read32(u64 data, u32 off)
{
	return READ_ONCE(*(volatile u32 *)(data + off));
}

static void lc_write32(u64 data, u32 off, u32 v)
{
	WRITE_ONCE(*(volatile u32 *)(data + off), v);
}

static const char *lc_state_name(u32 state)
{
	return state == LC_STATE_REBOOTING ? "rebooting" : "shutting-down";
}

/*
 * The region's creator (vessel) sets the header up; the guest only
 * checks it: magic, major 1 (a later minor only adds fields past ours),
 * a size of at least 64 bytes.
 */
static void lc_check_header(u64 data)
{
	u32 magic = lc_read32(data, LC_OFF_MAGIC);
	u8 major = READ_ONCE(*(volatile u8 *)(data + LC_OFF_MAJOR));
	u16 size = READ_ONCE(*(volatile u16 *)(data + LC_OFF_HEADER_SIZE));

	if (!magic)
		probe_abort("lifecycle", "header all zero: the host has not "
					 "set it up");
	if (magic != LC_MAGIC || major != LC_MAJOR || size < LC_HEADER_SIZE)
		probe_abort("lifecycle",
			    "header magic 0x%08x major %u size %u, want "
			    "0x%08x %u >= %u",
			    magic, major, size, LC_MAGIC, LC_MAJOR,
			    LC_HEADER_SIZE);
}

/* The host's peer: the lowest attached one other than us. */
static u32 lc_host_peer(const struct qnx_shm_conn *c)
{
	u32 others = c->peers & ~(1u << c->idx), i;

	if (!others)
		probe_abort("lifecycle",
			    "no host peer on \"%s\" (peers 0x%04x)", LC_REGION,
			    c->peers);
	for (i = 0; !(others & 1u << i); i++)
		;
	return i;
}

/*
 * Find the region (never create it), check its header and take the
 * device's interrupt: the host's ring back wakes the waits below.
 */
static void lc_attach(struct lc *l, const struct madt_info *m)
{
	u32 st;

	if (qnx_shm_init(&l->d, shm_window_fallback(), "lifecycle"))
		trap_triple_fault();
	qnx_shm_set_name(&l->d, LC_REGION, sizeof(LC_REGION) - 1, false);
	st = qnx_shm_connect(&l->d, 1, true, &l->c);
	if (st != GSS_OK)
		probe_abort("lifecycle", "find \"%s\": %s (%u)", LC_REGION,
			    qnx_shm_status_name(st), st);
	qnx_shm_poll(&l->c);
	l->host = lc_host_peer(&l->c);
	lc_check_header(l->c.data);
	if (qnx_shm_irq_enable(&l->d, &l->c, m))
		trap_triple_fault();
}

struct lc_wait {
	u64 data;
	u32 seq;
};

static bool acked(void *arg)
{
	const struct lc_wait *w = arg;

	return lc_read32(w->data, LC_OFF_HOST_ACK) == w->seq;
}

/*
 * State, then the time (the CMOS clock's, whole seconds; 0 without
 * one), then the sequence number last, so a host that reads a new
 * guest_seq reads the state that goes with it (x86 keeps stores in
 * order; the volatile accesses keep the compiler from reordering them).
 */
static u32 lc_announce(u64 data, u32 state)
{
	u32 seq = lc_read32(data, LC_OFF_GUEST_SEQ) + 1;

	if (!seq) /* 0 is "never written" */
		seq = 1;

	lc_write32(data, LC_OFF_GUEST_STATE, state);
	WRITE_ONCE(*(volatile u64 *)(data + LC_OFF_GUEST_TIME_NS),
		   rtc_unix_seconds() * 1000000000ull);
	lc_write32(data, LC_OFF_GUEST_SEQ, seq);
	return seq;
}

/* Announce @state, ring the host, wait for its ack up to @ack_ms. */
static void lc_announce_wait(struct lc *l, u32 state, u32 ack_ms)
{
	struct lc_wait w = { .data = l->c.data };
	u64 ns;

	w.seq = lc_announce(l->c.data, state);
	probe_info(
		"lifecycle idx %u host peer %u: %s, guest_seq %u, "
		"guest_time_ns %llu",
		l->c.idx, l->host, lc_state_name(state), w.seq,
		READ_ONCE(*(volatile u64 *)(l->c.data + LC_OFF_GUEST_TIME_NS)));
	qnx_shm_notify(&l->c, 1u << l->host);
	if (apic_wait_timed(acked, &w, (u64)ack_ms * 1000, &ns))
		probe_pass("lifecycle", "ack after %llu us", ns / 1000);
	else
		probe_info("lifecycle: no ack after %u ms (host_ack %u)",
			   ack_ms, lc_read32(l->c.data, LC_OFF_HOST_ACK));
}

/*
 * An OS that takes the power button (as probe.test=power-button) and
 * only then goes down. Without a fixed button it waits forever, as
 * power-button does.
 */
static void lc_wait_button(const struct acpi_info *ai,
			   const struct madt_info *m)
{
	bool armed = sci_arm_power_button(ai, m);

	probe_line("READY lifecycle");
	for (;;) {
		cli();
		if (armed && sci_power_button_pressed())
			break;
		sti_hlt();
	}
	probe_pass("power-button", "pressed");
}

__noreturn void shm_lifecycle_run(const struct acpi_info *ai,
				  const struct madt_info *m)
{
	u32 ack_ms = arg_u32("probe.lc.ack_ms", DEFAULT_ACK_MS, 0, MAX_WAIT_MS);
	bool button = arg_choice("probe.lc.on", "now", "button");
	struct lc l;

	if (button)
		sci_enable_acpi(ai);
	lc_attach(&l, m);
	if (button)
		lc_wait_button(ai, m);
	lc_announce_wait(&l, LC_STATE_SHUTTING_DOWN, ack_ms);
	qnx_shm_irq_disable(&l.d, m);
	power_off(ai);
}

/* --- host requests --------------------------------------------------- */

struct lc_pending {
	u64 data;
	u32 seq; /* the host_seq found pending */
	u32 refused; /* the host_seq of a request not taken */
};

/*
 * host_seq first, then the rest: the host stores its request, then its
 * number. Pending: a number the guest has not taken, nor refused.
 */
static bool request_pending(void *arg)
{
	struct lc_pending *p = arg;
	u32 seq = lc_read32(p->data, LC_OFF_HOST_SEQ);

	if (!seq || seq == lc_read32(p->data, LC_OFF_GUEST_ACK) ||
	    seq == p->refused)
		return false;
	p->seq = seq;
	return true;
}

/* guest_ack = host_seq, then ring the host: "taken". */
static void lc_take(struct lc *l, u32 seq)
{
	lc_write32(l->c.data, LC_OFF_GUEST_ACK, seq);
	qnx_shm_notify(&l->c, 1u << l->host);
}

/* The peer's name from the host's bytes; what is not a name shows as '?'. */
static void lc_peer_name(u64 data, char *name)
{
	u32 i, w = 0;
	char ch;

	for (i = 0; i < LC_PEER_NAME_LEN; i++) {
		if (!(i % 4))
			w = lc_read32(data, LC_OFF_PEER_NAME + i);
		ch = (char)(w >> (i % 4 * 8));
		if (!ch)
			break;
		name[i] = (ch >= 'a' && ch <= 'z') ||
					  (ch >= 'A' && ch <= 'Z') ||
					  (ch >= '0' && ch <= '9') ||
					  ch == '-' || ch == '_' || ch == '.' ?
				  ch :
				  '?';
	}
	name[i] = '\0';
}

/*
 * Wait up to @wait_ms for a request the guest knows and take it: the
 * host's ring interrupts, the handler reads the status, the check
 * below sees the new host_seq. A withdrawal (request 0) is taken
 * silently and the wait goes on; an unknown request is not taken.
 * Returns the request, or LC_REQ_NONE when none came.
 */
static u32 lc_take_request(struct lc *l, u32 wait_ms)
{
	struct lc_pending p = { .data = l->c.data };
	u64 left = (u64)wait_ms * 1000, ns;
	u32 req;

	for (;;) {
		if (!apic_wait_timed(request_pending, &p, left, &ns))
			return LC_REQ_NONE;
		left -= ns / 1000 < left ? ns / 1000 : left;
		req = lc_read32(l->c.data, LC_OFF_HOST_REQUEST);
		if (req == LC_REQ_POWEROFF || req == LC_REQ_REBOOT) {
			lc_take(l, p.seq);
			probe_pass("lifecycle-request",
				   "%s (host_seq %u, %u "
				   "interrupts)",
				   req == LC_REQ_REBOOT ? "reboot" : "poweroff",
				   p.seq, l->c.irqs);
			return req;
		}
		if (req == LC_REQ_PEER_DOWN) {
			char name[LC_PEER_NAME_LEN + 1];

			lc_peer_name(l->c.data, name);
			lc_take(l, p.seq);
			probe_pass("lifecycle-peer-down", "%s", name);
			continue;
		}
		if (req == LC_REQ_NONE) {
			lc_take(l, p.seq);
			probe_info("lifecycle-request withdrawn (host_seq %u)",
				   p.seq);
			continue;
		}
		probe_info("lifecycle-request %u (host_seq %u) is unknown "
			   "here: not taken",
			   req, p.seq);
		p.refused = p.seq;
	}
}

/* Linux's default order: the FADT's reset register, else 0xCF9. */
static __noreturn void lc_reset(const struct acpi_info *ai)
{
	if (ai->fadt_flags & FADT_RESET_REG_SUP && gas_valid(&ai->reset_reg))
		power_reset_acpi(ai);
	power_reset_cf9();
}

__noreturn void shm_lifecycle_daemon_run(const struct acpi_info *ai,
					 const struct madt_info *m)
{
	u32 ack_ms = arg_u32("probe.lc.ack_ms", DEFAULT_ACK_MS, 0, MAX_WAIT_MS);
	u32 wait_ms = arg_u32("probe.lc.request_ms", DEFAULT_REQUEST_MS, 1,
			      MAX_WAIT_MS);
	struct lc l;
	u32 req;

	lc_attach(&l, m);
	probe_line("READY lifecycle-daemon");
	req = lc_take_request(&l, wait_ms);
	if (req == LC_REQ_NONE) {
		probe_fail("lifecycle-request", "none within %u ms", wait_ms);
		qnx_shm_irq_disable(&l.d, m);
		power_off(ai);
	}
	lc_announce_wait(&l,
			 req == LC_REQ_REBOOT ? LC_STATE_REBOOTING :
						LC_STATE_SHUTTING_DOWN,
			 ack_ms);
	qnx_shm_irq_disable(&l.d, m);
	if (req == LC_REQ_REBOOT)
		lc_reset(ai);
	power_off(ai);
}
