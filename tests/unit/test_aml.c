// SPDX-License-Identifier: Apache-2.0
/*
 * AML builder: byte-exact encodings. The expected bytes are worked out by
 * hand from ACPI 6.4 chapter 20 and section 6.4 (and agree with what
 * iasl 20200925 compiles from the ASL quoted in each comment).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "../../src/vmm/boot/acpi/aml.h"

#define assert_aml(a, ...)                                           \
	do {                                                         \
		static const u8 want_[] = { __VA_ARGS__ };           \
		assert_int_equal((a)->err, 0);                       \
		assert_int_equal((a)->len, sizeof(want_));           \
		assert_memory_equal((a)->buf, want_, sizeof(want_)); \
	} while (0)

/* Name(_UID, v) for each integer size class (20.2.3). */
static void test_int_consts(void **state)
{
	struct aml a;

	(void)state;
	aml_init(&a);
	aml_name_int(&a, "_UID", 0);
	assert_aml(&a, 0x08, '_', 'U', 'I', 'D', 0x00); /* ZeroOp */
	aml_free(&a);

	aml_int(&a, 1);
	aml_int(&a, 0x0f);
	aml_int(&a, 0xff);
	aml_int(&a, 0x100);
	aml_int(&a, 0x1234);
	aml_int(&a, 0x12345678);
	aml_int(&a, 0x100000000ULL);
	aml_int(&a, ~0ULL);
	assert_aml(&a, 0x01, /* OneOp */
		   0x0a, 0x0f, 0x0a, 0xff, /* ByteConst */
		   0x0b, 0x00, 0x01, 0x0b, 0x34, 0x12, /* WordConst */
		   0x0c, 0x78, 0x56, 0x34, 0x12, /* DWordConst */
		   0x0e, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x0e,
		   0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff);
	aml_free(&a);
}

/* Name(_HID, EisaId("PNP0501")) is DWordConst 0x0105D041 (6.1.5). */
static void test_eisaid(void **state)
{
	struct aml a;

	(void)state;
	aml_init(&a);
	aml_name_eisaid(&a, "_HID", "PNP0501");
	assert_aml(&a, 0x08, '_', 'H', 'I', 'D', 0x0c, 0x41, 0xd0, 0x05, 0x01);
	aml_free(&a);

	aml_eisaid(&a, "PNP0A08"); /* 0x080AD041 */
	aml_eisaid(&a, "PNP0A03"); /* 0x030AD041 */
	assert_aml(&a, 0x0c, 0x41, 0xd0, 0x0a, 0x08, 0x0c, 0x41, 0xd0, 0x0a,
		   0x03);
	aml_free(&a);

	aml_eisaid(&a, "pnp0501");
	assert_int_equal(a.err, -EINVAL);
	aml_free(&a);
	aml_eisaid(&a, "PNP050");
	assert_int_equal(a.err, -EINVAL);
	aml_free(&a);
	aml_eisaid(&a, "PNP050G");
	assert_int_equal(a.err, -EINVAL);
	aml_free(&a);
}

/* Name(_HID, "ACPI0007"): StringPrefix, chars, NullChar. */
static void test_string(void **state)
{
	struct aml a;

	(void)state;
	aml_init(&a);
	aml_name_string(&a, "_HID", "ACPI0007");
	assert_aml(&a, 0x08, '_', 'H', 'I', 'D', 0x0d, 'A', 'C', 'P', 'I', '0',
		   '0', '0', '7', 0x00);
	aml_free(&a);
}

/* NameSeg padding, RootChar, ParentPrefix, Dual and MultiNamePath. */
static void test_names(void **state)
{
	struct aml a;

	(void)state;
	aml_init(&a);
	aml_name_int(&a, "_S5", 1);
	aml_name_int(&a, "\\_SB.PCI0", 1);
	aml_name_int(&a, "\\_SB.PCI0.S1", 1);
	aml_name_int(&a, "^A", 1);
	assert_aml(&a, 0x08, '_', 'S', '5', '_', 0x01,
		   /* \_SB.PCI0: RootChar DualNamePrefix seg seg */
		   0x08, 0x5c, 0x2e, '_', 'S', 'B', '_', 'P', 'C', 'I', '0',
		   0x01,
		   /* MultiNamePrefix SegCount(3) */
		   0x08, 0x5c, 0x2f, 0x03, '_', 'S', 'B', '_', 'P', 'C', 'I',
		   '0', 'S', '1', '_', '_', 0x01,
		   /* ParentPrefixChar */
		   0x08, 0x5e, 'A', '_', '_', '_', 0x01);
	aml_free(&a);
}

static void test_bad_names(void **state)
{
	static const char *const bad[] = { "com1",     "TOOLONG", "1ABC",
					   "A..B",     "\\_SB.",  "A-B",
					   "_SB.12345" };
	struct aml a;
	size_t i, len;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		aml_init(&a);
		aml_name_int(&a, bad[i], 0);
		assert_int_equal(a.err, -EINVAL);
		/* Sticky: nothing more is written after an error. */
		len = a.len;
		aml_name_int(&a, "_UID", 0);
		assert_int_equal(a.len, len);
		assert_int_equal(a.err, -EINVAL);
		aml_free(&a);
	}
}

