// SPDX-License-Identifier: Apache-2.0
/*
 * gmem_ptr(): every range either lies wholly inside one RAM region or is
 * refused, whatever the guest-physical address and length.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <sys/mman.h>

#include "../../src/vmm/gmem.h"

#define G(x) ((u64)(x) << 30)
#define M(x) ((u64)(x) << 20)

/* Address space for @size bytes of "RAM": reserved, never touched. */
static u8 *reserve(u64 size)
{
	void *p = mmap(NULL, size, PROT_NONE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);

	assert_true(p != MAP_FAILED);
	return p;
}

static void test_gmem_small(void **state)
{
	u8 *host = reserve(M(64));
	struct gmem gm;

	(void)state;
	gmem_init(&gm, host, M(64));
	assert_int_equal(gm.nr, 1);
	assert_int_equal(gmem_top(&gm), M(64));
	/* inside */
	assert_ptr_equal(gmem_ptr(&gm, 0, 1), host);
	assert_ptr_equal(gmem_ptr(&gm, 0x1234, 0x100), host + 0x1234);
	assert_ptr_equal(gmem_ptr(&gm, 0, M(64)), host);
	assert_ptr_equal(gmem_ptr(&gm, M(64) - 1, 1), host + M(64) - 1);
	/* straddling the end, and past it */
	assert_null(gmem_ptr(&gm, M(64) - 1, 2));
	assert_null(gmem_ptr(&gm, 0, M(64) + 1));
	assert_null(gmem_ptr(&gm, M(64), 1));
	assert_null(gmem_ptr(&gm, G(4), 1));
	/* 0-length: inside is a pointer, at or past the end is not */
	assert_ptr_equal(gmem_ptr(&gm, 0x1000, 0), host + 0x1000);
	assert_null(gmem_ptr(&gm, M(64), 0));
	munmap(host, M(64));
}

static void test_gmem_hole(void **state)
{
	u8 *host = reserve(G(3));
	struct gmem gm;

	(void)state;
	gmem_init(&gm, host, G(3));
	assert_int_equal(gm.nr, 2);
	assert_int_equal(gmem_top(&gm), G(5));
	assert_ptr_equal(gmem_ptr(&gm, G(2) - 1, 1), host + G(2) - 1);
	/* the PCI hole [2 GiB, 4 GiB) is no RAM */
	assert_null(gmem_ptr(&gm, G(2) - 1, 2));
	assert_null(gmem_ptr(&gm, G(2), 1));
	assert_null(gmem_ptr(&gm, 0xfee00000ULL, 4));
	assert_null(gmem_ptr(&gm, G(4) - 1, 1));
	assert_null(gmem_ptr(&gm, G(4) - 1, 2)); /* hole into high RAM */
	assert_null(gmem_ptr(&gm, 0, G(3))); /* low RAM across the hole */
	/* high RAM: 4 GiB maps to host + 2 GiB */
	assert_ptr_equal(gmem_ptr(&gm, G(4), 1), host + G(2));
	assert_ptr_equal(gmem_ptr(&gm, G(4), G(1)), host + G(2));
	assert_ptr_equal(gmem_ptr(&gm, G(5) - 1, 1), host + G(3) - 1);
	assert_null(gmem_ptr(&gm, G(5) - 4096, 8192));
	assert_null(gmem_ptr(&gm, G(5), 1));
	munmap(host, G(3));
}

static void test_gmem_wrap(void **state)
{
	u8 *host = reserve(G(8));
	struct gmem gm;

	(void)state;
	gmem_init(&gm, host, G(8));
	assert_int_equal(gmem_top(&gm), G(10));
	/* gpa + len wraps past 2^64 back into RAM */
	assert_null(gmem_ptr(&gm, 0xfffffffffffff000ULL, 0x2000));
	assert_null(gmem_ptr(&gm, 0xffffffffffffffffULL, 1));
	assert_null(gmem_ptr(&gm, 0xffffffffffffffffULL, 0));
	assert_null(gmem_ptr(&gm, 0x1000, UINT64_MAX));
	assert_null(gmem_ptr(&gm, 0x1000, UINT64_MAX - 0xfff)); /* sum 0 */
	assert_null(gmem_ptr(&gm, G(4) + 0x1000, UINT64_MAX - G(4)));
	assert_null(gmem_ptr(&gm, G(10) - 1, UINT64_MAX));
	assert_ptr_equal(gmem_ptr(&gm, G(10) - 1, 1), host + G(8) - 1);
	munmap(host, G(8));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_gmem_small),
		cmocka_unit_test(test_gmem_hole),
		cmocka_unit_test(test_gmem_wrap),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
