/*
 * The shared-memory scenarios: shm-qnx, shm-ivshmem, shm-pingpong,
 * lifecycle and lifecycle-daemon.
 */
#ifndef PROBE_SHM_H
#define PROBE_SHM_H

#include "acpi.h"
#include "madt.h"

__noreturn void shm_qnx_run(const struct acpi_info *ai,
			    const struct madt_info *m);
__noreturn void shm_ivshmem_run(const struct acpi_info *ai,
				const struct madt_info *m);
__noreturn void shm_pingpong_run(const struct acpi_info *ai,
				 const struct madt_info *m);
__noreturn void shm_lifecycle_run(const struct acpi_info *ai,
				  const struct madt_info *m);
__noreturn void shm_lifecycle_daemon_run(const struct acpi_info *ai,
					 const struct madt_info *m);

/*
 * Where a 64-bit BAR goes when nothing assigned it: the first GiB above
 * RAM and at least 4 GiB, where vessel's DSDT opens its 64-bit PCI
 * window (ALIGN_UP(top of RAM, 1 GiB)).
 */
u64 shm_window_fallback(void);

#endif
