/* SPDX-License-Identifier: Apache-2.0 */
#ifndef VESSEL_AML_PRIV_H
#define VESSEL_AML_PRIV_H

/* Internals shared by aml.c and aml_crs.c; not for other modules. */

#include "aml.h"

/* Record @err unless an earlier error is already recorded. */
void aml_fail(struct aml *a, int err);
void aml_byte(struct aml *a, u8 b);
/* @v as @size (1-8) little-endian bytes. */
void aml_le(struct aml *a, u64 v, int size);
/* NameString (ACPI 20.2.2) for @path; -EINVAL when malformed. */
void aml_name_string_put(struct aml *a, const char *path);
/* Reserve @n zero bytes for a header filled in later; returns the offset. */
size_t aml_hole(struct aml *a, size_t n);
/*
 * Replace the @hole bytes reserved at @handle with the @hn (<= @hole)
 * bytes at @hdr, moving what follows down.
 */
void aml_hole_fill(struct aml *a, size_t handle, size_t hole, const u8 *hdr,
		   size_t hn);
/* No error so far and @handle names @hole bytes inside the buffer. */
bool aml_handle_valid(struct aml *a, size_t handle, size_t hole);
/*
 * Encode the PkgLength of @body following bytes into @out (4 bytes);
 * returns the bytes used, 0 when @body is too long.
 */
size_t aml_pkglen_encode(size_t body, u8 *out);
/* Encode @v as the shortest integer constant into @out (9 bytes). */
size_t aml_int_encode(u64 v, u8 *out);

#endif
