// SPDX-License-Identifier: Apache-2.0
/*
 * The MC146818 CMOS RTC, against a fake wall clock set to a known time:
 * Thursday 2024-02-29 13:45:58.5 UTC (epoch 1709214358). Register values
 * are the MC146818A datasheet's encodings of that time.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>

#include "fake_env.h"
#include "../../src/vmm/boot/acpi/aml.h"
#include "../../src/vmm/boot/layout.h"
#include "../../src/vmm/dev/rtc.h"

extern const struct dev_type dev_rtc;

#define NS 1000000000LL
#define KNOWN_EPOCH 1709214358LL

#define REG_A 0x0a
#define REG_B 0x0b
#define REG_C 0x0c
#define REG_D 0x0d
#define CENTURY 0x32

#define B_SET 0x80
#define B_PIE 0x40
#define B_AIE 0x20
#define B_UIE 0x10
#define B_DM_BINARY 0x04
#define B_24H 0x02

struct ctx {
	struct dev_env *env;
	void *dev;
};

static struct dev_env *clock_env;
static s64 clock_base;

/* The wall clock follows the fake monotonic clock from clock_base. */
static s64 fake_wall_ns(void)
{
	return clock_base + (s64)clock_env->now_ns;
}

static int setup(void **state)
{
	static struct ctx c;

	c.env = fake_env_new(MiB(1), NULL);
	clock_env = c.env;
	clock_base = KNOWN_EPOCH * NS + NS / 2;
	c.dev = fake_dev_create(c.env, &dev_rtc);
	rtc_set_clock(c.dev, fake_wall_ns);
	*state = &c;
	return 0;
}

static int teardown(void **state)
{
	struct ctx *c = *state;

	dev_rtc.quiesce(c->dev, STOP_POWEROFF);
	assert_null(c->env->timers);
	dev_rtc.destroy(c->dev);
	fake_env_free(c->env);
	return 0;
}

static u8 cmos_read(struct ctx *c, u8 reg)
{
	fake_outb(c->env, PORT_RTC, reg);
	return fake_inb(c->env, PORT_RTC + 1);
}

static void cmos_write(struct ctx *c, u8 reg, u8 v)
{
	fake_outb(c->env, PORT_RTC, reg);
	fake_outb(c->env, PORT_RTC + 1, v);
}

static void assert_time(struct ctx *c, const u8 want[10], u8 century)
{
	static const u8 regs[] = { 0, 2, 4, 6, 7, 8, 9 };
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(regs); i++)
		assert_int_equal(cmos_read(c, regs[i]), want[regs[i]]);
	assert_int_equal(cmos_read(c, CENTURY), century);
}

static void test_defaults(void **state)
{
	struct ctx *c = *state;

	assert_int_equal(cmos_read(c, REG_A), 0x26);
	assert_int_equal(cmos_read(c, REG_B), 0x02);
	assert_int_equal(cmos_read(c, REG_C), 0x00);
	assert_int_equal(cmos_read(c, REG_D), 0x80);
	/* The index port is write-only. */
	assert_int_equal(fake_inb(c->env, PORT_RTC), 0xff);
}

/* Default reg B 0x02: 24-hour BCD. Thursday = 5 (Sunday = 1). */
static void test_bcd(void **state)
{
	static const u8 want[10] = { 0x58, 0,	 0x45, 0,    0x13,
				     0,	   0x05, 0x29, 0x02, 0x24 };

	assert_time(*state, want, 0x20);
}

static void test_binary(void **state)
{
	static const u8 want[10] = { 58, 0, 45, 0, 13, 0, 5, 29, 2, 24 };
	struct ctx *c = *state;

	cmos_write(c, REG_B, B_DM_BINARY | B_24H);
	assert_time(c, want, 20);
}

