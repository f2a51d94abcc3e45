// SPDX-License-Identifier: Apache-2.0
/*
 * The i8042 as Linux's i8042.c probes it and as reboot=kbd uses it.
 * Expected values are the 8042's documented responses (self-test 0x55,
 * port tests 0x00) and Linux's I8042_STR_* / I8042_CTR_* bits.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "fake_env.h"
#include "../../src/vmm/boot/layout.h"

extern const struct dev_type dev_i8042;

#define DATA PORT_I8042_DATA
#define CMD PORT_I8042_CMD
#define STR_OBF 0x01
#define STR_IBF 0x02
#define STR_SYS 0x04
#define STR_AUXDATA 0x20

struct ctx {
	struct dev_env *env;
	void *dev;
};

static int setup(void **state)
{
	static struct ctx c;

	c.env = fake_env_new(MiB(1), NULL);
	c.dev = fake_dev_create(c.env, &dev_i8042);
	*state = &c;
	return 0;
}

static int teardown(void **state)
{
	struct ctx *c = *state;

	dev_i8042.destroy(c->dev);
	fake_env_free(c->env);
	return 0;
}

/* i8042_command(): wait for IBF clear, write, wait for OBF, read. */
static u8 command(struct ctx *c, u8 cmd)
{
	assert_int_equal(fake_inb(c->env, CMD) & STR_IBF, 0);
	fake_outb(c->env, CMD, cmd);
	assert_int_equal(fake_inb(c->env, CMD) & STR_OBF, STR_OBF);
	return fake_inb(c->env, DATA);
}

static void command_param(struct ctx *c, u8 cmd, u8 param)
{
	fake_outb(c->env, CMD, cmd);
	assert_int_equal(fake_inb(c->env, CMD) & STR_IBF, 0);
	fake_outb(c->env, DATA, param);
}

static void test_status_idle(void **state)
{
	struct ctx *c = *state;
	u8 s = fake_inb(c->env, CMD);

	assert_int_equal(s & (STR_OBF | STR_IBF), 0);
	assert_int_equal(s & STR_SYS, STR_SYS);
	/* i8042_flush() finds nothing: the controller exists. */
	assert_true(s != 0xff);
}

static void test_self_test(void **state)
{
	struct ctx *c = *state;

	assert_int_equal(command(c, 0xaa), 0x55);
	assert_int_equal(fake_inb(c->env, CMD) & STR_OBF, 0);
	/* An empty output buffer reads its last byte. */
	assert_int_equal(fake_inb(c->env, DATA), 0x55);
	assert_int_equal(command(c, 0xab), 0x00);
	assert_int_equal(command(c, 0xa9), 0x00);
}

static void test_ctr_round_trip(void **state)
{
	struct ctx *c = *state;
	u8 ctr = command(c, 0x20);

	/* Linux reads it twice and wants the same value. */
	assert_int_equal(command(c, 0x20), ctr);
	command_param(c, 0x60, 0x65);
	assert_int_equal(c->env->stop_requests, 0);
	assert_int_equal(command(c, 0x20), 0x65);
	assert_int_equal(fake_inb(c->env, CMD) & STR_SYS, STR_SYS);
	command_param(c, 0x60, 0x00);
	assert_int_equal(command(c, 0x20), 0x00);
	assert_int_equal(fake_inb(c->env, CMD) & STR_SYS, 0);
	/* Port enable/disable are CTR bits 4 (KBDDIS) and 5 (AUXDIS). */
	fake_outb(c->env, CMD, 0xad);
	fake_outb(c->env, CMD, 0xa7);
	assert_int_equal(command(c, 0x20), 0x30);
	fake_outb(c->env, CMD, 0xae);
	assert_int_equal(command(c, 0x20), 0x20);
	fake_outb(c->env, CMD, 0xa8);
	assert_int_equal(command(c, 0x20), 0x00);
}

static void test_reset_fe(void **state)
{
	struct ctx *c = *state;

	fake_outb(c->env, CMD, 0xfe);
	assert_int_equal(c->env->stop, STOP_REBOOT);
	assert_int_equal(c->env->stop_requests, 1);
}

static void test_output_port_reset(void **state)
{
	struct ctx *c = *state;

	command_param(c, 0xd1, 0x03);
	assert_int_equal(c->env->stop_requests, 0);
	assert_int_equal(command(c, 0xd0), 0x03);
	command_param(c, 0xd1, 0x01);
	assert_int_equal(c->env->stop_requests, 0);
	command_param(c, 0xd1, 0x02);
	assert_int_equal(c->env->stop, STOP_REBOOT);
	assert_int_equal(c->env->stop_requests, 1);
}

/* Pulse commands with bit 0 set leave the reset line alone. */
static void test_pulse_noop(void **state)
{
	struct ctx *c = *state;

	fake_outb(c->env, CMD, 0xff);
	fake_outb(c->env, CMD, 0xfd);
	assert_int_equal(c->env->stop_requests, 0);
}

/* i8042_check_aux(): AUX loopback returns the byte as AUX data. */
static void test_aux_loop(void **state)
{
	struct ctx *c = *state;

	command_param(c, 0xd3, 0x5a);
	assert_int_equal(fake_inb(c->env, CMD) & (STR_OBF | STR_AUXDATA),
			 STR_OBF | STR_AUXDATA);
	assert_int_equal(fake_inb(c->env, DATA), 0x5a);
	assert_int_equal(fake_inb(c->env, CMD) & (STR_OBF | STR_AUXDATA), 0);
}

static void test_unknown_and_keyboard_bytes(void **state)
{
	struct ctx *c = *state;

	fake_outb(c->env, CMD, 0xa1);
	fake_outb(c->env, DATA, 0xf2); /* ATKBD_CMD_GETID: no keyboard */
	assert_int_equal(fake_inb(c->env, CMD) & STR_OBF, 0);
	/* AUX send (0xd4) swallows its byte. */
	command_param(c, 0xd4, 0xff);
	assert_int_equal(fake_inb(c->env, CMD) & STR_OBF, 0);
	assert_int_equal(c->env->stop_requests, 0);
}

/* Every command with a data byte of 0xff: only the pulses reset. */
static void test_hostile(void **state)
{
	struct ctx *c = *state;
	int cmd;

	for (cmd = 0; cmd < 256; cmd++) {
		fake_outb(c->env, CMD, cmd);
		fake_outb(c->env, DATA, 0xff);
		fake_read(c->env, BUS_PIO, DATA, 1);
		fake_write(c->env, BUS_PIO, CMD, 4, cmd);
		fake_write(c->env, BUS_PIO, DATA, 2, cmd);
	}
	/* 0xf0, 0xf2, ..., 0xfe pulse output line 0. */
	assert_int_equal(c->env->stop_requests, 8);
	assert_int_equal(fake_read(c->env, BUS_PIO, CMD, 2), 0xffff);
	dev_i8042.reset(c->dev);
	assert_int_equal(command(c, 0xaa), 0x55);
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_status_idle),	   T(test_self_test),
		T(test_ctr_round_trip),	   T(test_reset_fe),
		T(test_output_port_reset), T(test_pulse_noop),
		T(test_aux_loop),	   T(test_unknown_and_keyboard_bytes),
		T(test_hostile),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
