// SPDX-License-Identifier: Apache-2.0
/*
 * Port 0xCF9: the chipset's Reset Control Register (RST_CNT; Intel ICH9
 * datasheet section 13.7.5, and every PCH since). Linux's reboot=pci
 * path (arch/x86/kernel/reboot.c) writes SYS_RST, then SYS_RST|RST_CPU.
 * 0xCF8 belongs to the PCI host bridge: this device claims one byte.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>

#include "../../common/log.h"
#include "../boot/layout.h"
#include "dev.h"

#define RST_CNT_SYS_RST 0x02 /* 1: hard reset (PLTRST#), 0: soft (INIT#) */
#define RST_CNT_RST_CPU 0x04 /* 0 -> 1 starts the reset SYS_RST selects */
#define RST_CNT_FULL_RST 0x08 /* 1: power-cycle during a hard reset */
#define RST_CNT_STORED (RST_CNT_SYS_RST | RST_CNT_FULL_RST)

struct reset_cf9 {
	pthread_mutex_t lock;
	struct dev_env *env;
	u8 rst_cnt;
};

static enum io_res cf9_io(void *dev, struct io_access *a)
{
	struct reset_cf9 *r = dev;

	if (a->size != 1 || a->off) {
		log_warn_once(
			"reset control: ignoring %u-byte access at 0x%llx",
			a->size,
			(unsigned long long)(PORT_RESET_CONTROL + a->off));
		return IO_UNHANDLED;
	}
	pthread_mutex_lock(&r->lock);
	if (!a->write) {
		a->val = r->rst_cnt;
	} else {
		r->rst_cnt = a->val & RST_CNT_STORED;
		/*
		 * RST_CPU reads back 0, so every write with it set is the
		 * 0 -> 1 transition that resets. Soft, hard or full: to
		 * vessel each one is the guest asking to reboot.
		 */
		if (a->val & RST_CNT_RST_CPU)
			env_request_stop(r->env, STOP_REBOOT, "cf9");
	}
	pthread_mutex_unlock(&r->lock);
	return IO_OK;
}

static void cf9_reset(void *dev)
{
	struct reset_cf9 *r = dev;

	pthread_mutex_lock(&r->lock);
	r->rst_cnt = 0;
	pthread_mutex_unlock(&r->lock);
}

static int cf9_create(struct dev_env *env, void **dev)
{
	struct reset_cf9 *r = calloc(1, sizeof(*r));
	int ret;

	*dev = NULL;
	if (!r)
		return -ENOMEM;
	pthread_mutex_init(&r->lock, NULL);
	r->env = env;
	ret = env_bus_add(env, BUS_PIO, PORT_RESET_CONTROL, 1, cf9_io, r);
	if (ret) {
		log_err("reset control: port 0x%x is taken",
			PORT_RESET_CONTROL);
		pthread_mutex_destroy(&r->lock);
		free(r);
		return ret;
	}
	*dev = r;
	return 0;
}

static void cf9_destroy(void *dev)
{
	struct reset_cf9 *r = dev;

	env_bus_del(r->env, BUS_PIO, PORT_RESET_CONTROL);
	pthread_mutex_destroy(&r->lock);
	free(r);
}

VESSEL_DEVICE(dev_reset_cf9) = {
	.name = "reset_cf9",
	.prio = 23,
	.create = cf9_create,
	.reset = cf9_reset,
	.destroy = cf9_destroy,
};
