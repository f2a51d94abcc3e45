/*
 * probe.test=shm-pingpong: doorbell round trips on QEMU's ivshmem-doorbell
 * (vessel's model=ivshmem or QEMU's own device), for make bench.
 *
 * The echo side (probe.pp.role=echo) rings back every doorbell it takes,
 * from its MSI-X handler, to the peer the initiator named in the region.
 * The initiator (probe.pp.role=initiator: another guest; or a host
 * program) rings, waits for the echo's doorbell, and times each round trip
 * with the TSC (tsc.h). Both know nothing of
 * each other's ids: the record at offset 0 of the region tells them.
 */
#include "shm.h"
#include "apic.h"
#include "args.h"
#include "power.h"
#include "print.h"
#include "shm_ivshmem.h"
#include "trap.h"
#include "tsc.h"
#include "x86.h"

#define PP_MAGIC 0x474e5050u /* "PPNG" */
#define PP_MAX_ROUNDS 20000
#define PP_DEFAULT_ROUNDS 10000
#define PP_SLICE_US 100000ull /* how often the LAPIC timer is re-armed */
#define PP_FIRST_US 30000000ull /* for the peer: it may still be booting */
#define PP_IDLE_US 2000000ull /* between two doorbells of a run */
#define PP_POLL_US 1000ull

/*
 * At offset 0 of the region. The echo side writes @echo, then @magic when
 * its doorbell interrupt is armed; the initiator writes @initiator before
 * its first ring. Host programs (make bench) follow the same record.
 */
struct pp_record {
	u32 magic;
	u32 echo; /* the echo side's IVPosition */
	u32 initiator; /* the initiator's peer id + 1; 0: none yet */
};

struct pingpong {
	struct ivshmem dev;
	volatile struct pp_record *rec;
	u32 rounds;
	u32 irqs; /* doorbells taken */
	u64 irq_tsc; /* when the last one came */
	/* initiator: the round in flight */
	u16 peer;
	u32 done, seen;
	bool waiting;
	u64 start;
};

static struct pingpong pp;
static u32 rtt[PP_MAX_ROUNDS]; /* TSC cycles per round trip */

/* Echo side: ring back first, so the count and the EOI are off the path. */
static void pp_echo_irq(u8 vector)
{
	u32 to = pp.rec->initiator;

	(void)vector;
	if (to)
		ivshmem_ring(&pp.dev, (u16)(to - 1), 0);
	WRITE_ONCE(pp.irqs, pp.irqs + 1);
	apic_eoi();
}

static void pp_initiator_irq(u8 vector)
{
	(void)vector;
	WRITE_ONCE(pp.irq_tsc, rdtsc());
	WRITE_ONCE(pp.irqs, pp.irqs + 1);
	apic_eoi();
}

static void sift_down(u32 *a, u32 root, u32 n)
{
	u32 child, tmp;

	while ((child = 2 * root + 1) < n) {
		if (child + 1 < n && a[child + 1] > a[child])
			child++;
		if (a[root] >= a[child])
			return;
		tmp = a[root];
		a[root] = a[child];
		a[child] = tmp;
		root = child;
	}
}

static void heap_sort(u32 *a, u32 n)
{
	u32 i, tmp;

	for (i = n / 2; i-- > 0;)
		sift_down(a, i, n);
	for (i = n; i-- > 1;) {
		tmp = a[0];
		a[0] = a[i];
		a[i] = tmp;
		sift_down(a, 0, i);
	}
}

/*
 * Wait in slices, so the LAPIC timer is re-armed rarely, until @done;
 * FAIL if no doorbell came for PP_FIRST_US before the first, PP_IDLE_US
 * after it.
 */
static bool pp_wait(bool (*done)(void *arg), const char *step)
{
	u64 idle = 0;
	u32 before;

	for (;;) {
		before = READ_ONCE(pp.irqs);
		if (apic_wait(done, NULL, PP_SLICE_US))
			return true;
		idle = READ_ONCE(pp.irqs) == before ? idle + PP_SLICE_US : 0;
		if (idle >= (before ? PP_IDLE_US : PP_FIRST_US)) {
			probe_fail(step,
				   "no doorbell for %llu ms after %u of %u "
				   "rounds",
				   idle / 1000, before, pp.rounds);
			return false;
		}
	}
}

