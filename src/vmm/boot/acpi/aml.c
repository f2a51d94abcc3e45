// SPDX-License-Identifier: Apache-2.0
/*
 * AML encoding, ACPI 6.4 chapter 20 ("ACPI Machine Language
 * Specification"). Section numbers below refer to that chapter.
 */
#include "aml.h"
#include "aml_priv.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* Opcodes, 20.3 / 20.2.5 */
#define AML_ZERO_OP 0x00
#define AML_ONE_OP 0x01
#define AML_NAME_OP 0x08
#define AML_BYTE_PREFIX 0x0a
#define AML_WORD_PREFIX 0x0b
#define AML_DWORD_PREFIX 0x0c
#define AML_STRING_PREFIX 0x0d
#define AML_QWORD_PREFIX 0x0e
#define AML_SCOPE_OP 0x10
#define AML_PACKAGE_OP 0x12
#define AML_METHOD_OP 0x14
#define AML_DUAL_NAME_PREFIX 0x2e
#define AML_MULTI_NAME_PREFIX 0x2f
#define AML_EXT_OP_PREFIX 0x5b
#define AML_DEVICE_OP 0x82 /* after ExtOpPrefix */
#define AML_ROOT_CHAR '\\'
#define AML_PARENT_PREFIX_CHAR '^'
#define AML_NULL_NAME 0x00
#define AML_RETURN_OP 0xa4

/* A PkgLength is at most 4 bytes and encodes at most 2^28 - 1 (20.2.4). */
#define AML_PKGLEN_MAX 4
#define AML_PKGLEN_LIMIT ((1u << 28) - 1)

void aml_init(struct aml *a)
{
	a->buf = NULL;
	a->len = 0;
	a->cap = 0;
	a->err = 0;
}

void aml_free(struct aml *a)
{
	free(a->buf);
	aml_init(a);
}

void aml_fail(struct aml *a, int err)
{
	if (!a->err)
		a->err = err;
}

/* Room for @n more bytes; false (and a sticky error) when there is none. */
static bool aml_reserve(struct aml *a, size_t n)
{
	size_t cap;
	u8 *p;

	if (a->err)
		return false;
	if (n <= a->cap - a->len)
		return true;
	if (n > AML_PKGLEN_LIMIT || a->len > AML_PKGLEN_LIMIT) {
		aml_fail(a, -E2BIG);
		return false;
	}
	cap = MAX(a->cap * 2, MAX(a->len + n, (size_t)256));
	p = realloc(a->buf, cap);
	if (!p) {
		aml_fail(a, -ENOMEM);
		return false;
	}
	a->buf = p;
	a->cap = cap;
	return true;
}

void aml_bytes(struct aml *a, const void *p, size_t n)
{
	if (!aml_reserve(a, n))
		return;
	memcpy(a->buf + a->len, p, n);
	a->len += n;
}

void aml_byte(struct aml *a, u8 b)
{
	aml_bytes(a, &b, 1);
}

void aml_le(struct aml *a, u64 v, int size)
{
	u8 b[8];
	int i;

	for (i = 0; i < size; i++)
		b[i] = (u8)(v >> (8 * i));
	aml_bytes(a, b, (size_t)size);
}

/* NameSeg (20.2.2): LeadNameChar then up to 3 NameChars, '_'-padded. */
static bool aml_seg_valid(const char *s, size_t n)
{
	size_t i;

	if (n < 1 || n > 4)
		return false;
	for (i = 0; i < n; i++) {
		char c = s[i];

		if (!((c >= 'A' && c <= 'Z') || c == '_' ||
		      (i > 0 && c >= '0' && c <= '9')))
			return false;
	}
	return true;
}

/* The NamePath after the prefixes: NullName, NameSeg, Dual or Multi. */
static void aml_name_path(struct aml *a, const char *p)
{
	size_t nseg = 1, n;
	const char *q;

	if (!*p) {
		aml_byte(a, AML_NULL_NAME);
		return;
	}
	for (q = p; *q; q++)
		nseg += *q == '.';
	if (nseg > 255) {
		aml_fail(a, -EINVAL);
		return;
	}
	if (nseg == 2)
		aml_byte(a, AML_DUAL_NAME_PREFIX);
	if (nseg > 2) {
		aml_byte(a, AML_MULTI_NAME_PREFIX);
		aml_byte(a, (u8)nseg);
	}
	for (; nseg--; p += n + 1) {
		n = strcspn(p, ".");
		if (!aml_seg_valid(p, n)) {
			aml_fail(a, -EINVAL);
			return;
		}
		aml_bytes(a, p, n);
		aml_bytes(a, "___", 4 - n);
	}
}

