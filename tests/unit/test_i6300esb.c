// SPDX-License-Identifier: Apache-2.0
/*
 * The i6300esb watchdog as Linux's drivers/watchdog/i6300esb.c drives it
 * and as the 6300ESB datasheet defines it: PCI 8086:25AB, config 0x60
 * (WDT configuration) and 0x68 (lock), BAR0 with the two preloads, the
 * interrupt status and the reload register behind the 0x80, 0x86 unlock
 * sequence. Linux's heartbeat T programs T << 9 into both stages; each
 * stage lasts preload << 15 ticks of 30 ns, so T expires after
 * T * 1.00663296 s.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/vmm/dev/pci.h"
#include "fake_env.h"

#define CF8 0xcf8
#define CFC 0xcfc
#define SLOT 1
#define BAR 0x80000000ULL /* where firmware-style assignment puts it */

#define CONFIG 0x60
#define LOCK 0x68
#define LOCK_LOCK 0x01
#define LOCK_ENABLE 0x02
#define TIMER1 0x00
#define TIMER2 0x04
#define GINTSR 0x08
#define RELOAD 0x0c
#define RELOAD_KICK 0x100
#define RELOAD_TIMEOUT 0x200

#define SEC 1000000000ULL
/* Linux's heartbeat of 1 s: 2 stages of (1 << 9) << 15 ticks of 30 ns. */
#define T1_NS ((512ULL << 15) * 30)
#define HEARTBEAT_1S (2 * T1_NS)

extern const struct dev_type dev_i6300esb;

struct fixture {
	struct dev_env *env;
	struct pci_bus *bus;
	void *dev;
};

static u32 cfg_read(struct fixture *f, u32 reg, u8 size)
{
	return fake_cfg_read(f->env, SLOT, reg, size);
}

static void cfg_write(struct fixture *f, u32 reg, u8 size, u32 v)
{
	fake_cfg_write(f->env, SLOT, reg, size, v);
}

static void writew(struct fixture *f, u64 off, u16 v)
{
	fake_write(f->env, BUS_MMIO, BAR + off, 2, v);
}

static void writel(struct fixture *f, u64 off, u32 v)
{
	fake_write(f->env, BUS_MMIO, BAR + off, 4, v);
}

static u64 readn(struct fixture *f, u64 off, u8 size)
{
	return fake_read(f->env, BUS_MMIO, BAR + off, size);
}

/* --- the Linux driver's functions, same registers, same order --- */

static void esb_unlock_registers(struct fixture *f)
{
	writew(f, RELOAD, 0x80);
	writew(f, RELOAD, 0x86);
}

static void esb_timer_keepalive(struct fixture *f)
{
	esb_unlock_registers(f);
	writew(f, RELOAD, RELOAD_KICK);
}

static void esb_timer_start(struct fixture *f, bool nowayout)
{
	esb_unlock_registers(f);
	writew(f, RELOAD, RELOAD_KICK);
	cfg_write(f, LOCK, 1, LOCK_ENABLE | (nowayout ? LOCK_LOCK : 0));
}

/* Returns what the driver returns: non-zero when the chip refused. */
static int esb_timer_stop(struct fixture *f)
{
	esb_unlock_registers(f);
	writew(f, RELOAD, RELOAD_KICK);
	cfg_write(f, LOCK, 1, 0);
	return cfg_read(f, LOCK, 1) & LOCK_ENABLE;
}

static void esb_timer_set_heartbeat(struct fixture *f, u32 time)
{
	u32 val = time << 9;

	esb_unlock_registers(f);
	writel(f, TIMER1, val);
	esb_unlock_registers(f);
	writel(f, TIMER2, val);
	esb_unlock_registers(f);
	writew(f, RELOAD, RELOAD_KICK);
}

