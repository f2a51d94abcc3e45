// SPDX-License-Identifier: Apache-2.0
/* The buses: lookup, overlap refusal, unclaimed accesses, moves. */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "../../src/vmm/bus.h"

struct probe_dev {
	u64 last_off;
	u8 last_size;
	int calls;
	enum io_res answer;
};

static enum io_res probe_io(void *dev, struct io_access *a)
{
	struct probe_dev *d = dev;

	d->last_off = a->off;
	d->last_size = a->size;
	d->calls++;
	if (!a->write)
		a->val = 0x1234;
	return d->answer;
}

static void test_lookup(void **state)
{
	struct probe_dev a = { 0 }, b = { 0 };
	struct io_access acc = { .size = 4 };
	struct bus bus;

	(void)state;
	bus_init(&bus);
	assert_int_equal(bus_add(&bus, 0x3f8, 8, probe_io, &a), 0);
	assert_int_equal(bus_add(&bus, 0xcf8, 1, probe_io, &b), 0);
	/* Dispatch is on the first byte: a dword at 0xcf8 reaches b. */
	assert_int_equal(bus_access(&bus, 0xcf8, &acc), IO_OK);
	assert_int_equal(b.calls, 1);
	assert_int_equal(b.last_off, 0);
	assert_int_equal(b.last_size, 4);
	acc.size = 1;
	assert_int_equal(bus_access(&bus, 0x3ff, &acc), IO_OK);
	assert_int_equal(a.last_off, 7);
	assert_int_equal(acc.val, 0x1234);
	bus_free(&bus);
}

static void test_unclaimed(void **state)
{
	struct probe_dev a = { .answer = IO_UNHANDLED };
	struct io_access acc;
	struct bus bus;
	u8 sizes[] = { 1, 2, 4, 8 };
	u64 ones[] = { 0xff, 0xffff, 0xffffffff, ~0ULL };
	int i;

	(void)state;
	bus_init(&bus);
	assert_int_equal(bus_add(&bus, 0x100, 0x10, probe_io, &a), 0);
	for (i = 0; i < 4; i++) {
		acc = (struct io_access){ .size = sizes[i] };
		assert_int_equal(bus_access(&bus, 0x80, &acc), IO_UNHANDLED);
		assert_int_equal(acc.val, ones[i]);
		acc = (struct io_access){ .size = sizes[i] };
		/* A handler that declines also reads all-ones. */
		assert_int_equal(bus_access(&bus, 0x100, &acc), IO_UNHANDLED);
		assert_int_equal(acc.val, ones[i]);
	}
	acc = (struct io_access){ .size = 1 };
	assert_int_equal(bus_access(&bus, 0x110, &acc), IO_UNHANDLED);
	assert_int_equal(bus_access(&bus, ~0ULL, &acc), IO_UNHANDLED);
	bus_free(&bus);
}

static void test_overlap_and_bounds(void **state)
{
	struct probe_dev a = { 0 };
	struct bus bus;

	(void)state;
	bus_init(&bus);
	assert_int_equal(bus_add(&bus, 0x1000, 0x100, probe_io, &a), 0);
	assert_int_equal(bus_add(&bus, 0x10ff, 1, probe_io, &a), -EEXIST);
	assert_int_equal(bus_add(&bus, 0xf00, 0x101, probe_io, &a), -EEXIST);
	assert_int_equal(bus_add(&bus, 0xf00, 0x2000, probe_io, &a), -EEXIST);
	assert_int_equal(bus_add(&bus, 0x1100, 1, probe_io, &a), 0);
	assert_int_equal(bus_add(&bus, 0xfff, 1, probe_io, &a), 0);
	assert_int_equal(bus_add(&bus, 0x2000, 0, probe_io, &a), -EINVAL);
	assert_int_equal(bus_add(&bus, ~0ULL - 1, 4, probe_io, &a), -EINVAL);
	bus_free(&bus);
}

static void test_move(void **state)
{
	struct probe_dev a = { 0 };
	struct io_access acc = { .size = 4 };
	struct bus bus;
	int i;

	(void)state;
	bus_init(&bus);
	/* Many regions, inserted out of order, stay searchable. */
	for (i = 63; i >= 0; i--)
		assert_int_equal(bus_add(&bus, 0x10000 + i * 0x1000, 0x100,
					 probe_io, &a),
				 0);
	assert_int_equal(bus_access(&bus, 0x10000 + 37 * 0x1000 + 4, &acc),
			 IO_OK);
	assert_int_equal(a.last_off, 4);
	assert_int_equal(bus_del(&bus, 0x10000 + 37 * 0x1000), 0);
	assert_int_equal(bus_access(&bus, 0x10000 + 37 * 0x1000 + 4, &acc),
			 IO_UNHANDLED);
	assert_int_equal(bus_del(&bus, 0x10000 + 37 * 0x1000), -ENOENT);
	assert_int_equal(bus_del(&bus, 0x10000 + 38 * 0x1000 + 1), -ENOENT);
	bus_free(&bus);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lookup),
		cmocka_unit_test(test_unclaimed),
		cmocka_unit_test(test_overlap_and_bounds),
		cmocka_unit_test(test_move),
	};

	return cmocka_run_group_tests_name("bus", tests, NULL, NULL);
}