/* 12-hour mode: hours 1-12, bit 7 = PM. */
static void test_12h(void **state)
{
	struct ctx *c = *state;

	cmos_write(c, REG_B, 0x00);
	assert_int_equal(cmos_read(c, 4), 0x81); /* 1 PM, BCD */
	cmos_write(c, REG_B, B_DM_BINARY);
	assert_int_equal(cmos_read(c, 4), 0x81); /* 1 PM, binary */
	clock_base = (KNOWN_EPOCH - 13 * 3600 - 45 * 60) * NS; /* 00:00:58 */
	assert_int_equal(cmos_read(c, 4), 12); /* 12 AM */
	clock_base += 12 * 3600 * NS; /* 12:00:58 */
	assert_int_equal(cmos_read(c, 4), 0x80 | 12);
	cmos_write(c, REG_B, 0x00);
	assert_int_equal(cmos_read(c, 4), 0x92);
}

/* Linux's mc146818_set_time(): SET, write the fields, clear SET. */
static void test_guest_sets_time(void **state)
{
	static const u8 y2k[10] = { 0x00, 0,	0x00, 0,    0x00,
				    0,	  0x07, 0x01, 0x01, 0x00 };
	static const u8 later[10] = { 0x01, 0,	  0x01, 0,    0x00,
				      0,    0x07, 0x01, 0x01, 0x00 };
	struct ctx *c = *state;
	int i;

	cmos_write(c, REG_B, B_SET | B_24H);
	for (i = 0; i <= 9; i++)
		if (i != 1 && i != 3 && i != 5)
			cmos_write(c, i, y2k[i]);
	cmos_write(c, CENTURY, 0x20);
	/* Frozen while SET. */
	fake_env_advance(c->env, 5 * NS);
	assert_int_equal(cmos_read(c, 0), 0x00);
	cmos_write(c, REG_B, B_24H);
	fake_env_advance(c->env, 61 * NS);
	/* Saturday 2000-01-01 00:01:01: the guest keeps its own offset. */
	assert_time(c, later, 0x20);
}

/* Without SET a write applies at once; the day of week stays derived. */
static void test_write_running(void **state)
{
	struct ctx *c = *state;

	cmos_write(c, 2, 0x10);
	assert_int_equal(cmos_read(c, 2), 0x10);
	assert_int_equal(cmos_read(c, 0), 0x58);
	cmos_write(c, 6, 0x01);
	assert_int_equal(cmos_read(c, 6), 0x05);
}

static void test_invalid_time_ignored(void **state)
{
	struct ctx *c = *state;

	cmos_write(c, REG_B, B_SET | B_24H);
	cmos_write(c, 0, 0x7a); /* not BCD */
	cmos_write(c, 8, 0x13); /* month 13 */
	cmos_write(c, REG_B, B_24H);
	assert_int_equal(cmos_read(c, 0), 0x58);
	assert_int_equal(cmos_read(c, 8), 0x02);
}

static void test_reg_a_d(void **state)
{
	struct ctx *c = *state;

	/* UIP is read-only and reads 0; DV and RS are stored. */
	cmos_write(c, REG_A, 0xa6);
	assert_int_equal(cmos_read(c, REG_A), 0x26);
	cmos_write(c, REG_A, 0x2f);
	assert_int_equal(cmos_read(c, REG_A), 0x2f);
	cmos_write(c, REG_D, 0x00);
	assert_int_equal(cmos_read(c, REG_D), 0x80);
	cmos_write(c, REG_C, 0xff);
	assert_int_equal(cmos_read(c, REG_C), 0x00);
}

static void test_cmos_ram(void **state)
{
	struct ctx *c = *state;
	int i;

	for (i = 0x0e; i < 0x80; i++)
		if (i != CENTURY)
			cmos_write(c, i, i ^ 0x5a);
	for (i = 0x0e; i < 0x80; i++)
		if (i != CENTURY)
			assert_int_equal(cmos_read(c, i), i ^ 0x5a);
	/* Index bit 7 is the NMI mask, not an address bit. */
	assert_int_equal(cmos_read(c, 0x80 | 0x20), 0x20 ^ 0x5a);
	cmos_write(c, 0x80 | 0x21, 0x11);
	assert_int_equal(cmos_read(c, 0x21), 0x11);
}

