/*
 * The i6300esb and ib700 watchdogs, driven as Linux 6.1's drivers do:
 * the same registers, in the same order, with the same access widths.
 *
 * i6300esb (drivers/watchdog/i6300esb.c; Intel 6300ESB datasheet 16.3):
 * a PCI function whose config space holds the mode (0x60) and the
 * enable/lock (0x68), and whose 16-byte memory BAR holds the two
 * preloads and the reload register. Every write to TIMER1, TIMER2 or
 * RELOAD must follow the unlock sequence 0x80, 0x86 to RELOAD. At the
 * 1 kHz scale a stage lasts preload << 15 PCI clocks of 30 ns; Linux
 * writes heartbeat << 9 to both preloads, so the output fires after two
 * stages, heartbeat * 1.00663296 s after the last reload.
 *
 * ib700 (drivers/watchdog/ib700wdt.c): ISA ports, no readback. A write
 * to 0x443 starts or kicks it with the low 4 bits indexing a table of
 * seconds; any write to 0x441 stops it.
 */
#include "wdt.h"
#include "pci.h"
#include "print.h"
#include "x86.h"

#define ESB_VENDOR 0x8086
#define ESB_DEVICE 0x25ab

/* PCI configuration registers. */
#define ESB_CONFIG_REG 0x60
#define ESB_LOCK_REG 0x68
/* Memory-mapped registers, from BAR0. */
#define ESB_TIMER1_REG 0x00
#define ESB_TIMER2_REG 0x04
#define ESB_RELOAD_REG 0x0c
/* Lock register bits. */
#define ESB_WDT_ENABLE (0x01 << 1)
#define ESB_WDT_LOCK (0x01 << 0)
/* Reload register bits. */
#define ESB_WDT_TIMEOUT (0x01 << 9)
#define ESB_WDT_RELOAD (0x01 << 8)
/* Magic constants. */
#define ESB_UNLOCK1 0x80
#define ESB_UNLOCK2 0x86
/* Config 0x0003: WDT_OUTPUT on (bit 5 clear), 1 kHz scale, no interrupt. */
#define ESB_CONFIG_LINUX 0x0003
/* Two stages of (heartbeat << 9) << 15 ticks of 30 ns each. */
#define ESB_NS_PER_S 1006632960ull

/*
 * Where BAR0 goes when nothing assigned it: vessel's 32-bit BAR window
 * is 0x80000000..0xfebfffff (docs/dev/layout.md), which the probe's page
 * tables map uncached.
 */
#define ESB_BAR_FALLBACK 0xfe000000u

#define IB700_WDT_STOP 0x441
#define IB700_WDT_START 0x443
#define IO_DELAY_PORT 0x80

/* ib700wdt.c wd_times[]: seconds for each value written to 0x443. */
static const u8 ib700_times[16] = { 30, 28, 26, 24, 22, 20, 18, 16,
				    14, 12, 10, 8,  6,	4,  2,	0 };

/* --- i6300esb --------------------------------------------------------- */

static void esb_writew(const struct wdt *w, u32 reg, u16 v)
{
	mmio_write16(w->base + reg, v);
}

static void esb_unlock_registers(const struct wdt *w)
{
	esb_writew(w, ESB_RELOAD_REG, ESB_UNLOCK1);
	esb_writew(w, ESB_RELOAD_REG, ESB_UNLOCK2);
}

static void esb_timer_keepalive(struct wdt *w)
{
	esb_unlock_registers(w);
	esb_writew(w, ESB_RELOAD_REG, ESB_WDT_RELOAD);
}

static void esb_timer_start(struct wdt *w)
{
	u8 val = ESB_WDT_ENABLE | (w->nowayout ? ESB_WDT_LOCK : 0x00);

	esb_unlock_registers(w);
	esb_writew(w, ESB_RELOAD_REG, ESB_WDT_RELOAD);
	pci_write(w->devfn, ESB_LOCK_REG, 1, val);
}

/* Returns true when the lock register no longer shows ENABLE. */
static bool esb_timer_stop(struct wdt *w)
{
	u8 val;

	esb_unlock_registers(w);
	esb_writew(w, ESB_RELOAD_REG, ESB_WDT_RELOAD);
	pci_write(w->devfn, ESB_LOCK_REG, 1, 0x0);
	val = (u8)pci_read(w->devfn, ESB_LOCK_REG, 1);
	return !(val & ESB_WDT_ENABLE);
}

