/*
 * \_S5 without an interpreter. ACPI 6.5 7.4.2 defines \_Sx as a Package
 * { SLP_TYPa, SLP_TYPb, Reserved, Reserved }; compilers emit it as
 * NameOp NameString PackageOp PkgLength NumElements DataRefObject...
 * (20.2.5.1, 20.2.5.4). The search accepts the NameSeg "_S5_" after
 * NameOp with or without the root prefix, and decodes integer constants
 * (20.2.3): ZeroOp, OneOp, OnesOp, Byte/Word/DWord/QWordConst.
 */
#include "aml.h"
#include "lib.h"

#define AML_ZERO_OP 0x00
#define AML_STRING_PREFIX 0x0d
#define AML_BUFFER_OP 0x11
#define AML_EXT_OP 0x5b
#define AML_DEVICE_OP 0x82 /* after AML_EXT_OP */
#define AML_ONE_OP 0x01
#define AML_NAME_OP 0x08
#define AML_BYTE_PREFIX 0x0a
#define AML_WORD_PREFIX 0x0b
#define AML_DWORD_PREFIX 0x0c
#define AML_QWORD_PREFIX 0x0e
#define AML_PACKAGE_OP 0x12
#define AML_ROOT_CHAR 0x5c
#define AML_ONES_OP 0xff

/* True if the NameSeg at @i is the name of a NameOp (20.2.5.1). */
static bool is_name_decl(const u8 *aml, u32 i)
{
	if (i >= 1 && aml[i - 1] == AML_NAME_OP)
		return true;
	return i >= 2 && aml[i - 1] == AML_ROOT_CHAR &&
	       aml[i - 2] == AML_NAME_OP;
}

/* PkgLength (20.2.4): returns the encoding's size, 0 if malformed. */
static u32 pkg_length(const u8 *p, u32 avail, u32 *len)
{
	u32 follow = p[0] >> 6, i;

	if (avail < 1 + follow)
		return 0;
	if (!follow) {
		*len = p[0] & 0x3f;
		return 1;
	}
	*len = p[0] & 0x0f;
	for (i = 1; i <= follow; i++)
		*len |= (u32)p[i] << (4 + 8 * (i - 1));
	return 1 + follow;
}

/* One integer element; returns its encoded size, 0 if not an integer. */
static u32 int_const(const u8 *p, u32 avail, u64 *val)
{
	static const u8 size[] = { [AML_BYTE_PREFIX] = 1,
				   [AML_WORD_PREFIX] = 2,
				   [AML_DWORD_PREFIX] = 4,
				   [AML_QWORD_PREFIX] = 8 };
	u32 n;

	if (p[0] == AML_ZERO_OP || p[0] == AML_ONE_OP) {
		*val = p[0];
		return 1;
	}
	if (p[0] == AML_ONES_OP) {
		*val = ~0ull;
		return 1;
	}
	if (p[0] >= ARRAY_SIZE(size) || !size[p[0]])
		return 0;
	n = size[p[0]];
	if (avail < 1 + n)
		return 0;
	*val = 0;
	__builtin_memcpy(val, p + 1, n);
	return 1 + n;
}

/* Decode the package at @p (PackageOp already checked) into the types. */
static int s5_package(const u8 *p, u32 avail, u8 *typa, u8 *typb)
{
	u32 plen, hdr, pos, n, count;
	u64 v[2] = { 0, 0 };

	hdr = pkg_length(p, avail, &plen);
	/* PkgLength counts itself and the body, not the PackageOp. */
	if (!hdr || plen < hdr + 1 || plen > avail)
		return -EINVAL;
	count = p[hdr];
	pos = hdr + 1;
	for (n = 0; n < count && n < 2; n++) {
		u32 used =
			pos < plen ? int_const(p + pos, plen - pos, &v[n]) : 0;

		if (!used)
			return -EINVAL;
		pos += used;
	}
	if (count == 0)
		return -EINVAL;
	/* A one-integer package packs SLP_TYPb into bits 15:8 (ACPICA). */
	*typa = (u8)v[0];
	*typb = count == 1 ? (u8)(v[0] >> 8) : (u8)v[1];
	return 0;
}

