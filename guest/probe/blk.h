/*
 * The virtio-blk scenarios (blk-write, blk-readonly, blk-full,
 * blk-zeroes, blk-malformed, blk-bench) and what they share.
 */
#ifndef PROBE_BLK_H
#define PROBE_BLK_H

#include "acpi.h"
#include "madt.h"
#include "vblk.h"

__noreturn void blk_write_run(const struct acpi_info *ai,
			      const struct madt_info *m);
__noreturn void blk_readonly_run(const struct acpi_info *ai,
				 const struct madt_info *m);
__noreturn void blk_full_run(const struct acpi_info *ai,
			     const struct madt_info *m);
__noreturn void blk_flush_error_run(const struct acpi_info *ai,
				    const struct madt_info *m);
__noreturn void blk_zeroes_run(const struct acpi_info *ai,
			       const struct madt_info *m);
__noreturn void blk_malformed_run(const struct acpi_info *ai,
				  const struct madt_info *m);
__noreturn void blk_bench_run(const struct acpi_info *ai,
			      const struct madt_info *m);

/*
 * Open the disk the probe.disk / probe.blk-* arguments name and print
 * "PASS blk-init: disk I capacity C sectors features 0xF"; FAIL and a
 * reset if it cannot.
 */
void blk_open(struct vblk *b, const struct madt_info *m);
/*
 * One request, waited for; a FAIL in @step and a reset if it never
 * completes. Returns its status.
 */
u8 blk_exec(struct vblk *b, u32 type, u64 sector, void *data, u32 len,
	    const char *step);
/*
 * Write @count sectors of the pattern with @seed from @sector, in
 * requests of @per sectors through @buf (@per sectors long); stops at
 * the first failed request with a FAIL in @step. True if all succeeded.
 */
bool blk_write_pattern(struct vblk *b, u64 sector, u32 count, u32 per, u32 seed,
		       u8 *buf, const char *step);
/*
 * Read them back the same way and compare: false, after a FAIL in @step
 * naming the first bad sector and byte, on the first mismatch.
 */
bool blk_verify_pattern(struct vblk *b, u64 sector, u32 count, u32 per,
			u32 seed, u8 *buf, const char *step);
/* INFO with the interrupts taken, then S5. */
__noreturn void blk_power_off(const struct vblk *b, const struct acpi_info *ai);
/* [@sector, @sector + @count) must lie within the disk, else FAIL args. */
void blk_check_range(const struct vblk *b, u64 sector, u64 count);

#endif
