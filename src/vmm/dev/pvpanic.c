// SPDX-License-Identifier: Apache-2.0
/*
 * pvpanic: QEMU's ISA panic device (QEMU docs/specs/pvpanic.rst), as
 * Linux's drivers/misc/pvpanic/pvpanic-mmio.c finds it through ACPI
 * (_HID "QEMU0001") and drives it with one-byte accesses to its port:
 *
 *   read:  the events the device supports (the driver masks its own
 *          capabilities with them at probe time);
 *   write: PVPANIC_PANICKED when the kernel panics, or instead
 *          PVPANIC_CRASH_LOADED when a kdump kernel is loaded to take over.
 *
 * A panic stops the VM (exit 34); a crash-loaded report is only an event,
 * since the guest goes on into its crash kernel. Always present, like
 * the one QEMU's `-device pvpanic` adds to a q35 machine.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>

#include "../../common/log.h"
#include "../boot/acpi/aml.h"
#include "dev.h"

#define PORT_PVPANIC 0x505 /* QEMU's default "ioport" property */

/* Event bits (QEMU include/hw/misc/pvpanic.h, Linux uapi misc/pvpanic.h). */
#define PVPANIC_PANICKED (1u << 0)
#define PVPANIC_CRASH_LOADED (1u << 1)
#define PVPANIC_EVENTS (PVPANIC_PANICKED | PVPANIC_CRASH_LOADED)

struct pvpanic {
	struct dev_env *env;
	pthread_mutex_t lock;
	bool panicked, crash_loaded; /* each reported once */
};

/*
 * A write of guest events. Like QEMU's handle_event(), PANICKED wins
 * over CRASH_LOADED when both are set; unknown bits are ignored. Returns
 * the event to report: a stop, a crash-loaded event, or nothing.
 */
static u8 pvpanic_take(struct pvpanic *p, u8 val)
{
	if (val & ~PVPANIC_EVENTS)
		log_warn_once("pvpanic: unknown event bits 0x%02x ignored",
			      val & ~PVPANIC_EVENTS);
	if (val & PVPANIC_PANICKED) {
		if (p->panicked)
			return 0;
		p->panicked = true;
		return PVPANIC_PANICKED;
	}
	if ((val & PVPANIC_CRASH_LOADED) && !p->crash_loaded) {
		p->crash_loaded = true;
		return PVPANIC_CRASH_LOADED;
	}
	return 0;
}

static enum io_res pvpanic_io(void *dev, struct io_access *a)
{
	struct pvpanic *p = dev;
	u8 ev;

	if (a->size != 1 || a->off) {
		log_warn_once("pvpanic: ignoring %u-byte access at 0x%llx",
			      a->size,
			      (unsigned long long)(PORT_PVPANIC + a->off));
		return IO_UNHANDLED;
	}
	if (!a->write) {
		a->val = PVPANIC_EVENTS;
		return IO_OK;
	}
	pthread_mutex_lock(&p->lock);
	ev = pvpanic_take(p, (u8)a->val);
	pthread_mutex_unlock(&p->lock);
	/* vm.c reports the "panic" event with the stop request. */
	if (ev == PVPANIC_PANICKED)
		env_request_stop(p->env, STOP_PANIC, "pvpanic");
	else if (ev == PVPANIC_CRASH_LOADED)
		env_event(p->env, "crash-loaded", NULL, NULL);
	return IO_OK;
}

/*
 * What QEMU's pvpanic-isa puts in the DSDT (hw/misc/pvpanic-isa.c
 * build_pvpanic_isa_aml), less the OperationRegion and RDPT/WRPT
 * methods that no OS driver uses:
 *   Device (PEVT) { Name (_HID, "QEMU0001")
 *     Name (_CRS, ResourceTemplate () { IO (Decode16, 0x505, 0x505, 1, 1) })
 *     Name (_STA, 0x0F) }   present, enabled, shown, functioning (6.3.7)
 */
static void pvpanic_dsdt(void *dev, struct aml *aml)
{
	size_t d, crs;

	(void)dev;
	d = aml_device_begin(aml, "PEVT");
	aml_name_string(aml, "_HID", "QEMU0001");
	crs = aml_crs_begin(aml, "_CRS");
	aml_crs_io(aml, PORT_PVPANIC, PORT_PVPANIC, 1, 1);
	aml_crs_end(aml, crs);
	aml_name_int(aml, "_STA", 0x0f);
	aml_block_end(aml, d);
}

static int pvpanic_create(struct dev_env *env, void **dev)
{
	struct pvpanic *p = calloc(1, sizeof(*p));
	int ret;

	*dev = NULL;
	if (!p)
		return -ENOMEM;
	p->env = env;
	pthread_mutex_init(&p->lock, NULL);
	ret = env_bus_add(env, BUS_PIO, PORT_PVPANIC, 1, pvpanic_io, p);
	if (ret) {
		log_err("pvpanic: port 0x%x is taken", PORT_PVPANIC);
		pthread_mutex_destroy(&p->lock);
		free(p);
		return ret;
	}
	*dev = p;
	return 0;
}

static void pvpanic_destroy(void *dev)
{
	struct pvpanic *p = dev;

	env_bus_del(p->env, BUS_PIO, PORT_PVPANIC);
	pthread_mutex_destroy(&p->lock);
	free(p);
}

VESSEL_DEVICE(dev_pvpanic) = {
	.name = "pvpanic",
	.prio = 24,
	.create = pvpanic_create,
	.destroy = pvpanic_destroy,
	.dsdt = pvpanic_dsdt,
};
