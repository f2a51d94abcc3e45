// SPDX-License-Identifier: Apache-2.0
/*
 * ACPI fixed hardware as OSPM drives it (ACPI 6.4 section 4.8.3, tables
 * 4.11-4.13): ports 0x600 (PM1a_EVT: PM1_STS, PM1_EN), 0x604 (PM1a_CNT),
 * 0x608 (PM_TMR), 0x60c (RESET_REG), 0xB2 (SMI_CMD, Intel's APM_CNT, with
 * ACPI_ENABLE 0xF1 and ACPI_DISABLE 0xF0), SCI on IRQ 9. Bit positions
 * and the 3.579545 MHz rate are the spec's, written out.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "../../src/vmm/dev/acpi_pm.h"
#include "fake_env.h"

#define PM1_STS 0x600
#define PM1_EN 0x602
#define PM1_CNT 0x604
#define PM_TMR 0x608
#define RESET_REG 0x60c
#define SMI_CMD 0xb2
#define ACPI_ENABLE 0xf1
#define ACPI_DISABLE 0xf0
#define SCI 9

#define TMR_STS 0x0001
#define PWRBTN_STS 0x0100
#define WAK_STS 0x8000
#define TMR_EN 0x0001
#define PWRBTN_EN 0x0100
#define SCI_EN 0x0001
#define SLP_TYP(n) ((n) << 10)
#define SLP_EN 0x2000

#define NS 1000000000ULL

struct fixture {
	struct dev_env *env;
	void *pm;
};

static u64 in(struct fixture *f, u16 port, u8 size)
{
	return fake_read(f->env, BUS_PIO, port, size);
}

static void out(struct fixture *f, u16 port, u8 size, u64 v)
{
	fake_write(f->env, BUS_PIO, port, size, v);
}

static int setup_opts(void **state, const char *const *opts)
{
	struct fixture *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	f->env = fake_env_new(1 << 20, opts);
	f->pm = fake_dev_create(f->env, &dev_acpi_pm);
	assert_non_null(f->pm);
	*state = f;
	return 0;
}

static int setup(void **state)
{
	return setup_opts(state, NULL);
}

static int setup_no_button(void **state)
{
	static const char *const opts[] = { "power-button none", NULL };

	return setup_opts(state, opts);
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	dev_acpi_pm.quiesce(f->pm, STOP_POWEROFF);
	dev_acpi_pm.destroy(f->pm);
	/* Every port is released. */
	assert_int_equal(f->env->pio.nr, 0);
	fake_env_free(f->env);
	free(f);
	return 0;
}

static void press(struct fixture *f)
{
	dev_acpi_pm.power_button(f->pm);
}

/* Linux's acpi_enable(): ACPI_ENABLE to SMI_CMD, then SCI_EN must read 1. */
static void enable_acpi(struct fixture *f)
{
	out(f, SMI_CMD, 1, ACPI_ENABLE);
	assert_int_equal(in(f, PM1_CNT, 2) & SCI_EN, SCI_EN);
}

/* The @n-th event reported (0 = first): its type, key and value. */
static void assert_event(struct fixture *f, int n, const char *type,
			 const char *key, const char *value)
{
	assert_true(n < f->env->nr_events);
	assert_string_equal(f->env->events[n].type, type);
	assert_string_equal(f->env->events[n].key, key);
	assert_string_equal(f->env->events[n].value, value);
}

static void test_legacy_mode_at_power_on(void **state)
{
	struct fixture *f = *state;

	/* Power-on: legacy mode, SCI_EN clear (4.8.2.1). */
	assert_int_equal(in(f, PM1_CNT, 2), 0);
	/* SCI_EN is the hardware's: OSPM writes do not set it. */
	out(f, PM1_CNT, 2, SCI_EN);
	assert_int_equal(in(f, PM1_CNT, 2), 0);
	/* BM_RLD (bit 1) and SLP_TYP are read/write; bits 3-9 reserved. */
	out(f, PM1_CNT, 2, 0x03fe | SLP_TYP(2));
	assert_int_equal(in(f, PM1_CNT, 2), SLP_TYP(2) | 0x0002);
	/* An armed, pressed button raises no SCI before ACPI is enabled. */
	out(f, PM1_EN, 2, PWRBTN_EN);
	press(f);
	assert_int_equal(in(f, PM1_STS, 2), PWRBTN_STS);
	assert_int_equal(f->env->irq[SCI].raises, 0);
	assert_int_equal(f->env->stop_requests, 0);
	assert_int_equal(fake_env_count_events(f->env, "acpi-enabled"), 0);
}

