// SPDX-License-Identifier: Apache-2.0
/*
 * The i8042 keyboard controller, without a keyboard or mouse behind it:
 * enough for Linux's i8042 probe (drivers/input/serio/i8042.c: flush,
 * self-test, CTR reads and writes, port tests, AUX loopback) to finish
 * without hanging, and for the reset line (command 0xFE, or output port
 * bit 0 through 0xD1) that reboot=kbd and many boot loaders use.
 *
 * No interrupt is ever raised: no byte comes from a device, and Linux
 * polls the status register for the responses to controller commands.
 * The input buffer is consumed at once, so IBF always reads 0.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>

#include "../../common/log.h"
#include "../boot/layout.h"
#include "dev.h"

/* Status register (read 0x64). */
#define I8042_STR_OBF 0x01 /* output buffer full */
#define I8042_STR_IBF 0x02 /* input buffer full: never */
#define I8042_STR_SYS 0x04 /* system flag, mirrors CTR bit 2 */
#define I8042_STR_CMDDAT 0x08 /* last write went to the command port */
#define I8042_STR_KEYLOCK 0x10 /* 1: keyboard not inhibited */
#define I8042_STR_AUXDATA 0x20 /* output buffer holds AUX data */

/* Controller configuration byte (CTR, internal RAM byte 0). */
#define I8042_CTR_KBDINT 0x01
#define I8042_CTR_AUXINT 0x02
#define I8042_CTR_SYS 0x04
#define I8042_CTR_KBDDIS 0x10
#define I8042_CTR_AUXDIS 0x20
#define I8042_CTR_XLATE 0x40
/* As firmware leaves it: interrupts on, translation on, POST passed. */
#define I8042_CTR_DEFAULT \
	(I8042_CTR_KBDINT | I8042_CTR_AUXINT | I8042_CTR_SYS | I8042_CTR_XLATE)

/* Controller commands (write 0x64). */
#define I8042_CMD_RAM_READ 0x20 /* 0x20-0x3f: read RAM byte n */
#define I8042_CMD_RAM_WRITE 0x60 /* 0x60-0x7f: write RAM byte n */
#define I8042_CMD_AUX_DISABLE 0xa7
#define I8042_CMD_AUX_ENABLE 0xa8
#define I8042_CMD_AUX_TEST 0xa9
#define I8042_CMD_CTL_TEST 0xaa
#define I8042_CMD_KBD_TEST 0xab
#define I8042_CMD_KBD_DISABLE 0xad
#define I8042_CMD_KBD_ENABLE 0xae
#define I8042_CMD_OUT_READ 0xd0
#define I8042_CMD_OUT_WRITE 0xd1
#define I8042_CMD_KBD_LOOP 0xd2
#define I8042_CMD_AUX_LOOP 0xd3
#define I8042_CMD_AUX_SEND 0xd4
#define I8042_CMD_PULSE 0xf0 /* 0xf0-0xff: pulse output lines 3:0 low */
#define I8042_CMD_RESET 0xfe /* pulse line 0: the CPU reset */

#define I8042_CTL_TEST_OK 0x55
#define I8042_PORT_TEST_OK 0x00
#define I8042_OUT_RESET 0x01 /* output port bit 0: 0 holds the CPU in reset */
#define I8042_OUT_A20 0x02
#define I8042_RAM_SIZE 32

struct i8042 {
	pthread_mutex_t lock;
	struct dev_env *env;
	u8 ram[I8042_RAM_SIZE]; /* ram[0] is the CTR */
	u8 out; /* output buffer */
	u8 status; /* OBF, AUXDATA, CMDDAT */
	u8 out_port;
	u8 pending; /* command waiting for its data byte, or 0 */
};

static void i8042_output(struct i8042 *k, u8 v, bool aux)
{
	k->out = v;
	k->status |= I8042_STR_OBF;
	if (aux)
		k->status |= I8042_STR_AUXDATA;
	else
		k->status &= ~I8042_STR_AUXDATA;
}

static void i8042_reset_line(struct i8042 *k)
{
	env_request_stop(k->env, STOP_REBOOT, "i8042");
}

/* The data byte of a two-byte command. */
static void i8042_write_param(struct i8042 *k, u8 cmd, u8 v)
{
	if (cmd >= I8042_CMD_RAM_WRITE && cmd < I8042_CMD_RAM_WRITE + 0x20) {
		k->ram[cmd & (I8042_RAM_SIZE - 1)] = v;
		return;
	}
	switch (cmd) {
	case I8042_CMD_OUT_WRITE:
		k->out_port = v;
		if (!(v & I8042_OUT_RESET))
			i8042_reset_line(k);
		break;
	case I8042_CMD_KBD_LOOP:
	case I8042_CMD_AUX_LOOP:
		i8042_output(k, v, cmd == I8042_CMD_AUX_LOOP);
		break;
	default: /* I8042_CMD_AUX_SEND: no mouse to receive it */
		break;
	}
}

static void i8042_write_data(struct i8042 *k, u8 v)
{
	u8 cmd = k->pending;

	k->status &= ~I8042_STR_CMDDAT;
	k->pending = 0;
	if (cmd)
		i8042_write_param(k, cmd, v);
	/* else: a byte for the keyboard, and there is none. */
}

static bool i8042_needs_param(u8 cmd)
{
	return (cmd >= I8042_CMD_RAM_WRITE &&
		cmd < I8042_CMD_RAM_WRITE + 0x20) ||
	       (cmd >= I8042_CMD_OUT_WRITE && cmd <= I8042_CMD_AUX_SEND);
}

