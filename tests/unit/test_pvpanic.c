// SPDX-License-Identifier: Apache-2.0
/*
 * pvpanic as Linux's pvpanic-mmio driver and QEMU's device agree on it
 * (QEMU docs/specs/pvpanic.rst): one byte at port 0x505; a read gives
 * the supported events, bit 0 PVPANIC_PANICKED and bit 1
 * PVPANIC_CRASH_LOADED; a write reports one. The DSDT describes it as
 * QEMU does: Device (PEVT), _HID "QEMU0001", IO (Decode16, 0x505, 0x505,
 * 1, 1), _STA 0x0F.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "../../src/vmm/boot/acpi/aml.h"
#include "fake_env.h"

#define PORT 0x505
#define PANICKED 0x01
#define CRASH_LOADED 0x02

extern const struct dev_type dev_pvpanic;

struct fixture {
	struct dev_env *env;
	void *dev;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	f->env = fake_env_new(1 << 20, NULL);
	f->dev = fake_dev_create(f->env, &dev_pvpanic);
	assert_non_null(f->dev);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	dev_pvpanic.destroy(f->dev);
	assert_int_equal(f->env->pio.nr, 0);
	fake_env_free(f->env);
	free(f);
	return 0;
}

static void test_capabilities(void **state)
{
	struct fixture *f = *state;

	/* Linux: capability = (PANICKED | CRASH_LOADED) & ioread8(base). */
	assert_int_equal(fake_inb(f->env, PORT), 0x03);
	assert_int_equal(fake_inb(f->env, PORT), 0x03);
	/* Reading changes nothing. */
	assert_int_equal(f->env->stop_requests, 0);
	assert_int_equal(f->env->nr_events, 0);
}

static void test_panicked(void **state)
{
	struct fixture *f = *state;

	fake_outb(f->env, PORT, PANICKED);
	assert_int_equal(f->env->stop, STOP_PANIC);
	assert_string_equal(f->env->stop_by, "pvpanic");
	assert_int_equal(f->env->stop_requests, 1);
	/* The "panic" event comes with the stop (vm.c), not from here. */
	assert_int_equal(f->env->nr_events, 0);
	/* Other vCPUs may panic too before they stop: asked once. */
	fake_outb(f->env, PORT, PANICKED);
	assert_int_equal(f->env->stop_requests, 1);
}

static void test_crash_loaded(void **state)
{
	struct fixture *f = *state;

	/* A kdump kernel takes over: reported, not a stop. */
	fake_outb(f->env, PORT, CRASH_LOADED);
	assert_int_equal(f->env->stop_requests, 0);
	assert_int_equal(fake_env_count_events(f->env, "crash-loaded"), 1);
	assert_string_equal(f->env->events[0].key, "");
	/* Once: a guest cannot flood the event stream. */
	fake_outb(f->env, PORT, CRASH_LOADED);
	assert_int_equal(f->env->nr_events, 1);
	/* The crash kernel may panic in turn: that stops. */
	fake_outb(f->env, PORT, PANICKED);
	assert_int_equal(f->env->stop, STOP_PANIC);
}

static void test_both_bits(void **state)
{
	struct fixture *f = *state;

	/* PANICKED wins, as in QEMU's handle_event(). */
	fake_outb(f->env, PORT, PANICKED | CRASH_LOADED);
	assert_int_equal(f->env->stop, STOP_PANIC);
	assert_int_equal(f->env->nr_events, 0);
}

static void test_hostile(void **state)
{
	struct fixture *f = *state;

	/* No event bits, or unknown ones only: nothing. */
	fake_outb(f->env, PORT, 0x00);
	fake_outb(f->env, PORT, 0x04);
	fake_outb(f->env, PORT, 0xfc);
	/* Only byte accesses: wider ones read all-ones and are dropped. */
	fake_write(f->env, BUS_PIO, PORT, 2, PANICKED);
	fake_write(f->env, BUS_PIO, PORT, 4, PANICKED);
	assert_int_equal(fake_read(f->env, BUS_PIO, PORT, 2), 0xffff);
	assert_int_equal(fake_read(f->env, BUS_PIO, PORT, 4), 0xffffffff);
	/* The neighbouring ports are nobody's. */
	fake_outb(f->env, PORT + 1, PANICKED);
	fake_outb(f->env, PORT - 1, PANICKED);
	assert_int_equal(fake_inb(f->env, PORT + 1), 0xff);
	assert_int_equal(f->env->stop_requests, 0);
	assert_int_equal(f->env->nr_events, 0);
	/* Unknown bits beside a known one: the known one counts. */
	fake_outb(f->env, PORT, 0x80 | CRASH_LOADED);
	assert_int_equal(fake_env_count_events(f->env, "crash-loaded"), 1);
}

/* The device's AML, byte for byte (ACPI 6.4 chapter 20, section 6.4.2.5). */
static void test_dsdt(void **state)
{
	static const u8
		want
			[] = {
				0x5b, 0x82, 0x2e, 'P',	'E',
				'V',  'T', /* Device (PEVT) */
				0x08, '_',  'H',  'I',	'D',
				0x0d, /* Name (_HID, "...") */
				'Q',  'E',  'M',  'U',	'0',
				'0',  '0',  '1',  0x00, 0x08,
				'_',  'C',  'R',  'S',	0x11,
				0x0d, 0x0a, 0x0a, /* Buffer */
				0x47, 0x01, 0x05, 0x05, 0x05,
				0x05, 0x01, 0x01, /* IO */
				0x79, 0x00, /* End Tag */
				0x08, '_',  'S',  'T',	'A',
				0x0a, 0x0f, /* Name (_STA, 0x0F) */
			};
	struct fixture *f = *state;
	struct aml a;

	aml_init(&a);
	dev_pvpanic.dsdt(f->dev, &a);
	assert_int_equal(a.err, 0);
	assert_int_equal(a.len, sizeof(want));
	assert_memory_equal(a.buf, want, sizeof(want));
	aml_free(&a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_capabilities, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_panicked, setup, teardown),
		cmocka_unit_test_setup_teardown(test_crash_loaded, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_both_bits, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_hostile, setup, teardown),
		cmocka_unit_test_setup_teardown(test_dsdt, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
