/* SPDX-License-Identifier: Apache-2.0 */
#ifndef VESSEL_AML_H
#define VESSEL_AML_H

/*
 * A small AML byte-code builder (ACPI 6.4 chapter 20), enough for a
 * DSDT: scopes, devices, named integers/strings/packages, trivial methods
 * and resource templates (ACPI 6.4 section 6.4).
 *
 * The buffer grows as needed. Errors are sticky in @err: every call after
 * the first error does nothing, so callers check once at the end.
 *   -ENOMEM  allocation failed
 *   -EINVAL  a bad name, a value out of range, a mismatched handle
 *   -E2BIG   a block longer than a PkgLength can encode (2^28 - 1)
 * Names are NameSegs of 1-4 characters ([A-Z_][A-Z0-9_]*, padded with '_')
 * or paths: an optional '\' or '^' prefixes, then segments joined by '.'
 * ("\_SB.PCI0", "^COM1"). Not thread-safe: one builder per thread.
 */

#include "../../../common/types.h"

struct aml {
	u8 *buf;
	size_t len, cap;
	int err; /* 0, or the first -errno; sticky */
};

void aml_init(struct aml *a);
/* Free the buffer; @a may be re-used after aml_init(). */
void aml_free(struct aml *a);

/*
 * Blocks that carry a PkgLength (ACPI 20.2.4). _begin returns a handle,
 * aml_block_end() patches in the shortest length encoding (1 to 4 bytes).
 * Blocks must be closed innermost first.
 */
size_t aml_scope_begin(struct aml *a, const char *path); /* Scope(\_SB) */
size_t aml_device_begin(struct aml *a, const char *name); /* Device(COM1) */
/* Package(){...} with @nelems elements (0-255) that the caller appends. */
size_t aml_package_begin(struct aml *a, unsigned int nelems);
/* Method(@name, @nargs (0-7), NotSerialized){ ... } */
size_t aml_method_begin(struct aml *a, const char *name, int nargs);
void aml_block_end(struct aml *a, size_t handle);

/* Data objects, to follow aml_name() or to fill a package. */
/* Integer constant: Zero, One, Byte, Word, DWord or QWord, as small as fits. */
void aml_int(struct aml *a, u64 v);
void aml_string(struct aml *a, const char *s);
/* EisaId("PNP0501"): the compressed 32-bit ID (ACPI 6.4 section 6.1.5). */
void aml_eisaid(struct aml *a, const char *id);
/* Return(@v) */
void aml_return_int(struct aml *a, u64 v);

/* Name(@name, ...): the NameOp and the name; the caller adds one object. */
void aml_name(struct aml *a, const char *name);
/* Name(_UID, 0) and friends, in one call. */
void aml_name_int(struct aml *a, const char *name, u64 v);
void aml_name_string(struct aml *a, const char *name, const char *s);
void aml_name_eisaid(struct aml *a, const char *name, const char *id);
/* Name(_S5, Package(){5, 0, 0, 0}): @n integers (0-255). */
void aml_name_package_int(struct aml *a, const char *name, const u64 *v, int n);
/* Method(_STA, 0){ Return(0x0F) } */
void aml_method_return_int(struct aml *a, const char *name, int nargs, u64 v);

/*
 * Resource templates (ACPI 6.4 section 6.4): Name(@name,
 * ResourceTemplate(){...}). Descriptors go between _begin and _end;
 * aml_crs_end() appends the End Tag (checksum 0) and the buffer size.
 */
size_t aml_crs_begin(struct aml *a, const char *name); /* "_CRS" */
/* IO(Decode16, @min, @max, @align, @len) */
void aml_crs_io(struct aml *a, u16 min, u16 max, u8 align, u8 len);
/* IRQNoFlags(){@irq}: edge, active high, exclusive; @irq 0-15. */
void aml_crs_irq(struct aml *a, u8 irq);
/* Memory32Fixed(ReadWrite or ReadOnly, @base, @len) */
void aml_crs_mem32_fixed(struct aml *a, u32 base, u32 len, bool rw);
/*
 * Address space descriptors of a bridge's window (ResourceProducer,
 * MinFixed, MaxFixed, PosDecode, granularity 0, translation 0) covering
 * [@min, @max]; @max < @min, or a length that does not fit, is -EINVAL.
 */
void aml_crs_word_bus(struct aml *a, u16 min, u16 max);
void aml_crs_word_io(struct aml *a, u16 min, u16 max); /* EntireRange */
void aml_crs_dword_mem(struct aml *a, u32 min, u32 max, bool cacheable);
void aml_crs_qword_mem(struct aml *a, u64 min, u64 max, bool cacheable);
void aml_crs_end(struct aml *a, size_t handle);

/* Raw bytes, for what the helpers above do not cover. */
void aml_bytes(struct aml *a, const void *p, size_t n);

#endif
