// SPDX-License-Identifier: Apache-2.0
/*
 * The iBase IB700 single-board computer's watchdog (ISA), the watchdog
 * the QNX hypervisor gives its x86 guests, as Linux's
 * drivers/watchdog/ib700wdt.c drives it (and QEMU's hw/watchdog/wdt_ib700.c
 * models it):
 *
 *   0x443 write: start, or kick, with the timeout the low 4 bits select
 *                from {30, 28, ..., 2, 0} seconds (Linux: 15 - (t + 1) / 2);
 *   0x441 write: stop.
 *
 * Neither port reads back anything. There is no ACPI or PCI presence:
 * the driver claims the ports blindly, as on the real board.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>

#include "../../common/log.h"
#include "watchdog.h"

#define IB700_PORT_STOP 0x441
#define IB700_PORT_START 0x443

static const u8 ib700_seconds[16] = { 30, 28, 26, 24, 22, 20, 18, 16,
				      14, 12, 10, 8,  6,  4,  2,  0 };

struct ib700 {
	struct dev_env *env;
	pthread_mutex_t lock;
	struct wdt wdt;
};

static void ib700_fire(void *dev)
{
	struct ib700 *d = dev;
	u64 now = env_now_ns(d->env);
	bool due;

	pthread_mutex_lock(&d->lock);
	/* A kick may have moved the deadline after the loop took the timer. */
	due = d->wdt.running && d->wdt.deadline_ns && now >= d->wdt.deadline_ns;
	pthread_mutex_unlock(&d->lock);
	if (!due || !wdt_expire(&d->wdt, now))
		return;
	/* The guest lives on (nmi, none, poweroff, pause): count again. */
	pthread_mutex_lock(&d->lock);
	if (d->wdt.running)
		wdt_restart(&d->wdt, d->wdt.timeout_ns);
	pthread_mutex_unlock(&d->lock);
}

/* 0x443: start or kick, with a new timeout each time. */
static enum io_res ib700_start(void *dev, struct io_access *a)
{
	struct ib700 *d = dev;
	u64 t;

	if (!a->write)
		return IO_UNHANDLED;
	t = ib700_seconds[a->val & 0xf] * 1000000000ULL;
	pthread_mutex_lock(&d->lock);
	if (d->wdt.running)
		wdt_kick(&d->wdt, t, t);
	else
		wdt_start(&d->wdt, t, t);
	pthread_mutex_unlock(&d->lock);
	return IO_OK;
}

/* 0x441: stop, whatever is written. */
static enum io_res ib700_stop(void *dev, struct io_access *a)
{
	struct ib700 *d = dev;

	if (!a->write)
		return IO_UNHANDLED;
	pthread_mutex_lock(&d->lock);
	wdt_stop(&d->wdt);
	pthread_mutex_unlock(&d->lock);
	return IO_OK;
}

static void ib700_pause(void *dev, bool paused)
{
	struct ib700 *d = dev;

	pthread_mutex_lock(&d->lock);
	wdt_pause(&d->wdt, paused);
	pthread_mutex_unlock(&d->lock);
}

static void ib700_quiesce(void *dev, enum stop_reason why)
{
	struct ib700 *d = dev;

	(void)why;
	pthread_mutex_lock(&d->lock);
	wdt_quiesce(&d->wdt);
	pthread_mutex_unlock(&d->lock);
}

static int ib700_create(struct dev_env *env, void **dev)
{
	struct ib700 *d = calloc(1, sizeof(*d));
	int ret;

	*dev = NULL;
	if (!d)
		return -ENOMEM;
	ret = wdt_configure(&d->wdt, env, "ib700", ib700_fire, d);
	if (ret <= 0) {
		free(d);
		return ret;
	}
	d->env = env;
	pthread_mutex_init(&d->lock, NULL);
	ret = env_bus_add(env, BUS_PIO, IB700_PORT_STOP, 1, ib700_stop, d);
	if (!ret) {
		ret = env_bus_add(env, BUS_PIO, IB700_PORT_START, 1,
				  ib700_start, d);
		if (ret)
			env_bus_del(env, BUS_PIO, IB700_PORT_STOP);
	}
	if (ret) {
		log_err("ib700: ports 0x%x/0x%x are taken", IB700_PORT_STOP,
			IB700_PORT_START);
		pthread_mutex_destroy(&d->lock);
		free(d);
		return ret;
	}
	*dev = d;
	return 0;
}

static void ib700_destroy(void *dev)
{
	struct ib700 *d = dev;

	env_bus_del(d->env, BUS_PIO, IB700_PORT_START);
	env_bus_del(d->env, BUS_PIO, IB700_PORT_STOP);
	pthread_mutex_destroy(&d->lock);
	free(d);
}

VESSEL_DEVICE(dev_ib700) = {
	.name = "ib700",
	.prio = 26,
	.create = ib700_create,
	.quiesce = ib700_quiesce,
	.destroy = ib700_destroy,
	.pause = ib700_pause,
};