static bool echoed_all(void *arg)
{
	(void)arg;
	return READ_ONCE(pp.irqs) >= pp.rounds;
}

static void pp_echo(u32 pos)
{
	trap_set_handler(VEC_SHM, pp_echo_irq);
	pp.rec->echo = pos;
	asm volatile("" : : : "memory");
	pp.rec->magic = PP_MAGIC;
	probe_line("READY shm-pingpong");
	if (pp_wait(echoed_all, "shm-pingpong"))
		probe_pass("shm-pingpong", "echoed %u doorbells to peer %u",
			   pp.irqs, pp.rec->initiator - 1);
}

/*
 * Called with interrupts off before each halt: close the round whose
 * answer came, start the next one. True when all are done.
 */
static bool pp_step(void *arg)
{
	u32 irqs = READ_ONCE(pp.irqs);
	u64 c;

	(void)arg;
	if (pp.waiting) {
		if (irqs == pp.seen)
			return false;
		c = READ_ONCE(pp.irq_tsc) - pp.start;
		rtt[pp.done++] = c > 0xffffffffull ? 0xffffffffu : (u32)c;
		pp.waiting = false;
	}
	if (pp.done == pp.rounds)
		return true;
	pp.seen = irqs;
	pp.waiting = true;
	pp.start = rdtsc();
	ivshmem_ring(&pp.dev, pp.peer, 0);
	return false;
}

static bool echo_ready(void)
{
	u64 waited;

	for (waited = 0; waited < PP_FIRST_US; waited += PP_POLL_US) {
		if (pp.rec->magic == PP_MAGIC)
			return true;
		apic_udelay(PP_POLL_US);
	}
	return false;
}

static void pp_report(u64 khz)
{
	u32 n = pp.rounds, p99 = (99 * n + 99) / 100 - 1; /* nearest rank */
	u64 med;

	heap_sort(rtt, n);
	med = n % 2 ? rtt[n / 2] : ((u64)rtt[n / 2 - 1] + rtt[n / 2] + 1) / 2;
	probe_info("shm-pingpong rtt min %llu ns max %llu ns",
		   tsc_to_ns(rtt[0], khz), tsc_to_ns(rtt[n - 1], khz));
	probe_pass("shm-pingpong",
		   "%u round trips to peer %u: rtt median %llu ns p99 %llu ns",
		   n, pp.peer, tsc_to_ns(med, khz), tsc_to_ns(rtt[p99], khz));
}

static void pp_initiator(u32 pos)
{
	u64 khz = tsc_khz();

	if (!khz)
		probe_abort("shm-pingpong", "the TSC does not count");
	probe_info("shm-pingpong tsc %llu kHz", khz);
	trap_set_handler(VEC_SHM, pp_initiator_irq);
	if (!echo_ready()) {
		probe_fail("shm-pingpong", "no echo side in %llu s",
			   PP_FIRST_US / 1000000);
		return;
	}
	pp.peer = (u16)pp.rec->echo;
	pp.rec->initiator = pos + 1;
	probe_info("shm-pingpong position %u, echo side %u", pos, pp.peer);
	if (pp_wait(pp_step, "shm-pingpong"))
		pp_report(khz);
}

__noreturn void shm_pingpong_run(const struct acpi_info *ai,
				 const struct madt_info *m)
{
	bool initiator = arg_choice("probe.pp.role", "echo", "initiator");
	u32 pos;

	(void)m;
	pp.rounds =
		arg_u32("probe.pp.rounds", PP_DEFAULT_ROUNDS, 1, PP_MAX_ROUNDS);
	if (ivshmem_init(&pp.dev, shm_window_fallback(), "shm-pingpong") ||
	    ivshmem_enable_msix(&pp.dev, "shm-pingpong"))
		trap_triple_fault();
	pp.rec = (volatile struct pp_record *)pp.dev.region;
	pos = ivshmem_position(&pp.dev);
	probe_info("shm-pingpong %s, position %u, %u rounds",
		   initiator ? "initiator" : "echo", pos, pp.rounds);
	if (initiator)
		pp_initiator(pos);
	else
		pp_echo(pos);
	power_off(ai);
}
