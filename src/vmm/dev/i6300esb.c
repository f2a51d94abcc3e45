// SPDX-License-Identifier: Apache-2.0
/*
 * Intel 6300ESB watchdog timer (PCI 8086:25AB), as the Intel 6300ESB I/O
 * Controller Hub datasheet (300641-004, "Watchdog Timer") describes it
 * and as Linux's drivers/watchdog/i6300esb.c drives it; the libvirt/QEMU
 * default watchdog.
 *
 * PCI configuration space:
 *   0x60 WDT Configuration (16 bit): bits 1:0 WDT_INT_TYPE (00 IRQ on
 *        stage 1, 10 SMI, 11 none), bit 2 WDT_PRE_SEL (0: 1 kHz scale,
 *        1: 1 MHz), bit 5 WDT_OUTPUT (0: stage 2 drives the output, i.e.
 *        the configured action).
 *   0x68 WDT Lock (8 bit): bit 0 WDT_LOCK (the bits 2:0 are read-only
 *        until reset: Linux's "nowayout"), bit 1 WDT_ENABLE, bit 2
 *        WDT_FUNC (1: free-running, no output).
 * BAR0, 16 bytes of memory:
 *   0x00 Preload Value 1, 0x04 Preload Value 2 (20 bits each),
 *   0x08 General Interrupt Status (bit 0: stage 1 interrupt, W1C),
 *   0x0C Reload (bit 8 RELOAD: kick, bit 9 WDT_TIMEOUT: stage 2 expired,
 *        W1C).
 * Writes to the preloads and the reload register take effect only right
 * after the unlock sequence 0x80, 0x86 written to the reload register;
 * any other write in between spoils it.
 *
 * The counter runs stage 1 (preload 1), then stage 2 (preload 2); a
 * reload starts stage 1 again. A preload P lasts P << 15 (1 kHz scale) or
 * P << 5 (1 MHz scale) ticks of the 33 MHz PCI clock (30 ns), so Linux's
 * heartbeat of T seconds (P = T << 9 in both stages) expires after
 * T * 1.00663296 s, as on the real chip (and QEMU's model).
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "../../common/log.h"
#include "pci.h"
#include "watchdog.h"

#define ESB_VENDOR 0x8086
#define ESB_DEVICE 0x25ab
#define ESB_CLASS 0x088000 /* base system peripheral, other */
#define ESB_BAR_SIZE 16

#define ESB_CONFIG_REG 0x60
#define ESB_INT_TYPE_MASK 0x0003
#define ESB_INT_TYPE_IRQ 0x0000
#define ESB_PRE_SEL 0x0004
#define ESB_OUTPUT_DISABLE 0x0020
#define ESB_CONFIG_WMASK (ESB_INT_TYPE_MASK | ESB_PRE_SEL | ESB_OUTPUT_DISABLE)

#define ESB_LOCK_REG 0x68
#define ESB_LOCK 0x01
#define ESB_ENABLE 0x02
#define ESB_FUNC_FREE 0x04
#define ESB_LOCK_WMASK (ESB_LOCK | ESB_ENABLE | ESB_FUNC_FREE)

#define ESB_TIMER1 0x00
#define ESB_TIMER2 0x04
#define ESB_GINTSR 0x08
#define ESB_GINTSR_INT1 0x01
#define ESB_RELOAD 0x0c
#define ESB_RELOAD_KICK 0x0100
#define ESB_RELOAD_TIMEOUT 0x0200
#define ESB_UNLOCK1 0x80
#define ESB_UNLOCK2 0x86

#define ESB_PRELOAD_MASK 0xfffff
#define ESB_TICK_NS 30

struct i6300esb {
	struct pci_dev pci;
	struct dev_env *env;
	pthread_mutex_t lock;
	struct wdt wdt;
	u32 preload[2];
	int unlock; /* 0, 1 after 0x80, 2 after 0x80 0x86: next write counts */
	int stage; /* 1 or 2 while counting */
	bool enabled; /* WDT_ENABLE as last seen */
	bool timed_out; /* Reload.WDT_TIMEOUT */
	bool int1; /* GINTSR bit 0 */
};

static u16 esb_config(struct i6300esb *e)
{
	return pci_dev_get_cfg(&e->pci, ESB_CONFIG_REG, 2);
}

/* How long stage @stage (1, 2) lasts with the current preload and scale. */
static u64 esb_stage_ns(struct i6300esb *e, int stage)
{
	int shift = esb_config(e) & ESB_PRE_SEL ? 5 : 15;

	return ((u64)e->preload[stage - 1] << shift) * ESB_TICK_NS;
}

