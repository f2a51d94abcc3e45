// SPDX-License-Identifier: Apache-2.0
/*
 * A watchdog the guest set to a zero timeout, with an action it survives
 * (found by tests/fuzz/fuzz_devices.c): after each expiry the count
 * started again at once, so the main loop would fire it, log and report
 * it without end; and the i6300ESB's free-running mode reloaded a stage
 * of no time at the same instant without end. Each expiry fired by
 * hand: the next deadline must lie ahead.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "../../src/vmm/dev/pci.h"
#include "fake_env.h"

#define MIN_RESTART_NS 100000000ULL /* watchdog.c's floor */

extern const struct dev_type dev_ib700, dev_i6300esb;

/* Fire the one armed timer as the loop would, once; its next deadline. */
static u64 fire_once(struct dev_env *env)
{
	struct dev_timer *t = env->timers;

	assert_non_null(t);
	if (t->deadline_ns > env->now_ns)
		env->now_ns = t->deadline_ns; /* the loop waits for it */
	env->timers = t->next;
	t->deadline_ns = 0;
	t->fire(t->dev);
	assert_non_null(env->timers);
	return env->timers->deadline_ns;
}

static void test_ib700_zero_timeout(void **state)
{
	const char *opts[] = { "watchdog model=ib700,action=none", NULL };
	struct dev_env *env = fake_env_new(1 << 20, opts);
	void *dev = fake_dev_create(env, &dev_ib700);
	int i;

	(void)state;
	env->now_ns = 1000; /* 0 reads as disarmed */
	fake_write(env, BUS_PIO, 0x443, 1, 15); /* wd_times[15]: 0 s */
	for (i = 1; i <= 3; i++) {
		assert_true(fire_once(env) >= env->now_ns + MIN_RESTART_NS);
		assert_int_equal(fake_env_count_events(env, "watchdog-expired"),
				 i);
		env->now_ns = env->timers->deadline_ns;
	}
	dev_ib700.quiesce(dev, STOP_TERMINATED);
	dev_ib700.destroy(dev);
	fake_env_free(env);
}

/* i6300ESB: both preloads 0, unlocked by the guest's sequence. */
static void test_i6300esb_zero_preload(void **state)
{
	const char *opts[] = { "watchdog model=i6300esb,action=nmi", NULL };
	struct dev_env *env = fake_env_new(1 << 20, opts);
	struct pci_bus *bus;
	void *dev;
	u64 bar;
	int i, reg;

	(void)state;
	env->now_ns = 1000;
	assert_int_equal(pci_bus_create(env, &bus), 0);
	env->pci = bus;
	dev = fake_dev_create(env, &dev_i6300esb);
	fake_cfg_write(env, 1, 0x04, 2, 0x2); /* memory decoding */
	bar = fake_cfg_read(env, 1, 0x10, 4) & ~0xfULL;
	for (reg = 0; reg <= 4; reg += 4) {
		fake_write(env, BUS_MMIO, bar + 0xc, 2, 0x80); /* unlock */
		fake_write(env, BUS_MMIO, bar + 0xc, 2, 0x86);
		fake_write(env, BUS_MMIO, bar + reg, 4, 0);
	}
	fake_cfg_write(env, 1, 0x68, 1, 0x02); /* enable */
	/* Stage 1 ends, stage 2 ends at once (expiry), then the floor. */
	for (i = 0; i < 6; i++) {
		int expired = fake_env_count_events(env, "watchdog-expired");
		u64 next = fire_once(env);

		if (fake_env_count_events(env, "watchdog-expired") > expired)
			assert_true(next >= env->now_ns + MIN_RESTART_NS);
		env->now_ns = next;
	}
	assert_int_equal(fake_env_count_events(env, "watchdog-expired"), 3);
	dev_i6300esb.quiesce(dev, STOP_TERMINATED);
	dev_i6300esb.destroy(dev);
	pci_bus_destroy(bus);
	fake_env_free(env);
}

/* Free-running mode, preloads 0: each stage must take some time. */
static void test_i6300esb_free_running_zero(void **state)
{
	const char *opts[] = { "watchdog model=i6300esb,action=none", NULL };
	struct dev_env *env = fake_env_new(1 << 20, opts);
	struct pci_bus *bus;
	u64 bar, start = 1000;
	void *dev;
	int i, reg;

	(void)state;
	env->now_ns = start;
	assert_int_equal(pci_bus_create(env, &bus), 0);
	env->pci = bus;
	dev = fake_dev_create(env, &dev_i6300esb);
	fake_cfg_write(env, 1, 0x04, 2, 0x2);
	bar = fake_cfg_read(env, 1, 0x10, 4) & ~0xfULL;
	for (reg = 0; reg <= 4; reg += 4) {
		fake_write(env, BUS_MMIO, bar + 0xc, 2, 0x80);
		fake_write(env, BUS_MMIO, bar + 0xc, 2, 0x86);
		fake_write(env, BUS_MMIO, bar + reg, 4, 0);
	}
	fake_cfg_write(env, 1, 0x68, 1, 0x04 | 0x02); /* free, enable */
	for (i = 0; i < 4; i++)
		env->now_ns = fire_once(env);
	assert_true(env->now_ns > start);
	assert_int_equal(fake_env_count_events(env, "watchdog-expired"), 0);
	dev_i6300esb.quiesce(dev, STOP_TERMINATED);
	dev_i6300esb.destroy(dev);
	pci_bus_destroy(bus);
	fake_env_free(env);
}

/*
 * Expiring every 0.1 s for 4 s: the first 16 expiries are reported, then
 * one a second that counts the ones between; not 40 lines and events.
 */
static void test_reports_bounded(void **state)
{
	const char *opts[] = { "watchdog model=ib700,action=none", NULL };
	struct dev_env *env = fake_env_new(1 << 20, opts);
	void *dev = fake_dev_create(env, &dev_ib700);
	const struct fake_event *last;
	int i, n;

	(void)state;
	env->now_ns = 1000;
	fake_write(env, BUS_PIO, 0x443, 1, 15); /* wd_times[15]: 0 s */
	for (i = 1; i <= 40; i++) {
		fire_once(env);
		if (i == 16)
			assert_int_equal(
				fake_env_count_events(env, "watchdog-expired"),
				16);
		env->now_ns = env->timers->deadline_ns;
	}
	n = fake_env_count_events(env, "watchdog-expired");
	assert_in_range(n, 17, 19);
	last = &env->events[env->nr_events - 1];
	assert_string_equal(last->type, "watchdog-expired");
	assert_non_null(strstr(last->fields, "unreported="));
	dev_ib700.quiesce(dev, STOP_TERMINATED);
	dev_ib700.destroy(dev);
	fake_env_free(env);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ib700_zero_timeout),
		cmocka_unit_test(test_reports_bounded),
		cmocka_unit_test(test_i6300esb_zero_preload),
		cmocka_unit_test(test_i6300esb_free_running_zero),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