/* NameString (20.2.2): RootChar or ParentPrefixChars, then a NamePath. */
void aml_name_string_put(struct aml *a, const char *path)
{
	if (!path) {
		aml_fail(a, -EINVAL);
		return;
	}
	if (*path == AML_ROOT_CHAR) {
		aml_byte(a, AML_ROOT_CHAR);
		path++;
	} else {
		for (; *path == AML_PARENT_PREFIX_CHAR; path++)
			aml_byte(a, AML_PARENT_PREFIX_CHAR);
	}
	aml_name_path(a, path);
}

/* Reserve @n bytes for a header patched in later; returns its offset. */
size_t aml_hole(struct aml *a, size_t n)
{
	size_t at = a->len;

	if (aml_reserve(a, n)) {
		memset(a->buf + a->len, 0, n);
		a->len += n;
	}
	return at;
}

/*
 * Replace the @hole bytes reserved at @handle with the @hn header bytes
 * @hdr, moving the body that follows down. @hn <= @hole always.
 */
void aml_hole_fill(struct aml *a, size_t handle, size_t hole, const u8 *hdr,
		   size_t hn)
{
	size_t body = a->len - handle - hole;

	memmove(a->buf + handle + hn, a->buf + handle + hole, body);
	memcpy(a->buf + handle, hdr, hn);
	a->len -= hole - hn;
}

/* True when @handle can be a hole of @hole bytes in @a. */
bool aml_handle_valid(struct aml *a, size_t handle, size_t hole)
{
	if (a->err)
		return false;
	if (handle > a->len || a->len - handle < hole) {
		aml_fail(a, -EINVAL);
		return false;
	}
	return true;
}

/*
 * PkgLength (20.2.4) of a package whose contents after the PkgLength are
 * @body bytes. The length counts its own bytes, so the form depends on
 * the total: 1 byte up to 63 (bits 5:0), else a lead byte with the byte
 * count in bits 7:6 and the low nibble in bits 3:0, then 1-3 bytes with
 * the rest. Returns the encoded size, or 0 when it cannot be encoded.
 */
size_t aml_pkglen_encode(size_t body, u8 *out)
{
	size_t n, total, i;

	if (body + 1 <= 0x3f) {
		out[0] = (u8)(body + 1);
		return 1;
	}
	for (n = 2; n <= AML_PKGLEN_MAX; n++) {
		total = body + n;
		if (total >> (4 + 8 * (n - 1)))
			continue;
		out[0] = (u8)(((n - 1) << 6) | (total & 0xf));
		for (i = 1; i < n; i++)
			out[i] = (u8)(total >> (4 + 8 * (i - 1)));
		return n;
	}
	return 0;
}

void aml_block_end(struct aml *a, size_t handle)
{
	u8 hdr[AML_PKGLEN_MAX];
	size_t n;

	if (!aml_handle_valid(a, handle, AML_PKGLEN_MAX))
		return;
	n = aml_pkglen_encode(a->len - handle - AML_PKGLEN_MAX, hdr);
	if (!n) {
		aml_fail(a, -E2BIG);
		return;
	}
	aml_hole_fill(a, handle, AML_PKGLEN_MAX, hdr, n);
}

/* Opcode(s), a PkgLength hole, then the name: Scope, Device, Method. */
static size_t aml_named_block(struct aml *a, const u8 *op, size_t opn,
			      const char *name)
{
	size_t h;

	aml_bytes(a, op, opn);
	h = aml_hole(a, AML_PKGLEN_MAX);
	aml_name_string_put(a, name);
	return h;
}

size_t aml_scope_begin(struct aml *a, const char *path)
{
	static const u8 op[] = { AML_SCOPE_OP };

	return aml_named_block(a, op, sizeof(op), path);
}

size_t aml_device_begin(struct aml *a, const char *name)
{
	static const u8 op[] = { AML_EXT_OP_PREFIX, AML_DEVICE_OP };

	return aml_named_block(a, op, sizeof(op), name);
}

/* DefMethod (20.2.5.2): MethodFlags bits 2:0 are the argument count. */
size_t aml_method_begin(struct aml *a, const char *name, int nargs)
{
	static const u8 op[] = { AML_METHOD_OP };
	size_t h;

	if (nargs < 0 || nargs > 7)
		aml_fail(a, -EINVAL);
	h = aml_named_block(a, op, sizeof(op), name);
	aml_byte(a, (u8)nargs);
	return h;
}