static u64 esb_timeout_ns(struct i6300esb *e)
{
	return esb_stage_ns(e, 1) + esb_stage_ns(e, 2);
}

/* Start stage 1 again: the guest's kick, or after a survivable expiry. */
static void esb_reload(struct i6300esb *e)
{
	e->stage = 1;
	wdt_kick(&e->wdt, esb_timeout_ns(e), esb_stage_ns(e, 1));
}

static void esb_set_int1(struct i6300esb *e, bool level)
{
	e->int1 = level;
	pci_dev_set_intx(&e->pci, level);
}

/*
 * Stage 1 ran out: raise its interrupt if so configured and go on to
 * stage 2. Returns true when stage 2 ran out and the action is due.
 */
static bool esb_stage_done(struct i6300esb *e)
{
	u16 cfg = esb_config(e);

	if (e->stage == 1) {
		if ((cfg & ESB_INT_TYPE_MASK) == ESB_INT_TYPE_IRQ)
			esb_set_int1(e, true);
		e->stage = 2;
		wdt_next_stage(&e->wdt, esb_stage_ns(e, 2));
		return false;
	}
	/* Free-running mode only counts; watchdog mode drives the output. */
	if (pci_dev_get_cfg(&e->pci, ESB_LOCK_REG, 1) & ESB_FUNC_FREE ||
	    cfg & ESB_OUTPUT_DISABLE) {
		/*
		 * A period shorter than one pass of the main loop (both
		 * preloads 0, or a tick or two at 1 MHz) would reload and
		 * fire again before the pass returns, without end: count
		 * again after wdt_restart()'s least delay instead.
		 */
		if (esb_timeout_ns(e) >= WDT_RESTART_MIN_NS) {
			esb_reload(e);
		} else {
			e->stage = 1;
			wdt_restart(&e->wdt, 0);
		}
		return false;
	}
	e->timed_out = true;
	return true;
}

static void esb_fire(void *dev)
{
	struct i6300esb *e = dev;
	u64 now = env_now_ns(e->env);
	bool act;

	pthread_mutex_lock(&e->lock);
	/* A kick may have moved the deadline after the loop took the timer. */
	if (!e->enabled || !e->wdt.deadline_ns || now < e->wdt.deadline_ns) {
		pthread_mutex_unlock(&e->lock);
		return;
	}
	act = esb_stage_done(e);
	pthread_mutex_unlock(&e->lock);
	if (!act || !wdt_expire(&e->wdt, now))
		return;
	/* The guest lives on (nmi, none, poweroff, pause): count again. */
	pthread_mutex_lock(&e->lock);
	if (e->enabled) {
		e->stage = 1;
		wdt_restart(&e->wdt, esb_stage_ns(e, 1));
	}
	pthread_mutex_unlock(&e->lock);
}

/* A write to the reload register: the unlock sequence or what it unlocks. */
static void esb_write_reload(struct i6300esb *e, u16 val)
{
	if (val == ESB_UNLOCK1) {
		e->unlock = 1;
		return;
	}
	if (val == ESB_UNLOCK2 && e->unlock == 1) {
		e->unlock = 2;
		return;
	}
	if (e->unlock != 2) {
		e->unlock = 0;
		log_warn_once("i6300esb: reload write 0x%x without unlock",
			      val);
		return;
	}
	e->unlock = 0;
	if (val & ESB_RELOAD_TIMEOUT)
		e->timed_out = false;
	if ((val & ESB_RELOAD_KICK) && e->enabled)
		esb_reload(e);
}

static void esb_write_preload(struct i6300esb *e, int idx, u32 val)
{
	if (e->unlock != 2) {
		e->unlock = 0;
		log_warn_once("i6300esb: preload write without unlock");
		return;
	}
	e->unlock = 0;
	/* Takes effect at the next reload, as on the chip. */
	e->preload[idx] = val & ESB_PRELOAD_MASK;
}

static void esb_mmio_write(struct i6300esb *e, struct io_access *a)
{
	switch (a->off) {
	case ESB_TIMER1:
	case ESB_TIMER2:
		if (a->size == 4) {
			esb_write_preload(e, a->off / 4, (u32)a->val);
			return;
		}
		break;
	case ESB_GINTSR:
		if (a->val & ESB_GINTSR_INT1)
			esb_set_int1(e, false);
		return;
	case ESB_RELOAD:
		if (a->size >= 2) {
			esb_write_reload(e, (u16)a->val);
			return;
		}
		break;
	}
	/* Anything else breaks the sequence, like any stray write. */
	e->unlock = 0;
	log_warn_once("i6300esb: ignoring %u-byte write at +0x%llx", a->size,
		      (unsigned long long)a->off);
}