static void esb_initdevice(struct fixture *f, u32 heartbeat)
{
	cfg_write(f, CONFIG, 2, 0x0003);
	cfg_read(f, LOCK, 1);
	cfg_write(f, LOCK, 1, 0);
	esb_unlock_registers(f);
	readn(f, RELOAD, 2);
	esb_unlock_registers(f);
	writew(f, RELOAD, RELOAD_TIMEOUT | RELOAD_KICK);
	esb_timer_set_heartbeat(f, heartbeat);
}

/* pci_enable_device(): memory decoding on, BAR0 where it is. */
static void esb_probe(struct fixture *f)
{
	cfg_write(f, 0x04, 2, 0x0002);
}

static int setup_action(void **state, const char *action)
{
	struct fixture *f = calloc(1, sizeof(*f));
	char opt[64];
	const char *opts[] = { opt, NULL };

	assert_non_null(f);
	snprintf(opt, sizeof(opt), "watchdog model=i6300esb,action=%s", action);
	f->env = fake_env_new(1 << 20, opts);
	assert_int_equal(pci_bus_create(f->env, &f->bus), 0);
	f->env->pci = f->bus;
	f->dev = fake_dev_create(f->env, &dev_i6300esb);
	assert_non_null(f->dev);
	esb_probe(f);
	*state = f;
	return 0;
}

static int setup(void **state)
{
	return setup_action(state, "terminate");
}

static int setup_none(void **state)
{
	return setup_action(state, "none");
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	dev_i6300esb.quiesce(f->dev, STOP_NONE);
	dev_i6300esb.destroy(f->dev);
	pci_bus_destroy(f->bus);
	fake_env_free(f->env);
	free(f);
	return 0;
}

static void test_identity(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(cfg_read(f, 0x00, 4), 0x25ab8086);
	assert_int_equal(cfg_read(f, 0x08, 4) >> 8, 0x088000);
	assert_int_equal(cfg_read(f, 0x3d, 1), 1); /* INTA# */
	assert_int_equal(cfg_read(f, 0x10, 4), (u32)BAR);
	cfg_write(f, 0x10, 4, 0xffffffff);
	assert_int_equal(cfg_read(f, 0x10, 4), 0xfffffff0); /* 16 bytes */
	cfg_write(f, 0x10, 4, (u32)BAR);
	/* Power-on: disabled, unlocked, nothing pending. */
	assert_int_equal(cfg_read(f, CONFIG, 2), 0);
	assert_int_equal(cfg_read(f, LOCK, 1), 0);
	assert_int_equal(readn(f, RELOAD, 2), 0);
	assert_int_equal(readn(f, GINTSR, 4), 0);
}

static void test_expires_on_time(void **state)
{
	struct fixture *f = *state;
	const struct fake_event *e;

	esb_initdevice(f, 1);
	assert_int_equal(fake_env_count_events(f->env, "watchdog-started"), 0);
	esb_timer_start(f, false);
	e = fake_env_last_event(f->env, "watchdog-started");
	assert_non_null(e);
	assert_string_equal(e->value, "i6300esb");
	assert_true(fake_event_num(e, "timeout") > 1.006632 &&
		    fake_event_num(e, "timeout") < 1.006634);
	fake_env_advance(f->env, HEARTBEAT_1S - 1);
	assert_int_equal(f->env->stop, STOP_NONE);
	fake_env_advance(f->env, 1);
	assert_int_equal(f->env->stop, STOP_WATCHDOG);
	assert_string_equal(f->env->stop_by, "i6300esb");
	e = fake_env_last_event(f->env, "watchdog-expired");
	assert_non_null(e);
	assert_non_null(strstr(e->fields, "action=terminate"));
	assert_true(fake_event_num(e, "late") == 0);
	assert_true(fake_event_num(e, "since_kick") > 1.006632 &&
		    fake_event_num(e, "since_kick") < 1.006634);
	/* The chip records the timeout for the next boot's driver. */
	assert_int_equal(readn(f, RELOAD, 2), RELOAD_TIMEOUT);
}

