// SPDX-License-Identifier: Apache-2.0
/*
 * The fake environment's KVM plumbing (device memory, MSI routes, irqfds,
 * ioeventfds) keeps the promises of dev.h, so that device tests built on
 * it mean what they say: the same refusals as kvmio.c, ioeventfd writes
 * that bypass the bus, irqfds that inject what their route says.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdlib.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "fake_env.h"

static int bus_hits;

static enum io_res count_io(void *dev, struct io_access *a)
{
	(void)dev;
	(void)a;
	bus_hits++;
	return IO_OK;
}

static int setup(void **state)
{
	*state = fake_env_new(1 << 20, NULL);
	bus_hits = 0;
	return 0;
}

static int teardown(void **state)
{
	fake_env_free(*state);
	return 0;
}

static int new_eventfd(void)
{
	int fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);

	assert_true(fd >= 0);
	return fd;
}

static u64 take(int fd)
{
	u64 v = 0;

	return read(fd, &v, sizeof(v)) == sizeof(v) ? v : 0;
}

static void ring(int fd)
{
	u64 one = 1;

	assert_int_equal(write(fd, &one, sizeof(one)), sizeof(one));
}

static void test_map_ram(void **state)
{
	struct dev_env *env = *state;
	static u8 page[8192] __attribute__((aligned(4096)));
	int i;

	assert_int_equal(env_map_ram(env, 0x1000, 4096, page), -EEXIST);
	assert_int_equal(env_map_ram(env, 0x80000001, 4096, page), -EINVAL);
	assert_int_equal(env_map_ram(env, 0x80000000, 4096, page + 1), -EINVAL);
	assert_int_equal(env_map_ram(env, 0x80000000, 0, page), -EINVAL);
	assert_int_equal(env_map_ram(env, 0x80000000, 8192, page), 0);
	assert_non_null(fake_env_find_map(env, 0x80000000));
	assert_ptr_equal(fake_env_find_map(env, 0x80000000)->hva, page);
	assert_int_equal(env_map_ram(env, 0x80001000, 4096, page), -EEXIST);
	for (i = 1; i < FAKE_MAPS; i++)
		assert_int_equal(
			env_map_ram(env, 0x90000000 + i * 4096ULL, 4096, page),
			0);
	assert_int_equal(env_map_ram(env, 0xa0000000, 4096, page), -ENOSPC);
	assert_int_equal(env_unmap_ram(env, 0x80001000), -ENOENT);
	assert_int_equal(env_unmap_ram(env, 0x80000000), 0);
	assert_null(fake_env_find_map(env, 0x80000000));
	assert_int_equal(env_map_ram(env, 0xa0000000, 4096, page), 0);
}

static void test_msi_routes(void **state)
{
	struct dev_env *env = *state;

	assert_int_equal(env_msi_route(env, -1, 0xfee00000, 0x40), 24);
	assert_int_equal(env_msi_route(env, -1, 0xfee00000, 0x41), 25);
	assert_int_equal(env_msi_route(env, 24, 0xfee01000, 0x42), 24);
	assert_int_equal(env->routes[0].data, 0x42);
	assert_int_equal(env_msi_route(env, 26, 0xfee00000, 0x40), -ENOENT);
	assert_int_equal(env_msi_route(env, 5, 0xfee00000, 0x40), -EINVAL);
	env_msi_unroute(env, 24);
	assert_int_equal(env_msi_route(env, 24, 0xfee00000, 0x40), -ENOENT);
	assert_int_equal(env_msi_route(env, -1, 0xfee00000, 0x43), 24);
}

static void test_irqfd(void **state)
{
	struct dev_env *env = *state;
	int gsi = env_msi_route(env, -1, 0xfee00000, 0x40);
	int efd = new_eventfd(), pin = new_eventfd();

	assert_int_equal(env_irqfd(env, efd, gsi, true), 0);
	assert_int_equal(env_irqfd(env, efd, gsi, true), -EBUSY);
	assert_int_equal(env_irqfd(env, pin, 17, true), 0);
	assert_int_equal(fake_env_irqfd_gsi(env, efd), gsi);
	assert_int_equal(fake_env_fire_irqfds(env), 0);
	ring(efd);
	ring(efd);
	ring(pin);
	assert_int_equal(fake_env_fire_irqfds(env), 2);
	assert_int_equal(env->nr_msi, 1);
	assert_int_equal(env->msi[0].data, 0x40);
	assert_int_equal(env->irq[17].raises, 1);
	assert_int_equal(env->irq[17].level, 0);
	/* Deassigned: the eventfd is the device's again. */
	assert_int_equal(env_irqfd(env, efd, gsi, false), 0);
	assert_int_equal(fake_env_irqfd_gsi(env, efd), -1);
	ring(efd);
	assert_int_equal(fake_env_fire_irqfds(env), 0);
	assert_int_equal(take(efd), 1);
	close(efd);
	close(pin);
}

static void test_ioeventfd(void **state)
{
	struct dev_env *env = *state;
	int any = new_eventfd(), match = new_eventfd();

	assert_int_equal(
		env_bus_add(env, BUS_MMIO, 0xd0000000, 0x100, count_io, NULL),
		0);
	assert_int_equal(env_ioeventfd(env, BUS_MMIO, 0xd0000000, 0, false, 0,
				       any, true),
			 0);
	assert_int_equal(env_ioeventfd(env, BUS_MMIO, 0xd0000010, 4, true, 7,
				       match, true),
			 0);
	fake_write(env, BUS_MMIO, 0xd0000000, 2, 1);
	fake_write(env, BUS_MMIO, 0xd0000010, 4, 7);
	assert_int_equal(bus_hits, 0);
	fake_write(env, BUS_MMIO, 0xd0000010, 4, 8);
	fake_write(env, BUS_MMIO, 0xd0000010, 2, 7);
	assert_int_equal(fake_read(env, BUS_MMIO, 0xd0000000, 4), 0);
	assert_int_equal(bus_hits, 3);
	assert_int_equal(take(any), 1);
	assert_int_equal(take(match), 1);
	assert_int_equal(env->ioeventfd_hits, 2);
	/* KVM's refusals. */
	assert_int_equal(
		env_ioeventfd(env, BUS_MMIO, 0xd0000010, 4, true, 7, any, true),
		-EEXIST);
	assert_int_equal(
		env_ioeventfd(env, BUS_PIO, 0x510, 0, false, 0, any, true),
		-EINVAL);
	assert_int_equal(env_ioeventfd(env, BUS_MMIO, 0xd0000020, 3, false, 0,
				       any, true),
			 -EINVAL);
	assert_int_equal(
		env_ioeventfd(env, BUS_MMIO, 0xd0000020, 0, true, 1, any, true),
		-EINVAL);
	assert_int_equal(env_ioeventfd(env, BUS_MMIO, 0xd0000010, 4, true, 7,
				       match, false),
			 0);
	assert_int_equal(env_ioeventfd(env, BUS_MMIO, 0xd0000010, 4, true, 7,
				       match, false),
			 -ENOENT);
	fake_write(env, BUS_MMIO, 0xd0000010, 4, 7);
	assert_int_equal(take(match), 0);
	assert_int_equal(bus_hits, 4);
	close(any);
	close(match);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_map_ram, setup, teardown),
		cmocka_unit_test_setup_teardown(test_msi_routes, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_irqfd, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ioeventfd, setup,
						teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