/* Commands with one response byte or a CTR change. */
static bool i8042_simple_cmd(struct i8042 *k, u8 cmd)
{
	switch (cmd) {
	case I8042_CMD_AUX_DISABLE:
		k->ram[0] |= I8042_CTR_AUXDIS;
		return true;
	case I8042_CMD_AUX_ENABLE:
		k->ram[0] &= ~I8042_CTR_AUXDIS;
		return true;
	case I8042_CMD_KBD_DISABLE:
		k->ram[0] |= I8042_CTR_KBDDIS;
		return true;
	case I8042_CMD_KBD_ENABLE:
		k->ram[0] &= ~I8042_CTR_KBDDIS;
		return true;
	case I8042_CMD_CTL_TEST:
		k->ram[0] |= I8042_CTR_SYS;
		i8042_output(k, I8042_CTL_TEST_OK, false);
		return true;
	case I8042_CMD_AUX_TEST:
	case I8042_CMD_KBD_TEST:
		i8042_output(k, I8042_PORT_TEST_OK, false);
		return true;
	case I8042_CMD_OUT_READ:
		i8042_output(k, k->out_port, false);
		return true;
	}
	return false;
}

static void i8042_write_cmd(struct i8042 *k, u8 cmd)
{
	k->status |= I8042_STR_CMDDAT;
	k->pending = 0;
	if (i8042_needs_param(cmd)) {
		k->pending = cmd;
	} else if (cmd >= I8042_CMD_RAM_READ &&
		   cmd < I8042_CMD_RAM_READ + 0x20) {
		i8042_output(k, k->ram[cmd & (I8042_RAM_SIZE - 1)], false);
	} else if (cmd >= I8042_CMD_PULSE) {
		/* Bits 3:0 low pulse those output lines; line 0 is reset. */
		if (!(cmd & I8042_OUT_RESET))
			i8042_reset_line(k);
	} else if (!i8042_simple_cmd(k, cmd)) {
		log_warn_once("i8042: ignoring unknown command 0x%02x", cmd);
	}
}

static u8 i8042_read_status(struct i8042 *k)
{
	u8 s = k->status | I8042_STR_KEYLOCK;

	if (k->ram[0] & I8042_CTR_SYS)
		s |= I8042_STR_SYS;
	return s;
}

/* An empty output buffer reads its last byte, as on real controllers. */
static u8 i8042_read_data(struct i8042 *k)
{
	k->status &= ~(I8042_STR_OBF | I8042_STR_AUXDATA);
	return k->out;
}

static enum io_res i8042_access(struct i8042 *k, struct io_access *a, bool cmd)
{
	if (a->size != 1) {
		log_warn_once("i8042: ignoring %u-byte access", a->size);
		return IO_UNHANDLED;
	}
	pthread_mutex_lock(&k->lock);
	if (a->write && cmd)
		i8042_write_cmd(k, a->val);
	else if (a->write)
		i8042_write_data(k, a->val);
	else
		a->val = cmd ? i8042_read_status(k) : i8042_read_data(k);
	pthread_mutex_unlock(&k->lock);
	return IO_OK;
}

static enum io_res i8042_data_io(void *dev, struct io_access *a)
{
	return i8042_access(dev, a, false);
}

static enum io_res i8042_cmd_io(void *dev, struct io_access *a)
{
	return i8042_access(dev, a, true);
}

static void i8042_reset_regs(struct i8042 *k)
{
	int i;

	for (i = 0; i < I8042_RAM_SIZE; i++)
		k->ram[i] = 0;
	k->ram[0] = I8042_CTR_DEFAULT;
	k->out = 0;
	k->status = 0;
	k->pending = 0;
	k->out_port = I8042_OUT_RESET | I8042_OUT_A20;
}

static void i8042_reset(void *dev)
{
	struct i8042 *k = dev;

	pthread_mutex_lock(&k->lock);
	i8042_reset_regs(k);
	pthread_mutex_unlock(&k->lock);
}

static int i8042_create(struct dev_env *env, void **dev)
{
	struct i8042 *k = calloc(1, sizeof(*k));
	int ret;

	*dev = NULL;
	if (!k)
		return -ENOMEM;
	pthread_mutex_init(&k->lock, NULL);
	k->env = env;
	i8042_reset_regs(k);
	ret = env_bus_add(env, BUS_PIO, PORT_I8042_DATA, 1, i8042_data_io, k);
	if (ret)
		goto err_free;
	ret = env_bus_add(env, BUS_PIO, PORT_I8042_CMD, 1, i8042_cmd_io, k);
	if (ret)
		goto err_del;
	*dev = k;
	return 0;
err_del:
	env_bus_del(env, BUS_PIO, PORT_I8042_DATA);
err_free:
	log_err("i8042: ports 0x%x/0x%x are taken", PORT_I8042_DATA,
		PORT_I8042_CMD);
	pthread_mutex_destroy(&k->lock);
	free(k);
	return ret;
}

static void i8042_destroy(void *dev)
{
	struct i8042 *k = dev;

	env_bus_del(k->env, BUS_PIO, PORT_I8042_CMD);
	env_bus_del(k->env, BUS_PIO, PORT_I8042_DATA);
	pthread_mutex_destroy(&k->lock);
	free(k);
}

VESSEL_DEVICE(dev_i8042) = {
	.name = "i8042",
	.prio = 22,
	.create = i8042_create,
	.reset = i8042_reset,
	.destroy = i8042_destroy,
};