static void test_smi_cmd_enable_disable(void **state)
{
	struct fixture *f = *state;

	out(f, PM1_EN, 2, PWRBTN_EN);
	press(f);
	/* ACPI_ENABLE sets SCI_EN; the pending press now raises the SCI. */
	out(f, SMI_CMD, 1, ACPI_ENABLE);
	assert_int_equal(in(f, PM1_CNT, 2), SCI_EN);
	assert_int_equal(in(f, PM1_CNT, 1), 0x01);
	assert_int_equal(in(f, PM1_CNT + 1, 1), 0x00);
	assert_int_equal(f->env->irq[SCI].level, 1);
	assert_int_equal(fake_env_count_events(f->env, "acpi-enabled"), 1);
	/* OSPM preserves SCI_EN; a write of 0 does not clear it. */
	out(f, PM1_CNT, 2, 0);
	assert_int_equal(in(f, PM1_CNT, 2), SCI_EN);
	out(f, PM1_CNT + 1, 1, SLP_TYP(3) >> 8);
	assert_int_equal(in(f, PM1_CNT, 2), SLP_TYP(3) | SCI_EN);
	/* SMI_CMD reads back the last command, like APM_CNT. */
	assert_int_equal(in(f, SMI_CMD, 1), ACPI_ENABLE);
	/* ACPI_DISABLE: back to legacy mode, the SCI drops, status stays. */
	out(f, SMI_CMD, 1, ACPI_DISABLE);
	assert_int_equal(in(f, PM1_CNT, 2), SLP_TYP(3));
	assert_int_equal(f->env->irq[SCI].level, 0);
	assert_int_equal(in(f, PM1_STS, 2), PWRBTN_STS);
	/* Enabling again: the SCI again, but acpi-enabled only the first time. */
	out(f, SMI_CMD, 1, ACPI_ENABLE);
	assert_int_equal(f->env->irq[SCI].level, 1);
	assert_int_equal(f->env->irq[SCI].raises, 2);
	assert_int_equal(fake_env_count_events(f->env, "acpi-enabled"), 1);
	/* Other commands, and other sizes, change nothing. */
	out(f, SMI_CMD, 1, 0x00);
	out(f, SMI_CMD, 1, 0xf2);
	out(f, SMI_CMD, 2, ACPI_DISABLE);
	assert_int_equal(in(f, PM1_CNT, 2) & SCI_EN, SCI_EN);
	assert_int_equal(in(f, SMI_CMD, 1), 0xf2);
	assert_int_equal(in(f, SMI_CMD, 2), 0xffff);
	assert_int_equal(in(f, SMI_CMD + 1, 1), 0xff);
	assert_int_equal(f->env->stop_requests, 0);
}

static void test_pm1_sts_w1c(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(in(f, PM1_STS, 2), 0);
	press(f);
	assert_int_equal(in(f, PM1_STS, 2), PWRBTN_STS);
	/* Writing 0, or a 1 to another bit, leaves PWRBTN_STS set. */
	out(f, PM1_STS, 2, 0);
	out(f, PM1_STS, 2, TMR_STS);
	assert_int_equal(in(f, PM1_STS, 2), PWRBTN_STS);
	/* Writing the value read back clears exactly what was set. */
	out(f, PM1_STS, 2, in(f, PM1_STS, 2));
	assert_int_equal(in(f, PM1_STS, 2), 0);
	/* Byte access: PWRBTN_STS is bit 0 of the byte at 0x601. */
	press(f);
	assert_int_equal(in(f, PM1_STS + 1, 1), 0x01);
	out(f, PM1_STS, 1, 0xff); /* the low byte: not this bit */
	assert_int_equal(in(f, PM1_STS, 2), PWRBTN_STS);
	out(f, PM1_STS + 1, 1, 0x01);
	assert_int_equal(in(f, PM1_STS, 2), 0);
}