static u64 esb_mmio_read(struct i6300esb *e, u64 off)
{
	switch (off) {
	case ESB_TIMER1:
	case ESB_TIMER2:
		return e->preload[off / 4];
	case ESB_GINTSR:
		return e->int1 ? ESB_GINTSR_INT1 : 0;
	case ESB_RELOAD:
		return e->timed_out ? ESB_RELOAD_TIMEOUT : 0;
	}
	return 0;
}

static enum io_res esb_mmio(void *dev, struct io_access *a)
{
	struct i6300esb *e = dev;

	if (a->off >= ESB_BAR_SIZE || a->off % a->size)
		return IO_UNHANDLED;
	pthread_mutex_lock(&e->lock);
	if (a->write)
		esb_mmio_write(e, a);
	else
		a->val = esb_mmio_read(e, a->off);
	pthread_mutex_unlock(&e->lock);
	return IO_OK;
}

/* WDT_ENABLE changed: the countdown starts from stage 1, or stops. */
static void esb_enable(struct i6300esb *e, bool on)
{
	e->enabled = on;
	if (on) {
		e->stage = 1;
		wdt_start(&e->wdt, esb_timeout_ns(e), esb_stage_ns(e, 1));
	} else {
		e->stage = 0;
		wdt_stop(&e->wdt);
	}
}

/* The lock register: once WDT_LOCK is set, its bits stop taking writes. */
static void esb_cfg_write(struct pci_dev *pd, u32 off, u8 size, u32 val)
{
	struct i6300esb *e = pd->priv;
	u8 lock;

	(void)val;
	if (off > ESB_LOCK_REG || off + size <= ESB_LOCK_REG)
		return;
	lock = pci_dev_get_cfg(pd, ESB_LOCK_REG, 1);
	pthread_mutex_lock(&e->lock);
	if (lock & ESB_LOCK)
		pd->wmask[ESB_LOCK_REG] = 0;
	if (!!(lock & ESB_ENABLE) != e->enabled)
		esb_enable(e, lock & ESB_ENABLE);
	pthread_mutex_unlock(&e->lock);
}

static const struct pci_ops esb_pci_ops = {
	.cfg_write = esb_cfg_write,
};

static void esb_pause(void *dev, bool paused)
{
	struct i6300esb *e = dev;

	pthread_mutex_lock(&e->lock);
	wdt_pause(&e->wdt, paused);
	pthread_mutex_unlock(&e->lock);
}

static void esb_quiesce(void *dev, enum stop_reason why)
{
	struct i6300esb *e = dev;

	(void)why;
	pthread_mutex_lock(&e->lock);
	wdt_quiesce(&e->wdt);
	pthread_mutex_unlock(&e->lock);
}

static int esb_create(struct dev_env *env, void **dev)
{
	struct i6300esb *e = calloc(1, sizeof(*e));
	int ret;

	*dev = NULL;
	if (!e)
		return -ENOMEM;
	ret = wdt_configure(&e->wdt, env, "i6300esb", esb_fire, e);
	if (ret <= 0) {
		free(e);
		return ret;
	}
	e->env = env;
	pthread_mutex_init(&e->lock, NULL);
	pci_dev_init(&e->pci, ESB_VENDOR, ESB_DEVICE, ESB_CLASS, 1);
	e->pci.ops = &esb_pci_ops;
	e->pci.priv = e;
	e->pci.bar[0] = (struct pci_bar){ .size = ESB_BAR_SIZE,
					  .fn = esb_mmio,
					  .dev = e };
	e->pci.wmask[ESB_CONFIG_REG] = ESB_CONFIG_WMASK & 0xff;
	e->pci.wmask[ESB_CONFIG_REG + 1] = ESB_CONFIG_WMASK >> 8;
	e->pci.wmask[ESB_LOCK_REG] = ESB_LOCK_WMASK;
	ret = pci_dev_add(env_pci_bus(env), &e->pci);
	if (ret) {
		log_err("i6300esb: cannot add the PCI function: %s",
			strerror(-ret));
		pthread_mutex_destroy(&e->lock);
		free(e);
		return ret;
	}
	*dev = e;
	return 0;
}

static void esb_destroy(void *dev)
{
	struct i6300esb *e = dev;

	pci_dev_del(&e->pci);
	pthread_mutex_destroy(&e->lock);
	free(e);
}

VESSEL_DEVICE(dev_i6300esb) = {
	.name = "i6300esb",
	.prio = 25,
	.create = esb_create,
	.quiesce = esb_quiesce,
	.destroy = esb_destroy,
	.pause = esb_pause,
};