int aml_find_s5(const u8 *aml, u32 len, u8 *slp_typa, u8 *slp_typb)
{
	u32 i;
	int err = -ENOENT;

	for (i = 0; i + 5 < len; i++) {
		if (aml[i] != '_' || memcmp(aml + i, "_S5_", 4) ||
		    !is_name_decl(aml, i))
			continue;
		if (aml[i + 4] != AML_PACKAGE_OP) {
			err = -EINVAL;
			continue;
		}
		err = s5_package(aml + i + 5, len - i - 5, slp_typa, slp_typb);
		if (!err)
			return 0;
	}
	return err;
}

/*
 * Resource descriptors (ACPI 6.5 6.4): small ones have the type in bits
 * 6:3 of their tag and the length in bits 2:0; large ones (bit 7) a
 * 16-bit length after the tag. IO (type 0x08) has its 16-bit minimum
 * base at +2; FixedIO (0x09) a 10-bit base at +1; End Tag is 0x0F.
 */
#define RES_LARGE 0x80
#define RES_SMALL_TYPE(b) (((b) >> 3) & 0x0f)
#define RES_SMALL_LEN(b) ((b)&0x07)
#define RES_IO 0x08
#define RES_FIXED_IO 0x09
#define RES_END_TAG 0x0f

static int crs_first_io(const u8 *p, u32 len, u16 *port)
{
	u32 i = 0, n;
	u8 t;

	while (i < len) {
		if (p[i] & RES_LARGE) {
			if (i + 3 > len)
				break;
			i += 3 + (p[i + 1] | (u32)p[i + 2] << 8);
			continue;
		}
		t = RES_SMALL_TYPE(p[i]);
		n = RES_SMALL_LEN(p[i]);
		if (t == RES_END_TAG || i + 1 + n > len)
			break;
		if (t == RES_IO && n >= 3) {
			*port = p[i + 2] | (u16)(p[i + 3] << 8);
			return 0;
		}
		if (t == RES_FIXED_IO && n >= 2) {
			*port = (p[i + 1] | (u16)(p[i + 2] << 8)) & 0x3ff;
			return 0;
		}
		i += 1 + n;
	}
	return -EINVAL;
}

/*
 * The Buffer after "NameOp _CRS": BufferOp PkgLength BufferSize bytes
 * (20.2.5.4); a ResourceTemplate is such a buffer.
 */
static int crs_buffer(const u8 *p, u32 avail, u16 *port)
{
	u32 plen, hdr, used;
	u64 size;

	if (avail < 2 || p[0] != AML_BUFFER_OP)
		return -EINVAL;
	hdr = pkg_length(p + 1, avail - 1, &plen);
	if (!hdr || plen < hdr + 1 || plen > avail - 1)
		return -EINVAL;
	used = int_const(p + 1 + hdr, plen - hdr, &size);
	if (!used || size > plen - hdr - used)
		return -EINVAL;
	return crs_first_io(p + 1 + hdr + used, (u32)size, port);
}

/* The _CRS after @i, before the next Device () or the end. */
static int device_crs_io(const u8 *aml, u32 i, u32 len, u16 *port)
{
	for (; i + 5 < len; i++) {
		if (aml[i] == AML_EXT_OP && aml[i + 1] == AML_DEVICE_OP)
			break;
		if (aml[i] == '_' && !memcmp(aml + i, "_CRS", 4) &&
		    is_name_decl(aml, i))
			return crs_buffer(aml + i + 4, len - i - 4, port);
	}
	return -EINVAL;
}

int aml_find_hid_io(const u8 *aml, u32 len, const char *hid, u16 *port)
{
	u32 n = (u32)strlen(hid), i;

	/* "_HID" StringPrefix hid NUL, declared by a NameOp. */
	for (i = 0; i + 6 + n < len; i++) {
		if (aml[i] != '_' || memcmp(aml + i, "_HID", 4) ||
		    aml[i + 4] != AML_STRING_PREFIX ||
		    memcmp(aml + i + 5, hid, n) || aml[i + 5 + n] != 0 ||
		    !is_name_decl(aml, i))
			continue;
		return device_crs_io(aml, i + 6 + n, len, port);
	}
	return -ENOENT;
}