static void test_pm1_en(void **state)
{
	struct fixture *f = *state;

	/* TMR_EN, GBL_EN, PWRBTN_EN, SLPBTN_EN, RTC_EN: bits 0,5,8,9,10. */
	out(f, PM1_EN, 2, 0xffff);
	assert_int_equal(in(f, PM1_EN, 2), 0x0721);
	out(f, PM1_EN, 2, 0);
	/* A dword at 0x600 covers PM1_STS (low) and PM1_EN (high). */
	press(f);
	out(f, PM1_STS, 4, (u32)PWRBTN_EN << 16);
	assert_int_equal(in(f, PM1_STS, 4), (u32)PWRBTN_EN << 16 | PWRBTN_STS);
	assert_int_equal(in(f, PM1_EN, 2), PWRBTN_EN);
	/* Byte writes to one half of PM1_EN keep the other. */
	out(f, PM1_EN, 1, TMR_EN);
	assert_int_equal(in(f, PM1_EN, 2), PWRBTN_EN | TMR_EN);
	out(f, PM1_EN + 1, 1, 0);
	assert_int_equal(in(f, PM1_EN, 2), TMR_EN);
}

static void test_sci_follows_sts_and_en(void **state)
{
	struct fixture *f = *state;

	enable_acpi(f);
	/* Pressed, not enabled: no SCI. */
	press(f);
	assert_int_equal(f->env->irq[SCI].level, 0);
	/* Enabling with the status pending raises it. */
	out(f, PM1_EN, 2, PWRBTN_EN);
	assert_int_equal(f->env->irq[SCI].level, 1);
	/* Disabling lowers it; the status stays. */
	out(f, PM1_EN, 2, 0);
	assert_int_equal(f->env->irq[SCI].level, 0);
	assert_int_equal(in(f, PM1_STS, 2), PWRBTN_STS);
	out(f, PM1_EN, 2, PWRBTN_EN);
	assert_int_equal(f->env->irq[SCI].level, 1);
	/* Clearing the status lowers it: a level, not an edge. */
	out(f, PM1_STS, 2, PWRBTN_STS);
	assert_int_equal(f->env->irq[SCI].level, 0);
	/* A second press with the button armed raises it again. */
	press(f);
	assert_int_equal(f->env->irq[SCI].level, 1);
	assert_int_equal(f->env->irq[SCI].raises, 3);
	/* WAK_STS has no enable bit and never raises the SCI. */
	out(f, PM1_STS, 2, PWRBTN_STS);
	out(f, PM1_EN, 2, 0xffff);
	out(f, PM1_CNT, 2, SLP_TYP(1) | SLP_EN);
	assert_int_equal(in(f, PM1_STS, 2) & WAK_STS, WAK_STS);
	assert_int_equal(f->env->irq[SCI].level, 0);
}

static void test_s5_poweroff(void **state)
{
	struct fixture *f = *state;

	/* ACPICA writes SLP_TYP, then SLP_TYP | SLP_EN. */
	out(f, PM1_CNT, 2, SLP_TYP(5));
	assert_int_equal(f->env->stop_requests, 0);
	out(f, PM1_CNT, 2, SLP_TYP(5) | SLP_EN);
	assert_int_equal(f->env->stop, STOP_POWEROFF);
	assert_int_equal(f->env->stop_requests, 1);
	/* SLP_EN is write-only. */
	assert_int_equal(in(f, PM1_CNT, 2), SLP_TYP(5));
	/* The vCPU may write it again before it stops: asked once. */
	out(f, PM1_CNT, 2, SLP_TYP(5) | SLP_EN);
	assert_int_equal(f->env->stop_requests, 1);
}

static void test_s5_byte_write(void **state)
{
	struct fixture *f = *state;

	/* SLP_TYP = 5 and SLP_EN in the high byte: 101b << 2 | 1 << 5. */
	out(f, PM1_CNT + 1, 1, 0x34);
	assert_int_equal(f->env->stop, STOP_POWEROFF);
	assert_int_equal(f->env->stop_requests, 1);
}

