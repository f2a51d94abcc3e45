// SPDX-License-Identifier: Apache-2.0
/*
 * Port 0xCF9 (RST_CNT, Intel ICH9 datasheet 13.7.5): SYS_RST bit 1,
 * RST_CPU bit 2, FULL_RST bit 3; Linux's reboot=pci writes 0x02, 0x06.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "fake_env.h"
#include "../../src/vmm/boot/layout.h"

extern const struct dev_type dev_reset_cf9;

struct ctx {
	struct dev_env *env;
	void *dev;
};

static enum io_res dummy_io(void *dev, struct io_access *a)
{
	(void)dev;
	if (!a->write)
		a->val = 0x12345678;
	return IO_OK;
}

static int setup(void **state)
{
	static struct ctx c;

	c.env = fake_env_new(MiB(1), NULL);
	/* The PCI host bridge's neighbours: 0xCF8 (1 byte) and 0xCFC. */
	assert_int_equal(env_bus_add(c.env, BUS_PIO, PORT_PCI_CONFIG_ADDR, 1,
				     dummy_io, NULL),
			 0);
	assert_int_equal(env_bus_add(c.env, BUS_PIO, PORT_PCI_CONFIG_DATA, 4,
				     dummy_io, NULL),
			 0);
	c.dev = fake_dev_create(c.env, &dev_reset_cf9);
	*state = &c;
	return 0;
}

static int teardown(void **state)
{
	struct ctx *c = *state;

	dev_reset_cf9.destroy(c->dev);
	fake_env_free(c->env);
	return 0;
}

static void test_linux_sequence(void **state)
{
	struct ctx *c = *state;

	assert_int_equal(fake_inb(c->env, 0xcf9), 0x00);
	fake_outb(c->env, 0xcf9, 0x02);
	assert_int_equal(c->env->stop_requests, 0);
	assert_int_equal(fake_inb(c->env, 0xcf9), 0x02);
	fake_outb(c->env, 0xcf9, 0x06);
	assert_int_equal(c->env->stop, STOP_REBOOT);
	assert_int_equal(c->env->stop_requests, 1);
	/* RST_CPU is not stored. */
	assert_int_equal(fake_inb(c->env, 0xcf9), 0x02);
}

static void test_full_reset(void **state)
{
	struct ctx *c = *state;

	fake_outb(c->env, 0xcf9, 0x08);
	assert_int_equal(c->env->stop_requests, 0);
	assert_int_equal(fake_inb(c->env, 0xcf9), 0x08);
	fake_outb(c->env, 0xcf9, 0x0e);
	assert_int_equal(c->env->stop, STOP_REBOOT);
	assert_int_equal(fake_inb(c->env, 0xcf9), 0x0a);
	/* Reserved bits read 0. */
	fake_outb(c->env, 0xcf9, 0xf1);
	assert_int_equal(fake_inb(c->env, 0xcf9), 0x00);
	dev_reset_cf9.reset(c->dev);
}

static void test_soft_reset(void **state)
{
	struct ctx *c = *state;

	fake_outb(c->env, 0xcf9, 0x04);
	assert_int_equal(c->env->stop, STOP_REBOOT);
}

/* Only byte accesses; 0xCF8 dword accesses stay the host bridge's. */
static void test_sizes(void **state)
{
	struct ctx *c = *state;

	fake_write(c->env, BUS_PIO, 0xcf9, 2, 0x0606);
	fake_write(c->env, BUS_PIO, 0xcf9, 4, 0x06060606);
	assert_int_equal(c->env->stop_requests, 0);
	assert_int_equal(fake_read(c->env, BUS_PIO, 0xcf9, 2), 0xffff);
	fake_write(c->env, BUS_PIO, 0xcf8, 4, 0x80000006);
	assert_int_equal(fake_read(c->env, BUS_PIO, 0xcf8, 4), 0x12345678);
	assert_int_equal(c->env->stop_requests, 0);
	assert_int_equal(fake_inb(c->env, 0xcfa), 0xff);
	fake_outb(c->env, 0xcf9, 0x02);
	dev_reset_cf9.reset(c->dev);
	assert_int_equal(fake_inb(c->env, 0xcf9), 0x00);
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_linux_sequence),
		T(test_full_reset),
		T(test_soft_reset),
		T(test_sizes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