static void test_kicking_keeps_it_alive(void **state)
{
	struct fixture *f = *state;
	int i;

	esb_initdevice(f, 1);
	esb_timer_start(f, false);
	for (i = 0; i < 40; i++) {
		fake_env_advance(f->env, SEC / 2);
		esb_timer_keepalive(f);
	}
	assert_int_equal(f->env->stop, STOP_NONE);
	assert_int_equal(fake_env_count_events(f->env, "watchdog-expired"), 0);
	/* Then it stops kicking: one heartbeat after the last kick. */
	fake_env_advance(f->env, HEARTBEAT_1S);
	assert_int_equal(f->env->stop, STOP_WATCHDOG);
}

static void test_unlock_sequence(void **state)
{
	struct fixture *f = *state;

	esb_initdevice(f, 1);
	/* No sequence: the preload write is dropped. */
	writel(f, TIMER1, 100);
	assert_int_equal(readn(f, TIMER1, 4), 512);
	/* Wrong order. */
	writew(f, RELOAD, 0x86);
	writew(f, RELOAD, 0x80);
	writel(f, TIMER1, 100);
	assert_int_equal(readn(f, TIMER1, 4), 512);
	/* A stray write between the two halves spoils it. */
	writew(f, RELOAD, 0x80);
	writel(f, TIMER2, 7);
	writew(f, RELOAD, 0x86);
	writel(f, TIMER1, 100);
	assert_int_equal(readn(f, TIMER1, 4), 512);
	assert_int_equal(readn(f, TIMER2, 4), 512);
	/* The sequence unlocks exactly one write. */
	esb_unlock_registers(f);
	writel(f, TIMER1, 100);
	writel(f, TIMER1, 200);
	assert_int_equal(readn(f, TIMER1, 4), 100);
	/* 32-bit unlock writes, as EFI Boot Guard makes them, count too. */
	fake_write(f->env, BUS_MMIO, BAR + RELOAD, 4, 0x80);
	fake_write(f->env, BUS_MMIO, BAR + RELOAD, 4, 0x86);
	writel(f, TIMER2, 300);
	assert_int_equal(readn(f, TIMER2, 4), 300);
}

static void test_kick_needs_unlock(void **state)
{
	struct fixture *f = *state;

	esb_initdevice(f, 1);
	esb_timer_start(f, false);
	fake_env_advance(f->env, SEC / 2);
	writew(f, RELOAD, RELOAD_KICK); /* locked: not a kick */
	fake_env_advance(f->env, HEARTBEAT_1S - SEC / 2);
	assert_int_equal(f->env->stop, STOP_WATCHDOG);
}

static void test_preload_range(void **state)
{
	struct fixture *f = *state;

	esb_unlock_registers(f);
	writel(f, TIMER1, 0xffffffff);
	assert_int_equal(readn(f, TIMER1, 4), 0xfffff); /* 20 bits */
	/* Only 32-bit writes reach the preloads. */
	esb_unlock_registers(f);
	writew(f, TIMER2, 5);
	assert_int_equal(readn(f, TIMER2, 4), 0);
	/* The largest stage lasts 1030.79 s; a zero one not at all. */
	cfg_write(f, CONFIG, 2, 0x0003);
	esb_timer_start(f, false);
	fake_env_advance(f->env, (0xfffffULL << 15) * 30);
	assert_int_equal(f->env->stop, STOP_WATCHDOG);
}

static void test_one_mhz_scale(void **state)
{
	struct fixture *f = *state;

	esb_initdevice(f, 1);
	cfg_write(f, CONFIG, 2, 0x0007); /* WDT_PRE_SEL: 1 MHz */
	esb_timer_start(f, false);
	fake_env_advance(f->env, 2 * (512ULL << 5) * 30 - 1);
	assert_int_equal(f->env->stop, STOP_NONE);
	fake_env_advance(f->env, 1);
	assert_int_equal(f->env->stop, STOP_WATCHDOG);
}