static void test_other_sleep_types(void **state)
{
	struct fixture *f = *state;
	int typ;

	/* S3 (and every type but 5) is not offered: no stop. */
	for (typ = 0; typ < 8; typ++) {
		if (typ == 5)
			continue;
		out(f, PM1_CNT, 2, SLP_TYP(typ) | SLP_EN);
	}
	assert_int_equal(f->env->stop_requests, 0);
	assert_int_equal(f->env->stop, STOP_NONE);
	/* The guest "wakes" at once rather than polling WAK_STS forever. */
	assert_int_equal(in(f, PM1_STS, 2) & WAK_STS, WAK_STS);
	out(f, PM1_STS, 2, WAK_STS);
	assert_int_equal(in(f, PM1_STS, 2) & WAK_STS, 0);
}

static void test_reset_register(void **state)
{
	struct fixture *f = *state;

	/* Other values and other sizes do nothing. */
	out(f, RESET_REG, 1, 0x00);
	out(f, RESET_REG, 1, 0x02);
	out(f, RESET_REG, 1, 0xff);
	out(f, RESET_REG, 2, 0x0001);
	out(f, RESET_REG, 4, 0x00000001);
	assert_int_equal(f->env->stop_requests, 0);
	/* RESET_VALUE 1 (our FADT's) reboots. */
	out(f, RESET_REG, 1, 0x01);
	assert_int_equal(f->env->stop, STOP_REBOOT);
	assert_int_equal(f->env->stop_requests, 1);
}

static void test_pm_timer(void **state)
{
	struct fixture *f = *state;
	u32 t0, t1;

	assert_int_equal(in(f, PM_TMR, 4), 0);
	fake_env_advance(f->env, NS);
	assert_int_equal(in(f, PM_TMR, 4), 3579545);
	/* Any second is 3579545 ticks, from any starting point. */
	fake_env_advance(f->env, 123456789);
	t0 = in(f, PM_TMR, 4);
	fake_env_advance(f->env, NS);
	t1 = in(f, PM_TMR, 4);
	assert_int_equal((t1 - t0) & 0xffffff, 3579545);
	/* At 5 s: 17897725 ticks, wrapped at 24 bits: 1120509. */
	fake_env_advance(f->env, 5 * NS - NS - 123456789 - NS);
	assert_int_equal(in(f, PM_TMR, 4), 17897725 - 16777216);
	/* Bits 31:24 read 0; byte and word reads see their lanes. */
	assert_int_equal(in(f, PM_TMR + 3, 1), 0);
	assert_int_equal(in(f, PM_TMR + 2, 1), (1120509 >> 16) & 0xff);
	assert_int_equal(in(f, PM_TMR, 2), 1120509 & 0xffff);
	/* Read-only. */
	out(f, PM_TMR, 4, 0);
	assert_int_equal(in(f, PM_TMR, 4), 1120509);
	/* Two hours in: still exact (ns * 3579545 outgrows 64 bits). */
	fake_env_advance(f->env, 7200 * NS);
	assert_int_equal(in(f, PM_TMR, 4), (7205ULL * 3579545) & 0xffffff);
}

static void test_tmr_sts(void **state)
{
	struct fixture *f = *state;
	/* Bit 23 changes every 2^23 ticks: 8388608 / 3579545 = 2.3435 s. */
	u64 half = 8388608ULL * NS / 3579545;

	fake_env_advance(f->env, half - 1000);
	assert_int_equal(in(f, PM1_STS, 2) & TMR_STS, 0);
	fake_env_advance(f->env, 2000);
	assert_int_equal(in(f, PM1_STS, 2) & TMR_STS, TMR_STS);
	out(f, PM1_STS, 2, TMR_STS);
	assert_int_equal(in(f, PM1_STS, 2) & TMR_STS, 0);
	enable_acpi(f);
	/* With TMR_EN, the SCI comes without the guest reading anything. */
	out(f, PM1_EN, 2, TMR_EN);
	assert_int_equal(f->env->irq[SCI].level, 0);
	fake_env_advance(f->env, half - 2000);
	assert_int_equal(f->env->irq[SCI].level, 0);
	fake_env_advance(f->env, 2000);
	assert_int_equal(f->env->irq[SCI].level, 1);
	out(f, PM1_STS, 2, TMR_STS);
	assert_int_equal(f->env->irq[SCI].level, 0);
	fake_env_advance(f->env, half + 1000);
	assert_int_equal(f->env->irq[SCI].level, 1);
	/* TMR_EN off: status still set on transitions, no SCI. */
	out(f, PM1_EN, 2, 0);
	out(f, PM1_STS, 2, TMR_STS);
	fake_env_advance(f->env, half);
	assert_int_equal(f->env->irq[SCI].level, 0);
	assert_int_equal(in(f, PM1_STS, 2) & TMR_STS, TMR_STS);
}