/* DefPackage (20.2.5.4): NumElements is one byte. */
size_t aml_package_begin(struct aml *a, unsigned int nelems)
{
	size_t h;

	if (nelems > 255)
		aml_fail(a, -EINVAL);
	aml_byte(a, AML_PACKAGE_OP);
	h = aml_hole(a, AML_PKGLEN_MAX);
	aml_byte(a, (u8)nelems);
	return h;
}

/* ComputationalData (20.2.3): the shortest form of @v; returns its size. */
size_t aml_int_encode(u64 v, u8 *out)
{
	static const u8 prefix[] = { AML_BYTE_PREFIX, AML_WORD_PREFIX,
				     AML_DWORD_PREFIX, AML_QWORD_PREFIX };
	size_t i, k, size;

	if (v <= 1) {
		out[0] = v ? AML_ONE_OP : AML_ZERO_OP;
		return 1;
	}
	for (k = 0; k < 3 && v >> (8 << k); k++)
		;
	size = (size_t)1 << k;
	out[0] = prefix[k];
	for (i = 0; i < size; i++)
		out[1 + i] = (u8)(v >> (8 * i));
	return 1 + size;
}

/*
 * OnesOp (0xFF) is deliberately never used: its width depends on the
 * DSDT revision, and a QWordConst says the same thing unambiguously.
 */
void aml_int(struct aml *a, u64 v)
{
	u8 b[9];

	aml_bytes(a, b, aml_int_encode(v, b));
}

/* String (20.2.3): AsciiCharList is 0x01-0x7F, then NullChar. */
void aml_string(struct aml *a, const char *s)
{
	const char *p;

	if (!s) {
		aml_fail(a, -EINVAL);
		return;
	}
	for (p = s; *p; p++)
		if ((unsigned char)*p > 0x7f) {
			aml_fail(a, -EINVAL);
			return;
		}
	aml_byte(a, AML_STRING_PREFIX);
	aml_bytes(a, s, (size_t)(p - s) + 1);
}

static int aml_hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/*
 * EISA ID (ACPI 6.4 section 6.1.5, _HID): three letters of 5 bits each
 * ('A' = 1) packed big-endian into the first two bytes, then the four hex
 * digits as two bytes; stored as a DWordConst, as iasl emits it.
 */
void aml_eisaid(struct aml *a, const char *id)
{
	u8 b[5] = { AML_DWORD_PREFIX };
	int i, d[4];

	if (!id || strlen(id) != 7) {
		aml_fail(a, -EINVAL);
		return;
	}
	for (i = 0; i < 3; i++)
		if (id[i] < 'A' || id[i] > 'Z') {
			aml_fail(a, -EINVAL);
			return;
		}
	for (i = 0; i < 4; i++) {
		d[i] = aml_hex_digit(id[3 + i]);
		if (d[i] < 0) {
			aml_fail(a, -EINVAL);
			return;
		}
	}
	b[1] = (u8)(((id[0] - 0x40) << 2) | ((id[1] - 0x40) >> 3));
	b[2] = (u8)((((id[1] - 0x40) & 7) << 5) | (id[2] - 0x40));
	b[3] = (u8)(d[0] << 4 | d[1]);
	b[4] = (u8)(d[2] << 4 | d[3]);
	aml_bytes(a, b, sizeof(b));
}

void aml_return_int(struct aml *a, u64 v)
{
	aml_byte(a, AML_RETURN_OP);
	aml_int(a, v);
}

/* DefName (20.2.5.1): NameOp NameString DataRefObject. */
void aml_name(struct aml *a, const char *name)
{
	aml_byte(a, AML_NAME_OP);
	aml_name_string_put(a, name);
}

void aml_name_int(struct aml *a, const char *name, u64 v)
{
	aml_name(a, name);
	aml_int(a, v);
}

void aml_name_string(struct aml *a, const char *name, const char *s)
{
	aml_name(a, name);
	aml_string(a, s);
}

void aml_name_eisaid(struct aml *a, const char *name, const char *id)
{
	aml_name(a, name);
	aml_eisaid(a, id);
}

void aml_name_package_int(struct aml *a, const char *name, const u64 *v, int n)
{
	size_t h;
	int i;

	if (n < 0 || n > 255 || (n && !v)) {
		aml_fail(a, -EINVAL);
		return;
	}
	aml_name(a, name);
	h = aml_package_begin(a, (unsigned int)n);
	for (i = 0; i < n; i++)
		aml_int(a, v[i]);
	aml_block_end(a, h);
}

void aml_method_return_int(struct aml *a, const char *name, int nargs, u64 v)
{
	size_t h = aml_method_begin(a, name, nargs);

	aml_return_int(a, v);
	aml_block_end(a, h);
}