static void esb_timer_set_heartbeat(struct wdt *w, u32 time)
{
	u32 val = time << 9;

	esb_unlock_registers(w);
	mmio_write32(w->base + ESB_TIMER1_REG, val);
	esb_unlock_registers(w);
	mmio_write32(w->base + ESB_TIMER2_REG, val);
	esb_unlock_registers(w);
	esb_writew(w, ESB_RELOAD_REG, ESB_WDT_RELOAD);
	w->period_ns = time * ESB_NS_PER_S;
}

static void esb_initdevice(struct wdt *w)
{
	u8 val1;
	u16 val2;

	pci_write(w->devfn, ESB_CONFIG_REG, 2, ESB_CONFIG_LINUX);
	val1 = (u8)pci_read(w->devfn, ESB_LOCK_REG, 1);
	if (val1 & ESB_WDT_LOCK)
		probe_info("watchdog i6300esb: nowayout already set");
	pci_write(w->devfn, ESB_LOCK_REG, 1, 0x00);
	esb_unlock_registers(w);
	val2 = mmio_read16(w->base + ESB_RELOAD_REG);
	if (val2 & ESB_WDT_TIMEOUT)
		probe_info("watchdog i6300esb: previous timeout (reload 0x%x)",
			   val2);
	esb_unlock_registers(w);
	esb_writew(w, ESB_RELOAD_REG, ESB_WDT_TIMEOUT | ESB_WDT_RELOAD);
	esb_timer_set_heartbeat(w, w->timeout);
}

/* esb_probe(): pci_enable_device(), pci_ioremap_bar(0), esb_initdevice(). */
static int esb_init(struct wdt *w)
{
	u32 size;
	bool assigned;

	if (!pci_find(ESB_VENDOR, ESB_DEVICE, &w->devfn)) {
		probe_fail("watchdog-setup", "no i6300esb (%04x:%04x) on bus 0",
			   ESB_VENDOR, ESB_DEVICE);
		return -ENODEV;
	}
	if (pci_enable_mem_bar(w->devfn, 0, ESB_BAR_FALLBACK, &w->base, &size,
			       &assigned)) {
		probe_fail("watchdog-setup",
			   "i6300esb BAR0 0x%x is not a 32-bit memory BAR",
			   pci_read(w->devfn, PCI_BASE_ADDRESS_0, 4));
		return -ENODEV;
	}
	probe_info(
		"watchdog i6300esb 00:%02x.%u class 0x%06x BAR0 0x%x size %u (%s)",
		PCI_SLOT(w->devfn), PCI_FUNC(w->devfn),
		pci_read(w->devfn, PCI_CLASS_REVISION, 4) >> 8, w->base, size,
		assigned ? "assigned by the probe" : "already assigned");
	esb_initdevice(w);
	return 0;
}

const struct wdt_ops wdt_i6300esb = {
	.name = "i6300esb",
	.min_timeout = 1,
	.max_timeout = 2046,
	.init = esb_init,
	.start = esb_timer_start,
	.keepalive = esb_timer_keepalive,
	.stop = esb_timer_stop,
};

/* --- ib700 ------------------------------------------------------------ */

/* x86 outb_p(): the write, then slow_down_io()'s write to port 0x80. */
static void outb_p(u8 v, u16 port)
{
	outb(v, port);
	outb(v, IO_DELAY_PORT);
}

static u8 ib700_margin(const struct wdt *w)
{
	return (u8)(15 - ((w->timeout + 1) / 2));
}

/* ibwdt_ping(): also what opening /dev/watchdog does. */
static void ibwdt_ping(struct wdt *w)
{
	outb_p(ib700_margin(w), IB700_WDT_START);
}

/*
 * ibwdt_disable(), which ibwdt_close() calls only after the magic 'V';
 * with nowayout the driver ignores the 'V' and never writes 0x441.
 */
static bool ibwdt_disable(struct wdt *w)
{
	if (w->nowayout)
		return false;
	outb_p(0, IB700_WDT_STOP);
	return true;
}

/* ibwdt_probe() reserves the ports and touches no register. */
static int ibwdt_init(struct wdt *w)
{
	u8 margin = ib700_margin(w);

	w->period_ns = ib700_times[margin] * 1000000000ull;
	probe_info("watchdog ib700 ports 0x%x/0x%x margin %u (%u s)",
		   IB700_WDT_STOP, IB700_WDT_START, margin,
		   ib700_times[margin]);
	return 0;
}

const struct wdt_ops wdt_ib700 = {
	.name = "ib700",
	.min_timeout = 0,
	.max_timeout = 30,
	.init = ibwdt_init,
	.start = ibwdt_ping,
	.keepalive = ibwdt_ping,
	.stop = ibwdt_disable,
};