static void test_power_button_facts(void **state)
{
	struct fixture *f = *state;
	struct acpi_pm_state st;

	acpi_pm_get_state(f->pm, &st);
	assert_false(st.acpi_enabled || st.armed || st.pressed || st.acked);
	enable_acpi(f);
	/* Clearing a status that was never set is not an ack. */
	out(f, PM1_STS, 2, PWRBTN_STS);
	out(f, PM1_EN, 2, PWRBTN_EN);
	acpi_pm_get_state(f->pm, &st);
	assert_true(st.armed);
	assert_false(st.pressed || st.acked);
	press(f);
	assert_int_equal(f->env->irq[SCI].level, 1);
	acpi_pm_get_state(f->pm, &st);
	assert_true(st.pressed);
	assert_false(st.acked);
	/* Linux's acpi_ev_fixed_event_detect clears PWRBTN_STS: the ack. */
	out(f, PM1_STS, 2, PWRBTN_STS);
	acpi_pm_get_state(f->pm, &st);
	assert_true(st.acpi_enabled && st.armed && st.pressed && st.acked);
	/* Disarming later does not forget that it was armed. */
	out(f, PM1_EN, 2, 0);
	acpi_pm_get_state(f->pm, &st);
	assert_true(st.armed);
}

/* The events of docs/events.md, in the order the guest causes them. */
static void test_power_button_events(void **state)
{
	struct fixture *f = *state;

	enable_acpi(f);
	assert_event(f, 0, "acpi-enabled", "", "");
	/* A press before the guest arms the button. */
	press(f);
	assert_event(f, 1, "power-button-pressed", "armed", "false");
	/* ACPICA's acpi_install_fixed_event_handler(): clear, then enable. */
	out(f, PM1_STS, 2, PWRBTN_STS);
	assert_event(f, 2, "power-button-acknowledged", "", "");
	out(f, PM1_EN, 2, PWRBTN_EN);
	assert_event(f, 3, "power-button-armed", "", "");
	/* Re-writing the same enable bits is not a new arming. */
	out(f, PM1_EN, 2, PWRBTN_EN);
	out(f, PM1_EN + 1, 1, PWRBTN_EN >> 8);
	out(f, PM1_EN, 1, TMR_EN);
	assert_int_equal(f->env->nr_events, 4);
	press(f);
	assert_event(f, 4, "power-button-pressed", "armed", "true");
	assert_int_equal(f->env->irq[SCI].level, 1);
	/* Writing 0 (or another bit) to PM1_STS acknowledges nothing. */
	out(f, PM1_STS, 2, TMR_STS);
	assert_int_equal(f->env->nr_events, 5);
	/* A dword write clears the status and keeps PWRBTN_EN. */
	out(f, PM1_STS, 4, (u32)PWRBTN_EN << 16 | PWRBTN_STS);
	assert_event(f, 5, "power-button-acknowledged", "", "");
	assert_int_equal(f->env->irq[SCI].level, 0);
	/* Disarmed, then armed again: a second armed event. */
	out(f, PM1_EN + 1, 1, 0);
	out(f, PM1_EN + 1, 1, PWRBTN_EN >> 8);
	assert_event(f, 6, "power-button-armed", "", "");
	assert_int_equal(f->env->nr_events, 7);
	assert_int_equal(f->env->stop_requests, 0);
}

