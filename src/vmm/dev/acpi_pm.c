// SPDX-License-Identifier: Apache-2.0
/*
 * ACPI fixed hardware (ACPI 6.4 section 4.8): PM1a_EVT_BLK (PM1_STS,
 * PM1_EN), PM1a_CNT_BLK, PM_TMR_BLK, the FADT RESET_REG (section 5.2.9)
 * and the fixed-feature power button (section 4.8.2.2.1.1).
 *
 * The machine powers on in legacy mode, as a chipset does: SCI_EN is 0
 * until OSPM writes ACPI_ENABLE to SMI_CMD (section 4.8.2.1; Linux's
 * acpi_enable() then polls SCI_EN), and the SCI is asserted only while
 * SCI_EN is set. There is no SMI handler behind legacy mode: events just
 * stay pending until the guest enables ACPI.
 *
 * What the guest does with ACPI and the button is reported as events
 * (acpi-enabled, power-button-armed/-pressed/-acknowledged), collected
 * under the lock and sent after it is dropped.
 * [QEMU hw/acpi/core.c acpi_pm1_evt_*, acpi_pm_tmr_*; hw/isa/lpc_ich9.c
 * ich9_apm_ctrl_changed]
 */
#include "acpi_pm.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "../../common/conf.h"
#include "../../common/log.h"
#include "../boot/layout.h"

/* PM1 Status bits (4.8.3.1.1, table 4.11); all are write-1-to-clear. */
#define PM1_TMR_STS (1u << 0)
#define PM1_BM_STS (1u << 4)
#define PM1_GBL_STS (1u << 5)
#define PM1_PWRBTN_STS (1u << 8)
#define PM1_SLPBTN_STS (1u << 9)
#define PM1_RTC_STS (1u << 10)
#define PM1_PCIEXP_WAKE_STS (1u << 14)
#define PM1_WAK_STS (1u << 15)
#define PM1_STS_BITS                                               \
	(PM1_TMR_STS | PM1_BM_STS | PM1_GBL_STS | PM1_PWRBTN_STS | \
	 PM1_SLPBTN_STS | PM1_RTC_STS | PM1_PCIEXP_WAKE_STS | PM1_WAK_STS)

/* PM1 Enable bits (4.8.3.1.2, table 4.12), at their status positions. */
#define PM1_TMR_EN (1u << 0)
#define PM1_GBL_EN (1u << 5)
#define PM1_PWRBTN_EN (1u << 8)
#define PM1_SLPBTN_EN (1u << 9)
#define PM1_RTC_EN (1u << 10)
#define PM1_EN_BITS \
	(PM1_TMR_EN | PM1_GBL_EN | PM1_PWRBTN_EN | PM1_SLPBTN_EN | PM1_RTC_EN)

/* PM1 Control bits (4.8.3.2.1, table 4.13). */
#define PM1_SCI_EN (1u << 0)
#define PM1_BM_RLD (1u << 1)
#define PM1_GBL_RLS (1u << 2) /* write-only: a request to SMI firmware */
#define PM1_SLP_TYP_SHIFT 10
#define PM1_SLP_TYP (7u << PM1_SLP_TYP_SHIFT)
#define PM1_SLP_EN (1u << 13) /* write-only */
/* SCI_EN is the hardware's: OSPM preserves it (table 4.13). */
#define PM1_CNT_RW (PM1_BM_RLD | PM1_SLP_TYP)

/* PM timer (section 4.8.2.1): 24 bits (FADT TMR_VAL_EXT = 0). */
#define PM_TMR_HZ 3579545ULL
#define PM_TMR_MASK 0xffffffULL
#define PM_TMR_STS_SHIFT 23 /* TMR_STS on every change of bit 23 */
#define NSEC_PER_SEC 1000000000ULL

/* Events found under the lock, reported after it (pm_unlock). */
#define PM_EV_ACPI_ENABLED (1u << 0)
#define PM_EV_ARMED (1u << 1)
#define PM_EV_ACKED (1u << 2)