/* Method(_STA, 0){Return(0x0F)}: PkgLength 9 covers name, flags, body. */
static void test_method(void **state)
{
	struct aml a;

	(void)state;
	aml_init(&a);
	aml_method_return_int(&a, "_STA", 0, 0x0f);
	assert_aml(&a, 0x14, 0x09, '_', 'S', 'T', 'A', 0x00, 0xa4, 0x0a, 0x0f);
	aml_free(&a);
	aml_method_return_int(&a, "_STA", 8, 0x0f);
	assert_int_equal(a.err, -EINVAL);
	aml_free(&a);
}

/* Name(_S5, Package(){5, 0, 0, 0}): PackageOp PkgLength NumElements. */
static void test_package(void **state)
{
	static const u64 s5[] = { 5, 0, 0, 0 };
	struct aml a;

	(void)state;
	aml_init(&a);
	aml_name_package_int(&a, "_S5", s5, 4);
	assert_aml(&a, 0x08, '_', 'S', '5', '_', 0x12, 0x07, 0x04, 0x0a, 0x05,
		   0x00, 0x00, 0x00);
	aml_free(&a);
}

/* Scope(\_SB){Device(COM1){}}: nested blocks patched innermost first. */
static void test_scope_device(void **state)
{
	struct aml a;
	size_t s, d;

	(void)state;
	aml_init(&a);
	s = aml_scope_begin(&a, "\\_SB");
	d = aml_device_begin(&a, "COM1");
	aml_block_end(&a, d);
	aml_block_end(&a, s);
	assert_aml(&a, 0x10, 0x0d, 0x5c, '_', 'S', 'B', '_', /* Scope */
		   0x5b, 0x82, 0x05, 'C', 'O', 'M', '1'); /* Device */
	aml_free(&a);
}

/* Scope("_SB_") with @pad raw bytes: the body is 4 + @pad bytes. */
static void scope_padded(struct aml *a, size_t pad)
{
	static u8 zeros[0x100000];
	size_t h;

	aml_init(a);
	h = aml_scope_begin(a, "_SB");
	aml_bytes(a, zeros, pad);
	aml_block_end(a, h);
	assert_int_equal(a->err, 0);
	assert_int_equal(a->buf[0], 0x10);
	assert_memory_equal(a->buf + a->len - pad - 4, "_SB_", 4);
}

/*
 * PkgLength forms (20.2.4): the value counts its own bytes. One byte up
 * to 63; two bytes up to 0xFFF; three up to 0xFFFFF; then four. The lead
 * byte holds the follow-byte count in bits 7:6 and the low nibble.
 */
static void test_pkglength(void **state)
{
	struct aml a;

	(void)state;
	scope_padded(&a, 58); /* 1 + 4 + 58 = 63 */
	assert_int_equal(a.len, 1 + 1 + 62);
	assert_int_equal(a.buf[1], 0x3f);
	aml_free(&a);

	scope_padded(&a, 59); /* 2 + 4 + 59 = 65 = 0x041 */
	assert_int_equal(a.len, 1 + 2 + 63);
	assert_int_equal(a.buf[1], 0x41);
	assert_int_equal(a.buf[2], 0x04);
	aml_free(&a);

	scope_padded(&a, 0xff9); /* 2 + 4 + 0xff9 = 0xfff */
	assert_int_equal(a.buf[1], 0x4f);
	assert_int_equal(a.buf[2], 0xff);
	aml_free(&a);

	scope_padded(&a, 0xffa); /* 3 + 4 + 0xffa = 0x1001 */
	assert_int_equal(a.len, 1 + 3 + 4 + 0xffa);
	assert_int_equal(a.buf[1], 0x81);
	assert_int_equal(a.buf[2], 0x00);
	assert_int_equal(a.buf[3], 0x01);
	aml_free(&a);

	scope_padded(&a, 0xffff9); /* 4 + 4 + 0xffff9 = 0x100001 */
	assert_int_equal(a.len, 1 + 4 + 4 + 0xffff9);
	assert_int_equal(a.buf[1], 0xc1);
	assert_int_equal(a.buf[2], 0x00);
	assert_int_equal(a.buf[3], 0x00);
	assert_int_equal(a.buf[4], 0x01);
	aml_free(&a);
}

/*
 * Name(_CRS, ResourceTemplate(){IO(Decode16, 0x3F8, 0x3F8, 1, 8)
 * IRQNoFlags(){4}}): Buffer(0x0D){47 01 F8 03 F8 03 01 08, 22 10 00,
 * 79 00}.
 */