static void test_no_power_button(void **state)
{
	struct fixture *f = *state;
	struct acpi_pm_state st;

	/* `power-button none`: the hook presses nothing. */
	enable_acpi(f);
	out(f, PM1_EN, 2, PWRBTN_EN);
	press(f);
	assert_int_equal(in(f, PM1_STS, 2), 0);
	assert_int_equal(f->env->irq[SCI].raises, 0);
	assert_int_equal(fake_env_count_events(f->env, "power-button-pressed"),
			 0);
	acpi_pm_get_state(f->pm, &st);
	assert_false(st.pressed);
	/* Everything else is still there: S5 powers off. */
	out(f, PM1_CNT, 2, SLP_TYP(5) | SLP_EN);
	assert_int_equal(f->env->stop, STOP_POWEROFF);
}

static void test_unarmed_press(void **state)
{
	struct fixture *f = *state;
	struct acpi_pm_state st;

	/* A guest without ACPI: the press stays pending, no SCI. */
	press(f);
	press(f);
	assert_int_equal(f->env->irq[SCI].raises, 0);
	acpi_pm_get_state(f->pm, &st);
	assert_true(st.pressed);
	assert_false(st.acpi_enabled || st.armed || st.acked);
	assert_int_equal(fake_env_count_events(f->env, "power-button-pressed"),
			 2);
	assert_int_equal(f->env->nr_events, 2);
}

static void test_hostile_accesses(void **state)
{
	struct fixture *f = *state;

	out(f, PM1_EN, 2, PWRBTN_EN);
	/* A dword at PM1_EN runs past the block: all-ones, dropped. */
	assert_int_equal(in(f, PM1_EN, 4), 0xffffffff);
	out(f, PM1_EN, 4, 0);
	assert_int_equal(in(f, PM1_EN, 2), PWRBTN_EN);
	/* 8-byte accesses are not I/O cycles. */
	assert_int_equal(in(f, PM1_STS, 8), ~0ULL);
	out(f, PM1_STS, 8, 0);
	assert_int_equal(in(f, PM1_EN, 2), PWRBTN_EN);
	/* PM1_CNT is 2 bytes: a dword or a word at 0x605 is dropped. */
	out(f, PM1_CNT, 4, SLP_TYP(5) | SLP_EN);
	out(f, PM1_CNT + 1, 2, (SLP_TYP(5) | SLP_EN) >> 8);
	assert_int_equal(f->env->stop_requests, 0);
	assert_int_equal(in(f, PM1_CNT, 4), 0xffffffff);
	/* The gap 0x606-0x607 is nobody's. */
	assert_int_equal(in(f, 0x606, 2), 0xffff);
	/* A word at 0x60b would leave PM_TMR. */
	assert_int_equal(in(f, PM_TMR + 3, 2), 0xffff);
	/* The reset register reads 0 and has nothing past its byte. */
	assert_int_equal(in(f, RESET_REG, 1), 0);
	assert_int_equal(in(f, RESET_REG + 1, 1), 0xff);
	assert_int_equal(f->env->stop_requests, 0);
}

static void test_reset_hook(void **state)
{
	struct fixture *f = *state;
	struct acpi_pm_state st;

	enable_acpi(f);
	out(f, PM1_EN, 2, PWRBTN_EN);
	press(f);
	assert_int_equal(f->env->irq[SCI].level, 1);
	dev_acpi_pm.reset(f->pm);
	assert_int_equal(f->env->irq[SCI].level, 0);
	assert_int_equal(in(f, PM1_STS, 4), 0);
	/* Back in legacy mode, as at power-on. */
	assert_int_equal(in(f, PM1_CNT, 2), 0);
	assert_int_equal(in(f, SMI_CMD, 1), 0);
	acpi_pm_get_state(f->pm, &st);
	assert_true(st.acpi_enabled && st.armed && st.pressed);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_legacy_mode_at_power_on,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_smi_cmd_enable_disable,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_pm1_sts_w1c, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_pm1_en, setup, teardown),
		cmocka_unit_test_setup_teardown(test_sci_follows_sts_and_en,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_s5_poweroff, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_s5_byte_write, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_other_sleep_types, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_reset_register, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_pm_timer, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tmr_sts, setup, teardown),
		cmocka_unit_test_setup_teardown(test_power_button_facts, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_power_button_events, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_no_power_button,
						setup_no_button, teardown),
		cmocka_unit_test_setup_teardown(test_unarmed_press, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_hostile_accesses, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_reset_hook, setup,
						teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