struct acpi_pm {
	struct dev_env *env;
	pthread_mutex_t lock;
	bool button; /* a fixed power button (not `power-button none`) */
	u16 sts, en, cnt;
	u8 apm_cnt; /* the last byte written to SMI_CMD */
	u32 events; /* PM_EV_* waiting for pm_unlock() */
	u64 start_ns; /* the timer counts from here */
	u64 tmr_period; /* ticks >> 23 when TMR_STS was last evaluated */
	struct dev_timer tmr_timer;
	bool sci; /* the SCI level we drive */
	bool s5_done; /* S5 was requested: once is enough */
	struct acpi_pm_state st;
};

/* Ticks since creation, not wrapped; exact for any clock value. */
static u64 pm_ticks(struct acpi_pm *pm)
{
	u64 ns = env_now_ns(pm->env) - pm->start_ns;

	return (unsigned __int128)ns * PM_TMR_HZ / NSEC_PER_SEC;
}

/*
 * TMR_STS is set whenever bit 23 of the counter changes (section
 * 4.8.2.1). Nothing runs per tick: each access evaluates it lazily, and
 * while TMR_EN is set a deadline timer does so at the next transition, so
 * the SCI comes on time. Under the lock.
 */
static void pm_sync_tmr(struct acpi_pm *pm)
{
	u64 period = pm_ticks(pm) >> PM_TMR_STS_SHIFT;

	if (period != pm->tmr_period) {
		pm->tmr_period = period;
		pm->sts |= PM1_TMR_STS;
	}
}

/* Arm the timer for the next bit-23 change while TMR_EN is set. */
static void pm_arm_tmr(struct acpi_pm *pm)
{
	unsigned __int128 next;
	u64 now;

	if (!(pm->en & PM1_TMR_EN))
		return;
	next = (unsigned __int128)(pm->tmr_period + 1) << PM_TMR_STS_SHIFT;
	/* Round up: fire at or after the transition, never before. */
	next = (next * NSEC_PER_SEC + PM_TMR_HZ - 1) / PM_TMR_HZ;
	now = env_now_ns(pm->env) - pm->start_ns;
	env_timer_arm(pm->env, &pm->tmr_timer,
		      next > now ? (u64)(next - now) : 1);
}

/*
 * Drop the lock, then report what happened under it: env_event() may
 * write to a file, which no vCPU should wait for on our lock.
 */
static void pm_unlock(struct acpi_pm *pm)
{
	u32 ev = pm->events;

	pm->events = 0;
	pthread_mutex_unlock(&pm->lock);
	if (ev & PM_EV_ACPI_ENABLED)
		env_event(pm->env, "acpi-enabled", NULL, NULL);
	if (ev & PM_EV_ARMED)
		env_event(pm->env, "power-button-armed", NULL, NULL);
	if (ev & PM_EV_ACKED)
		env_event(pm->env, "power-button-acknowledged", NULL, NULL);
}

/*
 * The SCI is a level: high while an enabled event's status is set, and
 * only in ACPI mode; in legacy mode the chipset would raise an SMI
 * instead (4.8.3.2.1, SCI_EN).
 */
static void pm_update_irq(struct acpi_pm *pm)
{
	bool level =
		(pm->cnt & PM1_SCI_EN) && (pm->sts & pm->en & PM1_EN_BITS) != 0;

	if (level != pm->sci) {
		pm->sci = level;
		env_irq_set(pm->env, SCI_IRQ, level);
	}
}

static void pm_tmr_fire(void *dev)
{
	struct acpi_pm *pm = dev;

	pthread_mutex_lock(&pm->lock);
	pm_sync_tmr(pm);
	pm_update_irq(pm);
	pm_arm_tmr(pm);
	pm_unlock(pm);
}

