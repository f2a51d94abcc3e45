// SPDX-License-Identifier: Apache-2.0
/*
 * e820_build(): the exact map for each interesting guest size, against the
 * addresses of docs/dev/layout.md written out as numbers.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "../../src/vmm/boot/e820.h"

/* [0x9fc00, 0x100000): EBDA, VGA window, BIOS/ACPI area. */
#define LOW_HOLES 0x60400ULL

struct want {
	u64 addr, size;
	u32 type;
};

static void check_map(u64 ram, const struct want *w, int n)
{
	struct e820_map map;
	u64 ram_sum = 0;
	int i;

	e820_build(ram, &map);
	assert_int_equal(map.nr, n);
	for (i = 0; i < n; i++) {
		assert_int_equal(map.e[i].addr, w[i].addr);
		assert_int_equal(map.e[i].size, w[i].size);
		assert_int_equal(map.e[i].type, w[i].type);
		if (i) /* sorted and non-overlapping */
			assert_true(map.e[i - 1].addr + map.e[i - 1].size <=
				    map.e[i].addr);
		if (map.e[i].type == E820_RAM)
			ram_sum += map.e[i].size;
	}
	assert_int_equal(ram_sum, ram - LOW_HOLES);
}

#define LOW_ENTRIES                                                    \
	{ 0x0, 0x9fc00, E820_RAM }, { 0x9fc00, 0x400, E820_RESERVED }, \
	{                                                              \
		0xe0000, 0x20000, E820_RESERVED                        \
	}

static void test_e820_16m(void **state)
{
	const struct want w[] = {
		LOW_ENTRIES,
		{ 0x100000, 0xf00000, E820_RAM },
	};

	(void)state;
	check_map(16ULL << 20, w, 4);
}

static void test_e820_2g(void **state)
{
	const struct want w[] = {
		LOW_ENTRIES,
		{ 0x100000, 0x7ff00000, E820_RAM },
	};

	(void)state;
	check_map(2ULL << 30, w, 4);
}

static void test_e820_3g5(void **state)
{
	const struct want w[] = {
		LOW_ENTRIES,
		{ 0x100000, 0x7ff00000, E820_RAM },
		{ 0x100000000, 0x60000000, E820_RAM },
	};

	(void)state;
	check_map(0xe0000000ULL, w, 5);
}

static void test_e820_8g(void **state)
{
	const struct want w[] = {
		LOW_ENTRIES,
		{ 0x100000, 0x7ff00000, E820_RAM },
		{ 0x100000000, 0x180000000, E820_RAM },
	};

	(void)state;
	check_map(8ULL << 30, w, 5);
}

static void test_e820_64g(void **state)
{
	const struct want w[] = {
		LOW_ENTRIES,
		{ 0x100000, 0x7ff00000, E820_RAM },
		{ 0x100000000, 0xf80000000, E820_RAM },
	};

	(void)state;
	check_map(64ULL << 30, w, 5);
}

/* Nothing below 4 GiB is RAM from the PCI hole up, for any size. */
static void test_e820_no_ram_in_hole(void **state)
{
	static const u64 sizes[] = { 16ULL << 20, 0x7fffffffULL,
				     2ULL << 30,  (2ULL << 30) + 4096,
				     3ULL << 30,  64ULL << 30 };
	struct e820_map map;
	unsigned int s;
	int i;

	(void)state;
	for (s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++) {
		e820_build(sizes[s], &map);
		for (i = 0; i < map.nr; i++) {
			u64 end = map.e[i].addr + map.e[i].size;

			assert_true(end <= 0x80000000ULL ||
				    map.e[i].addr >= 0x100000000ULL);
		}
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_e820_16m),
		cmocka_unit_test(test_e820_2g),
		cmocka_unit_test(test_e820_3g5),
		cmocka_unit_test(test_e820_8g),
		cmocka_unit_test(test_e820_64g),
		cmocka_unit_test(test_e820_no_ram_in_hole),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
