/*
 * TSC calibration (tsc.h). The LAPIC's current count is read between
 * two RDTSCs, and of several such samples the one read fastest is kept:
 * the host may stop the vCPU between any two instructions (a loaded
 * host, or one that emulates the guest: kvm_pvm), and a sample it
 * stopped in is seen by its width. Halting for a one-shot instead (the
 * probe's first method) let a late wake-up count as timer time; under
 * load it gave 0 or twice the real rate.
 */
#include "tsc.h"
#include "apic.h"
#include "x86.h"

#define CLOCK_US 1000000ull /* armed; stopped well before it fires */
#define SPAN_NS 50000000ull
#define TRIES 8

struct sample {
	u64 tsc, ns, width;
};

static void sample_best(struct sample *best)
{
	struct sample s;
	u64 t0;
	int i;

	best->width = ~0ull;
	for (i = 0; i < TRIES; i++) {
		t0 = rdtsc();
		s.ns = apic_clock_ns();
		s.tsc = rdtsc();
		s.width = s.tsc - t0;
		s.tsc = t0 + s.width / 2;
		if (s.width < best->width)
			*best = s;
	}
}

u64 tsc_khz(void)
{
	struct sample a, b;

	apic_clock_start(CLOCK_US);
	sample_best(&a);
	while (apic_clock_ns() - a.ns < SPAN_NS)
		cpu_relax();
	sample_best(&b);
	apic_clock_stop();
	if (b.tsc <= a.tsc || b.ns <= a.ns)
		return 0;
	return (b.tsc - a.tsc) * 1000000ull / (b.ns - a.ns);
}