static void test_crs_small(void **state)
{
	struct aml a;
	size_t h;

	(void)state;
	aml_init(&a);
	h = aml_crs_begin(&a, "_CRS");
	aml_crs_io(&a, 0x3f8, 0x3f8, 1, 8);
	aml_crs_irq(&a, 4);
	aml_crs_end(&a, h);
	assert_aml(&a, 0x08, '_', 'C', 'R', 'S', 0x11, 0x10, 0x0a, 0x0d, 0x47,
		   0x01, 0xf8, 0x03, 0xf8, 0x03, 0x01, 0x08, 0x22, 0x10, 0x00,
		   0x79, 0x00);
	aml_free(&a);

	/* An empty template is just the End Tag: Buffer(2){0x79, 0}. */
	h = aml_crs_begin(&a, "_CRS");
	aml_crs_end(&a, h);
	assert_aml(&a, 0x08, '_', 'C', 'R', 'S', 0x11, 0x05, 0x0a, 0x02, 0x79,
		   0x00);
	aml_free(&a);
}

/* The large descriptors, without the Name/Buffer wrapper. */
static void test_crs_large(void **state)
{
	struct aml a;

	(void)state;
	aml_init(&a);
	/* WordBusNumber(Producer, MinFixed, MaxFixed, PosDecode, 0, 0, 0xFF, 0, 0x100) */
	aml_crs_word_bus(&a, 0, 0xff);
	/* WordIO(..., EntireRange, 0, 0, 0xCF7, 0, 0xCF8) */
	aml_crs_word_io(&a, 0, 0xcf7);
	assert_aml(&a, 0x88, 0x0d, 0x00, 0x02, 0x0c, 0x00, 0x00, 0x00, 0x00,
		   0x00, 0xff, 0x00, 0x00, 0x00, 0x00, 0x01, /* bus */
		   0x88, 0x0d, 0x00, 0x01, 0x0c, 0x03, 0x00, 0x00, 0x00, 0x00,
		   0xf7, 0x0c, 0x00, 0x00, 0xf8, 0x0c);
	aml_free(&a);

	/* DWordMemory(..., NonCacheable, ReadWrite, 0, 0x80000000, 0xFEBFFFFF, 0, 0x7EC00000) */
	aml_crs_dword_mem(&a, 0x80000000, 0xfebfffff, false);
	assert_aml(&a, 0x87, 0x17, 0x00, 0x00, 0x0c, 0x01, 0, 0, 0, 0, 0x00,
		   0x00, 0x00, 0x80, 0xff, 0xff, 0xbf, 0xfe, 0, 0, 0, 0, 0x00,
		   0x00, 0xc0, 0x7e);
	aml_free(&a);

	/* QWordMemory(..., Cacheable, ReadWrite, 0, 0x140000000, 0x113FFFFFFF, 0, 0x1000000000) */
	aml_crs_qword_mem(&a, 0x140000000ULL, 0x113fffffffULL, true);
	assert_aml(&a, 0x8a, 0x2b, 0x00, 0x00, 0x0c, 0x03, 0, 0, 0, 0, 0, 0, 0,
		   0, 0x00, 0x00, 0x00, 0x40, 0x01, 0x00, 0x00, 0x00, 0xff,
		   0xff, 0xff, 0x3f, 0x11, 0x00, 0x00, 0x00, 0, 0, 0, 0, 0, 0,
		   0, 0, 0x00, 0x00, 0x00, 0x00, 0x10, 0x00, 0x00, 0x00);
	aml_free(&a);

	/* Memory32Fixed(ReadWrite, 0xFED00000, 0x400) */
	aml_crs_mem32_fixed(&a, 0xfed00000, 0x400, true);
	assert_aml(&a, 0x86, 0x09, 0x00, 0x01, 0x00, 0x00, 0xd0, 0xfe, 0x00,
		   0x04, 0x00, 0x00);
	aml_free(&a);
}

static void test_crs_errors(void **state)
{
	struct aml a;

	(void)state;
	aml_init(&a);
	aml_crs_word_io(&a, 5, 4); /* max < min */
	assert_int_equal(a.err, -EINVAL);
	aml_free(&a);
	aml_crs_word_bus(&a, 0, 0xffff); /* length 0x10000 does not fit */
	assert_int_equal(a.err, -EINVAL);
	aml_free(&a);
	aml_crs_qword_mem(&a, 0, ~0ULL, false);
	assert_int_equal(a.err, -EINVAL);
	aml_free(&a);
	aml_crs_irq(&a, 16);
	assert_int_equal(a.err, -EINVAL);
	aml_free(&a);
	aml_crs_mem32_fixed(&a, 0xfffff000, 0x2000, true);
	assert_int_equal(a.err, -EINVAL);
	aml_free(&a);
	/* A handle that is not one: rejected, not followed. */
	aml_block_end(&a, 1000);
	assert_int_equal(a.err, -EINVAL);
	aml_free(&a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_int_consts),
		cmocka_unit_test(test_eisaid),
		cmocka_unit_test(test_string),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_bad_names),
		cmocka_unit_test(test_method),
		cmocka_unit_test(test_package),
		cmocka_unit_test(test_scope_device),
		cmocka_unit_test(test_pkglength),
		cmocka_unit_test(test_crs_small),
		cmocka_unit_test(test_crs_large),
		cmocka_unit_test(test_crs_errors),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
