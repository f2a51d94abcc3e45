/* SPDX-License-Identifier: Apache-2.0 */
#ifndef VESSEL_DEV_H
#define VESSEL_DEV_H

/*
 * The one shape every device model has. A device file defines a
 * `struct dev_type` with VESSEL_DEVICE(); vm.c creates the devices in
 * ascending prio, quiesces and destroys them in reverse. Devices reach the
 * VM only through the env_*() functions below, implemented by vm.c for
 * real and by tests/unit/fake_env.c for unit tests (a link-time variant).
 * No device calls ioctl() or keeps file-static state.
 */

#include "../../common/types.h"

struct conf;
struct dev_env;
struct aml;

/*
 * One guest access to a port or MMIO region. @off is relative to the
 * region's base; @size is 1, 2, 4 or 8. A read fills @val.
 */
struct io_access {
	u64 off;
	u8 size;
	bool write;
	u64 val;
};

enum io_res {
	IO_OK,
	IO_UNHANDLED, /* not ours: the bus reads all-ones, drops the write */
	IO_ERROR, /* guest did something invalid; handled like unhandled */
};

typedef enum io_res (*io_handler)(void *dev, struct io_access *a);

enum bus_space { BUS_PIO, BUS_MMIO };

/*
 * Why the guest stops. The first reason requested wins; vm.c maps it to the
 * exit code (exitcode.h).
 */
enum stop_reason {
	STOP_NONE,
	STOP_POWEROFF, /* ACPI S5 */
	STOP_REBOOT, /* reset register, 0xCF9, i8042, triple fault */
	STOP_GUEST_ERROR, /* KVM internal/emulation error */
	STOP_PANIC, /* pvpanic */
	STOP_WATCHDOG, /* watchdog expiry with action terminate */
	STOP_TERMINATED, /* host: second signal, power-button timeout */
	STOP_POWER_CUT, /* host: SIGQUIT */
	STOP_INTERNAL, /* vessel's own failure after start */
};

/*
 * A deadline timer. Callbacks run on the main thread's event loop; the
 * device locks its own state inside @fire as for any other access.
 */
struct dev_timer {
	void (*fire)(void *dev);
	void *dev;
	u64 deadline_ns; /* CLOCK_MONOTONIC; 0 when disarmed */
	struct dev_timer *next; /* owned by the loop */
};

struct env_field;

/*
 * A device's facts for `vesselctl status`: one call per item of @group
 * ("disks": one per disk), with @n fields (dev.h's struct env_field).
 */
typedef void (*status_fn)(void *ctx, const char *group,
			  const struct env_field *f, int n);

struct dev_type {
	const char *name;
	int prio; /* creation order: lower first */
	/*
	 * Create from the configuration. Return 0 with *@dev == NULL when the
	 * device is not configured, 0 with a device, or -errno (after logging
	 * a message that names the bad option or file).
	 */
	int (*create)(struct dev_env *env, void **dev);
	/* Optional: guest-visible reset to power-on state. */
	void (*reset)(void *dev);
	/*
	 * Optional: called exactly once on every exit path, before destroy,
	 * with all vCPUs stopped: flush, stop timers, detach backends.
	 */
	void (*quiesce)(void *dev, enum stop_reason why);
	/* Free everything create() allocated. */
	void (*destroy)(void *dev);
	/*
	 * Optional: the guest is about to run (vm_run(), main thread): after
	 * the privilege drop, before the vCPUs start and before any thread
	 * loads its system-call allowlist (sandbox.h). A device starts its
	 * long-lived threads here; none may be created later. 0 or -errno.
	 */
	int (*run)(void *dev);
	/* Optional: append the device's AML inside \_SB to the DSDT. */
	void (*dsdt)(void *dev, struct aml *aml);
	/*
	 * Optional: the host pressed the power button (first SIGTERM or
	 * SIGINT). Runs on the main thread.
	 */
	void (*power_button)(void *dev);
	/*
	 * Optional: the VM was paused (@paused) or resumed, on the main
	 * thread: devices whose timers measure guest time stop them.
	 */
	void (*pause)(void *dev, bool paused);
	/*
	 * Optional: the host asks the guest, through the lifecycle
	 * protocol, to "poweroff" or "reboot", or tells it that the guest
	 * @arg it shares a device with goes down ("peer-shutting-down";
	 * @arg NULL otherwise). Main thread. 0 or -errno.
	 */
	int (*guest_request)(void *dev, const char *what, const char *arg);
	/* Optional: report facts through @add for `vesselctl status`. Main thread. */
	void (*status)(void *dev, status_fn add, void *ctx);
};

/*
 * Define a device type: `VESSEL_DEVICE(dev_uart16550) = { .name = ... };`.
 * The symbol is global so unit tests can reach it with an extern
 * declaration; the pointer in section vessel_dev is what vm.c walks.
 */
#define VESSEL_DEVICE(ident)                                           \
	extern const struct dev_type ident;                            \
	static const struct dev_type *const ident##_ptr                \
		__attribute__((used, section("vessel_dev"))) = &ident; \
	const struct dev_type ident

/* --- what a device may do: implemented by vm.c and fake_env.c --- */

/* The VM's configuration (conf.h). Never NULL. */
const struct conf *env_conf(struct dev_env *env);

