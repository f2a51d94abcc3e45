/* TSC calibration (tsc.h). */
#include "tsc.h"
#include "apic.h"
#include "x86.h"

#define CALIB_US 50000ull

/* TSC cycles across one LAPIC one-shot of @us; its length in *@ns. */
static u64 tsc_across(u64 us, u64 *ns)
{
	u64 t0 = rdtsc();

	apic_wait_timed(NULL, NULL, us, ns);
	return rdtsc() - t0;
}

u64 tsc_khz(void)
{
	u64 ns_short, ns_long, c_short, c_long;

	c_short = tsc_across(CALIB_US, &ns_short);
	c_long = tsc_across(2 * CALIB_US, &ns_long);
	if (c_long <= c_short || ns_long <= ns_short)
		return 0;
	return (c_long - c_short) * 1000000ull / (ns_long - ns_short);
}