static void test_stage1_interrupt(void **state)
{
	struct fixture *f = *state;
	u32 gsi;

	esb_initdevice(f, 1);
	cfg_write(f, CONFIG, 2, 0x0000); /* WDT_INT_TYPE: IRQ */
	gsi = cfg_read(f, 0x3c, 1);
	esb_timer_start(f, false);
	fake_env_advance(f->env, T1_NS);
	assert_int_equal(readn(f, GINTSR, 4), 1);
	assert_int_equal(f->env->irq[gsi].level, 1);
	assert_int_equal(f->env->stop, STOP_NONE);
	writel(f, GINTSR, 1); /* write 1 to clear */
	assert_int_equal(readn(f, GINTSR, 4), 0);
	assert_int_equal(f->env->irq[gsi].level, 0);
	fake_env_advance(f->env, T1_NS);
	assert_int_equal(f->env->stop, STOP_WATCHDOG);
}

static void test_magic_close_stops(void **state)
{
	struct fixture *f = *state;

	esb_initdevice(f, 1);
	esb_timer_start(f, false);
	fake_env_advance(f->env, SEC / 2);
	assert_int_equal(esb_timer_stop(f), 0);
	assert_int_equal(fake_env_count_events(f->env, "watchdog-stopped"), 1);
	fake_env_advance(f->env, 10 * SEC);
	assert_int_equal(f->env->stop, STOP_NONE);
	/* Started again by the next open. */
	esb_timer_start(f, false);
	fake_env_advance(f->env, HEARTBEAT_1S);
	assert_int_equal(f->env->stop, STOP_WATCHDOG);
}

static void test_nowayout_lock(void **state)
{
	struct fixture *f = *state;

	esb_initdevice(f, 1);
	esb_timer_start(f, true);
	assert_int_equal(cfg_read(f, LOCK, 1), LOCK_ENABLE | LOCK_LOCK);
	/* The driver's stop is refused: the bits are read-only now. */
	assert_int_not_equal(esb_timer_stop(f), 0);
	assert_int_equal(cfg_read(f, LOCK, 1), LOCK_ENABLE | LOCK_LOCK);
	assert_int_equal(fake_env_count_events(f->env, "watchdog-stopped"), 0);
	fake_env_advance(f->env, HEARTBEAT_1S);
	assert_int_equal(f->env->stop, STOP_WATCHDOG);
}

static void test_action_none_repeats(void **state)
{
	struct fixture *f = *state;
	const struct fake_event *e;

	esb_initdevice(f, 1);
	esb_timer_start(f, false);
	fake_env_advance(f->env, HEARTBEAT_1S);
	assert_int_equal(fake_env_count_events(f->env, "watchdog-expired"), 1);
	assert_int_equal(f->env->stop, STOP_NONE);
	assert_int_equal(readn(f, RELOAD, 2), RELOAD_TIMEOUT);
	/* Still not kicked: another full period, another event. */
	fake_env_advance(f->env, HEARTBEAT_1S);
	assert_int_equal(fake_env_count_events(f->env, "watchdog-expired"), 2);
	e = fake_env_last_event(f->env, "watchdog-expired");
	assert_true(fake_event_num(e, "since_kick") > 2.0132 &&
		    fake_event_num(e, "since_kick") < 2.0133);
	/* The driver clears the flag the way esb_initdevice() does. */
	esb_unlock_registers(f);
	writew(f, RELOAD, RELOAD_TIMEOUT | RELOAD_KICK);
	assert_int_equal(readn(f, RELOAD, 2), 0);
	assert_int_equal(f->env->stop_requests, 0);
}

static void run_action(const char *action, struct fixture **out)
{
	void *state;

	setup_action(&state, action);
	*out = state;
	esb_initdevice(*out, 1);
	esb_timer_start(*out, false);
	fake_env_advance((*out)->env, HEARTBEAT_1S);
}

