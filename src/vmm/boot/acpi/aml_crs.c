// SPDX-License-Identifier: Apache-2.0
/*
 * Resource templates: resource data types for ACPI (ACPI 6.4 section 6.4),
 * wrapped as Name(_CRS, Buffer(size){...}) as iasl compiles
 * ResourceTemplate() (ACPI 19.3.3).
 */
#include "aml.h"
#include "aml_priv.h"

#include <errno.h>
#include <string.h>

#define AML_BUFFER_OP 0x11

/* Small resource items (6.4.2): tag byte = type << 3 | length. */
#define RES_IRQ_NOFLAGS 0x22 /* 6.4.2.1, 2 bytes: mask */
#define RES_IO 0x47 /* 6.4.2.5, 7 bytes */
#define RES_IO_DECODE16 0x01
#define RES_END_TAG 0x79 /* 6.4.2.9, 1 byte: checksum */

/* Large resource items (6.4.3): tag byte, 16-bit length. */
#define RES_MEM32_FIXED 0x86 /* 6.4.3.4, 9 bytes */
#define RES_DWORD_ADDR 0x87 /* 6.4.3.5.2 */
#define RES_WORD_ADDR 0x88 /* 6.4.3.5.3 */
#define RES_QWORD_ADDR 0x8a /* 6.4.3.5.1 */

/* Address space descriptor fields (6.4.3.5, Table 6.44-6.46). */
#define RES_TYPE_MEM 0
#define RES_TYPE_IO 1
#define RES_TYPE_BUS 2
/* General flags: _MAF | _MIF, positive decode, producer (bit 0 clear). */
#define RES_GFLAGS_WINDOW 0x0c
#define RES_IO_RNG_ENTIRE 0x03 /* I/O _RNG: ISA and non-ISA ranges */
#define RES_MEM_RW 0x01 /* memory _RW */
#define RES_MEM_CACHEABLE 0x02 /* memory _MEM = 1 (Cacheable) */

/*
 * The size of a ResourceTemplate buffer is only known at its end, and it
 * is encoded (BufferSize, a TermArg) after the PkgLength, so the hole
 * holds both: a PkgLength and a DWordConst at most.
 */
#define CRS_HOLE (4 + 5)

size_t aml_crs_begin(struct aml *a, const char *name)
{
	aml_name(a, name);
	aml_byte(a, AML_BUFFER_OP);
	return aml_hole(a, CRS_HOLE);
}

/* DefBuffer (20.2.5.4): BufferOp PkgLength BufferSize ByteList. */
void aml_crs_end(struct aml *a, size_t handle)
{
	static const u8 end_tag[] = { RES_END_TAG, 0 /* checksum: none */ };
	u8 hdr[CRS_HOLE], size[9];
	size_t bytes, sn, pn;

	if (!aml_handle_valid(a, handle, CRS_HOLE))
		return;
	aml_bytes(a, end_tag, sizeof(end_tag));
	if (a->err)
		return;
	bytes = a->len - handle - CRS_HOLE;
	sn = aml_int_encode(bytes, size);
	pn = aml_pkglen_encode(sn + bytes, hdr);
	if (!pn || sn > 5) {
		aml_fail(a, -E2BIG);
		return;
	}
	memcpy(hdr + pn, size, sn);
	aml_hole_fill(a, handle, CRS_HOLE, hdr, pn + sn);
}

/* I/O Port Descriptor (6.4.2.5), 16-bit decode. */
void aml_crs_io(struct aml *a, u16 min, u16 max, u8 align, u8 len)
{
	if (max < min) {
		aml_fail(a, -EINVAL);
		return;
	}
	aml_byte(a, RES_IO);
	aml_byte(a, RES_IO_DECODE16);
	aml_le(a, min, 2);
	aml_le(a, max, 2);
	aml_byte(a, align);
	aml_byte(a, len);
}

/* IRQ Descriptor (6.4.2.1), 2-byte form: edge, active high, exclusive. */
void aml_crs_irq(struct aml *a, u8 irq)
{
	if (irq > 15) {
		aml_fail(a, -EINVAL);
		return;
	}
	aml_byte(a, RES_IRQ_NOFLAGS);
	aml_le(a, 1u << irq, 2);
}

/* 32-Bit Fixed Memory Range Descriptor (6.4.3.4). */
void aml_crs_mem32_fixed(struct aml *a, u32 base, u32 len, bool rw)
{
	if ((u64)base + len > (1ULL << 32)) {
		aml_fail(a, -EINVAL);
		return;
	}
	aml_byte(a, RES_MEM32_FIXED);
	aml_le(a, 9, 2);
	aml_byte(a, rw ? RES_MEM_RW : 0);
	aml_le(a, base, 4);
	aml_le(a, len, 4);
}

/*
 * Word/DWord/QWord Address Space Descriptor (6.4.3.5.1-3): resource type,
 * general flags, type-specific flags, then granularity, min, max,
 * translation offset and length, each @size bytes.
 */
static void aml_crs_addr(struct aml *a, u8 tag, int size, u8 type, u8 tflags,
			 u64 min, u64 max)
{
	u64 limit = size == 8 ? ~0ULL : (1ULL << (8 * size)) - 1;
	u64 len = max - min + 1;

	/* len must be 1..limit: catches max < min and 0..limit wrapping. */
	if (max < min || max > limit || len == 0 || len > limit) {
		aml_fail(a, -EINVAL);
		return;
	}
	aml_byte(a, tag);
	aml_le(a, 3 + 5 * (u64)size, 2);
	aml_byte(a, type);
	aml_byte(a, RES_GFLAGS_WINDOW);
	aml_byte(a, tflags);
	aml_le(a, 0, size); /* _GRA */
	aml_le(a, min, size);
	aml_le(a, max, size);
	aml_le(a, 0, size); /* _TRA */
	aml_le(a, len, size);
}

void aml_crs_word_bus(struct aml *a, u16 min, u16 max)
{
	aml_crs_addr(a, RES_WORD_ADDR, 2, RES_TYPE_BUS, 0, min, max);
}

void aml_crs_word_io(struct aml *a, u16 min, u16 max)
{
	aml_crs_addr(a, RES_WORD_ADDR, 2, RES_TYPE_IO, RES_IO_RNG_ENTIRE, min,
		     max);
}

static u8 aml_mem_flags(bool cacheable)
{
	return RES_MEM_RW | (cacheable ? RES_MEM_CACHEABLE : 0);
}

void aml_crs_dword_mem(struct aml *a, u32 min, u32 max, bool cacheable)
{
	aml_crs_addr(a, RES_DWORD_ADDR, 4, RES_TYPE_MEM,
		     aml_mem_flags(cacheable), min, max);
}

void aml_crs_qword_mem(struct aml *a, u64 min, u64 max, bool cacheable)
{
	aml_crs_addr(a, RES_QWORD_ADDR, 8, RES_TYPE_MEM,
		     aml_mem_flags(cacheable), min, max);
}
