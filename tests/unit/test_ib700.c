// SPDX-License-Identifier: Apache-2.0
/*
 * The ib700 watchdog as Linux's drivers/watchdog/ib700wdt.c drives it:
 * a write of the margin index to port 0x443 starts or kicks it with the
 * timeout wd_times[index] = {30, 28, ..., 2, 0} seconds (the driver
 * writes 15 - (timeout + 1) / 2), any write to 0x441 stops it.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fake_env.h"

#define WDT_STOP 0x441
#define WDT_START 0x443
#define SEC 1000000000ULL

extern const struct dev_type dev_ib700;

struct fixture {
	struct dev_env *env;
	void *dev;
};

static int setup_action(void **state, const char *action)
{
	struct fixture *f = calloc(1, sizeof(*f));
	char opt[64];
	const char *opts[] = { opt, NULL };

	assert_non_null(f);
	snprintf(opt, sizeof(opt), "watchdog model=ib700,action=%s", action);
	f->env = fake_env_new(1 << 20, opts);
	f->dev = fake_dev_create(f->env, &dev_ib700);
	assert_non_null(f->dev);
	*state = f;
	return 0;
}

static int setup(void **state)
{
	return setup_action(state, "terminate");
}

static int setup_reset(void **state)
{
	return setup_action(state, "reset");
}

static int setup_none(void **state)
{
	return setup_action(state, "none");
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	dev_ib700.quiesce(f->dev, STOP_NONE);
	dev_ib700.destroy(f->dev);
	fake_env_free(f->env);
	free(f);
	return 0;
}

/* ibwdt_ping() for the driver's `timeout` parameter. */
static void ibwdt_ping(struct fixture *f, int timeout)
{
	fake_outb(f->env, WDT_START, 15 - ((timeout + 1) / 2));
}

static void ibwdt_disable(struct fixture *f)
{
	fake_outb(f->env, WDT_STOP, 0);
}

static void test_timeout_table(void **state)
{
	struct fixture *f = *state;
	static const int wd_times[] = { 30, 28, 26, 24, 22, 20, 18, 16,
					14, 12, 10, 8,	6,  4,	2,  0 };
	int i;

	for (i = 0; i < 15; i++) {
		fake_outb(f->env, WDT_START, i);
		fake_env_advance(f->env, wd_times[i] * SEC - 1);
		assert_int_equal(
			fake_env_count_events(f->env, "watchdog-expired"), 0);
		ibwdt_disable(f);
	}
	/* Only the low 4 bits count: 0xfe is index 14, 2 s. */
	fake_outb(f->env, WDT_START, 0xfe);
	fake_env_advance(f->env, 2 * SEC);
	assert_int_equal(f->env->stop, STOP_WATCHDOG);
	assert_string_equal(f->env->stop_by, "ib700");
}

static void test_index_15_is_immediate(void **state)
{
	struct fixture *f = *state;

	fake_env_advance(f->env, SEC);
	fake_outb(f->env, WDT_START, 15);
	fake_env_advance(f->env, 0);
	assert_int_equal(f->env->stop, STOP_WATCHDOG);
}

static void test_linux_timeout_rounding(void **state)
{
	struct fixture *f = *state;
	const struct fake_event *e;

	/* timeout=1: margin 14, 2 s, as QEMU's ib700 and the board. */
	ibwdt_ping(f, 1);
	e = fake_env_last_event(f->env, "watchdog-started");
	assert_non_null(e);
	assert_true(fake_event_num(e, "timeout") == 2.0);
	fake_env_advance(f->env, 2 * SEC - 1);
	assert_int_equal(f->env->stop, STOP_NONE);
	fake_env_advance(f->env, 1);
	assert_int_equal(f->env->stop, STOP_WATCHDOG);
	e = fake_env_last_event(f->env, "watchdog-expired");
	assert_true(fake_event_num(e, "late") == 0);
	assert_true(fake_event_num(e, "since_kick") == 2.0);
}

static void test_kick_and_stop(void **state)
{
	struct fixture *f = *state;
	int i;

	ibwdt_ping(f, 4); /* margin 13: 4 s */
	for (i = 0; i < 20; i++) {
		fake_env_advance(f->env, 3 * SEC);
		ibwdt_ping(f, 4);
	}
	assert_int_equal(f->env->stop, STOP_NONE);
	assert_int_equal(fake_env_count_events(f->env, "watchdog-started"), 1);
	ibwdt_disable(f);
	assert_int_equal(fake_env_count_events(f->env, "watchdog-stopped"), 1);
	fake_env_advance(f->env, 100 * SEC);
	assert_int_equal(f->env->stop, STOP_NONE);
	/* A stop when stopped says nothing more. */
	ibwdt_disable(f);
	assert_int_equal(fake_env_count_events(f->env, "watchdog-stopped"), 1);
}

static void test_reads(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(fake_inb(f->env, WDT_STOP), 0xff);
	assert_int_equal(fake_inb(f->env, WDT_START), 0xff);
	assert_int_equal(fake_inb(f->env, 0x442), 0xff);
	/* Reads neither start nor stop it. */
	assert_int_equal(fake_env_count_events(f->env, "watchdog-started"), 0);
}

static void test_reset_action(void **state)
{
	struct fixture *f = *state;

	ibwdt_ping(f, 1);
	fake_env_advance(f->env, 2 * SEC);
	assert_int_equal(f->env->stop, STOP_REBOOT);
	assert_string_equal(f->env->stop_by, "watchdog-ib700");
}

static void test_none_repeats(void **state)
{
	struct fixture *f = *state;

	ibwdt_ping(f, 1);
	fake_env_advance(f->env, 2 * SEC);
	fake_env_advance(f->env, 2 * SEC);
	fake_env_advance(f->env, 2 * SEC);
	assert_int_equal(fake_env_count_events(f->env, "watchdog-expired"), 3);
	assert_int_equal(f->env->stop_requests, 0);
	/* A kick brings it back to one period from now. */
	ibwdt_ping(f, 1);
	fake_env_advance(f->env, SEC);
	assert_int_equal(fake_env_count_events(f->env, "watchdog-expired"), 3);
}

static void test_pause(void **state)
{
	struct fixture *f = *state;

	ibwdt_ping(f, 1);
	fake_env_advance(f->env, SEC);
	dev_ib700.pause(f->dev, true);
	fake_env_advance(f->env, 30 * SEC);
	assert_int_equal(f->env->stop, STOP_NONE);
	dev_ib700.pause(f->dev, false);
	fake_env_advance(f->env, SEC - 1);
	assert_int_equal(f->env->stop, STOP_NONE);
	fake_env_advance(f->env, 1);
	assert_int_equal(f->env->stop, STOP_WATCHDOG);
}

static void test_ports_taken(void **state)
{
	const char *opts[] = { "watchdog model=ib700", NULL };
	struct dev_env *env = fake_env_new(1 << 20, opts);
	void *dev;

	(void)state;
	dev = fake_dev_create(env, &dev_ib700);
	/* A second one cannot claim the same ports. */
	assert_int_not_equal(dev_ib700.create(env, &(void *){ NULL }), 0);
	dev_ib700.destroy(dev);
	fake_env_free(env);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_timeout_table, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_index_15_is_immediate,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_linux_timeout_rounding,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_kick_and_stop, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_reads, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reset_action, setup_reset,
						teardown),
		cmocka_unit_test_setup_teardown(test_none_repeats, setup_none,
						teardown),
		cmocka_unit_test_setup_teardown(test_pause, setup, teardown),
		cmocka_unit_test(test_ports_taken),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