/* UIE: one edge on IRQ 8 a second after enabling; reg C reads 0x90 once. */
static void test_uie(void **state)
{
	struct ctx *c = *state;
	struct fake_irq *irq = &c->env->irq[IRQ_RTC];

	cmos_write(c, REG_B, B_UIE | B_24H);
	fake_env_advance(c->env, NS / 2 - 1000);
	assert_int_equal(irq->raises, 0);
	fake_env_advance(c->env, 1000);
	assert_int_equal(irq->raises, 1);
	assert_int_equal(irq->level, 0);
	assert_int_equal(cmos_read(c, 0), 0x59);
	/* IRQF stays set until reg C is read: no second edge meanwhile. */
	fake_env_advance(c->env, NS);
	assert_int_equal(irq->raises, 1);
	assert_int_equal(cmos_read(c, REG_C), 0x90);
	assert_int_equal(cmos_read(c, REG_C), 0x00);
	fake_env_advance(c->env, NS);
	assert_int_equal(irq->raises, 2);
	assert_int_equal(cmos_read(c, REG_C), 0x90);
	/* SET stops updates and clears UIE. */
	cmos_write(c, REG_B, B_SET | B_UIE | B_24H);
	assert_int_equal(cmos_read(c, REG_B), B_SET | B_24H);
	fake_env_advance(c->env, 3 * NS);
	assert_int_equal(irq->raises, 2);
}

/* AIE: the alarm 13:46:00 matches 1.5 s after the known time. */
static void test_alarm(void **state)
{
	struct ctx *c = *state;
	struct fake_irq *irq = &c->env->irq[IRQ_RTC];

	cmos_write(c, 1, 0x00);
	cmos_write(c, 3, 0x46);
	cmos_write(c, 5, 0x13);
	cmos_write(c, REG_B, B_AIE | B_24H);
	fake_env_advance(c->env, NS / 2); /* 13:45:59 */
	assert_int_equal(irq->raises, 0);
	assert_int_equal(cmos_read(c, REG_C), 0x10); /* UF without UIE */
	fake_env_advance(c->env, NS); /* 13:46:00 */
	assert_int_equal(irq->raises, 1);
	assert_int_equal(cmos_read(c, REG_C), 0xb0);
	fake_env_advance(c->env, NS);
	assert_int_equal(irq->raises, 1);
}

/* Alarm bytes 0xc0-0xff are don't-care: every second matches. */
static void test_alarm_dont_care(void **state)
{
	struct ctx *c = *state;
	struct fake_irq *irq = &c->env->irq[IRQ_RTC];
	int i;

	cmos_write(c, 1, 0xff);
	cmos_write(c, 3, 0xc0);
	cmos_write(c, 5, 0xd5);
	cmos_write(c, REG_B, B_AIE | B_24H);
	for (i = 1; i <= 3; i++) {
		fake_env_advance(c->env, NS);
		assert_int_equal(irq->raises, i);
		assert_int_equal(cmos_read(c, REG_C) & 0xa0, 0xa0);
	}
	/* Seconds exact, the rest don't-care. */
	cmos_write(c, 1, 0x05); /* the clock reads 01 now */
	fake_env_advance(c->env, 3 * NS);
	assert_int_equal(irq->raises, 3);
	fake_env_advance(c->env, NS);
	assert_int_equal(irq->raises, 4);
}

/* PIE: RS = 15 is 2 Hz (MC146818A Table 5). */
static void test_periodic(void **state)
{
	struct ctx *c = *state;
	struct fake_irq *irq = &c->env->irq[IRQ_RTC];

	cmos_write(c, REG_A, 0x2f);
	cmos_write(c, REG_B, B_PIE | B_24H);
	fake_env_advance(c->env, NS / 2 - 1);
	assert_int_equal(irq->raises, 0);
	fake_env_advance(c->env, 1);
	assert_int_equal(irq->raises, 1);
	assert_int_equal(cmos_read(c, REG_C), 0xc0);
	/* RS = 6 (the default): 1024 Hz, 976562 ns. */
	cmos_write(c, REG_A, 0x26);
	fake_env_advance(c->env, 976562);
	assert_int_equal(irq->raises, 2);
	assert_int_equal(cmos_read(c, REG_C), 0xc0);
	/* RS = 1 is 256 Hz, not 32768 >> 0: 3906250 ns. */
	cmos_write(c, REG_A, 0x21);
	fake_env_advance(c->env, 3906250 - 1);
	assert_int_equal(irq->raises, 2);
	fake_env_advance(c->env, 1);
	assert_int_equal(irq->raises, 3);
	cmos_write(c, REG_B, B_24H);
	assert_null(c->env->timers);
	/* Disabling PIE drops IRQF; the flag itself stays until read. */
	assert_int_equal(cmos_read(c, REG_C), 0x40);
}