/*
 * Accesses must stay inside their block (the bus hands us any access that
 * starts in it). Returns the mask of the bytes touched, in block order.
 */
static bool pm_access_ok(const struct io_access *a, u16 port, u32 len,
			 u32 *mask)
{
	if ((a->size != 1 && a->size != 2 && a->size != 4) ||
	    a->off + a->size > len) {
		log_warn_once("acpi pm: ignoring %u-byte access at port 0x%llx",
			      a->size, (unsigned long long)(port + a->off));
		return false;
	}
	*mask = (a->size == 4 ? ~0u : (1u << (8 * a->size)) - 1)
		<< (8 * a->off);
	return true;
}

/*
 * A write to PM1_STS (low half) and/or PM1_EN (high half): @v holds the
 * guest's bytes in place, @mask says which bytes it wrote. Under the lock.
 */
static void pm_evt_write(struct acpi_pm *pm, u32 v, u32 mask)
{
	u16 clear = v & PM1_STS_BITS, en_mask = mask >> 16;
	u16 was = pm->en;

	/* The guest's button handler acknowledges by clearing the status. */
	if (clear & pm->sts & PM1_PWRBTN_STS) {
		pm->st.acked = true;
		pm->events |= PM_EV_ACKED;
	}
	pm->sts &= ~clear;
	pm->en = ((pm->en & ~en_mask) | (v >> 16)) & PM1_EN_BITS;
	/* Armed: each time PWRBTN_EN goes from 0 to 1. */
	if (pm->en & ~was & PM1_PWRBTN_EN) {
		pm->st.armed = true;
		pm->events |= PM_EV_ARMED;
	}
}

static enum io_res pm_evt_io(void *dev, struct io_access *a)
{
	struct acpi_pm *pm = dev;
	u32 mask, shift = 8 * a->off;

	if (!pm_access_ok(a, PORT_PM1A_EVT, PM1_EVT_LEN, &mask))
		return IO_UNHANDLED;
	pthread_mutex_lock(&pm->lock);
	pm_sync_tmr(pm);
	if (a->write)
		pm_evt_write(pm, ((u32)a->val << shift) & mask, mask);
	else
		a->val = ((pm->sts | (u32)pm->en << 16) & mask) >> shift;
	pm_update_irq(pm);
	pm_arm_tmr(pm);
	pm_unlock(pm);
	return IO_OK;
}

/*
 * SLP_EN with SLP_TYP (section 4.8.3.2.1 and 7.4.2): our DSDT offers \_S5
 * only. Any other sleep type is refused; setting WAK_STS makes the guest
 * "wake" at once, where ACPICA would otherwise poll WAK_STS forever.
 */
static void pm_sleep(struct acpi_pm *pm, u32 typ)
{
	if (typ == ACPI_S5_SLP_TYP) {
		if (!pm->s5_done)
			env_request_stop(pm->env, STOP_POWEROFF, "S5");
		pm->s5_done = true;
		return;
	}
	log_warn_once(
		"acpi pm: guest asked for sleep type %u, which is not offered; ignored",
		typ);
	pm->sts |= PM1_WAK_STS;
}

static enum io_res pm_cnt_io(void *dev, struct io_access *a)
{
	struct acpi_pm *pm = dev;
	u32 mask, v, shift = 8 * a->off;

	if (!pm_access_ok(a, PORT_PM1A_CNT, PM1_CNT_LEN, &mask))
		return IO_UNHANDLED;
	pthread_mutex_lock(&pm->lock);
	if (a->write) {
		v = ((u32)a->val << shift) & mask;
		pm->cnt = (pm->cnt & ~(mask & PM1_CNT_RW)) | (v & PM1_CNT_RW);
		/* GBL_RLS would signal SMI firmware; there is none. */
		if (v & PM1_SLP_EN)
			pm_sleep(pm,
				 (pm->cnt & PM1_SLP_TYP) >> PM1_SLP_TYP_SHIFT);
	} else {
		a->val = (pm->cnt & mask) >> shift;
	}
	pm_update_irq(pm);
	pthread_mutex_unlock(&pm->lock);
	return IO_OK;
}

