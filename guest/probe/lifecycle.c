/*
 * probe.test=lifecycle: a guest going down tells its host, as
 * `vessel-guest notify shutting-down --wait-ack T` does in a Linux
 * guest. Over the qnx model it finds the `lifecycle` region that vessel
 * created and attached to before the guest ran, writes the header's
 * guest state (docs/lifecycle.md, src/common/lifecycle.h: the constants
 * are repeated here, the probe being freestanding), bumps guest_seq,
 * notifies the host's peer and waits for host_ack to reach guest_seq,
 * never longer than probe.lc.ack_ms. Then it powers off (S5) either way.
 */
#include "shm.h"
#include "apic.h"
#include "args.h"
#include "power.h"
#include "print.h"
#include "rtc.h"
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
#define LC_OFF_GUEST_TIME_NS 32
#define LC_STATE_SHUTTING_DOWN 2

#define LC_REGION "lifecycle"
#define DEFAULT_ACK_MS 2000
#define MAX_ACK_MS 600000

static u32 lc_read32(u64 data, u32 off)
{
	return READ_ONCE(*(volatile u32 *)(data + off));
}

static void lc_write32(u64 data, u32 off, u32 v)
{
	WRITE_ONCE(*(volatile u32 *)(data + off), v);
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
 * one), then the sequence number last, so a host that reads a new guest_seq reads the
 * state that goes with it (x86 keeps stores in order; the volatile
 * accesses keep the compiler from reordering them).
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

__noreturn void shm_lifecycle_run(const struct acpi_info *ai,
				  const struct madt_info *m)
{
	u32 ack_ms = arg_u32("probe.lc.ack_ms", DEFAULT_ACK_MS, 0, MAX_ACK_MS);
	struct qnx_shm d;
	struct qnx_shm_conn c;
	struct lc_wait w;
	u64 ns;
	u32 st, host;

	if (qnx_shm_init(&d, shm_window_fallback(), "lifecycle"))
		trap_triple_fault();
	qnx_shm_set_name(&d, LC_REGION, sizeof(LC_REGION) - 1, false);
	st = qnx_shm_connect(&d, 1, true, &c);
	if (st != GSS_OK)
		probe_abort("lifecycle", "find \"%s\": %s (%u)", LC_REGION,
			    qnx_shm_status_name(st), st);
	qnx_shm_poll(&c);
	host = lc_host_peer(&c);
	lc_check_header(c.data);
	if (qnx_shm_irq_enable(&d, &c, m))
		trap_triple_fault();
	w.data = c.data;
	w.seq = lc_announce(c.data, LC_STATE_SHUTTING_DOWN);
	probe_info("lifecycle idx %u host peer %u: shutting-down, guest_seq "
		   "%u, guest_time_ns %llu",
		   c.idx, host, w.seq,
		   READ_ONCE(*(volatile u64 *)(c.data + LC_OFF_GUEST_TIME_NS)));
	qnx_shm_notify(&c, 1u << host);
	if (apic_wait_timed(acked, &w, (u64)ack_ms * 1000, &ns))
		probe_pass("lifecycle", "ack after %llu us", ns / 1000);
	else
		probe_info("lifecycle: no ack after %u ms (host_ack %u)",
			   ack_ms, lc_read32(c.data, LC_OFF_HOST_ACK));
	qnx_shm_irq_disable(&d, m);
	power_off(ai);
}
