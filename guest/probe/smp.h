/* Application processor start-up. */
#ifndef PROBE_SMP_H
#define PROBE_SMP_H

#include "madt.h"

/*
 * Wake every enabled processor of @m other than the BSP with INIT-SIPI-SIPI
 * and wait (HLT, at most @timeout_us) until each has checked in. Returns
 * the number of CPUs online, the BSP included.
 */
u32 smp_boot(const struct madt_info *m, u64 timeout_us);
/* First C code of an AP (entry.S); never returns. */
__noreturn void ap_main(void);

#endif