static void test_actions(void **state)
{
	struct fixture *f;

	(void)state;
	run_action("reset", &f);
	assert_int_equal(f->env->stop, STOP_REBOOT);
	assert_string_equal(f->env->stop_by, "watchdog-i6300esb");
	teardown((void **)&f);
	run_action("poweroff", &f);
	assert_int_equal(f->env->presses, 1);
	assert_int_equal(f->env->stop, STOP_NONE);
	teardown((void **)&f);
	run_action("pause", &f);
	assert_int_equal(f->env->pauses, 1);
	assert_string_equal(f->env->pause_by, "watchdog-i6300esb");
	teardown((void **)&f);
	run_action("nmi", &f);
	assert_int_equal(f->env->nmis, 1);
	assert_int_equal(f->env->stop, STOP_NONE);
	teardown((void **)&f);
}

/* A paused VM's guest cannot kick: the countdown holds still. */
static void test_pause_holds_countdown(void **state)
{
	struct fixture *f = *state;
	const struct fake_event *e;

	esb_initdevice(f, 1);
	esb_timer_start(f, false);
	fake_env_advance(f->env, SEC / 2);
	dev_i6300esb.pause(f->dev, true);
	fake_env_advance(f->env, 60 * SEC);
	assert_int_equal(f->env->stop, STOP_NONE);
	dev_i6300esb.pause(f->dev, false);
	fake_env_advance(f->env, HEARTBEAT_1S - SEC / 2 - 1);
	assert_int_equal(f->env->stop, STOP_NONE);
	fake_env_advance(f->env, 1);
	assert_int_equal(f->env->stop, STOP_WATCHDOG);
	e = fake_env_last_event(f->env, "watchdog-expired");
	assert_true(fake_event_num(e, "since_kick") < 1.0067);
}

static void test_register_reads(void **state)
{
	struct fixture *f = *state;

	esb_initdevice(f, 3);
	assert_int_equal(readn(f, TIMER1, 4), 3 << 9);
	assert_int_equal(readn(f, TIMER2, 4), 3 << 9);
	assert_int_equal(readn(f, GINTSR, 4), 0);
	assert_int_equal(readn(f, RELOAD, 2), 0);
	/* Misaligned: not decoded, reads all ones. */
	assert_int_equal(readn(f, 0x2, 4), 0xffffffff);
	/* Config: only the defined bits take writes. */
	cfg_write(f, CONFIG, 2, 0xffff);
	assert_int_equal(cfg_read(f, CONFIG, 2), 0x0027);
	cfg_write(f, LOCK, 1, 0xf8);
	assert_int_equal(cfg_read(f, LOCK, 1), 0);
}

static void test_other_model_absent(void **state)
{
	const char *opts[] = { "watchdog model=ib700", NULL };
	struct dev_env *env = fake_env_new(1 << 20, opts);
	void *dev = (void *)1;

	(void)state;
	assert_int_equal(dev_i6300esb.create(env, &dev), 0);
	assert_null(dev);
	fake_env_free(env);
	env = fake_env_new(1 << 20, NULL);
	dev = (void *)1;
	assert_int_equal(dev_i6300esb.create(env, &dev), 0);
	assert_null(dev);
	fake_env_free(env);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_identity, setup, teardown),
		cmocka_unit_test_setup_teardown(test_expires_on_time, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_kicking_keeps_it_alive,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_unlock_sequence, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_kick_needs_unlock, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_preload_range, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_one_mhz_scale, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_stage1_interrupt, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_magic_close_stops, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_nowayout_lock, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_action_none_repeats,
						setup_none, teardown),
		cmocka_unit_test(test_actions),
		cmocka_unit_test_setup_teardown(test_pause_holds_countdown,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_register_reads, setup,
						teardown),
		cmocka_unit_test(test_other_model_absent),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