/* PM_TMR: read-only, 3.579545 MHz, bits 31:24 read 0. */
static enum io_res pm_tmr_io(void *dev, struct io_access *a)
{
	struct acpi_pm *pm = dev;
	u32 mask;
	u64 ticks;

	if (!pm_access_ok(a, PORT_PM_TMR, PM_TMR_LEN, &mask))
		return IO_UNHANDLED;
	if (a->write)
		return IO_OK;
	pthread_mutex_lock(&pm->lock);
	ticks = pm_ticks(pm);
	pm_sync_tmr(pm);
	pm_update_irq(pm);
	pthread_mutex_unlock(&pm->lock);
	a->val = ((ticks & PM_TMR_MASK) & mask) >> (8 * a->off);
	return IO_OK;
}

/*
 * SMI_CMD (sections 4.8.2.1, 5.2.9): ACPI_ENABLE sets SCI_EN and
 * ACPI_DISABLE clears it, which is all the SMI handler of a chipset
 * does for them (QEMU's ich9_apm_ctrl_changed likewise). Other commands
 * (S4BIOS_REQ, PSTATE_CNT, CST_CNT) are 0 in our FADT: nothing serves
 * them. The port reads back the last byte written, like APM_CNT.
 */
static void pm_smi_cmd(struct acpi_pm *pm, u8 cmd)
{
	pm->apm_cnt = cmd;
	if (cmd == SMI_CMD_ACPI_ENABLE) {
		if (!pm->st.acpi_enabled)
			pm->events |= PM_EV_ACPI_ENABLED;
		pm->st.acpi_enabled = true;
		pm->cnt |= PM1_SCI_EN;
	} else if (cmd == SMI_CMD_ACPI_DISABLE) {
		pm->cnt &= ~PM1_SCI_EN;
	} else {
		log_warn_once("acpi pm: SMI command 0x%02x has no handler",
			      cmd);
	}
}

static enum io_res pm_smi_io(void *dev, struct io_access *a)
{
	struct acpi_pm *pm = dev;

	if (a->size != 1 || a->off) {
		log_warn_once("acpi pm: ignoring %u-byte access to SMI_CMD",
			      a->size);
		return IO_UNHANDLED;
	}
	pthread_mutex_lock(&pm->lock);
	if (a->write)
		pm_smi_cmd(pm, (u8)a->val);
	else
		a->val = pm->apm_cnt;
	pm_update_irq(pm);
	pm_unlock(pm);
	return IO_OK;
}

/* RESET_REG (section 5.2.9, 4.8.3.6): an 8-bit port, RESET_VALUE resets. */
static enum io_res pm_reset_io(void *dev, struct io_access *a)
{
	struct acpi_pm *pm = dev;

	if (a->size != 1 || a->off) {
		log_warn_once(
			"acpi pm: ignoring %u-byte access to the reset register",
			a->size);
		return IO_UNHANDLED;
	}
	if (!a->write)
		a->val = 0;
	else if ((u8)a->val == ACPI_RESET_VALUE)
		env_request_stop(pm->env, STOP_REBOOT, "acpi-reset");
	return IO_OK;
}

/*
 * The host pressed the power button (first SIGTERM/SIGINT): PWRBTN_STS,
 * and the SCI while the guest has PWRBTN_EN set and ACPI enabled
 * (section 4.8.2.2.1.1). With `power-button none` there is no button to
 * press; vm.c terminates instead and never calls this.
 */
