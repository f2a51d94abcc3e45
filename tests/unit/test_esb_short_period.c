// SPDX-License-Identifier: Apache-2.0
/*
 * i6300ESB in free-running mode with a period shorter than one pass of
 * the main loop (found by the probe's hostile-pci and hostile-mmio
 * scenarios): stage 1 of preload 0 and stage 2 of one 1 MHz tick
 * (960 ns) reloaded and fired again before the loop's timer pass could
 * return, so vessel never went back to its fds or signals and hung
 * after the guest's S5. The loop here is the real one's shape: fire
 * every due timer, the clock moving on by what each fire costs; it must
 * come back to its fds.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>

#include "../../src/vmm/dev/pci.h"
#include "fake_env.h"

#define FIRE_COST_NS 2000 /* one timer fire of the real loop, at least */
#define PASS_LIMIT 1000 /* fires in one pass before it counts as a hang */

extern const struct dev_type dev_i6300esb;

/* One loop pass: fire due timers until none is; how many fired. */
static int timer_pass(struct dev_env *env)
{
	int fired = 0;

	while (env->timers && env->timers->deadline_ns <= env->now_ns &&
	       fired < PASS_LIMIT) {
		struct dev_timer *t = env->timers;

		env->timers = t->next;
		t->deadline_ns = 0;
		t->fire(t->dev);
		env->now_ns += FIRE_COST_NS;
		fired++;
	}
	return fired;
}

static void esb_preload(struct dev_env *env, u64 bar, int reg, u32 v)
{
	fake_write(env, BUS_MMIO, bar + 0xc, 2, 0x80); /* unlock */
	fake_write(env, BUS_MMIO, bar + 0xc, 2, 0x86);
	fake_write(env, BUS_MMIO, bar + reg, 4, v);
}

static void run(u8 lock, u16 config, u32 pre1, u32 pre2)
{
	const char *opts[] = { "watchdog model=i6300esb,action=none", NULL };
	struct dev_env *env = fake_env_new(1 << 20, opts);
	struct pci_bus *bus;
	void *dev;
	u64 bar;
	int pass;

	env->now_ns = 1000;
	assert_int_equal(pci_bus_create(env, &bus), 0);
	env->pci = bus;
	dev = fake_dev_create(env, &dev_i6300esb);
	fake_cfg_write(env, 1, 0x04, 2, 0x2); /* memory decoding */
	bar = fake_cfg_read(env, 1, 0x10, 4) & ~0xfULL;
	fake_cfg_write(env, 1, 0x60, 2, config);
	esb_preload(env, bar, 0, pre1);
	esb_preload(env, bar, 4, pre2);
	fake_cfg_write(env, 1, 0x68, 1, lock);
	for (pass = 0; pass < 20; pass++) {
		assert_in_range(timer_pass(env), 0, PASS_LIMIT - 1);
		assert_non_null(env->timers);
		env->now_ns = env->timers->deadline_ns; /* the loop sleeps */
	}
	dev_i6300esb.quiesce(dev, STOP_TERMINATED);
	dev_i6300esb.destroy(dev);
	pci_bus_destroy(bus);
	fake_env_free(env);
}

/* Free-running (lock 0x04 | enable 0x02), 1 MHz scale (0x04). */
static void test_free_running_one_tick(void **state)
{
	(void)state;
	run(0x06, 0x04, 0, 1);
	run(0x06, 0x04, 1, 0);
	run(0x06, 0x04, 1, 1);
}

/* Watchdog mode with the output disabled (0x20) counts the same way. */
static void test_output_disabled_one_tick(void **state)
{
	(void)state;
	run(0x02, 0x04 | 0x20, 0, 1);
	run(0x02, 0x04 | 0x20, 1, 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_free_running_one_tick),
		cmocka_unit_test(test_output_disabled_one_tick),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