static void test_reset(void **state)
{
	struct ctx *c = *state;

	cmos_write(c, 0x40, 0x99);
	cmos_write(c, REG_B, B_UIE | B_PIE | B_24H);
	dev_rtc.reset(c->dev);
	assert_int_equal(cmos_read(c, REG_B), B_24H);
	assert_null(c->env->timers);
	assert_int_equal(cmos_read(c, 0x40), 0x99); /* battery-backed */
}

static void test_hostile(void **state)
{
	struct ctx *c = *state;
	int i, v;

	for (i = 0; i < 256; i++)
		for (v = 0; v < 256; v += 51) {
			cmos_write(c, i, v);
			cmos_read(c, i);
			fake_write(c->env, BUS_PIO, PORT_RTC, 2, 0xffff);
			fake_write(c->env, BUS_PIO, PORT_RTC + 1, 4, v);
		}
	assert_int_equal(fake_read(c->env, BUS_PIO, PORT_RTC + 1, 2), 0xffff);
	assert_int_equal(cmos_read(c, REG_D), 0x80);
	fake_env_advance(c->env, 10 * NS);
}

/* The host clock itself, within a second. */
static void test_host_clock(void **state)
{
	const char *opts[] = { NULL };
	struct dev_env *env = fake_env_new(MiB(1), opts);
	struct ctx c = { env, fake_dev_create(env, &dev_rtc) };
	time_t now;
	struct tm tm;
	int tries;

	(void)state;
	cmos_write(&c, REG_B, B_DM_BINARY | B_24H);
	for (tries = 0; tries < 3; tries++) {
		now = time(NULL);
		gmtime_r(&now, &tm);
		if (cmos_read(&c, 0) == tm.tm_sec && time(NULL) == now)
			break;
	}
	assert_true(tries < 3);
	assert_int_equal(cmos_read(&c, 2), tm.tm_min);
	assert_int_equal(cmos_read(&c, 9), tm.tm_year % 100);
	assert_int_equal(cmos_read(&c, CENTURY), (tm.tm_year + 1900) / 100);
	dev_rtc.destroy(c.dev);
	fake_env_free(env);
}

static void test_dsdt(void **state)
{
	static const u8 hid[] = { 0x08, '_',  'H',  'I',  'D',
				  0x0c, 0x41, 0xd0, 0x0b, 0x00 };
	static const u8 io[] = {
		0x47, 0x01, 0x70, 0x00, 0x70, 0x00, 0x01, 0x02
	};
	static const u8 irq[] = { 0x22, 0x00, 0x01, 0x79 };
	struct ctx *c = *state;
	struct aml a;

	aml_init(&a);
	dev_rtc.dsdt(c->dev, &a);
	assert_int_equal(a.err, 0);
	assert_non_null(memmem(a.buf, a.len, "RTC_", 4));
	assert_non_null(memmem(a.buf, a.len, hid, sizeof(hid)));
	assert_non_null(memmem(a.buf, a.len, io, sizeof(io)));
	assert_non_null(memmem(a.buf, a.len, irq, sizeof(irq)));
	aml_free(&a);
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_defaults),
		T(test_bcd),
		T(test_binary),
		T(test_12h),
		T(test_guest_sets_time),
		T(test_write_running),
		T(test_invalid_time_ignored),
		T(test_reg_a_d),
		T(test_cmos_ram),
		T(test_uie),
		T(test_alarm),
		T(test_alarm_dont_care),
		T(test_periodic),
		T(test_reset),
		T(test_hostile),
		cmocka_unit_test(test_host_clock),
		T(test_dsdt),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