static void pm_power_button(void *dev)
{
	struct acpi_pm *pm = dev;

	bool armed;

	if (!pm->button)
		return;
	/*
	 * Report the press before the guest can see it: a vCPU may take the
	 * SCI and acknowledge within microseconds, and the events must stay
	 * in their real order (pressed, then acknowledged).
	 */
	pthread_mutex_lock(&pm->lock);
	armed = pm->en & PM1_PWRBTN_EN;
	pthread_mutex_unlock(&pm->lock);
	env_event(pm->env, "power-button-pressed", "armed",
		  armed ? "true" : "false");
	pthread_mutex_lock(&pm->lock);
	pm->sts |= PM1_PWRBTN_STS;
	pm->st.pressed = true;
	pm_update_irq(pm);
	pm_unlock(pm);
}

void acpi_pm_get_state(void *dev, struct acpi_pm_state *st)
{
	struct acpi_pm *pm = dev;

	pthread_mutex_lock(&pm->lock);
	*st = pm->st;
	pthread_mutex_unlock(&pm->lock);
}

static const struct pm_region {
	u16 port, len;
	io_handler fn;
} pm_regions[] = {
	{ PORT_PM1A_EVT, PM1_EVT_LEN, pm_evt_io },
	{ PORT_PM1A_CNT, PM1_CNT_LEN, pm_cnt_io },
	{ PORT_PM_TMR, PM_TMR_LEN, pm_tmr_io },
	{ PORT_ACPI_RESET, 1, pm_reset_io },
	{ PORT_SMI_CMD, 1, pm_smi_io },
};

static void pm_del_regions(struct acpi_pm *pm, size_t n)
{
	while (n--)
		env_bus_del(pm->env, BUS_PIO, pm_regions[n].port);
}

static int pm_create(struct dev_env *env, void **dev)
{
	struct acpi_pm *pm = calloc(1, sizeof(*pm));
	const char *pb = conf_get(env_conf(env), "power-button");
	size_t i;
	int ret;

	*dev = NULL;
	if (!pm)
		return -ENOMEM;
	pm->env = env;
	pm->button = !pb || strcmp(pb, "none");
	pthread_mutex_init(&pm->lock, NULL);
	pm->start_ns = env_now_ns(env);
	pm->tmr_timer.fire = pm_tmr_fire;
	pm->tmr_timer.dev = pm;
	for (i = 0; i < ARRAY_SIZE(pm_regions); i++) {
		ret = env_bus_add(env, BUS_PIO, pm_regions[i].port,
				  pm_regions[i].len, pm_regions[i].fn, pm);
		if (ret) {
			log_err("acpi pm: port 0x%x is taken",
				pm_regions[i].port);
			goto err_regions;
		}
	}
	*dev = pm;
	return 0;

err_regions:
	pm_del_regions(pm, i);
	pthread_mutex_destroy(&pm->lock);
	free(pm);
	return ret;
}

/*
 * Power-on state, legacy mode included; the timer runs on and the facts
 * reported so far are kept.
 */
static void pm_reset(void *dev)
{
	struct acpi_pm *pm = dev;

	pthread_mutex_lock(&pm->lock);
	pm->sts = pm->en = pm->cnt = 0;
	pm->apm_cnt = 0;
	pm->s5_done = false;
	pm_update_irq(pm);
	pm_unlock(pm);
}

static void pm_quiesce(void *dev, enum stop_reason why)
{
	struct acpi_pm *pm = dev;

	(void)why;
	env_timer_cancel(pm->env, &pm->tmr_timer);
}

static void pm_destroy(void *dev)
{
	struct acpi_pm *pm = dev;

	env_timer_cancel(pm->env, &pm->tmr_timer);
	pm_del_regions(pm, ARRAY_SIZE(pm_regions));
	pthread_mutex_destroy(&pm->lock);
	free(pm);
}

VESSEL_DEVICE(dev_acpi_pm) = {
	.name = "acpi_pm",
	.prio = 10,
	.create = pm_create,
	.reset = pm_reset,
	.quiesce = pm_quiesce,
	.destroy = pm_destroy,
	.power_button = pm_power_button,
};