/*
 * Route guest accesses to [@base, @base+@len) of @space to @fn(@dev, ...).
 * Dispatch is on the first byte's address: a handler sees accesses that
 * start inside its region even when they run past its end. Returns -EEXIST
 * on overlap.
 */
int env_bus_add(struct dev_env *env, enum bus_space space, u64 base, u64 len,
		io_handler fn, void *dev);
/* Remove the region starting at @base (PCI BAR moves). */
int env_bus_del(struct dev_env *env, enum bus_space space, u64 base);

/* Drive an interrupt line (GSI 0-23 on the IOAPIC; ISA IRQs also reach the PIC). */
void env_irq_set(struct dev_env *env, u32 gsi, int level);
/* Send an MSI; returns -errno when KVM refuses it. */
int env_msi_send(struct dev_env *env, u64 addr, u32 data);

/*
 * Map host memory @hva at guest-physical [@gpa, @gpa+@len) as RAM (a KVM
 * memory slot): guest accesses no longer exit. All three page-aligned;
 * @hva stays mapped until env_unmap_ram(). Returns 0, -EINVAL (alignment),
 * -EEXIST (overlaps guest RAM or another mapping) or -ENOSPC (no slot).
 * Any thread.
 */
int env_map_ram(struct dev_env *env, u64 gpa, u64 len, void *hva);
/* Remove the mapping starting at @gpa: 0 or -ENOENT. */
int env_unmap_ram(struct dev_env *env, u64 gpa);

/*
 * Route a GSI to the MSI (@addr, @data), for irqfds: @gsi -1 allocates a
 * new GSI (24 and up), else the route of @gsi (one this returned) changes.
 * Returns the GSI or -errno (-ENOSPC, -ENOENT: @gsi not routed). Any thread.
 */
int env_msi_route(struct dev_env *env, int gsi, u64 addr, u32 data);
/* Free @gsi; deassign its irqfds first. */
void env_msi_unroute(struct dev_env *env, int gsi);

/*
 * Make every write to eventfd @efd inject @gsi (an MSI route, or an IOAPIC
 * pin 0-23 as an edge) without vessel, or stop (@assign false). 0 or -errno.
 */
int env_irqfd(struct dev_env *env, int efd, int gsi, bool assign);

/*
 * Make a guest write of @size bytes (1, 2, 4 or 8; 0: any size, MMIO and
 * no @match only) at @addr signal eventfd @efd instead of reaching the
 * bus, when @match is false or the value written is @datamatch. Remove it
 * with the same arguments and @assign false. 0 or -errno.
 */
int env_ioeventfd(struct dev_env *env, enum bus_space sp, u64 addr, u8 size,
		  bool match, u64 datamatch, int efd, bool assign);

/*
 * Host pointer to guest-physical [@gpa, @gpa+@len), or NULL when any part of
 * it is not guest RAM. Valid for the VM's lifetime.
 */
void *env_gmem_ptr(struct dev_env *env, u64 gpa, u64 len);

/*
 * Ask the VM to stop; safe from any thread, first reason wins. @by names
 * the mechanism for events and logs ("cf9", "acpi-reset", "S5").
 */
void env_request_stop(struct dev_env *env, enum stop_reason why,
		      const char *by);

/*
 * Report a lifecycle fact as an event (docs/events.md): @type such as
 * "power-button-armed", with one optional string field @key = @value.
 * Safe from any thread.
 */
void env_event(struct dev_env *env, const char *type, const char *key,
	       const char *value);

/*
 * One field of an event: a string, or when @str is NULL a number, printed
 * as an integer when @integer is set, else as seconds (microseconds).
 */
struct env_field {
	const char *key;
	const char *str;
	double num;
	bool integer;
};

/* Report an event with @n fields (docs/events.md). Any thread. */
void env_event_fields(struct dev_env *env, const char *type,
		      const struct env_field *f, int n);

/*
 * Press the ACPI power button as the first SIGTERM does, on behalf of
 * @by. Main thread (timer callbacks).
 */
void env_power_button(struct dev_env *env, const char *by);

/*
 * Pause the guest (stop its vCPUs; the process stays and the control
 * socket can resume it) on behalf of @by. Main thread.
 */
void env_pause(struct dev_env *env, const char *by);

/* Inject an NMI into the boot vCPU. Returns 0 or -errno. Any thread. */
int env_nmi(struct dev_env *env);

/*
 * Call @ready(@dev, @fd) on the main loop whenever @fd is readable, until
 * env_unwatch_fd().
 */
int env_watch_fd(struct dev_env *env, int fd, void (*ready)(void *dev, int fd),
		 void *dev);
void env_unwatch_fd(struct dev_env *env, int fd);

/* Arm @t to fire @delay_ns from now (re-arming moves it); safe from any thread. */
void env_timer_arm(struct dev_env *env, struct dev_timer *t, u64 delay_ns);
/* Arm @t for the absolute time @deadline_ns (env_now_ns() clock). */
void env_timer_arm_at(struct dev_env *env, struct dev_timer *t,
		      u64 deadline_ns);
void env_timer_cancel(struct dev_env *env, struct dev_timer *t);

/* CLOCK_MONOTONIC in ns (fake_env: a settable clock). */
u64 env_now_ns(struct dev_env *env);

/* The VM's PCI root bus, created before any device (pci.h). */
struct pci_bus *env_pci_bus(struct dev_env *env);

#endif
